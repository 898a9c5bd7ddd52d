//! `--keep-connections` and `driftscope disconnect` with the real binary against real sshd
//! hosts: a second launch reuses the masters the first one left (no new login), a master
//! that died is replaced transparently, a changed host key is still refused on the new
//! connection, a launch without the flag neither uses nor leaves kept masters, and
//! `disconnect` leaves no ssh master process behind. The kept directory is a private one
//! (`XDG_RUNTIME_DIR` points into the fleet's temp dir).

#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use assert_cmd::Command;
use sshd_fleet::Fleet;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
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
expect = { contains = ["^log_level=info$"] }
"#;

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
        let level = if h.name == "k02" { "debug" } else { "info" };
        fleet.write_srv(&h.name, "etc/app.conf", &format!("log_level={level}\n"));
    }
    std::fs::write(dir.join("fleet.toml"), inv).expect("inventory");
    std::fs::write(dir.join("checks/app.toml"), CHECKS).expect("checks");
    (dir.join("fleet.toml"), dir.join("checks"))
}

/// The runtime dir the binary sees: private, inside the fleet's temp dir.
fn runtime_dir(fleet: &Fleet) -> PathBuf {
    let d = fleet.root().join("run");
    std::fs::create_dir_all(&d).expect("runtime dir");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    d
}

struct Launch {
    code: i32,
    outcomes: BTreeMap<String, String>,
}

fn run(fleet: &Fleet, inv: &Path, checks: &Path, keep: Option<&str>) -> Launch {
    let mut cmd = Command::cargo_bin("driftscope").expect("binary");
    cmd.args(["run", "--no-store", "--format", "json", "--timeout", "30"])
        .arg("-i")
        .arg(inv)
        .arg("-c")
        .arg(checks)
        .arg("--ssh-config")
        .arg(&fleet.ssh_config)
        .env("XDG_RUNTIME_DIR", runtime_dir(fleet))
        .timeout(Duration::from_secs(60));
    if let Some(k) = keep {
        cmd.args(["--keep-connections", k]);
    }
    let out = cmd.output().expect("run driftscope");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let outcomes = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let outcome = r["outcome"].as_str().unwrap_or("?");
            // Drift is just `fail`; any other outcome carries its reason.
            let reason = match outcome {
                "pass" | "fail" => "",
                _ => r["reason"].as_str().unwrap_or(""),
            };
            (
                r["host"].as_str().unwrap_or("?").to_string(),
                format!("{outcome} {reason}").trim().to_string(),
            )
        })
        .collect();
    Launch {
        code: out.status.code().unwrap_or(-1),
        outcomes,
    }
}

fn disconnect(fleet: &Fleet) -> String {
    let out = Command::cargo_bin("driftscope")
        .expect("binary")
        .arg("disconnect")
        .env("XDG_RUNTIME_DIR", runtime_dir(fleet))
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run disconnect");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// ssh master processes pointed at this fleet right now (pid, cmdline).
fn masters(fleet: &Fleet) -> Vec<(u32, String)> {
    fleet
        .leftovers()
        .into_iter()
        .filter(|p| p.1 == "ssh")
        .map(|p| (p.0, p.2))
        .collect()
}

fn master_of(fleet: &Fleet, host: &str) -> u32 {
    masters(fleet)
        .into_iter()
        .find(|(_, cmd)| cmd.split_whitespace().last() == Some(host))
        .map(|(pid, _)| pid)
        .unwrap_or_else(|| panic!("no kept master for {host}: {:?}", masters(fleet)))
}

fn expected() -> BTreeMap<String, String> {
    [("k01", "pass"), ("k02", "fail"), ("k03", "pass")]
        .into_iter()
        .map(|(h, o)| (h.to_string(), o.to_string()))
        .collect()
}

#[test]
fn kept_connections_serve_the_next_launch_until_disconnect() {
    let mut fleet = Fleet::start(
        ["k01", "k02", "k03"]
            .iter()
            .map(|n| sshd_fleet::HostSpec::named(n))
            .collect(),
    );
    let (inv, checks) = write_config(&fleet);

    // First launch: new connections, left running at exit in a private directory.
    let first = run(&fleet, &inv, &checks, Some("10m"));
    assert_eq!((first.code, &first.outcomes), (1, &expected()));
    assert_eq!(masters(&fleet).len(), 3, "{:?}", masters(&fleet));
    let kept = runtime_dir(&fleet).join("driftscope");
    let mut slots = 0;
    for dir in std::iter::once(kept.clone()).chain(
        std::fs::read_dir(&kept)
            .expect("kept dir")
            .flatten()
            .map(|e| e.path()),
    ) {
        let mode = std::fs::metadata(&dir).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        slots += 1;
    }
    assert_eq!(slots, 4, "the root and one directory per host");

    // Second launch: the same masters, no new login on any host, one more session each.
    let pids: Vec<u32> = ["k01", "k02", "k03"]
        .iter()
        .map(|h| master_of(&fleet, h))
        .collect();
    let second = run(&fleet, &inv, &checks, Some("10m"));
    assert_eq!((second.code, &second.outcomes), (1, &expected()));
    for (h, pid) in ["k01", "k02", "k03"].iter().zip(&pids) {
        assert_eq!(fleet.logins(h), 1, "{h} logged in again");
        assert_eq!(fleet.sessions(h), 2, "{h}");
        assert_eq!(master_of(&fleet, h), *pid, "{h}: same master");
    }

    // Without the flag: a launch of its own (new logins), closed at exit; kept ones stay.
    let plain = run(&fleet, &inv, &checks, None);
    assert_eq!((plain.code, &plain.outcomes), (1, &expected()));
    assert_eq!(fleet.logins("k01"), 2);
    assert_eq!(masters(&fleet).len(), 3, "{:?}", masters(&fleet));

    // A kept master that died (killed, host rebooted …) is replaced transparently.
    // SAFETY: kill(2) on the ssh master pid read from /proc.
    unsafe { libc::kill(pids[0] as i32, libc::SIGKILL) };
    let replaced = run(&fleet, &inv, &checks, Some("10m"));
    assert_eq!((replaced.code, &replaced.outcomes), (1, &expected()));
    assert_eq!(fleet.logins("k01"), 3, "k01 reconnected");
    assert_eq!(
        fleet.logins("k03"),
        2,
        "k03 reused (1 kept + 1 plain launch)"
    );
    assert_ne!(master_of(&fleet, "k01"), pids[0]);

    // A host whose key changed: its kept master dropped with the old sshd, and the new
    // connection is refused exactly as without the flag; nothing is kept for it.
    fleet.replace_host_key("k03");
    let after_rekey = run(&fleet, &inv, &checks, Some("10m"));
    let k03 = &after_rekey.outcomes["k03"];
    assert!(k03.starts_with("unreachable host key mismatch"), "{k03}");
    assert_eq!(after_rekey.outcomes["k01"], "pass");

    // disconnect: every kept master gone, no ssh process of ours left, sockets removed.
    let said = disconnect(&fleet);
    assert!(
        said.contains("closed k01") && said.contains("closed k02"),
        "{said}"
    );
    let left = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(
        left.is_empty(),
        "ssh masters left after disconnect: {left:?}"
    );
    let entries = std::fs::read_dir(&kept).expect("kept dir").count();
    assert_eq!(entries, 0, "kept sockets removed");
    assert!(disconnect(&fleet).contains("no kept connections"));
}

#[test]
fn a_bad_keep_duration_is_a_usage_error() {
    let out = Command::cargo_bin("driftscope")
        .expect("binary")
        .args(["run", "--keep-connections", "ten minutes"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--keep-connections"), "{err}");
    assert!(err.contains("24h") || err.contains("unit"), "{err}");
}
