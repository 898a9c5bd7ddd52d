//! `driftscope checks`: validate the check files (and inventory) and list every logical
//! check with how many executions it expands to on each host, then the checks without a SOP.
//! `--lint` instead checks that the library and its SOPs agree ([`crate::sop::lint`]).

use super::common::{SelectArgs, SourceArgs};
use super::history::out;
use crate::config::{Loaded, check_file_texts, expand, targets};
use crate::sop::SopLibrary;
use clap::Args;

#[derive(Debug, Args)]
pub struct ChecksArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Also list each host's executions (keys).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Check the library and its SOPs instead of listing: every check has a title, a
    /// severity and an existing SOP; every SOP parses, has the seven sections and only
    /// placeholders its checks can fill. Problems as file:line, exit 2.
    #[arg(long)]
    pub lint: bool,
}

pub fn run(args: ChecksArgs) -> i32 {
    let (loaded, selection) = match args.select.load_selected(&args.sources) {
        Ok(ls) => ls,
        Err(code) => return code,
    };
    let sops = SopLibrary::for_check_sources(&args.sources.sources().checks);
    if args.lint {
        return lint(&args, &loaded, &sops);
    }
    // Validates the selection (unknown host/category/check → exit 2).
    let plans = match loaded.plan(&selection) {
        Ok(p) => p,
        Err(e) => return super::common::config_error(&e),
    };
    let total: usize = plans.iter().map(|p| p.executions.len()).sum();
    out!(
        "{} checks in {} categories · {} executions on {} host{} · check set {}",
        loaded.checks.len(),
        loaded
            .checks
            .iter()
            .map(|c| c.category.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        total,
        plans.len(),
        if plans.len() == 1 { "" } else { "s" },
        loaded.checkset_hash.chars().take(12).collect::<String>()
    );
    let mut category = "";
    for check in &loaded.checks {
        if !selection.categories.is_empty() && !selection.categories.contains(&check.category) {
            continue;
        }
        if !selection.checks.is_empty() && !selection.checks.contains(&check.id) {
            continue;
        }
        if check.category != category {
            category = &check.category;
            out!("\n[{category}]");
        }
        let mut per_host = Vec::new();
        for p in &plans {
            if targets(check, &p.host) {
                let n = expand(check, &p.environment, &p.host)
                    .map(|v| v.len())
                    .unwrap_or(0);
                per_host.push((p.host.name.as_str(), n));
            }
        }
        let counts: std::collections::BTreeSet<usize> = per_host.iter().map(|x| x.1).collect();
        let expansion = match (per_host.len(), counts.len()) {
            (0, _) => "targets no selected host".to_string(),
            (h, 1) => format!(
                "{} per host × {h} host{}",
                counts.iter().next().copied().unwrap_or(0),
                if h == 1 { "" } else { "s" }
            ),
            _ => per_host
                .iter()
                .map(|(h, n)| format!("{h}={n}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        // The read-only contract's one exception is named where checks are listed.
        let runs = match crate::probe::module(check.module).programs() {
            crate::probe::Programs::UserCommand => " · runs: user command",
            crate::probe::Programs::Only(_) => "",
        };
        let secret = if check.secret == Some(true) {
            " · secret"
        } else {
            ""
        };
        out!(
            "  {:<32} {:<8} {:<13} {expansion}{runs}{secret}",
            check.id,
            check.severity.as_str(),
            check.module.as_str(),
        );
        if args.verbose {
            out!("      {}  ({})", check.title, check.origin);
        }
    }
    let without: Vec<String> = loaded
        .checks
        .iter()
        .filter_map(|c| match &c.sop {
            None => Some(format!("{} (names none)", c.id)),
            Some(id) if sops.get(id).is_none() => Some(format!("{} (sops/{id}.md missing)", c.id)),
            Some(_) => None,
        })
        .collect();
    if without.is_empty() {
        out!("\nevery check has a SOP ({} SOPs)", sops.len());
    } else {
        out!("\nchecks without a SOP ({}):", without.len());
        for w in &without {
            out!("  {w}");
        }
    }
    if args.verbose {
        for p in &plans {
            out!("\n{} ({}):", p.host.name, p.environment);
            for e in &p.executions {
                out!("  {}  {} {}", e.key, e.target.module, e.target.subject);
            }
        }
    }
    0
}

/// `--lint`: print every problem to stderr; exit 2 when there is one.
fn lint(args: &ChecksArgs, loaded: &Loaded, sops: &SopLibrary) -> i32 {
    let files = match check_file_texts(&args.sources.sources()) {
        Ok(f) => f,
        Err(e) => return super::common::config_error(&e),
    };
    let today = chrono::Utc::now().date_naive();
    let problems = crate::sop::lint::lint(loaded, &files, sops, today);
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        out!(
            "lint: {} checks, {} SOPs: no problems",
            loaded.checks.len(),
            sops.len()
        );
        0
    } else {
        eprintln!(
            "lint: {} problem{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        super::EXIT_USAGE
    }
}
