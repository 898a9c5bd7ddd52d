//! The TUI over a real history (a seeded SQLite file, the real query thread): the first
//! frame shows the stored state, live results replace stored rows in place, and a missing,
//! corrupt or newer history is said plainly while live runs keep working.

mod history_support;

use driftscope::exec::Event;
use driftscope::tui::app::{App, Effect, Msg};
use driftscope::tui::fixture;
use driftscope::tui::queries::HistoryQuery;
use history_support::{Asker, seed};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Instant;

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    app.settle();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.draw(f)).unwrap();
    term
}

fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

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
