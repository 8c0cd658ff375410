//! `cargo xtask init`: writes `dist.toml` for the repository from its GoReleaser config or go.mod
//! (the import itself is `crate::init`).

use anyhow::bail;

impl crate::flags::Init {
    /// Writes `dist.toml` in the repository; an existing one only with `--force`.
    pub fn run(self) -> anyhow::Result<()> {
        let repo = self.dir.unwrap_or_else(crate::project::root);
        let file = repo.join("dist.toml");
        if file.exists() && !self.force {
            bail!("{} exists: pass --force to replace it", file.display());
        }
        let imported = crate::init::import(&repo)?;
        crate::init::write(&file, &imported)?;
        crate::ui::say(format!("wrote {} from {}", file.display(), imported.source));
        crate::init::warn_unmapped(&imported);
        Ok(())
    }
}
