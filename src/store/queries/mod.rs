//! Read side: [`Store`], a read connection, and the small base every history question is
//! built on (environment, host and check lookups, interned values). Each question lives in
//! its own file and returns plain serializable structs; nothing here prints.
//!
//! - [`runs`]: stored runs (list, one by id, the one before).
//! - [`latest`]: the latest state per host×check.
//! - [`readiness`]: READY / DRIFTED / STALE / UNKNOWN — a pure verdict over the latest state.
//! - [`timeline`]: one host×check over its last runs, with its failing streak.
//! - [`streaks`]: every failing host×check with its first-failed run and streak.
//! - [`diff`]: run-vs-run transitions.
//! - [`flapping`]: host×checks whose outcome keeps switching.
//! - [`prune`]: deleting old runs and giving the space back.
//! - [`acks`]: acknowledgements of a known drift (the one small write outside the writer).

mod acks;
mod diff;
mod flapping;
mod latest;
mod prune;
mod readiness;
mod runs;
mod streaks;
mod timeline;

pub use acks::{AckRequest, AckState, AckStatus};
pub use diff::{DiffSide, RunDiff, Transition, TransitionKind};
pub use flapping::Flapper;
pub use latest::{LatestEntry, LatestHead, LatestOrder, LatestPart, LatestState, LatestTally};
pub use prune::{PruneReport, PruneSpec};
pub use readiness::{Readiness, ReadinessInput, ReadinessStatus, judge_readiness};
pub use runs::RunSummary;
pub use streaks::FailingStreak;
pub use timeline::{NotProbed, Streak, Timeline, TimelineEntry};

use super::codec::{FastMap as HashMap, FastSet as HashSet, severity_from};
use super::schema::{self, OpenMode};
use super::{DEFAULT_BUSY_TIMEOUT, StoreError};
use crate::model::{Severity, Value};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A read connection to the history (several may be open while a writer writes).
pub struct Store {
    conn: Connection,
    path: PathBuf,
    busy: Duration,
}

#[derive(Clone)]
struct CheckInfo {
    key: String,
    check_id: String,
    title: String,
    category: String,
    severity: Severity,
    sop: Option<String>,
}

struct RunRow {
    id: i64,
    key: String,
    started_at: i64,
    full: bool,
    status: String,
}

/// (expected, actual, reason) of an interned value.
type Val = (Value, Value, Option<String>);

fn parse_json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

fn check_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckInfo> {
    Ok(CheckInfo {
        key: r.get(1)?,
        check_id: r.get(2)?,
        title: r.get(3)?,
        category: r.get(4)?,
        severity: severity_from(r.get(5)?),
        sop: r.get(6)?,
    })
}

impl Store {
    /// Open read-write (creating the file when missing), migrate, recover dead runs.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_mode(path, OpenMode::Create)
    }

    /// Open read-write; the file must already exist (read commands never create one).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        Store::open_mode(path, OpenMode::Existing)
    }

    /// Open read-only (no migration, no recovery); the file must exist at the current schema.
    pub fn open_readonly(path: &Path) -> Result<Store, StoreError> {
        Store::open_mode(path, OpenMode::ReadOnly)
    }

    fn open_mode(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let conn = schema::open(path, mode, DEFAULT_BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            busy: DEFAULT_BUSY_TIMEOUT,
        })
    }

    /// The file this store reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, self.busy, e)
    }

    /// Environments that have at least one run, by name.
    pub fn environments(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name FROM envs WHERE id IN (SELECT env FROM run_envs) ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))
    }

    fn env_id(&self, name: &str) -> Result<i64, StoreError> {
        schema::optional_id(&self.conn, "SELECT id FROM envs WHERE name = ?1", [name])
            .map_err(|e| self.err(e))?
            .ok_or_else(|| {
                let known = self.environments().unwrap_or_default();
                StoreError::NotFound(format!(
                    "no environment {name:?} in the history (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            })
    }

    /// Runs that touched `env_id`, newest first.
    fn env_runs(&self, env_id: i64) -> rusqlite::Result<Vec<RunRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.run_key, r.started_at, r.full_scope, r.status
             FROM run_envs x JOIN runs r ON r.id = x.run WHERE x.env = ?1
             ORDER BY r.started_at DESC, r.id DESC",
        )?;
        let rows = stmt.query_map([env_id], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                key: r.get(1)?,
                started_at: r.get(2)?,
                full: r.get(3)?,
                status: r.get(4)?,
            })
        })?;
        rows.collect()
    }

    fn env_hosts(&self, env_id: i64) -> rusqlite::Result<HashMap<i64, String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name FROM hosts WHERE env = ?1")?;
        let rows = stmt.query_map([env_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    fn checks(&self, ids: &HashSet<i64>) -> rusqlite::Result<HashMap<i64, CheckInfo>> {
        let mut out = HashMap::with_capacity_and_hasher(ids.len(), Default::default());
        if ids.is_empty() {
            return Ok(out);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, key, check_id, title, category, severity, sop FROM checks",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if ids.contains(&id) {
                out.insert(id, check_info(r)?);
            }
        }
        Ok(out)
    }

    fn check(&self, id: i64) -> rusqlite::Result<CheckInfo> {
        self.conn
            .prepare_cached(
                "SELECT id, key, check_id, title, category, severity, sop FROM checks
                 WHERE id = ?1",
            )?
            .query_row([id], check_info)
    }

    fn val(&self, cache: &mut HashMap<i64, Val>, id: i64) -> rusqlite::Result<Val> {
        if let Some(v) = cache.get(&id) {
            return Ok(v.clone());
        }
        let v: Val = self
            .conn
            .prepare_cached("SELECT expected, actual, reason FROM vals WHERE id = ?1")?
            .query_row([id], |r| {
                Ok((
                    parse_json(&r.get::<_, String>(0)?),
                    parse_json(&r.get::<_, String>(1)?),
                    r.get(2)?,
                ))
            })
            .optional()?
            .unwrap_or((Value::Null, Value::Null, None));
        cache.insert(id, v.clone());
        Ok(v)
    }

    /// Resolve `host` (optionally within `env`) to (host id, env id, env name).
    fn resolve_host(
        &self,
        env: Option<&str>,
        host: &str,
    ) -> Result<(i64, i64, String), StoreError> {
        let found: Vec<(i64, i64, String)> = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT h.id, e.id, e.name FROM hosts h JOIN envs e ON e.id = h.env
                 WHERE h.name = ?1 AND (?2 IS NULL OR e.name = ?2) ORDER BY e.name",
            )?;
            let rows = stmt.query_map(params![host, env], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })()
        .map_err(|e| self.err(e))?;
        match found.as_slice() {
            [] => Err(StoreError::NotFound(match env {
                Some(e) => format!("no host {host:?} in environment {e:?} in the history"),
                None => format!("no host {host:?} in the history"),
            })),
            [one] => Ok(one.clone()),
            many => Err(StoreError::NotFound(format!(
                "host {host:?} is in several environments ({}); pass --env",
                many.iter()
                    .map(|m| m.2.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Resolve a check key, or a check id that expands to exactly one key.
    fn resolve_check(&self, check: &str) -> Result<i64, StoreError> {
        let exact =
            schema::optional_id(&self.conn, "SELECT id FROM checks WHERE key = ?1", [check])
                .map_err(|e| self.err(e))?;
        if let Some(id) = exact {
            return Ok(id);
        }
        let by_id: Vec<(i64, String)> = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, key FROM checks WHERE check_id = ?1 ORDER BY key LIMIT 11",
            )?;
            let rows = stmt.query_map([check], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })()
        .map_err(|e| self.err(e))?;
        match by_id.as_slice() {
            [] => Err(StoreError::NotFound(format!(
                "no check {check:?} in the history (give a check id or a full key such as \
                 `ssh.sshd-option[option=PermitRootLogin,value=no]`)"
            ))),
            [(id, _)] => Ok(*id),
            many => Err(StoreError::NotFound(format!(
                "check {check:?} has several executions; give one key: {}",
                many.iter()
                    .take(10)
                    .map(|m| m.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Size of the database file plus its WAL, in bytes.
    pub fn file_bytes(&self) -> u64 {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        [self.path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}
