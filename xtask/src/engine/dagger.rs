//! The Dagger engine: Dagger's multi-build pattern with a pinned toolchain.
//!
//! The pinned golang image gets the app directory (without `dist/`, `target/`,
//! `.git`) at a workdir and shared cache volumes for the module and build caches;
//! `go mod download` runs once, then one branch per target runs `go build` with
//! its GOOS/GOARCH. Every binary is gathered into one directory, stamped with the
//! commit time, and exported once. Async and the SDK stay inside this module.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use dagger_sdk::{
    CacheSharingMode, Container, ContainerWithExecOptsBuilder, ContainerWithMountedCacheOptsBuilder,
    DirectoryExportOptsBuilder, HostDirectoryOptsBuilder, Query, ReturnType,
};
use eyre::eyre;

use crate::engine::Built;
use crate::interrupt;
use crate::plan::Plan;
use crate::target::check_supported;

/// Where the app source is mounted in the container.
pub const WORKDIR: &str = "/src";
/// Where binaries are written in the container.
pub const OUT: &str = "/out";
pub const GOMODCACHE: &str = "/go/pkg/mod";
pub const GOCACHE: &str = "/root/.cache/go-build";
/// Left out of the upload: outputs and VCS data never influence a build.
pub const EXCLUDE: [&str; 3] = ["dist/", "target/", ".git"];

/// Owned inputs: the `connect` closure must be `'static`.
#[derive(Debug, Clone)]
pub struct Job {
    pub plan: Plan,
    /// Absolute host directory to export the binaries into.
    pub export_to: String,
}

pub fn build(plan: &Plan, out: &Path) -> anyhow::Result<Built> {
    let job = Job { plan: plan.clone(), export_to: std::path::absolute(out)?.to_string_lossy().into_owned() };
    let result: Arc<Mutex<Option<eyre::Result<Built>>>> = Arc::default();
    let slot = Arc::clone(&result);
    let config = dagger_sdk::Config::builder().logger(Arc::new(StderrLogger)).timeout_ms(60_000).build();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let connected = runtime.block_on(async move {
        tokio::select! {
            connected = dagger_sdk::connect_opts(config, move |client| async move {
                // Keep our own error: the SDK would bury it under "an error occurred
                // from the dagger context call", and the session still shuts down cleanly.
                let outcome = run(&client, &job).await;
                *slot.lock().unwrap() = Some(outcome);
                Ok(())
            }) => connected.map_err(anyhow::Error::from),
            () = interrupted() => Err(anyhow::format_err!("interrupted")),
        }
    });
    interrupt::check()?;
    let outcome = result.lock().unwrap().take();
    match (connected, outcome) {
        (_, Some(Ok(built))) => Ok(built),
        (_, Some(Err(e))) => Err(anyhow::Error::msg(eyre_chain(&e))),
        (Err(e), None) => Err(e).context(
            "cannot start Dagger: it needs Docker running (or a Dagger engine named by \
             _EXPERIMENTAL_DAGGER_RUNNER_HOST); to build without it, use --engine host",
        ),
        (Ok(()), None) => unreachable!("connect returned without running the pipeline"),
    }
}

/// The pipeline proper, on any client: a real session, or a test double.
pub async fn run(client: &Query, job: &Job) -> eyre::Result<Built> {
    let plan = &job.plan;
    let source = client.host().directory_opts(
        plan.app_dir.to_string_lossy(),
        HostDirectoryOptsBuilder::default().exclude(EXCLUDE.to_vec()).build()?,
    );
    // Per Go version: caches of one toolchain are no use to another.
    let shared = || ContainerWithMountedCacheOptsBuilder::default().sharing(CacheSharingMode::Shared).build();
    let go = client
        .container()
        .from(&plan.image)
        .with_mounted_cache_opts(GOMODCACHE, client.cache_volume(format!("go-mod-{}", plan.go_version)), shared()?)
        .with_mounted_cache_opts(GOCACHE, client.cache_volume(format!("go-build-{}", plan.go_version)), shared()?)
        .with_env_variable("GOMODCACHE", GOMODCACHE)
        .with_env_variable("GOCACHE", GOCACHE)
        .with_env_variable("GOTOOLCHAIN", "local")
        .with_mounted_directory(WORKDIR, source)
        .with_workdir(WORKDIR);

    let go_version = go.with_exec(vec!["go", "env", "GOVERSION"]).stdout().await?.trim().to_owned();
    let dist_list = go.with_exec(vec!["go", "tool", "dist", "list"]).stdout().await?;
    check_supported(&plan.targets(), &dist_list, &format!("{go_version} in {}", plan.image))
        .map_err(|e| eyre!("{e}"))?;

    // The app's environment (GOPROXY, GOFLAGS, CGO_ENABLED…) applies to the download too.
    let go = plan.env.iter().fold(go, |c, (k, v)| c.with_env_variable(k, v));
    let go = go.with_exec(vec!["go", "mod", "download"]);
    let branches: Vec<(&crate::plan::TargetBuild, Container)> = plan
        .builds
        .iter()
        .map(|b| {
            let ctr = b.target.go_env().into_iter().fold(go.clone(), |c, (k, v)| c.with_env_variable(k, v));
            let argv = plan.go_build_argv(&format!("{OUT}/{}", b.output));
            let exec =
                ContainerWithExecOptsBuilder::default().expect(ReturnType::Any).build().expect("all fields optional");
            (b, ctr.with_exec_opts(argv, exec))
        })
        .collect();

    // Asked together, so the engine runs the branches concurrently.
    let codes = futures::future::join_all(branches.iter().map(|(_, c)| c.exit_code())).await;
    let mut failures = Vec::new();
    for ((b, ctr), code) in branches.iter().zip(codes) {
        let code = code?;
        if code != 0 {
            let stderr = ctr.stderr().await.unwrap_or_default();
            failures.push(format!("go build failed for {} (exit {code}):\n{}", b.target, stderr.trim_end()));
        }
    }
    if !failures.is_empty() {
        return Err(eyre!("{}", failures.join("\n")));
    }

    let gathered = branches
        .iter()
        .fold(client.directory(), |dir, (b, ctr)| dir.with_file(&b.output, ctr.file(format!("{OUT}/{}", b.output))));
    gathered
        .with_timestamps(plan.stamp.epoch as isize)
        .export_opts(&job.export_to, DirectoryExportOptsBuilder::default().wipe(true).build()?)
        .await?;
    Ok(Built { go_version })
}

async fn interrupted() {
    while !interrupt::requested() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn eyre_chain(e: &eyre::Report) -> String {
    e.chain().map(|c| c.to_string()).collect::<Vec<_>>().join(": ")
}

/// The Dagger CLI's progress goes to stderr; stdout stays ours.
struct StderrLogger;

impl dagger_sdk::core::logger::Logger for StderrLogger {
    fn stdout(&self, output: &str) -> eyre::Result<()> {
        eprintln!("{output}");
        Ok(())
    }

    fn stderr(&self, output: &str) -> eyre::Result<()> {
        eprintln!("{output}");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
