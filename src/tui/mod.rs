//! Interactive terminal UI (stub until the TUI work lands).
//!
//! Entry point contract: the CLI loads config and calls [`main`] when no subcommand is given.

use crate::config::{Loaded, Selection};
use crate::exec::{ExecOptions, TransportSet};
use std::path::PathBuf;

/// Everything the TUI needs, prepared by the CLI.
pub struct TuiContext {
    pub loaded: Loaded,
    pub selection: Selection,
    pub transports: TransportSet,
    pub exec: ExecOptions,
    /// `None` = `--no-store`.
    pub db: Option<PathBuf>,
    /// `--theme NAME|PATH`.
    pub theme: Option<String>,
}

/// Run the TUI until the user quits; returns the exit code.
pub fn main(_ctx: TuiContext) -> i32 {
    eprintln!("driftscope: the TUI is not built yet; try `driftscope run`");
    2
}
