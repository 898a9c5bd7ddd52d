//! Salt transport: the probe script runs on Salt minions through their master, as
//! `cmd.run_all` of `sh -s` with the script on stdin. One `salt` CLI job per group of hosts
//! that share a master and an identical script (a fleet with one check set: one job), jobs
//! run concurrently up to a bound, and every minion's return is handed back as it arrives.
//!
//! The CLI's arguments go on its stdin (`--args-stdin`), so neither the minion list nor the
//! script meets the kernel's argument-size limit. The script travels base64-encoded (Salt
//! takes `key=value` arguments only on one line) and is decoded on the minion by
//! `base64 -d | sh -s`; `--no-parse=stdin` keeps Salt from reading it as YAML and
//! `rstrip=False` keeps the output byte for byte. Nothing is written on the master or the
//! minions by us (no `file_roots`, no `cp`); Salt itself keeps its job cache as usual.
//!
//! The exit code of `salt` says nothing reliable (0 when the master is down, 1 when a probe
//! exits non-zero), so outcomes come from comparing the minions asked with the minions that
//! answered ([`returns`] reads the answers). The CLI runs in its own process group, killed
//! when the deadline passes or the future is dropped.

mod job;
mod returns;

use super::{BatchItem, BatchOutput, BatchTransport, Limits, PhaseSink, ScriptOutput};
use super::{Transport, TransportError};
use crate::model::{Host, HostPhase, SaltMaster};
use futures::future::BoxFuture;
use job::Job;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

/// Salt jobs (distinct scripts) out at the same time by default.
pub const DEFAULT_CONCURRENT_JOBS: usize = 4;

/// The salt transport. Holds no connection: the master keeps those.
#[derive(Debug, Clone)]
pub struct SaltTransport {
    concurrent_jobs: usize,
}

impl Default for SaltTransport {
    fn default() -> Self {
        SaltTransport::new(DEFAULT_CONCURRENT_JOBS)
    }
}

impl SaltTransport {
    /// A transport that has at most `concurrent_jobs` salt jobs out at once.
    pub fn new(concurrent_jobs: usize) -> SaltTransport {
        SaltTransport {
            concurrent_jobs: concurrent_jobs.max(1),
        }
    }

    async fn run_items(
        &self,
        items: &[BatchItem],
        limits: Limits,
        outputs: mpsc::UnboundedSender<BatchOutput>,
    ) {
        let jobs = group(items, &outputs);
        let slots = Arc::new(Semaphore::new(self.concurrent_jobs));
        let runs = jobs.into_iter().map(|job| {
            let slots = slots.clone();
            let outputs = outputs.clone();
            async move {
                let Ok(_slot) = slots.acquire().await else {
                    return;
                };
                job.run(limits, &outputs).await;
            }
        });
        futures::future::join_all(runs).await;
    }
}

/// Split a batch into jobs: one per (master, script). Hosts that share one script `Arc` are
/// matched by pointer; different `Arc`s with the same text still join one job. A host
/// without a salt target (not `transport = "salt"`) is answered at once.
fn group<'a>(items: &'a [BatchItem], outputs: &mpsc::UnboundedSender<BatchOutput>) -> Vec<Job<'a>> {
    let mut jobs: Vec<Job<'a>> = Vec::new();
    let mut by_text: HashMap<(&'a SaltMaster, &'a str), usize> = HashMap::new();
    let mut by_ptr: HashMap<(&'a SaltMaster, *const u8), usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let Some(target) = &item.host.salt else {
            let _ = outputs.send((
                index,
                Err(TransportError::Unreachable(format!(
                    "host `{}` has no salt minion (transport is {})",
                    item.host.name,
                    item.host.transport.as_str()
                ))),
            ));
            continue;
        };
        let master = &target.master;
        let ptr_key = (master, item.script.as_ptr());
        let job = match by_ptr.get(&ptr_key) {
            Some(&j) => j,
            None => {
                let j = *by_text.entry((master, &item.script)).or_insert_with(|| {
                    jobs.push(Job::new(master, &item.script));
                    jobs.len() - 1
                });
                by_ptr.insert(ptr_key, j);
                j
            }
        };
        if let Some(job) = jobs.get_mut(job) {
            job.add(&target.minion, index);
        }
    }
    jobs
}

impl Transport for SaltTransport {
    /// One host alone: a job of one minion.
    fn run_script<'a>(
        &'a self,
        host: &'a Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(async move {
            phase(HostPhase::Connecting);
            let items = [BatchItem {
                host: host.clone(),
                script: Arc::from(script),
            }];
            let (tx, mut rx) = mpsc::unbounded_channel();
            self.run_items(&items, limits, tx).await;
            match rx.recv().await {
                Some((_, result)) => result,
                None => Err(TransportError::Failed("the salt job gave no answer".into())),
            }
        })
    }

    fn batch(&self) -> Option<&dyn BatchTransport> {
        Some(self)
    }
}

impl BatchTransport for SaltTransport {
    fn run_batch<'a>(
        &'a self,
        items: &'a [BatchItem],
        limits: Limits,
        outputs: mpsc::UnboundedSender<BatchOutput>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.run_items(items, limits, outputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SaltTarget, TransportKind};
    use std::collections::BTreeMap;

    fn host(name: &str, master: &SaltMaster) -> Host {
        Host {
            name: name.into(),
            address: name.into(),
            transport: TransportKind::Salt,
            user: None,
            port: None,
            become_root: false,
            tags: vec![],
            vars: BTreeMap::new(),
            salt: Some(SaltTarget {
                minion: format!("{name}.minion"),
                master: master.clone(),
            }),
        }
    }

    #[test]
    fn one_job_per_master_and_distinct_script() {
        let a = SaltMaster::default();
        let b = SaltMaster {
            config_dir: "/srv/other-master".into(),
            ..SaltMaster::default()
        };
        let shared: Arc<str> = Arc::from("echo one");
        let items = vec![
            BatchItem {
                host: host("h1", &a),
                script: shared.clone(),
            },
            BatchItem {
                host: host("h2", &a),
                script: shared.clone(),
            },
            // Same text in another Arc: still the same job.
            BatchItem {
                host: host("h3", &a),
                script: Arc::from("echo one"),
            },
            BatchItem {
                host: host("h4", &a),
                script: Arc::from("echo two"),
            },
            BatchItem {
                host: host("h5", &b),
                script: shared.clone(),
            },
        ];
        let (tx, mut rx) = mpsc::unbounded_channel();
        let jobs = group(&items, &tx);
        let shapes: Vec<(String, Vec<String>)> = jobs
            .iter()
            .map(|j| (j.script().to_string(), j.minion_ids()))
            .collect();
        assert_eq!(
            shapes,
            vec![
                (
                    "echo one".into(),
                    vec!["h1.minion".into(), "h2.minion".into(), "h3.minion".into()]
                ),
                ("echo two".into(), vec!["h4.minion".into()]),
                ("echo one".into(), vec!["h5.minion".into()]),
            ]
        );
        assert!(rx.try_recv().is_err(), "every host had a minion");
    }

    #[test]
    fn a_host_without_a_minion_is_answered_at_once() {
        let mut h = host("h1", &SaltMaster::default());
        h.salt = None;
        h.transport = TransportKind::Ssh;
        let items = vec![BatchItem {
            host: h,
            script: Arc::from("true"),
        }];
        let (tx, mut rx) = mpsc::unbounded_channel();
        assert!(group(&items, &tx).is_empty());
        let (i, r) = rx.try_recv().unwrap();
        assert_eq!(i, 0);
        assert!(matches!(r, Err(TransportError::Unreachable(w)) if w.contains("no salt minion")));
    }
}
