//! The shipped library's system-path categories (ssh, kernel, filesystem, services, logging,
//! accounts) detect a deliberately broken state on this real machine. Their subjects are fixed
//! system paths (/etc/ssh/sshd_config, /proc/sys, /etc/passwd, …), so each test runs the real
//! binary twice in a private mount namespace (`unshare --mount`) where temp files and dirs are
//! bind-mounted over those paths: once with a good state (the checks pass) and once with a
//! broken one (the same checks fail, showing the broken value). Bind mounts reach every
//! program the probe starts (`sshd -T`, `awk`, the shared read's `grep`) and vanish with the
//! namespace; nothing on the machine changes. Process checks get real processes (a `sleep`
//! started under a forbidden or an expected daemon's name).
//!
//! Needs root (mount namespaces) and util-linux `unshare`; CI runs as root.

use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Skip (outside CI) when not root.
fn needs_root() -> bool {
    if is_root() {
        return true;
    }
    eprintln!("check_library_broken: needs root (mount namespaces); skipped");
    assert!(std::env::var_os("CI").is_none(), "CI runs as root");
    false
}

/// A scene: a temp dir with the inventory (one local host tagged `linux`) and what gets
/// bind-mounted.
struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("inv.toml"),
            "[environment]\nname = \"broken\"\n[[host]]\nname = \"here\"\ntransport = \"local\"\ntags = [\"linux\"]\n",
        )
        .unwrap();
        Scene { dir }
    }

    /// A file in the scene with `text` and `mode`.
    fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// A directory in the scene with `mode` (and the empty subdirectories `children`).
    fn dir(&self, name: &str, mode: u32, children: &[&str]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        for c in children {
            std::fs::create_dir_all(p.join(c)).unwrap();
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// `driftscope run` of `checks` in a private mount namespace where each `(source,
    /// target)` is bind-mounted: every result's outcome and actual value by key.
    fn run(&self, mounts: &[(&Path, &str)], checks: &[&str]) -> BTreeMap<String, (String, Value)> {
        let mut script = String::from("set -e\n");
        for (source, target) in mounts {
            script.push_str(&format!("mount --bind '{}' '{target}'\n", source.display()));
        }
        script.push_str("exec \"$@\"\n");
        let mut cmd = Command::new("unshare");
        cmd.args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ])
        .arg(env!("CARGO_BIN_EXE_driftscope"))
        .args(["run", "--no-store", "--format", "json", "-i"])
        .arg(self.dir.path().join("inv.toml"))
        .env("NO_COLOR", "1")
        .env_remove("DRIFTSCOPE_DB")
        .stdin(Stdio::null());
        for c in checks {
            cmd.args(["--check", c]);
        }
        let out = cmd.output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON ({e}); stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_string(),
                    (
                        r["outcome"].as_str().unwrap().to_string(),
                        r["actual"].clone(),
                    ),
                )
            })
            .collect()
    }
}

/// Assert `key`'s outcome (and, when given, that its actual value shows `shown`).
fn assert_outcome(
    got: &BTreeMap<String, (String, Value)>,
    key: &str,
    want: &str,
    shown: Option<&str>,
) {
    let Some((outcome, actual)) = got.get(key) else {
        panic!("no result {key}: {got:#?}");
    };
    assert_eq!(outcome, want, "{key}: {actual}");
    if let Some(s) = shown {
        assert!(actual.to_string().contains(s), "{key}: {actual} lacks {s}");
    }
}

/// A process named `name` (a copy of `sleep` under that name, so `comm` and argv[0] are
/// `name`), killed on drop.
struct NamedProcess {
    child: Child,
    /// Holds the renamed copy of `sleep` until the process is gone.
    _bin: tempfile::TempDir,
}

impl NamedProcess {
    fn start(name: &str) -> NamedProcess {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(name);
        std::fs::copy("/bin/sleep", &bin).unwrap();
        let child = Command::new(&bin).arg("300").spawn().unwrap();
        // Started when its comm shows the name (exec done): poll with a deadline.
        let comm = format!("/proc/{}/comm", child.id());
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(&comm)
            .map(|c| c.trim().to_string())
            .ok()
            .as_deref()
            != Some(name)
            && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        NamedProcess { child, _bin: dir }
    }
}

impl Drop for NamedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_detects_a_risky_sshd_config_and_its_mode() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let good = s.file(
        "good_sshd_config",
        "PermitRootLogin no\nPasswordAuthentication no\nX11Forwarding no\nMaxAuthTries 3\n",
        0o644,
    );
    let broken = s.file(
        "broken_sshd_config",
        "PermitRootLogin yes\nPasswordAuthentication no\nX11Forwarding yes\nMaxAuthTries 10\n",
        0o666,
    );
    let checks = [
        "ssh.sshd-option",
        "ssh.x11-forwarding",
        "ssh.max-auth-tries",
        "ssh.config-perms",
    ];
    let root_login = "ssh.sshd-option[option=PermitRootLogin,value=no]";
    let ok = s.run(&[(&good, "/etc/ssh/sshd_config")], &checks);
    for key in [
        root_login,
        "ssh.x11-forwarding",
        "ssh.max-auth-tries",
        "ssh.config-perms",
    ] {
        assert_outcome(&ok, key, "pass", None);
    }
    let bad = s.run(&[(&broken, "/etc/ssh/sshd_config")], &checks);
    assert_outcome(&bad, root_login, "fail", Some("yes"));
    assert_outcome(&bad, "ssh.x11-forwarding", "fail", Some("yes"));
    assert_outcome(&bad, "ssh.max-auth-tries", "fail", Some("10"));
    assert_outcome(&bad, "ssh.config-perms", "fail", Some("0666"));
    assert_outcome(
        &bad,
        "ssh.sshd-option[option=PasswordAuthentication,value=no]",
        "pass",
        None,
    );
}

#[test]
fn kernel_detects_a_sysctl_off_and_a_forbidden_module_loaded() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let aslr_on = s.file("aslr_on", "2\n", 0o644);
    let aslr_off = s.file("aslr_off", "0\n", 0o644);
    // /sys/module as this kernel shows it, without and with the forbidden cramfs.
    let clean = s.dir("modules-clean", 0o755, &["ext4"]);
    let cramfs = s.dir("modules-cramfs", 0o755, &["ext4", "cramfs"]);
    let checks = ["kernel.aslr", "kernel.fs-module-absent"];
    let aslr = "/proc/sys/kernel/randomize_va_space";
    let no_proc_modules = !Path::new("/proc/modules").exists();
    let module_key = "kernel.fs-module-absent[module=cramfs]";
    let ok = s.run(&[(&aslr_on, aslr), (&clean, "/sys/module")], &checks);
    assert_outcome(&ok, "kernel.aslr", "pass", None);
    if no_proc_modules {
        assert_outcome(&ok, module_key, "pass", None);
    }
    let bad = s.run(&[(&aslr_off, aslr), (&cramfs, "/sys/module")], &checks);
    assert_outcome(&bad, "kernel.aslr", "fail", Some("\"0\""));
    if no_proc_modules {
        // With /proc/modules the module list comes from there (not bind-mountable here).
        assert_outcome(&bad, module_key, "fail", Some("true"));
    }
}

#[test]
fn filesystem_detects_a_writable_system_file_and_a_tmp_without_sticky_bit() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let fstab_ok = s.file("fstab_ok", "# <file system> <mount point>\n", 0o644);
    let fstab_bad = s.file("fstab_bad", "# <file system> <mount point>\n", 0o666);
    let var_tmp_ok = s.dir("var_tmp_ok", 0o1777, &[]);
    let var_tmp_bad = s.dir("var_tmp_bad", 0o777, &[]);
    let checks = ["filesystem.root-owned-0644", "filesystem.var-tmp-sticky"];
    let fstab = "filesystem.root-owned-0644[path=/etc/fstab]";
    let ok = s.run(
        &[(&fstab_ok, "/etc/fstab"), (&var_tmp_ok, "/var/tmp")],
        &checks,
    );
    assert_outcome(&ok, fstab, "pass", None);
    assert_outcome(&ok, "filesystem.var-tmp-sticky", "pass", None);
    let bad = s.run(
        &[(&fstab_bad, "/etc/fstab"), (&var_tmp_bad, "/var/tmp")],
        &checks,
    );
    assert_outcome(&bad, fstab, "fail", Some("0666"));
    assert_outcome(&bad, "filesystem.var-tmp-sticky", "fail", Some("0777"));
}

#[test]
fn services_detect_a_forbidden_daemon_running() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let key = "services.forbidden-process[name=telnetd]";
    let check = ["services.forbidden-process"];
    // No telnetd on this machine (a build box): the check passes before one starts.
    assert_outcome(&s.run(&[], &check), key, "pass", None);
    let telnetd = NamedProcess::start("telnetd");
    assert_outcome(&s.run(&[], &check), key, "fail", Some("true"));
    drop(telnetd);
}

#[test]
fn logging_detects_a_writable_log_dir_and_no_log_daemon() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let log_ok = s.dir("log_ok", 0o755, &[]);
    let log_bad = s.dir("log_bad", 0o777, &[]);
    let checks = ["logging.var-log", "logging.daemon-running"];
    // Whether a log daemon already runs here (then "none running" cannot be shown).
    let daemon_running = std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read_to_string(e.path().join("comm"))
            .is_ok_and(|c| ["rsyslogd", "systemd-journal", "syslog-ng"].contains(&c.trim()))
    });
    let bad = s.run(&[(&log_bad, "/var/log")], &checks);
    assert_outcome(&bad, "logging.var-log", "fail", Some("0777"));
    if !daemon_running {
        assert_outcome(&bad, "logging.daemon-running", "fail", Some("false"));
    }
    let rsyslogd = NamedProcess::start("rsyslogd");
    let ok = s.run(&[(&log_ok, "/var/log")], &checks);
    assert_outcome(&ok, "logging.var-log", "pass", None);
    assert_outcome(&ok, "logging.daemon-running", "pass", None);
    drop(rsyslogd);
}

#[test]
fn accounts_detect_a_second_uid_0_and_a_writable_passwd() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    // This machine's own accounts, with only root at uid 0 …
    let real = std::fs::read_to_string("/etc/passwd").unwrap();
    let own: String = real
        .lines()
        .filter(|l| l.split(':').nth(2) != Some("0") || l.starts_with("root:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let good = s.file("passwd_good", &own, 0o644);
    // … and with a second one (the classic backdoor), world-writable.
    let broken = s.file(
        "passwd_broken",
        &format!("{own}toor:x:0:0:backdoor:/root:/bin/sh\n"),
        0o666,
    );
    let checks = ["accounts.only-root-uid0", "accounts.db-public"];
    let mode = "accounts.db-public[path=/etc/passwd]";
    let ok = s.run(&[(&good, "/etc/passwd")], &checks);
    assert_outcome(&ok, "accounts.only-root-uid0", "pass", None);
    assert_outcome(&ok, mode, "pass", None);
    let bad = s.run(&[(&broken, "/etc/passwd")], &checks);
    assert_outcome(&bad, "accounts.only-root-uid0", "fail", Some("toor"));
    assert_outcome(&bad, mode, "fail", Some("0666"));
}

/// Debian vs RHEL family without tagging hosts: `os_family` checks are decided on the host
/// from its /etc/os-release. This Debian box with a Rocky Linux os-release bind-mounted: the
/// Debian-only check is `not_applicable`, the RHEL-only one runs.
#[test]
fn os_family_checks_follow_the_hosts_os_release() {
    if !needs_root() {
        return;
    }
    let s = Scene::new();
    let rocky = s.file(
        "rocky-os-release",
        "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
        0o644,
    );
    let debian = s.file(
        "debian-os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        0o644,
    );
    let checks = ["packages.unattended-upgrades", "packages.dnf-automatic"];
    let on_rocky = s.run(&[(&rocky, "/etc/os-release")], &checks);
    let (outcome, _) = &on_rocky["packages.unattended-upgrades"];
    assert_eq!(outcome, "not_applicable", "{on_rocky:#?}");
    // dnf-automatic runs (and is not installed on this box).
    assert_outcome(&on_rocky, "packages.dnf-automatic", "fail", Some("false"));
    let on_debian = s.run(&[(&debian, "/etc/os-release")], &checks);
    assert_outcome(&on_debian, "packages.dnf-automatic", "not_applicable", None);
    assert_ne!(
        on_debian["packages.unattended-upgrades"].0, "not_applicable",
        "{on_debian:#?}"
    );
}
