//! `--smoke`: runs every binary this machine can execute with `version` and
//! checks that it names the stamped version and its own OS and arch. Foreign
//! CPUs run through qemu-user where binfmt_misc has it registered.

use std::path::Path;

use anyhow::bail;
use xshell::{cmd, Shell};

use crate::plan::Plan;
use crate::target::Target;

/// Why a target could or could not be run here.
#[derive(Debug, PartialEq)]
pub enum Runner {
    Native,
    /// A binfmt_misc entry (e.g. `qemu-aarch64`) runs it transparently.
    Binfmt(String),
    Unavailable(String),
}

pub fn runner_for(target: &Target, host: &Target) -> Runner {
    if target.os != host.os {
        return Runner::Unavailable(format!("a {} binary cannot run on {}", target.os, host.os));
    }
    if target.arch == host.arch || (host.arch == "amd64" && target.arch == "386") {
        return Runner::Native;
    }
    let qemu = match target.arch.as_str() {
        "arm64" => "aarch64",
        "amd64" => "x86_64",
        "386" => "i386",
        "loong64" => "loongarch64",
        "ppc64" | "ppc64le" | "s390x" | "riscv64" | "arm" | "mips" | "mipsle" | "mips64" | "mips64le" => {
            target.arch.as_str()
        }
        other => return Runner::Unavailable(format!("no qemu-user emulator is known for {other}")),
    };
    let entry = Path::new("/proc/sys/fs/binfmt_misc")
        .join(format!("qemu-{}", qemu.replace("mips64le", "mips64el").replace("mipsle", "mipsel")));
    match std::fs::read_to_string(&entry) {
        Ok(state) if state.starts_with("enabled") => {
            Runner::Binfmt(entry.file_name().unwrap().to_string_lossy().into_owned())
        }
        _ => Runner::Unavailable(format!(
            "no qemu-user binfmt entry {} (install qemu-user-binfmt to run it)",
            entry.display()
        )),
    }
}

/// Runs what can run; returns one line per target saying what happened.
/// Fails if any binary that ran printed the wrong thing.
pub fn run(sh: &Shell, dir: &Path, plan: &Plan) -> anyhow::Result<Vec<String>> {
    let host = Target::host()?;
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for build in &plan.builds {
        let how = match runner_for(&build.target, &host) {
            Runner::Native => "natively".to_owned(),
            Runner::Binfmt(entry) => format!("through {entry}"),
            Runner::Unavailable(why) => {
                report.push(format!("{}: not run: {why}", build.target));
                continue;
            }
        };
        // The first binary: the one `--smoke` knows answers `version`.
        let binary = dir.join(&build.outputs[0]);
        match cmd!(sh, "{binary} version").quiet().ignore_stderr().read() {
            Ok(out) => match check_version_output(&out, &plan.stamp.version, &build.target) {
                Ok(()) => report.push(format!("{}: ran {how}: {out}", build.target)),
                Err(e) => failures.push(format!("{}: {e}", build.target)),
            },
            Err(e) => failures.push(format!("{}: running it {how} failed: {e}", build.target)),
        }
    }
    if !failures.is_empty() {
        bail!("smoke test failed:\n  {}", failures.join("\n  "));
    }
    Ok(report)
}

/// `version` output must name the version and `os/arch`.
pub fn check_version_output(out: &str, version: &str, target: &Target) -> anyhow::Result<()> {
    let platform = target.os_arch();
    if !out.contains(version) || !out.contains(&platform) {
        bail!("`version` printed {out:?}, which does not name version {version} and {platform}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_how_to_run() {
        let host = Target::new("linux", "amd64");
        assert_eq!(runner_for(&Target::new("linux", "amd64"), &host), Runner::Native);
        assert_eq!(runner_for(&Target::new("linux", "386"), &host), Runner::Native);
        assert!(
            matches!(runner_for(&Target::new("darwin", "amd64"), &host), Runner::Unavailable(w) if w.contains("darwin binary cannot run on linux"))
        );
        let arm = runner_for(&Target::new("linux", "arm64"), &host);
        let registered =
            std::fs::read_to_string("/proc/sys/fs/binfmt_misc/qemu-aarch64").is_ok_and(|s| s.starts_with("enabled"));
        assert_eq!(matches!(arm, Runner::Binfmt(_)), registered, "{arm:?}");
    }

    #[test]
    fn version_output_must_name_version_and_platform() {
        let t = Target::new("linux", "arm64");
        check_version_output("hello 1.2.3 (commit c, built d, go1.26.8, linux/arm64)", "1.2.3", &t).unwrap();
        assert!(check_version_output("hello 1.2.3 (linux/amd64)", "1.2.3", &t).is_err());
        assert!(check_version_output("hello 0.0.0-dev (linux/arm64)", "1.2.3", &t).is_err());
    }
}
