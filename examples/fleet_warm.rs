//! Fleet benchmark helper (benches/fleet/bench.sh): one cold run, then full re-checks over
//! the SSH sessions the transport kept — what the TUI's re-check does, which the CLI `run`
//! cannot show because it closes its pool at exit.
//!
//! ```text
//! cargo run --release --example fleet_warm -- INVENTORY CHECKS_DIR SSH_CONFIG [WARM_RUNS] [JOBS]
//! ```
//!
//! Prints one JSON object: `cold_s`, `warm_s` (one per warm run), `executions`, and for every
//! run the failing `(host, check id)` pairs, so the caller can compare them with the
//! injected drift.

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::exec::{self, Event, ExecOptions, TransportSet};
use driftscope::model::{Outcome, RunMeta, Scope};
use driftscope::transport::Transport;
use driftscope::transport::ssh::{SshOptions, SshTransport};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct RunStats {
    seconds: f64,
    executions: usize,
    failing: BTreeSet<(String, String)>,
    problems: Vec<String>,
}

async fn one_run(loaded: &Loaded, transports: &TransportSet, opts: ExecOptions) -> RunStats {
    let plans = match loaded.plan(&Selection::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("fleet_warm: {e}");
            std::process::exit(2);
        }
    };
    let now = chrono::Utc::now();
    let meta = RunMeta {
        id: RunMeta::new_id(now),
        started_at: now,
        scope: Scope::default(),
        driftscope_version: env!("CARGO_PKG_VERSION").into(),
        user: "bench".into(),
        client_host: "bench".into(),
        checkset_hash: loaded.checkset_hash.clone(),
        host_count: plans.len(),
        execution_count: plans.iter().map(|p| p.executions.len()).sum(),
    };
    let (tx, mut rx) = mpsc::channel(4096);
    let started = Instant::now();
    let run = tokio::spawn(exec::execute(
        meta,
        plans,
        transports.clone(),
        opts,
        tx,
        CancellationToken::new(),
    ));
    let mut stats = RunStats {
        seconds: 0.0,
        executions: 0,
        failing: BTreeSet::new(),
        problems: Vec::new(),
    };
    while let Some(ev) = rx.recv().await {
        if let Event::CheckResult(r) = ev {
            stats.executions += 1;
            match r.outcome {
                Outcome::Pass => {}
                Outcome::Fail => {
                    stats.failing.insert((r.host.clone(), r.check_id.clone()));
                }
                other => stats.problems.push(format!(
                    "{} {} {other}: {}",
                    r.host,
                    r.key,
                    r.reason.clone().unwrap_or_default()
                )),
            }
        }
    }
    let _ = run.await;
    stats.seconds = started.elapsed().as_secs_f64();
    stats
}

fn to_json(s: &RunStats) -> serde_json::Value {
    serde_json::json!({
        "seconds": (s.seconds * 1e4).round() / 1e4,
        "executions": s.executions,
        "failing": s.failing.iter().map(|(h, c)| [h, c]).collect::<Vec<_>>(),
        "problems": s.problems,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: fleet_warm INVENTORY CHECKS_DIR SSH_CONFIG [WARM_RUNS] [JOBS]");
        std::process::exit(2);
    }
    let warm_runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let jobs: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(64);
    let sources = Sources {
        inventories: vec![PathBuf::from(&args[0])],
        checks: vec![PathBuf::from(&args[1])],
        ..Sources::default()
    };
    let loaded = match Loaded::load(&sources) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fleet_warm: {e}");
            std::process::exit(2);
        }
    };
    let ssh = Arc::new(SshTransport::new(SshOptions {
        config_file: Some(PathBuf::from(&args[2])),
        ..SshOptions::default()
    }));
    let transports = TransportSet {
        ssh: Some(ssh.clone()),
        ..TransportSet::local_only()
    };
    let opts = ExecOptions {
        jobs,
        ..ExecOptions::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fleet_warm: cannot start tokio: {e}");
            std::process::exit(2);
        }
    };
    let out = runtime.block_on(async {
        let cold = one_run(&loaded, &transports, opts).await;
        let mut warm = Vec::new();
        for _ in 0..warm_runs {
            warm.push(one_run(&loaded, &transports, opts).await);
        }
        ssh.close().await;
        serde_json::json!({
            "cold": to_json(&cold),
            "warm": warm.iter().map(to_json).collect::<Vec<_>>(),
        })
    });
    println!("{out}");
}
