//! The event loop: one biased `tokio::select!` over terminal input (crossterm EventStream),
//! the current run session's events, the worker's replies and a frame timer that exists only
//! while something changed. Every state change goes through [`App::update`]; this module
//! hands the [`Effect`]s it returns to the worker (starting runs, loading themes) or applies
//! them (cancel, quit). Nothing here waits on SQLite, planning or files. It owns the
//! terminal: raw mode and the alternate screen are undone on exit, on error (RAII guard) and
//! on panic (hook).

use super::TuiContext;
use super::app::{App, Effect, Msg};
use super::frame_stats::{FrameSample, FrameStats, LoopWork, ThreadClock};
use super::queries::QueryThread;
use super::worker::{Job, Reply, Worker, WorkerContext};
use crate::exec::{Event, TransportSet};
use crate::session::{History, Planner, RunSession, SessionConfig};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Shortest time between two frames: bursts of events within it share one redraw.
pub const FRAME: Duration = Duration::from_millis(16);
/// Longest time spent applying queued executor events before drawing again.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(6);

/// Whether raw mode / the alternate screen are ours to undo (so undoing happens once, even
/// when both the panic hook and the guard run: leaving the alternate screen twice would move
/// the cursor back over the panic message).
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Held while a frame is written, so a panic on another thread restores the terminal (and
/// prints its message) only between frames, never under one.
static DRAWING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// From the panic hook: wait for a frame being written to end (briefly: the panicking
/// thread may be the one drawing), then restore.
fn restore_terminal_after_frame() {
    let deadline = Instant::now() + Duration::from_millis(200);
    loop {
        match DRAWING.try_lock() {
            Ok(_frame) => return restore_terminal(),
            Err(std::sync::TryLockError::Poisoned(_)) => return restore_terminal(),
            Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(std::sync::TryLockError::WouldBlock) => return restore_terminal(),
        }
    }
}

fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(std::io::stdout(), LeaveAlternateScreen, Show);
    }
}

/// Raw mode + alternate screen, with a panic hook that restores the terminal before the
/// panic message is printed.
fn init_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal_after_frame();
            previous(info);
        }));
    });
    enable_raw_mode()?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    let setup = execute!(std::io::stdout(), EnterAlternateScreen)
        .and_then(|_| ratatui::Terminal::new(CrosstermBackend::new(std::io::stdout())));
    if setup.is_err() {
        restore_terminal();
    }
    setup
}

/// Restores the terminal when dropped (normal exit, `?` errors, unwinding panics).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Log to `$DRIFTSCOPE_LOG` or `<XDG state/cache>/driftscope/tui.log`, never to the screen.
pub fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = std::env::var_os("DRIFTSCOPE_LOG")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "driftscope").map(|d| {
                d.state_dir()
                    .unwrap_or_else(|| d.cache_dir())
                    .join("tui.log")
            })
        })?;
    let dir = path.parent()?.to_path_buf();
    let file = path.file_name()?.to_os_string();
    std::fs::create_dir_all(&dir).ok()?;
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(dir, file));
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRIFTSCOPE_LOG_LEVEL")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Set up the runtime and the terminal, run the loop, restore everything.
pub fn run(app: App, ctx: TuiContext, planner: Arc<dyn Planner>) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("driftscope: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let terminal = match init_terminal() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("driftscope: the TUI needs a terminal ({e}); try `driftscope run`");
            return 2;
        }
    };
    let guard = TerminalGuard;
    let (reply_tx, replies) = mpsc::unbounded_channel();
    let transports = ctx.transports.clone();
    let queries = QueryThread::spawn(ctx.db.clone(), reply_tx.clone());
    let probe_at_start = !ctx.no_run;
    let worker = Worker::spawn(
        WorkerContext {
            session: SessionConfig {
                planner,
                transports: ctx.transports,
                exec: ctx.exec,
                history: match ctx.db {
                    Some(p) => History::BestEffort(p),
                    None => History::Off,
                },
            },
            user_theme_dir: super::theme::user_theme_dir(),
            runtime: rt.handle().clone(),
        },
        reply_tx.clone(),
    );
    let result = rt.block_on(event_loop(
        terminal,
        app,
        Workers {
            jobs: worker,
            queries,
        },
        reply_tx,
        replies,
        transports,
        probe_at_start,
    ));
    drop(guard);
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("driftscope: terminal error: {e}");
            tracing::error!("terminal error: {e}");
            1
        }
    };
    rt.shutdown_timeout(Duration::from_secs(2));
    code
}

async fn next_exec(run: &mut Option<RunSession>) -> Option<Event> {
    match run {
        Some(r) => r.next().await,
        None => std::future::pending().await,
    }
}

/// Let the history commit what the session holds, off the loop; report problems.
fn finish_in_background(session: RunSession, replies: mpsc::UnboundedSender<Reply>) {
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let end = session.finish(&rt, Duration::from_secs(2));
        release_freed_memory();
        let msg = match (&end.history, end.history_problem()) {
            (_, Some(p)) => Some(p),
            (Some(Ok(rep)), None) => {
                tracing::info!("history: {} results stored", rep.results_written);
                None
            }
            _ => None,
        };
        if let Some(msg) = msg {
            let _ = replies.send(Reply::Msg(Msg::Status(msg)));
        }
        if end.history.as_ref().is_some_and(|h| h.is_ok()) {
            let _ = replies.send(Reply::Msg(Msg::RunStored));
        }
    });
}

/// Give back to the system what a finished run's executor freed: glibc keeps freed memory in
/// its per-thread arenas, so without this the TUI would hold the run's peak (a million
/// results: ~180 MB of probe outputs and plans) for as long as it stays open.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; no pointer is passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Where the loop sends work: ordered jobs (runs, themes) and history queries.
struct Workers {
    jobs: Worker,
    queries: QueryThread,
}

async fn event_loop(
    mut terminal: ratatui::DefaultTerminal,
    mut app: App,
    worker: Workers,
    reply_tx: mpsc::UnboundedSender<Reply>,
    mut replies: mpsc::UnboundedReceiver<Reply>,
    transports: TransportSet,
    probe_at_start: bool,
) -> std::io::Result<()> {
    let mut input = EventStream::new();
    let mut pagers: Vec<String> = Vec::new();
    let mut run: Option<RunSession> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    // The stored state first (the first frame shows it as soon as it is read), then probe.
    let fx = app.update(Msg::Opened);
    perform(fx, &mut app, &worker, &mut run);
    if probe_at_start {
        let fx = app.update(Msg::Start);
        perform(fx, &mut app, &worker, &mut run);
    } else {
        app.status = "opened on the stored state (--no-run); R runs the current scope".into();
    }
    let mut last_draw = Instant::now() - FRAME;
    let mut last_draw_clock = ThreadClock::now();
    let mut frames = FrameStats::default();
    loop {
        if app.quit {
            break;
        }
        if !TERMINAL_ACTIVE.load(Ordering::SeqCst) {
            // A panic on another thread restored the terminal (and printed its message):
            // drawing now would paint over it.
            return Err(std::io::Error::other(
                "a background job panicked (see above)",
            ));
        }
        let now = Instant::now();
        for text in pagers.drain(..) {
            // Hand the terminal over: no input reader may steal the pager's keys.
            drop(input);
            restore_terminal();
            let shown = super::pager::show(text).await;
            take_terminal_back(&mut terminal)?;
            input = EventStream::new();
            if let Err(e) = shown {
                app.status = e.to_string();
            }
            app.dirty = true;
        }
        if app.dirty && now >= last_draw + FRAME {
            // What the executor queued while this frame waited, applied now (bounded).
            let applied = apply_queued(&mut run, &mut app);
            frames.since_frame.exec_events += applied;
            let work = Instant::now();
            let work_clock = ThreadClock::now();
            let (rebuild, taken_in) = app.table.unsettled();
            app.settle();
            let settled = work.elapsed();
            let settled_cpu = ThreadClock::now().since(work_clock).cpu;
            let fx = app.history_requests();
            pagers.extend(perform(fx, &mut app, &worker, &mut run));
            let frame = DRAWING.lock().unwrap_or_else(|p| p.into_inner());
            if !TERMINAL_ACTIVE.load(Ordering::SeqCst) {
                return Err(std::io::Error::other(
                    "a background job panicked (see above)",
                ));
            }
            let mut render_cpu = Duration::ZERO;
            terminal.draw(|f| {
                let before = ThreadClock::now();
                app.draw(f);
                render_cpu = ThreadClock::now().since(before).cpu;
            })?;
            drop(frame);
            let clock = ThreadClock::now();
            frames.record(FrameSample {
                render_cpu,
                rows_taken_in: taken_in,
                rebuilt: rebuild,
                view_rows: app.table.view.len(),
                settle: settled,
                settle_cpu: settled_cpu,
                work: work.elapsed(),
                work_clock: clock.since(work_clock),
                gap: now.saturating_duration_since(last_draw),
                gap_clock: clock.since(last_draw_clock),
                running: app.running(),
            });
            app.dirty = std::mem::take(&mut app.frame_again);
            last_draw = now;
            last_draw_clock = clock;
        }
        let frame_due = tokio::time::Instant::from_std(last_draw + FRAME);
        let running = app.running();
        let fx = tokio::select! {
            biased;
            ev = input.next() => {
                let t = Instant::now();
                let fx = match ev {
                    Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => app.update(Msg::Key(k)),
                    Some(Ok(TermEvent::Resize(w, h))) => app.update(Msg::Resize(w, h)),
                    Some(Ok(_)) => Vec::new(),
                    Some(Err(e)) => return Err(e),
                    None => break,
                };
                frames.add(LoopWork::Input, t.elapsed());
                fx
            },
            reply = replies.recv() => match reply {
                Some(Reply::Msg(m)) => {
                    let t = Instant::now();
                    let fx = app.update(m);
                    frames.add(LoopWork::Reply, t.elapsed());
                    fx
                }
                Some(Reply::Started(session)) => {
                    run = Some(*session);
                    Vec::new()
                }
                Some(Reply::Panicked) => {
                    return Err(std::io::Error::other("a background job panicked (see above)"));
                }
                None => Vec::new(),
            },
            // While a frame is pending, results wait in the channel for it (one wake-up per
            // frame instead of one per burst; the executor blocks only when 4096 queue up).
            ev = next_exec(&mut run), if !(app.dirty && running) => {
                match ev {
                    Some(ev) => {
                        let t = Instant::now();
                        on_exec(ev, &mut app);
                        // Coalesce: apply what is already queued before the next frame.
                        let n = 1 + apply_queued(&mut run, &mut app);
                        frames.add(LoopWork::Exec(n), t.elapsed());
                    }
                    None => {
                        if let Some(session) = run.take() {
                            finish_in_background(session, reply_tx.clone());
                        }
                    }
                }
                Vec::new()
            },
            // the elapsed time moves while a run streams or is being planned
            _ = ticker.tick(), if running || app.header.pending => {
                frames.add(LoopWork::Other, Duration::ZERO);
                app.update(Msg::Tick(Instant::now()))
            }
            _ = tokio::time::sleep_until(frame_due), if app.dirty => {
                frames.add(LoopWork::Other, Duration::ZERO);
                Vec::new()
            }
        };
        pagers.extend(perform(fx, &mut app, &worker, &mut run));
    }
    tracing::info!("{}", frames.summary());
    // Quitting during a run: the cancel was sent; let the history record the partial run.
    if let Some(session) = run.take() {
        session.cancel();
        let rt = tokio::runtime::Handle::current();
        let _ =
            tokio::task::spawn_blocking(move || session.finish(&rt, Duration::from_secs(2))).await;
    }
    // Stop kept SSH masters (re-checks reused them) so nothing outlives the TUI.
    let close = transports.close();
    if tokio::time::timeout(Duration::from_secs(5), close)
        .await
        .is_err()
    {
        tracing::warn!("closing transports took over 5 s; leaving them");
    }
    Ok(())
}

fn on_exec(ev: Event, app: &mut App) {
    app.update(Msg::Tick(Instant::now()));
    app.update(Msg::Exec(ev));
}

/// Apply the executor's queued events for at most [`DRAIN_BUDGET`] (the clock is read once
/// per event; the rest waits for the next frame). Returns how many were applied.
fn apply_queued(run: &mut Option<RunSession>, app: &mut App) -> u64 {
    let start = Instant::now();
    let mut ticked = false;
    let mut applied = 0;
    while start.elapsed() < DRAIN_BUDGET {
        let Some(ev) = run.as_mut().and_then(RunSession::try_next) else {
            break;
        };
        if !ticked {
            app.update(Msg::Tick(Instant::now()));
            ticked = true;
        }
        app.update(Msg::Exec(ev));
        applied += 1;
    }
    applied
}

/// Do what the reducer asked; returns the texts to show in the pager (the loop owns the
/// terminal, so it does the hand-over).
fn perform(
    fx: Vec<Effect>,
    app: &mut App,
    worker: &Workers,
    run: &mut Option<RunSession>,
) -> Vec<String> {
    let mut pagers = Vec::new();
    for effect in fx {
        match effect {
            Effect::Quit => app.quit = true,
            Effect::CancelRun => {
                if let Some(r) = run {
                    r.cancel();
                }
            }
            Effect::LoadTheme(name) => worker.jobs.submit(Job::LoadTheme(name)),
            Effect::StartRun(req) => worker.jobs.submit(Job::StartRun(req)),
            Effect::Query(q) => worker.queries.ask(q),
            Effect::Acknowledge(req) => worker.jobs.submit(Job::Acknowledge(req)),
            Effect::Pager(text) => pagers.push(text),
        }
    }
    pagers
}

/// Raw mode and the alternate screen again after a hand-over, and a full redraw on the next
/// frame (both buffers blank, so every cell is written; `Terminal::clear` would ask the
/// terminal for the cursor position, which a pager can leave unanswered).
fn take_terminal_back(terminal: &mut ratatui::DefaultTerminal) -> std::io::Result<()> {
    enable_raw_mode()?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All),
        Hide
    )?;
    terminal.swap_buffers();
    Ok(())
}
