//! Matchers: how an `expect` attribute compares the observed value with the declared one.
//!
//! A scalar means equals; a table chooses `matches`, `in`, `not`, `lt|le|gt|ge`, `version`,
//! `contains`, `set` (same members, any order), `len` (of a list or string) and the
//! combinators `all` / `any` over a list of matchers. Parsing validates regexes and version
//! constraints up front, so a bad matcher is a config error, never a runtime surprise.

use super::version::VersionSpec;
use regex::Regex;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct MatcherError(pub String);

/// The keys a matcher table may use, for messages.
const KEYS: &str = "matches, in, not, lt, le, gt, ge, version, contains, set, len, all, any";

/// A comparison against an observed attribute value.
#[derive(Debug, Clone)]
pub enum Matcher {
    Equals(Value),
    Matches(Regex),
    In(Vec<Value>),
    Not(Box<Matcher>),
    Compare(CompareOp, f64),
    /// `>= 2.4, < 3 || = 4`: dpkg ordering (see [`VersionSpec`]).
    Version(VersionSpec),
    /// List attribute contains every one of these (a string: every substring).
    Contains(Vec<Value>),
    /// List attribute has exactly these members, in any order (Goss `consist-of`).
    Set(Vec<Value>),
    /// The number of items of a list (characters of a string) satisfies the matcher.
    Len(Box<Matcher>),
    /// Every matcher holds (Goss `and`).
    All(Vec<Matcher>),
    /// At least one matcher holds (Goss `or`).
    Any(Vec<Matcher>),
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
    /// Only in `version` constraints (`!= 1.5`).
    Ne,
}

impl CompareOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
        }
    }
    fn key(self) -> &'static str {
        match self {
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
        }
    }
    pub(crate) fn holds(self, ord: Ordering) -> bool {
        match self {
            CompareOp::Lt => ord == Ordering::Less,
            CompareOp::Le => ord != Ordering::Greater,
            CompareOp::Gt => ord == Ordering::Greater,
            CompareOp::Ge => ord != Ordering::Less,
            CompareOp::Eq => ord == Ordering::Equal,
            CompareOp::Ne => ord != Ordering::Equal,
        }
    }
}

fn list_arg<'a>(key: &str, arg: &'a Value) -> Result<&'a Vec<Value>, MatcherError> {
    match arg {
        Value::Array(a) => Ok(a),
        other => Err(MatcherError(format!("`{key}` takes a list, found {other}"))),
    }
}

fn matcher_list(key: &str, arg: &Value) -> Result<Vec<Matcher>, MatcherError> {
    let items = list_arg(key, arg)?;
    if items.is_empty() {
        return Err(MatcherError(format!(
            "`{key}` takes a non-empty list of matchers, e.g. {{ {key} = [{{ matches = \"a\" }}, {{ not = {{ matches = \"b\" }} }}] }}"
        )));
    }
    items.iter().map(Matcher::parse).collect()
}

impl Matcher {
    /// Build a matcher from its TOML/JSON form.
    pub fn parse(v: &Value) -> Result<Matcher, MatcherError> {
        let Value::Object(map) = v else {
            return Ok(Matcher::Equals(v.clone()));
        };
        if map.len() != 1 {
            return Err(MatcherError(format!(
                "a matcher table has exactly one key ({KEYS}), found {}",
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
                super::regex_cache::compiled(s)
                    .map(Matcher::Matches)
                    .map_err(|e| MatcherError(format!("invalid regex {s:?}: {e}")))
            }
            "in" => list_arg(key, arg).map(|a| Matcher::In(a.clone())),
            "set" => list_arg(key, arg).map(|a| Matcher::Set(a.clone())),
            "not" => Ok(Matcher::Not(Box::new(Matcher::parse(arg)?))),
            "len" => {
                let inner = Matcher::parse(arg)?;
                if let Matcher::Equals(v) = &inner
                    && as_number(v).is_none()
                {
                    return Err(MatcherError(format!(
                        "`len` takes a number or a matcher like {{ ge = 1 }}, found {v}"
                    )));
                }
                Ok(Matcher::Len(Box::new(inner)))
            }
            "all" => matcher_list(key, arg).map(Matcher::All),
            "any" => matcher_list(key, arg).map(Matcher::Any),
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
                VersionSpec::parse(s).map(Matcher::Version)
            }
            "contains" => match arg {
                Value::Array(a) => Ok(Matcher::Contains(a.clone())),
                other => Ok(Matcher::Contains(vec![other.clone()])),
            },
            other => Err(MatcherError(format!(
                "unknown matcher `{other}`; expected one of {KEYS}"
            ))),
        }
    }

    /// The declared form, for `expected` in results.
    pub fn to_json(&self) -> Value {
        let list = |ms: &[Matcher]| Value::Array(ms.iter().map(Matcher::to_json).collect());
        match self {
            Matcher::Equals(v) => v.clone(),
            Matcher::Matches(r) => serde_json::json!({ "matches": r.as_str() }),
            Matcher::In(v) => serde_json::json!({ "in": v }),
            Matcher::Not(m) => serde_json::json!({ "not": m.to_json() }),
            Matcher::Compare(op, n) => serde_json::json!({ op.key(): n }),
            Matcher::Version(spec) => serde_json::json!({ "version": spec.text() }),
            Matcher::Contains(v) => serde_json::json!({ "contains": v }),
            Matcher::Set(v) => serde_json::json!({ "set": v }),
            Matcher::Len(m) => serde_json::json!({ "len": m.to_json() }),
            Matcher::All(ms) => serde_json::json!({ "all": list(ms) }),
            Matcher::Any(ms) => serde_json::json!({ "any": list(ms) }),
        }
    }

    /// The same matcher with every declared value passed through `f` (e.g. file modes
    /// normalized to `0644`), so a module can compare in its own terms with any combinator.
    pub fn map_values(&self, f: &dyn Fn(&Value) -> Value) -> Matcher {
        let all = |v: &[Value]| v.iter().map(f).collect();
        let each = |ms: &[Matcher]| ms.iter().map(|m| m.map_values(f)).collect();
        match self {
            Matcher::Equals(v) => Matcher::Equals(f(v)),
            Matcher::In(v) => Matcher::In(all(v)),
            Matcher::Contains(v) => Matcher::Contains(all(v)),
            Matcher::Set(v) => Matcher::Set(all(v)),
            Matcher::Not(m) => Matcher::Not(Box::new(m.map_values(f))),
            Matcher::All(ms) => Matcher::All(each(ms)),
            Matcher::Any(ms) => Matcher::Any(each(ms)),
            // Lengths, numbers, regexes and versions are not the attribute's values.
            other => other.clone(),
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
            Matcher::Version(spec) => actual.as_str().is_some_and(|v| spec.holds(v)),
            Matcher::Contains(wanted) => match actual {
                Value::Array(items) => wanted.iter().all(|w| items.iter().any(|i| loose_eq(w, i))),
                Value::String(s) => wanted
                    .iter()
                    .all(|w| w.as_str().is_some_and(|w| s.contains(w))),
                _ => false,
            },
            Matcher::Set(wanted) => match actual {
                Value::Array(items) => same_members(wanted, items),
                _ => false,
            },
            Matcher::Len(m) => match actual {
                Value::Array(items) => m.matches(&Value::from(items.len())),
                Value::String(s) => m.matches(&Value::from(s.chars().count())),
                _ => false,
            },
            Matcher::All(ms) => ms.iter().all(|m| m.matches(actual)),
            Matcher::Any(ms) => ms.iter().any(|m| m.matches(actual)),
        }
    }
}

/// Same members counting repeats, any order: each wanted value pairs with one distinct item.
fn same_members(wanted: &[Value], items: &[Value]) -> bool {
    if wanted.len() != items.len() {
        return false;
    }
    let mut used = vec![false; items.len()];
    wanted.iter().all(|w| {
        let free = items
            .iter()
            .enumerate()
            .position(|(i, item)| !used[i] && loose_eq(w, item));
        free.map(|i| used[i] = true).is_some()
    })
}

/// Human form of a declared matcher (its JSON form, as stored in `expected`):
/// `"0644"` → `0644`, `{"le": 4}` → `<= 4`, `{"matches": "^a"}` → `~ /^a/`,
/// `{"in": ["a","b"]}` → `one of a, b`, `{"not": "x"}` → `not x`,
/// `{"version": ">= 2"}` → `version >= 2`, `{"contains": ["a"]}` → `contains a`,
/// `{"set": ["a","b"]}` → `set of a, b`, `{"len": {"ge": 1}}` → `len >= 1`,
/// `{"all": [m1, m2]}` → `(m1) and (m2)`, `{"any": …}` → `(m1) or (m2)`.
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
    fn joined(v: &Value, word: &str) -> String {
        match v {
            Value::Array(items) => items
                .iter()
                .map(|m| format!("({})", describe_matcher(m)))
                .collect::<Vec<_>>()
                .join(word),
            other => other.to_string(),
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
            "set" => format!("set of {}", list(arg)),
            "len" => format!("len {}", describe_matcher(arg)),
            "all" => joined(arg, " and "),
            "any" => joined(arg, " or "),
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

#[cfg(test)]
mod tests;
