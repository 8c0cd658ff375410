//! Ctrl-C (SIGINT) and SIGTERM become a flag that the engines poll, so an
//! interrupted build unwinds normally: its children are stopped and the
//! staging directory is removed, leaving the previous `dist/` untouched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Replaces the default "die at once" handling of SIGINT and SIGTERM.
pub fn install() -> anyhow::Result<()> {
    let flag = FLAG.get_or_init(Arc::default);
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(flag))?;
    }
    #[cfg(windows)]
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(flag))?;
    Ok(())
}

pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

/// An error once an interrupt has arrived.
pub fn check() -> anyhow::Result<()> {
    if requested() {
        anyhow::bail!("interrupted");
    }
    Ok(())
}
