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
mod tests {
    use super::*;
    use serde_json::json;

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
    fn combinators_set_and_len() {
        let m = |v: Value| Matcher::parse(&v).unwrap();
        // Goss `and`: stdout contains X and not Y.
        let both = m(json!({"all": [{"matches": "ok"}, {"not": {"matches": "error"}}]}));
        assert!(both.matches(&json!("all ok")));
        assert!(!both.matches(&json!("ok, one error")));
        assert!(!both.matches(&json!("nothing")));
        let either = m(json!({"any": ["0644", {"matches": "^06"}]}));
        assert!(either.matches(&json!("0644")) && either.matches(&json!("0600")));
        assert!(!either.matches(&json!("0755")));
        let set = m(json!({"set": ["sudo", "adm", 1000]}));
        assert!(
            set.matches(&json!(["1000", "adm", "sudo"])),
            "any order, loose equality"
        );
        assert!(!set.matches(&json!(["adm", "sudo"])), "a member missing");
        assert!(
            !set.matches(&json!(["adm", "sudo", "1000", "x"])),
            "an extra member"
        );
        assert!(
            !m(json!({"set": ["a", "a"]})).matches(&json!(["a", "b"])),
            "repeats count"
        );
        assert!(!set.matches(&json!("sudo adm 1000")) && !set.matches(&Value::Null));
        assert!(m(json!({"set": []})).matches(&json!([])));
        assert!(m(json!({"len": 2})).matches(&json!(["a", "b"])));
        assert!(m(json!({"len": {"ge": 3}})).matches(&json!("abc")));
        assert!(m(json!({"len": 0})).matches(&json!("")));
        assert!(!m(json!({"len": {"ge": 3}})).matches(&json!("ab")));
        assert!(
            !m(json!({"len": 0})).matches(&Value::Null),
            "absent has no length"
        );
        let nested = m(json!({"not": {"any": [{"len": 0}, {"contains": ["root"]}]}}));
        assert!(nested.matches(&json!(["alice"])) && !nested.matches(&json!(["root"])));
        for v in [
            json!({"all": [{"matches": "a"}, {"len": {"lt": 4.0}}]}),
            json!({"any": ["x", {"set": [1, 2]}]}),
            json!({"version": "> 1.0.0, < 2.0.0, != 1.5.0 || >= 3"}),
        ] {
            assert_eq!(m(v.clone()).to_json(), v);
        }
    }

    #[test]
    fn bad_combinators_are_errors() {
        for (v, want) in [
            (json!({"all": []}), "non-empty list of matchers"),
            (json!({"any": "x"}), "`any` takes a list"),
            (json!({"all": [{"matches": "("}]}), "invalid regex"),
            (json!({"set": "a"}), "`set` takes a list"),
            (json!({"len": "many"}), "`len` takes a number"),
            (json!({"len": {"bogus": 1}}), "unknown matcher `bogus`"),
            (json!({"version": ">1.0.0 <2.0.0"}), "is not a version"),
        ] {
            let e = Matcher::parse(&v).unwrap_err();
            assert!(e.0.contains(want), "{v}: {e}");
        }
    }

    #[test]
    fn matchers_read_as_people_write_them() {
        assert_eq!(
            describe_matcher(&json!({"all": [{"matches": "ok"}, {"not": {"matches": "err"}}]})),
            "(~ /ok/) and (not ~ /err/)"
        );
        assert_eq!(describe_matcher(&json!({"any": ["a", "b"]})), "(a) or (b)");
        assert_eq!(describe_matcher(&json!({"set": ["b", "a"]})), "set of b, a");
        assert_eq!(describe_matcher(&json!({"len": {"ge": 1}})), "len >= 1");
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

    #[test]
    fn numeric_comparisons_hold_exactly_at_their_boundaries() {
        let m = |v: Value| Matcher::parse(&v).unwrap();
        for (key, below, at, above) in [
            ("lt", true, false, false),
            ("le", true, true, false),
            ("gt", false, false, true),
            ("ge", false, true, true),
        ] {
            let c = m(json!({ key: 10 }));
            assert_eq!(
                [
                    c.matches(&json!(9)),
                    c.matches(&json!(" 10 ")),
                    c.matches(&json!(10.5))
                ],
                [below, at, above],
                "{key}"
            );
            assert!(
                !c.matches(&json!("ten")) && !c.matches(&Value::Null),
                "{key}"
            );
            assert_eq!(c.to_json(), json!({ key: 10.0 }));
        }
        let e = Matcher::parse(&json!({"le": "ten"})).unwrap_err();
        assert_eq!(e.0, "`le` takes a number, found \"ten\"");
    }

    #[test]
    fn each_matcher_kind_applies_to_each_value_shape() {
        let m = |v: Value| Matcher::parse(&v).unwrap();
        // A regex over a list matches when any item does; over a number, its text.
        let re = m(json!({"matches": "^ssh"}));
        assert!(re.matches(&json!(["cron", "sshd"])) && !re.matches(&json!(["cron"])));
        assert!(m(json!({"matches": "^22$"})).matches(&json!(22)));
        assert!(!re.matches(&Value::Null));
        // contains over a string: every substring; a non-string item never.
        let c = m(json!({"contains": ["PermitRoot", "no"]}));
        assert!(c.matches(&json!("PermitRootLogin no")));
        assert!(!c.matches(&json!("PermitRootLogin yes")));
        assert!(!m(json!({"contains": [1]})).matches(&json!("1")));
        assert!(!c.matches(&json!(1)) && !c.matches(&Value::Null));
        // A scalar contains argument is a list of one.
        assert_eq!(
            m(json!({"contains": "sudo"})).to_json(),
            json!({"contains": ["sudo"]})
        );
        assert!(m(json!({"contains": "sudo"})).matches(&json!(["sudo"])));
        // len of a list counts items, of a string characters (not bytes), else never.
        assert!(m(json!({"len": 3})).matches(&json!(["a", "b", "c"])));
        assert!(m(json!({"len": 2})).matches(&json!("é!")));
        assert!(!m(json!({"len": 1})).matches(&json!(1)));
        // set: a repeated wanted member does not pair with one item twice.
        assert!(!m(json!({"set": ["a", "a", "b"]})).matches(&json!(["a", "b", "b"])));
        assert!(m(json!({"set": ["a", "b", "a"]})).matches(&json!(["a", "a", "b"])));
        // in: loose equality with each option.
        assert!(m(json!({"in": [22, 2222]})).matches(&json!("2222")));
        assert!(!m(json!({"in": [22, 2222]})).matches(&json!("222")));
    }

    #[test]
    fn loose_equality_forgives_only_representation() {
        let eq = |a: Value, b: Value| Matcher::parse(&a).unwrap().matches(&b);
        assert!(eq(json!(true), json!("true")) && eq(json!(false), json!("false")));
        assert!(!eq(json!(true), json!("false")) && !eq(json!(false), json!("true")));
        assert!(eq(json!("true"), json!(true)));
        assert!(eq(json!(2), json!(2.0)) && eq(json!("2"), json!(2)));
        assert!(!eq(json!(2), json!(3)) && !eq(json!(2), json!("two")));
        assert!(!eq(json!(1), json!(true)) && !eq(json!("x"), json!(["x"])));
        assert!(eq(Value::Null, Value::Null) && !eq(Value::Null, json!("")));
    }

    #[test]
    fn declared_values_map_through_every_combinator() {
        let m = |v: Value| Matcher::parse(&v).unwrap();
        let upper = |v: &Value| match v {
            Value::String(s) => Value::String(s.to_uppercase()),
            other => other.clone(),
        };
        for (declared, mapped) in [
            (json!("a"), json!("A")),
            (json!({"in": ["a", "b"]}), json!({"in": ["A", "B"]})),
            (json!({"contains": ["a"]}), json!({"contains": ["A"]})),
            (json!({"set": ["a"]}), json!({"set": ["A"]})),
            (json!({"not": "a"}), json!({"not": "A"})),
            (
                json!({"all": ["a", {"not": "b"}]}),
                json!({"all": ["A", {"not": "B"}]}),
            ),
            (json!({"any": ["a", "b"]}), json!({"any": ["A", "B"]})),
            // Regexes, numbers, lengths and versions are not values of the attribute.
            (json!({"matches": "a"}), json!({"matches": "a"})),
            (json!({"len": 1.0}), json!({"len": 1.0})),
            (json!({"version": ">= 1"}), json!({"version": ">= 1"})),
        ] {
            assert_eq!(
                m(declared.clone()).map_values(&upper).to_json(),
                mapped,
                "{declared}"
            );
        }
        assert!(
            m(json!({"not": "a"}))
                .map_values(&upper)
                .matches(&json!("a"))
        );
    }

    #[test]
    fn matchers_are_equal_when_declared_alike() {
        let m = |v: Value| Matcher::parse(&v).unwrap();
        assert_eq!(m(json!({"matches": "^a"})), m(json!({"matches": "^a"})));
        assert_ne!(m(json!({"matches": "^a"})), m(json!({"matches": "^b"})));
        assert_ne!(m(json!({"lt": 1})), m(json!({"le": 1})));
    }

    #[test]
    fn malformed_tables_say_what_was_expected() {
        for (v, want) in [
            (
                json!({"lt": 1, "gt": 0}),
                "a matcher table has exactly one key (matches, in, not, lt, le, gt, ge, version, contains, set, len, all, any), found 2",
            ),
            (json!({}), "a matcher table has exactly one key"),
            (json!({"matches": 1}), "`matches` takes a regex string"),
            (json!({"in": "a"}), "`in` takes a list, found \"a\""),
            (
                json!({"version": 2}),
                "`version` takes a string like \">= 2.4, < 3\"",
            ),
            (
                json!({"len": true}),
                "`len` takes a number or a matcher like",
            ),
        ] {
            let e = Matcher::parse(&v).unwrap_err();
            assert!(e.0.starts_with(want), "{v}: {e}");
        }
        // A numeric len given as text is fine; so is a nested matcher.
        assert!(Matcher::parse(&json!({"len": "2"})).is_ok());
        assert!(Matcher::parse(&json!({"len": {"in": [1, 2]}})).is_ok());
    }

    #[test]
    fn every_matcher_reads_as_people_write_it() {
        for (v, want) in [
            (json!({"lt": 3}), "< 3"),
            (json!({"gt": 2.5}), "> 2.5"),
            (json!({"ge": 1e15}), ">= 1000000000000000.0"),
            (json!({"ge": 999999999999999.0}), ">= 999999999999999"),
            (json!({"matches": "^a$"}), "~ /^a$/"),
            (json!({"set": "a"}), "set of a"),
            (json!({"contains": "a"}), "contains a"),
            (json!({"in": [1, null]}), "one of 1, absent"),
            (json!(null), "absent"),
            (json!({"all": "x"}), "\"x\""),
            (json!({"bogus": 1}), "{\"bogus\":1}"),
            (json!({"any": [{"lt": 1}, {"gt": 9}]}), "(< 1) or (> 9)"),
        ] {
            assert_eq!(describe_matcher(&v), want, "{v}");
        }
    }

    #[test]
    fn version_matchers_hold_at_each_operators_boundary() {
        let m = |spec: &str| Matcher::parse(&json!({ "version": spec })).unwrap();
        for (spec, below, at, above) in [
            ("= 1:2.0-1", false, true, false),
            ("!= 1:2.0-1", true, false, true),
            ("< 1:2.0-1", true, false, false),
            (">= 1:2.0-1", false, true, true),
        ] {
            let v = m(spec);
            assert_eq!(
                [
                    v.matches(&json!("1:2.0-0")),
                    v.matches(&json!("1:2.0-1")),
                    v.matches(&json!("1:2.0-1+b1"))
                ],
                [below, at, above],
                "{spec}"
            );
        }
        assert_eq!(CompareOp::Eq.as_str(), "=");
        assert_eq!(CompareOp::Ne.as_str(), "!=");
    }
}
