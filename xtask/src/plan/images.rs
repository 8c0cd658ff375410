//! What each `[[images]]` entry makes: one OCI image layout archive holding an
//! image of one binary for each of its linux targets, every name, label and
//! config value filled from the settings and the stamp.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::names::{check_name, template_data};
use super::TargetBuild;
use crate::settings::{Resolved, ResolvedImage};
use crate::stamp::Stamp;
use crate::target::Target;

/// Everything an image archive holds but the binaries' bytes. A shard's
/// manifest records it, so `dist merge` can make the image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImagePlan {
    /// `images[N]`, for messages.
    pub key: String,
    /// The archive, relative to the release: `<file_name>.tar`.
    pub file: String,
    /// The repository, e.g. `ghcr.io/acme/hello`.
    pub repository: String,
    pub tags: Vec<String>,
    /// Index into `Plan::binaries`.
    pub binary: usize,
    /// That binary's name as the settings give it (its artifacts' `binary`).
    pub label: String,
    /// Its platforms, in the plan's target order.
    pub platforms: Vec<Target>,
    /// Per platform: the binary's path in the image (`bindir/<its name for that target>`).
    pub paths: Vec<String>,
    /// The base image, pinned by digest (`repo@sha256:…`); `None`: scratch.
    pub base: Option<String>,
    pub ca_certificates: bool,
    pub tzdata: bool,
    /// More files: (on the host, in the image, mode).
    pub files: Vec<(PathBuf, String, u32)>,
    /// Each file's SHA-256 when planned: what the image holds, checked when it is written.
    pub file_sha256: Vec<String>,
    pub config: ImageConfig,
    /// On the index and every manifest.
    pub annotations: BTreeMap<String, String>,
    /// Built from a Dockerfile by the Dagger engine instead (`dockerfile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfilePlan>,
}

/// A Dockerfile image: what the Dagger engine's Dockerfile build gets for each platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DockerfilePlan {
    /// The build context's files but the binary: (on the host, path in the context, SHA-256); the
    /// Dockerfile first.
    pub context: Vec<(PathBuf, String, String)>,
    /// Its `--build-arg`s, filled.
    pub build_args: BTreeMap<String, String>,
}

/// The OCI image config's `config`, the same for every platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageConfig {
    pub user: String,
    /// Empty: the binary.
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `KEY=value`, sorted; PATH first.
    pub env: Vec<String>,
    pub ports: Vec<String>,
    pub workdir: String,
    pub labels: BTreeMap<String, String>,
    /// The commit date: the image's `created`.
    pub created: String,
}

/// The PATH of a scratch image (distroless's); a base image's own PATH wins over it.
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The images of this plan's targets, and why any entry makes none. `matrix` is every target of
/// the settings' matrix the toolchain builds: an image without `platforms` holds all its linux ones.
pub fn plan(
    settings: &Resolved,
    stamp: &Stamp,
    builds: &[TargetBuild],
    matrix: &[Target],
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<(Vec<ImagePlan>, Vec<String>)> {
    let mut images = Vec::new();
    let mut notes = Vec::new();
    for image in &settings.images {
        let linux: Vec<&TargetBuild> = builds.iter().filter(|b| b.target.os == "linux").collect();
        let wanted: Vec<Target> = if image.platforms.is_empty() {
            matrix.iter().filter(|t| t.os == "linux").cloned().collect()
        } else {
            image.platforms.clone()
        };
        if let Some(arm) = wanted.iter().find(|t| t.arch == "arm" && t.arm.is_none()) {
            bail!(
                "`{}` would hold {arm} without a GOARM variant, and an image's platform must say which: list \
                 arm = [\"7\"] (or 6, 5) in [targets], or leave {arm} out of its platforms",
                image.key
            );
        }
        let chosen: Vec<&TargetBuild> = {
            let missing: Vec<String> =
                wanted.iter().filter(|p| !linux.iter().any(|b| b.target == **p)).map(|p| p.to_string()).collect();
            if !missing.is_empty() {
                notes.push(format!(
                    "no image from `{}`: this run does not build {} (its platforms)",
                    image.key,
                    missing.join(" ")
                ));
                continue;
            }
            linux.into_iter().filter(|b| wanted.contains(&b.target)).collect()
        };
        if chosen.is_empty() {
            notes.push(format!("no image from `{}`: this run builds no linux target", image.key));
            continue;
        }
        images.push(one(settings, image, stamp, &chosen, caller_env)?);
    }
    let mut files: Vec<&str> = images.iter().map(|i| i.file.as_str()).collect();
    files.sort();
    if let Some(w) = files.windows(2).find(|w| w[0] == w[1]) {
        bail!("two [[images]] entries give {}: give each its own `file_name`", w[0]);
    }
    Ok((images, notes))
}

fn one(
    settings: &Resolved,
    image: &ResolvedImage,
    stamp: &Stamp,
    builds: &[&TargetBuild],
    caller_env: &BTreeMap<String, String>,
) -> anyhow::Result<ImagePlan> {
    let key = &image.key;
    let binary_name = &builds[0].names[image.binary];
    let data = template_data(settings, stamp, None, binary_name, caller_env);
    let render = |what: String, t: &crate::template::Template| {
        t.render(&data).with_context(|| format!("cannot render `{key}.{what}`"))
    };
    let file = format!("{}.tar", render("file_name".into(), &image.file_name)?);
    check_name(&format!("{key}.file_name"), &file)?;
    let repository = match &image.name {
        Some(t) => render("name".into(), t)?,
        None => settings.project.clone(),
    };
    check_reference(&format!("{key}.name"), &repository)?;
    let mut tags = Vec::new();
    for (i, t) in image.tags.iter().enumerate() {
        let tag = render(format!("tags[{i}]"), t)?;
        // As GoReleaser: a tag that renders empty (`{{ .Tag }}` before the first tag) is skipped.
        if tag.is_empty() {
            continue;
        }
        if !is_tag(&tag) {
            bail!("`{key}.tags[{i}]` gives {tag:?}, which is not an image tag (letters, digits, `_`, `.`, `-`)");
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.is_empty() {
        bail!(
            "every tag of `{key}.tags` is empty for version {}: add one that is not, e.g. \"{{{{ .Version }}}}\"",
            stamp.version
        );
    }
    // RFC 3339 always (`stamp.date` is "unknown" outside git), as the config's `created`.
    let created = crate::stamp::rfc3339(stamp.epoch);
    let mut labels = BTreeMap::from([
        ("org.opencontainers.image.created".to_owned(), created.clone()),
        ("org.opencontainers.image.revision".to_owned(), stamp.commit.clone()),
        ("org.opencontainers.image.title".to_owned(), binary_name.clone()),
        ("org.opencontainers.image.version".to_owned(), stamp.version.clone()),
    ]);
    if !stamp.remote.is_empty() {
        labels.insert("org.opencontainers.image.source".to_owned(), stamp.remote.clone());
    }
    let mut annotations = labels.clone();
    for (k, t) in &image.labels {
        labels.insert(k.clone(), render(format!("labels.{k}"), t)?);
    }
    for (k, t) in &image.annotations {
        annotations.insert(k.clone(), render(format!("annotations.{k}"), t)?);
    }
    let mut env = vec![DEFAULT_PATH.to_owned()];
    env.extend(image.env.iter().filter(|(k, _)| *k != "PATH").map(|(k, v)| format!("{k}={v}")));
    if let Some(path) = image.env.get("PATH") {
        env[0] = format!("PATH={path}");
    }
    let paths: Vec<String> = builds.iter().map(|b| format!("{}/{}", image.bindir, b.names[image.binary])).collect();
    let files =
        image.files.iter().map(|(src, dst, mode)| (settings.app_dir.join(src), dst.clone(), *mode)).collect::<Vec<_>>();
    // What the xtask itself puts there would clash (or silently shadow a file in another layer).
    let mut taken: Vec<(String, &str)> = paths.iter().map(|p| (p.clone(), "the binary")).collect();
    if image.base.is_none() {
        taken.extend(SCRATCH_PATHS.map(|p| (p.to_owned(), "a scratch image's own")));
    }
    if image.ca_certificates {
        taken.push((
            format!("/{}", crate::release::image::CA_BUNDLE),
            "the CA bundle (ca_certificates = false leaves it out)",
        ));
    }
    if image.tzdata {
        taken
            .push((format!("/{}", crate::release::image::ZONEINFO), "the time zones (tzdata = false leaves them out)"));
    }
    for (_, dst, _) in &files {
        let clash = taken
            .iter()
            .find(|(p, _)| dst == p || dst.starts_with(&format!("{p}/")) || p.starts_with(&format!("{dst}/")));
        if let Some((p, what)) = clash {
            bail!("`{key}.files` puts a file at {dst}, where {p} is {what}: choose another dst");
        }
    }
    if let Some(p) = paths.iter().find(|p| SCRATCH_PATHS.iter().any(|s| p.starts_with(&format!("{s}/")))) {
        bail!("`{key}.bindir` puts the binary at {p}, inside a directory the image itself makes: choose another");
    }
    let mut file_sha256 = Vec::new();
    for (src, _, _) in &files {
        if !src.is_file() {
            bail!("`{key}.files` names {}, which is not a file", src.display());
        }
        let bytes = std::fs::read(src).with_context(|| format!("cannot read {} (`{key}.files`)", src.display()))?;
        file_sha256.push(crate::digest::sha256_hex(&bytes));
    }
    let dockerfile = match &image.dockerfile {
        None => None,
        Some((file, args, extra)) => {
            let mut context = Vec::new();
            for rel in std::iter::once(file).chain(extra) {
                let src = settings.app_dir.join(rel);
                let bytes = std::fs::read(&src)
                    .with_context(|| format!("`{key}` names {}, which cannot be read", src.display()))?;
                context.push((src, rel.replace('\\', "/"), crate::digest::sha256_hex(&bytes)));
            }
            let build_args = args
                .iter()
                .map(|(k, t)| Ok((k.clone(), render(format!("build_args.{k}"), t)?)))
                .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
            Some(DockerfilePlan { context, build_args })
        }
    };
    Ok(ImagePlan {
        dockerfile,
        key: key.clone(),
        file,
        repository,
        tags,
        binary: image.binary,
        label: settings.binaries[image.binary].name.clone(),
        platforms: builds.iter().map(|b| b.target.clone()).collect(),
        paths,
        base: image.base.clone(),
        ca_certificates: image.ca_certificates,
        tzdata: image.tzdata,
        files,
        file_sha256,
        config: ImageConfig {
            user: image.user.clone(),
            entrypoint: image.entrypoint.clone(),
            cmd: image.cmd.clone(),
            env,
            ports: image.ports.clone(),
            workdir: image.workdir.clone(),
            labels,
            created,
        },
        annotations,
    })
}

/// An OCI tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; a version's `+` is not allowed.
fn is_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// A repository as `docker pull` takes it: lowercase path components, an optional registry host[:port].
fn check_reference(key: &str, repository: &str) -> anyhow::Result<()> {
    let component = |c: &str| {
        let edge = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
        c.starts_with(edge)
            && c.ends_with(edge)
            && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    };
    let host = |p: &str| {
        let (name, port) = p.split_once(':').unwrap_or((p, "1"));
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
            && port.parse::<u16>().is_ok()
    };
    let ok = repository.len() <= 255
        && repository.split('/').enumerate().all(|(i, p)| {
            let is_host = i == 0 && repository.contains('/') && (p.contains(['.', ':']) || p == "localhost");
            if is_host {
                host(p)
            } else {
                component(p)
            }
        });
    if !ok {
        bail!(
            "`{key}` gives {repository:?}, which is not an image repository (lowercase, e.g. \"ghcr.io/acme/hello\")"
        );
    }
    Ok(())
}

/// Paths a scratch image's own files take (`release/image.rs`), which `files` may not.
const SCRATCH_PATHS: [&str; 4] = ["/etc/passwd", "/etc/group", "/tmp", "/home/nonroot"];

impl ImagePlan {
    /// What a plan from elsewhere (a shard's manifest, for `dist merge`) must hold, as one made here
    /// does: a file name inside the release, a repository, tags.
    pub fn check(&self) -> anyhow::Result<()> {
        check_name(&format!("{}.file_name", self.key), &self.file)?;
        check_reference(&format!("{}.name", self.key), &self.repository)?;
        if self.tags.is_empty() || !self.tags.iter().all(|t| is_tag(t)) {
            bail!("{}: tags {:?} are not image tags", self.key, self.tags);
        }
        let n = self.platforms.len();
        if n == 0 || self.paths.len() != n || self.files.len() != self.file_sha256.len() {
            bail!("{}: the plan's platforms, paths and files do not agree", self.key);
        }
        Ok(())
    }

    /// Where each of its files (and a Dockerfile's context) is on the host.
    fn sources_mut(&mut self) -> impl Iterator<Item = &mut PathBuf> {
        let context = self.dockerfile.iter_mut().flat_map(|d| d.context.iter_mut().map(|c| &mut c.0));
        self.files.iter_mut().map(|f| &mut f.0).chain(context)
    }

    /// The plan with its files named relative to `root` (the project): what a shard's manifest records,
    /// so that `dist merge` finds them in its own checkout, wherever that is.
    pub fn relative_to(&self, root: &Path) -> ImagePlan {
        let mut plan = self.clone();
        for src in plan.sources_mut() {
            if let Ok(rel) = src.strip_prefix(root) {
                *src = rel.to_path_buf();
            }
        }
        plan
    }

    /// A recorded plan's files found under `root` (this checkout); a relative path must stay inside it.
    pub fn rooted_at(&self, root: &Path) -> anyhow::Result<ImagePlan> {
        let mut plan = self.clone();
        for src in plan.sources_mut() {
            if src.is_relative() {
                if !src.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
                    bail!("{}: the file {} is not inside the project", self.key, src.display());
                }
                *src = root.join(&*src);
            }
        }
        Ok(plan)
    }

    /// The plan without where its files are on this machine: equal for every shard of one build.
    pub fn portable(&self) -> ImagePlan {
        let mut plan = self.clone();
        for src in plan.sources_mut() {
            *src = PathBuf::new();
        }
        plan
    }
}

/// A target's OCI platform: (os, architecture, variant); Go's GOARCH names are OCI's.
pub fn platform(target: &Target) -> (String, String, Option<String>) {
    (target.os.clone(), target.arch.clone(), target.arm.map(|v| format!("v{v}")))
}
