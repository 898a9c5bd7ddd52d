//! Placeholders in check strings: `{name}` (a `for_each` name), `{vars.KEY}` (host inventory
//! var, host overriding `[defaults]`), `{host}` and `{env}`. `{{` and `}}` are a literal `{`
//! and `}` (so `awk '{{print}}'` means `awk '{print}'`). Anything else in braces that is not
//! an identifier (a regex repetition like `{2,3}`) is left alone.

use crate::model::Value;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn placeholder_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
        Regex::new(r"\{\{|\}\}|\{(vars\.[A-Za-z0-9_.\-]+|[A-Za-z_][A-Za-z0-9_\-]*)\}").unwrap()
    })
}

/// Does `s` need rendering: a placeholder or a `{{`/`}}` escape in it?
pub fn is_template(s: &str) -> bool {
    placeholder_re().is_match(s)
}

/// The names a template can see while rendering for one host and one matrix row.
pub struct Scope<'a> {
    pub matrix: &'a BTreeMap<String, Value>,
    pub vars: &'a BTreeMap<String, Value>,
    pub host: &'a str,
    pub env: &'a str,
}

/// Every placeholder name used in `s` (without braces).
pub fn placeholders(s: &str) -> Vec<String> {
    placeholder_re()
        .captures_iter(s)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

/// Scalar text of a value: strings bare, everything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Scope<'_> {
    /// Look one placeholder up; `Err` says what is defined instead.
    pub fn lookup(&self, name: &str) -> Result<Value, String> {
        if let Some(key) = name.strip_prefix("vars.") {
            if let Some(v) = self.vars.get(key) {
                return Ok(v.clone());
            }
            // Dotted path into a table var: `{vars.db.port}`.
            let mut parts = key.split('.');
            let mut cur = parts.next().and_then(|k| self.vars.get(k));
            for p in parts {
                cur = cur.and_then(|v| v.get(p));
            }
            if let Some(v) = cur {
                return Ok(v.clone());
            }
            let defined: Vec<&str> = self.vars.keys().map(String::as_str).collect();
            return Err(format!(
                "`{{{name}}}` is not defined for host {} (environment {}): expected `{key}` in the host's vars or in [defaults] vars; found {}",
                self.host,
                self.env,
                if defined.is_empty() {
                    "no vars".to_string()
                } else {
                    format!("vars {}", defined.join(", "))
                }
            ));
        }
        match name {
            "host" => return Ok(Value::String(self.host.to_string())),
            "env" => return Ok(Value::String(self.env.to_string())),
            _ => {}
        }
        if let Some(v) = self.matrix.get(name) {
            return Ok(v.clone());
        }
        let names: Vec<&str> = self.matrix.keys().map(String::as_str).collect();
        Err(format!(
            "`{{{name}}}` is not defined: expected a for_each name{}, `{{vars.KEY}}`, `{{host}}` or `{{env}}`",
            if names.is_empty() {
                " (this check has no for_each)".to_string()
            } else {
                format!(" ({})", names.join(", "))
            }
        ))
    }

    /// Render a string template to text.
    pub fn render(&self, s: &str) -> Result<String, String> {
        let re = placeholder_re();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for c in re.captures_iter(s) {
            let Some(whole) = c.get(0) else {
                continue;
            };
            out.push_str(&s[last..whole.start()]);
            match c.get(1) {
                Some(name) => out.push_str(&value_text(&self.lookup(name.as_str())?)),
                // `{{` or `}}`: one literal brace.
                None => out.push_str(&whole.as_str()[..1]),
            }
            last = whole.end();
        }
        out.push_str(&s[last..]);
        Ok(out)
    }

    /// Render a value: a string that is exactly one placeholder takes the placeholder's
    /// typed value (so `lt = "{max}"` stays a number); other strings render as text;
    /// arrays and tables render recursively.
    pub fn render_value(&self, v: &Value) -> Result<Value, String> {
        match v {
            Value::String(s) => {
                if let Some(c) = placeholder_re().captures(s)
                    && let (Some(whole), Some(name)) = (c.get(0), c.get(1))
                    && whole.start() == 0
                    && whole.end() == s.len()
                {
                    return self.lookup(name.as_str());
                }
                self.render(s).map(Value::String)
            }
            Value::Array(items) => items
                .iter()
                .map(|i| self.render_value(i))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.render_value(v)?)))
                .collect::<Result<serde_json::Map<_, _>, String>>()
                .map(Value::Object),
            other => Ok(other.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_names_vars_builtins_and_leaves_regex_braces() {
        let matrix = BTreeMap::from([("option".to_string(), json!("PermitRootLogin"))]);
        let vars = BTreeMap::from([
            ("port".to_string(), json!(5432)),
            ("db".to_string(), json!({"name": "app"})),
        ]);
        let s = Scope {
            matrix: &matrix,
            vars: &vars,
            host: "h1",
            env: "prod",
        };
        assert_eq!(
            s.render("{option} on {host}/{env}:{vars.port} {vars.db.name} a{2,3}")
                .unwrap(),
            "PermitRootLogin on h1/prod:5432 app a{2,3}"
        );
        assert_eq!(s.render_value(&json!("{vars.port}")).unwrap(), json!(5432));
        assert_eq!(
            s.render_value(&json!({"lt": "{vars.port}"})).unwrap(),
            json!({"lt": 5432})
        );
        assert_eq!(
            s.render("awk '{{print $1}}' {{option}} {{{option}}} }}{{")
                .unwrap(),
            "awk '{print $1}' {option} {PermitRootLogin} }{"
        );
        assert_eq!(s.render_value(&json!("{{host}}")).unwrap(), json!("{host}"));
        assert_eq!(placeholders("{{host}} {env}"), vec!["env".to_string()]);
        assert!(is_template("a}}") && is_template("{host}") && !is_template("a{2,3}"));
        let err = s.render("{nope}").unwrap_err();
        assert!(err.contains("`{nope}` is not defined"), "{err}");
        assert!(err.contains("(option)"), "{err}");
        let err = s.render("{vars.missing}").unwrap_err();
        assert!(err.contains("found vars db, port"), "{err}");
    }

    #[test]
    fn a_value_that_is_exactly_one_placeholder_keeps_its_type_anything_else_is_text() {
        let matrix = BTreeMap::from([("n".to_string(), json!(3))]);
        let vars = BTreeMap::from([
            ("port".to_string(), json!(5432)),
            ("on".to_string(), json!(true)),
            ("list".to_string(), json!(["a", "b"])),
        ]);
        let s = Scope {
            matrix: &matrix,
            vars: &vars,
            host: "h1",
            env: "prod",
        };
        assert_eq!(s.render_value(&json!("{n}")).unwrap(), json!(3));
        assert_eq!(s.render_value(&json!("{vars.on}")).unwrap(), json!(true));
        assert_eq!(
            s.render_value(&json!("{vars.list}")).unwrap(),
            json!(["a", "b"])
        );
        // Text around the placeholder, on either side: a string.
        assert_eq!(
            s.render_value(&json!(" {vars.port}")).unwrap(),
            json!(" 5432")
        );
        assert_eq!(
            s.render_value(&json!("{vars.port} ")).unwrap(),
            json!("5432 ")
        );
        assert_eq!(s.render_value(&json!("{n}{n}")).unwrap(), json!("33"));
        assert_eq!(
            s.render_value(&json!("{vars.list}")).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(s.render("{vars.list}").unwrap(), r#"["a","b"]"#);
        // Lists and tables render item by item; other values stay as they are.
        assert_eq!(
            s.render_value(&json!(["{host}", {"in": ["{env}", 1]}, null, 2.5]))
                .unwrap(),
            json!(["h1", {"in": ["prod", 1]}, null, 2.5])
        );
        assert_eq!(s.render_value(&json!(7)).unwrap(), json!(7));
        assert_eq!(s.render("plain text").unwrap(), "plain text");
        assert_eq!(s.render("").unwrap(), "");
        assert!(s.render_value(&json!(["{nope}"])).is_err());
        assert!(s.render_value(&json!({"a": "{nope}"})).is_err());
    }

    #[test]
    fn builtins_text_and_placeholder_lists() {
        let empty = BTreeMap::new();
        let s = Scope {
            matrix: &empty,
            vars: &empty,
            host: "web-1",
            env: "stage",
        };
        assert_eq!(s.lookup("host").unwrap(), json!("web-1"));
        assert_eq!(s.lookup("env").unwrap(), json!("stage"));
        let err = s.lookup("nope").unwrap_err();
        assert!(err.contains("(this check has no for_each)"), "{err}");
        let err = s.lookup("vars.x").unwrap_err();
        assert!(
            err.contains("found no vars") && err.contains("web-1"),
            "{err}"
        );
        assert_eq!(value_text(&json!("s")), "s");
        assert_eq!(value_text(&json!(5)), "5");
        assert_eq!(value_text(&json!(false)), "false");
        assert_eq!(
            placeholders("{a} x {vars.b.c} {{d}} {host}"),
            vec!["a".to_string(), "vars.b.c".into(), "host".into()]
        );
        assert!(placeholders("no braces {2,3}").is_empty());
        assert!(!is_template("plain") && !is_template("{ spaced }"));
        assert!(is_template("{{"));
    }
}
