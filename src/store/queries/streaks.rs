//! First-failed and streak of every failing host×check of the latest state.

use super::Store;
use super::latest::{LatestRow, LatestWalk};
use super::timeline::Streak;
use crate::model::{Outcome, Severity};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, FastSet as HashSet, from_ms};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A failing host×check with its streak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingStreak {
    pub host: String,
    pub key: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub streak: Streak,
}

impl Store {
    /// Every failing host×check of the latest state of `env` with its first-failed run and
    /// streak, longest streak first.
    pub fn failing_streaks(&self, env: &str) -> Result<Vec<FailingStreak>, StoreError> {
        let env_id = self.env_id(env)?;
        self.latest_rows(env_id)
            .and_then(|latest| self.failing_streaks_of(env_id, &latest))
            .map_err(|e| self.err(e))
    }

    pub(super) fn failing_streaks_of(
        &self,
        env_id: i64,
        (rows, _, _): &LatestWalk,
    ) -> rusqlite::Result<Vec<FailingStreak>> {
        let runs = self.env_runs(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let failing: Vec<&LatestRow> = rows.iter().filter(|r| r.outcome == Outcome::Fail).collect();
        let chk_ids: HashSet<i64> = failing.iter().map(|r| r.chk).collect();
        let checks = self.checks(&chk_ids)?;
        let pos: HashMap<i64, usize> = runs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        // Failures are few: the partial index `results_failing` lists a pair's failing runs
        // at once; only gaps between them (runs without a failure) need a point lookup.
        let mut fails = self.conn.prepare_cached(
            "SELECT run FROM results WHERE host = ?1 AND chk = ?2 AND outcome = 1",
        )?;
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut out = Vec::with_capacity(failing.len());
        for row in failing {
            // `latest_rows` numbers the runs it walked in this same newest-first order.
            let start = row.run;
            let mut fail_pos: Vec<usize> = fails
                .query_map(params![row.host, row.chk], |r| r.get::<_, i64>(0))?
                .filter_map(|id| id.ok().and_then(|id| pos.get(&id).copied()))
                .filter(|p| *p >= start)
                .collect();
            fail_pos.sort_unstable();
            let mut first = start;
            let mut count = 0u64;
            for (i, p) in fail_pos.iter().enumerate() {
                if i > 0 {
                    let prev = fail_pos[i - 1];
                    let mut broken = false;
                    for run in runs.iter().take(*p).skip(prev + 1) {
                        if lookup
                            .query_row(params![run.id, row.host, row.chk], |r| r.get::<_, i64>(0))
                            .optional()?
                            .is_some()
                        {
                            broken = true; // a result in between that is not a failure
                            break;
                        }
                    }
                    if broken {
                        break;
                    }
                }
                first = *p;
                count += 1;
            }
            let streak = runs.get(first).filter(|_| count > 0).map(|run| Streak {
                runs: count,
                first_failed_run: run.key.clone(),
                failing_since: from_ms(run.started_at),
            });
            let (Some(streak), Some(host), Some(check)) =
                (streak, hosts.get(&row.host), checks.get(&row.chk))
            else {
                continue;
            };
            out.push(FailingStreak {
                host: host.clone(),
                key: check.key.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                streak,
            });
        }
        out.sort_by(|a, b| {
            b.streak
                .runs
                .cmp(&a.streak.runs)
                .then(a.severity.cmp(&b.severity))
                .then_with(|| (&a.host, &a.key).cmp(&(&b.host, &b.key)))
        });
        Ok(out)
    }
}
