//! Reading GoReleaser's YAML the way GoReleaser does: scalars as text (`386` is a string to it),
//! string lists that may be one string, mappings in file order, and YAML merge keys (`<<: *x`).

use anyhow::{bail, format_err};
use yaml_rust2::Yaml;

/// Null, "", [], {} or false: a key that sets nothing.
pub(super) fn is_unset(y: &Yaml) -> bool {
    match y {
        Yaml::Null | Yaml::BadValue => true,
        Yaml::String(s) => s.is_empty(),
        Yaml::Array(a) => a.is_empty(),
        Yaml::Hash(h) => h.is_empty(),
        Yaml::Boolean(b) => !b,
        _ => false,
    }
}

/// A scalar as text (`386` and `6` are integers in YAML; GoReleaser reads them as strings).
pub(super) fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `true`/`false` (also as strings); `None` for anything else (a template).
pub(super) fn truthy(y: &Yaml) -> Option<bool> {
    match y {
        Yaml::Boolean(b) => Some(*b),
        Yaml::Null => Some(false),
        Yaml::String(s) => match s.trim() {
            "true" => Some(true),
            "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// GoReleaser's string lists: a list of scalars, or one scalar.
pub(super) fn strings(y: &Yaml, at: &str) -> anyhow::Result<Vec<String>> {
    match y {
        Yaml::Null => Ok(vec![]),
        Yaml::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| scalar(item).ok_or_else(|| format_err!("`{at}[{i}]` must be a string")))
            .collect(),
        other => {
            scalar(other).map(|s| vec![s]).ok_or_else(|| format_err!("`{at}` must be a string or a list of strings"))
        }
    }
}

/// GoReleaser's `FlagArray` (flags, tags): a list, or one string split at spaces.
pub(super) fn flag_array(y: Option<&Yaml>, at: &str) -> anyhow::Result<Vec<String>> {
    match y {
        None => Ok(vec![]),
        Some(list @ Yaml::Array(_)) => strings(list, at),
        Some(other) => Ok(strings(other, at)?.iter().flat_map(|s| s.split_whitespace().map(str::to_owned)).collect()),
    }
}

/// A mapping's entries with the keys as text, in file order; null is an empty mapping.
pub(super) fn entries<'a>(y: &'a Yaml, at: &str) -> anyhow::Result<Vec<(String, &'a Yaml)>> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .map(|(k, v)| {
                let key = scalar(k).ok_or_else(|| format_err!("`{at}` has a key that is not a string"))?;
                Ok((key, v))
            })
            .collect(),
        Yaml::Null => Ok(vec![]),
        _ if at.is_empty() => bail!("expected a mapping at the top"),
        _ => bail!("`{at}` must be a mapping"),
    }
}

/// Applies YAML merge keys (`<<: *defaults`), which GoReleaser's YAML library honours and YAML 1.2 parsers
/// leave as a plain `<<` key. Keys written next to `<<` win.
pub(super) fn merge_keys(y: Yaml) -> Yaml {
    match y {
        Yaml::Array(items) => Yaml::Array(items.into_iter().map(merge_keys).collect()),
        Yaml::Hash(h) => {
            let merge = Yaml::String("<<".to_owned());
            let mut own = yaml_rust2::yaml::Hash::new();
            let mut inherited: Vec<Yaml> = Vec::new();
            for (k, v) in h {
                if k == merge {
                    match v {
                        Yaml::Array(sources) => inherited.extend(sources),
                        source => inherited.push(source),
                    }
                } else {
                    own.insert(k, merge_keys(v));
                }
            }
            for source in inherited {
                if let Yaml::Hash(source) = merge_keys(source) {
                    for (k, v) in source {
                        if !own.contains_key(&k) {
                            own.insert(k, v);
                        }
                    }
                }
            }
            Yaml::Hash(own)
        }
        other => other,
    }
}
