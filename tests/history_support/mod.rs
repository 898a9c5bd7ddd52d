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
    writer.finish().expect("finish writer");
}

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
