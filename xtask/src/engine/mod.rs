//! The engines that execute a [`Plan`]: Dagger (the pinned golang image, run by a
//! Dagger engine) or the host's Go toolchain. A session first reports its
//! toolchain (the plan is made from it), then builds: every target's binaries
//! land at `<out>/<plan output>`.

pub mod dagger;
pub mod host;
mod which_go;

pub use which_go::check_go;

use std::path::Path;

use xshell::{cmd, Shell};

use crate::flags::EngineChoice;
pub use crate::plan::Engine;
use crate::plan::{Plan, Toolchain};
use crate::steps::StepResult;

/// What an engine reports after building every target.
#[derive(Debug, Clone)]
pub struct Built {
    /// `go env GOVERSION` of the toolchain that built the binaries, e.g. `go1.26.8`.
    pub go_version: String,
    /// Seconds each target's `go build`s took, where the engine can tell (the host).
    pub seconds: std::collections::BTreeMap<String, f64>,
    /// The answers to `Plan::probes`, in order.
    pub probes: Vec<StepResult>,
}

/// Commands to run in the module (for `cargo xtask test`): the same source,
/// image, caches and environment as a build.
#[derive(Debug, Clone)]
pub struct Steps {
    pub source: crate::source::Source,
    pub image: String,
    pub go_version: String,
    pub env: std::collections::BTreeMap<String, String>,
    /// What the go commands may take from the caller to download modules.
    pub download: crate::plan::DownloadSettings,
    pub steps: Vec<Vec<String>>,
}

/// Environment variables through which an already running Dagger is found.
pub const DAGGER_ENV: [&str; 3] =
    ["DAGGER_SESSION_PORT", "_EXPERIMENTAL_DAGGER_RUNNER_HOST", "_EXPERIMENTAL_DAGGER_CLI_BIN"];

/// Picks the engine and says why, in one line.
pub fn choose(sh: &Shell, choice: EngineChoice, go_version: &str) -> anyhow::Result<(Engine, String)> {
    match choice {
        EngineChoice::Dagger => return Ok((Engine::Dagger, "--engine dagger".into())),
        EngineChoice::Host => return Ok((Engine::Host, "--engine host".into())),
        EngineChoice::Auto => {}
    }
    if let Some(why) = dagger_available(sh) {
        return Ok((Engine::Dagger, why));
    }
    let none = "no Dagger session and no container runtime answered (`docker info`, `podman info`)";
    Ok((
        Engine::Host,
        match crate::toolchain::locate(go_version) {
            crate::toolchain::Found::OnPath => format!("{none}; using the host's Go"),
            crate::toolchain::Found::Cached => format!("{none}; the host engine will use the cached Go {go_version}"),
            crate::toolchain::Found::Missing if crate::toolchain::pinned_here(go_version) => {
                format!("{none}; the host engine will fetch Go {go_version}")
            }
            crate::toolchain::Found::Missing => format!("{none}; Go {go_version} is not on PATH and cannot be fetched"),
        },
    ))
}

/// Why Dagger can run here, if it can.
fn dagger_available(sh: &Shell) -> Option<String> {
    if let Some(var) = DAGGER_ENV.iter().find(|v| sh.var(v).is_ok_and(|s| !s.is_empty())) {
        return Some(format!("{var} is set"));
    }
    for runtime in ["docker", "podman"] {
        if cmd!(sh, "{runtime} info").quiet().ignore_stdout().ignore_stderr().run().is_ok() {
            return Some(format!("`{runtime} info` answered"));
        }
    }
    None
}

/// One engine, open for the whole run (a Dagger session is started once).
pub enum Session {
    Dagger(dagger::Session),
    Host(host::Session),
}

impl Session {
    /// `go_cache` (`--go-cache DIR`): the Go build and module caches live in `DIR/build` and
    /// `DIR/mod` (host), or round-trip through them (Dagger: seeded when the engine's are empty,
    /// what a run adds written back).
    pub fn open(engine: Engine, sh: &Shell, pinned: &str, go_cache: Option<&Path>) -> anyhow::Result<Session> {
        if let Some(dir) = go_cache.filter(|d| d.exists() && !d.is_dir()) {
            anyhow::bail!(
                "--go-cache {}: that is not a directory; name a directory (it is created if missing)",
                dir.display()
            );
        }
        if let Some(dir) = go_cache.filter(|d| !d.exists()) {
            dagger::cache::claim(dir)?;
        }
        Ok(match engine {
            Engine::Dagger => Session::Dagger(dagger::Session::open(go_cache)?),
            Engine::Host => Session::Host(host::Session::open(sh, pinned, go_cache)?),
        })
    }

    /// The Go that will build, with the targets it supports (see `plan::check_go`).
    pub fn toolchain(&mut self, image: &str, module_dir: &Path) -> anyhow::Result<Toolchain> {
        match self {
            Session::Dagger(s) => s.toolchain(image),
            Session::Host(s) => s.toolchain(module_dir),
        }
    }

    /// Runs commands in the module with the build environment, stopping at the first that fails.
    pub fn run_steps(&mut self, job: &Steps) -> anyhow::Result<Vec<StepResult>> {
        match self {
            Session::Dagger(s) => s.run_steps(job),
            Session::Host(s) => s.run_steps(job),
        }
    }

    /// Runs `plan`, writing the binaries below `out`; `done(i)` as soon as all
    /// of `plan.builds[i]`'s binaries are written (where the engine can tell).
    /// `built_there_before`: the release being replaced was built by this kind of engine with this Go
    /// (a Dagger engine whose Go cache is empty then says why).
    pub fn build(
        &mut self,
        plan: &Plan,
        out: &Path,
        built_there_before: bool,
        done: &(dyn Fn(usize) + Sync),
    ) -> anyhow::Result<Built> {
        match self {
            Session::Dagger(s) => s.build(plan, out, built_there_before),
            Session::Host(s) => s.build(plan, out, done),
        }
    }
}
