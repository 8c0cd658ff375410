//! `dist.toml`: what a team that copies the template edits to describe its build.
//!
//! Every key has a default, so a small app needs no file at all. Unknown keys
//! are errors, so a typo is reported instead of silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::target::{parse_goarm, Target};

/// The Go the template pins; `golang:<this>` is the default build image.
pub const DEFAULT_GO: &str = "1.26.8";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub app: App,
    pub build: Build,
    pub targets: Targets,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct App {
    /// The Go module directory, relative to the settings file.
    pub dir: PathBuf,
    /// The main package, relative to `dir`.
    pub main: String,
    /// Binary file name; derived from `main` or `dir` when absent.
    pub binary: Option<String>,
    /// Exact Go version.
    pub go: String,
    /// Build image; `golang:<go>` when absent.
    pub image: Option<String>,
}

impl Default for App {
    fn default() -> App {
        App { dir: "app".into(), main: ".".into(), binary: None, go: DEFAULT_GO.into(), image: None }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Build {
    pub ldflags: Vec<String>,
    pub tags: Vec<String>,
    pub flags: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub stamp: Stamp,
}

impl Default for Build {
    fn default() -> Build {
        Build {
            ldflags: vec!["-s".into(), "-w".into()],
            tags: vec![],
            flags: vec![],
            env: BTreeMap::new(),
            stamp: Stamp::default(),
        }
    }
}

/// The Go variables (`pkg.name`) that receive version, commit and date.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Stamp {
    pub version: String,
    pub commit: String,
    pub date: String,
}

impl Default for Stamp {
    fn default() -> Stamp {
        Stamp { version: "main.version".into(), commit: "main.commit".into(), date: "main.date".into() }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    pub os: Vec<String>,
    pub arch: Vec<String>,
    /// GOARM variants for `arch = "arm"`.
    pub arm: Vec<String>,
    /// `OS/ARCH` or `OS/arm/vN` to leave out of the matrix.
    pub ignore: Vec<String>,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets {
            os: vec!["linux".into(), "darwin".into(), "windows".into()],
            arch: vec!["amd64".into(), "arm64".into()],
            arm: vec![],
            ignore: vec![],
        }
    }
}

/// Settings with every derived value filled in and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The settings file, or where it would be.
    pub file: PathBuf,
    pub app_dir: PathBuf,
    pub main_package: String,
    pub binary: String,
    pub go_version: String,
    pub image: String,
    pub build: Build,
    /// The OS × arch (× arm) matrix less the ignored entries, sorted.
    pub targets: Vec<Target>,
    /// The settings as read, for the manifest.
    pub raw: Settings,
}

impl Settings {
    /// Reads `file`; a missing file means all defaults.
    pub fn load(file: &Path) -> anyhow::Result<Resolved> {
        let settings = match std::fs::read_to_string(file) {
            Ok(text) => {
                toml::from_str::<Settings>(&text).with_context(|| format!("invalid settings in {}", file.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        settings.resolve(file).with_context(|| format!("invalid settings in {}", file.display()))
    }

    /// Derives and checks everything that does not need a toolchain.
    pub fn resolve(self, file: &Path) -> anyhow::Result<Resolved> {
        let base = file.parent().unwrap_or(Path::new("."));
        let app_dir = base.join(&self.app.dir);
        let main = self.app.main.trim();
        if main.is_empty() {
            bail!("`app.main` is empty: give the main package, e.g. \".\" or \"./cmd/hello\"");
        }
        let binary = match &self.app.binary {
            Some(b) => b.clone(),
            None => default_binary(main, &app_dir)?,
        };
        if binary.is_empty() || binary.contains(['/', '\\']) || binary.starts_with('.') {
            bail!("`app.binary` = {binary:?} is not a file name");
        }
        check_go_version(&self.app.go)?;
        let image = self.app.image.clone().unwrap_or_else(|| format!("golang:{}", self.app.go));
        if image.is_empty() || image.ends_with(":latest") || !image.contains([':', '@']) {
            bail!("`app.image` = {image:?} must name a pinned tag or digest, e.g. \"golang:{}\"", self.app.go);
        }
        for key in self.build.env.keys() {
            if matches!(key.as_str(), "GOOS" | "GOARCH" | "GOARM") {
                bail!("`build.env` sets {key}: targets are chosen in [targets] or with --target");
            }
        }
        let targets = self.targets.matrix()?;
        if targets.is_empty() {
            bail!("[targets] selects nothing: list at least one `os` and one `arch`, and do not `ignore` them all");
        }
        Ok(Resolved {
            file: file.to_path_buf(),
            app_dir,
            main_package: main.to_owned(),
            binary,
            go_version: self.app.go.clone(),
            image,
            build: self.build.clone(),
            targets,
            raw: self,
        })
    }
}

impl Targets {
    /// `os × arch`, with `arch = "arm"` expanded into its variants, less `ignore`.
    fn matrix(&self) -> anyhow::Result<Vec<Target>> {
        let variants = self
            .arm
            .iter()
            .map(|v| parse_goarm(v).with_context(|| format!("`targets.arm` has {v:?}: use \"5\", \"6\" or \"7\"")))
            .collect::<anyhow::Result<Vec<u8>>>()?;
        let ignore = self
            .ignore
            .iter()
            .map(|s| s.parse::<Target>().context("in `targets.ignore`"))
            .collect::<anyhow::Result<Vec<Target>>>()?;
        let ignored =
            |t: &Target| ignore.iter().any(|i| i.os == t.os && i.arch == t.arch && (i.arm.is_none() || i.arm == t.arm));

        let mut out = Vec::new();
        for os in &self.os {
            for arch in &self.arch {
                let base: Target = format!("{os}/{arch}")
                    .parse()
                    .with_context(|| format!("in [targets]: os {os:?} × arch {arch:?}"))?;
                if arch == "arm" && !variants.is_empty() {
                    out.extend(variants.iter().map(|&v| Target { arm: Some(v), ..base.clone() }));
                } else {
                    out.push(base);
                }
            }
        }
        out.retain(|t| !ignored(t));
        out.sort();
        out.dedup();
        Ok(out)
    }
}

fn default_binary(main: &str, app_dir: &Path) -> anyhow::Result<String> {
    let from_main = main.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty() && *s != ".");
    let name = match from_main {
        Some(n) => n.to_owned(),
        None => std::path::absolute(app_dir)?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("cannot derive `app.binary` from `app.dir`; set `app.binary`")?,
    };
    Ok(name)
}

/// An exact release such as `1.26.8`: a moving `1.26` would make builds drift.
fn check_go_version(v: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if parts.len() != 3 || !numeric {
        bail!("`app.go` = {v:?} must be an exact Go release such as \"{DEFAULT_GO}\"");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Resolved> {
        toml::from_str::<Settings>(text)?.resolve(Path::new("/proj/dist.toml"))
    }

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let r = parse("").unwrap();
        assert_eq!(r.app_dir, Path::new("/proj/app"));
        assert_eq!(r.main_package, ".");
        assert_eq!(r.binary, "app");
        assert_eq!(r.image, format!("golang:{DEFAULT_GO}"));
        assert_eq!(r.build.ldflags, ["-s", "-w"]);
        let names: Vec<String> = r.targets.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            names,
            ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"]
        );
    }

    #[test]
    fn binary_defaults_to_the_main_package_name() {
        assert_eq!(parse("[app]\nmain = \"./cmd/server/\"").unwrap().binary, "server");
        assert_eq!(parse("[app]\nbinary = \"tool\"").unwrap().binary, "tool");
    }

    #[test]
    fn matrix_expands_arm_variants_and_drops_ignored() {
        let r = parse(
            r#"[targets]
            os = ["linux", "windows"]
            arch = ["amd64", "arm"]
            arm = ["6", "v7"]
            ignore = ["windows/arm", "linux/arm/v6"]"#,
        )
        .unwrap();
        let names: Vec<String> = r.targets.iter().map(|t| t.to_string()).collect();
        assert_eq!(names, ["linux/amd64", "linux/arm/v7", "windows/amd64"]);
    }

    #[test]
    fn the_repository_dist_toml_is_valid() {
        let file = crate::project::root().join("dist.toml");
        let r = Settings::load(&file).unwrap();
        assert_eq!(r.binary, "hello");
        assert!(r.app_dir.join(&r.main_package).join("main.go").is_file());
    }

    #[test]
    fn errors_name_the_field() {
        let err = |t: &str| format!("{:#}", parse(t).unwrap_err());
        assert!(err("[app]\nbinray = \"x\"").contains("unknown field `binray`"), "{}", err("[app]\nbinray = \"x\""));
        assert!(err("[app]\ngo = \"1.26\"").contains("`app.go` = \"1.26\""));
        assert!(err("[app]\nimage = \"golang:latest\"").contains("`app.image`"));
        assert!(err("[app]\nmain = \"\"").contains("`app.main` is empty"));
        assert!(err("[targets]\narm = [\"8\"]").contains("`targets.arm`"));
        assert!(err("[targets]\nignore = [\"linux\"]").contains("targets.ignore"));
        assert!(err("[targets]\nos = []").contains("selects nothing"));
        assert!(err("[build]\nenv = { GOOS = \"linux\" }").contains("`build.env` sets GOOS"));
        assert!(err("[targets]\nos = \"linux\"").contains("invalid type"));
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dist.toml");
        std::fs::write(&file, "[targets]\nos = [\"linux\"]\narhc = [\"amd64\"]\n").unwrap();
        let err = format!("{:#}", Settings::load(&file).unwrap_err());
        assert!(err.contains(&format!("invalid settings in {}", file.display())), "{err}");
        assert!(err.contains("arhc"), "{err}");
    }
}
