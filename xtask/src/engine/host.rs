//! The host engine: the plan on the host's Go toolchain, targets built in
//! parallel up to the number of cores. For machines without a container runtime.
//!
//! Every Go command gets an environment built from scratch — the plan's, plus
//! PATH and the caller's cache locations — so what the caller's shell exports
//! (GOFLAGS, GOAMD64, GOWORK…) cannot make these bytes differ from Dagger's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context};
use xshell::Shell;

use crate::engine::Built;
use crate::interrupt;
use crate::plan::{scrub, DownloadSettings, Plan, TargetBuild, Toolchain};
use crate::steps::StepResult;

pub struct Session {
    /// The pinned `go`: the one on PATH if it is that version, else fetched (toolchain/).
    go: PathBuf,
    /// Whether `go` is the host's own (on PATH) rather than the fetched one.
    from_path: bool,
    /// Why `go` is not the pinned Go: the pinned one could not be had (then `go` is whatever is on PATH).
    why_other: Option<String>,
    /// PATH and the caller's Go cache locations: all a build takes from the caller.
    base_env: BTreeMap<String, String>,
}

impl Session {
    pub fn open(sh: &Shell, pinned: &str, go_cache: Option<&Path>) -> anyhow::Result<Session> {
        let path = sh.var("PATH").unwrap_or_default();
        let on_path = crate::project::on_path("go");
        let (go, why_other) = match (crate::toolchain::ensure(pinned), on_path) {
            (Ok(go), _) => (go, None),
            // Another Go is at hand: plan::check_go stops the run unless --allow-other-go, naming why.
            (Err(e), Some(other)) => {
                let why =
                    format!("{}; the go on PATH is {}", crate::toolchain::why_unavailable(pinned, &e), other.display());
                (other, Some(why))
            }
            (Err(e), None) => return Err(e),
        };
        let from_path = std::env::split_paths(&path).any(|d| go.parent() == Some(d.as_path()));
        // The pinned Go's bin first (its gofmt too), then the caller's PATH.
        let bin = go.parent().map(Path::to_path_buf).unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&path)))
            .map_or(path, |p| p.to_string_lossy().into_owned());
        // The caller's caches are reused (that is what makes a warm build fast); nothing else of theirs is.
        // Only what locates the caches: a stray GOEXPERIMENT or GOFLAGS of the caller must not fail this.
        let mut probe = Command::new(&go);
        probe.args(["env", "GOCACHE", "GOMODCACHE", "GOPATH"]).current_dir(std::env::temp_dir()).env_clear();
        for key in ["PATH", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"] {
            if let Ok(v) = sh.var(key) {
                probe.env(key, v);
            }
        }
        crate::ui::detail("  GOTOOLCHAIN=local go env GOCACHE GOMODCACHE GOPATH");
        let out = probe.env("GOTOOLCHAIN", "local").output().with_context(|| format!("cannot run {}", go.display()))?;
        if !out.status.success() {
            bail!("`go env GOCACHE GOMODCACHE GOPATH` failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let mut base_env = BTreeMap::from([("PATH".to_owned(), path)]);
        for key in ["GOCACHE", "GOMODCACHE", "GOPATH"] {
            base_env.insert(key.to_owned(), lines.next().unwrap_or("").to_owned());
        }
        if let Some(dir) = go_cache {
            // Absolute: go refuses a relative GOCACHE.
            let dir = std::path::absolute(dir)?;
            base_env.insert("GOCACHE".to_owned(), dir.join("build").to_string_lossy().into_owned());
            base_env.insert("GOMODCACHE".to_owned(), dir.join("mod").to_string_lossy().into_owned());
        }
        // None of these changes a byte.
        for key in crate::toolchain::SYSTEM_ENV {
            if let Ok(v) = sh.var(key) {
                base_env.insert((*key).to_owned(), v);
            }
        }
        Ok(Session { go, from_path, why_other, base_env })
    }

    /// A `go` command with only `env` on top of the base environment.
    fn go<'a>(&self, dir: &Path, args: impl IntoIterator<Item = &'a str>, env: &[(String, String)]) -> Command {
        let mut c = Command::new(&self.go);
        c.args(args).current_dir(dir).env_clear().envs(&self.base_env).envs(env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// `command` as a shell line, for `--verbose`: the variables the plan gives
    /// it (the target's first), not the caller's PATH and cache locations; the
    /// caller's download settings (`caller`: GOPROXY…, HOME) by name only, since
    /// they may hold credentials.
    fn shown(&self, command: &Command, caller: &[(String, String)]) -> String {
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        for (key, value) in command.get_envs() {
            let (Some(key), Some(value)) = (key.to_str(), value.and_then(|v| v.to_str())) else { continue };
            if caller.iter().any(|(k, v)| k == key && v == value) {
                named.push(key.to_owned());
            } else if self.base_env.get(key).is_none_or(|v| v != value) {
                vars.push((key.to_owned(), value.to_owned()));
            }
        }
        vars.sort_by_key(|(k, _)| ["GOOS", "GOARCH", "GOARM"].iter().position(|t| t == k).unwrap_or(3));
        let mut words: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={}", shell_word(v))).collect();
        words.push("go".to_owned());
        words.extend(command.get_args().map(|a| shell_word(&a.to_string_lossy())));
        let mut line = format!("  {}", words.join(" "));
        if !named.is_empty() {
            line.push_str(&format!(" (with the caller's {}; values not shown)", named.join(", ")));
        }
        line
    }

    /// [`read`], shown first with `--verbose`.
    fn read(&self, command: Command, step: &str) -> anyhow::Result<String> {
        crate::ui::detail(self.shown(&command, &[]));
        read(command, step)
    }

    pub fn toolchain(&mut self, module_dir: &Path) -> anyhow::Result<Toolchain> {
        let env: Vec<(String, String)> =
            crate::plan::PROBE_GO_ENV.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let go_version =
            self.read(self.go(module_dir, ["env", "GOVERSION"], &env), "go env GOVERSION")?.trim().to_owned();
        let dist_list = self.read(self.go(module_dir, ["tool", "dist", "list"], &env), "go tool dist list")?;
        let go_env = self.read(self.go(module_dir, ["env", "-json"], &env), "go env -json")?;
        let parsed: serde_json::Value = serde_json::from_str(&go_env).context("`go env -json` printed no JSON")?;
        let goroot = parsed["GOROOT"].as_str().context("`go env -json` names no GOROOT")?;
        // cgo builds with the host's C compiler: another one (an upgrade, same path) is another toolchain.
        let cc = parsed["CC"].as_str().and_then(|cc| {
            let mut c = Command::new(cc);
            c.arg("--version").env_clear().envs(&self.base_env);
            c.output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        });
        let fingerprint = format!(
            "{}\n{}\n{}",
            crate::plan::go_env_fingerprint(&go_env)?,
            crate::toolchain::goroot_fingerprint(Path::new(goroot))?,
            cc.unwrap_or_default()
        );
        let label =
            if self.from_path { format!("the host's {go_version}") } else { format!("the fetched {go_version}") };
        // The fetched Go is the pinned module zip, checked against its hash before it was unpacked.
        let content = (!self.from_path)
            .then(|| go_version.strip_prefix("go").and_then(crate::toolchain::pinned_module))
            .flatten();
        Ok(Toolchain { label, go_version, dist_list, fingerprint, why_other: self.why_other.clone(), content })
    }

    pub fn build(&mut self, plan: &Plan, out: &Path, done: &(dyn Fn(usize) + Sync)) -> anyhow::Result<Built> {
        let dir = plan.source.module_dir();
        let env: Vec<(String, String)> = plan.env.clone().into_iter().collect();
        let go_version = self.read(self.go(&dir, ["env", "GOVERSION"], &env), "go env GOVERSION")?.trim().to_owned();

        // Once before the fan-out: parallel builds that each download modules race.
        if let Some(argv) = &plan.download {
            let caller = caller_vars(&plan.download_settings);
            let download_env = [caller.clone(), env.clone()].concat();
            crate::ui::say(format!("  downloading modules ({})", argv.join(" ")));
            let command = self.go(&dir, argv[1..].iter().map(String::as_str), &download_env);
            crate::ui::detail(self.shown(&command, &caller));
            // Go's errors may quote a proxy URL with its credentials.
            let secrets = plan.download_settings.secrets();
            read(command, &argv.join(" "))
                .map_err(|e| anyhow::format_err!("{}", scrub(&format!("{e:#}"), &secrets)))
                .with_context(|| format!("cannot download the modules of {}", dir.display()))?;
        }

        // Whether every -X variable exists: after the download, in the first target's environment.
        let probes = match plan.builds.first() {
            Some(first) => self.probe(&dir, &plan.probes(), &plan.env_for(first))?,
            None => vec![],
        };

        let mut jobs: Vec<Job> = Vec::new();
        for (i, b) in plan.builds.iter().enumerate() {
            for (index, output) in b.outputs.iter().enumerate() {
                let output = out.join(output);
                let argv = plan.go_build_argv(b, index, &output.to_string_lossy());
                let command = self.go(&dir, argv[1..].iter().map(String::as_str), &plan.env_for(b));
                jobs.push((i, b, self.shown(&command, &[]), command));
            }
        }
        let seconds = run_parallel(jobs, plan.builds.len(), done)?;
        Ok(Built { go_version, seconds, probes })
    }

    /// Runs quick go commands side by side and returns how each went.
    fn probe(&self, dir: &Path, argvs: &[Vec<String>], env: &[(String, String)]) -> anyhow::Result<Vec<StepResult>> {
        std::thread::scope(|scope| {
            let running: Vec<_> = argvs
                .iter()
                .map(|argv| {
                    let mut command = self.go(dir, argv[1..].iter().map(String::as_str), env);
                    crate::ui::detail(self.shown(&command, &[]));
                    scope.spawn(move || command.output().map(|out| (argv, out)))
                })
                .collect();
            running
                .into_iter()
                .map(|r| {
                    let (argv, out) = r.join().expect("a probe thread panicked").context("cannot run go")?;
                    Ok(StepResult {
                        argv: argv.clone(),
                        code: out.status.code().map_or(-1, i64::from),
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    })
                })
                .collect()
        })
    }
}

impl Session {
    pub fn run_steps(&mut self, job: &crate::engine::Steps) -> anyhow::Result<Vec<crate::steps::StepResult>> {
        let dir = job.source.module_dir();
        let mut env = caller_vars(&job.download);
        env.extend(job.env.clone());
        let mut results = Vec::new();
        for argv in &job.steps {
            interrupt::check()?;
            let program = if argv[0] == "go" { self.go.clone() } else { self.go.with_file_name(&argv[0]) };
            let mut c = Command::new(&program);
            c.args(&argv[1..]).current_dir(&dir).env_clear().envs(&self.base_env).envs(env.iter().map(|(k, v)| (k, v)));
            let out = c.output().with_context(|| format!("cannot run {}", program.display()))?;
            let result = crate::steps::StepResult {
                argv: argv.clone(),
                code: out.status.code().map_or(-1, i64::from),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
            let failed = result.code != 0;
            results.push(result);
            if failed {
                break;
            }
        }
        Ok(results)
    }
}

/// A word as a POSIX shell reads it back: quoted only when it needs to be.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c);
    if word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What a go command that may download modules takes from the caller: the
/// plan's download settings, and HOME and NETRC (Go and git read credentials there).
fn caller_vars(download: &DownloadSettings) -> Vec<(String, String)> {
    [download.env.clone(), download.host_env.clone()].concat()
}

/// Runs a quick Go command; on failure the error names the step and keeps its stderr.
fn read(mut command: Command, step: &str) -> anyhow::Result<String> {
    let out = command.output().with_context(|| format!("cannot run `{step}`"))?;
    if !out.status.success() {
        bail!("`{step}` failed ({}):\n{}", out.status, stderr_from_here(&command, &out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One `go build`: its target's index, the target, the line `--verbose` prints, the command.
type Job<'a> = (usize, &'a TargetBuild, String, Command);

/// Runs every build, at most one per core; stops starting new ones after a
/// failure or Ctrl-C and reports every failure with the compiler's output.
fn run_parallel(
    jobs: Vec<Job>,
    targets: usize,
    done: &(dyn Fn(usize) + Sync),
) -> anyhow::Result<BTreeMap<String, f64>> {
    // Binaries still to build per target: at zero the target is handed on.
    let remaining: Vec<std::sync::atomic::AtomicUsize> = (0..targets)
        .map(|i| std::sync::atomic::AtomicUsize::new(jobs.iter().filter(|(t, _, _, _)| *t == i).count()))
        .collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs.len().max(1));
    let mut names: Vec<String> = jobs.iter().map(|(_, b, _, _)| b.target.to_string()).collect();
    names.dedup();
    let _board = crate::ui::board(&names);
    let queue = Mutex::new(jobs.into_iter());
    let failures = Mutex::new(Vec::<String>::new());
    let seconds = Mutex::new(BTreeMap::<String, f64>::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if interrupt::requested() || !failures.lock().unwrap().is_empty() {
                    return;
                }
                let Some((i, build, shown, mut command)) = queue.lock().unwrap().next() else { return };
                crate::ui::progress(&build.target.to_string(), crate::ui::Progress::Building);
                crate::ui::detail(shown);
                let started = std::time::Instant::now();
                match run_one(&mut command) {
                    Ok(()) => {
                        let took = started.elapsed().as_secs_f64();
                        *seconds.lock().unwrap().entry(build.target.to_string()).or_default() += took;
                        crate::ui::progress(&build.target.to_string(), crate::ui::Progress::Built(took));
                        if remaining[i].fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                            done(i);
                        }
                    }
                    Err(e) => {
                        crate::ui::progress(&build.target.to_string(), crate::ui::Progress::Failed);
                        failures.lock().unwrap().push(format!("go build failed for {}: {e:#}", build.target))
                    }
                }
            });
        }
    });
    interrupt::check()?;
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(seconds.into_inner().unwrap())
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
        bail!("{status}\n{}", stderr_from_here(command, stderr.as_bytes()));
    }
    Ok(())
}

/// A go command's stderr, its file positions (relative to the directory it
/// ran in) made relative to where the user stands.
fn stderr_from_here(command: &Command, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match command.get_current_dir() {
        Some(dir) => crate::ui::paths_from_here(text.trim_end(), dir),
        None => text.trim_end().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let base_env = BTreeMap::from([("PATH".into(), "/usr/bin".into()), ("GOCACHE".into(), "/c".into())]);
        Session { go: "/opt/go/bin/go".into(), from_path: false, why_other: None, base_env }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_verbose_line_shows_the_plans_environment_target_first() {
        let s = session();
        let build = s.go(
            Path::new("/m"),
            ["build", "-ldflags=-s -w -X 'main.v=it''s'", "-o", "/out/linux/arm64/hello", "./cmd/hello"],
            &env(&[("CGO_ENABLED", "0"), ("GOFLAGS", ""), ("GOOS", "linux"), ("GOARCH", "arm64"), ("GOARM", "7")]),
        );
        assert_eq!(
            s.shown(&build, &[]),
            r#"  GOOS=linux GOARCH=arm64 GOARM=7 CGO_ENABLED=0 GOFLAGS= go build '-ldflags=-s -w -X '\''main.v=it'\'''\''s'\''' -o /out/linux/arm64/hello ./cmd/hello"#
        );
    }

    /// The caller's download settings may hold credentials: their names only.
    /// A variable the plan sets itself (in `build.env`, so in the manifest) is the plan's.
    #[test]
    fn a_verbose_line_names_the_callers_download_settings_without_their_values() {
        let s = session();
        let download = DownloadSettings {
            env: env(&[("GOPROXY", "https://user:s3cret@proxy.invalid")]),
            netrc: None,
            host_env: env(&[("HOME", "/home/u")]),
        };
        let caller = caller_vars(&download);
        let mut vars = caller.clone();
        vars.extend(env(&[("GOFLAGS", ""), ("GOPRIVATE", "example.com/*"), ("PATH", "/usr/bin")]));
        let download = s.go(Path::new("/m"), ["mod", "download"], &vars);
        let line = s.shown(&download, &caller);
        assert_eq!(
            line,
            "  GOFLAGS= GOPRIVATE='example.com/*' go mod download (with the caller's GOPROXY, HOME; values not shown)"
        );
        assert!(!line.contains("s3cret"));
    }
}
