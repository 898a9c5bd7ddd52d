//! Acknowledging in the TUI: the `a` prompt in the reducer (reason required, expiry checked,
//! what the loop is asked to store), the worker's answer dimming the row until its value
//! changes, and TestBackend snapshots of the prompt and of an acknowledged row.

use driftscope::exec::Event;
use driftscope::model::{Acknowledgement, OutcomeCounts, ResultRecord};
use driftscope::tui::app::{App, Effect, Msg};
use driftscope::tui::fixture::{self, demo_results};
use driftscope::tui::keymap::InputMode;
use driftscope::tui::queries::HistoryQuery;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;
use std::sync::Arc;
use std::time::Instant;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

fn send(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut fx = Vec::new();
    for m in msgs {
        fx.extend(app.update(m));
        app.settle();
    }
    fx
}

/// The demo run finished (failures first: the cursor is on a failure).
fn done() -> App {
    let mut app = fixture::app(Instant::now());
    let results = demo_results(3);
    let mut msgs = vec![Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo",
        3,
        results.len(),
    ))))];
    msgs.extend(
        results
            .into_iter()
            .map(|r| Msg::Exec(Event::CheckResult(Box::new(r)))),
    );
    msgs.push(Msg::Exec(Event::RunFinished {
        run_id: "r".into(),
        finished_at: chrono::DateTime::from_timestamp(1_764_590_400, 0).unwrap_or_default(),
        counts: OutcomeCounts::default(),
        cancelled: false,
    }));
    send(&mut app, msgs);
    app
}

fn cursor_record(app: &App) -> ResultRecord {
    app.table.selected_record().expect("a row").clone()
}

fn ack_of(rec: &ResultRecord) -> Acknowledgement {
    Acknowledgement {
        environment: rec.environment.clone(),
        host: rec.host.clone(),
        key: rec.key.as_str().to_string(),
        actual: rec.actual.clone(),
        reason: "vendor default, CHG-4711".into(),
        user: "alice".into(),
        created_at: chrono::DateTime::from_timestamp(1_764_590_400, 0).unwrap_or_default(),
        expires_at: chrono::DateTime::from_timestamp(4_070_908_800, 0).unwrap_or_default(),
    }
}

#[test]
fn a_on_a_failure_asks_for_a_reason_and_an_expiry_then_asks_to_store_it() {
    let mut app = done();
    let rec = cursor_record(&app);
    assert_eq!(rec.outcome, driftscope::model::Outcome::Fail);
    send(&mut app, [key('a')]);
    assert_eq!(app.mode, InputMode::Ack);
    // q, f, / … are text here, not commands
    let mut msgs = typed("vendor default, q3 fix");
    msgs.push(code(KeyCode::Tab));
    msgs.extend(typed("3d"));
    let before = chrono::Utc::now();
    let fx = send(&mut app, msgs);
    assert!(fx.is_empty() && !app.quit, "{fx:?}");
    let fx = send(&mut app, [code(KeyCode::Enter)]);
    assert_eq!(app.mode, InputMode::Normal);
    let [Effect::Acknowledge(req)] = fx.as_slice() else {
        panic!("expected one acknowledgement to store: {fx:?}");
    };
    assert_eq!(req.host, rec.host);
    assert_eq!(req.check, rec.key.as_str());
    assert_eq!(req.env.as_deref(), Some(rec.environment.as_str()));
    assert_eq!(req.reason, "vendor default, q3 fix");
    assert_eq!(
        req.actual.as_ref(),
        Some(&rec.actual),
        "the value on screen"
    );
    let days = (req.expires_at - before).num_hours();
    assert!((71..=72).contains(&days), "3d from now: {days}h");
    assert!(app.status.contains("acknowledging"), "{}", app.status);
}

#[test]
fn the_prompt_refuses_no_reason_and_a_past_expiry_and_keeps_what_was_typed() {
    let mut app = done();
    send(&mut app, [key('a')]);
    let fx = send(&mut app, [code(KeyCode::Enter)]);
    assert!(fx.is_empty());
    assert_eq!(app.mode, InputMode::Ack);
    assert!(
        app.ack
            .error
            .as_deref()
            .is_some_and(|e| e.contains("a reason is required")),
        "{:?}",
        app.ack.error
    );
    let mut msgs = typed("known");
    msgs.push(code(KeyCode::Tab));
    msgs.extend(typed("2020-01-01"));
    msgs.push(code(KeyCode::Enter));
    let fx = send(&mut app, msgs);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        app.ack
            .error
            .as_deref()
            .is_some_and(|e| e.contains("is in the past")),
        "{:?}",
        app.ack.error
    );
    assert_eq!(app.ack.reason, "known");
    // backspace fixes the expiry; the default 7d applies when it is left empty
    let mut msgs: Vec<Msg> = (0..10).map(|_| code(KeyCode::Backspace)).collect();
    msgs.push(code(KeyCode::Enter));
    let fx = send(&mut app, msgs);
    let [Effect::Acknowledge(req)] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    let days = (req.expires_at - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "7d: {days}h");
}

#[test]
fn esc_cancels_and_a_passing_row_cannot_be_acknowledged() {
    let mut app = done();
    send(&mut app, [key('a')]);
    send(&mut app, typed("x"));
    let fx = send(&mut app, [code(KeyCode::Esc)]);
    assert!(fx.is_empty());
    assert_eq!(app.mode, InputMode::Normal);
    assert_eq!(app.status, "not acknowledged");
    // the last row is a pass (failures first)
    send(&mut app, [key('G')]);
    assert_eq!(
        cursor_record(&app).outcome,
        driftscope::model::Outcome::Pass
    );
    let fx = send(&mut app, [key('a')]);
    assert!(fx.is_empty());
    assert_eq!(app.mode, InputMode::Normal);
    assert_eq!(
        app.status,
        "only a failure can be acknowledged; this row is pass"
    );
}

#[test]
fn a_stored_acknowledgement_dims_the_row_until_its_value_changes() {
    let mut app = done();
    let rec = cursor_record(&app);
    let id = app.selected().unwrap();
    let fx = send(&mut app, [Msg::Acked(Ok(ack_of(&rec)))]);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Query(HistoryQuery::Latest { .. }))),
        "the header's verdict is judged again: {fx:?}"
    );
    assert!(app.table.acknowledgement(id).is_some());
    assert_eq!(app.table.acked_count(), 1);
    assert!(app.status.starts_with("acknowledged "), "{}", app.status);
    // it left the top (acknowledged failures sort after the open ones); on it, `a` again
    // says who acknowledged it
    assert_ne!(app.selected(), Some(id));
    app.table.reveal(id);
    app.settle();
    send(&mut app, [key('a')]);
    assert_eq!(app.mode, InputMode::Normal);
    assert!(
        app.status.contains("already acknowledged by alice"),
        "{}",
        app.status
    );
    // the same drift again stays acknowledged …
    send(
        &mut app,
        [Msg::Exec(Event::CheckResult(Box::new(rec.clone())))],
    );
    assert!(app.table.acknowledgement(id).is_some());
    // … a different value of the same check is another drift
    let mut other = rec.clone();
    other.actual = serde_json::json!({"value": "something else"});
    send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(other)))]);
    assert!(app.table.acknowledgement(id).is_none());
    assert_eq!(app.table.acked_count(), 0);
    // the worker's refusal is said in the status line
    send(&mut app, [Msg::Acked(Err("no host \"x\"".into()))]);
    assert_eq!(app.status, "not acknowledged: no host \"x\"");
}

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    app.settle();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.draw(f)).unwrap();
    term
}

#[test]
fn an_acknowledged_row_is_dimmed_and_says_why_who_and_until_when() {
    let mut app = done();
    let rec = cursor_record(&app);
    let id = app.selected().unwrap();
    send(&mut app, [Msg::Acked(Ok(ack_of(&rec)))]);
    app.status.clear();
    // the cursor on it (it sorts after the open failures now)
    app.table.reveal(id);
    let term = render(&mut app, 140, 24);
    insta::assert_snapshot!(term.backend());
    // off the cursor, the row's cells are dimmed
    send(&mut app, [key('j')]);
    let term = render(&mut app, 140, 24);
    let buf = term.backend().buffer();
    let y = (0..buf.area.height)
        .find(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains("vendor default, CHG")
        })
        .expect("the acknowledged row is on screen");
    let x = (0..buf.area.width)
        .find(|x| buf[(*x, y)].symbol() == "a" && buf[(*x + 1, y)].symbol() == "c")
        .expect("acked");
    assert!(
        buf[(x, y)].modifier.contains(Modifier::DIM),
        "{:?}",
        buf[(x, y)]
    );
}

#[test]
fn the_prompt_shows_the_value_and_the_expiry_in_utc() {
    let mut app = done();
    let mut msgs = vec![key('a')];
    msgs.extend(typed("vendor default"));
    msgs.push(code(KeyCode::Tab));
    msgs.extend(typed("2099-01-01"));
    send(&mut app, msgs);
    insta::assert_snapshot!(render(&mut app, 120, 24).backend());
}

#[test]
fn an_acknowledged_failure_sorts_after_the_open_failures_and_before_the_passes() {
    let mut app = done();
    let rec = cursor_record(&app);
    let id = app.selected().unwrap();
    send(&mut app, [Msg::Acked(Ok(ack_of(&rec)))]);
    let view = app.table.view.to_vec();
    let at = view.iter().position(|r| *r == id).expect("still shown");
    let failures: std::collections::HashSet<u32> = view
        .iter()
        .copied()
        .filter(|r| app.table.row_is_failure(*r))
        .collect();
    let failing = |r: &u32| failures.contains(r);
    assert!(
        view[..at].iter().all(failing),
        "every open failure comes before the acknowledged one"
    );
    assert!(
        view[at + 1..].iter().all(|r| !failing(r)),
        "the passes come after it"
    );
    assert!(at > 0, "there are other failures to come first");
    // a new value of the check is another drift: back among the open failures
    let mut other = rec.clone();
    other.actual = serde_json::json!({"value": "something else"});
    send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(other)))]);
    let after = app.table.view.to_vec();
    let at = after.iter().position(|r| *r == id).expect("still shown");
    let open = after
        .iter()
        .filter(|r| app.table.row_is_failure(**r))
        .count();
    assert!(at < open, "row {at} of {open} failures");
    assert_eq!(
        app.table.view,
        app.table.results.view(&Default::default(), app.table.sort),
        "the merged view equals a full rebuild"
    );
}
