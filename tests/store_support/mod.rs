//! Shared fixtures for the store integration tests: build runs of results and push them
//! through the real writer thread into a real SQLite file.
#![allow(dead_code)]

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use driftscope::exec::Event;
use driftscope::model::{
    ExecKey, Outcome, OutcomeCounts, ResultRecord, RunMeta, Scope, Severity, Value,
};
use driftscope::store::{StoreWriter, WriteReport};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// One result to store: host, check key, outcome, actual value.
#[derive(Clone, Debug)]
pub struct R {
    pub host: &'static str,
    pub key: &'static str,
    pub outcome: Outcome,
    pub actual: Value,
}

pub fn pass(host: &'static str, key: &'static str) -> R {
    R {
        host,
        key,
        outcome: Outcome::Pass,
        actual: json!({ "value": "want" }),
    }
}

pub fn fail(host: &'static str, key: &'static str, got: &str) -> R {
    R {
        host,
        key,
        outcome: Outcome::Fail,
        actual: json!({ "value": got }),
    }
}

pub fn with(host: &'static str, key: &'static str, outcome: Outcome) -> R {
    R {
        host,
        key,
        outcome,
        actual: json!({}),
    }
}

/// A run to store.
pub struct RunSpec {
    pub id: String,
    pub env: String,
    pub started_at: DateTime<Utc>,
    /// Narrow re-check (scope limited to some hosts).
    pub narrow: bool,
    pub cancelled: bool,
    /// Leave out `RunFinished` (the executor stopped mid-run).
    pub unfinished: bool,
    pub results: Vec<R>,
}

impl RunSpec {
    pub fn new(id: &str, env: &str, hours_ago: i64, results: Vec<R>) -> RunSpec {
        RunSpec {
            id: id.to_string(),
            env: env.to_string(),
            started_at: Utc::now() - ChronoDuration::hours(hours_ago),
            narrow: false,
            cancelled: false,
            unfinished: false,
            results,
        }
    }
    pub fn narrow(mut self) -> RunSpec {
        self.narrow = true;
        self
    }
    pub fn cancelled(mut self) -> RunSpec {
        self.cancelled = true;
        self
    }
    pub fn unfinished(mut self) -> RunSpec {
        self.unfinished = true;
        self
    }
}

pub fn meta(id: &str, env: &str, started_at: DateTime<Utc>, narrow: bool) -> RunMeta {
    RunMeta {
        id: id.to_string(),
        started_at,
        scope: Scope {
            environment: env.to_string(),
            hosts: if narrow {
                vec!["web-01".to_string()]
            } else {
                Vec::new()
            },
            ..Scope::default()
        },
        driftscope_version: "0.1.0-test".into(),
        user: "tester".into(),
        client_host: "testbox".into(),
        checkset_hash: "abc123".into(),
        host_count: 2,
        execution_count: 4,
    }
}

pub fn record(env: &str, r: &R) -> ResultRecord {
    let check_id = r.key.split('[').next().unwrap_or(r.key).to_string();
    ResultRecord {
        environment: env.to_string(),
        host: r.host.to_string(),
        key: ExecKey(r.key.to_string()),
        check_id: check_id.clone(),
        title: format!("title of {check_id}"),
        category: check_id.split('.').next().unwrap_or("misc").to_string(),
        severity: if check_id.starts_with("ssh") {
            Severity::High
        } else {
            Severity::Medium
        },
        outcome: r.outcome,
        expected: json!({ "value": "want" }),
        actual: r.actual.clone(),
        reason: match r.outcome {
            Outcome::Pass => None,
            Outcome::Fail => Some("value differs".into()),
            other => Some(format!("{other} reason")),
        },
        duration: Duration::from_millis(42),
        sop: None,
    }
}

/// All events of one run, in executor order.
pub fn events(spec: &RunSpec) -> Vec<Event> {
    let mut out = vec![Event::RunStarted(Arc::new(meta(
        &spec.id,
        &spec.env,
        spec.started_at,
        spec.narrow,
    )))];
    let mut counts = OutcomeCounts::default();
    for r in &spec.results {
        counts.add(r.outcome);
        out.push(Event::CheckResult(Box::new(record(&spec.env, r))));
    }
    if !spec.unfinished {
        out.push(Event::RunFinished {
            run_id: spec.id.clone(),
            finished_at: spec.started_at + ChronoDuration::seconds(30),
            counts,
            cancelled: spec.cancelled,
        });
    }
    out
}

/// Write runs through one real writer thread.
pub fn write_runs(db: &Path, runs: &[RunSpec]) -> WriteReport {
    let writer = StoreWriter::spawn(db).expect("spawn writer");
    for spec in runs {
        for ev in events(spec) {
            writer.send(&ev);
        }
    }
    writer.finish().expect("finish writer")
}

pub fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("count query")
}

pub fn text(db: &Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("text query")
}
