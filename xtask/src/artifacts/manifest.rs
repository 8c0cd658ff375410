//! `manifest.json`: every artifact with its target, kind, path, size and
//! SHA-256, plus the version, commit, Go version, engine and settings used.
//!
//! It doubles as the marker that a directory was written by this tool and may
//! be replaced by the next run (see `output.rs`).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FILE_NAME: &str = "manifest.json";
/// Identifies directories this tool wrote.
pub const GENERATOR: &str = "cargo xtask dist";
/// 2: artifacts name their binary, bare binaries, a named checksum file.
pub const SCHEMA: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub generator: String,
    pub schema: u32,
    pub name: String,
    pub version: String,
    pub commit: String,
    /// Commit date (RFC 3339), the date stamped into binaries.
    pub date: String,
    /// The mtime of every file written, seconds since 1970.
    pub source_date_epoch: i64,
    pub go_version: String,
    pub engine: String,
    pub image: Option<String>,
    /// The checksum file's name (`SHA256SUMS` unless the settings say otherwise).
    #[serde(default = "default_checksums")]
    pub checksums: String,
    /// `I/N` for the output of `dist --shard I/N`, to be merged with the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub settings: serde_json::Value,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Artifact {
    /// `os/arch[/vN]`.
    pub target: String,
    pub kind: Kind,
    /// The binary's name, for binaries and bare binaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// Relative to the output directory, with `/` separators.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// What the file was made from (a key over every input): the next run reuses it when that is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Binary,
    Archive,
    /// A binary published on its own (`archive.format = "binary"`).
    Bare,
}

fn default_checksums() -> String {
    super::checksums::FILE_NAME.to_owned()
}

impl Manifest {
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(dir.join(FILE_NAME), text).context("cannot write manifest.json")
    }

    /// The manifest of `dir`, if it holds one of ours.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(dir.join(FILE_NAME)).ok()?;
        serde_json::from_str::<Manifest>(&text).ok().filter(|m| m.generator == GENERATOR)
    }
}
