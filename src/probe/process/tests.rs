//! Unit tests of the process module: parser, evaluator, contract and the real probe.

use super::*;
use serde_json::json;

#[test]
fn real_ps_output_with_odd_names() {
    // Captured by scripts/capture-process-fixtures.sh in a fresh PID namespace.
    let out = include_bytes!("../testdata/process/ps.out");
    let p: Vec<Probe> = [
        "we ird",
        "sleep",
        "args:^sleep 30[01]$",
        "ds-zombie",
        "nosuchproc",
        "args:we ird",
    ]
    .iter()
    .map(|s| Probe::new(s, &["running"]))
    .collect();
    let obs = Process.parse(out, &p);
    let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
    assert_eq!(get(0, "running"), json!(true), "comm with a space");
    assert_eq!(get(0, "users"), json!(["nobody"]));
    assert_eq!(get(1, "count"), json!(2));
    assert_eq!(get(2, "count"), json!(2));
    assert_eq!(get(3, "running"), json!(true), "a zombie is listed");
    assert_eq!(get(4, "running"), json!(false));
    assert_eq!(get(4, "count"), json!(0));
    assert_eq!(get(5, "running"), json!(true));
}

#[test]
fn real_proc_listing_without_ps() {
    // Captured (scripts/capture-process-fixtures.sh) while, as nobody, `sh -c 'printf
    // "we ird" > /proc/$$/comm; sleep 300'` and `sh -c 'sleep 301; :' "line\nbreak"` ran,
    // and a root zombie `ds-zombie`; no check wanted `users`.
    let out = include_bytes!("../testdata/process/proc.out");
    let p: Vec<Probe> = [
        "we ird",
        "sleep",
        "args:^sleep 300$",
        "ds-zombie",
        "args:^\\[ds-zombie\\]$",
        "args:line\nbreak",
        "grep",
        "nosuchproc",
    ]
    .iter()
    .map(|s| Probe::new(s, &["running"]))
    .collect();
    let obs = Process.parse(out, &p);
    let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
    assert_eq!(get(0, "running"), json!(true), "comm with a space");
    assert_eq!(get(0, "users"), Value::Null);
    assert!(get(1, "count").as_u64().unwrap() >= 2);
    assert_eq!(get(2, "count"), json!(1));
    assert_eq!(get(3, "running"), json!(true));
    assert_eq!(
        get(4, "running"),
        json!(true),
        "an empty cmdline (kernel threads, zombies) looks like ps shows it"
    );
    // runuser and the sh it started both carry the argument.
    assert_eq!(get(5, "count"), json!(2), "newline inside an argument");
    assert_eq!(
        get(6, "running"),
        json!(false),
        "the probe's own grep is not counted"
    );
    assert_eq!(get(7, "running"), json!(false));
    // Nobody wants `users`: neither the status lines nor /etc/passwd are read.
    assert!(!Process.fragment(&p).contains("status"));
    assert!(!Process.reads(&p).contains(&Read::System(PASSWD.into())));
}

#[test]
fn real_proc_listing_with_users() {
    // Captured as nobody while, besides the processes above, `setpriv --reuid=4242 sleep
    // 302` ran (uid 4242 is not in the capture's /etc/passwd); checks wanted `users`.
    let out = include_bytes!("../testdata/process/proc-users.out");
    let p: Vec<Probe> = [
        "we ird",
        "sleep",
        "args:^sleep 302$",
        "ds-zombie",
        "grep",
        "head",
    ]
    .iter()
    .map(|s| Probe::new(s, &["users"]))
    .collect();
    let obs = Process.parse(out, &p);
    let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
    assert_eq!(get(0, "users"), json!(["nobody"]));
    assert_eq!(get(1, "count"), json!(3));
    assert_eq!(
        get(1, "users"),
        json!(["4242", "nobody"]),
        "a uid /etc/passwd does not list shows as the number"
    );
    assert_eq!(get(2, "users"), json!(["4242"]));
    assert_eq!(
        get(3, "users"),
        json!(["root"]),
        "the zombie keeps its owner"
    );
    assert_eq!(get(4, "running"), json!(false), "the shared read's grep");
    assert_eq!(get(5, "running"), json!(false), "the shared read's head");
    // Without the shared read, or with it cut short, nothing is guessed.
    let (own, _) = super::super::reads::split_capture(out);
    let obs = Process.parse(own, &p);
    assert!(
        matches!(&obs[0], Observation::Error(e) if e.contains("not read")),
        "{:?}",
        obs[0]
    );
}

#[test]
fn the_probe_itself_is_not_counted() {
    // 44 is a lane of the probe (a fork of its shell): ps runs inside one.
    let out = b"@@SELF 41\n@@PS\n   41 root                             sh               sh -s\n   42 root                             ps               ps -e -ww -o pid= -o user:32= -o comm:16= -o args=\n   43 root                             sh               /bin/sh /usr/bin/x\n   44 root                             sh               sh -s\n@@RC 0\n";
    let p = vec![Probe::new("sh", &["count"]), Probe::new("ps", &["count"])];
    let obs = Process.parse(out, &p);
    assert_eq!(
        obs[0],
        observed([
            ("running", json!(true)),
            ("count", json!(1)),
            ("users", json!(["root"]))
        ])
    );
    assert!(matches!(&obs[1], Observation::Observed(a) if a["count"] == json!(0)));
}

#[test]
fn ps_failures_and_bad_subjects() {
    let p = vec![Probe::new("sshd", &[])];
    let obs = Process.parse(b"@@PS\nsh: 1: ps: not found\n@@RC 127\n", &p);
    assert!(matches!(&obs[0], Observation::Error(e) if e.contains("not installed")));
    // Markers out of order (garbled output) are an answer, never a panic.
    for garbled in [
        &b"@@RC 0\n@@PS\n"[..],
        b"@@RC 1\n@@PROC\n@@UID\n",
        b"@@PROC\n@@RC 0\n@@UID\n",
    ] {
        assert_eq!(Process.parse(garbled, &p).len(), 1);
    }
    let obs = Process.parse(b"@@PS\n    1 root", &p);
    assert!(matches!(&obs[0], Observation::Error(_)));
    let e = Process.validate_subject("args:(").unwrap_err();
    assert!(e.contains("invalid regex"), "{e}");
    assert!(
        Process
            .validate_subject("/usr/sbin/sshd")
            .unwrap_err()
            .contains("args:")
    );
}

#[test]
fn the_transports_remote_timeout_is_not_a_host_process() {
    assert!(is_remote_timeout("timeout -s KILL 9 sh -s"));
    assert!(is_remote_timeout("timeout -s KILL 3600 sh -s"));
    for other in [
        "timeout -s KILL 9 sh -s -x",
        "timeout -s KILL sh -s",
        "timeout -s KILL 9x sh -s",
        "timeout 9 sh -s",
        "timeout -s KILL9 sh -s",
        "sh -s",
    ] {
        assert!(!is_remote_timeout(other), "{other}");
    }
}

#[test]
fn the_ssh_transports_waiting_reader_is_not_a_host_process() {
    let reader = format!("sh -c {REMOTE_READER}");
    assert!(is_remote_reader(&reader));
    assert!(is_remote_reader(&format!("sudo -n {reader}")));
    assert!(REMOTE_READER.contains(REMOTE_TIMEOUT));
    for other in [
        "sh -c read -r x",
        "bash -c read -r ds_secs",
        "sh -s",
        &format!("{reader} extra"),
        &format!("sudo {reader}"),
    ] {
        assert!(!is_remote_reader(other), "{other}");
    }
}

#[test]
fn contract_and_cost() {
    crate::probe::test_support::assert_contract(
        ModuleKind::Process,
        Programs::Only(&["grep", "ps"]),
        &["running", "count", "users"],
        ("running", Value::Bool(true)),
    );
    let plain = [Probe::new("sshd", &["running"])];
    let users = [
        Probe::new("sshd", &["running"]),
        Probe::new("cron", &["users"]),
    ];
    assert_eq!(Process.cost(&plain), 0, "the shared read only");
    assert_eq!(Process.cost(&users), 1, "one grep of the Uid: lines");
    assert!(Process.reads(&users).contains(&Read::System(PASSWD.into())));
    assert!(Process.validate_subject("").is_err());
    assert!(Process.validate_subject("sshd").is_ok());
}

fn ps_line(pid: u32, user: &str, comm: &str, args: &str) -> String {
    format!("{pid:>5} {user:<32} {comm:<16} {args}\n")
}

/// Like `pgrep -x`: a name longer than the kernel's 15-byte comm matches by the basename
/// of argv[0]; a name that only shares the first 15 bytes does not.
#[test]
fn long_names_match_by_argv0() {
    let out = format!(
        "@@SELF 1\n@@PS\n{}{}{}@@RC 0\n",
        ps_line(
            10,
            "root",
            "systemd-journal",
            "/lib/systemd/systemd-journald"
        ),
        ps_line(11, "app", "averyveryverylo", "averyveryverylongname --x"),
        ps_line(12, "web", "averyveryverylo", "/opt/averyveryverylongother"),
    );
    let p: Vec<Probe> = [
        "systemd-journald",
        "systemd-journal",
        "systemd-journalX",
        "averyveryverylongname",
        "averyveryverylo",
    ]
    .iter()
    .map(|s| Probe::new(s, &["count"]))
    .collect();
    let obs = Process.parse(out.as_bytes(), &p);
    let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
    assert_eq!(get(0, "count"), json!(1));
    assert_eq!(get(1, "count"), json!(1), "the comm itself");
    assert_eq!(get(2, "count"), json!(0));
    assert_eq!(get(3, "count"), json!(1));
    assert_eq!(get(3, "users"), json!(["app"]));
    assert_eq!(get(4, "count"), json!(2));
    assert_eq!(get(4, "users"), json!(["app", "web"]));
}

#[test]
fn a_failing_ps_says_why() {
    let p = vec![Probe::new("sshd", &[])];
    let obs = Process.parse(
        b"@@SELF 5\n@@PS\n ps: bad option \nusage: ps\nmore\n@@RC 1\n",
        &p,
    );
    assert_eq!(
        obs,
        vec![Observation::Error(
            "ps failed (exit 1): ps: bad option; usage: ps".into()
        )]
    );
    let obs = Process.parse(b"@@SELF 5\n@@PS\n@@RC x\n", &p);
    assert_eq!(
        obs,
        vec![Observation::Error("ps failed (exit -1): ".into())]
    );
}

/// The real fragment and shared read of this machine, on a process this test starts.
#[test]
fn a_process_this_test_started_is_seen_by_the_real_probe() {
    use crate::model::Outcome;
    use crate::probe::test_support::{exec, run_here};
    let mut child = std::process::Command::new("sleep")
        .arg("3141.5926")
        .spawn()
        .unwrap();
    let me = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let me = String::from_utf8_lossy(&me.stdout).trim().to_string();
    let proc = |subject: &str, attr: &str, want: Value| {
        exec(ModuleKind::Process, subject, &[(attr, want)])
    };
    let v = run_here(&[
        proc(r"args:^sleep 3141\.5926$", "count", json!(1)),
        proc(r"args:^sleep 3141\.5926$", "users", json!([me])),
        proc("sleep", "running", json!(true)),
        proc("ds-no-such-process-14", "running", json!(false)),
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    for verdict in &v {
        assert_eq!(verdict.outcome, Outcome::Pass, "{v:#?}");
    }
}
