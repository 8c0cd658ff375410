//! Turns the binaries an engine wrote into a release directory: verified
//! headers (`binary`), what each kind of file makes from them ([`Packer`]:
//! `archive`, `bare`), carried over when unchanged (`reuse`), the checksum
//! file and `manifest.json`, with fixed modes and mtimes. The same for both
//! engines, so their outputs can match byte for byte.

pub mod archive;
pub mod bare;
pub mod binary;
pub mod buildinfo;
pub mod checksums;
pub mod image;
pub mod manifest;
pub mod package;
pub mod reuse;
pub mod sbom;
pub mod smoke;
pub mod supply;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};

use crate::engine::{Built, Engine};
use crate::plan::images::ImagePlan;
use crate::plan::{Plan, TargetBuild};
use archive::Entry;
use manifest::{Artifact, Kind, Manifest};

/// Everything `finish` needs besides the directory.
pub struct Release<'a> {
    pub plan: &'a Plan,
    pub built: &'a Built,
    pub engine: Engine,
    pub settings: serde_json::Value,
    /// Per target (as `plan.builds`): its artifacts, carried over or packed.
    pub artifacts: Vec<Vec<Artifact>>,
    /// The image archives (see [`images`]).
    pub images: Vec<Artifact>,
    /// Built for some targets only (`--target`, `--host`).
    pub partial: bool,
    /// The previous release's other targets, linked into `.held/` by a partial run.
    pub held: Vec<Artifact>,
    /// Signs the checksum file and the provenance (`XTASK_MINISIGN_KEY`).
    pub signer: Option<&'a supply::Signer>,
    /// The release this one replaces, whose signatures of unchanged files serve again.
    pub previous: Option<&'a Path>,
    /// The same release read for carry-over: its SBOMs of unchanged files serve again.
    pub carried: Option<&'a reuse::Previous>,
    /// The Go that built, by content (`Toolchain::content`), for the provenance.
    pub toolchain: Option<crate::plan::ResolvedDep>,
}

/// The files shipped beside the binaries, read once.
pub fn read_extras(plan: &Plan) -> anyhow::Result<Vec<Entry>> {
    plan.extra_files
        .iter()
        .map(|(path, name)| {
            let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(Entry { name: name.clone(), bytes, executable: false })
        })
        .collect()
}

/// Verifying and packing targets while others still build.
pub struct Packing<'a> {
    pub dir: &'a Path,
    pub plan: &'a Plan,
    /// Per target (as `plan.builds`): the key of its binaries, if any key covers them.
    pub keys: &'a [Option<String>],
    /// Per target: its binaries, if carried over from the previous release (already in `dir`).
    pub reused: &'a [Option<Vec<Artifact>>],
    pub previous: Option<&'a reuse::Previous>,
    pub extras: &'a [Entry],
}

impl Packing<'_> {
    /// Runs `build`, packing each target of `todo` as soon as `build` reports it
    /// done (through the function it is given) — on one thread while building,
    /// so the compiler keeps the cores, then on every core. Targets never
    /// reported (an engine that delivers all at the end) are packed after it.
    /// Targets carried over (not in `todo`) are packed first.
    pub fn during<T>(
        &self,
        todo: &[usize],
        build: impl FnOnce(&(dyn Fn(usize) + Sync)) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, BTreeMap<usize, Vec<Artifact>>)> {
        let queue = Mutex::new(VecDeque::<usize>::new());
        let ready = Condvar::new();
        let building = AtomicBool::new(true);
        let sent = Mutex::new(BTreeSet::<usize>::new());
        let results = Mutex::new(BTreeMap::<usize, anyhow::Result<Vec<Artifact>>>::new());
        let worker = || loop {
            let next = {
                let mut q = queue.lock().unwrap();
                loop {
                    if let Some(i) = q.pop_front() {
                        break Some(i);
                    }
                    if !building.load(Ordering::SeqCst) {
                        break None;
                    }
                    q = ready.wait_timeout(q, Duration::from_millis(100)).unwrap().0;
                }
            };
            let Some(i) = next else { return };
            let packed = self.pack(i);
            results.lock().unwrap().insert(i, packed);
        };
        let outcome = std::thread::scope(|scope| {
            scope.spawn(worker);
            let done = |i: usize| {
                if sent.lock().unwrap().insert(i) {
                    queue.lock().unwrap().push_back(i);
                    ready.notify_one();
                }
            };
            for i in (0..self.plan.builds.len()).filter(|i| !todo.contains(i)) {
                done(i);
            }
            let outcome = build(&done);
            if outcome.is_ok() {
                for &i in todo {
                    done(i);
                }
                let more = std::thread::available_parallelism().map_or(2, |n| n.get()).saturating_sub(1);
                for _ in 0..more {
                    scope.spawn(worker);
                }
            } else {
                queue.lock().unwrap().clear();
            }
            building.store(false, Ordering::SeqCst);
            ready.notify_all();
            outcome
        });
        let value = outcome?;
        let mut packed = BTreeMap::new();
        for (i, result) in results.into_inner().unwrap() {
            packed.insert(i, result?);
        }
        Ok((value, packed))
    }

    /// Verifies one built target (or takes its carried-over binaries) and
    /// packs it, or links its unchanged package from the previous release.
    fn pack(&self, i: usize) -> anyhow::Result<Vec<Artifact>> {
        let (dir, plan, extras) = (self.dir, self.plan, self.extras);
        let build = &plan.builds[i];
        let mut fresh = Vec::new();
        let binaries: Vec<Artifact> = match &self.reused[i] {
            Some(reused) => reused.clone(),
            None => {
                let mut binaries = Vec::new();
                for (name, output) in build.names.iter().zip(&build.outputs) {
                    let bytes = fs::read(dir.join(output))
                        .with_context(|| format!("the build for {} produced no {output}", build.target))?;
                    if !binary::check(&build.target, &bytes)? {
                        crate::ui::warn(format!(
                            "cannot check the header of {} binaries; {output} is unverified",
                            build.target.os
                        ));
                    }
                    let mut a = artifact(build, Kind::Binary, output.clone(), &bytes, Some(name));
                    a.inputs = self.keys[i].clone();
                    binaries.push(a);
                    fresh.push(bytes);
                }
                binaries
            }
        };
        // Each kind of file is made from the binaries' bytes, the extra files and
        // its recipe: when none changed, the previous one serves.
        // Each binary by the name it is packed under and its bytes.
        let shas: Vec<(&str, &str)> =
            build.names.iter().zip(&binaries).map(|(name, a)| (name.as_str(), a.sha256.as_str())).collect();
        let sums: Vec<(&str, String)> =
            extras.iter().map(|e| (e.name.as_str(), crate::digest::sha256_hex(&e.bytes))).collect();
        let mut artifacts = binaries.clone();
        for packer in PACKERS {
            let files = packer.files(plan, build);
            if files.is_empty() {
                continue;
            }
            let key = package_key(&packer.recipe(plan, build), plan.stamp.epoch, &shas, &sums);
            if let Some(previous) = self.previous.and_then(|p| p.take_package(&files, &key, dir)) {
                artifacts.extend(previous);
                continue;
            }
            if fresh.is_empty() {
                // Carried-over binaries, packed anew (by another xtask, say).
                for a in &binaries {
                    fresh.push(fs::read(dir.join(&a.path)).with_context(|| format!("cannot read {}", a.path))?);
                }
            }
            let named: Vec<(&str, &[u8])> =
                build.names.iter().map(String::as_str).zip(fresh.iter().map(Vec::as_slice)).collect();
            for file in &files {
                let path = dir.join(file);
                reuse::remove_if_present(&path).with_context(|| format!("cannot replace {}", path.display()))?;
            }
            let mut made = packer.make(dir, plan, build, &named, extras)?;
            for a in &mut made {
                a.inputs = Some(key.clone());
            }
            artifacts.extend(made);
        }
        Ok(artifacts)
    }
}

/// One kind of file a release makes for each target from its binaries:
/// archives, the binaries published bare, Linux packages. A new kind (packages, images…) is
/// a module here implementing this, listed in [`PACKERS`]: its files are then
/// keyed, carried over, checked against the plan and checksummed like these.
pub trait Packer: Sync {
    /// Its files for a target, relative to the release; none where it does not apply.
    fn files(&self, plan: &Plan, build: &TargetBuild) -> Vec<String>;
    /// What its files are made of besides the binaries' bytes, the extra files
    /// and the epoch (names, format, layout): part of their key.
    fn recipe(&self, plan: &Plan, build: &TargetBuild) -> serde_json::Value;
    /// Writes its files into `dir` from the binaries (name, bytes); returns their artifacts.
    fn make(
        &self,
        dir: &Path,
        plan: &Plan,
        build: &TargetBuild,
        binaries: &[(&str, &[u8])],
        extras: &[Entry],
    ) -> anyhow::Result<Vec<Artifact>>;
}

/// Every kind of file a target's release holds besides its binaries.
pub const PACKERS: [&dyn Packer; 3] = [&archive::Archive, &bare::Bare, &package::Packages];

/// This xtask's own build (a digest of its source and Cargo.lock, made by
/// build.rs): packing code that changes, or a new deflate, repacks every
/// archive instead of carrying over what the old code made.
pub const XTASK_BUILD: &str = env!("XTASK_BUILD_ID");

/// The key of a packer's files for one target: its recipe, the epoch of their
/// mtimes, the binaries (the name each is packed under, and its SHA-256), the
/// files shipped beside them, and the xtask that packs them.
pub fn package_key(
    recipe: &serde_json::Value,
    epoch: i64,
    binaries: &[(&str, &str)],
    extras: &[(&str, String)],
) -> String {
    let key = serde_json::json!({
        "keys": crate::plan::KEY_FORMAT,
        "xtask": XTASK_BUILD,
        "recipe": recipe,
        "epoch": epoch,
        "binaries": binaries,
        "extras": extras,
    });
    crate::digest::sha256_hex(key.to_string().as_bytes())
}

/// Writes each image archive of the plan from its platforms' verified binaries
/// (`artifacts`, per target as `plan.builds`), or links the previous one when
/// its key is unchanged. A shard makes none: `dist merge` does.
pub fn images(
    dir: &Path,
    plan: &Plan,
    artifacts: &[Vec<Artifact>],
    previous: Option<&reuse::Previous>,
    dockerfile: DockerfileBuild,
) -> anyhow::Result<Vec<Artifact>> {
    if plan.shard.is_some() {
        return Ok(vec![]);
    }
    let all: Vec<&Artifact> = artifacts.iter().flatten().collect();
    plan.images.iter().map(|image| make_image(dir, image, plan.stamp.epoch, &all, previous, dockerfile)).collect()
}

/// Builds a Dockerfile image (`[[images]].dockerfile`) from its platforms' binaries (paths on the
/// host, in `image.platforms` order), writing its archive to the release: the Dagger engine's part.
pub type DockerfileBuild<'a> = &'a mut dyn FnMut(&ImagePlan, &[PathBuf]) -> anyhow::Result<()>;

/// One image archive from the binaries among `artifacts`, or the previous one when its key (the
/// binaries' bytes, the image's plan, the bundled data, the epoch, this xtask) is unchanged.
pub fn make_image(
    dir: &Path,
    image: &ImagePlan,
    epoch: i64,
    artifacts: &[&Artifact],
    previous: Option<&reuse::Previous>,
    dockerfile: DockerfileBuild,
) -> anyhow::Result<Artifact> {
    let mut binaries = Vec::new();
    for (target, path) in image.platforms.iter().zip(&image.paths) {
        let name = path.rsplit('/').next().unwrap_or(path);
        let a = artifacts
            .iter()
            .find(|a| a.kind == Kind::Binary && a.target == target.to_string() && a.binary.as_deref() == Some(name))
            .with_context(|| format!("{} needs the {target} binary {name}, which the release lacks", image.key))?;
        binaries.push((name, *a));
    }
    let shas: Vec<(&str, &str)> = binaries.iter().map(|(n, a)| (*n, a.sha256.as_str())).collect();
    let key = package_key(&image::recipe(image), epoch, &shas, &[]);
    if let Some(mut previous) = previous.and_then(|p| p.take_package(std::slice::from_ref(&image.file), &key, dir)) {
        return Ok(previous.remove(0));
    }
    reuse::remove_if_present(&dir.join(&image.file))?;
    let mut made = if image.dockerfile.is_some() {
        let paths: Vec<PathBuf> = binaries.iter().map(|(_, a)| dir.join(&a.path)).collect();
        dockerfile(image, &paths).with_context(|| format!("cannot build {} from its Dockerfile", image.file))?;
        image::read_built(dir, image).with_context(|| format!("{} as the engine exported it", image.file))?
    } else {
        let bytes = binaries
            .iter()
            .map(|(_, a)| fs::read(dir.join(&a.path)).with_context(|| format!("cannot read {}", a.path)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        image::make(dir, image, epoch, &bytes).with_context(|| format!("cannot write {}", image.file))?
    };
    made.inputs = Some(key);
    Ok(made)
}

/// Completes `dir`, which holds every target's files, into a release: the
/// checksum file, `manifest.json`, modes and mtimes.
pub fn finish(dir: &Path, release: &Release) -> anyhow::Result<Manifest> {
    let plan = release.plan;
    check_only_planned_files(dir, plan, &release.held)?;
    let artifacts: Vec<Artifact> = release.artifacts.iter().flatten().chain(&release.images).cloned().collect();
    let mut manifest = Manifest {
        generator: manifest::GENERATOR.into(),
        schema: manifest::SCHEMA,
        name: plan.project.clone(),
        version: plan.stamp.version.clone(),
        tag: plan.stamp.tag.clone(),
        dirty: plan.stamp.dirty,
        tagged: plan.stamp.tagged,
        commit: plan.stamp.commit.clone(),
        date: plan.stamp.date.clone(),
        source_date_epoch: plan.stamp.epoch,
        go_version: release.built.go_version.clone(),
        engine: release.engine.to_string(),
        image: (release.engine == Engine::Dagger).then(|| plan.image.clone()),
        checksums: plan.checksum_file.clone(),
        shard: plan.shard.clone(),
        names: plan.shard.as_ref().map(|_| plan.names_digest.clone()),
        settings: release.settings.clone(),
        artifacts,
        published: vec![],
        partial: release.partial,
        held: release.held.clone(),
        // A shard's images, for `dist merge` to make (in its own checkout: files relative to the project).
        images: match plan.shard {
            Some(_) => plan.images.iter().map(|i| i.relative_to(&crate::project::root())).collect(),
            None => vec![],
        },
        source: plan.stamp.remote.clone(),
        builds: plan.builds.iter().map(|b| build_record(plan, b)).collect(),
        supply: plan.supply.clone(),
        signatures: vec![],
        toolchain: release.toolchain.clone(),
    };
    let sboms = supply::sboms(dir, &manifest, &plan.holdings(), &manifest.artifacts, release.carried)?;
    manifest.artifacts.extend(sboms);
    if plan.shard.is_some() {
        // A shard is not a release: `dist merge` writes the provenance and signs.
        manifest.write_with_checksums(dir)?;
    } else {
        supply::complete(dir, &mut manifest, release.signer, release.previous)?;
    }
    seal(dir, &manifest)?;
    Ok(manifest)
}

/// How the plan had `build`'s binaries built.
pub fn build_record(plan: &Plan, build: &TargetBuild) -> manifest::BuildRecord {
    // A value the settings took from the caller's environment (a token in a proxy URL) is not published.
    let redact = |s: &String| crate::plan::supply::redact(s, &plan.env_values);
    manifest::BuildRecord {
        target: build.target.to_string(),
        argv: build
            .outputs
            .iter()
            .enumerate()
            .map(|(i, o)| plan.go_build_argv(build, i, o).iter().map(redact).collect())
            .collect(),
        env: plan.env_for(build).into_iter().map(|(k, v)| (k, redact(&v))).collect(),
    }
}

/// An engine must write what the plan asked and nothing else.
fn check_only_planned_files(dir: &Path, plan: &Plan, held: &[Artifact]) -> anyhow::Result<()> {
    let mut planned: Vec<PathBuf> = Vec::new();
    for build in &plan.builds {
        planned.extend(build.outputs.iter().map(|o| dir.join(o)));
        planned.extend(PACKERS.iter().flat_map(|p| p.files(plan, build)).map(|f| dir.join(f)));
    }
    planned.extend(plan.images.iter().filter(|_| plan.shard.is_none()).map(|i| dir.join(&i.file)));
    planned.extend(held.iter().map(|a| dir.join(reuse::HELD).join(&a.path)));
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

/// An artifact of `build` with its size and digest.
pub fn artifact(build: &TargetBuild, kind: Kind, path: String, bytes: &[u8], binary: Option<&str>) -> Artifact {
    Artifact {
        target: build.target.to_string(),
        kind,
        binary: binary.map(str::to_owned),
        id: None,
        path,
        size: bytes.len() as u64,
        sha256: crate::digest::sha256_hex(bytes),
        inputs: None,
        image: None,
        describes: None,
    }
}

/// Binaries 0755, other files 0644, directories 0755 (Dagger exports new
/// directories as 0700), every mtime the release's epoch.
pub fn seal(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let binaries: Vec<PathBuf> = manifest
        .artifacts
        .iter()
        .filter(|a| matches!(a.kind, Kind::Binary | Kind::Bare))
        .map(|a| dir.join(&a.path))
        .collect();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(manifest.source_date_epoch.max(0) as u64);
    // Files held aside were sealed by the run that made them (and are links to them).
    let held = dir.join(reuse::HELD);
    let mut paths: Vec<PathBuf> = walk(dir)?.into_iter().filter(|p| !p.starts_with(&held) || p.is_dir()).collect();
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::plan::Toolchain;
    use crate::settings::Settings;
    use crate::source::{Outputs, Source};
    use crate::stamp::Stamp;

    pub(super) fn plan(text: &str) -> Plan {
        let s = toml::from_str::<Settings>(text).unwrap().resolve(&crate::project::root().join("dist.toml")).unwrap();
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        let stamp = Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee".into()), Some(1_700_000_000), None);
        let toolchain = Toolchain {
            go_version: "go1.26.8".into(),
            dist_list: "linux/amd64\nlinux/arm\nlinux/arm64\nwindows/amd64\n".into(),
            label: "go1.26.8".into(),
            fingerprint: String::new(),
            content: None,
            why_other: None,
        };
        Plan::new(&s, &[], stamp, source, &toolchain, &BTreeMap::new()).unwrap()
    }

    /// The key of the first packer with files for target `i`.
    fn key(p: &Plan, i: usize, shas: &[(&str, &str)], extras: &[(&str, String)]) -> String {
        let b = &p.builds[i];
        let packer = PACKERS.iter().find(|k| !k.files(p, b).is_empty()).unwrap();
        package_key(&packer.recipe(p, b), p.stamp.epoch, shas, extras)
    }

    #[test]
    fn the_package_key_covers_its_bytes_names_and_packer() {
        let p = plan("[app]\nmain = \"./cmd/hello\"\n[targets]\nos = [\"linux\", \"windows\"]\narch = [\"amd64\"]");
        let readme = || vec![("README.md", "r".to_owned())];
        let k0 = key(&p, 0, &[("hello", "aa")], &readme());
        assert_eq!(key(&p, 0, &[("hello", "aa")], &readme()), k0);
        assert_ne!(key(&p, 0, &[("hello", "ab")], &readme()), k0, "binary bytes");
        assert_ne!(key(&p, 0, &[("hello2", "aa")], &readme()), k0, "the name a binary is packed under");
        assert_ne!(key(&p, 0, &[("hello", "aa")], &[("README.md", "r2".into())]), k0, "extra file bytes");
        assert_ne!(key(&p, 0, &[("hello", "aa")], &[("LICENSE", "r".into())]), k0, "extra file name");
        assert_ne!(key(&p, 1, &[("hello", "aa")], &readme()), k0, "name and format");
        let mut unwrapped = p.clone();
        if let crate::plan::Package::Archive { folder, .. } = &mut unwrapped.builds[0].archives[0].package {
            *folder = None;
        }
        assert_ne!(key(&unwrapped, 0, &[("hello", "aa")], &readme()), k0, "wrap");
        let mut none = p.clone();
        none.builds[0].archives[0].binaries.clear();
        assert_ne!(key(&none, 0, &[("hello", "aa")], &readme()), k0, "which binaries the set holds");
        let mut id = p.clone();
        id.builds[0].archives[0].id = Some("main".into());
        assert_ne!(key(&id, 0, &[("hello", "aa")], &readme()), k0, "the set's id, which its artifacts record");
        let mut later = p.clone();
        later.stamp.epoch += 1;
        assert_ne!(key(&later, 0, &[("hello", "aa")], &readme()), k0, "mtimes");
        let bare =
            plan("[app]\nmain = \"./cmd/hello\"\n[targets]\nlist = [\"linux/amd64\"]\n[archive]\nformat = \"binary\"");
        assert_ne!(key(&bare, 0, &[("hello", "aa")], &readme()), k0, "another kind");
        assert!(XTASK_BUILD.len() == 16 && XTASK_BUILD.bytes().all(|c| c.is_ascii_hexdigit()), "{XTASK_BUILD}");
    }
}
