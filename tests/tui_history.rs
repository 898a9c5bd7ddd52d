//! The TUI over a real history (a seeded SQLite file, the real query thread): the first
//! frame shows the stored state, live results replace stored rows in place, and a missing,
//! corrupt or newer history is said plainly while live runs keep working.

mod history_support;

use driftscope::exec::Event;
use driftscope::tui::app::{App, Effect, Msg};
use driftscope::tui::fixture;
use driftscope::tui::queries::HistoryQuery;
use driftscope::tui::sops::SopBook;
use history_support::{Asker, dated, render, screen, seed};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Instant;

/// The demo app opened over `db` (answers served by the real query thread).
fn opened(db: Option<&std::path::Path>) -> (App, Asker) {
    let mut app = fixture::app(Instant::now());
    let mut asker = Asker::new(db);
    let fx = app.update(Msg::Opened);
    assert!(
        matches!(fx.as_slice(), [Effect::Query(HistoryQuery::Latest { env })] if env == "demo"),
        "{fx:?}"
    );
    asker.serve(&mut app, fx);
    (app, asker)
}

#[test]
fn the_first_frame_shows_the_stored_state_with_ages_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    seed(&db);
    let (mut app, _q) = opened(Some(&db));
    assert_eq!(app.table.results.len(), 18);
    assert_eq!(app.table.stored_count(), 18);
    let term = render(&mut app, 120, 30);
    let s = screen(&term);
    assert!(s.contains("DRIFTED · oldest 2h"), "{s}");
    assert!(s.contains("2h ago"), "{s}");
    assert!(s.contains("18 stored"), "{s}");
    insta::assert_snapshot!(term.backend());
}

#[test]
fn live_results_replace_stored_rows_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    seed(&db);
    let (mut app, mut q) = opened(Some(&db));
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 3, 18,
    )))));
    let mut live = fixture::demo_results(1);
    live.truncate(3);
    for r in live {
        app.update(Msg::Exec(Event::CheckResult(Box::new(r))));
    }
    app.settle();
    assert_eq!(app.table.results.len(), 18, "replaced, not added");
    assert_eq!(
        app.table.stored_count(),
        15,
        "the rest stay marked as stored"
    );
    // A second read of the stored state (after the run is stored) keeps the live rows.
    let fx = app.update(Msg::RunStored);
    q.serve(&mut app, fx);
    assert_eq!(app.table.stored_count(), 15);
    insta::assert_snapshot!(render(&mut app, 120, 30).backend());
}

#[test]
fn a_missing_history_says_no_history_yet() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _q) = opened(Some(&dir.path().join("none.db")));
    let s = screen(&render(&mut app, 120, 20));
    assert!(s.contains("no history yet"), "{s}");
    assert_eq!(app.status, "", "not an error");
    assert!(
        !dir.path().join("none.db").exists(),
        "the TUI never creates it"
    );
}

#[test]
fn a_corrupt_history_is_an_error_in_the_status_line_and_runs_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    std::fs::write(
        &db,
        b"this is not a database, just text that goes on for a while...",
    )
    .unwrap();
    let (mut app, _q) = opened(Some(&db));
    assert!(
        app.status.contains("not a driftscope history"),
        "{}",
        app.status
    );
    let s = screen(&render(&mut app, 120, 20));
    assert!(s.contains("history unreadable"), "{s}");
    // Live runs still work.
    let fx = app.update(Msg::Start);
    assert!(matches!(fx.as_slice(), [Effect::StartRun(_)]), "{fx:?}");
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 1, 6,
    )))));
    for r in fixture::demo_results(1) {
        app.update(Msg::Exec(Event::CheckResult(Box::new(r))));
    }
    app.settle();
    assert_eq!(app.table.results.len(), 6);
}

#[test]
fn a_newer_history_names_its_version_in_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    seed(&db);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 999;")
        .unwrap();
    let (app, _q) = opened(Some(&db));
    assert!(
        app.status.contains("schema version 999 is newer"),
        "{}",
        app.status
    );
    assert_eq!(app.table.results.len(), 0);
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn enter() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

/// The seeded app with the SOPs loaded and the detail pane open on the first row (the new
/// failure: local-3 net.ip-forward-off), its timeline answered.
fn detail_of_new_failure(dir: &std::path::Path) -> (App, Asker) {
    let db = dir.join("history.db");
    seed(&db);
    let (mut app, mut q) = opened(Some(&db));
    app.sops = Arc::new(SopBook::new(
        history_support::sop_library(dir),
        &fixture::demo_loaded(3),
    ));
    app.update(enter());
    app.settle();
    let fx = app.history_requests();
    assert!(
        matches!(fx.as_slice(), [Effect::Query(HistoryQuery::Timeline { host, key, .. })]
            if host == "local-3" && key == "net.ip-forward-off"),
        "{fx:?}"
    );
    q.serve(&mut app, fx);
    (app, q)
}

#[test]
fn the_detail_pane_shows_the_timeline_and_the_filled_sop() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _q) = detail_of_new_failure(dir.path());
    let term = render(&mut app, 120, 90);
    let s = screen(&term);
    assert!(s.contains("last 3 runs"), "{s}");
    assert!(s.contains("failing for 2 runs / 14h"), "{s}");
    assert!(
        s.contains("(run 20261130T120000.000Z-bbbb02)"),
        "first failed: {s}"
    );
    assert!(s.contains("value=0 → value=1 on"), "change point: {s}");
    assert!(
        s.contains("ssh local-3 sudo sysctl -w net.ipv4.ip_forward=0"),
        "filled: {s}"
    );
    assert!(!s.contains("{host}"), "{s}");
    dated(|| insta::assert_snapshot!(term.backend()));
}

#[test]
fn the_sop_scrolls_and_o_hands_it_to_the_pager_with_the_host_filled() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _q) = detail_of_new_failure(dir.path());
    let fx = app.update(key('o'));
    let [Effect::Pager(md)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert!(
        md.starts_with("# a network sysctl differs (network-tuning)"),
        "{md}"
    );
    assert!(
        md.contains("ssh local-3 sudo sysctl -w net.ipv4.ip_forward=0"),
        "{md}"
    );
    // The detail pane scrolls (tab to it, then j).
    app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    for _ in 0..5 {
        app.update(key('j'));
    }
    assert_eq!(app.detail.scroll, 5);
    // A check without a SOP file says so plainly, in the pane and for `o`.
    app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    app.update(key('G'));
    app.settle();
    app.update(enter());
    app.settle();
    let _ = app.history_requests();
    let s = screen(&render(&mut app, 120, 60));
    assert!(
        s.contains("no SOP: check kernel.ostype names \"kernel-tuning\""),
        "{s}"
    );
    app.update(key('o'));
    assert!(app.status.starts_with("no SOP"), "{}", app.status);
}

#[test]
fn holding_j_over_1000_rows_asks_for_one_timeline_once_the_cursor_rests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    seed(&db);
    let (mut app, mut q) = opened(Some(&db));
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 40, 1200,
    )))));
    for r in fixture::many_records("demo", 40, 1200) {
        app.update(Msg::Exec(Event::CheckResult(Box::new(r))));
    }
    app.settle();
    app.update(enter());
    app.settle();
    let fx = app_requests(&mut app);
    assert_eq!(
        fx.len(),
        1,
        "the first row shown is asked for at once: {fx:?}"
    );
    q.serve(&mut app, fx);
    let before = q.thread.executed();
    // `j` held over 1000 rows, the event loop drawing a frame every 10 keys: the cursor
    // never rests, nothing is asked.
    let mut requests = Vec::new();
    for _ in 0..100 {
        for _ in 0..10 {
            app.update(key('j'));
        }
        app.settle();
        requests.extend(app_requests(&mut app));
        assert!(
            app.frame_again,
            "one more frame is wanted while the cursor moves"
        );
    }
    assert_eq!(requests, [], "no request while the cursor moves");
    // The key is released: the next frame finds the cursor where it was and asks once.
    app.frame_again = false;
    app.settle();
    let fx = app_requests(&mut app);
    let want = app
        .table
        .selected_record()
        .map(|r| r.key.as_str().to_string());
    let [Effect::Query(HistoryQuery::Timeline { key, .. })] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(Some(key), want.as_ref(), "for the row under the cursor");
    assert!(!app.frame_again);
    q.serve(&mut app, fx);
    assert_eq!(
        q.thread.executed() - before,
        1,
        "one timeline query for 1000 rows"
    );
    assert!(matches!(
        &app.detail.timeline,
        Some((
            _,
            driftscope::tui::components::timeline::TimelineView::Missing(_)
        ))
    ));
}

fn app_requests(app: &mut App) -> Vec<Effect> {
    app.history_requests()
}
