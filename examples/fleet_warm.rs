//! Fleet benchmark helper (benches/fleet/bench.sh): one cold run, then full re-checks over
//! the SSH sessions the transport kept — what the TUI's re-check does, which the CLI `run`
//! cannot show because it closes its pool at exit.
//!
//! ```text
//! cargo run --release --example fleet_warm -- INVENTORY CHECKS_DIR SSH_CONFIG [WARM_RUNS] [JOBS]
//! ```
//!
//! The transport keeps a spare session per host, as the TUI does (`SPARES=0` in the
//! environment: without, as before). Prints one JSON object: `cold`, `warm` (one per warm
//! run), `one_row` (re-checks of one check on one host over its kept session, what `r` on a
//! row does, each after a pause of `THINK_MS`, default 300, as between two key presses) and
//! `one_row_fresh` (the same, alternated with `one_row`, through a second transport without
//! spare sessions: a new session per re-check), each with its seconds,
//! executions, the failing `(host, check id)` pairs (so the caller can compare them with the
//! injected drift) and where the CPU went: `client_self_s` (this process: executor, mux
//! handling, events), `client_ssh_s` (the ssh masters pointed at SSH_CONFIG) and `host_s`
//! (every fleet sshd listener and what runs below it, when `$DRBENCH_STATE/hosts/*/sshd.pid`
//! exist).
//!
//! `PERF_CTL_FIFO`/`PERF_ACK_FIFO` (the fifos of `perf record -D -1 --control
//! fifo:CTL,ACK`): the events are enabled exactly while a warm full re-check runs (from its
//! start to its last result), so `perf record -a` sees only the warm windows
//! (benches/fleet/cpu_by_program.sh).

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
    cpu: CpuSplit,
    executions: usize,
    failing: BTreeSet<(String, String)>,
    problems: Vec<String>,
}

/// CPU seconds by side, from /proc (clock ticks).
#[derive(Debug, Clone, Copy, Default)]
struct CpuSplit {
    client_self: f64,
    client_ssh: f64,
    host: f64,
}

impl CpuSplit {
    fn since(self, before: CpuSplit) -> CpuSplit {
        CpuSplit {
            client_self: self.client_self - before.client_self,
            client_ssh: self.client_ssh - before.client_ssh,
            host: self.host - before.host,
        }
    }
}

/// (pid, ppid, own CPU ticks, reaped children's CPU ticks, comm, cmdline) of every live process.
fn proc_table() -> Vec<(u32, u32, u64, u64, String, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head
            .split_once('(')
            .map(|(_, c)| c)
            .unwrap_or("")
            .to_string();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        out.push((
            pid,
            num(1) as u32,
            num(11) + num(12),
            num(13) + num(14),
            comm,
            cmdline,
        ));
    }
    out
}

fn sample_cpu(ssh_config: &str) -> CpuSplit {
    let tick = 100.0; // USER_HZ on Linux
    let table = proc_table();
    let me = std::process::id();
    // Our own CPU only; the reaped children are the pre-fork `ssh` of new connections.
    let (client_self, handshakes) = table
        .iter()
        .find(|p| p.0 == me)
        .map(|p| (p.2 as f64 / tick, p.3 as f64 / tick))
        .unwrap_or((0.0, 0.0));
    let client_ssh = handshakes
        + table
            .iter()
            .filter(|p| p.4 == "ssh" && p.5.contains(ssh_config))
            .map(|p| (p.2 + p.3) as f64 / tick)
            .sum::<f64>();
    let state = std::env::var("DRBENCH_STATE").unwrap_or_else(|_| "/tmp/drbench".into());
    let mut todo: Vec<u32> = std::fs::read_dir(format!("{state}/hosts"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("sshd.pid")).ok())
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut host = 0.0;
    while let Some(pid) = todo.pop() {
        for p in &table {
            if p.0 == pid {
                host += (p.2 + p.3) as f64 / tick;
            }
            if p.1 == pid {
                todo.push(p.0);
            }
        }
    }
    CpuSplit {
        client_self,
        client_ssh,
        host,
    }
}

/// perf's control fifos, when `PERF_CTL_FIFO` and `PERF_ACK_FIFO` name them.
struct PerfWindow(Option<std::sync::Mutex<(std::fs::File, std::io::BufReader<std::fs::File>)>>);

impl PerfWindow {
    fn from_env() -> PerfWindow {
        let (Some(ctl), Some(ack)) = (
            std::env::var_os("PERF_CTL_FIFO"),
            std::env::var_os("PERF_ACK_FIFO"),
        ) else {
            return PerfWindow(None);
        };
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .open(ctl)
            .and_then(|c| Ok((c, std::io::BufReader::new(std::fs::File::open(ack)?))));
        match opened {
            Ok(fifos) => PerfWindow(Some(std::sync::Mutex::new(fifos))),
            Err(e) => {
                eprintln!("fleet_warm: perf control fifos: {e}");
                std::process::exit(2);
            }
        }
    }

    /// `enable` or `disable` perf's events, and wait until perf says it did.
    fn set(&self, command: &str) {
        use std::io::{BufRead, Write};
        let Some(fifos) = &self.0 else { return };
        let Ok(mut guard) = fifos.lock() else { return };
        let (ctl, ack) = &mut *guard;
        let mut line = String::new();
        if writeln!(ctl, "{command}").is_err() || ack.read_line(&mut line).is_err() {
            eprintln!("fleet_warm: perf did not take `{command}`");
        }
    }
}

async fn one_run(
    loaded: &Loaded,
    transports: &TransportSet,
    opts: ExecOptions,
    selection: &Selection,
    ssh_config: &str,
    window: Option<&PerfWindow>,
) -> RunStats {
    let cpu_before = sample_cpu(ssh_config);
    let plans = match loaded.plan(selection) {
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
    if let Some(w) = window {
        w.set("enable");
    }
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
        cpu: CpuSplit::default(),
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
    if let Some(w) = window {
        w.set("disable");
    }
    // The fleet's side reaps its session processes a moment after the last output.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stats.cpu = sample_cpu(ssh_config).since(cpu_before);
    stats
}

fn to_json(s: &RunStats) -> serde_json::Value {
    serde_json::json!({
        "seconds": (s.seconds * 1e4).round() / 1e4,
        "client_self_s": (s.cpu.client_self * 1e3).round() / 1e3,
        "client_ssh_s": (s.cpu.client_ssh * 1e3).round() / 1e3,
        "host_s": (s.cpu.host * 1e3).round() / 1e3,
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
    let spares = std::env::var("SPARES").map_or(true, |v| v != "0");
    let think = std::time::Duration::from_millis(
        std::env::var("THINK_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
    );
    let transport = |spare_sessions| {
        Arc::new(SshTransport::new(SshOptions {
            config_file: Some(PathBuf::from(&args[2])),
            spare_sessions,
            ..SshOptions::default()
        }))
    };
    let ssh = transport(spares);
    let transports = TransportSet {
        ssh: Some(ssh.clone()),
        ..TransportSet::local_only()
    };
    let fresh_ssh = transport(false);
    let fresh = TransportSet {
        ssh: Some(fresh_ssh.clone()),
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
    let window = PerfWindow::from_env();
    let out = runtime.block_on(async {
        let all = Selection::default();
        let cfg = args[2].as_str();
        let cold = one_run(&loaded, &transports, opts, &all, cfg, None).await;
        let mut warm = Vec::new();
        for _ in 0..warm_runs {
            warm.push(one_run(&loaded, &transports, opts, &all, cfg, Some(&window)).await);
        }
        // One row: the first host's first check without a matrix, over its kept session.
        let one_row = Selection {
            hosts: loaded
                .environments
                .first()
                .and_then(|e| e.hosts.first())
                .map(|h| vec![h.name.clone()])
                .unwrap_or_default(),
            checks: loaded
                .checks
                .iter()
                .find(|c| c.for_each.is_empty())
                .map(|c| vec![c.id.clone()])
                .unwrap_or_default(),
            ..Selection::default()
        };
        // The fresh transport's connection to that host (not measured).
        one_run(&loaded, &fresh, opts, &one_row, cfg, None).await;
        let (mut rows, mut fresh_rows) = (Vec::new(), Vec::new());
        for _ in 0..warm_runs.max(5) {
            tokio::time::sleep(think).await;
            rows.push(one_run(&loaded, &transports, opts, &one_row, cfg, None).await);
            tokio::time::sleep(think).await;
            fresh_rows.push(one_run(&loaded, &fresh, opts, &one_row, cfg, None).await);
        }
        ssh.close().await;
        fresh_ssh.close().await;
        serde_json::json!({
            "spare_sessions": spares,
            "cold": to_json(&cold),
            "warm": warm.iter().map(to_json).collect::<Vec<_>>(),
            "one_row": rows.iter().map(to_json).collect::<Vec<_>>(),
            "one_row_fresh": fresh_rows.iter().map(to_json).collect::<Vec<_>>(),
        })
    });
    println!("{out}");
}
