//! The real binary in tmux against a fleet of real sshd processes on 127.0.0.1: connection
//! states in the hosts pane (one host down), a failure re-checked over the kept SSH session
//! (no new login; it runs on the spare session left waiting after the first probe), and no
//! ssh process nor remote reader left after quitting.

#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;
mod tui_support;

use sshd_fleet::{Fleet, eventually};
use std::time::Duration;
use tui_support::{Tmux, sh_quote, write_checks};

#[test]
fn fleet_run_shows_states_and_rechecks_over_the_kept_session() {
    let mut fleet = Fleet::uniform(3);
    fleet.kill_host("h03");
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    write_checks(&checks);
    let inv = dir.path().join("fleet.toml");
    let mut inventory =
        String::from("[environment]\nname = \"fleet\"\n[defaults]\ntransport = \"ssh\"\n");
    for h in ["h01", "h02", "h03"] {
        inventory.push_str(&format!("[[host]]\nname = \"{h}\"\ntags = [\"linux\"]\n"));
    }
    std::fs::write(&inv, inventory).unwrap();
    let db = dir.path().join("history.db");
    let cmd = format!(
        "DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} -i {inv} -c {checks} --ssh-config {sshc} \
         --connect-timeout 5 --db {db}; echo DRIFTSCOPE-EXITED $?; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(env!("CARGO_BIN_EXE_driftscope")),
        inv = sh_quote(&inv.display().to_string()),
        checks = sh_quote(&checks.display().to_string()),
        sshc = sh_quote(&fleet.ssh_config.display().to_string()),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 130, 36);
    let t = Duration::from_secs(30);

    // 2 hosts × 5 checks answer (4 pass + 1 fail each); h03's 5 are unreachable.
    let screen = tmux.wait_for(&["✓ finished", "8 pass", "2 fail", "5 problems"], t);
    let h03 = screen
        .lines()
        .find(|l| l.contains("✗ h03"))
        .unwrap_or_default();
    assert!(
        !h03.is_empty(),
        "h03 is shown as failed in the hosts pane: {screen}"
    );
    assert!(screen.contains("unreachable"), "{screen}");
    assert_eq!(fleet.logins("h01"), 1);
    // Each host that answered has its next session waiting (a spare).
    for h in ["h01", "h02"] {
        assert!(
            eventually(t, || fleet.spare_readers(h).len() == 1),
            "{h}: no spare session: {:?}",
            fleet.processes_of(h)
        );
    }
    let spare = fleet.spare_readers("h01");

    // Narrow to h01's failure, open it, re-check it: over the kept master, no new login.
    tmux.keys(&["/"]);
    tmux.text("h01plan9");
    tmux.wait_for(&["Results 1 of 15"], t);
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for(
        &[
            "Detail",
            "- Plan9",
            "+ Linux",
            "probe     sysctl kernel.ostype",
        ],
        t,
    );
    tmux.keys(&["r"]);
    tmux.wait_until("the re-check of h01's failure", t, |s| {
        s.contains("run finished") && s.contains("0 pass 1 fail") && s.contains("host=h01")
    });
    assert_eq!(
        fleet.logins("h01"),
        1,
        "the re-check reused h01's SSH connection"
    );
    // It ran on the waiting spare (which is gone); the next spare followed it.
    assert!(
        eventually(t, || {
            let now = fleet.spare_readers("h01");
            now.len() == 1 && now != spare
        }),
        "the re-check did not use h01's spare: {:?}",
        fleet.processes_of("h01")
    );
    assert_eq!(fleet.sessions("h01"), 3, "probe, spare, next spare");
    assert_eq!(fleet.sessions("h02"), 2, "h02 was not probed again");

    tmux.keys(&["q"]);
    tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    let left = fleet.ssh_clients_after(Duration::from_secs(5));
    assert!(
        left.is_empty(),
        "ssh clients left after quitting the TUI: {left:?}"
    );
    for h in ["h01", "h02"] {
        assert!(
            eventually(t, || fleet.spare_readers(h).is_empty()),
            "{h}: spare left after quitting: {:?}",
            fleet.processes_of(h)
        );
    }
}
