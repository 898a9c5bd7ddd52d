//! Every probe module end to end on this machine: real Executions → one batched script →
//! `LocalTransport` (/bin/sh -s) → verdicts, asserted against state the test creates (a temp
//! tree, a listening socket, a child process) or that every Debian box has (root, /tmp 1777).

#[path = "support/local_probe.rs"]
mod local_probe;

use driftscope::model::Outcome;
use driftscope::probe::batch::ProbeScript;
use local_probe::{exec, expect_outcomes, is_root, run};
use serde_json::json;
use std::os::unix::fs::{PermissionsExt, symlink};

#[test]
fn file_and_directory_on_a_temp_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8 temp path").to_string();
    let conf = format!("{d}/app.conf");
    std::fs::write(&conf, "log_level=debug\nlisten_port=8080\n").expect("write");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let odd = format!("{d}/it's a \"file\" $(x).conf");
    std::fs::write(&odd, "hello\n").expect("write");
    symlink("app.conf", format!("{d}/link")).expect("symlink");
    let sub = format!("{d}/state");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o750)).expect("chmod");

    let verdicts = expect_outcomes(&[
        (
            exec(
                "file",
                &conf,
                json!({"type": "file", "mode": "0640", "size": 33,
                       "contains": ["^listen_port=8080$"], "not_contains": ["^debug"]}),
            ),
            Outcome::Pass,
        ),
        (
            exec("file", &conf, json!({"contains": ["^log_level=info$"]})),
            Outcome::Fail,
        ),
        (
            exec(
                "file",
                &odd,
                json!({"exists": true,
                       "sha256": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}),
            ),
            Outcome::Pass,
        ),
        (
            exec(
                "file",
                &format!("{d}/link"),
                json!({"type": "symlink", "link_target": "app.conf", "mode": 640}),
            ),
            Outcome::Pass,
        ),
        (
            exec("file", &format!("{d}/nope"), json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec(
                "file",
                "/tmp",
                json!({"type": "directory", "mode": "1777", "owner": "root"}),
            ),
            Outcome::Pass,
        ),
        (
            exec("directory", &sub, json!({"exists": true, "mode": "0750"})),
            Outcome::Pass,
        ),
        (
            exec("directory", &conf, json!({"exists": true})),
            Outcome::Fail,
        ),
    ]);
    // The contains miss shows the line that is there instead.
    let miss = verdicts[1].actual.to_string();
    assert!(miss.contains("nearest: line 1: log_level=debug"), "{miss}");
    assert_eq!(verdicts[7].actual, json!({"exists": false}));
}

#[test]
fn system_modules_on_this_machine() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = std::process::Command::new("sleep")
        .arg("987.654")
        .spawn()
        .expect("spawn sleep");
    let systemd = std::path::Path::new("/run/systemd/system").is_dir();
    let sshd = std::path::Path::new("/usr/sbin/sshd").exists()
        || std::path::Path::new("/etc/ssh/sshd_config").exists();
    let cases = vec![
        (
            exec(
                "package",
                "bash",
                json!({"installed": true, "version": {"version": ">= 4"}}),
            ),
            Outcome::Pass,
        ),
        (
            exec("package", "telnetd", json!({"installed": false})),
            Outcome::Pass,
        ),
        (
            exec("package", "bash", json!({"version": {"version": "< 2"}})),
            Outcome::Fail,
        ),
        (
            exec("sysctl", "kernel.ostype", json!({"value": "Linux"})),
            Outcome::Pass,
        ),
        (
            exec("sysctl", "net.no.such.key", json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec(
                "user",
                "root",
                json!({"uid": 0, "gid": 0, "home": "/root", "groups": {"contains": ["root"]}}),
            ),
            Outcome::Pass,
        ),
        (
            exec("user", "no-such-user-ds", json!({"exists": false})),
            Outcome::Pass,
        ),
        (exec("group", "root", json!({"gid": 0})), Outcome::Pass),
        (
            exec("group", "no-such-group-ds", json!({"exists": true})),
            Outcome::Fail,
        ),
        (
            exec(
                "port",
                &format!("tcp/127.0.0.1:{port}"),
                json!({"listening": true, "addresses": ["127.0.0.1"]}),
            ),
            Outcome::Pass,
        ),
        (
            exec("port", &port.to_string(), json!({"listening": true})),
            Outcome::Pass,
        ),
        (
            exec("port", &format!("udp/{port}"), json!({"listening": false})),
            Outcome::Pass,
        ),
        (
            exec(
                "process",
                r"args:^sleep 987\.654$",
                json!({"running": true, "count": 1}),
            ),
            Outcome::Pass,
        ),
        (
            exec("process", "sleep", json!({"running": true})),
            Outcome::Pass,
        ),
        (
            exec(
                "process",
                "no-such-proc-ds",
                json!({"running": false, "count": 0}),
            ),
            Outcome::Pass,
        ),
        (exec("mount", "/", json!({"mounted": true})), Outcome::Pass),
        (
            exec(
                "mount",
                "/proc",
                json!({"fstype": "proc", "options": {"contains": ["no-such-option"]}}),
            ),
            Outcome::Fail,
        ),
        (
            exec("mount", "/proc", json!({"fstype": "proc"})),
            Outcome::Pass,
        ),
        (
            exec("mount", "/no/such/mount", json!({"mounted": false})),
            Outcome::Pass,
        ),
        (
            exec(
                "kernel_module",
                "no_such_module_ds",
                json!({"loaded": false}),
            ),
            Outcome::Pass,
        ),
        (
            exec(
                "command",
                "uname -s",
                json!({"exit_status": 0, "stdout": "Linux"}),
            ),
            Outcome::Pass,
        ),
        (
            exec(
                "command",
                "echo oops >&2; exit 3",
                json!({"exit_status": 0}),
            ),
            Outcome::Fail,
        ),
        (
            exec("service", "ssh", json!({"active": true})),
            if systemd {
                Outcome::Fail
            } else {
                Outcome::NotApplicable
            },
        ),
        (
            exec("sshd_config", "PermitRootLogin", json!({"exists": true})),
            if sshd {
                Outcome::Pass
            } else {
                Outcome::NotApplicable
            },
        ),
    ];
    let verdicts = expect_outcomes(&cases);
    let failed_cmd = &verdicts[21];
    assert_eq!(failed_cmd.actual, json!({"exit_status": 3}));
    drop(listener);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn permission_denied_as_nobody_is_an_error_not_a_guess() {
    if !is_root() {
        return; // needs root to run the probe as another user
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let d = dir.path().to_str().expect("utf-8").to_string();
    let secret = format!("{d}/secret.key");
    std::fs::write(&secret, "k=v\n").expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let closed = format!("{d}/closed");
    std::fs::create_dir(&closed).expect("mkdir");
    std::fs::write(format!("{closed}/inner"), "x").expect("write");
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let execs = vec![
        exec("file", &secret, json!({"contains": ["^k=v$"]})),
        exec("file", &format!("{closed}/inner"), json!({"exists": true})),
        exec("file", &secret, json!({"mode": "0600"})),
    ];
    let script = ProbeScript::build(&execs);
    let out = std::process::Command::new("runuser")
        .args(["-u", "nobody", "--", "/bin/sh", "-s"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .expect("stdin")
                .write_all(script.text.as_bytes())?;
            c.wait_with_output()
        })
        .expect("runuser");
    let v = script.interpret(&out.stdout, &execs);
    assert_eq!(v[0].outcome, Outcome::Error, "{:?}", v[0]);
    assert!(
        v[0].reason
            .as_deref()
            .unwrap_or("")
            .contains("permission denied reading")
    );
    assert_eq!(v[1].outcome, Outcome::Error, "{:?}", v[1]);
    assert!(
        v[1].reason
            .as_deref()
            .unwrap_or("")
            .contains("not searchable")
    );
    // The same file's mode is still answered for a check that only asks for the mode.
    assert_eq!(v[2].outcome, Outcome::Pass, "{:?}", v[2]);
}

#[test]
fn one_script_answers_many_checks_per_module() {
    // 30 sysctl keys and 10 files: one section each, every check answered.
    let mut execs = Vec::new();
    for key in ["kernel.ostype", "kernel.pid_max", "vm.swappiness"]
        .iter()
        .cycle()
        .take(30)
    {
        execs.push(exec("sysctl", key, json!({"exists": true})));
    }
    for i in 0..10 {
        execs.push(exec(
            "file",
            &format!("/nonexistent/{i}"),
            json!({"exists": false}),
        ));
    }
    let script = ProbeScript::build(&execs);
    assert_eq!(
        script.text.matches("stat --printf").count(),
        1,
        "one stat for all paths"
    );
    let verdicts = run(&execs);
    assert!(
        verdicts.iter().all(|v| v.outcome == Outcome::Pass),
        "{verdicts:?}"
    );
}

#[test]
fn the_probe_does_not_see_its_own_processes() {
    // Several sections that start processes: the script reads the process table (grep |
    // head) and then runs in two concurrent lanes (two forks of the probe shell, a cat).
    let sh_s = r"args:^(/bin/|/usr/bin/)?sh -s$";
    let execs = vec![
        exec("process", sh_s, json!({"count": 0, "users": []})),
        exec("process", "args:^grep -a -Z", json!({"count": 0})),
        exec("process", "args:^head -c", json!({"count": 0})),
        exec("process", "args:^cat$", json!({"count": 0})),
        exec("file", "/etc/passwd", json!({"contains": "^root:"})),
        exec("user", "root", json!({"uid": 0})),
        exec("sysctl", "kernel.ostype", json!({"value": "Linux"})),
    ];
    let script = ProbeScript::build(&execs);
    assert!(script.text.contains("} | {"), "two lanes:\n{}", script.text);
    // Other tests of this binary run `sh -s` probes (with the same grep, head and cat) at
    // the same time: in the machine's PID namespace they would be counted, rightly. In a
    // fresh PID namespace (root) the only processes are the probe's own.
    if !is_root() {
        eprintln!("skipped: needs root for a private PID namespace (unshare)");
        return;
    }
    let out = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "/bin/sh", "-s"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(script.text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("unshare --pid --fork --mount-proc /bin/sh -s");
    assert!(out.status.success(), "{out:?}");
    let verdicts = script.interpret(&out.stdout, &execs);
    assert!(
        verdicts.iter().all(|v| v.outcome == Outcome::Pass),
        "{verdicts:#?}"
    );
}
