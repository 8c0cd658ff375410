//! The owner marker in a work directory (`.cargo-xtask-dist`: pid, process
//! start, host, time), whether the process it names still runs, and the
//! removal of work directories that killed runs left: only those with a marker
//! of ours whose process is gone from this host and that no process still
//! writes into.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::now;
use crate::ui;

/// The owner marker inside a work directory.
pub(super) const MARKER: &str = ".cargo-xtask-dist";
const MARKER_HEADER: &str = "cargo xtask dist: the work directory of one run";

/// Creates this run's work directory with its marker: `.<name>.staging-<pid>`,
/// or `-1`, `-2`… after it when something of that name is there already.
pub(super) fn create_work_dir(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
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
pub(super) fn remove_leftovers(parent: &Path, name: &str) -> anyhow::Result<()> {
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
pub(super) fn remove_work(work: &Path) -> anyhow::Result<()> {
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
pub(super) struct Owner {
    pid: u32,
    /// When the process started, in the kernel's own terms (Linux: clock ticks
    /// since boot), to tell it from a later process given the same pid.
    start: Option<u64>,
    host: String,
    started: String,
}

#[derive(Debug, PartialEq)]
pub(super) enum State {
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

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;
    use crate::output::tests::{beside, dead_pid, leftover};
    use crate::output::Output;

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
}
