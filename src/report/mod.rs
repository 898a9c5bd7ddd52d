//! Headless report formats (text, JSON, JUnit). Each is a consumer of the executor's
//! [`Event`] stream, written incrementally: memory is bounded by the hosts still in flight,
//! never by the total number of results.
//!
//! Must not run probes or touch the store; it only formats events.

mod json;
mod junit;
mod text;

use crate::exec::Event;
use std::collections::HashMap;
use std::io::{self, Write};

pub use json::JsonReporter;
pub use junit::JunitReporter;
pub use text::TextReporter;

/// Output format of `driftscope run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Readable report grouped by host and category, expected vs actual for every non-pass.
    #[default]
    Text,
    /// One JSON document: run metadata, one object per result, summary.
    Json,
    /// JUnit XML: a testsuite per host, a testcase per execution.
    Junit,
}

/// A consumer of executor events that writes a report.
pub trait Reporter {
    fn event(&mut self, event: &Event) -> io::Result<()>;
}

/// How many results each host will produce (from the plan), so reporters that group by
/// host know when a host is complete and can write it out and forget it.
pub type HostResultCounts = HashMap<String, usize>;

/// Build a reporter for `format` writing to `out`.
pub fn reporter<'a>(
    format: Format,
    out: Box<dyn Write + 'a>,
    expected: HostResultCounts,
    color: bool,
) -> Box<dyn Reporter + 'a> {
    match format {
        Format::Text => Box::new(TextReporter::new(out, expected, color)),
        Format::Json => Box::new(JsonReporter::new(out)),
        Format::Junit => Box::new(JunitReporter::new(out, expected)),
    }
}

/// `attr = value, attr = value` for an expected/actual object.
pub fn attrs_inline(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) if m.is_empty() => "(nothing observed)".to_string(),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Results of one host collected until the host is complete.
#[derive(Debug, Default)]
pub(crate) struct HostBuffer {
    pending: HashMap<String, Vec<crate::model::ResultRecord>>,
    expected: HostResultCounts,
}

impl HostBuffer {
    pub(crate) fn new(expected: HostResultCounts) -> HostBuffer {
        HostBuffer {
            pending: HashMap::new(),
            expected,
        }
    }

    /// Add a result; returns the host's results when it is complete.
    pub(crate) fn push(
        &mut self,
        rec: crate::model::ResultRecord,
    ) -> Option<(String, Vec<crate::model::ResultRecord>)> {
        let host = rec.host.clone();
        let want = self.expected.get(&host).copied().unwrap_or(0);
        let list = self.pending.entry(host.clone()).or_default();
        list.push(rec);
        if list.len() >= want {
            let list = self.pending.remove(&host).unwrap_or_default();
            return Some((host, list));
        }
        None
    }

    /// Hosts left incomplete (a cancelled run), sorted by name.
    pub(crate) fn drain(&mut self) -> Vec<(String, Vec<crate::model::ResultRecord>)> {
        let mut v: Vec<_> = self.pending.drain().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}
