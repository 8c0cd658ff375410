//! An evaluator for the part of Go's `text/template` that GoReleaser users write in archive and
//! checksum `name_template`s, so a template copied verbatim from a `.goreleaser.yml` gives
//! byte-identical file names. It is hand-written rather than built on `gtmpl` because gtmpl gets
//! GoReleaser's names wrong: its `eq` means "all equal" where Go's means "equal to any", and it
//! prints `<no value>` for a missing key where GoReleaser (`missingkey=error`) fails. The lexer
//! follows Go's `text/template/parse` rules (trim markers, comments, spaces) so whitespace comes
//! out exactly as Go's does; what it cannot match (variables, `range`, floats) it refuses.
//!
//! Text goes through [`lex`] (tokens), [`parse`] (nodes, functions checked) and [`exec`] (values);
//! each reports a message at a byte offset, which [`located`] turns into a line and column.

mod exec;
mod lex;
mod parse;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, Result};

use parse::Node;

/// A result whose error is a message at a byte offset of the template, made an [`anyhow::Error`]
/// by [`located`].
type Located<T> = std::result::Result<T, (usize, String)>;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
    fields: BTreeSet<String>,
}

/// Template data: field name -> value.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub fields: BTreeMap<String, String>,
    /// Boolean fields (`.IsSnapshot`): true or false in `if`, as in Go.
    pub bools: BTreeMap<String, bool>,
    pub env: BTreeMap<String, String>,
}

impl Template {
    /// Parses `text`; errors name the problem and its column.
    pub fn parse(text: &str) -> Result<Template> {
        let (nodes, fields) = parse::parse(text).map_err(|(pos, msg)| located(text, pos, &msg))?;
        Ok(Template { source: text.to_string(), nodes, fields })
    }

    pub fn render(&self, data: &Data) -> Result<String> {
        exec::execute(data, &self.nodes).map_err(|(pos, msg)| located(&self.source, pos, &msg))
    }

    #[cfg(test)]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Field names used anywhere in the template, e.g. ["Arch", "Os"] (for validation).
    /// Only the first name of a chain counts: `.Env.FOO` gives "Env".
    pub fn fields(&self) -> Vec<String> {
        self.fields.iter().cloned().collect()
    }
}

/// Formats an error at byte offset `pos` of `src`. The source is shown on one line so a
/// multi-line template still gives a one-line message.
fn located(src: &str, pos: usize, msg: &str) -> anyhow::Error {
    let pos = pos.min(src.len());
    let before = &src[..pos];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let at = if src.contains('\n') {
        format!("line {}, column {column}", before.matches('\n').count() + 1)
    } else {
        format!("column {column}")
    };
    anyhow!("template {}: {at}: {msg}", src.replace('\n', "\\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn data(fields: &[(&str, &str)]) -> Data {
        Data {
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            bools: BTreeMap::new(),
            env: BTreeMap::new(),
        }
    }

    /// GoReleaser's fields for one target: every per-target key is present, empty when unused.
    fn target(os: &str, arch: &str, arm: &str, amd64: &str) -> Data {
        data(&[
            ("ProjectName", "hello"),
            ("Version", "1.2.3"),
            ("Os", os),
            ("Arch", arch),
            ("Arm", arm),
            ("Amd64", amd64),
            ("Mips", ""),
        ])
    }

    pub(super) fn render(t: &str, d: &Data) -> String {
        Template::parse(t).unwrap().render(d).unwrap()
    }

    pub(super) fn parse_err(t: &str) -> String {
        Template::parse(t).unwrap_err().to_string()
    }

    pub(super) fn render_err(t: &str, d: &Data) -> String {
        Template::parse(t).unwrap().render(d).unwrap_err().to_string()
    }

    const DEFAULT_ARCHIVE: &str = "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 \"v1\") }}{{ .Amd64 }}{{ end }}";

    const INIT_ARCHIVE: &str = "{{ .ProjectName }}_
{{- title .Os }}_
{{- if eq .Arch \"amd64\" }}x86_64
{{- else if eq .Arch \"386\" }}i386
{{- else }}{{ .Arch }}{{ end }}
{{- if .Arm }}v{{ .Arm }}{{ end }}";

    #[test]
    fn boolean_fields_are_false_in_if_and_print_as_go_prints_them() {
        let mut d = data(&[("Version", "1.2.3")]);
        d.bools.insert("IsSnapshot".into(), false);
        d.bools.insert("IsNightly".into(), true);
        let t =
            Template::parse("{{ if .IsSnapshot }}snap{{ else }}rel{{ end }} {{ .IsNightly }} {{ not .IsSnapshot }}")
                .unwrap();
        assert_eq!(t.render(&d).unwrap(), "rel true true");
        let err = Template::parse("{{ .IsSnapshoot }}").unwrap().render(&d).unwrap_err().to_string();
        assert!(err.contains("did you mean .IsSnapshot?"), "{err}");
    }

    #[test]
    fn goreleaser_default_archive_name() {
        let t = Template::parse(DEFAULT_ARCHIVE).unwrap();
        assert_eq!(t.render(&target("linux", "amd64", "", "v1")).unwrap(), "hello_1.2.3_linux_amd64");
        assert_eq!(t.render(&target("darwin", "arm64", "", "")).unwrap(), "hello_1.2.3_darwin_arm64");
        assert_eq!(t.render(&target("linux", "arm", "7", "")).unwrap(), "hello_1.2.3_linux_armv7");
        assert_eq!(t.render(&target("linux", "amd64", "", "v3")).unwrap(), "hello_1.2.3_linux_amd64v3");
        let mut mips = target("linux", "mips", "", "");
        mips.fields.insert("Mips".into(), "softfloat".into());
        assert_eq!(t.render(&mips).unwrap(), "hello_1.2.3_linux_mips_softfloat");
        assert_eq!(t.fields(), ["Amd64", "Arch", "Arm", "Mips", "Os", "ProjectName", "Version"]);
        assert_eq!(t.source(), DEFAULT_ARCHIVE);
    }

    #[test]
    fn goreleaser_init_archive_name() {
        let t = Template::parse(INIT_ARCHIVE).unwrap();
        assert_eq!(t.render(&target("linux", "amd64", "", "v1")).unwrap(), "hello_Linux_x86_64");
        assert_eq!(t.render(&target("darwin", "arm64", "", "")).unwrap(), "hello_Darwin_arm64");
        assert_eq!(t.render(&target("windows", "386", "", "")).unwrap(), "hello_Windows_i386");
        assert_eq!(t.render(&target("linux", "arm", "6", "")).unwrap(), "hello_Linux_armv6");
        assert_eq!(t.render(&target("freebsd", "riscv64", "", "")).unwrap(), "hello_Freebsd_riscv64");
    }

    #[test]
    fn goreleaser_default_checksum_name() {
        let d = target("linux", "amd64", "", "v1");
        assert_eq!(render("{{ .ProjectName }}_{{ .Version }}_checksums.txt", &d), "hello_1.2.3_checksums.txt");
    }

    #[test]
    fn fields_lists_first_names() {
        let t = Template::parse(
            "{{ .Env.FOO }}{{ with .Arm }}{{ $.Os }}{{ . }}{{ end }}{{ if (eq .Arch \"x\") }}{{ end }}",
        )
        .unwrap();
        assert_eq!(t.fields(), ["Arch", "Arm", "Env", "Os"]);
    }
}
