//! What may be replaced: an absent or empty directory, or exactly a release
//! of ours (per its `manifest.json`); anything else is the user's.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::release::{manifest, walk};

/// Absent, empty, or exactly an earlier release of ours.
pub fn check_replaceable(out: &Path) -> anyhow::Result<()> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", out.display())),
    };
    if !meta.is_dir() {
        bail!("{} exists and is not a directory; choose another --out", out.display());
    }
    let contents = walk(out)?;
    if contents.is_empty() {
        return Ok(());
    }
    let refuse = |why: &str| {
        anyhow::format_err!(
            "refusing to replace {}: {why}. Only an empty directory or one written by `cargo xtask dist` is replaced; \
             move it away or choose another --out",
            out.display()
        )
    };
    let Some(manifest) = manifest::Manifest::read(out).filter(|m| m.stray_path().is_none()) else {
        return Err(refuse("it is not empty and has no manifest.json of ours"));
    };
    let files: HashSet<PathBuf> = manifest
        .artifacts
        .iter()
        .map(|a| out.join(&a.path))
        .chain(manifest.held.iter().map(|a| out.join(crate::release::reuse::HELD).join(&a.path)))
        .chain([out.join(manifest::FILE_NAME), out.join(&manifest.checksums)])
        .chain(manifest.supply_files().map(|f| out.join(f)))
        .collect();
    // A directory is ours only on the way to one of our files.
    let dirs: HashSet<&Path> =
        files.iter().flat_map(|f| f.ancestors().skip(1).take_while(|a| *a != out && a.starts_with(out))).collect();
    let mut foreign_dirs: Vec<&Path> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for path in &contents {
        if foreign_dirs.iter().any(|d| path.starts_with(d)) {
            continue; // Named already, with the directory it is in.
        }
        let kind =
            fs::symlink_metadata(path).with_context(|| format!("cannot inspect {}", path.display()))?.file_type();
        let rel = path.strip_prefix(out).unwrap_or(path).display().to_string();
        if kind.is_symlink() {
            foreign.push(format!("{rel} (a symlink)"));
        } else if kind.is_dir() {
            if !dirs.contains(path.as_path()) {
                foreign.push(format!("{rel}/ (a directory)"));
                foreign_dirs.push(path);
            }
        } else if !kind.is_file() || !files.contains(path) {
            foreign.push(rel);
        }
    }
    if !foreign.is_empty() {
        return Err(refuse(&format!("it holds files this tool did not write: {}", foreign.join(", "))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::check_replaceable;
    use crate::output::tests::release_with;
    use crate::output::Output;

    #[test]
    fn refuses_a_directory_it_did_not_write() {
        let home = tempfile::tempdir().unwrap();
        fs::write(home.path().join(".bashrc"), "precious").unwrap();
        let err = Output::prepare(home.path()).err().expect("must refuse").to_string();
        assert!(err.contains("refusing to replace") && err.contains("no manifest.json of ours"), "{err}");
        assert_eq!(fs::read_to_string(home.path().join(".bashrc")).unwrap(), "precious");
    }

    #[test]
    fn refuses_a_file_and_a_release_with_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(check_replaceable(&file).unwrap_err().to_string().contains("is not a directory"));

        let out = dir.path().join("dist");
        release_with(&out, &[]);
        check_replaceable(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: notes.txt"), "{err}");
    }

    /// Directories are ours only on the way to one of our files; symlinks never are.
    #[test]
    #[cfg(unix)]
    fn refuses_an_empty_directory_or_a_symlink_of_the_users() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        release_with(&out, &["linux/amd64/hello"]);
        check_replaceable(&out).unwrap();

        fs::create_dir_all(out.join("linux/keep/me")).unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: linux/keep/ (a directory)"), "{err}");
        fs::remove_dir_all(out.join("linux/keep")).unwrap();

        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("precious"), "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("data")).unwrap();
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("files this tool did not write: data (a symlink)"), "{err}");
        fs::remove_file(out.join("data")).unwrap();

        // Even where an artifact of ours was: a symlink is not what we wrote.
        fs::remove_file(out.join("linux/amd64/hello")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("precious"), out.join("linux/amd64/hello")).unwrap();
        let err = Output::prepare(&out).err().expect("must refuse").to_string();
        assert!(err.contains("linux/amd64/hello (a symlink)"), "{err}");
        assert!(elsewhere.join("precious").is_file());
    }

    /// A manifest that names a path out of the release (crafted, or damaged) is
    /// not ours: nothing is replaced, and nothing is carried over from it.
    #[test]
    fn a_manifest_naming_paths_out_of_the_release_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        release_with(&out, &["../outside"]);
        let err = check_replaceable(&out).unwrap_err().to_string();
        assert!(err.contains("no manifest.json of ours"), "{err}");
        assert!(crate::release::reuse::Previous::read(&out).is_none());
    }
}
