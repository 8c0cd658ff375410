//! What a release says about itself (`[sbom]`, `[provenance]`, `[sign]`): which files the
//! SBOMs describe, and the names of the provenance and the signatures. Recorded in the manifest,
//! so that `dist merge` completes a sharded release the same way.

use serde::{Deserialize, Serialize};

use super::{Package, Plan};
use crate::settings::SbomFormat;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SupplyPlan {
    /// The SBOM formats written beside each published file that holds binaries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom: Vec<SbomFormat>,
    /// The provenance's file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    /// A run without a signing key fails.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_required: bool,
}

/// What a signature of `file` is named: minisign's own default.
pub fn signature_name(file: &str) -> String {
    format!("{file}.minisig")
}

/// A published file that holds binaries, and those binaries, each by its target and name (as
/// `Artifact::target` and `Artifact::binary` give them): what an SBOM describes.
pub type Holding = (String, Vec<(String, String)>);

/// An image archive's holding: its binary for each platform.
pub fn image_holding(image: &super::images::ImagePlan) -> Holding {
    let binaries = image
        .platforms
        .iter()
        .zip(&image.paths)
        .map(|(t, path)| (t.to_string(), path.rsplit('/').next().unwrap_or(path).to_owned()))
        .collect();
    (image.file.clone(), binaries)
}

impl Plan {
    /// Every published file this run makes that holds binaries (images only where it makes them).
    pub fn holdings(&self) -> Vec<Holding> {
        let mut out = Vec::new();
        for build in &self.builds {
            let of = |i: usize| (build.target.to_string(), build.names[i].clone());
            for set in &build.archives {
                match &set.package {
                    Package::Archive { file, .. } => {
                        out.push((file.clone(), set.binaries.iter().map(|&i| of(i)).collect()))
                    }
                    Package::Bare(names) => {
                        out.extend(set.binaries.iter().zip(names).map(|(&i, n)| (n.clone(), vec![of(i)])))
                    }
                }
            }
            for p in &build.packages {
                out.push((p.file.clone(), p.binaries.iter().map(|(i, _)| of(*i)).collect()));
            }
        }
        if self.shard.is_none() {
            out.extend(self.images.iter().map(image_holding));
        }
        out
    }
}
