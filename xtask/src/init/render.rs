//! Writing `dist.toml`: the [`Settings`] an import decided, section by section, each under the comments
//! that name what it could not import. A key is written when it differs from our default or the import
//! pinned it; values are written by the `toml` crate's serializer, so any text (a multi-line template,
//! quotes, control characters) reads back exactly.

use std::fmt::Write as _;

use toml::{Table, Value};

use super::{Draft, Section};
use crate::settings::{
    Archive, BinarySettings, ContentSettings, ImageFile, ImageSettings, PackageSettings, ScriptSettings, Settings,
};

/// The file's sections in order, each with its keys in the order written (`[[binaries]]` come right
/// after `[app]`, and `[[archives]]` take the place of `[archive]`); `the_layout_places_every_setting` fails
/// when a setting has no place here.
const LAYOUT: [(&str, Section, &[&str]); 8] = [
    ("app", Section::App, &["dir", "name", "main", "binary", "go", "image"]),
    ("build", Section::Build, &["ldflags", "tags", "flags", "env", "stamp"]),
    ("targets", Section::Targets, &["os", "arch", "arm", "ignore", "list"]),
    ("archive", Section::Archive, &ARCHIVE_KEYS),
    ("checksum", Section::Checksum, &["name"]),
    ("sbom", Section::Supply, &["formats"]),
    ("provenance", Section::Supply, &["name"]),
    ("sign", Section::Supply, &["required"]),
];

/// The keys of `[archive]` and of each `[[archives]]` entry, in the order written.
const ARCHIVE_KEYS: [&str; 8] = ["id", "binaries", "name", "format", "formats", "replacements", "files", "wrap"];

const BINARY_KEYS: [&str; 4] = ["main", "name", "flags", "ldflags"];

/// `[[packages]]` keys in the order written; its `scripts` and `contents` follow as sub-tables.
const PACKAGE_KEYS: [&str; 21] = [
    "formats",
    "name",
    "binaries",
    "file_name",
    "bindir",
    "vendor",
    "homepage",
    "maintainer",
    "description",
    "license",
    "section",
    "priority",
    "release",
    "epoch",
    "dependencies",
    "recommends",
    "suggests",
    "conflicts",
    "replaces",
    "provides",
    "lintian_overrides",
];
const SCRIPT_KEYS: [&str; 4] = ["preinstall", "postinstall", "preremove", "postremove"];
const CONTENT_KEYS: [&str; 7] = ["src", "dst", "type", "mode", "owner", "group", "packager"];

/// `[[images]]` keys in the order written; its `files` follow as `[[images.files]]`.
const IMAGE_KEYS: [&str; 20] = [
    "name",
    "binary",
    "platforms",
    "base",
    "ca_certificates",
    "tzdata",
    "user",
    "bindir",
    "entrypoint",
    "cmd",
    "env",
    "ports",
    "workdir",
    "tags",
    "file_name",
    "dockerfile",
    "build_args",
    "extra_files",
    "labels",
    "annotations",
];
const IMAGE_FILE_KEYS: [&str; 3] = ["src", "dst", "mode"];

/// Tables written as their own `[section.key]` with a comment above, rather than inline (`env = { … }`);
/// an empty key list takes any key (labels).
const SUBTABLES: [(&str, &str, &[&str]); 3] = [
    (
        "build.stamp",
        "# The Go variables that receive the version, commit and date (\"\" skips one).",
        &["version", "commit", "date"],
    ),
    ("images.labels", "# The image config's labels (templates), besides those dist fills from the stamp.", &[]),
    ("images.annotations", "# The index's and manifests' annotations (templates), besides the stamp's.", &[]),
];

impl Draft {
    pub(super) fn render(&self) -> String {
        let doc = table(&self.settings);
        // `[archive]` keys are left out where they hold the default set's values.
        let defaults = table(&Settings { archive: Some(Archive::default()), ..Settings::default() });
        let empty = Table::new();
        let section = |t: &Table, name: &str| t.get(name).and_then(Value::as_table).unwrap_or(&empty).clone();

        let mut t = String::new();
        let from = if self.from_config {
            self.source.clone()
        } else {
            format!("{} and the main packages below it", self.source)
        };
        let _ = writeln!(t, "# What `cargo xtask dist` builds: written by `cargo xtask init` from {from}.");
        let _ = writeln!(t, "# Keys left out keep their defaults (docs/settings.md in the cargo-xtask template).");
        self.comments(&mut t, Section::Top);

        let archives = doc.get("archives").and_then(Value::as_array).filter(|a| !a.is_empty());
        let mut supply_commented = false;
        for (name, kind, order) in LAYOUT {
            if let (Some(archives), "archive") = (archives, name) {
                let default = table(&Archive::default());
                for (i, a) in archives.iter().enumerate() {
                    let a = a.as_table().expect("[[archives]] entries are tables");
                    t.push('\n');
                    if i == 0 {
                        self.comments(&mut t, kind);
                    }
                    let _ = write!(t, "[[archives]]\n{}", self.body("archives", a, &default, &ARCHIVE_KEYS));
                }
                continue;
            }
            let body = self.body(name, &section(&doc, name), &section(&defaults, name), order);
            if kind == Section::Supply {
                // Three optional tables under one comment block, each written only when set (an empty
                // `[provenance]` would turn it on).
                let set = doc.contains_key(name);
                let comment = !supply_commented && (set || self.notes.iter().any(|n| n.section == kind));
                if comment || set {
                    t.push('\n');
                }
                if comment {
                    self.comments(&mut t, kind);
                    supply_commented = true;
                }
                if set {
                    let _ = write!(t, "[{name}]\n{body}");
                }
                continue;
            }
            // [app] always: it names the module and the Go.
            if name == "app" || !body.is_empty() || self.notes.iter().any(|n| n.section == kind) {
                t.push('\n');
                self.comments(&mut t, kind);
                let _ = write!(t, "[{name}]\n{body}");
            }
            if name == "app" {
                let default = table(&BinarySettings::default());
                for b in doc.get("binaries").and_then(Value::as_array).into_iter().flatten() {
                    let b = b.as_table().expect("[[binaries]] entries are tables");
                    let _ = write!(t, "\n[[binaries]]\n{}", self.body("binaries", b, &default, &BINARY_KEYS));
                }
            }
        }
        let packages: Vec<Table> = doc
            .get("packages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| p.as_table().expect("[[packages]] entries are tables").clone())
            .collect();
        if packages.is_empty() && self.notes.iter().any(|n| n.section == Section::Packages) {
            t.push('\n');
            self.comments(&mut t, Section::Packages);
        }
        for (i, mut p) in packages.into_iter().enumerate() {
            let scripts = p.remove("scripts");
            let contents = p.remove("contents");
            t.push('\n');
            if i == 0 {
                self.comments(&mut t, Section::Packages);
            }
            let body = self.body("packages", &p, &table(&PackageSettings::default()), &PACKAGE_KEYS);
            let _ = write!(t, "[[packages]]\n{body}");
            if let Some(Value::Table(scripts)) = scripts {
                let body = self.body("packages.scripts", &scripts, &table(&ScriptSettings::default()), &SCRIPT_KEYS);
                let _ = write!(t, "\n[packages.scripts]\n{body}");
            }
            for c in contents.as_ref().and_then(Value::as_array).into_iter().flatten() {
                let c = c.as_table().expect("contents are tables");
                let body = self.body("packages.contents", c, &table(&ContentSettings::default()), &CONTENT_KEYS);
                let _ = write!(t, "\n[[packages.contents]]\n{body}");
            }
        }
        let images: Vec<Table> = doc
            .get("images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| i.as_table().expect("[[images]] entries are tables").clone())
            .collect();
        if images.is_empty() && self.notes.iter().any(|n| n.section == Section::Images) {
            t.push('\n');
            self.comments(&mut t, Section::Images);
        }
        for (i, mut image) in images.into_iter().enumerate() {
            let files = image.remove("files");
            t.push('\n');
            if i == 0 {
                self.comments(&mut t, Section::Images);
            }
            let body = self.body("images", &image, &table(&ImageSettings::default()), &IMAGE_KEYS);
            let _ = write!(t, "[[images]]\n{body}");
            for f in files.as_ref().and_then(Value::as_array).into_iter().flatten() {
                let f = f.as_table().expect("files are tables");
                let body = self.body("images.files", f, &table(&ImageFile::default()), &IMAGE_FILE_KEYS);
                let _ = write!(t, "\n[[images.files]]\n{body}");
            }
        }
        t
    }

    /// The `key = value` lines of the table at `path`, keys in `order` first; then its sub-tables.
    fn body(&self, path: &str, table: &Table, default: &Table, order: &[&str]) -> String {
        let mut keys: Vec<&str> = order.iter().copied().filter(|k| table.contains_key(*k)).collect();
        keys.extend(table.keys().map(String::as_str).filter(|k| !order.contains(k)));
        let (mut own, mut subtables) = (String::new(), String::new());
        for key in keys {
            let (value, at) = (&table[key], format!("{path}.{key}"));
            if let (Some((_, comment, order)), Some(inner)) =
                (SUBTABLES.iter().find(|(p, _, _)| *p == at), value.as_table())
            {
                let empty = Table::new();
                let inner_default = default.get(key).and_then(Value::as_table).unwrap_or(&empty);
                let body = self.body(&at, inner, inner_default, order);
                if !body.is_empty() {
                    let _ = write!(subtables, "\n{comment}\n[{at}]\n{body}");
                }
            } else if self.is_pinned(&at) || default.get(key) != Some(value) {
                // Display is the serializer's: strings, arrays and inline tables as TOML reads them back; a
                // key that is not bare (a label's `org.opencontainers.image.title`) is quoted the same way.
                let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
                let key = if bare { key.to_owned() } else { Value::String(key.to_owned()).to_string() };
                let _ = writeln!(own, "{key} = {value}");
            }
        }
        own + &subtables
    }

    /// `at` or a table it is in (`build.stamp` pins `build.stamp.version`) was pinned.
    fn is_pinned(&self, at: &str) -> bool {
        self.pinned.iter().any(|p| at == *p || at.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
    }

    fn comments(&self, t: &mut String, section: Section) {
        for n in self.notes.iter().filter(|n| n.section == section) {
            let line = format!("# not imported: {} ({})", n.key, n.why);
            t.push_str(&line.replace(['\n', '\r'], " "));
            t.push('\n');
        }
    }
}

/// `value` as the `toml` crate serializes it (`None` keys left out).
fn table(value: &impl serde::Serialize) -> Table {
    Table::try_from(value).expect("settings serialize to a TOML table")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::init::goreleaser::tests::{
        ARCHIVE_SETS, DOCKERS_MANIFESTS, DOCKERS_V2, GORELEASER_INIT, KO, MULTI_BUILD,
    };
    use crate::init::tests::strs;
    use crate::init::{go_mod_draft, goreleaser};
    use crate::settings::{
        App, Archive, Build, Checksum, Format, ImageFile, ImageSettings, PackageFormat, Stamp, Targets,
    };

    /// The text `draft` writes, read back as `dist` reads it.
    fn read_back(draft: &Draft) -> (String, Settings) {
        let text = draft.render();
        let settings = toml::from_str::<Settings>(&text)
            .unwrap_or_else(|e| panic!("the generated dist.toml does not parse: {e}\n{text}"));
        (text, settings)
    }

    #[test]
    fn toml_strings_round_trip() {
        for text in ["plain", "q\"uote\\back", "line\nbreak\ttab\r", "\u{1}\u{7f}é{{ \"x\" }}", ""] {
            let mut draft = goreleaser::draft("", ".").unwrap();
            draft.settings.archive.as_mut().unwrap().name = text.to_owned();
            let (doc, settings) = read_back(&draft);
            assert_eq!(settings.archive.unwrap().name, text, "{doc}");
        }
        let mut draft = goreleaser::draft("", ".").unwrap();
        draft.settings.build.env =
            BTreeMap::from([("CGO_ENABLED", "0"), ("a.b", "c")].map(|(k, v)| (k.into(), v.into())));
        let (doc, settings) = read_back(&draft);
        assert!(doc.contains("\nenv = { CGO_ENABLED = \"0\", \"a.b\" = \"c\" }\n"), "{doc}");
        assert_eq!(settings.build.env, draft.settings.build.env);
    }

    /// Every value the importer decides, in awkward spellings: quotes of both kinds, backslashes, tabs, line
    /// breaks, control characters, keys that need quoting.
    const AWKWARD: &str = r#"
project_name: awkward
env:
  - "A.B=dotted key"
  - "QUOTE=it's \"x\""
builds:
  - main: ./cmd/x
    binary: x
    ldflags: ["-s -X 'main.msg=a b' -extldflags \"-static\" -X main.version={{ .Version }}"]
    flags: ['-gcflags=all=-N -l']
    tags: ["a\\b"]
    goos: [linux]
    goarch: [arm]
    goarm: [5, 7]
    ignore: [{goos: linux, goarm: 5}]
archives:
  - name_template: |
      {{ .ProjectName }}_{{ if eq .Os "windows" }}Win{{ else }}{{ .Os }}{{ end }}
      {{- "\t" }}'''"""
    replacements:
      "it's": "\"quoted\""
      "tab\tkey": "x"
    files: ["docs/**/*.md", "LICENSE"]
    wrap_in_directory: true
checksum:
  name_template: "{{ .ProjectName }}\r\n\u0001sums"
"#;

    /// The written text reads back to exactly the settings the importer built, whatever they hold.
    #[test]
    fn written_settings_read_back_exactly() {
        let configs = [
            ("goreleaser init", GORELEASER_INIT, "."),
            ("two builds", MULTI_BUILD, "."),
            ("awkward strings", AWKWARD, "."),
            (
                "in a subfolder",
                "builds:\n  - dir: app\n    main: ./cmd/x\narchives:\n  - files: [app/README.md]\n",
                "app",
            ),
            ("a target list", "builds:\n  - targets: [linux_amd64, linux_arm_7]\n", "."),
            ("only other variants", "builds:\n  - targets: [linux_amd64_v3]\n", "."),
            ("every build skipped", "builds:\n  - skip: true\n", "."),
            (
                "per-binary flags",
                "builds:\n  - {main: ./a, binary: a, tags: [x]}\n  - {main: ./b, binary: b, ldflags: [-w]}\n",
                ".",
            ),
            ("several archive sets", ARCHIVE_SETS, "."),
            ("ko images", KO, "."),
            ("dockers_v2 images", DOCKERS_V2, "."),
            ("dockers joined by manifests", DOCKERS_MANIFESTS, "."),
            ("empty", "", "."),
            (
                "linux packages",
                "nfpms:\n  - formats: [deb, rpm]\n    description: \"two\\nlines\"\n    dependencies: [\"a (>= 1)\"]\n    \
                 contents:\n      - {src: a.conf, dst: /etc/a.conf, type: config, file_info: {mode: 0600}}\n      \
                 - {dst: /var/lib/a, type: dir}\n    scripts: {postinstall: post.sh}\n    deb: {lintian_overrides: [x]}\n",
                ".",
            ),
        ];
        for (what, yaml, dir) in configs {
            let draft = goreleaser::draft(yaml, dir).unwrap();
            let (text, settings) = read_back(&draft);
            assert_eq!(settings, draft.settings, "{what}:\n{text}");
        }
        for mains in [&["."][..], &["./cmd/server", "./cmd/cli"]] {
            let draft = go_mod_draft("module example.com/suite\n", &strs(mains), ".", "go.mod");
            let (text, settings) = read_back(&draft);
            assert_eq!(settings, draft.settings, "{mains:?}:\n{text}");
        }

        // And as `cargo xtask dist` loads it (Settings::load): the raw settings are these.
        let dir = tempfile::tempdir().unwrap();
        // The folder names the binary when the config does not.
        std::fs::create_dir(dir.path().join("tool")).unwrap();
        let file = dir.path().join("tool/dist.toml");
        for yaml in [GORELEASER_INIT, MULTI_BUILD, AWKWARD, KO, DOCKERS_V2, DOCKERS_MANIFESTS] {
            let draft = goreleaser::draft(yaml, ".").unwrap();
            std::fs::write(&file, draft.render()).unwrap();
            let loaded = Settings::load(&file).unwrap();
            assert_eq!(loaded.raw, draft.settings);
            assert_eq!(loaded.stamp_given, [true; 3], "the stamp variables are written out");
        }
    }

    /// Every key `Settings` has (each struct spelled out in full, so a new field does not compile here
    /// until it is added) has its place in the file.
    #[test]
    fn the_layout_places_every_setting() {
        let text = |s: &str| s.to_owned();
        let archive = Archive {
            id: Some(text("i")),
            binaries: vec![text("b")],
            name: text("n"),
            format: Format::Zip,
            formats: BTreeMap::new(),
            replacements: BTreeMap::new(),
            files: vec![],
            wrap: false,
        };
        let full = Settings {
            app: App {
                dir: "a".into(),
                main: text("m"),
                binary: Some(text("b")),
                name: Some(text("n")),
                go: text("1"),
                image: Some(text("i")),
            },
            binaries: vec![BinarySettings {
                main: text("m"),
                name: Some(text("n")),
                flags: vec![],
                ldflags: Some(vec![]),
            }],
            build: Build {
                ldflags: vec![],
                tags: vec![],
                flags: vec![],
                env: BTreeMap::new(),
                stamp: Stamp { version: text("v"), commit: text("c"), date: text("d") },
            },
            targets: Targets { os: vec![], arch: vec![], arm: vec![], ignore: vec![], list: vec![text("l")] },
            archive: Some(archive.clone()),
            archives: vec![archive],
            checksum: Checksum { name: text("c") },
            sbom: Some(crate::settings::SbomSettings { formats: vec![crate::settings::SbomFormat::Spdx] }),
            provenance: Some(crate::settings::ProvenanceSettings { name: text("p") }),
            sign: Some(crate::settings::SignSettings { required: true }),
            images: vec![ImageSettings {
                name: Some(text("n")),
                binary: Some(text("b")),
                platforms: vec![text("linux/amd64")],
                base: text("scratch"),
                ca_certificates: Some(false),
                tzdata: Some(false),
                user: text("0:0"),
                bindir: text("/bin"),
                entrypoint: vec![text("/bin/b")],
                cmd: vec![text("serve")],
                env: BTreeMap::from([(text("A"), text("b"))]),
                ports: vec![text("8080")],
                workdir: text("/w"),
                files: vec![ImageFile { src: text("s"), dst: text("/d"), mode: text("0644") }],
                labels: BTreeMap::from([(text("org.example.a"), text("b"))]),
                annotations: BTreeMap::from([(text("org.example.a"), text("b"))]),
                tags: vec![text("t")],
                file_name: text("f"),
                dockerfile: Some(text("Dockerfile")),
                build_args: BTreeMap::from([(text("A"), text("b"))]),
                extra_files: vec![text("e")],
            }],
            packages: vec![PackageSettings {
                formats: vec![PackageFormat::Deb],
                name: Some(text("n")),
                binaries: vec![text("b")],
                file_name: Some(text("f")),
                bindir: Some(text("/b")),
                vendor: text("v"),
                homepage: text("h"),
                maintainer: text("m"),
                description: text("d"),
                license: text("l"),
                section: text("s"),
                priority: text("p"),
                release: text("r"),
                epoch: text("1"),
                dependencies: vec![text("a")],
                recommends: vec![text("a")],
                suggests: vec![text("a")],
                conflicts: vec![text("a")],
                replaces: vec![text("a")],
                provides: vec![text("a")],
                lintian_overrides: vec![text("a")],
                contents: vec![ContentSettings {
                    src: text("s"),
                    dst: text("/d"),
                    kind: text("config"),
                    mode: text("0644"),
                    owner: text("o"),
                    group: text("g"),
                    packager: Some(PackageFormat::Deb),
                }],
                scripts: ScriptSettings {
                    preinstall: text("a"),
                    postinstall: text("b"),
                    preremove: text("c"),
                    postremove: text("d"),
                },
            }],
        };
        let mut placed = Vec::new();
        for (name, value) in table(&full) {
            let (keys, inner): (&[&str], _) = match LAYOUT.iter().find(|(n, _, _)| *n == name) {
                Some((_, _, keys)) => (keys, value.as_table().unwrap().clone()),
                None if name == "binaries" => (&BINARY_KEYS, value.as_array().unwrap()[0].as_table().unwrap().clone()),
                None if name == "archives" => (&ARCHIVE_KEYS, value.as_array().unwrap()[0].as_table().unwrap().clone()),
                None if name == "images" => {
                    let mut image = value.as_array().unwrap()[0].as_table().unwrap().clone();
                    let files = image.remove("files").unwrap();
                    for k in files.as_array().unwrap()[0].as_table().unwrap().keys() {
                        assert!(IMAGE_FILE_KEYS.contains(&k.as_str()), "images.files.{k} has no place in render");
                        placed.push(format!("images.files.{k}"));
                    }
                    (&IMAGE_KEYS, image)
                }
                None if name == "packages" => {
                    let mut p = value.as_array().unwrap()[0].as_table().unwrap().clone();
                    for (key, keys) in [("scripts", &SCRIPT_KEYS[..]), ("contents", &CONTENT_KEYS[..])] {
                        let inner = match p.remove(key).unwrap() {
                            Value::Array(a) => a[0].as_table().unwrap().clone(),
                            other => other.as_table().unwrap().clone(),
                        };
                        for k in inner.keys() {
                            assert!(keys.contains(&k.as_str()), "packages.{key}.{k} has no place in render");
                            placed.push(format!("packages.{key}.{k}"));
                        }
                    }
                    (&PACKAGE_KEYS, p)
                }
                None => panic!("[{name}] has no place in render::LAYOUT"),
            };
            for (key, value) in inner {
                assert!(keys.contains(&key.as_str()), "{name}.{key} has no place in render::LAYOUT");
                if let Some((at, _, sub)) = SUBTABLES.iter().find(|(at, _, _)| *at == format!("{name}.{key}")) {
                    for k in value.as_table().unwrap().keys() {
                        // An empty list takes any key (labels).
                        assert!(
                            sub.is_empty() || sub.contains(&k.as_str()),
                            "{at}.{k} has no place in render::SUBTABLES"
                        );
                    }
                }
                placed.push(format!("{name}.{key}"));
            }
        }
        assert_eq!(placed.len(), 37 + 21 + 4 + 7 + 20 + 3 + 3, "every key of every section: {placed:?}");
    }

    /// The whole file for `goreleaser init`'s config and for a target list: sections with the notes above
    /// them, only the keys the import decided or that differ from ours. A template with `"` in it is a
    /// literal string ('…'), as the serializer writes it.
    #[test]
    fn the_file_as_written() {
        let header = "# What `cargo xtask dist` builds: written by `cargo xtask init` from .goreleaser.yml.\n\
                      # Keys left out keep their defaults (docs/settings.md in the cargo-xtask template).\n";
        let stamp = "\n# The Go variables that receive the version, commit and date (\"\" skips one).\n[build.stamp]\n\
                     version = \"main.version\"\ncommit = \"main.commit\"\ndate = \"main.date\"\n";
        let gr_name = "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}\
                       {{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";
        let checksum = "\n[checksum]\nname = \"{{ .ProjectName }}_{{ .Version }}_checksums.txt\"\n";
        let want = [
            header,
            "# not imported: changelog (dist writes no changelog)\n",
            "# not imported: release (dist does not publish: upload the files in dist/ from CI)\n",
            "\n# not imported: builds[0].main ./... (finds every main package: `cargo xtask init` in the repository \
             lists them)\n",
            "[app]\ndir = \".\"\nmain = \".\"\ngo = \"1.26.8\"\n",
            "\n# not imported: before.hooks (run them before `cargo xtask dist`)\n",
            "[build]\nldflags = [\"-s\", \"-w\", \"-X\", \"main.builtBy=cargo-xtask\"]\nenv = { CGO_ENABLED = \"0\" }\n",
            stamp,
            "\n[targets]\nos = [\"linux\", \"windows\", \"darwin\"]\narch = [\"arm64\", \"amd64\", \"386\"]\n",
            "\n[archive]\n",
            "name = '{{ .ProjectName }}_ {{- title .Os }}_ {{- if eq .Arch \"amd64\" }}x86_64 {{- else if eq .Arch \
             \"386\" }}i386 {{- else }}{{ .Arch }}{{ end }} {{- if .Arm }}v{{ .Arm }}{{ end }}'\n",
            "format = \"tar.gz\"\nformats = { windows = \"zip\" }\nwrap = false\n",
            checksum,
        ]
        .concat();
        assert_eq!(goreleaser::draft(GORELEASER_INIT, ".").unwrap().render(), want);

        let want = [
            header,
            "\n[app]\ndir = \".\"\nmain = \".\"\ngo = \"1.26.8\"\n",
            "\n[build]\nldflags = [\"-s\", \"-w\", \"-X\", \"main.builtBy=cargo-xtask\"]\n",
            stamp,
            "\n[targets]\nlist = [\"linux/amd64\", \"linux/arm/v7\"]\n",
            &format!("\n[archive]\nname = '{gr_name}'\nformat = \"tar.gz\"\nformats = {{}}\nwrap = false\n"),
            checksum,
        ]
        .concat();
        let yaml = "builds:\n  - targets: [linux_amd64, linux_arm_7]\n";
        assert_eq!(goreleaser::draft(yaml, ".").unwrap().render(), want);
    }
}
