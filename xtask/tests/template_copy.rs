//! README "Use this template", followed to the letter: the tracked files
//! copied into a new directory, the app renamed through the settings only,
//! its main moved to `./cmd/<name>`, a second package added, and
//! `cargo xtask ci` run there — then a formatting slip, which `ci` must
//! stop at and report. Heavy (cargo compiles the copy's xtask): `.ci/run`
//! runs it with `--ignored`.

mod common;

use std::fs;
use std::process::Command;

use common::*;

#[test]
#[ignore = "heavy: compiles the xtask in the copied template; run by .ci/run"]
fn a_copy_of_the_template_passes_cargo_xtask_ci() {
    let ws = workspace();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("greeter");
    let listed = run_ok(Command::new("git").args(["ls-files", "-z"]).current_dir(&ws));
    for file in String::from_utf8(listed.stdout).unwrap().split('\0').filter(|f| !f.is_empty()) {
        let from = ws.join(file);
        if !from.is_file() {
            continue; // deleted in the work tree, not yet committed
        }
        let to = copy.join(file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&from, &to).unwrap();
    }
    // Rename through the settings only, and move main into ./cmd/greeter.
    fs::rename(copy.join("app/cmd/hello"), copy.join("app/cmd/greeter")).unwrap();
    let settings = fs::read_to_string(copy.join("dist.toml"))
        .unwrap()
        .replace("main = \"./cmd/hello\"", "main = \"./cmd/greeter\"")
        .replace("binary = \"hello\"", "binary = \"greeter\"");
    fs::write(copy.join("dist.toml"), settings).unwrap();
    fs::create_dir_all(copy.join("app/internal/shout")).unwrap();
    fs::write(
        copy.join("app/internal/shout/shout.go"),
        "// Package shout makes text loud.\npackage shout\n\nimport \"strings\"\n\n// Loud upper-cases s.\nfunc Loud(s string) string { return strings.ToUpper(s) + \"!\" }\n",
    )
    .unwrap();
    fs::write(
        copy.join("app/internal/shout/shout_test.go"),
        "package shout\n\nimport \"testing\"\n\nfunc TestLoud(t *testing.T) {\n\tif got := Loud(\"hi\"); got != \"HI!\" {\n\t\tt.Fatal(got)\n\t}\n}\n",
    )
    .unwrap();

    // The target directory the heavy tests share (see `heavy_target_dir`).
    let ci = || user_cargo(&copy, &["xtask", "ci", "--engine", "host"]);
    let out = run_ok(&mut ci());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ci: all 2 steps passed: cargo xtask test ("), "{stderr}");
    let names: Vec<String> = snapshot(&copy.join("dist")).into_keys().collect();
    assert!(names.contains(&"greeter_0.0.0-dev_linux_amd64.tar.gz".to_owned()), "{names:?}");
    assert!(names.contains(&"windows/arm64/greeter.exe".to_owned()), "{names:?}");

    // A formatting slip in the Go code: ci stops at `test` and says so.
    fs::write(copy.join("app/internal/shout/shout.go"), "package shout\n\nfunc Loud(s string) string {   return s }\n")
        .unwrap();
    let err = run_err(&mut ci());
    assert!(err.contains("gofmt: these files are not formatted"), "{err}");
    let summary = err.lines().find(|l| l.starts_with("ci: ")).unwrap_or_default();
    assert_eq!(summary, "ci: passed: nothing; FAILED: cargo xtask test; not run: cargo xtask dist", "{err}");
}
