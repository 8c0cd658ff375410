//! The output directory, handled safely.
//!
//! - It is replaced only if it is absent, empty, or holds exactly what an
//!   earlier run wrote (per its `manifest.json`): we never delete what we did
//!   not create. A symlink, or a directory that holds none of the manifest's
//!   files, is as foreign as a file of the user's.
//! - Each run works in one directory beside it, `.<name>.staging-<pid>`, made
//!   for that run. It holds an owner marker (`.cargo-xtask-dist`: pid, process
//!   start, host, time), the release being built (`release/`, what engines
//!   write into) and, during the swap, the previous release (`previous/`). The
//!   marker sits beside `release/`, not in it, so it never reaches the release
//!   (the artifacts check refuses any file the plan did not ask for), and a run
//!   leaves exactly one entry beside the output.
//! - The release is swapped in only once it is complete and verified; on any
//!   failure or interrupt the work directory is removed and the old output is
//!   left as it was.
//! - A lock file beside it, `.<name>.lock`, keeps two runs from interleaving;
//!   the run removes it when it ends, still holding it, so a run leaves
//!   nothing beside the output. One left by a run that was killed outright is
//!   taken over (the kernel released its lock) and removed by the next run. A
//!   work directory left by such a run is removed by the next run too, but
//!   only when its marker is there and names a process that is no longer
//!   running on this host: anything else of that name is left alone.
//!
//! Here: [`Output`] and the swap; `replace.rs`: what may be replaced;
//! `lock.rs`: the lock file; `owner.rs`: the owner marker, whether its
//! process still runs, and the removal of what killed runs left.

mod lock;
mod owner;
mod replace;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::{interrupt, ui};
use lock::{take_lock, Lock};
use owner::{create_work_dir, remove_leftovers, remove_work, MARKER};
pub use replace::check_replaceable;

/// In the work directory: the release being built, and the one it replaces.
const RELEASE: &str = "release";
const PREVIOUS: &str = "previous";

pub struct Output {
    out: PathBuf,
    /// `.<name>.staging-<pid>` beside `out`: marker, `release/`, `previous/`.
    work: PathBuf,
    staging: PathBuf,
    /// Once set, dropping leaves the work directory as it is.
    keep_work: bool,
    /// Held until drop (declared last: released after the work directory is
    /// removed); the OS releases it if we die.
    _lock: Lock,
}

impl Output {
    /// Checks that `out` may be replaced, takes the lock, removes what killed
    /// runs left and creates this run's work directory.
    pub fn prepare(out: &Path) -> anyhow::Result<Output> {
        let out = std::path::absolute(out)?;
        let parent = out.parent().context("the output directory cannot be the file system root")?.to_path_buf();
        let name = out.file_name().context("the output directory needs a name")?.to_string_lossy().into_owned();
        fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        check_replaceable(&out)?;
        let lock = take_lock(&parent.join(format!(".{name}.lock")), &out)?;
        remove_leftovers(&parent, &name)?;
        let work = create_work_dir(&parent, &name)?;
        let staging = work.join(RELEASE);
        if let Err(e) = fs::create_dir(&staging) {
            let _ = remove_work(&work);
            return Err(e).with_context(|| format!("cannot create {}", staging.display()));
        }
        Ok(Output { out, work, staging, keep_work: false, _lock: lock })
    }

    /// Where the release is built.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    pub fn path(&self) -> &Path {
        &self.out
    }

    /// Replaces the output directory with the staging directory. Once the new
    /// release is in place, failing to remove the previous one is a warning.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let unchanged = format!("{} is unchanged", self.out.display());
        if interrupt::requested() {
            bail!("interrupted; {unchanged}");
        }
        // Someone may have added files during the build.
        check_replaceable(&self.out)?;
        let previous = self.work.join(PREVIOUS);
        let had_old = fs::symlink_metadata(&self.out).is_ok();
        if had_old {
            fs::rename(&self.out, &previous).with_context(|| {
                format!("cannot move {} aside to {}; {unchanged}", self.out.display(), previous.display())
            })?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.out) {
            let new = self.out.display();
            if !had_old {
                return Err(e)
                    .with_context(|| format!("cannot move the new release into {new}; {new} was not created"));
            }
            return match fs::rename(&previous, &self.out) {
                Ok(()) => Err(e).with_context(|| {
                    format!("cannot move the new release into {new}; the previous release is back in place, unchanged")
                }),
                Err(back) => {
                    // The work directory now holds the only copy of the previous release: no run may remove it.
                    self.keep_work = true;
                    let _ = fs::remove_file(self.work.join(MARKER));
                    bail!(
                        "cannot move the new release into {new} ({e}), nor the previous release back ({back}): \
                         {new} does not exist now; the previous release is in {} and the new one in {}. \
                         Move one of them to {new} by hand",
                        previous.display(),
                        self.staging.display()
                    )
                }
            };
        }
        self.keep_work = true;
        if let Err(e) = remove_work(&self.work) {
            let left = if had_old {
                format!("The previous release, or what is left of it, is in {}", previous.display())
            } else {
                "Nothing of value is left there".to_owned()
            };
            ui::warn(format!(
                "the new release is complete in {}, but its work directory could not be removed: {e:#}. \
                 {left}; remove {} by hand (a later run also removes it once it can)",
                self.out.display(),
                self.work.display()
            ));
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if !self.keep_work {
            // If this fails the marker stays, so the next run tries again.
            let _ = remove_work(&self.work);
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::owner::{Owner, MARKER};
    use super::Output;
    use crate::release::manifest;

    /// An earlier release of ours in `out`: a manifest listing `artifacts`, and those files.
    pub(super) fn release_with(out: &Path, artifacts: &[&str]) {
        fs::create_dir_all(out).unwrap();
        let mut m = manifest::Manifest {
            generator: manifest::GENERATOR.into(),
            schema: 1,
            name: "x".into(),
            version: "1".into(),
            tag: String::new(),
            dirty: false,
            tagged: false,
            commit: "c".into(),
            date: "d".into(),
            source_date_epoch: 0,
            go_version: "go".into(),
            engine: "host".into(),
            image: None,
            checksums: "SHA256SUMS".into(),
            shard: None,
            names: None,
            settings: serde_json::Value::Null,
            artifacts: artifacts
                .iter()
                .map(|p| manifest::Artifact {
                    target: "linux/amd64".into(),
                    kind: manifest::Kind::Binary,
                    binary: None,
                    id: None,
                    path: (*p).into(),
                    size: 0,
                    sha256: String::new(),
                    inputs: None,
                    image: None,
                    describes: None,
                })
                .collect(),
            published: vec![],
            partial: false,
            held: vec![],
            images: vec![],
            source: String::new(),
            builds: vec![],
            supply: Default::default(),
            signatures: vec![],
            toolchain: None,
        };
        m.write_with_checksums(out).unwrap();
        for p in artifacts {
            fs::create_dir_all(out.join(p).parent().unwrap()).unwrap();
            fs::write(out.join(p), "bin").unwrap();
        }
    }

    /// Every entry in `dir`.
    pub(super) fn beside(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn failed_run_leaves_no_staging_and_commit_swaps() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        {
            let o = Output::prepare(&out).unwrap();
            assert_eq!(fs::read_dir(o.staging()).unwrap().count(), 0, "the marker is not in the release");
            fs::write(o.staging().join("partial"), "x").unwrap();
        } // dropped without commit, as on an error
        assert_eq!(beside(dir.path()), Vec::<String>::new());
        let o = Output::prepare(&out).unwrap();
        fs::write(o.staging().join("new"), "x").unwrap();
        o.commit().unwrap();
        assert!(out.join("new").is_file());
        assert_eq!(beside(dir.path()), ["dist"]);
    }

    #[test]
    fn a_failed_swap_says_the_previous_release_is_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        release_with(&out, &["linux/amd64/hello"]);
        let o = Output::prepare(&out).unwrap();
        fs::remove_dir(o.staging()).unwrap(); // The rename of the new release into place fails.
        let err = format!("{:#}", o.commit().unwrap_err());
        assert!(
            err.contains(&format!(
                "cannot move the new release into {}; the previous release is back in place, unchanged",
                out.display()
            )),
            "{err}"
        );
        assert_eq!(fs::read_to_string(out.join("linux/amd64/hello")).unwrap(), "bin");
        assert_eq!(beside(dir.path()), ["dist"]);
    }

    /// A pid no process has now: that of a child that has exited and been reaped.
    pub(super) fn dead_pid() -> u32 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    /// A directory with our marker in it, naming `owner`, and a file.
    pub(super) fn leftover(dir: &Path, name: &str, owner: &Owner) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.join("release/linux")).unwrap();
        fs::write(path.join("release/linux/hello"), "partial").unwrap();
        fs::write(path.join(MARKER), owner.to_string()).unwrap();
        path
    }
}
