//! `cargo xtask adopt DIR`: puts this xtask into an existing Go repository —
//! exactly the files it needs (one list, [`XTASK`]), the `.gitignore` lines for
//! what it writes, and a `dist.toml` from `init` — run from a checkout of the
//! template. A file of the repository's own is replaced only with `--force`, and
//! its Cargo workspace files never: what they need for `cargo xtask` is printed.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context};

use crate::flags::{Adopt, CiKind};
use crate::ui;

/// One entry of the list of what the xtask needs.
enum Entry {
    File(&'static str),
    /// Copied when the template has it.
    Optional(&'static str),
    /// Every file below it.
    Folder(&'static str),
}

/// What the xtask needs in a repository, relative to its top. A file added under `xtask/` must be covered
/// here (`every_file_of_the_xtask_is_adopted` checks).
const XTASK: [Entry; 8] = [
    Entry::File("Cargo.toml"),
    Entry::File("Cargo.lock"),
    Entry::File(".cargo/config.toml"),
    Entry::File("rustfmt.toml"),
    Entry::File("xtask/Cargo.toml"),
    Entry::File("xtask/go-toolchains.sha256"),
    Entry::Optional("xtask/build.rs"),
    Entry::Folder("xtask/src"),
];

/// A Rust team's own workspace files: never replaced (not even with `--force`); what they need is printed.
const WORKSPACE: [&str; 3] = ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"];

/// `.gitignore` lines for what the xtask writes: the release, Cargo's target, the lock and staging beside dist/.
const IGNORED: [&str; 3] = ["/dist/", "/target/", "/.dist.*"];

const ALIAS: &str = "xtask = \"run --package xtask --\"";

/// The CI configuration files `--ci` copies.
fn ci_files(ci: CiKind) -> &'static [&'static str] {
    match ci {
        CiKind::Github => &[".github/workflows/ci.yml", ".github/workflows/release.yml"],
        CiKind::Gitlab => &[".gitlab-ci.yml"],
        CiKind::None => &[],
    }
}

/// What happened to one file.
#[derive(Debug, PartialEq)]
enum Outcome {
    Written,
    Replaced,
    Unchanged,
    Skipped(String),
}

impl Adopt {
    pub fn run(self) -> anyhow::Result<()> {
        let template = crate::project::root();
        let dir = &self.dir;
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => bail!("{} is not a folder: pass the top folder of the Go repository to adopt into", dir.display()),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot adopt into {}: pass the top folder of an existing Go repository", dir.display())
                })
            }
        }
        let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
        if same(dir, &template) {
            bail!(
                "{} is this template itself: pass the Go repository to adopt into, e.g. `cargo xtask adopt ../your-repo`",
                dir.display()
            );
        }
        let mut files = xtask_files(&template)?;
        for rel in ci_files(self.ci) {
            if !template.join(rel).is_file() {
                bail!("the template at {} has no {rel}: run adopt from a checkout of the template", template.display());
            }
            files.push((*rel).to_owned());
        }
        // Before anything is copied: a repository init cannot describe gets nothing.
        let settings = dir.join("dist.toml");
        let imported = match fs::symlink_metadata(&settings) {
            Ok(_) => None,
            Err(_) => Some(crate::init::import(dir).with_context(|| {
                format!(
                    "cannot write dist.toml for {} (nothing was copied): write it by hand (docs/settings.md) \
                     and run adopt again",
                    dir.display()
                )
            })?),
        };

        ui::say(format!("adopt: the xtask of {} into {}", template.display(), dir.display()));
        let mut outcomes = Vec::new();
        for rel in &files {
            let outcome = place(&template, dir, rel, self.force)?;
            ui::say(match &outcome {
                Outcome::Written => format!("  written    {rel}"),
                Outcome::Replaced => format!("  replaced   {rel} (--force)"),
                Outcome::Unchanged => format!("  unchanged  {rel}"),
                Outcome::Skipped(why) => format!("  skipped    {rel}: {why}"),
            });
            outcomes.push((rel.as_str(), outcome));
        }
        ignore_outputs(dir, self.ci)?;
        match imported {
            Some(imported) => {
                crate::init::write(&settings, &imported)?;
                ui::say(format!("  written    dist.toml (by init, from {})", imported.source));
                crate::init::warn_unmapped(&imported);
            }
            None => ui::say("  kept       dist.toml (yours: init not run)"),
        }
        let count = |want: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| want(o)).count();
        let (written, replaced) = (count(|o| *o == Outcome::Written), count(|o| *o == Outcome::Replaced));
        let (unchanged, skipped) = (count(|o| *o == Outcome::Unchanged), count(|o| matches!(o, Outcome::Skipped(_))));
        ui::say(format!(
            "adopt: {written} written, {replaced} replaced, {unchanged} unchanged, {skipped} skipped (of {} files)",
            files.len()
        ));
        let (kept_workspace, kept_other): (Vec<&str>, Vec<&str>) = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Skipped(_)))
            .map(|(rel, _)| *rel)
            .partition(|rel| WORKSPACE.contains(rel));
        if !kept_other.is_empty() {
            ui::warn(format!(
                "kept {} file(s) of yours that differ from the template's ({}): the xtask builds from the mix, \
                 which may not compile; `--force` replaces them",
                kept_other.len(),
                kept_other.join(", ")
            ));
        }
        if self.ci == CiKind::None {
            ui::say("no CI configuration copied: `--ci github` adds .github/workflows/ci.yml and release.yml, `--ci gitlab` .gitlab-ci.yml");
        }
        let (todo, notes) = workspace_todo(&template, dir, &kept_workspace);
        if !todo.is_empty() {
            ui::say("to finish by hand (`cargo xtask` cannot run without these):");
            for line in &todo {
                ui::say(format!("  {line}"));
            }
        }
        if !notes.is_empty() {
            ui::say("about your workspace files:");
            for line in &notes {
                ui::say(format!("  {line}"));
            }
        }
        ui::say(if todo.is_empty() { "next:" } else { "then:" });
        ui::say(format!("  cd {} && cargo xtask dist --dry-run", shell_quote(&dir.display().to_string())));
        ui::say("  cargo xtask dist");
        Ok(())
    }
}

/// The files to copy from `template`, relative and `/`-separated: the list's files, then each folder's in name order.
fn xtask_files(template: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in &XTASK {
        match *entry {
            Entry::File(rel) => {
                if !template.join(rel).is_file() {
                    bail!(
                        "the template at {} has no {rel}: run adopt from a checkout of the template",
                        template.display()
                    );
                }
                out.push(rel.to_owned());
            }
            Entry::Optional(rel) => {
                if template.join(rel).is_file() {
                    out.push(rel.to_owned());
                }
            }
            Entry::Folder(rel) => walk(template, rel, &mut out)?,
        }
    }
    Ok(out)
}

fn walk(root: &Path, rel: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let dir = root.join(rel);
    let mut entries = fs::read_dir(&dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let child = format!("{rel}/{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            walk(root, &child, out)?;
        } else {
            out.push(child);
        }
    }
    Ok(())
}

/// Whether `rel` (a path in the repository) is in the list of what the xtask needs.
#[cfg(test)]
fn covered(rel: &str) -> bool {
    XTASK.iter().any(|entry| match *entry {
        Entry::File(f) | Entry::Optional(f) => f == rel,
        Entry::Folder(d) => rel.starts_with(&format!("{d}/")),
    })
}

/// Copies `rel` from the template into `dir`, unless a different file of the repository's own is there.
fn place(template: &Path, dir: &Path, rel: &str, force: bool) -> anyhow::Result<Outcome> {
    let from = template.join(rel);
    let bytes = fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
    if let Some(why) = blocked(dir, rel) {
        return Ok(Outcome::Skipped(why));
    }
    if rel == ".cargo/config.toml" && dir.join(".cargo/config").exists() {
        return Ok(Outcome::Skipped("cargo reads your .cargo/config, which is kept (see below)".to_owned()));
    }
    let to = dir.join(rel);
    let outcome = match fs::read(&to) {
        Ok(existing) if existing == bytes => return Ok(Outcome::Unchanged),
        Ok(_) if WORKSPACE.contains(&rel) => {
            return Ok(Outcome::Skipped("yours is kept (a workspace file is never replaced; see below)".to_owned()))
        }
        Ok(_) if !force => {
            return Ok(Outcome::Skipped("yours differs from the template's (--force replaces it)".to_owned()))
        }
        Ok(_) => Outcome::Replaced,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Written,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(&to, &bytes).with_context(|| format!("cannot write {}", to.display()))?;
    Ok(outcome)
}

/// Why `rel` cannot be written in `dir` without going through a link or replacing a folder, if it cannot.
fn blocked(dir: &Path, rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    for n in 1..=parts.len() {
        let prefix = parts[..n].join("/");
        let last = n == parts.len();
        match fs::symlink_metadata(dir.join(&prefix)) {
            Err(_) => return None,
            Ok(m) if m.file_type().is_symlink() => return Some(format!("{prefix} is a symbolic link (not followed)")),
            Ok(m) if !last && !m.is_dir() => return Some(format!("{prefix} is not a folder")),
            Ok(m) if last && m.is_dir() => return Some("a folder of that name is there".to_owned()),
            Ok(_) => {}
        }
    }
    None
}

/// Appends the lines of [`IGNORED`] that `.gitignore` lacks (creating it if
/// absent); with GitLab's configuration, its cache folder too (the fetched Go,
/// the module cache: not the repository's files).
fn ignore_outputs(dir: &Path, ci: CiKind) -> anyhow::Result<()> {
    let mut wanted = IGNORED.to_vec();
    if ci == CiKind::Gitlab {
        wanted.push("/.cache/");
    }
    if let Some(why) = blocked(dir, ".gitignore") {
        ui::say(format!("  skipped    .gitignore: {why}; add {} to it yourself", wanted.join(" ")));
        return Ok(());
    }
    let file = dir.join(".gitignore");
    let text = match fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let missing: Vec<&str> = wanted.iter().copied().filter(|want| !text.lines().any(|l| l.trim() == *want)).collect();
    if missing.is_empty() {
        ui::say(format!("  unchanged  .gitignore (it has {})", wanted.join(" ")));
        return Ok(());
    }
    let mut new = text.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    for line in &missing {
        new.push_str(line);
        new.push('\n');
    }
    fs::write(&file, new).with_context(|| format!("cannot write {}", file.display()))?;
    let verb = if text.is_empty() { "written  " } else { "appended " };
    ui::say(format!("  {verb}  .gitignore: {}", missing.join(" ")));
    Ok(())
}

/// What the repository's own workspace files (kept) still need for `cargo xtask` (the xtask member and the
/// alias), and what else to know about them.
fn workspace_todo(template: &Path, dir: &Path, kept: &[&str]) -> (Vec<String>, Vec<String>) {
    let (mut todo, mut notes) = (Vec::new(), Vec::new());
    let read = |rel: &str| fs::read_to_string(dir.join(rel)).ok().and_then(|t| toml::from_str::<toml::Table>(&t).ok());
    if kept.contains(&"Cargo.toml") {
        let manifest = read("Cargo.toml");
        let workspace = manifest.as_ref().and_then(|m| m.get("workspace")).and_then(|w| w.as_table());
        let members: Option<Vec<&str>> = workspace
            .and_then(|w| w.get("members"))
            .and_then(|m| m.as_array())
            .map(|m| m.iter().filter_map(|v| v.as_str()).collect());
        match (workspace, members) {
            (Some(_), Some(members)) if members.contains(&"xtask") => {}
            (Some(_), Some(members)) => {
                let all: Vec<String> = members.iter().chain(&["xtask"]).map(|m| format!("{m:?}")).collect();
                todo.push(format!("Cargo.toml, in [workspace]: members = [{}]", all.join(", ")));
            }
            (Some(_), None) => todo.push("Cargo.toml, in [workspace]: members = [\"xtask\"]".to_owned()),
            (None, _) => todo.push("Cargo.toml: [workspace] with members = [\"xtask\"]".to_owned()),
        }
        notes.push(format!(
            "Cargo.toml: without the [profile.dev] and [profile.dev.package] sections of {}, dist packs \
             archives unoptimized (seconds each); copy them if you can",
            template.join("Cargo.toml").display()
        ));
    }
    let config = if dir.join(".cargo/config").exists() { ".cargo/config" } else { ".cargo/config.toml" };
    if kept.contains(&".cargo/config.toml") {
        let table = read(config);
        let alias = table.as_ref().and_then(|t| t.get("alias")).and_then(|a| a.as_table());
        match alias {
            Some(alias) if alias.contains_key("xtask") => {}
            Some(_) => todo.push(format!("{config}, in [alias]: {ALIAS}")),
            None => todo.push(format!("{config}: [alias] with {ALIAS}")),
        }
    }
    if kept.contains(&"Cargo.lock") {
        notes.push(
            "Cargo.lock: yours is kept; cargo adds the xtask's dependencies to it on the first build (the \
             template's Cargo.lock has the versions it was tested with)"
                .to_owned(),
        );
    }
    (todo, notes)
}

/// `s` as one shell word.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@%~".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the template's xtask but its own tests: a new one cannot be left out of what adopt copies.
    #[test]
    fn every_file_of_the_xtask_is_adopted() {
        let root = crate::project::root();
        let mut files = Vec::new();
        walk(&root, "xtask", &mut files).unwrap();
        let mut checked = 0;
        for rel in files.iter().filter(|f| !f.starts_with("xtask/tests/")) {
            assert!(covered(rel), "{rel} is not in adopt's list (XTASK in xtask/src/commands/adopt.rs): add it");
            checked += 1;
        }
        assert!(checked > 20, "only {checked} files under xtask/");
        let listed = xtask_files(&root).unwrap();
        for rel in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "rustfmt.toml", "xtask/go-toolchains.sha256"] {
            assert!(listed.iter().any(|l| l == rel), "{rel} is not adopted: {listed:?}");
        }
        assert!(!listed.iter().any(|l| l.starts_with("xtask/tests/") || l.starts_with(".ci/")), "{listed:?}");
    }

    /// The README's account of what `adopt` copies is this list, entry by entry.
    #[test]
    fn the_readme_names_every_adopted_entry() {
        let readme = std::fs::read_to_string(crate::project::root().join("README.md")).unwrap();
        let start =
            readme.find("`adopt` copies in exactly what the xtask needs").expect("the README says what adopt copies");
        let said = &readme[start..start + readme[start..].find("\n\n").unwrap()];
        for entry in XTASK {
            let (Entry::File(path) | Entry::Optional(path) | Entry::Folder(path)) = entry;
            let shown = if matches!(entry, Entry::Folder(_)) { format!("`{path}/`") } else { format!("`{path}`") };
            assert!(said.contains(&shown), "README.md does not name {shown} among what adopt copies:\n{said}");
        }
    }

    #[test]
    fn a_missing_template_file_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let err = xtask_files(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("has no Cargo.toml: run adopt from a checkout of the template"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn links_and_folders_in_the_way_are_not_followed_or_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(blocked(dir, "xtask/src/main.rs"), None);
        fs::create_dir_all(dir.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("xtask")).unwrap();
        assert_eq!(blocked(dir, "xtask/src/main.rs").as_deref(), Some("xtask is a symbolic link (not followed)"));
        fs::write(dir.join(".cargo"), "").unwrap();
        assert_eq!(blocked(dir, ".cargo/config.toml").as_deref(), Some(".cargo is not a folder"));
        fs::create_dir(dir.join("rustfmt.toml")).unwrap();
        assert_eq!(blocked(dir, "rustfmt.toml").as_deref(), Some("a folder of that name is there"));
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_quote("../repo"), "../repo");
        assert_eq!(shell_quote("/tmp/my repo"), "'/tmp/my repo'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
