//! Results table: host, check, category, severity, outcome, actual vs expected, duration.
//! Owns the results, the filtered and sorted view, the cursor, marks, sort, the
//! failures-only toggle and the fuzzy filter. Virtualized: only the rows on screen are built,
//! so 50k results cost the same as 50.

//!
//! Split by responsibility: this file (state, view, cursor), [`ingest`] (live / stored
//! results and acknowledgements coming in), [`draw`] (rendering).

mod draw;
mod ingest;

use super::step;
use crate::model::{AckBook, Acknowledgement, ResultRecord};
use crate::tui::components::hosts::movement;
use crate::tui::keymap::Action;
use crate::tui::rows::{ResultSet, RowId, SortOrder, SortedView, ViewFilter, is_failure};
pub use draw::elide_middle;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

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
    pub view: SortedView,
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
    /// Rows showing a stored result (from the history) not re-probed in this session: the
    /// result's age when loaded, and when it was loaded.
    stored: HashMap<RowId, (i64, Instant)>,
    /// Active acknowledgements (from the stored state and the `a` prompt).
    acks: AckBook,
    /// Rows whose failure an acknowledgement covers: dimmed, showing who, why, until when.
    acked: HashMap<RowId, Acknowledgement>,
    /// Put the cursor on this row at the next settle (opened from another screen).
    reveal: Option<RowId>,
}

impl ResultsTable {
    pub fn new() -> ResultsTable {
        ResultsTable {
            view_dirty: true,
            height: 1,
            ..Default::default()
        }
    }

    /// Put the cursor on `id` once the view is settled (when the view holds it).
    pub fn reveal(&mut self, id: RowId) {
        self.reveal = Some(id);
    }

    /// The row under the cursor.
    pub fn selected(&self) -> Option<RowId> {
        self.view.get(self.cursor).copied()
    }

    /// The record under the cursor (built from the compact row: one per frame at most).
    pub fn selected_record(&self) -> Option<ResultRecord> {
        self.selected().and_then(|id| self.results.record(id))
    }

    pub fn page(&self) -> usize {
        self.height.saturating_sub(1).max(1)
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
        self.results.outcome(id).is_some_and(is_failure)
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

    /// What the next settle has to do: rebuild the whole view (a keystroke, a toggle), and
    /// how many rows it takes in (streamed or replaced since the last settle). For the
    /// loop's account of slow frames.
    pub fn unsettled(&self) -> (bool, usize) {
        (self.view_dirty, self.fresh.len() + self.touched.len())
    }

    /// Rebuild the view if needed and keep the cursor on its row and on screen. Called once
    /// per burst of messages, before drawing.
    pub fn settle(&mut self, scope: &TableScope) {
        /// Above this many replaced rows a full rebuild is cheaper than moving each one.
        const MAX_MOVES: usize = 64;
        let revealed = self.reveal.take();
        let keep = if revealed.is_some() {
            revealed
        } else if self.cursor == 0 {
            None
        } else {
            self.selected()
        };
        let changed = self.view_dirty || !self.fresh.is_empty() || !self.touched.is_empty();
        self.results.refresh_ranks();
        if self.view_dirty || self.touched.len() > MAX_MOVES {
            self.results.set_pattern(&self.filter);
            self.view = self.results.view(&self.view_filter(scope), self.sort);
        } else if changed {
            let f = self.view_filter(scope);
            if !self.touched.is_empty() {
                let moved: HashSet<RowId> = self.touched.iter().copied().collect();
                self.view.retain(|id| !moved.contains(&id));
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
                self.results.merge_into(&mut self.view, add, self.sort);
            }
        }
        self.fresh.clear();
        self.touched.clear();
        self.view_dirty = false;
        // Keep the name orders nearly current (a bounded share per frame), so the next full
        // rebuild (a keystroke, a toggle) has few rows left to fold in.
        self.results.fold_orders_some();
        if (changed || revealed.is_some())
            && let Some(id) = keep
            && let Some(pos) = self.view.position(id)
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
        if !self.stored.is_empty() {
            s.push_str(&format!(" · {} stored", self.stored.len()));
        }
        s.push(' ');
        s
    }
}
