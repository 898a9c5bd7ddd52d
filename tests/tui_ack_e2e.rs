//! Acknowledging in the real binary in a real terminal (tmux): a stored failing run, the TUI
//! streams the same failure, `a` + a reason + enter stores the acknowledgement; the row says
//! `acked`, the header's verdict turns READY, and afterwards `driftscope status` exits 0.

mod tui_support;

use std::process::Command;
use std::time::Duration;
use tui_support::{Tmux, chmod, sh_quote};

#[test]
fn a_acknowledges_the_failure_and_the_verdict_and_status_follow() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("app.conf");
    std::fs::write(&target, "x=1\n").unwrap();
    chmod(&target, 0o600);
    let checks = dir.path().join("checks");
    std::fs::create_dir_all(&checks).unwrap();
    std::fs::write(
        checks.join("app.toml"),
        format!(
            "category = \"app\"\n[[check]]\nid = \"app.conf-mode\"\ntitle = \"app.conf is 0644\"\nseverity = \"high\"\nprobe = {{ file = \"{}\" }}\nexpect = {{ mode = \"0644\" }}\n",
            target.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("history.db");
    let status = || {
        Command::new(bin)
            .args(["status", "--db"])
            .arg(&db)
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("DRIFTSCOPE_DB")
            .output()
            .unwrap()
    };
    let out = Command::new(bin)
        .args(["run", "-c"])
        .arg(&checks)
        .arg("--db")
        .arg(&db)
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("DRIFTSCOPE_DB")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(status().status.code(), Some(1), "DRIFTED before");

    let cmd = format!(
        "XDG_CONFIG_HOME={cfg} {bin} -c {checks} --db {db}; echo DRIFTSCOPE-EXITED $?; sleep 600",
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 140, 30);
    let t = Duration::from_secs(30);
    tmux.wait_for(&["finished", "0 pass 1 fail", "DRIFTED"], t);
    tmux.keys(&["a"]);
    tmux.wait_for(&["acknowledge ", "reason"], t);
    tmux.text("vendor default, CHG-4711");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&["acked", "READY", "1 acked"], t);
    assert!(screen.contains("vendor default"), "{screen}");
    assert!(
        screen.contains("acknowledged by ") && screen.contains(" UTC: vendor default, CHG-4711"),
        "the footer says who and until when: {screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);

    let out = status();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("READY") && text.contains("(1 acknowledged)"),
        "{text}"
    );
}
