//! `init`, `dist --dry-run`, `dist --shard` with `dist merge`, and `test`, on
//! fixture repositories shaped like real projects.

mod common;

use std::fs;
use std::process::Command;

use common::*;

/// `.goreleaser.yml` → `cargo xtask adopt` (which runs `init`) → `cargo xtask dist`:
/// the archive names GoReleaser would give (its `goreleaser init` template,
/// `title` and the `if eq .Arch` chain), both commands in each, its checksum file.
#[test]
fn init_imports_goreleaser_and_dist_gives_its_names() {
    let repo = Repo::new();
    let out = run_ok(&mut repo.adopt_cmd(&[]));
    repo.link_xtask();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("  written    dist.toml (by init, from .goreleaser.yml)"), "{stderr}");
    assert!(stderr.contains("not imported: before.hooks"), "{stderr}");
    let settings = fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert!(settings.contains("{{- title .Os }}_"), "the name template is copied verbatim:\n{settings}");

    let err = run_err(&mut repo.xtask(&["init"]));
    assert!(err.contains("dist.toml exists: pass --force to replace it"), "{err}");
    assert_eq!(fs::read_to_string(repo.path().join("dist.toml")).unwrap(), settings);
    let out = run_ok(&mut repo.xtask(&["init", "--force"]));
    assert!(String::from_utf8(out.stderr).unwrap().contains("from .goreleaser.yml"));
    assert_eq!(fs::read_to_string(repo.path().join("dist.toml")).unwrap(), settings, "adopt wrote what init writes");

    repo.commit_all("template");
    repo.git(&["tag", "v2.0.0"]);
    let out = run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut names: Vec<String> = snapshot(&repo.out()).into_keys().filter(|k| !k.contains('/')).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "checksums.txt",
            "manifest.json",
            "tool_Darwin_arm64.tar.gz",
            "tool_Darwin_x86_64.tar.gz",
            "tool_Linux_arm64.tar.gz",
            "tool_Linux_armv6.tar.gz",
            "tool_Linux_i386.tar.gz",
            "tool_Linux_x86_64.tar.gz",
            "tool_Windows_arm64.zip",
            "tool_Windows_i386.zip",
            "tool_Windows_x86_64.zip"
        ],
        "{stderr}"
    );
    let version = run_ok(Command::new(repo.out().join("linux/amd64/toolctl")).arg("version"));
    assert!(String::from_utf8(version.stdout).unwrap().starts_with("toolctl 2.0.0 (commit "));
}

#[test]
fn dry_run_says_everything_and_builds_nothing() {
    let repo = Repo::new();
    repo.adopt(REPO_SETTINGS);
    let out = run_ok(repo.xtask(&["dist", "--engine", "host", "--dry-run"]).env("PATH", path_with_pinned_go()));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "engine:    host (--engine host)",
        "toolchain: the host's go1.26.8",
        "targets:   darwin/amd64 darwin/arm64 linux/386 linux/amd64 linux/arm/v6 linux/arm64 windows/386 windows/amd64 windows/arm64 (9)",
        "dropped:   darwin/386 darwin/arm/v6 windows/arm/v6 (not supported by the host's go1.26.8)",
        "binary:    tool from ./cmd/tool: go build -trimpath -buildvcs=false -ldflags=-s -w -X main.version=",
        "binary:    toolctl from ./cmd/toolctl:",
        "modules:   vendored (no download)",
        "  linux/arm/v6     linux/arm/v6/tool linux/arm/v6/toolctl  →  tool_0.0.0-dev_Linux_armv6.tar.gz",
        "  windows/386      windows/386/tool.exe windows/386/toolctl.exe  →  tool_0.0.0-dev_Windows_i386.zip",
        "  checksums.txt",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(text.contains(&format!("output:    {} (new)", repo.out().display())), "{text}");
    assert!(!repo.out().exists(), "a dry run writes nothing");
    assert_eq!(leftovers_beside(&repo.out()), Vec::<String>::new());
}

#[test]
fn shards_merge_into_the_same_release_and_bad_sets_are_refused() {
    let repo = Repo::new();
    // An image of every linux target (in no one shard) with a file of the repository: `merge` makes it.
    let image = "\n[[images]]\nbinary = \"tool\"\nfiles = [{ src = \"LICENSE\", dst = \"/LICENSE\" }]\n";
    repo.adopt(&format!("{REPO_SETTINGS}{image}"));
    repo.commit_all("template");
    repo.git(&["tag", "v1.0.0"]);
    run_ok(&mut repo.xtask(&["dist", "--engine", "host"]));
    let whole = snapshot(&repo.out());
    let shard = |i: usize| {
        let dir = repo.path().join(format!("shard-{i}"));
        run_ok(&mut repo.xtask(&[
            "dist",
            "--engine",
            "host",
            "--shard",
            &format!("{i}/3"),
            "--out",
            dir.to_str().unwrap(),
        ]));
        dir
    };
    let dirs: Vec<_> = (1..=3).map(shard).collect();
    let sizes: Vec<usize> = dirs.iter().map(|d| manifest(d)["artifacts"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [9, 9, 9], "9 targets × (2 binaries + 1 archive) in 3 even shards, no image");
    assert!(dirs.iter().all(|d| manifest(d)["images"][0]["file"] == "tool_1.0.0_image.tar"), "each shard records it");

    let merged = repo.path().join("merged");
    let mut merge = repo.xtask(&["dist", "merge", "--out", merged.to_str().unwrap()]);
    merge.args(&dirs);
    run_ok(&mut merge);
    for dir in dirs.iter().chain([&merged]) {
        assert_eq!(leftovers_beside(dir), Vec::<String>::new(), "{}: no lock, no staging", dir.display());
    }
    let got = snapshot(&merged);
    assert_eq!(got.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>());
    for (name, bytes) in &whole {
        assert!(
            got[name] == *bytes,
            "{name} differs from the unsharded release:\n{}\n{}",
            String::from_utf8_lossy(&got["manifest.json"]),
            String::from_utf8_lossy(&whole["manifest.json"])
        );
    }
    let check = run_ok(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(&merged));
    assert_eq!(
        String::from_utf8(check.stdout).unwrap().matches(": OK").count(),
        9 + 1 + 1,
        "archives, image, manifest"
    );
    assert!(
        got.contains_key("tool_1.0.0_image.tar"),
        "the merged release holds the image, the same bytes as a whole run's"
    );
    assert_published_release_verifies(&merged);
    assert!(manifest(&merged).get("shard").is_none());
    // The merge job's checkout is elsewhere than the shards' (another runner, another path): the
    // image's file is found in it, and the release is the same.
    let elsewhere = tempfile::tempdir().unwrap();
    let checkout = elsewhere.path().join("checkout");
    copy_dir(repo.path(), &checkout);
    let moved = elsewhere.path().join("merged");
    let mut merge = Command::new(checkout.join("target/debug/xtask"));
    merge.args(["dist", "merge", "--out", moved.to_str().unwrap()]).args(&dirs);
    // (The shards' checkout now holds another file there: only the merge's own is read.)
    let license = fs::read_to_string(repo.path().join("LICENSE")).unwrap();
    repo.write("LICENSE", "not the license the shards read\n");
    run_ok(merge.current_dir(&checkout).env("CARGO_MANIFEST_DIR", checkout.join("xtask")));
    repo.write("LICENSE", &license);
    let recorded = manifest(&dirs[0])["images"][0]["files"][0][0].clone();
    assert_eq!(recorded, "LICENSE", "a shard records the image's files relative to the project");
    assert!(snapshot(&moved) == got, "the merge in another checkout made another release");

    let refused = |dirs: &[&std::path::Path]| {
        let mut cmd = repo.xtask(&["dist", "merge", "--out", repo.path().join("refused").to_str().unwrap()]);
        cmd.args(dirs);
        run_err(&mut cmd)
    };
    let err = refused(&[&dirs[0], &dirs[0], &dirs[2]]);
    assert!(err.contains("need each of the 3 shards once, got shards [1, 1, 3]"), "{err}");
    let err = refused(&[&dirs[0], &dirs[1]]);
    assert!(err.contains("need each of the 3 shards once, got shards [1, 2]"), "{err}");
    let err = refused(&[&dirs[0], &dirs[1], &repo.out()]);
    assert!(err.contains("is a whole release, not a shard"), "{err}");
    // The image's file is read again by `merge`: another one than the shards read is refused.
    let license = fs::read_to_string(repo.path().join("LICENSE")).unwrap();
    repo.write("LICENSE", "not the license the shards read\n");
    let err = refused(&[&dirs[0], &dirs[1], &dirs[2]]);
    assert!(err.contains("LICENSE changed since the build was planned (or is not the file the shards read)"), "{err}");
    repo.write("LICENSE", &license);
    // A shard of another commit.
    repo.write("README.md", "# tool, changed\n");
    repo.commit_all("change");
    repo.git(&["tag", "v1.0.1"]);
    let other = repo.path().join("other-3");
    run_ok(&mut repo.xtask(&["dist", "--engine", "host", "--shard", "3/3", "--out", other.to_str().unwrap()]));
    let err = refused(&[&dirs[0], &dirs[1], &other]);
    assert!(err.contains("are not shards of one build (version 1.0.0 vs 1.0.1"), "{err}");
    // A damaged file.
    fs::write(dirs[1].join("linux/arm/v6/tool"), "damaged").unwrap();
    let err = refused(&[&dirs[0], &dirs[1], &dirs[2]]);
    assert!(err.contains("linux/arm/v6/tool does not match the SHA-256 in its shard's manifest"), "{err}");
    assert!(!repo.path().join("refused").exists());
    assert_eq!(leftovers_beside(&repo.path().join("refused")), Vec::<String>::new(), "refused merges leave nothing");
}

#[test]
fn test_runs_gofmt_vet_and_tests_and_names_the_failing_step() {
    let repo = Repo::new();
    repo.write("cmd/tool/main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestVersion(t *testing.T) {\n\tif version != \"dev\" {\n\t\tt.Fatal(version)\n\t}\n}\n");
    repo.adopt(REPO_SETTINGS);
    let out = run_ok(&mut repo.xtask(&["test", "--engine", "host"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("  gofmt -l: ok\n  go vet: ok\n  go test: ok"), "{stderr}");

    repo.write("internal/util/util.go", "package util\n\nfunc Twice(s string) string {   return s + s }\n");
    let err = run_err(&mut repo.xtask(&["test", "--engine", "host"]));
    assert!(
        err.contains("gofmt: these files are not formatted (run `gofmt -w` on them):\ninternal/util/util.go"),
        "{err}"
    );

    repo.write("internal/util/util.go", "package util\n\nfunc Twice(s string) string { return s + s }\n");
    repo.write(
        "cmd/tool/main_test.go",
        "package main\n\nimport \"testing\"\n\nfunc TestVersion(t *testing.T) {\n\tt.Fatal(\"broken on purpose\")\n}\n",
    );
    let err = run_err(&mut repo.xtask(&["test", "--engine", "host"]));
    assert!(err.contains("`go test ./...` failed (exit 1)") && err.contains("broken on purpose"), "{err}");
}

/// The summary names every target with its package and digest; `--quiet` prints nothing on success.
#[test]
fn summary_table_and_quiet() {
    let p = Project::template();
    let out = run_ok(&mut p.dist(&["--engine", "host", "--target", "linux/amd64,windows/arm64"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let m = manifest(&p.out());
    for a in m["artifacts"].as_array().unwrap().iter().filter(|a| a["kind"] == "archive") {
        let row = stderr
            .lines()
            .find(|l| l.trim_start().starts_with(a["target"].as_str().unwrap()) && l.contains("MB"))
            .unwrap_or_else(|| panic!("no summary row for {}:\n{stderr}", a["target"]));
        assert!(row.contains(a["path"].as_str().unwrap()), "{row}");
        assert!(row.contains(&a["sha256"].as_str().unwrap()[..12]), "{row}");
    }
    let out = run_ok(&mut p.dist(&["--engine", "host", "--target", "linux/amd64,windows/arm64", "--quiet"]));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "", "--quiet prints nothing when all is well");
    let out = run_ok(&mut p.dist(&["--engine", "host", "--target", "linux/amd64,windows/arm64"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.lines().filter(|l| l.trim_end().ends_with("reused")).count() == 2, "{stderr}");
}

/// On a terminal the targets are a live board redrawn in place; under NO_COLOR or TERM=dumb (or CI, or a
/// pipe) plain lines.
#[test]
fn a_terminal_gets_a_live_board_and_no_color_gets_plain_lines() {
    let p = Project::template();
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let line = format!(
        "'{xtask}' dist --settings '{}' --out '{}' --engine host --target linux/amd64,linux/arm64",
        p.path().join("dist.toml").display(),
        p.out().display()
    );
    // `script` runs the command on a pseudo-terminal.
    let terminal = |term: &str| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]).env_remove("CI").env_remove("NO_COLOR").env("TERM", term);
        cmd
    };
    let out = run_ok(&mut terminal("xterm"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\x1b[2K  linux/amd64  built in "), "{text:?}");
    assert!(text.contains("\x1b[2A"), "redrawn in place: {text:?}");
    fs::remove_dir_all(p.out()).unwrap();
    let out = run_ok(terminal("xterm").env("NO_COLOR", "1"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b') && text.contains("  built linux/amd64 in "), "{text:?}");
    // A terminal that cannot move its cursor.
    fs::remove_dir_all(p.out()).unwrap();
    let out = run_ok(&mut terminal("dumb"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b') && text.contains("  built linux/amd64 in "), "{text:?}");
}

/// A shard's manifest is input from another machine: a path out of the release is refused.
#[test]
fn merge_refuses_paths_out_of_the_release() {
    let p = Project::template();
    let shard = p.path().join("shard-1");
    run_ok(&mut p.dist_to(&shard, &["--engine", "host", "--target", "linux/amd64", "--shard", "1/1"]));
    let text = fs::read_to_string(shard.join("manifest.json")).unwrap();
    fs::write(
        shard.join("manifest.json"),
        text.replace("\"path\": \"linux/amd64/hello\"", "\"path\": \"../../escaped\""),
    )
    .unwrap();
    let err = run_err(&mut p.xtask_merge(&[&shard]));
    assert!(err.contains("lists the artifact path \"../../escaped\", which is not a file inside a release"), "{err}");
    assert!(!p.path().join("escaped").exists() && !p.path().parent().unwrap().join("escaped").exists());
}

/// Shards whose binaries' names came out differently (a name template of `.Env`, filled on two
/// runners with two values) are not one release; names that differ by target merge.
#[test]
fn merge_refuses_shards_whose_binaries_are_named_differently() {
    let p = Project::new(
        "[app]\nname = \"hello\"\nmain = \"./cmd/hello\"\nbinary = \"hello-{{ .Env.FLAVOR }}-{{ .Os }}\"\n\
         [targets]\nlist = [\"linux/amd64\", \"windows/amd64\"]\n",
    );
    let shard = |i: usize, flavor: &str| {
        let dir = p.path().join(format!("shard-{i}-{flavor}"));
        let mut cmd = p.dist_to(&dir, &["--engine", "host", "--shard", &format!("{i}/2")]);
        run_ok(cmd.env("FLAVOR", flavor));
        dir
    };
    let (one, two) = (shard(1, "lite"), shard(2, "full"));
    assert!(
        one.join("linux/amd64/hello-lite-linux").is_file()
            && two.join("windows/amd64/hello-full-windows.exe").is_file()
    );
    let err = run_err(&mut p.xtask_merge(&[&one, &two]));
    assert!(err.contains("are not shards of one build") && err.contains("the binaries' names, differ"), "{err}");
    let same = shard(2, "lite");
    run_ok(&mut p.xtask_merge(&[&one, &same]));
    assert!(p.out().join("windows/amd64/hello-lite-windows.exe").is_file());
    assert_published_release_verifies(&p.out());
}
