//! The Dagger engine's Go caches, on a real engine: what `dist` reads of them and of the
//! engine's garbage collector, what it says when they were pruned, and `--go-cache DIR`,
//! which lets a pruned (or fresh, as on ephemeral CI) engine build from a restored directory.
//!
//! Ignored by plain `cargo test`; CI runs them on `.ci/dagger-engine`'s engine:
//!
//!     eval "$(.ci/dagger-engine up)"
//!     cargo test -p xtask --test dagger_cache -- --ignored --nocapture
//!
//! The engine's caches are pruned on purpose here (`engine.localCache.prune`, what its
//! garbage collector does when the disk is short), so these tests are a binary of their
//! own: cargo runs test binaries one after the other, and the other engine tests never
//! see a cache pruned under them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;

const ENGINE_ENV: [&str; 4] =
    ["_EXPERIMENTAL_DAGGER_CLI_BIN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "DO_NOT_TRACK", "DAGGER_NO_UPDATE_CHECK"];

/// The tests here take turns: one prunes the engine, one restarts it with another policy.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn engine_env() -> std::sync::MutexGuard<'static, ()> {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for var in ["_EXPERIMENTAL_DAGGER_CLI_BIN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "DAGGER_ENGINE_LOG"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: provision an engine with `eval \"$(.ci/dagger-engine up)\"`"
        );
    }
    guard
}

/// What the engine's garbage collector does when the disk is short: every releasable result goes,
/// the Go cache volumes with them.
fn prune_engine() {
    let cli = std::env::var_os("_EXPERIMENTAL_DAGGER_CLI_BIN").unwrap();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo '{engine{localCache{prune}}}' | \"$0\" query", &cli.to_string_lossy()]);
    for var in ENGINE_ENV {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    // `dagger query` looks for a module from its working directory up: none in a temp dir.
    run_ok(cmd.current_dir(std::env::temp_dir()));
}

const SETTINGS: &str = r#"[app]
dir = "."
name = "tool"

[[binaries]]
main = "./cmd/tool"

[targets]
list = ["linux/amd64"]
"#;

/// A real-looking repository ([`Repo::new`]: vendored module, two mains, ignored junk) with the
/// xtask adopted as the README says, building linux/amd64 on Dagger.
fn repo() -> Repo {
    let repo = Repo::new();
    repo.adopt(SETTINGS);
    repo.commit_all("add the cargo xtask template");
    repo
}

/// `cargo xtask dist --engine dagger -v ARGS` in the repository, after an edit of its source
/// (so that the target is built, not carried over): its stderr, and how long it took.
fn edit_and_build(repo: &Repo, edit: usize, args: &[&str]) -> (String, f64) {
    repo.write("cmd/tool/edit.go", &format!("package main\n\nvar edit{edit} = {edit}\n"));
    let mut cmd = repo.xtask(&["dist", "--engine", "dagger", "--verbose"]);
    cmd.args(args);
    for var in ENGINE_ENV {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    let started = Instant::now();
    let out = run_ok(&mut cmd);
    let seconds = started.elapsed().as_secs_f64();
    // The Dagger CLI's progress is in stderr too: only our lines.
    let ours: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_digit() || c == '\x1b' || c == ' '))
        .map(|l| format!("{l}\n"))
        .collect();
    (ours, seconds)
}

fn line<'a>(stderr: &'a str, prefix: &str) -> &'a str {
    stderr.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line `{prefix}…` in:\n{stderr}"))
}

/// `--go-cache: N new cache files written to DIR`
fn exported(stderr: &str) -> usize {
    line(stderr, "--go-cache: ").split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The engine disk's size and free space as the host's `df` sees the filesystem the engine's log is on.
fn host_df(dir: &Path) -> (f64, f64) {
    let out = run_ok(Command::new("df").arg("-Pk").arg(dir));
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<f64> = text.lines().nth(1).unwrap().split_whitespace().filter_map(|f| f.parse().ok()).collect();
    (fields[0] / 1024.0 / 1024.0, fields[2] / 1024.0 / 1024.0)
}

fn gib(text: &str, before: &str) -> f64 {
    let at = text.find(before).unwrap_or_else(|| panic!("no `{before}` in {text}"));
    let words: Vec<&str> = text[..at].split_whitespace().collect();
    assert_eq!(words[words.len() - 1], "GiB", "{text}");
    words[words.len() - 2].parse().unwrap()
}

#[test]
#[ignore = "needs a Dagger engine: eval \"$(.ci/dagger-engine up)\", then run with --ignored"]
fn a_pruned_go_cache_is_said_and_a_restored_go_cache_dir_builds_warm() {
    let _turn = engine_env();
    let repo = repo();
    let go_cache = tempfile::tempdir().unwrap();
    let cache_dir = go_cache.path().join("go");
    let cache_arg = cache_dir.to_str().unwrap();

    // Cold, with --go-cache: everything the build put in the engine's cache is written to DIR.
    prune_engine();
    let (cold, cold_s) = edit_and_build(&repo, 1, &["--go-cache", cache_arg]);
    let look = line(&cold, "Dagger engine: ");
    // An empty DIR seeds nothing.
    assert!(look.starts_with("Dagger engine: Go build cache cold, module cache cold, "), "{look}");
    let cold_files = exported(&cold);
    assert!(cold_files > 100, "a cold build adds the standard library's packages to the cache: {cold_files}\n{cold}");
    let on_disk = walkdir(&cache_dir.join("build"));
    assert!(on_disk >= cold_files, "{on_disk} files in {cache_arg}/build, {cold_files} exported");

    // What the engine reports of its disk is the disk the engine's log is on (one filesystem here).
    let (total, free) = host_df(Path::new(&std::env::var_os("DAGGER_ENGINE_LOG").unwrap()).parent().unwrap());
    let (seen_free, seen_total) = (gib(look, "of "), gib(look, "free on its disk"));
    assert!((seen_total - total).abs() < 0.2, "engine disk {seen_total} GiB, host df {total} GiB: {look}");
    assert!((seen_free - free).abs() < 2.0, "engine free {seen_free} GiB, host df {free} GiB: {look}");
    // .ci/dagger-engine's explicit policy: 5GB (as Dagger reads it: GiB) kept free, 60GB used at most.
    assert!(
        look.contains("its garbage collector keeps 5.0 GiB free and 60.0 GiB used at most (reserved 10.0 GiB)"),
        "{look}"
    );

    // Warm: an edit rebuilds one package and links; nothing to say.
    let (warm, warm_s) = edit_and_build(&repo, 2, &[]);
    assert!(line(&warm, "Dagger engine: ").starts_with("Dagger engine: Go build cache warm"), "{warm}");
    assert!(!warm.contains("warning: the Go build cache"), "{warm}");

    // Pruned since the last Dagger build of this release: said, with why and the fix.
    prune_engine();
    let (pruned, pruned_s) = edit_and_build(&repo, 3, &[]);
    let warning = line(&pruned, "warning: the Go build cache on the Dagger engine is empty");
    assert!(
        warning.contains("although the release being replaced was built there")
            && warning.contains("this build is cold")
            && warning.contains("--go-cache DIR"),
        "{warning}"
    );

    // Pruned again (a fresh CI engine is the same), but DIR restored: the build starts from it.
    // DIR as a CI cache step restores it three days later, with an entry no build uses.
    assert!(cache_dir.join(".xtask-go-cache").is_file(), "the xtask made DIR: marked as its own");
    let three_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 24 * 3600);
    let unused = cache_dir.join("build/ff").join(format!("{}-a", "f".repeat(64)));
    std::fs::create_dir_all(unused.parent().unwrap()).unwrap();
    std::fs::write(&unused, "an entry no build asks for").unwrap();
    let entries = go_cache_entries(&cache_dir.join("build"));
    for entry in &entries {
        std::fs::File::open(entry).unwrap().set_modified(three_days_ago).unwrap();
    }
    prune_engine();
    let (seeded, seeded_s) = edit_and_build(&repo, 4, &["--go-cache", cache_arg]);
    assert!(line(&seeded, "Dagger engine: ").contains("(seeded from --go-cache)"), "{seeded}");
    assert!(!seeded.contains("warning: the Go build cache"), "seeded, not cold: {seeded}");
    let seeded_files = exported(&seeded);
    assert!(
        seeded_files * 5 < cold_files,
        "an edit on the restored cache compiles little: {seeded_files} new cache files, {cold_files} when cold\n{seeded}"
    );
    // What the build did not use is gone from DIR (the edits' old packages, the planted entry);
    // what it used got the time of that use, for the next run.
    let removed: usize = line(&seeded, "--go-cache: ")
        .split("; ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of removed entries: {seeded}"));
    assert!(!unused.exists(), "an entry no build used for three days is still in DIR");
    let kept = go_cache_entries(&cache_dir.join("build"));
    // Each entry was kept or removed; the rest kept are new (among the files written).
    assert!(kept.len() + removed >= entries.len(), "{} kept, {removed} removed of {}", kept.len(), entries.len());
    assert!(kept.len() + removed <= entries.len() + seeded_files, "{seeded}");
    assert!(
        kept.len() * 2 > entries.len(),
        "most of the cache is what an edit uses: {} of {}",
        kept.len(),
        entries.len()
    );
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    assert!(
        kept.iter().all(|e| std::fs::metadata(e).unwrap().modified().unwrap() > an_hour_ago),
        "every entry kept was used by this run"
    );

    // The trimmed DIR is all the next fresh engine needs.
    prune_engine();
    let (again, _) = edit_and_build(&repo, 5, &["--go-cache", cache_arg]);
    let again_files = exported(&again);
    assert!(again_files * 5 < cold_files, "the trimmed cache still serves an edit: {again_files} new files\n{again}");

    // A new DIR beside a warm engine (or one that another run on this engine trimmed): it gets
    // what the engine used, not only what this run compiled, and serves the next fresh engine.
    let fresh_dir = go_cache.path().join("new");
    let fresh_arg = fresh_dir.to_str().unwrap();
    let (beside, _) = edit_and_build(&repo, 6, &["--go-cache", fresh_arg]);
    assert!(line(&beside, "Dagger engine: ").starts_with("Dagger engine: Go build cache warm"), "{beside}");
    let fetched = go_cache_entries(&fresh_dir.join("build")).len();
    assert!(fetched * 2 > kept.len(), "{fetched} entries in a new DIR, {} used before\n{beside}", kept.len());
    prune_engine();
    let (from_new, _) = edit_and_build(&repo, 7, &["--go-cache", fresh_arg]);
    let from_new_files = exported(&from_new);
    assert!(from_new_files * 5 < cold_files, "the new DIR serves an edit: {from_new_files} new files\n{from_new}");

    // A build that fails reached only part of the cache: nothing is removed from DIR.
    std::fs::write(&unused, "an entry no build asks for").unwrap();
    std::fs::File::open(&unused).unwrap().set_modified(three_days_ago).unwrap();
    repo.write("cmd/tool/broken.go", "package main\n\nvar broken = undefinedName\n");
    let mut cmd = repo.xtask(&["dist", "--engine", "dagger", "--verbose", "--go-cache", cache_arg]);
    for var in ENGINE_ENV {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    let failed = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    // Named per target with the compiler's own words (the builds ran in one exec, `batch.rs`).
    assert!(!failed.status.success() && stderr.contains("go build failed for linux/amd64 (exit 1):"), "{stderr}");
    assert!(stderr.contains("broken.go:3:14: undefined: undefinedName"), "{stderr}");
    assert!(stderr.contains("nothing removed: the build failed"), "{stderr}");
    assert!(unused.exists(), "a failed build removed an unused entry");
    std::fs::remove_file(repo.path().join("cmd/tool/broken.go")).unwrap();
    eprintln!(
        "dagger --go-cache: cold {cold_s:.1} s ({cold_files} files), warm edit {warm_s:.1} s, pruned edit \
         {pruned_s:.1} s, pruned + restored edit {seeded_s:.1} s ({seeded_files} files)"
    );

    // The binary is the one the host engine builds from the same source.
    let host_out = repo.path().join("host-dist");
    run_ok(&mut repo.xtask(&["dist", "--engine", "host", "--out", host_out.to_str().unwrap()]));
    let binary = "linux/amd64/tool";
    assert!(
        std::fs::read(repo.out().join(binary)).unwrap() == std::fs::read(host_out.join(binary)).unwrap(),
        "the seeded Dagger build and the host build differ"
    );
}

/// `.ci/dagger-engine up` with these gc settings (none: its defaults); a change of them
/// restarts the engine on the same socket and cache. Its export lines must not change.
fn engine_up(gc: &[(&str, &str)]) {
    let script = workspace().join(".ci/dagger-engine");
    let mut cmd = Command::new(&script);
    cmd.arg("up");
    for var in ["DAGGER_ENGINE_GC_MIN_FREE", "DAGGER_ENGINE_GC_MAX_USED", "DAGGER_ENGINE_GC_RESERVED"] {
        cmd.env_remove(var);
    }
    cmd.envs(gc.iter().copied());
    let lines = String::from_utf8(run_ok(&mut cmd).stdout).unwrap();
    let env = String::from_utf8(run_ok(Command::new(&script).arg("env")).stdout).unwrap();
    assert_eq!(lines, env, "`up` with gc settings {gc:?} printed other export lines than `env`");
}

/// Puts the engine back on `.ci/dagger-engine`'s own policy, also when the test fails.
struct DefaultPolicyAfter;

impl Drop for DefaultPolicyAfter {
    fn drop(&mut self) {
        engine_up(&[]);
    }
}

/// How many times the engine's log says it pruned the Go build cache volume.
fn go_cache_prunes(log: &Path) -> usize {
    let text = String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned();
    // time=… msg="dagql pruned result" … call=Query.cacheVolume … args="[key=\"go-build-1.26.8\" …
    text.lines()
        .filter(|l| {
            l.contains("dagql pruned result") && l.contains("call=Query.cacheVolume") && l.contains("go-build-")
        })
        .count()
}

#[test]
#[ignore = "needs a Dagger engine: eval \"$(.ci/dagger-engine up)\", then run with --ignored"]
fn an_engine_that_prunes_the_go_cache_is_said_before_it_does_and_after() {
    let _turn = engine_env();
    let log = PathBuf::from(std::env::var_os("DAGGER_ENGINE_LOG").unwrap());
    let repo = repo();
    // A release built on the engine's usual policy: the next runs replace it.
    edit_and_build(&repo, 1, &[]);

    // A collector that allows 1 MB of caches and reserves nothing prunes all it can: a minute after a
    // session ends, and a second after the engine starts (Dagger v0.21.8, engine/server/gc.go,
    // server.go), when what it counts may not include the volumes yet (it counted 16 KB here).
    // So the first run finds the Go cache warm or pruned: each run must say which, and when it
    // said "will prune", the engine must do it before the next run.
    let _restore = DefaultPolicyAfter;
    engine_up(&[
        ("DAGGER_ENGINE_GC_MIN_FREE", "0"),
        ("DAGGER_ENGINE_GC_MAX_USED", "1MB"),
        ("DAGGER_ENGINE_GC_RESERVED", "0"),
    ]);
    let (mut said_will, mut said_did) = (false, false);
    for edit in 2..=4 {
        let prunes = go_cache_prunes(&log); // the engine's log starts anew with each start
        let (stderr, _) = edit_and_build(&repo, edit, &[]);
        let look = line(&stderr, "Dagger engine: ");
        assert!(
            look.contains("its garbage collector keeps 0 B free and 1.0 MiB used at most (reserved 0 B)"),
            "{look}"
        );
        if look.starts_with("Dagger engine: Go build cache warm") {
            let warning = line(&stderr, "warning: the Dagger engine's caches hold ");
            assert!(
                warning.contains(
                    "more than the 1.0 MiB its garbage collector allows: after this run it prunes its caches, \
                     the Go build cache with them, and the next build is cold"
                ) && warning.contains("--go-cache DIR"),
                "{warning}"
            );
            said_will = true;
            // And the engine does as said.
            wait_for_prune(&log, prunes, "after the run that said it would");
        } else {
            let warning = line(&stderr, "warning: the Go build cache on the Dagger engine is empty");
            assert!(
                warning.contains("although the release being replaced was built there: the Dagger engine's caches hold ")
                    && warning.contains(
                        "more than the 1.0 MiB its garbage collector allows, so it pruned the cache; this build is cold"
                    ),
                "{warning}"
            );
            said_did = true;
        }
        if said_will && said_did {
            return;
        }
    }
    panic!("three runs under a collector that prunes all: said it will prune {said_will}, said it pruned {said_did}");
}

/// Waits (at most 90 s) until the engine's log has more Go build cache prunes than `seen`.
fn wait_for_prune(log: &Path, seen: usize, when: &str) -> usize {
    let deadline = Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let now = go_cache_prunes(log);
        if now > seen {
            return now;
        }
        assert!(Instant::now() < deadline, "the engine did not prune the Go build cache within 90 s {when}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Go's entry files in a build cache: `xx/<64 hex>-a` and `-d`.
fn go_cache_entries(build: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(build).unwrap() {
        let shard = shard.unwrap();
        if shard.file_name().len() != 2 || !shard.file_type().unwrap().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path()).unwrap() {
            let name = file.as_ref().unwrap().file_name().into_string().unwrap();
            if name.len() == 66 && (name.ends_with("-a") || name.ends_with("-d")) {
                out.push(file.unwrap().path());
            }
        }
    }
    out
}

fn walkdir(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            n += walkdir(&entry.path());
        } else {
            n += 1;
        }
    }
    n
}
