//! Ansible's YAML inventory format, read as Ansible's `yaml` inventory plugin reads it:
//! top-level keys are groups; each group may have `hosts` (pattern → vars), `vars` and
//! `children` (groups, recursively); scalars resolve as YAML 1.1 (PyYAML) does, so
//! `yes`/`on` are booleans like in Ansible. Nodes keep their line:col for errors.

use super::{AnsibleInventory, Loc, expand_pattern};
use crate::config::ConfigError;
use crate::model::Value;
use saphyr::{AnnotatedMapping, MarkedYaml, ScalarStyle, YamlData, YamlLoader};
use std::sync::LazyLock;

pub fn parse(source: &str, text: &str) -> Result<AnsibleInventory, ConfigError> {
    let mut inv = AnsibleInventory::new(source);
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let mut loader: YamlLoader<MarkedYaml> = YamlLoader::default();
    loader.early_parse(false);
    let scan_error = |e: &saphyr::ScanError| ConfigError {
        file: source.to_string(),
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: format!("YAML: {}", e.info()),
    };
    parser.load(&mut loader, true).map_err(|e| scan_error(&e))?;
    if let Some(e) = loader.error() {
        return Err(scan_error(e));
    }
    let docs = loader.into_documents();
    let Some(root) = docs.first() else {
        return Err(inv.error(
            Loc::default(),
            "empty YAML file: expected groups like `all: {hosts: …}`",
        ));
    };
    let Some(top) = mapping(root) else {
        if is_null(root) {
            return Err(inv.error(
                at(root),
                "empty YAML inventory: expected groups like `all: {hosts: …}`",
            ));
        }
        return Err(inv.error(
            at(root),
            "expected a mapping of groups (`all:`, `web:` …) at the top of a YAML inventory",
        ));
    };
    if top.keys().any(|k| key_text(k) == "plugin") {
        return Err(inv.error(
            at(root),
            "this is an inventory plugin configuration (`plugin:`), not an inventory: run it with --inventory-cmd 'ansible-inventory -i FILE --list'",
        ));
    }
    for (k, v) in top {
        group(&mut inv, &key_text(k), at(k), v)?;
    }
    Ok(inv)
}

fn group(
    inv: &mut AnsibleInventory,
    name: &str,
    name_at: Loc,
    data: &MarkedYaml,
) -> Result<(), ConfigError> {
    if is_null(data) {
        inv.add_group(name, name_at);
        return Ok(());
    }
    let Some(sections) = mapping(data) else {
        inv.warn(
            at(data),
            format!("skipping `{name}`: not a valid group definition (expected a mapping)"),
        );
        return Ok(());
    };
    inv.add_group(name, name_at);
    for (k, v) in sections {
        let key = key_text(k);
        let entries: Vec<(String, Loc, Option<&MarkedYaml>)> = if is_null(v) {
            continue;
        } else if let Some(s) = plain_string(v) {
            // A bare string stands for a one-entry mapping, as Ansible allows.
            vec![(s, at(v), None)]
        } else if let Some(m) = mapping(v) {
            m.iter()
                .map(|(ek, ev)| (key_text(ek), at(ek), Some(ev)))
                .collect()
        } else if matches!(key.as_str(), "vars" | "children" | "hosts") {
            return Err(inv.error(
                at(v),
                format!(
                    "group `{name}`: `{key}` must be a mapping, found {}",
                    kind(v)
                ),
            ));
        } else {
            inv.warn(
                at(k),
                format!("skipping key `{key}` in group `{name}`: not a mapping"),
            );
            continue;
        };
        match key.as_str() {
            "vars" => {
                for (var, var_at, value) in entries {
                    let value = value.map(to_value).unwrap_or(Value::Null);
                    inv.set_group_var(name, &var, value, var_at);
                }
            }
            "children" => {
                for (child, child_at, value) in entries {
                    match value {
                        Some(v) => group(inv, &child, child_at, v)?,
                        None => inv.add_group(&child, child_at),
                    }
                    inv.add_child(name, &child, child_at);
                }
            }
            "hosts" => {
                for (pattern, host_at, value) in entries {
                    let expanded = expand_pattern(&pattern).map_err(|e| inv.error(host_at, e))?;
                    let vars: Vec<(String, Loc, Value)> = match value {
                        None => Vec::new(),
                        Some(v) if is_null(v) => Vec::new(),
                        Some(v) => match mapping(v) {
                            Some(m) => m.iter().map(|(vk, vv)| (key_text(vk), at(vk), to_value(vv))).collect(),
                            None => {
                                return Err(inv.error(
                                    at(v),
                                    format!("host `{pattern}`: expected a mapping of host vars, found {}", kind(v)),
                                ));
                            }
                        },
                    };
                    for host in &expanded.hosts {
                        inv.add_host(name, host, host_at);
                        if let Some(p) = expanded.port {
                            inv.set_host_var(host, "ansible_port", p.into(), host_at);
                        }
                        for (k, var_at, v) in &vars {
                            inv.set_host_var(host, k, v.clone(), *var_at);
                        }
                    }
                }
            }
            other => inv.warn(
                at(k),
                format!("skipping unexpected key `{other}` in group `{name}`: only vars, children and hosts are valid"),
            ),
        }
    }
    Ok(())
}

fn at(node: &MarkedYaml) -> Loc {
    Loc {
        line: node.span.start.line(),
        col: node.span.start.col() + 1,
    }
}

fn mapping<'a, 'i>(node: &'a MarkedYaml<'i>) -> Option<&'a AnnotatedMapping<'i, MarkedYaml<'i>>> {
    match &node.data {
        YamlData::Mapping(m) => Some(m),
        YamlData::Tagged(_, inner) => mapping(inner),
        _ => None,
    }
}

fn is_null(node: &MarkedYaml) -> bool {
    matches!(to_value(node), Value::Null)
        && !matches!(node.data, YamlData::Sequence(_) | YamlData::Mapping(_))
}

fn plain_string(node: &MarkedYaml) -> Option<String> {
    match to_value(node) {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn key_text(node: &MarkedYaml) -> String {
    match to_value(node) {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn kind(node: &MarkedYaml) -> &'static str {
    match to_value(node) {
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "nothing",
    }
}

/// The node as JSON, scalars resolved the way PyYAML (YAML 1.1) resolves plain scalars.
fn to_value(node: &MarkedYaml) -> Value {
    match &node.data {
        YamlData::Representation(text, style, tag) => {
            let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
            if *style == ScalarStyle::Plain && !forced_str {
                resolve_plain(text)
            } else {
                Value::String(text.to_string())
            }
        }
        YamlData::Value(s) => match s {
            saphyr::Scalar::Null => Value::Null,
            saphyr::Scalar::Boolean(b) => Value::Bool(*b),
            saphyr::Scalar::Integer(i) => Value::from(*i),
            saphyr::Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
                .map(Value::Number)
                .unwrap_or(Value::Null),
            saphyr::Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(items) => Value::Array(items.iter().map(to_value).collect()),
        YamlData::Mapping(m) => {
            Value::Object(m.iter().map(|(k, v)| (key_text(k), to_value(v))).collect())
        }
        // Ansible's own tags (`!unsafe`, `!vault`) wrap a string; keep the text.
        YamlData::Tagged(_, inner) => match to_value(inner) {
            Value::Null => Value::String(String::new()),
            v => v,
        },
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    }
}

static YAML11_INT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$",
    )
    .unwrap_or_else(|_| unreachable!("a constant pattern"))
});
static YAML11_FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+][0-9]+)|\.[0-9_]+(?:[eE][-+][0-9]+)?)$",
    )
    .unwrap_or_else(|_| unreachable!("a constant pattern"))
});

/// PyYAML's implicit resolvers: null, bool (yes/no/on/off too), int (0x, 0b, leading-0
/// octal), float; everything else is a string.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    if YAML11_INT.is_match(text) {
        let t = text.replace('_', "");
        let (neg, digits) = match t.strip_prefix('-') {
            Some(d) => (true, d.to_string()),
            None => (false, t.trim_start_matches('+').to_string()),
        };
        let n = if let Some(h) = digits.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(b) = digits.strip_prefix("0b") {
            i64::from_str_radix(b, 2).ok()
        } else if digits.len() > 1 && digits.starts_with('0') {
            i64::from_str_radix(&digits[1..], 8).ok()
        } else {
            digits.parse().ok()
        };
        if let Some(n) = n {
            return Value::from(if neg { -n } else { n });
        }
    }
    if YAML11_FLOAT.is_match(text)
        && let Ok(f) = text.replace('_', "").parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml11_scalars() {
        assert_eq!(resolve_plain("yes"), json!(true));
        assert_eq!(resolve_plain("Off"), json!(false));
        assert_eq!(resolve_plain("2222"), json!(2222));
        assert_eq!(resolve_plain("0755"), json!(493));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("10.0.0.1"), json!("10.0.0.1"));
        assert_eq!(resolve_plain("~"), Value::Null);
    }

    #[test]
    fn groups_hosts_children_vars() {
        let inv = parse(
            "h.yml",
            "all:\n  hosts:\n    mail.example.com:\n  children:\n    web:\n      hosts:\n        w[1:2]:\n          http_port: 80\n      vars:\n        ntp: '0755'\n",
        )
        .unwrap();
        assert_eq!(inv.hosts, ["mail.example.com", "w1", "w2"]);
        assert_eq!(inv.groups["all"].children, ["web"]);
        assert_eq!(inv.host_vars["w2"]["http_port"].value, json!(80));
        assert_eq!(inv.groups["web"].vars["ntp"].value, json!("0755"));
        assert_eq!(inv.groups["web"].vars["ntp"].at, Loc { line: 10, col: 9 });
    }

    #[test]
    fn errors_point_at_the_node() {
        let e = parse("h.yml", "all:\n  hosts: [a, b]\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 10), "{e}");
        let e = parse("h.yml", "all:\n  hosts:\n    a: 1\n").unwrap_err();
        assert!(e.to_string().starts_with("h.yml:3:8: host `a`"), "{e}");
        let e = parse("h.yml", "all: {hosts: [\n").unwrap_err();
        assert!(e.message.starts_with("YAML:"), "{e}");
        let e = parse("h.yml", "plugin: aws_ec2\n").unwrap_err();
        assert!(e.message.contains("--inventory-cmd"), "{e}");
    }
}
