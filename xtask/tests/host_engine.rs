//! The host engine end to end: the real xtask binary builds the real app with
//! the host's Go, and every output is checked from the outside.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sha2::Digest;

#[test]
fn builds_every_default_target_with_correct_headers() {
    let p = Project::template();
    run_ok(&mut p.dist(&["--engine", "host"]));
    let out = p.out();
    let files = snapshot(&out);

    let mut expected: Vec<String> = vec!["SHA256SUMS".into(), "manifest.json".into()];
    for t in DEFAULT_TARGETS {
        let (os, arch) = t.split_once('/').unwrap();
        let (exe, ext) = if os == "windows" { ("hello.exe", "zip") } else { ("hello", "tar.gz") };
        expected.push(format!("{t}/{exe}"));
        let archive = format!("hello_0.0.0-dev_{os}_{arch}.{ext}");
        // The template's [sbom]: SPDX and CycloneDX of each archive (tests/supply.rs looks inside).
        expected.extend([format!("{archive}.cdx.json"), format!("{archive}.spdx.json"), archive]);
        assert_eq!(header(&files[&format!("{t}/{exe}")]), expected_header(t), "header of {t}");
    }
    // The template's dist.toml makes an image of the linux targets (tests/images.rs looks inside).
    expected.push("hello_0.0.0-dev_image.tar".into());
    expected.extend(["hello_0.0.0-dev_image.tar.cdx.json".into(), "hello_0.0.0-dev_image.tar.spdx.json".into()]);
    // And its [provenance].
    expected.push("hello_0.0.0-dev.intoto.json".into());
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected, "dist/ holds exactly the release");

    let host = host_target();
    let binary = out.join(&host).join("hello");
    let version = run_ok(Command::new(&binary).arg("version"));
    let text = String::from_utf8(version.stdout).unwrap();
    assert!(text.starts_with("hello 0.0.0-dev (commit unknown, built unknown, go1."), "{text}");
    assert!(text.ends_with(&format!(", {host})\n")), "{text}");
    let json: serde_json::Value =
        serde_json::from_slice(&run_ok(Command::new(&binary).args(["version", "--json"])).stdout).unwrap();
    assert_eq!(format!("{}/{}", json["os"].as_str().unwrap(), json["arch"].as_str().unwrap()), host);

    // Modes: binaries and directories 0755, everything else 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |rel: &str| fs::metadata(out.join(rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("."), 0o755);
        assert_eq!(mode("linux"), 0o755);
        for rel in files.keys() {
            let want = if rel.contains('/') { 0o755 } else { 0o644 };
            assert_eq!(mode(rel), want, "mode of {rel}");
        }
    }

    let check = run_ok(Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(&out));
    let ok_lines = String::from_utf8(check.stdout).unwrap().lines().filter(|l| l.ends_with(": OK")).count();
    assert_eq!(ok_lines, 22, "SHA256SUMS covers every archive, the image, their SBOMs and the manifest");
    let published = assert_published_release_verifies(&out);
    let archives: Vec<&String> = published.iter().filter(|n| n.ends_with(".tar.gz") || n.ends_with(".zip")).collect();
    assert_eq!((published.len(), archives.len()), (24, 6), "{published:?}");

    let manifest = manifest(&out);
    assert_eq!(manifest["generator"], "cargo xtask dist");
    assert_eq!(manifest["engine"], "host");
    assert_eq!(manifest["version"], "0.0.0-dev");
    assert_eq!(manifest["settings"]["app"]["main"], "./cmd/hello");
    assert!(manifest["go_version"].as_str().unwrap().starts_with("go1."));
    let artifacts = manifest["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 27);
    for a in artifacts {
        let path = a["path"].as_str().unwrap();
        let bytes = &files[path];
        assert_eq!(a["size"].as_u64().unwrap(), bytes.len() as u64, "size of {path}");
        let digest: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(a["sha256"].as_str().unwrap(), digest, "sha256 of {path}");
        let target = a["target"].as_str().unwrap();
        match a["kind"].as_str().unwrap() {
            "binary" => assert!(path.starts_with(&format!("{target}/"))),
            "archive" => assert!(path.contains(&target.replace('/', "_"))),
            "sbom" => {
                let describes = a["describes"].as_str().unwrap();
                assert!(path == format!("{describes}.cdx.json") || path == format!("{describes}.spdx.json"), "{path}");
                assert!(
                    files.contains_key(describes)
                        && (describes.contains(&target.replace('/', "_")) || target == "image")
                );
            }
            "image" => {
                assert_eq!((target, path), ("image", "hello_0.0.0-dev_image.tar"));
                assert_eq!(a["image"]["platforms"], serde_json::json!(["linux/amd64", "linux/arm64"]));
            }
            other => panic!("kind {other}"),
        }
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let p = Project::template();
    let (a, b) = (p.path().join("a"), p.path().join("b"));
    run_ok(&mut p.dist_to(&a, &["--engine", "host", "--target", "linux/arm64,windows/amd64,darwin/arm64"]));
    run_ok(&mut p.dist_to(&b, &["--engine", "host", "--target", "linux/arm64,windows/amd64,darwin/arm64"]));
    let (a, b) = (snapshot(&a), snapshot(&b));
    // 3 binaries, 3 archives with 2 SBOMs each, the checksum file, the manifest, the provenance.
    assert_eq!(a.len(), 15);
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs between two builds");
    }
}

#[test]
fn archives_are_sorted_with_fixed_owner_modes_and_times() {
    let p = Project::template();
    let epoch = 1_700_000_000u64;
    run_ok(
        p.dist(&["--engine", "host", "--target", "linux/amd64,windows/arm64"])
            .env("SOURCE_DATE_EPOCH", epoch.to_string()),
    );
    let out = p.out();
    let binary = fs::read(out.join("linux/amd64/hello")).unwrap();
    let readme = fs::read(workspace().join("app/README.md")).unwrap();

    let tgz = fs::read(out.join("hello_0.0.0-dev_linux_amd64.tar.gz")).unwrap();
    assert_eq!(&tgz[4..8], &[0, 0, 0, 0], "gzip header has no timestamp");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(tgz.as_slice()));
    let mut entries = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header().clone();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        assert_eq!((h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap()), (0, 0, epoch), "{name}");
        entries.push((name, h.mode().unwrap(), bytes));
    }
    let names: Vec<(&str, u32)> = entries.iter().map(|(n, m, _)| (n.as_str(), *m)).collect();
    assert_eq!(
        names,
        [
            ("hello_0.0.0-dev_linux_amd64/", 0o755),
            ("hello_0.0.0-dev_linux_amd64/README.md", 0o644),
            ("hello_0.0.0-dev_linux_amd64/hello", 0o755)
        ]
    );
    assert!(entries[1].2 == readme && entries[2].2 == binary, "archive holds the real files");

    let mut zip = zip::ZipArchive::new(fs::File::open(out.join("hello_0.0.0-dev_windows_arm64.zip")).unwrap()).unwrap();
    let mut zipped = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index(i).unwrap();
        let t = f.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()), (2023, 11, 14, 22, 13, 20));
        zipped.push((f.name().to_owned(), f.unix_mode().unwrap() & 0o777));
    }
    assert_eq!(
        zipped,
        [
            ("hello_0.0.0-dev_windows_arm64/".to_owned(), 0o755),
            ("hello_0.0.0-dev_windows_arm64/README.md".to_owned(), 0o644),
            ("hello_0.0.0-dev_windows_arm64/hello.exe".to_owned(), 0o755)
        ]
    );
    let mut exe = Vec::new();
    zip.by_name("hello_0.0.0-dev_windows_arm64/hello.exe").unwrap().read_to_end(&mut exe).unwrap();
    assert_eq!(exe, fs::read(out.join("windows/arm64/hello.exe")).unwrap());

    let mtime = fs::metadata(out.join("linux/amd64/hello")).unwrap().modified().unwrap();
    assert_eq!(mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), epoch);
    assert_eq!(manifest(&out)["date"], "2023-11-14T22:13:20Z");
}

/// Commits the project with a fixed date and tags it; returns the commit hash.
fn commit_and_tag(p: &Project, tag: &str) -> String {
    let git = |args: &[&str]| git_at(p.path(), args);
    git(&["init", "-q"]);
    fs::write(p.path().join(".gitignore"), "/dist/\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "release"]);
    git(&["tag", tag]);
    String::from_utf8(git(&["rev-parse", "HEAD"]).stdout).unwrap().trim().to_owned()
}

#[test]
fn version_stamp_comes_from_git() {
    let p = Project::template();
    let commit = commit_and_tag(&p, "v1.2.3");

    run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let host = host_target();
    let out = run_ok(Command::new(p.out().join(&host).join("hello")).arg("version"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("hello 1.2.3 (commit {commit}, built 2023-11-14T22:13:20Z, go1.")), "{text}");
    let m = manifest(&p.out());
    assert_eq!((m["version"].as_str(), m["commit"].as_str()), (Some("1.2.3"), Some(commit.as_str())));
    assert!(p.out().join(format!("hello_1.2.3_{}.tar.gz", host.replace('/', "_"))).is_file());

    fs::write(p.path().join("app/README.md"), "changed\n").unwrap();
    run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    assert_eq!(manifest(&p.out())["version"], "1.2.3-dirty");
}

#[test]
fn a_compile_error_names_the_target_and_leaves_dist_intact() {
    let (p, before) = Project::with_previous_release();
    fs::write(p.path().join("app/cmd/hello/broken.go"), "package main\n\nfunc broken() {\n\treturn 1\n}\n").unwrap();
    let err = run_err(&mut p.dist(&["--engine", "host", "--target", "linux/arm64"]));
    assert!(err.contains("go build failed for linux/arm64"), "{err}");
    assert!(err.contains("broken.go:4:9: too many return values"), "compiler output shown: {err}");
    assert!(err.contains(&format!("{} is unchanged", p.out().display())), "{err}");
    assert!(snapshot(&p.out()) == before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// Points `go` at a wrapper that always builds for amd64: the release must be refused.
#[test]
fn a_binary_for_the_wrong_cpu_fails_verification() {
    let (p, before) = Project::with_previous_release();
    let path = go_wrapper(p.path(), "forger", "export GOARCH=amd64");

    let err = run_err(p.dist(&["--engine", "host", "--target", "linux/arm64"]).env("PATH", path));
    assert!(
        err.contains(
            "the linux/arm64 binary is Elf X86_64 little-endian, but linux/arm64 needs Elf Aarch64 little-endian"
        ),
        "{err}"
    );
    assert!(snapshot(&p.out()) == before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// SIGINT mid-build: the xtask stops its `go build`s, removes the staging
/// directory and exits 130; a second run meanwhile is refused by the lock.
#[test]
fn an_interrupted_build_leaves_dist_intact() {
    let (p, before) = Project::with_previous_release();
    // A cold build cache keeps the build running long enough to interrupt it.
    let cache = p.path().join("cold-gocache");
    let stderr_file = p.path().join("stderr.txt");
    let mut child = p
        .dist(&["--engine", "host"])
        .env("GOCACHE", &cache)
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr_file).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !fs::read_to_string(&stderr_file).unwrap().contains("  building ") {
        assert!(child.try_wait().unwrap().is_none(), "finished before it could be interrupted");
        assert!(started.elapsed() < Duration::from_secs(120), "no build started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mid_build = [".dist.lock".to_owned(), format!(".dist.staging-{}", child.id())];
    assert_eq!(leftovers_beside(&p.out()), mid_build, "a lock and a staging directory exist mid-build");

    let second = run_err(&mut p.dist(&["--engine", "host"]));
    assert!(second.contains(&format!("another `cargo xtask dist` (pid {}", child.id())), "{second}");

    run_ok(Command::new("kill").args(["-INT", &child.id().to_string()]));
    let status = child.wait().unwrap();
    let stderr = fs::read_to_string(&stderr_file).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains(&format!("error: interrupted; {} is unchanged", p.out().display())), "{stderr}");
    // Give any straggling compiler a moment to (wrongly) write something.
    std::thread::sleep(Duration::from_secs(1));
    assert!(snapshot(&p.out()) == before, "dist/ changed");
    assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
}

/// Go ignores `-X` for a variable that does not exist: a typo in
/// `build.stamp`, or a stamp variable in a package the binary does not import,
/// is refused, naming the key and the symbol, and nothing is written; the
/// default `main.version` of a program that has none, and another `-X` in
/// ldflags that names nothing, are warnings.
#[test]
fn stamp_variables_that_do_not_exist_are_refused() {
    let settings = fs::read_to_string(workspace().join("dist.toml")).unwrap();
    let refused = |settings: &str, want: &str| {
        let p = Project::new(settings);
        fs::create_dir_all(p.path().join("app/internal/unused")).unwrap();
        fs::write(p.path().join("app/internal/unused/unused.go"), "package unused\n\nvar Version string\n").unwrap();
        commit_and_tag(&p, "v3.1.4");
        let err = run_err(&mut p.dist(&["--engine", "host", "--host"]));
        assert!(err.contains(want), "{err}");
        assert!(err.contains("the linker ignores -X for it"), "{err}");
        assert!(!p.out().exists(), "nothing written");
        assert_eq!(leftovers_beside(&p.out()), Vec::<String>::new());
    };
    refused(
        &settings.replace("internal/buildinfo.Version\"", "internal/buildinfo.Versoin\""),
        "`build.stamp.version` names example.com/hello/internal/buildinfo.Versoin, but hello (./cmd/hello) has no such variable",
    );
    refused(
        &settings.replace("internal/buildinfo.Version\"", "internal/unused.Version\""),
        "`build.stamp.version` names example.com/hello/internal/unused.Version, but hello (./cmd/hello) does not import example.com/hello/internal/unused",
    );
    // Not named in dist.toml: the default main.version of a program without one only stamps nothing (said),
    // and another -X that names nothing is said too.
    let with_x = settings.replace("ldflags = [\"-s\", \"-w\"]", "ldflags = [\"-s\", \"-w\", \"-X main.builtBy=ci\"]");
    let defaults = &with_x[..with_x.find("[build.stamp]").unwrap()];
    let p = Project::new(defaults);
    let out = run_ok(&mut p.dist(&["--engine", "host", "--host"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        "warning: `build.stamp.version` (by default) names main.version, but hello (./cmd/hello) has no such variable",
        "or to \"\" to stamp nothing",
        "warning: `build.ldflags` names main.builtBy, but hello (./cmd/hello) has no such variable",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
}

#[test]
fn smoke_runs_what_this_machine_can_and_says_what_it_cannot() {
    let p = Project::template();
    let host = host_target();
    let targets = format!("{host},darwin/arm64,linux/arm64,linux/amd64");
    let out = run_ok(&mut p.dist(&["--engine", "host", "--target", &targets, "--smoke"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("smoke {host}: ran natively: hello 0.0.0-dev (commit unknown")), "{stderr}");
    if !host.starts_with("darwin") {
        assert!(stderr.contains("smoke darwin/arm64: not run: a darwin binary cannot run on"), "{stderr}");
    }
    let foreign = if host == "linux/amd64" { "linux/arm64" } else { "linux/amd64" };
    let qemu = if foreign == "linux/arm64" { "qemu-aarch64" } else { "qemu-x86_64" };
    let registered =
        fs::read_to_string(Path::new("/proc/sys/fs/binfmt_misc").join(qemu)).is_ok_and(|s| s.starts_with("enabled"));
    if registered {
        assert!(stderr.contains(&format!("smoke {foreign}: ran through {qemu}")), "{stderr}");
    } else {
        assert!(stderr.contains(&format!("smoke {foreign}: not run: no qemu-user binfmt entry")), "{stderr}");
    }
}

/// A `go` on PATH that records every command it is asked to run.
fn recording_go(p: &Project) -> (String, std::path::PathBuf) {
    let log = p.path().join("go-calls.txt");
    (go_wrapper(p.path(), "recorder", &format!("echo \"$*\" >> '{}'", log.display())), log)
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

#[test]
#[cfg(unix)]
fn a_run_with_no_change_builds_and_packs_nothing() {
    let p = Project::template();
    let (path, calls) = recording_go(&p);
    run_ok(p.dist(&["--engine", "host"]).env("PATH", &path));
    let before = snapshot(&p.out());
    let archive = p.out().join("hello_0.0.0-dev_linux_amd64.tar.gz");
    let archive_inode = inode(&archive);
    fs::remove_file(&calls).unwrap();

    let out = run_ok(p.dist(&["--engine", "host"]).env("PATH", &path));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("up to date, reused from {}: {}", p.out().display(), DEFAULT_TARGETS.join(" "))),
        "{stderr}"
    );
    let calls = fs::read_to_string(&calls).unwrap_or_default();
    assert!(!calls.lines().any(|l| l.starts_with("build ") || l.starts_with("mod download")), "go ran: {calls}");
    assert!(snapshot(&p.out()) == before, "the release changed");
    assert_eq!(inode(&archive), archive_inode, "the archive was carried over, not written again");

    // A damaged file in the previous release is rebuilt, never carried over.
    fs::write(p.out().join("linux/arm64/hello"), "damaged").unwrap();
    let out = run_ok(p.dist(&["--engine", "host"]).env("PATH", &path));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("  building linux/arm64") && !stderr.contains("  building linux/amd64"), "{stderr}");
    assert!(snapshot(&p.out()) == before, "the rebuilt target has its real bytes again");
}

#[test]
#[cfg(unix)]
fn a_change_only_windows_reads_repacks_only_windows() {
    let p = Project::template();
    p.dir.path().join("app/cmd/hello").exists().then_some(()).unwrap();
    run_ok(&mut p.dist(&["--engine", "host"]));
    let before = snapshot(&p.out());
    let linux_archive = p.out().join("hello_0.0.0-dev_linux_amd64.tar.gz");
    let linux_inode = inode(&linux_archive);

    fs::write(
        p.path().join("app/cmd/hello/extra_windows.go"),
        "package main\n\nvar windowsOnly = \"yes\"\n\nfunc init() { _ = windowsOnly }\n",
    )
    .unwrap();
    let out = run_ok(&mut p.dist(&["--engine", "host"]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let after = snapshot(&p.out());
    for t in DEFAULT_TARGETS {
        let (os, arch) = t.split_once('/').unwrap();
        let ext = if os == "windows" { "zip" } else { "tar.gz" };
        let name = format!("hello_0.0.0-dev_{os}_{arch}.{ext}");
        assert_eq!(before[&name] == after[&name], os != "windows", "{name} changed: {}", os == "windows");
    }
    assert_eq!(inode(&linux_archive), linux_inode, "an unchanged archive is carried over, not packed again");
    assert!(stderr.contains("building windows/amd64"), "{stderr}");
}

/// `--host` (or `--target`) into the default output: the output then holds
/// that target only (said plainly, published files verifying on their own),
/// and the previous release's other targets are kept aside for the next full
/// run, which carries all of them over without running go build.
#[test]
fn a_partial_run_keeps_the_other_targets_for_the_next_full_run() {
    let p = Project::template();
    let (path, calls) = recording_go(&p);
    run_ok(p.dist(&["--engine", "host"]).env("PATH", &path));
    let whole = snapshot(&p.out());
    let host = host_target();

    let out = run_ok(p.dist(&["--engine", "host", "--host"]).env("PATH", &path));
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The image's "target" is `image`: it is kept aside whole, like a target.
    let mut others: Vec<&str> = DEFAULT_TARGETS.iter().copied().filter(|t| *t != host).chain(["image"]).collect();
    others.sort();
    assert!(
        stderr.contains(&format!(
            "{} now holds {host} only (--host): a partial release, not for publishing; the previous release's {} are kept in {} for the next full run",
            p.out().display(),
            others.join(" "),
            p.out().join(".held").display()
        )),
        "{stderr}"
    );
    let m = manifest(&p.out());
    assert_eq!(m["partial"], true);
    let targets: Vec<&str> = m["artifacts"].as_array().unwrap().iter().map(|a| a["target"].as_str().unwrap()).collect();
    assert!(targets.iter().all(|t| *t == host), "{targets:?}");
    let published = assert_published_release_verifies(&p.out());
    assert_eq!(
        published.len(),
        6,
        "one archive, its 2 SBOMs, the checksum file, the manifest, the provenance: {published:?}"
    );
    let held = snapshot(&p.out().join(".held"));
    // Each target's binary, archive and 2 SBOMs, and the image archive and its 2 SBOMs.
    let held_files = 4 * (others.len() - 1) + 3;
    assert_eq!(held.len(), held_files);
    for (name, bytes) in &held {
        assert!(whole[name] == *bytes, ".held/{name} is the previous release's file");
    }

    // Again partial: the held targets stay.
    run_ok(p.dist(&["--engine", "host", "--target", &host]).env("PATH", &path));
    assert_eq!(snapshot(&p.out().join(".held")).len(), held_files);

    // A full run: everything carried over, nothing held, the same release as before.
    fs::remove_file(&calls).unwrap();
    let out = run_ok(p.dist(&["--engine", "host"]).env("PATH", &path));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("up to date, reused from {}: {}", p.out().display(), DEFAULT_TARGETS.join(" "))),
        "{stderr}"
    );
    let calls = fs::read_to_string(&calls).unwrap_or_default();
    assert!(!calls.lines().any(|l| l.starts_with("build ")), "go build ran: {calls}");
    assert!(snapshot(&p.out()) == whole, "the full release is back, byte for byte");
    assert!(!p.out().join(".held").exists());

    // Every target named one by one is the whole release, not a partial one.
    let out = run_ok(p.dist(&["--engine", "host", "--target", &DEFAULT_TARGETS.join(",")]).env("PATH", &path));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("partial"));
    assert!(manifest(&p.out()).get("partial").is_none());
    assert!(snapshot(&p.out()) == whole);
}

/// `--verbose` on the host engine prints each go command it runs with the
/// environment the plan gives it; the caller's download settings, which may
/// hold credentials, by name only. Without it, none of these lines.
#[test]
fn verbose_prints_every_go_command_and_no_credential() {
    let p = Project::template();
    let host = host_target();
    let (os, arch) = host.split_once('/').unwrap();
    let mut cmd = p.dist(&["--engine", "host", "--host", "--verbose"]);
    // Unvendored, with no dependencies: `go mod download` runs and needs no proxy.
    cmd.env("PATH", path_with_pinned_go()).env("GOPROXY", "https://user:s3cret@proxy.invalid");
    let out = run_ok(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let neutral = "CGO_ENABLED=0 GOENV=off GOFLAGS= GOTOOLCHAIN=local GOWORK=off";
    let lines: Vec<&str> = stderr.lines().collect();
    let has = |want: &str| lines.contains(&want);
    assert!(has("  GOTOOLCHAIN=local go env GOCACHE GOMODCACHE GOPATH"), "{stderr}");
    assert!(has("  GOENV=off GOFLAGS= GOTOOLCHAIN=local GOWORK=off go tool dist list"), "{stderr}");
    assert!(has(&format!("  {neutral} go env GOVERSION")), "{stderr}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("  {neutral} go mod download (with the caller's GOPROXY"))
            && l.ends_with("; values not shown)")),
        "{stderr}"
    );
    let build = lines
        .iter()
        .find(|l| l.starts_with(&format!("  GOOS={os} GOARCH={arch} {neutral} go build -trimpath -buildvcs=false ")))
        .unwrap_or_else(|| panic!("no go build line:\n{stderr}"));
    let staging = format!(" -o {}/.dist.staging-", p.path().display());
    assert!(build.contains(&staging) && build.ends_with(&format!("/release/{host}/hello ./cmd/hello")), "{build}");
    assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret"), "{stdout}\n{stderr}");

    fs::remove_dir_all(p.out()).unwrap(); // So that it builds again.
    let quiet = run_ok(p.dist(&["--engine", "host", "--host"]).env("PATH", path_with_pinned_go()));
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains(" go "), "go commands are shown with --verbose only:\n{stderr}");
}

/// Go prints file positions relative to the module, where it runs; the user
/// stands elsewhere (at the repository root, usually): compiler, vet and gofmt
/// output names the files relative to the directory the command started in.
#[test]
fn file_positions_are_relative_to_where_the_user_stands() {
    let p = Project::template();
    let docs = p.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(p.path().join("app/cmd/hello/broken.go"), "package main\n\nfunc broken() {\n\treturn 1\n}\n").unwrap();
    let at = |dir: &Path, args: &[&str]| {
        let mut cmd = xtask();
        cmd.args(args).arg("--settings").arg(p.path().join("dist.toml")).current_dir(dir);
        cmd
    };
    let starts_a_line = |err: &str, want: &str| err.lines().any(|l| l.starts_with(want));
    let dist = ["dist", "--engine", "host", "--host", "--out", "dist"];

    let err = run_err(&mut at(p.path(), &dist));
    assert!(starts_a_line(&err, "app/cmd/hello/broken.go:4:9: too many return values"), "{err}");
    let err = run_err(&mut at(&docs, &dist));
    assert!(starts_a_line(&err, "../app/cmd/hello/broken.go:4:9: too many return values"), "{err}");

    let test = ["test", "--engine", "host"];
    let err = run_err(&mut at(&docs, &test));
    assert!(err.contains("`go vet ./...` failed"), "{err}");
    assert!(starts_a_line(&err, "vet: ../app/cmd/hello/broken.go:4:9: too many return values"), "{err}");
    fs::write(p.path().join("app/cmd/hello/broken.go"), "package main\n\nfunc  broken() {}\n").unwrap();
    let err = run_err(&mut at(&docs, &test));
    assert!(
        err.contains("gofmt: these files are not formatted (run `gofmt -w` on them):\n../app/cmd/hello/broken.go\n"),
        "{err}"
    );
}

/// `--go-cache DIR` on the host engine: Go's caches are `DIR/build` and `DIR/mod` (what a CI cache
/// step saves), and the bytes are those of a build with the caller's caches.
#[test]
fn go_cache_dir_holds_the_host_engines_go_caches() {
    let p = Project::template();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("go");
    let out = p.path().join("cached");
    let args = ["--engine", "host", "--target", &host_target(), "--go-cache", cache.to_str().unwrap()];
    run_ok(&mut p.dist_to(&out, &args));
    // Go writes a README into a build cache it starts, and its entries into subdirectories 00..ff.
    assert!(cache.join("build/README").is_file(), "no Go build cache in {}", cache.display());
    let entries: usize = fs::read_dir(cache.join("build"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|d| fs::read_dir(d).unwrap().count())
        .sum();
    assert!(
        entries > 100,
        "{entries} cache entries in {}/build: the standard library was built elsewhere",
        cache.display()
    );
    run_ok(&mut p.dist(&["--engine", "host", "--target", &host_target()]));
    let binary = format!("{}/hello", host_target());
    assert!(fs::read(out.join(&binary)).unwrap() == fs::read(p.out().join(&binary)).unwrap());
}
