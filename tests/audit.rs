//! Every run records who ran it, from where, with which driftscope, which check set, which
//! inventory file (path and SHA-256) and what scope; `driftscope history --format json`
//! shows all of it.

use assert_cmd::Command;
use sha2::{Digest, Sha256};

#[test]
fn history_json_shows_who_where_what_and_from_which_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inv = d.join("inv.toml");
    let inv_text = "[environment]\nname = \"audit\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n";
    std::fs::write(&inv, inv_text).unwrap();
    std::fs::create_dir(d.join("checks")).unwrap();
    std::fs::write(
        d.join("checks/k.toml"),
        "category = \"kernel\"\n[[check]]\nid = \"k.ostype\"\ntitle = \"Linux\"\nprobe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"Linux\" }\n",
    )
    .unwrap();
    let db = d.join("h.db");
    let bin = || {
        let mut c = Command::cargo_bin("driftscope").unwrap();
        c.env_remove("DRIFTSCOPE_DB");
        c
    };
    bin()
        .args(["run", "--format", "json", "-H", "a", "--category", "kernel"])
        .arg("-i")
        .arg(&inv)
        .arg("-c")
        .arg(d.join("checks"))
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let out = bin()
        .args(["history", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let run = doc
        .as_array()
        .and_then(|a| a.first())
        .or_else(|| doc["runs"].as_array().and_then(|a| a.first()))
        .unwrap_or_else(|| panic!("no run in {doc}"));
    let user = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(run["user"], user.trim(), "{run}");
    assert_eq!(
        run["client_host"],
        gethostname::gethostname().to_string_lossy().as_ref(),
        "{run}"
    );
    assert_eq!(
        run["driftscope_version"],
        env!("CARGO_PKG_VERSION"),
        "{run}"
    );
    assert_eq!(run["checkset_hash"].as_str().unwrap().len(), 64, "{run}");
    let scope = &run["scope"];
    assert_eq!(scope["environment"], "audit", "{run}");
    assert_eq!(scope["hosts"], serde_json::json!(["a"]), "{run}");
    assert_eq!(scope["categories"], serde_json::json!(["kernel"]), "{run}");
    let files = scope["inventories"].as_array().expect("inventories");
    assert_eq!(files.len(), 1, "{run}");
    assert_eq!(files[0]["path"], inv.display().to_string());
    assert_eq!(
        files[0]["sha256"],
        format!("{:x}", Sha256::digest(inv_text.as_bytes()))
    );
}
