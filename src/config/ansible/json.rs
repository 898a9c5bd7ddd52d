//! The JSON Ansible prints for `ansible-inventory --list` (and that dynamic inventory
//! scripts print for `--list`): groups with `hosts`, `children` and `vars` (or a plain list
//! of hosts), and `_meta.hostvars`. `--inventory-cmd` runs such a command through `sh -c`.

use super::{AnsibleInventory, Loc};
use crate::config::ConfigError;
use crate::model::Value;

/// Parse `ansible-inventory --list` output; `source` names it in messages.
pub fn parse_list_output(source: &str, text: &str) -> Result<AnsibleInventory, ConfigError> {
    let mut inv = AnsibleInventory::new(source);
    let root: Value = serde_json::from_str(text).map_err(|e| ConfigError {
        file: source.to_string(),
        line: e.line(),
        col: e.column(),
        message: format!("expected the JSON of `ansible-inventory --list`: {e}"),
    })?;
    let Value::Object(top) = root else {
        return Err(inv.error(
            Loc::default(),
            "expected a JSON object of groups (the output of `ansible-inventory --list`)",
        ));
    };
    let nowhere = Loc::default();
    for (name, data) in &top {
        if name == "_meta" {
            continue;
        }
        inv.add_group(name, nowhere);
        match data {
            Value::Array(hosts) => {
                for h in hosts {
                    inv.add_host(name, &host_name(&inv, name, h)?, nowhere);
                }
            }
            Value::Object(g) => {
                for (key, v) in g {
                    match (key.as_str(), v) {
                        ("hosts", Value::Array(hosts)) => {
                            for h in hosts {
                                inv.add_host(name, &host_name(&inv, name, h)?, nowhere);
                            }
                        }
                        ("children", Value::Array(children)) => {
                            for c in children {
                                let Value::String(c) = c else {
                                    return Err(inv.error(nowhere, format!("group `{name}`: children must be group names, found {c}")));
                                };
                                inv.add_child(name, c, nowhere);
                            }
                        }
                        ("vars", Value::Object(vars)) => {
                            for (k, v) in vars {
                                inv.set_group_var(name, k, v.clone(), nowhere);
                            }
                        }
                        ("hosts" | "children" | "vars", other) => {
                            return Err(inv.error(
                                nowhere,
                                format!("group `{name}`: `{key}` has the wrong shape: {other}"),
                            ));
                        }
                        _ => inv.warn(
                            nowhere,
                            format!("skipping unexpected key `{key}` in group `{name}`"),
                        ),
                    }
                }
            }
            Value::Null => {}
            other => {
                return Err(inv.error(
                    nowhere,
                    format!("group `{name}`: expected an object or a list of hosts, found {other}"),
                ));
            }
        }
    }
    if let Some(Value::Object(hostvars)) = top.get("_meta").and_then(|m| m.get("hostvars")) {
        for (host, vars) in hostvars {
            if !inv.host_at.contains_key(host) {
                // A host with vars but in no group is still a host (ungrouped).
                inv.add_host("ungrouped", host, nowhere);
            }
            if let Value::Object(vars) = vars {
                for (k, v) in vars {
                    inv.set_host_var(host, k, v.clone(), nowhere);
                }
            }
        }
    }
    Ok(inv)
}

fn host_name(inv: &AnsibleInventory, group: &str, h: &Value) -> Result<String, ConfigError> {
    match h {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(inv.error(
            Loc::default(),
            format!("group `{group}`: expected host names, found {other}"),
        )),
    }
}

/// Run `cmd` with `sh -c` and parse what it prints. A command that fails is a config error
/// quoting its exit status and the end of its stderr.
pub fn run_inventory_cmd(cmd: &str) -> Result<AnsibleInventory, ConfigError> {
    let source = format!("--inventory-cmd `{cmd}`");
    let whole = |message: String| ConfigError {
        file: source.clone(),
        line: 0,
        col: 0,
        message,
    };
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| whole(format!("cannot start sh: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(whole(format!(
            "the command failed ({}){}",
            out.status,
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {}", tail.join(" | "))
            }
        )));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| whole("the command printed text that is not UTF-8".into()))?;
    parse_list_output(&source, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_output_with_meta_and_script_style_groups() {
        let inv = parse_list_output(
            "x",
            r#"{"_meta": {"hostvars": {"a": {"ansible_port": 2222}}},
                "all": {"children": ["ungrouped", "web"]},
                "web": {"hosts": ["a"], "vars": {"x": 1}},
                "db": ["b", "c"]}"#,
        )
        .unwrap();
        assert_eq!(inv.hosts, ["b", "c", "a"], "groups in name order: db, web");
        assert_eq!(inv.host_vars["a"]["ansible_port"].value, json!(2222));
        assert_eq!(inv.groups["web"].vars["x"].value, json!(1));
        let e = parse_list_output("x", "{\"a\": [1,\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn a_failing_command_says_why() {
        let e = run_inventory_cmd("echo nope >&2; exit 3").unwrap_err();
        assert!(e.to_string().contains("exit status: 3): nope"), "{e}");
    }
}
