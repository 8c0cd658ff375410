//! Ctrl-C (SIGINT) and SIGTERM become a flag that the engines poll, so an
//! interrupted build unwinds normally: its children are stopped and the
//! staging directory is removed, leaving the previous `dist/` untouched. The
//! flag records which signal arrived, for the exit code (130 or 143).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;

/// The number of the last signal that arrived; 0 for none.
static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Replaces the default "die at once" handling of SIGINT and SIGTERM.
pub fn install() -> anyhow::Result<()> {
    let signal = SIGNAL.get_or_init(Arc::default);
    #[cfg(unix)]
    for number in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_usize(number, Arc::clone(signal), number as usize)?;
    }
    #[cfg(windows)]
    signal_hook::flag::register_usize(
        signal_hook::consts::SIGINT,
        Arc::clone(signal),
        signal_hook::consts::SIGINT as usize,
    )?;
    Ok(())
}

/// The signal that arrived, if one did.
fn received() -> Option<usize> {
    SIGNAL.get().map(|s| s.load(Ordering::SeqCst)).filter(|&n| n != 0)
}

pub fn requested() -> bool {
    received().is_some()
}

/// The shell's code for "stopped by" the signal that arrived: 128 + its
/// number, so 130 for SIGINT and 143 for SIGTERM.
pub fn exit_code() -> Option<i32> {
    received().map(|n| 128 + n as i32)
}

/// An error once an interrupt has arrived.
pub fn check() -> anyhow::Result<()> {
    if requested() {
        anyhow::bail!("interrupted");
    }
    Ok(())
}
