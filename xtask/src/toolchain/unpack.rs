//! Installing a fetched module zip: its hash checked against the pinned one
//! before anything is extracted, every entry kept below the module's prefix,
//! the executable bits Go's own toolchain switch sets, and the tree unpacked
//! beside the cache directory, then renamed into place in one step.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, format_err, Context};

use super::fetch::redact;
use super::pins::PINNED_FILE;
use super::Release;
use crate::digest::sha256_hex;
use crate::interrupt;

/// Checks `zip` against the pinned hash, then unpacks it into `<root>/go<version>`
/// through a temporary directory beside it; returns the path of its `go`.
pub(super) fn install(
    zip: &[u8],
    expected: &str,
    url: &str,
    release: &Release,
    root: &Path,
) -> anyhow::Result<PathBuf> {
    let actual = sha256_hex(zip);
    if !actual.eq_ignore_ascii_case(expected) {
        bail!(
            "the Go {} toolchain from {} does not match {PINNED_FILE}: expected sha256 {expected}, got {actual}; \
             nothing was extracted",
            release.version,
            redact(url)
        );
    }
    fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let dir = root.join(format!("go{}", release.version));
    crate::ui::say(format!("sha256 as pinned in {PINNED_FILE}; unpacking into {}", dir.display()));
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = TempDir(root.join(format!(".go{}.tmp-{}-{unique}", release.version, std::process::id())));
    fs::create_dir(&tmp.0).with_context(|| format!("cannot create {}", tmp.0.display()))?;
    extract(zip, &release.zip_prefix(), &tmp.0).with_context(|| format!("cannot unpack {}", redact(url)))?;
    let go = Path::new("bin").join(format!("go{}", std::env::consts::EXE_SUFFIX));
    if !tmp.0.join(&go).is_file() {
        bail!("{} holds no {}: not a Go toolchain", redact(url), go.display());
    }
    if let Err(e) = fs::rename(&tmp.0, &dir) {
        // Another run won the race: its copy is as good as ours (same hash).
        if !dir.join(&go).is_file() {
            bail!("cannot move Go {} into {}: {e}", release.version, dir.display());
        }
    }
    Ok(dir.join(go))
}

/// Removed when dropped, unless it was renamed away.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Unpacks every entry below `prefix/` into `into`; any other entry is an error.
fn extract(zip: &[u8], prefix: &str, into: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))?;
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        if i % 256 == 0 {
            interrupt::check()?;
        }
        let mut entry = archive.by_index(i)?;
        let name = entry.name().to_owned();
        let rel = entry
            .enclosed_name()
            .and_then(|p| p.strip_prefix(prefix).ok().map(Path::to_path_buf))
            .filter(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
            .ok_or_else(|| format_err!("unexpected entry {name:?} (everything must be below {prefix}/)"))?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let dest = into.join(&rel);
        if entry.is_dir() {
            fs::create_dir_all(&dest)?;
            continue;
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        buf.clear();
        entry.read_to_end(&mut buf).with_context(|| format!("cannot read {name}"))?;
        fs::write(&dest, &buf).with_context(|| format!("cannot write {}", dest.display()))?;
        // A module zip cannot hold nested modules: Go's own fetch restores each _go.mod as go.mod.
        if rel.file_name().is_some_and(|n| n == "_go.mod") {
            fs::write(dest.with_file_name("go.mod"), &buf)?;
        }
        if executable(&rel) {
            make_executable(&dest)?;
        }
    }
    Ok(())
}

/// Module zips keep no file modes: these are the files Go's own toolchain
/// switch marks executable (bin/*, pkg/tool/*/*, lib/…/go_*_*_exec).
fn executable(rel: &Path) -> bool {
    let parts: Vec<&str> = rel.components().filter_map(|c| c.as_os_str().to_str()).collect();
    match parts.as_slice() {
        ["bin", _] | ["pkg", "tool", _, _] => true,
        ["lib", .., name] => {
            name.starts_with("go_") && name.ends_with("_exec") && name.split('_').filter(|s| !s.is_empty()).count() >= 4
        }
        _ => false,
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot chmod {}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::toolchain::cached;
    use crate::toolchain::tests::release;

    /// A small module zip: `files` below the release's prefix (or, with a leading `/`, as named).
    fn module_zip(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in files {
            let name = match name.strip_prefix('/') {
                Some(raw) => raw.to_owned(),
                None => format!("{}/{name}", release().zip_prefix()),
            };
            w.start_file(name, options).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                found.push(path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
                if path.is_dir() {
                    pending.push(path);
                }
            }
        }
        found.sort();
        found
    }

    const URL: &str = "https://proxy.example/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip";

    #[test]
    fn a_zip_with_another_hash_is_refused_and_nothing_is_written() {
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("cargo-xtask-go");
        let zip = module_zip(&[("bin/go", "#!/bin/sh\n"), ("VERSION", "go1.26.8\n")]);
        let wrong = sha256_hex(b"something else");
        let err = install(&zip, &wrong, URL, &release(), &cache).unwrap_err().to_string();
        assert!(err.contains(&format!("expected sha256 {wrong}, got {}", sha256_hex(&zip))), "{err}");
        assert!(err.contains(URL) && err.contains("nothing was extracted"), "{err}");
        assert_eq!(names(root.path()), Vec::<String>::new());
    }

    #[test]
    fn a_matching_zip_is_unpacked_into_place() {
        let root = tempfile::tempdir().unwrap();
        let zip = module_zip(&[
            ("bin/go", "#!/bin/sh\n"),
            ("bin/gofmt", "#!/bin/sh\n"),
            ("pkg/tool/linux_amd64/compile", "tool"),
            ("lib/wasm/go_js_wasm_exec", "#!/bin/sh\n"),
            ("lib/wasm/wasm_exec.js", "js"),
            ("src/_go.mod", "module std\n"),
            ("VERSION", "go1.26.8\n"),
        ]);
        let go = install(&zip, &sha256_hex(&zip), URL, &release(), root.path()).unwrap();
        assert_eq!(go, root.path().join("go1.26.8/bin/go"));
        assert_eq!(
            names(root.path()),
            [
                "go1.26.8",
                "go1.26.8/VERSION",
                "go1.26.8/bin",
                "go1.26.8/bin/go",
                "go1.26.8/bin/gofmt",
                "go1.26.8/lib",
                "go1.26.8/lib/wasm",
                "go1.26.8/lib/wasm/go_js_wasm_exec",
                "go1.26.8/lib/wasm/wasm_exec.js",
                "go1.26.8/pkg",
                "go1.26.8/pkg/tool",
                "go1.26.8/pkg/tool/linux_amd64",
                "go1.26.8/pkg/tool/linux_amd64/compile",
                "go1.26.8/src",
                "go1.26.8/src/_go.mod",
                "go1.26.8/src/go.mod",
            ]
        );
        assert_eq!(fs::read_to_string(root.path().join("go1.26.8/src/go.mod")).unwrap(), "module std\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |rel: &str| fs::metadata(root.path().join("go1.26.8").join(rel)).unwrap().permissions().mode();
            for rel in ["bin/go", "bin/gofmt", "pkg/tool/linux_amd64/compile", "lib/wasm/go_js_wasm_exec"] {
                assert_eq!(mode(rel) & 0o111, 0o111, "{rel}");
            }
            for rel in ["VERSION", "lib/wasm/wasm_exec.js", "src/go.mod"] {
                assert_eq!(mode(rel) & 0o111, 0, "{rel}");
            }
        }
        assert_eq!(cached(root.path(), "1.26.8"), Some(go.clone()));

        // A second install (a run that lost the race) keeps the winner's copy.
        fs::write(root.path().join("go1.26.8/VERSION"), "winner").unwrap();
        assert_eq!(install(&zip, &sha256_hex(&zip), URL, &release(), root.path()).unwrap(), go);
        assert_eq!(fs::read_to_string(root.path().join("go1.26.8/VERSION")).unwrap(), "winner");
        assert_eq!(names(root.path()).iter().filter(|n| !n.contains('/')).count(), 1, "{:?}", names(root.path()));
    }

    #[test]
    fn entries_outside_the_module_are_refused() {
        for outside in ["/elsewhere/bin/go", "/golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/../../../escape"] {
            let root = tempfile::tempdir().unwrap();
            let cache = root.path().join("cache");
            let zip = module_zip(&[("bin/go", "go"), (outside, "x")]);
            let err = format!("{:#}", install(&zip, &sha256_hex(&zip), URL, &release(), &cache).unwrap_err());
            assert!(err.contains("unexpected entry"), "{err}");
            assert_eq!(names(root.path()), ["cache"], "only the (empty) cache directory");
        }
    }
}
