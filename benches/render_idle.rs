//! Idle CPU of the live TUI: run the real binary in tmux, wait for its run to finish, then
//! read its CPU ticks from /proc/<pid>/stat over 10 s with no input. Target ≈ 0 (the loop
//! has no timer while idle: it redraws only when state changed).
//! Run: `cargo bench --bench render_idle`.

use std::process::Command;
use std::time::{Duration, Instant};

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is installed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // fields after the ")" of the command name: state is field 3, utime 14, stime 15
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(14) + get(15)
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let secs = if quick { 2 } else { 10 };
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = std::env::temp_dir().join(format!("driftscope-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("idle.toml"),
        "category = \"idle\"\nkind = \"runtime\"\ndescription = \"idle bench\"\n\n\
         [[check]]\nid = \"idle.ostype\"\ntitle = \"kernel is Linux\"\nseverity = \"info\"\n\
         targets = { tags = [\"linux\"] }\nprobe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"Linux\" }\n",
    )
    .expect("write checks");
    let name = format!("ds-idle-{}", std::process::id());
    let log = dir.join("tui.log");
    let cmd = format!(
        "env DRIFTSCOPE_LOG={} {bin} -c {} --no-store",
        log.display(),
        dir.display()
    );
    let st = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ])
        .env_remove("TMUX")
        .status()
        .expect("tmux");
    assert!(st.success());
    let session = Session(name.clone());
    let start = Instant::now();
    while !tmux(&["capture-pane", "-p", "-t", &name]).contains("✓ finished") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "run did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = tmux(&["display-message", "-p", "-t", &name, "#{pane_pid}"]);
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(&pid);
    std::thread::sleep(Duration::from_secs(secs));
    let after = cpu_ticks(&pid);
    let hz = 100.0; // USER_HZ on Linux
    let used = (after - before) as f64 / hz;
    println!(
        "idle TUI (pid {pid}) over {secs} s: {} ticks = {:.3} s CPU = {:.2}% of one core",
        after - before,
        used,
        used / secs as f64 * 100.0
    );
    drop(session);
    let _ = std::fs::remove_dir_all(&dir);
}
