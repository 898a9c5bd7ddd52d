//! Command-line front end: argument parsing (clap) and one file per subcommand.
//! Exit codes: 0 ok / no drift, 1 drift, 2 usage or config error, 3 errors without drift,
//! 4 stale (status), 130 interrupted.

use clap::{Parser, Subcommand};

/// Usage or configuration error: exit code 2.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "driftscope",
    version,
    about = "Agentless configuration drift detection for a fleet, with history",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check hosts against the declared state and report drift.
    Run,
    /// Validate check files and list logical checks with their expansion per host.
    Checks,
    /// List environments, hosts and tags.
    Inventory,
    /// List stored runs.
    History,
    /// What changed between two runs.
    Drift,
    /// Is an environment ready right now?
    Status,
    /// Timeline of one host × check.
    Show,
    /// Delete old runs from the history.
    Prune,
    /// Show the SOP of a check.
    Sop,
}

/// Parse arguments and run; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    {
        eprintln!("driftscope: not implemented yet");
        EXIT_USAGE
    }
}
