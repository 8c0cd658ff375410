//! The tar streams inside .deb and .apk packages, written header by header so
//! names come out exactly as each format's tools expect (`./usr/bin/tool` in a
//! deb, `usr/bin/` for an apk directory), which the tar crate's path handling
//! would normalise. Long names and links use GNU records (deb) or PAX records
//! (apk, which also carries each file's SHA-1 in one).

use std::io::Write;

/// Which tar dialect a stream is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// GNU headers, `././@LongLink` entries for long names (as dpkg writes).
    Gnu,
    /// USTAR headers, PAX extended headers for long names and extra records (as nfpm's apk).
    Pax,
}

/// Owner, group, mode and mtime of one entry.
pub struct Meta<'a> {
    pub mode: u32,
    pub owner: &'a str,
    pub group: &'a str,
    pub mtime: i64,
}

pub struct Tar {
    out: Vec<u8>,
    flavor: Flavor,
}

/// The header's name and link fields hold 100 bytes; Go and GNU tar use
/// extension records from 100 on.
const NAME_FIELD: usize = 100;

impl Tar {
    pub fn new(flavor: Flavor) -> Tar {
        Tar { out: Vec::new(), flavor }
    }

    pub fn file(&mut self, name: &str, bytes: &[u8], meta: &Meta, records: &[(&str, String)]) {
        self.entry(tar::EntryType::Regular, name, None, bytes, meta, records);
    }

    pub fn dir(&mut self, name: &str, meta: &Meta) {
        self.entry(tar::EntryType::Directory, name, None, &[], meta, &[]);
    }

    pub fn symlink(&mut self, name: &str, target: &str, meta: &Meta, records: &[(&str, String)]) {
        self.entry(tar::EntryType::Symlink, name, Some(target), &[], meta, records);
    }

    /// The stream with its end-of-archive blocks.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0; 1024]);
        self.out
    }

    /// The stream without end-of-archive blocks: an apk's control part, which
    /// apk reads as the start of one tar stream continued by the data part.
    pub fn cut(self) -> Vec<u8> {
        self.out
    }

    fn entry(
        &mut self,
        kind: tar::EntryType,
        name: &str,
        link: Option<&str>,
        data: &[u8],
        meta: &Meta,
        records: &[(&str, String)],
    ) {
        let mut pax: Vec<(String, String)> = records.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        match self.flavor {
            Flavor::Gnu => {
                if name.len() >= NAME_FIELD {
                    self.gnu_long(tar::EntryType::GNULongName, name);
                }
                if link.is_some_and(|l| l.len() >= NAME_FIELD) {
                    self.gnu_long(tar::EntryType::GNULongLink, link.unwrap_or_default());
                }
            }
            Flavor::Pax => {
                if name.len() >= NAME_FIELD {
                    pax.insert(0, ("path".into(), name.into()));
                }
                if let Some(l) = link.filter(|l| l.len() >= NAME_FIELD) {
                    pax.insert(0, ("linkpath".into(), l.into()));
                }
            }
        }
        if !pax.is_empty() {
            let body = pax_records(&pax);
            let base = name.trim_end_matches('/').rsplit('/').next().unwrap_or(name);
            let dir = name.trim_end_matches('/').rsplit_once('/').map_or("", |(d, _)| d);
            let pax_name =
                if dir.is_empty() { format!("PaxHeaders.0/{base}") } else { format!("{dir}/PaxHeaders.0/{base}") };
            let header = self.header(
                tar::EntryType::XHeader,
                &pax_name,
                None,
                body.len() as u64,
                &Meta { mode: 0o644, owner: "", group: "", mtime: meta.mtime },
            );
            self.put(&header, &body);
        }
        let header = self.header(kind, name, link, data.len() as u64, meta);
        self.put(&header, data);
    }

    /// A `././@LongLink` entry holding a name too long for the header.
    fn gnu_long(&mut self, kind: tar::EntryType, text: &str) {
        let mut body = text.as_bytes().to_vec();
        body.push(0);
        let header = self.header(
            kind,
            "././@LongLink",
            None,
            body.len() as u64,
            &Meta { mode: 0o644, owner: "root", group: "root", mtime: 0 },
        );
        self.put(&header, &body);
    }

    fn header(&self, kind: tar::EntryType, name: &str, link: Option<&str>, size: u64, meta: &Meta) -> tar::Header {
        let mut h = match self.flavor {
            Flavor::Gnu => tar::Header::new_gnu(),
            Flavor::Pax => tar::Header::new_ustar(),
        };
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(meta.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(meta.mtime.max(0) as u64);
        // Names longer than the fields went into a record before this header; cut here as GNU tar does.
        let _ = h.set_username(&meta.owner[..meta.owner.len().min(31)]);
        let _ = h.set_groupname(&meta.group[..meta.group.len().min(31)]);
        let old = h.as_old_mut();
        let n = name.len().min(NAME_FIELD);
        old.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        if let Some(link) = link {
            let n = link.len().min(NAME_FIELD);
            old.linkname[..n].copy_from_slice(&link.as_bytes()[..n]);
        }
        h.set_cksum();
        h
    }

    fn put(&mut self, header: &tar::Header, data: &[u8]) {
        self.out.extend_from_slice(header.as_bytes());
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }
}

/// PAX records: `<length> <key>=<value>\n`, the length counting itself.
fn pax_records(records: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in records {
        let rest = k.len() + v.len() + 3; // space, `=`, newline
        let mut len = rest + 1;
        while len != rest + len.to_string().len() {
            len = rest + len.to_string().len();
        }
        let _ = writeln!(out, "{len} {k}={v}");
    }
    out
}

/// Gzip with no name and mtime 0 in its header: the same bytes in, the same bytes out.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    gz.write_all(bytes).expect("gzip into memory");
    gz.finish().expect("gzip into memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Meta = Meta { mode: 0o755, owner: "root", group: "root", mtime: 1_700_000_000 };

    /// (path, link, kind, mode, mtime, owner, pax records, bytes)
    type Seen = (String, Option<String>, tar::EntryType, u32, u64, String, Vec<(String, String)>, Vec<u8>);

    /// What the tar crate's reader sees.
    fn read(stream: &[u8]) -> Vec<Seen> {
        use std::io::Read;
        let mut archive = tar::Archive::new(stream);
        let mut out = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let pax: Vec<(String, String)> = match e.pax_extensions().unwrap() {
                Some(exts) => exts
                    .map(|x| x.unwrap())
                    .map(|x| (x.key().unwrap().to_owned(), x.value().unwrap().to_owned()))
                    .collect(),
                None => vec![],
            };
            let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let link = e.link_name_bytes().map(|l| String::from_utf8(l.into_owned()).unwrap());
            let h = e.header().clone();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            out.push((
                path,
                link,
                h.entry_type(),
                h.mode().unwrap(),
                h.mtime().unwrap(),
                h.username().unwrap().unwrap().to_owned(),
                pax,
                bytes,
            ));
        }
        out
    }

    #[test]
    fn names_long_names_links_and_records_read_back_exactly() {
        let long = format!("./usr/share/{}/file", "d".repeat(120));
        let long_target = format!("/opt/{}", "t".repeat(150));
        for flavor in [Flavor::Gnu, Flavor::Pax] {
            let mut t = Tar::new(flavor);
            t.dir("./usr/", &ROOT);
            t.file("./usr/bin/tool", b"bytes", &ROOT, &[]);
            t.file(&long, b"long", &Meta { mode: 0o4755, owner: "tool", group: "staff", mtime: 5 }, &[]);
            t.symlink("./usr/bin/t", &long_target, &Meta { mode: 0o777, ..ROOT }, &[]);
            let records = [("APK-TOOLS.checksum.SHA1", "ab".repeat(20))];
            t.file("usr/bin/x", b"x", &ROOT, if flavor == Flavor::Pax { &records } else { &[] });
            let stream = t.finish();
            assert_eq!(stream.len() % 512, 0);
            assert!(stream.ends_with(&[0; 1024]));
            let entries = read(&stream);
            let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
            assert_eq!(names, ["./usr/", "./usr/bin/tool", long.as_str(), "./usr/bin/t", "usr/bin/x"]);
            assert_eq!(entries[0].2, tar::EntryType::Directory);
            assert_eq!(entries[1].7, b"bytes");
            assert_eq!((entries[2].3, entries[2].4, entries[2].5.as_str()), (0o4755, 5, "tool"));
            assert_eq!(entries[3].1.as_deref(), Some(long_target.as_str()));
            assert_eq!(entries[3].2, tar::EntryType::Symlink);
            assert_eq!(entries[1].4, 1_700_000_000);
            if flavor == Flavor::Pax {
                assert_eq!(entries[4].6, vec![("APK-TOOLS.checksum.SHA1".to_owned(), "ab".repeat(20))]);
            }
        }
    }

    #[test]
    fn a_cut_stream_has_no_end_blocks_and_the_same_entries() {
        let mut t = Tar::new(Flavor::Pax);
        t.file(".PKGINFO", b"pkgname = tool\n", &Meta { mode: 0o600, ..ROOT }, &[]);
        let cut = t.cut();
        assert_eq!(cut.len(), 1024, "one header and one data block, no end-of-archive blocks");
        assert_eq!(read(&cut)[0].7, b"pkgname = tool\n");
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        let body = pax_records(&[("a".into(), "b".into()), ("path".into(), "x".repeat(95))]);
        let text = String::from_utf8(body).unwrap();
        for line in text.split_inclusive('\n') {
            let (len, _) = line.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), line.len(), "{line:?}");
        }
    }
}
