//! `secret = true` keeps a secret's bytes out of everything driftscope writes: the real
//! binary probes a real token file on this machine, and the test greps the SQLite history
//! (database and WAL) and every output format (text, JSON, JUnit; history, show, drift,
//! status) for the secret, its digest and its nearest lines. What is not secret (mode, size,
//! exit status) stays visible. Also the nearest-lines guard on sensitive paths.

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const SECRET: &str = "hunter2-S3CRET-7f3a";
const NEAR: &str = "password_hint_near_line";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("inv.toml"),
            "[environment]\nname = \"test\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"a\"\n",
        )
        .unwrap();
        let token = d.join("token.txt");
        std::fs::write(&token, format!("token={SECRET}\n{NEAR}={SECRET}\n")).unwrap();
        // A non-secret check on a `*key*` path: the nearest lines of a miss are withheld…
        let keyfile = d.join("api.key");
        std::fs::write(&keyfile, format!("{NEAR}=keyfile-{SECRET}\n")).unwrap();
        // …unless the check says `secret = false`; and long lines are capped.
        let plain = d.join("plain.conf");
        std::fs::write(&plain, format!("{NEAR}={}\n", "x".repeat(500))).unwrap();
        std::fs::create_dir(d.join("checks")).unwrap();
        let t = token.display();
        let k = keyfile.display();
        let p = plain.display();
        std::fs::write(
            d.join("checks/secrets.toml"),
            format!(
                r#"
category = "secrets"
[[check]]
id = "token.hit"
title = "the token file holds a token"
secret = true
probe = {{ file = "{t}" }}
expect = {{ contains = ["^token="], mode = "0644" }}

[[check]]
id = "token.miss"
title = "the token file is rotated"
secret = true
probe = {{ file = "{t}" }}
expect = {{ contains = ["^password_hint_near_line=rotated$"], not_contains = ["^token="] }}

[[check]]
id = "token.digest"
title = "the token file is the deployed one"
secret = true
probe = {{ file = "{t}" }}
expect = {{ sha256 = "0000000000000000000000000000000000000000000000000000000000000000", size = 1 }}

[[check]]
id = "token.command"
title = "reading the token"
secret = true
probe = {{ command = "cat {t}" }}
expect = {{ stdout = "nope", stderr = "", exit_status = 0 }}

[[check]]
id = "keyfile.miss"
title = "a key path is never quoted"
probe = {{ file = "{k}" }}
expect = {{ contains = ["^password_hint_near_line=other$"] }}

[[check]]
id = "plain.miss"
title = "a plain file is quoted, capped"
secret = false
probe = {{ file = "{p}" }}
expect = {{ contains = ["^password_hint_near_line=other$"] }}
"#
            ),
        )
        .unwrap();
        Fixture { dir }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn db(&self) -> PathBuf {
        self.path("history.db")
    }
    fn bin(&self, args: &[&str]) -> String {
        let out = Command::cargo_bin("driftscope")
            .unwrap()
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("DRIFTSCOPE_DB")
            .output()
            .unwrap();
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        text
    }
    fn run(&self, format: &str) -> String {
        let inv = self.path("inv.toml");
        let checks = self.path("checks");
        let db = self.db();
        self.bin(&[
            "run",
            "-i",
            &inv.display().to_string(),
            "-c",
            &checks.display().to_string(),
            "--db",
            &db.display().to_string(),
            "--format",
            format,
        ])
    }
}

/// The forbidden byte strings: the secret, the token file's digest (hex), and the line
/// the sha256 would hash to.
fn forbidden(token_file: &Path) -> Vec<String> {
    let content = std::fs::read(token_file).unwrap();
    vec![
        SECRET.to_string(),
        format!("{:x}", Sha256::digest(&content)),
        format!("keyfile-{SECRET}"),
    ]
}

fn assert_clean(what: &str, bytes: &[u8], bad: &[String]) {
    for b in bad {
        assert!(
            !bytes.windows(b.len()).any(|w| w == b.as_bytes()),
            "{what} holds {b:?}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn a_secret_never_reaches_the_history_or_any_output() {
    let f = Fixture::new();
    let bad = forbidden(&f.path("token.txt"));
    let json = f.run("json");
    assert_clean("run --format json", json.as_bytes(), &bad);
    let doc: serde_json::Value = serde_json::from_str(
        json.lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap_or_else(|e| panic!("{e}: {json}"));
    let results = doc["results"].as_array().expect("results");
    let get = |key: &str| {
        results
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {json}"))
    };
    // Content-derived values are redacted; metadata is not.
    let hit = get("token.hit");
    assert_eq!(hit["outcome"], "pass", "{hit}");
    assert!(
        hit["actual"]["contains"]
            .as_str()
            .unwrap()
            .starts_with("[redacted:"),
        "{hit}"
    );
    assert_eq!(hit["actual"]["mode"], "0644");
    let digest = get("token.digest");
    assert_eq!(digest["outcome"], "fail");
    assert!(
        digest["actual"]["sha256"]
            .as_str()
            .unwrap()
            .starts_with("[redacted:")
    );
    let size = std::fs::metadata(f.path("token.txt")).unwrap().len();
    assert_eq!(digest["actual"]["size"], size, "the size stays visible");
    let cmd = get("token.command");
    assert_eq!(cmd["outcome"], "fail");
    assert_eq!(
        cmd["actual"]["exit_status"], 0,
        "the exit status stays visible"
    );
    assert!(
        cmd["actual"]["stdout"]
            .as_str()
            .unwrap()
            .starts_with("[redacted:")
    );
    // The same secret hashes the same in the next run (the history's salt).
    let again = f.run("json");
    let stdout_of = |s: &str| {
        let at = s.find("[redacted:").unwrap();
        s[at..at + 28].to_string()
    };
    assert_eq!(stdout_of(&json), stdout_of(&again));
    // Nearest lines: withheld for a `*key*` path, shown capped when `secret = false`.
    let key = get("keyfile.miss");
    let key_actual = key["actual"]["contains"].to_string();
    assert!(!key_actual.contains("nearest"), "{key_actual}");
    let plain = get("plain.miss")["actual"]["contains"].to_string();
    assert!(
        plain.contains("nearest: line 1: password_hint_near_line="),
        "{plain}"
    );
    assert!(
        plain.contains('…') && !plain.contains(&"x".repeat(200)),
        "{plain}"
    );

    for format in ["text", "junit"] {
        assert_clean(format, f.run(format).as_bytes(), &bad);
    }
    let db = f.db().display().to_string();
    for args in [
        vec!["history", "--db", &db, "--format", "json"],
        vec!["history", "--db", &db],
        vec![
            "show",
            "a",
            "token.command",
            "--db",
            &db,
            "--format",
            "json",
        ],
        vec!["show", "a", "token.miss", "--db", &db],
        vec!["drift", "--db", &db, "--all", "--format", "json"],
        vec!["status", "--db", &db, "--format", "json"],
    ] {
        let out = f.bin(&args);
        assert_clean(&args.join(" "), out.as_bytes(), &bad);
    }
    // The database files themselves, WAL included.
    for entry in std::fs::read_dir(f.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history.db")
        {
            assert_clean(&p.display().to_string(), &std::fs::read(&p).unwrap(), &bad);
        }
    }
    // `driftscope checks` names the read-only contract's exception and the secrets.
    let inv = f.path("inv.toml").display().to_string();
    let checks = f.path("checks").display().to_string();
    let listing = f.bin(&["checks", "-i", &inv, "-c", &checks]);
    let line = |id: &str| {
        listing
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} not listed:\n{listing}"))
            .to_string()
    };
    assert!(
        line("token.command").ends_with("runs: user command · secret"),
        "{listing}"
    );
    assert!(line("token.hit").ends_with("· secret"), "{listing}");
    assert!(!line("keyfile.miss").contains("runs:"), "{listing}");
    // The salt sits beside the history, private.
    let salt = std::fs::metadata(f.path("history.db.salt")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(salt.permissions().mode() & 0o777, 0o600);
}
