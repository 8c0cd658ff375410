//! The GoReleaser importer's driver: finds the config and the Go module it builds, walks the top-level
//! keys (mapped, deliberately ignored, or named with why `dist.toml` has no equivalent), and hands each
//! section to its module: [`builds`], [`archives`], [`checksum`], [`nfpms`], [`images`].

mod archives;
mod builds;
mod checksum;
mod images;
mod nfpms;
mod supply;
mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, format_err, Context};
use yaml_rust2::{Yaml, YamlLoader};

use super::discover::{dot_path, find_mains, module_dir_of, module_path, norm};
use super::{Draft, Section};
use yaml::{entries, is_unset, merge_keys, scalar, strings};

/// GoReleaser's config files, in the order it looks for them (cmd/config.go).
pub(super) const CONFIG_FILES: [&str; 6] = [
    ".config/goreleaser.yml",
    ".config/goreleaser.yaml",
    ".goreleaser.yml",
    ".goreleaser.yaml",
    "goreleaser.yml",
    "goreleaser.yaml",
];

/// The settings from the config `name` (one of [`CONFIG_FILES`]) in `repo`, with the Go module and main
/// packages it builds.
pub(super) fn import(repo: &Path, name: &str) -> anyhow::Result<Draft> {
    let path = repo.join(name);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    // GoReleaser runs `go build` in the first build's `dir`: its module is the nearest go.mod at or above it.
    let module_dir = module_dir_of(repo, &first_build_dir(&text));
    let module_abs = repo.join(&module_dir);
    let module = std::fs::read_to_string(module_abs.join("go.mod")).ok().and_then(|m| module_path(&m));
    let mains = |rel: &[String]| -> Option<Vec<String>> {
        let found = find_mains(&module_abs.join(rel.join("/"))).ok()?;
        Some(found.iter().map(|m| dot_path(&[rel, &norm(m)[..]].concat())).collect())
    };
    convert(&text, name, &module_dir, &RepoInfo { module, mains: &mains })
}

/// Pure: the settings from a config's text, without the repository (`main: ./...` is left unmapped).
#[cfg(test)]
pub(super) fn draft(yaml: &str, module_dir_rel: &str) -> anyhow::Result<Draft> {
    let no_files = |_: &[String]| None;
    convert(yaml, ".goreleaser.yml", module_dir_rel, &RepoInfo { module: None, mains: &no_files })
}

/// What only the repository can tell a config's conversion.
struct RepoInfo<'a> {
    /// The Go module path (go.mod), for GoReleaser's default project and binary names.
    module: Option<String>,
    /// The main packages below a folder of the module (parts relative to it), relative to the module: what a
    /// `main: ./...` pattern stands for. `None` when the files are not at hand.
    mains: &'a dyn Fn(&[String]) -> Option<Vec<String>>,
}

/// The `dir` of the first build in a GoReleaser config ("." when absent or unreadable).
fn first_build_dir(yaml: &str) -> String {
    let docs = YamlLoader::load_from_str(yaml).unwrap_or_default();
    let dir = docs.first().map(|d| &d["builds"][0]["dir"]);
    dir.and_then(scalar).unwrap_or_else(|| ".".to_owned())
}

/// A config's text → settings, with the notes on what `dist.toml` cannot express, in file order.
fn convert(yaml: &str, source: &str, module_dir_rel: &str, repo: &RepoInfo) -> anyhow::Result<Draft> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| format_err!("{source} is not valid YAML: {e}"))?;
    let root = merge_keys(docs.into_iter().next().unwrap_or(Yaml::Null));
    let top = match &root {
        Yaml::Hash(_) => entries(&root, "")?,
        Yaml::Null => vec![],
        _ => bail!("{source}: expected GoReleaser settings (a mapping) at the top"),
    };
    let get = |key: &str| top.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !v.is_null());
    let mut out = Draft::new(source, true, module_dir_rel);

    // Top-level keys: mapped below, deliberately ignored, or named as not imported.
    let mut top_env = BTreeMap::new();
    for (key, value) in &top {
        let value = *value;
        match key.as_str() {
            "project_name" | "builds" | "archives" | "checksum" | "nfpms" | "sboms" | "signs" => {} // mapped below
            "kos" | "dockers_v2" | "dockers" | "docker_manifests" | "docker_signs" => {}            // images, below
            // The config's schema version (2) and `report_sizes` (a log line): nothing to carry over.
            "version" | "report_sizes" => {}
            "env" => {
                for kv in strings(value, "env")? {
                    env_entry(&mut out, &mut top_env, &kv, "env");
                }
            }
            // GoReleaser's output folder: the default is ours too; another is `--out`.
            "dist" => {
                if scalar(value).is_some_and(|d| norm(&d) != ["dist"]) {
                    out.note(Section::Top, "dist", "pass `--out DIR` to cargo xtask dist");
                }
            }
            "before" => {
                for (k, v) in entries(value, "before")? {
                    if k == "hooks" {
                        note_if_set(&mut out, Section::Build, v, "before.hooks", "run them before `cargo xtask dist`");
                    } else {
                        note_if_set(&mut out, Section::Top, v, format!("before.{k}"), "no dist.toml equivalent");
                    }
                }
            }
            "gomod" => {
                for (k, v) in entries(value, "gomod")? {
                    let why = match k.as_str() {
                        "proxy" => "dist builds the checked-out source, not the tagged module from the proxy",
                        _ => "no dist.toml equivalent",
                    };
                    note_if_set(&mut out, Section::Build, v, format!("gomod.{k}"), why);
                }
            }
            // `metadata.mod_timestamp: "{{ .CommitTimestamp }}"` is what dist does to every file anyway.
            "metadata" => {
                for (k, v) in entries(value, "metadata")? {
                    if k == "mod_timestamp" && scalar(v).is_some_and(|s| is_commit_timestamp(&s)) {
                        continue;
                    }
                    note_if_set(&mut out, Section::Top, v, format!("metadata.{k}"), "no dist.toml equivalent");
                }
            }
            other => note_if_set(&mut out, Section::Top, value, other, top_level_hint(other)),
        }
    }

    // GoReleaser's project name: project_name, else the release repository's name, else the module's last
    // element (internal/pipe/project). Where that element is a major version (`example.com/tool/v3`),
    // GoReleaser says "v3"; dist takes the name `go build` gives the module's root package ("tool").
    let release_name = ["github", "gitlab", "gitea"]
        .iter()
        .find_map(|forge| get("release").and_then(|r| scalar(&r[*forge]["name"])).filter(|n| !n.is_empty()));
    let module_name = repo.module.as_deref().and_then(|m| super::discover::binary_name_for(".", Some(m)));
    let project = match get("project_name").and_then(scalar) {
        Some(p) if p.contains("{{") => {
            out.note(Section::App, "project_name", "a template; set app.name");
            None
        }
        Some(p) if !is_file_name(&p) => {
            out.note(Section::App, "project_name", format!("{p:?} is not a file name; set app.name"));
            None
        }
        Some(p) => Some(p),
        None => release_name.or(module_name),
    };
    out.settings.app.name = project.clone();

    // Builds. No `builds` (or an empty list) means one build with every default.
    let default_build = Yaml::Hash(Default::default());
    let build_values: Vec<&Yaml> = match get("builds") {
        None => vec![&default_build],
        Some(Yaml::Array(items)) if items.is_empty() => vec![&default_build],
        Some(Yaml::Array(items)) => items.iter().collect(),
        Some(_) => bail!("{source}: `builds` must be a list"),
    };
    let mut builds = Vec::new();
    for (i, b) in build_values.into_iter().enumerate() {
        if let Some(build) = builds::convert_build(&mut out, i, b, module_dir_rel, project.as_deref(), repo)? {
            builds.push(build);
        }
    }
    // Archives and packages name the builds whose binaries they take by id.
    let ids = builds::combine_builds(&mut out, builds, top_env);
    // Archives: every one; GoReleaser's default archive when there is none.
    let default_archive = Yaml::Hash(Default::default());
    let archives: Vec<&Yaml> = match get("archives") {
        None => vec![&default_archive],
        Some(Yaml::Array(items)) if items.is_empty() => vec![&default_archive],
        Some(Yaml::Array(items)) => items.iter().collect(),
        Some(_) => bail!("{source}: `archives` must be a list"),
    };
    archives::convert_archives(&mut out, &archives, &ids, module_dir_rel)?;

    checksum::convert_checksum(&mut out, get("checksum"))?;
    if let Some(value) = get("nfpms") {
        nfpms::convert_nfpms(&mut out, value, &ids, module_dir_rel)?;
    }
    images::convert_images(&mut out, &get, &ids, repo.module.as_deref())?;
    if let Some(value) = get("sboms") {
        supply::convert_sboms(&mut out, value)?;
    }
    if let Some(value) = get("signs") {
        supply::convert_signs(&mut out, value)?;
    }
    Ok(out)
}

/// Why a top-level GoReleaser section has no `dist.toml` counterpart.
fn top_level_hint(key: &str) -> &'static str {
    match key {
        "release" | "milestones" | "announce" | "blobs" | "uploads" | "artifactories" | "publishers"
        | "github_urls" | "gitlab_urls" | "gitea_urls" | "force_token" | "env_files" => {
            "dist does not publish: upload the files in dist/ from CI"
        }
        "changelog" => "dist writes no changelog",
        "binary_signs" => "dist signs the checksum file, which covers every binary, with minisign",
        "notarize" => "notarize the macOS binaries in dist/ after `cargo xtask dist`",
        "docker_digest" => "dist writes no digest files: each image archive's index.json holds its digest",
        "snapcrafts" | "brews" | "homebrew_casks" | "scoops" | "winget" | "nix" | "aurs" | "aur_sources" | "krews"
        | "chocolateys" | "makeselfs" | "srpm" | "flatpak" => {
            "dist makes archives and deb, rpm and apk packages, not these"
        }
        "snapshot" => "dist versions an untagged commit with `git describe`, 0.0.0-dev without tags",
        "upx" => "dist does not compress binaries",
        "universal_binaries" => "dist builds one binary per target, no macOS universal binaries",
        "source" => "dist does not archive the source",
        "git" => "dist versions from `git describe --tags`",
        _ => "no dist.toml equivalent",
    }
}

pub(super) fn is_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.')
}

/// Names `key` as not imported unless its value is empty (null, "", [], {}, false): setting nothing needs no
/// mapping.
pub(super) fn note_if_set(out: &mut Draft, section: Section, value: &Yaml, key: impl Into<String>, why: &str) {
    if !is_unset(value) {
        out.note(section, key, why);
    }
}

/// `{{ .Version }}`, `{{.Version}}`, `{{- .Version -}}` → `.Version`; `None` unless the text is one action.
pub(super) fn single_action(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    Some(inner.trim())
}

pub(super) fn is_commit_timestamp(s: &str) -> bool {
    single_action(s) == Some(".CommitTimestamp")
}

/// One `K=V` of an `env` list into `env` (a templated value as written: dist fills it per target);
/// what dist sets itself, a templated name and what is not `K=V` are named instead.
pub(super) fn env_entry(out: &mut Draft, env: &mut BTreeMap<String, String>, entry: &str, at: &str) {
    match entry.split_once('=') {
        Some((k, _)) if matches!(k, "GOOS" | "GOARCH" | "GOARM") => {
            out.note(Section::Build, format!("{at} {k}"), "targets are chosen in [targets]");
        }
        Some((k, v)) if !k.is_empty() && !k.contains("{{") => {
            env.insert(k.to_owned(), v.to_owned());
        }
        _ => {
            let key = entry.split_once('=').map_or(entry, |(k, _)| k);
            out.note(Section::Build, format!("{at} {key}"), "a templated name or not K=V");
        }
    }
}

#[cfg(test)]
pub(in crate::init) mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::init::tests::{parse, strs};
    use crate::init::{from_goreleaser, import};
    use crate::settings::{Archive, Format, DEFAULT_GO};

    /// The image sections' configs, for the renderer's tests.
    pub(in crate::init) use super::images::tests::{DOCKERS_MANIFESTS, DOCKERS_V2, KO};

    /// What `goreleaser init` (v2.15.1) writes: internal/static/config.yaml.
    pub(in crate::init) const GORELEASER_INIT: &str = r#"# This is an example .goreleaser.yml file with some sensible defaults.
# Make sure to check the documentation at https://goreleaser.com

# The lines below are called `modelines`. See `:help modeline`
# Feel free to remove those if you don't want/need to use them.
# yaml-language-server: $schema=https://goreleaser.com/static/schema.json
# vim: set ts=2 sw=2 tw=0 fo=cnqoj

version: 2

before:
  hooks:
    # You may remove this if you don't use go modules.
    - go mod tidy
    # you may remove this if you don't need go generate
    - go generate ./...

builds:
  - main: ./...
    env:
      - CGO_ENABLED=0
    goos:
      - linux
      - windows
      - darwin
    goarch:
      - arm64
      - amd64
      - "386"

archives:
  - formats: [tar.gz]
    # this name template makes the OS and Arch compatible with the results of `uname`.
    name_template: >-
      {{ .ProjectName }}_
      {{- title .Os }}_
      {{- if eq .Arch "amd64" }}x86_64
      {{- else if eq .Arch "386" }}i386
      {{- else }}{{ .Arch }}{{ end }}
      {{- if .Arm }}v{{ .Arm }}{{ end }}
    # use zip for windows archives
    format_overrides:
      - goos: windows
        formats: [zip]

changelog:
  sort: asc
  filters:
    exclude:
      - "^docs:"
      - "^test:"

release:
  footer: >-

    ---

    Released by [GoReleaser](https://github.com/goreleaser/goreleaser).
"#;

    /// The folded `name_template` above, as YAML reads it: lines joined with single spaces.
    pub(in crate::init) const UNAME_TEMPLATE: &str = "{{ .ProjectName }}_ {{- title .Os }}_ {{- if eq .Arch \"amd64\" }}x86_64 {{- else if eq .Arch \"386\" }}i386 {{- else }}{{ .Arch }}{{ end }} {{- if .Arm }}v{{ .Arm }}{{ end }}";

    pub(in crate::init) const MULTI_BUILD: &str = r#"
project_name: suite
builds:
  - id: server
    main: ./cmd/server
    binary: server
    ldflags: -s -w -X main.version={{.Version}} -X github.com/x/y/internal.Commit={{.Commit}}
    goos: [linux, windows, darwin]
    goarch: [amd64, arm64, arm]
    goarm: ["6", 7]
    ignore:
      - goos: windows
        goarch: arm
    tags: [netgo, osusergo]
    flags: [-trimpath, -mod=vendor]
    mod_timestamp: "{{ .CommitTimestamp }}"
    hooks:
      pre: make assets
  - id: cli
    main: ./cmd/cli
    binary: cli
    ldflags:
      - -s -w
      - -X main.version={{ .Version }}
      - -X github.com/x/y/internal.Commit={{ .Commit }}
    goos: [linux, windows, darwin]
    goarch: [amd64, arm64, arm]
    goarm: [6, "7"]
    ignore:
      - goos: windows
        goarch: arm
    tags: [netgo, osusergo]
    flags: [-trimpath, -mod=vendor]
"#;

    /// Two commands shipped as archives of their own, as a real config does (`ids`, and the deprecated
    /// `builds`), beside one of every binary bare whose `ids` names no build.
    pub(in crate::init) const ARCHIVE_SETS: &str = r#"
project_name: tool
builds:
  - id: tool
    main: ./cmd/tool
    binary: tool
  - id: plugin
    main: ./cmd/toolctl
    binary: toolctl
archives:
  - id: tool
    ids: [tool]
    name_template: "tool_{{ .Tag }}_{{ .Os }}_{{ .Arch }}"
    files: [LICENSE]
  - id: ctl
    builds: [plugin]
    name_template: "toolctl_{{ .Tag }}_{{ .Os }}_{{ .Arch }}"
    formats: [zip]
    wrap_in_directory: true
  - ids: [nosuch, plugin]
    formats: [binary]
  - ids: [nosuch]
    formats: [zip]
"#;

    #[test]
    fn goreleaser_init_config() {
        let imported = from_goreleaser(GORELEASER_INIT, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(imported.source, ".goreleaser.yml");
        let archive = s.archive.as_ref().unwrap();
        assert_eq!(archive.name, UNAME_TEMPLATE);
        assert_eq!(archive.format, Format::TarGz);
        assert_eq!(archive.formats, BTreeMap::from([("windows".to_owned(), Format::Zip)]));
        assert!(!archive.wrap, "GoReleaser does not wrap by default");
        assert_eq!(archive.files, Archive::default().files, "GoReleaser's default files: ours");
        assert_eq!(s.targets.os, strs(&["linux", "windows", "darwin"]));
        assert_eq!(s.targets.arch, strs(&["arm64", "amd64", "386"]));
        assert_eq!(s.targets.arm, Vec::<String>::new());
        assert!(!imported.toml.contains("arm ="), "{}", imported.toml);
        assert_eq!(s.targets.ignore, Vec::<String>::new());
        assert_eq!(s.build.env, BTreeMap::from([("CGO_ENABLED".to_owned(), "0".to_owned())]));
        // GoReleaser's default ldflags.
        assert_eq!(s.build.ldflags, strs(&["-s", "-w", "-X", "main.builtBy=cargo-xtask"]));
        assert_eq!(
            (s.build.stamp.version.as_str(), s.build.stamp.commit.as_str(), s.build.stamp.date.as_str()),
            ("main.version", "main.commit", "main.date")
        );
        assert_eq!(s.checksum.name, "{{ .ProjectName }}_{{ .Version }}_checksums.txt");
        assert_eq!(s.app.dir, std::path::PathBuf::from("."));
        assert_eq!(s.app.go, DEFAULT_GO);
        assert_eq!(
            imported.unmapped,
            strs(&["before.hooks", "changelog", "release", "builds[0].main ./..."]),
            "{}",
            imported.toml
        );
        assert!(imported.toml.contains("# not imported: before.hooks (run them before `cargo xtask dist`)\n[build]\n"));
        assert!(imported.toml.contains("# not imported: changelog (dist writes no changelog)\n"));
        assert!(imported
            .toml
            .starts_with("# What `cargo xtask dist` builds: written by `cargo xtask init` from .goreleaser.yml.\n"));
        // And dist accepts it: the template parses, the targets are valid.
        let r = s.resolve(Path::new("/proj/dist.toml")).unwrap();
        assert_eq!(r.archives[0].name.source(), UNAME_TEMPLATE);
        assert_eq!(r.matrix.targets.len(), 9);
    }

    #[test]
    fn import_resolves_every_main_package_of_dot_dot_dot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".goreleaser.yaml"), GORELEASER_INIT).unwrap();
        std::fs::write(root.join("go.mod"), "module github.com/acme/tool/v2\n\ngo 1.24\n").unwrap();
        for (path, src) in [
            ("main.go", "package main\nfunc main() {}\n"),
            ("cmd/tool-cli/main.go", "// Command tool-cli.\npackage main\nfunc main() {}\n"),
            ("internal/lib/lib.go", "package lib\n"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), src).unwrap();
        }
        let imported = import(root).unwrap();
        assert_eq!(imported.source, ".goreleaser.yaml");
        let s = parse(&imported);
        // GoReleaser would say "v2" (the module path's last element); the name `go build` gives is "tool".
        assert_eq!(s.app.name.as_deref(), Some("tool"), "the module's name without its major version");
        let bins: Vec<(&str, Option<&str>)> = s.binaries.iter().map(|b| (b.main.as_str(), b.name.as_deref())).collect();
        assert_eq!(bins, [(".", Some("tool")), ("./cmd/tool-cli", Some("tool-cli"))]);
        assert_eq!(imported.unmapped, strs(&["before.hooks", "changelog", "release"]));
    }

    #[test]
    fn explicit_targets_wrap_templates_and_checksums() {
        let yaml = r#"
builds:
  - targets: [go_first_class, linux_arm_7, linux_amd64_v3, darwin_arm64_v8.0, linux_riscv64]
    dir: app
    main: ./cmd/x/main.go
    binary: "{{ .ProjectName }}"
archives:
  - formats: [binary]
    name_template: '{{ .Binary }}_{{ .Os }}_{{ .Arch }}'
    wrap_in_directory: "{{ .ProjectName }}"
checksum:
  name_template: "SHA256SUMS"
  algorithm: sha512
"#;
        let imported = from_goreleaser(yaml, "app").unwrap();
        let s = parse(&imported);
        assert_eq!(
            s.targets.list,
            strs(&[
                "darwin/amd64",
                "darwin/arm64",
                "linux/386",
                "linux/amd64",
                "linux/arm/v6",
                "linux/arm64",
                "windows/386",
                "windows/amd64",
                "linux/arm/v7",
                "linux/riscv64",
            ])
        );
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/x/main.go", Some("x")));
        let archive = s.archive.as_ref().unwrap();
        assert_eq!(archive.format, Format::Binary);
        assert_eq!(archive.name, "{{ .Binary }}_{{ .Os }}_{{ .Arch }}");
        assert!(archive.wrap);
        assert_eq!(s.checksum.name, "SHA256SUMS");
        assert_eq!(
            imported.unmapped,
            strs(&[
                "builds[0].targets linux_amd64_v3",
                "builds[0].binary",
                "archives[0].wrap_in_directory",
                "checksum.algorithm"
            ])
        );
    }

    /// The top-level keys `convert` maps (the list "mapped below") are imported section by section: none is
    /// named whole with the top-level hint; `docker_manifests` and `docker_signs` are named by the images
    /// importer, with its why, above `[[images]]`.
    #[test]
    fn mapped_top_level_keys_are_not_named_whole() {
        let yaml = format!(
            "{KO}\ndockers_v2:\n  - images: [ghcr.io/acme/hello]\n{}\nnfpms:\n  - formats: [deb]\n\
             checksum:\n  algorithm: sha256\n",
            DOCKERS_MANIFESTS.split("\ndockers:").nth(1).map(|rest| format!("dockers:{rest}")).unwrap()
        )
        .replace("ids: [go-cli-github]", "ids: [hello]");
        let imported = from_goreleaser(&yaml, ".").unwrap();
        for key in ["project_name", "builds", "archives", "checksum", "nfpms", "kos", "dockers_v2", "dockers"] {
            assert!(!imported.unmapped.contains(&key.to_owned()), "{key} named whole: {:?}", imported.unmapped);
        }
        let toml = &imported.toml;
        let images = toml.find("\n[[images]]\n").unwrap();
        for key in ["docker_manifests", "docker_signs"] {
            assert!(imported.unmapped.contains(&key.to_owned()), "{key}: {:?}", imported.unmapped);
            let at = toml.find(&format!("# not imported: {key} (")).unwrap();
            assert!(at < images && !toml[at..].starts_with(&format!("# not imported: {key} (no dist.toml")), "{toml}");
        }
        assert_eq!(parse(&imported).images.len(), 3, "ko, dockers_v2 and the dockers joined by manifests");
        // A section that is no list is named, not an error.
        let imported = from_goreleaser("kos: {repository: x}\ndocker_digest: {name_template: d}\n", ".").unwrap();
        assert_eq!(imported.unmapped, strs(&["docker_digest", "kos"]));
    }

    #[test]
    fn not_yaml_or_not_a_mapping_is_an_error() {
        let err = format!("{:#}", from_goreleaser("builds: [", ".").unwrap_err());
        assert!(err.contains(".goreleaser.yml is not valid YAML"), "{err}");
        let err = format!("{:#}", from_goreleaser("- a\n- b\n", ".").unwrap_err());
        assert!(err.contains("expected GoReleaser settings"), "{err}");
        let err = format!("{:#}", from_goreleaser("builds:\n  - goos: {a: b}\n", ".").unwrap_err());
        assert!(err.contains("`builds[0].goos` must be a string or a list of strings"), "{err}");
    }

    #[test]
    fn merge_keys_and_an_empty_config() {
        let yaml = r#"
x-common: &common
  goos: [linux]
  env: [CGO_ENABLED=0]
builds:
  - <<: *common
    main: ./cmd/a
    binary: a
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.targets.os, strs(&["linux"]));
        assert_eq!(s.build.env["CGO_ENABLED"], "0");
        assert_eq!(imported.unmapped, strs(&["x-common"]));

        let s = parse(&from_goreleaser("", ".").unwrap());
        assert_eq!(s.targets.arch, strs(&["amd64", "arm64", "386"]));
        assert_eq!(s.app.binary, None, "no project name known without the repository");
    }
}
