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
    "GOAUTH",
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

/// Variables of the caller's that only the host engine passes to the
/// download: where Go and git find credentials on this machine (a container
/// gets the netrc itself, mounted as a secret).
pub const DOWNLOAD_ENV_HOST: [&str; 2] = ["HOME", "NETRC"];

/// What the download (and `cargo xtask test`, whose go commands may download)
/// takes from the caller. Never serialized: it may hold credentials.
#[derive(Debug, Clone, Default)]
pub struct DownloadSettings {
    /// The allowed variables the build's own environment does not set.
    pub env: Vec<(String, String)>,
    /// The caller's netrc (`$NETRC`, else `~/.netrc`), if any: the Dagger
    /// engine mounts it as a secret file for the download.
    pub netrc: Option<String>,
    /// [`DOWNLOAD_ENV_HOST`] as the caller has them, for the host engine only.
    pub host_env: Vec<(String, String)>,
}

impl DownloadSettings {
    /// From the caller's environment, for a build whose own environment is `build_env`.
    pub fn from(caller_env: &BTreeMap<String, String>, build_env: &BTreeMap<String, String>) -> DownloadSettings {
        let take = |keys: &[&str]| -> Vec<(String, String)> {
            keys.iter()
                .filter(|k| !build_env.contains_key(**k))
                .filter_map(|k| caller_env.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect()
        };
        DownloadSettings {
            env: take(&DOWNLOAD_ENV_ALLOWED),
            netrc: read_netrc(caller_env),
            host_env: take(&DOWNLOAD_ENV_HOST),
        }
    }

    /// Every value that may hold a credential, and the password of any
    /// `user:password@` in them: what must never be printed.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = Vec::new();
        for (_, value) in self.env.iter().chain(&self.host_env) {
            secrets.push(value.clone());
            for word in value.split([',', '|']) {
                let userinfo = word.split_once("://").map_or(word, |(_, rest)| rest).split('/').next().unwrap_or("");
                if let Some((user, _)) = userinfo.rsplit_once('@') {
                    secrets.extend(user.split_once(':').map(|(_, password)| password.to_owned()));
                    secrets.push(user.to_owned());
                }
            }
        }
        secrets.extend(self.netrc.iter().cloned());
        secrets.retain(|s| s.len() >= 4);
        // Longest first, so that a value is hidden whole before its parts.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        secrets
    }
}

/// `text` with every secret replaced by `…`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |t, secret| t.replace(secret.as_str(), "…"))
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
    fn only_allowed_variables_the_build_does_not_set_and_the_netrc() {
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
        assert_eq!(
            d.host_env,
            [("HOME".to_owned(), "/home/u".to_owned()), ("NETRC".to_owned(), netrc.to_str().unwrap().to_owned())]
        );
        assert_eq!(d.netrc.as_deref(), Some("machine example.com password p\n"));
        // What is never printed: the whole value, and the password in it.
        let said = scrub("reading https://t:secret@proxy.example/x: 401; retry with secret", &d.secrets());
        assert_eq!(said, "reading …/x: 401; retry with …");
    }
}
