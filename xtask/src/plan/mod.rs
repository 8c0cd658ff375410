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

use crate::linker_vars::LinkerVar;
use crate::settings::{Format, Resolved, ResolvedArchive};
use crate::source::Source;
use crate::stamp::Stamp;
use crate::steps::StepResult;
use crate::target::{select, Target};

mod download;
pub mod images;
mod names;
mod packages;
mod reads;
pub mod supply;
#[cfg(test)]
mod tests;

pub use crate::settings::ContentKind;
pub use download::{scrub, DownloadSettings, DOWNLOAD_ENV_ALLOWED};
pub use names::{template_data, MANIFEST_FILE};
pub use packages::{PackagePlan, Version, UNSET_MAINTAINER};
pub use reads::Reads;

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
    /// What the Go came as, by content, for the provenance: the build image by digest (Dagger), or the
    /// pinned module zip of the fetched Go (host); `None` for a Go found on PATH (not hashed).
    pub content: Option<ResolvedDep>,
}

/// A dependency of the build by URI and SHA-256 (an SLSA resource descriptor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ResolvedDep {
    pub uri: String,
    pub sha256: String,
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
    /// What the download takes from the caller (credentials, proxies): never serialized.
    #[serde(skip)]
    pub download_settings: DownloadSettings,
    pub binaries: Vec<BinaryPlan>,
    pub builds: Vec<TargetBuild>,
    /// Candidates the toolchain cannot build, dropped from the matrix.
    pub dropped: Vec<Target>,
    /// Files shipped beside the binaries in some archive set's archives: (path on the host, name in the archive).
    pub extra_files: Vec<(PathBuf, String)>,
    pub checksum_file: String,
    /// `I/N` when this plan is one shard of the targets.
    pub shard: Option<String>,
    /// Every target's binary names in the whole plan, as a digest (see `Manifest::names`).
    #[serde(skip)]
    pub names_digest: String,
    /// The caller's variables the settings read through `.Env.NAME`, with their values: what the
    /// published record of each build (manifest.json, the provenance) shows as `{{ .Env.NAME }}`.
    #[serde(skip)]
    pub env_values: Vec<(String, String)>,
    /// What the builds read besides the upload: part of the carry-over key.
    pub reads: Reads,
    /// Every `-X` variable, checked to exist before a release is written.
    pub linker_vars: Vec<LinkerVar>,
    /// Container images (`[[images]]`), each over several targets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<images::ImagePlan>,
    /// Why an `[[images]]` entry makes no image in this run.
    #[serde(skip)]
    pub image_notes: Vec<String>,
    /// SBOMs, provenance and signatures.
    pub supply: supply::SupplyPlan,
}

#[derive(Debug, Clone, Serialize)]
pub struct BinaryPlan {
    /// Its name as the settings give it: a template when it is one (each target's file name is in
    /// `TargetBuild::names`).
    pub name: String,
    /// The main package, relative to the module.
    pub main: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetBuild {
    pub target: Target,
    /// Per binary (same order as `Plan::binaries`): its file name for this target, without `.exe`
    /// (a name template filled for the target).
    pub names: Vec<String>,
    /// Per binary (same order as `Plan::binaries`): path relative to the output
    /// directory, `<os>/<arch>[/vN]/<bin>[.exe]`.
    pub outputs: Vec<String>,
    /// Per binary: `go build` flags, without `-o` and the package, their templates filled for this target.
    pub flags: Vec<Vec<String>>,
    /// The build's environment but the target's GOOS/GOARCH/GOARM: `Plan::env` with
    /// `build.env`'s templates filled for this target.
    pub env: BTreeMap<String, String>,
    /// What each archive set publishes (`[archive]`, or each `[[archives]]` entry, in order).
    pub archives: Vec<ArchivePlan>,
    /// Its Linux packages (`[[packages]]`; linux targets only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackagePlan>,
}

/// What one archive set publishes for a target.
#[derive(Debug, Clone, Serialize)]
pub struct ArchivePlan {
    /// The set's `id`, recorded on its artifacts in the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The binaries it holds: indexes into `Plan::binaries`.
    pub binaries: Vec<usize>,
    pub package: Package,
}

/// How an archive set publishes a target's binaries.
#[derive(Debug, Clone, Serialize)]
pub enum Package {
    /// One archive: its file name, format, the folder its entries are in (unless
    /// unwrapped) and the files beside the binaries (names in `Plan::extra_files`).
    Archive { file: String, format: Format, folder: Option<String>, files: Vec<String> },
    /// Each binary on its own, under these file names (in the order of the set's binaries).
    Bare(Vec<String>),
}

impl Package {
    /// The files it publishes.
    pub fn files(&self) -> Vec<String> {
        match self {
            Package::Archive { file, .. } => vec![file.clone()],
            Package::Bare(names) => names.clone(),
        }
    }
}

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

        let env = build_env(settings, &source, &stamp, None, caller_env)?;
        let download = (!source.vendored).then(|| vec!["go".to_owned(), "mod".to_owned(), "download".to_owned()]);

        let binaries: Vec<BinaryPlan> =
            settings.binaries.iter().map(|b| BinaryPlan { name: b.name.clone(), main: b.main.clone() }).collect();

        // Each set's extra files, and all of them once (read once by the release).
        let set_files = settings
            .archives
            .iter()
            .map(|set| names::extra_files(&settings.app_dir, &format!("{}.files", set.key), &set.files))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut extra_files: Vec<(PathBuf, String)> = set_files.iter().flatten().cloned().collect();
        extra_files.sort_by(|a, b| a.1.cmp(&b.1));
        extra_files.dedup_by(|a, b| a.1 == b.1);

        let mut builds = Vec::new();
        // Every published file: the target and the key that named it.
        let mut names: BTreeMap<String, (Target, String)> = BTreeMap::new();
        for target in selection.targets {
            let names_here = binary_names(settings, &stamp, &target, caller_env)?;
            let outputs = names_here.iter().map(|n| format!("{target}/{}", target.exe_name(n))).collect();
            let archives = settings
                .archives
                .iter()
                .zip(&set_files)
                .map(|(set, files)| archive_plan(settings, set, files, &stamp, &target, &names_here, caller_env))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let packages = packages::plan(settings, &stamp, &target, &names_here, caller_env)?;
            let flags = settings
                .binaries
                .iter()
                .enumerate()
                .map(|(i, b)| build_flags(settings, &stamp, &target, i, b, &names_here[i], caller_env))
                .collect::<anyhow::Result<_>>()?;
            let env = build_env(settings, &source, &stamp, Some(&target), caller_env)?;
            let build = TargetBuild { target, names: names_here, outputs, flags, env, archives, packages };
            claim_names(&mut names, settings, &build)?;
            builds.push(build);
        }

        // Every target's binary names, as one digest: shards of one release agree on it.
        let all_names: Vec<(&Target, &Vec<String>)> = builds.iter().map(|b| (&b.target, &b.names)).collect();
        let names_digest = crate::digest::sha256_hex(serde_json::to_string(&all_names)?.as_bytes());
        let checksum_file = settings
            .checksum_name
            .render(&template_data(
                settings,
                &stamp,
                None,
                &release_binary_name(settings, &stamp, caller_env),
                caller_env,
            ))
            .context("cannot render `checksum.name`")?;
        names::check_name("checksum.name", &checksum_file)?;
        if let Some((_, key)) = names.get(&checksum_file) {
            bail!("`checksum.name` gives {checksum_file}, which {key} gives too: give the checksum file a name of its own");
        }
        // The whole matrix, for the images of a run of some targets only (which then makes none).
        let matrix = if selected.is_empty() {
            builds.iter().map(|b| b.target.clone()).collect()
        } else {
            let m = &settings.matrix;
            select(&m.targets, m.explicit, &toolchain.dist_list, &toolchain.label)?.targets
        };
        let (images, image_notes) = images::plan(settings, &stamp, &builds, &matrix, caller_env)?;
        for image in &images {
            if let Some((_, key)) = names.get(&image.file) {
                bail!(
                    "`{}.file_name` gives {}, which {key} gives too: give the image its own name",
                    image.key,
                    image.file
                );
            }
            if image.file == checksum_file {
                bail!(
                    "`{}.file_name` gives {}, the checksum file's name: give the image its own name",
                    image.key,
                    image.file
                );
            }
        }

        let provenance = match &settings.supply.provenance {
            Some(t) => {
                let data = template_data(
                    settings,
                    &stamp,
                    None,
                    &release_binary_name(settings, &stamp, caller_env),
                    caller_env,
                );
                let name = t.render(&data).context("cannot render `provenance.name`")?;
                names::check_name("provenance.name", &name)?;
                if name == checksum_file || names.contains_key(&name) || images.iter().any(|i| i.file == name) {
                    bail!("`provenance.name` gives {name}, which another file of the release has: give it a name of its own");
                }
                Some(name)
            }
            None => None,
        };
        let supply = supply::SupplyPlan {
            sbom: settings.supply.sbom_formats.clone(),
            provenance,
            sign_required: settings.supply.sign_required,
        };

        let flags: Vec<&[String]> = builds.iter().flat_map(|b| b.flags.iter().map(Vec::as_slice)).collect();
        // Every target's: a template may give one target a flag or variable the others lack.
        let envs: Vec<&BTreeMap<String, String>> = std::iter::once(&env).chain(builds.iter().map(|b| &b.env)).collect();
        let reads = reads::reads(&source.module_dir(), &flags, &envs);
        let linker_vars = linker_vars(settings, &builds);
        let download_settings = DownloadSettings::from(caller_env, &env);
        Ok(Plan {
            project: settings.project.clone(),
            extra_files,
            source,
            go_version: settings.go_version.clone(),
            image: settings.image.clone(),
            stamp,
            env,
            download,
            download_settings,
            binaries,
            builds,
            dropped: selection.dropped,
            checksum_file,
            shard: None,
            names_digest,
            env_values: supply::env_values(&serde_json::to_string(&settings.raw)?, caller_env),
            reads,
            linker_vars,
            images,
            image_notes,
            supply,
        })
    }

    /// What a user should know about the planned Linux packages (see [`packages::warnings`]).
    pub fn package_warnings(&self) -> Vec<String> {
        packages::warnings(&self.builds.iter().flat_map(|b| &b.packages).collect::<Vec<_>>())
    }

    /// The go commands that tell whether every `-X` variable exists (see `linker_vars`).
    pub fn probes(&self) -> Vec<Vec<String>> {
        crate::linker_vars::probes(&self.linker_vars, &self.mains(), &self.tags())
    }

    /// Checks the engine's answers to [`Plan::probes`]: an error for a missing
    /// `build.stamp` variable, warnings for other missing `-X` variables.
    pub fn check_linker_vars(&self, answers: &[StepResult]) -> anyhow::Result<Vec<String>> {
        let names = self.binary_labels();
        crate::linker_vars::check(&self.linker_vars, &self.mains(), &names, answers, &self.tags())
    }

    /// Each binary's `-tags=…` flag (the last, as Go takes it) for the first target, if any.
    fn tags(&self) -> Vec<Option<String>> {
        let first = self.builds.first().map(|b| b.flags.as_slice()).unwrap_or_default();
        first.iter().map(|flags| flags.iter().rfind(|f| f.starts_with("-tags=")).cloned()).collect()
    }

    fn mains(&self) -> Vec<String> {
        self.binaries.iter().map(|b| b.main.clone()).collect()
    }

    /// The digest of what the builds read (see [`Source::digest`]).
    pub fn source_digest(&self) -> anyhow::Result<crate::source::SourceDigest> {
        self.source.digest(&self.reads.named, self.reads.everything)
    }

    /// The whole `go build …` command line of `build` writing binary `index` to `output`.
    pub fn go_build_argv(&self, build: &TargetBuild, index: usize, output: &str) -> Vec<String> {
        let mut args = vec!["go".to_owned(), "build".to_owned()];
        args.extend(build.flags[index].iter().cloned());
        args.extend(["-o".to_owned(), output.to_owned(), self.binaries[index].main.clone()]);
        args
    }

    /// The whole environment of one target's `go build`.
    pub fn env_for(&self, build: &TargetBuild) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = build.env.clone().into_iter().collect();
        env.extend(build.target.go_env().into_iter().map(|(k, v)| (k.to_owned(), v)));
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
            build.outputs.iter().enumerate().map(|(i, output)| self.go_build_argv(build, i, output)).collect();
        let source = match build_tags(build, &self.env_for(build)) {
            Some(tags) => inputs.source_digest.for_target(&build.target.os, &build.target.arch, &tags),
            None => inputs.source_digest.whole(),
        };
        let key = serde_json::json!({
            "keys": KEY_FORMAT,
            "source": source,
            "engine": inputs.engine,
            "toolchain": inputs.toolchain,
            "image": (inputs.engine == Engine::Dagger).then_some(&self.image),
            "env": self.env_for(build),
            "download": self.download,
            "argv": argv,
            "stamp": self.stamp,
        });
        crate::digest::sha256_hex(key.to_string().as_bytes())
    }

    /// Each binary's name for messages: its file name when every target has the same, else its
    /// name as the settings give it (a template of the target's fields).
    pub fn binary_labels(&self) -> Vec<String> {
        match self.builds.first() {
            Some(first) if self.builds.iter().all(|b| b.names == first.names) => first.names.clone(),
            _ => self.binaries.iter().map(|b| b.name.clone()).collect(),
        }
    }

    /// Shard `index` of `count` (1-based): every `count`-th target of the sorted
    /// list, starting at `index`, so shard sizes differ by one at most.
    pub fn shard(&self, index: usize, count: usize) -> Plan {
        let keep: Vec<usize> = (0..self.builds.len()).filter(|i| i % count == index - 1).collect();
        let mut image_notes = self.image_notes.clone();
        image_notes.extend(self.images.iter().map(|i| {
            format!("{} (`{}`) is made by `cargo xtask dist merge`, which has every platform's binary", i.file, i.key)
        }));
        // The images stay in the plan: the shard's manifest records them for `merge`.
        Plan { shard: Some(format!("{index}/{count}")), image_notes, ..self.subset(&keep) }
    }

    /// The same plan for some of its targets only.
    pub fn subset(&self, keep: &[usize]) -> Plan {
        let builds = keep.iter().map(|&i| self.builds[i].clone()).collect();
        Plan { builds, ..self.clone() }
    }
}

/// Records every file `build` publishes in `names` (file → the target and the key that named it),
/// refusing one that another file of the release already has, naming both keys.
fn claim_names(
    names: &mut BTreeMap<String, (Target, String)>,
    settings: &Resolved,
    build: &TargetBuild,
) -> anyhow::Result<()> {
    let archive_files = settings.archives.iter().zip(&build.archives).flat_map(|(set, a)| {
        let key = format!("`{}.name`", set.key);
        a.package.files().into_iter().map(move |f| (f, key.clone()))
    });
    let package_files = build.packages.iter().map(|p| (p.file.clone(), format!("`{}.file_name`", p.key)));
    let target = &build.target;
    for (file, key) in archive_files.chain(package_files) {
        let Some((other, other_key)) = names.insert(file.clone(), (target.clone(), key.clone())) else { continue };
        if other_key != key {
            let targets =
                if other == *target { format!("for {target}") } else { format!("(for {other} and {target})") };
            bail!("{other_key} and {key} both give {file} {targets}: give each its own name");
        }
        let hint = if key.starts_with("`packages") { ".Format" } else { ".Binary for bare binaries" };
        if other == *target {
            bail!("{key} gives {file} twice for {target}: give each file a name of its own ({hint})");
        }
        bail!("{key} gives {file} for both {other} and {target}: use .Os, .Arch and .Arm (and {hint}) in it");
    }
    Ok(())
}

/// What archive set `set` publishes for `target`: one archive of its binaries and `files`, or each binary bare.
fn archive_plan(
    settings: &Resolved,
    set: &ResolvedArchive,
    files: &[(PathBuf, String)],
    stamp: &Stamp,
    target: &Target,
    binaries: &[String],
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<ArchivePlan> {
    let name = |binary: usize| names::archive_name(settings, set, stamp, target, &binaries[binary], caller_env);
    let package = match set.format_for(&target.os) {
        Format::Binary => {
            Package::Bare(set.binaries.iter().map(|&b| Ok(target.exe_name(&name(b)?))).collect::<anyhow::Result<_>>()?)
        }
        format @ (Format::TarGz | Format::Zip) => {
            // `.Binary` in an archive's name is its first binary's, as in GoReleaser.
            let folder = name(set.binaries[0])?;
            Package::Archive {
                file: format!("{folder}{}", format.extension()),
                format,
                folder: set.wrap.then_some(folder),
                files: files.iter().map(|(_, name)| name.clone()).collect(),
            }
        }
    };
    Ok(ArchivePlan { id: set.id.clone(), binaries: set.binaries.clone(), package })
}

/// The build tags of a target's builds, which can bring in a file another system's name would
/// keep out (`-tags=linux`); `None` when they are given in a form not read here (a separate
/// argument, quotes or spaces, which Go splits its own way; GOFLAGS): then nothing is left out.
fn build_tags(build: &TargetBuild, env: &[(String, String)]) -> Option<Vec<String>> {
    if env.iter().any(|(k, v)| k == "GOFLAGS" && v.contains("tags")) {
        return None;
    }
    let mut tags = Vec::new();
    for flag in build.flags.iter().flatten() {
        let name = flag.trim_start_matches('-');
        if name == "tags" || (name.starts_with("tags=") && flag.contains([' ', '\'', '"'])) {
            return None;
        }
        if let Some(value) = name.strip_prefix("tags=") {
            tags.extend(value.split(',').filter(|t| !t.is_empty()).map(str::to_owned));
        }
    }
    tags.sort();
    Some(tags)
}

/// The format of the keys themselves: a change to what they cover starts over.
pub const KEY_FORMAT: &str = "cargo-xtask-dist keys 4";

/// What a target key is made of besides the plan.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub source_digest: crate::source::SourceDigest,
    /// [`Toolchain::fingerprint`].
    pub toolchain: String,
    pub engine: Engine,
}

/// What makes a go command ignore its surroundings: no toolchain switch, no
/// GOENV file, no GOFLAGS of the caller. Every go command this tool runs
/// (probes included) starts from this, on every engine.
pub const NEUTRAL_GO_ENV: [(&str, &str); 3] = [("GOTOOLCHAIN", "local"), ("GOENV", "off"), ("GOFLAGS", "")];

/// [`NEUTRAL_GO_ENV`] outside any workspace: for a go command asked about Go
/// itself (its version, its targets, a toolchain module), not about the module.
pub const PROBE_GO_ENV: [(&str, &str); 4] =
    [("GOTOOLCHAIN", "local"), ("GOENV", "off"), ("GOFLAGS", ""), ("GOWORK", "off")];

/// Only what the settings say, plus what makes Go ignore its surroundings:
/// the caller's GOFLAGS, GOWORK, GOENV file, GOTOOLCHAIN… never apply.
/// `build.env`'s values are templates, filled for `target` (without one,
/// `.Os`, `.Arch` and `.Arm` are empty: the module download's environment).
pub fn build_env(
    settings: &Resolved,
    source: &Source,
    stamp: &Stamp,
    target: Option<&Target>,
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut env: BTreeMap<String, String> =
        NEUTRAL_GO_ENV.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.insert("CGO_ENABLED".to_owned(), "0".to_owned());
    if source.workspace.is_none() {
        // A go.work above the upload would apply on the host and not in a container.
        env.insert("GOWORK".to_owned(), "off".to_owned());
    }
    let data = names::template_data(settings, stamp, target, "", caller_env);
    for (k, v) in &settings.build.env {
        env.insert(k.clone(), render(&format!("build.env.{k}"), v, &data, target)?);
    }
    Ok(env)
}

/// Each binary's file name for `target`: a template (GoReleaser's `{{ .ProjectName }}_v{{ .Version }}`,
/// or `{{ .ProjectName }}_{{ .Os }}`) filled for it.
fn binary_names(
    settings: &Resolved,
    stamp: &Stamp,
    target: &Target,
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<String>> {
    let data = names::template_data(settings, stamp, Some(target), "", caller_env);
    let mut out: Vec<String> = Vec::new();
    for (i, b) in settings.binaries.iter().enumerate() {
        let key =
            if settings.raw.binaries.is_empty() { "app.binary".to_owned() } else { format!("binaries[{i}].name") };
        let name = if b.templated { render(&key, &b.name, &data, Some(target))? } else { b.name.clone() };
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') || name.contains(char::is_control) {
            bail!("`{key}` = {:?} gives {name:?} for {target}, which is not a file name", b.name);
        }
        if out.contains(&name) {
            bail!("`{key}` gives {name:?} for {target}, the name of another binary: give each its own");
        }
        out.push(name);
    }
    Ok(out)
}

/// The first binary's name without a target, for `.Binary` in the checksum file's name (one file
/// for the whole release, whatever targets a run builds): the target's fields are empty.
fn release_binary_name(settings: &Resolved, stamp: &Stamp, caller_env: &BTreeMap<String, String>) -> String {
    let b = &settings.binaries[0];
    let data = names::template_data(settings, stamp, None, "", caller_env);
    if b.templated {
        render("app.binary", &b.name, &data, None).unwrap_or_else(|_| b.name.clone())
    } else {
        b.name.clone()
    }
}

/// `text` (checked when the settings were read) with its template filled.
fn render(key: &str, text: &str, data: &crate::template::Data, target: Option<&Target>) -> anyhow::Result<String> {
    let for_target = target.map(|t| format!(" for {t}")).unwrap_or_default();
    crate::template::Template::parse(text)
        .and_then(|t| t.render(data))
        .with_context(|| format!("cannot fill the template in `{key}`{for_target}"))
}

/// One binary's `go build` flags for `target`: `-ldflags` (its templates filled, then the stamp's -X),
/// `-tags`, `build.flags` and the binary's own (each a template), as GoReleaser fills them per target.
fn build_flags(
    settings: &Resolved,
    stamp: &Stamp,
    target: &Target,
    index: usize,
    b: &crate::settings::Binary,
    name: &str,
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<String>> {
    let data = names::template_data(settings, stamp, Some(target), name, caller_env);
    let own = settings.raw.binaries.get(index).is_some_and(|raw| raw.ldflags.is_some());
    let ldflags_key = if own { format!("binaries[{index}].ldflags") } else { "build.ldflags".to_owned() };
    // Rendered as one: a template may span words (`{{ if .IsSnapshot }}-X main.channel=dev{{ end }}`).
    let linker = render(&ldflags_key, &b.ldflags.join(" "), &data, Some(target))?;
    let mut flags = vec!["-trimpath".to_owned(), "-buildvcs=false".to_owned()];
    flags.push(format!("-ldflags={}", ldflags(&linker, settings, stamp)));
    if !settings.build.tags.is_empty() {
        flags.push(format!("-tags={}", settings.build.tags.join(",")));
    }
    // A flag whose template gives nothing is left out (an empty argument would end go build's flags),
    // and what a template gives is checked as a flag written out would be.
    for (key, list, tags_too) in
        [("build.flags".to_owned(), &settings.build.flags, true), (format!("binaries[{index}].flags"), &b.flags, false)]
    {
        let mut filled = Vec::new();
        for (i, f) in list.iter().enumerate() {
            let flag = render(&format!("{key}[{i}]"), f, &data, Some(target))?;
            if !flag.trim().is_empty() {
                filled.push(flag);
            }
        }
        crate::settings::check_flags(&format!("{key} (for {target})"), &filled, tags_too)?;
        flags.extend(filled);
    }
    Ok(flags)
}

/// The stamp variables and every other `-X` of each binary's ldflags (templates filled, for
/// every target: one may give a target a variable the others lack), once each.
fn linker_vars(settings: &Resolved, builds: &[TargetBuild]) -> Vec<LinkerVar> {
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
        let rendered = builds.iter().filter_map(|t| t.flags[b].iter().find_map(|f| f.strip_prefix("-ldflags=")));
        let mut ldflags: Vec<String> = rendered.map(str::to_owned).collect();
        if ldflags.is_empty() {
            ldflags.push(binary.ldflags.join(" "));
        }
        for symbol in ldflags.iter().flat_map(|l| crate::linker_vars::x_vars(l)) {
            if !vars.iter().any(|v| v.binary == b && v.symbol == symbol) {
                vars.push(LinkerVar { key: key.clone(), symbol, binary: b, required: false });
            }
        }
    }
    vars
}

fn ldflags(linker: &str, settings: &Resolved, stamp: &Stamp) -> String {
    let mut parts: Vec<String> = if linker.trim().is_empty() { vec![] } else { vec![linker.trim().to_owned()] };
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
