//! `cargo xtask toolchain`: the path of the go the host engine would use
//! (fetched first if need be); with `--set VERSION`, another Go pinned
//! everywhere, and what changed.

/// `cargo xtask toolchain`: the path of the go the host engine would use; with
/// `--set`, another Go pinned everywhere.
impl crate::flags::Toolchain {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(version) = &self.set {
            let report = crate::toolchain::set::set_everywhere(version, self.settings.as_deref())?;
            if report.changed.is_empty() {
                println!("Go {version} is already set everywhere ({}): nothing changed", report.untouched.join(", "));
                return Ok(());
            }
            for (file, what) in &report.changed {
                println!("changed {file} ({what})");
            }
            if !report.untouched.is_empty() {
                println!("already set: {}", report.untouched.join(", "));
            }
            if report.hashes_changed {
                println!(
                    "next: {} (the next `cargo xtask` recompiles the xtask first: the hashes are built into it)",
                    report.next
                );
            } else {
                println!("next: {}", report.next);
            }
            return Ok(());
        }
        let settings = crate::settings::Settings::load_for_build(self.settings.as_deref())?;
        println!("{}", crate::toolchain::ensure(&settings.go_version)?.display());
        Ok(())
    }
}
