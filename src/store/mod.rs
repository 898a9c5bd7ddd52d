//! SQLite history: schema, migrations, writer thread, read queries.
//!
//! Owns the database file and everything written into it. It reads `exec::Event`s (via
//! [`StoreWriter`]) and answers history questions (via [`Store`]); it never prints, never
//! touches the terminal and knows nothing about the TUI or the CLI formats.
//!
//! - [`schema`]: the one place that owns the schema; versioned migrations applied on open.
//! - [`writer`]: the dedicated writer thread (bounded channel, batched transactions).
//! - [`queries`]: read-side [`Store`], a small reader base and one file per history question.
//!
//! API contract used by `driftscope run` and the TUI:
//! `default_db_path()`, `StoreWriter::spawn(path)`, `writer.send(&event)`, `writer.finish()`,
//! `Store::open(path)` / `Store::open_readonly(path)` and its query methods.

// Public (hidden) only for the fuzz targets in `fuzz/`, which decode packed results.
#[doc(hidden)]
pub mod codec;
#[doc(hidden)]
pub mod packed;
mod queries;
mod schema;
mod writer;

/// The store's fast, non-cryptographic hasher (ids and short strings), shared with the TUI's
/// in-memory interners.
pub(crate) use codec::{FastBuild, FastMap};
pub use queries::{
    AckRequest, AckState, AckStatus, DiffSide, FailingStreak, Flapper, LatestEntry, LatestHead,
    LatestOrder, LatestPart, LatestState, LatestTally, NotProbed, PruneReport, PruneSpec,
    Readiness, ReadinessInput, ReadinessStatus, RunDiff, RunSummary, Store, Streak, Timeline,
    TimelineEntry, Transition, TransitionKind, judge_readiness,
};
pub use schema::SCHEMA_VERSION;
pub use writer::{StoreWriter, WriteReport, WriterOptions};

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a connection waits for another writer's lock before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything that can go wrong with the history database. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a driftscope history (not SQLite, corrupt, foreign schema).
    #[error("{path}: {message}")]
    Open { path: String, message: String },
    /// The file was written by a newer driftscope; we refuse to read or write it.
    #[error(
        "{path}: history schema version {found} is newer than this driftscope understands \
         (up to {known}); upgrade driftscope (nothing was written)"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// Another process held the write lock longer than the busy timeout.
    #[error(
        "{path}: database is locked by another writer (waited {waited_ms} ms); \
         is another driftscope run or prune still going?"
    )]
    Locked { path: String, waited_ms: u64 },
    /// The disk (or the configured size cap) is full.
    #[error("{path}: disk full: {message}")]
    Full { path: String, message: String },
    /// No history database at the path (read commands never create one).
    #[error("{path}: no history database here yet (run `driftscope run` first, or pass --db)")]
    Missing { path: String },
    /// A query argument that names nothing stored (unknown run, host, check …).
    #[error("{0}")]
    NotFound(String),
    /// Any other SQLite failure, with the file it happened on.
    #[error("{path}: {message}")]
    Sqlite { path: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// Map a rusqlite error on `path` to the variant a user can act on.
    pub(crate) fn from_sqlite(path: &Path, busy: Duration, e: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite_ref(path, busy, &e)
    }

    pub(crate) fn from_sqlite_ref(path: &Path, busy: Duration, e: &rusqlite::Error) -> StoreError {
        let p = path.display().to_string();
        if let rusqlite::Error::SqliteFailure(f, msg) = e {
            use rusqlite::ErrorCode as C;
            let detail = msg.clone().unwrap_or_else(|| f.to_string());
            match f.code {
                C::DatabaseBusy | C::DatabaseLocked => {
                    return StoreError::Locked {
                        path: p,
                        waited_ms: busy.as_millis() as u64,
                    };
                }
                C::NotADatabase => {
                    return StoreError::Open {
                        path: p,
                        message: format!(
                            "not a driftscope history database ({detail}); the file was left untouched"
                        ),
                    };
                }
                C::DatabaseCorrupt => {
                    return StoreError::Open {
                        path: p,
                        message: format!("history database is corrupt ({detail})"),
                    };
                }
                C::DiskFull => {
                    return StoreError::Full {
                        path: p,
                        message: detail,
                    };
                }
                C::CannotOpen => {
                    return StoreError::Open {
                        path: p,
                        message: format!("cannot open ({detail})"),
                    };
                }
                _ => {}
            }
        }
        StoreError::Sqlite {
            path: p,
            message: e.to_string(),
        }
    }

    /// True for "disk full" (the writer counts the batch as lost and keeps going).
    pub fn is_full(&self) -> bool {
        matches!(self, StoreError::Full { .. })
    }
}

/// `$DRIFTSCOPE_DB`, else `<XDG data dir>/driftscope/history.db`.
pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os("DRIFTSCOPE_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    directories::ProjectDirs::from("", "", "driftscope")
        .map(|d| d.data_dir().join("history.db"))
        .unwrap_or_else(|| PathBuf::from("driftscope-history.db"))
}

/// The salt of the history at `db` for redacting `secret = true` values
/// (`probe::secret::set_salt`): 32 random bytes in `<db>.salt` (mode 0600), created on first
/// use, so one history hashes the same secret the same in every run. A copy of the database
/// without its salt file is still readable; new runs then hash under a new salt.
pub fn history_salt(db: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let mut name = db.as_os_str().to_os_string();
    name.push(".salt");
    let path = PathBuf::from(name);
    match std::fs::read(&path) {
        Ok(salt) if salt.len() >= 16 => return Ok(salt),
        Ok(_) => {
            return Err(std::io::Error::other(format!(
                "{}: salt file too short",
                path.display()
            )));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut salt = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut f) => {
            f.write_all(&salt)?;
            f.sync_all()?;
            Ok(salt)
        }
        // Another run created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(&path),
        Err(e) => Err(e),
    }
}
