//! for_each expansion: cartesian products, list vars spliced per host, templates in
//! title/subject/expect, target tags, and the keys the history tracks.

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::model::{Matcher, TransportKind};
use serde_json::json;

fn load(inventory: &str, checks: &str) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(&inv, inventory).unwrap();
    let c = dir.path().join("c.toml");
    std::fs::write(&c, checks).unwrap();
    Loaded::load(&Sources {
        inventories: vec![inv],
        checks: vec![c],
        ..Sources::default()
    })
    .unwrap()
}

const INV: &str = r#"
[environment]
name = "prod"
[defaults]
transport = "local"
tags = ["linux"]
vars = { level = "info", keys = ["kernel.a"] }
[[host]]
name = "web-1"
tags = ["web"]
vars = { keys = ["kernel.x", "kernel.y", "kernel.z"] }
[[host]]
name = "db-1"
address = "10.0.4.11"
transport = "ssh"
user = "deploy"
port = 2222
become = true
tags = ["db"]
"#;

#[test]
fn inventory_defaults_apply_and_hosts_override() {
    let l = load(INV, "category = \"k\"\n");
    let env = &l.environments[0];
    assert_eq!(env.name, "prod");
    let web = &env.hosts[0];
    assert_eq!(web.address, "web-1");
    assert_eq!(web.transport, TransportKind::Local);
    assert_eq!(web.tags, ["linux", "web"]);
    assert_eq!(web.vars["level"], json!("info"));
    assert_eq!(
        web.vars["keys"],
        json!(["kernel.x", "kernel.y", "kernel.z"])
    );
    let db = &env.hosts[1];
    assert_eq!(
        (
            db.address.as_str(),
            db.transport,
            db.user.as_deref(),
            db.port,
            db.become_root
        ),
        (
            "10.0.4.11",
            TransportKind::Ssh,
            Some("deploy"),
            Some(2222),
            true
        )
    );
    assert_eq!(db.vars["keys"], json!(["kernel.a"]));
}

#[test]
fn cartesian_product_and_per_host_list_vars() {
    let l = load(
        INV,
        r#"
category = "kernel"
[[check]]
id = "k.pair"
title = "{key} is {value} on {host} in {env}"
for_each = { key = ["net.a", "net.b"], value = ["0", "1", "2"] }
probe = { sysctl = "{key}" }
expect = { value = "{value}" }

[[check]]
id = "k.listed"
title = "{key} exists"
for_each = { key = "{vars.keys}" }
probe = { sysctl = "{key}" }

[[check]]
id = "k.web-only"
title = "web only"
targets = { tags = ["linux", "web"] }
probe = { sysctl = "net.c" }
expect = { value = { lt = 5 } }
"#,
    );
    let plans = l.plan(&Selection::default()).unwrap();
    let web = plans.iter().find(|p| p.host.name == "web-1").unwrap();
    let db = plans.iter().find(|p| p.host.name == "db-1").unwrap();
    // 2 × 3 + 3 listed + 1 targeted
    assert_eq!(web.executions.len(), 10);
    // 2 × 3 + 1 listed (the default var), not targeted by the web check
    assert_eq!(db.executions.len(), 7);

    let keys: Vec<&str> = web.executions.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys[0], "k.pair[key=net.a,value=0]");
    assert_eq!(keys[5], "k.pair[key=net.b,value=2]");
    assert_eq!(
        &keys[6..9],
        [
            "k.listed[key=kernel.x]",
            "k.listed[key=kernel.y]",
            "k.listed[key=kernel.z]"
        ]
    );
    assert_eq!(keys[9], "k.web-only");

    let e = &web.executions[1];
    assert_eq!(e.title, "net.a is 1 on web-1 in prod");
    assert_eq!(e.target.subject, "net.a");
    assert_eq!(
        e.expect,
        vec![("value".to_string(), Matcher::Equals(json!("1")))]
    );
    // No expect → the module's default assertion.
    assert_eq!(web.executions[6].expect[0].0, "exists");
    assert_eq!(db.executions[6].key.as_str(), "k.listed[key=kernel.a]");

    // The lazy plan (what `run` uses) yields the same hosts and executions, in order.
    let lazy = l.plan_lazily(&Selection::default()).unwrap();
    assert_eq!(lazy.execution_count, 17);
    assert_eq!(
        lazy.host_counts().collect::<Vec<_>>(),
        [("web-1", 10), ("db-1", 7)]
    );
    let keys = |p: &driftscope::model::HostPlan| {
        (
            p.host.name.clone(),
            p.executions
                .iter()
                .map(|e| e.key.0.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        lazy.map(|p| keys(&p)).collect::<Vec<_>>(),
        plans.iter().map(keys).collect::<Vec<_>>()
    );
}

#[test]
fn selection_narrows_hosts_categories_and_checks() {
    let l = load(
        INV,
        r#"
category = "kernel"
[[check]]
id = "k.one"
title = "one"
probe = { sysctl = "net.a" }
[[check]]
id = "k.two"
title = "two"
probe = { sysctl = "net.b" }
"#,
    );
    let plans = l
        .plan(&Selection {
            environment: Some("prod".into()),
            hosts: vec!["db-1".into()],
            categories: vec!["kernel".into()],
            checks: vec!["k.two".into()],
        })
        .unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].host.name, "db-1");
    assert_eq!(plans[0].executions.len(), 1);
    assert_eq!(plans[0].executions[0].check_id, "k.two");
}

#[test]
fn checkset_hash_is_stable_and_content_sensitive() {
    let a = load(INV, "category = \"k\"\n");
    let b = load(INV, "category = \"k\"\n");
    let c = load(INV, "category = \"k2\"\n");
    assert_eq!(a.checkset_hash, b.checkset_hash);
    assert_ne!(a.checkset_hash, c.checkset_hash);
    // A fixed algorithm (SHA-256 of name + contents): the same value in every version.
    assert_eq!(
        a.checkset_hash,
        "77b86dcb2d2d8188fdcfc46ce5f4bea42b650810ca51e19783fa9038a9486ea6"
    );
}

#[test]
fn double_braces_are_literal_braces_in_subject_title_and_matchers() {
    let l = load(
        INV,
        r#"
category = "k"
[[check]]
id = "k.awk"
title = "{{literal}} on {host}"
for_each = { field = ["1"] }
probe = { command = "echo a b | awk '{{print ${field}}}'" }
expect = { stdout = { matches = '^\{{a\}}$' }, stderr = "{{{field}}}" }
"#,
    );
    let plans = l.plan(&Selection::default()).unwrap();
    let e = &plans[0].executions[0];
    assert_eq!(e.title, "{literal} on web-1");
    assert_eq!(e.target.subject, "echo a b | awk '{print $1}'");
    assert_eq!(
        e.expect,
        vec![
            ("stderr".to_string(), Matcher::Equals(json!("{1}"))),
            (
                "stdout".to_string(),
                Matcher::parse(&json!({"matches": r"^\{a\}$"})).unwrap()
            ),
        ]
    );
}
