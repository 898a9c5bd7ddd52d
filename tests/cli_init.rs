//! `driftscope init` as a newcomer uses it: the files it writes load, lint clean and run on
//! this machine; the printed next commands are the ones that work; it never overwrites.

use assert_cmd::Command;
use predicates::prelude::*;

fn driftscope(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("driftscope").expect("bin");
    c.current_dir(dir).env("DRIFTSCOPE_CONFIG", "/dev/null");
    c
}

#[test]
fn init_writes_a_starter_that_lints_and_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = driftscope(dir.path()).arg("init").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let next: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("driftscope "))
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .collect();
    assert_eq!(next.len(), 3, "{text}");
    for f in ["inventory.toml", "checks/basics.toml", "checks/sops/basics.md"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    // The first two printed commands, exactly as printed.
    driftscope(dir.path())
        .args(next[0].split_whitespace())
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));
    driftscope(dir.path())
        .args(next[1].split_whitespace())
        .arg("--no-store")
        .assert()
        .success()
        .stdout(predicate::str::contains("3 pass"));
    // Never overwrites: a second init fails and leaves the files as they are.
    std::fs::write(dir.path().join("inventory.toml"), "# mine\n").expect("edit");
    driftscope(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exist"));
    assert_eq!(std::fs::read_to_string(dir.path().join("inventory.toml")).expect("read"), "# mine\n");
}

#[test]
fn init_into_a_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    driftscope(dir.path())
        .args(["init", "fleet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("driftscope run -i fleet/inventory.toml -c fleet/checks"));
    assert!(dir.path().join("fleet/checks/sops/basics.md").is_file());
}
