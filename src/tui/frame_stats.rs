//! Frame and gap statistics of the event loop, logged at exit (the scale benches read the
//! `frames:` line from the log) and, for gaps over a second while a run streams, as they
//! happen. Each frame is measured in wall time and in the loop thread's own CPU time, so a
//! slow frame shows whether the loop worked or waited for a core; each gap between frames
//! says where the loop's time went meanwhile (executor events, worker replies, input).
//! Measuring only: nothing here changes what the loop does.

use std::time::Duration;

/// The calling thread's time so far: on a CPU, and waiting for one (runnable, not running).
/// A frame's wall time minus both is time it was blocked (writing to the terminal).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ThreadClock {
    pub cpu: Duration,
    pub runqueue: Duration,
    /// Minor page faults (memory touched for the first time).
    pub faults: u64,
}

impl ThreadClock {
    /// Now, from `/proc/thread-self/schedstat` (Linux); else the CPU clock alone.
    pub fn now() -> ThreadClock {
        let faults = minor_faults();
        if let Some(c) = std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| parse_schedstat(&s))
        {
            return ThreadClock { faults, ..c };
        }
        ThreadClock {
            cpu: cpu_clock(),
            runqueue: Duration::ZERO,
            faults,
        }
    }

    /// Time since `earlier`.
    pub fn since(self, earlier: ThreadClock) -> ThreadClock {
        ThreadClock {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            runqueue: self.runqueue.saturating_sub(earlier.runqueue),
            faults: self.faults.saturating_sub(earlier.faults),
        }
    }
}

/// The calling thread's minor page faults so far (0 where unknown).
fn minor_faults() -> u64 {
    // SAFETY: getrusage writes into the struct we own; all-zero is a valid `rusage`.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut u) != 0 {
            return 0;
        }
        u.ru_minflt.max(0) as u64
    }
}

/// `schedstat`: nanoseconds on a CPU, nanoseconds waiting on a run queue, time slices.
fn parse_schedstat(s: &str) -> Option<ThreadClock> {
    let mut f = s.split_whitespace().map(|v| v.parse::<u64>().ok());
    Some(ThreadClock {
        cpu: Duration::from_nanos(f.next()??),
        runqueue: Duration::from_nanos(f.next()??),
        faults: 0,
    })
}

fn cpu_clock() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; no other pointer is passed.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Where the loop's time went between two frames.
#[derive(Debug, Default, Clone, Copy)]
pub struct GapWork {
    /// Executor events applied outside a frame (wall time, count).
    pub exec: Duration,
    pub exec_events: u64,
    /// Worker / query replies handled (wall time, count).
    pub replies: Duration,
    pub reply_count: u64,
    /// Terminal input handled.
    pub input: Duration,
    /// Times the loop woke up.
    pub wakeups: u64,
}

/// One drawn frame: settle and settle + draw in wall time, the loop thread's CPU and
/// run-queue time in settle + draw, and the gap since the previous frame (wall, and the
/// loop thread's CPU and run-queue time in it).
#[derive(Debug, Clone, Copy)]
pub struct FrameSample {
    pub settle: Duration,
    pub settle_cpu: Duration,
    /// CPU time of drawing the widgets into the frame's buffer (the rest of the draw is
    /// ratatui's diff and the write to the terminal).
    pub render_cpu: Duration,
    pub work: Duration,
    pub work_clock: ThreadClock,
    pub gap: Duration,
    pub gap_clock: ThreadClock,
    pub running: bool,
    /// What the settle did: rows taken into the view, whether it was rebuilt, its size.
    pub rows_taken_in: usize,
    pub rebuilt: bool,
    pub view_rows: usize,
}

/// The worst of a set of frames: in wall time (and where its time went), in CPU time, and
/// how many went over 16 ms.
#[derive(Debug, Default)]
struct Worst {
    drawn: u64,
    work: Duration,
    settle_of_worst: Duration,
    clock_of_worst: ThreadClock,
    settle: Duration,
    cpu: Duration,
    settle_cpu: Duration,
    over_16ms: u64,
    over_16ms_cpu: u64,
}

impl Worst {
    fn add(&mut self, s: &FrameSample) {
        self.drawn += 1;
        if s.work > self.work {
            self.work = s.work;
            self.settle_of_worst = s.settle;
            self.clock_of_worst = s.work_clock;
        }
        self.settle = self.settle.max(s.settle);
        self.cpu = self.cpu.max(s.work_clock.cpu);
        self.settle_cpu = self.settle_cpu.max(s.settle_cpu);
        self.over_16ms += u64::from(s.work > SIXTEEN_MS);
        self.over_16ms_cpu += u64::from(s.work_clock.cpu > SIXTEEN_MS);
    }

    /// "worst 12.0 ms (CPU 5.0 ms, waiting for a core 6.0 ms, blocked 1.0 ms), worst CPU …"
    fn describe(&self) -> String {
        let c = self.clock_of_worst;
        format!(
            "{} frames, worst {:.1} ms (CPU {:.1} ms, waiting for a core {:.1} ms, blocked {:.1} ms), worst CPU {:.1} ms (settle {:.1} ms), {} over 16 ms, {} over 16 ms CPU",
            self.drawn,
            ms(self.work),
            ms(c.cpu),
            ms(c.runqueue),
            ms(self.work.saturating_sub(c.cpu + c.runqueue)),
            ms(self.cpu),
            ms(self.settle_cpu),
            self.over_16ms,
            self.over_16ms_cpu
        )
    }
}

const SIXTEEN_MS: Duration = Duration::from_millis(16);

/// Frame times over the whole session.
#[derive(Debug, Default)]
pub struct FrameStats {
    all: Worst,
    /// Frames drawn while a run streamed (the frame target), and the others (keystrokes,
    /// toggles and sorts over the finished table, screens).
    streaming: Worst,
    idle: Worst,
    /// Longest time between two frames while a run streamed, the loop thread's CPU and
    /// run-queue time in it, and what the loop did meanwhile.
    worst_gap_running: Duration,
    worst_gap_clock: ThreadClock,
    worst_gap_work: GapWork,
    /// What the loop has done since the last frame.
    pub since_frame: GapWork,
    /// Whether a run streamed at the last frame.
    last_running: bool,
}

impl FrameStats {
    pub fn record(&mut self, s: FrameSample) {
        self.all.add(&s);
        if s.running {
            self.streaming.add(&s);
        } else {
            self.idle.add(&s);
        }
        if s.work_clock.cpu > SIXTEEN_MS {
            tracing::info!(
                "slow frame{}: {:.1} ms CPU, settle {:.1} ms CPU ({} rows taken into a view of {}{}), widgets {:.1} ms CPU, {} page faults",
                if s.running {
                    " while a run streams"
                } else {
                    ""
                },
                ms(s.work_clock.cpu),
                ms(s.settle_cpu),
                s.rows_taken_in,
                s.view_rows,
                if s.rebuilt { ", rebuilt" } else { "" },
                ms(s.render_cpu),
                s.work_clock.faults
            );
        }
        let work = std::mem::take(&mut self.since_frame);
        // A gap counts when the run streamed at both of its ends: the first frame of a run
        // follows a quiet screen (planning, nothing to redraw), which is no frozen frame.
        let streaming = s.running && self.last_running;
        self.last_running = s.running;
        if streaming {
            if s.gap > Duration::from_secs(1) {
                tracing::info!(
                    "long gap between frames: {}",
                    describe_gap(s.gap, s.gap_clock, &work)
                );
            }
            if s.gap > self.worst_gap_running {
                self.worst_gap_running = s.gap;
                self.worst_gap_clock = s.gap_clock;
                self.worst_gap_work = work;
            }
        }
    }

    /// Add a handler's time to the account of the current gap.
    pub fn add(&mut self, what: LoopWork, took: Duration) {
        let w = &mut self.since_frame;
        w.wakeups += 1;
        match what {
            LoopWork::Exec(n) => {
                w.exec += took;
                w.exec_events += n;
            }
            LoopWork::Reply => {
                w.replies += took;
                w.reply_count += 1;
            }
            LoopWork::Input => w.input += took,
            LoopWork::Other => {}
        }
    }

    /// The `frames:` line. Its start (up to "longest gap … ms", over all frames) is what the
    /// bench scripts parse; the accounts follow: frames while a run streamed, the others,
    /// and the longest gap.
    pub fn summary(&self) -> String {
        format!(
            "frames: {} drawn, worst frame (settle + draw) {:.1} ms (settle {:.1} ms), worst settle {:.1} ms, {} over 16 ms, longest gap between frames while running {:.1} ms; \
             while a run streamed: {}; \
             otherwise: {}; \
             the longest gap: {}",
            self.all.drawn,
            ms(self.all.work),
            ms(self.all.settle_of_worst),
            ms(self.all.settle),
            self.all.over_16ms,
            ms(self.worst_gap_running),
            self.streaming.describe(),
            self.idle.describe(),
            describe_gap(
                self.worst_gap_running,
                self.worst_gap_clock,
                &self.worst_gap_work
            ),
        )
    }
}

/// Which handler [`FrameStats::add`] accounts for.
pub enum LoopWork {
    /// Executor events (how many were applied).
    Exec(u64),
    Reply,
    Input,
    /// A timer (the frame deadline, the elapsed-time tick).
    Other,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn describe_gap(gap: Duration, clock: ThreadClock, w: &GapWork) -> String {
    format!(
        "{:.1} ms wall, loop thread CPU {:.1} ms, waiting for a core {:.1} ms; {} wake-ups; {} executor events in {:.1} ms; {} replies in {:.1} ms; input {:.1} ms",
        ms(gap),
        ms(clock.cpu),
        ms(clock.runqueue),
        w.wakeups,
        w.exec_events,
        ms(w.exec),
        w.reply_count,
        ms(w.replies),
        ms(w.input)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_clock_advances_with_work() {
        let a = ThreadClock::now();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(ThreadClock::now().since(a).cpu > Duration::ZERO);
    }

    #[test]
    fn schedstat_is_cpu_then_run_queue() {
        let c = parse_schedstat("8280321 8272227 4\n").unwrap();
        assert_eq!(c.cpu, Duration::from_nanos(8_280_321));
        assert_eq!(c.runqueue, Duration::from_nanos(8_272_227));
        assert_eq!(parse_schedstat("garbage"), None);
    }

    #[test]
    fn summary_keeps_the_prefix_the_benches_parse() {
        let mut s = FrameStats::default();
        let frame = |gap| FrameSample {
            settle: Duration::from_millis(2),
            settle_cpu: Duration::from_millis(1),
            render_cpu: Duration::from_millis(1),
            work: Duration::from_millis(20),
            work_clock: ThreadClock {
                cpu: Duration::from_millis(5),
                runqueue: Duration::from_millis(12),
                faults: 0,
            },
            gap: Duration::from_millis(gap),
            gap_clock: ThreadClock::default(),
            running: true,
            rows_taken_in: 10,
            rebuilt: false,
            view_rows: 100,
        };
        // the first frame of a run ends a quiet gap: not counted
        s.record(frame(3000));
        s.add(LoopWork::Exec(3), Duration::from_millis(1));
        s.record(frame(30));
        let line = s.summary();
        assert!(
            line.starts_with("frames: 2 drawn, worst frame (settle + draw) 20.0 ms (settle 2.0 ms), worst settle 2.0 ms, 2 over 16 ms, longest gap between frames while running 30.0 ms;"),
            "{line}"
        );
        assert!(
            line.contains("CPU 5.0 ms, waiting for a core 12.0 ms, blocked 3.0 ms"),
            "{line}"
        );
        assert!(line.contains("3 executor events"), "{line}");
    }
}
