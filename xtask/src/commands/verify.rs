//! `cargo xtask verify [DIR]`: a release checked as a downloader would check it, each problem named
//! with its file; `--rebuild` builds the recorded commit again and compares the bytes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;
use xshell::{cmd, Shell};

use crate::flags::{EngineChoice, Verify};
use crate::project;
use crate::release::manifest::{Kind, Manifest, FILE_NAME};
use crate::release::supply;
use crate::ui;

impl Verify {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let dir = self.dir.clone().unwrap_or_else(|| project::root().join("dist"));
        let key = match &self.key {
            Some(k) => {
                let text = if Path::new(k).is_file() {
                    fs::read_to_string(k).with_context(|| format!("cannot read the public key {k}"))?
                } else {
                    k.clone()
                };
                Some(supply::public_key(&text).with_context(|| format!("--key {k}"))?)
            }
            None => None,
        };
        let report = check(&dir, key.as_ref())?;
        for line in &report.ok {
            ui::say(format!("  ok    {line}"));
        }
        for line in &report.notes {
            ui::say(format!("  note  {line}"));
        }
        for line in &report.failed {
            ui::say(format!("  FAIL  {line}"));
        }
        if !report.failed.is_empty() {
            bail!("{} does not verify: {} problem(s), each named above", dir.display(), report.failed.len());
        }
        if self.rebuild {
            let manifest = report.manifest.as_ref().expect("a verified release has a manifest");
            rebuild(sh, &dir, manifest, self.engine)?;
        }
        ui::say(format!("{} verifies", dir.display()));
        Ok(())
    }
}

#[derive(Default)]
pub struct Report {
    pub ok: Vec<String>,
    pub notes: Vec<String>,
    pub failed: Vec<String>,
    pub manifest: Option<Manifest>,
}

/// Every check of a release folder that needs no build.
pub fn check(dir: &Path, key: Option<&minisign::PublicKey>) -> anyhow::Result<Report> {
    let mut r = Report::default();
    // The manifest names the checksum file; it is itself checked as one of the checksum file's entries.
    let unverified = Manifest::read(dir);
    let checksums = unverified.as_ref().map_or("SHA256SUMS".to_owned(), |m| m.checksums.clone());
    // First what a downloader checks first: the signatures of the checksum file and of the provenance
    // (named by the manifest, which the checksum file then vouches for).
    let mut signed: Vec<String> = vec![checksums.clone()];
    signed.extend(unverified.as_ref().and_then(|m| m.supply.provenance.clone()));
    for file in &signed {
        let sig_name = crate::plan::supply::signature_name(file);
        let sig = fs::read_to_string(dir.join(&sig_name)).ok();
        match (key, sig) {
            (Some(_), None) => r.failed.push(format!("{sig_name}: missing, but a key was given: {file} is unsigned")),
            (None, Some(_)) => r.notes.push(format!("{sig_name}: not checked: give the public key with --key")),
            (None, None) => {
                if file == &checksums {
                    r.notes.push(format!("{file} is not signed"));
                }
            }
            (Some(pk), Some(sig)) => {
                let bytes = fs::read(dir.join(file)).unwrap_or_default();
                match supply::verify(pk, &bytes, &sig) {
                    Ok(comment) if comment.split('\t').any(|f| f == format!("file:{file}")) => {
                        r.ok.push(format!("{sig_name}: signed by key {}", supply::key_id(pk)))
                    }
                    Ok(comment) => r.failed.push(format!("{sig_name}: signs another file ({comment})")),
                    Err(e) => r
                        .failed
                        .push(format!("{sig_name}: does not verify {file} with key {}: {e}", supply::key_id(pk))),
                }
            }
        }
    }

    let sums_text = fs::read_to_string(dir.join(&checksums))
        .with_context(|| format!("{} has no checksum file {checksums}", dir.display()))?;
    let sums = supply::parse_sums(&sums_text).with_context(|| format!("{checksums} is not a checksum file"))?;
    let mut digests = BTreeMap::new();
    for (name, want) in &sums {
        let inside = Path::new(name).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        match fs::read(dir.join(name)) {
            _ if !inside => {
                r.failed.push(format!("{checksums} lists {name:?}, which is not a file inside the release"))
            }
            Ok(bytes) if &crate::digest::sha256_hex(&bytes) == want => {
                digests.insert(name.clone(), want.clone());
            }
            Ok(_) => {
                r.failed.push(format!("{name}: its SHA-256 is not the one {checksums} gives (changed or damaged)"))
            }
            Err(e) => r.failed.push(format!("{name}: listed in {checksums} but cannot be read ({e})")),
        }
    }
    r.ok.push(format!("{checksums}: {} of {} files match", digests.len(), sums.len()));
    let Some(manifest) = unverified.filter(|_| digests.contains_key(FILE_NAME)) else {
        r.failed.push(format!("{FILE_NAME}: missing, or not matching {checksums}: nothing more can be checked"));
        return Ok(r);
    };

    // Provenance: its subjects are exactly the checksum file's entries.
    if let Some(name) = &manifest.supply.provenance {
        match fs::read(dir.join(name))
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(serde_json::from_slice::<Value>(&b)?))
        {
            Err(e) => r.failed.push(format!("{name}: cannot be read as JSON ({e})")),
            Ok(statement) => {
                let subjects: Option<Vec<(String, String)>> = statement["subject"].as_array().map(|s| {
                    s.iter()
                        .map(|s| {
                            let name = s["name"].as_str().unwrap_or_default().to_owned();
                            (name, s["digest"]["sha256"].as_str().unwrap_or_default().to_owned())
                        })
                        .collect()
                });
                let mut want = sums.clone();
                want.sort();
                let typed = statement["_type"] == "https://in-toto.io/Statement/v1"
                    && statement["predicateType"] == "https://slsa.dev/provenance/v1";
                match subjects.map(|mut s| {
                    s.sort();
                    s
                }) {
                    _ if !typed => r.failed.push(format!("{name}: not an in-toto statement of SLSA provenance v1")),
                    Some(s) if s == want => {
                        r.ok.push(format!("{name}: its {} subjects are {checksums}'s entries", s.len()))
                    }
                    _ => r.failed.push(format!("{name}: its subjects are not {checksums}'s entries")),
                }
            }
        }
    }

    // The manifest's record of each published file agrees with the checksum file.
    for a in manifest.artifacts.iter().filter(|a| a.kind.published()) {
        if sums.iter().all(|(n, h)| n != &a.path || h != &a.sha256) {
            r.failed.push(format!("{}: {FILE_NAME} records it, but not with the SHA-256 {checksums} gives", a.path));
        }
    }

    // SBOMs: each published file holding binaries has one per format, describing its bytes.
    for a in
        manifest.artifacts.iter().filter(|a| matches!(a.kind, Kind::Archive | Kind::Bare | Kind::Package | Kind::Image))
    {
        for format in &manifest.supply.sbom {
            let name = format!("{}{}", a.path, format.suffix());
            match digests.get(&name).map(|_| fs::read_to_string(dir.join(&name))) {
                None => r.failed.push(format!("{name}: missing (the SBOM of {}), or not in {checksums}", a.path)),
                Some(Ok(text)) if text.contains(&a.sha256) => {}
                Some(_) => {
                    r.failed.push(format!("{name}: does not describe {} as it is (its SHA-256 is not in it)", a.path))
                }
            }
        }
    }
    if !manifest.supply.sbom.is_empty() {
        r.ok.push("every archive, package and image has its SBOMs".into());
    }
    r.manifest = Some(manifest);
    Ok(r)
}

/// Builds `manifest.commit` again in a clone of this repository with that commit's own xtask and
/// settings, on `engine`, and compares every file of the checksum file (but the manifest, which
/// records the run) with the release's.
fn rebuild(sh: &Shell, dir: &Path, manifest: &Manifest, engine: EngineChoice) -> anyhow::Result<()> {
    if manifest.dirty {
        bail!("{} was built from uncommitted changes: only a release of a commit can be rebuilt", dir.display());
    }
    if manifest.partial || manifest.shard.is_some() {
        bail!("{} holds some targets only: rebuild a whole release", dir.display());
    }
    let root = project::root();
    let work = Scratch::new()?;
    let src = work.0.join("src");
    let out = work.0.join("dist");
    let commit = &manifest.commit;
    cmd!(sh, "git clone --quiet --shared --no-checkout {root} {src}")
        .quiet()
        .run()
        .context("cannot clone this repository for the rebuild")?;
    cmd!(sh, "git -C {src} checkout --quiet --detach {commit}")
        .quiet()
        .run()
        .with_context(|| format!("this repository has no commit {commit}: rebuild in the repository it came from"))?;
    // The same origin, which the release records (an image's source label, the SBOMs' namespace).
    if let Ok(origin) = cmd!(sh, "git -C {root} remote get-url origin").quiet().ignore_stderr().read() {
        cmd!(sh, "git -C {src} remote set-url origin {origin}").quiet().run()?;
    }
    let engine = match engine {
        EngineChoice::Auto => "auto",
        EngineChoice::Dagger => "dagger",
        EngineChoice::Host => "host",
    };
    ui::say(format!("rebuilding {} at {commit} with the {engine} engine…", manifest.name));
    // The commit's xtask, compiled into this workspace's target directory (its dependencies are there).
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let _dir = sh.push_dir(&src);
    let _t = sh.push_env("CARGO_TARGET_DIR", &target_dir);
    // No key goes into the rebuild: its signatures would not be compared (and differ: random nonces).
    let _u = sh.push_env(supply::UNSIGNED_ENV, "1");
    let _k = sh.push_env(crate::settings::KEY_ENV, "");
    cmd!(sh, "cargo xtask dist --engine {engine} --out {out}")
        .run()
        .with_context(|| format!("the rebuild of {commit} failed"))?;
    let sums_text = fs::read_to_string(dir.join(&manifest.checksums))?;
    let mut differ = Vec::new();
    let sums = supply::parse_sums(&sums_text)?;
    for (name, _) in sums.iter().filter(|(n, _)| n != FILE_NAME) {
        if fs::read(dir.join(name)).ok() != fs::read(out.join(name)).ok() {
            differ.push(name.clone());
        }
    }
    if !differ.is_empty() {
        bail!(
            "the rebuild of {commit} differs from {} in {} file(s): {} (both kept: the rebuild is in {})",
            dir.display(),
            differ.len(),
            differ.join(", "),
            work.keep().display()
        );
    }
    ui::say(format!("  ok    rebuilt {commit}: all {} files but {FILE_NAME} are byte-identical", sums.len() - 1));
    Ok(())
}

/// A directory this run made under the system's temp directory, removed when dropped unless kept.
struct Scratch(PathBuf, std::cell::Cell<bool>);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("xtask-verify-{}-{nanos}", std::process::id()));
        fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Scratch(path, std::cell::Cell::new(false)))
    }

    fn keep(&self) -> &Path {
        self.1.set(true);
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.1.get() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}
