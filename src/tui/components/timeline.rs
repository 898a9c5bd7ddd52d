//! The host × check timeline of the detail pane: the last runs as one row of cells coloured by
//! outcome (oldest → newest; `·` where a run of the environment did not probe it), the value
//! at each change point (`mode 0644 → 0600 on 11-30 12:00`) and the failing streak in words.
//! Pure: an answer of the history in, lines out.

use super::styled;
use crate::model::{Outcome, Value, human_duration_secs};
use crate::store::Timeline;
use crate::tui::rows::short_value;
use crate::tui::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

/// What the detail pane knows of the timeline of the row it shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineView {
    /// Asked; the answer has not arrived.
    Loading,
    /// The answer, and when it was read (ages are said relative to that).
    Loaded(Box<Timeline>, DateTime<Utc>),
    /// Nothing stored for this host × check (or no history): why, in words.
    Missing(String),
}

/// `11-30 12:00` (UTC, as every time in the detail pane).
pub fn short_time(t: DateTime<Utc>) -> String {
    t.format("%m-%d %H:%M").to_string()
}

/// An attribute map in words: `mode=0600` (`value=1`, `installed=false`).
pub fn value_words(v: &Value) -> String {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={}", short_value(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(_) => "—".to_string(),
        None => short_value(v),
    }
}

/// The timeline's lines (header included).
pub fn lines(view: &TimelineView, t: &Theme) -> Vec<Line<'static>> {
    let (tl, asked) = match view {
        TimelineView::Loading => {
            return vec![
                header("history", t),
                Line::from(styled("  reading the history…", t.muted)),
            ];
        }
        TimelineView::Missing(why) => {
            return vec![
                header("history", t),
                Line::from(styled(format!("  {why}"), t.muted)),
            ];
        }
        TimelineView::Loaded(tl, asked) => (tl, *asked),
    };
    // cells oldest → newest: results and runs that did not probe this host × check
    let mut cells: Vec<(DateTime<Utc>, Option<Outcome>)> = tl
        .entries
        .iter()
        .map(|e| (e.started_at, Some(e.outcome)))
        .chain(tl.not_probed.iter().map(|n| (n.started_at, None)))
        .collect();
    cells.sort_by_key(|c| c.0);
    let keep = crate::tui::queries::TIMELINE_RUNS;
    if cells.len() > keep {
        cells.drain(..cells.len() - keep);
    }
    let mut out = vec![header(
        &format!("history · last {} runs, oldest → newest", cells.len()),
        t,
    )];
    let mut strip = vec![Span::raw("  ")];
    for (_, o) in &cells {
        strip.push(match o {
            Some(o) => styled("■", t.outcome(*o)),
            None => styled("·", t.muted),
        });
    }
    if let Some(first) = cells.first() {
        strip.push(styled(format!("  since {}", short_time(first.0)), t.muted));
    }
    out.push(Line::from(strip));
    out.push(match &tl.streak {
        Some(s) => Line::from(vec![
            Span::raw("  "),
            styled(
                format!(
                    "failing for {} run{} / {}",
                    s.runs,
                    if s.runs == 1 { "" } else { "s" },
                    human_duration_secs((asked - s.failing_since).num_seconds())
                ),
                t.fail,
            ),
            styled(
                format!(
                    " · first failed {} (run {})",
                    short_time(s.failing_since),
                    s.first_failed_run
                ),
                t.muted,
            ),
        ]),
        None => match tl.entries.first() {
            Some(e) => Line::from(vec![
                Span::raw("  "),
                styled(
                    format!("{} in the newest stored run", e.outcome),
                    t.outcome(e.outcome),
                ),
                styled(format!(" ({})", short_time(e.started_at)), t.muted),
            ]),
            None => Line::from(styled("  no stored result", t.muted)),
        },
    });
    // change points of the value, oldest first
    let mut prev: Option<&Value> = None;
    let mut changes = Vec::new();
    for e in tl.entries.iter().rev() {
        if let Some(p) = prev
            && *p != e.actual
        {
            changes.push(Line::from(vec![
                Span::raw("  "),
                styled(value_words(p), t.muted),
                Span::raw(" → "),
                styled(value_words(&e.actual), t.outcome(e.outcome)),
                styled(format!(" on {}", short_time(e.started_at)), t.muted),
            ]));
        }
        prev = Some(&e.actual);
    }
    if changes.is_empty() && !tl.entries.is_empty() {
        out.push(Line::from(styled(
            "  the value did not change over these runs",
            t.muted,
        )));
    }
    out.extend(changes);
    out
}

fn header(title: &str, t: &Theme) -> Line<'static> {
    Line::from(styled(format!("── {title} ──"), t.border))
}
