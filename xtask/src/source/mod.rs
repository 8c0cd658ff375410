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
    /// The directories of the modules the build reads (the module, its local
    /// `replace` targets, go.work's `use`s), relative to `root`; empty for `root`.
    pub modules: Vec<String>,
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
        let work_dir = workspace.as_ref().and_then(|w| w.parent()).map(Path::to_path_buf);
        let mut modules: Vec<String> =
            dirs.iter().filter(|d| Some(*d) != work_dir.as_ref()).filter_map(|d| relative(d, &root)).collect();
        modules.sort();
        modules.dedup();

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
        Ok(Source { root, module, exclude, workspace, vendored, modules, own })
    }

    /// A digest of what `go build` can read here, and nothing else: files Go
    /// cannot read (CI scripts, docs, other tools' outputs) never send a target
    /// back to the compiler. Go reads, in the modules of the build (not in a
    /// nested module of its own): every Go source file (by extension, tests
    /// included: Go parses their package clause; directories starting with a
    /// dot too, since an import may name one), `vendor/` trees, `default.pgo`,
    /// and every file a `//go:embed` line can match; and `go.mod`, `go.sum`,
    /// `go.work`, `go.work.sum` anywhere (a nested module moves packages out of
    /// the build). With `everything` (cgo, which reads headers from anywhere),
    /// every file. `named` are files flags name (`-overlay`, `-pgo`…), hashed by
    /// content wherever they are.
    ///
    /// Uploaded files count by content; files git ignores (the host's `go
    /// build` reads them, the Dagger engine does not get them) by size and
    /// mtime, and whether a file is ignored is part of the digest. A symlink
    /// counts as its text and what Go reads through it; an uploaded one that Go
    /// could read through and that leaves the upload is an error: the Dagger
    /// engine cannot see its target, and no digest of the upload would notice
    /// its target change.
    ///
    /// Each file is hashed once; [`SourceDigest::for_target`] leaves out the source files Go's
    /// file-name rule keeps out of that target's build (`x_windows.go` for linux), so that an
    /// edit of one system's file rebuilds that system's targets only.
    pub fn digest(&self, named: &[PathBuf], everything: bool) -> anyhow::Result<SourceDigest> {
        use sha2::{Digest, Sha256};
        let expand = |rels: Vec<String>| -> anyhow::Result<Vec<String>> {
            let mut out = Vec::new();
            for rel in rels {
                let path = self.root.join(&rel);
                // A submodule or nested repository: git lists it as one entry.
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                    out.extend(walk_files(&path, &self.root)?.into_iter().filter(|f| !self.is_own(f)));
                } else {
                    out.push(rel);
                }
            }
            Ok(out)
        };
        let uploaded = expand(self.files()?)?;
        let ignored = expand(self.ignored_files()?)?;
        let mut candidates: Vec<(String, bool)> =
            uploaded.into_iter().map(|r| (r, false)).chain(ignored.into_iter().map(|r| (r, true))).collect();
        candidates.sort();
        candidates.dedup_by(|a, b| a.0 == b.0);
        let outside = self.outside_the_build(candidates.iter().map(|(r, _)| r.as_str()));
        candidates.retain(|(rel, _)| everything || !outside(rel));

        // Go files first: their //go:embed lines decide which other files count.
        let mut embeds = Vec::new();
        let mut read = std::collections::BTreeMap::new();
        for (rel, ignored) in &candidates {
            let dir_link = std::fs::symlink_metadata(self.root.join(rel)).is_ok_and(|m| m.is_symlink())
                && self.root.join(rel).is_dir();
            if !readable_by_name(rel) && !dir_link {
                continue;
            }
            let Some(content) = self.content(rel, *ignored)? else { continue };
            if rel.ends_with(".go") {
                // An ignored file's digest is its size and mtime: its text is read for this only.
                let text: std::borrow::Cow<str> = match ignored {
                    false => String::from_utf8_lossy(&content.1),
                    true => std::fs::read_to_string(self.root.join(rel)).unwrap_or_default().into(),
                };
                let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
                embeds.extend(embed_patterns(&text).into_iter().map(|p| (dir.to_owned(), p)));
            }
            read.insert(rel.clone(), (*ignored, content));
        }
        for (rel, ignored) in &candidates {
            if read.contains_key(rel) || !(everything || embedded(rel, &embeds)) {
                continue;
            }
            if let Some(content) = self.content(rel, *ignored)? {
                read.insert(rel.clone(), (*ignored, content));
            }
        }
        let hashed = |parts: &[&[u8]]| -> [u8; 32] {
            let mut hash = Sha256::new();
            for bytes in parts {
                hash.update((bytes.len() as u64).to_le_bytes());
                hash.update(bytes);
            }
            hash.finalize().into()
        };
        let files = read
            .iter()
            .map(|(rel, (ignored, (link, content)))| {
                let name = rel.rsplit('/').next().unwrap_or(rel);
                let of = |bytes: &[u8]| {
                    let kind: &[u8] = if *ignored { b"ignored" } else { b"uploaded" };
                    hashed(&[rel.as_bytes(), kind, link.as_deref().unwrap_or_default().as_bytes(), bytes])
                };
                let whole = of(content);
                // An embedded file is read whatever its name says.
                let left_out = match name.rsplit_once('.').map(|(_, ext)| ext) {
                    _ if embedded(rel, &embeds) => None,
                    // The go command parses every Go file's header whatever its name, and a broken one
                    // fails the package: the header counts. An ignored file counts by size and mtime.
                    Some("go") if *ignored => Some(Some(whole)),
                    Some("go") => Some(Some(of(go_header(content)))),
                    Some("syso") => Some(None),
                    _ => None,
                };
                FileHash { name: left_out.map(|_| name.to_owned()), whole, left_out: left_out.flatten() }
            })
            .collect();
        let mut parts: Vec<Vec<u8>> = vec![b"named by flags".to_vec()];
        for path in named {
            parts.push(path.to_string_lossy().as_bytes().to_vec());
            // A missing file fails the build itself; its absence is part of the key.
            parts.push(std::fs::read(path).unwrap_or_default());
        }
        let named_hash = hashed(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
        // With cgo (C files include what they like) or files named by flags (an -overlay may add Go
        // files, with //go:embed lines of their own), no file is left out by its name.
        Ok(SourceDigest { files, named: named_hash, by_name: !everything && named.is_empty() })
    }

    /// Whether a file (among `files`) lies outside every module of the build:
    /// above them (an upload that spans a module and its `replace` targets), or
    /// in a nested module of its own (a folder with a go.mod that no `replace`
    /// or `use` brings in). Go reads none of those, but for the module files
    /// themselves, whose presence moves packages out of the build.
    fn outside_the_build<'a>(&self, files: impl Iterator<Item = &'a str>) -> impl Fn(&str) -> bool + '_ {
        let mut module_dirs: Vec<String> = files
            // A vendored copy's go.mod starts no module: `go build -mod=vendor` reads the tree as it is.
            .filter(|f| !f.split('/').any(|part| part == "vendor"))
            .filter_map(|f| match f.rsplit_once('/') {
                Some((dir, "go.mod")) => Some(dir.to_owned()),
                None if f == "go.mod" => Some(String::new()),
                _ => None,
            })
            .collect();
        module_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
        move |rel: &str| {
            if matches!(rel.rsplit('/').next(), Some("go.mod" | "go.sum" | "go.work" | "go.work.sum")) {
                return false;
            }
            let within = |dir: &str| dir.is_empty() || rel.starts_with(&format!("{dir}/"));
            // The nearest folder with a go.mod is the module the file belongs to.
            match module_dirs.iter().find(|d| within(d)) {
                Some(nearest) => !self.modules.iter().any(|m| m == nearest),
                None => true,
            }
        }
    }

    /// What Go reads at `rel`: the link text (for a symlink) and the bytes it
    /// reads through it — for an ignored file, its size and mtime instead of its
    /// bytes; `None` for what holds no bytes (a directory, a file deleted but
    /// still tracked). Refuses an uploaded link out of the upload that Go could read through.
    fn content(&self, rel: &str, ignored: bool) -> anyhow::Result<Option<(Option<String>, Vec<u8>)>> {
        let path = self.root.join(rel);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let link = if meta.is_symlink() {
            Some(std::fs::read_link(&path).with_context(|| format!("cannot read {}", path.display()))?)
        } else {
            None
        };
        let target = std::fs::metadata(&path).ok();
        if let Some(link) = &link {
            let link = link.to_string_lossy();
            // Not uploaded, the Dagger engine never sees it; the host reads through it.
            if !ignored && (target.as_ref().is_some_and(|t| t.is_dir()) || readable_by_name(rel)) {
                self.check_link_stays_inside(rel, &link)?;
            }
        }
        let link = link.map(|l| l.to_string_lossy().into_owned());
        let bytes = match target {
            // A directory reached through a link: Go reads the files there (at their own path, when inside).
            Some(t) if t.is_dir() => Vec::new(),
            Some(t) if t.is_file() && ignored => {
                let mtime = t.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
                format!("{} {mtime:?}", t.len()).into_bytes()
            }
            Some(t) if t.is_file() => {
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?
            }
            _ if link.is_some() => Vec::new(),
            _ => return Ok(None),
        };
        Ok(Some((link, bytes)))
    }

    /// A symlink at `rel` whose target Go could read must stay inside the upload, by a relative path.
    fn check_link_stays_inside(&self, rel: &str, link: &str) -> anyhow::Result<()> {
        let path = self.root.join(rel);
        let inside = std::fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&self.root) && real != self.root);
        if Path::new(link).is_absolute() || !inside {
            let module = self.module_dir();
            anyhow::bail!(
                "{} is a symlink to {link}, {}: the Dagger engine gets only {} and could not read it, and a change \
                 there would go unnoticed. Copy it in, or make the link relative and point inside {}{}",
                path.display(),
                if Path::new(link).is_absolute() {
                    "an absolute path"
                } else {
                    "outside the directory uploaded for the build"
                },
                self.root.display(),
                self.root.display(),
                if module == self.root { String::new() } else { format!(" (the module is {})", module.display()) }
            );
        }
        Ok(())
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

/// Extensions of the files `go build` compiles or links (go/build's list).
const GO_SOURCE_EXTENSIONS: [&str; 21] = [
    "go", "s", "S", "sx", "c", "h", "cc", "cpp", "cxx", "hh", "hpp", "hxx", "m", "f", "F", "for", "f90", "swig",
    "swigcxx", "syso", "pgo",
];

/// What [`Source::digest`] read: a hash per file, and one of the files flags name.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDigest {
    files: Vec<FileHash>,
    named: [u8; 32],
    /// Whether files may be left out by their name at all.
    by_name: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct FileHash {
    /// The file's name, when Go's file-name rule may leave it out of a build (a `.go` or `.syso` file).
    name: Option<String>,
    whole: [u8; 32],
    /// What still counts when it is left out: a Go file's header.
    left_out: Option<[u8; 32]>,
}

impl SourceDigest {
    /// Of everything read, for every target.
    pub fn whole(&self) -> String {
        self.combine(|_| true)
    }

    /// Of what a build for `os`/`arch` with build tags `tags` can read: without the source
    /// files its name keeps out of that build.
    pub fn for_target(&self, os: &str, arch: &str, tags: &[String]) -> String {
        self.combine(|name| !(self.by_name && name.is_some_and(|n| left_out_by_name(n, os, arch, tags))))
    }

    /// A digest of files `(path, content)`, for tests of the keys.
    #[cfg(test)]
    pub fn of_files(files: &[(&str, &str)]) -> SourceDigest {
        use sha2::{Digest, Sha256};
        let files = files
            .iter()
            .map(|(rel, text)| {
                let name = rel.rsplit('/').next().unwrap_or(rel);
                let whole = Sha256::digest(format!("{rel}\0{text}")).into();
                FileHash { name: name.ends_with(".go").then(|| name.to_owned()), whole, left_out: None }
            })
            .collect();
        SourceDigest { files, named: [0; 32], by_name: true }
    }

    fn combine(&self, keep: impl Fn(Option<&str>) -> bool) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        // Each file's hash covers its path.
        for file in &self.files {
            match (keep(file.name.as_deref()), &file.left_out) {
                (true, _) => hash.update(file.whole),
                (false, Some(header)) => hash.update(header),
                (false, None) => {}
            }
        }
        hash.update(self.named);
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Whether Go's file-name rule keeps a source file out of a build for `os`/`arch` (go/build's
/// `goodOSArchFile`, which the go command's loader shares): before the first dot, after the
/// first `_`, a last element (less a trailing `_test`) that is a known GOOS or GOARCH, or a known
/// GOOS then GOARCH, must match the target — android also matches `linux`, illumos `solaris`, ios
/// `darwin` — or a build tag.
fn left_out_by_name(file: &str, os: &str, arch: &str, tags: &[String]) -> bool {
    const KNOWN_OS: [&str; 18] = [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ];
    const KNOWN_ARCH: [&str; 24] = [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "ppc64",
        "ppc64le",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ];
    let matches = |name: &str| {
        name == os
            || name == arch
            || (os == "android" && name == "linux")
            || (os == "illumos" && name == "solaris")
            || (os == "ios" && name == "darwin")
            || tags.iter().any(|t| t == name)
    };
    let stem = file.split('.').next().unwrap_or(file);
    let Some(at) = stem.find('_') else { return false };
    let mut parts: Vec<&str> = stem[at..].split('_').collect();
    if parts.last() == Some(&"test") {
        parts.pop();
    }
    match parts.as_slice() {
        [.., o, a] if KNOWN_OS.contains(o) && KNOWN_ARCH.contains(a) => !(matches(o) && matches(a)),
        [.., last] if KNOWN_OS.contains(last) || KNOWN_ARCH.contains(last) => !matches(last),
        _ => false,
    }
}

/// The part of a Go file the go command parses whatever the file's name (cmd/go's module index
/// reads every Go file's header and fails the package on an error there): everything before its
/// first top-level declaration — build constraints, package clause, imports. All of it when it
/// has a `//go:embed` line (those are read too, wherever they are; the import of "embed" they
/// need may be spelled in any form), when a block comment starts before that point (a `func` line
/// inside it would end the header early), or when it declares nothing. Read for every Go file on
/// every run: memchr, not byte windows.
fn go_header(text: &[u8]) -> &[u8] {
    use memchr::memmem::find;
    let declares = |line: &[u8]| {
        [&b"func"[..], b"type", b"var", b"const"].iter().any(|k| {
            line.starts_with(k) && line.get(k.len()).is_some_and(|c| matches!(c, b' ' | b'\t' | b'(' | b'\r' | b'\n'))
        })
    };
    let mut at = 0;
    while at < text.len() {
        if declares(&text[at..]) {
            let header = &text[..at];
            let whole = find(header, b"/*").is_some() || find(text, b"//go:embed").is_some();
            return if whole { text } else { header };
        }
        at = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |n| at + n + 1);
    }
    text
}

/// Whether Go may read `rel` whatever the source says: module files, `vendor/`
/// trees, and source files (in any directory: `./...` skips directories that
/// start with a dot or `_`, but an import may still name one).
fn readable_by_name(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let (dirs, name) = parts.split_at(parts.len() - 1);
    let name = name[0];
    matches!(name, "go.mod" | "go.sum" | "go.work" | "go.work.sum")
        || dirs.contains(&"vendor")
        || name.rsplit_once('.').is_some_and(|(_, ext)| GO_SOURCE_EXTENSIONS.contains(&ext))
}

/// The patterns of the `//go:embed` lines in a Go file (quoted or not, `all:` kept).
fn embed_patterns(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Most files have none: one SIMD search instead of a look at every line.
    if memchr::memmem::find(src.as_bytes(), b"//go:embed").is_none() {
        return out;
    }
    for line in src.lines() {
        let Some(rest) = line.trim_start().strip_prefix("//go:embed") else { continue };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let mut rest = rest.trim();
        while !rest.is_empty() {
            let (pattern, tail) = match rest.chars().next() {
                Some(q @ ('"' | '`')) => match rest[1..].find(q) {
                    Some(end) => (rest[1..=end].replace("\\\\", "\\"), &rest[end + 2..]),
                    None => (rest[1..].to_owned(), ""),
                },
                _ => match rest.find([' ', '\t']) {
                    Some(end) => (rest[..end].to_owned(), &rest[end..]),
                    None => (rest.to_owned(), ""),
                },
            };
            out.push(pattern);
            rest = tail.trim_start();
        }
    }
    out
}

/// Whether an embed pattern of the package in `dir` can match `rel` itself, or
/// a directory holding it (Go embeds a matched directory's whole tree). A
/// pattern that is not a valid glob counts as matching everything below `dir`.
fn embedded(rel: &str, embeds: &[(String, String)]) -> bool {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    embeds.iter().any(|(dir, pattern)| {
        let Some(below) =
            (if dir.is_empty() { Some(rel) } else { rel.strip_prefix(dir.as_str()).and_then(|r| r.strip_prefix('/')) })
        else {
            return false;
        };
        let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
        // Go's path.Match negates a class with `^`, the glob crate with `!`; an
        // escape may mean what the glob crate does not: then everything below counts.
        if pattern.contains('\\') {
            return true;
        }
        let Ok(glob) = glob::Pattern::new(&pattern.replace("[^", "[!")) else { return true };
        let parts: Vec<&str> = below.split('/').collect();
        (1..=parts.len()).any(|n| glob.matches_with(&parts[..n].join("/"), options))
    })
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
mod tests;
