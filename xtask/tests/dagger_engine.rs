//! The Dagger engine end to end, on a real Dagger engine.
//!
//! Ignored by plain `cargo test`: it needs an engine, which `.ci/dagger-engine up`
//! provisions offline (CI runs this test on every run):
//!
//!     eval "$(.ci/dagger-engine up)"
//!     cargo test -p xtask --test dagger_engine -- --ignored --nocapture
//!
//! Run without an engine in the environment it fails; it never skips.

mod common;

use std::process::Command;
use std::time::Instant;

use common::*;

#[test]
#[ignore = "needs a Dagger engine: eval \"$(.ci/dagger-engine up)\", then run with --ignored"]
fn dagger_builds_the_same_bytes_as_the_host() {
    for var in ["_EXPERIMENTAL_DAGGER_CLI_BIN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST"] {
        assert!(
            std::env::var_os(var).is_some(),
            "{var} is not set: provision an engine with `eval \"$(.ci/dagger-engine up)\"`"
        );
    }
    let p = Project::template();
    let dagger_out = p.path().join("dagger");
    let dagger = |p: &Project| {
        let mut cmd = p.dist_to(&dagger_out, &["--engine", "dagger"]);
        for var in [
            "_EXPERIMENTAL_DAGGER_CLI_BIN",
            "_EXPERIMENTAL_DAGGER_RUNNER_HOST",
            "DO_NOT_TRACK",
            "DAGGER_NO_UPDATE_CHECK",
        ] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        // Plain progress lines, to see what the engine took from its cache.
        cmd.env("DAGGER_PROGRESS", "plain").env("NO_COLOR", "1");
        // The engine looks for dagger.toml/dagger.lock from the working directory up.
        cmd.current_dir(p.path());
        cmd
    };

    let started = Instant::now();
    let first = run_ok(&mut dagger(&p));
    let cold = started.elapsed();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("engine: dagger (--engine dagger)"), "{stderr}");

    let files = snapshot(&dagger_out);
    for t in DEFAULT_TARGETS {
        let exe = if t.starts_with("windows") { "hello.exe" } else { "hello" };
        assert_eq!(header(&files[&format!("{t}/{exe}")]), expected_header(t), "header of {t}");
    }
    let host = host_target();
    let version = run_ok(Command::new(dagger_out.join(&host).join("hello")).arg("version"));
    let text = String::from_utf8(version.stdout).unwrap();
    assert!(
        text.starts_with("hello 0.0.0-dev (commit unknown, built unknown, go1.26.8,")
            && text.ends_with(&format!("{host})\n")),
        "{text}"
    );
    let manifest = manifest(&dagger_out);
    assert_eq!((manifest["engine"].as_str(), manifest["go_version"].as_str()), (Some("dagger"), Some("go1.26.8")));
    assert_eq!(manifest["image"], "golang:1.26.8");
    let check = run_ok(Command::new("sha256sum").args(["-c", "SHA256SUMS"]).current_dir(&dagger_out));
    assert_eq!(String::from_utf8(check.stdout).unwrap().matches(": OK").count(), 12);

    // No source change: the engine's cache answers.
    let started = Instant::now();
    let second = run_ok(&mut dagger(&p));
    let warm = started.elapsed();
    let progress = String::from_utf8_lossy(&second.stderr);
    let (shown, cached) = cached_builds(&progress);
    // The CLI's progress collapses some cached spans, so not every build is listed.
    assert!(shown > 0 && cached == shown, "{cached} of {shown} go builds cached on the second run:\n{progress}");
    assert!(snapshot(&dagger_out) == files, "a second dagger run changed the bytes");
    eprintln!("dagger engine: cold run {:.1} s, warm run {:.1} s", cold.as_secs_f64(), warm.as_secs_f64());

    // Same Go, same plan: the host engine must produce the very same bytes.
    let host_out = p.path().join("host");
    run_ok(&mut p.dist_to(&host_out, &["--engine", "host"]));
    let host_files = snapshot(&host_out);
    assert_eq!(host_files["SHA256SUMS"], files["SHA256SUMS"], "SHA256SUMS differ between the engines");
    for (name, bytes) in &files {
        if name != "manifest.json" {
            assert!(host_files[name] == *bytes, "{name} differs between the dagger and host engines");
        }
    }
}

/// (go build execs shown, of which answered from the cache) in the CLI's plain
/// progress, where a span's lines share a number: `34  : withExec go build …`
/// then `34  : Container.withExec CACHED [0.0s]` (or `DONE` if it ran).
fn cached_builds(progress: &str) -> (usize, usize) {
    let span = |line: &str| line.split(':').next().unwrap_or("").trim().to_owned();
    let builds: Vec<String> = progress.lines().filter(|l| l.contains(" withExec go build ")).map(span).collect();
    let cached = builds
        .iter()
        .filter(|id| progress.lines().any(|l| span(l) == **id && l.contains("Container.withExec CACHED")))
        .count();
    (builds.len(), cached)
}
