//! The engine's Go against `app.go`: another Go stops the command before
//! anything is built, naming both and the fixes, unless the user opts in.

use anyhow::bail;

use crate::plan::{Engine, Toolchain};
use crate::settings::Resolved;

/// The engine's Go against `app.go`, before anything is planned or built: another
/// Go stops the command, naming both and the fixes, unless `allow_other`
/// (`--allow-other-go`), which turns it into a warning.
pub fn check_go(toolchain: &Toolchain, settings: &Resolved, engine: Engine, allow_other: bool) -> anyhow::Result<()> {
    let Some((problem, fixes)) = go_mismatch(toolchain, settings, engine) else { return Ok(()) };
    if allow_other {
        crate::ui::warn(format!(
            "{problem}; building with {} anyway (--allow-other-go): the manifest records it",
            toolchain.go_version
        ));
        return Ok(());
    }
    bail!(
        "{problem}; nothing was built. Either:\n{}",
        fixes.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
    )
}

/// What is wrong and how to fix it, when the engine's Go is not `app.go`.
fn go_mismatch(toolchain: &Toolchain, settings: &Resolved, engine: Engine) -> Option<(String, Vec<String>)> {
    let wanted = &settings.go_version;
    let found = &toolchain.go_version;
    if *found == format!("go{wanted}") {
        return None;
    }
    let why = match (engine, &toolchain.why_other, &settings.raw.app.image) {
        (_, Some(why), _) => why.clone(),
        (Engine::Dagger, None, Some(image)) => format!("`app.image` = {image:?} holds {found}"),
        (Engine::Dagger, None, None) => format!("the image {} holds {found}", settings.image),
        (Engine::Host, None, None | Some(_)) => format!("{} reports {found}", toolchain.label),
    };
    let problem =
        format!("the {engine} engine has {found}, not go{wanted} (app.go in {}): {why}", settings.file.display());
    // `--settings FILE` only where the file is not the default one.
    let settings_arg = if settings.file == crate::project::root().join("dist.toml") {
        String::new()
    } else {
        format!(" --settings {}", settings.file.display())
    };
    let mut fixes = Vec::new();
    match engine {
        Engine::Host => {
            fixes.push(format!("install Go {wanted} (https://go.dev/dl/) and put it first on PATH"));
            if !crate::toolchain::pinned_here(wanted) {
                fixes.push(format!(
                    "`cargo xtask toolchain --set {wanted}{settings_arg}`: verifies Go {wanted}'s module zips and pins \
                     their hashes, so the host engine can fetch it"
                ));
            }
        }
        Engine::Dagger if settings.raw.app.image.is_some() => fixes.push(format!(
            "set `app.image` to an image with Go {wanted} (e.g. \"golang:{wanted}\"), or remove it to use golang:{wanted}"
        )),
        Engine::Dagger => fixes.push(format!("set `app.image` to an image that holds Go {wanted}")),
    }
    if let Some(release) = found.strip_prefix("go").filter(|v| crate::settings::check_go_version(v).is_ok()) {
        fixes.push(format!(
            "`cargo xtask toolchain --set {release}{settings_arg}`: makes {found} this project's Go (app.go, the \
             pinned hashes, the workflows)"
        ));
    }
    fixes.push(format!("rerun with --allow-other-go to build with {found} anyway (the manifest records it)"));
    Some((problem, fixes))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::settings::Settings;

    fn settings(text: &str) -> Resolved {
        toml::from_str::<Settings>(text).unwrap().resolve(&crate::project::root().join("dist.toml")).unwrap()
    }

    fn toolchain() -> Toolchain {
        other_go("go1.26.8", "go1.26.8", None)
    }

    fn other_go(go_version: &str, label: &str, why_other: Option<&str>) -> Toolchain {
        Toolchain {
            go_version: go_version.into(),
            dist_list: "linux/amd64\n".into(),
            label: label.into(),
            fingerprint: String::new(),
            content: None,
            why_other: why_other.map(str::to_owned),
        }
    }

    #[test]
    fn a_dagger_image_with_another_go_stops_the_run_with_the_fixes() {
        let s = settings("[app]\ngo = \"1.25.5\"\nimage = \"registry.internal/golang:1.26.8@sha256:abc\"");
        let t = other_go("go1.26.8", "go1.26.8 in registry.internal/golang:1.26.8@sha256:abc", None);
        let err = check_go(&t, &s, Engine::Dagger, false).unwrap_err().to_string();
        let file = crate::project::root().join("dist.toml");
        assert_eq!(
            err,
            format!(
                "the dagger engine has go1.26.8, not go1.25.5 (app.go in {}): `app.image` = \
                 \"registry.internal/golang:1.26.8@sha256:abc\" holds go1.26.8; nothing was built. Either:\n  \
                 - set `app.image` to an image with Go 1.25.5 (e.g. \"golang:1.25.5\"), or remove it to use golang:1.25.5\n  \
                 - `cargo xtask toolchain --set 1.26.8`: makes go1.26.8 this project's Go (app.go, the pinned hashes, \
                 the workflows)\n  \
                 - rerun with --allow-other-go to build with go1.26.8 anyway (the manifest records it)",
                file.display()
            )
        );
        // Opted in: a warning only.
        check_go(&t, &s, Engine::Dagger, true).unwrap();
        // The image's own Go, when the settings name none.
        let s = settings("[app]\ngo = \"1.25.5\"");
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Dagger).unwrap();
        assert!(problem.ends_with("): the image golang:1.25.5 holds go1.26.8"), "{problem}");
        assert_eq!(fixes[0], "set `app.image` to an image that holds Go 1.25.5");
    }

    #[test]
    fn the_pinned_go_passes_on_either_engine() {
        let s = settings("[app]\ngo = \"1.26.8\"");
        for engine in [Engine::Dagger, Engine::Host] {
            assert!(go_mismatch(&toolchain(), &s, engine).is_none());
            check_go(&toolchain(), &s, engine, false).unwrap();
        }
    }

    #[test]
    fn the_host_names_why_and_offers_to_pin_a_go_with_no_hash() {
        let s =
            toml::from_str::<Settings>("[app]\ngo = \"9.9.8\"").unwrap().resolve(Path::new("/else/dist.toml")).unwrap();
        let why = "no pinned hash for go9.9.8 linux/amd64 in xtask/go-toolchains.sha256, so it cannot be fetched; \
                   the go on PATH is /usr/bin/go";
        let t = other_go("go1.26.8", "the host's go1.26.8", Some(why));
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Host).unwrap();
        assert_eq!(problem, format!("the host engine has go1.26.8, not go9.9.8 (app.go in /else/dist.toml): {why}"));
        assert_eq!(
            fixes,
            [
                "install Go 9.9.8 (https://go.dev/dl/) and put it first on PATH",
                "`cargo xtask toolchain --set 9.9.8 --settings /else/dist.toml`: verifies Go 9.9.8's module zips and \
                 pins their hashes, so the host engine can fetch it",
                "`cargo xtask toolchain --set 1.26.8 --settings /else/dist.toml`: makes go1.26.8 this project's Go \
                 (app.go, the pinned hashes, the workflows)",
                "rerun with --allow-other-go to build with go1.26.8 anyway (the manifest records it)",
            ]
        );
        // A pinned Go that could not be fetched: no `--set` of it; a development Go: no `--set` of that either.
        let s = settings("[app]\ngo = \"1.26.8\"");
        let t = other_go("devel go1.27-abc", "the host's devel go1.27-abc", Some("cannot get Go 1.26.8: offline"));
        let (problem, fixes) = go_mismatch(&t, &s, Engine::Host).unwrap();
        assert!(problem.ends_with("): cannot get Go 1.26.8: offline"), "{problem}");
        assert_eq!(fixes.len(), 2, "{fixes:?}");
        assert!(fixes[0].starts_with("install Go 1.26.8") && fixes[1].starts_with("rerun with --allow-other-go"));
    }
}
