//! The binaries published bare (`archive.format = "binary"`): each under its
//! name from the archive name template, as GoReleaser's `binary` format does.

use std::fs;
use std::path::Path;

use anyhow::Context;

use super::archive::Entry;
use super::manifest::{Artifact, Kind};
use super::{artifact, Packer};
use crate::plan::{Package, Plan, TargetBuild};

pub struct Bare;

impl Packer for Bare {
    fn files(&self, _: &Plan, build: &TargetBuild) -> Vec<String> {
        match &build.package {
            Package::Bare(names) => names.clone(),
            Package::Archive { .. } => vec![],
        }
    }

    fn recipe(&self, plan: &Plan, build: &TargetBuild) -> serde_json::Value {
        serde_json::json!({ "kind": "bare", "names": self.files(plan, build) })
    }

    fn make(
        &self,
        dir: &Path,
        plan: &Plan,
        build: &TargetBuild,
        binaries: &[(&str, &[u8])],
        _: &[Entry],
    ) -> anyhow::Result<Vec<Artifact>> {
        let mut out = Vec::new();
        for ((binary, bytes), name) in binaries.iter().zip(self.files(plan, build)) {
            let path = dir.join(&name);
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
            out.push(artifact(build, Kind::Bare, name, bytes, Some(binary)));
        }
        Ok(out)
    }
}
