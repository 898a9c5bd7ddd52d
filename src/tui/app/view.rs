//! Before a frame: settle the table's view (rebuild or merge, keep the cursor on its row).
//! The frame: split the screen with [`crate::tui::layout`] and let each component draw its
//! region from its own state plus what the app passes in. Never does IO, never mutates.

use super::{App, Focus};
use crate::tui::components::footer::FooterInfo;
use crate::tui::components::header::HeaderInfo;
use crate::tui::keymap::{Action, InputMode};
use crate::tui::layout;
use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

impl App {
    /// Rebuild the table's view if needed and keep its cursor on its row and on screen. The
    /// event loop calls this once per burst of messages, before drawing.
    pub fn settle(&mut self) {
        let scope = self.table_scope();
        self.table.settle(&scope);
    }

    /// Draw the whole screen.
    pub fn draw(&self, f: &mut Frame) {
        let area = f.area();
        let t = &self.theme;
        if layout::too_small(area) {
            let msg = format!(
                "terminal too small: {}×{} (need {}×{})",
                area.width,
                area.height,
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT
            );
            f.render_widget(
                Paragraph::new(Line::from(msg).style(t.fail)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let a = layout::areas(area, self.detail.open);
        let help_key = self
            .keymap
            .first_key(InputMode::Normal, Action::Help)
            .unwrap_or("?");
        self.header.draw(
            f,
            a.header,
            t,
            &HeaderInfo {
                env: self.current_env(),
                help_key,
                now: self.now,
            },
        );
        if a.hosts.width > 0 {
            self.hosts.draw(f, a.hosts, t, self.focus == Focus::Hosts);
            self.categories.draw(
                f,
                a.categories,
                t,
                self.focus == Focus::Categories,
                self.current_env().unwrap_or(""),
            );
        }
        self.table.draw(
            f,
            a.table,
            t,
            self.focus == Focus::Table,
            self.running(),
            self.now,
        );
        if let Some(d) = a.detail {
            self.detail.draw(
                f,
                d,
                t,
                self.focus == Focus::Detail,
                self.table.selected_record(),
                self.selected()
                    .and_then(|id| self.table.stored_age(id, self.now)),
            );
        }
        self.prompt.draw(
            f,
            a.footer,
            t,
            &FooterInfo {
                mode: self.mode,
                status: &self.status,
                filter: &self.table.filter,
                host: self.current_host(),
                category: self.current_category(),
            },
        );
        if self.mode == InputMode::Help {
            self.help.draw(f, area, t, &self.keymap);
        }
    }
}
