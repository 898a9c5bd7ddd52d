//! The config file as a user meets it, through the real binary: `driftscope config` shows
//! each value and where it came from; flags beat `DRIFTSCOPE_*` variables beat the file
//! beat the defaults; mistakes are `file:line:col` with exit 2; a config naming an
//! inventory makes plain `driftscope run` (and the TUI) use that fleet.

mod tui_support;

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;
use std::time::Duration;

const INV: &str = "[environment]\nname = \"lab\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"cfg-host\"\n";
const CHECKS: &str = "category = \"kernel\"\n[[check]]\nid = \"kernel.ostype\"\ntitle = \"kernel is Linux\"\ntargets = { tags = [\"linux\"] }\nprobe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"Linux\" }\n";

/// A temp XDG_CONFIG_HOME with driftscope/config.toml naming `inv.toml` and `checks/`.
fn setup(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg_dir = dir.path().join("xdg/driftscope");
    std::fs::create_dir_all(&cfg_dir).expect("dir");
    std::fs::create_dir_all(dir.path().join("fleet/checks")).expect("dir");
    std::fs::write(dir.path().join("fleet/inv.toml"), INV).expect("inv");
    std::fs::write(dir.path().join("fleet/checks/k.toml"), CHECKS).expect("checks");
    std::fs::write(
        cfg_dir.join("config.toml"),
        config.replace("FLEET", &dir.path().join("fleet").display().to_string()),
    )
    .expect("cfg");
    dir
}

fn driftscope(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("driftscope").expect("binary");
    c.env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("DRIFTSCOPE_CONFIG")
        .env_remove("DRIFTSCOPE_DB")
        .env_remove("DRIFTSCOPE_JOBS");
    c
}

const CONFIG: &str = "# my fleet\ninventories = [\"FLEET/*.toml\"]\nchecks = [\"FLEET/checks\"]\njobs = 8\ntimeout = \"2m\"\nkeep_connections = \"10m\"\n";

#[test]
fn config_shows_values_and_origins_in_precedence_order() {
    let dir = setup(CONFIG);
    let cfg = dir.path().join("xdg/driftscope/config.toml");
    let out = driftscope(dir.path())
        .arg("config")
        .env("DRIFTSCOPE_JOBS", "16")
        .arg("--timeout")
        .arg("30")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("config_file"),
        format!("config_file {} default", cfg.display())
    );
    assert_eq!(
        line("inventories"),
        format!(
            "inventories {} file {}:2:15",
            dir.path().join("fleet/inv.toml").display(),
            cfg.display()
        )
    );
    assert_eq!(line("jobs"), "jobs 16 env $DRIFTSCOPE_JOBS");
    assert_eq!(line("timeout"), "timeout 30s flag --timeout");
    assert_eq!(
        line("keep_connections"),
        format!("keep_connections 10m file {}:6:20", cfg.display())
    );
    assert_eq!(line("connect_timeout"), "connect_timeout 10s default");
    assert!(
        line("db").contains("data/driftscope/history.db default"),
        "{text}"
    );
    // JSON for scripts.
    let out = driftscope(dir.path())
        .args(["config", "--json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["jobs"]["value"], "8");
    assert_eq!(v["jobs"]["origin"], format!("file {}:4:8", cfg.display()));
}

#[test]
fn config_flag_and_variable_choose_the_file() {
    let dir = setup(CONFIG);
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "jobs = 3\n").expect("write");
    driftscope(dir.path())
        .args(["config", "--config"])
        .arg(&other)
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(format!(
                r"config_file\s+{}\s+flag --config",
                regex_escape(&other.display().to_string())
            ))
            .expect("regex"),
        )
        .stdout(predicate::str::is_match(r"jobs\s+3\s+file").expect("regex"));
    driftscope(dir.path())
        .arg("config")
        .env("DRIFTSCOPE_CONFIG", &other)
        .assert()
        .success()
        .stdout(predicate::str::contains("env $DRIFTSCOPE_CONFIG"));
    driftscope(dir.path())
        .args(["config", "--config", "/nonexistent/driftscope.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/driftscope.toml: cannot read",
        ));
}

#[test]
fn mistakes_are_file_line_col_with_exit_2_for_every_command() {
    for (config, want) in [
        (
            "jobs = 8\ninventorys = []\n",
            ":2:1: unknown field `inventorys`, expected one of",
        ),
        (
            "jobs = \"many\"\n",
            ":1:8: invalid type: string \"many\", expected i64",
        ),
        (
            "\n\ntimeout = -1\n",
            ":3:11: timeout: expected a positive number of seconds",
        ),
        (
            "connect_timeout = \"5 minutes\"\n",
            ":1:19: connect_timeout: expected a duration",
        ),
        (
            "inventories = [\"/nope/*.ini\"]\n",
            ":1:15: inventories: \"/nope/*.ini\" matches no file",
        ),
    ] {
        let dir = setup(config);
        let cfg = dir.path().join("xdg/driftscope/config.toml");
        for cmd in [
            &["config"][..],
            &["run", "--no-store"],
            &["checks"],
            &["history"],
        ] {
            driftscope(dir.path())
                .args(cmd)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(format!("{}{want}", cfg.display())));
        }
    }
    let dir = setup(CONFIG);
    driftscope(dir.path())
        .arg("config")
        .env("DRIFTSCOPE_TIMEOUT", "soon")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "$DRIFTSCOPE_TIMEOUT: expected a duration",
        ));
}

#[test]
fn a_config_naming_the_fleet_makes_run_use_it() {
    let dir = setup(CONFIG);
    driftscope(dir.path())
        .args(["run", "--no-store"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cfg-host"))
        .stdout(predicate::str::contains("1 pass"));
    // A flag replaces the file's list.
    driftscope(dir.path())
        .args(["inventory", "-i"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible/docs-basic.ini"))
        .assert()
        .success()
        .stdout(predicate::str::contains("docs-basic (6 hosts)"))
        .stdout(predicate::str::contains("cfg-host").not());
}

#[test]
fn plain_driftscope_opens_the_configured_fleet() {
    use tui_support::{Tmux, sh_quote};
    let dir = setup(CONFIG);
    let cmd = format!(
        "XDG_CONFIG_HOME={cfg} XDG_DATA_HOME={data} DRIFTSCOPE_LOG={log} {bin}; sleep 600",
        cfg = sh_quote(&dir.path().join("xdg").display().to_string()),
        data = sh_quote(&dir.path().join("data").display().to_string()),
        log = sh_quote(&dir.path().join("tui.log").display().to_string()),
        bin = sh_quote(env!("CARGO_BIN_EXE_driftscope")),
    );
    let tmux = Tmux::start(&format!("sh -c {}", sh_quote(&cmd)), 120, 30);
    // The configured fleet and checks: its host, its environment, its check's result.
    tmux.wait_for(
        &["cfg-host", "env lab", "kernel.ostype"],
        Duration::from_secs(20),
    );
    tmux.keys(&["q"]);
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}
