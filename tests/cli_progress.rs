//! The progress line of a headless run, in a real terminal (tmux): hosts done/total,
//! checks/s, failures so far, elapsed and ETA while the run goes; gone when it ends, the
//! report intact; nothing with `--quiet` or when stderr is not a terminal.

mod tui_support;

use std::time::Duration;
use tui_support::{Tmux, sh_quote};

/// 6 local hosts, 2 at a time, each probe takes about a second: a run of ~3 s.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let mut inv = String::from(
        "[environment]\nname = \"slow\"\n[defaults]\ntransport = \"local\"\ntags = [\"linux\"]\n",
    );
    for i in 1..=6 {
        inv.push_str(&format!("[[host]]\nname = \"h{i}\"\n"));
    }
    std::fs::write(dir.path().join("inv.toml"), inv).expect("inv");
    std::fs::create_dir(dir.path().join("checks")).expect("dir");
    std::fs::write(
        dir.path().join("checks/slow.toml"),
        "category = \"slow\"\n[[check]]\nid = \"slow.sleep\"\ntitle = \"a slow probe\"\nprobe = { command = \"sleep 1\" }\nexpect = { exit_status = 0 }\n\n[[check]]\nid = \"slow.drift\"\ntitle = \"kernel is Plan9\"\nprobe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"Plan9\" }\n",
    )
    .expect("checks");
    dir
}

fn command(dir: &std::path::Path, extra: &str) -> String {
    format!(
        "DRIFTSCOPE_CONFIG=/dev/null {bin} run --no-store -j 2 -i {inv} -c {checks} {extra}; echo RUN-EXITED $?; sleep 600",
        bin = sh_quote(env!("CARGO_BIN_EXE_driftscope")),
        inv = sh_quote(&dir.join("inv.toml").display().to_string()),
        checks = sh_quote(&dir.join("checks").display().to_string()),
    )
}

#[test]
fn a_terminal_shows_progress_then_the_report() {
    let dir = fixture();
    let tmux = Tmux::start(
        &format!("sh -c {}", sh_quote(&command(dir.path(), ""))),
        140,
        50,
    );
    let screen = tmux.wait_for(
        &["/6 hosts", "checks/s", "failing", "ETA"],
        Duration::from_secs(20),
    );
    assert!(
        !screen.contains("RUN-EXITED"),
        "seen while running: {screen}"
    );
    let done = tmux.wait_for(&["RUN-EXITED 1"], Duration::from_secs(30));
    assert!(done.contains("DRIFT: 6 pass, 6 fail · 6 hosts"), "{done}");
    assert!(
        !done.contains("checks/s"),
        "the progress line is gone at the end: {done}"
    );
    // Every host's block is whole: its header line is not broken by the progress line.
    for i in 1..=6 {
        assert!(
            done.contains(&format!("h{i} (slow)  1 pass, 1 fail")),
            "h{i}: {done}"
        );
    }
}

#[test]
fn quiet_or_not_a_terminal_shows_none() {
    let dir = fixture();
    let tmux = Tmux::start(
        &format!("sh -c {}", sh_quote(&command(dir.path(), "--quiet"))),
        140,
        50,
    );
    let done = tmux.wait_until("the run to end", Duration::from_secs(30), |s| {
        assert!(!s.contains("checks/s"), "--quiet shows no progress: {s}");
        s.contains("RUN-EXITED")
    });
    assert!(done.contains("DRIFT: 6 pass, 6 fail"), "{done}");
    // stderr to a pipe: nothing but what errors would say.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .env("DRIFTSCOPE_CONFIG", "/dev/null")
        .args(["run", "--no-store", "-j", "6", "-i"])
        .arg(dir.path().join("inv.toml"))
        .arg("-c")
        .arg(dir.path().join("checks"))
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
