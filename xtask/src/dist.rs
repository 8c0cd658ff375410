//! `cargo xtask dist`: settings → engine toolchain → plan → build → verified
//! release → swap into place.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use xshell::Shell;

use crate::artifacts::{self, reuse::Previous, smoke, Release};
use crate::engine::{self, Session};
use crate::flags::Dist;
use crate::interrupt;
use crate::output::Output;
use crate::plan::{Inputs, Plan};
use crate::project;
use crate::settings::Settings;
use crate::source::{Outputs, Source};
use crate::stamp::Stamp;
use crate::target::{valid_targets, Target};

impl Dist {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let settings_file = self.settings.clone().unwrap_or_else(|| project::root().join("dist.toml"));
        let settings = Settings::load(&std::path::absolute(&settings_file)?)?;
        let selected: Vec<Target> = if self.host { vec![Target::host()?] } else { parse_targets(sh, &self.targets)? };
        if !settings.app_dir.join("go.mod").is_file() {
            bail!(
                "no go.mod in {} (app.dir in {}): point app.dir at your Go module",
                settings.app_dir.display(),
                settings.file.display()
            );
        }
        let stamp = Stamp::read(sh, &settings.app_dir)?;
        let out: PathBuf = self.out.clone().unwrap_or_else(|| project::root().join("dist"));
        let goflags = settings.build.env.get("GOFLAGS").cloned().unwrap_or_default();
        let source = Source::find(&settings.app_dir, &settings.build.flags, &goflags, &Outputs::of_this_xtask(&out))?;

        // Before choosing an engine: a refused or locked output costs nothing.
        let output = Output::prepare(&out)?;
        let (engine, why) = engine::choose(sh, self.engine, &settings.go_version)?;
        eprintln!("engine: {engine} ({why})");
        // Until `commit`, every failure drops the staging directory and leaves `out` as it was.
        let unchanged = || format!("{} is unchanged", output.path().display());
        let failed = |e: anyhow::Error| {
            if interrupt::requested() {
                anyhow::format_err!("interrupted; {}", unchanged())
            } else {
                e.context(format!("the {engine} engine failed; {}", unchanged()))
            }
        };

        let mut session = Session::open(engine, sh).map_err(failed)?;
        let toolchain =
            session.toolchain(&settings.image, &settings.go_version, &source.module_dir()).map_err(failed)?;
        let caller_env: BTreeMap<String, String> = std::env::vars().collect();
        let plan = Plan::new(&settings, &selected, stamp, source, &toolchain, &caller_env)?;
        if !plan.dropped.is_empty() {
            eprintln!(
                "skipping {} target(s) {} lacks: {}",
                plan.dropped.len(),
                toolchain.label,
                plan.dropped.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ")
            );
        }
        eprintln!(
            "building {} {} for {} target(s): {}{}",
            plan.project,
            plan.stamp.version,
            plan.builds.len(),
            plan.targets().iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
            if plan.source.vendored { " (vendored modules: no download)" } else { "" }
        );

        // Unchanged targets are carried over from the release being replaced.
        let extras = artifacts::read_extras(&plan)?;
        let settings_json = serde_json::to_value(&settings.raw)?;
        let inputs = Inputs {
            source_digest: plan.source.digest()?,
            extras_digest: artifacts::checksums::sha256_hex(
                &extras.iter().flat_map(|e| [e.name.as_bytes(), b"\0", &e.bytes, b"\0"].concat()).collect::<Vec<u8>>(),
            ),
            go_version: toolchain.go_version.clone(),
            settings: settings_json.clone(),
        };
        let keys: Vec<String> = plan.builds.iter().map(|b| plan.target_key(b, &inputs)).collect();
        let previous = Previous::read(output.path());
        let reused: Vec<Option<Vec<artifacts::manifest::Artifact>>> = plan
            .builds
            .iter()
            .zip(&keys)
            .map(|(b, key)| previous.as_ref()?.take_target(&b.target.to_string(), key, &b.files(), output.staging()))
            .collect();
        let to_build: Vec<usize> = (0..plan.builds.len()).filter(|&i| reused[i].is_none()).collect();
        if to_build.len() < plan.builds.len() {
            let names: Vec<String> = plan
                .builds
                .iter()
                .zip(&reused)
                .filter(|(_, r)| r.is_some())
                .map(|(b, _)| b.target.to_string())
                .collect();
            eprintln!("up to date, reused from {}: {}", output.path().display(), names.join(" "));
        }
        let built = if to_build.is_empty() {
            engine::Built { go_version: toolchain.go_version.clone() }
        } else {
            if let (Session::Host(_), Some(previous)) = (&session, &previous) {
                for &i in &to_build {
                    for rel in &plan.builds[i].outputs {
                        previous.seed(rel, output.staging())?;
                    }
                }
            }
            session.build(&plan.subset(&to_build), output.staging()).map_err(failed)?
        };
        drop(session);

        let release = Release {
            plan: &plan,
            built: &built,
            engine,
            settings: settings_json,
            keys,
            reused,
            previous: previous.as_ref(),
        };
        let manifest = artifacts::finish(output.staging(), &release, &extras)
            .with_context(|| format!("cannot complete the release; {}", unchanged()))?;
        if self.smoke {
            let report = smoke::run(sh, output.staging(), &plan).with_context(unchanged)?;
            for line in report {
                eprintln!("  smoke {line}");
            }
        }
        if interrupt::requested() {
            bail!("interrupted; {}", unchanged());
        }
        output.commit()?;
        eprintln!(
            "wrote {} artifacts ({} {}, {}) to {}",
            manifest.artifacts.len(),
            manifest.name,
            manifest.version,
            manifest.go_version,
            out.display()
        );
        Ok(())
    }
}

/// Parses `--target` values; a malformed one is reported with the valid targets.
fn parse_targets(sh: &Shell, raw: &[String]) -> anyhow::Result<Vec<Target>> {
    raw.iter()
        .map(|t| {
            t.trim().parse::<Target>().map_err(|e| {
                let valid = match xshell::cmd!(sh, "go tool dist list").quiet().ignore_stderr().read() {
                    Ok(list) => valid_targets(&list),
                    Err(_) => "`go tool dist list` prints the valid targets".to_owned(),
                };
                anyhow::format_err!("{e}\n{valid}")
            })
        })
        .collect()
}
