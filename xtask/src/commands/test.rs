//! `cargo xtask test`: `gofmt -l`, `go vet ./...` and `go test ./...` for the
//! app, on the engine `dist` would use (the pinned image in Dagger, or the
//! host's Go) with the same source, caches and build environment.

use anyhow::bail;
use xshell::Shell;

use crate::engine::{self, Session, Steps};
use crate::flags::Test;
use crate::plan::build_env;
use crate::project;
use crate::source::Source;
use crate::ui;

impl Test {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let settings = crate::settings::Settings::load_for_build(self.settings.as_deref())?;
        let source = Source::of(&settings, &project::root().join("dist"))?;
        let (engine, why) = engine::choose(sh, self.engine, &settings.go_version)?;
        ui::say(format!("engine: {engine} ({why})"));
        let mut steps = Vec::new();
        let files = go_files(&source)?;
        if !files.is_empty() {
            steps.push([vec!["gofmt".to_owned(), "-l".to_owned()], files].concat());
        }
        let tags: Vec<String> = match settings.build.tags.as_slice() {
            [] => vec![],
            tags => vec![format!("-tags={}", tags.join(","))],
        };
        steps.push([vec!["go".to_owned(), "vet".to_owned()], tags.clone(), vec!["./...".to_owned()]].concat());
        steps.push([vec!["go".to_owned(), "test".to_owned()], tags, vec!["./...".to_owned()]].concat());
        let module_dir = source.module_dir();
        let caller_env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
        // `build.env`'s templates as a build fills them, without a target (tests run on the engine's own).
        let stamp = crate::stamp::Stamp::read(sh, &settings.app_dir)?;
        let env = build_env(&settings, &source, &stamp, None, &caller_env)?;
        let job = Steps {
            download: crate::plan::DownloadSettings::from(&caller_env, &env),
            env,
            source,
            image: settings.image.clone(),
            go_version: settings.go_version.clone(),
            steps,
        };
        let mut session = Session::open(engine, sh, &settings.go_version, self.go_cache.as_deref())?;
        let toolchain = session.toolchain(&settings.image, &job.source.module_dir())?;
        crate::engine::check_go(&toolchain, &settings, engine, self.allow_other_go)?;
        let results = session.run_steps(&job)?;
        for r in &results {
            let name = r.argv.iter().take(2).cloned().collect::<Vec<_>>().join(" ");
            // The commands ran in the module (in Dagger, at the same place in /src): paths from where the user is.
            let (stdout, stderr) = (
                ui::paths_from_here(r.stdout.trim_end(), &module_dir),
                ui::paths_from_here(r.stderr.trim_end(), &module_dir),
            );
            // gofmt -l lists badly formatted files and still exits 0.
            if r.argv[0] == "gofmt" && r.code == 0 && !stdout.is_empty() {
                bail!("gofmt: these files are not formatted (run `gofmt -w` on them):\n{stdout}");
            }
            if r.code != 0 {
                // Each on its own lines, so a path that starts one stays at the start.
                let output: Vec<&str> =
                    [stdout.as_str(), stderr.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
                bail!("`{}` failed (exit {}):\n{}", r.argv.join(" "), r.code, output.join("\n"));
            }
            ui::say(format!("  {name}: ok"));
            if ui::verbose() {
                ui::detail(r.stdout.trim_end());
            }
        }
        Ok(())
    }
}

/// The module's Go files for gofmt, relative to it: of the uploaded files, those
/// `go` itself would read (not in vendor/, testdata/, hidden or `_` directories,
/// or nested modules).
fn go_files(source: &Source) -> anyhow::Result<Vec<String>> {
    let module = source.module_dir();
    let prefix = if source.module.is_empty() { String::new() } else { format!("{}/", source.module) };
    let mut out = Vec::new();
    for file in source.files()? {
        let Some(rel) = file.strip_prefix(&prefix) else { continue };
        let dirs: Vec<&str> = rel.split('/').collect();
        let (dirs, name) = dirs.split_at(dirs.len() - 1);
        let skipped =
            dirs.iter().any(|d| d.starts_with('.') || d.starts_with('_') || *d == "vendor" || *d == "testdata");
        let nested = (1..=dirs.len()).any(|n| module.join(dirs[..n].join("/")).join("go.mod").is_file());
        if name[0].ends_with(".go") && !skipped && !nested {
            out.push(rel.to_owned());
        }
    }
    Ok(out)
}
