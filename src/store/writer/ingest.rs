//! One batch written in one transaction: run rows (started, finished, interrupted), results
//! and the per-run outcome counts; plus the state the writer keeps between batches.

use super::WriteReport;
use super::intern::{intern_check, intern_env, intern_host, intern_val};
use crate::model::{Outcome, OutcomeCounts, RunMeta};
use crate::store::codec::{FastMap, FastSet, outcome_code, to_ms};
use crate::store::packed::{Msg, PackedResult};
use crate::store::schema;
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;

/// Interning caches and the run being written.
#[derive(Default)]
pub(super) struct WriterState {
    pub(super) envs: FastMap<String, i64>,
    /// The last environment interned (results of a run nearly always share it).
    pub(super) last_env: Option<(String, i64)>,
    pub(super) hosts: FastMap<i64, FastMap<String, i64>>,
    pub(super) checks: FastMap<String, CheckRow>,
    /// Value key (expected, actual, reason as packed) → id.
    pub(super) vals: FastMap<Box<str>, i64>,
    /// Bumped for every run: a check definition is compared once per run, not per result.
    pub(super) generation: u64,
    pub(super) run: Option<RunState>,
    pub(super) report: WriteReport,
}

#[derive(Clone, PartialEq)]
pub(super) struct CheckRow {
    pub(super) id: i64,
    /// The run generation in which the stored definition was last confirmed.
    pub(super) generation: u64,
    pub(super) check_id: String,
    pub(super) title: String,
    pub(super) category: String,
    pub(super) severity: i64,
    pub(super) sop: Option<String>,
}

#[derive(Clone)]
pub(super) struct RunState {
    pub(super) key: String,
    pub(super) meta: Arc<RunMeta>,
    /// `None` until the `runs` row is committed (or after the batch holding it failed).
    pub(super) db_id: Option<i64>,
    pub(super) envs_written: FastSet<i64>,
    pub(super) hosts_written: FastSet<i64>,
    /// Counts of results in the current batch, added to the run row at commit.
    pub(super) pending: OutcomeCounts,
    pub(super) lost: u64,
    pub(super) finished: bool,
}

/// Keep the value cache bounded (values are mostly repeated, so it rarely fills).
pub(super) const VAL_CACHE_MAX: usize = 200_000;

/// Write one batch in one transaction. Returns the number of results that had no run to
/// belong to (sent before any `RunStarted`), which are dropped and counted as lost.
pub(super) fn apply(
    conn: &Connection,
    st: &mut WriterState,
    batch: &[Msg],
) -> rusqlite::Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let mut orphans = 0u64;
    for ev in batch {
        match ev {
            Msg::Started(meta) => {
                if let Some(prev) = st.run.take() {
                    close_unfinished(&tx, prev)?;
                }
                start_run(&tx, st, meta)?;
            }
            Msg::HostFailed { host, reason } => {
                let Some((run_id, env)) = st
                    .run
                    .as_ref()
                    .and_then(|r| r.db_id.map(|id| (id, r.meta.scope.environment.clone())))
                else {
                    continue;
                };
                let env_id = intern_env(&tx, st, &env)?;
                let host_id = intern_host(&tx, st, env_id, host)?;
                tx.prepare_cached(
                    "INSERT INTO run_hosts (run, host, failure) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run, host) DO UPDATE SET failure = excluded.failure",
                )?
                .execute(params![run_id, host_id, reason])?;
            }
            Msg::Result(rec) => {
                // The run's row was lost with a failed batch: write it again first.
                if let Some(meta) = st
                    .run
                    .as_ref()
                    .filter(|r| r.db_id.is_none())
                    .map(|r| r.meta.clone())
                {
                    start_run(&tx, st, &meta)?;
                }
                if !write_result(&tx, st, rec)? {
                    orphans += 1;
                }
            }
            Msg::Finished {
                run_id,
                finished_at,
                cancelled,
            } => {
                let Some(run) = st.run.as_mut().filter(|r| &r.key == run_id) else {
                    continue;
                };
                flush_counts(&tx, run)?;
                if let Some(id) = run.db_id {
                    let status = if run.lost > 0 {
                        "incomplete"
                    } else if *cancelled {
                        "cancelled"
                    } else {
                        "complete"
                    };
                    tx.execute(
                        "UPDATE runs SET finished_at = ?2, status = ?3, results_lost = ?4
                         WHERE id = ?1",
                        params![id, to_ms(*finished_at), status, run.lost as i64],
                    )?;
                }
                run.finished = true;
            }
        }
    }
    if let Some(run) = st.run.as_mut() {
        flush_counts(&tx, run)?;
    }
    tx.commit()?;
    Ok(orphans)
}

/// A new run started while the previous one never finished: the previous one is incomplete.
pub(super) fn close_unfinished(tx: &Connection, mut prev: RunState) -> rusqlite::Result<()> {
    flush_counts(tx, &mut prev)?;
    if !prev.finished
        && let Some(id) = prev.db_id
    {
        tx.execute(
            "UPDATE runs SET status = 'incomplete', results_lost = ?2 WHERE id = ?1",
            params![id, prev.lost as i64],
        )?;
    }
    Ok(())
}

pub(super) fn start_run(
    tx: &Connection,
    st: &mut WriterState,
    meta: &Arc<RunMeta>,
) -> rusqlite::Result<()> {
    // Known before the row is written: if the insert fails, later results still know their
    // run and the next batch writes the row again.
    let lost = st
        .run
        .as_ref()
        .filter(|r| r.key == meta.id)
        .map_or(0, |r| r.lost);
    st.run = Some(RunState {
        key: meta.id.clone(),
        meta: meta.clone(),
        db_id: None,
        envs_written: FastSet::default(),
        hosts_written: FastSet::default(),
        pending: OutcomeCounts::default(),
        lost,
        finished: false,
    });
    let env_id = intern_env(tx, st, &meta.scope.environment)?;
    let scope = serde_json::to_string(&meta.scope)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    // A run id seen before (a writer restarted for the same run) continues that row.
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM runs WHERE run_key = ?1")?
        .query_row([&meta.id], |r| r.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => {
            tx.execute(
                "UPDATE runs SET status = 'running', writer_host = ?2, writer_pid = ?3
                 WHERE id = ?1",
                params![id, schema::client_host(), i64::from(std::process::id())],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO runs (run_key, env, started_at, status, full_scope, scope, version,
                     user, client_host, writer_host, writer_pid, checkset_hash, host_count,
                     execution_count)
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    meta.id,
                    env_id,
                    to_ms(meta.started_at),
                    meta.scope.is_full(),
                    scope,
                    meta.driftscope_version,
                    meta.user,
                    meta.client_host,
                    schema::client_host(),
                    i64::from(std::process::id()),
                    meta.checkset_hash,
                    meta.host_count as i64,
                    meta.execution_count as i64,
                ],
            )?;
            tx.last_insert_rowid()
        }
    };
    tx.prepare_cached("INSERT OR IGNORE INTO run_envs (env, run) VALUES (?1, ?2)")?
        .execute(params![env_id, id])?;
    st.generation += 1;
    if let Some(run) = st.run.as_mut() {
        run.db_id = Some(id);
        run.envs_written.insert(env_id);
    }
    Ok(())
}

pub(super) fn flush_counts(tx: &Connection, run: &mut RunState) -> rusqlite::Result<()> {
    let c = std::mem::take(&mut run.pending);
    if c.total() == 0 {
        return Ok(());
    }
    let Some(id) = run.db_id else { return Ok(()) };
    tx.prepare_cached(
        "UPDATE runs SET n_pass = n_pass + ?2, n_fail = n_fail + ?3, n_error = n_error + ?4,
             n_unreachable = n_unreachable + ?5, n_timeout = n_timeout + ?6,
             n_sudo_denied = n_sudo_denied + ?7, n_not_applicable = n_not_applicable + ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        c.pass as i64,
        c.fail as i64,
        c.error as i64,
        c.unreachable as i64,
        c.timeout as i64,
        c.sudo_denied as i64,
        c.not_applicable as i64
    ])?;
    Ok(())
}

/// Store one result; `false` when there is no run to attach it to.
pub(super) fn write_result(
    tx: &Connection,
    st: &mut WriterState,
    rec: &PackedResult,
) -> rusqlite::Result<bool> {
    let Some(run_id) = st.run.as_ref().and_then(|r| r.db_id) else {
        return Ok(false);
    };
    let env_id = intern_env(tx, st, rec.environment())?;
    let host_id = intern_host(tx, st, env_id, rec.host())?;
    let chk_id = intern_check(tx, st, rec)?;
    let val_id = intern_val(tx, st, rec)?;
    let Some(run) = st.run.as_mut() else {
        return Ok(false);
    };
    if run.envs_written.insert(env_id) {
        tx.prepare_cached("INSERT OR IGNORE INTO run_envs (env, run) VALUES (?1, ?2)")?
            .execute(params![env_id, run_id])?;
    }
    if run.hosts_written.insert(host_id) {
        tx.prepare_cached(
            "INSERT INTO run_hosts (run, host, duration_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (run, host) DO UPDATE SET duration_ms = excluded.duration_ms",
        )?
        .execute(params![run_id, host_id, rec.duration_ms])?;
    }
    let changed = tx
        .prepare_cached(
            "INSERT INTO results (run, host, chk, outcome, val) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (run, host, chk) DO UPDATE SET outcome = excluded.outcome,
                 val = excluded.val",
        )?
        .execute(params![
            run_id,
            host_id,
            chk_id,
            outcome_code(rec.outcome),
            val_id
        ])?;
    if changed > 0 {
        add_count(&mut run.pending, rec.outcome);
    }
    Ok(true)
}

pub(super) fn add_count(c: &mut OutcomeCounts, o: Outcome) {
    c.add(o);
}
