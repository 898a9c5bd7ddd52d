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
    for f in [
        "inventory.toml",
        "checks/basics.toml",
        "checks/sops/basics.md",
    ] {
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
    assert_eq!(
        std::fs::read_to_string(dir.path().join("inventory.toml")).expect("read"),
        "# mine\n"
    );
}

#[test]
fn init_into_a_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    driftscope(dir.path())
        .args(["init", "fleet"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "driftscope run -i fleet/inventory.toml -c fleet/checks",
        ));
    assert!(dir.path().join("fleet/checks/sops/basics.md").is_file());
}

#[test]
fn the_linux_tag_a_newcomer_needs() {
    let dir = tempfile::tempdir().expect("tmp");
    // A host without any tags is tagged `linux`, so the shipped checks run on it.
    std::fs::write(
        dir.path().join("plain.toml"),
        "[environment]\nname = \"x\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"h\"\n",
    )
    .expect("inv");
    driftscope(dir.path())
        .args(["inventory", "-i", "plain.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("tags: linux(1)"));
    // A host tagged otherwise is not: "nothing to run" says what to add.
    std::fs::write(dir.path().join("db.toml"), "[environment]\nname = \"x\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"h\"\ntags = [\"db\"]\n").expect("inv");
    driftscope(dir.path())
        .args(["run", "--no-store", "-i", "db.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "hint: the shipped checks target hosts tagged `linux`",
        ))
        .stderr(predicate::str::contains(
            "add `tags = [\"linux\"]` to the inventory's [defaults]",
        ));
}
