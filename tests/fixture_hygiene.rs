//! Fixtures that capture a machine hold only what their test needs: no process of the
//! machine they were captured on (other programs' command lines, their environment), no
//! environment blobs anywhere, no account, group or mount of that machine. Re-capture the
//! process fixtures with `scripts/capture-process-fixtures.sh` (a fresh PID namespace) and the
//! user, group and mount fixtures with `scripts/capture-account-mount-fixtures.sh` (a chroot
//! in a fresh mount namespace) when this fails.

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "out") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/probe/testdata"),
        &mut out,
    );
    out.sort();
    out
}

/// Text that only a captured environment or a foreign process's command line would hold.
const FOREIGN: [&str; 7] = [
    "--env {",
    "PATH=",
    "HOME=",
    "_TOKEN",
    "AWS_",
    "SSL_CERT",
    "process_api",
];

#[test]
fn no_fixture_holds_an_environment_or_foreign_command_lines() {
    let all = fixtures();
    assert!(all.len() > 20, "fixtures found: {all:?}");
    for path in all {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for (n, line) in text.lines().enumerate() {
            for bad in FOREIGN {
                assert!(
                    !line.contains(bad),
                    "{}:{}: holds {bad:?}, not the test's own: {line:.120}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

/// The programs the process tests start (and the capture's own shell, runuser and ps).
const OWN_PROCESSES: [&str; 8] = [
    "sh",
    "runuser",
    "sleep",
    "tail",
    "we ird",
    "ds-zombie",
    "ps",
    "grep",
];

/// Every process in a process capture — `ps` rows, `/proc/<pid>/comm` lines — is one the
/// capture started itself.
#[test]
fn process_captures_list_only_the_tests_own_processes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/probe/testdata/process");
    for name in ["ps.out", "proc.out", "proc-users.out"] {
        let path = dir.join(name);
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let mut processes = 0;
        let mut in_ps = false;
        for (n, line) in text.lines().enumerate() {
            let comm = if line == "@@PS" {
                in_ps = true;
                continue;
            } else if line.starts_with("@@") {
                in_ps = false;
                continue;
            } else if in_ps {
                // `  <pid> <user padded to 32> <comm padded to 16> <args>`
                line.trim_start()
                    .split_once(' ')
                    .map(|(_, rest)| rest.trim_start())
                    .and_then(|rest| rest.split_once(' '))
                    .map(|(_, rest)| rest.trim_start().get(..16).unwrap_or(rest).trim_end())
            } else if line.starts_with("/proc/") && line.contains("/comm\0") {
                line.split_once(":").map(|(_, c)| c)
            } else {
                None
            };
            let Some(comm) = comm else { continue };
            processes += 1;
            assert!(
                OWN_PROCESSES.contains(&comm),
                "{}:{}: process {comm:?} is not one the capture started: {line:.120}",
                path.display(),
                n + 1
            );
        }
        assert!(processes >= 8, "{name}: only {processes} processes parsed");
    }
}

/// The accounts and groups `scripts/capture-account-mount-fixtures.sh` writes into its chroot.
const OWN_ACCOUNTS: [&str; 6] = ["root", "daemon", "sshd", "nobody", "shadow", "ssl-cert"];
const OWN_GROUPS_ONLY: [&str; 2] = ["postgres", "nogroup"];
/// The mounts of that chroot: its tmpfs root, /proc and the tmpfs with a space in its path.
const OWN_MOUNTS: [&str; 3] = ["/", "/proc", "/mnt/with\\040space"];

/// The account, group and mount captures hold only the capture's own chroot: no account,
/// group or mount of the machine they were captured on.
#[test]
fn account_and_mount_captures_hold_only_the_captures_own_chroot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/probe/testdata");
    let mut entries = 0;
    for name in ["user/getent.out", "group/getent.out"] {
        let path = dir.join(name);
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with("@@") {
                continue;
            }
            let account = line.split(':').next().unwrap_or("");
            entries += 1;
            assert!(
                OWN_ACCOUNTS.contains(&account) || OWN_GROUPS_ONLY.contains(&account),
                "{}:{}: {account:?} is not an account or group of the capture's chroot: {line:.120}",
                path.display(),
                n + 1
            );
        }
    }
    assert!(
        entries >= 10,
        "only {entries} account and group lines parsed"
    );
    let path = dir.join("mount/mounts.out");
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    let mounts: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("/proc/self/mounts\0"))
        .filter_map(|l| l.split(' ').nth(1))
        .collect();
    assert_eq!(mounts, OWN_MOUNTS, "{}", path.display());
}
