//! Property tests of the settings: any key with any value, whole documents, arbitrary bytes.

use proptest::prelude::*;

use super::*;

/// Every key of `dist.toml` by table (`[[binaries]]`, `[[archives]]` and `[[packages]]` apart).
const KEYS: &[(&str, &[&str])] = &[
    ("app", &["dir", "main", "binary", "name", "go", "image"]),
    ("build", &["ldflags", "tags", "flags", "env"]),
    ("build.stamp", &["version", "commit", "date"]),
    ("targets", &["os", "arch", "arm", "ignore", "list"]),
    ("archive", ARCHIVE_KEYS),
    ("checksum", &["name"]),
];
const BINARY_KEYS: &[&str] = &["main", "name", "flags", "ldflags"];
/// `[archive]`'s keys, and each `[[archives]]` entry's.
const ARCHIVE_KEYS: &[&str] = &["id", "binaries", "name", "format", "formats", "replacements", "files", "wrap"];

/// Strings that mean something to some key, and some that break things.
const INTERESTING: &[&str] = &[
    "",
    ".",
    "..",
    "/",
    "./cmd/hello",
    "-x",
    "-toolexec=/bin/sh",
    "hello",
    "a b",
    "ünï",
    "linux",
    "amd64",
    "arm",
    "7",
    "v7",
    "linux/amd64",
    "linux/arm/v7",
    "Linux/AMD64",
    "a/b/c/d",
    "1.26.8",
    "1.26",
    "golang:latest",
    "golang:1.26.8",
    "golang",
    "{{ .Os }}",
    "{{",
    "}}",
    "{{ .Nope }}",
    "{{ if }}",
    "{{ end }}",
    "tar.gz",
    "zip",
    "binary",
    "windows",
    "GOOS",
    "A=B",
    "\0",
    "../../etc",
    "/etc/passwd",
    "README*",
    "[",
    "**",
    "\n",
    "\u{1b}[2J",
];

#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Value>),
    Table(Vec<(String, Value)>),
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(INTERESTING).prop_map(str::to_owned),
        2 => any::<String>(),
        1 => "[a-z0-9./{} -]{0,16}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => string().prop_map(Value::Str),
        1 => any::<i64>().prop_map(Value::Int),
        1 => any::<f64>().prop_map(Value::Float),
        1 => any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            1 => prop::collection::vec((string(), inner), 0..3).prop_map(Value::Table),
        ]
    })
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// TOML text of a value, on one line.
fn toml(v: &Value) -> String {
    match v {
        Value::Str(s) => quote(s),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.into(),
        Value::Float(f) => format!("{f:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(toml).collect::<Vec<_>>().join(", ")),
        Value::Table(entries) => {
            let mut seen = std::collections::BTreeSet::new();
            let entries: Vec<String> = entries
                .iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| format!("{} = {}", quote(k), toml(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// A document: some of the real keys, each with an arbitrary value; maybe [[binaries]] and [[archives]].
#[derive(Debug, Clone)]
struct Doc {
    keys: Vec<(&'static str, &'static str, Value)>,
    binaries: Vec<Vec<(&'static str, Value)>>,
    archives: Vec<Vec<(&'static str, Value)>>,
}

impl Doc {
    fn text(&self) -> String {
        let mut out = String::new();
        for (table, _) in KEYS {
            let here: Vec<_> = self.keys.iter().filter(|(t, _, _)| t == table).collect();
            if !here.is_empty() {
                out.push_str(&format!("[{table}]\n"));
            }
            let mut seen = std::collections::BTreeSet::new();
            for (_, key, v) in here.into_iter().filter(|(_, k, _)| seen.insert(*k)) {
                out.push_str(&format!("{key} = {}\n", toml(v)));
            }
        }
        for (table, entries) in [("binaries", &self.binaries), ("archives", &self.archives)] {
            for entry in entries {
                out.push_str(&format!("[[{table}]]\n"));
                let mut seen = std::collections::BTreeSet::new();
                for (key, v) in entry.iter().filter(|(k, _)| seen.insert(*k)) {
                    out.push_str(&format!("{key} = {}\n", toml(v)));
                }
            }
        }
        out
    }

    /// The names an error about this document may name it by.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (table, key, _) in &self.keys {
            names.extend([table.to_string(), key.to_string()]);
        }
        for (table, entries) in [("binaries", &self.binaries), ("archives", &self.archives)] {
            if !entries.is_empty() {
                names.push(table.into());
                names.extend(entries.iter().flatten().map(|(k, _)| k.to_string()));
            }
        }
        names
    }
}

fn key() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(KEYS.iter().flat_map(|(t, ks)| ks.iter().map(move |k| (*t, *k))).collect::<Vec<_>>())
}

fn strings() -> impl Strategy<Value = Value> {
    prop::collection::vec(string().prop_map(Value::Str), 0..4).prop_map(Value::Array)
}

/// A value of the type `key` takes (its content still arbitrary), or mostly so: what gets past the parser.
fn typed(key: &str) -> BoxedStrategy<Value> {
    let format =
        || prop_oneof![prop::sample::select(&["tar.gz", "zip", "binary"][..]).prop_map(str::to_owned), string()];
    let right: BoxedStrategy<Value> = match key {
        "ldflags" | "tags" | "flags" | "os" | "arch" | "arm" | "ignore" | "list" | "files" | "binaries" => {
            strings().boxed()
        }
        "env" | "replacements" => {
            prop::collection::vec((string(), string().prop_map(Value::Str)), 0..3).prop_map(Value::Table).boxed()
        }
        "formats" => {
            prop::collection::vec((string(), format().prop_map(Value::Str)), 0..3).prop_map(Value::Table).boxed()
        }
        "format" => format().prop_map(Value::Str).boxed(),
        "wrap" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => string().prop_map(Value::Str).boxed(),
    };
    prop_oneof![4 => right, 1 => value()].boxed()
}

fn keyed() -> impl Strategy<Value = (&'static str, &'static str, Value)> {
    key().prop_flat_map(|(t, k)| typed(k).prop_map(move |v| (t, k, v)))
}

fn doc() -> impl Strategy<Value = Doc> {
    let entry = |keys: &'static [&'static str]| {
        let key = prop::sample::select(keys).prop_flat_map(|k| typed(k).prop_map(move |v| (k, v)));
        prop::collection::vec(key, 0..3)
    };
    (
        prop::collection::vec(keyed(), 0..5),
        prop::collection::vec(entry(BINARY_KEYS), 0..2),
        prop::collection::vec(entry(ARCHIVE_KEYS), 0..3),
    )
        .prop_map(|(keys, binaries, archives)| Doc { keys, binaries, archives })
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

fn load(dir: &Path, content: &[u8]) -> (PathBuf, anyhow::Result<Resolved>) {
    let file = dir.join("dist settings.toml");
    std::fs::write(&file, content).unwrap();
    let result = Settings::load(&file);
    (file, result)
}

proptest! {
    #![proptest_config(config())]

    /// One key with any value: accepted, or refused with a message naming that key and the file.
    #[test]
    fn one_key_any_value_names_the_key((table, key, value) in keyed()) {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("[{table}]\n{key} = {}\n", toml(&value));
        let (file, result) = load(dir.path(), text.as_bytes());
        if let Err(e) = result {
            let msg = format!("{e:#}");
            prop_assert!(msg.contains(&format!("invalid settings in {}", file.display())), "{text}\n→ {msg}");
            prop_assert!(msg.contains(key), "{text}\n→ {msg}");
        }
    }

    /// Several keys and binaries: an error names the file and one of the keys in the document.
    #[test]
    fn documents_of_real_keys_never_panic(doc in doc()) {
        let dir = tempfile::tempdir().unwrap();
        let text = doc.text();
        let (file, result) = load(dir.path(), text.as_bytes());
        match result {
            Ok(r) => {
                prop_assert!(!r.binaries.is_empty() && !r.matrix.targets.is_empty());
                // Every archive set holds some binaries, all of them real.
                prop_assert!(!r.archives.is_empty());
                for a in &r.archives {
                    prop_assert!(!a.binaries.is_empty() && a.binaries.iter().all(|&i| i < r.binaries.len()));
                }
                for b in &r.binaries {
                    prop_assert!(!b.name.is_empty() && !b.name.contains('/') && !b.main.starts_with('-'));
                }
            }
            Err(e) => {
                let msg = format!("{e:#}");
                prop_assert!(msg.contains(&format!("invalid settings in {}", file.display())), "{text}\n→ {msg}");
                prop_assert!(doc.names().iter().any(|n| msg.contains(n.as_str())), "{text}\n→ {msg}");
            }
        }
    }

    /// Any bytes at all (and the template's own file, mangled): an error names the file.
    #[test]
    fn any_bytes_as_the_settings_file(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..4), any::<bool>()).prop_map(
                |(at, insert, truncate)| {
                    let mut good = std::fs::read(crate::project::root().join("dist.toml")).unwrap();
                    let at = at.index(good.len());
                    if truncate {
                        good.truncate(at);
                    }
                    good.splice(at..at, insert);
                    good
                }
            ),
        ]
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (file, result) = load(dir.path(), &bytes);
        if let Err(e) = result {
            let msg = format!("{e:#}");
            prop_assert!(msg.contains(&file.display().to_string()), "{msg}");
        }
    }
}

/// The documents above are made of every key there is: a new key joins `KEYS`.
#[test]
fn the_generated_documents_cover_every_key() {
    let mut all = Settings::default();
    all.targets.list = vec!["linux/amd64".into()];
    all.binaries = vec![BinarySettings { ldflags: Some(vec![]), ..BinarySettings::default() }];
    let set = Archive { id: Some("x".into()), binaries: vec!["x".into()], ..Archive::default() };
    (all.archive, all.archives) = (Some(set.clone()), vec![set]);
    let value = serde_json::to_value(&all).unwrap();
    let mut found = Vec::new();
    for (table, v) in value.as_object().unwrap() {
        let keys: Vec<&String> = match v {
            serde_json::Value::Array(b) => b[0].as_object().unwrap().keys().collect(),
            v => v.as_object().unwrap().keys().collect(),
        };
        for key in keys {
            if table == "build" && key == "stamp" {
                found.extend(value["build"]["stamp"].as_object().unwrap().keys().map(|k| format!("build.stamp.{k}")));
            } else {
                found.push(format!("{table}.{key}"));
            }
        }
    }
    let mut covered: Vec<String> = KEYS.iter().flat_map(|(t, ks)| ks.iter().map(move |k| format!("{t}.{k}"))).collect();
    covered.extend(BINARY_KEYS.iter().map(|k| format!("binaries.{k}")));
    covered.extend(ARCHIVE_KEYS.iter().map(|k| format!("archives.{k}")));
    found.sort();
    covered.sort();
    assert_eq!(found, covered);
}

#[test]
fn huge_binary_and_odd_files_are_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    // Exactly the limit is fine (a comment of 1 MiB); one byte more is not.
    let mut big = vec![b'#'; MAX_SETTINGS_BYTES as usize - 1];
    big.push(b'\n');
    assert!(load(dir.path(), &big).1.is_ok());
    big.push(b'\n');
    let (file, result) = load(dir.path(), &big);
    let msg = format!("{:#}", result.unwrap_err());
    assert_eq!(
        msg,
        format!(
            "{} is 1048577 bytes: a settings file is at most 1 MiB (1048576 bytes); is it the right file?",
            file.display()
        )
    );

    let (file, result) = load(dir.path(), b"[app]\ngo = \"1.26.8\"\n\x00\x01\x02ELF");
    let msg = format!("{:#}", result.unwrap_err());
    assert!(msg.starts_with(&format!("{} is not a text file (a NUL byte at offset 20)", file.display())), "{msg}");

    let (file, result) = load(dir.path(), b"[app]\nname = \"caf\xe9\"\n");
    let msg = format!("{:#}", result.unwrap_err());
    assert_eq!(msg, format!("{} is not UTF-8 text (byte 17)", file.display()));

    let msg = format!("{:#}", Settings::load(dir.path()).unwrap_err());
    assert!(msg.starts_with(&format!("cannot read {}", dir.path().display())), "{msg}");

    #[cfg(target_os = "linux")]
    {
        // Endless: read no further than the limit.
        let msg = format!("{:#}", Settings::load(Path::new("/dev/zero")).unwrap_err());
        assert!(msg.starts_with("/dev/zero is over 1048576 bytes: a settings file is at most 1 MiB"), "{msg}");
    }
}

#[test]
fn values_that_would_fail_later_are_refused_with_their_key() {
    let err = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        format!("{:#}", load(dir.path(), text.as_bytes()).1.unwrap_err())
    };
    let msg = err("[build]\nldflags = [\"-s\", \"a\\u0000b\"]\n");
    assert!(msg.ends_with("`build.ldflags[1]` = \"a\\0b\" contains a NUL character"), "{msg}");
    let msg = err("[build]\nenv = { \"A\\u0000\" = \"1\" }\n");
    assert!(msg.ends_with("`build.env` has a key \"A\\0\" with a NUL character"), "{msg}");
    let msg = err("[build]\nenv = { \"A=B\" = \"1\" }\n");
    assert!(msg.ends_with("`build.env` has \"A=B\": a variable name is not empty and has no `=`"), "{msg}");
    let msg = err("[app]\nmain = \"-toolexec=/bin/sh\"\n");
    assert!(msg.ends_with("`app.main` = \"-toolexec=/bin/sh\" is not a package path: give the main package, e.g. \".\" or \"./cmd/hello\""), "{msg}");
    let msg = err("[[binaries]]\nmain = \"./a\"\n[[binaries]]\nmain = \"-a\"\n");
    assert!(msg.contains("`binaries[1].main` = \"-a\" is not a package path"), "{msg}");
    let msg = err("[app]\nmain = \"./cmd/.hidden\"\n");
    assert!(msg.ends_with("`app.binary` is not set, and the name taken from `app.main`, \".hidden\", is not a file name: set `app.binary`"), "{msg}");
    let msg = err("[app]\nbinary = \"a\\nb\"\n");
    assert!(msg.ends_with("`app.binary` = \"a\\nb\" is not a file name"), "{msg}");
}
