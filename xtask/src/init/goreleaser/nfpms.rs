//! GoReleaser's `nfpms` → `[[packages]]`: every key dist writes the same way
//! (templates copied verbatim, `ids` turned into binary names), and the rest
//! named as not imported with why.

use std::collections::BTreeMap;

use yaml_rust2::Yaml;

use super::archives::rebase;
use super::yaml::{entries, is_unset, scalar, strings};
use crate::init::{Draft, Section};
use crate::settings::{ContentSettings, PackageFormat, PackageSettings};

/// `nfpms` into `out.settings.packages`. `binaries` maps each GoReleaser build id
/// to the names dist gives that build's binaries; files are rebased from the
/// config's folder onto `app.dir` (`module_dir_rel`).
pub(super) fn convert_nfpms(
    out: &mut Draft,
    nfpms: &Yaml,
    binaries: &BTreeMap<String, Vec<String>>,
    module_dir_rel: &str,
) -> anyhow::Result<()> {
    let Yaml::Array(items) = nfpms else {
        out.note(Section::Packages, "nfpms", "not a list");
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        if let Some(mut p) = convert_one(out, i, item, binaries)? {
            for c in p.contents.iter_mut().filter(|c| c.kind != "symlink" && !c.src.contains("{{")) {
                c.src = rebase(&c.src, module_dir_rel);
            }
            for (_, script) in p.scripts.all_mut() {
                if !script.is_empty() && !script.contains("{{") {
                    *script = rebase(script, module_dir_rel);
                }
            }
            out.settings.packages.push(p);
        }
    }
    Ok(())
}

fn convert_one(
    out: &mut Draft,
    i: usize,
    item: &Yaml,
    binaries: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Option<PackageSettings>> {
    let at = format!("nfpms[{i}]");
    let mut ids_given = false;
    let mut p = PackageSettings::default();
    let text = |v: &Yaml| scalar(v).unwrap_or_default();
    for (key, value) in entries(item, &at)? {
        if is_unset(value) {
            continue;
        }
        let key_at = format!("{at}.{key}");
        match key.as_str() {
            "formats" => {
                for f in strings(value, &key_at)? {
                    match f.as_str() {
                        "deb" => p.formats.push(PackageFormat::Deb),
                        "rpm" => p.formats.push(PackageFormat::Rpm),
                        "apk" => p.formats.push(PackageFormat::Apk),
                        other => {
                            out.note(Section::Packages, format!("{key_at} {other}"), "dist writes deb, rpm and apk")
                        }
                    }
                }
            }
            "package_name" => p.name = Some(text(value)),
            "file_name_template" => p.file_name = Some(text(value)),
            "bindir" => p.bindir = Some(text(value)),
            "vendor" => p.vendor = text(value),
            "homepage" => p.homepage = text(value),
            "maintainer" => p.maintainer = text(value),
            "description" => p.description = text(value),
            "license" => p.license = text(value),
            "section" => p.section = text(value),
            "priority" => p.priority = text(value),
            "release" => p.release = text(value),
            "epoch" => p.epoch = text(value),
            "dependencies" => p.dependencies = strings(value, &key_at)?,
            "recommends" => p.recommends = strings(value, &key_at)?,
            "suggests" => p.suggests = strings(value, &key_at)?,
            "conflicts" => p.conflicts = strings(value, &key_at)?,
            "replaces" => p.replaces = strings(value, &key_at)?,
            "provides" => p.provides = strings(value, &key_at)?,
            "ids" | "builds" => {
                for id in strings(value, &key_at)? {
                    ids_given = true;
                    match binaries.get(&id) {
                        Some(names) => p
                            .binaries
                            .extend(names.iter().filter(|n| !p.binaries.contains(n)).cloned().collect::<Vec<_>>()),
                        None => out.note(
                            Section::Packages,
                            format!("{key_at} {id}"),
                            "no imported build has this id (skipped, not Go, or a second build of a binary)",
                        ),
                    }
                }
            }
            "scripts" => {
                for (name, v) in entries(value, &key_at)? {
                    let slot = match name.as_str() {
                        "preinstall" => &mut p.scripts.preinstall,
                        "postinstall" => &mut p.scripts.postinstall,
                        "preremove" => &mut p.scripts.preremove,
                        "postremove" => &mut p.scripts.postremove,
                        _ => {
                            out.note(
                                Section::Packages,
                                format!("{key_at}.{name}"),
                                "dist writes the four install scripts",
                            );
                            continue;
                        }
                    };
                    *slot = text(v);
                }
            }
            "contents" => {
                let Yaml::Array(contents) = value else {
                    out.note(Section::Packages, key_at, "not a list");
                    continue;
                };
                for (j, c) in contents.iter().enumerate() {
                    if let Some(c) = convert_content(out, &format!("{key_at}[{j}]"), c)? {
                        p.contents.push(c);
                    }
                }
            }
            "deb" => {
                for (k, v) in entries(value, &key_at)? {
                    match k.as_str() {
                        "lintian_overrides" => p.lintian_overrides = strings(v, &format!("{key_at}.{k}"))?,
                        _ => note_format_key(out, &format!("{key_at}.{k}"), v),
                    }
                }
            }
            "rpm" | "apk" | "archlinux" | "ipk" | "msix" | "termux" => {
                for (k, v) in entries(value, &key_at)? {
                    note_format_key(out, &format!("{key_at}.{k}"), v);
                }
            }
            // GoReleaser's defaults: the `id` only names the entry; GOAMD64 v1 is the only one dist builds.
            "id" => {}
            "goamd64" if strings(value, &key_at)?.iter().all(|v| v == "v1") => {}
            "mtime" => out.note(Section::Packages, key_at, "dist sets every mtime to the commit time"),
            "overrides" => out.note(Section::Packages, key_at, "dist.toml has no per-format overrides"),
            "changelog" => out.note(Section::Packages, key_at, "dist writes a one-entry changelog for the version"),
            "meta" => out.note(Section::Packages, key_at, "dist packages binaries"),
            "umask" => out.note(Section::Packages, key_at, "dist sets modes: 0755 executables, 0644 files"),
            _ => out.note(Section::Packages, key_at, "no dist.toml equivalent"),
        }
    }
    if p.formats.is_empty() {
        // GoReleaser skips an entry without formats too ("no output formats configured").
        return Ok(None);
    }
    if ids_given && p.binaries.is_empty() {
        // An empty list would mean every binary: more than GoReleaser's package holds.
        out.note(Section::Packages, at, "its `ids` name no imported build, so it has no binary to install");
        return Ok(None);
    }
    Ok(Some(p))
}

fn note_format_key(out: &mut Draft, at: &str, value: &Yaml) {
    if is_unset(value) {
        return;
    }
    let why = if at.contains("signature") {
        "sign the packages in dist/ after `cargo xtask dist`"
    } else if at.ends_with("compression") {
        "dist compresses with gzip"
    } else {
        "no dist.toml equivalent"
    };
    out.note(Section::Packages, at, why);
}

fn convert_content(out: &mut Draft, at: &str, c: &Yaml) -> anyhow::Result<Option<ContentSettings>> {
    let mut content = ContentSettings::default();
    for (key, value) in entries(c, at)? {
        if is_unset(value) {
            continue;
        }
        let text = scalar(value).unwrap_or_default();
        match key.as_str() {
            "src" => content.src = text,
            "dst" => content.dst = text,
            "type" => match text.as_str() {
                "" | "config" | "config|noreplace" | "dir" | "symlink" | "tree" => content.kind = text,
                other => {
                    out.note(
                        Section::Packages,
                        format!("{at}.type {other}"),
                        "dist writes files, config, dir, symlink, tree",
                    );
                    return Ok(None);
                }
            },
            "packager" => match text.as_str() {
                "deb" => content.packager = Some(PackageFormat::Deb),
                "rpm" => content.packager = Some(PackageFormat::Rpm),
                "apk" => content.packager = Some(PackageFormat::Apk),
                _ => return Ok(None), // a format dist does not write: the entry never applies
            },
            "file_info" => {
                for (k, v) in entries(value, &format!("{at}.file_info"))? {
                    match (k.as_str(), v) {
                        // GoReleaser's YAML reads `0640` as octal; this parser reads the digits as 640: the digits are the mode.
                        ("mode", Yaml::Integer(m)) => content.mode = format!("{m:04}"),
                        ("mode", other) => content.mode = scalar(other).unwrap_or_default(),
                        ("owner", v) => content.owner = scalar(v).unwrap_or_default(),
                        ("group", v) => content.group = scalar(v).unwrap_or_default(),
                        (_, v) if !is_unset(v) => out.note(
                            Section::Packages,
                            format!("{at}.file_info.{k}"),
                            "dist sets every mtime to the commit time",
                        ),
                        _ => {}
                    }
                }
            }
            "expand" => {
                out.note(Section::Packages, format!("{at}.expand"), "dist does not expand templates in file contents")
            }
            _ => out.note(Section::Packages, format!("{at}.{key}"), "no dist.toml equivalent"),
        }
    }
    Ok(Some(content))
}

#[cfg(test)]
mod tests {
    use crate::init::goreleaser::draft;
    use crate::settings::{ContentSettings, PackageFormat, PackageSettings, ScriptSettings};

    /// A real program's `nfpms` (shape of GoReleaser's docs and of the configs seen in the wild).
    const CONFIG: &str = r#"
project_name: tool
builds:
  - id: tool
    main: ./cmd/tool
    binary: tool
  - id: toolctl
    main: ./cmd/toolctl
    binary: toolctl
nfpms:
  - id: packages
    package_name: tool
    ids: [tool]
    file_name_template: "{{ .ConventionalFileName }}"
    vendor: Example Inc.
    homepage: https://example.com/tool
    maintainer: Jane Doe <jane@example.com>
    description: |-
      A tool that does things.
      It does them well.
    license: MIT
    formats: [apk, deb, rpm, archlinux]
    bindir: /usr/bin
    section: utils
    dependencies: [git]
    recommends: [less]
    contents:
      - src: packaging/tool.yaml
        dst: /etc/tool/tool.yaml
        type: config|noreplace
        file_info:
          mode: 0640
          owner: root
          group: tool
      - src: LICENSE
        dst: /usr/share/doc/tool/copyright
        packager: deb
      - dst: /var/lib/tool
        type: dir
      - src: /usr/bin/tool
        dst: /usr/bin/tl
        type: symlink
      - src: packaging/ghost
        dst: /var/log/tool.log
        type: ghost
    scripts:
      postinstall: packaging/postinstall.sh
      preremove: packaging/preremove.sh
    deb:
      lintian_overrides: [statically-linked-binary]
      compression: xz
    rpm:
      signature:
        key_file: key.gpg
    overrides:
      rpm:
        dependencies: [git-core]
"#;

    #[test]
    fn nfpms_become_packages_and_the_rest_is_named() {
        let d = draft(CONFIG, ".").unwrap();
        let want = PackageSettings {
            formats: vec![PackageFormat::Apk, PackageFormat::Deb, PackageFormat::Rpm],
            name: Some("tool".into()),
            binaries: vec!["tool".into()],
            file_name: Some("{{ .ConventionalFileName }}".into()),
            bindir: Some("/usr/bin".into()),
            vendor: "Example Inc.".into(),
            homepage: "https://example.com/tool".into(),
            maintainer: "Jane Doe <jane@example.com>".into(),
            description: "A tool that does things.\nIt does them well.".into(),
            license: "MIT".into(),
            section: "utils".into(),
            dependencies: vec!["git".into()],
            recommends: vec!["less".into()],
            lintian_overrides: vec!["statically-linked-binary".into()],
            contents: vec![
                ContentSettings {
                    src: "packaging/tool.yaml".into(),
                    dst: "/etc/tool/tool.yaml".into(),
                    kind: "config|noreplace".into(),
                    mode: "0640".into(),
                    owner: "root".into(),
                    group: "tool".into(),
                    packager: None,
                },
                ContentSettings {
                    src: "LICENSE".into(),
                    dst: "/usr/share/doc/tool/copyright".into(),
                    packager: Some(PackageFormat::Deb),
                    ..ContentSettings::default()
                },
                ContentSettings { dst: "/var/lib/tool".into(), kind: "dir".into(), ..ContentSettings::default() },
                ContentSettings {
                    src: "/usr/bin/tool".into(),
                    dst: "/usr/bin/tl".into(),
                    kind: "symlink".into(),
                    ..ContentSettings::default()
                },
            ],
            scripts: ScriptSettings {
                postinstall: "packaging/postinstall.sh".into(),
                preremove: "packaging/preremove.sh".into(),
                ..ScriptSettings::default()
            },
            ..PackageSettings::default()
        };
        assert_eq!(d.settings.packages, vec![want]);
        let notes: Vec<String> = d.notes.iter().map(|n| format!("{}: {}", n.key, n.why)).collect();
        for expected in [
            "nfpms[0].formats archlinux: dist writes deb, rpm and apk",
            "nfpms[0].contents[4].type ghost: dist writes files, config, dir, symlink, tree",
            "nfpms[0].deb.compression: dist compresses with gzip",
            "nfpms[0].rpm.signature: sign the packages in dist/ after `cargo xtask dist`",
            "nfpms[0].overrides: dist.toml has no per-format overrides",
        ] {
            assert!(notes.iter().any(|n| n == expected), "missing note {expected:?} in {notes:#?}");
        }
        assert!(!notes.iter().any(|n| n.starts_with("nfpms:")), "nfpms itself is imported: {notes:#?}");
    }

    #[test]
    fn files_are_rebased_onto_the_module_folder() {
        let yaml = "builds:\n  - dir: app\nnfpms:\n  - formats: [deb]\n    contents:\n      - {src: app/etc/x.conf, dst: /etc/x.conf}\n      - {src: LICENSE, dst: /usr/share/doc/x/copyright}\n    scripts: {postinstall: scripts/post.sh}\n";
        let d = draft(yaml, "app").unwrap();
        let p = &d.settings.packages[0];
        let srcs: Vec<&str> = p.contents.iter().map(|c| c.src.as_str()).collect();
        assert_eq!(srcs, ["etc/x.conf", "../LICENSE"]);
        assert_eq!(p.scripts.postinstall, "../scripts/post.sh");
    }

    #[test]
    fn an_entry_without_formats_is_skipped_as_goreleaser_skips_it() {
        let d = draft("nfpms:\n  - vendor: x\n", ".").unwrap();
        assert!(d.settings.packages.is_empty());
    }
}
