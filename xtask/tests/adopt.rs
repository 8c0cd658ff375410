//! `cargo xtask adopt DIR`, the README's way into an existing Go repository:
//! the real binary run from the template into fixture repositories shaped like
//! real projects — what it writes (and nothing else), what it keeps of the
//! repository's own, a second run, `--ci`, refusals — then the adopted
//! repository's release and `cargo xtask ci`. The heavy test compiles the
//! adopted xtask with cargo, as a user's first `cargo xtask dist` does.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::*;

/// What adopt must copy, read from the template's tree (not from the xtask's list): the workspace
/// files, then every file of `xtask/` but its tests.
fn expected_files() -> Vec<String> {
    let mut files: Vec<String> =
        ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "rustfmt.toml"].map(String::from).into();
    let xtask = snapshot(&workspace().join("xtask"));
    files.extend(xtask.into_keys().filter(|k| !k.starts_with("tests/")).map(|k| format!("xtask/{k}")));
    files.sort();
    files
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(files added, files changed)` between two snapshots.
fn diff(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) -> (Vec<String>, Vec<String>) {
    let added = after.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
    let changed = before.keys().filter(|k| after.get(*k) != before.get(*k)).cloned().collect();
    (added, changed)
}

#[test]
fn adopt_copies_exactly_the_xtask_and_the_repository_builds() {
    let ws = workspace();
    let repo = Repo::new();
    let original_ignore = fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    let before = snapshot(repo.path());
    let out = run_ok(&mut repo.adopt_cmd(&[]));
    let said = stderr(&out);
    let after = snapshot(repo.path());

    let expected = expected_files();
    assert!(expected.contains(&"xtask/go-toolchains.sha256".to_owned()) && expected.len() > 25, "{expected:?}");
    let (added, changed) = diff(&before, &after);
    let mut want_added = expected.clone();
    want_added.push("dist.toml".to_owned());
    want_added.sort();
    assert_eq!(added, want_added, "adopt wrote other files than the xtask's and dist.toml:\n{said}");
    assert_eq!(changed, [".gitignore"], "adopt changed a file of the repository's own");
    for rel in &expected {
        assert!(after[rel] == fs::read(ws.join(rel)).unwrap(), "{rel} is not the template's");
        assert!(said.contains(&format!("\n  written    {rel}\n")), "{rel} not reported as written:\n{said}");
    }
    let n = expected.len();
    assert!(said.contains(&format!("adopt: {n} written, 0 replaced, 0 unchanged, 0 skipped (of {n} files)")), "{said}");
    assert_eq!(
        String::from_utf8(after[".gitignore"].clone()).unwrap(),
        format!("{original_ignore}/dist/\n/target/\n/.dist.*\n")
    );
    assert!(said.contains("  appended   .gitignore: /dist/ /target/ /.dist.*\n"), "{said}");
    assert!(
        said.contains("no CI configuration copied: `--ci github` adds .github/workflows/ci.yml and release.yml"),
        "{said}"
    );
    assert!(!repo.path().join(".github").exists() && !repo.path().join(".gitlab-ci.yml").exists());
    let next = format!("next:\n  cd {} && cargo xtask dist --dry-run\n  cargo xtask dist\n", repo.path().display());
    assert!(said.ends_with(&next), "{said}");

    // dist.toml by init, from the .goreleaser.yml.
    assert!(said.contains("  written    dist.toml (by init, from .goreleaser.yml)"), "{said}");
    let settings: toml::Value = toml::from_str(std::str::from_utf8(&after["dist.toml"]).unwrap()).unwrap();
    assert_eq!(settings["app"]["name"].as_str(), Some("tool"));
    assert_eq!(settings["checksum"]["name"].as_str(), Some("checksums.txt"));
    let mains: Vec<&str> =
        settings["binaries"].as_array().unwrap().iter().map(|b| b["main"].as_str().unwrap()).collect();
    assert_eq!(mains, ["./cmd/tool", "./cmd/toolctl"]);

    // A second adopt changes nothing and says so.
    let again = stderr(&run_ok(&mut repo.adopt_cmd(&[])));
    assert!(snapshot(repo.path()) == after, "a second adopt changed files:\n{again}");
    for rel in &expected {
        assert!(again.contains(&format!("\n  unchanged  {rel}\n")), "{rel}:\n{again}");
    }
    assert!(again.contains(&format!("adopt: 0 written, 0 replaced, {n} unchanged, 0 skipped")), "{again}");
    assert!(again.contains("  unchanged  .gitignore (it has /dist/ /target/ /.dist.*)"), "{again}");
    assert!(again.contains("  kept       dist.toml (yours: init not run)"), "{again}");

    // The README's next commands, as printed, by the xtask where `cargo xtask` would have built it.
    repo.link_xtask();
    let dry = run_ok(repo.xtask(&["dist", "--dry-run"]).env("PATH", path_with_pinned_go()));
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(
        plan.contains("  linux/amd64      linux/amd64/tool linux/amd64/toolctl  →  tool_Linux_x86_64.tar.gz"),
        "{plan}"
    );
    assert!(!repo.out().exists(), "a dry run writes nothing");
    let out = run_ok(repo.xtask(&["dist"]).env("PATH", path_with_pinned_go()));
    let built = manifest(&repo.out())["artifacts"].as_array().unwrap().clone();
    let mut targets: Vec<&str> = built.iter().map(|a| a["target"].as_str().unwrap()).collect();
    targets.dedup();
    assert_eq!(targets.len(), 9, "{targets:?}\n{}", stderr(&out));
    let check = run_ok(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(repo.out()));
    assert_eq!(String::from_utf8(check.stdout).unwrap().matches(": OK\n").count(), 10, "9 archives and the manifest");
}

/// A fake `cargo` that records its arguments and exits 1 when they start with one of `failing`.
fn fake_cargo(dir: &Path, failing: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let log = dir.join("cargo-calls.log");
    let script = dir.join("fake-cargo");
    let fail: Vec<String> = failing.iter().map(|f| format!("[ \"$1\" = {f} ] && exit 1")).collect();
    fs::write(&script, format!("#!/bin/sh\necho \"$*\" >> '{}'\n{}\nexit 0\n", log.display(), fail.join("\n")))
        .unwrap();
    run_ok(Command::new("chmod").arg("755").arg(&script));
    (script, log)
}

/// `cargo xtask ci` in an adopted repository checks the app (test, dist) and never runs cargo; with
/// `--lint-xtask` it runs `cargo fmt` and `cargo clippy` on the xtask package first, and stops there.
#[test]
fn ci_checks_the_app_and_lints_the_xtask_only_when_asked() {
    let repo = Repo::new();
    repo.adopt(&REPO_SETTINGS.replace("arm = [\"6\"]", "list = [\"linux/amd64\"]"));
    let calls = tempfile::tempdir().unwrap();
    let (cargo, log) = fake_cargo(calls.path(), &["fmt", "clippy"]);
    let ci = |args: &[&str]| {
        let mut cmd = repo.xtask(&[&["ci", "--engine", "host"], args].concat());
        cmd.env("CARGO", &cargo).env("PATH", path_with_pinned_go());
        cmd
    };
    let said = stderr(&run_ok(&mut ci(&[])));
    let summary = said.lines().find(|l| l.starts_with("ci: ")).unwrap_or_default();
    assert!(summary.starts_with("ci: all 2 steps passed: cargo xtask test ("), "{said}");
    assert!(summary.contains(", cargo xtask dist ("), "{said}");
    assert!(!log.exists(), "ci ran cargo: {}", fs::read_to_string(&log).unwrap_or_default());
    assert!(repo.out().join("linux/amd64/tool").is_file());

    let err = run_err(&mut ci(&["--lint-xtask"]));
    assert!(err.lines().any(|l| l
        == "ci: passed: nothing; FAILED: cargo fmt --check; not run: cargo clippy -D warnings, cargo xtask test, cargo xtask dist"), "{err}");
    assert_eq!(fs::read_to_string(&log).unwrap(), "fmt --package xtask --check\n");

    fs::remove_file(&log).unwrap();
    let (cargo, log) = fake_cargo(calls.path(), &["clippy"]);
    let err = run_err(ci(&["--lint-xtask"]).env("CARGO", &cargo));
    let summary = err.lines().find(|l| l.starts_with("ci: ")).unwrap_or_default();
    assert!(summary.starts_with("ci: passed: cargo fmt --check ("), "{err}");
    assert!(
        summary.ends_with("; FAILED: cargo clippy -D warnings; not run: cargo xtask test, cargo xtask dist"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "fmt --package xtask --check\nclippy --package xtask --all-targets --quiet -- -D warnings\n"
    );
}

/// A file of the repository's own that differs is kept and named (`--force` replaces it); its
/// Cargo.toml and .cargo/config.toml are kept even with `--force`, and adopt prints the lines they
/// lack — and nothing once they have them.
#[test]
fn files_of_yours_are_kept_and_named_and_workspace_files_get_instructions() {
    let ws = workspace();
    let repo = Repo::new();
    let mine = "//! My own xtask.\nfn main() {}\n";
    repo.write("xtask/src/main.rs", mine);
    let workspace_manifest = "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n";
    repo.write("Cargo.toml", workspace_manifest);
    repo.write(".cargo/config.toml", "[alias]\nb = \"build\"\n");
    let said = stderr(&run_ok(&mut repo.adopt_cmd(&[])));
    let n = expected_files().len();
    for want in [
        "  skipped    xtask/src/main.rs: yours differs from the template's (--force replaces it)\n",
        "  skipped    Cargo.toml: yours is kept (a workspace file is never replaced; see below)\n",
        "  skipped    .cargo/config.toml: yours is kept (a workspace file is never replaced; see below)\n",
        "  written    Cargo.lock\n",
        "warning: kept 1 file(s) of yours that differ from the template's (xtask/src/main.rs)",
        "to finish by hand (`cargo xtask` cannot run without these):\n  \
         Cargo.toml, in [workspace]: members = [\"crates/*\", \"xtask\"]\n  \
         .cargo/config.toml, in [alias]: xtask = \"run --package xtask --\"\nabout your workspace files:\n",
        "\nthen:\n  cd ",
    ] {
        assert!(said.contains(want), "missing {want:?} in:\n{said}");
    }
    assert!(said.contains(&format!("adopt: {} written, 0 replaced, 0 unchanged, 3 skipped", n - 3)), "{said}");
    assert_eq!(fs::read_to_string(repo.path().join("xtask/src/main.rs")).unwrap(), mine);
    assert_eq!(fs::read_to_string(repo.path().join("Cargo.toml")).unwrap(), workspace_manifest);
    assert_eq!(
        fs::read(repo.path().join("xtask/src/commands/ci.rs")).unwrap(),
        fs::read(ws.join("xtask/src/commands/ci.rs")).unwrap()
    );

    let said = stderr(&run_ok(&mut repo.adopt_cmd(&["--force"])));
    assert!(said.contains("  replaced   xtask/src/main.rs (--force)\n"), "{said}");
    assert!(said.contains("  skipped    Cargo.toml: yours is kept"), "{said}");
    assert!(said.contains(&format!("adopt: 0 written, 1 replaced, {} unchanged, 2 skipped", n - 3)), "{said}");
    assert_eq!(
        fs::read(repo.path().join("xtask/src/main.rs")).unwrap(),
        fs::read(ws.join("xtask/src/main.rs")).unwrap()
    );
    assert_eq!(fs::read_to_string(repo.path().join("Cargo.toml")).unwrap(), workspace_manifest);

    // With the printed lines added, nothing is left to do.
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"xtask\"]\nresolver = \"2\"\n");
    repo.write(".cargo/config.toml", "[alias]\nb = \"build\"\nxtask = \"run --package xtask --\"\n");
    let said = stderr(&run_ok(&mut repo.adopt_cmd(&[])));
    assert!(!said.contains("to finish by hand"), "{said}");
    assert!(said.contains("\nnext:\n  cd "), "{said}");
}

#[test]
fn ci_option_copies_the_github_or_gitlab_configuration() {
    let ws = workspace();
    let repo = Repo::new();
    let said = stderr(&run_ok(&mut repo.adopt_cmd(&["--ci", "github"])));
    for rel in [".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        assert_eq!(fs::read(repo.path().join(rel)).unwrap(), fs::read(ws.join(rel)).unwrap(), "{rel}");
        assert!(said.contains(&format!("  written    {rel}\n")), "{said}");
    }
    assert!(!repo.path().join(".gitlab-ci.yml").exists());
    assert!(!said.contains("no CI configuration copied"), "{said}");

    let repo = Repo::new();
    run_ok(&mut repo.adopt_cmd(&["--ci", "gitlab"]));
    // GitLab keeps the fetched Go and the module cache in .cache/ of the checkout: ignored, never read.
    let ignore = fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(ignore.ends_with("/dist/\n/target/\n/.dist.*\n/.cache/\n"), "{ignore}");
    let rel = ".gitlab-ci.yml";
    assert_eq!(fs::read(repo.path().join(rel)).unwrap(), fs::read(ws.join(rel)).unwrap());
    assert!(!repo.path().join(".github").exists());
}

/// Adopt refuses a folder that does not exist, a file, the template itself, and a folder `init`
/// cannot describe — writing nothing.
#[test]
fn refuses_what_is_not_a_go_repository_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let adopt = |dir: &Path| {
        let mut cmd = xtask();
        cmd.arg("adopt").arg(dir);
        run_err(&mut cmd)
    };
    let missing = tmp.path().join("missing");
    let err = adopt(&missing);
    assert!(
        err.contains(&format!(
            "cannot adopt into {}: pass the top folder of an existing Go repository",
            missing.display()
        )),
        "{err}"
    );
    let file = tmp.path().join("go.mod");
    fs::write(&file, "module x\n").unwrap();
    let err = adopt(&file);
    assert!(err.contains("go.mod is not a folder: pass the top folder of the Go repository"), "{err}");
    let err = adopt(&workspace());
    assert!(err.contains("is this template itself: pass the Go repository to adopt into"), "{err}");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let err = adopt(&empty);
    assert!(err.contains("cannot write dist.toml for") && err.contains("(nothing was copied)"), "{err}");
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 0);
}

/// What a user's first commands do after adopt: cargo compiles the adopted xtask (nothing else of the
/// template is there) and builds the release, then `cargo xtask ci` passes.
#[test]
#[ignore = "heavy: compiles the xtask in the adopted repository; run by .ci/run"]
fn the_adopted_xtask_compiles_builds_the_release_and_passes_ci() {
    let repo = Repo::new();
    run_ok(&mut repo.adopt_cmd(&[]));
    let path = path_with_pinned_go();
    let started = Instant::now();
    let out = run_ok(user_cargo(repo.path(), &["xtask", "dist", "--engine", "host"]).env("PATH", &path));
    eprintln!("cargo xtask dist, compile included: {:.0} s", started.elapsed().as_secs_f64());
    let said = stderr(&out);
    let built = heavy_target_dir().join("debug/xtask");
    assert!(said.contains(&format!("Running `{}", built.display())), "not run from {}:\n{said}", built.display());
    let check = run_ok(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(repo.out()));
    assert_eq!(
        String::from_utf8(check.stdout).unwrap().matches(": OK\n").count(),
        10,
        "9 archives and the manifest: {said}"
    );
    assert!(!repo.path().join("target").exists(), "cargo built in the repository, not in {:?}", heavy_target_dir());

    let started = Instant::now();
    let out = run_ok(user_cargo(repo.path(), &["xtask", "ci", "--engine", "host"]).env("PATH", &path));
    eprintln!("cargo xtask ci: {:.0} s", started.elapsed().as_secs_f64());
    let said = stderr(&out);
    let summary = said.lines().find(|l| l.starts_with("ci: ")).unwrap_or_default();
    assert!(summary.starts_with("ci: all 2 steps passed: cargo xtask test ("), "{said}");
    assert!(said.contains("up to date, reused from"), "ci's dist carried every target over:\n{said}");
}
