//! Gives the xtask an identity of its own: a digest of its source, manifest
//! and the workspace's Cargo.lock, as `XTASK_BUILD_ID`. Release keys include
//! it, so archives made by other packing code (another version of this file
//! set, another deflate) are repacked rather than carried over.

use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = vec![crate_dir.join("Cargo.toml"), crate_dir.join("../Cargo.lock")];
    collect(&crate_dir.join("src"), &mut files);
    files.sort();
    // FNV-1a (64 bits), over each file's path below the crate and its bytes, length-prefixed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in &files {
        let rel = file.strip_prefix(&crate_dir).unwrap_or(file);
        feed(rel.to_string_lossy().replace('\\', "/").as_bytes());
        feed(&std::fs::read(file).unwrap_or_default());
    }
    println!("cargo:rustc-env=XTASK_BUILD_ID={hash:016x}");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=../Cargo.lock");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
