//! Whole-screen snapshots rendered into ratatui's TestBackend: a live run mid-stream, a
//! failure's detail, help, an active filter, a tiny terminal, and every theme (with styles).

use driftscope::exec::Event;
use driftscope::model::{HostPhase, Outcome, OutcomeCounts};
use driftscope::tui::app::{App, Msg};
use driftscope::tui::fixture::{self, demo_results};
use driftscope::tui::theme::{EMBEDDED, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    app.settle();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.draw(f)).unwrap();
    term
}

fn keys(app: &mut App, codes: &[KeyCode]) {
    for c in codes {
        app.update(Msg::Key(KeyEvent::new(*c, KeyModifiers::NONE)));
        app.settle();
    }
}

fn chars(app: &mut App, s: &str) {
    let codes: Vec<KeyCode> = s.chars().map(KeyCode::Char).collect();
    keys(app, &codes);
}

fn exec(app: &mut App, ev: Event) {
    app.update(Msg::Exec(ev));
}

/// A run 1.5 s in: local-1 done, local-2 probing, local-3 still connecting.
fn mid_stream() -> App {
    let t0 = Instant::now();
    let mut app = fixture::app(t0);
    app.update(Msg::Tick(t0));
    exec(
        &mut app,
        Event::RunStarted(Arc::new(fixture::meta("demo", 3, 18))),
    );
    for (h, p) in [
        ("local-1", HostPhase::Done),
        ("local-2", HostPhase::Probing),
        ("local-3", HostPhase::Connecting),
    ] {
        exec(
            &mut app,
            Event::HostState {
                host: h.into(),
                phase: p,
            },
        );
    }
    for r in demo_results(1) {
        exec(&mut app, Event::CheckResult(Box::new(r)));
    }
    app.update(Msg::Tick(t0 + Duration::from_millis(1500)));
    app
}

/// The demo run finished, plus an unreachable staging host.
fn finished() -> App {
    let mut app = mid_stream();
    let t = app.now;
    for r in demo_results(3) {
        exec(&mut app, Event::CheckResult(Box::new(r)));
    }
    for h in ["local-2", "local-3"] {
        exec(
            &mut app,
            Event::HostState {
                host: h.into(),
                phase: HostPhase::Done,
            },
        );
    }
    app.update(Msg::Tick(t + Duration::from_millis(700)));
    exec(
        &mut app,
        Event::RunFinished {
            run_id: "r".into(),
            // A fixed time: the footer names it.
            finished_at: chrono::DateTime::from_timestamp(1_764_590_400, 0).unwrap_or_default(),
            counts: OutcomeCounts {
                pass: 9,
                fail: 6,
                error: 3,
                ..Default::default()
            },
            cancelled: false,
        },
    );
    app
}

#[test]
fn live_run_mid_stream() {
    let mut app = mid_stream();
    insta::assert_snapshot!(render(&mut app, 120, 30).backend());
}

#[test]
fn finished_run() {
    let mut app = finished();
    insta::assert_snapshot!(render(&mut app, 120, 30).backend());
}

#[test]
fn failure_detail() {
    let mut app = finished();
    keys(&mut app, &[KeyCode::Enter]);
    let id = app.selected().unwrap();
    assert_eq!(app.table.results.outcome(id).unwrap(), Outcome::Fail);
    insta::assert_snapshot!(render(&mut app, 120, 36).backend());
}

#[test]
fn error_detail_shows_the_reason() {
    let mut app = finished();
    chars(&mut app, "/");
    chars(&mut app, "such-knob");
    keys(&mut app, &[KeyCode::Enter, KeyCode::Enter]);
    insta::assert_snapshot!(render(&mut app, 100, 30).backend());
}

#[test]
fn help_overlay() {
    let mut app = finished();
    chars(&mut app, "?");
    insta::assert_snapshot!(render(&mut app, 110, 48).backend());
}

#[test]
fn filter_active() {
    let mut app = finished();
    chars(&mut app, "/");
    chars(&mut app, "net");
    let term = render(&mut app, 120, 24);
    // the matched characters are highlighted (underlined) in the host/check/category cells
    let buf = term.backend().buffer();
    let underlined = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|(x, y)| buf[(*x, *y)].modifier.contains(Modifier::UNDERLINED))
        .count();
    assert!(underlined >= 9, "highlighted matches: {underlined}");
    insta::assert_snapshot!(term.backend());
}

#[test]
fn command_mode_with_completions() {
    let mut app = finished();
    chars(&mut app, ":host l");
    keys(&mut app, &[KeyCode::Tab]);
    insta::assert_snapshot!(render(&mut app, 100, 14).backend());
}

#[test]
fn tiny_terminal() {
    let mut app = finished();
    insta::assert_snapshot!(render(&mut app, 20, 5).backend());
}

#[test]
fn narrow_terminal_drops_columns_and_the_side_panes() {
    let mut app = finished();
    insta::assert_snapshot!(render(&mut app, 60, 14).backend());
}

#[test]
fn no_size_panics() {
    let mut app = finished();
    keys(&mut app, &[KeyCode::Enter]);
    for w in (0..=130).step_by(3) {
        for h in (0..=45).step_by(2) {
            render(&mut app, w, h);
        }
    }
    chars(&mut app, "?");
    for (w, h) in [(0, 0), (1, 1), (20, 5), (49, 9), (50, 10), (51, 11)] {
        render(&mut app, w, h);
    }
}

fn color(c: Option<Color>) -> String {
    c.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
}

/// Text of the buffer followed by the runs of non-default style on each line.
fn styled_dump(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        writeln!(out, "{line}").unwrap();
    }
    writeln!(out, "--- styles (row: columns fg/bg/modifiers)").unwrap();
    for y in 0..buf.area.height {
        let mut runs = Vec::new();
        let mut x = 0;
        while x < buf.area.width {
            let c = &buf[(x, y)];
            let key = (c.fg, c.bg, c.modifier);
            let start = x;
            while x < buf.area.width && {
                let d = &buf[(x, y)];
                (d.fg, d.bg, d.modifier) == key
            } {
                x += 1;
            }
            if key != (Color::Reset, Color::Reset, Modifier::empty()) {
                runs.push(format!(
                    "{start}-{} {}/{}/{:?}",
                    x - 1,
                    color(Some(key.0)),
                    color(Some(key.1)),
                    key.2
                ));
            }
        }
        if !runs.is_empty() {
            writeln!(out, "{y:>2}: {}", runs.join("  ")).unwrap();
        }
    }
    out
}

#[test]
fn each_theme() {
    for (name, _) in EMBEDDED {
        let mut app = finished();
        app.update(Msg::ThemeLoaded(Theme::embedded(name).unwrap()));
        keys(
            &mut app,
            &[KeyCode::Char('j'), KeyCode::Char(' '), KeyCode::Enter],
        );
        let term = render(&mut app, 100, 24);
        insta::assert_snapshot!(
            format!("theme_{name}"),
            styled_dump(term.backend().buffer())
        );
    }
}

#[test]
fn no_color_theme_has_no_colors() {
    let mut app = finished();
    app.update(Msg::ThemeLoaded(Theme::default_theme().without_color()));
    let term = render(&mut app, 100, 24);
    let buf = term.backend().buffer();
    for c in buf.content() {
        assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset), "{c:?}");
    }
    insta::assert_snapshot!(styled_dump(buf));
}
