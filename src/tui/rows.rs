//! The results the TUI holds: one row per environment × host × execution key, updated in place
//! when a newer result for the same key arrives, plus the filtered/sorted view the table shows.
//!
//! Rebuilding the view is O(n) for the default orders (bucketed by outcome/severity over a
//! name-ordered index), so streaming 100k results stays within a frame.

use crate::model::{Matcher, Outcome, ResultRecord, Severity, Value};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::collections::BTreeMap;

/// Stable id of a row (index into [`ResultSet::rows`]).
pub type RowId = u32;

/// One result row.
#[derive(Debug, Clone)]
pub struct Row {
    pub rec: ResultRecord,
    /// `host key title category`: what the fuzzy filter matches.
    pub haystack: String,
    /// Short `actual vs expected` form for the table.
    pub summary: String,
    /// Whether the current filter matches this row.
    pub hit: bool,
    /// Bumped each time a newer result replaced this row (re-checks).
    pub version: u32,
}

/// Table order, cycled with `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Worst outcome first, then severity, then host and check.
    #[default]
    FailuresFirst,
    Severity,
    Host,
    Check,
    /// Slowest first.
    Duration,
}

impl SortOrder {
    pub fn next(self) -> SortOrder {
        match self {
            SortOrder::FailuresFirst => SortOrder::Severity,
            SortOrder::Severity => SortOrder::Host,
            SortOrder::Host => SortOrder::Check,
            SortOrder::Check => SortOrder::Duration,
            SortOrder::Duration => SortOrder::FailuresFirst,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortOrder::FailuresFirst => "failures first",
            SortOrder::Severity => "severity",
            SortOrder::Host => "host",
            SortOrder::Check => "check",
            SortOrder::Duration => "slowest",
        }
    }
}

/// What the view keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewFilter {
    pub environment: Option<String>,
    pub host: Option<String>,
    pub category: Option<String>,
    pub failures_only: bool,
    /// Fuzzy pattern; empty = none.
    pub pattern: String,
}

/// All rows plus the name-ordered index.
pub struct ResultSet {
    pub rows: Vec<Row>,
    /// `env \x1f host \x1f key` → row, iterated in name order.
    order: BTreeMap<String, RowId>,
    matcher: SkimMatcherV2,
    pattern: String,
}

impl Default for ResultSet {
    fn default() -> Self {
        ResultSet {
            rows: Vec::new(),
            order: BTreeMap::new(),
            matcher: SkimMatcherV2::default().ignore_case(),
            pattern: String::new(),
        }
    }
}

fn outcome_rank(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)
}

fn severity_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// Whether an outcome counts as a failure for `f` (everything but pass and not-applicable).
pub fn is_failure(o: Outcome) -> bool {
    !matches!(o, Outcome::Pass | Outcome::NotApplicable)
}

impl ResultSet {
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Insert or replace; returns the row id and the outcome it replaced, if any.
    pub fn upsert(&mut self, rec: ResultRecord) -> (RowId, Option<Outcome>) {
        let name = format!("{}\u{1f}{}\u{1f}{}", rec.environment, rec.host, rec.key);
        let haystack = format!("{} {} {} {}", rec.host, rec.key, rec.title, rec.category);
        let summary = summarize(&rec);
        let hit =
            self.pattern.is_empty() || self.matcher.fuzzy_match(&haystack, &self.pattern).is_some();
        match self.order.get(&name) {
            Some(&id) => {
                let row = &mut self.rows[id as usize];
                let old = row.rec.outcome;
                row.rec = rec;
                row.haystack = haystack;
                row.summary = summary;
                row.hit = hit;
                row.version += 1;
                (id, Some(old))
            }
            None => {
                let id = self.rows.len() as RowId;
                self.rows.push(Row {
                    rec,
                    haystack,
                    summary,
                    hit,
                    version: 0,
                });
                self.order.insert(name, id);
                (id, None)
            }
        }
    }

    /// Change the fuzzy pattern, re-matching every row once.
    pub fn set_pattern(&mut self, pattern: &str) {
        if pattern == self.pattern {
            return;
        }
        self.pattern = pattern.to_string();
        for row in &mut self.rows {
            row.hit =
                pattern.is_empty() || self.matcher.fuzzy_match(&row.haystack, pattern).is_some();
        }
    }

    /// Char indices of the current pattern's match in a row's haystack (for highlighting).
    pub fn match_indices(&self, id: RowId) -> Vec<usize> {
        if self.pattern.is_empty() {
            return Vec::new();
        }
        self.rows
            .get(id as usize)
            .and_then(|r| self.matcher.fuzzy_indices(&r.haystack, &self.pattern))
            .map(|(_, idx)| idx)
            .unwrap_or_default()
    }

    /// The filtered, sorted row ids.
    pub fn view(&self, f: &ViewFilter, order: SortOrder) -> Vec<RowId> {
        let keep = |r: &Row| {
            f.environment
                .as_ref()
                .is_none_or(|e| *e == r.rec.environment)
                && f.host.as_ref().is_none_or(|h| *h == r.rec.host)
                && f.category.as_ref().is_none_or(|c| *c == r.rec.category)
                && (!f.failures_only || is_failure(r.rec.outcome))
                && (f.pattern.is_empty() || r.hit)
        };
        let named = self
            .order
            .values()
            .copied()
            .filter(|id| keep(&self.rows[*id as usize]));
        match order {
            SortOrder::Host => named.collect(),
            SortOrder::FailuresFirst | SortOrder::Severity => {
                let mut buckets: Vec<Vec<RowId>> = vec![Vec::new(); 7 * 5];
                for id in named {
                    let r = &self.rows[id as usize].rec;
                    let (o, s) = (outcome_rank(r.outcome), severity_rank(r.severity));
                    let b = if order == SortOrder::FailuresFirst {
                        o * 5 + s
                    } else {
                        s * 7 + o
                    };
                    buckets[b].push(id);
                }
                buckets.concat()
            }
            SortOrder::Check => {
                let mut v: Vec<RowId> = named.collect();
                v.sort_by(|a, b| {
                    let (ra, rb) = (&self.rows[*a as usize].rec, &self.rows[*b as usize].rec);
                    ra.key.cmp(&rb.key).then_with(|| ra.host.cmp(&rb.host))
                });
                v
            }
            SortOrder::Duration => {
                let mut v: Vec<RowId> = named.collect();
                v.sort_by(|a, b| {
                    let (ra, rb) = (&self.rows[*a as usize].rec, &self.rows[*b as usize].rec);
                    rb.duration.cmp(&ra.duration)
                });
                v
            }
        }
    }
}

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
    let empty = serde_json::Map::new();
    let exp = rec.expected.as_object().unwrap_or(&empty);
    let act = rec.actual.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (attr, e) in exp {
        let a = act.get(attr).cloned().unwrap_or(Value::Null);
        let ok = match rec.outcome {
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
    let first_line = |s: &str| s.lines().next().unwrap_or("").to_string();
    match rec.outcome {
        Outcome::Pass => {
            let parts: Vec<String> = rec
                .actual
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
            let verdicts = attribute_verdicts(rec);
            let bad = verdicts
                .iter()
                .find(|(_, _, _, ok)| *ok == Some(false))
                .or_else(|| verdicts.first());
            match bad {
                Some((attr, e, a, _)) => format!(
                    "{attr}: {} ≠ {}",
                    first_line(&short_value(a)),
                    first_line(&short_value(e))
                ),
                None => rec.reason.as_deref().map(first_line).unwrap_or_default(),
            }
        }
        _ => rec.reason.as_deref().map(first_line).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExecKey;
    use serde_json::json;
    use std::time::Duration;

    fn rec(host: &str, key: &str, o: Outcome, sev: Severity) -> ResultRecord {
        ResultRecord {
            environment: "e".into(),
            host: host.into(),
            key: ExecKey(key.into()),
            check_id: key.into(),
            title: format!("title of {key}"),
            category: "cat".into(),
            severity: sev,
            outcome: o,
            expected: json!({"value": "1"}),
            actual: json!({"value": if o == Outcome::Pass {"1"} else {"0"}}),
            reason: None,
            duration: Duration::from_millis(5),
            sop: None,
        }
    }

    #[test]
    fn upsert_replaces_in_place() {
        let mut rs = ResultSet::default();
        let (a, old) = rs.upsert(rec("h1", "k", Outcome::Fail, Severity::High));
        assert_eq!(old, None);
        let (b, old) = rs.upsert(rec("h1", "k", Outcome::Pass, Severity::High));
        assert_eq!((a, old), (b, Some(Outcome::Fail)));
        assert_eq!(rs.len(), 1);
        assert_eq!(rs.rows[0].version, 1);
    }

    #[test]
    fn failures_first_then_severity_then_name() {
        let mut rs = ResultSet::default();
        rs.upsert(rec("a", "p", Outcome::Pass, Severity::Critical));
        rs.upsert(rec("b", "f-low", Outcome::Fail, Severity::Low));
        rs.upsert(rec("c", "f-crit", Outcome::Fail, Severity::Critical));
        rs.upsert(rec("a", "err", Outcome::Error, Severity::Info));
        let v = rs.view(&ViewFilter::default(), SortOrder::FailuresFirst);
        let keys: Vec<&str> = v
            .iter()
            .map(|i| rs.rows[*i as usize].rec.key.as_str())
            .collect();
        assert_eq!(keys, ["f-crit", "f-low", "err", "p"]);
    }

    #[test]
    fn summary_names_the_differing_attribute() {
        let r = rec("a", "k", Outcome::Fail, Severity::High);
        assert_eq!(summarize(&r), "value: 0 ≠ 1");
    }
}
