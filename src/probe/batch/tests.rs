//! Building probe scripts and reading their output back: framing, lanes, os_family.

use super::*;
use crate::model::{CheckKind, ExecKey, Matcher, Outcome, ProbeTarget, Severity, Value};

fn sysctl_exec(key: &str, want: &str) -> Execution {
    Execution {
        key: ExecKey(format!("sysctl[{key}]")),
        check_id: "sysctl".into(),
        title: key.into(),
        category: "kernel".into(),
        kind: CheckKind::Runtime,
        severity: Severity::Medium,
        target: ProbeTarget {
            module: ModuleKind::Sysctl,
            subject: key.into(),
        },
        expect: vec![("value".into(), Matcher::Equals(Value::String(want.into())))],
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

#[test]
fn a_check_for_another_os_family_is_not_applicable_decided_on_the_host() {
    let only = |key: &str, families: &[&str]| {
        let mut e = sysctl_exec(key, "1");
        e.os_family = families.iter().map(|f| f.to_string()).collect();
        e
    };
    let execs = vec![
        only("a.b", &["rhel", "fedora"]),
        only("c.d", &["debian"]),
        sysctl_exec("e.f", "1"),
    ];
    let script = ProbeScript::build_with_nonce(&execs, "N".into());
    assert!(script.text.contains("'/etc/os-release'"), "{}", script.text);
    let frames = |os_release: &str| {
        format!(
            "\n@@DS:N:B:0\n@@END\n\n@@DS:N:E:0:0\n\n@@DS:N:B:1\n@@END\n\n@@DS:N:E:1:0\n\
             \n@@DS:N:B:R\n/proc/sys/a/b\x001:1\n/proc/sys/c/d\x001:1\n/proc/sys/e/f\x001:1\n\
             {os_release}/proc/sys/kernel/osrelease\x001:6.1.0\n\n@@READEND\n\n@@DS:N:E:R:0\n"
        )
    };
    // Ubuntu: ID=ubuntu, ID_LIKE=debian.
    let ubuntu = frames("/etc/os-release\x001:ID=ubuntu\n/etc/os-release\x002:ID_LIKE=debian\n");
    let v = script.interpret(ubuntu.as_bytes(), &execs);
    assert_eq!(v[0].outcome, Outcome::NotApplicable, "{v:?}");
    assert_eq!(
        v[0].reason.as_deref(),
        Some("only for os_family rhel, fedora: this host is ubuntu (like debian)")
    );
    assert_eq!(v[1].outcome, Outcome::Pass, "ID_LIKE matches: {v:?}");
    assert_eq!(v[2].outcome, Outcome::Pass, "{v:?}");
    // Rocky: ID=rocky, ID_LIKE="rhel centos fedora".
    let rocky = frames(
        "/etc/os-release\x001:ID=\"rocky\"\n/etc/os-release\x002:ID_LIKE=\"rhel centos fedora\"\n",
    );
    let v = script.interpret(rocky.as_bytes(), &execs);
    assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
    assert_eq!(v[1].outcome, Outcome::NotApplicable, "{v:?}");
    // No os-release at all: the OS is unknown, every check runs.
    let v = script.interpret(frames("").as_bytes(), &execs);
    assert!(v.iter().all(|v| v.outcome == Outcome::Pass), "{v:?}");
    // Without an os_family anywhere, no os probe is added.
    let plain = ProbeScript::build_with_nonce(&execs[2..], "N".into());
    assert!(!plain.text.contains("os-release"), "{}", plain.text);
}

#[test]
fn a_section_cut_short_is_error_for_its_checks_only() {
    let execs = vec![
        sysctl_exec("a.b", "1"),
        exec_on(ModuleKind::User, "root", "exists", Value::Bool(true)),
    ];
    let script = ProbeScript::build_with_nonce(&execs, "N".into());
    assert!(script.text.contains("@@DS:N:B:R"), "{}", script.text);
    let user = "\n@@DS:N:B:1\nroot:x:0:0:root:/root:/bin/sh\n@@RC 0\n\n@@DS:N:E:1:0\n";
    let sysctl = "\n@@DS:N:B:0\n@@END\n\n@@DS:N:E:0:0\n";
    let read = "\n@@DS:N:B:R\n/proc/sys/a/b\x001:1\n\n@@READEND\n\n@@DS:N:E:R:0\n";
    let ok = format!("{sysctl}{user}{read}");
    let v = script.interpret(ok.as_bytes(), &execs);
    assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
    assert_eq!(v[1].outcome, Outcome::Pass, "{v:?}");
    // The sysctl section itself cut short.
    let cut = format!("{user}\n@@DS:N:B:0\n");
    let v = &script.interpret(cut.as_bytes(), &execs);
    assert_eq!(v[0].outcome, Outcome::Error);
    assert!(v[0].reason.as_deref().unwrap_or("").contains("cut short"));
    assert_eq!(v[1].outcome, Outcome::Pass);
    // The shared read cut short: only what needed it is an error.
    let cut = format!("{sysctl}{user}\n@@DS:N:B:R\n/proc/sys/a/b");
    let v = &script.interpret(cut.as_bytes(), &execs);
    assert_eq!(v[0].outcome, Outcome::Error);
    assert!(
        v[0].reason.as_deref().unwrap_or("").contains("cut short"),
        "{v:?}"
    );
    assert_eq!(v[1].outcome, Outcome::Pass);
    // A forged marker with another nonce is content, not framing.
    let forged = format!(
        "{sysctl}{user}\n@@DS:N:B:R\n@@DS:X:E:R:0\n/proc/sys/a/b\x001:2\n@@READEND\n\n@@DS:N:E:R:0\n"
    );
    assert_eq!(
        script.interpret(forged.as_bytes(), &execs)[0].outcome,
        Outcome::Fail
    );
}

#[test]
fn sections_that_start_processes_run_in_two_lanes() {
    // Builtins only (sysctl) plus the shared read: one lane, no pipe.
    let one = ProbeScript::build(&[sysctl_exec("a.b", "1")]);
    assert!(!one.text.contains("} | {"), "{}", one.text);
    assert!(!one.text.contains("cat\n}"), "{}", one.text);
    // Sections that start processes: the read first and alone, then two lanes balanced
    // by cost, the forwarding cat at the end of the direct one.
    let execs = vec![
        sysctl_exec("a.b", "1"),
        exec_on(ModuleKind::User, "root", "exists", Value::Bool(true)),
        exec_on(ModuleKind::Group, "root", "exists", Value::Bool(true)),
        exec_on(ModuleKind::Package, "bash", "installed", Value::Bool(true)),
    ];
    let two = ProbeScript::build_with_nonce(&execs, "N".into());
    let (read, lanes) = two.text.split_once(":E:R:%s").expect("a shared read");
    assert!(
        read.contains("@@DS:N:B:R"),
        "the read first, alone:\n{}",
        two.text
    );
    assert_eq!(read.matches(":B:").count(), 1, "{read}");
    let (piped, direct) = lanes.split_once("} | {").expect("two lanes");
    assert!(direct.ends_with("cat\n}\n"), "{direct}");
    let count = |lane: &str| lane.matches(":B:").count();
    // user, group, package: 1 each; sysctl: 0 — two and two.
    assert_eq!((count(piped), count(direct)), (2, 2), "{lanes}");
    // The benchmark's sequential layout: the same sections, no pipe.
    let seq = ProbeScript::build_with_layout(&execs, Layout::Sequential);
    assert!(!seq.text.contains("} | {"), "{}", seq.text);
    assert_eq!(seq.text.matches(":B:").count(), 5);
}

#[test]
fn same_subject_is_probed_once() {
    let execs = vec![sysctl_exec("a.b", "1"), sysctl_exec("a.b", "2")];
    let script = ProbeScript::build(&execs);
    assert_eq!(
        script.text.matches("/proc/sys/a/b").count(),
        2,
        "{}",
        script.text
    );
}

fn exec_on(module: ModuleKind, subject: &str, attr: &str, want: Value) -> Execution {
    let mut e = sysctl_exec("x", "1");
    e.target = ProbeTarget {
        module,
        subject: subject.into(),
    };
    e.expect = vec![(attr.into(), Matcher::Equals(want))];
    e
}

#[test]
fn file_and_directory_share_one_stat_and_wants_are_merged() {
    let execs = vec![
        exec_on(ModuleKind::File, "/etc/app.conf", "mode", "0644".into()),
        exec_on(ModuleKind::Directory, "/var/lib/app", "mode", "0750".into()),
        exec_on(
            ModuleKind::File,
            "/etc/app.conf",
            "contains",
            "^a=1$".into(),
        ),
    ];
    let script = ProbeScript::build(&execs);
    assert_eq!(
        script.text.matches("stat --printf").count(),
        1,
        "{}",
        script.text
    );
    // contains is wanted for app.conf only: content is read for it alone.
    assert!(
        script
            .text
            .contains("grep -a -Z -H -n -m 20000 '' -- '/etc/app.conf' 2>/dev/null")
    );
    assert!(!script.text.contains("sha256sum"));
}

#[test]
fn an_attribute_the_probe_could_not_read_is_error_for_that_check_only() {
    let mode = exec_on(ModuleKind::File, "/s", "mode", "0600".into());
    let content = exec_on(ModuleKind::File, "/s", "contains", "x".into());
    let mut attrs = super::super::Attributes::new();
    attrs.insert("exists".into(), Value::Bool(true));
    attrs.insert("mode".into(), "0600".into());
    attrs.insert(
        super::super::attr_error_key("contains"),
        "permission denied reading \"/s\"".into(),
    );
    let obs = Observation::Observed(attrs);
    assert_eq!(evaluate(&mode, &obs).outcome, Outcome::Pass);
    let v = evaluate(&content, &obs);
    assert_eq!(v.outcome, Outcome::Error);
    assert_eq!(
        v.reason.as_deref(),
        Some("permission denied reading \"/s\"")
    );
}
