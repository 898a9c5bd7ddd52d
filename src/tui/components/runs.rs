//! The Runs screen (`H`, `:history`): the stored runs of the environment, newest first —
//! time (UTC) and age, scope (full, or what a narrow run covered), duration, counts by
//! outcome, status — with a substring filter (`/`), a mark (`space`) and a cursor. What
//! `enter` does (open the run, or diff it with the marked one) is the app's.

use super::timeline::short_time;
use super::{pane_block, styled};
use crate::model::human_duration_secs;
use crate::store::RunSummary;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The Runs screen's state.
#[derive(Debug, Clone, Default)]
pub struct RunsScreen {
    pub env: Option<String>,
    /// The runs once answered, and when they were read (ages are relative to that).
    pub runs: Option<(Vec<RunSummary>, DateTime<Utc>)>,
    pub missing: Option<String>,
    /// Substring filter over each row's text.
    pub filter: String,
    pub cursor: usize,
    /// The marked run's id (the older side of a diff).
    pub mark: Option<String>,
    /// Rows that fit (set from the layout).
    pub height: usize,
}

impl RunsScreen {
    /// Start over for `env` (the list is asked for).
    pub fn open(&mut self, env: &str) {
        if self.env.as_deref() != Some(env) {
            self.runs = None;
            self.cursor = 0;
            self.mark = None;
            self.filter.clear();
        }
        self.env = Some(env.to_string());
        self.missing = None;
    }

    /// The runs the filter keeps, newest first.
    pub fn visible(&self) -> Vec<&RunSummary> {
        let Some((runs, at)) = &self.runs else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        runs.iter()
            .filter(|r| needle.is_empty() || row_text(r, *at).to_lowercase().contains(&needle))
            .collect()
    }

    /// The run under the cursor.
    pub fn selected(&self) -> Option<&RunSummary> {
        self.visible().get(self.cursor).copied()
    }

    pub fn handle(&mut self, action: Action) -> bool {
        let n = self.visible().len();
        super::move_in_list(&mut self.cursor, action, self.height, n)
    }

    pub fn push_filter(&mut self, c: char) {
        self.filter.push(c);
        self.cursor = 0;
    }

    pub fn pop_filter(&mut self) {
        self.filter.pop();
        self.cursor = 0;
    }

    /// Mark or unmark the run under the cursor.
    pub fn toggle_mark(&mut self) {
        let Some(id) = self.selected().map(|r| r.id.clone()) else {
            return;
        };
        self.mark = if self.mark.as_deref() == Some(id.as_str()) {
            None
        } else {
            Some(id)
        };
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let total = self.runs.as_ref().map_or(0, |(r, _)| r.len());
        let shown = self.visible();
        let mut title = format!(
            "Runs · {} · {}",
            self.env.as_deref().unwrap_or("—"),
            shown.len()
        );
        if shown.len() != total {
            title.push_str(&format!(" of {total}"));
        }
        if !self.filter.is_empty() {
            title.push_str(&format!(" · /{}", self.filter));
        }
        title.push_str(match &self.mark {
            Some(_) => " · enter diffs with the marked run · esc unmarks",
            None => " · enter opens · space marks, enter on another diffs · esc back",
        });
        let block = pane_block(&title, true, t);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some((_, at)) = &self.runs else {
            f.render_widget(super::waiting_line(&self.missing, t), inner);
            return;
        };
        let mut items = vec![(
            Line::from(styled(
                format!(
                    "  {:<16} {:<8} {:<9} {:<28} {:<10} {}",
                    "started (UTC)", "age", "took", "counts", "status", "scope · id"
                ),
                t.muted,
            )),
            false,
        )];
        for r in &shown {
            items.push((self.row(r, *at, t), true));
        }
        if shown.is_empty() {
            items.push((Line::from(styled("  no runs match", t.muted)), false));
        }
        super::draw_list(f, inner, items, self.cursor, t);
    }

    fn row(&self, r: &RunSummary, at: DateTime<Utc>, t: &Theme) -> Line<'static> {
        let marked = self.mark.as_deref() == Some(r.id.as_str());
        let c = r.counts;
        let status_style = match r.status.as_str() {
            "complete" => t.pass,
            "running" => t.accent,
            _ => t.unreachable,
        };
        Line::from(vec![
            styled(if marked { "● " } else { "  " }, t.accent),
            Span::raw(format!("{:<16} ", r.started_at.format("%Y-%m-%d %H:%M"))),
            styled(format!("{:<8} ", age(r, at)), t.muted),
            styled(format!("{:<9} ", took(r)), t.muted),
            styled(format!("{:<9}", format!("{} pass", c.pass)), t.pass),
            styled(
                format!("{:<9}", format!("{} fail", c.fail)),
                if c.fail > 0 { t.fail } else { t.muted },
            ),
            styled(
                format!("{:<11}", format!("{} problems", c.problems())),
                if c.problems() > 0 { t.error } else { t.muted },
            ),
            styled(format!("{:<10} ", r.status), status_style),
            Span::raw(format!("{} · ", scope(r))),
            styled(r.id.clone(), t.muted),
        ])
    }
}

/// The run's age when the list was read: `2h 5m`.
fn age(r: &RunSummary, at: DateTime<Utc>) -> String {
    human_duration_secs((at - r.started_at).num_seconds())
}

fn took(r: &RunSummary) -> String {
    r.duration_ms
        .map(|ms| crate::model::human_duration(std::time::Duration::from_millis(ms.max(0) as u64)))
        .unwrap_or_else(|| "—".into())
}

/// `full`, or what a narrow run covered.
pub fn scope(r: &RunSummary) -> String {
    if r.full_scope {
        "full".to_string()
    } else {
        let d = r.scope.describe();
        let d = d
            .strip_prefix(r.environment.as_str())
            .unwrap_or(&d)
            .trim()
            .to_string();
        format!("narrow: {d}")
    }
}

/// Everything the filter matches in a row.
fn row_text(r: &RunSummary, at: DateTime<Utc>) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        r.started_at.format("%Y-%m-%d %H:%M"),
        short_time(r.started_at),
        age(r, at),
        r.status,
        scope(r),
        r.id,
        r.user
    )
}
