//! The Go app's own checks, so the one test command covers both languages.

mod common;

use std::process::Command;

use common::{run_ok, workspace};

#[test]
fn go_vet_and_go_test_pass() {
    let app = workspace().join("app");
    run_ok(Command::new("go").args(["vet", "./..."]).current_dir(&app));
    let out = run_ok(Command::new("go").args(["test", "-count=1", "./..."]).current_dir(&app));
    let text = String::from_utf8(out.stdout).unwrap();
    for package in
        ["example.com/hello/cmd/hello", "example.com/hello/internal/buildinfo", "example.com/hello/internal/server"]
    {
        assert!(text.lines().any(|l| l.starts_with("ok") && l.contains(package)), "{package} not tested:\n{text}");
    }
}
