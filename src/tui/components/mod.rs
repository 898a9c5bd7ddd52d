//! Screen regions, one file each. Every component has `draw(f, area, app)`; none mutates
//! state or does IO.

pub mod detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod hosts;
pub mod table;

use ratatui::text::Span;

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

/// A span with a trailing separator-free style helper.
pub fn styled(s: impl Into<String>, style: ratatui::style::Style) -> Span<'static> {
    Span::styled(s.into(), style)
}
