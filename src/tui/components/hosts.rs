//! Left column: environments → hosts tree with per-host counts and connection state, and
//! below it the check categories with counts. The cursor in either list narrows the table.

use super::{ellipsize, styled};
use crate::model::HostPhase;
use crate::tui::app::{App, Focus, Tally, TreeItem};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

fn pane_block(title: &str, focused: bool, t: &Theme) -> Block<'static> {
    let border = if focused { t.accent } else { t.border };
    Block::bordered()
        .title(Span::styled(
            format!(" {title} "),
            if focused { t.accent } else { t.muted },
        ))
        .border_style(border)
}

/// `3✗ 1! 120` style counts.
fn tally_spans(tally: Tally, t: &Theme) -> Vec<Span<'static>> {
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
fn justify(left: Vec<Span<'static>>, right: Vec<Span<'static>>, width: usize) -> Line<'static> {
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

fn phase_span(
    phase: Option<&HostPhase>,
    tally: Tally,
    t: &Theme,
) -> (Span<'static>, Option<String>) {
    match phase {
        None => (styled("·", t.muted), None),
        Some(HostPhase::Queued) => (styled("·", t.muted), Some("queued".into())),
        Some(HostPhase::Connecting) => (styled("◌", t.accent), Some("connecting".into())),
        Some(HostPhase::Probing) => (styled("◐", t.accent), Some("probing".into())),
        Some(HostPhase::Done) => {
            let style = if tally.fail > 0 {
                t.fail
            } else if tally.problem > 0 {
                t.error
            } else {
                t.pass
            };
            (styled("●", style), None)
        }
        Some(HostPhase::Failed(reason)) => (styled("✗", t.unreachable), Some(reason.clone())),
    }
}

/// First visible index so that `cursor` is on screen.
fn window(cursor: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        0
    } else {
        cursor.saturating_sub(height / 2).min(len - height)
    }
}

pub fn draw_hosts(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Hosts;
    let block = pane_block("Hosts", focused, t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let items = app.tree_items();
    let height = inner.height as usize;
    let width = inner.width as usize;
    let start = window(app.tree_cursor, items.len(), height);
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate().skip(start).take(height) {
        let line = match *item {
            TreeItem::Env(e) => {
                let env = &app.envs[e];
                let mut tally = Tally::default();
                for h in &env.hosts {
                    let ht = app.host_tally(&env.name, h);
                    tally.pass += ht.pass;
                    tally.fail += ht.fail;
                    tally.problem += ht.problem;
                    tally.other += ht.other;
                }
                let arrow = if Some(env.name.as_str()) == app.current_env() {
                    "▾ "
                } else {
                    "▸ "
                };
                justify(
                    vec![styled(arrow, t.muted), styled(env.name.clone(), t.accent)],
                    tally_spans(tally, t),
                    width,
                )
            }
            TreeItem::Host(e, h) => {
                let env = &app.envs[e];
                let name = &env.hosts[h];
                let key = (env.name.clone(), name.clone());
                let tally = app.host_tally(&env.name, name);
                let (icon, note) = phase_span(app.host_phase.get(&key), tally, t);
                let mut left = vec![
                    Span::raw("  "),
                    icon,
                    Span::raw(" "),
                    Span::raw(name.clone()),
                ];
                let right = match note {
                    Some(n)
                        if tally.total() == 0
                            || matches!(app.host_phase.get(&key), Some(HostPhase::Failed(_))) =>
                    {
                        left.push(styled(format!(" {n}"), t.muted));
                        if tally.total() == 0 {
                            vec![]
                        } else {
                            tally_spans(tally, t)
                        }
                    }
                    _ => tally_spans(tally, t),
                };
                justify(left, right, width)
            }
        };
        lines.push(cursor_style(line, i == app.tree_cursor, focused, t));
    }
    if items.is_empty() {
        lines.push(Line::from(styled("no environments loaded", t.muted)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn cursor_style(line: Line<'static>, at_cursor: bool, focused: bool, t: &Theme) -> Line<'static> {
    if !at_cursor {
        return line;
    }
    if focused {
        line.style(t.selection)
    } else {
        line.style(Style::default().add_modifier(ratatui::style::Modifier::BOLD))
    }
}

pub fn draw_categories(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Categories;
    let block = pane_block("Categories", focused, t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let env = app.current_env().unwrap_or("");
    let cats = app.category_list();
    let height = inner.height as usize;
    let width = inner.width as usize;
    let start = window(app.cat_cursor, cats.len() + 1, height);
    let mut lines = Vec::new();
    for i in (start..=cats.len()).take(height) {
        let line = if i == 0 {
            let mut all = Tally::default();
            for c in &cats {
                let ct = app.cat_tally(env, c);
                all.pass += ct.pass;
                all.fail += ct.fail;
                all.problem += ct.problem;
                all.other += ct.other;
            }
            justify(vec![styled("all", t.accent)], tally_spans(all, t), width)
        } else {
            let c = cats[i - 1];
            justify(
                vec![Span::raw(c.clone())],
                tally_spans(app.cat_tally(env, c), t),
                width,
            )
        };
        lines.push(cursor_style(line, i == app.cat_cursor, focused, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
