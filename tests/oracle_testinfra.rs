//! The differential oracle: pytest-testinfra (pinned, in the virtualenv scripts/test.sh makes
//! under target/venvs/testinfra) states facts about this machine — packages installed and
//! missing, files of odd modes and owners, symlinks, directories, every user and group,
//! sysctls, mounts, listeners, processes, commands — which tests/oracle/testinfra_checks.py
//! writes as driftscope checks. The real binary runs them: every `oracle.*` check must pass
//! and every deliberately wrong `control.*` check must fail.
//!
//! Without the virtualenv the test says so and passes, except under CI (`CI` set), where a
//! missing oracle is a failure.

use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

fn venv_python() -> Option<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venvs/testinfra/bin/python");
    if py.exists() {
        return Some(py);
    }
    let why = format!(
        "no testinfra virtualenv at {} (scripts/test.sh creates it)",
        py.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    None
}

/// A tree of odd files: spaces, quotes and braces in names, setuid/setgid/sticky modes, a
/// fifo, a socket, relative, absolute, chained, directory and dangling symlinks, an empty
/// file, and (as root) an owner and group without a name.
fn odd_tree(dir: &Path) -> std::os::unix::net::UnixListener {
    let write = |name: &str, text: &str, mode: u32| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    write(
        "plain.conf",
        "# a comment\nlog_level=info\nlisten = 0.0.0.0:8080 (v4)\n",
        0o644,
    );
    write(
        "it's a \"file\" {with} $(braces).txt",
        "[section]\nkey={value}\n",
        0o600,
    );
    write("setuid-tool", "#!/bin/sh\n", 0o4755);
    write("odd-mode", "x\n", 0o401);
    write("empty", "", 0o640);
    write("unowned", "nobody's\n", 0o664);
    if is_root() {
        let ok = Command::new("chown")
            .args(["4242:4243"])
            .arg(dir.join("unowned"))
            .status()
            .expect("chown")
            .success();
        assert!(ok, "chown");
    }
    for (name, mode) in [("setgid-dir", 0o2775), ("sticky-dir", 0o1777)] {
        std::fs::create_dir(dir.join(name)).expect("mkdir");
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
    }
    let ok = Command::new("mkfifo")
        .arg(dir.join("fifo"))
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo");
    symlink("plain.conf", dir.join("link-relative")).expect("symlink");
    symlink(dir.join("plain.conf"), dir.join("link-absolute")).expect("symlink");
    symlink("link-relative", dir.join("link-chain")).expect("symlink");
    symlink("setgid-dir", dir.join("link-dir")).expect("symlink");
    symlink("nowhere", dir.join("link-dangling")).expect("symlink");
    std::os::unix::net::UnixListener::bind(dir.join("socket")).expect("unix socket")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

/// A process with a name of its own: a copy of `sleep` called `dsoracle-sleep`.
fn named_process(dir: &Path) -> Child {
    let bin = dir.join("dsoracle-sleep");
    std::fs::copy("/bin/sleep", &bin).expect("copy sleep");
    Command::new(&bin).arg("300").spawn().expect("spawn")
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn driftscope_agrees_with_testinfra_about_this_machine() {
    let Some(python) = venv_python() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let tree = tmp.path().join("tree");
    std::fs::create_dir(&tree).expect("mkdir");
    let _socket = odd_tree(&tree);
    let _proc = KillOnDrop(named_process(tmp.path()));
    let v4 = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let spec = serde_json::json!({
        "tree": tree,
        "process": "dsoracle-sleep",
        "closed_port": closed,
        "v4_port": v4.local_addr().expect("addr").port(),
    });
    let spec_path = tmp.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("spec");

    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/testinfra_checks.py");
    let out = Command::new(&python)
        .arg(&generator)
        .arg(&spec_path)
        .output()
        .expect("run the generator");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "generator failed:\n{summary}");
    eprintln!("testinfra facts: {summary}");
    let checks = tmp.path().join("checks");
    std::fs::create_dir(&checks).expect("mkdir");
    std::fs::write(checks.join("oracle.toml"), &out.stdout).expect("checks");
    let inventory = tmp.path().join("local.toml");
    std::fs::write(
        &inventory,
        "[environment]\nname = \"oracle\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"this-machine\"\n",
    )
    .expect("inventory");

    let run = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["run", "--no-store", "--format", "json", "--inventory"])
        .arg(&inventory)
        .arg("--checks")
        .arg(&checks)
        .output()
        .expect("run driftscope");
    let report: Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "driftscope did not report JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let results = report["results"].as_array().expect("results");
    let mut wrong = Vec::new();
    let mut per_module: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in results {
        let id = r["check_id"].as_str().unwrap_or("");
        let outcome = r["outcome"].as_str().unwrap_or("");
        let (kind, want) = match id.split('.').collect::<Vec<_>>().as_slice() {
            ["oracle", kind, _] => (kind.to_string(), "pass"),
            ["control", kind, _] => (kind.to_string(), "fail"),
            _ => panic!("unexpected check {id}"),
        };
        let counts = per_module.entry(kind).or_default();
        if want == "pass" {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
        if outcome != want {
            wrong.push(format!(
                "{id} {:?}: {outcome}, expected {want}\n  expected {}\n  actual   {}\n  reason   {}",
                r["title"].as_str().unwrap_or(""),
                r["expected"],
                r["actual"],
                r["reason"]
            ));
        }
    }
    eprintln!("oracle checks per module (agreeing facts, wrong controls): {per_module:?}");
    assert!(
        wrong.is_empty(),
        "{} of {} results disagree with testinfra:\n{}",
        wrong.len(),
        results.len(),
        wrong.join("\n")
    );
    // Broad, and every control really ran.
    for module in [
        "package",
        "file",
        "directory",
        "user",
        "group",
        "sysctl",
        "mount",
        "port",
        "process",
        "command",
    ] {
        let (agree, controls) = per_module.get(module).copied().unwrap_or_default();
        assert!(
            agree >= 1 && controls >= 1,
            "{module}: {agree} facts, {controls} controls"
        );
    }
    assert!(results.len() >= 300, "only {} checks", results.len());
}
