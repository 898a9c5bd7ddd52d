//! The shipped checks of the categories whose subjects are fixed system paths (ssh, kernel,
//! filesystem, services, logging, accounts) detect a deliberately broken state on a real
//! system: this machine seen through private namespaces (`unshare --mount --net --pid`), in
//! which the test bind-mounts broken copies over system files (`/etc/passwd` with a second
//! uid 0, an `sshd_config` permitting empty passwords, a world-writable `/etc/login.defs` and
//! `/var/log`, cramfs in `/proc/modules` and `/sys/module`), turns on IP forwarding in its own network
//! namespace and starts a process named `telnetd`. The real binary probes that view through
//! its local transport, as it would probe a drifted host. Every broken check is first seen
//! passing in the same kind of namespace without the breakage, so the failure is the
//! breakage's and not this machine's. Nothing outside the namespaces changes. Needs root.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// (check key, what the failing result's actual value must mention).
const BROKEN: &[(&str, &str)] = &[
    ("accounts.only-root-uid0", "toor"),
    ("accounts.db-public[path=/etc/passwd]", "0666"),
    (
        "ssh.sshd-option[option=PermitEmptyPasswords,value=no]",
        "yes",
    ),
    ("ssh.config-perms", "0666"),
    ("kernel.no-forwarding", "1"),
    ("kernel.fs-module-absent[module=cramfs]", "true"),
    ("filesystem.root-owned-0644[path=/etc/login.defs]", "0666"),
    ("services.forbidden-process[name=telnetd]", "true"),
    ("logging.var-log", "0777"),
];

/// The breakage, as shell run inside the namespaces before driftscope. `$T` is a temp dir.
const BREAK: &str = r#"
set -e
cp /etc/passwd "$T/passwd"; echo 'toor:x:0:0:second root:/root:/bin/sh' >>"$T/passwd"
chmod 0666 "$T/passwd"; mount --bind "$T/passwd" /etc/passwd
{ echo 'PermitEmptyPasswords yes'; cat /etc/ssh/sshd_config; } >"$T/sshd_config"
chmod 0666 "$T/sshd_config"; mount --bind "$T/sshd_config" /etc/ssh/sshd_config
echo 1 >/proc/sys/net/ipv4/ip_forward
if [ -r /proc/modules ]; then
  { cat /proc/modules; echo 'cramfs 40960 0 - Live 0x0000000000000000'; } >"$T/modules"
  mount --bind "$T/modules" /proc/modules
fi
mount -t tmpfs ds-modules /sys/module; mkdir /sys/module/cramfs
cp /etc/login.defs "$T/login.defs"; chmod 0666 "$T/login.defs"
mount --bind "$T/login.defs" /etc/login.defs
mkdir "$T/log"; chmod 0777 "$T/log"; mount --bind "$T/log" /var/log
cp "$(command -v sleep)" "$T/telnetd"; "$T/telnetd" 300 &
"#;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// `driftscope run` of the BROKEN checks inside fresh mount, network and PID namespaces,
/// after `setup`: key → (outcome, actual as JSON text).
fn run_in_namespaces(setup: &str, tmp: &Path) -> BTreeMap<String, (String, String)> {
    let mut script = format!(
        "T='{}'\n{setup}\nexec \"$DS\" run --no-store --format json",
        tmp.display()
    );
    for (key, _) in BROKEN {
        let id = key.split('[').next().unwrap_or(key);
        script.push_str(&format!(" --check '{id}'"));
    }
    script.push('\n');
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--net",
            "--pid",
            "--fork",
            "--mount-proc",
            "/bin/sh",
            "-c",
        ])
        .arg(&script)
        .env("DS", env!("CARGO_BIN_EXE_driftscope"))
        .env("XDG_CONFIG_HOME", tmp.join("no-config"))
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare runs");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}), exit {:?}; stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap_or_default().to_string(),
                (
                    r["outcome"].as_str().unwrap_or_default().to_string(),
                    r["actual"].to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn system_categories_detect_a_deliberately_broken_host() {
    if !is_root() {
        eprintln!("skipped: needs root (namespaces, bind mounts)");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let healthy = run_in_namespaces("", tmp.path());
    for (key, _) in BROKEN {
        let (outcome, actual) = healthy
            .get(*key)
            .unwrap_or_else(|| panic!("{key} did not run: {healthy:#?}"));
        assert_eq!(
            outcome, "pass",
            "{key} must pass before the breakage (actual {actual})"
        );
    }
    let broken = run_in_namespaces(BREAK, tmp.path());
    for (key, mention) in BROKEN {
        let (outcome, actual) = broken
            .get(*key)
            .unwrap_or_else(|| panic!("{key} did not run: {broken:#?}"));
        assert_eq!(
            outcome, "fail",
            "{key} after the breakage (actual {actual})"
        );
        assert!(
            actual.contains(mention),
            "{key}: the actual value shows the breakage ({mention}): {actual}"
        );
    }
    // Everything else those checks cover still answers the same way: the breakage is
    // exactly what changed.
    for (key, (outcome, _)) in &healthy {
        if BROKEN.iter().any(|(k, _)| k == key) {
            continue;
        }
        assert_eq!(
            Some(outcome),
            broken.get(key).map(|(o, _)| o),
            "{key} changed although it was not broken"
        );
    }
}
