//! GoReleaser's `sboms` and `signs` → `[sbom]` and `[sign]`. dist writes its SBOMs itself from each
//! binary's Go build info (no syft), beside every archive, package and image; it signs the checksum
//! file and the provenance with minisign (no gpg or cosign). What maps is imported; the rest is named.

use yaml_rust2::Yaml;

use super::yaml::{entries, scalar, strings};
use crate::init::{Draft, Section};
use crate::settings::{ProvenanceSettings, SbomFormat, SbomSettings, SignSettings};

/// `sboms` into `out.settings.sbom` (and the provenance dist writes with it).
pub(super) fn convert_sboms(out: &mut Draft, value: &Yaml) -> anyhow::Result<()> {
    let Yaml::Array(items) = value else { anyhow::bail!("`sboms` must be a list") };
    let mut formats = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("sboms[{i}]");
        let mut artifacts = "archive".to_owned();
        let mut args: Option<Vec<String>> = None;
        let mut cmd = "syft".to_owned();
        for (k, v) in entries(item, &at)? {
            match k.as_str() {
                "artifacts" => artifacts = scalar(v).unwrap_or(artifacts),
                "args" => args = Some(strings(v, &format!("{at}.args"))?),
                "cmd" => cmd = scalar(v).unwrap_or(cmd),
                "id" | "ids" | "env" => {}
                "documents" => out.note(
                    Section::Supply,
                    format!("{at}.documents"),
                    "dist names each SBOM after the file it describes: <file>.spdx.json and <file>.cdx.json",
                ),
                _ => super::note_if_set(out, Section::Supply, v, format!("{at}.{k}"), "no dist.toml equivalent"),
            }
        }
        match artifacts.as_str() {
            "archive" | "binary" | "package" | "any" | "diskimage" => {}
            "source" => {
                out.note(Section::Supply, format!("{at}.artifacts"), "dist makes no source archive to describe");
                continue;
            }
            other => {
                out.note(Section::Supply, format!("{at}.artifacts"), format!("{other:?} is not an artifact kind"));
                continue;
            }
        }
        if cmd != "syft" {
            out.note(
                Section::Supply,
                format!("{at}.cmd"),
                format!("dist writes the SBOMs itself from the binaries' Go build info, not with {cmd}"),
            );
        }
        // syft's `--output FORMAT=FILE`: GoReleaser's default arguments ask for SPDX JSON.
        let args = args.unwrap_or_else(|| vec!["--output".into(), "spdx-json=$document".into()]);
        let mut any = false;
        for arg in &args {
            if arg.starts_with("spdx") {
                formats.push(SbomFormat::Spdx);
                any = true;
            } else if arg.starts_with("cyclonedx") {
                formats.push(SbomFormat::Cyclonedx);
                any = true;
            }
        }
        if !any {
            formats.push(SbomFormat::Spdx);
            out.note(Section::Supply, format!("{at}.args"), "dist writes SPDX 2.3 or CycloneDX 1.6 JSON: SPDX chosen");
        }
    }
    if !formats.is_empty() {
        formats.sort();
        formats.dedup();
        out.settings.sbom = Some(SbomSettings { formats });
        out.settings.provenance = Some(ProvenanceSettings::default());
    }
    Ok(())
}

/// `signs` into `out.settings.sign`: any entry that signs the checksum file (or everything) means the
/// release is signed; dist signs with minisign, so a gpg or cosign entry is named too.
pub(super) fn convert_signs(out: &mut Draft, value: &Yaml) -> anyhow::Result<()> {
    let Yaml::Array(items) = value else { anyhow::bail!("`signs` must be a list") };
    for (i, item) in items.iter().enumerate() {
        let at = format!("signs[{i}]");
        let mut artifacts = "none".to_owned();
        let mut cmd = "gpg".to_owned();
        for (k, v) in entries(item, &at)? {
            match k.as_str() {
                "artifacts" => artifacts = scalar(v).unwrap_or(artifacts),
                "cmd" => cmd = scalar(v).unwrap_or(cmd),
                // How gpg or cosign is called, and what it writes: minisign needs none of it.
                "id" | "ids" | "args" | "signature" | "stdin" | "stdin_file" | "env" | "certificate" | "output" => {}
                _ => super::note_if_set(out, Section::Supply, v, format!("{at}.{k}"), "no dist.toml equivalent"),
            }
        }
        if artifacts == "none" {
            continue;
        }
        if !matches!(artifacts.as_str(), "checksum" | "all") {
            out.note(
                Section::Supply,
                format!("{at}.artifacts"),
                format!("dist signs the checksum file (which covers every {artifacts} file) and the provenance"),
            );
        }
        if !cmd.ends_with("minisign") {
            out.note(
                Section::Supply,
                format!("{at}.cmd"),
                format!(
                    "dist signs with minisign, not {cmd}: give the secret key in {} (docs/supply-chain.md)",
                    crate::settings::KEY_ENV
                ),
            );
        }
        // GoReleaser fails a release it cannot sign: so does dist with `required`.
        out.settings.sign = Some(SignSettings { required: true });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::init::from_goreleaser;
    use crate::init::tests::{parse, strs};
    use crate::settings::{SbomFormat, SignSettings};

    const BUILD: &str = "version: 2\nproject_name: tool\nbuilds:\n  - main: ./cmd/tool\n";

    fn import(more: &str) -> (crate::init::Imported, crate::settings::Settings) {
        let imported = from_goreleaser(&format!("{BUILD}{more}"), ".").unwrap();
        let s = parse(&imported);
        s.clone().resolve(Path::new("/proj/dist.toml")).unwrap_or_else(|e| panic!("{e:#}\n{}", imported.toml));
        (imported, s)
    }

    #[test]
    fn syfts_default_sbom_is_spdx_and_a_cyclonedx_output_adds_cyclonedx() {
        let (imported, s) = import("sboms:\n  - artifacts: archive\n");
        assert_eq!(s.sbom.unwrap().formats, [SbomFormat::Spdx], "{}", imported.toml);
        assert!(s.provenance.is_some() && s.sign.is_none(), "{}", imported.toml);
        assert!(imported.toml.contains("\n[sbom]\nformats = [\"spdx\"]\n\n[provenance]\n"), "{}", imported.toml);
        assert!(imported.unmapped.is_empty(), "{:?}", imported.unmapped);

        let (imported, s) = import(
            "sboms:\n  - id: cdx\n    artifacts: binary\n    documents: [\"{{ .Binary }}.cdx.json\"]\n    args: [\"$artifact\", \
             \"--output\", \"cyclonedx-json=$document\"]\n  - id: src\n    artifacts: source\n",
        );
        assert_eq!(s.sbom.unwrap().formats, [SbomFormat::Cyclonedx]);
        assert_eq!(imported.unmapped, strs(&["sboms[0].documents", "sboms[1].artifacts"]), "{}", imported.toml);
        assert!(imported
            .toml
            .contains("# not imported: sboms[1].artifacts (dist makes no source archive to describe)"));
    }

    #[test]
    fn signing_the_checksum_file_becomes_minisign_and_gpg_is_named() {
        let (imported, s) = import(
            "signs:\n  - artifacts: checksum\n    args: [\"--batch\", \"-u\", \"{{ .Env.GPG_FINGERPRINT }}\"]\n",
        );
        assert_eq!(s.sign, Some(SignSettings { required: true }), "{}", imported.toml);
        assert_eq!(imported.unmapped, strs(&["signs[0].cmd"]));
        assert!(imported.toml.contains("dist signs with minisign, not gpg: give the secret key in XTASK_MINISIGN_KEY"));
        // Only the default `artifacts: none`: nothing is signed, nothing to say.
        let (imported, s) = import("signs:\n  - cmd: cosign\n");
        assert!(s.sign.is_none() && imported.unmapped.is_empty(), "{}", imported.toml);
        let (imported, s) = import("signs:\n  - cmd: minisign\n    artifacts: all\n");
        assert!(s.sign.is_some() && imported.unmapped.is_empty(), "{:?}", imported.unmapped);
    }
}
