//! SBOMs (SPDX 2.3 and CycloneDX 1.6 JSON) from the Go build info embedded in each binary
//! (`buildinfo`). [`spdx_json`] and [`cyclonedx_json`] describe one release file,
//! its Go binaries and every module they were built from. Both are reproducible: the only time is
//! the commit date, and every ID is derived from content, never from the order of the input.
//!
//! Where things are: a module's raw `h1:` sum is the property `golang:sum` (CycloneDX), the line
//! `golang:sum=h1:…` of the package's `comment` (SPDX; binaries' comments hold their
//! `golang:target`, `golang:version`, `golang:path` and `golang:build:KEY` the same way). A replaced
//! module has `golang:replaced-by` (its replacement's ID), the replacement `golang:replaces`; in SPDX
//! also the relationship `replacement VARIANT_OF original`. A binary depends on the modules it
//! was built with (replacements, not what they replace) and, in SPDX, is GENERATED_FROM its main
//! module.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::buildinfo::{BuildInfo, Module};
use crate::digest::sha256_hex;

/// One Go binary inside the file the document describes.
pub struct Contained<'a> {
    /// Its file name in the release file, e.g. `hello` or `hello.exe`.
    pub name: &'a str,
    /// `linux/amd64`, `linux/arm/v7`
    pub target: &'a str,
    /// Hex SHA-256 of the binary.
    pub sha256: &'a str,
    pub info: &'a BuildInfo,
}

pub struct Document<'a> {
    /// The release file's name, e.g. `hello_1.2.3_linux_amd64.tar.gz`.
    pub subject: &'a str,
    pub subject_sha256: &'a str,
    pub project: &'a str,
    /// The release version, `1.2.3`.
    pub version: &'a str,
    /// The commit date, RFC 3339 UTC: the only time in the documents.
    pub created: &'a str,
    /// The repository's web URL, or "" when unknown.
    pub source: &'a str,
    pub binaries: Vec<Contained<'a>>,
}

const TOOL: &str = "cargo-xtask-dist";

/// A module's identity: the same path, version and sum in several binaries is one module.
type Key<'a> = (&'a str, &'a str, Option<&'a str>);

fn key(m: &Module) -> Key<'_> {
    (&m.path, &m.version, m.sum.as_deref().filter(|s| !s.is_empty()))
}

/// What both formats say, with IDs (an SPDXID is `SPDXRef-` and one).
struct Graph<'d> {
    subject: String,
    /// Sorted by target, name, ID.
    binaries: Vec<Bin<'d>>,
    modules: BTreeMap<Key<'d>, Links<'d>>,
}

struct Bin<'d> {
    id: String,
    c: &'d Contained<'d>,
    main: Option<Key<'d>>,
    /// The modules linked in: each dep, or its replacement.
    uses: BTreeSet<Key<'d>>,
}

#[derive(Default)]
struct Links<'d> {
    replaced_by: BTreeSet<Key<'d>>,
    replaces: BTreeSet<Key<'d>>,
}

fn graph<'d>(doc: &'d Document) -> Graph<'d> {
    let mut modules: BTreeMap<Key, Links> = BTreeMap::new();
    let mut binaries: Vec<Bin> = doc
        .binaries
        .iter()
        .map(|c| {
            let main = Some(key(&c.info.main)).filter(|m| !m.0.is_empty());
            modules.extend(main.map(|m| (m, Links::default())));
            let mut uses = BTreeSet::new();
            for dep in &c.info.deps {
                let original = key(&dep.module);
                modules.entry(original).or_default();
                let used = match &dep.replace {
                    None => original,
                    Some(r) => {
                        let r = key(r);
                        modules.entry(original).or_default().replaced_by.insert(r);
                        modules.entry(r).or_default().replaces.insert(original);
                        r
                    }
                };
                uses.insert(used);
            }
            Bin { id: id("Binary", c.name, &[c.name, c.target, &c.sha256.to_ascii_lowercase()]), c, main, uses }
        })
        .collect();
    binaries.sort_by(|a, b| (a.c.target, a.c.name, &a.id).cmp(&(b.c.target, b.c.name, &b.id)));
    binaries.dedup_by(|a, b| a.id == b.id);
    let subject = id("File", doc.subject, &[doc.subject, &doc.subject_sha256.to_ascii_lowercase()]);
    Graph { subject, binaries, modules }
}

/// `{kind}-{name, sanitized}-{12 hex digits of a SHA-256 of the fields}`: readable, stable, and
/// distinct unless the fields are equal.
fn id(kind: &str, name: &str, fields: &[&str]) -> String {
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    format!("{kind}-{name}-{}", &sha256_hex(fields.join("\0").as_bytes())[..12])
}

fn module_id(k: Key) -> String {
    id("GoModule", k.0, &[k.0, k.1, k.2.unwrap_or("")])
}

fn binary_properties(c: &Contained) -> Vec<(String, String)> {
    let i = c.info;
    let mut p = vec![
        ("golang:target".to_string(), c.target.to_string()),
        ("golang:version".to_string(), i.go_version.clone()),
        ("golang:path".to_string(), i.path.clone()),
    ];
    p.extend(i.settings.iter().map(|(k, v)| (format!("golang:build:{k}"), v.clone())));
    p
}

/// `golang:sum`, and the replacement links as IDs of the format (`refer`).
fn module_properties(k: Key, links: &Links, refer: impl Fn(Key) -> String) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = k.2.map(|s| ("golang:sum".to_string(), s.to_string())).into_iter().collect();
    p.extend(links.replaced_by.iter().map(|&r| ("golang:replaced-by".to_string(), refer(r))));
    p.extend(links.replaces.iter().map(|&r| ("golang:replaces".to_string(), refer(r))));
    p
}

/// `pkg:golang/<path>[@<version>]`, each part percent-encoded (`+incompatible` → `%2Bincompatible`);
/// none for a local directory (a replacement's `../lib`, `C:\lib`), which has no purl. The path
/// keeps its case: Go module paths are case-sensitive.
fn purl(path: &str, version: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    if path.contains('\\')
        || path.as_bytes().get(1) == Some(&b':')
        || segments.iter().any(|s| ["", ".", ".."].contains(s))
    {
        return None;
    }
    let mut purl = format!("pkg:golang/{}", segments.iter().map(|s| percent(s)).collect::<Vec<_>>().join("/"));
    if !version.is_empty() && version != "(devel)" {
        purl = format!("{purl}@{}", percent(version));
    }
    Some(purl)
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The SHA-256 an `h1:` sum is the base64 of, in hex (as syft reports it).
fn h1_hex(sum: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(sum.strip_prefix("h1:")?).ok()?;
    (bytes.len() == 32).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("a JSON value always serializes") + "\n"
}

/// A release file's one line about what it is part of.
fn summary(doc: &Document) -> String {
    format!("Part of the {} {} release", doc.project, doc.version)
}

pub fn spdx_json(doc: &Document) -> String {
    let g = graph(doc);
    let r = |id: &str| format!("SPDXRef-{id}");
    let package =
        |id: &str, name: &str, version: &str, sha: Option<String>, purpose: &str, props: Vec<(String, String)>| {
            let mut p = json!({
                "SPDXID": r(id), "name": name, "downloadLocation": "NOASSERTION", "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": purpose,
            });
            if !version.is_empty() {
                p["versionInfo"] = json!(version);
            }
            if let Some(sha) = sha {
                p["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": sha.to_ascii_lowercase() }]);
            }
            if !props.is_empty() {
                // One `name=value` a line; a line break in a value (a strange -ldflags) is escaped.
                let lines: Vec<String> =
                    props.iter().map(|(k, v)| format!("{k}={}", v.replace('\n', "\\n").replace('\r', "\\r"))).collect();
                p["comment"] = json!(lines.join("\n"));
            }
            p
        };

    let mut subject = package(&g.subject, doc.subject, doc.version, Some(doc.subject_sha256.into()), "FILE", vec![]);
    subject["packageFileName"] = json!(doc.subject);
    subject["summary"] = json!(summary(doc));
    if let Some(source) = web_source(doc) {
        subject["homepage"] = json!(source);
    }
    let mut packages = vec![subject];
    for b in &g.binaries {
        let mut p =
            package(&b.id, b.c.name, doc.version, Some(b.c.sha256.into()), "APPLICATION", binary_properties(b.c));
        p["packageFileName"] = json!(b.c.name);
        packages.push(p);
    }
    for (&k, links) in &g.modules {
        let props = module_properties(k, links, |m| r(&module_id(m)));
        let mut p = package(&module_id(k), k.0, k.1, k.2.and_then(h1_hex), "LIBRARY", props);
        if let Some(purl) = purl(k.0, k.1) {
            p["externalRefs"] =
                json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl }]);
        }
        packages.push(p);
    }

    let mut rels = BTreeSet::new();
    for b in &g.binaries {
        rels.insert((r(&g.subject), "CONTAINS", r(&b.id), None));
        if let Some(m) = b.main {
            rels.insert((r(&b.id), "GENERATED_FROM", r(&module_id(m)), None));
        }
        rels.extend(b.uses.iter().map(|&m| (r(&b.id), "DEPENDS_ON", r(&module_id(m)), None)));
    }
    for (&k, links) in &g.modules {
        for &original in &links.replaces {
            let why = format!("replaces {} {} (a go.mod replace directive)", original.0, original.1);
            rels.insert((r(&module_id(k)), "VARIANT_OF", r(&module_id(original)), Some(why)));
        }
    }
    let rel = |a: &str, t: &str, b: &str| json!({ "spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b });
    let mut relationships = vec![rel("SPDXRef-DOCUMENT", "DESCRIBES", &r(&g.subject))];
    relationships.extend(rels.into_iter().map(|(a, t, b, why)| {
        let mut v = rel(&a, t, &b);
        if let Some(why) = why {
            v["comment"] = json!(why);
        }
        v
    }));

    pretty(&json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": doc.subject,
        "documentNamespace": namespace(doc),
        "creationInfo": { "created": doc.created, "creators": [format!("Tool: {TOOL}")] },
        "packages": packages,
        "relationships": relationships,
    }))
}

/// The repository's URL, when it is one a validator accepts.
fn web_source<'a>(doc: &Document<'a>) -> Option<&'a str> {
    let source = doc.source.trim_end_matches('/');
    let web = (source.starts_with("https://") || source.starts_with("http://")) && !source.contains(['#', '?', ' ']);
    web.then_some(source)
}

/// A URI unique to the described file, without '#': under the repository when known.
fn namespace(doc: &Document) -> String {
    let base = web_source(doc).unwrap_or("https://spdx.org/spdxdocs");
    format!("{base}/sbom/{}-{}", percent(doc.subject), doc.subject_sha256.to_ascii_lowercase())
}

/// `urn:uuid:` of a version 8 (custom) UUID made from a SHA-256 of the file's name and digest.
fn serial_number(doc: &Document) -> String {
    let hash = Sha256::digest(format!("{}\0{}", doc.subject, doc.subject_sha256.to_ascii_lowercase()));
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = b[6] & 0x0f | 0x80;
    b[8] = b[8] & 0x3f | 0x80; // RFC 4122 variant
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("urn:uuid:{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub fn cyclonedx_json(doc: &Document) -> String {
    let g = graph(doc);
    let hashes = |hex: &str| json!([{ "alg": "SHA-256", "content": hex.to_ascii_lowercase() }]);
    let properties = |p: Vec<(String, String)>| -> Value {
        p.into_iter().map(|(name, value)| json!({ "name": name, "value": value })).collect()
    };

    let mut subject = json!({
        "type": "file", "bom-ref": g.subject, "name": doc.subject, "version": doc.version,
        "description": summary(doc), "hashes": hashes(doc.subject_sha256),
    });
    if let Some(source) = web_source(doc) {
        subject["externalReferences"] = json!([{ "type": "vcs", "url": source }]);
    }
    let mut components = Vec::new();
    let contained: BTreeSet<&String> = g.binaries.iter().map(|b| &b.id).collect();
    let mut dependencies = vec![json!({ "ref": g.subject, "dependsOn": contained })];
    for b in &g.binaries {
        components.push(json!({
            "type": "application", "bom-ref": b.id, "name": b.c.name, "version": doc.version,
            "hashes": hashes(b.c.sha256), "properties": properties(binary_properties(b.c)),
        }));
        let uses: BTreeSet<String> = b.main.iter().chain(&b.uses).map(|&m| module_id(m)).collect();
        dependencies.push(json!({ "ref": b.id, "dependsOn": uses }));
    }
    for (&k, links) in &g.modules {
        let id = module_id(k);
        let mut c = json!({ "type": "library", "bom-ref": id, "name": k.0 });
        if !k.1.is_empty() {
            c["version"] = json!(k.1);
        }
        if let Some(purl) = purl(k.0, k.1) {
            c["purl"] = json!(purl);
        }
        if let Some(hex) = k.2.and_then(h1_hex) {
            c["hashes"] = hashes(&hex);
        }
        let props = module_properties(k, links, module_id);
        if !props.is_empty() {
            c["properties"] = properties(props);
        }
        components.push(c);
        dependencies.push(json!({ "ref": id }));
    }

    pretty(&json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(doc),
        "version": 1,
        "metadata": {
            "timestamp": doc.created,
            "tools": { "components": [{ "type": "application", "name": TOOL }] },
            "component": subject,
        },
        "components": components,
        "dependencies": dependencies,
    }))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::release::buildinfo::tests::{h1, m, sample};
    use crate::release::buildinfo::Dep;

    const CREATED: &str = "2023-11-14T22:13:20Z";

    #[test]
    fn purls_are_percent_encoded_and_local_directories_have_none() {
        assert_eq!(
            purl("github.com/Old/Mod", "v0.1.0+incompatible").unwrap(),
            "pkg:golang/github.com/Old/Mod@v0.1.0%2Bincompatible"
        );
        assert_eq!(purl("example.com/hello", "(devel)").unwrap(), "pkg:golang/example.com/hello");
        assert_eq!(purl("example.com/hello", "").unwrap(), "pkg:golang/example.com/hello");
        for local in ["../lib", "./lib", "/abs/lib", "C:\\lib", ".\\lib"] {
            assert_eq!(purl(local, "(devel)"), None, "{local}");
        }
        assert_eq!(h1_hex(&h1(1)).unwrap(), "01".repeat(32));
        assert_eq!(h1_hex("h1:short="), None);
    }

    fn document<'a>(subject: &'a str, binaries: Vec<Contained<'a>>) -> Document<'a> {
        Document {
            subject,
            subject_sha256: "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
            project: "hello",
            version: "1.2.3",
            created: CREATED,
            source: "https://github.com/o/r",
            binaries,
        }
    }

    /// The sample for linux/amd64, and a darwin/arm64 one that shares most modules and adds one.
    fn two() -> (BuildInfo, BuildInfo) {
        let linux = sample();
        let mut darwin = linux.clone();
        darwin.settings.iter_mut().filter(|(k, _)| k == "GOOS").for_each(|(_, v)| *v = "darwin".into());
        darwin.deps.push(Dep { module: m("golang.org/x/sys", "v0.30.0", Some(h1(3))), replace: None });
        (linux, darwin)
    }

    const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    /// The `name=value` lines of an SPDX package's comment named `name`.
    fn comment<'v>(p: &'v Value, name: &str) -> Vec<&'v str> {
        let lines = p["comment"].as_str().unwrap_or("").lines();
        lines.filter_map(|l| l.split_once('=')).filter(|(k, _)| *k == name).map(|(_, v)| v).collect()
    }

    fn property<'v>(c: &'v Value, name: &str) -> Vec<&'v str> {
        let props = c["properties"].as_array().map(|a| a.as_slice()).unwrap_or(&[]);
        props.iter().filter(|p| p["name"] == name).map(|p| p["value"].as_str().unwrap()).collect()
    }

    /// Every module of `info` is once in each document, with its version and sum.
    fn modules_are_in_both(doc: &Document, info: &BuildInfo) {
        let (spdx, cdx) = (json(&spdx_json(doc)), json(&cyclonedx_json(doc)));
        let modules = std::iter::once(&info.main)
            .chain(info.deps.iter().flat_map(|d| [Some(&d.module), d.replace.as_ref()]).flatten());
        for module in modules {
            let sum: Vec<&str> = module.sum.iter().map(|s| s.as_str()).collect();
            let hex = module.sum.as_deref().and_then(h1_hex);
            let packages: Vec<&Value> = spdx["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| {
                    p["name"] == module.path.as_str() && p["versionInfo"].as_str().unwrap_or("") == module.version
                })
                .collect();
            assert_eq!(packages.len(), 1, "SPDX {module:?}");
            assert_eq!(comment(packages[0], "golang:sum"), sum);
            assert_eq!(packages[0]["checksums"][0]["checksumValue"].as_str().map(String::from), hex);
            let components: Vec<&Value> = cdx["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["name"] == module.path.as_str() && c["version"].as_str().unwrap_or("") == module.version)
                .collect();
            assert_eq!(components.len(), 1, "CycloneDX {module:?}");
            assert_eq!(property(components[0], "golang:sum"), sum);
            assert_eq!(components[0]["hashes"][0]["content"].as_str().map(String::from), hex);
        }
    }

    #[test]
    fn documents_are_reproducible_and_hold_every_module_once() {
        let (linux, darwin) = two();
        let bins = |order: &[usize]| {
            let all = [
                Contained { name: "hello", target: "linux/amd64", sha256: SHA_A, info: &linux },
                Contained { name: "hello", target: "darwin/arm64", sha256: SHA_B, info: &darwin },
            ];
            all.into_iter().enumerate().filter(|(i, _)| order.contains(i)).map(|(_, c)| c).collect::<Vec<_>>()
        };
        let doc = document("hello_1.2.3.zip", bins(&[0, 1]));
        let mut reversed = document("hello_1.2.3.zip", bins(&[0, 1]));
        reversed.binaries.reverse();
        for f in [spdx_json, cyclonedx_json] {
            assert_eq!(f(&doc), f(&doc));
            assert_eq!(f(&doc), f(&reversed));
            assert!(f(&doc).ends_with("}\n"));
        }
        modules_are_in_both(&doc, &linux);
        modules_are_in_both(&doc, &darwin);
        let spdx = spdx_json(&doc);
        assert!(spdx.contains(CREATED));
        assert_eq!(spdx.matches("\"name\": \"github.com/x/y\"").count(), 1);
    }

    #[test]
    fn ids_are_valid_unique_and_links_can_be_followed() {
        let info = sample();
        let doc = document(
            "hello_1.2.3_linux_amd64.tar.gz",
            vec![Contained { name: "hello", target: "linux/amd64", sha256: SHA_A, info: &info }],
        );
        let (spdx, cdx) = (json(&spdx_json(&doc)), json(&cyclonedx_json(&doc)));

        let ids: BTreeSet<&str> =
            spdx["packages"].as_array().unwrap().iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), spdx["packages"].as_array().unwrap().len());
        for id in &ids {
            let rest = id.strip_prefix("SPDXRef-").unwrap();
            assert!(rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'), "{id}");
        }
        assert!(!spdx["documentNamespace"].as_str().unwrap().contains('#'));
        let spdx_id = |name: &str| {
            let p = spdx["packages"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
            p["SPDXID"].as_str().unwrap().to_string()
        };
        let has = |a: &str, t: &str, b: &str| {
            spdx["relationships"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["spdxElementId"] == a && r["relationshipType"] == t && r["relatedSpdxElement"] == b)
        };
        let (bin, old, new, lib, dir) = (
            spdx_id("hello"),
            spdx_id("github.com/Old/Mod"),
            spdx_id("github.com/new/mod"),
            spdx_id("example.com/lib"),
            spdx_id("../lib"),
        );
        assert!(has("SPDXRef-DOCUMENT", "DESCRIBES", &spdx_id(doc.subject)));
        assert!(has(&spdx_id(doc.subject), "CONTAINS", &bin));
        assert!(has(&bin, "GENERATED_FROM", &spdx_id("example.com/hello")));
        assert!(has(&bin, "DEPENDS_ON", &new) && has(&bin, "DEPENDS_ON", &dir) && !has(&bin, "DEPENDS_ON", &old));
        assert!(has(&new, "VARIANT_OF", &old) && has(&dir, "VARIANT_OF", &lib));
        let dir_package = spdx["packages"].as_array().unwrap().iter().find(|p| p["name"] == "../lib").unwrap();
        assert!(dir_package.get("externalRefs").is_none());
        assert_eq!(comment(dir_package, "golang:replaces"), [lib.as_str()]);

        let components = cdx["components"].as_array().unwrap();
        let refs: BTreeSet<&str> = components.iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
        assert_eq!(refs.len(), components.len());
        let cdx_ref = |name: &str| components.iter().find(|c| c["name"] == name).unwrap();
        let old = cdx_ref("github.com/Old/Mod");
        assert_eq!(property(old, "golang:replaced-by"), [cdx_ref("github.com/new/mod")["bom-ref"].as_str().unwrap()]);
        assert_eq!(old["purl"], "pkg:golang/github.com/Old/Mod@v0.1.0%2Bincompatible");
        assert!(cdx_ref("../lib").get("purl").is_none());
        assert_eq!(property(cdx_ref("hello"), "golang:build:-ldflags"), ["-s -w -X main.version=1.2.3"]);

        let serial = cdx["serialNumber"].as_str().unwrap().strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<&str> = serial.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('8') && "89ab".contains(&groups[3][..1]));
    }

    /// The synthetic documents (a module with its h1 sum, a `+incompatible` version, a module and a
    /// directory replacement, two platforms) through the validators `.ci/run` installs (tests/supply.rs
    /// validates real releases, whose vendored modules have no sums).
    #[test]
    #[ignore = "needs pyspdxtools and cyclonedx-python-lib (.ci/run installs them: XTASK_PYSPDXTOOLS, XTASK_SBOM_PYTHON)"]
    fn synthetic_documents_pass_the_validators() {
        let dir = tempfile::tempdir().unwrap();
        let (linux, darwin) = two();
        let one = document(
            "hello_1.2.3_linux_amd64.tar.gz",
            vec![Contained { name: "hello", target: "linux/amd64", sha256: SHA_A, info: &linux }],
        );
        let mut both = document(
            "hello_1.2.3_image.tar",
            vec![
                Contained { name: "hello", target: "linux/amd64", sha256: SHA_A, info: &linux },
                Contained { name: "hello", target: "darwin/arm64", sha256: SHA_B, info: &darwin },
            ],
        );
        both.source = "";
        let var = |v: &str| std::env::var(v).unwrap_or_else(|_| panic!("{v} names the validator (.ci/run sets it)"));
        let cdx = "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import \
                   JsonStrictValidator\nerr = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
                   sys.exit(str(err) if err else 0)\n";
        for (name, doc) in [("one", &one), ("two", &both)] {
            let spdx = dir.path().join(format!("{name}.spdx.json"));
            let cyclonedx = dir.path().join(format!("{name}.cdx.json"));
            std::fs::write(&spdx, spdx_json(doc)).unwrap();
            std::fs::write(&cyclonedx, cyclonedx_json(doc)).unwrap();
            let out = Command::new(var("XTASK_PYSPDXTOOLS")).arg("--infile").arg(&spdx).output().unwrap();
            assert!(out.status.success() && out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
            let out = Command::new(var("XTASK_SBOM_PYTHON")).args(["-c", cdx]).arg(&cyclonedx).output().unwrap();
            assert!(out.status.success(), "{name}.cdx.json: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
