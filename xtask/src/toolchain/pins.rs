//! The pinned hashes, `xtask/go-toolchains.sha256`: one `sha256sum` line per
//! module zip, built into the xtask. A fetched Go must match its line before
//! anything is extracted; `toolchain --set` updates the file.

use std::collections::BTreeMap;

use anyhow::{bail, format_err};

use super::Release;

/// `sha256sum` lines for the module zips, named `go<version>.<goos>-<goarch>.zip`.
const PINNED: &str = include_str!("../../go-toolchains.sha256");
pub const PINNED_FILE: &str = "xtask/go-toolchains.sha256";

/// `sha256sum` output: `<64 hex>  <name>` (or ` *<name>`) per line; blank lines are skipped.
pub fn parse_hashes(text: &str) -> anyhow::Result<BTreeMap<&str, String>> {
    let mut hashes = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || format_err!("{PINNED_FILE}:{}: expected `<sha256>  <file>`, found {line:?}", n + 1);
        let (hash, name) = line.split_once(' ').ok_or_else(bad)?;
        let name = name.strip_prefix([' ', '*']).ok_or_else(bad)?.trim_end();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(bad());
        }
        let hash = hash.to_ascii_lowercase();
        if let Some(other) = hashes.insert(name, hash.clone()) {
            if other != hash {
                bail!("{PINNED_FILE}:{}: {name} is listed twice with different hashes", n + 1);
            }
        }
    }
    Ok(hashes)
}

pub(super) fn pinned_hash(release: &Release) -> anyhow::Result<String> {
    let hashes = parse_hashes(PINNED)?;
    let Some(hash) = hashes.get(release.zip_name().as_str()) else {
        let Release { version, goos, goarch } = release;
        return Err(NotPinned { version: version.clone(), platform: format!("{goos}/{goarch}") }.into());
    };
    Ok(hash.clone())
}

/// Why [`ensure`] could not fetch a Go: no hash is pinned for it on this machine.
#[derive(Debug)]
pub struct NotPinned {
    version: String,
    platform: String,
}

impl NotPinned {
    /// The fact alone, for a message that lists the fixes itself.
    pub fn fact(&self) -> String {
        format!("no pinned hash for go{} {} in {PINNED_FILE}, so it cannot be fetched", self.version, self.platform)
    }
}

impl std::fmt::Display for NotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = &self.version;
        write!(
            f,
            "no pinned hash for go{v} {} in {PINNED_FILE}: `cargo xtask toolchain --set {v}` verifies and pins \
             Go {v}'s hashes, or install Go {v}",
            self.platform
        )
    }
}

impl std::error::Error for NotPinned {}

/// The hash file with `pinned` (`(zip name, sha256)`) in it: lines naming one
/// of those zips are replaced, in place of the first of them (else at the end),
/// in the given order; every other line is kept where it was.
pub fn update_hashes(text: &str, pinned: &[(String, String)]) -> String {
    let names: Vec<&str> = pinned.iter().map(|(name, _)| name.as_str()).collect();
    let new_lines: Vec<String> = pinned.iter().map(|(name, hash)| format!("{hash}  {name}")).collect();
    let mut out: Vec<String> = Vec::new();
    let mut placed = false;
    for line in text.lines() {
        let name = line.split_once(' ').map(|(_, rest)| rest.trim_start_matches([' ', '*']).trim_end());
        if name.is_some_and(|n| names.contains(&n)) {
            if !placed {
                out.extend(new_lines.iter().cloned());
                placed = true;
            }
        } else {
            out.push(line.to_owned());
        }
    }
    if !placed {
        out.extend(new_lines);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_file_parses() {
        let a = "a".repeat(64);
        let text = format!("{a}  go1.26.8.linux-amd64.zip\n\n{} *go1.26.8.darwin-arm64.zip\n", "B".repeat(64));
        let hashes = parse_hashes(&text).unwrap();
        assert_eq!(hashes["go1.26.8.linux-amd64.zip"], a);
        assert_eq!(hashes["go1.26.8.darwin-arm64.zip"], "b".repeat(64));
        for bad in ["abc  go.zip".to_owned(), format!("{a} go.zip"), a.clone(), format!("{}  go.zip", "g".repeat(64))] {
            let err = parse_hashes(&bad).unwrap_err().to_string();
            assert!(err.contains("go-toolchains.sha256:1: expected `<sha256>  <file>`"), "{bad}: {err}");
        }
        let err = parse_hashes(&format!("{a}  x.zip\n{}  x.zip\n", "c".repeat(64))).unwrap_err().to_string();
        assert!(err.contains(":2: x.zip is listed twice"), "{err}");
    }

    #[test]
    fn the_pinned_file_covers_the_default_go() {
        let hashes = parse_hashes(PINNED).unwrap();
        let v = crate::settings::DEFAULT_GO;
        for platform in ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"] {
            assert!(hashes.contains_key(format!("go{v}.{platform}.zip").as_str()), "no hash for {platform}");
        }
        let err = pinned_hash(&Release { version: "1.26.9".into(), goos: "linux".into(), goarch: "riscv64".into() })
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "no pinned hash for go1.26.9 linux/riscv64 in xtask/go-toolchains.sha256: \
             `cargo xtask toolchain --set 1.26.9` verifies and pins Go 1.26.9's hashes, or install Go 1.26.9"
        );
    }

    fn h(c: char) -> String {
        c.to_string().repeat(64)
    }

    #[test]
    fn hash_lines_of_the_version_are_replaced_in_place_and_others_kept() {
        let old = format!(
            "{}  go1.25.5.linux-amd64.zip\n{}  go1.26.8.linux-amd64.zip\n{} *go1.26.8.darwin-arm64.zip\n{}  go1.26.8.windows-amd64.zip\n{}  go1.27.0.linux-amd64.zip\n",
            h('1'),
            h('2'),
            h('3'),
            h('4'),
            h('5')
        );
        let pinned = [
            ("go1.26.8.linux-amd64.zip".to_owned(), h('a')),
            ("go1.26.8.linux-arm64.zip".to_owned(), h('b')),
            ("go1.26.8.darwin-arm64.zip".to_owned(), h('c')),
        ];
        assert_eq!(
            update_hashes(&old, &pinned),
            format!(
                "{}  go1.25.5.linux-amd64.zip\n{}  go1.26.8.linux-amd64.zip\n{}  go1.26.8.linux-arm64.zip\n{}  go1.26.8.darwin-arm64.zip\n{}  go1.26.8.windows-amd64.zip\n{}  go1.27.0.linux-amd64.zip\n",
                h('1'),
                h('a'),
                h('b'),
                h('c'),
                h('4'),
                h('5')
            )
        );
        // Same hashes again: byte for byte the same file.
        let once = update_hashes(&old, &pinned);
        assert_eq!(update_hashes(&once, &pinned), once);
        // A new version goes at the end; an empty or unterminated file works.
        let pinned = [("go9.9.9.linux-amd64.zip".to_owned(), h('d'))];
        assert_eq!(update_hashes(&old, &pinned), format!("{old}{}  go9.9.9.linux-amd64.zip\n", h('d')));
        assert_eq!(update_hashes("", &pinned), format!("{}  go9.9.9.linux-amd64.zip\n", h('d')));
        // A prefix of the version is another version.
        let pinned = [("go1.26.linux-amd64.zip".to_owned(), h('e'))];
        assert_eq!(update_hashes(&old, &pinned), format!("{old}{}  go1.26.linux-amd64.zip\n", h('e')));
        parse_hashes(&update_hashes(&old, &pinned)).unwrap();
    }
}
