//! `driftscope prune`: delete old runs from the history and give the space back.

use super::history::{Format, StoreOpts, fail, out, parse_age, print_json};
use crate::store::PruneSpec;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true)))]
pub struct PruneArgs {
    /// Keep the newest N runs of each environment.
    #[arg(long, value_name = "N", group = "what")]
    pub keep_runs: Option<usize>,
    /// Delete runs that started longer ago than this (e.g. 90d).
    #[arg(long, value_name = "AGE", value_parser = parse_age, group = "what")]
    pub older_than: Option<Duration>,
    /// Rewrite the whole file afterwards (slower; the default frees pages incrementally).
    #[arg(long)]
    pub vacuum: bool,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn run(args: PruneArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let spec = PruneSpec {
        keep_runs: args.keep_runs,
        older_than: args.older_than,
        vacuum: args.vacuum,
    };
    let report = match store.prune(&spec) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if args.store.format == Format::Json {
        return print_json(&report);
    }
    let mb = |b: u64| b as f64 / 1_048_576.0;
    out!(
        "deleted {} runs ({} results, {} values, {} hosts, {} checks no longer used); \
         {:.1} MiB → {:.1} MiB",
        report.runs_deleted,
        report.results_deleted,
        report.values_deleted,
        report.hosts_deleted,
        report.checks_deleted,
        mb(report.bytes_before),
        mb(report.bytes_after)
    );
    0
}
