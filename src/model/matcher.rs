//! Matchers: how an `expect` attribute compares the observed value with the declared one.
//!
//! A scalar means equals; a table chooses `matches`, `in`, `not`, `lt|le|gt|ge`, `version`,
//! `contains`. Parsing validates regexes and version constraints up front, so a bad matcher is
//! a config error, never a runtime surprise.

use regex::Regex;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct MatcherError(pub String);

/// A comparison against an observed attribute value.
#[derive(Debug, Clone)]
pub enum Matcher {
    Equals(Value),
    Matches(Regex),
    In(Vec<Value>),
    Not(Box<Matcher>),
    Compare(CompareOp, f64),
    /// Comma-separated constraints, each `OP VERSION` (`>= 2.4, < 3`), dpkg ordering.
    Version(Vec<(CompareOp, String)>),
    /// List attribute contains every one of these.
    Contains(Vec<Value>),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl CompareOp {
    fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Eq => "=",
        }
    }
    fn key(self) -> &'static str {
        match self {
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Eq => "eq",
        }
    }
    fn holds(self, ord: Ordering) -> bool {
        match self {
            CompareOp::Lt => ord == Ordering::Less,
            CompareOp::Le => ord != Ordering::Greater,
            CompareOp::Gt => ord == Ordering::Greater,
            CompareOp::Ge => ord != Ordering::Less,
            CompareOp::Eq => ord == Ordering::Equal,
        }
    }
}

impl Matcher {
    /// Build a matcher from its TOML/JSON form.
    pub fn parse(v: &Value) -> Result<Matcher, MatcherError> {
        let Value::Object(map) = v else {
            return Ok(Matcher::Equals(v.clone()));
        };
        if map.len() != 1 {
            return Err(MatcherError(format!(
                "a matcher table has exactly one key (matches, in, not, lt, le, gt, ge, version, contains), found {}",
                map.len()
            )));
        }
        let Some((key, arg)) = map.iter().next() else {
            return Err(MatcherError("empty matcher table".into()));
        };
        match key.as_str() {
            "matches" => {
                let s = arg
                    .as_str()
                    .ok_or_else(|| MatcherError("`matches` takes a regex string".into()))?;
                Regex::new(s)
                    .map(Matcher::Matches)
                    .map_err(|e| MatcherError(format!("invalid regex {s:?}: {e}")))
            }
            "in" => match arg {
                Value::Array(a) => Ok(Matcher::In(a.clone())),
                _ => Err(MatcherError("`in` takes a list".into())),
            },
            "not" => Ok(Matcher::Not(Box::new(Matcher::parse(arg)?))),
            "lt" | "le" | "gt" | "ge" => {
                let op = match key.as_str() {
                    "lt" => CompareOp::Lt,
                    "le" => CompareOp::Le,
                    "gt" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                let n = as_number(arg)
                    .ok_or_else(|| MatcherError(format!("`{key}` takes a number, found {arg}")))?;
                Ok(Matcher::Compare(op, n))
            }
            "version" => {
                let s = arg.as_str().ok_or_else(|| {
                    MatcherError("`version` takes a string like \">= 2.4, < 3\"".into())
                })?;
                parse_version_constraints(s).map(Matcher::Version)
            }
            "contains" => match arg {
                Value::Array(a) => Ok(Matcher::Contains(a.clone())),
                other => Ok(Matcher::Contains(vec![other.clone()])),
            },
            other => Err(MatcherError(format!(
                "unknown matcher `{other}`; expected one of matches, in, not, lt, le, gt, ge, version, contains"
            ))),
        }
    }

    /// The declared form, for `expected` in results.
    pub fn to_json(&self) -> Value {
        match self {
            Matcher::Equals(v) => v.clone(),
            Matcher::Matches(r) => serde_json::json!({ "matches": r.as_str() }),
            Matcher::In(v) => serde_json::json!({ "in": v }),
            Matcher::Not(m) => serde_json::json!({ "not": m.to_json() }),
            Matcher::Compare(op, n) => serde_json::json!({ op.key(): n }),
            Matcher::Version(cs) => {
                let s: Vec<String> = cs
                    .iter()
                    .map(|(op, v)| format!("{} {v}", op.as_str()))
                    .collect();
                serde_json::json!({ "version": s.join(", ") })
            }
            Matcher::Contains(v) => serde_json::json!({ "contains": v }),
        }
    }

    /// Does the observed value satisfy this matcher? `Null` (attribute absent) only
    /// satisfies `Equals(Null)` and negations.
    pub fn matches(&self, actual: &Value) -> bool {
        match self {
            Matcher::Equals(expected) => loose_eq(expected, actual),
            Matcher::Matches(re) => match actual {
                Value::Null => false,
                Value::String(s) => re.is_match(s),
                Value::Array(items) => items.iter().any(|i| self.matches(i)),
                other => re.is_match(&other.to_string()),
            },
            Matcher::In(options) => options.iter().any(|o| loose_eq(o, actual)),
            Matcher::Not(m) => !m.matches(actual),
            Matcher::Compare(op, n) => {
                as_number(actual).is_some_and(|a| a.partial_cmp(n).is_some_and(|o| op.holds(o)))
            }
            Matcher::Version(cs) => match actual.as_str() {
                Some(v) if !v.is_empty() => cs
                    .iter()
                    .all(|(op, want)| op.holds(compare_versions(v, want))),
                _ => false,
            },
            Matcher::Contains(wanted) => match actual {
                Value::Array(items) => wanted.iter().all(|w| items.iter().any(|i| loose_eq(w, i))),
                Value::String(s) => wanted
                    .iter()
                    .all(|w| w.as_str().is_some_and(|w| s.contains(w))),
                _ => false,
            },
        }
    }
}

/// Human form of a declared matcher (its JSON form, as stored in `expected`):
/// `"0644"` → `0644`, `{"le": 4}` → `<= 4`, `{"matches": "^a"}` → `~ /^a/`,
/// `{"in": ["a","b"]}` → `one of a, b`, `{"not": "x"}` → `not x`,
/// `{"version": ">= 2"}` → `version >= 2`, `{"contains": ["a"]}` → `contains a`.
/// Anything else is shown as compact JSON.
pub fn describe_matcher(v: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => n.to_string(),
            },
            Value::Null => "absent".to_string(),
            other => other.to_string(),
        }
    }
    fn list(v: &Value) -> String {
        match v {
            Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
            other => scalar(other),
        }
    }
    let Value::Object(map) = v else {
        return scalar(v);
    };
    let mut it = map.iter();
    match (it.next(), it.next()) {
        (Some((k, arg)), None) => match k.as_str() {
            "matches" => format!("~ /{}/", scalar(arg)),
            "in" => format!("one of {}", list(arg)),
            "not" => format!("not {}", describe_matcher(arg)),
            "lt" => format!("< {}", scalar(arg)),
            "le" => format!("<= {}", scalar(arg)),
            "gt" => format!("> {}", scalar(arg)),
            "ge" => format!(">= {}", scalar(arg)),
            "version" => format!("version {}", scalar(arg)),
            "contains" => format!("contains {}", list(arg)),
            _ => v.to_string(),
        },
        _ => v.to_string(),
    }
}

/// Equality that forgives representation: `0644` vs `"0644"`, `2` vs `"2"`, `true` vs `"true"`.
fn loose_eq(expected: &Value, actual: &Value) -> bool {
    if expected == actual {
        return true;
    }
    match (expected, actual) {
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            match (as_number(expected), as_number(actual)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            }
        }
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s == if *b { "true" } else { "false" }
        }
        _ => false,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_version_constraints(s: &str) -> Result<Vec<(CompareOp, String)>, MatcherError> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let (op, rest) = [
            (">=", CompareOp::Ge),
            ("<=", CompareOp::Le),
            ("==", CompareOp::Eq),
            (">", CompareOp::Gt),
            ("<", CompareOp::Lt),
            ("=", CompareOp::Eq),
        ]
        .iter()
        .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r.trim())))
        .unwrap_or((CompareOp::Eq, part));
        if rest.is_empty() {
            return Err(MatcherError(format!(
                "version constraint {part:?} has no version; expected e.g. \">= 2.4, < 3\""
            )));
        }
        out.push((op, rest.to_string()));
    }
    Ok(out)
}

/// Compare two Debian-style versions (`[epoch:]upstream[-revision]`), dpkg's algorithm; also
/// orders rpm versions sensibly.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ra) = split_epoch(a);
    let (eb, rb) = split_epoch(b);
    match ea.cmp(&eb) {
        Ordering::Equal => {}
        o => return o,
    }
    let (ua, va) = ra.rsplit_once('-').unwrap_or((ra, ""));
    let (ub, vb) = rb.rsplit_once('-').unwrap_or((rb, ""));
    match verrevcmp(ua, ub) {
        Ordering::Equal => verrevcmp(va, vb),
        o => o,
    }
}

fn split_epoch(v: &str) -> (u64, &str) {
    match v.split_once(':') {
        Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(0), rest)
        }
        _ => (0, v),
    }
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dpkg_version_order_is_not_string_order() {
        assert_eq!(
            compare_versions("1:9.2p1-2+deb12u3", "9.9"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("2.10", "2.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(
            compare_versions("5.2.15-2+b2", "5.2.15-2+b2"),
            Ordering::Equal
        );
        assert_eq!(compare_versions("1.0-1", "1.0-10"), Ordering::Less);
    }

    #[test]
    fn version_range_matcher() {
        let m = Matcher::parse(&json!({"version": ">= 2.4, < 3"})).unwrap();
        assert!(m.matches(&json!("2.4.1")));
        assert!(m.matches(&json!("2.10")));
        assert!(!m.matches(&json!("3.0")));
        assert!(!m.matches(&json!("2.3.9")));
        assert!(!m.matches(&Value::Null));
    }

    #[test]
    fn scalar_equality_forgives_representation() {
        assert!(Matcher::parse(&json!(2)).unwrap().matches(&json!("2")));
        assert!(
            Matcher::parse(&json!("0644"))
                .unwrap()
                .matches(&json!("0644"))
        );
        assert!(
            !Matcher::parse(&json!("0644"))
                .unwrap()
                .matches(&json!("0600"))
        );
        assert!(Matcher::parse(&json!(true)).unwrap().matches(&json!(true)));
        assert!(!Matcher::parse(&json!(true)).unwrap().matches(&Value::Null));
    }

    #[test]
    fn table_matchers() {
        assert!(
            Matcher::parse(&json!({"ge": 128}))
                .unwrap()
                .matches(&json!("4096"))
        );
        assert!(
            !Matcher::parse(&json!({"lt": 10}))
                .unwrap()
                .matches(&json!(10))
        );
        assert!(
            Matcher::parse(&json!({"in": ["a", "b"]}))
                .unwrap()
                .matches(&json!("b"))
        );
        assert!(
            Matcher::parse(&json!({"not": "x"}))
                .unwrap()
                .matches(&json!("y"))
        );
        assert!(
            Matcher::parse(&json!({"matches": "^1:9"}))
                .unwrap()
                .matches(&json!("1:9.2p1"))
        );
        assert!(
            Matcher::parse(&json!({"contains": ["sudo"]}))
                .unwrap()
                .matches(&json!(["adm", "sudo"]))
        );
        assert!(
            !Matcher::parse(&json!({"contains": ["sudo"]}))
                .unwrap()
                .matches(&json!(["adm"]))
        );
    }

    #[test]
    fn bad_matchers_are_errors_with_a_reason() {
        let e = Matcher::parse(&json!({"matches": "("})).unwrap_err();
        assert!(e.0.contains("invalid regex"), "{e}");
        let e = Matcher::parse(&json!({"bogus": 1})).unwrap_err();
        assert!(e.0.contains("unknown matcher `bogus`"), "{e}");
        let e = Matcher::parse(&json!({"version": ">="})).unwrap_err();
        assert!(e.0.contains("has no version"), "{e}");
    }

    #[test]
    fn matchers_read_as_people_write_them() {
        assert_eq!(describe_matcher(&json!({"le": 4.0})), "<= 4");
        assert_eq!(describe_matcher(&json!({"ge": 128})), ">= 128");
        assert_eq!(describe_matcher(&json!("0644")), "0644");
        assert_eq!(describe_matcher(&json!(true)), "true");
        assert_eq!(
            describe_matcher(&json!({"in": ["0600", "0640"]})),
            "one of 0600, 0640"
        );
        assert_eq!(
            describe_matcher(&json!({"not": {"matches": "^x"}})),
            "not ~ /^x/"
        );
        assert_eq!(
            describe_matcher(&json!({"version": ">= 2.4, < 3"})),
            "version >= 2.4, < 3"
        );
        assert_eq!(
            describe_matcher(&json!({"contains": ["sudo", "adm"]})),
            "contains sudo, adm"
        );
        assert_eq!(
            describe_matcher(&json!({"a": 1, "b": 2})),
            r#"{"a":1,"b":2}"#
        );
    }

    #[test]
    fn to_json_round_trips() {
        for v in [
            json!({"ge": 128.0}),
            json!({"matches": "^a$"}),
            json!("x"),
            json!({"version": ">= 2.4, < 3"}),
        ] {
            assert_eq!(Matcher::parse(&v).unwrap().to_json(), v);
        }
    }
}
