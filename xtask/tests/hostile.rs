//! Hostile and odd input, end to end with the host engine: paths with spaces,
//! unicode and leading dashes; symlinked app directories and symlinks that
//! point out of the repository; settings files that are huge, binary or not
//! UTF-8; a go.mod the toolchain refuses; a `go` killed mid-build.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use sha2::Digest;

/// `git` in `dir`, with a fixed author and date.
fn git(dir: &Path, args: &[&str]) {
    git_at(dir, args);
}

/// The template's settings with `app.dir` replaced.
fn settings_with_dir(dir: &str) -> String {
    let template = fs::read_to_string(workspace().join("dist.toml")).unwrap();
    assert!(template.contains("dir = \"app\""));
    template.replace("dir = \"app\"", &format!("dir = {}", toml_string(dir)))
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Checks a host-only release in `out`: the files the manifest lists, with its
/// sizes and digests, `sha256sum -c` passing, and a binary that runs.
fn assert_release(out: &Path) -> serde_json::Value {
    let files = snapshot(out);
    let manifest = manifest(out);
    assert_eq!(manifest["engine"], "host");
    let artifacts = manifest["artifacts"].as_array().unwrap();
    // The binary, its archive and the archive's 2 SBOMs (the template's [sbom]).
    assert_eq!(artifacts.len(), 4, "{manifest:#}");
    let mut listed: Vec<String> = artifacts.iter().map(|a| a["path"].as_str().unwrap().to_owned()).collect();
    let provenance = manifest["supply"]["provenance"].as_str().unwrap().to_owned();
    listed.extend(["SHA256SUMS".to_owned(), "manifest.json".to_owned(), provenance]);
    listed.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), listed, "the output holds exactly the release");
    for a in artifacts {
        let path = a["path"].as_str().unwrap();
        let digest: String = sha2::Sha256::digest(&files[path]).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(a["sha256"].as_str().unwrap(), digest, "sha256 of {path}");
        assert_eq!(a["target"].as_str().unwrap(), host_target());
    }
    let check = run_ok(Command::new("sha256sum").args(["-c", "SHA256SUMS"]).current_dir(out));
    assert_eq!(
        String::from_utf8(check.stdout).unwrap().matches(": OK").count(),
        4,
        "the archive, its SBOMs, the manifest"
    );
    assert_published_release_verifies(out);
    let version = run_ok(Command::new(out.join(host_target()).join("hello")).arg("version"));
    let text = String::from_utf8(version.stdout).unwrap();
    assert!(text.starts_with("hello ") && text.ends_with(&format!(", {})\n", host_target())), "{text}");
    manifest
}

/// A repository at `<tmp>/my repo ünï` (a git checkout) whose module is `-app`,
/// described by `<tmp>/-dist settings.toml`, built into `<tmp>/-out dir é`.
#[test]
fn paths_with_spaces_unicode_and_leading_dashes() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("my repo ünï");
    copy_dir(&workspace().join("app"), &repo.join("-app"));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "app"]);
    git(&repo, &["tag", "v1.2.3"]);
    fs::write(tmp.path().join("-dist settings.toml"), settings_with_dir("my repo ünï/-app")).unwrap();

    // Relative, leading dashes: clap takes such values in the `--opt=value` form.
    let out = tmp.path().join("-out dir é");
    let first = run_ok(
        xtask()
            .args(["dist", "--engine", "host", "--host", "--settings=-dist settings.toml", "--out=-out dir é"])
            .current_dir(tmp.path()),
    );
    let manifest = assert_release(&out);
    assert_eq!(manifest["version"], "1.2.3");
    let commit =
        String::from_utf8(run_ok(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&repo)).stdout).unwrap();
    assert_eq!(manifest["commit"], commit.trim());
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("wrote 4 artifacts (hello 1.2.3, go1.26.8) to -out dir é"), "{stderr}");
    let before = snapshot(&out);

    // The same, as absolute paths in separate arguments: nothing changed, so nothing is rebuilt.
    let second = run_ok(
        xtask()
            .arg("dist")
            .args(["--engine", "host", "--host", "--settings"])
            .arg(tmp.path().join("-dist settings.toml"))
            .arg("--out")
            .arg(&out),
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains(&format!("up to date, reused from {}: {}", out.display(), host_target())), "{stderr}");
    assert!(snapshot(&out) == before, "a no-change run changed the release");
    assert_eq!(leftovers_beside(&out), Vec::<String>::new());
}

/// `--out -x` is read as an unknown option `-x`: refused (clap's usage error,
/// exit 2) naming it, and nothing written. (`--settings -dist.toml` is read as
/// the short options `-d -i …`: clap names `-d`.)
#[test]
fn a_value_with_a_leading_dash_needs_the_equals_form() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, named) in [(["--out", "-x"], "-x"), (["--settings", "-dist.toml"], "-d")] {
        let out = run(xtask().arg("dist").args(args).current_dir(tmp.path()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with(&format!("error: unexpected argument '{named}' found")), "{stderr}");
        let tip = format!(
            "tip: a value that starts with '-' needs the = form: {}={} (or {} ./{})",
            args[0], args[1], args[0], args[1]
        );
        assert!(stderr.contains(&tip), "{stderr}");
    }
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing written");
}

/// `app.dir` is a symlink to the module, which holds symlinks out of the
/// repository. One Go never reads through (`secret.txt -> <tmp>/outside/…`)
/// is harmless: its target changing changes no byte of a fresh build, and the
/// run carries the release over. One Go could read through (`leak -> /etc`, a
/// package directory, a `.go` file) is refused, naming the link and the fix:
/// the Dagger engine could not see its target, and a change there would go unnoticed.
#[test]
fn a_symlinked_app_dir_and_links_out_of_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("modules/hello");
    copy_dir(&workspace().join("app"), &real);
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret.txt"), "s3cret\n").unwrap();
    fs::write(outside.join("extra.go"), "package buildinfo\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), real.join("secret.txt")).unwrap();

    let repo = tmp.path().join("repo");
    fs::create_dir(&repo).unwrap();
    std::os::unix::fs::symlink("../modules/hello", repo.join("app")).unwrap();
    fs::write(repo.join("dist.toml"), settings_with_dir("app")).unwrap();
    let out = repo.join("dist");
    let dist = |args: &[&str], out: &Path| {
        let mut cmd = xtask();
        cmd.args(["dist", "--engine", "host", "--host", "--settings"])
            .arg(repo.join("dist.toml"))
            .arg("--out")
            .arg(out);
        cmd.args(args);
        cmd
    };

    let dry = String::from_utf8(run_ok(&mut dist(&["--dry-run"], &out)).stdout).unwrap();
    let upload = format!("upload:    {} (module .)", fs::canonicalize(&real).unwrap().display());
    assert!(dry.contains(&upload), "the upload is the real module:\n{dry}");

    run_ok(&mut dist(&[], &out));
    assert_release(&out);
    let before = snapshot(&out);

    // Go never reads secret.txt: its target changing changes no byte, so the release is carried over.
    fs::write(outside.join("secret.txt"), "another secret\n").unwrap();
    let stderr = String::from_utf8(run_ok(&mut dist(&[], &out)).stderr).unwrap();
    assert!(stderr.contains(&format!("up to date, reused from {}", out.display())), "{stderr}");
    assert!(snapshot(&out) == before);
    let fresh = tmp.path().join("fresh");
    run_ok(&mut dist(&[], &fresh));
    let fresh = snapshot(&fresh);
    for (name, bytes) in &before {
        assert!(fresh[name] == *bytes, "{name}: a fresh build differs from the release carried over");
    }

    // Links Go could read through are refused, naming the link; nothing is written.
    for (link, to) in [
        (real.join("leak"), Path::new("/etc").to_path_buf()),
        (real.join("internal/outside"), outside.clone()),
        (real.join("internal/buildinfo/extra.go"), outside.join("extra.go")),
    ] {
        std::os::unix::fs::symlink(&to, &link).unwrap();
        let err = run_err(&mut dist(&[], &out));
        assert!(
            err.contains(&format!("{} is a symlink to {}", link.display(), to.display()))
                && err.contains("Copy it in, or make the link relative"),
            "{err}"
        );
        assert!(snapshot(&out) == before, "{} changed the release", link.display());
        fs::remove_file(&link).unwrap();
    }

    // A change in the real module, reached through the symlinked app dir, is seen.
    let main_go = real.join("cmd/hello/main.go");
    fs::write(&main_go, fs::read_to_string(&main_go).unwrap() + "\n// changed\n").unwrap();
    let stderr = String::from_utf8(run_ok(&mut dist(&[], &out)).stderr).unwrap();
    assert!(!stderr.contains("up to date, reused"), "{stderr}");
    assert_release(&out);
    assert_eq!(leftovers_beside(&out), Vec::<String>::new());
}

/// Settings files that are not settings: refused before parsing, naming the file.
#[test]
fn huge_binary_and_non_utf8_settings_files() {
    let p = Project::template();
    let settings = p.path().join("dist.toml");
    let dist = || {
        let mut cmd = p.dist(&["--engine", "host", "--host"]);
        cmd.env("PATH", "/nonexistent"); // refused before any tool is looked for
        cmd
    };

    let good = fs::read_to_string(&settings).unwrap();
    let mut huge = good.clone();
    while huge.len() <= 1 << 20 {
        huge.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    fs::write(&settings, &huge).unwrap();
    let err = run_err(&mut dist());
    assert_eq!(
        err,
        format!(
            "error: {} is {} bytes: a settings file is at most 1 MiB (1048576 bytes); is it the right file?\n",
            settings.display(),
            huge.len()
        )
    );

    let mut binary = good.clone().into_bytes();
    binary.extend_from_slice(b"\x7fELF\x02\x01\x01\x00\x00\x00");
    fs::write(&settings, &binary).unwrap();
    let err = run_err(&mut dist());
    assert!(
        err.starts_with(&format!(
            "error: {} is not a text file (a NUL byte at offset {})",
            settings.display(),
            good.len() + 7
        )),
        "{err}"
    );

    let mut latin1 = good.into_bytes();
    latin1.extend_from_slice(b"# caf\xe9\n");
    fs::write(&settings, &latin1).unwrap();
    let err = run_err(&mut dist());
    assert_eq!(err, format!("error: {} is not UTF-8 text (byte {})\n", settings.display(), latin1.len() - 2));
    assert!(!p.out().exists());
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// A go.mod that needs a newer Go than the toolchain, which may not switch
/// (GOTOOLCHAIN=local): Go's own words, not "no Go toolchain".
#[test]
fn a_go_mod_that_needs_a_newer_go_says_so() {
    let p = Project::template();
    let go_mod = p.path().join("app/go.mod");
    fs::write(&go_mod, fs::read_to_string(&go_mod).unwrap().replace("go 1.26", "go 1.99")).unwrap();
    let err = run_err(&mut p.dist(&["--engine", "host", "--host"]));
    assert!(err.contains("go.mod requires go >= 1.99"), "{err}");
    assert!(err.contains("GOTOOLCHAIN=local"), "{err}");
    assert!(!err.contains("no Go toolchain"), "{err}");
    assert!(!p.out().exists());
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// `go build` for linux/arm64 dies of SIGKILL: the error names the target and
/// the signal, the previous release is untouched, and nothing is left beside it.
#[test]
fn a_go_killed_mid_build_names_the_target() {
    let (p, before) = Project::with_previous_release();
    let path =
        go_wrapper(p.path(), "killer", "if [ \"$GOARCH\" = arm64 ] && [ \"$1\" = build ]; then kill -KILL $$; fi");

    let err = run_err(p.dist(&["--engine", "host", "--target", "linux/amd64,linux/arm64"]).env("PATH", path));
    assert!(err.contains("go build failed for linux/arm64: signal: 9 (SIGKILL)"), "{err}");
    assert!(!err.contains("linux/amd64:"), "{err}");
    assert!(snapshot(&p.out()) == before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}
