//! `contains` / `not_contains`: the declared regexes (validated at load), matched against the
//! content lines the shared read returned, with the nearest lines of a miss as evidence
//! (capped, withheld on sensitive paths; see [`super::super::secret`]).

use super::super::{AttrVerdict, Attributes, secret};
use crate::model::{Matcher, Value};

/// The regexes a `contains`/`not_contains` matcher declares: a string or a list of strings.
fn declared_regexes(m: &Matcher) -> Result<Vec<String>, String> {
    match m {
        Matcher::Equals(Value::String(s)) => Ok(vec![s.clone()]),
        Matcher::Equals(Value::Array(items)) | Matcher::Contains(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("expected a regex string, found {v}"))
            })
            .collect(),
        Matcher::Matches(re) => Ok(vec![re.as_str().to_string()]),
        other => Err(format!(
            "expected a regex or a list of regexes, found {}",
            other.to_json()
        )),
    }
}

pub(super) fn validate_regexes(declared: &Value) -> Result<(), String> {
    let list: Vec<&Value> = match declared {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    for v in list {
        let Some(s) = v.as_str() else {
            return Err(format!(
                "expected a regex string or a list of them, found {v}"
            ));
        };
        crate::model::regex_cache::compiled(s).map_err(|e| format!("invalid regex {s:?}: {e}"))?;
    }
    Ok(())
}

/// The literal key a regex like `^\s*log_level\s*=` is about (`log_level`), for hints.
fn regex_key(re: &str) -> String {
    let s = re.trim_start_matches('^');
    let s = s.strip_prefix("\\s*").unwrap_or(s);
    s.chars()
        .take_while(|c| c.is_alphanumeric() || "_-./".contains(*c))
        .collect()
}

pub(super) fn content_lines(observed: &Attributes) -> Vec<(i64, String)> {
    observed
        .get("_content")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let a = r.as_array()?;
                    Some((a.first()?.as_i64()?, a.get(1)?.as_str()?.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluate `contains`/`not_contains`. `nearest`: whether a miss may quote the file's
/// nearest lines (each capped at [`secret::NEAREST_MAX_CHARS`]).
pub(super) fn evaluate_content(
    observed: &Attributes,
    attribute: &str,
    matcher: &Matcher,
    nearest: bool,
) -> AttrVerdict {
    let fail = |why: String| AttrVerdict {
        ok: false,
        actual: Value::String(why),
    };
    if observed.get("exists") != Some(&Value::Bool(true)) {
        return fail("file does not exist".into());
    }
    let regexes = match declared_regexes(matcher) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let lines = content_lines(observed);
    let truncated = observed
        .get("_content_truncated")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let cut_note = if truncated {
        format!(" (only the first {} lines were read)", lines.len())
    } else {
        String::new()
    };
    let mut ok = true;
    let mut actual = Vec::new();
    for src in regexes {
        let re = match crate::model::regex_cache::compiled(&src) {
            Ok(r) => r,
            Err(e) => {
                ok = false;
                actual.push(Value::String(format!("invalid regex {src:?}: {e}")));
                continue;
            }
        };
        let hits: Vec<&(i64, String)> = lines.iter().filter(|(_, l)| re.is_match(l)).collect();
        if attribute == "contains" {
            if let Some((n, l)) = hits.first() {
                actual.push(Value::String(format!("line {n}: {l}")));
            } else {
                ok = false;
                let key = regex_key(&src);
                let near: Vec<String> = if key.is_empty() || !nearest {
                    Vec::new()
                } else {
                    lines
                        .iter()
                        .filter(|(_, l)| {
                            l.trim_start()
                                .to_lowercase()
                                .starts_with(&key.to_lowercase())
                        })
                        .take(3)
                        .map(|(n, l)| format!("line {n}: {}", secret::cap_line(l)))
                        .collect()
                };
                actual.push(Value::String(if near.is_empty() {
                    format!(
                        "no line matches {src:?} ({} lines read{cut_note})",
                        lines.len()
                    )
                } else {
                    format!(
                        "no line matches {src:?}; nearest: {}{cut_note}",
                        near.join(" | ")
                    )
                }));
            }
        } else {
            for (n, l) in hits.iter().take(3) {
                ok = false;
                actual.push(Value::String(format!("line {n}: {l}")));
            }
        }
    }
    if attribute == "not_contains" && ok {
        actual.push(Value::String(format!(
            "no line matches ({} lines read{cut_note})",
            lines.len()
        )));
    }
    AttrVerdict {
        ok,
        actual: Value::Array(actual),
    }
}
