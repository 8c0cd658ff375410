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

impl FromStr for Target {
    type Err = anyhow::Error;

    /// Parses `OS/ARCH` or `OS/arm/vN`. Whether Go supports the pair is decided
    /// later, against the building toolchain's `go tool dist list`.
    fn from_str(s: &str) -> anyhow::Result<Target> {
        let parts: Vec<&str> = s.split('/').collect();
        let well_formed = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        match parts.as_slice() {
            [os, arch] if well_formed(os) && well_formed(arch) => Ok(Target::new(os, arch)),
            [os, "arm", variant] if well_formed(os) => {
                let arm = parse_goarm(variant)
                    .ok_or_else(|| format_err!("target `{s}`: the ARM variant must be v5, v6 or v7"))?;
                Ok(Target { arm: Some(arm), ..Target::new(os, "arm") })
            }
            [_, arch, _] => bail!(
                "target `{s}`: only arm takes a variant (OS/arm/v5, v6 or v7), not {arch}; write OS/ARCH such as linux/amd64"
            ),
            _ => bail!("target `{s}` is malformed: write OS/ARCH (e.g. linux/amd64) or OS/arm/vN (e.g. linux/arm/v7)"),
        }
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
