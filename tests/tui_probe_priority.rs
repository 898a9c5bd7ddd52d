//! End to end: the real `driftscope` TUI in tmux runs its local probes at nice 10 (a lower
//! CPU priority than its own screen), and a probe says so; `driftscope run` leaves the
//! priority as it found it.

mod tui_support;

use std::process::Command;
use std::time::Duration;
use tui_support::{Tmux, sh_quote};

/// This test's own nice value (a CI runner may already run it niced; a child can only go
/// lower in priority from there).
fn own_nice() -> i32 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
    after_comm
        .split(' ')
        .nth(16)
        .expect("field 19")
        .parse()
        .expect("nice")
}

/// One check: the probe shell's nice value is `nice`.
fn write_check(dir: &std::path::Path, nice: i32) {
    std::fs::write(
        dir.join("prio.toml"),
        format!(
            r#"category = "prio"
description = "probe priority"

[[check]]
id = "prio.probe-nice"
title = "the probe runs at nice {nice}"
severity = "info"
probe = {{ command = "cut -d' ' -f19 /proc/$$/stat" }}
expect = {{ stdout = "{nice}" }}
"#
        ),
    )
    .expect("write check");
}

#[test]
fn the_tuis_local_probes_run_niced_and_headless_ones_do_not() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let own = own_nice();
    let niced = own.max(10);
    let dir = tempfile::tempdir().expect("tempdir");
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).expect("mkdir");
    write_check(&checks, niced);
    let cmd = format!(
        "DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} -c {checks} --no-store; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 40);
    let screen = tmux.wait_for(&["✓ finished", "1 pass"], Duration::from_secs(20));
    assert!(!screen.contains("1 fail"), "{screen}");
    tmux.keys(&["q"]);

    // The same check headless: the probe ran at this test's own priority, so it fails
    // (unless this test itself already runs at nice 10 or more).
    let out = Command::new(bin)
        .args(["run", "-c"])
        .arg(&checks)
        .args(["--no-store", "--format", "json"])
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("driftscope run");
    let json = String::from_utf8_lossy(&out.stdout);
    let expected_outcome = if own == niced { "pass" } else { "fail" };
    assert!(
        json.contains(&format!("\"outcome\":\"{expected_outcome}\""))
            || json.contains(&format!("\"outcome\": \"{expected_outcome}\"")),
        "{json}"
    );
    assert!(
        json.contains(&format!("\"stdout\":\"{own}\""))
            || json.contains(&format!("\"stdout\": \"{own}\"")),
        "{json}"
    );
}
