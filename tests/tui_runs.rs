//! The Runs screen over a real seeded history: the list, `/` filter, a past run opened
//! read-only, mark + enter (and `:diff A B`) for the run-vs-run diff with collapsible groups,
//! and `:compare ENV`.

mod history_support;

use driftscope::store::TransitionKind;
use driftscope::tui::app::{App, Effect, Msg, Screen};
use driftscope::tui::queries::HistoryQuery;
use history_support::{Asker, RUNS, dated, key, render, screen, seeded_app};
use ratatui::crossterm::event::KeyCode;

fn press(app: &mut App, q: &mut Asker, code: KeyCode) {
    let fx = app.update(key(code));
    q.serve(app, fx);
}

fn chars(app: &mut App, q: &mut Asker, s: &str) {
    for c in s.chars() {
        press(app, q, KeyCode::Char(c));
    }
}

fn runs_screen(dir: &std::path::Path) -> (App, Asker) {
    let (mut app, mut q) = seeded_app(dir);
    let fx = app.update(key(KeyCode::Char('H')));
    assert!(
        matches!(fx.as_slice(), [Effect::Query(HistoryQuery::Runs { env })] if env == "demo"),
        "{fx:?}"
    );
    q.serve(&mut app, fx);
    assert_eq!(app.screen, Screen::Runs);
    (app, q)
}

#[test]
fn h_lists_the_runs_newest_first_and_slash_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = runs_screen(dir.path());
    let term = render(&mut app, 140, 20);
    let s = screen(&term);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("complete")).collect();
    assert_eq!(rows.len(), 3, "{s}");
    assert!(
        rows[0].contains(RUNS[2]) && rows[2].contains(RUNS[0]),
        "{s}"
    );
    assert!(rows[0].contains("2h ") && rows[0].contains("4.0s"), "{s}");
    assert!(
        rows[0].contains("12 pass  6 fail   3 problems") || rows[0].contains("pass"),
        "{s}"
    );
    dated(|| insta::assert_snapshot!(term.backend()));
    chars(&mut app, &mut q, "/bbbb");
    let s = screen(&render(&mut app, 140, 20));
    assert!(s.contains("1 of 3"), "{s}");
    assert_eq!(app.runs.selected().unwrap().id, RUNS[1]);
    press(&mut app, &mut q, KeyCode::Enter);
    press(&mut app, &mut q, KeyCode::Esc);
    assert!(app.runs.filter.is_empty());
    assert_eq!(app.screen, Screen::Runs);
}

#[test]
fn enter_opens_a_past_run_read_only_and_esc_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = runs_screen(dir.path());
    press(&mut app, &mut q, KeyCode::Char('j'));
    press(&mut app, &mut q, KeyCode::Char('j'));
    press(&mut app, &mut q, KeyCode::Enter); // the oldest run
    assert_eq!(app.screen, Screen::PastRun);
    assert_eq!(app.table.results.len(), 18);
    // In the oldest run local-3's forwarding still passed.
    let fails: Vec<String> = (0..app.table.results.len() as u32)
        .filter_map(|id| app.table.results.record(id))
        .filter(|r| r.outcome == driftscope::model::Outcome::Fail)
        .map(|r| format!("{} {}", r.host, r.key))
        .collect();
    assert!(
        !fails.contains(&"local-3 net.ip-forward-off".to_string()),
        "{fails:?}"
    );
    let term = render(&mut app, 120, 30);
    let s = screen(&term);
    assert!(s.contains("past run of"), "{s}");
    assert!(s.contains("(read-only)"), "{s}");
    dated(|| insta::assert_snapshot!(term.backend()));
    press(&mut app, &mut q, KeyCode::Char('r'));
    assert!(app.status.contains("read-only"), "{}", app.status);
    // Live results keep arriving into the parked live table meanwhile.
    app.update(Msg::Exec(driftscope::exec::Event::RunStarted(
        std::sync::Arc::new(driftscope::tui::fixture::meta("demo", 1, 6)),
    )));
    for r in driftscope::tui::fixture::demo_results(1) {
        app.update(Msg::Exec(driftscope::exec::Event::CheckResult(Box::new(r))));
    }
    press(&mut app, &mut q, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Runs);
    assert!(app.past.is_none());
    press(&mut app, &mut q, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Live);
    app.settle();
    assert_eq!(app.table.results.len(), 18);
    assert_eq!(
        app.table.stored_count(),
        12,
        "6 rows were replaced live meanwhile"
    );
}

#[test]
fn mark_and_pick_diffs_two_runs_with_collapsible_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = runs_screen(dir.path());
    press(&mut app, &mut q, KeyCode::Char(' ')); // mark the newest
    press(&mut app, &mut q, KeyCode::Char('j'));
    press(&mut app, &mut q, KeyCode::Char('j'));
    let fx = app.update(key(KeyCode::Enter)); // pick the oldest
    let [Effect::Query(HistoryQuery::Diff { a, b })] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!((a.as_str(), b.as_str()), (RUNS[0], RUNS[2]), "older first");
    q.serve(&mut app, fx);
    assert_eq!(app.screen, Screen::Diff);
    let d = app.diff.diff.as_ref().unwrap();
    assert_eq!(d.count(TransitionKind::NewFailure), 1);
    let term = render(&mut app, 120, 40);
    let s = screen(&term);
    assert!(s.contains("▾ new failure  1"), "{s}");
    assert!(s.contains("local-3  net.ip-forward-off"), "{s}");
    assert!(s.contains("A pass        value=0"), "{s}");
    assert!(s.contains("B fail        value=1"), "{s}");
    assert!(s.contains("▸ still failing"), "collapsed at first: {s}");
    dated(|| insta::assert_snapshot!(term.backend()));
    // enter on the first group header folds it
    press(&mut app, &mut q, KeyCode::Enter);
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains("▸ new failure  1"), "{s}");
    assert!(!s.contains("local-3  net.ip-forward-off"), "{s}");
    // :diff A B asks for the same
    press(&mut app, &mut q, KeyCode::Esc);
    chars(&mut app, &mut q, ":diff cccc bbbb");
    let fx = app.update(key(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Query(HistoryQuery::Diff { a, b })] if a == "cccc" && b == "bbbb"),
        "{fx:?}"
    );
}

#[test]
fn compare_puts_another_environment_beside_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = seeded_app(dir.path());
    chars(&mut app, &mut q, ":compare staging");
    press(&mut app, &mut q, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Compare);
    let term = render(&mut app, 120, 20);
    let s = screen(&term);
    assert!(s.contains("demo ↔ staging"), "{s}");
    let swap = s
        .lines()
        .find(|l| l.contains("vm.swappiness"))
        .unwrap_or_default();
    assert!(swap.contains("value=60  ≠  value=10"), "{s}");
    insta::assert_snapshot!(term.backend());
    press(&mut app, &mut q, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Live);
}
