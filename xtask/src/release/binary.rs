//! Checks that a binary is what its target says: the executable format of the
//! OS and the CPU (and byte order) of the architecture, read from its header.

use anyhow::{bail, Context};
use object::{Architecture, BinaryFormat, Endianness, Object};

use crate::target::Target;

/// What a header says, e.g. `ELF x86_64 little-endian`.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub format: BinaryFormat,
    pub arch: Architecture,
    pub endian: Endianness,
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endian = match self.endian {
            Endianness::Little => "little-endian",
            Endianness::Big => "big-endian",
        };
        write!(f, "{:?} {:?} {endian}", self.format, self.arch)
    }
}

pub fn read_header(bytes: &[u8]) -> anyhow::Result<Header> {
    let file = object::File::parse(bytes).context("not an executable object file")?;
    let endian = if file.is_little_endian() { Endianness::Little } else { Endianness::Big };
    Ok(Header { format: file.format(), arch: file.architecture(), endian })
}

/// The header a target's binary must have; `None` where the format is one the
/// `object` crate cannot read (plan9's a.out).
pub fn expected(target: &Target) -> anyhow::Result<Option<Header>> {
    let format = match target.os.as_str() {
        "darwin" | "ios" => BinaryFormat::MachO,
        "windows" => BinaryFormat::Pe,
        "aix" => BinaryFormat::Xcoff,
        "js" | "wasip1" => BinaryFormat::Wasm,
        "plan9" => return Ok(None),
        _ => BinaryFormat::Elf,
    };
    use Architecture as A;
    use Endianness::{Big, Little};
    let (arch, endian) = match target.arch.as_str() {
        "amd64" => (A::X86_64, Little),
        "386" => (A::I386, Little),
        "arm64" => (A::Aarch64, Little),
        "arm" => (A::Arm, Little),
        "riscv64" => (A::Riscv64, Little),
        "loong64" => (A::LoongArch64, Little),
        "ppc64" => (A::PowerPc64, Big),
        "ppc64le" => (A::PowerPc64, Little),
        "s390x" => (A::S390x, Big),
        "mips" => (A::Mips, Big),
        "mipsle" => (A::Mips, Little),
        "mips64" => (A::Mips64, Big),
        "mips64le" => (A::Mips64, Little),
        "wasm" => (A::Wasm32, Little),
        other => bail!("cannot verify {target}: no known header for GOARCH={other}"),
    };
    // XCOFF on AIX is big-endian PowerPC; the object crate reports it as PowerPc64.
    Ok(Some(Header { format, arch, endian }))
}

/// Fails unless `bytes` is a binary for `target`. Returns false when the format
/// cannot be checked (so the caller can say so).
pub fn check(target: &Target, bytes: &[u8]) -> anyhow::Result<bool> {
    let Some(want) = expected(target)? else { return Ok(false) };
    let got = read_header(bytes).with_context(|| format!("the {target} binary has no readable header"))?;
    if got != want {
        bail!("the {target} binary is {got}, but {target} needs {want}");
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_headers_cover_the_default_targets() {
        let want = |t: &str| expected(&t.parse().unwrap()).unwrap().unwrap().to_string();
        assert_eq!(want("linux/amd64"), "Elf X86_64 little-endian");
        assert_eq!(want("linux/arm64"), "Elf Aarch64 little-endian");
        assert_eq!(want("darwin/arm64"), "MachO Aarch64 little-endian");
        assert_eq!(want("windows/amd64"), "Pe X86_64 little-endian");
        assert_eq!(want("linux/s390x"), "Elf S390x big-endian");
        assert!(expected(&"plan9/amd64".parse().unwrap()).unwrap().is_none());
    }

    #[test]
    fn garbage_is_not_a_binary() {
        let err = check(&"linux/amd64".parse().unwrap(), b"#!/bin/sh\necho hi\n").unwrap_err();
        assert!(format!("{err:#}").contains("the linux/amd64 binary has no readable header"), "{err:#}");
    }

    #[test]
    fn the_running_test_binary_matches_its_own_target() {
        // A real ELF/Mach-O/PE from the toolchain, not a hand-made header.
        let bytes = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let host = Target::host().unwrap();
        assert!(check(&host, &bytes).unwrap());
        let other = Target::new(&host.os, if host.arch == "arm64" { "amd64" } else { "arm64" });
        let err = check(&other, &bytes).unwrap_err().to_string();
        assert!(err.contains(&format!("but {other} needs")), "{err}");
    }
}
