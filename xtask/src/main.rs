//! See <https://github.com/matklad/cargo-xtask/>.
//!
//! `cargo xtask dist` builds the Go app in `app/` for every target, in a Dagger
//! pipeline or with the host's Go. The pure build plan (settings, targets,
//! stamp, plan) is separate from the engines that execute it (engine/) and from
//! what turns binaries into a release (artifacts/, output).

mod commands;
mod digest;
mod engine;
mod flags;
mod init;
mod interrupt;
mod linker_vars;
mod output;
mod parallel;
mod plan;
mod project;
mod registry;
mod release;
mod settings;
mod source;
mod stamp;
mod steps;
mod target;
mod template;
mod toolchain;
mod ui;

use clap::Parser;
use xshell::Shell;

fn main() {
    let flags = flags::Xtask::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        // clap reads `--out -x` as two options; the value needs the `=` form.
        let args: Vec<String> = std::env::args().collect();
        if let Some(w) = args.windows(2).find(|w| flags::PATH_OPTIONS.contains(&w[0].as_str()) && w[1].starts_with('-'))
        {
            eprintln!(
                "\ntip: a value that starts with '-' needs the = form: {}={} (or {} ./{})",
                w[0], w[1], w[0], w[1]
            );
        }
        std::process::exit(e.exit_code())
    });
    if let Err(e) = try_main(flags) {
        eprintln!("error: {e:#}");
        // 130 or 143: the shell's code for "stopped by SIGINT" or "by SIGTERM".
        std::process::exit(interrupt::exit_code().unwrap_or(1));
    }
    if interrupt::requested() {
        // Past the point of no return (the new release was already in place): the work is complete.
        ui::warn("interrupted too late to stop: the command had already finished its work");
    }
}

fn try_main(flags: flags::Xtask) -> anyhow::Result<()> {
    interrupt::install()?;
    project::start_dir(); // Read once, before anything runs.
    let sh = Shell::new()?;
    sh.change_dir(project::root());
    match flags.command {
        flags::Command::Dist(cmd) => cmd.run(&sh),
        flags::Command::Init(cmd) => cmd.run(),
        flags::Command::Test(cmd) => cmd.run(&sh),
        flags::Command::Ci(cmd) => cmd.run(&sh),
        flags::Command::Toolchain(cmd) => cmd.run(),
        flags::Command::Adopt(cmd) => cmd.run(),
        flags::Command::Push(cmd) => cmd.run(),
        flags::Command::Verify(cmd) => cmd.run(&sh),
    }
}
