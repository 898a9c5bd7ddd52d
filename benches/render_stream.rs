//! Streaming 100k results through the reducer the way the event loop does: apply what is
//! queued (up to the loop's drain budget), settle the view, draw one frame. Reports frame
//! times (target: no frame over 16 ms) and reducer throughput.
//! Then the scale section: one million results streamed the same way (records made lazily,
//! about 10% with a value of their own), the worst frame, the table's RSS growth, and what a
//! user does next at that size: filter keystrokes, backspace, the failures-only toggle, each
//! sort, and dropping the state (quit).
//! Run: `cargo bench --bench render_stream` (`DRIFTSCOPE_BENCH_RESULTS=N` changes the 1M).

use driftscope::exec::Event;
use driftscope::model::OutcomeCounts;
use driftscope::tui::app::Msg;
use driftscope::tui::{DRAIN_BUDGET, fixture};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::{Duration, Instant};

enum Burst {
    /// Like the loop: everything is already queued; drain until the budget is spent.
    Budget,
    /// Exactly this many results per frame.
    Fixed(usize),
}

struct Report {
    frames: Vec<Duration>,
    cpu: Vec<Duration>,
    /// CPU time of `App::settle` (view merge) and of `ui::draw` per frame.
    settle: Vec<Duration>,
    draw: Vec<Duration>,
    total: Duration,
}

/// CPU time of this thread. On a shared, oversubscribed machine wall time per frame mostly
/// measures the scheduler; CPU time measures the work a frame costs.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn run(total: usize, burst: &Burst, filter: &str) -> Report {
    let mut app = fixture::app(Instant::now());
    app.update(Msg::Resize(200, 50));
    app.table.filter = filter.to_string();
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    let records = fixture::many_records("demo", 50, total);
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 50, total,
    )))));
    let mut frames = Vec::new();
    let mut cpu = Vec::new();
    let mut settle = Vec::new();
    let mut draw = Vec::new();
    let mut it = records.into_iter().peekable();
    let all = Instant::now();
    while it.peek().is_some() {
        let start = Instant::now();
        let cpu_start = thread_cpu();
        let mut n = 0;
        for r in it.by_ref() {
            app.update(Msg::Exec(Event::CheckResult(Box::new(r))));
            n += 1;
            let stop = match burst {
                Burst::Budget => start.elapsed() >= DRAIN_BUDGET,
                Burst::Fixed(k) => n >= *k,
            };
            if stop {
                break;
            }
        }
        app.update(Msg::Tick(Instant::now()));
        let t = thread_cpu();
        app.settle();
        let t2 = thread_cpu();
        term.draw(|f| app.draw(f)).expect("draw");
        settle.push(t2 - t);
        draw.push(thread_cpu() - t2);
        frames.push(start.elapsed());
        cpu.push(thread_cpu().saturating_sub(cpu_start));
    }
    let total_time = all.elapsed();
    app.update(Msg::Exec(Event::RunFinished {
        run_id: "r".into(),
        finished_at: chrono::Utc::now(),
        counts: OutcomeCounts::default(),
        cancelled: false,
    }));
    frames.sort();
    cpu.sort();
    settle.sort();
    draw.sort();
    Report {
        frames,
        cpu,
        settle,
        draw,
        total: total_time,
    }
}

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Result `i` of a million: 1000 hosts × 1000 keys, ~5% failing, every 10th result with a
/// value of its own (counters, uuids: what real sysctl reads have).
fn scale_record(i: usize) -> driftscope::model::ResultRecord {
    let hosts = 1000;
    let cats = ["ssh", "kernel", "packages", "files", "services", "network"];
    let host = format!("host-{:04}", i % hosts);
    let check = i / hosts;
    let cat = cats[check % cats.len()];
    let outcome = match i % 40 {
        0 | 1 => driftscope::model::Outcome::Fail,
        2 => driftscope::model::Outcome::Error,
        _ => driftscope::model::Outcome::Pass,
    };
    let key = format!("{cat}.check-{check:04}[param={}]", check % 7);
    let mut r = fixture::record("scale", &host, &key, cat, outcome);
    if i % 10 == 5 {
        r.actual = serde_json::json!({ "value": format!("{}", i * 7919) });
    }
    r
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// One action as the loop does it: the reducer, then settle, then one frame.
fn timed(
    app: &mut driftscope::tui::app::App,
    term: &mut Terminal<TestBackend>,
    msg: Msg,
) -> (Duration, Duration) {
    let (t, c) = (Instant::now(), thread_cpu());
    app.update(msg);
    app.settle();
    term.draw(|f| app.draw(f)).expect("draw");
    (t.elapsed(), thread_cpu() - c)
}

fn scale(total: usize) {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let (rss0, _) = rss_mib();
    let mut app = fixture::app(Instant::now());
    app.update(Msg::Resize(200, 50));
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "scale", 1000, total,
    )))));
    let mut frames = Vec::new();
    // per frame: (settle + draw, settle, draw, drain) — the loop logs settle + draw as a frame
    let mut parts: Vec<(Duration, Duration, Duration, Duration)> = Vec::new();
    // the same in CPU time of this thread (what the frame costs, without the scheduler)
    let mut cpu_parts = parts.clone();
    let mut i = 0;
    let all = Instant::now();
    while i < total {
        let start = Instant::now();
        while i < total {
            app.update(Msg::Exec(Event::CheckResult(Box::new(scale_record(i)))));
            i += 1;
            if start.elapsed() >= DRAIN_BUDGET {
                break;
            }
        }
        app.update(Msg::Tick(Instant::now()));
        let drained = start.elapsed();
        let (t, c) = (Instant::now(), thread_cpu());
        app.settle();
        let (settled, settled_cpu) = (t.elapsed(), thread_cpu() - c);
        term.draw(|f| app.draw(f)).expect("draw");
        let (work, work_cpu) = (t.elapsed(), thread_cpu() - c);
        frames.push(start.elapsed());
        parts.push((work, settled, work - settled, drained));
        cpu_parts.push((
            work_cpu,
            settled_cpu,
            work_cpu - settled_cpu,
            Duration::ZERO,
        ));
    }
    let streamed = all.elapsed();
    app.update(Msg::Exec(Event::RunFinished {
        run_id: "r".into(),
        finished_at: chrono::Utc::now(),
        counts: OutcomeCounts::default(),
        cancelled: false,
    }));
    app.settle();
    let (rss1, hwm) = rss_mib();
    frames.sort();
    let p99 = frames[(frames.len() * 99 / 100).min(frames.len() - 1)];
    let worst = frames.last().copied().unwrap_or_default();
    let (values, checks) = app.table.results.interned();
    println!(
        "\nscale: {total} results streamed in {:.1} s ({:.0} results/s incl. making them), {} frames, p99 {}, worst {}",
        streamed.as_secs_f64(),
        total as f64 / streamed.as_secs_f64(),
        frames.len(),
        ms(p99),
        ms(worst)
    );
    type Parts = (Duration, Duration, Duration, Duration);
    let report = |what: &str, parts: &mut Vec<Parts>| {
        parts.sort();
        let q = |p: usize| parts[(parts.len() * p / 100).min(parts.len() - 1)].0;
        let max = |f: fn(&Parts) -> Duration| parts.iter().map(f).max().unwrap_or_default();
        println!(
            "  frame (settle + draw), {what}: median {}, p99 {}, worst {} (its settle {}); worst settle {}, worst draw {}, worst drain {}",
            ms(q(50)),
            ms(q(99)),
            ms(q(100)),
            ms(parts.last().map(|p| p.1).unwrap_or_default()),
            ms(max(|p| p.1)),
            ms(max(|p| p.2)),
            ms(max(|p| p.3)),
        );
    };
    report("wall", &mut parts);
    report("CPU", &mut cpu_parts);
    println!(
        "  RSS {rss1:.0} MiB (before {rss0:.0}; table +{:.0} MiB = {:.0} bytes/result); peak {hwm:.0} MiB; {values} distinct values, {checks} check definitions",
        rss1 - rss0,
        (rss1 - rss0) * 1048576.0 / total as f64
    );
    let mut acts: Vec<(String, (Duration, Duration))> = Vec::new();
    acts.push((
        "/ (filter mode)".into(),
        timed(&mut app, &mut term, key(KeyCode::Char('/'))),
    ));
    for c in ["k", "e", "r", "n"] {
        let ch = c.chars().next().unwrap_or('k');
        let d = timed(&mut app, &mut term, key(KeyCode::Char(ch)));
        acts.push((format!("type {:?} → /{}", c, app.table.filter), d));
    }
    acts.push((
        "backspace".into(),
        timed(&mut app, &mut term, key(KeyCode::Backspace)),
    ));
    acts.push((
        "esc (clear filter)".into(),
        timed(&mut app, &mut term, key(KeyCode::Esc)),
    ));
    acts.push((
        "f (failures only)".into(),
        timed(&mut app, &mut term, key(KeyCode::Char('f'))),
    ));
    acts.push((
        "f (all again)".into(),
        timed(&mut app, &mut term, key(KeyCode::Char('f'))),
    ));
    for _ in 0..5 {
        let d = timed(&mut app, &mut term, key(KeyCode::Char('s')));
        acts.push((format!("s (sort: {})", app.table.sort.label()), d));
    }
    acts.push((
        "G (last row)".into(),
        timed(&mut app, &mut term, key(KeyCode::Char('G'))),
    ));
    println!(
        "  {:<32} {:>9} {:>9}",
        "action (reducer + settle + draw)", "wall", "CPU"
    );
    for (what, (wall, cpu)) in &acts {
        println!("  {what:<32} {:>9} {:>9}", ms(*wall), ms(*cpu));
    }
    let t = Instant::now();
    drop(app);
    println!("  drop the state (quit)            {:>9}", ms(t.elapsed()));
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: keep that run short.
    let quick = !std::env::args().any(|a| a == "--bench");
    // First, so the RSS it reports is this state's alone.
    let scale_total = std::env::var("DRIFTSCOPE_BENCH_RESULTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 1_000_000 });
    scale(scale_total);
    if std::env::var_os("DRIFTSCOPE_BENCH_SCALE_ONLY").is_some() {
        return;
    }

    let total = if quick { 5_000 } else { 100_000 };
    println!("streaming {total} results into a 200x50 screen; frame = apply burst + settle + draw");
    println!(
        "{:>10} {:>6} {:>6} | wall {:>8} {:>8} {:>8} | cpu {:>8} {:>8} {:>8} | {:>9}",
        "burst",
        "filter",
        "frames",
        "median",
        "p99",
        "worst",
        "median",
        "p99",
        "worst",
        "results/s"
    );
    for (label, burst) in [
        ("budget", Burst::Budget),
        ("256", Burst::Fixed(256)),
        ("1024", Burst::Fixed(1024)),
    ] {
        for filter in ["", "ssh"] {
            let r = run(total, &burst, filter);
            let pct = |f: &[Duration], p: usize| {
                f.get((f.len() * p / 100).min(f.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or_default()
            };
            let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1e3);
            let cpu_worst = pct(&r.cpu, 100);
            println!(
                "{label:>10} {:>6} {:>6} | wall {:>8} {:>8} {:>8} | cpu {:>8} {:>8} {:>8} | settle {:>8} draw {:>8} | {:>9.0}{}",
                if filter.is_empty() { "-" } else { filter },
                r.frames.len(),
                ms(pct(&r.frames, 50)),
                ms(pct(&r.frames, 99)),
                ms(pct(&r.frames, 100)),
                ms(pct(&r.cpu, 50)),
                ms(pct(&r.cpu, 99)),
                ms(cpu_worst),
                ms(pct(&r.settle, 50)),
                ms(pct(&r.draw, 50)),
                total as f64 / r.total.as_secs_f64(),
                if cpu_worst > Duration::from_millis(16) {
                    "  cpu worst > 16 ms"
                } else {
                    ""
                }
            );
        }
    }
}
