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
