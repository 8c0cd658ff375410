//! Several archive sets (GoReleaser's `archives:` list with `ids`): a repository whose
//! `.goreleaser.yml` ships each of its two commands in archives of their own, under
//! names of their own (a plugin index downloads the second by name), adopted the way
//! the README says and built with the host engine.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use common::*;

/// Each command in archives of its own: `tool_<tag>_…` and `toolctl_<tag>_…`, each with the LICENSE.
const ARCHIVES: &str = r#"archives:
  - id: tool
    ids: [tool]
    formats: [tar.gz]
    name_template: "tool_{{ .Tag }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}"
    format_overrides:
      - goos: windows
        formats: [zip]
    files: [LICENSE]
  - id: plugin
    ids: [toolctl]
    formats: [tar.gz]
    name_template: "toolctl_{{ .Tag }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}"
    format_overrides:
      - goos: windows
        formats: [zip]
    files: [LICENSE]
"#;

/// The entries of a .tar.gz or .zip, by name, with their bytes.
fn entries(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if path.extension().is_some_and(|e| e == "zip") {
        let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            out.insert(entry.name().to_owned(), bytes);
        }
    } else {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(fs::File::open(path).unwrap()));
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            out.insert(entry.path().unwrap().to_string_lossy().into_owned(), bytes);
        }
    }
    out
}

#[test]
#[ignore = "heavy: 18 go builds, then a second run that carries every target over; run by .ci/run (cargo test --workspace -- --ignored)"]
fn each_command_ships_in_archives_of_its_own() {
    let repo = Repo::new();
    let (head, rest) = GORELEASER_YML.split_once("archives:\n").unwrap();
    let tail = &rest[rest.find("checksum:\n").unwrap()..];
    repo.write(".goreleaser.yml", &format!("{head}{ARCHIVES}{tail}"));
    repo.commit_all("two archive sets");

    // Adopted the README way: `init` maps both archives, so none is named as not imported.
    let adopted = run_ok(&mut repo.adopt_cmd(&[]));
    let said = String::from_utf8_lossy(&adopted.stdout).into_owned() + &String::from_utf8_lossy(&adopted.stderr);
    assert!(!said.contains("not imported: archives"), "{said}");
    repo.link_xtask();
    let dist_toml = fs::read_to_string(repo.path().join("dist.toml")).unwrap();
    assert_eq!(dist_toml.matches("\n[[archives]]\n").count(), 2, "{dist_toml}");
    assert!(dist_toml.contains("\n[[archives]]\nid = \"plugin\"\nbinaries = [\"toolctl\"]\n"), "{dist_toml}");
    repo.commit_all("add the cargo xtask template");
    repo.git(&["tag", "v2.0.0"]);

    // Every target's archive of each set, by name: what --dry-run lists and what is written.
    let mut archives: Vec<(String, &str, &str)> = Vec::new(); // (file, set id, target)
    for t in FIXTURE_TARGETS {
        let (os, arch) = t.split_once('/').unwrap();
        let arch = arch.replace("arm/v", "armv");
        let ext = if os == "windows" { "zip" } else { "tar.gz" };
        archives.push((format!("tool_v2.0.0_{os}_{arch}.{ext}"), "tool", t));
        archives.push((format!("toolctl_v2.0.0_{os}_{arch}.{ext}"), "plugin", t));
    }
    let dry = run_ok(repo.xtask(&["dist", "--engine", "host", "--dry-run"]).env("PATH", path_with_pinned_go()));
    let plan = String::from_utf8(dry.stdout).unwrap();
    let arm = format!(
        "  {:<16} linux/arm/v6/tool linux/arm/v6/toolctl  →  tool_v2.0.0_linux_armv6.tar.gz\n  {:<16} \
         toolctl_v2.0.0_linux_armv6.tar.gz\n",
        "linux/arm/v6", ""
    );
    assert!(plan.contains(&arm), "{plan}");
    for (file, _, _) in &archives {
        assert_eq!(plan.matches(&format!(" {file}\n")).count(), 1, "{file} in the dry run:\n{plan}");
    }

    run_ok(repo.xtask(&["dist", "--engine", "host"]).env("PATH", path_with_pinned_go()));
    let out = repo.out();
    let mut expected: Vec<String> = vec!["checksums.txt".into(), "manifest.json".into()];
    expected.extend(archives.iter().map(|(file, _, _)| file.clone()));
    let mut published = expected.clone();
    for t in FIXTURE_TARGETS {
        let exe = if t.starts_with("windows") { ".exe" } else { "" };
        expected.extend([format!("{t}/tool{exe}"), format!("{t}/toolctl{exe}")]);
    }
    expected.sort();
    let first = snapshot(&out);
    assert_eq!(first.keys().cloned().collect::<Vec<_>>(), expected);

    // Each archive holds its own command, as built, and the LICENSE: nothing of the other set.
    for (file, id, target) in &archives {
        let binary = if *id == "tool" { "tool" } else { "toolctl" };
        let exe = if target.starts_with("windows") { format!("{binary}.exe") } else { binary.to_owned() };
        let inside = entries(&out.join(file));
        assert_eq!(inside.keys().cloned().collect::<Vec<_>>(), ["LICENSE".to_owned(), exe.clone()], "{file}");
        assert!(inside[&exe] == first[&format!("{target}/{exe}")], "{file} holds the {target} {binary} that was built");
        assert_eq!(inside["LICENSE"], b"MIT\n", "{file}");
    }

    // Downloaded, the release verifies on its own, and its checksum file lists every archive.
    published.sort();
    assert_eq!(assert_published_release_verifies(&out), published);
    let check = run_ok(Command::new("sha256sum").args(["-c", "checksums.txt"]).current_dir(&out));
    let ok = String::from_utf8(check.stdout).unwrap();
    for (file, _, _) in &archives {
        assert!(ok.contains(&format!("{file}: OK\n")), "{file} is not checked:\n{ok}");
    }

    // The manifest lists each archive once, for its target, with its set's id.
    let m = manifest(&out);
    let mut listed: Vec<(String, String, String)> = m["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "archive")
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_else(|| panic!("{k} of {a}")).to_owned();
            (s("path"), s("id"), s("target"))
        })
        .collect();
    listed.sort();
    let mut want: Vec<(String, String, String)> =
        archives.iter().map(|(f, id, t)| (f.clone(), (*id).to_owned(), (*t).to_owned())).collect();
    want.sort();
    assert_eq!(listed, want);

    // A second run with no change carries every target over: nothing built, no archive packed again.
    let inodes: Vec<u64> = archives.iter().map(|(f, _, _)| fs::metadata(out.join(f)).unwrap().ino()).collect();
    let again = run_ok(repo.xtask(&["dist", "--engine", "host"]).env("PATH", path_with_pinned_go()));
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert!(
        stderr.contains(&format!("up to date, reused from {}: {}\n", out.display(), FIXTURE_TARGETS.join(" "))),
        "{stderr}"
    );
    for ((file, _, _), inode) in archives.iter().zip(inodes) {
        assert_eq!(fs::metadata(out.join(file)).unwrap().ino(), inode, "{file} was packed again");
    }
    assert!(snapshot(&out) == first, "the carried-over release is the first one, byte for byte");
}
