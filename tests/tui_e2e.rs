//! End to end: the real `driftscope` binary in a real terminal (tmux), probing this machine
//! through the local transport. Waits for the run to finish, filters, opens a failure, marks
//! and re-checks it, quits, and checks the terminal was given back (alternate screen left,
//! tty modes restored).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session that is killed when the test ends, whether it passed or not.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(shell_cmd: &str, w: u16, h: u16) -> Tmux {
        let name = format!(
            "ds-e2e-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ (shell_cmd.len() as u128)
        );
        let st = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .arg(shell_cmd)
            .env_remove("TMUX")
            .status()
            .expect("tmux is installed");
        assert!(st.success(), "tmux new-session failed");
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .expect("tmux send-keys");
            assert!(st.success());
            // One key at a time: an escape followed at once by a key reads as alt-key.
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    fn text(&self, s: &str) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", s])
            .status()
            .expect("tmux send-keys");
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn query(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, format])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Wait until the screen shows every needle; panic with the screen if it never does.
    fn wait_for(&self, needles: &[&str], timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {needles:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

/// Checks with a known outcome on any Linux machine (sysctl through the local transport).
fn write_checks(dir: &Path) {
    std::fs::write(
        dir.join("e2e.toml"),
        r#"category = "e2e"
kind = "runtime"
description = "end-to-end checks with known outcomes"

[[check]]
id = "e2e.ostype-linux"
title = "the kernel says it is Linux"
severity = "info"
targets = { tags = ["linux"] }
probe = { sysctl = "kernel.ostype" }
expect = { value = "Linux" }

[[check]]
id = "e2e.ostype-plan9"
title = "the kernel says it is Plan 9"
severity = "high"
targets = { tags = ["linux"] }
probe = { sysctl = "kernel.ostype" }
expect = { value = "Plan9" }
sop = "e2e-sop"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("proc.toml"),
        r#"category = "proc"
kind = "runtime"
description = "more known outcomes"

[[check]]
id = "proc.sysctl-exists"
title = "sysctl {key} exists"
severity = "low"
targets = { tags = ["linux"] }
for_each = { key = ["kernel.osrelease", "kernel.hostname", "kernel.pid_max"] }
probe = { sysctl = "{key}" }
"#,
    )
    .unwrap();
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn live_run_filter_detail_recheck_quit_in_tmux() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    write_checks(&checks);
    let db = dir.path().join("history.db");
    let log = dir.path().join("tui.log");
    // Remember the tty modes, run the TUI, then say whether they came back.
    let cmd = format!(
        "before=$(stty -g); DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} -c {checks} --db {db}; \
         code=$?; [ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; echo DRIFTSCOPE-EXITED $code; sleep 600",
        log = sh_quote(&log.display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 40);
    let t = Duration::from_secs(20);

    // The run starts by itself and finishes: 4 pass (1 + 3 exists), 1 fail.
    let screen = tmux.wait_for(&["✓ finished", "4 pass", "1 fail"], t);
    assert!(screen.contains("env local"), "{screen}");
    assert!(screen.contains("Results 5 "), "{screen}");
    assert_eq!(
        tmux.query("#{alternate_on}"),
        "1",
        "the TUI uses the alternate screen"
    );
    // failures first: the first result row is the failing check
    let first_row = screen
        .lines()
        .find(|l| l.contains("e2e.") || l.contains("proc."))
        .unwrap_or_default();
    assert!(
        first_row.contains("e2e.ostype-plan9") && first_row.contains("fail"),
        "{screen}"
    );

    // Fuzzy filter narrows to the failure.
    tmux.keys(&["/"]);
    tmux.text("plan9");
    let screen = tmux.wait_for(&["Results 1 of 5", "/plan9"], t);
    assert!(!screen.contains("proc.sysctl-exists"), "{screen}");
    tmux.keys(&["Enter"]);

    // Open its detail: expected vs actual as a diff, probe, SOP placeholder.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&["Detail", "- Plan9", "+ Linux"], t);
    assert!(
        screen.contains("probe     sysctl kernel.ostype"),
        "{screen}"
    );
    assert!(screen.contains("SOP \"e2e-sop\""), "{screen}");

    // Mark it and re-check only it: a one-host, one-result run.
    tmux.keys(&["Escape"]);
    tmux.keys(&["Space"]);
    tmux.wait_for(&["1 marked"], t);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for(&["run finished", "0 pass 1 fail"], t);
    assert!(
        screen.contains("Results 1 of 5"),
        "re-check replaced the row in place: {screen}"
    );
    assert!(!screen.contains("marked"), "marks were consumed: {screen}");

    // Clear the filter, quit, and find the shell's screen intact.
    tmux.keys(&["Escape"]);
    tmux.wait_for(&["Results 5 "], t);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert!(
        screen.contains("TTY-RESTORED"),
        "tty modes restored: {screen}"
    );
    assert!(
        !screen.contains("Results"),
        "alternate screen left: {screen}"
    );
    assert_eq!(tmux.query("#{alternate_on}"), "0");
    assert_eq!(tmux.query("#{cursor_flag}"), "1", "cursor shown again");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log.contains("run "),
        "the log file got the run lines: {log}"
    );
}

#[test]
fn ctrl_c_cancels_a_hanging_run_then_quits_and_restores_the_terminal() {
    // An "ssh server" on 127.0.0.1 that accepts and never says a word: the run hangs in
    // connecting until it is cancelled.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(8) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    write_checks(&checks);
    let inv = dir.path().join("hang.toml");
    std::fs::write(
        &inv,
        format!(
            "[environment]\nname = \"hang\"\n[defaults]\ntransport = \"ssh\"\n\
             [[host]]\nname = \"stuck-1\"\naddress = \"127.0.0.1\"\nport = {port}\ntags = [\"linux\"]\n"
        ),
    )
    .unwrap();
    let ssh_config = dir.path().join("ssh_config");
    std::fs::write(&ssh_config, "").unwrap();
    let cmd = format!(
        "before=$(stty -g); DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} -i {inv} -c {checks} \
         --ssh-config {sshc} --connect-timeout 60 --timeout 120 --no-store; \
         code=$?; [ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; echo DRIFTSCOPE-EXITED $code; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        inv = sh_quote(&inv.display().to_string()),
        checks = sh_quote(&checks.display().to_string()),
        sshc = sh_quote(&ssh_config.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 30);
    let t = Duration::from_secs(20);
    let screen = tmux.wait_for(&["● running 0/1 hosts", "stuck-1"], t);
    assert!(screen.contains("connecting"), "{screen}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for(&["✗ cancelled", "run cancelled"], t);
    assert!(
        !screen.contains("DRIFTSCOPE-EXITED"),
        "the first ctrl-c only cancels: {screen}"
    );
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert!(screen.contains("TTY-RESTORED"), "{screen}");
    assert_eq!(tmux.query("#{alternate_on}"), "0");
}

#[test]
fn tiny_terminal_says_so_and_recovers() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    write_checks(&checks);
    let cmd = format!(
        "DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} -c {checks} --no-store; echo DRIFTSCOPE-EXITED $?; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 20, 5);
    let t = Duration::from_secs(20);
    tmux.wait_for(&["terminal too small"], t);
    let st = Command::new("tmux")
        .args(["resize-window", "-t", &tmux.name, "-x", "100", "-y", "30"])
        .status()
        .unwrap();
    assert!(st.success());
    tmux.wait_for(&["✓ finished", "Results 5"], t);
    tmux.keys(&["q"]);
    tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
}
