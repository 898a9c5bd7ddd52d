//! Planning one check for one host: `for_each` cartesian product (list vars spliced in),
//! template rendering, subject validation, matcher parsing → executions.

use super::template::{Scope, value_text};
use crate::model::{Check, ExecKey, Execution, Host, Matcher, ProbeTarget, Value};
use crate::probe::module;
use std::collections::BTreeMap;

/// Which part of a check an expansion error belongs to (for its file:line:col).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Title,
    Probe,
    Expect(String),
    ForEach(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    pub field: Field,
    pub message: String,
}

fn err(field: Field, message: String) -> ExpandError {
    ExpandError { field, message }
}

/// Is `s` exactly one placeholder (e.g. `"{vars.ports}"`)?
fn is_single_placeholder(s: &str) -> bool {
    let p = super::template::placeholders(s);
    p.len() == 1 && s.len() == p[0].len() + 2
}

/// The matrix rows of a check on a host, in a stable order (names sorted, values as listed).
pub fn matrix_rows(
    check: &Check,
    env: &str,
    host: &Host,
) -> Result<Vec<BTreeMap<String, Value>>, ExpandError> {
    let empty = BTreeMap::new();
    let base = Scope {
        matrix: &empty,
        vars: &host.vars,
        host: &host.name,
        env,
    };
    let mut rows: Vec<BTreeMap<String, Value>> = vec![BTreeMap::new()];
    for (name, values) in &check.for_each {
        let mut list = Vec::new();
        for v in values {
            let rendered = base
                .render_value(v)
                .map_err(|m| err(Field::ForEach(name.clone()), m))?;
            match (v, rendered) {
                (Value::String(s), Value::Array(items)) if is_single_placeholder(s) => {
                    list.extend(items)
                }
                (_, r) => list.push(r),
            }
        }
        let mut next = Vec::with_capacity(rows.len() * list.len());
        for row in &rows {
            for v in &list {
                let mut r = row.clone();
                r.insert(name.clone(), v.clone());
                next.push(r);
            }
        }
        rows = next;
    }
    Ok(rows)
}

/// Expand one check for one host of environment `env`.
pub fn expand(check: &Check, env: &str, host: &Host) -> Result<Vec<Execution>, ExpandError> {
    let m = module(check.module);
    let rows = matrix_rows(check, env, host)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let scope = Scope {
            matrix: &row,
            vars: &host.vars,
            host: &host.name,
            env,
        };
        let title = scope
            .render(&check.title)
            .map_err(|e| err(Field::Title, e))?;
        let subject = scope
            .render(&check.subject)
            .map_err(|e| err(Field::Probe, e))?;
        m.validate_subject(&subject).map_err(|e| {
            err(
                Field::Probe,
                format!("bad {} subject {subject:?}: {e}", check.module),
            )
        })?;
        let mut expect = Vec::with_capacity(check.expect.len().max(1));
        if check.expect.is_empty() {
            let (attr, v) = m.default_expect();
            expect.push((attr.to_string(), Matcher::Equals(v)));
        }
        for (attr, v) in &check.expect {
            let rendered = scope
                .render_value(v)
                .map_err(|e| err(Field::Expect(attr.clone()), e))?;
            let matcher = Matcher::parse(&rendered).map_err(|e| {
                err(
                    Field::Expect(attr.clone()),
                    format!("bad matcher for `{attr}`: {e}"),
                )
            })?;
            m.validate_expect(attr, &rendered).map_err(|e| {
                err(
                    Field::Expect(attr.clone()),
                    format!("bad expectation for `{attr}`: {e}"),
                )
            })?;
            expect.push((attr.clone(), matcher));
        }
        let params: BTreeMap<String, String> = row
            .iter()
            .map(|(k, v)| (k.clone(), value_text(v)))
            .collect();
        out.push(Execution {
            key: ExecKey::new(&check.id, &params),
            check_id: check.id.clone(),
            title,
            category: check.category.clone(),
            kind: check.kind,
            severity: check.severity,
            target: ProbeTarget {
                module: check.module,
                subject,
            },
            expect,
            sop: check.sop.clone(),
            timeout: check.timeout,
            secret: check.secret,
            os_family: check.os_family.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckKind, ModuleKind, Severity, TransportKind};
    use serde_json::json;
    use std::time::Duration;

    fn host(vars: Value) -> Host {
        Host {
            name: "db-1".into(),
            address: "10.0.0.5".into(),
            transport: TransportKind::Local,
            user: None,
            port: None,
            become_root: false,
            tags: vec!["linux".into()],
            vars: serde_json::from_value(vars).unwrap(),
            salt: None,
        }
    }

    fn check(for_each: Value, subject: &str, expect: Value) -> Check {
        Check {
            id: "app.port".into(),
            title: "on {host}".into(),
            category: "app".into(),
            kind: CheckKind::Runtime,
            severity: Severity::High,
            target_tags: vec![],
            for_each: serde_json::from_value(for_each).unwrap(),
            module: ModuleKind::Sysctl,
            subject: subject.into(),
            expect: serde_json::from_value(expect).unwrap(),
            sop: Some("app".into()),
            timeout: Some(Duration::from_secs(5)),
            secret: Some(true),
            os_family: vec!["debian".into()],
            origin: "checks/app.toml:1:1".into(),
        }
    }

    #[test]
    fn a_placeholder_alone_splices_a_list_var_text_around_it_does_not() {
        assert!(is_single_placeholder("{vars.ports}"));
        assert!(is_single_placeholder("{p}"));
        assert!(!is_single_placeholder("{p}{q}"));
        assert!(!is_single_placeholder(" {p}"));
        assert!(!is_single_placeholder("{p} "));
        assert!(!is_single_placeholder("{{p}}"));
        assert!(!is_single_placeholder("p"));
        let h = host(json!({"ports": [22, 80], "proto": "tcp"}));
        let c = check(
            json!({"p": ["{vars.ports}", 443], "proto": ["{vars.proto}", "udp"], "x": ["{vars.ports}-list"]}),
            "net.{proto}.{p}",
            json!({}),
        );
        let rows = matrix_rows(&c, "prod", &h).unwrap();
        let shown: Vec<String> = rows
            .iter()
            .map(|r| format!("{}/{}/{}", r["p"], r["proto"], r["x"]))
            .collect();
        assert_eq!(
            shown,
            [
                r#"22/"tcp"/"[22,80]-list""#,
                r#"22/"udp"/"[22,80]-list""#,
                r#"80/"tcp"/"[22,80]-list""#,
                r#"80/"udp"/"[22,80]-list""#,
                r#"443/"tcp"/"[22,80]-list""#,
                r#"443/"udp"/"[22,80]-list""#,
            ]
        );
        // No for_each: one row, no names.
        let single = check(json!({}), "kernel.ostype", json!({}));
        assert_eq!(
            matrix_rows(&single, "prod", &h).unwrap(),
            vec![BTreeMap::new()]
        );
        let bad = check(json!({"p": ["{vars.nope}"]}), "a.b", json!({}));
        let e = matrix_rows(&bad, "prod", &h).unwrap_err();
        assert_eq!(e.field, Field::ForEach("p".into()));
        assert!(e.message.contains("vars.nope"), "{}", e.message);
    }

    #[test]
    fn each_row_becomes_one_execution_with_everything_rendered() {
        let h = host(json!({"ports": [22, 80], "want": "1"}));
        let c = check(
            json!({"p": ["{vars.ports}"], "proto": ["tcp"]}),
            "net.{proto}.{p}",
            json!({"value": "{vars.want}"}),
        );
        let c = Check {
            title: "{host}: {p} on {proto}".into(),
            ..c
        };
        let ex = expand(&c, "prod", &h).unwrap();
        assert_eq!(ex.len(), 2);
        let e = &ex[1];
        assert_eq!(e.key.as_str(), "app.port[p=80,proto=tcp]");
        assert_eq!(e.title, "db-1: 80 on tcp");
        assert_eq!(e.target.subject, "net.tcp.80");
        assert_eq!(e.target.module, ModuleKind::Sysctl);
        assert_eq!(
            e.expect,
            vec![("value".into(), Matcher::Equals(json!("1")))]
        );
        assert_eq!(
            (e.check_id.as_str(), e.category.as_str(), e.sop.as_deref()),
            ("app.port", "app", Some("app"))
        );
        assert_eq!((e.kind, e.severity), (CheckKind::Runtime, Severity::High));
        assert_eq!(e.timeout, Some(Duration::from_secs(5)));
        assert_eq!(e.secret, Some(true));
        assert_eq!(e.os_family, ["debian"]);
        // No expect: the module's default.
        let plain = check(json!({}), "kernel.ostype", json!({}));
        let ex = expand(&plain, "prod", &h).unwrap();
        let (attr, v) = module(ModuleKind::Sysctl).default_expect();
        assert_eq!(ex[0].expect, vec![(attr.to_string(), Matcher::Equals(v))]);
        assert_eq!(ex[0].key.as_str(), "app.port");
    }

    #[test]
    fn errors_name_the_field_they_come_from() {
        let h = host(json!({}));
        let mut c = check(json!({}), "a.b", json!({}));
        c.title = "{vars.gone}".into();
        assert_eq!(expand(&c, "prod", &h).unwrap_err().field, Field::Title);
        let c = check(json!({}), "{vars.gone}", json!({}));
        assert_eq!(expand(&c, "prod", &h).unwrap_err().field, Field::Probe);
        let c = check(json!({}), "not a sysctl key!", json!({}));
        let e = expand(&c, "prod", &h).unwrap_err();
        assert_eq!(e.field, Field::Probe);
        assert!(e.message.starts_with("bad sysctl subject"), "{}", e.message);
        let c = check(json!({}), "a.b", json!({"value": {"matches": "("}}));
        let e = expand(&c, "prod", &h).unwrap_err();
        assert_eq!(e.field, Field::Expect("value".into()));
        assert!(
            e.message.starts_with("bad matcher for `value`"),
            "{}",
            e.message
        );
        let c = check(json!({}), "a.b", json!({"value": "{vars.gone}"}));
        assert_eq!(
            expand(&c, "prod", &h).unwrap_err().field,
            Field::Expect("value".into())
        );
    }
}
