//! `driftscope sop` as a user runs it: the real binary, the shipped checks and SOPs, the
//! embedded inventory (this machine).

use assert_cmd::Command;

fn sop(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .arg("sop")
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-driftscope-config")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn this_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[test]
fn the_sop_of_an_execution_has_its_host_and_key_filled_in() {
    let host = this_host();
    let key = "ssh.sshd-option[option=PermitRootLogin,value=no]";
    let (code, out, err) = sop(&[key, "--host", &host]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# "), "a markdown title first: {out}");
    assert!(out.contains("## Remediate"), "{out}");
    assert!(
        out.contains(&format!("daemon on {host} ")),
        "{{host}} filled: {out}"
    );
    assert!(
        out.contains(&format!("Check `{key}`")),
        "{{key}} filled: {out}"
    );
    assert!(!out.contains("{host}"), "no placeholder left: {out}");
}

#[test]
fn without_a_host_the_placeholders_stay_as_written() {
    let (code, out, _) = sop(&["ssh.sshd-option"]);
    assert_eq!(code, 0);
    assert!(out.contains("daemon on {host}"), "{out}");
}

#[test]
fn a_check_without_a_sop_says_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("misc.toml"),
        "category = \"misc\"\n\n[[check]]\nid = \"misc.ostype\"\ntitle = \"kernel is Linux\"\n\
         probe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"Linux\" }\n",
    )
    .unwrap();
    let checks = dir.path().display().to_string();
    let (code, out, err) = sop(&["misc.ostype", "--checks", &checks]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("no SOP"), "{out}");
}

#[test]
fn unknown_checks_and_hosts_are_usage_errors() {
    let (code, _, err) = sop(&["no.such-check"]);
    assert_eq!(code, 2);
    assert!(err.contains("no check \"no.such-check\""), "{err}");
    let (code, _, err) = sop(&["ssh.sshd-option", "--host", "no-such-host"]);
    assert_eq!(code, 2);
    assert!(err.contains("no host \"no-such-host\""), "{err}");
}

#[test]
fn placeholders_in_the_front_matter_are_filled_too() {
    // `driftscope init`'s SOP says "escalation: whoever owns {host}".
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("driftscope")
        .unwrap()
        .arg("init")
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", "/nonexistent-driftscope-config")
        .assert()
        .success();
    let host = this_host();
    let (code, out, err) = sop(&[
        "basics.aslr",
        "--host",
        &host,
        "-i",
        &dir.path().join("inventory.toml").display().to_string(),
        "-c",
        &dir.path().join("checks").display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("- escalation: whoever owns {host}\n")),
        "{out}"
    );
}
