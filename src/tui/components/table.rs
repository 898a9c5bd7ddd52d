//! Results table: host, check, category, severity, outcome, actual vs expected, duration.
//! Owns the results, the filtered and sorted view, the cursor, marks, sort, the
//! failures-only toggle and the fuzzy filter. Virtualized: only the rows on screen are built,
//! so 50k results cost the same as 50.

use super::{step, styled};
use crate::model::{ResultRecord, human_duration};
use crate::tui::components::hosts::movement;
use crate::tui::keymap::Action;
use crate::tui::rows::{ResultSet, RowId, SortOrder, ViewFilter, is_failure};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use std::collections::HashSet;

/// What narrows the table from outside it (the hosts and categories panes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableScope {
    pub environment: Option<String>,
    pub host: Option<String>,
    pub category: Option<String>,
}

/// The results table's state.
#[derive(Default)]
pub struct ResultsTable {
    pub results: ResultSet,
    /// Filtered, sorted row ids (rebuilt by [`ResultsTable::settle`]).
    pub view: Vec<RowId>,
    view_dirty: bool,
    /// Rows added / replaced since the last settle (merged in without a full rebuild).
    fresh: Vec<RowId>,
    touched: Vec<RowId>,
    pub cursor: usize,
    pub offset: usize,
    pub marks: HashSet<RowId>,
    pub sort: SortOrder,
    pub failures_only: bool,
    /// The fuzzy filter.
    pub filter: String,
    /// Rows that fit on screen (set from the layout).
    pub height: usize,
}

impl ResultsTable {
    pub fn new() -> ResultsTable {
        ResultsTable {
            view_dirty: true,
            height: 1,
            ..Default::default()
        }
    }

    /// The row under the cursor.
    pub fn selected(&self) -> Option<RowId> {
        self.view.get(self.cursor).copied()
    }

    /// The record under the cursor.
    pub fn selected_record(&self) -> Option<&ResultRecord> {
        self.selected()
            .and_then(|id| self.results.rows.get(id as usize))
            .map(|r| &r.rec)
    }

    pub fn page(&self) -> usize {
        self.height.saturating_sub(1).max(1)
    }

    /// Insert or replace a result; returns the outcome it replaced.
    pub fn upsert(&mut self, rec: ResultRecord) -> Option<crate::model::Outcome> {
        let (id, old) = self.results.upsert(rec);
        if !self.view_dirty {
            match old {
                None => self.fresh.push(id),
                Some(_) => self.touched.push(id),
            }
        }
        old
    }

    /// The scope or the filter changed: rebuild the view, cursor to the top.
    pub fn scope_changed(&mut self) {
        self.view_dirty = true;
        self.cursor = 0;
        self.offset = 0;
    }

    /// Re-sort without moving the cursor off its row.
    pub fn resort(&mut self) {
        self.view_dirty = true;
    }

    pub fn push_filter(&mut self, c: char) {
        self.filter.push(c);
        self.scope_changed();
    }

    pub fn pop_filter(&mut self) {
        self.filter.pop();
        self.scope_changed();
    }

    /// Clear the filter; false when there was none.
    pub fn clear_filter(&mut self) -> bool {
        if self.filter.is_empty() {
            return false;
        }
        self.filter.clear();
        self.scope_changed();
        true
    }

    /// Mark or unmark the row under the cursor and move down.
    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected() {
            if !self.marks.remove(&id) {
                self.marks.insert(id);
            }
            self.cursor = step(self.cursor, 1, self.view.len());
        }
    }

    /// Move the cursor; `true` when the action was a movement.
    pub fn handle(&mut self, action: Action) -> bool {
        let Some(delta) = movement(action, self.page()) else {
            return false;
        };
        self.cursor = step(self.cursor, delta, self.view.len());
        true
    }

    /// Whether the result in a row counts as a failure (for the failures-only toggle).
    pub fn row_is_failure(&self, id: RowId) -> bool {
        self.results
            .rows
            .get(id as usize)
            .is_some_and(|r| is_failure(r.rec.outcome))
    }

    fn view_filter(&self, scope: &TableScope) -> ViewFilter {
        ViewFilter {
            environment: scope.environment.clone(),
            host: scope.host.clone(),
            category: scope.category.clone(),
            failures_only: self.failures_only,
            pattern: self.filter.clone(),
        }
    }

    /// Rebuild the view if needed and keep the cursor on its row and on screen. Called once
    /// per burst of messages, before drawing.
    pub fn settle(&mut self, scope: &TableScope) {
        /// Above this many replaced rows a full rebuild is cheaper than moving each one.
        const MAX_MOVES: usize = 64;
        let keep = if self.cursor == 0 {
            None
        } else {
            self.selected()
        };
        let changed = self.view_dirty || !self.fresh.is_empty() || !self.touched.is_empty();
        if self.view_dirty || self.touched.len() > MAX_MOVES {
            self.results.set_pattern(&self.filter);
            self.view = self.results.view(&self.view_filter(scope), self.sort);
        } else if changed {
            let f = self.view_filter(scope);
            if !self.touched.is_empty() {
                let moved: HashSet<RowId> = self.touched.iter().copied().collect();
                self.view.retain(|id| !moved.contains(id));
            }
            let mut seen = HashSet::new();
            let mut add: Vec<RowId> = self
                .fresh
                .drain(..)
                .chain(self.touched.iter().copied())
                .filter(|id| seen.insert(*id))
                .collect();
            add.retain(|id| self.results.keeps(*id, &f));
            if !add.is_empty() {
                self.view = self.results.merge_into(&self.view, add, self.sort);
            }
        }
        self.fresh.clear();
        self.touched.clear();
        self.view_dirty = false;
        if changed
            && let Some(id) = keep
            && let Some(pos) = self.view.iter().position(|r| *r == id)
        {
            self.cursor = pos;
        }
        self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
        let h = self.height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(self.view.len().saturating_sub(h));
    }

    /// The block title: counts, sort, toggles.
    pub fn title(&self) -> String {
        let mut s = format!(" Results {}", self.view.len());
        if self.view.len() != self.results.len() {
            s.push_str(&format!(" of {}", self.results.len()));
        }
        if self.view.len() > self.height.max(1) {
            // where the cursor is in a list longer than the screen
            s.push_str(&format!(" · row {}", self.cursor + 1));
        }
        s.push_str(&format!(" · sort: {}", self.sort.label()));
        if self.failures_only {
            s.push_str(" · failures only");
        }
        if !self.marks.is_empty() {
            s.push_str(&format!(" · {} marked", self.marks.len()));
        }
        s.push(' ');
        s
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, focused: bool, running: bool) {
        let block = Block::bordered()
            .title(Span::styled(
                self.title(),
                if focused { t.accent } else { t.muted },
            ))
            .border_style(if focused { t.accent } else { t.border });
        let inner = block.inner(area);
        f.render_widget(block, area);
        let height = inner.height.saturating_sub(1) as usize;
        let w = inner.width;
        let show_cat = w >= 100;
        let show_sev = w >= 85;
        let show_dur = w >= 70;
        let visible: Vec<u32> = self
            .view
            .iter()
            .skip(self.offset)
            .take(height)
            .copied()
            .collect();
        let host_w = visible
            .iter()
            .map(|id| self.results.rows[*id as usize].rec.host.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 20) as u16;
        let hl = t.accent.add_modifier(Modifier::UNDERLINED);
        let filtering = !self.filter.is_empty();
        let mut rows = Vec::with_capacity(visible.len());
        for (i, id) in visible.iter().enumerate() {
            let row = &self.results.rows[*id as usize];
            let r = &row.rec;
            let hits = if filtering {
                self.results.match_indices(*id)
            } else {
                Vec::new()
            };
            let host_len = r.host.chars().count();
            let key_start = host_len + 1;
            let key_len = r.key.as_str().chars().count();
            let cat_start = key_start + key_len + 1 + r.title.chars().count() + 1;
            let mark = if self.marks.contains(id) {
                styled("●", t.accent)
            } else {
                Span::raw(" ")
            };
            let mut cells = vec![
                Cell::from(mark),
                Cell::from(highlighted(&r.host, 0, &hits, Style::default(), hl)),
                Cell::from(highlighted(
                    r.key.as_str(),
                    key_start,
                    &hits,
                    Style::default(),
                    hl,
                )),
            ];
            if show_cat {
                cells.push(Cell::from(highlighted(
                    &r.category,
                    cat_start,
                    &hits,
                    t.muted,
                    hl,
                )));
            }
            if show_sev {
                cells.push(Cell::from(styled(r.severity.as_str(), t.muted)));
            }
            cells.push(Cell::from(styled(r.outcome.as_str(), t.outcome(r.outcome))));
            cells.push(Cell::from(row.summary.clone()));
            if show_dur {
                cells.push(Cell::from(styled(human_duration(r.duration), t.muted)));
            }
            let mut tr = Row::new(cells);
            if self.offset + i == self.cursor {
                tr = tr.style(if focused {
                    t.selection
                } else {
                    Style::default().add_modifier(Modifier::BOLD)
                });
            }
            rows.push(tr);
        }
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(host_w),
            Constraint::Fill(5),
        ];
        let mut header = vec!["", "host", "check"];
        if show_cat {
            widths.push(Constraint::Length(12));
            header.push("category");
        }
        if show_sev {
            widths.push(Constraint::Length(8));
            header.push("severity");
        }
        widths.push(Constraint::Length(11));
        header.push("outcome");
        widths.push(Constraint::Fill(4));
        header.push("actual ≠ expected");
        if show_dur {
            widths.push(Constraint::Length(7));
            header.push("time");
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.muted.add_modifier(Modifier::BOLD)))
            .column_spacing(1);
        f.render_widget(table, inner);
        if self.view.is_empty() {
            let msg = if self.results.is_empty() {
                if running {
                    "waiting for results…"
                } else {
                    "no results yet (R runs the current scope)"
                }
            } else {
                "no rows match (esc clears the filter, f toggles failures only)"
            };
            if inner.height > 2 {
                let r = Rect {
                    y: inner.y + 2,
                    height: 1,
                    ..inner
                };
                f.render_widget(Line::from(styled(msg, t.muted)), r);
            }
        }
    }
}

/// Text with the characters at `hits` (char offsets relative to `start`) highlighted.
fn highlighted(text: &str, start: usize, hits: &[usize], base: Style, hl: Style) -> Line<'static> {
    if hits.is_empty() {
        return Line::from(Span::styled(text.to_string(), base));
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut cur = String::new();
    let mut cur_hl = false;
    for (i, ch) in text.chars().enumerate() {
        let is_hl = hits.binary_search(&(start + i)).is_ok();
        if is_hl != cur_hl && !cur.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut cur),
                if cur_hl { hl } else { base },
            ));
        }
        cur_hl = is_hl;
        cur.push(ch);
    }
    if !cur.is_empty() {
        spans.push(Span::styled(cur, if cur_hl { hl } else { base }));
    }
    Line::from(spans)
}
