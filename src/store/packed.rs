//! What travels from `StoreWriter::send` to the writer thread: executor events reduced to what
//! the store keeps. A result is packed into one string (one allocation instead of a dozen for a
//! cloned `ResultRecord`), with expected/actual already rendered as JSON text, so the sending
//! side does one allocation and the writer thread one free.

use crate::exec::Event;
use crate::model::{HostPhase, Outcome, ResultRecord, RunMeta, Severity};
use std::fmt::Write as _;
use std::sync::Arc;

/// A message for the writer thread.
pub enum Msg {
    Started(Arc<RunMeta>),
    HostFailed {
        host: String,
        reason: String,
    },
    Result(PackedResult),
    Finished {
        run_id: String,
        finished_at: chrono::DateTime<chrono::Utc>,
        cancelled: bool,
    },
}

impl Msg {
    /// `None` for events the store does not keep (progress phases).
    pub fn from_event(ev: &Event) -> Option<Msg> {
        Some(match ev {
            Event::RunStarted(meta) => Msg::Started(meta.clone()),
            Event::HostState {
                host,
                phase: HostPhase::Failed(reason),
            } => Msg::HostFailed {
                host: host.clone(),
                reason: reason.clone(),
            },
            Event::HostState { .. } => return None,
            Event::CheckResult(rec) => Msg::Result(PackedResult::pack(rec)),
            Event::RunFinished {
                run_id,
                finished_at,
                cancelled,
                ..
            } => Msg::Finished {
                run_id: run_id.clone(),
                finished_at: *finished_at,
                cancelled: *cancelled,
            },
        })
    }
}

/// Field order in [`PackedResult::text`]. The value part (expected, actual, reason) comes last
/// and is contiguous: it is the key the writer interns values by.
const ENV: usize = 0;
const HOST: usize = 1;
const KEY: usize = 2;
const CHECK_ID: usize = 3;
const TITLE: usize = 4;
const CATEGORY: usize = 5;
const SOP: usize = 6;
const EXPECTED: usize = 7;
const ACTUAL: usize = 8;
const REASON: usize = 9;
const FIELDS: usize = 10;

/// Separates expected and actual in the value key: JSON text never contains a raw 0x1f.
const SEP: char = '\u{1f}';

/// One result, packed.
pub struct PackedResult {
    text: String,
    /// End offset of each field in `text`.
    ends: [u32; FIELDS],
    has_sop: bool,
    has_reason: bool,
    pub outcome: Outcome,
    pub severity: Severity,
    pub duration_ms: i64,
}

impl PackedResult {
    pub fn pack(rec: &ResultRecord) -> PackedResult {
        let plain = [
            rec.environment.as_str(),
            rec.host.as_str(),
            rec.key.as_str(),
            rec.check_id.as_str(),
            rec.title.as_str(),
            rec.category.as_str(),
            rec.sop.as_deref().unwrap_or(""),
        ];
        let reason = rec.reason.as_deref().unwrap_or("");
        let cap = plain.iter().map(|s| s.len()).sum::<usize>() + reason.len() + 96;
        let mut text = String::with_capacity(cap);
        let mut ends = [0u32; FIELDS];
        let end = |t: &String| u32::try_from(t.len()).unwrap_or(u32::MAX);
        for (i, s) in plain.iter().enumerate() {
            text.push_str(s);
            ends[i] = end(&text);
        }
        // `Value`'s Display is compact JSON; writing it cannot fail on a String.
        let _ = write!(text, "{}", rec.expected);
        ends[EXPECTED] = end(&text);
        text.push(SEP);
        let _ = write!(text, "{}", rec.actual);
        ends[ACTUAL] = end(&text);
        text.push(SEP);
        text.push(if rec.reason.is_some() { '+' } else { '-' });
        text.push_str(reason);
        ends[REASON] = end(&text);
        PackedResult {
            text,
            ends,
            has_sop: rec.sop.is_some(),
            has_reason: rec.reason.is_some(),
            outcome: rec.outcome,
            severity: rec.severity,
            duration_ms: rec.duration.as_millis().min(i64::MAX as u128) as i64,
        }
    }

    fn start(&self, field: usize) -> usize {
        let prev = match field {
            0 => 0,
            f => self.ends[f - 1] as usize,
        };
        // Skip the separator (and the reason flag) in front of the value fields.
        match field {
            ACTUAL => prev + SEP.len_utf8(),
            REASON => prev + SEP.len_utf8() + 1,
            _ => prev,
        }
    }

    fn field(&self, f: usize) -> &str {
        self.text
            .get(self.start(f)..self.ends[f] as usize)
            .unwrap_or("")
    }

    pub fn environment(&self) -> &str {
        self.field(ENV)
    }
    pub fn host(&self) -> &str {
        self.field(HOST)
    }
    pub fn key(&self) -> &str {
        self.field(KEY)
    }
    pub fn check_id(&self) -> &str {
        self.field(CHECK_ID)
    }
    pub fn title(&self) -> &str {
        self.field(TITLE)
    }
    pub fn category(&self) -> &str {
        self.field(CATEGORY)
    }
    pub fn sop(&self) -> Option<&str> {
        self.has_sop.then(|| self.field(SOP))
    }
    pub fn expected_json(&self) -> &str {
        self.field(EXPECTED)
    }
    pub fn actual_json(&self) -> &str {
        self.field(ACTUAL)
    }
    pub fn reason(&self) -> Option<&str> {
        self.has_reason.then(|| self.field(REASON))
    }
    /// Expected, actual and reason as one string: equal keys ⇔ equal values.
    pub fn value_key(&self) -> &str {
        self.text.get(self.start(EXPECTED)..).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExecKey;
    use serde_json::json;
    use std::time::Duration;

    fn rec(reason: Option<&str>, sop: Option<&str>) -> ResultRecord {
        ResultRecord {
            environment: "prod".into(),
            host: "db-01".into(),
            key: ExecKey("ssh.x[o=1]".into()),
            check_id: "ssh.x".into(),
            title: "tïtle".into(),
            category: "ssh".into(),
            severity: Severity::High,
            outcome: Outcome::Fail,
            expected: json!({"value": "no", "n": [1, 2]}),
            actual: json!({"value": "yes\u{1f}"}),
            reason: reason.map(String::from),
            duration: Duration::from_millis(1234),
            sop: sop.map(String::from),
        }
    }

    #[test]
    fn fields_round_trip() {
        let r = rec(Some("differs: a\u{1f}b"), Some("ssh-hardening"));
        let p = PackedResult::pack(&r);
        assert_eq!(p.environment(), "prod");
        assert_eq!(p.host(), "db-01");
        assert_eq!(p.key(), "ssh.x[o=1]");
        assert_eq!(p.check_id(), "ssh.x");
        assert_eq!(p.title(), "tïtle");
        assert_eq!(p.category(), "ssh");
        assert_eq!(p.sop(), Some("ssh-hardening"));
        let e: serde_json::Value = serde_json::from_str(p.expected_json()).unwrap();
        let a: serde_json::Value = serde_json::from_str(p.actual_json()).unwrap();
        assert_eq!((e, a), (r.expected.clone(), r.actual.clone()));
        assert_eq!(p.reason(), Some("differs: a\u{1f}b"));
        assert_eq!(p.duration_ms, 1234);
        let none = PackedResult::pack(&rec(None, None));
        assert_eq!(none.reason(), None);
        assert_eq!(none.sop(), None);
        let empty = PackedResult::pack(&rec(Some(""), None));
        assert_eq!(empty.reason(), Some(""));
    }

    #[test]
    fn value_keys_differ_when_any_value_part_differs() {
        let a = PackedResult::pack(&rec(Some("r"), None));
        let b = PackedResult::pack(&rec(None, None));
        let c = PackedResult::pack(&rec(Some(""), None));
        assert_ne!(a.value_key(), b.value_key());
        assert_ne!(b.value_key(), c.value_key());
        let mut other = rec(Some("r"), None);
        other.title = "another title".into();
        assert_eq!(a.value_key(), PackedResult::pack(&other).value_key());
    }

    #[test]
    fn a_duration_past_i64_milliseconds_is_capped() {
        let mut r = rec(None, None);
        r.duration = Duration::MAX;
        assert_eq!(PackedResult::pack(&r).duration_ms, i64::MAX);
        r.duration = Duration::from_micros(1_999);
        assert_eq!(PackedResult::pack(&r).duration_ms, 1);
    }

    #[test]
    fn the_store_keeps_runs_failures_and_results_but_not_progress() {
        use crate::model::{HostPhase, OutcomeCounts, RunMeta, Scope};
        let meta = Arc::new(RunMeta::begin(Scope::default(), "h".into(), 1, 1));
        let Some(Msg::Started(m)) = Msg::from_event(&Event::RunStarted(meta.clone())) else {
            panic!("a run start is kept");
        };
        assert_eq!(m.id, meta.id);
        for phase in [
            HostPhase::Queued,
            HostPhase::Connecting,
            HostPhase::Probing,
            HostPhase::Done,
        ] {
            let ev = Event::HostState {
                host: "db-01".into(),
                phase,
            };
            assert!(Msg::from_event(&ev).is_none());
        }
        let failed = Event::HostState {
            host: "db-01".into(),
            phase: HostPhase::Failed("connection refused".into()),
        };
        let Some(Msg::HostFailed { host, reason }) = Msg::from_event(&failed) else {
            panic!("a host failure is kept");
        };
        assert_eq!(
            (host.as_str(), reason.as_str()),
            ("db-01", "connection refused")
        );
        let result = Event::CheckResult(Box::new(rec(Some("differs: value"), None)));
        let Some(Msg::Result(p)) = Msg::from_event(&result) else {
            panic!("a result is kept");
        };
        assert_eq!((p.host(), p.outcome), ("db-01", Outcome::Fail));
        let at = chrono::Utc::now();
        let finished = Event::RunFinished {
            run_id: "r1".into(),
            finished_at: at,
            counts: OutcomeCounts::default(),
            cancelled: true,
        };
        let Some(Msg::Finished {
            run_id,
            finished_at,
            cancelled,
        }) = Msg::from_event(&finished)
        else {
            panic!("a run end is kept");
        };
        assert_eq!((run_id.as_str(), finished_at, cancelled), ("r1", at, true));
    }

    #[test]
    fn a_reason_longer_than_every_other_field_packs() {
        let mut r = rec(None, None);
        (r.environment, r.host, r.check_id, r.title, r.category) = (
            String::new(),
            "h".into(),
            "c".into(),
            String::new(),
            String::new(),
        );
        r.key = crate::model::ExecKey("c".into());
        let reason =
            "permission denied reading /etc/ssh/sshd_config.d/50-cloud-init.conf; ".repeat(3);
        r.reason = Some(reason.clone());
        let p = PackedResult::pack(&r);
        assert_eq!((p.environment(), p.host(), p.key()), ("", "h", "c"));
        assert_eq!(p.reason(), Some(reason.as_str()));
    }
}
