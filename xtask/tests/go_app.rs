//! The Go app's own checks, so the one test command covers both languages,
//! with the go the host engine builds with (`cargo xtask toolchain`).

mod common;

use std::process::Command;

use common::{pinned_go, run_ok, workspace};

#[test]
fn go_vet_and_go_test_pass() {
    let app = workspace().join("app");
    let go = pinned_go();
    let go = |args: &[&str]| {
        let mut c = Command::new(&go);
        c.args(args).current_dir(&app).env("GOTOOLCHAIN", "local");
        c
    };
    let version = run_ok(&mut go(&["env", "GOVERSION"]));
    let settings: toml::Value =
        toml::from_str(&std::fs::read_to_string(workspace().join("dist.toml")).unwrap()).unwrap();
    let pinned = format!("go{}", settings["app"]["go"].as_str().unwrap());
    assert_eq!(String::from_utf8(version.stdout).unwrap().trim(), pinned);
    run_ok(&mut go(&["vet", "./..."]));
    let out = run_ok(&mut go(&["test", "-count=1", "./..."]));
    let text = String::from_utf8(out.stdout).unwrap();
    for package in
        ["example.com/hello/cmd/hello", "example.com/hello/internal/buildinfo", "example.com/hello/internal/server"]
    {
        assert!(text.lines().any(|l| l.starts_with("ok") && l.contains(package)), "{package} not tested:\n{text}");
    }
}
