//! The real `driftscope run` binary over SSH against real sshd hosts: drift and a down host
//! as the user sees them (exit code, JSON and text report), and no ssh process left once the
//! command has exited.

#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use assert_cmd::Command;
use sshd_fleet::Fleet;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CHECKS: &str = r#"
category = "app"
kind = "static"
description = "the app's configuration"

[[check]]
id = "app.log-level"
title = "app logs at info"
severity = "high"
probe = { file = "{vars.hostdir}/etc/app.conf" }
expect = { contains = ["^log_level=info$"], mode = "0644" }

[[check]]
id = "kernel.ostype"
title = "kernel is Linux"
severity = "info"
probe = { sysctl = "kernel.ostype" }
expect = { value = "Linux" }
"#;

/// Inventory and checks for `fleet` under its root; returns (inventory, checks dir).
fn write_config(fleet: &Fleet) -> (PathBuf, PathBuf) {
    let dir = fleet.root().join("config");
    std::fs::create_dir_all(dir.join("checks")).expect("config dir");
    let mut inv =
        String::from("[environment]\nname = \"fleet\"\n\n[defaults]\ntransport = \"ssh\"\n\n");
    for h in &fleet.hosts {
        inv.push_str(&format!(
            "[[host]]\nname = \"{}\"\nvars = {{ hostdir = \"{}\" }}\n\n",
            h.name,
            h.srv.display()
        ));
        let level = if h.name == "c02" { "debug" } else { "info" };
        let conf = fleet.write_srv(&h.name, "etc/app.conf", &format!("log_level={level}\n"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(conf, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    std::fs::write(dir.join("fleet.toml"), inv).expect("inventory");
    std::fs::write(dir.join("checks/app.toml"), CHECKS).expect("checks");
    (dir.join("fleet.toml"), dir.join("checks"))
}

fn driftscope(fleet: &Fleet, inv: &Path, checks: &Path, format: &str) -> (i32, String) {
    let out = Command::cargo_bin("driftscope")
        .expect("binary")
        .args(["run", "--no-store", "--format", format, "--timeout", "30"])
        .arg("-i")
        .arg(inv)
        .arg("-c")
        .arg(checks)
        .arg("--ssh-config")
        .arg(&fleet.ssh_config)
        .env("XDG_RUNTIME_DIR", fleet.root())
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run driftscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn run_over_ssh_reports_drift_and_a_down_host_and_leaves_no_ssh_behind() {
    let mut fleet = Fleet::start(
        ["c01", "c02", "c03"]
            .iter()
            .map(|n| sshd_fleet::HostSpec::named(n))
            .collect(),
    );
    let (inv, checks) = write_config(&fleet);

    // Drift on c02 only: exit 1, and the JSON names exactly that (host, check).
    let (code, json) = driftscope(&fleet, &inv, &checks, "json");
    assert_eq!(code, 1, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    let failing: BTreeSet<(String, String)> = results
        .iter()
        .filter(|r| r["outcome"] != "pass")
        .map(|r| {
            (
                r["host"].as_str().unwrap_or("").to_string(),
                r["check_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        failing,
        BTreeSet::from([("c02".to_string(), "app.log-level".to_string())])
    );
    let left = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(left.is_empty(), "ssh left after `driftscope run`: {left:?}");
    // Its private control directory (under XDG_RUNTIME_DIR) is gone too.
    let control_dirs: Vec<_> = std::fs::read_dir(fleet.root())
        .expect("read fleet root")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("driftscope-ssh-")
        })
        .collect();
    assert!(control_dirs.is_empty(), "{control_dirs:?}");

    // c03 goes down: the text report says why, the other hosts are still checked.
    fleet.kill_host("c03");
    let (code, text) = driftscope(&fleet, &inv, &checks, "text");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("log_level=debug"), "{text}");
    let left = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(left.is_empty(), "ssh left after `driftscope run`: {left:?}");
}
