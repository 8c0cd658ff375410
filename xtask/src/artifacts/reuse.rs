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

use super::checksums::sha256_hex;
use super::manifest::{Artifact, Kind, Manifest};

pub struct Previous {
    dir: PathBuf,
    manifest: Manifest,
}

impl Previous {
    /// The release in `out`, if it is ours.
    pub fn read(out: &Path) -> Option<Previous> {
        Manifest::read(out).map(|manifest| Previous { dir: out.to_path_buf(), manifest })
    }

    /// Links the binaries of `target` (at `outputs`) into `staging` if they were
    /// built from `key` and are intact, and returns their artifacts; else touches nothing.
    pub fn take_binaries(&self, target: &str, key: &str, outputs: &[String], staging: &Path) -> Option<Vec<Artifact>> {
        let found: Vec<&Artifact> =
            self.manifest.artifacts.iter().filter(|a| a.target == target && a.kind == Kind::Binary).collect();
        let mut paths: Vec<&str> = found.iter().map(|a| a.path.as_str()).collect();
        paths.sort();
        let mut wanted: Vec<&str> = outputs.iter().map(String::as_str).collect();
        wanted.sort();
        if paths != wanted {
            return None;
        }
        // In the plan's order.
        let ordered: Vec<&Artifact> =
            outputs.iter().filter_map(|o| found.iter().find(|a| a.path == *o).copied()).collect();
        self.take(&ordered, key, staging)
    }

    /// Links the previous package files at `paths` (an archive, or bare binaries) if they were packed from `key`.
    pub fn take_package(&self, paths: &[String], key: &str, staging: &Path) -> Option<Vec<Artifact>> {
        let found: Vec<&Artifact> = paths
            .iter()
            .map(|p| self.manifest.artifacts.iter().find(|a| a.path == *p && a.kind != Kind::Binary))
            .collect::<Option<_>>()?;
        self.take(&found, key, staging)
    }

    /// All or nothing: every artifact made from `key` and intact, linked into staging.
    fn take(&self, artifacts: &[&Artifact], key: &str, staging: &Path) -> Option<Vec<Artifact>> {
        if !artifacts.iter().all(|a| a.inputs.as_deref() == Some(key) && self.intact(a)) {
            return None;
        }
        for (n, a) in artifacts.iter().enumerate() {
            if link(&self.dir.join(&a.path), &staging.join(&a.path)).is_err() {
                // What was linked goes, so a rebuild writes fresh files.
                for done in &artifacts[..n] {
                    let _ = fs::remove_file(staging.join(&done.path));
                }
                return None;
            }
        }
        Some(artifacts.iter().map(|a| (*a).clone()).collect())
    }

    /// Copies the previous binary to `rel` in `staging` (a copy: Go replaces it
    /// when it relinks, which must not touch the release being replaced).
    pub fn seed(&self, rel: &str, staging: &Path) -> anyhow::Result<()> {
        let from = self.dir.join(rel);
        // Only a binary of ours, as written: Go refuses to replace anything else.
        if !self.manifest.artifacts.iter().any(|a| a.path == rel && a.kind == Kind::Binary && self.intact(a)) {
            return Ok(());
        }
        let to = staging.join(rel);
        fs::create_dir_all(to.parent().expect("a relative file path has a parent"))?;
        // Never write through a link into the release being replaced.
        remove_if_present(&to)?;
        fs::copy(&from, &to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        Ok(())
    }

    fn intact(&self, a: &Artifact) -> bool {
        fs::read(self.dir.join(&a.path))
            .is_ok_and(|bytes| bytes.len() as u64 == a.size && sha256_hex(&bytes) == a.sha256)
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
