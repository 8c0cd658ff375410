//! The host engine: the plan on the host's Go toolchain, targets built in
//! parallel up to the number of cores. For machines without a container runtime.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context};
use xshell::{cmd, Shell};

use crate::engine::Built;
use crate::interrupt;
use crate::plan::{Plan, TargetBuild};
use crate::target::check_supported;

pub fn go_on_path(sh: &Shell) -> bool {
    cmd!(sh, "go version").quiet().ignore_stdout().ignore_stderr().run().is_ok()
}

pub fn build(sh: &Shell, plan: &Plan, out: &Path) -> anyhow::Result<Built> {
    let _cd = sh.push_dir(&plan.app_dir);
    let go_version = cmd!(sh, "go env GOVERSION").quiet().read().map_err(|_| {
        anyhow::format_err!(
            "no Go toolchain on PATH: install Go {} (https://go.dev/dl/) or build in Dagger with --engine dagger",
            plan.go_version
        )
    })?;
    let wanted = format!("go{}", plan.go_version);
    if go_version != wanted {
        eprintln!(
            "warning: the host has {go_version} but dist.toml pins {wanted}: binaries will differ from the Dagger build"
        );
    }
    let dist_list = cmd!(sh, "go tool dist list").quiet().read().context("cannot run `go tool dist list`")?;
    check_supported(&plan.targets(), &dist_list, &format!("the host's {go_version}"))?;

    // Once before the fan-out: parallel builds that each download modules race.
    cmd!(sh, "go mod download")
        .envs(&plan.env)
        .quiet()
        .run()
        .with_context(|| format!("`go mod download` failed in {}", plan.app_dir.display()))?;

    let jobs: Vec<(&TargetBuild, Command)> = plan
        .builds
        .iter()
        .map(|b| {
            let output = out.join(&b.output);
            let argv = plan.go_build_argv(&output.to_string_lossy());
            let (program, args) = argv.split_first().expect("argv starts with go");
            let mut command: Command = cmd!(sh, "{program} {args...}").into();
            command.envs(plan.env_for(&b.target));
            (b, command)
        })
        .collect();
    run_parallel(jobs)?;
    Ok(Built { go_version })
}

/// Runs every build, at most one per core; stops starting new ones after a
/// failure or Ctrl-C and reports every failure with the compiler's output.
fn run_parallel(jobs: Vec<(&TargetBuild, Command)>) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs.len());
    let queue = Mutex::new(jobs.into_iter());
    let failures = Mutex::new(Vec::<String>::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if interrupt::requested() || !failures.lock().unwrap().is_empty() {
                    return;
                }
                let Some((build, mut command)) = queue.lock().unwrap().next() else { return };
                eprintln!("  building {}", build.target);
                let started = std::time::Instant::now();
                match run_one(&mut command) {
                    Ok(()) => eprintln!("  built {} in {:.1} s", build.target, started.elapsed().as_secs_f64()),
                    Err(e) => failures.lock().unwrap().push(format!("go build failed for {}: {e:#}", build.target)),
                }
            });
        }
    });
    interrupt::check()?;
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

/// Runs one `go build`, killing it if Ctrl-C arrives.
fn run_one(command: &mut Command) -> anyhow::Result<()> {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().context("cannot start go")?;
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if interrupt::requested() {
            let _ = child.kill();
            child.wait()?;
            bail!("interrupted");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().expect("stderr reader panicked").unwrap_or_default();
    if !status.success() {
        bail!("{status}\n{}", stderr.trim_end());
    }
    Ok(())
}
