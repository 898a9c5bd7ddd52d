//! Shared by the TUI end-to-end tests: a tmux session that is killed on drop, shell quoting,
//! and check files with outcomes known on any Linux machine.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A tmux session that is killed when the test ends, whether it passed or not.
pub struct Tmux {
    pub name: String,
}

impl Tmux {
    pub fn start(shell_cmd: &str, w: u16, h: u16) -> Tmux {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "ds-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
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

    pub fn keys(&self, keys: &[&str]) {
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

    pub fn text(&self, s: &str) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", s])
            .status()
            .expect("tmux send-keys");
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn query(&self, format: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, format])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Wait until the screen shows every needle; panic with the screen if it never does.
    pub fn wait_for(&self, needles: &[&str], timeout: Duration) -> String {
        self.wait_until(&format!("{needles:?}"), timeout, |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    pub fn wait_until(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{screen}");
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
pub fn write_checks(dir: &Path) {
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

pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Set a file's permission bits (the drift the TUI tests inject).
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
