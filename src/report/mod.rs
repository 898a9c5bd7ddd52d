//! Headless report formats (text, JSON, JUnit, Prometheus). Each is a consumer of the executor's
//! [`Event`] stream, written incrementally: memory is bounded by the hosts still in flight,
//! never by the total number of results.
//!
//! Must not run probes or touch the store; it only formats events.

mod json;
mod junit;
mod prometheus;
mod text;

use crate::exec::Event;
use crate::model::{AckBook, Acknowledgement, OutcomeCounts, ResultRecord, exit_code_with_acks};
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

pub use json::JsonReporter;
pub use junit::JunitReporter;
pub use prometheus::{PrometheusReporter, escape_label};
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
    /// Prometheus text format for node_exporter's textfile collector (with --output FILE,
    /// written atomically): failing checks, outcomes, host up, run timestamp and counts.
    Prometheus,
}

/// A consumer of executor events that writes a report.
pub trait Reporter {
    fn event(&mut self, event: &Event) -> io::Result<()>;
}

/// How many results each host will produce (from the plan), so reporters that group by
/// host know when a host is complete and can write it out and forget it.
pub type HostResultCounts = HashMap<String, usize>;

/// Build a reporter for `format` writing to `out`; `acks` are the acknowledgements the
/// report shows and its exit code honours.
pub fn reporter<'a>(
    format: Format,
    out: Box<dyn Write + 'a>,
    expected: HostResultCounts,
    color: bool,
    acks: ReportAcks,
) -> Box<dyn Reporter + 'a> {
    match format {
        Format::Text => Box::new(TextReporter::new(out, expected, color, acks)),
        Format::Json => Box::new(JsonReporter::new(out, acks)),
        Format::Junit => Box::new(JunitReporter::new(out, expected, acks)),
        Format::Prometheus => Box::new(PrometheusReporter::new(out)),
    }
}

/// The acknowledgements a report applies, and how many failures they covered so far.
#[derive(Debug, Clone, Default)]
pub struct ReportAcks {
    book: Arc<AckBook>,
    /// `--strict`: acknowledged failures still fail the run (they are still shown).
    pub strict: bool,
    acknowledged: u64,
}

impl ReportAcks {
    pub fn new(book: Arc<AckBook>, strict: bool) -> ReportAcks {
        ReportAcks {
            book,
            strict,
            acknowledged: 0,
        }
    }

    /// The acknowledgement covering `rec`, counted: call once per result.
    pub fn note(&mut self, rec: &ResultRecord) -> Option<Acknowledgement> {
        let a = self.book.covering(rec).cloned();
        if a.is_some() {
            self.acknowledged += 1;
        }
        a
    }

    /// Failures covered so far.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged
    }

    /// The run's exit code with these acknowledgements (130 when cancelled).
    pub fn exit_code(&self, counts: &OutcomeCounts, cancelled: bool) -> i32 {
        if cancelled {
            130
        } else {
            exit_code_with_acks(counts, self.acknowledged, self.strict)
        }
    }
}

/// The declared side: `mode = "0644", value <= 4, shell ~ /nologin$/` (equality as
/// `attr = json`, other matchers the way people write them).
pub fn expected_inline(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::Object(_) => {
                    format!("{k} {}", crate::model::describe_matcher(v))
                }
                _ => format!("{k} = {v}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => attrs_inline(other),
    }
}

/// `attr = value, attr = value` for an observed (actual) object.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ExecKey, Outcome, OutcomeCounts, ResultRecord, RunMeta, Scope, Severity, Value,
    };
    use std::sync::Arc;
    use std::time::Duration;

    fn rec(host: &str, key: &str, outcome: Outcome, reason: Option<&str>) -> ResultRecord {
        ResultRecord {
            environment: "prod".into(),
            host: host.into(),
            key: ExecKey(key.into()),
            check_id: key.into(),
            title: format!("title of {key} <&>"),
            category: "cat".into(),
            severity: Severity::High,
            outcome,
            expected: serde_json::json!({"value": "1"}),
            actual: if outcome == Outcome::Fail {
                serde_json::json!({"value": "0\u{1}"})
            } else {
                Value::Object(Default::default())
            },
            reason: reason.map(String::from),
            duration: Duration::from_millis(12),
            sop: Some("s".into()),
        }
    }

    fn events() -> Vec<Event> {
        let meta = RunMeta {
            id: "RUN".into(),
            started_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
            scope: Scope {
                environment: "prod".into(),
                ..Scope::default()
            },
            driftscope_version: "0".into(),
            user: "u".into(),
            client_host: "c".into(),
            checkset_hash: "abc".into(),
            host_count: 2,
            execution_count: 6,
        };
        let recs = vec![
            rec("h1", "a", Outcome::Pass, None),
            rec("h1", "b", Outcome::Fail, Some("differs: value")),
            rec("h1", "c", Outcome::Error, Some("permission denied")),
            rec("h1", "d", Outcome::NotApplicable, Some("no dpkg or rpm")),
            rec("h2", "a", Outcome::Timeout, Some("probe did not finish")),
            rec("h2", "b", Outcome::Timeout, Some("probe did not finish")),
        ];
        let mut counts = OutcomeCounts::default();
        recs.iter().for_each(|r| counts.add(r.outcome));
        let mut ev = vec![Event::RunStarted(Arc::new(meta))];
        ev.extend(recs.into_iter().map(|r| Event::CheckResult(Box::new(r))));
        ev.push(Event::RunFinished {
            run_id: "RUN".into(),
            finished_at: chrono::DateTime::from_timestamp(1, 0).unwrap_or_default(),
            counts,
            cancelled: false,
        });
        ev
    }

    fn render(format: Format) -> String {
        render_events(format, events())
    }

    fn render_events(format: Format, events: Vec<Event>) -> String {
        render_with(format, events, ReportAcks::default())
    }

    fn render_with(format: Format, events: Vec<Event>, acks: ReportAcks) -> String {
        let mut buf = Vec::new();
        {
            let expected = HostResultCounts::from([("h1".into(), 4), ("h2".into(), 2)]);
            let mut r = reporter(format, Box::new(&mut buf), expected, false, acks);
            for e in events {
                r.event(&e).unwrap();
            }
        }
        String::from_utf8(buf).unwrap()
    }

    /// The run is cancelled after h1's first two results: every format says so.
    fn cancelled_events() -> Vec<Event> {
        let mut ev = events();
        ev.truncate(3);
        let mut counts = OutcomeCounts::default();
        counts.add(Outcome::Pass);
        counts.add(Outcome::Fail);
        ev.push(Event::RunFinished {
            run_id: "RUN".into(),
            finished_at: chrono::DateTime::from_timestamp(1, 0).unwrap_or_default(),
            counts,
            cancelled: true,
        });
        ev
    }

    #[test]
    fn a_cancelled_run_says_so_in_every_format() {
        let text = render_events(Format::Text, cancelled_events());
        assert!(
            text.contains("CANCELLED (run cancelled after 1 of 2 hosts)"),
            "{text}"
        );
        assert!(text.contains("exit 130"), "{text}");
        let xml = render_events(Format::Junit, cancelled_events());
        assert!(
            xml.contains("<error type=\"cancelled\" message=\"run cancelled after 2 results\"/>"),
            "{xml}"
        );
        assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
        let v: serde_json::Value =
            serde_json::from_str(&render_events(Format::Json, cancelled_events())).unwrap();
        assert_eq!(
            (v["cancelled"].as_bool(), v["exit_code"].as_i64()),
            (Some(true), Some(130))
        );
        assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn junit_maps_every_outcome_and_escapes() {
        let xml = render(Format::Junit);
        assert!(
            xml.contains("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<error type=\"error\" message=\"permission denied\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"no dpkg or rpm\"/>"),
            "{xml}"
        );
        assert!(xml.contains("<error type=\"timeout\""), "{xml}");
        assert!(xml.contains("title of b &lt;&amp;&gt;"), "{xml}");
        assert!(!xml.contains('\u{1}'), "control char in XML");
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("invalid XML: {e}\n{xml}"),
            }
        }
    }

    #[test]
    fn text_shows_expected_actual_and_collapses_a_failed_host() {
        let text = render(Format::Text);
        assert!(text.contains("expected: value = \"1\""), "{text}");
        assert!(text.contains("reason:   permission denied"), "{text}");
        assert!(text.contains("why:      no dpkg or rpm"), "{text}");
        assert!(
            text.contains("  TIMEOUT     probe did not finish (2 checks not run)"),
            "{text}"
        );
        assert!(
            text.contains("DRIFT: 1 pass, 1 not_applicable, 2 timeout, 1 error, 1 fail · 2 hosts"),
            "{text}"
        );
    }

    #[test]
    fn json_is_one_valid_document() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(v["run"]["id"], "RUN");
        assert_eq!(v["results"].as_array().map(Vec::len), Some(6));
        assert_eq!(v["exit_code"], 1);
        assert_eq!(v["counts"]["timeout"], 2);
    }

    /// h1's failure of `b` acknowledged (value `0\u{1}`): every format carries it, and the
    /// run's exit code follows the error it still has (3), or 1 with `--strict`.
    fn acked(strict: bool) -> ReportAcks {
        let now = chrono::Utc::now();
        let ack = Acknowledgement {
            environment: "prod".into(),
            host: "h1".into(),
            key: "b".into(),
            actual: serde_json::json!({"value": "0\u{1}"}),
            reason: "vendor <fix> pending".into(),
            user: "alice".into(),
            created_at: now,
            expires_at: now + chrono::Duration::days(3),
        };
        ReportAcks::new(Arc::new(AckBook::new([ack])), strict)
    }

    #[test]
    fn an_acknowledged_failure_is_its_own_bucket_in_every_format() {
        let text = render_with(Format::Text, events(), acked(false));
        assert!(text.contains("    ACKED       high     b\n"), "{text}");
        assert!(text.contains("acknowledged by alice until "), "{text}");
        assert!(
            text.contains("INCOMPLETE: 1 pass, 1 not_applicable, 2 timeout, 1 error, 1 fail (1 acknowledged) · 2 hosts"),
            "{text}"
        );
        assert!(text.contains("exit 3"), "{text}");
        let strict = render_with(Format::Text, events(), acked(true));
        assert!(strict.contains("DRIFT: "), "{strict}");
        assert!(strict.contains("exit 1"), "{strict}");

        let v: serde_json::Value =
            serde_json::from_str(&render_with(Format::Json, events(), acked(false))).unwrap();
        assert_eq!(v["results"][1]["acknowledged"]["user"], "alice");
        assert_eq!(
            v["results"][1]["acknowledged"]["reason"],
            "vendor <fix> pending"
        );
        assert!(v["results"][0].get("acknowledged").is_none());
        assert_eq!(
            (v["acknowledged"].as_u64(), v["exit_code"].as_i64()),
            (Some(1), Some(3))
        );

        let xml = render_with(Format::Junit, events(), acked(false));
        assert!(
            xml.contains("tests=\"4\" failures=\"0\" errors=\"1\" skipped=\"2\""),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped type=\"acknowledged\" message=\"acknowledged by alice until "),
            "{xml}"
        );
        assert!(xml.contains("vendor &lt;fix&gt; pending"), "{xml}");
        let strict = render_with(Format::Junit, events(), acked(true));
        assert!(strict.contains("failures=\"1\""), "{strict}");
        assert!(strict.contains("[high] acknowledged by alice"), "{strict}");
    }
}
