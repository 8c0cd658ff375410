//! Alpine packages, unsigned, as nfpm writes them: two gzip streams one after
//! the other — the control part (`.PKGINFO` and the install scripts, a tar
//! without its end blocks) and the data part (a whole tar) — which apk reads as
//! one tar stream. `.PKGINFO` names the data part by its SHA-256 (`datahash`);
//! every file and link carries its SHA-1 in a PAX record, which apk checks as it
//! installs.

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::tarball::{gzip, Flavor, Meta, Tar};
use super::{EntryKind, Spec};

pub fn write(spec: &Spec) -> anyhow::Result<Vec<u8>> {
    let mut data = Tar::new(Flavor::Pax);
    for e in spec.with_parents() {
        let meta = Meta { mode: e.mode, owner: &e.owner, group: &e.group, mtime: spec.epoch };
        let name = e.relative().trim_end_matches('/').to_owned();
        match &e.kind {
            EntryKind::Dir => data.dir(&format!("{name}/"), &meta),
            EntryKind::File(bytes) | EntryKind::Config { bytes, .. } => data.file(&name, bytes, &meta, &[sha1(bytes)]),
            EntryKind::Symlink(target) => data.symlink(&name, target, &meta, &[sha1(b"")]),
        }
    }
    let data = gzip(&data.finish());

    let mut control = Tar::new(Flavor::Pax);
    let pkginfo = pkginfo(spec, &format!("{:x}", Sha256::digest(&data)))?;
    control.file(".PKGINFO", pkginfo.as_bytes(), &Meta { mode: 0o600, owner: "", group: "", mtime: spec.epoch }, &[]);
    let s = &spec.scripts;
    for (name, script) in [
        (".post-deinstall", &s.postremove),
        (".post-install", &s.postinstall),
        (".pre-deinstall", &s.preremove),
        (".pre-install", &s.preinstall),
    ] {
        if let Some(bytes) = script {
            let meta = Meta { mode: 0o755, owner: "", group: "", mtime: spec.epoch };
            control.file(name, bytes, &meta, &[sha1(bytes)]);
        }
    }
    let mut apk = gzip(&control.cut());
    apk.extend_from_slice(&data);
    Ok(apk)
}

fn sha1(bytes: &[u8]) -> (&'static str, String) {
    ("APK-TOOLS.checksum.SHA1", format!("{:x}", Sha1::digest(bytes)))
}

/// `.PKGINFO`, field by field as nfpm writes it, but for `pkgdesc`: nfpm
/// continues a long description on indented lines, which apk drops (it reads
/// `key = value` lines only) and other readers refuse (go-apk's); here it is
/// the summary, the description's first line, which is what apk shows of nfpm's.
pub fn pkginfo(spec: &Spec, datahash: &str) -> anyhow::Result<String> {
    let (summary, _) = spec.summary_and_description();
    let mut p = format!(
        "pkgname = {}\npkgver = {}\narch = {}\nsize = {}\npkgdesc = {}\n",
        spec.name,
        spec.version.apk(),
        spec.arch,
        spec.installed_size(),
        summary
    );
    let mut field = |name: &str, value: &str| {
        if !value.is_empty() {
            p += &format!("{name} = {value}\n");
        }
    };
    field("url", &spec.homepage);
    field("maintainer", &spec.maintainer);
    for r in super::relations(&spec.replaces)? {
        field("replaces", &r.apk());
    }
    for r in super::relations(&spec.provides)? {
        field("provides", &r.apk());
    }
    for r in super::relations(&spec.depends)? {
        field("depend", &r.apk());
    }
    field("license", &spec.license);
    field("datahash", datahash);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::super::sample;
    use super::*;

    /// Splits an apk into its gzip members, as apk does: each decoded on its own.
    fn members(apk: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut rest = apk;
        while !rest.is_empty() {
            let mut decoder = flate2::bufread::GzDecoder::new(rest);
            let mut plain = Vec::new();
            decoder.read_to_end(&mut plain).unwrap();
            let left = decoder.into_inner();
            let used = rest.len() - left.len();
            out.push((rest[..used].to_vec(), plain));
            rest = left;
        }
        out
    }

    #[test]
    fn an_apk_is_a_cut_control_stream_then_a_data_stream_named_by_its_hash() {
        let apk = write(&sample()).unwrap();
        let parts = members(&apk);
        assert_eq!(parts.len(), 2, "control and data, no signature");
        let (control, data) = (&parts[0].1, &parts[1].1);
        assert!(!control.ends_with(&[0; 1024]), "the control tar has no end blocks");
        assert!(data.ends_with(&[0; 1024]));
        // Read as apk reads it: the two tars as one stream.
        let mut whole = control.clone();
        whole.extend_from_slice(data);
        let mut archive = tar::Archive::new(whole.as_slice());
        let mut names = Vec::new();
        let mut pkginfo = String::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let sha1 = e
                .pax_extensions()
                .unwrap()
                .and_then(|x| x.map(|r| r.unwrap()).find(|r| r.key() == Ok("APK-TOOLS.checksum.SHA1")))
                .map(|r| r.value().unwrap().to_owned());
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            if name == ".PKGINFO" {
                pkginfo = String::from_utf8(bytes.clone()).unwrap();
            }
            if name == "usr/bin/tool" {
                // `printf '\177ELF binary bytes' | sha1sum`
                assert_eq!(sha1.as_deref(), Some("3e111bc1b379c1975d153caf26ebf76f59b3edff"));
            }
            names.push(name);
        }
        assert_eq!(
            names,
            [
                ".PKGINFO",
                ".post-install",
                "etc/",
                "etc/tool/",
                "etc/tool/config.toml",
                "usr/",
                "usr/bin/",
                "usr/bin/t",
                "usr/bin/tool",
                "var/",
                "var/lib/",
                "var/lib/tool/"
            ]
        );
        let datahash = format!("{:x}", Sha256::digest(&parts[1].0));
        assert_eq!(
            pkginfo,
            format!(
                "pkgname = tool\npkgver = 1.2.3\narch = amd64\nsize = 25\n\
                 pkgdesc = A tool that does things\n\
                 url = https://example.com/tool\nmaintainer = Jane Doe <jane@example.com>\n\
                 depend = ca-certificates\nlicense = MIT\ndatahash = {datahash}\n"
            )
        );
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes() {
        assert_eq!(write(&sample()).unwrap(), write(&sample()).unwrap());
    }
}
