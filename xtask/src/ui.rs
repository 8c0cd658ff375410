//! What the xtask prints while it works, at the chosen verbosity: progress
//! goes to stderr (stdout stays for what a command is asked to print, such
//! as `dist --dry-run`), and `--quiet` keeps only errors and warnings.
//!
//! This module alone writes terminal control sequences: [`live`] decides
//! once whether stderr redraws lines in place, for the board of targets and
//! for a [`ProgressLine`] alike.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use crate::flags::Verbosity;

static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Whether the last line on stderr is a [`ProgressLine`]'s, which its next update may replace.
static REPLACEABLE: AtomicBool = AtomicBool::new(false);

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
        REPLACEABLE.store(false, Ordering::Relaxed);
        eprintln!("{}", line.as_ref());
    }
}

/// Detail (the host engine's go commands, the Dagger engine's own progress): shown with `--verbose`.
pub fn detail(line: impl AsRef<str>) {
    if verbose() {
        REPLACEABLE.store(false, Ordering::Relaxed);
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
    REPLACEABLE.store(false, Ordering::Relaxed);
    eprintln!("warning: {}", line.as_ref());
}

/// Go's output with its file positions made relative to where the user stands
/// ([`crate::project::start_dir`]) instead of `module`, where the go commands ran.
pub fn paths_from_here(text: &str, module: &Path) -> String {
    match crate::project::start_dir() {
        // Both as the kernel sees them: getcwd gives the real path.
        Some(here) => paths_from(text, &std::fs::canonicalize(module).unwrap_or_else(|_| module.to_owned()), here),
        None => text.to_owned(),
    }
}

/// `text` with the file paths that start its lines — positions such as
/// `cmd/hello/main.go:9:2: …` or `vet: ./main.go:9: …`, and gofmt's bare
/// `cmd/hello/main.go` lines — read relative to `module` and rewritten
/// relative to `here`, so they can be opened from there. Absolute paths and
/// every other line are left as they are. `module` and `here` are absolute.
pub fn paths_from(text: &str, module: &Path, here: &Path) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\n', '\r']);
            let (prefix, rest) = body.strip_prefix("vet: ").map_or(("", body), |r| ("vet: ", r));
            // The path ends at the first `.go` followed by `:LINE:`, or (gofmt -l) at the line's end.
            let end = rest.match_indices(".go:").map(|(i, _)| i + 3).find(|&i| is_position(&rest[i..]));
            let end = end.or((rest.ends_with(".go") && prefix.is_empty()).then_some(rest.len()));
            let Some(end) = end else { return line.to_owned() };
            let path = Path::new(&rest[..end]);
            // Go quotes nothing: a path with a space or colon is more likely prose.
            if path.has_root() || path.is_absolute() || rest[..end].contains(|c: char| c.is_whitespace() || c == ':') {
                return line.to_owned();
            }
            let Some(from_here) = relative(&module.join(path), here) else { return line.to_owned() };
            format!("{prefix}{}{}", from_here.display(), &line[prefix.len() + end..])
        })
        .collect()
}

/// Whether `s` starts with `:LINE:` (then a column, or the message).
fn is_position(s: &str) -> bool {
    let Some(s) = s.strip_prefix(':') else { return false };
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && s[digits..].starts_with(':')
}

/// `path` relative to `from` (both absolute), `..` and `.` resolved by name.
fn relative(path: &Path, from: &Path) -> Option<PathBuf> {
    let (path, from) = (normal(path), normal(from));
    // Another drive (Windows): no relative path.
    if path.first().is_none_or(|c| from.first() != Some(c)) {
        return None;
    }
    let common = path.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut rel: PathBuf = from[common..].iter().map(|_| Component::ParentDir).collect();
    rel.extend(&path[common..]);
    Some(rel)
}

/// The components of `p` with `.` dropped and `..` applied by name.
fn normal(p: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// One target's state on the progress board.
pub enum Progress {
    Building,
    Built(f64),
    Failed,
}

/// The live board: one line per target with its state and elapsed time,
/// redrawn in place when [`live`]; plain lines are printed instead.
struct Board {
    rows: Vec<(String, String, Option<std::time::Instant>)>,
    drawn: usize,
}

static BOARD: std::sync::Mutex<Option<Board>> = std::sync::Mutex::new(None);

/// Whether stderr redraws lines in place (the board, a [`ProgressLine`]):
/// on a terminal that can ([`redraws`]), at the default verbosity only:
/// `--verbose` interleaves the engine's own lines, `--quiet` shows no progress.
fn live() -> bool {
    use std::io::IsTerminal;
    // Neither the terminal nor the environment changes during a run: looked at once.
    static TERMINAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let terminal = *TERMINAL.get_or_init(|| redraws(std::io::stderr().is_terminal(), |key| std::env::var_os(key)));
    terminal && LEVEL.load(Ordering::Relaxed) == 1
}

/// Whether a terminal (`is_terminal`) in this environment gets lines redrawn
/// in place: not under `NO_COLOR` or `CI` (a log keeps every byte), nor `TERM=dumb`.
fn redraws(is_terminal: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    is_terminal && var("NO_COLOR").is_none() && var("CI").is_none() && var("TERM").is_none_or(|t| t != "dumb")
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

/// One line of progress for a long step ("fetching Go …: 34/71 MB"): when
/// [`live`], each update replaces the line before; else an update is a new
/// line, at most every 3 s. Nothing under `--quiet`.
pub struct ProgressLine {
    live: bool,
    last: Instant,
    printed: bool,
}

impl ProgressLine {
    /// Shows `line` at once.
    pub fn start(line: impl AsRef<str>) -> ProgressLine {
        let mut p = ProgressLine { live: live(), last: Instant::now(), printed: false };
        p.print(line.as_ref());
        p
    }

    /// Shows the line `line` makes, unless the last was shown less than 200 ms
    /// (live) or 3 s ago.
    pub fn update(&mut self, line: impl FnOnce() -> String) {
        if self.due(Instant::now()) {
            self.print(&line());
        }
    }

    /// Shows the final `line`, however recent the last.
    pub fn finish(&mut self, line: impl AsRef<str>) {
        self.print(line.as_ref());
    }

    fn due(&mut self, now: Instant) -> bool {
        let every = if self.live { Duration::from_millis(200) } else { Duration::from_secs(3) };
        let due = now.saturating_duration_since(self.last) >= every;
        if due {
            self.last = now;
        }
        due
    }

    fn print(&mut self, line: &str) {
        if LEVEL.load(Ordering::Relaxed) >= 1 {
            let text = self.text(line, REPLACEABLE.load(Ordering::Relaxed));
            eprintln!("{text}");
            REPLACEABLE.store(true, Ordering::Relaxed);
        }
    }

    /// `line` as written: when live, after cursor up and clear line, so that it
    /// replaces this line's last one if nothing was printed since (`replaceable`).
    fn text(&mut self, line: &str, replaceable: bool) -> String {
        let replace = if self.live && self.printed && replaceable { "\x1b[1A\x1b[2K" } else { "" };
        self.printed = true;
        format!("{replace}{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `go build`, `go vet` and `go test` print, one kind of line each.
    const GO_OUTPUT: &str = "# example.com/hello/cmd/hello\n\
                             cmd/hello/main.go:9:2: undefined: x\n\
                             ./main.go:4:2: undefined: y\n\
                             vet: ./main.go:4: missing return\n\
                             /usr/lib/go/src/fmt/print.go:12:1: absolute\n\
                             --- FAIL: TestHello (0.00s)\n\
                             \x20   main_test.go:5: boom\n\
                             note: module requires Go 1.27\n";

    #[test]
    fn a_module_in_a_folder_seen_from_the_root() {
        assert_eq!(
            paths_from(GO_OUTPUT, Path::new("/repo/app"), Path::new("/repo")),
            "# example.com/hello/cmd/hello\n\
             app/cmd/hello/main.go:9:2: undefined: x\n\
             app/main.go:4:2: undefined: y\n\
             vet: app/main.go:4: missing return\n\
             /usr/lib/go/src/fmt/print.go:12:1: absolute\n\
             --- FAIL: TestHello (0.00s)\n\
             \x20   main_test.go:5: boom\n\
             note: module requires Go 1.27\n"
        );
    }

    #[test]
    fn a_module_at_the_root_seen_from_the_root() {
        let got = paths_from(GO_OUTPUT, Path::new("/repo"), Path::new("/repo"));
        assert!(got.contains("\ncmd/hello/main.go:9:2: undefined: x\nmain.go:4:2: undefined: y\n"), "{got}");
        assert!(got.contains("\nvet: main.go:4: missing return\n"), "{got}");
    }

    #[test]
    fn seen_from_a_subdirectory() {
        let got = paths_from(GO_OUTPUT, Path::new("/repo/app"), Path::new("/repo/docs"));
        assert!(got.contains("\n../app/cmd/hello/main.go:9:2: undefined: x\n../app/main.go:4:2: "), "{got}");
        let got = paths_from(GO_OUTPUT, Path::new("/repo/app"), Path::new("/repo/app/cmd"));
        assert!(got.contains("\nhello/main.go:9:2: undefined: x\n../main.go:4:2: "), "{got}");
        let got = paths_from(GO_OUTPUT, Path::new("/repo/app"), Path::new("/elsewhere/deep"));
        assert!(got.contains("\n../../repo/app/cmd/hello/main.go:9:2: "), "{got}");
    }

    #[test]
    fn gofmt_lists_and_files_outside_the_module() {
        let here = Path::new("/repo");
        assert_eq!(
            paths_from("internal/util/util.go\ncmd/hello/main.go", Path::new("/repo/app"), here),
            "app/internal/util/util.go\napp/cmd/hello/main.go"
        );
        // A `replace ../lib` module's file, and Windows line ends.
        assert_eq!(paths_from("../lib/lib.go:3:1: x\r\n", Path::new("/repo/svc"), here), "lib/lib.go:3:1: x\r\n");
    }

    #[test]
    fn lines_that_are_not_file_positions_stay() {
        let module = Path::new("/repo/app");
        for line in [
            "main.go: not a position\n",
            "main.go:abc: neither\n",
            "see main.go:12:3: prose\n",
            "vet: main.go\n",
            "C:/go/src/x.go:1:2: absolute\n",
            "ok  \texample.com/hello\t0.01s\n",
            "",
        ] {
            assert_eq!(paths_from(line, module, Path::new("/repo")), line);
        }
    }

    #[test]
    fn only_a_terminal_that_can_redraw_is_live() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |key: &str| vars.iter().find(|(k, _)| *k == key).map(|(_, v)| OsString::from(v))
        };
        assert!(redraws(true, env(&[])));
        assert!(redraws(true, env(&[("TERM", "xterm-256color")])));
        assert!(!redraws(false, env(&[("TERM", "xterm-256color")])), "a pipe or a file");
        assert!(!redraws(true, env(&[("TERM", "dumb")])));
        assert!(!redraws(true, env(&[("NO_COLOR", "")])), "NO_COLOR set, even empty");
        assert!(!redraws(true, env(&[("CI", "true")])));
    }

    #[test]
    fn a_live_progress_line_replaces_itself_until_something_else_is_printed() {
        let mut live = ProgressLine { live: true, last: Instant::now(), printed: false };
        assert_eq!(live.text("fetching Go", true), "fetching Go");
        assert_eq!(live.text("fetching Go: 1/71 MB", true), "\x1b[1A\x1b[2Kfetching Go: 1/71 MB");
        assert_eq!(live.text("fetching Go: 2/71 MB", false), "fetching Go: 2/71 MB", "a warning came in between");
        let mut plain = ProgressLine { live: false, last: Instant::now(), printed: false };
        assert_eq!(plain.text("fetching Go", true), "fetching Go");
        assert_eq!(plain.text("fetching Go: 1/71 MB", true), "fetching Go: 1/71 MB");
    }

    #[test]
    fn progress_lines_are_throttled() {
        let start = Instant::now();
        let mut live = ProgressLine { live: true, last: start, printed: true };
        assert!(!live.due(start + Duration::from_millis(150)));
        assert!(live.due(start + Duration::from_millis(200)));
        assert!(!live.due(start + Duration::from_millis(300)), "counted from the last one shown");
        let mut plain = ProgressLine { live: false, last: start, printed: true };
        assert!(!plain.due(start + Duration::from_millis(2900)));
        assert!(plain.due(start + Duration::from_secs(3)));
    }
}
