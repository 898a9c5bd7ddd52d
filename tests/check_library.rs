//! The shipped check library (`checks/*.toml` + `checks/sops/*.md`, embedded in the binary)
//! on THIS machine: it completes without a single `error` outcome (absent subsystems are
//! `not_applicable`), and the categories driven by inventory vars detect deliberately broken
//! states built in a temp dir (a config with a wrong mode and key, an expired certificate, a
//! chrony config without the declared server, a listener that is down, a package outside its
//! pinned version).

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;

fn run_json(args: &[&str], dir: &Path) -> Value {
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .current_dir(dir)
        .args(["run", "--no-store", "--format", "json"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn outcomes(doc: &Value) -> BTreeMap<String, String> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_shipped_library_runs_here_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let doc = run_json(&[], dir.path());
    let results = doc["results"].as_array().unwrap();
    let errors: Vec<String> = results
        .iter()
        .filter(|r| r["outcome"] == "error")
        .map(|r| format!("{} {}", r["key"], r["reason"]))
        .collect();
    assert!(
        errors.is_empty(),
        "errors caused by driftscope: {errors:#?}"
    );
    let categories: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["category"].as_str())
        .collect();
    assert!(categories.len() >= 9, "{categories:?}");
    let checks: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["check_id"].as_str())
        .collect();
    // Tag-gated checks (app, tls, ntp, …) do not run on the untagged default host.
    assert!(checks.len() >= 70, "{} checks ran", checks.len());
    assert!(
        results.iter().all(|r| r["sop"].is_string()),
        "every result names its SOP"
    );
}

#[test]
fn var_driven_categories_detect_broken_states() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    // app: world-readable config with a wrong log level, an old version.
    std::fs::write(
        root.join("etc/app.conf"),
        "listen_port=1\nlog_level=debug\ntls=on\n",
    )
    .unwrap();
    std::fs::write(root.join("VERSION"), "1.0.0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root.join("etc/app.conf"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(root.join("data"), std::fs::Permissions::from_mode(0o750)).unwrap();
    // certificates: one that expires tomorrow (OpenSSL 3.0 cannot backdate) and one that is
    // gone.
    let cert = dir.path().join("short.pem");
    let gone = dir.path().join("gone.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-subj", "/CN=old.test", "-days", "1"])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    // time: a chrony config without the declared server.
    let chrony = dir.path().join("chrony.conf");
    std::fs::write(&chrony, "pool 2.debian.pool.ntp.org iburst\n").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let user = whoami();
    let inv = format!(
        r#"
[environment]
name = "broken"
[[host]]
name = "here"
transport = "local"
tags = ["linux", "app", "tls", "ntp", "listeners", "pinned"]
[host.vars]
app_root = "{root}"
app_port = 1
app_version = "2.0.0"
app_user = "{user}"
app_process = "no-such-app-process"
tls_certificates = ["{cert}", "{gone}"]
tls_keys = ["{key}"]
tls_min_days = 30
tls_hostname = "new.test"
ntp_servers = ["ntp.example.org"]
chrony_conf = "{chrony}"
listeners = ["tcp/127.0.0.1:{closed}"]
pinned_package = "bash"
pinned_version = "< 1.0"
"#,
        root = root.display(),
        cert = cert.display(),
        gone = gone.display(),
        key = dir.path().join("key.pem").display(),
        chrony = chrony.display(),
    );
    std::fs::write(dir.path().join("inv.toml"), inv).unwrap();
    let doc = run_json(
        &[
            "-i",
            "inv.toml",
            "--category",
            "app",
            "--category",
            "certificates",
            "--category",
            "time",
            "--category",
            "network",
            "--category",
            "packages",
        ],
        dir.path(),
    );
    let got = outcomes(&doc);
    for key in [
        "app.config-perms",
        "app.config-keys[setting=^log_level=(info|warn)$]",
        "app.version",
        "app.listening",
        "app.process",
        "certificates.valid[cert=GONE]",
        "certificates.expiry[cert=CERT]",
        "certificates.names[cert=CERT]",
        "time.declared-servers[server=ntp.example.org]",
        "network.role-listener[listener=tcp/127.0.0.1:PORT]",
        "packages.pinned",
    ] {
        let key = key
            .replace("CERT", &cert.display().to_string())
            .replace("GONE", &gone.display().to_string())
            .replace("PORT", &closed.to_string());
        assert_eq!(
            got.get(&key).map(String::as_str),
            Some("fail"),
            "{key}: {got:#?}"
        );
    }
    // What is right stays right: the data dir, the tls key's mode, the config key that is set.
    let valid = format!("certificates.valid[cert={}]", cert.display());
    for key in [
        "app.data-dir",
        "app.config-keys[setting=^tls=on$]",
        valid.as_str(),
    ] {
        assert_eq!(
            got.get(key).map(String::as_str),
            Some("pass"),
            "{key}: {got:#?}"
        );
    }
    // The gone certificate's other checks are errors? No: a missing file is an observation.
    assert!(got.values().all(|o| o != "error"), "{got:#?}");
}

fn whoami() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
