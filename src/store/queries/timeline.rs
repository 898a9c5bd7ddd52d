//! Timeline of one host×check: its last K runs newest first, with the current failing streak.

use super::Store;
use crate::model::{Outcome, Severity, Value};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, from_ms, outcome_from};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One run in a host×check timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
    /// The host's probe round trip in that run.
    pub duration_ms: Option<i64>,
}

/// History of one host×check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub environment: String,
    pub host: String,
    pub key: String,
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    /// Newest first.
    pub entries: Vec<TimelineEntry>,
    /// Current failing streak (`None` when the newest result is not a failure).
    pub streak: Option<Streak>,
    /// Runs of the environment inside the window that hold no result for this host×check
    /// (a narrow re-check of something else, the host unreachable before planning …), newest
    /// first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_probed: Vec<NotProbed>,
}

/// A run of the environment without a result for the host×check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotProbed {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
}

/// "failing since 3 runs / 2 days".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Streak {
    /// Consecutive failing runs up to the newest (runs without this host×check are skipped).
    pub runs: u64,
    /// The first run of the streak.
    pub first_failed_run: String,
    pub failing_since: DateTime<Utc>,
}

impl Store {
    /// Timeline of one host×check over its last `k` runs (newest first), with the current
    /// failing streak. `check` is a full key or a check id with a single execution.
    pub fn timeline(
        &self,
        env: Option<&str>,
        host: &str,
        check: &str,
        k: usize,
    ) -> Result<Timeline, StoreError> {
        let (host_id, env_id, env_name) = self.resolve_host(env, host)?;
        let chk_id = self.resolve_check(check)?;
        self.timeline_inner(env_name, host, host_id, env_id, chk_id, k)
            .map_err(|e| self.err(e))
    }

    fn timeline_inner(
        &self,
        env: String,
        host: &str,
        host_id: i64,
        env_id: i64,
        chk_id: i64,
        k: usize,
    ) -> rusqlite::Result<Timeline> {
        let info = self.check(chk_id)?;
        let runs = self.env_runs(env_id)?;
        let mut entries = Vec::new();
        let mut vals = HashMap::default();
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome, val FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut dur = self
            .conn
            .prepare_cached("SELECT duration_ms FROM run_hosts WHERE run = ?1 AND host = ?2")?;
        let mut streak: Option<Streak> = None;
        let mut streak_open = true;
        let mut not_probed = Vec::new();
        for run in &runs {
            if entries.len() >= k && !streak_open {
                break;
            }
            let Some((code, val)) = lookup
                .query_row(params![run.id, host_id, chk_id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .optional()?
            else {
                if entries.len() + not_probed.len() < k {
                    not_probed.push(NotProbed {
                        run_id: run.key.clone(),
                        started_at: from_ms(run.started_at),
                    });
                }
                continue;
            };
            let outcome = outcome_from(code);
            if streak_open {
                if outcome == Outcome::Fail {
                    let s = streak.get_or_insert(Streak {
                        runs: 0,
                        first_failed_run: String::new(),
                        failing_since: from_ms(run.started_at),
                    });
                    s.runs += 1;
                    s.first_failed_run = run.key.clone();
                    s.failing_since = from_ms(run.started_at);
                } else {
                    streak_open = false;
                }
            }
            if entries.len() < k {
                let (expected, actual, reason) = self.val(&mut vals, val)?;
                let duration_ms = dur
                    .query_row(params![run.id, host_id], |r| r.get::<_, Option<i64>>(0))
                    .optional()?
                    .flatten();
                entries.push(TimelineEntry {
                    run_id: run.key.clone(),
                    started_at: from_ms(run.started_at),
                    outcome,
                    expected,
                    actual,
                    reason,
                    duration_ms,
                });
            }
        }
        Ok(Timeline {
            environment: env,
            host: host.to_string(),
            key: info.key,
            check_id: info.check_id,
            title: info.title,
            severity: info.severity,
            entries,
            streak,
            not_probed,
        })
    }
}
