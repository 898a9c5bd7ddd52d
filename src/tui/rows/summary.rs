//! The short forms of a result the table and the detail pane show: a value for a cell, each
//! expected attribute with whether it holds, and the one-line `actual ≠ expected` summary.
//! Built only for rows on screen.

use crate::model::{Matcher, Outcome, ResultRecord, Value, describe_matcher};

/// Render a JSON value compactly for a table cell: strings without quotes.
pub fn short_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_string(),
        other => other.to_string(),
    }
}

/// The attributes of a record with whether each one holds (`None` = unknown).
pub fn attribute_verdicts(rec: &ResultRecord) -> Vec<(String, Value, Value, Option<bool>)> {
    verdicts_of(rec.outcome, &rec.expected, &rec.actual)
}

fn verdicts_of(
    outcome: Outcome,
    expected: &Value,
    actual: &Value,
) -> Vec<(String, Value, Value, Option<bool>)> {
    let empty = serde_json::Map::new();
    let exp = expected.as_object().unwrap_or(&empty);
    let act = actual.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (attr, e) in exp {
        let a = act.get(attr).cloned().unwrap_or(Value::Null);
        let ok = match outcome {
            Outcome::Pass => Some(true),
            Outcome::Fail if act.contains_key(attr) => {
                Matcher::parse(e).ok().map(|m| m.matches(&a))
            }
            _ => None,
        };
        out.push((attr.clone(), e.clone(), a, ok));
    }
    for (attr, a) in act {
        if !exp.contains_key(attr) {
            out.push((attr.clone(), Value::Null, a.clone(), None));
        }
    }
    out
}

/// `attr: actual ≠ expected` for the first differing attribute of a failure, the observed
/// values of a pass, or the reason of a problem.
pub fn summarize(rec: &ResultRecord) -> String {
    summarize_parts(
        rec.outcome,
        &rec.expected,
        &rec.actual,
        rec.reason.as_deref(),
    )
}

/// [`summarize`] from a result's parts (the table keeps them interned, not as a record).
pub fn summarize_parts(
    outcome: Outcome,
    expected: &Value,
    actual: &Value,
    reason: Option<&str>,
) -> String {
    let first_line = |s: &str| s.lines().next().unwrap_or("").to_string();
    match outcome {
        Outcome::Pass => {
            let parts: Vec<String> = actual
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", first_line(&short_value(v))))
                        .collect()
                })
                .unwrap_or_default();
            parts.join(" ")
        }
        Outcome::Fail => {
            let verdicts = verdicts_of(outcome, expected, actual);
            let bad = verdicts
                .iter()
                .find(|(_, _, _, ok)| *ok == Some(false))
                .or_else(|| verdicts.first());
            match bad {
                Some((attr, e, a, _)) => format!(
                    "{attr}: {} ≠ {}",
                    first_line(&short_value(a)),
                    first_line(&describe_matcher(e))
                ),
                None => reason.map(first_line).unwrap_or_default(),
            }
        }
        _ => reason.map(first_line).unwrap_or_default(),
    }
}
