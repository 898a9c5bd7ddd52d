//! History queries on real SQLite files written by the real writer thread.

mod store_support;

use driftscope::model::{Outcome, Severity};
use driftscope::store::{PruneSpec, ReadinessStatus, Store, TransitionKind};
use std::time::Duration;
use store_support::*;

const SSH: &str = "ssh.root[option=PermitRootLogin]";
const PKG: &str = "pkg.nginx";
const SYS: &str = "sysctl.ip_forward";

/// prod: three hosts, five runs (the last a narrow re-check of web-01).
fn prod_history(db: &std::path::Path) {
    let r1 = RunSpec::new(
        "r1",
        "prod",
        96,
        vec![
            pass("web-01", SSH),
            pass("web-01", PKG),
            pass("web-01", SYS),
            pass("db-01", SSH),
            pass("db-01", PKG),
            pass("db-01", SYS),
            pass("app-01", PKG),
        ],
    );
    let r2 = RunSpec::new(
        "r2",
        "prod",
        72,
        vec![
            pass("web-01", SSH),
            pass("web-01", PKG),
            fail("web-01", SYS, "0"),
            pass("db-01", SSH),
            fail("db-01", PKG, "1.0"),
            pass("db-01", SYS),
            pass("app-01", PKG),
        ],
    );
    let r3 = RunSpec::new(
        "r3",
        "prod",
        48,
        vec![
            pass("web-01", SSH),
            pass("web-01", PKG),
            fail("web-01", SYS, "0"),
            fail("db-01", SSH, "a"),
            fail("db-01", PKG, "1.0"),
            pass("db-01", SYS),
            pass("app-01", PKG),
        ],
    );
    let r4 = RunSpec::new(
        "r4",
        "prod",
        3,
        vec![
            fail("web-01", SSH, "yes"),
            pass("web-01", PKG),
            pass("web-01", SYS),
            fail("db-01", SSH, "b"),
            fail("db-01", PKG, "1.0"),
            pass("db-01", SYS),
            with("app-01", PKG, Outcome::Unreachable),
        ],
    );
    let r5 = RunSpec::new("r5", "prod", 1, vec![pass("web-01", SSH)]).narrow();
    let report = write_runs(db, &[r1, r2, r3, r4, r5]);
    assert_eq!(report.results_written, 29);
    assert_eq!(report.results_lost, 0);
}

#[test]
fn history_lists_runs_newest_first_with_counts_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    let store = Store::open(&db).unwrap();
    let runs = store.runs(Some("prod"), 10).unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r5", "r4", "r3", "r2", "r1"]);
    assert!(runs.iter().all(|r| r.status == "complete"));
    assert_eq!(runs[1].counts.fail, 3);
    assert_eq!(runs[1].counts.unreachable, 1);
    assert_eq!(runs[1].counts.pass, 3);
    assert!(!runs[0].full_scope);
    assert_eq!(runs[0].scope.hosts, ["web-01"]);
    assert_eq!(runs[1].duration_ms, Some(30_000));
    assert_eq!(store.runs(None, 2).unwrap().len(), 2);
    assert_eq!(store.environments().unwrap(), ["prod"]);
    // A unique prefix finds a run; an unknown one says so.
    assert_eq!(store.run("r4").unwrap().id, "r4");
    let err = store.run("nope").unwrap_err().to_string();
    assert!(err.contains("no run \"nope\""), "{err}");
}

#[test]
fn latest_state_takes_newest_result_per_host_check_across_narrow_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    let store = Store::open(&db).unwrap();
    let latest = store.latest_state("prod").unwrap();
    assert_eq!(latest.base_run.as_deref(), Some("r4"));
    assert_eq!(latest.entries.len(), 7);
    let get = |h: &str, k: &str| {
        latest
            .entries
            .iter()
            .find(|e| e.host == h && e.key == k)
            .unwrap_or_else(|| panic!("{h} {k} missing"))
    };
    // The narrow re-check fixed web-01's ssh check; the rest comes from r4.
    assert_eq!(get("web-01", SSH).outcome, Outcome::Pass);
    assert_eq!(get("web-01", SSH).run_id, "r5");
    assert_eq!(get("db-01", PKG).outcome, Outcome::Fail);
    assert_eq!(get("db-01", PKG).run_id, "r4");
    assert_eq!(get("db-01", PKG).actual["value"], "1.0");
    assert_eq!(get("db-01", PKG).expected["value"], "want");
    assert_eq!(get("app-01", PKG).outcome, Outcome::Unreachable);
    let age = get("db-01", PKG).age_secs;
    assert!((3 * 3600 - 60..=3 * 3600 + 60).contains(&age), "age {age}");
    assert_eq!(get("db-01", SSH).severity, Severity::High);
}

#[test]
fn timeline_shows_runs_newest_first_with_first_failed_and_streak() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    let store = Store::open(&db).unwrap();
    let tl = store.timeline(None, "db-01", PKG, 10).unwrap();
    let outcomes: Vec<Outcome> = tl.entries.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Fail, Outcome::Fail, Outcome::Fail, Outcome::Pass]
    );
    let runs: Vec<&str> = tl.entries.iter().map(|e| e.run_id.as_str()).collect();
    assert_eq!(runs, ["r4", "r3", "r2", "r1"], "r5 did not cover db-01");
    let streak = tl.streak.expect("failing streak");
    assert_eq!(streak.runs, 3);
    assert_eq!(streak.first_failed_run, "r2");
    assert_eq!(tl.entries[0].duration_ms, Some(42));
    // K limits the entries, not the streak.
    let short = store.timeline(Some("prod"), "db-01", PKG, 1).unwrap();
    assert_eq!(short.entries.len(), 1);
    assert_eq!(short.streak.map(|s| s.runs), Some(3));
    // A check id with a single execution resolves to its key.
    let by_id = store.timeline(None, "web-01", "ssh.root", 5).unwrap();
    assert_eq!(by_id.key, SSH);
    assert!(by_id.streak.is_none(), "fixed by the re-check");
    let err = store
        .timeline(None, "nohost", PKG, 5)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no host \"nohost\""), "{err}");
}

#[test]
fn failing_streaks_list_every_failing_check_longest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    let store = Store::open(&db).unwrap();
    let streaks = store.failing_streaks("prod").unwrap();
    let got: Vec<(&str, &str, u64, &str)> = streaks
        .iter()
        .map(|s| {
            (
                s.host.as_str(),
                s.key.as_str(),
                s.streak.runs,
                s.streak.first_failed_run.as_str(),
            )
        })
        .collect();
    assert_eq!(got, [("db-01", PKG, 3, "r2"), ("db-01", SSH, 2, "r3")]);
}

#[test]
fn diff_classifies_every_kind_of_transition() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    let store = Store::open(&db).unwrap();
    let diff = store.diff("r3", "r4").unwrap();
    let got: Vec<(TransitionKind, &str, &str)> = diff
        .transitions
        .iter()
        .map(|t| (t.kind, t.host.as_str(), t.key.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (TransitionKind::NewFailure, "web-01", SSH),
            (TransitionKind::Fixed, "web-01", SYS),
            (TransitionKind::NewlyUnreachable, "app-01", PKG),
            (TransitionKind::ValueChanged, "db-01", SSH),
            (TransitionKind::StillFailing, "db-01", PKG),
        ]
    );
    let changed = &diff.transitions[3];
    assert_eq!(changed.before.as_ref().unwrap().actual["value"], "a");
    assert_eq!(changed.after.actual["value"], "b");
    assert_eq!(diff.count(TransitionKind::NewFailure), 1);
    // The narrow run only compares what it covered.
    let narrow = store.diff("r4", "r5").unwrap();
    assert_eq!(narrow.transitions.len(), 1);
    assert_eq!(narrow.transitions[0].kind, TransitionKind::Fixed);
}

#[test]
fn flapping_ranks_checks_by_outcome_switches() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let runs: Vec<RunSpec> = (0..6)
        .map(|i| {
            let flap = if i % 2 == 0 {
                pass("h1", PKG)
            } else {
                fail("h1", PKG, "x")
            };
            let once = if i == 5 {
                fail("h1", SYS, "1")
            } else {
                pass("h1", SYS)
            };
            let twice = if i == 2 || i == 3 {
                fail("h2", PKG, "y")
            } else {
                pass("h2", PKG)
            };
            RunSpec::new(&format!("f{i}"), "flappy", 10 - i, vec![flap, once, twice])
        })
        .collect();
    write_runs(&db, &runs);
    let store = Store::open(&db).unwrap();
    let flappers = store.flapping("flappy", 6, 2, 10).unwrap();
    let got: Vec<(&str, &str, u32)> = flappers
        .iter()
        .map(|f| (f.host.as_str(), f.key.as_str(), f.switches))
        .collect();
    assert_eq!(got, [("h1", PKG, 5), ("h2", PKG, 2)]);
    assert_eq!(
        flappers[0].outcomes,
        [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Pass,
            Outcome::Fail
        ]
    );
    // A window of the last 3 runs sees only 2 switches of h1 and 1 of h2.
    let short = store.flapping("flappy", 3, 2, 10).unwrap();
    assert_eq!(short.len(), 1);
    assert_eq!(short[0].switches, 2);
}

#[test]
fn readiness_is_ready_drifted_stale_or_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    write_runs(
        &db,
        &[
            RunSpec::new("a", "ready", 1, vec![pass("h1", PKG), pass("h2", SSH)]),
            RunSpec::new(
                "b",
                "drifted",
                1,
                vec![fail("h1", PKG, "1"), fail("h1", SSH, "2"), pass("h2", SSH)],
            ),
            RunSpec::new("c", "stale", 48, vec![pass("h1", PKG)]),
            RunSpec::new(
                "d",
                "down",
                1,
                vec![pass("h1", PKG), with("h2", PKG, Outcome::Timeout)],
            ),
            RunSpec::new("e", "partial", 1, vec![pass("h1", PKG)]).cancelled(),
        ],
    );
    let store = Store::open(&db).unwrap();
    let day = Duration::from_secs(86_400);
    let ready = store.readiness("ready", day).unwrap();
    assert_eq!(ready.status, ReadinessStatus::Ready);
    assert_eq!(ready.hosts_total, 2);
    assert_eq!(ready.status.exit_code(), 0);

    let drifted = store.readiness("drifted", day).unwrap();
    assert_eq!(drifted.status, ReadinessStatus::Drifted);
    assert_eq!(drifted.counts.fail, 2);
    assert_eq!(drifted.failing_by_severity.get(&Severity::High), Some(&1));
    assert_eq!(drifted.failing_by_severity.get(&Severity::Medium), Some(&1));
    assert_eq!(drifted.status.exit_code(), 1);

    let stale = store.readiness("stale", day).unwrap();
    assert_eq!(stale.status, ReadinessStatus::Stale);
    assert_eq!(stale.status.exit_code(), 4);
    assert!(stale.reason.contains("2d"), "{}", stale.reason);
    assert_eq!(
        store.readiness("stale", 3 * day).unwrap().status,
        ReadinessStatus::Ready
    );

    let down = store.readiness("down", day).unwrap();
    assert_eq!(down.status, ReadinessStatus::Unknown);
    assert_eq!(down.hosts_not_reached, ["h2"]);

    let partial = store.readiness("partial", day).unwrap();
    assert_eq!(
        partial.status,
        ReadinessStatus::Unknown,
        "{}",
        partial.reason
    );

    let err = store.readiness("nope", day).unwrap_err().to_string();
    assert!(err.contains("no environment \"nope\""), "{err}");
}

#[test]
fn prune_keeps_the_newest_runs_and_drops_what_only_old_runs_used() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    prod_history(&db);
    write_runs(
        &db,
        &[RunSpec::new(
            "s1",
            "staging",
            200,
            vec![fail("st-01", PKG, "ancient")],
        )],
    );
    let store = Store::open(&db).unwrap();
    let report = store
        .prune(&PruneSpec {
            keep_runs: Some(2),
            ..PruneSpec::default()
        })
        .unwrap();
    assert_eq!(report.runs_deleted, 3);
    assert_eq!(report.results_deleted, 21);
    let ids: Vec<String> = store
        .runs(None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r5", "r4", "s1"], "keep-runs counts per environment");
    // The history still answers from what is left.
    assert_eq!(store.latest_state("prod").unwrap().entries.len(), 7);
    let report = store
        .prune(&PruneSpec {
            older_than: Some(Duration::from_secs(100 * 3600)),
            ..PruneSpec::default()
        })
        .unwrap();
    assert_eq!(report.runs_deleted, 1);
    assert!(report.hosts_deleted >= 1, "st-01 is gone with its only run");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM vals WHERE actual LIKE '%ancient%'"
        ),
        0
    );
    assert_eq!(text(&db, "PRAGMA integrity_check"), "ok");
}
