//! `manifest.json`: every artifact with its target, kind, path, size and
//! SHA-256, plus the version, commit, Go version, engine and settings used.
//!
//! It doubles as the marker that a directory was written by this tool and may
//! be replaced by the next run (see `output/replace.rs`).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FILE_NAME: &str = crate::plan::MANIFEST_FILE;
/// Identifies directories this tool wrote.
pub const GENERATOR: &str = "cargo xtask dist";
/// 3: `published` lists what a release publishes; the checksum file covers exactly that.
pub const SCHEMA: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub generator: String,
    pub schema: u32,
    pub name: String,
    pub version: String,
    /// The latest tag (`.Tag` in names), or empty.
    #[serde(default)]
    pub tag: String,
    /// Built from a tree with uncommitted changes.
    #[serde(default)]
    pub dirty: bool,
    /// Built from a clean tree exactly at `tag`: what may be published as that tag.
    #[serde(default)]
    pub tagged: bool,
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
    /// A shard's: the digest of every target's binary names in the whole plan (a name template may
    /// read `.Env`, filled on each runner), so that `merge` joins only shards that agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<String>,
    pub settings: serde_json::Value,
    pub artifacts: Vec<Artifact>,
    /// What a release publishes, by file name: every published artifact, this
    /// manifest and the checksum file. The checksum file lists all the others.
    #[serde(default)]
    pub published: Vec<String>,
    /// Built for some targets only (`--target`, `--host`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The previous release's other targets, kept by a partial run in `.held/`
    /// (under their paths here) for the next full run: not part of this release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Artifact>,
    /// A shard's: the images of the whole plan, which `dist merge` makes from every shard's binaries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<crate::plan::images::ImagePlan>,
    /// Where the source lives: the origin remote as a web URL, or empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Each target's `go build` command lines and environment, as the plan gave them to the engine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builds: Vec<BuildRecord>,
    /// SBOMs, provenance and signing, as the settings ask.
    #[serde(default)]
    pub supply: crate::plan::supply::SupplyPlan,
    /// The minisign signatures this release has (of the checksum file and the provenance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<String>,
    /// The Go that built, by content: the build image's digest, or the fetched Go's module zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<crate::plan::ResolvedDep>,
}

/// How one target's binaries were built.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BuildRecord {
    pub target: String,
    /// Each binary's whole `go build` argv.
    pub argv: Vec<Vec<String>>,
    pub env: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Artifact {
    /// `os/arch[/vN]`, or `image` for an image archive (its platforms are in `image`).
    pub target: String,
    pub kind: Kind,
    /// The binary's name, for binaries and bare binaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// The `id` of the archive set an archive or bare binary belongs to, when the set has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Relative to the output directory, with `/` separators.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// What the file was made from (a key over every input): the next run reuses it when that is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// A container image's name, tags, digest and platforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// An SBOM's: the published file it describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub describes: Option<String>,
}

/// What names an image archive's image (`[[images]]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageRef {
    pub repository: String,
    pub tags: Vec<String>,
    /// The image index's digest (`sha256:…`): what a registry reports once it is pushed.
    pub digest: String,
    /// `os/arch[/vN]` of each image in the index.
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A binary in its target's folder (`linux/amd64/hello`): for local use, not published.
    Binary,
    Archive,
    /// A binary published on its own (`archive.format = "binary"`).
    Bare,
    /// A Linux package: .deb, .rpm or .apk (`[[packages]]`).
    Package,
    /// An OCI image layout archive of a multi-platform image (`[[images]]`).
    Image,
    /// An SBOM of another published file (`[sbom]`).
    Sbom,
}

impl Kind {
    /// Whether a release publishes artifacts of this kind (and so lists them in its checksum file).
    pub fn published(self) -> bool {
        match self {
            Kind::Binary => false,
            Kind::Archive | Kind::Bare | Kind::Package | Kind::Image | Kind::Sbom => true,
        }
    }
}

/// A plain file name or path inside a release: not empty, no root, no `..`, no backslash.
pub fn inside(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn default_checksums() -> String {
    super::checksums::FILE_NAME.to_owned()
}

impl Manifest {
    /// Writes `manifest.json` and then the checksum file over everything
    /// published but itself, the provenance and the signatures, which cover it
    /// (this manifest included), with artifacts in one
    /// canonical order (target, then path), so that a merged release and an
    /// unsharded one are the same bytes.
    pub fn write_with_checksums(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.artifacts.sort_by(|a, b| (&a.target, &a.path).cmp(&(&b.target, &b.path)));
        let mut published: Vec<String> =
            self.artifacts.iter().filter(|a| a.kind.published()).map(|a| a.path.clone()).collect();
        published.extend([FILE_NAME.to_owned(), self.checksums.clone()]);
        // A shard's provenance is written by `dist merge`.
        published.extend(self.supply.provenance.clone().filter(|_| self.shard.is_none()));
        published.extend(self.signatures.iter().cloned());
        published.sort();
        self.published = published;
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(dir.join(FILE_NAME), &text).context("cannot write manifest.json")?;
        let mut sums: Vec<(String, String)> =
            self.artifacts.iter().filter(|a| a.kind.published()).map(|a| (a.path.clone(), a.sha256.clone())).collect();
        sums.push((FILE_NAME.to_owned(), crate::digest::sha256_hex(text.as_bytes())));
        std::fs::write(dir.join(&self.checksums), super::checksums::sums_file(&sums))
            .with_context(|| format!("cannot write {}", self.checksums))
    }

    /// The first file this manifest names that is not a file inside a release
    /// (empty, absolute, with `..`, a backslash, or the manifest or checksum
    /// file itself): a manifest from elsewhere must not lead a run out of its
    /// output directory.
    pub fn stray_path(&self) -> Option<&str> {
        let inside = |path: &str| inside(path) && path != FILE_NAME && path != self.checksums;
        let top = |path: &&str| inside(path) && !path.contains('/');
        let artifact = self.artifacts.iter().chain(&self.held).map(|a| a.path.as_str()).find(|p| !inside(p));
        artifact.or_else(|| self.supply_files().find(|p| !top(p)))
    }

    /// The files written after the checksum file: the provenance and the signatures (a shard has neither).
    pub fn supply_files(&self) -> impl Iterator<Item = &str> {
        let provenance = self.supply.provenance.iter().filter(|_| self.shard.is_none());
        provenance.chain(&self.signatures).map(String::as_str)
    }

    /// What a release's signatures sign: the checksum file and the provenance.
    pub fn signed_files(&self) -> Vec<String> {
        std::iter::once(self.checksums.clone()).chain(self.supply.provenance.clone()).collect()
    }

    /// The trusted comment of a signature of `file` in this release: what it signs, of which release.
    pub fn trusted_comment(&self, file: &str) -> String {
        format!(
            "timestamp:{}	file:{file}	release:{} {}	commit:{}",
            self.source_date_epoch, self.name, self.version, self.commit
        )
    }

    /// The manifest of `dir`, if it holds one of ours.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(dir.join(FILE_NAME)).ok()?;
        serde_json::from_str::<Manifest>(&text).ok().filter(|m| m.generator == GENERATOR)
    }
}
