//! Where the workspace is, so `cargo xtask` works from any directory.

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's directory.
///
/// `cargo run`/`cargo test` set CARGO_MANIFEST_DIR for the process; that wins
/// over the compile-time value, because one target directory may serve several
/// checkouts (CARGO_TARGET_DIR), and cargo then reuses a binary built in another.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map(Path::to_path_buf).expect("xtask lives inside the workspace")
}

/// The directory the user started the command in: the process's, which
/// nothing changes (main moves the xshell `Shell` to the root, not the process).
/// `None` if it cannot be read (removed meanwhile).
pub fn start_dir() -> Option<&'static Path> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// The first `program` (with the platform's executable suffix) in the directories of PATH.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(format!("{program}{}", std::env::consts::EXE_SUFFIX)))
        .find(|p| p.is_file())
}

/// A new directory `<temp>/<prefix>-<pid>-<nanos>` only this user can read; `create_dir` fails on one
/// that exists, so what the caller later removes is never someone else's.
pub fn new_temp_dir(prefix: &str) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(path)
}

/// `$XDG_CACHE_HOME/<name>`, else `~/.cache/<name>`; `%LOCALAPPDATA%\<name>` on Windows.
pub fn cache_dir(name: &str) -> anyhow::Result<PathBuf> {
    let var =
        |key: &str| std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
            .ok_or_else(|| anyhow::format_err!("LOCALAPPDATA is not set: no cache directory for {name}"))?
    } else if let Some(xdg) = var("XDG_CACHE_HOME") {
        xdg
    } else {
        var("HOME").map(|home| home.join(".cache")).ok_or_else(|| {
            anyhow::format_err!("neither XDG_CACHE_HOME nor HOME is set: no cache directory for {name}")
        })?
    };
    Ok(base.join(name))
}
