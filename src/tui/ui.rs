//! Screen layout and the top-level `draw`: splits the frame into regions and lets each
//! component draw its own. Reads [`App`] only; never does IO, never mutates state.

use super::app::App;
use super::components;
use super::keymap::InputMode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// Below this size the screen only says it is too small.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 10;

/// The regions of the live screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub hosts: Rect,
    pub categories: Rect,
    pub table: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
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
        hosts,
        categories,
        table,
        detail,
        footer,
    }
}

/// Result rows visible in the table for a terminal of `w`×`h` (borders and header excluded).
pub fn table_rows(w: u16, h: u16, detail_open: bool) -> usize {
    let a = areas(Rect::new(0, 0, w, h), detail_open);
    a.table.height.saturating_sub(3) as usize
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}×{} (need {MIN_WIDTH}×{MIN_HEIGHT})",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(Line::from(msg).style(app.theme.fail)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let a = areas(area, app.detail_open);
    components::header::draw(f, a.header, app);
    if a.hosts.width > 0 {
        components::hosts::draw_hosts(f, a.hosts, app);
        components::hosts::draw_categories(f, a.categories, app);
    }
    components::table::draw(f, a.table, app);
    if let Some(d) = a.detail {
        components::detail::draw(f, d, app);
    }
    components::footer::draw(f, a.footer, app);
    if app.mode == InputMode::Help {
        components::help::draw(f, area, app);
    }
}
