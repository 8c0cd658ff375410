//! The template parser: the shape of Go's `text/template/parse/parse.go`, turning the lexer's tokens
//! into nodes. GoReleaser's functions are checked here, so an unknown or unsupported one is an error
//! before anything runs.

use std::collections::BTreeSet;

use super::lex::{describe, lex, Tok, Token};
use super::Located;

/// Parses `src` into nodes and the first names of the fields it uses (see [`super::Template::fields`]).
pub(super) fn parse(src: &str) -> Located<(Vec<Node>, BTreeSet<String>)> {
    let mut parser = Parser { toks: lex(src), i: 0, fields: BTreeSet::new() };
    let nodes = parser.parse()?;
    Ok((nodes, parser.fields))
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Text(String),
    Action(Pipe),
    If { pipe: Pipe, then: Vec<Node>, els: Option<Vec<Node>> },
    With { pipe: Pipe, then: Vec<Node>, els: Option<Vec<Node>> },
}

#[derive(Debug, Clone)]
pub(super) struct Pipe {
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(super) struct Cmd {
    pub(super) pos: usize,
    pub(super) args: Vec<Operand>,
}

#[derive(Debug, Clone)]
pub(super) struct Operand {
    pub(super) pos: usize,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
    Dot,
    /// `.A.B`, relative to the dot
    Field(Vec<String>),
    /// `$` or `$.A.B`
    Root(Vec<String>),
    /// `(pipeline).A` or `func.A`
    Chain(Box<Operand>, Vec<String>),
    Func(String),
    Pipe(Pipe),
    Str(String),
    Int(i64),
    Bool(bool),
    Nil,
}

/// What `{{ … }}` ends a list with.
enum Item {
    Node(Node),
    Else(usize),
    End(usize),
}

#[derive(Clone, Copy, PartialEq)]
enum Control {
    If,
    With,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::If => "if",
            Control::With => "with",
        }
    }
}

const FUNCS: &[&str] = &[
    "and",
    "contains",
    "envOrDefault",
    "eq",
    "isEnvSet",
    "len",
    "ne",
    "not",
    "or",
    "printf",
    "replace",
    "title",
    "tolower",
    "toupper",
    "trim",
    "trimprefix",
    "trimsuffix",
];

/// Functions Go or GoReleaser have that this evaluator lacks: named as such, not as typos.
const UNSUPPORTED_FUNCS: &[&str] = &[
    "abs",
    "base",
    "call",
    "dir",
    "filter",
    "ge",
    "gt",
    "html",
    "incmajor",
    "incminor",
    "incpatch",
    "index",
    "indexOrDefault",
    "js",
    "le",
    "lt",
    "map",
    "mdv2escape",
    "print",
    "println",
    "reverseFilter",
    "slice",
    "split",
    "time",
    "urlPathEscape",
    "urlquery",
];

struct Parser {
    toks: Vec<Token>,
    i: usize,
    fields: BTreeSet<String>,
}

impl Parser {
    /// The token stream ends in Eof or Error, which repeats forever so backing up stays simple.
    fn next(&mut self) -> Located<Token> {
        let t = self.toks.get(self.i).or(self.toks.last()).expect("lexer emits Eof or Error").clone();
        self.i += 1;
        match t.tok {
            Tok::Error(msg) => Err((t.pos, msg)),
            _ => Ok(t),
        }
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn peek(&mut self) -> Located<Token> {
        let t = self.next()?;
        self.backup();
        Ok(t)
    }

    fn next_non_space(&mut self) -> Located<Token> {
        loop {
            let t = self.next()?;
            if t.tok != Tok::Space {
                return Ok(t);
            }
        }
    }

    fn peek_non_space(&mut self) -> Located<Token> {
        let t = self.next_non_space()?;
        self.backup();
        Ok(t)
    }

    fn parse(&mut self) -> Located<Vec<Node>> {
        let mut nodes = Vec::new();
        loop {
            if self.peek()?.tok == Tok::Eof {
                return Ok(nodes);
            }
            match self.text_or_action()? {
                Item::Node(n) => nodes.push(n),
                Item::End(pos) => return Err((pos, "unexpected {{ end }}: no {{ if }} or {{ with }} to close".into())),
                Item::Else(pos) => return Err((pos, "unexpected {{ else }} outside {{ if }} or {{ with }}".into())),
            }
        }
    }

    /// Nodes up to the `{{ else }}` or `{{ end }}` that closes the control opened at `open`.
    fn item_list(&mut self, open: usize, ctl: Control) -> Located<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        loop {
            if self.peek_non_space()?.tok == Tok::Eof {
                return Err((open, format!("{{{{ {} }}}} has no {{{{ end }}}}", ctl.name())));
            }
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
    }

    fn text_or_action(&mut self) -> Located<Item> {
        let t = self.next_non_space()?;
        match t.tok {
            Tok::Text(s) => Ok(Item::Node(Node::Text(s))),
            Tok::LeftDelim => self.action(),
            other => Err((t.pos, format!("unexpected {} in input", describe(&other)))),
        }
    }

    fn action(&mut self) -> Located<Item> {
        let t = self.next_non_space()?;
        match t.tok {
            Tok::Else => {
                // `else if` / `else with` leave the keyword for control() to pick up.
                if !matches!(self.peek_non_space()?.tok, Tok::If | Tok::With) {
                    self.expect_right_delim("else")?;
                }
                Ok(Item::Else(t.pos))
            }
            Tok::End => {
                self.expect_right_delim("end")?;
                Ok(Item::End(t.pos))
            }
            Tok::If => Ok(Item::Node(self.control(t.pos, Control::If)?)),
            Tok::With => Ok(Item::Node(self.control(t.pos, Control::With)?)),
            Tok::Unsupported(k) => Err((t.pos, format!("{{{{ {k} }}}} is not supported here"))),
            _ => {
                self.backup();
                Ok(Item::Node(Node::Action(self.pipeline("command", false)?)))
            }
        }
    }

    fn expect_right_delim(&mut self, context: &str) -> Located<()> {
        let t = self.next_non_space()?;
        match t.tok {
            Tok::RightDelim => Ok(()),
            other => Err((t.pos, format!("unexpected {} in {context}", describe(&other)))),
        }
    }

    /// `{{ if a }}x{{ else if b }}y{{ end }}` is `{{ if a }}x{{ else }}{{ if b }}y{{ end }}{{ end }}`
    /// sharing one end, as in Go.
    fn control(&mut self, open: usize, ctl: Control) -> Located<Node> {
        let pipe = self.pipeline(ctl.name(), false)?;
        let (then, next) = self.item_list(open, ctl)?;
        let els = match next {
            Item::End(_) => None,
            Item::Else(else_pos) => {
                let t = self.peek_non_space()?;
                match (&t.tok, ctl) {
                    (Tok::If, Control::If) | (Tok::With, Control::With) => {
                        self.next_non_space()?;
                        Some(vec![self.control(t.pos, ctl)?])
                    }
                    (Tok::If | Tok::With, _) => {
                        return Err((
                            t.pos,
                            format!(
                                "{{{{ else {} }}}} cannot continue a {{{{ {} }}}}",
                                describe(&t.tok).trim_matches('"'),
                                ctl.name()
                            ),
                        ))
                    }
                    _ => match self.item_list(open, ctl)? {
                        (list, Item::End(_)) => Some(list),
                        (_, _) => {
                            return Err((else_pos, format!("{{{{ {} }}}} has two {{{{ else }}}}", ctl.name())));
                        }
                    },
                }
            }
            Item::Node(_) => unreachable!("item_list returns only at else or end"),
        };
        Ok(match ctl {
            Control::If => Node::If { pipe, then, els },
            Control::With => Node::With { pipe, then, els },
        })
    }

    fn pipeline(&mut self, context: &str, in_paren: bool) -> Located<Pipe> {
        let start = self.peek_non_space()?.pos;
        let mut cmds = Vec::new();
        loop {
            let t = self.next_non_space()?;
            match t.tok {
                Tok::RightDelim if !in_paren => break,
                Tok::RParen if in_paren => break,
                Tok::Bool(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Nil
                | Tok::Str(_)
                | Tok::Root
                | Tok::LParen => {
                    self.backup();
                    cmds.push(self.command()?);
                }
                other => return Err((t.pos, format!("unexpected {} in {context}", describe(&other)))),
            }
        }
        if cmds.is_empty() {
            return Err((start, format!("missing value for {context}")));
        }
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if matches!(c.args[0].kind, Kind::Bool(_) | Kind::Dot | Kind::Nil | Kind::Int(_) | Kind::Str(_)) {
                return Err((c.pos, format!("non executable command in pipeline stage {}", i + 1)));
            }
        }
        Ok(Pipe { cmds })
    }

    fn command(&mut self) -> Located<Cmd> {
        let pos = self.peek_non_space()?.pos;
        let mut args = Vec::new();
        loop {
            self.peek_non_space()?;
            if let Some(op) = self.operand()? {
                args.push(op);
            }
            let t = self.next()?;
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RParen => self.backup(),
                Tok::Pipe => {}
                other => return Err((t.pos, format!("unexpected {} in operand", describe(&other)))),
            }
            break;
        }
        if args.is_empty() {
            return Err((pos, "empty command".into()));
        }
        Ok(Cmd { pos, args })
    }

    fn operand(&mut self) -> Located<Option<Operand>> {
        let Some(mut op) = self.term()? else {
            return Ok(None);
        };
        let mut names = Vec::new();
        // Only a field written right against the term chains: `.A .B` is two operands.
        while let Tok::Field(name) = self.peek()?.tok {
            self.next()?;
            names.push(name);
        }
        if !names.is_empty() {
            op.kind = match op.kind {
                Kind::Field(mut f) => {
                    f.extend(names);
                    Kind::Field(f)
                }
                Kind::Root(mut r) => {
                    r.extend(names);
                    Kind::Root(r)
                }
                Kind::Bool(_) | Kind::Str(_) | Kind::Int(_) | Kind::Nil | Kind::Dot => {
                    return Err((op.pos, format!("unexpected .{} after a literal", names[0])));
                }
                kind => Kind::Chain(Box::new(Operand { pos: op.pos, kind }), names),
            };
        }
        match &op.kind {
            Kind::Field(f) => {
                self.fields.insert(f[0].clone());
            }
            Kind::Root(r) if !r.is_empty() => {
                self.fields.insert(r[0].clone());
            }
            _ => {}
        }
        Ok(Some(op))
    }

    fn term(&mut self) -> Located<Option<Operand>> {
        let t = self.next_non_space()?;
        let kind = match t.tok {
            Tok::Ident(name) => {
                if UNSUPPORTED_FUNCS.contains(&name.as_str()) {
                    return Err((
                        t.pos,
                        format!("function {name:?} is not supported here (supported: {})", FUNCS.join(", ")),
                    ));
                }
                if !FUNCS.contains(&name.as_str()) {
                    return Err((t.pos, format!("function {name:?} not defined (known: {})", FUNCS.join(", "))));
                }
                Kind::Func(name)
            }
            Tok::Dot => Kind::Dot,
            Tok::Nil => Kind::Nil,
            Tok::Root => Kind::Root(Vec::new()),
            Tok::Field(name) => Kind::Field(vec![name]),
            Tok::Bool(b) => Kind::Bool(b),
            Tok::Int(n) => Kind::Int(n),
            Tok::Str(s) => Kind::Str(s),
            Tok::LParen => Kind::Pipe(self.pipeline("parenthesized pipeline", true)?),
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(Operand { pos: t.pos, kind }))
    }
}

#[cfg(test)]
mod tests {
    use crate::template::tests::parse_err;

    #[test]
    fn parse_errors() {
        assert_eq!(parse_err("a {{ .Os"), "template a {{ .Os: column 9: unclosed action (no \"}}\")");
        assert_eq!(
            parse_err("{{ split .Os \"-\" }}"),
            "template {{ split .Os \"-\" }}: column 4: function \"split\" is not supported here (supported: and, \
             contains, envOrDefault, eq, isEnvSet, len, ne, not, or, printf, replace, title, tolower, toupper, trim, \
             trimprefix, trimsuffix)"
        );
        assert!(parse_err("{{ lower .Os }}")
            .starts_with("template {{ lower .Os }}: column 4: function \"lower\" not defined (known: and,"));
        assert_eq!(
            parse_err("x{{ end }}"),
            "template x{{ end }}: column 5: unexpected {{ end }}: no {{ if }} or {{ with }} to close"
        );
        assert_eq!(
            parse_err("{{ else }}"),
            "template {{ else }}: column 4: unexpected {{ else }} outside {{ if }} or {{ with }}"
        );
        assert_eq!(parse_err("{{ if .A }}x"), "template {{ if .A }}x: column 4: {{ if }} has no {{ end }}");
        assert_eq!(
            parse_err("{{ if .A }}\n{{ else }}{{ else }}{{ end }}"),
            "template {{ if .A }}\\n{{ else }}{{ else }}{{ end }}: line 2, column 4: {{ if }} has two {{ else }}"
        );
        assert_eq!(parse_err("{{ }}"), "template {{ }}: column 4: missing value for command");
        assert_eq!(parse_err("{{ if }}{{ end }}"), "template {{ if }}{{ end }}: column 7: missing value for if");
        assert_eq!(
            parse_err("{{/* c */ }}"),
            "template {{/* c */ }}: column 1: comment ends before closing delimiter (write \"*/}}\" or \"*/ -}}\")"
        );
        assert_eq!(parse_err("{{ \"abc }}"), "template {{ \"abc }}: column 4: unterminated quoted string");
        assert_eq!(parse_err("{{ (.A }}"), "template {{ (.A }}: column 8: unclosed left paren");
        assert_eq!(
            parse_err("{{ .A | \"x\" }}"),
            "template {{ .A | \"x\" }}: column 9: non executable command in pipeline stage 2"
        );
        assert_eq!(
            parse_err("{{ range .A }}{{ end }}"),
            "template {{ range .A }}{{ end }}: column 4: {{ range }} is not supported here"
        );
        assert_eq!(
            parse_err("{{ $x := 1 }}"),
            "template {{ $x := 1 }}: column 4: variables ($x) are not supported; only $ (the top-level data)"
        );
        assert_eq!(
            parse_err("{{ with .A }}{{ else if .B }}{{ end }}"),
            "template {{ with .A }}{{ else if .B }}{{ end }}: column 22: {{ else if }} cannot continue a {{ with }}"
        );
        assert_eq!(
            parse_err("{{ 0x10 }}"),
            "template {{ 0x10 }}: column 4: number \"0x10\": only decimal integers are supported"
        );
    }
}
