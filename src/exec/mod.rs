//! The executor: one tokio task per host under a semaphore (`--jobs`), a per-host deadline,
//! cancellation, and one [`Event`] stream that every consumer (CLI reporter, store writer,
//! TUI) reads. It knows nothing about how results are shown or stored.
//!
//! Hosts whose transport offers a batch form (salt) are not given a slot each: they wait in
//! a [`batch::Stash`] (grouped by identical script) and go out together whenever the
//! executor would otherwise wait for a slot, and at the end.

mod batch;

use crate::model::{
    HostPhase, HostPlan, Outcome, OutcomeCounts, ResultRecord, RunMeta, TransportKind, Value,
};
use crate::probe::batch::{ProbeScript, expected_json};
use crate::transport::{DEFAULT_OUTPUT_CAP, Limits, Transport, TransportError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// What consumers see, in order: `RunStarted`, then per host `HostState`s and its
/// `CheckResult`s, then exactly one `RunFinished`.
#[derive(Debug, Clone)]
pub enum Event {
    RunStarted(Arc<RunMeta>),
    HostState {
        host: String,
        phase: HostPhase,
    },
    CheckResult(Box<ResultRecord>),
    RunFinished {
        run_id: String,
        finished_at: chrono::DateTime<chrono::Utc>,
        counts: OutcomeCounts,
        cancelled: bool,
    },
}

/// How long past its deadline a transport may take before the executor gives up on it.
const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// Executor knobs (CLI flags).
#[derive(Debug, Clone, Copy)]
pub struct ExecOptions {
    pub jobs: usize,
    /// Per-host deadline for connect + probe.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub output_cap: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            jobs: 64,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            output_cap: DEFAULT_OUTPUT_CAP,
        }
    }
}

/// The transports available to a run, by host transport kind.
#[derive(Clone)]
pub struct TransportSet {
    pub local: Arc<dyn Transport>,
    pub ssh: Option<Arc<dyn Transport>>,
    pub salt: Option<Arc<dyn Transport>>,
}

impl TransportSet {
    pub fn local_only() -> TransportSet {
        TransportSet {
            local: Arc::new(crate::transport::local::LocalTransport),
            ssh: None,
            salt: None,
        }
    }
    fn for_kind(&self, kind: TransportKind) -> Option<Arc<dyn Transport>> {
        match kind {
            TransportKind::Local => Some(self.local.clone()),
            TransportKind::Ssh => self.ssh.clone(),
            TransportKind::Salt => self.salt.clone(),
        }
    }

    /// Close every transport's pooled connections.
    pub async fn close(&self) {
        self.local.close().await;
        for t in [&self.ssh, &self.salt].into_iter().flatten() {
            t.close().await;
        }
    }
}

/// Run every host plan and stream events into `tx`. Returns the counts (also sent in
/// `RunFinished`). A closed receiver does not stop the run (results are still counted).
pub async fn execute(
    meta: RunMeta,
    plans: Vec<HostPlan>,
    transports: TransportSet,
    opts: ExecOptions,
    tx: mpsc::Sender<Event>,
    cancel: CancellationToken,
) -> (OutcomeCounts, bool) {
    let hosts: Vec<String> = plans.iter().map(|p| p.host.name.clone()).collect();
    execute_stream(meta, hosts, plans.into_iter(), transports, opts, tx, cancel).await
}

/// Like [`execute`], but pulls each host's plan from `plans` only when a `--jobs` slot is
/// free, so memory holds the plans of the hosts in flight, not the whole fleet's.
/// `hosts` names every host `plans` will yield (for the `Queued` states).
pub async fn execute_stream<I>(
    meta: RunMeta,
    hosts: Vec<String>,
    mut plans: I,
    transports: TransportSet,
    opts: ExecOptions,
    tx: mpsc::Sender<Event>,
    cancel: CancellationToken,
) -> (OutcomeCounts, bool)
where
    I: Iterator<Item = HostPlan> + Send,
{
    let run_id = meta.id.clone();
    let _ = tx.send(Event::RunStarted(Arc::new(meta))).await;
    for host in hosts {
        let _ = tx
            .send(Event::HostState {
                host,
                phase: HostPhase::Queued,
            })
            .await;
    }
    let sem = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut counts = OutcomeCounts::default();
    let mut stash = batch::Stash::default();
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let Some(plan) = plans.next() else {
            break;
        };
        let transport = transports.for_kind(plan.host.transport);
        if let Some(t) = transport.as_ref().filter(|t| t.batch().is_some()) {
            stash.add(plan, t.clone());
            continue;
        }
        let permit = match sem.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                // About to wait for a slot: batched hosts need none, send them now.
                for job in stash.take() {
                    tasks.spawn(job.run(opts, tx.clone(), cancel.clone()));
                }
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => break,
                    p = sem.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                }
            }
        };
        let tx = tx.clone();
        let transports = transports.clone();
        let cancel = cancel.clone();
        tasks.spawn(async move {
            let _permit = permit;
            tokio::select! {
                biased;
                _ = cancel.cancelled() => OutcomeCounts::default(),
                c = run_host(plan, &transports, opts, &tx) => c,
            }
        });
        while let Some(joined) = tasks.try_join_next() {
            if let Ok(c) = joined {
                counts.merge(c);
            }
        }
    }
    if !cancel.is_cancelled() {
        for job in stash.take() {
            tasks.spawn(job.run(opts, tx.clone(), cancel.clone()));
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(c) = joined {
            counts.merge(c);
        }
    }
    let cancelled = cancel.is_cancelled();
    let _ = tx
        .send(Event::RunFinished {
            run_id,
            finished_at: chrono::Utc::now(),
            counts,
            cancelled,
        })
        .await;
    (counts, cancelled)
}

/// Probe one host and emit its results. Never panics on host output.
async fn run_host(
    plan: HostPlan,
    transports: &TransportSet,
    opts: ExecOptions,
    tx: &mpsc::Sender<Event>,
) -> OutcomeCounts {
    let started = Instant::now();
    let limits = Limits {
        deadline: started + opts.timeout,
        connect_timeout: opts.connect_timeout,
        output_cap: opts.output_cap,
    };
    let host_name = plan.host.name.clone();
    let send_phase = |phase: HostPhase| {
        let _ = tx.try_send(Event::HostState {
            host: host_name.clone(),
            phase,
        });
    };
    let _ = tx
        .send(Event::HostState {
            host: host_name.clone(),
            phase: HostPhase::Connecting,
        })
        .await;
    let script = ProbeScript::build(&plan.executions);
    let result = match transports.for_kind(plan.host.transport) {
        Some(t) => {
            // Transports enforce the deadline themselves; this is the executor's safety
            // net for one that does not (a hung connect, a wedged session).
            let hard = tokio::time::Instant::from_std(limits.deadline) + DEADLINE_GRACE;
            match tokio::time::timeout_at(
                hard,
                t.run_script(&plan.host, &script.text, limits, &send_phase),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(format!(
                    "no answer within the {:.1}s host deadline",
                    opts.timeout.as_secs_f64()
                ))),
            }
        }
        None => Err(TransportError::Unreachable(format!(
            "no {:?} transport available in this build",
            plan.host.transport
        ))),
    };
    report_host(
        &plan.environment,
        &plan.host.name,
        &plan.executions,
        &script,
        result,
        started.elapsed(),
        tx,
    )
    .await
}

/// Emit one host's end state and its results: verdicts from its output, or the transport's
/// failure for every check. Never panics on host output.
async fn report_host(
    environment: &str,
    host_name: &str,
    executions: &[crate::model::Execution],
    script: &ProbeScript,
    result: Result<crate::transport::ScriptOutput, TransportError>,
    duration: Duration,
    tx: &mpsc::Sender<Event>,
) -> OutcomeCounts {
    let mut counts = OutcomeCounts::default();
    let record = |e: &crate::model::Execution, outcome, expected, actual, reason| ResultRecord {
        environment: environment.to_string(),
        host: host_name.to_string(),
        key: e.key.clone(),
        check_id: e.check_id.clone(),
        title: e.title.clone(),
        category: e.category.clone(),
        severity: e.severity,
        outcome,
        expected,
        actual,
        reason,
        duration,
        sop: e.sop.clone(),
    };
    match result {
        Ok(out) => {
            let verdicts = script.interpret(&out.stdout, executions);
            let _ = tx
                .send(Event::HostState {
                    host: host_name.to_string(),
                    phase: HostPhase::Done,
                })
                .await;
            for (e, v) in executions.iter().zip(verdicts) {
                counts.add(v.outcome);
                let rec = record(e, v.outcome, v.expected, v.actual, v.reason);
                let _ = tx.send(Event::CheckResult(Box::new(rec))).await;
            }
        }
        Err(err) => {
            let (outcome, reason) = match &err {
                TransportError::Unreachable(r) => (Outcome::Unreachable, r.clone()),
                TransportError::Timeout(r) => (Outcome::Timeout, r.clone()),
                TransportError::SudoDenied(r) => (Outcome::SudoDenied, r.clone()),
                TransportError::Failed(r) => (Outcome::Error, r.clone()),
            };
            let _ = tx
                .send(Event::HostState {
                    host: host_name.to_string(),
                    phase: HostPhase::Failed(err.to_string()),
                })
                .await;
            for e in executions {
                counts.add(outcome);
                let rec = record(
                    e,
                    outcome,
                    expected_json(e),
                    Value::Object(Default::default()),
                    Some(reason.clone()),
                );
                let _ = tx.send(Event::CheckResult(Box::new(rec))).await;
            }
        }
    }
    counts
}
