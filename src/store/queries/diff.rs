//! Run-vs-run transitions: new failures, fixed, newly unreachable, value changed, outcome
//! changed, still failing.

use super::runs::RunSummary;
use super::{Store, Val};
use crate::model::{Outcome, Severity, Value};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, FastSet as HashSet, not_reached, outcome_from};
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of change a transition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// Now `fail`, before anything else (or absent).
    NewFailure,
    /// Before `fail`, now `pass`.
    Fixed,
    /// Now unreachable/timeout, before reached.
    NewlyUnreachable,
    /// Same outcome, but expected or actual differ.
    ValueChanged,
    /// Any other outcome change (error → pass, pass → not_applicable …).
    OutcomeChanged,
    /// `fail` in both runs with the same values.
    StillFailing,
}

impl TransitionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::NewFailure => "new failure",
            TransitionKind::Fixed => "fixed",
            TransitionKind::NewlyUnreachable => "newly unreachable",
            TransitionKind::ValueChanged => "value changed",
            TransitionKind::OutcomeChanged => "outcome changed",
            TransitionKind::StillFailing => "still failing",
        }
    }
}

/// One side of a transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffSide {
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
}

/// One host×check that differs between two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub kind: TransitionKind,
    pub host: String,
    pub key: String,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    /// `None`: not in the older run.
    pub before: Option<DiffSide>,
    pub after: DiffSide,
}

/// Transitions from run A (older) to run B (newer). Host×checks only in A are not reported
/// (B may be a narrow re-check).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub run_a: RunSummary,
    pub run_b: RunSummary,
    pub counts: BTreeMap<TransitionKind, u64>,
    /// Sorted by kind, host, check key.
    pub transitions: Vec<Transition>,
}

impl RunDiff {
    pub fn count(&self, kind: TransitionKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
}

/// A transition before names are attached: kind, host, check, before and after as
/// (outcome, value id).
type Found = (
    TransitionKind,
    i64,
    i64,
    Option<(Outcome, i64)>,
    (Outcome, i64),
);

impl Store {
    /// Transitions from run `a` (older) to run `b` (newer); ids or unique id prefixes.
    pub fn diff(&self, a: &str, b: &str) -> Result<RunDiff, StoreError> {
        let run_a = self.run(a)?;
        let run_b = self.run(b)?;
        self.diff_runs(run_a, run_b)
    }

    /// [`Store::diff`] on already-resolved runs.
    pub fn diff_runs(&self, run_a: RunSummary, run_b: RunSummary) -> Result<RunDiff, StoreError> {
        let transitions = self
            .transitions(run_a.db_id, run_b.db_id)
            .map_err(|e| self.err(e))?;
        let mut counts = BTreeMap::new();
        for t in &transitions {
            *counts.entry(t.kind).or_insert(0u64) += 1;
        }
        Ok(RunDiff {
            run_a,
            run_b,
            counts,
            transitions,
        })
    }

    fn run_rows(&self, run: i64) -> rusqlite::Result<Vec<(i64, i64, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT host, chk, outcome, val FROM results WHERE run = ?1 ORDER BY host, chk",
        )?;
        let rows = stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect()
    }

    fn transitions(&self, a: i64, b: i64) -> rusqlite::Result<Vec<Transition>> {
        let rows_a = self.run_rows(a)?;
        let rows_b = self.run_rows(b)?;
        let mut vals = HashMap::default();
        // (kind, host, chk, before, after) with before/after = (outcome, val)
        let mut found: Vec<Found> = Vec::new();
        let mut ia = 0;
        for &(host, chk, code_b, val_b) in &rows_b {
            while ia < rows_a.len() && (rows_a[ia].0, rows_a[ia].1) < (host, chk) {
                ia += 1;
            }
            let before = rows_a
                .get(ia)
                .filter(|r| (r.0, r.1) == (host, chk))
                .map(|r| (outcome_from(r.2), r.3));
            let ob = outcome_from(code_b);
            let kind = match before {
                None => (ob == Outcome::Fail).then_some(TransitionKind::NewFailure),
                Some((oa, val_a)) => {
                    if oa == ob {
                        let same = val_a == val_b || {
                            let (ea, aa, _) = self.val(&mut vals, val_a)?;
                            let (eb, ab, _) = self.val(&mut vals, val_b)?;
                            ea == eb && aa == ab
                        };
                        match (same, ob) {
                            (false, _) => Some(TransitionKind::ValueChanged),
                            (true, Outcome::Fail) => Some(TransitionKind::StillFailing),
                            (true, _) => None,
                        }
                    } else if ob == Outcome::Fail {
                        Some(TransitionKind::NewFailure)
                    } else if oa == Outcome::Fail && ob == Outcome::Pass {
                        Some(TransitionKind::Fixed)
                    } else if not_reached(ob) && !not_reached(oa) {
                        Some(TransitionKind::NewlyUnreachable)
                    } else {
                        Some(TransitionKind::OutcomeChanged)
                    }
                }
            };
            if let Some(kind) = kind {
                found.push((kind, host, chk, before, (ob, val_b)));
            }
        }
        let host_ids: HashSet<i64> = found.iter().map(|f| f.1).collect();
        let mut host_names: HashMap<i64, String> = HashMap::default();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT name FROM hosts WHERE id = ?1")?;
            for h in host_ids {
                host_names.insert(h, stmt.query_row([h], |r| r.get(0))?);
            }
        }
        let chk_ids: HashSet<i64> = found.iter().map(|f| f.2).collect();
        let checks = self.checks(&chk_ids)?;
        let mut out = Vec::with_capacity(found.len());
        for (kind, host, chk, before, after) in found {
            let (Some(host), Some(check)) = (host_names.get(&host), checks.get(&chk)) else {
                continue;
            };
            let side =
                |s: (Outcome, i64), vals: &mut HashMap<i64, Val>| -> rusqlite::Result<DiffSide> {
                    let (expected, actual, reason) = self.val(vals, s.1)?;
                    Ok(DiffSide {
                        outcome: s.0,
                        expected,
                        actual,
                        reason,
                    })
                };
            let before = match before {
                Some(b) => Some(side(b, &mut vals)?),
                None => None,
            };
            out.push(Transition {
                kind,
                host: host.clone(),
                key: check.key.clone(),
                check_id: check.check_id.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                before,
                after: side(after, &mut vals)?,
            });
        }
        out.sort_by(|a, b| (a.kind, &a.host, &a.key).cmp(&(b.kind, &b.host, &b.key)));
        Ok(out)
    }
}
