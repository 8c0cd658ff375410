//! Where the Go code is: the go.mod of a repository, the main packages below it (as `go build ./...`
//! finds them), the module path, and the binary name `go build` gives a main package.

use std::path::Path;

use anyhow::Context;

/// Finds main packages below `dir` (directories with a .go file, not _test.go, declaring `package main`),
/// skipping vendor/, testdata/, hidden and _-prefixed dirs (as `go build ./...` does) and nested modules (dirs
/// with their own go.mod), as "./rel/path" (or "."), "." first, then sorted.
pub fn find_mains(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    walk_mains(dir, &mut Vec::new(), &mut out)?;
    out.sort_by(|a, b| (a != ".", a).cmp(&(b != ".", b)));
    Ok(out)
}

fn walk_mains(root: &Path, rel: &mut Vec<String>, out: &mut Vec<String>) -> anyhow::Result<()> {
    let dir = root.join(rel.join("/"));
    let mut entries = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut is_main = false;
    let mut subdirs = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Go ignores files and folders starting with "." or "_".
        if name.starts_with(['.', '_']) {
            continue;
        }
        // DirEntry::file_type does not follow symlinks: a linked folder is not walked (nor is it by `./...`).
        let kind = entry.file_type().with_context(|| format!("cannot stat {}", entry.path().display()))?;
        if kind.is_dir() {
            if name != "vendor" && name != "testdata" && !entry.path().join("go.mod").exists() {
                subdirs.push(name);
            }
        } else if kind.is_file() && name.ends_with(".go") && !name.ends_with("_test.go") && !is_main {
            let bytes =
                std::fs::read(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
            is_main = declares_package_main(&String::from_utf8_lossy(&bytes));
        }
    }
    if is_main {
        out.push(dot_path(rel));
    }
    for name in subdirs {
        rel.push(name);
        walk_mains(root, rel, out)?;
        rel.pop();
    }
    Ok(())
}

/// The Go files below `dir` (as [`find_mains`] walks it, tests left out) that read the VCS settings
/// Go stamps into a build (`debug.ReadBuildInfo`'s `vcs.revision`, `vcs.time`, `vcs.modified`), as
/// "rel/path.go".
pub fn vcs_readers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk_vcs(dir, "", &mut out);
    out
}

fn walk_vcs(root: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let Ok(kind) = entry.file_type() else { continue };
        if name.starts_with(['.', '_']) {
            continue;
        }
        if kind.is_dir() && name != "vendor" && name != "testdata" && !entry.path().join("go.mod").exists() {
            walk_vcs(root, &path, out);
        } else if kind.is_file() && name.ends_with(".go") && !name.ends_with("_test.go") {
            let text = std::fs::read(entry.path()).map(|b| String::from_utf8_lossy(&b).into_owned());
            if text
                .is_ok_and(|t| ["\"vcs.revision\"", "\"vcs.time\"", "\"vcs.modified\""].iter().any(|k| t.contains(k)))
            {
                out.push(path);
            }
        }
    }
}

/// Whether a Go file's package clause says `main`; a file behind `//go:build ignore` (a `go run` script in
/// another package's folder) does not count.
fn declares_package_main(src: &str) -> bool {
    let mut rest = src.strip_prefix('\u{feff}').unwrap_or(src);
    loop {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix("//") {
            let (line, after) = comment.split_once('\n').unwrap_or((comment, ""));
            let line = line.trim();
            let constraint = line.strip_prefix("go:build").or_else(|| line.strip_prefix("+build"));
            if constraint.is_some_and(|c| c.split_whitespace().eq(["ignore"])) {
                return false;
            }
            rest = after;
        } else if let Some(comment) = rest.strip_prefix("/*") {
            match comment.split_once("*/") {
                Some((_, after)) => rest = after,
                None => return false,
            }
        } else {
            let Some(clause) = rest.strip_prefix("package") else { return false };
            if !clause.starts_with(|c: char| c.is_whitespace() || c == '/') {
                return false;
            }
            let clause = clause.trim_start();
            let name: String = clause.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            return name == "main";
        }
    }
}

/// The module path of a go.mod (`module example.com/x`), if it has one.
pub(super) fn module_path(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"', '`']) {
            return None;
        }
        let path = rest.trim().trim_matches(['"', '`']);
        (!path.is_empty()).then(|| path.to_owned())
    })
}

/// The binary `go build` names a main package (GoReleaser's `BinaryNameFor`): the folder's name, or for the
/// module's root the module path's last element, skipping a `/vN` major version suffix.
pub(super) fn binary_name_for(main: &str, module: Option<&str>) -> Option<String> {
    let mut parts = norm(main);
    if parts.last().is_some_and(|p| p.ends_with(".go")) {
        parts.pop();
    }
    if let Some(last) = parts.last() {
        return (last != "..").then(|| last.clone());
    }
    let module = module?.trim_end_matches('/');
    let mut elems: Vec<&str> = module.split('/').collect();
    let last = *elems.last()?;
    if elems.len() > 1 && last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()) {
        elems.pop();
    }
    elems.last().filter(|s| !s.is_empty()).map(|s| (*s).to_owned())
}

/// `./a/../b/` → ["b"]; "." and "" → [].
pub(super) fn norm(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| l != "..") => {
                out.pop();
            }
            _ => out.push(part.to_owned()),
        }
    }
    out
}

/// ["cmd", "x"] → "./cmd/x"; [] → ".".
pub(super) fn dot_path(parts: &[String]) -> String {
    if parts.is_empty() {
        ".".to_owned()
    } else {
        format!("./{}", parts.join("/"))
    }
}

/// ["a", "b"] → "a/b"; [] → ".".
pub(super) fn plain_path(parts: &[String]) -> String {
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The nearest folder at or above `repo/dir` (not above `repo`) holding a go.mod, relative to `repo`.
pub(super) fn module_dir_of(repo: &Path, dir: &str) -> String {
    let parts = norm(dir);
    if parts.first().is_some_and(|p| p == "..") {
        return ".".to_owned();
    }
    (0..=parts.len())
        .rev()
        .map(|k| &parts[..k])
        .find(|p| repo.join(p.join("/")).join("go.mod").is_file())
        .map(plain_path)
        .unwrap_or_else(|| ".".to_owned())
}

/// Where the go.mod is: at the top of `repo`, else the shallowest one below it (first by name).
pub(super) fn find_go_mod(repo: &Path) -> anyhow::Result<Option<String>> {
    let mut level: Vec<Vec<String>> = vec![vec![]];
    for _depth in 0..4 {
        let mut next = Vec::new();
        for rel in &level {
            let dir = repo.join(rel.join("/"));
            if dir.join("go.mod").is_file() {
                return Ok(Some(plain_path(rel)));
            }
            let mut entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries.filter_map(Result::ok).collect::<Vec<_>>(),
                Err(e) if rel.is_empty() => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
                Err(_) => continue,
            };
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                let name = entry.file_name().to_string_lossy().into_owned();
                let skip = name.starts_with(['.', '_'])
                    || matches!(name.as_str(), "vendor" | "testdata" | "target" | "node_modules" | "dist");
                if !skip && entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push([&rel[..], &[name][..]].concat());
                }
            }
        }
        level = next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::tests::strs;

    #[test]
    fn find_mains_skips_vendor_testdata_hidden_and_nested_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, src) in [
            ("main.go", "package main\n"),
            ("cmd/server/server.go", "/* a\n block */\n// Package main.\npackage main // server\n"),
            ("cmd/server/server_test.go", "package main\n"),
            ("cmd/cli/cli.go", "package main\n"),
            ("cmd/onlytest/x_test.go", "package main\n"),
            ("internal/gen/gen.go", "//go:build ignore\n\npackage main\n"),
            ("internal/gen/lib.go", "package gen\n"),
            ("internal/lib/lib.go", "package lib\n"),
            ("internal/lib/mainly.go", "package mainly\n"),
            ("vendor/x/main.go", "package main\n"),
            ("testdata/x/main.go", "package main\n"),
            (".hidden/main.go", "package main\n"),
            ("_old/main.go", "package main\n"),
            ("tools/go.mod", "module tools\n"),
            ("tools/main.go", "package main\n"),
            ("cmd/ignored/_x.go", "package main\n"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), src).unwrap();
        }
        assert_eq!(find_mains(root).unwrap(), strs(&[".", "./cmd/cli", "./cmd/server"]));
        assert!(find_mains(&root.join("nope")).is_err());
    }
}
