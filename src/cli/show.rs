//! `driftscope show HOST CHECK`: the timeline of one host × check, with first-failed and
//! the current streak.

use super::history::{Format, StoreOpts, ago, fail, out, print_json, print_table, when};
use crate::model::human_duration_secs;
use clap::Args;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Host (inventory name).
    #[arg(value_name = "HOST")]
    pub host: String,
    /// Check key (`ssh.sshd-option[option=PermitRootLogin,value=no]`) or a check id with a
    /// single execution.
    #[arg(value_name = "CHECK")]
    pub check: String,
    /// Environment, when the host name exists in several.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// How many runs to show, newest first.
    #[arg(long, default_value_t = 20, value_name = "K")]
    pub last: usize,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn run(args: ShowArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let tl = match store.timeline(args.env.as_deref(), &args.host, &args.check, args.last) {
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
        out!(
            "expected: {}",
            serde_json::to_string(&first.expected).unwrap_or_default()
        );
    }
    out!();
    let rows: Vec<Vec<String>> = tl
        .entries
        .iter()
        .map(|e| {
            let mut actual = serde_json::to_string(&e.actual).unwrap_or_default();
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
