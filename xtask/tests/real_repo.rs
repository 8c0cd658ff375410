//! The template copied into a Go repository shaped like a real project, as
//! the README says, built with the host engine.

mod common;

use std::fs;
use std::io::Read;
use std::process::Command;

use common::*;

/// Variables a developer's shell may export; none may change a byte.
const HOSTILE_ENV: [(&str, &str); 7] = [
    ("GOFLAGS", "-mod=mod -ldflags=-X=main.version=hijacked"),
    ("GOPROXY", "off"),
    ("GOWORK", "/nonexistent/go.work"),
    ("GOAMD64", "v3"),
    ("GOTOOLCHAIN", "go1.99.0"),
    ("CGO_ENABLED", "1"),
    ("GOEXPERIMENT", "nosuchexperiment"),
];

#[test]
fn a_root_module_with_vendored_modules_and_two_commands() {
    let repo = Repo::new();
    repo.adopt(REPO_SETTINGS);
    repo.commit_all("add the cargo xtask template");
    repo.git(&["tag", "v1.4.2"]);
    let commit = String::from_utf8(repo.git(&["rev-parse", "HEAD"]).stdout).unwrap().trim().to_owned();

    // A GOENV file with GOFLAGS too: Go would read it unless told not to.
    let goenv = repo.path().join("junk/goenv");
    fs::write(&goenv, "GOFLAGS=-mod=mod\n").unwrap();
    let mut cmd = repo.xtask(&["dist", "--engine", "host"]);
    cmd.envs(HOSTILE_ENV).env("GOENV", &goenv).env("PATH", path_with_pinned_go());
    let out = run_ok(&mut cmd);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("skipping 3 target(s) the host's go1.26.8 lacks: darwin/386 darwin/arm/v6 windows/arm/v6"),
        "{stderr}"
    );
    assert!(stderr.contains("(vendored modules: no download)"), "{stderr}");
    assert!(!stderr.contains("downloading modules"), "{stderr}");

    let files = snapshot(&repo.out());
    let mut expected = vec!["checksums.txt".to_owned(), "manifest.json".to_owned()];
    for t in FIXTURE_TARGETS {
        let (os, rest) = t.split_once('/').unwrap();
        let exe = if os == "windows" { ".exe" } else { "" };
        expected.push(format!("{t}/tool{exe}"));
        expected.push(format!("{t}/toolctl{exe}"));
        let os_name = match os {
            "darwin" => "Darwin",
            "linux" => "Linux",
            _ => "Windows",
        };
        let arch = match rest {
            "amd64" => "x86_64",
            "386" => "i386",
            "arm/v6" => "armv6",
            other => other,
        };
        let ext = if os == "windows" { "zip" } else { "tar.gz" };
        expected.push(format!("tool_1.4.2_{os_name}_{arch}.{ext}"));
    }
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);

    // The vendored dependency is in the binary, and the stamp is the tag's.
    let tool = repo.out().join("linux/amd64/tool");
    assert_eq!(String::from_utf8(run_ok(&mut Command::new(&tool)).stdout).unwrap(), "hello\n");
    let version = String::from_utf8(run_ok(Command::new(&tool).arg("version")).stdout).unwrap();
    assert_eq!(version, format!("tool 1.4.2 (commit {commit}, built 2023-11-14T22:13:20Z, go1.26.8, linux/amd64)\n"));
    let ctl =
        String::from_utf8(run_ok(Command::new(repo.out().join("linux/amd64/toolctl")).arg("version")).stdout).unwrap();
    assert!(ctl.starts_with("toolctl 1.4.2 (commit "), "{ctl}");

    // One archive per target holds both commands and the docs, in one folder.
    let tgz = fs::read(repo.out().join("tool_1.4.2_Linux_x86_64.tar.gz")).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(tgz.as_slice()));
    let mut names = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name.ends_with("/tool") {
            assert!(bytes == fs::read(&tool).unwrap(), "the archived tool is the built one");
        }
        names.push(name);
    }
    assert_eq!(
        names,
        [
            "tool_1.4.2_Linux_x86_64/",
            "tool_1.4.2_Linux_x86_64/LICENSE",
            "tool_1.4.2_Linux_x86_64/README.md",
            "tool_1.4.2_Linux_x86_64/tool",
            "tool_1.4.2_Linux_x86_64/toolctl"
        ]
    );
    let check = run_ok(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(repo.out()));
    assert_eq!(String::from_utf8(check.stdout).unwrap().matches(": OK").count(), 9 + 1, "archives and manifest");
    assert_eq!(assert_published_release_verifies(&repo.out()).len(), 9 + 2);
    let m = manifest(&repo.out());
    assert_eq!(
        (m["name"].as_str(), m["checksums"].as_str(), m["schema"].as_u64()),
        (Some("tool"), Some("checksums.txt"), Some(3))
    );

    // The same build from a clean environment gives the same bytes.
    let clean = repo.path().join("clean");
    run_ok(&mut repo.xtask(&["dist", "--engine", "host", "--out", clean.to_str().unwrap()]));
    let again = snapshot(&clean);
    for (name, bytes) in &files {
        if name != "manifest.json" {
            assert!(again[name] == *bytes, "{name} differs when the caller's shell exports GO* variables");
        }
    }
}

#[test]
fn named_targets_the_toolchain_lacks_are_errors_and_an_empty_matrix_too() {
    let repo = Repo::new();
    repo.adopt(REPO_SETTINGS);
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host", "--target", "darwin/386,linux/amd64"]));
    assert!(err.contains("target darwin/386 is not supported by the host's go1.26.8"), "{err}");

    repo.write(
        "dist.toml",
        &REPO_SETTINGS.replace("arch = [\"amd64\", \"arm64\", \"arm\", \"386\"]", "arch = [\"sparc\"]"),
    );
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host"]));
    assert!(err.contains("none of the targets (darwin/sparc, linux/sparc, windows/sparc) is supported"), "{err}");

    repo.write("dist.toml", &REPO_SETTINGS.replace("[targets]", "[targets]\nlist = [\"windows/arm/v6\"]"));
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host"]));
    assert!(err.contains("target windows/arm/v6 is not supported"), "{err}");
    assert!(!repo.out().exists());
}

#[test]
fn an_unvendored_module_downloads_once_and_bare_binaries_need_no_archive() {
    let repo = Repo::new();
    fs::remove_dir_all(repo.path().join("vendor")).unwrap();
    repo.write("go.mod", "module example.com/tool\n\ngo 1.22\n");
    for name in ["tool", "toolctl"] {
        repo.write(
            &format!("cmd/{name}/main.go"),
            &format!("package main\n\nvar version = \"dev\"\n\nfunc main() {{ println(\"{name}\", version) }}\n"),
        );
    }
    let settings = REPO_SETTINGS.replace("arm = [\"6\"]", "list = [\"linux/amd64\", \"windows/arm64\"]")
        + "\n[archive.formats]\nlinux = \"binary\"\nwindows = \"binary\"\n";
    let settings = settings.replace(
        "name = \"\"\"{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}\"\"\"",
        "name = \"{{ .Binary }}-{{ .Os }}-{{ .Arch }}\"",
    );
    repo.adopt(&settings);
    let out = run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("downloading modules (go mod download)"), "{stderr}");
    let files: Vec<String> = snapshot(&repo.out()).keys().cloned().collect();
    assert_eq!(
        files,
        [
            "checksums.txt",
            "linux/amd64/tool",
            "linux/amd64/toolctl",
            "manifest.json",
            "tool-Linux-x86_64",
            "tool-Windows-arm64.exe",
            "toolctl-Linux-x86_64",
            "toolctl-Windows-arm64.exe",
            "windows/arm64/tool.exe",
            "windows/arm64/toolctl.exe"
        ]
    );
    assert_eq!(
        fs::read(repo.out().join("tool-Linux-x86_64")).unwrap(),
        fs::read(repo.out().join("linux/amd64/tool")).unwrap()
    );
    // Downloaded, the bare binaries verify on their own: the folders are not published.
    let published = assert_published_release_verifies(&repo.out());
    assert_eq!(
        published,
        [
            "checksums.txt",
            "manifest.json",
            "tool-Linux-x86_64",
            "tool-Windows-arm64.exe",
            "toolctl-Linux-x86_64",
            "toolctl-Windows-arm64.exe"
        ]
    );
}

#[test]
fn a_module_that_replaces_a_sibling_directory_builds() {
    let repo = Repo::with_sibling_replace();
    run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
    let out = run_ok(&mut Command::new(repo.out().join("linux/amd64/svc")));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "from lib\n");
}

/// What the build reads but git does not list — an ignored file pulled in with
/// `//go:embed`, a nested repository replaced into go.mod — still decides
/// whether a target is carried over: changing either rebuilds.
#[test]
fn ignored_embedded_files_and_nested_repositories_are_inputs() {
    let repo = Repo::new();
    repo.write(".gitignore", "/junk/\n*.log\n/bin/\ncmd/tool/banner.txt\n");
    repo.write("cmd/tool/banner.txt", "one\n");
    repo.write("cmd/tool/banner.go", "package main\n\nimport _ \"embed\"\n\n//go:embed banner.txt\nvar banner string\n\nfunc init() { println(banner) }\n");
    repo.write("lib/go.mod", "module example.com/lib\n\ngo 1.22\n");
    repo.write("lib/lib.go", "package lib\n\nconst Name = \"v1\"\n");
    run_ok(Command::new("git").args(["init", "-q"]).current_dir(repo.path().join("lib")));
    repo.write("cmd/tool/lib.go", "package main\n\nimport \"example.com/lib\"\n\nfunc init() { println(lib.Name) }\n");
    // Not vendored: with vendor/, Go would read the vendored copy, not lib/.
    fs::remove_dir_all(repo.path().join("vendor")).unwrap();
    for name in ["tool", "toolctl"] {
        repo.write(&format!("cmd/{name}/main.go"), "package main\n\nfunc main() {}\n");
    }
    repo.write(
        "go.mod",
        "module example.com/tool\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
    );
    repo.adopt(&REPO_SETTINGS.replace("arm = [\"6\"]", "list = [\"linux/amd64\"]"));
    let run = || {
        let out = run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
        let stderr = String::from_utf8(out.stderr).unwrap();
        let tool = run_ok(&mut Command::new(repo.out().join("linux/amd64/tool")));
        (stderr, String::from_utf8(tool.stderr).unwrap())
    };
    let (_, said) = run();
    assert_eq!(said, "one\n\nv1\n");
    let (stderr, _) = run();
    assert!(stderr.contains("up to date, reused from"), "nothing changed: {stderr}");

    repo.write("cmd/tool/banner.txt", "two\n");
    let (stderr, said) = run();
    assert!(!stderr.contains("up to date"), "an ignored embedded file changed: {stderr}");
    assert_eq!(said, "two\n\nv1\n");

    repo.write("lib/lib.go", "package lib\n\nconst Name = \"v2\"\n");
    let (stderr, said) = run();
    assert!(!stderr.contains("up to date"), "a file of the nested repository changed: {stderr}");
    assert_eq!(said, "two\n\nv2\n");
}

/// A dirty tree is said loudly (its archive names use `.Tag` as a release
/// would); `--release` refuses it, and a commit that is not exactly a tag; the
/// manifest records which it was, for the publishing workflow to check.
#[test]
fn a_dirty_or_untagged_build_is_never_a_release() {
    let repo = Repo::new();
    let settings = REPO_SETTINGS.replace("arm = [\"6\"]", "list = [\"linux/amd64\"]").replace(
        "name = \"\"\"{{ .ProjectName }}_{{ .Version }}_{{ .Os }}",
        "name = \"\"\"{{ .ProjectName }}_{{ .Tag }}_{{ .Os }}",
    );
    repo.adopt(&settings);
    repo.commit_all("template");
    repo.git(&["tag", "v1.4.2"]);

    let out = run_ok(&mut repo.xtask(&["dist", "--engine", "host", "--release"]));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{}", String::from_utf8_lossy(&out.stderr));
    let m = manifest(&repo.out());
    assert_eq!(
        (m["tag"].as_str(), m["dirty"].as_bool(), m["tagged"].as_bool()),
        (Some("v1.4.2"), Some(false), Some(true))
    );
    assert!(repo.out().join("tool_v1.4.2_Linux_x86_64.tar.gz").is_file());
    let release = snapshot(&repo.out());

    // An untracked file a build may read: not in the tag, so not a release.
    repo.write("cmd/tool/debug.go", "package main\n");
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host", "--release"]));
    assert!(
        err.contains("--release: files git neither tracks nor ignores are in the tree (cmd/tool/debug.go)"),
        "{err}"
    );
    assert!(snapshot(&repo.out()) == release, "a refused run changes nothing");
    fs::remove_file(repo.path().join("cmd/tool/debug.go")).unwrap();

    repo.write("README.md", "# tool, edited\n");
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host", "--release"]));
    assert!(
        err.contains("--release: the working tree has uncommitted changes (version 1.4.2-dirty): commit or stash them"),
        "{err}"
    );
    assert!(snapshot(&repo.out()) == release, "a refused run changes nothing");
    let out = run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: the working tree has uncommitted changes: this build is 1.4.2-dirty, not a release; its file \
             names use .Tag (v1.4.2) as a release of v1.4.2 would; do not publish it"
        ),
        "{stderr}"
    );
    let m = manifest(&repo.out());
    assert_eq!(
        (m["version"].as_str(), m["dirty"].as_bool(), m["tagged"].as_bool()),
        (Some("1.4.2-dirty"), Some(true), Some(false))
    );

    repo.commit_all("after the tag");
    let err = run_err(&mut repo.xtask(&["dist", "--engine", "host", "--release"]));
    assert!(err.contains("is not exactly a tag (version 1.4.2-1-g"), "{err}");
    let refused = run(&mut repo.xtask(&["dist", "--engine", "host", "--release", "--host"]));
    assert_eq!(refused.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("'--release' cannot be used with '--host'"));
}
