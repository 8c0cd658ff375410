//! GoReleaser's `checksum` section → `[checksum]`: its file name template (GoReleaser's default when it
//! sets none); another algorithm than SHA-256 is named as not imported.

use yaml_rust2::Yaml;

use super::note_if_set;
use super::yaml::{entries, scalar};
use crate::init::{Draft, Section};

/// GoReleaser's default checksum file name (internal/pipe/checksums).
const GR_CHECKSUM_NAME: &str = "{{ .ProjectName }}_{{ .Version }}_checksums.txt";

/// `checksum` (`None` when the config has none) into `out`.
pub(super) fn convert_checksum(out: &mut Draft, checksum: Option<&Yaml>) -> anyhow::Result<()> {
    // GoReleaser's default name unless it says otherwise.
    let mut name = GR_CHECKSUM_NAME.to_owned();
    if let Some(c) = checksum {
        for (k, v) in entries(c, "checksum")? {
            match k.as_str() {
                "name_template" => {
                    if let Some(n) = scalar(v).filter(|n| !n.is_empty()) {
                        name = n;
                    }
                }
                "algorithm" => {
                    if scalar(v).is_some_and(|a| !a.is_empty() && a != "sha256") {
                        out.note(Section::Checksum, "checksum.algorithm", "dist writes SHA-256 sums");
                    }
                }
                _ => note_if_set(out, Section::Checksum, v, format!("checksum.{k}"), "no dist.toml equivalent"),
            }
        }
    }
    out.settings.checksum.name = name;
    out.pin("checksum.name");
    Ok(())
}
