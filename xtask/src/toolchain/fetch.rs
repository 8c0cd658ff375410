//! Fetching a toolchain module from the Go module proxy: which proxy
//! (GOPROXY, as the go command reads it), the HTTP client (the system's CA
//! bundle trusted as well as rustls' built-in roots, as the go command does,
//! so a TLS-inspecting proxy works; the proxy variables honoured by reqwest),
//! and the download with its progress line.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, format_err};

use crate::{interrupt, ui};

const DEFAULT_PROXY: &str = "https://proxy.golang.org";
/// Far above any Go release (about 70 MB): a runaway response is cut off.
const MAX_ZIP: u64 = 1 << 30;

/// The proxy to fetch from, as the go command reads GOPROXY: a list separated
/// by `,` or `|`, tried in order. `direct` (fetching from the origin) does not
/// apply to the toolchain module and is skipped; `off` stops the list.
pub(super) fn proxy_from(goproxy: Option<&str>, version: &str) -> anyhow::Result<String> {
    let goproxy = goproxy.map(str::trim).filter(|v| !v.is_empty()).unwrap_or(DEFAULT_PROXY);
    for entry in goproxy.split([',', '|']).map(str::trim).filter(|e| !e.is_empty()) {
        match entry {
            "direct" => continue,
            "off" => bail!(
                "GOPROXY={goproxy} forbids fetching Go {version}: install Go {version} (https://go.dev/dl/), \
                 set GOPROXY to a Go module proxy (e.g. {DEFAULT_PROXY}), or build in Dagger with --engine dagger"
            ),
            url if url.starts_with("https://") || url.starts_with("http://") => {
                return Ok(url.trim_end_matches('/').to_owned())
            }
            // The go command takes a bare host as https://.
            host if !host.contains("://") => return Ok(format!("https://{}", host.trim_end_matches('/'))),
            _ => continue,
        }
    }
    bail!(
        "GOPROXY={goproxy} names no Go module proxy to fetch Go {version} from: install Go {version} \
         (https://go.dev/dl/) or set GOPROXY (e.g. {DEFAULT_PROXY})"
    )
}

/// A proxy URL without any credentials in it, for messages.
pub(super) fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|host| host.rsplit_once('@')) {
            Some((_, host)) => format!("{scheme}://…@{host}{}", &rest[rest.find('/').unwrap_or(rest.len())..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The whole module zip, in memory (about 70 MB), with progress on stderr:
/// "fetching Go 1.26.8 for linux/amd64 from https://proxy.golang.org: 34/71 MB".
pub(super) fn download(url: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let shown = redact(url);
        let client = client()?;
        let mut progress = ui::ProgressLine::start(format!("fetching {what}"));
        let mut response =
            client.get(url).send().await.map_err(|e| format_err!("cannot fetch {shown}: {}", cause(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let said = body.lines().next().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!(": {l}"));
            bail!("cannot fetch {shown}: the proxy answered {status}{}", said.unwrap_or_default());
        }
        let total = response.content_length();
        if total.is_some_and(|t| t > MAX_ZIP) {
            bail!("{shown} is {} MB: not a Go toolchain", total.unwrap_or(0) / 1_000_000);
        }
        let line = |done: usize| match total {
            Some(total) => format!("fetching {what}: {}/{} MB", mb(done as u64), mb(total)),
            None => format!("fetching {what}: {} MB", mb(done as u64)),
        };
        let mut zip = Vec::with_capacity(total.unwrap_or(0) as usize);
        let mut last_data = Instant::now();
        loop {
            interrupt::check()?;
            // Short waits, so that Ctrl-C and a stalled connection are noticed.
            match tokio::time::timeout(Duration::from_millis(250), response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    zip.extend_from_slice(&chunk);
                    last_data = Instant::now();
                    if zip.len() as u64 > MAX_ZIP {
                        bail!("{shown} sent more than {} MB: not a Go toolchain", MAX_ZIP / 1_000_000);
                    }
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => bail!("cannot fetch {shown}: {}", cause(&e)),
                Err(_) if last_data.elapsed() > Duration::from_secs(60) => {
                    bail!("cannot fetch {shown}: no data for 60 s")
                }
                Err(_) => {}
            }
            progress.update(|| line(zip.len()));
        }
        if let Some(total) = total.filter(|&t| t != zip.len() as u64) {
            bail!("cannot fetch {shown}: the connection closed after {} of {total} bytes", zip.len());
        }
        progress.finish(line(zip.len()));
        Ok(zip)
    })
}

/// The system's CA bundle, where the go command and curl find it: a machine
/// behind a TLS-inspecting proxy trusts that proxy there, and rustls knows
/// only its built-in (Mozilla) roots.
const CA_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// An HTTP client trusting the built-in roots and the system's (SSL_CERT_FILE, else [`CA_BUNDLES`]),
/// through the proxy the environment names (reqwest reads HTTPS_PROXY, ALL_PROXY and NO_PROXY).
/// The Dagger engine asks with it whether dl.dagger.io can be reached.
pub fn client() -> anyhow::Result<reqwest::Client> {
    let builder = || {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("cargo-xtask/", env!("CARGO_PKG_VERSION")))
    };
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(CA_BUNDLES.iter().map(PathBuf::from))
        .find_map(|file| fs::read(file).ok());
    let roots = bundle.and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok()).unwrap_or_default();
    let with = |roots: &[reqwest::Certificate]| {
        roots.iter().cloned().fold(builder(), reqwest::ClientBuilder::add_root_certificate).build()
    };
    match with(&roots) {
        Ok(client) => Ok(client),
        // One certificate rustls cannot read fails them all: keep the ones it can.
        Err(_) => {
            let readable: Vec<reqwest::Certificate> =
                roots.into_iter().filter(|c| with(std::slice::from_ref(c)).is_ok()).collect();
            Ok(with(&readable)?)
        }
    }
}

/// What went wrong, once: reqwest's message repeats its sources and names the URL again.
fn cause(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    format!("{what}: {inner}")
}

/// Whole megabytes (10^6 bytes), rounded.
pub(super) fn mb(bytes: u64) -> u64 {
    (bytes + 500_000) / 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_comes_from_goproxy() {
        let p = |v: Option<&str>| proxy_from(v, "1.26.8");
        assert_eq!(p(None).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("")).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("https://proxy.golang.org,direct")).unwrap(), "https://proxy.golang.org");
        assert_eq!(p(Some("direct,https://goproxy.example/")).unwrap(), "https://goproxy.example");
        assert_eq!(p(Some("https://a.example/mirror|https://b.example")).unwrap(), "https://a.example/mirror");
        assert_eq!(p(Some(" http://127.0.0.1:3000 , off")).unwrap(), "http://127.0.0.1:3000");
        assert_eq!(p(Some("goproxy.example")).unwrap(), "https://goproxy.example");
        let err = p(Some("off")).unwrap_err().to_string();
        assert!(err.contains("GOPROXY=off forbids fetching Go 1.26.8: install Go 1.26.8"), "{err}");
        // As for the go command, nothing after `off` is tried.
        let err = p(Some("direct,off,https://a.example")).unwrap_err().to_string();
        assert!(err.contains("forbids fetching Go 1.26.8"), "{err}");
        let err = p(Some("direct")).unwrap_err().to_string();
        assert!(err.contains("GOPROXY=direct names no Go module proxy"), "{err}");
        let err = p(Some("file:///srv/goproxy")).unwrap_err().to_string();
        assert!(err.contains("names no Go module proxy"), "{err}");
    }

    #[test]
    fn credentials_stay_out_of_messages() {
        assert_eq!(redact("https://user:secret@goproxy.example/m"), "https://…@goproxy.example/m");
        assert_eq!(redact("https://proxy.golang.org"), "https://proxy.golang.org");
    }
}
