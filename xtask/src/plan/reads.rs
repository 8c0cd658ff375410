//! What the builds read besides the upload: files named by flags, and flags
//! whose effect no key can cover. Part of every target's carry-over key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Inputs of the builds that the upload alone does not show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reads {
    /// Files named by flags (`-overlay` and the files it names, `-pgo`, `-modfile` and its `.sum`), on the host.
    pub named: Vec<PathBuf>,
    /// cgo reads headers from anywhere it is told: every file counts.
    pub everything: bool,
    /// Why no key can cover what the builds read (`-toolexec` runs a program of the user's): nothing is carried over.
    pub opaque: Option<String>,
}

/// What `flag_lists` (each binary's `go build` flags, for every target) and
/// `envs` (each target's GOFLAGS and CGO_ENABLED) make the builds read, with
/// relative paths taken from `module`, where the go command runs.
pub fn reads(module: &Path, flag_lists: &[&[String]], envs: &[&BTreeMap<String, String>]) -> Reads {
    let goflags: Vec<Vec<String>> = envs
        .iter()
        .map(|env| env.get("GOFLAGS").map(|f| f.split_whitespace().map(str::to_owned).collect()).unwrap_or_default())
        .collect();
    let mut named = Vec::new();
    let mut opaque = None;
    for flags in flag_lists.iter().copied().chain(goflags.iter().map(Vec::as_slice)) {
        let mut words = flags.iter().map(String::as_str);
        while let Some(word) = words.next() {
            let Some(flag) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else { continue };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            if !matches!(name, "overlay" | "pgo" | "modfile" | "toolexec" | "C") {
                continue;
            }
            let Some(value) = inline.or_else(|| words.next()) else { continue };
            let file = module.join(value);
            match name {
                "toolexec" | "C" => {
                    opaque.get_or_insert(format!("the build flags have -{name}, whose effect no key can cover"));
                }
                "pgo" if matches!(value, "auto" | "off" | "") => {}
                "modfile" => {
                    named.push(module.join(format!("{}.sum", value.strip_suffix(".mod").unwrap_or(value))));
                    named.push(file);
                }
                "overlay" => {
                    // {"Replace": {"path": "file"}}: the replacements are read too.
                    if let Ok(text) = std::fs::read_to_string(&file) {
                        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                            for to in json["Replace"].as_object().into_iter().flat_map(|m| m.values()) {
                                named.extend(to.as_str().filter(|t| !t.is_empty()).map(|t| module.join(t)));
                            }
                        }
                    }
                    named.push(file);
                }
                _ => named.push(file),
            }
        }
    }
    named.sort();
    named.dedup();
    let everything = envs.iter().any(|env| env.get("CGO_ENABLED").is_some_and(|v| v != "0"));
    Reads { named, everything, opaque }
}
