//! Readiness of an environment: READY / DRIFTED / STALE / UNKNOWN. The verdict is the pure
//! function [`judge_readiness`] over counts and ages the latest-state walk returns, so its
//! rules are tested without SQLite.

use super::Store;
use crate::model::{Outcome, OutcomeCounts, Severity, human_duration_secs};
use crate::store::StoreError;
use crate::store::codec::{
    FastMap as HashMap, FastSet as HashSet, from_ms, not_reached, severity_from,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// READY / DRIFTED / STALE / UNKNOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReadinessStatus {
    Ready,
    Stale,
    Unknown,
    Drifted,
}

impl ReadinessStatus {
    /// `status` exit code: 0 ready, 1 drifted, 4 stale, 3 unknown (problems without drift).
    pub fn exit_code(self) -> i32 {
        match self {
            ReadinessStatus::Ready => 0,
            ReadinessStatus::Drifted => 1,
            ReadinessStatus::Unknown => 3,
            ReadinessStatus::Stale => 4,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessStatus::Ready => "READY",
            ReadinessStatus::Drifted => "DRIFTED",
            ReadinessStatus::Stale => "STALE",
            ReadinessStatus::Unknown => "UNKNOWN",
        }
    }
}

/// Is an environment ready right now?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub environment: String,
    pub status: ReadinessStatus,
    /// One line saying why.
    pub reason: String,
    pub base_run: Option<String>,
    /// When the newest and the oldest result of the latest state were taken.
    pub newest_result_at: Option<DateTime<Utc>>,
    pub oldest_result_at: Option<DateTime<Utc>>,
    /// Age of the oldest result in the latest state (what staleness is judged on).
    pub age_secs: Option<i64>,
    pub stale_after_secs: i64,
    pub counts: OutcomeCounts,
    /// Failures (counted in `counts.fail`) covered by an active acknowledgement: their own
    /// bucket, left out of the verdict until the acknowledgement lapses.
    pub acknowledged: u64,
    /// Unacknowledged `fail` results by severity (critical first); severities without
    /// failures are left out.
    pub failing_by_severity: BTreeMap<Severity, u64>,
    pub hosts_total: u64,
    /// Hosts whose latest results say unreachable or timeout.
    pub hosts_not_reached: Vec<String>,
}

/// What the readiness verdict is judged on (what the latest-state walk returns).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadinessInput {
    /// Outcomes of the latest state.
    pub counts: OutcomeCounts,
    /// How many of `counts.fail` an active acknowledgement covers.
    pub acknowledged: u64,
    /// Age of the oldest result of the latest state.
    pub age_secs: Option<i64>,
    pub stale_after_secs: i64,
    /// Whether the latest state rests on a complete full-scope run.
    pub based_on_full_run: bool,
    pub hosts_not_reached: usize,
}

/// The verdict and one line saying why: STALE when the oldest result is older than the
/// threshold, else DRIFTED on any failure not acknowledged, UNKNOWN on problems (error, unreachable …), on no
/// data or when only partial runs are stored, else READY.
pub fn judge_readiness(input: &ReadinessInput) -> (ReadinessStatus, String) {
    let counts = &input.counts;
    if counts.total() == 0 {
        (
            ReadinessStatus::Unknown,
            "no stored results for this environment".to_string(),
        )
    } else if let Some(age) = input.age_secs.filter(|a| *a > input.stale_after_secs) {
        (
            ReadinessStatus::Stale,
            format!(
                "oldest result is {} old (stale after {})",
                human_duration_secs(age),
                human_duration_secs(input.stale_after_secs)
            ),
        )
    } else if counts.fail > input.acknowledged {
        (
            ReadinessStatus::Drifted,
            format!(
                "{} failing checks{}",
                counts.fail - input.acknowledged,
                acked_note(input.acknowledged)
            ),
        )
    } else if counts.problems() > 0 {
        (
            ReadinessStatus::Unknown,
            format!(
                "{} results could not be checked ({} hosts not reached)",
                counts.problems(),
                input.hosts_not_reached
            ),
        )
    } else if !input.based_on_full_run {
        (
            ReadinessStatus::Unknown,
            "no complete full run yet; only partial runs are stored".to_string(),
        )
    } else if input.acknowledged > 0 {
        (
            ReadinessStatus::Ready,
            format!(
                "every check passes or is acknowledged{}",
                acked_note(input.acknowledged)
            ),
        )
    } else {
        (ReadinessStatus::Ready, "every check passes".to_string())
    }
}

fn acked_note(acknowledged: u64) -> String {
    if acknowledged == 0 {
        String::new()
    } else {
        format!(" ({acknowledged} acknowledged)")
    }
}

impl Store {
    /// Readiness of `env`: STALE when the oldest result of the latest state is older than
    /// `stale_after`, else DRIFTED on any failure, UNKNOWN on problems (error, unreachable …)
    /// or no data, else READY.
    pub fn readiness(&self, env: &str, stale_after: Duration) -> Result<Readiness, StoreError> {
        let env_id = self.env_id(env)?;
        self.readiness_inner(env, env_id, stale_after)
            .map_err(|e| self.err(e))
    }

    fn readiness_inner(
        &self,
        env: &str,
        env_id: i64,
        stale_after: Duration,
    ) -> rusqlite::Result<Readiness> {
        let (rows, runs, based) = self.latest_rows(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let sev_by_chk: HashMap<i64, Severity> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, severity FROM checks")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, severity_from(r.get(1)?))))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let acks = self.active_acks_by_id(env_id)?;
        let mut vals = HashMap::default();
        let mut acknowledged = 0u64;
        let mut counts = OutcomeCounts::default();
        let mut failing_by_severity = BTreeMap::new();
        let mut not_reached_ids = HashSet::default();
        let mut hosts_seen = HashSet::default();
        let mut used_runs = HashSet::default();
        for row in &rows {
            counts.add(row.outcome);
            hosts_seen.insert(row.host);
            used_runs.insert(row.run);
            if row.outcome == Outcome::Fail
                && let Some(acked) = acks.get(&(row.host, row.chk))
                && self.val(&mut vals, row.val)?.1 == acked.actual
            {
                acknowledged += 1;
            } else if row.outcome == Outcome::Fail {
                let sev = sev_by_chk.get(&row.chk).copied().unwrap_or_default();
                *failing_by_severity.entry(sev).or_insert(0u64) += 1;
            }
            if not_reached(row.outcome) {
                not_reached_ids.insert(row.host);
            }
        }
        let mut hosts_not_reached: Vec<String> = not_reached_ids
            .iter()
            .filter_map(|h| hosts.get(h).cloned())
            .collect();
        hosts_not_reached.sort();
        let times: Vec<i64> = used_runs
            .iter()
            .filter_map(|i| runs.get(*i).map(|r| r.started_at))
            .collect();
        let newest = times.iter().max().map(|t| from_ms(*t));
        let oldest = times.iter().min().map(|t| from_ms(*t));
        let now = Utc::now();
        let age_secs = oldest.map(|t| (now - t).num_seconds());
        let stale_secs = stale_after.as_secs().min(i64::MAX as u64) as i64;
        let (status, reason) = judge_readiness(&ReadinessInput {
            counts,
            acknowledged,
            age_secs,
            stale_after_secs: stale_secs,
            based_on_full_run: based,
            hosts_not_reached: hosts_not_reached.len(),
        });
        Ok(Readiness {
            environment: env.to_string(),
            status,
            reason,
            base_run: if based {
                runs.last().map(|r| r.key.clone())
            } else {
                None
            },
            newest_result_at: newest,
            oldest_result_at: oldest,
            age_secs,
            stale_after_secs: stale_secs,
            counts,
            acknowledged,
            failing_by_severity,
            hosts_total: hosts_seen.len() as u64,
            hosts_not_reached,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pass: u64, fail: u64, error: u64) -> ReadinessInput {
        ReadinessInput {
            counts: OutcomeCounts {
                pass,
                fail,
                error,
                ..Default::default()
            },
            acknowledged: 0,
            age_secs: Some(60),
            stale_after_secs: 86_400,
            based_on_full_run: true,
            hosts_not_reached: 0,
        }
    }

    #[test]
    fn no_results_is_unknown() {
        let (s, why) = judge_readiness(&input(0, 0, 0));
        assert_eq!(s, ReadinessStatus::Unknown);
        assert!(why.contains("no stored results"), "{why}");
    }

    #[test]
    fn staleness_wins_over_drift() {
        let mut i = input(3, 2, 0);
        i.age_secs = Some(2 * 86_400 + 10);
        let (s, why) = judge_readiness(&i);
        assert_eq!(s, ReadinessStatus::Stale);
        assert_eq!(why, "oldest result is 2d old (stale after 1d)");
    }

    #[test]
    fn a_failure_drifts_and_problems_alone_are_unknown() {
        assert_eq!(judge_readiness(&input(3, 1, 1)).0, ReadinessStatus::Drifted);
        assert_eq!(judge_readiness(&input(3, 0, 1)).0, ReadinessStatus::Unknown);
    }

    #[test]
    fn acknowledged_failures_leave_the_verdict() {
        let mut i = input(3, 2, 0);
        i.acknowledged = 1;
        let (s, why) = judge_readiness(&i);
        assert_eq!(
            (s, why.as_str()),
            (
                ReadinessStatus::Drifted,
                "1 failing checks (1 acknowledged)"
            )
        );
        i.acknowledged = 2;
        let (s, why) = judge_readiness(&i);
        assert_eq!(s, ReadinessStatus::Ready);
        assert!(why.contains("2 acknowledged"), "{why}");
        // an acknowledged failure does not hide a problem
        let mut p = input(3, 1, 1);
        p.acknowledged = 1;
        assert_eq!(judge_readiness(&p).0, ReadinessStatus::Unknown);
    }

    #[test]
    fn all_pass_is_ready_only_on_a_full_run() {
        assert_eq!(judge_readiness(&input(5, 0, 0)).0, ReadinessStatus::Ready);
        let mut partial = input(5, 0, 0);
        partial.based_on_full_run = false;
        assert_eq!(judge_readiness(&partial).0, ReadinessStatus::Unknown);
    }
}
