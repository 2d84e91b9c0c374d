//! Progress of `check --all-models` on stderr: on a terminal, one line redrawn in place with a
//! bar, the counts so far and the time left; in CI logs (no terminal), a plain line every few
//! seconds. Drawn by hand: one line redrawn as versions finish needs no progress crate (and no
//! drawing thread).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::app::stdio;
use crate::engine::Status;
use crate::report::summary::Summary;

/// Cells of the bar.
const BAR: usize = 24;

/// At most this often on a terminal.
const REDRAW: Duration = Duration::from_millis(100);

pub(super) struct Progress {
    total: usize,
    tty: bool,
    quiet: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    pub(super) fn new(total: usize, quiet: bool) -> Self {
        Self {
            total,
            tty: std::io::stderr().is_terminal(),
            quiet,
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    fn counts(&self, s: &Summary) -> Counts {
        Counts {
            done: s.versions.len(),
            total: self.total,
            fail: s.tally(Status::Fail),
            error: s.tally(Status::Error),
            elapsed: self.started.elapsed(),
        }
    }

    /// A version was finished: redraw on a terminal.
    pub(super) fn done(&mut self, s: &Summary) {
        if self.quiet || !self.tty || self.last.is_some_and(|t| t.elapsed() < REDRAW) {
            return;
        }
        self.last = Some(Instant::now());
        self.drawn = true;
        stdio::err(&format!("\r\x1b[2K{}", self.counts(s).bar()));
    }

    /// The timer: a plain line in logs.
    pub(super) fn tick(&mut self, s: &Summary) {
        if self.quiet || self.tty {
            return;
        }
        stdio::err(&format!("{}\n", self.counts(s).line()));
    }

    /// Removes the bar before the summary is printed.
    pub(super) fn clear(&mut self) {
        if self.drawn {
            stdio::err("\r\x1b[2K");
        }
    }
}

/// What a progress line shows.
#[derive(Debug, Clone, Copy)]
struct Counts {
    done: usize,
    total: usize,
    fail: usize,
    error: usize,
    elapsed: Duration,
}

impl Counts {
    /// `mlgate: 412/1000 versions checked (3 fail, 0 error), 9 s`
    fn line(self) -> String {
        format!(
            "mlgate: {}/{} versions checked ({} fail, {} error), {}",
            self.done,
            self.total,
            self.fail,
            self.error,
            seconds(self.elapsed)
        )
    }

    /// `[==========>             ] 412/1000 · 3 fail · 0 error · 9 s, ~13 s left`
    fn bar(self) -> String {
        let filled = (self.done * BAR)
            .checked_div(self.total)
            .unwrap_or(BAR)
            .min(BAR);
        let mut bar = "=".repeat(filled);
        if filled < BAR {
            bar.push('>');
            bar.push_str(&" ".repeat(BAR - filled - 1));
        }
        let left = match self.left() {
            Some(left) => format!(", ~{} left", seconds(left)),
            None => String::new(),
        };
        format!(
            "[{bar}] {}/{} · {} fail · {} error · {}{left}",
            self.done,
            self.total,
            self.fail,
            self.error,
            seconds(self.elapsed)
        )
    }

    /// The time left at the pace so far; none before the first version is finished.
    fn left(self) -> Option<Duration> {
        if self.done == 0 || self.done >= self.total {
            return None;
        }
        let (done, left) = (
            u32::try_from(self.done).ok()?,
            u32::try_from(self.total - self.done).ok()?,
        );
        self.elapsed.checked_mul(left)?.checked_div(done)
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(done: usize, total: usize, secs: u64) -> Counts {
        Counts {
            done,
            total,
            fail: 3,
            error: 1,
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn the_bar_fills_with_the_versions_done_and_estimates_the_rest() {
        assert_eq!(
            counts(0, 1000, 0).bar(),
            "[>                       ] 0/1000 · 3 fail · 1 error · 0 s"
        );
        assert_eq!(
            counts(500, 1000, 10).bar(),
            "[============>           ] 500/1000 · 3 fail · 1 error · 10 s, ~10 s left"
        );
        assert_eq!(
            counts(250, 1000, 30).bar(),
            "[======>                 ] 250/1000 · 3 fail · 1 error · 30 s, ~1m30s left"
        );
        assert_eq!(
            counts(1000, 1000, 20).bar(),
            "[========================] 1000/1000 · 3 fail · 1 error · 20 s"
        );
    }

    #[test]
    fn an_empty_run_and_overshoot_do_not_break_the_bar() {
        assert!(counts(0, 0, 0)
            .bar()
            .starts_with("[========================] 0/0"));
        assert!(counts(7, 5, 1)
            .bar()
            .starts_with("[========================] 7/5"));
    }

    #[test]
    fn logs_get_a_plain_line() {
        assert_eq!(
            counts(412, 1000, 75).line(),
            "mlgate: 412/1000 versions checked (3 fail, 1 error), 1m15s"
        );
    }
}
