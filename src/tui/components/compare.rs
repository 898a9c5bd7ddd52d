//! `:compare ENV`: the latest state of another environment beside the current one, per check
//! key — pass/fail counts on each side and the values that differ (is DR configured like
//! prod?). Keys that differ come first. Owns the report and a cursor.

use super::{pane_block, styled, tally_spans};
use crate::tui::keymap::Action;
use crate::tui::reports::CompareReport;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The compare screen's state.
#[derive(Debug, Clone, Default)]
pub struct CompareScreen {
    /// The environments asked for (this one, the other), and the report once answered.
    pub envs: Option<(String, String)>,
    pub report: Option<Box<CompareReport>>,
    pub missing: Option<String>,
    pub cursor: usize,
    pub height: usize,
}

impl CompareScreen {
    pub fn open(&mut self, env: &str, other: &str) {
        self.envs = Some((env.to_string(), other.to_string()));
        self.report = None;
        self.missing = None;
        self.cursor = 0;
    }

    pub fn handle(&mut self, action: Action) -> bool {
        let n = self.report.as_ref().map_or(0, |r| r.rows.len());
        super::move_in_list(&mut self.cursor, action, self.height, n)
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let (left, right) = self.envs.clone().unwrap_or_default();
        let differing = self
            .report
            .as_ref()
            .map_or(0, |r| r.rows.iter().filter(|r| r.differs()).count());
        let block = pane_block(
            &format!("Compare · {left} ↔ {right} · {differing} keys differ · esc back"),
            true,
            t,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(r) = &self.report else {
            f.render_widget(super::waiting_line(&self.missing, t), inner);
            return;
        };
        let key_w = r
            .rows
            .iter()
            .map(|r| r.key.chars().count())
            .max()
            .unwrap_or(5)
            .min(48);
        let mut items = vec![(
            Line::from(styled(
                format!(
                    "{:<key_w$}  {:<12} {:<12} values that differ",
                    "check", left, right
                ),
                t.muted,
            )),
            false,
        )];
        for row in &r.rows {
            let mut spans = vec![Span::raw(format!(
                "{:<key_w$}  ",
                super::ellipsize(&row.key, key_w)
            ))];
            let side = |tally| {
                let mut s = tally_spans(tally, t);
                let w: usize = s.iter().map(|x| x.content.chars().count()).sum();
                s.push(Span::raw(" ".repeat(13usize.saturating_sub(w))));
                s
            };
            spans.extend(side(row.left));
            spans.extend(side(row.right));
            if row.left_values != row.right_values {
                let words = |v: &std::collections::BTreeSet<String>| {
                    v.iter().cloned().collect::<Vec<_>>().join(" | ")
                };
                spans.push(styled(words(&row.left_values), t.fail));
                spans.push(Span::raw("  ≠  "));
                spans.push(styled(words(&row.right_values), t.fail));
            } else {
                spans.push(styled("same", t.muted));
            }
            items.push((Line::from(spans), true));
        }
        super::draw_list(f, inner, items, self.cursor, t);
    }
}
