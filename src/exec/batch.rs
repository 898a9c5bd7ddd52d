//! Hosts of a batch transport (salt): kept aside as the plans arrive, each with its probe
//! script built under one run-wide frame nonce so that hosts with the same checks share one
//! script (and one salt job), then sent as one batch per transport. Results stream back into
//! the same events as the per-host path: `Connecting` (◌) while the batch is out, then each
//! host's state and results as its output arrives.

use super::{DEADLINE_GRACE, Event, ExecOptions, report_host};
use crate::model::{Execution, Host, HostPhase, HostPlan, OutcomeCounts};
use crate::probe::batch::{ProbeScript, fresh_nonce};
use crate::transport::{BatchItem, Limits, Transport, TransportError};
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One distinct set of executions and the script built for it.
struct Checks {
    executions: Arc<Vec<Execution>>,
    script: Arc<ProbeScript>,
    /// The script's text, shared by every host that runs it.
    text: Arc<str>,
}

/// A host waiting for its batch.
struct Waiting {
    environment: String,
    host: Host,
    checks: usize,
}

/// The hosts waiting for one batch transport.
struct Pending {
    transport: Arc<dyn Transport>,
    hosts: Vec<Waiting>,
}

/// Batched hosts not yet sent, and the distinct check sets they need.
pub(super) struct Stash {
    nonce: String,
    checks: Vec<Checks>,
    /// Hash of a script's text → indexes into `checks` with that hash.
    by_text: HashMap<u64, Vec<usize>>,
    pending: Vec<Pending>,
}

impl Default for Stash {
    fn default() -> Self {
        Stash {
            nonce: fresh_nonce(),
            checks: Vec::new(),
            by_text: HashMap::new(),
            pending: Vec::new(),
        }
    }
}

impl Stash {
    /// Keep `plan` for `transport`'s next batch.
    pub(super) fn add(&mut self, plan: HostPlan, transport: Arc<dyn Transport>) {
        let checks = self.checks_for(plan.executions);
        let waiting = Waiting {
            environment: plan.environment,
            host: plan.host,
            checks,
        };
        match self
            .pending
            .iter_mut()
            .find(|p| Arc::ptr_eq(&p.transport, &transport))
        {
            Some(p) => p.hosts.push(waiting),
            None => self.pending.push(Pending {
                transport,
                hosts: vec![waiting],
            }),
        }
    }

    /// The index of `executions` in `checks`, added when new. Hosts whose executions are
    /// equal share one entry; hosts whose scripts are equal share one text.
    fn checks_for(&mut self, executions: Vec<Execution>) -> usize {
        let script = ProbeScript::build_with_nonce(&executions, self.nonce.clone());
        let mut hasher = DefaultHasher::new();
        script.text.hash(&mut hasher);
        let same_text = self.by_text.entry(hasher.finish()).or_default();
        let mut text = None;
        for &i in same_text.iter() {
            let Some(c) = self.checks.get(i) else {
                continue;
            };
            if *c.text == *script.text {
                if *c.executions == executions {
                    return i;
                }
                text = Some(c.text.clone());
            }
        }
        let text = text.unwrap_or_else(|| Arc::from(script.text.as_str()));
        self.checks.push(Checks {
            executions: Arc::new(executions),
            script: Arc::new(script),
            text,
        });
        same_text.push(self.checks.len() - 1);
        self.checks.len() - 1
    }

    /// The batches to send now, one per transport; the stash is left empty (its check sets
    /// stay for hosts still to come).
    pub(super) fn take(&mut self) -> Vec<Batch> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|p| {
                let mut items = Vec::with_capacity(p.hosts.len());
                let mut hosts = Vec::with_capacity(p.hosts.len());
                for w in p.hosts {
                    let Some(c) = self.checks.get(w.checks) else {
                        continue;
                    };
                    items.push(BatchItem {
                        host: w.host,
                        script: c.text.clone(),
                    });
                    hosts.push(BatchHost {
                        environment: w.environment,
                        executions: c.executions.clone(),
                        script: c.script.clone(),
                    });
                }
                Batch {
                    transport: p.transport,
                    items,
                    hosts,
                }
            })
            .collect()
    }
}

/// What the executor keeps of a batched host to read its output back.
struct BatchHost {
    environment: String,
    executions: Arc<Vec<Execution>>,
    script: Arc<ProbeScript>,
}

/// Hosts sent to one batch transport at once.
pub(super) struct Batch {
    transport: Arc<dyn Transport>,
    items: Vec<BatchItem>,
    /// Parallel to `items`.
    hosts: Vec<BatchHost>,
}

impl Batch {
    /// Send the batch and report every host as its output arrives; a host still without
    /// output at the deadline (plus grace) gets `timeout`. Cancellation drops the
    /// transport's future, which stops what it started.
    pub(super) async fn run(
        self,
        opts: ExecOptions,
        tx: mpsc::Sender<Event>,
        cancel: CancellationToken,
    ) -> OutcomeCounts {
        let mut counts = OutcomeCounts::default();
        let Some(batch) = self.transport.batch() else {
            return counts;
        };
        for item in &self.items {
            let _ = tx
                .send(Event::HostState {
                    host: item.host.name.clone(),
                    phase: HostPhase::Connecting,
                })
                .await;
        }
        let started = Instant::now();
        let limits = Limits {
            deadline: started + opts.timeout,
            connect_timeout: opts.connect_timeout,
            output_cap: opts.output_cap,
        };
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let mut reported = vec![false; self.items.len()];
        let mut left = self.items.len();
        let hard = tokio::time::Instant::from_std(limits.deadline) + DEADLINE_GRACE;
        let work = batch.run_batch(&self.items, limits, out_tx);
        tokio::pin!(work);
        let mut work_done = false;
        while left > 0 {
            let (index, result) = tokio::select! {
                biased;
                _ = cancel.cancelled() => return counts,
                out = out_rx.recv() => match out {
                    Some(o) => o,
                    None => break, // the transport is done and dropped its sender
                },
                () = &mut work, if !work_done => {
                    work_done = true;
                    continue;
                }
                _ = tokio::time::sleep_until(hard) => break,
            };
            let Some(done) = reported.get_mut(index) else {
                continue;
            };
            if std::mem::replace(done, true) {
                continue;
            }
            left -= 1;
            let c = self.report(index, result, started, &tx).await;
            counts.merge(c);
        }
        // Whatever the transport did not answer for.
        let timed_out = tokio::time::Instant::now() >= hard;
        let unreported: Vec<usize> = (0..self.items.len()).filter(|&i| !reported[i]).collect();
        for index in unreported {
            let why = if timed_out {
                TransportError::Timeout(format!(
                    "no answer within the {:.1}s host deadline",
                    opts.timeout.as_secs_f64()
                ))
            } else {
                TransportError::Failed("the transport gave no answer for this host".into())
            };
            let c = self.report(index, Err(why), started, &tx).await;
            counts.merge(c);
        }
        counts
    }

    async fn report(
        &self,
        index: usize,
        result: Result<crate::transport::ScriptOutput, TransportError>,
        started: Instant,
        tx: &mpsc::Sender<Event>,
    ) -> OutcomeCounts {
        let (Some(item), Some(host)) = (self.items.get(index), self.hosts.get(index)) else {
            return OutcomeCounts::default();
        };
        report_host(
            &host.environment,
            &item.host.name,
            &host.executions,
            &host.script,
            result,
            started.elapsed(),
            tx,
        )
        .await
    }
}
