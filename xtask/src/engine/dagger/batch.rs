//! Every `go build` of a run in one exec on the engine: a POSIX shell script
//! with as many workers as the engine has processors, each taking the next
//! build not yet taken (`mkdir` is the lock). One exec instead of one per
//! binary saves what the engine spends per exec (a container started by runc,
//! its mounts, its snapshot): on 31 small targets a warm edit went from 1.42
//! to 1.17 × the host engine's time (BENCHMARKS.md). An edit changes the
//! upload every build mounts, so per-binary execs were never answered from
//! the engine's cache after one anyway; the same run again still is.

/// One `go build`: the environment it adds to the container's, and its argv.
#[derive(Debug, Clone)]
pub struct Item {
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

/// What one build ended with: its exit code and its stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub code: i32,
    pub stderr: String,
}

/// `word` as one shell word, whatever it holds.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The script: `workers` builds at a time, then for each item in order a line
/// `INDEX CODE BYTES` and that many bytes of its stderr on stdout. Its state
/// (claims, logs) goes to a directory of its own from `mktemp -d`.
pub fn script(items: &[Item], workers: usize) -> String {
    let mut s = String::from("d=$(mktemp -d) || exit 1\nbuild() {\n  case $1 in\n");
    for (i, item) in items.iter().enumerate() {
        // `env` sets any name Dagger's withEnvVariable could, and only for this build.
        let words: Vec<String> = item.env.iter().map(|(k, v)| quote(&format!("{k}={v}"))).collect();
        let argv: Vec<String> = item.argv.iter().map(|a| quote(a)).collect();
        s.push_str(&format!("  {i}) env {} {} ;;\n", words.join(" "), argv.join(" ")));
    }
    let n = items.len();
    s.push_str("  esac\n}\n");
    s.push_str(&format!(
        "work() {{\n  i=0\n  while [ \"$i\" -lt {n} ]; do\n    if mkdir \"$d/$i\" 2>/dev/null; then\n      \
         build \"$i\" >\"$d/$i/out\" 2>\"$d/$i/err\"\n      echo \"$?\" >\"$d/$i/code\"\n    fi\n    \
         i=$((i + 1))\n  done\n}}\n"
    ));
    s.push_str(&"work &\n".repeat(workers.clamp(1, n.max(1))));
    s.push_str(&format!(
        "wait\ni=0\nwhile [ \"$i\" -lt {n} ]; do\n  \
         printf '%s %s %s\\n' \"$i\" \"$(cat \"$d/$i/code\")\" \"$(wc -c <\"$d/$i/err\" | tr -d ' ')\"\n  \
         cat \"$d/$i/err\"\n  i=$((i + 1))\ndone\n"
    ));
    s
}

/// Reads the script's stdout: one outcome per item, in order.
pub fn outcomes(stdout: &[u8], items: usize) -> Result<Vec<Outcome>, String> {
    let mut rest = stdout;
    let mut found = Vec::with_capacity(items);
    for i in 0..items {
        let end = rest.iter().position(|&b| b == b'\n').ok_or_else(|| format!("no line for build {i}"))?;
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        let fields: Vec<&str> = line.split(' ').collect();
        let [index, code, bytes] = fields[..] else { return Err(format!("build {i}: cannot read `{line}`")) };
        let (Ok(index), Ok(code), Ok(bytes)) = (index.parse::<usize>(), code.parse::<i32>(), bytes.parse::<usize>())
        else {
            return Err(format!("build {i}: cannot read `{line}`"));
        };
        if index != i || rest.len() < end + 1 + bytes {
            return Err(format!("build {i}: cannot read `{line}`"));
        }
        let stderr = String::from_utf8_lossy(&rest[end + 1..end + 1 + bytes]).into_owned();
        found.push(Outcome { code, stderr });
        rest = &rest[end + 1 + bytes..];
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::{outcomes, script, Item, Outcome};
    use std::path::Path;

    /// A `go` that writes its GOOS, its X and its argv (NUL after each) to its `-o` file, counts
    /// the builds running beside it, and fails on GOOS=plan9 with two lines of stderr.
    const FAKE_GO: &str = r#"#!/bin/sh
out=; prev=
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
touch "$RUNNING/$$"
ls "$RUNNING" | wc -l >>"$RUNNING.most"
sleep 0.3
rm "$RUNNING/$$"
if [ "$GOOS" = plan9 ]; then printf './main.go:3:1: syntax error\n\tnot ASCII: \303\251\n' >&2; exit 2; fi
mkdir -p "$(dirname "$out")"
{ printf 'GOOS=%s\0X=%s\0' "$GOOS" "${X-unset}"; printf '%s\0' "$@"; } >"$out"
"#;

    /// The shells to run the script with: the host's `sh`, and busybox's (the offline engine's
    /// image, `.ci/dagger-engine`, has only busybox) where there is one.
    fn shells() -> Vec<Vec<String>> {
        let mut shells = vec![vec!["sh".to_owned()]];
        if let Some(busybox) = crate::project::on_path("busybox") {
            shells.push(vec![busybox.display().to_string(), "sh".to_owned()]);
        }
        shells
    }

    /// Runs the script with `shell`, the fake `go` first on PATH: its stdout, and the most builds
    /// that ever ran at once.
    fn run(shell: &[String], items: &[Item], workers: usize, dir: &Path) -> (Vec<u8>, usize) {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("go"), FAKE_GO).unwrap();
        std::fs::set_permissions(bin.join("go"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let running = dir.join("running");
        std::fs::create_dir_all(&running).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let out = std::process::Command::new(&shell[0])
            .args(&shell[1..])
            .args(["-c", &script(items, workers)])
            .env("PATH", path)
            .env("RUNNING", &running)
            .env_remove("X")
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell:?}: {}", String::from_utf8_lossy(&out.stderr));
        let counts = std::fs::read_to_string(dir.join("running.most")).unwrap();
        (out.stdout, counts.lines().map(|l| l.trim().parse::<usize>().unwrap()).max().unwrap())
    }

    fn item(goos: &str, extra: &[(&str, &str)], flags: &[&str], out: &Path) -> Item {
        let mut env = vec![("GOOS".to_owned(), goos.to_owned())];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut argv: Vec<String> = vec!["go".into(), "build".into()];
        argv.extend(flags.iter().map(|a| a.to_string()));
        argv.extend(["-o".into(), out.display().to_string(), "./cmd/x".into()]);
        Item { env, argv }
    }

    #[test]
    fn every_build_runs_once_with_its_own_words_and_at_most_workers_at_once() {
        let systems = ["linux", "darwin", "windows", "freebsd", "netbsd"];
        let flags = ["-ldflags=-s -w -X main.v=it's $HOME `id` \"q\" \\", "", "line\nbreak", "-tags=a,b"];
        for shell in shells() {
            let dir = tempfile::tempdir().unwrap();
            let out = |os: &str| dir.path().join(format!("out/{os}/x"));
            let items: Vec<Item> = (systems.iter().enumerate())
                .map(|(i, os)| item(os, if i == 1 { &[("X", "a b'c=d")] } else { &[] }, &flags, &out(os)))
                .collect();
            let (stdout, most) = run(&shell, &items, 2, dir.path());
            assert_eq!(most, 2, "{shell:?}: two workers, five builds");
            let found = outcomes(&stdout, items.len()).unwrap();
            assert_eq!(found, vec![Outcome { code: 0, stderr: String::new() }; 5], "{shell:?}");
            for (i, os) in systems.iter().enumerate() {
                let mut expected = format!("GOOS={os}\0X={}\0", if i == 1 { "a b'c=d" } else { "unset" });
                for word in &items[i].argv[1..] {
                    expected.push_str(word);
                    expected.push('\0');
                }
                let written = std::fs::read(out(os)).unwrap();
                assert_eq!(String::from_utf8(written).unwrap(), expected, "{shell:?}: {os}");
            }
        }
    }

    #[test]
    fn a_failing_build_keeps_its_code_and_stderr_and_the_others_still_run() {
        for shell in shells() {
            let dir = tempfile::tempdir().unwrap();
            let out = |os: &str| dir.path().join(format!("out/{os}/x"));
            let items: Vec<Item> = ["linux", "plan9", "darwin"].iter().map(|os| item(os, &[], &[], &out(os))).collect();
            let (stdout, most) = run(&shell, &items, 4, dir.path());
            assert_eq!(most, 3, "{shell:?}: more workers than builds: all at once");
            let found = outcomes(&stdout, items.len()).unwrap();
            let failed = Outcome { code: 2, stderr: "./main.go:3:1: syntax error\n\tnot ASCII: é\n".into() };
            assert_eq!(found[1], failed, "{shell:?}");
            assert_eq!((found[0].code, found[2].code), (0, 0), "{shell:?}");
            assert!(out("linux").is_file() && out("darwin").is_file() && !out("plan9").exists(), "{shell:?}");
        }
    }

    #[test]
    fn output_that_is_not_the_scripts_is_an_error_not_a_guess() {
        assert_eq!(outcomes(b"0 0 0\n1 1 4\nboo\n", 2).unwrap()[1], Outcome { code: 1, stderr: "boo\n".into() });
        for bad in [&b"0 0 0\n"[..], b"1 0 0\n0 0 0\n", b"0 0 9\nshort\n1 0 0\n", b"0 x 0\n1 0 0\n", b""] {
            assert!(outcomes(bad, 2).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
