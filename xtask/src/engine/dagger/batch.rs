//! Every `go build` of a run in one exec on the engine: a POSIX shell script
//! with as many workers as the engine has processors, each taking the next
//! build not yet taken (`mkdir` is the lock). One exec instead of one per
//! binary saves what the engine spends per exec (a container started by runc,
//! its mounts, its snapshot): on 31 small targets a warm edit went from 1.42
//! to 1.17 × the host engine's time (BENCHMARKS.md). The engine caches the
//! exec as a whole: the same builds on the same upload again are answered
//! from its cache, but another set of targets (carry-over builds only what
//! changed) or another processor count is a new exec. An edit changes the
//! upload every build mounts, so per-binary execs were never answered from
//! the engine's cache after one anyway.

/// The script's claims and logs, in the exec's own filesystem (`$XTASK_BUILDS` if set: the tests').
const STATE: &str = "/tmp/xtask-builds";

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

/// The exec's argv: `sh -c SCRIPT sh BUILD…`, each build one argument (a command line, quoted),
/// since one argument may not exceed 128 KiB (the whole argv may hold 2 MiB). The script runs
/// `workers` builds at a time, then prints for each build in order a line `INDEX CODE LINES`, the
/// stderr of a failed build (LINES of them; none for one that passed), and a newline. Lines, not
/// bytes: the engine hands stdout over as text, with any byte that is not UTF-8 replaced, and that
/// keeps newlines where they were.
pub fn argv(items: &[Item], workers: usize) -> Vec<String> {
    let mut s = format!("d=${{XTASK_BUILDS:-{STATE}}}\nmkdir \"$d\" || exit 1\nn=$#\ni=0\n");
    s.push_str("for c; do eval \"item_$i=\\$c\"; i=$((i + 1)); done\n");
    s.push_str("build() {\n  eval \"c=\\$item_$1\"\n  eval \"$c\"\n}\n");
    s.push_str(
        "work() {\n  i=0\n  while [ \"$i\" -lt \"$n\" ]; do\n    if mkdir \"$d/$i\" 2>/dev/null; then\n      \
         build \"$i\" >\"$d/$i/out\" 2>\"$d/$i/err\"\n      echo \"$?\" >\"$d/$i/code\"\n    fi\n    \
         i=$((i + 1))\n  done\n}\n",
    );
    s.push_str(&"work &\n".repeat(workers.clamp(1, items.len().max(1))));
    s.push_str(
        "wait\ni=0\nwhile [ \"$i\" -lt \"$n\" ]; do\n  \
         if [ ! -f \"$d/$i/code\" ]; then\n    mkdir -p \"$d/$i\"\n    \
         echo 'this build did not finish: its worker ended first' >>\"$d/$i/err\"\n    \
         echo 255 >\"$d/$i/code\"\n  fi\n  \
         code=$(cat \"$d/$i/code\")\n  \
         if [ \"$code\" = 0 ]; then\n    printf '%s 0 0\\n\\n' \"$i\"\n  else\n    \
         printf '%s %s %s\\n' \"$i\" \"$code\" \"$(wc -l <\"$d/$i/err\" | tr -d ' ')\"\n    \
         cat \"$d/$i/err\"\n    echo\n  fi\n  \
         i=$((i + 1))\ndone\n",
    );
    let mut argv = vec!["sh".to_owned(), "-c".to_owned(), s, "sh".to_owned()];
    for item in items {
        // `env` sets any name Dagger's withEnvVariable could, and only for this build.
        let words: Vec<String> = item.env.iter().map(|(k, v)| quote(&format!("{k}={v}"))).collect();
        let command: Vec<String> = item.argv.iter().map(|a| quote(a)).collect();
        argv.push(format!("env {} {}", words.join(" "), command.join(" ")));
    }
    argv
}

/// Reads the script's stdout: one outcome per item, in order.
pub fn outcomes(stdout: &str, items: usize) -> Result<Vec<Outcome>, String> {
    let mut lines = stdout.split_inclusive('\n');
    let mut found = Vec::with_capacity(items);
    for i in 0..items {
        let line = lines.next().ok_or_else(|| format!("no line for build {i}"))?;
        let unreadable = || format!("build {i}: cannot read `{}`", line.trim_end());
        let fields: Vec<&str> = line.trim_end_matches('\n').split(' ').collect();
        let [index, code, count] = fields[..] else { return Err(unreadable()) };
        let (Ok(index), Ok(code), Ok(count)) = (index.parse::<usize>(), code.parse::<i32>(), count.parse::<usize>())
        else {
            return Err(unreadable());
        };
        let block: Vec<&str> = lines.by_ref().take(count + 1).collect();
        if index != i || block.len() != count + 1 || !block.iter().all(|l| l.ends_with('\n')) {
            return Err(unreadable());
        }
        // The script's own newline after the stderr.
        let stderr = block.concat();
        found.push(Outcome { code, stderr: stderr[..stderr.len() - 1].to_owned() });
    }
    match lines.next() {
        None => Ok(found),
        Some(line) => Err(format!("more than {items} builds reported: `{}`", line.trim_end())),
    }
}

#[cfg(test)]
mod tests {
    use super::{argv, outcomes, Item, Outcome};
    use std::path::Path;

    /// A `go` that writes its GOOS, its X and its argv (NUL after each) to its `-o` file, logs
    /// that path, counts the builds running beside it, and fails on GOOS=plan9 with two lines of
    /// stderr, one not UTF-8.
    const FAKE_GO: &str = r#"#!/bin/sh
out=; prev=
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
echo "$out" >>"$RUNNING.ran"
touch "$RUNNING/$$"
ls "$RUNNING" | wc -l >>"$RUNNING.most"
sleep 0.3
rm "$RUNNING/$$"
if [ "$GOOS" = plan9 ]; then printf './main.go:3:1: syntax error\n\tnot UTF-8: \377, UTF-8: \303\251\n' >&2; exit 2; fi
mkdir -p "$(dirname "$out")"
{ printf 'GOOS=%s\0X=%s\0' "$GOOS" "${X-unset}"; printf '%s\0' "$@"; } >"$out"
"#;

    /// The shells to run the script with, and the PATH they find their tools on (after the fake
    /// `go`): the host's `sh` and tools, and busybox's alone, as the offline engine's image
    /// (`.ci/dagger-engine`) has them, where there is a busybox.
    fn shells(dir: &Path) -> Vec<(String, String)> {
        let mut shells = vec![("sh".to_owned(), std::env::var("PATH").unwrap())];
        if let Some(busybox) = crate::project::on_path("busybox") {
            let applets = dir.join("busybox");
            std::fs::create_dir_all(&applets).unwrap();
            let list = std::process::Command::new(&busybox).arg("--list").output().unwrap();
            for applet in String::from_utf8(list.stdout).unwrap().lines() {
                std::os::unix::fs::symlink(&busybox, applets.join(applet)).unwrap();
            }
            shells.push((applets.join("sh").display().to_string(), applets.display().to_string()));
        }
        shells
    }

    /// What one run of the script gave: its stdout as the engine hands it over (text), the most
    /// builds that ever ran at once, and the `-o` path of every build that ran.
    struct Ran {
        stdout: String,
        most: usize,
        ran: Vec<String>,
    }

    /// Runs the script as the engine does (its argv, `sh` replaced by `shell`), the fake `go` first on PATH.
    fn run((shell, path): &(String, String), items: &[Item], workers: usize, dir: &Path) -> Ran {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("go"), FAKE_GO).unwrap();
        std::fs::set_permissions(bin.join("go"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let running = dir.join("running");
        std::fs::create_dir_all(&running).unwrap();
        let out = std::process::Command::new(shell)
            .args(&argv(items, workers)[1..])
            .env("PATH", format!("{}:{path}", bin.display()))
            .env("RUNNING", &running)
            .env("XTASK_BUILDS", dir.join("state"))
            .env_remove("X")
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let mut ran: Vec<String> = read("running.ran").lines().map(str::to_owned).collect();
        ran.sort();
        Ran {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            most: read("running.most").lines().map(|l| l.trim().parse::<usize>().unwrap()).max().unwrap(),
            ran,
        }
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
        let systems = ["darwin", "freebsd", "linux", "netbsd", "windows"];
        let flags = ["-ldflags=-s -w -X main.v=it's $HOME `id` \"q\" \\", "", "line\nbreak", "-tags=a,b"];
        let top = tempfile::tempdir().unwrap();
        for (n, shell) in shells(top.path()).iter().enumerate() {
            let dir = top.path().join(n.to_string());
            let out = |os: &str| dir.join(format!("out/{os}/x"));
            let items: Vec<Item> = (systems.iter().enumerate())
                .map(|(i, os)| item(os, if i == 1 { &[("X", "a b'c=d")] } else { &[] }, &flags, &out(os)))
                .collect();
            let ran = run(shell, &items, 2, &dir);
            assert_eq!(ran.most, 2, "{shell:?}: two workers, five builds");
            let each_once: Vec<String> = systems.iter().map(|os| out(os).display().to_string()).collect();
            assert_eq!(ran.ran, each_once, "{shell:?}");
            let found = outcomes(&ran.stdout, items.len()).unwrap();
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
        let top = tempfile::tempdir().unwrap();
        for (n, shell) in shells(top.path()).iter().enumerate() {
            let dir = top.path().join(n.to_string());
            let out = |os: &str| dir.join(format!("out/{os}/x"));
            let items: Vec<Item> = ["linux", "plan9", "darwin"].iter().map(|os| item(os, &[], &[], &out(os))).collect();
            let ran = run(shell, &items, 4, &dir);
            assert_eq!(ran.most, 3, "{shell:?}: more workers than builds: all at once");
            let found = outcomes(&ran.stdout, items.len()).unwrap();
            let stderr = "./main.go:3:1: syntax error\n\tnot UTF-8: \u{fffd}, UTF-8: é\n";
            assert_eq!(found[1], Outcome { code: 2, stderr: stderr.into() }, "{shell:?}");
            assert_eq!((found[0].code, found[2].code), (0, 0), "{shell:?}");
            assert!(out("linux").is_file() && out("darwin").is_file() && !out("plan9").exists(), "{shell:?}");
        }
    }

    /// More builds than one argument of 128 KiB could hold as one script (each build its own argument).
    #[test]
    fn six_hundred_builds_of_long_flags_fit() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("-ldflags=-X main.v={}", "x".repeat(300));
        let items: Vec<Item> = (0..600)
            .map(|i| Item { env: vec![("N".into(), i.to_string())], argv: vec!["true".into(), long.clone()] })
            .collect();
        let argv = argv(&items, 2);
        assert!(argv.iter().map(String::len).sum::<usize>() > 128 << 10);
        let out = std::process::Command::new("sh")
            .args(&argv[1..])
            .env("XTASK_BUILDS", dir.path().join("state"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let found = outcomes(&String::from_utf8_lossy(&out.stdout), 600).unwrap();
        assert!(found.iter().all(|o| o.code == 0));
    }

    #[test]
    fn output_that_is_not_the_scripts_is_an_error_not_a_guess() {
        let ok = outcomes("0 0 0\n\n1 1 2\nboo\nfar\n\n2 3 0\nno newline\n", 3).unwrap();
        assert_eq!(ok[1], Outcome { code: 1, stderr: "boo\nfar\n".into() });
        assert_eq!(ok[2], Outcome { code: 3, stderr: "no newline".into() });
        // A byte that is not UTF-8, as the engine hands it over: replaced, the framing intact.
        let replaced = outcomes("0 2 1\nbad \u{fffd} byte\n\n1 0 0\n\n", 2).unwrap();
        assert_eq!(replaced[0].stderr, "bad \u{fffd} byte\n");
        let extra = "0 0 0\n\n1 0 0\n\n2 0 0\n\n";
        for bad in ["0 0 0\n\n", "1 0 0\n\n0 0 0\n\n", "0 0 9\nshort\n\n1 0 0\n\n", "0 x 0\n\n1 0 0\n\n", "", extra] {
            assert!(outcomes(bad, 2).is_err(), "{bad:?}");
        }
    }
}
