//! The checksum file (`SHA256SUMS` by default) that `sha256sum -c` checks.

use anyhow::Context;

pub const FILE_NAME: &str = "SHA256SUMS";

/// `<hex>  <path>` lines (text mode, as `sha256sum` writes them), sorted by path.
pub fn sums_file(entries: &[(String, String)]) -> String {
    let mut lines: Vec<String> = entries.iter().map(|(path, hex)| format!("{hex}  {path}\n")).collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    lines.concat()
}

/// A checksum file's `(path, sha256)` entries.
pub fn parse(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (hex, path) = line.split_once("  ").with_context(|| format!("not a sha256sum line: {line:?}"))?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                anyhow::bail!("not a SHA-256 in the checksum line {line:?}");
            }
            Ok((path.to_owned(), hex.to_ascii_lowercase()))
        })
        .collect()
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
