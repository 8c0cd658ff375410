//! The pinned Go toolchain for the host engine, fetched when the machine has
//! no matching Go: every Go release is the module
//! `golang.org/toolchain@v0.0.1-go<version>.<goos>-<goarch>` on the Go module
//! proxy (GOPROXY). The zip's SHA-256 must match `xtask/go-toolchains.sha256`
//! before anything is extracted; the tree is unpacked beside the cache
//! directory and renamed into `<cache>/cargo-xtask-go/go<version>` in one step.
//!
//! Here: finding a Go ([`ensure`], [`locate`]) and asking it about itself;
//! `fetch.rs`: the proxy, the HTTP client and the download; `unpack.rs`: the
//! zip checked and installed; `pins.rs`: the hash file; `set.rs`: pinning
//! another Go everywhere (`cargo xtask toolchain --set VERSION`).

pub mod fetch;
mod pins;
pub mod set;
mod unpack;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};

/// The path of a `go` binary that is exactly `go<version>`: the one on PATH if
/// it is that version, else the cached copy, fetched first if absent.
pub fn ensure(version: &str) -> anyhow::Result<PathBuf> {
    check_version(version)?;
    if let Some(go) = on_path(version) {
        return Ok(go);
    }
    let root = cache_root()?;
    if let Some(go) = cached(&root, version) {
        return Ok(go);
    }
    let release = Release::this_machine(version)?;
    let expected = pins::pinned_hash(&release)?;
    let proxy = fetch::proxy_from(std::env::var("GOPROXY").ok().as_deref(), version)?;
    let url = release.url(&proxy);
    let what = format!("Go {version} for {}/{} from {}", release.goos, release.goarch, fetch::redact(&proxy));
    let started = Instant::now();
    let zip = fetch::download(&url, &what)?;
    let fetched = started.elapsed();
    let go = unpack::install(&zip, &expected, &url, &release, &root)?;
    crate::ui::say(format!(
        "fetched Go {version} for {}/{} ({} MB in {:.1} s, unpacked in {:.1} s): {}",
        release.goos,
        release.goarch,
        fetch::mb(zip.len() as u64),
        fetched.as_secs_f64(),
        (started.elapsed() - fetched).as_secs_f64(),
        go.display()
    ));
    Ok(go)
}

/// Where [`ensure`] would find Go `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    OnPath,
    Cached,
    Missing,
}

pub fn locate(version: &str) -> Found {
    if check_version(version).is_err() {
        Found::Missing
    } else if on_path(version).is_some() {
        Found::OnPath
    } else if cache_root().is_ok_and(|root| cached(&root, version).is_some()) {
        Found::Cached
    } else {
        Found::Missing
    }
}

/// A version is part of a directory name: only a plain release such as `1.26.8` (or `1.27rc1`).
fn check_version(version: &str) -> anyhow::Result<()> {
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) || version.contains("..") {
        bail!("{version:?} is not a Go release such as \"1.26.8\"");
    }
    if !version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
        bail!("{version:?} is not a Go release such as \"1.26.8\"");
    }
    Ok(())
}

/// The first `go` on PATH, if `go env GOVERSION` says it is `go<version>`.
fn on_path(version: &str) -> Option<PathBuf> {
    let go = crate::project::on_path("go")?;
    let go = std::path::absolute(go).ok()?;
    let out = probe(&go).args(["env", "GOVERSION"]).output().ok()?;
    (out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == format!("go{version}")).then_some(go)
}

/// Where temporary files go, and what Windows programs cannot start without;
/// the only variables of the caller's (with PATH and HOME) a go command gets.
pub const SYSTEM_ENV: &[&str] = if cfg!(windows) {
    &["TMPDIR", "TEMP", "TMP", "SystemRoot", "SystemDrive", "USERPROFILE", "LOCALAPPDATA", "APPDATA", "ComSpec"]
} else {
    &["TMPDIR"]
};

/// `go` asked about itself, as a build would see it: the plan's neutral
/// environment and nothing else of the caller's (a stray GOEXPERIMENT, GOROOT
/// or GOFLAGS would make a correct Go look wrong), outside any module (a
/// go.mod could ask for another toolchain).
pub fn probe(go: &Path) -> Command {
    let mut c = Command::new(go);
    c.current_dir(std::env::temp_dir()).env_clear();
    for key in ["PATH", "HOME"].iter().chain(SYSTEM_ENV) {
        if let Some(v) = std::env::var_os(key) {
            c.env(key, v);
        }
    }
    c.envs(crate::plan::PROBE_GO_ENV);
    c
}

/// Every file of a Go installation by path, size and modification time: a
/// patched GOROOT (or another installation) of the same version differs.
/// Only metadata is read: about 15,000 files, on every run, so each top-level
/// directory (`src`, `test`, `pkg`, …) is walked on its own thread.
pub fn goroot_fingerprint(goroot: &Path) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let list = |dir: &Path| -> anyhow::Result<Vec<fs::DirEntry>> {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
            .with_context(|| format!("cannot list {} (GOROOT)", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        Ok(entries)
    };
    // One line per file below `top` (or for `top` itself): path, size, mtime.
    let walk = |top: &fs::DirEntry| -> anyhow::Result<(usize, Vec<u8>)> {
        let (mut lines, mut seen) = (Vec::new(), 0);
        let mut pending = vec![top.path()];
        while let Some(path) = pending.pop() {
            // Through symlinks: a distribution's GOROOT may link its src/ elsewhere.
            let meta = fs::metadata(&path).or_else(|_| fs::symlink_metadata(&path))?;
            if meta.is_dir() {
                // Reversed: popped in name order.
                pending.extend(list(&path)?.iter().rev().map(fs::DirEntry::path));
                continue;
            }
            let rel = path.strip_prefix(goroot).unwrap_or(&path);
            let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            lines.extend_from_slice(rel.as_os_str().as_encoded_bytes());
            lines.extend_from_slice(format!("\0{}\0{mtime:?}\n", meta.len()).as_bytes());
            seen += 1;
        }
        Ok((seen, lines))
    };
    let mut hash = Sha256::new();
    let mut seen = 0;
    for part in crate::parallel::map(&list(goroot)?, walk) {
        let (files, lines) = part?;
        hash.update(&lines);
        seen += files;
    }
    Ok(format!("{seen} files {:x}", hash.finalize()))
}

/// `$XDG_CACHE_HOME/cargo-xtask-go`, else `~/.cache/cargo-xtask-go`; `%LOCALAPPDATA%\cargo-xtask-go` on Windows.
fn cache_root() -> anyhow::Result<PathBuf> {
    crate::project::cache_dir("cargo-xtask-go")
}

fn cached(root: &Path, version: &str) -> Option<PathBuf> {
    let go = root.join(format!("go{version}")).join("bin").join(format!("go{}", std::env::consts::EXE_SUFFIX));
    go.is_file().then_some(go)
}

/// One toolchain module: a Go release for one platform.
#[derive(Debug, Clone)]
pub struct Release {
    pub version: String,
    pub goos: String,
    pub goarch: String,
}

impl Release {
    fn this_machine(version: &str) -> anyhow::Result<Release> {
        let host = crate::target::Target::host().with_context(|| format!("install Go {version}"))?;
        Ok(Release { version: version.to_owned(), goos: host.os, goarch: host.arch })
    }

    /// `v0.0.1-go1.26.8.linux-amd64`
    pub fn module_version(&self) -> String {
        format!("v0.0.1-go{}.{}-{}", self.version, self.goos, self.goarch)
    }

    /// The name in the hash file: `go1.26.8.linux-amd64.zip`.
    pub fn zip_name(&self) -> String {
        format!("go{}.{}-{}.zip", self.version, self.goos, self.goarch)
    }

    /// The directory every entry of the module zip sits in.
    fn zip_prefix(&self) -> String {
        format!("golang.org/toolchain@{}", self.module_version())
    }

    fn url(&self, proxy: &str) -> String {
        format!("{proxy}/golang.org/toolchain/@v/{}.zip", self.module_version())
    }
}

/// This machine's module zip of Go `version` by its pinned hash, as the provenance names it.
pub fn pinned_module(version: &str) -> Option<crate::plan::ResolvedDep> {
    let release = Release::this_machine(version).ok()?;
    let sha256 = pins::pinned_hash(&release).ok()?;
    Some(crate::plan::ResolvedDep {
        uri: format!("pkg:golang/golang.org/toolchain@{}", release.module_version()),
        sha256,
    })
}

/// Whether this machine's zip of Go `version` has a pinned hash (so [`ensure`] may fetch it).
pub fn pinned_here(version: &str) -> bool {
    Release::this_machine(version).is_ok_and(|r| pins::pinned_hash(&r).is_ok())
}

/// Why [`ensure`] failed, in one clause: the missing pin said plainly, else the error.
pub fn why_unavailable(version: &str, e: &anyhow::Error) -> String {
    match e.downcast_ref::<pins::NotPinned>() {
        Some(not_pinned) => not_pinned.fact(),
        None => format!("cannot get Go {version}: {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn release() -> Release {
        Release { version: "1.26.8".into(), goos: "linux".into(), goarch: "amd64".into() }
    }

    #[test]
    fn module_names_and_url() {
        let r = release();
        assert_eq!(r.zip_name(), "go1.26.8.linux-amd64.zip");
        assert_eq!(r.zip_prefix(), "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64");
        assert_eq!(
            r.url("https://proxy.golang.org"),
            "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip"
        );
    }

    #[test]
    fn a_goroots_fingerprint_changes_with_any_file_deep_down() {
        use std::time::{Duration, UNIX_EPOCH};
        let root = crate::project::new_temp_dir("xtask-goroot-test").unwrap();
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        // Explicit times: a file system's clock may not move between two writes.
        let write = |rel: &str, text: &str, mtime| {
            fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            fs::write(root.join(rel), text).unwrap();
            fs::File::options().write(true).open(root.join(rel)).unwrap().set_modified(mtime).unwrap();
        };
        for (rel, text) in [("VERSION", "go1.26.8"), ("src/os/file.go", "package os"), ("src/a/b/c.go", "package b")] {
            write(rel, text, at(1_700_000_000));
        }
        let first = goroot_fingerprint(&root).unwrap();
        assert!(first.starts_with("3 files "), "{first}");
        assert_eq!(goroot_fingerprint(&root).unwrap(), first, "nothing changed");
        write("src/a/b/c.go", "package c", at(1_700_000_001));
        let touched = goroot_fingerprint(&root).unwrap();
        assert_ne!(touched, first, "another mtime three levels down, same size");
        write("src/a/b/c.go", "package cc", at(1_700_000_001));
        assert_ne!(goroot_fingerprint(&root).unwrap(), touched, "another size, same mtime");
        write("src/a/b/d.go", "", at(1_700_000_000));
        assert!(goroot_fingerprint(&root).unwrap().starts_with("4 files "), "a new file");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn versions_are_plain_releases() {
        for good in ["1.26.8", "1.27rc1"] {
            check_version(good).unwrap();
        }
        for bad in ["", "../1.26.8", "1.26.8/x", "go1.26.8", "1.26..8"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
