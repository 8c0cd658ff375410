//! Linux packages (issue 16): a repository whose `.goreleaser.yml` has `nfpms:`, adopted as the README
//! says, then `cargo xtask dist`; every package is read by its distribution's own tools (dpkg-deb,
//! lintian, rpm, rpmlint; go-apk, the Go apk that apko installs with) and set beside GoReleaser's.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use sha1::Digest;

/// Per target: the arch in the file name, then Debian's, rpm's and Alpine's name for it.
const ARCHES: [(&str, &str, &str, &str, &str); 4] = [
    ("linux/386", "386", "i386", "i386", "x86"),
    ("linux/amd64", "amd64", "amd64", "x86_64", "x86_64"),
    ("linux/arm/v6", "armv6", "armhf", "armv6hl", "armhf"),
    ("linux/arm64", "arm64", "arm64", "aarch64", "aarch64"),
];

const FORMATS: [&str; 3] = ["apk", "deb", "rpm"];

fn file(arch: &str, format: &str) -> String {
    format!("tool_1.4.2_linux_{arch}.{format}")
}

fn text(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd.env("TZ", "UTC").env("LC_ALL", "C")).stdout).unwrap()
}

/// The repository with packages, adopted (dist.toml by init from its .goreleaser.yml), tagged v1.4.2.
fn adopted() -> Repo {
    let repo = Repo::with_packages();
    let said = String::from_utf8(run_ok(&mut repo.adopt_cmd(&[])).stderr).unwrap();
    assert!(said.contains("written    dist.toml (by init, from .goreleaser.yml)"), "{said}");
    assert!(!said.contains("not imported: nfpms"), "every nfpms key of the fixture is imported:\n{said}");
    repo.link_xtask();
    repo.commit_all("cargo xtask adopt");
    repo.git(&["tag", "v1.4.2"]);
    repo
}

fn dist(repo: &Repo, out: &Path) -> String {
    let mut cmd = repo.xtask(&["dist", "--engine", "host", "--out", out.to_str().unwrap()]);
    String::from_utf8(run_ok(cmd.env("PATH", path_with_pinned_go())).stderr).unwrap()
}

/// `dpkg-deb -c` as (mode, owner, mtime, path, link) lines.
fn deb_listing(deb: &Path) -> Vec<String> {
    text(Command::new("dpkg-deb").arg("-c").arg(deb))
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let mut line = format!("{} {} {} {} {}", f[0], f[1], f[3], f[4], f[5]);
            if f.len() > 6 {
                line += &format!(" {}", f[6..].join(" "));
            }
            line
        })
        .collect()
}

/// An apk read as apk reads it: its gzip members as one tar stream. `.PKGINFO` and
/// every entry as "type mode owner name [-> link]".
fn apk_listing(apk: &[u8]) -> (String, Vec<String>) {
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(apk).read_to_end(&mut plain).unwrap();
    let mut archive = tar::Archive::new(plain.as_slice());
    let (mut pkginfo, mut entries) = (String::new(), Vec::new());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let h = e.header();
        let mut line = format!(
            "{:?} {:o} {}:{} {name}",
            h.entry_type(),
            h.mode().unwrap(),
            h.username().unwrap().unwrap_or(""),
            h.groupname().unwrap().unwrap_or("")
        );
        if let Some(link) = e.link_name().unwrap() {
            line += &format!(" -> {}", link.display());
        }
        if name == ".PKGINFO" {
            e.read_to_string(&mut pkginfo).unwrap();
        } else if !name.starts_with('.') {
            entries.push(line);
        }
    }
    (pkginfo, entries)
}

/// `go build` of tests/tools/apkcheck (go-apk from the Go module proxy), once per target dir.
fn apkcheck() -> PathBuf {
    let exe = heavy_target_dir().join("apkcheck");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/apkcheck");
    let mut cmd = Command::new(pinned_go());
    cmd.args(["build", "-o"]).arg(&exe).arg(".").current_dir(src).env("GOFLAGS", "-mod=mod").env("GOWORK", "off");
    run_ok(&mut cmd);
    exe
}

/// The published release: every package, named as GoReleaser names them, checked by the tools of its
/// distribution; the same bytes from a second, full run.
#[test]
#[ignore = "heavy: builds a Go repository for 9 targets and runs lintian, rpmlint and go-apk"]
fn an_adopted_goreleaser_repository_ships_packages_its_distributions_accept() {
    let repo = adopted();
    let settings = fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert!(settings.contains("[[packages]]\nformats = [\"apk\", \"deb\", \"rpm\"]\n"), "{settings}");
    let out = repo.out();
    let said = dist(&repo, &out);
    let files = snapshot(&out);
    for (_, arch, ..) in ARCHES {
        for format in FORMATS {
            assert!(files.contains_key(&file(arch, format)), "{} missing:\n{said}", file(arch, format));
        }
    }
    let packages: Vec<&String> =
        files.keys().filter(|k| k.ends_with(".deb") || k.ends_with(".rpm") || k.ends_with(".apk")).collect();
    assert_eq!(packages.len(), 12, "{packages:?}");

    // Published: in the checksum file (sha256sum checks them) and the manifest.
    let check = text(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(&out));
    for p in &packages {
        assert!(check.contains(&format!("{p}: OK\n")), "{check}");
    }
    let m = manifest(&out);
    let kinds: Vec<&str> = m["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| packages.contains(&&a["path"].as_str().unwrap().to_owned()))
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["package"; 12]);
    assert_published_release_verifies(&out);

    // Debian: the control file, the data, the conffile and script; lintian finds no error.
    for (target, arch, deb_arch, ..) in ARCHES {
        let deb = out.join(file(arch, "deb"));
        let fields = text(Command::new("dpkg-deb").arg("-f").arg(&deb).args([
            "Package",
            "Version",
            "Section",
            "Priority",
            "Architecture",
            "Maintainer",
            "Depends",
            "Homepage",
            "Description",
        ]));
        assert_eq!(
            fields,
            format!(
                "Package: tool\nVersion: 1.4.2\nSection: utils\nPriority: optional\nArchitecture: {deb_arch}\n\
                 Maintainer: Jane Doe <jane@example.com>\nDepends: ca-certificates, tzdata (>= 2020a)\n\
                 Homepage: https://example.com/tool\n\
                 Description: Does tool things.\n It does them for a long time, and well.\n"
            ),
            "{target}"
        );
    }
    let deb = out.join(file("amd64", "deb"));
    let d = "2023-11-14 22:13";
    assert_eq!(
        deb_listing(&deb),
        [
            format!("drwxr-xr-x root/root {d} ./etc/"),
            format!("drwxr-xr-x root/root {d} ./etc/tool/"),
            format!("-rw-r--r-- root/root {d} ./etc/tool/config.toml"),
            format!("drwxr-xr-x root/root {d} ./usr/"),
            format!("drwxr-xr-x root/root {d} ./usr/bin/"),
            format!("-rwxr-xr-x root/root {d} ./usr/bin/tool"),
            format!("-rwxr-xr-x root/root {d} ./usr/bin/toolctl"),
            format!("drwxr-xr-x root/root {d} ./usr/sbin/"),
            format!("lrwxrwxrwx root/root {d} ./usr/sbin/tool -> /usr/bin/tool"),
            format!("drwxr-xr-x root/root {d} ./usr/share/"),
            format!("drwxr-xr-x root/root {d} ./usr/share/doc/"),
            format!("drwxr-xr-x root/root {d} ./usr/share/doc/tool/"),
            format!("-rw-r--r-- root/root {d} ./usr/share/doc/tool/changelog.gz"),
            format!("-rw-r--r-- root/root {d} ./usr/share/doc/tool/copyright"),
            format!("drwxr-xr-x root/root {d} ./usr/share/lintian/"),
            format!("drwxr-xr-x root/root {d} ./usr/share/lintian/overrides/"),
            format!("-rw-r--r-- root/root {d} ./usr/share/lintian/overrides/tool"),
            format!("drwxr-xr-x root/root {d} ./var/"),
            format!("drwxr-xr-x root/root {d} ./var/lib/"),
            format!("drwxr-x--- root/root {d} ./var/lib/tool/"),
        ]
    );
    assert_eq!(text(Command::new("dpkg-deb").arg("-I").arg(&deb).arg("conffiles")), "/etc/tool/config.toml\n");
    assert_eq!(
        text(Command::new("dpkg-deb").arg("-I").arg(&deb).arg("postinst")),
        "#!/bin/sh\nset -e\necho installed tool\n"
    );
    // The packaged binary is the released one.
    let unpacked = tempfile::tempdir().unwrap();
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(unpacked.path()));
    assert!(fs::read(unpacked.path().join("usr/bin/tool")).unwrap() == fs::read(out.join("linux/amd64/tool")).unwrap());
    for arch in ["amd64", "armv6"] {
        let lint = run(Command::new("lintian")
            .args(["--fail-on", "error", "--no-tag-display-limit"])
            .arg(out.join(file(arch, "deb"))));
        let said = String::from_utf8_lossy(&lint.stdout).into_owned() + &String::from_utf8_lossy(&lint.stderr);
        assert!(lint.status.success() && !said.contains("E: "), "lintian {arch}:\n{said}");
    }

    // rpm: the header, files, scripts and digests; installed into a scratch root; rpmlint finds no error.
    for (target, arch, _, rpm_arch, _) in ARCHES {
        let rpm = out.join(file(arch, "rpm"));
        let q = "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{OS} %{LICENSE}|%{VENDOR}|%{URL}|%{PACKAGER}|%{SUMMARY}|%{BUILDTIME}\n%{DESCRIPTION}";
        assert_eq!(
            text(Command::new("rpm").args(["-qp", "--qf", q]).arg(&rpm)),
            format!(
                "tool 1.4.2 1 {rpm_arch} linux MIT|Example Corp|https://example.com/tool|Jane Doe <jane@example.com>|\
                 Does tool things.|1700000000\nDoes tool things.\nIt does them for a long time, and well."
            ),
            "{target}"
        );
        let k = text(Command::new("rpm").arg("-K").arg(&rpm));
        assert!(k.ends_with("digests OK\n"), "{k}");
    }
    let rpm = out.join(file("amd64", "rpm"));
    let dump: Vec<String> = text(Command::new("rpm").args(["-qp", "--dump"]).arg(&rpm))
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // path mode owner group config link
            format!("{} {} {} {} {} {}", f[0], f[4], f[5], f[6], f[7], f[10])
        })
        .collect();
    assert_eq!(
        dump,
        [
            "/etc/tool/config.toml 0100644 root root 1 X",
            "/usr/bin/tool 0100755 root root 0 X",
            "/usr/bin/toolctl 0100755 root root 0 X",
            "/usr/sbin/tool 0120777 root root 0 /usr/bin/tool",
            "/var/lib/tool 040750 root root 0 X",
        ]
    );
    let requires = text(Command::new("rpm").args(["-qp", "--requires"]).arg(&rpm));
    assert!(requires.lines().any(|l| l == "ca-certificates"), "{requires}");
    assert!(requires.lines().any(|l| l == "tzdata >= 2020a"), "{requires}");
    assert_eq!(
        text(Command::new("rpm").args(["-qp", "--scripts"]).arg(&rpm)),
        // rpm ends each script it shows with an empty line.
        "postinstall scriptlet (using /bin/sh):\n#!/bin/sh\nset -e\necho installed tool\n\n"
    );
    let root = tempfile::tempdir().unwrap();
    run_ok(Command::new("rpm").arg("--root").arg(root.path()).arg("--initdb"));
    run_ok(Command::new("rpm").arg("--root").arg(root.path()).args(["-i", "--nodeps", "--noscripts"]).arg(&rpm));
    let r = root.path();
    assert!(fs::read(r.join("usr/bin/tool")).unwrap() == fs::read(out.join("linux/amd64/tool")).unwrap());
    assert_eq!(fs::read_link(r.join("usr/sbin/tool")).unwrap(), Path::new("/usr/bin/tool"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(r.join("var/lib/tool")).unwrap().permissions().mode() & 0o7777, 0o750);
    assert_eq!(fs::read_to_string(r.join("etc/tool/config.toml")).unwrap(), "# tool's settings\nlevel = 1\n");
    // Filtered: Go's static binaries (by design), the missing signature (signing is a later issue) and
    // the fixture's own 0750 directory; every other error fails the test.
    let rc = root.path().join("rpmlintrc");
    fs::write(
        &rc,
        "addFilter(\"statically-linked-binary\")\naddFilter(\"no-signature\")\naddFilter(\"non-standard-dir-perm /var/lib/tool 750\")\n",
    )
    .unwrap();
    for arch in ["amd64", "arm64"] {
        let lint = run(Command::new("rpmlint").arg("-r").arg(&rc).arg(out.join(file(arch, "rpm"))));
        let said = String::from_utf8_lossy(&lint.stdout).into_owned() + &String::from_utf8_lossy(&lint.stderr);
        assert!(lint.status.success() && said.contains(" 0 errors,"), "rpmlint {arch}:\n{said}");
    }

    // apk: go-apk expands each (layout and every file's SHA-1), reads .PKGINFO and checks datahash.
    let apkcheck = apkcheck();
    for (target, arch, _, _, apk_arch) in ARCHES {
        let report = run_ok(Command::new(&apkcheck).arg(file(arch, "apk")).current_dir(&out)).stdout;
        let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
        let r = &report[file(arch, "apk")];
        let p = &r["package"];
        assert_eq!(
            (p["Name"].as_str(), p["Version"].as_str(), p["Arch"].as_str(), p["Description"].as_str()),
            (Some("tool"), Some("1.4.2"), Some(apk_arch), Some("Does tool things.")),
            "{target}"
        );
        // apk's syntax: one word per relation.
        assert_eq!(p["Dependencies"], serde_json::json!(["ca-certificates", "tzdata>=2020a"]));
        assert_eq!((r["datahash_ok"].as_bool(), r["version_parses"].as_bool()), (Some(true), Some(true)));
        assert_eq!(r["control"], serde_json::json!([".PKGINFO", ".post-install"]));
        let bin = fs::read(out.join(target).join("tool")).unwrap();
        let tool = r["entries"].as_array().unwrap().iter().find(|e| e["name"] == "usr/bin/tool").unwrap();
        assert_eq!(tool["sha1"].as_str().unwrap(), format!("{:x}", sha1::Sha1::digest(&bin)), "{target}");
    }
    // A positive control: the same apk with another datahash in its .PKGINFO is caught.
    let apk = fs::read(out.join(file("amd64", "apk"))).unwrap();
    let mut first = flate2::bufread::GzDecoder::new(apk.as_slice());
    let mut control = Vec::new();
    first.read_to_end(&mut control).unwrap();
    let data = first.into_inner().to_vec();
    let at = control.windows(11).position(|w| w == b"datahash = ").unwrap() + 11;
    control[at] = if control[at] == b'0' { b'1' } else { b'0' };
    let mut tampered = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut tampered, &control).unwrap();
    let mut tampered = tampered.finish().unwrap();
    tampered.extend_from_slice(&data);
    let bad = root.path().join("tampered.apk");
    fs::write(&bad, tampered).unwrap();
    let report = run_ok(Command::new(&apkcheck).arg("tampered.apk").current_dir(root.path())).stdout;
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["tampered.apk"]["datahash_ok"].as_bool(), Some(false));

    // Reproducible: a second, full run elsewhere writes the same bytes.
    let again = repo.path().join("again");
    dist(&repo, &again);
    let second = snapshot(&again);
    for p in &packages {
        assert!(second[*p] == files[*p], "{p} differs between two runs");
    }
}

/// GoReleaser v2.15.1 (installed from the Go module proxy into the bench's cache) on the same
/// repository: the same package names, control fields and file lists, but for what dist does on
/// purpose (README "Linux packages": a Debian changelog, symlink modes 0777, one-line apk pkgdesc,
/// rpm's group, script interpreter and rpmlib requirements).
#[test]
#[ignore = "heavy: installs GoReleaser v2.15.1 and builds a Go repository with it and with dist"]
fn packages_match_goreleasers() {
    let repo = adopted();
    let ours = repo.out();
    dist(&repo, &ours);
    let theirs = goreleaser_release(&repo);

    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| FORMATS.iter().any(|f| n.ends_with(&format!(".{f}"))))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&ours), names(&theirs));
    assert_eq!(names(&ours).len(), 12);

    for (target, arch, ..) in ARCHES {
        let (a, b) = (ours.join(file(arch, "deb")), theirs.join(file(arch, "deb")));
        let control = |deb: &Path| {
            text(Command::new("dpkg-deb").arg("-f").arg(deb))
                .lines()
                .filter(|l| !l.starts_with("Installed-Size:") && !l.starts_with("Architecture-Variant:"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(control(&a), control(&b), "{target}: deb control");
        let listing = |deb: &Path| -> Vec<String> {
            deb_listing(deb)
                .into_iter()
                // Paths and link targets, not modes or times (GoReleaser's mtimes are the build's).
                .map(|l| l.split_whitespace().skip(4).collect::<Vec<_>>().join(" "))
                .filter(|l| l != "./usr/share/doc/tool/changelog.gz")
                .collect()
        };
        assert_eq!(listing(&a), listing(&b), "{target}: deb files");
        for part in ["conffiles", "postinst"] {
            let show = |deb: &Path| text(Command::new("dpkg-deb").arg("-I").arg(deb).arg(part));
            assert_eq!(show(&a), show(&b), "{target}: deb {part}");
        }

        let (a, b) = (ours.join(file(arch, "rpm")), theirs.join(file(arch, "rpm")));
        let q = "%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{OS} %{LICENSE}|%{VENDOR}|%{URL}|%{PACKAGER}|%{SUMMARY}\n%{DESCRIPTION}";
        let header = |rpm: &Path| text(Command::new("rpm").args(["-qp", "--qf", q]).arg(rpm));
        assert_eq!(header(&a), header(&b), "{target}: rpm header");
        let files = |rpm: &Path| -> Vec<String> {
            text(Command::new("rpm").args(["-qp", "--dump"]).arg(rpm))
                .lines()
                .map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    // path, mode (a symlink's permission bits are not used: file type only), owner, group, config, link
                    let mode = u32::from_str_radix(f[4], 8).unwrap();
                    let mode = if mode & 0o170000 == 0o120000 { 0o120000 } else { mode };
                    format!("{} {mode:o} {} {} {} {}", f[0], f[5], f[6], f[7], f[10])
                })
                .collect()
        };
        assert_eq!(files(&a), files(&b), "{target}: rpm files");
        let relations = |rpm: &Path, what: &str| -> Vec<String> {
            text(Command::new("rpm").args(["-qp", what]).arg(rpm))
                .lines()
                .filter(|l| !l.starts_with("rpmlib(") && !l.starts_with("config(") && *l != "/bin/sh")
                .filter(|l| !l.starts_with("tool("))
                // nfpm gives rpm the text as written, so `tzdata (>= 2020a)` is one name there (a
                // package nobody provides); dist's is the relation `tzdata >= 2020a`.
                .map(|l| l.replace(['(', ')'], ""))
                .collect()
        };
        for what in ["--requires", "--provides", "--conflicts", "--obsoletes"] {
            assert_eq!(relations(&a, what), relations(&b, what), "{target}: rpm {what}");
        }
        let scripts = |rpm: &Path| text(Command::new("rpm").args(["-qp", "--scripts"]).arg(rpm));
        assert_eq!(scripts(&a), scripts(&b), "{target}: rpm scripts");

        let (a, b) =
            (fs::read(ours.join(file(arch, "apk"))).unwrap(), fs::read(theirs.join(file(arch, "apk"))).unwrap());
        let ((info_a, entries_a), (info_b, entries_b)) = (apk_listing(&a), apk_listing(&b));
        // The sizes are the binaries' (GoReleaser's are not built with -trimpath); nfpm continues the
        // description on indented lines, which apk drops.
        let fields = |info: &str| -> Vec<String> {
            info.lines()
                .filter(|l| !l.starts_with("size = ") && !l.starts_with("datahash = ") && !l.starts_with(' '))
                .filter(|l| !l.starts_with('#'))
                // nfpm copies a relation's text (`tzdata (>= 2020a)`), which apk cannot read; dist writes
                // apk's `tzdata>=2020a`: the same relation.
                .map(|l| match l.strip_prefix("depend = ") {
                    Some(r) => format!("depend = {}", r.replace([' ', '(', ')'], "")),
                    None => l.to_owned(),
                })
                .collect()
        };
        assert_eq!(fields(&info_a), fields(&info_b), "{target}: .PKGINFO");
        // A symlink by name and target: nfpm writes its mode 0 and no owner names, dist 0777 root:root.
        let links_by_target = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|l| match l.strip_prefix("Symlink ") {
                    Some(rest) => format!("Symlink {}", rest.splitn(3, ' ').nth(2).unwrap()),
                    None => l,
                })
                .collect()
        };
        assert_eq!(links_by_target(entries_a), links_by_target(entries_b), "{target}: apk files");
    }
}

/// `goreleaser release` without publishing, in a clone of the repository (with the remote GoReleaser
/// asks for); its dist folder.
fn goreleaser_release(repo: &Repo) -> PathBuf {
    let version = "v2.15.1";
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    let dir = cache.join("xtask-bench").join(format!("goreleaser-{version}"));
    let exe = dir.join("goreleaser");
    let installed = Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.ends_with(&format!(" {version}"))));
    if !installed {
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(pinned_go());
        cmd.args(["install", &format!("github.com/goreleaser/goreleaser/v2@{version}")])
            .current_dir(tmp.path())
            .env("GOBIN", &dir)
            .env("GOFLAGS", "")
            .env("GOWORK", "off");
        run_ok(&mut cmd);
    }
    let clone = repo.path().join("goreleaser-clone");
    run_ok(Command::new("git").args(["clone", "-q"]).arg(repo.path()).arg(&clone));
    git_at(&clone, &["remote", "set-url", "origin", "https://github.com/example/tool.git"]);
    let mut cmd = Command::new(&exe);
    cmd.args(["release", "--clean", "--skip=publish,announce,validate,before,sign", "--parallelism", "2"])
        .current_dir(&clone)
        .env("PATH", path_with_pinned_go())
        // The fixture's module is vendored (GoReleaser's `go mod tidy` hook is skipped: it would download).
        .env("GOFLAGS", "-mod=vendor");
    run_ok(&mut cmd);
    clone.join("dist")
}
