//! Executor deadlines and cancellation with real `sh` processes: a host whose probe sleeps
//! gets `timeout` outcomes while the others pass; cancelling ends the run early, says so,
//! and kills the sleeping shell.

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::exec::{Event, ExecOptions, TransportSet, execute};
use driftscope::model::{HostPhase, Outcome, RunMeta, Scope};
use driftscope::transport::local::LocalTransport;
use driftscope::transport::{Limits, PhaseSink, ScriptOutput, Transport, TransportError};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Sleep lengths unlikely to collide with anyone else's `sleep` on this machine.
const SLEEP_TIMEOUT: &str = "30.4711";
const SLEEP_CANCEL: &str = "31.4712";

/// Local transport whose script for hosts named `slow*` first sleeps (a real `sleep` in the
/// real shell), like a probe stuck on a hung NFS mount.
struct SleepyLocal {
    secs: &'static str,
}

impl Transport for SleepyLocal {
    fn run_script<'a>(
        &'a self,
        host: &'a driftscope::model::Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(async move {
            let script = if host.name.starts_with("slow") {
                format!("sleep {}\n{script}", self.secs)
            } else {
                script.to_string()
            };
            LocalTransport
                .run_script(host, &script, limits, phase)
                .await
        })
    }
}

fn plans(dir: &std::path::Path) -> Vec<driftscope::model::HostPlan> {
    let inv = dir.join("inv.toml");
    std::fs::write(
        &inv,
        "[environment]\nname = \"t\"\n[defaults]\ntransport = \"local\"\n\
         [[host]]\nname = \"fast\"\n[[host]]\nname = \"slow\"\n",
    )
    .unwrap();
    let checks = dir.join("c.toml");
    std::fs::write(
        &checks,
        "category = \"k\"\n[[check]]\nid = \"k.pid-max\"\ntitle = \"pid_max readable\"\n\
         probe = { sysctl = \"kernel.pid_max\" }\n\
         [[check]]\nid = \"k.osrelease\"\ntitle = \"osrelease\"\n\
         probe = { sysctl = \"kernel.osrelease\" }\n",
    )
    .unwrap();
    Loaded::load(&Sources {
        inventories: vec![inv],
        checks: vec![checks],
        ..Sources::default()
    })
    .unwrap()
    .plan(&Selection::default())
    .unwrap()
}

fn meta() -> RunMeta {
    let now = chrono::Utc::now();
    RunMeta {
        id: RunMeta::new_id(now),
        started_at: now,
        scope: Scope::default(),
        driftscope_version: "test".into(),
        user: "u".into(),
        client_host: "c".into(),
        checkset_hash: "h".into(),
        host_count: 2,
        execution_count: 4,
    }
}

async fn collect(mut rx: mpsc::Receiver<Event>) -> Vec<Event> {
    let mut v = Vec::new();
    while let Some(e) = rx.recv().await {
        v.push(e);
    }
    v
}

fn sleeping(secs: &str) -> usize {
    let out = std::process::Command::new("pgrep")
        .args(["-f", "-x", &format!("sleep {secs}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[tokio::test]
async fn a_host_over_its_deadline_gets_timeout_the_others_pass() {
    let dir = tempfile::tempdir().unwrap();
    let transports = TransportSet {
        local: Arc::new(SleepyLocal {
            secs: SLEEP_TIMEOUT,
        }),
        ssh: None,
        salt: None,
    };
    let opts = ExecOptions {
        timeout: Duration::from_millis(700),
        ..ExecOptions::default()
    };
    let (tx, rx) = mpsc::channel(64);
    let started = Instant::now();
    let run = tokio::spawn(execute(
        meta(),
        plans(dir.path()),
        transports,
        opts,
        tx,
        CancellationToken::new(),
    ));
    let events = collect(rx).await;
    let (counts, cancelled) = run.await.unwrap();
    assert!(!cancelled);
    assert_eq!((counts.pass, counts.timeout), (2, 2), "{counts:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the sleep was not cut short"
    );
    for e in &events {
        if let Event::CheckResult(r) = e {
            let want = if r.host == "slow" {
                Outcome::Timeout
            } else {
                Outcome::Pass
            };
            assert_eq!(r.outcome, want, "{r:?}");
            if r.host == "slow" {
                assert!(
                    r.reason.as_deref().unwrap_or("").contains("deadline"),
                    "{r:?}"
                );
            }
        }
    }
    assert!(events.iter().any(|e| matches!(e,
        Event::HostState { host, phase: HostPhase::Failed(why) } if host == "slow" && why.starts_with("timeout"))));
    assert!(matches!(
        events.last(),
        Some(Event::RunFinished {
            cancelled: false,
            ..
        })
    ));
    // The whole process group went, not just the shell.
    let t0 = Instant::now();
    while sleeping(SLEEP_TIMEOUT) > 0 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sleeping(SLEEP_TIMEOUT),
        0,
        "the timed-out probe left its sleep behind"
    );
}

#[tokio::test]
async fn cancelling_ends_the_run_says_so_and_kills_the_probe() {
    let dir = tempfile::tempdir().unwrap();
    let transports = TransportSet {
        local: Arc::new(SleepyLocal { secs: SLEEP_CANCEL }),
        ssh: None,
        salt: None,
    };
    let (tx, rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let run = tokio::spawn(execute(
        meta(),
        plans(dir.path()),
        transports,
        ExecOptions::default(),
        tx,
        cancel.clone(),
    ));
    // Wait until the slow probe is really sleeping, then cancel.
    let t0 = Instant::now();
    while sleeping(SLEEP_CANCEL) == 0 && t0.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sleeping(SLEEP_CANCEL) > 0, "the slow probe never started");
    cancel.cancel();
    let events = collect(rx).await;
    let (_, cancelled) = run.await.unwrap();
    assert!(cancelled);
    assert!(matches!(
        events.last(),
        Some(Event::RunFinished {
            cancelled: true,
            ..
        })
    ));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::CheckResult(r) if r.host == "slow")),
        "a cancelled host reports no results"
    );
    // kill_on_drop: the sleeping shell is gone shortly after.
    let t0 = Instant::now();
    while sleeping(SLEEP_CANCEL) > 0 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sleeping(SLEEP_CANCEL),
        0,
        "the probe's shell outlived the cancelled run"
    );
}
