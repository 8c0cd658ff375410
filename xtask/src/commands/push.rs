//! `cargo xtask push`: the release's images to their registries, as the release holds them.

use anyhow::{bail, Context};

use crate::flags::Push;
use crate::project;
use crate::registry::{self, Layout};
use crate::release::manifest::{Kind, Manifest};
use crate::ui;

impl Push {
    pub fn run(self) -> anyhow::Result<()> {
        let dir = self.dir.clone().unwrap_or_else(|| project::root().join("dist"));
        let manifest = Manifest::read(&dir).with_context(|| {
            format!("{} holds no release of ours (no manifest.json): run `cargo xtask dist`", dir.display())
        })?;
        if manifest.dirty {
            bail!(
                "{} was built from a tree with uncommitted changes (version {}): commit, build again, then push",
                dir.display(),
                manifest.version
            );
        }
        if manifest.partial || manifest.shard.is_some() {
            bail!("{} holds some targets only: push a whole release (merge the shards first)", dir.display());
        }
        let images: Vec<_> = manifest.artifacts.iter().filter(|a| a.kind == Kind::Image).collect();
        if images.is_empty() {
            bail!("{} holds no image: add an [[images]] entry to dist.toml (docs/settings.md)", dir.display());
        }
        for a in images {
            let image = a.image.as_ref().with_context(|| format!("manifest.json: {} has no image fields", a.path))?;
            let archive = dir.join(&a.path);
            let bytes = std::fs::read(&archive).with_context(|| format!("cannot read {}", archive.display()))?;
            if crate::digest::sha256_hex(&bytes) != a.sha256 {
                bail!("{} changed since it was built (its SHA-256 is not manifest.json's): build it again", a.path);
            }
            let layout = Layout::parse(&bytes, &archive)?;
            if layout.index_digest != image.digest {
                bail!("{}: its index is {}, manifest.json says {}", a.path, layout.index_digest, image.digest);
            }
            let (host, path) = registry::split_repository(&image.repository);
            let host = self.registry.clone().unwrap_or(host);
            let tags = image.tags.join(", ");
            if self.dry_run {
                ui::say(format!("would push {} to {host}/{path}: {tags} ({})", a.path, image.digest));
                continue;
            }
            let pushed = registry::push(&layout, &host, &path, &image.tags, self.insecure)
                .with_context(|| format!("cannot push {} to {host}/{path}", a.path))?;
            let uploaded = match (pushed.uploaded, pushed.blobs) {
                (u, n) if u == n => format!("uploaded all {n} blobs"),
                (u, n) => format!("uploaded {u} of {n} blobs, the registry had the others"),
            };
            ui::say(format!(
                "pushed {host}/{path}: {tags} → {} ({} platforms; {uploaded})",
                image.digest,
                image.platforms.len()
            ));
        }
        Ok(())
    }
}
