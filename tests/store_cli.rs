//! `driftscope history | drift | status | show | prune` against a real history file written
//! by the real writer thread.

mod store_support;

use assert_cmd::Command;
use driftscope::model::Outcome;
use predicates::prelude::*;
use std::path::Path;
use store_support::*;

const SSH: &str = "ssh.root[option=PermitRootLogin]";
const PKG: &str = "pkg.nginx";
const SYS: &str = "sysctl.ip_forward";

fn populate(db: &Path) {
    write_runs(
        db,
        &[
            RunSpec::new(
                "20261120T100000.000Z-aaaaaa",
                "prod",
                72,
                vec![
                    pass("web-01", SSH),
                    pass("web-01", PKG),
                    fail("web-01", SYS, "0"),
                    pass("db-01", SSH),
                    fail("db-01", PKG, "1.0"),
                    pass("db-01", SYS),
                ],
            ),
            RunSpec::new(
                "20261121T100000.000Z-bbbbbb",
                "prod",
                26,
                vec![
                    pass("web-01", SSH),
                    pass("web-01", PKG),
                    fail("web-01", SYS, "0"),
                    pass("db-01", SSH),
                    fail("db-01", PKG, "1.0"),
                    pass("db-01", SYS),
                ],
            ),
            RunSpec::new(
                "20261122T100000.000Z-cccccc",
                "prod",
                2,
                vec![
                    fail("web-01", SSH, "yes"),
                    pass("web-01", PKG),
                    pass("web-01", SYS),
                    pass("db-01", SSH),
                    fail("db-01", PKG, "1.0"),
                    with("db-01", SYS, Outcome::Unreachable),
                ],
            ),
            RunSpec::new(
                "20261122T110000.000Z-dddddd",
                "staging",
                1,
                vec![pass("st-01", PKG)],
            ),
            RunSpec::new(
                "20261119T110000.000Z-eeeeee",
                "dr",
                100,
                vec![pass("dr-01", PKG)],
            ),
        ],
    );
}

/// `driftscope <args> --db <db>`.
fn cmd(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("driftscope").unwrap();
    c.env_remove("DRIFTSCOPE_DB").args(args).arg("--db").arg(db);
    c
}

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = cmd(db, args).args(["--format", "json"]).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn history_lists_runs_with_env_scope_status_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    cmd(&db, &["history"])
        .assert()
        .success()
        .stdout(predicate::str::contains("RUN"))
        .stdout(predicate::str::contains("20261122T100000.000Z-cccccc"))
        .stdout(predicate::str::contains("complete"))
        .stdout(predicate::str::contains("3 pass, 1 unreachable, 2 fail"));
    let runs = json(&db, &["history", "--env", "prod", "--limit", "2"]);
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["id"], "20261122T100000.000Z-cccccc");
    assert_eq!(runs[0]["environment"], "prod");
    assert_eq!(runs[0]["counts"]["fail"], 2);
    assert_eq!(runs[0]["status"], "complete");
}

#[test]
fn drift_without_arguments_compares_the_latest_run_with_the_previous_and_exits_1_on_new_drift() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    // The newest run overall is staging (one run only): nothing to compare, exit 0.
    cmd(&db, &["drift"]).assert().code(0);
    cmd(&db, &["drift", "--env", "prod"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 new failure"))
        .stdout(predicate::str::contains("web-01"))
        .stdout(predicate::str::contains(
            "+ ssh.root[option=PermitRootLogin]  new failure (high)",
        ))
        .stdout(predicate::str::contains(r#"expected {"value":"want"}"#))
        .stdout(predicate::str::contains(r#"now      fail {"value":"yes"}"#))
        .stdout(predicate::str::contains("- sysctl.ip_forward  fixed"))
        .stdout(predicate::str::contains(
            "! sysctl.ip_forward  newly unreachable",
        ))
        .stdout(predicate::str::contains(
            "1 still failing with the same values",
        ));
    let d = json(&db, &["drift", "--env", "prod"]);
    assert_eq!(d["run_a"]["id"], "20261121T100000.000Z-bbbbbb");
    assert_eq!(d["run_b"]["id"], "20261122T100000.000Z-cccccc");
    assert_eq!(d["counts"]["new_failure"], 1);
    assert_eq!(d["counts"]["fixed"], 1);
}

#[test]
fn drift_between_chosen_runs_and_since_grouped_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    // Between the two older runs nothing changed: exit 0.
    cmd(&db, &["drift", "--run", "20261121", "--vs", "20261120"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 still failing"));
    // `--vs` alone: the newest run of that run's environment (prod, not staging).
    let d = json(&db, &["drift", "--vs", "20261120"]);
    assert_eq!(d["run_b"]["id"], "20261122T100000.000Z-cccccc");
    // Since 48h ago: the latest prod run vs the run from 72h ago.
    let d = json(&db, &["drift", "--env", "prod", "--since", "48h"]);
    assert_eq!(d["run_a"]["id"], "20261120T100000.000Z-aaaaaa");
    cmd(&db, &["drift", "--env", "prod", "--by", "check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\nssh.root[option=PermitRootLogin]\n  + web-01  new failure",
        ));
    cmd(&db, &["drift", "--run", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no run \"nope\""));
    cmd(&db, &["drift", "--since", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected a number and a unit"));
}

#[test]
fn status_exit_codes_follow_readiness() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    cmd(&db, &["status", "staging"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("READY"));
    cmd(&db, &["status", "prod"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DRIFTED"))
        .stdout(predicate::str::contains("not reached: db-01"))
        .stdout(predicate::str::contains("failing since 3 runs"));
    cmd(&db, &["status", "dr"])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("STALE"));
    cmd(&db, &["status", "dr", "--stale-after", "7d"])
        .assert()
        .code(0);
    // Every environment: the worst (prod, drifted) decides.
    cmd(&db, &["status"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("staging"))
        .stdout(predicate::str::contains("dr "));
    let s = json(&db, &["status", "prod"]);
    assert_eq!(s["environments"][0]["status"], "DRIFTED");
    assert_eq!(s["environments"][0]["counts"]["fail"], 2);
    assert_eq!(s["environments"][0]["failing_by_severity"]["high"], 1);
    assert_eq!(s["failing"][0]["host"], "db-01");
    assert_eq!(s["exit_code"], 1);
    cmd(&db, &["status", "qa"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no environment \"qa\""));
}

#[test]
fn show_prints_the_timeline_with_the_streak() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    cmd(&db, &["show", "db-01", PKG])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "db-01 · pkg.nginx  (prod, medium)",
        ))
        .stdout(predicate::str::contains("failing since 3 runs"))
        .stdout(predicate::str::contains(
            "first failed in 20261120T100000.000Z-aaaaaa",
        ))
        // Expected and actual rendered as `run` renders them, not as raw JSON.
        .stdout(predicate::str::contains(r#"expected: value = "want""#))
        .stdout(predicate::str::contains(r#"fail     value = "1.0""#));
    // `-i` names the environment through the inventory that holds the host.
    let inv = dir.path().join("prod.toml");
    std::fs::write(
        &inv,
        "[environment]\nname = \"prod\"\n[[host]]\nname = \"db-01\"\n",
    )
    .unwrap();
    cmd(&db, &["show", "-i", inv.to_str().unwrap(), "db-01", PKG])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "db-01 · pkg.nginx  (prod, medium)",
        ));
    cmd(&db, &["show", "-i", inv.to_str().unwrap(), "web-09", PKG])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "host `web-09` is in none of the inventories given with -i (prod)",
        ));
    let t = json(&db, &["show", "web-01", "ssh.root", "--last", "2"]);
    assert_eq!(t["entries"].as_array().unwrap().len(), 2);
    assert_eq!(t["entries"][0]["outcome"], "fail");
    assert_eq!(t["streak"]["runs"], 1);
    cmd(&db, &["show", "db-01", "nosuch.check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no check \"nosuch.check\""));
}

#[test]
fn prune_deletes_old_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    populate(&db);
    cmd(&db, &["prune"]).assert().code(2);
    cmd(&db, &["prune", "--keep-runs", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("deleted 2 runs (12 results"));
    let runs = json(&db, &["history"]);
    assert_eq!(runs.as_array().unwrap().len(), 3);
    let r = json(&db, &["prune", "--older-than", "90h", "--vacuum"]);
    assert_eq!(r["runs_deleted"], 1);
}

#[test]
fn corrupt_or_missing_database_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("junk.db");
    let bytes = b"garbage, not sqlite at all".repeat(100);
    std::fs::write(&db, &bytes).unwrap();
    for sub in [
        &["history"][..],
        &["status"],
        &["drift"],
        &["show", "h", "c"],
        &["prune", "--keep-runs", "1"],
    ] {
        cmd(&db, sub)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(db.display().to_string()))
            .stderr(predicate::str::contains("not a driftscope history"));
    }
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
    let missing = dir.path().join("none.db");
    cmd(&missing, &["history"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no history database here yet"));
    assert!(!missing.exists(), "read commands never create a database");
    // DRIFTSCOPE_DB is the default path.
    Command::cargo_bin("driftscope")
        .unwrap()
        .env("DRIFTSCOPE_DB", &missing)
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none.db"));
}
