//! Debian packages: an `ar` archive of `debian-binary` (`2.0`), `control.tar.gz`
//! (`control`, `md5sums`, `conffiles`, maintainer scripts) and `data.tar.gz`,
//! laid out and spelled as nfpm writes them, so a GoReleaser user's packages
//! hold the same fields and files — plus the changelog Debian policy requires
//! of every package (§12.7), which nfpm leaves out unless given one, and the
//! lintian overrides asked for (GoReleaser's `deb.lintian_overrides`).

use md5::{Digest, Md5};

use super::tarball::{gzip, Flavor, Meta, Tar};
use super::{EntryKind, Spec};
use crate::plan::UNSET_MAINTAINER;
use crate::settings::Relation;

pub fn write(spec: &Spec) -> anyhow::Result<Vec<u8>> {
    let spec = &with_debian_files(spec);
    let mut data = Tar::new(Flavor::Gnu);
    let mut md5sums = String::new();
    for e in spec.with_parents() {
        let meta = Meta { mode: e.mode, owner: &e.owner, group: &e.group, mtime: spec.epoch };
        let name = format!("./{}", e.relative().trim_end_matches('/'));
        match &e.kind {
            EntryKind::Dir => data.dir(&format!("{name}/"), &meta),
            EntryKind::File(bytes) | EntryKind::Config { bytes, .. } => {
                data.file(&name, bytes, &meta, &[]);
                md5sums += &format!("{:x}  {}\n", Md5::digest(bytes), e.relative());
            }
            EntryKind::Symlink(target) => data.symlink(&name, target, &meta, &[]),
        }
    }
    let data = gzip(&data.finish());

    let mut control = Tar::new(Flavor::Gnu);
    let file = |mode| Meta { mode, owner: "", group: "", mtime: spec.epoch };
    control.file("./control", control_file(spec)?.as_bytes(), &file(0o644), &[]);
    control.file("./md5sums", md5sums.as_bytes(), &file(0o644), &[]);
    let conffiles: String = spec
        .entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Config { .. }))
        .map(|e| format!("{}\n", e.path))
        .collect();
    if !conffiles.is_empty() {
        control.file("./conffiles", conffiles.as_bytes(), &file(0o644), &[]);
    }
    let s = &spec.scripts;
    for (name, script) in
        [("postinst", &s.postinstall), ("postrm", &s.postremove), ("preinst", &s.preinstall), ("prerm", &s.preremove)]
    {
        if let Some(bytes) = script {
            control.file(&format!("./{name}"), bytes, &file(0o755), &[]);
        }
    }
    let control = gzip(&control.finish());

    let mut out = ar::Builder::new(Vec::new());
    for (name, bytes) in [("debian-binary", &b"2.0\n"[..]), ("control.tar.gz", &control), ("data.tar.gz", &data)] {
        let mut header = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
        header.set_mtime(spec.epoch.max(0) as u64);
        header.set_mode(0o100644);
        out.append(&header, bytes)?;
    }
    Ok(out.into_inner()?)
}

/// `spec` with the files Debian expects that it lacks: a one-entry changelog
/// for this version (by the maintainer, dated at the epoch; `changelog.gz` for
/// a native version, `changelog.Debian.gz` for one with a revision, as dpkg
/// tells them apart), and the lintian overrides file when overrides are asked for.
fn with_debian_files(spec: &Spec) -> Spec {
    let mut spec = spec.clone();
    let doc = format!("/usr/share/doc/{}", spec.name);
    let has = |spec: &Spec, path: &str| spec.entries.iter().any(|e| e.path == path);
    let version = spec.version.deb();
    let upstream = version.split_once(':').map_or(version.as_str(), |(_, v)| v);
    let changelog = if upstream.contains('-') { "changelog.Debian.gz" } else { "changelog.gz" };
    if !has(&spec, &format!("{doc}/changelog.gz")) && !has(&spec, &format!("{doc}/changelog.Debian.gz")) {
        let maintainer = if spec.maintainer.is_empty() { UNSET_MAINTAINER } else { &spec.maintainer };
        let text = format!(
            "{} ({version}) unstable; urgency=medium\n\n  * Release {}.\n\n -- {maintainer}  {}\n",
            spec.name,
            spec.version.deb(),
            crate::stamp::rfc2822(spec.epoch)
        );
        let bytes = gzip_best(text.as_bytes());
        spec.entries.push(root_file(&format!("{doc}/{changelog}"), bytes));
    }
    let overrides = format!("/usr/share/lintian/overrides/{}", spec.name);
    if !spec.lintian_overrides.is_empty() && !has(&spec, &overrides) {
        // GoReleaser's bytes: one `name: tag` per line, no final newline.
        let lines: Vec<String> = spec.lintian_overrides.iter().map(|o| format!("{}: {o}", spec.name)).collect();
        spec.entries.push(root_file(&overrides, lines.join("\n").into_bytes()));
    }
    spec
}

fn root_file(path: &str, bytes: Vec<u8>) -> super::Entry {
    super::Entry {
        path: path.to_owned(),
        kind: EntryKind::File(bytes),
        mode: 0o644,
        owner: "root".into(),
        group: "root".into(),
    }
}

/// Gzip at the highest level, which lintian expects of a changelog.
fn gzip_best(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).expect("gzip into memory");
    gz.finish().expect("gzip into memory")
}

/// The `control` file, field by field as nfpm writes it (an empty `Section`
/// is left out rather than written empty).
pub fn control_file(spec: &Spec) -> anyhow::Result<String> {
    let mut c = String::new();
    let mut field = |name: &str, value: &str| {
        if !value.trim().is_empty() {
            c += &format!("{name}: {value}\n");
        }
    };
    let join = |list: &[String]| -> anyhow::Result<String> {
        Ok(super::relations(list)?.iter().map(Relation::deb).collect::<Vec<_>>().join(", "))
    };
    field("Package", &spec.name);
    field("Version", &spec.version.deb());
    field("Section", &spec.section);
    field("Priority", if spec.priority.is_empty() { "optional" } else { &spec.priority });
    field("Architecture", &spec.arch);
    field("Maintainer", if spec.maintainer.is_empty() { UNSET_MAINTAINER } else { &spec.maintainer });
    // Debian policy: the size in KiB, rounded up.
    field("Installed-Size", &spec.installed_size().div_ceil(1024).to_string());
    field("Replaces", &join(&spec.replaces)?);
    field("Provides", &join(&spec.provides)?);
    field("Depends", &join(&spec.depends)?);
    field("Recommends", &join(&spec.recommends)?);
    field("Suggests", &join(&spec.suggests)?);
    field("Conflicts", &join(&spec.conflicts)?);
    field("Homepage", &spec.homepage);
    let (_, description) = spec.summary_and_description();
    let mut lines = description.lines();
    let mut text = lines.next().unwrap_or_default().trim().to_owned();
    for line in lines {
        let line = line.trim();
        text += &format!("\n {}", if line.is_empty() { "." } else { line });
    }
    field("Description", &text);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::super::sample;
    use super::*;

    /// The members of an ar archive: (name, mtime, bytes).
    fn members(deb: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
        let mut archive = ar::Archive::new(deb);
        let mut out = Vec::new();
        while let Some(entry) = archive.next_entry() {
            let mut entry = entry.unwrap();
            let name = String::from_utf8(entry.header().identifier().to_vec()).unwrap();
            let mtime = entry.header().mtime();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            out.push((name, mtime, bytes));
        }
        out
    }

    fn untar(gz: &[u8]) -> Vec<(String, Vec<u8>, u32)> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
                let mode = e.header().mode().unwrap();
                let mut bytes = Vec::new();
                e.read_to_end(&mut bytes).unwrap();
                (name, bytes, mode)
            })
            .collect()
    }

    #[test]
    fn a_deb_is_debian_binary_control_and_data_in_that_order() {
        let deb = write(&sample()).unwrap();
        assert!(deb.starts_with(b"!<arch>\n"));
        let m = members(&deb);
        let names: Vec<&str> = m.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["debian-binary", "control.tar.gz", "data.tar.gz"]);
        assert_eq!(m[0].2, b"2.0\n");
        assert!(m.iter().all(|x| x.1 == 1_700_000_000));

        let control = untar(&m[1].2);
        let names: Vec<&str> = control.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["./control", "./md5sums", "./conffiles", "./postinst"]);
        assert_eq!(control[2].1, b"/etc/tool/config.toml\n");
        assert_eq!(control[3].2, 0o755);
        let md5sums = String::from_utf8(control[1].1.clone()).unwrap();
        // Each digest as `printf '\177ELF binary bytes' | md5sum` and `printf 'key = 1\n' | md5sum` give it.
        let lines: Vec<&str> = md5sums.lines().collect();
        assert_eq!(
            lines[..2],
            [
                "103881339e2557a908f7147aab1d2d81  etc/tool/config.toml",
                "a9bf1bb5e11520288187f528ce8d74c1  usr/bin/tool"
            ]
        );
        assert!(lines[2].ends_with("  usr/share/doc/tool/changelog.gz") && lines.len() == 3, "{md5sums}");

        let data = untar(&m[2].2);
        let names: Vec<&str> = data.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "./etc/",
                "./etc/tool/",
                "./etc/tool/config.toml",
                "./usr/",
                "./usr/bin/",
                "./usr/bin/t",
                "./usr/bin/tool",
                "./usr/share/",
                "./usr/share/doc/",
                "./usr/share/doc/tool/",
                "./usr/share/doc/tool/changelog.gz",
                "./var/",
                "./var/lib/",
                "./var/lib/tool/"
            ]
        );
        assert_eq!(data[6].1, b"\x7fELF binary bytes");
        assert_eq!(data[6].2, 0o755);
        assert_eq!(data[13].2, 0o750);
        let mut changelog = String::new();
        flate2::read::GzDecoder::new(data[10].1.as_slice()).read_to_string(&mut changelog).unwrap();
        assert_eq!(
            changelog,
            "tool (1.2.3) unstable; urgency=medium\n\n  * Release 1.2.3.\n\n -- Jane Doe <jane@example.com>  \
             Tue, 14 Nov 2023 22:13:20 +0000\n"
        );
    }

    #[test]
    fn a_version_with_a_revision_has_a_debian_changelog_and_overrides_are_written() {
        let mut spec = sample();
        spec.version = crate::plan::Version::parse("1.2.3", "2", "");
        spec.lintian_overrides = vec!["statically-linked-binary".into(), "no-manual-page".into()];
        let m = members(&write(&spec).unwrap());
        let data = untar(&m[2].2);
        let find = |name: &str| data.iter().find(|e| e.0 == name).map(|e| e.1.clone());
        assert!(find("./usr/share/doc/tool/changelog.Debian.gz").is_some());
        assert!(find("./usr/share/doc/tool/changelog.gz").is_none());
        assert_eq!(
            find("./usr/share/lintian/overrides/tool").unwrap(),
            b"tool: statically-linked-binary\ntool: no-manual-page"
        );
    }

    #[test]
    fn the_control_file_has_nfpms_fields() {
        let mut spec = sample();
        spec.description = "  Summary line\nfirst\n\n  second  \n".into();
        spec.recommends = vec!["less".into(), " ".into()];
        // 25 bytes of files: 1 KiB, rounded up as Debian policy says (nfpm rounds down, to 0).
        assert_eq!(spec.installed_size(), 25);
        assert_eq!(
            control_file(&spec).unwrap(),
            "Package: tool\nVersion: 1.2.3\nSection: utils\nPriority: optional\nArchitecture: amd64\n\
             Maintainer: Jane Doe <jane@example.com>\nInstalled-Size: 1\nDepends: ca-certificates\n\
             Recommends: less\nHomepage: https://example.com/tool\n\
             Description: Summary line\n first\n .\n second\n"
        );
        spec.maintainer.clear();
        spec.section.clear();
        spec.description.clear();
        let text = control_file(&spec).unwrap();
        assert!(text.contains("Maintainer: Unset Maintainer <unset@localhost>\n"), "{text}");
        assert!(!text.contains("Section"), "{text}");
        assert!(text.ends_with("Description: no description given\n"), "{text}");
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes() {
        assert_eq!(write(&sample()).unwrap(), write(&sample()).unwrap());
        let mut later = sample();
        later.epoch += 1;
        assert_ne!(write(&later).unwrap(), write(&sample()).unwrap());
    }
}
