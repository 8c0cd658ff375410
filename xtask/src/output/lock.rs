//! The lock file beside the output, `.<name>.lock`: held for the whole run,
//! and removed by the run that holds it, so a run leaves nothing beside the
//! output. Taking it is safe against the run before removing it between our
//! open and our lock.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::now;

/// The lock file, held: removed when dropped (while still held), then released.
pub(super) struct Lock {
    file: File,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // While we hold it no run can have taken it; only if someone replaced the
        // file by hand does the path name another's, and that one is not ours to remove.
        if names(&self.path, &self.file).unwrap_or(false) {
            let _ = fs::remove_file(&self.path);
        }
        // Closing `file` (after this) releases the lock.
    }
}

pub(super) fn take_lock(path: &Path, out: &Path) -> anyhow::Result<Lock> {
    for _ in 0..100 {
        let file = open_lock_file(path)?;
        if let Some(lock) = lock_opened(file, path, out)? {
            return Ok(lock);
        }
    }
    bail!(
        "cannot take the lock {}: it was removed or replaced 100 times while this run opened it; \
         are many runs writing {} at once?",
        path.display(),
        out.display()
    )
}

fn open_lock_file(path: &Path) -> anyhow::Result<File> {
    // `open` follows a symlink (and the lock is truncated, then removed): only a file is ours.
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!("{} is a symlink, not a lock file of `cargo xtask dist`; remove it", path.display());
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))
}

/// Locks `file`, opened at `path`. `None` when `path` no longer names it: the
/// run that held it removed it between our open and our lock (and another may
/// have made a new one), so holding it would exclude no one; open it again.
fn lock_opened(mut file: File, path: &Path, out: &Path) -> anyhow::Result<Option<Lock>> {
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
    if !names(path, &file).with_context(|| format!("cannot inspect the lock file {}", path.display()))? {
        return Ok(None);
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "pid {}, started {}", std::process::id(), crate::stamp::rfc3339(now()))?;
    Ok(Some(Lock { file, path: path.to_owned() }))
}

/// Whether `path` (itself, not a symlink's target) is the file `file` has open.
#[cfg(unix)]
fn names(path: &Path, file: &File) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let at_path = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let held = file.metadata()?;
    Ok(at_path.dev() == held.dev() && at_path.ino() == held.ino())
}

/// Best effort where std cannot tell two files apart: that a file is there.
#[cfg(not(unix))]
fn names(path: &Path, _file: &File) -> std::io::Result<bool> {
    Ok(fs::symlink_metadata(path).is_ok_and(|m| m.is_file()))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::output::tests::{beside, dead_pid};
    use crate::output::Output;

    #[test]
    fn a_second_run_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let first = Output::prepare(&out).unwrap();
        // Locks are per open file description, so a second open in-process conflicts too.
        let err = Output::prepare(&out).err().expect("must be locked").to_string();
        assert!(err.contains(&format!("another `cargo xtask dist` (pid {}", std::process::id())), "{err}");
        assert!(dir.path().join(".dist.lock").is_file(), "the refused run leaves the held lock alone");
        drop(first);
        assert_eq!(beside(dir.path()), Vec::<String>::new(), "the lock goes with the run that held it");
    }

    /// A run killed outright leaves its lock file, unlocked: the next run takes it over and removes it.
    #[test]
    fn a_lock_file_left_by_a_killed_run_is_taken_over_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let lock = dir.path().join(".dist.lock");
        fs::write(&lock, format!("pid {}, started then\n", dead_pid())).unwrap();
        let o = Output::prepare(&out).unwrap();
        assert!(fs::read_to_string(&lock).unwrap().starts_with(&format!("pid {},", std::process::id())));
        drop(o);
        assert_eq!(beside(dir.path()), Vec::<String>::new());
    }

    /// The classic race: the run holding the lock removes it between our open
    /// and our lock (and another run may make a new one). The file we then
    /// lock excludes no one: that is detected and the lock opened again.
    #[test]
    #[cfg(unix)]
    fn a_lock_file_removed_or_replaced_between_open_and_lock_is_opened_again() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let path = dir.path().join(".dist.lock");
        let opened = open_lock_file(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert!(lock_opened(opened, &path, &out).unwrap().is_none(), "a removed lock file was taken");
        assert!(!path.exists(), "nothing made in its place");

        let opened = open_lock_file(&path).unwrap();
        fs::remove_file(&path).unwrap();
        fs::write(&path, "pid 1, another run's\n").unwrap();
        assert!(lock_opened(opened, &path, &out).unwrap().is_none(), "a replaced lock file was taken");
        assert_eq!(fs::read_to_string(&path).unwrap(), "pid 1, another run's\n", "the new one is left alone");

        // The retry takes the file the path names now, and removes it when done.
        let lock = take_lock(&path, &out).unwrap();
        assert!(fs::read_to_string(&path).unwrap().starts_with(&format!("pid {},", std::process::id())));
        drop(lock);
        assert!(!path.exists());
    }

    /// A symlink at the lock's name is not followed, truncated or removed.
    #[test]
    #[cfg(unix)]
    fn a_symlink_at_the_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("precious"), dir.path().join(".dist.lock")).unwrap();
        let err = Output::prepare(&dir.path().join("dist")).err().expect("must refuse").to_string();
        assert!(err.contains(".dist.lock is a symlink, not a lock file of `cargo xtask dist`; remove it"), "{err}");
        assert_eq!(fs::read_to_string(dir.path().join("precious")).unwrap(), "x");
        assert_eq!(beside(dir.path()), [".dist.lock", "precious"]);
    }
}
