//! The salt transport against a real Salt master and three minions on 127.0.0.1 (no mocks):
//! a clean run matches the local transport's results on the same machine; Salt's failure
//! modes each give their own outcome for exactly the hosts concerned; a mixed inventory
//! (local + ssh + salt) runs in one go. One fleet serves every step (Salt daemons are slow
//! to start); the steps that break it (a minion stopped, the master stopped) come last, and
//! dropping the fleet asserts that none of its processes is left.

#[path = "support/fleet_run.rs"]
mod fleet_run;
#[path = "support/salt_fleet.rs"]
mod salt_fleet;
#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::exec::{Event, TransportSet};
use driftscope::model::{
    CheckKind, ExecKey, Execution, HostPhase, HostPlan, Matcher, ModuleKind, Outcome, ProbeTarget,
    ResultRecord, Severity, Value,
};
use driftscope::transport::salt::SaltTransport;
use driftscope::transport::ssh::{SshOptions, SshTransport};
use fleet_run::{RunResult, baseline_checks, opts, plans, run_set, run_set_watching, summary};
use salt_fleet::SaltFleet;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

fn transports() -> TransportSet {
    TransportSet {
        salt: Some(Arc::new(SaltTransport::default())),
        ..TransportSet::local_only()
    }
}

/// A `command` check: `cmd` exits 0.
fn command_ok(cmd: &str) -> Execution {
    Execution {
        key: ExecKey(format!("test.command[{cmd}]")),
        check_id: "test.command".into(),
        title: cmd.into(),
        category: "test".into(),
        kind: CheckKind::Runtime,
        severity: Severity::Medium,
        target: ProbeTarget {
            module: ModuleKind::Command,
            subject: cmd.into(),
        },
        expect: vec![("exit_status".into(), Matcher::Equals(Value::from(0)))],
        sop: None,
        secret: None,
        os_family: Vec::new(),
        timeout: None,
    }
}

/// `(key, outcome, expected, actual)` of a host's results, sorted by key.
fn shape(records: &[&ResultRecord]) -> Vec<(String, Outcome, Value, Value)> {
    let mut v: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.key.to_string(),
                r.outcome,
                r.expected.clone(),
                r.actual.clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Every step, in order, on one fleet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salt_fleet_outcomes() {
    let t = std::time::Instant::now();
    let mut fleet = tokio::task::spawn_blocking(|| SaltFleet::start(3))
        .await
        .expect("fleet start");
    let step = |name: &str| {
        eprintln!(
            "salt_fleet: {name} done at {:.1}s",
            t.elapsed().as_secs_f64()
        )
    };
    step("fleet up");
    clean_run_matches_the_local_transport(&fleet).await;
    step("clean run = local");
    one_job_for_every_minion_and_results_stream_per_host(&fleet).await;
    step("one job");
    a_cut_return_is_an_error_for_exactly_that_minion(&fleet).await;
    step("cut return");
    a_probe_past_the_deadline_is_a_timeout(&fleet).await;
    step("deadline");
    mixed_inventory_of_local_ssh_and_salt(&fleet).await;
    step("mixed");
    a_missing_salt_cli_makes_every_salt_host_unreachable(&fleet).await;
    step("no salt cli");
    tokio::task::block_in_place(|| ctrl_c_kills_the_salt_cli(&fleet));
    step("ctrl-c");
    a_stopped_minion_and_an_unknown_one_are_unreachable_in_salts_words(&mut fleet).await;
    step("stopped minion");
    a_stopped_master_makes_every_salt_host_unreachable(&mut fleet).await;
    step("stopped master");
    let left = tokio::task::spawn_blocking(move || {
        let left = fleet.shutdown();
        drop(fleet);
        left
    })
    .await
    .expect("shutdown");
    assert!(left.is_empty(), "salt processes left behind: {left:?}");
}

/// The shipped checks, on this machine through `sh` and on three minions of this machine
/// through Salt: the same results, check by check, value by value.
async fn clean_run_matches_the_local_transport(fleet: &SaltFleet) {
    let master = fleet.master();
    let mut inventory = format!(
        "[environment]\nname = \"lab\"\n[defaults]\ntransport = \"salt\"\ntags = [\"linux\"]\n\
         salt = {{ config_dir = {:?}, timeout = 10, bin = {:?} }}\n\
         [[host]]\nname = \"here\"\ntransport = \"local\"\n",
        master.config_dir.display().to_string(),
        master.bin
    );
    for id in fleet.minion_ids() {
        inventory.push_str(&format!("[[host]]\nname = \"{id}\"\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("lab.toml");
    std::fs::write(&inv, inventory).unwrap();
    let loaded = Loaded::load(&Sources {
        inventories: vec![inv],
        checks: vec![concat!(env!("CARGO_MANIFEST_DIR"), "/checks").into()],
        ..Sources::default()
    })
    .expect("load lab inventory");
    let plans = loaded.plan(&Selection::default()).expect("plan");
    // Processes and listening sockets come and go on a shared machine between two probes
    // (other tests' sshd, the minions' own children): for those, the same check must give
    // an answer of the same kind on both sides, not the same value.
    let volatile: std::collections::BTreeSet<String> = plans
        .iter()
        .flat_map(|p| &p.executions)
        .filter(|e| matches!(e.target.module, ModuleKind::Process | ModuleKind::Port))
        .map(|e| e.key.to_string())
        .collect();
    let r = run_set(plans, transports(), opts(8, Duration::from_secs(60))).await;
    assert!(r.finished());
    let here = shape(&r.for_host("here"));
    assert!(here.len() > 20, "the shipped checks ran locally: {here:?}");
    for id in fleet.minion_ids() {
        let there = shape(&r.for_host(&id));
        for (l, s) in here.iter().zip(&there) {
            if volatile.contains(&l.0) {
                assert_eq!(l.0, s.0, "{id}: the same checks ran");
                let answered = |o: Outcome| matches!(o, Outcome::Pass | Outcome::Fail);
                assert_eq!(
                    answered(l.1),
                    answered(s.1),
                    "{id}: {} is answered on both sides ({:?} vs {:?})",
                    l.0,
                    l,
                    s
                );
                continue;
            }
            assert_eq!(l, s, "{id} differs from the local transport");
        }
        assert_eq!(here.len(), there.len(), "{id}: {}", summary_of(&r, &id));
    }
}

fn summary_of(r: &RunResult, host: &str) -> String {
    format!("{:?}", summary(r).get(host))
}

/// A fleet with one check set is one job: every host goes `◌` (connecting) when the job is
/// out, then gets its own results.
async fn one_job_for_every_minion_and_results_stream_per_host(fleet: &SaltFleet) {
    let plans = plans(fleet.hosts(), &baseline_checks());
    let mut phases: BTreeMap<String, Vec<HostPhase>> = BTreeMap::new();
    let r = run_set_watching(plans, transports(), opts(8, Duration::from_secs(60)), |e| {
        if let Event::HostState { host, phase } = e {
            phases.entry(host.clone()).or_default().push(phase.clone());
        }
    })
    .await;
    for id in fleet.minion_ids() {
        assert_eq!(
            r.host_outcome(&id),
            Outcome::Pass,
            "{}",
            summary_of(&r, &id)
        );
        assert_eq!(
            phases[&id],
            [HostPhase::Queued, HostPhase::Connecting, HostPhase::Done],
            "{id}"
        );
    }
}

/// A `salt` that cuts one minion's JSON document short: that minion's checks are `error`,
/// the others pass.
async fn a_cut_return_is_an_error_for_exactly_that_minion(fleet: &SaltFleet) {
    let wrapper = fleet.root().join("salt-cuts-m2");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\"{}\" \"$@\" | sed 's/^{{\"m2\": {{\"pid\": \\([0-9]*\\), .*/{{\"m2\": {{\"pid\": \\1, \"retcode\": 0, \"stdout\": \"@@PID/'\n",
            fleet.bin("salt").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut hosts = fleet.hosts();
    for h in &mut hosts {
        if let Some(s) = h.salt.as_mut() {
            s.master.bin = wrapper.display().to_string();
        }
    }
    let r = run_set(
        plans(hosts, &baseline_checks()),
        transports(),
        opts(8, Duration::from_secs(60)),
    )
    .await;
    assert_eq!(r.host_outcome("m1"), Outcome::Pass, "{:?}", summary(&r));
    assert_eq!(r.host_outcome("m3"), Outcome::Pass, "{:?}", summary(&r));
    assert_eq!(r.host_outcome("m2"), Outcome::Error, "{:?}", summary(&r));
    assert!(
        r.reason("m2").contains("cut or garbled"),
        "{}",
        r.reason("m2")
    );
}

/// A probe that outlives the run's deadline: `timeout` for its host; the host whose probe
/// is quick still passes; the salt CLI is gone afterwards.
async fn a_probe_past_the_deadline_is_a_timeout(fleet: &SaltFleet) {
    let mut plans = plans(fleet.hosts(), &baseline_checks());
    // A duration no other test uses, to find this probe's sleep on the "minion" afterwards.
    plans[0].executions.push(command_ok("sleep 119"));
    // Long enough for m2's own job on a loaded machine, far short of the sleep.
    let r = run_set(plans, transports(), opts(8, Duration::from_secs(25))).await;
    assert_eq!(r.host_outcome("m1"), Outcome::Timeout, "{:?}", summary(&r));
    assert!(r.reason("m1").contains("deadline"), "{}", r.reason("m1"));
    assert_eq!(r.host_outcome("m2"), Outcome::Pass, "{:?}", summary(&r));
    assert!(
        salt_clis_of(std::process::id()).is_empty(),
        "salt CLI left running: {:?}",
        salt_clis_of(std::process::id())
    );
    // Nor does the probe outlive the deadline on the minion (`timeout -s KILL` there, one
    // second of grace): its `sleep 119` is gone well before its own end.
    let gone_by = std::time::Instant::now() + Duration::from_secs(15);
    while !sshd_fleet::processes_mentioning("sleep 119").is_empty() {
        assert!(
            std::time::Instant::now() < gone_by,
            "the probe still runs on the minion after the deadline: {:?}",
            sshd_fleet::processes_mentioning("sleep 119")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Live `salt` CLI processes (`salt --args-stdin`) whose parent is `parent`.
fn salt_clis_of(parent: u32) -> Vec<u32> {
    sshd_fleet::processes_mentioning("--args-stdin")
        .into_iter()
        .map(|(pid, _, _)| pid)
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rfind(')').map(|i| s[i + 1..].to_string()))
                .and_then(|rest| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                == Some(parent)
        })
        .collect()
}

/// One run over a local host, two ssh hosts (real sshd) and the salt minions.
async fn mixed_inventory_of_local_ssh_and_salt(fleet: &SaltFleet) {
    let ssh_fleet = tokio::task::spawn_blocking(|| sshd_fleet::Fleet::uniform(2))
        .await
        .expect("ssh fleet");
    let ssh = Arc::new(SshTransport::new(SshOptions {
        config_file: Some(ssh_fleet.ssh_config.clone()),
        ..SshOptions::default()
    }));
    let mut hosts = fleet.hosts();
    hosts.extend(ssh_fleet.all_hosts());
    let mut local = fleet.host("here", "unused");
    local.transport = driftscope::model::TransportKind::Local;
    local.salt = None;
    hosts.push(local);
    let set = TransportSet {
        ssh: Some(ssh.clone()),
        ..transports()
    };
    let r = run_set(
        plans(hosts, &baseline_checks()),
        set,
        opts(8, Duration::from_secs(60)),
    )
    .await;
    let hosts: Vec<String> = summary(&r).keys().cloned().collect();
    assert_eq!(hosts.len(), 6, "{hosts:?}");
    for h in &hosts {
        assert_eq!(r.host_outcome(h), Outcome::Pass, "{h}: {:?}", summary(&r));
    }
    use driftscope::transport::Transport;
    ssh.close().await;
    drop(ssh_fleet);
}

async fn a_missing_salt_cli_makes_every_salt_host_unreachable(fleet: &SaltFleet) {
    let mut hosts = fleet.hosts();
    for h in &mut hosts {
        if let Some(s) = h.salt.as_mut() {
            s.master.bin = fleet.root().join("no-such-salt").display().to_string();
        }
    }
    let r = run_set(
        plans(hosts, &baseline_checks()),
        transports(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    for id in fleet.minion_ids() {
        assert_eq!(r.host_outcome(&id), Outcome::Unreachable);
        assert!(
            r.reason(&id).starts_with("cannot start `") && r.reason(&id).contains("no-such-salt"),
            "{}",
            r.reason(&id)
        );
    }
}

/// `driftscope run` interrupted while its salt job is out: exit 130, and the salt CLI it
/// started (with everything in its process group) is gone; the probe on the minions, which
/// Salt cannot signal, ends at the run's deadline (`timeout -s KILL` there), not at its own.
fn ctrl_c_kills_the_salt_cli(fleet: &SaltFleet) {
    let dir = tempfile::tempdir().unwrap();
    let master = fleet.master();
    std::fs::write(
        dir.path().join("inv.toml"),
        format!(
            "[environment]\nname = \"lab\"\n[defaults]\ntransport = \"salt\"\n\
             salt = {{ config_dir = {:?}, timeout = 30, bin = {:?} }}\n\
             [[host]]\nname = \"m1\"\n[[host]]\nname = \"m2\"\n",
            master.config_dir.display().to_string(),
            master.bin
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("slow.toml"),
        "category = \"slow\"\n[[check]]\nid = \"slow.sleep\"\ntitle = \"sleeps\"\n\
         probe = { command = \"sleep 41\" }\nexpect = { exit_status = 0 }\n",
    )
    .unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["run", "--no-store", "--timeout", "8", "--inventory"])
        .arg(dir.path().join("inv.toml"))
        .arg("--checks")
        .arg(dir.path().join("slow.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let until = std::time::Instant::now() + Duration::from_secs(30);
    let salt_cli = loop {
        let found = salt_clis_of(pid);
        if !found.is_empty() {
            break found;
        }
        assert!(std::time::Instant::now() < until, "no salt job went out");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Let the job reach the minions, then interrupt.
    std::thread::sleep(Duration::from_secs(3));
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Gone, or dead and waiting for init to reap it (state Z after the last `)`); a process
    // that got SIGKILL may show `R` for a moment while the kernel tears it down.
    let alive = |p: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        (!matches!(state, None | Some("Z") | Some("X"))).then_some(stat)
    };
    let until = std::time::Instant::now() + Duration::from_secs(2);
    for p in salt_cli {
        while alive(p).is_some() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(alive(p), None, "salt CLI {p} still running");
    }
    // The minions' probes (`sleep 41`) end at the 8 s deadline + 1 s, long before their own end.
    let until = std::time::Instant::now() + Duration::from_secs(15);
    while !sshd_fleet::processes_mentioning("sleep 41").is_empty() {
        assert!(
            std::time::Instant::now() < until,
            "the probe outlived the deadline on a minion after Ctrl-C: {:?}",
            sshd_fleet::processes_mentioning("sleep 41")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// m3 stopped, plus a host naming a minion the master never saw: each `unreachable` with
/// its own reason, and the others complete.
async fn a_stopped_minion_and_an_unknown_one_are_unreachable_in_salts_words(fleet: &mut SaltFleet) {
    tokio::task::block_in_place(|| fleet.stop_minion("m3"));
    let mut hosts = fleet.hosts();
    hosts.push(fleet.host("ghost", "m-ghost"));
    let r = run_set(
        plans(hosts, &baseline_checks()),
        transports(),
        opts(8, Duration::from_secs(60)),
    )
    .await;
    assert_eq!(r.host_outcome("m1"), Outcome::Pass, "{:?}", summary(&r));
    assert_eq!(r.host_outcome("m2"), Outcome::Pass, "{:?}", summary(&r));
    assert_eq!(r.host_outcome("m3"), Outcome::Unreachable);
    assert_eq!(r.reason("m3"), "salt: Minion did not return. [No response]");
    assert_eq!(r.host_outcome("ghost"), Outcome::Unreachable);
    assert_eq!(
        r.reason("ghost"),
        "unknown minion `m-ghost`: the master has no key for it"
    );
}

async fn a_stopped_master_makes_every_salt_host_unreachable(fleet: &mut SaltFleet) {
    tokio::task::block_in_place(|| fleet.stop_master());
    let mut plans = plans(fleet.hosts(), &baseline_checks());
    plans.push(HostPlan {
        environment: "fleet".into(),
        host: {
            let mut h = fleet.host("here", "unused");
            h.transport = driftscope::model::TransportKind::Local;
            h.salt = None;
            h
        },
        executions: baseline_checks(),
    });
    let r = run_set(plans, transports(), opts(8, Duration::from_secs(60))).await;
    assert_eq!(
        r.host_outcome("here"),
        Outcome::Pass,
        "the local host is not affected"
    );
    for id in fleet.minion_ids() {
        assert_eq!(
            r.host_outcome(&id),
            Outcome::Unreachable,
            "{:?}",
            summary(&r)
        );
        assert!(
            r.reason(&id).starts_with("salt: "),
            "Salt's own words: {}",
            r.reason(&id)
        );
    }
}
