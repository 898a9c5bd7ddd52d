//! `driftscope status [ENV]`: is an environment ready right now? Exit 0 ready, 1 drifted,
//! 4 stale, 3 unknown; without ENV every stored environment is shown and the worst decides.

use super::history::{Format, StoreOpts, ago, fail, out, parse_age, print_json, print_table};
use crate::model::human_duration_secs;
use crate::store::{FailingStreak, Flapper, Readiness, ReadinessStatus};
use clap::Args;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Environment [default: every environment in the history].
    #[arg(value_name = "ENV")]
    pub env: Option<String>,
    /// Results older than this make the environment STALE.
    #[arg(long, value_name = "AGE", value_parser = parse_age, default_value = "24h")]
    pub stale_after: Duration,
    #[command(flatten)]
    pub store: StoreOpts,
}

/// What `status --format json` prints.
#[derive(Debug, Serialize)]
struct StatusReport {
    environments: Vec<Readiness>,
    /// With ENV: failing checks with their streaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    failing: Option<Vec<FailingStreak>>,
    /// With ENV: checks that keep switching over the last runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    flapping: Option<Vec<Flapper>>,
    exit_code: i32,
}

/// Window and threshold for the flapping list under `status ENV`.
const FLAP_RUNS: usize = 10;
const FLAP_SWITCHES: u32 = 3;
const LIST_MAX: usize = 20;

pub fn run(args: StatusArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let envs = match &args.env {
        Some(e) => vec![e.clone()],
        None => match store.environments() {
            Ok(v) => v,
            Err(e) => return fail(&e),
        },
    };
    let mut environments = Vec::new();
    for env in &envs {
        match store.readiness(env, args.stale_after) {
            Ok(r) => environments.push(r),
            Err(e) => return fail(&e),
        }
    }
    let (failing, flapping) = if args.env.is_some() {
        let env = envs.first().map(String::as_str).unwrap_or_default();
        match (
            store.failing_streaks(env),
            store.flapping(env, FLAP_RUNS, FLAP_SWITCHES, LIST_MAX),
        ) {
            (Ok(f), Ok(fl)) => (Some(f), Some(fl)),
            (Err(e), _) | (_, Err(e)) => return fail(&e),
        }
    } else {
        (None, None)
    };
    let exit_code = environments
        .iter()
        .map(|r| r.status)
        .max()
        .map(ReadinessStatus::exit_code)
        // No environment stored: we know nothing.
        .unwrap_or(ReadinessStatus::Unknown.exit_code());
    let report = StatusReport {
        environments,
        failing,
        flapping,
        exit_code,
    };
    if args.store.format == Format::Json {
        let c = print_json(&report);
        return if c == 0 { exit_code } else { c };
    }
    print_text(&report);
    exit_code
}

fn print_text(report: &StatusReport) {
    if report.environments.is_empty() {
        out!("no runs stored yet: status UNKNOWN");
        return;
    }
    let rows: Vec<Vec<String>> = report
        .environments
        .iter()
        .map(|r| {
            vec![
                r.environment.clone(),
                r.status.as_str().to_string(),
                match r.acknowledged {
                    0 => r.counts.summary(),
                    n => format!("{} ({n} acknowledged)", r.counts.summary()),
                },
                r.oldest_result_at.map(ago).unwrap_or_else(|| "-".into()),
                if r.hosts_not_reached.is_empty() {
                    "-".to_string()
                } else {
                    format!("{}/{}", r.hosts_not_reached.len(), r.hosts_total)
                },
                r.reason.clone(),
            ]
        })
        .collect();
    print_table(
        &["ENV", "STATUS", "RESULTS", "OLDEST", "NOT REACHED", "WHY"],
        &rows,
    );
    let [single] = report.environments.as_slice() else {
        return;
    };
    if !single.failing_by_severity.is_empty() {
        let parts: Vec<String> = single
            .failing_by_severity
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        out!("\nfailing by severity: {}", parts.join(", "));
    }
    if !single.hosts_not_reached.is_empty() {
        out!("not reached: {}", single.hosts_not_reached.join(", "));
    }
    if let Some(failing) = report.failing.as_ref().filter(|f| !f.is_empty()) {
        out!("\nfailing (longest streak first):");
        let rows: Vec<Vec<String>> = failing
            .iter()
            .take(LIST_MAX)
            .map(|f| {
                let since = (chrono::Utc::now() - f.streak.failing_since).num_seconds();
                vec![
                    format!("  {}", f.host),
                    f.key.clone(),
                    f.severity.to_string(),
                    format!(
                        "failing since {} run{} / {}",
                        f.streak.runs,
                        if f.streak.runs == 1 { "" } else { "s" },
                        human_duration_secs(since)
                    ),
                ]
            })
            .collect();
        print_table(&["  HOST", "CHECK", "SEVERITY", "STREAK"], &rows);
        if failing.len() > LIST_MAX {
            out!(
                "  … and {} more (--format json lists all)",
                failing.len() - LIST_MAX
            );
        }
    }
    if let Some(flapping) = report.flapping.as_ref().filter(|f| !f.is_empty()) {
        out!("\nflapping (≥ {FLAP_SWITCHES} switches over the last {FLAP_RUNS} runs):");
        for f in flapping {
            let spark: String = f
                .outcomes
                .iter()
                .map(|o| match o {
                    crate::model::Outcome::Pass => '.',
                    crate::model::Outcome::Fail => 'F',
                    _ => '?',
                })
                .collect();
            out!("  {}  {}  {} switches  {spark}", f.host, f.key, f.switches);
        }
    }
}
