//! Command-line front end: argument parsing (clap) and one file per subcommand.
//! Exit codes: 0 ok / no drift, 1 drift, 2 usage or config error, 3 errors without drift,
//! 4 stale (status), 130 interrupted.

use clap::{Parser, Subcommand};

mod checks;
mod drift;
mod history;
mod inventory;
mod prune;
mod run;
mod show;
mod sop;
mod status;

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
    Run(run::RunArgs),
    /// Validate check files and list logical checks with their expansion per host.
    Checks(checks::ChecksArgs),
    /// List environments, hosts and tags.
    Inventory(inventory::InventoryArgs),
    /// List stored runs.
    History(history::HistoryArgs),
    /// What changed between two runs.
    Drift(drift::DriftArgs),
    /// Is an environment ready right now?
    Status(status::StatusArgs),
    /// Timeline of one host × check.
    Show(show::ShowArgs),
    /// Delete old runs from the history.
    Prune(prune::PruneArgs),
    /// Show the SOP of a check.
    Sop(sop::SopArgs),
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
    match cli.command {
        None => {
            eprintln!("driftscope: the TUI is not wired yet; try `driftscope run`");
            EXIT_USAGE
        }
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Checks(a)) => checks::run(a),
        Some(Command::Inventory(a)) => inventory::run(a),
        Some(Command::History(a)) => history::run(a),
        Some(Command::Drift(a)) => drift::run(a),
        Some(Command::Status(a)) => status::run(a),
        Some(Command::Show(a)) => show::run(a),
        Some(Command::Prune(a)) => prune::run(a),
        Some(Command::Sop(a)) => sop::run(a),
    }
}
