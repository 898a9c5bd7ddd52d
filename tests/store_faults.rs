//! Faults: files that are not ours, newer schemas, locks, a full disk, a writer killed with
//! SIGKILL. All on real SQLite files; the kill test uses a real child process.

mod store_support;

use driftscope::exec::Event;
use driftscope::store::{Store, StoreError, StoreWriter, WriterOptions};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use store_support::*;

fn assert_untouched(path: &Path, before: &[u8]) {
    assert_eq!(std::fs::read(path).unwrap(), before, "file bytes changed");
    for side in ["-wal", "-shm", "-journal"] {
        let p = format!("{}{side}", path.display());
        assert!(!Path::new(&p).exists(), "{p} was created");
    }
}

#[test]
fn non_sqlite_file_is_refused_naming_the_path_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    let bytes: Vec<u8> = b"these are my notes, not a database\n".repeat(300);
    std::fs::write(&db, &bytes).unwrap();
    let err = StoreWriter::spawn(&db).err().expect("refused");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(msg.contains(&db.display().to_string()), "{msg}");
    assert!(msg.contains("not a driftscope history"), "{msg}");
    let err = Store::open(&db).err().expect("refused");
    assert!(err.to_string().contains("notes.txt"));
    assert_untouched(&db, &bytes);
}

#[test]
fn corrupt_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&db, &bytes).unwrap();
    let err = StoreWriter::spawn(&db).err().expect("refused");
    assert!(err.to_string().contains(&db.display().to_string()), "{err}");
    assert_untouched(&db, &bytes);
}

#[test]
fn another_applications_sqlite_database_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")
            .unwrap();
    }
    let bytes = std::fs::read(&db).unwrap();
    let err = Store::open(&db).err().expect("refused");
    assert!(err.to_string().contains("another application"), "{err}");
    assert_untouched(&db, &bytes);
}

#[test]
fn newer_schema_is_refused_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    write_runs(&db, &[RunSpec::new("r1", "prod", 1, vec![pass("h", "c")])]);
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA user_version = 99; PRAGMA journal_mode = DELETE;")
            .unwrap();
    }
    let bytes = std::fs::read(&db).unwrap();
    let err = StoreWriter::spawn(&db).err().expect("refused");
    assert!(
        matches!(err, StoreError::TooNew { found: 99, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("newer than this driftscope"),
        "{err}"
    );
    assert!(Store::open_readonly(&db).is_err());
    assert_untouched(&db, &bytes);
}

#[test]
fn reopening_keeps_the_history_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/h.db");
    write_runs(&db, &[RunSpec::new("r1", "prod", 2, vec![pass("h", "c")])]);
    write_runs(
        &db,
        &[RunSpec::new("r2", "prod", 1, vec![fail("h", "c", "x")])],
    );
    let store = Store::open_readonly(&db).unwrap();
    assert_eq!(store.runs(None, 10).unwrap().len(), 2);
    assert_eq!(
        count(&db, "PRAGMA user_version"),
        driftscope::store::SCHEMA_VERSION
    );
    assert_eq!(text(&db, "PRAGMA journal_mode"), "wal");
    // Interning: two hosts × the same check share one check row; equal values one value row.
    assert_eq!(count(&db, "SELECT count(*) FROM checks"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM vals"), 2);
}

/// A history with one run in `dir`, and another connection holding its write lock (an open
/// `BEGIN IMMEDIATE` transaction) until it is rolled back or dropped.
fn history_locked_by_another_writer(
    dir: &std::path::Path,
) -> (std::path::PathBuf, rusqlite::Connection) {
    let db = dir.join("h.db");
    write_runs(&db, &[RunSpec::new("r1", "prod", 2, vec![pass("h", "c")])]);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO envs (name) VALUES ('held');")
        .unwrap();
    (db, holder)
}

#[test]
fn a_lock_held_beyond_the_busy_timeout_is_a_clear_error_and_counted_loss() {
    let dir = tempfile::tempdir().unwrap();
    let (db, holder) = history_locked_by_another_writer(dir.path());
    let opts = WriterOptions {
        busy_timeout: Duration::from_millis(200),
        ..WriterOptions::default()
    };
    let writer = StoreWriter::spawn_with(&db, opts).unwrap();
    for ev in events(&RunSpec::new(
        "r2",
        "prod",
        1,
        vec![pass("h", "c"), pass("h2", "c")],
    )) {
        writer.send(&ev);
    }
    let report = writer.finish().unwrap();
    assert_eq!(report.results_written, 0);
    assert_eq!(report.results_lost, 2);
    let msg = report.errors.join("\n");
    assert!(msg.contains("locked by another writer"), "{msg}");
    assert!(msg.contains("h.db"), "{msg}");
    holder.execute_batch("ROLLBACK").unwrap();
    // Prune also needs the write lock.
    holder
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO envs (name) VALUES ('held');")
        .unwrap();
    let store = Store::open(&db).unwrap();
    let err = store
        .prune(&driftscope::store::PruneSpec {
            keep_runs: Some(0),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    holder.execute_batch("ROLLBACK").unwrap();
}

/// Many distinct results so the database must grow.
fn big_run(id: &str, n: usize) -> Vec<Event> {
    let spec = RunSpec::new(id, "prod", 1, Vec::new());
    let mut evs = events(&spec);
    let finish = evs.pop().unwrap();
    for i in 0..n {
        let host: &'static str = Box::leak(format!("host-{:04}", i / 50).into_boxed_str());
        let key: &'static str = Box::leak(format!("check.{}", i % 50).into_boxed_str());
        let r = fail(
            host,
            key,
            &format!("distinct value number {i} {}", "x".repeat(40)),
        );
        evs.push(Event::CheckResult(Box::new(record("prod", &r))));
    }
    evs.push(finish);
    evs
}

#[test]
fn disk_full_marks_the_run_incomplete_and_reports_the_loss() {
    // Simulated with SQLite's max_page_count (a size quota that fails exactly like a full
    // disk, SQLITE_FULL); the tmpfs test below does it with a real full filesystem.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    write_runs(&db, &[RunSpec::new("r0", "prod", 2, vec![pass("h", "c")])]);
    let pages = count(&db, "PRAGMA page_count") as u64;
    let opts = WriterOptions {
        max_page_count: Some(pages + 12),
        ..WriterOptions::default()
    };
    let writer = StoreWriter::spawn_with(&db, opts).unwrap();
    let evs = big_run("full", 5000);
    for ev in &evs {
        writer.send(ev);
    }
    let report = writer.finish().unwrap();
    assert!(report.results_lost > 0, "{report:?}");
    assert_eq!(report.results_written + report.results_lost, 5000);
    assert!(
        report.errors.join(" ").contains("disk full"),
        "{:?}",
        report.errors
    );
    let store = Store::open(&db).unwrap();
    let run = store.run("full").unwrap();
    assert_eq!(run.status, "incomplete");
    assert_eq!(run.results_lost, report.results_lost);
    assert_eq!(run.counts.total(), report.results_written);
    assert_eq!(text(&db, "PRAGMA integrity_check"), "ok");
}

#[test]
fn disk_full_on_a_real_tmpfs() {
    let mnt = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=600k", "tmpfs"])
        .arg(mnt.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot mount a tmpfs here (needs root); max_page_count test covers it");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let db = mnt.path().join("h.db");
    let writer = StoreWriter::spawn(&db).unwrap();
    let evs = big_run("full", 20_000);
    for ev in &evs {
        writer.send(ev);
    }
    let report = writer.finish().unwrap();
    assert!(report.results_lost > 0, "{report:?}");
    assert!(report.results_written > 0, "{report:?}");
    assert_eq!(report.results_written + report.results_lost, 20_000);
    assert!(
        report.errors.join(" ").contains("full"),
        "{:?}",
        report.errors
    );
    // What was committed is readable; the run is not reported as complete.
    let store = Store::open_readonly(&db).unwrap();
    let run = store.run("full").unwrap();
    assert_ne!(run.status, "complete");
    assert_eq!(run.counts.total(), report.results_written);
}

/// The child side of the SIGKILL tests. Does nothing unless started by one of them.
/// `DRIFTSCOPE_TEST_CHILD_MODE=stream`: send results until killed, reporting the count.
/// `exact`: send 5500 results with the 100 ms flush timer disabled, report, then idle.
#[test]
#[ignore = "helper process for the SIGKILL tests"]
fn child_writer_process() {
    let Some(db) = std::env::var_os("DRIFTSCOPE_TEST_CHILD_DB") else {
        return;
    };
    let exact = std::env::var("DRIFTSCOPE_TEST_CHILD_MODE").as_deref() == Ok("exact");
    let opts = WriterOptions {
        flush_interval: if exact {
            Duration::from_secs(3600)
        } else {
            WriterOptions::default().flush_interval
        },
        ..WriterOptions::default()
    };
    let writer = StoreWriter::spawn_with(Path::new(&db), opts).unwrap();
    let spec = RunSpec::new("killed", "prod", 0, Vec::new());
    writer.send(&Event::RunStarted(Arc::new(meta(
        &spec.id,
        &spec.env,
        spec.started_at,
        false,
    ))));
    let mut sent = 0u64;
    for round in 0u64.. {
        for i in 0..100u64 {
            let host: &'static str = Box::leak(format!("host-{round:05}").into_boxed_str());
            let mut rec = record("prod", &pass(host, "c"));
            rec.key = driftscope::model::ExecKey(format!("check.{i}"));
            writer.send(&Event::CheckResult(Box::new(rec)));
            sent += 1;
        }
        println!("sent {sent}");
        if exact && sent == 5500 {
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Start the child writer; return it once it has reported at least `min_sent` results.
fn start_child(db: &Path, mode: &str, min_sent: u64) -> (std::process::Child, u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DRIFTSCOPE_TEST_CHILD_DB", db)
        .env("DRIFTSCOPE_TEST_CHILD_MODE", mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reported = 0u64;
    for line in BufReader::new(stdout).lines() {
        if let Some(n) = line.unwrap().strip_prefix("sent ") {
            reported = n.trim().parse().unwrap();
            if reported >= min_sent {
                break;
            }
        }
    }
    assert!(reported >= min_sent, "child stopped early at {reported}");
    (child, reported)
}

#[test]
fn writer_killed_with_sigkill_loses_exactly_the_uncommitted_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    // 5500 results, batches of 1000, no timer: 5 batches commit, 500 stay in memory.
    let (mut child, sent) = start_child(&db, "exact", 5500);
    assert_eq!(sent, 5500);
    let mut committed = 0;
    for _ in 0..600 {
        committed = count(&db, "SELECT count(*) FROM results");
        if committed >= 5000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(committed, 5000, "five full batches committed");
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());

    let store = Store::open(&db).unwrap();
    let run = store.run("killed").unwrap();
    assert_eq!(run.status, "incomplete", "marked on the next open");
    assert_eq!(count(&db, "SELECT count(*) FROM results"), 5000);
    assert_eq!(
        run.counts.total(),
        5000,
        "run counts match what was committed"
    );
    assert_eq!(text(&db, "PRAGMA integrity_check"), "ok");
}

#[test]
fn writer_killed_with_sigkill_mid_stream_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (mut child, reported) = start_child(&db, "stream", 12_000);
    child.kill().unwrap(); // SIGKILL at an arbitrary point
    assert!(!child.wait().unwrap().success());

    let store = Store::open(&db).unwrap();
    let run = store.run("killed").unwrap();
    assert_eq!(run.status, "incomplete");
    let stored = count(&db, "SELECT count(*) FROM results") as u64;
    // Not yet committed at the kill: at most one batch (1000 results or 100 ms of them) plus
    // what still sat in the hand-over queue (16k events) if the writer was starved of CPU.
    let bound = 1000 + 2000 + WriterOptions::default().channel_capacity as u64;
    assert!(
        stored + bound >= reported,
        "stored {stored}, child had sent {reported}"
    );
    assert!(stored > 0);
    assert_eq!(run.counts.total(), stored);
    assert_eq!(text(&db, "PRAGMA integrity_check"), "ok");
}

#[test]
fn readers_browse_while_a_writer_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    write_runs(
        &db,
        &[RunSpec::new("r1", "prod", 2, vec![fail("h", "c", "x")])],
    );
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO envs (name) VALUES ('held');")
        .unwrap();
    // A blocked reader would wait out the busy timeout and fail with "locked".
    let store = Store::open(&db).unwrap();
    assert_eq!(store.runs(None, 5).unwrap().len(), 1);
    assert_eq!(store.latest_state("prod").unwrap().entries.len(), 1);
    let ro = Store::open_readonly(&db).unwrap();
    assert_eq!(ro.failing_streaks("prod").unwrap().len(), 1);
    holder.execute_batch("ROLLBACK").unwrap();
}
#[test]
fn a_run_survives_a_lock_that_is_released_mid_run() {
    let dir = tempfile::tempdir().unwrap();
    let (db, holder) = history_locked_by_another_writer(dir.path());
    let opts = WriterOptions {
        busy_timeout: Duration::from_millis(100),
        ..WriterOptions::default()
    };
    let writer = StoreWriter::spawn_with(&db, opts).unwrap();
    let spec = RunSpec::new(
        "r2",
        "prod",
        1,
        vec![pass("h1", "c"), pass("h2", "c"), pass("h3", "c")],
    );
    let evs = events(&spec);
    // RunStarted and the first result go while the lock is held …
    writer.send(&evs[0]);
    writer.send(&evs[1]);
    std::thread::sleep(Duration::from_millis(800));
    holder.execute_batch("ROLLBACK").unwrap();
    // … the rest after it is released.
    for ev in &evs[2..] {
        writer.send(ev);
    }
    let report = writer.finish().unwrap();
    // What arrived while the lock was held stayed pending and was written after: nothing
    // lost, although the lock outlasted the busy timeout eight times.
    assert_eq!(
        (report.results_written, report.results_lost),
        (3, 0),
        "{report:?}"
    );
    let store = Store::open(&db).unwrap();
    let run = store.run("r2").unwrap();
    assert_ne!(run.status, "incomplete");
    assert_eq!(run.results_lost, 0);
    assert_eq!(run.counts.pass, 3);
}

#[test]
fn a_held_lock_never_stalls_the_sender_and_loses_nothing_it_releases() {
    let dir = tempfile::tempdir().unwrap();
    let (db, holder) = history_locked_by_another_writer(dir.path());
    // A queue of 8 events: a writer stuck waiting for the lock would make `send` wait.
    let opts = WriterOptions {
        busy_timeout: Duration::from_secs(30),
        channel_capacity: 8,
        ..WriterOptions::default()
    };
    let writer = StoreWriter::spawn_with(&db, opts).unwrap();
    let hosts: Vec<&'static str> = (0..3000)
        .map(|i| &*Box::leak(format!("h{i}").into_boxed_str()))
        .collect();
    let results = hosts.iter().map(|h| pass(h, "c")).collect();
    let evs = events(&RunSpec::new("r2", "prod", 1, results));
    // Every event is handed over while the other process still holds the lock (the lock is
    // released only after the loop, on this thread: a blocked send would never return).
    for ev in &evs {
        writer.send(ev);
    }
    holder.execute_batch("ROLLBACK").unwrap();
    let report = writer.finish().unwrap();
    assert_eq!(
        (report.results_written, report.results_lost),
        (3000, 0),
        "{report:?}"
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let store = Store::open(&db).unwrap();
    let run = store.run("r2").unwrap();
    assert_eq!(run.counts.pass, 3000);
    assert_ne!(run.status, "incomplete");
}
