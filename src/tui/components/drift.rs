//! The Drift screen (`D`, `:drift`): for the current environment, the readiness verdict with
//! the ages of the newest and oldest results; what is new since the previous run; every
//! failing host × check with its first failed run and streak, grouped by host, check or
//! category with counts; acknowledged failures apart (dimmed, counted on their own, with
//! who, until when and why); flapping checks ranked by switches. Owns the report, the grouping
//! and a cursor over the rows that name a host × check (`enter` opens one in the live table).

use super::header::verdict_style;
use super::timeline::short_time;
use super::{pane_block, styled};
use crate::model::{Outcome, Severity, human_duration_secs};
use crate::tui::keymap::Action;
use crate::tui::queries::{DriftReport, FLAP_RUNS, FLAP_SWITCHES};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use std::collections::BTreeMap;

/// How the failing list is grouped (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Host,
    Check,
    Category,
}

impl Grouping {
    pub fn next(self) -> Grouping {
        match self {
            Grouping::Host => Grouping::Check,
            Grouping::Check => Grouping::Category,
            Grouping::Category => Grouping::Host,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grouping::Host => "host",
            Grouping::Check => "check",
            Grouping::Category => "category",
        }
    }
    pub fn parse(s: &str) -> Option<Grouping> {
        match s {
            "host" => Some(Grouping::Host),
            "check" => Some(Grouping::Check),
            "category" | "cat" => Some(Grouping::Category),
            _ => None,
        }
    }
}

/// The Drift screen's state.
#[derive(Debug, Clone, Default)]
pub struct DriftScreen {
    /// The environment asked for, and its report once answered.
    pub env: Option<String>,
    pub report: Option<Box<DriftReport>>,
    /// Why there is no report (no history, nothing stored for the environment).
    pub missing: Option<String>,
    pub grouping: Grouping,
    /// Index among the rows that name a host × check.
    pub cursor: usize,
    /// Body lines that fit (set from the layout).
    pub height: usize,
}

/// One line of the screen, and the host × check it names (selectable) if any.
type Item = (Line<'static>, Option<(String, String)>);

impl DriftScreen {
    /// Start over for `env` (the report is asked for).
    pub fn open(&mut self, env: &str) {
        if self.env.as_deref() != Some(env) {
            self.report = None;
            self.cursor = 0;
        }
        self.env = Some(env.to_string());
        self.missing = None;
    }

    /// The (host, key) under the cursor.
    pub fn selected(&self, t: &Theme) -> Option<(String, String)> {
        self.items(t)
            .into_iter()
            .filter_map(|(_, k)| k)
            .nth(self.cursor)
    }

    /// Move the cursor over the selectable rows; `true` when it was a movement.
    pub fn handle(&mut self, action: Action, t: &Theme) -> bool {
        let n = self.items(t).iter().filter(|(_, k)| k.is_some()).count();
        super::move_in_list(&mut self.cursor, action, self.height, n)
    }

    /// Every line of the screen (pure).
    pub fn items(&self, t: &Theme) -> Vec<Item> {
        let mut out: Vec<Item> = Vec::new();
        let mut text = |l: Line<'static>| out.push((l, None));
        let Some(r) = &self.report else {
            text(super::waiting_line(&self.missing, t));
            return out;
        };
        let rd = &r.readiness;
        let age = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map(|a| format!("{} ago", human_duration_secs((r.asked - a).num_seconds())))
                .unwrap_or_else(|| "—".into())
        };
        text(Line::from(vec![
            styled(
                format!(" {} ", rd.status.as_str()),
                verdict_style(rd.status, t).add_modifier(Modifier::REVERSED),
            ),
            Span::raw("  "),
            Span::raw(rd.reason.clone()),
        ]));
        text(Line::from(styled(
            format!(
                "newest result {} · oldest {} · {} hosts{}",
                age(rd.newest_result_at),
                age(rd.oldest_result_at),
                rd.hosts_total,
                match &rd.base_run {
                    Some(b) => format!(" · on full run {b}"),
                    None => " · no complete full run".into(),
                }
            ),
            t.muted,
        )));
        text(Line::default());
        // new since the previous run
        match &r.runs {
            Some((prev, newest)) => text(Line::from(vec![
                styled(
                    format!("New since the previous run ({})", r.new.len()),
                    t.accent,
                ),
                styled(
                    format!(
                        "  {} → {} ({})",
                        short_time(prev.started_at),
                        short_time(newest.started_at),
                        newest.id
                    ),
                    t.muted,
                ),
            ])),
            None => text(Line::from(styled(
                "New since the previous run: only one run is stored",
                t.muted,
            ))),
        }
        if r.runs.is_some() && r.new.is_empty() {
            text(Line::from(styled("  nothing new", t.muted)));
        }
        let acked = |host: &str, key: &str| {
            r.acknowledged
                .iter()
                .any(|(f, _)| f.host == host && f.key == key)
        };
        for tr in &r.new {
            let mut l = Line::from(vec![
                styled("  + ", t.fail),
                Span::raw(format!("{}  ", tr.host)),
                styled(tr.key.clone(), t.accent),
                styled(
                    format!("  {}", tr.kind.as_str()),
                    t.outcome(tr.after.outcome),
                ),
                styled(format!("  {}", tr.severity), t.muted),
            ]);
            if acked(&tr.host, &tr.key) {
                l = l.patch_style(Modifier::DIM);
                l.push_span(styled("  acknowledged", t.muted));
            }
            out.push((l, Some((tr.host.clone(), tr.key.clone()))));
        }
        out.push((Line::default(), None));
        // failing, grouped
        let mut failing_title = vec![
            styled(format!("Failing ({})", r.failing.len()), t.accent),
            styled(
                format!(
                    "  by {} (s: host / check / category)",
                    self.grouping.label()
                ),
                t.muted,
            ),
        ];
        if !r.acknowledged.is_empty() {
            failing_title.push(styled(
                format!(" · {} acknowledged below", r.acknowledged.len()),
                t.muted,
            ));
        }
        out.push((Line::from(failing_title), None));
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, f) in r.failing.iter().enumerate() {
            let g = match self.grouping {
                Grouping::Host => f.host.as_str(),
                Grouping::Check => f.key.as_str(),
                Grouping::Category => f.category.as_str(),
            };
            groups.entry(g).or_default().push(i);
        }
        let what = |f: &crate::store::FailingStreak| match self.grouping {
            Grouping::Host => f.key.clone(),
            Grouping::Check => f.host.clone(),
            Grouping::Category => format!("{} {}", f.host, f.key),
        };
        let width = r
            .failing
            .iter()
            .map(|f| what(f).chars().count())
            .max()
            .unwrap_or(0);
        let streak = |s: &crate::store::Streak| {
            format!(
                "failing for {} run{} / {}",
                s.runs,
                if s.runs == 1 { "" } else { "s" },
                human_duration_secs((r.asked - s.failing_since).num_seconds())
            )
        };
        for (g, idx) in groups {
            out.push((
                Line::from(vec![
                    styled(format!("▾ {g}"), t.accent.add_modifier(Modifier::BOLD)),
                    styled(format!("  {}", idx.len()), t.muted),
                ]),
                None,
            ));
            for i in idx {
                let f = &r.failing[i];
                let s = &f.streak;
                let l = Line::from(vec![
                    Span::raw(format!("    {:<width$}  ", what(f))),
                    styled(severity_word(f.severity), t.muted),
                    styled(format!("  {}", streak(s)), t.fail),
                    styled(
                        format!("  first failed {}", short_time(s.failing_since)),
                        t.muted,
                    ),
                ]);
                out.push((l, Some((f.host.clone(), f.key.clone()))));
            }
        }
        // acknowledged: known and owned, apart from the drift
        if !r.acknowledged.is_empty() {
            out.push((Line::default(), None));
            out.push((
                Line::from(vec![
                    styled(format!("Acknowledged ({})", r.acknowledged.len()), t.accent),
                    styled(
                        "  known failures, out of the verdict until the value changes or the \
                         acknowledgement expires",
                        t.muted,
                    ),
                ]),
                None,
            ));
        }
        for (f, a) in &r.acknowledged {
            let l = Line::from(vec![
                Span::raw(format!("  {}  ", f.host)),
                Span::raw(f.key.clone()),
                styled(format!("  {}", severity_word(f.severity)), t.muted),
                Span::raw(format!("  {}", streak(&f.streak))),
                styled(format!("  {}", a.describe()), t.muted),
            ])
            .patch_style(Modifier::DIM);
            out.push((l, Some((f.host.clone(), f.key.clone()))));
        }
        out.push((Line::default(), None));
        out.push((
            Line::from(vec![
                styled(format!("Flapping ({})", r.flapping.len()), t.accent),
                styled(
                    format!("  ≥ {FLAP_SWITCHES} switches over the last {FLAP_RUNS} runs"),
                    t.muted,
                ),
            ]),
            None,
        ));
        for fl in &r.flapping {
            let mut spans = vec![
                Span::raw(format!("  {}  ", fl.host)),
                styled(fl.key.clone(), t.accent),
                styled(format!("  {} switches  ", fl.switches), t.muted),
            ];
            spans.extend(fl.outcomes.iter().map(|o| cell(*o, t)));
            out.push((Line::from(spans), Some((fl.host.clone(), fl.key.clone()))));
        }
        out
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let title = format!(
            "Drift · {} · enter opens the row · esc back",
            self.env.as_deref().unwrap_or("—")
        );
        let block = pane_block(&title, true, t);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let items = self
            .items(t)
            .into_iter()
            .map(|(l, k)| (l, k.is_some()))
            .collect();
        super::draw_list(f, inner, items, self.cursor, t);
    }
}

fn severity_word(s: Severity) -> String {
    format!("{:<8}", s.as_str())
}

/// One outcome as a coloured cell.
fn cell(o: Outcome, t: &Theme) -> Span<'static> {
    styled("■", t.outcome(o))
}
