//! Progress of a long command on stderr: a bar with the rate and the time left when stderr is a
//! terminal (indicatif), else a plain line every few seconds, which logs keep readable.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a plain progress line is printed.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Progress through `total` bytes of a file.
pub struct Progress {
    bar: Option<ProgressBar>,
    what: &'static str,
    total: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Progress of reading `total` bytes; `what` names the work ("import").
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {percent:>3}% {msg}, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            ProgressBar::new(total).with_style(style).with_prefix(what)
        });
        let now = Instant::now();
        Self {
            bar,
            what,
            total,
            started: now,
            last_line: now,
        }
    }

    /// Rows per second since the start.
    pub fn rate(&self, rows: u64) -> f64 {
        rows as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// `bytes` of the file read, `rows` done; `detail` adds counts.
    pub fn update(&mut self, bytes: u64, rows: u64, detail: impl FnOnce() -> String) {
        let rate = self.rate(rows);
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes.min(self.total));
                bar.set_message(format!("{rows} rows, {rate:.0} rows/s"));
            }
            None if self.last_line.elapsed() >= LINE_EVERY => {
                self.last_line = Instant::now();
                let done = bytes as f64 / self.total.max(1) as f64;
                let left = self.elapsed() * (1.0 - done) / done.max(1e-9);
                eprintln!(
                    "{}: {rows} rows ({:.0}%), {rate:.0} rows/s, about {left:.0} s left; {}",
                    self.what,
                    100.0 * done,
                    detail()
                );
            }
            None => {}
        }
    }

    /// A line of its own (e.g. a phase that starts), above the bar.
    pub fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
