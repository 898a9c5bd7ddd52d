//! The fault matrix as one table: the real `driftscope run` binary against the real-sshd
//! fleet fixture and real SQLite files, one row per fault. For every row: no panic, the run
//! ends within its deadline + 5 s, every healthy host's results are stored, the faulty host
//! has its own outcome with a reason, and no ssh/sshd/sh process of ours is left. The test
//! prints the matrix (row, outcome, seconds, results stored, leftovers); the README shows the
//! last one. Rows run one after the other (each on its own small fleet) so timings are not
//! inflated by the other rows; the 200-host row uses cheap hosts (one sysctl check).
//!
//! Needs root (a read-only bind mount, a tmpfs for "disk full", a user without sudo).

#[path = "support/sshd_fleet.rs"]
mod sshd_fleet;

use driftscope::model::{Outcome, OutcomeCounts};
use driftscope::store::Store;
use sshd_fleet::{Fleet, HostSpec};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HEALTHY: [&str; 2] = ["ok1", "ok2"];
const BAD: &str = "bad";
/// The per-host deadline most rows run with (`--timeout`).
const DEADLINE: u64 = 6;

/// One row of the printed matrix.
struct Row {
    fault: &'static str,
    outcome: String,
    secs: f64,
    stored: String,
    leftovers: usize,
    problems: Vec<String>,
}

/// A fleet of `ok1`, `ok2` and `bad`, an inventory (with per-row extras for `bad`), checks,
/// and a history database under the fleet's temp dir.
struct Scene {
    fleet: Fleet,
    inv: PathBuf,
    checks: PathBuf,
    db: PathBuf,
    extra_env: Vec<(String, String)>,
    /// `--timeout` (the per-host deadline).
    deadline: u64,
}

const BASE_CHECKS: &str = r#"
category = "kernel"
[[check]]
id = "kernel.ostype"
title = "kernel is Linux"
probe = { sysctl = "kernel.ostype" }
expect = { value = "Linux" }
"#;

impl Scene {
    /// `bad_host`: extra inventory lines for `bad`; `bad_check`: a command check that runs
    /// on `bad` only.
    fn new(bad_host: &str, bad_check: Option<&str>) -> Scene {
        let specs = HEALTHY
            .iter()
            .chain([&BAD])
            .map(|n| HostSpec::named(n))
            .collect();
        let fleet = Fleet::start(specs);
        Scene::with_fleet(fleet, &[BAD], bad_host, bad_check)
    }

    fn with_fleet(fleet: Fleet, bad: &[&str], bad_host: &str, bad_check: Option<&str>) -> Scene {
        let dir = fleet.root().join("config");
        std::fs::create_dir_all(dir.join("checks")).unwrap();
        let mut inv = String::from(
            "[environment]\nname = \"fm\"\n[defaults]\ntransport = \"ssh\"\ntags = [\"linux\"]\n",
        );
        for h in &fleet.hosts {
            inv.push_str(&format!("[[host]]\nname = \"{}\"\n", h.name));
            if bad.contains(&h.name.as_str()) {
                inv.push_str("tags = [\"linux\", \"bad\"]\n");
                inv.push_str(bad_host);
                inv.push('\n');
            }
        }
        std::fs::write(dir.join("inv.toml"), inv).unwrap();
        std::fs::write(dir.join("checks/kernel.toml"), BASE_CHECKS).unwrap();
        if let Some(cmd) = bad_check {
            std::fs::write(
                dir.join("checks/fault.toml"),
                format!(
                    "category = \"fault\"\n[[check]]\nid = \"fault.cmd\"\ntitle = \"the faulty command\"\n\
                     targets = {{ tags = [\"bad\"] }}\nprobe = {{ command = {} }}\nexpect = {{ stdout = \"x\" }}\n",
                    toml::Value::String(cmd.to_string())
                ),
            )
            .unwrap();
        }
        Scene {
            db: fleet.root().join("history.db"),
            inv: dir.join("inv.toml"),
            checks: dir.join("checks"),
            fleet,
            extra_env: Vec::new(),
            deadline: DEADLINE,
        }
    }

    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_driftscope"));
        c.arg("run")
            .arg("-i")
            .arg(&self.inv)
            .arg("-c")
            .arg(&self.checks)
            .arg("--ssh-config")
            .arg(&self.fleet.ssh_config)
            .args(["--format", "json", "--timeout", &self.deadline.to_string()])
            .args(["--connect-timeout", "3"])
            .args(extra)
            .env("XDG_RUNTIME_DIR", self.fleet.root())
            .env("NO_COLOR", "1")
            .env_remove("DRIFTSCOPE_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        if !extra.contains(&"--no-store") && !extra.contains(&"--db") {
            c.arg("--db").arg(&self.db);
        }
        c
    }

    fn spawn(&self, extra: &[&str]) -> Child {
        self.command(extra).spawn().expect("start driftscope")
    }
}

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    secs: f64,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or(serde_json::Value::Null)
    }
    /// `(outcome, reason)` of each of `host`'s results in the JSON report, the faulty
    /// check's (`fault.cmd`) first.
    fn results_of(&self, host: &str) -> Vec<(String, String)> {
        self.json()["results"]
            .as_array()
            .map(|rs| {
                let mut rs: Vec<&serde_json::Value> =
                    rs.iter().filter(|r| r["host"] == host).collect();
                rs.sort_by_key(|r| r["key"] != "fault.cmd");
                rs.into_iter()
                    .map(|r| {
                        (
                            r["outcome"].as_str().unwrap_or("").to_string(),
                            r["reason"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Wait for `child`, killing it (and failing the row) past `limit`.
fn finish(mut child: Child, started: Instant, limit: Duration) -> Ran {
    use std::io::Read;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let ereader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit + Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = started.elapsed().as_secs_f64();
    Ran {
        code,
        secs,
        stdout: String::from_utf8_lossy(&reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&ereader.join().unwrap()).into_owned(),
    }
}

fn run(scene: &Scene, extra: &[&str]) -> Ran {
    let started = Instant::now();
    let child = scene.spawn(extra);
    finish(child, started, Duration::from_secs(DEADLINE))
}

/// ssh clients, remote shells and per-connection sshd processes of this fleet still alive
/// (the hosts' listening sshd excluded), after up to `patience` for exiting ones to go.
fn leftovers(fleet: &Fleet, patience: Duration) -> Vec<(u32, String, String)> {
    let until = Instant::now() + patience;
    loop {
        let left: Vec<_> = fleet
            .leftovers()
            .into_iter()
            .filter(|(_, comm, cmdline)| {
                // A host's own listener: `sshd -D -e -f <dir>/sshd_config`.
                !(comm == "sshd" && cmdline.contains(" -D -e -f "))
            })
            .collect();
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The newest run of the history at `db`: its status and the outcome counts of the results
/// stored for it.
fn stored(db: &Path) -> Result<(String, OutcomeCounts), String> {
    let store = Store::open_readonly(db).map_err(|e| e.to_string())?;
    let run = store
        .latest_run(None)
        .map_err(|e| e.to_string())?
        .ok_or("no run stored")?;
    Ok((run.status.clone(), run.counts))
}

/// The common checks of a row: exit, deadline, healthy hosts' results stored and passing,
/// the faulty host's own outcome with a reason, leftovers.
fn judge(fault: &'static str, scene: &Scene, ran: &Ran, want_bad: &[&str], deadline: f64) -> Row {
    let mut problems = Vec::new();
    if ran.stderr.contains("panicked") {
        problems.push(format!("panic: {}", ran.stderr));
    }
    if ran.code.is_none() {
        problems.push("killed: no exit".into());
    }
    if ran.secs > deadline + 5.0 {
        problems.push(format!("took {:.1}s > deadline {deadline}s + 5s", ran.secs));
    }
    let mut outcome = String::new();
    for h in HEALTHY {
        let rs = ran.results_of(h);
        if rs.is_empty() || rs.iter().any(|(o, _)| o != "pass") {
            problems.push(format!("healthy {h}: {rs:?}\n{}", ran.stderr));
        }
    }
    let bad = ran.results_of(BAD);
    if let Some((o, why)) = bad.first() {
        outcome = format!("{o}: {}", why.chars().take(60).collect::<String>());
        if !want_bad.contains(&o.as_str()) || (why.is_empty() && o != "pass") {
            problems.push(format!(
                "bad: {bad:?}, wanted one of {want_bad:?} with a reason"
            ));
        }
    } else {
        problems.push(format!("no result for {BAD}: {}{}", ran.stdout, ran.stderr));
    }
    let stored = match stored(&scene.db) {
        Ok((status, counts)) => {
            // Every result the report shows is stored: the healthy hosts' passes and the
            // faulty host's own outcome.
            let reported = HEALTHY
                .iter()
                .chain([&BAD])
                .map(|h| ran.results_of(h).len() as u64)
                .sum::<u64>();
            if counts.total() != reported || counts.get(Outcome::Pass) < HEALTHY.len() as u64 {
                problems.push(format!(
                    "{} results stored ({} pass), {reported} reported",
                    counts.total(),
                    counts.get(Outcome::Pass)
                ));
            }
            format!("{} ({status})", counts.total())
        }
        Err(e) => {
            problems.push(format!("history: {e}"));
            "-".into()
        }
    };
    let left = leftovers(&scene.fleet, Duration::from_secs(3));
    if !left.is_empty() {
        problems.push(format!("left behind: {left:?}"));
    }
    Row {
        fault,
        outcome,
        secs: ran.secs,
        stored,
        leftovers: left.len(),
        problems,
    }
}

fn row_simple(fault: &'static str, scene: Scene, want: &[&str]) -> Row {
    let ran = run(&scene, &[]);
    judge(fault, &scene, &ran, want, DEADLINE as f64)
}

fn host_down() -> Row {
    let mut s = Scene::new("", None);
    s.fleet.kill_host(BAD);
    row_simple("host down", s, &["unreachable"])
}

fn sshd_killed_mid_run() -> Row {
    let mut s = Scene::new("", Some("sleep 4; echo x"));
    let started = Instant::now();
    let child = s.spawn(&[]);
    std::thread::sleep(Duration::from_millis(2000));
    s.fleet.kill_host(BAD);
    let ran = finish(child, started, Duration::from_secs(DEADLINE));
    judge(
        "sshd killed mid-run",
        &s,
        &ran,
        &["unreachable", "error"],
        DEADLINE as f64,
    )
}

fn no_banner() -> Row {
    let s = Scene::new("", None);
    // `bad` now points at a socket that accepts and never speaks.
    let mute = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mute.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        mute.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(DEADLINE + 10);
        while Instant::now() < until {
            if let Ok((c, _)) = mute.accept() {
                conns.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let cfg = std::fs::read_to_string(&s.fleet.ssh_config).unwrap();
    let old = format!(
        "Host bad\n  HostName 127.0.0.1\n  Port {}\n",
        s.fleet.get(BAD).port
    );
    assert!(cfg.contains(&old), "{cfg}");
    let cfg = cfg.replace(
        &old,
        &format!("Host bad\n  HostName 127.0.0.1\n  Port {port}\n"),
    );
    std::fs::write(&s.fleet.ssh_config, cfg).unwrap();
    let row = row_simple(
        "TCP accepted, no SSH banner",
        s,
        &["unreachable", "timeout"],
    );
    drop(held);
    row
}

fn probe_hangs() -> Row {
    let s = Scene::new("", Some("sleep 60"));
    row_simple("probe hangs past the deadline", s, &["timeout"])
}

fn host_key_changed() -> Row {
    let mut s = Scene::new("", None);
    s.fleet.replace_host_key(BAD);
    row_simple("host key changed", s, &["unreachable"])
}

fn auth_refused() -> Row {
    let s = Scene::new("user = \"ds-no-such-user\"", None);
    row_simple("auth refused", s, &["unreachable"])
}

fn sudo_refused() -> Row {
    let user = sshd_fleet::ensure_nosudo_user();
    let s = Scene::new(&format!("user = \"{user}\"\nbecome = true"), None);
    row_simple("sudo refused", s, &["sudo_denied"])
}

fn flood() -> Row {
    let mut s = Scene::new("", Some("yes | head -c 100000000"));
    // Making 100 MB on the host takes a while on a shared CI box: a longer deadline.
    s.deadline = 30;
    let ran = run(&s, &[]);
    judge("output flood of 100 MB", &s, &ran, &["error"], 30.0)
}

fn non_utf8() -> Row {
    let s = Scene::new("", Some("printf 'a\\377\\376\\375\\n\\200b'"));
    row_simple("non-UTF-8 output", s, &["fail"])
}

fn sigint() -> Row {
    let s = Scene::new("", Some("sleep 30"));
    let started = Instant::now();
    let child = s.spawn(&[]);
    std::thread::sleep(Duration::from_millis(2500));
    // SAFETY: kill(2) on the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let ran = finish(child, started, Duration::from_secs(DEADLINE));
    let mut row = judge("SIGINT mid-run", &s, &ran, &[], DEADLINE as f64);
    // A cancelled host has no result of its own: the run says it was cancelled.
    row.problems
        .retain(|p| !p.starts_with("no result for") && !p.starts_with("bad's outcome"));
    if ran.code != Some(130) {
        row.problems
            .push(format!("exit {:?}, wanted 130", ran.code));
    }
    if !row.stored.contains("cancelled") {
        row.problems.push(format!("run stored as {}", row.stored));
    }
    row.outcome = format!("exit 130, run cancelled; {BAD} not recorded");
    row
}

/// The remote probe of the killed run sleeps far longer than its deadline: with driftscope
/// gone, only the host's own `timeout` (the deadline + the transport's grace) ends it.
const KILLED_PROBE_SECS: u64 = 60;
const REMOTE_GRACE_SECS: u64 = driftscope::transport::ssh::REMOTE_GRACE.as_secs();

fn sigkill_then_next_run() -> Row {
    let s = Scene::new("", Some(&format!("sleep {KILLED_PROBE_SECS}")));
    let started = Instant::now();
    // ControlPersist of 4 s, so the masters' lifetime after the kill is observable.
    let mut child = s.spawn(&["--keep-connections", "4s"]);
    std::thread::sleep(Duration::from_millis(2500));
    let _ = child.kill();
    let _ = child.wait();
    let secs = started.elapsed().as_secs_f64();
    let mut problems = Vec::new();
    // Nothing the killed run started on the host outlives its deadline + the grace (+ 3 s of
    // slack): the remote `timeout` kills the probe's process group.
    let bound = started + Duration::from_secs(s.deadline + REMOTE_GRACE_SECS + 3);
    let remote = loop {
        let left: Vec<_> = s
            .fleet
            .leftovers()
            .into_iter()
            .filter(|(_, comm, _)| comm != "ssh" && comm != "sshd")
            .collect();
        if left.is_empty() || Instant::now() > bound {
            break left;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !remote.is_empty() {
        problems.push(format!(
            "the killed run's remote probe outlived deadline + grace: {remote:?}"
        ));
    }
    // No master outlives its ControlPersist: 4 s after its last session ended, plus 3 s.
    let masters = s.fleet.ssh_clients_after(
        bound.saturating_duration_since(Instant::now()) + Duration::from_secs(4 + 3),
    );
    if !masters.is_empty() {
        problems.push(format!("ssh masters outlived ControlPersist: {masters:?}"));
    }
    let next = run(&s, &["--check", "kernel.ostype"]);
    let mut stored_note = String::from("-");
    match Store::open_readonly(&s.db).and_then(|st| st.runs(None, 10)) {
        Ok(runs) => {
            let killed = runs.iter().find(|r| r.id != runs[0].id);
            match killed {
                Some(k) if k.status == "incomplete" => {
                    stored_note = format!(
                        "{} kept of the killed run (incomplete); next run {} ({})",
                        k.counts.total(),
                        runs[0].counts.total(),
                        runs[0].status
                    );
                    if k.counts.total() < 2 {
                        problems.push(format!("killed run kept {} results", k.counts.total()));
                    }
                }
                other => problems.push(format!("killed run not marked incomplete: {other:?}")),
            }
        }
        Err(e) => problems.push(format!("history: {e}")),
    }
    if next.code != Some(0) {
        problems.push(format!("next run exit {:?}: {}", next.code, next.stderr));
    }
    let left = leftovers(&s.fleet, Duration::from_secs(5));
    if !left.is_empty() {
        problems.push(format!("left behind: {left:?}"));
    }
    Row {
        fault: "SIGKILL mid-run, then the next run",
        outcome: format!(
            "run marked incomplete; remote probe ({KILLED_PROBE_SECS} s) killed at deadline + {REMOTE_GRACE_SECS} s; masters gone after ControlPersist"
        ),
        secs,
        stored: stored_note,
        leftovers: left.len(),
        problems,
    }
}

fn db_locked() -> Row {
    let s = Scene::new("", None);
    // A first run creates the history; then another process takes its write lock for 2 s.
    let _ = run(&s, &["--check", "kernel.ostype"]);
    let db = s.db.clone();
    let locker = std::thread::spawn(move || {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        std::thread::sleep(Duration::from_secs(2));
        c.execute_batch("COMMIT").unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let ran = run(&s, &[]);
    locker.join().unwrap();
    let mut row = judge(
        "DB locked by another process",
        &s,
        &ran,
        &["pass"],
        DEADLINE as f64,
    );
    row.outcome = "all pass; written once the 2 s lock was released".into();
    row
}

fn db_corrupt() -> Row {
    let s = Scene::new("", None);
    let junk = b"this is not a database, it is a grocery list\n".repeat(100);
    std::fs::write(&s.db, &junk).unwrap();
    let ran = run(&s, &[]);
    let mut problems = Vec::new();
    if ran.code != Some(2) || !ran.stderr.contains(&s.db.display().to_string()) {
        problems.push(format!("exit {:?}: {}", ran.code, ran.stderr));
    }
    if std::fs::read(&s.db).unwrap() != junk {
        problems.push("the corrupt file was modified".into());
    }
    let left = leftovers(&s.fleet, Duration::from_secs(3));
    Row {
        fault: "DB corrupt",
        outcome: format!(
            "exit 2: {}",
            ran.stderr.trim().chars().take(60).collect::<String>()
        ),
        secs: ran.secs,
        stored: "0 (file untouched)".into(),
        leftovers: left.len(),
        problems,
    }
}

/// A mount this test made, unmounted on drop.
struct Mounted(PathBuf);
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount(args: &[&str], target: &Path) -> Option<Mounted> {
    let ok = Command::new("mount")
        .args(args)
        .arg(target)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mounted(target.to_path_buf()))
}

fn db_dir_read_only() -> Row {
    let mut s = Scene::new("", None);
    let ro = s.fleet.root().join("ro");
    std::fs::create_dir_all(ro.join("driftscope")).unwrap();
    let Some(_bind) = mount(&["--bind", &ro.display().to_string()], &ro) else {
        return skipped(
            "database directory read-only",
            "mount --bind failed (not root?)",
        );
    };
    // The same mount made read-only (its guard is `_bind`'s: forget this one).
    match mount(&["-o", "remount,ro,bind"], &ro) {
        Some(again) => std::mem::forget(again),
        None => return skipped("database directory read-only", "remount ro failed"),
    }
    // The default history (not a --db the user named) under a read-only XDG data dir: the
    // run goes on without it.
    s.db = ro.join("driftscope/history.db");
    let mut cmd = s.command(&["--no-store"]);
    let args: Vec<_> = cmd
        .get_args()
        .filter(|a| *a != "--no-store")
        .map(|a| a.to_owned())
        .collect();
    cmd = Command::new(env!("CARGO_BIN_EXE_driftscope"));
    cmd.args(args)
        .env("XDG_RUNTIME_DIR", s.fleet.root())
        .env("XDG_DATA_HOME", &ro)
        .env("XDG_CONFIG_HOME", s.fleet.root())
        .env_remove("DRIFTSCOPE_DB")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let ran = finish(cmd.spawn().unwrap(), started, Duration::from_secs(DEADLINE));
    let mut problems = Vec::new();
    for h in HEALTHY.iter().chain([&BAD]) {
        if ran.results_of(h).iter().any(|(o, _)| o != "pass") || ran.results_of(h).is_empty() {
            problems.push(format!("{h}: {:?}", ran.results_of(h)));
        }
    }
    if !ran.stderr.contains("history not recorded") {
        problems.push(format!(
            "no warning: {} (args {:?}; db exists: {})",
            ran.stderr,
            cmd.get_args().collect::<Vec<_>>(),
            s.db.exists()
        ));
    }
    let left = leftovers(&s.fleet, Duration::from_secs(3));
    Row {
        fault: "database directory read-only",
        outcome: format!(
            "exit {:?}, all reported; {}",
            ran.code,
            ran.stderr
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(50)
                .collect::<String>()
        ),
        secs: ran.secs,
        stored: "0 (reported, warned)".into(),
        leftovers: left.len(),
        problems,
    }
}

fn disk_full() -> Row {
    let mut s = Scene::new("", Some("sleep 3; echo x"));
    let dir = s.fleet.root().join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let Some(_tmpfs) = mount(&["-t", "tmpfs", "-o", "size=1m", "ds-full"], &dir) else {
        return skipped(
            "disk full during a run",
            "mount -t tmpfs failed (not root?)",
        );
    };
    s.db = dir.join("history.db");
    // A first run creates the history; the next one fills the disk while `bad` still
    // probes (its check sleeps), so the results written after that have nowhere to go.
    let _ = run(&s, &["--check", "kernel.ostype"]);
    let started = Instant::now();
    let child = s.spawn(&[]);
    std::thread::sleep(Duration::from_millis(1500));
    let mut filler = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    use std::io::Write;
    while filler.write_all(&chunk).is_ok() {}
    let _ = filler.flush();
    let ran = finish(child, started, Duration::from_secs(DEADLINE));
    let mut problems = Vec::new();
    for h in HEALTHY.iter().chain([&BAD]) {
        if ran.results_of(h).is_empty() {
            problems.push(format!("{h} not reported"));
        }
    }
    if ran.stderr.contains("panicked") || ran.code.is_none() {
        problems.push(format!("exit {:?}: {}", ran.code, ran.stderr));
    }
    if !ran.stderr.contains("not recorded") {
        problems.push(format!("no loss reported: {}", ran.stderr));
    }
    let left = leftovers(&s.fleet, Duration::from_secs(3));
    Row {
        fault: "disk full during a run",
        outcome: format!(
            "exit {:?}, all reported; {}",
            ran.code,
            ran.stderr
                .lines()
                .last()
                .unwrap_or("")
                .chars()
                .take(50)
                .collect::<String>()
        ),
        secs: ran.secs,
        stored: match stored(&s.db) {
            Ok((status, counts)) => format!("{} ({status}), loss counted", counts.total()),
            Err(e) => format!("unreadable: {e}"),
        },
        leftovers: left.len(),
        problems,
    }
}

fn two_hundred_hosts() -> Row {
    const N: usize = 200;
    let fleet = Fleet::uniform(N);
    // Cheaper key exchange for this many test connections on a shared 2-core CI box (the
    // user's own KEX is never changed by driftscope; this is the test's ssh_config).
    let mut cfg = std::fs::read_to_string(&fleet.ssh_config).unwrap();
    cfg.push_str("Host *\n  KexAlgorithms curve25519-sha256\n");
    std::fs::write(&fleet.ssh_config, cfg).unwrap();
    let mut s = Scene::with_fleet(fleet, &[], "", None);
    s.deadline = 60;
    let started = Instant::now();
    let child = s.spawn(&["--jobs", "16"]);
    let ran = finish(child, started, Duration::from_secs(120));
    let mut problems = Vec::new();
    let passed = ran.json()["results"]
        .as_array()
        .map(|rs| rs.iter().filter(|r| r["outcome"] == "pass").count())
        .unwrap_or(0);
    if passed != N {
        problems.push(format!("{passed} of {N} passed: {}", ran.stderr));
    }
    let stored = match stored(&s.db) {
        Ok((status, counts)) => {
            if counts.get(Outcome::Pass) != N as u64 {
                problems.push(format!(
                    "{} of {N} stored as pass",
                    counts.get(Outcome::Pass)
                ));
            }
            format!("{} ({status})", counts.total())
        }
        Err(e) => {
            problems.push(e);
            "-".into()
        }
    };
    let left = leftovers(&s.fleet, Duration::from_secs(5));
    if !left.is_empty() {
        problems.push(format!("left behind: {} processes", left.len()));
    }
    Row {
        fault: "200 hosts, --jobs 16",
        outcome: format!("{passed}/{N} pass, exit {:?}", ran.code),
        secs: ran.secs,
        stored,
        leftovers: left.len(),
        problems,
    }
}

fn skipped(fault: &'static str, why: &str) -> Row {
    Row {
        fault,
        outcome: format!("SKIPPED: {why}"),
        secs: 0.0,
        stored: "-".into(),
        leftovers: 0,
        problems: if std::env::var_os("CI").is_some() {
            vec![format!("skipped under CI: {why}")]
        } else {
            Vec::new()
        },
    }
}

fn print(rows: &[Row]) -> String {
    let mut t = String::from(
        "| fault | outcome of the faulty host / run | seconds | results stored | leftovers |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        t.push_str(&format!(
            "| {} | {} | {:.1} | {} | {} |\n",
            r.fault,
            r.outcome.replace('|', "/").replace('\n', " "),
            r.secs,
            r.stored,
            r.leftovers
        ));
    }
    t
}

/// One row: runs its fault and judges it.
type RowFn = fn() -> Row;

#[test]
fn the_fault_matrix() {
    if !sshd_fleet::is_root() {
        eprintln!("fault matrix: needs root (mounts, a user without sudo); skipped");
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    let rows_fns: Vec<(&str, RowFn)> = vec![
        ("host down", host_down),
        ("sshd killed", sshd_killed_mid_run),
        ("no banner", no_banner),
        ("hang", probe_hangs),
        ("host key", host_key_changed),
        ("auth", auth_refused),
        ("sudo", sudo_refused),
        ("flood", flood),
        ("non-utf8", non_utf8),
        ("200 hosts", two_hundred_hosts),
        ("sigint", sigint),
        ("sigkill", sigkill_then_next_run),
        ("db locked", db_locked),
        ("db corrupt", db_corrupt),
        ("db dir ro", db_dir_read_only),
        ("disk full", disk_full),
    ];
    let only = std::env::var("FAULT_MATRIX_ONLY").ok();
    let mut rows = Vec::new();
    for (name, f) in rows_fns {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        rows.push(f());
    }
    let table = print(&rows);
    println!("\n{table}");
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault_matrix.md"),
        &table,
    );
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| format!("{}:\n  {}", r.fault, r.problems.join("\n  ")))
        .collect();
    assert!(failed.is_empty(), "{table}\n{}", failed.join("\n"));
}
