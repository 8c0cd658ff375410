//! Unit tests of the settings: defaults, binaries, the matrix, archive settings, errors naming the key and the file.

use super::*;

fn parse(text: &str) -> anyhow::Result<Resolved> {
    toml::from_str::<Settings>(text)?.resolve(Path::new("/proj/dist.toml"))
}

fn names(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|t| t.to_string()).collect()
}

#[test]
fn empty_file_gives_the_documented_defaults() {
    let r = parse("").unwrap();
    assert_eq!(r.app_dir, Path::new("/proj/app"));
    assert_eq!(
        r.binaries,
        [Binary {
            name: "app".into(),
            templated: false,
            main: ".".into(),
            flags: vec![],
            ldflags: vec!["-s".into(), "-w".into()]
        }]
    );
    assert_eq!(r.project, "app");
    assert_eq!(r.image, "golang:1.26.8");
    assert_eq!(
        names(&r.matrix.targets),
        ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"]
    );
    assert!(!r.matrix.explicit);
    assert_eq!(r.archives[0].format, Format::TarGz);
    assert_eq!(r.archives[0].formats["windows"], Format::Zip);
    assert!(r.archives[0].wrap);
    assert_eq!(r.checksum_name.source(), "SHA256SUMS");
}

#[test]
fn binary_defaults_to_the_main_package_name() {
    assert_eq!(parse("[app]\nmain = \"./cmd/server/\"").unwrap().binaries[0].name, "server");
    assert_eq!(parse("[app]\nbinary = \"tool\"").unwrap().binaries[0].name, "tool");
}

#[test]
fn several_binaries_with_their_own_flags() {
    let r = parse(
        r#"[app]
        name = "suite"
        [[binaries]]
        main = "./cmd/server"
        flags = ["-tags=server"]
        [[binaries]]
        main = "./cmd/cli"
        name = "suite-cli"
        ldflags = ["-s"]"#,
    )
    .unwrap();
    assert_eq!(r.project, "suite");
    let got: Vec<(&str, &str, Vec<String>, Vec<String>)> =
        r.binaries.iter().map(|b| (b.name.as_str(), b.main.as_str(), b.flags.clone(), b.ldflags.clone())).collect();
    assert_eq!(
        got,
        [
            ("server", "./cmd/server", vec!["-tags=server".to_owned()], vec!["-s".to_owned(), "-w".to_owned()]),
            ("suite-cli", "./cmd/cli", vec![], vec!["-s".to_owned()])
        ]
    );
    let err = format!("{:#}", parse("[[binaries]]\nmain = \"./a\"\n[[binaries]]\nmain = \"./b/a\"").unwrap_err());
    assert!(err.contains("two [[binaries]] are named \"a\""), "{err}");
    let err = format!("{:#}", parse("[app]\nbinary = \"x\"\n[[binaries]]\nmain = \"./a\"").unwrap_err());
    assert!(err.contains("either `app.main`/`app.binary` or [[binaries]]"), "{err}");
}

#[test]
fn matrix_expands_arm_variants_and_drops_ignored() {
    let r = parse(
        r#"[targets]
        os = ["linux", "windows"]
        arch = ["amd64", "arm"]
        arm = ["6", "v7"]
        ignore = ["windows/arm", "linux/arm/v6"]"#,
    )
    .unwrap();
    assert_eq!(names(&r.matrix.targets), ["linux/amd64", "linux/arm/v7", "windows/amd64"]);
}

#[test]
fn an_explicit_list_replaces_the_matrix() {
    let r = parse("[targets]\nlist = [\"linux/arm/v6\", \"darwin/arm64\"]").unwrap();
    assert_eq!(names(&r.matrix.targets), ["darwin/arm64", "linux/arm/v6"]);
    assert!(r.matrix.explicit);
}

#[test]
fn archive_settings() {
    let r = parse(
        r#"[archive]
        name = "{{ .ProjectName }}_{{ .Os }}"
        format = "binary"
        formats = { linux = "tar.gz" }
        replacements = { amd64 = "x86_64" }
        files = ["docs/*.md"]
        wrap = false
        [checksum]
        name = "{{ .ProjectName }}_checksums.txt""#,
    )
    .unwrap();
    assert_eq!((r.archives[0].format, r.archives[0].formats["linux"]), (Format::Binary, Format::TarGz));
    assert!(!r.archives[0].formats.contains_key("windows"), "formats replaces the default map");
    assert_eq!(r.archives[0].replacements["amd64"], "x86_64");
    assert_eq!(r.archives[0].name.source(), "{{ .ProjectName }}_{{ .Os }}");
    let err = format!("{:#}", parse("[archive]\nformat = \"rar\"").unwrap_err());
    assert!(err.contains("unknown variant `rar`"), "{err}");
    let err = format!("{:#}", parse("[archive]\nname = \"{{ .Os\"").unwrap_err());
    assert!(err.contains("`archive.name` is not a valid template"), "{err}");
    let err = format!("{:#}", parse("[checksum]\nname = \"{{ .Projectname }}.txt\"").unwrap_err());
    assert!(
        err.contains("`checksum.name` uses .Projectname, which is not a field; the fields are .Amd64, .Arch"),
        "{err}"
    );
}

#[test]
fn the_repository_dist_toml_is_valid() {
    let file = crate::project::root().join("dist.toml");
    let r = Settings::load(&file).unwrap();
    assert_eq!(r.binaries[0].name, "hello");
    assert!(r.app_dir.join(&r.binaries[0].main).join("main.go").is_file());
}

#[test]
fn errors_name_the_field() {
    let err = |t: &str| format!("{:#}", parse(t).unwrap_err());
    assert!(err("[app]\nbinray = \"x\"").contains("unknown field `binray`"), "{}", err("[app]\nbinray = \"x\""));
    assert!(err("[app]\ngo = \"1.26\"").contains("`app.go` = \"1.26\""));
    assert!(err("[app]\nimage = \"golang:latest\"").contains("`app.image`"));
    assert!(err("[app]\nmain = \"\"").contains("`app.main` is empty"));
    assert!(err("[targets]\narm = [\"8\"]").contains("`targets.arm`"));
    assert!(err("[targets]\nignore = [\"linux\"]").contains("targets.ignore"));
    assert!(err("[targets]\nlist = [\"linux\"]").contains("targets.list"));
    assert!(err("[targets]\nos = []").contains("selects nothing"));
    assert!(err("[build]\nenv = { GOOS = \"linux\" }").contains("`build.env` sets GOOS"));
    assert!(err("[targets]\nos = \"linux\"").contains("invalid type"));
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dist.toml");
    std::fs::write(&file, "[targets]\nos = [\"linux\"]\narhc = [\"amd64\"]\n").unwrap();
    let err = format!("{:#}", Settings::load(&file).unwrap_err());
    assert!(err.contains(&format!("invalid settings in {}", file.display())), "{err}");
    assert!(err.contains("arhc"), "{err}");
    std::fs::write(&file, b"[app]\nname = \"\xff\"\n").unwrap();
    let err = format!("{:#}", Settings::load(&file).unwrap_err());
    assert!(err.contains("is not UTF-8 text"), "{err}");
}

/// Flags the plan sets itself are refused where a later one would silently win.
#[test]
fn flags_the_plan_sets_are_refused_with_the_key_to_use() {
    for (text, want) in [
        ("[build]\nflags = [\"-ldflags=-s -w\"]", "`build.flags` has -ldflags=-s -w: set `build.ldflags`"),
        ("[build]\nflags = [\"-tags=x\"]", "`build.flags` has -tags=x: set `build.tags`"),
        ("[build]\nflags = [\"-o\", \"out\"]", "`build.flags` has -o: the plan names every output"),
        ("[build]\nflags = [\"-trimpath\"]", "`build.flags` has -trimpath: the plan always sets"),
        ("[build]\nenv = { GOFLAGS = \"-v -ldflags=-X=main.v=1\" }", "`build.env.GOFLAGS` has -ldflags=-X=main.v=1"),
        ("[[binaries]]\nmain = \".\"\nflags = [\"-ldflags=-w\"]", "`binaries[0].flags` has -ldflags=-w"),
    ] {
        let err =
            format!("{:#}", toml::from_str::<Settings>(text).unwrap().resolve(Path::new("/x/dist.toml")).unwrap_err());
        assert!(err.contains(want), "{text}: {err}");
    }
    // A binary's own -tags replaces build.tags for it.
    let ok = "[[binaries]]\nmain = \".\"\nname = \"x\"\nflags = [\"-tags=netgo\"]";
    toml::from_str::<Settings>(ok).unwrap().resolve(Path::new("/x/dist.toml")).unwrap();
}

const TWO_COMMANDS: &str = "[[binaries]]\nmain = \"./cmd/tool\"\n[[binaries]]\nmain = \"./cmd/toolctl\"\n";

/// `[[archives]]`: each set picks its binaries by name, has the keys and defaults of `[archive]`, and
/// names every mistake by its key.
#[test]
fn archive_sets_pick_binaries_by_name() {
    let r = parse(&format!(
        "{TWO_COMMANDS}[[archives]]\nid = \"tool\"\nbinaries = [\"tool\"]\nname = \"tool_{{{{ .Os }}}}\"\n\
         [[archives]]\nbinaries = [\"toolctl\", \"tool\"]\nformat = \"binary\"\nwrap = false\n[[archives]]\n"
    ))
    .unwrap();
    let sets: Vec<_> = r
        .archives
        .iter()
        .map(|a| (a.key.as_str(), a.id.as_deref(), a.binaries.clone(), a.name.source(), a.format, a.wrap))
        .collect();
    assert_eq!(
        sets,
        [
            ("archives[0]", Some("tool"), vec![0], "tool_{{ .Os }}", Format::TarGz, true),
            ("archives[1]", None, vec![1, 0], DEFAULT_ARCHIVE_NAME, Format::Binary, false),
            ("archives[2]", None, vec![0, 1], DEFAULT_ARCHIVE_NAME, Format::TarGz, true),
        ]
    );
    assert_eq!(r.archives[2].format_for("windows"), Format::Zip, "each set has [archive]'s defaults");
    // `[archive]` alone is the one set, as it always was; it may pick binaries too.
    let r = parse(&format!("{TWO_COMMANDS}[archive]\nbinaries = [\"toolctl\"]")).unwrap();
    assert_eq!((r.archives.len(), r.archives[0].key.as_str(), &r.archives[0].binaries), (1, "archive", &vec![1]));

    let err = |text: &str| format!("{:#}", parse(&format!("{TWO_COMMANDS}{text}")).unwrap_err());
    assert_eq!(
        err("[archive]\nname = \"x\"\n[[archives]]\nname = \"y\""),
        "both [archive] and [[archives]] are set: [archive] is the one archive set, [[archives]] lists several; \
         move [archive] into a [[archives]] entry"
    );
    assert_eq!(
        err("[[archives]]\n[[archives]]\nbinaries = [\"tool\", \"tolctl\"]"),
        "`archives[1].binaries` names \"tolctl\", which is not a binary; the binaries are [\"tool\", \"toolctl\"]"
    );
    assert_eq!(err("[[archives]]\nbinaries = [\"tool\", \"tool\"]"), "`archives[0].binaries` names \"tool\" twice");
    assert_eq!(
        err("[[archives]]\nid = \"a\"\n[[archives]]\nid = \"b\"\n[[archives]]\nid = \"a\""),
        "`archives[0].id` and `archives[2].id` are both \"a\": give each archive set an id of its own"
    );
    assert_eq!(err("[[archives]]\nid = \" \""), "`archives[0].id` is empty: name the set, or leave `id` out");
    assert!(err("[[archives]]\n[[archives]]\nname = \"{{ .Os\"").contains("`archives[1].name` is not a valid template"));
    assert!(err("[[archives]]\nformats = { Windows = \"zip\" }").contains("`archives[0].formats` has \"Windows\""));
    assert!(err("[[archives]]\nbinary = [\"tool\"]").contains("unknown field `binary`"));
    let err = err("[archive]\nbinaries = [\"nope\"]");
    assert!(err.starts_with("`archive.binaries` names \"nope\", which is not a binary"), "{err}");
}
