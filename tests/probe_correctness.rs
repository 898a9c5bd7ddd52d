//! Wrong answers found by comparing driftscope with pytest-testinfra on the same host and by
//! porting Goss's own test files (issue 16), each pinned on this machine: every test here
//! failed before its fix.

#[path = "support/local_probe.rs"]
mod local_probe;

use driftscope::model::Outcome;
use local_probe::{exec, expect_outcomes, is_root};
use serde_json::json;

#[test]
fn directory_exists_false_matches_a_path_that_is_not_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spaced = dir.path().join("a file with spaces");
    std::fs::write(&spaced, "x").expect("write");
    let spaced = spaced.to_str().expect("utf-8").to_string();
    let missing = format!("{}/missing", dir.path().display());
    let verdicts = expect_outcomes(&[
        (
            exec("directory", "/etc/passwd", json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec("directory", "/dev/null", json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec("directory", &spaced, json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec("directory", &missing, json!({"exists": false})),
            Outcome::Pass,
        ),
        (
            exec("directory", "/etc/passwd", json!({"exists": true})),
            Outcome::Fail,
        ),
        (
            exec("directory", "/dev/null", json!({"type": "char_device"})),
            Outcome::Pass,
        ),
        (
            exec(
                "directory",
                "/etc",
                json!({"exists": true, "type": "directory"}),
            ),
            Outcome::Pass,
        ),
        (
            exec("directory", &missing, json!({"type": null})),
            Outcome::Pass,
        ),
    ]);
    assert_eq!(verdicts[4].actual["exists"], json!(false));
}

#[test]
fn a_multi_line_sysctl_value_is_read_whole() {
    let path = "/proc/sys/kernel/core_modes";
    let Ok(raw) = std::fs::read_to_string(path) else {
        eprintln!("skipped: this kernel has no {path}");
        return;
    };
    let want = raw.trim_end_matches('\n');
    assert!(want.contains('\n'), "{path} is one line here: {want:?}");
    expect_outcomes(&[
        (
            exec("sysctl", "kernel.core_modes", json!({"value": want})),
            Outcome::Pass,
        ),
        (
            exec(
                "sysctl",
                "kernel.core_modes",
                json!({"value": {"matches": "(?m)^socket$"}}),
            ),
            Outcome::Pass,
        ),
    ]);
}

#[test]
fn sysctl_exists_is_answered_when_the_value_cannot_be_read() {
    let mut cases = Vec::new();
    for key in [
        "vm.compact_memory",
        "vm.drop_caches",
        "net.ipv4.route.flush",
        "vm.stat_refresh",
        "net.ipv6.conf.all.stable_secret",
    ] {
        if std::path::Path::new(&format!("/proc/sys/{}", key.replace('.', "/"))).exists() {
            cases.push((exec("sysctl", key, json!({"exists": true})), Outcome::Pass));
            cases.push((exec("sysctl", key, json!({"exists": false})), Outcome::Fail));
        }
    }
    // Only a check that names the value gets `error` for an unreadable one.
    cases.push((
        exec("sysctl", "vm.compact_memory", json!({"value": "0"})),
        Outcome::Error,
    ));
    if is_root() {
        // Readable and empty: the value is "", not an error.
        cases.push((
            exec("sysctl", "vm.stat_refresh", json!({"value": ""})),
            Outcome::Pass,
        ));
        if std::fs::read("/proc/sys/net/ipv6/conf/all/stable_secret").is_err() {
            cases.push((
                exec(
                    "sysctl",
                    "net.ipv6.conf.all.stable_secret",
                    json!({"value": ""}),
                ),
                Outcome::Error,
            ));
        }
    }
    let verdicts = expect_outcomes(&cases);
    let unreadable = verdicts
        .iter()
        .find(|v| v.outcome == Outcome::Error)
        .and_then(|v| v.reason.clone())
        .unwrap_or_default();
    assert!(
        unreadable.contains("/proc/sys/vm/compact_memory"),
        "{unreadable}"
    );
}

#[test]
fn slash_form_sysctl_keys_read_the_path_as_written() {
    let ostype = std::fs::read_to_string("/proc/sys/kernel/ostype").expect("ostype");
    expect_outcomes(&[
        (
            exec("sysctl", "kernel/ostype", json!({"value": ostype.trim()})),
            Outcome::Pass,
        ),
        (
            exec("sysctl", "vm/swappiness", json!({"exists": true})),
            Outcome::Pass,
        ),
        (
            exec(
                "sysctl",
                "net/ipv4/conf/lo/forwarding",
                json!({"exists": true}),
            ),
            Outcome::Pass,
        ),
        (
            exec(
                "sysctl",
                "net.ipv4.conf.lo.forwarding",
                json!({"exists": true}),
            ),
            Outcome::Pass,
        ),
        (
            exec("sysctl", "kernel/no_such_key", json!({"exists": false})),
            Outcome::Pass,
        ),
    ]);
}

#[test]
fn a_command_expected_to_exit_127_is_answered_and_its_stderr_does_not_depend_on_other_checks() {
    let absent = "ds-no-such-program-16";
    let verdicts = expect_outcomes(&[
        // How Goss files (and `goss add`) assert that a program is absent.
        (
            exec("command", absent, json!({"exit_status": 127})),
            Outcome::Pass,
        ),
        (
            exec("command", absent, json!({"exit_status": 0})),
            Outcome::Fail,
        ),
        // A check that does not name exit_status cannot be answered: error, as before.
        (
            exec("command", absent, json!({"stdout": ""})),
            Outcome::Error,
        ),
    ]);
    assert!(
        verdicts[2]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("command not found")),
        "{:?}",
        verdicts[2].reason
    );
    // stderr is the same whatever else the script probes (it used to carry the script's
    // line number: `/bin/sh: 106: foobar: not found`).
    let with_stderr = exec(
        "command",
        absent,
        json!({"stderr": {"matches": "not found"}, "exit_status": 127}),
    );
    let alone = expect_outcomes(&[(with_stderr.clone(), Outcome::Pass)]);
    let mut crowd: Vec<(driftscope::model::Execution, Outcome)> = (0..12)
        .map(|i| {
            (
                exec(
                    "command",
                    &format!("echo {i}"),
                    json!({"stdout": i.to_string()}),
                ),
                Outcome::Pass,
            )
        })
        .collect();
    crowd.push((
        exec("file", "/etc/passwd", json!({"exists": true})),
        Outcome::Pass,
    ));
    crowd.push((with_stderr, Outcome::Pass));
    let crowded = expect_outcomes(&crowd);
    let stderr = |v: &driftscope::probe::batch::Verdict| v.actual["stderr"].clone();
    assert_eq!(
        stderr(&alone[0]),
        json!(format!("sh: 1: {absent}: not found"))
    );
    assert_eq!(stderr(&alone[0]), stderr(crowded.last().expect("verdict")));
}

#[test]
fn an_ipv4_wildcard_listener_does_not_serve_ipv6_addresses() {
    use socket2::{Domain, Socket, Type};
    use std::net::SocketAddr;
    let v4 = std::net::TcpListener::bind("0.0.0.0:0").expect("bind 0.0.0.0");
    let p4 = v4.local_addr().expect("addr").port();
    let listen = |v6only: bool| {
        let s = Socket::new(Domain::IPV6, Type::STREAM, None).expect("socket");
        s.set_only_v6(v6only).expect("v6only");
        s.bind(&"[::]:0".parse::<SocketAddr>().expect("addr").into())
            .expect("bind ::");
        s.listen(8).expect("listen");
        let port = s
            .local_addr()
            .expect("addr")
            .as_socket()
            .expect("inet")
            .port();
        (s, port)
    };
    let (_dual, pd) = listen(false);
    let (_only6, p6) = listen(true);
    // What connecting says, for the record: the verdicts below must agree with it.
    let connects = |addr: &str| std::net::TcpStream::connect(addr).is_ok();
    assert!(!connects(&format!("[::1]:{p4}")) && connects(&format!("127.0.0.1:{p4}")));
    assert!(connects(&format!("127.0.0.1:{pd}")) && connects(&format!("[::1]:{pd}")));
    assert!(!connects(&format!("127.0.0.1:{p6}")) && connects(&format!("[::1]:{p6}")));
    let port = |subject: String, listening: bool| {
        (
            exec("port", &subject, json!({"listening": listening})),
            Outcome::Pass,
        )
    };
    expect_outcomes(&[
        port(format!("tcp/[::1]:{p4}"), false),
        port(format!("tcp/127.0.0.1:{p4}"), true),
        port(format!("tcp/{p4}"), true),
        port(format!("tcp/127.0.0.1:{pd}"), true),
        port(format!("tcp/[::1]:{pd}"), true),
        port(format!("tcp/127.0.0.1:{p6}"), false),
        port(format!("tcp/[::1]:{p6}"), true),
    ]);
}

#[test]
fn file_uid_and_gid_are_numbers_and_an_owner_without_a_name_is_its_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("owned");
    std::fs::write(&f, "x").expect("write");
    let f = f.to_str().expect("utf-8").to_string();
    let d = dir.path().to_str().expect("utf-8").to_string();
    let mut cases = vec![
        (
            exec(
                "file",
                "/etc/passwd",
                json!({"uid": 0, "gid": 0, "owner": "root"}),
            ),
            Outcome::Pass,
        ),
        (
            exec("directory", "/etc", json!({"uid": 0, "gid": {"lt": 1}})),
            Outcome::Pass,
        ),
        (
            exec("file", "/etc/passwd", json!({"uid": 1})),
            Outcome::Fail,
        ),
        (
            exec("file", &format!("{d}/missing"), json!({"uid": null})),
            Outcome::Pass,
        ),
    ];
    if is_root() {
        // 4242/4243: no name in /etc/passwd or /etc/group on a build machine.
        let ok = std::process::Command::new("chown")
            .args(["4242:4243", &f])
            .status()
            .expect("chown")
            .success();
        assert!(ok);
        cases.push((
            exec(
                "file",
                &f,
                json!({"uid": 4242, "gid": 4243, "owner": "4242", "group": "4243"}),
            ),
            Outcome::Pass,
        ));
    }
    expect_outcomes(&cases);
}

#[test]
fn a_command_timeout_is_that_checks_error_only() {
    let timed = |cmd: &str, secs: f64, expect: serde_json::Value| {
        let mut e = exec("command", cmd, expect);
        e.timeout = Some(std::time::Duration::from_secs_f64(secs));
        e
    };
    let verdicts = expect_outcomes(&[
        // A pipeline: its processes are killed with it (the probe does not wait 30 s).
        (
            timed("sleep 30 | cat", 1.0, json!({"exit_status": 0})),
            Outcome::Error,
        ),
        (
            timed("sleep 30", 0.5, json!({"stdout": ""})),
            Outcome::Error,
        ),
        // Exiting 124 by itself within the limit is an answer, not a timeout.
        (
            timed("exit 124", 10.0, json!({"exit_status": 124})),
            Outcome::Pass,
        ),
        (
            timed("echo fast", 10.0, json!({"stdout": "fast"})),
            Outcome::Pass,
        ),
        // The same command without a timeout is a probe of its own.
        (
            exec("command", "echo fast", json!({"stdout": "fast"})),
            Outcome::Pass,
        ),
        (
            exec("file", "/etc/passwd", json!({"exists": true})),
            Outcome::Pass,
        ),
    ]);
    assert_eq!(verdicts[0].reason.as_deref(), Some("timed out after 1 s"));
    assert_eq!(verdicts[1].reason.as_deref(), Some("timed out after 0.5 s"));
}
