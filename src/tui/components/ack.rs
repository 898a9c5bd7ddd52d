//! The acknowledgement prompt (`a` on a failing row): a small box over the table asking for
//! a reason (required) and an expiry (default 7d; `3d`, `12h` or a UTC date). Owns what is
//! typed and the row it is about; checking the input is the model's
//! ([`crate::model::ack_reason`], [`crate::model::parse_expiry`]), storing it the worker's.

use super::styled;
use crate::model::{Value, ack_reason, parse_expiry, utc_minutes};
use crate::tui::theme::Theme;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The failing row the prompt is about.
#[derive(Debug, Clone, PartialEq)]
pub struct AckTarget {
    pub environment: String,
    pub host: String,
    pub key: String,
    /// The value being acknowledged (as shown in the row).
    pub actual: Value,
}

/// Which field takes the typed characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AckField {
    #[default]
    Reason,
    Expiry,
}

/// The prompt's state.
#[derive(Debug, Clone, Default)]
pub struct AckPrompt {
    pub target: Option<AckTarget>,
    pub reason: String,
    pub expires: String,
    pub field: AckField,
    /// Why the last enter was refused.
    pub error: Option<String>,
}

/// A checked acknowledgement, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct AckInput {
    pub target: AckTarget,
    pub reason: String,
    pub expires_at: DateTime<Utc>,
}

impl AckPrompt {
    /// Start asking about `target` (fields empty, the reason first).
    pub fn open(&mut self, target: AckTarget) {
        *self = AckPrompt {
            target: Some(target),
            ..AckPrompt::default()
        };
    }

    pub fn close(&mut self) {
        *self = AckPrompt::default();
    }

    fn field_mut(&mut self) -> &mut String {
        match self.field {
            AckField::Reason => &mut self.reason,
            AckField::Expiry => &mut self.expires,
        }
    }

    pub fn push(&mut self, c: char) {
        self.field_mut().push(c);
        self.error = None;
    }

    pub fn pop(&mut self) {
        self.field_mut().pop();
        self.error = None;
    }

    pub fn switch_field(&mut self) {
        self.field = match self.field {
            AckField::Reason => AckField::Expiry,
            AckField::Expiry => AckField::Reason,
        };
    }

    /// Check what was typed at `now`; on a mistake the prompt keeps it and says why (and
    /// moves to the field at fault).
    pub fn submit(&mut self, now: DateTime<Utc>) -> Option<AckInput> {
        let target = self.target.clone()?;
        let reason = match ack_reason(&self.reason) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(
                    e.to_string()
                        .replace(" (--reason \"why this drift is known\")", ""),
                );
                self.field = AckField::Reason;
                return None;
            }
        };
        match parse_expiry(&self.expires, now) {
            Ok(expires_at) => Some(AckInput {
                target,
                reason,
                expires_at,
            }),
            Err(e) => {
                self.error = Some(e.to_string());
                self.field = AckField::Expiry;
                None
            }
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, now: DateTime<Utc>) {
        let Some(target) = &self.target else {
            return;
        };
        let w = area.width.saturating_sub(4).min(90);
        let h = 8.min(area.height);
        let r = Rect {
            x: area.x + (area.width.saturating_sub(w)) / 2,
            y: area.y + area.height.saturating_sub(h) / 2,
            width: w,
            height: h,
        };
        let cursor = styled("█", t.accent.add_modifier(Modifier::SLOW_BLINK));
        let field = |label: &'static str, text: &str, active: bool, hint: String| {
            let mut v = vec![
                styled(label, if active { t.accent } else { t.muted }),
                Span::raw(text.to_string()),
            ];
            if active {
                v.push(cursor.clone());
            }
            v.push(styled(hint, t.muted));
            Line::from(v)
        };
        let until = match parse_expiry(&self.expires, now) {
            Ok(at) => format!("   until {}", utc_minutes(at)),
            Err(_) => "   3d, 12h or a UTC date (2026-12-24)".to_string(),
        };
        let lines = vec![
            Line::from(vec![
                styled("value    ", t.muted),
                Span::raw(crate::report::attrs_inline(&target.actual)),
            ]),
            field(
                "reason   ",
                &self.reason,
                self.field == AckField::Reason,
                String::new(),
            ),
            field(
                "expires  ",
                if self.expires.is_empty() && self.field != AckField::Expiry {
                    "7d"
                } else {
                    &self.expires
                },
                self.field == AckField::Expiry,
                until,
            ),
            Line::default(),
            match &self.error {
                Some(e) => Line::from(styled(e.clone(), t.fail)),
                None => Line::from(styled(
                    "enter acknowledges · tab switches field · esc cancels",
                    t.muted,
                )),
            },
        ];
        f.render_widget(Clear, r);
        let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(Span::styled(
                    format!(
                        " acknowledge {} × {} ",
                        target.host,
                        super::ellipsize(&target.key, w.saturating_sub(20) as usize)
                    ),
                    t.accent,
                ))
                .border_style(t.accent),
        );
        f.render_widget(p, r);
    }
}
