//! What the xtask prints while it works, at the chosen verbosity: progress
//! goes to stderr (stdout stays for what a command is asked to print, such
//! as `dist --dry-run`), and `--quiet` keeps only errors and warnings.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::flags::Verbosity;

static LEVEL: AtomicU8 = AtomicU8::new(1);

pub fn set(v: Verbosity) {
    LEVEL.store(
        match (v.quiet, v.verbose) {
            (true, _) => 0,
            (_, true) => 2,
            _ => 1,
        },
        Ordering::Relaxed,
    );
}

/// Progress: shown unless `--quiet`.
pub fn say(line: impl AsRef<str>) {
    if LEVEL.load(Ordering::Relaxed) >= 1 {
        eprintln!("{}", line.as_ref());
    }
}

/// Detail (the Dagger engine's own progress): shown with `--verbose`.
pub fn detail(line: impl AsRef<str>) {
    if verbose() {
        eprintln!("{}", line.as_ref());
    }
}

pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// Always shown.
pub fn warn(line: impl AsRef<str>) {
    eprintln!("warning: {}", line.as_ref());
}
