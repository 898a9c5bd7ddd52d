//! SQLite history: schema, migrations, writer thread, queries.
//!
//! API contract used by `driftscope run` and the TUI (stub until the store work lands):
//! `default_db_path()`, `StoreWriter::spawn(path)`, `writer.send(&event)`, `writer.finish()`.

use crate::exec::Event;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Open { path: String, message: String },
    #[error("{0}")]
    Other(String),
}

/// `$DRIFTSCOPE_DB`, else `<XDG data dir>/driftscope/history.db`.
pub fn default_db_path() -> PathBuf {
    if let Ok(p) = std::env::var("DRIFTSCOPE_DB") {
        return PathBuf::from(p);
    }
    directories::ProjectDirs::from("", "", "driftscope")
        .map(|d| d.data_dir().join("history.db"))
        .unwrap_or_else(|| PathBuf::from("driftscope-history.db"))
}

/// What the writer did, reported when it finishes.
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    pub results_written: u64,
    /// Results received but not stored (disk full …); the CLI reports them.
    pub results_lost: u64,
}

/// The dedicated writer thread, fed with executor events.
pub struct StoreWriter {
    _path: PathBuf,
}

impl StoreWriter {
    pub fn spawn(path: &Path) -> Result<StoreWriter, StoreError> {
        Ok(StoreWriter {
            _path: path.to_path_buf(),
        })
    }
    /// Hand one event to the writer (never blocks the executor for long).
    pub fn send(&self, _event: &Event) {}
    /// Flush, close, and say what was written.
    pub fn finish(self) -> Result<WriteReport, StoreError> {
        Ok(WriteReport::default())
    }
}
