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

/// Detail (the host engine's go commands, the Dagger engine's own progress): shown with `--verbose`.
pub fn detail(line: impl AsRef<str>) {
    if verbose() {
        eprintln!("{}", line.as_ref());
    }
}

pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// Always shown (above the board, if one is drawn).
pub fn warn(line: impl AsRef<str>) {
    let mut board = BOARD.lock().unwrap();
    if let Some(b) = board.as_mut().filter(|b| b.drawn > 0) {
        // Erase the board; the next redraw puts it back below the warning.
        eprint!("\x1b[{}A\x1b[J", b.drawn);
        b.drawn = 0;
    }
    eprintln!("warning: {}", line.as_ref());
}

/// One target's state on the progress board.
pub enum Progress {
    Building,
    Built(f64),
    Failed,
}

/// The live board: one line per target with its state and elapsed time,
/// redrawn in place — only on a terminal, and not under `NO_COLOR`, `CI`
/// or `--quiet`, where plain lines are printed instead.
struct Board {
    rows: Vec<(String, String, Option<std::time::Instant>)>,
    drawn: usize,
}

static BOARD: std::sync::Mutex<Option<Board>> = std::sync::Mutex::new(None);

fn live() -> bool {
    use std::io::IsTerminal;
    // `--verbose` interleaves the engine's own lines: plain lines then.
    LEVEL.load(Ordering::Relaxed) == 1
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("CI").is_none()
}

/// Starts a board for these targets (a no-op unless the terminal is live).
pub fn board(targets: &[String]) -> Option<BoardGuard> {
    if !live() {
        return None;
    }
    let rows = targets.iter().map(|t| (t.clone(), "queued".to_owned(), None)).collect();
    *BOARD.lock().unwrap() = Some(Board { rows, drawn: 0 });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let painter = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            redraw();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    Some(BoardGuard { stop, painter: Some(painter) })
}

/// Stops the board (after a last redraw) when dropped.
pub struct BoardGuard {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    painter: Option<std::thread::JoinHandle<()>>,
}

impl Drop for BoardGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.painter.take() {
            let _ = p.join();
        }
        redraw();
        *BOARD.lock().unwrap() = None;
    }
}

fn redraw() {
    use std::io::Write;
    let mut board = BOARD.lock().unwrap();
    let Some(b) = board.as_mut() else { return };
    let width = b.rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut text = String::new();
    if b.drawn > 0 {
        text.push_str(&format!("\x1b[{}A", b.drawn));
    }
    for (target, state, since) in &b.rows {
        let clock = since.map(|s| format!(" {:.1} s", s.elapsed().as_secs_f64())).unwrap_or_default();
        text.push_str(&format!("\x1b[2K  {target:<width$}  {state}{clock}\n"));
    }
    b.drawn = b.rows.len();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Reports a target's progress: on the board, or as a plain line.
pub fn progress(target: &str, state: Progress) {
    let mut board = BOARD.lock().unwrap();
    if let Some(b) = board.as_mut() {
        if let Some(row) = b.rows.iter_mut().find(|r| r.0 == target) {
            match state {
                Progress::Building => {
                    row.1 = "building".into();
                    row.2 = Some(std::time::Instant::now());
                }
                Progress::Built(s) => {
                    row.1 = format!("built in {s:.1} s");
                    row.2 = None;
                }
                Progress::Failed => {
                    row.1 = "FAILED".into();
                    row.2 = None;
                }
            }
        }
        return;
    }
    drop(board);
    match state {
        Progress::Building => say(format!("  building {target}")),
        Progress::Built(s) => say(format!("  built {target} in {s:.1} s")),
        Progress::Failed => say(format!("  failed {target}")),
    }
}
