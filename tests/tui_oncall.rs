//! The on-call loop end to end, on the real binary in a real terminal (tmux): a first run is
//! stored; a drift is injected (a file's mode changes); the TUI opens on the last known state
//! and streams the new run over it.

mod tui_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tui_support::{Tmux, sh_quote};

/// One check on a temp file's mode (0644 wanted), with the SOP that names the host.
fn write_file_check(dir: &Path, target: &Path) {
    let checks = dir.join("checks");
    std::fs::create_dir_all(checks.join("sops")).unwrap();
    std::fs::write(
        checks.join("app.toml"),
        format!(
            r#"category = "app"
kind = "static"
description = "the app's config file"

[[check]]
id = "app.conf-mode"
title = "app.conf is 0644"
severity = "high"
targets = {{ tags = ["linux"] }}
probe = {{ file = "{}" }}
expect = {{ mode = "0644" }}
sop = "app-conf"
"#,
            target.display()
        ),
    )
    .unwrap();
    std::fs::write(
        checks.join("sops/app-conf.md"),
        r##"+++
id = "app-conf"
title = "app.conf has the wrong mode"
owner = "app-oncall"
escalation = "#app-pager after 30 min"
last_reviewed = 2026-11-30
risk = "none: a mode change"
requires = []
+++
## Meaning
The app's config file on {host} is not 0644.

## Impact
The app cannot read its config after a restart.

## Diagnose
```sh
ssh {host} stat -c %a /etc/app.conf
```

## Remediate
1. Set the mode on **{host}**:
   ```sh
   ssh {host} sudo chmod 0644 /etc/app.conf
   ```

## Verify
driftscope run --host {host} --check {check_id}

## Rollback
Nothing to roll back.

## Escalate
Page app-oncall.
"##,
    )
    .unwrap();
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn no_run_opens_on_the_stored_state() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("app.conf");
    std::fs::write(&target, "x=1\n").unwrap();
    chmod(&target, 0o600);
    write_file_check(dir.path(), &target);
    let checks = dir.path().join("checks");
    let db = dir.path().join("history.db");
    let out = Command::new(bin)
        .args(["run", "-c"])
        .arg(&checks)
        .arg("--db")
        .arg(&db)
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let cmd = format!(
        "XDG_CONFIG_HOME={cfg} {bin} --no-run -c {checks} --db {db}; echo DRIFTSCOPE-EXITED $?; sleep 600",
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 30);
    let t = Duration::from_secs(20);
    let screen = tmux.wait_for(&["DRIFTED", "1 stored", "app.conf-mode", "now"], t);
    assert!(screen.contains("idle"), "nothing probed: {screen}");
    assert!(screen.contains("--no-run"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
}
