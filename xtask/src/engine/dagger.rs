//! The Dagger engine: Dagger's multi-build pattern with a pinned toolchain.
//!
//! One session serves the whole run. The pinned golang image reports its Go
//! and targets; then the plan's upload is mounted with shared cache volumes
//! for the module and build caches (looked at first, and round-tripped
//! through `--go-cache`: [`cache`]), modules are downloaded once (unless
//! vendored), and one exec runs every binary's `go build`, as many at a time
//! as the engine has processors ([`batch`]; one exec per binary in an image
//! without `sh`). The binaries' directory is stamped with the commit time and
//! exported once. Async and the SDK stay inside this module.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context;
use dagger_sdk::{
    CacheSharingMode, Container, ContainerWithExecOptsBuilder, ContainerWithMountedCacheOptsBuilder,
    DirectoryExportOptsBuilder, HostDirectoryOptsBuilder, Query, ReturnType,
};
use eyre::eyre;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::engine::Built;
use crate::engine::Steps;
use crate::interrupt;
use crate::plan::{DownloadSettings, Plan, Toolchain};
use crate::steps::StepResult;

mod batch;
pub(super) mod cache;
mod dockerfile;

/// Where the upload is mounted in the container.
pub const WORKDIR: &str = "/src";
/// Where binaries are written in the container.
pub const OUT: &str = "/out";
pub const GOMODCACHE: &str = "/go/pkg/mod";
pub const GOCACHE: &str = "/root/.cache/go-build";

/// What the session is asked to do, and where its answer goes; owned, since
/// the `connect` closure is `'static`.
enum Request {
    Toolchain { image: String, reply: Reply<Toolchain> },
    Build { job: Box<Job>, reply: Reply<Built> },
    Steps { job: Box<Steps>, go_cache: Option<PathBuf>, reply: Reply<Vec<StepResult>> },
    Dockerfile { job: Box<dockerfile::Job>, reply: Reply<()> },
}

type Reply<T> = oneshot::Sender<eyre::Result<T>>;

#[derive(Debug, Clone)]
pub struct Job {
    pub plan: Plan,
    /// Absolute host directory to export the binaries into.
    pub export_to: String,
    /// `--go-cache`: the host directory the Go caches round-trip through.
    pub go_cache: Option<PathBuf>,
    /// The release being replaced was built on Dagger with this Go: its build cache should be warm.
    pub built_there_before: bool,
}

pub struct Session {
    /// `--go-cache`, absolute.
    go_cache: Option<PathBuf>,
    /// `None` once taken by `Drop`.
    runtime: Option<tokio::runtime::Runtime>,
    local: Option<tokio::task::LocalSet>,
    requests: Option<mpsc::UnboundedSender<Request>>,
    /// The connect task: its error is the one to report when the session dies.
    connected: Rc<RefCell<Option<anyhow::Result<()>>>>,
}

/// The Dagger version this xtask's SDK speaks to, and the one CI's engine runs.
pub const VERSION: &str = dagger_sdk::core::DAGGER_ENGINE_VERSION;

/// How the SDK will reach a Dagger CLI, decided before any engine work: a
/// `dagger run` session, `_EXPERIMENTAL_DAGGER_CLI_BIN`, the SDK's cached
/// download, a `dagger` of the right version on PATH (used, not downloaded),
/// or a download that can reach dl.dagger.io. Offline with none of these,
/// say which variable to set instead of failing inside the SDK.
pub fn find_cli() -> anyhow::Result<String> {
    let set = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty());
    if set("DAGGER_SESSION_PORT").is_some() {
        return Ok("the session of `dagger run`".into());
    }
    if let Some(bin) = set("_EXPERIMENTAL_DAGGER_CLI_BIN") {
        if !Path::new(&bin).is_file() {
            anyhow::bail!("_EXPERIMENTAL_DAGGER_CLI_BIN names {}, which is not a file", Path::new(&bin).display());
        }
        return Ok(format!("{} (_EXPERIMENTAL_DAGGER_CLI_BIN)", Path::new(&bin).display()));
    }
    let downloader = dagger_sdk::core::downloader::Downloader::new(VERSION.into());
    if let Ok(dir) = downloader.cache_dir() {
        let cached = dir.join(format!("dagger-{VERSION}{}", std::env::consts::EXE_SUFFIX));
        if cached.is_file() {
            return Ok(format!("{} (downloaded earlier)", cached.display()));
        }
    }
    if let Some(cli) = crate::project::on_path("dagger") {
        let version = std::process::Command::new(&cli).arg("version").output().ok().filter(|o| o.status.success());
        let text = version.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
        if text.split_whitespace().any(|w| w == format!("v{VERSION}")) {
            // The SDK uses the CLI this variable names instead of downloading one.
            std::env::set_var("_EXPERIMENTAL_DAGGER_CLI_BIN", &cli);
            return Ok(format!("{} (on PATH)", cli.display()));
        }
        crate::ui::warn(format!(
            "{} is {}, but this xtask's Dagger SDK needs v{VERSION}: not using it",
            cli.display(),
            if text.is_empty() { "a dagger whose version cannot be read".to_owned() } else { format!("`{text}`") }
        ));
    }
    if reachable("https://dl.dagger.io/") {
        return Ok(format!("dagger v{VERSION}, downloaded by the SDK from dl.dagger.io"));
    }
    anyhow::bail!(
        "no Dagger CLI v{VERSION} here and dl.dagger.io cannot be reached to download one: set \
         _EXPERIMENTAL_DAGGER_CLI_BIN to a dagger v{VERSION} binary (and _EXPERIMENTAL_DAGGER_RUNNER_HOST to your \
         engine, e.g. unix:///run/dagger/engine.sock or tcp://host:port), or put dagger v{VERSION} on PATH; \
         to build without Dagger, use --engine host"
    )
}

/// Whether `url` answers (with any HTTP status) within a few seconds, asked
/// the way the SDK's download will ask: through the proxy the environment
/// names (reqwest reads HTTPS_PROXY, ALL_PROXY and NO_PROXY), with the client
/// that fetches the pinned Go.
fn reachable(url: &str) -> bool {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return false };
    let answered = runtime.block_on(async {
        let Ok(client) = crate::toolchain::fetch::client() else { return false };
        client.head(url).timeout(Duration::from_secs(5)).send().await.is_ok()
    });
    // A name lookup still running on its own thread must not hold the run up.
    runtime.shutdown_background();
    answered
}

/// An engine named by a Unix socket nothing listens on: the dagger CLI would retry it for minutes,
/// spinning, with nothing said. Told at once instead.
fn check_runner_host() -> anyhow::Result<()> {
    let Ok(host) = std::env::var("_EXPERIMENTAL_DAGGER_RUNNER_HOST") else { return Ok(()) };
    #[cfg(unix)]
    if let Some(path) = host.strip_prefix("unix://") {
        if let Err(e) = std::os::unix::net::UnixStream::connect(path) {
            anyhow::bail!(
                "the Dagger engine named by _EXPERIMENTAL_DAGGER_RUNNER_HOST={host} does not answer ({e}): start it \
                 (this template's CI: `.ci/dagger-engine up`), point the variable at a running engine, or build with \
                 --engine host"
            );
        }
    }
    Ok(())
}

impl Session {
    /// Starts the Dagger CLI (or joins a running session) in the background.
    pub fn open(go_cache: Option<&Path>) -> anyhow::Result<Session> {
        check_runner_host()?;
        let go_cache = go_cache.map(std::path::absolute).transpose()?;
        let cli = find_cli()?;
        crate::ui::detail(format!("dagger CLI: {cli}"));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let local = tokio::task::LocalSet::new();
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        let connected: Rc<RefCell<Option<anyhow::Result<()>>>> = Rc::default();
        let slot = Rc::clone(&connected);
        let config = dagger_sdk::Config::builder().logger(std::sync::Arc::new(StderrLogger)).timeout_ms(60_000).build();
        local.spawn_local(async move {
            let result = dagger_sdk::connect_opts(config, move |client| async move {
                while let Some(request) = rx.recv().await {
                    // A caller that stopped waiting (Ctrl-C) drops its receiver: nothing to tell it.
                    match request {
                        Request::Toolchain { image, reply } => drop(reply.send(toolchain(&client, &image).await)),
                        Request::Build { job, reply } => drop(reply.send(run(&client, &job).await)),
                        Request::Steps { job, go_cache, reply } => {
                            drop(reply.send(steps(&client, &job, go_cache.as_deref()).await))
                        }
                        Request::Dockerfile { job, reply } => drop(reply.send(dockerfile::build(&client, &job).await)),
                    }
                }
                Ok(())
            })
            .await;
            *slot.borrow_mut() = Some(result.map_err(anyhow::Error::from));
        });
        Ok(Session { go_cache, runtime: Some(runtime), local: Some(local), requests: Some(tx), connected })
    }

    /// Sends the request `make` builds around a reply channel, and waits for its answer (or Ctrl-C).
    fn ask<T>(&mut self, make: impl FnOnce(Reply<T>) -> Request) -> anyhow::Result<T> {
        let (reply, answer) = oneshot::channel();
        let sent = self.requests.as_ref().expect("open session").send(make(reply));
        let outcome = self.block_on(async move {
            if sent.is_err() {
                return None;
            }
            tokio::select! {
                answer = answer => answer.ok(),
                () = interrupted() => None,
            }
        });
        interrupt::check()?;
        match outcome {
            Some(Ok(answer)) => Ok(answer),
            Some(Err(e)) => Err(anyhow::Error::msg(eyre_chain(&e))),
            // The session ended: the connect task holds why.
            None => {
                self.close();
                match self.connected.borrow_mut().take() {
                    Some(Err(e)) => Err(e).context(
                        "cannot start Dagger: it needs Docker running (or a Dagger engine named by \
                         _EXPERIMENTAL_DAGGER_RUNNER_HOST); to build without it, use --engine host",
                    ),
                    _ => anyhow::bail!("the Dagger session ended unexpectedly"),
                }
            }
        }
    }

    pub fn toolchain(&mut self, image: &str) -> anyhow::Result<Toolchain> {
        self.ask(|reply| Request::Toolchain { image: image.to_owned(), reply })
    }

    pub fn build(&mut self, plan: &Plan, out: &Path, built_there_before: bool) -> anyhow::Result<Built> {
        let job = Job {
            plan: plan.clone(),
            export_to: std::path::absolute(out)?.to_string_lossy().into_owned(),
            go_cache: self.go_cache.clone(),
            built_there_before,
        };
        // The engine reports every branch at the end: one clock for all.
        let targets: Vec<String> = plan.builds.iter().map(|b| b.target.to_string()).collect();
        let board = crate::ui::board(&targets);
        for t in &targets {
            crate::ui::progress(t, crate::ui::Progress::Building);
        }
        let started = std::time::Instant::now();
        // A compile error names its target itself; a dead session or engine is named here, with every target it took.
        let answer = self
            .ask(|reply| Request::Build { job: Box::new(job), reply })
            .with_context(|| format!("the Dagger build of {} did not complete", targets.join(", ")));
        for t in &targets {
            let state = match &answer {
                Ok(_) => crate::ui::Progress::Built(started.elapsed().as_secs_f64()),
                Err(_) => crate::ui::Progress::Failed,
            };
            crate::ui::progress(t, state);
        }
        drop(board);
        let seconds = started.elapsed().as_secs_f64();
        Ok(Built { seconds: targets.into_iter().map(|t| (t, seconds)).collect(), ..answer? })
    }

    /// Builds `image` from its Dockerfile for each platform (`binaries` in `image.platforms` order)
    /// and exports the multi-platform archive into `out`.
    pub fn dockerfile_image(
        &mut self,
        image: &crate::plan::images::ImagePlan,
        binaries: &[PathBuf],
        out: &Path,
    ) -> anyhow::Result<()> {
        let export_to = std::path::absolute(out.join(&image.file))?.to_string_lossy().into_owned();
        let job = dockerfile::Job::new(image, binaries, export_to);
        let platforms: Vec<&str> = job.platforms.iter().map(|(p, _, _)| p.as_str()).collect();
        crate::ui::say(format!("  building {} from its Dockerfile for {}", image.file, platforms.join(" ")));
        self.ask(|reply| Request::Dockerfile { job: Box::new(job), reply })
    }

    pub fn run_steps(&mut self, job: &Steps) -> anyhow::Result<Vec<StepResult>> {
        let go_cache = self.go_cache.clone();
        self.ask(|reply| Request::Steps { job: Box::new(job.clone()), go_cache, reply })
    }

    /// Runs `future` on the session's thread, beside the connect task.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        let local = self.local.as_ref().expect("taken only by drop");
        local.block_on(self.runtime.as_ref().expect("taken only by drop"), future)
    }

    /// Ends the session: the CLI shuts down once the request channel closes.
    fn close(&mut self) {
        self.requests = None;
        let connected = Rc::clone(&self.connected);
        // Bounded: a stuck CLI must not hang the run.
        self.block_on(async move {
            let _ = tokio::time::timeout(Duration::from_secs(30), async {
                while connected.borrow().is_none() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await;
        });
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if interrupt::requested() {
            // Dropping the runtime waits for its blocking threads, among them the SDK's wait on
            // the CLI: a CLI stuck in the engine (seen once: a directory export that never ended
            // kept the run alive through SIGTERM and SIGINT) must not hold Ctrl-C up. The run is
            // ending: the process's exit ends them, and the CLI ends when its stdin (ours) closes.
            std::mem::forget(self.local.take());
            std::mem::forget(self.runtime.take());
        } else if self.requests.is_some() {
            self.close();
        }
    }
}

/// Where Go (and git) look for credentials in the container.
const NETRC: &str = "/root/.netrc";

/// The image's Go and the targets it supports; independent of the source, so cached by the engine.
pub async fn toolchain(client: &Query, image: &str) -> eyre::Result<Toolchain> {
    let from = client.container().from(image);
    // The image by digest: a tag that moves to other bytes is another toolchain.
    let image_ref = from.image_ref().await?;
    let go = crate::plan::NEUTRAL_GO_ENV.iter().fold(from, |c, (k, v)| c.with_env_variable(*k, *v));
    let go_version = step(&go, vec!["go", "env", "GOVERSION"], &format!("`go env GOVERSION` in {image}")).await?;
    let dist_list = step(&go, vec!["go", "tool", "dist", "list"], &format!("`go tool dist list` in {image}")).await?;
    let go_env = step(&go, vec!["go", "env", "-json"], &format!("`go env -json` in {image}")).await?;
    let fingerprint = format!("{image_ref}\n{}", crate::plan::go_env_fingerprint(&go_env).map_err(|e| eyre!("{e:#}"))?);
    let go_version = go_version.trim().to_owned();
    let content = image_ref
        .split_once("@sha256:")
        .map(|(name, hex)| crate::plan::ResolvedDep { uri: format!("oci://{name}"), sha256: hex.to_owned() });
    Ok(Toolchain {
        label: format!("{go_version} in {image}"),
        go_version,
        dist_list,
        fingerprint,
        why_other: None,
        content,
    })
}

/// Runs one command; a failure names the step and keeps its stderr.
async fn step(ctr: &Container, argv: Vec<&str>, what: &str) -> eyre::Result<String> {
    checked(&ctr.with_exec_opts(argv, any_exit()), what).await
}

/// The stdout of `exec`, an exec that may fail: a failure, or an engine that cannot run it, names
/// `what` (and keeps the exec's stderr).
async fn checked(exec: &Container, what: &str) -> eyre::Result<String> {
    let code = exec.exit_code().await.map_err(|e| eyre!("{what}: {e}"))?;
    if code != 0 {
        let stderr = exec.stderr().await.unwrap_or_default();
        return Err(eyre!("{what} failed (exit {code}):\n{}", stderr.trim_end()));
    }
    exec.stdout().await.map_err(|e| eyre!("{what}: {e}"))
}

fn any_exit() -> dagger_sdk::ContainerWithExecOpts<'static> {
    ContainerWithExecOptsBuilder::default().expect(ReturnType::Any).build().expect("all fields optional")
}

/// The module in the pinned image, with the build's caches and environment.
fn go_container(
    client: &Query,
    source: &crate::source::Source,
    image: &str,
    go_version: &str,
) -> eyre::Result<Container> {
    let upload = client.host().directory_opts(
        source.root.to_string_lossy(),
        HostDirectoryOptsBuilder::default()
            .exclude(source.exclude.iter().map(String::as_str).collect::<Vec<_>>())
            .build()?,
    );
    let workdir = match source.module.as_str() {
        "" => WORKDIR.to_owned(),
        module => format!("{WORKDIR}/{module}"),
    };
    // Per Go version: caches of one toolchain are no use to another.
    let shared = || ContainerWithMountedCacheOptsBuilder::default().sharing(CacheSharingMode::Shared).build();
    Ok(client
        .container()
        .from(image)
        .with_mounted_cache_opts(GOMODCACHE, client.cache_volume(format!("go-mod-{go_version}")), shared()?)
        .with_mounted_cache_opts(GOCACHE, client.cache_volume(format!("go-build-{go_version}")), shared()?)
        .with_env_variable("GOMODCACHE", GOMODCACHE)
        .with_env_variable("GOCACHE", GOCACHE)
        .with_mounted_directory(WORKDIR, upload)
        .with_workdir(&workdir))
}

/// The caller's download settings and netrc, as Dagger secrets: never a plain
/// variable, a layer, a log line or a cache key (a token can hide anywhere in
/// a proxy URL, so every value is a secret).
fn with_download_settings(client: &Query, ctr: Container, download: &DownloadSettings) -> Container {
    let mut ctr = download
        .env
        .iter()
        .fold(ctr, |c, (k, v)| c.with_secret_variable(k, client.set_secret(format!("xtask-download-{k}"), v)));
    if let Some(netrc) = &download.netrc {
        ctr = ctr.with_mounted_secret(NETRC, client.set_secret("xtask-netrc", netrc));
    }
    ctr
}

/// `cargo xtask test`'s commands, one after the other on the same container.
async fn steps(client: &Query, job: &Steps, go_cache: Option<&Path>) -> eyre::Result<Vec<StepResult>> {
    let started = std::time::Instant::now();
    let ctr = go_container(client, &job.source, &job.image, &job.go_version)?;
    let ctr = job.env.iter().fold(ctr, |c, (k, v)| c.with_env_variable(k, v));
    let run = cache::nonce();
    if let Some(dir) = go_cache {
        let (probe, _) = cache::inspect(client, &ctr, &run).await.unwrap_or_default();
        cache::seed(client, &ctr, dir, &probe, &run).await?;
    }
    // `go vet` and `go test` may download modules too.
    let base = ctr.clone();
    let ctr = with_download_settings(client, ctr, &job.download);
    let mut results = Vec::new();
    let mut at = ctr;
    let outcome: eyre::Result<()> = async {
        for argv in &job.steps {
            let exec = at.with_exec_opts(argv.iter().map(String::as_str).collect(), any_exit());
            let code = exec.exit_code().await?;
            let result = StepResult {
                argv: argv.clone(),
                code: code as i64,
                stdout: exec.stdout().await.unwrap_or_default(),
                stderr: exec.stderr().await.unwrap_or_default(),
            };
            results.push(result);
            if code != 0 {
                break;
            }
            at = exec;
        }
        Ok(())
    }
    .await;
    if let Some(dir) = go_cache {
        let passed = outcome.is_ok() && results.len() == job.steps.len() && results.iter().all(|r| r.code == 0);
        report_export(cache::export_new(&base, dir, &run, started.elapsed(), passed).await, dir);
    }
    outcome.map(|()| results)
}

/// The pipeline proper, on any client: a real session, or a test double.
pub async fn run(client: &Query, job: &Job) -> eyre::Result<Built> {
    let started = std::time::Instant::now();
    let plan = &job.plan;
    let go = go_container(client, &plan.source, &plan.image, &plan.go_version)?;
    let go = plan.env.iter().fold(go, |c, (k, v)| c.with_env_variable(k, v));
    // The caches as they are before anything runs, and what the engine's collector will do to them.
    let run = cache::nonce();
    let (go_version, inspected) = futures::future::join(
        step(&go, vec!["go", "env", "GOVERSION"], "`go env GOVERSION`"),
        cache::inspect(client, &go, &run),
    )
    .await;
    let go_version = go_version?.trim().to_owned();
    // Only advice: an image without `sh` (or an engine that will not say) still builds.
    let (probe, policy) = inspected.unwrap_or_else(|e| {
        crate::ui::warn(format!("{e:#}; building without it"));
        Default::default()
    });
    let seeding = job.go_cache.as_ref().is_some_and(|dir| dir.join("build").is_dir());
    let advice = cache::advice(&probe, policy.as_ref(), job.built_there_before, seeding);
    crate::ui::detail(&advice.detail);
    for warning in advice.warnings {
        crate::ui::warn(warning);
    }
    let Some(dir) = &job.go_cache else { return build(client, job, &go, go_version, &probe).await };
    cache::seed(client, &go, dir, &probe, &run).await?;
    let built = build(client, job, &go, go_version, &probe).await;
    // Whatever the builds did, what they compiled goes to DIR (and the run's lists are dropped).
    report_export(cache::export_new(&go, dir, &run, started.elapsed(), built.is_ok()).await, dir);
    built
}

/// One line for `--go-cache`'s write-back: a detail when it went as it should, else a warning.
fn report_export(exported: eyre::Result<cache::Exported>, dir: &Path) {
    match exported {
        Ok(done) => {
            let line =
                format!("--go-cache: {} new cache files written to {}; {}", done.written, dir.display(), done.trimmed);
            if let cache::Trimmed::Failed(_) | cache::Trimmed::Unfetched(_) = done.trimmed {
                crate::ui::warn(line);
            } else {
                crate::ui::detail(line);
            }
        }
        // Nothing was removed before the trim, which comes last.
        Err(e) => crate::ui::warn(format!("{e:#}; {} keeps what it held", dir.display())),
    }
}

/// Everything after the look at the caches: the download, every target's builds and the -X
/// probes, then the export of the binaries.
async fn build(
    client: &Query,
    job: &Job,
    go: &Container,
    go_version: String,
    probe: &cache::Probe,
) -> eyre::Result<Built> {
    let plan = &job.plan;
    if let Some(argv) = &plan.download {
        let downloaded = with_download_settings(client, go.clone(), &plan.download_settings)
            .with_exec_opts(argv.iter().map(String::as_str).collect(), any_exit());
        let code = downloaded.exit_code().await?;
        if code != 0 {
            let stderr = from_here(&downloaded.stderr().await.unwrap_or_default(), plan);
            return Err(eyre!("`{}` failed (exit {code}):\n{stderr}", argv.join(" ")));
        }
    }
    // The builds start from the container before the download: the modules are
    // in the cache volume, and the download settings are in no build's
    // environment or cache key (a laptop and CI with other proxies share builds).

    // Whether every -X variable exists: after the download, in the first target's environment.
    let probes: Vec<(Vec<String>, Container)> = match plan.builds.first() {
        Some(first) => {
            let ctr = first.target.go_env().into_iter().fold(go.clone(), |c, (k, v)| c.with_env_variable(k, v));
            plan.probes()
                .into_iter()
                .map(|argv| {
                    let exec = ctr.with_exec_opts(argv.iter().map(String::as_str).collect(), any_exit());
                    (argv, exec)
                })
                .collect()
        }
        None => vec![],
    };

    // As many builds at a time as the engine has processors, as the host engine does: each
    // `go build` compiles in parallel itself, and more at once only contend (measured on 2 cores:
    // all 6 at once about 10% slower). With a shell in the image, all in one exec ([`batch`]);
    // without, one exec per binary.
    let jobs = probe.cpus.unwrap_or(usize::MAX).max(1);
    let builds = builds(plan);
    let (ran, probe_codes) = futures::future::join(
        async {
            if probe.shell {
                in_one_exec(go, &builds, jobs).await
            } else {
                exec_per_binary(go, &builds, jobs).await
            }
        },
        futures::future::join_all(probes.iter().map(|(_, c)| c.exit_code())),
    )
    .await;
    let gathered = gather(client, plan, &builds, &ran?)?;
    let mut answers = Vec::new();
    for ((argv, ctr), code) in probes.iter().zip(probe_codes) {
        answers.push(StepResult {
            argv: argv.clone(),
            code: code? as i64,
            stdout: ctr.stdout().await.unwrap_or_default(),
            stderr: ctr.stderr().await.unwrap_or_default(),
        });
    }
    gathered
        .with_timestamps(plan.stamp.epoch as isize)
        // No wipe: the staging directory is ours and may already hold targets carried over.
        .export_opts(&job.export_to, DirectoryExportOptsBuilder::default().wipe(false).build()?)
        .await?;
    Ok(Built { go_version, seconds: Default::default(), probes: answers })
}

/// One binary's build: its target, its output below [`OUT`], and what [`batch`] runs for it.
struct Build {
    target: String,
    output: String,
    item: batch::Item,
}

/// Every binary's build, in the plan's order.
fn builds(plan: &Plan) -> Vec<Build> {
    let mut builds = Vec::new();
    for b in &plan.builds {
        // What the target's templates made of `build.env` (most often nothing), then GOOS/GOARCH/GOARM.
        let own = b.env.iter().filter(|(k, v)| plan.env.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone()));
        let env: Vec<(String, String)> =
            own.chain(b.target.go_env().into_iter().map(|(k, v)| (k.to_owned(), v))).collect();
        for (index, output) in b.outputs.iter().enumerate() {
            let argv = plan.go_build_argv(b, index, &format!("{OUT}/{output}"));
            let item = batch::Item { env: env.clone(), argv };
            builds.push(Build { target: b.target.to_string(), output: output.clone(), item });
        }
    }
    builds
}

/// What one build came to: its exit code, its stderr when it failed, and the container holding
/// its output.
struct Ran {
    code: i64,
    stderr: String,
    ctr: Container,
}

/// Every build in one exec, `jobs` at a time.
async fn in_one_exec(go: &Container, builds: &[Build], jobs: usize) -> eyre::Result<Vec<Ran>> {
    if builds.is_empty() {
        return Ok(vec![]);
    }
    let items: Vec<batch::Item> = builds.iter().map(|b| b.item.clone()).collect();
    let argv = batch::argv(&items, jobs);
    let exec = go.with_exec_opts(argv.iter().map(String::as_str).collect(), any_exit());
    let stdout = checked(&exec, "the builds on the Dagger engine").await?;
    let outcomes = batch::outcomes(&stdout, items.len())
        .map_err(|e| eyre!("cannot read what the builds on the Dagger engine reported ({e}):\n{stdout}"))?;
    Ok(outcomes.into_iter().map(|o| Ran { code: o.code.into(), stderr: o.stderr, ctr: exec.clone() }).collect())
}

/// One exec per binary, `jobs` at a time, for an image without a shell.
async fn exec_per_binary(go: &Container, builds: &[Build], jobs: usize) -> eyre::Result<Vec<Ran>> {
    let execs: Vec<Container> = builds
        .iter()
        .map(|Build { item, .. }| {
            let ctr = item.env.iter().fold(go.clone(), |c, (k, v)| c.with_env_variable(k, v));
            ctr.with_exec_opts(item.argv.iter().map(String::as_str).collect(), any_exit())
        })
        .collect();
    let codes: Vec<_> = futures::stream::iter(execs.iter().map(|c| c.exit_code())).buffered(jobs).collect().await;
    let mut ran = Vec::new();
    for (ctr, code) in execs.into_iter().zip(codes) {
        let code = code? as i64;
        let stderr = if code != 0 { ctr.stderr().await.unwrap_or_default() } else { String::new() };
        ran.push(Ran { code, stderr, ctr });
    }
    Ok(ran)
}

/// The binaries gathered into one directory, or every failing build named with its stderr.
fn gather(client: &Query, plan: &Plan, builds: &[Build], ran: &[Ran]) -> eyre::Result<dagger_sdk::Directory> {
    let failures: Vec<String> = builds
        .iter()
        .zip(ran)
        .filter(|(_, r)| r.code != 0)
        .map(|(b, r)| format!("go build failed for {} (exit {}):\n{}", b.target, r.code, from_here(&r.stderr, plan)))
        .collect();
    if !failures.is_empty() {
        return Err(eyre!("{}", failures.join("\n")));
    }
    // The outputs alone, not whatever else an image may hold in OUT.
    Ok(builds
        .iter()
        .zip(ran)
        .fold(client.directory(), |dir, (b, r)| dir.with_file(&b.output, r.ctr.file(format!("{OUT}/{}", b.output)))))
}

/// Go's stderr in the container, where it ran in `/src/<module>`: its file
/// positions made relative to where the user stands, as if it ran in the
/// module on the host (`go` prints the ones below its directory relative).
fn from_here(stderr: &str, plan: &Plan) -> String {
    crate::ui::paths_from_here(stderr.trim_end(), &plan.source.module_dir())
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
/// Shown with `--verbose` only: it floods the terminal otherwise, and the
/// failures that matter (compiler errors) are reported per target anyway.
struct StderrLogger;

impl dagger_sdk::core::logger::Logger for StderrLogger {
    fn stdout(&self, output: &str) -> eyre::Result<()> {
        crate::ui::detail(output);
        Ok(())
    }

    fn stderr(&self, output: &str) -> eyre::Result<()> {
        crate::ui::detail(output);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
