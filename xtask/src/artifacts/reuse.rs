//! Carrying unchanged work over from the release being replaced.
//!
//! A target whose key (see `Plan::target_key`) equals the one recorded in
//! the previous `manifest.json`, and whose files there still have their
//! recorded SHA-256, is linked into the staging directory instead of being
//! built and packed again. An archive whose contents are unchanged is linked
//! the same way even when its target was rebuilt. For the targets that are
//! rebuilt, the previous binaries are copied in first: Go then skips the link
//! of any binary that is already up to date.

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

    /// Links every file of `target` into `staging` if they were made from `key`
    /// and are intact, and returns their artifacts; else touches nothing.
    pub fn take_target(&self, target: &str, key: &str, expected: &[String], staging: &Path) -> Option<Vec<Artifact>> {
        let artifacts: Vec<&Artifact> = self.manifest.artifacts.iter().filter(|a| a.target == target).collect();
        let mut paths: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
        paths.sort();
        let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
        wanted.sort();
        if paths != wanted {
            return None;
        }
        let keyed = artifacts.iter().filter(|a| a.kind != Kind::Archive).all(|a| a.inputs.as_deref() == Some(key));
        if !keyed || !artifacts.iter().all(|a| self.intact(a)) {
            return None;
        }
        for (n, a) in artifacts.iter().enumerate() {
            if link(&self.dir.join(&a.path), &staging.join(&a.path)).is_err() {
                // All or nothing: what was linked goes, so the rebuild writes fresh files.
                for done in &artifacts[..n] {
                    let _ = fs::remove_file(staging.join(&done.path));
                }
                return None;
            }
        }
        Some(artifacts.into_iter().cloned().collect())
    }

    /// Links the previous archive at `path` if it was packed from the same inputs.
    pub fn take_archive(&self, path: &str, key: &str, staging: &Path) -> Option<Artifact> {
        let a = self.manifest.artifacts.iter().find(|a| a.path == path && a.kind == Kind::Archive)?;
        if a.inputs.as_deref() != Some(key) || !self.intact(a) {
            return None;
        }
        link(&self.dir.join(&a.path), &staging.join(&a.path)).ok()?;
        Some(a.clone())
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
