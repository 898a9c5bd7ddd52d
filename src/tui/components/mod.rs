//! Screen regions, one file each. Every component owns the state of its region and has
//! `draw(&self, frame, area, …)` (reads its state, never does IO, never mutates) and, where it
//! takes keys, `handle(&mut self, action) -> handled`. Components know nothing of the app that
//! composes them: what a region needs from another (the row under the cursor, the scope) is
//! passed in. Geometry is in [`crate::tui::layout`].

pub mod ack;
pub mod categories;
pub mod compare;
pub mod detail;
pub mod diff;
pub mod drift;
pub mod footer;
pub mod header;
pub mod help;
pub mod hosts;
pub mod runs;
pub mod table;
pub mod timeline;

use super::keymap::Action;
use super::theme::Theme;
use crate::model::Outcome;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

/// Cut `s` to `max` display columns, ending with `…` when cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A styled span owning its text.
pub fn styled(s: impl Into<String>, style: ratatui::style::Style) -> Span<'static> {
    Span::styled(s.into(), style)
}

/// A bordered pane with its title; accent colours when it has the keyboard.
pub fn pane_block(title: &str, focused: bool, t: &Theme) -> Block<'static> {
    let border = if focused { t.accent } else { t.border };
    Block::bordered()
        .title(Span::styled(
            format!(" {title} "),
            if focused { t.accent } else { t.muted },
        ))
        .border_style(border)
}

/// The cursor line: the selection style when the pane has the keyboard, else bold.
pub fn cursor_style(
    line: Line<'static>,
    at_cursor: bool,
    focused: bool,
    t: &Theme,
) -> Line<'static> {
    if !at_cursor {
        return line;
    }
    if focused {
        line.style(t.selection)
    } else {
        line.style(Style::default().add_modifier(ratatui::style::Modifier::BOLD))
    }
}

/// Move a cursor by `delta` within `0..len`.
pub fn step(cur: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize
}

/// Scroll a text pane for a movement action; `false` when `action` is not a movement.
pub fn scroll_by(scroll: &mut u16, action: crate::tui::keymap::Action, page: usize) -> bool {
    let Some(delta) = hosts::movement(action, page) else {
        return false;
    };
    *scroll = (*scroll as isize + delta).clamp(0, u16::MAX as isize) as u16;
    true
}

/// First visible index so that `cursor` is on screen (centred lists).
pub fn window(cursor: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        0
    } else {
        cursor.saturating_sub(height / 2).min(len - height)
    }
}

/// Per-host or per-category counts (decremented when a re-check replaces a result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: u32,
    pub fail: u32,
    pub problem: u32,
    pub other: u32,
}

impl Tally {
    fn slot(&mut self, o: Outcome) -> &mut u32 {
        match o {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::NotApplicable => &mut self.other,
            _ => &mut self.problem,
        }
    }
    pub fn add(&mut self, o: Outcome) {
        *self.slot(o) += 1;
    }
    pub fn remove(&mut self, o: Outcome) {
        let s = self.slot(o);
        *s = s.saturating_sub(1);
    }
    pub fn total(&self) -> u32 {
        self.pass + self.fail + self.problem + self.other
    }
    /// The sum of two tallies.
    pub fn plus(self, o: Tally) -> Tally {
        Tally {
            pass: self.pass + o.pass,
            fail: self.fail + o.fail,
            problem: self.problem + o.problem,
            other: self.other + o.other,
        }
    }
}

/// Tallies per environment and name (a host or a category), found by `&str` without
/// building a key: results stream in at tens of thousands a second.
#[derive(Debug, Clone, Default)]
pub struct TallyBook(crate::store::FastMap<String, crate::store::FastMap<String, Tally>>);

impl TallyBook {
    pub fn get(&self, env: &str, name: &str) -> Tally {
        self.0
            .get(env)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or_default()
    }

    pub fn contains(&self, env: &str, name: &str) -> bool {
        self.0.get(env).is_some_and(|m| m.contains_key(name))
    }

    /// Count `new`, uncount the `old` outcome it replaced.
    pub fn record(&mut self, env: &str, name: &str, old: Option<Outcome>, new: Outcome) {
        if !self.contains(env, name) {
            self.0
                .entry(env.to_string())
                .or_default()
                .insert(name.to_string(), Tally::default());
        }
        if let Some(t) = self.0.get_mut(env).and_then(|m| m.get_mut(name)) {
            if let Some(o) = old {
                t.remove(o);
            }
            t.add(new);
        }
    }
}

/// `3✗ 1! 120` style counts.
pub fn tally_spans(tally: Tally, t: &Theme) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    if tally.fail > 0 {
        v.push(styled(format!("{}✗ ", tally.fail), t.fail));
    }
    if tally.problem > 0 {
        v.push(styled(format!("{}! ", tally.problem), t.error));
    }
    v.push(styled(tally.total().to_string(), t.muted));
    v
}

/// Left text and right-aligned spans on one line of `width` columns.
pub fn justify(left: Vec<Span<'static>>, right: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let rw: usize = right.iter().map(|s| s.content.chars().count()).sum();
    let avail = width.saturating_sub(rw + 1);
    let mut used = 0;
    let mut spans = Vec::new();
    for s in left {
        let room = avail.saturating_sub(used);
        let text = ellipsize(&s.content, room);
        used += text.chars().count();
        spans.push(Span::styled(text, s.style));
    }
    spans.push(Span::raw(" ".repeat(width.saturating_sub(used + rw))));
    spans.extend(right);
    Line::from(spans)
}

/// Move a cursor over `selectable` rows of a list `height` lines tall; `false` when
/// `action` is not a movement.
pub fn move_in_list(cursor: &mut usize, action: Action, height: usize, selectable: usize) -> bool {
    let Some(delta) = hosts::movement(action, height.max(2) - 1) else {
        return false;
    };
    *cursor = step(*cursor, delta, selectable);
    true
}

/// The line a full-body screen shows until its answer arrives (or why none will).
pub fn waiting_line(missing: &Option<String>, t: &Theme) -> Line<'static> {
    Line::from(styled(
        missing
            .clone()
            .unwrap_or_else(|| "reading the history…".into()),
        t.muted,
    ))
}

/// Draw a list of lines into `area`, some selectable: the `cursor`-th selectable line gets
/// the cursor style and is kept on screen (full-body screens: Drift, Runs, diff, compare).
pub fn draw_list(
    f: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    items: Vec<(Line<'static>, bool)>,
    cursor: usize,
    t: &Theme,
) {
    let mut sel = 0;
    let mut cursor_line = 0;
    let lines: Vec<Line<'static>> = items
        .into_iter()
        .enumerate()
        .map(|(i, (l, selectable))| {
            if !selectable {
                return l;
            }
            let at = sel == cursor;
            sel += 1;
            if at {
                cursor_line = i;
            }
            cursor_style(l, at, true, t)
        })
        .collect();
    let h = area.height as usize;
    let top = window(cursor_line, lines.len(), h);
    let shown: Vec<Line<'static>> = lines.into_iter().skip(top).take(h).collect();
    f.render_widget(ratatui::widgets::Paragraph::new(shown), area);
}

/// A screen that takes the whole body (between header and footer).
pub trait BodyScreen {
    fn draw_body(&self, f: &mut ratatui::Frame, area: ratatui::layout::Rect, t: &Theme);
}

impl BodyScreen for drift::DriftScreen {
    fn draw_body(&self, f: &mut ratatui::Frame, area: ratatui::layout::Rect, t: &Theme) {
        self.draw(f, area, t)
    }
}

impl BodyScreen for runs::RunsScreen {
    fn draw_body(&self, f: &mut ratatui::Frame, area: ratatui::layout::Rect, t: &Theme) {
        self.draw(f, area, t)
    }
}

impl BodyScreen for diff::DiffScreen {
    fn draw_body(&self, f: &mut ratatui::Frame, area: ratatui::layout::Rect, t: &Theme) {
        self.draw(f, area, t)
    }
}

impl BodyScreen for compare::CompareScreen {
    fn draw_body(&self, f: &mut ratatui::Frame, area: ratatui::layout::Rect, t: &Theme) {
        self.draw(f, area, t)
    }
}
