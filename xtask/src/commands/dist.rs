//! `cargo xtask dist`: settings → engine toolchain → plan → (carry over what is
//! unchanged) → build → verified release → swap into place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use xshell::Shell;

use crate::engine::check_go;
use crate::engine::{self, Engine, Session};
use crate::flags::{Dist, DistAction, Shard};
use crate::interrupt;
use crate::output::{check_replaceable, Output};
use crate::plan::images::ImagePlan;
use crate::plan::{self, Plan, Toolchain};
use crate::project;
use crate::release::{self, manifest::Artifact, reuse::Previous, smoke, Packing, Release};
use crate::settings::{Resolved, Settings};
use crate::source::Source;
use crate::stamp::Stamp;
use crate::target::{valid_targets, Target};
use crate::ui;

impl Dist {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        ui::set(self.output);
        if let Some(DistAction::Merge(merge)) = self.action {
            return merge.run();
        }
        let out: PathBuf = self.out.clone().unwrap_or_else(|| project::root().join("dist"));
        let given = self.read_inputs(sh, &out)?;
        if self.dry_run {
            let Prepared { engine, why, toolchain, plan, .. } = self.prepare(sh, given, &|_, e| e)?;
            print!("{}", describe(&plan, &toolchain, engine, &why, &out));
            return Ok(());
        }

        // Before choosing an engine: a refused or locked output costs nothing.
        let output = Output::prepare(&out)?;
        // Until `commit`, every failure drops the staging directory and leaves `out` as it was.
        let unchanged = || format!("{} is unchanged", output.path().display());
        let failed = |engine: Engine, e: anyhow::Error| {
            if interrupt::requested() {
                anyhow::format_err!("interrupted; {}", unchanged())
            } else {
                e.context(format!("the {engine} engine failed; {}", unchanged()))
            }
        };
        let Prepared { settings, engine, mut session, toolchain, plan, .. } = self.prepare(sh, given, &failed)?;
        let failed = |e: anyhow::Error| failed(engine, e);
        announce(&plan, &toolchain);
        // A shard makes no image (`dist merge` does, on the Dagger engine).
        let dockerfile = plan.images.iter().find(|i| i.dockerfile.is_some() && plan.shard.is_none());
        if let (Engine::Host, Some(image)) = (engine, dockerfile) {
            bail!(
                "`{}` is built from a Dockerfile, which only the Dagger engine builds: run with --engine dagger (Docker \
                 or a Dagger engine), or describe the image without a Dockerfile (docs/settings.md)",
                image.key
            );
        }
        // Before building: a key that will not serve costs nothing yet. A shard is signed by `merge`.
        let signer = if plan.shard.is_none() { release::supply::signer(plan.supply.sign_required)? } else { None };
        let extras = release::read_extras(&plan)?;
        let settings_json = serde_json::to_value(&settings.raw)?;
        let CarryOver { keys, previous, reused, to_build, source_digest } =
            carry_over(&plan, &toolchain, engine, &output)?;
        let built_there_before =
            previous.as_ref().is_some_and(|p| p.built_with(&engine.to_string(), &toolchain.go_version));
        if let (Session::Host(_), Some(previous)) = (&session, &previous) {
            for &i in &to_build {
                for rel in &plan.builds[i].outputs {
                    previous.seed(rel, output.staging())?;
                }
            }
        }
        // Targets are verified and packed as they finish, while the rest build;
        // those carried over are packed (or their packages carried over) at once.
        let packing = Packing {
            dir: output.staging(),
            plan: &plan,
            keys: &keys,
            reused: &reused,
            previous: previous.as_ref(),
            extras: &extras,
        };
        let (built, mut packed) = packing.during(&to_build, |done| {
            if to_build.is_empty() {
                return Ok(engine::Built {
                    go_version: toolchain.go_version.clone(),
                    seconds: Default::default(),
                    probes: vec![],
                });
            }
            session
                .build(&plan.subset(&to_build), output.staging(), built_there_before, &|i| done(to_build[i]))
                .map_err(failed)
        })?;
        if !to_build.is_empty() {
            for warning in plan.check_linker_vars(&built.probes).with_context(unchanged)? {
                ui::warn(warning);
            }
        }

        // A source edited during the build: its binaries are kept but not keyed, so the next run rebuilds them.
        if !to_build.is_empty() && plan.source_digest()?.whole() != source_digest {
            ui::warn("the source changed while building: the next run rebuilds every target built now");
            for &i in &to_build {
                for a in packed.get_mut(&i).into_iter().flatten() {
                    a.inputs = None;
                }
            }
        }
        let artifacts = (0..plan.builds.len())
            .map(|i| packed.remove(&i).with_context(|| format!("{} was not packed", plan.builds[i].target)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let reused_targets: Vec<String> = (0..plan.builds.len())
            .filter(|i| !to_build.contains(i))
            .map(|i| plan.builds[i].target.to_string())
            .collect();
        // A run of some targets only keeps the previous release's others aside, for the next full run.
        let partial = self.shard.is_some() || {
            let m = &settings.matrix;
            let all = crate::target::select(&m.targets, m.explicit, &toolchain.dist_list, &toolchain.label)?.targets;
            (self.host || !self.targets.is_empty()) && plan.targets() != all
        };
        let held = match (&previous, partial) {
            (Some(previous), true) => {
                let building: Vec<String> = plan.targets().iter().map(|t| t.to_string()).collect();
                previous.hold_others(&building, output.staging())
            }
            _ => vec![],
        };
        let mut dockerfile = |image: &ImagePlan, binaries: &[PathBuf]| match &mut session {
            Session::Dagger(s) => s.dockerfile_image(image, binaries, output.staging()),
            Session::Host(_) => unreachable!("refused before building"),
        };
        let images = release::images(output.staging(), &plan, &artifacts, previous.as_ref(), &mut dockerfile)
            .map_err(failed)
            .with_context(|| format!("cannot make the images; {}", unchanged()))?;
        drop(session);
        let release = Release {
            plan: &plan,
            built: &built,
            engine,
            settings: settings_json,
            artifacts,
            images,
            partial,
            held,
            signer: signer.as_ref(),
            previous: Some(output.path()),
            carried: previous.as_ref(),
            toolchain: toolchain.content.clone(),
        };
        let manifest = release::finish(output.staging(), &release)
            .with_context(|| format!("cannot complete the release; {}", unchanged()))?;
        if self.smoke {
            let report = smoke::run(sh, output.staging(), &plan).with_context(unchanged)?;
            for line in report {
                ui::say(format!("  smoke {line}"));
            }
        }
        if interrupt::requested() {
            bail!("interrupted; {}", unchanged());
        }
        output.commit()?;
        ui::say(summary(&manifest, &built, &reused_targets));
        if partial {
            let mut held: Vec<&str> = manifest.held.iter().map(|a| a.target.as_str()).collect();
            held.dedup();
            let option = if self.shard.is_some() {
                "--shard"
            } else if self.host {
                "--host"
            } else {
                "--target"
            };
            ui::say(format!(
                "{} now holds {} only ({option}): a partial release, not for publishing{}",
                out.display(),
                plan.targets().iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
                if held.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the previous release's {} are kept in {} for the next full run",
                        held.join(" "),
                        out.join(release::reuse::HELD).display()
                    )
                }
            ));
        }
        ui::say(format!(
            "wrote {} artifacts ({} {}, {}) to {}",
            manifest.artifacts.len(),
            manifest.name,
            manifest.version,
            manifest.go_version,
            out.display()
        ));
        Ok(())
    }
}

/// What a run (or a dry run) knows before it builds: the engine, its Go, and the plan.
struct Prepared {
    settings: Resolved,
    engine: Engine,
    /// Why that engine, in a few words.
    why: String,
    session: Session,
    toolchain: Toolchain,
    plan: Plan,
}

/// What the command line, the settings and git say, before any engine is asked.
struct Given {
    settings: Resolved,
    selected: Vec<Target>,
    stamp: Stamp,
    source: Source,
}

impl Dist {
    /// Settings, targets and stamp (a release refused here costs nothing), and the upload for `out`.
    fn read_inputs(&self, sh: &Shell, out: &Path) -> anyhow::Result<Given> {
        let settings = Settings::load_for_build(self.settings.as_deref())?;
        let selected: Vec<Target> = if self.host { vec![Target::host()?] } else { parse_targets(sh, &self.targets)? };
        let stamp = Stamp::read(sh, &settings.app_dir)?;
        check_release(&stamp, self.release, &settings)?;
        let source = Source::of(&settings, out)?;
        Ok(Given { settings, selected, stamp, source })
    }

    /// The engine (said, unless a dry run), its Go (checked against `app.go`)
    /// and the plan. `failed` wraps an engine's failure to start or to report its Go.
    fn prepare(
        &self,
        sh: &Shell,
        given: Given,
        failed: &dyn Fn(Engine, anyhow::Error) -> anyhow::Error,
    ) -> anyhow::Result<Prepared> {
        let Given { settings, selected, stamp, source } = given;
        let (engine, why) = engine::choose(sh, self.engine, &settings.go_version)?;
        if !self.dry_run {
            ui::say(format!("engine: {engine} ({why})"));
        }
        let mut session =
            Session::open(engine, sh, &settings.go_version, self.go_cache.as_deref()).map_err(|e| failed(engine, e))?;
        let toolchain = session.toolchain(&settings.image, &source.module_dir()).map_err(|e| failed(engine, e))?;
        // Not wrapped: `--dry-run` says exactly this.
        check_go(&toolchain, &settings, engine, self.allow_other_go)?;
        let plan = make_plan(&settings, &selected, stamp, source, &toolchain, self.shard)?;
        Ok(Prepared { settings, engine, why, session, toolchain, plan })
    }
}

/// `--release` refuses anything but a clean tree exactly at a tag; without
/// it, a dirty tree is said loudly: its files would pass for a release.
fn check_release(stamp: &Stamp, release: bool, settings: &Resolved) -> anyhow::Result<()> {
    let names_use_tag = settings
        .archives
        .iter()
        .map(|a| &a.name)
        .chain([&settings.checksum_name])
        .any(|t| t.fields().contains(&"Tag".to_owned()));
    let tag_names = if names_use_tag && !stamp.tag.is_empty() {
        format!("; its file names use .Tag ({}) as a release of {} would", stamp.tag, stamp.tag)
    } else {
        String::new()
    };
    if release {
        if stamp.dirty {
            bail!(
                "--release: the working tree has uncommitted changes (version {}): commit or stash them, then tag the commit",
                stamp.version
            );
        }
        if !stamp.untracked.is_empty() {
            let shown: Vec<&str> = stamp.untracked.iter().take(5).map(String::as_str).collect();
            let more = stamp.untracked.len().saturating_sub(shown.len());
            bail!(
                "--release: files git neither tracks nor ignores are in the tree ({}{}), and a build may read them: \
                 commit, remove or ignore them",
                shown.join(", "),
                if more > 0 { format!(", and {more} more") } else { String::new() }
            );
        }
        if !stamp.tagged {
            bail!(
                "--release: the commit {} is not exactly a tag (version {}): tag it (git tag v1.2.3) and build the tag",
                stamp.commit,
                stamp.version
            );
        }
    } else if stamp.dirty {
        ui::warn(format!(
            "the working tree has uncommitted changes: this build is {}, not a release{tag_names}; do not publish it \
             (`cargo xtask dist --release` refuses it)",
            stamp.version
        ));
    }
    Ok(())
}

/// What will be built: the targets, those the toolchain lacks, whether modules are downloaded.
fn announce(plan: &Plan, toolchain: &Toolchain) {
    if !plan.dropped.is_empty() {
        ui::say(format!(
            "skipping {} target(s) {} lacks: {}",
            plan.dropped.len(),
            toolchain.label,
            plan.dropped.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ")
        ));
    }
    ui::say(format!(
        "building {} {} for {} target(s): {}{}",
        plan.project,
        plan.stamp.version,
        plan.builds.len(),
        plan.targets().iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
        if plan.source.vendored { " (vendored modules: no download)" } else { "" }
    ));
    for warning in plan.package_warnings() {
        ui::warn(warning);
    }
    for note in &plan.image_notes {
        ui::say(note);
    }
}

/// Per target: its input key, and its binaries if the release being replaced already has them.
struct CarryOver {
    /// `None` where no key can cover the inputs (see `Reads::opaque`): such targets are always built.
    keys: Vec<Option<String>>,
    previous: Option<Previous>,
    /// The binaries carried over (linked into staging), per target.
    reused: Vec<Option<Vec<Artifact>>>,
    /// The targets to build: those not carried over.
    to_build: Vec<usize>,
    /// What the keys were computed from, checked again after the build.
    source_digest: String,
}

/// Links the binaries of every unchanged, intact target of the previous release into staging.
fn carry_over(plan: &Plan, toolchain: &Toolchain, engine: Engine, output: &Output) -> anyhow::Result<CarryOver> {
    let inputs =
        plan::Inputs { source_digest: plan.source_digest()?, toolchain: toolchain.fingerprint.clone(), engine };
    if let Some(why) = &plan.reads.opaque {
        ui::say(format!("every target is built, none carried over: {why}"));
    }
    let keys: Vec<Option<String>> =
        plan.builds.iter().map(|b| plan.reads.opaque.is_none().then(|| plan.target_key(b, &inputs))).collect();
    let previous = Previous::read(output.path());
    // Proving the previous binaries intact reads them all (hundreds of MB on a dozen targets): on every processor.
    let builds: Vec<(&plan::TargetBuild, &Option<String>)> = plan.builds.iter().zip(&keys).collect();
    let reused: Vec<Option<Vec<Artifact>>> = crate::parallel::map(&builds, |(b, key)| {
        previous.as_ref()?.take_binaries(&b.target.to_string(), key.as_deref()?, &b.outputs, output.staging())
    });
    let to_build: Vec<usize> = (0..plan.builds.len()).filter(|&i| reused[i].is_none()).collect();
    if to_build.len() < plan.builds.len() {
        let names: Vec<String> =
            plan.builds.iter().zip(&reused).filter(|(_, r)| r.is_some()).map(|(b, _)| b.target.to_string()).collect();
        ui::say(format!("up to date, reused from {}: {}", output.path().display(), names.join(" ")));
    }
    Ok(CarryOver { keys, previous, reused, to_build, source_digest: inputs.source_digest.whole() })
}

/// One line per target: its binaries' size, its (first) archive, a digest prefix and the build time.
fn summary(manifest: &release::manifest::Manifest, built: &engine::Built, reused: &[String]) -> String {
    use release::manifest::Kind;
    let mut targets: Vec<&str> = manifest.artifacts.iter().map(|a| a.target.as_str()).collect();
    targets.dedup();
    let mut rows = vec![["target", "binaries", "package", "sha256", "seconds"].map(String::from)];
    for t in targets {
        let of = |kind: Kind| manifest.artifacts.iter().filter(move |a| a.target == t && a.kind == kind);
        let size: u64 = of(Kind::Binary).map(|a| a.size).sum();
        // The first published file, and how many more (several archive sets, bare binaries).
        let mut published = of(Kind::Archive).chain(of(Kind::Bare)).chain(of(Kind::Image));
        let package = published.next().or_else(|| of(Kind::Binary).next());
        let more = match published.count() {
            0 => String::new(),
            n => format!(" (+{n})"),
        };
        let time = if reused.iter().any(|r| r == t) {
            "reused".to_owned()
        } else {
            built.seconds.get(t).map_or("-".to_owned(), |s| format!("{s:.1}"))
        };
        rows.push([
            t.to_owned(),
            if size == 0 { "-".to_owned() } else { format!("{:.1} MB", size as f64 / 1e6) },
            package.map_or(String::new(), |a| format!("{}{more}", a.path)),
            package.map_or(String::new(), |a| format!("{}…", &a.sha256[..12])),
            time,
        ]);
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            format!("  {}", cells.join("  ").trim_end())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn make_plan(
    settings: &Resolved,
    selected: &[Target],
    stamp: Stamp,
    source: Source,
    toolchain: &Toolchain,
    shard: Option<Shard>,
) -> anyhow::Result<Plan> {
    let caller_env: BTreeMap<String, String> = std::env::vars().collect();
    let plan = Plan::new(settings, selected, stamp, source, toolchain, &caller_env)?;
    Ok(match shard {
        Some(s) => plan.shard(s.index, s.count),
        None => plan,
    })
}

/// `--dry-run`: everything the run would do, nothing done.
fn describe(plan: &Plan, toolchain: &Toolchain, engine: Engine, why: &str, out: &Path) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!("engine:    {engine} ({why})"));
    if engine == Engine::Dagger {
        line(format!("image:     {}", plan.image));
    }
    let other = if toolchain.go_version == format!("go{}", plan.go_version) {
        String::new()
    } else {
        format!(" (not app.go {}: --allow-other-go)", plan.go_version)
    };
    line(format!("toolchain: {}{other}", toolchain.label));
    line(format!(
        "version:   {} {} (commit {}, {})",
        plan.project, plan.stamp.version, plan.stamp.commit, plan.stamp.date
    ));
    if let Some(shard) = &plan.shard {
        line(format!("shard:     {shard}"));
    }
    line(format!(
        "targets:   {} ({})",
        plan.targets().iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
        plan.builds.len()
    ));
    if !plan.dropped.is_empty() {
        line(format!(
            "dropped:   {} (not supported by {})",
            plan.dropped.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "),
            toolchain.label
        ));
    }
    let labels = plan.binary_labels();
    for (i, b) in plan.binaries.iter().enumerate() {
        let flags = plan.builds.first().map(|f| f.flags[i].join(" ")).unwrap_or_default();
        line(format!("binary:    {} from {}: go build {flags}", labels[i], b.main));
    }
    line(format!(
        "modules:   {}",
        if plan.source.vendored { "vendored (no download)".to_owned() } else { "go mod download, once".to_owned() }
    ));
    let module = if plan.source.module.is_empty() { ".".to_owned() } else { plan.source.module.clone() };
    line(format!(
        "upload:    {} (module {module}), less {}",
        plan.source.root.display(),
        plan.source.exclude.join(" ")
    ));
    let state = match check_replaceable(out) {
        Ok(()) if out.exists() => "replaces the release there".to_owned(),
        Ok(()) => "new".to_owned(),
        Err(e) => format!("REFUSED: {e:#}"),
    };
    line(format!("output:    {} ({state})", out.display()));
    for b in &plan.builds {
        // The first archive set beside the binaries, every other file below.
        let mut files =
            b.archives.iter().map(|a| a.package.files().join(" ")).chain(b.packages.iter().map(|p| p.file.clone()));
        let first = files.next().unwrap_or_default();
        line(format!("  {:<16} {}  →  {first}", b.target.to_string(), b.outputs.join(" ")));
        for file in files {
            line(format!("  {:<16} {file}", ""));
        }
    }
    for image in &plan.images {
        let platforms: Vec<String> = image.platforms.iter().map(|t| t.to_string()).collect();
        line(format!("  {:<16} {}  ←  {}", "image", image.file, platforms.join(" ")));
    }
    line(format!("  {}", plan.checksum_file));
    line("  manifest.json".to_owned());
    s
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
