//! The names of a release's files: GoReleaser's template fields for a target,
//! archive and checksum names, and the files shipped beside the binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::download::{DOWNLOAD_ENV_ALLOWED, DOWNLOAD_ENV_HOST};
use crate::settings::{Resolved, ResolvedArchive};
use crate::stamp::Stamp;
use crate::target::Target;
use crate::template::Data;

/// GoReleaser's template fields for one target (or none, for the checksum name), with Go's own
/// names for `.Os`, `.Arch` and `.Arm` (an archive set's `replacements` apply to its names only).
pub fn template_data(
    settings: &Resolved,
    stamp: &Stamp,
    target: Option<&Target>,
    binary: &str,
    caller_env: &BTreeMap<String, String>,
) -> Data {
    let short: String = stamp.commit.chars().take(7).collect();
    let mut fields = BTreeMap::from([
        ("ProjectName", settings.project.clone()),
        ("Binary", binary.to_owned()),
        ("Version", stamp.version.clone()),
        ("Tag", stamp.tag.clone()),
        ("Commit", stamp.commit.clone()),
        ("FullCommit", stamp.commit.clone()),
        ("ShortCommit", short),
        ("Date", stamp.date.clone()),
        ("CommitDate", stamp.date.clone()),
        ("CommitTimestamp", stamp.epoch.to_string()),
        // GoReleaser's is the build's time; the commit's keeps builds reproducible.
        ("Timestamp", stamp.epoch.to_string()),
        ("Os", String::new()),
        ("Arch", String::new()),
        ("Arm", String::new()),
        ("Amd64", String::new()),
        ("Mips", String::new()),
    ]);
    if let Some(t) = target {
        fields.insert("Os", t.os.clone());
        fields.insert("Arch", t.arch.clone());
        fields.insert("Arm", t.arm.map(|v| v.to_string()).unwrap_or_default());
        if t.arch == "amd64" {
            fields.insert("Amd64", "v1".to_owned());
        }
    }
    // `.Env` is every variable but those that may hold the download's credentials.
    let private = |k: &str| DOWNLOAD_ENV_ALLOWED.contains(&k) || DOWNLOAD_ENV_HOST.contains(&k);
    let env = caller_env.iter().filter(|(k, _)| !private(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    // GoReleaser's snapshot is a build with `--snapshot`; dist's is any build that is not exactly a
    // clean tag (its version then comes from `git describe`). dist has no nightly builds.
    let bools = BTreeMap::from([
        ("IsSnapshot".to_owned(), !stamp.tagged),
        ("IsNightly".to_owned(), false),
        ("IsGitDirty".to_owned(), stamp.dirty),
        ("IsGitClean".to_owned(), !stamp.dirty),
    ]);
    Data { fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), bools, env }
}

/// The name `set` gives `target`'s archive (or `binary`, bare), without extension.
pub fn archive_name(
    settings: &Resolved,
    set: &ResolvedArchive,
    stamp: &Stamp,
    target: &Target,
    binary: &str,
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let mut data = template_data(settings, stamp, Some(target), binary, caller_env);
    for field in ["Os", "Arch", "Arm"] {
        let value = data.fields.get_mut(field).expect("template_data sets every field");
        if let Some(replaced) = set.replacements.get(value.as_str()).filter(|_| !value.is_empty()) {
            *value = replaced.clone();
        }
    }
    let key = &set.key;
    let name =
        set.name.render(&data).with_context(|| format!("cannot render `{key}.name` for {target}"))?.replace('/', "-");
    check_name(&format!("{key}.name"), &name)?;
    Ok(name)
}

/// The release's manifest, beside every published file.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A published file sits at the top of the release, beside manifest.json.
pub fn check_name(key: &str, name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.starts_with('.') || name.contains(['\\', '\n', '/']) {
        bail!("`{key}` gives {name:?}, which is not a file name");
    }
    if name == MANIFEST_FILE {
        bail!("`{key}` gives {name:?}: that is the manifest's name; choose another");
    }
    Ok(())
}

/// An archive set's `files` globs (the list at `key`), relative to the module; the defaults match
/// without regard to case.
pub fn extra_files(app_dir: &Path, key: &str, globs: &[String]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let defaults = globs == crate::settings::DEFAULT_ARCHIVE_FILES.map(String::from);
    let options = glob::MatchOptions { case_sensitive: !defaults, ..Default::default() };
    let base = std::path::absolute(app_dir)?;
    let mut files = Vec::new();
    for pattern in globs {
        if pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
            bail!("`{key}` has {pattern:?}: give a glob inside the module, e.g. \"docs/*.md\"");
        }
        let full = format!("{}/{pattern}", glob::Pattern::escape(&base.to_string_lossy()));
        let paths = glob::glob_with(&full, options).with_context(|| format!("`{key}` has a bad glob {pattern:?}"))?;
        for path in paths {
            let path = path?;
            if path.is_file() {
                let rel = path.strip_prefix(&base).unwrap_or(&path);
                let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                if !files.iter().any(|(_, n)| *n == name) {
                    files.push((path.clone(), name));
                }
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}
