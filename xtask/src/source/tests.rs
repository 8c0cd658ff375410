//! Unit tests of the upload: replace and use directives, vendor mode, what Go reads, links.

use super::*;

#[test]
fn replace_and_use_directives_in_both_forms() {
    let go_mod = "module x\n\ngo 1.22\n\nreplace example.com/a => ../lib // local\nreplace (\n\texample.com/b v1.0.0 => ./third_party/b\n\texample.com/c => example.com/c2 v1.2.0\n)\nreplacement_typo\n";
    assert_eq!(local_replaces(go_mod), [PathBuf::from("../lib"), PathBuf::from("./third_party/b")]);
    assert_eq!(
        work_uses("go 1.22\nuse ./app\nuse (\n\t./lib\n\t\"./tools\"\n)\n"),
        ["./app", "./lib", "./tools"].map(PathBuf::from)
    );
}

#[test]
fn vendor_mode_follows_go() {
    let dir = tempfile::tempdir().unwrap();
    let go_mod = "module x\ngo 1.21\n";
    assert!(!uses_vendor(dir.path(), go_mod, None, &[], ""), "no vendor/");
    std::fs::create_dir(dir.path().join("vendor")).unwrap();
    std::fs::write(dir.path().join("vendor/modules.txt"), "").unwrap();
    assert!(uses_vendor(dir.path(), go_mod, None, &[], ""));
    assert!(!uses_vendor(dir.path(), "module x\ngo 1.13\n", None, &[], ""), "before 1.14 vendor/ is opt-in");
    assert!(!uses_vendor(dir.path(), go_mod, None, &["-mod=mod".into()], ""));
    assert!(!uses_vendor(dir.path(), go_mod, None, &[], "-v -mod=readonly"));
    assert!(uses_vendor(dir.path(), "module x\ngo 1.13\n", None, &[], "-mod=vendor"));
}

#[test]
fn the_upload_spans_local_replaces_and_leaves_out_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("svc")).unwrap();
    std::fs::create_dir_all(repo.join("lib")).unwrap();
    std::fs::write(repo.join("svc/go.mod"), "module svc\ngo 1.22\nreplace lib => ../lib\n").unwrap();
    let outputs = Outputs { out: repo.join("svc/dist"), ours: vec![repo.join("target"), dir.path().join("elsewhere")] };
    let s = Source::find(&repo.join("svc"), &[], "", &outputs).unwrap();
    assert_eq!(s.root, std::fs::canonicalize(&repo).unwrap());
    assert_eq!(s.module, "svc");
    assert_eq!(
        s.exclude,
        [".git", "**/.git", "svc/dist", "svc/.dist.lock", "svc/.dist.staging-*", "svc/.dist.old-*", "target"]
    );
    assert!(!s.vendored);
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn source_of(module: &Path) -> Source {
    let outputs = Outputs { out: module.join("dist"), ours: vec![module.join("target")] };
    Source::find(module, &[], "", &outputs).unwrap()
}

/// Files no `go build` reads: CI scripts, workflows, Cargo files, docs, another tool's output, ours.
const UNREAD: [&str; 11] = [
    ".ci/run",
    ".github/workflows/ci.yml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "docs/guide.md",
    "templates/notes.txt",
    "bench/out.log",
    "junk/big.bin",
    "dist/x",
    "target/y",
];

/// What `go build` can read changes the digest; what it cannot (CI
/// scripts, docs, Cargo files, outputs, files below `.` directories, other
/// tools' ignored output) does not, in a git checkout with the module at the root.
#[test]
fn only_what_go_can_read_changes_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "go.mod", "module m\ngo 1.22\n");
    write(root, "go.sum", "");
    write(root, "main.go", "package main\n\nimport _ \"embed\"\n\n//go:embed assets templates/*.tmpl \"with space.txt\"\nvar x string\n\nfunc main() {}\n");
    write(root, "main_test.go", "package main\n");
    write(root, "internal/a/a.go", "package a\n");
    write(root, "internal/a/a_amd64.s", "// asm\n");
    write(root, "internal/a/testdata/t.go", "package t\n");
    write(root, "assets/logo.svg", "<svg/>");
    write(root, "assets/deep/data.json", "{}");
    write(root, "templates/page.tmpl", "page");
    write(root, "with space.txt", "x");
    write(root, "vendor/modules.txt", "# v\n");
    write(root, "vendor/example.com/v/LICENSE", "MIT");
    write(root, "cmd/tool/default.pgo", "pgo");
    write(root, "sub/go.mod", "module m/sub\n");
    for other in UNREAD {
        write(root, other, "one");
    }
    write(root, ".gitignore", "/junk/\n/dist/\n/target/\n*.log\n/gen/\n");
    write(root, "gen/zz_generated.go", "package gen\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "m"]);
    let s = source_of(root);
    let digest = s.digest(&[], false).unwrap();
    for unread in UNREAD.iter().chain(&["new-notes.md"]) {
        write(root, unread, "changed");
        assert_eq!(s.digest(&[], false).unwrap(), digest, "{unread} is not read by go build");
    }
    // Nor is .gitignore, as long as what it ignores stays ignored.
    write(root, ".gitignore", "/junk/\n/dist/\n/target/\n*.log\n/gen/\n# a comment\n");
    assert_eq!(s.digest(&[], false).unwrap(), digest, ".gitignore is not read by go build");
    for read in [
        ".ci/tools/tool.go",
        "main_test.go",
        "go.mod",
        "go.sum",
        "internal/a/a.go",
        "internal/a/a_amd64.s",
        "internal/a/testdata/t.go",
        "assets/logo.svg",
        "assets/deep/data.json",
        "templates/page.tmpl",
        "with space.txt",
        "vendor/modules.txt",
        "vendor/example.com/v/LICENSE",
        "cmd/tool/default.pgo",
        "sub/go.mod",
        "gen/zz_generated.go",
        "internal/b/new.go",
        "templates/new.tmpl",
        "assets/new.txt",
        "main.go",
    ] {
        let before = s.digest(&[], false).unwrap();
        write(root, read, "changed");
        assert_ne!(s.digest(&[], false).unwrap(), before, "{read} is read by go build");
    }
    // With cgo, anything may be read.
    let before = s.digest(&[], true).unwrap();
    write(root, "docs/guide.md", "changed again");
    assert_ne!(s.digest(&[], true).unwrap(), before);
    // Files named by flags count by content, wherever they are.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "overlay.json", "{}");
    let named = [outside.path().join("overlay.json")];
    let before = s.digest(&named, false).unwrap();
    write(outside.path(), "overlay.json", "{\"Replace\": {}}");
    assert_ne!(s.digest(&named, false).unwrap(), before);
}

#[test]
fn embed_lines_and_patterns() {
    let src = "package p\n//go:embed a.txt  b/*.html\n//go:embed \"c d.txt\" `e/f`\n// go:embed nope\n//go:embedded nope\n\t//go:embed all:static\n";
    assert_eq!(embed_patterns(src), ["a.txt", "b/*.html", "c d.txt", "e/f", "all:static"]);
    let embeds = |dir: &str, p: &str| vec![(dir.to_owned(), p.to_owned())];
    assert!(embedded("pkg/a.txt", &embeds("pkg", "a.txt")));
    assert!(embedded("pkg/static/x/y.css", &embeds("pkg", "all:static")));
    assert!(embedded("pkg/b/index.html", &embeds("pkg", "b/*.html")));
    assert!(!embedded("pkg/b/c/index.html", &embeds("pkg", "b/*.html")), "* stops at /");
    assert!(embedded("pkg/b/c/index.html", &embeds("pkg", "b/*")), "a matched directory brings its tree");
    assert!(!embedded("other/a.txt", &embeds("pkg", "a.txt")));
    assert!(!embedded("pkga.txt", &embeds("pkg", "a.txt")));
    assert!(embedded("a.txt", &embeds("", "*.txt")));
    assert!(embedded("pkg/anything", &embeds("pkg", "[bad")), "an unreadable pattern counts as matching");
}

/// A link Go can read through must stay inside the upload: one to a Go file
/// or directory elsewhere (below a `.` directory too: an import may name it),
/// or by an absolute path, is refused with the fix; a link Go never reads
/// through (a LICENSE pointing up) is fine; a link inside counts as what it points to.
#[cfg(unix)]
#[test]
fn links_go_reads_through_stay_inside_the_upload() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (module, outside) = (dir.path().join("module"), dir.path().join("outside"));
    write(&module, "go.mod", "module m\ngo 1.22\n");
    write(&module, "cmd/main.go", "package main\n");
    write(&module, "shared/gen.go", "package shared\n");
    write(&outside, "x.go", "package x\n");
    write(&outside, "LICENSE", "MIT\n");
    symlink("../outside/LICENSE", module.join("LICENSE")).unwrap();
    std::fs::create_dir_all(module.join(".tools")).unwrap();
    symlink("../shared/gen.go", module.join("cmd/gen.go")).unwrap();
    let s = source_of(&module);
    let digest = s.digest(&[], false).unwrap();
    write(&outside, "LICENSE", "changed\n");
    assert_eq!(s.digest(&[], false).unwrap(), digest, "go build never reads LICENSE");
    write(&module, "shared/gen.go", "package shared // changed\n");
    assert_ne!(s.digest(&[], false).unwrap(), digest, "cmd/gen.go reads shared/gen.go");

    for (rel, to) in [
        ("cmd/x.go", "../../outside/x.go".to_owned()),
        ("cmd/abs.go", module.join("shared/gen.go").to_string_lossy().into_owned()),
        ("pkg", "../outside".to_owned()),
        ("leak", "/etc".to_owned()),
        (".tools/outside", outside.to_string_lossy().into_owned()),
    ] {
        symlink(&to, module.join(rel)).unwrap();
        let err = format!("{:#}", s.digest(&[], false).unwrap_err());
        assert!(
            err.contains(&format!("{} is a symlink to {to}", module.join(rel).display()))
                && err.contains("the Dagger engine gets only")
                && err.contains("Copy it in, or make the link relative"),
            "{rel}: {err}"
        );
        std::fs::remove_file(module.join(rel)).unwrap();
    }
    assert_eq!(s.digest(&[], false).unwrap(), s.digest(&[], false).unwrap());
}

/// Git's index still lists `sub/x.go` after `sub/` became a link out of
/// the tree: Go would read through it, so the digest refuses it rather than
/// read (or ignore) what is outside.
#[cfg(unix)]
#[test]
fn a_package_directory_turned_link_out_of_the_tree_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (module, outside) = (dir.path().join("module"), dir.path().join("outside"));
    write(&module, "go.mod", "module m\ngo 1.22\n");
    write(&module, "sub/x.go", "package sub\n");
    git(&module, &["init", "-q"]);
    git(&module, &["add", "."]);
    git(&module, &["commit", "-qm", "m"]);
    std::fs::remove_dir_all(module.join("sub")).unwrap();
    write(&outside, "x.go", "package outside\n");
    std::os::unix::fs::symlink(&outside, module.join("sub")).unwrap();

    let s = Source::find(&module, &[], "", &Outputs { out: dir.path().join("dist"), ours: vec![] }).unwrap();
    assert_eq!(s.files().unwrap(), ["go.mod", "sub"]);
    let err = format!("{:#}", s.digest(&[], false).unwrap_err());
    assert!(err.contains("sub is a symlink to"), "{err}");
}

/// A symlinked app dir is the module it points to, as Go (which runs with
/// no PWD) and Dagger (which resolves the path it uploads) see it: its
/// files are the upload, and a go.work beside the link is not the module's.
#[cfg(unix)]
#[test]
fn a_symlinked_module_dir_is_the_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, real) = (dir.path().join("repo"), dir.path().join("elsewhere/hello"));
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("go.mod"), "module hello\ngo 1.22\n").unwrap();
    std::fs::write(real.join("main.go"), "package main\n").unwrap();
    std::fs::write(repo.join("go.work"), "go 1.22\nuse ./app\n").unwrap();
    std::os::unix::fs::symlink("../elsewhere/hello", repo.join("app")).unwrap();

    let s = Source::find(&repo.join("app"), &[], "", &Outputs { out: repo.join("dist"), ours: vec![] }).unwrap();
    assert_eq!(s.root, std::fs::canonicalize(&real).unwrap());
    assert_eq!((s.module.as_str(), s.workspace.as_deref()), ("", None));
    assert_eq!(s.files().unwrap(), ["go.mod", "main.go"]);
    let digest = s.digest(&[], false).unwrap();
    std::fs::write(real.join("main.go"), "package main // changed\n").unwrap();
    assert_ne!(s.digest(&[], false).unwrap(), digest, "a change in the module is a change of the upload");

    // Outputs inside the module, named through the link, are still left out.
    let s = Source::find(&repo.join("app"), &[], "", &Outputs { out: repo.join("app/dist"), ours: vec![] }).unwrap();
    assert!(s.exclude.contains(&"dist".to_owned()), "{:?}", s.exclude);
}

/// What lies outside the build's modules is not read: a nested module of its
/// own (its files; its go.mod is, since it moves packages out), and neither is
/// what sits above them. Whether a file is ignored is part of the digest (the
/// Dagger engine gets only what is not). An embed class `[^_]` is Go's negation.
/// A link that only git-ignored output holds is not refused.
#[cfg(unix)]
#[test]
fn nested_modules_ignored_files_negated_classes_and_ignored_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "go.mod", "module m\ngo 1.22\n");
    write(root, "main.go", "package main\n\n//go:embed static/[^_]*\nvar s string\n");
    write(root, "static/app.js", "1");
    write(root, "static/_draft.js", "1");
    write(root, "tools/go.mod", "module m/tools\n");
    write(root, "tools/gen.go", "package main\n");
    write(root, ".gitignore", "/gen/\n/bazel-out\n");
    write(root, "gen/x.go", "package gen\n");
    std::os::unix::fs::symlink("/usr", root.join("bazel-out")).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "m"]);
    let s = source_of(root);
    let digest = s.digest(&[], false).unwrap();
    write(root, "tools/gen.go", "package main // changed\n");
    assert_eq!(s.digest(&[], false).unwrap(), digest, "a nested module of its own is not in the build");
    write(root, "static/_draft.js", "2");
    assert_eq!(s.digest(&[], false).unwrap(), digest, "[^_]* does not match _draft.js");
    write(root, "static/app.js", "2");
    let digest = s.digest(&[], false).unwrap();
    write(root, "tools/go.mod", "module m/tools\n\ngo 1.22\n");
    assert_ne!(s.digest(&[], false).unwrap(), digest, "a nested go.mod counts");
    let digest = s.digest(&[], false).unwrap();
    write(root, ".gitignore", "/bazel-out\n");
    assert_ne!(s.digest(&[], false).unwrap(), digest, "gen/x.go is uploaded now");
    // A replace target nested in the module is part of the build.
    write(root, "go.mod", "module m\ngo 1.22\nreplace m/tools => ./tools\n");
    let s = source_of(root);
    let digest = s.digest(&[], false).unwrap();
    write(root, "tools/gen.go", "package main // changed again\n");
    assert_ne!(s.digest(&[], false).unwrap(), digest, "a replace target is read");
}

/// Go's file-name rule (go/build `goodOSArchFile`), case by case.
#[test]
fn source_files_a_targets_name_rule_leaves_out() {
    let none: &[String] = &[];
    let out = |file: &str, os: &str, arch: &str| left_out_by_name(file, os, arch, none);
    for (file, os, arch) in [
        ("x_windows.go", "linux", "amd64"),
        ("x_windows_test.go", "linux", "amd64"),
        ("x_windows.pb.go", "linux", "amd64"),
        ("x_arm64.s", "linux", "amd64"),
        ("x_linux_arm64.go", "linux", "amd64"),
        ("x_linux_arm64.go", "darwin", "arm64"),
        ("x_linux.go", "freebsd", "amd64"),
        ("a_b_wasm.go", "linux", "amd64"),
    ] {
        assert!(out(file, os, arch), "{file} is left out of {os}/{arch}");
    }
    for (file, os, arch) in [
        ("x_windows.go", "windows", "arm64"),
        ("x_linux.go", "android", "arm64"),
        ("x_solaris.go", "illumos", "amd64"),
        ("x_darwin.go", "ios", "arm64"),
        ("gen_darwin.c", "ios", "amd64"),
        ("x_linux_arm64.go", "linux", "arm64"),
        ("x_arm64_test.go", "darwin", "arm64"),
        ("windows.go", "linux", "amd64"),
        ("linux_windows_x.go", "linux", "amd64"),
        ("x_unix.go", "windows", "amd64"),
        ("x_windows_extra.go", "linux", "amd64"),
        ("main.go", "linux", "amd64"),
    ] {
        assert!(!out(file, os, arch), "{file} is read by {os}/{arch}");
    }
    assert!(!left_out_by_name("x_windows.go", "linux", "amd64", &["windows".to_owned()]), "-tags=windows");
}

/// An edit of one system's file changes that system's digest only — but for a Go file's header,
/// which the go command parses for every target; an embedded file, an assembly file (another may
/// `#include` it) and everything with cgo count for every target whatever their names.
#[test]
fn a_digest_per_target_leaves_out_other_systems_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "go.mod", "module m\ngo 1.22\n");
    write(root, "main.go", "package main\n\nimport _ \"embed\"\n\n//go:embed notes_windows.go\nvar notes string\n");
    write(root, "notes_windows.go", "package main\n");
    write(root, "x_windows.go", "package main\n\nimport \"os\"\n\nfunc x() { os.Exit(1) }\n");
    write(root, "y_linux_arm64.go", "package main\n\nconst y = 1\n");
    write(root, "z_arm64.s", "\n");
    write(root, "w_windows.syso", "\x00");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "m"]);
    let s = source_of(root);
    let keys = |everything: bool| {
        let d = s.digest(&[], everything).unwrap();
        let none: &[String] = &[];
        [("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")].map(|(os, arch)| d.for_target(os, arch, none))
    };
    let mut before = keys(false);
    let mut changed = |file: &str, text: &str| {
        write(root, file, text);
        let after = keys(false);
        let which = [0, 1, 2].map(|i| after[i] != before[i]);
        before = after;
        which
    };
    assert_eq!(
        changed("x_windows.go", "package main\n\nimport \"os\"\n\nfunc x() { os.Exit(2) }\n"),
        [false, false, true]
    );
    assert_eq!(
        changed("x_windows.go", "package main\n\nimport \"fmt\"\n\nfunc x() { fmt.Println() }\n"),
        [true, true, true]
    );
    assert_eq!(changed("x_windows.go", "package main\n\nimport (\n\n"), [true, true, true], "a broken header");
    assert_eq!(changed("y_linux_arm64.go", "package main\n\nconst y = 2\n"), [false, true, false]);
    assert_eq!(changed("w_windows.syso", "\x01"), [false, false, true]);
    assert_eq!(changed("z_arm64.s", "// edited\n"), [true, true, true], "assembly may be #included");
    assert_eq!(changed("notes_windows.go", "package main // embedded\n"), [true, true, true], "embedded");
    // With cgo nothing is left out.
    let cgo = keys(true);
    write(root, "y_linux_arm64.go", "package main\n\nconst y = 3\n");
    assert!(keys(true).iter().zip(&cgo).all(|(a, b)| a != b), "with cgo every target reads every file");
}

#[test]
fn a_go_files_header_is_what_comes_before_its_first_declaration() {
    let text = b"//go:build windows\n\npackage p\n\nimport (\n\t\"os\"\n)\n\nfunc f() {}\n";
    assert_eq!(go_header(text), &text[..text.len() - "func f() {}\n".len()]);
    let typed = b"package p\n\ntype T int\nfunc f() {}\n";
    assert_eq!(go_header(typed), b"package p\n\n");
    let embeds = b"package p\n\nimport _ \"embed\"\n\n//go:embed x\nvar s string\n";
    assert_eq!(go_header(embeds), embeds, "with embed, the //go:embed lines count");
    let raw = b"package p\n\nimport (\n\t_ `embed`\n)\n\n//go:embed x\nvar s string\n";
    assert_eq!(go_header(raw), raw, "an import path may be a raw string");
    let escaped = b"package p\n\nimport _ \"\\x65mbed\"\n\n//go:embed x\nvar s string\n";
    assert_eq!(go_header(escaped), escaped, "an import path may be escaped");
    let said = b"package p\n\nimport \"fmt\"\n\nfunc f() { fmt.Println(\"embed\") }\n";
    assert_eq!(go_header(said), b"package p\n\nimport \"fmt\"\n\n", "\"embed\" in a body embeds nothing");
    let commented = b"package p\n\n/*\nfunc old() {}\n*/\nimport \"os\"\n\nfunc f() { os.Exit(0) }\n";
    assert_eq!(go_header(commented), commented, "a block comment before the end");
    let nothing = b"package p\n";
    assert_eq!(go_header(nothing), nothing);
    assert_eq!(go_header(b"package p\nfunctional := 1\nconst(\nA = 1\n)\n"), b"package p\nfunctional := 1\n");
}
