//! `cargo xtask ci`: everything CI checks, in one command that runs the same
//! on a laptop — the app's gofmt/vet/tests and a full `dist` — stopping at the
//! first failure with a summary.
//!
//! The xtask's own Rust code is checked (`cargo fmt --check`, clippy) only with
//! `--lint-xtask`: in a repository that adopted the xtask and never changed it,
//! a new stable Rust's lints or formatting would turn CI red for code its team
//! did not write. This template's CI, and repositories that change their xtask,
//! pass the flag.

use std::time::Instant;

use anyhow::bail;
use xshell::{cmd, Shell};

use crate::flags::{Ci, Dist, Test};
use crate::ui;

/// One check: its name and how to run it.
type Step<'a> = (&'static str, Box<dyn Fn() -> anyhow::Result<()> + 'a>);

impl Ci {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let cargo = sh.var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let engine = self.engine;
        let allow_other_go = self.allow_other_go;
        let go_cache = self.go_cache;
        let mut steps: Vec<Step> = Vec::new();
        if self.lint_xtask {
            // Only the xtask package: a Rust team's own crates in the same workspace have their own checks.
            steps.push(("cargo fmt --check", Box::new(|| Ok(cmd!(sh, "{cargo} fmt --package xtask --check").run()?))));
            steps.push((
                "cargo clippy -D warnings",
                Box::new(|| Ok(cmd!(sh, "{cargo} clippy --package xtask --all-targets --quiet -- -D warnings").run()?)),
            ));
        }
        steps.push((
            "cargo xtask test",
            Box::new(|| Test { engine, settings: None, allow_other_go, go_cache: go_cache.clone() }.run(sh)),
        ));
        steps.push((
            "cargo xtask dist",
            Box::new(|| Dist { engine, allow_other_go, go_cache: go_cache.clone(), ..Dist::default() }.run(sh)),
        ));
        let mut passed: Vec<String> = Vec::new();
        for (name, step) in &steps {
            ui::say(format!("== {name}"));
            let started = Instant::now();
            if let Err(e) = step() {
                let rest: Vec<&str> = steps.iter().map(|(n, _)| *n).skip(passed.len() + 1).collect();
                let summary = format!(
                    "passed: {}; FAILED: {name}; not run: {}",
                    if passed.is_empty() { "nothing".to_owned() } else { passed.join(", ") },
                    if rest.is_empty() { "nothing".to_owned() } else { rest.join(", ") }
                );
                bail!("{e:#}\n\nci: {summary}");
            }
            passed.push(format!("{name} ({:.0} s)", started.elapsed().as_secs_f64()));
        }
        ui::say(format!("ci: all {} steps passed: {}", steps.len(), passed.join(", ")));
        Ok(())
    }
}
