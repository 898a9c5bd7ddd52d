//! The run session: the one place a run is started, for the CLI and the TUI alike. It plans
//! (lazily: each host is expanded when the executor gets to it), opens the history writer,
//! starts the executor and fans every event out to the store and to its front end. Front
//! ends only consume events ([`RunSession::next`]) and read the end report
//! ([`RunSession::finish`]); they never talk to the writer.
//!
//! Starting a session opens SQLite (which can wait for the busy timeout) and plans, so a
//! front end with a render loop starts it off that loop (the TUI's worker does).

mod plan;

pub use plan::{Plan, PlanError, Planner};

use crate::config::Selection;
use crate::exec::{Event, ExecOptions, TransportSet, execute_stream};
use crate::model::{ExecKey, HostPlan, OutcomeCounts, RunMeta};
use crate::store::{StoreError, StoreWriter, WriteReport};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Called with each host's plan as the executor takes it.
pub type OnHost = Box<dyn FnMut(&HostPlan) + Send>;

/// Where a run's results are recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// `--no-store`.
    Off,
    /// The default database: when it cannot be opened the run goes on unrecorded.
    BestEffort(PathBuf),
    /// A database the user named: it must open, or the run does not start.
    Required(PathBuf),
}

/// What every run of a front end shares.
#[derive(Clone)]
pub struct SessionConfig {
    pub planner: Arc<dyn Planner>,
    pub transports: TransportSet,
    pub exec: ExecOptions,
    pub history: History,
}

/// A run to start: what to plan and, for re-checks, which `(host, key)` pairs to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    pub selection: Selection,
    /// `None` = the whole selection.
    pub only: Option<Vec<(String, ExecKey)>>,
}

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Plan(PlanError),
    #[error("nothing to run for this scope (no host has a matching check)")]
    Empty,
    /// The history the user named cannot be opened.
    #[error("--db: {0}")]
    History(StoreError),
}

/// A run in flight.
pub struct RunSession {
    rx: mpsc::Receiver<Event>,
    cancel: CancellationToken,
    writer: Option<StoreWriter>,
    task: JoinHandle<(OutcomeCounts, bool)>,
    /// Why the default history could not be opened: the run is not recorded (say so once).
    pub history_warning: Option<String>,
    /// Why the history's salt for secret values could not be kept (a per-run salt is used).
    pub salt_warning: Option<String>,
    /// `(host, executions)` of the run, in the order the hosts are probed.
    pub hosts: Vec<(String, usize)>,
    pub meta: Arc<RunMeta>,
}

/// How a run ended.
#[derive(Debug)]
pub struct SessionEnd {
    pub counts: OutcomeCounts,
    pub cancelled: bool,
    /// The executor task failed (a bug): the counts are not to be trusted.
    pub executor_error: Option<String>,
    /// `None`: not recorded (`--no-store`, or the history could not be opened).
    pub history: Option<Result<WriteReport, StoreError>>,
}

impl SessionEnd {
    /// A line for the user when the history lost results or was not written.
    pub fn history_problem(&self) -> Option<String> {
        match &self.history {
            Some(Ok(r)) if r.results_lost > 0 => Some(format!(
                "{} of {} results were not recorded in the history",
                r.results_lost,
                r.results_lost + r.results_written
            )),
            Some(Err(e)) => Some(format!("history not recorded: {e}")),
            _ => None,
        }
    }
}

impl RunSession {
    /// Plan `req`, open the history and start the executor on `runtime`. Blocking (SQLite
    /// open, planning): call it off any render loop. `on_host` sees each host's plan as the
    /// executor takes it.
    pub fn start(
        req: &RunRequest,
        config: &SessionConfig,
        runtime: &tokio::runtime::Handle,
        on_host: Option<OnHost>,
    ) -> Result<RunSession, SessionError> {
        let mut plan = config.planner.plan(&req.selection).map_err(|e| match e {
            PlanError::Empty => SessionError::Empty,
            e => SessionError::Plan(e),
        })?;
        if let Some(only) = &req.only {
            plan = plan.narrow(only);
        }
        if plan.is_empty() {
            return Err(SessionError::Empty);
        }
        let (writer, history_warning) = match &config.history {
            History::Off => (None, None),
            History::Required(path) => (
                Some(StoreWriter::spawn(path).map_err(SessionError::History)?),
                None,
            ),
            History::BestEffort(path) => match StoreWriter::spawn(path) {
                Ok(w) => (Some(w), None),
                Err(e) => (None, Some(e.to_string())),
            },
        };
        // Secret values are hashed with the history's salt, so equal secrets compare equal
        // across runs (a per-run salt otherwise).
        let mut salt_warning = None;
        if let (Some(_), History::Required(path) | History::BestEffort(path)) =
            (&writer, &config.history)
        {
            match crate::store::history_salt(path) {
                Ok(salt) => crate::probe::secret::set_salt(&salt),
                Err(e) => salt_warning = Some(e.to_string()),
            }
        }
        let meta = RunMeta::begin(
            req.selection.scope(plan.environment.as_deref()),
            config.planner.checkset_hash(),
            plan.hosts.len(),
            plan.execution_count,
        );
        tracing::info!(
            "run {} scope {:?}: {} hosts, {} executions",
            meta.id,
            meta.scope.describe(),
            meta.host_count,
            meta.execution_count
        );
        let hosts = plan.hosts.clone();
        let host_names: Vec<String> = hosts.iter().map(|(h, _)| h.clone()).collect();
        if let Some(f) = on_host {
            plan = plan.inspect(f);
        }
        let (tx, rx) = mpsc::channel(4096);
        let cancel = CancellationToken::new();
        let shared = Arc::new(meta.clone());
        let task = runtime.spawn(execute_stream(
            meta,
            host_names,
            plan.into_iter(),
            config.transports.clone(),
            config.exec,
            tx,
            cancel.clone(),
        ));
        Ok(RunSession {
            rx,
            cancel,
            writer,
            task,
            history_warning,
            salt_warning,
            hosts,
            meta: shared,
        })
    }

    fn record(&self, ev: &Event) {
        if let Some(w) = &self.writer {
            w.send(ev);
        }
    }

    /// The next event (already handed to the history); `None` when the run has ended.
    pub async fn next(&mut self) -> Option<Event> {
        let ev = self.rx.recv().await?;
        self.record(&ev);
        Some(ev)
    }

    /// An event that is already queued, without waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        let ev = self.rx.try_recv().ok()?;
        self.record(&ev);
        Some(ev)
    }

    /// [`RunSession::next`] for a front end on a plain thread (the CLI reporter).
    pub fn blocking_next(&mut self) -> Option<Event> {
        let ev = self.rx.blocking_recv()?;
        self.record(&ev);
        Some(ev)
    }

    /// Ask the executor to stop (probes are killed; the run ends `cancelled`).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token that cancels this run (for a signal handler).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Wait for the executor (recording the events still queued), then let the writer commit
    /// what it holds. Blocking — the writer may wait for the database lock — and not from
    /// inside the async runtime. Call after [`RunSession::next`] returned `None`, or after
    /// [`RunSession::cancel`]; an executor that has not stopped after `grace` is abandoned.
    pub fn finish(self, runtime: &tokio::runtime::Handle, grace: Duration) -> SessionEnd {
        let RunSession {
            mut rx,
            writer,
            mut task,
            ..
        } = self;
        let joined = runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + grace;
            while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
                if let Some(w) = &writer {
                    w.send(&ev);
                }
            }
            tokio::time::timeout_at(deadline, &mut task).await
        });
        let (counts, cancelled, executor_error) = match joined {
            Ok(Ok((counts, cancelled))) => (counts, cancelled, None),
            Ok(Err(e)) => (OutcomeCounts::default(), false, Some(e.to_string())),
            Err(_) => {
                task.abort();
                (OutcomeCounts::default(), true, None)
            }
        };
        SessionEnd {
            counts,
            cancelled,
            executor_error,
            history: writer.map(StoreWriter::finish),
        }
    }
}
