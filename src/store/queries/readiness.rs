//! Readiness of an environment: READY / DRIFTED / STALE / UNKNOWN. The verdict is the pure
//! function [`judge_readiness`] over counts and ages the latest-state walk returns, so its
//! rules are tested without SQLite.

use super::Store;
use super::latest::LatestWalk;
use super::streaks::FailingStreak;
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
        self.latest_rows(env_id)
            .and_then(|latest| self.readiness_of(env, env_id, stale_after, &latest))
            .map_err(|e| self.err(e))
    }

    /// Readiness and the failing streaks of `env` from one walk of its latest state: what
    /// the TUI's drift screen asks at once.
    pub fn readiness_and_streaks(
        &self,
        env: &str,
        stale_after: Duration,
    ) -> Result<(Readiness, Vec<FailingStreak>), StoreError> {
        let env_id = self.env_id(env)?;
        self.latest_rows(env_id)
            .and_then(|latest| {
                Ok((
                    self.readiness_of(env, env_id, stale_after, &latest)?,
                    self.failing_streaks_of(env_id, &latest)?,
                ))
            })
            .map_err(|e| self.err(e))
    }

    pub(super) fn readiness_of(
        &self,
        env: &str,
        env_id: i64,
        stale_after: Duration,
        (rows, runs, based): &LatestWalk,
    ) -> rusqlite::Result<Readiness> {
        let based = *based;
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
        for row in rows {
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

    #[test]
    fn each_rule_holds_exactly_at_its_boundary() {
        // The oldest result exactly as old as the threshold is not stale yet.
        let mut at = input(3, 0, 0);
        at.age_secs = Some(86_400);
        assert_eq!(judge_readiness(&at).0, ReadinessStatus::Ready);
        at.age_secs = Some(86_401);
        assert_eq!(judge_readiness(&at).0, ReadinessStatus::Stale);
        // Unknown age (no run times): never stale.
        at.age_secs = None;
        assert_eq!(judge_readiness(&at).0, ReadinessStatus::Ready);
        // A single failure drifts; with more acknowledged than failing, it is ready.
        let (s, why) = judge_readiness(&input(3, 1, 0));
        assert_eq!(
            (s, why.as_str()),
            (ReadinessStatus::Drifted, "1 failing checks")
        );
        // A single problem is unknown, and says how many hosts were not reached.
        let mut p = input(3, 0, 1);
        p.hosts_not_reached = 2;
        let (s, why) = judge_readiness(&p);
        assert_eq!(
            (s, why.as_str()),
            (
                ReadinessStatus::Unknown,
                "1 results could not be checked (2 hosts not reached)"
            )
        );
        let (s, why) = judge_readiness(&input(3, 0, 0));
        assert_eq!(
            (s, why.as_str()),
            (ReadinessStatus::Ready, "every check passes")
        );
        let mut acked = input(3, 1, 0);
        acked.acknowledged = 1;
        assert_eq!(
            judge_readiness(&acked).1,
            "every check passes or is acknowledged (1 acknowledged)"
        );
        let mut partial = input(3, 0, 0);
        partial.based_on_full_run = false;
        assert_eq!(
            judge_readiness(&partial).1,
            "no complete full run yet; only partial runs are stored"
        );
    }

    #[test]
    fn exit_codes_and_names_are_what_scripts_see() {
        for (s, code, name) in [
            (ReadinessStatus::Ready, 0, "READY"),
            (ReadinessStatus::Drifted, 1, "DRIFTED"),
            (ReadinessStatus::Unknown, 3, "UNKNOWN"),
            (ReadinessStatus::Stale, 4, "STALE"),
        ] {
            assert_eq!((s.exit_code(), s.as_str()), (code, name));
        }
    }

    /// One run of `results` (host, check, outcome, actual value) started `hours_ago`,
    /// written by the real writer thread into a real SQLite file.
    fn store_with_run(
        dir: &std::path::Path,
        hours_ago: i64,
        results: &[(&str, &str, Outcome, &str)],
    ) -> Store {
        use crate::exec::Event;
        use crate::model::{ExecKey, ResultRecord, RunMeta, Scope};
        use std::sync::Arc;
        let db = dir.join("h.db");
        let writer = crate::store::StoreWriter::spawn(&db).unwrap();
        let mut meta = RunMeta::begin(
            Scope {
                environment: "prod".into(),
                ..Scope::default()
            },
            "hash".into(),
            2,
            results.len(),
        );
        meta.started_at = Utc::now() - chrono::Duration::hours(hours_ago);
        let started = meta.started_at;
        let id = meta.id.clone();
        writer.send(&Event::RunStarted(Arc::new(meta)));
        let mut counts = OutcomeCounts::default();
        for (host, check, outcome, actual) in results {
            counts.add(*outcome);
            writer.send(&Event::CheckResult(Box::new(ResultRecord {
                environment: "prod".into(),
                host: host.to_string(),
                key: ExecKey(check.to_string()),
                check_id: check.to_string(),
                title: check.to_string(),
                category: "test".into(),
                severity: if check.starts_with("ssh") {
                    Severity::High
                } else {
                    Severity::Low
                },
                outcome: *outcome,
                expected: serde_json::json!({"value": "want"}),
                actual: serde_json::json!({"value": actual}),
                reason: None,
                duration: Duration::from_millis(5),
                sop: None,
            })));
        }
        writer.send(&Event::RunFinished {
            run_id: id,
            finished_at: started + chrono::Duration::seconds(30),
            counts,
            cancelled: false,
        });
        writer.finish().unwrap();
        Store::open(&db).unwrap()
    }

    #[test]
    fn readiness_of_a_real_store_counts_severities_acks_and_hosts_not_reached() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_run(
            dir.path(),
            2,
            &[
                ("web-01", "ssh.root", Outcome::Fail, "yes"),
                ("web-01", "sysctl.fwd", Outcome::Fail, "1"),
                ("web-01", "pkg.a", Outcome::Pass, "want"),
                ("db-01", "ssh.root", Outcome::Fail, "yes"),
                ("db-01", "sysctl.fwd", Outcome::Fail, "1"),
                ("app-01", "pkg.a", Outcome::Unreachable, ""),
                ("cache-01", "pkg.a", Outcome::Timeout, ""),
            ],
        );
        let ack = |host: &str, check: &str, actual: Option<serde_json::Value>| {
            store
                .acknowledge(&crate::store::AckRequest {
                    env: Some("prod".into()),
                    host: host.into(),
                    check: check.into(),
                    reason: "known".into(),
                    expires_at: Utc::now() + chrono::Duration::days(1),
                    user: "tester".into(),
                    actual,
                })
                .unwrap()
        };
        // web-01's ssh failure is acknowledged at the value it has; db-01's sysctl at
        // another value, which does not cover what is stored.
        ack("web-01", "ssh.root", None);
        ack(
            "db-01",
            "sysctl.fwd",
            Some(serde_json::json!({"value": "2"})),
        );
        let r = store
            .readiness("prod", Duration::from_secs(86_400))
            .unwrap();
        assert_eq!(r.status, ReadinessStatus::Drifted, "{}", r.reason);
        assert_eq!(r.reason, "3 failing checks (1 acknowledged)");
        assert_eq!((r.counts.fail, r.counts.pass, r.acknowledged), (4, 1, 1));
        assert_eq!(
            r.failing_by_severity,
            BTreeMap::from([(Severity::High, 1), (Severity::Low, 2)])
        );
        assert_eq!(r.hosts_total, 4);
        assert_eq!(r.hosts_not_reached, ["app-01", "cache-01"]);
        let age = r.age_secs.unwrap();
        assert!((7_200..7_300).contains(&age), "{age}");
        assert_eq!(r.stale_after_secs, 86_400);
        assert_eq!(r.newest_result_at, r.oldest_result_at);
        assert!(r.base_run.is_some());
        // An hour's threshold: the two-hour-old state is stale.
        let r = store.readiness("prod", Duration::from_secs(3_600)).unwrap();
        assert_eq!(r.status, ReadinessStatus::Stale);
        assert_eq!(r.reason, "oldest result is 2h old (stale after 1h)");
    }
}
