//! Placeholders in SOP text: `{host}`, `{env}`, `{check_id}`, `{key}`, the check's `for_each`
//! names and `{vars.KEY}` (dotted paths read into table vars, like check templates). `{{` and
//! `}}` are literal braces; braces around anything that is not a name (`awk '{print $1}'`)
//! are text.

use crate::config::{matrix_rows, value_text};
use crate::model::{Check, ExecKey, Host, Value};
use std::collections::BTreeMap;

/// The values one shown execution gives the placeholders of its SOP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placeholders {
    /// Built-ins and `for_each` names → text.
    values: BTreeMap<String, String>,
    /// The host's inventory vars (host over `[defaults]`).
    vars: BTreeMap<String, Value>,
}

/// The built-in placeholder names every SOP may use.
pub const BUILTINS: [&str; 4] = ["host", "env", "check_id", "key"];

impl Placeholders {
    /// The built-ins of one execution: inventory host name, environment, check id and the
    /// execution key (`ssh.sshd-option[option=PermitRootLogin,value=no]`).
    pub fn new(host: &str, env: &str, check_id: &str, key: &str) -> Placeholders {
        let values = [
            ("host", host),
            ("env", env),
            ("check_id", check_id),
            ("key", key),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Placeholders {
            values,
            vars: BTreeMap::new(),
        }
    }

    /// Add one `for_each` value (`{option}` → `PermitRootLogin`).
    pub fn with_value(mut self, name: &str, value: &str) -> Placeholders {
        self.values.insert(name.to_string(), value.to_string());
        self
    }

    /// Add the host's inventory vars for `{vars.KEY}`.
    pub fn with_vars(mut self, vars: &BTreeMap<String, Value>) -> Placeholders {
        self.vars
            .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// Everything an execution of `check` on `host` (environment `env`) with key `key` can
    /// fill: the built-ins, the host's vars, and the `for_each` values of the matrix row whose
    /// key is `key` (none when no row matches, e.g. the check changed since the result).
    pub fn for_execution(check: &Check, env: &str, host: &Host, key: &str) -> Placeholders {
        let mut p = Placeholders::new(&host.name, env, &check.id, key).with_vars(&host.vars);
        for row in matrix_rows(check, env, host).unwrap_or_default() {
            let params: BTreeMap<String, String> = row
                .iter()
                .map(|(k, v)| (k.clone(), value_text(v)))
                .collect();
            if ExecKey::new(&check.id, &params).as_str() == key {
                p.values.extend(params);
                break;
            }
        }
        p
    }

    /// The text of one placeholder name (`host`, `option`, `vars.db.port`), if known.
    pub fn lookup(&self, name: &str) -> Option<String> {
        if let Some(path) = name.strip_prefix("vars.") {
            if let Some(v) = self.vars.get(path) {
                return Some(value_text(v));
            }
            let mut parts = path.split('.');
            let mut cur = parts.next().and_then(|k| self.vars.get(k));
            for p in parts {
                cur = cur.and_then(|v| v.get(p));
            }
            return cur.map(value_text);
        }
        self.values.get(name).cloned()
    }
}

/// One piece of SOP text.
enum Piece<'a> {
    Text(&'a str),
    /// `{{` or `}}`: one literal brace.
    Brace(&'a str),
    /// `{name}`: the name.
    Placeholder(&'a str),
}

fn is_name(s: &str) -> bool {
    if let Some(path) = s.strip_prefix("vars.") {
        return !path.is_empty()
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    }
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Split text into literal runs, escaped braces and placeholders.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let pair = text.get(i..i + 2);
        if pair == Some("{{") || pair == Some("}}") {
            out.push(Piece::Text(&text[start..i]));
            out.push(Piece::Brace(&text[i..i + 1]));
            i += 2;
            start = i;
            continue;
        }
        if bytes[i] == b'{'
            && let Some(len) = text[i + 1..].find(['}', '{', '\n'])
            && text[i + 1 + len..].starts_with('}')
            && is_name(&text[i + 1..i + 1 + len])
        {
            out.push(Piece::Text(&text[start..i]));
            out.push(Piece::Placeholder(&text[i + 1..i + 1 + len]));
            i += len + 2;
            start = i;
            continue;
        }
        i += 1;
    }
    out.push(Piece::Text(&text[start..]));
    out
}

/// `text` with every placeholder `values` knows filled in and `{{`/`}}` made single braces;
/// unknown placeholders stay as written.
pub fn fill(text: &str, values: &Placeholders) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) | Piece::Brace(t) => out.push_str(t),
            Piece::Placeholder(name) => match values.lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// Every placeholder name in `text` (escaped braces excluded), in order, with duplicates.
pub fn placeholders(text: &str) -> Vec<&str> {
    pieces(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckKind, ModuleKind, Severity, TransportKind};
    use serde_json::json;

    #[test]
    fn fills_builtins_matrix_vars_and_keeps_literal_braces() {
        let vars = BTreeMap::from([
            ("port".to_string(), json!(5432)),
            ("db".to_string(), json!({"name": "app"})),
        ]);
        let p = Placeholders::new("db-01", "prod", "ssh.opt", "ssh.opt[option=X]")
            .with_value("option", "X")
            .with_vars(&vars);
        let text = "ssh {host} ({env}) {check_id} {key}: {option} {vars.port} {vars.db.name} \
                    awk '{print $1}' {{host}} a{2,3} {unknown} {vars.nope} ${{HOME}}";
        assert_eq!(
            fill(text, &p),
            "ssh db-01 (prod) ssh.opt ssh.opt[option=X]: X 5432 app \
             awk '{print $1}' {host} a{2,3} {unknown} {vars.nope} ${HOME}"
        );
        assert_eq!(
            placeholders(text),
            vec![
                "host",
                "env",
                "check_id",
                "key",
                "option",
                "vars.port",
                "vars.db.name",
                "unknown",
                "vars.nope"
            ]
        );
        assert_eq!(fill("{", &p), "{");
        assert_eq!(fill("}{host", &p), "}{host");
        assert_eq!(fill("é{host}é", &p), "édb-01é");
    }

    #[test]
    fn an_execution_fills_its_own_matrix_row() {
        let check = Check {
            id: "ssh.opt".into(),
            title: "t".into(),
            category: "ssh".into(),
            kind: CheckKind::Static,
            severity: Severity::High,
            target_tags: vec![],
            for_each: BTreeMap::from([(
                "option".to_string(),
                vec![json!("PermitRootLogin"), json!("{vars.extra}")],
            )]),
            module: ModuleKind::SshdConfig,
            subject: "{option}".into(),
            expect: BTreeMap::new(),
            sop: Some("ssh".into()),
            timeout: None,
            secret: None,
            os_family: Vec::new(),
            origin: "checks/ssh.toml:1:1".into(),
        };
        let host = Host {
            name: "web-1".into(),
            address: "web-1".into(),
            transport: TransportKind::Ssh,
            user: None,
            port: None,
            become_root: false,
            tags: vec![],
            vars: BTreeMap::from([("extra".to_string(), json!(["X11Forwarding"]))]),
            salt: None,
        };
        let p = Placeholders::for_execution(&check, "prod", &host, "ssh.opt[option=X11Forwarding]");
        assert_eq!(p.lookup("option").as_deref(), Some("X11Forwarding"));
        assert_eq!(p.lookup("host").as_deref(), Some("web-1"));
        assert_eq!(
            p.lookup("vars.extra").as_deref(),
            Some("[\"X11Forwarding\"]")
        );
        let stale = Placeholders::for_execution(&check, "prod", &host, "ssh.opt[option=Gone]");
        assert_eq!(stale.lookup("option"), None);
        assert_eq!(stale.lookup("key").as_deref(), Some("ssh.opt[option=Gone]"));
    }
}
