//! Latest state: the newest result per host×check across runs (narrow re-check runs
//! included). Runs of the environment are walked newest first and the walk stops at the first
//! complete full-scope run, which by definition covers every current host×check.

use super::readiness::{ReadinessInput, ReadinessStatus, judge_readiness};
use super::{RunRow, Store};
use crate::model::{Acknowledgement, Outcome, OutcomeCounts, Severity, Value};
use crate::store::StoreError;
use crate::store::codec::{
    FastMap as HashMap, FastSet as HashSet, from_ms, not_reached, outcome_from,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The newest result of one host×check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestEntry {
    pub host: String,
    pub key: String,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
    pub sop: Option<String>,
    /// The run it came from and when that run started.
    pub run_id: String,
    pub checked_at: DateTime<Utc>,
    pub age_secs: i64,
    /// The active acknowledgement covering this failure (same actual value), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

/// Latest state of an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestState {
    pub environment: String,
    /// The newest complete full-scope run the state rests on (`None`: only partial runs).
    pub base_run: Option<String>,
    /// Sorted by host, then check key.
    pub entries: Vec<LatestEntry>,
}

impl LatestState {
    /// The readiness verdict of this state by the same rules as `driftscope status`
    /// ([`judge_readiness`]), with the age of the oldest result (seconds).
    pub fn readiness(&self, stale_after_secs: i64) -> (ReadinessStatus, String, Option<i64>) {
        let mut counts = OutcomeCounts::default();
        let mut acknowledged = 0;
        let mut not_reached_hosts = HashSet::default();
        for e in &self.entries {
            counts.add(e.outcome);
            acknowledged += u64::from(e.acknowledged.is_some());
            if not_reached(e.outcome) {
                not_reached_hosts.insert(e.host.as_str());
            }
        }
        let age_secs = self.entries.iter().map(|e| e.age_secs).max();
        let (status, why) = judge_readiness(&ReadinessInput {
            counts,
            acknowledged,
            age_secs,
            stale_after_secs,
            based_on_full_run: self.base_run.is_some(),
            hosts_not_reached: not_reached_hosts.len(),
        });
        (status, why, age_secs)
    }
}

/// A newest result per host×check, before names are attached.
pub(super) struct LatestRow {
    pub(super) host: i64,
    pub(super) chk: i64,
    pub(super) outcome: Outcome,
    pub(super) val: i64,
    pub(super) run: usize,
}

impl Store {
    /// The newest result per host×check of `env_id` (see the module doc), with the runs walked.
    pub(super) fn latest_rows(
        &self,
        env_id: i64,
    ) -> rusqlite::Result<(Vec<LatestRow>, Vec<RunRow>, bool)> {
        let runs = self.env_runs(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let mut seen: HashSet<(i64, i64)> = HashSet::default();
        let mut out = Vec::new();
        let mut used = Vec::new();
        let mut based = false;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT host, chk, outcome, val FROM results WHERE run = ?1")?;
        for run in runs {
            let idx = used.len();
            let mut rows = stmt.query([run.id])?;
            while let Some(r) = rows.next()? {
                let host: i64 = r.get(0)?;
                if !hosts.contains_key(&host) {
                    continue;
                }
                let chk: i64 = r.get(1)?;
                if !seen.insert((host, chk)) {
                    continue;
                }
                out.push(LatestRow {
                    host,
                    chk,
                    outcome: outcome_from(r.get(2)?),
                    val: r.get(3)?,
                    run: idx,
                });
            }
            let stop = run.full && run.status == "complete";
            used.push(run);
            if stop {
                based = true;
                break;
            }
        }
        Ok((out, used, based))
    }

    /// Latest state per host×check in `env`, with each result's age.
    pub fn latest_state(&self, env: &str) -> Result<LatestState, StoreError> {
        let env_id = self.env_id(env)?;
        self.latest_state_inner(env, env_id)
            .map_err(|e| self.err(e))
    }

    fn latest_state_inner(&self, env: &str, env_id: i64) -> rusqlite::Result<LatestState> {
        let (mut rows, runs, based) = self.latest_rows(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let chk_ids: HashSet<i64> = rows.iter().map(|r| r.chk).collect();
        let checks = self.checks(&chk_ids)?;
        // Sort by host name, then key, through integer ranks (cheaper than string compares).
        let rank = |names: Vec<(i64, &String)>| -> HashMap<i64, usize> {
            let mut names = names;
            names.sort_by(|a, b| a.1.cmp(b.1));
            names
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (*id, i))
                .collect()
        };
        let host_rank = rank(hosts.iter().map(|(id, n)| (*id, n)).collect());
        let chk_rank = rank(checks.iter().map(|(id, c)| (*id, &c.key)).collect());
        rows.sort_by_key(|r| {
            (
                host_rank.get(&r.host).copied().unwrap_or(usize::MAX),
                chk_rank.get(&r.chk).copied().unwrap_or(usize::MAX),
            )
        });
        let now = Utc::now();
        let mut acks = self.active_acks_by_id(env_id)?;
        let mut vals = HashMap::default();
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let (Some(host), Some(check), Some(run)) = (
                hosts.get(&row.host),
                checks.get(&row.chk),
                runs.get(row.run),
            ) else {
                continue;
            };
            let (expected, actual, reason) = self.val(&mut vals, row.val)?;
            let at = from_ms(run.started_at);
            let acknowledged = match acks.remove(&(row.host, row.chk)) {
                Some(a) if row.outcome == Outcome::Fail && a.actual == actual => Some(a),
                _ => None,
            };
            entries.push(LatestEntry {
                host: host.clone(),
                key: check.key.clone(),
                check_id: check.check_id.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                outcome: row.outcome,
                expected,
                actual,
                reason,
                sop: check.sop.clone(),
                run_id: run.key.clone(),
                checked_at: at,
                age_secs: (now - at).num_seconds(),
                acknowledged,
            });
        }
        Ok(LatestState {
            environment: env.to_string(),
            base_run: if based {
                runs.last().map(|r| r.key.clone())
            } else {
                None
            },
            entries,
        })
    }
}
