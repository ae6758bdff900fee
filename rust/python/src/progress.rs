//! A progress bar on stderr for training (counting, then merging).
//!
//! Rendered here, not in the core: the core only reports `(stage, done, total)`
//! through the `Progress` trait. On a terminal the line is redrawn at most ten
//! times a second; elsewhere (only when forced) a plain line is printed at
//! most once a second, so logs stay readable.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use toksmith::counts::Progress;

/// Draws `stage [#####-----] done/total rate` on one stderr line.
pub struct StderrProgress {
    state: Mutex<State>,
    tty: bool,
}

struct State {
    stage: String,
    started: Instant,
    last_draw: Option<Instant>,
}

impl StderrProgress {
    /// A progress bar, or `None` when stderr is not a terminal and `force` is false.
    pub fn new(force: bool) -> Option<Self> {
        let tty = std::io::stderr().is_terminal();
        (tty || force).then(|| StderrProgress {
            state: Mutex::new(State {
                stage: String::new(),
                started: Instant::now(),
                last_draw: None,
            }),
            tty,
        })
    }

    fn draw(&self, stage: &str, done: u64, total: u64, elapsed: f64) {
        let (what, done_f, total_f, unit) = if stage == "count" {
            ("counting", done as f64 / 1e6, total as f64 / 1e6, "MB")
        } else {
            ("merging ", done as f64, total as f64, "tokens")
        };
        let rate = if elapsed > 0.0 { done_f / elapsed } else { 0.0 };
        let bar = if total > 0 {
            let filled = ((done as f64 / total as f64).min(1.0) * 30.0) as usize;
            format!(
                "[{}{}] {:.0}/{:.0} {unit}",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                done_f,
                total_f
            )
        } else {
            format!("{done_f:.1} {unit}")
        };
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{what} {bar}  {rate:.1} {unit}/s  {elapsed:.1}s   ");
        } else {
            let _ = writeln!(err, "{what} {bar}  {rate:.1} {unit}/s  {elapsed:.1}s");
        }
        let _ = err.flush();
    }
}

impl Progress for StderrProgress {
    fn update(&self, stage: &str, done: u64, total: u64) {
        let Ok(mut s) = self.state.lock() else { return };
        let now = Instant::now();
        if s.stage != stage {
            s.stage = stage.to_string();
            s.started = now;
            s.last_draw = None;
        }
        let every = Duration::from_millis(if self.tty { 100 } else { 1000 });
        if s.last_draw.is_some_and(|t| now.duration_since(t) < every) {
            return;
        }
        s.last_draw = Some(now);
        self.draw(
            stage,
            done,
            total,
            now.duration_since(s.started).as_secs_f64(),
        );
    }

    fn finish(&self, stage: &str) {
        if let Ok(s) = self.state.lock() {
            if s.stage == stage && self.tty {
                let _ = writeln!(std::io::stderr());
            }
        }
    }
}
