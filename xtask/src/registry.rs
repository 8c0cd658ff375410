//! Pushing an OCI image layout archive to a registry as it is: every blob,
//! every platform's manifest, then the index under each tag (the OCI
//! distribution spec's monolithic upload), so the registry serves exactly the
//! bytes, and the digest, that the release's manifest.json records.
//!
//! Credentials: `XTASK_REGISTRY_USERNAME` and `XTASK_REGISTRY_PASSWORD` for
//! the host `XTASK_REGISTRY` names (or, when it is unset, for the registry
//! pushed to, never for a base image's), else the `auths` entry of Docker's
//! config.json for the host (what `docker login` and CI login actions write).
//! They go only to that registry or to the HTTPS token service its challenge
//! names, never into output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use serde_json::Value;

use crate::release::image::{INDEX, MANIFEST};

/// An image archive's blobs (by digest) and the index its `index.json` names.
pub struct Layout {
    pub index_digest: String,
    blobs: BTreeMap<String, Vec<u8>>,
}

impl Layout {
    /// The layout in `bytes` (the archive `archive`, for messages), every blob checked against its name.
    pub fn parse(bytes: &[u8], archive: &Path) -> anyhow::Result<Layout> {
        let mut tar = tar::Archive::new(bytes);
        let (mut index_json, mut blobs) = (None, BTreeMap::new());
        for entry in tar.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.display().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            if path == "index.json" {
                index_json = Some(bytes);
            } else if let Some(hex) = path.strip_prefix("blobs/sha256/").filter(|h| !h.is_empty()) {
                let digest = format!("sha256:{hex}");
                if format!("sha256:{}", crate::digest::sha256_hex(&bytes)) != digest {
                    bail!("{}: blob {digest} does not hold what its name says", archive.display());
                }
                blobs.insert(digest, bytes);
            }
        }
        let index_json =
            index_json.with_context(|| format!("{}: no index.json: not an OCI image layout", archive.display()))?;
        let top: Value =
            serde_json::from_slice(&index_json).with_context(|| format!("{}: index.json", archive.display()))?;
        let index_digest = top["manifests"][0]["digest"].as_str().context("index.json names no image")?.to_owned();
        let layout = Layout { index_digest, blobs };
        layout.blob(&layout.index_digest)?;
        Ok(layout)
    }

    fn blob(&self, digest: &str) -> anyhow::Result<&[u8]> {
        self.blobs.get(digest).map(Vec::as_slice).with_context(|| format!("the archive lacks blob {digest}"))
    }

    /// Each platform's manifest (digest, bytes) and every blob they use, once, in order.
    fn parts(&self) -> anyhow::Result<(Vec<Manifest<'_>>, Vec<String>)> {
        let index: Value = serde_json::from_slice(self.blob(&self.index_digest)?)?;
        let (mut manifests, mut blobs) = (Vec::new(), Vec::new());
        for m in index["manifests"].as_array().context("the index lists no manifests")? {
            let digest = m["digest"].as_str().context("a manifest without a digest")?.to_owned();
            let bytes = self.blob(&digest)?;
            let manifest: Value = serde_json::from_slice(bytes)?;
            let layers = manifest["layers"].as_array().context("a manifest without layers")?;
            for d in std::iter::once(&manifest["config"]).chain(layers).filter_map(|d| d["digest"].as_str()) {
                if !blobs.iter().any(|b| b == d) {
                    self.blob(d)?;
                    blobs.push(d.to_owned());
                }
            }
            manifests.push((digest, bytes));
        }
        Ok((manifests, blobs))
    }
}

/// A platform's manifest in a layout: its digest and bytes.
type Manifest<'a> = (String, &'a [u8]);

/// Where a repository lives: `ghcr.io/acme/hello` → (`ghcr.io`, `acme/hello`); Docker Hub's when no host is named.
pub fn split_repository(repository: &str) -> (String, String) {
    const HUB: &str = "registry-1.docker.io";
    let (host, path) = match repository.split_once('/') {
        Some((host, path)) if host.contains(['.', ':']) || host == "localhost" => (host, path),
        _ => (HUB, repository),
    };
    // Docker Hub's names: docker.io/alpine is registry-1.docker.io/library/alpine.
    let host = if matches!(host, "docker.io" | "index.docker.io") { HUB } else { host };
    let path = if host == HUB && !path.contains('/') { format!("library/{path}") } else { path.to_owned() };
    (host.to_owned(), path)
}

/// What a manifest request accepts: OCI's and Docker's, indexes and single images.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Where pulled base images are kept, by digest: a run whose base is there needs no network.
pub fn blob_cache() -> anyhow::Result<std::path::PathBuf> {
    Ok(crate::project::cache_dir("cargo-xtask-images")?.join("blobs").join("sha256"))
}

/// A base image's part for one platform: its config and its layers' descriptors (the blobs are in
/// [`blob_cache`]), layer media types as OCI names them.
pub struct BasePart {
    pub config: Value,
    pub layers: Vec<Value>,
}

/// The parts of `reference` (`repo[:tag]@sha256:…`) for each (os, architecture, variant), fetched
/// into the cache unless there already.
pub fn pull_base(reference: &str, platforms: &[(String, String, Option<String>)]) -> anyhow::Result<Vec<BasePart>> {
    let (repo, digest) = reference.split_once('@').context("a base image is pinned by digest")?;
    // A tag beside the digest says what it was; the digest decides.
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let (host, path) = split_repository(repo);
    let cache = blob_cache()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut registry = Registry::new(&host, &path, "pull", false)?;
        let top: Value = serde_json::from_slice(&registry.fetch(digest, true, &cache).await?)?;
        let mut parts = Vec::new();
        for (os, arch, variant) in platforms {
            let shown = format!("{os}/{arch}{}", variant.as_deref().map(|v| format!("/{v}")).unwrap_or_default());
            let manifest: Value = match top["manifests"].as_array() {
                Some(list) => {
                    let fits = |p: &Value| {
                        p["os"] == os.as_str()
                            && p["architecture"] == arch.as_str()
                            // arm64's variant (v8) is implied when a target names none.
                            && (p["variant"].as_str() == variant.as_deref() || (variant.is_none() && arch != "arm"))
                    };
                    let d = list
                        .iter()
                        .find(|m| fits(&m["platform"]))
                        .and_then(|m| m["digest"].as_str())
                        .with_context(|| format!("the base image {reference} has no {shown} image"))?;
                    serde_json::from_slice(&registry.fetch(d, true, &cache).await?)?
                }
                None => top.clone(),
            };
            let config_digest = manifest["config"]["digest"].as_str().context("a manifest without a config")?;
            let config: Value = serde_json::from_slice(&registry.fetch(config_digest, false, &cache).await?)?;
            if config["os"] != os.as_str() || config["architecture"] != arch.as_str() {
                bail!("the base image {reference} is {}/{}, not {shown}", config["os"], config["architecture"]);
            }
            let mut layers = Vec::new();
            for layer in manifest["layers"].as_array().context("a manifest without layers")? {
                let d = layer["digest"].as_str().context("a layer without a digest")?;
                let media_type = match layer["mediaType"].as_str().unwrap_or_default() {
                    "application/vnd.docker.image.rootfs.diff.tar.gzip" => crate::release::image::LAYER,
                    t @ ("application/vnd.oci.image.layer.v1.tar+gzip"
                    | "application/vnd.oci.image.layer.v1.tar+zstd") => t,
                    other => bail!("the base image {reference} has a layer of type {other:?}, which is not copied"),
                };
                registry.fetch(d, false, &cache).await?;
                layers.push(serde_json::json!({ "mediaType": media_type, "digest": d, "size": layer["size"] }));
            }
            parts.push(BasePart { config, layers });
        }
        Ok(parts)
    })
}

/// What a push did.
pub struct Pushed {
    pub uploaded: usize,
    pub blobs: usize,
}

/// Pushes `layout` to `host`/`path` under `tags`.
pub fn push(layout: &Layout, host: &str, path: &str, tags: &[String], insecure: bool) -> anyhow::Result<Pushed> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut registry = Registry::new(host, path, "pull,push", insecure)?;
        let (manifests, blobs) = layout.parts()?;
        let mut uploaded = 0;
        for digest in &blobs {
            if registry.upload(digest, layout.blob(digest)?).await? {
                uploaded += 1;
            }
        }
        for (digest, bytes) in &manifests {
            registry.put_manifest(digest, MANIFEST, bytes, digest).await?;
        }
        let index = layout.blob(&layout.index_digest)?;
        for tag in tags {
            registry.put_manifest(tag, INDEX, index, &layout.index_digest).await?;
        }
        Ok(Pushed { uploaded, blobs: blobs.len() })
    })
}

struct Registry {
    http: reqwest::Client,
    /// `scheme://host/v2/<path>`.
    base: String,
    host: String,
    scope: String,
    /// (user, password), or why there are none.
    credentials: Result<(String, String), String>,
    /// The `Authorization` value that worked, once a challenge was answered.
    authorization: Option<String>,
}

impl Registry {
    /// A client for `host`/`path` asking for the `actions` scope (`pull`, `pull,push`).
    fn new(host: &str, path: &str, actions: &str, insecure: bool) -> anyhow::Result<Registry> {
        let scheme = if insecure || is_local(host) { "http" } else { "https" };
        Ok(Registry {
            http: reqwest::Client::builder().build()?,
            base: format!("{scheme}://{host}/v2/{path}"),
            host: host.to_owned(),
            scope: format!("repository:{path}:{actions}"),
            // A broken credentials setting matters only if the registry asks for credentials.
            credentials: credentials(host, actions.contains("push")).unwrap_or_else(|e| Err(format!("{e:#}"))),
            authorization: None,
        })
    }

    /// The blob or manifest `digest`, from the local cache or else fetched (and checked) into it.
    async fn fetch(&mut self, digest: &str, manifest: bool, cache: &Path) -> anyhow::Result<Vec<u8>> {
        let hex = digest.strip_prefix("sha256:").filter(|h| h.len() == 64).context("not a sha256 digest")?;
        let path = cache.join(hex);
        if let Ok(bytes) = std::fs::read(&path) {
            if crate::digest::sha256_hex(&bytes) == hex {
                return Ok(bytes);
            }
        }
        let (kind, accept) = if manifest { ("manifests", MANIFEST_TYPES) } else { ("blobs", "*/*") };
        let url = format!("{}/{kind}/{digest}", self.base);
        let what = format!("fetching {digest}");
        let response = self.send(&what, |c| c.get(&url).header(reqwest::header::ACCEPT, accept)).await?;
        let bytes = check(response, &what).await?.bytes().await.with_context(|| what.clone())?.to_vec();
        if crate::digest::sha256_hex(&bytes) != hex {
            bail!("{what}: the registry sent bytes of another digest");
        }
        std::fs::create_dir_all(cache).with_context(|| format!("cannot create {}", cache.display()))?;
        let part = cache.join(format!(".{hex}.{}", std::process::id()));
        std::fs::write(&part, &bytes).and_then(|()| std::fs::rename(&part, &path)).with_context(|| {
            let _ = std::fs::remove_file(&part);
            format!("cannot write {}", path.display())
        })?;
        Ok(bytes)
    }

    /// Sends the request `make` builds; on a 401, answers the registry's challenge once and sends it again.
    async fn send(
        &mut self,
        what: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        for attempt in 0..2 {
            let mut request = make(&self.http);
            if let Some(a) = &self.authorization {
                request = request.header(reqwest::header::AUTHORIZATION, a);
            }
            let response = request.send().await.with_context(|| format!("{what}: cannot reach {}", self.host))?;
            if response.status() != reqwest::StatusCode::UNAUTHORIZED || attempt == 1 {
                return Ok(response);
            }
            let challenge = response
                .headers()
                .get(reqwest::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            self.authorization = Some(self.answer(&challenge).await.with_context(|| format!("{what}: {}", self.host))?);
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// The `Authorization` header for a `WWW-Authenticate` challenge: Basic, or a Bearer token fetched from its realm.
    async fn answer(&self, challenge: &str) -> anyhow::Result<String> {
        let basic = |(user, password): &(String, String)| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
        };
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let param = |name: &str| {
            params.split(',').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == name).then(|| v.trim_matches('"').to_owned())
            })
        };
        let needs = || match &self.credentials {
            Err(why) => format!("the registry asks for credentials: {why}"),
            Ok(_) => String::new(),
        };
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Ok(basic(self.credentials.as_ref().map_err(|_| anyhow::format_err!(needs()))?)),
            "bearer" => {
                let realm = param("realm").context("a Bearer challenge without a realm")?;
                if !realm.starts_with("https://") && !self.base.starts_with("http://") {
                    bail!("the registry's token service {realm} is not HTTPS: no credentials are sent there");
                }
                let mut request = self.http.get(&realm).query(&[("scope", self.scope.as_str())]);
                if let Some(service) = param("service") {
                    request = request.query(&[("service", service.as_str())]);
                }
                if let Ok(c) = &self.credentials {
                    request = request.header(reqwest::header::AUTHORIZATION, basic(c));
                }
                let response =
                    request.send().await.with_context(|| format!("cannot reach the token service {realm}"))?;
                let status = response.status();
                let body = response.bytes().await?;
                if !status.is_success() {
                    let hint = if self.credentials.is_err() {
                        needs()
                    } else {
                        "check the credentials and their rights".into()
                    };
                    bail!("the token service {realm} answered {status}: {}; {hint}", excerpt(&body));
                }
                let token: Value = serde_json::from_slice(&body).context("the token service's answer is not JSON")?;
                let token =
                    token["token"].as_str().or(token["access_token"].as_str()).context("no token in the answer")?;
                Ok(format!("Bearer {token}"))
            }
            _ => bail!("the registry answered 401 with a challenge this client does not know: {challenge:?}"),
        }
    }

    /// Uploads one blob unless the registry has it; whether it was uploaded.
    async fn upload(&mut self, digest: &str, bytes: &[u8]) -> anyhow::Result<bool> {
        let url = format!("{}/blobs/{digest}", self.base);
        let what = format!("checking blob {digest}");
        if self.send(&what, |c| c.head(&url)).await?.status().is_success() {
            return Ok(false);
        }
        let start = format!("{}/blobs/uploads/", self.base);
        let what = format!("starting the upload of {digest}");
        let response = self.send(&what, |c| c.post(&start).header(reqwest::header::CONTENT_LENGTH, 0)).await?;
        let location = check(response, &what)
            .await?
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .context("the registry gave no upload location")?
            .to_owned();
        let location = if location.starts_with('/') {
            let origin: String = self.base.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{location}")
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{separator}digest={digest}");
        let what = format!("uploading {digest} ({} bytes)", bytes.len());
        let response = self
            .send(&what, |c| {
                c.put(&put).header(reqwest::header::CONTENT_TYPE, "application/octet-stream").body(bytes.to_vec())
            })
            .await?;
        check(response, &what).await?;
        Ok(true)
    }

    /// Puts a manifest or index under `reference` (a digest or a tag); the registry must report `digest`.
    async fn put_manifest(
        &mut self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &str,
    ) -> anyhow::Result<()> {
        let url = format!("{}/manifests/{reference}", self.base);
        let what = format!("putting {reference}");
        let response = self
            .send(&what, |c| c.put(&url).header(reqwest::header::CONTENT_TYPE, media_type).body(bytes.to_vec()))
            .await?;
        let response = check(response, &what).await?;
        let reported = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
        if let Some(reported) = reported.filter(|r| *r != digest) {
            bail!("{what}: the registry stored {reported}, not {digest}: it rewrote the manifest");
        }
        Ok(())
    }
}

/// The response if it succeeded, else an error with the registry's own message.
async fn check(response: reqwest::Response, what: &str) -> anyhow::Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    let hint = if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        "; it refused the credentials (XTASK_REGISTRY_USERNAME and _PASSWORD for XTASK_REGISTRY, or Docker's \
         config.json), or they may not do this there"
    } else {
        ""
    };
    bail!("{what}: the registry answered {status}: {}{hint}", excerpt(&body))
}

/// The start of a registry's error body, on one line.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(300).collect()
}

const NO_CREDENTIALS: &str = "set XTASK_REGISTRY_USERNAME and XTASK_REGISTRY_PASSWORD, or log in (`docker login`, a \
     CI login action) so that Docker's config.json holds them";

/// `localhost`, a loopback address, with or without a port: spoken to over plain HTTP.
fn is_local(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The credentials for `host`, or why there are none: the environment's when `XTASK_REGISTRY` names
/// `host` (or is unset and `host` is the `destination` of a push), else Docker's config.json's.
fn credentials(host: &str, destination: bool) -> anyhow::Result<Result<(String, String), String>> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let for_host = match var("XTASK_REGISTRY") {
        Some(named) => named == host,
        None => destination,
    };
    match (var("XTASK_REGISTRY_USERNAME"), var("XTASK_REGISTRY_PASSWORD")) {
        (Some(u), Some(p)) if for_host => return Ok(Ok((u, p))),
        (Some(_), None) | (None, Some(_)) => {
            bail!("set both XTASK_REGISTRY_USERNAME and XTASK_REGISTRY_PASSWORD, or neither")
        }
        // Meant for another registry: Docker's config may still hold this one's.
        _ => {}
    }
    let dir = match var("DOCKER_CONFIG") {
        Some(d) => std::path::PathBuf::from(d),
        None => match var("HOME") {
            Some(h) => Path::new(&h).join(".docker"),
            None => return Ok(Err(NO_CREDENTIALS.into())),
        },
    };
    let file = dir.join("config.json");
    let Ok(text) = std::fs::read_to_string(&file) else { return Ok(Err(NO_CREDENTIALS.into())) };
    let config: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    // Docker Hub is keyed by its v1 URL; others by host, with or without a scheme.
    let keys: Vec<String> = if host == "registry-1.docker.io" {
        vec!["https://index.docker.io/v1/".into(), "index.docker.io".into(), "docker.io".into()]
    } else {
        vec![host.to_owned(), format!("https://{host}"), format!("http://{host}")]
    };
    let entry = keys.iter().find_map(|k| config["auths"].get(k));
    if let Some(entry) = entry {
        if let (Some(u), Some(p)) = (entry["username"].as_str(), entry["password"].as_str()) {
            return Ok(Ok((u.to_owned(), p.to_owned())));
        }
        if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .with_context(|| format!("{}: the auth of {host} is not base64 of user:password", file.display()))?;
            let (u, p) = decoded
                .split_once(':')
                .with_context(|| format!("{}: the auth of {host} has no ':'", file.display()))?;
            return Ok(Ok((u.to_owned(), p.to_owned())));
        }
    }
    let helper = config["credHelpers"].get(host).or(config.get("credsStore")).and_then(Value::as_str);
    Ok(Err(match helper.filter(|_| entry.is_none()) {
        Some(helper) => format!(
            "{} keeps {host}'s in docker-credential-{helper}, which this command does not run: set \
             XTASK_REGISTRY_USERNAME and XTASK_REGISTRY_PASSWORD",
            file.display()
        ),
        None => NO_CREDENTIALS.into(),
    }))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};

    use super::*;

    #[test]
    fn only_loopback_hosts_are_spoken_to_over_http() {
        for (host, local) in [
            ("localhost:5000", true),
            ("127.0.0.1:5000", true),
            ("127.3.2.1", true),
            ("[::1]:5000", true),
            ("localhost.example.com", false),
            ("127.evil.io", false),
            ("localhostregistry.io", false),
            ("ghcr.io", false),
        ] {
            assert_eq!(is_local(host), local, "{host}");
        }
    }

    #[test]
    fn a_repository_without_a_host_is_docker_hubs() {
        assert_eq!(split_repository("docker.io/acme/hello"), ("registry-1.docker.io".into(), "acme/hello".into()));
        assert_eq!(split_repository("docker.io/alpine"), ("registry-1.docker.io".into(), "library/alpine".into()));
        assert_eq!(split_repository("index.docker.io/a/b"), ("registry-1.docker.io".into(), "a/b".into()));
        assert_eq!(split_repository("ghcr.io/acme/hello"), ("ghcr.io".into(), "acme/hello".into()));
        assert_eq!(split_repository("localhost:5000/hello"), ("localhost:5000".into(), "hello".into()));
        assert_eq!(split_repository("acme/hello"), ("registry-1.docker.io".into(), "acme/hello".into()));
        assert_eq!(split_repository("hello"), ("registry-1.docker.io".into(), "library/hello".into()));
    }

    /// A Bearer challenge (ghcr.io's, Docker Hub's) is answered with a token from its realm, asked
    /// with the push scope, the service and the credentials.
    #[test]
    fn a_bearer_challenge_is_answered_with_a_token_from_its_realm() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                head.push(line.trim().to_owned());
            }
            let body = r#"{"token":"t0ken"}"#;
            write!(&stream, "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len()).unwrap();
            head
        });
        let mut registry = Registry {
            http: reqwest::Client::new(),
            base: "http://127.0.0.1:1/v2/acme/hello".into(),
            host: "127.0.0.1:1".into(),
            scope: "repository:acme/hello:pull,push".into(),
            credentials: Ok(("ci".into(), "pw".into())),
            authorization: None,
        };
        let challenge = format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="ghcr.io",scope="x""#);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answer = runtime.block_on(registry.answer(&challenge)).unwrap();
        assert_eq!(answer, "Bearer t0ken");
        let head = server.join().unwrap();
        // A registry spoken to over HTTPS sends no credentials to a token service that is not.
        registry.base = "https://ghcr.io/v2/acme/hello".into();
        let err = runtime.block_on(registry.answer(&challenge)).unwrap_err().to_string();
        assert!(err.contains("is not HTTPS: no credentials are sent there"), "{err}");
        assert!(
            head[0].starts_with("GET /token?scope=repository%3Aacme%2Fhello%3Apull%2Cpush&service=ghcr.io "),
            "{head:?}"
        );
        // "ci:pw" in base64.
        assert!(head.iter().any(|h| h.eq_ignore_ascii_case("authorization: Basic Y2k6cHc=")), "{head:?}");
    }

    #[test]
    fn a_challenge_without_credentials_says_how_to_give_them() {
        let registry = Registry {
            http: reqwest::Client::new(),
            base: "http://127.0.0.1:1/v2/x".into(),
            host: "127.0.0.1:1".into(),
            scope: "repository:x:pull,push".into(),
            credentials: Err(NO_CREDENTIALS.into()),
            authorization: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let err = runtime.block_on(registry.answer("Basic realm=\"r\"")).unwrap_err().to_string();
        assert!(err.starts_with("the registry asks for credentials: set XTASK_REGISTRY_USERNAME"), "{err}");
        let err = runtime.block_on(registry.answer("Negotiate")).unwrap_err().to_string();
        assert!(err.contains("a challenge this client does not know"), "{err}");
    }
}
