//! The output directory, handled safely.
//!
//! - It is replaced only if it is absent, empty, or holds exactly what an
//!   earlier run wrote (per its `manifest.json`): we never delete what we did not create.
//! - Builds go to a staging directory beside it, swapped in only once the
//!   whole release is complete and verified; on any failure or Ctrl-C the
//!   staging directory is removed and the old output is left as it was.
//! - A lock file beside it keeps two runs from interleaving.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::artifacts::{manifest, walk};

pub struct Output {
    out: PathBuf,
    staging: PathBuf,
    committed: bool,
    /// Held until drop; the OS releases it if we die.
    _lock: File,
}

impl Output {
    /// Checks that `out` may be replaced, takes the lock and creates the staging directory.
    pub fn prepare(out: &Path) -> anyhow::Result<Output> {
        let out = std::path::absolute(out)?;
        let parent = out.parent().context("the output directory cannot be the file system root")?.to_path_buf();
        let name = out.file_name().context("the output directory needs a name")?.to_string_lossy().into_owned();
        fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        check_replaceable(&out)?;
        let lock = take_lock(&parent.join(format!(".{name}.lock")), &out)?;

        // Left by a run that was killed outright; the lock says none is running.
        for entry in fs::read_dir(&parent)? {
            let path = entry?.path();
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            if file.starts_with(&format!(".{name}.staging-")) || file.starts_with(&format!(".{name}.old-")) {
                fs::remove_dir_all(&path).with_context(|| format!("cannot remove the leftover {}", path.display()))?;
            }
        }
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(Output { out, staging, committed: false, _lock: lock })
    }

    pub fn staging(&self) -> &Path {
        &self.staging
    }

    pub fn path(&self) -> &Path {
        &self.out
    }

    /// Replaces the output directory with the staging directory.
    pub fn commit(mut self) -> anyhow::Result<()> {
        check_replaceable(&self.out)?; // Someone may have added files during the build.
        let old = self
            .staging
            .with_file_name(self.staging.file_name().unwrap().to_string_lossy().replace(".staging-", ".old-"));
        let had_old = self.out.exists();
        if had_old {
            fs::rename(&self.out, &old).with_context(|| format!("cannot move {} aside", self.out.display()))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.out) {
            if had_old {
                let _ = fs::rename(&old, &self.out);
            }
            return Err(e).with_context(|| format!("cannot move the new release into {}", self.out.display()));
        }
        self.committed = true;
        if had_old {
            fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove the previous release at {}", old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Absent, empty, or exactly an earlier release of ours.
pub fn check_replaceable(out: &Path) -> anyhow::Result<()> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", out.display())),
    };
    if !meta.is_dir() {
        bail!("{} exists and is not a directory; choose another --out", out.display());
    }
    let contents = walk(out)?;
    if contents.is_empty() {
        return Ok(());
    }
    let refuse = |why: &str| {
        anyhow::format_err!(
            "refusing to replace {}: {why}. Only an empty directory or one written by `cargo xtask dist` is replaced; \
             move it away or choose another --out",
            out.display()
        )
    };
    let Some(manifest) = manifest::Manifest::read(out) else {
        return Err(refuse("it is not empty and has no manifest.json of ours"));
    };
    let ours: Vec<PathBuf> = manifest
        .artifacts
        .iter()
        .map(|a| out.join(&a.path))
        .chain([out.join(manifest::FILE_NAME), out.join(&manifest.checksums)])
        .collect();
    let foreign: Vec<String> = contents
        .iter()
        .filter(|p| !p.is_dir() && !ours.contains(p))
        .map(|p| p.strip_prefix(out).unwrap_or(p).display().to_string())
        .collect();
    if !foreign.is_empty() {
        return Err(refuse(&format!("it holds files this tool did not write: {}", foreign.join(", "))));
    }
    Ok(())
}

fn take_lock(path: &Path, out: &Path) -> anyhow::Result<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            bail!(
                "another `cargo xtask dist` ({}) is writing {}; wait for it to finish (lock: {})",
                holder.trim(),
                out.display(),
                path.display()
            );
        }
        Err(fs::TryLockError::Error(e)) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "pid {}, started {}", std::process::id(), crate::stamp::rfc3339(now()))?;
    Ok(file)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_directory_it_did_not_write() {
        let home = tempfile::tempdir().unwrap();
        fs::write(home.path().join(".bashrc"), "precious").unwrap();
        let err = Output::prepare(home.path()).err().expect("must refuse").to_string();
        assert!(err.contains("refusing to replace") && err.contains("no manifest.json of ours"), "{err}");
        assert_eq!(fs::read_to_string(home.path().join(".bashrc")).unwrap(), "precious");
    }

    #[test]
    fn refuses_a_file_and_a_release_with_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(check_replaceable(&file).unwrap_err().to_string().contains("is not a directory"));

        let out = dir.path().join("dist");
        fs::create_dir(&out).unwrap();
        let m = manifest::Manifest {
            generator: manifest::GENERATOR.into(),
            schema: 1,
            name: "x".into(),
            version: "1".into(),
            commit: "c".into(),
            date: "d".into(),
            source_date_epoch: 0,
            go_version: "go".into(),
            engine: "host".into(),
            image: None,
            checksums: "SHA256SUMS".into(),
            shard: None,
            settings: serde_json::Value::Null,
            artifacts: vec![],
        };
        m.write(&out).unwrap();
        check_replaceable(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: notes.txt"), "{err}");
    }

    #[test]
    fn failed_run_leaves_no_staging_and_commit_swaps() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        {
            let o = Output::prepare(&out).unwrap();
            fs::write(o.staging().join("partial"), "x").unwrap();
        } // dropped without commit, as on an error
        assert_eq!(
            fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".lock"))
                .count(),
            0
        );
        let o = Output::prepare(&out).unwrap();
        fs::write(o.staging().join("new"), "x").unwrap();
        o.commit().unwrap();
        assert!(out.join("new").is_file());
    }

    #[test]
    fn a_second_run_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let _first = Output::prepare(&out).unwrap();
        // Locks are per open file description, so a second open in-process conflicts too.
        let err = Output::prepare(&out).err().expect("must be locked").to_string();
        assert!(err.contains(&format!("another `cargo xtask dist` (pid {}", std::process::id())), "{err}");
    }
}
