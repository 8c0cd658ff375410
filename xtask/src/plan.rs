//! The build plan: exactly what to build and where, computed from the settings,
//! the command line and the version stamp, before any engine runs.
//!
//! Both engines execute the same plan with the same `go build` arguments and
//! environment, which is what makes their outputs byte-identical.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use serde::Serialize;

use crate::settings::Resolved;
use crate::stamp::Stamp;
use crate::target::Target;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Absolute path of the Go module on the host.
    pub app_dir: PathBuf,
    pub main_package: String,
    pub binary: String,
    pub go_version: String,
    pub image: String,
    pub stamp: Stamp,
    /// Environment common to every target (GOOS/GOARCH come per target).
    pub env: BTreeMap<String, String>,
    /// `go build` flags, without `-o` and the package.
    pub flags: Vec<String>,
    pub builds: Vec<TargetBuild>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetBuild {
    pub target: Target,
    /// Path of the binary relative to the output directory: `<os>/<arch>[/vN]/<bin>[.exe]`.
    pub output: String,
}

impl Plan {
    /// `selected` narrows the build to those targets; empty means the settings' matrix.
    pub fn new(settings: &Resolved, selected: &[Target], stamp: Stamp) -> anyhow::Result<Plan> {
        let mut targets = if selected.is_empty() { settings.targets.clone() } else { selected.to_vec() };
        targets.sort();
        targets.dedup();
        if targets.is_empty() {
            bail!("no targets selected");
        }
        let builds = targets
            .into_iter()
            .map(|target| {
                let dir = target.to_string();
                let output = format!("{dir}/{}", target.exe_name(&settings.binary));
                TargetBuild { target, output }
            })
            .collect();

        let mut env = BTreeMap::from([("CGO_ENABLED".to_owned(), "0".to_owned())]);
        env.extend(settings.build.env.clone());

        let mut flags = vec!["-trimpath".to_owned(), "-buildvcs=false".to_owned()];
        flags.push(format!("-ldflags={}", ldflags(settings, &stamp)));
        if !settings.build.tags.is_empty() {
            flags.push(format!("-tags={}", settings.build.tags.join(",")));
        }
        flags.extend(settings.build.flags.iter().cloned());

        Ok(Plan {
            app_dir: std::path::absolute(&settings.app_dir)?,
            main_package: settings.main_package.clone(),
            binary: settings.binary.clone(),
            go_version: settings.go_version.clone(),
            image: settings.image.clone(),
            stamp,
            env,
            flags,
            builds,
        })
    }

    /// The whole `go build …` command line writing the binary to `output`.
    pub fn go_build_argv(&self, output: &str) -> Vec<String> {
        let mut args = vec!["go".to_owned(), "build".to_owned()];
        args.extend(self.flags.iter().cloned());
        args.extend(["-o".to_owned(), output.to_owned(), self.main_package.clone()]);
        args
    }

    /// The whole environment of one target's `go build`.
    pub fn env_for(&self, target: &Target) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self.env.clone().into_iter().collect();
        env.extend(target.go_env().into_iter().map(|(k, v)| (k.to_owned(), v)));
        env
    }

    pub fn targets(&self) -> Vec<Target> {
        self.builds.iter().map(|b| b.target.clone()).collect()
    }
}

fn ldflags(settings: &Resolved, stamp: &Stamp) -> String {
    let mut parts = settings.build.ldflags.clone();
    let s = &settings.build.stamp;
    for (var, value) in [(&s.version, &stamp.version), (&s.commit, &stamp.commit), (&s.date, &stamp.date)] {
        if !var.is_empty() {
            // Go splits -ldflags on spaces but honours quotes.
            let x = format!("{var}={value}");
            parts.push("-X".to_owned());
            parts.push(if x.contains(char::is_whitespace) { format!("'{x}'") } else { x });
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use std::path::Path;

    fn settings(text: &str) -> Resolved {
        toml::from_str::<Settings>(text).unwrap().resolve(Path::new("/proj/dist.toml")).unwrap()
    }

    fn stamp() -> Stamp {
        Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee".into()), Some(1_700_000_000), None)
    }

    #[test]
    fn default_plan_builds_six_static_stamped_targets() {
        let plan = Plan::new(&settings("[app]\nmain = \"./cmd/hello\""), &[], stamp()).unwrap();
        let outputs: Vec<&str> = plan.builds.iter().map(|b| b.output.as_str()).collect();
        assert_eq!(
            outputs,
            [
                "darwin/amd64/hello",
                "darwin/arm64/hello",
                "linux/amd64/hello",
                "linux/arm64/hello",
                "windows/amd64/hello.exe",
                "windows/arm64/hello.exe"
            ]
        );
        assert_eq!(
            plan.go_build_argv("/out/linux/amd64/hello"),
            [
                "go",
                "build",
                "-trimpath",
                "-buildvcs=false",
                "-ldflags=-s -w -X main.version=1.2.3 -X main.commit=c0ffee -X main.date=2023-11-14T22:13:20Z",
                "-o",
                "/out/linux/amd64/hello",
                "./cmd/hello"
            ]
        );
        let env = plan.env_for(&"linux/arm/v7".parse().unwrap());
        let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(env, ["CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7"]);
    }

    #[test]
    fn settings_reach_the_command_line() {
        let s = settings(
            r#"[build]
            ldflags = []
            tags = ["netgo", "osusergo"]
            flags = ["-mod=readonly"]
            env = { CGO_ENABLED = "1", GOFLAGS = "-v" }
            [build.stamp]
            version = "example.com/x/internal/v.Version"
            commit = ""
            date = "main.built""#,
        );
        let stamp = Stamp { date: "a date".into(), ..stamp() };
        let plan = Plan::new(&s, &[], stamp).unwrap();
        assert_eq!(
            plan.flags,
            [
                "-trimpath",
                "-buildvcs=false",
                "-ldflags=-X example.com/x/internal/v.Version=1.2.3 -X 'main.built=a date'",
                "-tags=netgo,osusergo",
                "-mod=readonly"
            ]
        );
        assert_eq!(plan.env["CGO_ENABLED"], "1");
        assert_eq!(plan.env["GOFLAGS"], "-v");
    }

    #[test]
    fn command_line_targets_replace_the_matrix() {
        let wanted: Vec<Target> = ["linux/arm/v6", "linux/amd64", "linux/amd64"].map(|t| t.parse().unwrap()).to_vec();
        let plan = Plan::new(&settings(""), &wanted, stamp()).unwrap();
        let outputs: Vec<&str> = plan.builds.iter().map(|b| b.output.as_str()).collect();
        assert_eq!(outputs, ["linux/amd64/app", "linux/arm/v6/app"]);
    }
}
