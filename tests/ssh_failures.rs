//! Every way a host can fail over SSH, against real sshd processes: each failing host gets
//! its own named outcome and reason, while every other host's results stay complete, and
//! the run always finishes. No ssh/sshd process is left behind.

#[path = "support/fleet_run.rs"]
mod fleet_run;
#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use driftscope::exec::Event;
use driftscope::model::{ExecKey, HostPhase, Matcher, ModuleKind, Outcome, ProbeTarget, Value};
use driftscope::transport::Transport;
use driftscope::transport::ssh::{SshOptions, SshTransport};
use fleet_run::{RunResult, baseline_checks, opts, plans, run, run_watching, summary};
use sshd_fleet::{Fleet, HostSpec};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn transport(fleet: &Fleet) -> Arc<SshTransport> {
    transport_with(fleet, false)
}

fn transport_with(fleet: &Fleet, accept_new_host_keys: bool) -> Arc<SshTransport> {
    Arc::new(SshTransport::new(SshOptions {
        config_file: Some(fleet.ssh_config.clone()),
        accept_new_host_keys,
        ..SshOptions::default()
    }))
}

/// Every host in `hosts` passed all its checks.
fn assert_passed(r: &RunResult, hosts: &[&str]) {
    for h in hosts {
        let n = baseline_checks().len();
        assert_eq!(r.for_host(h).len(), n, "{h}: incomplete: {:?}", summary(r));
        assert_eq!(r.host_outcome(h), Outcome::Pass, "{h}: {:?}", summary(r));
    }
}

/// Close the pool, then stop the fleet: no ssh master may outlive close(), and no
/// process of the fleet may outlive the fixture.
async fn assert_nothing_left(ssh: Arc<SshTransport>, fleet: Fleet) {
    ssh.close().await;
    let masters = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(masters.is_empty(), "ssh left after close(): {masters:?}");
    let marker = fleet.marker();
    drop(fleet);
    let left = sshd_fleet::processes_mentioning(&marker);
    assert!(left.is_empty(), "fleet processes left: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_host_is_unreachable_and_the_others_complete() {
    let mut fleet = Fleet::start(vec![
        HostSpec::named("d01"),
        HostSpec::named("d02"),
        HostSpec::named("d03"),
    ]);
    fleet.kill_host("d02");
    let ssh = transport(&fleet);
    let r = run(
        plans(fleet.all_hosts(), &baseline_checks()),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert!(r.finished());
    assert_passed(&r, &["d01", "d03"]);
    assert_eq!(r.host_outcome("d02"), Outcome::Unreachable);
    let why = r.reason("d02");
    assert!(why.starts_with("connection refused: "), "{why}");
    assert!(
        why.contains("Connection refused"),
        "ssh's words kept: {why}"
    );
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_connect_failure_has_its_own_reason() {
    let fleet = Fleet::uniform(1);
    // A port that accepts TCP but never says a word (no SSH banner).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let mut hosts = fleet.all_hosts();
    let mut variant = |name: &str, f: &dyn Fn(&mut driftscope::model::Host)| {
        let mut h = fleet.host("h01");
        h.name = name.into();
        f(&mut h);
        hosts.push(h);
    };
    variant("badname", &|h| h.address = "no-such-host.invalid".into());
    variant("baduser", &|h| h.user = Some("no-such-user-ds".into()));
    variant("stalled", &|h| {
        h.address = "127.0.0.1".into();
        h.port = Some(silent_port);
    });
    let ssh = transport(&fleet);
    let mut o = opts(8, Duration::from_secs(30));
    o.connect_timeout = Duration::from_secs(1);
    let r = run(plans(hosts, &baseline_checks()), ssh.clone(), o).await;
    assert!(r.finished());
    assert_passed(&r, &["h01"]);
    for (host, label, ssh_words) in [
        (
            "badname",
            "name resolution failed: ",
            "Could not resolve hostname",
        ),
        ("baduser", "auth refused: ", "Permission denied"),
        ("stalled", "connect timeout: ", "timed out"),
    ] {
        assert_eq!(r.host_outcome(host), Outcome::Unreachable, "{host}");
        let why = r.reason(host);
        assert!(why.starts_with(label), "{host}: {why}");
        assert!(why.contains(ssh_words), "{host}: {why}");
    }
    drop(silent);
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_shorter_than_the_handshake_is_a_timeout_and_kills_ssh() {
    let fleet = Fleet::uniform(1);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut h = fleet.host("h01");
    h.name = "stalled".into();
    h.address = "127.0.0.1".into();
    h.port = Some(silent.local_addr().expect("addr").port());
    let ssh = transport(&fleet);
    let o = opts(8, Duration::from_secs(2)); // connect timeout stays 10 s
    let r = run(plans(vec![h], &baseline_checks()), ssh.clone(), o).await;
    assert_eq!(
        r.host_outcome("stalled"),
        Outcome::Timeout,
        "{:?}",
        summary(&r)
    );
    assert_eq!(r.reason("stalled"), "deadline reached while connecting");
    // The ssh that was still handshaking is gone at once, not after its own timeout.
    let left = fleet.ssh_clients_after(Duration::from_secs(1));
    assert!(left.is_empty(), "{left:?}");
    drop(silent);
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_killed_mid_run_fails_that_host_with_a_reason() {
    let fleet = Fleet::start(vec![
        HostSpec::named("k01"),
        HostSpec::named("k02").with_prelude("sleep 30"),
        HostSpec::named("k03"),
    ]);
    let hosts = fleet.all_hosts();
    let fleet = Arc::new(Mutex::new(fleet));
    let ssh = {
        let f = fleet.lock().expect("fleet");
        transport(&f)
    };
    // Once k02's remote login is running, kill its sshd and everything under it.
    let killer = {
        let fleet = fleet.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                let mut f = fleet.lock().expect("fleet");
                if f.processes_of("k02").iter().any(|p| p.1 == "sleep") {
                    f.kill_host("k02");
                    return true;
                }
                drop(f);
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        })
    };
    let r = run(
        plans(hosts, &baseline_checks()),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert!(killer.join().expect("killer"), "k02 never started probing");
    assert!(r.finished());
    assert_passed(&r, &["k01", "k03"]);
    assert_eq!(r.host_outcome("k02"), Outcome::Error, "{:?}", summary(&r));
    let why = r.reason("k02");
    assert!(why.contains("connection lost"), "{why}");
    assert!(
        r.wall < Duration::from_secs(20),
        "the run waited for the dead host"
    );
    let fleet = Arc::try_unwrap(fleet)
        .ok()
        .expect("fleet still shared")
        .into_inner()
        .expect("fleet");
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_probe_times_out_at_the_deadline() {
    let fleet = Fleet::start(vec![
        HostSpec::named("t01"),
        HostSpec::named("t02").with_prelude("sleep 60"),
    ]);
    let ssh = transport(&fleet);
    let r = run(
        plans(fleet.all_hosts(), &baseline_checks()),
        ssh.clone(),
        opts(8, Duration::from_secs(4)),
    )
    .await;
    assert!(r.finished());
    assert_passed(&r, &["t01"]);
    assert_eq!(r.host_outcome("t02"), Outcome::Timeout, "{:?}", summary(&r));
    assert!(r.reason("t02").contains("deadline"), "{}", r.reason("t02"));
    assert!(
        r.wall < Duration::from_secs(30),
        "the run waited for the hang: {:?}",
        r.wall
    );
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_that_hangs_on_the_host_is_killed_there_at_the_deadline() {
    let fleet = Fleet::start(vec![HostSpec::named("u01"), HostSpec::named("u02")]);
    let ssh = transport(&fleet);
    // u02's probe hangs inside its script (a command check that never ends in time).
    let mut hang = baseline_checks()[0].clone();
    hang.key = ExecKey("hang".into());
    hang.target = ProbeTarget {
        module: ModuleKind::Command,
        subject: "sleep 41.25".into(),
    };
    hang.expect = vec![("exit_status".into(), Matcher::Equals(Value::from(0)))];
    let mut plans = plans(fleet.all_hosts(), &baseline_checks());
    if let Some(p) = plans.iter_mut().find(|p| p.host.name == "u02") {
        p.executions.push(hang);
    }
    let r = run(plans, ssh.clone(), opts(8, Duration::from_secs(3))).await;
    assert!(r.finished());
    assert_passed(&r, &["u01"]);
    assert_eq!(r.host_outcome("u02"), Outcome::Timeout, "{:?}", summary(&r));
    // The probe's processes on u02 are gone long before the sleep would have ended (closing
    // the SSH connection alone leaves them running: nothing there reads a hang-up).
    let hung = |f: &Fleet| -> Vec<(u32, String, String)> {
        f.processes_of("u02")
            .into_iter()
            .filter(|p| p.2.contains("41.25"))
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(15);
    while !hung(&fleet).is_empty() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(hung(&fleet).is_empty(), "left on u02: {:?}", hung(&fleet));
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_host_key_is_unreachable_and_nothing_runs_there() {
    let mut fleet = Fleet::start(vec![
        HostSpec::named("x01"),
        HostSpec::named("x02"),
        HostSpec::named("x03"),
    ]);
    let checks = baseline_checks();
    // A first run works everywhere: one login and one command per host.
    let ssh = transport(&fleet);
    let r = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_passed(&r, &["x01", "x02", "x03"]);
    ssh.close().await;

    // x02 is reinstalled (new host key); x03 is unknown to known_hosts.
    fleet.replace_host_key("x02");
    fleet.forget_host_key("x03");
    let ssh = transport(&fleet);
    let r = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_passed(&r, &["x01"]);
    assert_eq!(r.host_outcome("x02"), Outcome::Unreachable);
    let why = r.reason("x02");
    assert!(why.starts_with("host key mismatch: "), "{why}");
    assert!(
        why.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{why}"
    );
    assert_eq!(r.host_outcome("x03"), Outcome::Unreachable);
    assert!(
        r.reason("x03").starts_with("host key unknown: "),
        "{}",
        r.reason("x03")
    );
    // Nothing was executed there: no login and no command since the first run.
    for h in ["x02", "x03"] {
        assert_eq!(fleet.logins(h), 1, "{h}: {}", fleet.log(h));
        assert_eq!(fleet.sessions(h), 1, "{h}: {}", fleet.log(h));
    }
    ssh.close().await;

    // --accept-new-host-keys: the unknown host is learned; the changed key still refused.
    let ssh = transport_with(&fleet, true);
    let r = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_passed(&r, &["x01", "x03"]);
    assert!(r.reason("x02").starts_with("host key mismatch: "));
    assert_eq!(fleet.sessions("x02"), 1);
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sudo_refusal_is_sudo_denied_with_sudos_reason() {
    let user = sshd_fleet::ensure_nosudo_user();
    let fleet = Fleet::start(vec![HostSpec::named("s01"), HostSpec::named("s02")]);
    let mut refused = fleet.host("s01");
    refused.user = Some(user);
    refused.become_root = true;
    let mut root = fleet.host("s02");
    root.become_root = true;
    let ssh = transport(&fleet);
    let r = run(
        plans(vec![refused, root], &baseline_checks()),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_eq!(
        r.host_outcome("s01"),
        Outcome::SudoDenied,
        "{:?}",
        summary(&r)
    );
    assert!(r.reason("s01").starts_with("sudo: "), "{}", r.reason("s01"));
    assert_passed(&r, &["s02"]);
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_flood_is_capped_and_binary_noise_is_harmless() {
    let fleet = Fleet::start(vec![
        HostSpec::named("o01").with_prelude("head -c 3000000 /dev/zero"),
        // Non-UTF-8 bytes before the probe's output (a noisy login script).
        HostSpec::named("o02").with_prelude("head -c 4096 /dev/urandom; printf '\\377\\376\\n'"),
    ]);
    let ssh = transport(&fleet);
    let mut o = opts(8, Duration::from_secs(30));
    o.output_cap = 1024 * 1024;
    let r = run(plans(fleet.all_hosts(), &baseline_checks()), ssh.clone(), o).await;
    assert_eq!(r.host_outcome("o01"), Outcome::Error, "{:?}", summary(&r));
    assert_eq!(r.reason("o01"), "output exceeded 1048576 bytes");
    assert_passed(&r, &["o02"]);
    assert_nothing_left(ssh, fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phases_go_connecting_then_probing_then_done() {
    let fleet = Fleet::uniform(1);
    let ssh = transport(&fleet);
    let mut phases = Vec::new();
    let r = run_watching(
        plans(fleet.all_hosts(), &baseline_checks()),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
        |e| {
            if let Event::HostState { phase, .. } = e {
                phases.push(phase.clone());
            }
        },
    )
    .await;
    assert_passed(&r, &["h01"]);
    assert_eq!(
        phases,
        vec![
            HostPhase::Queued,
            HostPhase::Connecting,
            HostPhase::Probing,
            HostPhase::Done
        ]
    );
    assert_nothing_left(ssh, fleet).await;
}
