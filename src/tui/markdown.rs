//! Markdown → styled lines for the detail pane's SOP, through pulldown-cmark (no hand
//! parsing): headings in the accent role, list items with bullets or numbers, code blocks
//! and inline code in the muted role (indented, never wrapped into prose), emphasis and
//! strong as modifiers, links as their text plus the URL. Pure: text in, lines out.

use super::theme::Theme;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// Render `md` as lines styled by the theme's roles.
pub fn render(md: &str, t: &Theme) -> Vec<Line<'static>> {
    let mut r = Renderer {
        t,
        out: Vec::new(),
        cur: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        in_code: false,
        link: None,
        after_heading: false,
    };
    for ev in Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH) {
        r.event(ev);
    }
    r.flush();
    while r.out.last().is_some_and(|l| l.spans.is_empty()) {
        r.out.pop();
    }
    r.out
}

struct Renderer<'t> {
    t: &'t Theme,
    out: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    /// Inline styles in effect (emphasis, strong, heading).
    styles: Vec<Style>,
    /// Open lists: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    in_code: bool,
    link: Option<String>,
    /// A heading just ended: its paragraph follows without a blank line.
    after_heading: bool,
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    fn flush(&mut self) {
        if !self.cur.is_empty() {
            self.out.push(Line::from(std::mem::take(&mut self.cur)));
        }
    }

    fn blank(&mut self) {
        self.flush();
        if self.out.last().is_some_and(|l| !l.spans.is_empty()) {
            self.out.push(Line::default());
        }
    }

    fn indent(&self) -> String {
        "  ".repeat(self.lists.len())
    }

    fn text(&mut self, s: &str) {
        let style = self.style();
        self.cur.push(Span::styled(s.to_string(), style));
    }

    fn event(&mut self, ev: Event<'_>) {
        let heading_ended = matches!(ev, Event::End(TagEnd::Heading(_)));
        self.event_inner(ev);
        self.after_heading = heading_ended;
    }

    fn event_inner(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(s) if self.in_code => {
                for l in s.lines() {
                    self.out.push(Line::from(vec![
                        Span::raw(format!("{}    ", self.indent())),
                        Span::styled(l.to_string(), self.t.muted),
                    ]));
                }
            }
            Event::Text(s) => self.text(&s),
            Event::Code(s) => {
                let style = self.t.muted.add_modifier(Modifier::BOLD);
                self.cur.push(Span::styled(s.to_string(), style));
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.blank();
                self.out
                    .push(Line::from(Span::styled("─".repeat(20), self.t.border)));
            }
            Event::Html(s) | Event::InlineHtml(s) => self.text(&s),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.blank();
                let style = match level {
                    HeadingLevel::H1 => self
                        .t
                        .accent
                        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                    _ => self.t.accent.add_modifier(Modifier::BOLD),
                };
                self.styles.push(style);
            }
            Tag::Paragraph
                if self.cur.is_empty() && self.lists.is_empty() && !self.after_heading =>
            {
                self.blank();
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                self.in_code = true;
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    self.out.push(Line::from(Span::styled(
                        format!("{}  ┌ {lang}", self.indent()),
                        self.t.border,
                    )));
                }
            }
            Tag::List(start) => {
                if self.lists.is_empty() && !self.after_heading {
                    self.blank();
                }
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_string(),
                };
                self.cur.push(Span::raw("  ".repeat(depth)));
                self.cur.push(Span::styled(marker, self.t.accent));
            }
            Tag::Emphasis => self
                .styles
                .push(Style::default().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self
                .styles
                .push(Style::default().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.styles
                    .push(self.t.accent.add_modifier(Modifier::UNDERLINED));
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.styles.push(self.t.muted);
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
            }
            TagEnd::Paragraph => self.flush(),
            TagEnd::CodeBlock => self.in_code = false,
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    self.cur
                        .push(Span::styled(format!(" <{url}>"), self.t.muted));
                }
            }
            TagEnd::BlockQuote(_) => {
                self.styles.pop();
                self.flush();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn headings_lists_and_code_blocks_keep_their_shape() {
        let t = Theme::default_theme();
        let md = "# Title\n\n- owner: x\n- risk: none\n\n## Remediate\n\n1. Run:\n   ```sh\n   ssh web-01 sudo chmod 0644 /etc/app.conf\n   ```\n2. Check `stat`.\n";
        let lines = render(md, &t);
        assert_eq!(
            text(&lines),
            [
                "Title",
                "• owner: x",
                "• risk: none",
                "",
                "Remediate",
                "1. Run:",
                "    ┌ sh",
                "      ssh web-01 sudo chmod 0644 /etc/app.conf",
                "2. Check stat.",
            ]
        );
        assert_eq!(
            lines[0].spans[0].style,
            t.accent.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(lines[7].spans[1].style, t.muted, "code in the muted role");
    }
}
