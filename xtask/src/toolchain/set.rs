//! `cargo xtask toolchain --set VERSION`: another Go for the project, in every
//! place that names it, all or nothing.
//!
//! The go command downloads each platform's toolchain module
//! (`golang.org/toolchain@v0.0.1-go<VERSION>.<os>-<arch>`) into a temporary
//! module cache and checks it against the Go checksum database (GOSUMDB): that
//! is the verification. The SHA-256 of each verified zip then goes to
//! `xtask/go-toolchains.sha256` (what the host engine checks a fetched Go
//! against), VERSION to `app.go` in the settings file (edited in place:
//! comments and layout kept) and to every `go-version:` line of
//! `.github/workflows`. Nothing is written unless every platform verified.
//! What changed is reported to the command (commands/toolchain.rs), which prints it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, format_err, Context};

use super::pins::{parse_hashes, update_hashes, PINNED_FILE};
use super::Release;
use crate::settings::{Resolved, Settings};
use crate::{interrupt, ui};

/// The platforms pinned, in the hash file's order.
const PLATFORMS: [(&str, &str); 6] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];

/// Where a proxy may not serve the zips (the Go module proxy here refuses the
/// windows ones with 403): a warning, not an error.
const OPTIONAL_OS: &str = "windows";

/// What [`set_everywhere`] did, for the command to print.
pub struct Report {
    /// Each file replaced, as shown (relative to the project), and what changed in it.
    pub changed: Vec<(String, String)>,
    /// The files that already said the version, as shown.
    pub untouched: Vec<String>,
    /// Whether the hash file changed: it is built into the xtask, which the next run recompiles.
    pub hashes_changed: bool,
    /// The command to run next.
    pub next: String,
}

/// Verifies Go `version` for every platform, then sets it in the hash file,
/// the settings file (`settings`, else dist.toml) and the workflows, all or
/// nothing; nothing is written when every file already says it.
pub fn set_everywhere(version: &str, settings: Option<&Path>) -> anyhow::Result<Report> {
    if crate::settings::check_go_version(version).is_err() {
        bail!("--set {version:?}: give an exact Go release such as \"{}\"", crate::settings::DEFAULT_GO);
    }
    let root = crate::project::root();
    let settings_file = std::path::absolute(settings.map_or_else(|| root.join("dist.toml"), Path::to_path_buf))?;
    // A broken settings or hash file is refused before anything is downloaded.
    let current = Settings::load(&settings_file)?;
    let hash_file = root.join(PINNED_FILE);
    let old_hashes = read_text(&hash_file)?;
    parse_hashes(old_hashes.as_deref().unwrap_or("")).with_context(|| format!("fix {} first", hash_file.display()))?;
    let old_settings = read_text(&settings_file)?;
    let workflows = workflow_files(&root.join(".github/workflows"))?;

    let go = go_command(&current.go_version)?;
    let verified = download(&go, version)?;

    if let Some((_, error)) = verified.unserved.first() {
        let names: Vec<String> = verified.unserved.iter().map(|(r, _)| format!("{}/{}", r.goos, r.goarch)).collect();
        let old = parse_hashes(old_hashes.as_deref().unwrap_or(""))?;
        let kept: Vec<String> =
            verified.unserved.iter().map(|(r, _)| r.zip_name()).filter(|n| old.contains_key(n.as_str())).collect();
        ui::warn(format!(
            "the Go module proxy does not serve Go {version} for {} ({}): no hash pinned for them{}; \
             on those machines, install Go {version}",
            names.join(" "),
            short_reason(error),
            if kept.is_empty() {
                String::new()
            } else {
                format!(" (kept the lines already there: {})", kept.join(" "))
            }
        ));
    }

    let shown = |path: &Path| path.strip_prefix(&root).unwrap_or(path).display().to_string();
    let mut changes: Vec<Change> = Vec::new();
    let mut untouched: Vec<String> = Vec::new();

    let pinned: Vec<(String, String)> = verified.hashes.iter().map(|(r, h)| (r.zip_name(), h.clone())).collect();
    let new_hashes = update_hashes(old_hashes.as_deref().unwrap_or(""), &pinned);
    let platforms: Vec<String> = verified.hashes.iter().map(|(r, _)| format!("{}/{}", r.goos, r.goarch)).collect();
    let what = format!("go{version}: {}", platforms.join(" "));
    push_change(&mut changes, &mut untouched, &hash_file, old_hashes, new_hashes, what, &shown);

    let new_settings = set_app_go(old_settings.as_deref().unwrap_or(""), version)
        .with_context(|| format!("cannot set app.go in {}", settings_file.display()))?;
    check_settings(&settings_file, &new_settings, version)?;
    let what = format!("app.go = \"{version}\"");
    push_change(&mut changes, &mut untouched, &settings_file, old_settings, new_settings, what, &shown);

    for file in &workflows {
        let old = fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let edit = set_workflow_go(&old, version);
        for (line, value) in &edit.skipped {
            ui::warn(format!("{}:{line}: left `go-version: {value}` alone: not a plain version", shown(file)));
        }
        if edit.lines.is_empty() {
            continue;
        }
        let lines: Vec<String> = edit.lines.iter().map(usize::to_string).collect();
        let what = format!("go-version, line {}", lines.join(", "));
        push_change(&mut changes, &mut untouched, file, Some(old), edit.text, what, &shown);
    }

    if let Some(image) = &current.raw.app.image {
        match image_go(image) {
            Some(go) if go == version => {}
            Some(go) => ui::warn(format!(
                "`app.image` = {image:?} in {} holds Go {go}, not {version}: left as it is; the Dagger engine \
                 stops until it holds Go {version} (or remove it to use golang:{version})",
                shown(&settings_file)
            )),
            None => ui::warn(format!(
                "`app.image` = {image:?} in {} names no Go version: left as it is; the Dagger engine stops \
                 unless it holds Go {version}",
                shown(&settings_file)
            )),
        }
    }

    let next = match settings {
        Some(_) => format!("cargo xtask dist --settings {}", settings_file.display()),
        None => "cargo xtask dist".to_owned(),
    };
    if !changes.is_empty() {
        interrupt::check()?;
        write_all(&changes)?;
    }
    Ok(Report {
        hashes_changed: changes.iter().any(|c| c.path == hash_file),
        changed: changes.into_iter().map(|c| (c.shown, c.what)).collect(),
        untouched,
        next,
    })
}

/// One file to replace: what it held (`None`: absent) and what it will hold.
struct Change {
    path: PathBuf,
    shown: String,
    what: String,
    old: Option<String>,
    new: String,
}

fn push_change(
    changes: &mut Vec<Change>,
    untouched: &mut Vec<String>,
    path: &Path,
    old: Option<String>,
    new: String,
    what: String,
    shown: &dyn Fn(&Path) -> String,
) {
    if old.as_deref() == Some(new.as_str()) {
        untouched.push(shown(path));
    } else {
        changes.push(Change { path: path.to_path_buf(), shown: shown(path), what, old, new });
    }
}

/// A file's text, `None` if it does not exist.
fn read_text(path: &Path) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `*.yml` and `*.yaml` in `dir`, sorted; none if there is no such directory.
fn workflow_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The go that downloads: the pinned one where it is at hand, else any go on
/// PATH (the checksum database check is the same in every go since 1.13), else
/// the pinned one fetched.
fn go_command(pinned: &str) -> anyhow::Result<PathBuf> {
    use crate::toolchain::{ensure, locate, Found};
    if locate(pinned) == Found::Missing {
        if let Some(go) = crate::project::on_path("go") {
            return Ok(go);
        }
    }
    ensure(pinned).context("no go command to download the toolchain modules with: install Go, then run this again")
}

/// What the go command verified.
struct Verified {
    /// Each platform's release and the SHA-256 of its zip, in [`PLATFORMS`] order.
    hashes: Vec<(Release, String)>,
    /// Platforms the proxy does not serve (windows, here), with go's error.
    unserved: Vec<(Release, String)>,
}

/// One module as `go mod download -json` reports it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Downloaded {
    version: String,
    #[serde(default)]
    zip: Option<PathBuf>,
    #[serde(default)]
    error: Option<String>,
}

/// Every platform's zip, downloaded and checked by the go command in a
/// temporary module cache (removed afterwards), then hashed.
fn download(go: &Path, version: &str) -> anyhow::Result<Verified> {
    let releases: Vec<Release> = PLATFORMS
        .iter()
        .map(|(os, arch)| Release { version: version.to_owned(), goos: (*os).to_owned(), goarch: (*arch).to_owned() })
        .collect();
    let tmp = TempTree::new()?;
    let work = tmp.0.join("work");
    fs::create_dir(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let sumdb = std::env::var("GOSUMDB").unwrap_or_default();
    let checked = if sumdb.trim() == "off" {
        ui::warn("GOSUMDB=off: the go command checks the zips against no checksum database; their hashes are pinned as downloaded");
        "not checked: GOSUMDB=off".to_owned()
    } else if let Some(var) = unchecked_by() {
        ui::warn(format!(
            "{var} excludes golang.org/toolchain from the checksum database: the hashes are pinned as downloaded"
        ));
        format!("not checked: {var}")
    } else {
        format!("checked against {}", if sumdb.trim().is_empty() { "sum.golang.org" } else { sumdb.trim() })
    };
    ui::say(format!(
        "downloading Go {version} for {} platforms with {} ({checked}; about 70 MB each)…",
        releases.len(),
        go.display()
    ));
    let mut cmd = Command::new(go);
    cmd.args(["mod", "download", "-json"])
        .args(releases.iter().map(|r| format!("golang.org/toolchain@{}", r.module_version())))
        .current_dir(&work)
        .env_clear();
    for key in ["PATH", "HOME"].iter().chain(crate::toolchain::SYSTEM_ENV).chain(&crate::plan::DOWNLOAD_ENV_ALLOWED) {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(crate::plan::PROBE_GO_ENV)
        .env("GOMODCACHE", tmp.0.join("mod"))
        .env("GOPATH", tmp.0.join("gopath"))
        .env("GOCACHE", tmp.0.join("cache"));
    let out = cmd.output().with_context(|| format!("cannot run {}", go.display()))?;
    interrupt::check()?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_owned();
    let mut reported: BTreeMap<String, Downloaded> = BTreeMap::new();
    for item in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Downloaded>() {
        match item {
            Ok(d) => {
                reported.insert(d.version.clone(), d);
            }
            Err(_) => break,
        }
    }
    let mut hashes = Vec::new();
    let mut unserved: Vec<(Release, String)> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for release in releases {
        let platform = format!("{}/{}", release.goos, release.goarch);
        let Some(d) = reported.remove(&release.module_version()) else {
            failed.push(format!("{platform}: `go mod download` reported nothing ({})", out.status));
            continue;
        };
        match (d.error, d.zip) {
            (Some(error), _) if release.goos == OPTIONAL_OS && not_served(&error) => {
                unserved.push((release, error));
            }
            (Some(error), _) => failed.push(format!("{platform}: {error}")),
            (None, Some(zip)) => {
                let (_, hash) =
                    crate::digest::sha256_file(&zip).with_context(|| format!("cannot read {}", zip.display()))?;
                ui::say(format!("  {platform:<14} sha256 {hash}"));
                hashes.push((release, hash));
            }
            (None, None) => failed.push(format!("{platform}: `go mod download` named no zip")),
        }
    }
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|f| f.split(':').next().unwrap_or("")).collect();
        bail!(
            "cannot verify Go {version} for {}: nothing was changed\n{}{}",
            names.join(" "),
            failed.join("\n"),
            if stderr.is_empty() { String::new() } else { format!("\ngo's stderr:\n{stderr}") }
        );
    }
    Ok(Verified { hashes, unserved })
}

/// GONOSUMDB, GONOSUMCHECK or GOPRIVATE, if one of them names golang.org/toolchain.
fn unchecked_by() -> Option<&'static str> {
    ["GONOSUMDB", "GONOSUMCHECK", "GOPRIVATE"]
        .into_iter()
        .find(|var| std::env::var(var).is_ok_and(|patterns| matches_module(&patterns, "golang.org/toolchain")))
}

/// Go's GOPRIVATE matching: a comma-separated list of glob patterns, each
/// matching a path prefix of as many elements as it has.
fn matches_module(patterns: &str, module: &str) -> bool {
    patterns.split(',').map(str::trim).filter(|p| !p.is_empty()).any(|pattern| {
        let n = pattern.split('/').count();
        let elements: Vec<&str> = module.split('/').collect();
        elements.len() >= n && pattern.split('/').zip(&elements).all(|(p, e)| glob_match(p.as_bytes(), e.as_bytes()))
    })
}

/// `*` and `?` within one path element, as Go's path.Match.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&pattern[1..], text) || (!text.is_empty() && glob_match(pattern, &text[1..])),
        (Some(b'?'), Some(_)) => glob_match(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob_match(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// What go says when the proxy has no such zip: HTTP 403, 404 or 410, or no such file in a file:// proxy.
const NOT_SERVED: [&str; 5] =
    ["403 Forbidden", "404 Not Found", "410 Gone", "no such file or directory", "cannot find the file"];

fn not_served(error: &str) -> bool {
    NOT_SERVED.iter().any(|s| error.contains(s))
}

/// `403 Forbidden` rather than go's whole message with the URL.
fn short_reason(error: &str) -> &str {
    NOT_SERVED.iter().find(|s| error.contains(*s)).copied().unwrap_or(error)
}

/// A temporary directory, removed with everything in it when dropped (the
/// module cache's directories are read-only: made writable first).
struct TempTree(PathBuf);

impl TempTree {
    fn new() -> anyhow::Result<TempTree> {
        Ok(TempTree(crate::project::new_temp_dir("cargo-xtask-go-set")?))
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        make_writable(&self.0);
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn make_writable(dir: &Path) {
    let Ok(meta) = fs::symlink_metadata(dir) else { return };
    if !meta.is_dir() {
        return;
    }
    let mut perms = meta.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        perms.set_mode(perms.mode() | 0o700);
    }
    #[cfg(not(unix))]
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    let _ = fs::set_permissions(dir, perms);
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&path);
        } else if cfg!(windows) {
            // Windows cannot delete a read-only file.
            if let Ok(m) = fs::metadata(&path) {
                let mut p = m.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                p.set_readonly(false);
                let _ = fs::set_permissions(&path, p);
            }
        }
    }
}

/// `text` (a settings file) with `app.go` set to `version`: the value replaced
/// where it stands (its comment kept), else `go = "…"` added as the last key
/// of `[app]` (or of `app = { … }`, or as `app.go` after the last dotted
/// `app.` key), else an `[app]` table appended. Nothing else changes.
pub fn set_app_go(text: &str, version: &str) -> anyhow::Result<String> {
    use toml_edit::{ImDocument, Item, Value};
    let quoted = format!("\"{version}\"");
    let doc = ImDocument::parse(text).map_err(|e| format_err!("not valid TOML: {e}"))?;
    let splice =
        |range: std::ops::Range<usize>, with: &str| format!("{}{with}{}", &text[..range.start], &text[range.end..]);
    // After the line that holds byte `at`.
    let after_line = |at: usize, line: &str| {
        let end = text[at..].find('\n').map(|i| at + i + 1);
        match end {
            Some(end) => format!("{}{line}\n{}", &text[..end], &text[end..]),
            None => format!("{text}\n{line}\n"),
        }
    };
    let span_of = |item: &Item| item.span().ok_or_else(|| format_err!("cannot locate a value in the file"));
    match doc.as_table().get("app") {
        None => {
            let mut out = text.to_owned();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            if !out.trim().is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("[app]\ngo = {quoted}\n"));
            Ok(out)
        }
        Some(Item::Table(app)) => {
            if let Some(go) = app.get("go") {
                return Ok(splice(span_of(go)?, &quoted));
            }
            let last = app.iter().filter_map(|(_, item)| item.span()).map(|s| s.end).max();
            match (app.is_dotted(), last, app.span()) {
                (true, Some(end), _) => Ok(after_line(end, &format!("app.go = {quoted}"))),
                (false, Some(end), _) => Ok(after_line(end, &format!("go = {quoted}"))),
                (false, None, Some(header)) => Ok(after_line(header.end.saturating_sub(1), &format!("go = {quoted}"))),
                _ => bail!("cannot locate the [app] table"),
            }
        }
        Some(Item::Value(Value::InlineTable(app))) => {
            if let Some(go) = app.get("go") {
                let span = go.span().ok_or_else(|| format_err!("cannot locate app.go"))?;
                return Ok(splice(span, &quoted));
            }
            let span = app.span().ok_or_else(|| format_err!("cannot locate the app table"))?;
            match app.iter().filter_map(|(_, v)| v.span()).map(|s| s.end).max() {
                Some(end) => Ok(splice(end..end, &format!(", go = {quoted}"))),
                None => Ok(splice(span, &format!("{{ go = {quoted} }}"))),
            }
        }
        Some(_) => bail!("`app` is not a table"),
    }
}

/// The edited settings must still be valid and say `app.go = version`.
fn check_settings(file: &Path, text: &str, version: &str) -> anyhow::Result<Resolved> {
    let resolved = toml::from_str::<Settings>(text)
        .map_err(anyhow::Error::from)
        .and_then(|s| s.resolve(file))
        .with_context(|| format!("setting app.go would make {} invalid; nothing was changed", file.display()))?;
    if resolved.go_version != version {
        bail!("cannot set app.go in {}: it still reads {:?}; nothing was changed", file.display(), resolved.go_version);
    }
    Ok(resolved)
}

/// A workflow with its `go-version:` values set.
#[derive(Debug, PartialEq, Eq)]
pub struct WorkflowEdit {
    pub text: String,
    /// 1-based numbers of the lines that set a version (changed or not).
    pub lines: Vec<usize>,
    /// Lines left alone (an expression or a list), with their value.
    pub skipped: Vec<(usize, String)>,
}

/// Every `go-version: X` line (quoted or not, a trailing comment kept) set to `version`.
pub fn set_workflow_go(text: &str, version: &str) -> WorkflowEdit {
    let mut out = String::with_capacity(text.len());
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let indent = line.len() - line.trim_start().len();
        let Some(rest) = line[indent..].strip_prefix("go-version:") else {
            out.push_str(line);
            continue;
        };
        let start = indent + "go-version:".len() + (rest.len() - rest.trim_start().len());
        let value = &line[start..];
        let (open, close) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (1, value[1..].find(q).map(|i| i + 1)),
            _ => (0, Some(value.find(" #").unwrap_or(value.len()))),
        };
        let end = close.map(|c| {
            // An unquoted value ends before trailing blanks and the line's end.
            if open == 0 {
                value[..c].trim_end().len()
            } else {
                c
            }
        });
        let Some(end) = end else {
            out.push_str(line);
            skipped.push((n + 1, value.trim_end().to_owned()));
            continue;
        };
        let inner = &value[open..end];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
            out.push_str(line);
            skipped.push((n + 1, value.trim_end().to_owned()));
            continue;
        }
        out.push_str(&line[..start + open]);
        out.push_str(version);
        out.push_str(&value[end..]);
        lines.push(n + 1);
    }
    WorkflowEdit { text: out, lines, skipped }
}

/// The Go release an image's tag names: `golang:1.26.8`, `…/golang:1.26.8-alpine@sha256:…` → `1.26.8`.
fn image_go(image: &str) -> Option<String> {
    let name = image.split('@').next()?;
    let last = name.rsplit('/').next()?;
    let (_, tag) = last.split_once(':')?;
    let version: String = tag.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let version = version.trim_end_matches('.');
    crate::settings::check_go_version(version).is_ok().then(|| version.to_owned())
}

/// Replaces every file, or none: each new text is written beside its file
/// first; if a rename fails, the files already replaced get their old text back.
fn write_all(changes: &[Change]) -> anyhow::Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let remove_staged = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for c in changes {
        // Through a symlink: the file it names is replaced, not the link.
        let target = fs::canonicalize(&c.path).unwrap_or_else(|_| c.path.clone());
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.set-go-{}", std::process::id()));
        let written = fs::write(&tmp, &c.new).and_then(|()| match fs::metadata(&target) {
            Ok(meta) => fs::set_permissions(&tmp, meta.permissions()),
            Err(_) => Ok(()),
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            remove_staged(&staged);
            bail!("cannot write {}: {e}; nothing was changed", tmp.display());
        }
        staged.push((tmp, target));
    }
    for (i, (tmp, target)) in staged.iter().enumerate() {
        if let Err(e) = fs::rename(tmp, target) {
            let mut restored = true;
            for ((_, done), c) in staged[..i].iter().zip(changes) {
                restored &= match &c.old {
                    Some(old) => fs::write(done, old).is_ok(),
                    None => fs::remove_file(done).is_ok(),
                };
            }
            remove_staged(&staged[i..]);
            bail!(
                "cannot replace {}: {e}; {}",
                target.display(),
                if restored { "the files changed before it were restored" } else { "some files could not be restored" }
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_go_is_replaced_in_place_keeping_comments_and_layout() {
        let text = "# settings\n\n[app]\ndir = \"app\"   # the module\ngo = \"1.26.8\"           # exact Go version\n# image = \"golang:1.26.8\"\n\n[build]\nldflags = []\n";
        let out = set_app_go(text, "1.27.1").unwrap();
        assert_eq!(out, text.replace("go = \"1.26.8\"", "go = \"1.27.1\""));
        // Single quotes, a literal string, odd spacing: only the value changes.
        let text = "[app]\n  go   =   '1.26.8'  # pinned\n";
        assert_eq!(set_app_go(text, "1.27.1").unwrap(), "[app]\n  go   =   \"1.27.1\"  # pinned\n");
    }

    #[test]
    fn app_go_is_added_under_app_when_absent() {
        let text =
            "# top\n[app]\ndir = \"app\" # module\n# a comment after the last key\n\n[targets]\nos = [\"linux\"]\n";
        assert_eq!(
            set_app_go(text, "1.27.1").unwrap(),
            "# top\n[app]\ndir = \"app\" # module\ngo = \"1.27.1\"\n# a comment after the last key\n\n[targets]\nos = [\"linux\"]\n"
        );
        // An empty [app], at the end of a file without a final newline.
        assert_eq!(
            set_app_go("[build]\ntags = []\n[app]", "1.27.1").unwrap(),
            "[build]\ntags = []\n[app]\ngo = \"1.27.1\"\n"
        );
        assert_eq!(
            set_app_go("[app]  # ours\n\n[build]\n", "1.27.1").unwrap(),
            "[app]  # ours\ngo = \"1.27.1\"\n\n[build]\n"
        );
        // A multi-line value before it.
        let text = "[app]\nmain = \"\"\"\n./cmd/x\"\"\"\n[build]\n";
        assert_eq!(
            set_app_go(text, "1.27.1").unwrap(),
            "[app]\nmain = \"\"\"\n./cmd/x\"\"\"\ngo = \"1.27.1\"\n[build]\n"
        );
    }

    #[test]
    fn app_table_is_created_when_absent() {
        assert_eq!(set_app_go("", "1.27.1").unwrap(), "[app]\ngo = \"1.27.1\"\n");
        assert_eq!(
            set_app_go("# only targets\n[targets]\nos = [\"linux\"]", "1.27.1").unwrap(),
            "# only targets\n[targets]\nos = [\"linux\"]\n\n[app]\ngo = \"1.27.1\"\n"
        );
    }

    #[test]
    fn inline_and_dotted_app_tables_are_edited_in_place() {
        assert_eq!(
            set_app_go("app = { dir = \".\", go = \"1.26.8\" } # inline\n", "1.27.1").unwrap(),
            "app = { dir = \".\", go = \"1.27.1\" } # inline\n"
        );
        assert_eq!(
            set_app_go("app = { dir = \".\" }\n", "1.27.1").unwrap(),
            "app = { dir = \".\", go = \"1.27.1\" }\n"
        );
        assert_eq!(set_app_go("app = {}\n", "1.27.1").unwrap(), "app = { go = \"1.27.1\" }\n");
        assert_eq!(
            set_app_go("app.dir = \".\"\napp.main = \"./cmd/x\"\n\n[build]\n", "1.27.1").unwrap(),
            "app.dir = \".\"\napp.main = \"./cmd/x\"\napp.go = \"1.27.1\"\n\n[build]\n"
        );
        assert!(set_app_go("app = 3\n", "1.27.1").unwrap_err().to_string().contains("`app` is not a table"));
        assert!(set_app_go("[app\n", "1.27.1").unwrap_err().to_string().contains("not valid TOML"));
    }

    #[test]
    fn every_edit_of_the_template_settings_still_loads() {
        let file = crate::project::root().join("dist.toml");
        let text = fs::read_to_string(&file).unwrap();
        let out = set_app_go(&text, "1.27.1").unwrap();
        let resolved = check_settings(&file, &out, "1.27.1").unwrap();
        assert_eq!(resolved.image, "golang:1.27.1");
        let changed: Vec<(&str, &str)> = text.lines().zip(out.lines()).filter(|(a, b)| a != b).collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].1.starts_with("go = \"1.27.1\" "), "{changed:?}");
        assert_eq!(text.lines().count(), out.lines().count());
    }

    #[test]
    fn workflow_go_versions_are_set_and_expressions_left_alone() {
        let text = "jobs:\n  a:\n    steps:\n      - uses: actions/setup-go@v5\n        with:\n          go-version: \"1.26.8\" # keep equal\n      - with:\n          go-version: 1.26.8\r\n          go-version:   '1.26.8'\n          go-version: ${{ matrix.go }}\n          go-version-file: go.mod\n          cache-key: go-version: 1\n";
        let edit = set_workflow_go(text, "1.27.1");
        assert_eq!(
            edit.text,
            text.replace("\"1.26.8\"", "\"1.27.1\"").replace(" 1.26.8\r", " 1.27.1\r").replace("'1.26.8'", "'1.27.1'")
        );
        assert_eq!(edit.lines, [6, 8, 9]);
        assert_eq!(edit.skipped, [(10, "${{ matrix.go }}".to_owned())]);
        assert_eq!(set_workflow_go(&edit.text, "1.27.1").text, edit.text);
    }

    #[test]
    fn the_go_of_an_image_is_read_from_its_tag() {
        assert_eq!(image_go("golang:1.26.8").as_deref(), Some("1.26.8"));
        assert_eq!(
            image_go("registry.internal:5000/library/golang:1.25.5-alpine@sha256:abc").as_deref(),
            Some("1.25.5")
        );
        assert_eq!(image_go("golang@sha256:abc"), None);
        assert_eq!(image_go("registry.internal:5000/golang"), None);
        assert_eq!(image_go("golang:bookworm"), None);
    }

    #[test]
    fn module_patterns_match_as_go_does() {
        assert!(matches_module("golang.org", "golang.org/toolchain"));
        assert!(matches_module("example.com,*.org/toolchain", "golang.org/toolchain"));
        assert!(matches_module("golang.org/*", "golang.org/toolchain"));
        assert!(!matches_module("golang.org/x", "golang.org/toolchain"));
        assert!(!matches_module("example.com", "golang.org/toolchain"));
        assert!(!matches_module("golang.org/toolchain/more", "golang.org/toolchain"));
        assert!(!matches_module("", "golang.org/toolchain"));
    }

    #[test]
    fn not_served_is_a_missing_zip_only() {
        assert!(not_served("reading https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.8.windows-amd64.info: 403 Forbidden\n\tserver response: This module version is not available."));
        assert!(not_served("reading file:///p/golang.org/toolchain/@v/x.info: no such file or directory"));
        assert!(!not_served("reading https://proxy.example/x.zip: 500 Internal Server Error"));
        assert!(!not_served("verifying golang.org/toolchain@v0.0.1-go1.26.8.windows-amd64: checksum mismatch"));
    }
}
