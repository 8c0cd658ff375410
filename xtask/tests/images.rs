//! Container images (issue 18): a real-looking Go repository adopted as the README says, with two
//! `[[images]]`; the OCI archives `cargo xtask dist` writes are read by the tools registries and
//! runtimes use (skopeo, umoci), their binaries run, and their bytes are the same on a second run.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{json, Value};
use sha2::Digest;

const SETTINGS: &str = r#"[app]
dir = "."
name = "tool"

[[binaries]]
main = "./cmd/tool"

[[binaries]]
main = "./cmd/toolctl"

[targets]
list = ["linux/amd64", "linux/arm64", "linux/arm/v6", "windows/amd64"]

[[images]]
name = "ghcr.io/acme/tool"
binary = "tool"
cmd = ["serve"]
ports = ["8080", "9090/udp"]
env = { TOOL_MODE = "container" }
files = [{ src = "packaging/config.toml", dst = "/etc/tool/config.toml" }]
labels = { "org.opencontainers.image.licenses" = "MIT", "com.example.commit" = "{{ .ShortCommit }}" }
tags = ["{{ .Version }}", "latest"]

[[images]]
name = "ghcr.io/acme/toolctl"
binary = "toolctl"
platforms = ["linux/arm64"]
ca_certificates = false
tzdata = false
user = "0:0"
file_name = "{{ .ProjectName }}ctl_{{ .Version }}_image"
"#;

const TOOL_IMAGE: &str = "tool_1.4.2_image.tar";
const TOOLCTL_IMAGE: &str = "toolctl_1.4.2_image.tar";

fn text(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).unwrap()
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&text(cmd)).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The fixture, adopted, its origin a GitLab CI checkout's (a job token in the URL), tagged v1.4.2.
fn adopted() -> Repo {
    let repo = Repo::new();
    repo.write("packaging/config.toml", "# tool's settings\nlevel = 1\n");
    repo.adopt(SETTINGS);
    repo.commit_all("cargo xtask adopt");
    repo.git(&["remote", "add", "origin", "https://gitlab-ci-token:glcbt-SECRET@gitlab.example.com/acme/tool.git"]);
    repo.git(&["tag", "v1.4.2"]);
    repo
}

fn dist(repo: &Repo, out: &Path) -> String {
    let mut cmd = repo.xtask(&["dist", "--engine", "host", "--out", out.to_str().unwrap()]);
    String::from_utf8(run_ok(cmd.env("PATH", path_with_pinned_go())).stderr).unwrap()
}

/// `skopeo inspect ARGS oci-archive:FILE`.
fn skopeo(archive: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("skopeo");
    cmd.arg("inspect").args(args).arg(format!("oci-archive:{}", archive.display()));
    cmd
}

/// Each platform's image unpacked by umoci (the layout's index.json pointed at its manifest, as a
/// single-platform layout would be): (platform, bundle directory).
fn unpack(archive: &Path, work: &Path) -> Vec<(String, PathBuf)> {
    let layout = work.join("layout");
    fs::create_dir_all(&layout).unwrap();
    run_ok(Command::new("tar").arg("-xf").arg(archive).arg("-C").arg(&layout));
    let top: Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let blob = |digest: &str| fs::read(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap();
    let index: Value = serde_json::from_slice(&blob(top["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let mut out = Vec::new();
    for m in index["manifests"].as_array().unwrap() {
        let p = &m["platform"];
        let name = [p["os"].as_str(), p["architecture"].as_str(), p["variant"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        let tag = name.replace('/', "-");
        let mut one = m.clone();
        one["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
        fs::write(layout.join("index.json"), json!({ "schemaVersion": 2, "manifests": [one] }).to_string()).unwrap();
        let bundle = work.join(&tag);
        run_ok(
            Command::new("umoci").arg("unpack").arg("--image").arg(format!("{}:{tag}", layout.display())).arg(&bundle),
        );
        out.push((name, bundle));
    }
    out
}

fn mode(path: &Path) -> (u32, u32, u32) {
    let m = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.permissions().mode() & 0o7777, m.uid(), m.gid())
}

#[test]
#[ignore = "heavy: builds a Go repository for 4 targets; needs skopeo and umoci (.ci/run installs them)"]
fn an_adopted_repository_ships_multi_platform_images_that_skopeo_and_umoci_read() {
    let repo = adopted();
    let out = repo.out();
    let said = dist(&repo, &out);
    let commit = String::from_utf8(repo.git(&["rev-parse", "HEAD"]).stdout).unwrap().trim().to_owned();
    let date = manifest(&out)["date"].as_str().unwrap().to_owned();
    let release = snapshot(&out);
    for (name, bytes) in &release {
        assert!(!String::from_utf8_lossy(bytes).contains("glcbt-SECRET"), "{name} holds the job token:\n{said}");
    }
    let check = text(Command::new("sha256sum").args(["-c", "SHA256SUMS"]).current_dir(&out));
    for image in [TOOL_IMAGE, TOOLCTL_IMAGE] {
        assert!(check.contains(&format!("{image}: OK")), "{check}");
    }

    // The index: every platform, its digest the manifest's, its annotations from the stamp.
    let tool = out.join(TOOL_IMAGE);
    let raw = run_ok(&mut skopeo(&tool, &["--raw"])).stdout;
    let index: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    let platforms: BTreeSet<String> =
        index["manifests"].as_array().unwrap().iter().map(|m| m["platform"].to_string()).collect();
    let want: BTreeSet<String> = [
        json!({"architecture": "amd64", "os": "linux"}),
        json!({"architecture": "arm64", "os": "linux"}),
        json!({"architecture": "arm", "os": "linux", "variant": "v6"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect();
    assert_eq!(platforms, want);
    let artifact =
        manifest(&out)["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == TOOL_IMAGE).unwrap().clone();
    assert_eq!(artifact["kind"], "image");
    assert_eq!(artifact["image"]["digest"].as_str().unwrap(), format!("sha256:{}", sha256(&raw)));
    assert_eq!(artifact["image"]["repository"], "ghcr.io/acme/tool");
    assert_eq!(artifact["image"]["tags"], json!(["1.4.2", "latest"]));
    let source = "https://gitlab.example.com/acme/tool";
    assert_eq!(index["annotations"]["org.opencontainers.image.source"], source);
    assert_eq!(index["annotations"]["org.opencontainers.image.revision"], commit.as_str());

    // One platform's config, as a runtime reads it.
    let arm = json_of(&mut skopeo(&tool, &["--override-arch", "arm", "--override-variant", "v6", "--config"]));
    assert_eq!((arm["architecture"].as_str(), arm["variant"].as_str()), (Some("arm"), Some("v6")));
    assert_eq!(arm["created"], date.as_str());
    let c = &arm["config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["Entrypoint"], json!(["/usr/local/bin/tool"]));
    assert_eq!(c["Cmd"], json!(["serve"]));
    assert_eq!(c["ExposedPorts"], json!({"8080/tcp": {}, "9090/udp": {}}));
    assert!(c["Env"].as_array().unwrap().contains(&json!("TOOL_MODE=container")), "{c}");
    let labels = &c["Labels"];
    assert_eq!(labels["org.opencontainers.image.version"], "1.4.2");
    assert_eq!(labels["org.opencontainers.image.created"], date.as_str());
    assert_eq!(labels["org.opencontainers.image.source"], source);
    assert_eq!(labels["org.opencontainers.image.licenses"], "MIT");
    assert_eq!(labels["com.example.commit"], &commit[..7]);

    // Each platform unpacked: the binary (our bytes, root-owned, 0755), the CA bundle, the zones, the file.
    let work = tempfile::tempdir().unwrap();
    let unpacked = unpack(&tool, work.path());
    assert_eq!(unpacked.len(), 3);
    for (platform, bundle) in &unpacked {
        let root = bundle.join("rootfs");
        let binary = root.join("usr/local/bin/tool");
        assert_eq!(mode(&binary), (0o755, 0, 0), "{platform}");
        let target = platform.clone();
        assert!(fs::read(&binary).unwrap() == fs::read(out.join(&target).join("tool")).unwrap(), "{platform}");
        assert_eq!(mode(&root.join("tmp")), (0o1777, 0, 0));
        assert_eq!(fs::read_to_string(root.join("etc/tool/config.toml")).unwrap(), "# tool's settings\nlevel = 1\n");
        assert_eq!(mode(&root.join("etc/tool/config.toml")), (0o644, 0, 0));
        let config: Value = serde_json::from_slice(&fs::read(bundle.join("config.json")).unwrap()).unwrap();
        assert_eq!(config["process"]["user"], json!({"uid": 65532, "gid": 65532}));
        assert_eq!(config["process"]["args"], json!(["/usr/local/bin/tool", "serve"]));
        assert!(fs::read_to_string(root.join("etc/passwd")).unwrap().contains(":65532:65532:"));
    }
    let (_, amd64) = unpacked.iter().find(|(p, _)| p == "linux/amd64").unwrap();
    let root = amd64.join("rootfs");
    let version = text(Command::new(root.join("usr/local/bin/tool")).arg("version"));
    assert_eq!(version, format!("tool 1.4.2 (commit {commit}, built {date}, go1.26.8, linux/amd64)\n"));
    // The CA bundle and the zones load in another TLS stack and another time zone reader than ours.
    let py = format!(
        "import ssl, zoneinfo\n\
         c = ssl.create_default_context(cafile='{root}/etc/ssl/certs/ca-certificates.crt')\n\
         n = c.cert_store_stats()['x509_ca']\n\
         assert n > 100, n\n\
         zoneinfo.reset_tzpath(['{root}/usr/share/zoneinfo'])\n\
         z = zoneinfo.ZoneInfo('America/Argentina/Buenos_Aires')\n\
         import datetime\n\
         print(n, datetime.datetime(2026, 1, 1, tzinfo=z).utcoffset())\n",
        root = root.display()
    );
    let printed = text(Command::new("python3").arg("-c").arg(&py));
    assert!(printed.trim_end().ends_with("-1 day, 21:00:00"), "{printed}");

    // The second image: one platform, none of the optional files, root.
    let ctl = unpack(&out.join(TOOLCTL_IMAGE), &work.path().join("ctl"));
    assert_eq!(ctl.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["linux/arm64"]);
    let root = ctl[0].1.join("rootfs");
    assert_eq!(mode(&root.join("usr/local/bin/toolctl")), (0o755, 0, 0));
    assert!(!root.join("etc/ssl").exists() && !root.join("usr/share/zoneinfo").exists());
    let config: Value = serde_json::from_slice(&fs::read(ctl[0].1.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["process"]["user"], json!({"uid": 0, "gid": 0}));

    // Reproducible: another output, the same bytes.
    let again = repo.path().join("again");
    dist(&repo, &again);
    let second = snapshot(&again);
    for image in [TOOL_IMAGE, TOOLCTL_IMAGE] {
        assert!(second[image] == release[image], "{image} differs between two runs");
    }

    // A run with nothing changed carries both over (hard links to the same files).
    let inode = |name: &str| fs::metadata(out.join(name)).unwrap().ino();
    let inodes = (inode(TOOL_IMAGE), inode(TOOLCTL_IMAGE));
    dist(&repo, &out);
    assert_eq!((inode(TOOL_IMAGE), inode(TOOLCTL_IMAGE)), inodes, "both images are carried over");
}

/// GoReleaser's `kos:` as a project writes it, for the fixture's `tool` build.
const KOS_YML: &str = r#"kos:
  - id: tool-image
    build: tool
    main: ./cmd/tool
    base_image: cgr.dev/chainguard/static
    repositories: [ghcr.io/acme/tool]
    bare: true
    tags: ["{{ .Version }}", latest]
    platforms: [linux/amd64, linux/arm64]
    labels:
      org.opencontainers.image.licenses: MIT
"#;

/// The README's way in for a ko user: `adopt` imports `kos:` into `[[images]]` (the static base
/// becomes scratch with CA certificates and time zones, said), and `cargo xtask dist` makes the image.
#[test]
#[ignore = "heavy: builds a Go repository for 9 targets; needs skopeo (.ci/run installs it)"]
fn a_goreleaser_kos_section_is_adopted_as_an_image() {
    let repo = Repo::new();
    repo.write(".goreleaser.yml", &GORELEASER_YML.replace("checksum:\n", &format!("{KOS_YML}checksum:\n")));
    repo.commit_all("ko");
    let said = String::from_utf8(run_ok(&mut repo.adopt_cmd(&[])).stderr).unwrap();
    assert!(said.contains("written    dist.toml (by init, from .goreleaser.yml)"), "{said}");
    let settings = fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert!(settings.contains("[[images]]") && settings.contains("name = \"ghcr.io/acme/tool\""), "{settings}");
    assert!(settings.contains("cgr.dev/chainguard/static"), "the base's conversion is said:\n{settings}");
    repo.link_xtask();
    repo.commit_all("cargo xtask adopt");
    repo.git(&["tag", "v2.0.0"]);
    dist(&repo, &repo.out());
    let archive = repo.out().join("tool_2.0.0_image.tar");
    let image = manifest(&repo.out())["artifacts"].as_array().unwrap().iter().find(|a| a["kind"] == "image").unwrap()
        ["image"]
        .clone();
    assert_eq!(image["repository"], "ghcr.io/acme/tool");
    assert_eq!(image["tags"], json!(["2.0.0", "latest"]));
    assert_eq!(image["platforms"], json!(["linux/amd64", "linux/arm64"]));
    let config = json_of(&mut skopeo(&archive, &["--override-arch", "arm64", "--config"]));
    assert_eq!(config["config"]["Entrypoint"], json!(["/usr/local/bin/tool"]));
    assert_eq!(config["config"]["Labels"]["org.opencontainers.image.licenses"], "MIT");
    assert_eq!(config["architecture"], "arm64");
}

/// `cargo xtask push` (README): every image of the release, to a registry that asks for a login, under
/// each of its tags, the digest the one manifest.json records; the password never printed; a second
/// push uploads nothing new; a dirty release is refused.
#[test]
#[ignore = "heavy: builds a Go repository for 4 targets; needs docker-registry, htpasswd and skopeo (.ci/run installs them)"]
fn push_puts_every_image_in_a_registry_under_its_digest() {
    let repo = adopted();
    let out = repo.out();
    dist(&repo, &out);
    let registry = LocalRegistry::start("ci", "s3cret-pass");
    let push = |env: &[(&str, &str)]| {
        let mut cmd = repo.xtask(&["push", "--registry", &registry.addr]);
        cmd.env_remove("XTASK_REGISTRY_USERNAME").env_remove("XTASK_REGISTRY_PASSWORD");
        cmd.env("DOCKER_CONFIG", repo.path().join("no-docker-config"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    };

    let err = run_err(&mut push(&[]));
    assert!(err.contains("the registry asks for credentials: set XTASK_REGISTRY_USERNAME"), "{err}");
    // Credentials named for another registry are not sent to this one.
    let elsewhere =
        [("XTASK_REGISTRY", "ghcr.io"), ("XTASK_REGISTRY_USERNAME", "ci"), ("XTASK_REGISTRY_PASSWORD", "s3cret-pass")];
    let err = run_err(&mut push(&elsewhere));
    assert!(err.contains("the registry asks for credentials"), "{err}");
    let wrong = run_err(&mut push(&[("XTASK_REGISTRY_USERNAME", "ci"), ("XTASK_REGISTRY_PASSWORD", "nope")]));
    assert!(
        wrong.contains("401 Unauthorized") && wrong.contains("it refused the credentials (XTASK_REGISTRY_USERNAME"),
        "{wrong}"
    );

    let login = [("XTASK_REGISTRY_USERNAME", "ci"), ("XTASK_REGISTRY_PASSWORD", "s3cret-pass")];
    let said = String::from_utf8(run_ok(&mut push(&login)).stderr).unwrap();
    assert!(!said.contains("s3cret-pass"), "{said}");
    let m = manifest(&out);
    for a in m["artifacts"].as_array().unwrap().iter().filter(|a| a["kind"] == "image") {
        let image = &a["image"];
        let path = image["repository"].as_str().unwrap().split_once('/').unwrap().1.to_owned();
        for tag in image["tags"].as_array().unwrap() {
            let raw = registry.inspect(&format!("{path}:{}", tag.as_str().unwrap()), &["--raw"]);
            assert_eq!(format!("sha256:{}", sha256(&raw)), image["digest"].as_str().unwrap(), "{path}:{tag}");
        }
        let digest = image["digest"].as_str().unwrap();
        assert!(said.contains(&format!("pushed {}/{path}", registry.addr)) && said.contains(digest), "{said}");
    }
    // Pulled back by digest, one platform's config is the one built.
    let tool = m["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == TOOL_IMAGE).unwrap()["image"].clone();
    let by_digest = format!("acme/tool@{}", tool["digest"].as_str().unwrap());
    let config: Value =
        serde_json::from_slice(&registry.inspect(&by_digest, &["--override-arch", "arm64", "--config"])).unwrap();
    assert_eq!(config["config"]["Entrypoint"], json!(["/usr/local/bin/tool"]));
    assert_eq!(config["architecture"], "arm64");

    // Docker's config.json (what `docker login` writes) serves as well; everything is there already.
    let docker = repo.path().join("docker-config");
    fs::create_dir_all(&docker).unwrap();
    let auth = base64_of("ci:s3cret-pass");
    fs::write(docker.join("config.json"), json!({ "auths": { registry.addr.clone(): { "auth": auth } } }).to_string())
        .unwrap();
    let again = String::from_utf8(run_ok(push(&[]).env("DOCKER_CONFIG", &docker)).stderr).unwrap();
    let lines: Vec<&str> = again.lines().filter(|l| l.contains("pushed ")).collect();
    assert!(lines.len() == 2 && lines.iter().all(|l| l.contains("; uploaded 0 of ")), "{again}");

    // A dirty tree's build is never pushed.
    repo.write("README.md", "# tool, edited\n");
    dist(&repo, &out);
    let dirty = run_err(&mut push(&login));
    assert!(dirty.contains("built from a tree with uncommitted changes"), "{dirty}");
}

fn base64_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in");
    fs::write(&file, text).unwrap();
    String::from_utf8(run_ok(Command::new("base64").arg("-w0").arg(&file)).stdout).unwrap()
}

/// An image on a base image pinned by digest (here: the first fixture's image, pushed to a local
/// registry with a login): the base's layers come first, its files, environment, ports and labels
/// stay unless the settings say otherwise, its history is kept; once its blobs are in the cache, a
/// run needs no registry; the same bytes every time. A base that is not pinned is refused.
#[test]
#[ignore = "heavy: builds two Go repositories; needs docker-registry, htpasswd, skopeo and umoci (.ci/run installs them)"]
fn an_image_on_a_pinned_base_image_keeps_the_base_and_needs_the_registry_once() {
    let registry = LocalRegistry::start("ci", "s3cret-pass");
    let login = [("XTASK_REGISTRY_USERNAME", "ci"), ("XTASK_REGISTRY_PASSWORD", "s3cret-pass")];
    let base_repo = adopted();
    dist(&base_repo, &base_repo.out());
    run_ok(base_repo.xtask(&["push", "--registry", &registry.addr]).envs(login));
    let base_digest =
        manifest(&base_repo.out())["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == TOOL_IMAGE).unwrap()
            ["image"]["digest"]
            .as_str()
            .unwrap()
            .to_owned();
    let base = format!("{}/acme/tool:1.4.2@{base_digest}", registry.addr);

    let repo = Repo::new();
    let settings = |base: &str| {
        format!(
            "[app]\ndir = \".\"\nname = \"ctl\"\n[[binaries]]\nmain = \"./cmd/toolctl\"\n[targets]\nlist = [\"linux/amd64\", \"linux/arm64\"]\n\
             [[images]]\nname = \"ghcr.io/acme/ctl\"\nbase = \"{base}\"\nenv = {{ EXTRA = \"1\" }}\n"
        )
    };
    repo.adopt(&settings(&base));
    repo.commit_all("on a base");
    repo.git(&["tag", "v3.0.0"]);
    // Its own cache of base blobs (and Go's usual build cache, which XDG_CACHE_HOME would move).
    let cache = repo.path().join("cache");
    let gocache = text(Command::new(pinned_go()).args(["env", "GOCACHE"])).trim().to_owned();
    let run = |out: &Path| {
        let mut cmd = repo.xtask(&["dist", "--engine", "host", "--out", out.to_str().unwrap()]);
        cmd.env("PATH", path_with_pinned_go()).env("XDG_CACHE_HOME", &cache).env("GOCACHE", &gocache).envs(login);
        cmd.env("DOCKER_CONFIG", repo.path().join("no-docker-config"));
        cmd
    };
    let out = repo.out();
    // The push credentials are not a base image's unless XTASK_REGISTRY names its registry.
    let err = run_err(&mut run(&out));
    assert!(err.contains("the registry asks for credentials"), "{err}");
    let addr = registry.addr.clone();
    let run = |out: &Path| {
        let mut cmd = run(out);
        cmd.env("XTASK_REGISTRY", &addr);
        cmd
    };
    run_ok(&mut run(&out));
    let archive = out.join("ctl_3.0.0_image.tar");
    let raw = run_ok(&mut skopeo(&archive, &["--raw"])).stdout;
    assert_eq!(
        format!("sha256:{}", sha256(&raw)),
        manifest(&out)["artifacts"].as_array().unwrap().iter().find(|a| a["kind"] == "image").unwrap()["image"]
            ["digest"]
            .as_str()
            .unwrap()
    );

    let config = json_of(&mut skopeo(&archive, &["--override-arch", "amd64", "--config"]));
    let c = &config["config"];
    assert_eq!(c["Entrypoint"], json!(["/usr/local/bin/toolctl"]));
    assert!(c.get("Cmd").is_none(), "the base's cmd goes with its entrypoint: {c}");
    let env = c["Env"].as_array().unwrap();
    assert!(env.contains(&json!("TOOL_MODE=container")) && env.contains(&json!("EXTRA=1")), "{c}");
    assert_eq!(c["ExposedPorts"], json!({"8080/tcp": {}, "9090/udp": {}}));
    // The base's OCI labels describe the base: none is carried over (its source, its licenses).
    assert_eq!(c["Labels"]["org.opencontainers.image.version"], "3.0.0");
    assert!(c["Labels"].get("org.opencontainers.image.licenses").is_none(), "{c}");
    assert!(c["Labels"].get("org.opencontainers.image.source").is_none(), "this repository has no origin: {c}");
    let base_config =
        json_of(&mut skopeo(&base_repo.out().join(TOOL_IMAGE), &["--override-arch", "amd64", "--config"]));
    let ids = config["rootfs"]["diff_ids"].as_array().unwrap();
    let base_ids = base_config["rootfs"]["diff_ids"].as_array().unwrap();
    assert_eq!((ids.len(), &ids[..2]), (3, &base_ids[..]), "the base's two layers, then the binary's (no files layer)");
    assert_eq!(config["history"].as_array().unwrap().len(), 3);

    let work = tempfile::tempdir().unwrap();
    let unpacked = unpack(&archive, work.path());
    let (_, amd64) = unpacked.iter().find(|(p, _)| p == "linux/amd64").unwrap();
    let root = amd64.join("rootfs");
    assert_eq!(mode(&root.join("usr/local/bin/toolctl")), (0o755, 0, 0));
    assert!(root.join("usr/local/bin/tool").is_file(), "the base's binary");
    assert!(root.join("etc/ssl/certs/ca-certificates.crt").is_file() && root.join("etc/tool/config.toml").is_file());
    let version = text(Command::new(root.join("usr/local/bin/toolctl")).arg("version"));
    assert!(version.starts_with("toolctl 3.0.0 (commit "), "{version}");

    // The registry gone: the cached base serves, the same bytes.
    drop(registry);
    let again = repo.path().join("again");
    run_ok(&mut run(&again));
    assert!(fs::read(again.join("ctl_3.0.0_image.tar")).unwrap() == fs::read(&archive).unwrap());

    // A base by tag only is refused before anything is built.
    repo.write("dist.toml", &settings("127.0.0.1:1/acme/tool:1.4.2"));
    let err = run_err(&mut run(&repo.path().join("refused")));
    assert!(err.contains("must be \"scratch\" or an image pinned by digest"), "{err}");
}
