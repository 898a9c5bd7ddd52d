//! Pure geometry of the screen: which rectangle each region gets for a terminal size, and
//! how many table rows fit. No state, no drawing.

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this size the screen only says it is too small.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 10;

/// The regions of the live screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// Everything between header and footer (the Drift and Runs screens use all of it).
    pub body: Rect,
    pub hosts: Rect,
    pub categories: Rect,
    pub table: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

/// Whether `area` is too small to draw anything but a notice.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// Compute the regions for a frame of `area`.
pub fn areas(area: Rect, detail_open: bool) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let left_w = if area.width < 70 {
        0
    } else {
        (area.width / 4).clamp(24, 40)
    };
    let [left, main] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Min(0)]).areas(body);
    let [hosts, categories] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(left);
    let (table, detail) = if detail_open {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(main);
        (t, Some(d))
    } else {
        (main, None)
    };
    Areas {
        header,
        body,
        hosts,
        categories,
        table,
        detail,
        footer,
    }
}

/// Lines of a full-body screen (Drift, Runs) for a terminal of `w`×`h` (borders excluded).
pub fn body_rows(w: u16, h: u16) -> usize {
    areas(Rect::new(0, 0, w, h), false)
        .body
        .height
        .saturating_sub(2) as usize
}

/// Result rows visible in the table for a terminal of `w`×`h` (borders and header excluded).
pub fn table_rows(w: u16, h: u16, detail_open: bool) -> usize {
    let a = areas(Rect::new(0, 0, w, h), detail_open);
    a.table.height.saturating_sub(3) as usize
}
