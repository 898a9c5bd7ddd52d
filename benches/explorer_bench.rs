//! Drift explorer benchmark: the TUI's history paths end to end (the real query thread and
//! its read-only connection, the reducer, a frame drawn into a TestBackend) against the
//! 10M-result store that `benches/store_bench.rs` builds, plus a 10k-run store built here.
//!
//! Run it with `benches/explorer.sh` (builds the 10M store once with store_bench into
//! `$DRIFTSCOPE_BENCH_DIR`, default `target/bench-store`, then runs this). Each figure is
//! measured RUNS times (default 3, `DRIFTSCOPE_BENCH_REPEAT`) and printed as min–max, next
//! to the plain store call measured in the same run (the ratio is what the TUI adds).
//!
//! - first frame: open → stored latest state asked, its first part (verdict + the worst
//!   rows, a screenful) answered, applied, settled, drawn; then the rest of the 50k rows
//!   part by part, a frame after each part: the time until all are in and the longest
//!   step (one part applied + settle + draw);
//! - runs screen over 10k runs: `H` → list answered → drawn;
//! - drift screen: `D` → report answered → drawn;
//! - timeline after the cursor stops: the request → answer → drawn;
//! - holding `j` over 1000 rows: requests issued and queries run, keys arriving 1 per ms
//!   with a frame every 16 ms;
//! - the longest frame drawn while the drift query runs; RSS with the 50k stored rows.

use chrono::{Duration as ChronoDuration, Utc};
use driftscope::exec::Event;
use driftscope::model::{ExecKey, Outcome, OutcomeCounts, ResultRecord, RunMeta, Scope, Severity};
use driftscope::store::LatestOrder;
use driftscope::store::{Store, StoreWriter};
use driftscope::tui::app::{App, EnvEntry, Msg};
use driftscope::tui::keymap::Keymap;
use driftscope::tui::queries::{
    HistoryAnswer, HistoryQuery, LATEST_FIRST_ROWS, LATEST_PART_ROWS, QueryThread,
};
use driftscope::tui::theme::Theme;
use driftscope::tui::worker::Reply;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, error::TryRecvError};

const W: u16 = 200;
const H: u16 = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn app_for(env: &str) -> App {
    let mut app = App::new(
        vec![EnvEntry {
            name: env.to_string(),
            hosts: Vec::new(),
        }],
        Default::default(),
        Default::default(),
        Keymap::embedded(),
        Theme::default_theme(),
        "bench".into(),
        Instant::now(),
    );
    app.update(Msg::Resize(W, H));
    app
}

fn next_answer(rx: &mut UnboundedReceiver<Reply>) -> HistoryAnswer {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match rx.try_recv() {
            Ok(Reply::Msg(Msg::History(a))) => return a,
            Ok(_) => {}
            Err(TryRecvError::Empty) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_micros(200))
            }
            Err(e) => panic!("no answer from the query thread: {e}"),
        }
    }
}

fn draw(app: &mut App, term: &mut Terminal<TestBackend>) -> Duration {
    let t = Instant::now();
    app.settle();
    term.draw(|f| app.draw(f)).expect("draw");
    t.elapsed()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// CPU time of the calling thread: unlike wall time, not inflated by other processes on a
/// shared machine.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The longest work while the stored state's remaining parts came in: applying one part
/// (between two frames in the event loop, so it delays a frame by that much) and one frame
/// (settle + draw), each as wall time and as the thread's CPU time.
#[derive(Default)]
struct Steps {
    apply: Duration,
    apply_cpu: Duration,
    frame: Duration,
    frame_cpu: Duration,
}

/// The stored state's remaining parts, a frame drawn after each (as the event loop does
/// when parts arrive slower than frames; faster, it draws less often).
fn rest_of_stored(
    app: &mut App,
    rx: &mut UnboundedReceiver<Reply>,
    term: &mut Terminal<TestBackend>,
) -> Steps {
    let mut w = Steps::default();
    while app
        .header
        .stored
        .as_ref()
        .is_some_and(|s| s.loading.is_some())
    {
        let a = next_answer(rx);
        let (t, cpu) = (Instant::now(), thread_cpu());
        app.update(Msg::History(a));
        let (t2, cpu2) = (Instant::now(), thread_cpu());
        draw(app, term);
        let cpu3 = thread_cpu();
        w.apply = w.apply.max(t2 - t);
        w.apply_cpu = w.apply_cpu.max(cpu2.saturating_sub(cpu));
        w.frame = w.frame.max(t2.elapsed());
        w.frame_cpu = w.frame_cpu.max(cpu3.saturating_sub(cpu2));
    }
    w
}

/// Open on the stored state and wait until every part is in (frames drawn between parts).
fn open_stored(
    app: &mut App,
    q: &QueryThread,
    rx: &mut UnboundedReceiver<Reply>,
    term: &mut Terminal<TestBackend>,
) {
    serve(app, q, rx, Msg::Opened);
    draw(app, term);
    rest_of_stored(app, rx, term);
}

fn serve(app: &mut App, q: &QueryThread, rx: &mut UnboundedReceiver<Reply>, msg: Msg) {
    for e in app.update(msg) {
        if let driftscope::tui::app::Effect::Query(query) = e {
            q.ask(query);
            let a = next_answer(rx);
            app.update(Msg::History(a));
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn range(v: &[Duration]) -> String {
    let min = v.iter().min().copied().unwrap_or_default();
    let max = v.iter().max().copied().unwrap_or_default();
    format!("{:>8.1}–{:<8.1}ms", ms(min), ms(max))
}

/// Runs `f` `n` times, returning every duration.
fn repeat(n: usize, mut f: impl FnMut() -> Duration) -> Vec<Duration> {
    (0..n).map(|_| f()).collect()
}

fn report(name: &str, tui: &[Duration], raw: &[Duration], target: &str) {
    let ratio = |a: &[Duration], b: &[Duration]| {
        let a = a.iter().min().copied().unwrap_or_default();
        let b = b.iter().min().copied().unwrap_or_default();
        if b.is_zero() {
            0.0
        } else {
            a.as_secs_f64() / b.as_secs_f64()
        }
    };
    println!(
        "{name:<34} {}  store call {}  ×{:.2}  (target {target})",
        range(tui),
        range(raw),
        ratio(tui, raw)
    );
}

/// A history of `runs` small runs (10 results each) of env `many`.
fn build_many_runs(db: &Path, runs: usize) {
    let writer = StoreWriter::spawn(db).expect("writer");
    let now = Utc::now();
    for r in 0..runs {
        let started = now - ChronoDuration::minutes((runs - r) as i64);
        let id = format!("many-{r:05}");
        writer.send(&Event::RunStarted(Arc::new(RunMeta {
            id: id.clone(),
            started_at: started,
            scope: Scope {
                environment: "many".into(),
                ..Scope::default()
            },
            driftscope_version: "bench".into(),
            user: "bench".into(),
            client_host: "bench".into(),
            checkset_hash: "bench".into(),
            host_count: 1,
            execution_count: 10,
        })));
        let mut counts = OutcomeCounts::default();
        for c in 0..10 {
            let outcome = if (r + c) % 7 == 0 {
                Outcome::Fail
            } else {
                Outcome::Pass
            };
            counts.add(outcome);
            writer.send(&Event::CheckResult(Box::new(ResultRecord {
                environment: "many".into(),
                host: "h1".into(),
                key: ExecKey(format!("many.c{c}")),
                check_id: format!("many.c{c}"),
                title: "t".into(),
                category: "many".into(),
                severity: Severity::Low,
                outcome,
                expected: json!({"value": "1"}),
                actual: json!({"value": if outcome == Outcome::Pass { "1" } else { "0" }}),
                reason: None,
                duration: Duration::from_millis(5),
                sop: None,
            })));
        }
        writer.send(&Event::RunFinished {
            run_id: id,
            finished_at: started + ChronoDuration::seconds(1),
            counts,
            cancelled: false,
        });
    }
    writer.finish().expect("finish");
}

fn rss_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let reps = env_usize("DRIFTSCOPE_BENCH_REPEAT", 3).max(1);
    let dir = std::env::var_os("DRIFTSCOPE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench-store"));
    let big = dir.join("bench-history.db");
    assert!(
        big.exists(),
        "{} is missing: build it with benches/explorer.sh (store_bench with DRIFTSCOPE_BENCH_DIR)",
        big.display()
    );
    let raw = Store::open_readonly(&big).expect("open the 10M store");
    let (_, rows) = raw.runs(Some("bench"), 1).map(|r| ((), r)).expect("runs");
    println!(
        "explorer bench on {} ({} MB; newest run {}), {reps} runs each, {W}×{H} frames; \
         load average {}",
        big.display(),
        raw.file_bytes() / 1_000_000,
        rows.first().map(|r| r.id.as_str()).unwrap_or("none"),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // 1. first frame with the last known state, then the rest part by part
    let raw_latest = repeat(reps, || {
        let t = Instant::now();
        raw.latest_state("bench").expect("latest");
        t.elapsed()
    });
    let raw_first_part = repeat(reps, || {
        let t = Instant::now();
        raw.latest_state_in_parts(
            "bench",
            LatestOrder::WorstFirst,
            LATEST_FIRST_ROWS,
            LATEST_PART_ROWS,
            &mut |_| false,
        )
        .expect("first part");
        t.elapsed()
    });
    let mut entries = 0;
    let (mut all_in, mut first_rows) = (Vec::new(), 0);
    let mut steps = Vec::new();
    let first = repeat(reps, || {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let t = Instant::now();
        let q = QueryThread::spawn(Some(big.clone()), tx);
        let mut app = app_for("bench");
        let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
        serve(&mut app, &q, &mut rx, Msg::Opened);
        draw(&mut app, &mut term);
        let first = t.elapsed();
        first_rows = app.table.results.len();
        steps.push(rest_of_stored(&mut app, &mut rx, &mut term));
        all_in.push(t.elapsed());
        entries = app.table.results.len();
        first
    });
    report(
        &format!("first frame, last state ({first_rows} of {entries} rows)"),
        &first,
        &raw_first_part,
        "≤ 150 ms",
    );
    report(
        &format!("all {entries} stored rows in"),
        &all_in,
        &raw_latest,
        "—",
    );
    let pick = |f: fn(&Steps) -> Duration| steps.iter().map(f).collect::<Vec<_>>();
    println!(
        "  while the rest came in: longest part of {LATEST_PART_ROWS} rows applied {} wall, {} \
         CPU; longest frame (settle + draw) {} wall, {} CPU (target ≤ 16 ms)",
        range(&pick(|s| s.apply)),
        range(&pick(|s| s.apply_cpu)),
        range(&pick(|s| s.frame)),
        range(&pick(|s| s.frame_cpu))
    );
    let (rss, hwm) = rss_kb();
    println!("  RSS after the stored state is shown: {rss} kB (peak {hwm} kB)");

    // 2. runs screen over 10k runs
    let many_dir = tempfile::tempdir().expect("tmp");
    let many = many_dir.path().join("many.db");
    let n_runs = env_usize("DRIFTSCOPE_BENCH_MANY_RUNS", 10_000);
    let t = Instant::now();
    build_many_runs(&many, n_runs);
    println!(
        "  ({n_runs}-run store built in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let many_store = Store::open_readonly(&many).expect("open");
    let raw_runs = repeat(reps, || {
        let t = Instant::now();
        many_store
            .runs(Some("many"), driftscope::tui::queries::RUNS_LISTED)
            .expect("runs");
        t.elapsed()
    });
    let runs_screen = repeat(reps, || {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let q = QueryThread::spawn(Some(many.clone()), tx);
        let mut app = app_for("many");
        let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
        let t = Instant::now();
        serve(&mut app, &q, &mut rx, key('H'));
        draw(&mut app, &mut term);
        let d = t.elapsed();
        assert_eq!(app.runs.visible().len(), n_runs);
        d
    });
    report(
        &format!("runs screen, {n_runs} runs"),
        &runs_screen,
        &raw_runs,
        "≤ 100 ms",
    );

    // 3. drift screen (and the longest frame drawn while its query runs)
    let raw_drift = repeat(reps, || {
        let t = Instant::now();
        // the drift report's store calls one after another (the report itself asks the
        // flapping window on a second connection beside the rest): one walk of the latest
        // state, the newest two runs' diff, the flapping window
        raw.readiness_and_streaks("bench", Duration::from_secs(86_400))
            .expect("r");
        let newest = raw.latest_run(Some("bench")).expect("l").expect("a run");
        let prev = raw.previous_run(&newest).expect("p").expect("two runs");
        raw.diff_runs(prev, newest).expect("d");
        raw.flapping("bench", 10, 2, 50).expect("f");
        t.elapsed()
    });
    let mut worst_frame = Duration::ZERO;
    let mut frames = 0;
    let mut first_frames = Vec::new();
    let drift = repeat(reps, || {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let q = QueryThread::spawn(Some(big.clone()), tx);
        let mut app = app_for("bench");
        let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
        serve(&mut app, &q, &mut rx, Msg::Opened); // the live screen holds the 50k rows
        draw(&mut app, &mut term);
        rest_of_stored(&mut app, &mut rx, &mut term);
        // a full rebuild of the view of 50k rows (as a sort key or the filter causes)
        app.table.resort();
        first_frames.push(draw(&mut app, &mut term));
        let t = Instant::now();
        for e in app.update(key('D')) {
            if let driftscope::tui::app::Effect::Query(query) = e {
                q.ask(query);
            }
        }
        // frames keep being drawn while the query runs
        let answer = loop {
            match rx.try_recv() {
                Ok(Reply::Msg(Msg::History(a))) => break a,
                Ok(_) => {}
                Err(_) => {
                    app.update(Msg::Tick(Instant::now()));
                    worst_frame = worst_frame.max(draw(&mut app, &mut term));
                    frames += 1;
                    std::thread::sleep(Duration::from_millis(4));
                }
            }
        };
        app.update(Msg::History(answer));
        draw(&mut app, &mut term);
        t.elapsed()
    });
    report("drift screen", &drift, &raw_drift, "≤ 250 ms");
    println!(
        "  longest of {frames} frames drawn while the drift query ran: {:.1} ms (target ≤ 16 ms); \
         a frame rebuilding the view of 50k rows (sort key): {}",
        ms(worst_frame),
        range(&first_frames)
    );

    // 4. timeline after the cursor stops, and 5. holding j
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let q = QueryThread::spawn(Some(big.clone()), tx);
    let mut app = app_for("bench");
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    open_stored(&mut app, &q, &mut rx, &mut term);
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    app.settle();
    for e in app.history_requests() {
        // the first row shown is asked for at once
        if let driftscope::tui::app::Effect::Query(query) = e {
            q.ask(query);
            let a = next_answer(&mut rx);
            app.update(Msg::History(a));
        }
    }
    draw(&mut app, &mut term);
    let mut raw_tl = Vec::new();
    let timeline = repeat(reps * 5, || {
        for _ in 0..37 {
            app.update(key('j'));
        }
        app.settle();
        let _ = app.history_requests(); // the frame of the last move
        // the cursor stopped: the next frame asks
        let t = Instant::now();
        app.settle();
        let mut asked = None;
        for e in app.history_requests() {
            if let driftscope::tui::app::Effect::Query(query) = e {
                asked = Some(query.clone());
                q.ask(query);
            }
        }
        let a = next_answer(&mut rx);
        app.update(Msg::History(a));
        draw(&mut app, &mut term);
        let d = t.elapsed();
        if let Some(HistoryQuery::Timeline { env, host, key }) = asked {
            let t = Instant::now();
            raw.timeline(Some(&env), &host, &key, 30).expect("timeline");
            raw_tl.push(t.elapsed());
        }
        d
    });
    report(
        "timeline after the cursor stops",
        &timeline,
        &raw_tl,
        "≤ 30 ms",
    );

    let before = q.executed();
    let mut requests = 0;
    let t0 = Instant::now();
    let mut last_frame = Instant::now();
    for _ in 0..1000 {
        app.update(key('j'));
        if last_frame.elapsed() >= Duration::from_millis(16) {
            app.settle();
            for e in app.history_requests() {
                if let driftscope::tui::app::Effect::Query(query) = e {
                    q.ask(query);
                    requests += 1;
                }
            }
            while let Ok(Reply::Msg(m)) = rx.try_recv() {
                app.update(m);
            }
            term.draw(|f| app.draw(f)).expect("draw");
            last_frame = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // the frame after the last key finds the cursor resting and asks
    for _ in 0..2 {
        app.settle();
        for e in app.history_requests() {
            if let driftscope::tui::app::Effect::Query(query) = e {
                q.ask(query);
                requests += 1;
            }
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    println!(
        "holding j over 1000 rows ({:.1} s, a key per ms, a frame per 16 ms): {requests} \
         timeline requests, {} queries run (the rest replaced while waiting)",
        t0.elapsed().as_secs_f64(),
        q.executed() - before
    );
}
