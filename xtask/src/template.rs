//! An evaluator for the part of Go's `text/template` that GoReleaser users write in archive and
//! checksum `name_template`s, so a template copied verbatim from a `.goreleaser.yml` gives
//! byte-identical file names. It is hand-written rather than built on `gtmpl` because gtmpl gets
//! GoReleaser's names wrong: its `eq` means "all equal" where Go's means "equal to any", and it
//! prints `<no value>` for a missing key where GoReleaser (`missingkey=error`) fails. The lexer
//! follows Go's `text/template/parse` rules (trim markers, comments, spaces) so whitespace comes
//! out exactly as Go's does; what it cannot match (variables, `range`, floats) it refuses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{anyhow, Result};

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
    fields: BTreeSet<String>,
}

/// Template data: field name -> value.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub fields: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
}

impl Template {
    /// Parses `text`; errors name the problem and its column.
    pub fn parse(text: &str) -> Result<Template> {
        let mut parser = Parser { toks: lex(text), i: 0, fields: BTreeSet::new() };
        let nodes = parser.parse().map_err(|(pos, msg)| located(text, pos, &msg))?;
        Ok(Template { source: text.to_string(), nodes, fields: parser.fields })
    }

    pub fn render(&self, data: &Data) -> Result<String> {
        let mut out = String::new();
        Exec { data }
            .walk(&Value::Root, &self.nodes, &mut out)
            .map_err(|(pos, msg)| located(&self.source, pos, &msg))?;
        Ok(out)
    }

    #[cfg(test)]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Field names used anywhere in the template, e.g. ["Arch", "Os"] (for validation).
    /// Only the first name of a chain counts: `.Env.FOO` gives "Env".
    pub fn fields(&self) -> Vec<String> {
        self.fields.iter().cloned().collect()
    }
}

/// Formats an error at byte offset `pos` of `src`. The source is shown on one line so a
/// multi-line template still gives a one-line message.
fn located(src: &str, pos: usize, msg: &str) -> anyhow::Error {
    let pos = pos.min(src.len());
    let before = &src[..pos];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let at = if src.contains('\n') {
        format!("line {}, column {column}", before.matches('\n').count() + 1)
    } else {
        format!("column {column}")
    };
    anyhow!("template {}: {at}: {msg}", src.replace('\n', "\\n"))
}

// ---------------------------------------------------------------------------------------------
// Lexer: a transcription of Go's text/template/parse/lex.go for the items we support.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    Pipe,
    LParen,
    RParen,
    Str(String),
    Int(i64),
    Bool(bool),
    Nil,
    Dot,
    /// `.Name` (without the dot)
    Field(String),
    /// `$`, the top-level data
    Root,
    Ident(String),
    If,
    Else,
    End,
    With,
    /// range, define, template, block, break, continue
    Unsupported(&'static str),
    Eof,
    /// Lexing stops at the first error; the parser reports it when it gets there, so an earlier
    /// parse error wins as in Go.
    Error(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Text(_) => "text".into(),
        Tok::LeftDelim => "\"{{\"".into(),
        Tok::RightDelim => "\"}}\"".into(),
        Tok::Space => "space".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Int(n) => format!("number {n}"),
        Tok::Bool(b) => format!("{b}"),
        Tok::Nil => "nil".into(),
        Tok::Dot => "\".\"".into(),
        Tok::Field(f) => format!("field .{f}"),
        Tok::Root => "\"$\"".into(),
        Tok::Ident(i) => format!("{i:?}"),
        Tok::If => "\"if\"".into(),
        Tok::Else => "\"else\"".into(),
        Tok::End => "\"end\"".into(),
        Tok::With => "\"with\"".into(),
        Tok::Unsupported(k) => format!("{k:?}"),
        Tok::Eof => "end of template".into(),
        Tok::Error(e) => e.clone(),
    }
}

// Go's isSpace: only these four count, for trim markers and between operands.
const SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1])
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0]) && b[1] == b'-'
}

/// (at `}}` or ` -}}`, with the trim marker)
fn at_right_delim(s: &str) -> (bool, bool) {
    if has_right_trim(s) && s[2..].starts_with("}}") {
        (true, true)
    } else {
        (s.starts_with("}}"), false)
    }
}

fn leading_space_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(SPACE).len()
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

type Located<T> = std::result::Result<T, (usize, String)>;

fn lex(src: &str) -> Vec<Token> {
    let mut lexer = Lexer { src, pos: 0, toks: Vec::new() };
    if let Err((pos, msg)) = lexer.run() {
        lexer.toks.push(Token { tok: Tok::Error(msg), pos });
    }
    lexer.toks
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Token>,
}

impl Lexer<'_> {
    fn emit(&mut self, tok: Tok, pos: usize) {
        self.toks.push(Token { tok, pos });
    }

    fn run(&mut self) -> Located<()> {
        loop {
            let rest = &self.src[self.pos..];
            let Some(x) = rest.find("{{") else {
                if !rest.is_empty() {
                    self.emit(Tok::Text(rest.to_string()), self.pos);
                }
                self.emit(Tok::Eof, self.src.len());
                return Ok(());
            };
            let delim = self.pos + x;
            let mut body = delim + 2;
            let mut text = &rest[..x];
            // `{{- ` eats the whitespace before it (Go wants the space, or `{{-3` would be -3).
            if has_left_trim(&self.src[body..]) {
                text = text.trim_end_matches(SPACE);
                body += 2;
            }
            if !text.is_empty() {
                self.emit(Tok::Text(text.to_string()), self.pos);
            }
            if self.src[body..].starts_with("/*") {
                self.pos = self.comment(delim, body)?;
                continue;
            }
            self.emit(Tok::LeftDelim, delim);
            self.pos = body;
            self.action()?;
        }
    }

    /// Skips `/* … */` and its closing delimiter, which must follow at once (Go's rule);
    /// returns where the text resumes.
    fn comment(&self, delim: usize, body: usize) -> Located<usize> {
        let start = body + 2;
        let Some(x) = self.src[start..].find("*/") else {
            return Err((delim, "unclosed comment".into()));
        };
        let mut p = start + x + 2;
        let (found, trim) = at_right_delim(&self.src[p..]);
        if !found {
            return Err((delim, "comment ends before closing delimiter (write \"*/}}\" or \"*/ -}}\")".into()));
        }
        p += if trim { 4 } else { 2 };
        if trim {
            p += leading_space_len(&self.src[p..]);
        }
        Ok(p)
    }

    fn action(&mut self) -> Located<()> {
        let mut depth = 0usize;
        loop {
            let rest = &self.src[self.pos..];
            let (delim, trim) = at_right_delim(rest);
            if delim {
                if depth > 0 {
                    return Err((self.pos, "unclosed left paren".into()));
                }
                let at = self.pos + if trim { 2 } else { 0 };
                self.emit(Tok::RightDelim, at);
                self.pos = at + 2;
                if trim {
                    self.pos += leading_space_len(&self.src[self.pos..]);
                }
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = rest.chars().next() else {
                return Err((start, "unclosed action (no \"}}\")".into()));
            };
            let next = rest[c.len_utf8()..].chars().next();
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    let n = rest.bytes().take_while(|&b| is_space(b)).count();
                    self.pos += n;
                    // The last space before `-}}` belongs to the trim marker.
                    if has_right_trim(&self.src[self.pos - 1..]) && self.src[self.pos + 1..].starts_with("}}") {
                        self.pos -= 1;
                        if n == 1 {
                            continue;
                        }
                    }
                    self.emit(Tok::Space, start);
                }
                '|' => {
                    self.emit(Tok::Pipe, start);
                    self.pos += 1;
                }
                '(' => {
                    self.emit(Tok::LParen, start);
                    self.pos += 1;
                    depth += 1;
                }
                ')' => {
                    if depth == 0 {
                        return Err((start, "unexpected right paren".into()));
                    }
                    depth -= 1;
                    self.emit(Tok::RParen, start);
                    self.pos += 1;
                }
                '"' => self.quote()?,
                '`' => self.raw_quote()?,
                '$' => self.field_or_root(true)?,
                '.' if !next.is_some_and(|n| n.is_ascii_digit()) => self.field_or_root(false)?,
                '.' | '+' | '-' | '0'..='9' => self.number()?,
                c if is_alnum(c) => self.identifier()?,
                ':' | '=' => {
                    return Err((start, "variables ($x := …) are not supported; use $ for the top-level data".into()))
                }
                '\'' => return Err((start, "character constants are not supported; use a \"string\"".into())),
                c => return Err((start, format!("unexpected {c:?} in action"))),
            }
        }
    }

    fn at_terminator(&self) -> bool {
        let rest = &self.src[self.pos..];
        match rest.chars().next() {
            None => true,
            Some(c) => SPACE.contains(&c) || ".,|:()".contains(c) || rest.starts_with("}}"),
        }
    }

    /// The word from `start` runs into a character that cannot follow it.
    fn bad_character(&self, start: usize) -> (usize, String) {
        let c = self.src[self.pos..].chars().next().unwrap_or(' ');
        (self.pos, format!("bad character {c:?} after {:?}", &self.src[start..self.pos]))
    }

    fn alnum_run(&mut self) -> &str {
        let start = self.pos;
        let n: usize = self.src[start..].chars().take_while(|&c| is_alnum(c)).map(char::len_utf8).sum();
        self.pos += n;
        &self.src[start..self.pos]
    }

    fn field_or_root(&mut self, root: bool) -> Located<()> {
        let start = self.pos;
        self.pos += 1;
        if self.at_terminator() {
            self.emit(if root { Tok::Root } else { Tok::Dot }, start);
            return Ok(());
        }
        let name = self.alnum_run().to_string();
        if !self.at_terminator() {
            return Err(self.bad_character(start));
        }
        if root {
            return Err((start, format!("variables (${name}) are not supported; only $ (the top-level data)")));
        }
        self.emit(Tok::Field(name), start);
        Ok(())
    }

    fn identifier(&mut self) -> Located<()> {
        let start = self.pos;
        let word = self.alnum_run().to_string();
        if !self.at_terminator() {
            return Err(self.bad_character(start));
        }
        let tok = match word.as_str() {
            "if" => Tok::If,
            "else" => Tok::Else,
            "end" => Tok::End,
            "with" => Tok::With,
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "nil" => Tok::Nil,
            "range" => Tok::Unsupported("range"),
            "define" => Tok::Unsupported("define"),
            "template" => Tok::Unsupported("template"),
            "block" => Tok::Unsupported("block"),
            "break" => Tok::Unsupported("break"),
            "continue" => Tok::Unsupported("continue"),
            _ => Tok::Ident(word),
        };
        self.emit(tok, start);
        Ok(())
    }

    /// Decimal integers only: Go would also read 0x10, 010 (octal), 1.5, 1e3, 'a' and 1i, and a
    /// different reading would silently change a name.
    fn number(&mut self) -> Located<()> {
        let start = self.pos;
        let b = self.src.as_bytes();
        let mut i = start;
        if matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let digits = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let more = self.src[i..].chars().next().is_some_and(|c| c == '.' || is_alnum(c));
        let text = &self.src[start..i];
        let word_end =
            i + self.src[i..].chars().take_while(|&c| c == '.' || is_alnum(c)).map(char::len_utf8).sum::<usize>();
        let word = &self.src[start..word_end];
        if i == digits && !more {
            return Err((start, format!("bad number syntax: {:?}", &self.src[start..i.max(start + 1)])));
        }
        if more || i == digits || (b[digits] == b'0' && i - digits > 1) {
            return Err((start, format!("number {word:?}: only decimal integers are supported")));
        }
        let n = text.parse::<i64>().map_err(|_| (start, format!("number {text} is too large")))?;
        self.emit(Tok::Int(n), start);
        self.pos = i;
        Ok(())
    }

    fn quote(&mut self) -> Located<()> {
        let start = self.pos;
        let b = self.src.as_bytes();
        let mut i = start + 1;
        loop {
            match b.get(i) {
                None | Some(b'\n') => return Err((start, "unterminated quoted string".into())),
                Some(b'\\') => match b.get(i + 1) {
                    None | Some(b'\n') => return Err((start, "unterminated quoted string".into())),
                    _ => i += 2,
                },
                Some(b'"') => break,
                _ => i += 1,
            }
        }
        // `i` sits on ASCII bytes only, so these slices are on char boundaries.
        let value = unquote(&self.src[start + 1..i]).map_err(|e| (start, e))?;
        self.emit(Tok::Str(value), start);
        self.pos = i + 1;
        Ok(())
    }

    fn raw_quote(&mut self) -> Located<()> {
        let start = self.pos;
        let Some(x) = self.src[start + 1..].find('`') else {
            return Err((start, "unterminated raw quoted string".into()));
        };
        // strconv.Unquote drops carriage returns from raw strings.
        let value = self.src[start + 1..start + 1 + x].replace('\r', "");
        self.emit(Tok::Str(value), start);
        self.pos = start + x + 2;
        Ok(())
    }
}

/// Go's strconv.Unquote for the inside of a "…" string. Byte escapes above 0x7f would make
/// invalid UTF-8 names, so they are refused.
fn unquote(s: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or("unterminated escape")?;
        let mut hex = |n: usize| -> std::result::Result<u32, String> {
            let digits: String = chars.by_ref().take(n).collect();
            if digits.len() != n || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                return Err(format!("invalid escape \\{e}{digits} in string"));
            }
            Ok(u32::from_str_radix(&digits, 16).expect("checked hex digits"))
        };
        let code = match e {
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0c,
            'n' => 0x0a,
            'r' => 0x0d,
            't' => 0x09,
            'v' => 0x0b,
            '\\' => 0x5c,
            '"' => 0x22,
            'x' => hex(2)?,
            'u' => hex(4)?,
            'U' => hex(8)?,
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let digits = format!("{e}{rest}");
                if digits.len() != 3 || !digits.chars().all(|d| ('0'..='7').contains(&d)) {
                    return Err(format!("invalid escape \\{digits} in string"));
                }
                u32::from_str_radix(&digits, 8).expect("checked octal digits")
            }
            _ => return Err(format!("invalid escape \\{e} in string")),
        };
        if matches!(e, 'x' | '0'..='7') && code > 0x7f {
            return Err(format!("escape for byte {code:#x} is not supported (not valid UTF-8 on its own)"));
        }
        out.push(char::from_u32(code).ok_or_else(|| format!("escape \\{e} gives an invalid character"))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parser: the shape of Go's text/template/parse/parse.go.

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Pipe),
    If { pipe: Pipe, then: Vec<Node>, els: Option<Vec<Node>> },
    With { pipe: Pipe, then: Vec<Node>, els: Option<Vec<Node>> },
}

#[derive(Debug, Clone)]
struct Pipe {
    cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
struct Cmd {
    pos: usize,
    args: Vec<Operand>,
}

#[derive(Debug, Clone)]
struct Operand {
    pos: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
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

// ---------------------------------------------------------------------------------------------
// Execution: Go's text/template/exec.go and funcs.go, with GoReleaser's function map.

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    /// The data itself (Go: map[string]any with the fields and "Env").
    Root,
    /// `.Env` (Go: map[string]string).
    Env,
}

struct Exec<'a> {
    data: &'a Data,
}

impl Exec<'_> {
    fn walk(&self, dot: &Value, nodes: &[Node], out: &mut String) -> Located<()> {
        for node in nodes {
            match node {
                Node::Text(s) => out.push_str(s),
                Node::Action(pipe) => {
                    let v = self.pipe(dot, pipe)?;
                    out.push_str(&self.format(&v, 'v'));
                }
                Node::If { pipe, then, els } => {
                    let v = self.pipe(dot, pipe)?;
                    if self.truth(&v) {
                        self.walk(dot, then, out)?;
                    } else if let Some(els) = els {
                        self.walk(dot, els, out)?;
                    }
                }
                Node::With { pipe, then, els } => {
                    let v = self.pipe(dot, pipe)?;
                    if self.truth(&v) {
                        self.walk(&v, then, out)?;
                    } else if let Some(els) = els {
                        self.walk(dot, els, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn truth(&self, v: &Value) -> bool {
        match v {
            Value::Str(s) => !s.is_empty(),
            Value::Int(n) => *n != 0,
            Value::Bool(b) => *b,
            Value::Root => true,
            Value::Env => !self.data.env.is_empty(),
        }
    }

    fn pipe(&self, dot: &Value, pipe: &Pipe) -> Located<Value> {
        let mut fin = None;
        for cmd in &pipe.cmds {
            fin = Some(self.command(dot, cmd, fin)?);
        }
        Ok(fin.expect("the parser rejects empty pipelines"))
    }

    /// `fin` is the value piped in from the previous command, passed as the last argument.
    fn command(&self, dot: &Value, cmd: &Cmd, fin: Option<Value>) -> Located<Value> {
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || fin.is_some();
        let not_a_function = |what: &str| -> Located<()> {
            if has_args {
                return Err((first.pos, format!("can't give an argument to {what}, which is not a function")));
            }
            Ok(())
        };
        match &first.kind {
            Kind::Func(name) => self.call(dot, name, first.pos, &cmd.args[1..], fin),
            Kind::Field(names) => self.chain(dot.clone(), names, first.pos, has_args, true),
            Kind::Root(names) if names.is_empty() => {
                not_a_function("$")?;
                Ok(Value::Root)
            }
            Kind::Root(names) => self.chain(Value::Root, names, first.pos, has_args, false),
            Kind::Chain(base, names) => {
                let b = self.arg(dot, base)?;
                self.chain(b, names, first.pos, has_args, false)
            }
            Kind::Pipe(p) => {
                not_a_function("a parenthesized pipeline")?;
                self.pipe(dot, p)
            }
            Kind::Nil => Err((first.pos, "nil is not a command".into())),
            Kind::Dot => {
                not_a_function(".")?;
                Ok(dot.clone())
            }
            Kind::Str(s) => {
                not_a_function(&format!("{s:?}"))?;
                Ok(Value::Str(s.clone()))
            }
            Kind::Int(n) => {
                not_a_function(&n.to_string())?;
                Ok(Value::Int(*n))
            }
            Kind::Bool(b) => {
                not_a_function(&b.to_string())?;
                Ok(Value::Bool(*b))
            }
        }
    }

    /// An operand as a function argument.
    fn arg(&self, dot: &Value, op: &Operand) -> Located<Value> {
        match &op.kind {
            Kind::Dot => Ok(dot.clone()),
            Kind::Field(names) => self.chain(dot.clone(), names, op.pos, false, true),
            Kind::Root(names) => self.chain(Value::Root, names, op.pos, false, false),
            Kind::Chain(base, names) => {
                let b = self.arg(dot, base)?;
                self.chain(b, names, op.pos, false, false)
            }
            Kind::Pipe(p) => self.pipe(dot, p),
            Kind::Func(name) => self.call(dot, name, op.pos, &[], None),
            Kind::Str(s) => Ok(Value::Str(s.clone())),
            Kind::Int(n) => Ok(Value::Int(*n)),
            Kind::Bool(b) => Ok(Value::Bool(*b)),
            Kind::Nil => Err((op.pos, "nil is not a valid argument".into())),
        }
    }

    /// Looks up `names` one after another starting at `recv`; `from_dot` says the chain was
    /// written `.A` (relative to the dot) rather than `$.A` or `(…).A`.
    fn chain(&self, mut recv: Value, names: &[String], pos: usize, has_args: bool, from_dot: bool) -> Located<Value> {
        let prefix = if from_dot {
            ""
        } else if matches!(recv, Value::Root) {
            "$"
        } else {
            "(…)"
        };
        for (i, name) in names.iter().enumerate() {
            let shown = format!("{prefix}.{}", names[..=i].join("."));
            if has_args && i == names.len() - 1 {
                return Err((pos, format!("{shown} is not a function but has arguments")));
            }
            recv = match &recv {
                Value::Root if name == "Env" => Value::Env,
                Value::Root => match self.data.fields.get(name) {
                    Some(v) => Value::Str(v.clone()),
                    None => return Err((pos, self.no_field(name, &shown))),
                },
                Value::Env => match self.data.env.get(name) {
                    Some(v) => Value::Str(v.clone()),
                    None => {
                        return Err((
                            pos,
                            format!(
                                "no field {shown}: {name} is not in the environment \
                                 (envOrDefault \"{name}\" \"…\" allows an unset one)"
                            ),
                        ))
                    }
                },
                other => {
                    let hint = if from_dot && i == 0 {
                        format!("; inside {{{{ with }}}} the dot is that value, write $.{name} for the top-level field")
                    } else {
                        String::new()
                    };
                    return Err((
                        pos,
                        format!(
                            "can't evaluate field {name} in {} {}{hint}",
                            type_name(other),
                            self.format(other, 'v')
                        ),
                    ));
                }
            };
        }
        Ok(recv)
    }

    fn no_field(&self, name: &str, shown: &str) -> String {
        let mut known: Vec<&str> = self.data.fields.keys().map(String::as_str).collect();
        if !self.data.fields.contains_key("Env") {
            known.push("Env");
        }
        known.sort_unstable();
        let close = known
            .iter()
            .map(|k| (edit_distance(&k.to_lowercase(), &name.to_lowercase()), *k))
            .filter(|(d, k)| *d <= 2.max(k.len() / 3))
            .min();
        let hint = close.map(|(_, k)| format!("; did you mean .{k}?")).unwrap_or_default();
        let list: Vec<String> = known.iter().map(|k| format!(".{k}")).collect();
        format!("no field {shown}{hint} (known: {})", list.join(", "))
    }

    fn call(&self, dot: &Value, name: &str, pos: usize, args: &[Operand], fin: Option<Value>) -> Located<Value> {
        let given = args.len() + usize::from(fin.is_some());
        let (min, max) = match name {
            "and" | "or" | "eq" | "printf" => (1, None),
            "ne" | "contains" | "trimprefix" | "trimsuffix" | "envOrDefault" => (2, Some(2)),
            "replace" => (3, Some(3)),
            _ => (1, Some(1)),
        };
        if given < min || max.is_some_and(|m| given > m) {
            let want = match max {
                Some(m) => m.to_string(),
                None => format!("at least {min}"),
            };
            return Err((pos, format!("wrong number of arguments for {name}: want {want}, got {given}")));
        }
        if name == "and" || name == "or" {
            // Go stops at the argument that decides and returns it; a piped-in value is
            // already evaluated and is the answer when no argument decided.
            let is_or = name == "or";
            let mut last = None;
            for a in args {
                let v = self.arg(dot, a)?;
                if self.truth(&v) == is_or {
                    return Ok(v);
                }
                last = Some(v);
            }
            return Ok(fin.or(last).expect("arity checked"));
        }
        let mut vals = Vec::with_capacity(given);
        for a in args {
            vals.push(self.arg(dot, a)?);
        }
        vals.extend(fin);
        let err = |msg: String| (pos, format!("error calling {name}: {msg}"));
        let s = |i: usize| -> Located<&str> {
            match &vals[i] {
                Value::Str(s) => Ok(s),
                other => Err(err(format!(
                    "argument {} must be a string, not {} {}",
                    i + 1,
                    type_name(other),
                    self.format(other, 'v')
                ))),
            }
        };
        let env = &self.data.env;
        Ok(match name {
            "eq" => {
                if vals.len() < 2 {
                    return Err(err("missing argument for comparison".into()));
                }
                for other in &vals[1..] {
                    match compare(&vals[0], other) {
                        Some(true) => return Ok(Value::Bool(true)),
                        Some(false) => {}
                        None => return Err(err(self.incomparable(&vals[0], other))),
                    }
                }
                Value::Bool(false)
            }
            "ne" => match compare(&vals[0], &vals[1]) {
                Some(eq) => Value::Bool(!eq),
                None => return Err(err(self.incomparable(&vals[0], &vals[1]))),
            },
            "not" => Value::Bool(!self.truth(&vals[0])),
            "len" => Value::Int(match &vals[0] {
                Value::Str(s) => s.len() as i64,
                Value::Env => env.len() as i64,
                Value::Root => (self.data.fields.len() + usize::from(!self.data.fields.contains_key("Env"))) as i64,
                other => return Err(err(format!("len of type {}", type_name(other)))),
            }),
            "tolower" => Value::Str(s(0)?.chars().map(simple_lower).collect()),
            "toupper" => Value::Str(s(0)?.chars().map(simple_upper).collect()),
            "title" => Value::Str(title(s(0)?)),
            "trim" => Value::Str(s(0)?.trim().to_string()),
            "trimprefix" => Value::Str(s(0)?.strip_prefix(s(1)?).unwrap_or(s(0)?).to_string()),
            "trimsuffix" => Value::Str(s(0)?.strip_suffix(s(1)?).unwrap_or(s(0)?).to_string()),
            "replace" => Value::Str(s(0)?.replace(s(1)?, s(2)?)),
            "contains" => Value::Bool(s(0)?.contains(s(1)?)),
            "printf" => Value::Str(self.sprintf(s(0)?, &vals[1..]).map_err(err)?),
            "envOrDefault" => Value::Str(env.get(s(0)?).map_or(s(1)?, String::as_str).to_string()),
            // GoReleaser counts a variable set to "" as unset here, but not in envOrDefault.
            "isEnvSet" => Value::Bool(env.get(s(0)?).is_some_and(|v| !v.is_empty())),
            _ => unreachable!("the parser accepts only FUNCS"),
        })
    }

    fn incomparable(&self, a: &Value, b: &Value) -> String {
        format!("incompatible types for comparison: {} and {}", type_name(a), type_name(b))
    }

    /// fmt.Sprintf for %s, %d, %v and %%, with Go's %!verb(type=value) for mismatches.
    fn sprintf(&self, format: &str, args: &[Value]) -> std::result::Result<String, String> {
        let mut out = String::new();
        let mut chars = format.chars();
        let mut used = 0;
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                None => out.push_str("%!(NOVERB)"),
                Some('%') => out.push('%'),
                Some(verb @ ('s' | 'd' | 'v')) => match args.get(used) {
                    Some(a) => {
                        used += 1;
                        out.push_str(&self.format(a, verb));
                    }
                    None => {
                        let _ = write!(out, "%!{verb}(MISSING)");
                    }
                },
                Some(other) => return Err(format!("printf supports only %s, %d, %v and %%, not %{other}")),
            }
        }
        if used < args.len() {
            let extra: Vec<String> =
                args[used..].iter().map(|a| format!("{}={}", type_name(a), self.format(a, 'v'))).collect();
            let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
        }
        Ok(out)
    }

    /// How fmt prints `v` with `verb`; maps print as map[k:v …] with sorted keys, the verb
    /// applied to each key and value.
    fn format(&self, v: &Value, verb: char) -> String {
        let map = |entries: Vec<(String, String)>| {
            let inner: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", inner.join(" "))
        };
        let s = |x: &str| self.format(&Value::Str(x.to_string()), verb);
        match (v, verb) {
            (Value::Str(x), 's' | 'v') => x.clone(),
            (Value::Int(n), 'd' | 'v') => n.to_string(),
            (Value::Bool(b), 'v') => b.to_string(),
            (Value::Str(_) | Value::Int(_) | Value::Bool(_), _) => {
                format!("%!{verb}({}={})", type_name(v), self.format(v, 'v'))
            }
            (Value::Env, _) => map(self.data.env.iter().map(|(k, x)| (s(k), s(x))).collect()),
            (Value::Root, _) => {
                let mut entries: BTreeMap<&str, String> =
                    self.data.fields.iter().map(|(k, x)| (k.as_str(), s(x))).collect();
                entries.insert("Env", self.format(&Value::Env, verb));
                map(entries.into_iter().map(|(k, x)| (s(k), x)).collect())
            }
        }
    }
}

fn compare(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x == y),
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        _ => None,
    }
}

/// Go's type names, as they appear in fmt's %!verb(type=value) and in errors.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Int(_) => "int",
        Value::Bool(_) => "bool",
        Value::Root => "tmpl.Fields",
        Value::Env => "context.Env",
    }
}

/// Go's strings.ToLower maps rune by rune (simple case mapping); Rust's full mapping can give
/// several characters, where Go keeps the rune (except İ, whose simple lower case is i).
fn simple_lower(c: char) -> char {
    let mut m = c.to_lowercase();
    match (m.next(), m.next()) {
        (Some(x), None) => x,
        _ if c == 'İ' => 'i',
        _ => c,
    }
}

fn simple_upper(c: char) -> char {
    let mut m = c.to_uppercase();
    match (m.next(), m.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// GoReleaser's `title` is `cases.Title(language.English)`: the first cased letter of each word
/// goes upper case and the rest of the word lower case ("macOS" -> "Macos"). Words run over
/// letters, digits, `_` and single `.`, `:` or `'` ("x86_64" -> "X86_64", "a.b" -> "A.b",
/// "foo-bar" -> "Foo-Bar"), as x/text's word breaking does for ASCII; other scripts are close.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    let mut prev_mid = false;
    for c in s.chars() {
        let mid = matches!(c, '.' | ':' | '\'' | '·' | '’');
        if prev_mid && mid {
            in_word = false;
        }
        if c.is_lowercase() || c.is_uppercase() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                let mut upper = c.to_uppercase();
                out.extend(upper.next());
                out.extend(upper.flat_map(char::to_lowercase));
                in_word = true;
            }
        } else {
            if !(mid || is_alnum(c)) {
                in_word = false;
            }
            out.push(c);
        }
        prev_mid = mid;
    }
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(fields: &[(&str, &str)]) -> Data {
        Data { fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), env: BTreeMap::new() }
    }

    /// GoReleaser's fields for one target: every per-target key is present, empty when unused.
    fn target(os: &str, arch: &str, arm: &str, amd64: &str) -> Data {
        data(&[
            ("ProjectName", "hello"),
            ("Version", "1.2.3"),
            ("Os", os),
            ("Arch", arch),
            ("Arm", arm),
            ("Amd64", amd64),
            ("Mips", ""),
        ])
    }

    fn render(t: &str, d: &Data) -> String {
        Template::parse(t).unwrap().render(d).unwrap()
    }

    fn parse_err(t: &str) -> String {
        Template::parse(t).unwrap_err().to_string()
    }

    fn render_err(t: &str, d: &Data) -> String {
        Template::parse(t).unwrap().render(d).unwrap_err().to_string()
    }

    const DEFAULT_ARCHIVE: &str = "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";

    const INIT_ARCHIVE: &str = "{{ .ProjectName }}_
{{- title .Os }}_
{{- if eq .Arch \"amd64\" }}x86_64
{{- else if eq .Arch \"386\" }}i386
{{- else }}{{ .Arch }}{{ end }}
{{- if .Arm }}v{{ .Arm }}{{ end }}";

    #[test]
    fn goreleaser_default_archive_name() {
        let t = Template::parse(DEFAULT_ARCHIVE).unwrap();
        assert_eq!(t.render(&target("linux", "amd64", "", "v1")).unwrap(), "hello_1.2.3_linux_amd64");
        assert_eq!(t.render(&target("darwin", "arm64", "", "")).unwrap(), "hello_1.2.3_darwin_arm64");
        assert_eq!(t.render(&target("linux", "arm", "7", "")).unwrap(), "hello_1.2.3_linux_armv7");
        assert_eq!(t.render(&target("linux", "amd64", "", "v3")).unwrap(), "hello_1.2.3_linux_amd64v3");
        let mut mips = target("linux", "mips", "", "");
        mips.fields.insert("Mips".into(), "softfloat".into());
        assert_eq!(t.render(&mips).unwrap(), "hello_1.2.3_linux_mips_softfloat");
        assert_eq!(t.fields(), ["Amd64", "Arch", "Arm", "Mips", "Os", "ProjectName", "Version"]);
        assert_eq!(t.source(), DEFAULT_ARCHIVE);
    }

    #[test]
    fn goreleaser_init_archive_name() {
        let t = Template::parse(INIT_ARCHIVE).unwrap();
        assert_eq!(t.render(&target("linux", "amd64", "", "v1")).unwrap(), "hello_Linux_x86_64");
        assert_eq!(t.render(&target("darwin", "arm64", "", "")).unwrap(), "hello_Darwin_arm64");
        assert_eq!(t.render(&target("windows", "386", "", "")).unwrap(), "hello_Windows_i386");
        assert_eq!(t.render(&target("linux", "arm", "6", "")).unwrap(), "hello_Linux_armv6");
        assert_eq!(t.render(&target("freebsd", "riscv64", "", "")).unwrap(), "hello_Freebsd_riscv64");
    }

    #[test]
    fn goreleaser_default_checksum_name() {
        let d = target("linux", "amd64", "", "v1");
        assert_eq!(render("{{ .ProjectName }}_{{ .Version }}_checksums.txt", &d), "hello_1.2.3_checksums.txt");
    }

    #[test]
    fn trim_markers_follow_go() {
        let d = data(&[("A", "a")]);
        assert_eq!(render("x \n\t{{- .A -}} \r\n y", &d), "xay");
        assert_eq!(render("x {{- .A }} y", &d), "xa y");
        assert_eq!(render("x {{ .A -}} y", &d), "x ay");
        // Without the space the dash is not a trim marker (Go reads `{{-3}}` as -3).
        assert_eq!(render("x {{-3}} y", &d), "x -3 y");
        assert_eq!(render("x {{ 3 }} {{- /* c */ -}} y", &d), "x 3y");
        assert_eq!(render("a\n{{/* multi\nline */}}\nb", &d), "a\n\nb");
        assert_eq!(render("x{{.A}}y{{\n.A\n}}z", &d), "xayaz");
    }

    #[test]
    fn functions() {
        let mut d = data(&[("Os", "Linux"), ("Arch", "amd64"), ("Version", "v1.2.3"), ("Empty", "")]);
        d.env.insert("FOO".into(), "bar".into());
        d.env.insert("BLANK".into(), String::new());
        let cases = [
            ("{{ tolower .Os }}-{{ .Os | toupper }}", "linux-LINUX"),
            ("{{ replace .Version \"v\" \"\" }}", "1.2.3"),
            // A pipe passes its value last: this is TrimPrefix("v", "v1.2.3"), as in Go.
            ("{{ .Version | trimprefix \"v\" }}", "v"),
            ("{{ trimprefix .Version \"v\" }}|{{ trimsuffix \"a.tar.gz\" \".gz\" }}", "1.2.3|a.tar"),
            ("{{ trim \" \\t x \\n\" }}", "x"),
            ("{{ title \"macOS x86_64 foo-bar a.b\" }}", "Macos X86_64 Foo-Bar A.b"),
            ("{{ contains .Os \"nu\" }} {{ contains .Os \"z\" }}", "true false"),
            ("{{ len .Os }} {{ len .Env }}", "5 2"),
            ("{{ if eq .Arch \"386\" \"amd64\" \"arm64\" }}ok{{ end }}", "ok"),
            ("{{ eq .Arch \"386\" \"arm\" }} {{ ne .Arch \"386\" }}", "false true"),
            ("{{ and .Os .Empty .Arch }}|{{ and .Os .Arch }}|{{ or .Empty .Arch }}|{{ or .Empty \"\" }}|", "|amd64|amd64||"),
            ("{{ \"\" | and \"x\" }}|{{ \"y\" | or \"\" }}", "|y"),
            ("{{ not .Empty }} {{ not .Os }}", "true false"),
            ("{{ .Env.FOO }}", "bar"),
            ("{{ envOrDefault \"FOO\" \"d\" }} {{ envOrDefault \"NOPE\" \"d\" }} {{ envOrDefault \"BLANK\" \"d\" }}|", "bar d |"),
            ("{{ isEnvSet \"FOO\" }} {{ isEnvSet \"BLANK\" }} {{ isEnvSet \"NOPE\" }}", "true false false"),
            ("{{ printf \"%s-%d-%v%%\" .Os 42 true }}", "Linux-42-true%"),
            ("{{ printf \"%d %s\" .Os 3 }}{{ printf \"%s\" }}{{ printf \"x\" 1 }}", "%!d(string=Linux) %!s(int=3)%!s(MISSING)x%!(EXTRA int=1)"),
            ("{{ with .Env }}{{ .FOO }}{{ end }} {{ .Env }}", "bar map[BLANK: FOO:bar]"),
            ("{{ with .Os }}{{ . }}/{{ $.Arch }}{{ end }}", "Linux/amd64"),
            ("{{ with .Empty }}x{{ else }}{{ .Os }}{{ end }}", "Linux"),
            ("{{ with .Empty }}x{{ else with .Arch }}{{ . }}{{ end }}", "amd64"),
            ("{{ if .Empty }}a{{ else if .Empty }}b{{ else if .Arch }}c{{ else }}d{{ end }}", "c"),
            ("{{ if (eq .Arch \"amd64\") }}{{ if .Empty }}1{{ else }}{{ with .Os }}{{ . | tolower }}{{ end }}{{ end }}{{ end }}", "linux"),
            ("{{ (tolower .Os) | toupper }} {{ `raw\\n` }} {{ \"q\\\"\\u00e9\\x41\\101\" }}", "LINUX raw\\n q\"éAA"),
            ("a{{/* a comment */}}b{{- /* trimmed */ -}} c", "abc"),
            ("{{ .Os | printf \"%s!\" }}", "Linux!"),
        ];
        for (t, want) in cases {
            assert_eq!(render(t, &d), want, "template {t}");
        }
    }

    #[test]
    fn fields_lists_first_names() {
        let t = Template::parse(
            "{{ .Env.FOO }}{{ with .Arm }}{{ $.Os }}{{ . }}{{ end }}{{ if (eq .Arch \"x\") }}{{ end }}",
        )
        .unwrap();
        assert_eq!(t.fields(), ["Arch", "Arm", "Env", "Os"]);
    }

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

    #[test]
    fn render_errors() {
        let d = data(&[("Os", "linux"), ("Arch", "amd64")]);
        assert_eq!(
            render_err("{{ .Oss }}", &d),
            "template {{ .Oss }}: column 4: no field .Oss; did you mean .Os? (known: .Arch, .Env, .Os)"
        );
        assert_eq!(
            render_err("{{ .Env.FOO }}", &d),
            "template {{ .Env.FOO }}: column 4: no field .Env.FOO: FOO is not in the environment \
             (envOrDefault \"FOO\" \"…\" allows an unset one)"
        );
        assert_eq!(
            render_err("{{ with .Os }}{{ .Arch }}{{ end }}", &d),
            "template {{ with .Os }}{{ .Arch }}{{ end }}: column 18: can't evaluate field Arch in string linux; \
             inside {{ with }} the dot is that value, write $.Arch for the top-level field"
        );
        assert_eq!(
            render_err("{{ eq .Os 1 }}", &d),
            "template {{ eq .Os 1 }}: column 4: error calling eq: incompatible types for comparison: string and int"
        );
        assert_eq!(
            render_err("{{ tolower }}", &d),
            "template {{ tolower }}: column 4: wrong number of arguments for tolower: want 1, got 0"
        );
        assert_eq!(
            render_err("{{ tolower (len .Os) }}", &d),
            "template {{ tolower (len .Os) }}: column 4: error calling tolower: argument 1 must be a string, not int 5"
        );
        assert_eq!(
            render_err("{{ .Os \"x\" }}", &d),
            "template {{ .Os \"x\" }}: column 4: .Os is not a function but has arguments"
        );
        // An error in an untaken branch is not one, as in Go; the unknown field still shows in fields().
        let t = Template::parse("{{ if eq .Os \"linux\" }}ok{{ else }}{{ .Nope }}{{ end }}").unwrap();
        assert_eq!(t.render(&d).unwrap(), "ok");
        assert_eq!(t.fields(), ["Nope", "Os"]);
    }
}
