//! Reproducible release archives: `.tar.gz` or `.zip`, one per target and
//! archive set, holding the set's binaries and the app's README/LICENSE, in one
//! top-level folder unless told otherwise.
//!
//! Entries are sorted, owned by 0:0, with modes 0755 (binary) / 0644 (the rest)
//! and the stamp's mtime, so the same input always gives the same bytes.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::manifest::{Artifact, Kind};
use super::{artifact, Packer};
use crate::plan::{ArchivePlan, Package, Plan, TargetBuild};
use crate::settings::Format;
use crate::stamp::civil;

/// One archive per target and archive set, holding the set's binaries and extra files.
pub struct Archive;

impl Packer for Archive {
    fn files(&self, _: &Plan, build: &TargetBuild) -> Vec<String> {
        archives(build).flat_map(|a| a.package.files()).collect()
    }

    fn recipe(&self, _: &Plan, build: &TargetBuild) -> serde_json::Value {
        serde_json::json!({ "kind": "archive", "archives": archives(build).collect::<Vec<_>>() })
    }

    fn make(
        &self,
        dir: &Path,
        plan: &Plan,
        build: &TargetBuild,
        binaries: &[(&str, &[u8])],
        extras: &[Entry],
    ) -> anyhow::Result<Vec<Artifact>> {
        let mut out = Vec::new();
        for a in archives(build) {
            let Package::Archive { file, format, folder, files } = &a.package else { continue };
            let mut entries: Vec<Entry> = a
                .binaries
                .iter()
                .map(|&i| {
                    let (name, bytes) = binaries[i];
                    Entry { name: build.target.exe_name(name), bytes: bytes.to_vec(), executable: true }
                })
                .collect();
            entries.extend(extras.iter().filter(|e| files.contains(&e.name)).map(|e| Entry {
                name: e.name.clone(),
                bytes: e.bytes.clone(),
                executable: false,
            }));
            let path = dir.join(file);
            match format {
                Format::Zip => write_zip(&path, folder.as_deref(), entries, plan.stamp.epoch)?,
                _ => write_tar_gz(&path, folder.as_deref(), entries, plan.stamp.epoch)?,
            }
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            out.push(Artifact { id: a.id.clone(), ..artifact(build, Kind::Archive, file.clone(), &bytes, None) });
        }
        Ok(out)
    }
}

/// The archive sets that make an archive for this target (the others publish bare binaries).
fn archives(build: &TargetBuild) -> impl Iterator<Item = &ArchivePlan> {
    build.archives.iter().filter(|a| matches!(a.package, Package::Archive { .. }))
}

/// One file to put in an archive.
pub struct Entry {
    /// Name inside the top-level folder.
    pub name: String,
    pub bytes: Vec<u8>,
    pub executable: bool,
}

pub fn mode(executable: bool) -> u32 {
    if executable {
        0o755
    } else {
        0o644
    }
}

pub fn write_tar_gz(path: &Path, folder: Option<&str>, mut entries: Vec<Entry>, mtime: i64) -> anyhow::Result<()> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    // Errors past `create` (a full disk, say) name the file too.
    let cannot_write = || format!("cannot write {}", path.display());
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    // No file name and mtime 0 in the gzip header.
    let gz = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    if let Some(folder) = folder {
        let mut dir = tar::Header::new_ustar();
        dir.set_entry_type(tar::EntryType::Directory);
        set_common(&mut dir, 0o755, mtime, 0);
        tar.append_data(&mut dir, format!("{folder}/"), std::io::empty()).with_context(cannot_write)?;
    }
    for e in &entries {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        set_common(&mut header, mode(e.executable), mtime, e.bytes.len() as u64);
        tar.append_data(&mut header, in_folder(folder, &e.name), e.bytes.as_slice()).with_context(cannot_write)?;
    }
    let gz = tar.into_inner().with_context(cannot_write)?;
    let file = gz.finish().with_context(cannot_write)?;
    file.sync_all().with_context(cannot_write)?;
    Ok(())
}

fn in_folder(folder: Option<&str>, name: &str) -> String {
    match folder {
        Some(f) => format!("{f}/{name}"),
        None => name.to_owned(),
    }
}

fn set_common(h: &mut tar::Header, mode: u32, mtime: i64, size: u64) {
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime.max(0) as u64);
    h.set_size(size);
    let _ = h.set_username("");
    let _ = h.set_groupname("");
}

pub fn write_zip(path: &Path, folder: Option<&str>, mut entries: Vec<Entry>, mtime: i64) -> anyhow::Result<()> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    // Errors past `create` (a full disk, say) name the file too.
    let cannot_write = || format!("cannot write {}", path.display());
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let (y, mo, d, h, mi, s) = civil(mtime);
    // DOS time starts in 1980 and has 2-second steps.
    let time =
        zip::DateTime::from_date_and_time(y.clamp(1980, 2107) as u16, mo as u8, d as u8, h as u8, mi as u8, s as u8)
            .unwrap_or_default();
    let options = |unix_mode: u32| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(time)
            .unix_permissions(unix_mode)
    };
    if let Some(folder) = folder {
        zip.add_directory(format!("{folder}/"), options(0o755)).with_context(cannot_write)?;
    }
    for e in &entries {
        zip.start_file(in_folder(folder, &e.name), options(mode(e.executable))).with_context(cannot_write)?;
        zip.write_all(&e.bytes).with_context(cannot_write)?;
    }
    let file = zip.finish().with_context(cannot_write)?;
    file.sync_all().with_context(cannot_write)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that fails midway (here: a full disk) names the archive.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_names_the_file() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            eprintln!("skipped: no /dev/full");
            return;
        }
        let entries = || {
            // Larger than any buffer on the way, so the failure comes from a write, not only finish.
            let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
            vec![Entry { name: "hello".into(), bytes, executable: true }]
        };
        for (format, result) in [
            ("tar.gz", write_tar_gz(full, Some("hello_1.0.0_linux_amd64"), entries(), 0)),
            ("zip", write_zip(full, Some("hello_1.0.0_windows_amd64"), entries(), 0)),
        ] {
            let err = format!("{:#}", result.expect_err(format));
            assert!(err.contains("/dev/full"), "{format}: {err}");
            assert!(err.contains("cannot write"), "{format}: {err}");
        }
    }
}
