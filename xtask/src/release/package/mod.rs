//! Linux packages (.deb, .rpm, .apk) of a target's binaries, laid out as
//! GoReleaser's `nfpms` (the nfpm library) lays them out: one [`Spec`] says
//! everything a package holds, and one writer per format turns it into bytes —
//! reproducibly: every mtime is the release's epoch, entries are sorted,
//! owners are fixed, and no build host or build time is recorded but the epoch.

pub mod apk;
pub mod deb;
pub mod rpm;
mod tarball;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::archive::Entry as Extra;
use super::manifest::{Artifact, Kind};
use super::{artifact, Packer};
use crate::plan::{ContentKind, PackagePlan, Plan, TargetBuild, Version};
use crate::settings::{PackageFormat, Relation};

/// The Linux packages of each linux target (`[[packages]]`).
pub struct Packages;

impl Packer for Packages {
    fn files(&self, _: &Plan, build: &TargetBuild) -> Vec<String> {
        build.packages.iter().map(|p| p.file.clone()).collect()
    }

    fn recipe(&self, _: &Plan, build: &TargetBuild) -> serde_json::Value {
        // The files a package installs count by their bytes, not by where they are on this machine.
        let digest = |path: &Path| {
            let sum = fs::read(path).map(|b| crate::digest::sha256_hex(&b));
            PathBuf::from(sum.unwrap_or_else(|e| format!("unreadable: {e}")))
        };
        let mut packages = build.packages.clone();
        for p in &mut packages {
            for c in &mut p.contents {
                c.src = c.src.as_deref().map(digest);
            }
            for (_, script) in &mut p.scripts {
                *script = digest(script);
            }
        }
        serde_json::json!({ "kind": "packages", "packages": packages })
    }

    fn make(
        &self,
        dir: &Path,
        plan: &Plan,
        build: &TargetBuild,
        binaries: &[(&str, &[u8])],
        _: &[Extra],
    ) -> anyhow::Result<Vec<Artifact>> {
        let mut out = Vec::new();
        for p in &build.packages {
            let spec = spec(p, binaries, plan.stamp.epoch)?;
            let bytes =
                write(p.format, &spec).with_context(|| format!("cannot write {} for {}", p.file, build.target))?;
            let path = dir.join(&p.file);
            fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            out.push(artifact(build, Kind::Package, p.file.clone(), &bytes, None));
        }
        Ok(out)
    }
}

/// The package `p` plans, with the binaries' bytes and its files read.
pub fn spec(p: &PackagePlan, binaries: &[(&str, &[u8])], epoch: i64) -> anyhow::Result<Spec> {
    let read = |path: &Path| fs::read(path).with_context(|| format!("cannot read {} for {}", path.display(), p.file));
    let root = |path: &str, kind: EntryKind, mode: u32| Entry {
        path: path.to_owned(),
        kind,
        mode,
        owner: "root".into(),
        group: "root".into(),
    };
    let mut entries: Vec<Entry> =
        p.binaries.iter().map(|(i, path)| root(path, EntryKind::File(binaries[*i].1.to_vec()), 0o755)).collect();
    for c in &p.contents {
        let kind = match (c.kind, &c.src) {
            (ContentKind::Dir, _) => EntryKind::Dir,
            (ContentKind::Symlink, _) => EntryKind::Symlink(c.link.clone()),
            (ContentKind::Config, Some(src)) => EntryKind::Config { bytes: read(src)?, noreplace: false },
            (ContentKind::ConfigNoReplace, Some(src)) => EntryKind::Config { bytes: read(src)?, noreplace: true },
            (_, Some(src)) => EntryKind::File(read(src)?),
            (_, None) => anyhow::bail!("{}: {} has no source file", p.file, c.dst),
        };
        entries.push(Entry { path: c.dst.clone(), kind, mode: c.mode, owner: c.owner.clone(), group: c.group.clone() });
    }
    let mut scripts = Scripts::default();
    for (name, path) in &p.scripts {
        let bytes = Some(read(path)?);
        match name.as_str() {
            "preinstall" => scripts.preinstall = bytes,
            "postinstall" => scripts.postinstall = bytes,
            "preremove" => scripts.preremove = bytes,
            _ => scripts.postremove = bytes,
        }
    }
    Ok(Spec {
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        maintainer: p.maintainer.clone(),
        vendor: p.vendor.clone(),
        homepage: p.homepage.clone(),
        description: p.description.clone(),
        license: p.license.clone(),
        section: p.section.clone(),
        priority: p.priority.clone(),
        depends: p.dependencies.clone(),
        recommends: p.recommends.clone(),
        suggests: p.suggests.clone(),
        conflicts: p.conflicts.clone(),
        replaces: p.replaces.clone(),
        provides: p.provides.clone(),
        scripts,
        lintian_overrides: p.lintian_overrides.clone(),
        entries,
        epoch,
    })
}

/// A relation list (checked when the settings were read), taken apart for a format's syntax.
fn relations(list: &[String]) -> anyhow::Result<Vec<Relation>> {
    list.iter().filter(|r| !r.trim().is_empty()).map(|r| Relation::parse(r)).collect()
}

/// One package, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The package's name (`tool`).
    pub name: String,
    pub version: Version,
    /// The architecture as this format names it (nfpm's names: `plan::packages::arch`).
    pub arch: String,
    pub maintainer: String,
    pub vendor: String,
    pub homepage: String,
    /// First line: the summary; the rest, the long description.
    pub description: String,
    pub license: String,
    /// deb `Section`; rpm `Group`.
    pub section: String,
    /// deb `Priority`.
    pub priority: String,
    pub depends: Vec<String>,
    pub recommends: Vec<String>,
    pub suggests: Vec<String>,
    pub conflicts: Vec<String>,
    pub replaces: Vec<String>,
    pub provides: Vec<String>,
    pub scripts: Scripts,
    /// deb only: lintian tags this package overrides (`/usr/share/lintian/overrides/<name>`).
    pub lintian_overrides: Vec<String>,
    /// Every file, directory and link the package installs. Parent directories
    /// are added by the writers of formats that list them (deb, apk; rpm does
    /// not, so a package never claims `/usr/bin`).
    pub entries: Vec<Entry>,
    /// Seconds since 1970: every mtime, and the build time where a format records one.
    pub epoch: i64,
}

/// Maintainer scripts: each script's bytes (a shell script with its `#!`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scripts {
    pub preinstall: Option<Vec<u8>>,
    pub postinstall: Option<Vec<u8>>,
    pub preremove: Option<Vec<u8>>,
    pub postremove: Option<Vec<u8>>,
}

/// One thing a package installs, at an absolute path (`/usr/bin/tool`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits (with setuid/setgid/sticky).
    pub mode: u32,
    pub owner: String,
    pub group: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    File(Vec<u8>),
    /// A configuration file, kept when changed by the admin (deb `conffiles`,
    /// rpm `%config(noreplace)` or `%config`); apk has no such notion.
    Config {
        bytes: Vec<u8>,
        noreplace: bool,
    },
    Dir,
    /// A symbolic link to this target.
    Symlink(String),
}

impl Entry {
    /// The file's bytes, for files and configuration files.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            EntryKind::File(b) | EntryKind::Config { bytes: b, .. } => Some(b),
            EntryKind::Dir | EntryKind::Symlink(_) => None,
        }
    }

    /// The path without its leading `/`: `usr/bin/tool`.
    pub fn relative(&self) -> &str {
        self.path.trim_start_matches('/')
    }
}

impl Spec {
    /// Installed size in bytes: the files' sizes.
    pub fn installed_size(&self) -> u64 {
        self.entries.iter().filter_map(Entry::bytes).map(|b| b.len() as u64).sum()
    }

    /// The summary (the description's first line) and the whole description, trimmed;
    /// nfpm's "no description given" when there is none.
    pub fn summary_and_description(&self) -> (String, String) {
        let description = self.description.trim();
        let description = if description.is_empty() { "no description given" } else { description };
        let summary = description.lines().next().unwrap_or_default().trim().to_owned();
        (summary, description.to_owned())
    }

    /// The entries, sorted by path, with every parent directory that is not
    /// already an entry added (0755 root:root): what deb and apk list.
    pub fn with_parents(&self) -> Vec<Entry> {
        let mut all: Vec<Entry> = self.entries.clone();
        for e in &self.entries {
            let mut at = String::new();
            let parts: Vec<&str> = e.relative().split('/').filter(|p| !p.is_empty()).collect();
            for part in &parts[..parts.len().saturating_sub(1)] {
                at.push('/');
                at.push_str(part);
                if !all.iter().any(|o| o.path.trim_end_matches('/') == at) {
                    all.push(Entry {
                        path: at.clone(),
                        kind: EntryKind::Dir,
                        mode: 0o755,
                        owner: "root".into(),
                        group: "root".into(),
                    });
                }
            }
        }
        all.sort_by(|a, b| a.relative().trim_end_matches('/').cmp(b.relative().trim_end_matches('/')));
        all
    }
}

/// Writes `spec` as a package of `format`.
pub fn write(format: PackageFormat, spec: &Spec) -> anyhow::Result<Vec<u8>> {
    match format {
        PackageFormat::Deb => deb::write(spec),
        PackageFormat::Rpm => rpm::write(spec),
        PackageFormat::Apk => apk::write(spec),
    }
}

/// A small package for the writers' tests: one binary, a config file, a
/// directory, a link, a post-install script.
#[cfg(test)]
pub fn sample() -> Spec {
    let entry = |path: &str, kind: EntryKind, mode: u32| Entry {
        path: path.to_owned(),
        kind,
        mode,
        owner: "root".to_owned(),
        group: "root".to_owned(),
    };
    Spec {
        name: "tool".into(),
        version: Version::parse("1.2.3", "", ""),
        arch: "amd64".into(),
        maintainer: "Jane Doe <jane@example.com>".into(),
        vendor: "Example".into(),
        homepage: "https://example.com/tool".into(),
        description: "A tool that does things\nIt does them well, and reproducibly.".into(),
        license: "MIT".into(),
        section: "utils".into(),
        priority: "optional".into(),
        depends: vec!["ca-certificates".into()],
        recommends: vec![],
        suggests: vec![],
        conflicts: vec![],
        replaces: vec![],
        provides: vec![],
        scripts: Scripts { postinstall: Some(b"#!/bin/sh\nset -e\necho installed\n".to_vec()), ..Scripts::default() },
        lintian_overrides: vec![],
        entries: vec![
            entry("/usr/bin/tool", EntryKind::File(b"\x7fELF binary bytes".to_vec()), 0o755),
            entry("/etc/tool/config.toml", EntryKind::Config { bytes: b"key = 1\n".to_vec(), noreplace: true }, 0o644),
            entry("/var/lib/tool", EntryKind::Dir, 0o750),
            entry("/usr/bin/t", EntryKind::Symlink("/usr/bin/tool".into()), 0o777),
        ],
        epoch: 1_700_000_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_listed_once_in_path_order() {
        let paths: Vec<(String, bool)> =
            sample().with_parents().iter().map(|e| (e.path.clone(), matches!(e.kind, EntryKind::Dir))).collect();
        let want = [
            ("/etc", true),
            ("/etc/tool", true),
            ("/etc/tool/config.toml", false),
            ("/usr", true),
            ("/usr/bin", true),
            ("/usr/bin/t", false),
            ("/usr/bin/tool", false),
            ("/var", true),
            ("/var/lib", true),
            ("/var/lib/tool", true),
        ];
        assert_eq!(paths, want.map(|(p, d)| (p.to_owned(), d)));
        // The explicit directory keeps its own mode.
        assert_eq!(sample().with_parents().iter().find(|e| e.path == "/var/lib/tool").unwrap().mode, 0o750);
    }
}
