//! Read side: [`Store`] and the history queries the CLI and the TUI share. Every query returns
//! plain serializable structs; nothing here prints.
//!
//! "Latest state" is the newest result per host×check across runs (narrow re-check runs
//! included): runs of the environment are walked newest first and the walk stops at the first
//! complete full-scope run, which by definition covers every current host×check.

use super::codec::{from_ms, not_reached, outcome_from, severity_from, to_ms};
use super::schema::{self, OpenMode};
use super::{DEFAULT_BUSY_TIMEOUT, StoreError};
use crate::model::{Outcome, OutcomeCounts, Scope, Severity, Value};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A read connection to the history (several may be open while a writer writes).
pub struct Store {
    conn: Connection,
    path: PathBuf,
    busy: Duration,
}

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
    /// `fail` results by severity (critical first); severities without failures are left out.
    pub failing_by_severity: BTreeMap<Severity, u64>,
    pub hosts_total: u64,
    /// Hosts whose latest results say unreachable or timeout.
    pub hosts_not_reached: Vec<String>,
}

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

/// A failing host×check with its streak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingStreak {
    pub host: String,
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub streak: Streak,
}

/// What kind of change a transition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// Now `fail`, before anything else (or absent).
    NewFailure,
    /// Before `fail`, now `pass`.
    Fixed,
    /// Now unreachable/timeout, before reached.
    NewlyUnreachable,
    /// Same outcome, but expected or actual differ.
    ValueChanged,
    /// Any other outcome change (error → pass, pass → not_applicable …).
    OutcomeChanged,
    /// `fail` in both runs with the same values.
    StillFailing,
}

impl TransitionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::NewFailure => "new failure",
            TransitionKind::Fixed => "fixed",
            TransitionKind::NewlyUnreachable => "newly unreachable",
            TransitionKind::ValueChanged => "value changed",
            TransitionKind::OutcomeChanged => "outcome changed",
            TransitionKind::StillFailing => "still failing",
        }
    }
}

/// One side of a transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffSide {
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
}

/// One host×check that differs between two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub kind: TransitionKind,
    pub host: String,
    pub key: String,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    /// `None`: not in the older run.
    pub before: Option<DiffSide>,
    pub after: DiffSide,
}

/// Transitions from run A (older) to run B (newer). Host×checks only in A are not reported
/// (B may be a narrow re-check).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub run_a: RunSummary,
    pub run_b: RunSummary,
    pub counts: BTreeMap<TransitionKind, u64>,
    /// Sorted by kind, host, check key.
    pub transitions: Vec<Transition>,
}

impl RunDiff {
    pub fn count(&self, kind: TransitionKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
}

/// A host×check whose outcome keeps switching.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flapper {
    pub host: String,
    pub key: String,
    pub title: String,
    pub severity: Severity,
    /// Outcome switches over the window.
    pub switches: u32,
    /// Runs of the window holding a result for it.
    pub runs_seen: u32,
    pub fails: u32,
    /// Outcomes oldest → newest.
    pub outcomes: Vec<Outcome>,
}

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

/// One result row of a run, by host (History screen).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub host: String,
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
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

/// A transition before names are attached: kind, host, check, before and after as
/// (outcome, value id).
type Found = (
    TransitionKind,
    i64,
    i64,
    Option<(Outcome, i64)>,
    (Outcome, i64),
);

/// A newest result per host×check, before names are attached.
struct LatestRow {
    host: i64,
    chk: i64,
    outcome: Outcome,
    val: i64,
    run: usize,
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

fn parse_json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
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
        let mut out = HashMap::with_capacity(ids.len());
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

    /// The newest result per host×check of `env_id` (see the module doc), with the runs walked.
    fn latest_rows(&self, env_id: i64) -> rusqlite::Result<(Vec<LatestRow>, Vec<RunRow>, bool)> {
        let runs = self.env_runs(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let mut seen: HashSet<(i64, i64)> = HashSet::new();
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
        let (rows, runs, based) = self.latest_rows(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let chk_ids: HashSet<i64> = rows.iter().map(|r| r.chk).collect();
        let checks = self.checks(&chk_ids)?;
        let now = Utc::now();
        let mut vals = HashMap::new();
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
            });
        }
        entries.sort_by(|a, b| (&a.host, &a.key).cmp(&(&b.host, &b.key)));
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
        let mut counts = OutcomeCounts::default();
        let mut failing_by_severity = BTreeMap::new();
        let mut not_reached_ids = HashSet::new();
        let mut hosts_seen = HashSet::new();
        let mut used_runs = HashSet::new();
        for row in &rows {
            counts.add(row.outcome);
            hosts_seen.insert(row.host);
            used_runs.insert(row.run);
            if row.outcome == Outcome::Fail {
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
        let (status, reason) = if rows.is_empty() {
            (
                ReadinessStatus::Unknown,
                "no stored results for this environment".to_string(),
            )
        } else if age_secs.is_some_and(|a| a > stale_secs) {
            (
                ReadinessStatus::Stale,
                format!(
                    "oldest result is {} old (stale after {})",
                    human_secs(age_secs.unwrap_or(0)),
                    human_secs(stale_secs)
                ),
            )
        } else if counts.fail > 0 {
            (
                ReadinessStatus::Drifted,
                format!("{} failing checks", counts.fail),
            )
        } else if counts.problems() > 0 {
            (
                ReadinessStatus::Unknown,
                format!(
                    "{} results could not be checked ({} hosts not reached)",
                    counts.problems(),
                    hosts_not_reached.len()
                ),
            )
        } else if !based {
            (
                ReadinessStatus::Unknown,
                "no complete full run yet; only partial runs are stored".to_string(),
            )
        } else {
            (ReadinessStatus::Ready, "every check passes".to_string())
        };
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
            failing_by_severity,
            hosts_total: hosts_seen.len() as u64,
            hosts_not_reached,
        })
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
        let mut vals = HashMap::new();
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome, val FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut dur = self
            .conn
            .prepare_cached("SELECT duration_ms FROM run_hosts WHERE run = ?1 AND host = ?2")?;
        let mut streak: Option<Streak> = None;
        let mut streak_open = true;
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
        })
    }

    /// Every failing host×check of the latest state of `env` with its first-failed run and
    /// streak, longest streak first.
    pub fn failing_streaks(&self, env: &str) -> Result<Vec<FailingStreak>, StoreError> {
        let env_id = self.env_id(env)?;
        self.failing_streaks_inner(env_id).map_err(|e| self.err(e))
    }

    fn failing_streaks_inner(&self, env_id: i64) -> rusqlite::Result<Vec<FailingStreak>> {
        let (rows, _, _) = self.latest_rows(env_id)?;
        let runs = self.env_runs(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let run_pos: HashMap<i64, usize> =
            runs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let failing: Vec<&LatestRow> = rows.iter().filter(|r| r.outcome == Outcome::Fail).collect();
        let chk_ids: HashSet<i64> = failing.iter().map(|r| r.chk).collect();
        let checks = self.checks(&chk_ids)?;
        // `latest_rows` numbers the runs it walked in the same newest-first order.
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut out = Vec::with_capacity(failing.len());
        for row in failing {
            let start = runs
                .get(row.run)
                .and_then(|r| run_pos.get(&r.id))
                .copied()
                .unwrap_or(0);
            let mut streak: Option<Streak> = None;
            for run in runs.iter().skip(start) {
                let code: Option<i64> = lookup
                    .query_row(params![run.id, row.host, row.chk], |r| r.get(0))
                    .optional()?;
                match code.map(outcome_from) {
                    None => continue,
                    Some(Outcome::Fail) => {
                        let s = streak.get_or_insert(Streak {
                            runs: 0,
                            first_failed_run: String::new(),
                            failing_since: from_ms(run.started_at),
                        });
                        s.runs += 1;
                        s.first_failed_run = run.key.clone();
                        s.failing_since = from_ms(run.started_at);
                    }
                    Some(_) => break,
                }
            }
            let (Some(streak), Some(host), Some(check)) =
                (streak, hosts.get(&row.host), checks.get(&row.chk))
            else {
                continue;
            };
            out.push(FailingStreak {
                host: host.clone(),
                key: check.key.clone(),
                title: check.title.clone(),
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

    /// Transitions from run `a` (older) to run `b` (newer); ids or unique id prefixes.
    pub fn diff(&self, a: &str, b: &str) -> Result<RunDiff, StoreError> {
        let run_a = self.run(a)?;
        let run_b = self.run(b)?;
        self.diff_runs(run_a, run_b)
    }

    /// [`Store::diff`] on already-resolved runs.
    pub fn diff_runs(&self, run_a: RunSummary, run_b: RunSummary) -> Result<RunDiff, StoreError> {
        let transitions = self
            .transitions(run_a.db_id, run_b.db_id)
            .map_err(|e| self.err(e))?;
        let mut counts = BTreeMap::new();
        for t in &transitions {
            *counts.entry(t.kind).or_insert(0u64) += 1;
        }
        Ok(RunDiff {
            run_a,
            run_b,
            counts,
            transitions,
        })
    }

    fn run_rows(&self, run: i64) -> rusqlite::Result<Vec<(i64, i64, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT host, chk, outcome, val FROM results WHERE run = ?1 ORDER BY host, chk",
        )?;
        let rows = stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect()
    }

    fn transitions(&self, a: i64, b: i64) -> rusqlite::Result<Vec<Transition>> {
        let rows_a = self.run_rows(a)?;
        let rows_b = self.run_rows(b)?;
        let mut vals = HashMap::new();
        // (kind, host, chk, before, after) with before/after = (outcome, val)
        let mut found: Vec<Found> = Vec::new();
        let mut ia = 0;
        for &(host, chk, code_b, val_b) in &rows_b {
            while ia < rows_a.len() && (rows_a[ia].0, rows_a[ia].1) < (host, chk) {
                ia += 1;
            }
            let before = rows_a
                .get(ia)
                .filter(|r| (r.0, r.1) == (host, chk))
                .map(|r| (outcome_from(r.2), r.3));
            let ob = outcome_from(code_b);
            let kind = match before {
                None => (ob == Outcome::Fail).then_some(TransitionKind::NewFailure),
                Some((oa, val_a)) => {
                    if oa == ob {
                        let same = val_a == val_b || {
                            let (ea, aa, _) = self.val(&mut vals, val_a)?;
                            let (eb, ab, _) = self.val(&mut vals, val_b)?;
                            ea == eb && aa == ab
                        };
                        match (same, ob) {
                            (false, _) => Some(TransitionKind::ValueChanged),
                            (true, Outcome::Fail) => Some(TransitionKind::StillFailing),
                            (true, _) => None,
                        }
                    } else if ob == Outcome::Fail {
                        Some(TransitionKind::NewFailure)
                    } else if oa == Outcome::Fail && ob == Outcome::Pass {
                        Some(TransitionKind::Fixed)
                    } else if not_reached(ob) && !not_reached(oa) {
                        Some(TransitionKind::NewlyUnreachable)
                    } else {
                        Some(TransitionKind::OutcomeChanged)
                    }
                }
            };
            if let Some(kind) = kind {
                found.push((kind, host, chk, before, (ob, val_b)));
            }
        }
        let host_ids: HashSet<i64> = found.iter().map(|f| f.1).collect();
        let mut host_names: HashMap<i64, String> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT name FROM hosts WHERE id = ?1")?;
            for h in host_ids {
                host_names.insert(h, stmt.query_row([h], |r| r.get(0))?);
            }
        }
        let chk_ids: HashSet<i64> = found.iter().map(|f| f.2).collect();
        let checks = self.checks(&chk_ids)?;
        let mut out = Vec::with_capacity(found.len());
        for (kind, host, chk, before, after) in found {
            let (Some(host), Some(check)) = (host_names.get(&host), checks.get(&chk)) else {
                continue;
            };
            let side =
                |s: (Outcome, i64), vals: &mut HashMap<i64, Val>| -> rusqlite::Result<DiffSide> {
                    let (expected, actual, reason) = self.val(vals, s.1)?;
                    Ok(DiffSide {
                        outcome: s.0,
                        expected,
                        actual,
                        reason,
                    })
                };
            let before = match before {
                Some(b) => Some(side(b, &mut vals)?),
                None => None,
            };
            out.push(Transition {
                kind,
                host: host.clone(),
                key: check.key.clone(),
                check_id: check.check_id.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                before,
                after: side(after, &mut vals)?,
            });
        }
        out.sort_by(|a, b| (a.kind, &a.host, &a.key).cmp(&(b.kind, &b.host, &b.key)));
        Ok(out)
    }

    /// Host×checks of `env` with at least `min_switches` outcome switches over its last
    /// `k_runs` runs, most switches first (at most `limit`).
    pub fn flapping(
        &self,
        env: &str,
        k_runs: usize,
        min_switches: u32,
        limit: usize,
    ) -> Result<Vec<Flapper>, StoreError> {
        let env_id = self.env_id(env)?;
        self.flapping_inner(env_id, k_runs, min_switches.max(1), limit)
            .map_err(|e| self.err(e))
    }

    fn flapping_inner(
        &self,
        env_id: i64,
        k_runs: usize,
        min_switches: u32,
        limit: usize,
    ) -> rusqlite::Result<Vec<Flapper>> {
        struct Track {
            last: i64,
            switches: u32,
            seen: u32,
            fails: u32,
        }
        let mut runs = self.env_runs(env_id)?;
        runs.truncate(k_runs);
        runs.reverse(); // oldest first
        let hosts = self.env_hosts(env_id)?;
        let mut track: HashMap<(i64, i64), Track> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT host, chk, outcome FROM results WHERE run = ?1")?;
            for run in &runs {
                let mut rows = stmt.query([run.id])?;
                while let Some(r) = rows.next()? {
                    let host: i64 = r.get(0)?;
                    if !hosts.contains_key(&host) {
                        continue;
                    }
                    let chk: i64 = r.get(1)?;
                    let code: i64 = r.get(2)?;
                    let t = track.entry((host, chk)).or_insert(Track {
                        last: code,
                        switches: 0,
                        seen: 0,
                        fails: 0,
                    });
                    if t.last != code {
                        t.switches += 1;
                        t.last = code;
                    }
                    t.seen += 1;
                    if code == 1 {
                        t.fails += 1;
                    }
                }
            }
        }
        let mut hot: Vec<((i64, i64), Track)> = track
            .into_iter()
            .filter(|(_, t)| t.switches >= min_switches)
            .collect();
        hot.sort_by(|a, b| {
            b.1.switches
                .cmp(&a.1.switches)
                .then(b.1.fails.cmp(&a.1.fails))
                .then(a.0.cmp(&b.0))
        });
        hot.truncate(limit);
        let chk_ids: HashSet<i64> = hot.iter().map(|h| h.0.1).collect();
        let checks = self.checks(&chk_ids)?;
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut out = Vec::with_capacity(hot.len());
        for ((host, chk), t) in hot {
            let (Some(host_name), Some(check)) = (hosts.get(&host), checks.get(&chk)) else {
                continue;
            };
            let mut outcomes = Vec::with_capacity(t.seen as usize);
            for run in &runs {
                if let Some(code) = lookup
                    .query_row(params![run.id, host, chk], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    outcomes.push(outcome_from(code));
                }
            }
            out.push(Flapper {
                host: host_name.clone(),
                key: check.key.clone(),
                title: check.title.clone(),
                severity: check.severity,
                switches: t.switches,
                runs_seen: t.seen,
                fails: t.fails,
                outcomes,
            });
        }
        Ok(out)
    }

    /// Results of one run (all, or only those that did not pass), by host and check key.
    pub fn run_results(
        &self,
        run: &str,
        only_problems: bool,
    ) -> Result<Vec<RunResult>, StoreError> {
        let summary = self.run(run)?;
        (|| -> rusqlite::Result<Vec<RunResult>> {
            let rows = self.run_rows(summary.db_id)?;
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|r| !only_problems || outcome_from(r.2) != Outcome::Pass)
                .collect();
            let chk_ids: HashSet<i64> = rows.iter().map(|r| r.1).collect();
            let checks = self.checks(&chk_ids)?;
            let mut names: HashMap<i64, String> = HashMap::new();
            let mut vals = HashMap::new();
            let mut out = Vec::with_capacity(rows.len());
            for (host, chk, code, val) in rows {
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(host) {
                    let name: String = self
                        .conn
                        .prepare_cached("SELECT name FROM hosts WHERE id = ?1")?
                        .query_row([host], |r| r.get(0))?;
                    e.insert(name);
                }
                let (Some(host), Some(check)) = (names.get(&host), checks.get(&chk)) else {
                    continue;
                };
                let (expected, actual, reason) = self.val(&mut vals, val)?;
                out.push(RunResult {
                    host: host.clone(),
                    key: check.key.clone(),
                    title: check.title.clone(),
                    severity: check.severity,
                    outcome: outcome_from(code),
                    expected,
                    actual,
                    reason,
                });
            }
            out.sort_by(|a, b| (&a.host, &a.key).cmp(&(&b.host, &b.key)));
            Ok(out)
        })()
        .map_err(|e| self.err(e))
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
        let mut doomed: HashSet<i64> = HashSet::new();
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

/// `3d 4h`, `5m`, `12s`: a short human duration.
pub fn human_secs(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        if h > 0 {
            format!("{d}d {h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h {m}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}
