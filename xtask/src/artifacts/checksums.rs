//! SHA-256 digests and the `SHA256SUMS` file that `sha256sum -c` checks.

use sha2::{Digest, Sha256};

pub const FILE_NAME: &str = "SHA256SUMS";

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `<hex>  <path>` lines (text mode, as `sha256sum` writes them), sorted by path.
pub fn sums_file(entries: &[(String, String)]) -> String {
    let mut lines: Vec<String> = entries.iter().map(|(path, hex)| format!("{hex}  {path}\n")).collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    lines.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_format() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let text = sums_file(&[("b/x".into(), "1".repeat(64)), ("a.zip".into(), "2".repeat(64))]);
        assert_eq!(text, format!("{}  a.zip\n{}  b/x\n", "2".repeat(64), "1".repeat(64)));
    }
}
