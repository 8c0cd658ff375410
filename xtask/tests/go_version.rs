//! One Go version everywhere: `dist` (and `test`) stop when the engine's Go is
//! not `app.go` unless `--allow-other-go`, and `cargo xtask toolchain --set`
//! changes the version in every place that names it, verified by the go
//! command, against a Go module proxy the test makes (a `file://` GOPROXY).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;

const PLATFORMS: [&str; 4] = ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"];

/// A Go module proxy in `<dir>/proxy` serving a fake Go `version` toolchain for
/// `platforms`: list, .info, .mod and a module zip whose every entry is below
/// `golang.org/toolchain@<module version>/`. Returns the GOPROXY URL.
fn fake_proxy(dir: &Path, version: &str, platforms: &[&str]) -> String {
    let at = dir.join("proxy/golang.org/toolchain/@v");
    fs::create_dir_all(&at).unwrap();
    let mut list = String::new();
    for platform in platforms {
        let v = format!("v0.0.1-go{version}.{platform}");
        list.push_str(&format!("{v}\n"));
        fs::write(at.join(format!("{v}.info")), format!("{{\"Version\":\"{v}\",\"Time\":\"2024-01-01T00:00:00Z\"}}"))
            .unwrap();
        fs::write(at.join(format!("{v}.mod")), "module golang.org/toolchain\n").unwrap();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [("bin/go", format!("#!/bin/sh\necho {platform}\n")), ("VERSION", format!("go{version}\n"))]
        {
            zip.start_file(format!("golang.org/toolchain@{v}/{name}"), options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        fs::write(at.join(format!("{v}.zip")), zip.finish().unwrap().into_inner()).unwrap();
    }
    fs::write(at.join("list"), list).unwrap();
    format!("file://{}", dir.join("proxy").display())
}

/// `sha256sum FILE`, the hash alone.
fn sha256sum(file: &Path) -> String {
    let out = run_ok(Command::new("sha256sum").arg(file));
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// The fixture repository with the template adopted, workflows included (`--ci github`).
fn repo_with_workflows() -> Repo {
    let repo = Repo::new();
    repo.write("dist.toml", REPO_SETTINGS);
    run_ok(&mut repo.adopt_cmd(&["--ci", "github"]));
    repo.link_xtask();
    repo
}

const WATCHED: [&str; 4] =
    ["dist.toml", "xtask/go-toolchains.sha256", ".github/workflows/ci.yml", ".github/workflows/release.yml"];

/// The files `--set` may change.
fn watched(repo: &Repo) -> BTreeMap<&'static str, String> {
    WATCHED.iter().map(|f| (*f, fs::read_to_string(repo.path().join(f)).unwrap())).collect()
}

/// Every name in the repository outside target/ and .git/: nothing is left behind.
fn names(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel == "target" || rel == ".git" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            }
            found.push(rel);
        }
    }
    found.sort();
    found
}

/// `cargo xtask toolchain --set VERSION` in `repo`, with only the fake proxy and the pinned go.
fn set(repo: &Repo, version: &str, proxy: &str, tmp: &Path) -> Command {
    let mut cmd = repo.xtask(&["toolchain", "--set", version]);
    cmd.env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("PATH", path_with_pinned_go())
        .env("TMPDIR", tmp)
        .env_remove("GOFLAGS")
        .env_remove("GONOSUMDB")
        .env_remove("GOPRIVATE");
    cmd
}

#[cfg(unix)]
#[test]
fn set_pins_the_verified_hashes_and_the_version_everywhere_then_changes_nothing() {
    let repo = repo_with_workflows();
    let proxy_dir = tempfile::tempdir().unwrap();
    // Windows is not served, as by the proxy this machine reaches.
    let proxy = fake_proxy(proxy_dir.path(), "9.9.9", &PLATFORMS);
    let tmp = tempfile::tempdir().unwrap();
    let before = watched(&repo);

    let out = run_ok(&mut set(&repo, "9.9.9", &proxy, tmp.path()));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();

    // The hash file: the template's lines as they were, then the four new ones, hashed here by sha256sum.
    let zip = |p: &str| proxy_dir.path().join(format!("proxy/golang.org/toolchain/@v/v0.0.1-go9.9.9.{p}.zip"));
    let mut hashes = before["xtask/go-toolchains.sha256"].clone();
    for p in PLATFORMS {
        hashes.push_str(&format!("{}  go9.9.9.{p}.zip\n", sha256sum(&zip(p))));
    }
    let after = watched(&repo);
    assert_eq!(after["xtask/go-toolchains.sha256"], hashes);
    // dist.toml: `go` added as the last key of [app], nothing else touched.
    assert_eq!(after["dist.toml"], REPO_SETTINGS.replace("name = \"tool\"\n", "name = \"tool\"\ngo = \"9.9.9\"\n"));
    // The workflows: every go-version line, its comment kept.
    let mut workflow_lines = Vec::new();
    for wf in [".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        let old = &before[wf];
        assert!(old.contains("go-version: \"1.26.8\" # keep equal"), "{old}");
        assert_eq!(after[wf], old.replace("go-version: \"1.26.8\"", "go-version: \"9.9.9\""));
        let n = old.lines().position(|l| l.trim_start().starts_with("go-version:")).unwrap() + 1;
        workflow_lines.push(format!("changed {wf} (go-version, line {n})\n"));
    }
    assert_eq!(
        stdout,
        format!(
            "changed xtask/go-toolchains.sha256 (go9.9.9: linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)\n\
             changed dist.toml (app.go = \"9.9.9\")\n{}\
             next: cargo xtask dist (the next `cargo xtask` recompiles the xtask first: the hashes are built into it)\n",
            workflow_lines.concat()
        )
    );
    assert!(
        stderr.contains("warning: GOSUMDB=off: the go command checks the zips against no checksum database"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: the Go module proxy does not serve Go 9.9.9 for windows/amd64 windows/arm64 (no such file or \
             directory): no hash pinned for them; on those machines, install Go 9.9.9"
        ),
        "{stderr}"
    );
    for p in PLATFORMS {
        let platform = p.replace('-', "/");
        assert!(stderr.contains(&format!("  {platform:<14} sha256 {}\n", sha256sum(&zip(p)))), "{stderr}");
    }
    // The temporary module cache (read-only directories) is gone.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "left in TMPDIR");
    // The settings are valid: the xtask reads the new app.go (and, not yet recompiled, has no hash for it).
    let err = run_err(repo.xtask(&["dist", "--engine", "host", "--dry-run"]).env("PATH", path_with_pinned_go()));
    assert!(err.contains("the host engine has go1.26.8, not go9.9.9"), "{err}");

    // Again: nothing to change, every file byte-identical.
    let files = names(repo.path());
    let out = run_ok(&mut set(&repo, "9.9.9", &proxy, tmp.path()));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Go 9.9.9 is already set everywhere (xtask/go-toolchains.sha256, dist.toml, .github/workflows/ci.yml, \
         .github/workflows/release.yml): nothing changed\n"
    );
    assert_eq!(watched(&repo), after);
    assert_eq!(names(repo.path()), files);
}

#[cfg(unix)]
#[test]
fn set_changes_nothing_when_one_platform_cannot_be_verified() {
    let repo = repo_with_workflows();
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = fake_proxy(proxy_dir.path(), "9.9.9", &["linux-amd64", "linux-arm64", "darwin-amd64"]);
    let tmp = tempfile::tempdir().unwrap();
    let before = watched(&repo);
    let files = names(repo.path());

    let err = run_err(&mut set(&repo, "9.9.9", &proxy, tmp.path()));
    assert!(err.contains("error: cannot verify Go 9.9.9 for darwin/arm64: nothing was changed\n"), "{err}");
    assert!(
        err.contains(&format!(
            "\ndarwin/arm64: golang.org/toolchain@v0.0.1-go9.9.9.darwin-arm64: reading \
             {proxy}/golang.org/toolchain/@v/v0.0.1-go9.9.9.darwin-arm64.info: no such file or directory"
        )),
        "{err}"
    );
    assert_eq!(watched(&repo), before);
    assert_eq!(names(repo.path()), files);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "left in TMPDIR");

    // A version that is not an exact release is refused before anything is fetched.
    let err = run_err(&mut set(&repo, "1.27", &proxy, tmp.path()));
    assert!(err.contains("error: --set \"1.27\": give an exact Go release such as \"1.26.8\""), "{err}");
    assert_eq!(watched(&repo), before);
}

/// The template's settings asking for a Go this machine cannot have: no hash is pinned for it.
fn unreachable_go_project() -> Project {
    let settings = fs::read_to_string(workspace().join("dist.toml")).unwrap();
    assert!(settings.contains("\ngo = \"1.26.8\""));
    Project::new(&settings.replace("\ngo = \"1.26.8\"", "\ngo = \"9.9.8\""))
}

fn on_this_machine(cmd: &mut Command) -> &mut Command {
    cmd.env("PATH", path_with_pinned_go()).env("GOPROXY", "off")
}

#[cfg(unix)]
#[test]
fn another_go_stops_dist_and_its_dry_run_alike_unless_allowed() {
    let p = unreachable_go_project();
    let settings = p.path().join("dist.toml");
    let go = pinned_go();
    let host = host_target();
    let expected = format!(
        "error: the host engine has go1.26.8, not go9.9.8 (app.go in {s}): no pinned hash for go9.9.8 {host} in \
         xtask/go-toolchains.sha256, so it cannot be fetched; the go on PATH is {go}; nothing was built. Either:\n  \
         - install Go 9.9.8 (https://go.dev/dl/) and put it first on PATH\n  \
         - `cargo xtask toolchain --set 9.9.8 --settings {s}`: verifies Go 9.9.8's module zips and pins their \
         hashes, so the host engine can fetch it\n  \
         - `cargo xtask toolchain --set 1.26.8 --settings {s}`: makes go1.26.8 this project's Go (app.go, the \
         pinned hashes, the workflows)\n  \
         - rerun with --allow-other-go to build with go1.26.8 anyway (the manifest records it)\n",
        s = settings.display(),
        go = go.display(),
    );

    let dry = run(on_this_machine(&mut p.dist(&["--engine", "host", "--host", "--dry-run"])));
    assert_eq!(dry.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&dry.stderr), expected);
    assert_eq!(String::from_utf8_lossy(&dry.stdout), "");
    let real = run(on_this_machine(&mut p.dist(&["--engine", "host", "--host"])));
    assert_eq!(real.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&real.stderr), format!("engine: host (--engine host)\n{expected}"));
    assert!(!p.out().exists(), "dist/ was created");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());

    // Opted in: today's warning, a release whose manifest names the Go that built it.
    let out = run_ok(on_this_machine(&mut p.dist(&["--engine", "host", "--host", "--allow-other-go"])));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: the host engine has go1.26.8, not go9.9.8 (app.go in {}): no pinned hash for go9.9.8 {host} in \
             xtask/go-toolchains.sha256, so it cannot be fetched; the go on PATH is {}; building with go1.26.8 \
             anyway (--allow-other-go): the manifest records it\n",
            settings.display(),
            go.display()
        )),
        "{stderr}"
    );
    assert_eq!(manifest(&p.out())["go_version"], "go1.26.8");
    let release = snapshot(&p.out());
    let shown = run_ok(Command::new(p.out().join(&host).join("hello")).arg("version")).stdout;
    assert!(String::from_utf8_lossy(&shown).contains(", go1.26.8, "), "{}", String::from_utf8_lossy(&shown));

    // Not opted in again: stopped, the release left exactly as it was.
    let real = run(on_this_machine(&mut p.dist(&["--engine", "host", "--host"])));
    assert_eq!(String::from_utf8_lossy(&real.stderr), format!("engine: host (--engine host)\n{expected}"));
    assert_eq!(snapshot(&p.out()), release);
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());

    // The dry run, opted in, says so where it names the toolchain.
    let dry = run_ok(on_this_machine(&mut p.dist(&["--engine", "host", "--host", "--dry-run", "--allow-other-go"])));
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(shown.contains("toolchain: the host's go1.26.8 (not app.go 9.9.8: --allow-other-go)\n"), "{shown}");
}

#[cfg(unix)]
#[test]
fn another_go_stops_test_unless_allowed() {
    let p = unreachable_go_project();
    let test = |extra: &[&str]| {
        let mut cmd = xtask();
        cmd.args(["test", "--engine", "host", "--settings"]).arg(p.path().join("dist.toml")).args(extra);
        on_this_machine(&mut cmd);
        cmd
    };
    let err = run_err(&mut test(&[]));
    assert!(err.contains("error: the host engine has go1.26.8, not go9.9.8 (app.go in "), "{err}");
    assert!(err.contains("- rerun with --allow-other-go to build with go1.26.8 anyway"), "{err}");
    assert!(!err.contains("go vet"), "ran the checks: {err}");
    let out = run_ok(&mut test(&["--allow-other-go"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("building with go1.26.8 anyway (--allow-other-go)"), "{stderr}");
    assert!(stderr.contains("  go test: ok"), "{stderr}");
}
