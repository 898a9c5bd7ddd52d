//! Render path: `ui::draw` over 50k results (target < 2 ms per frame), and the view rebuild
//! (`App::settle`) the loop runs before a frame when rows changed.

use criterion::{Criterion, criterion_group, criterion_main};
use driftscope::exec::Event;
use driftscope::tui::app::{App, Msg};
use driftscope::tui::fixture;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

fn app_with(n: usize) -> App {
    let mut app = fixture::app(Instant::now());
    app.update(Msg::Exec(Event::RunStarted(Arc::new(fixture::meta(
        "demo", 50, n,
    )))));
    for r in fixture::many_records("demo", 50, n) {
        app.update(Msg::Exec(Event::CheckResult(Box::new(r))));
    }
    app.update(Msg::Resize(200, 50));
    app.settle();
    app
}

fn key(app: &mut App, c: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    app.settle();
}

fn bench(c: &mut Criterion) {
    let mut app = app_with(50_000);
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    c.bench_function("draw 50k results 200x50", |b| {
        b.iter(|| term.draw(|f| black_box(&app).draw(f)).map(|_| ()))
    });
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    c.bench_function("draw 50k results, bottom row, detail open", |b| {
        b.iter(|| term.draw(|f| black_box(&app).draw(f)).map(|_| ()))
    });
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    for ch in "ssh".chars() {
        key(&mut app, KeyCode::Char(ch));
    }
    c.bench_function("draw 50k results, fuzzy filter active", |b| {
        b.iter(|| term.draw(|f| black_box(&app).draw(f)).map(|_| ()))
    });
    key(&mut app, KeyCode::Esc);
    c.bench_function(
        "view rebuild 50k: cycle all 5 sort orders (5 rebuilds)",
        |b| {
            b.iter(|| {
                for _ in 0..5 {
                    key(&mut app, KeyCode::Char('s'));
                }
            })
        },
    );
    c.bench_function(
        "view rebuild 50k: failures-only on + off (2 rebuilds)",
        |b| {
            b.iter(|| {
                key(&mut app, KeyCode::Char('f'));
                key(&mut app, KeyCode::Char('f'));
            })
        },
    );
    c.bench_function("fuzzy filter: type + erase one char over 50k rows", |b| {
        key(&mut app, KeyCode::Char('/'));
        key(&mut app, KeyCode::Char('s'));
        b.iter(|| {
            key(&mut app, KeyCode::Char('h'));
            key(&mut app, KeyCode::Backspace);
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
