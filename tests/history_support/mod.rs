//! A real history for the TUI's history screens: the demo inventory's results written
//! through the real store writer into a real SQLite file (three full runs with a drift
//! injected between them), and the real query thread answering from it.
#![allow(dead_code)]

use chrono::{Duration as ChronoDuration, Utc};
use driftscope::exec::Event;
use driftscope::model::{Outcome, OutcomeCounts, ResultRecord};
use driftscope::store::StoreWriter;
use driftscope::tui::app::Msg;
use driftscope::tui::fixture;
use driftscope::tui::queries::{HistoryAnswer, HistoryQuery, QueryThread};
use driftscope::tui::worker::Reply;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Run ids of the seeded history, oldest first.
pub const RUNS: [&str; 3] = [
    "20261130T000000.000Z-aaaa01",
    "20261130T120000.000Z-bbbb02",
    "20261201T000000.000Z-cccc03",
];
/// How long ago each run started, in hours.
pub const HOURS_AGO: [i64; 3] = [26, 14, 2];

/// The demo results as run `i` (0-based) saw them: run 0 had IP forwarding off on local-3
/// (the drift appears in run 1); kernel.panic on local-1 flips fail → pass → fail.
pub fn run_results(i: usize) -> Vec<ResultRecord> {
    let mut out = fixture::demo_results(3);
    for r in &mut out {
        if i == 0 && r.host == "local-3" && r.key.as_str() == "net.ip-forward-off" {
            r.outcome = Outcome::Pass;
            r.actual = json!({ "value": "0" });
            r.reason = None;
        }
        if i == 1 && r.host == "local-1" && r.key.as_str() == "kernel.panic-reboot" {
            r.outcome = Outcome::Pass;
            r.actual = json!({ "value": "10" });
            r.reason = None;
        }
    }
    out
}

/// Write the three runs into `db` through the real writer thread.
pub fn seed(db: &Path) {
    let writer = StoreWriter::spawn(db).expect("spawn writer");
    for (i, id) in RUNS.iter().enumerate() {
        let started = Utc::now() - ChronoDuration::hours(HOURS_AGO[i]);
        let mut meta = fixture::meta("demo", 3, 18);
        meta.id = id.to_string();
        meta.started_at = started;
        writer.send(&Event::RunStarted(Arc::new(meta)));
        let mut counts = OutcomeCounts::default();
        for r in run_results(i) {
            counts.add(r.outcome);
            writer.send(&Event::CheckResult(Box::new(r)));
        }
        writer.send(&Event::RunFinished {
            run_id: id.to_string(),
            finished_at: started + ChronoDuration::seconds(4),
            counts,
            cancelled: false,
        });
    }
    // staging (one host) 3 hours ago: vm.swappiness is right there, kernel.panic is not
    let started = Utc::now() - ChronoDuration::hours(3);
    let mut meta = fixture::meta("staging", 1, 6);
    meta.id = STAGING_RUN.to_string();
    meta.started_at = started;
    writer.send(&Event::RunStarted(Arc::new(meta)));
    let mut counts = OutcomeCounts::default();
    for mut r in fixture::demo_results(1) {
        r.environment = "staging".into();
        r.host = "stage-1".into();
        if r.key.as_str() == "vm.swappiness" {
            r.outcome = Outcome::Pass;
            r.actual = json!({ "value": "10" });
            r.reason = None;
        }
        counts.add(r.outcome);
        writer.send(&Event::CheckResult(Box::new(r)));
    }
    writer.send(&Event::RunFinished {
        run_id: STAGING_RUN.to_string(),
        finished_at: started + ChronoDuration::seconds(2),
        counts,
        cancelled: false,
    });
    writer.finish().expect("finish writer");
}

/// The one run of the `staging` environment.
pub const STAGING_RUN: &str = "20261130T210000.000Z-dddd04";

/// The real query thread over a history file.
pub struct Asker {
    pub thread: QueryThread,
    rx: tokio::sync::mpsc::UnboundedReceiver<Reply>,
}

impl Asker {
    pub fn new(db: Option<&Path>) -> Asker {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        Asker {
            thread: QueryThread::spawn(db.map(Path::to_path_buf), tx),
            rx,
        }
    }

    /// Ask and wait (with a deadline) for the answer.
    pub fn ask(&mut self, q: HistoryQuery) -> HistoryAnswer {
        self.thread.ask(q);
        self.next()
    }

    /// The next answer (deadline 20 s).
    pub fn next(&mut self) -> HistoryAnswer {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.rx.try_recv() {
                Ok(Reply::Msg(Msg::History(a))) => return a,
                Ok(_) => {}
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                    assert!(Instant::now() < deadline, "no answer from the query thread");
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("query thread gone: {e}"),
            }
        }
    }

    /// Answer every question in `fx` into `app` (what the event loop does), repeatedly,
    /// until the app asks nothing more.
    pub fn serve(
        &mut self,
        app: &mut driftscope::tui::app::App,
        fx: Vec<driftscope::tui::app::Effect>,
    ) {
        let mut pending = fx;
        while !pending.is_empty() {
            let mut next = Vec::new();
            for e in pending {
                if let driftscope::tui::app::Effect::Query(q) = e {
                    let a = self.ask(q);
                    next.extend(app.update(Msg::History(a)));
                }
            }
            app.settle();
            pending = next;
        }
    }
}

/// A SOP library with `network-tuning` (the SOP the demo's network checks name), loaded
/// from a real file in `dir`.
pub fn sop_library(dir: &Path) -> driftscope::sop::SopLibrary {
    let sops = dir.join("sops");
    std::fs::create_dir_all(&sops).unwrap();
    std::fs::write(
        sops.join("network-tuning.md"),
        r##"+++
id = "network-tuning"
title = "a network sysctl differs"
owner = "net-oncall"
escalation = "#net-pager after 30 min"
last_reviewed = 2026-11-30
risk = "a sysctl change applies at once"
requires = ["sudo"]
+++
## Meaning
The kernel of {host} in {env} does not have the declared network setting.

## Impact
Packets may be forwarded where they must not be.

## Diagnose
```sh
ssh {host} sysctl net.ipv4.ip_forward
```

## Remediate
1. Set it on **{host}**:
   ```sh
   ssh {host} sudo sysctl -w net.ipv4.ip_forward=0
   ```
2. Persist it in `/etc/sysctl.d/`.

## Verify
driftscope run --host {host} --check {check_id}

## Rollback
`sysctl -w` the previous value.

## Escalate
Page net-oncall.
"##,
    )
    .unwrap();
    let lib = driftscope::sop::SopLibrary::load_dir(&sops);
    assert!(lib.errors().is_empty(), "{:?}", lib.errors());
    lib
}

/// Draw `app` into a TestBackend of `w`×`h`.
pub fn render(
    app: &mut driftscope::tui::app::App,
    w: u16,
    h: u16,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    app.update(Msg::Resize(w, h));
    app.settle();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| app.draw(f)).unwrap();
    term
}

/// The text of a rendered screen.
pub fn screen(term: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
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

/// A key press.
pub fn key(code: ratatui::crossterm::event::KeyCode) -> Msg {
    Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        code,
        ratatui::crossterm::event::KeyModifiers::NONE,
    ))
}

/// The demo app opened over the seeded history in `dir` (answers served by the real query
/// thread), with the SOPs of [`sop_library`].
pub fn seeded_app(dir: &Path) -> (driftscope::tui::app::App, Asker) {
    let db = dir.join("history.db");
    seed(&db);
    let mut app = fixture::app(Instant::now());
    app.sops = Arc::new(driftscope::tui::sops::SopBook::new(
        sop_library(dir),
        &fixture::demo_loaded(3),
    ));
    let mut asker = Asker::new(Some(&db));
    let fx = app.update(Msg::Opened);
    asker.serve(&mut app, fx);
    (app, asker)
}

/// Dates of the seeded runs move with the clock: snapshots show them as a placeholder.
pub fn dated<T>(f: impl FnOnce() -> T) -> T {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\d\d-\d\d \d\d:\d\d", "MM-DD hh:mm");
    s.bind(f)
}
