//! `driftscope completions SHELL` and `driftscope man`: shell completions (clap_complete's
//! dynamic completion: the shell asks the binary, so environment, host, category and check
//! ids complete from the inventory and checks the command line or config file names) and
//! the man page (clap_mangen).

use super::Cli;
use crate::config::settings::Layer;
use crate::config::{Sources, check_ids_and_categories, load_environments};
use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

/// The variable the registration scripts set when they call back into driftscope.
pub const COMPLETE_VAR: &str = "COMPLETE";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write driftscope.1 and one page per subcommand (driftscope-run.1 …) into DIR
    /// instead of printing driftscope.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Answer a completion request (`COMPLETE=bash driftscope -- …`) and exit; nothing otherwise.
pub fn answer_completion_request() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

pub fn completions(args: CompletionsArgs) -> i32 {
    let name = match args.shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Elvish => "elvish",
        Shell::Powershell => "powershell",
    };
    let shells = Shells::builtins();
    let Some(shell) = shells.completer(name) else {
        eprintln!("error: no completer for {name}");
        return 3;
    };
    // The script calls back into this binary as the user invoked it (on PATH after
    // `cargo install`), so completions follow the installed version.
    let completer = std::env::args()
        .next()
        .unwrap_or_else(|| "driftscope".into());
    let completer = if completer.contains('/') {
        std::env::current_dir()
            .map(|d| d.join(&completer).display().to_string())
            .unwrap_or(completer)
    } else {
        completer
    };
    let mut buf = Vec::new();
    if let Err(e) = shell.write_registration(
        COMPLETE_VAR,
        "driftscope",
        "driftscope",
        &completer,
        &mut buf,
    ) {
        eprintln!("error: {e}");
        return 3;
    }
    write_stdout(&buf)
}

pub fn man(args: ManArgs) -> i32 {
    let cmd = Cli::command();
    if let Some(dir) = args.dir {
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|_| clap_mangen::generate_to(cmd, &dir))
        {
            eprintln!("error: {}: {e}", dir.display());
            return super::EXIT_USAGE;
        }
        return 0;
    }
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut buf) {
        eprintln!("error: {e}");
        return 3;
    }
    write_stdout(&buf)
}

/// Write all of `buf`; a closed pipe (`| head`) is not an error.
fn write_stdout(buf: &[u8]) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(buf).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: {e}");
            3
        }
    }
}

/// The sources the command line being completed names (`-i`, `-c`, `--inventory-cmd`,
/// `--config`, `-e`), over the environment and config file, as a run would load them.
fn sources_being_completed() -> Option<Sources> {
    let args: Vec<String> = std::env::args().collect();
    let start = args
        .iter()
        .position(|a| a == "--")
        .map(|i| i + 2)
        .unwrap_or(args.len());
    // The last word is the one being completed: never a value to load from.
    let words = args
        .get(start..args.len().saturating_sub(1).max(start))
        .unwrap_or_default();
    let mut layer = Layer::default();
    let mut config = None;
    for (i, w) in words.iter().enumerate() {
        let (flag, value) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), words.get(i + 1).cloned()),
        };
        let Some(value) = value else { continue };
        match flag {
            "-i" | "--inventory" => layer
                .inventories
                .get_or_insert_with(Vec::new)
                .push(value.into()),
            "-c" | "--checks" => layer.checks.get_or_insert_with(Vec::new).push(value.into()),
            "--inventory-cmd" => layer
                .inventory_cmds
                .get_or_insert_with(Vec::new)
                .push(value),
            "-e" | "--env" => layer.env = Some(value),
            "--config" => config = Some(PathBuf::from(value)),
            _ => {}
        }
    }
    super::settings::init(config.as_deref(), layer).ok()?;
    Some(super::common::SourceArgs::default().sources())
}

fn candidates(items: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

/// Environment names of the loaded inventories.
pub fn env_names() -> Vec<CompletionCandidate> {
    let Some(s) = sources_being_completed() else {
        return Vec::new();
    };
    let Ok((envs, _)) = load_environments(&s) else {
        return Vec::new();
    };
    candidates(envs.into_iter().map(|e| e.name))
}

/// Host names (of the chosen environment when one is chosen).
pub fn host_names() -> Vec<CompletionCandidate> {
    let Some(s) = sources_being_completed() else {
        return Vec::new();
    };
    let Ok((envs, _)) = load_environments(&s) else {
        return Vec::new();
    };
    candidates(
        envs.into_iter()
            .filter(|e| s.env.as_ref().is_none_or(|n| &e.name == n))
            .flat_map(|e| e.hosts.into_iter().map(|h| h.name)),
    )
}

/// Categories of the loaded checks.
pub fn category_names() -> Vec<CompletionCandidate> {
    let Some(s) = sources_being_completed() else {
        return Vec::new();
    };
    let Ok(ids) = check_ids_and_categories(&s) else {
        return Vec::new();
    };
    candidates(ids.into_iter().map(|(_, category)| category))
}

/// Check ids of the loaded checks.
pub fn check_ids() -> Vec<CompletionCandidate> {
    let Some(s) = sources_being_completed() else {
        return Vec::new();
    };
    let Ok(ids) = check_ids_and_categories(&s) else {
        return Vec::new();
    };
    candidates(ids.into_iter().map(|(id, _)| id))
}
