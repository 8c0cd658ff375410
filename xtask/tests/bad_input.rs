//! Bad input gets a clear message, exit code 1, and an untouched dist/.

mod common;

use std::fs;

use common::*;

/// Runs `args` against a project with a previous release, expects failure,
/// checks dist/ is byte-for-byte unchanged, and returns stderr.
fn refused(
    p: &Project,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    cmd: &mut std::process::Command,
) -> String {
    let err = run_err(cmd);
    assert!(err.lines().any(|l| l.starts_with("error: ")), "{err}");
    assert!(snapshot(&p.out()) == *before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
    err
}

#[test]
fn unknown_and_malformed_targets() {
    let (p, before) = Project::with_previous_release();
    let err = refused(&p, &before, &mut p.dist(&["--engine", "host", "--target", "plan9/sparc"]));
    assert!(err.contains("target plan9/sparc is not supported by the host's go1."), "{err}");
    assert!(
        err.contains("valid targets (`go tool dist list`):")
            && err.contains("linux/amd64")
            && err.contains("windows/arm64"),
        "{err}"
    );

    let err = refused(&p, &before, &mut p.dist(&["--target", "linux"]));
    assert!(err.contains("target `linux` is malformed: write OS/ARCH (e.g. linux/amd64)"), "{err}");
    let err = refused(&p, &before, &mut p.dist(&["--target", "linux/amd64/v3"]));
    assert!(err.contains("target `linux/amd64/v3`: only arm takes a variant"), "{err}");
    assert!(err.contains("valid targets (`go tool dist list`):\n  aix/ppc64 "), "{err}");
}

#[test]
fn settings_errors_name_the_field_and_the_file() {
    let (p, before) = Project::with_previous_release();
    let settings = p.path().join("dist.toml");
    let good = fs::read_to_string(&settings).unwrap();

    fs::write(&settings, good.replace("binary = \"hello\"", "binray = \"hello\"")).unwrap();
    let err = refused(&p, &before, &mut p.dist(&["--engine", "host"]));
    assert!(err.contains(&format!("invalid settings in {}", settings.display())), "{err}");
    assert!(err.contains("unknown field `binray`"), "{err}");

    fs::write(&settings, good.replace("go = \"1.26.8\"", "go = 1.26")).unwrap();
    let err = refused(&p, &before, &mut p.dist(&["--engine", "host"]));
    assert!(err.contains(&format!("invalid settings in {}", settings.display())), "{err}");
    assert!(err.contains("go = 1.26") && err.contains("expected a string"), "{err}");

    fs::write(&settings, good.replace("dir = \"app\"", "dir = \"missing\"")).unwrap();
    let err = refused(&p, &before, &mut p.dist(&["--engine", "host"]));
    assert!(err.contains("no go.mod in") && err.contains("missing") && err.contains("app.dir in"), "{err}");
}

/// A mistyped `--settings` (dist, test, toolchain) is an error naming the
/// path and the default, not a silent build with every default.
#[test]
fn a_settings_file_named_but_missing_is_an_error() {
    let (p, before) = Project::with_previous_release();
    let typo = p.path().join("dist.tolm");
    let said = format!(
        "error: no settings file at {} (given with --settings): check the name, or leave --settings out to use {}",
        typo.display(),
        workspace().join("dist.toml").display()
    );
    for args in [
        &["dist", "--engine", "host", "--settings", "dist.tolm", "--out", "dist"][..],
        &["test", "--engine", "host", "--settings", "dist.tolm"],
        &["toolchain", "--settings", "dist.tolm"],
    ] {
        // Relative to where the user stands, as a shell would read it.
        let err = refused(&p, &before, xtask().args(args).current_dir(p.path()));
        assert!(err.contains(&said), "{args:?}: {err}");
    }
    assert!(!typo.exists());
}

#[test]
fn no_go_and_no_container_runtime_fetches_go_unless_goproxy_forbids_it() {
    let (p, before) = Project::with_previous_release();
    let empty = p.path().join("empty-path");
    fs::create_dir(&empty).unwrap();
    // No go on PATH, no cached copy, and no download allowed.
    let offline = |cmd: &mut std::process::Command| {
        cmd.env("PATH", &empty).env("XDG_CACHE_HOME", &empty).env("HOME", &empty).env("GOPROXY", "off");
    };
    let mut auto = p.dist(&[]);
    offline(&mut auto);
    let err = refused(&p, &before, &mut auto);
    assert!(
        err.contains("engine: host (no Dagger session and no container runtime answered (`docker info`, `podman info`); the host engine will fetch Go 1.26.8)"),
        "{err}"
    );
    let forbidden = "GOPROXY=off forbids fetching Go 1.26.8: install Go 1.26.8 (https://go.dev/dl/), \
                     set GOPROXY to a Go module proxy (e.g. https://proxy.golang.org), or build in Dagger with --engine dagger";
    assert!(err.contains(forbidden), "{err}");
    let mut host = p.dist(&["--engine", "host"]);
    offline(&mut host);
    let err = refused(&p, &before, &mut host);
    assert!(err.contains(forbidden), "{err}");
}

#[test]
fn dagger_that_cannot_start_suggests_the_host_engine() {
    let (p, before) = Project::with_previous_release();
    let empty = p.path().join("empty");
    fs::create_dir(&empty).unwrap();
    // No Dagger CLI anywhere, and its download goes to a closed loopback port.
    let err = refused(
        &p,
        &before,
        p.dist(&["--engine", "dagger"])
            .env("PATH", &empty)
            .env("HOME", &empty)
            .env("XDG_CACHE_HOME", &empty)
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("https_proxy", "http://127.0.0.1:9"),
    );
    // Said before any engine work starts, with the variables that would help.
    assert!(err.contains("no Dagger CLI v0.21.8 here and dl.dagger.io cannot be reached"), "{err}");
    assert!(err.contains("set _EXPERIMENTAL_DAGGER_CLI_BIN to a dagger v0.21.8 binary"), "{err}");
    assert!(err.contains("use --engine host"), "{err}");
}

#[test]
fn an_output_directory_we_did_not_write_is_never_replaced() {
    let p = Project::template();
    let home = p.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join(".bashrc"), "precious").unwrap();
    let err = run_err(&mut p.dist_to(&home, &["--engine", "host", "--host"]));
    assert!(err.contains(&format!("refusing to replace {}", home.display())), "{err}");
    assert_eq!(fs::read_to_string(home.join(".bashrc")).unwrap(), "precious");
    assert_eq!(fs::read_dir(&home).unwrap().count(), 1);
    assert_eq!(leftovers_beside(&home), Vec::<String>::new());
}

/// A `dagger` on PATH of another version is named and not used.
#[test]
fn a_dagger_cli_of_another_version_is_named_and_not_used() {
    let (p, before) = Project::with_previous_release();
    let bin = p.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let calls = p.path().join("dagger-calls.txt");
    fs::write(
        bin.join("dagger"),
        format!("#!/bin/sh\necho \"$*\" >> '{}'\necho 'dagger v0.20.1 (image://registry.dagger.io/engine:v0.20.1) linux/amd64'\n", calls.display()),
    )
    .unwrap();
    std::process::Command::new("chmod").arg("755").arg(bin.join("dagger")).status().unwrap();
    let empty = p.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let err = refused(
        &p,
        &before,
        p.dist(&["--engine", "dagger"])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("XDG_CACHE_HOME", &empty)
            .env("HTTPS_PROXY", "http://127.0.0.1:9"),
    );
    assert!(
        err.contains(&format!("{} is `dagger v0.20.1", bin.join("dagger").display()))
            && err.contains("but this xtask's Dagger SDK needs v0.21.8: not using it"),
        "{err}"
    );
    assert!(err.contains("no Dagger CLI v0.21.8 here"), "{err}");
    assert_eq!(fs::read_to_string(&calls).unwrap(), "version\n", "only asked for its version");
}

/// An engine named by a socket nothing listens on (stopped since the variable was exported) is said
/// at once, with the fixes, for `--engine dagger` and for auto; the dagger CLI would retry it for
/// minutes, spinning.
#[test]
fn a_dagger_engine_socket_nobody_listens_on_is_an_error_at_once() {
    let (p, before) = Project::with_previous_release();
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}", dir.path().join("engine.sock").display());
    for engine in ["dagger", "auto"] {
        let started = std::time::Instant::now();
        let mut cmd = p.dist(&["--engine", engine]);
        let err = refused(&p, &before, cmd.env("_EXPERIMENTAL_DAGGER_RUNNER_HOST", &host));
        assert!(
            err.contains(&format!(
                "the Dagger engine named by _EXPERIMENTAL_DAGGER_RUNNER_HOST={host} does not answer"
            )),
            "{engine}: {err}"
        );
        assert!(err.contains("`.ci/dagger-engine up`") && err.contains("--engine host"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{engine}: {:?}", started.elapsed());
    }
}
