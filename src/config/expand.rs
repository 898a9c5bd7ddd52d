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
