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
        flags::Command::Init(cmd) => cmd.run(),
        flags::Command::Test(cmd) => cmd.run(&sh),
        flags::Command::Ci(cmd) => cmd.run(&sh),
    }
}

