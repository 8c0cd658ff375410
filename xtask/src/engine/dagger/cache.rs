//! The Go caches on a Dagger engine: what they hold before a build, whether
//! the engine's garbage collector will keep them, and (with `--go-cache DIR`)
//! their round trip through a host directory that a CI cache step saves and
//! restores.
//!
//! Why: the engine's default collector keeps 20% of its disk free and prunes
//! every releasable result when it cannot, the Go build cache volume with
//! them; every build after that is cold (issue 17 measured 392 s instead of
//! 18 s), and an ephemeral CI engine starts with nothing. Both are said, with
//! the fix, instead of being silently slow.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dagger_sdk::{Container, HostDirectoryOptsBuilder, Query};
use eyre::eyre;

use super::{any_exit, checked, GOCACHE, GOMODCACHE};

/// In a `--go-cache` directory the xtask made: only there are unused build-cache entries removed.
const MARKER: &str = ".xtask-go-cache";
/// A build-cache entry in a `--go-cache` directory that no build used for this long is removed when
/// a Dagger run writes the directory back: a CI cache step saves and restores it whole on every
/// run, so what it holds beyond what builds use is paid for twice per run (Go's own trim waits
/// five days, for a cache that moves nowhere).
const UNUSED_FOR: Duration = Duration::from_secs(24 * 3600);
/// The engine's build-cache files with their modification times (`stat -c '%Y %n'`), in the export.
const MTIMES: &str = ".xtask-mtimes";

/// Where a `--go-cache` directory is mounted to seed the cache volumes.
const SEED: &str = "/xtask-go-cache";
/// Where the tar of the cache files a run exports is made (beside links to the volumes).
const EXPORT: &str = "/xtask-go-cache-export";

/// The caches as one uncached exec saw them before anything was built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// `$GOCACHE/README` exists: Go has used this build cache before.
    pub build_warm: bool,
    /// `$GOMODCACHE/cache/download` exists: modules were downloaded into it before.
    pub mod_warm: bool,
    /// The engine disk's size and free bytes (`df` of the cache volume), when known.
    pub disk: Option<(u64, u64)>,
    /// The processors a container on the engine may run on (`nproc`), when known.
    pub cpus: Option<usize>,
    /// The look ran: the image has a POSIX `sh` (the builds run in one exec: [`super::batch`]).
    pub shell: bool,
}

/// The engine's collector as `engine.localCache` reports it, and what its cache holds now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub min_free: u64,
    pub max_used: u64,
    pub reserved: u64,
    pub used: u64,
}

/// A shell script for the probe: POSIX sh, `df -P` and `test` only (GNU coreutils or busybox).
const PROBE: &str = "if [ -f \"$GOCACHE/README\" ]; then echo build=warm; else echo build=cold; fi; \
     if [ -d \"$GOMODCACHE/cache/download\" ]; then echo mod=warm; else echo mod=cold; fi; \
     df -Pk \"$GOCACHE\" 2>/dev/null | tail -n 1 | { read fs total used free rest; echo disk=$total $free; }; \
     echo cpus=$(nproc 2>/dev/null)";

/// Reads the probe's output; what it cannot read stays unknown (never a guess).
pub fn parse_probe(stdout: &str) -> Probe {
    let mut probe = Probe { shell: true, ..Probe::default() };
    for line in stdout.lines() {
        match line.split_once('=') {
            Some(("build", v)) => probe.build_warm = v == "warm",
            Some(("mod", v)) => probe.mod_warm = v == "warm",
            Some(("cpus", v)) => probe.cpus = v.trim().parse().ok().filter(|&n| n > 0),
            Some(("disk", v)) => {
                let kib: Vec<u64> = v.split_whitespace().filter_map(|n| n.parse().ok()).collect();
                if let [total, free] = kib[..] {
                    probe.disk = Some((total * 1024, free * 1024));
                }
            }
            _ => {}
        }
    }
    probe
}

/// What to tell the user about the engine's Go caches: warnings (always shown) and one detail line.
#[derive(Debug, Default, PartialEq)]
pub struct Advice {
    pub warnings: Vec<String>,
    pub detail: String,
}

/// Where the fix for a collector that prunes the Go cache is written down.
const FIX: &str = "set the engine's gc policy in its engine.json, or keep a copy with --go-cache DIR \
                   (README, \"The Dagger engine's Go cache\")";

/// `built_there_before`: the release being replaced was built on a Dagger engine with this Go, so
/// its build cache should not be empty. `seeding`: `--go-cache` will fill a cold cache.
pub fn advice(probe: &Probe, policy: Option<&Policy>, built_there_before: bool, seeding: bool) -> Advice {
    let mut advice = Advice::default();
    let pressure = match (probe.disk, policy) {
        // The collector keeps `reserved` whatever the disk: below it, nothing is pruned.
        (_, Some(p)) if p.used <= p.reserved => None,
        (Some((_, free)), Some(p)) if p.min_free > 0 && free < p.min_free => Some(format!(
            "the Dagger engine's disk has {} free, less than the {} its garbage collector keeps free",
            size(free),
            size(p.min_free)
        )),
        (_, Some(p)) if p.max_used > 0 && p.used > p.max_used => Some(format!(
            "the Dagger engine's caches hold {}, more than the {} its garbage collector allows",
            size(p.used),
            size(p.max_used)
        )),
        _ => None,
    };
    let cold = !probe.build_warm;
    if cold && built_there_before && !seeding {
        let why = match &pressure {
            Some(p) => format!("{p}, so it pruned the cache"),
            None => "the engine's garbage collector pruned it (or this is another engine)".to_owned(),
        };
        advice.warnings.push(format!(
            "the Go build cache on the Dagger engine is empty although the release being replaced was built \
             there: {why}; this build is cold; {FIX}"
        ));
    } else if let Some(p) = pressure {
        advice.warnings.push(format!(
            "{p}: after this run it prunes its caches, the Go build cache with them, and the next build is cold; \
             free space on the engine's disk, or {FIX}"
        ));
    }
    let disk = match probe.disk {
        Some((total, free)) => format!("{} of {} free on its disk", size(free), size(total)),
        None => "its free disk space unknown".to_owned(),
    };
    let gc = match policy {
        Some(p) => format!(
            "; its garbage collector keeps {} free and {} used at most (reserved {}), caches now {}",
            size(p.min_free),
            size(p.max_used),
            size(p.reserved),
            size(p.used)
        ),
        None => "; its garbage collector's policy unknown".to_owned(),
    };
    let cpus = match probe.cpus {
        Some(n) => format!("; {n} builds at a time (its processors)"),
        None => String::new(),
    };
    advice.detail = format!(
        "Dagger engine: Go build cache {}, module cache {}{}, {disk}{gc}{cpus}",
        if probe.build_warm { "warm" } else { "cold" },
        if probe.mod_warm { "warm" } else { "cold" },
        if cold && seeding { " (seeded from --go-cache)" } else { "" },
    );
    advice
}

/// Bytes for people, in binary units: Dagger reads "20GB" in its settings as 20 GiB.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A value that differs on every run, so that the engine never answers an exec from its cache.
pub fn nonce() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The caches as they are now (one uncached exec) and the engine's collector policy. A policy the
/// engine will not report is unknown, not an error.
pub async fn inspect(client: &Query, go: &Container, nonce: &str) -> eyre::Result<(Probe, Option<Policy>)> {
    let exec = go.with_env_variable("XTASK_RUN", nonce).with_exec_opts(vec!["sh", "-c", PROBE], any_exit());
    let cache = client.engine().local_cache();
    let entries = cache.entry_set();
    let (looked, min_free, max_used, reserved, used) = futures::join!(
        checked(&exec, "the look at the Go caches on the Dagger engine"),
        cache.min_free_space(),
        cache.max_used_space(),
        cache.reserved_space(),
        entries.disk_space_bytes()
    );
    let probe = parse_probe(&looked?);
    let policy = match (min_free, max_used, reserved, used) {
        (Ok(min_free), Ok(max_used), Ok(reserved), Ok(used)) => Some(Policy {
            min_free: min_free.max(0) as u64,
            max_used: max_used.max(0) as u64,
            reserved: reserved.max(0) as u64,
            used: used.max(0) as u64,
        }),
        _ => None,
    };
    Ok((probe, policy))
}

/// Where a run keeps the list of the files its caches held before it built (in the build cache
/// volume, beside Go's entries; Go's trim only looks at its `00`..`ff` directories).
fn listing(nonce: &str, sub: &str) -> String {
    format!("{GOCACHE}/.xtask-run-{nonce}-{sub}")
}

/// The caches round-tripped: (directory below `--go-cache`, volume).
const CACHES: [(&str, &str); 2] = [("build", GOCACHE), ("mod", GOMODCACHE)];

impl Probe {
    /// Whether the cache kept in `sub` of [`CACHES`] was there before this run.
    fn warm(&self, sub: &str) -> bool {
        if sub == "build" {
            self.build_warm
        } else {
            self.mod_warm
        }
    }
}

/// For `--go-cache DIR`, before anything is built: fills the cold caches from `DIR/build` and
/// `DIR/mod` (as the host engine keeps them; `cp -a`), then lists what the caches hold, so that
/// [`export_new`] writes back exactly what this run adds. One uncached exec; `dir` is uploaded only
/// when a cache is cold.
pub async fn seed(client: &Query, go: &Container, dir: &Path, probe: &Probe, nonce: &str) -> eyre::Result<()> {
    let mut script = vec!["set -e".to_owned()];
    let mut ctr = go.with_env_variable("XTASK_RUN", nonce);
    let cold: Vec<_> = CACHES.into_iter().filter(|(sub, _)| !probe.warm(sub) && dir.join(sub).is_dir()).collect();
    if !cold.is_empty() {
        // Only what is cold: a warm build cache is not uploaded again for an empty module cache.
        let include: Vec<String> = cold.iter().map(|(sub, _)| format!("{sub}/**")).collect();
        let seed = client.host().directory_opts(
            dir.to_string_lossy(),
            HostDirectoryOptsBuilder::default()
                .include(include.iter().map(String::as_str).collect::<Vec<_>>())
                .build()?,
        );
        ctr = ctr.with_mounted_directory(SEED, seed);
        for (sub, volume) in cold {
            // The include patterns upload no empty directory: an empty `sub` is not there.
            script.push(format!("if [ -d {SEED}/{sub} ]; then cp -a {SEED}/{sub}/. {volume}/; fi"));
        }
    }
    // The lists of a run that never reached its export (killed with the engine) are a day old by
    // now; a run still going has its own.
    script.push(format!("find {GOCACHE} -maxdepth 1 -name '.xtask-run-*' -mmin +1440 -exec rm -f {{}} +"));
    for (sub, volume) in CACHES {
        let list = listing(nonce, sub);
        script.push(format!(
            "mkdir -p {volume} && (cd {volume} && find . -type f ! -name '.xtask-run-*' | sort > {list})"
        ));
    }
    let exec = ctr.with_exec_opts(vec!["sh", "-c", &script.join("; ")], any_exit());
    checked(&exec, &format!("seeding the Dagger engine's Go caches from {}", dir.display())).await.map(drop)
}

/// Writes what this run added to the caches (the files not in [`seed`]'s lists) into `dir`, beside
/// what is there, drops the lists, then writes the build-cache entries this run (going for
/// `run_for`) used that `dir` lacks (another run on this engine may have trimmed them, or `dir` is
/// new beside a warm engine), and [`trim`]s `dir`'s build cache: removals only after a build that
/// `succeeded` (a failed one reached only part of it). Only new paths are written. Only tools both
/// GNU coreutils and busybox have (`sort`, `uniq -u`, `sed`, `tr`, `stat -c`, `ln -s`, `xargs -0`, `tar -cf -`):
/// Debian's golang image has the one, Alpine's and the offline engine's the other.
pub async fn export_new(
    go: &Container,
    dir: &Path,
    nonce: &str,
    run_for: Duration,
    succeeded: bool,
) -> eyre::Result<Exported> {
    let go = go.with_env_variable("XTASK_RUN", nonce);
    let mut script = vec![format!("set -e; {}; : > /tmp/xtask-new", export_links())];
    for (sub, volume) in CACHES {
        let list = listing(nonce, sub);
        // In the list twice and now once, or only now: `uniq -u` keeps what is new.
        script.push(format!(
            "cd {volume}; find . -type f ! -name '.xtask-run-*' | sort | cat {list} {list} - | sort | uniq -u \
             | sed 's|^\\./|{sub}/|' >> /tmp/xtask-new; rm -f {list}"
        ));
    }
    // When each build-cache entry was last used on the engine: Go sets an entry's mtime when it
    // uses one older than an hour, and `cp -a` and the export keep mtimes. First the engine's
    // own time (`<secs> .`): its clock, not the host's, dates those. Only a whole list (an entry
    // Go removed meanwhile fails `stat`): without one, nothing is trimmed.
    script.push(format!(
        "if (cd {GOCACHE} && echo \"$(date +%s) .\" && find . -type f ! -name '.xtask-run-*' -exec stat -c '%Y %n' {{}} +) \
         > /tmp/{MTIMES}; then mv /tmp/{MTIMES} {EXPORT}/{MTIMES}; echo {MTIMES} >> /tmp/xtask-new; fi"
    ));
    // One file to export: Dagger's export of a directory of thousands of files stalled here
    // (7,177 cache entries: the CLI's receiving end waited for ten minutes). Read from the
    // volumes through the links, not copied first: a cold run's export is gigabytes.
    script.push(tar_listed("/tmp/xtask-new"));
    let exec = go.with_exec_opts(vec!["sh", "-c", &script.join("; ")], any_exit());
    checked(&exec, "gathering what this run added to the Dagger engine's Go caches").await?;
    let (mut written, mtimes) = fetch(&exec, &format!("{EXPORT}.tar"), dir, nonce).await?;
    let Some(mtimes) = mtimes else {
        return Ok(Exported { written, trimmed: Trimmed::Skipped("the engine listed no times of use") });
    };
    let times = engine_times(&mtimes);
    let now = times.get(".").map_or_else(SystemTime::now, |&secs| at(secs));
    // What this run used: Go re-dates an entry it uses when it is over an hour old.
    let since = now.checked_sub(run_for + Duration::from_secs(3600)).unwrap_or(UNIX_EPOCH);
    let missing = used_but_missing(dir, &times, since);
    let mut unfetched = None;
    if !missing.is_empty() {
        match fetch_missing(&go, dir, nonce, &missing).await {
            Ok(n) => written += n,
            Err(e) => unfetched = Some(format!("{e:#}")),
        }
    }
    // Uses are dated in DIR whatever the build did; entries are removed only after one that passed
    // and with every entry it used in DIR.
    let trimmed = match (trim(dir, &times, now, succeeded && unfetched.is_none()), unfetched) {
        (_, Some(e)) => Trimmed::Unfetched(e),
        (Ok(Some(n)), None) if succeeded => Trimmed::Removed(n),
        (Ok(Some(_)), None) => Trimmed::Skipped("the build failed"),
        (Ok(None), None) => Trimmed::NotOurs,
        (Err(e), None) => Trimmed::Failed(format!("{e:#}")),
    };
    Ok(Exported { written, trimmed })
}

/// Writes the build-cache entries `missing` (`xx/<64 hex>-a|-d`) from the engine into `dir`; an
/// entry Go removed since it was listed is left out, not an error.
async fn fetch_missing(go: &Container, dir: &Path, nonce: &str, missing: &[String]) -> eyre::Result<usize> {
    let script = format!(
        "set -e; {}; cd {EXPORT}; while IFS= read -r f; do if [ -f \"build/$f\" ]; then echo \"build/$f\"; fi; \
         done < /tmp/xtask-missing > /tmp/xtask-new; {}",
        export_links(),
        tar_listed("/tmp/xtask-new")
    );
    let exec = go
        .with_new_file("/tmp/xtask-missing", missing.join("\n") + "\n")
        .with_exec_opts(vec!["sh", "-c", &script], any_exit());
    checked(&exec, "gathering the cache entries the Dagger engine used that the --go-cache directory lacks").await?;
    Ok(fetch(&exec, &format!("{EXPORT}.tar"), dir, nonce).await?.0)
}

/// Shell: a tar at `EXPORT.tar` of the files `list` names (one per line, relative to `EXPORT`),
/// keeping their times. Several archives one after the other when `xargs` splits the list
/// (busybox's tar has no `-T`): [`unpack_new`] reads past each one's end.
fn tar_listed(list: &str) -> String {
    format!("cd {EXPORT} && tr '\\n' '\\0' < {list} | xargs -0 -r tar -cf - > {EXPORT}.tar")
}

/// Shell: `EXPORT/build` and `EXPORT/mod` as links to the cache volumes, so that a tar made in
/// `EXPORT` names each file as `dir` keeps it (`build/ab/…`) without copying a byte first.
fn export_links() -> String {
    let links: Vec<String> = CACHES.iter().map(|(sub, volume)| format!("ln -s {volume} {EXPORT}/{sub}")).collect();
    format!("mkdir -p {EXPORT}; {}", links.join("; "))
}

/// Exports the tar at `path` from `exec` and unpacks what `dir` lacks ([`unpack_new`]).
async fn fetch(exec: &Container, path: &str, dir: &Path, nonce: &str) -> eyre::Result<(usize, Option<String>)> {
    std::fs::create_dir_all(dir).map_err(|e| eyre!("cannot create {}: {e}", dir.display()))?;
    let tar = dir.join(format!(".xtask-go-cache-{nonce}.tar"));
    let exported = exec.file(path).export(tar.to_string_lossy()).await;
    let unpacked = match exported {
        Ok(_) => unpack_new(&tar, dir),
        Err(e) => Err(anyhow::anyhow!("exporting them from the engine: {e}")),
    };
    // Ours (named by this run's nonce), whether or not it came whole.
    let _ = std::fs::remove_file(&tar);
    unpacked.map_err(|e| eyre!("cannot write the Dagger engine's new Go cache files into {}: {e:#}", dir.display()))
}

/// What [`export_new`] did to the `--go-cache` directory.
pub struct Exported {
    /// Cache files written.
    pub written: usize,
    pub trimmed: Trimmed,
}

/// Whether [`trim`] removed entries unused for [`UNUSED_FOR`] from the `--go-cache` directory.
pub enum Trimmed {
    Removed(usize),
    /// The directory is not the xtask's (no [`MARKER`]).
    NotOurs,
    /// Not tried, and why.
    Skipped(&'static str),
    /// Entries the run used could not be fetched into the directory (nothing removed).
    Unfetched(String),
    Failed(String),
}

impl std::fmt::Display for Trimmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trimmed::Removed(n) => write!(f, "{n} build-cache entries no build used for a day removed"),
            Trimmed::NotOurs => write!(f, "nothing removed: the xtask did not make this directory (no {MARKER})"),
            Trimmed::Skipped(why) => write!(f, "nothing removed: {why}"),
            Trimmed::Unfetched(e) => write!(f, "nothing removed: {e}"),
            Trimmed::Failed(e) => write!(f, "nothing more removed: {e}"),
        }
    }
}

/// The build-cache entries (`xx/<64 hex>-a|-d`) that the engine's `times` say were used at or
/// after `since` (this run) and that `dir/build` lacks.
fn used_but_missing(dir: &Path, times: &HashMap<&str, u64>, since: SystemTime) -> Vec<String> {
    let mut out: Vec<String> = times
        .iter()
        .filter(|(rel, secs)| {
            at(**secs) >= since
                && rel.split_once('/').is_some_and(|(shard, name)| go_entry(shard, name))
                && !dir.join("build").join(rel).exists()
        })
        .map(|(rel, _)| (*rel).to_owned())
        .collect();
    out.sort();
    out
}

/// `stat -c '%Y %n'` lines: each path (without `./`; `.` is the engine's time now) with its
/// mtime in seconds.
fn engine_times(mtimes: &str) -> HashMap<&str, u64> {
    mtimes
        .lines()
        .filter_map(|l| {
            let (secs, path) = l.split_once(' ')?;
            Some((path.strip_prefix("./").unwrap_or(path), secs.parse().ok()?))
        })
        .collect()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Whether `shard/name` is one of Go's build-cache entry files: `xx/<64 hex>-a` or `-d`.
fn go_entry(shard: &str, name: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    shard.len() == 2
        && name.is_ascii()
        && hex(shard)
        && name.len() == 66
        && hex(&name[..64])
        && (name.ends_with("-a") || name.ends_with("-d"))
}

/// Makes `dir` (which does not exist yet) for `--go-cache`, marked as the xtask's.
pub fn claim(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {} (--go-cache)", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "Go's build and module caches, kept by `cargo xtask` (--go-cache). This file marks the directory as\n\
         the xtask's: a Dagger run removes the build-cache entries no build used for a day.\n",
    )
    .with_context(|| format!("cannot write {}", dir.join(MARKER).display()))
}

/// Gives each entry of `dir/build` the time the engine last used it (`times`, when later than its
/// own: the host engine's Go sets it in place), then, if `remove`, removes the entries unused for
/// [`UNUSED_FOR`] before `now`. Only in a directory [`claim`] made (its marker), only Go's entry
/// files (`build/xx/<64 hex>-a` and `-d`). Returns how many went; `None` when `dir` is not the xtask's.
fn trim(dir: &Path, times: &HashMap<&str, u64>, now: SystemTime, remove: bool) -> anyhow::Result<Option<usize>> {
    if !dir.join(MARKER).is_file() {
        return Ok(None);
    }
    let Ok(shards) = std::fs::read_dir(dir.join("build")) else { return Ok(Some(0)) };
    let mut removed = 0;
    for shard in shards {
        let shard = shard?;
        let shard_name = shard.file_name().to_string_lossy().into_owned();
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            if !go_entry(&shard_name, &name) || !file.file_type()?.is_file() {
                continue;
            }
            let mut used = file.metadata()?.modified()?;
            if let Some(&secs) = times.get(format!("{shard_name}/{name}").as_str()) {
                let there = at(secs);
                if there > used {
                    // For the next run; kept by this one whether or not the time can be written.
                    let _ =
                        std::fs::OpenOptions::new().write(true).open(file.path()).and_then(|f| f.set_modified(there));
                    used = there;
                }
            }
            if remove && now.duration_since(used).is_ok_and(|age| age > UNUSED_FOR) {
                std::fs::remove_file(file.path())?;
                removed += 1;
            }
        }
    }
    Ok(Some(removed))
}

/// Unpacks the files of `tar` that `dir` lacks, each written beside its place and renamed into it
/// (a full disk or a kill leaves no half file under a cache name); returns how many, and the
/// engine's [`MTIMES`] list. A path that is there already is left alone: the module cache's files
/// and directories are read-only, and a second run exporting the same new entry wrote it first.
fn unpack_new(tar: &Path, dir: &Path) -> anyhow::Result<(usize, Option<String>)> {
    use anyhow::Context;
    let file = std::fs::File::open(tar).with_context(|| format!("cannot open {}", tar.display()))?;
    let mut archive = tar::Archive::new(file);
    archive.set_preserve_mtime(true);
    // The engine writes one archive per `xargs` batch, one after the other.
    archive.set_ignore_zeros(true);
    let (mut written, mut mtimes) = (0, None);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let rel = entry.path()?.into_owned();
        if rel.strip_prefix(".").unwrap_or(&rel) == Path::new(MTIMES) {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text)?;
            mtimes = Some(text);
            continue;
        }
        // Only plain names below `dir` (`./build/ab/…`): nothing that climbs out or is absolute.
        if !rel.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)) {
            anyhow::bail!("the engine's cache archive names {}, outside {}", rel.display(), dir.display());
        }
        let path = dir.join(&rel);
        if path.symlink_metadata().is_ok() {
            continue;
        }
        let parent = path.parent().context("a file at the root")?;
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let part = parent.join(format!(".xtask-part-{}", std::process::id()));
        entry.unpack(&part).with_context(|| format!("cannot write {}", part.display()))?;
        std::fs::rename(&part, &path)
            .with_context(|| format!("cannot rename {} to {}", part.display(), path.display()))?;
        written += 1;
    }
    Ok((written, mtimes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_reads_what_df_and_test_print() {
        let probe = parse_probe("build=warm\nmod=cold\ndisk=263174212 61240100\ncpus=2\n");
        let disk = Some((269_490_393_088, 62_709_862_400));
        assert_eq!(probe, Probe { build_warm: true, mod_warm: false, disk, cpus: Some(2), shell: true });
        assert_eq!(parse_probe("cpus=\n").cpus, None, "no nproc: as many builds at once as there are targets");
        // A shell that printed something else: unknown, not warm and not a disk of 0 bytes.
        assert_eq!(parse_probe("df: /root/.cache/go-build: No such file\n"), Probe { shell: true, ..Probe::default() });
    }

    fn policy(min_free: u64, max_used: u64, used: u64) -> Policy {
        Policy { min_free, max_used, reserved: 0, used }
    }

    #[test]
    fn a_disk_below_the_collectors_free_space_is_said_before_it_prunes() {
        let probe =
            Probe { build_warm: true, mod_warm: true, disk: Some((100 << 30, 17 << 30)), cpus: None, shell: true };
        let a = advice(&probe, Some(&policy(20 << 30, 75 << 30, 4 << 30)), true, false);
        assert_eq!(a.warnings.len(), 1, "{a:?}");
        assert!(
            a.warnings[0].starts_with(
                "the Dagger engine's disk has 17.0 GiB free, less than the 20.0 GiB its garbage collector keeps free: \
                 after this run it prunes its caches, the Go build cache with them, and the next build is cold"
            ),
            "{}",
            a.warnings[0]
        );
        assert!(a.warnings[0].contains("--go-cache DIR"), "{}", a.warnings[0]);
        // Enough free space and a cache under its cap: nothing to say but the detail.
        let fine = Probe { disk: Some((100 << 30, 30 << 30)), ..probe.clone() };
        assert_eq!(
            advice(&fine, Some(&policy(20 << 30, 75 << 30, 4 << 30)), true, false).warnings,
            Vec::<String>::new()
        );
        // Under what the collector keeps whatever the disk (reservedSpace): nothing will go.
        let reserved = Policy { reserved: 10 << 30, ..policy(20 << 30, 75 << 30, 4 << 30) };
        assert_eq!(advice(&probe, Some(&reserved), true, false).warnings, Vec::<String>::new());
        // Over the collector's cap.
        let a = advice(&fine, Some(&policy(20 << 30, 3 << 30, 4 << 30)), true, false);
        assert!(a.warnings[0].starts_with("the Dagger engine's caches hold 4.0 GiB, more than the 3.0 GiB"), "{a:?}");
    }

    #[test]
    fn a_cache_emptied_since_the_last_dagger_build_is_said_with_why() {
        let cold =
            Probe { build_warm: false, mod_warm: false, disk: Some((100 << 30, 17 << 30)), cpus: None, shell: true };
        let a = advice(&cold, Some(&policy(20 << 30, 75 << 30, 1 << 30)), true, false);
        assert_eq!(a.warnings.len(), 1, "{a:?}");
        assert!(
            a.warnings[0].starts_with(
                "the Go build cache on the Dagger engine is empty although the release being replaced was built \
                 there: the Dagger engine's disk has 17.0 GiB free, less than the 20.0 GiB its garbage collector keeps \
                 free, so it pruned the cache; this build is cold"
            ),
            "{}",
            a.warnings[0]
        );
        let roomy = Probe { disk: Some((100 << 30, 50 << 30)), ..cold.clone() };
        let a = advice(&roomy, None, true, false);
        assert!(
            a.warnings[0].contains("the engine's garbage collector pruned it (or this is another engine)"),
            "{a:?}"
        );
        // A first build on this engine is cold by nature; a seeded one is not cold for long.
        assert!(advice(&roomy, None, false, false).warnings.is_empty());
        assert!(advice(&roomy, None, true, true).warnings.is_empty());
        assert!(advice(&roomy, None, true, true).detail.contains("(seeded from --go-cache)"));
    }

    /// What the engine's tar adds to DIR: new files only, no part files left, nothing outside DIR.
    #[test]
    fn unpacking_adds_only_what_dir_lacks() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("go");
        std::fs::create_dir_all(dir.join("build/ab")).unwrap();
        std::fs::write(dir.join("build/ab/old-d"), "kept").unwrap();
        let tar_of = |files: &[(&str, &str)]| {
            let mut b = tar::Builder::new(Vec::new());
            for (name, text) in files {
                let mut h = tar::Header::new_gnu();
                h.set_size(text.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(1_700_000_000);
                h.set_cksum();
                b.append_data(&mut h, name, text.as_bytes()).unwrap();
            }
            b.into_inner().unwrap()
        };
        // As the engine writes it: the list's first `xargs` batch, then the next, one archive each.
        let tar = tmp.path().join("x.tar");
        let mut bytes = tar_of(&[(".xtask-mtimes", "1700000000 ./cd/new-a\n"), ("build/ab/old-d", "other")]);
        bytes.extend(tar_of(&[("build/cd/new-a", "new"), ("mod/cache/x", "m")]));
        std::fs::write(&tar, bytes).unwrap();
        assert_eq!(unpack_new(&tar, &dir).unwrap(), (2, Some("1700000000 ./cd/new-a\n".to_owned())));
        assert!(!dir.join(MTIMES).exists(), "the engine's list is read, not written into DIR");
        assert_eq!(std::fs::read_to_string(dir.join("build/ab/old-d")).unwrap(), "kept");
        assert_eq!(std::fs::read_to_string(dir.join("build/cd/new-a")).unwrap(), "new");
        let mtime = std::fs::metadata(dir.join("build/cd/new-a")).unwrap().modified().unwrap();
        assert_eq!(mtime, std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000));
        let names: Vec<String> = std::fs::read_dir(dir.join("build/cd"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["new-a"], "no part file left");
        let empty = tmp.path().join("empty.tar");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(unpack_new(&empty, &dir).unwrap(), (0, None), "nothing new: `xargs -r` ran no tar");
        // A header naming a path above DIR is refused, and nothing is written there.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..12].copy_from_slice(b"../escaped-f");
        h.set_size(1);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, &b"x"[..]).unwrap();
        let evil = tmp.path().join("evil.tar");
        std::fs::write(&evil, b.into_inner().unwrap()).unwrap();
        let err = unpack_new(&evil, &dir).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
        assert!(!tmp.path().join("escaped-f").exists());
    }

    #[test]
    fn entries_no_build_used_for_a_day_are_removed_only_from_a_directory_the_xtask_made() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("go");
        claim(&dir).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let days_ago = |d: u64| now - Duration::from_secs(d * 24 * 3600);
        let entry = |c: char, kind: char| format!("build/{c}{c}/{}-{kind}", c.to_string().repeat(64));
        let write = |rel: &str, mtime: SystemTime| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, rel).unwrap();
            std::fs::File::open(&path).unwrap().set_modified(mtime).unwrap();
        };
        let stale = entry('a', 'd'); // unused for three days, here and on the engine
        let used_there = entry('b', 'a'); // three days old here, used on the engine an hour ago
        let used_here = entry('c', 'd'); // used by the host engine's Go an hour ago
        let not_go = ["build/README", "build/trim.txt", "build/aa/notes.txt", "mod/cache/download/x.zip"];
        write(&stale, days_ago(3));
        write(&used_there, days_ago(3));
        write(&used_here, now - Duration::from_secs(3600));
        for rel in not_go {
            write(rel, days_ago(30));
        }
        let an_hour_ago = 1_800_000_000 - 3600;
        let mtimes = format!("{an_hour_ago} ./{}\n{} ./{}\n", &used_there[6..], 1_800_000_000 - 4 * 86400, &stale[6..]);
        // After a failed build: the engine's uses are dated in DIR, nothing is removed.
        assert_eq!(trim(&dir, &engine_times(&mtimes), now, false).unwrap(), Some(0));
        assert!(dir.join(&stale).exists(), "a failed build reached only part of the cache");
        let mtime = std::fs::metadata(dir.join(&used_there)).unwrap().modified().unwrap();
        assert_eq!(mtime, at(an_hour_ago), "the engine's use is dated in DIR, whatever the build did");
        assert_eq!(trim(&dir, &engine_times(&mtimes), now, true).unwrap(), Some(1));
        assert!(!dir.join(&stale).exists(), "unused for three days: removed");
        assert!(dir.join(&used_here).exists() && dir.join(&used_there).exists());
        let mtime = std::fs::metadata(dir.join(&used_there)).unwrap().modified().unwrap();
        assert_eq!(mtime, at(an_hour_ago), "the engine's use is kept for the next run");
        for rel in not_go {
            assert!(dir.join(rel).exists(), "{rel} is not a Go cache entry: left alone");
        }

        // What the engine used since this run began and DIR lacks is fetched; what it used
        // before (another project's, on a shared engine), a non-Go file or a non-ASCII name is not.
        let gone = entry('d', 'a');
        let before = entry('e', 'a');
        let odd = format!("ff/{}é-a", "f".repeat(63));
        let mtimes = format!(
            "1800000000 .\n{an_hour_ago} ./{}\n{an_hour_ago} ./{}\n{} ./{}\n{an_hour_ago} ./README\n{an_hour_ago} ./{odd}\n",
            &used_there[6..],
            &gone[6..],
            an_hour_ago - 60,
            &before[6..]
        );
        let times = engine_times(&mtimes);
        assert_eq!(times.get("."), Some(&1_800_000_000), "the engine's own time");
        assert_eq!(used_but_missing(&dir, &times, at(an_hour_ago)), [gone[6..].to_owned()]);

        // A directory the xtask did not make (no marker): nothing is touched.
        std::fs::remove_file(dir.join(MARKER)).unwrap();
        write(&stale, days_ago(3));
        assert_eq!(trim(&dir, &HashMap::new(), now, true).unwrap(), None);
        assert!(dir.join(&stale).exists());
    }

    #[test]
    fn sizes_are_in_binary_units_as_dagger_reads_its_settings() {
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(5 << 30), "5.0 GiB");
        assert_eq!(size(3 << 39), "1.5 TiB");
    }
}
