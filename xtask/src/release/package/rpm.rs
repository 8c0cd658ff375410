//! RPM packages, written by the `rpm` crate (rpm-rs) with the fields nfpm sets:
//! summary (the description's first line), description, license, URL, vendor,
//! packager (the maintainer), relations (`replaces` as Obsoletes, as nfpm maps
//! it), scripts, and every entry but the parent directories (an rpm that listed
//! `/usr/bin` would own it). Build time and every mtime are the epoch; the
//! payload is gzip'd cpio.

use anyhow::Context;

use super::{EntryKind, Spec};
use crate::settings::Relation;

pub fn write(spec: &Spec) -> anyhow::Result<Vec<u8>> {
    let (summary, description) = spec.summary_and_description();
    let epoch = u32::try_from(spec.epoch.max(0)).unwrap_or(u32::MAX);
    let config = rpm::BuildConfig::default().compression(rpm::CompressionType::Gzip).source_date(epoch);
    let mut b = rpm::PackageBuilder::new(&spec.name, &spec.version.rpm(), &spec.license, &spec.arch, &summary);
    b.using_config(config).release(spec.version.rpm_release()).description(description);
    // rpmlint errs on a package without a group or with rpm's "Unspecified" (no-group-tag),
    // which is what nfpm writes: the section names one.
    b.group(if spec.section.is_empty() { "Unspecified" } else { &spec.section });
    // The convention for reproducible rpms (rpm's `%_buildhost reproducible`): no build machine's name.
    b.build_host("reproducible");
    let maintainer = if spec.maintainer.is_empty() { crate::plan::UNSET_MAINTAINER } else { &spec.maintainer };
    b.add_changelog_entry(
        format!("{maintainer} - {}-{}", spec.version.rpm(), spec.version.rpm_release()),
        format!("- Release {}.", spec.version.rpm()),
        epoch,
    );
    if !spec.version.epoch.is_empty() {
        let n = spec.version.epoch.parse::<u32>().with_context(|| {
            format!("the package epoch {:?} is not a whole number: rpm takes one", spec.version.epoch)
        })?;
        b.epoch(n);
    }
    if !spec.homepage.is_empty() {
        b.url(&spec.homepage);
    }
    if !spec.vendor.is_empty() {
        b.vendor(&spec.vendor);
    }
    if !spec.maintainer.is_empty() {
        b.packager(&spec.maintainer);
    }
    let relations = |list: &[String]| -> anyhow::Result<Vec<rpm::Dependency>> {
        Ok(super::relations(list)?.iter().map(dependency).collect())
    };
    for d in relations(&spec.provides)? {
        b.provides(d);
    }
    for d in relations(&spec.depends)? {
        b.requires(d);
    }
    for d in relations(&spec.recommends)? {
        b.recommends(d);
    }
    for d in relations(&spec.replaces)? {
        b.obsoletes(d);
    }
    for d in relations(&spec.suggests)? {
        b.suggests(d);
    }
    for d in relations(&spec.conflicts)? {
        b.conflicts(d);
    }
    // The interpreter named, as nfpm and rpmbuild do (`postinstall scriptlet (using /bin/sh)`).
    let script = |bytes: &Vec<u8>| rpm::Scriptlet::new(String::from_utf8_lossy(bytes)).prog(vec!["/bin/sh"]);
    if let Some(s) = &spec.scripts.preinstall {
        b.pre_install_script(script(s));
    }
    if let Some(s) = &spec.scripts.postinstall {
        b.post_install_script(script(s));
    }
    if let Some(s) = &spec.scripts.preremove {
        b.pre_uninstall_script(script(s));
    }
    if let Some(s) = &spec.scripts.postremove {
        b.post_uninstall_script(script(s));
    }
    let mut entries = spec.entries.clone();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    for e in &entries {
        let cannot = || format!("cannot add {} to the rpm", e.path);
        let path = format!("/{}", e.relative().trim_end_matches('/'));
        let permissions = (e.mode & 0o7777) as u16;
        match &e.kind {
            EntryKind::File(bytes) => {
                let options = rpm::FileOptions::new(path).permissions(permissions).user(&e.owner).group(&e.group);
                b.with_file_contents(bytes.clone(), options).with_context(cannot)?;
            }
            EntryKind::Config { bytes, noreplace } => {
                let mut options =
                    rpm::FileOptions::new(path).permissions(permissions).user(&e.owner).group(&e.group).config();
                if *noreplace {
                    options = options.noreplace();
                }
                b.with_file_contents(bytes.clone(), options).with_context(cannot)?;
            }
            EntryKind::Dir => {
                let options = rpm::FileOptions::dir(path).permissions(permissions).user(&e.owner).group(&e.group);
                b.with_dir_entry(options).with_context(cannot)?;
            }
            EntryKind::Symlink(target) => {
                let options = rpm::FileOptions::symlink(path, target).user(&e.owner).group(&e.group);
                b.with_symlink(options).with_context(cannot)?;
            }
        }
    }
    let package = b.build().context("cannot build the rpm")?;
    let mut out = Vec::new();
    package.write(&mut out).context("cannot write the rpm")?;
    Ok(out)
}

/// A relation as rpm takes it.
fn dependency(r: &Relation) -> rpm::Dependency {
    let (name, version) = (r.name.as_str(), r.version.as_str());
    match r.op {
        "=" => rpm::Dependency::eq(name, version),
        ">=" => rpm::Dependency::greater_eq(name, version),
        "<=" => rpm::Dependency::less_eq(name, version),
        ">>" => rpm::Dependency::greater(name, version),
        "<<" => rpm::Dependency::less(name, version),
        _ => rpm::Dependency::any(name),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn an_rpm_reads_back_with_nfpms_fields_and_no_parent_directories() {
        let mut spec = sample();
        spec.arch = "x86_64".into();
        spec.conflicts = vec!["oldtool (< 1.0)".into()];
        spec.replaces = vec!["tool-legacy".into()];
        let bytes = write(&spec).unwrap();
        assert_eq!(&bytes[..4], [0xed, 0xab, 0xee, 0xdb], "the rpm lead's magic");
        let pkg = rpm::Package::parse(&mut bytes.as_slice()).unwrap();
        let m = &pkg.metadata;
        assert_eq!(m.get_name().unwrap(), "tool");
        assert_eq!(m.get_version().unwrap(), "1.2.3");
        assert_eq!(m.get_release().unwrap(), "1");
        assert_eq!(m.get_arch().unwrap(), "x86_64");
        assert_eq!(m.get_summary().unwrap(), "A tool that does things");
        assert_eq!(m.get_license().unwrap(), "MIT");
        assert_eq!(m.get_url().unwrap(), "https://example.com/tool");
        assert_eq!(m.get_vendor().unwrap(), "Example");
        assert_eq!(m.get_packager().unwrap(), "Jane Doe <jane@example.com>");
        assert_eq!(m.get_build_time().unwrap(), 1_700_000_000);
        let requires: Vec<String> = m.get_requires().unwrap().iter().map(|d| d.name.clone()).collect();
        assert!(requires.contains(&"ca-certificates".to_owned()), "{requires:?}");
        let conflicts = m.get_conflicts().unwrap();
        assert_eq!((conflicts[0].name.as_str(), conflicts[0].version.as_str()), ("oldtool", "1.0"));
        assert_eq!(m.get_obsoletes().unwrap()[0].name, "tool-legacy");
        let files: Vec<String> =
            m.get_file_entries().unwrap().iter().map(|f| f.path().to_string_lossy().into_owned()).collect();
        assert_eq!(files, ["/etc/tool/config.toml", "/usr/bin/t", "/usr/bin/tool", "/var/lib/tool"]);
        assert!(m.get_file_entries().unwrap().iter().all(|f| f.modified_at() == 1_700_000_000.into()));
    }

    #[test]
    fn relations_become_rpm_dependencies_with_their_sense() {
        let dependency = |text: &str| dependency(&Relation::parse(text).unwrap());
        for (text, name, version) in [("bash (>= 4.0)", "bash", "4.0"), ("libc6", "libc6", ""), ("x << 2", "x", "2")] {
            let d = dependency(text);
            assert_eq!((d.name.as_str(), d.version.as_str()), (name, version), "{text}");
        }
        assert_ne!(dependency("x << 2"), dependency("x >> 2"));
        assert_eq!(dependency("x < 2"), dependency("x << 2"));
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes() {
        assert_eq!(write(&sample()).unwrap(), write(&sample()).unwrap());
    }
}
