//! Inventory fields of the salt transport: `transport = "salt"`, `minion`, and
//! `[defaults] salt = { config_dir, timeout, bin }`; their mistakes with file:line:col.

use driftscope::config::{Loaded, Sources};
use driftscope::model::{SaltMaster, SaltTarget, TransportKind};

const CHECKS: &str = "category = \"k\"\n";

fn load(inventory: &str) -> Result<Loaded, String> {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(&inv, inventory).unwrap();
    let c = dir.path().join("c.toml");
    std::fs::write(&c, CHECKS).unwrap();
    Loaded::load(&Sources {
        inventories: vec![inv],
        checks: vec![c],
        ..Sources::default()
    })
    .map_err(|e| {
        e.to_string()
            .replace(&format!("{}/", dir.path().display()), "$DIR/")
    })
}

#[test]
fn salt_hosts_mix_with_ssh_and_local_and_take_the_masters_settings() {
    let l = load(
        r#"
[environment]
name = "prod"
[defaults]
transport = "salt"
salt = { config_dir = "/srv/master", timeout = 12, bin = "/opt/salt/bin/salt" }
[[host]]
name = "web-01"
[[host]]
name = "db-01"
minion = "db-01.prod.example"
[[host]]
name = "bastion"
transport = "ssh"
[[host]]
name = "here"
transport = "local"
"#,
    )
    .unwrap();
    let hosts = &l.environments[0].hosts;
    let master = SaltMaster {
        config_dir: "/srv/master".into(),
        timeout_secs: 12,
        bin: "/opt/salt/bin/salt".into(),
    };
    assert_eq!(hosts[0].transport, TransportKind::Salt);
    assert_eq!(
        hosts[0].salt,
        Some(SaltTarget {
            minion: "web-01".into(),
            master: master.clone()
        })
    );
    assert_eq!(
        hosts[1].salt.as_ref().map(|s| s.minion.as_str()),
        Some("db-01.prod.example")
    );
    assert_eq!(hosts[2].transport, TransportKind::Ssh);
    assert_eq!(hosts[2].salt, None);
    assert_eq!(hosts[3].transport, TransportKind::Local);
}

#[test]
fn the_master_defaults_to_etc_salt_30_seconds_and_salt_on_path() {
    let l = load("[environment]\nname = \"e\"\n[[host]]\nname = \"m1\"\ntransport = \"salt\"\n")
        .unwrap();
    let target = l.environments[0].hosts[0].salt.clone().unwrap();
    assert_eq!(target.master.config_dir.to_str(), Some("/etc/salt"));
    assert_eq!(target.master.timeout_secs, 30);
    assert_eq!(target.master.bin, "salt");
}

#[test]
fn mistakes_point_at_the_line() {
    let cases = [
        (
            "[environment]\nname = \"e\"\n[[host]]\nname = \"a\"\nminion = \"m\"\n",
            "$DIR/inv.toml:5:10: host `a`: `minion` applies to transport = \"salt\" only, this host uses ssh",
        ),
        (
            "[environment]\nname = \"e\"\n[defaults]\nbecome = true\n[[host]]\nname = \"a\"\ntransport = \"salt\"\n",
            "$DIR/inv.toml:5:1: host `a`: become = true does not apply to transport = \"salt\" (minions run their jobs as root): expected become = false or no become for this host",
        ),
        (
            "[environment]\nname = \"e\"\n[defaults]\nsalt = { timeout = 0 }\n",
            "$DIR/inv.toml:4:8: salt.timeout is 0: expected seconds between 1 and 86400",
        ),
        (
            "[environment]\nname = \"e\"\n[defaults]\nsalt = { master = \"x\" }\n",
            "$DIR/inv.toml:4:10: unknown field `master`, expected one of `config_dir`, `timeout`, `bin`",
        ),
        (
            "[environment]\nname = \"e\"\n[[host]]\nname = \"a\"\ntransport = \"salt\"\nminion = \"a,b\"\n",
            "$DIR/inv.toml:6:10: minion id \"a,b\" has a comma or whitespace: expected a Salt minion id such as \"web-01.prod\"",
        ),
        (
            "[environment]\nname = \"e\"\n[[host]]\nname = \"a\"\ntransport = \"salt\"\nminion = \"\"\n",
            "$DIR/inv.toml:6:10: minion id is empty: expected the minion's id, or leave it out (default: the host name)",
        ),
    ];
    for (inventory, want) in cases {
        assert_eq!(load(inventory).unwrap_err(), want, "{inventory}");
    }
}
