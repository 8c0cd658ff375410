//! Templates in a `.goreleaser.yml`'s ldflags and env (issue 16): adopted as the README says, then
//! filled by `cargo xtask dist` per target, as GoReleaser fills them; the binary prints what it got.

mod common;

use std::process::Command;

use common::*;

const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"
)

var (
	version  = "dev"
	commit   = "none"
	date     = "unknown"
	revision = "(devel)"
	channel  = ""
	platform = ""
	builtBy  = ""
	region   = ""
)

func main() {
	fmt.Printf("version=%s revision=%s channel=%s platform=%s builtBy=%s region=%s cgo=%s\n",
		version, revision, channel, platform, builtBy, region, os.Getenv("NEVER_SET"))
	_, _ = commit, date
}
"#;

const BUILD: &str = r#"builds:
  - id: tool
    main: ./cmd/tool
    binary: tool
    env:
      - CGO_ENABLED=0
    goos: [linux, windows]
    goarch: [amd64]
    ldflags:
      - -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -X main.builtBy=goreleaser
      - -X main.revision={{ .ShortCommit }} -X main.platform={{ .Os }}/{{ .Arch }}
      - '{{ if .IsSnapshot }}-X main.channel=snapshot{{ end }}'
      - -X main.region={{ .Env.TOOL_REGION }}
"#;

fn info(repo: &Repo) -> String {
    let out = run_ok(&mut Command::new(repo.out().join("linux/amd64/tool")));
    String::from_utf8(out.stdout).unwrap()
}

fn short_head(repo: &Repo) -> String {
    String::from_utf8(repo.git(&["rev-parse", "--short=7", "HEAD"]).stdout).unwrap().trim().to_owned()
}

#[test]
fn goreleaser_templates_in_ldflags_are_filled_for_each_target() {
    let repo = Repo::new();
    repo.write("cmd/tool/main.go", MAIN_GO);
    let yml = std::fs::read_to_string(repo.path().join(".goreleaser.yml")).unwrap();
    let start = yml.find("builds:").unwrap();
    let end = yml.find("archives:").unwrap();
    repo.write(".goreleaser.yml", &format!("{}{BUILD}{}", &yml[..start], &yml[end..]));
    let said = String::from_utf8(run_ok(&mut repo.adopt_cmd(&[])).stderr).unwrap();
    assert!(!said.contains("ldflags"), "every ldflag is imported:\n{said}");
    let settings = std::fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert!(settings.contains("\"main.revision={{ .ShortCommit }}\""), "{settings}");
    repo.link_xtask();
    repo.commit_all("cargo xtask adopt");
    repo.git(&["tag", "v1.4.2"]);

    let dist = |region: &str| {
        let mut cmd = repo.xtask(&["dist", "--engine", "host"]);
        cmd.env("PATH", path_with_pinned_go()).env("TOOL_REGION", region);
        String::from_utf8(run_ok(&mut cmd).stderr).unwrap()
    };
    dist("eu");
    let tag_commit = short_head(&repo);
    assert_eq!(
        info(&repo),
        format!(
            "version=1.4.2 revision={tag_commit} channel= platform=linux/amd64 builtBy=cargo-xtask region=eu cgo=\n"
        )
    );
    // Each target gets its own: the windows binary holds "windows/amd64", not linux's.
    let exe = std::fs::read(repo.out().join("windows/amd64/tool.exe")).unwrap();
    assert!(exe.windows(13).any(|w| w == b"windows/amd64"), "windows' platform is not in its binary");
    assert!(!exe.windows(11).any(|w| w == b"linux/amd64"), "linux's platform is in the windows binary");

    // Another value of a variable the templates read is another build, not a carried-over one.
    let said = dist("us");
    assert!(info(&repo).contains(" region=us "), "{said}");

    // A commit after the tag: a snapshot, with its own revision.
    repo.write("internal/util/more.go", "package util\n");
    repo.commit_all("more");
    let said = dist("us");
    let head = short_head(&repo);
    assert_ne!(head, tag_commit);
    let got = info(&repo);
    assert!(got.contains(&format!(" revision={head} channel=snapshot ")), "{got}\n{said}");

    // A variable the template needs and the environment lacks stops the build, naming both.
    let mut cmd = repo.xtask(&["dist", "--engine", "host"]);
    cmd.env("PATH", path_with_pinned_go()).env_remove("TOOL_REGION");
    let err = run_err(&mut cmd);
    assert!(err.contains("cannot fill the template in `build.ldflags` for"), "{err}");
    assert!(err.contains("TOOL_REGION is not in the environment"), "{err}");
}

/// A Terraform provider's `binary: '{{ .ProjectName }}_v{{ .Version }}'`, and a name with the
/// target's fields: filled for each target, in the binary's folder and in its archive.
#[test]
fn a_binary_named_by_a_template_carries_the_release_version() {
    let repo = Repo::new();
    let yml = std::fs::read_to_string(repo.path().join(".goreleaser.yml")).unwrap();
    let yml = yml.replacen("    binary: tool\n", "    binary: '{{ .ProjectName }}_v{{ .Version }}'\n", 1);
    let yml = yml.replacen("    binary: toolctl\n", "    binary: 'toolctl_{{ .Os }}_{{ .Arch }}'\n", 1);
    repo.write(".goreleaser.yml", &yml);
    run_ok(&mut repo.adopt_cmd(&[]));
    let settings = std::fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert!(settings.contains("name = \"tool_v{{ .Version }}\""), "{settings}");
    repo.link_xtask();
    repo.commit_all("cargo xtask adopt");
    repo.git(&["tag", "v1.4.2"]);
    let mut cmd = repo.xtask(&["dist", "--engine", "host", "--target", "linux/amd64"]);
    let said = String::from_utf8(run_ok(cmd.env("PATH", path_with_pinned_go())).stderr).unwrap();
    let bin = repo.out().join("linux/amd64/tool_v1.4.2");
    let out = run_ok(Command::new(&bin).arg("version"));
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("tool 1.4.2 (commit "), "{said}");
    let tgz = std::fs::read(repo.out().join("tool_Linux_x86_64.tar.gz")).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(tgz.as_slice()));
    let names: Vec<String> =
        tar.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["LICENSE", "README.md", "tool_v1.4.2", "toolctl_linux_amd64"]);
    assert!(repo.out().join("linux/amd64/toolctl_linux_amd64").is_file(), "{said}");
}
