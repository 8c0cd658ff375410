//! Unit tests of the plan: targets, names, keys, shards, flags that name files.

use super::*;
use crate::settings::Settings;
use crate::source::{Outputs, SourceDigest};

fn settings(text: &str) -> Resolved {
    toml::from_str::<Settings>(text).unwrap().resolve(&crate::project::root().join("dist.toml")).unwrap()
}

fn stamp() -> Stamp {
    Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None)
}

const DIST_LIST: &str = "darwin/amd64\ndarwin/arm64\nlinux/386\nlinux/amd64\nlinux/arm\nlinux/arm64\nwindows/386\nwindows/amd64\nwindows/arm64\n";

fn toolchain() -> Toolchain {
    Toolchain {
        go_version: "go1.26.8".into(),
        dist_list: DIST_LIST.into(),
        label: "go1.26.8".into(),
        fingerprint: "go1.26.8 as installed".into(),
        content: None,
        why_other: None,
    }
}

fn plan_of(s: &Resolved, selected: &[Target]) -> anyhow::Result<Plan> {
    let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
    Plan::new(s, selected, stamp(), source, &toolchain(), &BTreeMap::from([("TEAM".to_owned(), "core".to_owned())]))
}

#[test]
fn default_plan_builds_six_static_stamped_targets() {
    let plan = plan_of(&settings("[app]\ndir = \"app\"\nmain = \"./cmd/hello\""), &[]).unwrap();
    let outputs: Vec<&str> = plan.builds.iter().map(|b| b.outputs[0].as_str()).collect();
    assert_eq!(
        outputs,
        [
            "darwin/amd64/hello",
            "darwin/arm64/hello",
            "linux/amd64/hello",
            "linux/arm64/hello",
            "windows/amd64/hello.exe",
            "windows/arm64/hello.exe"
        ]
    );
    assert_eq!(
        plan.go_build_argv(&plan.builds[2], 0, "/out/linux/amd64/hello"),
        [
            "go",
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags=-s -w -X main.version=1.2.3 -X main.commit=c0ffee1234 -X main.date=2023-11-14T22:13:20Z",
            "-o",
            "/out/linux/amd64/hello",
            "./cmd/hello"
        ]
    );
    let arm = plan_of(&settings("[targets]\nlist = [\"linux/arm/v7\"]"), &[]).unwrap();
    let env = arm.env_for(&arm.builds[0]);
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        env,
        [
            "CGO_ENABLED=0",
            "GOENV=off",
            "GOFLAGS=",
            "GOTOOLCHAIN=local",
            "GOWORK=off",
            "GOOS=linux",
            "GOARCH=arm",
            "GOARM=7"
        ]
    );
    assert_eq!(plan.download, Some(vec!["go".to_owned(), "mod".to_owned(), "download".to_owned()]));
    let archives: Vec<String> = plan
        .builds
        .iter()
        .map(|b| match &b.archives[..] {
            [ArchivePlan { package: Package::Archive { file, .. }, .. }] => file.clone(),
            other => panic!("one archive expected, not {other:?}"),
        })
        .collect();
    assert_eq!(archives[2], "hello_1.2.3_linux_amd64.tar.gz");
    assert_eq!(archives[4], "hello_1.2.3_windows_amd64.zip");
    assert_eq!(plan.checksum_file, "SHA256SUMS");
    assert_eq!(plan.extra_files.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["README.md"]);
}

#[test]
fn settings_reach_the_command_line() {
    let s = settings(
        r#"[build]
        ldflags = []
        tags = ["netgo", "osusergo"]
        flags = ["-mod=readonly"]
        env = { CGO_ENABLED = "1", GOFLAGS = "-v" }
        [build.stamp]
        version = "example.com/x/internal/v.Version"
        commit = ""
        date = "main.built""#,
    );
    let plan = plan_of(&s, &[]).unwrap();
    assert_eq!(
        plan.builds[0].flags[0],
        [
            "-trimpath",
            "-buildvcs=false",
            "-ldflags=-X example.com/x/internal/v.Version=1.2.3 -X main.built=2023-11-14T22:13:20Z",
            "-tags=netgo,osusergo",
            "-mod=readonly"
        ]
    );
    assert_eq!(plan.env["CGO_ENABLED"], "1");
    assert_eq!(plan.env["GOFLAGS"], "-v");
}

#[test]
fn command_line_targets_replace_the_matrix_and_must_be_supported() {
    let wanted: Vec<Target> = ["linux/arm/v6", "linux/amd64", "linux/amd64"].map(|t| t.parse().unwrap()).to_vec();
    let plan = plan_of(&settings(""), &wanted).unwrap();
    let outputs: Vec<&str> = plan.builds.iter().map(|b| b.outputs[0].as_str()).collect();
    assert_eq!(outputs, ["linux/amd64/app", "linux/arm/v6/app"]);
    let err = plan_of(&settings(""), &["darwin/386".parse().unwrap()]).unwrap_err().to_string();
    assert!(err.starts_with("target darwin/386 is not supported by go1.26.8"), "{err}");
}

#[test]
fn a_cross_product_drops_unsupported_pairs() {
    let s = settings(
        "[targets]\nos = [\"linux\", \"darwin\", \"windows\"]\narch = [\"386\", \"arm\"]\narm = [\"6\", \"7\"]",
    );
    let plan = plan_of(&s, &[]).unwrap();
    let names = |ts: Vec<Target>| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    assert_eq!(names(plan.targets()), ["linux/386", "linux/arm/v6", "linux/arm/v7", "windows/386"]);
    assert_eq!(
        names(plan.dropped.clone()),
        ["darwin/386", "darwin/arm/v6", "darwin/arm/v7", "windows/arm/v6", "windows/arm/v7"]
    );
}

#[test]
fn names_follow_templates_replacements_and_formats() {
    let s = settings(
        r#"[app]
        name = "tool"
        [[binaries]]
        main = "./cmd/hello"
        [[binaries]]
        main = "./cmd/hello"
        name = "hello2"
        [targets]
        list = ["linux/amd64", "darwin/arm64", "linux/arm/v6", "windows/386"]
        [archive]
        name = "{{ .Binary }}_{{ .Env.TEAM }}_{{ title .Os }}_{{ .Arch }}{{ if .Arm }}v{{ .Arm }}{{ end }}"
        replacements = { amd64 = "x86_64", "386" = "i386" }
        formats = { darwin = "binary", windows = "zip" }
        [checksum]
        name = "{{ .ProjectName }}_{{ .Version }}_checksums.txt""#,
    );
    let plan = plan_of(&s, &[]).unwrap();
    let packages: Vec<String> = plan
        .builds
        .iter()
        .map(|b| match &b.archives[0].package {
            Package::Archive { file, folder: Some(folder), .. } => format!("{file} in {folder}/"),
            Package::Archive { file, folder: None, .. } => format!("{file} unwrapped"),
            Package::Bare(files) => files.join(" "),
        })
        .collect();
    assert_eq!(
        packages,
        [
            "hello_core_Darwin_arm64 hello2_core_Darwin_arm64",
            "hello_core_Linux_x86_64.tar.gz in hello_core_Linux_x86_64/",
            "hello_core_Linux_armv6.tar.gz in hello_core_Linux_armv6/",
            "hello_core_Windows_i386.zip in hello_core_Windows_i386/"
        ]
        .map(String::from)
    );
    assert_eq!(plan.checksum_file, "tool_1.2.3_checksums.txt");
    assert_eq!(plan.builds[3].outputs, ["windows/386/hello.exe", "windows/386/hello2.exe"]);
    let err = format!("{:#}", plan_of(&settings("[archive]\nname = \"{{ .ProjectName }}\""), &[]).unwrap_err());
    assert!(err.contains("`archive.name` gives app.tar.gz for both darwin/amd64 and darwin/arm64"), "{err}");
}

/// Each archive set gives every target an archive of its own binaries and files, under its own name
/// (its replacements, its format for the OS); names that collide are refused naming both keys.
#[test]
fn each_archive_set_packs_its_own_binaries_under_its_own_name() {
    let s = settings(
        r#"[app]
        name = "tool"
        [[binaries]]
        main = "./cmd/hello"
        name = "tool"
        [[binaries]]
        main = "./cmd/hello"
        name = "toolctl"
        [targets]
        list = ["linux/amd64", "windows/arm64"]
        [[archives]]
        id = "main"
        binaries = ["tool"]
        name = "{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}"
        replacements = { amd64 = "x86_64" }
        [[archives]]
        binaries = ["toolctl"]
        name = "{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}"
        formats = { windows = "binary" }
        files = []
        wrap = false"#,
    );
    let plan = plan_of(&s, &[]).unwrap();
    let sets: Vec<Vec<String>> = plan
        .builds
        .iter()
        .map(|b| {
            b.archives
                .iter()
                .map(|a| {
                    let packed = match &a.package {
                        Package::Archive { file, folder, files, .. } => {
                            format!("{file} in {folder:?} with {files:?}")
                        }
                        Package::Bare(names) => names.join(" "),
                    };
                    format!("{:?} {:?}: {packed}", a.id, a.binaries)
                })
                .collect()
        })
        .collect();
    assert_eq!(
        sets,
        [
            [
                "Some(\"main\") [0]: tool_1.2.3_linux_x86_64.tar.gz in Some(\"tool_1.2.3_linux_x86_64\") with [\"README.md\"]",
                "None [1]: toolctl_1.2.3_linux_amd64.tar.gz in None with []",
            ],
            [
                "Some(\"main\") [0]: tool_1.2.3_windows_arm64.zip in Some(\"tool_1.2.3_windows_arm64\") with [\"README.md\"]",
                "None [1]: toolctl_1.2.3_windows_arm64.exe",
            ],
        ]
    );
    assert_eq!(plan.extra_files.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["README.md"]);

    let err = |text: &str| {
        let s = settings(&format!("[[binaries]]\nmain = \"./cmd/hello\"\n[[binaries]]\nmain = \"./cmd/hello\"\nname = \"b\"\n[targets]\nlist = [\"linux/amd64\"]\n{text}"));
        format!("{:#}", plan_of(&s, &[]).unwrap_err())
    };
    assert_eq!(
        err("[[archives]]\nbinaries = [\"hello\"]\n[[archives]]\nbinaries = [\"b\"]"),
        "`archives[0].name` and `archives[1].name` both give hello_1.2.3_linux_amd64.tar.gz for linux/amd64: give \
         each its own name"
    );
    assert_eq!(
        err("[[archives]]\nformat = \"binary\"\nname = \"{{ .Os }}\""),
        "`archives[0].name` gives linux twice for linux/amd64: give each file a name of its own (.Binary for bare binaries)"
    );
    assert_eq!(
        err("[[archives]]\n[[archives]]\nformat = \"binary\"\nname = \"{{ .Binary }}\"\n[checksum]\nname = \"b\""),
        "`checksum.name` gives b, which `archives[1].name` gives too: give the checksum file a name of its own"
    );
}

#[test]
fn shards_cover_every_target_exactly_once() {
    let s = settings("[targets]\nos = [\"linux\", \"windows\", \"darwin\"]\narch = [\"amd64\", \"arm64\", \"386\", \"arm\"]\narm = [\"6\", \"7\"]");
    let plan = plan_of(&s, &[]).unwrap();
    let all: Vec<String> = plan.targets().iter().map(|t| t.to_string()).collect();
    assert_eq!(all.len(), 10);
    for n in 1..=7 {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        for i in 1..=n {
            let shard = plan.shard(i, n);
            assert_eq!(shard.shard.as_deref(), Some(format!("{i}/{n}").as_str()));
            sizes.push(shard.builds.len());
            seen.extend(shard.targets().iter().map(|t| t.to_string()));
            // Deterministic: the same shard twice is the same list.
            assert_eq!(shard.targets(), plan.shard(i, n).targets());
        }
        seen.sort();
        let mut want = all.clone();
        want.sort();
        assert_eq!(seen, want, "{n} shards cover every target once");
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{n} shards: {sizes:?}");
    }
    assert_eq!(
        plan.shard(2, 3).targets().iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        ["darwin/arm64", "linux/arm/v6", "windows/386"]
    );
}

/// The binaries' key changes with everything a build reads or is told, and
/// with nothing else (names, formats and shipped files are the package's).
#[test]
fn the_target_key_covers_every_input_and_nothing_else() {
    let base = "[app]\nmain = \"./cmd/hello\"\n";
    let inputs = Inputs {
        source_digest: SourceDigest::of_files(&[("main.go", "src")]),
        toolchain: "go1.26.8 here".into(),
        engine: Engine::Host,
    };
    let key_of = |text: &str, stamp: Stamp, inputs: &Inputs| {
        let s = settings(text);
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        let p = Plan::new(&s, &[], stamp, source, &toolchain(), &BTreeMap::new()).unwrap();
        let linux = p.builds.iter().find(|b| b.target.to_string() == "linux/amd64").unwrap();
        p.target_key(linux, inputs)
    };
    let k0 = key_of(base, stamp(), &inputs);
    assert_eq!(key_of(base, stamp(), &inputs), k0, "deterministic");
    let mut changed: Vec<(&str, String)> = vec![
        (
            "source",
            key_of(
                base,
                stamp(),
                &Inputs { source_digest: SourceDigest::of_files(&[("main.go", "src2")]), ..inputs.clone() },
            ),
        ),
        ("toolchain", key_of(base, stamp(), &Inputs { toolchain: "go1.26.8 patched".into(), ..inputs.clone() })),
        ("engine", key_of(base, stamp(), &Inputs { engine: Engine::Dagger, ..inputs.clone() })),
        ("ldflags", key_of(&format!("{base}[build]\nldflags = [\"-s\"]\n"), stamp(), &inputs)),
        ("tags", key_of(&format!("{base}[build]\ntags = [\"netgo\"]\n"), stamp(), &inputs)),
        ("flags", key_of(&format!("{base}[build]\nflags = [\"-race\"]\n"), stamp(), &inputs)),
        ("env", key_of(&format!("{base}[build]\nenv = {{ GOEXPERIMENT = \"x\" }}\n"), stamp(), &inputs)),
        ("stamp variable", key_of(&format!("{base}[build.stamp]\nversion = \"main.v\"\n"), stamp(), &inputs)),
        ("main", key_of("[app]\nmain = \"./cmd/other\"\nbinary = \"hello\"\n", stamp(), &inputs)),
        ("binary name", key_of(&format!("{base}binary = \"hi\"\n"), stamp(), &inputs)),
    ];
    for (what, s) in [
        ("tag", Stamp::from_parts(Some("v1.2.4".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None)),
        ("commit", Stamp::from_parts(Some("v1.2.3".into()), Some("beef".into()), Some(1_700_000_000), None)),
        ("date", Stamp::from_parts(Some("v1.2.3".into()), Some("c0ffee1234".into()), Some(1_700_000_001), None)),
        ("dirty", Stamp::from_parts(Some("v1.2.3-dirty".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None)),
    ] {
        changed.push((what, key_of(base, s, &inputs)));
    }
    for (what, key) in &changed {
        assert_ne!(*key, k0, "a change of {what} must change the key");
    }
    // A file only another system's build reads (by its name) changes that system's keys only,
    // unless a build tag names this system's neighbour in.
    let key_for = |text: &str, target: &str, files: &[(&str, &str)]| {
        let s = settings(text);
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        let p = Plan::new(&s, &[], stamp(), source, &toolchain(), &BTreeMap::new()).unwrap();
        let build = p.builds.iter().find(|b| b.target.to_string() == target).unwrap();
        p.target_key(build, &Inputs { source_digest: SourceDigest::of_files(files), ..inputs.clone() })
    };
    let one = [("main.go", "src"), ("x_windows.go", "one"), ("y_arm64.go", "one")];
    let two = [("main.go", "src"), ("x_windows.go", "two"), ("y_arm64.go", "one")];
    let arm = [("main.go", "src"), ("x_windows.go", "one"), ("y_arm64.go", "two")];
    assert_eq!(key_for(base, "linux/amd64", &one), key_for(base, "linux/amd64", &two), "x_windows.go on linux");
    assert_ne!(key_for(base, "windows/amd64", &one), key_for(base, "windows/amd64", &two), "x_windows.go on windows");
    assert_eq!(key_for(base, "windows/amd64", &one), key_for(base, "windows/amd64", &arm), "y_arm64.go on amd64");
    assert_ne!(key_for(base, "linux/arm64", &one), key_for(base, "linux/arm64", &arm), "y_arm64.go on arm64");
    // Tags, in every form Go reads them, can name the file in.
    for tagged in [
        format!("{base}[build]\ntags = [\"windows\"]\n"),
        format!("{base}[build]\ntags = [\"netgo\", \"windows\"]\n"),
        "[app]\n\n[[binaries]]\nmain = \"./cmd/hello\"\nflags = [\"--tags=windows\"]\n".to_owned(),
        "[app]\n\n[[binaries]]\nmain = \"./cmd/hello\"\nflags = [\"-tags='windows'\"]\n".to_owned(),
        "[app]\n\n[[binaries]]\nmain = \"./cmd/hello\"\nflags = [\"-tags=netgo windows\"]\n".to_owned(),
    ] {
        assert_ne!(key_for(&tagged, "linux/amd64", &one), key_for(&tagged, "linux/amd64", &two), "{tagged}");
    }
    let netgo = format!("{base}[build]\ntags = [\"netgo\"]\n");
    assert_eq!(key_for(&netgo, "linux/amd64", &one), key_for(&netgo, "linux/amd64", &two), "-tags=netgo");

    // Vendored modules (no download) against downloaded ones.
    let s = settings(base);
    let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
    let mut p = Plan::new(&s, &[], stamp(), source, &toolchain(), &BTreeMap::new()).unwrap();
    let linux = p.builds.iter().position(|b| b.target.to_string() == "linux/amd64").unwrap();
    assert_eq!(p.target_key(&p.builds[linux], &inputs), k0);
    p.download = None;
    assert_ne!(p.target_key(&p.builds[linux], &inputs), k0, "the module download");
    let dagger = Inputs { engine: Engine::Dagger, ..inputs.clone() };
    let kd = key_of(base, stamp(), &dagger);
    assert_ne!(key_of(&format!("{base}image = \"golang:1.26.8@sha256:ab\"\n"), stamp(), &dagger), kd, "image (Dagger)");
    for (what, text) in [
        ("image (host)", format!("{base}image = \"golang:1.26.8@sha256:ab\"\n")),
        ("archive name", format!("{base}[archive]\nname = \"{{{{ .Os }}}}-{{{{ .Arch }}}}\"\n")),
        ("format", format!("{base}[archive]\nformat = \"zip\"\n")),
        ("files", format!("{base}[archive]\nfiles = [\"LICENSE\"]\n")),
        ("checksum name", format!("{base}[checksum]\nname = \"sums.txt\"\n")),
        ("other targets", format!("{base}[targets]\nos = [\"linux\"]\n")),
        ("project name", format!("{base}name = \"other\"\n")),
    ] {
        let key = key_of(&text, stamp(), &inputs);
        assert_eq!(key, k0, "{what} does not change the binaries");
    }
}

#[test]
fn flags_that_name_files_are_inputs_and_toolexec_is_opaque() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("overlay.json"), r#"{"Replace": {"a.go": "gen/a.go", "b.go": ""}}"#).unwrap();
    let s = settings(&format!(
        "[app]\ndir = {:?}\nbinary = \"x\"\n[build]\nflags = [\"-overlay=overlay.json\", \"-pgo\", \"prof.pgo\", \"-modfile=alt.mod\"]\nenv = {{ GOFLAGS = \"-pgo=auto\" }}",
        dir.path().display().to_string()
    ));
    std::fs::write(dir.path().join("go.mod"), "module m\ngo 1.22\n").unwrap();
    let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
    let module = source.module_dir();
    let p = Plan::new(&s, &[], stamp(), source, &toolchain(), &BTreeMap::new()).unwrap();
    let named: Vec<String> =
        p.reads.named.iter().map(|f| f.strip_prefix(&module).unwrap().display().to_string()).collect();
    assert_eq!(named, ["alt.mod", "alt.sum", "gen/a.go", "overlay.json", "prof.pgo"]);
    assert!(!p.reads.everything && p.reads.opaque.is_none());

    let s = settings("[build]\nenv = { CGO_ENABLED = \"1\", GOFLAGS = \"-toolexec=/usr/bin/time\" }");
    let p = plan_of(&s, &[]).unwrap();
    assert!(p.reads.everything);
    assert_eq!(p.reads.opaque.as_deref(), Some("the build flags have -toolexec, whose effect no key can cover"));
}

#[test]
fn stamp_values_with_spaces_are_quoted_for_the_linker() {
    let s = settings("[build.stamp]\ndate = \"main.built\"\ncommit = \"\"\nversion = \"\"");
    let mut stamp = stamp();
    stamp.date = "a date".into();
    assert_eq!(ldflags("", &s, &stamp), "-X 'main.built=a date'");
}

/// A published file sits at the top of the release beside manifest.json: a
/// name with a `/` or the manifest's own name is refused before any build.
#[test]
fn names_that_are_not_files_of_the_release_are_refused() {
    for (text, want) in [
        (
            "[checksum]\nname = \"manifest.json\"",
            "`checksum.name` gives \"manifest.json\": that is the manifest's name",
        ),
        ("[checksum]\nname = \"sums/all.txt\"", "`checksum.name` gives \"sums/all.txt\", which is not a file name"),
        (
            "[targets]\nlist = [\"linux/amd64\"]\n[archive]\nformat = \"binary\"\nname = \"manifest.json\"",
            "`archive.name` gives \"manifest.json\": that is the manifest's name",
        ),
    ] {
        let err = format!("{:#}", plan_of(&settings(text), &[]).unwrap_err());
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// GoReleaser fills templates in ldflags, flags and env per target: so does the plan, with the
/// target as Go names it (not `archive.replacements`), and `.IsSnapshot` false only for a clean tag.
#[test]
fn templates_in_flags_and_env_are_filled_per_target() {
    let s = settings(
        r#"[build]
        ldflags = ["-s", "-X", "main.revision={{ .ShortCommit }}", "{{ if .IsSnapshot }}-X", "main.channel=dev{{ end }}", "-X main.platform={{ .Os }}/{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}"]
        flags = ["-gcflags=all={{ if eq .Os \"windows\" }}-N{{ end }}", "{{ if eq .Os \"windows\" }}-buildmode=exe{{ end }}"]
        env = { CGO_CFLAGS = "-I/opt/{{ .Os }}_{{ .Arch }}", BUILT_AT = "{{ .Timestamp }}" }
        [targets]
        list = ["linux/arm/v7", "windows/amd64"]
        [archive]
        replacements = { amd64 = "x86_64" }"#,
    );
    let with_stamp = |stamp: Stamp| {
        let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
        Plan::new(&s, &[], stamp, source, &toolchain(), &BTreeMap::new()).unwrap()
    };
    let mut tagged = stamp();
    tagged.tagged = true;
    let plan = with_stamp(tagged);
    let (arm, win) = (&plan.builds[0], &plan.builds[1]);
    let stamped = "-X main.version=1.2.3 -X main.commit=c0ffee1234 -X main.date=2023-11-14T22:13:20Z";
    assert_eq!(
        arm.flags[0][2], // An empty `if` leaves its spaces, as GoReleaser's join of filled entries does.
        format!("-ldflags=-s -X main.revision=c0ffee1  -X main.platform=linux/armv7 {stamped}")
    );
    assert_eq!(arm.flags[0][3..], ["-gcflags=all="], "a flag that gives nothing is left out");
    assert_eq!(
        win.flags[0][2],
        format!("-ldflags=-s -X main.revision=c0ffee1  -X main.platform=windows/amd64 {stamped}")
    );
    assert_eq!(win.flags[0][3..], ["-gcflags=all=-N", "-buildmode=exe"]);
    assert_eq!(
        (arm.env["CGO_CFLAGS"].as_str(), win.env["CGO_CFLAGS"].as_str()),
        ("-I/opt/linux_arm", "-I/opt/windows_amd64")
    );
    assert_eq!(win.env["BUILT_AT"], "1700000000");
    // Without a target (the module download): the target's fields are empty.
    assert_eq!(plan.env["CGO_CFLAGS"], "-I/opt/_");
    // The archive names still use the replacements.
    let package = &win.archives[0].package;
    assert!(matches!(package, Package::Archive { file, .. } if file.contains("x86_64")), "{package:?}");
    // Not a clean tag: a snapshot.
    let mut untagged = stamp();
    untagged.tagged = false;
    let snap = with_stamp(untagged);
    assert!(snap.builds[0].flags[0][2].contains(" -X main.channel=dev "), "{:?}", snap.builds[0].flags[0]);
    // What a template gives is checked like a flag written out.
    let sneaky = settings("[build]\nflags = [\"{{ if eq .Os \\\"linux\\\" }}-ldflags=-s{{ end }}\"]");
    let err = format!("{:#}", plan_of(&sneaky, &[]).unwrap_err());
    assert!(err.contains("`build.flags (for linux/amd64)` has -ldflags=-s"), "{err}");
    // A template error names the key and the target.
    let bad = settings("[build]\nldflags = [\"-X main.x={{ .Env.NO_SUCH_VARIABLE }}\"]");
    let err = format!("{:#}", plan_of(&bad, &[]).unwrap_err());
    assert!(err.contains("cannot fill the template in `build.ldflags` for darwin/amd64"), "{err}");
    let unknown = toml::from_str::<Settings>("[build]\nflags = [\"{{ .Nope }}\"]").unwrap();
    let unknown = format!("{:#}", unknown.resolve(std::path::Path::new("dist.toml")).unwrap_err());
    assert!(unknown.contains("`build.flags[0]` uses .Nope, which is not a field"), "{unknown}");
}

/// Settings that would make a package its tools refuse, or that depends on the machine, are refused
/// before any build, naming the key; a tree installs its folders as entries of their own.
#[test]
fn package_settings_that_make_a_broken_package_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/tool\n\ngo 1.22\n").unwrap();
    std::fs::create_dir_all(dir.path().join("share/sub/empty")).unwrap();
    std::fs::write(dir.path().join("share/sub/a.txt"), "a\n").unwrap();
    let text = |extra: &str| {
        format!(
            "[app]\ndir = {:?}\nbinary = \"tool\"\n[targets]\nlist = [\"linux/amd64\"]\n[[packages]]\nformats = [\"deb\"]\n{extra}",
            dir.path()
        )
    };
    let err = |extra: &str| format!("{:#}", plan_of(&settings(&text(extra)), &[]).unwrap_err());
    let e = err("name = \"My_Tool\"");
    assert!(e.contains("`packages[0].name` gives \"My_Tool\": a package name is lower-case letters"), "{e}");
    assert!(e.contains("e.g. \"my-tool\""), "{e}");
    let e = err("maintainer = \"Jane <j@example.com>\\nDepends: evil\"");
    assert!(
        e.contains("`packages[0].maintainer` gives \"Jane <j@example.com>\\nDepends: evil\": it is one line"),
        "{e}"
    );
    let e = err("[[packages.contents]]\nsrc = \"../../etc/passwd\"\ndst = \"/etc/x\"");
    assert!(e.contains("`packages[0].contents[0].src` = \"../../etc/passwd\" is outside the module"), "{e}");
    let e = err("[packages.scripts]\npostinstall = \"/etc/profile\"");
    assert!(e.contains("`packages[0].scripts.postinstall` = \"/etc/profile\" is outside the module"), "{e}");

    let tree = "[[packages.contents]]\nsrc = \"share\"\ndst = \"/usr/share/tool\"\ntype = \"tree\"";
    let plan = plan_of(&settings(&text(tree)), &[]).unwrap();
    let entries: Vec<(&str, ContentKind)> =
        plan.builds[0].packages[0].contents.iter().map(|c| (c.dst.as_str(), c.kind)).collect();
    assert_eq!(
        entries,
        [
            ("/usr/share/tool/sub", ContentKind::Dir),
            ("/usr/share/tool/sub/a.txt", ContentKind::File),
            ("/usr/share/tool/sub/empty", ContentKind::Dir)
        ]
    );
    assert_eq!(
        plan.package_warnings(),
        [
            "tool_1.2.3_linux_amd64.deb has no /usr/share/doc/tool/copyright, which Debian requires (lintian: \
             no-copyright-file): add it to the package's contents, e.g. [[packages.contents]] src = \"LICENSE\" \
             dst = \"/usr/share/doc/tool/copyright\" packager = \"deb\"",
            "tool_1.2.3_linux_amd64.deb has no maintainer: set `packages.maintainer` (\"Name <email>\"); deb packages \
             say \"Unset Maintainer <unset@localhost>\" without one",
        ]
    );
    // A version that is not a number: dpkg refuses it.
    let s = settings(&text(""));
    let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
    let stamp = Stamp::from_parts(Some("release-2024".into()), Some("c0ffee1234".into()), Some(1_700_000_000), None);
    let untagged = Plan::new(&s, &[], stamp, source, &toolchain(), &BTreeMap::new()).unwrap();
    let warned = untagged.package_warnings();
    assert!(warned[0].contains("has version release-2024, which dpkg and rpm order wrongly or refuse"), "{warned:?}");
    std::os::unix::fs::symlink("..", dir.path().join("share/sub/up")).unwrap();
    let e = err(tree);
    assert!(e.contains("share/sub/up is a symbolic link in a tree a package installs"), "{e}");
}

/// A binary's name may be a template (a Terraform provider's `{{ .ProjectName }}_v{{ .Version }}`, or
/// the target's fields): filled for each target, it names the outputs and what archives hold.
#[test]
fn a_binary_name_template_is_filled_for_each_target() {
    let s = settings(
        r#"[app]
        name = "terraform-provider-x"
        [[binaries]]
        main = "./cmd/hello"
        name = "{{ .ProjectName }}_v{{ .Version }}"
        [targets]
        list = ["linux/amd64", "windows/amd64"]
        [archive]
        name = "{{ .Binary }}_{{ .Os }}""#,
    );
    let plan = plan_of(&s, &[]).unwrap();
    assert_eq!(plan.builds[0].names, ["terraform-provider-x_v1.2.3"]);
    assert_eq!(plan.builds[1].outputs, ["windows/amd64/terraform-provider-x_v1.2.3.exe"]);
    let package = &plan.builds[0].archives[0].package;
    assert!(
        matches!(package, Package::Archive { file, .. } if file == "terraform-provider-x_v1.2.3_linux.tar.gz"),
        "{package:?}"
    );
    let per_target = settings(
        "[app]\nname = \"tool\"\nmain = \"./cmd/hello\"\nbinary = \"tool-{{ .Os }}{{ with .Arm }}-v{{ . }}{{ end }}\"\n\
         [targets]\nlist = [\"linux/arm/v7\", \"windows/amd64\"]",
    );
    let plan = plan_of(&per_target, &[]).unwrap();
    let outputs: Vec<&str> = plan.builds.iter().map(|b| b.outputs[0].as_str()).collect();
    assert_eq!(outputs, ["linux/arm/v7/tool-linux-v7", "windows/amd64/tool-windows.exe"]);
    let itself = toml::from_str::<Settings>("[app]\nbinary = \"{{ .Binary }}2\"\nname = \"tool\"").unwrap();
    let e = format!("{:#}", itself.resolve(std::path::Path::new("dist.toml")).unwrap_err());
    assert!(e.contains("`app.binary` uses .Binary, which a binary's name cannot"), "{e}");
    let no_project = toml::from_str::<Settings>("[app]\nbinary = \"tool_v{{ .Version }}\"").unwrap();
    let e = format!("{:#}", no_project.resolve(std::path::Path::new("dist.toml")).unwrap_err());
    assert!(e.contains("is a template: set `app.name`"), "{e}");
}

const IMAGE: &str = "[app]\ndir = \"app\"\nmain = \"./cmd/hello\"\n[targets]\nlist = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\", \"windows/amd64\"]\n";

#[test]
fn an_image_is_named_and_labelled_from_the_stamp_and_covers_the_linux_targets() {
    let mut stamp_with_remote = stamp();
    stamp_with_remote.remote = "https://github.com/acme/hello".into();
    let s = settings(&format!("{IMAGE}[[images]]\nports = [\"8080\"]\nenv = {{ PATH = \"/bin\", A = \"1\" }}\n"));
    let source = Source::find(&s.app_dir, &[], "", &Outputs { out: "/nowhere/dist".into(), ours: vec![] }).unwrap();
    let plan = Plan::new(&s, &[], stamp_with_remote, source, &toolchain(), &BTreeMap::new()).unwrap();
    let image = &plan.images[0];
    assert_eq!((image.file.as_str(), image.repository.as_str()), ("hello_1.2.3_image.tar", "hello"));
    assert_eq!(image.tags, ["1.2.3"]);
    let platforms: Vec<String> = image.platforms.iter().map(|t| t.to_string()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm/v7", "linux/arm64"]);
    assert_eq!(image.paths, ["/usr/local/bin/hello"; 3]);
    assert_eq!(image.config.user, "65532:65532");
    assert_eq!(image.config.env, ["PATH=/bin", "A=1"]);
    assert_eq!(image.config.ports, ["8080/tcp"]);
    assert_eq!(image.config.created, "2023-11-14T22:13:20Z");
    let labels: Vec<(&str, &str)> = image.config.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        labels,
        [
            ("org.opencontainers.image.created", "2023-11-14T22:13:20Z"),
            ("org.opencontainers.image.revision", "c0ffee1234"),
            ("org.opencontainers.image.source", "https://github.com/acme/hello"),
            ("org.opencontainers.image.title", "hello"),
            ("org.opencontainers.image.version", "1.2.3"),
        ]
    );
    assert_eq!(image.annotations, image.config.labels);
    assert!(plan.image_notes.is_empty());
}

#[test]
fn a_run_without_all_of_an_images_platforms_makes_none_and_says_why() {
    let s = settings(&format!("{IMAGE}[[images]]\nplatforms = [\"linux/amd64\", \"linux/arm64\"]\n"));
    let one = plan_of(&s, &["linux/amd64".parse().unwrap()]).unwrap();
    assert!(one.images.is_empty());
    assert_eq!(one.image_notes, ["no image from `images[0]`: this run does not build linux/arm64 (its platforms)"]);
    // Without `platforms`, an image holds every linux target of the matrix: a run of some makes none.
    let all = settings(&format!("{IMAGE}[[images]]\n"));
    let windows = plan_of(&all, &["windows/amd64".parse().unwrap()]).unwrap();
    assert_eq!(
        windows.image_notes,
        ["no image from `images[0]`: this run does not build linux/amd64 linux/arm/v7 linux/arm64 (its platforms)"]
    );
    let host = plan_of(&all, &["linux/amd64".parse().unwrap()]).unwrap();
    assert!(host.images.is_empty() && host.image_notes[0].contains("does not build linux/arm/v7 linux/arm64"));
    // 32-bit ARM without a GOARM variant: the image's platform could not say which.
    let arm = settings(
        "[app]\ndir = \"app\"\nmain = \"./cmd/hello\"\n[targets]\nos = [\"linux\"]\narch = [\"arm\"]\n[[images]]\n",
    );
    let err = format!("{:#}", plan_of(&arm, &[]).unwrap_err());
    assert!(err.contains("would hold linux/arm without a GOARM variant"), "{err}");
    let whole = plan_of(&s, &[]).unwrap();
    assert_eq!(whole.images.len(), 1);
    // A shard keeps the images in its plan (its manifest records them) for `dist merge` to make.
    let shard = whole.shard(1, 2);
    assert_eq!(shard.images, whole.images);
    assert_eq!(
        shard.image_notes,
        ["hello_1.2.3_image.tar (`images[0]`) is made by `cargo xtask dist merge`, which has every platform's binary"]
    );
}

#[test]
fn image_settings_that_make_a_broken_image_are_refused() {
    let err = |extra: &str| {
        let text = format!("{IMAGE}[[images]]\n{extra}\n");
        let parsed: Result<Settings, _> = toml::from_str(&text);
        match parsed.map_err(anyhow::Error::from).and_then(|s| s.resolve(&crate::project::root().join("dist.toml"))) {
            Ok(s) => format!("{:#}", plan_of(&s, &[]).map(|_| ()).unwrap_err()),
            Err(e) => format!("{e:#}"),
        }
    };
    for (extra, said) in [
        ("base = \"alpine:3\"", "must be \"scratch\" or an image pinned by digest"),
        ("base = \"alpine@sha256:abc\"", "must be \"scratch\" or an image pinned by digest"),
        ("platforms = [\"windows/amd64\"]", "images hold linux targets only"),
        ("platforms = [\"linux/amd64\", \"linux/amd64\"]", "lists linux/amd64 twice"),
        ("binary = \"nope\"", "names \"nope\", which is not a binary"),
        ("user = \"a:b:c\"", "is not `uid[:gid]`"),
        ("bindir = \"usr/bin\"", "`images[0].bindir` = \"usr/bin\" is not an absolute path"),
        ("bindir = \"/usr/../bin\"", "is not an absolute path"),
        ("ports = [\"http\"]", "`images[0].ports` has \"http\""),
        ("ports = [\"0\"]", "`images[0].ports` has \"0\""),
        ("files = [{ src = \"x\", dst = \"etc/x\" }]", "`images[0].files[0].dst` = \"etc/x\" is not an absolute path"),
        (
            "files = [{ src = \"go.mod\", dst = \"/a\" }, { src = \"go.mod\", dst = \"/a\" }]",
            "another file goes there too",
        ),
        ("files = [{ src = \"go.mod\", dst = \"/a\", mode = \"999\" }]", "is not octal permission bits"),
        ("files = [{ src = \"nothing-here\", dst = \"/a\" }]", "which is not a file"),
        ("files = [{ src = \"../dist.toml\", dst = \"/a\" }]", "is outside the module"),
        ("files = [{ src = \"go.mod\", dst = \"/etc/passwd\" }]", "where /etc/passwd is a scratch image's own"),
        (
            "files = [{ src = \"go.mod\", dst = \"/etc/ssl/certs/ca-certificates.crt\" }]",
            "ca_certificates = false leaves it out",
        ),
        ("files = [{ src = \"go.mod\", dst = \"/usr/local/bin/hello\" }]", "where /usr/local/bin/hello is the binary"),
        ("bindir = \"/tmp/bin\"", "inside a directory the image itself makes"),
        ("tags = []", "`images[0].tags` is empty"),
        ("tags = [\"{{ .Version }}+meta\"]", "gives \"1.2.3+meta\", which is not an image tag"),
        ("tags = [\"{{ if .IsGitDirty }}edge{{ end }}\"]", "every tag of `images[0].tags` is empty for version 1.2.3"),
        ("tags = [\"{{ .Nope }}\"]", "uses .Nope, which is not a field"),
        ("name = \"GHCR.io/Acme/Hello\"", "which is not an image repository"),
        ("name = \"ghcr.io/acme/\"", "which is not an image repository"),
        ("file_name = \".hidden\"", "which is not a file name"),
        ("env = { \"A=B\" = \"1\" }", "`images[0].env` has \"A=B\""),
    ] {
        let message = err(extra);
        assert!(message.contains(said), "{extra}: {message}");
    }
    let two = settings(&format!("{IMAGE}[[images]]\n[[images]]\n"));
    assert!(
        format!("{:#}", plan_of(&two, &[]).unwrap_err()).contains("two [[images]] entries give hello_1.2.3_image.tar")
    );
    let clash = settings(&format!("{IMAGE}[checksum]\nname = \"hello_1.2.3_image.tar\"\n[[images]]\n"));
    assert!(format!("{:#}", plan_of(&clash, &[]).unwrap_err()).contains("the checksum file's name"));
    // A host with a port, and localhost, are registries; the rest are path components.
    for ok in ["ghcr.io/acme/hello", "localhost:5000/hello", "127.0.0.1:5000/a/b-c_d.e", "hello"] {
        let s = settings(&format!("{IMAGE}[[images]]\nname = \"{ok}\"\n"));
        assert_eq!(plan_of(&s, &[]).unwrap().images[0].repository, ok);
    }
}

#[test]
fn a_dockerfile_image_carries_its_context_and_filled_build_args_and_decides_the_rest() {
    let s = settings(&format!(
        "{IMAGE}[[images]]\ndockerfile = \"go.mod\"\nextra_files = [\"cmd/hello/main.go\"]\nbuild_args = {{ V = \"{{{{ .Version }}}}\" }}\n"
    ));
    let plan = plan_of(&s, &[]).unwrap();
    let d = plan.images[0].dockerfile.as_ref().unwrap();
    let context: Vec<&str> = d.context.iter().map(|(_, rel, _)| rel.as_str()).collect();
    assert_eq!(context, ["go.mod", "cmd/hello/main.go"], "the Dockerfile first");
    let sha = crate::digest::sha256_hex(&std::fs::read(s.app_dir.join("go.mod")).unwrap());
    assert_eq!(d.context[0].2, sha);
    assert_eq!(d.build_args, BTreeMap::from([("V".to_owned(), "1.2.3".to_owned())]));
    assert!(!plan.images[0].ca_certificates && !plan.images[0].tzdata, "the Dockerfile's FROM decides");
    let portable = plan.images[0].portable();
    assert!(portable.dockerfile.unwrap().context.iter().all(|(src, _, _)| src.as_os_str().is_empty()));

    let err = |extra: &str| {
        let text = format!("{IMAGE}[[images]]\n{extra}\n");
        format!(
            "{:#}",
            toml::from_str::<Settings>(&text).unwrap().resolve(&crate::project::root().join("dist.toml")).unwrap_err()
        )
    };
    for (extra, said) in [
        (
            "dockerfile = \"Dockerfile\"\nuser = \"0\"",
            "`images[0].user` is set beside `images[0].dockerfile`: the Dockerfile decides it",
        ),
        ("dockerfile = \"Dockerfile\"\nports = [\"80\"]", "`images[0].ports` is set beside"),
        ("dockerfile = \"Dockerfile\"\ntzdata = true", "`images[0].tzdata` is set beside"),
        ("dockerfile = \"../Dockerfile\"", "give a file inside the module"),
        ("dockerfile = \"Dockerfile\"\nextra_files = [\"/etc/passwd\"]", "give a file inside the module"),
        ("build_args = { A = \"1\" }", "are a Dockerfile's: set `images[0].dockerfile`"),
    ] {
        let message = err(extra);
        assert!(message.contains(said), "{extra}: {message}");
    }
}
