//! The command-line surface as text: reviewed in snapshots like any other output.

use assert_cmd::Command;

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_help() {
    insta::assert_snapshot!(help(&["run"]));
}

#[test]
fn checks_and_inventory_help() {
    insta::assert_snapshot!(format!(
        "{}\n---\n{}",
        help(&["checks"]),
        help(&["inventory"])
    ));
}
