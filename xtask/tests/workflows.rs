//! The CI files shipped with the template: every GitHub workflow and the GitLab
//! example parse as YAML and have the keys their services require, the CI
//! workflow runs `cargo xtask ci`, the release matrix agrees with its
//! `--shard I/N`, merges the shards and publishes what the merged manifest
//! lists, and actionlint (when installed, and always under `CI`) finds nothing
//! to report.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

/// Keys GitHub accepts at the top of a workflow, in a job and in a step.
const WORKFLOW_KEYS: &[&str] = &["name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"];
const JOB_KEYS: &[&str] = &[
    "name",
    "permissions",
    "needs",
    "if",
    "runs-on",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
];
const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "working-directory",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
];

/// Top-level keys of .gitlab-ci.yml that are settings, not jobs.
const GITLAB_KEYWORDS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];
const GITLAB_DEFAULT_STAGES: &[&str] = &[".pre", "build", "test", "deploy", ".post"];

/// A parsed file and its path relative to the workspace, for messages.
struct Doc {
    name: String,
    yaml: Yaml,
}

fn load(path: &Path) -> Doc {
    let root = common::workspace();
    let name = path.strip_prefix(&root).unwrap_or(path).display().to_string();
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
    assert_eq!(docs.len(), 1, "{name} holds {} YAML documents, not one", docs.len());
    let yaml = docs.remove(0);
    assert!(yaml.is_hash(), "{name} is not a mapping at the top");
    Doc { name, yaml }
}

fn workflow_paths() -> Vec<PathBuf> {
    let dir = common::workspace().join(".github/workflows");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    paths.sort();
    paths
}

fn workflows() -> Vec<Doc> {
    let docs: Vec<_> = workflow_paths().iter().map(|path| load(path)).collect();
    let names: Vec<_> = docs.iter().map(|d| d.name.as_str()).collect();
    for shipped in ["ci.yml", "release.yml"] {
        assert!(names.contains(&format!(".github/workflows/{shipped}").as_str()), "no {shipped} in {names:?}");
    }
    docs
}

fn workflow(file: &str) -> Doc {
    load(&common::workspace().join(".github/workflows").join(file))
}

fn get<'a>(node: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    node.as_hash()?.get(&Yaml::String(key.to_string()))
}

fn keys(node: &Yaml) -> Vec<String> {
    node.as_hash()
        .map(|h| h.keys().map(|k| k.as_str().map(str::to_string).unwrap_or_else(|| format!("{k:?}"))).collect())
        .unwrap_or_default()
}

/// `on:`, which a YAML 1.1 parser reads as the boolean true.
fn on(doc: &Doc) -> &Yaml {
    get(&doc.yaml, "on")
        .or_else(|| doc.yaml.as_hash().unwrap().get(&Yaml::Boolean(true)))
        .unwrap_or_else(|| panic!("{} has no top-level `on`", doc.name))
}

/// The events of `on:` (a string, a list, or a mapping).
fn events(doc: &Doc) -> BTreeSet<String> {
    match on(doc) {
        Yaml::String(event) => BTreeSet::from([event.clone()]),
        Yaml::Array(list) => list.iter().map(|e| e.as_str().unwrap().to_string()).collect(),
        map @ Yaml::Hash(_) => keys(map).into_iter().collect(),
        other => panic!("{}: `on` is {other:?}", doc.name),
    }
}

fn jobs(doc: &Doc) -> Vec<(String, &Yaml)> {
    let jobs = get(&doc.yaml, "jobs").unwrap_or_else(|| panic!("{} has no top-level `jobs`", doc.name));
    let jobs = jobs.as_hash().unwrap_or_else(|| panic!("{}: `jobs` is not a mapping", doc.name));
    assert!(!jobs.is_empty(), "{} has no jobs", doc.name);
    jobs.iter()
        .map(|(id, job)| {
            let id = id.as_str().unwrap_or_else(|| panic!("{}: job id {id:?} is not a string", doc.name));
            (id.to_string(), job)
        })
        .collect()
}

fn steps(job: &Yaml) -> &[Yaml] {
    get(job, "steps").and_then(Yaml::as_vec).map(Vec::as_slice).unwrap_or_default()
}

/// Every `run:` script of a job, one after the other.
fn scripts(job: &Yaml) -> Vec<&str> {
    steps(job).iter().filter_map(|step| get(step, "run")?.as_str()).collect()
}

fn uses(job: &Yaml) -> Vec<&str> {
    steps(job).iter().filter_map(|step| get(step, "uses")?.as_str()).collect()
}

/// `needs:`, a job id or a list of them.
fn needs(job: &Yaml) -> Vec<String> {
    match get(job, "needs") {
        None => vec![],
        Some(Yaml::String(one)) => vec![one.clone()],
        Some(Yaml::Array(list)) => list.iter().map(|n| n.as_str().expect("a job id").to_string()).collect(),
        Some(other) => panic!("`needs` is {other:?}"),
    }
}

/// The scalar at `path` (e.g. `["permissions", "contents"]`) as text.
fn text_at(node: &Yaml, path: &[&str]) -> Option<String> {
    let mut node = node;
    for key in path {
        node = get(node, key)?;
    }
    match node {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[test]
fn every_workflow_has_the_keys_github_requires() {
    for doc in workflows() {
        let name = &doc.name;
        for key in keys(&doc.yaml) {
            assert!(
                WORKFLOW_KEYS.contains(&key.as_str()) || key == "Boolean(true)",
                "{name}: unknown top-level key {key}"
            );
        }
        assert!(!events(&doc).is_empty(), "{name}: `on` names no event");
        let jobs = jobs(&doc);
        let ids: BTreeSet<_> = jobs.iter().map(|(id, _)| id.clone()).collect();
        for (id, job) in &jobs {
            let at = format!("{name}: job {id}");
            assert!(
                id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{at}: GitHub job ids are letters, digits, `_` and `-`, starting with a letter or `_`"
            );
            assert!(job.is_hash(), "{at} is not a mapping");
            for key in keys(job) {
                assert!(JOB_KEYS.contains(&key.as_str()), "{at}: unknown key {key}");
            }
            if let Some(reusable) = get(job, "uses") {
                let reusable = reusable.as_str().unwrap_or_else(|| panic!("{at}: `uses` is not a string"));
                assert!(
                    reusable.contains(".yml") || reusable.contains(".yaml"),
                    "{at}: `uses` {reusable} is no workflow"
                );
                assert!(
                    get(job, "steps").is_none() && get(job, "runs-on").is_none(),
                    "{at}: `uses` with steps/runs-on"
                );
            } else {
                assert!(get(job, "runs-on").is_some(), "{at} has no `runs-on`");
                let steps = steps(job);
                assert!(!steps.is_empty(), "{at} has no `steps`");
                for (n, step) in steps.iter().enumerate() {
                    let at = format!("{at}, step {}", n + 1);
                    assert!(step.is_hash(), "{at} is not a mapping");
                    for key in keys(step) {
                        assert!(STEP_KEYS.contains(&key.as_str()), "{at}: unknown key {key}");
                    }
                    let has = |key| get(step, key).is_some();
                    assert!(has("run") != has("uses"), "{at} needs exactly one of `run` and `uses`");
                    if let Some(action) = get(step, "uses") {
                        let action = action.as_str().unwrap_or_else(|| panic!("{at}: `uses` is not a string"));
                        assert!(
                            action.starts_with("./") || action.starts_with("docker://") || action.contains('@'),
                            "{at}: action {action} has no @version"
                        );
                    }
                }
            }
            for need in needs(job) {
                assert!(ids.contains(&need), "{at} needs {need}, which is not a job in {name} ({ids:?})");
                assert_ne!(&need, id, "{at} needs itself");
            }
        }
    }
}

/// Read-only by default; only the job that publishes a release may write.
#[test]
fn workflows_grant_write_only_to_the_release_job() {
    for doc in workflows() {
        let name = &doc.name;
        assert_eq!(
            text_at(&doc.yaml, &["permissions", "contents"]).as_deref(),
            Some("read"),
            "{name}: set `permissions: contents: read` at the top"
        );
        let writes = |node: &Yaml| match get(node, "permissions") {
            Some(Yaml::String(all)) => all.contains("write"),
            Some(map @ Yaml::Hash(_)) => map.as_hash().unwrap().values().any(|v| v.as_str() == Some("write")),
            _ => false,
        };
        assert!(!writes(&doc.yaml), "{name}: the top-level permissions write");
        for (id, job) in jobs(&doc) {
            let publishes = name.ends_with("release.yml") && id == "release";
            assert_eq!(writes(job), publishes, "{name}: job {id} writes: {:?}", get(job, "permissions"));
        }
    }
}

#[test]
fn ci_runs_cargo_xtask_ci_with_caches() {
    let doc = workflow("ci.yml");
    let events = events(&doc);
    assert!(events.contains("push") && events.contains("pull_request"), "ci.yml runs on {events:?}");
    let jobs = jobs(&doc);
    let ci = jobs.iter().find(|(_, job)| scripts(job).iter().any(|s| s.contains("cargo xtask ci")));
    let (id, job) = ci.expect("no job in ci.yml runs `cargo xtask ci`");
    assert_eq!(text_at(job, &["runs-on"]).as_deref(), Some("ubuntu-latest"), "ci.yml: job {id}");
    let actions = uses(job);
    let uses_action = |name: &str| actions.iter().any(|a| a.starts_with(&format!("{name}@")));
    assert!(uses_action("actions/checkout"), "ci.yml: job {id} does not check out the repository");
    assert!(uses_action("Swatinem/rust-cache"), "ci.yml: job {id} has no Cargo cache");
    assert_go_cache_round_trips("ci.yml", id, job, "cargo xtask ci");
    let group = text_at(&doc.yaml, &["concurrency", "group"]).expect("ci.yml has no concurrency group");
    assert!(group.contains("github.ref") || group.contains("pull_request"), "ci.yml: concurrency group {group}");
    let cancel = text_at(&doc.yaml, &["concurrency", "cancel-in-progress"]).unwrap_or_default();
    assert!(cancel == "true" || cancel.contains("pull_request"), "ci.yml does not cancel superseded runs: {cancel:?}");
}

/// The job caches one directory and passes it as `--go-cache` to `command`: the Dagger engine of a
/// fresh runner starts from it, and the host engine builds in it.
fn assert_go_cache_round_trips(name: &str, id: &str, job: &Yaml, command: &str) {
    let cached: Vec<String> = steps(job)
        .iter()
        .filter(|step| text_at(step, &["uses"]).unwrap_or_default().starts_with("actions/cache@"))
        .filter_map(|step| text_at(step, &["with", "path"]))
        .collect();
    let runs: Vec<&str> = scripts(job).into_iter().filter(|s| s.contains(command)).collect();
    let passed: Vec<&str> = runs
        .iter()
        .filter_map(|s| s.split_once("--go-cache ").map(|(_, rest)| rest.split_whitespace().next().unwrap_or("")))
        .collect();
    assert!(
        !passed.is_empty() && passed.iter().all(|dir| cached.iter().any(|c| c.trim() == *dir)),
        "{name}: job {id} runs {runs:?} with --go-cache {passed:?}, but caches {cached:?}"
    );
    for step in steps(job).iter().filter(|s| text_at(s, &["uses"]).unwrap_or_default().starts_with("actions/cache@")) {
        // The build cache changes with every commit: a fixed key would be saved once and never again.
        let key = text_at(step, &["with", "key"]).unwrap_or_default();
        assert!(key.contains("github.sha"), "{name}: job {id}: the Go cache's key {key:?} never changes");
    }
}

/// The N of `--shard ${{ matrix.shard }}/N` in a script.
fn shard_count(script: &str) -> Option<usize> {
    let (_, rest) = script.split_once("--shard")?;
    let (index, count) = rest.trim_start_matches('=').split_once('/')?;
    assert_eq!(index.trim(), "${{ matrix.shard }}", "--shard does not take its index from the matrix: {script}");
    let digits: String = count.chars().take_while(char::is_ascii_digit).collect();
    Some(digits.parse().unwrap_or_else(|_| panic!("--shard {index}/{count}: N is not a number")))
}

#[test]
fn release_builds_every_shard_and_merges_them() {
    let doc = workflow("release.yml");
    let tags = get(on(&doc), "push").and_then(|push| get(push, "tags")).and_then(Yaml::as_vec);
    let tags: Vec<_> = tags.expect("release.yml does not run on pushed tags").iter().filter_map(Yaml::as_str).collect();
    assert!(tags.contains(&"v*"), "release.yml runs on tags {tags:?}, not v*");
    let jobs = jobs(&doc);

    let sharded: Vec<_> = jobs.iter().filter(|(_, job)| scripts(job).iter().any(|s| s.contains("--shard"))).collect();
    assert_eq!(sharded.len(), 1, "release.yml: one job should build the shards");
    let (shard_id, shard_job) = sharded[0];
    let matrix = get(shard_job, "strategy").and_then(|s| get(s, "matrix")).and_then(|m| get(m, "shard"));
    let matrix =
        matrix.and_then(Yaml::as_vec).unwrap_or_else(|| panic!("release.yml: job {shard_id} has no shard matrix"));
    let shards: Vec<_> = matrix.iter().map(|s| s.as_i64().expect("shards are numbers")).collect();
    let script = scripts(shard_job).into_iter().find(|s| s.contains("--shard")).unwrap();
    assert!(script.contains("cargo xtask dist"), "release.yml: {script}");
    let n = shard_count(script).unwrap_or_else(|| panic!("release.yml: no --shard I/N in {script}"));
    assert_eq!(
        shards,
        (1..=n as i64).collect::<Vec<_>>(),
        "release.yml: the matrix must list shards 1..={n} ({script})"
    );
    assert!(
        uses(shard_job).iter().any(|a| a.starts_with("actions/upload-artifact@")),
        "release.yml: job {shard_id} does not upload its shard"
    );
    assert_go_cache_round_trips("release.yml", shard_id, shard_job, "--shard");

    let merging: Vec<_> =
        jobs.iter().filter(|(_, job)| scripts(job).iter().any(|s| s.contains("cargo xtask dist merge"))).collect();
    assert_eq!(merging.len(), 1, "release.yml: one job should run `cargo xtask dist merge`");
    let (merge_id, merge_job) = merging[0];
    assert!(needs(merge_job).contains(shard_id), "release.yml: job {merge_id} does not need {shard_id}");
    assert!(
        uses(merge_job).iter().any(|a| a.starts_with("actions/download-artifact@")),
        "release.yml: job {merge_id} does not download the shards"
    );
    // On a tag, the shards refuse what is not a release.
    assert!(script.contains("'--release'") && script.contains("startsWith(github.ref, 'refs/tags/"), "{script}");
    // What is published is what the merged manifest lists: checked by running
    // the job's own scripts (`release_publishes_what_the_manifest_lists`).
    for fixed in ["SHA256SUMS", ".tar.gz", ".zip"] {
        for step in steps(merge_job) {
            let text = format!("{step:?}");
            assert!(!text.contains(fixed), "release.yml: job {merge_id} names a fixed file ({fixed}): {text}");
        }
    }

    // The version stamp is `git describe --tags`: every checkout needs the tags.
    for (id, job) in &jobs {
        for step in steps(job) {
            if text_at(step, &["uses"]).is_some_and(|a| a.starts_with("actions/checkout@")) {
                let depth = text_at(step, &["with", "fetch-depth"]);
                assert_eq!(depth.as_deref(), Some("0"), "release.yml: job {id} checks out without fetch-depth: 0");
            }
        }
    }
}

#[test]
fn gitlab_example_checks_every_push_and_releases_tags() {
    let path = common::workspace().join(".gitlab-ci.yml");
    let doc = load(&path);
    let stages: Vec<String> = match get(&doc.yaml, "stages").and_then(Yaml::as_vec) {
        Some(list) => list.iter().map(|s| s.as_str().unwrap().to_string()).collect(),
        None => GITLAB_DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(),
    };
    let jobs: Vec<_> = doc
        .yaml
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().expect("top-level keys are strings").to_string(), v))
        .filter(|(k, _)| !GITLAB_KEYWORDS.contains(&k.as_str()) && !k.starts_with('.'))
        .collect();
    let ids: BTreeSet<_> = jobs.iter().map(|(id, _)| id.clone()).collect();
    let script = |job: &Yaml| -> Vec<String> {
        let lines = get(job, "script").and_then(Yaml::as_vec).map(Vec::as_slice).unwrap_or_default();
        lines.iter().map(|l| l.as_str().expect("script lines are strings").to_string()).collect()
    };
    for (id, job) in &jobs {
        assert!(job.is_hash(), ".gitlab-ci.yml: job {id} is not a mapping");
        assert!(!script(job).is_empty() || get(job, "trigger").is_some(), ".gitlab-ci.yml: job {id} has no script");
        if let Some(stage) = text_at(job, &["stage"]) {
            assert!(stages.contains(&stage), ".gitlab-ci.yml: job {id} is in stage {stage}, not one of {stages:?}");
        }
        for need in needs(job) {
            assert!(ids.contains(&need), ".gitlab-ci.yml: job {id} needs {need}, which is no job");
        }
    }
    let job = |id: &str| jobs.iter().find(|(j, _)| j == id).map(|(_, job)| *job);
    let ci = job("ci").expect(".gitlab-ci.yml has no `ci` job");
    assert!(
        script(ci).iter().any(|l| l.contains("cargo xtask ci")),
        ".gitlab-ci.yml: `ci` does not run cargo xtask ci"
    );
    let release = job("release").expect(".gitlab-ci.yml has no `release` job");
    assert!(script(release).iter().any(|l| l.contains("cargo xtask dist")), ".gitlab-ci.yml: `release` does not build");
    let rules = get(release, "rules").and_then(Yaml::as_vec).expect(".gitlab-ci.yml: `release` has no rules");
    assert!(
        rules.iter().any(|r| text_at(r, &["if"]).is_some_and(|c| c.contains("$CI_COMMIT_TAG"))),
        ".gitlab-ci.yml: `release` does not run on tags only"
    );
    let kept = get(release, "artifacts").and_then(|a| get(a, "paths")).and_then(Yaml::as_vec);
    let kept: Vec<_> =
        kept.expect(".gitlab-ci.yml: `release` keeps no artifacts").iter().filter_map(Yaml::as_str).collect();
    assert!(
        kept.iter().any(|p| p.trim_end_matches('/') == "dist"),
        ".gitlab-ci.yml: `release` keeps {kept:?}, not dist/"
    );
}

/// `$ACTIONLINT`, else `actionlint` on PATH.
fn actionlint() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("ACTIONLINT").filter(|v| !v.is_empty()) {
        let named = PathBuf::from(named);
        assert!(named.is_file(), "ACTIONLINT={} is not a file", named.display());
        return Some(named);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("actionlint")).find(|path| path.is_file())
}

/// actionlint checks expressions, action inputs, runner labels and, with
/// shellcheck on PATH, every `run:` script. Skipped where it is not installed,
/// except under `CI`, where a missing actionlint fails.
#[test]
fn actionlint_finds_nothing() {
    let Some(actionlint) = actionlint() else {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(!in_ci, "CI is set but actionlint is missing: run with ACTIONLINT=\"$(.ci/install-actionlint)\"");
        eprintln!("skipped: no actionlint (set ACTIONLINT, or put it on PATH: .ci/install-actionlint)");
        return;
    };
    let root = common::workspace();
    let files: Vec<_> = workflow_paths().iter().map(|p| p.strip_prefix(&root).unwrap().to_path_buf()).collect();
    assert!(!files.is_empty());
    let out = Command::new(&actionlint)
        .arg("-no-color")
        .args(&files)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", actionlint.display()));
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} reports:\n{report}", actionlint.display());
}

/// The `run:` script of the step named `name` in job `job`, and its working directory.
fn step_script(doc: &Doc, job_id: &str, name: &str) -> (String, Option<String>) {
    let jobs = jobs(doc);
    let (_, job) = jobs.iter().find(|(id, _)| id.as_str() == job_id).unwrap_or_else(|| panic!("no job {job_id}"));
    let step = steps(job)
        .iter()
        .find(|s| text_at(s, &["name"]).as_deref() == Some(name))
        .unwrap_or_else(|| panic!("release.yml: job {job_id} has no step {name:?}"));
    (text_at(step, &["run"]).expect("a run step"), text_at(step, &["working-directory"]))
}

/// Runs the release job's own "Collect", "Publish" and "Push" scripts (bash, jq,
/// a `gh` that records what it is asked, a `cargo` that runs this xtask, a
/// local registry with a login) on a real merged release: exactly the files
/// manifest.json lists as published are uploaded, and they verify on their
/// own; the image `dist merge` made is pushed under its digest; a dirty build
/// of the tag, or a build of another tag, is never published nor pushed.
/// (`release_publishes_what_the_manifest_lists_without_a_registry` runs the same
/// without the push, where no registry can be started.)
#[cfg(unix)]
#[test]
#[ignore = "needs docker-registry, htpasswd and skopeo (.ci/run installs them)"]
fn release_publishes_what_the_manifest_lists_and_pushes_its_image() {
    release_publishes(true);
}

#[cfg(unix)]
#[test]
fn release_publishes_what_the_manifest_lists_without_a_registry() {
    release_publishes(false);
}

#[cfg(unix)]
fn release_publishes(with_registry: bool) {
    use common::*;
    use sha2::Digest;
    let doc = workflow("release.yml");
    let (collect, collect_dir) = step_script(&doc, "release", "Collect what the release publishes");
    let (publish, publish_dir) = step_script(&doc, "release", "Publish on the GitHub release for the tag");
    let (push, _) = step_script(&doc, "release", "Push the images to their registries");
    let (verify, _) = step_script(&doc, "release", "Verify the release as a downloader would");
    let registry = with_registry.then(|| LocalRegistry::start("ci", "s3cret-pass"));
    let host = registry.as_ref().map_or("127.0.0.1:1".to_owned(), |r| r.addr.clone());

    let repo = Repo::new();
    let settings = REPO_SETTINGS.replace("arm = [\"6\"]", "list = [\"linux/amd64\", \"windows/arm64\"]")
        + "\n[archive.formats]\nwindows = \"binary\"\n";
    let settings = settings.replace("{{ .ProjectName }}_{{ .Version }}", "{{ .Binary }}_{{ .Version }}")
        + &format!("\n[[images]]\nname = \"{host}/acme/tool\"\nbinary = \"tool\"\n")
        + "\n[sbom]\nformats = [\"spdx\"]\n\n[provenance]\n";
    repo.adopt(&settings);
    repo.commit_all("template");
    repo.git(&["tag", "v1.0.0"]);
    let work = tempfile::tempdir().unwrap();
    let mut keygen = Command::new("minisign");
    run_ok(keygen.args(["-G", "-W", "-p", "minisign.pub", "-s", "minisign.key"]).current_dir(work.path()));
    // The repository variable MINISIGN_PUBLIC_KEY: minisign.pub's key line.
    let public_key = fs::read_to_string(work.path().join("minisign.pub")).unwrap().lines().nth(1).unwrap().to_owned();
    let gh_log = work.path().join("gh.log");
    let bin = work.path().join("bin");
    fs::create_dir(&bin).unwrap();
    fs::write(bin.join("gh"), format!("#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$2\" != view ]\n", gh_log.display()))
        .unwrap();
    // `cargo xtask ARGS` as the alias runs it: this test's xtask.
    let xtask = repo.path().join("target/debug/xtask");
    fs::write(
        bin.join("cargo"),
        format!("#!/bin/sh\n[ \"$1\" = xtask ] && shift\nexec '{}' \"$@\"\n", xtask.display()),
    )
    .unwrap();
    common::run_ok(Command::new("chmod").arg("755").arg(bin.join("gh")).arg(bin.join("cargo")));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let bash = |script: &str, dir: &Path, tag: &str| {
        Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(dir)
            .env("PATH", &path)
            .env("TAG", tag)
            .env("GITHUB_OUTPUT", work.path().join("github-output"))
            .env("MINISIGN_PUBLIC_KEY", &public_key)
            .env("XTASK_REGISTRY", &host)
            .env("XTASK_REGISTRY_USERNAME", "ci")
            .env("XTASK_REGISTRY_PASSWORD", "s3cret-pass")
            .output()
            .unwrap()
    };
    // The release as the job has it: shards merged into dist/ beside publish/.
    let release = |dir: &Path| {
        for i in 1..=2 {
            let shard = dir.join(format!("shard-{i}"));
            run_ok(&mut repo.xtask(&[
                "dist",
                "--engine",
                "host",
                "--shard",
                &format!("{i}/2"),
                "--out",
                shard.to_str().unwrap(),
            ]));
        }
        // Signed as the merge step signs with the MINISIGN_KEY secret.
        let mut merge = repo.xtask(&["dist", "merge", "--out", dir.join("dist").to_str().unwrap()]);
        merge.env("XTASK_MINISIGN_KEY", work.path().join("minisign.key"));
        run_ok(merge.arg(dir.join("shard-1")).arg(dir.join("shard-2")));
    };
    let at = |dir: &Path, sub: &Option<String>| sub.as_ref().map_or(dir.to_path_buf(), |s| dir.join(s));

    let clean = work.path().join("clean");
    fs::create_dir(&clean).unwrap();
    release(&clean);
    // The job's own check of the merged release, then what it collects.
    let out = bash(&verify, &clean, "v1.0.0");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tool 1.0.0 (commit "), "the release it verified");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signed by the key given"),
        "the variable's key checked the signatures"
    );
    let out = bash(&collect, &at(&clean, &collect_dir), "v1.0.0");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outputs = fs::read_to_string(work.path().join("github-output")).unwrap();
    assert_eq!(outputs, "checksums=checksums.txt\n", "the attestation step's subject-checksums");
    let out = bash(&publish, &at(&clean, &publish_dir), "v1.0.0");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let published: Vec<String> = manifest(&clean.join("dist"))["published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        published,
        [
            "checksums.txt",
            "checksums.txt.minisig",
            "manifest.json",
            "tool_1.0.0.intoto.json",
            "tool_1.0.0.intoto.json.minisig",
            "tool_1.0.0_Linux_x86_64.tar.gz",
            "tool_1.0.0_Linux_x86_64.tar.gz.spdx.json",
            "tool_1.0.0_Windows_arm64.exe",
            "tool_1.0.0_Windows_arm64.exe.spdx.json",
            "tool_1.0.0_image.tar",
            "tool_1.0.0_image.tar.spdx.json",
            "toolctl_1.0.0_Windows_arm64.exe",
            "toolctl_1.0.0_Windows_arm64.exe.spdx.json"
        ]
    );
    let mut uploaded: Vec<String> = fs::read_dir(clean.join("publish"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    uploaded.sort();
    assert_eq!(uploaded, published, "publish/ holds exactly what the manifest lists");
    assert_published_release_verifies(&clean.join("publish"));
    let calls = fs::read_to_string(&gh_log).unwrap();
    assert_eq!(
        calls,
        format!(
            "release view v1.0.0\nrelease create v1.0.0 --verify-tag --title v1.0.0 --generate-notes {}\n",
            published.join(" ")
        )
    );

    // The image `dist merge` made, pushed by the job's script: the registry serves its digest.
    if let Some(registry) = &registry {
        let out = bash(&push, &clean, "v1.0.0");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let artifacts = manifest(&clean.join("dist"))["artifacts"].clone();
        let image = artifacts.as_array().unwrap().iter().find(|a| a["kind"] == "image").unwrap()["image"].clone();
        let raw = registry.inspect("acme/tool:1.0.0", &["--raw"]);
        let digest: String = sha2::Sha256::digest(&raw).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(format!("sha256:{digest}"), image["digest"].as_str().unwrap());
    }

    // Another tag's release is not published as this one; nor is a dirty build.
    assert!(!bash(&push, &clean, "v9.9.9").status.success(), "pushed another tag's build");
    fs::remove_file(&gh_log).unwrap();
    let out = bash(&publish, &at(&clean, &publish_dir), "v9.9.9");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not a clean build of v9.9.9"));
    repo.write("README.md", "# tool, edited\n");
    let dirty = work.path().join("dirty");
    fs::create_dir(&dirty).unwrap();
    release(&dirty);
    assert!(bash(&collect, &at(&dirty, &collect_dir), "v1.0.0").status.success());
    let out = bash(&publish, &at(&dirty, &publish_dir), "v1.0.0");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not a clean build of v1.0.0"));
    let out = bash(&push, &dirty, "v1.0.0");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not a clean build of v1.0.0"));
    assert!(!gh_log.exists(), "gh was called for a build that must not be published");
}
