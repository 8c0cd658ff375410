//! The binaries published bare (an archive set's `format = "binary"`): each
//! under its name from the set's name template, as GoReleaser's `binary` format does.

use std::fs;
use std::path::Path;

use anyhow::Context;

use super::archive::Entry;
use super::manifest::{Artifact, Kind};
use super::{artifact, Packer};
use crate::plan::{ArchivePlan, Package, Plan, TargetBuild};

pub struct Bare;

impl Packer for Bare {
    fn files(&self, _: &Plan, build: &TargetBuild) -> Vec<String> {
        bare(build).flat_map(|a| a.package.files()).collect()
    }

    fn recipe(&self, _: &Plan, build: &TargetBuild) -> serde_json::Value {
        serde_json::json!({ "kind": "bare", "archives": bare(build).collect::<Vec<_>>() })
    }

    fn make(
        &self,
        dir: &Path,
        _: &Plan,
        build: &TargetBuild,
        binaries: &[(&str, &[u8])],
        _: &[Entry],
    ) -> anyhow::Result<Vec<Artifact>> {
        let mut out = Vec::new();
        for a in bare(build) {
            for (&i, name) in a.binaries.iter().zip(a.package.files()) {
                let (binary, bytes) = binaries[i];
                let path = dir.join(&name);
                fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
                out.push(Artifact { id: a.id.clone(), ..artifact(build, Kind::Bare, name, bytes, Some(binary)) });
            }
        }
        Ok(out)
    }
}

/// The archive sets that publish this target's binaries bare.
fn bare(build: &TargetBuild) -> impl Iterator<Item = &ArchivePlan> {
    build.archives.iter().filter(|a| matches!(a.package, Package::Bare(_)))
}
