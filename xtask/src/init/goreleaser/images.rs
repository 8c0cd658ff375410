//! GoReleaser's container images → `[[images]]`: `kos`, `dockers_v2` and `dockers` (whose per-platform
//! images `docker_manifests` join are merged into one multi-platform entry) become images dist builds from
//! scratch: their binary (build ids turned into binary names), platforms, name and tags, labels,
//! annotations and user. What needs a Dockerfile, a base image or a registry is named, with why; so are
//! `docker_manifests` (an entry is a multi-platform index already) and `docker_signs`.

use std::collections::{BTreeMap, BTreeSet};

use yaml_rust2::Yaml;

use super::yaml::{entries, is_unset, scalar, strings, truthy};
use super::{is_commit_timestamp, note_if_set, single_action};
use crate::init::discover::norm;
use crate::init::{Draft, Section};
use crate::settings::{ImageSettings, Targets, TEMPLATE_FIELDS};
use crate::target::{parse_goarm, Target};
use crate::template::{Data, Template};

/// ko's base image when `base_image` is not given (GoReleaser's internal/pipe/ko).
const KO_BASE: &str = "cgr.dev/chainguard/static";
/// GoReleaser's defaults: ko's platforms and tags, and `dockers_v2`'s.
const KO_PLATFORMS: [&str; 1] = ["linux/amd64"];
const KO_TAGS: [&str; 1] = ["latest"];
const V2_PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];
const V2_TAGS: [&str; 1] = ["{{.Tag}}"];

const TEMPLATED_WHY: &str = "dist reads the Dockerfile and extra files as they are, not as templates: use \
     dockerfile and extra_files (and build_args for what varies)";
const NO_BUILD_WHY: &str = "dist builds the image itself and runs no docker build";
const NO_PUSH_WHY: &str = "dist writes the image into dist/ as an OCI archive; `cargo xtask push` (release.yml on \
     tags) pushes it, without push options";
const NO_SBOM_WHY: &str = "dist attaches no SBOM: make one from dist/ after `cargo xtask dist`";
const REBUILD_WHY: &str = "ko builds the binary again with these; dist's image holds the binary as [build] (and its \
     [[binaries]] entry) builds it";
const EMPTY_TAG_WHY: &str = "every tag is empty in some dist builds (.IsSnapshot is true for any untagged commit, \
     .IsNightly always false): dist skips an empty tag as GoReleaser does, but an image needs one, so \
     {{ .Version }} is added";
const ONE_NAME_WHY: &str = "an image has one name in dist: push it under this one too (e.g. `crane copy`)";
const NO_ID_WHY: &str = "no imported build has this id (skipped, not Go, a package, or a second build of a binary)";

/// One `[[images]]` entry, and a word that tells its archive from the others' (its id, binary or repository).
struct Image {
    settings: ImageSettings,
    word: Option<String>,
}

/// What every image section needs to know of the rest of the draft.
struct Context<'a> {
    /// Build id → the names dist gives that build's binaries.
    ids: &'a BTreeMap<String, Vec<String>>,
    /// Every binary of the draft, by name ("" where dist derives it), in order.
    binaries: Vec<String>,
    /// The linux targets `[targets]` selects; `None` when they cannot be told here.
    linux: Option<Vec<Target>>,
    project: Option<String>,
    /// The Go module path, for ko's image names.
    module: Option<&'a str>,
}

/// `kos`, `dockers_v2`, `dockers` and `docker_manifests` (`section` gives each top-level key's value) into
/// `out.settings.images`; `ids` maps each build id to its binaries' names, `module` is the Go module path.
pub(super) fn convert_images<'y>(
    out: &mut Draft,
    section: &dyn Fn(&str) -> Option<&'y Yaml>,
    ids: &BTreeMap<String, Vec<String>>,
    module: Option<&str>,
) -> anyhow::Result<()> {
    let binaries = if out.settings.binaries.is_empty() {
        vec![out.settings.app.binary.clone().unwrap_or_default()]
    } else {
        out.settings.binaries.iter().map(|b| b.name.clone().unwrap_or_else(|| last_part(&b.main))).collect()
    };
    let cx = Context {
        ids,
        binaries,
        linux: linux_targets(&out.settings.targets),
        project: out.settings.app.name.clone(),
        module,
    };
    let mut images = Vec::new();
    for (i, item) in list(out, section("kos"), "kos") {
        images.extend(ko(out, &cx, i, item)?);
    }
    for (i, item) in list(out, section("dockers_v2"), "dockers_v2") {
        images.extend(docker_v2(out, &cx, i, item)?);
    }
    let mut v1 = Vec::new();
    let dockers = list(out, section("dockers"), "dockers");
    for &(i, item) in &dockers {
        v1.extend(docker_v1(out, &cx, i, item)?);
    }
    let manifests = section("docker_manifests");
    images.extend(merge_v1(out, v1, manifests)?);
    if let Some(m) = manifests {
        let why = if dockers.is_empty() {
            "not needed: one [[images]] entry is a multi-platform image (an OCI index) already"
        } else {
            "not needed: one [[images]] entry is a multi-platform image (an OCI index) already; the dockers images \
             a manifest joins became one entry, tagged as the manifests are (their per-platform tags are not made)"
        };
        note_if_set(out, Section::Images, m, "docker_manifests", why);
    }
    if let Some(signs) = section("docker_signs") {
        note_if_set(
            out,
            Section::Images,
            signs,
            "docker_signs",
            "dist does not sign images (yet): sign each image once it is pushed (e.g. `cosign sign`)",
        );
    }
    name_archives(&mut images);
    if !images.is_empty() {
        // GoReleaser's choices, spelled out even where they are ours: what the image holds and is tagged.
        for key in ["images.base", "images.ca_certificates", "images.tzdata", "images.user", "images.tags"] {
            out.pin(key);
        }
        // A static base becomes scratch with what it held for a Go program: said, not left to a default.
        for i in images.iter_mut().filter(|i| i.settings.dockerfile.is_none()) {
            i.settings.ca_certificates.get_or_insert(true);
            i.settings.tzdata.get_or_insert(true);
        }
    }
    out.settings.images = images.into_iter().map(|i| i.settings).collect();
    Ok(())
}

/// The entries of a section that must be a list (a note when it is not).
fn list<'y>(out: &mut Draft, value: Option<&'y Yaml>, key: &str) -> Vec<(usize, &'y Yaml)> {
    match value {
        Some(Yaml::Array(items)) => items.iter().enumerate().collect(),
        Some(other) if !is_unset(other) => {
            out.note(Section::Images, key, "not a list");
            vec![]
        }
        _ => vec![],
    }
}

fn note(out: &mut Draft, key: impl Into<String>, why: impl Into<String>) {
    out.note(Section::Images, key, why);
}

/// A mapping's value at `key`, unless it sets nothing.
fn field<'y>(fields: &[(String, &'y Yaml)], key: &str) -> Option<&'y Yaml> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !is_unset(v))
}

/// `disable` (and `skip`): true leaves the entry out, as GoReleaser does; a template is decided per run.
fn disabled(out: &mut Draft, at: &str, fields: &[(String, &Yaml)]) -> bool {
    for key in ["disable", "skip"] {
        match field(fields, key).map(truthy) {
            Some(Some(true)) => return true,
            Some(None) => note(out, format!("{at}.{key}"), "a template; the image is imported"),
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------------------
// kos

fn ko(out: &mut Draft, cx: &Context, i: usize, item: &Yaml) -> anyhow::Result<Option<Image>> {
    let at = format!("kos[{i}]");
    let fields = entries(item, &at)?;
    if disabled(out, &at, &fields) {
        return Ok(None);
    }
    let text = |key: &str| field(&fields, key).and_then(scalar);
    let flag = |key: &str| field(&fields, key).and_then(truthy).unwrap_or(false);
    let id = text("id");
    let mut img = ImageSettings::default();

    // The build whose binary the image holds: `build`, else the image's id, else the project's name.
    let build = text("build");
    let wanted = build.clone().or_else(|| id.clone()).or_else(|| cx.project.clone());
    match wanted.as_ref().and_then(|w| cx.ids.get(w)) {
        Some(names) => {
            img.binary = names.first().filter(|n| !n.is_empty()).cloned();
            if names.len() > 1 {
                let key = format!("{at}.build {}", wanted.unwrap_or_default());
                note(out, key, format!("builds {} binaries: the image holds one, {}", names.len(), names[0]));
            }
        }
        None if build.is_some() => {
            note(out, format!("{at}.build {}", build.unwrap_or_default()), NO_ID_WHY);
            note(out, at, "its build is not imported, so it has no binary to hold");
            return Ok(None);
        }
        None => {
            if cx.binaries.len() > 1 {
                note(
                    out,
                    format!("{at}.build"),
                    format!("not given: the image holds the first binary, {}", cx.binaries[0]),
                );
            }
        }
    }
    let bin_main = main_of(out, img.binary.as_deref());

    // The platforms: GoReleaser's default is linux/amd64 alone; `all` is every linux target.
    let given = match field(&fields, "platforms") {
        Some(v) => Some(strings(v, &format!("{at}.platforms"))?),
        None => None,
    };
    match platforms(out, cx, &at, given, &KO_PLATFORMS) {
        Some(p) => img.platforms = p,
        None => return Ok(None),
    }

    // The base: a static one holds what dist's scratch image with CA certificates and time zones holds.
    let base = text("base_image");
    let shown = base.clone().unwrap_or_else(|| KO_BASE.to_owned());
    let key = format!("{at}.base_image");
    if let Some(runs_as) = static_base(&shown) {
        let given = if base.is_some() { String::new() } else { format!("not given, so ko's default {KO_BASE}: ") };
        let mut why = format!(
            "{given}dist builds the image from scratch (base = \"scratch\") with CA certificates and time zones \
             (ca_certificates, tzdata), which is what {shown} holds for a Go program"
        );
        if runs_as == "0" && text("user").is_none() {
            let user = ImageSettings::default().user;
            why.push_str(&format!("; it ran as root, the image runs as {user}: set user = \"0:0\" to keep root"));
        }
        note(out, key, why);
    } else if shown.split_once("@sha256:").is_some_and(|(_, hex)| {
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }) {
        // Pinned: dist builds on it as ko does.
        img.base = shown.clone();
    } else {
        note(
            out,
            format!("{key} {shown}"),
            "not imported: dist builds on a base image only when it is pinned by digest (the same bytes every \
             time): set base = \"<image>@sha256:…\" (`crane digest <image>` prints it), or keep scratch and add \
             what the program needs with files",
        );
    }

    // Its name: ko's repository, and the package path ko appends to it.
    let mut repos: Vec<(&str, String)> = match field(&fields, "repositories") {
        Some(v) => strings(v, &format!("{at}.repositories"))?.into_iter().map(|r| ("repositories", r)).collect(),
        None => vec![],
    };
    // GoReleaser appends the deprecated `repository` to `repositories`.
    repos.extend(text("repository").map(|r| ("repository", r)));
    repos.retain(|(_, r)| !r.trim().is_empty());
    let main = text("main").unwrap_or_else(|| bin_main.clone().unwrap_or_else(|| ".".to_owned()));
    match repos.first() {
        Some((key, repo)) => {
            if let Some(repo) = usable(out, &format!("{at}.{key} {repo}"), repo) {
                img.name = Some(ko_name(
                    out,
                    cx,
                    &at,
                    &repo,
                    &main,
                    [flag("preserve_import_paths"), flag("base_import_paths"), flag("bare")],
                ));
            }
            for (key, more) in &repos[1..] {
                note(out, format!("{at}.{key} {more}"), ONE_NAME_WHY);
            }
        }
        None => note(
            out,
            format!("{at}.repositories"),
            "not given, so GoReleaser pushes to $KO_DOCKER_REPO: the image is named after the project; set name \
             (e.g. \"{{{{ .Env.KO_DOCKER_REPO }}}}\")",
        ),
    }

    let tags_given = field(&fields, "tags").is_some();
    let tags = match field(&fields, "tags") {
        Some(v) => strings(v, &format!("{at}.tags"))?,
        None => KO_TAGS.map(String::from).to_vec(),
    };
    set_tags(out, &format!("{at}.tags"), &mut img, tags, tags_given);

    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        let key_at = format!("{at}.{key}");
        match key.as_str() {
            // Taken above; `id` only names the entry.
            "id"
            | "build"
            | "base_image"
            | "platforms"
            | "repositories"
            | "repository"
            | "tags"
            | "bare"
            | "preserve_import_paths"
            | "base_import_paths"
            | "disable"
            | "skip" => {}
            "main" => {
                let same = bin_main.as_deref().is_some_and(|m| norm(m) == norm(&main));
                if !same {
                    let why = "dist's image holds the binary of `build`, built from its main package: add a \
                               [[binaries]] entry for this one and name it in binary";
                    note(out, key_at, why);
                }
            }
            "working_dir" => {
                let dir = scalar(value).unwrap_or_default();
                if norm(&dir) != norm(&out.settings.app.dir.to_string_lossy()) {
                    note(out, key_at, "dist builds in app.dir");
                }
            }
            "labels" => img.labels = string_map(out, &key_at, value)?,
            "annotations" => img.annotations = string_map(out, &key_at, value)?,
            "user" => set_user(out, &key_at, &mut img, value),
            "ldflags" | "flags" | "env" => note(out, key_at, REBUILD_WHY),
            "creation_time" | "ko_data_creation_time" => {
                if !scalar(value).is_some_and(|s| is_commit_timestamp(&s)) {
                    note(out, key_at, "dist dates the image by the commit (its created time is the commit date)");
                }
            }
            "sbom" => {
                if scalar(value).as_deref() != Some("none") {
                    note(out, key_at, NO_SBOM_WHY);
                }
            }
            "sbom_directory" => note(out, key_at, NO_SBOM_WHY),
            "local_domain" => note(out, key_at, "dist loads the image into no daemon: it writes it into dist/"),
            _ => note(out, key_at, "no dist.toml equivalent"),
        }
    }
    let word = id.or_else(|| img.binary.clone()).or_else(|| img.name.as_deref().map(last_part));
    Ok(Some(Image { settings: img, word }))
}

/// ko's image name for `repo` (ko's `Namer`): with `preserve_import_paths` the repository and the main
/// package's import path, with `base_import_paths` its last element, `bare` the repository alone; and by
/// default the last element and an MD5 of the import path, which dist does not make.
fn ko_name(
    out: &mut Draft,
    cx: &Context,
    at: &str,
    repo: &str,
    main: &str,
    [preserve, base, bare]: [bool; 3],
) -> String {
    let main = norm(main);
    let import_path =
        cx.module.map(|m| [m.to_owned()].into_iter().chain(main.iter().cloned()).collect::<Vec<_>>().join("/"));
    let last = main.last().cloned().or_else(|| import_path.as_deref().map(last_part));
    let unknown = "the import path is not known without the repository's go.mod: the image is named by the \
                   repository alone; append the package path to name";
    if preserve {
        match import_path {
            Some(p) => return format!("{repo}/{}", p.to_lowercase()),
            None => note(out, format!("{at}.preserve_import_paths"), unknown),
        }
    } else if base {
        match last {
            Some(l) => return format!("{repo}/{}", l.to_lowercase()),
            None => note(out, format!("{at}.base_import_paths"), unknown),
        }
    } else if !bare {
        note(
            out,
            format!("{at}.bare"),
            format!(
                "not set, so ko names the image {repo}/<package>-<MD5 of its import path>: dist names it {repo} \
                 (as `bare: true` does)"
            ),
        );
    }
    repo.to_owned()
}

/// Whether `base` is a static base image (scratch-like: no libc, no shell), and the user it runs as.
fn static_base(base: &str) -> Option<&'static str> {
    let reference = base.split('@').next().unwrap_or(base);
    let (repo, tag) = match reference.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (reference, "latest"),
    };
    let repo = repo.strip_prefix("docker.io/library/").unwrap_or(repo);
    if repo == "scratch" {
        Some("0")
    } else if repo == KO_BASE {
        Some("65532")
    } else if repo.starts_with("gcr.io/distroless/static") {
        Some(if tag.contains("nonroot") { "65532" } else { "0" })
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------------------
// dockers_v2

fn docker_v2(out: &mut Draft, cx: &Context, i: usize, item: &Yaml) -> anyhow::Result<Option<Image>> {
    let at = format!("dockers_v2[{i}]");
    let fields = entries(item, &at)?;
    if disabled(out, &at, &fields) {
        return Ok(None);
    }
    let mut img = ImageSettings::default();
    let ids = match field(&fields, "ids") {
        Some(v) => Some(strings(v, &format!("{at}.ids"))?),
        None => None,
    };
    match pick_binary(out, cx, &at, "ids", ids) {
        Some(b) => img.binary = b,
        None => return Ok(None),
    }
    let given = match field(&fields, "platforms") {
        Some(v) => Some(strings(v, &format!("{at}.platforms"))?),
        None => None,
    };
    match platforms(out, cx, &at, given, &V2_PLATFORMS) {
        Some(p) => img.platforms = p,
        None => return Ok(None),
    }
    // GoReleaser crosses `images` with `tags`: the first image is the name.
    let images = match field(&fields, "images") {
        Some(v) => strings(v, &format!("{at}.images"))?,
        None => vec![],
    };
    let images: Vec<String> = images.into_iter().filter(|i| !i.trim().is_empty()).collect();
    let Some(first) = images.first() else {
        note(out, at, "no images: GoReleaser makes no image of it");
        return Ok(None);
    };
    img.name = usable(out, &format!("{at}.images {first}"), first);
    for more in &images[1..] {
        note(out, format!("{at}.images {more}"), ONE_NAME_WHY);
    }
    let tags_given = field(&fields, "tags").is_some();
    let tags = match field(&fields, "tags") {
        Some(v) => strings(v, &format!("{at}.tags"))?,
        None => V2_TAGS.map(String::from).to_vec(),
    };
    set_tags(out, &format!("{at}.tags"), &mut img, tags, tags_given);
    // GoReleaser's default Dockerfile is `Dockerfile`; the Dagger engine builds it.
    img.dockerfile = Some(field(&fields, "dockerfile").and_then(scalar).unwrap_or_else(|| "Dockerfile".to_owned()));

    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        let key_at = format!("{at}.{key}");
        match key.as_str() {
            "id" | "ids" | "platforms" | "images" | "tags" | "disable" | "skip" => {}
            "dockerfile" => {}
            "templated_dockerfile" | "templated_extra_files" => note(out, key_at, TEMPLATED_WHY),
            "labels" => img.labels = string_map(out, &key_at, value)?,
            "annotations" => img.annotations = string_map(out, &key_at, value)?,
            "extra_files" => img.extra_files = strings(value, &key_at)?,
            "build_args" => img.build_args = string_map(out, &key_at, value)?,
            "flags" => note(out, key_at, NO_BUILD_WHY),
            "hooks" => note(out, key_at, "run them around `cargo xtask dist`"),
            "retry" => note(out, key_at, NO_PUSH_WHY),
            "sbom" => {
                if truthy(value) != Some(false) {
                    note(out, key_at, NO_SBOM_WHY);
                }
            }
            _ => note(out, key_at, "no dist.toml equivalent"),
        }
    }
    let word = field(&fields, "id").and_then(scalar).or_else(|| img.binary.clone());
    Ok(Some(Image { settings: img, word }))
}

// ---------------------------------------------------------------------------------------------------------
// dockers (v1) and docker_manifests

/// One `dockers` entry: one platform's image.
struct V1 {
    at: String,
    id: Option<String>,
    platform: Target,
    binary: Option<String>,
    /// `image_templates` as written (what `docker_manifests` name).
    refs: Vec<String>,
    /// The usable ones, as repository and tag.
    names: Vec<(String, String)>,
    labels: BTreeMap<String, String>,
    dockerfile: String,
    extra_files: Vec<String>,
    build_args: BTreeMap<String, String>,
}

fn docker_v1(out: &mut Draft, cx: &Context, i: usize, item: &Yaml) -> anyhow::Result<Option<V1>> {
    let at = format!("dockers[{i}]");
    let fields = entries(item, &at)?;
    let text = |key: &str| field(&fields, key).and_then(scalar);
    // GoReleaser's defaults: linux/amd64, GOARM 6, GOAMD64 v1.
    let goos = text("goos").unwrap_or_else(|| "linux".to_owned());
    if goos != "linux" {
        note(out, format!("{at}.goos {goos}"), "images hold linux binaries");
        return Ok(None);
    }
    let goarch = text("goarch").unwrap_or_else(|| "amd64".to_owned());
    let wanted = match goarch.as_str() {
        "arm" => format!("linux/arm/v{}", text("goarm").unwrap_or_else(|| "6".to_owned())),
        _ => format!("linux/{goarch}"),
    };
    let platform = match platform(&wanted, cx.linux.as_deref()) {
        Ok(p) => p,
        Err(why) => {
            note(out, format!("{at} {wanted}"), why);
            return Ok(None);
        }
    };
    let ids = match field(&fields, "ids") {
        Some(v) => Some(strings(v, &format!("{at}.ids"))?),
        None => None,
    };
    let Some(binary) = pick_binary(out, cx, &at, "ids", ids) else { return Ok(None) };
    let refs: Vec<String> = match field(&fields, "image_templates") {
        Some(v) => strings(v, &format!("{at}.image_templates"))?.into_iter().filter(|r| !r.trim().is_empty()).collect(),
        None => vec![],
    };
    if refs.is_empty() {
        note(out, at, "no image_templates: GoReleaser makes no image of it");
        return Ok(None);
    }
    let mut names = Vec::new();
    for r in &refs {
        if let Some(r) = usable(out, &format!("{at}.image_templates {r}"), r.trim()) {
            names.push(split_reference(&r));
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    let mut labels = BTreeMap::new();
    let mut build_args = BTreeMap::new();
    let mut extra_files = Vec::new();
    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        let key_at = format!("{at}.{key}");
        match key.as_str() {
            "id" | "goos" | "goarch" | "goarm" | "ids" | "image_templates" | "dockerfile" => {}
            "goamd64" => {
                if scalar(value).as_deref() != Some("v1") {
                    note(out, key_at, "dist builds amd64 for v1");
                }
            }
            "build_flag_templates" => {
                for flag in strings(value, &key_at)? {
                    build_flag(out, &key_at, &flag, &platform, cx, &mut labels, &mut build_args);
                }
            }
            "extra_files" => extra_files = strings(value, &key_at)?,
            "use" => note(out, key_at, "dist builds the image itself, with neither docker, buildx nor podman"),
            "skip_push" | "push_flags" | "retry" => note(out, key_at, NO_PUSH_WHY),
            _ => note(out, key_at, "no dist.toml equivalent"),
        }
    }
    let dockerfile = text("dockerfile").unwrap_or_else(|| "Dockerfile".to_owned());
    Ok(Some(V1 { at, id: text("id"), platform, binary, refs, names, labels, dockerfile, extra_files, build_args }))
}

/// One of `build_flag_templates`: a `--label` is a label, a `--platform` the entry's own is its platform;
/// any other flag is named.
fn build_flag(
    out: &mut Draft,
    key_at: &str,
    flag: &str,
    platform: &Target,
    cx: &Context,
    labels: &mut BTreeMap<String, String>,
    build_args: &mut BTreeMap<String, String>,
) {
    let flag = flag.trim();
    let value = |name: &str| {
        flag.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('=').or_else(|| rest.strip_prefix(' ')))
            .map(str::trim)
    };
    if let Some(label) = value("--label") {
        match label.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                if let Some(v) = label_value(out, &format!("{key_at} --label={k}"), k, v) {
                    labels.insert(k.to_owned(), v);
                }
            }
            _ => note(out, format!("{key_at} {flag}"), "not --label=KEY=VALUE"),
        }
        return;
    }
    if let Some(p) = value("--platform") {
        if platform_of(p, cx.linux.as_deref()).is_ok_and(|t| t == *platform) {
            return;
        }
    }
    if let Some(arg) = value("--build-arg") {
        match arg.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                build_args.insert(k.to_owned(), v.to_owned());
            }
            _ => note(out, format!("{key_at} {flag}"), "not --build-arg=KEY=VALUE"),
        }
        return;
    }
    note(out, format!("{key_at} {flag}"), NO_BUILD_WHY);
}

/// `dockers` merged into multi-platform images: the entries each `docker_manifests` entry joins are one image
/// with the manifests' tags; the rest are merged where their names agree but for the platform in the tag.
fn merge_v1(out: &mut Draft, v1: Vec<V1>, manifests: Option<&Yaml>) -> anyhow::Result<Vec<Image>> {
    struct Group {
        repo: String,
        tags: Vec<String>,
        /// Where its tags come from, for notes.
        tag_at: String,
        members: Vec<usize>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut joined = BTreeSet::new();
    if let Some(Yaml::Array(items)) = manifests {
        for (j, m) in items.iter().enumerate() {
            let at = format!("docker_manifests[{j}]");
            let fields = entries(m, &at)?;
            let Some(name) = field(&fields, "name_template").and_then(scalar) else { continue };
            let refs = match field(&fields, "image_templates") {
                Some(v) => strings(v, &format!("{at}.image_templates"))?,
                None => vec![],
            };
            let members: Vec<usize> = (0..v1.len())
                .filter(|&k| v1[k].refs.iter().any(|r| refs.iter().any(|m| m.trim() == r.trim())))
                .collect();
            if members.is_empty() {
                continue; // no imported dockers image: the section's note says manifests are not needed
            }
            let key = format!("{at}.name_template {name}");
            let Some(name) = usable(out, &key, name.trim()) else { continue };
            let (repo, tag) = split_reference(&name);
            joined.extend(members.iter().copied());
            match groups.iter_mut().find(|g| g.members == members) {
                Some(g) if g.repo == repo => {
                    if !g.tags.contains(&tag) {
                        g.tags.push(tag);
                    }
                }
                Some(_) => note(out, key, ONE_NAME_WHY),
                None => groups.push(Group { repo, tags: vec![tag], tag_at: format!("{at}.name_template"), members }),
            }
        }
    }
    // The rest: entries whose first name agrees but for the platform in its tags are one image.
    let mut keys: Vec<(String, Vec<String>, Option<String>)> = Vec::new();
    let mut tail: Vec<Group> = Vec::new();
    for (k, e) in v1.iter().enumerate().filter(|(k, _)| !joined.contains(k)) {
        let repo = e.names[0].0.clone();
        let tags: Vec<String> = e.names.iter().filter(|(r, _)| *r == repo).map(|(_, t)| t.clone()).collect();
        for (r, t) in e.names.iter().filter(|(r, _)| *r != repo) {
            note(out, format!("{}.image_templates {r}:{t}", e.at), ONE_NAME_WHY);
        }
        let stripped: Vec<String> =
            tags.iter().map(|t| strip_platform(t, &e.platform).unwrap_or_else(|| t.clone())).collect();
        let key = (repo.clone(), stripped.clone(), e.binary.clone());
        let slot = keys
            .iter()
            .zip(&tail)
            .position(|(other, g)| *other == key && !g.members.iter().any(|&m| v1[m].platform == e.platform));
        match slot {
            Some(s) => {
                tail[s].members.push(k);
                tail[s].tags = stripped;
            }
            None => {
                keys.push(key);
                // Alone, an image keeps its tags, less a platform spelled as a template (dist fills none here).
                let own = tags
                    .iter()
                    .map(|t| match strip_platform(t, &e.platform) {
                        Some(s) if t.contains(".Arch") || t.contains(".Arm") => s,
                        _ => t.clone(),
                    })
                    .collect();
                tail.push(Group { repo, tags: own, tag_at: format!("{}.image_templates", e.at), members: vec![k] });
            }
        }
    }
    groups.extend(tail);

    let mut images = Vec::new();
    for g in groups {
        let first = &v1[g.members[0]];
        let mut img = ImageSettings {
            name: Some(g.repo.clone()),
            binary: first.binary.clone(),
            dockerfile: Some(first.dockerfile.clone()),
            extra_files: first.extra_files.clone(),
            build_args: first.build_args.clone(),
            ..ImageSettings::default()
        };
        for &m in &g.members {
            let e = &v1[m];
            let p = e.platform.to_string();
            if img.platforms.contains(&p) {
                note(out, e.at.clone(), format!("a second {p} image of {}: an image holds one per platform", g.repo));
                continue;
            }
            img.platforms.push(p);
            if (&e.dockerfile, &e.extra_files, &e.build_args)
                != (&first.dockerfile, &first.extra_files, &first.build_args)
            {
                note(
                    out,
                    format!("{}.dockerfile", e.at),
                    format!(
                        "its image is merged with {}'s, built from that entry's Dockerfile, files and build args",
                        first.at
                    ),
                );
            }
            if e.binary != first.binary {
                note(
                    out,
                    format!("{}.ids", e.at),
                    format!("its image is merged with {}'s, whose binary it holds", first.at),
                );
            }
            for (k, v) in &e.labels {
                img.labels.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        set_tags(out, &g.tag_at, &mut img, g.tags, true);
        let word = first.id.clone().or_else(|| Some(last_part(&g.repo))).filter(|w| !w.contains("{{"));
        images.push(Image { settings: img, word: word.or_else(|| first.binary.clone()) });
    }
    Ok(images)
}

/// `repo[:tag]` (a registry's `host:port/` is not a tag; nor is a `:` inside `{{ }}`) → repository and tag,
/// `latest` when there is none.
fn split_reference(reference: &str) -> (String, String) {
    let (mut depth, mut slash, mut colon) = (0usize, None, None);
    let bytes = reference.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (&bytes[i..], depth) {
            ([b'{', b'{', ..], _) => {
                depth += 1;
                i += 1;
            }
            ([b'}', b'}', ..], d) if d > 0 => {
                depth -= 1;
                i += 1;
            }
            ([b'/', ..], 0) => slash = Some(i),
            ([b':', ..], 0) => colon = Some(i),
            _ => {}
        }
        i += 1;
    }
    match colon {
        Some(c) if slash.is_none_or(|s| c > s) => (reference[..c].to_owned(), reference[c + 1..].to_owned()),
        _ => (reference.to_owned(), "latest".to_owned()),
    }
}

/// `tag` without the platform it names as a suffix or prefix (`1.2.3-amd64`, `{{ .Tag }}-arm64v8`,
/// `armv7-latest`, `{{ .Version }}-{{ .Arch }}`); `None` when it names none.
fn strip_platform(tag: &str, platform: &Target) -> Option<String> {
    let spellings: Vec<String> = match (platform.arch.as_str(), platform.arm) {
        ("amd64", _) => vec!["amd64".into(), "x86_64".into(), "x64".into()],
        ("arm64", _) => vec!["arm64v8".into(), "arm64".into(), "aarch64".into()],
        ("386", _) => vec!["386".into(), "i386".into(), "x86".into()],
        ("arm", Some(v)) => {
            let mut s = vec![format!("arm32v{v}"), format!("armv{v}"), "arm".into()];
            if v == 7 {
                s.push("armhf".into());
            }
            s
        }
        (arch, _) => vec![arch.to_owned()],
    };
    let is_platform = |word: &str| {
        spellings.iter().any(|s| s == word)
            || (word.starts_with("{{") && word.ends_with("}}") && (word.contains(".Arch") || word.contains(".Arm")))
    };
    for sep in ['-', '_', '.'] {
        if let Some((rest, word)) = tag.rsplit_once(sep) {
            if !rest.is_empty() && is_platform(word) {
                return Some(rest.to_owned());
            }
        }
        if let Some((word, rest)) = tag.split_once(sep) {
            if !rest.is_empty() && is_platform(word) {
                return Some(rest.to_owned());
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------------
// Shared

/// The binary an image holds, from its `ids` (`None` inside: the first binary); `None` when the ids name no
/// imported build, so the image has nothing to hold.
fn pick_binary(out: &mut Draft, cx: &Context, at: &str, key: &str, ids: Option<Vec<String>>) -> Option<Option<String>> {
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        if cx.binaries.len() > 1 {
            let why = format!("not given: an image holds one binary, the first, {}", cx.binaries[0]);
            note(out, format!("{at}.{key}"), why);
        }
        return Some(None);
    };
    let mut names: Vec<String> = Vec::new();
    let mut found = false;
    for id in &ids {
        match cx.ids.get(id) {
            Some(own) => {
                found = true;
                names.extend(own.iter().filter(|n| !names.contains(n)).cloned().collect::<Vec<_>>());
            }
            None => note(out, format!("{at}.{key} {id}"), NO_ID_WHY),
        }
    }
    if !found {
        note(out, at, format!("its `{key}` name no imported build, so it has no binary to hold"));
        return None;
    }
    if names.len() > 1 {
        let why = format!(
            "name {} binaries: an image holds one in dist, {}; add an [[images]] entry with binary = \"…\" for \
             each other",
            names.len(),
            names[0]
        );
        note(out, format!("{at}.{key}"), why);
    }
    Some(names.into_iter().next().filter(|n| !n.is_empty()))
}

/// GoReleaser's `platforms` (its `default` when not given) as dist's: `all` is every linux target (an empty
/// list); the rest must be linux targets `[targets]` builds. `None` when some were given and none is built.
fn platforms(
    out: &mut Draft,
    cx: &Context,
    at: &str,
    given: Option<Vec<String>>,
    default: &[&str],
) -> Option<Vec<String>> {
    let Some(given) = given else {
        let kept: Vec<String> =
            default.iter().filter_map(|p| platform(p, cx.linux.as_deref()).ok().map(|t| t.to_string())).collect();
        if kept.is_empty() {
            let why = format!(
                "not given, so {}: not a target dist builds, so the image holds every linux target",
                default.join(", ")
            );
            note(out, format!("{at}.platforms"), why);
        }
        return Some(kept);
    };
    if given.iter().any(|p| p.trim() == "all") {
        return Some(vec![]);
    }
    let mut kept: Vec<String> = Vec::new();
    for p in given.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let key = format!("{at}.platforms {p}");
        if p.contains("{{") {
            note(out, key, "a template: dist's platforms are fixed");
            continue;
        }
        match platform(p, cx.linux.as_deref()) {
            Ok(t) if kept.contains(&t.to_string()) => {}
            Ok(t) => kept.push(t.to_string()),
            Err(why) => note(out, key, why),
        }
    }
    if kept.is_empty() {
        note(out, at, "none of its platforms is a linux target dist builds ([targets]), so it makes no image");
        return None;
    }
    Some(kept)
}

/// A container platform (`linux/arm64/v8`, `linux/arm/v7`, `linux/arm`) as the dist target that builds it.
fn platform(p: &str, linux: Option<&[Target]>) -> Result<Target, String> {
    let t = platform_of(p, linux)?;
    match linux {
        Some(targets) if !targets.contains(&t) => Err("not a linux target dist builds: add it to [targets]".into()),
        _ => Ok(t),
    }
}

fn platform_of(p: &str, linux: Option<&[Target]>) -> Result<Target, String> {
    let mut parts: Vec<&str> = p.trim().split('/').collect();
    match parts.as_slice() {
        // The only variant of arm64, and amd64's baseline: what Go builds.
        [_, "arm64", "v8"] | [_, "amd64", "v1"] => {
            parts.pop();
        }
        [_, "amd64", v] => return Err(format!("GOAMD64 {v}: dist builds amd64 for v1")),
        _ => {}
    }
    let mut t: Target = parts.join("/").parse().map_err(|e| format!("{e:#}"))?;
    if t.os != "linux" {
        return Err("an image holds linux binaries".into());
    }
    // `linux/arm` is whichever one ARM variant the targets build.
    if let (Some(targets), "arm", None) = (linux, t.arch.as_str(), t.arm) {
        let arms: Vec<&Target> = targets.iter().filter(|l| l.arch == "arm" && l.arm.is_some()).collect();
        match arms.as_slice() {
            [one] if !targets.contains(&t) => t = (*one).clone(),
            [_, _, ..] if !targets.contains(&t) => {
                return Err("which ARM variant: write linux/arm/v6 or linux/arm/v7".into());
            }
            _ => {}
        }
    }
    Ok(t)
}

/// The linux targets `[targets]` selects (as `Targets::matrix` does, less the toolchain's list).
fn linux_targets(t: &Targets) -> Option<Vec<Target>> {
    let parse = |s: &str| s.parse::<Target>().ok();
    let mut out = Vec::new();
    if !t.list.is_empty() {
        for s in &t.list {
            out.push(parse(s)?);
        }
    } else {
        let arms = t.arm.iter().map(|v| parse_goarm(v)).collect::<Option<Vec<u8>>>()?;
        for os in &t.os {
            for arch in &t.arch {
                let base = parse(&format!("{os}/{arch}"))?;
                if arch == "arm" && !arms.is_empty() {
                    out.extend(arms.iter().map(|&v| Target { arm: Some(v), ..base.clone() }));
                } else {
                    out.push(base);
                }
            }
        }
    }
    let ignore = t.ignore.iter().map(|s| parse(s)).collect::<Option<Vec<Target>>>()?;
    out.retain(|t| {
        t.os == "linux"
            && !ignore.iter().any(|i| i.os == t.os && i.arch == t.arch && (i.arm.is_none() || i.arm == t.arm))
    });
    Some(out)
}

/// The tags that dist can fill and that are never empty; the default when none is left.
fn set_tags(out: &mut Draft, key_at: &str, img: &mut ImageSettings, tags: Vec<String>, given: bool) {
    let mut kept: Vec<String> = Vec::new();
    for t in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let key = format!("{key_at} {t}");
        let Some(t) = usable(out, &key, t) else { continue };
        if !t.contains("{{") && !is_tag(&t) {
            note(out, key, "not an image tag (letters, digits, `_`, `.`, `-`)");
        } else if !kept.contains(&t) {
            kept.push(t);
        }
    }
    if !kept.is_empty() && kept.iter().all(|t| may_be_empty(t)) {
        note(out, key_at.to_owned(), EMPTY_TAG_WHY);
        kept.push("{{ .Version }}".to_owned());
    }
    if kept.is_empty() {
        if given {
            note(out, key_at.to_owned(), "no tag is left: the image is tagged as dist's default, {{ .Version }}");
        }
        return; // ImageSettings' default
    }
    img.tags = kept;
}

fn is_tag(t: &str) -> bool {
    t.len() <= 128
        && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn set_user(out: &mut Draft, key_at: &str, img: &mut ImageSettings, value: &Yaml) {
    let user = scalar(value).unwrap_or_default();
    let part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if user.split(':').count() <= 2 && user.split(':').all(part) {
        img.user = user;
    } else {
        note(out, format!("{key_at} {user}"), "not uid[:gid] (or name[:group])");
    }
}

/// Labels or annotations: each value a template dist fills (empty ones are left out, as GoReleaser does).
fn string_map(out: &mut Draft, at: &str, value: &Yaml) -> anyhow::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for (k, v) in entries(value, at)? {
        let key_at = format!("{at}.{k}");
        let Some(v) = scalar(v) else {
            note(out, key_at, "not a string");
            continue;
        };
        if k.is_empty() || v.is_empty() {
            continue;
        }
        // `dockers_v2` annotations may say where they go: dist puts every annotation on the index and manifests.
        let scopes = ["index", "manifest", "index-descriptor", "manifest-descriptor"];
        let k = match k.split_once(':') {
            Some((scope, rest)) if scope.split(',').all(|s| scopes.contains(&s.trim())) => {
                let mut given: Vec<&str> = scope.split(',').map(str::trim).collect();
                given.sort_unstable();
                if given != ["index", "manifest"] {
                    note(out, key_at.clone(), "dist puts each annotation on the index and on every manifest");
                }
                rest.to_owned()
            }
            _ => k,
        };
        if let Some(v) = label_value(out, &key_at, &k, &v) {
            map.insert(k, v);
        }
    }
    Ok(map)
}

/// A label's value if dist can fill it. dist fills `org.opencontainers.image.source` from the git remote
/// itself: GoReleaser's `{{ .GitURL }}` there is left to it.
fn label_value(out: &mut Draft, key: &str, label: &str, value: &str) -> Option<String> {
    if label == "org.opencontainers.image.source" && single_action(value) == Some(".GitURL") {
        return None;
    }
    usable(out, key, value)
}

/// `text` if dist's templates can fill it: it parses, and every field it uses is one dist has. Else `None`,
/// and a note at `key` on why.
fn usable(out: &mut Draft, key: &str, text: &str) -> Option<String> {
    match Template::parse(text) {
        Err(_) => {
            note(out, key, "a template dist's evaluator cannot read (it lacks variables, range and some functions)");
            None
        }
        Ok(t) => match t.fields().into_iter().find(|f| !TEMPLATE_FIELDS.contains(&f.as_str())) {
            Some(f) => {
                note(out, key, format!("uses .{f}, which dist's templates do not have"));
                None
            }
            None => Some(text.to_owned()),
        },
    }
}

/// Whether `text` renders empty in some build dist makes: tagged or not, clean or dirty.
fn may_be_empty(text: &str) -> bool {
    let Ok(template) = Template::parse(text) else { return false };
    [(false, false), (true, false), (false, true), (true, true)].into_iter().any(|(snapshot, dirty)| {
        // A missing `.Env` variable fails the same in dist as in GoReleaser: not this check's business.
        template.render(&sample_data(snapshot, dirty)).is_ok_and(|s| s.trim().is_empty())
    })
}

/// Template data as dist gives an image's names (no target: `.Os` and `.Arch` are empty).
fn sample_data(snapshot: bool, dirty: bool) -> Data {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let version = if snapshot { "1.2.3-4-g0123456" } else { "1.2.3" };
    let fields = [
        ("ProjectName", "project"),
        ("Binary", "binary"),
        ("Version", version),
        // The nearest tag (`git describe --tags --abbrev=0`), tagged or not.
        ("Tag", "v1.2.3"),
        ("Commit", commit),
        ("FullCommit", commit),
        ("ShortCommit", &commit[..7]),
        ("Date", "2024-01-02T03:04:05Z"),
        ("CommitDate", "2024-01-02T03:04:05Z"),
        ("CommitTimestamp", "1704164645"),
        ("Timestamp", "1704164645"),
        ("Os", ""),
        ("Arch", ""),
        ("Arm", ""),
        ("Amd64", ""),
        ("Mips", ""),
    ];
    let bools = [("IsSnapshot", snapshot), ("IsNightly", false), ("IsGitDirty", dirty), ("IsGitClean", !dirty)];
    Data {
        fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        bools: bools.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        env: BTreeMap::new(),
    }
}

/// The main package of the draft's binary `name` (the first binary's when `None`).
fn main_of(out: &Draft, name: Option<&str>) -> Option<String> {
    let s = &out.settings;
    if s.binaries.is_empty() {
        return Some(s.app.main.clone());
    }
    let found = match name {
        Some(n) => s.binaries.iter().find(|b| b.name.clone().unwrap_or_else(|| last_part(&b.main)) == n),
        None => s.binaries.first(),
    };
    found.map(|b| b.main.clone())
}

fn last_part(path: &str) -> String {
    norm(path).last().cloned().unwrap_or_default()
}

/// With several images, each archive is named apart: the first keeps dist's default name, the others add
/// their word (id, binary or repository).
fn name_archives(images: &mut [Image]) {
    if images.len() < 2 {
        return;
    }
    let plain = |w: &String| {
        !w.is_empty() && !w.starts_with('.') && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    let mut used = BTreeSet::new();
    for (n, image) in images.iter_mut().enumerate().skip(1) {
        let word = image.word.clone().filter(plain).unwrap_or_else(|| format!("image{}", n + 1));
        let mut unique = word.clone();
        let mut k = 2;
        while !used.insert(unique.clone()) {
            unique = format!("{word}_{k}");
            k += 1;
        }
        image.settings.file_name = format!("{{{{ .ProjectName }}}}_{{{{ .Version }}}}_{unique}_image");
    }
}

#[cfg(test)]
pub(in crate::init) mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    /// What every imported image says of its base: scratch with CA certificates and time zones.
    fn scratch() -> ImageSettings {
        ImageSettings { ca_certificates: Some(true), tzdata: Some(true), ..ImageSettings::default() }
    }

    /// An imported Dockerfile image: the Dagger engine builds `dockerfile` with these files and args.
    fn docker(dockerfile: &str, extra_files: &[&str], args: &[(&str, &str)]) -> ImageSettings {
        ImageSettings {
            dockerfile: Some(dockerfile.into()),
            extra_files: strs(extra_files),
            build_args: map(args),
            ..ImageSettings::default()
        }
    }
    use crate::init::tests::{parse, strs};
    use crate::init::{from_goreleaser, import, Imported};

    /// ko, shaped on GoReleaser's docs (customization/ko) and a service that publishes with it: one build,
    /// a static base, two registries, a tag dist cannot fill and a platform it does not build.
    pub(in crate::init) const KO: &str = r#"
version: 2
project_name: hello
env:
  - CGO_ENABLED=0
builds:
  - id: hello
    main: ./cmd/hello
    binary: hello
    ldflags: -s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}}
    goos: [linux, darwin]
    goarch: [amd64, arm64, arm]
    goarm: ["7"]
kos:
  - id: hello
    build: hello
    main: ./cmd/hello
    working_dir: .
    base_image: cgr.dev/chainguard/static:latest
    repositories:
      - ghcr.io/acme/hello
      - docker.io/acme/hello
    platforms:
      - linux/amd64
      - linux/arm64
      - linux/arm/v7
      - linux/s390x
    tags:
      - "{{ .Version }}"
      - latest
      - "{{ if not .Prerelease }}stable{{ end }}"
    labels:
      org.opencontainers.image.source: "{{ .GitURL }}"
      org.opencontainers.image.licenses: Apache-2.0
    annotations:
      org.opencontainers.image.description: "Says hello"
    user: "65532:65532"
    creation_time: "{{ .CommitTimestamp }}"
    ko_data_creation_time: "{{.CommitTimestamp}}"
    sbom: spdx
    bare: true
    ldflags:
      - -s -w -X main.version={{.Version}}
"#;

    /// `dockers_v2`, shaped on GoReleaser's docs (customization/package/dockers_v2) and golangci-lint's
    /// config: a basic and an alpine variant of one binary, each from its own Dockerfile.
    pub(in crate::init) const DOCKERS_V2: &str = r#"
version: 2
project_name: golangci-lint
builds:
  - id: golangci-lint
    main: ./cmd/golangci-lint
    binary: golangci-lint
    env: [CGO_ENABLED=0]
    goos: [linux, darwin, windows]
    goarch: [amd64, arm64, arm, ppc64le]
    goarm: ["6", "7"]
dockers_v2:
  - id: basic
    ids: [golangci-lint]
    dockerfile: build/buildx.Dockerfile
    images:
      - "golangci/golangci-lint"
      - "ghcr.io/golangci/golangci-lint"
    tags:
      - "{{ .Tag }}"
      - "v{{ .Major }}.{{ .Minor }}"
      - latest
    labels:
      org.opencontainers.image.title: "{{ .ProjectName }}"
      org.opencontainers.image.source: "{{ .GitURL }}"
      org.opencontainers.image.revision: "{{ .FullCommit }}"
    annotations:
      "index,manifest:org.opencontainers.image.description": Fast linters runner for Go
      "index:org.opencontainers.image.licenses": GPL-3.0
    platforms:
      - linux/amd64
      - linux/arm64/v8
      - linux/arm/v7
      - linux/ppc64le
    build_args:
      VERSION: "{{ .Version }}"
    extra_files: [LICENSE]
    sbom: true
  - id: alpine
    ids: [golangci-lint]
    dockerfile: build/buildx-alpine.Dockerfile
    images: [golangci/golangci-lint]
    tags:
      - "{{ .Tag }}-alpine"
      - "{{ if not .IsSnapshot }}latest-alpine{{ end }}"
    retry:
      attempts: 5
"#;

    /// `dockers` one platform each, joined by `docker_manifests`: the pattern before `dockers_v2`, as in
    /// smlx/go-cli-github (and GoReleaser's docs, customization/docker_manifest).
    pub(in crate::init) const DOCKERS_MANIFESTS: &str = r#"
project_name: go-cli-github
builds:
  - id: go-cli-github
    main: ./cmd/go-cli-github
    binary: go-cli-github
    goos: [linux, darwin]
    goarch: [amd64, arm64]
dockers:
  - ids: [go-cli-github]
    image_templates:
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-amd64"
    use: buildx
    build_flag_templates:
      - "--build-arg=BINARY=go-cli-github"
      - "--platform=linux/amd64"
      - "--label=org.opencontainers.image.created={{.Date}}"
      - "--label=org.opencontainers.image.source={{.GitURL}}"
  - ids: [go-cli-github]
    image_templates:
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-arm64v8"
    use: buildx
    goarch: arm64
    build_flag_templates:
      - "--build-arg=BINARY=go-cli-github"
      - "--platform=linux/arm64/v8"
      - "--label=org.opencontainers.image.created={{.Date}}"
docker_manifests:
  - name_template: "ghcr.io/smlx/go-cli-github:v{{ .Version }}"
    image_templates:
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-amd64"
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-arm64v8"
  - name_template: "ghcr.io/smlx/go-cli-github:latest"
    image_templates:
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-amd64"
      - "ghcr.io/smlx/go-cli-github:v{{ .Version }}-arm64v8"
docker_signs:
  - artifacts: manifests
"#;

    /// `dockers` without manifests, as philips-labs/tabia and kfsoftware/hlf-cc-dev write them: one entry
    /// per platform, told apart by the tag's suffix, pushed to two registries.
    const DOCKERS_PER_ARCH: &str = r#"
project_name: tool
builds:
  - main: ./cmd/tool
    binary: tool
    goos: [linux, windows]
    goarch: [amd64, arm]
    goarm: [7]
dockers:
  - goos: linux
    goarch: amd64
    dockerfile: Dockerfile
    image_templates:
      - "ghcr.io/acme/tool:{{ .Tag }}-amd64"
      - "ghcr.io/acme/tool:latest-amd64"
      - "acme/tool:{{ .Tag }}-amd64"
    build_flag_templates:
      - "--pull"
      - "--label=org.opencontainers.image.version={{.Version}}"
    extra_files: [config.yml]
  - goarch: arm
    goarm: 7
    dockerfile: Dockerfile
    image_templates:
      - "ghcr.io/acme/tool:{{ .Tag }}-armv7"
      - "ghcr.io/acme/tool:latest-armv7"
    skip_push: auto
  - goos: windows
    image_templates: ["ghcr.io/acme/tool:{{ .Tag }}-windows"]
"#;

    /// The draft's notes as `key: why`.
    fn notes_in(imported: &Imported) -> Vec<String> {
        let text = &imported.toml;
        imported
            .unmapped
            .iter()
            .map(|k| {
                let line = text.lines().find(|l| l.starts_with(&format!("# not imported: {k} ("))).unwrap();
                format!("{k}: {}", &line[format!("# not imported: {k} (").len()..line.len() - 1])
            })
            .collect()
    }

    fn has_note(notes: &[String], key: &str, why: &str) {
        assert!(
            notes.iter().any(|n| n.starts_with(&format!("{key}: ")) && n.contains(why)),
            "no note {key:?} saying {why:?} in {notes:#?}"
        );
    }

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The draft, read back as dist reads it and resolved: it loads.
    fn imported(yaml: &str) -> (Imported, crate::settings::Settings, crate::settings::Resolved) {
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        let r = s.clone().resolve(Path::new("/proj/dist.toml")).unwrap_or_else(|e| panic!("{e:#}\n{}", imported.toml));
        (imported, s, r)
    }

    #[test]
    fn kos_become_images_built_from_scratch() {
        let (imported, s, r) = imported(KO);
        let want = ImageSettings {
            name: Some("ghcr.io/acme/hello".into()),
            binary: Some("hello".into()),
            platforms: strs(&["linux/amd64", "linux/arm64", "linux/arm/v7"]),
            user: "65532:65532".into(),
            labels: map(&[("org.opencontainers.image.licenses", "Apache-2.0")]),
            annotations: map(&[("org.opencontainers.image.description", "Says hello")]),
            tags: strs(&["{{ .Version }}", "latest"]),
            ..scratch()
        };
        assert_eq!(s.images, vec![want]);
        let notes = notes_in(&imported);
        has_note(&notes, "kos[0].base_image", "from scratch (base = \"scratch\") with CA certificates and time zones");
        has_note(&notes, "kos[0].platforms linux/s390x", "not a linux target dist builds: add it to [targets]");
        has_note(&notes, "kos[0].repositories docker.io/acme/hello", "an image has one name in dist");
        has_note(
            &notes,
            "kos[0].tags {{ if not .Prerelease }}stable{{ end }}",
            "uses .Prerelease, which dist's templates do not have",
        );
        has_note(&notes, "kos[0].sbom", "dist attaches no SBOM");
        has_note(&notes, "kos[0].ldflags", "dist's image holds the binary as [build]");
        // The commit's time is what dist gives the image; `main` and `working_dir` are the build's; `bare` names
        // the image by the repository alone, as dist does; dist fills image.source from the git remote.
        for silent in ["creation_time", "ko_data_creation_time", "main", "working_dir", "bare", "labels", "user"] {
            assert!(!notes.iter().any(|n| n.starts_with(&format!("kos[0].{silent}"))), "{silent}: {notes:#?}");
        }
        assert!(!notes.iter().any(|n| n.starts_with("kos:") || n.starts_with("kos ")), "{notes:#?}");
        // It loads: the binary is picked, the platforms parse.
        assert_eq!(r.images.len(), 1);
        assert_eq!((r.images[0].binary, r.images[0].platforms.len()), (0, 3));
        // The notes sit above the entry; the labels are a table of their own.
        let toml = &imported.toml;
        let entry = toml.find("\n[[images]]\n").unwrap();
        assert!(toml.find("# not imported: kos[0].base_image").unwrap() < entry, "{toml}");
        assert!(toml.contains("\n[images.labels]\n\"org.opencontainers.image.licenses\" = \"Apache-2.0\"\n"), "{toml}");
        assert!(
            toml.contains("base = \"scratch\"\nca_certificates = true\ntzdata = true\nuser = \"65532:65532\"\n"),
            "{toml}"
        );
    }

    #[test]
    fn ko_defaults_and_its_image_names() {
        // GoReleaser's minimal example: no build id, ko's default base, tags and (only linux/amd64) platforms.
        let yaml = r#"
builds:
  - env: ["CGO_ENABLED=1"]
    binary: test
    goos: [darwin, linux]
    goarch: [amd64, arm64]
kos:
  - repositories: [ghcr.io/caarlos0/test-ko]
    tags: ["{{.Version}}", latest]
    bare: true
    preserve_import_paths: false
    platforms: [linux/amd64, linux/arm64]
  - repository: ghcr.io/caarlos0
    base_image: gcr.io/distroless/static-debian12
    base_import_paths: true
  - base_image: alpine:3.20
    sbom: none
"#;
        let (imported, s, r) = imported(yaml);
        let images: Vec<_> = s
            .images
            .iter()
            .map(|i| (i.name.as_deref(), i.platforms.clone(), i.tags.clone(), i.file_name.as_str()))
            .collect();
        assert_eq!(
            images,
            [
                (
                    Some("ghcr.io/caarlos0/test-ko"),
                    strs(&["linux/amd64", "linux/arm64"]),
                    strs(&["{{.Version}}", "latest"]),
                    "{{ .ProjectName }}_{{ .Version }}_image"
                ),
                // `main: .` names its package by the module, unknown without go.mod: the repository alone.
                (
                    Some("ghcr.io/caarlos0"),
                    strs(&["linux/amd64"]),
                    strs(&["latest"]),
                    "{{ .ProjectName }}_{{ .Version }}_caarlos0_image"
                ),
                (None, strs(&["linux/amd64"]), strs(&["latest"]), "{{ .ProjectName }}_{{ .Version }}_image3_image"),
            ]
        );
        assert_eq!(r.images.len(), 3);
        let notes = notes_in(&imported);
        has_note(&notes, "kos[0].base_image", "not given, so ko's default cgr.dev/chainguard/static");
        has_note(&notes, "kos[1].base_image", "it ran as root, the image runs as 65532:65532: set user = \"0:0\"");
        has_note(
            &notes,
            "kos[2].base_image alpine:3.20",
            "not imported: dist builds on a base image only when it is pinned by digest",
        );
        has_note(&notes, "kos[2].repositories", "$KO_DOCKER_REPO");
        has_note(&notes, "kos[1].base_import_paths", "not known without the repository's go.mod");
        assert!(!notes.iter().any(|n| n.starts_with("kos[2].sbom")), "sbom: none is dist's: {notes:#?}");

        // With the repository at hand, the import path names it as ko does.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config =
            "project_name: hello\nbuilds:\n  - main: ./cmd/hello\nkos:\n  - repositories: [ghcr.io/acme]\n    \
                      preserve_import_paths: true\n  - repositories: [ghcr.io/acme]\n";
        for (path, text) in [
            (".goreleaser.yaml", config),
            ("go.mod", "module github.com/Acme/hello\n"),
            ("cmd/hello/main.go", "package main\nfunc main() {}\n"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), text).unwrap();
        }
        let imported = import(root).unwrap();
        let s = parse(&imported);
        let names: Vec<_> = s.images.iter().map(|i| i.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["ghcr.io/acme/github.com/acme/hello/cmd/hello", "ghcr.io/acme"]);
        has_note(&notes_in(&imported), "kos[1].bare", "ko names the image ghcr.io/acme/<package>-<MD5");
    }

    #[test]
    fn dockers_v2_become_images_and_their_dockerfile_is_named() {
        let (imported, s, r) = imported(DOCKERS_V2);
        let basic = ImageSettings {
            name: Some("golangci/golangci-lint".into()),
            binary: Some("golangci-lint".into()),
            platforms: strs(&["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le"]),
            labels: map(&[
                ("org.opencontainers.image.revision", "{{ .FullCommit }}"),
                ("org.opencontainers.image.title", "{{ .ProjectName }}"),
            ]),
            annotations: map(&[
                ("org.opencontainers.image.description", "Fast linters runner for Go"),
                ("org.opencontainers.image.licenses", "GPL-3.0"),
            ]),
            tags: strs(&["{{ .Tag }}", "latest"]),
            ..docker("build/buildx.Dockerfile", &["LICENSE"], &[("VERSION", "{{ .Version }}")])
        };
        let alpine = ImageSettings {
            name: Some("golangci/golangci-lint".into()),
            binary: Some("golangci-lint".into()),
            platforms: strs(&["linux/amd64", "linux/arm64"]),
            // Empty in a snapshot build, skipped then as GoReleaser skips it.
            tags: strs(&["{{ .Tag }}-alpine", "{{ if not .IsSnapshot }}latest-alpine{{ end }}"]),
            file_name: "{{ .ProjectName }}_{{ .Version }}_alpine_image".into(),
            ..docker("build/buildx-alpine.Dockerfile", &[], &[])
        };
        assert_eq!(s.images, vec![basic, alpine]);
        assert_eq!(r.images.len(), 2);
        let notes = notes_in(&imported);
        for (key, why) in [
            ("dockers_v2[0].images ghcr.io/golangci/golangci-lint", "an image has one name in dist"),
            ("dockers_v2[0].tags v{{ .Major }}.{{ .Minor }}", "uses .Major"),
            ("dockers_v2[0].annotations.index:org.opencontainers.image.licenses", "on the index and on every manifest"),
            ("dockers_v2[0].sbom", "no SBOM"),
            ("dockers_v2[1].retry", "`cargo xtask push` (release.yml on tags) pushes it, without push options"),
        ] {
            has_note(&notes, key, why);
        }
        assert!(!notes.iter().any(|n| n.contains(".labels.org.opencontainers.image.source")), "{notes:#?}");
    }

    #[test]
    fn tags_empty_in_some_builds_are_kept_and_an_image_always_has_one() {
        let yaml = r#"
project_name: app
builds:
  - id: app
    main: .
    goarch: [amd64]
dockers_v2:
  - images: [ghcr.io/acme/app]
    tags: ["{{ if not .IsSnapshot }}latest{{ end }}"]
  - images: [ghcr.io/acme/app2]
    tags: ["{{ .Version }}", "{{ if not .IsSnapshot }}latest{{ end }}"]
"#;
        let (imported, s, r) = imported(yaml);
        // dist skips a tag that renders empty, as GoReleaser does; an image with none left gets the version.
        assert_eq!(s.images[0].tags, strs(&["{{ if not .IsSnapshot }}latest{{ end }}", "{{ .Version }}"]));
        assert_eq!(s.images[1].tags, strs(&["{{ .Version }}", "{{ if not .IsSnapshot }}latest{{ end }}"]));
        assert_eq!(r.images.len(), 2);
        let notes = notes_in(&imported);
        has_note(&notes, "dockers_v2[0].tags", "every tag is empty in some dist builds");
        assert!(!notes.iter().any(|n| n.starts_with("dockers_v2[1].tags")), "{notes:#?}");
    }

    #[test]
    fn dockers_v2_defaults_ids_and_disabled_entries() {
        let yaml = r#"
project_name: suite
builds:
  - id: server
    main: ./cmd/server
    binary: server
    goarch: [amd64]
  - id: cli
    main: ./cmd/cli
    binary: cli
    goarch: [amd64]
dockers_v2:
  - images: [ghcr.io/acme/suite]
  - images: [ghcr.io/acme/server]
    ids: [server, cli, nosuch]
    platforms: ["{{ .Env.PLATFORMS }}", linux/amd64]
  - images: [ghcr.io/acme/none]
    ids: [nosuch]
  - images: [ghcr.io/acme/off]
    disable: true
  - ids: [cli]
"#;
        let (imported, s, _) = imported(yaml);
        let images: Vec<_> = s
            .images
            .iter()
            .map(|i| (i.name.as_deref(), i.binary.as_deref(), i.platforms.clone(), i.tags.clone()))
            .collect();
        // GoReleaser's defaults: {{.Tag}}, and linux/amd64 and linux/arm64 (less what dist does not build).
        assert_eq!(
            images,
            [
                (Some("ghcr.io/acme/suite"), None, strs(&["linux/amd64"]), strs(&["{{.Tag}}"])),
                (Some("ghcr.io/acme/server"), Some("server"), strs(&["linux/amd64"]), strs(&["{{.Tag}}"])),
            ]
        );
        let notes = notes_in(&imported);
        has_note(&notes, "dockers_v2[0].ids", "not given: an image holds one binary, the first, server");
        assert!(s.images.iter().all(|i| i.dockerfile.as_deref() == Some("Dockerfile")), "GoReleaser's default");
        has_note(&notes, "dockers_v2[1].ids", "name 2 binaries: an image holds one in dist, server");
        has_note(&notes, "dockers_v2[1].ids nosuch", "no imported build has this id");
        has_note(&notes, "dockers_v2[1].platforms {{ .Env.PLATFORMS }}", "a template");
        has_note(&notes, "dockers_v2[2]", "its `ids` name no imported build, so it has no binary to hold");
        has_note(&notes, "dockers_v2[4]", "no images: GoReleaser makes no image of it");
        assert!(!notes.iter().any(|n| n.starts_with("dockers_v2[3]")), "disabled, as in GoReleaser: {notes:#?}");
    }

    #[test]
    fn dockers_joined_by_manifests_become_one_multi_platform_image() {
        let (imported, s, r) = imported(DOCKERS_MANIFESTS);
        let want = ImageSettings {
            name: Some("ghcr.io/smlx/go-cli-github".into()),
            binary: Some("go-cli-github".into()),
            platforms: strs(&["linux/amd64", "linux/arm64"]),
            labels: map(&[("org.opencontainers.image.created", "{{.Date}}")]),
            tags: strs(&["v{{ .Version }}", "latest"]),
            ..docker("Dockerfile", &[], &[("BINARY", "go-cli-github")])
        };
        assert_eq!(s.images, vec![want]);
        assert_eq!(r.images[0].platforms.len(), 2);
        let notes = notes_in(&imported);
        for (key, why) in [
            ("dockers[0].use", "with neither docker, buildx nor podman"),
            ("docker_manifests", "one [[images]] entry is a multi-platform image (an OCI index) already"),
            ("docker_signs", "dist does not sign images (yet)"),
        ] {
            has_note(&notes, key, why);
        }
        // Its own platform and the labels are taken, not named.
        assert!(!notes.iter().any(|n| n.contains("--platform") || n.contains("--label")), "{notes:#?}");
    }

    #[test]
    fn dockers_per_platform_merge_where_their_names_agree() {
        let (imported, s, r) = imported(DOCKERS_PER_ARCH);
        let want = ImageSettings {
            name: Some("ghcr.io/acme/tool".into()),
            platforms: strs(&["linux/amd64", "linux/arm/v7"]),
            labels: map(&[("org.opencontainers.image.version", "{{.Version}}")]),
            tags: strs(&["{{ .Tag }}", "latest"]),
            ..docker("Dockerfile", &["config.yml"], &[])
        };
        assert_eq!(s.images, vec![want]);
        assert_eq!(r.images.len(), 1);
        let notes = notes_in(&imported);
        for (key, why) in [
            ("dockers[0].image_templates acme/tool:{{ .Tag }}-amd64", "an image has one name in dist"),
            ("dockers[0].build_flag_templates --pull", "runs no docker build"),
            ("dockers[1].skip_push", "without push options"),
            ("dockers[2].goos windows", "images hold linux binaries"),
        ] {
            has_note(&notes, key, why);
        }

        // Names that do not agree stay apart, each archive named for itself.
        let yaml = DOCKERS_PER_ARCH.replace("ghcr.io/acme/tool:{{ .Tag }}-armv7", "ghcr.io/acme/tool-arm:{{ .Tag }}");
        let s = parse(&from_goreleaser(&yaml, ".").unwrap());
        let images: Vec<_> =
            s.images.iter().map(|i| (i.name.as_deref(), i.platforms.clone(), i.file_name.as_str())).collect();
        assert_eq!(
            images,
            [
                (Some("ghcr.io/acme/tool"), strs(&["linux/amd64"]), "{{ .ProjectName }}_{{ .Version }}_image"),
                (
                    Some("ghcr.io/acme/tool-arm"),
                    strs(&["linux/arm/v7"]),
                    "{{ .ProjectName }}_{{ .Version }}_tool-arm_image"
                ),
            ]
        );
        assert_eq!(s.images[0].tags, strs(&["{{ .Tag }}-amd64", "latest-amd64"]), "alone, an image keeps its tags");
    }

    #[test]
    fn references_platforms_and_bases() {
        for (reference, repo, tag) in [
            ("ghcr.io/acme/tool:v{{ .Version }}-amd64", "ghcr.io/acme/tool", "v{{ .Version }}-amd64"),
            ("localhost:5000/tool", "localhost:5000/tool", "latest"),
            ("localhost:5000/tool:1", "localhost:5000/tool", "1"),
            ("acme/tool:{{ if eq .Os \"linux\" }}x{{ end }}", "acme/tool", "{{ if eq .Os \"linux\" }}x{{ end }}"),
            ("{{ .Env.REGISTRY }}/tool", "{{ .Env.REGISTRY }}/tool", "latest"),
        ] {
            assert_eq!(split_reference(reference), (repo.to_owned(), tag.to_owned()), "{reference}");
        }
        let arm7 = Target { arm: Some(7), ..Target::new("linux", "arm") };
        let amd64 = Target::new("linux", "amd64");
        for (tag, platform, stripped) in [
            ("{{ .Tag }}-amd64", &amd64, Some("{{ .Tag }}")),
            ("latest-x86_64", &amd64, Some("latest")),
            ("amd64-latest", &amd64, Some("latest")),
            ("{{ .Version }}-{{ .Arch }}", &amd64, Some("{{ .Version }}")),
            ("{{ .Tag }}-arm32v7", &arm7, Some("{{ .Tag }}")),
            ("{{ .Tag }}-armhf", &arm7, Some("{{ .Tag }}")),
            ("{{ .Tag }}-alpine", &amd64, None),
            ("latest", &amd64, None),
        ] {
            assert_eq!(strip_platform(tag, platform).as_deref(), stripped, "{tag}");
        }
        let linux = ["linux/amd64", "linux/arm64", "linux/arm/v7"].map(|t| t.parse::<Target>().unwrap());
        let shown = |p: &str| platform(p, Some(&linux)).map(|t| t.to_string());
        assert_eq!(shown("linux/arm64/v8"), Ok("linux/arm64".into()));
        assert_eq!(shown("linux/amd64/v1"), Ok("linux/amd64".into()));
        assert_eq!(shown("linux/arm"), Ok("linux/arm/v7".into()), "the one ARM variant built");
        assert!(shown("linux/amd64/v3").unwrap_err().contains("GOAMD64 v3"));
        assert!(shown("linux/arm/v6").unwrap_err().contains("add it to [targets]"));
        assert!(shown("windows/amd64").unwrap_err().contains("linux binaries"));
        for (base, user) in [
            ("scratch", Some("0")),
            ("cgr.dev/chainguard/static:latest", Some("65532")),
            ("cgr.dev/chainguard/static@sha256:0123", Some("65532")),
            ("gcr.io/distroless/static-debian12:nonroot", Some("65532")),
            ("gcr.io/distroless/static", Some("0")),
            ("gcr.io/distroless/base", None),
            ("alpine", None),
        ] {
            assert_eq!(static_base(base), user, "{base}");
        }
    }
}
