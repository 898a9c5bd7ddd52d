//! Hand-made inventories and results for TUI tests and benches.
//! Not used by the binary.

use crate::config::{Loaded, Selection};
use crate::model::{
    Check, CheckKind, Environment, ExecKey, Host, ModuleKind, Outcome, ResultRecord, Severity,
    TransportKind,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// `(category, check id, title, sysctl key, expected value, severity)`.
const DEMO_CHECKS: [(&str, &str, &str, &str, &str, Severity); 6] = [
    (
        "kernel",
        "kernel.ostype",
        "kernel reports Linux",
        "kernel.ostype",
        "Linux",
        Severity::Info,
    ),
    (
        "kernel",
        "kernel.panic-reboot",
        "reboot 10s after a panic",
        "kernel.panic",
        "10",
        Severity::Medium,
    ),
    (
        "network",
        "net.ip-forward-off",
        "IPv4 forwarding is off",
        "net.ipv4.ip_forward",
        "0",
        Severity::High,
    ),
    (
        "network",
        "net.syncookies",
        "TCP SYN cookies are on",
        "net.ipv4.tcp_syncookies",
        "1",
        Severity::High,
    ),
    (
        "vm",
        "vm.swappiness",
        "swappiness is 10",
        "vm.swappiness",
        "10",
        Severity::Low,
    ),
    (
        "vm",
        "vm.no-such-knob",
        "a knob this kernel lacks",
        "vm.driftscope_no_such_knob",
        "1",
        Severity::Low,
    ),
];

fn local_host(name: &str) -> Host {
    Host {
        name: name.to_string(),
        address: "localhost".to_string(),
        transport: TransportKind::Local,
        user: None,
        port: None,
        become_root: false,
        tags: vec!["linux".to_string()],
        vars: BTreeMap::new(),
        salt: None,
    }
}

/// The demo inventory: env `demo` with `hosts` local hosts, env `staging` with one.
pub fn demo_loaded(hosts: usize) -> Loaded {
    let checks = DEMO_CHECKS
        .iter()
        .map(|(cat, id, title, key, want, sev)| Check {
            id: id.to_string(),
            title: title.to_string(),
            category: cat.to_string(),
            kind: CheckKind::Runtime,
            severity: *sev,
            target_tags: vec![],
            for_each: BTreeMap::new(),
            module: ModuleKind::Sysctl,
            subject: key.to_string(),
            expect: [("value".to_string(), json!(want))].into_iter().collect(),
            sop: Some(format!("{cat}-tuning")),
            timeout: None,
            secret: None,
            os_family: Vec::new(),
            origin: format!("demo:{id}"),
        })
        .collect();
    Loaded {
        environments: vec![
            Environment {
                name: "demo".into(),
                hosts: (1..=hosts)
                    .map(|i| local_host(&format!("local-{i}")))
                    .collect(),
            },
            Environment {
                name: "staging".into(),
                hosts: vec![local_host("stage-1")],
            },
        ],
        checks,
        checkset_hash: "demo".into(),
        warnings: vec![],
        inventory_files: vec![],
    }
}

/// A result record with an outcome-appropriate expected/actual/reason.
pub fn record(env: &str, host: &str, key: &str, category: &str, outcome: Outcome) -> ResultRecord {
    let (actual, reason) = match outcome {
        Outcome::Pass => (json!({"value": "1"}), None),
        Outcome::Fail => (
            json!({"value": "0"}),
            Some("value: expected \"1\", found \"0\"".into()),
        ),
        Outcome::Unreachable => (
            json!({}),
            Some("ssh: connect to host port 22: Connection refused".into()),
        ),
        Outcome::Timeout => (
            json!({}),
            Some("host deadline of 60s passed while probing".into()),
        ),
        Outcome::Error => (json!({}), Some("/proc/sys/x: permission denied".into())),
        Outcome::SudoDenied => (json!({}), Some("sudo: a password is required".into())),
        Outcome::NotApplicable => (json!({}), Some("no systemd on this host".into())),
    };
    ResultRecord {
        environment: env.to_string(),
        host: host.to_string(),
        key: ExecKey(key.to_string()),
        check_id: key.split('[').next().unwrap_or(key).to_string(),
        title: format!("{key} is as declared"),
        category: category.to_string(),
        severity: match key.len() % 4 {
            0 => Severity::Critical,
            1 => Severity::High,
            2 => Severity::Medium,
            _ => Severity::Low,
        },
        outcome,
        expected: json!({"value": "1"}),
        actual,
        reason,
        duration: Duration::from_millis(20 + (key.len() as u64 * 7) % 80),
        sop: Some(format!("{category}-sop")),
    }
}

/// `n` synthetic results spread over `hosts` hosts and a few categories, about 5% failing.
pub fn many_records(env: &str, hosts: usize, n: usize) -> Vec<ResultRecord> {
    let cats = ["ssh", "kernel", "packages", "files", "services", "network"];
    (0..n)
        .map(|i| {
            let host = format!("host-{:03}", i % hosts.max(1));
            let cat = cats[(i / hosts.max(1)) % cats.len()];
            let outcome = match i % 40 {
                0 | 1 => Outcome::Fail,
                2 => Outcome::Error,
                3 if i % 400 == 3 => Outcome::Unreachable,
                _ => Outcome::Pass,
            };
            let key = format!("{cat}.check-{:05}[param={}]", i / hosts.max(1), i % 7);
            record(env, &host, &key, cat, outcome)
        })
        .collect()
}

/// Run metadata for a hand-made run.
pub fn meta(env: &str, hosts: usize, executions: usize) -> crate::model::RunMeta {
    crate::model::RunMeta {
        id: "20260101T000000.000Z-000001".into(),
        // 2025-12-01 12:00 UTC, the finish time the fixtures' runs use (so "finished in"
        // measures 0ms by the run's own clock); a finish before it falls back to the frames.
        started_at: chrono::DateTime::from_timestamp(1_764_590_400, 0).unwrap_or_default(),
        scope: crate::model::Scope {
            environment: env.into(),
            ..Default::default()
        },
        driftscope_version: "test".into(),
        user: "tester".into(),
        client_host: "here".into(),
        checkset_hash: "demo".into(),
        host_count: hosts,
        execution_count: executions,
    }
}

/// The demo inventory's App with a fixed clock and the default theme and keys.
pub fn app(now: std::time::Instant) -> super::app::App {
    let loaded = demo_loaded(3);
    let mut app = super::app::App::new(
        loaded
            .environments
            .iter()
            .map(|e| super::app::EnvEntry {
                name: e.name.clone(),
                hosts: e.hosts.iter().map(|h| h.name.clone()).collect(),
            })
            .collect(),
        loaded.checks.iter().map(|c| c.category.clone()).collect(),
        Selection::default(),
        super::keymap::Keymap::embedded(),
        super::theme::Theme::default_theme(),
        "~/.local/share/driftscope/history.db".into(),
        now,
    );
    app.update(super::app::Msg::Resize(120, 40));
    app
}

/// The demo checks' results for `demo`'s hosts: what the sysctl run on a typical box gives.
pub fn demo_results(hosts: usize) -> Vec<ResultRecord> {
    let mut out = Vec::new();
    for h in 1..=hosts {
        let host = format!("local-{h}");
        for (cat, id, title, key, want, sev) in DEMO_CHECKS {
            let got = match key {
                "kernel.ostype" => Some("Linux"),
                "kernel.panic" => Some(if h == 2 { "10" } else { "0" }),
                "net.ipv4.ip_forward" => Some(if h == 3 { "1" } else { "0" }),
                "net.ipv4.tcp_syncookies" => Some("1"),
                "vm.swappiness" => Some("60"),
                _ => None,
            };
            let outcome = match got {
                Some(g) if g == want => Outcome::Pass,
                Some(_) => Outcome::Fail,
                None => Outcome::Error,
            };
            out.push(ResultRecord {
                environment: "demo".into(),
                host: host.clone(),
                key: ExecKey(id.into()),
                check_id: id.into(),
                title: title.into(),
                category: cat.into(),
                severity: sev,
                outcome,
                expected: json!({ "value": want }),
                actual: match got {
                    Some(g) => json!({ "value": g }),
                    None => json!({}),
                },
                reason: match outcome {
                    Outcome::Pass => None,
                    Outcome::Fail => Some("differs: value".into()),
                    _ => Some(format!("/proc/sys/{}: no such key", key.replace('.', "/"))),
                },
                duration: Duration::from_millis(3 + h as u64),
                sop: Some(format!("{cat}-tuning")),
            });
        }
    }
    out
}
