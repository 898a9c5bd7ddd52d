//! Help overlay, generated from the keymap (so it always shows the keys actually bound).
//! Owns its scroll.

use super::scroll_by;
use super::styled;
use crate::tui::keymap::{Action, InputMode, Keymap};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The help overlay's state.
#[derive(Debug, Clone, Copy, Default)]
pub struct HelpOverlay {
    pub scroll: u16,
}

impl HelpOverlay {
    /// Scroll; `true` when the action was a movement.
    pub fn handle(&mut self, action: Action, page: usize) -> bool {
        scroll_by(&mut self.scroll, action, page)
    }

    /// The help text (pure).
    pub fn lines(keymap: &Keymap, t: &Theme) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for mode in [
            InputMode::Normal,
            InputMode::Filter,
            InputMode::Command,
            InputMode::Ack,
        ] {
            if !out.is_empty() {
                out.push(Line::default());
            }
            out.push(Line::from(styled(
                format!("{} mode", mode.name()),
                t.accent,
            )));
            for (keys, desc) in keymap.help_rows(mode) {
                out.push(Line::from(vec![
                    styled(format!("  {keys:<18}"), t.pass),
                    Span::raw(desc),
                ]));
            }
        }
        out.push(Line::default());
        out.push(Line::from(styled(
            "commands: :env NAME  :host NAME  :cat NAME  :run  :recheck  :failures  :theme NAME  :q",
            t.muted,
        )));
        out
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, keymap: &Keymap) {
        let w = area.width.saturating_sub(4).min(96);
        let h = area.height.saturating_sub(2);
        let r = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + 1,
            width: w,
            height: h,
        };
        f.render_widget(Clear, r);
        let p = Paragraph::new(HelpOverlay::lines(keymap, t))
            .block(
                Block::bordered()
                    .title(Span::styled(" Help (esc closes, j/k scroll) ", t.accent))
                    .border_style(t.accent),
            )
            .scroll((self.scroll, 0));
        f.render_widget(p, r);
    }
}
