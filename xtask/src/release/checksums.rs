//! The checksum file (`SHA256SUMS` by default) that `sha256sum -c` checks.

pub const FILE_NAME: &str = "SHA256SUMS";

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
        let text = sums_file(&[("b/x".into(), "1".repeat(64)), ("a.zip".into(), "2".repeat(64))]);
        assert_eq!(text, format!("{}  a.zip\n{}  b/x\n", "2".repeat(64), "1".repeat(64)));
    }
}
