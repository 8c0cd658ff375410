//! The `-X pkg.name=value` variables the build sets must exist: the linker
//! silently ignores one it cannot find, so a renamed module or a typo in
//! `build.stamp` would ship binaries that say `0.0.0-dev` while the release is
//! named 1.2.3. The plan asks the engine (after the module download, in the
//! build's environment) `go doc` about each variable and `go list -deps`
//! which packages each binary links; this module turns the answers into an
//! error (for `build.stamp`) or a warning (for other `-X` in ldflags).

use anyhow::bail;
use serde::Serialize;

use crate::steps::StepResult;

/// One `-X` variable of one binary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkerVar {
    /// Where it comes from: `build.stamp.version`, `build.ldflags`, `binaries[1].ldflags`…
    pub key: String,
    /// `import/path.name` as given; `main.name` is the binary's own main package.
    pub symbol: String,
    /// Index of the binary in `Plan::binaries`.
    pub binary: usize,
    /// Named in the settings file's `build.stamp`: missing is an error, not a
    /// warning (a default `main.version` the program lacks only stamps nothing).
    pub required: bool,
}

impl LinkerVar {
    fn package_and_name(&self) -> (&str, &str) {
        self.symbol.rsplit_once('.').unwrap_or(("", &self.symbol))
    }
}

/// The `-X` variables in an `-ldflags` value (`-X a.b=c`, `-X=a.b=c`, `--X a.b=c`).
pub fn x_vars(ldflags: &str) -> Vec<String> {
    let words: Vec<&str> = ldflags.split_whitespace().map(|w| w.trim_matches('\'').trim_matches('"')).collect();
    let mut vars = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim_start_matches('-');
        let value = if w == "X" && words[i].starts_with('-') {
            i += 1;
            words.get(i).copied()
        } else if words[i].starts_with('-') {
            w.strip_prefix("X=")
        } else {
            None
        };
        if let Some(symbol) = value.and_then(|v| v.split_once('=')).map(|(s, _)| s) {
            vars.push(symbol.to_owned());
        }
        i += 1;
    }
    vars
}

/// The go commands that answer whether `vars` exist, for binaries built from `mains`:
/// `go list -deps` per binary that sets a variable outside its main package,
/// then `go doc` per variable, in that order.
/// `tags`: each binary's `-tags=…` flag, if it has one (what it imports may depend on them).
pub fn probes(vars: &[LinkerVar], mains: &[String], tags: &[Option<String>]) -> Vec<Vec<String>> {
    let mut argvs = Vec::new();
    for (b, main) in mains.iter().enumerate() {
        if vars.iter().any(|v| v.binary == b && v.package_and_name().0 != "main") {
            argvs.push(deps_argv(main, tags.get(b).cloned().flatten()));
        }
    }
    argvs.extend(vars.iter().map(|v| doc_argv(v, &mains[v.binary])));
    argvs
}

fn deps_argv(main: &str, tags: Option<String>) -> Vec<String> {
    let mut argv: Vec<String> = ["go", "list", "-deps"].map(String::from).to_vec();
    argv.extend(tags);
    argv.extend(["-f", "{{.ImportPath}}", "--", main].map(String::from));
    argv
}

fn doc_argv(var: &LinkerVar, main: &str) -> Vec<String> {
    let (package, name) = var.package_and_name();
    // -c: a lower-case name would otherwise match an upper-case one, which the linker would not set.
    if package == "main" {
        ["go", "doc", "-c", "-cmd", "-u", main, name].map(String::from).to_vec()
    } else {
        ["go", "doc", "-c", "-u", package, name].map(String::from).to_vec()
    }
}

/// Checks the answers to [`probes`] (same order): an error naming every
/// missing `build.stamp` variable; warnings (returned) for other `-X`.
/// With build tags (`tags`), which `go doc` does not take, a variable it cannot
/// find may be declared in a file only the tags select: that is a warning.
pub fn check(
    vars: &[LinkerVar],
    mains: &[String],
    names: &[String],
    answers: &[StepResult],
    tags: &[Option<String>],
) -> anyhow::Result<Vec<String>> {
    let expected = probes(vars, mains, tags);
    let tagged = tags.iter().any(Option::is_some);
    if answers.len() != expected.len() || answers.iter().zip(&expected).any(|(a, e)| a.argv != *e) {
        bail!("the engine answered {} of {} questions about the -X variables", answers.len(), expected.len());
    }
    let mut deps = std::collections::BTreeMap::new();
    let mut rest = answers.iter();
    for b in 0..mains.len() {
        if vars.iter().any(|v| v.binary == b && v.package_and_name().0 != "main") {
            let answer = rest.next().expect("counted above");
            if answer.code != 0 {
                bail!("`{}` failed (exit {}):\n{}", answer.argv.join(" "), answer.code, answer.stderr.trim_end());
            }
            deps.insert(b, answer.stdout.lines().map(str::to_owned).collect::<Vec<_>>());
        }
    }
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (var, answer) in vars.iter().zip(rest) {
        let (package, name) = var.package_and_name();
        let binary = format!("{} ({})", names[var.binary], mains[var.binary]);
        let declared = answer.stdout.lines().find(|l| {
            ["var", "const", "func", "type"].iter().any(|k| l.starts_with(&format!("{k} ")) || *l == format!("{k} ("))
        });
        // `go list -deps` names the binary's own package last.
        let own = deps.get(&var.binary).and_then(|d| d.last()).is_some_and(|last| last == package);
        let mut required = var.required;
        let problem = if own {
            Some(format!("it is {binary}'s own main package, which the linker calls `main`: write main.{name}"))
        } else if package != "main" && !deps[&var.binary].iter().any(|d| d == package) {
            Some(format!("{binary} does not import {package}"))
        } else if answer.code != 0 && tagged {
            required = false;
            Some(format!(
                "{binary} has no such variable, or declares it in a file only its build tags select (go doc does \
                 not take tags): {}",
                answer.stderr.trim()
            ))
        } else if answer.code != 0 {
            let said = answer.stderr.trim();
            Some(format!(
                "{binary} has no such variable (go doc: {})",
                if said.is_empty() { "no output" } else { said }
            ))
        } else if !declared.is_some_and(|l| l.starts_with("var")) {
            Some(format!("in {binary} it is not a variable: {}", declared.unwrap_or("?")))
        } else {
            None
        };
        let Some(problem) = problem else { continue };
        let default = if var.key.starts_with("build.stamp") && !var.required { " (by default)" } else { "" };
        let mut line =
            format!("`{}`{default} names {}, but {problem}: the linker ignores -X for it", var.key, var.symbol);
        if var.key.starts_with("build.stamp") {
            line.push_str(&format!(
                "; set `{}` in dist.toml to the string variable {} reports it from ({name} in the package that declares it), or to \"\" to stamp nothing",
                var.key, names[var.binary]
            ));
        }
        if required {
            errors.push(line);
        } else {
            warnings.push(line);
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_vars_in_every_spelling() {
        assert_eq!(
            x_vars("-s -w -X main.version=1.2.3 -X=example.com/x/v.Commit=abc --X 'main.date=a b' -Xignored"),
            ["main.version", "example.com/x/v.Commit", "main.date"]
        );
        assert!(x_vars("-s -w").is_empty());
    }

    fn var(symbol: &str, binary: usize, required: bool) -> LinkerVar {
        let key = if required { "build.stamp.version" } else { "build.ldflags" };
        LinkerVar { key: key.into(), symbol: symbol.into(), binary, required }
    }

    fn answer(argv: Vec<String>, code: i64, stdout: &str, stderr: &str) -> StepResult {
        StepResult { argv, code, stdout: stdout.into(), stderr: stderr.into() }
    }

    #[test]
    fn missing_stamp_variables_are_errors_and_other_x_warnings() {
        let mains = vec!["./cmd/tool".to_owned(), "./cmd/ctl".to_owned()];
        let names = vec!["tool".to_owned(), "ctl".to_owned()];
        let vars =
            vec![var("main.version", 0, true), var("example.com/x/v.Version", 1, true), var("main.builtBy", 1, false)];
        let argvs = probes(&vars, &mains, &[None, None]);
        assert_eq!(
            argvs.iter().map(|a| a.join(" ")).collect::<Vec<_>>(),
            [
                "go list -deps -f {{.ImportPath}} -- ./cmd/ctl",
                "go doc -c -cmd -u ./cmd/tool version",
                "go doc -c -u example.com/x/v Version",
                "go doc -c -cmd -u ./cmd/ctl builtBy",
            ]
        );
        let ok = |argv: &Vec<String>, out: &str| answer(argv.clone(), 0, out, "");
        let answers = vec![
            ok(&argvs[0], "fmt\nexample.com/x/v\nexample.com/x/cmd/ctl\n"),
            ok(&argvs[1], "package main\n\nvar (\n\tversion = \"dev\"\n)\n"),
            ok(&argvs[2], "package v // import \"example.com/x/v\"\n\nvar Version = \"0\"\n"),
            answer(argvs[3].clone(), 1, "", "doc: no symbol builtBy in package ./cmd/ctl\n"),
        ];
        let warnings = check(&vars, &mains, &names, &answers, &[None, None]).unwrap();
        assert_eq!(
            warnings,
            ["`build.ldflags` names main.builtBy, but ctl (./cmd/ctl) has no such variable (go doc: doc: no symbol builtBy in package ./cmd/ctl): the linker ignores -X for it"]
        );

        // A stamp variable that is missing, one in a package the binary does not import, a constant.
        let mut bad = answers.clone();
        bad[0] = ok(&argvs[0], "fmt\nexample.com/x/cmd/ctl\n");
        bad[1] = ok(&argvs[1], "package main\n\nconst version = \"dev\"\n");
        let err = check(&vars, &mains, &names, &bad, &[None, None]).unwrap_err().to_string();
        assert!(
            err.contains("`build.stamp.version` names main.version, but in tool (./cmd/tool) it is not a variable: const version = \"dev\"")
                && err.contains("`build.stamp.version` names example.com/x/v.Version, but ctl (./cmd/ctl) does not import example.com/x/v")
                && err.contains("or to \"\" to stamp nothing"),
            "{err}"
        );
    }

    /// The binary's own package by its import path is `main` to the linker;
    /// with build tags, a variable go doc cannot see is only a warning.
    #[test]
    fn a_main_package_by_path_is_refused_and_tags_soften_a_miss() {
        let mains = vec!["./cmd/tool".to_owned()];
        let names = vec!["tool".to_owned()];
        let vars = vec![var("example.com/x/cmd/tool.version", 0, true)];
        let tags = [Some("-tags=release".to_owned())];
        let argvs = probes(&vars, &mains, &tags);
        assert_eq!(argvs[0].join(" "), "go list -deps -tags=release -f {{.ImportPath}} -- ./cmd/tool");
        let deps = answer(argvs[0].clone(), 0, "fmt\nexample.com/x/cmd/tool\n", "");
        let found = answer(argvs[1].clone(), 0, "package main\n\nvar version = \"dev\"\n", "");
        let err = check(&vars, &mains, &names, &[deps.clone(), found], &tags).unwrap_err().to_string();
        assert!(
            err.contains(
                "it is tool (./cmd/tool)'s own main package, which the linker calls `main`: write main.version"
            ),
            "{err}"
        );

        let vars = vec![var("example.com/x/v.Version", 0, true)];
        let argvs = probes(&vars, &mains, &tags);
        let deps = answer(argvs[0].clone(), 0, "example.com/x/v\nexample.com/x/cmd/tool\n", "");
        let missing = answer(argvs[1].clone(), 1, "", "doc: no symbol Version in package example.com/x/v\n");
        let warnings = check(&vars, &mains, &names, &[deps.clone(), missing.clone()], &tags).unwrap();
        assert!(warnings[0].contains("or declares it in a file only its build tags select"), "{warnings:?}");
        let untagged = [None];
        let argvs = probes(&vars, &mains, &untagged);
        let deps = answer(argvs[0].clone(), 0, "example.com/x/v\nexample.com/x/cmd/tool\n", "");
        let missing = answer(argvs[1].clone(), 1, "", "doc: no symbol Version in package example.com/x/v\n");
        assert!(check(&vars, &mains, &names, &[deps, missing], &untagged).is_err(), "without tags, an error");
    }
}
