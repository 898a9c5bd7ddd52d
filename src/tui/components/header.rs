//! Header line: environment, run state (idle / running N/M hosts, checks/s, elapsed /
//! finished with counts / cancelled), history DB and the help key. Owns the progress of the
//! current (or last) run.

use super::styled;
use crate::model::{OutcomeCounts, Scope, human_duration, human_duration_secs};
use crate::store::ReadinessStatus;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::{Duration, Instant};

/// Progress of the current (or last) run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    pub run_id: String,
    pub scope: Scope,
    pub started: Instant,
    pub ended: Option<Instant>,
    pub hosts_total: usize,
    pub hosts_done: usize,
    pub executions: usize,
    pub results: u64,
    pub counts: OutcomeCounts,
    pub cancel_requested: bool,
    pub cancelled: bool,
    /// Rows whose outcome this run changed (re-runs say it, so `R` visibly did something).
    pub changed: u64,
    /// How many runs this TUI started, this one included.
    pub number: u64,
    /// When the run started by its own clock (`RunStarted`), and its duration by that clock
    /// once finished: the loop's `now` moves only with frames, so a run that starts and ends
    /// between two frames would otherwise measure as the gap between them.
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub took: Option<Duration>,
}

impl RunStatus {
    pub fn running(&self) -> bool {
        self.ended.is_none()
    }
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.took.unwrap_or_else(|| {
            self.ended
                .unwrap_or(now)
                .saturating_duration_since(self.started)
        })
    }
}

/// The stored state of the environment shown: its readiness verdict (the rules of
/// `driftscope status`) and the age of its oldest result.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredState {
    pub environment: String,
    pub status: ReadinessStatus,
    /// One line saying why (shown on the Drift screen).
    pub why: String,
    /// Age of the oldest result when loaded.
    pub oldest_age_secs: Option<i64>,
    /// When it was loaded (the age grows from there).
    pub loaded: Instant,
    /// Rows of the stored state in so far, of how many (`None`: all are in).
    pub loading: Option<(usize, usize)>,
}

impl StoredState {
    /// Age of the oldest result now.
    pub fn oldest_age(&self, now: Instant) -> Option<i64> {
        self.oldest_age_secs
            .map(|a| a + now.saturating_duration_since(self.loaded).as_secs() as i64)
    }
}

/// The header's state: the run's progress and the history it is recorded in.
#[derive(Debug, Clone, Default)]
pub struct RunHeader {
    pub run: Option<RunStatus>,
    /// A run was asked for and has not started yet (planning), and since when.
    pub pending: bool,
    pub pending_since: Option<Instant>,
    /// The history DB path, or "off (--no-store)".
    pub db_label: String,
    /// The stored state's verdict, once the history answered.
    pub stored: Option<StoredState>,
    /// Why there is no verdict ("no history yet", "history unreadable").
    pub history_note: Option<String>,
}

/// What the header shows besides the run.
pub struct HeaderInfo<'a> {
    pub env: Option<&'a str>,
    pub help_key: &'a str,
    pub now: Instant,
    /// Rows whose failure is acknowledged (left out of the verdict).
    pub acknowledged: usize,
}

impl RunHeader {
    /// The verdict of `env`'s stored state: `DRIFTED · oldest 2h 5m`.
    pub fn stored_spans(&self, env: Option<&str>, t: &Theme, now: Instant) -> Vec<Span<'static>> {
        match &self.stored {
            Some(s) if Some(s.environment.as_str()) == env => {
                let mut v = vec![styled(s.status.as_str(), verdict_style(s.status, t))];
                if let Some(age) = s.oldest_age(now) {
                    v.push(styled(
                        format!(" · oldest {}", human_duration_secs(age)),
                        t.muted,
                    ));
                }
                if let Some((done, total)) = s.loading {
                    v.push(styled(format!(" · loading {done}/{total} stored"), t.muted));
                }
                v
            }
            _ => match &self.history_note {
                Some(n) => vec![styled(n.clone(), t.muted)],
                None => Vec::new(),
            },
        }
    }

    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(RunStatus::running)
    }

    /// The run state as spans (also used by tests).
    pub fn run_spans(&self, t: &Theme, now: Instant) -> Vec<Span<'static>> {
        // Planning a big run takes a while: say so, with a clock that moves.
        if self.pending {
            let mut spans = vec![styled("◌ starting run", t.accent)];
            if let Some(since) = self.pending_since {
                spans.push(Span::raw(format!(
                    " · {}",
                    human_duration(now.saturating_duration_since(since))
                )));
            }
            return spans;
        }
        let Some(run) = &self.run else {
            return vec![styled("idle", t.muted)];
        };
        let elapsed = run.elapsed(now);
        // a narrowed run (re-check, host or category) says what it covered
        let narrowed = (!run.scope.is_full()).then(|| {
            let d = run.scope.describe();
            let d = d
                .strip_prefix(run.scope.environment.as_str())
                .unwrap_or(&d)
                .trim()
                .to_string();
            styled(format!("[{}] ", super::ellipsize(&d, 40)), t.muted)
        });
        let secs = elapsed.as_secs_f64();
        if run.running() {
            let rate = if secs > 0.0 {
                run.results as f64 / secs
            } else {
                0.0
            };
            let what = if run.cancel_requested {
                "cancelling"
            } else {
                "running"
            };
            let mut spans = vec![styled(format!("● {what} "), t.accent)];
            spans.extend(narrowed);
            spans.extend([Span::raw(format!(
                "{}/{} hosts · {:.0} checks/s · {}",
                run.hosts_done,
                run.hosts_total,
                rate,
                human_duration(elapsed)
            ))]);
            spans
        } else {
            let c = run.counts;
            let (word, style) = if run.cancelled {
                ("✗ cancelled", t.unreachable)
            } else {
                ("✓ finished", t.pass)
            };
            let mut spans = vec![styled(format!("{word} "), style)];
            spans.extend(narrowed);
            spans.extend([
                Span::raw(format!("in {} · ", human_duration(elapsed))),
                styled(format!("{} pass", c.pass), t.pass),
                Span::raw(" "),
                styled(
                    format!("{} fail", c.fail),
                    if c.fail > 0 { t.fail } else { t.muted },
                ),
            ]);
            let problems = c.problems();
            if problems > 0 {
                spans.push(Span::raw(" "));
                spans.push(styled(format!("{problems} problems"), t.error));
            }
            spans
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, info: &HeaderInfo) {
        let sep = || styled(" │ ", t.border);
        let mut spans = vec![
            styled(" driftscope", t.accent.add_modifier(Modifier::BOLD)),
            sep(),
            styled("env ", t.muted),
            Span::raw(info.env.unwrap_or("—").to_string()),
            sep(),
        ];
        let stored = self.stored_spans(info.env, t, info.now);
        if !stored.is_empty() {
            spans.extend(stored);
            spans.push(sep());
        }
        if info.acknowledged > 0 {
            spans.push(styled(format!("{} acked", info.acknowledged), t.muted));
            spans.push(sep());
        }
        spans.extend(self.run_spans(t, info.now));
        spans.push(sep());
        spans.push(styled(format!("{} help", info.help_key), t.muted));
        spans.push(sep());
        spans.push(styled("db ", t.muted));
        spans.push(Span::raw(self.db_label.clone()));
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

/// The theme role of a readiness verdict.
pub fn verdict_style(s: ReadinessStatus, t: &Theme) -> ratatui::style::Style {
    match s {
        ReadinessStatus::Ready => t.pass,
        ReadinessStatus::Drifted => t.fail,
        ReadinessStatus::Stale => t.unreachable,
        ReadinessStatus::Unknown => t.error,
    }
    .add_modifier(Modifier::BOLD)
}
