//! Footer/status line: the filter or command being typed (with completions), else the last
//! message and the filter in effect.

use super::styled;
use crate::tui::app::App;
use crate::tui::keymap::InputMode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let cursor = styled("█", t.accent.add_modifier(Modifier::SLOW_BLINK));
    let line = match app.mode {
        InputMode::Filter => Line::from(vec![
            styled("/", t.accent),
            Span::raw(app.filter.clone()),
            cursor,
            styled("   enter keeps · esc clears", t.muted),
        ]),
        InputMode::Command => {
            let mut v = vec![
                styled(":", t.accent),
                Span::raw(app.command_line.clone()),
                cursor,
            ];
            if !app.completions.is_empty() {
                v.push(styled(
                    format!("   {}", app.completions.join("  ")),
                    t.muted,
                ));
            } else {
                v.push(styled("   tab completes", t.muted));
            }
            Line::from(v)
        }
        InputMode::Normal | InputMode::Help => {
            let mut v = vec![Span::raw(format!(" {}", app.status))];
            if !app.filter.is_empty() {
                v.push(styled("  │ filter ", t.border));
                v.push(styled(format!("/{}", app.filter), t.accent));
            }
            if let Some(h) = app.current_host() {
                v.push(styled("  │ host ", t.border));
                v.push(Span::raw(h.to_string()));
            }
            if let Some(c) = app.current_category() {
                v.push(styled("  │ cat ", t.border));
                v.push(Span::raw(c.to_string()));
            }
            Line::from(v)
        }
    };
    f.render_widget(Paragraph::new(line), area);
}
