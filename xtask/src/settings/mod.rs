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

mod images;
mod packages;
mod supply;
pub use images::{ImageFile, ImageSettings, ResolvedImage};
pub use packages::{
    ContentKind, ContentSettings, PackageFormat, PackageSettings, Relation, ResolvedPackage, ScriptSettings,
};
pub use supply::{ProvenanceSettings, ResolvedSupply, SbomFormat, SbomSettings, SignSettings, KEY_ENV, PASSWORD_ENV};

/// The Go the template pins; `golang:<this>` is the default build image.
pub const DEFAULT_GO: &str = "1.26.8";
/// Today's archive names: `<name>_<version>_<os>_<arch>[v<arm>]`, GoReleaser's default less its rarely set suffixes.
pub const DEFAULT_ARCHIVE_NAME: &str =
    "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}";
pub const DEFAULT_CHECKSUM_NAME: &str = "SHA256SUMS";
/// A settings file larger than this is refused unparsed: 1 MiB is thousands of times a real one.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// Shipped in every archive unless the set's `files` says otherwise (matched without regard to case).
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
    /// The one archive set; the default set when neither this nor `archives` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<Archive>,
    /// Several archive sets (GoReleaser's `archives` list): each target gets one archive of each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub archives: Vec<Archive>,
    pub checksum: Checksum,
    /// Linux packages of the linux targets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageSettings>,
    /// Container images of the linux targets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageSettings>,
    /// SBOMs of the published files that hold binaries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom: Option<SbomSettings>,
    /// The release's build provenance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<ProvenanceSettings>,
    /// Signing the checksum file and the provenance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign: Option<SignSettings>,
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

/// An archive set: `[archive]`, or one `[[archives]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Archive {
    /// Names the set in manifest.json's artifacts (GoReleaser's archive `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The binaries its archives hold, by name; all when empty (GoReleaser's `ids`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
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
            id: None,
            binaries: vec![],
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
    /// `name` is a template the plan fills for the release (given as one, not derived from a path).
    pub templated: bool,
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
    /// The archive sets: `[archive]` (or its defaults) as one, or every `[[archives]]` entry.
    pub archives: Vec<ResolvedArchive>,
    pub checksum_name: Template,
    pub packages: Vec<ResolvedPackage>,
    pub images: Vec<ResolvedImage>,
    pub supply: ResolvedSupply,
    /// The settings as read, for the manifest.
    pub raw: Settings,
    /// Whether the file itself sets `build.stamp.version`, `.commit`, `.date`.
    pub stamp_given: [bool; 3],
}

/// An archive set, checked, with its binaries picked and its name template parsed.
#[derive(Debug, Clone)]
pub struct ResolvedArchive {
    /// `archive` or `archives[N]`, for messages.
    pub key: String,
    pub id: Option<String>,
    /// Indexes into the resolved binaries.
    pub binaries: Vec<usize>,
    pub name: Template,
    pub format: Format,
    pub formats: BTreeMap<String, Format>,
    pub replacements: BTreeMap<String, String>,
    pub files: Vec<String>,
    pub wrap: bool,
}

impl ResolvedArchive {
    /// How its files for `os` are packed.
    pub fn format_for(&self, os: &str) -> Format {
        self.formats.get(os).copied().unwrap_or(self.format)
    }
}

impl Settings {
    /// Reads `file`; a missing file means all defaults (see [`Settings::load_for_build`]).
    ///
    /// A file over [`MAX_SETTINGS_BYTES`] is refused before it is parsed (and at
    /// most that much plus one byte is ever read, so `/dev/zero` or a FIFO cannot
    /// hang or exhaust memory); so is one with a NUL byte or that is not UTF-8.
    pub fn load(file: &Path) -> anyhow::Result<Resolved> {
        let (settings, text) = match read_bounded(file, MAX_SETTINGS_BYTES) {
            Ok(bytes) => (Settings::parse(file, &bytes)?, String::from_utf8(bytes).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), String::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        let mut resolved = settings.resolve(file).with_context(|| format!("invalid settings in {}", file.display()))?;
        // Which stamp variables the file names itself (not taken by default): a missing one is an error then.
        let table = toml::from_str::<toml::Table>(&text).unwrap_or_default();
        let stamp = table.get("build").and_then(|b| b.get("stamp"));
        resolved.stamp_given = ["version", "commit", "date"].map(|k| stamp.is_some_and(|s| s.get(k).is_some()));
        Ok(resolved)
    }

    /// The settings in `bytes`, the content of `file` (named in every error).
    fn parse(file: &Path, bytes: &[u8]) -> anyhow::Result<Settings> {
        if bytes.len() as u64 > MAX_SETTINGS_BYTES {
            let size = match std::fs::metadata(file) {
                Ok(m) if m.is_file() && m.len() > MAX_SETTINGS_BYTES => format!("{} bytes", m.len()),
                _ => format!("over {MAX_SETTINGS_BYTES} bytes"),
            };
            bail!(
                "{} is {size}: a settings file is at most 1 MiB ({MAX_SETTINGS_BYTES} bytes); is it the right file?",
                file.display()
            );
        }
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            bail!(
                "{} is not a text file (a NUL byte at offset {at}): give the dist.toml settings file",
                file.display()
            );
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| anyhow::format_err!("{} is not UTF-8 text (byte {})", file.display(), e.valid_up_to()))?;
        toml::from_str::<Settings>(text).with_context(|| format!("invalid settings in {}", file.display()))
    }

    /// The settings file (dist.toml in the workspace unless named), checked to name a Go module.
    /// Only the default may be absent (all defaults): a file named with `--settings` that is not
    /// there is a typo, not a request for the defaults.
    pub fn load_for_build(file: Option<&Path>) -> anyhow::Result<Resolved> {
        let default = crate::project::root().join("dist.toml");
        let named = file.is_some();
        let file = std::path::absolute(file.unwrap_or(&default))?;
        if named && std::fs::metadata(&file).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            bail!(
                "no settings file at {} (given with --settings): check the name, or leave --settings out to use {}",
                file.display(),
                default.display()
            );
        }
        let settings = Settings::load(&file)?;
        if !settings.app_dir.join("go.mod").is_file() {
            bail!(
                "no go.mod in {} (app.dir in {}): point app.dir at your Go module",
                settings.app_dir.display(),
                settings.file.display()
            );
        }
        Ok(settings)
    }

    /// Derives and checks everything that does not need a toolchain.
    pub fn resolve(self, file: &Path) -> anyhow::Result<Resolved> {
        check_no_nul(&serde_json::to_value(&self)?, "")?;
        let base = file.parent().unwrap_or(Path::new("."));
        let app_dir = base.join(&self.app.dir);
        let binaries = self.binaries(&app_dir)?;
        check_flags("build.flags", &self.build.flags, true)?;
        for (i, b) in self.binaries.iter().enumerate() {
            // A binary's own -tags replaces build.tags for it (as `init` writes builds that differ).
            check_flags(&format!("binaries[{i}].flags"), &b.flags, false)?;
        }
        if let Some(goflags) = self.build.env.get("GOFLAGS") {
            let goflags: Vec<String> = goflags.split_whitespace().map(str::to_owned).collect();
            check_flags("build.env.GOFLAGS", &goflags, true)?;
        }
        // Flags and environment are templates, as in GoReleaser: checked here, filled per target by the plan.
        parse_template("build.ldflags", &self.build.ldflags.join(" "))?;
        for (i, f) in self.build.flags.iter().enumerate() {
            parse_template(&format!("build.flags[{i}]"), f)?;
        }
        for (k, v) in &self.build.env {
            parse_template(&format!("build.env.{k}"), v)?;
        }
        for (i, b) in self.binaries.iter().enumerate() {
            if let Some(ldflags) = &b.ldflags {
                parse_template(&format!("binaries[{i}].ldflags"), &ldflags.join(" "))?;
            }
            for (j, f) in b.flags.iter().enumerate() {
                parse_template(&format!("binaries[{i}].flags[{j}]"), f)?;
            }
        }
        let project = match &self.app.name {
            Some(n) => n.clone(),
            None if binaries[0].templated => bail!(
                "the first binary's name {:?} is a template: set `app.name`, the project's name",
                binaries[0].name
            ),
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
            if key.is_empty() || key.contains('=') {
                bail!("`build.env` has {key:?}: a variable name is not empty and has no `=`");
            }
        }
        let matrix = self.targets.matrix()?;
        let archives = self.archive_sets(&binaries)?;
        let checksum_name = parse_template("checksum.name", &self.checksum.name)?;
        let packages = packages::resolve(&self.packages, &binaries)?;
        let images = images::resolve(&self.images, &binaries)?;
        let supply = supply::resolve(&self.sbom, &self.provenance, &self.sign)?;
        Ok(Resolved {
            file: file.to_path_buf(),
            app_dir,
            project,
            binaries,
            go_version: self.app.go.clone(),
            image,
            build: self.build.clone(),
            matrix,
            archives,
            checksum_name,
            packages,
            images,
            supply,
            raw: self,
            stamp_given: [false; 3],
        })
    }

    /// `[archive]` (its defaults when absent) as the one set, or every `[[archives]]` entry, checked.
    fn archive_sets(&self, binaries: &[Binary]) -> anyhow::Result<Vec<ResolvedArchive>> {
        let default = Archive::default();
        let sets: Vec<(String, &Archive)> = match (&self.archive, &self.archives[..]) {
            (Some(_), [_, ..]) => bail!(
                "both [archive] and [[archives]] are set: [archive] is the one archive set, [[archives]] lists \
                 several; move [archive] into a [[archives]] entry"
            ),
            (Some(a), []) => vec![("archive".to_owned(), a)],
            (None, []) => vec![("archive".to_owned(), &default)],
            (None, sets) => sets.iter().enumerate().map(|(i, a)| (format!("archives[{i}]"), a)).collect(),
        };
        let mut out: Vec<ResolvedArchive> = Vec::new();
        for (key, a) in sets {
            for os in a.formats.keys() {
                if !os.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) || os.is_empty() {
                    bail!("`{key}.formats` has {os:?}: keys are GOOS values such as \"windows\"");
                }
            }
            if let Some(id) = &a.id {
                if id.trim().is_empty() {
                    bail!("`{key}.id` is empty: name the set, or leave `id` out");
                }
                if let Some(other) = out.iter().find(|o| o.id.as_ref() == Some(id)) {
                    bail!("`{}.id` and `{key}.id` are both {id:?}: give each archive set an id of its own", other.key);
                }
            }
            out.push(ResolvedArchive {
                id: a.id.clone(),
                binaries: pick_binaries(&format!("{key}.binaries"), &a.binaries, binaries)?,
                name: parse_template(&format!("{key}.name"), &a.name)?,
                format: a.format,
                formats: a.formats.clone(),
                replacements: a.replacements.clone(),
                files: a.files.clone(),
                wrap: a.wrap,
                key,
            });
        }
        Ok(out)
    }

    /// `[[binaries]]`, or the one binary of `app.main`/`app.binary`.
    fn binaries(&self, app_dir: &Path) -> anyhow::Result<Vec<Binary>> {
        let mut out = Vec::new();
        if self.binaries.is_empty() {
            let main = self.app.main.trim();
            check_main("app.main", main)?;
            let name = binary_name("app.binary", self.app.binary.as_deref(), "app.main", main, app_dir)?;
            let templated = self.app.binary.as_deref().is_some_and(|n| n.contains("{{"));
            let ldflags = self.build.ldflags.clone();
            out.push(Binary { name, templated, main: main.to_owned(), flags: vec![], ldflags });
        } else {
            if self.app.binary.is_some() || self.app.main != App::default().main {
                bail!("set either `app.main`/`app.binary` or [[binaries]], not both");
            }
            for (i, b) in self.binaries.iter().enumerate() {
                let main = b.main.trim();
                check_main(&format!("binaries[{i}].main"), main)?;
                let (key, main_key) = (format!("binaries[{i}].name"), format!("binaries[{i}].main"));
                let name = binary_name(&key, b.name.as_deref(), &main_key, main, app_dir)?;
                if out.iter().any(|o: &Binary| o.name == name) {
                    bail!("two [[binaries]] are named {name:?}: give each its own `name`");
                }
                let ldflags = b.ldflags.clone().unwrap_or_else(|| self.build.ldflags.clone());
                let templated = b.name.as_deref().is_some_and(|n| n.contains("{{"));
                out.push(Binary { name, templated, main: main.to_owned(), flags: b.flags.clone(), ldflags });
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

/// At most `limit + 1` bytes of `file`: enough to tell it is too big without reading all of it.
fn read_bounded(file: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)?.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The template fields names can use: GoReleaser's (see `plan::template_data`).
pub const TEMPLATE_FIELDS: [&str; 21] = [
    "Amd64",
    "Arch",
    "Arm",
    "Binary",
    "Commit",
    "CommitDate",
    "CommitTimestamp",
    "Date",
    "Env",
    "FullCommit",
    "IsGitClean",
    "IsGitDirty",
    "IsNightly",
    "IsSnapshot",
    "Mips",
    "Os",
    "ProjectName",
    "ShortCommit",
    "Tag",
    "Timestamp",
    "Version",
];

/// The binaries `names` (the list at `key`) picks, as indexes into `binaries`; all of them when it is empty.
fn pick_binaries(key: &str, names: &[String], binaries: &[Binary]) -> anyhow::Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..binaries.len()).collect());
    }
    let mut picked = Vec::new();
    for name in names {
        let i = binaries.iter().position(|b| &b.name == name).with_context(|| {
            let all: Vec<&str> = binaries.iter().map(|b| b.name.as_str()).collect();
            let as_written = if binaries.iter().any(|b| b.templated) {
                " (a name that is a template is named as written)"
            } else {
                ""
            };
            format!("`{key}` names {name:?}, which is not a binary; the binaries are {all:?}{as_written}")
        })?;
        if picked.contains(&i) {
            bail!("`{key}` names {name:?} twice");
        }
        picked.push(i);
    }
    Ok(picked)
}

/// Whether a binary's name may use `field`: every field but `.Binary`, itself.
pub fn is_binary_name_field(field: &str) -> bool {
    TEMPLATE_FIELDS.contains(&field) && field != "Binary"
}

/// Permission bits in octal (`"0644"`, `"0o755"`), for the setting at `key`.
fn parse_mode(key: &str, text: &str) -> anyhow::Result<u32> {
    u32::from_str_radix(text.trim_start_matches("0o"), 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .with_context(|| format!("`{key}` = {text:?} is not octal permission bits such as \"0644\""))
}

fn parse_template(key: &str, text: &str) -> anyhow::Result<Template> {
    let template = Template::parse(text).with_context(|| format!("`{key}` is not a valid template"))?;
    if let Some(unknown) = template.fields().into_iter().find(|f| !TEMPLATE_FIELDS.contains(&f.as_str())) {
        bail!("`{key}` uses .{unknown}, which is not a field; the fields are .{}", TEMPLATE_FIELDS.join(", ."));
    }
    Ok(template)
}

fn check_file_name(key: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') || name.contains(char::is_control) {
        bail!("`{key}` = {name:?} is not a file name");
    }
    Ok(())
}

/// Flags the plan sets itself: given again in `key`, the later one would
/// silently win over the plan's (an `-ldflags` here drops every stamp), and
/// one in GOFLAGS would lose to it just as silently.
pub(crate) fn check_flags(key: &str, flags: &[String], tags_too: bool) -> anyhow::Result<()> {
    for flag in flags {
        let name = flag.trim_start_matches('-').split('=').next().unwrap_or_default();
        let instead = match name {
            "ldflags" => "set `build.ldflags` (or `binaries[N].ldflags`), which the plan passes with the version stamp",
            "tags" if tags_too => "set `build.tags`",
            "o" => "the plan names every output",
            "trimpath" | "buildvcs" => "the plan always sets -trimpath and -buildvcs=false",
            _ => continue,
        };
        if flag.starts_with('-') {
            bail!("`{key}` has {flag}: {instead}");
        }
    }
    Ok(())
}

/// A main package goes last on `go build`'s command line: one that starts with `-` would be read as a flag.
fn check_main(key: &str, main: &str) -> anyhow::Result<()> {
    if main.is_empty() {
        bail!("`{key}` is empty: give the main package, e.g. \".\" or \"./cmd/hello\"");
    }
    if main.starts_with('-') || main.contains(char::is_control) {
        bail!("`{key}` = {main:?} is not a package path: give the main package, e.g. \".\" or \"./cmd/hello\"");
    }
    Ok(())
}

/// No string of the settings (value or table key) holds a NUL: no file name or
/// argument can, and TOML's `\u0000` escape would only fail later, far from the key.
fn check_no_nul(value: &serde_json::Value, key: &str) -> anyhow::Result<()> {
    let at = |k: &str| if key.is_empty() { k.to_owned() } else { format!("{key}.{k}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => bail!("`{key}` = {s:?} contains a NUL character"),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_no_nul(v, &format!("{key}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            if k.contains('\0') {
                bail!("`{key}` has a key {k:?} with a NUL character");
            }
            check_no_nul(v, &at(k))
        }),
        _ => Ok(()),
    }
}

/// A binary's name: as given under `key`, else the last part of `main` (under
/// `main_key`), else of `app.dir`; an error says which of them it came from.
fn binary_name(key: &str, given: Option<&str>, main_key: &str, main: &str, app_dir: &Path) -> anyhow::Result<String> {
    if let Some(name) = given {
        if name.contains("{{") {
            // Filled for each target by the plan (GoReleaser's `{{ .ProjectName }}_v{{ .Version }}`).
            let template = Template::parse(name).with_context(|| format!("`{key}` is not a valid template"))?;
            if let Some(f) = template.fields().into_iter().find(|f| !is_binary_name_field(f)) {
                let fields: Vec<&str> = TEMPLATE_FIELDS.into_iter().filter(|f| is_binary_name_field(f)).collect();
                bail!("`{key}` uses .{f}, which a binary's name cannot; the fields are .{}", fields.join(", ."));
            }
            return Ok(name.to_owned());
        }
        check_file_name(key, name)?;
        return Ok(name.to_owned());
    }
    let from_main = main.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty() && *s != ".");
    let (name, from) = match from_main {
        Some(n) => (n.to_owned(), main_key),
        None => (
            std::path::absolute(app_dir)?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .with_context(|| format!("cannot derive `{key}` from `app.dir`; set `{key}`"))?,
            "app.dir",
        ),
    };
    if check_file_name(key, &name).is_err() {
        bail!("`{key}` is not set, and the name taken from `{from}`, {name:?}, is not a file name: set `{key}`");
    }
    Ok(name)
}

/// An exact release such as `1.26.8`: a moving `1.26` would make builds drift.
pub fn check_go_version(v: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if parts.len() != 3 || !numeric {
        bail!("`app.go` = {v:?} must be an exact Go release such as \"{DEFAULT_GO}\"");
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// Arbitrary settings: documents made of the real keys with values of any TOML
/// type, and arbitrary bytes as the file. Never a panic; every error names the
/// file and the key it is about.
#[cfg(test)]
mod proptests;
