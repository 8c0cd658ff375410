//! `[[images]]`: a multi-platform OCI image of one binary for the linux
//! targets, written as an OCI image layout archive into the release (what
//! `ko` and GoReleaser's `dockers_v2` give, without a Docker daemon).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::{parse_template, pick_binaries, Binary};
use crate::target::Target;
use crate::template::Template;

/// The image archive's name without `.tar`.
pub const DEFAULT_IMAGE_FILE_NAME: &str = "{{ .ProjectName }}_{{ .Version }}_image";
pub const DEFAULT_IMAGE_TAGS: [&str; 1] = ["{{ .Version }}"];
/// distroless's and ko's `nonroot`: an image runs as no one in particular unless it says otherwise.
pub const DEFAULT_IMAGE_USER: &str = "65532:65532";
pub const DEFAULT_IMAGE_BINDIR: &str = "/usr/local/bin";

/// One `[[images]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ImageSettings {
    /// The image's repository, e.g. `ghcr.io/acme/hello` (a template); the project's name when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The binary it runs, by name; the first binary when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// `os/arch[/vN]` of the linux targets it holds; every linux target built when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// `scratch` (the image holds only what these settings put in it), or an image pinned by digest
    /// (`gcr.io/distroless/static@sha256:…`) whose layers come first.
    pub base: String,
    /// Mozilla's CA certificates at /etc/ssl/certs/ca-certificates.crt (for HTTPS clients); default: on a
    /// scratch base only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_certificates: Option<bool>,
    /// The IANA time zone database at /usr/share/zoneinfo (for `time.LoadLocation`); default: on scratch only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tzdata: Option<bool>,
    /// `uid[:gid]` the program runs as.
    pub user: String,
    /// Where the binary goes.
    pub bindir: String,
    /// The program and its first arguments; the binary alone when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// Default arguments after the entrypoint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Exposed ports: `8080`, `8080/tcp`, `53/udp`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workdir: String,
    /// More files: `src` relative to `app.dir`, `dst` an absolute path in the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ImageFile>,
    /// Config labels (templates), besides the `org.opencontainers.image.*` ones filled from the stamp.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Index and manifest annotations (templates), besides the stamp's.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Tags (templates): the first names the image inside the archive; all are pushed by a publish.
    pub tags: Vec<String>,
    /// The archive's name without `.tar` (a template).
    pub file_name: String,
    /// A Dockerfile (relative to `app.dir`) the Dagger engine builds for each platform instead, its
    /// context the binary (under its name) and `extra_files`: GoReleaser's `dockers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// `--build-arg`s of the Dockerfile (templates).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, String>,
    /// More files of the Dockerfile's context, relative to `app.dir`, at the same path in the context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_files: Vec<String>,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            name: None,
            binary: None,
            platforms: vec![],
            base: "scratch".into(),
            ca_certificates: None,
            tzdata: None,
            user: DEFAULT_IMAGE_USER.into(),
            bindir: DEFAULT_IMAGE_BINDIR.into(),
            entrypoint: vec![],
            cmd: vec![],
            env: BTreeMap::new(),
            ports: vec![],
            workdir: String::new(),
            files: vec![],
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            tags: DEFAULT_IMAGE_TAGS.map(String::from).to_vec(),
            file_name: DEFAULT_IMAGE_FILE_NAME.into(),
            dockerfile: None,
            build_args: BTreeMap::new(),
            extra_files: vec![],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ImageFile {
    pub src: String,
    pub dst: String,
    /// Octal, e.g. `"0644"` (the default; `"0755"` for a program).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
}

/// A Dockerfile image's: the Dockerfile (relative to `app.dir`), its build args, its context's extra files.
pub type DockerfileSettings = (String, BTreeMap<String, Template>, Vec<String>);

/// An image entry, checked, its templates parsed.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// `images[N]`, for messages.
    pub key: String,
    pub name: Option<Template>,
    /// Index into the resolved binaries.
    pub binary: usize,
    /// Empty: every linux target.
    pub platforms: Vec<Target>,
    /// The base image (pinned by digest); `None`: scratch.
    pub base: Option<String>,
    pub ca_certificates: bool,
    pub tzdata: bool,
    pub user: String,
    pub bindir: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Normalised `port/proto`.
    pub ports: Vec<String>,
    pub workdir: String,
    /// (src relative to app.dir, absolute dst, mode).
    pub files: Vec<(String, String, u32)>,
    pub labels: BTreeMap<String, Template>,
    pub annotations: BTreeMap<String, Template>,
    pub tags: Vec<Template>,
    pub file_name: Template,
    /// The Dockerfile (relative to `app.dir`), its build args, its context's extra files.
    pub dockerfile: Option<DockerfileSettings>,
}

pub fn resolve(images: &[ImageSettings], binaries: &[Binary]) -> anyhow::Result<Vec<ResolvedImage>> {
    let mut out = Vec::new();
    for (i, s) in images.iter().enumerate() {
        let key = format!("images[{i}]");
        let base = (s.base != "scratch").then(|| s.base.clone());
        if let Some(base) = &base {
            let pinned = base.split_once("@sha256:").is_some_and(|(repo, hex)| {
                !repo.is_empty()
                    && hex.len() == 64
                    && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            });
            if !pinned {
                bail!(
                    "`{key}.base` = {base:?} must be \"scratch\" or an image pinned by digest, so that the image is the \
                     same bytes every time, e.g. \"gcr.io/distroless/static@sha256:…\" (`skopeo inspect --format \
                     '{{{{.Digest}}}}' docker://IMAGE` or `crane digest IMAGE` prints it)"
                );
            }
        }
        let binary = match &s.binary {
            Some(name) => pick_binaries(&format!("{key}.binary"), std::slice::from_ref(name), binaries)?[0],
            None => 0,
        };
        let mut platforms = Vec::new();
        for p in &s.platforms {
            let t: Target = p.parse().with_context(|| format!("`{key}.platforms` has {p:?}"))?;
            if t.os != "linux" {
                bail!("`{key}.platforms` has {p}: images hold linux targets only");
            }
            if platforms.contains(&t) {
                bail!("`{key}.platforms` lists {p} twice");
            }
            platforms.push(t);
        }
        let user_ok =
            |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if s.user.is_empty() || !s.user.split(':').all(user_ok) || s.user.split(':').count() > 2 {
            bail!("`{key}.user` = {:?} is not `uid[:gid]` (or `name[:group]`), e.g. \"65532:65532\"", s.user);
        }
        check_absolute(&format!("{key}.bindir"), &s.bindir)?;
        if !s.workdir.is_empty() {
            check_absolute(&format!("{key}.workdir"), &s.workdir)?;
        }
        for k in s.env.keys() {
            if k.is_empty() || k.contains('=') {
                bail!("`{key}.env` has {k:?}: a variable name is not empty and has no `=`");
            }
        }
        let ports = s
            .ports
            .iter()
            .map(|p| {
                let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                match (num.parse::<u16>(), proto) {
                    (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Ok(format!("{n}/{proto}")),
                    _ => bail!("`{key}.ports` has {p:?}: give a port, or port/tcp, port/udp, port/sctp"),
                }
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut dsts = BTreeSet::new();
        let mut files = Vec::new();
        for (j, f) in s.files.iter().enumerate() {
            let at = format!("{key}.files[{j}]");
            if f.src.trim().is_empty() {
                bail!("`{at}.src` is empty: give a file relative to app.dir");
            }
            check_absolute(&format!("{at}.dst"), &f.dst)?;
            if f.dst.ends_with('/') {
                bail!("`{at}.dst` = {:?} is a directory: give the file's full path in the image", f.dst);
            }
            if !dsts.insert(f.dst.clone()) {
                bail!("`{at}.dst` = {:?}: another file goes there too", f.dst);
            }
            let mode = if f.mode.is_empty() { 0o644 } else { super::parse_mode(&format!("{at}.mode"), &f.mode)? };
            if !inside_module(&f.src) {
                bail!("`{at}.src` = {:?} is outside the module: give a path relative to app.dir", f.src);
            }
            files.push((f.src.clone(), f.dst.clone(), mode));
        }
        if s.tags.is_empty() {
            bail!("`{key}.tags` is empty: an image needs a tag to be named by, e.g. [\"{{{{ .Version }}}}\"]");
        }
        let templates = |what: &str, map: &BTreeMap<String, String>| {
            map.iter()
                .map(|(k, v)| Ok((k.clone(), parse_template(&format!("{key}.{what}.{k}"), v)?)))
                .collect::<anyhow::Result<BTreeMap<_, _>>>()
        };
        out.push(ResolvedImage {
            key: key.clone(),
            name: s.name.as_deref().map(|n| parse_template(&format!("{key}.name"), n)).transpose()?,
            binary,
            platforms,
            ca_certificates: s.ca_certificates.unwrap_or(base.is_none() && s.dockerfile.is_none()),
            tzdata: s.tzdata.unwrap_or(base.is_none() && s.dockerfile.is_none()),
            dockerfile: dockerfile(&key, s)?,
            base,
            user: s.user.clone(),
            bindir: s.bindir.trim_end_matches('/').to_owned(),
            entrypoint: s.entrypoint.clone(),
            cmd: s.cmd.clone(),
            env: s.env.clone(),
            ports,
            workdir: s.workdir.clone(),
            files,
            labels: templates("labels", &s.labels)?,
            annotations: templates("annotations", &s.annotations)?,
            tags: s
                .tags
                .iter()
                .enumerate()
                .map(|(j, t)| parse_template(&format!("{key}.tags[{j}]"), t))
                .collect::<anyhow::Result<_>>()?,
            file_name: parse_template(&format!("{key}.file_name"), &s.file_name)?,
        });
    }
    Ok(out)
}

/// A Dockerfile image's settings, checked: the Dockerfile decides what the image holds and how it runs.
fn dockerfile(key: &str, s: &ImageSettings) -> anyhow::Result<Option<DockerfileSettings>> {
    let Some(dockerfile) = &s.dockerfile else {
        if !s.build_args.is_empty() || !s.extra_files.is_empty() {
            bail!("`{key}.build_args` and `.extra_files` are a Dockerfile's: set `{key}.dockerfile`, or remove them");
        }
        return Ok(None);
    };
    let d = ImageSettings::default();
    let decided = [
        ("base", s.base != d.base),
        ("ca_certificates", s.ca_certificates.is_some()),
        ("tzdata", s.tzdata.is_some()),
        ("user", s.user != d.user),
        ("bindir", s.bindir != d.bindir),
        ("entrypoint", !s.entrypoint.is_empty()),
        ("cmd", !s.cmd.is_empty()),
        ("env", !s.env.is_empty()),
        ("ports", !s.ports.is_empty()),
        ("workdir", !s.workdir.is_empty()),
        ("files", !s.files.is_empty()),
    ];
    if let Some((what, _)) = decided.iter().find(|(_, set)| *set) {
        bail!(
            "`{key}.{what}` is set beside `{key}.dockerfile`: the Dockerfile decides it (FROM, COPY, USER, ENTRYPOINT, \
             CMD, ENV, EXPOSE, WORKDIR); remove `{what}`, or the dockerfile"
        );
    }
    for rel in std::iter::once(dockerfile).chain(&s.extra_files) {
        if rel.trim().is_empty() || !inside_module(rel) {
            bail!("`{key}` names {rel:?}: give a file inside the module, relative to app.dir");
        }
    }
    let args = s
        .build_args
        .iter()
        .map(|(k, v)| Ok((k.clone(), parse_template(&format!("{key}.build_args.{k}"), v)?)))
        .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
    Ok(Some((dockerfile.clone(), args, s.extra_files.clone())))
}

/// A relative path that stays inside `app.dir`: a file elsewhere on the machine would make the image
/// depend on where it is built.
fn inside_module(rel: &str) -> bool {
    !std::path::Path::new(rel).is_absolute() && !rel.split(['/', '\\']).any(|p| p == "..")
}

/// An absolute path inside the image, with no `..` and nothing a tar header cannot hold.
fn check_absolute(key: &str, path: &str) -> anyhow::Result<()> {
    let normal = path.starts_with('/')
        && path.len() > 1
        && !path.contains(char::is_control)
        && !path.contains('\\')
        && path.trim_end_matches('/').split('/').skip(1).all(|c| !c.is_empty() && c != "." && c != "..");
    if !normal {
        bail!("`{key}` = {path:?} is not an absolute path in the image such as \"/usr/local/bin\"");
    }
    Ok(())
}
