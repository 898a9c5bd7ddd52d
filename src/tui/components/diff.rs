//! The run-vs-run diff (from the Runs screen: mark a run, `enter` on another; or
//! `:diff A B`): new failures, fixed, newly unreachable, value changed, outcome changed,
//! still failing — each a collapsible group (`enter` on its header), each row with both runs'
//! outcome and actual value beside the expected one. Owns the diff, which groups are
//! collapsed, and a cursor over group headers and rows.

use super::timeline::{short_time, value_words};
use super::{pane_block, styled};
use crate::store::{DiffSide, RunDiff, TransitionKind};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use std::collections::BTreeSet;

/// Every kind, in the order the groups are listed.
const KINDS: [TransitionKind; 6] = [
    TransitionKind::NewFailure,
    TransitionKind::Fixed,
    TransitionKind::NewlyUnreachable,
    TransitionKind::ValueChanged,
    TransitionKind::OutcomeChanged,
    TransitionKind::StillFailing,
];

/// What a selectable line of the diff is.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffItem {
    Group(TransitionKind),
    /// Index into the diff's transitions.
    Row(usize),
}

/// The diff screen's state.
#[derive(Debug, Clone, Default)]
pub struct DiffScreen {
    /// The runs asked for (older, newer), and the diff once answered.
    pub runs: Option<(String, String)>,
    pub diff: Option<Box<RunDiff>>,
    pub missing: Option<String>,
    /// Collapsed groups (still failing starts collapsed, as `driftscope drift` hides it).
    pub collapsed: BTreeSet<TransitionKind>,
    pub cursor: usize,
    pub height: usize,
}

impl DiffScreen {
    /// Start over for runs `a` (older) and `b`.
    pub fn open(&mut self, a: &str, b: &str) {
        self.runs = Some((a.to_string(), b.to_string()));
        self.diff = None;
        self.missing = None;
        self.cursor = 0;
        self.collapsed = [TransitionKind::StillFailing].into();
    }

    /// Every line, with what it is when selectable.
    pub fn items(&self, t: &Theme) -> Vec<(Line<'static>, Option<DiffItem>)> {
        let Some(d) = &self.diff else {
            return vec![(super::waiting_line(&self.missing, t), None)];
        };
        let mut out = vec![(
            Line::from(vec![
                styled("A ", t.accent),
                Span::raw(format!(
                    "{} ({})",
                    short_time(d.run_a.started_at),
                    d.run_a.id
                )),
                styled("  →  B ", t.accent),
                Span::raw(format!(
                    "{} ({})",
                    short_time(d.run_b.started_at),
                    d.run_b.id
                )),
                styled(
                    if d.run_b.full_scope {
                        String::new()
                    } else {
                        format!("  B was narrow: {}", super::runs::scope(&d.run_b))
                    },
                    t.muted,
                ),
            ]),
            None,
        )];
        if d.transitions.is_empty() {
            out.push((Line::from(styled("no changes", t.muted)), None));
        }
        for kind in KINDS {
            let rows: Vec<usize> = d
                .transitions
                .iter()
                .enumerate()
                .filter(|(_, tr)| tr.kind == kind)
                .map(|(i, _)| i)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let open = !self.collapsed.contains(&kind);
            out.push((
                Line::from(vec![
                    styled(
                        format!("{} {}", if open { "▾" } else { "▸" }, kind.as_str()),
                        kind_style(kind, t).add_modifier(Modifier::BOLD),
                    ),
                    styled(format!("  {}", rows.len()), t.muted),
                ]),
                Some(DiffItem::Group(kind)),
            ));
            if !open {
                continue;
            }
            for i in rows {
                let tr = &d.transitions[i];
                out.push((
                    Line::from(vec![
                        Span::raw(format!("    {}  ", tr.host)),
                        styled(tr.key.clone(), t.accent),
                        styled(format!("  {}", tr.severity), t.muted),
                    ]),
                    Some(DiffItem::Row(i)),
                ));
                out.push((
                    Line::from(vec![
                        styled("        expected ", t.muted),
                        Span::raw(value_words(&tr.after.expected)),
                    ]),
                    None,
                ));
                let side = |label: &str, s: Option<&DiffSide>| match s {
                    Some(s) => Line::from(vec![
                        styled(format!("        {label} "), t.muted),
                        styled(format!("{:<11} ", s.outcome.as_str()), t.outcome(s.outcome)),
                        Span::raw(value_words(&s.actual)),
                    ]),
                    None => Line::from(styled(
                        format!("        {label} (not in this run)"),
                        t.muted,
                    )),
                };
                out.push((side("A", tr.before.as_ref()), None));
                out.push((side("B", Some(&tr.after)), None));
            }
        }
        out
    }

    /// The selectable item under the cursor.
    pub fn selected(&self, t: &Theme) -> Option<DiffItem> {
        self.items(t)
            .into_iter()
            .filter_map(|(_, i)| i)
            .nth(self.cursor)
    }

    pub fn handle(&mut self, action: Action, t: &Theme) -> bool {
        let n = self.items(t).iter().filter(|(_, i)| i.is_some()).count();
        super::move_in_list(&mut self.cursor, action, self.height, n)
    }

    /// Collapse or expand a group.
    pub fn toggle(&mut self, kind: TransitionKind) {
        if !self.collapsed.remove(&kind) {
            self.collapsed.insert(kind);
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let title = match &self.diff {
            Some(d) => format!(
                "Diff · {} · {} · enter folds a group · esc back",
                d.run_b.environment,
                d.counts
                    .iter()
                    .map(|(k, n)| format!("{n} {}", k.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "Diff".to_string(),
        };
        let block = pane_block(&title, true, t);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let items = self
            .items(t)
            .into_iter()
            .map(|(l, i)| (l, i.is_some()))
            .collect();
        super::draw_list(f, inner, items, self.cursor, t);
    }
}

fn kind_style(k: TransitionKind, t: &Theme) -> ratatui::style::Style {
    match k {
        TransitionKind::NewFailure | TransitionKind::StillFailing => t.fail,
        TransitionKind::Fixed => t.pass,
        TransitionKind::NewlyUnreachable => t.unreachable,
        TransitionKind::ValueChanged | TransitionKind::OutcomeChanged => t.error,
    }
}
