//! Loading inventory and check files (TOML) with file:line:col errors, and planning:
//! `for_each` expansion, `{var}` templating, target selection by tags.
//!
//! API contract used by the CLI and the TUI (the TUI plans narrow re-checks with `plan`).

use crate::model::{Check, Environment, HostPlan};
use std::path::PathBuf;

/// A configuration error: `file:line:col: message` (exit code 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Where to load from. `None` = the embedded default (this machine / shipped checks).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub inventories: Vec<PathBuf>,
    pub checks_dir: Option<PathBuf>,
}

/// What a run is narrowed to. Empty lists = everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub environment: Option<String>,
    pub hosts: Vec<String>,
    pub categories: Vec<String>,
    pub checks: Vec<String>,
}

/// Validated inventory + checks.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub environments: Vec<Environment>,
    pub checks: Vec<Check>,
    /// Stable hash of the check set (same files → same hash).
    pub checkset_hash: String,
    /// Non-fatal findings (e.g. a target tag no host has), each with file:line:col.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// Load and validate everything (stub until the config work lands).
    pub fn load(_sources: &Sources) -> Result<Loaded, ConfigError> {
        Ok(Loaded::default())
    }

    /// Expand checks into per-host executions for the selection.
    pub fn plan(&self, _selection: &Selection) -> Result<Vec<HostPlan>, ConfigError> {
        Ok(Vec::new())
    }
}
