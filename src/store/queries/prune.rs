//! Prune: delete old runs (never one still being written), everything only they referenced,
//! and give the space back.

use super::Store;
use crate::store::StoreError;
use crate::store::codec::{FastSet as HashSet, to_ms};
use chrono::Utc;
use serde::Serialize;
use std::time::Duration;

/// What `prune` deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneSpec {
    /// Keep the newest N runs of each environment.
    pub keep_runs: Option<usize>,
    /// Delete runs that started before now minus this.
    pub older_than: Option<Duration>,
    /// Run a full VACUUM afterwards (rewrites the file; the default gives pages back
    /// incrementally).
    pub vacuum: bool,
}

/// What `prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub runs_deleted: u64,
    pub results_deleted: u64,
    pub values_deleted: u64,
    pub hosts_deleted: u64,
    pub checks_deleted: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl Store {
    /// Delete runs per `spec` (never a run still being written), then everything only they
    /// referenced, and give the space back.
    pub fn prune(&self, spec: &PruneSpec) -> Result<PruneReport, StoreError> {
        let bytes_before = self.file_bytes();
        let mut report = self.prune_inner(spec).map_err(|e| self.err(e))?;
        let reclaim = if spec.vacuum {
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);"
        } else {
            "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA incremental_vacuum; \
             PRAGMA wal_checkpoint(TRUNCATE);"
        };
        self.conn.execute_batch(reclaim).map_err(|e| self.err(e))?;
        report.bytes_before = bytes_before;
        report.bytes_after = self.file_bytes();
        Ok(report)
    }

    fn prune_inner(&self, spec: &PruneSpec) -> rusqlite::Result<PruneReport> {
        let tx = self.conn.unchecked_transaction()?;
        let mut doomed: HashSet<i64> = HashSet::default();
        if let Some(keep) = spec.keep_runs {
            let mut stmt = tx.prepare(
                "SELECT id FROM (SELECT id, status, row_number() OVER
                     (PARTITION BY env ORDER BY started_at DESC, id DESC) AS n FROM runs)
                 WHERE n > ?1 AND status <> 'running'",
            )?;
            let rows = stmt.query_map([keep.min(i64::MAX as usize) as i64], |r| r.get(0))?;
            for id in rows {
                doomed.insert(id?);
            }
        }
        if let Some(age) = spec.older_than {
            let cutoff = to_ms(Utc::now()) - i64::try_from(age.as_millis()).unwrap_or(i64::MAX / 2);
            let mut stmt =
                tx.prepare("SELECT id FROM runs WHERE started_at < ?1 AND status <> 'running'")?;
            let rows = stmt.query_map([cutoff], |r| r.get(0))?;
            for id in rows {
                doomed.insert(id?);
            }
        }
        let mut report = PruneReport::default();
        for id in &doomed {
            report.results_deleted +=
                tx.execute("DELETE FROM results WHERE run = ?1", [id])? as u64;
            tx.execute("DELETE FROM run_hosts WHERE run = ?1", [id])?;
            tx.execute("DELETE FROM run_envs WHERE run = ?1", [id])?;
            report.runs_deleted += tx.execute("DELETE FROM runs WHERE id = ?1", [id])? as u64;
        }
        if !doomed.is_empty() {
            report.values_deleted = tx.execute(
                "DELETE FROM vals WHERE id NOT IN (SELECT DISTINCT val FROM results)",
                [],
            )? as u64;
            report.checks_deleted = tx.execute(
                "DELETE FROM checks WHERE id NOT IN (SELECT DISTINCT chk FROM results)",
                [],
            )? as u64;
            report.hosts_deleted = tx.execute(
                "DELETE FROM hosts WHERE id NOT IN (SELECT DISTINCT host FROM run_hosts)",
                [],
            )? as u64;
            tx.execute(
                "DELETE FROM envs WHERE id NOT IN (SELECT env FROM runs)
                     AND id NOT IN (SELECT env FROM hosts)",
                [],
            )?;
        }
        tx.commit()?;
        Ok(report)
    }
}
