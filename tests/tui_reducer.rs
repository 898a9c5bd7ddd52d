//! Reducer tests: every action and message applied to a hand-made `App`, asserting what the
//! user would see change (cursor, rows, scope, run state) and what the loop is asked to do.

use driftscope::exec::Event;
use driftscope::model::{ExecKey, HostPhase, Outcome, OutcomeCounts};
use driftscope::tui::app::{App, Effect, Focus, Msg, RunRequest};
use driftscope::tui::fixture::{self, demo_results};
use driftscope::tui::keymap::{Action, InputMode};
use driftscope::tui::rows::SortOrder;
use driftscope::tui::theme::Theme;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rstest::{fixture, rstest};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn send(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut fx = Vec::new();
    for m in msgs {
        fx.extend(app.update(m));
        app.settle();
    }
    fx
}

fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

/// A finished run over the demo environment (18 results: 6 fail, 3 error, 9 pass).
fn finished(app: &mut App) {
    let results = demo_results(3);
    let n = results.len();
    let mut msgs = vec![Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 3, n,
    ))))];
    for h in 1..=3 {
        msgs.push(Msg::Exec(Event::HostState {
            host: format!("local-{h}"),
            phase: HostPhase::Done,
        }));
    }
    for r in results {
        msgs.push(Msg::Exec(Event::CheckResult(Box::new(r))));
    }
    msgs.push(Msg::Exec(Event::RunFinished {
        run_id: "r".into(),
        finished_at: chrono::Utc::now(),
        counts: OutcomeCounts::default(),
        cancelled: false,
    }));
    send(app, msgs);
}

#[fixture]
fn t0() -> Instant {
    Instant::now()
}

#[fixture]
fn done(t0: Instant) -> App {
    let mut app = fixture::app(t0);
    finished(&mut app);
    app
}

fn cursor_key(app: &App) -> String {
    let id = app.selected().expect("a row under the cursor");
    let r = app.table.results.record(id).unwrap();
    format!("{} {}", r.host, r.key)
}

fn view_keys(app: &App) -> Vec<String> {
    app.table
        .view
        .iter()
        .map(|id| {
            let r = app.table.results.record(*id).unwrap();
            format!("{} {}", r.host, r.key)
        })
        .collect()
}

#[rstest]
fn start_asks_for_a_run_of_the_first_environment(t0: Instant) {
    let mut app = fixture::app(t0);
    let fx = send(&mut app, [Msg::Start]);
    let [
        Effect::StartRun(RunRequest {
            selection,
            only: None,
        }),
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    assert_eq!(selection.environment.as_deref(), Some("demo"));
    assert!(selection.hosts.is_empty());
}

#[rstest]
fn failures_come_first_with_the_worst_severity_on_top(done: App) {
    let first = done
        .table
        .results
        .record(done.table.view.to_vec()[0])
        .unwrap();
    assert_eq!(first.outcome, Outcome::Fail);
    let outcomes: Vec<Outcome> = done
        .table
        .view
        .iter()
        .map(|i| done.table.results.outcome(*i).unwrap())
        .collect();
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(outcomes, sorted, "fail, error, …, pass");
    assert_eq!(done.table.view.len(), 18);
}

#[rstest]
#[case::down(vec![key('j')], 1)]
#[case::arrow_down(vec![code(KeyCode::Down)], 1)]
#[case::down_up(vec![key('j'), key('j'), key('k')], 1)]
#[case::arrow_up_at_top(vec![code(KeyCode::Up)], 0)]
#[case::bottom(vec![key('G')], 17)]
#[case::end(vec![code(KeyCode::End)], 17)]
#[case::bottom_then_top(vec![key('G'), key('g')], 0)]
#[case::page_down(vec![code(KeyCode::PageDown)], 17)]
#[case::page_down_up(vec![code(KeyCode::PageDown), code(KeyCode::PageUp)], 0)]
#[case::past_the_end(vec![key('G'), key('j'), key('j')], 17)]
fn table_navigation(mut done: App, #[case] keys: Vec<Msg>, #[case] expect: usize) {
    send(&mut done, keys);
    assert_eq!(done.table.cursor, expect);
}

#[rstest]
fn page_moves_by_a_screen_and_scrolls(t0: Instant) {
    let mut app = fixture::app(t0);
    send(&mut app, [Msg::Resize(100, 14)]);
    finished(&mut app);
    let page = app.table_height();
    assert!(page < 18, "small screen: {page}");
    send(&mut app, [code(KeyCode::PageDown)]);
    assert_eq!(app.table.cursor, page - 1);
    send(&mut app, [code(KeyCode::PageDown)]);
    assert!(app.table.offset > 0 && app.table.cursor < app.table.offset + page);
}

#[rstest]
fn tab_cycles_focus_and_includes_detail_when_open(mut done: App) {
    assert_eq!(done.focus, Focus::Table);
    send(&mut done, [code(KeyCode::Tab)]);
    assert_eq!(done.focus, Focus::Hosts);
    send(&mut done, [code(KeyCode::Tab)]);
    assert_eq!(done.focus, Focus::Categories);
    send(
        &mut done,
        [code(KeyCode::Tab), code(KeyCode::Enter), code(KeyCode::Tab)],
    );
    assert_eq!(done.focus, Focus::Detail);
    send(
        &mut done,
        [Msg::Key(KeyEvent::new(
            KeyCode::BackTab,
            KeyModifiers::SHIFT,
        ))],
    );
    assert_eq!(done.focus, Focus::Table);
}

#[rstest]
fn moving_in_the_hosts_tree_narrows_the_table(mut done: App) {
    send(&mut done, [code(KeyCode::Tab), key('j')]);
    assert_eq!(done.current_host(), Some("local-1"));
    assert_eq!(done.table.view.len(), 6);
    assert!(view_keys(&done).iter().all(|k| k.starts_with("local-1 ")));
    // down to the staging environment: it expands, demo's hosts collapse, nothing to show
    send(&mut done, [key('j'), key('j'), key('j')]);
    assert_eq!(done.current_env(), Some("staging"));
    assert_eq!(done.current_host(), None);
    assert_eq!(done.table.view.len(), 0);
    send(&mut done, [key('g')]);
    assert_eq!(done.current_env(), Some("demo"));
    assert_eq!(done.table.view.len(), 18);
}

#[rstest]
fn moving_in_categories_narrows_the_table(mut done: App) {
    send(
        &mut done,
        [code(KeyCode::Tab), code(KeyCode::Tab), key('j')],
    );
    assert_eq!(done.current_category(), Some("kernel"));
    assert_eq!(done.table.view.len(), 6);
    send(&mut done, [key('k')]);
    assert_eq!(done.current_category(), None);
    assert_eq!(done.table.view.len(), 18);
}

#[rstest]
fn enter_opens_detail_and_esc_closes_it(mut done: App) {
    send(&mut done, [code(KeyCode::Enter)]);
    assert!(done.detail.open);
    send(&mut done, [code(KeyCode::Esc)]);
    assert!(!done.detail.open);
}

#[rstest]
fn enter_in_a_side_pane_goes_to_the_table(mut done: App) {
    send(&mut done, [code(KeyCode::Tab), code(KeyCode::Enter)]);
    assert_eq!(done.focus, Focus::Table);
    assert!(!done.detail.open);
}

#[rstest]
fn space_marks_and_moves_down_and_esc_clears_marks(mut done: App) {
    send(&mut done, [key(' '), key(' ')]);
    assert_eq!(done.table.marks.len(), 2);
    assert_eq!(done.table.cursor, 2);
    send(&mut done, [key('k'), key(' ')]);
    assert_eq!(done.table.marks.len(), 1, "space again unmarks");
    send(&mut done, [code(KeyCode::Esc)]);
    assert!(done.table.marks.is_empty());
}

#[rstest]
fn r_rechecks_the_marked_rows_only(mut done: App) {
    let first = cursor_key(&done);
    send(&mut done, [key(' ')]);
    let second = cursor_key(&done);
    send(&mut done, [key(' ')]);
    let fx = send(&mut done, [key('r')]);
    let [
        Effect::StartRun(RunRequest {
            selection,
            only: Some(only),
        }),
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    let mut got: Vec<String> = only.iter().map(|(h, k)| format!("{h} {k}")).collect();
    got.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(selection.environment.as_deref(), Some("demo"));
    assert!(!selection.checks.is_empty() && !selection.hosts.is_empty());
    assert!(
        done.table.marks.is_empty(),
        "marks are consumed by the re-check"
    );
    // a second request while the first is pending is refused
    let fx = send(&mut done, [key('r')]);
    assert!(fx.is_empty());
    assert!(done.status.contains("in progress"));
}

#[rstest]
fn r_without_marks_rechecks_the_cursor_row(mut done: App) {
    send(&mut done, [key('j')]);
    let want = cursor_key(&done);
    let fx = send(&mut done, [key('r')]);
    let [
        Effect::StartRun(RunRequest {
            only: Some(only), ..
        }),
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    assert_eq!(only.len(), 1);
    assert_eq!(format!("{} {}", only[0].0, only[0].1), want);
}

#[rstest]
fn recheck_results_replace_rows_in_place_and_fix_counts(mut done: App) {
    let id = done.selected().unwrap();
    let before = done.table.results.len();
    let mut rec = done.table.results.record(id).unwrap();
    assert_eq!(rec.outcome, Outcome::Fail);
    let host = rec.host.clone();
    let fails_before = done.host_tally("demo", &host).fail;
    rec.outcome = Outcome::Pass;
    rec.actual = rec.expected.clone();
    send(
        &mut done,
        [
            Msg::Exec(Event::RunStarted(Arc::new(fixture::meta("demo", 1, 1)))),
            Msg::Exec(Event::CheckResult(Box::new(rec))),
        ],
    );
    assert_eq!(done.table.results.len(), before, "no new row");
    assert_eq!(done.table.results.outcome(id).unwrap(), Outcome::Pass);
    assert_eq!(done.host_tally("demo", &host).fail, fails_before - 1);
}

#[rstest]
fn capital_r_reruns_the_current_scope(mut done: App) {
    send(&mut done, [code(KeyCode::Tab), key('j'), key('j')]);
    send(&mut done, [code(KeyCode::Tab), key('j')]);
    let fx = send(&mut done, [key('R')]);
    let [
        Effect::StartRun(RunRequest {
            selection,
            only: None,
        }),
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    assert_eq!(selection.environment.as_deref(), Some("demo"));
    assert_eq!(selection.hosts, ["local-2"]);
    assert_eq!(selection.categories, ["kernel"]);
}

#[rstest]
fn f_toggles_failures_only(mut done: App) {
    send(&mut done, [key('f')]);
    assert_eq!(done.table.view.len(), 9);
    assert!(done.table.view.iter().all(|i| done.row_is_failure(*i)));
    send(&mut done, [key('f')]);
    assert_eq!(done.table.view.len(), 18);
}

#[rstest]
fn s_cycles_the_sort(mut done: App) {
    let orders: Vec<SortOrder> = (0..5)
        .map(|_| {
            send(&mut done, [key('s')]);
            done.table.sort
        })
        .collect();
    assert_eq!(
        orders,
        [
            SortOrder::Severity,
            SortOrder::Host,
            SortOrder::Check,
            SortOrder::Duration,
            SortOrder::FailuresFirst
        ]
    );
    send(&mut done, [key('s'), key('s')]);
    assert!(
        view_keys(&done)
            .first()
            .unwrap()
            .starts_with("local-1 kernel.ostype")
    );
}

#[rstest]
fn slash_filters_fuzzily_enter_keeps_esc_clears(mut done: App) {
    send(&mut done, [key('/')]);
    assert_eq!(done.mode, InputMode::Filter);
    send(&mut done, typed("l3swp"));
    assert_eq!(view_keys(&done), ["local-3 vm.swappiness"]);
    send(
        &mut done,
        [
            code(KeyCode::Backspace),
            code(KeyCode::Backspace),
            code(KeyCode::Backspace),
        ],
    );
    assert_eq!(done.table.filter, "l3");
    send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(done.mode, InputMode::Normal);
    assert_eq!(done.table.view.len(), 6, "the filter stays after enter");
    send(&mut done, [code(KeyCode::Esc)]);
    assert_eq!(done.table.filter, "");
    assert_eq!(done.table.view.len(), 18);
}

#[rstest]
fn filter_matches_title_and_category_too(mut done: App) {
    send(&mut done, [key('/')]);
    send(&mut done, typed("SYN cookies"));
    assert_eq!(done.table.view.len(), 3);
    send(&mut done, [code(KeyCode::Esc)]);
    assert_eq!(done.mode, InputMode::Normal);
    assert_eq!(done.table.view.len(), 18, "esc in filter mode clears it");
    send(&mut done, [key('/')]);
    send(&mut done, typed("network"));
    assert_eq!(done.table.view.len(), 6);
}

#[rstest]
fn q_in_filter_mode_types_instead_of_quitting(mut done: App) {
    let fx = send(&mut done, [key('/'), key('q')]);
    assert!(fx.is_empty());
    assert_eq!(done.table.filter, "q");
}

#[rstest]
#[case::env("env staging", "staging", None, None)]
#[case::host("host local-2", "demo", Some("local-2"), None)]
#[case::cat("cat vm", "demo", None, Some("vm"))]
#[case::host_all("host", "demo", None, None)]
fn colon_commands_change_scope(
    mut done: App,
    #[case] line: &str,
    #[case] env: &str,
    #[case] host: Option<&str>,
    #[case] cat: Option<&str>,
) {
    send(&mut done, [key(':')]);
    send(&mut done, typed(line));
    send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(done.mode, InputMode::Normal);
    assert_eq!(done.current_env(), Some(env));
    assert_eq!(done.current_host(), host);
    assert_eq!(done.current_category(), cat);
}

#[rstest]
#[case::run("run", true)]
#[case::recheck("recheck", true)]
fn colon_run_and_recheck_start_runs(mut done: App, #[case] line: &str, #[case] starts: bool) {
    send(&mut done, [key(':')]);
    send(&mut done, typed(line));
    let fx = send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(matches!(fx.as_slice(), [Effect::StartRun(_)]), starts);
}

#[rstest]
fn colon_failures_theme_and_quit(mut done: App) {
    send(&mut done, [key(':')]);
    send(&mut done, typed("failures"));
    send(&mut done, [code(KeyCode::Enter)]);
    assert!(done.table.failures_only);
    send(&mut done, [key(':')]);
    send(&mut done, typed("theme light"));
    let fx = send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(fx, [Effect::LoadTheme("light".into())]);
    send(&mut done, [key(':'), key('q')]);
    let fx = send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(fx, [Effect::Quit]);
    assert!(done.quit);
}

#[rstest]
fn unknown_command_and_unknown_names_explain(mut done: App) {
    send(&mut done, [key(':')]);
    send(&mut done, typed("nope"));
    send(&mut done, [code(KeyCode::Enter)]);
    assert!(
        done.status.starts_with("unknown command :nope"),
        "{}",
        done.status
    );
    send(&mut done, [key(':')]);
    send(&mut done, typed("host db-99"));
    send(&mut done, [code(KeyCode::Enter)]);
    assert_eq!(done.status, "no host \"db-99\"");
}

#[rstest]
fn tab_completes_commands_and_hosts(mut done: App) {
    // (`:h` alone is ambiguous now: host, history)
    send(
        &mut done,
        [key(':'), key('h'), key('o'), code(KeyCode::Tab)],
    );
    assert_eq!(done.prompt.line, "host ");
    send(&mut done, typed("loc"));
    send(&mut done, [code(KeyCode::Tab)]);
    assert_eq!(done.prompt.line, "host local-");
    assert_eq!(done.prompt.completions, ["local-1", "local-2", "local-3"]);
    send(&mut done, [key('3'), code(KeyCode::Tab)]);
    assert_eq!(done.prompt.line, "host local-3");
}

#[rstest]
fn backspace_on_empty_command_leaves_command_mode(mut done: App) {
    send(&mut done, [key(':'), key('x'), code(KeyCode::Backspace)]);
    assert_eq!(done.prompt.line, "");
    assert_eq!(done.mode, InputMode::Command);
    send(&mut done, [code(KeyCode::Backspace)]);
    assert_eq!(done.mode, InputMode::Normal);
}

#[rstest]
fn esc_leaves_command_mode_without_running(mut done: App) {
    send(&mut done, [key(':')]);
    send(&mut done, typed("q"));
    let fx = send(&mut done, [code(KeyCode::Esc)]);
    assert!(fx.is_empty() && !done.quit);
    assert_eq!(done.mode, InputMode::Normal);
}

#[rstest]
fn question_mark_opens_help_and_esc_closes(mut done: App) {
    send(&mut done, [key('?')]);
    assert_eq!(done.mode, InputMode::Help);
    send(&mut done, [key('j'), key('j')]);
    assert_eq!(done.help.scroll, 2);
    assert_eq!(done.table.cursor, 0, "keys scroll the help, not the table");
    send(&mut done, [key('?')]);
    assert_eq!(done.mode, InputMode::Normal);
}

#[rstest]
fn ctrl_c_cancels_a_run_then_quits(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    let fx = send(&mut app, [ctrl('c')]);
    assert_eq!(fx, [Effect::CancelRun]);
    assert!(!app.quit);
    assert!(app.status.contains("ctrl-c again quits"));
    let fx = send(&mut app, [ctrl('c')]);
    assert!(fx.contains(&Effect::Quit));
    assert!(app.quit);
}

#[rstest]
fn ctrl_c_when_idle_quits(mut done: App) {
    let fx = send(&mut done, [ctrl('c')]);
    assert_eq!(fx, [Effect::Quit]);
}

#[rstest]
fn q_quits_and_cancels_a_running_run(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    let fx = send(&mut app, [key('q')]);
    assert_eq!(fx, [Effect::CancelRun, Effect::Quit]);
}

#[rstest]
fn run_progress_counts_hosts_results_and_rate(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [
            Msg::Tick(t0),
            Msg::Exec(Event::RunStarted(Arc::new(fixture::meta("demo", 3, 18)))),
        ],
    );
    assert!(app.running());
    send(
        &mut app,
        [
            Msg::Exec(Event::HostState {
                host: "local-1".into(),
                phase: HostPhase::Connecting,
            }),
            Msg::Exec(Event::HostState {
                host: "local-1".into(),
                phase: HostPhase::Done,
            }),
            Msg::Exec(Event::HostState {
                host: "local-2".into(),
                phase: HostPhase::Failed("ssh: refused".into()),
            }),
        ],
    );
    for r in demo_results(1) {
        send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(r)))]);
    }
    send(&mut app, [Msg::Tick(t0 + Duration::from_secs(2))]);
    let run = app.header.run.as_ref().unwrap();
    assert_eq!((run.hosts_done, run.hosts_total, run.results), (2, 3, 6));
    assert_eq!(run.elapsed(app.now), Duration::from_secs(2));
    assert_eq!(
        app.hosts
            .phase
            .get(&("demo".to_string(), "local-2".to_string())),
        Some(&HostPhase::Failed("ssh: refused".into()))
    );
    let counts = OutcomeCounts {
        pass: 3,
        fail: 2,
        error: 1,
        ..Default::default()
    };
    send(
        &mut app,
        [Msg::Exec(Event::RunFinished {
            run_id: "r".into(),
            // The run's own clock: 2.5 s after the fixture's `started_at`, while the frames
            // saw 2 s. The run's duration is the run's, not the gap between two frames.
            finished_at: chrono::DateTime::from_timestamp(1_764_590_402, 500_000_000)
                .unwrap_or_default(),
            counts,
            cancelled: false,
        })],
    );
    assert!(!app.running());
    assert!(
        app.status
            .starts_with("run finished in 2.5s: 3 pass, 1 error, 2 fail"),
        "{}",
        app.status
    );
    assert!(app.status.contains(" · #1 "), "{}", app.status);
    assert!(!app.status.contains("changed"), "{}", app.status);
    // The same run again (what `R` does): the footer says it is another run, and what moved.
    send(
        &mut app,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    let mut results = demo_results(1);
    results[0].outcome = if results[0].outcome == Outcome::Pass {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    for r in results {
        send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(r)))]);
    }
    send(
        &mut app,
        [Msg::Exec(Event::RunFinished {
            run_id: "r2".into(),
            finished_at: chrono::Utc::now(),
            counts,
            cancelled: false,
        })],
    );
    assert!(app.status.contains(" · #2 "), "{}", app.status);
    assert!(app.status.ends_with(" · 1 changed"), "{}", app.status);
}

#[rstest]
fn cancelled_run_says_so(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [
            Msg::Exec(Event::RunStarted(Arc::new(fixture::meta("demo", 3, 18)))),
            Msg::Exec(Event::RunFinished {
                run_id: "r".into(),
                finished_at: chrono::Utc::now(),
                counts: OutcomeCounts::default(),
                cancelled: true,
            }),
        ],
    );
    assert!(app.header.run.as_ref().unwrap().cancelled);
    assert!(app.status.starts_with("run cancelled"));
}

#[rstest]
fn the_cursor_follows_its_row_while_results_stream(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    let results = demo_results(3);
    let (passes, rest): (Vec<_>, Vec<_>) = results
        .into_iter()
        .partition(|r| r.outcome == Outcome::Pass);
    for r in passes {
        send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(r)))]);
    }
    send(&mut app, [key('j'), key('j')]);
    let watched = cursor_key(&app);
    for r in rest {
        send(&mut app, [Msg::Exec(Event::CheckResult(Box::new(r)))]);
    }
    assert_eq!(
        cursor_key(&app),
        watched,
        "failures sorted above; the cursor kept its row"
    );
    assert!(app.table.cursor > 2);
}

#[rstest]
fn tick_redraws_only_while_running(mut done: App, t0: Instant) {
    done.dirty = false;
    done.update(Msg::Tick(t0 + Duration::from_secs(5)));
    assert!(!done.dirty, "idle: a tick changes nothing visible");
    send(
        &mut done,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    done.dirty = false;
    done.update(Msg::Tick(t0 + Duration::from_secs(6)));
    assert!(done.dirty);
}

#[rstest]
fn side_messages_update_theme_status_and_pending(t0: Instant) {
    let mut app = fixture::app(t0);
    let fx = send(&mut app, [Msg::Start]);
    assert_eq!(fx.len(), 1);
    send(&mut app, [Msg::RunRejected("nothing to run".into())]);
    assert_eq!(app.status, "nothing to run");
    assert_eq!(
        send(&mut app, [key('R')]).len(),
        1,
        "rejection clears the pending run"
    );
    send(
        &mut app,
        [Msg::ThemeLoaded(Theme::embedded("light").unwrap())],
    );
    assert_eq!(app.theme.name, "light");
    send(&mut app, [Msg::Status("history: 3 lost".into())]);
    assert_eq!(app.status, "history: 3 lost");
    send(&mut app, [Msg::Resize(30, 8)]);
    assert_eq!(app.size, (30, 8));
}

#[rstest]
fn planned_targets_are_kept_for_the_detail(mut done: App) {
    let t = driftscope::model::ProbeTarget {
        module: driftscope::model::ModuleKind::Sysctl,
        subject: "vm.swappiness".into(),
    };
    send(
        &mut done,
        [Msg::Planned {
            host: "local-1".into(),
            targets: vec![(ExecKey("vm.swappiness".into()), t.clone())],
        }],
    );
    assert_eq!(done.detail.probes.get("local-1", "vm.swappiness"), Some(&t));
}

#[rstest]
fn every_bound_action_is_handled_without_panicking(mut done: App) {
    for mode in InputMode::ALL {
        for a in Action::ALL {
            if matches!(a, Action::Quit | Action::Interrupt) {
                continue;
            }
            done.mode = mode;
            done.update(Msg::Action(a));
            done.settle();
            assert!(done.table.cursor <= done.table.view.len());
        }
    }
}

#[rstest]
fn streamed_view_equals_a_rebuilt_view_even_with_replacements(t0: Instant) {
    let mut app = fixture::app(t0);
    send(
        &mut app,
        [Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
            "demo", 3, 18,
        ))))],
    );
    let mut results = demo_results(3);
    // the same key twice in one burst, with different outcomes
    let mut again = results[4].clone();
    again.outcome = Outcome::Pass;
    results.insert(7, again);
    for chunk in results.chunks(5) {
        for r in chunk {
            app.update(Msg::Exec(Event::CheckResult(Box::new(r.clone()))));
        }
        app.settle();
    }
    let streamed = app.table.view.clone();
    send(&mut app, [key('s'), key('s'), key('s'), key('s'), key('s')]);
    assert_eq!(app.table.sort, SortOrder::FailuresFirst);
    assert_eq!(
        streamed, app.table.view,
        "incremental merge == full rebuild"
    );
    assert_eq!(app.table.view.len(), 18);
}

/// The header line of a 120×30 frame.
fn header_line(app: &mut App) -> String {
    app.update(Msg::Resize(120, 30));
    app.settle();
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    let buf = term.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, 0)].symbol().to_string())
        .collect()
}

#[rstest]
fn while_a_run_is_planned_the_header_says_so_with_a_moving_clock(t0: Instant) {
    let mut app = fixture::app(t0);
    send(&mut app, [Msg::Start]);
    let line = header_line(&mut app);
    assert!(line.contains("◌ starting run"), "{line}");
    assert!(!line.contains("idle"), "{line}");
    // the loop's ticks keep redrawing while planning, and the clock moves
    app.dirty = false;
    send(&mut app, [Msg::Tick(t0 + Duration::from_secs(1))]);
    assert!(app.dirty, "a tick while planning asks for a frame");
    send(&mut app, [Msg::Tick(t0 + Duration::from_millis(3500))]);
    let line = header_line(&mut app);
    assert!(line.contains("◌ starting run · 2.5s"), "{line}");
}
