//! SHA-256 digests, as lowercase hex: of release files, keys, toolchain zips.

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A file's size and SHA-256, read in pieces (a release's binaries are tens of MB each).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    let mut file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(path)?);
    let mut hash = Sha256::new();
    let size = std::io::copy(&mut file, &mut hash)?;
    Ok((size, hex(&hash.finalize())))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(super::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn a_file_read_in_pieces_has_the_digest_sha256sum_prints() {
        // 600 KiB: more than one piece. The digest is `head -c 614400 /dev/zero | tr '\\0' a | sha256sum`.
        let dir = crate::project::new_temp_dir("xtask-digest-test").unwrap();
        let file = dir.join("a");
        std::fs::write(&file, vec![b'a'; 600 * 1024]).unwrap();
        let (size, sha) = super::sha256_file(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size, 614_400);
        assert_eq!(sha, "79b1f2657e3325ff16db5d3c65a47b780dd5a145b530e0915401400cff351dd3");
    }
}
