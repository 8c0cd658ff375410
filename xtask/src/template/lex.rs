//! The template lexer: a transcription of Go's `text/template/parse/lex.go` for the items this
//! evaluator supports, so trim markers, comments and spaces come out exactly as Go's do; and Go's
//! `strconv.Unquote` for string literals.

use super::Located;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
}

pub(super) fn describe(tok: &Tok) -> String {
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

pub(super) fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

pub(super) fn lex(src: &str) -> Vec<Token> {
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

#[cfg(test)]
mod tests {
    use crate::template::tests::{data, render};

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
}
