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

    /// `cargo xtask dist merge DIRS --out <this>/dist`.
    pub fn xtask_merge(&self, dirs: &[&Path]) -> Command {
        let mut cmd = xtask();
        cmd.args(["dist", "merge", "--out"]).arg(self.out()).args(dirs);
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
    without_caller_settings(&mut cmd);
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

/// Names of the entries beside `dir` that a run of ours may leave (`.<name>.*`:
/// its lock, staging directories): none once a run has ended.
pub fn leftovers_beside(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut names: Vec<String> = fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")))
        .collect();
    names.sort();
    names
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

/// A release as a downloader gets it: only the files the manifest says are
/// published, copied into an empty folder, where `sha256sum -c <checksum file>`
/// must pass and the checksum file must name every other published file
/// exactly once. Returns the published names.
pub fn assert_published_release_verifies(out: &Path) -> Vec<String> {
    let m = manifest(out);
    let checksums = m["checksums"].as_str().unwrap().to_owned();
    let published: Vec<String> = m["published"]
        .as_array()
        .expect("manifest.json lists what is published")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(published.contains(&checksums) && published.contains(&"manifest.json".to_owned()), "{published:?}");
    let download = tempfile::tempdir().unwrap();
    for name in &published {
        assert!(!name.contains('/'), "a published file sits at the top of the release: {name}");
        fs::copy(out.join(name), download.path().join(name)).unwrap();
    }
    let check = run(Command::new("sha256sum").arg("-c").arg(&checksums).current_dir(download.path()));
    let said = String::from_utf8_lossy(&check.stdout).into_owned() + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "sha256sum -c {checksums} fails on the published files alone:\n{said}");
    let mut listed: Vec<String> = fs::read_to_string(download.path().join(&checksums))
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").expect("`<hex>  <name>` lines").1.to_owned())
        .collect();
    listed.sort();
    // The provenance and the signatures cover the checksum file, so it cannot list them.
    let provenance = m["supply"]["provenance"].as_str().map(str::to_owned);
    let signatures: Vec<String> =
        m["signatures"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap().to_owned()).collect();
    let covering: Vec<&String> = provenance.iter().chain(&signatures).collect();
    let mut others: Vec<String> =
        published.iter().filter(|n| **n != checksums && !covering.contains(n)).cloned().collect();
    others.sort();
    assert_eq!(listed, others, "{checksums} lists exactly the other published files");
    if let Some(provenance) = provenance {
        let statement: serde_json::Value =
            serde_json::from_slice(&fs::read(download.path().join(&provenance)).unwrap()).unwrap();
        let mut subjects: Vec<String> =
            statement["subject"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
        subjects.sort();
        assert_eq!(subjects, others, "{provenance}'s subjects are the checksum file's entries");
    }
    published
}

/// A Go repository shaped like a real project — module at the root, mains
/// under `cmd/`, a vendored dependency that cannot be fetched, ignored junk,
/// an existing `.goreleaser.yml`, git history with a tag — into which the
/// xtask is adopted the way the README says.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

/// What the fixture's go 1.26.8 builds of its `goos × goarch` (darwin/386, darwin/arm and windows/arm
/// dropped).
pub const FIXTURE_TARGETS: [&str; 9] = [
    "darwin/amd64",
    "darwin/arm64",
    "linux/386",
    "linux/amd64",
    "linux/arm/v6",
    "linux/arm64",
    "windows/386",
    "windows/amd64",
    "windows/arm64",
];

/// `.goreleaser.yml` of the fixture, in the style `goreleaser init` writes.
pub const GORELEASER_YML: &str = r#"version: 2
project_name: tool
before:
  hooks:
    - go mod tidy
builds:
  - id: tool
    main: ./cmd/tool
    binary: tool
    env:
      - CGO_ENABLED=0
    goos: [linux, darwin, windows]
    goarch: [amd64, arm64, arm, "386"]
    ldflags:
      - -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}
  - id: toolctl
    main: ./cmd/toolctl
    binary: toolctl
    env:
      - CGO_ENABLED=0
    goos: [linux, darwin, windows]
    goarch: [amd64, arm64, arm, "386"]
    ldflags:
      - -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}
archives:
  - formats: [tar.gz]
    name_template: >-
      {{ .ProjectName }}_
      {{- title .Os }}_
      {{- if eq .Arch "amd64" }}x86_64
      {{- else if eq .Arch "386" }}i386
      {{- else }}{{ .Arch }}{{ end }}
      {{- if .Arm }}v{{ .Arm }}{{ end }}
    format_overrides:
      - goos: windows
        formats: [zip]
checksum:
  name_template: checksums.txt
changelog:
  sort: asc
"#;

/// GoReleaser's `nfpms:` as a real project writes it: both commands in apk, deb and rpm packages.
pub const NFPMS_YML: &str = r#"nfpms:
  - id: packages
    package_name: tool
    ids: [tool, toolctl]
    vendor: Example Corp
    homepage: https://example.com/tool
    maintainer: Jane Doe <jane@example.com>
    description: |-
      Does tool things.
      It does them for a long time, and well.
    license: MIT
    formats: [apk, deb, rpm]
    section: utils
    dependencies: [ca-certificates, "tzdata (>= 2020a)"]
    bindir: /usr/bin
    contents:
      - src: packaging/config.toml
        dst: /etc/tool/config.toml
        type: config|noreplace
      - src: LICENSE
        dst: /usr/share/doc/tool/copyright
        packager: deb
      - dst: /var/lib/tool
        type: dir
        file_info:
          mode: 0750
      - src: /usr/bin/tool
        dst: /usr/sbin/tool
        type: symlink
    scripts:
      postinstall: packaging/postinstall.sh
    deb:
      lintian_overrides:
        - statically-linked-binary
"#;

const MIT_LICENSE: &str = "Copyright (c) 2023 Jane Doe

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the \"Software\"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
";

const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"
	"runtime"

	"example.invalid/greet"
)

var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Printf("NAME %s (commit %s, built %s, %s, %s/%s)\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return
	}
	fmt.Println(greet.Hello())
}
"#;

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let r = Repo { dir };
        r.write("go.mod", "module example.com/tool\n\ngo 1.22\n\nrequire example.invalid/greet v1.0.0\n");
        r.write("vendor/modules.txt", "# example.invalid/greet v1.0.0\n## explicit; go 1.22\nexample.invalid/greet\n");
        r.write("vendor/example.invalid/greet/greet.go", "package greet\n\nfunc Hello() string { return \"hello\" }\n");
        for name in ["tool", "toolctl"] {
            r.write(&format!("cmd/{name}/main.go"), &MAIN_GO.replace("NAME", name));
        }
        r.write("internal/util/util.go", "package util\n\nfunc Twice(s string) string { return s + s }\n");
        r.write("README.md", "# tool\n");
        r.write("LICENSE", "MIT\n");
        r.write(".goreleaser.yml", GORELEASER_YML);
        r.write(".gitignore", "/junk/\n*.log\n/bin/\n");
        // Large ignored files: uploading them would be slow, and they change all the time.
        r.write("junk/cache.bin", &"x".repeat(8 << 20));
        r.write("debug.log", "noise\n");
        r.git(&["init", "-q"]);
        r.commit_all("tool");
        r
    }

    /// [`Repo::new`] whose `.goreleaser.yml` also makes Linux packages ([`NFPMS_YML`]): a config
    /// file, a Debian copyright file, a directory, a symlink and an install script beside both commands.
    pub fn with_packages() -> Repo {
        let repo = Repo::new();
        repo.write(".goreleaser.yml", &GORELEASER_YML.replace("checksum:\n", &format!("{NFPMS_YML}checksum:\n")));
        repo.write("LICENSE", MIT_LICENSE);
        repo.write("packaging/config.toml", "# tool's settings\nlevel = 1\n");
        repo.write("packaging/postinstall.sh", "#!/bin/sh\nset -e\necho installed tool\n");
        let script = repo.path().join("packaging/postinstall.sh");
        fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        repo.commit_all("linux packages");
        repo
    }

    /// A module in `svc/` whose go.mod replaces `example.com/lib` with `../lib`,
    /// the xtask adopted to build it for linux/amd64.
    pub fn with_sibling_replace() -> Repo {
        let repo = Repo::new();
        repo.write("lib/go.mod", "module example.com/lib\n\ngo 1.22\n");
        repo.write("lib/lib.go", "package lib\n\nfunc Name() string { return \"from lib\" }\n");
        repo.write(
        "svc/go.mod",
        "module example.com/svc\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
    );
        repo.write(
            "svc/main.go",
            "package main\n\nimport \"example.com/lib\"\n\nfunc main() { println(lib.Name()) }\n",
        );
        repo.adopt("[app]\ndir = \"svc\"\n[targets]\nlist = [\"linux/amd64\"]\n");
        repo
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "."]);
        self.git(&["commit", "-qm", message]);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    pub fn git(&self, args: &[&str]) -> Output {
        git_at(self.path(), args)
    }

    /// `cargo xtask adopt <this> ARGS`, run from the template.
    pub fn adopt_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = xtask();
        cmd.arg("adopt").arg(self.path()).args(args);
        cmd
    }

    /// README "Use it for your app": `settings` written as dist.toml (so `init` is not run), then
    /// `cargo xtask adopt` from the template, and the xtask binary put where `cargo xtask` would build it.
    pub fn adopt(&self, settings: &str) {
        self.write("dist.toml", settings);
        run_ok(&mut self.adopt_cmd(&[]));
        self.link_xtask();
    }

    /// This test's xtask binary in `target/debug/`, where `cargo run` would build it in the repository.
    pub fn link_xtask(&self) {
        let debug = self.path().join("target/debug");
        fs::create_dir_all(&debug).unwrap();
        fs::write(self.path().join("target/CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n").unwrap();
        let exe = debug.join("xtask");
        if fs::hard_link(env!("CARGO_BIN_EXE_xtask"), &exe).is_err() {
            fs::copy(env!("CARGO_BIN_EXE_xtask"), &exe).unwrap();
        }
    }

    /// `cargo xtask ARGS` in the repository, as `cargo run` would start it.
    pub fn xtask(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.path().join("target/debug/xtask"));
        cmd.args(args).current_dir(self.path()).env("CARGO_MANIFEST_DIR", self.path().join("xtask"));
        without_caller_settings(&mut cmd);
        cmd
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("dist")
    }
}

/// The fixture's dist.toml: what its `.goreleaser.yml` says, by hand.
pub const REPO_SETTINGS: &str = r#"[app]
dir = "."
name = "tool"

[[binaries]]
main = "./cmd/tool"

[[binaries]]
main = "./cmd/toolctl"

[targets]
os = ["linux", "darwin", "windows"]
arch = ["amd64", "arm64", "arm", "386"]
arm = ["6"]

[archive]
name = """{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}"""
replacements = { darwin = "Darwin", linux = "Linux", windows = "Windows", amd64 = "x86_64", "386" = "i386" }

[checksum]
name = "checksums.txt"
"#;

/// The Go the host engine builds with (`cargo xtask toolchain`: the host's if it
/// is the pinned version, else the one the xtask fetched), so the tests need no Go of their own.
pub fn pinned_go() -> PathBuf {
    let out = run_ok(xtask().arg("toolchain"));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim_end())
}

/// PATH with the pinned go's directory first: the host engine then reports
/// "the host's go…" wherever this machine keeps its Go (on PATH, or fetched).
pub fn path_with_pinned_go() -> String {
    let bin = pinned_go().parent().unwrap().to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let all = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).unwrap();
    all.into_string().unwrap()
}

/// GOROOT of [`pinned_go`].
pub fn pinned_goroot() -> String {
    let out = run_ok(Command::new(pinned_go()).args(["env", "GOROOT"]).env("GOTOOLCHAIN", "local"));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A `go` wrapper in `<dir>/<name>/go` that runs the shell lines `before`, then
/// the pinned go; returns a PATH with it first (to inject faults into builds).
pub fn go_wrapper(dir: &Path, name: &str, before: &str) -> String {
    let bin = dir.join(name);
    fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("go");
    fs::write(&wrapper, format!("#!/bin/sh\n{before}\nexec '{}/bin/go' \"$@\"\n", pinned_goroot())).unwrap();
    run_ok(Command::new("chmod").arg("755").arg(&wrapper));
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// Where the heavy tests let cargo build a repository's own xtask: `adopted/` in this test's target
/// directory (CARGO_TARGET_DIR honoured), shared so the xtask compiles once, and apart from the main
/// one, whose lock the outer `cargo test` holds.
pub fn heavy_target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let target = exe.ancestors().skip(1).find(|a| a.join("CACHEDIR.TAG").is_file());
    // Without the tag cargo writes at the top, the folder above the profile's (`<target>/debug/xtask`).
    let target = target.unwrap_or_else(|| exe.parent().unwrap().parent().unwrap());
    target.join("adopted")
}

/// `cargo ARGS` in `dir` as a user runs it: the caller's cargo, the shared [`heavy_target_dir`],
/// nothing pointing at a Dagger engine or changing the stamp, and no CARGO_MANIFEST_DIR of ours.
pub fn user_cargo(dir: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", heavy_target_dir()).env_remove("CARGO_MANIFEST_DIR");
    without_caller_settings(&mut cmd);
    cmd
}

/// Removes what would point a command at a Dagger engine or change its stamp.
pub fn without_caller_settings(cmd: &mut Command) -> &mut Command {
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

/// `git ARGS` in `dir` with a fixed author and date (2023-11-14T22:13:20Z), so stamps are known.
pub fn git_at(dir: &Path, args: &[&str]) -> Output {
    run_ok(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
            .env("GIT_COMMITTER_DATE", "@1700000000 +0000"),
    )
}

/// A registry of Debian's docker-registry (the OCI distribution reference server) on a free
/// local port, with htpasswd (basic) authentication; stopped when dropped.
pub struct LocalRegistry {
    child: std::process::Child,
    pub addr: String,
    creds: String,
    _dir: tempfile::TempDir,
}

impl LocalRegistry {
    pub fn start(user: &str, password: &str) -> LocalRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let htpasswd = run_ok(Command::new("htpasswd").args(["-Bbn", user, password])).stdout;
        fs::write(dir.path().join("htpasswd"), htpasswd).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\nhttp:\n  addr: {addr}\n\
             auth:\n  htpasswd:\n    realm: test\n    path: {d}/htpasswd\n",
            d = dir.path().display()
        );
        fs::write(dir.path().join("config.yml"), config).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(fs::File::create(dir.path().join("access.log")).unwrap())
            .stderr(fs::File::create(dir.path().join("registry.log")).unwrap())
            .spawn()
            .expect("docker-registry (Debian's package; .ci/run installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return LocalRegistry { child, addr, creds: format!("{user}:{password}"), _dir: dir };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("docker-registry did not listen on {addr}");
    }

    /// `skopeo inspect ARGS docker://<this registry>/REFERENCE`, logged in.
    pub fn inspect(&self, reference: &str, args: &[&str]) -> Vec<u8> {
        let mut cmd = Command::new("skopeo");
        cmd.args(["inspect", "--tls-verify=false", "--creds", &self.creds]).args(args);
        run_ok(cmd.arg(format!("docker://{}/{reference}", self.addr))).stdout
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
