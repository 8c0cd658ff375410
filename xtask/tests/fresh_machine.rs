//! A machine with Rust and git but no Go and no container runtime: the host
//! engine fetches the pinned Go through the Go module proxy, builds with it,
//! and reuses the cached copy the next time.
//!
//! Needs the Go module proxy (GOPROXY, else proxy.golang.org). When it cannot
//! be reached the test is skipped, except under CI, where it fails.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use sha2::Digest;

/// A PATH holding only git: no go, docker or podman, wherever they are installed.
#[cfg(unix)]
fn path_without_go(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir(&bin).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let git = std::env::split_paths(&path).map(|d| d.join("git")).find(|p| p.is_file()).expect("git is not on PATH");
    std::os::unix::fs::symlink(&git, bin.join("git")).unwrap();
    bin
}

/// The caller's Go build cache, if a go is at hand: the test is about the toolchain, not about compiling std.
fn warm_gocache() -> Option<String> {
    if let Ok(cache) = std::env::var("GOCACHE") {
        return Some(cache);
    }
    let out = Command::new("go").args(["env", "GOCACHE"]).env("GOTOOLCHAIN", "local").output().ok()?;
    let cache = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !cache.is_empty()).then_some(cache)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn without_go_the_host_engine_fetches_the_pinned_go_once() {
    let p = Project::template();
    let settings: toml::Value = toml::from_str(&fs::read_to_string(p.path().join("dist.toml")).unwrap()).unwrap();
    let version = settings["app"]["go"].as_str().unwrap().to_owned();
    let machine = tempfile::tempdir().unwrap();
    let path = path_without_go(machine.path());
    let cache = machine.path().join("cache");
    fs::create_dir(&cache).unwrap();
    let gocache = warm_gocache();
    let fresh = |cmd: &mut Command| {
        cmd.env("PATH", &path).env("XDG_CACHE_HOME", &cache);
        if let Some(gocache) = &gocache {
            cmd.env("GOCACHE", gocache);
        }
    };

    let mut first = p.dist(&["--engine", "host", "--host"]);
    fresh(&mut first);
    let out = run(&mut first);
    let err = stderr(&out);
    if !out.status.success() && err.contains("cannot fetch ") {
        assert!(std::env::var_os("CI").is_none(), "CI must reach the Go module proxy:\n{err}");
        eprintln!("skipped: the Go module proxy is unreachable here:\n{err}");
        return;
    }
    assert!(out.status.success(), "{first:?} failed:\n{err}");
    let host = host_target();
    assert!(err.contains(&format!("fetching Go {version} for {host} from ")), "{err}");
    assert!(err.contains(&format!("fetched Go {version} for {host} (")), "{err}");
    let installed = cache.join("cargo-xtask-go").join(format!("go{version}"));
    assert!(
        err.contains(&format!(
            "sha256 as pinned in xtask/go-toolchains.sha256; unpacking into {}",
            installed.display()
        )),
        "{err}"
    );
    assert!(err.contains(&format!("s): {}", installed.join("bin/go").display())), "{err}");
    assert!(installed.join("bin/go").is_file() && installed.join("src/go.mod").is_file());
    let leftovers: Vec<_> = fs::read_dir(cache.join("cargo-xtask-go"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, [format!("go{version}")], "nothing but the toolchain in the cache");

    let binary = p.out().join(&host).join("hello");
    let shown = String::from_utf8(run_ok(Command::new(&binary).arg("version")).stdout).unwrap();
    assert!(shown.contains(&format!(", go{version}, {host})")), "{shown}");
    assert_eq!(manifest(&p.out())["go_version"], format!("go{version}"));
    // The provenance names that Go by its module zip's SHA-256: the zip the Go module proxy serves.
    let (os, arch) = host.split_once('/').unwrap();
    let module = format!("golang.org/toolchain@v0.0.1-go{version}.{os}-{arch}");
    let dl = tempfile::tempdir().unwrap();
    let mut download = Command::new(pinned_go());
    download.args(["mod", "download", "-json", &module]).current_dir(dl.path()).env("GOFLAGS", "");
    let info: serde_json::Value = serde_json::from_slice(&run_ok(&mut download).stdout).unwrap();
    let zip = fs::read(info["Zip"].as_str().unwrap()).unwrap();
    let zip_sha: String = sha2::Sha256::digest(&zip).iter().map(|b| format!("{b:02x}")).collect();
    let statement: serde_json::Value =
        serde_json::from_slice(&fs::read(p.out().join("hello_0.0.0-dev.intoto.json")).unwrap()).unwrap();
    let deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"].as_array().unwrap();
    let go =
        deps.iter().find(|d| d["uri"] == format!("pkg:golang/{module}")).unwrap_or_else(|| panic!("{statement:#}"));
    assert_eq!(go["digest"]["sha256"], zip_sha.as_str());
    assert_eq!(go["annotations"]["go"], format!("go{version}"));

    // Again: the cached copy, no second download; `toolchain` names the same go.
    let mut second = p.dist(&["--engine", "host", "--host"]);
    fresh(&mut second);
    let err = stderr(&run_ok(&mut second));
    assert!(!err.contains("fetching") && !err.contains("fetched"), "{err}");
    let mut toolchain = xtask();
    toolchain.arg("toolchain").arg("--settings").arg(p.path().join("dist.toml"));
    fresh(&mut toolchain);
    let out = run_ok(&mut toolchain);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), installed.join("bin/go").to_str().unwrap());
    assert!(!stderr(&out).contains("fetch"), "{}", stderr(&out));
}

/// A machine whose go on PATH is the pinned version and whose cache also holds
/// a fetched copy: whatever the caller's shell exports (a stray GOEXPERIMENT,
/// GOROOT, GOFLAGS, GOTOOLCHAIN), the go on PATH is the one used, and nothing
/// is fetched.
#[cfg(unix)]
#[test]
fn the_pinned_go_on_path_wins_whatever_the_caller_exports() {
    let p = Project::template();
    let machine = tempfile::tempdir().unwrap();
    // PATH: only git and the pinned go.
    let bin = path_without_go(machine.path());
    let go = pinned_go();
    std::os::unix::fs::symlink(&go, bin.join("go")).unwrap();
    // A cached copy that must not be chosen: it is not even a go.
    let cached = machine.path().join("cache/cargo-xtask-go/go1.26.8/bin/go");
    fs::create_dir_all(cached.parent().unwrap()).unwrap();
    fs::write(&cached, "#!/bin/sh\nexit 3\n").unwrap();
    run_ok(Command::new("chmod").arg("755").arg(&cached));
    let hostile = |cmd: &mut Command| {
        cmd.env("PATH", &bin)
            .env("XDG_CACHE_HOME", machine.path().join("cache"))
            .env("GOEXPERIMENT", "nosuchexperiment")
            .env("GOROOT", "/nonexistent/goroot")
            .env("GOFLAGS", "-mod=nosuchmode")
            .env("GOTOOLCHAIN", "go1.99.0")
            .env("GOPROXY", "off");
    };
    let mut toolchain = xtask();
    toolchain.arg("toolchain").arg("--settings").arg(p.path().join("dist.toml"));
    hostile(&mut toolchain);
    let out = run_ok(&mut toolchain);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), bin.join("go").to_str().unwrap(), "{}", stderr(&out));

    let mut dry = p.dist(&["--engine", "host", "--host", "--dry-run"]);
    hostile(&mut dry);
    let out = run_ok(&mut dry);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("toolchain: the host's go1.26.8\n"), "{shown}\n{}", stderr(&out));
}
