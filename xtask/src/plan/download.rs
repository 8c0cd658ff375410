//! The module download's share of the caller's environment: where modules
//! come from and how to authenticate. It reaches the download only, never a
//! build, a key, a log or the manifest; the plan decides it once, for every engine.

use std::collections::BTreeMap;

/// Variables of the caller's environment that may reach the module download
/// (where to fetch from, and how to authenticate), never a build.
pub const DOWNLOAD_ENV_ALLOWED: [&str; 15] = [
    "GOPROXY",
    "GONOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOSUMDB",
    "GOINSECURE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// What the download (and `cargo xtask test`, whose go commands may download)
/// takes from the caller. Never serialized: it may hold credentials.
#[derive(Debug, Clone, Default)]
pub struct DownloadSettings {
    /// The allowed variables the build's own environment does not set.
    pub env: Vec<(String, String)>,
    /// The caller's netrc (`$NETRC`, else `~/.netrc`) when private modules are
    /// configured: the Dagger engine mounts it as a secret file.
    pub netrc: Option<String>,
    /// The caller's HOME, for the host engine only: Go and git read `.netrc`,
    /// git's config and credentials there.
    pub home: Option<String>,
}

impl DownloadSettings {
    /// From the caller's environment, for a build whose own environment is `build_env`.
    pub fn from(caller_env: &BTreeMap<String, String>, build_env: &BTreeMap<String, String>) -> DownloadSettings {
        let env: Vec<(String, String)> = DOWNLOAD_ENV_ALLOWED
            .iter()
            .filter(|k| !build_env.contains_key(**k))
            .filter_map(|k| caller_env.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        let private = ["GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"].iter().any(|k| {
            build_env.get(*k).is_some_and(|v| !v.is_empty()) || caller_env.get(*k).is_some_and(|v| !v.is_empty())
        });
        let netrc = private.then(|| read_netrc(caller_env)).flatten();
        DownloadSettings { env, netrc, home: caller_env.get("HOME").cloned() }
    }
}

/// The caller's netrc (`$NETRC`, else `~/.netrc`), as Go reads it.
fn read_netrc(caller_env: &BTreeMap<String, String>) -> Option<String> {
    let path = caller_env
        .get("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| caller_env.get("HOME").map(|h| std::path::Path::new(h).join(".netrc")))?;
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_variables_the_build_does_not_set_and_netrc_for_private_modules() {
        let dir = tempfile::tempdir().unwrap();
        let netrc = dir.path().join("netrc");
        std::fs::write(&netrc, "machine example.com password p\n").unwrap();
        let caller: BTreeMap<String, String> = [
            ("GOPROXY", "https://t:secret@proxy.example"),
            ("GOSUMDB", "off"),
            ("GOFLAGS", "-mod=mod"),
            ("HOME", "/home/u"),
            ("NETRC", netrc.to_str().unwrap()),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let build = BTreeMap::from([("GOSUMDB".to_owned(), "sum.golang.org".to_owned())]);
        let d = DownloadSettings::from(&caller, &build);
        assert_eq!(d.env, [("GOPROXY".to_owned(), "https://t:secret@proxy.example".to_owned())]);
        assert_eq!((d.netrc, d.home.as_deref()), (None, Some("/home/u")), "no private modules: no netrc");
        let private = BTreeMap::from([("GOPRIVATE".to_owned(), "example.com/*".to_owned())]);
        let d = DownloadSettings::from(&caller, &private);
        assert_eq!(d.netrc.as_deref(), Some("machine example.com password p\n"));
    }
}
