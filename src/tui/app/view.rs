//! Before a frame: settle the table's view (rebuild or merge, keep the cursor on its row).
//! The frame: split the screen with [`crate::tui::layout`] and let each component draw its
//! region from its own state plus what the app passes in. Never does IO, never mutates.

use super::{App, Focus, Screen};
use crate::tui::components::BodyScreen;
use crate::tui::components::footer::FooterInfo;
use crate::tui::components::header::HeaderInfo;
use crate::tui::keymap::{Action, InputMode};
use crate::tui::layout;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

impl App {
    /// Rebuild the table's view if needed and keep its cursor on its row and on screen. The
    /// event loop calls this once per burst of messages, before drawing.
    pub fn settle(&mut self) {
        let scope = match self.screen {
            // a past run: all of its rows, whatever the live panes point at
            Screen::PastRun => Default::default(),
            _ => self.table_scope(),
        };
        self.table.settle(&scope);
        if let Some(p) = &mut self.past {
            p.live.settle(&scope);
        }
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
                acknowledged: self.table.acked_count(),
            },
        );
        let full_body = match self.screen {
            Screen::Drift => Some(&self.drift as &dyn BodyScreen),
            Screen::Runs => Some(&self.runs as &dyn BodyScreen),
            Screen::Diff => Some(&self.diff as &dyn BodyScreen),
            Screen::Compare => Some(&self.compare as &dyn BodyScreen),
            Screen::Live | Screen::PastRun => None,
        };
        if let Some(screen) = full_body {
            screen.draw_body(f, a.body, t);
            self.draw_footer(f, a.footer);
            if self.mode == InputMode::Help {
                self.help.draw(f, area, t, &self.keymap);
            }
            return;
        }
        if let Some(p) = &self.past {
            self.draw_past_run(f, a.body, p);
            self.draw_footer(f, a.footer);
            if self.mode == InputMode::Help {
                self.help.draw(f, area, t, &self.keymap);
            }
            return;
        }
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
                self.table.selected_record().as_ref(),
                self.selected()
                    .and_then(|id| self.table.stored_age(id, self.now)),
            );
        }
        self.draw_footer(f, a.footer);
        if self.mode == InputMode::Help {
            self.help.draw(f, area, t, &self.keymap);
        }
        if self.mode == InputMode::Ack {
            self.ack.draw(f, a.table, t, chrono::Utc::now());
        }
    }

    /// A past run: a label with its time, then the table and detail over the whole body.
    fn draw_past_run(&self, f: &mut Frame, body: Rect, p: &super::screens::PastRun) {
        let t = &self.theme;
        let [label, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
        f.render_widget(
            Line::from(vec![
                Span::styled(
                    format!(
                        " ◷ past run of {} UTC (read-only) ",
                        p.run.started_at.format("%Y-%m-%d %H:%M")
                    ),
                    t.accent.add_modifier(Modifier::REVERSED),
                ),
                Span::styled(
                    format!(
                        "  {} · {} · {} · esc back to the runs",
                        p.run.id,
                        crate::tui::components::runs::scope(&p.run),
                        p.run.status
                    ),
                    t.muted,
                ),
            ]),
            label,
        );
        let (table, detail) = if self.detail.open {
            let [a, b] = Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(rest);
            (a, Some(b))
        } else {
            (rest, None)
        };
        self.table
            .draw(f, table, t, self.focus == Focus::Table, false, self.now);
        if let Some(d) = detail {
            self.detail.draw(
                f,
                d,
                t,
                self.focus == Focus::Detail,
                self.table.selected_record().as_ref(),
                self.selected()
                    .and_then(|id| self.table.stored_age(id, self.now)),
            );
        }
    }

    fn draw_footer(&self, f: &mut Frame, area: ratatui::layout::Rect) {
        // On an acknowledged row the footer says it in full (the table cell is narrow).
        let status = match self
            .selected()
            .and_then(|id| self.table.acknowledgement(id))
        {
            Some(ack) if self.status.is_empty() || self.status.starts_with("acknowledged ") => {
                ack.describe()
            }
            _ => self.status.clone(),
        };
        self.prompt.draw(
            f,
            area,
            &self.theme,
            &FooterInfo {
                mode: self.mode,
                status: &status,
                filter: &self.table.filter,
                host: self.current_host(),
                category: self.current_category(),
            },
        );
    }
}
