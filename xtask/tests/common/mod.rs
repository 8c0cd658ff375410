//! Helpers for the end-to-end tests: run the real `cargo xtask` binary on a
//! copy of the app, and read what it wrote.
#![allow(dead_code)] // Each test file uses its own subset.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DEFAULT_TARGETS: [&str; 6] =
    ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A throwaway project: a copy of `app/` and a dist.toml pointing at it.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(settings: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&workspace().join("app"), &dir.path().join("app"));
        fs::write(dir.path().join("dist.toml"), settings).unwrap();
        Project { dir }
    }

    /// The template's own settings, on a copy of the app.
    pub fn template() -> Project {
        Project::new(&fs::read_to_string(workspace().join("dist.toml")).unwrap())
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("dist")
    }

    /// `cargo xtask dist --settings <this>/dist.toml --out <this>/dist ARGS`.
    pub fn dist(&self, args: &[&str]) -> Command {
        self.dist_to(&self.out(), args)
    }

    pub fn dist_to(&self, out: &Path, args: &[&str]) -> Command {
        let mut cmd = xtask();
        cmd.arg("dist").arg("--settings").arg(self.path().join("dist.toml")).arg("--out").arg(out);
        cmd.args(args);
        cmd
    }

    /// A project whose dist/ already holds a release for this machine, and that release's files.
    pub fn with_previous_release() -> (Project, BTreeMap<String, Vec<u8>>) {
        let p = Project::template();
        run_ok(&mut p.dist(&["--engine", "host", "--host"]));
        let before = snapshot(&p.out());
        assert!(before.contains_key("manifest.json"));
        (p, before)
    }
}

/// This machine as a Go target, e.g. `linux/amd64`.
pub fn host_target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("the end-to-end tests expect an amd64 or arm64 machine, not {other}"),
    };
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{os}/{arch}")
}

pub fn xtask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    // Reproducible regardless of the caller's environment.
    cmd.env_remove("SOURCE_DATE_EPOCH");
    for var in [
        "DAGGER_SESSION_PORT",
        "DAGGER_SESSION_TOKEN",
        "_EXPERIMENTAL_DAGGER_RUNNER_HOST",
        "_EXPERIMENTAL_DAGGER_CLI_BIN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("cannot run the xtask binary")
}

/// Runs and asserts success, showing stderr otherwise.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?} failed with {}:\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// Runs and asserts failure with exit code 1; returns stderr.
pub fn run_err(cmd: &mut Command) -> String {
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{cmd:?} should fail; stderr:\n{stderr}");
    stderr
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file below `dir` (relative path → bytes), to compare whole trees.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Names of the entries beside `dir` other than itself and its lock: staging leftovers.
pub fn leftovers_beside(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")) && !n.ends_with(".lock"))
        .collect()
}

/// Format and CPU of a binary, read independently of the xtask's own check.
pub fn header(bytes: &[u8]) -> (object::BinaryFormat, object::Architecture) {
    use object::Object;
    let file = object::File::parse(bytes).expect("not an object file");
    (file.format(), file.architecture())
}

pub fn expected_header(target: &str) -> (object::BinaryFormat, object::Architecture) {
    use object::{Architecture as A, BinaryFormat as F};
    let (os, arch) = target.split_once('/').unwrap();
    let format = match os {
        "linux" => F::Elf,
        "darwin" => F::MachO,
        "windows" => F::Pe,
        other => panic!("no expectation for {other}"),
    };
    let arch = match arch {
        "amd64" => A::X86_64,
        "arm64" => A::Aarch64,
        "arm" | "arm/v6" | "arm/v7" => A::Arm,
        other => panic!("no expectation for {other}"),
    };
    (format, arch)
}

pub fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}
