//! The Drift screen over a real seeded history: the verdict, what is new since the previous
//! run, failing host × checks with first-failed and streak (grouped three ways), flapping;
//! `enter` opens a row in the live table with its detail.

mod history_support;

use driftscope::tui::app::{Effect, Msg, Screen};
use driftscope::tui::queries::HistoryQuery;
use history_support::{dated, key, render, screen, seeded_app};
use ratatui::crossterm::event::KeyCode;

#[test]
fn d_shows_the_verdict_new_failures_streaks_and_flapping() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = seeded_app(dir.path());
    let fx = app.update(key(KeyCode::Char('D')));
    assert!(
        matches!(fx.as_slice(), [Effect::Query(HistoryQuery::Drift { env })] if env == "demo"),
        "{fx:?}"
    );
    assert_eq!(app.screen, Screen::Drift);
    q.serve(&mut app, fx);
    let term = render(&mut app, 120, 40);
    let s = screen(&term);
    assert!(s.contains("DRIFTED"), "{s}");
    assert!(s.contains("newest result 2h ago · oldest 2h ago"), "{s}");
    // run 3 brought local-1 kernel.panic-reboot back to failing
    assert!(s.contains("New since the previous run (1)"), "{s}");
    assert!(
        s.contains("local-1  kernel.panic-reboot  new failure"),
        "{s}"
    );
    // local-3's IP forwarding fails since run 2: 2 runs, 14h
    assert!(
        s.contains("net.ip-forward-off   high      failing for 2 runs / 14h"),
        "{s}"
    );
    assert!(s.contains("Flapping (1)"), "{s}");
    assert!(
        s.contains("local-1  kernel.panic-reboot  2 switches"),
        "{s}"
    );
    dated(|| insta::assert_snapshot!(term.backend()));
}

#[test]
fn s_groups_by_check_and_category_and_enter_opens_the_row_live() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = seeded_app(dir.path());
    let fx = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char(':'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    assert!(fx.is_empty());
    for c in "drift category".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    let fx = app.update(key(KeyCode::Enter));
    q.serve(&mut app, fx);
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains("by category"), "{s}");
    assert!(s.contains("▾ network  1"), "{s}");
    assert!(s.contains("▾ vm  3"), "{s}");
    app.update(key(KeyCode::Char('s')));
    let s = screen(&render(&mut app, 120, 40));
    assert!(s.contains("by host"), "{s}");
    assert!(s.contains("▾ local-3  3"), "{s}");
    // The first selectable row is the new failure; the next ones are the failing list.
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('j')));
    let picked = app.drift.selected(&app.theme).unwrap();
    app.update(key(KeyCode::Enter));
    app.settle();
    let _ = app.history_requests();
    assert_eq!(app.screen, Screen::Live);
    assert!(app.detail.open);
    let rec = app.table.selected_record().unwrap();
    assert_eq!((rec.host.clone(), rec.key.as_str().to_string()), picked);
    // esc closes the detail; D and esc go back and forth.
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char('D')));
    assert_eq!(app.screen, Screen::Drift);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Live);
}

#[test]
fn drift_without_history_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = driftscope::tui::fixture::app(std::time::Instant::now());
    let mut q = history_support::Asker::new(Some(&dir.path().join("none.db")));
    let fx = app.update(key(KeyCode::Char('D')));
    q.serve(&mut app, fx);
    let s = screen(&render(&mut app, 100, 20));
    assert!(s.contains("no history yet"), "{s}");
}

/// An acknowledged failure is its own group: out of "Failing", counted apart, dimmed, with
/// who, until when and why; marked in "New since the previous run"; `enter` still opens it.
#[test]
fn acknowledged_failures_are_shown_apart() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, mut q) = seeded_app(dir.path());
    let store = driftscope::store::Store::open(&dir.path().join("history.db")).unwrap();
    store
        .acknowledge(&driftscope::store::AckRequest {
            env: Some("demo".into()),
            host: "local-1".into(),
            check: "kernel.panic-reboot".into(),
            reason: "vendor kernel update on Friday".into(),
            expires_at: chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
            user: "oncall".into(),
            actual: None,
        })
        .unwrap();
    drop(store);
    let fx = app.update(key(KeyCode::Char('D')));
    q.serve(&mut app, fx);
    let term = render(&mut app, 160, 40);
    let s = screen(&term);
    assert!(
        s.contains("(1 acknowledged)"),
        "the verdict leaves it out: {s}"
    );
    assert!(
        s.contains("+ local-1  kernel.panic-reboot  new failure  medium  acknowledged"),
        "{s}"
    );
    assert!(
        s.contains("Failing (5)  by host (s: host / check / category) · 1 acknowledged below"),
        "{s}"
    );
    assert!(s.contains("▾ local-1  1"), "{s}");
    assert!(s.contains("Acknowledged (1)"), "{s}");
    let line = s
        .lines()
        .find(|l| l.contains("local-1  kernel.panic-reboot  medium"))
        .unwrap_or_default();
    assert!(
        line.contains("failing for 1 run / 2h")
            && line.contains(
                "acknowledged by oncall until 2030-01-01 00:00 UTC: vendor kernel update on Friday"
            ),
        "{s}"
    );
    // dimmed, as in the live table
    let buf = term.backend().buffer();
    let y = s.lines().position(|l| l == line).unwrap() as u16;
    let x = line.find("kernel.panic-reboot").unwrap();
    let x = line[..x].chars().count() as u16;
    assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::DIM));
    dated(|| insta::assert_snapshot!(term.backend()));
    // It can be opened like the others: the last selectable row before the flapping one.
    let target = ("local-1".to_string(), "kernel.panic-reboot".to_string());
    for _ in 0..8 {
        app.update(key(KeyCode::Char('j')));
    }
    app.update(key(KeyCode::Char('k')));
    assert_eq!(app.drift.selected(&app.theme), Some(target.clone()));
    app.update(key(KeyCode::Enter));
    app.settle();
    assert_eq!(app.screen, Screen::Live);
    let rec = app.table.selected_record().unwrap();
    assert_eq!((rec.host, rec.key.as_str().to_string()), target);
}
