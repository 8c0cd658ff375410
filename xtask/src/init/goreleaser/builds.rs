//! GoReleaser's `builds` → `[app]` or `[[binaries]]`, `[build]` and `[targets]`: where each build's main
//! package is and what its binary is called, its linker flags split into plain flags and the stamped
//! `-X` variables, its flags, tags and env, and its goos × goarch (or `targets`) matrix. `dist.toml` has
//! one set of flags and targets: the first build's count, and what another build does differently is named.

use std::collections::BTreeMap;

use anyhow::bail;
use yaml_rust2::Yaml;

use super::yaml::{entries, flag_array, is_unset, scalar, strings, truthy};
use super::{env_entry, is_commit_timestamp, is_file_name, single_action, RepoInfo};
use crate::init::discover::{binary_name_for, dot_path, norm};
use crate::init::{Draft, Section};
use crate::settings::{BinarySettings, Stamp, Targets};
use crate::target::parse_goarm;

// GoReleaser's defaults (internal/builders/golang/build.go).
/// What `main.builtBy` says in place of GoReleaser's default `goreleaser`.
const BUILT_BY: &str = "cargo-xtask";

const GR_LDFLAGS: &str =
    "-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -X main.builtBy=goreleaser";
const GR_GOOS: [&str; 3] = ["linux", "darwin", "windows"];
const GR_GOARCH: [&str; 3] = ["amd64", "arm64", "386"];
const GR_GOARM: &str = "6";
/// `targets: [go_first_class]` (and `go_118_first_class`): a fixed list in GoReleaser, `_arm` meaning GOARM 6.
const GR_FIRST_CLASS: [&str; 8] = [
    "darwin_amd64",
    "darwin_arm64",
    "linux_386",
    "linux_amd64",
    "linux_arm",
    "linux_arm64",
    "windows_386",
    "windows_amd64",
];
/// The microarchitecture keys and their defaults: `dist` builds with Go's defaults, which are these.
const GR_VARIANTS: [(&str, &str, &[&str]); 6] = [
    ("goamd64", "v1", &["amd64"]),
    ("go386", "sse2", &["386"]),
    ("goarm64", "v8.0", &["arm64"]),
    ("gomips", "hardfloat", &["mips", "mipsle", "mips64", "mips64le"]),
    ("goppc64", "power8", &["ppc64", "ppc64le"]),
    ("goriscv64", "rva20u64", &["riscv64"]),
];

/// A build's targets: either the cross product (`os`, `arch`, `arm`, `ignore`) or `list`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Matrix {
    os: Vec<String>,
    arch: Vec<String>,
    arm: Vec<String>,
    ignore: Vec<String>,
    list: Vec<String>,
}

impl Matrix {
    /// `[targets]`, and the keys to write even at our default: a list replaces the matrix, whose keys then
    /// keep our defaults (so the file reads back as these settings).
    fn targets(&self) -> (Targets, &'static [&'static str]) {
        if self.list.is_empty() {
            let Matrix { os, arch, arm, ignore, .. } = self.clone();
            (Targets { os, arch, arm, ignore, list: vec![] }, &["targets.os", "targets.arch"])
        } else {
            (Targets { list: self.list.clone(), ..Targets::default() }, &["targets.list"])
        }
    }
}

/// One GoReleaser build, converted.
#[derive(Debug)]
pub(super) struct BuildIn {
    index: usize,
    /// GoReleaser's id (default: the project name): what archives' and packages' `ids` name.
    id: Option<String>,
    bins: Vec<BinarySettings>,
    /// Linker flags without the stamped `-X`s.
    ldflags: Vec<String>,
    stamp: [String; 3],
    flags: Vec<String>,
    tags: Vec<String>,
    env: BTreeMap<String, String>,
    matrix: Matrix,
}

pub(super) fn convert_build(
    out: &mut Draft,
    i: usize,
    build: &Yaml,
    module_dir_rel: &str,
    project: Option<&str>,
    repo: &RepoInfo,
) -> anyhow::Result<Option<BuildIn>> {
    let at = format!("builds[{i}]");
    let fields = entries(build, &at)?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !is_unset(v));

    // A skipped build is not built by GoReleaser either; a templated `skip` is decided per run.
    if let Some(skip) = get("skip") {
        match truthy(skip) {
            Some(true) => return Ok(None),
            Some(false) => {}
            None => out.note(Section::App, format!("{at}.skip"), "a template; the build is imported"),
        }
    }
    if let Some(builder) = get("builder").and_then(scalar).filter(|b| b != "go") {
        out.note(Section::App, at.clone(), format!("a {builder} build: dist builds Go"));
        return Ok(None);
    }

    let mut notes: Vec<(Section, String, String)> = Vec::new();
    let mut note =
        |section: Section, key: &str, why: &str| notes.push((section, format!("{at}.{key}"), why.to_owned()));
    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        match key.as_str() {
            // Mapped below.
            "goos" | "goarch" | "goarm" | "targets" | "ignore" | "dir" | "main" | "binary" | "ldflags" | "flags"
            | "tags" | "env" | "gcflags" | "asmflags" | "skip" | "builder" => {}
            "goamd64" | "go386" | "goarm64" | "gomips" | "goppc64" | "goriscv64" => {}
            // `id` only links archives to builds; `no_main_check` and `no_unique_dist_dir` concern GoReleaser's
            // own checks and folders.
            "id" | "no_main_check" | "no_unique_dist_dir" => {}
            "mod_timestamp" => {
                if !scalar(value).is_some_and(|s| is_commit_timestamp(&s)) {
                    note(Section::Build, key, "dist sets every file's time to the commit time");
                }
            }
            "tool" | "gobinary" => {
                if scalar(value).is_none_or(|s| s != "go") {
                    note(Section::Build, key, "dist runs the go of golang:<app.go> (or the host's)");
                }
            }
            "command" => {
                if scalar(value).is_none_or(|s| s != "build") {
                    note(Section::Build, key, "dist runs `go build`");
                }
            }
            "hooks" => note(Section::Build, key, "run them before `cargo xtask dist`"),
            "buildmode" => note(Section::Build, key, "dist builds executables"),
            "overrides" => note(Section::Build, key, "dist.toml has no per-target flags"),
            _ => note(Section::Build, key, "no dist.toml equivalent"),
        }
    }
    for (section, key, why) in notes {
        out.note(section, key, why);
    }

    // Microarchitecture variants: dist builds Go's defaults, which are GoReleaser's.
    for (key, default, _) in GR_VARIANTS {
        if let Some(v) = get(key) {
            if strings(v, &format!("{at}.{key}"))?.iter().any(|x| x != default) {
                out.note(Section::Targets, format!("{at}.{key}"), format!("dist builds Go's default, {default}"));
            }
        }
    }

    let matrix = build_matrix(out, &at, &get)?;

    // Where: `dir` (where go build runs) and `main`, made relative to the Go module (app.dir).
    let dir = get("dir").and_then(scalar).unwrap_or_else(|| ".".to_owned());
    let main = get("main").and_then(scalar).filter(|m| !m.is_empty()).unwrap_or_else(|| ".".to_owned());
    let (pattern, ellipsis) = match main.strip_suffix("...") {
        Some(p) if p.is_empty() || p.ends_with('/') => (p.to_owned(), true),
        _ => (main.clone(), false),
    };
    let module = norm(module_dir_rel);
    let joined = norm(&format!("{dir}/{pattern}"));
    let in_module = match joined.strip_prefix(&module[..]) {
        Some(rest) if rest.first().is_none_or(|p| p != "..") => rest.to_vec(),
        _ => {
            out.note(
                Section::App,
                format!("{at}.dir"),
                format!("{dir:?} is outside the Go module at {module_dir_rel:?}"),
            );
            norm(&pattern)
        }
    };

    let binary = get("binary").and_then(scalar).filter(|b| !b.is_empty());
    let bins = if ellipsis {
        if binary.is_some() {
            out.note(Section::App, format!("{at}.binary"), "`main: ./...` names each binary after its package");
        }
        match (repo.mains)(&in_module) {
            Some(found) if !found.is_empty() => found
                .iter()
                .map(|m| BinarySettings {
                    main: m.clone(),
                    name: binary_name_for(m, repo.module.as_deref()),
                    flags: vec![],
                    ldflags: None,
                })
                .collect(),
            found => {
                let why = match found {
                    Some(_) => "no main package below it: set app.main",
                    None => "finds every main package: `cargo xtask init` in the repository lists them",
                };
                out.note(Section::App, format!("{at}.main {main}"), why);
                vec![BinarySettings { main: dot_path(&in_module), name: None, flags: vec![], ldflags: None }]
            }
        }
    } else {
        // GoReleaser names the binary after the project unless `binary` says otherwise.
        let mut name = binary.clone().or_else(|| project.map(str::to_owned));
        if let Some(b) = name.clone() {
            let b = match project {
                Some(p) => replace_project_name(&b, p),
                None => b,
            };
            let unknown_field = || match crate::template::Template::parse(&b) {
                Ok(t) => t.fields().iter().any(|f| !crate::settings::is_binary_name_field(f)),
                Err(_) => true,
            };
            let unfillable = if !b.contains("{{") {
                None
            } else if b.contains('/') || unknown_field() {
                Some("a template dist cannot fill (a folder, .Binary, or a function it lacks)")
            } else if project.is_none() && b.contains("ProjectName") {
                Some("a template of the project's name, which the config does not give")
            } else {
                None
            };
            if let Some(why) = unfillable {
                out.note(Section::App, format!("{at}.binary"), why);
                name = project.map(str::to_owned);
            } else if b.contains("{{") {
                // Filled per target by dist, as GoReleaser does (`{{ .ProjectName }}_v{{ .Version }}`).
                name = Some(b);
            } else if b.contains('/') {
                out.note(
                    Section::App,
                    format!("{at}.binary"),
                    "dist puts each binary in <os>/<arch>/, so the folder part is dropped",
                );
                name = b.rsplit('/').next().map(str::to_owned).filter(|n| !n.is_empty());
            } else {
                name = Some(b);
            }
        }
        if name.as_deref().is_some_and(|n| !is_file_name(n)) {
            name = None;
        }
        let main = dot_path(&in_module);
        let name = name.or_else(|| {
            // Our default is the last part of `main`; a main.go file needs its name spelled out.
            if main.ends_with(".go") {
                binary_name_for(&main, repo.module.as_deref())
            } else {
                None
            }
        });
        vec![BinarySettings { main, name, flags: vec![], ldflags: None }]
    };

    // ldflags: absent (or empty) means GoReleaser's default.
    let ldflags = match get("ldflags") {
        None => GR_LDFLAGS.to_owned(),
        Some(Yaml::Array(items)) if items.is_empty() => GR_LDFLAGS.to_owned(),
        Some(v) => strings(v, &format!("{at}.ldflags"))?.join(" "),
    };
    let (ldflags, stamp) = split_ldflags(&ldflags);

    // go build flags: -trimpath (and -buildvcs=false) dist always sets.
    let mut flags = Vec::new();
    for f in flag_array(get("flags"), &format!("{at}.flags"))? {
        if f == "-trimpath" || f == "-buildvcs=false" {
            continue;
        }
        flags.push(f);
    }
    for key in ["asmflags", "gcflags"] {
        if let Some(v) = get(key) {
            for f in strings(v, &format!("{at}.{key}"))?.into_iter().filter(|f| !f.is_empty()) {
                flags.push(format!("-{key}={f}"));
            }
        }
    }
    let mut tags = Vec::new();
    for tag in flag_array(get("tags"), &format!("{at}.tags"))? {
        if tag.contains("{{") {
            out.note(Section::Build, format!("{at}.tags {tag}"), "a template");
        } else {
            tags.push(tag);
        }
    }
    let mut env = BTreeMap::new();
    if let Some(v) = get("env") {
        for e in strings(v, &format!("{at}.env"))? {
            env_entry(out, &mut env, &e, &format!("{at}.env"));
        }
    }
    let id = get("id").and_then(scalar).or_else(|| project.map(str::to_owned));
    Ok(Some(BuildIn { index: i, id, bins, ldflags, stamp, flags, tags, env, matrix }))
}

/// A build's targets: `targets:` as a list, else goos × goarch (× goarm) less `ignore`, with GoReleaser's
/// defaults.
fn build_matrix<'a>(out: &mut Draft, at: &str, get: &dyn Fn(&str) -> Option<&'a Yaml>) -> anyhow::Result<Matrix> {
    if let Some(targets) = get("targets") {
        let mut list: Vec<String> = Vec::new();
        for t in strings(targets, &format!("{at}.targets"))? {
            let names: Vec<String> = if t == "go_first_class" || t == "go_118_first_class" {
                GR_FIRST_CLASS.iter().map(|s| s.to_string()).collect()
            } else {
                vec![t]
            };
            for name in names {
                match target_of(&name) {
                    Some(target) if !list.contains(&target) => list.push(target),
                    Some(_) => {}
                    None => out.note(
                        Section::Targets,
                        format!("{at}.targets {name}"),
                        "dist builds Go's default microarchitecture variants",
                    ),
                }
            }
        }
        // GoReleaser ignores goos, goarch, goarm and ignore when `targets` is set.
        return Ok(Matrix { list, ..Matrix::default() });
    }
    let list_or = |key: &str, default: &[&str]| -> anyhow::Result<Vec<String>> {
        match get(key) {
            Some(v) => strings(v, &format!("{at}.{key}")),
            None => Ok(default.iter().map(|s| s.to_string()).collect()),
        }
    };
    let os = dedup(list_or("goos", &GR_GOOS)?);
    let arch = dedup(list_or("goarch", &GR_GOARCH)?);
    let mut arm = Vec::new();
    if arch.iter().any(|a| a == "arm") {
        for v in list_or("goarm", &[GR_GOARM])? {
            match parse_goarm(&v) {
                Some(n) if !arm.contains(&n.to_string()) => arm.push(n.to_string()),
                Some(_) => {}
                None => out.note(Section::Targets, format!("{at}.goarm {v}"), "dist builds GOARM 5, 6 or 7"),
            }
        }
    }
    let mut ignore: Vec<String> = Vec::new();
    if let Some(v) = get("ignore") {
        let Yaml::Array(items) = v else { bail!("`{at}.ignore` must be a list") };
        for (j, item) in items.iter().enumerate() {
            let fields = entries(item, &format!("{at}.ignore[{j}]"))?;
            let field = |k: &str| {
                fields.iter().find(|(key, _)| key == k).and_then(|(_, v)| scalar(v)).filter(|s| !s.is_empty())
            };
            let oses = field("goos").map(|o| vec![o]).unwrap_or_else(|| os.clone());
            let arches = field("goarch").map(|a| vec![a]).unwrap_or_else(|| arch.clone());
            for o in &oses {
                'arch: for a in &arches {
                    // A variant other than the one built (the default) matches nothing.
                    for (key, default, applies_to) in GR_VARIANTS {
                        if let Some(v) = field(key) {
                            if v != default || !applies_to.contains(&a.as_str()) {
                                continue 'arch;
                            }
                        }
                    }
                    let entry = match field("goarm") {
                        None => format!("{o}/{a}"),
                        Some(v) => match parse_goarm(&v) {
                            Some(n) if a == "arm" => format!("{o}/arm/v{n}"),
                            _ => continue,
                        },
                    };
                    if !ignore.contains(&entry) {
                        ignore.push(entry);
                    }
                }
            }
            for (k, _) in &fields {
                let known =
                    ["goos", "goarch", "goarm"].contains(&k.as_str()) || GR_VARIANTS.iter().any(|(v, _, _)| v == k);
                if !known {
                    out.note(Section::Targets, format!("{at}.ignore[{j}].{k}"), "no dist.toml equivalent");
                }
            }
        }
    }
    Ok(Matrix { os, arch, arm, ignore, list: vec![] })
}

/// `linux_arm_7` → `linux/arm/v7`, `darwin_arm64_v8.0` → `darwin/arm64`; `None` for a variant other than Go's
/// default (which is what dist builds).
fn target_of(t: &str) -> Option<String> {
    let parts: Vec<&str> = t.split('_').collect();
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let (os, arch, variant) = match parts.as_slice() {
        [os, arch] => (*os, *arch, None),
        [os, arch, variant] => (*os, *arch, Some(*variant)),
        _ => return None,
    };
    if !word(os) || !word(arch) {
        return None;
    }
    if arch == "arm" {
        let n = parse_goarm(variant.unwrap_or(GR_GOARM))?;
        return Some(format!("{os}/arm/v{n}"));
    }
    match variant {
        None => Some(format!("{os}/{arch}")),
        Some(v) => {
            let default = GR_VARIANTS.iter().find(|(_, _, arches)| arches.contains(&arch)).map(|(_, d, _)| *d);
            (default == Some(v)).then(|| format!("{os}/{arch}"))
        }
    }
}

/// Splits a build's linker flags into plain flags and the `-X` stamps of version, commit and date.
fn split_ldflags(ldflags: &str) -> (Vec<String>, [String; 3]) {
    let mut plain = Vec::new();
    let mut stamp: [Option<String>; 3] = [None, None, None];
    let mut words = split_words(ldflags).into_iter();
    while let Some(word) = words.next() {
        // The -X argument, and the words as written (`-X a=b` or `-X=a=b`).
        let (arg, pieces) = if word == "-X" || word == "--X" {
            match words.next() {
                Some(arg) => (arg.clone(), vec![word, arg]),
                None => {
                    plain.push(word);
                    continue;
                }
            }
        } else if let Some(arg) = word.strip_prefix("-X=").or_else(|| word.strip_prefix("--X=")) {
            (arg.to_owned(), vec![word.clone()])
        } else {
            // Templates included: dist fills them per target, as GoReleaser does.
            plain.push(word);
            continue;
        };
        let unquoted = unquote(&arg);
        let Some((var, value)) = unquoted.split_once('=').filter(|_| arg.contains("{{")) else {
            if unquoted == "main.builtBy=goreleaser" {
                // GoReleaser's default says who built the binary: here, that is not GoReleaser.
                plain.extend(["-X".to_owned(), format!("main.builtBy={BUILT_BY}")]);
                continue;
            }
            // A constant stays a plain linker flag, spelled as it was.
            plain.extend(pieces);
            continue;
        };
        let slot = match single_action(value) {
            Some(".Version") => Some(0),
            Some(".Commit" | ".FullCommit") => Some(1),
            Some(".Date" | ".CommitDate") => Some(2),
            _ => None,
        };
        match slot {
            // build.stamp: checked to exist in every binary, and the version the release is named by.
            Some(k) if stamp[k].is_none() && !var.is_empty() => stamp[k] = Some(var.to_owned()),
            // Any other template (a second variable of the version, `.ShortCommit`, `.Env.NAME` …) is
            // kept as written: dist fills it per target.
            _ => plain.extend(pieces),
        }
    }
    (plain, stamp.map(Option::unwrap_or_default))
}

/// Splits linker flags into words at spaces outside quotes and outside `{{ … }}` actions, keeping each word
/// as written (quotes included: Go splits `-ldflags` the same way).
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek() == Some(&'{') {
            chars.next();
            depth += 1;
            word.push_str("{{");
            continue;
        }
        if depth > 0 {
            if c == '}' && chars.peek() == Some(&'}') {
                chars.next();
                depth -= 1;
                word.push_str("}}");
            } else {
                word.push(c);
            }
            continue;
        }
        match quote {
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `"a b"` / `'a b'` → `a b`.
fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// `{{ .ProjectName }}` (any spacing) replaced by the project's name.
fn replace_project_name(s: &str, project: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        let action = &rest[start..start + len + 2];
        out.push_str(&rest[..start]);
        if single_action(action) == Some(".ProjectName") {
            out.push_str(project);
        } else {
            out.push_str(action);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The accepted builds → `[app]`/`[[binaries]]`, `[build]`, `[targets]`. Flags and targets are shared in
/// `dist.toml`: the first build's count, and what another build does differently is named. Returns each
/// imported build's id with its binaries' names as written (what `ids` in archives and packages pick);
/// a build not imported (skipped, another builder, a second build of a name) has none.
pub(super) fn combine_builds(
    out: &mut Draft,
    builds: Vec<BuildIn>,
    top_env: BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    // One binary name, one binary: a second build of the same name (per-OS variants, say) is not imported.
    let mut accepted: Vec<BuildIn> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for b in builds {
        let own: Vec<String> =
            b.bins.iter().map(|bin| bin.name.clone().unwrap_or_else(|| default_name(&bin.main))).collect();
        if let Some(dup) = own.iter().find(|n| names.contains(n)) {
            out.note(
                Section::App,
                format!("builds[{}]", b.index),
                format!("builds {dup:?} again; dist builds each binary once, with one set of flags for every target"),
            );
            continue;
        }
        names.extend(own);
        accepted.push(b);
    }
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &accepted {
        if let Some(id) = &b.id {
            let own = b.bins.iter().map(|bin| bin.name.clone().unwrap_or_else(|| default_name(&bin.main)));
            ids.entry(id.clone()).or_default().extend(own);
        }
    }
    let Some(first) = accepted.first() else {
        out.note(Section::App, "builds", "no Go build to import: set app.main");
        return ids;
    };

    let mut env = top_env;
    env.extend(first.env.clone());
    for b in &accepted[1..] {
        let at = format!("builds[{}]", b.index);
        if b.env != first.env {
            out.note(Section::Build, format!("{at}.env"), format!("build.env is builds[{}]'s", first.index));
        }
        if b.stamp != first.stamp {
            out.note(Section::Build, format!("{at}.ldflags -X"), format!("build.stamp is builds[{}]'s", first.index));
        }
        let (m, f) = (&b.matrix, &first.matrix);
        for (key, differs) in [
            ("goos", m.os != f.os),
            ("goarch", m.arch != f.arch),
            ("goarm", m.arm != f.arm),
            ("ignore", m.ignore != f.ignore),
            ("targets", m.list != f.list),
        ] {
            if differs {
                out.note(Section::Targets, format!("{at}.{key}"), format!("[targets] is builds[{}]'s", first.index));
            }
        }
    }
    let [version, commit, date] = first.stamp.clone();
    let (targets, keys) = first.matrix.targets();
    let build = &mut out.settings.build;
    build.env = env;
    build.stamp = Stamp { version, commit, date };
    build.ldflags = first.ldflags.clone();
    out.settings.targets = targets;
    for key in ["build.stamp", "build.ldflags"].iter().chain(keys) {
        out.pin(key);
    }

    let bins: Vec<(&BuildIn, &BinarySettings)> =
        accepted.iter().flat_map(|b| b.bins.iter().map(move |bin| (b, bin))).collect();
    if let [(b, bin)] = bins.as_slice() {
        out.set_main(bin.main.clone(), bin.name.clone());
        out.settings.build.flags = b.flags.clone();
        out.settings.build.tags = b.tags.clone();
        return ids;
    }
    let same_flags = accepted.iter().all(|b| b.flags == first.flags);
    let same_tags = accepted.iter().all(|b| b.tags == first.tags);
    if same_flags {
        out.settings.build.flags = first.flags.clone();
    }
    if same_tags {
        out.settings.build.tags = first.tags.clone();
    }
    for (b, bin) in bins {
        let mut flags = Vec::new();
        if !same_tags && !b.tags.is_empty() {
            flags.push(format!("-tags={}", b.tags.join(",")));
        }
        if !same_flags {
            flags.extend(b.flags.iter().cloned());
        }
        let ldflags = (b.ldflags != first.ldflags).then(|| b.ldflags.clone());
        out.settings.binaries.push(BinarySettings { main: bin.main.clone(), name: bin.name.clone(), flags, ldflags });
    }
    ids
}

/// Our default binary name for a main package: its last part (settings.rs).
fn default_name(main: &str) -> String {
    norm(main).last().cloned().unwrap_or_default()
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::init::from_goreleaser;
    use crate::init::goreleaser::archives::GR_ARCHIVE_NAME;
    use crate::init::goreleaser::tests::MULTI_BUILD;
    use crate::init::tests::{parse, strs};

    /// main, name, flags, ldflags of a [[binaries]] entry.
    type BinRow<'a> = (&'a str, Option<&'a str>, &'a [String], Option<&'a [String]>);

    #[test]
    fn several_builds_become_binaries() {
        let imported = from_goreleaser(MULTI_BUILD, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.app.name.as_deref(), Some("suite"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), (".", None), "[[binaries]] replace them");
        let bins: Vec<BinRow> = s
            .binaries
            .iter()
            .map(|b| (b.main.as_str(), b.name.as_deref(), b.flags.as_slice(), b.ldflags.as_deref()))
            .collect();
        assert_eq!(bins, [("./cmd/server", Some("server"), &[][..], None), ("./cmd/cli", Some("cli"), &[][..], None)]);
        assert_eq!(s.build.stamp.version, "main.version");
        assert_eq!(s.build.stamp.commit, "github.com/x/y/internal.Commit");
        assert_eq!(s.build.stamp.date, "");
        assert_eq!(s.build.ldflags, strs(&["-s", "-w"]));
        assert_eq!(s.build.flags, strs(&["-mod=vendor"]));
        assert_eq!(s.build.tags, strs(&["netgo", "osusergo"]));
        assert_eq!(s.build.env, BTreeMap::new());
        assert_eq!(s.targets.os, strs(&["linux", "windows", "darwin"]));
        assert_eq!(s.targets.arch, strs(&["amd64", "arm64", "arm"]));
        assert_eq!(s.targets.arm, strs(&["6", "7"]));
        assert_eq!(s.targets.ignore, strs(&["windows/arm"]));
        assert_eq!(imported.unmapped, strs(&["builds[0].hooks"]));
        assert!(imported
            .toml
            .contains("# not imported: builds[0].hooks (run them before `cargo xtask dist`)\n[build]"));
        // GoReleaser's defaults that differ from ours are written out.
        let archive = s.archive.as_ref().unwrap();
        assert_eq!(archive.name, GR_ARCHIVE_NAME);
        assert_eq!(archive.formats, BTreeMap::new(), "GoReleaser makes tar.gz for windows too unless told");
    }

    #[test]
    fn builds_that_differ_name_what_is_not_imported() {
        let yaml = r#"
builds:
  - main: ./cmd/a
    binary: a
    goos: [linux]
    ldflags: ["-s -w -X main.version={{.Version}} -X main.host={{ .Env.HOSTNAME }} -X main.tag={{.Tag}}"]
    tags: [x]
    gcflags: ["all=-N -l"]
    goamd64: [v3]
    env: [CGO_ENABLED=1, "GOOS=linux"]
  - main: ./cmd/b
    binary: b
    goos: [linux, darwin]
    ldflags: -X main.version={{.Version}}
  - main: ./cmd/other
    binary: a
  - main: ./rust
    builder: rust
  - main: ./gone
    skip: true
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(
            imported.unmapped,
            strs(&[
                "builds[0].goamd64",
                "builds[0].env GOOS",
                "builds[3]",
                "builds[2]",
                "builds[1].env",
                "builds[1].goos",
            ]),
            "{}",
            imported.toml
        );
        // Templates other than the stamp's are kept, to be filled per target.
        assert_eq!(
            s.build.ldflags,
            strs(&["-s", "-w", "-X", "main.host={{ .Env.HOSTNAME }}", "-X", "main.tag={{.Tag}}"])
        );
        assert_eq!(s.build.env, BTreeMap::from([("CGO_ENABLED".to_owned(), "1".to_owned())]));
        assert_eq!(s.build.flags, Vec::<String>::new(), "flags differ: per binary");
        assert_eq!(s.build.tags, Vec::<String>::new(), "tags differ: per binary");
        assert_eq!(s.binaries[0].flags, strs(&["-tags=x", "-gcflags=all=-N -l"]));
        assert_eq!(s.binaries[1].flags, Vec::<String>::new());
        assert_eq!(s.binaries[1].ldflags, Some(vec![]));
        assert_eq!(s.binaries[0].ldflags, None);
        assert_eq!(s.targets.os, strs(&["linux"]));
    }

    #[test]
    fn binary_name_templates_are_kept_as_written() {
        let yaml = r#"
project_name: terraform-provider-x
builds:
  - id: provider
    main: ./cmd/provider
    binary: "{{ .ProjectName }}_v{{ .Version }}"
  - id: other
    main: ./cmd/other
    binary: "other_{{ .Os }}"
  - id: third
    main: ./cmd/third
    binary: "{{ .Binary }}3"
archives:
  - ids: [provider]
  - ids: [other]
    name_template: "other_{{ .Os }}"
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        let names: Vec<Option<&str>> = s.binaries.iter().map(|b| b.name.as_deref()).collect();
        assert_eq!(
            names,
            [Some("terraform-provider-x_v{{ .Version }}"), Some("other_{{ .Os }}"), Some("terraform-provider-x")]
        );
        assert_eq!(imported.unmapped, strs(&["builds[2].binary"]), "dist cannot fill .Binary in a binary's name");
        // `ids` pick the names as written, which dist then finds.
        let sets: Vec<&[String]> = s.archives.iter().map(|a| a.binaries.as_slice()).collect();
        assert_eq!(sets, [&strs(&["terraform-provider-x_v{{ .Version }}"])[..], &strs(&["other_{{ .Os }}"])[..]]);
        s.resolve(std::path::Path::new("/proj/dist.toml")).unwrap();
    }

    #[test]
    fn ldflags_words_keep_templates_and_quotes() {
        assert_eq!(
            split_words("-s  -X main.v={{ .Version }} -extldflags \"-static -lm\" -X 'main.x=a b'"),
            strs(&["-s", "-X", "main.v={{ .Version }}", "-extldflags", "\"-static -lm\"", "-X", "'main.x=a b'"])
        );
        assert_eq!(single_action("{{- .Commit -}}"), Some(".Commit"));
        let ldflags = "-s -X='main.x=a b' -X \"main.v={{ .Version }}\" -X main.c={{.ShortCommit}} -X=main.d={{.Date}}";
        let (plain, stamp) = split_ldflags(ldflags);
        assert_eq!(plain, strs(&["-s", "-X='main.x=a b'", "-X", "main.c={{.ShortCommit}}"]));
        assert_eq!(stamp.to_vec(), strs(&["main.v", "", "main.d"]));
        // A template spanning words, and GoReleaser's builtBy made true.
        let ldflags = "{{ if .IsNightly }}-X main.nightly=yes{{ end }} -X main.builtBy=goreleaser";
        let (plain, _) = split_ldflags(ldflags);
        assert_eq!(
            plain,
            strs(&["{{ if .IsNightly }}-X", "main.nightly=yes{{ end }}", "-X", "main.builtBy=cargo-xtask"])
        );
        assert_eq!(single_action("v{{ .Version }}"), None);
    }
}
