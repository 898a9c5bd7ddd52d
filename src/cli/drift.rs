//! `driftscope drift`: what changed between two runs, grouped by host or by check, with
//! expected vs actual. Exit 1 when there are new failures.

use super::history::{Format, StoreOpts, ago, fail, out, parse_age, print_json, when};
use crate::store::{DiffSide, RunDiff, RunSummary, Store, StoreError, Transition, TransitionKind};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::time::Duration;

/// How transitions are grouped in text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Host,
    Check,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Environment (default: the environment of the newest run).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The run to look at (id or unique prefix) [default: the newest run].
    #[arg(long, value_name = "RUN", conflicts_with = "since")]
    pub run: Option<String>,
    /// The run to compare against [default: the previous run of the same environment].
    #[arg(long, value_name = "RUN", conflicts_with = "since")]
    pub vs: Option<String>,
    /// Compare the newest run with the state this long ago (e.g. 24h, 7d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub since: Option<Duration>,
    /// Group by host or by check.
    #[arg(long, value_enum, default_value_t = GroupBy::Host)]
    pub by: GroupBy,
    /// Also list checks that were already failing with the same values.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn run(args: DriftArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let diff = match pick_runs(&store, &args) {
        Ok(Some((before, after))) => match store.diff_runs(before, after) {
            Ok(d) => d,
            Err(e) => return fail(&e),
        },
        Ok(None) => return 0,
        Err(e) => return fail(&e),
    };
    let code = i32::from(diff.count(TransitionKind::NewFailure) > 0);
    if args.store.format == Format::Json {
        let c = print_json(&diff);
        return if c == 0 { code } else { c };
    }
    print_text(&diff, args.by, args.all);
    code
}

/// (before, after), or `None` when there is nothing to compare (message printed).
fn pick_runs(
    store: &Store,
    args: &DriftArgs,
) -> Result<Option<(RunSummary, RunSummary)>, StoreError> {
    let after = match &args.run {
        Some(id) => store.run(id)?,
        None => match store.latest_run(args.env.as_deref())? {
            Some(r) => r,
            None => {
                eprintln!("driftscope: no runs stored yet; nothing to compare");
                return Ok(None);
            }
        },
    };
    if let Some(env) = &args.env
        && &after.environment != env
        && args.run.is_some()
    {
        return Err(StoreError::NotFound(format!(
            "run {} is of environment {:?}, not {env:?}",
            after.id, after.environment
        )));
    }
    let before = if let Some(id) = &args.vs {
        Some(store.run(id)?)
    } else if let Some(age) = args.since {
        let cutoff =
            chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        match store.run_before(&after.environment, cutoff)? {
            Some(r) => Some(r),
            None => {
                // Nothing that old: compare with the oldest run we have.
                let oldest = store
                    .runs(Some(&after.environment), usize::MAX)?
                    .into_iter()
                    .last();
                if let Some(o) = &oldest {
                    eprintln!(
                        "driftscope: no run of {} that old; comparing with the oldest ({})",
                        after.environment,
                        when(o.started_at)
                    );
                }
                oldest
            }
        }
    } else {
        store.previous_run(&after)?
    };
    match before {
        Some(b) if b.id != after.id => Ok(Some((b, after))),
        _ => {
            eprintln!(
                "driftscope: only one run of {} is stored ({}); nothing to compare yet",
                after.environment, after.id
            );
            Ok(None)
        }
    }
}

fn side_line(label: &str, s: &DiffSide) -> String {
    let mut line = format!("{label:<9}{} {}", s.outcome, compact(&s.actual));
    if let Some(r) = s
        .reason
        .as_ref()
        .filter(|_| s.outcome != crate::model::Outcome::Fail)
    {
        line.push_str(&format!(" ({r})"));
    }
    line
}

fn compact(v: &crate::model::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn mark(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::NewFailure => "+",
        TransitionKind::Fixed => "-",
        TransitionKind::NewlyUnreachable => "!",
        TransitionKind::ValueChanged => "~",
        TransitionKind::OutcomeChanged => "*",
        TransitionKind::StillFailing => "=",
    }
}

fn print_text(diff: &RunDiff, by: GroupBy, all: bool) {
    let (a, b) = (&diff.run_a, &diff.run_b);
    out!(
        "drift in {}: {} ({}, {}) → {} ({}, {})",
        b.environment,
        a.id,
        when(a.started_at),
        ago(a.started_at),
        b.id,
        when(b.started_at),
        ago(b.started_at),
    );
    if !b.full_scope {
        out!(
            "note: {} was a narrow re-check ({})",
            b.id,
            b.scope.describe()
        );
    }
    let summary: Vec<String> = diff
        .counts
        .iter()
        .map(|(k, n)| match (k, n) {
            (TransitionKind::NewFailure, 1) | (TransitionKind::NewFailure, 0) => {
                format!("{n} new failure")
            }
            (TransitionKind::NewFailure, _) => format!("{n} new failures"),
            _ => format!("{n} {}", k.as_str()),
        })
        .collect();
    if summary.is_empty() {
        out!("no changes");
        return;
    }
    out!("{}", summary.join(", "));
    let shown: Vec<&Transition> = diff
        .transitions
        .iter()
        .filter(|t| all || t.kind != TransitionKind::StillFailing)
        .collect();
    let mut groups: BTreeMap<&str, Vec<&Transition>> = BTreeMap::new();
    for t in shown {
        let key = match by {
            GroupBy::Host => t.host.as_str(),
            GroupBy::Check => t.key.as_str(),
        };
        groups.entry(key).or_default().push(t);
    }
    for (group, items) in groups {
        out!();
        out!("{group}");
        for t in items {
            let other = match by {
                GroupBy::Host => &t.key,
                GroupBy::Check => &t.host,
            };
            out!(
                "  {} {other}  {} ({})",
                mark(t.kind),
                t.kind.as_str(),
                t.severity
            );
            out!("      {:<9}{}", "expected", compact(&t.after.expected));
            if let Some(before) = &t.before {
                out!("      {}", side_line("before", before));
            }
            out!("      {}", side_line("now", &t.after));
        }
    }
    if !all && diff.count(TransitionKind::StillFailing) > 0 {
        out!();
        out!(
            "({} still failing with the same values; --all lists them)",
            diff.count(TransitionKind::StillFailing)
        );
    }
}
