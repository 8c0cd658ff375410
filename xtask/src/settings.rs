//! `dist.toml`: what a team that copies the template edits to describe its build.
//!
//! Every key has a default, so a small app needs no file at all. Unknown keys
//! are errors, so a typo is reported instead of silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::target::{parse_goarm, Target};
use crate::template::Template;

/// The Go the template pins; `golang:<this>` is the default build image.
pub const DEFAULT_GO: &str = "1.26.8";
/// Today's archive names: `<name>_<version>_<os>_<arch>[v<arm>]`, GoReleaser's default less its rarely set suffixes.
pub const DEFAULT_ARCHIVE_NAME: &str =
    "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}";
pub const DEFAULT_CHECKSUM_NAME: &str = "SHA256SUMS";
/// Shipped in every archive unless `archive.files` says otherwise (matched without regard to case).
pub const DEFAULT_ARCHIVE_FILES: [&str; 4] = ["README*", "LICENSE*", "LICENCE*", "CHANGELOG*"];

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub app: App,
    /// Several main packages, each its own binary; replaces `app.main` and `app.binary`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<BinarySettings>,
    pub build: Build,
    pub targets: Targets,
    pub archive: Archive,
    pub checksum: Checksum,
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
    /// `.ProjectName` in archive and checksum names; the (first) binary's name when absent.
    pub name: Option<String>,
    /// Exact Go version.
    pub go: String,
    /// Build image; `golang:<go>` when absent.
    pub image: Option<String>,
}

impl Default for App {
    fn default() -> App {
        App { dir: "app".into(), main: ".".into(), binary: None, name: None, go: DEFAULT_GO.into(), image: None }
    }
}

/// One `[[binaries]]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BinarySettings {
    /// The main package, relative to `app.dir`.
    pub main: String,
    /// File name; the last part of `main` when absent.
    pub name: Option<String>,
    /// More `go build` flags for this binary only.
    pub flags: Vec<String>,
    /// Replaces `build.ldflags` for this binary.
    pub ldflags: Option<Vec<String>>,
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
    /// An explicit target list that replaces `os × arch`; every entry must be supported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<String>,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets {
            os: vec!["linux".into(), "darwin".into(), "windows".into()],
            arch: vec!["amd64".into(), "arm64".into()],
            arm: vec![],
            ignore: vec![],
            list: vec![],
        }
    }
}

/// How a target's files are packed.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Format {
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "zip")]
    Zip,
    /// No archive: each binary is published bare, under the archive name.
    #[serde(rename = "binary")]
    Binary,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::TarGz => ".tar.gz",
            Format::Zip => ".zip",
            Format::Binary => "",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Archive {
    /// Go template (GoReleaser's fields and functions) for the archive name, without extension.
    pub name: String,
    pub format: Format,
    /// Format per OS, e.g. `{ windows = "zip" }`.
    pub formats: BTreeMap<String, Format>,
    /// Replaces `.Os`, `.Arch` and `.Arm` values in names, e.g. `{ amd64 = "x86_64", darwin = "Darwin" }`.
    pub replacements: BTreeMap<String, String>,
    /// Globs, relative to `app.dir`, of files shipped beside the binaries.
    pub files: Vec<String>,
    /// Put everything in a folder named like the archive.
    pub wrap: bool,
}

impl Default for Archive {
    fn default() -> Archive {
        Archive {
            name: DEFAULT_ARCHIVE_NAME.into(),
            format: Format::TarGz,
            formats: BTreeMap::from([("windows".to_owned(), Format::Zip)]),
            replacements: BTreeMap::new(),
            files: DEFAULT_ARCHIVE_FILES.map(String::from).to_vec(),
            wrap: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Checksum {
    /// Go template for the checksum file's name.
    pub name: String,
}

impl Default for Checksum {
    fn default() -> Checksum {
        Checksum { name: DEFAULT_CHECKSUM_NAME.into() }
    }
}

/// One binary to build for every target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Binary {
    pub name: String,
    pub main: String,
    pub flags: Vec<String>,
    pub ldflags: Vec<String>,
}

/// The candidate targets: the matrix, or an explicit list.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub targets: Vec<Target>,
    /// Named one by one (a target list): an unsupported one is an error, not dropped.
    pub explicit: bool,
}

/// Settings with every derived value filled in and checked.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The settings file, or where it would be.
    pub file: PathBuf,
    pub app_dir: PathBuf,
    pub project: String,
    pub binaries: Vec<Binary>,
    pub go_version: String,
    pub image: String,
    pub build: Build,
    pub matrix: Matrix,
    pub archive: Archive,
    pub archive_name: Template,
    pub checksum_name: Template,
    /// The settings as read, for the manifest.
    pub raw: Settings,
}

impl Settings {
    /// Reads `file`; a missing file means all defaults.
    pub fn load(file: &Path) -> anyhow::Result<Resolved> {
        let settings = match std::fs::read(file) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|e| {
                    anyhow::format_err!("{} is not UTF-8 text (byte {})", file.display(), e.utf8_error().valid_up_to())
                })?;
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
        let binaries = self.binaries(&app_dir)?;
        let project = match &self.app.name {
            Some(n) => n.clone(),
            None => binaries[0].name.clone(),
        };
        check_file_name("app.name", &project)?;
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
        let matrix = self.targets.matrix()?;
        for os in self.archive.formats.keys() {
            if !os.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) || os.is_empty() {
                bail!("`archive.formats` has {os:?}: keys are GOOS values such as \"windows\"");
            }
        }
        let archive_name = parse_template("archive.name", &self.archive.name)?;
        let checksum_name = parse_template("checksum.name", &self.checksum.name)?;
        Ok(Resolved {
            file: file.to_path_buf(),
            app_dir,
            project,
            binaries,
            go_version: self.app.go.clone(),
            image,
            build: self.build.clone(),
            matrix,
            archive: self.archive.clone(),
            archive_name,
            checksum_name,
            raw: self,
        })
    }

    /// `[[binaries]]`, or the one binary of `app.main`/`app.binary`.
    fn binaries(&self, app_dir: &Path) -> anyhow::Result<Vec<Binary>> {
        let mut out = Vec::new();
        if self.binaries.is_empty() {
            let main = self.app.main.trim();
            if main.is_empty() {
                bail!("`app.main` is empty: give the main package, e.g. \".\" or \"./cmd/hello\"");
            }
            let name = match &self.app.binary {
                Some(b) => b.clone(),
                None => default_binary(main, app_dir)?,
            };
            check_file_name("app.binary", &name)?;
            out.push(Binary { name, main: main.to_owned(), flags: vec![], ldflags: self.build.ldflags.clone() });
        } else {
            if self.app.binary.is_some() || self.app.main != App::default().main {
                bail!("set either `app.main`/`app.binary` or [[binaries]], not both");
            }
            for (i, b) in self.binaries.iter().enumerate() {
                let main = b.main.trim();
                if main.is_empty() {
                    bail!("`binaries[{i}].main` is empty: give the main package, e.g. \"./cmd/server\"");
                }
                let name = match &b.name {
                    Some(n) => n.clone(),
                    None => default_binary(main, app_dir)?,
                };
                check_file_name(&format!("binaries[{i}].name"), &name)?;
                if out.iter().any(|o: &Binary| o.name == name) {
                    bail!("two [[binaries]] are named {name:?}: give each its own `name`");
                }
                let ldflags = b.ldflags.clone().unwrap_or_else(|| self.build.ldflags.clone());
                out.push(Binary { name, main: main.to_owned(), flags: b.flags.clone(), ldflags });
            }
        }
        Ok(out)
    }
}

impl Targets {
    /// `os × arch`, with `arch = "arm"` expanded into its variants, less `ignore`;
    /// or `list` as given.
    fn matrix(&self) -> anyhow::Result<Matrix> {
        let ignore = self
            .ignore
            .iter()
            .map(|s| s.parse::<Target>().context("in `targets.ignore`"))
            .collect::<anyhow::Result<Vec<Target>>>()?;
        let ignored =
            |t: &Target| ignore.iter().any(|i| i.os == t.os && i.arch == t.arch && (i.arm.is_none() || i.arm == t.arm));

        let explicit = !self.list.is_empty();
        let mut out = Vec::new();
        if explicit {
            for t in &self.list {
                out.push(t.parse::<Target>().context("in `targets.list`")?);
            }
        } else {
            let variants = self
                .arm
                .iter()
                .map(|v| parse_goarm(v).with_context(|| format!("`targets.arm` has {v:?}: use \"5\", \"6\" or \"7\"")))
                .collect::<anyhow::Result<Vec<u8>>>()?;
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
        }
        out.retain(|t| !ignored(t));
        out.sort();
        out.dedup();
        if out.is_empty() {
            bail!("[targets] selects nothing: list at least one `os` and one `arch`, and do not `ignore` them all");
        }
        Ok(Matrix { targets: out, explicit })
    }
}

fn parse_template(key: &str, text: &str) -> anyhow::Result<Template> {
    let template = Template::parse(text).with_context(|| format!("`{key}` is not a valid template"))?;
    Ok(template)
}

fn check_file_name(key: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("`{key}` = {name:?} is not a file name");
    }
    Ok(())
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

    fn names(targets: &[Target]) -> Vec<String> {
        targets.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let r = parse("").unwrap();
        assert_eq!(r.app_dir, Path::new("/proj/app"));
        assert_eq!(
            r.binaries,
            [Binary { name: "app".into(), main: ".".into(), flags: vec![], ldflags: vec!["-s".into(), "-w".into()] }]
        );
        assert_eq!(r.project, "app");
        assert_eq!(r.image, "golang:1.26.8");
        assert_eq!(
            names(&r.matrix.targets),
            ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"]
        );
        assert!(!r.matrix.explicit);
        assert_eq!(r.archive.format, Format::TarGz);
        assert_eq!(r.archive.formats["windows"], Format::Zip);
        assert!(r.archive.wrap);
        assert_eq!(r.checksum_name.source(), "SHA256SUMS");
    }

    #[test]
    fn binary_defaults_to_the_main_package_name() {
        assert_eq!(parse("[app]\nmain = \"./cmd/server/\"").unwrap().binaries[0].name, "server");
        assert_eq!(parse("[app]\nbinary = \"tool\"").unwrap().binaries[0].name, "tool");
    }

    #[test]
    fn several_binaries_with_their_own_flags() {
        let r = parse(
            r#"[app]
            name = "suite"
            [[binaries]]
            main = "./cmd/server"
            flags = ["-tags=server"]
            [[binaries]]
            main = "./cmd/cli"
            name = "suite-cli"
            ldflags = ["-s"]"#,
        )
        .unwrap();
        assert_eq!(r.project, "suite");
        let got: Vec<(&str, &str, Vec<String>, Vec<String>)> =
            r.binaries.iter().map(|b| (b.name.as_str(), b.main.as_str(), b.flags.clone(), b.ldflags.clone())).collect();
        assert_eq!(
            got,
            [
                ("server", "./cmd/server", vec!["-tags=server".to_owned()], vec!["-s".to_owned(), "-w".to_owned()]),
                ("suite-cli", "./cmd/cli", vec![], vec!["-s".to_owned()])
            ]
        );
        let err = format!("{:#}", parse("[[binaries]]\nmain = \"./a\"\n[[binaries]]\nmain = \"./b/a\"").unwrap_err());
        assert!(err.contains("two [[binaries]] are named \"a\""), "{err}");
        let err = format!("{:#}", parse("[app]\nbinary = \"x\"\n[[binaries]]\nmain = \"./a\"").unwrap_err());
        assert!(err.contains("either `app.main`/`app.binary` or [[binaries]]"), "{err}");
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
        assert_eq!(names(&r.matrix.targets), ["linux/amd64", "linux/arm/v7", "windows/amd64"]);
    }

    #[test]
    fn an_explicit_list_replaces_the_matrix() {
        let r = parse("[targets]\nlist = [\"linux/arm/v6\", \"darwin/arm64\"]").unwrap();
        assert_eq!(names(&r.matrix.targets), ["darwin/arm64", "linux/arm/v6"]);
        assert!(r.matrix.explicit);
    }

    #[test]
    fn archive_settings() {
        let r = parse(
            r#"[archive]
            name = "{{ .ProjectName }}_{{ .Os }}"
            format = "binary"
            formats = { linux = "tar.gz" }
            replacements = { amd64 = "x86_64" }
            files = ["docs/*.md"]
            wrap = false
            [checksum]
            name = "{{ .ProjectName }}_checksums.txt""#,
        )
        .unwrap();
        assert_eq!((r.archive.format, r.archive.formats["linux"]), (Format::Binary, Format::TarGz));
        assert!(!r.archive.formats.contains_key("windows"), "formats replaces the default map");
        assert_eq!(r.archive.replacements["amd64"], "x86_64");
        assert_eq!(r.archive_name.source(), "{{ .ProjectName }}_{{ .Os }}");
        let err = format!("{:#}", parse("[archive]\nformat = \"rar\"").unwrap_err());
        assert!(err.contains("unknown variant `rar`"), "{err}");
        let err = format!("{:#}", parse("[archive]\nname = \"{{ .Os\"").unwrap_err());
        assert!(err.contains("`archive.name` is not a valid template"), "{err}");
    }

    #[test]
    fn the_repository_dist_toml_is_valid() {
        let file = crate::project::root().join("dist.toml");
        let r = Settings::load(&file).unwrap();
        assert_eq!(r.binaries[0].name, "hello");
        assert!(r.app_dir.join(&r.binaries[0].main).join("main.go").is_file());
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
        assert!(err("[targets]\nlist = [\"linux\"]").contains("targets.list"));
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
        std::fs::write(&file, b"[app]\nname = \"\xff\"\n").unwrap();
        let err = format!("{:#}", Settings::load(&file).unwrap_err());
        assert!(err.contains("is not UTF-8 text"), "{err}");
    }
}
