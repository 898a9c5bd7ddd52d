//! The composite answers of the history the TUI's screens show, each built on the query
//! thread from several store questions: the Drift screen's report (readiness, failing
//! streaks, new since the previous run, flapping) and `:compare ENV` (the latest state of two
//! environments side by side, per check key).

use crate::model::{Acknowledgement, Outcome};
use crate::store::{
    AckState, FailingStreak, Flapper, LatestState, Readiness, RunSummary, Store, StoreError,
    Transition, TransitionKind,
};
use crate::tui::components::Tally;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Window and threshold of the Drift screen's flapping list.
pub const FLAP_RUNS: usize = 10;
pub const FLAP_SWITCHES: u32 = 2;
const FLAP_MAX: usize = 50;

/// What the Drift screen shows of an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    /// The verdict by the rules of `driftscope status`.
    pub readiness: Readiness,
    /// Failing host×checks with first-failed run and streak, longest first (the ones an
    /// active acknowledgement covers are in `acknowledged` instead).
    pub failing: Vec<FailingStreak>,
    /// Failures an active acknowledgement covers (known and owned: not drift until it lapses
    /// or expires), with that acknowledgement; longest streak first.
    pub acknowledged: Vec<(FailingStreak, Acknowledgement)>,
    /// The newest run and the one before it, when there are two.
    pub runs: Option<(RunSummary, RunSummary)>,
    /// New failures and newly unreachable between those two runs.
    pub new: Vec<Transition>,
    /// Host×checks switching outcome over the last [`FLAP_RUNS`] runs, most switches first.
    pub flapping: Vec<Flapper>,
    /// When it was read (ages are relative to that).
    pub asked: DateTime<Utc>,
}

/// One check key of `:compare`: results and distinct values on each side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompareRow {
    pub key: String,
    pub left: Tally,
    pub right: Tally,
    /// Distinct actual values (in words) on each side.
    pub left_values: BTreeSet<String>,
    pub right_values: BTreeSet<String>,
}

impl CompareRow {
    /// Whether the two sides differ (counts by outcome or values).
    pub fn differs(&self) -> bool {
        (self.left.pass, self.left.fail) != (self.right.pass, self.right.fail)
            || self.left_values != self.right_values
    }
}

/// The latest state of two environments, per check key: differing keys first.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareReport {
    pub left: String,
    pub right: String,
    pub rows: Vec<CompareRow>,
}

pub(super) fn drift_report(store: &Store, env: &str) -> Result<Box<DriftReport>, StoreError> {
    // The flapping window is the largest read (its last runs, every row): it runs on its own
    // read connection beside the rest, so the report takes the longer of the two, not both.
    let path = store.path().to_path_buf();
    std::thread::scope(|scope| {
        let flapping = scope.spawn(move || {
            Store::open_readonly(&path)
                .and_then(|own| own.flapping(env, FLAP_RUNS, FLAP_SWITCHES, FLAP_MAX))
        });
        let mut report = drift_report_but_flapping(store, env)?;
        report.flapping = match flapping.join() {
            Ok(Ok(flapping)) => flapping,
            // no second connection (or it stopped): ask on this one
            _ => store.flapping(env, FLAP_RUNS, FLAP_SWITCHES, FLAP_MAX)?,
        };
        Ok(report)
    })
}

fn drift_report_but_flapping(store: &Store, env: &str) -> Result<Box<DriftReport>, StoreError> {
    let (readiness, streaks) = store.readiness_and_streaks(env, super::app::STALE_AFTER)?;
    // An active acknowledgement has seen no other value since it was made (else it lapsed).
    let mut acks: BTreeMap<(String, String), Acknowledgement> = store
        .acknowledgements(Some(env), false)?
        .into_iter()
        .filter(|a| a.state == AckState::Active)
        .map(|a| ((a.ack.host.clone(), a.ack.key.clone()), a.ack))
        .collect();
    let mut failing = Vec::new();
    let mut acknowledged = Vec::new();
    for f in streaks {
        match acks.remove(&(f.host.clone(), f.key.clone())) {
            Some(a) => acknowledged.push((f, a)),
            None => failing.push(f),
        }
    }
    let runs = match store.latest_run(Some(env))? {
        Some(newest) => store.previous_run(&newest)?.map(|prev| (prev, newest)),
        None => None,
    };
    let new = match &runs {
        Some((prev, newest)) => store
            .diff_runs(prev.clone(), newest.clone())?
            .transitions
            .into_iter()
            .filter(|t| {
                matches!(
                    t.kind,
                    TransitionKind::NewFailure | TransitionKind::NewlyUnreachable
                )
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Box::new(DriftReport {
        readiness,
        failing,
        acknowledged,
        runs,
        new,
        flapping: Vec::new(),
        asked: Utc::now(),
    }))
}

pub(super) fn compare_report(
    store: &Store,
    env: &str,
    other: &str,
) -> Result<Box<CompareReport>, StoreError> {
    let left = store.latest_state(env)?;
    let right = store.latest_state(other)?;
    let mut rows: BTreeMap<String, CompareRow> = BTreeMap::new();
    let mut add = |state: &LatestState, right_side: bool| {
        for e in &state.entries {
            let row = rows.entry(e.key.clone()).or_insert_with(|| CompareRow {
                key: e.key.clone(),
                ..Default::default()
            });
            let (tally, values) = if right_side {
                (&mut row.right, &mut row.right_values)
            } else {
                (&mut row.left, &mut row.left_values)
            };
            tally.add(e.outcome);
            if e.outcome != Outcome::Unreachable && e.outcome != Outcome::Timeout {
                values.insert(crate::tui::components::timeline::value_words(&e.actual));
            }
        }
    };
    add(&left, false);
    add(&right, true);
    let mut rows: Vec<CompareRow> = rows.into_values().collect();
    rows.sort_by_key(|r| !r.differs());
    Ok(Box::new(CompareReport {
        left: env.to_string(),
        right: other.to_string(),
        rows,
    }))
}
