//! Faults the output must survive: a full disk, permissions, an old release
//! that cannot be removed, SIGINT/SIGTERM in each phase, and a run killed
//! outright. After each, the previous release is byte-identical (or the new
//! one complete, when the fault comes after the swap) and nothing is left
//! beside it that the next run cannot account for.
//!
//! Some need root (a tmpfs mount, `chattr`) or util-linux's `setpriv`. Where
//! that is missing they say so and pass, except under CI (`CI` set), where
//! they fail: CI must run them.
#![cfg(target_os = "linux")]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The owner marker in a staging directory (see `output/owner.rs`).
const MARKER_FILE: &str = ".cargo-xtask-dist";

/// Whether this machine cannot run a test: under CI that is a failure.
fn unsupported(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("CI must run this test, but {why}");
    }
    eprintln!("skipped: {why}");
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u")).stdout.starts_with(b"0\n")
}

/// A small tmpfs, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("cannot mount a tmpfs: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if !run(Command::new("umount").arg(&self.0)).status.success() {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// A build that does not fit fails naming the file it was writing, and leaves
/// the previous release byte-identical with nothing beside it.
#[test]
fn a_full_disk_fails_naming_the_file_and_keeps_the_previous_release() {
    let p = Project::template();
    // The host release is about 8.6 MB (a 6 MB binary and its archive): 11 MB hold it, not a second binary.
    let disk = match Tmpfs::mount(&p.path().join("small-disk"), "11m") {
        Ok(disk) => disk,
        Err(why) => return unsupported(&why),
    };
    let out = disk.0.join("dist");
    run_ok(&mut p.dist_to(&out, &["--engine", "host", "--host"]));
    let before = snapshot(&out);
    assert!(before.contains_key("manifest.json"));

    let err = run_err(&mut p.dist_to(&out, &["--engine", "host", "--target", "linux/arm64"]));
    assert!(err.to_lowercase().contains("no space left on device"), "{err}");
    let writing = "/release/linux/arm64/hello: no space left on device";
    assert!(err.contains(&format!("{}/.dist.staging-", disk.0.display())) && err.contains(writing), "{err}");
    assert!(err.contains(&format!("{} is unchanged", out.display())), "{err}");
    assert!(snapshot(&out) == before, "the previous release changed");
    assert_eq!(leftovers_beside(&out), Vec::<String>::new(), "no staging directory, no marker");
}

/// `cmd` without the capabilities that let root ignore file modes, so that
/// root is refused like anyone else; as is for anyone else.
fn without_override(cmd: &Command) -> Option<Command> {
    if !is_root() {
        let mut same = Command::new(cmd.get_program());
        same.args(cmd.get_args());
        copy_env(cmd, &mut same);
        return Some(same);
    }
    Command::new("setpriv").arg("--version").output().ok().filter(|o| o.status.success())?;
    let mut wrapped = Command::new("setpriv");
    wrapped.args(["--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]);
    wrapped.arg(cmd.get_program()).args(cmd.get_args());
    copy_env(cmd, &mut wrapped);
    Some(wrapped)
}

fn copy_env(from: &Command, to: &mut Command) {
    for (key, value) in from.get_envs() {
        match value {
            Some(v) => to.env(key, v),
            None => to.env_remove(key),
        };
    }
}

/// Restores a mode on drop, so the temporary directory can be removed.
struct Mode(PathBuf, u32);

impl Drop for Mode {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(self.1));
    }
}

#[test]
fn permission_denied_beside_the_output_is_a_clear_error_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let (p, before) = Project::with_previous_release();
    let Some(mut cmd) = without_override(&p.dist(&["--engine", "host", "--host"])) else {
        return unsupported("root ignores file modes and there is no setpriv to drop that");
    };
    fs::set_permissions(p.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let _restore = Mode(p.path().to_path_buf(), 0o700);
    let err = run_err(&mut cmd);
    // The lock is the first file a run makes there (none is left from the previous run).
    assert!(
        err.contains(&format!("error: cannot open the lock file {}/.dist.lock: Permission denied", p.path().display())),
        "{err}"
    );
    assert!(snapshot(&p.out()) == before, "the previous release changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// Makes files immutable (even root cannot remove them); undone on drop.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").args(["-R", "-i"]).arg(&self.0).output();
    }
}

/// Once the new release is in place, an old one that cannot be removed is a
/// warning that says where each is, not a failure; a later run removes it.
#[test]
fn an_old_release_that_cannot_be_removed_is_a_warning_and_removed_later() {
    let (p, before) = Project::with_previous_release();
    let binary = format!("{}/hello", host_target());
    let guard = Immutable(p.path().to_path_buf());
    let chattr = run(Command::new("chattr").arg("+i").arg(p.out().join(&binary)));
    if !chattr.status.success() {
        return unsupported(&format!("cannot chattr +i: {}", String::from_utf8_lossy(&chattr.stderr).trim()));
    }

    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let left = leftovers_beside(&p.out());
    assert_eq!(left.len(), 1, "{left:?}");
    let work = p.path().join(&left[0]);
    let previous = work.join("previous");
    assert!(
        stderr.contains(&format!(
            "warning: the new release is complete in {}, but its work directory could not be removed: \
             cannot remove {}: Operation not permitted",
            p.out().display(),
            previous.join(&binary).display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "The previous release, or what is left of it, is in {}; remove {} by hand",
            previous.display(),
            work.display()
        )),
        "{stderr}"
    );
    assert!(snapshot(&p.out()) == before, "the new release is complete (and the same build)");
    assert_eq!(fs::read(previous.join(&binary)).unwrap(), before[&binary]);

    // Still stuck: the next run says so and goes on.
    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("warning: cannot remove {}, left by a run", work.display())), "{stderr}");
    assert_eq!(leftovers_beside(&p.out()), left);

    drop(guard);
    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("removed {}, left by a run that is no longer running", work.display())),
        "{stderr}"
    );
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
    assert!(snapshot(&p.out()) == before);
}

/// Starts `cmd` with stderr to a file and waits until `ready` holds.
fn start(cmd: &mut Command, stderr_file: &Path, ready: impl Fn(&str) -> bool) -> Child {
    let mut child = cmd.stdout(Stdio::null()).stderr(fs::File::create(stderr_file).unwrap()).spawn().unwrap();
    let started = Instant::now();
    while !ready(&fs::read_to_string(stderr_file).unwrap()) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("finished ({status}) before it could be stopped:\n{}", fs::read_to_string(stderr_file).unwrap());
        }
        assert!(started.elapsed() < Duration::from_secs(180), "not ready in time");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn signal(pid: u32, name: &str) {
    run_ok(Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()));
}

/// SIGTERM mid-build (as a CI runner or `timeout` sends): exit 143, the
/// previous release byte-identical, no staging left.
#[test]
fn sigterm_mid_build_exits_143_and_leaves_dist_intact() {
    let (p, before) = Project::with_previous_release();
    let stderr_file = p.path().join("stderr.txt");
    // A cold build cache keeps the build running long enough to stop it.
    let mut child =
        start(p.dist(&["--engine", "host"]).env("GOCACHE", p.path().join("cold-gocache")), &stderr_file, |s| {
            s.contains("  building ")
        });
    let mid_build = [".dist.lock".to_owned(), format!(".dist.staging-{}", child.id())];
    assert_eq!(leftovers_beside(&p.out()), mid_build, "a lock and a staging directory exist mid-build");
    signal(child.id(), "TERM");
    let status = child.wait().unwrap();
    let stderr = fs::read_to_string(&stderr_file).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains(&format!("error: interrupted; {} is unchanged", p.out().display())), "{stderr}");
    std::thread::sleep(Duration::from_secs(1)); // A straggling compiler would write now.
    assert!(snapshot(&p.out()) == before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// A `go` on PATH that, the first time its arguments start with `step`,
/// says so in a file and waits 3 s before running.
fn go_that_pauses_at(p: &Project, step: &str) -> (String, PathBuf) {
    let reached = p.path().join("reached");
    let pause = format!(
        "case \"$*\" in \"{step}\"*) if [ ! -e '{r}' ]; then : > '{r}'; sleep 3; fi ;; esac",
        r = reached.display()
    );
    (go_wrapper(p.path(), "pausing-go", &pause), reached)
}

/// SIGINT and SIGTERM sent to the xtask alone (not its children) while it
/// plans, downloads modules and builds: it stops at the next step with
/// 128 + the signal's number, and the previous release is byte-identical.
#[test]
fn sigint_and_sigterm_in_each_phase_stop_the_run_and_change_nothing() {
    let (p, before) = Project::with_previous_release();
    let phases =
        [("plan", "env GOVERSION"), ("plan", "tool dist list"), ("download", "mod download"), ("build", "build ")];
    for (phase, step) in phases {
        for (name, code) in [("INT", 130), ("TERM", 143)] {
            let (path, reached) = go_that_pauses_at(&p, step);
            let _ = fs::remove_file(&reached);
            let stderr_file = p.path().join("stderr.txt");
            // linux/arm64 is not in the previous release, so it is built.
            let mut cmd = p.dist(&["--engine", "host", "--target", "linux/arm64"]);
            let mut child = start(cmd.env("PATH", &path), &stderr_file, |_| reached.exists());
            signal(child.id(), name);
            let status = child.wait().unwrap();
            let stderr = fs::read_to_string(&stderr_file).unwrap();
            let what = format!("SIG{name} during {phase} (`go {step}`)");
            assert_eq!(status.code(), Some(code), "{what}:\n{stderr}");
            assert!(stderr.contains(&format!("interrupted; {} is unchanged", p.out().display())), "{what}:\n{stderr}");
            assert!(snapshot(&p.out()) == before, "{what}: dist/ changed");
            assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new(), "{what}");
        }
    }
}

/// SIGKILL cannot be caught: the run dies holding the lock and leaving its
/// staging directory. The kernel drops a dead process's `flock`, so the next
/// run takes the lock file over (and removes it when done), and it removes the
/// staging directory because its marker names a dead pid.
#[test]
fn a_run_killed_outright_is_recovered_by_the_next_run() {
    use std::os::unix::process::CommandExt;
    let (p, before) = Project::with_previous_release();
    let stderr_file = p.path().join("stderr.txt");
    let mut cmd = p.dist(&["--engine", "host"]);
    // Its own process group, to kill its `go build`s with it (as a CI runner
    // cancelling a job does): an orphaned compiler could write on meanwhile.
    cmd.env("GOCACHE", p.path().join("cold-gocache")).process_group(0);
    let mut child = start(&mut cmd, &stderr_file, |s| s.contains("  building "));
    let pid = child.id();
    let staging = format!(".dist.staging-{pid}");
    assert_eq!(leftovers_beside(&p.out()), [".dist.lock", staging.as_str()]);
    run_ok(Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]));
    child.wait().unwrap();
    assert!(p.path().join(&staging).join("release").is_dir(), "the killed run left its staging");
    let marker = fs::read_to_string(p.path().join(&staging).join(MARKER_FILE)).unwrap();
    assert!(marker.contains(&format!("\npid {pid}\n")), "{marker}");
    let lock = fs::read_to_string(p.path().join(".dist.lock")).unwrap();
    assert!(lock.starts_with(&format!("pid {pid},")), "{lock}");

    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "removed {}, left by a run that is no longer running (pid {pid}, started ",
            p.path().join(&staging).display()
        )),
        "{stderr}"
    );
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new(), "its lock was taken over and removed too");
    assert!(snapshot(&p.out()) == before, "the same build, complete");
}

/// SIGKILL to the xtask alone: its `go build`s live on, orphaned, and write
/// into its staging directory. The next run must not remove that directory
/// from under them (they would create it again, without a marker); once they
/// are gone, a later run does.
#[test]
fn a_staging_directory_that_orphaned_builds_still_write_into_is_kept_until_they_end() {
    use std::os::unix::process::CommandExt;
    let (p, before) = Project::with_previous_release();
    let stderr_file = p.path().join("stderr.txt");
    let mut cmd = p.dist(&["--engine", "host"]);
    cmd.env("GOCACHE", p.path().join("cold-gocache")).process_group(0);
    let mut child = start(&mut cmd, &stderr_file, |s| s.contains("  building "));
    let pid = child.id();
    let work = p.path().join(format!(".dist.staging-{pid}"));
    signal(pid, "KILL");
    child.wait().unwrap();

    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A cold build takes far longer than it took to start this run.
    assert!(
        stderr.contains(&format!("leaving {} alone for now: the run that made it is gone (pid {pid}", work.display())),
        "{stderr}"
    );
    assert!(stderr.contains("still writes into it; a later run removes it"), "{stderr}");
    assert!(work.join(MARKER_FILE).is_file(), "kept with its marker");
    assert!(snapshot(&p.out()) == before);

    // The orphans are still in the killed run's process group.
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).output();
    let started = Instant::now();
    while Command::new("kill").args(["-0", "--", &format!("-{pid}")]).output().unwrap().status.success() {
        assert!(started.elapsed() < Duration::from_secs(30), "the orphaned builds do not die");
        std::thread::sleep(Duration::from_millis(50));
    }
    run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
    assert!(snapshot(&p.out()) == before);
}

/// A run leaves nothing beside its output, whatever its end: after a compile
/// error into a new directory its parent is empty; after a success, a compile
/// error, SIGINT mid-build and a dry run, it holds the output alone — no lock
/// file, no staging directory.
#[test]
fn every_run_leaves_its_output_alone_in_its_parent() {
    let p = Project::template();
    let parent = p.path().join("releases");
    fs::create_dir(&parent).unwrap();
    let out = parent.join("v1");
    let entries = || {
        let mut names: Vec<String> =
            fs::read_dir(&parent).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    let broken = p.path().join("app/cmd/hello/broken.go");
    let break_it = || fs::write(&broken, "package main\n\nfunc broken() {\n\treturn 1\n}\n").unwrap();
    let host = ["--engine", "host", "--host"];

    break_it();
    let err = run_err(&mut p.dist_to(&out, &host));
    assert!(err.contains("too many return values"), "{err}");
    assert_eq!(entries(), Vec::<String>::new(), "after a failed first run");

    fs::remove_file(&broken).unwrap();
    run_ok(&mut p.dist_to(&out, &host));
    assert_eq!(entries(), ["v1"], "after a successful run");

    break_it();
    run_err(&mut p.dist_to(&out, &host));
    assert_eq!(entries(), ["v1"], "after a compile error");
    fs::remove_file(&broken).unwrap();

    // A cold build cache keeps the build running long enough to interrupt it.
    let stderr_file = p.path().join("stderr.txt");
    let mut cmd = p.dist_to(&out, &["--engine", "host", "--target", "linux/arm64"]);
    let mut child =
        start(cmd.env("GOCACHE", p.path().join("cold-gocache")), &stderr_file, |s| s.contains("  building "));
    assert_eq!(entries().len(), 3, "mid-build: the output, a lock and a staging directory: {:?}", entries());
    signal(child.id(), "INT");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{}", fs::read_to_string(&stderr_file).unwrap());
    assert_eq!(entries(), ["v1"], "after SIGINT mid-build");

    let dry = run_ok(&mut p.dist_to(&out, &["--engine", "host", "--dry-run"]));
    assert!(String::from_utf8_lossy(&dry.stdout).contains("replaces the release there"));
    assert_eq!(entries(), ["v1"], "after a dry run");
}
