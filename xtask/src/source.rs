//! What the Go build reads: the directory uploaded to an engine and how
//! modules are resolved (vendored or downloaded).
//!
//! The upload is the smallest directory holding the module, its `go.work` and
//! every local `replace` target, less what never feeds a build: `.git`, what
//! `.gitignore` ignores (as git itself reports it), and our own outputs —
//! the output directory, its lock and staging siblings, Cargo's target
//! directory and the xtask crate — located from their real paths. A path that
//! changes on every run (the lock) in the upload would change the engine's
//! cache key and rebuild every target.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::Context;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Source {
    /// Uploaded directory (absolute, on the host).
    pub root: PathBuf,
    /// The Go module relative to `root`, with `/` separators; empty when it is `root`.
    pub module: String,
    /// Patterns relative to `root` (Dagger's dockerignore syntax) left out of the upload.
    pub exclude: Vec<String>,
    /// The `go.work` that applies, if any.
    pub workspace: Option<PathBuf>,
    /// Modules come from `vendor/`: nothing to download, no network needed.
    pub vendored: bool,
    /// The part of `exclude` that is ours (outputs, target dir, xtask), as literal relative paths.
    #[serde(skip)]
    own: Vec<String>,
}

/// Paths of this run's own outputs, left out of the upload.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// The output directory; its `.NAME.lock`, `.NAME.staging-*` and `.NAME.old-*` siblings go too.
    pub out: PathBuf,
    /// Directories of ours that hold no Go code: Cargo's target directory, the xtask crate.
    pub ours: Vec<PathBuf>,
}

impl Outputs {
    /// The running xtask's own directories: the target directory it was built
    /// into (found from the executable, so CARGO_TARGET_DIR is honoured) and its crate.
    pub fn of_this_xtask(out: &Path) -> Outputs {
        let mut ours = vec![crate::project::root().join("xtask")];
        if let Ok(exe) = std::env::current_exe() {
            // <target>/<profile>/xtask, or <target>/<profile>/deps/xtask-<hash> under `cargo test`.
            if let Some(target) = exe.ancestors().skip(1).find(|d| d.join("CACHEDIR.TAG").is_file()) {
                ours.push(target.to_path_buf());
            }
        }
        Outputs { out: out.to_path_buf(), ours }
    }
}

impl Source {
    /// The source of the settings' module, for a run writing to `out`.
    pub fn of(settings: &crate::settings::Resolved, out: &Path) -> anyhow::Result<Source> {
        let goflags = settings.build.env.get("GOFLAGS").cloned().unwrap_or_default();
        Source::find(&settings.app_dir, &settings.build.flags, &goflags, &Outputs::of_this_xtask(out))
    }

    /// Looks at the module in `module_dir` with the build's `go build` flags and environment.
    pub fn find(module_dir: &Path, flags: &[String], goflags: &str, outputs: &Outputs) -> anyhow::Result<Source> {
        // The real directory, as Go sees it (it runs with no PWD, so its working
        // directory is the resolved one) and as Dagger uploads it (it resolves the
        // path it is given): a symlinked app dir is the module it points to, and
        // go.work and `replace ../x` are found from there, not from the link.
        let module_dir = real_path(module_dir)?;
        let go_mod = std::fs::read_to_string(module_dir.join("go.mod"))
            .with_context(|| format!("cannot read {}", module_dir.join("go.mod").display()))?;

        let mut dirs = vec![module_dir.clone()];
        dirs.extend(local_replaces(&go_mod).into_iter().map(|p| normalize(&module_dir.join(p))));
        let workspace = find_go_work(&module_dir);
        if let Some(work) = &workspace {
            let work_dir = work.parent().expect("a file has a parent").to_path_buf();
            let text = std::fs::read_to_string(work).with_context(|| format!("cannot read {}", work.display()))?;
            dirs.push(work_dir.clone());
            dirs.extend(work_uses(&text).into_iter().map(|p| normalize(&work_dir.join(p))));
            dirs.extend(local_replaces(&text).into_iter().map(|p| normalize(&work_dir.join(p))));
        }
        let root = common_ancestor(&dirs);
        let module = relative(&module_dir, &root).expect("the root holds the module");

        let mut exclude = vec![".git".to_owned(), "**/.git".to_owned()];
        let mut own = Vec::new();
        let out = real_path(&outputs.out)?;
        if let (Some(parent), Some(name)) = (out.parent(), out.file_name()) {
            let name = name.to_string_lossy();
            if let Some(rel) = relative(&out, &root).filter(|r| !r.is_empty()) {
                exclude.push(escape(&rel));
                own.push(rel);
            }
            if let Some(rel) = relative(parent, &root) {
                let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
                own.push(format!("{prefix}.{name}."));
                let (prefix, name) = (escape(&prefix), escape(&name));
                exclude.extend([".lock", ".staging-*", ".old-*"].map(|s| format!("{prefix}.{name}{s}")));
            }
        }
        for dir in &outputs.ours {
            if let Some(rel) = relative(&real_path(dir)?, &root).filter(|r| !r.is_empty()) {
                exclude.push(escape(&rel));
                own.push(rel);
            }
        }
        exclude.extend(git_ignored(&root)?.iter().map(|p| escape(p.trim_end_matches('/'))));
        exclude.dedup();

        let vendored = uses_vendor(&module_dir, &go_mod, workspace.as_deref(), flags, goflags);
        Ok(Source { root, module, exclude, workspace, vendored, own })
    }

    /// A digest of what a build can read: every uploaded file (path and content,
    /// a symlink as its target, a directory git lists whole — a submodule — by
    /// its files), and also what git ignores, by path, size and mtime (the host
    /// engine's `go build` can read those too, e.g. through `//go:embed`).
    pub fn digest(&self) -> anyhow::Result<String> {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        let mut uploaded = self.files()?;
        let mut i = 0;
        while i < uploaded.len() {
            let rel = uploaded[i].clone();
            i += 1;
            let path = self.root.join(&rel);
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // deleted, still tracked
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            };
            let content = if meta.is_symlink() {
                std::fs::read_link(&path)?.to_string_lossy().into_owned().into_bytes()
            } else if meta.is_file() {
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?
            } else if meta.is_dir() {
                // A submodule (or nested repository): git lists it as one entry.
                uploaded.extend(walk_files(&path, &self.root)?.into_iter().filter(|f| !self.is_own(f)));
                continue;
            } else {
                continue;
            };
            part(rel.as_bytes());
            part(&content);
        }
        part(b"ignored");
        for rel in self.ignored_files()? {
            let Ok(meta) = std::fs::symlink_metadata(self.root.join(&rel)) else { continue };
            let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            part(rel.as_bytes());
            part(format!("{} {:?}", meta.len(), mtime).as_bytes());
        }
        Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Files git ignores below `root` (not ours, not `.git`), relative to it, sorted.
    fn ignored_files(&self) -> anyhow::Result<Vec<String>> {
        let mut files = Vec::new();
        for entry in git_ignored(&self.root)? {
            let rel = entry.trim_end_matches('/');
            if self.is_own(rel) {
                continue;
            }
            let path = self.root.join(rel);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {
                    files.extend(walk_files(&path, &self.root)?.into_iter().filter(|f| !self.is_own(f)))
                }
                Ok(_) => files.push(rel.to_owned()),
                Err(_) => {}
            }
        }
        files.sort();
        Ok(files)
    }

    /// `.git`, or one of our own outputs.
    fn is_own(&self, f: &str) -> bool {
        f == ".git"
            || f.starts_with(".git/")
            || f.contains("/.git/")
            || f.ends_with("/.git")
            || self.own.iter().any(|o| {
                if o.ends_with('.') {
                    f.starts_with(o.as_str())
                } else {
                    f == o || f.starts_with(&format!("{o}/"))
                }
            })
    }

    /// The uploaded files, relative to `root`, sorted: what git does not ignore (or
    /// everything, outside git), less `.git` and our own outputs.
    pub fn files(&self) -> anyhow::Result<Vec<String>> {
        let listed = Command::new("git")
            .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
            .current_dir(&self.root)
            .output();
        let mut files: Vec<String> = match listed {
            Ok(o) if o.status.success() => {
                String::from_utf8_lossy(&o.stdout).split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect()
            }
            _ => walk_files(&self.root, &self.root)?,
        };
        files.retain(|f| !self.is_own(f));
        // Git lists what its index holds, even below a directory since replaced
        // by a symlink (`sub/` → `sub -> /etc`): reading `sub/x` would follow the
        // link out of the root. The upload keeps `sub` as a link and has no
        // `sub/x`, so neither has the list.
        let mut real_dirs = std::collections::HashMap::new();
        files.retain(|f| f.rsplit_once('/').is_none_or(|(dir, _)| real_dir(&self.root, dir, &mut real_dirs)));
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The module directory on the host.
    pub fn module_dir(&self) -> PathBuf {
        if self.module.is_empty() {
            self.root.clone()
        } else {
            self.root.join(&self.module)
        }
    }
}

/// Go's rule: `vendor/modules.txt` with `go` ≥ 1.14 in go.mod means `-mod=vendor`
/// unless `-mod` is given (as a flag or in GOFLAGS); in a workspace, the
/// workspace's own `vendor/`.
fn uses_vendor(module_dir: &Path, go_mod: &str, workspace: Option<&Path>, flags: &[String], goflags: &str) -> bool {
    let mode = flags
        .iter()
        .map(String::as_str)
        .chain(goflags.split_whitespace())
        .filter_map(|f| f.strip_prefix("-mod=").or_else(|| f.strip_prefix("--mod=")))
        .next_back();
    if let Some(mode) = mode {
        return mode == "vendor";
    }
    let (dir, version) = match workspace {
        Some(work) => (
            work.parent().unwrap_or(module_dir).to_path_buf(),
            go_directive(&std::fs::read_to_string(work).unwrap_or_default()),
        ),
        None => (module_dir.to_path_buf(), go_directive(go_mod)),
    };
    let at_least_1_14 = version.is_some_and(|v| {
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (1, 14)
    });
    at_least_1_14 && dir.join("vendor/modules.txt").is_file()
}

fn go_directive(text: &str) -> Option<String> {
    text.lines().find_map(|l| l.trim().strip_prefix("go ").map(|v| v.trim().to_owned()))
}

/// Directories named by `replace … => ./dir` (single lines and blocks).
fn local_replaces(text: &str) -> Vec<PathBuf> {
    block_lines(text, "replace")
        .filter_map(|line| line.split_once("=>").map(|(_, to)| to.split_whitespace().next().unwrap_or("").to_owned()))
        .filter(|to| to.starts_with("./") || to.starts_with("../") || to.starts_with('/') || to == "." || to == "..")
        .map(PathBuf::from)
        .collect()
}

/// Directories named by `use` in a go.work.
fn work_uses(text: &str) -> Vec<PathBuf> {
    block_lines(text, "use")
        .filter_map(|l| l.split_whitespace().next().map(|d| PathBuf::from(d.trim_matches('"'))))
        .collect()
}

/// The lines of a go.mod/go.work directive, with the keyword removed, in either form.
fn block_lines<'a>(text: &'a str, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let mut in_block = false;
    text.lines().filter_map(move |raw| {
        let line = raw.split("//").next().unwrap_or("").trim();
        if in_block {
            if line == ")" {
                in_block = false;
                return None;
            }
            return (!line.is_empty()).then_some(line);
        }
        let rest = line.strip_prefix(keyword)?.trim_start();
        if rest == "(" {
            in_block = true;
            return None;
        }
        (!rest.is_empty() && line.len() > keyword.len() && line.as_bytes()[keyword.len()].is_ascii_whitespace())
            .then_some(rest)
    })
}

/// The go.work Go would use: the first found walking up from the module.
fn find_go_work(module_dir: &Path) -> Option<PathBuf> {
    module_dir.ancestors().map(|d| d.join("go.work")).find(|f| f.is_file())
}

/// What git ignores below `root` (directories once, with a trailing `/`), relative to it.
fn git_ignored(root: &Path) -> anyhow::Result<Vec<String>> {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"])
        .current_dir(root)
        .output();
    match output {
        Ok(o) if o.status.success() => {
            Ok(String::from_utf8_lossy(&o.stdout).split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect())
        }
        // Not a git checkout, or no git: nothing is ignored.
        _ => Ok(vec![]),
    }
}

/// Whether `rel` (below `root`) is a directory reached through no symlink; remembered per directory.
fn real_dir(root: &Path, rel: &str, known: &mut std::collections::HashMap<String, bool>) -> bool {
    if let Some(&real) = known.get(rel) {
        return real;
    }
    let parent_real = rel.rsplit_once('/').is_none_or(|(parent, _)| real_dir(root, parent, known));
    let real = parent_real && std::fs::symlink_metadata(root.join(rel)).is_ok_and(|m| m.is_dir());
    known.insert(rel.to_owned(), real);
    real
}

fn walk_files(dir: &Path, root: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name() == ".git" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            out.extend(walk_files(&path, root)?);
        } else if let Some(rel) = relative(&path, root) {
            out.push(rel);
        }
    }
    Ok(out)
}

/// `path` absolute, with every symlink in its longest existing part resolved
/// (the rest, not yet created, appended as it is): comparable with other real paths.
/// Lexical on Windows, where resolving gives `\\?\` paths other tools do not take.
fn real_path(path: &Path) -> anyhow::Result<PathBuf> {
    let path = normalize(&std::path::absolute(path)?);
    if cfg!(windows) {
        return Ok(path);
    }
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut real) = std::fs::canonicalize(existing) {
            real.extend(rest.iter().rev());
            return Ok(real);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return Ok(path),
        }
    }
}

/// Lexically resolves `.` and `..` (paths here are absolute).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn common_ancestor(dirs: &[PathBuf]) -> PathBuf {
    let mut root = dirs[0].clone();
    for d in &dirs[1..] {
        while !d.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// `path` relative to `root` with `/` separators, if inside it.
fn relative(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"))
}

/// Escapes the pattern characters of a literal path.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_and_use_directives_in_both_forms() {
        let go_mod = "module x\n\ngo 1.22\n\nreplace example.com/a => ../lib // local\nreplace (\n\texample.com/b v1.0.0 => ./third_party/b\n\texample.com/c => example.com/c2 v1.2.0\n)\nreplacement_typo\n";
        assert_eq!(local_replaces(go_mod), [PathBuf::from("../lib"), PathBuf::from("./third_party/b")]);
        assert_eq!(
            work_uses("go 1.22\nuse ./app\nuse (\n\t./lib\n\t\"./tools\"\n)\n"),
            ["./app", "./lib", "./tools"].map(PathBuf::from)
        );
    }

    #[test]
    fn vendor_mode_follows_go() {
        let dir = tempfile::tempdir().unwrap();
        let go_mod = "module x\ngo 1.21\n";
        assert!(!uses_vendor(dir.path(), go_mod, None, &[], ""), "no vendor/");
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        std::fs::write(dir.path().join("vendor/modules.txt"), "").unwrap();
        assert!(uses_vendor(dir.path(), go_mod, None, &[], ""));
        assert!(!uses_vendor(dir.path(), "module x\ngo 1.13\n", None, &[], ""), "before 1.14 vendor/ is opt-in");
        assert!(!uses_vendor(dir.path(), go_mod, None, &["-mod=mod".into()], ""));
        assert!(!uses_vendor(dir.path(), go_mod, None, &[], "-v -mod=readonly"));
        assert!(uses_vendor(dir.path(), "module x\ngo 1.13\n", None, &[], "-mod=vendor"));
    }

    #[test]
    fn the_upload_spans_local_replaces_and_leaves_out_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("svc")).unwrap();
        std::fs::create_dir_all(repo.join("lib")).unwrap();
        std::fs::write(repo.join("svc/go.mod"), "module svc\ngo 1.22\nreplace lib => ../lib\n").unwrap();
        let outputs =
            Outputs { out: repo.join("svc/dist"), ours: vec![repo.join("target"), dir.path().join("elsewhere")] };
        let s = Source::find(&repo.join("svc"), &[], "", &outputs).unwrap();
        assert_eq!(s.root, std::fs::canonicalize(&repo).unwrap());
        assert_eq!(s.module, "svc");
        assert_eq!(
            s.exclude,
            [".git", "**/.git", "svc/dist", "svc/.dist.lock", "svc/.dist.staging-*", "svc/.dist.old-*", "target"]
        );
        assert!(!s.vendored);
    }

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Links are listed and hashed as links (their target's path), never
    /// followed: not into a directory, not into a file, in git or outside it.
    #[cfg(unix)]
    #[test]
    fn links_are_hashed_as_links_and_never_followed() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let (module, outside) = (dir.path().join("module"), dir.path().join("outside"));
        std::fs::create_dir_all(module.join("cmd")).unwrap();
        std::fs::create_dir_all(outside.join("deep")).unwrap();
        std::fs::write(module.join("go.mod"), "module m\ngo 1.22\n").unwrap();
        std::fs::write(module.join("cmd/main.go"), "package main\n").unwrap();
        std::fs::write(outside.join("secret.txt"), "s3cret").unwrap();
        std::fs::write(outside.join("deep/key"), "k").unwrap();
        symlink("/etc", module.join("leak")).unwrap();
        symlink(outside.join("secret.txt"), module.join("secret.txt")).unwrap();
        symlink(&outside, module.join("cmd/outside")).unwrap();
        let outputs = Outputs { out: dir.path().join("dist"), ours: vec![] };

        for in_git in [false, true] {
            if in_git {
                git(&module, &["init", "-q"]);
                git(&module, &["add", "."]);
                git(&module, &["commit", "-qm", "m"]);
            }
            let s = Source::find(&module, &[], "", &outputs).unwrap();
            assert_eq!(
                s.files().unwrap(),
                ["cmd/main.go", "cmd/outside", "go.mod", "leak", "secret.txt"],
                "git: {in_git}"
            );
            let digest = s.digest().unwrap();
            // What the links point to is no input...
            std::fs::write(outside.join("secret.txt"), "another").unwrap();
            std::fs::write(outside.join("deep/key"), "another").unwrap();
            assert_eq!(s.digest().unwrap(), digest);
            // ...where they point is.
            std::fs::remove_file(module.join("secret.txt")).unwrap();
            symlink("/etc/hostname", module.join("secret.txt")).unwrap();
            assert_ne!(s.digest().unwrap(), digest);
            std::fs::remove_file(module.join("secret.txt")).unwrap();
            symlink(outside.join("secret.txt"), module.join("secret.txt")).unwrap();
            assert_eq!(s.digest().unwrap(), digest);
        }
    }

    /// Git's index still lists `sub/x` after `sub/` became a link out of the
    /// tree: the list (and so the digest) leaves it out rather than read through the link.
    #[cfg(unix)]
    #[test]
    fn files_behind_a_directory_turned_link_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let (module, outside) = (dir.path().join("module"), dir.path().join("outside"));
        std::fs::create_dir_all(module.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(module.join("go.mod"), "module m\ngo 1.22\n").unwrap();
        std::fs::write(module.join("sub/x.go"), "package sub\n").unwrap();
        git(&module, &["init", "-q"]);
        git(&module, &["add", "."]);
        git(&module, &["commit", "-qm", "m"]);
        std::fs::remove_dir_all(module.join("sub")).unwrap();
        std::fs::write(outside.join("x.go"), "package outside\n").unwrap();
        std::os::unix::fs::symlink(&outside, module.join("sub")).unwrap();

        let s = Source::find(&module, &[], "", &Outputs { out: dir.path().join("dist"), ours: vec![] }).unwrap();
        assert_eq!(s.files().unwrap(), ["go.mod", "sub"]);
        let digest = s.digest().unwrap();
        std::fs::write(outside.join("x.go"), "package changed\n").unwrap();
        assert_eq!(s.digest().unwrap(), digest, "a file outside the root was read");
    }

    /// A symlinked app dir is the module it points to, as Go (which runs with
    /// no PWD) and Dagger (which resolves the path it uploads) see it: its
    /// files are the upload, and a go.work beside the link is not the module's.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_module_dir_is_the_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, real) = (dir.path().join("repo"), dir.path().join("elsewhere/hello"));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(real.join("go.mod"), "module hello\ngo 1.22\n").unwrap();
        std::fs::write(real.join("main.go"), "package main\n").unwrap();
        std::fs::write(repo.join("go.work"), "go 1.22\nuse ./app\n").unwrap();
        std::os::unix::fs::symlink("../elsewhere/hello", repo.join("app")).unwrap();

        let s = Source::find(&repo.join("app"), &[], "", &Outputs { out: repo.join("dist"), ours: vec![] }).unwrap();
        assert_eq!(s.root, std::fs::canonicalize(&real).unwrap());
        assert_eq!((s.module.as_str(), s.workspace.as_deref()), ("", None));
        assert_eq!(s.files().unwrap(), ["go.mod", "main.go"]);
        let digest = s.digest().unwrap();
        std::fs::write(real.join("main.go"), "package main // changed\n").unwrap();
        assert_ne!(s.digest().unwrap(), digest, "a change in the module is a change of the upload");

        // Outputs inside the module, named through the link, are still left out.
        let s =
            Source::find(&repo.join("app"), &[], "", &Outputs { out: repo.join("app/dist"), ours: vec![] }).unwrap();
        assert!(s.exclude.contains(&"dist".to_owned()), "{:?}", s.exclude);
    }
}
