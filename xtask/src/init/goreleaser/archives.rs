//! GoReleaser's `archives` → `[archive]` (one archive) or `[[archives]]` (several): each archive's name
//! template (verbatim), format and per-OS formats, replacements, extra files (rebased onto `app.dir`),
//! wrapping folder, `id`, and `ids` (the builds whose binaries it holds) turned into binary names.

use std::collections::BTreeMap;

use anyhow::bail;
use yaml_rust2::Yaml;

use super::note_if_set;
use super::yaml::{entries, is_unset, scalar, strings, truthy};
use crate::init::discover::norm;
use crate::init::{Draft, Section};
use crate::settings::{Archive, Format};

/// GoReleaser's default archive name (internal/pipe/archive).
pub(super) const GR_ARCHIVE_NAME: &str = "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";

/// `archives` (GoReleaser's default archive when the config has none) into `out`: one is `[archive]`,
/// several are `[[archives]]`. `binaries` maps each build id to the names dist gives that build's binaries.
pub(super) fn convert_archives(
    out: &mut Draft,
    archives: &[&Yaml],
    binaries: &BTreeMap<String, Vec<String>>,
    module_dir_rel: &str,
) -> anyhow::Result<()> {
    let mut sets = Vec::new();
    let mut files_given = false;
    for (i, archive) in archives.iter().enumerate() {
        let (set, files) = convert_one(out, i, archive, binaries, module_dir_rel)?;
        files_given |= files;
        sets.extend(set);
    }
    // GoReleaser's choices are written even where they equal our defaults.
    let (keys, files) = match sets.len() {
        1 => (["archive.name", "archive.format", "archive.formats", "archive.wrap"], "archive.files"),
        _ => (["archives.name", "archives.format", "archives.formats", "archives.wrap"], "archives.files"),
    };
    for key in keys {
        out.pin(key);
    }
    if files_given {
        out.pin(files);
    }
    if sets.len() == 1 {
        out.settings.archive = sets.pop();
    } else {
        out.settings.archives = sets;
    }
    Ok(())
}

/// `archives[i]` as an archive set, and whether it lists its `files`.
fn convert_one(
    out: &mut Draft,
    i: usize,
    archive: &Yaml,
    binaries: &BTreeMap<String, Vec<String>>,
    module_dir_rel: &str,
) -> anyhow::Result<(Option<Archive>, bool)> {
    let at = &format!("archives[{i}]");
    let mut ids_given = false;
    let fields = entries(archive, at)?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v).filter(|v| !is_unset(v));
    // GoReleaser's defaults; `files` are ours too (README*, LICENSE*, CHANGELOG*).
    let mut a = Archive {
        name: GR_ARCHIVE_NAME.to_owned(),
        format: Format::TarGz,
        formats: BTreeMap::new(),
        replacements: BTreeMap::new(),
        wrap: false,
        ..Archive::default()
    };
    let mut files_given = false;
    // formats (v2), then format (v1): GoReleaser appends the one to the other. dist makes the first.
    let mut formats = Vec::new();
    for key in ["formats", "format"] {
        if let Some(v) = get(key) {
            formats.extend(strings(v, &format!("{at}.{key}"))?.into_iter().map(|f| (key, f)));
        }
    }
    for (k, (key, f)) in formats.iter().enumerate() {
        match (k, archive_format(f)) {
            (0, Some(format)) => a.format = format,
            _ => {
                out.note(Section::Archive, format!("{at}.{key} {f}"), "dist makes one tar.gz, zip or binary per target")
            }
        }
    }
    match get("name_template").and_then(scalar).filter(|n| !n.is_empty()) {
        Some(name) => a.name = name,
        // GoReleaser names bare binaries after the binary, not the project.
        None if formats.iter().any(|(_, f)| f == "binary") => {
            a.name = GR_ARCHIVE_NAME.replacen(".ProjectName", ".Binary", 1)
        }
        None => {}
    }
    if let Some(Yaml::Array(overrides)) = get("format_overrides") {
        for (j, o) in overrides.iter().enumerate() {
            let key = format!("{at}.format_overrides[{j}]");
            let goos = scalar(&o["goos"]).unwrap_or_default();
            let mut fs = Vec::new();
            for list in [&o["formats"], &o["format"]] {
                if !is_unset(list) {
                    fs.extend(strings(list, &key)?);
                }
            }
            match (fs.first().and_then(|f| archive_format(f)), goos.is_empty()) {
                (Some(format), false) if fs.len() == 1 => {
                    a.formats.insert(goos, format);
                }
                (Some(format), false) => {
                    a.formats.insert(goos, format);
                    out.note(Section::Archive, key, "dist makes one archive per target");
                }
                _ => out.note(Section::Archive, key, "dist makes tar.gz, zip or binary archives"),
            }
        }
    }

    for (key, value) in &fields {
        if is_unset(value) {
            continue;
        }
        match key.as_str() {
            "name_template" | "formats" | "format" | "format_overrides" => {}
            "id" => a.id = scalar(value),
            // A check that every archive holds as many binaries: dist's sets hold what `binaries` names.
            "allow_different_binary_count" => {}
            "wrap_in_directory" => match truthy(value) {
                Some(wrap) => a.wrap = wrap,
                // `true` means a folder named like the archive, which is what dist's `wrap` makes.
                None if scalar(value).as_deref() == Some(a.name.as_str()) => a.wrap = true,
                None => {
                    a.wrap = true;
                    out.note(
                        Section::Archive,
                        format!("{at}.wrap_in_directory"),
                        "a folder name: dist's is the archive's name",
                    );
                }
            },
            "replacements" => {
                for (from, to) in entries(value, &format!("{at}.replacements"))? {
                    match scalar(to) {
                        Some(to) => {
                            a.replacements.insert(from, to);
                        }
                        None => out.note(Section::Archive, format!("{at}.replacements.{from}"), "not a string"),
                    }
                }
            }
            "files" => {
                let Yaml::Array(items) = value else { bail!("`{at}.files` must be a list") };
                let mut files = Vec::new();
                for (j, item) in items.iter().enumerate() {
                    let src = match item {
                        Yaml::Hash(_) => {
                            for (k, v) in entries(item, &format!("{at}.files[{j}]"))? {
                                if k != "src" {
                                    note_if_set(
                                        out,
                                        Section::Archive,
                                        v,
                                        format!("{at}.files[{j}].{k}"),
                                        "dist keeps the path",
                                    );
                                }
                            }
                            scalar(&item["src"])
                        }
                        _ => scalar(item),
                    };
                    match src {
                        Some(src) if src.contains("{{") => {
                            out.note(Section::Archive, format!("{at}.files[{j}]"), "a template");
                        }
                        Some(src) if !src.is_empty() => files.push(rebase(&src, module_dir_rel)),
                        _ => {}
                    }
                }
                a.files = files;
                files_given = true;
            }
            // `builds` is the deprecated spelling of `ids`.
            "ids" | "builds" => {
                for id in strings(value, &format!("{at}.{key}"))? {
                    ids_given = true;
                    match binaries.get(&id) {
                        Some(names) => {
                            for name in names {
                                if !a.binaries.contains(name) {
                                    a.binaries.push(name.clone());
                                }
                            }
                        }
                        None => out.note(
                            Section::Archive,
                            format!("{at}.{key} {id}"),
                            "no imported build has this id (skipped, not Go, or a second build of a binary)",
                        ),
                    }
                }
            }
            "builds_info" => {
                out.note(Section::Archive, format!("{at}.{key}"), "dist's entries are 0:0 with modes 0755/0644")
            }
            _ => out.note(Section::Archive, format!("{at}.{key}"), "no dist.toml equivalent"),
        }
    }
    if ids_given && a.binaries.is_empty() {
        // An empty list would mean every binary: more than GoReleaser's archive holds.
        out.note(Section::Archive, at.clone(), "its `ids` name no imported build, so it has no binary to hold");
        return Ok((None, files_given));
    }
    Ok((Some(a), files_given))
}

fn archive_format(f: &str) -> Option<Format> {
    match f {
        "tar.gz" | "tgz" => Some(Format::TarGz),
        "zip" => Some(Format::Zip),
        "binary" => Some(Format::Binary),
        _ => None,
    }
}

/// A glob relative to the config's folder → relative to app.dir (what `archive.files` is relative to).
pub(super) fn rebase(glob: &str, module_dir_rel: &str) -> String {
    let module = norm(module_dir_rel);
    if module.is_empty() || glob.starts_with('/') {
        return glob.to_owned();
    }
    let parts = norm(glob);
    match parts.strip_prefix(&module[..]) {
        Some(rest) if !rest.is_empty() => rest.join("/"),
        _ => format!("{}{}", "../".repeat(module.len()), parts.join("/")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::init::from_goreleaser;
    use crate::init::goreleaser::tests::ARCHIVE_SETS;
    use crate::init::tests::{parse, strs};
    use crate::settings::Format;

    #[test]
    fn v1_archive_and_defaults() {
        let yaml = r#"
project_name: lazy
builds:
  - env: [CGO_ENABLED=0]
    goarch: [amd64, arm]
archives:
  - format: zip
    replacements:
      darwin: Darwin
      linux: Linux
      amd64: x86_64
      386: i386
    wrap_in_directory: true
    files:
      - LICENSE
      - src: docs/*.md
        dst: docs
snapshot:
  name_template: "{{ .Tag }}-next"
"#;
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        let archive = s.archive.as_ref().unwrap();
        assert_eq!(archive.format, Format::Zip);
        assert_eq!(archive.formats, BTreeMap::new());
        assert_eq!(
            archive.replacements,
            BTreeMap::from([
                ("386".to_owned(), "i386".to_owned()),
                ("amd64".to_owned(), "x86_64".to_owned()),
                ("darwin".to_owned(), "Darwin".to_owned()),
                ("linux".to_owned(), "Linux".to_owned()),
            ])
        );
        assert!(archive.wrap);
        assert_eq!(archive.files, strs(&["LICENSE", "docs/*.md"]));
        assert_eq!(archive.name, "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}");
        assert_eq!(s.checksum.name, "{{ .ProjectName }}_{{ .Version }}_checksums.txt");
        assert_eq!(
            (s.app.name.as_deref(), s.app.binary.as_deref(), s.app.main.as_str()),
            (Some("lazy"), Some("lazy"), ".")
        );
        assert_eq!(s.targets.os, strs(&["linux", "darwin", "windows"]));
        assert_eq!(s.targets.arch, strs(&["amd64", "arm"]));
        assert_eq!(s.targets.arm, strs(&["6"]), "GoReleaser's default GOARM");
        assert_eq!(imported.unmapped, strs(&["snapshot", "archives[0].files[1].dst"]));
        assert!(imported.toml.contains("wrap = true\n"));
    }

    #[test]
    fn binary_archives_and_a_wrap_folder_named_like_the_archive() {
        let yaml = "archives:\n  - formats: binary\n";
        let imported = from_goreleaser(yaml, ".").unwrap();
        let s = parse(&imported);
        let archive = s.archive.as_ref().unwrap();
        assert_eq!(archive.format, Format::Binary);
        assert_eq!(archive.name, "{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}");
        assert_eq!(imported.unmapped, Vec::<String>::new());

        let s = parse(&from_goreleaser("archives:\n  - name_template: x\n    wrap_in_directory: x\n", ".").unwrap());
        assert!(s.archive.unwrap().wrap);
        let imported = from_goreleaser("archives:\n  - format: tar.xz\n    formats: [zip, tar.gz]\n", ".").unwrap();
        assert_eq!(parse(&imported).archive.unwrap().format, Format::Zip);
        assert_eq!(imported.unmapped, strs(&["archives[0].formats tar.gz", "archives[0].format tar.xz"]));
    }

    #[test]
    fn every_archive_becomes_a_set_of_the_binaries_its_ids_name() {
        let imported = from_goreleaser(ARCHIVE_SETS, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.archive, None, "several archives are [[archives]], not [archive]");
        let sets: Vec<_> = s
            .archives
            .iter()
            .map(|a| (a.id.as_deref(), a.binaries.clone(), a.name.as_str(), a.format, a.wrap))
            .collect();
        let bare_name = "{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";
        assert_eq!(
            sets,
            [
                (Some("tool"), strs(&["tool"]), "tool_{{ .Tag }}_{{ .Os }}_{{ .Arch }}", Format::TarGz, false),
                (Some("ctl"), strs(&["toolctl"]), "toolctl_{{ .Tag }}_{{ .Os }}_{{ .Arch }}", Format::Zip, true),
                (None, strs(&["toolctl"]), bare_name, Format::Binary, false),
            ]
        );
        assert_eq!(s.archives[0].files, strs(&["LICENSE"]));
        // An archive whose ids name no imported build is left out: an empty list would hold every binary.
        assert_eq!(imported.unmapped, strs(&["archives[2].ids nosuch", "archives[3].ids nosuch", "archives[3]"]));
        assert!(!imported.toml.contains("[archive]"), "{}", imported.toml);
        let first = "\n# not imported: archives[3] (its `ids` name no imported build, so it has no binary to hold)\n\
                     [[archives]]\nid = \"tool\"\nbinaries = [\"tool\"]\n\
                     name = \"tool_{{ .Tag }}_{{ .Os }}_{{ .Arch }}\"\nformat = \"tar.gz\"\nformats = {}\n\
                     files = [\"LICENSE\"]\nwrap = false\n\n[[archives]]\nid = \"ctl\"\nbinaries = [\"toolctl\"]\n";
        assert!(imported.toml.contains(first), "{}", imported.toml);

        // And dist takes it: each set holds the binaries it names.
        let r = s.resolve(std::path::Path::new("/proj/dist.toml")).unwrap();
        let picked: Vec<(&str, Vec<usize>)> = r.archives.iter().map(|a| (a.key.as_str(), a.binaries.clone())).collect();
        assert_eq!(picked, [("archives[0]", vec![0]), ("archives[1]", vec![1]), ("archives[2]", vec![1])]);
    }

    #[test]
    fn one_archive_stays_archive_and_its_ids_pick_binaries() {
        let yaml = ARCHIVE_SETS.split("archives:").next().unwrap().to_owned() + "archives:\n  - ids: [plugin]\n";
        let imported = from_goreleaser(&yaml, ".").unwrap();
        let s = parse(&imported);
        assert_eq!(s.archives, vec![]);
        assert_eq!(s.archive.unwrap().binaries, strs(&["toolctl"]));
        assert!(imported.toml.contains("\n[archive]\nbinaries = [\"toolctl\"]\nname = "), "{}", imported.toml);
        assert_eq!(imported.unmapped, Vec::<String>::new());
    }
}
