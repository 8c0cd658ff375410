//! Drives the real pipeline code against an in-process GraphQL endpoint that
//! records every query and answers like an engine would, then checks what the
//! pipeline asked of the engine. (A real engine is exercised by
//! `tests/dagger_engine.rs`, where one can be provisioned.)

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use dagger_sdk::core::graphql_client::{GraphQLClient, GraphQLError};
use dagger_sdk::{Query, Selection};
use serde_json::{json, Value};

use super::{reachable, run, toolchain, Job, GOCACHE, GOMODCACHE, OUT, WORKDIR};
use crate::plan::DownloadSettings;
use crate::plan::{Plan, Toolchain};
use crate::settings::Settings;
use crate::source::{Outputs, Source};
use crate::stamp::Stamp;

/// One step of a query: `withExec(args: [...])`.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    field: String,
    args: BTreeMap<String, Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Value(Value),
    /// A bare GraphQL enum such as `SHARED`.
    Enum(String),
    /// An object passed by ID, resolved to the query that produced the ID.
    Object(Vec<Call>),
}

impl Call {
    fn str(&self, name: &str) -> &str {
        match &self.args[name] {
            Arg::Value(Value::String(s)) => s,
            other => panic!("{}.{name} is {other:?}, not a string", self.field),
        }
    }

    fn object(&self, name: &str) -> &[Call] {
        match &self.args[name] {
            Arg::Object(chain) => chain,
            other => panic!("{}.{name} is {other:?}, not an object", self.field),
        }
    }
}

/// A GraphQL endpoint in-process: records queries, answers with fake IDs and canned outputs.
#[derive(Default)]
struct FakeEngine {
    queries: Mutex<Vec<String>>,
    dist_list: String,
    /// `go build` exits 1 on this GOOS.
    failing_goos: Option<&'static str>,
    /// This exec (argv joined by spaces) exits 1 with a message of its own.
    failing_exec: Option<&'static str>,
    /// `go build`s waited on at this moment, and the most there ever were: a build takes 20 ms.
    building: std::sync::atomic::AtomicUsize,
    most_building: std::sync::atomic::AtomicUsize,
    /// The image has no `sh`: the look at the caches fails, and each binary is an exec of its own.
    no_shell: bool,
    /// Where the script that runs every build in one exec really runs ([`FakeEngine::run_script`]).
    scratch: std::sync::OnceLock<tempfile::TempDir>,
}

/// The `go` the one-exec script finds first on PATH when the fake runs it: writes to `$ROOT` +
/// its `-o` path the environment a build depends on and its argv (NUL after each), counts the
/// builds running beside it (20 ms each), and fails on `$FAIL_GOOS` with a compile error.
const FAKE_GO: &str = r#"#!/bin/sh
out=; prev=
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
touch "$ROOT/running/$$"
ls "$ROOT/running" | wc -l >>"$ROOT/most"
sleep 0.02
rm "$ROOT/running/$$"
if [ "$GOOS" = "$FAIL_GOOS" ]; then
  printf '# example.com/hello\n./main.go:3:1: syntax error: non-declaration statement outside function body\n' >&2
  exit 1
fi
mkdir -p "$(dirname "$ROOT$out")"
for v in GOOS GOARCH GOARM CGO_ENABLED GOFLAGS GOWORK GOTOOLCHAIN GOMODCACHE GOCACHE GOPROXY GOPRIVATE; do
  eval "[ -n \"\${$v+set}\" ] && printf '%s=%s\0' $v \"\$$v\""
done >"$ROOT$out"
printf '%s\0' go "$@" >>"$ROOT$out"
"#;

#[async_trait::async_trait]
impl GraphQLClient for FakeEngine {
    async fn query(&self, query: &str) -> Result<Option<Value>, GraphQLError> {
        let index = {
            let mut queries = self.queries.lock().unwrap();
            queries.push(query.to_owned());
            queries.len() - 1
        };
        let chain = self.resolve(query);
        let leaf = chain.last().expect("empty query");
        let mut answer = match leaf.field.as_str() {
            "id" => json!(format!("fake-{index}")),
            "stdout" => match exec_args(&chain).join(" ").as_str() {
                "go env GOVERSION" => json!("go1.26.8\n"),
                "go tool dist list" => json!(self.dist_list),
                argv if argv.starts_with("go list -deps") => json!("fmt\nexample.com/hello/internal/buildinfo\n"),
                argv if argv.starts_with("go doc -c -u example.com/hello/internal/buildinfo ") => {
                    json!("package buildinfo\n\nvar (\n\tVersion = \"0.0.0-dev\"\n)\n")
                }
                "go env -json" => {
                    json!("{\"GOVERSION\": \"go1.26.8\", \"GOAMD64\": \"v1\", \"GOCACHE\": \"/root/.cache/go-build\"}")
                }
                // The look at the caches (engine/dagger/cache.rs): warm, on a roomy disk.
                argv if argv.starts_with("sh -c d=${XTASK_BUILDS:-") => json!(self.run_script(&chain)),
                argv if argv.starts_with("sh -c if [ -f \"$GOCACHE/README\" ]") => {
                    json!("build=warm\nmod=warm\ndisk=1000000000 800000000\ncpus=2\n")
                }
                other => panic!("unexpected stdout of {other}"),
            },
            "exitCode" => {
                if exec_args(&chain).starts_with(&["go".to_owned(), "build".to_owned()]) {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = self.building.fetch_add(1, SeqCst) + 1;
                    self.most_building.fetch_max(now, SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    self.building.fetch_sub(1, SeqCst);
                }
                let inspect = exec_args(&chain).join(" ").starts_with("sh -c if [ -f");
                let fails = (inspect && self.no_shell)
                    || self.failing_goos.is_some_and(|os| env_of(&chain).get("GOOS").map(String::as_str) == Some(os))
                    || self.failing_exec.is_some_and(|argv| exec_args(&chain).join(" ") == argv);
                json!(if fails { 1 } else { 0 })
            }
            "stderr" if self.failing_exec.is_some() => {
                json!("go: example.com/private@v1.0.0: reading https://proxy.example/...: 403 Forbidden\n")
            }
            "stderr" => json!(
                "# example.com/hello\n./main.go:3:1: syntax error: non-declaration statement outside function body\n"
            ),
            "export" => json!(leaf.str("path")),
            // The engine's collector policy and what its cache holds (bytes).
            "minFreeSpace" => json!(20_000_000_000_i64),
            "maxUsedSpace" => json!(200_000_000_000_i64),
            "reservedSpace" => json!(10_000_000_000_i64),
            "diskSpaceBytes" => json!(4_000_000_000_i64),
            "imageRef" => json!("docker.io/library/golang:1.26.8@sha256:0123abcd"),
            other => panic!("the fake engine cannot answer `{other}`: {query}"),
        };
        // Nest the answer under every field of the path, as GraphQL does.
        for call in chain[..chain.len() - 1].iter().rev() {
            answer = json!({ call.field.clone(): answer });
        }
        Ok(Some(answer))
    }
}

impl FakeEngine {
    /// Runs the one-exec script of `chain` with the host's `sh`, in the chain's environment and
    /// [`FAKE_GO`] first on PATH, as the engine would in the container: its stdout.
    fn run_script(&self, chain: &[Call]) -> String {
        use std::os::unix::fs::PermissionsExt;
        let root = self.scratch.get_or_init(|| tempfile::tempdir().unwrap()).path();
        std::fs::create_dir_all(root.join("running")).unwrap();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("bin/go"), FAKE_GO).unwrap();
        std::fs::set_permissions(root.join("bin/go"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let argv = exec_args(chain);
        let _ = std::fs::remove_dir_all(root.join("state"));
        let path = format!("{}:{}", root.join("bin").display(), std::env::var("PATH").unwrap());
        let out = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(env_of(chain))
            .env("PATH", path)
            .env("ROOT", root)
            .env("XTASK_BUILDS", root.join("state"))
            .env("FAIL_GOOS", self.failing_goos.unwrap_or("none"))
            .output()
            .unwrap();
        assert!(out.status.success(), "the script failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// What [`FAKE_GO`] wrote to `path` (below `/out`): its environment and argv.
    fn built(&self, path: &str) -> (BTreeMap<String, String>, Vec<String>) {
        let root = self.scratch.get().expect("no script ran").path();
        let written = std::fs::read_to_string(format!("{}{path}", root.display())).unwrap();
        let (mut env, mut argv) = (BTreeMap::new(), Vec::new());
        for word in written.split_terminator('\0') {
            match word.split_once('=') {
                Some((k, v)) if argv.is_empty() && k.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    env.insert(k.to_owned(), v.to_owned());
                }
                _ => argv.push(word.to_owned()),
            }
        }
        (env, argv)
    }

    /// The most builds the one-exec script ever ran at once.
    fn most_at_once(&self) -> usize {
        let root = self.scratch.get().expect("no script ran").path();
        let counts = std::fs::read_to_string(root.join("most")).unwrap();
        counts.lines().map(|l| l.trim().parse::<usize>().unwrap()).max().unwrap()
    }

    fn client(self: &Arc<Self>) -> Query {
        Query { proc: None, selection: Selection::default(), graphql_client: self.clone() }
    }

    /// Every query so far, resolved.
    fn log(&self) -> Vec<Vec<Call>> {
        let queries = self.queries.lock().unwrap().clone();
        queries.iter().map(|q| self.resolve(q)).collect()
    }

    /// Parses `query{a(x:1){b{id}}}` into calls, replacing fake IDs by the calls that made them.
    fn resolve(&self, query: &str) -> Vec<Call> {
        let body = query.strip_prefix("query{").expect("not a query").trim_end_matches('}');
        split_outside(body, '{')
            .into_iter()
            .filter(|segment| !segment.starts_with("..."))
            .map(|segment| self.call(segment))
            .collect()
    }

    fn call(&self, segment: &str) -> Call {
        let (field, args) = match segment.split_once('(') {
            Some((field, rest)) => (field, rest.strip_suffix(')').expect("unclosed args")),
            None => (segment, ""),
        };
        let args = split_outside(args, ',')
            .into_iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                let (name, value) = a.split_once(':').expect("arg without value");
                (name.trim().to_owned(), self.arg(value.trim()))
            })
            .collect();
        Call { field: field.trim().to_owned(), args }
    }

    fn arg(&self, text: &str) -> Arg {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::String(s)) if s.starts_with("fake-") => {
                let index: usize = s["fake-".len()..].parse().unwrap();
                let producer = self.queries.lock().unwrap()[index].clone();
                let mut chain = self.resolve(&producer);
                assert_eq!(chain.pop().map(|c| c.field), Some("id".to_owned()));
                Arg::Object(chain)
            }
            Ok(v) => Arg::Value(v),
            Err(_) => Arg::Enum(text.to_owned()),
        }
    }
}

/// Splits on `sep` where it is outside strings, parentheses and brackets.
fn split_outside(text: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut in_string, mut escaped, mut start) = (0i32, false, false, 0);
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => depth -= 1,
            c if c == sep && !in_string && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The argv of the last exec in a chain.
fn exec_args(chain: &[Call]) -> Vec<String> {
    let exec = chain.iter().rev().find(|c| c.field == "withExec").expect("no exec");
    serde_json::from_value(match &exec.args["args"] {
        Arg::Value(v) => v.clone(),
        other => panic!("exec args {other:?}"),
    })
    .unwrap()
}

/// The environment at the end of a chain: variables set, less those removed later.
fn env_of(chain: &[Call]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for c in chain {
        match c.field.as_str() {
            "withEnvVariable" => {
                env.insert(c.str("name").to_owned(), c.str("value").to_owned());
            }
            "withoutEnvVariable" => {
                env.remove(c.str("name"));
            }
            _ => {}
        }
    }
    env
}

const DIST_LIST: &str =
    "darwin/amd64\ndarwin/arm64\nlinux/amd64\nlinux/arm\nlinux/arm64\nwindows/amd64\nwindows/arm64\n";

fn job(targets: &[&str]) -> Job {
    let settings = Settings::load(&crate::project::root().join("dist.toml")).unwrap();
    let targets: Vec<_> = targets.iter().map(|t| t.parse().unwrap()).collect();
    let stamp = Stamp::from_parts(Some("v2.0.1".into()), Some("c0ffee".into()), Some(1_700_000_000), None);
    let outputs = Outputs { out: "/tmp/x/dist".into(), ours: vec![] };
    let source = Source::find(&settings.app_dir, &[], "", &outputs).unwrap();
    let toolchain = Toolchain {
        go_version: "go1.26.8".into(),
        dist_list: DIST_LIST.into(),
        label: "go1.26.8".into(),
        fingerprint: String::new(),
        content: None,
        why_other: None,
    };
    // The caller's proxy reaches the plan's download settings, and from there the download alone.
    let caller = BTreeMap::from([("GOPROXY".to_owned(), "https://proxy.example".to_owned())]);
    let plan = Plan::new(&settings, &targets, stamp, source, &toolchain, &caller).unwrap();
    assert_eq!(plan.download_settings.env, [("GOPROXY".to_owned(), "https://proxy.example".to_owned())]);
    Job { plan, export_to: "/tmp/x/.dist.staging-1".into(), go_cache: None, built_there_before: false }
}

fn run_fake(engine: FakeEngine, job: &Job) -> (eyre::Result<crate::engine::Built>, Vec<Vec<Call>>) {
    let engine = Arc::new(engine);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcome = runtime.block_on(run(&engine.client(), job));
    (outcome, engine.log())
}

/// The container every build runs in: the pinned image, the shared caches, the upload, the
/// module's directory, the app's environment and no download setting.
fn assert_build_container(ctr: &[Call]) {
    let fields: Vec<&str> = ctr.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(&fields[..2], ["container", "from"]);
    assert_eq!(ctr[1].str("address"), "golang:1.26.8");
    let caches: Vec<(&str, &str, &Arg)> = ctr
        .iter()
        .filter(|c| c.field == "withMountedCache")
        .map(|c| (c.str("path"), c.object("cache")[0].str("key"), &c.args["sharing"]))
        .collect();
    let shared = Arg::Enum("SHARED".into());
    assert_eq!(caches, [(GOMODCACHE, "go-mod-1.26.8", &shared), (GOCACHE, "go-build-1.26.8", &shared)]);
    let mount = ctr.iter().find(|c| c.field == "withMountedDirectory").unwrap();
    assert_eq!(mount.str("path"), WORKDIR);
    let host_dir = mount.object("source");
    assert_eq!(host_dir[0].field, "host");
    // The template's module is app/, alone: nothing of ours lies inside it.
    assert_eq!(host_dir[1].str("path"), crate::project::root().join("app").to_str().unwrap());
    assert_eq!(host_dir[1].args["exclude"], Arg::Value(json!([".git", "**/.git"])));
    assert!(Path::new(host_dir[1].str("path")).join("go.mod").is_file());
    assert_eq!(ctr.iter().find(|c| c.field == "withWorkdir").unwrap().str("path"), WORKDIR);
    let env = env_of(ctr);
    assert!(!env.contains_key("GOPROXY") && !env.contains_key("GOPRIVATE"), "no download setting in a build's chain");
    assert!(ctr.iter().all(|c| !c.field.contains("Secret")), "no secret in a build's chain");
}

/// One `go build` as the fake engine's `go` recorded it: the environment it ran in and its argv.
fn assert_go_build(env: &BTreeMap<String, String>, argv: &[String], build: &crate::plan::TargetBuild) {
    let out = format!("{OUT}/{}", build.outputs[0]);
    let expected = [
        "go",
        "build",
        "-trimpath",
        "-buildvcs=false",
        "-ldflags=-s -w -X example.com/hello/internal/buildinfo.Version=2.0.1 -X example.com/hello/internal/buildinfo.Commit=c0ffee -X example.com/hello/internal/buildinfo.Date=2023-11-14T22:13:20Z",
        "-o",
        &out,
        "./cmd/hello",
    ];
    assert_eq!(argv, expected);
    assert_eq!(env["GOOS"], build.target.os);
    assert_eq!(env["GOARCH"], build.target.arch);
    assert_eq!(env["CGO_ENABLED"], "0");
    assert_eq!(env["GOMODCACHE"], GOMODCACHE);
    assert_eq!((env["GOFLAGS"].as_str(), env["GOWORK"].as_str(), env["GOTOOLCHAIN"].as_str()), ("", "off", "local"));
    assert!(!env.contains_key("GOPROXY") && !env.contains_key("GOPRIVATE"), "the download settings reach no build");
}

#[test]
fn pipeline_builds_every_target_in_one_exec_in_the_pinned_image_and_exports_once() {
    let job = job(&[]);
    let plan = &job.plan;
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(runtime.block_on(run(&engine.client(), &job)).unwrap().go_version, "go1.26.8");
    let log = engine.log();
    assert!(log.iter().all(|q| q.iter().all(|c| c.field != "withoutEnvVariable" || c.str("name") == "GOPROXY")));

    let exports: Vec<&Vec<Call>> = log.iter().filter(|q| q.last().unwrap().field == "export").collect();
    assert_eq!(exports.len(), 1, "one export for all targets");
    let (last, rest) = exports[0].split_last().unwrap();
    assert_eq!(last.str("path"), "/tmp/x/.dist.staging-1");
    assert_eq!(last.args["wipe"], Arg::Value(json!(false)), "merges into our staging directory");
    let (stamp, rest) = rest.split_last().unwrap();
    assert_eq!((stamp.field.as_str(), &stamp.args["timestamp"]), ("withTimestamps", &Arg::Value(json!(1_700_000_000))));
    // The outputs alone, gathered into one fresh directory, each from the one exec that ran every build.
    assert_eq!(rest[0].field, "directory");
    let files: Vec<&Call> = rest.iter().filter(|c| c.field == "withFile").collect();
    assert_eq!(files.len(), plan.builds.len());
    let mut sources = Vec::new();
    for (file, build) in files.iter().zip(&plan.builds) {
        assert_eq!(file.str("path"), build.outputs[0]);
        let (file_call, ctr) = file.object("source").split_last().unwrap();
        assert_eq!(file_call.str("path"), format!("{OUT}/{}", build.outputs[0]));
        sources.push(ctr.to_vec());
    }
    assert!(sources.windows(2).all(|w| w[0] == w[1]), "every binary from the same exec");
    let ctr = &sources[0];
    assert_build_container(ctr);
    let execs: Vec<&Call> = ctr.iter().filter(|c| c.field == "withExec").collect();
    assert_eq!(execs.len(), 1, "the download ran first, on its own: it is not in the builds' chain (nor their key)");
    let Arg::Value(argv) = &execs[0].args["args"] else { panic!("{:?}", execs[0]) };
    assert_eq!((argv[0].as_str(), argv[1].as_str()), (Some("sh"), Some("-c")));
    assert!(!env_of(ctr).contains_key("GOOS"), "each target's own variables are the script's, per build");
    // What each build ran, as the script (run by the fake engine with the host's sh) started it.
    assert!(plan.builds.len() > 2);
    for build in &plan.builds {
        let (env, argv) = engine.built(&format!("{OUT}/{}", build.outputs[0]));
        assert_go_build(&env, &argv, build);
    }

    // `go env` and the look at the caches, then the download (with the app's environment and the
    // proxy as a secret), then the builds' exec and the -X probes at once (concurrently), then the export.
    let exits: Vec<&Vec<Call>> = log.iter().filter(|q| q.last().unwrap().field == "exitCode").collect();
    assert_eq!(exits.len(), 3 + 1 + plan.probes().len());
    // The look at the caches runs every time (a value of its own per run: never answered from the
    // engine's cache), on the cache volumes the builds mount.
    let look = exits.iter().find(|q| env_of(q).contains_key("XTASK_RUN")).expect("no look at the caches");
    let volumes: Vec<&str> =
        look.iter().filter(|c| c.field == "withMountedCache").map(|c| c.object("cache")[0].str("key")).collect();
    assert_eq!(volumes, ["go-mod-1.26.8", "go-build-1.26.8"]);
    let queried: Vec<&str> = log.iter().filter_map(|q| q.last()).map(|c| c.field.as_str()).collect();
    for field in ["minFreeSpace", "maxUsedSpace", "reservedSpace", "diskSpaceBytes"] {
        assert!(queried.contains(&field), "the engine's gc policy: {field} was not asked");
    }
    // The builds and the probes are asked together: their queries interleave.
    let probed: Vec<String> = exits[3..]
        .iter()
        .map(|q| {
            let exec = q.iter().rev().find(|c| c.field == "withExec").unwrap();
            assert!(!env_of(q).contains_key("GOPROXY") && q.iter().all(|c| !c.field.contains("Secret")));
            serde_json::from_value::<Vec<String>>(match &exec.args["args"] {
                Arg::Value(v) => v.clone(),
                other => panic!("{other:?}"),
            })
            .unwrap()
            .join(" ")
        })
        .filter(|argv| !argv.starts_with("sh -c "))
        .collect();
    assert_eq!(
        probed,
        [
            "go list -deps -f {{.ImportPath}} -- ./cmd/hello",
            "go doc -c -u example.com/hello/internal/buildinfo Version",
            "go doc -c -u example.com/hello/internal/buildinfo Commit",
            "go doc -c -u example.com/hello/internal/buildinfo Date"
        ]
    );
    let download = exits[2];
    let exec = download.iter().rev().find(|c| c.field == "withExec").unwrap();
    assert_eq!(exec.args["args"], Arg::Value(json!(["go", "mod", "download"])));
    let env = env_of(download);
    assert_eq!(
        (env["CGO_ENABLED"].as_str(), env["GOFLAGS"].as_str()),
        ("0", ""),
        "the app's environment applies to the download"
    );
    let secret = download.iter().find(|c| c.field == "withSecretVariable").unwrap();
    assert_eq!(secret.str("name"), "GOPROXY");
    assert!(!env.contains_key("GOPROXY"), "the proxy is a secret, not a variable");
    assert_eq!(log.last().unwrap().last().unwrap().field, "export");
}

/// An image without `sh`: each binary an exec of its own, in the same container with its target's
/// variables, and every binary gathered into one fresh directory.
#[test]
fn without_a_shell_each_binary_is_an_exec_of_its_own() {
    let job = job(&[]);
    let plan = &job.plan;
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), no_shell: true, ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run(&engine.client(), &job)).unwrap();
    let log = engine.log();
    let export = log.iter().find(|q| q.last().unwrap().field == "export").unwrap();
    let (_, rest) = export.split_last().unwrap();
    assert_eq!(rest[0].field, "directory", "gathered into one fresh directory");
    let files: Vec<&Call> = rest.iter().filter(|c| c.field == "withFile").collect();
    assert_eq!(files.len(), plan.builds.len());
    for (file, build) in files.iter().zip(&plan.builds) {
        assert_eq!(file.str("path"), build.outputs[0]);
        let (file_call, ctr) = file.object("source").split_last().unwrap();
        assert_eq!(file_call.str("path"), format!("{OUT}/{}", build.outputs[0]));
        assert_build_container(ctr);
        let execs: Vec<Vec<String>> = ctr
            .iter()
            .filter(|c| c.field == "withExec")
            .map(|c| match &c.args["args"] {
                Arg::Value(v) => serde_json::from_value(v.clone()).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(execs.len(), 1);
        assert_go_build(&env_of(ctr), &execs[0], build);
    }
    // As many at once as there are targets (no `nproc` without a shell), each asked once.
    assert_eq!(engine.most_building.load(std::sync::atomic::Ordering::SeqCst), plan.builds.len());
}

/// As many `go build`s at once as the engine has processors (`nproc` in the look at the caches:
/// 2 here), not every target at once.
#[test]
fn builds_run_as_many_at_a_time_as_the_engine_has_processors() {
    let job = job(&[]);
    assert!(job.plan.builds.len() > 2);
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run(&engine.client(), &job)).unwrap();
    assert_eq!(engine.most_at_once(), 2);
}

#[test]
fn arm_variants_set_goarm() {
    let job = job(&["linux/arm/v6"]);
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run(&engine.client(), &job)).unwrap();
    assert_eq!(job.plan.builds[0].outputs, ["linux/arm/v6/hello"]);
    let (env, _) = engine.built(&format!("{OUT}/linux/arm/v6/hello"));
    assert_eq!((env["GOARCH"].as_str(), env["GOARM"].as_str()), ("arm", "6"));
}

#[test]
fn compile_errors_name_each_failing_target_and_export_nothing() {
    for no_shell in [false, true] {
        let job = job(&[]);
        let engine =
            FakeEngine { dist_list: DIST_LIST.into(), failing_goos: Some("windows"), no_shell, ..Default::default() };
        let (outcome, log) = run_fake(engine, &job);
        let err = format!("{:#}", outcome.unwrap_err());
        // The engine's `./main.go`, relative to /src/app in the container, seen from
        // where this test runs (cargo runs unit tests in xtask/): ../app/main.go.
        assert!(
            err.contains(
                "go build failed for windows/amd64 (exit 1):\n# example.com/hello\n../app/main.go:3:1: syntax error"
            ),
            "no shell: {no_shell}: {err}"
        );
        assert!(err.contains("go build failed for windows/arm64"), "{err}");
        assert!(!err.contains("linux"), "{err}");
        assert!(log.iter().all(|q| q.last().unwrap().field != "export"));
        if no_shell {
            // A build's stderr is asked for when it failed, not for every build.
            let asked: Vec<Option<String>> = log
                .iter()
                .filter(|q| {
                    q.last().unwrap().field == "stderr"
                        && exec_args(q).starts_with(&["go".to_owned(), "build".to_owned()])
                })
                .map(|q| env_of(q).get("GOOS").cloned())
                .collect();
            assert_eq!(asked.len(), 2, "{asked:?}");
            assert!(asked.iter().all(|os| os.as_deref() == Some("windows")), "{asked:?}");
        }
    }
}

#[test]
fn the_toolchain_comes_from_the_pinned_image_alone() {
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let t = runtime.block_on(toolchain(&engine.client(), "golang:1.26.8")).unwrap();
    assert_eq!(
        (t.go_version.as_str(), t.dist_list.as_str(), t.label.as_str()),
        ("go1.26.8", DIST_LIST, "go1.26.8 in golang:1.26.8")
    );
    // The image by digest and its Go's environment (less cache locations) tell installations apart.
    assert_eq!(
        t.fingerprint,
        "docker.io/library/golang:1.26.8@sha256:0123abcd\n{\"GOAMD64\":\"v1\",\"GOVERSION\":\"go1.26.8\"}"
    );
    for query in engine.log() {
        let fields: Vec<&str> = query.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(&fields[..2], ["container", "from"], "{fields:?}");
        assert!(!fields.contains(&"withMountedDirectory"), "no source needed: {fields:?}");
    }
}

#[test]
fn a_vendored_module_downloads_nothing() {
    let mut job = job(&["linux/amd64"]);
    job.plan.download = None;
    let (outcome, log) = run_fake(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() }, &job);
    outcome.unwrap();
    let execs: Vec<String> = log
        .iter()
        .flat_map(|q| q.iter().filter(|c| c.field == "withExec").map(|c| format!("{:?}", c.args["args"])))
        .collect();
    assert!(!execs.iter().any(|e| e.contains("\"mod\"")), "{execs:?}");
}

/// Credentials reach the engine only in `setSecret`, and only the download sees them.
#[test]
fn credentials_are_dagger_secrets_for_the_download_only() {
    let mut job = job(&["linux/amd64"]);
    job.plan.download_settings = DownloadSettings {
        host_env: vec![("HOME".into(), "/home/never-in-a-container".into())],
        env: vec![
            ("GOPROXY".into(), "https://ci:SECRET-TOKEN-123@proxy.example,direct".into()),
            ("GOPRIVATE".into(), "example.com/private".into()),
        ],
        netrc: Some("machine example.com login ci password NETRC-PASS-456\n".into()),
    };
    let engine = Arc::new(FakeEngine { dist_list: DIST_LIST.into(), ..Default::default() });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(run(&engine.client(), &job)).unwrap();
    let queries = engine.queries.lock().unwrap().clone();
    for secret in ["SECRET-TOKEN-123", "NETRC-PASS-456"] {
        // The SDK resolves the secret's ID lazily, so setSecret may be asked more than once; nothing else carries it.
        let carrying: Vec<&String> = queries.iter().filter(|q| q.contains(secret)).collect();
        assert!(!carrying.is_empty(), "{secret} was never sent");
        assert!(carrying.iter().all(|q| q.starts_with("query{setSecret(")), "{secret} outside setSecret: {carrying:?}");
    }
    let log = engine.log();
    let download = log
        .iter()
        .find(|q| q.iter().any(|c| c.args.get("args") == Some(&Arg::Value(json!(["go", "mod", "download"])))))
        .unwrap();
    let secrets: Vec<String> = download
        .iter()
        .filter(|c| c.field.contains("Secret"))
        .map(|c| format!("{} {}", c.field, if c.field == "withMountedSecret" { c.str("path") } else { c.str("name") }))
        .collect();
    assert_eq!(
        secrets,
        ["withSecretVariable GOPROXY", "withSecretVariable GOPRIVATE", "withMountedSecret /root/.netrc"]
    );
    let export = log.last().unwrap();
    let build = export.iter().find(|c| c.field == "withFile").unwrap().object("source");
    assert!(build.iter().all(|c| !c.field.contains("Secret")), "the build's chain has no secret: {build:?}");
    assert!(!env_of(build).contains_key("GOPRIVATE"), "nor the download settings");
    let (env, _) = engine.built(&format!("{OUT}/{}", job.plan.builds[0].outputs[0]));
    assert!(!env.contains_key("GOPRIVATE") && !env.contains_key("GOPROXY"), "{env:?}");
}

/// A failing step other than `go build` is named, with its own stderr (not "exit code: 1").
#[test]
fn a_failing_download_is_named_with_its_stderr() {
    let job = job(&["linux/amd64"]);
    let engine =
        FakeEngine { dist_list: DIST_LIST.into(), failing_exec: Some("go mod download"), ..Default::default() };
    let (outcome, log) = run_fake(engine, &job);
    let err = format!("{:#}", outcome.unwrap_err());
    assert_eq!(err, "`go mod download` failed (exit 1):\ngo: example.com/private@v1.0.0: reading https://proxy.example/...: 403 Forbidden");
    assert!(log.iter().all(|q| q.last().unwrap().field != "export"), "nothing exported");
    let engine =
        FakeEngine { dist_list: DIST_LIST.into(), failing_exec: Some("go env GOVERSION"), ..Default::default() };
    let (outcome, _) = run_fake(engine, &job);
    assert!(format!("{:#}", outcome.unwrap_err()).starts_with("`go env GOVERSION` failed (exit 1):\ngo: "));
}

/// Any HTTP answer, even an error status, means the host can be reached; a refused connection does not.
#[test]
fn reachable_is_any_http_answer() {
    use std::io::{Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.local_addr().unwrap());
    let answer = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        let mut request = [0u8; 1024];
        let n = conn.read(&mut request).unwrap();
        conn.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
        String::from_utf8_lossy(&request[..n]).into_owned()
    });
    assert!(reachable(&url));
    assert!(answer.join().unwrap().starts_with("HEAD / HTTP/1.1\r\n"), "a HEAD request");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    assert!(!reachable(&url));
}
