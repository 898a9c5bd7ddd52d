//! Unit tests of the ssh transport: remote command, pool keys, kill bookkeeping.

use super::channel::{remote_command, remote_input};
use super::*;
use crate::model::TransportKind;
use std::collections::BTreeMap;

/// An ssh host `h` (also for the tests of `ssh`'s submodules).
pub(super) fn host(user: Option<&str>, become_root: bool) -> Host {
    Host {
        name: "h".into(),
        address: "h".into(),
        transport: TransportKind::Ssh,
        user: user.map(str::to_string),
        port: None,
        become_root,
        tags: vec![],
        vars: BTreeMap::new(),
        salt: None,
    }
}

#[test]
fn sudo_only_when_become_and_not_already_root() {
    let plain = "sh -c 'read -r ds_secs || exit 0; if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL \"$ds_secs\" sh -s; else exec sh -s; fi'";
    assert_eq!(remote_command(&host(None, false)), plain);
    assert_eq!(
        remote_command(&host(None, true)),
        format!("sudo -n {plain}")
    );
    assert_eq!(
        remote_command(&host(Some("deploy"), true)),
        format!("sudo -n {plain}")
    );
    assert_eq!(remote_command(&host(Some("root"), true)), plain);
}

#[test]
fn the_remote_bound_is_the_time_left_plus_the_grace_rounded_up() {
    let bound = |left| {
        let input = remote_input("echo hi\n", left);
        let (first, rest) = input.split_once('\n').unwrap();
        assert_eq!(rest, "echo hi\n");
        first.parse::<u64>().ok()
    };
    assert_eq!(bound(Duration::from_millis(5_200)), Some(9));
    assert_eq!(bound(Duration::from_secs(6)), Some(9));
    assert_eq!(
        bound(Duration::ZERO),
        Some(3),
        "a passed deadline still gets the grace"
    );
}

/// Run the remote command as a POSIX login shell would, with `stdin` and `PATH`.
fn run_remote_command(stdin: &[u8], path: &str) -> std::process::Output {
    let cmd = remote_command(&host(None, false));
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(&cmd)
        .env("PATH", path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(stdin)?;
            c.wait_with_output()
        })
        .unwrap()
}

/// The remote command is what a POSIX login shell runs: with `timeout` on PATH the probe
/// runs under it (with the seconds of the first line) and reads the script from the rest of
/// stdin; without, plain `sh -s` does.
#[test]
fn the_remote_command_runs_the_script_with_and_without_timeout() {
    // A PATH with `sh` and nothing else: no `timeout` there.
    let only_sh = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/sh", only_sh.path().join("sh")).unwrap();
    let only_sh = only_sh.path().display().to_string();
    let input = remote_input("echo ran: $0\n", Duration::from_secs(5));
    for path in ["/usr/local/bin:/usr/bin:/bin", &only_sh] {
        let out = run_remote_command(input.as_bytes(), path);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "ran: sh",
            "{path}"
        );
        assert!(out.status.success(), "{path}");
    }
    // The bound applies: a script sleeping past its seconds is killed.
    let started = Instant::now();
    let out = run_remote_command(b"1\nsleep 30\n", "/usr/local/bin:/usr/bin:/bin");
    assert_eq!(out.status.code(), Some(137), "killed by timeout's SIGKILL");
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A spare session that never gets its script (driftscope exited): stdin's end ends it.
#[test]
fn the_remote_command_ends_quietly_on_an_empty_stdin() {
    let out = run_remote_command(b"", "/usr/local/bin:/usr/bin:/bin");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_destination_that_looks_like_an_option_never_reaches_ssh() {
    let t = SshTransport::new(SshOptions::default());
    let mut h = host(None, false);
    h.address = "-oProxyCommand=touch /tmp/pwned".into();
    let limits = Limits {
        deadline: Instant::now() + Duration::from_secs(5),
        connect_timeout: Duration::from_secs(1),
        output_cap: 1024,
    };
    let err = t.run_script(&h, "true", limits, &|_| {}).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::Unreachable(r) if r.contains("starts with '-'")),
        "{err:?}"
    );
}
