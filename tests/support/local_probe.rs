//! Probing this machine for tests: an Execution built from JSON, the real batched script
//! run through `LocalTransport` (/bin/sh -s), and outcome assertions.
#![allow(dead_code)] // each test binary uses its own subset

use driftscope::model::{
    CheckKind, ExecKey, Execution, Host, Matcher, ModuleKind, Outcome, ProbeTarget, Severity,
    TransportKind,
};
use driftscope::probe::batch::{ProbeScript, Verdict};
use driftscope::transport::local::LocalTransport;
use driftscope::transport::{DEFAULT_OUTPUT_CAP, Limits, Transport};
use serde_json::Value;
use std::time::{Duration, Instant};

pub fn exec(module: &str, subject: &str, expect: Value) -> Execution {
    let module = ModuleKind::from_name(module).expect("module");
    let expect = expect
        .as_object()
        .expect("expect table")
        .iter()
        .map(|(k, v)| (k.clone(), Matcher::parse(v).expect("matcher")))
        .collect();
    Execution {
        key: ExecKey(format!("{module}[{subject}]")),
        check_id: format!("test.{module}"),
        title: subject.to_string(),
        category: "test".into(),
        kind: CheckKind::Static,
        severity: Severity::Medium,
        target: ProbeTarget {
            module,
            subject: subject.to_string(),
        },
        expect,
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

pub fn local_host() -> Host {
    Host {
        name: "localhost".into(),
        address: "localhost".into(),
        transport: TransportKind::Local,
        user: None,
        port: None,
        become_root: false,
        tags: vec![],
        vars: Default::default(),
        salt: None,
    }
}

pub fn run(execs: &[Execution]) -> Vec<Verdict> {
    let script = ProbeScript::build(execs);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let host = local_host();
    let out = rt
        .block_on(LocalTransport.run_script(
            &host,
            &script.text,
            Limits {
                deadline: Instant::now() + Duration::from_secs(30),
                connect_timeout: Duration::from_secs(5),
                output_cap: DEFAULT_OUTPUT_CAP,
            },
            &|_| {},
        ))
        .expect("local transport");
    script.interpret(&out.stdout, execs)
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Run and check every verdict's outcome; returns the verdicts for finer asserts.
pub fn expect_outcomes(cases: &[(Execution, Outcome)]) -> Vec<Verdict> {
    let execs: Vec<Execution> = cases.iter().map(|(e, _)| e.clone()).collect();
    let verdicts = run(&execs);
    assert_eq!(verdicts.len(), execs.len());
    for ((e, want), v) in cases.iter().zip(&verdicts) {
        assert_eq!(
            v.outcome, *want,
            "{} {:?}: expected {want:?}, got {:?} (actual {}, reason {:?})",
            e.target.module, e.target.subject, v.outcome, v.actual, v.reason
        );
    }
    verdicts
}
