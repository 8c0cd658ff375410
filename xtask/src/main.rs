//! See <https://github.com/matklad/cargo-xtask/>.
//!
//! `cargo xtask dist` builds the Go app in `app/` for every target, in a Dagger
//! pipeline or with the host's Go. The pure build plan (settings, targets,
//! stamp, plan) is separate from the engines that execute it (engine/) and from
//! what turns binaries into a release (artifacts/, output).

mod artifacts;
mod ci;
mod dist;
mod engine;
mod flags;
mod init;
mod interrupt;
mod merge;
mod output;
mod plan;
mod project;
mod settings;
mod source;
mod stamp;
mod target;
mod template;
mod test;
mod ui;

use clap::Parser;
use xshell::Shell;

fn main() {
    let flags = flags::Xtask::parse();
    if let Err(e) = try_main(flags) {
        eprintln!("error: {e:#}");
        // 130 is the shell's code for "stopped by SIGINT".
        std::process::exit(if interrupt::requested() { 130 } else { 1 });
    }
}

fn try_main(flags: flags::Xtask) -> anyhow::Result<()> {
    interrupt::install()?;
    let sh = Shell::new()?;
    sh.change_dir(project::root());
    match flags.command {
        flags::Command::Dist(cmd) => cmd.run(&sh),
        flags::Command::Init(cmd) => init_command(cmd),
        flags::Command::Test(cmd) => cmd.run(&sh),
        flags::Command::Ci(cmd) => cmd.run(&sh),
    }
}

/// `cargo xtask init`. (Moves into init.rs.)
fn init_command(cmd: flags::Init) -> anyhow::Result<()> {
    let repo = cmd.dir.unwrap_or_else(project::root);
    let file = repo.join("dist.toml");
    if file.exists() && !cmd.force {
        anyhow::bail!("{} exists: pass --force to replace it", file.display());
    }
    let imported = init::import(&repo)?;
    std::fs::write(&file, &imported.toml).map_err(|e| anyhow::format_err!("cannot write {}: {e}", file.display()))?;
    ui::say(format!("wrote {} from {}", file.display(), imported.source));
    for key in &imported.unmapped {
        ui::warn(format!("not imported: {key}"));
    }
    Ok(())
}
