//! Command-line front end: argument parsing (clap) and one file per subcommand.
//! Exit codes: 0 ok / no drift, 1 drift, 2 usage or config error, 3 errors without drift,
//! 4 stale (status), 130 interrupted.

use crate::config::settings::Layer;
use clap::{Parser, Subcommand};

mod ack;
mod checks;
mod common;
mod completions;
mod config;
mod disconnect;
mod drift;
mod history;
mod init;
mod inventory;
mod output_file;
mod progress;
mod prune;
mod run;
mod settings;
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
    long_about = None,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Config file [default: $DRIFTSCOPE_CONFIG, else $XDG_CONFIG_HOME/driftscope/config.toml
    /// when it exists]. Flags beat DRIFTSCOPE_* variables beat the file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand: open the TUI over this configuration.
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// Flags of the interactive TUI (`driftscope` without a subcommand).
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub sources: common::SourceArgs,
    #[command(flatten)]
    pub select: common::SelectArgs,
    #[command(flatten)]
    pub exec: common::ExecArgs,
    #[command(flatten)]
    pub store: common::StoreArgs,
    /// Theme name (themes/NAME.toml) or path [default: `theme` of the config file, else
    /// default].
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Open on the stored state of the history without probing anything (R runs later).
    #[arg(long)]
    pub no_run: bool,
}

impl TuiArgs {
    fn layer(&self) -> Layer {
        let mut l = Layer::default();
        self.sources.layer(&mut l);
        l.env = self.select.env.clone();
        self.exec.layer(&mut l);
        l.db = self.store.db.clone();
        l.theme = self.theme.clone();
        l
    }
}

fn open_tui(a: TuiArgs) -> i32 {
    let (loaded, selection) = match a.select.load_selected(&a.sources) {
        Ok(ls) => ls,
        Err(code) => return code,
    };
    let sops = crate::sop::SopLibrary::for_check_sources(&a.sources.sources().checks);
    crate::tui::main(crate::tui::TuiContext {
        sops,
        loaded,
        selection,
        transports: a.exec.session_transports(),
        exec: a.exec.options(),
        db: a.store.db_path(),
        theme: Some(settings::current().theme.value.clone()),
        no_run: a.no_run,
    })
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
    /// Acknowledge a known drift: a failing host × check stops counting for exit codes and
    /// readiness until it expires or its observed value changes.
    Ack(ack::AckArgs),
    /// List acknowledgements (active; --all: also expired, lapsed and removed, with why).
    Acks(ack::AcksArgs),
    /// Remove the acknowledgement of a host × check.
    Unack(ack::UnackArgs),
    /// Show the SOP of a check.
    Sop(sop::SopArgs),
    /// Print every setting's effective value and where it came from (flag, environment
    /// variable, config file line, default).
    Config(config::ConfigArgs),
    /// Close the SSH connections kept open by --keep-connections.
    Disconnect(disconnect::DisconnectArgs),
    /// Print a shell completion script (completes environments, hosts, categories and
    /// check ids from your inventory and checks): `source <(driftscope completions bash)`.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `driftscope man | man -l -`.
    Man(completions::ManArgs),
    /// Start here: write a starter inventory.toml and checks/ (one example category and
    /// its SOP) into DIR, and print the next three commands.
    Init(init::InitArgs),
}

impl Command {
    /// What this subcommand's flags set, for the settings resolution.
    fn layer(&self) -> Layer {
        let mut l = Layer::default();
        let select = |l: &mut Layer, s: &common::SelectArgs| l.env = s.env.clone();
        match self {
            Command::Run(a) => {
                a.sources.layer(&mut l);
                select(&mut l, &a.select);
                a.exec.layer(&mut l);
                l.db = a.store.db.clone();
            }
            Command::Checks(a) => {
                a.sources.layer(&mut l);
                select(&mut l, &a.select);
            }
            Command::Inventory(a) => {
                a.sources.layer(&mut l);
                l.env = a.env.clone();
            }
            Command::History(a) => l.db = a.store.db.clone(),
            Command::Drift(a) => l.db = a.store.db.clone(),
            Command::Status(a) => l.db = a.store.db.clone(),
            Command::Show(a) => l.db = a.store.db.clone(),
            Command::Prune(a) => l.db = a.store.db.clone(),
            Command::Ack(a) => l.db = a.store.db.clone(),
            Command::Acks(a) => l.db = a.store.db.clone(),
            Command::Unack(a) => l.db = a.store.db.clone(),
            Command::Sop(a) => {
                a.sources.layer(&mut l);
                l.env = a.env.clone();
            }
            Command::Config(a) => l = a.layer(),
            Command::Disconnect(_)
            | Command::Completions(_)
            | Command::Man(_)
            | Command::Init(_) => {}
        }
        l
    }
}

/// Parse arguments and run; returns the process exit code.
pub fn main() -> i32 {
    completions::answer_completion_request();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    let layer = match &cli.command {
        None => cli.tui.layer(),
        Some(c) => c.layer(),
    };
    // Writing completions or the man page never depends on (a broken) config file.
    let reads_settings = !matches!(
        cli.command,
        Some(Command::Completions(_) | Command::Man(_) | Command::Init(_))
    );
    if reads_settings && let Err(e) = settings::init(cli.config.as_deref(), layer) {
        return common::config_error(&e);
    }
    match cli.command {
        None => open_tui(cli.tui),
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Checks(a)) => checks::run(a),
        Some(Command::Inventory(a)) => inventory::run(a),
        Some(Command::History(a)) => history::run(a),
        Some(Command::Drift(a)) => drift::run(a),
        Some(Command::Status(a)) => status::run(a),
        Some(Command::Show(a)) => show::run(a),
        Some(Command::Prune(a)) => prune::run(a),
        Some(Command::Ack(a)) => ack::ack(a),
        Some(Command::Acks(a)) => ack::acks(a),
        Some(Command::Unack(a)) => ack::unack(a),
        Some(Command::Sop(a)) => sop::run(a),
        Some(Command::Config(a)) => config::run(a),
        Some(Command::Disconnect(a)) => disconnect::run(a),
        Some(Command::Completions(a)) => completions::completions(a),
        Some(Command::Man(a)) => completions::man(a),
        Some(Command::Init(a)) => init::run(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
