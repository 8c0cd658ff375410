//! The build info `go build` embeds in every binary — the main module, each dependency module with
//! its version and `h1:` sum, each replacement, the Go version, the build settings — read from the
//! bytes as `go version -m` reads it (Go's debug/buildinfo, then runtime/debug.ParseBuildInfo): what
//! the SBOMs (`sbom`) say a binary holds.

use anyhow::{bail, Context};
use object::{BinaryFormat, Object, ObjectSection, SectionFlags};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    /// As Go prints it: `h1:` and a base64 SHA-256.
    pub sum: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub module: Module,
    pub replace: Option<Module>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.26.8`
    pub go_version: String,
    /// The main package's import path.
    pub path: String,
    /// The `mod` line.
    pub main: Module,
    pub deps: Vec<Dep>,
    /// The `build` lines, in order, unquoted.
    pub settings: Vec<(String, String)>,
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Magic, pointer size, flags, two pointers (unused by the inline format).
const HEADER: usize = 32;
const ALIGN: usize = 16;
const FLAG_INLINE: u8 = 2;

/// The build info `go build` embeds in `binary`.
pub fn read_build_info(binary: &[u8]) -> anyhow::Result<BuildInfo> {
    let no_info = || anyhow::anyhow!("no Go build info in this file: was it built by go build?");
    let at = find_blob(binary).ok_or_else(no_info)?;
    if binary[at + 15] & FLAG_INLINE == 0 {
        bail!("the Go build info is in the pointer format of Go before 1.18, which is not supported");
    }
    let (version, rest) = uvarint_string(&binary[at + HEADER..]).context("the Go build info is truncated")?;
    let (modinfo, _) = uvarint_string(rest).context("the Go build info is truncated")?;
    if version.is_empty() {
        return Err(no_info());
    }
    // cmd/go frames the module info with 16-byte sentinels (not UTF-8): strip them as Go does.
    let n = modinfo.len();
    let modinfo = if n >= 33 && modinfo[n - 17] == b'\n' { &modinfo[16..n - 16] } else { &[][..] };
    let mut info = parse_modinfo(&String::from_utf8_lossy(modinfo)).context("cannot parse the Go build info")?;
    info.go_version = String::from_utf8_lossy(version).into_owned();
    Ok(info)
}

/// Where the blob starts: in the section Go's linker puts it in (so a copy of the magic elsewhere,
/// as in a program that imports debug/buildinfo, is not taken), else at any aligned file offset.
fn find_blob(bytes: &[u8]) -> Option<usize> {
    let scan = |start: usize, end: usize| {
        let last = end.min(bytes.len()).saturating_sub(HEADER - 1);
        (start..last).step_by(ALIGN).find(|&i| bytes[i..].starts_with(MAGIC))
    };
    let section = object::File::parse(bytes).ok().and_then(|file| data_section(&file));
    section.and_then(|(start, size)| scan(start, start.saturating_add(size))).or_else(|| scan(0, bytes.len()))
}

/// The file range of the section debug/buildinfo searches.
fn data_section(file: &object::File) -> Option<(usize, usize)> {
    use object::pe::{
        IMAGE_SCN_ALIGN_32BYTES, IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_READ, IMAGE_SCN_MEM_WRITE,
    };
    const DATA: u32 = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE;
    let section = match file.format() {
        BinaryFormat::Elf => file.section_by_name(".go.buildinfo"),
        BinaryFormat::MachO => file.section_by_name("__go_buildinfo"),
        BinaryFormat::Xcoff => file.section_by_name(".data"),
        // PE has no section of its own: the linker puts it first in the first writable data section.
        BinaryFormat::Pe => file.sections().find(|s| {
            matches!(s.flags(), SectionFlags::Coff { characteristics } if characteristics & !IMAGE_SCN_ALIGN_32BYTES == DATA)
        }),
        _ => None,
    }?;
    let (offset, size) = section.file_range()?;
    Some((usize::try_from(offset).ok()?, usize::try_from(size).ok()?))
}

/// A uvarint length, then that many bytes: returns them and what follows.
fn uvarint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            let rest = &b[i + 1..];
            let len = usize::try_from(len).ok().filter(|&l| l <= rest.len())?;
            return Some(rest.split_at(len));
        }
    }
    None
}

/// Which line a `=>` line replaces.
enum Last {
    None,
    Main,
    Dep,
}

/// runtime/debug.ParseBuildInfo, minus the Go version (not in the text).
fn parse_modinfo(text: &str) -> anyhow::Result<BuildInfo> {
    let empty = Module { path: String::new(), version: String::new(), sum: None };
    let mut info = BuildInfo {
        go_version: String::new(),
        path: String::new(),
        main: empty,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    let mut last = Last::None;
    // Like Go, a last line without its newline is ignored.
    for (n, line) in text.split_inclusive('\n').filter_map(|l| l.strip_suffix('\n')).enumerate() {
        parse_line(&mut info, &mut last, line).with_context(|| format!("line {}: {line:?}", n + 1))?;
    }
    Ok(info)
}

fn parse_line(info: &mut BuildInfo, last: &mut Last, line: &str) -> anyhow::Result<()> {
    let Some((word, rest)) = line.split_once('\t') else { return Ok(()) };
    match word {
        "path" => info.path = rest.to_string(),
        "mod" => {
            info.main = module(rest)?;
            *last = Last::Main;
        }
        "dep" => {
            info.deps.push(Dep { module: module(rest)?, replace: None });
            *last = Last::Dep;
        }
        "=>" => {
            let replace = module(rest)?;
            match (std::mem::replace(last, Last::None), info.deps.last_mut()) {
                (Last::Dep, Some(dep)) => dep.replace = Some(replace),
                // Go never writes one; BuildInfo has no place for it.
                (Last::Main, _) => bail!("a replacement of the main module"),
                _ => bail!("a replacement with no module on the previous line"),
            }
        }
        "build" => info.settings.push(setting(rest)?),
        _ => {}
    }
    Ok(())
}

/// `path\tversion[\tsum]`; an empty sum (as Go writes for a module without one) is none.
fn module(columns: &str) -> anyhow::Result<Module> {
    let c: Vec<&str> = columns.split('\t').collect();
    if !(2..=3).contains(&c.len()) {
        bail!("expected 2 or 3 columns, got {}", c.len());
    }
    let sum = c.get(2).filter(|s| !s.is_empty()).map(|s| s.to_string());
    Ok(Module { path: c[0].to_string(), version: c[1].to_string(), sum })
}

/// `key=value`, either side quoted by strconv.Quote when it holds what would be ambiguous.
fn setting(kv: &str) -> anyhow::Result<(String, String)> {
    let (key, raw) = match kv.as_bytes().first() {
        None => bail!("a build line without '='"),
        Some(b'=') => bail!("a build line without a key"),
        Some(b'"' | b'`') => {
            let (key, rest) = unquote_prefix(kv).context("an invalid quoted key")?;
            (key, rest.strip_prefix('=').context("no '=' after the quoted key")?)
        }
        Some(_) => {
            let (key, raw) = kv.split_once('=').context("a build line without '='")?;
            if needs_quote(key) || key.contains('=') {
                bail!("the key {key:?} should be quoted");
            }
            (key.to_string(), raw)
        }
    };
    let value = match raw.as_bytes().first() {
        Some(b'"' | b'`') => match unquote_prefix(raw).context("an invalid quoted value")? {
            (value, "") => value,
            _ => bail!("text after the quoted value"),
        },
        _ if needs_quote(raw) => bail!("the value {raw:?} should be quoted"),
        _ => raw.to_string(),
    };
    Ok((key, value))
}

fn needs_quote(s: &str) -> bool {
    s.contains([' ', '\t', '\r', '\n', '"', '`'])
}

/// The Go string literal at the start of `s` (strconv.QuotedPrefix, then Unquote): its value and
/// what follows. Escapes of invalid UTF-8 bytes become U+FFFD.
fn unquote_prefix(s: &str) -> anyhow::Result<(String, &str)> {
    if let Some(raw) = s.strip_prefix('`') {
        let end = raw.find('`').context("an unterminated raw string")?;
        return Ok((raw[..end].replace('\r', ""), &raw[end + 1..]));
    }
    let body = s.strip_prefix('"').context("not a quoted string")?;
    let mut out = Vec::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        let byte = match c {
            '"' => return Ok((String::from_utf8_lossy(&out).into_owned(), &body[i + 1..])),
            '\n' => break,
            '\\' => match chars.next().context("an unterminated escape")?.1 {
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'n' => b'\n',
                'r' => b'\r',
                't' => b'\t',
                'v' => 11,
                '\\' => b'\\',
                '"' => b'"',
                'x' => number(&mut chars, 2, 16, 0).context("a bad \\x escape")? as u8,
                e @ '0'..='7' => {
                    let v = number(&mut chars, 2, 8, e as u32 - '0' as u32).filter(|&v| v <= 255);
                    v.context("a bad octal escape")? as u8
                }
                e @ ('u' | 'U') => {
                    let v = number(&mut chars, if e == 'u' { 4 } else { 8 }, 16, 0);
                    let c = v.and_then(char::from_u32).context("a bad \\u escape")?;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    continue;
                }
                e => bail!("an unknown escape \\{e}"),
            },
            c => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
        };
        out.push(byte);
    }
    bail!("an unterminated quoted string")
}

/// The next `n` characters as digits, after `start`.
fn number(chars: &mut std::str::CharIndices, n: usize, radix: u32, start: u32) -> Option<u32> {
    (0..n).try_fold(start, |v, _| Some(v * radix + chars.next()?.1.to_digit(radix)?))
}

#[cfg(test)]
pub(crate) mod tests {
    use base64::Engine as _;
    use object::ObjectSymbol;
    use std::process::Command;

    use super::*;

    // cmd/go's sentinels around the module info.
    const START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    /// Junk, a misaligned decoy magic, then a blob at offset 64 (no object format: found by scanning).
    fn blob(version: &str, modinfo: &str, flags: u8) -> Vec<u8> {
        let mut b = vec![0x55; 3];
        b.extend_from_slice(MAGIC);
        b.resize(64, 0);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&[8, flags]);
        b.extend_from_slice(&[0; 16]);
        for s in [version.as_bytes(), &[START, modinfo.as_bytes(), END].concat()] {
            let mut n = s.len();
            while n >= 0x80 {
                b.push(n as u8 | 0x80);
                n >>= 7;
            }
            b.push(n as u8);
            b.extend_from_slice(s);
        }
        b.extend_from_slice(&[0; 7]);
        b
    }

    pub(crate) fn h1(seed: u8) -> String {
        format!("h1:{}", base64::engine::general_purpose::STANDARD.encode([seed; 32]))
    }

    pub(crate) fn m(path: &str, version: &str, sum: Option<String>) -> Module {
        Module { path: path.into(), version: version.into(), sum }
    }

    fn sample_text() -> String {
        format!(
            "path\texample.com/hello/cmd/hello\n\
             mod\texample.com/hello\tv1.2.3\t\n\
             dep\tgithub.com/x/y\tv1.2.3\t{}\n\
             dep\tgithub.com/Old/Mod\tv0.1.0+incompatible\n\
             =>\tgithub.com/new/mod\tv0.2.0\t{}\n\
             dep\texample.com/lib\tv0.0.0-00010101000000-000000000000\n\
             =>\t../lib\t(devel)\t\n\
             build\t-buildmode=exe\n\
             build\t-ldflags=\"-s -w -X main.version=1.2.3\"\n\
             build\t\"we=ird\"=`raw \"v\"`\n\
             build\tx=\"tab\\there\\u00e9\\x41\\101\"\n\
             build\tCGO_ENABLED=0\n\
             build\tGOOS=linux\n\
             build\tempty=\n",
            h1(1),
            h1(2)
        )
    }

    pub(crate) fn sample() -> BuildInfo {
        read_build_info(&blob("go1.26.8", &sample_text(), 2)).unwrap()
    }

    #[test]
    fn parses_deps_replacements_and_quoted_settings() {
        let s = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            sample(),
            BuildInfo {
                go_version: "go1.26.8".into(),
                path: "example.com/hello/cmd/hello".into(),
                main: m("example.com/hello", "v1.2.3", None),
                deps: vec![
                    Dep { module: m("github.com/x/y", "v1.2.3", Some(h1(1))), replace: None },
                    Dep {
                        module: m("github.com/Old/Mod", "v0.1.0+incompatible", None),
                        replace: Some(m("github.com/new/mod", "v0.2.0", Some(h1(2)))),
                    },
                    Dep {
                        module: m("example.com/lib", "v0.0.0-00010101000000-000000000000", None),
                        replace: Some(m("../lib", "(devel)", None)),
                    },
                ],
                settings: vec![
                    s("-buildmode", "exe"),
                    s("-ldflags", "-s -w -X main.version=1.2.3"),
                    s("we=ird", "raw \"v\""),
                    s("x", "tab\there\u{e9}AA"),
                    s("CGO_ENABLED", "0"),
                    s("GOOS", "linux"),
                    s("empty", ""),
                ],
            }
        );
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |bytes: &[u8]| format!("{:#}", read_build_info(bytes).unwrap_err());
        let text = sample_text();
        assert!(err(b"#!/bin/sh\necho not a Go binary\n").contains("no Go build info in this file"));
        // Only the misaligned decoy is left.
        assert!(err(&blob("go1.26.8", &text, 2)[..64]).contains("no Go build info"));
        assert!(err(&blob("go1.17", "", 0)).contains("pointer format"));
        assert!(err(&blob("go1.26.8", &text, 2)[..120]).contains("truncated"));
        assert!(err(&blob("go1.26.8", "build\tk=a b\n", 2)).contains("should be quoted"));
        assert!(err(&blob("go1.26.8", "build\tk=\"a\\qb\"\n", 2)).contains("invalid quoted value"));
        assert!(err(&blob("go1.26.8", "path\tp\n=>\t../x\t(devel)\t\n", 2)).contains("line 2"));
        assert!(err(&blob("go1.26.8", "dep\tonly-a-path\n", 2)).contains("expected 2 or 3 columns"));
    }

    /// `go version -m` output, read independently of `parse_modinfo`.
    fn parse_go_version_m(out: &str) -> BuildInfo {
        let mut lines = out.lines();
        let go_version = lines.next().unwrap().rsplit(": ").next().unwrap().to_string();
        let mut info =
            BuildInfo { go_version, path: String::new(), main: m("", "", None), deps: vec![], settings: vec![] };
        for line in lines {
            let cols: Vec<&str> = line.strip_prefix('\t').unwrap().split('\t').collect();
            let module = || m(cols[1], cols[2], cols.get(3).filter(|s| !s.is_empty()).map(|s| s.to_string()));
            match cols[0] {
                "path" => info.path = cols[1].into(),
                "mod" => info.main = module(),
                "dep" => info.deps.push(Dep { module: module(), replace: None }),
                "=>" => info.deps.last_mut().unwrap().replace = Some(module()),
                // Go's BuildInfo.String ends a replaced dep with an empty line.
                "" if cols.len() == 1 => {}
                "build" => {
                    let (k, v) = cols[1].split_once('=').unwrap();
                    let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                        Some(q) => q.replace("\\\"", "\"").replace("\\\\", "\\"),
                        None => v.to_string(),
                    };
                    info.settings.push((k.into(), v));
                }
                other => panic!("unexpected line {other}"),
            }
        }
        info
    }

    #[test]
    fn reads_what_go_version_m_prints_from_real_stripped_binaries() {
        if Command::new("go").arg("version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "CI has Go on PATH (.ci/run installs it)");
            eprintln!("note: skipped, no `go` on PATH");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "go.mod",
            "module example.com/fixture\n\ngo 1.21\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
        );
        write("lib/go.mod", "module example.com/lib\n\ngo 1.21\n");
        write("lib/lib.go", "package lib\n\nfunc Hello() string { return \"hello\" }\n");
        write(
            "cmd/fixture/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(lib.Hello()) }\n",
        );
        for target in ["linux/amd64", "darwin/arm64", "windows/amd64"] {
            let (goos, goarch) = target.split_once('/').unwrap();
            let bin = dir.path().join(format!("fixture-{goos}-{goarch}"));
            let status = Command::new("go")
                .args(["build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o"])
                .arg(&bin)
                .arg("./cmd/fixture")
                .current_dir(dir.path())
                .envs([("CGO_ENABLED", "0"), ("GOFLAGS", "-mod=mod"), ("GOPROXY", "off"), ("GOWORK", "off")])
                .envs([("GOTOOLCHAIN", "local"), ("GOOS", goos), ("GOARCH", goarch)])
                .status()
                .unwrap();
            assert!(status.success(), "go build for {target}");
            let bytes = std::fs::read(&bin).unwrap();
            let file = object::File::parse(&*bytes).unwrap();
            // (Mach-O keeps its dynamic imports: look for a Go symbol.)
            let go_symbol = file.symbols().any(|s| s.name().is_ok_and(|n| n.contains("main.main")));
            assert!(!go_symbol, "{target}: -s left the symbol table");
            assert!(file.sections().all(|s| !s.name().unwrap_or("").contains("debug_info")), "{target}: -w left DWARF");
            // Found in its section, not by the fallback scan.
            let (start, size) = data_section(&file).unwrap();
            assert!((start..start + size).contains(&find_blob(&bytes).unwrap()), "{target}");

            let info = read_build_info(&bytes).unwrap();
            let out = Command::new("go").args(["version", "-m"]).arg(&bin).output().unwrap();
            assert!(out.status.success());
            assert_eq!(info, parse_go_version_m(&String::from_utf8(out.stdout).unwrap()), "{target}");
            assert_eq!(info.path, "example.com/fixture/cmd/fixture");
            assert_eq!(info.main.path, "example.com/fixture");
            assert_eq!(info.deps.len(), 1);
            assert_eq!(info.deps[0].module.path, "example.com/lib");
            assert_eq!(info.deps[0].replace.as_ref().unwrap().path, "./lib");
            // (cmd/go leaves -ldflags out under -trimpath: they may hold paths.)
            assert!(info.settings.contains(&("-trimpath".into(), "true".into())));
            assert!(info.settings.contains(&("GOOS".into(), goos.into())));
        }
    }
}
