//! How the results table is drawn: the virtualized rows on screen (only those are built), the
//! column layout, middle-elided check keys and filter highlights. Reads the table's state,
//! never changes it.

use super::ResultsTable;
use crate::model::{age_text, human_duration};
use crate::tui::components::styled;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use std::time::Instant;

impl ResultsTable {
    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        t: &Theme,
        focused: bool,
        running: bool,
        now: Instant,
    ) {
        let block = Block::bordered()
            .title(Span::styled(
                self.title(),
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
        let visible: Vec<u32> = self
            .view
            .iter_from(self.offset)
            .take(height)
            .copied()
            .collect();
        let host_w = visible
            .iter()
            .filter_map(|id| self.results.row(*id))
            .map(|r| r.host.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 20) as u16;
        let hl = t.accent.add_modifier(Modifier::UNDERLINED);
        let filtering = !self.filter.is_empty();
        let key_w = self.key_column_width(inner.width, host_w, show_cat, show_sev, show_dur);
        let mut rows = Vec::with_capacity(visible.len());
        for (i, id) in visible.iter().enumerate() {
            let Some(r) = self.results.row(*id) else {
                continue;
            };
            let hits = if filtering {
                self.results.match_indices(*id)
            } else {
                Vec::new()
            };
            let host_len = r.host.chars().count();
            let key_start = host_len + 1;
            let key_len = r.key.chars().count();
            let cat_start = key_start + key_len + 1 + r.title.chars().count() + 1;
            let mark = if self.marks.contains(id) {
                styled("●", t.accent)
            } else {
                Span::raw(" ")
            };
            let mut cells = vec![
                Cell::from(mark),
                Cell::from(highlighted(r.host, 0, &hits, Style::default(), hl)),
                {
                    let (key, key_hits) = elide_middle(r.key, key_w, key_start, &hits);
                    Cell::from(highlighted(
                        &key,
                        key_start,
                        &key_hits,
                        Style::default(),
                        hl,
                    ))
                },
            ];
            if show_cat {
                cells.push(Cell::from(highlighted(
                    r.category, cat_start, &hits, t.muted, hl,
                )));
            }
            if show_sev {
                cells.push(Cell::from(styled(r.severity.as_str(), t.muted)));
            }
            let stored = self.stored_age(*id, now);
            let outcome_style = match stored {
                // a stored result: the outcome it had, dimmed until re-probed
                Some(_) => t.outcome(r.outcome).add_modifier(Modifier::DIM),
                None => t.outcome(r.outcome),
            };
            let ack = self.acked.get(id);
            match ack {
                // its own bucket: neither pass nor fail, who/why/until in place of the value
                Some(a) => {
                    cells.push(Cell::from(styled("acked", t.muted)));
                    cells.push(Cell::from(styled(
                        format!(
                            "{} ({}, until {})",
                            a.reason,
                            a.user,
                            a.expires_at.format("%Y-%m-%d")
                        ),
                        t.muted,
                    )));
                }
                None => {
                    cells.push(Cell::from(styled(r.outcome.as_str(), outcome_style)));
                    cells.push(Cell::from(r.summary()));
                }
            }
            if show_dur {
                cells.push(Cell::from(match stored {
                    Some(age) => styled(age_text(age), t.muted.add_modifier(Modifier::ITALIC)),
                    None => styled(human_duration(r.duration), t.muted),
                }));
            }
            let mut tr = Row::new(cells);
            if ack.is_some() {
                tr = tr.style(Style::default().add_modifier(Modifier::DIM));
            }
            if self.offset + i == self.cursor {
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
            header.push(if self.stored.is_empty() {
                "time"
            } else {
                "age"
            });
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.muted.add_modifier(Modifier::BOLD)))
            .column_spacing(1);
        f.render_widget(table, inner);
        if self.view.is_empty() {
            let msg = if self.results.is_empty() {
                if running {
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

    /// The width the check column gets: what the table's own layout gives `Fill(5)` next
    /// to the other columns (same constraints, same spacing).
    fn key_column_width(&self, width: u16, host_w: u16, cat: bool, sev: bool, dur: bool) -> usize {
        let mut c = vec![
            Constraint::Length(1),
            Constraint::Length(host_w),
            Constraint::Fill(5),
        ];
        if cat {
            c.push(Constraint::Length(12));
        }
        if sev {
            c.push(Constraint::Length(8));
        }
        c.push(Constraint::Length(11));
        c.push(Constraint::Fill(4));
        if dur {
            c.push(Constraint::Length(7));
        }
        let rects = ratatui::layout::Layout::horizontal(c)
            .spacing(1)
            .split(Rect::new(0, 0, width, 1));
        rects.get(2).map_or(usize::MAX, |r| r.width as usize)
    }
}

/// Fit `text` into `width` columns by cutting its middle: two keys that share a long prefix
/// (`kernel.sysctl-off[key=net.ipv4.conf.all.…]`) keep their distinguishing ends. `hits`
/// (filter highlights, counted from `start`) are moved to the kept characters.
pub fn elide_middle(
    text: &str,
    width: usize,
    start: usize,
    hits: &[usize],
) -> (String, Vec<usize>) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width || width < 5 {
        return (text.to_string(), hits.to_vec());
    }
    // A third for the start (the check id), the rest for the end (the matrix values).
    let head = (width - 1) / 3;
    let tail = width - 1 - head;
    let cut_from = chars.len() - tail;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[cut_from..]);
    let moved = hits
        .iter()
        .filter_map(|&h| {
            let i = h.checked_sub(start)?;
            if i < head {
                Some(h)
            } else if i >= cut_from && i < chars.len() {
                Some(start + head + 1 + (i - cut_from))
            } else if i >= chars.len() {
                Some(h) // beyond this text: other cells' hits stay as they are
            } else {
                None
            }
        })
        .collect();
    (s, moved)
}

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

#[cfg(test)]
mod elide_tests {
    use super::elide_middle;

    #[test]
    fn long_keys_keep_their_distinguishing_end() {
        let a = "kernel.sysctl-off[key=net.ipv4.conf.all.accept_redirects]";
        let b = "kernel.sysctl-off[key=net.ipv4.conf.all.send_redirects]";
        let (ea, _) = elide_middle(a, 30, 0, &[]);
        let (eb, _) = elide_middle(b, 30, 0, &[]);
        assert_eq!(ea.chars().count(), 30);
        assert_eq!(ea, "kernel.sy…ll.accept_redirects]");
        assert_ne!(ea, eb);
        assert!(eb.ends_with("send_redirects]"));
        // Short keys are left alone; highlights move with the kept characters.
        assert_eq!(elide_middle("ssh.root", 30, 0, &[0]).0, "ssh.root");
        let (_, hits) = elide_middle(a, 30, 5, &[5, 6, 5 + a.chars().count() - 1]);
        assert_eq!(hits, [5, 6, 5 + 29]);
    }
}
