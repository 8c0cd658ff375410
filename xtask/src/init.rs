//! `cargo xtask init`: writes a `dist.toml` for the repository it runs in.
//!
//! With a GoReleaser config (`.goreleaser.yml` and its other spellings) every key
//! `dist.toml` can express is carried over — archive and checksum name templates
//! verbatim, since `dist` evaluates GoReleaser's templates itself — and every key it
//! cannot is named, both in the result and as a comment in the file. GoReleaser's
//! defaults (read from its v2.15.1 source) are written out where they differ from
//! ours, so the release looks the same. Without a config, the settings come from
//! `go.mod` and the main packages found below it.
//!
//! The `toml` crate here only parses, so the text is written by hand; the tests
//! read it back into [`crate::settings::Settings`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, format_err, Context};
use yaml_rust2::{Yaml, YamlLoader};

use crate::settings::DEFAULT_GO;
use crate::target::parse_goarm;

/// What `init` decided: the settings text and the keys it could not map.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The whole `dist.toml`.
    pub toml: String,
    /// GoReleaser keys (paths such as `builds[0].hooks`) that `dist.toml` cannot express.
    pub unmapped: Vec<String>,
    /// What it was made from: the config file (`.goreleaser.yml`, …) or `go.mod` (`app/go.mod` when not at the top).
    pub source: String,
}

impl crate::flags::Init {
    /// Writes `dist.toml` in the repository; an existing one only with `--force`.
    pub fn run(self) -> anyhow::Result<()> {
        let repo = self.dir.unwrap_or_else(crate::project::root);
        let file = repo.join("dist.toml");
        if file.exists() && !self.force {
            bail!("{} exists: pass --force to replace it", file.display());
        }
        let imported = import(&repo)?;
        write(&file, &imported)?;
        crate::ui::say(format!("wrote {} from {}", file.display(), imported.source));
        warn_unmapped(&imported);
        Ok(())
    }
}

/// Writes the settings `import` made to `file`.
pub fn write(file: &Path, imported: &Imported) -> anyhow::Result<()> {
    std::fs::write(file, &imported.toml).with_context(|| format!("cannot write {}", file.display()))
}

/// Names every key that was not imported (the file says the same in comments).
pub fn warn_unmapped(imported: &Imported) {
    for key in &imported.unmapped {
        crate::ui::warn(format!("not imported: {key} (see the comments in dist.toml)"));
    }
}

/// GoReleaser's config files, in the order it looks for them (cmd/config.go).
const CONFIG_FILES: [&str; 6] = [
    ".config/goreleaser.yml",
    ".config/goreleaser.yaml",
    ".goreleaser.yml",
    ".goreleaser.yaml",
    "goreleaser.yml",
    "goreleaser.yaml",
];

// GoReleaser's defaults (internal/builders/golang/build.go, internal/pipe/archive, internal/pipe/checksums).
const GR_LDFLAGS: &str =
    "-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -X main.builtBy=goreleaser";
const GR_GOOS: [&str; 3] = ["linux", "darwin", "windows"];
const GR_GOARCH: [&str; 3] = ["amd64", "arm64", "386"];
const GR_GOARM: &str = "6";
const GR_ARCHIVE_NAME: &str = "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";
const GR_CHECKSUM_NAME: &str = "{{ .ProjectName }}_{{ .Version }}_checksums.txt";
/// `targets: [go_first_class]` (and `go_118_first_class`): a fixed list in GoReleaser, `_arm` meaning GOARM 6.
const GR_FIRST_CLASS: [&str; 8] = [
    "darwin_amd64",
    "darwin_arm64",
    "linux_386",
    "linux_amd64",
    "linux_arm",
    "linux_arm64",
    "windows_386",
    "windows_amd64",
];
/// The microarchitecture keys and their defaults: `dist` builds with Go's defaults, which are these.
const GR_VARIANTS: [(&str, &str, &[&str]); 6] = [
    ("goamd64", "v1", &["amd64"]),
    ("go386", "sse2", &["386"]),
    ("goarm64", "v8.0", &["arm64"]),
    ("gomips", "hardfloat", &["mips", "mipsle", "mips64", "mips64le"]),
    ("goppc64", "power8", &["ppc64", "ppc64le"]),
    ("goriscv64", "rva20u64", &["riscv64"]),
];

/// From `.goreleaser.yml`/`.goreleaser.yaml` (also `goreleaser.yml`/`.yaml`, and those in `.config/`) in
/// `repo` if present, else from go.mod + the main packages found.
pub fn import(repo: &Path) -> anyhow::Result<Imported> {
    for name in CONFIG_FILES {
        let path = repo.join(name);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        // GoReleaser runs `go build` in the first build's `dir`: its module is the nearest go.mod at or above it.
        let module_dir = module_dir_of(repo, &first_build_dir(&text));
        let module_abs = repo.join(&module_dir);
        let module = std::fs::read_to_string(module_abs.join("go.mod")).ok().and_then(|m| module_path(&m));
        let mains = |rel: &[String]| -> Option<Vec<String>> {
            let found = find_mains(&module_abs.join(rel.join("/"))).ok()?;
            Some(found.iter().map(|m| dot_path(&[rel, &norm(m)[..]].concat())).collect())
        };
        let repo_info = RepoInfo { module, mains: &mains };
        let out = convert(&text, name, &module_dir, &repo_info)?;
        return Ok(out.finish());
    }
    let module_dir = find_go_mod(repo)?.with_context(|| {
        format!(
            "{} has neither a GoReleaser config ({}) nor a go.mod: run `cargo xtask init` in a Go app's repository",
            repo.display(),
            CONFIG_FILES.join(", ")
        )
    })?;
    let go_mod_file = repo.join(&module_dir).join("go.mod");
    let go_mod =
        std::fs::read_to_string(&go_mod_file).with_context(|| format!("cannot read {}", go_mod_file.display()))?;
    let mains = find_mains(&repo.join(&module_dir))?;
    if mains.is_empty() {
        bail!("no main package (a folder with `package main`) below {}", repo.join(&module_dir).display());
    }
    let source = if module_dir == "." { "go.mod".to_owned() } else { format!("{module_dir}/go.mod") };
    Ok(go_mod_out(&go_mod, &mains, &module_dir, &source).finish())
}

/// Pure: a .goreleaser.yml text → settings. `module_dir_rel` is the Go module dir relative to where dist.toml
/// will be (usually "."). `main: ./...` (find every main package) needs the files, so it is left unmapped here;
/// [`import`] resolves it. (The tests' entry point: `import` reads the files.)
#[cfg(test)]
pub fn from_goreleaser(yaml: &str, module_dir_rel: &str) -> anyhow::Result<Imported> {
    let no_files = |_: &[String]| None;
    Ok(convert(yaml, ".goreleaser.yml", module_dir_rel, &RepoInfo { module: None, mains: &no_files })?.finish())
}

/// Pure: go.mod text and the main packages found (e.g. ["./cmd/server", "./cmd/cli"] or ["."]) → settings.
#[cfg(test)]
pub fn from_go_mod(go_mod: &str, mains: &[String], module_dir_rel: &str) -> Imported {
    go_mod_out(go_mod, mains, module_dir_rel, "go.mod").finish()
}

/// Finds main packages below `dir` (directories with a .go file, not _test.go, declaring `package main`),
/// skipping vendor/, testdata/, hidden and _-prefixed dirs (as `go build ./...` does) and nested modules (dirs
/// with their own go.mod), as "./rel/path" (or "."), "." first, then sorted.
pub fn find_mains(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    walk_mains(dir, &mut Vec::new(), &mut out)?;
    out.sort_by(|a, b| (a != ".", a).cmp(&(b != ".", b)));
    Ok(out)
}

fn walk_mains(root: &Path, rel: &mut Vec<String>, out: &mut Vec<String>) -> anyhow::Result<()> {
    let dir = root.join(rel.join("/"));
    let mut entries = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut is_main = false;
    let mut subdirs = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Go ignores files and folders starting with "." or "_".
        if name.starts_with(['.', '_']) {
            continue;
        }
        // DirEntry::file_type does not follow symlinks: a linked folder is not walked (nor is it by `./...`).
        let kind = entry.file_type().with_context(|| format!("cannot stat {}", entry.path().display()))?;
        if kind.is_dir() {
            if name != "vendor" && name != "testdata" && !entry.path().join("go.mod").exists() {
                subdirs.push(name);
            }
        } else if kind.is_file() && name.ends_with(".go") && !name.ends_with("_test.go") && !is_main {
            let bytes =
                std::fs::read(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
            is_main = declares_package_main(&String::from_utf8_lossy(&bytes));
        }
    }
    if is_main {
        out.push(dot_path(rel));
    }
    for name in subdirs {
        rel.push(name);
        walk_mains(root, rel, out)?;
        rel.pop();
    }
    Ok(())
}

/// Whether a Go file's package clause says `main`; a file behind `//go:build ignore` (a `go run` script in
/// another package's folder) does not count.
fn declares_package_main(src: &str) -> bool {
    let mut rest = src.strip_prefix('\u{feff}').unwrap_or(src);
    loop {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix("//") {
            let (line, after) = comment.split_once('\n').unwrap_or((comment, ""));
            let line = line.trim();
            let constraint = line.strip_prefix("go:build").or_else(|| line.strip_prefix("+build"));
            if constraint.is_some_and(|c| c.split_whitespace().eq(["ignore"])) {
                return false;
            }
            rest = after;
        } else if let Some(comment) = rest.strip_prefix("/*") {
            match comment.split_once("*/") {
                Some((_, after)) => rest = after,
                None => return false,
            }
        } else {
            let Some(clause) = rest.strip_prefix("package") else { return false };
            if !clause.starts_with(|c: char| c.is_whitespace() || c == '/') {
                return false;
            }
            let clause = clause.trim_start();
            let name: String = clause.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            return name == "main";
        }
    }
}

/// The module path of a go.mod (`module example.com/x`), if it has one.
fn module_path(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"', '`']) {
            return None;
        }
        let path = rest.trim().trim_matches(['"', '`']);
        (!path.is_empty()).then(|| path.to_owned())
    })
}

/// The binary `go build` names a main package (GoReleaser's `BinaryNameFor`): the folder's name, or for the
/// module's root the module path's last element, skipping a `/vN` major version suffix.
fn binary_name_for(main: &str, module: Option<&str>) -> Option<String> {
    let mut parts = norm(main);
    if parts.last().is_some_and(|p| p.ends_with(".go")) {
        parts.pop();
    }
    if let Some(last) = parts.last() {
        return (last != "..").then(|| last.clone());
    }
    let module = module?.trim_end_matches('/');
    let mut elems: Vec<&str> = module.split('/').collect();
    let last = *elems.last()?;
    if elems.len() > 1 && last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()) {
        elems.pop();
    }
    elems.last().filter(|s| !s.is_empty()).map(|s| (*s).to_owned())
}

/// `./a/../b/` → ["b"]; "." and "" → [].
fn norm(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| l != "..") => {
                out.pop();
            }
            _ => out.push(part.to_owned()),
        }
    }
    out
}

/// ["cmd", "x"] → "./cmd/x"; [] → ".".
fn dot_path(parts: &[String]) -> String {
    if parts.is_empty() {
        ".".to_owned()
    } else {
        format!("./{}", parts.join("/"))
    }
}

/// ["a", "b"] → "a/b"; [] → ".".
fn plain_path(parts: &[String]) -> String {
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The `dir` of the first build in a GoReleaser config ("." when absent or unreadable).
fn first_build_dir(yaml: &str) -> String {
    let docs = YamlLoader::load_from_str(yaml).unwrap_or_default();
    let dir = docs.first().map(|d| &d["builds"][0]["dir"]);
    dir.and_then(scalar).unwrap_or_else(|| ".".to_owned())
}

/// The nearest folder at or above `repo/dir` (not above `repo`) holding a go.mod, relative to `repo`.
fn module_dir_of(repo: &Path, dir: &str) -> String {
    let parts = norm(dir);
    if parts.first().is_some_and(|p| p == "..") {
        return ".".to_owned();
    }
    (0..=parts.len())
        .rev()
        .map(|k| &parts[..k])
        .find(|p| repo.join(p.join("/")).join("go.mod").is_file())
        .map(plain_path)
        .unwrap_or_else(|| ".".to_owned())
}

/// Where the go.mod is: at the top of `repo`, else the shallowest one below it (first by name).
fn find_go_mod(repo: &Path) -> anyhow::Result<Option<String>> {
    let mut level: Vec<Vec<String>> = vec![vec![]];
    for _depth in 0..4 {
        let mut next = Vec::new();
        for rel in &level {
            let dir = repo.join(rel.join("/"));
            if dir.join("go.mod").is_file() {
                return Ok(Some(plain_path(rel)));
            }
            let mut entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries.filter_map(Result::ok).collect::<Vec<_>>(),
                Err(e) if rel.is_empty() => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
                Err(_) => continue,
            };
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                let name = entry.file_name().to_string_lossy().into_owned();
                let skip = name.starts_with(['.', '_'])
                    || matches!(name.as_str(), "vendor" | "testdata" | "target" | "node_modules" | "dist");
                if !skip && entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push([&rel[..], &[name][..]].concat());
                }
            }
        }
        level = next;
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------------------------
// The settings to write, and how they are written.

/// Which section's comment block names a key that was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Top,
    App,
    Build,
    Targets,
    Archive,
    Checksum,
}

#[derive(Debug)]
struct Note {
    section: Section,
    key: String,
    why: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Bin {
    main: String,
    name: Option<String>,
    flags: Vec<String>,
    ldflags: Option<Vec<String>>,
}

/// `[targets]`: either the cross product (`os`, `arch`, `arm`, `ignore`) or `list`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Matrix {
    os: Vec<String>,
    arch: Vec<String>,
    arm: Vec<String>,
    ignore: Vec<String>,
    list: Vec<String>,
}

#[derive(Debug)]
struct ArchiveOut {
    name: String,
    format: &'static str,
    formats: BTreeMap<String, &'static str>,
    replacements: BTreeMap<String, String>,
    /// `None`: our default (README*, LICENSE*, CHANGELOG*, like GoReleaser's).
    files: Option<Vec<String>>,
    wrap: bool,
}

/// `dist.toml` as decided; `None` and empty values are left out of the file (our defaults apply).
#[derive(Debug, Default)]
struct Out {
    /// The file it came from, for the header and [`Imported::source`].
    source: String,
    from_config: bool,
    dir: String,
    name: Option<String>,
    main: Option<String>,
    binary: Option<String>,
    binaries: Vec<Bin>,
    ldflags: Option<Vec<String>>,
    tags: Vec<String>,
    flags: Vec<String>,
    env: BTreeMap<String, String>,
    /// version, commit, date.
    stamp: Option<[String; 3]>,
    targets: Option<Matrix>,
    archive: Option<ArchiveOut>,
    checksum: Option<String>,
    notes: Vec<Note>,
}

impl Out {
    fn note(&mut self, section: Section, key: impl Into<String>, why: impl Into<String>) {
        self.notes.push(Note { section, key: key.into(), why: why.into() });
    }

    fn finish(self) -> Imported {
        Imported {
            toml: self.render(),
            unmapped: self.notes.iter().map(|n| n.key.clone()).collect(),
            source: self.source.clone(),
        }
    }

    fn render(&self) -> String {
        let mut t = String::new();
        let from = if self.from_config {
            self.source.clone()
        } else {
            format!("{} and the main packages below it", self.source)
        };
        let _ = writeln!(t, "# What `cargo xtask dist` builds: written by `cargo xtask init` from {from}.");
        let _ = writeln!(t, "# Keys left out keep their defaults (docs/settings.md in the cargo-xtask template).");
        self.comments(&mut t, Section::Top);

        t.push('\n');
        self.comments(&mut t, Section::App);
        t.push_str("[app]\n");
        kv(&mut t, "dir", &toml_str(if self.dir.is_empty() { "." } else { &self.dir }));
        if let Some(name) = &self.name {
            kv(&mut t, "name", &toml_str(name));
        }
        if let Some(main) = &self.main {
            kv(&mut t, "main", &toml_str(main));
        }
        if let Some(binary) = &self.binary {
            kv(&mut t, "binary", &toml_str(binary));
        }
        kv(&mut t, "go", &toml_str(DEFAULT_GO));

        for b in &self.binaries {
            t.push_str("\n[[binaries]]\n");
            kv(&mut t, "main", &toml_str(&b.main));
            if let Some(name) = &b.name {
                kv(&mut t, "name", &toml_str(name));
            }
            if !b.flags.is_empty() {
                kv(&mut t, "flags", &toml_array(&b.flags));
            }
            if let Some(ldflags) = &b.ldflags {
                kv(&mut t, "ldflags", &toml_array(ldflags));
            }
        }

        let has_build = self.ldflags.is_some()
            || !self.tags.is_empty()
            || !self.flags.is_empty()
            || !self.env.is_empty()
            || self.stamp.is_some();
        if has_build || self.has_notes(Section::Build) {
            t.push('\n');
            self.comments(&mut t, Section::Build);
            t.push_str("[build]\n");
            if let Some(ldflags) = &self.ldflags {
                kv(&mut t, "ldflags", &toml_array(ldflags));
            }
            if !self.tags.is_empty() {
                kv(&mut t, "tags", &toml_array(&self.tags));
            }
            if !self.flags.is_empty() {
                kv(&mut t, "flags", &toml_array(&self.flags));
            }
            if !self.env.is_empty() {
                kv(&mut t, "env", &toml_table(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
            }
            if let Some([version, commit, date]) = &self.stamp {
                t.push_str("\n# The Go variables that receive the version, commit and date (\"\" skips one).\n");
                t.push_str("[build.stamp]\n");
                kv(&mut t, "version", &toml_str(version));
                kv(&mut t, "commit", &toml_str(commit));
                kv(&mut t, "date", &toml_str(date));
            }
        }

        if self.targets.is_some() || self.has_notes(Section::Targets) {
            t.push('\n');
            self.comments(&mut t, Section::Targets);
            t.push_str("[targets]\n");
            if let Some(m) = &self.targets {
                if m.list.is_empty() {
                    kv(&mut t, "os", &toml_array(&m.os));
                    kv(&mut t, "arch", &toml_array(&m.arch));
                    if !m.arm.is_empty() {
                        kv(&mut t, "arm", &toml_array(&m.arm));
                    }
                    if !m.ignore.is_empty() {
                        kv(&mut t, "ignore", &toml_array(&m.ignore));
                    }
                } else {
                    kv(&mut t, "list", &toml_array(&m.list));
                }
            }
        }

        if self.archive.is_some() || self.has_notes(Section::Archive) {
            t.push('\n');
            self.comments(&mut t, Section::Archive);
            t.push_str("[archive]\n");
            if let Some(a) = &self.archive {
                kv(&mut t, "name", &toml_str(&a.name));
                kv(&mut t, "format", &toml_str(a.format));
                kv(&mut t, "formats", &toml_table(a.formats.iter().map(|(k, v)| (k.as_str(), *v))));
                if !a.replacements.is_empty() {
                    kv(
                        &mut t,
                        "replacements",
                        &toml_table(a.replacements.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    );
                }
                if let Some(files) = &a.files {
                    kv(&mut t, "files", &toml_array(files));
                }
                kv(&mut t, "wrap", if a.wrap { "true" } else { "false" });
            }
        }

        if self.checksum.is_some() || self.has_notes(Section::Checksum) {
            t.push('\n');
            self.comments(&mut t, Section::Checksum);
            t.push_str("[checksum]\n");
            if let Some(name) = &self.checksum {
                kv(&mut t, "name", &toml_str(name));
            }
        }
        t
    }

    fn has_notes(&self, section: Section) -> bool {
        self.notes.iter().any(|n| n.section == section)
    }

    fn comments(&self, t: &mut String, section: Section) {
        for n in self.notes.iter().filter(|n| n.section == section) {
            let line = format!("# not imported: {} ({})", n.key, n.why);
            t.push_str(&line.replace(['\n', '\r'], " "));
            t.push('\n');
        }
    }
}

fn kv(t: &mut String, key: &str, value: &str) {
    let _ = writeln!(t, "{key} = {value}");
}

/// A TOML basic string: quotes, backslashes and control characters escaped, so any text (a multi-line
/// template) reads back exactly.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_key(k: &str) -> String {
    let bare = !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        k.to_owned()
    } else {
        toml_str(k)
    }
}

fn toml_array(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| toml_str(s)).collect::<Vec<_>>().join(", "))
}

fn toml_table<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let inner: Vec<String> = entries.map(|(k, v)| format!("{} = {}", toml_key(k), toml_str(v))).collect();
    if inner.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", inner.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// go.mod

fn go_mod_out(go_mod: &str, mains: &[String], module_dir_rel: &str, source: &str) -> Out {
    let module = module_path(go_mod);
    let mut out = Out { source: source.to_owned(), dir: module_dir_rel.to_owned(), ..Out::default() };
    let bins: Vec<Bin> = mains
        .iter()
        .map(|m| Bin {
            main: dot_path(&norm(m)),
            name: binary_name_for(m, module.as_deref()),
            flags: vec![],
            ldflags: None,
        })
        .collect();
    match bins.as_slice() {
        [] => {}
        [one] => {
            out.main = Some(one.main.clone());
            out.binary = one.name.clone();
        }
        _ => {
            // `.ProjectName` in archive names: the module, not whichever binary comes first.
            out.name = module.as_deref().and_then(|m| binary_name_for(".", Some(m)));
            out.binaries = bins;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// GoReleaser

/// What only the repository can tell a config's conversion.
struct RepoInfo<'a> {
    /// The Go module path (go.mod), for GoReleaser's default project and binary names.
    module: Option<String>,
    /// The main packages below a folder of the module (parts relative to it), relative to the module: what a
    /// `main: ./...` pattern stands for. `None` when the files are not at hand.
    mains: &'a dyn Fn(&[String]) -> Option<Vec<String>>,
}

/// One GoReleaser build, converted.
#[derive(Debug)]
struct BuildIn {
    index: usize,
    bins: Vec<Bin>,
    /// Linker flags without the stamped `-X`s.
    ldflags: Vec<String>,
    stamp: [String; 3],
    flags: Vec<String>,
    tags: Vec<String>,
    env: BTreeMap<String, String>,
    matrix: Matrix,
}

fn convert(yaml: &str, source: &str, module_dir_rel: &str, repo: &RepoInfo) -> anyhow::Result<Out> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| format_err!("{source} is not valid YAML: {e}"))?;
    let root = merge_keys(docs.into_iter().next().unwrap_or(Yaml::Null));
    let top = match &root {
        Yaml::Hash(_) => entries(&root, "")?,
        Yaml::Null => vec![],
        _ => bail!("{source}: expected GoReleaser settings (a mapping) at the top"),
    };
    let get = |key: &str| top.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !v.is_null());
    let mut out = Out {
        source: source.to_owned(),
        from_config: true,
        dir: if module_dir_rel.is_empty() { ".".to_owned() } else { module_dir_rel.to_owned() },
        ..Out::default()
    };

    // Top-level keys: mapped below, deliberately ignored, or named as not imported.
    let mut top_env = BTreeMap::new();
    for (key, value) in &top {
        let value = *value;
        match key.as_str() {
            "project_name" | "builds" | "archives" | "checksum" => {} // mapped below
            // The config's schema version (2) and `report_sizes` (a log line): nothing to carry over.
            "version" | "report_sizes" => {}
            "env" => {
                for kv in strings(value, "env")? {
                    env_entry(&mut out, &mut top_env, &kv, "env");
                }
            }
            // GoReleaser's output folder: the default is ours too; another is `--out`.
            "dist" => {
                if scalar(value).is_some_and(|d| norm(&d) != ["dist"]) {
                    out.note(Section::Top, "dist", "pass `--out DIR` to cargo xtask dist");
                }
            }
            "before" => {
                for (k, v) in entries(value, "before")? {
                    if k == "hooks" {
                        note_if_set(&mut out, Section::Build, v, "before.hooks", "run them before `cargo xtask dist`");
                    } else {
                        note_if_set(&mut out, Section::Top, v, format!("before.{k}"), "no dist.toml equivalent");
                    }
                }
            }
            "gomod" => {
                for (k, v) in entries(value, "gomod")? {
                    let why = match k.as_str() {
                        "proxy" => "dist builds the checked-out source, not the tagged module from the proxy",
                        _ => "no dist.toml equivalent",
                    };
                    note_if_set(&mut out, Section::Build, v, format!("gomod.{k}"), why);
                }
            }
            // `metadata.mod_timestamp: "{{ .CommitTimestamp }}"` is what dist does to every file anyway.
            "metadata" => {
                for (k, v) in entries(value, "metadata")? {
                    if k == "mod_timestamp" && scalar(v).is_some_and(|s| is_commit_timestamp(&s)) {
                        continue;
                    }
                    note_if_set(&mut out, Section::Top, v, format!("metadata.{k}"), "no dist.toml equivalent");
                }
            }
            other => note_if_set(&mut out, Section::Top, value, other, top_level_hint(other)),
        }
    }

    // GoReleaser's project name: project_name, else the release repository's name, else the module's last
    // element (internal/pipe/project).
    let release_name = ["github", "gitlab", "gitea"]
        .iter()
        .find_map(|forge| get("release").and_then(|r| scalar(&r[*forge]["name"])).filter(|n| !n.is_empty()));
    let module_name =
        repo.module.as_deref().and_then(|m| m.trim_end_matches('/').rsplit('/').next()).map(str::to_owned);
    let project = match get("project_name").and_then(scalar) {
        Some(p) if p.contains("{{") => {
            out.note(Section::App, "project_name", "a template; set app.name");
            None
        }
        Some(p) if !is_file_name(&p) => {
            out.note(Section::App, "project_name", format!("{p:?} is not a file name; set app.name"));
            None
        }
        Some(p) => Some(p),
        None => release_name.or(module_name),
    };
    out.name = project.clone();

    // Builds. No `builds` (or an empty list) means one build with every default.
    let default_build = Yaml::Hash(Default::default());
    let build_values: Vec<&Yaml> = match get("builds") {
        None => vec![&default_build],
        Some(Yaml::Array(items)) if items.is_empty() => vec![&default_build],
        Some(Yaml::Array(items)) => items.iter().collect(),
        Some(_) => bail!("{source}: `builds` must be a list"),
    };
    let mut builds = Vec::new();
    for (i, b) in build_values.into_iter().enumerate() {
        if let Some(build) = convert_build(&mut out, i, b, module_dir_rel, project.as_deref(), repo)? {
            builds.push(build);
        }
    }
    combine_builds(&mut out, builds, top_env);

    // Archives: the first one; GoReleaser's default archive when there is none.
    let default_archive = Yaml::Hash(Default::default());
    let archives: Vec<&Yaml> = match get("archives") {
        None => vec![&default_archive],
        Some(Yaml::Array(items)) if items.is_empty() => vec![&default_archive],
        Some(Yaml::Array(items)) => items.iter().collect(),
        Some(_) => bail!("{source}: `archives` must be a list"),
    };
    out.archive = Some(convert_archive(&mut out, archives[0], module_dir_rel)?);
    for k in 1..archives.len() {
        out.note(Section::Archive, format!("archives[{k}]"), "dist makes one archive per target, as archives[0] says");
    }

    // Checksum: GoReleaser's default name unless it says otherwise.
    let mut checksum = GR_CHECKSUM_NAME.to_owned();
    if let Some(c) = get("checksum") {
        for (k, v) in entries(c, "checksum")? {
            match k.as_str() {
                "name_template" => {
                    if let Some(name) = scalar(v).filter(|n| !n.is_empty()) {
                        checksum = name;
                    }
                }
                "algorithm" => {
                    if scalar(v).is_some_and(|a| !a.is_empty() && a != "sha256") {
                        out.note(Section::Checksum, "checksum.algorithm", "dist writes SHA-256 sums");
                    }
                }
                _ => note_if_set(&mut out, Section::Checksum, v, format!("checksum.{k}"), "no dist.toml equivalent"),
            }
        }
    }
    out.checksum = Some(checksum);
    Ok(out)
}

/// Why a top-level GoReleaser section has no `dist.toml` counterpart.
fn top_level_hint(key: &str) -> &'static str {
    match key {
        "release" | "milestones" | "announce" | "blobs" | "uploads" | "artifactories" | "publishers"
        | "github_urls" | "gitlab_urls" | "gitea_urls" | "force_token" | "env_files" => {
            "dist does not publish: upload the files in dist/ from CI"
        }
        "changelog" => "dist writes no changelog",
        "signs" | "binary_signs" | "docker_signs" | "notarize" => "sign the files in dist/ after `cargo xtask dist`",
        "sboms" => "generate SBOMs from dist/ after `cargo xtask dist`",
        "dockers" | "dockers_v2" | "docker_manifests" | "docker_digest" | "kos" => {
            "build images from the binaries in dist/"
        }
        "nfpms" | "snapcrafts" | "brews" | "homebrew_casks" | "scoops" | "winget" | "nix" | "aurs" | "aur_sources"
        | "krews" | "chocolateys" | "makeselfs" | "srpm" | "flatpak" => "dist makes binaries and archives, no packages",
        "snapshot" => "dist versions an untagged commit with `git describe`, 0.0.0-dev without tags",
        "upx" => "dist does not compress binaries",
        "universal_binaries" => "dist builds one binary per target, no macOS universal binaries",
        "source" => "dist does not archive the source",
        "git" => "dist versions from `git describe --tags`",
        _ => "no dist.toml equivalent",
    }
}

fn convert_build(
    out: &mut Out,
    i: usize,
    build: &Yaml,
    module_dir_rel: &str,
    project: Option<&str>,
    repo: &RepoInfo,
) -> anyhow::Result<Option<BuildIn>> {
    let at = format!("builds[{i}]");
    let fields = entries(build, &at)?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !is_unset(v));

    // A skipped build is not built by GoReleaser either; a templated `skip` is decided per run.
    if let Some(skip) = get("skip") {
        match truthy(skip) {
            Some(true) => return Ok(None),
            Some(false) => {}
            None => out.note(Section::App, format!("{at}.skip"), "a template; the build is imported"),
        }
    }
    if let Some(builder) = get("builder").and_then(scalar).filter(|b| b != "go") {
        out.note(Section::App, at.clone(), format!("a {builder} build: dist builds Go"));
        return Ok(None);
    }

    let mut notes: Vec<(Section, String, String)> = Vec::new();
    let mut note =
        |section: Section, key: &str, why: &str| notes.push((section, format!("{at}.{key}"), why.to_owned()));
    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        match key.as_str() {
            // Mapped below.
            "goos" | "goarch" | "goarm" | "targets" | "ignore" | "dir" | "main" | "binary" | "ldflags" | "flags"
            | "tags" | "env" | "gcflags" | "asmflags" | "skip" | "builder" => {}
            "goamd64" | "go386" | "goarm64" | "gomips" | "goppc64" | "goriscv64" => {}
            // `id` only links archives to builds; `no_main_check` and `no_unique_dist_dir` concern GoReleaser's
            // own checks and folders.
            "id" | "no_main_check" | "no_unique_dist_dir" => {}
            "mod_timestamp" => {
                if !scalar(value).is_some_and(|s| is_commit_timestamp(&s)) {
                    note(Section::Build, key, "dist sets every file's time to the commit time");
                }
            }
            "tool" | "gobinary" => {
                if scalar(value).is_none_or(|s| s != "go") {
                    note(Section::Build, key, "dist runs the go of golang:<app.go> (or the host's)");
                }
            }
            "command" => {
                if scalar(value).is_none_or(|s| s != "build") {
                    note(Section::Build, key, "dist runs `go build`");
                }
            }
            "hooks" => note(Section::Build, key, "run them before `cargo xtask dist`"),
            "buildmode" => note(Section::Build, key, "dist builds executables"),
            "overrides" => note(Section::Build, key, "dist.toml has no per-target flags"),
            _ => note(Section::Build, key, "no dist.toml equivalent"),
        }
    }
    for (section, key, why) in notes {
        out.note(section, key, why);
    }

    // Microarchitecture variants: dist builds Go's defaults, which are GoReleaser's.
    for (key, default, _) in GR_VARIANTS {
        if let Some(v) = get(key) {
            if strings(v, &format!("{at}.{key}"))?.iter().any(|x| x != default) {
                out.note(Section::Targets, format!("{at}.{key}"), format!("dist builds Go's default, {default}"));
            }
        }
    }

    let matrix = build_matrix(out, &at, &get)?;

    // Where: `dir` (where go build runs) and `main`, made relative to the Go module (app.dir).
    let dir = get("dir").and_then(scalar).unwrap_or_else(|| ".".to_owned());
    let main = get("main").and_then(scalar).filter(|m| !m.is_empty()).unwrap_or_else(|| ".".to_owned());
    let (pattern, ellipsis) = match main.strip_suffix("...") {
        Some(p) if p.is_empty() || p.ends_with('/') => (p.to_owned(), true),
        _ => (main.clone(), false),
    };
    let module = norm(module_dir_rel);
    let joined = norm(&format!("{dir}/{pattern}"));
    let in_module = match joined.strip_prefix(&module[..]) {
        Some(rest) if rest.first().is_none_or(|p| p != "..") => rest.to_vec(),
        _ => {
            out.note(
                Section::App,
                format!("{at}.dir"),
                format!("{dir:?} is outside the Go module at {module_dir_rel:?}"),
            );
            norm(&pattern)
        }
    };

    let binary = get("binary").and_then(scalar).filter(|b| !b.is_empty());
    let bins = if ellipsis {
        if binary.is_some() {
            out.note(Section::App, format!("{at}.binary"), "`main: ./...` names each binary after its package");
        }
        match (repo.mains)(&in_module) {
            Some(found) if !found.is_empty() => found
                .iter()
                .map(|m| Bin {
                    main: m.clone(),
                    name: binary_name_for(m, repo.module.as_deref()),
                    flags: vec![],
                    ldflags: None,
                })
                .collect(),
            found => {
                let why = match found {
                    Some(_) => "no main package below it: set app.main",
                    None => "finds every main package: `cargo xtask init` in the repository lists them",
                };
                out.note(Section::App, format!("{at}.main {main}"), why);
                vec![Bin { main: dot_path(&in_module), name: None, flags: vec![], ldflags: None }]
            }
        }
    } else {
        // GoReleaser names the binary after the project unless `binary` says otherwise.
        let mut name = binary.clone().or_else(|| project.map(str::to_owned));
        if let Some(b) = name.clone() {
            let b = match project {
                Some(p) => replace_project_name(&b, p),
                None => b,
            };
            if b.contains("{{") {
                out.note(Section::App, format!("{at}.binary"), "a template; dist names binaries with plain text");
                name = project.map(str::to_owned);
            } else if b.contains('/') {
                out.note(
                    Section::App,
                    format!("{at}.binary"),
                    "dist puts each binary in <os>/<arch>/, so the folder part is dropped",
                );
                name = b.rsplit('/').next().map(str::to_owned).filter(|n| !n.is_empty());
            } else {
                name = Some(b);
            }
        }
        if name.as_deref().is_some_and(|n| !is_file_name(n)) {
            name = None;
        }
        let main = dot_path(&in_module);
        let name = name.or_else(|| {
            // Our default is the last part of `main`; a main.go file needs its name spelled out.
            if main.ends_with(".go") {
                binary_name_for(&main, repo.module.as_deref())
            } else {
                None
            }
        });
        vec![Bin { main, name, flags: vec![], ldflags: None }]
    };

    // ldflags: absent (or empty) means GoReleaser's default.
    let ldflags = match get("ldflags") {
        None => GR_LDFLAGS.to_owned(),
        Some(Yaml::Array(items)) if items.is_empty() => GR_LDFLAGS.to_owned(),
        Some(v) => strings(v, &format!("{at}.ldflags"))?.join(" "),
    };
    let (ldflags, stamp) = split_ldflags(out, &at, &ldflags);

    // go build flags: -trimpath (and -buildvcs=false) dist always sets.
    let mut flags = Vec::new();
    for f in flag_array(get("flags"), &format!("{at}.flags"))? {
        if f == "-trimpath" || f == "-buildvcs=false" {
            continue;
        }
        if f.contains("{{") {
            out.note(Section::Build, format!("{at}.flags {f}"), "a template");
        } else {
            flags.push(f);
        }
    }
    for key in ["asmflags", "gcflags"] {
        if let Some(v) = get(key) {
            for f in strings(v, &format!("{at}.{key}"))?.into_iter().filter(|f| !f.is_empty()) {
                if f.contains("{{") {
                    out.note(Section::Build, format!("{at}.{key} {f}"), "a template");
                } else {
                    flags.push(format!("-{key}={f}"));
                }
            }
        }
    }
    let mut tags = Vec::new();
    for tag in flag_array(get("tags"), &format!("{at}.tags"))? {
        if tag.contains("{{") {
            out.note(Section::Build, format!("{at}.tags {tag}"), "a template");
        } else {
            tags.push(tag);
        }
    }
    let mut env = BTreeMap::new();
    if let Some(v) = get("env") {
        for e in strings(v, &format!("{at}.env"))? {
            env_entry(out, &mut env, &e, &format!("{at}.env"));
        }
    }
    Ok(Some(BuildIn { index: i, bins, ldflags, stamp, flags, tags, env, matrix }))
}

/// A build's targets: `targets:` as a list, else goos × goarch (× goarm) less `ignore`, with GoReleaser's
/// defaults.
fn build_matrix<'a>(out: &mut Out, at: &str, get: &dyn Fn(&str) -> Option<&'a Yaml>) -> anyhow::Result<Matrix> {
    if let Some(targets) = get("targets") {
        let mut list: Vec<String> = Vec::new();
        for t in strings(targets, &format!("{at}.targets"))? {
            let names: Vec<String> = if t == "go_first_class" || t == "go_118_first_class" {
                GR_FIRST_CLASS.iter().map(|s| s.to_string()).collect()
            } else {
                vec![t]
            };
            for name in names {
                match target_of(&name) {
                    Some(target) if !list.contains(&target) => list.push(target),
                    Some(_) => {}
                    None => out.note(
                        Section::Targets,
                        format!("{at}.targets {name}"),
                        "dist builds Go's default microarchitecture variants",
                    ),
                }
            }
        }
        // GoReleaser ignores goos, goarch, goarm and ignore when `targets` is set.
        return Ok(Matrix { list, ..Matrix::default() });
    }
    let list_or = |key: &str, default: &[&str]| -> anyhow::Result<Vec<String>> {
        match get(key) {
            Some(v) => strings(v, &format!("{at}.{key}")),
            None => Ok(default.iter().map(|s| s.to_string()).collect()),
        }
    };
    let os = dedup(list_or("goos", &GR_GOOS)?);
    let arch = dedup(list_or("goarch", &GR_GOARCH)?);
    let mut arm = Vec::new();
    if arch.iter().any(|a| a == "arm") {
        for v in list_or("goarm", &[GR_GOARM])? {
            match parse_goarm(&v) {
                Some(n) if !arm.contains(&n.to_string()) => arm.push(n.to_string()),
                Some(_) => {}
                None => out.note(Section::Targets, format!("{at}.goarm {v}"), "dist builds GOARM 5, 6 or 7"),
            }
        }
    }
    let mut ignore: Vec<String> = Vec::new();
    if let Some(v) = get("ignore") {
        let Yaml::Array(items) = v else { bail!("`{at}.ignore` must be a list") };
        for (j, item) in items.iter().enumerate() {
            let fields = entries(item, &format!("{at}.ignore[{j}]"))?;
            let field = |k: &str| {
                fields.iter().find(|(key, _)| key == k).and_then(|(_, v)| scalar(v)).filter(|s| !s.is_empty())
            };
            let oses = field("goos").map(|o| vec![o]).unwrap_or_else(|| os.clone());
            let arches = field("goarch").map(|a| vec![a]).unwrap_or_else(|| arch.clone());
            for o in &oses {
                'arch: for a in &arches {
                    // A variant other than the one built (the default) matches nothing.
                    for (key, default, applies_to) in GR_VARIANTS {
                        if let Some(v) = field(key) {
                            if v != default || !applies_to.contains(&a.as_str()) {
                                continue 'arch;
                            }
                        }
                    }
                    let entry = match field("goarm") {
                        None => format!("{o}/{a}"),
                        Some(v) => match parse_goarm(&v) {
                            Some(n) if a == "arm" => format!("{o}/arm/v{n}"),
                            _ => continue,
                        },
                    };
                    if !ignore.contains(&entry) {
                        ignore.push(entry);
                    }
                }
            }
            for (k, _) in &fields {
                let known =
                    ["goos", "goarch", "goarm"].contains(&k.as_str()) || GR_VARIANTS.iter().any(|(v, _, _)| v == k);
                if !known {
                    out.note(Section::Targets, format!("{at}.ignore[{j}].{k}"), "no dist.toml equivalent");
                }
            }
        }
    }
    Ok(Matrix { os, arch, arm, ignore, list: vec![] })
}

/// `linux_arm_7` → `linux/arm/v7`, `darwin_arm64_v8.0` → `darwin/arm64`; `None` for a variant other than Go's
/// default (which is what dist builds).
fn target_of(t: &str) -> Option<String> {
    let parts: Vec<&str> = t.split('_').collect();
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let (os, arch, variant) = match parts.as_slice() {
        [os, arch] => (*os, *arch, None),
        [os, arch, variant] => (*os, *arch, Some(*variant)),
        _ => return None,
    };
    if !word(os) || !word(arch) {
        return None;
    }
    if arch == "arm" {
        let n = parse_goarm(variant.unwrap_or(GR_GOARM))?;
        return Some(format!("{os}/arm/v{n}"));
    }
    match variant {
        None => Some(format!("{os}/{arch}")),
        Some(v) => {
            let default = GR_VARIANTS.iter().find(|(_, _, arches)| arches.contains(&arch)).map(|(_, d, _)| *d);
            (default == Some(v)).then(|| format!("{os}/{arch}"))
        }
    }
}

/// Splits a build's linker flags into plain flags and the `-X` stamps of version, commit and date.
fn split_ldflags(out: &mut Out, at: &str, ldflags: &str) -> (Vec<String>, [String; 3]) {
    let mut plain = Vec::new();
    let mut stamp: [Option<String>; 3] = [None, None, None];
    let mut words = split_words(ldflags).into_iter();
    while let Some(word) = words.next() {
        // The -X argument, and the words as written (`-X a=b` or `-X=a=b`).
        let (arg, pieces) = if word == "-X" || word == "--X" {
            match words.next() {
                Some(arg) => (arg.clone(), vec![word, arg]),
                None => {
                    plain.push(word);
                    continue;
                }
            }
        } else if let Some(arg) = word.strip_prefix("-X=").or_else(|| word.strip_prefix("--X=")) {
            (arg.to_owned(), vec![word.clone()])
        } else {
            if word.contains("{{") {
                out.note(Section::Build, format!("{at}.ldflags {word}"), "a template");
            } else {
                plain.push(word);
            }
            continue;
        };
        let unquoted = unquote(&arg);
        let Some((var, value)) = unquoted.split_once('=').filter(|_| arg.contains("{{")) else {
            // A constant (-X main.builtBy=goreleaser) stays a plain linker flag, spelled as it was.
            plain.extend(pieces);
            continue;
        };
        let spelled = pieces.join(" ");
        let slot = match single_action(value) {
            Some(".Version") => Some(0),
            Some(".Commit" | ".FullCommit") => Some(1),
            Some(".Date" | ".CommitDate") => Some(2),
            _ => None,
        };
        match slot {
            Some(k) if stamp[k].is_none() && !var.is_empty() => stamp[k] = Some(var.to_owned()),
            Some(k) => out.note(
                Section::Build,
                format!("{at}.ldflags {spelled}"),
                format!("build.stamp.{} stamps one variable", ["version", "commit", "date"][k]),
            ),
            None => out.note(Section::Build, format!("{at}.ldflags {spelled}"), "a templated value dist does not fill"),
        }
    }
    (plain, stamp.map(Option::unwrap_or_default))
}

/// Splits linker flags into words at spaces outside quotes and outside `{{ … }}` actions, keeping each word
/// as written (quotes included: Go splits `-ldflags` the same way).
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            chars.next();
            depth += 1;
            word.push_str("{{");
            continue;
        }
        if depth > 0 {
            if c == '}' && chars.peek() == Some(&'}') {
                chars.next();
                depth -= 1;
                word.push_str("}}");
            } else {
                word.push(c);
            }
            continue;
        }
        match quote {
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `"a b"` / `'a b'` → `a b`.
fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// `{{ .Version }}`, `{{.Version}}`, `{{- .Version -}}` → `.Version`; `None` unless the text is one action.
fn single_action(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner.trim())
}

fn is_commit_timestamp(s: &str) -> bool {
    single_action(s) == Some(".CommitTimestamp")
}

/// `{{ .ProjectName }}` (any spacing) replaced by the project's name.
fn replace_project_name(s: &str, project: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        let action = &rest[start..start + len + 2];
        out.push_str(&rest[..start]);
        if single_action(action) == Some(".ProjectName") {
            out.push_str(project);
        } else {
            out.push_str(action);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// One `K=V` of an `env` list into `env`; templated values and what dist sets itself are named instead.
fn env_entry(out: &mut Out, env: &mut BTreeMap<String, String>, entry: &str, at: &str) {
    match entry.split_once('=') {
        Some((k, _)) if matches!(k, "GOOS" | "GOARCH" | "GOARM") => {
            out.note(Section::Build, format!("{at} {k}"), "targets are chosen in [targets]");
        }
        Some((k, v)) if !k.is_empty() && !entry.contains("{{") => {
            env.insert(k.to_owned(), v.to_owned());
        }
        _ => {
            let key = entry.split_once('=').map_or(entry, |(k, _)| k);
            out.note(Section::Build, format!("{at} {key}"), "a template or not K=V");
        }
    }
}

/// The accepted builds → `[app]`/`[[binaries]]`, `[build]`, `[targets]`. Flags and targets are shared in
/// `dist.toml`: the first build's count, and what another build does differently is named.
fn combine_builds(out: &mut Out, builds: Vec<BuildIn>, top_env: BTreeMap<String, String>) {
    // One binary name, one binary: a second build of the same name (per-OS variants, say) is not imported.
    let mut accepted: Vec<BuildIn> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for b in builds {
        let own: Vec<String> =
            b.bins.iter().map(|bin| bin.name.clone().unwrap_or_else(|| default_name(&bin.main))).collect();
        if let Some(dup) = own.iter().find(|n| names.contains(n)) {
            out.note(
                Section::App,
                format!("builds[{}]", b.index),
                format!("builds {dup:?} again; dist builds each binary once, with one set of flags for every target"),
            );
            continue;
        }
        names.extend(own);
        accepted.push(b);
    }
    let Some(first) = accepted.first() else {
        out.note(Section::App, "builds", "no Go build to import: set app.main");
        return;
    };

    let mut env = top_env;
    env.extend(first.env.clone());
    for b in &accepted[1..] {
        let at = format!("builds[{}]", b.index);
        if b.env != first.env {
            out.note(Section::Build, format!("{at}.env"), format!("build.env is builds[{}]'s", first.index));
        }
        if b.stamp != first.stamp {
            out.note(Section::Build, format!("{at}.ldflags -X"), format!("build.stamp is builds[{}]'s", first.index));
        }
        let (m, f) = (&b.matrix, &first.matrix);
        for (key, differs) in [
            ("goos", m.os != f.os),
            ("goarch", m.arch != f.arch),
            ("goarm", m.arm != f.arm),
            ("ignore", m.ignore != f.ignore),
            ("targets", m.list != f.list),
        ] {
            if differs {
                out.note(Section::Targets, format!("{at}.{key}"), format!("[targets] is builds[{}]'s", first.index));
            }
        }
    }
    out.env = env;
    out.stamp = Some(first.stamp.clone());
    out.targets = Some(first.matrix.clone());
    out.ldflags = Some(first.ldflags.clone());

    let bins: Vec<(&BuildIn, &Bin)> = accepted.iter().flat_map(|b| b.bins.iter().map(move |bin| (b, bin))).collect();
    if let [(b, bin)] = bins.as_slice() {
        out.main = Some(bin.main.clone());
        out.binary = bin.name.clone();
        out.flags = b.flags.clone();
        out.tags = b.tags.clone();
        return;
    }
    let same_flags = accepted.iter().all(|b| b.flags == first.flags);
    let same_tags = accepted.iter().all(|b| b.tags == first.tags);
    if same_flags {
        out.flags = first.flags.clone();
    }
    if same_tags {
        out.tags = first.tags.clone();
    }
    for (b, bin) in bins {
        let mut flags = Vec::new();
        if !same_tags && !b.tags.is_empty() {
            flags.push(format!("-tags={}", b.tags.join(",")));
        }
        if !same_flags {
            flags.extend(b.flags.iter().cloned());
        }
        let ldflags = (b.ldflags != first.ldflags).then(|| b.ldflags.clone());
        out.binaries.push(Bin { main: bin.main.clone(), name: bin.name.clone(), flags, ldflags });
    }
}

/// Our default binary name for a main package: its last part (settings.rs).
fn default_name(main: &str) -> String {
    norm(main).last().cloned().unwrap_or_default()
}

fn convert_archive(out: &mut Out, archive: &Yaml, module_dir_rel: &str) -> anyhow::Result<ArchiveOut> {
    let at = "archives[0]";
    let fields = entries(archive, at)?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !is_unset(v));
    let mut a = ArchiveOut {
        name: GR_ARCHIVE_NAME.to_owned(),
        format: "tar.gz",
        formats: BTreeMap::new(),
        replacements: BTreeMap::new(),
        files: None,
        wrap: false,
    };
    // formats (v2), then format (v1): GoReleaser appends the one to the other. dist makes the first.
    let mut formats = Vec::new();
    for key in ["formats", "format"] {
        if let Some(v) = get(key) {
            formats.extend(strings(v, &format!("{at}.{key}"))?.into_iter().map(|f| (key, f)));
        }
    }
    for (k, (key, f)) in formats.iter().enumerate() {
        match (k, archive_format(f)) {
            (0, Some(format)) => a.format = format,
            _ => {
                out.note(Section::Archive, format!("{at}.{key} {f}"), "dist makes one tar.gz, zip or binary per target")
            }
        }
    }
    match get("name_template").and_then(scalar).filter(|n| !n.is_empty()) {
        Some(name) => a.name = name,
        // GoReleaser names bare binaries after the binary, not the project.
        None if formats.iter().any(|(_, f)| f == "binary") => {
            a.name = GR_ARCHIVE_NAME.replacen(".ProjectName", ".Binary", 1)
        }
        None => {}
    }
    if let Some(Yaml::Array(overrides)) = get("format_overrides") {
        for (j, o) in overrides.iter().enumerate() {
            let key = format!("{at}.format_overrides[{j}]");
            let goos = scalar(&o["goos"]).unwrap_or_default();
            let mut fs = Vec::new();
            for list in [&o["formats"], &o["format"]] {
                if !is_unset(list) {
                    fs.extend(strings(list, &key)?);
                }
            }
            match (fs.first().and_then(|f| archive_format(f)), goos.is_empty()) {
                (Some(format), false) if fs.len() == 1 => {
                    a.formats.insert(goos, format);
                }
                (Some(format), false) => {
                    a.formats.insert(goos, format);
                    out.note(Section::Archive, key, "dist makes one archive per target");
                }
                _ => out.note(Section::Archive, key, "dist makes tar.gz, zip or binary archives"),
            }
        }
    }

    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        match key.as_str() {
            "name_template" | "formats" | "format" | "format_overrides" | "id" => {}
            // A check that every archive holds as many binaries; dist's archives always hold all of them.
            "allow_different_binary_count" => {}
            "wrap_in_directory" => match truthy(value) {
                Some(wrap) => a.wrap = wrap,
                // `true` means a folder named like the archive, which is what dist's `wrap` makes.
                None if scalar(value).as_deref() == Some(a.name.as_str()) => a.wrap = true,
                None => {
                    a.wrap = true;
                    out.note(
                        Section::Archive,
                        format!("{at}.wrap_in_directory"),
                        "a folder name: dist's is the archive's name",
                    );
                }
            },
            "replacements" => {
                for (from, to) in entries(value, &format!("{at}.replacements"))? {
                    match scalar(to) {
                        Some(to) => {
                            a.replacements.insert(from, to);
                        }
                        None => out.note(Section::Archive, format!("{at}.replacements.{from}"), "not a string"),
                    }
                }
            }
            "files" => {
                let Yaml::Array(items) = value else { bail!("`{at}.files` must be a list") };
                let mut files = Vec::new();
                for (j, item) in items.iter().enumerate() {
                    let src = match item {
                        Yaml::Hash(_) => {
                            for (k, v) in entries(item, &format!("{at}.files[{j}]"))? {
                                if k != "src" {
                                    note_if_set(
                                        out,
                                        Section::Archive,
                                        v,
                                        format!("{at}.files[{j}].{k}"),
                                        "dist keeps the path",
                                    );
                                }
                            }
                            scalar(&item["src"])
                        }
                        _ => scalar(item),
                    };
                    match src {
                        Some(src) if src.contains("{{") => {
                            out.note(Section::Archive, format!("{at}.files[{j}]"), "a template");
                        }
                        Some(src) if !src.is_empty() => files.push(rebase(&src, module_dir_rel)),
                        _ => {}
                    }
                }
                a.files = Some(files);
            }
            "ids" | "builds" => out.note(Section::Archive, format!("{at}.{key}"), "dist archives every binary"),
            "builds_info" => {
                out.note(Section::Archive, format!("{at}.{key}"), "dist's entries are 0:0 with modes 0755/0644")
            }
            _ => out.note(Section::Archive, format!("{at}.{key}"), "no dist.toml equivalent"),
        }
    }
    Ok(a)
}

fn archive_format(f: &str) -> Option<&'static str> {
    match f {
        "tar.gz" | "tgz" => Some("tar.gz"),
        "zip" => Some("zip"),
        "binary" => Some("binary"),
        _ => None,
    }
}

/// A glob relative to the config's folder → relative to app.dir (what `archive.files` is relative to).
fn rebase(glob: &str, module_dir_rel: &str) -> String {
    let module = norm(module_dir_rel);
    if module.is_empty() || glob.starts_with('/') {
        return glob.to_owned();
    }
    let parts = norm(glob);
    match parts.strip_prefix(&module[..]) {
        Some(rest) if !rest.is_empty() => rest.join("/"),
        _ => format!("{}{}", "../".repeat(module.len()), parts.join("/")),
    }
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn is_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.')
}

/// Names `key` as not imported unless its value is empty (null, "", [], {}, false): setting nothing needs no
/// mapping.
fn note_if_set(out: &mut Out, section: Section, value: &Yaml, key: impl Into<String>, why: &str) {
    if !is_unset(value) {
        out.note(section, key, why);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// YAML access

/// Null, "", [], {} or false: a key that sets nothing.
fn is_unset(y: &Yaml) -> bool {
    match y {
        Yaml::Null | Yaml::BadValue => true,
        Yaml::String(s) => s.is_empty(),
        Yaml::Array(a) => a.is_empty(),
        Yaml::Hash(h) => h.is_empty(),
        Yaml::Boolean(b) => !b,
        _ => false,
    }
}

/// A scalar as text (`386` and `6` are integers in YAML; GoReleaser reads them as strings).
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `true`/`false` (also as strings); `None` for anything else (a template).
fn truthy(y: &Yaml) -> Option<bool> {
    match y {
        Yaml::Boolean(b) => Some(*b),
        Yaml::Null => Some(false),
        Yaml::String(s) => match s.trim() {
            "true" => Some(true),
            "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// GoReleaser's string lists: a list of scalars, or one scalar.
fn strings(y: &Yaml, at: &str) -> anyhow::Result<Vec<String>> {
    match y {
        Yaml::Null => Ok(vec![]),
        Yaml::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| scalar(item).ok_or_else(|| format_err!("`{at}[{i}]` must be a string")))
            .collect(),
        other => {
            scalar(other).map(|s| vec![s]).ok_or_else(|| format_err!("`{at}` must be a string or a list of strings"))
        }
    }
}

/// GoReleaser's `FlagArray` (flags, tags): a list, or one string split at spaces.
fn flag_array(y: Option<&Yaml>, at: &str) -> anyhow::Result<Vec<String>> {
    match y {
        None => Ok(vec![]),
        Some(list @ Yaml::Array(_)) => strings(list, at),
        Some(other) => Ok(strings(other, at)?.iter().flat_map(|s| s.split_whitespace().map(str::to_owned)).collect()),
    }
}

/// A mapping's entries with the keys as text, in file order; null is an empty mapping.
fn entries<'a>(y: &'a Yaml, at: &str) -> anyhow::Result<Vec<(String, &'a Yaml)>> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| {
                let key = scalar(k).ok_or_else(|| format_err!("`{at}` has a key that is not a string"))?;
                Ok((key, v))
            })
            .collect(),
        Yaml::Null => Ok(vec![]),
        _ if at.is_empty() => bail!("expected a mapping at the top"),
        _ => bail!("`{at}` must be a mapping"),
    }
}

/// Applies YAML merge keys (`<<: *defaults`), which GoReleaser's YAML library honours and YAML 1.2 parsers
/// leave as a plain `<<` key. Keys written next to `<<` win.
fn merge_keys(y: Yaml) -> Yaml {
    match y {
        Yaml::Array(items) => Yaml::Array(items.into_iter().map(merge_keys).collect()),
        Yaml::Hash(h) => {
            let merge = Yaml::String("<<".to_owned());
            let mut own = yaml_rust2::yaml::Hash::new();
            let mut inherited: Vec<Yaml> = Vec::new();
            for (k, v) in h {
                if k == merge {
                    match v {
                        Yaml::Array(sources) => inherited.extend(sources),
                        source => inherited.push(source),
                    }
                } else {
                    own.insert(k, merge_keys(v));
                }
            }
            for source in inherited {
                if let Yaml::Hash(source) = merge_keys(source) {
                    for (k, v) in source {
                        if !own.contains_key(&k) {
                            own.insert(k, v);
                        }
                    }
                }
            }
            Yaml::Hash(own)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Format, Settings};

    fn parse(imported: &Imported) -> Settings {
        toml::from_str::<Settings>(&imported.toml)
            .unwrap_or_else(|e| panic!("the generated dist.toml does not parse: {e}\n{}", imported.toml))
    }

    /// main, name, flags, ldflags of a [[binaries]] entry.
    type BinRow<'a> = (&'a str, Option<&'a str>, &'a [String], Option<&'a [String]>);

    fn strs(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// What `goreleaser init` (v2.15.1) writes: internal/static/config.yaml.
    const GORELEASER_INIT: &str = r#"# This is an example .goreleaser.yml file with some sensible defaults.
# Make sure to check the documentation at https://goreleaser.com

# The lines below are called `modelines`. See `:help modeline`
# Feel free to remove those if you don't want/need to use them.
# yaml-language-server: $schema=https://goreleaser.com/static/schema.json
# vim: set ts=2 sw=2 tw=0 fo=cnqoj

version: 2

before:
  hooks:
    # You may remove this if you don't use go modules.
    - go mod tidy
    # you may remove this if you don't need go generate
    - go generate ./...

builds:
  - main: ./...
    env:
      - CGO_ENABLED=0
    goos:
      - linux
      - windows
      - darwin
    goarch:
      - arm64
      - amd64
      - "386"

archives:
  - formats: [tar.gz]
    # this name template makes the OS and Arch compatible with the results of `uname`.
    name_template: >-
      {{ .ProjectName }}_
      {{- title .Os }}_
      {{- if eq .Arch "amd64" }}x86_64
      {{- else if eq .Arch "386" }}i386
      {{- else }}{{ .Arch }}{{ end }}
      {{- if .Arm }}v{{ .Arm }}{{ end }}
    # use zip for windows archives
    format_overrides:
      - goos: windows
        formats: [zip]

changelog:
  sort: asc
  filters:
    exclude:
      - "^docs:"
      - "^test:"

release:
  footer: >-

    ---

    Released by [GoReleaser](https://github.com/goreleaser/goreleaser).
"#;

    /// The folded `name_template` above, as YAML reads it: lines joined with single spaces.
    const UNAME_TEMPLATE: &str = "{{ .ProjectName }}_ {{- title .Os }}_ {{- if eq .Arch \"amd64\" }}x86_64 {{- else if eq .Arch \"386\" }}i386 {{- else }}{{ .Arch }}{{ end }} {{- if .Arm }}v{{ .Arm }}{{ end }}";

    #[test]
    fn goreleaser_init_config() {
        let imported = from_goreleaser(GORELEASER_INIT, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(imported.source, ".goreleaser.yml");
        assert_eq!(s.archive.name, UNAME_TEMPLATE);
        assert_eq!(s.archive.format, Format::TarGz);
        assert_eq!(s.archive.formats, BTreeMap::from([("windows".to_owned(), Format::Zip)]));
        assert!(!s.archive.wrap, "GoReleaser does not wrap by default");
        assert_eq!(s.archive.files, Settings::default().archive.files, "GoReleaser's default files: ours");
        assert_eq!(s.targets.os, strs(&["linux", "windows", "darwin"]));
        assert_eq!(s.targets.arch, strs(&["arm64", "amd64", "386"]));
        assert_eq!(s.targets.arm, Vec::<String>::new());
        assert!(!imported.toml.contains("arm ="), "{}", imported.toml);
        assert_eq!(s.targets.ignore, Vec::<String>::new());
        assert_eq!(s.build.env, BTreeMap::from([("CGO_ENABLED".to_owned(), "0".to_owned())]));
        // GoReleaser's default ldflags.
        assert_eq!(s.build.ldflags, strs(&["-s", "-w", "-X", "main.builtBy=goreleaser"]));
        assert_eq!(
            (s.build.stamp.version.as_str(), s.build.stamp.commit.as_str(), s.build.stamp.date.as_str()),
            ("main.version", "main.commit", "main.date")
        );
        assert_eq!(s.checksum.name, "{{ .ProjectName }}_{{ .Version }}_checksums.txt");
        assert_eq!(s.app.dir, std::path::PathBuf::from("."));
        assert_eq!(s.app.go, DEFAULT_GO);
        assert_eq!(
            imported.unmapped,
            strs(&["before.hooks", "changelog", "release", "builds[0].main ./..."]),
            "{}",
            imported.toml
        );
        assert!(imported.toml.contains("# not imported: before.hooks (run them before `cargo xtask dist`)\n[build]\n"));
        assert!(imported.toml.contains("# not imported: changelog (dist writes no changelog)\n"));
        assert!(imported
            .toml
            .starts_with("# What `cargo xtask dist` builds: written by `cargo xtask init` from .goreleaser.yml.\n"));
        // And dist accepts it: the template parses, the targets are valid.
        let r = s.resolve(Path::new("/proj/dist.toml")).unwrap();
        assert_eq!(r.archive_name.source(), UNAME_TEMPLATE);
        assert_eq!(r.matrix.targets.len(), 9);
    }

    #[test]
    fn import_this_repository() {
        let imported = import(&crate::project::root()).unwrap();
        assert_eq!(imported.source, "app/go.mod");
        let s = parse(&imported);
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/hello", Some("hello")));
    }

    #[test]
    fn import_resolves_every_main_package_of_dot_dot_dot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".goreleaser.yaml"), GORELEASER_INIT).unwrap();
        std::fs::write(root.join("go.mod"), "module github.com/acme/tool/v2\n\ngo 1.24\n").unwrap();
        for (path, src) in [
            ("main.go", "package main\nfunc main() {}\n"),
            ("cmd/tool-cli/main.go", "// Command tool-cli.\npackage main\nfunc main() {}\n"),
            ("internal/lib/lib.go", "package lib\n"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), src).unwrap();
        }
        let imported = import(root).unwrap();
        assert_eq!(imported.source, ".goreleaser.yaml");
        let s = parse(&imported);
        assert_eq!(s.app.name.as_deref(), Some("v2"), "GoReleaser's project name: the module's last element");
        let bins: Vec<(&str, Option<&str>)> = s.binaries.iter().map(|b| (b.main.as_str(), b.name.as_deref())).collect();
        assert_eq!(bins, [(".", Some("tool")), ("./cmd/tool-cli", Some("tool-cli"))]);
        assert_eq!(imported.unmapped, strs(&["before.hooks", "changelog", "release"]));
    }

    const MULTI_BUILD: &str = r#"
project_name: suite
builds:
  - id: server
    main: ./cmd/server
    binary: server
    ldflags: -s -w -X main.version={{.Version}} -X github.com/x/y/internal.Commit={{.Commit}}
    goos: [linux, windows, darwin]
    goarch: [amd64, arm64, arm]
    goarm: ["6", 7]
    ignore:
      - goos: windows
        goarch: arm
    tags: [netgo, osusergo]
    flags: [-trimpath, -mod=vendor]
    mod_timestamp: "{{ .CommitTimestamp }}"
    hooks:
      pre: make assets
  - id: cli
    main: ./cmd/cli
    binary: cli
    ldflags:
      - -s -w
      - -X main.version={{ .Version }}
      - -X github.com/x/y/internal.Commit={{ .Commit }}
    goos: [linux, windows, darwin]
    goarch: [amd64, arm64, arm]
    goarm: [6, "7"]
    ignore:
      - goos: windows
        goarch: arm
    tags: [netgo, osusergo]
    flags: [-trimpath, -mod=vendor]
"#;

    #[test]
    fn several_builds_become_binaries() {
        let imported = from_goreleaser(MULTI_BUILD, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.app.name.as_deref(), Some("suite"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), (".", None), "[[binaries]] replace them");
        let bins: Vec<BinRow> = s
            .binaries
            .iter()
            .map(|b| (b.main.as_str(), b.name.as_deref(), b.flags.as_slice(), b.ldflags.as_deref()))
            .collect();
        assert_eq!(bins, [("./cmd/server", Some("server"), &[][..], None), ("./cmd/cli", Some("cli"), &[][..], None)]);
        assert_eq!(s.build.stamp.version, "main.version");
        assert_eq!(s.build.stamp.commit, "github.com/x/y/internal.Commit");
        assert_eq!(s.build.stamp.date, "");
        assert_eq!(s.build.ldflags, strs(&["-s", "-w"]));
        assert_eq!(s.build.flags, strs(&["-mod=vendor"]));
        assert_eq!(s.build.tags, strs(&["netgo", "osusergo"]));
        assert_eq!(s.build.env, BTreeMap::new());
        assert_eq!(s.targets.os, strs(&["linux", "windows", "darwin"]));
        assert_eq!(s.targets.arch, strs(&["amd64", "arm64", "arm"]));
        assert_eq!(s.targets.arm, strs(&["6", "7"]));
        assert_eq!(s.targets.ignore, strs(&["windows/arm"]));
        assert_eq!(imported.unmapped, strs(&["builds[0].hooks"]));
        assert!(imported
            .toml
            .contains("# not imported: builds[0].hooks (run them before `cargo xtask dist`)\n[build]"));
        // GoReleaser's defaults that differ from ours are written out.
        assert_eq!(s.archive.name, GR_ARCHIVE_NAME);
        assert_eq!(s.archive.formats, BTreeMap::new(), "GoReleaser makes tar.gz for windows too unless told");
    }

    #[test]
    fn builds_that_differ_name_what_is_not_imported() {
        let yaml = r#"
builds:
  - main: ./cmd/a
    binary: a
    goos: [linux]
    ldflags: ["-s -w -X main.version={{.Version}} -X main.host={{ .Env.HOSTNAME }} -X main.tag={{.Tag}}"]
    tags: [x]
    gcflags: ["all=-N -l"]
    goamd64: [v3]
    env: [CGO_ENABLED=1, "GOOS=linux"]
  - main: ./cmd/b
    binary: b
    goos: [linux, darwin]
    ldflags: -X main.version={{.Version}}
  - main: ./cmd/other
    binary: a
  - main: ./rust
    builder: rust
  - main: ./gone
    skip: true
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(
            imported.unmapped,
            strs(&[
                "builds[0].goamd64",
                "builds[0].ldflags -X main.host={{ .Env.HOSTNAME }}",
                "builds[0].ldflags -X main.tag={{.Tag}}",
                "builds[0].env GOOS",
                "builds[3]",
                "builds[2]",
                "builds[1].env",
                "builds[1].goos",
            ]),
            "{}",
            imported.toml
        );
        assert_eq!(s.build.ldflags, strs(&["-s", "-w"]));
        assert_eq!(s.build.env, BTreeMap::from([("CGO_ENABLED".to_owned(), "1".to_owned())]));
        assert_eq!(s.build.flags, Vec::<String>::new(), "flags differ: per binary");
        assert_eq!(s.build.tags, Vec::<String>::new(), "tags differ: per binary");
        assert_eq!(s.binaries[0].flags, strs(&["-tags=x", "-gcflags=all=-N -l"]));
        assert_eq!(s.binaries[1].flags, Vec::<String>::new());
        assert_eq!(s.binaries[1].ldflags, Some(vec![]));
        assert_eq!(s.binaries[0].ldflags, None);
        assert_eq!(s.targets.os, strs(&["linux"]));
    }

    #[test]
    fn v1_archive_and_defaults() {
        let yaml = r#"
project_name: lazy
builds:
  - env: [CGO_ENABLED=0]
    goarch: [amd64, arm]
archives:
  - format: zip
    replacements:
      darwin: Darwin
      linux: Linux
      amd64: x86_64
      386: i386
    wrap_in_directory: true
    files:
      - LICENSE
      - src: docs/*.md
        dst: docs
snapshot:
  name_template: "{{ .Tag }}-next"
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.archive.format, Format::Zip);
        assert_eq!(s.archive.formats, BTreeMap::new());
        assert_eq!(
            s.archive.replacements,
            BTreeMap::from([
                ("386".to_owned(), "i386".to_owned()),
                ("amd64".to_owned(), "x86_64".to_owned()),
                ("darwin".to_owned(), "Darwin".to_owned()),
                ("linux".to_owned(), "Linux".to_owned()),
            ])
        );
        assert!(s.archive.wrap);
        assert_eq!(s.archive.files, strs(&["LICENSE", "docs/*.md"]));
        assert_eq!(s.archive.name, "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}");
        assert_eq!(s.checksum.name, "{{ .ProjectName }}_{{ .Version }}_checksums.txt");
        assert_eq!(
            (s.app.name.as_deref(), s.app.binary.as_deref(), s.app.main.as_str()),
            (Some("lazy"), Some("lazy"), ".")
        );
        assert_eq!(s.targets.os, strs(&["linux", "darwin", "windows"]));
        assert_eq!(s.targets.arch, strs(&["amd64", "arm"]));
        assert_eq!(s.targets.arm, strs(&["6"]), "GoReleaser's default GOARM");
        assert_eq!(imported.unmapped, strs(&["snapshot", "archives[0].files[1].dst"]));
        assert!(imported.toml.contains("wrap = true\n"));
    }

    #[test]
    fn explicit_targets_wrap_templates_and_checksums() {
        let yaml = r#"
builds:
  - targets: [go_first_class, linux_arm_7, linux_amd64_v3, darwin_arm64_v8.0, linux_riscv64]
    dir: app
    main: ./cmd/x/main.go
    binary: "{{ .ProjectName }}"
archives:
  - formats: [binary]
    name_template: '{{ .Binary }}_{{ .Os }}_{{ .Arch }}'
    wrap_in_directory: "{{ .ProjectName }}"
checksum:
  name_template: "SHA256SUMS"
  algorithm: sha512
"#;
        let imported = from_goreleaser(yaml, "app").unwrap();
        let s = parse(&imported);
        assert_eq!(
            s.targets.list,
            strs(&[
                "darwin/amd64",
                "darwin/arm64",
                "linux/386",
                "linux/amd64",
                "linux/arm/v6",
                "linux/arm64",
                "windows/386",
                "windows/amd64",
                "linux/arm/v7",
                "linux/riscv64",
            ])
        );
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/x/main.go", Some("x")));
        assert_eq!(s.archive.format, Format::Binary);
        assert_eq!(s.archive.name, "{{ .Binary }}_{{ .Os }}_{{ .Arch }}");
        assert!(s.archive.wrap);
        assert_eq!(s.checksum.name, "SHA256SUMS");
        assert_eq!(
            imported.unmapped,
            strs(&[
                "builds[0].targets linux_amd64_v3",
                "builds[0].binary",
                "archives[0].wrap_in_directory",
                "checksum.algorithm"
            ])
        );
    }

    #[test]
    fn binary_archives_and_a_wrap_folder_named_like_the_archive() {
        let yaml = "archives:\n  - formats: binary\n  - formats: [zip]\n";
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.archive.format, Format::Binary);
        assert_eq!(s.archive.name, "{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}");
        assert_eq!(imported.unmapped, strs(&["archives[1]"]));

        let s = parse(&from_goreleaser("archives:\n  - name_template: x\n    wrap_in_directory: x\n", ".").unwrap());
        assert!(s.archive.wrap);
        let imported = from_goreleaser("archives:\n  - format: tar.xz\n    formats: [zip, tar.gz]\n", ".").unwrap();
        assert_eq!(parse(&imported).archive.format, Format::Zip);
        assert_eq!(imported.unmapped, strs(&["archives[0].formats tar.gz", "archives[0].format tar.xz"]));
    }

    #[test]
    fn toml_strings_round_trip() {
        for text in ["plain", "q\"uote\\back", "line\nbreak\ttab\r", "\u{1}\u{7f}é{{ \"x\" }}", ""] {
            let doc = format!("v = {}", toml_str(text));
            let table: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(table["v"].as_str(), Some(text), "{doc}");
        }
        assert_eq!(
            toml_table([("CGO_ENABLED", "0"), ("a.b", "c")].into_iter()),
            "{ CGO_ENABLED = \"0\", \"a.b\" = \"c\" }"
        );
    }

    #[test]
    fn ldflags_words_keep_templates_and_quotes() {
        assert_eq!(
            split_words("-s  -X main.v={{ .Version }} -extldflags \"-static -lm\" -X 'main.x=a b'"),
            strs(&["-s", "-X", "main.v={{ .Version }}", "-extldflags", "\"-static -lm\"", "-X", "'main.x=a b'"])
        );
        assert_eq!(single_action("{{- .Commit -}}"), Some(".Commit"));
        let mut out = Out::default();
        let ldflags = "-s -X='main.x=a b' -X \"main.v={{ .Version }}\" -X main.c={{.ShortCommit}} -X=main.d={{.Date}}";
        let (plain, stamp) = split_ldflags(&mut out, "builds[0]", ldflags);
        assert_eq!(plain, strs(&["-s", "-X='main.x=a b'"]));
        assert_eq!(stamp.to_vec(), strs(&["main.v", "", "main.d"]));
        let notes: Vec<&str> = out.notes.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(notes, ["builds[0].ldflags -X main.c={{.ShortCommit}}"]);
        assert_eq!(single_action("v{{ .Version }}"), None);
    }

    #[test]
    fn not_yaml_or_not_a_mapping_is_an_error() {
        let err = format!("{:#}", from_goreleaser("builds: [", ".").unwrap_err());
        assert!(err.contains(".goreleaser.yml is not valid YAML"), "{err}");
        let err = format!("{:#}", from_goreleaser("- a\n- b\n", ".").unwrap_err());
        assert!(err.contains("expected GoReleaser settings"), "{err}");
        let err = format!("{:#}", from_goreleaser("builds:\n  - goos: {a: b}\n", ".").unwrap_err());
        assert!(err.contains("`builds[0].goos` must be a string or a list of strings"), "{err}");
    }

    #[test]
    fn merge_keys_and_an_empty_config() {
        let yaml = r#"
x-common: &common
  goos: [linux]
  env: [CGO_ENABLED=0]
builds:
  - <<: *common
    main: ./cmd/a
    binary: a
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.targets.os, strs(&["linux"]));
        assert_eq!(s.build.env["CGO_ENABLED"], "0");
        assert_eq!(imported.unmapped, strs(&["x-common"]));

        let s = parse(&from_goreleaser("", ".").unwrap());
        assert_eq!(s.targets.arch, strs(&["amd64", "arm64", "386"]));
        assert_eq!(s.app.binary, None, "no project name known without the repository");
    }

    #[test]
    fn go_mod_with_two_mains() {
        let imported = from_go_mod(
            "// comment\nmodule github.com/acme/suite // the suite\n\ngo 1.24\n",
            &strs(&["./cmd/server", "./cmd/cli"]),
            ".",
        );
        assert_eq!(imported.source, "go.mod");
        assert_eq!(imported.unmapped, Vec::<String>::new());
        let s = parse(&imported);
        assert_eq!(s.app.name.as_deref(), Some("suite"));
        let bins: Vec<(&str, Option<&str>)> = s.binaries.iter().map(|b| (b.main.as_str(), b.name.as_deref())).collect();
        assert_eq!(bins, [("./cmd/server", Some("server")), ("./cmd/cli", Some("cli"))]);
        assert_eq!(s.build, Settings::default().build, "defaults for everything else");
        assert_eq!(s.targets, Settings::default().targets);
        assert_eq!(s.archive, Settings::default().archive);
        assert_eq!(s.checksum, Settings::default().checksum);
        assert!(!imported.toml.contains("[build]"), "{}", imported.toml);
    }

    #[test]
    fn go_mod_with_one_main_at_the_top() {
        let s = parse(&from_go_mod("module \"example.com/tools/hello/v3\"\n", &strs(&["."]), "app"));
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), (".", Some("hello")));
        assert_eq!(s.app.go, "1.26.8");
        assert!(s.binaries.is_empty());
        let s = parse(&from_go_mod("module tool\n", &strs(&["./cmd/tool"]), "."));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/tool", Some("tool")));
    }

    #[test]
    fn find_mains_skips_vendor_testdata_hidden_and_nested_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, src) in [
            ("main.go", "package main\n"),
            ("cmd/server/server.go", "/* a\n block */\n// Package main.\npackage main // server\n"),
            ("cmd/server/server_test.go", "package main\n"),
            ("cmd/cli/cli.go", "package main\n"),
            ("cmd/onlytest/x_test.go", "package main\n"),
            ("internal/gen/gen.go", "//go:build ignore\n\npackage main\n"),
            ("internal/gen/lib.go", "package gen\n"),
            ("internal/lib/lib.go", "package lib\n"),
            ("internal/lib/mainly.go", "package mainly\n"),
            ("vendor/x/main.go", "package main\n"),
            ("testdata/x/main.go", "package main\n"),
            (".hidden/main.go", "package main\n"),
            ("_old/main.go", "package main\n"),
            ("tools/go.mod", "module tools\n"),
            ("tools/main.go", "package main\n"),
            ("cmd/ignored/_x.go", "package main\n"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), src).unwrap();
        }
        assert_eq!(find_mains(root).unwrap(), strs(&[".", "./cmd/cli", "./cmd/server"]));
        assert!(find_mains(&root.join("nope")).is_err());
    }

    #[test]
    fn import_from_go_mod_in_a_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/cmd/hello")).unwrap();
        std::fs::write(root.join("app/go.mod"), "module example.com/hello\n").unwrap();
        std::fs::write(root.join("app/cmd/hello/main.go"), "package main\n").unwrap();
        let imported = import(root).unwrap();
        assert_eq!(imported.source, "app/go.mod");
        let s = parse(&imported);
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/hello", Some("hello")));
        let header = "# What `cargo xtask dist` builds: written by `cargo xtask init` from app/go.mod and the main \
                      packages below it.\n";
        assert!(imported.toml.starts_with(header), "{}", imported.toml);

        let empty = tempfile::tempdir().unwrap();
        let err = format!("{:#}", import(empty.path()).unwrap_err());
        assert!(err.contains("neither a GoReleaser config"), "{err}");
    }
}
