//! Categories pane (left, bottom): check categories with counts for the current
//! environment; the cursor narrows the results table ("all" = no narrowing).

use super::{
    Tally, TallyBook, cursor_style, justify, pane_block, step, styled, tally_spans, window,
};
use crate::model::Outcome;
use crate::tui::components::hosts::movement;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::collections::BTreeSet;

/// The categories pane's state.
#[derive(Debug, Clone, Default)]
pub struct CategoriesPane {
    /// Categories known from the checks (results may add more).
    pub names: BTreeSet<String>,
    /// 0 = all categories, else index+1 into `names`.
    pub cursor: usize,
    tally: TallyBook,
}

impl CategoriesPane {
    pub fn new(names: BTreeSet<String>) -> CategoriesPane {
        CategoriesPane {
            names,
            ..Default::default()
        }
    }

    pub fn current(&self) -> Option<&str> {
        if self.cursor == 0 {
            None
        } else {
            self.names.iter().nth(self.cursor - 1).map(String::as_str)
        }
    }

    /// Put the cursor on `name` (`None` = all); false when there is no such category.
    pub fn select(&mut self, name: Option<&str>) -> bool {
        match name {
            None => {
                self.cursor = 0;
                true
            }
            Some(n) => match self.names.iter().position(|c| c == n) {
                Some(i) => {
                    self.cursor = i + 1;
                    true
                }
                None => false,
            },
        }
    }

    /// Move the cursor; `true` when the action was a movement.
    pub fn handle(&mut self, action: Action, page: usize) -> bool {
        let Some(delta) = movement(action, page) else {
            return false;
        };
        self.cursor = step(self.cursor, delta, self.names.len() + 1);
        true
    }

    pub fn tally(&self, env: &str, cat: &str) -> Tally {
        self.tally.get(env, cat)
    }

    /// A result of `cat` arrived (replacing one with outcome `old`).
    pub fn record(&mut self, env: &str, cat: &str, old: Option<Outcome>, new: Outcome) {
        if !self.names.contains(cat) {
            self.names.insert(cat.to_string());
        }
        self.tally.record(env, cat, old, new);
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, focused: bool, env: &str) {
        let block = pane_block("Categories", focused, t);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cats: Vec<&String> = self.names.iter().collect();
        let height = inner.height as usize;
        let width = inner.width as usize;
        let start = window(self.cursor, cats.len() + 1, height);
        let mut lines = Vec::new();
        for i in (start..=cats.len()).take(height) {
            let line = if i == 0 {
                let all = cats
                    .iter()
                    .fold(Tally::default(), |acc, c| acc.plus(self.tally(env, c)));
                justify(vec![styled("all", t.accent)], tally_spans(all, t), width)
            } else {
                let c = cats[i - 1];
                justify(
                    vec![Span::raw(c.clone())],
                    tally_spans(self.tally(env, c), t),
                    width,
                )
            };
            lines.push(cursor_style(line, i == self.cursor, focused, t));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
