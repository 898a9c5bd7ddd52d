//! The SSH transport against a fleet of real sshd processes: a clean fleet passes with one
//! connection per host, re-checks reuse the pooled connections, `--jobs` bounds the hosts
//! probed at once, and closing the pool leaves no ssh process behind.

#[path = "support/fleet_run.rs"]
mod fleet_run;
#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use driftscope::model::Outcome;
use driftscope::transport::Transport;
use driftscope::transport::ssh::{SshOptions, SshTransport};
use fleet_run::{baseline_checks, opts, plans, run, summary};
use sshd_fleet::{Fleet, HostSpec};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn transport(fleet: &Fleet) -> Arc<SshTransport> {
    Arc::new(SshTransport::new(SshOptions {
        config_file: Some(fleet.ssh_config.clone()),
        ..SshOptions::default()
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_fleet_passes_and_recheck_reuses_the_connections() {
    let fleet = Fleet::uniform(5);
    let ssh = transport(&fleet);
    let checks = baseline_checks();

    let first = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert!(first.finished());
    assert_eq!(
        first.records.len(),
        5 * checks.len(),
        "{:?}",
        summary(&first)
    );
    assert_eq!(
        first.count(Outcome::Pass),
        5 * checks.len(),
        "{:?}",
        summary(&first)
    );
    for h in &fleet.hosts {
        assert_eq!(fleet.logins(&h.name), 1, "one connection per host");
        assert_eq!(fleet.sessions(&h.name), 1, "one remote command per host");
    }
    assert_eq!(ssh.pooled(), 5);

    // A re-check over the kept sessions: no new SSH connection, one more command per host.
    let again = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_eq!(again.count(Outcome::Pass), 5 * checks.len());
    for h in &fleet.hosts {
        assert_eq!(fleet.logins(&h.name), 1, "{} reconnected", h.name);
        assert_eq!(fleet.sessions(&h.name), 2);
    }

    // Closing the pool stops every master: nothing of ours is left running.
    ssh.close().await;
    assert_eq!(ssh.pooled(), 0);
    let ssh_left = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(
        ssh_left.is_empty(),
        "ssh masters left after close(): {ssh_left:?}"
    );
    let control = ssh.control_dir().expect("control dir").to_path_buf();
    assert_eq!(
        std::fs::read_dir(&control).map(|d| d.count()).unwrap_or(0),
        0,
        "control sockets left in {}",
        control.display()
    );
    drop(ssh);
    assert!(!control.exists(), "control dir not removed on drop");
    let marker = fleet.marker();
    drop(fleet);
    let left = sshd_fleet::processes_mentioning(&marker);
    assert!(left.is_empty(), "fleet processes left: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_hosts_with_jobs_4_never_probe_more_than_4_at_once() {
    // Each host's login takes 0.6 s, so overlapping probes are visible as concurrent
    // `sleep` processes on the fleet side (sampled from /proc).
    let specs = (1..=20)
        .map(|i| HostSpec::named(&format!("j{i:02}")).with_prelude("sleep 0.6"))
        .collect();
    let fleet = Fleet::start(specs);
    let ssh = transport(&fleet);
    let marker = fleet.marker();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut max = 0usize;
            let mut seen = BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                let sleeping: Vec<u32> = sshd_fleet::processes_mentioning(&marker)
                    .into_iter()
                    .filter(|p| p.1 == "sleep")
                    .map(|p| p.0)
                    .collect();
                max = max.max(sleeping.len());
                seen.extend(sleeping);
                std::thread::sleep(Duration::from_millis(15));
            }
            (max, seen.len())
        })
    };
    let r = run(
        plans(fleet.all_hosts(), &baseline_checks()),
        ssh.clone(),
        opts(4, Duration::from_secs(60)),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let (max, distinct) = sampler.join().expect("sampler");
    assert_eq!(r.count(Outcome::Pass), 20 * 3, "{:?}", summary(&r));
    assert!(max <= 4, "{max} hosts probed at once with --jobs 4");
    assert!(
        max >= 2,
        "probes never overlapped (max {max}): the bound was not exercised"
    );
    assert!(distinct >= 18, "sampler saw only {distinct} of 20 probes");
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recheck_after_the_host_restarted_reconnects_transparently() {
    let mut fleet = Fleet::start(vec![HostSpec::named("r01"), HostSpec::named("r02")]);
    let ssh = transport(&fleet);
    let checks = baseline_checks();
    let first = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_eq!(first.count(Outcome::Pass), 2 * checks.len());
    // r01 reboots: its connection (and so our pooled master) dies.
    fleet.restart_host("r01");
    let again = run(
        plans(fleet.all_hosts(), &checks),
        ssh.clone(),
        opts(8, Duration::from_secs(30)),
    )
    .await;
    assert_eq!(
        again.count(Outcome::Pass),
        2 * checks.len(),
        "{:?}",
        summary(&again)
    );
    assert_eq!(fleet.logins("r01"), 2, "r01 reconnected once");
    assert_eq!(fleet.logins("r02"), 1, "r02 kept its connection");
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_masters_are_replaced_and_exit_on_their_own() {
    let fleet = Fleet::uniform(1);
    let ssh = Arc::new(SshTransport::new(SshOptions {
        config_file: Some(fleet.ssh_config.clone()),
        idle_timeout: Some(Duration::from_secs(3)),
        ..SshOptions::default()
    }));
    let checks = baseline_checks();
    let o = opts(8, Duration::from_secs(30));
    let first = run(plans(fleet.all_hosts(), &checks), ssh.clone(), o).await;
    assert_eq!(first.count(Outcome::Pass), checks.len());
    // Too idle to trust (ssh's ControlPersist is about to stop it): a new master is used.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = run(plans(fleet.all_hosts(), &checks), ssh.clone(), o).await;
    assert_eq!(second.count(Outcome::Pass), checks.len());
    assert_eq!(fleet.logins("h01"), 2);
    // Without close(): ControlPersist stops the idle master by itself (what happens when
    // driftscope is killed and cannot close its pool).
    let left = fleet.ssh_clients_after(Duration::from_secs(10));
    assert!(left.is_empty(), "idle master still running: {left:?}");
    drop(ssh);
}
