//! End to end: the real `driftscope` binary in a real terminal (tmux), probing this machine
//! through the local transport. Waits for the run to finish, filters, opens a failure, marks
//! and re-checks it, quits, and checks the terminal was given back (alternate screen left,
//! tty modes restored).

mod tui_support;

use std::process::Command;
use std::time::Duration;
use tui_support::{Tmux, sh_quote, write_checks};

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

    // Open its detail: expected vs actual as a diff, probe, and its SOP (missing here).
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for(&["Detail", "- Plan9", "+ Linux"], t);
    assert!(
        screen.contains("probe     sysctl kernel.ostype"),
        "{screen}"
    );
    assert!(
        screen.contains("no SOP: check e2e.ostype-plan9 names \"e2e-sop\""),
        "a SOP file that does not exist is said plainly: {screen}"
    );

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

    // Both runs are in the history: the full one and the narrow re-check.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let runs: Vec<(i64, String)> = conn
        .prepare("SELECT full_scope, status FROM runs ORDER BY started_at, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].0, 1, "first run covers the whole environment");
    assert_eq!(runs[1].0, 0, "the re-check is stored with its narrow scope");
}

/// The newcomer's path: `driftscope` with nothing else, on the embedded default inventory and
/// checks. Outcomes depend on the machine, so this asserts on the shape, not on counts.
#[test]
fn embedded_default_opens_runs_and_rechecks_a_row() {
    let bin = env!("CARGO_BIN_EXE_driftscope");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let cmd = format!(
        "DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {bin} --db {db}; echo DRIFTSCOPE-EXITED $?; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        bin = sh_quote(bin),
        db = sh_quote(&db.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 40);
    let t = Duration::from_secs(60);
    let screen = tmux.wait_for(&["✓ finished", "env local", "Categories"], t);
    assert!(screen.contains("run finished"), "{screen}");
    assert!(
        screen.contains("kernel"),
        "shipped categories are listed: {screen}"
    );
    // open the detail of the top row (a failure when there is one) and re-check it
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Detail", "expected vs actual", "probe"], t);
    tmux.keys(&["r"]);
    // the re-check is a one-result run: the header's counts add up to 1
    tmux.wait_until("a finished one-result re-check", t, |s| {
        s.contains("run finished in")
            && ["1 pass 0 fail", "0 pass 1 fail", "0 pass 0 fail 1 problems"]
                .iter()
                .any(|c| s.contains(c))
    });
    tmux.keys(&["q"]);
    tmux.wait_for(&["DRIFTSCOPE-EXITED 0"], t);
    assert_eq!(tmux.query("#{alternate_on}"), "0");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2, "the first run and the re-check are stored");
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

/// Not a test on its own: the TUI child of `a_panic_restores_the_terminal`, run inside tmux by
/// re-executing this test binary. Its planner panics once the terminal is in raw mode.
#[test]
fn panic_child() {
    if std::env::var_os("DS_TUI_PANIC_CHILD").is_none() {
        return;
    }
    struct Exploding;
    impl driftscope::tui::Planner for Exploding {
        fn plan(
            &self,
            _: &driftscope::config::Selection,
        ) -> Result<driftscope::session::Plan, driftscope::session::PlanError> {
            panic!("planner exploded on purpose");
        }
        fn checkset_hash(&self) -> String {
            String::new()
        }
    }
    let loaded = driftscope::tui::fixture::demo_loaded(1);
    let ctx = driftscope::tui::TuiContext {
        loaded,
        selection: Default::default(),
        transports: driftscope::exec::TransportSet::local_only(),
        exec: Default::default(),
        db: None,
        theme: None,
        no_run: false,
        sops: Default::default(),
    };
    driftscope::tui::main_with(ctx, std::sync::Arc::new(Exploding));
}

#[test]
fn a_panic_restores_the_terminal() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "before=$(stty -g); RUST_BACKTRACE=0 DS_TUI_PANIC_CHILD=1 DRIFTSCOPE_LOG={log} XDG_CONFIG_HOME={cfg} {exe} panic_child \
         --exact --nocapture --test-threads=1; code=$?; [ \"$(stty -g)\" = \"$before\" ] && echo TTY-RESTORED; \
         echo DRIFTSCOPE-EXITED $code; sleep 600",
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        cfg = sh_quote(&dir.path().display().to_string()),
        exe = sh_quote(&exe.display().to_string()),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 100, 30);
    let screen = tmux.wait_for(&["DRIFTSCOPE-EXITED"], Duration::from_secs(20));
    assert!(
        screen.contains("planner exploded on purpose"),
        "the panic message is readable: {screen}"
    );
    assert!(screen.contains("TTY-RESTORED"), "raw mode undone: {screen}");
    assert!(
        !screen.contains("Results"),
        "alternate screen left: {screen}"
    );
    assert_eq!(tmux.query("#{alternate_on}"), "0");
    assert_eq!(tmux.query("#{cursor_flag}"), "1", "cursor shown again");
}
