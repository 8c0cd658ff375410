//! How a command an engine ran went: `cargo xtask test`'s gofmt, vet and
//! test, and the probes of the `-X` variables.

/// How one command went.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub argv: Vec<String>,
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}
