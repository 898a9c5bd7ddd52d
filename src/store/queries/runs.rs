//! Stored runs: the list `driftscope history` and the Runs screen show, one run by id or id
//! prefix, the run before another, and every result of one run (a past run opened in the
//! TUI).

use super::{LatestEntry, Store};
use crate::model::{OutcomeCounts, Scope};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, FastSet as HashSet, from_ms, outcome_from, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

/// One stored run, as `driftscope history` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub environment: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    /// `running`, `complete`, `cancelled` or `incomplete`.
    pub status: String,
    pub scope: Scope,
    pub full_scope: bool,
    pub driftscope_version: String,
    pub user: String,
    pub client_host: String,
    pub checkset_hash: String,
    pub host_count: u64,
    pub execution_count: u64,
    /// Counts of the results stored for this run.
    pub counts: OutcomeCounts,
    /// Results the executor produced that could not be stored (disk full …).
    pub results_lost: u64,
    #[serde(skip)]
    pub(crate) db_id: i64,
}

const RUN_COLUMNS: &str = "r.id, r.run_key, e.name, r.started_at, r.finished_at, r.status,
    r.scope, r.full_scope, r.version, r.user, r.client_host, r.checkset_hash, r.host_count,
    r.execution_count, r.n_pass, r.n_fail, r.n_error, r.n_unreachable, r.n_timeout,
    r.n_sudo_denied, r.n_not_applicable, r.results_lost";

fn run_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let started: i64 = r.get(3)?;
    let finished: Option<i64> = r.get(4)?;
    let scope_json: String = r.get(6)?;
    let scope: Scope = serde_json::from_str(&scope_json).unwrap_or_default();
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    Ok(RunSummary {
        db_id: r.get(0)?,
        id: r.get(1)?,
        environment: r.get(2)?,
        started_at: from_ms(started),
        finished_at: finished.map(from_ms),
        duration_ms: finished.map(|f| f - started),
        status: r.get(5)?,
        scope,
        full_scope: r.get(7)?,
        driftscope_version: r.get(8)?,
        user: r.get(9)?,
        client_host: r.get(10)?,
        checkset_hash: r.get(11)?,
        host_count: n(12)?,
        execution_count: n(13)?,
        counts: OutcomeCounts {
            pass: n(14)?,
            fail: n(15)?,
            error: n(16)?,
            unreachable: n(17)?,
            timeout: n(18)?,
            sudo_denied: n(19)?,
            not_applicable: n(20)?,
        },
        results_lost: n(21)?,
    })
}

impl Store {
    /// Runs, newest first, optionally of one environment.
    pub fn runs(&self, env: Option<&str>, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let result = match env {
            Some(name) => {
                let env_id = self.env_id(name)?;
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM run_envs x JOIN runs r ON r.id = x.run
                     JOIN envs e ON e.id = r.env WHERE x.env = ?1
                     ORDER BY r.started_at DESC, r.id DESC LIMIT ?2"
                );
                self.query_runs(&sql, params![env_id, limit])
            }
            None => {
                let sql = format!(
                    "SELECT {RUN_COLUMNS} FROM runs r JOIN envs e ON e.id = r.env
                     ORDER BY r.started_at DESC, r.id DESC LIMIT ?1"
                );
                self.query_runs(&sql, params![limit])
            }
        };
        result.map_err(|e| self.err(e))
    }

    fn query_runs(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> rusqlite::Result<Vec<RunSummary>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, run_summary)?;
        rows.collect()
    }

    /// One run by id, or by a unique prefix of its id.
    pub fn run(&self, id: &str) -> Result<RunSummary, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN envs e ON e.id = r.env
             WHERE r.run_key = ?1 OR substr(r.run_key, 1, length(?1)) = ?1
             ORDER BY r.run_key = ?1 DESC LIMIT 3"
        );
        let found = self
            .query_runs(&sql, params![id])
            .map_err(|e| self.err(e))?;
        match found.as_slice() {
            [] => Err(StoreError::NotFound(format!(
                "no run {id:?} in the history"
            ))),
            [one, ..] if one.id == id => Ok(one.clone()),
            [one] => Ok(one.clone()),
            [..] => Err(StoreError::NotFound(format!(
                "run {id:?} is ambiguous (matches {} and more); give more of the id",
                found
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Every result stored for one run (id or unique prefix), by host then check key, as
    /// latest-state entries of that run (`age_secs` is the run's age).
    pub fn run_results(&self, id: &str) -> Result<(RunSummary, Vec<LatestEntry>), StoreError> {
        let run = self.run(id)?;
        let entries = self.run_entries(&run).map_err(|e| self.err(e))?;
        Ok((run, entries))
    }

    fn run_entries(&self, run: &RunSummary) -> rusqlite::Result<Vec<LatestEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT host, chk, outcome, val FROM results WHERE run = ?1")?;
        let rows: Vec<(i64, i64, i64, i64)> = stmt
            .query_map([run.db_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut hosts: HashMap<i64, String> = HashMap::default();
        {
            let mut name = self
                .conn
                .prepare_cached("SELECT name FROM hosts WHERE id = ?1")?;
            for (h, ..) in &rows {
                if !hosts.contains_key(h) {
                    hosts.insert(*h, name.query_row([h], |r| r.get(0))?);
                }
            }
        }
        let chk_ids: HashSet<i64> = rows.iter().map(|r| r.1).collect();
        let checks = self.checks(&chk_ids)?;
        let age_secs = (Utc::now() - run.started_at).num_seconds();
        let mut vals = HashMap::default();
        let mut out = Vec::with_capacity(rows.len());
        for (h, c, code, val) in rows {
            let (Some(host), Some(check)) = (hosts.get(&h), checks.get(&c)) else {
                continue;
            };
            let (expected, actual, reason) = self.val(&mut vals, val)?;
            out.push(LatestEntry {
                host: host.clone(),
                key: check.key.clone(),
                check_id: check.check_id.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                outcome: outcome_from(code),
                expected,
                actual,
                reason,
                sop: check.sop.clone(),
                run_id: run.id.clone(),
                checked_at: run.started_at,
                age_secs,
                // a past run shows what was observed then, not today's acknowledgements
                acknowledged: None,
            });
        }
        out.sort_by(|a, b| (&a.host, &a.key).cmp(&(&b.host, &b.key)));
        Ok(out)
    }

    /// The newest run (of `env`, when given).
    pub fn latest_run(&self, env: Option<&str>) -> Result<Option<RunSummary>, StoreError> {
        Ok(self.runs(env, 1)?.into_iter().next())
    }

    /// The newest run of `env` that started before `t`.
    pub fn run_before(
        &self,
        env: &str,
        t: DateTime<Utc>,
    ) -> Result<Option<RunSummary>, StoreError> {
        let env_id = self.env_id(env)?;
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM run_envs x JOIN runs r ON r.id = x.run
             JOIN envs e ON e.id = r.env WHERE x.env = ?1 AND r.started_at < ?2
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        );
        self.query_runs(&sql, params![env_id, to_ms(t)])
            .map(|v| v.into_iter().next())
            .map_err(|e| self.err(e))
    }

    /// The run of the same environment just before `run`.
    pub fn previous_run(&self, run: &RunSummary) -> Result<Option<RunSummary>, StoreError> {
        let env_id = self.env_id(&run.environment)?;
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM run_envs x JOIN runs r ON r.id = x.run
             JOIN envs e ON e.id = r.env WHERE x.env = ?1
               AND (r.started_at < ?2 OR (r.started_at = ?2 AND r.id < ?3))
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        );
        self.query_runs(&sql, params![env_id, to_ms(run.started_at), run.db_id])
            .map(|v| v.into_iter().next())
            .map_err(|e| self.err(e))
    }
}
