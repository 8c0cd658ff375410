//! `init`'s library: writes a `dist.toml` for the repository it runs in (the command itself is in
//! `commands/init.rs`; `adopt` uses the same [`import`], [`write`] and [`warn_unmapped`]).
//!
//! With a GoReleaser config (`.goreleaser.yml` and its other spellings) every key
//! `dist.toml` can express is carried over — archive and checksum name templates
//! verbatim, since `dist` evaluates GoReleaser's templates itself — and every key it
//! cannot is named, both in the result and as a comment in the file. GoReleaser's
//! defaults (read from its v2.15.1 source) are written out where they differ from
//! ours, so the release looks the same. Without a config, the settings come from
//! `go.mod` and the main packages found below it.
//!
//! An import fills a [`Settings`], the struct `dist.toml` is read into, plus the notes on what it
//! could not import ([`Draft`]); [`render`] writes it with the `toml` crate's serializer, and the
//! text reads back to exactly that `Settings`.

mod discover;
mod goreleaser;
mod render;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context};

use crate::settings::{BinarySettings, Settings};
use discover::{binary_name_for, dot_path, find_go_mod, find_mains, module_path, norm};

/// What `init` decided: the settings text and the keys it could not map.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The whole `dist.toml`.
    pub toml: String,
    /// GoReleaser keys (paths such as `builds[0].hooks`) that `dist.toml` cannot express.
    pub unmapped: Vec<String>,
    /// What it was made from: the config file (`.goreleaser.yml`, …) or `go.mod` (`app/go.mod` when not at the top).
    pub source: String,
}

/// Writes the settings `import` made to `file`.
pub fn write(file: &Path, imported: &Imported) -> anyhow::Result<()> {
    std::fs::write(file, &imported.toml).with_context(|| format!("cannot write {}", file.display()))
}

/// Names every key that was not imported (the file says the same in comments).
pub fn warn_unmapped(imported: &Imported) {
    for key in &imported.unmapped {
        crate::ui::warn(format!("not imported: {key} (see the comments in dist.toml)"));
    }
}

/// From `.goreleaser.yml`/`.goreleaser.yaml` (also `goreleaser.yml`/`.yaml`, and those in `.config/`) in
/// `repo` if present, else from go.mod + the main packages found.
pub fn import(repo: &Path) -> anyhow::Result<Imported> {
    let mut draft = draft(repo)?;
    // dist builds with -buildvcs=false (the bytes may not depend on .git, which a container build
    // lacks): a program reading Go's VCS stamp gets none, and is told how to stamp the same with -X.
    for file in discover::vcs_readers(&repo.join(&draft.settings.app.dir)) {
        draft.note(
            Section::Build,
            format!("the VCS build info that {file} reads"),
            "dist builds with -buildvcs=false, so debug.ReadBuildInfo has no vcs.revision, vcs.time or \
             vcs.modified: stamp them with -X instead, e.g. build.ldflags += [\"-X\", \"main.revision={{ .FullCommit }}\"] \
             (README: build info)",
        );
    }
    Ok(draft.finish())
}

fn draft(repo: &Path) -> anyhow::Result<Draft> {
    if let Some(name) = goreleaser::CONFIG_FILES.into_iter().find(|name| repo.join(name).is_file()) {
        return goreleaser::import(repo, name);
    }
    let module_dir = find_go_mod(repo)?.with_context(|| {
        format!(
            "{} has neither a GoReleaser config ({}) nor a go.mod: run `cargo xtask init` in a Go app's repository",
            repo.display(),
            goreleaser::CONFIG_FILES.join(", ")
        )
    })?;
    let go_mod_file = repo.join(&module_dir).join("go.mod");
    let go_mod =
        std::fs::read_to_string(&go_mod_file).with_context(|| format!("cannot read {}", go_mod_file.display()))?;
    let mains = find_mains(&repo.join(&module_dir))?;
    if mains.is_empty() {
        bail!("no main package (a folder with `package main`) below {}", repo.join(&module_dir).display());
    }
    let source = if module_dir == "." { "go.mod".to_owned() } else { format!("{module_dir}/go.mod") };
    Ok(go_mod_draft(&go_mod, &mains, &module_dir, &source))
}

/// Pure: a .goreleaser.yml text → settings. `module_dir_rel` is the Go module dir relative to where dist.toml
/// will be (usually "."). `main: ./...` (find every main package) needs the files, so it is left unmapped here;
/// [`import`] resolves it. (The tests' entry point: `import` reads the files.)
#[cfg(test)]
pub fn from_goreleaser(yaml: &str, module_dir_rel: &str) -> anyhow::Result<Imported> {
    Ok(goreleaser::draft(yaml, module_dir_rel)?.finish())
}

/// Pure: go.mod text and the main packages found (e.g. ["./cmd/server", "./cmd/cli"] or ["."]) → settings.
#[cfg(test)]
pub fn from_go_mod(go_mod: &str, mains: &[String], module_dir_rel: &str) -> Imported {
    go_mod_draft(go_mod, mains, module_dir_rel, "go.mod").finish()
}

/// The settings for a module without a GoReleaser config: one binary per main package.
fn go_mod_draft(go_mod: &str, mains: &[String], module_dir_rel: &str, source: &str) -> Draft {
    let module = module_path(go_mod);
    let mut draft = Draft::new(source, false, module_dir_rel);
    let bins: Vec<BinarySettings> = mains
        .iter()
        .map(|m| BinarySettings {
            main: dot_path(&norm(m)),
            name: binary_name_for(m, module.as_deref()),
            flags: vec![],
            ldflags: None,
        })
        .collect();
    match bins.as_slice() {
        [] => {}
        [one] => draft.set_main(one.main.clone(), one.name.clone()),
        _ => {
            // `.ProjectName` in archive names: the module, not whichever binary comes first.
            draft.settings.app.name = module.as_deref().and_then(|m| binary_name_for(".", Some(m)));
            draft.settings.binaries = bins;
        }
    }
    draft
}

/// Which section's comment block names a key that was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Top,
    App,
    Build,
    Targets,
    Archive,
    Checksum,
    Packages,
    Images,
    /// `[sbom]`, `[provenance]`, `[sign]`.
    Supply,
}

#[derive(Debug)]
struct Note {
    section: Section,
    key: String,
    why: String,
}

/// What an import decided, before it is written.
#[derive(Debug)]
struct Draft {
    /// The file it came from, for the header and [`Imported::source`].
    source: String,
    /// Made from a GoReleaser config (else from go.mod and the main packages found).
    from_config: bool,
    /// What `dist.toml` will read back: a key at our default is left out of the file unless pinned.
    settings: Settings,
    /// Keys (`archive.wrap`, or `build.stamp` for all of its keys) written even when they hold our default:
    /// what the import decided is spelled out, so the file shows GoReleaser's choice and a later change of
    /// our default does not change this release; and naming the stamp variables makes a missing one an error.
    pinned: BTreeSet<&'static str>,
    notes: Vec<Note>,
}

impl Draft {
    /// Our defaults, in the Go module at `dir` (relative to dist.toml; "" is ".").
    fn new(source: &str, from_config: bool, dir: &str) -> Draft {
        let mut settings = Settings::default();
        settings.app.dir = if dir.is_empty() { "." } else { dir }.into();
        Draft {
            source: source.to_owned(),
            from_config,
            settings,
            pinned: BTreeSet::from(["app.dir", "app.go"]),
            notes: Vec::new(),
        }
    }

    fn note(&mut self, section: Section, key: impl Into<String>, why: impl Into<String>) {
        self.notes.push(Note { section, key: key.into(), why: why.into() });
    }

    fn pin(&mut self, key: &'static str) {
        self.pinned.insert(key);
    }

    /// The one binary: `app.main` (written even when it is ".") and `app.binary`.
    fn set_main(&mut self, main: String, binary: Option<String>) {
        self.settings.app.main = main;
        self.settings.app.binary = binary;
        self.pin("app.main");
    }

    fn finish(self) -> Imported {
        Imported {
            toml: self.render(),
            unmapped: self.notes.iter().map(|n| n.key.clone()).collect(),
            source: self.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated text, read back as `dist` reads it.
    pub(super) fn parse(imported: &Imported) -> Settings {
        toml::from_str::<Settings>(&imported.toml)
            .unwrap_or_else(|e| panic!("the generated dist.toml does not parse: {e}\n{}", imported.toml))
    }

    pub(super) fn strs(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_program_reading_go_vcs_stamp_is_told_to_use_x() {
        let dir = tempfile::tempdir().unwrap();
        let reads = "package main\nimport \"runtime/debug\"\nfunc rev() string {\n\tinfo, _ := debug.ReadBuildInfo()\n\tfor _, s := range info.Settings {\n\t\tif s.Key == \"vcs.revision\" {\n\t\t\treturn s.Value\n\t\t}\n\t}\n\treturn \"\"\n}\n";
        for (path, text) in [
            ("go.mod", "module example.com/tool\n\ngo 1.22\n"),
            ("main.go", "package main\nfunc main() { println(rev()) }\n"),
            ("cmd/tool/version.go", reads),
            ("cmd/tool/main.go", "package main\nfunc main() {}\n"),
            ("cmd/tool/version_test.go", reads),
            ("vendor/example.org/x/x.go", reads),
        ] {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let imported = import(dir.path()).unwrap();
        assert_eq!(imported.unmapped, strs(&["the VCS build info that cmd/tool/version.go reads"]));
        assert!(
            imported.toml.contains("-buildvcs=false, so debug.ReadBuildInfo has no vcs.revision"),
            "{}",
            imported.toml
        );
        parse(&imported);
    }

    #[test]
    fn go_mod_with_two_mains() {
        let imported = from_go_mod(
            "// comment\nmodule github.com/acme/suite // the suite\n\ngo 1.24\n",
            &strs(&["./cmd/server", "./cmd/cli"]),
            ".",
        );
        assert_eq!(imported.source, "go.mod");
        assert_eq!(imported.unmapped, Vec::<String>::new());
        let s = parse(&imported);
        assert_eq!(s.app.name.as_deref(), Some("suite"));
        let bins: Vec<(&str, Option<&str>)> = s.binaries.iter().map(|b| (b.main.as_str(), b.name.as_deref())).collect();
        assert_eq!(bins, [("./cmd/server", Some("server")), ("./cmd/cli", Some("cli"))]);
        assert_eq!(s.build, Settings::default().build, "defaults for everything else");
        assert_eq!(s.targets, Settings::default().targets);
        assert_eq!(s.archive, Settings::default().archive);
        assert_eq!(s.checksum, Settings::default().checksum);
        assert!(!imported.toml.contains("[build]"), "{}", imported.toml);
    }

    #[test]
    fn go_mod_with_one_main_at_the_top() {
        let s = parse(&from_go_mod("module \"example.com/tools/hello/v3\"\n", &strs(&["."]), "app"));
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), (".", Some("hello")));
        assert_eq!(s.app.go, "1.26.8");
        assert!(s.binaries.is_empty());
        let s = parse(&from_go_mod("module tool\n", &strs(&["./cmd/tool"]), "."));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/tool", Some("tool")));
    }

    #[test]
    fn import_this_repository() {
        let imported = import(&crate::project::root()).unwrap();
        assert_eq!(imported.source, "app/go.mod");
        let s = parse(&imported);
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/hello", Some("hello")));
    }

    #[test]
    fn import_from_go_mod_in_a_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/cmd/hello")).unwrap();
        std::fs::write(root.join("app/go.mod"), "module example.com/hello\n").unwrap();
        std::fs::write(root.join("app/cmd/hello/main.go"), "package main\n").unwrap();
        let imported = import(root).unwrap();
        assert_eq!(imported.source, "app/go.mod");
        let s = parse(&imported);
        assert_eq!(s.app.dir, std::path::PathBuf::from("app"));
        assert_eq!((s.app.main.as_str(), s.app.binary.as_deref()), ("./cmd/hello", Some("hello")));
        let header = "# What `cargo xtask dist` builds: written by `cargo xtask init` from app/go.mod and the main \
                      packages below it.\n";
        assert!(imported.toml.starts_with(header), "{}", imported.toml);

        let empty = tempfile::tempdir().unwrap();
        let err = format!("{:#}", import(empty.path()).unwrap_err());
        assert!(err.contains("neither a GoReleaser config"), "{err}");
    }
}
