//! Carrying unchanged work over from the release being replaced.
//!
//! A target whose binaries' key (see `Plan::target_key`) equals the one
//! recorded in the previous `manifest.json`, and whose binaries there still
//! have their recorded SHA-256, has them linked into the staging directory
//! instead of being built again. A package (archive or bare binaries) whose
//! own key (`plan::package_key`: the binaries' bytes, the extra files, its
//! name and format, this xtask's build) is unchanged is linked the same way,
//! whether its binaries were carried over or rebuilt to the same bytes. For
//! the targets that are rebuilt, the previous binaries are copied in first:
//! Go then skips the link of any binary that is already up to date.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::manifest::{Artifact, Kind, Manifest};
use crate::digest::sha256_file;

/// Where a partial run (`--target`, `--host`) keeps the previous release's
/// other targets, inside the output directory: not part of the release, not
/// published, there for the next full run to carry over.
pub const HELD: &str = ".held";

pub struct Previous {
    dir: PathBuf,
    /// Every file of the previous release with where it lies below `dir`:
    /// the release's own artifacts, and those held aside by a partial run.
    files: Vec<(Artifact, String)>,
    /// The engine and Go that built it (`Manifest::engine`, `Manifest::go_version`).
    built_with: (String, String),
}

impl Previous {
    /// The release in `out`, if it is ours.
    pub fn read(out: &Path) -> Option<Previous> {
        // A manifest naming paths outside the release is nothing to link from.
        let manifest = Manifest::read(out).filter(|m| m.stray_path().is_none())?;
        let mut files: Vec<(Artifact, String)> = manifest.artifacts.into_iter().map(|a| (a.clone(), a.path)).collect();
        files.extend(manifest.held.into_iter().map(|a| (a.clone(), format!("{HELD}/{}", a.path))));
        Some(Previous { dir: out.to_path_buf(), files, built_with: (manifest.engine, manifest.go_version) })
    }

    /// Whether `engine` with `go_version` (e.g. `go1.26.8`) built it.
    pub fn built_with(&self, engine: &str, go_version: &str) -> bool {
        self.built_with.0 == engine && self.built_with.1 == go_version
    }

    /// Links the binaries of `target` (at `outputs`) into `staging` if they were
    /// built from `key` and are intact, and returns their artifacts; else touches nothing.
    pub fn take_binaries(&self, target: &str, key: &str, outputs: &[String], staging: &Path) -> Option<Vec<Artifact>> {
        let found: Vec<&(Artifact, String)> =
            self.files.iter().filter(|(a, _)| a.target == target && a.kind == Kind::Binary).collect();
        let mut paths: Vec<&str> = found.iter().map(|(a, _)| a.path.as_str()).collect();
        paths.sort();
        let mut wanted: Vec<&str> = outputs.iter().map(String::as_str).collect();
        wanted.sort();
        if paths != wanted {
            return None;
        }
        // In the plan's order.
        let ordered: Vec<&(Artifact, String)> =
            outputs.iter().filter_map(|o| found.iter().find(|(a, _)| a.path == *o).copied()).collect();
        self.take(&ordered, Some(key), staging, "")
    }

    /// Links the previous package files at `paths` (an archive, or bare binaries) if they were packed from `key`.
    pub fn take_package(&self, paths: &[String], key: &str, staging: &Path) -> Option<Vec<Artifact>> {
        let found: Vec<&(Artifact, String)> = paths
            .iter()
            .map(|p| self.files.iter().find(|(a, _)| a.path == *p && a.kind != Kind::Binary))
            .collect::<Option<_>>()?;
        self.take(&found, Some(key), staging, "")
    }

    /// For a partial run: links every intact target of the previous release
    /// that is not among `building` into `staging/.held/`, whole targets only,
    /// and returns their artifacts (paths as in a release).
    pub fn hold_others(&self, building: &[String], staging: &Path) -> Vec<Artifact> {
        let mut targets: Vec<&str> = self.files.iter().map(|(a, _)| a.target.as_str()).collect();
        targets.sort();
        targets.dedup();
        let mut held = Vec::new();
        for target in targets.into_iter().filter(|t| !building.iter().any(|b| b == t)) {
            let files: Vec<&(Artifact, String)> = self.files.iter().filter(|(a, _)| a.target == target).collect();
            held.extend(self.take(&files, None, staging, HELD).unwrap_or_default());
        }
        held
    }

    /// All or nothing: every artifact (made from `key`, when given) intact,
    /// linked into `staging/<prefix>/<path>`.
    fn take(
        &self,
        files: &[&(Artifact, String)],
        key: Option<&str>,
        staging: &Path,
        prefix: &str,
    ) -> Option<Vec<Artifact>> {
        let keyed = |a: &Artifact| key.is_none_or(|k| a.inputs.as_deref() == Some(k));
        if !files.iter().all(|(a, at)| keyed(a) && self.intact(a, at)) {
            return None;
        }
        let to = |a: &Artifact| staging.join(prefix).join(&a.path);
        for (n, (a, at)) in files.iter().enumerate() {
            if link(&self.dir.join(at), &to(a)).is_err() {
                // What was linked goes, so a rebuild writes fresh files.
                for (done, _) in &files[..n] {
                    let _ = fs::remove_file(to(done));
                }
                return None;
            }
        }
        Some(files.iter().map(|(a, _)| a.clone()).collect())
    }

    /// Copies the previous binary to `rel` in `staging` (a copy: Go replaces it
    /// when it relinks, which must not touch the release being replaced).
    pub fn seed(&self, rel: &str, staging: &Path) -> anyhow::Result<()> {
        // Only a binary of ours, as written: Go refuses to replace anything else.
        let Some((_, at)) =
            self.files.iter().find(|(a, at)| a.path == rel && a.kind == Kind::Binary && self.intact(a, at))
        else {
            return Ok(());
        };
        let from = self.dir.join(at);
        let to = staging.join(rel);
        fs::create_dir_all(to.parent().expect("a relative file path has a parent"))?;
        // Never write through a link into the release being replaced.
        remove_if_present(&to)?;
        fs::copy(&from, &to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        Ok(())
    }

    fn intact(&self, a: &Artifact, at: &str) -> bool {
        let path = self.dir.join(at);
        // The size first: a file of another size is not read.
        fs::metadata(&path).is_ok_and(|m| m.len() == a.size)
            && sha256_file(&path).is_ok_and(|(size, sha)| size == a.size && sha == a.sha256)
    }
}

/// A hard link, or a copy where the file system has none; whatever was at `to` goes first.
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to.parent().expect("a file path has a parent"))?;
    remove_if_present(to)?;
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(_) => fs::copy(from, to).map(|_| ()),
    }
}

/// Removes a file (or link) so the next write makes a new one instead of
/// writing through a hard link into another release.
pub fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
