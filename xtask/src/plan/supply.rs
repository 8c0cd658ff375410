//! What a release says about itself (`[sbom]`, `[provenance]`, `[sign]`): which files the
//! SBOMs describe, and the names of the provenance and the signatures. Recorded in the manifest,
//! so that `dist merge` completes a sharded release the same way.

use serde::{Deserialize, Serialize};

use super::{Package, Plan};
use crate::settings::SbomFormat;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_from_the_environment_are_shown_as_their_templates() {
        let caller = std::collections::BTreeMap::from([
            ("PROXY_TOKEN".to_owned(), "tok-3f9a8b".to_owned()),
            ("MODE".to_owned(), "fast".to_owned()),
            ("UNUSED".to_owned(), "tok-3f9a8b-unused".to_owned()),
        ]);
        let settings = r#"{"build":{"env":{"GOPROXY":"https://u:{{ .Env.PROXY_TOKEN }}@proxy","M":"{{.Env.MODE}}"}}}"#;
        let values = env_values(settings, &caller);
        assert_eq!(
            values,
            [("PROXY_TOKEN".to_owned(), "tok-3f9a8b".to_owned()), ("MODE".to_owned(), "fast".to_owned())]
        );
        assert_eq!(redact("https://u:tok-3f9a8b@proxy", &values), "https://u:{{ .Env.PROXY_TOKEN }}@proxy");
        assert_eq!(redact("fast", &values), "{{ .Env.MODE }}");
        assert_eq!(redact("-tags=fast,slow", &values), "-tags=fast,slow", "a short value only as a whole");
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SupplyPlan {
    /// The SBOM formats written beside each published file that holds binaries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom: Vec<SbomFormat>,
    /// The provenance's file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    /// A run without a signing key fails.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_required: bool,
}

/// The variables `settings` (its text) reads as `.Env.NAME`, with their values in `caller_env`.
pub fn env_values(settings: &str, caller_env: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = settings
        .split(".Env.")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>())
        .filter_map(|name| Some((name.clone(), caller_env.get(&name)?.clone())))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    // Longest first, so a value inside another is not replaced in it first.
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    out.dedup();
    out
}

/// `text` with each value of `env_values` shown as the template that read it: the whole text when it
/// is a short value, anywhere in it when the value is long enough not to be a common word.
pub fn redact(text: &str, env_values: &[(String, String)]) -> String {
    let mut text = text.to_owned();
    for (name, value) in env_values {
        let template = format!("{{{{ .Env.{name} }}}}");
        if value.len() >= 6 {
            text = text.replace(value.as_str(), &template);
        } else if &text == value {
            text = template;
        }
    }
    text
}

/// What a signature of `file` is named: minisign's own default.
pub fn signature_name(file: &str) -> String {
    format!("{file}.minisig")
}

/// A published file that holds binaries, and those binaries, each by its target and name (as
/// `Artifact::target` and `Artifact::binary` give them): what an SBOM describes.
pub type Holding = (String, Vec<(String, String)>);

/// An image archive's holding: its binary for each platform.
pub fn image_holding(image: &super::images::ImagePlan) -> Holding {
    let binaries = image
        .platforms
        .iter()
        .zip(&image.paths)
        .map(|(t, path)| (t.to_string(), path.rsplit('/').next().unwrap_or(path).to_owned()))
        .collect();
    (image.file.clone(), binaries)
}

impl Plan {
    /// Every published file this run makes that holds binaries (images only where it makes them).
    pub fn holdings(&self) -> Vec<Holding> {
        let mut out = Vec::new();
        for build in &self.builds {
            let of = |i: usize| (build.target.to_string(), build.names[i].clone());
            for set in &build.archives {
                match &set.package {
                    Package::Archive { file, .. } => {
                        out.push((file.clone(), set.binaries.iter().map(|&i| of(i)).collect()))
                    }
                    Package::Bare(names) => {
                        out.extend(set.binaries.iter().zip(names).map(|(&i, n)| (n.clone(), vec![of(i)])))
                    }
                }
            }
            for p in &build.packages {
                out.push((p.file.clone(), p.binaries.iter().map(|(i, _)| of(*i)).collect()));
            }
        }
        if self.shard.is_none() {
            out.extend(self.images.iter().map(image_holding));
        }
        out
    }
}
