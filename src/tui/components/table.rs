//! Results table: host, check, category, severity, outcome, actual vs expected, duration.
//! Owns the results, the filtered and sorted view, the cursor, marks, sort, the
//! failures-only toggle and the fuzzy filter. Virtualized: only the rows on screen are built,
//! so 50k results cost the same as 50.

use super::{step, styled};
use crate::model::{AckBook, Acknowledgement, ResultRecord, age_text, human_duration};
use crate::tui::components::hosts::movement;
use crate::tui::keymap::Action;
use crate::tui::rows::{ResultSet, RowId, SortOrder, SortedView, ViewFilter, is_failure};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
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

    /// Insert or replace a live result; returns the outcome it replaced.
    pub fn upsert(&mut self, rec: ResultRecord) -> Option<crate::model::Outcome> {
        let (id, old) = self.upsert_row(rec);
        self.stored.remove(&id);
        old
    }

    /// Show a stored result `age_secs` old (loaded at `now`), unless this session already
    /// has a live result for it. `None`: left alone; else the outcome it replaced.
    pub fn upsert_stored(
        &mut self,
        rec: ResultRecord,
        age_secs: i64,
        now: Instant,
    ) -> Option<Option<crate::model::Outcome>> {
        if let Some(id) = self
            .results
            .find(&rec.environment, &rec.host, rec.key.as_str())
            && !self.stored.contains_key(&id)
        {
            return None;
        }
        let (id, old) = self.upsert_row(rec);
        self.stored.insert(id, (age_secs, now));
        Some(old)
    }

    /// The age of a row's stored result at `now`; `None` for a live row.
    pub fn stored_age(&self, id: RowId, now: Instant) -> Option<i64> {
        self.stored
            .get(&id)
            .map(|(age, at)| age + now.saturating_duration_since(*at).as_secs() as i64)
    }

    /// Apply an acknowledgement (stored, or just made with `a`): the row it covers is dimmed
    /// from now on, and so is every later result with the same value.
    pub fn acknowledge(&mut self, ack: Acknowledgement) {
        let row = self
            .results
            .find(&ack.environment, &ack.host, &ack.key)
            .and_then(|id| self.results.record(id).map(|r| (id, r)));
        if let Some((id, r)) = row
            && ack.covers(&r, chrono::Utc::now())
        {
            self.acked.insert(id, ack.clone());
            self.results.set_acked(id, true);
            if !self.view_dirty {
                self.touched.push(id);
            }
        }
        self.acks.insert(ack);
    }

    /// The stored state of `env` was (re-)read: its active acknowledgements replace the ones
    /// this table knew for `env` (one removed or lapsed elsewhere stops dimming its row).
    pub fn replace_acks(&mut self, env: &str, acks: Vec<Acknowledgement>) {
        for (e, h, k) in self.acks.keys_of(env) {
            self.acks.remove(&e, &h, &k);
        }
        let rows = &self.results;
        let gone: Vec<RowId> = self
            .acked
            .keys()
            .copied()
            .filter(|id| rows.row(*id).is_some_and(|r| r.environment == env))
            .collect();
        for id in gone {
            self.acked.remove(&id);
            self.results.set_acked(id, false);
            if !self.view_dirty {
                self.touched.push(id);
            }
        }
        for a in acks {
            self.acknowledge(a);
        }
    }

    /// The acknowledgement covering a row, if any.
    pub fn acknowledgement(&self, id: RowId) -> Option<&Acknowledgement> {
        self.acked.get(&id)
    }

    /// How many rows an acknowledgement covers.
    pub fn acked_count(&self) -> usize {
        self.acked.len()
    }

    /// How many rows still show a stored result.
    pub fn stored_count(&self) -> usize {
        self.stored.len()
    }

    fn upsert_row(&mut self, rec: ResultRecord) -> (RowId, Option<crate::model::Outcome>) {
        // A new value of an acknowledged check is another drift: the row is no longer covered.
        let ack = self.acks.covering(&rec).cloned();
        let (id, old) = self.results.upsert(rec);
        self.results.set_acked(id, ack.is_some());
        match ack {
            Some(a) => self.acked.insert(id, a),
            None => self.acked.remove(&id),
        };
        if !self.view_dirty {
            match old {
                None => self.fresh.push(id),
                Some(_) => self.touched.push(id),
            }
        }
        (id, old)
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

    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        t: &Theme,
        focused: bool,
        running: bool,
        now: Instant,
    ) {
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
            .iter_from(self.offset)
            .take(height)
            .copied()
            .collect();
        let host_w = visible
            .iter()
            .filter_map(|id| self.results.row(*id))
            .map(|r| r.host.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 20) as u16;
        let hl = t.accent.add_modifier(Modifier::UNDERLINED);
        let filtering = !self.filter.is_empty();
        let key_w = self.key_column_width(inner.width, host_w, show_cat, show_sev, show_dur);
        let mut rows = Vec::with_capacity(visible.len());
        for (i, id) in visible.iter().enumerate() {
            let Some(r) = self.results.row(*id) else {
                continue;
            };
            let hits = if filtering {
                self.results.match_indices(*id)
            } else {
                Vec::new()
            };
            let host_len = r.host.chars().count();
            let key_start = host_len + 1;
            let key_len = r.key.chars().count();
            let cat_start = key_start + key_len + 1 + r.title.chars().count() + 1;
            let mark = if self.marks.contains(id) {
                styled("●", t.accent)
            } else {
                Span::raw(" ")
            };
            let mut cells = vec![
                Cell::from(mark),
                Cell::from(highlighted(r.host, 0, &hits, Style::default(), hl)),
                {
                    let (key, key_hits) = elide_middle(r.key, key_w, key_start, &hits);
                    Cell::from(highlighted(
                        &key,
                        key_start,
                        &key_hits,
                        Style::default(),
                        hl,
                    ))
                },
            ];
            if show_cat {
                cells.push(Cell::from(highlighted(
                    r.category, cat_start, &hits, t.muted, hl,
                )));
            }
            if show_sev {
                cells.push(Cell::from(styled(r.severity.as_str(), t.muted)));
            }
            let stored = self.stored_age(*id, now);
            let outcome_style = match stored {
                // a stored result: the outcome it had, dimmed until re-probed
                Some(_) => t.outcome(r.outcome).add_modifier(Modifier::DIM),
                None => t.outcome(r.outcome),
            };
            let ack = self.acked.get(id);
            match ack {
                // its own bucket: neither pass nor fail, who/why/until in place of the value
                Some(a) => {
                    cells.push(Cell::from(styled("acked", t.muted)));
                    cells.push(Cell::from(styled(
                        format!(
                            "{} ({}, until {})",
                            a.reason,
                            a.user,
                            a.expires_at.format("%Y-%m-%d")
                        ),
                        t.muted,
                    )));
                }
                None => {
                    cells.push(Cell::from(styled(r.outcome.as_str(), outcome_style)));
                    cells.push(Cell::from(r.summary()));
                }
            }
            if show_dur {
                cells.push(Cell::from(match stored {
                    Some(age) => styled(age_text(age), t.muted.add_modifier(Modifier::ITALIC)),
                    None => styled(human_duration(r.duration), t.muted),
                }));
            }
            let mut tr = Row::new(cells);
            if ack.is_some() {
                tr = tr.style(Style::default().add_modifier(Modifier::DIM));
            }
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
            header.push(if self.stored.is_empty() {
                "time"
            } else {
                "age"
            });
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
impl ResultsTable {
    /// The width the check column gets: what the table's own layout gives `Fill(5)` next
    /// to the other columns (same constraints, same spacing).
    fn key_column_width(&self, width: u16, host_w: u16, cat: bool, sev: bool, dur: bool) -> usize {
        let mut c = vec![
            Constraint::Length(1),
            Constraint::Length(host_w),
            Constraint::Fill(5),
        ];
        if cat {
            c.push(Constraint::Length(12));
        }
        if sev {
            c.push(Constraint::Length(8));
        }
        c.push(Constraint::Length(11));
        c.push(Constraint::Fill(4));
        if dur {
            c.push(Constraint::Length(7));
        }
        let rects = ratatui::layout::Layout::horizontal(c)
            .spacing(1)
            .split(Rect::new(0, 0, width, 1));
        rects.get(2).map_or(usize::MAX, |r| r.width as usize)
    }
}

/// Fit `text` into `width` columns by cutting its middle: two keys that share a long prefix
/// (`kernel.sysctl-off[key=net.ipv4.conf.all.…]`) keep their distinguishing ends. `hits`
/// (filter highlights, counted from `start`) are moved to the kept characters.
pub fn elide_middle(
    text: &str,
    width: usize,
    start: usize,
    hits: &[usize],
) -> (String, Vec<usize>) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width || width < 5 {
        return (text.to_string(), hits.to_vec());
    }
    // A third for the start (the check id), the rest for the end (the matrix values).
    let head = (width - 1) / 3;
    let tail = width - 1 - head;
    let cut_from = chars.len() - tail;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[cut_from..]);
    let moved = hits
        .iter()
        .filter_map(|&h| {
            let i = h.checked_sub(start)?;
            if i < head {
                Some(h)
            } else if i >= cut_from && i < chars.len() {
                Some(start + head + 1 + (i - cut_from))
            } else if i >= chars.len() {
                Some(h) // beyond this text: other cells' hits stay as they are
            } else {
                None
            }
        })
        .collect();
    (s, moved)
}

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

#[cfg(test)]
mod elide_tests {
    use super::elide_middle;

    #[test]
    fn long_keys_keep_their_distinguishing_end() {
        let a = "kernel.sysctl-off[key=net.ipv4.conf.all.accept_redirects]";
        let b = "kernel.sysctl-off[key=net.ipv4.conf.all.send_redirects]";
        let (ea, _) = elide_middle(a, 30, 0, &[]);
        let (eb, _) = elide_middle(b, 30, 0, &[]);
        assert_eq!(ea.chars().count(), 30);
        assert_eq!(ea, "kernel.sy…ll.accept_redirects]");
        assert_ne!(ea, eb);
        assert!(eb.ends_with("send_redirects]"));
        // Short keys are left alone; highlights move with the kept characters.
        assert_eq!(elide_middle("ssh.root", 30, 0, &[0]).0, "ssh.root");
        let (_, hits) = elide_middle(a, 30, 5, &[5, 6, 5 + a.chars().count() - 1]);
        assert_eq!(hits, [5, 6, 5 + 29]);
    }
}
