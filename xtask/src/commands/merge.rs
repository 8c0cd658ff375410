//! `cargo xtask dist merge DIR...`: the outputs of `dist --shard I/N` on
//! several CI runners, combined into one release with a fresh checksum file
//! and manifest. Shards must be of one build (same commit, version, Go and
//! settings), all N of them, each once, and their targets must not overlap.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::engine::{self, Engine};
use crate::flags::Merge;
use crate::output::Output;
use crate::plan::images::ImagePlan;
use crate::project;
use crate::release::{self, manifest::Manifest};
use crate::ui;

impl Merge {
    pub fn run(self) -> anyhow::Result<()> {
        let merge = self;
        let mut shards: Vec<(PathBuf, Manifest, usize, usize)> = Vec::new();
        for dir in &merge.dirs {
            let m = Manifest::read(dir).with_context(|| {
                format!(
                    "{} holds no manifest.json of `cargo xtask dist`: give the --out of a `dist --shard I/N` run",
                    dir.display()
                )
            })?;
            let Some((i, n)) = m
                .shard
                .as_deref()
                .and_then(|s| s.split_once('/'))
                .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)))
            else {
                bail!("{} is a whole release, not a shard: only `dist --shard I/N` outputs are merged", dir.display());
            };
            // The manifest comes from another machine: its paths must stay inside the release.
            if let Some(path) = m.stray_path() {
                bail!("{} lists the artifact path {path:?}, which is not a file inside a release", dir.display());
            }
            for image in &m.images {
                image.check().with_context(|| format!("{} lists an image that is not one of ours", dir.display()))?;
            }
            shards.push((dir.clone(), m, i, n));
        }
        shards.sort_by_key(|s| s.2);
        let (first_dir, first, _, count) = &shards[0];
        // One build: everything that decides the bytes must agree.
        let identity = |m: &Manifest| {
            serde_json::json!([
                m.name,
                m.version,
                m.tag,
                m.dirty,
                m.tagged,
                m.commit,
                m.date,
                m.source_date_epoch,
                m.go_version,
                m.checksums,
                m.names,
                m.settings,
                m.images.iter().map(|i| i.portable()).collect::<Vec<_>>(),
                // The provenance names one Go and one origin for the whole release.
                m.toolchain,
                m.source
            ])
        };
        for (dir, m, _, n) in &shards[1..] {
            if n != count {
                bail!("{} is a shard of {n} but {} is a shard of {count}", dir.display(), first_dir.display());
            }
            if identity(m) != identity(first) {
                bail!(
                    "{} and {} are not shards of one build (version {} vs {}, commit {} vs {}, Go {} vs {}, or the settings, or \
                     the binaries' names, differ: run every shard with the same settings and environment)",
                    first_dir.display(),
                    dir.display(),
                    first.version,
                    m.version,
                    first.commit,
                    m.commit,
                    first.go_version,
                    m.go_version
                );
            }
        }
        let indexes: Vec<usize> = shards.iter().map(|s| s.2).collect();
        if indexes != (1..=*count).collect::<Vec<_>>() {
            bail!("need each of the {count} shards once, got shards {indexes:?}");
        }

        let signer = release::supply::signer(first.supply.sign_required)?;
        let out = merge.out.unwrap_or_else(|| project::root().join("dist"));
        let output = Output::prepare(&out)?;
        let mut owner: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut artifacts = Vec::new();
        let mut engines = Vec::new();
        let mut builds = Vec::new();
        for (dir, m, _, _) in &shards {
            builds.extend(m.builds.iter().cloned());
            if !engines.contains(&m.engine) {
                engines.push(m.engine.clone());
            }
            for a in &m.artifacts {
                if let Some(other) = owner.insert(a.target.clone(), dir.clone()).filter(|o| o != dir) {
                    bail!(
                        "target {} is in both {} and {}: the shards overlap",
                        a.target,
                        other.display(),
                        dir.display()
                    );
                }
                let from = dir.join(&a.path);
                let bytes = fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
                if crate::digest::sha256_hex(&bytes) != a.sha256 {
                    bail!(
                        "{} does not match the SHA-256 in its shard's manifest: it was changed or damaged",
                        from.display()
                    );
                }
                if a.kind == crate::release::manifest::Kind::Binary {
                    let target: crate::target::Target =
                        a.target.parse().with_context(|| format!("in {}", dir.display()))?;
                    crate::release::binary::check(&target, &bytes).with_context(|| format!("in {}", dir.display()))?;
                }
                let to = output.staging().join(&a.path);
                fs::create_dir_all(to.parent().expect("a file path has a parent"))?;
                fs::write(&to, &bytes).with_context(|| format!("cannot write {}", to.display()))?;
                artifacts.push(a.clone());
            }
        }
        // The images: every platform's binary is here now. A Dockerfile image needs the Dagger
        // engine, started only then (a CI runner with Docker has one).
        let merged: Vec<&release::manifest::Artifact> = artifacts.iter().collect();
        let mut session: Option<engine::Session> = None;
        let mut dockerfile = |image: &ImagePlan, binaries: &[PathBuf]| -> anyhow::Result<()> {
            if session.is_none() {
                let sh = xshell::Shell::new()?;
                let opened = engine::Session::open(Engine::Dagger, &sh, "", None).with_context(|| {
                    format!("{} is built from a Dockerfile, by the Dagger engine, which did not start", image.file)
                })?;
                session = Some(opened);
            }
            match session.as_mut() {
                Some(engine::Session::Dagger(s)) => s.dockerfile_image(image, binaries, output.staging()),
                _ => unreachable!("opened as Dagger above"),
            }
        };
        // Their files are read in this checkout (the shards may have had theirs elsewhere).
        let root = project::root();
        let images = first
            .images
            .iter()
            .map(|image| {
                let image = image.rooted_at(&root)?;
                release::make_image(output.staging(), &image, first.source_date_epoch, &merged, None, &mut dockerfile)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        artifacts.extend(images);
        builds.sort_by(|a, b| a.target.cmp(&b.target));
        let mut manifest = Manifest {
            engine: engines.join("+"),
            shard: None,
            names: None,
            artifacts,
            held: vec![],
            partial: false,
            images: vec![],
            builds,
            signatures: vec![],
            ..first.clone()
        };
        // The shards wrote their files' SBOMs; the images are made here.
        let holdings: Vec<_> = first.images.iter().map(crate::plan::supply::image_holding).collect();
        let sboms = release::supply::sboms(output.staging(), &manifest, &holdings, &manifest.artifacts, None)?;
        manifest.artifacts.extend(sboms);
        release::supply::complete(output.staging(), &mut manifest, signer.as_ref(), Some(output.path()))?;
        release::seal(output.staging(), &manifest)?;
        output.commit()?;
        ui::say(format!("merged {count} shards: {} artifacts into {}", manifest.artifacts.len(), out.display()));
        Ok(())
    }
}
