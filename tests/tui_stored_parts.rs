//! Opening on a large stored state (3,000 rows, more than one part): the first frame shows
//! the verdict and the worst rows at once, says how much is still loading, and the rest
//! arrives part by part into the same table a one-piece load would have built. Real SQLite
//! file written by the real writer, the real query thread answering.

#[path = "history_support/mod.rs"]
mod history_support;

use chrono::{Duration as ChronoDuration, Utc};
use driftscope::exec::Event;
use driftscope::model::{ExecKey, Outcome, OutcomeCounts, ResultRecord, Severity};
use driftscope::store::{Store, StoreWriter};
use driftscope::tui::app::{App, Effect, EnvEntry, Msg};
use driftscope::tui::fixture;
use driftscope::tui::keymap::Keymap;
use driftscope::tui::queries::{HistoryData, LATEST_FIRST_ROWS, LATEST_PART_ROWS};
use driftscope::tui::theme::Theme;
use history_support::{Asker, render, screen};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOSTS: usize = 60;
const CHECKS: usize = 50;

/// One full run of `HOSTS`×`CHECKS` results 2 hours ago; every 97th fails (31 failures),
/// host h-59's check c-00 ended in an error.
fn seed(db: &Path) {
    let writer = StoreWriter::spawn(db).expect("writer");
    let started = Utc::now() - ChronoDuration::hours(2);
    let mut meta = fixture::meta("big", HOSTS, HOSTS * CHECKS);
    meta.id = "20261201T000000.000Z-big001".into();
    meta.started_at = started;
    writer.send(&Event::RunStarted(Arc::new(meta)));
    let mut counts = OutcomeCounts::default();
    for h in 0..HOSTS {
        for c in 0..CHECKS {
            let i = h * CHECKS + c;
            let outcome = if h == 59 && c == 0 {
                Outcome::Error
            } else if i % 97 == 5 {
                Outcome::Fail
            } else {
                Outcome::Pass
            };
            counts.add(outcome);
            writer.send(&Event::CheckResult(Box::new(ResultRecord {
                environment: "big".into(),
                host: format!("h-{h:02}"),
                key: ExecKey(format!("c-{c:02}")),
                check_id: format!("c-{c:02}"),
                title: format!("check {c}"),
                category: "bulk".into(),
                severity: if c % 2 == 0 {
                    Severity::High
                } else {
                    Severity::Low
                },
                outcome,
                expected: json!({ "value": "1" }),
                actual: json!({ "value": if outcome == Outcome::Pass { "1" } else { "0" } }),
                reason: None,
                duration: Duration::from_millis(3),
                sop: None,
            })));
        }
    }
    writer.send(&Event::RunFinished {
        run_id: "20261201T000000.000Z-big001".into(),
        finished_at: started + ChronoDuration::seconds(5),
        counts,
        cancelled: false,
    });
    writer.finish().expect("finish");
}

fn app() -> App {
    App::new(
        vec![EnvEntry {
            name: "big".into(),
            hosts: Vec::new(),
        }],
        Default::default(),
        Default::default(),
        Keymap::embedded(),
        Theme::default_theme(),
        "history.db".into(),
        Instant::now(),
    )
}

#[test]
fn a_large_stored_state_shows_verdict_and_worst_rows_first_then_the_rest_part_by_part() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    seed(&db);
    let total = HOSTS * CHECKS;
    let mut app = app();
    let mut asker = Asker::new(Some(&db));
    let fx = app.update(Msg::Opened);
    let Some(Effect::Query(q)) = fx.into_iter().find(|e| matches!(e, Effect::Query(_))) else {
        panic!("opening asks for the stored state");
    };

    // The first part: the verdict and a screenful of the worst rows.
    let first = asker.ask(q);
    match &first.result {
        Ok(HistoryData::Latest(part)) => {
            let head = part.head.as_ref().expect("the first part carries the head");
            assert_eq!(head.total, total);
            assert_eq!(part.entries.len(), LATEST_FIRST_ROWS);
            assert!(!part.last);
        }
        other => panic!("not a part of the latest state: {other:?}"),
    }
    app.update(Msg::History(first));
    let term = render(&mut app, 140, 30);
    let text = screen(&term);
    assert!(
        text.contains("DRIFTED"),
        "the verdict is in the first frame:\n{text}"
    );
    assert!(
        text.contains(&format!("loading {LATEST_FIRST_ROWS}/{total} stored")),
        "the header says the rest is loading:\n{text}"
    );
    assert!(
        text.contains(&format!("Results {LATEST_FIRST_ROWS}")),
        "{text}"
    );
    // Worst first (the table's "failures first" order): the 31 failures, high severity
    // first, fill the screen; no pass among them.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" h-") && l.contains(" c-"))
        .collect();
    assert!(rows.len() > 20, "{text}");
    assert!(rows.iter().all(|l| l.contains(" fail ")), "{text}");
    assert!(
        rows[0].contains("h-02 c-02") && rows[0].contains("high"),
        "{text}"
    );

    // The rest, part by part; each part is merged in (a frame could be drawn between).
    let mut parts = 1;
    while app
        .header
        .stored
        .as_ref()
        .is_some_and(|s| s.loading.is_some())
    {
        let a = asker.next();
        if let Ok(HistoryData::Latest(p)) = &a.result {
            assert!(p.head.is_none() && p.entries.len() <= LATEST_PART_ROWS);
        }
        app.update(Msg::History(a));
        app.settle();
        parts += 1;
    }
    assert_eq!(
        parts,
        1 + (total - LATEST_FIRST_ROWS).div_ceil(LATEST_PART_ROWS)
    );
    let text = screen(&render(&mut app, 140, 30));
    assert!(text.contains(&format!("Results {total}")), "{text}");
    assert!(text.contains(&format!("{total} stored")), "{text}");
    assert!(!text.contains("loading"), "{text}");

    // The same table a one-piece load builds: the merged view equals a full rebuild, and the
    // verdict equals the one of the whole state read at once.
    let merged = app.table.view.clone();
    app.table.resort();
    app.settle();
    assert_eq!(merged, app.table.view);
    let whole = Store::open_readonly(&db)
        .unwrap()
        .latest_state("big")
        .unwrap();
    assert_eq!(whole.entries.len(), total);
    let (status, _, _) = whole.readiness(24 * 3600);
    assert_eq!(app.header.stored.as_ref().map(|s| s.status), Some(status));
}
