//! Turns the binaries an engine wrote into a release directory: verified
//! headers, archives, `SHA256SUMS` and `manifest.json`, with fixed modes and
//! mtimes. The same for both engines, so their outputs can match byte for byte.

pub mod archive;
pub mod checksums;
pub mod manifest;
pub mod smoke;
pub mod verify;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};

use crate::engine::{Built, Engine};
use crate::plan::{Plan, TargetBuild};
use archive::Entry;
use manifest::{Artifact, Kind, Manifest};

/// Everything `finish` needs besides the directory.
pub struct Release<'a> {
    pub plan: &'a Plan,
    pub built: &'a Built,
    pub engine: Engine,
    pub settings: serde_json::Value,
}

/// Completes `dir`, which holds exactly the plan's binaries, into a release.
pub fn finish(dir: &Path, release: &Release) -> anyhow::Result<Manifest> {
    let plan = release.plan;
    check_only_planned_files(dir, plan)?;
    let extras = extra_files(&plan.app_dir)?;
    let mut artifacts = Vec::new();
    for build in &plan.builds {
        let bytes = fs::read(dir.join(&build.output))
            .with_context(|| format!("the build for {} produced no {}", build.target, build.output))?;
        if !verify::check(&build.target, &bytes)? {
            eprintln!(
                "warning: cannot check the header of {} binaries; {} is unverified",
                build.target.os, build.output
            );
        }
        artifacts.push(artifact(build, Kind::Binary, build.output.clone(), &bytes));

        let (name, archive) = write_archive(dir, plan, build, &bytes, &extras)?;
        artifacts.push(artifact(build, Kind::Archive, name, &archive));
    }

    let sums: Vec<(String, String)> = artifacts.iter().map(|a| (a.path.clone(), a.sha256.clone())).collect();
    fs::write(dir.join(checksums::FILE_NAME), checksums::sums_file(&sums))?;
    let manifest = Manifest {
        generator: manifest::GENERATOR.into(),
        schema: 1,
        name: plan.binary.clone(),
        version: plan.stamp.version.clone(),
        commit: plan.stamp.commit.clone(),
        date: plan.stamp.date.clone(),
        source_date_epoch: plan.stamp.epoch,
        go_version: release.built.go_version.clone(),
        engine: release.engine.to_string(),
        image: (release.engine == Engine::Dagger).then(|| plan.image.clone()),
        settings: release.settings.clone(),
        artifacts,
    };
    manifest.write(dir)?;
    normalize(dir, plan)?;
    Ok(manifest)
}

/// An engine must write what the plan asked and nothing else.
fn check_only_planned_files(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let planned: Vec<PathBuf> = plan.builds.iter().map(|b| dir.join(&b.output)).collect();
    let stray: Vec<String> = walk(dir)?
        .into_iter()
        .filter(|p| p.is_file() && !planned.contains(p))
        .map(|p| p.display().to_string())
        .collect();
    if !stray.is_empty() {
        bail!("the engine wrote files the plan did not ask for: {}", stray.join(", "));
    }
    Ok(())
}

/// README, LICENSE and CHANGELOG files at the top of the app, shipped in every archive.
fn extra_files(app_dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut extras = Vec::new();
    for entry in fs::read_dir(app_dir).with_context(|| format!("cannot list {}", app_dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let upper = name.to_uppercase();
        let wanted = ["README", "LICENSE", "LICENCE", "CHANGELOG"].iter().any(|p| upper.starts_with(p));
        if wanted && path.is_file() {
            extras.push(Entry { name, bytes: fs::read(&path)?, executable: false });
        }
    }
    Ok(extras)
}

/// `<bin>_<version>_<os>_<arch>.tar.gz` (`.zip` on windows); returns its name and bytes.
fn write_archive(
    dir: &Path,
    plan: &Plan,
    build: &TargetBuild,
    binary: &[u8],
    extras: &[Entry],
) -> anyhow::Result<(String, Vec<u8>)> {
    let t = &build.target;
    let folder = format!("{}_{}_{}_{}", plan.binary, plan.stamp.version.replace('/', "-"), t.os, t.arch_label());
    let mut entries = vec![Entry { name: t.exe_name(&plan.binary), bytes: binary.to_vec(), executable: true }];
    entries.extend(extras.iter().map(|e| Entry { name: e.name.clone(), bytes: e.bytes.clone(), executable: false }));
    let name = if t.os == "windows" { format!("{folder}.zip") } else { format!("{folder}.tar.gz") };
    let path = dir.join(&name);
    if t.os == "windows" {
        archive::write_zip(&path, &folder, entries, plan.stamp.epoch)?;
    } else {
        archive::write_tar_gz(&path, &folder, entries, plan.stamp.epoch)?;
    }
    let bytes = fs::read(&path)?;
    Ok((name, bytes))
}

fn artifact(build: &TargetBuild, kind: Kind, path: String, bytes: &[u8]) -> Artifact {
    Artifact {
        target: build.target.to_string(),
        kind,
        path,
        size: bytes.len() as u64,
        sha256: checksums::sha256_hex(bytes),
    }
}

/// Binaries 0755, other files 0644, directories 0755 (Dagger exports new
/// directories as 0700), every mtime the stamp's epoch.
fn normalize(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let binaries: Vec<PathBuf> = plan.builds.iter().map(|b| dir.join(&b.output)).collect();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(plan.stamp.epoch.max(0) as u64);
    let mut paths = walk(dir)?;
    // Children before parents, so setting a file's time does not move its directory's.
    paths.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    paths.push(dir.to_path_buf());
    for path in paths {
        let executable = path.is_dir() || binaries.contains(&path);
        set_mode(&path, if executable { 0o755 } else { 0o644 })?;
        if path.is_dir() && cfg!(not(unix)) {
            continue; // Windows cannot open a directory as a file to set its time.
        }
        fs::File::open(&path)
            .and_then(|f| f.set_modified(mtime))
            .with_context(|| format!("cannot set the mtime of {}", path.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot chmod {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> anyhow::Result<()> {
    Ok(())
}

/// Every file and directory below `dir` (not `dir` itself).
pub fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
