//! Detail pane: the full check (id, title, module and probe subject), expected vs actual as
//! a readable diff, the reason for non-pass outcomes, the host × check timeline
//! ([`super::timeline`]) and the check's SOP rendered from markdown with its placeholders
//! filled. Owns whether it is open, its scroll, the probe targets of the executions planned
//! in this session, and the timeline and SOP of the row it shows.

use super::scroll_by;
use super::styled;
use super::timeline::{self, TimelineView};
use crate::model::{Outcome, ResultRecord, describe_matcher};
use crate::tui::keymap::Action;
use crate::tui::rows::{attribute_verdicts, short_value};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Which row the pane's history and SOP belong to: (environment, host, key).
pub type RowKey = (String, String, String);

/// The row key of a record.
pub fn row_key(r: &ResultRecord) -> RowKey {
    (
        r.environment.clone(),
        r.host.clone(),
        r.key.as_str().to_string(),
    )
}

/// The detail pane's state.
#[derive(Debug, Default)]
pub struct DetailPane {
    pub open: bool,
    pub scroll: u16,
    /// Probe targets of the executions planned in this session, by (host, key).
    pub probes: crate::tui::rows::probes::ProbeIndex,
    /// The timeline of the row shown (asked for when the row changes).
    pub timeline: Option<(RowKey, TimelineView)>,
    /// The SOP of the row shown, filled (markdown), or why there is none.
    pub sop: Option<(RowKey, Result<String, String>)>,
    /// The row shown at the previous frame (the timeline is asked for once it rests).
    pub last_seen: Option<RowKey>,
}

impl DetailPane {
    /// Scroll; `true` when the action was a movement.
    pub fn handle(&mut self, action: Action, page: usize) -> bool {
        scroll_by(&mut self.scroll, action, page)
    }

    /// The detail text of `rec` (pure; used by draw and tests).
    /// `stored_age`: the row shows a stored result this old (seconds), not a live one.
    pub fn lines(
        &self,
        rec: Option<&ResultRecord>,
        stored_age: Option<i64>,
        t: &Theme,
    ) -> Vec<Line<'static>> {
        let Some(r) = rec else {
            return vec![Line::from(styled("no row selected", t.muted))];
        };
        let mut out = vec![
            Line::from(vec![
                styled(
                    format!(" {} ", r.outcome.as_str().to_uppercase()),
                    t.outcome(r.outcome).add_modifier(Modifier::REVERSED),
                ),
                Span::raw("  "),
                styled(r.severity.as_str(), t.muted),
                Span::raw("  "),
                styled(r.key.as_str().to_string(), t.accent),
            ]),
            Line::from(vec![label("check", t), Span::raw(r.check_id.clone())]),
            Line::from(vec![label("title", t), Span::raw(r.title.clone())]),
            Line::from(vec![
                label("host", t),
                Span::raw(r.host.clone()),
                styled(
                    format!(
                        "  env {}  category {}{}",
                        r.environment,
                        r.category,
                        match stored_age {
                            Some(_) => String::new(),
                            None => format!("  took {}", crate::model::human_duration(r.duration)),
                        }
                    ),
                    t.muted,
                ),
            ]),
        ];
        let probe = match self.probes.get(&r.host, r.key.as_str()) {
            Some(p) => vec![
                label("probe", t),
                Span::raw(format!("{} ", p.module)),
                styled(p.subject.clone(), t.accent),
            ],
            None => vec![
                label("probe", t),
                styled("(not planned in this session)", t.muted),
            ],
        };
        out.push(Line::from(probe));
        if let Some(reason) = &r.reason
            && r.outcome != Outcome::Pass
        {
            for (i, l) in reason.lines().enumerate() {
                let head = if i == 0 {
                    label("reason", t)
                } else {
                    Span::raw(" ".repeat(10))
                };
                out.push(Line::from(vec![
                    head,
                    styled(l.to_string(), t.outcome(r.outcome)),
                ]));
            }
        }
        out.push(Line::default());
        out.push(Line::from(vec![
            styled("expected vs actual  ", t.accent),
            styled("- expected", t.pass),
            Span::raw("  "),
            styled("+ actual", t.fail),
        ]));
        let verdicts = attribute_verdicts(r);
        if verdicts.is_empty() {
            out.push(Line::from(styled("  (no attributes)", t.muted)));
        }
        for (attr, e, a, ok) in verdicts {
            let (es, as_) = (describe_matcher(&e), short_value(&a));
            match ok {
                Some(true) => out.push(Line::from(vec![
                    styled("  ✓ ", t.pass),
                    Span::raw(format!("{attr}   ")),
                    styled(as_.lines().next().unwrap_or("").to_string(), t.muted),
                ])),
                Some(false) => diff_lines(&attr, &es, &as_, t, &mut out),
                None if e.is_null() => out.push(Line::from(vec![
                    styled("  · ", t.muted),
                    Span::raw(format!("{attr}   ")),
                    styled(as_, t.muted),
                ])),
                None if r.outcome == Outcome::Fail => diff_lines(&attr, &es, &as_, t, &mut out),
                None => out.push(Line::from(vec![
                    styled("  ? ", t.muted),
                    Span::raw(format!("{attr}   expected ")),
                    styled(es, t.muted),
                    styled("  (not observed)", t.muted),
                ])),
            }
        }
        out.push(Line::default());
        let key = row_key(r);
        match &self.timeline {
            Some((k, view)) if *k == key => out.extend(timeline::lines(view, t)),
            _ => out.extend(timeline::lines(&TimelineView::Loading, t)),
        }
        out.push(Line::default());
        match &self.sop {
            Some((k, Ok(md))) if *k == key => {
                out.push(Line::from(vec![
                    styled("── SOP ──", t.border),
                    styled("  o opens it in $PAGER", t.muted),
                ]));
                out.extend(crate::tui::markdown::render(md, t));
            }
            Some((k, Err(why))) if *k == key => {
                out.push(Line::from(styled("── SOP ──", t.border)));
                out.push(Line::from(styled(format!("  {why}"), t.muted)));
            }
            _ => {}
        }
        out
    }

    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        t: &Theme,
        focused: bool,
        rec: Option<&ResultRecord>,
        stored_age: Option<i64>,
    ) {
        let block = Block::bordered()
            .title(Span::styled(
                " Detail ",
                if focused { t.accent } else { t.muted },
            ))
            .border_style(if focused { t.accent } else { t.border });
        let mut lines = self.lines(rec, stored_age, t);
        if let (Some(age), true) = (stored_age, lines.len() > 1) {
            lines.insert(
                1,
                Line::from(vec![
                    label("stored", t),
                    styled(
                        format!(
                            "result of {} ago from the history; not re-probed in this session \
                             (r re-checks it)",
                            crate::model::human_duration_secs(age)
                        ),
                        t.muted,
                    ),
                ]),
            );
        }
        let p = Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0));
        f.render_widget(p, area);
    }
}

fn label(name: &str, t: &Theme) -> Span<'static> {
    styled(format!("{name:<9} "), t.muted)
}

/// Lines of one attribute's value: `- expected` / `+ actual`, line by line for text.
fn diff_lines(attr: &str, exp: &str, act: &str, t: &Theme, out: &mut Vec<Line<'static>>) {
    let pad = " ".repeat(attr.chars().count() + 5);
    let el: Vec<&str> = exp.lines().collect();
    let al: Vec<&str> = act.lines().collect();
    let multi = el.len() > 1 || al.len() > 1;
    let mut first = true;
    let mut push = |sign: &str, text: &str, style| {
        let lead = if first {
            vec![
                styled("  ✗ ", t.fail),
                Span::styled(attr.to_string(), t.fail.add_modifier(Modifier::BOLD)),
                Span::raw(" "),
            ]
        } else {
            vec![Span::raw(pad.clone())]
        };
        first = false;
        let mut spans = lead;
        spans.push(styled(format!("{sign} {text}"), style));
        out.push(Line::from(spans));
    };
    if multi {
        for l in &el {
            if al.contains(l) {
                push(" ", l, t.muted);
            } else {
                push("-", l, t.pass);
            }
        }
        for l in &al {
            if !el.contains(l) {
                push("+", l, t.fail);
            }
        }
    } else {
        push("-", exp, t.pass);
        push("+", act, t.fail);
    }
}
