//! Repository rules that review would otherwise have to catch.

mod common;

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every module says what it holds in a `//!` header.
#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&common::workspace().join("xtask"), &mut files);
    assert!(files.len() > 10);
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} does not start with a //! doc comment", file.display());
    }
}

/// Every GitHub workflow that sets up Go sets up the pinned Go.
#[test]
fn workflow_go_version_matches_dist_toml() {
    let root = common::workspace();
    let settings: toml::Value = toml::from_str(&fs::read_to_string(root.join("dist.toml")).unwrap()).unwrap();
    let go = settings["app"]["go"].as_str().unwrap();
    let mut workflows: Vec<_> = fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    workflows.sort();
    let mut set = 0;
    for workflow in &workflows {
        let text = fs::read_to_string(workflow).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Some(value) = line.trim_start().strip_prefix("go-version:") else { continue };
            let value = value.split(" #").next().unwrap().trim().trim_matches(|c| c == '"' || c == '\'');
            let at = format!("{}:{}", workflow.strip_prefix(&root).unwrap().display(), n + 1);
            assert_eq!(value, go, "{at} sets up Go {value}, but dist.toml pins app.go = {go:?}");
            set += 1;
        }
    }
    assert!(set > 0, "no workflow in .github/workflows sets go-version (found {workflows:?})");
}

/// One target directory shared by two checkouts: cargo reuses the binary built
/// in the first, which must still work on the checkout it is run from.
#[test]
fn the_workspace_comes_from_the_running_cargo_not_the_build() {
    let other = tempfile::tempdir().unwrap();
    let xtask_dir = other.path().join("xtask");
    fs::create_dir(&xtask_dir).unwrap();
    fs::write(other.path().join("dist.toml"), "[app]\ndir = \"nowhere\"\n").unwrap();
    let out = common::xtask()
        .args(["dist", "--engine", "host", "--host"])
        .env("CARGO_MANIFEST_DIR", &xtask_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("no go.mod in {}", other.path().join("nowhere").display())), "{stderr}");
}

/// The Dagger users get is the one CI runs: the exact dagger-sdk pin, the
/// engine version that SDK asks for, and the engine `.ci/dagger-engine` builds.
#[test]
fn the_dagger_sdk_pin_and_the_ci_engine_agree() {
    let root = common::workspace();
    let cargo = fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap();
    let pin = cargo
        .lines()
        .find_map(|l| l.strip_prefix("dagger-sdk = \"=").and_then(|r| r.split('"').next()))
        .expect("xtask/Cargo.toml pins dagger-sdk exactly (dagger-sdk = \"=X.Y.Z\")");
    assert_eq!(pin, dagger_sdk::core::DAGGER_ENGINE_VERSION, "the SDK's own engine version");
    let out = std::process::Command::new("bash")
        .arg(root.join(".ci/dagger-engine"))
        .arg("version")
        .env_remove("DAGGER_ENGINE_VERSION")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("v{pin}"),
        ".ci/dagger-engine builds another Dagger"
    );
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains(&format!("name = \"dagger-sdk\"\nversion = \"{pin}\"")),
        "Cargo.lock resolves another dagger-sdk"
    );
}
