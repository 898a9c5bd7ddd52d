//! No subcommand panics on a closed pipe (`driftscope checks -v | head -1` used to die with
//! "failed printing to stdout: Broken pipe", exit 101): every subcommand is run with its
//! stdout read by `head -1`, and again with the reading end closed before it writes.

use std::path::Path;
use std::process::{Command, Stdio};

const INV: &str = "[environment]\nname = \"pipes\"\n[defaults]\ntransport = \"local\"\ntags = [\"linux\"]\n[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n";

fn every_subcommand(dir: &Path) -> Vec<Vec<String>> {
    let inv = dir.join("inv.toml").display().to_string();
    let db = dir.join("h.db").display().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut cmds = vec![
        s(&["--help"]),
        s(&["run", "--help"]),
        s(&["checks", "-v", "-i", &inv]),
        s(&["checks", "--lint"]),
        s(&["inventory", "-i", &inv]),
        s(&["inventory", "--json", "-i", &inv]),
        s(&["history", "--db", &db]),
        s(&["history", "--db", &db, "--format", "json"]),
        s(&["drift", "--db", &db]),
        s(&["status", "--db", &db]),
        s(&[
            "show",
            "--db",
            &db,
            "a",
            "ssh.sshd-option[option=PermitRootLogin,value=no]",
        ]),
        s(&["prune", "--db", &db, "--older-than", "3650d"]),
        s(&["sop", "ssh-hardening"]),
        s(&["config"]),
        s(&["completions", "bash"]),
        s(&["completions", "zsh"]),
        s(&["man"]),
        s(&["disconnect"]),
        s(&["init", &dir.join("init-target").display().to_string()]),
    ];
    for format in ["text", "json", "junit", "prometheus"] {
        cmds.push(s(&["run", "-i", &inv, "--db", &db, "--format", format]));
    }
    cmds
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("inv.toml"), INV).expect("inv");
    // A stored run so the history subcommands have rows to print.
    let status = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["run", "-i"])
        .arg(dir.path().join("inv.toml"))
        .arg("--db")
        .arg(dir.path().join("h.db"))
        .env("DRIFTSCOPE_CONFIG", "/dev/null")
        .stdout(Stdio::null())
        .status()
        .expect("run");
    assert!(status.code().is_some_and(|c| c <= 3));
    dir
}

#[test]
fn every_subcommand_survives_head_1() {
    let dir = setup();
    for args in every_subcommand(dir.path()) {
        let _ = std::fs::remove_dir_all(dir.path().join("init-target"));
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let script = format!(
            "'{}' {} 2>err | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_driftscope"),
            quoted.join(" ")
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env("DRIFTSCOPE_CONFIG", "/dev/null")
            .output()
            .expect("bash");
        let code: i32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(-1);
        let err = std::fs::read_to_string(dir.path().join("err")).unwrap_or_default();
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert!((0..=4).contains(&code), "{args:?} exited {code}: {err}");
    }
}

#[test]
fn every_subcommand_survives_a_reader_that_is_already_gone() {
    let dir = setup();
    for args in every_subcommand(dir.path()) {
        let _ = std::fs::remove_dir_all(dir.path().join("init-target"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_driftscope"))
            .args(&args)
            .current_dir(dir.path())
            .env("DRIFTSCOPE_CONFIG", "/dev/null")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert!(
            out.status.code().is_some_and(|c| (0..=4).contains(&c)),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}
