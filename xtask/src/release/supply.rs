//! What a release says about itself, written after its files: an SBOM beside each published file
//! that holds binaries (`sbom`), one in-toto statement with SLSA provenance over every entry of the
//! checksum file, and minisign signatures of the checksum file and the provenance.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::manifest::{Artifact, Kind, Manifest};
use super::{buildinfo, sbom};
use crate::plan::supply::{signature_name, Holding};
use crate::settings::{KEY_ENV, PASSWORD_ENV};

/// Set to 1, a run signs nothing even with `sign.required` (`verify --rebuild` sets it).
pub const UNSIGNED_ENV: &str = "XTASK_UNSIGNED";

/// The provenance's `buildType`: what its build definition means (docs/supply-chain.md says).
pub const BUILD_TYPE: &str = "urn:cargo-xtask-dist:build-type:v1";

/// Writes the SBOMs of the files in `holdings` that `artifacts` has, in each of the manifest's
/// formats, from their binaries' Go build info; returns their artifacts. An SBOM whose inputs (its
/// format, the file and its SHA-256, its binaries', the project, version, source and date, this
/// xtask) are those of `previous`'s is linked from it, not written again.
pub fn sboms(
    dir: &Path,
    manifest: &Manifest,
    holdings: &[Holding],
    artifacts: &[Artifact],
    previous: Option<&super::reuse::Previous>,
) -> anyhow::Result<Vec<Artifact>> {
    let formats = &manifest.supply.sbom;
    if formats.is_empty() {
        return Ok(vec![]);
    }
    let mut infos: BTreeMap<&str, buildinfo::BuildInfo> = BTreeMap::new();
    let created = crate::stamp::rfc3339(manifest.source_date_epoch);
    let mut out = Vec::new();
    for (file, binaries) in holdings {
        let Some(subject) = artifacts.iter().find(|a| &a.path == file && a.kind.published()) else { continue };
        let held = binaries
            .iter()
            .map(|(target, name)| {
                artifacts
                    .iter()
                    .find(|a| a.kind == Kind::Binary && &a.target == target && a.binary.as_ref() == Some(name))
                    .with_context(|| {
                        format!("cannot write the SBOM of {file}: the release lacks its {target} binary {name}")
                    })
            })
            .collect::<anyhow::Result<Vec<&Artifact>>>()?;
        let shas: Vec<(&str, &str)> = held.iter().map(|b| (b.path.as_str(), b.sha256.as_str())).collect();
        for format in formats {
            let path = format!("{file}{}", format.suffix());
            let recipe = json!({
                "sbom": format.suffix(),
                "of": [file, &subject.sha256],
                "project": [&manifest.name, &manifest.version, &manifest.source],
            });
            let key = super::package_key(&recipe, manifest.source_date_epoch, &shas, &[]);
            if let Some(mut linked) = previous.and_then(|p| p.take_package(std::slice::from_ref(&path), &key, dir)) {
                out.append(&mut linked);
                continue;
            }
            for binary in &held {
                if !infos.contains_key(binary.path.as_str()) {
                    let bytes =
                        fs::read(dir.join(&binary.path)).with_context(|| format!("cannot read {}", binary.path))?;
                    let info = buildinfo::read_build_info(&bytes)
                        .with_context(|| format!("cannot write the SBOM of {file}"))?;
                    infos.insert(&binary.path, info);
                }
            }
            let doc = sbom::Document {
                subject: file,
                subject_sha256: &subject.sha256,
                project: &manifest.name,
                version: &manifest.version,
                created: &created,
                source: &manifest.source,
                binaries: held
                    .iter()
                    .map(|b| sbom::Contained {
                        name: b.path.rsplit('/').next().unwrap_or(&b.path),
                        target: &b.target,
                        sha256: &b.sha256,
                        info: &infos[b.path.as_str()],
                    })
                    .collect(),
            };
            let text = match format {
                crate::settings::SbomFormat::Spdx => sbom::spdx_json(&doc),
                crate::settings::SbomFormat::Cyclonedx => sbom::cyclonedx_json(&doc),
            };
            fs::write(dir.join(&path), &text).with_context(|| format!("cannot write {path}"))?;
            out.push(Artifact {
                target: subject.target.clone(),
                kind: Kind::Sbom,
                binary: None,
                id: None,
                size: text.len() as u64,
                sha256: crate::digest::sha256_hex(text.as_bytes()),
                path,
                inputs: Some(key),
                image: None,
                describes: Some(file.clone()),
            });
        }
    }
    Ok(out)
}

/// Writes the manifest and the checksum file, then the provenance over the checksum file's entries,
/// then the signatures (`signer`), reusing `previous`'s signature of a file whose bytes are unchanged.
pub fn complete(
    dir: &Path,
    manifest: &mut Manifest,
    signer: Option<&Signer>,
    previous: Option<&Path>,
) -> anyhow::Result<()> {
    let signed = manifest.signed_files();
    manifest.signatures = match signer {
        Some(_) => signed.iter().map(|f| signature_name(f)).collect(),
        None => vec![],
    };
    manifest.write_with_checksums(dir)?;
    if let Some(name) = &manifest.supply.provenance {
        let sums = fs::read_to_string(dir.join(&manifest.checksums))?;
        let statement = provenance(manifest, &super::checksums::parse(&sums)?);
        fs::write(dir.join(name), statement).with_context(|| format!("cannot write {name}"))?;
    }
    if let Some(signer) = signer {
        for file in &signed {
            let bytes = fs::read(dir.join(file)).with_context(|| format!("cannot read {file}"))?;
            let comment = manifest.trusted_comment(file);
            let sig_name = signature_name(file);
            let before = previous
                .and_then(|p| Some((fs::read(p.join(file)).ok()?, fs::read_to_string(p.join(&sig_name)).ok()?)));
            let text = match before {
                Some((old, sig)) if old == bytes && signer.verifies(&bytes, &sig, &comment) => sig,
                _ => signer.sign(&bytes, &comment).with_context(|| format!("cannot sign {file}"))?,
            };
            fs::write(dir.join(&sig_name), text).with_context(|| format!("cannot write {sig_name}"))?;
        }
    }
    Ok(())
}

/// The in-toto statement (v1) with an SLSA provenance (v1) predicate: every entry of the checksum
/// file as a subject, how each target was built, and what the build resolved. Only recorded facts,
/// so two runs of one commit write the same bytes.
pub fn provenance(m: &Manifest, sums: &[(String, String)]) -> String {
    let subject: Vec<Value> =
        sums.iter().map(|(name, hex)| json!({ "name": name, "digest": { "sha256": hex } })).collect();
    let mut dependencies = vec![];
    // The source, when the release was built from a commit (not from a tree without git).
    if matches!(m.commit.len(), 40 | 64) && m.commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut source = json!({ "digest": { "gitCommit": m.commit } });
        if m.source.is_empty() {
            source["name"] = json!("source");
        } else {
            source["uri"] = json!(format!("git+{}@{}", m.source, m.commit));
        }
        dependencies.push(source);
    }
    // The Go that built: the build image by digest (Dagger), the fetched Go's module zip by its
    // pinned hash (host); a Go found on PATH is named by version only.
    let go = json!({ "go": m.go_version });
    dependencies.push(match (&m.toolchain, &m.image) {
        (Some(t), _) => json!({ "uri": t.uri, "digest": { "sha256": t.sha256 }, "annotations": go }),
        (None, Some(image)) => json!({ "uri": format!("oci://{image}"), "annotations": go }),
        (None, None) => json!({ "name": "go", "annotations": go }),
    });
    let mut builder_version = BTreeMap::new();
    builder_version.insert("cargo-xtask-dist", super::XTASK_BUILD.to_owned());
    if m.engine.split('+').any(|e| e == "dagger") {
        builder_version.insert("dagger", crate::engine::dagger::VERSION.to_owned());
    }
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "project": m.name,
                    "version": m.version,
                    "tag": m.tag,
                    "commit": m.commit,
                    "dirty": m.dirty,
                    "settings": m.settings,
                    "targets": m.builds.iter().map(|b| &b.target).collect::<Vec<_>>(),
                },
                "internalParameters": {
                    "engine": m.engine,
                    "sourceDateEpoch": m.source_date_epoch,
                    "builds": m.builds,
                },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": { "id": format!("urn:cargo-xtask-dist:builder:{}", m.engine), "version": builder_version },
                "metadata": { "finishedOn": crate::stamp::rfc3339(m.source_date_epoch) },
            },
        },
    });
    let mut text = serde_json::to_string_pretty(&statement).expect("JSON values serialize");
    text.push('\n');
    text
}

/// The signing key the environment gives; an error when `required` and it gives none.
pub fn signer(required: bool) -> anyhow::Result<Option<Signer>> {
    // `verify --rebuild` compares everything but the signatures: its build signs nothing.
    if std::env::var_os(UNSIGNED_ENV).is_some_and(|v| v == "1") {
        if required {
            crate::ui::warn(format!("{UNSIGNED_ENV}=1: not signing, although `sign.required` is set"));
        }
        return Ok(None);
    }
    let signer = Signer::from_env()?;
    if signer.is_none() && required {
        bail!(
            "`sign.required` is set but {KEY_ENV} is not: give it the minisign secret key (the key file's text or \
             its path; {PASSWORD_ENV} for an encrypted key), or leave `required` out to release unsigned"
        );
    }
    Ok(signer)
}

/// A minisign secret key, from `XTASK_MINISIGN_KEY` (the key file's text, or its path) and
/// `XTASK_MINISIGN_PASSWORD` for an encrypted key. Never written or printed.
pub struct Signer {
    sk: minisign::SecretKey,
    pk: minisign::PublicKey,
}

impl Signer {
    /// The key the environment gives, if any.
    pub fn from_env() -> anyhow::Result<Option<Signer>> {
        let Some(value) = std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) else { return Ok(None) };
        let value = value.into_string().map_err(|_| anyhow::format_err!("{KEY_ENV} is not UTF-8"))?;
        let text = if value.trim_start().starts_with("untrusted comment:") {
            value
        } else {
            fs::read_to_string(value.trim())
                .with_context(|| format!("{KEY_ENV} is neither a minisign secret key nor the path of a readable one"))?
        };
        let boxed = minisign::SecretKeyBox::from_string(&text)
            .map_err(|e| anyhow::format_err!("{KEY_ENV} holds no minisign secret key: {e}"))?;
        let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
        let sk = match password {
            Some(p) => boxed.into_secret_key(Some(p)),
            // `minisign -G -W` writes a key without a password, and without the checksum the crate
            // expects of one: read as it is (signing checks it against its public key below).
            None => match unencrypted(&text) {
                Some(sk) => Ok(sk),
                None => boxed.into_unencrypted_secret_key(),
            },
        }
        .map_err(|e| {
            anyhow::format_err!(
                "cannot use the key in {KEY_ENV}: {e} (an encrypted key needs its password in {PASSWORD_ENV})"
            )
        })?;
        let pk = minisign::PublicKey::from_secret_key(&sk).map_err(|e| anyhow::format_err!("{KEY_ENV}: {e}"))?;
        Ok(Some(Signer { sk, pk }))
    }

    /// A `.minisig` file's text for `bytes`.
    pub fn sign(&self, bytes: &[u8], trusted_comment: &str) -> anyhow::Result<String> {
        let untrusted = format!("signature from minisign key {}", key_id(&self.pk));
        let sig = minisign::sign(Some(&self.pk), &self.sk, bytes, Some(trusted_comment), Some(&untrusted))
            .map_err(|e| anyhow::format_err!("{e}"))?;
        Ok(sig.into_string())
    }

    fn verifies(&self, bytes: &[u8], sig: &str, trusted_comment: &str) -> bool {
        verify(&self.pk, bytes, sig).is_ok_and(|comment| comment == trusted_comment)
    }
}

/// A secret key file's key when it has no password (its KDF algorithm is none).
fn unencrypted(text: &str) -> Option<minisign::SecretKey> {
    use base64::Engine;
    let line = text.lines().nth(1)?.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(line).ok()?;
    (bytes.get(2..4)? == [0, 0]).then(|| minisign::SecretKey::from_bytes(&bytes).ok()).flatten()
}

/// Checks a `.minisig` text against `bytes`; returns its trusted comment.
pub fn verify(pk: &minisign::PublicKey, bytes: &[u8], sig: &str) -> anyhow::Result<String> {
    let sig =
        minisign::SignatureBox::from_string(sig).map_err(|e| anyhow::format_err!("not a minisign signature: {e}"))?;
    minisign::verify(pk, &sig, std::io::Cursor::new(bytes), true, false, false)
        .map_err(|e| anyhow::format_err!("{e}"))?;
    sig.trusted_comment().map_err(|e| anyhow::format_err!("{e}"))
}

/// A public key from a `minisign.pub` file's text, or its base64 line alone.
pub fn public_key(text: &str) -> anyhow::Result<minisign::PublicKey> {
    let line =
        text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("untrusted comment:")).unwrap_or("");
    minisign::PublicKey::from_base64(line).map_err(|e| anyhow::format_err!("not a minisign public key: {e}"))
}

/// The key id minisign prints (`minisign -V` says "Signature and comment signature verified" for it).
pub fn key_id(pk: &minisign::PublicKey) -> String {
    let b = pk.keynum();
    b.iter().rev().map(|x| format!("{x:02X}")).collect()
}
