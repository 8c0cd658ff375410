//! A Go build target: GOOS/GOARCH plus, for 32-bit ARM, a GOARM variant.
//!
//! Spelled like a container platform: `linux/amd64`, `linux/arm/v7`.

use std::fmt;
use std::str::FromStr;

use anyhow::{bail, format_err};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub os: String,
    pub arch: String,
    /// GOARM (5, 6 or 7) for `arch == "arm"`; `None` keeps Go's default.
    pub arm: Option<u8>,
}

impl Target {
    pub fn new(os: &str, arch: &str) -> Target {
        Target { os: os.to_owned(), arch: arch.to_owned(), arm: None }
    }

    /// The machine this runs on, in Go's names (for `--host`).
    pub fn host() -> anyhow::Result<Target> {
        use std::env::consts::{ARCH, OS};
        let os = match OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = match ARCH {
            "x86_64" => "amd64",
            "x86" => "386",
            "aarch64" => "arm64",
            "loongarch64" => "loong64",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            "mips" if cfg!(target_endian = "little") => "mipsle",
            "mips64" if cfg!(target_endian = "little") => "mips64le",
            "arm" | "riscv64" | "s390x" | "mips" | "mips64" => ARCH,
            other => bail!("this machine's CPU ({other}) has no Go name known to the xtask; pass --target OS/ARCH"),
        };
        Ok(Target::new(os, arch))
    }

    /// `os/arch`, the form `go tool dist list` prints.
    pub fn os_arch(&self) -> String {
        format!("{}/{}", self.os, self.arch)
    }

    /// The binary's file name on this target.
    pub fn exe_name(&self, binary: &str) -> String {
        match self.os.as_str() {
            "windows" => format!("{binary}.exe"),
            "js" | "wasip1" => format!("{binary}.wasm"),
            _ => binary.to_owned(),
        }
    }

    /// GOOS, GOARCH and (for arm variants) GOARM.
    pub fn go_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("GOOS", self.os.clone()), ("GOARCH", self.arch.clone())];
        if let Some(v) = self.arm {
            env.push(("GOARM", v.to_string()));
        }
        env
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = self.arm {
            write!(f, "/v{v}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Target {
    type Err = anyhow::Error;

    /// Parses `OS/ARCH` or `OS/arm/vN`. Whether Go supports the pair is decided
    /// later, against the building toolchain's `go tool dist list`.
    fn from_str(s: &str) -> anyhow::Result<Target> {
        let parts: Vec<&str> = s.split('/').collect();
        let well_formed = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let shown = shown(s);
        match parts.as_slice() {
            [os, arch] if well_formed(os) && well_formed(arch) => Ok(Target::new(os, arch)),
            [os, "arm", variant] if well_formed(os) => {
                let arm = parse_goarm(variant)
                    .ok_or_else(|| format_err!("target `{shown}`: the ARM variant must be v5, v6 or v7"))?;
                Ok(Target { arm: Some(arm), ..Target::new(os, "arm") })
            }
            [_, arch, _] => bail!(
                "target `{shown}`: only arm takes a variant (OS/arm/v5, v6 or v7), not {}; write OS/ARCH such as linux/amd64",
                self::shown(arch)
            ),
            _ => bail!(
                "target `{shown}` is malformed: write OS/ARCH (e.g. linux/amd64) or OS/arm/vN (e.g. linux/arm/v7)"
            ),
        }
    }
}

/// `s` as an error message shows it: as it is, unless it holds control
/// characters (a newline, a terminal escape), which are escaped.
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(char::is_control) {
        s.escape_debug().to_string().into()
    } else {
        s.into()
    }
}

/// `7`, `v7` → 7, for GOARM 5 to 7.
pub fn parse_goarm(s: &str) -> Option<u8> {
    match s.strip_prefix('v').unwrap_or(s) {
        "5" => Some(5),
        "6" => Some(6),
        "7" => Some(7),
        _ => None,
    }
}

/// The valid targets as a message: the words of `go tool dist list` on one line.
pub fn valid_targets(dist_list: &str) -> String {
    format!("valid targets (`go tool dist list`):\n  {}", dist_list.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The targets a toolchain will build, and the candidates it cannot.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub targets: Vec<Target>,
    /// Dropped from the cross product because the toolchain lacks them.
    pub dropped: Vec<Target>,
}

/// Matches candidates against the pairs a toolchain supports (the lines of `go
/// tool dist list`). From a cross product, unsupported ones are dropped (as
/// GoReleaser does); named ones (`explicit`) must all be supported.
pub fn select(candidates: &[Target], explicit: bool, dist_list: &str, toolchain: &str) -> anyhow::Result<Selection> {
    let supported: Vec<&str> = dist_list.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let (targets, dropped): (Vec<Target>, Vec<Target>) =
        candidates.iter().cloned().partition(|t| supported.contains(&t.os_arch().as_str()));
    let list = |ts: &[Target]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
    if explicit && !dropped.is_empty() {
        bail!(
            "{} not supported by {toolchain}; {}",
            if dropped.len() == 1 {
                format!("target {} is", dropped[0])
            } else {
                format!("targets {} are", list(&dropped))
            },
            valid_targets(dist_list)
        );
    }
    if targets.is_empty() {
        bail!("none of the targets ({}) is supported by {toolchain}; {}", list(&dropped), valid_targets(dist_list));
    }
    Ok(Selection { targets, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_arch_and_arm_variants() {
        assert_eq!("linux/amd64".parse::<Target>().unwrap(), Target::new("linux", "amd64"));
        let arm: Target = "linux/arm/v6".parse().unwrap();
        assert_eq!(arm.arm, Some(6));
        assert_eq!(arm.to_string(), "linux/arm/v6");
        assert_eq!(arm.go_env().last().unwrap(), &("GOARM", "6".to_owned()));
        assert_eq!("linux/arm/7".parse::<Target>().unwrap().to_string(), "linux/arm/v7");
    }

    #[test]
    fn rejects_malformed_targets_with_the_reason() {
        let err = |s: &str| s.parse::<Target>().unwrap_err().to_string();
        assert!(err("linux").contains("target `linux` is malformed"), "{}", err("linux"));
        assert!(err("linux/amd64/v3").contains("only arm takes a variant"));
        assert!(err("linux/arm/v9").contains("v5, v6 or v7"));
        assert!(err("Linux/AMD64").contains("malformed"));
        assert!(err("linux/").contains("malformed"));
        assert!(err("a/b/c/d").contains("malformed"));
    }

    #[test]
    fn exe_names_follow_the_os() {
        assert_eq!(Target::new("windows", "arm64").exe_name("hello"), "hello.exe");
        assert_eq!(Target::new("darwin", "arm64").exe_name("hello"), "hello");
        assert_eq!(Target::new("wasip1", "wasm").exe_name("hello"), "hello.wasm");
    }

    #[test]
    fn named_targets_must_be_supported_and_the_valid_ones_are_listed() {
        let list = "darwin/arm64\nlinux/amd64\nlinux/arm\n";
        let targets = ["linux/amd64", "linux/arm/v7", "plan9/sparc"].map(|t| t.parse().unwrap());
        let err = select(&targets, true, list, "go1.26.8").unwrap_err().to_string();
        assert!(err.starts_with("target plan9/sparc is not supported by go1.26.8"), "{err}");
        assert!(err.contains("darwin/arm64 linux/amd64 linux/arm"), "{err}");
        let s = select(&targets[..2], true, list, "go1.26.8").unwrap();
        assert_eq!((s.targets.len(), s.dropped.len()), (2, 0));
    }

    #[test]
    fn a_cross_product_drops_what_the_toolchain_lacks_arm_variants_too() {
        let list = "darwin/arm64\nlinux/amd64\nlinux/arm\nwindows/amd64\n";
        let targets: Vec<Target> = ["darwin/arm/v6", "darwin/arm64", "linux/arm/v6", "windows/arm/v6", "windows/amd64"]
            .map(|t| t.parse().unwrap())
            .to_vec();
        let s = select(&targets, false, list, "go1.26.8").unwrap();
        let names = |ts: &[Target]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&s.targets), ["darwin/arm64", "linux/arm/v6", "windows/amd64"]);
        assert_eq!(names(&s.dropped), ["darwin/arm/v6", "windows/arm/v6"]);
        let err = select(&targets[..1], false, list, "go1.26.8").unwrap_err().to_string();
        assert!(err.starts_with("none of the targets (darwin/arm/v6) is supported by go1.26.8"), "{err}");
    }
}

/// Arbitrary target strings and command lines: never a panic, and every error
/// names what it is about.
#[cfg(test)]
mod proptests {
    use clap::{CommandFactory, Parser};
    use proptest::prelude::*;

    use super::*;
    use crate::flags::{Command, DistAction, Xtask};

    fn config() -> ProptestConfig {
        ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
    }

    /// Strings shaped like targets (and not), and anything at all.
    fn target_like() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => "[a-z0-9]{1,8}/[a-z0-9]{1,8}",
            2 => "[a-z0-9]{0,6}/arm/v?[0-9]{0,2}",
            2 => "[a-zA-Z0-9/v. -]{0,16}",
            2 => any::<String>(),
            1 => "[/\\x00-\\x1f\u{7f}\u{202e}]{0,6}",
        ]
    }

    /// An argument after `cargo xtask dist`: an option, a value, or anything.
    fn argument() -> impl Strategy<Value = String> {
        const KNOWN: &[&str] = &[
            "--engine",
            "--target",
            "--host",
            "--shard",
            "--out",
            "--settings",
            "--smoke",
            "--dry-run",
            "--quiet",
            "--verbose",
            "-q",
            "-v",
            "-qv",
            "merge",
            "--",
            "-",
            "--out=-x",
            "--target=",
            "--engine=host",
            "--shard=",
            "host",
            "dagger",
            "auto",
            "linux/amd64",
            "linux/arm/v7",
            "linux",
            "1/2",
            "0/3",
            "2/1",
            "x/y",
            "-x",
            "",
            "dir with space",
            "ünïcødé",
            "--eng",
            "--ou",
        ];
        prop_oneof![
            4 => prop::sample::select(KNOWN).prop_map(str::to_owned),
            1 => any::<String>(),
            1 => "--?[a-z-]{1,10}(=[ -~]{0,8})?",
            1 => target_like(),
        ]
    }

    /// An option with a value (as one argument or two), or one argument.
    fn chunk() -> impl Strategy<Value = Vec<String>> {
        let option = prop::sample::select(&["--engine", "--target", "--shard", "--out", "--settings"][..]);
        let value = prop_oneof![argument(), target_like(), "[0-9]{1,2}/[0-9]{1,2}"];
        prop_oneof![
            2 => (option.clone(), value.clone()).prop_map(|(o, v)| vec![o.to_owned(), v]),
            1 => (option, value).prop_map(|(o, v)| vec![format!("{o}={v}")]),
            2 => argument().prop_map(|a| vec![a]),
        ]
    }

    /// What an error may name an argument by: its text, the option or value in
    /// `--opt=value`, or the name of an option or value of the command line.
    fn names_an_argument(msg: &str, args: &[String]) -> bool {
        let given = args.iter().any(|a| {
            (a.is_empty() && msg.contains("''"))
                || (!a.is_empty() && msg.contains(a.as_str()))
                || a.split_once('=').is_some_and(|(opt, value)| msg.contains(opt) || msg.contains(value))
                // Clap names one flag of a cluster of short ones: `-q` of `-qx`.
                || a.strip_prefix('-').is_some_and(|s| !s.starts_with('-') && s.chars().any(|c| msg.contains(&format!("'-{c}'"))))
        });
        let cli = Xtask::command();
        let dist = cli.find_subcommand("dist").unwrap();
        let merge = dist.find_subcommand("merge").unwrap();
        let declared = [dist, merge].into_iter().flat_map(|c| c.get_arguments()).any(|arg| {
            let long = arg.get_long().filter(|l| !matches!(*l, "help" | "version")).map(|l| format!("'--{l}"));
            let values = arg.get_value_names().unwrap_or_default().iter().map(|v| format!("<{v}>")).collect::<Vec<_>>();
            long.is_some_and(|l| msg.contains(&l)) || values.iter().any(|v| msg.contains(v.as_str()))
        });
        given || declared
    }

    proptest! {
        #![proptest_config(config())]

        /// Parsed: well formed and printed back as parsed; refused: the message shows the input.
        #[test]
        fn target_strings(s in target_like()) {
            match s.parse::<Target>() {
                Ok(t) => {
                    let shape = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
                    prop_assert!(shape(&t.os) && shape(&t.arch), "{s:?} → {t:?}");
                    prop_assert!(t.arm.is_none() || (t.arch == "arm" && matches!(t.arm, Some(5..=7))), "{t:?}");
                    prop_assert_eq!(t.to_string().parse::<Target>().unwrap(), t.clone());
                    if t.arm.is_none() {
                        prop_assert_eq!(t.to_string(), s);
                    }
                }
                Err(e) => {
                    let msg = format!("{e:#}");
                    prop_assert!(msg.contains(&format!("target `{}`", shown(&s))), "{s:?} → {msg}");
                    prop_assert!(!msg.contains(|c: char| c.is_control()), "{s:?} → {msg:?}");
                }
            }
        }

        /// Any arguments after `dist`: parsed into something sound, or refused with
        /// a message naming an argument; the targets given then name themselves too.
        #[test]
        fn dist_arguments(args in prop::collection::vec(chunk(), 0..5).prop_map(|c| c.concat())) {
            let argv = ["cargo xtask".to_owned(), "dist".to_owned()].into_iter().chain(args.iter().cloned());
            match Xtask::try_parse_from(argv) {
                Ok(Xtask { command: Command::Dist(d) }) => {
                    prop_assert!(!(d.output.quiet && d.output.verbose));
                    prop_assert!(!d.host || d.targets.is_empty());
                    if let Some(s) = d.shard {
                        prop_assert!(1 <= s.index && s.index <= s.count, "{s:?}");
                    }
                    if let Some(DistAction::Merge(m)) = &d.action {
                        prop_assert!(!m.dirs.is_empty());
                    }
                    for t in &d.targets {
                        if let Err(e) = t.parse::<Target>() {
                            prop_assert!(format!("{e:#}").contains(shown(t).as_ref()), "{t:?} → {e:#}");
                        }
                    }
                }
                Ok(other) => prop_assert!(false, "{args:?} parsed as {other:?}"),
                Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {}
                Err(e) => {
                    let msg = e.to_string();
                    // Clap strips terminal escapes from what it prints: then its record of the argument counts.
                    let recorded = e.context().any(|(kind, value)| {
                        use clap::error::{ContextKind as K, ContextValue as V};
                        let named = |v: &String| args.iter().any(|a| a == v || (!v.is_empty() && a.contains(v.as_str())));
                        matches!(kind, K::InvalidArg | K::InvalidSubcommand | K::InvalidValue | K::PriorArg)
                            && match value {
                                V::String(v) => named(v),
                                V::Strings(vs) => vs.iter().any(named),
                                _ => false,
                            }
                    });
                    prop_assert!(names_an_argument(&msg, &args) || recorded, "{args:?} → {msg}");
                }
            }
        }
    }
}
