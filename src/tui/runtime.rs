//! The event loop: one biased `tokio::select!` over terminal input (crossterm EventStream),
//! executor events of the current run, side results (store reports, themes) and a frame
//! timer that exists only while something changed. Every state change goes through
//! [`App::update`]; this module performs the [`Effect`]s it returns (planning and starting
//! runs, cancelling, writing history, loading themes) and owns the terminal: raw mode and the
//! alternate screen are undone on exit, on error (RAII guard) and on panic (hook).

use super::app::{App, Effect, Msg, RunRequest};
use super::theme::Theme;
use super::{TuiContext, ui};
use crate::config::Selection;
use crate::exec::{Event, ExecOptions, TransportSet, execute};
use crate::model::{ExecKey, HostPlan, RunMeta};
use crate::store::StoreWriter;
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Shortest time between two frames: bursts of events within it share one redraw.
pub const FRAME: Duration = Duration::from_millis(16);
/// Longest time spent applying queued executor events before drawing again.
pub const DRAIN_BUDGET: Duration = Duration::from_millis(6);

/// Turns a selection into per-host executions (the config loader in production).
pub trait Planner: Send + Sync {
    fn plan(&self, selection: &Selection) -> Result<Vec<HostPlan>, String>;
    fn checkset_hash(&self) -> String;
}

/// Whether raw mode / the alternate screen are ours to undo (so undoing happens once, even
/// when both the panic hook and the guard run: leaving the alternate screen twice would move
/// the cursor back over the panic message).
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

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
            restore_terminal();
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

/// A run in flight: its events, its cancel token and its history writer.
struct ActiveRun {
    rx: mpsc::Receiver<Event>,
    cancel: CancellationToken,
    writer: Option<StoreWriter>,
}

/// What the loop needs besides the state.
struct Services {
    planner: Arc<dyn Planner>,
    transports: TransportSet,
    exec: ExecOptions,
    db: Option<PathBuf>,
    side_tx: mpsc::UnboundedSender<Msg>,
    user_theme_dir: Option<PathBuf>,
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
    let (side_tx, side_rx) = mpsc::unbounded_channel();
    let services = Services {
        planner,
        transports: ctx.transports,
        exec: ctx.exec,
        db: ctx.db,
        side_tx,
        user_theme_dir: super::theme::user_theme_dir(),
    };
    let result = rt.block_on(event_loop(terminal, app, services, side_rx));
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

async fn next_exec(run: &mut Option<ActiveRun>) -> Option<Event> {
    match run {
        Some(r) => r.rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn event_loop(
    mut terminal: ratatui::DefaultTerminal,
    mut app: App,
    services: Services,
    mut side_rx: mpsc::UnboundedReceiver<Msg>,
) -> std::io::Result<()> {
    let mut input = EventStream::new();
    let mut run: Option<ActiveRun> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let fx = app.update(Msg::Start);
    perform(fx, &mut app, &services, &mut run);
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if app.quit {
            break;
        }
        let now = Instant::now();
        if app.dirty && now >= last_draw + FRAME {
            app.settle();
            terminal.draw(|f| ui::draw(f, &app))?;
            app.dirty = false;
            last_draw = now;
        }
        let frame_due = tokio::time::Instant::from_std(last_draw + FRAME);
        let running = app.running();
        let fx = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => app.update(Msg::Key(k)),
                Some(Ok(TermEvent::Resize(w, h))) => app.update(Msg::Resize(w, h)),
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => return Err(e),
                None => break,
            },
            msg = side_rx.recv() => match msg {
                Some(m) => app.update(m),
                None => Vec::new(),
            },
            ev = next_exec(&mut run) => {
                match ev {
                    Some(ev) => {
                        on_exec(ev, &mut app, &mut run, &services);
                        // Coalesce: apply what is already queued before the next frame.
                        let start = Instant::now();
                        while start.elapsed() < DRAIN_BUDGET {
                            let Some(r) = run.as_mut() else { break };
                            match r.rx.try_recv() {
                                Ok(ev) => on_exec(ev, &mut app, &mut run, &services),
                                Err(_) => break,
                            }
                        }
                    }
                    None => run = None,
                }
                Vec::new()
            },
            _ = ticker.tick(), if running => app.update(Msg::Tick(Instant::now())),
            _ = tokio::time::sleep_until(frame_due), if app.dirty => Vec::new(),
        };
        perform(fx, &mut app, &services, &mut run);
    }
    // Quitting during a run: the cancel was sent; let the history record the partial run.
    if let Some(mut r) = run.take() {
        r.cancel.cancel();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, r.rx.recv()).await {
            if let Some(w) = &r.writer {
                w.send(&ev);
            }
        }
        if let Some(w) = r.writer.take() {
            let _ = tokio::task::spawn_blocking(move || w.finish()).await;
        }
    }
    // Stop kept SSH masters (re-checks reused them) so nothing outlives the TUI.
    let close = services.transports.close();
    if tokio::time::timeout(Duration::from_secs(5), close)
        .await
        .is_err()
    {
        tracing::warn!("closing transports took over 5 s; leaving them");
    }
    Ok(())
}

fn on_exec(ev: Event, app: &mut App, run: &mut Option<ActiveRun>, services: &Services) {
    let finished = matches!(ev, Event::RunFinished { .. });
    if let Some(r) = run.as_ref()
        && let Some(w) = &r.writer
    {
        w.send(&ev);
    }
    app.update(Msg::Tick(Instant::now()));
    app.update(Msg::Exec(ev));
    if finished
        && let Some(r) = run.as_mut()
        && let Some(w) = r.writer.take()
    {
        let tx = services.side_tx.clone();
        tokio::task::spawn_blocking(move || {
            let msg = match w.finish() {
                Ok(rep) if rep.results_lost > 0 => Msg::Status(format!(
                    "history: {} results stored, {} lost",
                    rep.results_written, rep.results_lost
                )),
                Ok(rep) => {
                    tracing::info!("history: {} results stored", rep.results_written);
                    return;
                }
                Err(e) => Msg::Status(format!("history not written: {e}")),
            };
            let _ = tx.send(msg);
        });
    }
}

fn perform(fx: Vec<Effect>, app: &mut App, services: &Services, run: &mut Option<ActiveRun>) {
    for effect in fx {
        match effect {
            Effect::Quit => app.quit = true,
            Effect::CancelRun => {
                if let Some(r) = run {
                    r.cancel.cancel();
                }
            }
            Effect::LoadTheme(name) => {
                let msg = match Theme::resolve(Some(&name), services.user_theme_dir.as_deref()) {
                    Ok(t) if super::theme::no_color_requested() => {
                        Msg::ThemeLoaded(t.without_color())
                    }
                    Ok(t) => Msg::ThemeLoaded(t),
                    Err(e) => Msg::Status(e.to_string()),
                };
                app.update(msg);
            }
            Effect::StartRun(req) => match start_run(req, services) {
                Ok((active, targets)) => {
                    *run = Some(active);
                    app.update(Msg::Planned(targets));
                }
                Err(why) => {
                    app.update(Msg::RunRejected(why));
                }
            },
        }
    }
}

type Targets = Vec<(String, ExecKey, crate::model::ProbeTarget)>;

/// Keep only the `(host, key)` pairs of a re-check; drop hosts left with nothing.
pub fn narrow(plans: Vec<HostPlan>, only: &[(String, ExecKey)]) -> Vec<HostPlan> {
    let keep: HashSet<(&str, &str)> = only.iter().map(|(h, k)| (h.as_str(), k.as_str())).collect();
    plans
        .into_iter()
        .filter_map(|mut p| {
            let host = p.host.name.clone();
            p.executions
                .retain(|e| keep.contains(&(host.as_str(), e.key.as_str())));
            (!p.executions.is_empty()).then_some(p)
        })
        .collect()
}

fn start_run(req: RunRequest, services: &Services) -> Result<(ActiveRun, Targets), String> {
    let mut plans = services
        .planner
        .plan(&req.selection)
        .map_err(|e| format!("cannot plan the run: {e}"))?;
    if let Some(only) = &req.only {
        plans = narrow(plans, only);
    }
    if plans.is_empty() {
        return Err("nothing to run for this scope (no host has a matching check)".into());
    }
    let meta = RunMeta::begin(
        req.selection
            .scope(plans.first().map(|p| p.environment.as_str())),
        services.planner.checkset_hash(),
        plans.len(),
        plans.iter().map(|p| p.executions.len()).sum(),
    );
    let targets: Targets = plans
        .iter()
        .flat_map(|p| {
            p.executions
                .iter()
                .map(|e| (p.host.name.clone(), e.key.clone(), e.target.clone()))
        })
        .collect();
    let writer = match &services.db {
        Some(path) => match StoreWriter::spawn(path) {
            Ok(w) => {
                // Never eprintln here: the terminal is the TUI's.
                match crate::store::history_salt(path) {
                    Ok(salt) => crate::probe::secret::set_salt(&salt),
                    Err(e) => tracing::warn!("secret values hashed with a per-run salt: {e}"),
                }
                Some(w)
            }
            Err(e) => {
                let _ = services
                    .side_tx
                    .send(Msg::Status(format!("history disabled for this run: {e}")));
                None
            }
        },
        None => None,
    };
    tracing::info!(
        "run {} scope {:?}: {} hosts, {} executions",
        meta.id,
        meta.scope.describe(),
        meta.host_count,
        meta.execution_count
    );
    let (tx, rx) = mpsc::channel(4096);
    let cancel = CancellationToken::new();
    tokio::spawn(execute(
        meta,
        plans,
        services.transports.clone(),
        services.exec,
        tx,
        cancel.clone(),
    ));
    Ok((ActiveRun { rx, cancel, writer }, targets))
}
