//! `[sbom]`, `[provenance]` and `[sign]`: what a release says about itself — what is inside each
//! file, how it was built, and who vouches for it.

use serde::{Deserialize, Serialize};

use super::parse_template;
use crate::template::Template;

pub const DEFAULT_PROVENANCE_NAME: &str = "{{ .ProjectName }}_{{ .Version }}.intoto.json";
/// The environment variables a minisign secret key and its password come in.
pub const KEY_ENV: &str = "XTASK_MINISIGN_KEY";
pub const PASSWORD_ENV: &str = "XTASK_MINISIGN_PASSWORD";

/// `[sbom]`: an SBOM beside each published file that holds a binary.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SbomSettings {
    /// `spdx` (SPDX 2.3 JSON, `<file>.spdx.json`), `cyclonedx` (CycloneDX 1.6 JSON, `<file>.cdx.json`).
    pub formats: Vec<SbomFormat>,
}

impl Default for SbomSettings {
    fn default() -> SbomSettings {
        SbomSettings { formats: vec![SbomFormat::Spdx, SbomFormat::Cyclonedx] }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    Spdx,
    Cyclonedx,
}

impl SbomFormat {
    /// What follows the described file's name.
    pub fn suffix(self) -> &'static str {
        match self {
            SbomFormat::Spdx => ".spdx.json",
            SbomFormat::Cyclonedx => ".cdx.json",
        }
    }
}

/// `[provenance]`: one in-toto statement (SLSA provenance v1) over every file of the checksum file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProvenanceSettings {
    /// Its file name (a template).
    pub name: String,
}

impl Default for ProvenanceSettings {
    fn default() -> ProvenanceSettings {
        ProvenanceSettings { name: DEFAULT_PROVENANCE_NAME.into() }
    }
}

/// `[sign]`: the checksum file and the provenance are signed with minisign whenever
/// `XTASK_MINISIGN_KEY` holds a secret key; `required` makes a run without it fail.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SignSettings {
    pub required: bool,
}

/// What the three sections resolve to.
#[derive(Debug, Clone, Default)]
pub struct ResolvedSupply {
    pub sbom_formats: Vec<SbomFormat>,
    pub provenance: Option<Template>,
    pub sign_required: bool,
}

pub fn resolve(
    sbom: &Option<SbomSettings>,
    provenance: &Option<ProvenanceSettings>,
    sign: &Option<SignSettings>,
) -> anyhow::Result<ResolvedSupply> {
    let mut formats = sbom.as_ref().map(|s| s.formats.clone()).unwrap_or_default();
    formats.sort();
    formats.dedup();
    let provenance = match provenance {
        Some(p) => Some(parse_template("provenance.name", &p.name)?),
        None => None,
    };
    Ok(ResolvedSupply { sbom_formats: formats, provenance, sign_required: sign.as_ref().is_some_and(|s| s.required) })
}
