//! Acknowledging a known drift as a user does it: the real binary, real `sh` probes of a
//! temp file on this machine, a real history file; `ack`, `acks`, `unack`, and what an
//! acknowledgement does to `run`'s exit code and reports and to `status`.

use assert_cmd::Command;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A temp dir with a one-host local inventory, a check that `app.conf` is 0644, the file
/// itself and a history path.
struct Fixture {
    dir: tempfile::TempDir,
}

const KEY: &str = "files.app-conf";

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("app.conf");
        std::fs::write(&conf, "log_level=info\n").unwrap();
        std::fs::write(
            dir.path().join("inv.toml"),
            "[environment]\nname = \"test\"\n[defaults]\ntransport = \"local\"\ntags = [\"linux\"]\n[[host]]\nname = \"a\"\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("checks")).unwrap();
        std::fs::write(
            dir.path().join("checks/files.toml"),
            format!(
                "category = \"files\"\n[[check]]\nid = \"{KEY}\"\ntitle = \"app.conf is 0644\"\nseverity = \"high\"\nprobe = {{ file = \"{}\" }}\nexpect = {{ mode = \"0644\" }}\n\n[[check]]\nid = \"files.app-conf-exists\"\ntitle = \"app.conf exists\"\nprobe = {{ file = \"{}\" }}\n",
                conf.display(),
                conf.display()
            ),
        )
        .unwrap();
        let f = Fixture { dir };
        f.chmod(0o600);
        f
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn db(&self) -> PathBuf {
        self.path("history.db")
    }
    fn chmod(&self, mode: u32) {
        std::fs::set_permissions(self.path("app.conf"), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }
    /// `driftscope run` over the fixture with the fixture's history.
    fn run(&self, extra: &[&str]) -> (i32, String, String) {
        let mut c = Command::cargo_bin("driftscope").unwrap();
        c.arg("run")
            .arg("--inventory")
            .arg(self.path("inv.toml"))
            .arg("--checks")
            .arg(self.path("checks"))
            .arg("--quiet")
            .args(extra);
        out(db_cmd(c, &self.db()))
    }
    /// `driftscope <args>` on the fixture's history.
    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        cli(&self.db(), args)
    }
}

fn db_cmd(mut c: Command, db: &Path) -> Command {
    c.env_remove("DRIFTSCOPE_DB")
        .env_remove("DRIFTSCOPE_CONFIG")
        .env("XDG_CONFIG_HOME", db.parent().unwrap())
        .arg("--db")
        .arg(db);
    c
}

fn cli(db: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = Command::cargo_bin("driftscope").unwrap();
    c.args(args);
    out(db_cmd(c, db))
}

fn out(mut c: Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ack_rows(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM acks", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_acknowledged_drift_stops_failing_the_run_until_its_value_changes() {
    let f = Fixture::new();
    let (code, text, err) = f.run(&[]);
    assert_eq!(code, 1, "{text}{err}");

    let (code, text, err) = f.cli(&["ack", "a", KEY, "--reason", "vendor default, fix in CHG-42"]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains(&format!("acknowledged a × {KEY} (test) until ")),
        "{text}"
    );
    assert!(text.contains(" UTC"), "expiry shown with its zone: {text}");
    assert!(text.contains("value:  mode = \"0600\""), "{text}");

    // The same drift: the run passes, and every format says why.
    let (code, text, err) = f.run(&[]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains("    ACKED       high     files.app-conf\n"),
        "{text}"
    );
    assert!(text.contains("vendor default, fix in CHG-42"), "{text}");
    assert!(
        text.contains("OK: 1 pass, 1 fail (1 acknowledged)"),
        "{text}"
    );
    let (code, json, _) = f.run(&["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acked: Vec<&serde_json::Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("acknowledged").is_some())
        .collect();
    assert_eq!(acked.len(), 1, "{json}");
    assert_eq!(acked[0]["key"], KEY);
    assert_eq!(
        acked[0]["acknowledged"]["reason"],
        "vendor default, fix in CHG-42"
    );
    assert!(
        acked[0]["acknowledged"]["user"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert_eq!(v["exit_code"], 0);
    let (code, xml, _) = f.run(&["--format", "junit"]);
    assert_eq!(code, 0);
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(
        xml.contains("<skipped type=\"acknowledged\" message=\"acknowledged by "),
        "{xml}"
    );
    // --strict counts it again.
    let (code, text, _) = f.run(&["--strict"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ACKED"), "{text}");

    // status: the acknowledged failure leaves the verdict
    let (code, text, err) = f.cli(&["status", "test"]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains("READY"), "{text}");
    assert!(text.contains("(1 acknowledged)"), "{text}");

    // A different drift on the same check is never hidden.
    f.chmod(0o640);
    let (code, text, _) = f.run(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("ACKED"), "{text}");
    let (code, text, err) = f.cli(&["acks", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("lapsed"), "{text}");
    assert!(
        text.contains("was {\"mode\":\"0600\"}, now {\"mode\":\"0640\"}"),
        "{text}"
    );
    // sticky: the old value coming back does not revive it
    f.chmod(0o600);
    assert_eq!(f.run(&[]).0, 1);
    let (_, text, _) = f.cli(&["acks"]);
    assert!(text.contains("no active acknowledgements"), "{text}");
    let (code, text, _) = f.cli(&["status", "test"]);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn unack_and_expiry_end_an_acknowledgement() {
    let f = Fixture::new();
    assert_eq!(f.run(&[]).0, 1);
    let (code, _, err) = f.cli(&["ack", "a", KEY, "-m", "known", "--expires", "3d"]);
    assert_eq!(code, 0, "{err}");
    let (code, json, _) = f.cli(&["acks", "test", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["state"], "active");
    assert_eq!(v[0]["host"], "a");
    assert_eq!(v[0]["actual"]["mode"], "0600");
    assert_eq!(f.run(&[]).0, 0);

    let (code, text, err) = f.cli(&["unack", "a", KEY]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("removed the acknowledgement of a × files.app-conf"),
        "{text}"
    );
    assert_eq!(f.run(&[]).0, 1);
    let (_, text, _) = f.cli(&["acks", "--all"]);
    assert!(text.contains("removed"), "{text}");
    let (code, _, err) = f.cli(&["unack", "a", KEY]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no acknowledgement of a × files.app-conf"),
        "{err}"
    );

    // An expired acknowledgement (its expiry moved into the past in the file) no longer
    // counts, and says so.
    assert_eq!(f.cli(&["ack", "a", KEY, "-m", "again"]).0, 0);
    {
        let conn = rusqlite::Connection::open(f.db()).unwrap();
        conn.execute(
            "UPDATE acks SET expires_at = 1000 WHERE removed_at IS NULL",
            [],
        )
        .unwrap();
    }
    assert_eq!(f.run(&[]).0, 1);
    let (_, text, _) = f.cli(&["acks", "--all"]);
    assert!(text.contains("expired"), "{text}");
}

#[test]
fn bad_input_is_exit_2_and_stores_nothing() {
    let f = Fixture::new();
    assert_eq!(f.run(&[]).0, 1);
    let cases: [(&[&str], &str); 7] = [
        (&["ack", "a", KEY], "--reason"),
        (&["ack", "a", KEY, "--reason", "  "], "a reason is required"),
        (
            &["ack", "a", KEY, "-m", "x", "--expires", "2020-01-01"],
            "is in the past",
        ),
        (
            &["ack", "a", KEY, "-m", "x", "--expires", "soon"],
            "give a duration (3d, 12h, 2w) or a UTC date",
        ),
        (&["ack", "nohost", KEY, "-m", "x"], "no host \"nohost\""),
        (
            &["ack", "a", "files.nope", "-m", "x"],
            "no check \"files.nope\"",
        ),
        (
            &["ack", "a", "files.app-conf-exists", "-m", "x"],
            "is not failing (latest: pass",
        ),
    ];
    for (args, want) in cases {
        let (code, text, err) = f.cli(args);
        assert_eq!(code, 2, "{args:?}: {text}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(ack_rows(&f.db()), 0, "nothing stored");
    assert_eq!(f.run(&[]).0, 1);
}

/// A history written by the previous schema (v1, before acknowledgements; the file in
/// tests/fixtures/history was written by that driftscope) upgrades in place on first use.
#[test]
fn a_history_of_the_previous_schema_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.db");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/v1-legacy.db"),
        &db,
    )
    .unwrap();
    let version = |db: &Path| -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&db), 1);
    let (code, text, err) = cli(
        &db,
        &["ack", "a", "proc.ostype-is-plan9", "-m", "legacy box"],
    );
    assert_eq!(code, 0, "{text}{err}");
    assert_eq!(version(&db), driftscope::store::SCHEMA_VERSION);
    assert!(text.contains("value:  value = \"Linux\""), "{text}");
    // The old runs are still there and the acknowledgement counts for status.
    let (code, text, err) = cli(&db, &["history"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("legacy"), "{text}");
    let (code, text, err) = cli(&db, &["status", "legacy", "--stale-after", "36500d"]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains("READY"), "{text}");
}
