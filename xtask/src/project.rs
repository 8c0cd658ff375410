//! Where the workspace is, so `cargo xtask` works from any directory.

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives inside the workspace").to_path_buf()
}
