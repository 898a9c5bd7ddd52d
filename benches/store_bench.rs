//! Store benchmark: a realistic history pushed through the real writer thread, then every
//! query timed on the resulting SQLite file.
//!
//! Default size: 200 runs × 500 hosts × 100 checks = 10M results (~2% drift: persistent
//! failures, flapping checks, sporadic new drift, one unreachable host per 10th run).
//! Smaller: `DRIFTSCOPE_BENCH_RUNS=20 DRIFTSCOPE_BENCH_HOSTS=100 cargo bench --bench store_bench`.
//! `DRIFTSCOPE_BENCH_DIR` keeps the database in that directory (default: a temp dir).

use chrono::{Duration as ChronoDuration, Utc};
use driftscope::exec::Event;
use driftscope::model::{
    ExecKey, Outcome, OutcomeCounts, ResultRecord, RunMeta, Scope, Severity, Value,
};
use driftscope::store::{Store, StoreWriter};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic per-(host, check) hash for choosing which pairs drift.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

struct CheckDef {
    key: ExecKey,
    check_id: String,
    title: String,
    category: String,
    severity: Severity,
    expected: Value,
    pass_actual: Value,
    fail_actuals: Vec<Value>,
}

fn main() {
    let runs = env_usize("DRIFTSCOPE_BENCH_RUNS", 200);
    let hosts = env_usize("DRIFTSCOPE_BENCH_HOSTS", 500);
    let checks = env_usize("DRIFTSCOPE_BENCH_CHECKS", 100);
    let total = runs * hosts * checks;
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var_os("DRIFTSCOPE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("bench dir");
    let db = dir.join("bench-history.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    println!("store bench: {runs} runs × {hosts} hosts × {checks} checks = {total} results");
    println!("database: {}", db.display());

    let defs: Vec<CheckDef> = (0..checks)
        .map(|c| {
            let id = format!("bench.check-{c:03}");
            let want = format!("want-{c}");
            CheckDef {
                key: ExecKey(format!("{id}[param=p{c}]")),
                check_id: id,
                title: format!("benchmark check {c} has its expected value"),
                category: format!("cat{}", c % 10),
                severity: Severity::ALL[c % 5],
                expected: json!({ "value": want }),
                pass_actual: json!({ "value": want }),
                fail_actuals: (0..4)
                    .map(|v| json!({ "value": format!("drift-{c}-{v}") }))
                    .collect(),
            }
        })
        .collect();
    let host_names: Vec<String> = (0..hosts).map(|h| format!("host-{h:04}.bench")).collect();
    let now = Utc::now();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);

    let writer = StoreWriter::spawn(&db).expect("spawn writer");
    let t0 = Instant::now();
    let mut last_runs = Vec::new();
    for r in 0..runs {
        let started = now - ChronoDuration::minutes(((runs - r) * 60) as i64);
        let run_id = format!("bench-{r:05}");
        let meta = RunMeta {
            id: run_id.clone(),
            started_at: started,
            scope: Scope {
                environment: "bench".into(),
                ..Scope::default()
            },
            driftscope_version: "bench".into(),
            user: "bench".into(),
            client_host: "bench".into(),
            checkset_hash: "bench".into(),
            host_count: hosts,
            execution_count: hosts * checks,
        };
        writer.send(&Event::RunStarted(Arc::new(meta)));
        let down_host = if r % 10 == 9 {
            Some((r * 7) % hosts)
        } else {
            None
        };
        let mut counts = OutcomeCounts::default();
        for (h, host) in host_names.iter().enumerate() {
            for (c, def) in defs.iter().enumerate() {
                let m = mix(h as u64, c as u64) % 1000;
                let (outcome, actual, reason) = if down_host == Some(h) {
                    (
                        Outcome::Unreachable,
                        json!({}),
                        Some(format!(
                            "ssh: connect to host {host} port 22: Connection timed out"
                        )),
                    )
                } else {
                    let fails = if m < 16 {
                        true // persistent drift (1.6%)
                    } else if m < 19 {
                        (r + h) % 2 == 0 // flapping (0.3%)
                    } else {
                        rng.next().is_multiple_of(1000) // sporadic drift (0.1%)
                    };
                    if fails {
                        let v = (m as usize + r / 50) % def.fail_actuals.len();
                        (
                            Outcome::Fail,
                            def.fail_actuals[v].clone(),
                            Some("value differs".to_string()),
                        )
                    } else {
                        (Outcome::Pass, def.pass_actual.clone(), None)
                    }
                };
                counts.add(outcome);
                let rec = ResultRecord {
                    environment: "bench".into(),
                    host: host.clone(),
                    key: def.key.clone(),
                    check_id: def.check_id.clone(),
                    title: def.title.clone(),
                    category: def.category.clone(),
                    severity: def.severity,
                    outcome,
                    expected: def.expected.clone(),
                    actual,
                    reason,
                    duration: Duration::from_millis(40 + (h % 50) as u64),
                    sop: None,
                };
                writer.send(&Event::CheckResult(Box::new(rec)));
            }
        }
        writer.send(&Event::RunFinished {
            run_id: run_id.clone(),
            finished_at: started + ChronoDuration::seconds(90),
            counts,
            cancelled: false,
        });
        last_runs.push(run_id);
        if (r + 1) % 20 == 0 {
            let secs = t0.elapsed().as_secs_f64();
            let done = (r + 1) * hosts * checks;
            eprintln!(
                "  {done} results sent, {:.0} results/s so far",
                done as f64 / secs
            );
        }
    }
    let report = writer.finish().expect("finish writer");
    let ingest = t0.elapsed();
    assert_eq!(report.results_lost, 0, "results lost: {:?}", report.errors);
    let rate = report.results_written as f64 / ingest.as_secs_f64();

    let store = Store::open(&db).expect("open store");
    // Settle the WAL into the main file so the size is the size at rest.
    let bytes_with_wal = store.file_bytes();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&db).expect("open for checkpoint");
        let _: (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("checkpoint");
    }
    let store = Store::open(&db).expect("open store");
    let bytes = store.file_bytes();
    let per_result = bytes as f64 / report.results_written.max(1) as f64;

    let mut rows: Vec<(String, Duration, String)> = Vec::new();
    // Median of a few repetitions (the first also warms the page cache, as a TUI that has been
    // open for a moment would have).
    const REPS: usize = 5;
    let median = |f: &mut dyn FnMut()| {
        let mut times: Vec<Duration> = (0..REPS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        times.sort();
        times[REPS / 2]
    };

    let mut latest_n = 0;
    let d = median(&mut || latest_n = store.latest_state("bench").expect("latest").entries.len());
    rows.push((
        "latest state (env)".into(),
        d,
        format!("< 200 ms; {latest_n} entries"),
    ));

    let mut status = String::new();
    let d = median(&mut || {
        status = store
            .readiness("bench", Duration::from_secs(86_400 * 365))
            .expect("readiness")
            .status
            .as_str()
            .to_string()
    });
    rows.push(("readiness (env)".into(), d, format!("< 200 ms; {status}")));

    let samples = 200;
    let mut worst = Duration::ZERO;
    let t = Instant::now();
    for i in 0..samples {
        let h = (rng.next() as usize) % hosts;
        let c = (rng.next() as usize + i) % checks;
        let s = Instant::now();
        let tl = store
            .timeline(Some("bench"), &host_names[h], defs[c].key.as_str(), 20)
            .expect("timeline");
        assert!(!tl.entries.is_empty());
        worst = worst.max(s.elapsed());
    }
    let avg = t.elapsed() / samples as u32;
    rows.push((
        "timeline host×check, K=20".into(),
        avg,
        format!(
            "< 10 ms; mean of {samples} random pairs, worst {:.2} ms",
            worst.as_secs_f64() * 1000.0
        ),
    ));

    if last_runs.len() >= 2 {
        let (a, b) = (
            &last_runs[last_runs.len() - 2],
            &last_runs[last_runs.len() - 1],
        );
        let mut n = 0;
        let d = median(&mut || n = store.diff(a, b).expect("diff").transitions.len());
        rows.push((
            "run-vs-run diff".into(),
            d,
            format!("< 300 ms; {n} transitions"),
        ));
    }

    let mut n = 0;
    let d = median(&mut || n = store.flapping("bench", 20, 4, 100).expect("flapping").len());
    rows.push((
        "flapping, K=20 M=4".into(),
        d,
        format!("no target; {n} listed (limit 100)"),
    ));

    let mut n = 0;
    let d = median(&mut || n = store.failing_streaks("bench").expect("streaks").len());
    rows.push((
        "failing streaks (env)".into(),
        d,
        format!("no target; {n} failing"),
    ));

    let mut n = 0;
    let d = median(&mut || n = store.runs(None, 50).expect("runs").len());
    rows.push(("history, 50 runs".into(), d, format!("{n} runs")));

    println!();
    println!(
        "ingest: {} results in {:.1} s = {:.0} results/s (target ≥ 200000)",
        report.results_written,
        ingest.as_secs_f64(),
        rate
    );
    println!(
        "disk:   {bytes} bytes = {per_result:.1} bytes/result (target ≤ 40; {bytes_with_wal} bytes incl. WAL right after the run)"
    );
    for (name, d, note) in rows {
        println!("{name:<28} {:>9.2} ms   ({note})", d.as_secs_f64() * 1000.0);
    }
}
