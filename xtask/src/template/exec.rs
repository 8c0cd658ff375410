//! The template executor: Go's `text/template/exec.go` and `funcs.go` with GoReleaser's function
//! map (`title`, `tolower`, `envOrDefault`, …), printing values as Go's fmt does.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::lex::is_alnum;
use super::parse::{Cmd, Kind, Node, Operand, Pipe};
use super::{Data, Located};

/// Runs `nodes` on `data`, the top-level dot.
pub(super) fn execute(data: &Data, nodes: &[Node]) -> Located<String> {
    let mut out = String::new();
    Exec { data }.walk(&Value::Root, nodes, &mut out)?;
    Ok(out)
}

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
                Value::Root => match (self.data.fields.get(name), self.data.bools.get(name)) {
                    (Some(v), _) => Value::Str(v.clone()),
                    (None, Some(b)) => Value::Bool(*b),
                    (None, None) => return Err((pos, self.no_field(name, &shown))),
                },
                Value::Env => match self.data.env.get(name) {
                    Some(v) => Value::Str(v.clone()),
                    None => {
                        return Err((
                            pos,
                            format!(
                                "no field {shown}: {name} is not in the environment (nor are the variables \
                                 the module download may use, such as GOPROXY, NETRC or HOME; \
                                 envOrDefault \"{name}\" \"…\" allows an unset one)"
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
        let mut known: Vec<&str> = self.data.fields.keys().chain(self.data.bools.keys()).map(String::as_str).collect();
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
    use crate::template::tests::{data, render, render_err};
    use crate::template::Template;

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
    fn render_errors() {
        let d = data(&[("Os", "linux"), ("Arch", "amd64")]);
        assert_eq!(
            render_err("{{ .Oss }}", &d),
            "template {{ .Oss }}: column 4: no field .Oss; did you mean .Os? (known: .Arch, .Env, .Os)"
        );
        assert_eq!(
            render_err("{{ .Env.FOO }}", &d),
            "template {{ .Env.FOO }}: column 4: no field .Env.FOO: FOO is not in the environment (nor are \
             the variables the module download may use, such as GOPROXY, NETRC or HOME; envOrDefault \"FOO\" \"…\" \
             allows an unset one)"
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
