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

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::artifacts::{manifest, walk};
use crate::{interrupt, ui};

/// The owner marker inside a work directory.
const MARKER: &str = ".cargo-xtask-dist";
const MARKER_HEADER: &str = "cargo xtask dist: the work directory of one run";
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

/// Absent, empty, or exactly an earlier release of ours.
pub fn check_replaceable(out: &Path) -> anyhow::Result<()> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
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
    let files: HashSet<PathBuf> = manifest
        .artifacts
        .iter()
        .map(|a| out.join(&a.path))
        .chain(manifest.held.iter().map(|a| out.join(crate::artifacts::reuse::HELD).join(&a.path)))
        .chain([out.join(manifest::FILE_NAME), out.join(&manifest.checksums)])
        .collect();
    // A directory is ours only on the way to one of our files.
    let dirs: HashSet<&Path> =
        files.iter().flat_map(|f| f.ancestors().skip(1).take_while(|a| *a != out && a.starts_with(out))).collect();
    let mut foreign_dirs: Vec<&Path> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for path in &contents {
        if foreign_dirs.iter().any(|d| path.starts_with(d)) {
            continue; // Named already, with the directory it is in.
        }
        let kind =
            fs::symlink_metadata(path).with_context(|| format!("cannot inspect {}", path.display()))?.file_type();
        let rel = path.strip_prefix(out).unwrap_or(path).display().to_string();
        if kind.is_symlink() {
            foreign.push(format!("{rel} (a symlink)"));
        } else if kind.is_dir() {
            if !dirs.contains(path.as_path()) {
                foreign.push(format!("{rel}/ (a directory)"));
                foreign_dirs.push(path);
            }
        } else if !kind.is_file() || !files.contains(path) {
            foreign.push(rel);
        }
    }
    if !foreign.is_empty() {
        return Err(refuse(&format!("it holds files this tool did not write: {}", foreign.join(", "))));
    }
    Ok(())
}

/// The lock file, held: removed when dropped (while still held), then released.
struct Lock {
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

fn take_lock(path: &Path, out: &Path) -> anyhow::Result<Lock> {
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

/// Creates this run's work directory with its marker: `.<name>.staging-<pid>`,
/// or `-1`, `-2`… after it when something of that name is there already.
fn create_work_dir(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let pid = std::process::id();
    for n in 0..100 {
        let work =
            parent.join(if n == 0 { format!(".{name}.staging-{pid}") } else { format!(".{name}.staging-{pid}-{n}") });
        match fs::create_dir(&work) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", work.display())),
        }
        let marker = work.join(MARKER);
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
            .and_then(|mut f| f.write_all(Owner::this_process().to_string().as_bytes()));
        if let Err(e) = written {
            let _ = fs::remove_file(&marker);
            let _ = fs::remove_dir(&work);
            return Err(e).with_context(|| format!("cannot write {}", marker.display()));
        }
        return Ok(work);
    }
    bail!("cannot create a staging directory beside {}: .{name}.staging-{pid} and 99 variants exist", parent.display())
}

/// Removes the work directories (and `.old-` directories of earlier versions)
/// beside the output that a run of ours made and that no running process owns.
fn remove_leftovers(parent: &Path, name: &str) -> anyhow::Result<()> {
    let prefixes = [format!(".{name}.staging-"), format!(".{name}.old-")];
    for entry in fs::read_dir(parent).with_context(|| format!("cannot list {}", parent.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", parent.display()))?;
        if !prefixes.iter().any(|p| entry.file_name().to_string_lossy().starts_with(p.as_str())) {
            continue;
        }
        let path = entry.path();
        let Some(owner) = Owner::of(&path) else {
            ui::warn(format!(
                "leaving {} alone: it holds no {MARKER} marker, so `cargo xtask dist` may not have made it; \
                 remove it by hand if it is a leftover",
                path.display()
            ));
            continue;
        };
        let who = format!("pid {}, started {}", owner.pid, owner.started);
        match owner.state(&path) {
            State::Gone => match remove_work(&path) {
                Ok(()) => {
                    ui::say(format!("removed {}, left by a run that is no longer running ({who})", path.display()))
                }
                Err(e) => ui::warn(format!(
                    "cannot remove {}, left by a run that is no longer running ({who}): {e:#}; remove it by hand",
                    path.display()
                )),
            },
            State::InUse(pid) => ui::warn(format!(
                "leaving {} alone for now: the run that made it is gone ({who}), but a process it started \
                 (pid {pid}) still writes into it; a later run removes it",
                path.display()
            )),
            State::Running => {
                ui::warn(format!("leaving {} alone: the process that made it ({who}) is still running", path.display()))
            }
            State::Unknown(why) => ui::warn(format!(
                "leaving {} alone: {why}; remove it by hand if no `cargo xtask dist` is using it ({who})",
                path.display()
            )),
        }
    }
    Ok(())
}

/// Removes a work directory: everything but the marker first, so that one
/// which cannot be removed entirely keeps it and a later run can try again.
fn remove_work(work: &Path) -> anyhow::Result<()> {
    for entry in fs::read_dir(work).with_context(|| format!("cannot list {}", work.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", work.display()))?;
        if entry.file_name() != MARKER {
            remove_tree(&entry.path())?;
        }
    }
    match fs::remove_file(work.join(MARKER)) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot remove {}", work.join(MARKER).display()))
        }
        _ => {}
    }
    fs::remove_dir(work).with_context(|| format!("cannot remove {}", work.display()))
}

/// Like `fs::remove_dir_all`, but the error names what could not be removed.
fn remove_tree(path: &Path) -> anyhow::Result<()> {
    let meta = fs::symlink_metadata(path).with_context(|| format!("cannot inspect {}", path.display()))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))? {
            remove_tree(&entry.with_context(|| format!("cannot list {}", path.display()))?.path())?;
        }
        fs::remove_dir(path).with_context(|| format!("cannot remove {}", path.display()))
    } else {
        fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
    }
}

/// What a work directory's marker says about the run that made it.
#[derive(Debug, PartialEq)]
struct Owner {
    pid: u32,
    /// When the process started, in the kernel's own terms (Linux: clock ticks
    /// since boot), to tell it from a later process given the same pid.
    start: Option<u64>,
    host: String,
    started: String,
}

#[derive(Debug, PartialEq)]
enum State {
    Running,
    Gone,
    /// Gone, but this process (a `go build` it started, say) names a path inside its directory.
    InUse(u32),
    /// Cannot tell; why.
    Unknown(String),
}

impl Owner {
    fn this_process() -> Owner {
        let pid = std::process::id();
        Owner { pid, start: process_start(pid), host: host_name().to_owned(), started: crate::stamp::rfc3339(now()) }
    }

    /// The owner of `dir` if it is a real directory (not a symlink) with a marker of ours in it.
    fn of(dir: &Path) -> Option<Owner> {
        if !fs::symlink_metadata(dir).ok()?.is_dir() {
            return None;
        }
        let marker = dir.join(MARKER);
        if !fs::symlink_metadata(&marker).ok()?.is_file() {
            return None;
        }
        let mut text = String::new();
        File::open(&marker).ok()?.take(4096).read_to_string(&mut text).ok()?;
        Owner::parse(&text)
    }

    fn parse(text: &str) -> Option<Owner> {
        let mut lines = text.lines();
        if lines.next()? != MARKER_HEADER {
            return None;
        }
        let (mut pid, mut start, mut host, mut started) = (None, None, None, None);
        for line in lines {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "pid" => pid = value.parse().ok(),
                "start" => start = value.parse().ok(),
                "host" => host = Some(value.to_owned()),
                "started" => started = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(Owner { pid: pid?, start, host: host?, started: started.unwrap_or_default() })
    }

    /// Whether the run that made `dir` is still running, or left a process writing there.
    fn state(&self, dir: &Path) -> State {
        if self.host != host_name() {
            return State::Unknown(format!("it was made on host {:?}, whose processes this run cannot see", self.host));
        }
        // This run has not made its own yet: an earlier process had our pid.
        let state = if self.pid == std::process::id() { State::Gone } else { process_state(self.pid, self.start) };
        match (state, process_using(dir)) {
            (State::Gone, Some(pid)) => State::InUse(pid),
            (state, _) => state,
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{MARKER_HEADER}")?;
        writeln!(f, "pid {}", self.pid)?;
        if let Some(start) = self.start {
            writeln!(f, "start {start}")?;
        }
        writeln!(f, "host {}", self.host)?;
        writeln!(f, "started {}", self.started)
    }
}

/// Fields of `/proc/<pid>/stat` after the command name: state, then (22nd overall) the start time.
#[cfg(target_os = "linux")]
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    Some((fields.first()?.chars().next()?, fields.get(19)?.parse().ok()?))
}

#[cfg(target_os = "linux")]
fn process_start(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|(_, start)| start)
}

#[cfg(not(target_os = "linux"))]
fn process_start(_pid: u32) -> Option<u64> {
    None
}

#[cfg(target_os = "linux")]
fn process_state(pid: u32, start: Option<u64>) -> State {
    if !Path::new("/proc/self/stat").exists() {
        return State::Unknown("/proc is not mounted, so this run cannot tell whether its process still runs".into());
    }
    if !Path::new(&format!("/proc/{pid}")).exists() {
        return State::Gone;
    }
    match proc_stat(pid) {
        // A zombie has exited; a different start time is a later process given the same pid.
        Some((state, _)) if state == 'Z' || state == 'X' => State::Gone,
        Some((_, now)) if start.is_some_and(|s| s != now) => State::Gone,
        // Exists but gone between the two looks, or unreadable: only the first is safe to assume.
        None if !Path::new(&format!("/proc/{pid}")).exists() => State::Gone,
        _ => State::Running,
    }
}

/// A process other than this one whose arguments name `dir` or a path in it:
/// a `go build -o` orphaned by a run killed outright still writes there (and
/// would create the directory again if it were removed).
#[cfg(target_os = "linux")]
fn process_using(dir: &Path) -> Option<u32> {
    use std::os::unix::ffi::OsStrExt;
    let name = dir.as_os_str().as_bytes();
    let me = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(args) = fs::read(entry.path().join("cmdline")) else { continue };
        let names_it = args
            .windows(name.len())
            .enumerate()
            .any(|(i, w)| w == name && matches!(args.get(i + name.len()), None | Some(b'/') | Some(0)));
        if names_it && pid != me {
            return Some(pid);
        }
    }
    None
}

#[cfg(not(target_os = "linux"))]
fn process_using(_dir: &Path) -> Option<u32> {
    None
}

/// `ps -p` (POSIX) answers for any user's process, where `kill -0` fails with EPERM.
#[cfg(all(unix, not(target_os = "linux")))]
fn process_state(pid: u32, _start: Option<u64>) -> State {
    match std::process::Command::new("ps")
        .args(["-p", &pid.to_string(), "-o", "pid="])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(status) if status.success() => State::Running,
        Ok(_) => State::Gone,
        Err(e) => State::Unknown(format!("cannot run `ps` to tell whether its process still runs ({e})")),
    }
}

#[cfg(not(unix))]
fn process_state(_pid: u32, _start: Option<u64>) -> State {
    State::Unknown("this run cannot tell on this system whether its process still runs".into())
}

fn host_name() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        #[cfg(target_os = "linux")]
        if let Ok(h) = fs::read_to_string("/proc/sys/kernel/hostname") {
            return h.trim().to_owned();
        }
        std::process::Command::new("hostname")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .unwrap_or_default()
    })
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

    fn release_with(out: &Path, artifacts: &[&str]) {
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
            settings: serde_json::Value::Null,
            artifacts: artifacts
                .iter()
                .map(|p| manifest::Artifact {
                    target: "linux/amd64".into(),
                    kind: manifest::Kind::Binary,
                    binary: None,
                    path: (*p).into(),
                    size: 0,
                    sha256: String::new(),
                    inputs: None,
                })
                .collect(),
            published: vec![],
            partial: false,
            held: vec![],
        };
        m.write_with_checksums(out).unwrap();
        for p in artifacts {
            fs::create_dir_all(out.join(p).parent().unwrap()).unwrap();
            fs::write(out.join(p), "bin").unwrap();
        }
    }

    #[test]
    fn refuses_a_file_and_a_release_with_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(check_replaceable(&file).unwrap_err().to_string().contains("is not a directory"));

        let out = dir.path().join("dist");
        release_with(&out, &[]);
        check_replaceable(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: notes.txt"), "{err}");
    }

    /// Directories are ours only on the way to one of our files; symlinks never are.
    #[test]
    #[cfg(unix)]
    fn refuses_an_empty_directory_or_a_symlink_of_the_users() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        release_with(&out, &["linux/amd64/hello"]);
        check_replaceable(&out).unwrap();

        fs::create_dir_all(out.join("linux/keep/me")).unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: linux/keep/ (a directory)"), "{err}");
        fs::remove_dir_all(out.join("linux/keep")).unwrap();

        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("precious"), "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("data")).unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: data (a symlink)"), "{err}");
        fs::remove_file(out.join("data")).unwrap();

        // Even where an artifact of ours was: a symlink is not what we wrote.
        fs::remove_file(out.join("linux/amd64/hello")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("precious"), out.join("linux/amd64/hello")).unwrap();
        let err = Output::prepare(&out).err().expect("must refuse").to_string();
        assert!(err.contains("linux/amd64/hello (a symlink)"), "{err}");
        assert!(elsewhere.join("precious").is_file());
    }

    /// Every entry in `dir`.
    fn beside(dir: &Path) -> Vec<String> {
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

    /// A pid no process has now: that of a child that has exited and been reaped.
    fn dead_pid() -> u32 {
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
    fn leftover(dir: &Path, name: &str, owner: &Owner) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.join("release/linux")).unwrap();
        fs::write(path.join("release/linux/hello"), "partial").unwrap();
        fs::write(path.join(MARKER), owner.to_string()).unwrap();
        path
    }

    #[test]
    fn leaves_alone_what_it_cannot_prove_it_made() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let pid = std::process::id();
        // The user's, of our names: no marker.
        fs::create_dir_all(dir.path().join(".dist.staging-123/mine")).unwrap();
        fs::write(dir.path().join(".dist.staging-123/mine/notes"), "precious").unwrap();
        fs::write(dir.path().join(".dist.old-7"), "precious").unwrap();
        fs::create_dir(dir.path().join(format!(".dist.staging-{pid}"))).unwrap();
        // A marker that is not ours, or not a file.
        fs::create_dir(dir.path().join(".dist.staging-8")).unwrap();
        fs::write(dir.path().join(".dist.staging-8").join(MARKER), format!("pid {}\n", dead_pid())).unwrap();
        fs::create_dir_all(dir.path().join(".dist.staging-9").join(MARKER)).unwrap();
        // A symlink to a directory that has a valid marker: not followed.
        let gone = Owner { pid: dead_pid(), start: None, host: host_name().into(), started: "then".into() };
        let target = leftover(dir.path(), "target", &gone);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, dir.path().join(".dist.staging-10")).unwrap();
        let before = beside(dir.path());

        let o = Output::prepare(&out).unwrap();
        assert_eq!(o.staging(), dir.path().join(format!(".dist.staging-{pid}-1/release")), "a free name is used");
        assert_eq!(fs::read_to_string(dir.path().join(".dist.staging-123/mine/notes")).unwrap(), "precious");
        assert_eq!(fs::read_to_string(dir.path().join(".dist.old-7")).unwrap(), "precious");
        assert!(target.join("release/linux/hello").is_file());
        drop(o);
        assert_eq!(beside(dir.path()), before, "only our own work directory came and went");
    }

    #[test]
    #[cfg(unix)]
    fn removes_a_leftover_only_when_the_run_that_made_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let host = host_name().to_owned();
        let owner =
            |pid: u32, start: Option<u64>, host: &str| Owner { pid, start, host: host.into(), started: "t".into() };
        let dead = leftover(dir.path(), ".dist.staging-1", &owner(dead_pid(), None, &host));
        let old = leftover(dir.path(), ".dist.old-1", &owner(dead_pid(), None, &host));
        // Our own pid, written by an earlier process (pids repeat, in containers especially).
        let ours = leftover(
            dir.path(),
            &format!(".dist.staging-{}", std::process::id()),
            &owner(std::process::id(), None, &host),
        );
        let living = std::os::unix::process::parent_id();
        let alive = leftover(dir.path(), ".dist.staging-2", &owner(living, process_start(living), &host));
        let elsewhere = leftover(dir.path(), ".dist.staging-3", &owner(dead_pid(), None, "another-host"));
        #[cfg(target_os = "linux")]
        let reused =
            leftover(dir.path(), ".dist.staging-4", &owner(living, process_start(living).map(|s| s + 1), &host));

        let o = Output::prepare(&out).unwrap();
        assert!(!dead.exists() && !old.exists(), "{:?}", beside(dir.path()));
        assert_eq!(o.staging(), ours.join("release"), "the leftover with our pid was removed, its name reused");
        assert!(!ours.join("release/linux/hello").exists());
        assert!(alive.join("release/linux/hello").is_file(), "its process still runs");
        assert!(elsewhere.join("release/linux/hello").is_file(), "its host's processes cannot be seen");
        #[cfg(target_os = "linux")]
        assert!(!reused.exists(), "its pid now belongs to a process that started later");
    }

    #[test]
    fn a_marker_reads_back() {
        let me = Owner::this_process();
        assert_eq!(Owner::parse(&me.to_string()), Some(me));
        let nowhere = Path::new("/nonexistent/.dist.staging-1");
        assert_eq!(
            Owner::this_process().state(nowhere),
            State::Gone,
            "our own pid in a leftover is an earlier process"
        );
        #[cfg(target_os = "linux")]
        assert!(process_start(std::process::id()).is_some());
        assert_eq!(Owner::parse("pid 12\nhost h\n"), None, "no header, not ours");
    }

    /// A `go build` orphaned by a run killed outright may still write into its directory.
    #[test]
    #[cfg(target_os = "linux")]
    fn keeps_a_leftover_a_living_process_still_writes_into() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let gone = Owner { pid: dead_pid(), start: None, host: host_name().into(), started: "t".into() };
        let work = leftover(dir.path(), ".dist.staging-1", &gone);
        // Named in its arguments, as `go build -o DIR/release/…` names it.
        let mut writer = std::process::Command::new("tail")
            .arg("-f")
            .arg(work.join("release/linux/hello"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // `spawn` returns while the kernel may still be setting up its arguments.
        let started = std::time::Instant::now();
        while !fs::read(format!("/proc/{}/cmdline", writer.id())).unwrap().starts_with(b"tail") {
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let o = Output::prepare(&out).unwrap();
        let still = work.join("release/linux/hello").is_file();
        drop(o);
        writer.kill().unwrap();
        writer.wait().unwrap();
        assert!(still, "removed while a process wrote into it");
        let _o = Output::prepare(&out).unwrap();
        assert!(!work.exists(), "removed once that process is gone");
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
}
