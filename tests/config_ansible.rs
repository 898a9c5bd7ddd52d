//! Ansible inventories read directly, through the real binary: Ansible's own documented
//! examples and a file exercising every mapping (tags from groups and their parents, vars
//! host over group over all, ansible_host/port/user/become/connection, ranges), compared
//! with what the real `ansible-inventory --list` (pip ansible-core, installed by
//! scripts/test.sh under target/venvs/daily-use) reports for the same files.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ansible")
        .join(name)
}

fn driftscope() -> Command {
    let mut c = Command::cargo_bin("driftscope").expect("binary");
    c.env("DRIFTSCOPE_CONFIG", "/dev/null");
    c
}

/// `driftscope inventory --json` over `args`: the one environment's hosts by name.
fn hosts(args: &[&str]) -> BTreeMap<String, Value> {
    let out = driftscope()
        .arg("inventory")
        .arg("--json")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envs: Value = serde_json::from_slice(&out.stdout).expect("json");
    let env = &envs.as_array().expect("list")[0];
    env["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap_or_default().to_string(),
                h.clone(),
            )
        })
        .collect()
}

fn ansible_inventory() -> Option<PathBuf> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venvs/daily-use/bin/ansible-inventory");
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "ansible-inventory not installed (scripts/test.sh installs it): comparison skipped"
        );
        None
    }
}

#[test]
fn every_mapping_from_ini_and_yaml() {
    for file in ["mapping.ini", "mapping.yml"] {
        let path = fixture(file);
        let h = hosts(&["-i", path.to_str().unwrap_or_default()]);
        assert_eq!(h.len(), 5, "{file}: {:?}", h.keys());
        let web1 = &h["web1.prod.example.com"];
        assert_eq!(web1["user"], "deploy", "{file}: all:vars user");
        assert_eq!(web1["become_root"], true, "{file}: ansible_become=yes");
        assert_eq!(web1["tags"], json!(["linux", "prod", "web"]), "{file}");
        assert_eq!(
            web1["vars"]["level"], "web",
            "{file}: group over parent over all"
        );
        assert_eq!(web1["vars"]["region"], "eu", "{file}");
        assert_eq!(web1["vars"]["tier"], 1, "{file}");
        assert_eq!(web1["vars"]["pkgs"], json!(["nginx", "certbot"]), "{file}");
        assert_eq!(web1["vars"]["debug"], false, "{file}");
        assert_eq!(web1["address"], "web1.prod.example.com", "{file}");
        let web3 = &h["web3.prod.example.com"];
        assert_eq!(web3["vars"]["level"], "host", "{file}: host over group");
        assert_eq!(
            (&web3["address"], &web3["port"]),
            (&json!("10.0.0.3"), &json!(2222)),
            "{file}"
        );
        assert_eq!(web3["become_root"], false, "{file}");
        let db = &h["db-b.prod.example.com"];
        assert_eq!(db["user"], "postgres", "{file}: host over all");
        assert_eq!(db["become_root"], true, "{file}");
        assert_eq!(db["vars"]["level"], "prod", "{file}");
        assert_eq!(db["vars"]["note"], "two words", "{file}");
        // The inventory has its own `linux` group: only its members carry the tag.
        assert_eq!(db["tags"], json!(["prod", "db"]), "{file}");
        assert_eq!(db["transport"], "ssh", "{file}");
    }
}

#[test]
fn ansible_documented_examples() {
    let h = hosts(&["-i", fixture("docs-basic.ini").to_str().unwrap_or_default()]);
    assert_eq!(h.len(), 6);
    assert_eq!(h["mail.example.com"]["tags"], json!(["linux"]), "ungrouped");
    assert_eq!(h["two.example.com"]["tags"], json!(["dbservers", "linux"]));
    for file in ["docs-vars.ini", "docs-vars.yml"] {
        let h = hosts(&["-i", fixture(file).to_str().unwrap_or_default()]);
        assert_eq!(
            (&h["jumper"]["address"], &h["jumper"]["port"]),
            (&json!("192.0.2.50"), &json!(5555)),
            "{file}"
        );
        assert_eq!(h["badwolf.example.com"]["port"], 5309, "{file}");
        assert_eq!(h["localhost"]["transport"], "local", "{file}");
        assert_eq!(h["other2.example.com"]["user"], "myotheruser", "{file}");
        assert_eq!(
            h["host2"]["tags"],
            json!(["southeast", "atlanta", "raleigh", "linux"]),
            "{file}"
        );
        assert_eq!(h["host2"]["vars"]["escape_pods"], 2, "{file}");
        assert_eq!(h["host2"]["vars"]["http_port"], 303, "{file}");
        let www: Vec<&String> = h.keys().filter(|k| k.starts_with("www")).collect();
        assert_eq!(
            www,
            [
                "www01.example.com",
                "www11.example.com",
                "www21.example.com",
                "www31.example.com",
                "www41.example.com"
            ],
            "{file}"
        );
        assert!(h.contains_key("db-c.example.com"), "{file}");
    }
    let h = hosts(&[
        "-i",
        fixture("docs-groups.yml").to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        h["foo.example.com"]["tags"],
        json!(["prod", "webservers", "east", "linux"]),
        "by depth, then name"
    );
}

/// Groups of every host (direct and inherited), from `ansible-inventory --list`.
fn ansible_groups(list: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let obj = list.as_object().expect("object");
    let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (g, data) in obj {
        for c in data["children"].as_array().into_iter().flatten() {
            parents
                .entry(c.as_str().unwrap_or_default())
                .or_default()
                .push(g);
        }
    }
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (g, data) in obj {
        for h in data["hosts"].as_array().into_iter().flatten() {
            let mut todo = vec![g.as_str()];
            while let Some(x) = todo.pop() {
                if x != "all"
                    && x != "ungrouped"
                    && out
                        .entry(h.as_str().unwrap_or_default().to_string())
                        .or_default()
                        .insert(x.to_string())
                {
                    todo.extend(parents.get(x).into_iter().flatten());
                }
            }
            out.entry(h.as_str().unwrap_or_default().to_string())
                .or_default();
        }
    }
    out
}

#[test]
fn the_same_hosts_vars_and_groups_as_ansible_inventory_list() {
    let Some(ansible) = ansible_inventory() else {
        return;
    };
    for file in [
        "docs-basic.ini",
        "docs-groups.yml",
        "docs-vars.ini",
        "docs-vars.yml",
        "mapping.ini",
        "mapping.yml",
    ] {
        let path = fixture(file);
        let out = std::process::Command::new(&ansible)
            .args(["-i", path.to_str().unwrap_or_default(), "--list"])
            .output()
            .expect("ansible-inventory runs");
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: Value = serde_json::from_slice(&out.stdout).expect("ansible json");
        let groups = ansible_groups(&list);
        let ours = hosts(&["-i", path.to_str().unwrap_or_default()]);
        assert_eq!(
            ours.keys().collect::<BTreeSet<_>>(),
            groups.keys().collect::<BTreeSet<_>>(),
            "{file}: hosts"
        );
        let has_linux_group = list.get("linux").is_some();
        for (name, host) in &ours {
            let theirs = list["_meta"]["hostvars"]
                .get(name)
                .cloned()
                .unwrap_or(json!({}));
            assert_eq!(host["vars"], theirs, "{file}: vars of {name}");
            let mut want: BTreeSet<String> = groups[name].clone();
            if !has_linux_group {
                want.insert("linux".into());
            }
            let tags: BTreeSet<String> = host["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            assert_eq!(tags, want, "{file}: groups of {name}");
        }
    }
}

#[test]
fn inventory_cmd_reads_what_ansible_prints() {
    let Some(ansible) = ansible_inventory() else {
        return;
    };
    let path = fixture("mapping.yml");
    let cmd = format!("'{}' -i '{}' --list", ansible.display(), path.display());
    let from_cmd = hosts(&["--inventory-cmd", &cmd, "--env", "prod"]);
    let from_file = hosts(&["-i", path.to_str().unwrap_or_default()]);
    assert_eq!(from_cmd.len(), from_file.len());
    for (name, h) in &from_file {
        let c = &from_cmd[name];
        for field in [
            "address",
            "port",
            "user",
            "become_root",
            "transport",
            "vars",
        ] {
            assert_eq!(c[field], h[field], "{name}: {field}");
        }
        let (a, b): (BTreeSet<String>, BTreeSet<String>) = (
            c["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t.to_string())
                .collect(),
            h["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t.to_string())
                .collect(),
        );
        assert_eq!(a, b, "{name}: tags");
    }
    // Without --env the command's output names no environment.
    driftscope()
        .args(["inventory", "--inventory-cmd", &cmd])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("choose its name with --env"));
}

#[test]
fn environment_names_come_from_env_or_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("inventories/staging")).expect("dir");
    let hosts_yml = dir.path().join("inventories/staging/hosts.yml");
    std::fs::write(&hosts_yml, "all:\n  hosts:\n    s1:\n").expect("write");
    let ini = dir.path().join("dr.ini");
    std::fs::write(&ini, "d1\n").expect("write");
    let out = driftscope()
        .args(["inventory", "--json", "-i"])
        .arg(&hosts_yml)
        .arg("-i")
        .arg(&ini)
        .output()
        .expect("runs");
    let envs: Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = envs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["staging", "dr"]);
    let out = driftscope()
        .args(["inventory", "--json", "--env", "prod", "-i"])
        .arg(&ini)
        .output()
        .expect("runs");
    let envs: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(envs[0]["name"], "prod");
}

#[test]
fn mistakes_in_an_ansible_inventory_point_at_file_line_col() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        (
            "bad.ini",
            "[web]\nw1\n[db:vars]\nx=1\n",
            ":3:1: [db:vars] is for a group that is never defined",
        ),
        (
            "bad2.ini",
            "[web]\nw[3:1]\n",
            ":2:1: host range [3:1] in \"w[3:1]\" counts down",
        ),
        (
            "bad3.ini",
            "[web]\nw1 ansible_port=http\n",
            ":2:1: host `w1`: ansible_port: expected a port 1-65535",
        ),
        (
            "bad.yml",
            "all:\n  hosts:\n    a:\n      ansible_become: maybe\n",
            ":4:7: host `a`: ansible_become: expected a boolean",
        ),
        (
            "bad2.yml",
            "all:\n  children: [web]\n",
            ":2:13: group `all`: `children` must be a mapping",
        ),
        ("bad3.yml", "all:\n  hosts:\n   a: {\n", ":4:1: YAML:"),
    ];
    for (name, text, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        let out = driftscope()
            .args(["inventory", "-i"])
            .arg(&p)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(&format!("{}{want}", p.display())),
            "{name}: want {want:?} in {err}"
        );
    }
}

#[test]
fn a_run_over_an_ansible_inventory_probes_the_local_host() {
    let dir = tempfile::tempdir().expect("tmp");
    let inv = dir.path().join("hosts.ini");
    std::fs::write(&inv, "[here]\nme ansible_connection=local wanted=Linux\n").expect("write");
    std::fs::create_dir(dir.path().join("checks")).expect("dir");
    std::fs::write(
        dir.path().join("checks/k.toml"),
        "category = \"kernel\"\n[[check]]\nid = \"kernel.ostype\"\ntitle = \"kernel is {vars.wanted}\"\ntargets = { tags = [\"here\", \"linux\"] }\nprobe = { sysctl = \"kernel.ostype\" }\nexpect = { value = \"{vars.wanted}\" }\n",
    )
    .expect("write");
    driftscope()
        .args(["run", "--no-store", "--format", "json", "-i"])
        .arg(&inv)
        .arg("-c")
        .arg(dir.path().join("checks"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"outcome\": \"pass\"")
                .or(predicate::str::contains("\"outcome\":\"pass\"")),
        );
}
