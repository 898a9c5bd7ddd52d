//! Streaming 100k results through the reducer the way the event loop does: apply what is
//! queued (up to the loop's drain budget), settle the view, draw one frame. Reports frame
//! times (target: no frame over 16 ms) and reducer throughput.
//! Run: `cargo bench --bench render_stream`.

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

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: keep that run short.
    let quick = !std::env::args().any(|a| a == "--bench");
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
