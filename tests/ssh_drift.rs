//! Drift over SSH, end to end through the library: inventory and check files on disk
//! (`config::Loaded`), per-host state on each fleet host, the executor and the SSH transport.
//! Injected drift is found on exactly the drifted hosts, with expected vs actual.

#[path = "support/fleet_run.rs"]
mod fleet_run;
#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::model::{Outcome, Value};
use driftscope::transport::Transport;
use driftscope::transport::ssh::{SshOptions, SshTransport};
use fleet_run::{opts, run, summary};
use sshd_fleet::Fleet;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

const CHECKS: &str = r#"
category = "app"
kind = "static"
description = "the app's configuration"

[[check]]
id = "app.conf-mode"
title = "app.conf is 0644"
severity = "medium"
probe = { file = "{vars.hostdir}/etc/app.conf" }
expect = { type = "file", mode = "0644" }

[[check]]
id = "app.log-level"
title = "app logs at info and names its host"
severity = "high"
probe = { file = "{vars.hostdir}/etc/app.conf" }
expect = { contains = ["^log_level=info$", "^host={host}$"] }

[[check]]
id = "app.release"
title = "release file pins 2.4.1"
severity = "high"
probe = { file = "{vars.hostdir}/etc/release" }
expect = { contains = ["^2\\.4\\.1$"] }

[[check]]
id = "kernel.ostype"
title = "kernel is Linux"
severity = "info"
probe = { sysctl = "kernel.ostype" }
expect = { value = "Linux" }
"#;

fn write_host_state(fleet: &Fleet, host: &str, log_level: &str, mode: u32) {
    let conf = fleet.write_srv(
        host,
        "etc/app.conf",
        &format!("# managed\nhost={host}\nlog_level={log_level}\n"),
    );
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(mode)).expect("chmod");
    fleet.write_srv(host, "etc/release", "2.4.1\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_drift_is_found_on_exactly_the_drifted_hosts() {
    let fleet = Fleet::uniform(6);
    for h in &fleet.hosts {
        write_host_state(&fleet, &h.name, "info", 0o644);
    }
    // Drift: h02 logs at debug, h05's app.conf is world-writable, h06's release is old.
    write_host_state(&fleet, "h02", "debug", 0o644);
    write_host_state(&fleet, "h05", "info", 0o666);
    fleet.write_srv("h06", "etc/release", "2.4.0\n");

    // Inventory and checks as files, loaded the way the CLI loads them.
    let dir = fleet.root().join("config");
    std::fs::create_dir_all(dir.join("checks")).expect("config dir");
    let mut inventory =
        String::from("[environment]\nname = \"fleet\"\n\n[defaults]\ntransport = \"ssh\"\n\n");
    for h in &fleet.hosts {
        inventory.push_str(&format!(
            "[[host]]\nname = \"{}\"\ntags = [\"fleet\"]\nvars = {{ hostdir = \"{}\" }}\n\n",
            h.name,
            h.srv.display()
        ));
    }
    std::fs::write(dir.join("fleet.toml"), inventory).expect("inventory");
    std::fs::write(dir.join("checks/app.toml"), CHECKS).expect("checks");
    let loaded = Loaded::load(&Sources {
        inventories: vec![dir.join("fleet.toml")],
        checks: vec![dir.join("checks")],
        ..Sources::default()
    })
    .expect("config loads");
    let plans = loaded.plan(&Selection::default()).expect("plan");
    assert_eq!(plans.len(), 6);

    let ssh = Arc::new(SshTransport::new(SshOptions {
        config_file: Some(fleet.ssh_config.clone()),
        ..SshOptions::default()
    }));
    let r = run(plans, ssh.clone(), opts(4, Duration::from_secs(30))).await;
    assert_eq!(r.records.len(), 6 * 4, "{:?}", summary(&r));
    let failing: BTreeSet<(String, String)> = r
        .records
        .iter()
        .filter(|rec| rec.outcome != Outcome::Pass)
        .map(|rec| (rec.host.clone(), rec.check_id.clone()))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("h02", "app.log-level"),
        ("h05", "app.conf-mode"),
        ("h06", "app.release"),
    ]
    .into_iter()
    .map(|(h, c)| (h.to_string(), c.to_string()))
    .collect();
    assert_eq!(failing, expected, "{:?}", summary(&r));

    // Each drift says what was expected and what was found.
    let rec = |host: &str, check: &str| {
        r.records
            .iter()
            .find(|x| x.host == host && x.check_id == check)
            .unwrap_or_else(|| panic!("no result {host} {check}"))
    };
    let mode = rec("h05", "app.conf-mode");
    assert_eq!(mode.outcome, Outcome::Fail);
    assert_eq!(mode.expected["mode"], Value::String("0644".into()));
    assert_eq!(mode.actual["mode"], Value::String("0666".into()));
    let level = rec("h02", "app.log-level");
    assert_eq!(level.outcome, Outcome::Fail);
    let shown = level.actual.to_string();
    assert!(shown.contains("log_level=debug"), "actual: {shown}");
    assert!(
        rec("h03", "app.log-level").outcome == Outcome::Pass,
        "{{host}} and {{vars.hostdir}} are per host"
    );

    ssh.close().await;
    assert!(fleet.ssh_clients_after(Duration::from_secs(5)).is_empty());
}
