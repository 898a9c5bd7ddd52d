//! The progress line of a headless `run` on a terminal (indicatif, on stderr): hosts
//! done/total, checks per second, failures so far, elapsed and ETA. Nothing when stderr is
//! not a terminal or with `--quiet`. The report on stdout never interleaves with it: when
//! the report goes to the same terminal, every write to stdout clears the line first and
//! redraws it after ([`ReportWriter`]).

use crate::exec::Event;
use crate::model::{HostPhase, Outcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct RunProgress {
    bar: ProgressBar,
    checks: u64,
    failing: u64,
    started: Instant,
    last_message: Instant,
}

impl RunProgress {
    /// A progress line for `hosts` hosts, or `None` when it must not be shown.
    pub fn start(hosts: usize, quiet: bool) -> Option<RunProgress> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(
            Some(hosts as u64),
            ProgressDrawTarget::stderr_with_hz(10),
        );
        let style = ProgressStyle::with_template(
            "{spinner} {bar:24.cyan/blue} {pos}/{len} hosts · {msg} · {elapsed} · ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("━╸─");
        bar.set_style(style);
        bar.set_message("0 checks/s · 0 failing");
        bar.enable_steady_tick(Duration::from_millis(200));
        let now = Instant::now();
        Some(RunProgress {
            bar,
            checks: 0,
            failing: 0,
            started: now,
            last_message: now,
        })
    }

    /// Count `event`; the line redraws at most 10 times a second.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::HostState {
                phase: HostPhase::Done | HostPhase::Failed(_),
                ..
            } => self.bar.inc(1),
            Event::CheckResult(r) => {
                self.checks += 1;
                if r.outcome == Outcome::Fail {
                    self.failing += 1;
                }
                if self.last_message.elapsed() >= Duration::from_millis(100) {
                    self.update_message();
                }
            }
            _ => {}
        }
    }

    fn update_message(&mut self) {
        self.last_message = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!(
            "{:.0} checks/s · {} failing",
            self.checks as f64 / secs,
            self.failing
        ));
    }

    /// A writer for the report that clears the line around each write.
    pub fn report_writer<W: Write>(&self, inner: W) -> ReportWriter<W> {
        ReportWriter {
            bar: Some(self.bar.clone()),
            inner,
        }
    }

    /// Remove the line (the report's summary says the rest).
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Stdout for the report; with a progress line on the same terminal, each write happens
/// with the line cleared (indicatif's `suspend`). Put a `BufWriter` around it so that is
/// once per buffer, not per result.
pub struct ReportWriter<W: Write> {
    bar: Option<ProgressBar>,
    inner: W,
}

impl<W: Write> ReportWriter<W> {
    pub fn plain(inner: W) -> ReportWriter<W> {
        ReportWriter { bar: None, inner }
    }
}

impl<W: Write> Write for ReportWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.bar {
            Some(bar) => {
                let inner = &mut self.inner;
                bar.suspend(|| inner.write_all(buf).and_then(|_| inner.flush()))?;
                Ok(buf.len())
            }
            None => self.inner.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
