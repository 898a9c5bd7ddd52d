//! The one place that owns the schema: versioned migrations (PRAGMA user_version), opening
//! connections with the right pragmas, refusing files that are not ours, and recovering runs
//! whose writer died.
//!
//! Layout (see "The history store" in docs/architecture.md for the reasoning):
//! - `envs`, `hosts(env, name)`, `checks(key, …)`, `vals(expected, actual, reason)`: interned,
//!   small integer ids;
//! - `runs`: one row per run, with status `running|complete|cancelled|incomplete` and the counts
//!   of stored results; `run_envs(env, run)` lists the environments a run touched;
//! - `run_hosts(run, host)`: per-host round-trip duration and failure reason;
//! - `results(run, host, chk) → outcome, val`: WITHOUT ROWID, about 20 bytes a row;
//! - `acks(env, host, chk) → actual, reason, user, created_at, expires_at, removed_*`:
//!   acknowledgements of a known drift (v2).

use super::StoreError;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id` of a driftscope history ("DRFT").
pub const APPLICATION_ID: i64 = 0x4452_4654;

/// Migrations, in order; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // v1
    "
    CREATE TABLE envs (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE hosts (
        id   INTEGER PRIMARY KEY,
        env  INTEGER NOT NULL,
        name TEXT NOT NULL,
        UNIQUE (env, name)
    );
    CREATE TABLE checks (
        id       INTEGER PRIMARY KEY,
        key      TEXT NOT NULL UNIQUE,
        check_id TEXT NOT NULL,
        title    TEXT NOT NULL,
        category TEXT NOT NULL,
        severity INTEGER NOT NULL,
        sop      TEXT
    );
    CREATE INDEX checks_check_id ON checks (check_id);
    CREATE TABLE vals (
        id       INTEGER PRIMARY KEY,
        hash     INTEGER NOT NULL,
        expected TEXT NOT NULL,
        actual   TEXT NOT NULL,
        reason   TEXT
    );
    CREATE INDEX vals_hash ON vals (hash);
    CREATE TABLE runs (
        id              INTEGER PRIMARY KEY,
        run_key         TEXT NOT NULL UNIQUE,
        env             INTEGER NOT NULL,
        started_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        status          TEXT NOT NULL,
        full_scope      INTEGER NOT NULL,
        scope           TEXT NOT NULL,
        version         TEXT NOT NULL,
        user            TEXT NOT NULL,
        client_host     TEXT NOT NULL,
        writer_host     TEXT NOT NULL,
        writer_pid      INTEGER,
        checkset_hash   TEXT NOT NULL,
        host_count      INTEGER NOT NULL,
        execution_count INTEGER NOT NULL,
        n_pass          INTEGER NOT NULL DEFAULT 0,
        n_fail          INTEGER NOT NULL DEFAULT 0,
        n_error         INTEGER NOT NULL DEFAULT 0,
        n_unreachable   INTEGER NOT NULL DEFAULT 0,
        n_timeout       INTEGER NOT NULL DEFAULT 0,
        n_sudo_denied   INTEGER NOT NULL DEFAULT 0,
        n_not_applicable INTEGER NOT NULL DEFAULT 0,
        results_lost    INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_started ON runs (started_at);
    CREATE INDEX runs_status ON runs (status) WHERE status = 'running';
    CREATE TABLE run_envs (
        env INTEGER NOT NULL,
        run INTEGER NOT NULL,
        PRIMARY KEY (env, run)
    ) WITHOUT ROWID;
    CREATE TABLE run_hosts (
        run         INTEGER NOT NULL,
        host        INTEGER NOT NULL,
        duration_ms INTEGER,
        failure     TEXT,
        PRIMARY KEY (run, host)
    ) WITHOUT ROWID;
    CREATE TABLE results (
        run     INTEGER NOT NULL,
        host    INTEGER NOT NULL,
        chk     INTEGER NOT NULL,
        outcome INTEGER NOT NULL,
        val     INTEGER NOT NULL,
        PRIMARY KEY (run, host, chk)
    ) WITHOUT ROWID;
    -- Failures only (~2% of rows): first-failed and streaks without walking every run.
    CREATE INDEX results_failing ON results (host, chk, run) WHERE outcome = 1;
    ",
    // v2: acknowledgements of a known drift (host×check, the actual value acknowledged as
    // JSON, who, when, until when). Unacknowledged or replaced ones keep their row with
    // `removed_at`, so `acks --all` can say what happened.
    "
    CREATE TABLE acks (
        id         INTEGER PRIMARY KEY,
        env        INTEGER NOT NULL,
        host       INTEGER NOT NULL,
        chk        INTEGER NOT NULL,
        actual     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        user       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        removed_at INTEGER,
        removed_by TEXT
    );
    CREATE INDEX acks_key ON acks (host, chk);
    ",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How to open the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read-write; create the file (and its directory) when missing.
    Create,
    /// Read-write; the file must exist.
    Existing,
    /// Read-only; the file must exist and be at the current schema.
    ReadOnly,
}

/// Open `path`, check that it is a driftscope history we understand, set the pragmas, apply
/// migrations (read-write modes) and mark runs whose writer died as `incomplete`.
/// Nothing is written to a file that is not ours or is too new.
pub fn open(path: &Path, mode: OpenMode, busy: Duration) -> Result<Connection, StoreError> {
    let err = |e| StoreError::from_sqlite(path, busy, e);
    let exists = path.exists();
    if !exists && mode != OpenMode::Create {
        return Err(StoreError::Missing {
            path: path.display().to_string(),
        });
    }
    if exists {
        check_header(path)?;
    } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: format!("cannot create directory {}: {e}", dir.display()),
        })?;
    }
    let flags = match mode {
        OpenMode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        OpenMode::Existing => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        OpenMode::Create => {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        }
    };
    let conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(busy).map_err(err)?;
    let (version, app_id, tables) = identity(&conn).map_err(err)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if app_id != APPLICATION_ID && (version != 0 || tables > 0) {
        return Err(StoreError::Open {
            path: path.display().to_string(),
            message: "an SQLite database of another application, not a driftscope history; \
                      the file was left untouched"
                .to_string(),
        });
    }
    if mode == OpenMode::ReadOnly {
        if version < SCHEMA_VERSION {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                message: format!(
                    "history schema version {version} needs an upgrade to {SCHEMA_VERSION}; \
                     open it read-write once (any driftscope run or history command)"
                ),
            });
        }
        return Ok(conn);
    }
    if version == 0 && tables == 0 {
        // Must precede the first table; lets `prune` give pages back without a full VACUUM.
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")
            .map_err(err)?;
    }
    let jm: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !jm.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), journal_mode = %jm, "WAL not available");
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL;")
        .map_err(err)?;
    migrate(&conn).map_err(|e| match e {
        MigrateError::Sql(e) => err(e),
        MigrateError::TooNew(found) => StoreError::TooNew {
            path: path.display().to_string(),
            found,
            known: SCHEMA_VERSION,
        },
    })?;
    recover_dead_runs(&conn).map_err(err)?;
    Ok(conn)
}

/// A non-empty file must start with the SQLite magic, checked before SQLite ever sees it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let open_err = |message: String| StoreError::Open {
        path: path.display().to_string(),
        message,
    };
    let mut f = std::fs::File::open(path).map_err(|e| open_err(format!("cannot read: {e}")))?;
    let mut magic = [0u8; 16];
    let mut n = 0;
    while n < magic.len() {
        match f.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(open_err(format!("cannot read: {e}"))),
        }
    }
    if n == 0 {
        return Ok(()); // empty file: SQLite treats it as a new database
    }
    if n < magic.len() || &magic != b"SQLite format 3\0" {
        return Err(open_err(
            "not a driftscope history database (not an SQLite file); the file was left untouched"
                .to_string(),
        ));
    }
    Ok(())
}

fn identity(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok((version, app_id, tables))
}

enum MigrateError {
    Sql(rusqlite::Error),
    TooNew(i64),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sql(e)
    }
}

/// Apply every missing migration in one immediate transaction (two processes opening a fresh
/// file at once: the second waits, then sees the new version and does nothing).
fn migrate(conn: &Connection) -> Result<(), MigrateError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<(), MigrateError> {
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(MigrateError::TooNew(current));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(MigrateError::Sql),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// This machine's name as stored in `runs.client_host`.
pub fn client_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Is the writer `pid` on this machine still alive?
fn pid_alive(pid: i64) -> bool {
    if pid <= 0 {
        return false;
    }
    if pid == i64::from(std::process::id()) {
        return true;
    }
    let proc_dir = Path::new("/proc");
    if !proc_dir.exists() {
        // No procfs: we cannot tell; assume alive rather than mislabel a live run.
        return true;
    }
    match std::fs::read_to_string(proc_dir.join(pid.to_string()).join("stat")) {
        // A zombie (state Z) is dead for our purposes.
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Mark `running` runs whose writer process (on this machine) is gone as `incomplete`.
/// Their stored results stay. Runs written from another machine are left alone.
pub fn recover_dead_runs(conn: &Connection) -> rusqlite::Result<usize> {
    let me = client_host();
    let dead: Vec<i64> = {
        let mut stmt =
            conn.prepare("SELECT id, writer_host, writer_pid FROM runs WHERE status = 'running'")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut dead = Vec::new();
        for row in rows {
            let (id, host, pid) = row?;
            if host == me && !pid_alive(pid.unwrap_or(0)) {
                dead.push(id);
            }
        }
        dead
    };
    for id in &dead {
        conn.execute(
            "UPDATE runs SET status = 'incomplete' WHERE id = ?1 AND status = 'running'",
            [id],
        )?;
    }
    if !dead.is_empty() {
        tracing::info!(runs = dead.len(), "marked interrupted runs incomplete");
    }
    Ok(dead.len())
}

/// Look up an interned id without inserting (read side).
pub fn optional_id(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(sql, params, |r| r.get(0)).optional()
}
