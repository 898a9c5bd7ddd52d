//! `driftscope show HOST CHECK`: the timeline of one host × check, with first-failed and
//! the current streak.

use super::history::{Format, StoreOpts, ago, fail, out, print_json, print_table, when};
use crate::model::human_duration_secs;
use clap::Args;
use clap_complete::ArgValueCandidates;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Host (inventory name).
    #[arg(value_name = "HOST", add = ArgValueCandidates::new(super::completions::host_names))]
    pub host: String,
    /// Check key (`ssh.sshd-option[option=PermitRootLogin,value=no]`) or a check id with a
    /// single execution.
    #[arg(value_name = "CHECK", add = ArgValueCandidates::new(super::completions::check_ids))]
    pub check: String,
    /// Environment, when the host name exists in several.
    #[arg(long, short = 'e', value_name = "ENV", add = ArgValueCandidates::new(super::completions::env_names))]
    pub env: Option<String>,
    /// Inventory file: its environment holding HOST is the one shown (instead of --env).
    #[arg(long = "inventory", short = 'i', value_name = "FILE")]
    pub inventories: Vec<std::path::PathBuf>,
    /// How many runs to show, newest first.
    #[arg(long, default_value_t = 20, value_name = "K")]
    pub last: usize,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn run(args: ShowArgs) -> i32 {
    let env = match (&args.env, args.inventories.is_empty()) {
        (Some(e), _) => Some(e.clone()),
        (None, true) => None,
        (None, false) => match env_of_host(&args) {
            Ok(e) => Some(e),
            Err(code) => return code,
        },
    };
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let tl = match store.timeline(env.as_deref(), &args.host, &args.check, args.last) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    if args.store.format == Format::Json {
        return print_json(&tl);
    }
    out!(
        "{} · {}  ({}, {})",
        tl.host,
        tl.key,
        tl.environment,
        tl.severity
    );
    out!("{}", tl.title);
    match &tl.streak {
        Some(s) => out!(
            "failing since {} run{} / {} (first failed in {} at {})",
            s.runs,
            if s.runs == 1 { "" } else { "s" },
            human_duration_secs((chrono::Utc::now() - s.failing_since).num_seconds()),
            s.first_failed_run,
            when(s.failing_since)
        ),
        None => match tl.entries.first() {
            Some(e) => out!("currently {}", e.outcome),
            None => out!("no results stored"),
        },
    }
    if let Some(first) = tl.entries.first() {
        // The same rendering as `run`: `mode = "0644", value <= 4`.
        out!(
            "expected: {}",
            crate::report::expected_inline(&first.expected)
        );
    }
    out!();
    let rows: Vec<Vec<String>> = tl
        .entries
        .iter()
        .map(|e| {
            let mut actual = crate::report::attrs_inline(&e.actual);
            if let Some(r) = e.reason.as_ref().filter(|_| e.outcome.is_problem()) {
                actual = format!("{actual} ({r})");
            }
            vec![
                e.run_id.clone(),
                when(e.started_at),
                ago(e.started_at),
                e.outcome.to_string(),
                actual,
            ]
        })
        .collect();
    print_table(&["RUN", "STARTED (UTC)", "AGE", "OUTCOME", "ACTUAL"], &rows);
    0
}

/// The environment of `--inventory` files that holds HOST (exit 2 when none or several do).
fn env_of_host(args: &ShowArgs) -> Result<String, i32> {
    let sources = crate::config::Sources {
        inventories: args.inventories.clone(),
        ..crate::config::Sources::default()
    };
    let envs = match crate::config::load_environments(&sources) {
        Ok((envs, _)) => envs,
        Err(e) => return Err(super::common::config_error(&e)),
    };
    let holding: Vec<&str> = envs
        .iter()
        .filter(|e| e.hosts.iter().any(|h| h.name == args.host))
        .map(|e| e.name.as_str())
        .collect();
    match holding.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(fail(&format!(
            "host `{}` is in none of the inventories given with -i ({})",
            args.host,
            envs.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        several => Err(fail(&format!(
            "host `{}` is in several environments ({}): choose one with --env",
            args.host,
            several.join(", ")
        ))),
    }
}
