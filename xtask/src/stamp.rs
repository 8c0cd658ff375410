//! The version, commit and date stamped into binaries, read from git on the host.
//!
//! Outside a git checkout, or without tags, there is a fallback rather than a
//! failure: a release tool must still build a tarball of the source.

use std::path::Path;

use xshell::{cmd, Shell};

pub const FALLBACK_VERSION: &str = "0.0.0-dev";
pub const UNKNOWN: &str = "unknown";
/// 1980-01-01T00:00:00Z: the earliest time a zip entry can hold; used when
/// neither SOURCE_DATE_EPOCH nor a commit gives a time.
pub const FALLBACK_EPOCH: i64 = 315_532_800;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stamp {
    /// `git describe --tags --always --dirty` without a leading `v`.
    pub version: String,
    /// The tag `version` comes from (`git describe --tags --abbrev=0`), or empty.
    pub tag: String,
    /// Full commit hash, or `unknown`.
    pub commit: String,
    /// RFC 3339 UTC date of `epoch`, or `unknown` when there is neither commit nor SOURCE_DATE_EPOCH.
    pub date: String,
    /// Seconds since 1970 for every mtime we write: SOURCE_DATE_EPOCH, else the commit time.
    pub epoch: i64,
    /// Tracked files differ from the commit (`git describe --dirty`).
    pub dirty: bool,
    /// The commit is exactly `tag` and the tree is clean: a release, not a snapshot.
    pub tagged: bool,
    /// Files git neither tracks nor ignores (`git status --porcelain`): a
    /// release refuses them, since a build may read them. Not part of any key.
    #[serde(skip)]
    pub untracked: Vec<String>,
    /// Where the source lives (`git remote get-url origin` as a web URL, without credentials), or empty:
    /// an image's `org.opencontainers.image.source`.
    #[serde(skip)]
    pub remote: String,
}

impl Stamp {
    /// Reads the stamp for the source in `dir`.
    pub fn read(sh: &Shell, dir: &Path) -> anyhow::Result<Stamp> {
        let _cd = sh.push_dir(dir);
        let git = |c: xshell::Cmd| c.quiet().ignore_stderr().read().ok().map(|s| s.trim().to_owned());
        let in_git = git(cmd!(sh, "git rev-parse --is-inside-work-tree")).as_deref() == Some("true");
        let commit = in_git.then(|| git(cmd!(sh, "git rev-parse HEAD"))).flatten();
        let described = match &commit {
            Some(_) => git(cmd!(sh, "git describe --tags --always --dirty")),
            None => None,
        };
        let tag = match &commit {
            Some(_) => git(cmd!(sh, "git describe --tags --abbrev=0")),
            None => None,
        };
        let has_tag = tag.is_some();
        let commit_time = match &commit {
            Some(_) => git(cmd!(sh, "git log -1 --format=%ct")).and_then(|s| s.parse::<i64>().ok()),
            None => None,
        };
        // An empty SOURCE_DATE_EPOCH counts as unset.
        let source_date_epoch =
            match sh.var("SOURCE_DATE_EPOCH") {
                Ok(v) if !v.trim().is_empty() => Some(v.trim().parse::<i64>().map_err(|_| {
                    anyhow::format_err!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
                })?),
                _ => None,
            };
        let dirty = described.as_deref().is_some_and(|d| d.ends_with("-dirty"));
        let tagged = !dirty && tag.is_some() && described == tag;
        let mut stamp =
            Stamp::from_parts(has_tag.then_some(described).flatten(), commit, commit_time, source_date_epoch);
        stamp.tag = tag.unwrap_or_default();
        stamp.dirty = dirty;
        stamp.tagged = tagged;
        if in_git {
            let status = git(cmd!(sh, "git status --porcelain --untracked-files=all")).unwrap_or_default();
            stamp.untracked = status.lines().filter_map(|l| l.strip_prefix("?? ")).map(str::to_owned).collect();
            stamp.remote = git(cmd!(sh, "git remote get-url origin")).map(|u| web_url(&u)).unwrap_or_default();
        }
        Ok(stamp)
    }

    /// The pure part of [`Stamp::read`]: picks values and fallbacks.
    pub fn from_parts(
        described: Option<String>,
        commit: Option<String>,
        commit_time: Option<i64>,
        source_date_epoch: Option<i64>,
    ) -> Stamp {
        let version = match described {
            Some(d) => {
                d.strip_prefix('v').filter(|r| r.starts_with(|c: char| c.is_ascii_digit())).unwrap_or(&d).to_owned()
            }
            None => FALLBACK_VERSION.to_owned(),
        };
        let time = source_date_epoch.or(commit_time);
        Stamp {
            dirty: version.ends_with("-dirty"),
            tagged: false,
            untracked: vec![],
            remote: String::new(),
            version,
            tag: String::new(),
            commit: commit.unwrap_or_else(|| UNKNOWN.to_owned()),
            date: time.map(rfc3339).unwrap_or_else(|| UNKNOWN.to_owned()),
            epoch: time.unwrap_or(FALLBACK_EPOCH),
        }
    }
}

/// A git remote as a browser opens it: `git@host:o/r.git` and `ssh://git@host/o/r` become
/// `https://host/o/r`; user and password (a CI job's token in the URL) are dropped; a local path gives "".
pub fn web_url(remote: &str) -> String {
    let remote = remote.trim();
    let (scheme, rest) = match remote.split_once("://") {
        Some((s, rest)) => (s, rest),
        // scp-like `user@host:path`, but not a Windows drive or a local path.
        None => match remote.split_once(':') {
            Some((host, path)) if host.len() > 1 && !host.contains('/') && !path.starts_with("//") => {
                return web_url(&format!("ssh://{host}/{}", path.trim_start_matches('/')));
            }
            _ => return String::new(),
        },
    };
    if !matches!(scheme, "https" | "http" | "ssh" | "git") {
        return String::new();
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // An ssh port is not the web server's.
    let host = if scheme == "ssh" { host.split(':').next().unwrap_or(host) } else { host };
    if host.is_empty() {
        return String::new();
    }
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let scheme = if scheme == "http" { "http" } else { "https" };
    format!("{scheme}://{host}/{path}").trim_end_matches('/').to_owned()
}

/// Civil UTC date and time of a Unix time (Howard Hinnant's days-to-civil).
pub fn civil(epoch: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

/// RFC 2822 UTC date of a Unix time, as Debian changelogs write it: `Fri, 27 Nov 2026 10:46:12 +0000`.
pub fn rfc2822(epoch: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(epoch);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = DAYS[epoch.div_euclid(86_400).rem_euclid(7) as usize];
    format!("{weekday}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} +0000", MONTHS[mo as usize - 1])
}

pub fn rfc3339(epoch: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(epoch);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_becomes_a_web_url_without_credentials() {
        for (remote, url) in [
            ("git@github.com:acme/hello.git", "https://github.com/acme/hello"),
            ("ssh://git@gitlab.example.com:2222/acme/hello.git", "https://gitlab.example.com/acme/hello"),
            ("https://gitlab-ci-token:glcbt-SECRET@gitlab.com/acme/hello.git", "https://gitlab.com/acme/hello"),
            ("https://x-access-token:ghs_SECRET@github.com/acme/hello", "https://github.com/acme/hello"),
            ("http://git.internal:8080/hello/", "http://git.internal:8080/hello"),
            ("/srv/git/hello.git", ""),
            ("../hello", ""),
            ("file:///srv/git/hello.git", ""),
            ("C:\\src\\hello", ""),
        ] {
            assert_eq!(web_url(remote), url, "{remote}");
        }
    }

    #[test]
    fn rfc2822_dates_as_date_r_prints_them() {
        // `TZ=UTC date -R -d @1700000000` and `… -d @0`.
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(FALLBACK_EPOCH), "1980-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_999_599), "2026-11-30T00:46:39Z");
    }

    #[test]
    fn tags_lose_their_v_and_source_date_epoch_wins() {
        let s = Stamp::from_parts(Some("v1.2.3-4-gabc-dirty".into()), Some("abc".into()), Some(100), Some(200));
        assert_eq!((s.version.as_str(), s.epoch, s.date.as_str()), ("1.2.3-4-gabc-dirty", 200, "1970-01-01T00:03:20Z"));
        let s = Stamp::from_parts(Some("version2".into()), None, None, None);
        assert_eq!(s.version, "version2");
    }

    #[test]
    fn no_git_falls_back() {
        let s = Stamp::from_parts(None, None, None, None);
        assert_eq!(
            s,
            Stamp {
                version: "0.0.0-dev".into(),
                tag: String::new(),
                commit: "unknown".into(),
                date: "unknown".into(),
                epoch: FALLBACK_EPOCH,
                dirty: false,
                tagged: false,
                untracked: vec![],
                remote: String::new(),
            }
        );
    }

    #[test]
    fn reads_a_real_repository() {
        let dir = tempfile::tempdir().unwrap();
        let sh = Shell::new().unwrap();
        sh.change_dir(dir.path());
        let outside = Stamp::read(&sh, dir.path()).unwrap();
        assert_eq!((outside.version.as_str(), outside.commit.as_str()), (FALLBACK_VERSION, UNKNOWN));

        let _env = [
            ("GIT_AUTHOR_NAME", "t"),
            ("GIT_AUTHOR_EMAIL", "t@example.com"),
            ("GIT_COMMITTER_NAME", "t"),
            ("GIT_COMMITTER_EMAIL", "t@example.com"),
            ("GIT_COMMITTER_DATE", "@1700000000 +0000"),
            ("GIT_AUTHOR_DATE", "@1700000000 +0000"),
        ]
        .map(|(k, v)| sh.push_env(k, v));
        let _no_sde = sh.push_env("SOURCE_DATE_EPOCH", "");
        std::fs::write(dir.path().join("f"), "x").unwrap();
        cmd!(sh, "git init -q").run().unwrap();
        cmd!(sh, "git add f").run().unwrap();
        cmd!(sh, "git commit -qm init").run().unwrap();
        let untagged = Stamp::read(&sh, dir.path()).unwrap();
        assert_eq!(untagged.version, FALLBACK_VERSION);
        assert_eq!(untagged.commit.len(), 40);
        assert_eq!((untagged.epoch, untagged.date.as_str()), (1_700_000_000, "2023-11-14T22:13:20Z"));

        assert!(!untagged.dirty && !untagged.tagged);
        cmd!(sh, "git tag v1.4.0").run().unwrap();
        let tagged = Stamp::read(&sh, dir.path()).unwrap();
        assert_eq!((tagged.version.as_str(), tagged.tag.as_str()), ("1.4.0", "v1.4.0"));
        assert!(tagged.tagged && !tagged.dirty);
        std::fs::write(dir.path().join("f"), "y").unwrap();
        let dirty = Stamp::read(&sh, dir.path()).unwrap();
        assert_eq!(
            (dirty.version.as_str(), dirty.tag.as_str(), dirty.dirty, dirty.tagged),
            ("1.4.0-dirty", "v1.4.0", true, false)
        );
        std::fs::write(dir.path().join("f"), "x").unwrap();
        std::fs::write(dir.path().join("g"), "new").unwrap();
        cmd!(sh, "git add g").run().unwrap();
        cmd!(sh, "git commit -qm next").run().unwrap();
        let after = Stamp::read(&sh, dir.path()).unwrap();
        assert!(after.version.starts_with("1.4.0-1-g") && !after.tagged && !after.dirty, "{after:?}");
    }
}
