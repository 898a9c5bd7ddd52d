//! A verdict per execution: the declared matchers applied to a module's observation, the
//! `os_family` limit, and the redaction of a `secret = true` check's content-derived values.

use super::super::{EvalContext, Observation, module, secret};
use crate::model::{Execution, Outcome, Value};

/// The verdict on one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// `{attribute: declared matcher}`.
    pub expected: Value,
    /// `{attribute: observed value}` (empty object when nothing was observed).
    pub actual: Value,
    pub reason: Option<String>,
}

/// Why `e` does not apply to this host: its `os_family` names neither the host's os-release
/// `ID` nor any `ID_LIKE` word. `None` when it applies, and when the host's OS is unknown
/// (no os-release, output cut short): then the check runs and says what it finds.
pub(super) fn other_os_family(e: &Execution, os: Option<&Observation>) -> Option<String> {
    if e.os_family.is_empty() {
        return None;
    }
    let Some(Observation::Observed(attrs)) = os else {
        return None;
    };
    let id = attrs.get("id").and_then(Value::as_str).unwrap_or("");
    let like: Vec<&str> = attrs
        .get("id_like")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if id.is_empty()
        || e.os_family
            .iter()
            .any(|f| f == id || like.contains(&f.as_str()))
    {
        return None;
    }
    let host = if like.is_empty() {
        id.to_string()
    } else {
        format!("{id} (like {})", like.join(" "))
    };
    Some(format!(
        "only for os_family {}: this host is {host}",
        e.os_family.join(", ")
    ))
}

/// The declared expectations of an execution as a JSON object.
pub fn expected_json(e: &Execution) -> Value {
    Value::Object(
        e.expect
            .iter()
            .map(|(attr, m)| (attr.clone(), m.to_json()))
            .collect(),
    )
}

/// Apply an execution's matchers to an observation. A `secret = true` execution's
/// content-derived values leave here only redacted ([`secret::redact`]).
pub fn evaluate(e: &Execution, obs: &Observation) -> Verdict {
    let mut verdict = evaluate_clear(e, obs);
    if e.secret == Some(true) {
        secret::redact(
            &mut verdict.actual,
            module(e.target.module).content_attributes(),
        );
    }
    verdict
}

fn evaluate_clear(e: &Execution, obs: &Observation) -> Verdict {
    let expected = expected_json(e);
    match obs {
        Observation::NotApplicable(why) => Verdict {
            outcome: Outcome::NotApplicable,
            expected,
            actual: Value::Object(Default::default()),
            reason: Some(why.clone()),
        },
        Observation::Error(why) => Verdict {
            outcome: Outcome::Error,
            expected,
            actual: Value::Object(Default::default()),
            reason: Some(why.clone()),
        },
        Observation::Observed(attrs) => {
            let m = module(e.target.module);
            let context = EvalContext {
                subject: &e.target.subject,
                secret: e.secret,
            };
            let mut actual = serde_json::Map::new();
            let mut failed = Vec::new();
            let mut errors = Vec::new();
            let waived = attrs
                .get(super::super::ERRORS_WAIVED_BY)
                .and_then(Value::as_str)
                .is_some_and(|w| e.expect.iter().any(|(a, _)| a == w));
            for (attr, matcher) in &e.expect {
                // A module may answer the subject but not one attribute (e.g. a file's
                // mode is known, its content unreadable): that check is an error.
                if !waived && let Some(why) = attrs.get(&super::super::attr_error_key(attr)) {
                    errors.push(why.as_str().unwrap_or("attribute unavailable").to_string());
                    continue;
                }
                let v = m.evaluate_in(&context, attrs, attr, matcher);
                if !v.ok {
                    failed.push(attr.as_str());
                }
                actual.insert(attr.clone(), v.actual);
            }
            let (outcome, reason) = if !errors.is_empty() {
                (Outcome::Error, Some(errors.join("; ")))
            } else if failed.is_empty() {
                (Outcome::Pass, None)
            } else {
                (
                    Outcome::Fail,
                    Some(format!("differs: {}", failed.join(", "))),
                )
            };
            Verdict {
                outcome,
                expected,
                actual: Value::Object(actual),
                reason,
            }
        }
    }
}
