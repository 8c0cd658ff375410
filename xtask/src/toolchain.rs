//! The pinned Go toolchain for the host engine, fetched when the machine has
//! no matching Go: every Go release is the module
//! `golang.org/toolchain@v0.0.1-go<version>.<goos>-<goarch>` on the Go module
//! proxy (GOPROXY). The zip's SHA-256 must match `xtask/go-toolchains.sha256`
//! before anything is extracted; the tree is unpacked beside the cache
//! directory and renamed into `<cache>/cargo-xtask-go/go<version>` in one step.
//!
//! The download trusts the system's CA bundle as well as rustls' built-in
//! roots, as the go command does, so a TLS-inspecting proxy works.
//!
//! `cargo xtask toolchain --set VERSION` (set_go.rs) pins another release: it
//! has the go command fetch and verify each platform's module zip, and writes
//! their `sha256sum` lines here.

use std::collections::BTreeMap;
use std::fs;
use std::io::{IsTerminal, Read};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, format_err, Context};

use crate::digest::sha256_hex;
use crate::interrupt;

/// `sha256sum` lines for the module zips, named `go<version>.<goos>-<goarch>.zip`.
const PINNED: &str = include_str!("../go-toolchains.sha256");
pub const PINNED_FILE: &str = "xtask/go-toolchains.sha256";
const DEFAULT_PROXY: &str = "https://proxy.golang.org";
/// Far above any Go release (about 70 MB): a runaway response is cut off.
const MAX_ZIP: u64 = 1 << 30;

/// `cargo xtask toolchain`: the path of the go the host engine would use; with
/// `--set`, another Go pinned everywhere.
impl crate::flags::Toolchain {
    pub fn run(self) -> anyhow::Result<()> {
        if let Some(version) = &self.set {
            return crate::set_go::run(version, self.settings.as_deref());
        }
        let settings = crate::settings::Settings::load_for_build(self.settings.as_deref())?;
        println!("{}", ensure(&settings.go_version)?.display());
        Ok(())
    }
}

/// The path of a `go` binary that is exactly `go<version>`: the one on PATH if
/// it is that version, else the cached copy, fetched first if absent.
pub fn ensure(version: &str) -> anyhow::Result<PathBuf> {
    check_version(version)?;
    if let Some(go) = on_path(version) {
        return Ok(go);
    }
    let root = cache_root()?;
    if let Some(go) = cached(&root, version) {
        return Ok(go);
    }
    let release = Release::this_machine(version)?;
    let expected = pinned_hash(&release)?;
    let proxy = proxy_from(std::env::var("GOPROXY").ok().as_deref(), version)?;
    let url = release.url(&proxy);
    let what = format!("Go {version} for {}/{} from {}", release.goos, release.goarch, redact(&proxy));
    let started = Instant::now();
    let zip = download(&url, &what)?;
    let fetched = started.elapsed();
    let go = install(&zip, &expected, &url, &release, &root)?;
    crate::ui::say(format!(
        "fetched Go {version} for {}/{} ({} MB in {:.1} s, unpacked in {:.1} s): {}",
        release.goos,
        release.goarch,
        mb(zip.len() as u64),
        fetched.as_secs_f64(),
        (started.elapsed() - fetched).as_secs_f64(),
        go.display()
    ));
    Ok(go)
}

/// Where [`ensure`] would find Go `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    OnPath,
    Cached,
    Missing,
}

pub fn locate(version: &str) -> Found {
    if check_version(version).is_err() {
        Found::Missing
    } else if on_path(version).is_some() {
        Found::OnPath
    } else if cache_root().is_ok_and(|root| cached(&root, version).is_some()) {
        Found::Cached
    } else {
        Found::Missing
    }
}

/// A version is part of a directory name: only a plain release such as `1.26.8` (or `1.27rc1`).
fn check_version(version: &str) -> anyhow::Result<()> {
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) || version.contains("..") {
        bail!("{version:?} is not a Go release such as \"1.26.8\"");
    }
    if !version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
        bail!("{version:?} is not a Go release such as \"1.26.8\"");
    }
    Ok(())
}

/// The first `go` on PATH, if `go env GOVERSION` says it is `go<version>`.
fn on_path(version: &str) -> Option<PathBuf> {
    let go = crate::project::on_path("go")?;
    let go = std::path::absolute(go).ok()?;
    let out = probe(&go).args(["env", "GOVERSION"]).output().ok()?;
    (out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == format!("go{version}")).then_some(go)
}

/// Where temporary files go, and what Windows programs cannot start without;
/// the only variables of the caller's (with PATH and HOME) a go command gets.
pub const SYSTEM_ENV: &[&str] = if cfg!(windows) {
    &["TMPDIR", "TEMP", "TMP", "SystemRoot", "SystemDrive", "USERPROFILE", "LOCALAPPDATA", "APPDATA", "ComSpec"]
} else {
    &["TMPDIR"]
};

/// `go` asked about itself, as a build would see it: the plan's neutral
/// environment and nothing else of the caller's (a stray GOEXPERIMENT, GOROOT
/// or GOFLAGS would make a correct Go look wrong), outside any module (a
/// go.mod could ask for another toolchain).
pub fn probe(go: &Path) -> Command {
    let mut c = Command::new(go);
    c.current_dir(std::env::temp_dir()).env_clear();
    for key in ["PATH", "HOME"].iter().chain(SYSTEM_ENV) {
        if let Some(v) = std::env::var_os(key) {
            c.env(key, v);
        }
    }
    c.envs(crate::plan::NEUTRAL_GO_ENV).env("GOWORK", "off");
    c
}

/// Every file of a Go installation by path, size and modification time: a
/// patched GOROOT (or another installation) of the same version differs.
/// Only metadata is read (about 15,000 files, tens of milliseconds).
pub fn goroot_fingerprint(goroot: &Path) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut pending = vec![goroot.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(&dir)
            .with_context(|| format!("cannot list {} (GOROOT)", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
                continue;
            }
            let rel = entry.path().strip_prefix(goroot).unwrap_or(&entry.path()).to_string_lossy().into_owned();
            let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            hash.update(format!("{rel}\0{}\0{mtime:?}\n", meta.len()));
            seen += 1;
        }
    }
    Ok(format!("{seen} files {:x}", hash.finalize()))
}

/// `$XDG_CACHE_HOME/cargo-xtask-go`, else `~/.cache/cargo-xtask-go`; `%LOCALAPPDATA%\cargo-xtask-go` on Windows.
fn cache_root() -> anyhow::Result<PathBuf> {
    let var =
        |key: &str| std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = if cfg!(windows) {
        var("LOCALAPPDATA").ok_or_else(|| format_err!("LOCALAPPDATA is not set: no cache directory for Go"))?
    } else if let Some(xdg) = var("XDG_CACHE_HOME") {
        xdg
    } else {
        var("HOME")
            .map(|home| home.join(".cache"))
            .ok_or_else(|| format_err!("neither XDG_CACHE_HOME nor HOME is set: no cache directory for Go"))?
    };
    Ok(base.join("cargo-xtask-go"))
}

fn cached(root: &Path, version: &str) -> Option<PathBuf> {
    let go = root.join(format!("go{version}")).join("bin").join(format!("go{}", std::env::consts::EXE_SUFFIX));
    go.is_file().then_some(go)
}

/// One toolchain module: a Go release for one platform.
#[derive(Debug, Clone)]
pub struct Release {
    pub version: String,
    pub goos: String,
    pub goarch: String,
}

impl Release {
    fn this_machine(version: &str) -> anyhow::Result<Release> {
        let host = crate::target::Target::host().with_context(|| format!("install Go {version}"))?;
        Ok(Release { version: version.to_owned(), goos: host.os, goarch: host.arch })
    }

    /// `v0.0.1-go1.26.8.linux-amd64`
    pub fn module_version(&self) -> String {
        format!("v0.0.1-go{}.{}-{}", self.version, self.goos, self.goarch)
    }

    /// The name in the hash file: `go1.26.8.linux-amd64.zip`.
    pub fn zip_name(&self) -> String {
        format!("go{}.{}-{}.zip", self.version, self.goos, self.goarch)
    }

    /// The directory every entry of the module zip sits in.
    fn zip_prefix(&self) -> String {
        format!("golang.org/toolchain@{}", self.module_version())
    }

    fn url(&self, proxy: &str) -> String {
        format!("{proxy}/golang.org/toolchain/@v/{}.zip", self.module_version())
    }
}

/// The proxy to fetch from, as the go command reads GOPROXY: a list separated
/// by `,` or `|`, tried in order. `direct` (fetching from the origin) does not
/// apply to the toolchain module and is skipped; `off` stops the list.
fn proxy_from(goproxy: Option<&str>, version: &str) -> anyhow::Result<String> {
    let goproxy = goproxy.map(str::trim).filter(|v| !v.is_empty()).unwrap_or(DEFAULT_PROXY);
    for entry in goproxy.split([',', '|']).map(str::trim).filter(|e| !e.is_empty()) {
        match entry {
            "direct" => continue,
            "off" => bail!(
                "GOPROXY={goproxy} forbids fetching Go {version}: install Go {version} (https://go.dev/dl/), \
                 set GOPROXY to a Go module proxy (e.g. {DEFAULT_PROXY}), or build in Dagger with --engine dagger"
            ),
            url if url.starts_with("https://") || url.starts_with("http://") => {
                return Ok(url.trim_end_matches('/').to_owned())
            }
            // The go command takes a bare host as https://.
            host if !host.contains("://") => return Ok(format!("https://{}", host.trim_end_matches('/'))),
            _ => continue,
        }
    }
    bail!(
        "GOPROXY={goproxy} names no Go module proxy to fetch Go {version} from: install Go {version} \
         (https://go.dev/dl/) or set GOPROXY (e.g. {DEFAULT_PROXY})"
    )
}

/// A proxy URL without any credentials in it, for messages.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|host| host.rsplit_once('@')) {
            Some((_, host)) => format!("{scheme}://…@{host}{}", &rest[rest.find('/').unwrap_or(rest.len())..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// `sha256sum` output: `<64 hex>  <name>` (or ` *<name>`) per line; blank lines are skipped.
pub fn parse_hashes(text: &str) -> anyhow::Result<BTreeMap<&str, String>> {
    let mut hashes = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || format_err!("{PINNED_FILE}:{}: expected `<sha256>  <file>`, found {line:?}", n + 1);
        let (hash, name) = line.split_once(' ').ok_or_else(bad)?;
        let name = name.strip_prefix([' ', '*']).ok_or_else(bad)?.trim_end();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(bad());
        }
        let hash = hash.to_ascii_lowercase();
        if let Some(other) = hashes.insert(name, hash.clone()) {
            if other != hash {
                bail!("{PINNED_FILE}:{}: {name} is listed twice with different hashes", n + 1);
            }
        }
    }
    Ok(hashes)
}

fn pinned_hash(release: &Release) -> anyhow::Result<String> {
    let hashes = parse_hashes(PINNED)?;
    let Some(hash) = hashes.get(release.zip_name().as_str()) else {
        let Release { version, goos, goarch } = release;
        return Err(NotPinned { version: version.clone(), platform: format!("{goos}/{goarch}") }.into());
    };
    Ok(hash.clone())
}

/// Why [`ensure`] could not fetch a Go: no hash is pinned for it on this machine.
#[derive(Debug)]
pub struct NotPinned {
    version: String,
    platform: String,
}

impl NotPinned {
    /// The fact alone, for a message that lists the fixes itself.
    pub fn fact(&self) -> String {
        format!("no pinned hash for go{} {} in {PINNED_FILE}, so it cannot be fetched", self.version, self.platform)
    }
}

impl std::fmt::Display for NotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = &self.version;
        write!(
            f,
            "no pinned hash for go{v} {} in {PINNED_FILE}: `cargo xtask toolchain --set {v}` verifies and pins \
             Go {v}'s hashes, or install Go {v}",
            self.platform
        )
    }
}

impl std::error::Error for NotPinned {}

/// Whether this machine's zip of Go `version` has a pinned hash (so [`ensure`] may fetch it).
pub fn pinned_here(version: &str) -> bool {
    Release::this_machine(version).is_ok_and(|r| pinned_hash(&r).is_ok())
}

/// Why [`ensure`] failed, in one clause: the missing pin said plainly, else the error.
pub fn why_unavailable(version: &str, e: &anyhow::Error) -> String {
    match e.downcast_ref::<NotPinned>() {
        Some(not_pinned) => not_pinned.fact(),
        None => format!("cannot get Go {version}: {e:#}"),
    }
}

/// The whole module zip, in memory (about 70 MB), with progress on stderr.
fn download(url: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let shown = redact(url);
        let client = client()?;
        let mut progress = Progress::start(what);
        let mut response =
            client.get(url).send().await.map_err(|e| format_err!("cannot fetch {shown}: {}", cause(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let said = body.lines().next().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!(": {l}"));
            bail!("cannot fetch {shown}: the proxy answered {status}{}", said.unwrap_or_default());
        }
        let total = response.content_length();
        if total.is_some_and(|t| t > MAX_ZIP) {
            bail!("{shown} is {} MB: not a Go toolchain", total.unwrap_or(0) / 1_000_000);
        }
        progress.total = total;
        let mut zip = Vec::with_capacity(total.unwrap_or(0) as usize);
        let mut last_data = Instant::now();
        loop {
            interrupt::check()?;
            // Short waits, so that Ctrl-C and a stalled connection are noticed.
            match tokio::time::timeout(Duration::from_millis(250), response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    zip.extend_from_slice(&chunk);
                    last_data = Instant::now();
                    if zip.len() as u64 > MAX_ZIP {
                        bail!("{shown} sent more than {} MB: not a Go toolchain", MAX_ZIP / 1_000_000);
                    }
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => bail!("cannot fetch {shown}: {}", cause(&e)),
                Err(_) if last_data.elapsed() > Duration::from_secs(60) => {
                    bail!("cannot fetch {shown}: no data for 60 s")
                }
                Err(_) => {}
            }
            progress.show(zip.len() as u64);
        }
        if let Some(total) = total.filter(|&t| t != zip.len() as u64) {
            bail!("cannot fetch {shown}: the connection closed after {} of {total} bytes", zip.len());
        }
        progress.done(zip.len() as u64);
        Ok(zip)
    })
}

/// The system's CA bundle, where the go command and curl find it: a machine
/// behind a TLS-inspecting proxy trusts that proxy there, and rustls knows
/// only its built-in (Mozilla) roots.
const CA_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// An HTTP client trusting the built-in roots and the system's (SSL_CERT_FILE, else [`CA_BUNDLES`]).
fn client() -> anyhow::Result<reqwest::Client> {
    let builder = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("cargo-xtask/", env!("CARGO_PKG_VERSION")))
    };
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(CA_BUNDLES.iter().map(PathBuf::from))
        .find_map(|file| fs::read(file).ok());
    let roots = bundle.and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok()).unwrap_or_default();
    let with = |roots: &[reqwest::Certificate]| {
        roots.iter().cloned().fold(builder(), reqwest::ClientBuilder::add_root_certificate).build()
    };
    match with(&roots) {
        Ok(client) => Ok(client),
        // One certificate rustls cannot read fails them all: keep the ones it can.
        Err(_) => {
            let readable: Vec<reqwest::Certificate> =
                roots.into_iter().filter(|c| with(std::slice::from_ref(c)).is_ok()).collect();
            Ok(with(&readable)?)
        }
    }
}

/// What went wrong, once: reqwest's message repeats its sources and names the URL again.
fn cause(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    format!("{what}: {inner}")
}

/// "fetching Go 1.26.8 for linux/amd64 from https://proxy.golang.org: 34/71 MB": one
/// updating line on a terminal, else a line every few seconds.
struct Progress {
    what: String,
    total: Option<u64>,
    terminal: bool,
    last: Instant,
    printed: bool,
}

impl Progress {
    fn start(what: &str) -> Progress {
        let terminal = std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("NO_COLOR").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let mut p = Progress { what: what.to_owned(), total: None, terminal, last: Instant::now(), printed: false };
        p.print(format!("fetching {what}"));
        p
    }

    fn line(&self, done: u64) -> String {
        match self.total {
            Some(total) => format!("fetching {}: {}/{} MB", self.what, mb(done), mb(total)),
            None => format!("fetching {}: {} MB", self.what, mb(done)),
        }
    }

    fn show(&mut self, done: u64) {
        let every = if self.terminal { Duration::from_millis(200) } else { Duration::from_secs(3) };
        if self.last.elapsed() >= every {
            self.last = Instant::now();
            self.print(self.line(done));
        }
    }

    fn done(&mut self, done: u64) {
        self.print(self.line(done));
    }

    fn print(&mut self, line: String) {
        // On a terminal each line replaces the one before (cursor up, clear line).
        let replace = if self.terminal && self.printed { "\x1b[1A\x1b[2K" } else { "" };
        crate::ui::say(format!("{replace}{line}"));
        self.printed = true;
    }
}

/// Whole megabytes (10^6 bytes), rounded.
fn mb(bytes: u64) -> u64 {
    (bytes + 500_000) / 1_000_000
}

/// Checks `zip` against the pinned hash, then unpacks it into `<root>/go<version>`
/// through a temporary directory beside it; returns the path of its `go`.
fn install(zip: &[u8], expected: &str, url: &str, release: &Release, root: &Path) -> anyhow::Result<PathBuf> {
    let actual = sha256_hex(zip);
    if !actual.eq_ignore_ascii_case(expected) {
        bail!(
            "the Go {} toolchain from {} does not match {PINNED_FILE}: expected sha256 {expected}, got {actual}; \
             nothing was extracted",
            release.version,
            redact(url)
        );
    }
    fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let dir = root.join(format!("go{}", release.version));
    crate::ui::say(format!("sha256 as pinned in {PINNED_FILE}; unpacking into {}", dir.display()));
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = TempDir(root.join(format!(".go{}.tmp-{}-{unique}", release.version, std::process::id())));
    fs::create_dir(&tmp.0).with_context(|| format!("cannot create {}", tmp.0.display()))?;
    extract(zip, &release.zip_prefix(), &tmp.0).with_context(|| format!("cannot unpack {}", redact(url)))?;
    let go = Path::new("bin").join(format!("go{}", std::env::consts::EXE_SUFFIX));
    if !tmp.0.join(&go).is_file() {
        bail!("{} holds no {}: not a Go toolchain", redact(url), go.display());
    }
    if let Err(e) = fs::rename(&tmp.0, &dir) {
        // Another run won the race: its copy is as good as ours (same hash).
        if !dir.join(&go).is_file() {
            bail!("cannot move Go {} into {}: {e}", release.version, dir.display());
        }
    }
    Ok(dir.join(go))
}

/// Removed when dropped, unless it was renamed away.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Unpacks every entry below `prefix/` into `into`; any other entry is an error.
fn extract(zip: &[u8], prefix: &str, into: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))?;
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        if i % 256 == 0 {
            interrupt::check()?;
        }
        let mut entry = archive.by_index(i)?;
        let name = entry.name().to_owned();
        let rel = entry
            .enclosed_name()
            .and_then(|p| p.strip_prefix(prefix).ok().map(Path::to_path_buf))
            .filter(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
            .ok_or_else(|| format_err!("unexpected entry {name:?} (everything must be below {prefix}/)"))?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let dest = into.join(&rel);
        if entry.is_dir() {
            fs::create_dir_all(&dest)?;
            continue;
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        buf.clear();
        entry.read_to_end(&mut buf).with_context(|| format!("cannot read {name}"))?;
        fs::write(&dest, &buf).with_context(|| format!("cannot write {}", dest.display()))?;
        // A module zip cannot hold nested modules: Go's own fetch restores each _go.mod as go.mod.
        if rel.file_name().is_some_and(|n| n == "_go.mod") {
            fs::write(dest.with_file_name("go.mod"), &buf)?;
        }
        if executable(&rel) {
            make_executable(&dest)?;
        }
    }
    Ok(())
}

/// Module zips keep no file modes: these are the files Go's own toolchain
/// switch marks executable (bin/*, pkg/tool/*/*, lib/…/go_*_*_exec).
fn executable(rel: &Path) -> bool {
    let parts: Vec<&str> = rel.components().filter_map(|c| c.as_os_str().to_str()).collect();
    match parts.as_slice() {
        ["bin", _] | ["pkg", "tool", _, _] => true,
        ["lib", .., name] => {
            name.starts_with("go_") && name.ends_with("_exec") && name.split('_').filter(|s| !s.is_empty()).count() >= 4
        }
        _ => false,
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot chmod {}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn release() -> Release {
        Release { version: "1.26.8".into(), goos: "linux".into(), goarch: "amd64".into() }
    }

    #[test]
    fn module_names_and_url() {
        let r = release();
        assert_eq!(r.zip_name(), "go1.26.8.linux-amd64.zip");
        assert_eq!(r.zip_prefix(), "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64");
        assert_eq!(
            r.url("https://proxy.golang.org"),
            "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip"
        );
    }

    #[test]
    fn proxy_comes_from_goproxy() {
        let p = |v: Option<&str>| proxy_from(v, "1.26.8");
        assert_eq!(p(None).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("")).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("https://proxy.golang.org,direct")).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("direct,https://goproxy.example/")).unwrap(), "https://goproxy.example");
        assert_eq!(p(Some("https://a.example/mirror|https://b.example")).unwrap(), "https://a.example/mirror");
        assert_eq!(p(Some(" http://127.0.0.1:3000 , off")).unwrap(), "http://127.0.0.1:3000");
        assert_eq!(p(Some("goproxy.example")).unwrap(), "https://goproxy.example");
        let err = p(Some("off")).unwrap_err().to_string();
        assert!(err.contains("GOPROXY=off forbids fetching Go 1.26.8: install Go 1.26.8"), "{err}");
        // As for the go command, nothing after `off` is tried.
        let err = p(Some("direct,off,https://a.example")).unwrap_err().to_string();
        assert!(err.contains("forbids fetching Go 1.26.8"), "{err}");
        let err = p(Some("direct")).unwrap_err().to_string();
        assert!(err.contains("GOPROXY=direct names no Go module proxy"), "{err}");
        let err = p(Some("file:///srv/goproxy")).unwrap_err().to_string();
        assert!(err.contains("names no Go module proxy"), "{err}");
    }

    #[test]
    fn credentials_stay_out_of_messages() {
        assert_eq!(redact("https://user:secret@goproxy.example/m"), "https://…@goproxy.example/m");
        assert_eq!(redact("https://proxy.golang.org"), "https://proxy.golang.org");
    }

    #[test]
    fn hash_file_parses() {
        let a = "a".repeat(64);
        let text = format!("{a}  go1.26.8.linux-amd64.zip\n\n{} *go1.26.8.darwin-arm64.zip\n", "B".repeat(64));
        let hashes = parse_hashes(&text).unwrap();
        assert_eq!(hashes["go1.26.8.linux-amd64.zip"], a);
        assert_eq!(hashes["go1.26.8.darwin-arm64.zip"], "b".repeat(64));
        for bad in ["abc  go.zip".to_owned(), format!("{a} go.zip"), a.clone(), format!("{}  go.zip", "g".repeat(64))] {
            let err = parse_hashes(&bad).unwrap_err().to_string();
            assert!(err.contains("go-toolchains.sha256:1: expected `<sha256>  <file>`"), "{bad}: {err}");
        }
        let err = parse_hashes(&format!("{a}  x.zip\n{}  x.zip\n", "c".repeat(64))).unwrap_err().to_string();
        assert!(err.contains(":2: x.zip is listed twice"), "{err}");
    }

    #[test]
    fn the_pinned_file_covers_the_default_go() {
        let hashes = parse_hashes(PINNED).unwrap();
        let v = crate::settings::DEFAULT_GO;
        for platform in ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"] {
            assert!(hashes.contains_key(format!("go{v}.{platform}.zip").as_str()), "no hash for {platform}");
        }
        let err = pinned_hash(&Release { version: "1.26.9".into(), goos: "linux".into(), goarch: "riscv64".into() })
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "no pinned hash for go1.26.9 linux/riscv64 in xtask/go-toolchains.sha256: \
             `cargo xtask toolchain --set 1.26.9` verifies and pins Go 1.26.9's hashes, or install Go 1.26.9"
        );
    }

    /// A small module zip: `files` below the release's prefix (or, with a leading `/`, as named).
    fn module_zip(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in files {
            let name = match name.strip_prefix('/') {
                Some(raw) => raw.to_owned(),
                None => format!("{}/{name}", release().zip_prefix()),
            };
            w.start_file(name, options).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                found.push(path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
                if path.is_dir() {
                    pending.push(path);
                }
            }
        }
        found.sort();
        found
    }

    const URL: &str = "https://proxy.example/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip";

    #[test]
    fn a_zip_with_another_hash_is_refused_and_nothing_is_written() {
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("cargo-xtask-go");
        let zip = module_zip(&[("bin/go", "#!/bin/sh\n"), ("VERSION", "go1.26.8\n")]);
        let wrong = sha256_hex(b"something else");
        let err = install(&zip, &wrong, URL, &release(), &cache).unwrap_err().to_string();
        assert!(err.contains(&format!("expected sha256 {wrong}, got {}", sha256_hex(&zip))), "{err}");
        assert!(err.contains(URL) && err.contains("nothing was extracted"), "{err}");
        assert_eq!(names(root.path()), Vec::<String>::new());
    }

    #[test]
    fn a_matching_zip_is_unpacked_into_place() {
        let root = tempfile::tempdir().unwrap();
        let zip = module_zip(&[
            ("bin/go", "#!/bin/sh\n"),
            ("bin/gofmt", "#!/bin/sh\n"),
            ("pkg/tool/linux_amd64/compile", "tool"),
            ("lib/wasm/go_js_wasm_exec", "#!/bin/sh\n"),
            ("lib/wasm/wasm_exec.js", "js"),
            ("src/_go.mod", "module std\n"),
            ("VERSION", "go1.26.8\n"),
        ]);
        let go = install(&zip, &sha256_hex(&zip), URL, &release(), root.path()).unwrap();
        assert_eq!(go, root.path().join("go1.26.8/bin/go"));
        assert_eq!(
            names(root.path()),
            [
                "go1.26.8",
                "go1.26.8/VERSION",
                "go1.26.8/bin",
                "go1.26.8/bin/go",
                "go1.26.8/bin/gofmt",
                "go1.26.8/lib",
                "go1.26.8/lib/wasm",
                "go1.26.8/lib/wasm/go_js_wasm_exec",
                "go1.26.8/lib/wasm/wasm_exec.js",
                "go1.26.8/pkg",
                "go1.26.8/pkg/tool",
                "go1.26.8/pkg/tool/linux_amd64",
                "go1.26.8/pkg/tool/linux_amd64/compile",
                "go1.26.8/src",
                "go1.26.8/src/_go.mod",
                "go1.26.8/src/go.mod",
            ]
        );
        assert_eq!(fs::read_to_string(root.path().join("go1.26.8/src/go.mod")).unwrap(), "module std\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |rel: &str| fs::metadata(root.path().join("go1.26.8").join(rel)).unwrap().permissions().mode();
            for rel in ["bin/go", "bin/gofmt", "pkg/tool/linux_amd64/compile", "lib/wasm/go_js_wasm_exec"] {
                assert_eq!(mode(rel) & 0o111, 0o111, "{rel}");
            }
            for rel in ["VERSION", "lib/wasm/wasm_exec.js", "src/go.mod"] {
                assert_eq!(mode(rel) & 0o111, 0, "{rel}");
            }
        }
        assert_eq!(cached(root.path(), "1.26.8"), Some(go.clone()));

        // A second install (a run that lost the race) keeps the winner's copy.
        fs::write(root.path().join("go1.26.8/VERSION"), "winner").unwrap();
        assert_eq!(install(&zip, &sha256_hex(&zip), URL, &release(), root.path()).unwrap(), go);
        assert_eq!(fs::read_to_string(root.path().join("go1.26.8/VERSION")).unwrap(), "winner");
        assert_eq!(names(root.path()).iter().filter(|n| !n.contains('/')).count(), 1, "{:?}", names(root.path()));
    }

    #[test]
    fn entries_outside_the_module_are_refused() {
        for outside in ["/elsewhere/bin/go", "/golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/../../../escape"] {
            let root = tempfile::tempdir().unwrap();
            let cache = root.path().join("cache");
            let zip = module_zip(&[("bin/go", "go"), (outside, "x")]);
            let err = format!("{:#}", install(&zip, &sha256_hex(&zip), URL, &release(), &cache).unwrap_err());
            assert!(err.contains("unexpected entry"), "{err}");
            assert_eq!(names(root.path()), ["cache"], "only the (empty) cache directory");
        }
    }

    #[test]
    fn versions_are_plain_releases() {
        for good in ["1.26.8", "1.27rc1"] {
            check_version(good).unwrap();
        }
        for bad in ["", "../1.26.8", "1.26.8/x", "go1.26.8", "1.26..8"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
