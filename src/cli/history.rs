//! `driftscope history`: list stored runs. Also holds what the history subcommands share
//! (`--db`, `--format`, opening the store, printing JSON, parsing `24h`-style ages).

use crate::store::{RunSummary, Store};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

/// `println!` that never panics: a closed stdout (`driftscope history | head`) ends output
/// quietly instead of aborting with "Broken pipe".
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(super) use out;

/// Output format of the history subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Flags every history subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct StoreOpts {
    /// History database [default: $DRIFTSCOPE_DB, else `db` of the config file, else
    /// <XDG data dir>/driftscope/history.db]
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

impl StoreOpts {
    /// Open the existing history, or print why not (exit code 2).
    pub(super) fn open(&self) -> Result<Store, i32> {
        let path = super::settings::current().db.value.clone();
        Store::open_existing(&path).map_err(|e| fail(&e))
    }
}

/// Print an error the way every history subcommand does; returns exit code 2.
pub(super) fn fail(e: &dyn std::fmt::Display) -> i32 {
    eprintln!("driftscope: {e}");
    super::EXIT_USAGE
}

/// Print `value` as pretty JSON on stdout.
pub(super) fn print_json<T: Serialize>(value: &T) -> i32 {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            out!("{s}");
            0
        }
        Err(e) => fail(&e),
    }
}

pub(super) use crate::model::parse_age;

/// `2026-11-23 09:15` (UTC).
pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `3h ago`.
pub(super) fn ago(t: DateTime<Utc>) -> String {
    format!(
        "{} ago",
        crate::model::human_duration_secs((Utc::now() - t).num_seconds())
    )
}

/// Print rows as left-aligned columns separated by two spaces.
pub(super) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                let pad = widths.get(i).copied().unwrap_or(0);
                out.push_str(&format!("{c:<pad$}  "));
            }
        }
        out!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only runs of this environment.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// How many runs to list, newest first.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn run(args: HistoryArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let runs = match store.runs(args.env.as_deref(), args.limit) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if args.store.format == Format::Json {
        return print_json(&runs);
    }
    if runs.is_empty() {
        out!("no runs stored yet in {}", store.path().display());
        return 0;
    }
    let rows: Vec<Vec<String>> = runs.iter().map(history_row).collect();
    print_table(
        &[
            "RUN",
            "ENV",
            "STARTED (UTC)",
            "DURATION",
            "SCOPE",
            "STATUS",
            "RESULTS",
        ],
        &rows,
    );
    0
}

fn history_row(r: &RunSummary) -> Vec<String> {
    let duration = r
        .duration_ms
        .map(|ms| crate::model::human_duration(std::time::Duration::from_millis(ms.max(0) as u64)))
        .unwrap_or_else(|| "-".to_string());
    let mut results = r.counts.summary();
    if r.results_lost > 0 {
        results.push_str(&format!(" ({} lost)", r.results_lost));
    }
    vec![
        r.id.clone(),
        r.environment.clone(),
        when(r.started_at),
        duration,
        if r.full_scope {
            "full".to_string()
        } else {
            r.scope.describe()
        },
        r.status.clone(),
        results,
    ]
}
