//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Where to build (`--engine`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    #[default]
    /// Dagger when a Dagger session, engine or container runtime is available, else host.
    Auto,
    /// The Dagger pipeline (needs Docker, or a Dagger engine reachable through the environment).
    Dagger,
    /// The host's Go toolchain.
    Host,
}

/// Options whose value is a path (which may start with `-`).
pub const PATH_OPTIONS: [&str; 3] = ["--out", "--settings", "--dir"];

/// Build and package the Go app for every target, in Dagger or on the host.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
#[command(
    after_help = "Examples:\n  cargo xtask dist\n  cargo xtask dist --host\n  cargo xtask dist --engine host --target linux/arm64,windows/amd64 --out /tmp/release\n  cargo xtask init\n  cargo xtask ci\n  cargo xtask adopt ../your-go-repo"
)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Dist(Dist),
    Init(Init),
    Test(Test),
    Ci(Ci),
    Toolchain(Toolchain),
    Adopt(Adopt),
    Push(Push),
    Verify(Verify),
}

/// Check a release as a downloader would: the checksum file, the signatures, the provenance, the SBOMs.
///
/// Every file of the checksum file must be there with its SHA-256; with --key, every signature must
/// verify with it (and be there); the provenance's subjects must be the checksum file's entries; every
/// published file holding binaries must have its SBOMs. --rebuild then builds the recorded commit
/// again (a clone of this repository, its own xtask and settings) and compares every file's bytes.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask verify                              # dist/\n  cargo xtask verify ~/Downloads/hello-1.2.3 --key minisign.pub\n  cargo xtask verify --rebuild --engine host"
)]
pub struct Verify {
    /// The release [default: dist/ in the workspace].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The minisign public key the signatures must verify with: a minisign.pub file, or its key line.
    #[arg(long, value_name = "FILE|KEY")]
    pub key: Option<String>,
    /// Also rebuild the recorded commit in a clone of this repository and compare every file.
    #[arg(long)]
    pub rebuild: bool,
    /// The engine of the rebuild.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto, requires = "rebuild")]
    pub engine: EngineChoice,
}

/// Push the release's container images to their registries, each byte and digest as the release holds it.
///
/// Reads manifest.json in DIR; every image archive must still have its recorded SHA-256. Refuses a
/// release built from a dirty tree or for some targets only. Credentials: XTASK_REGISTRY_USERNAME and
/// XTASK_REGISTRY_PASSWORD, else Docker's config.json ($DOCKER_CONFIG or ~/.docker).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask push                                 # every image of dist/, to its repository and tags\n  cargo xtask push --registry localhost:5000       # the same paths on another registry\n  cargo xtask push --dry-run"
)]
pub struct Push {
    /// The release [default: dist/ in the workspace].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Push to this registry (host[:port]) instead of the one each image's repository names, keeping the path.
    #[arg(long, value_name = "HOST")]
    pub registry: Option<String>,
    /// Plain HTTP (localhost and 127.0.0.1 always are).
    #[arg(long)]
    pub insecure: bool,
    /// Say what would be pushed, push nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Build every target into dist/: binaries, archives, checksums and manifest.json.
///
/// Settings come from dist.toml at the workspace root. The previous dist/ is
/// replaced only when the whole build succeeded and every binary's header
/// matched its target; its unchanged targets are carried over, not rebuilt.
#[derive(Debug, Args, Default)]
#[command(args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Examples:\n  cargo xtask dist                            # all targets in dist.toml, Dagger if available\n  cargo xtask dist --engine host --host       # only this machine's target, with the host's Go\n  cargo xtask dist --target linux/amd64 --target linux/arm/v7\n  cargo xtask dist --dry-run                  # what would be built, and where\n  cargo xtask dist --shard 2/3 --out shard-2  # one CI runner's share\n  cargo xtask dist merge shard-1 shard-2 shard-3"
)]
pub struct Dist {
    #[command(subcommand)]
    pub action: Option<DistAction>,

    /// Where to build: dagger (the pinned golang image), host (the host's Go), or auto.
    ///
    /// auto picks dagger when DAGGER_SESSION_PORT, _EXPERIMENTAL_DAGGER_RUNNER_HOST
    /// or _EXPERIMENTAL_DAGGER_CLI_BIN is set, or `docker info`/`podman info`
    /// answers; else host. Dagger then uses a `dagger` CLI of the SDK's version
    /// from PATH, if there is one, instead of downloading it.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,

    /// Build only this target, as OS/ARCH or OS/arm/vN (repeatable, or comma-separated), e.g. linux/arm64.
    #[arg(long = "target", value_name = "OS/ARCH", value_delimiter = ',')]
    pub targets: Vec<String>,

    /// Build only for this machine's OS and architecture.
    #[arg(long, conflicts_with = "targets")]
    pub host: bool,

    /// Build shard I of N (1-based): a deterministic, balanced share of the targets, for one CI runner.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,

    /// Output directory [default: dist/ in the workspace]. Replaced only if empty or written by this command.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Settings file [default: dist.toml in the workspace].
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Also run each binary this machine can execute (natively or via qemu-user binfmt) with `version`.
    #[arg(long)]
    pub smoke: bool,

    /// Print the engine, image, targets (and those dropped), binaries and file names; build nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Refuse to build anything but a release: a clean tree exactly at a tag, every target (CI on a tag push).
    #[arg(long, conflicts_with_all = ["targets", "host"])]
    pub release: bool,

    /// Build with the engine's Go even when it is not app.go; the manifest records the Go that built.
    #[arg(long)]
    pub allow_other_go: bool,

    /// Keep the Go build and module caches in DIR/build and DIR/mod, for a CI cache step to save and restore.
    ///
    /// The host engine uses them as its GOCACHE and GOMODCACHE. The Dagger engine fills its own
    /// cache volumes from them when they are empty (a fresh CI engine, or one whose garbage
    /// collector pruned them) and writes back what the run added and the build-cache entries it
    /// used that DIR lacks; after a build that passed it removes the build-cache entries no build
    /// used for a day (only from a DIR it made).
    #[arg(long, value_name = "DIR")]
    pub go_cache: Option<PathBuf>,

    #[command(flatten)]
    pub output: Verbosity,
}

#[derive(Debug, Subcommand)]
pub enum DistAction {
    /// Combine the outputs of `dist --shard I/N` runs into one release (fresh checksums and manifest).
    Merge(Merge),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask dist merge shard-1 shard-2 shard-3             # into dist/\n  cargo xtask dist merge shard-1 shard-2 shard-3 --out dist"
)]
pub struct Merge {
    /// Shard output directories, one per shard.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Output directory [default: dist/ in the workspace].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// How much to print.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct Verbosity {
    /// Print only errors and warnings.
    #[arg(long, short, conflicts_with = "verbose", global = true)]
    pub quiet: bool,

    /// Also print every go command the host engine runs, with the plan's environment, and the Dagger engine's own progress.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

/// Shard I of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s.split_once('/').ok_or_else(|| format!("`{s}`: write I/N, e.g. 2/3"))?;
    let (index, count) = match (i.trim().parse::<usize>(), n.trim().parse::<usize>()) {
        (Ok(i), Ok(n)) => (i, n),
        _ => return Err(format!("`{s}`: I and N must be whole numbers, e.g. 2/3")),
    };
    if count == 0 || index == 0 || index > count {
        return Err(format!("`{s}`: need 1 ≤ I ≤ N"));
    }
    Ok(Shard { index, count })
}

/// Write dist.toml for this repository: from its .goreleaser.yml if there is one, else from go.mod.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask init                          # dist.toml for this workspace\n  cargo xtask init --dir ../my-go-repo      # for another repository\n  cargo xtask init --force                  # replace an existing dist.toml"
)]
pub struct Init {
    /// Replace an existing dist.toml.
    #[arg(long)]
    pub force: bool,

    /// The repository to describe [default: the workspace].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Run `gofmt -l`, `go vet` and `go test` for the app, with the same engine and pinned Go as dist.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask test                          # on the engine dist would use\n  cargo xtask test --engine host            # with the pinned Go on this machine\n  cargo xtask test --settings other/dist.toml"
)]
pub struct Test {
    /// Where to run: dagger (the pinned golang image), host, or auto (as for dist).
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,

    /// Settings file [default: dist.toml in the workspace].
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Run with the engine's Go even when it is not app.go.
    #[arg(long)]
    pub allow_other_go: bool,
    /// Keep the Go build and module caches in DIR/build and DIR/mod, for a CI cache step to save and restore.
    ///
    /// The host engine uses them as its GOCACHE and GOMODCACHE. The Dagger engine fills its own
    /// cache volumes from them when they are empty (a fresh CI engine, or one whose garbage
    /// collector pruned them) and writes back what the run added and the build-cache entries it
    /// used that DIR lacks; after a build that passed it removes the build-cache entries no build
    /// used for a day (only from a DIR it made).
    #[arg(long, value_name = "DIR")]
    pub go_cache: Option<PathBuf>,
}

/// Everything CI needs: the app's gofmt/vet/tests, then dist; stops at the first failure.
///
/// The xtask's own Rust code is not checked unless --lint-xtask: a new Rust
/// release's lints or formatting would otherwise fail CI for code you did not write.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask ci                            # test, dist\n  cargo xtask ci --engine host              # without Docker or Dagger\n  cargo xtask ci --lint-xtask               # cargo fmt --check and clippy of the xtask first"
)]
pub struct Ci {
    /// Engine for `test` and `dist`.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,

    /// First check the xtask's Rust code: `cargo fmt --check` and `cargo clippy -D warnings` (for repositories that change their xtask).
    #[arg(long)]
    pub lint_xtask: bool,

    /// Build with the engine's Go even when it is not app.go; the manifest records the Go that built.
    #[arg(long)]
    pub allow_other_go: bool,
    /// Keep the Go build and module caches in DIR/build and DIR/mod, for a CI cache step to save and restore.
    ///
    /// The host engine uses them as its GOCACHE and GOMODCACHE. The Dagger engine fills its own
    /// cache volumes from them when they are empty (a fresh CI engine, or one whose garbage
    /// collector pruned them) and writes back what the run added and the build-cache entries it
    /// used that DIR lacks; after a build that passed it removes the build-cache entries no build
    /// used for a day (only from a DIR it made).
    #[arg(long, value_name = "DIR")]
    pub go_cache: Option<PathBuf>,
}

/// Print the path of the pinned Go (fetching it if needed): the go the host engine uses; or, with --set, change it.
///
/// --set VERSION has the go command download and verify (against the Go checksum
/// database, GOSUMDB) the toolchain module zip of each platform, then writes their
/// SHA-256 to xtask/go-toolchains.sha256, app.go to the settings file and every
/// `go-version:` line of .github/workflows: all of them, or nothing.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask toolchain                     # path of the pinned go\n  \"$(cargo xtask toolchain)\" version\n  cargo xtask toolchain --settings other/dist.toml\n  cargo xtask toolchain --set 1.26.9        # verify and pin Go 1.26.9 everywhere"
)]
pub struct Toolchain {
    /// Settings file [default: dist.toml in the workspace].
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Pin Go VERSION (e.g. 1.26.9): verify its module zips and update the hash file, app.go and the workflows.
    #[arg(long, value_name = "VERSION")]
    pub set: Option<String>,
}

/// Copy the xtask into an existing Go repository, ignore its outputs, and write dist.toml there with init.
///
/// Run from a checkout of this template. A file of yours that differs from the
/// template's is skipped and named (--force replaces it); Cargo.toml, Cargo.lock
/// and .cargo/config.toml of yours are never replaced: what to add to them is printed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cargo xtask adopt ../your-go-repo                # the xtask, .gitignore lines, dist.toml\n  cargo xtask adopt ../your-go-repo --ci github    # and .github/workflows/ci.yml, release.yml\n  cargo xtask adopt ../your-go-repo --force        # replace xtask files of yours that differ"
)]
pub struct Adopt {
    /// The Go repository's top folder (it must exist).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Replace files of yours that differ from the template's (never Cargo.toml, Cargo.lock, .cargo/config.toml).
    #[arg(long)]
    pub force: bool,

    /// Also copy a CI configuration: github (.github/workflows/ci.yml, release.yml), gitlab (.gitlab-ci.yml).
    #[arg(long, value_enum, default_value_t = CiKind::None)]
    pub ci: CiKind,
}

/// Which CI configuration `adopt` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CiKind {
    Github,
    Gitlab,
    None,
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
    fn readme_documents_every_option_and_command() {
        let root = crate::project::root();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        // The README names every command; docs/commands.md every option too.
        let reference = std::fs::read_to_string(root.join("docs/commands.md")).unwrap();
        let cli = Xtask::command();
        for command in cli.get_subcommands() {
            let name = command.get_name();
            assert!(readme.contains(&format!("cargo xtask {name}")), "README.md does not mention cargo xtask {name}");
            assert!(
                reference.contains(&format!("cargo xtask {name}")),
                "docs/commands.md does not mention cargo xtask {name}"
            );
            for arg in command.get_arguments() {
                if let Some(long) = arg.get_long().filter(|l| *l != "help") {
                    assert!(
                        reference.contains(&format!("--{long}")),
                        "docs/commands.md does not mention {name} --{long}"
                    );
                }
            }
        }
        assert!(readme.contains("cargo xtask dist merge") && reference.contains("cargo xtask dist merge"));
        for engine in ["auto", "dagger", "host"] {
            assert!(reference.contains(&format!("--engine {engine}")), "docs/commands.md: --engine {engine}");
        }
    }

    #[test]
    fn every_command_shows_examples() {
        let mut cli = Xtask::command();
        cli.build();
        let mut commands: Vec<(String, clap::Command)> = cli
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .map(|c| (format!("cargo xtask {}", c.get_name()), c.clone()))
            .collect();
        let dist = cli.find_subcommand("dist").expect("dist");
        let merge = dist.find_subcommand("merge").expect("dist merge");
        commands.push(("cargo xtask dist merge".into(), merge.clone()));
        commands.push(("cargo xtask".into(), cli.clone()));
        for (name, mut command) in commands {
            let help = command.render_long_help().to_string();
            let examples = help.split_once("Examples:").map(|(_, rest)| rest);
            let examples = examples.unwrap_or_else(|| panic!("`{name} --help` shows no examples:\n{help}"));
            assert!(examples.contains(&name), "`{name} --help`: no example runs {name}:\n{help}");
        }
    }

    #[test]
    fn targets_repeat_and_split_on_commas() {
        let Command::Dist(d) =
            Xtask::parse_from(["x", "dist", "--target", "linux/amd64,darwin/arm64", "--target", "linux/arm/v7"])
                .command
        else {
            panic!("dist")
        };
        assert_eq!(d.targets, ["linux/amd64", "darwin/arm64", "linux/arm/v7"]);
        assert_eq!(d.engine, EngineChoice::Auto);
    }

    #[test]
    fn shards_and_merge_parse() {
        let Command::Dist(d) = Xtask::parse_from(["x", "dist", "--shard", "2/3"]).command else { panic!("dist") };
        assert_eq!(d.shard, Some(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            let err = Xtask::try_parse_from(["x", "dist", "--shard", bad]).unwrap_err().to_string();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
        let Command::Dist(d) = Xtask::parse_from(["x", "dist", "merge", "a", "b"]).command else { panic!("dist") };
        let Some(DistAction::Merge(m)) = d.action else { panic!("merge") };
        assert_eq!(m.dirs, [PathBuf::from("a"), PathBuf::from("b")]);
    }

    #[test]
    fn allow_other_go_and_set_parse() {
        for command in ["dist", "test", "ci"] {
            let parsed = Xtask::parse_from(["x", command, "--allow-other-go"]).command;
            let allowed = match parsed {
                Command::Dist(d) => d.allow_other_go,
                Command::Test(t) => t.allow_other_go,
                Command::Ci(c) => c.allow_other_go,
                _ => panic!("{command}"),
            };
            assert!(allowed, "{command}");
        }
        let Command::Toolchain(t) = Xtask::parse_from(["x", "toolchain", "--set", "1.26.9"]).command else {
            panic!("toolchain")
        };
        assert_eq!(t.set.as_deref(), Some("1.26.9"));
        let Command::Toolchain(t) = Xtask::parse_from(["x", "toolchain"]).command else { panic!("toolchain") };
        assert_eq!(t.set, None);
    }
}
