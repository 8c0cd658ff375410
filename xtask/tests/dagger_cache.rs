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

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::*;

const ENGINE_ENV: [&str; 4] =
    ["_EXPERIMENTAL_DAGGER_CLI_BIN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "DO_NOT_TRACK", "DAGGER_NO_UPDATE_CHECK"];

fn engine_env() {
    for var in ["_EXPERIMENTAL_DAGGER_CLI_BIN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "DAGGER_ENGINE_LOG"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: provision an engine with `eval \"$(.ci/dagger-engine up)\"`"
        );
    }
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
    engine_env();
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
    prune_engine();
    let (seeded, seeded_s) = edit_and_build(&repo, 4, &["--go-cache", cache_arg]);
    assert!(line(&seeded, "Dagger engine: ").contains("(seeded from --go-cache)"), "{seeded}");
    assert!(!seeded.contains("warning: the Go build cache"), "seeded, not cold: {seeded}");
    let seeded_files = exported(&seeded);
    assert!(
        seeded_files * 5 < cold_files,
        "an edit on the restored cache compiles little: {seeded_files} new cache files, {cold_files} when cold\n{seeded}"
    );
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
