//! Running the real executor over the SSH transport against a test fleet, and reading the
//! results back. Include with `#[path = "support/fleet_run.rs"] mod fleet_run;`.
#![allow(dead_code)]

use driftscope::exec::{self, Event, ExecOptions, TransportSet};
use driftscope::model::{
    CheckKind, ExecKey, Execution, Host, HostPlan, Matcher, ModuleKind, Outcome, OutcomeCounts,
    ProbeTarget, ResultRecord, RunMeta, Scope, Severity, Value,
};
use driftscope::transport::Transport;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A sysctl check: `key` must equal `value`.
pub fn sysctl_equals(key: &str, value: &str) -> Execution {
    Execution {
        key: ExecKey(format!("kernel.sysctl[key={key}]")),
        check_id: "kernel.sysctl".into(),
        title: format!("{key} is {value}"),
        category: "kernel".into(),
        kind: CheckKind::Runtime,
        severity: Severity::Medium,
        target: ProbeTarget {
            module: ModuleKind::Sysctl,
            subject: key.into(),
        },
        expect: vec![("value".into(), Matcher::Equals(Value::String(value.into())))],
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

/// A sysctl check: `key` exists.
pub fn sysctl_exists(key: &str) -> Execution {
    Execution {
        key: ExecKey(format!("kernel.sysctl-exists[key={key}]")),
        check_id: "kernel.sysctl-exists".into(),
        title: format!("{key} exists"),
        category: "kernel".into(),
        kind: CheckKind::Runtime,
        severity: Severity::Low,
        target: ProbeTarget {
            module: ModuleKind::Sysctl,
            subject: key.into(),
        },
        expect: vec![("exists".into(), Matcher::Equals(Value::Bool(true)))],
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

/// Three checks every Linux host passes.
pub fn baseline_checks() -> Vec<Execution> {
    vec![
        sysctl_equals("kernel.ostype", "Linux"),
        sysctl_exists("kernel.pid_max"),
        sysctl_exists("vm.swappiness"),
    ]
}

pub fn plans(hosts: Vec<Host>, checks: &[Execution]) -> Vec<HostPlan> {
    hosts
        .into_iter()
        .map(|host| HostPlan {
            environment: "fleet".into(),
            host,
            executions: checks.to_vec(),
        })
        .collect()
}

pub struct RunResult {
    pub events: Vec<Event>,
    pub records: Vec<ResultRecord>,
    pub counts: OutcomeCounts,
    pub wall: Duration,
}

impl RunResult {
    pub fn for_host(&self, host: &str) -> Vec<&ResultRecord> {
        self.records.iter().filter(|r| r.host == host).collect()
    }
    /// Every outcome of `host`'s results (asserts it has at least one).
    pub fn outcomes(&self, host: &str) -> Vec<Outcome> {
        let v: Vec<Outcome> = self.for_host(host).iter().map(|r| r.outcome).collect();
        assert!(!v.is_empty(), "no results for {host}");
        v
    }
    /// The single outcome all of `host`'s results share (panics if they differ).
    pub fn host_outcome(&self, host: &str) -> Outcome {
        let v = self.outcomes(host);
        assert!(
            v.iter().all(|o| *o == v[0]),
            "{host}: mixed outcomes {v:?}: {:#?}",
            self.for_host(host)
        );
        v[0]
    }
    pub fn reason(&self, host: &str) -> String {
        self.for_host(host)
            .first()
            .and_then(|r| r.reason.clone())
            .unwrap_or_default()
    }
    /// How many results had outcome `o`.
    pub fn count(&self, o: Outcome) -> usize {
        self.counts.get(o) as usize
    }
    pub fn finished(&self) -> bool {
        matches!(self.events.last(), Some(Event::RunFinished { .. }))
    }
}

pub fn opts(jobs: usize, timeout: Duration) -> ExecOptions {
    ExecOptions {
        jobs,
        timeout,
        connect_timeout: Duration::from_secs(10),
        ..ExecOptions::default()
    }
}

/// Run `plans` through `exec::execute` with `ssh` as the SSH transport.
pub async fn run(plans: Vec<HostPlan>, ssh: Arc<dyn Transport>, opts: ExecOptions) -> RunResult {
    run_watching(plans, ssh, opts, |_| {}).await
}

/// Like [`run`], calling `watch` on every event as it arrives (to act mid-run).
pub async fn run_watching(
    plans: Vec<HostPlan>,
    ssh: Arc<dyn Transport>,
    opts: ExecOptions,
    watch: impl FnMut(&Event) + Send,
) -> RunResult {
    let transports = TransportSet {
        ssh: Some(ssh),
        ..TransportSet::local_only()
    };
    run_set_watching(plans, transports, opts, watch).await
}

/// Run `plans` through `exec::execute` with the given transports.
pub async fn run_set(
    plans: Vec<HostPlan>,
    transports: TransportSet,
    opts: ExecOptions,
) -> RunResult {
    run_set_watching(plans, transports, opts, |_| {}).await
}

/// Like [`run_set`], calling `watch` on every event as it arrives.
pub async fn run_set_watching(
    plans: Vec<HostPlan>,
    transports: TransportSet,
    opts: ExecOptions,
    mut watch: impl FnMut(&Event) + Send,
) -> RunResult {
    let meta = RunMeta {
        id: RunMeta::new_id(chrono::Utc::now()),
        started_at: chrono::Utc::now(),
        scope: Scope {
            environment: "fleet".into(),
            ..Scope::default()
        },
        driftscope_version: "test".into(),
        user: "test".into(),
        client_host: "test".into(),
        checkset_hash: "test".into(),
        host_count: plans.len(),
        execution_count: plans.iter().map(|p| p.executions.len()).sum(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let started = Instant::now();
    let exec = tokio::spawn(exec::execute(
        meta,
        plans,
        transports,
        opts,
        tx,
        CancellationToken::new(),
    ));
    let mut events = Vec::new();
    while let Some(ev) = rx.recv().await {
        watch(&ev);
        events.push(ev);
    }
    let (counts, _) = exec.await.expect("executor task");
    let wall = started.elapsed();
    let records = events
        .iter()
        .filter_map(|e| match e {
            Event::CheckResult(r) => Some((**r).clone()),
            _ => None,
        })
        .collect();
    RunResult {
        events,
        records,
        counts,
        wall,
    }
}

/// `{host: ["outcome: reason" …]}` for assertion messages.
pub fn summary(r: &RunResult) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rec in &r.records {
        let line = match &rec.reason {
            Some(why) => format!("{}: {why}", rec.outcome),
            None => rec.outcome.to_string(),
        };
        m.entry(rec.host.clone()).or_default().push(line);
    }
    m
}
