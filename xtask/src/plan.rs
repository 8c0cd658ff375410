//! The build plan: exactly what every engine runs and what the release holds,
//! computed from the settings, the command line, the version stamp and the
//! building toolchain, before any build starts.
//!
//! The plan owns the whole build: the upload, the environment (no variable
//! of the caller's shell reaches a build), the module download and every `go
//! build` argv. Engines only execute it, which is what makes their outputs
//! byte-identical.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use serde::Serialize;

use crate::engine::StepResult;
use crate::linker_vars::LinkerVar;
use crate::settings::{Format, Resolved};
use crate::source::Source;
use crate::stamp::Stamp;
use crate::target::{select, Target};
use crate::template::Data;

/// Which engine executes a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Dagger,
    Host,
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Dagger => "dagger",
            Engine::Host => "host",
        })
    }
}

/// What an engine reports about its Go before anything is planned.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// `go env GOVERSION`, e.g. `go1.26.8`.
    pub go_version: String,
    /// `go tool dist list`.
    pub dist_list: String,
    /// How to name it in messages, e.g. `go1.26.8 in golang:1.26.8`.
    pub label: String,
    /// What tells this Go installation from another of the same version: its
    /// `go env` (as a build sees it; GOROOT/go.env can set GOAMD64…) and its
    /// files (host) or the image's digest (Dagger). Part of every target key.
    pub fingerprint: String,
    /// Why the engine has this Go and not the pinned one, where it knows (the host: why the fetch failed).
    pub why_other: Option<String>,
}

/// `go env -json` without what never changes a build's bytes and would only
/// make keys differ: cache and temporary locations, download settings, and
/// GOGCCFLAGS (it names a fresh temporary directory on every call).
pub fn go_env_fingerprint(json: &str) -> anyhow::Result<String> {
    const IGNORED: [&str; 19] = [
        "GOCACHE",
        "GOMODCACHE",
        "GOPATH",
        "GOTMPDIR",
        "GOTELEMETRY",
        "GOTELEMETRYDIR",
        "GOENV",
        "GOMOD",
        "GOWORK",
        "GOGCCFLAGS",
        "GOPROXY",
        "GONOPROXY",
        "GOPRIVATE",
        "GONOSUMDB",
        "GOSUMDB",
        "GOINSECURE",
        "GOAUTH",
        "GOVCS",
        "GOROOT",
    ];
    let mut env: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(json).context("`go env -json` printed something that is not JSON")?;
    env.retain(|k, _| !IGNORED.contains(&k.as_str()) && k != "GOTOOLDIR");
    Ok(serde_json::to_string(&env)?)
}

/// The engine's Go against `app.go`, before anything is planned or built: another
/// Go stops the command, naming both and the fixes, unless `allow_other`
/// (`--allow-other-go`), which turns it into a warning.
pub fn check_go(toolchain: &Toolchain, settings: &Resolved, engine: Engine, allow_other: bool) -> anyhow::Result<()> {
    let Some((problem, fixes)) = go_mismatch(toolchain, settings, engine) else { return Ok(()) };
    if allow_other {
        crate::ui::warn(format!(
            "{problem}; building with {} anyway (--allow-other-go): the manifest records it",
            toolchain.go_version
        ));
        return Ok(());
    }
    bail!(
        "{problem}; nothing was built. Either:\n{}",
        fixes.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
    )
}

/// What is wrong and how to fix it, when the engine's Go is not `app.go`.
fn go_mismatch(toolchain: &Toolchain, settings: &Resolved, engine: Engine) -> Option<(String, Vec<String>)> {
    let wanted = &settings.go_version;
    let found = &toolchain.go_version;
    if *found == format!("go{wanted}") {
        return None;
    }
    let why = match (engine, &toolchain.why_other, &settings.raw.app.image) {
        (_, Some(why), _) => why.clone(),
        (Engine::Dagger, None, Some(image)) => format!("`app.image` = {image:?} holds {found}"),
        (Engine::Dagger, None, None) => format!("the image {} holds {found}", settings.image),
        (Engine::Host, None, None | Some(_)) => format!("{} reports {found}", toolchain.label),
    };
    let problem =
        format!("the {engine} engine has {found}, not go{wanted} (app.go in {}): {why}", settings.file.display());
    // `--settings FILE` only where the file is not the default one.
    let settings_arg = if settings.file == crate::project::root().join("dist.toml") {
        String::new()
    } else {
        format!(" --settings {}", settings.file.display())
    };
    let mut fixes = Vec::new();
    match engine {
        Engine::Host => {
            fixes.push(format!("install Go {wanted} (https://go.dev/dl/) and put it first on PATH"));
            if !crate::toolchain::pinned_here(wanted) {
                fixes.push(format!(
                    "`cargo xtask toolchain --set {wanted}{settings_arg}`: verifies Go {wanted}'s module zips and pins \
                     their hashes, so the host engine can fetch it"
                ));
            }
        }
        Engine::Dagger if settings.raw.app.image.is_some() => fixes.push(format!(
            "set `app.image` to an image with Go {wanted} (e.g. \"golang:{wanted}\"), or remove it to use golang:{wanted}"
        )),
        Engine::Dagger => fixes.push(format!("set `app.image` to an image that holds Go {wanted}")),
    }
    if let Some(release) = found.strip_prefix("go").filter(|v| crate::settings::check_go_version(v).is_ok()) {
        fixes.push(format!(
            "`cargo xtask toolchain --set {release}{settings_arg}`: makes {found} this project's Go (app.go, the \
             pinned hashes, the workflows)"
        ));
    }
    fixes.push(format!("rerun with --allow-other-go to build with {found} anyway (the manifest records it)"));
    Some((problem, fixes))
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// `.ProjectName`: names the release.
    pub project: String,
    pub source: Source,
    pub go_version: String,
    pub image: String,
    pub stamp: Stamp,
    /// The whole environment of every Go command (GOOS/GOARCH/GOARM come per target).
    pub env: BTreeMap<String, String>,
    /// The one module download before the fan-out; `None` for vendored modules.
    pub download: Option<Vec<String>>,
    pub binaries: Vec<BinaryPlan>,
    pub builds: Vec<TargetBuild>,
    /// Candidates the toolchain cannot build, dropped from the matrix.
    pub dropped: Vec<Target>,
    /// Files shipped in every archive: (path on the host, name in the archive).
    pub extra_files: Vec<(PathBuf, String)>,
    /// Wrap archive contents in a folder named like the archive.
    pub wrap: bool,
    pub checksum_file: String,
    /// `I/N` when this plan is one shard of the targets.
    pub shard: Option<String>,
    /// What the builds read besides the upload: part of the carry-over key.
    pub reads: Reads,
    /// Every `-X` variable, checked to exist before a release is written.
    pub linker_vars: Vec<LinkerVar>,
}

/// Inputs of the builds that the upload alone does not show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reads {
    /// Files named by flags (`-overlay` and the files it names, `-pgo`, `-modfile` and its `.sum`), on the host.
    pub named: Vec<PathBuf>,
    /// cgo reads headers from anywhere it is told: every file counts.
    pub everything: bool,
    /// Why no key can cover what the builds read (`-toolexec` runs a program of the user's): nothing is carried over.
    pub opaque: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BinaryPlan {
    pub name: String,
    /// The main package, relative to the module.
    pub main: String,
    /// `go build` flags, without `-o` and the package.
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetBuild {
    pub target: Target,
    /// Per binary (same order as `Plan::binaries`): path relative to the output
    /// directory, `<os>/<arch>[/vN]/<bin>[.exe]`.
    pub outputs: Vec<String>,
    pub package: Package,
}

impl TargetBuild {
    /// Every file of this target in a release: binaries, then its archive or bare binaries.
    pub fn files(&self) -> Vec<String> {
        [self.outputs.clone(), self.package_files()].concat()
    }

    /// The files its package publishes: the archive, or the bare binaries.
    pub fn package_files(&self) -> Vec<String> {
        match &self.package {
            Package::Archive { file, .. } => vec![file.clone()],
            Package::Bare(names) => names.clone(),
        }
    }
}

/// How a target is published.
#[derive(Debug, Clone, Serialize)]
pub enum Package {
    /// One archive with every binary: its file name, format and folder (when wrapped).
    Archive { file: String, format: Format, folder: String },
    /// Each binary on its own, under these file names.
    Bare(Vec<String>),
}

/// Variables of the caller's environment that may reach the module download
/// (where to fetch from, and how to authenticate), never a build.
pub const DOWNLOAD_ENV_ALLOWED: [&str; 15] = [
    "GOPROXY",
    "GONOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOSUMDB",
    "GOINSECURE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

impl Plan {
    /// `selected` narrows the build to those targets (they must be supported); empty means the settings' matrix.
    pub fn new(
        settings: &Resolved,
        selected: &[Target],
        stamp: Stamp,
        source: Source,
        toolchain: &Toolchain,
        caller_env: &BTreeMap<String, String>,
    ) -> anyhow::Result<Plan> {
        let (candidates, explicit) = if selected.is_empty() {
            (settings.matrix.targets.clone(), settings.matrix.explicit)
        } else {
            (selected.to_vec(), true)
        };
        let mut candidates = candidates;
        candidates.sort();
        candidates.dedup();
        let selection = select(&candidates, explicit, &toolchain.dist_list, &toolchain.label)?;

        let env = build_env(settings, &source);
        let download = (!source.vendored).then(|| vec!["go".to_owned(), "mod".to_owned(), "download".to_owned()]);

        let binaries: Vec<BinaryPlan> = settings
            .binaries
            .iter()
            .map(|b| {
                let mut flags = vec!["-trimpath".to_owned(), "-buildvcs=false".to_owned()];
                flags.push(format!("-ldflags={}", ldflags(&b.ldflags, settings, &stamp)));
                if !settings.build.tags.is_empty() {
                    flags.push(format!("-tags={}", settings.build.tags.join(",")));
                }
                flags.extend(settings.build.flags.iter().cloned());
                flags.extend(b.flags.iter().cloned());
                BinaryPlan { name: b.name.clone(), main: b.main.clone(), flags }
            })
            .collect();

        let mut builds = Vec::new();
        let mut names: BTreeMap<String, Target> = BTreeMap::new();
        for target in selection.targets {
            let outputs = binaries.iter().map(|b| format!("{target}/{}", target.exe_name(&b.name))).collect();
            let format = settings.archive.formats.get(&target.os).copied().unwrap_or(settings.archive.format);
            let package = match format {
                Format::Binary => Package::Bare(
                    binaries
                        .iter()
                        .map(|b| {
                            let name = archive_name(settings, &stamp, &target, &b.name, caller_env)?;
                            Ok(target.exe_name(&name))
                        })
                        .collect::<anyhow::Result<_>>()?,
                ),
                Format::TarGz | Format::Zip => {
                    let folder = archive_name(settings, &stamp, &target, &binaries[0].name, caller_env)?;
                    Package::Archive { file: format!("{folder}{}", format.extension()), format, folder }
                }
            };
            let build = TargetBuild { target, outputs, package };
            for file in build.package_files() {
                if let Some(other) = names.insert(file.clone(), build.target.clone()) {
                    bail!(
                        "`archive.name` gives {file} for both {other} and {}: use .Os, .Arch and .Arm (and .Binary for bare binaries) in it",
                        build.target
                    );
                }
            }
            builds.push(build);
        }

        let checksum_file = settings
            .checksum_name
            .render(&template_data(settings, &stamp, None, &binaries[0].name, caller_env))
            .context("cannot render `checksum.name`")?;
        check_name("checksum.name", &checksum_file)?;
        if names.contains_key(&checksum_file) {
            bail!("`checksum.name` gives {checksum_file}, which is also an archive's name");
        }

        Ok(Plan {
            project: settings.project.clone(),
            extra_files: extra_files(settings)?,
            source,
            go_version: settings.go_version.clone(),
            image: settings.image.clone(),
            stamp,
            env,
            download,
            binaries,
            builds,
            dropped: selection.dropped,
            wrap: settings.archive.wrap,
            checksum_file,
            shard: None,
            reads: Reads::default(),
            linker_vars: linker_vars(settings),
        }
        .with_reads())
    }

    /// Finds what the flags and environment make the builds read (see [`Reads`]).
    fn with_reads(mut self) -> Plan {
        let module = self.source.module_dir();
        let goflags = self.env.get("GOFLAGS").map(|f| f.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
        let mut named = Vec::new();
        let mut opaque = None;
        for flags in self.binaries.iter().map(|b| b.flags.clone()).chain(goflags) {
            let mut words = flags.iter().map(String::as_str);
            while let Some(word) = words.next() {
                let Some(flag) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else { continue };
                let (name, inline) = match flag.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (flag, None),
                };
                if !matches!(name, "overlay" | "pgo" | "modfile" | "toolexec" | "C") {
                    continue;
                }
                let Some(value) = inline.or_else(|| words.next()) else { continue };
                let file = module.join(value);
                match name {
                    "toolexec" | "C" => {
                        opaque.get_or_insert(format!("the build flags have -{name}, whose effect no key can cover"));
                    }
                    "pgo" if matches!(value, "auto" | "off" | "") => {}
                    "modfile" => {
                        named.push(module.join(format!("{}.sum", value.strip_suffix(".mod").unwrap_or(value))));
                        named.push(file);
                    }
                    "overlay" => {
                        // {"Replace": {"path": "file"}}: the replacements are read too.
                        if let Ok(text) = std::fs::read_to_string(&file) {
                            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                                for to in json["Replace"].as_object().into_iter().flat_map(|m| m.values()) {
                                    named.extend(to.as_str().filter(|t| !t.is_empty()).map(|t| module.join(t)));
                                }
                            }
                        }
                        named.push(file);
                    }
                    _ => named.push(file),
                }
            }
        }
        named.sort();
        named.dedup();
        let everything = self.env.get("CGO_ENABLED").is_some_and(|v| v != "0");
        self.reads = Reads { named, everything, opaque };
        self
    }

    /// The go commands that tell whether every `-X` variable exists (see `linker_vars`).
    pub fn probes(&self) -> Vec<Vec<String>> {
        crate::linker_vars::probes(&self.linker_vars, &self.mains())
    }

    /// Checks the engine's answers to [`Plan::probes`]: an error for a missing
    /// `build.stamp` variable, warnings for other missing `-X` variables.
    pub fn check_linker_vars(&self, answers: &[StepResult]) -> anyhow::Result<Vec<String>> {
        let names: Vec<String> = self.binaries.iter().map(|b| b.name.clone()).collect();
        crate::linker_vars::check(&self.linker_vars, &self.mains(), &names, answers)
    }

    fn mains(&self) -> Vec<String> {
        self.binaries.iter().map(|b| b.main.clone()).collect()
    }

    /// The digest of what the builds read (see [`Source::digest`]).
    pub fn source_digest(&self) -> anyhow::Result<String> {
        self.source.digest(&self.reads.named, self.reads.everything)
    }

    /// The whole `go build …` command line writing binary `index` to `output`.
    pub fn go_build_argv(&self, index: usize, output: &str) -> Vec<String> {
        let binary = &self.binaries[index];
        let mut args = vec!["go".to_owned(), "build".to_owned()];
        args.extend(binary.flags.iter().cloned());
        args.extend(["-o".to_owned(), output.to_owned(), binary.main.clone()]);
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

    /// A key of everything one target's binaries are made from: what the
    /// build can read, the engine and the Go installation that build them, the
    /// image, their whole argv and environment, and the stamp. Equal keys,
    /// equal bytes. The settings as such are not in it: what of them matters
    /// is already in the argv and environment. How the binaries are then
    /// packed has a key of its own ([`package_key`]).
    pub fn target_key(&self, build: &TargetBuild, inputs: &Inputs) -> String {
        let argv: Vec<Vec<String>> =
            build.outputs.iter().enumerate().map(|(i, output)| self.go_build_argv(i, output)).collect();
        let key = serde_json::json!({
            "keys": KEY_FORMAT,
            "source": inputs.source_digest,
            "engine": inputs.engine,
            "toolchain": inputs.toolchain,
            "image": (inputs.engine == Engine::Dagger).then_some(&self.image),
            "env": self.env_for(&build.target),
            "download": self.download,
            "argv": argv,
            "stamp": self.stamp,
        });
        crate::artifacts::checksums::sha256_hex(key.to_string().as_bytes())
    }

    /// Shard `index` of `count` (1-based): every `count`-th target of the sorted
    /// list, starting at `index`, so shard sizes differ by one at most.
    pub fn shard(&self, index: usize, count: usize) -> Plan {
        let keep: Vec<usize> = (0..self.builds.len()).filter(|i| i % count == index - 1).collect();
        Plan { shard: Some(format!("{index}/{count}")), ..self.subset(&keep) }
    }

    /// The same plan for some of its targets only.
    pub fn subset(&self, keep: &[usize]) -> Plan {
        let builds = keep.iter().map(|&i| self.builds[i].clone()).collect();
        Plan { builds, ..self.clone() }
    }
}

/// The format of the keys themselves: a change to what they cover starts over.
pub const KEY_FORMAT: &str = "cargo-xtask-dist keys 3";

/// This xtask's own build (a digest of its source and Cargo.lock, made by
/// build.rs): packing code that changes, or a new deflate, repacks every
/// archive instead of carrying over what the old code made.
pub const XTASK_BUILD: &str = env!("XTASK_BUILD_ID");

/// The key of a target's package (its archive or bare binaries): the bytes of
/// its binaries, the files shipped beside them, how it is named and packed,
/// the epoch of its mtimes, and the xtask that packs it.
pub fn package_key(plan: &Plan, build: &TargetBuild, binary_sha256: &[&str], extras: &[(&str, String)]) -> String {
    let key = serde_json::json!({
        "keys": KEY_FORMAT,
        "xtask": XTASK_BUILD,
        "binaries": binary_sha256,
        "extras": extras,
        "package": build.package,
        "wrap": plan.wrap,
        "epoch": plan.stamp.epoch,
    });
    crate::artifacts::checksums::sha256_hex(key.to_string().as_bytes())
}

/// What a target key is made of besides the plan.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub source_digest: String,
    /// [`Toolchain::fingerprint`].
    pub toolchain: String,
    pub engine: Engine,
}

/// What makes a go command ignore its surroundings: no toolchain switch, no
/// GOENV file, no GOFLAGS of the caller. Every go command this tool runs
/// (probes included) starts from this, on every engine.
pub const NEUTRAL_GO_ENV: [(&str, &str); 3] = [("GOTOOLCHAIN", "local"), ("GOENV", "off"), ("GOFLAGS", "")];

/// Only what the settings say, plus what makes Go ignore its surroundings:
/// the caller's GOFLAGS, GOWORK, GOENV file, GOTOOLCHAIN… never apply.
pub fn build_env(settings: &Resolved, source: &Source) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> =
        NEUTRAL_GO_ENV.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.insert("CGO_ENABLED".to_owned(), "0".to_owned());
    if source.workspace.is_none() {
        // A go.work above the upload would apply on the host and not in a container.
        env.insert("GOWORK".to_owned(), "off".to_owned());
    }
    env.extend(settings.build.env.clone());
    env
}

/// The stamp variables and every other `-X` of each binary's ldflags, once each.
fn linker_vars(settings: &Resolved) -> Vec<LinkerVar> {
    let s = &settings.build.stamp;
    let mut vars = Vec::new();
    for (b, binary) in settings.binaries.iter().enumerate() {
        let stamps = [("version", &s.version), ("commit", &s.commit), ("date", &s.date)];
        for ((key, symbol), given) in stamps.into_iter().zip(settings.stamp_given) {
            if !symbol.is_empty() {
                let key = format!("build.stamp.{key}");
                vars.push(LinkerVar { key, symbol: symbol.clone(), binary: b, required: given });
            }
        }
        let own = settings.raw.binaries.get(b).is_some_and(|raw| raw.ldflags.is_some());
        let key = if own { format!("binaries[{b}].ldflags") } else { "build.ldflags".to_owned() };
        for symbol in crate::linker_vars::x_vars(&binary.ldflags.join(" ")) {
            if !vars.iter().any(|v| v.binary == b && v.symbol == symbol) {
                vars.push(LinkerVar { key: key.clone(), symbol, binary: b, required: false });
            }
        }
    }
    vars
}

fn ldflags(flags: &[String], settings: &Resolved, stamp: &Stamp) -> String {
    let mut parts = flags.to_vec();
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

/// GoReleaser's template fields for one target (or none, for the checksum name).
pub fn template_data(
    settings: &Resolved,
    stamp: &Stamp,
    target: Option<&Target>,
    binary: &str,
    caller_env: &BTreeMap<String, String>,
) -> Data {
    let replace = |v: &str| settings.archive.replacements.get(v).cloned().unwrap_or_else(|| v.to_owned());
    let short: String = stamp.commit.chars().take(7).collect();
    let mut fields = BTreeMap::from([
        ("ProjectName", settings.project.clone()),
        ("Binary", binary.to_owned()),
        ("Version", stamp.version.clone()),
        ("Tag", stamp.tag.clone()),
        ("Commit", stamp.commit.clone()),
        ("FullCommit", stamp.commit.clone()),
        ("ShortCommit", short),
        ("Date", stamp.date.clone()),
        ("CommitDate", stamp.date.clone()),
        ("CommitTimestamp", stamp.epoch.to_string()),
        ("Os", String::new()),
        ("Arch", String::new()),
        ("Arm", String::new()),
        ("Amd64", String::new()),
        ("Mips", String::new()),
    ]);
    if let Some(t) = target {
        fields.insert("Os", replace(&t.os));
        fields.insert("Arch", replace(&t.arch));
        fields.insert("Arm", t.arm.map(|v| replace(&v.to_string())).unwrap_or_default());
        if t.arch == "amd64" {
            fields.insert("Amd64", "v1".to_owned());
        }
    }
    Data { fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), env: caller_env.clone() }
}

fn archive_name(
    settings: &Resolved,
    stamp: &Stamp,
    target: &Target,
    binary: &str,
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let data = template_data(settings, stamp, Some(target), binary, caller_env);
    let name = settings
        .archive_name
        .render(&data)
        .with_context(|| format!("cannot render `archive.name` for {target}"))?
        .replace('/', "-");
    check_name("archive.name", &name)?;
    Ok(name)
}

fn check_name(key: &str, name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.starts_with('.') || name.contains(['\\', '\n']) {
        bail!("`{key}` gives {name:?}, which is not a file name");
    }
    Ok(())
}

/// `archive.files` globs, relative to the module; defaults match without regard to case.
fn extra_files(settings: &Resolved) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let defaults = settings.archive.files == crate::settings::DEFAULT_ARCHIVE_FILES.map(String::from);
    let options = glob::MatchOptions { case_sensitive: !defaults, ..Default::default() };
    let base = std::path::absolute(&settings.app_dir)?;
    let mut files = Vec::new();
    for pattern in &settings.archive.files {
        if pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
            bail!("`archive.files` has {pattern:?}: give a glob inside the module, e.g. \"docs/*.md\"");
        }
        let full = format!("{}/{pattern}", glob::Pattern::escape(&base.to_string_lossy()));
        let paths =
            glob::glob_with(&full, options).with_context(|| format!("`archive.files` has a bad glob {pattern:?}"))?;
        for path in paths {
            let path = path?;
            if path.is_file() {
                let rel = path.strip_prefix(&base).unwrap_or(&path);
                let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                if !files.iter().any(|(_, n)| *n == name) {
                    files.push((path.clone(), name));
                }
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::source::Outputs;
    use std::path::Path;

    fn settings(text: &str) -> Resolved {
        toml::from_str::<Settings>(text).unwrap().resolve(&crate::project::root().join("dist.toml")).unwrap()
    }

    fn stamp() -> Stamp {
        Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None)
    }

    const DIST_LIST: &str = "darwin/amd64\ndarwin/arm64\nlinux/386\nlinux/amd64\nlinux/arm\nlinux/arm64\nwindows/386\nwindows/amd64\nwindows/arm64\n";

    fn toolchain() -> Toolchain {
        Toolchain {
            go_version: "go1.26.8".into(),
            dist_list: DIST_LIST.into(),
            label: "go1.26.8".into(),
            fingerprint: "go1.26.8 as installed".into(),
            why_other: None,
        }
    }

    fn plan_of(s: &Resolved, selected: &[Target]) -> anyhow::Result<Plan> {
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        Plan::new(s, selected, stamp(), source, &toolchain(), &BTreeMap::from([("TEAM".to_owned(), "core".to_owned())]))
    }

    #[test]
    fn default_plan_builds_six_static_stamped_targets() {
        let plan = plan_of(&settings("[app]\ndir = \"app\"\nmain = \"./cmd/hello\""), &[]).unwrap();
        let outputs: Vec<&str> = plan.builds.iter().map(|b| b.outputs[0].as_str()).collect();
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
            plan.go_build_argv(0, "/out/linux/amd64/hello"),
            [
                "go",
                "build",
                "-trimpath",
                "-buildvcs=false",
                "-ldflags=-s -w -X main.version=1.2.3 -X main.commit=c0ffee1234 -X main.date=2023-11-14T22:13:20Z",
                "-o",
                "/out/linux/amd64/hello",
                "./cmd/hello"
            ]
        );
        let env = plan.env_for(&"linux/arm/v7".parse().unwrap());
        let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            env,
            [
                "CGO_ENABLED=0",
                "GOENV=off",
                "GOFLAGS=",
                "GOTOOLCHAIN=local",
                "GOWORK=off",
                "GOOS=linux",
                "GOARCH=arm",
                "GOARM=7"
            ]
        );
        assert_eq!(plan.download, Some(vec!["go".to_owned(), "mod".to_owned(), "download".to_owned()]));
        let archives: Vec<String> = plan
            .builds
            .iter()
            .map(|b| match &b.package {
                Package::Archive { file, .. } => file.clone(),
                Package::Bare(_) => panic!("archive expected"),
            })
            .collect();
        assert_eq!(archives[2], "hello_1.2.3_linux_amd64.tar.gz");
        assert_eq!(archives[4], "hello_1.2.3_windows_amd64.zip");
        assert_eq!(plan.checksum_file, "SHA256SUMS");
        assert_eq!(plan.extra_files.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["README.md"]);
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
        let plan = plan_of(&s, &[]).unwrap();
        assert_eq!(
            plan.binaries[0].flags,
            [
                "-trimpath",
                "-buildvcs=false",
                "-ldflags=-X example.com/x/internal/v.Version=1.2.3 -X main.built=2023-11-14T22:13:20Z",
                "-tags=netgo,osusergo",
                "-mod=readonly"
            ]
        );
        assert_eq!(plan.env["CGO_ENABLED"], "1");
        assert_eq!(plan.env["GOFLAGS"], "-v");
    }

    #[test]
    fn command_line_targets_replace_the_matrix_and_must_be_supported() {
        let wanted: Vec<Target> = ["linux/arm/v6", "linux/amd64", "linux/amd64"].map(|t| t.parse().unwrap()).to_vec();
        let plan = plan_of(&settings(""), &wanted).unwrap();
        let outputs: Vec<&str> = plan.builds.iter().map(|b| b.outputs[0].as_str()).collect();
        assert_eq!(outputs, ["linux/amd64/app", "linux/arm/v6/app"]);
        let err = plan_of(&settings(""), &["darwin/386".parse().unwrap()]).unwrap_err().to_string();
        assert!(err.starts_with("target darwin/386 is not supported by go1.26.8"), "{err}");
    }

    #[test]
    fn a_cross_product_drops_unsupported_pairs() {
        let s = settings(
            "[targets]\nos = [\"linux\", \"darwin\", \"windows\"]\narch = [\"386\", \"arm\"]\narm = [\"6\", \"7\"]",
        );
        let plan = plan_of(&s, &[]).unwrap();
        let names = |ts: Vec<Target>| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(names(plan.targets()), ["linux/386", "linux/arm/v6", "linux/arm/v7", "windows/386"]);
        assert_eq!(
            names(plan.dropped.clone()),
            ["darwin/386", "darwin/arm/v6", "darwin/arm/v7", "windows/arm/v6", "windows/arm/v7"]
        );
    }

    #[test]
    fn names_follow_templates_replacements_and_formats() {
        let s = settings(
            r#"[app]
            name = "tool"
            [[binaries]]
            main = "./cmd/hello"
            [[binaries]]
            main = "./cmd/hello"
            name = "hello2"
            [targets]
            list = ["linux/amd64", "darwin/arm64", "linux/arm/v6", "windows/386"]
            [archive]
            name = "{{ .Binary }}_{{ .Env.TEAM }}_{{ title .Os }}_{{ .Arch }}{{ if .Arm }}v{{ .Arm }}{{ end }}"
            replacements = { amd64 = "x86_64", "386" = "i386" }
            formats = { darwin = "binary", windows = "zip" }
            [checksum]
            name = "{{ .ProjectName }}_{{ .Version }}_checksums.txt""#,
        );
        let plan = plan_of(&s, &[]).unwrap();
        let packages: Vec<String> = plan
            .builds
            .iter()
            .map(|b| match &b.package {
                Package::Archive { file, folder, .. } => format!("{file} in {folder}/"),
                Package::Bare(files) => files.join(" "),
            })
            .collect();
        assert_eq!(
            packages,
            [
                "hello_core_Darwin_arm64 hello2_core_Darwin_arm64",
                "hello_core_Linux_x86_64.tar.gz in hello_core_Linux_x86_64/",
                "hello_core_Linux_armv6.tar.gz in hello_core_Linux_armv6/",
                "hello_core_Windows_i386.zip in hello_core_Windows_i386/"
            ]
            .map(String::from)
        );
        assert_eq!(plan.checksum_file, "tool_1.2.3_checksums.txt");
        assert_eq!(plan.builds[3].outputs, ["windows/386/hello.exe", "windows/386/hello2.exe"]);
        let err = format!("{:#}", plan_of(&settings("[archive]\nname = \"{{ .ProjectName }}\""), &[]).unwrap_err());
        assert!(err.contains("`archive.name` gives app.tar.gz for both darwin/amd64 and darwin/arm64"), "{err}");
    }

    #[test]
    fn shards_cover_every_target_exactly_once() {
        let s = settings("[targets]\nos = [\"linux\", \"windows\", \"darwin\"]\narch = [\"amd64\", \"arm64\", \"386\", \"arm\"]\narm = [\"6\", \"7\"]");
        let plan = plan_of(&s, &[]).unwrap();
        let all: Vec<String> = plan.targets().iter().map(|t| t.to_string()).collect();
        assert_eq!(all.len(), 10);
        for n in 1..=7 {
            let mut seen = Vec::new();
            let mut sizes = Vec::new();
            for i in 1..=n {
                let shard = plan.shard(i, n);
                assert_eq!(shard.shard.as_deref(), Some(format!("{i}/{n}").as_str()));
                sizes.push(shard.builds.len());
                seen.extend(shard.targets().iter().map(|t| t.to_string()));
                // Deterministic: the same shard twice is the same list.
                assert_eq!(shard.targets(), plan.shard(i, n).targets());
            }
            seen.sort();
            let mut want = all.clone();
            want.sort();
            assert_eq!(seen, want, "{n} shards cover every target once");
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{n} shards: {sizes:?}");
        }
        assert_eq!(
            plan.shard(2, 3).targets().iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            ["darwin/arm64", "linux/arm/v6", "windows/386"]
        );
    }

    /// The binaries' key changes with everything a build reads or is told, and
    /// with nothing else (names, formats and shipped files are the package's).
    #[test]
    fn the_target_key_covers_every_input_and_nothing_else() {
        let base = "[app]\nmain = \"./cmd/hello\"\n";
        let inputs = Inputs { source_digest: "src".into(), toolchain: "go1.26.8 here".into(), engine: Engine::Host };
        let key_of = |text: &str, stamp: Stamp, inputs: &Inputs| {
            let s = settings(text);
            let source =
                Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
            let p = Plan::new(&s, &[], stamp, source, &toolchain(), &BTreeMap::new()).unwrap();
            let linux = p.builds.iter().find(|b| b.target.to_string() == "linux/amd64").unwrap();
            p.target_key(linux, inputs)
        };
        let k0 = key_of(base, stamp(), &inputs);
        assert_eq!(key_of(base, stamp(), &inputs), k0, "deterministic");
        let mut changed: Vec<(&str, String)> = vec![
            ("source", key_of(base, stamp(), &Inputs { source_digest: "src2".into(), ..inputs.clone() })),
            ("toolchain", key_of(base, stamp(), &Inputs { toolchain: "go1.26.8 patched".into(), ..inputs.clone() })),
            ("engine", key_of(base, stamp(), &Inputs { engine: Engine::Dagger, ..inputs.clone() })),
            ("ldflags", key_of(&format!("{base}[build]\nldflags = [\"-s\"]\n"), stamp(), &inputs)),
            ("tags", key_of(&format!("{base}[build]\ntags = [\"netgo\"]\n"), stamp(), &inputs)),
            ("flags", key_of(&format!("{base}[build]\nflags = [\"-race\"]\n"), stamp(), &inputs)),
            ("env", key_of(&format!("{base}[build]\nenv = {{ GOEXPERIMENT = \"x\" }}\n"), stamp(), &inputs)),
            ("stamp variable", key_of(&format!("{base}[build.stamp]\nversion = \"main.v\"\n"), stamp(), &inputs)),
            ("main", key_of("[app]\nmain = \"./cmd/other\"\nbinary = \"hello\"\n", stamp(), &inputs)),
            ("binary name", key_of(&format!("{base}binary = \"hi\"\n"), stamp(), &inputs)),
        ];
        for (what, s) in [
            ("tag", Stamp::from_parts(Some("v1.2.4".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None)),
            ("commit", Stamp::from_parts(Some("v1.2.3".into()), Some("beef".into()), Some(1_700_000_000), None)),
            ("date", Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee1234".into()), Some(1_700_000_001), None)),
            (
                "dirty",
                Stamp::from_parts(Some("v1.2.3-dirty".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None),
            ),
        ] {
            changed.push((what, key_of(base, s, &inputs)));
        }
        for (what, key) in &changed {
            assert_ne!(*key, k0, "a change of {what} must change the key");
        }
        let dagger = Inputs { engine: Engine::Dagger, ..inputs.clone() };
        let kd = key_of(base, stamp(), &dagger);
        assert_ne!(
            key_of(&format!("{base}image = \"golang:1.26.8@sha256:ab\"\n"), stamp(), &dagger),
            kd,
            "image (Dagger)"
        );
        for (what, text) in [
            ("image (host)", format!("{base}image = \"golang:1.26.8@sha256:ab\"\n")),
            ("archive name", format!("{base}[archive]\nname = \"{{{{ .Os }}}}-{{{{ .Arch }}}}\"\n")),
            ("format", format!("{base}[archive]\nformat = \"zip\"\n")),
            ("files", format!("{base}[archive]\nfiles = [\"LICENSE\"]\n")),
            ("checksum name", format!("{base}[checksum]\nname = \"sums.txt\"\n")),
            ("other targets", format!("{base}[targets]\nos = [\"linux\"]\n")),
            ("project name", format!("{base}name = \"other\"\n")),
        ] {
            let key = key_of(&text, stamp(), &inputs);
            assert_eq!(key, k0, "{what} does not change the binaries");
        }
    }

    #[test]
    fn the_package_key_covers_its_bytes_names_and_packer() {
        let p = plan_of(&settings("[app]\nmain = \"./cmd/hello\""), &[]).unwrap();
        let b = &p.builds[2];
        let k0 = package_key(&p, b, &["aa"], &[("README.md", "r".into())]);
        assert_ne!(package_key(&p, b, &["ab"], &[("README.md", "r".into())]), k0, "binary bytes");
        assert_ne!(package_key(&p, b, &["aa"], &[("README.md", "r2".into())]), k0, "extra file bytes");
        assert_ne!(package_key(&p, b, &["aa"], &[("LICENSE", "r".into())]), k0, "extra file name");
        assert_ne!(package_key(&p, &p.builds[3], &["aa"], &[("README.md", "r".into())]), k0, "name and format");
        let unwrapped = Plan { wrap: false, ..p.clone() };
        assert_ne!(package_key(&unwrapped, b, &["aa"], &[("README.md", "r".into())]), k0, "wrap");
        let mut later = p.clone();
        later.stamp.epoch += 1;
        assert_ne!(package_key(&later, b, &["aa"], &[("README.md", "r".into())]), k0, "mtimes");
        assert!(XTASK_BUILD.len() == 16 && XTASK_BUILD.bytes().all(|c| c.is_ascii_hexdigit()), "{XTASK_BUILD}");
    }

    #[test]
    fn flags_that_name_files_are_inputs_and_toolexec_is_opaque() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("overlay.json"), r#"{"Replace": {"a.go": "gen/a.go", "b.go": ""}}"#).unwrap();
        let s = settings(&format!(
            "[app]\ndir = {:?}\nbinary = \"x\"\n[build]\nflags = [\"-overlay=overlay.json\", \"-pgo\", \"prof.pgo\", \"-modfile=alt.mod\"]\nenv = {{ GOFLAGS = \"-pgo=auto\" }}",
            dir.path().display().to_string()
        ));
        std::fs::write(dir.path().join("go.mod"), "module m\ngo 1.22\n").unwrap();
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        let module = source.module_dir();
        let p = Plan::new(&s, &[], stamp(), source, &toolchain(), &BTreeMap::new()).unwrap();
        let named: Vec<String> =
            p.reads.named.iter().map(|f| f.strip_prefix(&module).unwrap().display().to_string()).collect();
        assert_eq!(named, ["alt.mod", "alt.sum", "gen/a.go", "overlay.json", "prof.pgo"]);
        assert!(!p.reads.everything && p.reads.opaque.is_none());

        let s = settings("[build]\nenv = { CGO_ENABLED = \"1\", GOFLAGS = \"-toolexec=/usr/bin/time\" }");
        let p = plan_of(&s, &[]).unwrap();
        assert!(p.reads.everything);
        assert_eq!(p.reads.opaque.as_deref(), Some("the build flags have -toolexec, whose effect no key can cover"));
    }

    #[test]
    fn stamp_values_with_spaces_are_quoted_for_the_linker() {
        let s = settings("[build.stamp]\ndate = \"main.built\"\ncommit = \"\"\nversion = \"\"");
        let mut stamp = stamp();
        stamp.date = "a date".into();
        assert_eq!(ldflags(&[], &s, &stamp), "-X 'main.built=a date'");
    }

    fn other_go(go_version: &str, label: &str, why_other: Option<&str>) -> Toolchain {
        Toolchain {
            go_version: go_version.into(),
            dist_list: DIST_LIST.into(),
            label: label.into(),
            fingerprint: String::new(),
            why_other: why_other.map(str::to_owned),
        }
    }

    #[test]
    fn a_dagger_image_with_another_go_stops_the_run_with_the_fixes() {
        let s = settings("[app]\ngo = \"1.25.5\"\nimage = \"registry.internal/golang:1.26.8@sha256:abc\"");
        let t = other_go("go1.26.8", "go1.26.8 in registry.internal/golang:1.26.8@sha256:abc", None);
        let err = check_go(&t, &s, Engine::Dagger, false).unwrap_err().to_string();
        let file = crate::project::root().join("dist.toml");
        assert_eq!(
            err,
            format!(
                "the dagger engine has go1.26.8, not go1.25.5 (app.go in {}): `app.image` = \
                 \"registry.internal/golang:1.26.8@sha256:abc\" holds go1.26.8; nothing was built. Either:\n  \
                 - set `app.image` to an image with Go 1.25.5 (e.g. \"golang:1.25.5\"), or remove it to use golang:1.25.5\n  \
                 - `cargo xtask toolchain --set 1.26.8`: makes go1.26.8 this project's Go (app.go, the pinned hashes, \
                 the workflows)\n  \
                 - rerun with --allow-other-go to build with go1.26.8 anyway (the manifest records it)",
                file.display()
            )
        );
        // Opted in: a warning only.
        check_go(&t, &s, Engine::Dagger, true).unwrap();
        // The image's own Go, when the settings name none.
        let s = settings("[app]\ngo = \"1.25.5\"");
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Dagger).unwrap();
        assert!(problem.ends_with("): the image golang:1.25.5 holds go1.26.8"), "{problem}");
        assert_eq!(fixes[0], "set `app.image` to an image that holds Go 1.25.5");
    }

    #[test]
    fn the_pinned_go_passes_on_either_engine() {
        let s = settings("[app]\ngo = \"1.26.8\"");
        for engine in [Engine::Dagger, Engine::Host] {
            assert!(go_mismatch(&toolchain(), &s, engine).is_none());
            check_go(&toolchain(), &s, engine, false).unwrap();
        }
    }

    #[test]
    fn the_host_names_why_and_offers_to_pin_a_go_with_no_hash() {
        let s =
            toml::from_str::<Settings>("[app]\ngo = \"9.9.8\"").unwrap().resolve(Path::new("/else/dist.toml")).unwrap();
        let why = "no pinned hash for go9.9.8 linux/amd64 in xtask/go-toolchains.sha256, so it cannot be fetched; \
                   the go on PATH is /usr/bin/go";
        let t = other_go("go1.26.8", "the host's go1.26.8", Some(why));
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Host).unwrap();
        assert_eq!(problem, format!("the host engine has go1.26.8, not go9.9.8 (app.go in /else/dist.toml): {why}"));
        assert_eq!(
            fixes,
            [
                "install Go 9.9.8 (https://go.dev/dl/) and put it first on PATH",
                "`cargo xtask toolchain --set 9.9.8 --settings /else/dist.toml`: verifies Go 9.9.8's module zips and \
                 pins their hashes, so the host engine can fetch it",
                "`cargo xtask toolchain --set 1.26.8 --settings /else/dist.toml`: makes go1.26.8 this project's Go \
                 (app.go, the pinned hashes, the workflows)",
                "rerun with --allow-other-go to build with go1.26.8 anyway (the manifest records it)",
            ]
        );
        // A pinned Go that could not be fetched: no `--set` of it; a development Go: no `--set` of that either.
        let s = settings("[app]\ngo = \"1.26.8\"");
        let t = other_go("devel go1.27-abc", "the host's devel go1.27-abc", Some("cannot get Go 1.26.8: offline"));
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Host).unwrap();
        assert!(problem.ends_with("): cannot get Go 1.26.8: offline"), "{problem}");
        assert_eq!(fixes.len(), 2, "{fixes:?}");
        assert!(fixes[0].starts_with("install Go 1.26.8") && fixes[1].starts_with("rerun with --allow-other-go"));
    }
}
