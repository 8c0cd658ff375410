//! `[[packages]]`: Linux packages (.deb, .rpm, .apk) of the linux targets'
//! binaries, GoReleaser's `nfpms` under shorter names. Every string a
//! GoReleaser user can template there is a template here too.

use std::collections::BTreeSet;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::{parse_template, pick_binaries, Binary, TEMPLATE_FIELDS};
use crate::template::Template;

/// GoReleaser's default package file name, without the extension.
pub const DEFAULT_PACKAGE_FILE_NAME: &str = "{{ .PackageName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";
pub const DEFAULT_BINDIR: &str = "/usr/bin";

/// Fields a package's file name and contents can use besides [`TEMPLATE_FIELDS`].
pub const PACKAGE_FIELDS: [&str; 6] =
    ["ConventionalExtension", "ConventionalFileName", "Epoch", "Format", "PackageName", "Release"];

/// A Linux package format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageFormat {
    Deb,
    Rpm,
    Apk,
}

impl PackageFormat {
    pub fn name(self) -> &'static str {
        match self {
            PackageFormat::Deb => "deb",
            PackageFormat::Rpm => "rpm",
            PackageFormat::Apk => "apk",
        }
    }

    /// `.deb`, `.rpm`, `.apk`: GoReleaser's `.ConventionalExtension`.
    pub fn extension(self) -> &'static str {
        match self {
            PackageFormat::Deb => ".deb",
            PackageFormat::Rpm => ".rpm",
            PackageFormat::Apk => ".apk",
        }
    }
}

impl std::fmt::Display for PackageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One `[[packages]]` entry: a package of each format for every linux target.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PackageSettings {
    pub formats: Vec<PackageFormat>,
    /// The package's name (a template); `app.name` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The binaries it installs, by name; all when empty (GoReleaser's `ids`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
    /// The file name without its extension (a template); GoReleaser's default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Where the binaries go (a template); `/usr/bin` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bindir: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vendor: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub homepage: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub maintainer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub license: String,
    /// deb `Section`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub section: String,
    /// deb `Priority`; `optional` when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub priority: String,
    /// deb revision, rpm `Release` (`1` when empty), apk `-rN`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub release: String,
    /// deb and rpm epoch: a whole number.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub epoch: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recommends: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggests: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
    /// deb only: lintian tags to override, e.g. `statically-linked-binary` (GoReleaser's `deb.lintian_overrides`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lintian_overrides: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contents: Vec<ContentSettings>,
    #[serde(skip_serializing_if = "ScriptSettings::is_empty")]
    pub scripts: ScriptSettings,
}

/// One more thing a package installs (GoReleaser's `contents`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ContentSettings {
    /// A file (or glob, or directory for `tree`) relative to `app.dir`; a symlink's target. A template.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub src: String,
    /// Where it is installed: an absolute path (a directory for globs and trees). A template.
    pub dst: String,
    /// `""` (a file), `config`, `config|noreplace`, `dir`, `symlink` or `tree`.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Permission bits in octal, e.g. `"0644"`; a file's default is 0644 (0755 if executable on disk), a directory's 0755.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    /// `root` when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Only in packages of this format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packager: Option<PackageFormat>,
}

/// Maintainer scripts: files relative to `app.dir` (templates).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptSettings {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preinstall: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub postinstall: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preremove: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub postremove: String,
}

impl ScriptSettings {
    pub fn is_empty(&self) -> bool {
        self.all().iter().all(|(_, s)| s.is_empty())
    }

    /// (name, path) of each script, to change.
    pub fn all_mut(&mut self) -> [(&'static str, &mut String); 4] {
        [
            ("preinstall", &mut self.preinstall),
            ("postinstall", &mut self.postinstall),
            ("preremove", &mut self.preremove),
            ("postremove", &mut self.postremove),
        ]
    }

    /// (name, path) of each script, in a fixed order.
    pub fn all(&self) -> [(&'static str, &str); 4] {
        [
            ("preinstall", &self.preinstall),
            ("postinstall", &self.postinstall),
            ("preremove", &self.preremove),
            ("postremove", &self.postremove),
        ]
    }
}

/// What a content entry installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    File,
    Config,
    ConfigNoReplace,
    Dir,
    Symlink,
    Tree,
}

/// A content entry with its templates parsed and its type and mode checked.
#[derive(Debug, Clone)]
pub struct Content {
    pub src: Template,
    pub dst: Template,
    pub kind: ContentKind,
    pub mode: Option<u32>,
    pub owner: String,
    pub group: String,
    pub packager: Option<PackageFormat>,
}

/// A `[[packages]]` entry, checked, with its templates parsed.
#[derive(Debug, Clone)]
pub struct ResolvedPackage {
    /// `packages[N]`, for messages.
    pub key: String,
    pub formats: Vec<PackageFormat>,
    pub name: Template,
    /// Indexes into the resolved binaries.
    pub binaries: Vec<usize>,
    pub file_name: Template,
    pub bindir: Template,
    pub vendor: String,
    pub homepage: Template,
    pub maintainer: Template,
    pub description: Template,
    pub license: String,
    pub section: String,
    pub priority: String,
    pub release: String,
    pub epoch: String,
    pub dependencies: Vec<String>,
    pub recommends: Vec<String>,
    pub suggests: Vec<String>,
    pub conflicts: Vec<String>,
    pub replaces: Vec<String>,
    pub provides: Vec<String>,
    pub lintian_overrides: Vec<String>,
    pub contents: Vec<Content>,
    /// (name, template of the path) of each script given.
    pub scripts: Vec<(&'static str, Template)>,
}

/// Checks `[[packages]]` against the binaries and parses its templates.
pub fn resolve(packages: &[PackageSettings], binaries: &[Binary]) -> anyhow::Result<Vec<ResolvedPackage>> {
    let mut out = Vec::new();
    let with_package =
        |key: &str, text: &str| parse_template_with(key, text, &[&TEMPLATE_FIELDS[..], &PACKAGE_FIELDS[..]].concat());
    for (i, p) in packages.iter().enumerate() {
        let key = format!("packages[{i}]");
        if p.formats.is_empty() {
            bail!("`{key}.formats` is empty: list at least one of \"deb\", \"rpm\", \"apk\"");
        }
        let mut seen = BTreeSet::new();
        if let Some(f) = p.formats.iter().find(|f| !seen.insert(**f)) {
            bail!("`{key}.formats` lists {f} twice");
        }
        let picked = pick_binaries(&format!("{key}.binaries"), &p.binaries, binaries)?;
        if !p.epoch.is_empty() && !p.epoch.bytes().all(|b| b.is_ascii_digit()) {
            bail!("`{key}.epoch` = {:?} is not a whole number", p.epoch);
        }
        for (list, values) in [
            ("dependencies", &p.dependencies),
            ("recommends", &p.recommends),
            ("suggests", &p.suggests),
            ("conflicts", &p.conflicts),
            ("replaces", &p.replaces),
            ("provides", &p.provides),
        ] {
            for v in values {
                Relation::parse(v).with_context(|| format!("in `{key}.{list}`"))?;
            }
        }
        let mut contents = Vec::new();
        for (j, c) in p.contents.iter().enumerate() {
            let at = format!("{key}.contents[{j}]");
            let kind = match c.kind.as_str() {
                "" | "file" => ContentKind::File,
                "config" => ContentKind::Config,
                "config|noreplace" => ContentKind::ConfigNoReplace,
                "dir" => ContentKind::Dir,
                "symlink" => ContentKind::Symlink,
                "tree" => ContentKind::Tree,
                other => bail!(
                    "`{at}.type` = {other:?} is not one dist writes: use \"\" (a file), \"config\", \"config|noreplace\", \"dir\", \"symlink\" or \"tree\""
                ),
            };
            if c.dst.trim().is_empty() {
                bail!("`{at}.dst` is empty: give the path it installs to, e.g. \"/etc/tool/config.yaml\"");
            }
            if c.src.trim().is_empty() && kind != ContentKind::Dir {
                bail!("`{at}.src` is empty: give the file (relative to app.dir), or the link's target for a symlink");
            }
            let mode = if c.mode.is_empty() { None } else { Some(super::parse_mode(&format!("{at}.mode"), &c.mode)?) };
            // A name as tar, cpio and rpm headers hold it: 31 bytes at most, one word.
            for (what, name) in [("owner", &c.owner), ("group", &c.group)] {
                let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
                if name.len() > 31 || !name.bytes().all(word) {
                    bail!("`{at}.{what}` = {name:?} is not a user or group name (letters, digits, `_-.`, 31 at most)");
                }
            }
            contents.push(Content {
                src: with_package(&format!("{at}.src"), &c.src)?,
                dst: with_package(&format!("{at}.dst"), &c.dst)?,
                kind,
                mode,
                owner: if c.owner.is_empty() { "root".into() } else { c.owner.clone() },
                group: if c.group.is_empty() { "root".into() } else { c.group.clone() },
                packager: c.packager,
            });
        }
        let scripts = p
            .scripts
            .all()
            .into_iter()
            .filter(|(_, path)| !path.is_empty())
            .map(|(name, path)| Ok((name, with_package(&format!("{key}.scripts.{name}"), path)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        out.push(ResolvedPackage {
            formats: p.formats.clone(),
            name: parse_template(&format!("{key}.name"), p.name.as_deref().unwrap_or("{{ .ProjectName }}"))?,
            binaries: picked,
            file_name: with_package(
                &format!("{key}.file_name"),
                p.file_name.as_deref().unwrap_or(DEFAULT_PACKAGE_FILE_NAME),
            )?,
            bindir: with_package(&format!("{key}.bindir"), p.bindir.as_deref().unwrap_or(DEFAULT_BINDIR))?,
            vendor: p.vendor.clone(),
            homepage: with_package(&format!("{key}.homepage"), &p.homepage)?,
            maintainer: with_package(&format!("{key}.maintainer"), &p.maintainer)?,
            description: with_package(&format!("{key}.description"), &p.description)?,
            license: p.license.clone(),
            section: p.section.clone(),
            priority: p.priority.clone(),
            release: p.release.clone(),
            epoch: p.epoch.clone(),
            dependencies: p.dependencies.clone(),
            recommends: p.recommends.clone(),
            suggests: p.suggests.clone(),
            conflicts: p.conflicts.clone(),
            replaces: p.replaces.clone(),
            provides: p.provides.clone(),
            lintian_overrides: p.lintian_overrides.clone(),
            contents,
            scripts,
            key,
        });
    }
    Ok(out)
}

/// A relation as users write it for deb or rpm: `name`, `name >= 1.0` or
/// `name (>= 1.0)`, spaces optional around the operator. Each format writes it
/// in its own syntax (nfpm copies the text, which dpkg or apk may then refuse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: String,
    /// `=`, `>=`, `<=`, `>>` or `<<` (Debian's spelling; `>` and `<` are read as `>>` and `<<`), or empty.
    pub op: &'static str,
    pub version: String,
}

impl Relation {
    pub fn parse(text: &str) -> anyhow::Result<Relation> {
        let shape = || format!("the relation {text:?} is not `name`, `name >= version` or `name (>= version)`");
        let bad = |s: &str| s.is_empty() || s.contains(char::is_whitespace) || s.contains(['(', ')']);
        let Some(at) = text.find(['<', '>', '=']) else {
            let name = text.trim();
            if bad(name) {
                bail!(shape());
            }
            return Ok(Relation { name: name.to_owned(), op: "", version: String::new() });
        };
        let name = text[..at].trim().trim_end_matches('(').trim();
        let rest = &text[at..];
        let op_len = rest.find(|c: char| !matches!(c, '<' | '>' | '=')).unwrap_or(rest.len());
        let (op, version) = rest.split_at(op_len);
        let version = version.trim().trim_end_matches(')').trim();
        if bad(name) || bad(version) {
            bail!(shape());
        }
        let op = match op {
            "=" | "==" => "=",
            ">=" => ">=",
            "<=" => "<=",
            ">" | ">>" => ">>",
            "<" | "<<" => "<<",
            _ => bail!("the relation {text:?} has an unknown operator {op:?}: use =, >=, <=, >> or <<"),
        };
        Ok(Relation { name: name.to_owned(), op, version: version.to_owned() })
    }

    /// Debian's syntax: `name` or `name (>= 1.0)`.
    pub fn deb(&self) -> String {
        if self.op.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({} {})", self.name, self.op, self.version)
        }
    }

    /// Alpine's syntax, one word: `name` or `name>=1.0` (strict comparisons are `>` and `<`).
    pub fn apk(&self) -> String {
        let op = match self.op {
            ">>" => ">",
            "<<" => "<",
            op => op,
        };
        format!("{}{op}{}", self.name, self.version)
    }
}

fn parse_template_with(key: &str, text: &str, fields: &[&str]) -> anyhow::Result<Template> {
    let template = Template::parse(text).with_context(|| format!("`{key}` is not a valid template"))?;
    if let Some(unknown) = template.fields().into_iter().find(|f| !fields.contains(&f.as_str())) {
        bail!("`{key}` uses .{unknown}, which is not a field here; the fields are .{}", fields.join(", ."));
    }
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_are_written_in_each_formats_syntax() {
        let r = |t: &str| Relation::parse(t).unwrap();
        assert_eq!((r("bash >= 4.0").deb(), r("bash >= 4.0").apk()), ("bash (>= 4.0)".into(), "bash>=4.0".into()));
        assert_eq!((r("x (> 2)").deb(), r("x (> 2)").apk()), ("x (>> 2)".into(), "x>2".into()));
        assert_eq!((r("x<<2").deb(), r("x<<2").apk()), ("x (<< 2)".into(), "x<2".into()));
        assert_eq!((r("plain").deb(), r("plain").apk()), ("plain".into(), "plain".into()));
    }

    #[test]
    fn relations_parse_as_written_for_deb_or_rpm() {
        for text in ["bash (>= 4.0)", "bash >= 4.0", " bash(>=4.0) ", "bash>=4.0"] {
            let r = Relation::parse(text).unwrap();
            assert_eq!((r.name.as_str(), r.op, r.version.as_str()), ("bash", ">=", "4.0"), "{text}");
        }
        assert_eq!(Relation::parse("x (< 2)").unwrap().op, "<<");
        assert_eq!(
            Relation::parse("libc6").unwrap(),
            Relation { name: "libc6".into(), op: "", version: String::new() }
        );
        assert!(Relation::parse("bash =>= 4").unwrap_err().to_string().contains("unknown operator"), "=>=");
        for bad in ["bash 4", "bash (>= )", "", "a b", "(>= 1)"] {
            let err = Relation::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not `name`"), "{bad:?}: {err}");
        }
    }
}
