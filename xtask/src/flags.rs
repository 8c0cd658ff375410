//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::EngineChoice;

/// Build and package the Go app for every target, in Dagger or on the host.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
#[command(
    after_help = "Examples:\n  cargo xtask dist\n  cargo xtask dist --host\n  cargo xtask dist --engine host --target linux/arm64,windows/amd64 --out /tmp/release"
)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Dist(Dist),
}

/// Build every target into dist/: binaries, archives, SHA256SUMS and manifest.json.
///
/// Settings come from dist.toml at the workspace root. The previous dist/ is
/// replaced only when the whole build succeeded and every binary's header
/// matched its target.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask dist                            # all targets in dist.toml, Dagger if available\n  cargo xtask dist --engine host --host       # only this machine's target, with the host's Go\n  cargo xtask dist --target linux/amd64 --target linux/arm/v7\n  cargo xtask dist --target darwin/arm64,windows/amd64 --out /tmp/release --smoke"
)]
pub struct Dist {
    /// Where to build: dagger (the pinned golang image), host (the host's Go), or auto.
    ///
    /// auto picks dagger when a Dagger session or engine is configured in the
    /// environment or `docker info`/`podman info` answers, else host.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,

    /// Build only this target, as OS/ARCH or OS/arm/vN (repeatable, or comma-separated), e.g. linux/arm64.
    #[arg(long = "target", value_name = "OS/ARCH", value_delimiter = ',')]
    pub targets: Vec<String>,

    /// Build only for this machine's OS and architecture.
    #[arg(long, conflicts_with = "targets")]
    pub host: bool,

    /// Output directory [default: dist/ in the workspace]. Replaced only if empty or written by this command.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Settings file [default: dist.toml in the workspace].
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Also run each binary this machine can execute (natively or via qemu-user binfmt) with `version`.
    #[arg(long)]
    pub smoke: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Xtask::command().debug_assert();
    }

    #[test]
    fn readme_documents_every_option() {
        let readme = std::fs::read_to_string(crate::project::root().join("README.md")).unwrap();
        let cli = Xtask::command();
        let dist = cli.find_subcommand("dist").unwrap();
        for arg in dist.get_arguments() {
            if let Some(long) = arg.get_long().filter(|l| *l != "help") {
                assert!(readme.contains(&format!("--{long}")), "README.md does not mention dist --{long}");
            }
        }
        for engine in ["auto", "dagger", "host"] {
            assert!(readme.contains(&format!("**{engine}**")) || readme.contains(&format!("--engine {engine}")));
        }
    }

    #[test]
    fn targets_repeat_and_split_on_commas() {
        let Command::Dist(d) =
            Xtask::parse_from(["x", "dist", "--target", "linux/amd64,darwin/arm64", "--target", "linux/arm/v7"])
                .command;
        assert_eq!(d.targets, ["linux/amd64", "darwin/arm64", "linux/arm/v7"]);
        assert_eq!(d.engine, EngineChoice::Auto);
    }
}
