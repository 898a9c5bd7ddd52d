//! Footer/status line: the filter or `:` command being typed (with completions), else the
//! last message and the filter and scope in effect. Owns the command line being typed and
//! its completions.

use super::styled;
use crate::tui::command;
use crate::tui::keymap::InputMode;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The `:` prompt's state.
#[derive(Debug, Clone, Default)]
pub struct CommandPrompt {
    pub line: String,
    pub completions: Vec<String>,
    presses: usize,
    /// The line as typed before Tab started cycling through candidates: every further Tab
    /// completes this again and picks the next candidate.
    stem: Option<String>,
}

impl CommandPrompt {
    pub fn clear(&mut self) {
        self.line.clear();
        self.completions.clear();
        self.presses = 0;
        self.stem = None;
    }

    pub fn push(&mut self, c: char) {
        self.line.push(c);
        self.completions.clear();
        self.presses = 0;
        self.stem = None;
    }

    /// Delete the last character; false when the line was already empty.
    pub fn pop(&mut self) -> bool {
        let had = self.line.pop().is_some();
        self.completions.clear();
        self.presses = 0;
        self.stem = None;
        had
    }

    /// Complete the command or its argument from `args(command)`.
    /// Tab again cycles through the candidates (`:cat` Tab Tab Tab: each category in turn,
    /// then the first again).
    pub fn complete(&mut self, args: &dyn Fn(&str) -> Vec<String>) {
        let base = self.stem.clone().unwrap_or_else(|| self.line.clone());
        let c = command::complete(&base, args, self.presses);
        let picked_one = c.candidates.len() > 1
            && c.candidates
                .iter()
                .any(|cand| c.line.ends_with(cand.as_str()));
        if picked_one {
            // Cycling: keep completing what was typed, the next candidate each time.
            self.stem = Some(base);
            self.presses += 1;
        } else {
            // Extended to the candidates' common prefix (or the only one): start afresh.
            self.stem = None;
            self.presses = 0;
        }
        self.line = c.line;
        self.completions = c.candidates;
    }

    /// Take the typed line (the prompt is left empty).
    pub fn take(&mut self) -> String {
        self.completions.clear();
        std::mem::take(&mut self.line)
    }
}

/// What the footer shows besides the prompt.
pub struct FooterInfo<'a> {
    pub mode: InputMode,
    pub status: &'a str,
    pub filter: &'a str,
    pub host: Option<&'a str>,
    pub category: Option<&'a str>,
}

impl CommandPrompt {
    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, info: &FooterInfo) {
        let cursor = styled("█", t.accent.add_modifier(Modifier::SLOW_BLINK));
        let line = match info.mode {
            InputMode::Filter => Line::from(vec![
                styled("/", t.accent),
                Span::raw(info.filter.to_string()),
                cursor,
                styled("   enter keeps · esc clears", t.muted),
            ]),
            InputMode::Command => {
                let mut v = vec![styled(":", t.accent), Span::raw(self.line.clone()), cursor];
                if !self.completions.is_empty() {
                    v.push(styled(
                        format!("   {}", self.completions.join("  ")),
                        t.muted,
                    ));
                } else {
                    v.push(styled("   tab completes", t.muted));
                }
                Line::from(v)
            }
            InputMode::Normal | InputMode::Help | InputMode::Ack => {
                let mut v = vec![Span::raw(format!(" {}", info.status))];
                if !info.filter.is_empty() {
                    v.push(styled("  │ filter ", t.border));
                    v.push(styled(format!("/{}", info.filter), t.accent));
                }
                if let Some(h) = info.host {
                    v.push(styled("  │ host ", t.border));
                    v.push(Span::raw(h.to_string()));
                }
                if let Some(c) = info.category {
                    v.push(styled("  │ cat ", t.border));
                    v.push(Span::raw(c.to_string()));
                }
                Line::from(v)
            }
        };
        f.render_widget(Paragraph::new(line), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &str) -> Vec<String> {
        match cmd {
            "cat" => vec!["accounts".into(), "kernel".into(), "ssh".into()],
            "host" => vec!["db-01".into(), "db-02".into(), "web-01".into()],
            _ => vec![],
        }
    }

    #[test]
    fn tab_cycles_through_every_candidate() {
        let mut p = CommandPrompt::default();
        "cat ".chars().for_each(|c| p.push(c));
        let mut seen = Vec::new();
        for _ in 0..4 {
            p.complete(&args);
            seen.push(p.line.clone());
        }
        assert_eq!(
            seen,
            ["cat accounts", "cat kernel", "cat ssh", "cat accounts"]
        );
        // A common prefix first, then the cycle over what shares it.
        p.clear();
        "host d".chars().for_each(|c| p.push(c));
        let mut seen = Vec::new();
        for _ in 0..4 {
            p.complete(&args);
            seen.push(p.line.clone());
        }
        assert_eq!(
            seen,
            ["host db-0", "host db-01", "host db-02", "host db-01"]
        );
        // Typing after a cycle starts from what is on the line.
        p.push('x');
        assert_eq!(p.line, "host db-01x");
    }
}
