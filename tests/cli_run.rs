//! `driftscope run` as a user runs it: the real binary, real `sh` probes on this machine,
//! exit codes, the three formats, Ctrl-C.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A temp dir with `inv.toml` (two local hosts, a and b) and `checks/`.
struct Fixture {
    dir: tempfile::TempDir,
}

const INV: &str = r#"
[environment]
name = "test"
[defaults]
transport = "local"
tags = ["linux"]
[[host]]
name = "a"
[[host]]
name = "b"
vars = { key = "kernel.ostype" }
"#;

const PASSING: &str = r#"
category = "kernel"
[[check]]
id = "kernel.ostype"
title = "the kernel is {want}"
severity = "high"
for_each = { want = ["Linux"] }
probe = { sysctl = "kernel.ostype" }
expect = { value = "{want}" }
sop = "kernel-sysctl"

[[check]]
id = "kernel.ostype-like"
title = "the kernel type starts with Lin"
probe = { sysctl = "kernel.ostype" }
expect = { value = { matches = "^Lin" } }
"#;

const DRIFTING: &str = r#"
category = "proc"
[[check]]
id = "proc.ostype-is-plan9"
title = "the kernel is Plan 9"
severity = "critical"
probe = { sysctl = "kernel.ostype" }
expect = { value = "Plan9" }
sop = "os"

[[check]]
id = "proc.missing"
title = "a sysctl that does not exist is present"
severity = "low"
probe = { sysctl = "kernel.no_such_knob" }
"#;

impl Fixture {
    fn new(checks: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("inv.toml"), INV).unwrap();
        std::fs::create_dir(dir.path().join("checks")).unwrap();
        for (name, text) in checks {
            std::fs::write(dir.path().join("checks").join(name), text).unwrap();
        }
        Fixture { dir }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn run(&self, extra: &[&str]) -> Command {
        let mut c = Command::cargo_bin("driftscope").unwrap();
        c.arg("run")
            .arg("--inventory")
            .arg(self.path("inv.toml"))
            .arg("--checks")
            .arg(self.path("checks"))
            .arg("--no-store")
            .args(extra)
            .env_remove("NO_COLOR");
        c
    }
}

fn stdout(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn all_pass_exits_0_with_a_summary() {
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    let (code, out, _) = stdout(&mut f.run(&[]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: 4 pass · 2 hosts"), "{out}");
    assert!(!out.contains('\x1b'), "colors on a pipe: {out:?}");
}

#[test]
fn drift_exits_1_and_shows_expected_vs_actual_grouped_by_category() {
    let f = Fixture::new(&[("kernel.toml", PASSING), ("proc.toml", DRIFTING)]);
    let (code, out, _) = stdout(&mut f.run(&["--host", "a"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("a (test)  2 pass, 2 fail"), "{out}");
    assert!(out.contains("  [kernel] 2 pass\n"), "{out}");
    assert!(out.contains("  [proc] 2 fail\n"), "{out}");
    assert!(
        out.contains(
            "    FAIL        critical proc.ostype-is-plan9\n                the kernel is Plan 9\n                expected: value = \"Plan9\"\n                actual:   value = \"Linux\"\n                sop: os\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("expected: exists = true\n                actual:   exists = false"),
        "{out}"
    );
    assert!(out.contains("DRIFT: 2 pass, 2 fail · 1 host"), "{out}");
}

#[test]
fn narrowing_by_category_and_check() {
    let f = Fixture::new(&[("kernel.toml", PASSING), ("proc.toml", DRIFTING)]);
    f.run(&["--category", "kernel"]).assert().code(0);
    f.run(&["--check", "proc.missing", "--host", "b"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 fail · 1 host"));
}

#[test]
fn config_and_usage_errors_exit_2_with_location() {
    let f = Fixture::new(&[(
        "bad.toml",
        "category = \"x\"\n[[check]]\nid = \"x.a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nexpect = { vlaue = 1 }\n",
    )]);
    let (code, out, err) = stdout(&mut f.run(&[]));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("bad.toml:6:20: check `x.a`: unknown attribute `vlaue` for module sysctl: expected one of value, exists"),
        "{err}"
    );
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    f.run(&["--host", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--host: unknown host `nope`: expected one of a, b",
        ));
    f.run(&["--format", "yaml"]).assert().code(2);
    f.run(&["--jobs", "0"]).assert().code(2);
    Command::cargo_bin("driftscope")
        .unwrap()
        .args(["run", "--inventory", "/nonexistent/inv.toml", "--no-store"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/inv.toml: cannot read",
        ));
}

#[test]
fn unreachable_or_timed_out_hosts_without_drift_exit_3() {
    // Deadline already over when the probe starts: every check is `timeout`.
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    let (code, out, _) = stdout(&mut f.run(&["--timeout", "0.000001"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("TIMEOUT"), "{out}");
    assert!(out.contains("INCOMPLETE: 4 timeout"), "{out}");
    // An ssh host nobody listens for.
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    std::fs::write(
        f.path("inv.toml"),
        "[environment]\nname = \"t\"\n[[host]]\nname = \"gone\"\naddress = \"127.0.0.1\"\nport = 1\ntransport = \"ssh\"\n",
    )
    .unwrap();
    let (code, out, _) = stdout(&mut f.run(&["--connect-timeout", "2"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("UNREACHABLE"), "{out}");
    // Drift wins over problems: exit 1.
    let f = Fixture::new(&[("proc.toml", DRIFTING)]);
    std::fs::write(
        f.path("inv.toml"),
        "[environment]\nname = \"t\"\n[[host]]\nname = \"gone\"\naddress = \"127.0.0.1\"\nport = 1\ntransport = \"ssh\"\n\
         [[host]]\nname = \"here\"\ntransport = \"local\"\n",
    )
    .unwrap();
    let (code, out, _) = stdout(&mut f.run(&["--connect-timeout", "2"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DRIFT: 2 unreachable, 2 fail"), "{out}");
}

fn redact_json(v: &mut serde_json::Value) {
    let run = &mut v["run"];
    for k in [
        "id",
        "started_at",
        "user",
        "client_host",
        "driftscope_version",
    ] {
        run[k] = serde_json::json!(format!("[{k}]"));
    }
    // The inventory's temp path varies; its hash does not.
    if let Some(path) = run["scope"]["inventories"][0].get_mut("path") {
        *path = serde_json::json!("[inventory path]");
    }
    v["finished_at"] = serde_json::json!("[finished_at]");
    if let Some(results) = v["results"].as_array_mut() {
        for r in results.iter_mut() {
            r["duration"] = serde_json::json!("[duration]");
        }
        results.sort_by_key(|r| format!("{}{}", r["host"], r["key"]));
    }
}

#[test]
fn json_is_one_document_with_run_metadata_and_every_result() {
    let f = Fixture::new(&[("kernel.toml", PASSING), ("proc.toml", DRIFTING)]);
    let (code, out, _) = stdout(&mut f.run(&["--format", "json"]));
    assert_eq!(code, 1);
    let mut v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(v["run"]["checkset_hash"].as_str().unwrap().len(), 64);
    assert_eq!(v["results"].as_array().unwrap().len(), 8);
    redact_json(&mut v);
    insta::assert_json_snapshot!("run_json", v);
}

fn redact_xml(s: &str) -> String {
    let re = regex::Regex::new(r#"(time|timestamp)="[^"]*""#).unwrap();
    let s = re.replace_all(s, r#"$1="[t]""#);
    let re = regex::Regex::new(r"driftscope run [0-9TZ.\-a-f]+ ").unwrap();
    re.replace_all(&s, "driftscope run [id] ").into_owned()
}

/// The suites come in completion order; sort them for the snapshot.
fn sorted_suites(xml: &str) -> String {
    let mut head = Vec::new();
    let mut suites: Vec<String> = Vec::new();
    let mut tail = Vec::new();
    for line in xml.lines() {
        if line.starts_with("  <testsuite ") {
            suites.push(String::new());
        }
        match suites.last_mut() {
            _ if line == "</testsuites>" => tail.push(line),
            Some(s) => {
                s.push_str(line);
                s.push('\n');
            }
            None => head.push(line),
        }
    }
    suites.sort();
    format!(
        "{}\n{}{}\n",
        head.join("\n"),
        suites.concat(),
        tail.join("\n")
    )
}

#[test]
fn junit_is_well_formed_with_a_suite_per_host() {
    let f = Fixture::new(&[("kernel.toml", PASSING), ("proc.toml", DRIFTING)]);
    let (code, out, _) = stdout(&mut f.run(&["--format", "junit"]));
    assert_eq!(code, 1);
    // Well-formed XML.
    let mut reader = quick_xml::Reader::from_str(&out);
    let mut depth = 0i32;
    let mut cases = 0;
    loop {
        match reader.read_event().expect("valid XML") {
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                if e.name().as_ref() == "testcase" {
                    cases += 1;
                }
            }
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == "testcase" => cases += 1,
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((depth, cases), (0, 8));
    insta::assert_snapshot!("run_junit", sorted_suites(&redact_xml(&out)));
}

#[test]
fn ctrl_c_cancels_the_run_exit_130() {
    // Many hosts, one at a time: long enough to interrupt.
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    let mut inv =
        String::from("[environment]\nname = \"big\"\n[defaults]\ntransport = \"local\"\n");
    for i in 0..3000 {
        inv.push_str(&format!("[[host]]\nname = \"h{i}\"\n"));
    }
    std::fs::write(f.path("inv.toml"), inv).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("driftscope");
    let mut child = std::process::Command::new(bin)
        .args(["run", "--no-store", "--jobs", "1", "--inventory"])
        .arg(f.path("inv.toml"))
        .arg("--checks")
        .arg(f.path("checks"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the header (the run has started), then interrupt.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 14];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"driftscope run");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{rest}");
    assert!(
        rest.contains("CANCELLED (run cancelled after"),
        "{}",
        &rest[rest.len().saturating_sub(300)..]
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("run cancelled"));
}

#[test]
fn checks_and_inventory_commands_list_what_is_loaded() {
    let f = Fixture::new(&[("kernel.toml", PASSING), ("proc.toml", DRIFTING)]);
    let inv = f.path("inv.toml");
    let checks = f.path("checks");
    Command::cargo_bin("driftscope")
        .unwrap()
        .arg("checks")
        .arg("--inventory")
        .arg(&inv)
        .arg("--checks")
        .arg(&checks)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "4 checks in 2 categories · 8 executions on 2 hosts",
        ))
        .stdout(predicate::str::contains(
            "  kernel.ostype                    high     sysctl        1 per host × 2 hosts",
        ));
    Command::cargo_bin("driftscope")
        .unwrap()
        .arg("inventory")
        .arg("--inventory")
        .arg(&inv)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("test (2 hosts)"))
        .stdout(predicate::str::contains("tags: linux(2)"));
    let _ = Path::new("");
}

#[test]
fn a_probe_that_sleeps_past_the_deadline_is_timeout_exit_3() {
    // A real `sleep` inside the host's real `sh`; the deadline kills the whole group.
    let f = Fixture::new(&[(
        "slow.toml",
        "category = \"slow\"\n[[check]]\nid = \"slow.sleep\"\ntitle = \"a command that hangs\"\n\
         probe = { command = \"sleep 29.4713\" }\nexpect = { exit_status = 0 }\n",
    )]);
    let started = std::time::Instant::now();
    let (code, out, _) = stdout(&mut f.run(&["--timeout", "1", "--host", "a"]));
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("  TIMEOUT     probe did not finish before the deadline (1 checks not run)"),
        "{out}"
    );
    assert!(out.contains("INCOMPLETE: 1 timeout · 1 host"), "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(29));
    let left = std::process::Command::new("pgrep")
        .args(["-f", "-x", "sleep 29.4713"])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "the hung probe outlived the run");
}

#[test]
fn the_embedded_defaults_check_this_machine() {
    // No --inventory / --checks: this machine against the shipped checks.
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .args(["run", "--no-store"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code().unwrap_or(-1);
    assert!(matches!(code, 0 | 1 | 3), "exit {code}: {text}");
    assert!(text.contains(" · local · 1 host · "), "{text}");
    for cat in ["accounts", "kernel", "packages", "ssh", "time"] {
        assert!(text.contains(&format!("  [{cat}] ")), "no {cat} in {text}");
    }
    Command::cargo_bin("driftscope")
        .unwrap()
        .arg("checks")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("104 checks in 11 categories"));
}

#[test]
fn runs_are_recorded_in_the_history_unless_no_store() {
    let f = Fixture::new(&[("kernel.toml", PASSING)]);
    let db = f.path("history.db");
    let mut c = Command::cargo_bin("driftscope").unwrap();
    c.arg("run")
        .arg("--inventory")
        .arg(f.path("inv.toml"))
        .arg("--checks")
        .arg(f.path("checks"))
        .arg("--format")
        .arg("json");
    // DRIFTSCOPE_DB chooses the database; --db overrides it.
    let out = c.env("DRIFTSCOPE_DB", &db).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run_id = v["run"]["id"].as_str().unwrap().to_string();
    Command::cargo_bin("driftscope")
        .unwrap()
        .args(["history", "--db"])
        .arg(&db)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(run_id))
        .stdout(predicate::str::contains("4 pass"));
    let other = f.path("other.db");
    f.run(&[]).arg("--db").arg(&other).assert().code(0);
    assert!(!other.exists(), "--no-store wrote a database");
    // A database the user named that cannot be opened is a usage error, before any probe.
    Command::cargo_bin("driftscope")
        .unwrap()
        .arg("run")
        .arg("--inventory")
        .arg(f.path("inv.toml"))
        .arg("--checks")
        .arg(f.path("checks"))
        .arg("--db")
        .arg(f.path("inv.toml/h.db"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with("error: --db: "));
}

/// Run under a pseudo-terminal (util-linux `script`), as a person at a terminal would.
fn on_a_tty(f: &Fixture, no_color: Option<&str>) -> String {
    let bin = assert_cmd::cargo::cargo_bin("driftscope");
    let cmd = format!(
        // --quiet: the progress line (stderr, the same pty here) is not what this is about.
        "{} run --no-store --quiet --host a --inventory {} --checks {}",
        bin.display(),
        f.path("inv.toml").display(),
        f.path("checks").display()
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
}

#[test]
fn colors_only_on_a_terminal_and_never_with_no_color() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let f = Fixture::new(&[("proc.toml", DRIFTING)]);
    let tty = on_a_tty(&f, None);
    assert!(tty.contains("\x1b[1;31mFAIL"), "{tty:?}");
    let no_color = on_a_tty(&f, Some("1"));
    assert!(no_color.contains("FAIL"), "{no_color:?}");
    assert!(!no_color.contains('\x1b'), "{no_color:?}");
}
