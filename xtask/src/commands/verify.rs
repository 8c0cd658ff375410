//! `cargo xtask verify [DIR]`: a release checked as a downloader would check it, each problem named
//! with its file; `--rebuild` builds the recorded commit again and compares the bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;
use xshell::{cmd, Shell};

use crate::flags::{EngineChoice, Verify};
use crate::project;
use crate::release::manifest::{self, Kind, Manifest, FILE_NAME};
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
        let manifest = report.manifest.as_ref().expect("a release that verifies has a manifest");
        if self.rebuild {
            rebuild(sh, &dir, manifest, self.engine)?;
        }
        let what = format!("{} {} (commit {})", manifest.name, manifest.version, manifest.commit);
        match key {
            Some(_) => ui::say(format!("{} verifies: {what}, signed by the key given", dir.display())),
            None => ui::say(format!("{} verifies: {what} (signatures not checked: no --key)", dir.display())),
        }
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

/// The bytes of `dir/name` when it is a regular file inside the release (never a link, a device or a
/// pipe: a forged release must not make `verify` read elsewhere or wait forever).
fn read_inside(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    if !manifest::inside(name) {
        return Err("not a file name inside the release".into());
    }
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => fs::read(&path).map_err(|e| e.to_string()),
        Ok(_) => Err("not a regular file (a link, a directory or a device)".into()),
        Err(e) => Err(format!("missing ({e})")),
    }
}

/// Every check of a release folder that needs no build.
pub fn check(dir: &Path, key: Option<&minisign::PublicKey>) -> anyhow::Result<Report> {
    let mut r = Report::default();
    // The manifest names the checksum file and the provenance; it is itself vouched for by the
    // checksum file below, and its names are checked to stay inside the release first.
    let unverified = match read_inside(dir, FILE_NAME) {
        Ok(bytes) => serde_json::from_slice::<Manifest>(&bytes)
            .ok()
            .filter(|m| m.generator == crate::release::manifest::GENERATOR),
        Err(_) => None,
    };
    if let Some(stray) = unverified.as_ref().and_then(|m| m.stray_path()) {
        bail!("{FILE_NAME} names {stray:?}, which is not a file inside a release: this is no release of ours");
    }
    let checksums = unverified.as_ref().map_or("SHA256SUMS".to_owned(), |m| m.checksums.clone());
    if !manifest::inside(&checksums) || checksums.contains('/') {
        bail!("{FILE_NAME} names the checksum file {checksums:?}, which is not a file name");
    }

    // First what a downloader checks first: the signatures.
    let signed = unverified.as_ref().map_or_else(|| vec![checksums.clone()], Manifest::signed_files);
    for file in &signed {
        let sig_name = crate::plan::supply::signature_name(file);
        let sig = read_inside(dir, &sig_name).ok().map(|b| String::from_utf8_lossy(&b).into_owned());
        match (key, sig) {
            (Some(_), None) => r.failed.push(format!("{sig_name}: missing, but a key was given: {file} is unsigned")),
            (None, Some(_)) => r.notes.push(format!("{sig_name}: not checked: give the public key with --key")),
            (None, None) => {}
            (Some(pk), Some(sig)) => match read_inside(dir, file) {
                Err(e) => r.failed.push(format!("{file}: {e}, so {sig_name} signs nothing here")),
                Ok(bytes) => match supply::verify(pk, &bytes, &sig) {
                    // The comment is signed too: it must name this file of this release, so an older
                    // release's genuinely signed files cannot pass for this one.
                    Ok(comment) if unverified.as_ref().is_some_and(|m| comment == m.trusted_comment(file)) => {
                        r.ok.push(format!("{sig_name}: signed by key {} ({comment})", supply::key_id(pk)))
                    }
                    Ok(comment) => r.failed.push(format!(
                        "{sig_name}: signs another file or release ({comment:?}, not {:?})",
                        unverified.as_ref().map(|m| m.trusted_comment(file)).unwrap_or_default()
                    )),
                    Err(e) => r
                        .failed
                        .push(format!("{sig_name}: does not verify {file} with key {}: {e}", supply::key_id(pk))),
                },
            },
        }
    }

    let sums_text = read_inside(dir, &checksums)
        .map_err(|e| anyhow::format_err!("{}: the checksum file {checksums}: {e}", dir.display()))?;
    let sums = crate::release::checksums::parse(&String::from_utf8_lossy(&sums_text))
        .with_context(|| format!("{checksums} is not a checksum file (`<sha256>  <name>` lines)"))?;
    let mut digests = BTreeMap::new();
    for (name, want) in &sums {
        match read_inside(dir, name) {
            Ok(bytes) if &crate::digest::sha256_hex(&bytes) == want => {
                digests.insert(name.clone(), want.clone());
            }
            Ok(_) => {
                r.failed.push(format!("{name}: its SHA-256 is not the one {checksums} gives (changed or damaged)"))
            }
            Err(e) => r.failed.push(format!("{name}: listed in {checksums}, but {e}")),
        }
    }
    r.ok.push(format!("{checksums}: {} of {} files match", digests.len(), sums.len()));
    let Some(manifest) = unverified.filter(|_| digests.contains_key(FILE_NAME)) else {
        r.failed.push(format!("{FILE_NAME}: missing, or not matching {checksums}: nothing more can be checked"));
        return Ok(r);
    };
    if manifest.shard.is_some() {
        r.failed.push(format!(
            "{FILE_NAME}: a shard ({}), not a release: merge the shards, then verify",
            manifest.shard.as_deref().unwrap_or("")
        ));
        return Ok(r);
    }

    // What the manifest says is signed must be, even when no key is given to check it.
    for sig in &manifest.signatures {
        if read_inside(dir, sig).is_err() {
            r.failed.push(format!("{sig}: {FILE_NAME} lists this signature, but it is not here"));
        }
    }
    if manifest.supply.sign_required && manifest.signatures.is_empty() {
        r.failed.push(format!("{FILE_NAME}: `sign.required` is set, but the release has no signatures"));
    }

    // Nothing is in the folder that the release does not account for (a downloaded release holds
    // its published files; a built one also its binaries).
    let known: BTreeSet<String> =
        manifest.published.iter().cloned().chain(manifest.artifacts.iter().map(|a| a.path.clone())).collect();
    for path in crate::release::walk(dir)? {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if rel == crate::release::reuse::HELD || rel.starts_with(&format!("{}/", crate::release::reuse::HELD)) {
            continue; // A partial run's previous targets: not part of this release.
        }
        if !is_dir && !known.contains(&rel) {
            r.failed.push(format!("{rel}: not part of the release (neither in {checksums} nor in {FILE_NAME})"));
        }
    }

    // Provenance: its subjects are exactly the checksum file's entries.
    if let Some(name) = &manifest.supply.provenance {
        match read_inside(dir, name)
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| format!("not JSON: {e}")))
        {
            Err(e) => r.failed.push(format!("{name}: the provenance: {e}")),
            Ok(statement) => {
                let mut subjects: Vec<(String, String)> = statement["subject"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let name = s["name"].as_str().unwrap_or_default().to_owned();
                        (name, s["digest"]["sha256"].as_str().unwrap_or_default().to_owned())
                    })
                    .collect();
                subjects.sort();
                let mut want = sums.clone();
                want.sort();
                if statement["_type"] != "https://in-toto.io/Statement/v1"
                    || statement["predicateType"] != "https://slsa.dev/provenance/v1"
                {
                    r.failed.push(format!("{name}: not an in-toto statement of SLSA provenance v1"));
                } else if subjects != want {
                    let extra: Vec<&str> =
                        subjects.iter().filter(|s| !want.contains(s)).map(|s| s.0.as_str()).collect();
                    let lacking: Vec<&str> =
                        want.iter().filter(|s| !subjects.contains(s)).map(|s| s.0.as_str()).collect();
                    r.failed.push(format!(
                        "{name}: its subjects are not {checksums}'s entries (only in the provenance, or with another \
                         SHA-256: {extra:?}; only in {checksums}: {lacking:?})"
                    ));
                } else {
                    r.ok.push(format!("{name}: its {} subjects are {checksums}'s entries", subjects.len()));
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
    let holding = |k: Kind| matches!(k, Kind::Archive | Kind::Bare | Kind::Package | Kind::Image);
    for a in manifest.artifacts.iter().filter(|a| holding(a.kind)) {
        for format in &manifest.supply.sbom {
            let name = format!("{}{}", a.path, format.suffix());
            match digests.get(&name).map(|_| read_inside(dir, &name)) {
                None => r.failed.push(format!("{name}: missing (the SBOM of {}), or not in {checksums}", a.path)),
                Some(Ok(text)) if String::from_utf8_lossy(&text).contains(&a.sha256) => {}
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
/// settings, on the recorded engine (or `engine`), and compares every file of the checksum file but
/// the manifest (which records the run) with the release's.
fn rebuild(sh: &Shell, dir: &Path, manifest: &Manifest, engine: EngineChoice) -> anyhow::Result<()> {
    if manifest.dirty {
        bail!("{} was built from uncommitted changes: only a release of a commit can be rebuilt", dir.display());
    }
    if manifest.partial {
        bail!("{} holds some targets only: rebuild a whole release", dir.display());
    }
    let commit = &manifest.commit;
    // A full object name, never an option or a ref the manifest could steer elsewhere.
    if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{FILE_NAME} records the commit {commit:?}, not a full commit id: nothing to rebuild");
    }
    let engine = match (engine, manifest.engine.as_str()) {
        (EngineChoice::Dagger, _) => "dagger",
        (EngineChoice::Host, _) => "host",
        (EngineChoice::Auto, recorded @ ("dagger" | "host")) => recorded,
        (EngineChoice::Auto, _) => "auto",
    };
    let root = project::root();
    let work = Scratch::new()?;
    let src = work.0.join("src");
    let out = work.0.join("dist");
    cmd!(sh, "git clone --quiet --shared --no-checkout {root} {src}")
        .quiet()
        .run()
        .with_context(|| format!("cannot clone {} for the rebuild", root.display()))?;
    cmd!(sh, "git -C {src} checkout --quiet --detach {commit}")
        .quiet()
        .run()
        .with_context(|| format!("this repository has no commit {commit}: rebuild in the repository it came from"))?;
    // The origin the release recorded (an image's source label, the SBOMs' namespace are made from it).
    cmd!(sh, "git -C {src} remote remove origin").quiet().ignore_status().run()?;
    if !manifest.source.is_empty() {
        let source = &manifest.source;
        cmd!(sh, "git -C {src} remote add origin {source}")
            .quiet()
            .run()
            .with_context(|| format!("cannot name {source} the clone's origin"))?;
    }
    ui::say(format!("rebuilding {} {} at {commit} with the {engine} engine…", manifest.name, manifest.version));
    // The commit's own xtask, in a target directory of its own (the running xtask is not replaced);
    // its dependencies compile once there.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let _dir = sh.push_dir(&src);
    let _t = sh.push_env("CARGO_TARGET_DIR", target_dir.join("rebuild"));
    // No key goes into the rebuild: its signatures would not be compared (and differ: random nonces).
    let _u = sh.push_env(supply::UNSIGNED_ENV, "1");
    let _k = sh.push_env(crate::settings::KEY_ENV, "");
    cmd!(sh, "cargo xtask dist --engine {engine} --out {out}")
        .run()
        .with_context(|| format!("the rebuild of {commit} failed (its output is above)"))?;
    let sums_text = fs::read_to_string(dir.join(&manifest.checksums))
        .with_context(|| format!("cannot read {}", manifest.checksums))?;
    let sums = crate::release::checksums::parse(&sums_text)?;
    let differ: Vec<&str> = sums
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| *name != FILE_NAME && fs::read(dir.join(name)).ok() != fs::read(out.join(name)).ok())
        .collect();
    if !differ.is_empty() {
        let rebuilt = Manifest::read(&out);
        let was = |m: &Manifest| {
            format!("{} engine, {}, toolchain {:?}", m.engine, m.go_version, m.toolchain.as_ref().map(|t| &t.uri))
        };
        bail!(
            "the rebuild of {commit} differs from {} in {} file(s): {} (the release: {}; the rebuild: {}; both kept: \
             the rebuild is in {})",
            dir.display(),
            differ.len(),
            differ.join(", "),
            was(manifest),
            rebuilt.as_ref().map_or("no manifest".to_owned(), was),
            work.keep().display()
        );
    }
    ui::say(format!("  ok    rebuilt {commit}: all {} files but {FILE_NAME} are byte-identical", sums.len() - 1));
    Ok(())
}

/// A directory this run made ([`project::new_temp_dir`]), removed when dropped unless kept.
struct Scratch(PathBuf, std::cell::Cell<bool>);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        Ok(Scratch(project::new_temp_dir("xtask-verify")?, std::cell::Cell::new(false)))
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
