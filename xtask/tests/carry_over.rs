//! Carry-over never ships a stale binary: on a fixture repository shaped like
//! a real project, every class of input the build reads — source, an embedded
//! file, a linked file, a `replace` target, go.mod and go.sum, settings, flags
//! and the files they name, the environment from dist.toml, the Go
//! installation, the stamp (dirty, commit, tag) — sends the target back to
//! `go build` when it changes, and everything else (mtimes, new untracked
//! files, ignored output, CI scripts and Cargo files on an already dirty tree,
//! source files another system's build reads by their name (`x_windows.go`),
//! package names, the files and fields of Linux packages, which are made again;
//! SBOMs are carried over with their files)
//! carries it over; a template in the flags counts by what it gives. After every step the release equals a
//! fresh build from scratch, byte for byte: a reuse that would differ fails.
//! (Engine and image are covered by `plan::tests` and `tests/dagger_engine.rs`.)

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SETTINGS: &str = r#"[app]
dir = "."
name = "tool"

[[binaries]]
main = "./cmd/tool"

[[binaries]]
main = "./cmd/toolctl"

[targets]
list = ["linux/amd64"]

[checksum]
name = "checksums.txt"

[sbom]
formats = ["spdx", "cyclonedx"]

[[packages]]
formats = ["deb", "apk"]
maintainer = "Jane Doe <jane@example.com>"
description = "The tool"

[[packages.contents]]
src = "packaging/config.toml"
dst = "/etc/tool/config.toml"
type = "config"
"#;

const TOOL_MAIN: &str = r#"package main

import (
	_ "embed"
	"fmt"
	"os"

	"example.com/lib"
)

//go:embed banner.txt
var banner string

var version = "dev"

var channel = "none"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "channel" {
		fmt.Println(channel)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println("tool", version)
		return
	}
	fmt.Print(banner, lib.Name, " ", linked, "\n")
}
"#;

/// The fixture: a module at the root with two commands, a `replace ./lib`
/// module, an embedded file, a `.go` file that is a link to a file Go would
/// not read by its name, CI files, ignored junk; tagged v1.0.0.
fn fixture() -> Repo {
    let repo = Repo::new();
    fs::remove_dir_all(repo.path().join("vendor")).unwrap();
    repo.write(
        "go.mod",
        "module example.com/tool\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
    );
    repo.write("go.sum", "");
    repo.write("lib/go.mod", "module example.com/lib\n\ngo 1.22\n");
    repo.write("lib/lib.go", "package lib\n\nconst Name = \"lib-one\"\n");
    repo.write("cmd/tool/main.go", TOOL_MAIN);
    repo.write("cmd/tool/banner.txt", "banner-one\n");
    repo.write("shared/linked.go.txt", "package main\n\nconst linked = \"linked-one\"\n");
    std::os::unix::fs::symlink("../../shared/linked.go.txt", repo.path().join("cmd/tool/linked.go")).unwrap();
    repo.write(
        "cmd/toolctl/main.go",
        "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"toolctl\", version) }\n",
    );
    repo.write(".ci/run", "#!/bin/sh\necho ci\n");
    repo.write(".github/workflows/ci.yml", "name: ci\n");
    repo.write("packaging/config.toml", "level = 1\n");
    repo.adopt(SETTINGS);
    repo.commit_all("the fixture");
    repo.git(&["tag", "v1.0.0"]);
    repo
}

struct Steps<'a> {
    repo: &'a Repo,
    scratch: tempfile::TempDir,
    /// PATH for the xtask: the pinned go first, or another installation.
    path: String,
    /// More of the caller's environment (what `.Env` templates read).
    env: Vec<(&'static str, &'static str)>,
    runs: usize,
}

impl Steps<'_> {
    /// Runs `dist`, checks whether the target was carried over, and that the
    /// release equals a fresh build into an empty directory.
    fn expect(&mut self, what: &str, reused: bool) {
        let mut cmd = self.repo.xtask(&["dist", "--engine", "host"]);
        let out = run_ok(cmd.env("PATH", &self.path).envs(self.env.iter().copied()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = stderr.contains("up to date, reused from");
        assert_eq!(
            said,
            reused,
            "{what}: expected the target to be {}:\n{stderr}",
            if reused { "reused" } else { "built" }
        );
        self.runs += 1;
        let fresh = self.scratch.path().join(format!("fresh-{}", self.runs));
        let mut cmd = self.repo.xtask(&["dist", "--engine", "host", "--out", fresh.to_str().unwrap()]);
        run_ok(cmd.env("PATH", &self.path).envs(self.env.iter().copied()));
        let (release, fresh) = (snapshot(&self.repo.out()), snapshot(&fresh));
        assert_eq!(release.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>(), "{what}");
        for (name, bytes) in &release {
            assert!(fresh[name] == *bytes, "{what}: {name} differs from a fresh build");
        }
    }

    fn says(&self, args: &[&str]) -> String {
        let out = run_ok(Command::new(self.repo.out().join("linux/amd64/tool")).args(args));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A copy of the pinned Go installation (hard links where possible), whose
/// files can then be changed without touching the original.
fn copy_goroot(to: &Path) -> PathBuf {
    let goroot = pinned_goroot();
    let linked = Command::new("cp").arg("-al").arg(&goroot).arg(to).status().unwrap().success();
    if !linked {
        run_ok(Command::new("cp").arg("-a").arg(&goroot).arg(to));
    }
    to.to_path_buf()
}

/// Replaces a file of a hard-linked copy by a new one (never writing through the link).
fn rewrite(path: &Path, text: &str) {
    fs::remove_file(path).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
#[ignore = "heavy: about 50 builds; run by .ci/run (cargo test --workspace -- --ignored)"]
fn every_input_class_rebuilds_and_nothing_else_does() {
    let repo = fixture();
    let mut s =
        Steps { repo: &repo, scratch: tempfile::tempdir().unwrap(), path: path_with_pinned_go(), env: vec![], runs: 0 };
    let dist_toml = |edit: &dyn Fn(String) -> String| {
        let text = fs::read_to_string(repo.path().join("dist.toml")).unwrap();
        repo.write("dist.toml", &edit(text));
    };

    s.expect("the first build", false);
    assert_eq!(s.says(&[]), "banner-one\nlib-one linked-one\n");
    assert_eq!(s.says(&["version"]), "tool 1.0.0\n");
    s.expect("no change", true);

    // Nothing Go reads, on a clean tree.
    let now = std::time::SystemTime::now();
    fs::File::options().write(true).open(repo.path().join("cmd/tool/main.go")).unwrap().set_modified(now).unwrap();
    s.expect("a newer mtime on a Go file", true);
    repo.write("notes.md", "untracked\n");
    repo.write("docs/testdata/sample.json", "{}");
    s.expect("new untracked files Go does not read", true);
    repo.write("junk/cache.bin", "another tool's output");
    repo.write("debug.log", "more noise\n");
    repo.write("junk/report/index.html", "<html>");
    s.expect("ignored output of other tools", true);

    // The stamp: a dirty tree is another version.
    repo.write("README.md", "# tool, edited\n");
    s.expect("a dirty tree (version -dirty)", false);
    assert_eq!(s.says(&["version"]), "tool 1.0.0-dirty\n");

    // On a tree that is dirty already, what Go cannot read changes nothing.
    repo.write(".ci/run", "#!/bin/sh\necho ci, edited\n");
    repo.write(".github/workflows/ci.yml", "name: ci edited\n");
    repo.write("Cargo.toml", &(fs::read_to_string(repo.path().join("Cargo.toml")).unwrap() + "\n# edited\n"));
    s.expect("CI scripts, workflows and Cargo files", true);
    // A file a Linux package holds: the packages are made again, the binaries carried over.
    repo.write("packaging/config.toml", "level = 2\n");
    s.expect("a file a package holds", true);
    dist_toml(&|t| t.replace("description = \"The tool\"", "description = \"The tool, described\""));
    s.expect("a package's description", true);
    dist_toml(&|t| {
        t.replace("name = \"checksums.txt\"", "name = \"SUMS.txt\"")
            + "\n[archive]\nname = \"{{ .ProjectName }}-{{ .Os }}-{{ .Arch }}\"\n"
    });
    s.expect("package and checksum names (the binaries are carried over)", true);
    assert!(repo.out().join("tool-linux-amd64.tar.gz").is_file() && repo.out().join("SUMS.txt").is_file());

    // A binary renamed: new bytes or not, its archive holds it under its new name.
    dist_toml(&|t| t.replace("main = \"./cmd/toolctl\"", "main = \"./cmd/toolctl\"\nname = \"ctl\""));
    s.expect("a binary's name", false);
    assert!(repo.out().join("linux/amd64/ctl").is_file());
    // Go reads a package in a directory that starts with a dot when an import names it.
    repo.write(".gen/api/api.go", "package api\n");
    s.expect("a Go file below a dot-directory", false);

    // Every input class.
    repo.write(
        "cmd/toolctl/main.go",
        "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"toolctl 2\", version) }\n",
    );
    s.expect("source", false);
    // A Go file Go's file-name rule keeps out of this target's build (linux/amd64): its header (package
    // clause, imports) counts for every target, since some go commands parse it whatever the name; an
    // edit below it is carried over.
    repo.write("cmd/tool/console_windows.go", "package main\n\nconst console = \"windows\"\n");
    s.expect("a new Go file only windows builds read (a new header)", false);
    repo.write("cmd/tool/console_windows.go", "package main\n\nconst console = \"windows, edited\"\n");
    s.expect("an edit of a file only windows builds read", true);
    repo.write(
        "cmd/tool/console_windows.go",
        "package main\n\nimport _ \"os\"\n\nconst console = \"windows, edited\"\n",
    );
    s.expect("the imports of a file only windows builds read", false);
    repo.write("cmd/tool/zz_arm64.syso", "\x00only arm64 links this");
    s.expect("an object only arm64 builds link", true);
    repo.write("cmd/tool/console_linux_amd64.go", "package main\n\nconst console = \"linux\"\n");
    s.expect("a file this target reads by its name", false);
    repo.write("cmd/tool/banner.txt", "banner-two\n");
    s.expect("an embedded file", false);
    assert_eq!(s.says(&[]), "banner-two\nlib-one linked-one\n");
    repo.write("shared/linked.go.txt", "package main\n\nconst linked = \"linked-two\"\n");
    s.expect("the file a linked .go file points to", false);
    assert_eq!(s.says(&[]), "banner-two\nlib-one linked-two\n");
    repo.write("lib/lib.go", "package lib\n\nconst Name = \"lib-two\"\n");
    s.expect("a replace target", false);
    assert_eq!(s.says(&[]), "banner-two\nlib-two linked-two\n");
    repo.write("go.mod", &(fs::read_to_string(repo.path().join("go.mod")).unwrap() + "\n// a comment\n"));
    s.expect("go.mod", false);
    repo.write("go.sum", "example.com/other v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    s.expect("go.sum", false);
    dist_toml(&|t| t.replace("[targets]", "[build]\nldflags = [\"-s\"]\n\n[targets]"));
    s.expect("settings: build.ldflags", false);
    let overlay = repo.path().join("junk/overlay.json");
    repo.write("junk/overlay.json", "{\"Replace\": {}}\n");
    dist_toml(&|t| {
        t.replace("ldflags = [\"-s\"]", &format!("ldflags = [\"-s\"]\nflags = [\"-overlay={}\"]", overlay.display()))
    });
    s.expect("flags: -overlay", false);
    repo.write("junk/overlay.json", "{\"Replace\": {}, \"Comment\": \"changed\"}\n");
    s.expect("the content of a file a flag names", false);
    dist_toml(&|t| t.replace("\nflags = [", "\nenv = { GOAMD64 = \"v2\" }\nflags = ["));
    s.expect("build.env", false);
    dist_toml(&|t| t.replace("env = { GOAMD64 = \"v2\" }\n", ""));
    s.expect("build.env removed", false);
    // Templates in flags: what they read is part of the build.
    s.env = vec![("TOOL_CHANNEL", "beta")];
    dist_toml(&|t| {
        t.replace("ldflags = [\"-s\"]", "ldflags = [\"-s\", \"-X\", \"main.channel={{ .Env.TOOL_CHANNEL }}\"]")
    });
    s.expect("a template in build.ldflags", false);
    assert_eq!(s.says(&["channel"]), "beta\n");
    s.env = vec![("TOOL_CHANNEL", "stable")];
    s.expect("the environment variable a template reads", false);
    assert_eq!(s.says(&["channel"]), "stable\n");
    s.expect("no change after the template", true);

    // Another installation of the same Go version: its go.env sets GOAMD64=v3, then a patched std.
    let goroot = copy_goroot(&s.scratch.path().join("go"));
    let go_env = fs::read_to_string(goroot.join("go.env")).unwrap();
    rewrite(&goroot.join("go.env"), &format!("{go_env}\nGOAMD64=v3\n"));
    s.path = format!("{}:{}", goroot.join("bin").display(), path_with_pinned_go());
    s.expect("a Go installation whose go.env differs", false);
    let print = goroot.join("src/fmt/print.go");
    let text = fs::read_to_string(&print).unwrap();
    rewrite(&print, &format!("{text}\n// patched\n"));
    s.expect("a patched GOROOT", false);
    s.expect("no change with the other Go", true);
    s.path = path_with_pinned_go();
    s.expect("back to the pinned Go", false);

    // The stamp: a commit, then a tag.
    repo.commit_all("changes");
    s.expect("a commit", false);
    assert!(s.says(&["version"]).starts_with("tool 1.0.0-1-g"), "{}", s.says(&["version"]));
    repo.git(&["tag", "v1.0.1"]);
    s.expect("a tag", false);
    assert_eq!(s.says(&["version"]), "tool 1.0.1\n");
    s.expect("no change at the end", true);
}
