//! Linux packages in the plan: for each linux target and each format of each
//! `[[packages]]` entry, the file name, the version and architecture as that
//! format spells them (nfpm's rules), every field with its templates filled in,
//! and every file it installs — by its path on the host, read when the release
//! writes the package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use super::names::check_name;
use super::template_data;
use crate::settings::{ContentKind, PackageFormat, Resolved, ResolvedPackage};
use crate::stamp::Stamp;
use crate::target::Target;
use crate::template::{Data, Template};

/// nfpm's deb maintainer when none is given (dpkg requires the field).
pub const UNSET_MAINTAINER: &str = "Unset Maintainer <unset@localhost>";

/// One package file of one target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PackagePlan {
    /// The settings entry it comes from (`packages[0]`), for messages.
    #[serde(skip)]
    pub key: String,
    /// Its file name in the release.
    pub file: String,
    pub format: PackageFormat,
    pub name: String,
    pub version: Version,
    /// As the format names it (see [`arch`]).
    pub arch: String,
    pub vendor: String,
    pub homepage: String,
    pub maintainer: String,
    pub description: String,
    pub license: String,
    pub section: String,
    pub priority: String,
    pub dependencies: Vec<String>,
    pub recommends: Vec<String>,
    pub suggests: Vec<String>,
    pub conflicts: Vec<String>,
    pub replaces: Vec<String>,
    pub provides: Vec<String>,
    /// deb only (GoReleaser's `deb.lintian_overrides`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lintian_overrides: Vec<String>,
    /// The binaries it installs: (index into the plan's binaries, installed path).
    pub binaries: Vec<(usize, String)>,
    pub contents: Vec<Content>,
    /// (`preinstall`…, the script on the host).
    pub scripts: Vec<(String, PathBuf)>,
}

/// One more thing a package installs, globs and trees expanded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Content {
    pub dst: String,
    pub kind: ContentKind,
    /// The file on the host (files and config files).
    pub src: Option<PathBuf>,
    /// A link's target.
    pub link: String,
    pub mode: u32,
    pub owner: String,
    pub group: String,
}

/// The packages of one target: none unless it is a linux target.
pub fn plan(
    settings: &Resolved,
    stamp: &Stamp,
    target: &Target,
    names: &[String],
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<PackagePlan>> {
    if target.os != "linux" {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for p in &settings.packages {
        for &format in &p.formats {
            out.push(one(settings, p, format, stamp, target, names, caller_env)?);
        }
    }
    Ok(out)
}

fn one(
    settings: &Resolved,
    p: &ResolvedPackage,
    format: PackageFormat,
    stamp: &Stamp,
    target: &Target,
    names: &[String],
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<PackagePlan> {
    let key = &p.key;
    let mut data = template_data(settings, stamp, Some(target), &names[p.binaries[0]], caller_env);
    let render = |what: &str, t: &Template, data: &Data| {
        t.render(data).with_context(|| format!("cannot render `{key}.{what}` for {target} ({format})"))
    };
    let name = render("name", &p.name, &data)?.trim().to_owned();
    // Debian's rule (policy 5.6.1), which rpm and apk names also meet: dpkg refuses others.
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.');
    if name.len() < 2 || !name.as_bytes()[0].is_ascii_alphanumeric() || !name.bytes().all(allowed) {
        bail!(
            "`{key}.name` gives {name:?}: a package name is lower-case letters, digits, `+`, `-` and `.`, \
             at least two, starting with a letter or digit (set `{key}.name`, e.g. {:?})",
            name.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric() && !"+-.".contains(c), "-")
        );
    }
    let version = Version::parse(&stamp.version, &p.release, &p.epoch);
    let arch = arch(format, &target.arch, target.arm);
    for (field, value) in [
        ("PackageName", name.clone()),
        ("Format", format.name().to_owned()),
        ("Release", p.release.clone()),
        ("Epoch", p.epoch.clone()),
        ("ConventionalFileName", conventional_file_name(format, &name, &version, &arch)),
        ("ConventionalExtension", format.extension().to_owned()),
    ] {
        data.fields.insert(field.into(), value);
    }
    let mut file = render("file_name", &p.file_name, &data)?.replace('/', "-");
    if !file.ends_with(format.extension()) {
        file.push_str(format.extension());
    }
    check_name(&format!("{key}.file_name"), &file)?;

    let bindir = absolute(&render("bindir", &p.bindir, &data)?);
    let installed: Vec<(usize, String)> =
        p.binaries.iter().map(|&i| (i, format!("{}/{}", bindir.trim_end_matches('/'), names[i]))).collect();
    let base = std::path::absolute(&settings.app_dir)?;
    // Sources inside the module only: a file elsewhere on the machine would make the package
    // depend on where it is built.
    let inside = |what: &str, rel: &str| -> anyhow::Result<()> {
        if Path::new(rel).is_absolute() || rel.split(['/', '\\']).any(|p| p == "..") {
            bail!("`{key}.{what}` = {rel:?} is outside the module: give a path relative to {}", base.display());
        }
        Ok(())
    };
    let mut contents = Vec::new();
    for (j, c) in p.contents.iter().enumerate() {
        if c.packager.is_some_and(|only| only != format) {
            continue;
        }
        let at = format!("{key}.contents[{j}]");
        let src = render(&format!("contents[{j}].src"), &c.src, &data)?;
        let dst = absolute(&render(&format!("contents[{j}].dst"), &c.dst, &data)?);
        let entry = |dst: String, kind: ContentKind, src: Option<PathBuf>, link: String, mode: u32| Content {
            dst,
            kind,
            src,
            link,
            mode: c.mode.unwrap_or(mode),
            owner: c.owner.clone(),
            group: c.group.clone(),
        };
        match c.kind {
            ContentKind::Dir => contents.push(entry(dst, ContentKind::Dir, None, String::new(), 0o755)),
            ContentKind::Symlink => contents.push(entry(dst, ContentKind::Symlink, None, src, 0o777)),
            ContentKind::Tree => {
                inside(&format!("contents[{j}].src"), &src)?;
                let root = base.join(&src);
                if !root.is_dir() {
                    bail!("`{at}.src` = {src:?} is not a directory in {} (type \"tree\" installs one)", base.display());
                }
                for (path, rel, is_dir) in tree(&root)? {
                    if is_dir {
                        // Each folder its own entry, as nfpm writes them: the package owns it.
                        contents.push(entry(format!("{dst}/{rel}"), ContentKind::Dir, None, String::new(), 0o755));
                    } else {
                        let mode = default_mode(&path)?;
                        contents.push(entry(
                            format!("{dst}/{rel}"),
                            ContentKind::File,
                            Some(path),
                            String::new(),
                            mode,
                        ));
                    }
                }
            }
            kind => {
                inside(&format!("contents[{j}].src"), &src)?;
                for path in sources(&base, &src, &at)? {
                    let dst = if is_glob(&src) {
                        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        format!("{}/{file}", dst.trim_end_matches('/'))
                    } else {
                        dst.clone()
                    };
                    let mode = default_mode(&path)?;
                    contents.push(entry(dst, kind, Some(path), String::new(), mode));
                }
            }
        }
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, path) in &installed {
        seen.insert(path, "a binary");
    }
    for c in &contents {
        if let Some(other) = seen.insert(&c.dst, "a content entry") {
            bail!("`{key}.contents` installs {} twice (also as {other}): give each entry its own `dst`", c.dst);
        }
    }
    let scripts = p
        .scripts
        .iter()
        .map(|(script, t)| {
            let rel = render(&format!("scripts.{script}"), t, &data)?;
            inside(&format!("scripts.{script}"), &rel)?;
            let path = base.join(&rel);
            if !path.is_file() {
                bail!("`{key}.scripts.{script}` = {rel:?} is not a file in {}", base.display());
            }
            Ok(((*script).to_owned(), path))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let homepage = render("homepage", &p.homepage, &data)?;
    let maintainer = render("maintainer", &p.maintainer, &data)?;
    // One line each: a line break would start another field of the control file or .PKGINFO.
    for (what, value) in [
        ("vendor", &p.vendor),
        ("homepage", &homepage),
        ("maintainer", &maintainer),
        ("license", &p.license),
        ("section", &p.section),
        ("priority", &p.priority),
    ] {
        if value.contains(char::is_control) {
            bail!("`{key}.{what}` gives {value:?}: it is one line, without control characters");
        }
    }
    Ok(PackagePlan {
        key: key.clone(),
        file,
        format,
        name,
        version,
        arch,
        vendor: p.vendor.clone(),
        homepage,
        maintainer,
        description: render("description", &p.description, &data)?,
        license: p.license.clone(),
        section: p.section.clone(),
        priority: p.priority.clone(),
        dependencies: p.dependencies.clone(),
        recommends: p.recommends.clone(),
        suggests: p.suggests.clone(),
        conflicts: p.conflicts.clone(),
        replaces: p.replaces.clone(),
        provides: p.provides.clone(),
        lintian_overrides: if format == PackageFormat::Deb { p.lintian_overrides.clone() } else { vec![] },
        binaries: installed,
        contents,
        scripts,
    })
}

/// What a user should know about the planned packages, once each: a version apk refuses or
/// that does not start with a digit (deb, rpm), a deb without the copyright file Debian
/// requires, no maintainer.
pub fn warnings(packages: &[&PackagePlan]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = packages.iter().find(|p| p.format == PackageFormat::Apk && !p.version.apk_accepts()) {
        out.push(format!(
            "{} has version {}, which apk refuses (apk installs a version such as 1.2.3, 1.2.3_rc1 or 1.2.3-r1): \
             build a release tag for packages apk installs",
            p.file,
            p.version.apk()
        ));
    }
    let from_digit = |p: &PackagePlan| p.version.deb().starts_with(|c: char| c.is_ascii_digit());
    if let Some(p) = packages.iter().find(|p| p.format != PackageFormat::Apk && !from_digit(p)) {
        out.push(format!(
            "{} has version {}, which dpkg and rpm order wrongly or refuse (a version starts with a digit): \
             build a release tag such as v1.2.3 for packages",
            p.file,
            p.version.deb()
        ));
    }
    for p in packages.iter().filter(|p| p.format == PackageFormat::Deb) {
        let copyright = format!("/usr/share/doc/{}/copyright", p.name);
        if !p.contents.iter().any(|c| c.dst == copyright) {
            out.push(format!(
                "{} has no {copyright}, which Debian requires (lintian: no-copyright-file): add it to the package's \
                 contents, e.g. [[packages.contents]] src = \"LICENSE\" dst = \"{copyright}\" packager = \"deb\"",
                p.file
            ));
            break;
        }
    }
    if let Some(p) = packages.iter().find(|p| p.maintainer.trim().is_empty()) {
        out.push(format!(
            "{} has no maintainer: set `packages.maintainer` (\"Name <email>\"); deb packages say {:?} without one",
            p.file, UNSET_MAINTAINER
        ));
    }
    out
}

/// `/`-rooted, without `.` parts or a trailing `/`, as nfpm normalises destinations.
fn absolute(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    format!("/{}", parts.join("/"))
}

fn is_glob(src: &str) -> bool {
    src.contains(['*', '?', '['])
}

/// The files `src` names below `base`: itself, or what its glob matches (at least one).
fn sources(base: &Path, src: &str, at: &str) -> anyhow::Result<Vec<PathBuf>> {
    if !is_glob(src) {
        let path = base.join(src);
        if !path.is_file() {
            bail!("`{at}.src` = {src:?} is not a file in {}", base.display());
        }
        return Ok(vec![path]);
    }
    let pattern = format!("{}/{src}", glob::Pattern::escape(&base.to_string_lossy()));
    let mut found = Vec::new();
    for path in glob::glob(&pattern).with_context(|| format!("`{at}.src` has a bad glob {src:?}"))? {
        let path = path?;
        if path.is_file() {
            found.push(path);
        }
    }
    if found.is_empty() {
        bail!("`{at}.src` = {src:?} matches no file in {}", base.display());
    }
    found.sort();
    Ok(found)
}

/// Every folder and file below `root` (path, path relative to it, is a folder), sorted. A
/// symbolic link is refused: followed, it could leave the module or loop; kept, the
/// package would hold what it points to on this machine.
fn tree(root: &Path) -> anyhow::Result<Vec<(PathBuf, String, bool)>> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            let kind = std::fs::symlink_metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            if kind.is_symlink() {
                bail!(
                    "{} is a symbolic link in a tree a package installs: list it as a `type = \"symlink\"` \
                     entry of its own, or replace it by the file",
                    path.display()
                );
            } else if kind.is_dir() {
                pending.push(path.clone());
                out.push((path, rel, true));
            } else if kind.is_file() {
                out.push((path, rel, false));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// 0755 for a file executable on disk, else 0644: what git records, so the
/// same on every clone (nfpm takes the mode on disk less a umask, which differs
/// between machines).
fn default_mode(path: &Path) -> anyhow::Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.permissions().mode();
        Ok(if mode & 0o111 != 0 { 0o755 } else { 0o644 })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(0o644)
    }
}

/// The architecture as `format` names it, from GOARCH and GOARM (nfpm's tables
/// `archToDebian`, `archToRPM`, `archToAlpine`); one a table lacks keeps its Go
/// name, as in nfpm.
pub fn arch(format: PackageFormat, goarch: &str, goarm: Option<u8>) -> String {
    use PackageFormat::{Apk, Deb, Rpm};
    // nfpm keys arm by GOARCH+GOARM; a target without a variant builds with Go's default, 7.
    let key = match goarch {
        "arm" => format!("arm{}", goarm.unwrap_or(7)),
        other => other.to_owned(),
    };
    let named = match (format, key.as_str()) {
        (Deb, "386") => "i386",
        (Deb, "arm5") => "armel",
        (Deb, "arm6" | "arm7") => "armhf",
        (Deb, "mips64le") => "mips64el",
        (Deb, "mipsle") => "mipsel",
        (Deb, "ppc64le") => "ppc64el",
        (Rpm, "amd64") => "x86_64",
        (Rpm, "386") => "i386",
        (Rpm, "arm64") => "aarch64",
        (Rpm, "arm5") => "armv5tel",
        (Rpm, "arm6") => "armv6hl",
        (Rpm, "arm7") => "armv7hl",
        (Rpm, "mips64le") => "mips64el",
        (Rpm, "mipsle") => "mipsel",
        (Rpm, "loong64") => "loongarch64",
        (Apk, "386") => "x86",
        (Apk, "amd64") => "x86_64",
        (Apk, "arm64") => "aarch64",
        (Apk, "arm6") => "armhf",
        (Apk, "arm7") => "armv7",
        (Apk, "loong64") => "loongarch64",
        (_, other) => other,
    };
    named.to_owned()
}

/// nfpm's `ConventionalFileName` (GoReleaser's `.ConventionalFileName`).
pub fn conventional_file_name(format: PackageFormat, name: &str, v: &Version, arch: &str) -> String {
    match format {
        PackageFormat::Deb => format!("{name}_{}_{arch}.deb", v.deb_without_epoch()),
        PackageFormat::Rpm => format!("{name}-{}-{}.{arch}.rpm", v.rpm(), v.rpm_release()),
        PackageFormat::Apk => format!("{name}_{}_{arch}.apk", v.apk()),
    }
}

/// A package's version, split as nfpm splits a semantic version: `1.2.3-rc1+meta`
/// is version `1.2.3`, prerelease `rc1`, metadata `meta`. Each format spells
/// the parts its own way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Version {
    pub version: String,
    pub prerelease: String,
    pub metadata: String,
    /// deb revision, rpm `Release` (`1` when empty), apk `-rN`.
    pub release: String,
    /// deb `N:` prefix, rpm `Epoch`; apk has none.
    pub epoch: String,
}

impl Version {
    /// nfpm's `parseSemver`: a version that is not semantic is kept whole, as nfpm keeps it.
    pub fn parse(version: &str, release: &str, epoch: &str) -> Version {
        let v = version.strip_prefix('v').unwrap_or(version);
        let (rest, metadata) = v.split_once('+').unwrap_or((v, ""));
        let (core, prerelease) = rest.split_once('-').unwrap_or((rest, ""));
        let parts: Vec<&str> = core.split('.').collect();
        let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let (release, epoch) = (release.to_owned(), epoch.to_owned());
        if parts.len() > 3 || !parts.iter().all(numeric) {
            return Version { version: version.to_owned(), release, epoch, ..Version::default() };
        }
        // Masterminds/semver fills missing parts (`1.2` is 1.2.0) and drops leading zeros.
        let n = |i: usize| parts.get(i).map_or(0, |p| p.parse::<u64>().unwrap_or(0));
        Version {
            version: format!("{}.{}.{}", n(0), n(1), n(2)),
            prerelease: prerelease.to_owned(),
            metadata: metadata.to_owned(),
            release,
            epoch,
        }
    }

    /// deb: `[epoch:]version[~prerelease][+metadata][-release]`.
    pub fn deb(&self) -> String {
        if self.epoch.is_empty() {
            self.deb_without_epoch()
        } else {
            format!("{}:{}", self.epoch, self.deb_without_epoch())
        }
    }

    fn deb_without_epoch(&self) -> String {
        let mut v = self.version.clone();
        for (sep, part) in [("~", &self.prerelease), ("+", &self.metadata), ("-", &self.release)] {
            if !part.is_empty() {
                v += sep;
                v += part;
            }
        }
        v
    }

    /// rpm's `Version` tag: `version[~prerelease][+metadata]`, `-` in the prerelease made `_`
    /// (rpm forbids `-` there); `Release` and `Epoch` are tags of their own.
    pub fn rpm(&self) -> String {
        let mut v = self.version.clone();
        if !self.prerelease.is_empty() {
            v += &format!("~{}", self.prerelease.replace('-', "_"));
        }
        if !self.metadata.is_empty() {
            v += &format!("+{}", self.metadata);
        }
        v
    }

    /// rpm's `Release`: `1` unless set.
    pub fn rpm_release(&self) -> String {
        if self.release.is_empty() {
            "1".to_owned()
        } else {
            self.release.clone()
        }
    }

    /// apk's `pkgver`: `version[_prerelease][-rN][-pmetadata]`, as nfpm writes it.
    pub fn apk(&self) -> String {
        let mut v = self.version.clone();
        if !self.prerelease.is_empty() {
            v += &format!("_{}", self.prerelease);
        }
        if !self.release.is_empty() {
            let r = if self.release.starts_with('r') { self.release.clone() } else { format!("r{}", self.release) };
            v += &format!("-{r}");
        }
        if !self.metadata.is_empty() {
            let known = ["p", "cvs", "svn", "git", "hg"].iter().any(|p| self.metadata.starts_with(p));
            v += &format!("-{}{}", if known { "" } else { "p" }, self.metadata);
        }
        v
    }

    /// Whether apk itself takes [`Version::apk`]: numbers and dots, an optional
    /// letter, `_suffixN` parts from apk's list, an optional `-rN`. A snapshot's
    /// `1.2.3_4-gabc1234` is not one; nfpm writes it all the same.
    pub fn apk_accepts(&self) -> bool {
        let v = self.apk();
        let main = match v.rsplit_once("-r") {
            Some((m, r)) if !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()) => m,
            _ => v.as_str(),
        };
        let mut parts = main.split('_');
        let head = parts.next().unwrap_or_default();
        let head = head.strip_suffix(|c: char| c.is_ascii_lowercase()).unwrap_or(head);
        let numbers = head.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
        numbers && parts.all(|s| SUFFIXES.contains(&s.trim_end_matches(|c: char| c.is_ascii_digit())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_per_format_follow_nfpm() {
        let table = [
            ("amd64", None, ["amd64", "x86_64", "x86_64"]),
            ("386", None, ["i386", "i386", "x86"]),
            ("arm64", None, ["arm64", "aarch64", "aarch64"]),
            ("arm", Some(5), ["armel", "armv5tel", "arm5"]),
            ("arm", Some(6), ["armhf", "armv6hl", "armhf"]),
            ("arm", Some(7), ["armhf", "armv7hl", "armv7"]),
            ("arm", None, ["armhf", "armv7hl", "armv7"]),
            ("ppc64le", None, ["ppc64el", "ppc64le", "ppc64le"]),
            ("riscv64", None, ["riscv64", "riscv64", "riscv64"]),
            ("s390x", None, ["s390x", "s390x", "s390x"]),
            ("loong64", None, ["loong64", "loongarch64", "loongarch64"]),
        ];
        for (goarch, arm, want) in table {
            let got = [PackageFormat::Deb, PackageFormat::Rpm, PackageFormat::Apk].map(|f| arch(f, goarch, arm));
            assert_eq!(got, want, "{goarch} {arm:?}");
        }
    }

    #[test]
    fn versions_are_spelled_per_format_as_nfpm_does() {
        let v = |s: &str| Version::parse(s, "", "");
        let plain = v("1.2.3");
        assert_eq!([plain.deb(), plain.rpm(), plain.apk()], ["1.2.3", "1.2.3", "1.2.3"]);
        let rc = v("v1.2.3-rc1");
        assert_eq!([rc.deb(), rc.rpm(), rc.apk()], ["1.2.3~rc1", "1.2.3~rc1", "1.2.3_rc1"]);
        assert!(plain.apk_accepts() && rc.apk_accepts());
        let snapshot = v("1.2.3-4-gabc1234");
        assert_eq!(
            [snapshot.deb(), snapshot.rpm(), snapshot.rpm_release()],
            ["1.2.3~4-gabc1234", "1.2.3~4_gabc1234", "1"]
        );
        assert!(!snapshot.apk_accepts(), "{}", snapshot.apk());
        let full = Version::parse("2.0.0+build.5", "3", "1");
        assert_eq!(
            [full.deb(), full.rpm(), full.rpm_release(), full.apk()],
            ["1:2.0.0+build.5-3", "2.0.0+build.5", "3", "2.0.0-r3-pbuild.5"]
        );
        assert_eq!(v("1.2").deb(), "1.2.0");
        let dev = v("0.0.0-dev");
        assert_eq!((dev.version.as_str(), dev.prerelease.as_str()), ("0.0.0", "dev"));
        assert_eq!(v("nightly").deb(), "nightly");
    }

    #[test]
    fn conventional_file_names_are_nfpms() {
        let v = Version::parse("1.2.3-rc1", "", "");
        assert_eq!(conventional_file_name(PackageFormat::Deb, "tool", &v, "amd64"), "tool_1.2.3~rc1_amd64.deb");
        assert_eq!(conventional_file_name(PackageFormat::Rpm, "tool", &v, "x86_64"), "tool-1.2.3~rc1-1.x86_64.rpm");
        assert_eq!(conventional_file_name(PackageFormat::Apk, "tool", &v, "x86_64"), "tool_1.2.3_rc1_x86_64.apk");
        let epoch = Version::parse("1.2.3", "2", "7");
        assert_eq!(conventional_file_name(PackageFormat::Deb, "tool", &epoch, "arm64"), "tool_1.2.3-2_arm64.deb");
    }

    #[test]
    fn destinations_are_made_absolute() {
        assert_eq!(absolute("usr/share/doc/tool/"), "/usr/share/doc/tool");
        assert_eq!(absolute("./etc//tool.conf"), "/etc/tool.conf");
    }
}
