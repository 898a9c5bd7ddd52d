//! One result row as the [`ResultSet`](super::ResultSet) holds it ([`CompactRow`]: ids into
//! its interners, 40 bytes) and as the table reads it ([`RowView`]: borrowed fields; a full
//! record or a summary is built only for a row on screen).

use super::summary;
use crate::model::{ExecKey, Outcome, ResultRecord, Severity, Value};
use std::time::Duration;

/// `CompactRow::reason` of a result without one.
pub(super) const NO_REASON: u32 = u32::MAX;

/// A value back from its compact JSON text (text that is not JSON stays a string).
fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// One result row: ids into the [`ResultSet`](super::ResultSet)'s interners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactRow {
    pub(super) env: u32,
    pub(super) host: u32,
    pub(super) key: u32,
    pub(super) check: u32,
    /// Compact JSON texts in `values`.
    pub(super) expected: u32,
    pub(super) actual: u32,
    /// An id in `reasons`, or [`NO_REASON`].
    pub(super) reason: u32,
    pub(super) duration_ms: u32,
    pub(super) outcome: Outcome,
    /// Whether the current filter matches, and how well ([`MatchTier`]).
    pub(super) hit: bool,
    pub(super) tier: u8,
    /// Bumped each time a newer result replaced this row (re-checks).
    pub(super) version: u16,
    /// An acknowledgement covers this row's failure (it sorts after the open failures).
    pub(super) acked: bool,
}

/// A row's fields, borrowed (nothing is built until a cell needs it).
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub environment: &'a str,
    pub host: &'a str,
    pub key: &'a str,
    pub check_id: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub severity: Severity,
    pub outcome: Outcome,
    pub duration: Duration,
    /// Expected and actual values as compact JSON text.
    pub expected: &'a str,
    pub actual: &'a str,
    pub reason: Option<&'a str>,
    pub sop: Option<&'a str>,
    pub version: u16,
}

impl RowView<'_> {
    /// The row as a full record (for the detail pane, re-checks, acknowledgements).
    pub fn record(&self) -> ResultRecord {
        ResultRecord {
            environment: self.environment.to_string(),
            host: self.host.to_string(),
            key: ExecKey(self.key.to_string()),
            check_id: self.check_id.to_string(),
            title: self.title.to_string(),
            category: self.category.to_string(),
            severity: self.severity,
            outcome: self.outcome,
            expected: parse_value(self.expected),
            actual: parse_value(self.actual),
            reason: self.reason.map(str::to_string),
            duration: self.duration,
            sop: self.sop.map(str::to_string),
        }
    }

    /// `attr: actual ≠ expected` (see [`summarize`]).
    pub fn summary(&self) -> String {
        summary::summarize_parts(
            self.outcome,
            &parse_value(self.expected),
            &parse_value(self.actual),
            self.reason,
        )
    }
}
