//! The on-call loop end to end, on the real binary in a real terminal (tmux): a first run is
//! stored; a drift is injected (a file's mode changes); the TUI opens on the last known state
//! and streams the new run over it; `D` shows the new failure; its SOP opens in the pager
//! with the host filled in; a fix and a re-check turn it green.

mod tui_support;

use std::path::{Path, PathBuf};
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

/// A temp dir with app.conf at `mode`, its check and SOP, and one `driftscope run` of it
/// stored in `history.db`; returns (dir, app.conf, checks dir, db, run's exit code).
fn stored_run(mode: u32) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("app.conf");
    std::fs::write(&target, "x=1\n").unwrap();
    chmod(&target, mode);
    write_file_check(dir.path(), &target);
    let checks = dir.path().join("checks");
    let db = dir.path().join("history.db");
    let out = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["run", "-c"])
        .arg(&checks)
        .arg("--db")
        .arg(&db)
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    (dir, target, checks, db, out.status.code())
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn no_run_opens_on_the_stored_state() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let (dir, _target, checks, db, code) = stored_run(0o600);
    assert_eq!(code, Some(1), "the stored run found the drift");
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

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The on-call loop: a stored run where app.conf was 0644, the drift injected (0600), the
/// TUI opens on the stored state and streams the new run over it; `D` lists the new failure
/// with its first failed time; `enter` opens its detail with timeline and SOP; `o` opens
/// the SOP in the pager with the host filled in and gives the terminal back; the fix and a re-check turn it green in the timeline; quitting
/// restores the terminal.
#[test]
fn on_call_loop_from_drift_to_green() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let (dir, target, checks, db, code) = stored_run(0o644);
    assert_eq!(code, Some(0), "the first run passes");
    chmod(&target, 0o600); // the drift
    let log = dir.path().join("tui.log");
    let cmd = format!(
        "before=$(stty -g); DRIFTSCOPE_LOG={log} DRIFTSCOPE_LOG_LEVEL=debug PAGER=less \
         XDG_CONFIG_HOME={cfg} {bin} -c {checks} --db {db}; code=$?; \
         [ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; echo DRIFTSCOPE-EXITED $code; sleep 600",
        log = sh_quote(&log.display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 80);
    let t = Duration::from_secs(30);
    let host = hostname();

    // The live run replaces the stored pass with the new failure.
    let screen = tmux.wait_for(&["✓ finished", "0 pass 1 fail", "app.conf-mode"], t);
    assert!(screen.contains("mode: 0600 ≠ 0644"), "{screen}");
    // Once the run is stored, the verdict says so.
    tmux.wait_for(&["DRIFTED"], t);

    // `D`: the new failure since the previous run, with its first failed time.
    tmux.keys(&["D"]);
    let screen = tmux.wait_for(
        &[
            "New since the previous run (1)",
            &format!("+ {host}  app.conf-mode  new failure"),
            "Failing (1)",
        ],
        t,
    );
    let first_failed = screen
        .lines()
        .find(|l| l.contains("failing for 1 run"))
        .unwrap_or_default();
    assert!(first_failed.contains("first failed "), "{screen}");

    // `enter` on it: the live table, its detail — the timeline (pass → fail) and the SOP,
    // host filled in.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&["failing for 1 run", "mode=0644 → mode=0600"], t);
    assert!(screen.contains("── SOP ──"), "{screen}");
    assert!(
        screen.contains(&format!("config file on {host} is not 0644")),
        "{screen}"
    );

    // `o`: the SOP in less, the terminal handed over; `q` gives it back.
    tmux.keys(&["o"]);
    let screen = tmux.wait_for(&[&format!("ssh {host} sudo chmod 0644 /etc/app.conf")], t);
    assert!(
        screen.contains("# app.conf has the wrong mode"),
        "raw markdown in less: {screen}"
    );
    assert!(
        !screen.contains("── SOP ──"),
        "the TUI is not drawn under the pager: {screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for(&["── SOP ──", "app.conf-mode"], t);

    // Fix it, re-check the row: it goes green, and so does the timeline's newest cell.
    chmod(&target, 0o644);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for(&["run finished", "1 pass 0 fail"], t);
    assert!(screen.contains("app.conf-mode"), "{screen}");
    tmux.wait_for(
        &["mode=0600 → mode=0644", "pass in the newest stored run"],
        t,
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert!(screen.contains("TTY-RESTORED"), "{screen}");
    assert_eq!(tmux.query("#{alternate_on}"), "0");
}

/// The TUI over the stored failing run (`--no-run`) with `pager` as `$PAGER`; the shell
/// around it says whether the terminal settings came back and how driftscope exited.
fn tui_with_pager(pager: &str) -> (tui_support::Tmux, tempfile::TempDir) {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let (dir, _target, checks, db, code) = stored_run(0o600);
    assert_eq!(code, Some(1), "the stored run found the drift");
    let cmd = format!(
        "before=$(stty -g); PAGER={pager} XDG_CONFIG_HOME={cfg} {bin} --no-run -c {checks} \
         --db {db}; code=$?; [ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; \
         echo DRIFTSCOPE-EXITED $code; sleep 600",
        pager = sh_quote(pager),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        checks = sh_quote(&checks.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 40);
    tmux.wait_for(&["DRIFTED", "app.conf-mode"], Duration::from_secs(20));
    (tmux, dir)
}

/// Ctrl-C while the SOP is open in less goes to less (which stays), not to driftscope:
/// quitting less gives the TUI back, quitting that restores the terminal.
#[test]
fn ctrl_c_in_the_pager_goes_to_the_pager() {
    let (tmux, _dir) = tui_with_pager("less");
    let t = Duration::from_secs(20);
    let host = hostname();
    tmux.keys(&["o"]);
    tmux.wait_for(&[&format!("ssh {host} sudo chmod 0644 /etc/app.conf")], t);
    tmux.keys(&["C-c"]);
    // less is still there and still takes keys: `G` shows the end of the SOP
    tmux.keys(&["G"]);
    let screen = tmux.wait_for(&["Page app-oncall."], t);
    assert!(!screen.contains("DRIFTSCOPE-EXITED"), "{screen}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(&["DRIFTED", "app.conf-mode", "sort: failures first"], t);
    assert!(!screen.contains("DRIFTSCOPE-EXITED"), "{screen}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert!(screen.contains("TTY-RESTORED"), "{screen}");
    assert_eq!(tmux.query("#{alternate_on}"), "0");
}

/// A pager that Ctrl-C kills: the TUI comes back (driftscope is not hit) and exits cleanly.
#[test]
fn a_pager_killed_by_ctrl_c_gives_the_tui_back() {
    let (tmux, _dir) = tui_with_pager("cat >/dev/null; echo PAGER-WAITING; sleep 600");
    let t = Duration::from_secs(20);
    tmux.keys(&["o"]);
    tmux.wait_for(&["PAGER-WAITING"], t);
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for(&["DRIFTED", "app.conf-mode", "sort: failures first"], t);
    assert!(!screen.contains("DRIFTSCOPE-EXITED"), "{screen}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert!(screen.contains("TTY-RESTORED"), "{screen}");
}
