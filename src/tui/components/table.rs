//! Main results table: host, check, category, severity, outcome, actual vs expected, duration.
//! Virtualized: only the rows on screen are built, so 50k results cost the same as 50.

use super::styled;
use crate::model::human_duration;
use crate::tui::app::{App, Focus};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

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

/// The block title: counts, sort, toggles.
pub fn title(app: &App) -> String {
    let mut s = format!(" Results {}", app.view.len());
    if app.view.len() != app.results.len() {
        s.push_str(&format!(" of {}", app.results.len()));
    }
    if app.view.len() > app.table_height() {
        // where the cursor is in a list longer than the screen
        s.push_str(&format!(" · row {}", app.cursor + 1));
    }
    s.push_str(&format!(" · sort: {}", app.sort.label()));
    if app.failures_only {
        s.push_str(" · failures only");
    }
    if !app.marks.is_empty() {
        s.push_str(&format!(" · {} marked", app.marks.len()));
    }
    s.push(' ');
    s
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t: &Theme = &app.theme;
    let focused = app.focus == Focus::Table;
    let block = Block::bordered()
        .title(Span::styled(
            title(app),
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
    let visible: Vec<u32> = app
        .view
        .iter()
        .skip(app.offset)
        .take(height)
        .copied()
        .collect();
    let host_w = visible
        .iter()
        .map(|id| app.results.rows[*id as usize].rec.host.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 20) as u16;
    let hl = t.accent.add_modifier(Modifier::UNDERLINED);
    let filtering = !app.filter.is_empty();
    let mut rows = Vec::with_capacity(visible.len());
    for (i, id) in visible.iter().enumerate() {
        let row = &app.results.rows[*id as usize];
        let r = &row.rec;
        let hits = if filtering {
            app.results.match_indices(*id)
        } else {
            Vec::new()
        };
        let host_len = r.host.chars().count();
        let key_start = host_len + 1;
        let key_len = r.key.as_str().chars().count();
        let cat_start = key_start + key_len + 1 + r.title.chars().count() + 1;
        let mark = if app.marks.contains(id) {
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
        if app.offset + i == app.cursor {
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
    if app.view.is_empty() {
        let msg = if app.results.is_empty() {
            if app.running() {
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
