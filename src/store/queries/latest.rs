//! Latest state: the newest result per host×check across runs (narrow re-check runs
//! included). Runs of the environment are walked newest first and the walk stops at the first
//! complete full-scope run, which by definition covers every current host×check.

use super::readiness::{ReadinessInput, ReadinessStatus, judge_readiness};
use super::{RunRow, Store};
use crate::model::{Acknowledgement, Outcome, OutcomeCounts, Severity, Value};
use crate::store::StoreError;
use crate::store::codec::{
    FastMap as HashMap, FastSet as HashSet, from_ms, not_reached, outcome_from,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The newest result of one host×check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestEntry {
    pub host: String,
    pub key: String,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<String>,
    pub sop: Option<String>,
    /// The run it came from and when that run started.
    pub run_id: String,
    pub checked_at: DateTime<Utc>,
    pub age_secs: i64,
    /// The active acknowledgement covering this failure (same actual value), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

/// Latest state of an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestState {
    pub environment: String,
    /// The newest complete full-scope run the state rests on (`None`: only partial runs).
    pub base_run: Option<String>,
    /// Sorted by host, then check key.
    pub entries: Vec<LatestEntry>,
}

impl LatestState {
    /// The readiness verdict of this state by the same rules as `driftscope status`
    /// ([`judge_readiness`]), with the age of the oldest result (seconds).
    pub fn readiness(&self, stale_after_secs: i64) -> (ReadinessStatus, String, Option<i64>) {
        let mut tally = LatestTally {
            based_on_full_run: self.base_run.is_some(),
            ..LatestTally::default()
        };
        let mut not_reached_hosts = HashSet::default();
        for e in &self.entries {
            tally.counts.add(e.outcome);
            tally.acknowledged += u64::from(e.acknowledged.is_some());
            if not_reached(e.outcome) {
                not_reached_hosts.insert(e.host.as_str());
            }
            tally.oldest_age_secs = tally.oldest_age_secs.max(Some(e.age_secs));
        }
        tally.hosts_not_reached = not_reached_hosts.len();
        tally.readiness(stale_after_secs)
    }
}

/// What the readiness verdict of a latest state is judged on (counted over every entry, so
/// it is known before the entries are built: [`LatestHead`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatestTally {
    pub counts: OutcomeCounts,
    /// Failures an active acknowledgement covers.
    pub acknowledged: u64,
    pub oldest_age_secs: Option<i64>,
    pub hosts_not_reached: usize,
    pub based_on_full_run: bool,
}

impl LatestTally {
    /// The verdict by the rules of `driftscope status` ([`judge_readiness`]), with the age
    /// of the oldest result.
    pub fn readiness(&self, stale_after_secs: i64) -> (ReadinessStatus, String, Option<i64>) {
        let (status, why) = judge_readiness(&ReadinessInput {
            counts: self.counts,
            acknowledged: self.acknowledged,
            age_secs: self.oldest_age_secs,
            stale_after_secs,
            based_on_full_run: self.based_on_full_run,
            hosts_not_reached: self.hosts_not_reached,
        });
        (status, why, self.oldest_age_secs)
    }
}

/// In which order [`Store::latest_state_in_parts`] delivers the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatestOrder {
    /// By host name, then check key (`latest_state`).
    HostCheck,
    /// Worst outcome first, then severity, then host and key: the TUI's default
    /// "failures first" table order, so its first screenful arrives first.
    WorstFirst,
}

/// What is known of a latest state before its entries: enough for the header's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestHead {
    /// The newest complete full-scope run the state rests on (`None`: only partial runs).
    pub base_run: Option<String>,
    /// How many entries the parts carry in all.
    pub total: usize,
    pub tally: LatestTally,
    /// The active acknowledgements that cover a failure of this state.
    pub acks: Vec<Acknowledgement>,
}

/// One delivery of [`Store::latest_state_in_parts`]: the first carries the head.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestPart {
    pub environment: String,
    pub head: Option<LatestHead>,
    pub entries: Vec<LatestEntry>,
    /// Entries delivered so far, this part's included.
    pub delivered: usize,
    /// No part follows.
    pub last: bool,
}

/// A newest result per host×check, before names are attached.
pub(super) struct LatestRow {
    pub(super) host: i64,
    pub(super) chk: i64,
    pub(super) outcome: Outcome,
    pub(super) val: i64,
    pub(super) run: usize,
}

/// What [`Store::latest_rows`] found: the rows, the runs walked (newest first; a row's `run`
/// indexes them) and whether the walk ended on a complete full-scope run.
pub(super) type LatestWalk = (Vec<LatestRow>, Vec<RunRow>, bool);

impl Store {
    /// The newest result per host×check of `env_id` (see the module doc), with the runs walked.
    pub(super) fn latest_rows(&self, env_id: i64) -> rusqlite::Result<LatestWalk> {
        let runs = self.env_runs(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let mut seen: HashSet<(i64, i64)> = HashSet::default();
        let mut out = Vec::new();
        let mut used = Vec::new();
        let mut based = false;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT host, chk, outcome, val FROM results WHERE run = ?1")?;
        for run in runs {
            let idx = used.len();
            let mut rows = stmt.query([run.id])?;
            while let Some(r) = rows.next()? {
                let host: i64 = r.get(0)?;
                if !hosts.contains_key(&host) {
                    continue;
                }
                let chk: i64 = r.get(1)?;
                if !seen.insert((host, chk)) {
                    continue;
                }
                out.push(LatestRow {
                    host,
                    chk,
                    outcome: outcome_from(r.get(2)?),
                    val: r.get(3)?,
                    run: idx,
                });
            }
            let stop = run.full && run.status == "complete";
            used.push(run);
            if stop {
                based = true;
                break;
            }
        }
        Ok((out, used, based))
    }

    /// Latest state per host×check in `env`, with each result's age.
    pub fn latest_state(&self, env: &str) -> Result<LatestState, StoreError> {
        let mut state = LatestState {
            environment: env.to_string(),
            base_run: None,
            entries: Vec::new(),
        };
        self.latest_state_in_parts(
            env,
            LatestOrder::HostCheck,
            usize::MAX,
            usize::MAX,
            &mut |p| {
                if let Some(head) = p.head {
                    state.base_run = head.base_run;
                    state.entries.reserve(head.total);
                }
                state.entries.extend(p.entries);
                true
            },
        )?;
        Ok(state)
    }

    /// The latest state of `env` delivered in parts, in `order`: the first part carries the
    /// head (verdict tally, acknowledgements) and the first `first` entries, each further
    /// part `chunk` entries. The walk and the sort are over integer ids; names and values are
    /// only attached to the entries of the part being built, so the first part costs little
    /// more than the walk. `emit` returning `false` stops the delivery (a newer request).
    pub fn latest_state_in_parts(
        &self,
        env: &str,
        order: LatestOrder,
        first: usize,
        chunk: usize,
        emit: &mut dyn FnMut(LatestPart) -> bool,
    ) -> Result<(), StoreError> {
        let env_id = self.env_id(env)?;
        self.latest_parts_inner(env, env_id, order, first.max(1), chunk.max(1), emit)
            .map_err(|e| self.err(e))
    }

    fn latest_parts_inner(
        &self,
        env: &str,
        env_id: i64,
        order: LatestOrder,
        first: usize,
        chunk: usize,
        emit: &mut dyn FnMut(LatestPart) -> bool,
    ) -> rusqlite::Result<()> {
        let (mut rows, runs, based) = self.latest_rows(env_id)?;
        let hosts = self.env_hosts(env_id)?;
        let chk_ids: HashSet<i64> = rows.iter().map(|r| r.chk).collect();
        let checks = self.checks(&chk_ids)?;
        rows.retain(|r| {
            hosts.contains_key(&r.host) && checks.contains_key(&r.chk) && r.run < runs.len()
        });
        // Sort through one integer key per row, computed once (names ranked once; string
        // compares or map lookups inside the comparison would run ~16 times a row). Ranks
        // past 2^20 hosts / 2^24 checks would only blur the order, never lose a row.
        let rank = |names: Vec<(i64, &String)>| -> HashMap<i64, u64> {
            let mut names = names;
            names.sort_by(|a, b| a.1.cmp(b.1));
            names
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (*id, i as u64))
                .collect()
        };
        let host_rank = rank(hosts.iter().map(|(id, n)| (*id, n)).collect());
        let chk_rank = rank(checks.iter().map(|(id, c)| (*id, &c.key)).collect());
        let position = |i: Option<usize>| i.unwrap_or(usize::MAX) as u64 & 0xff;
        let sort_key = |r: &LatestRow| -> u64 {
            let names = (host_rank.get(&r.host).copied().unwrap_or(u64::MAX) & 0xf_ffff) << 24
                | (chk_rank.get(&r.chk).copied().unwrap_or(u64::MAX) & 0xff_ffff);
            match order {
                LatestOrder::HostCheck => names,
                LatestOrder::WorstFirst => {
                    let severity = checks.get(&r.chk).map_or(Severity::Info, |c| c.severity);
                    position(Outcome::ALL.iter().position(|o| *o == r.outcome)) << 56
                        | position(Severity::ALL.iter().position(|s| *s == severity)) << 48
                        | names
                }
            }
        };
        rows.sort_by_cached_key(sort_key);
        let now = Utc::now();
        let age = |r: &LatestRow| (now - from_ms(runs[r.run].started_at)).num_seconds();
        // The head: counted over every row; acknowledgements checked against the values
        // of the rows they name (few), the other values are read part by part.
        let mut vals = HashMap::default();
        let mut acks = self.active_acks_by_id(env_id)?;
        let mut covering = HashMap::default();
        let mut tally = LatestTally {
            based_on_full_run: based,
            ..LatestTally::default()
        };
        let mut not_reached_hosts = HashSet::default();
        for r in &rows {
            tally.counts.add(r.outcome);
            if not_reached(r.outcome) {
                not_reached_hosts.insert(r.host);
            }
            tally.oldest_age_secs = tally.oldest_age_secs.max(Some(age(r)));
            if let Some(a) = acks.remove(&(r.host, r.chk))
                && r.outcome == Outcome::Fail
                && a.actual == self.val(&mut vals, r.val)?.1
            {
                covering.insert((r.host, r.chk), a);
            }
        }
        tally.acknowledged = covering.len() as u64;
        tally.hosts_not_reached = not_reached_hosts.len();
        let mut head = Some(LatestHead {
            base_run: if based {
                runs.last().map(|r| r.key.clone())
            } else {
                None
            },
            total: rows.len(),
            tally,
            acks: covering.values().cloned().collect(),
        });
        let total = rows.len();
        let mut delivered: usize = 0;
        loop {
            let take = if delivered == 0 { first } else { chunk };
            let end = delivered.saturating_add(take).min(total);
            let mut entries = Vec::with_capacity(end - delivered);
            for row in &rows[delivered..end] {
                let (Some(host), Some(check)) = (hosts.get(&row.host), checks.get(&row.chk)) else {
                    continue;
                };
                let run = &runs[row.run];
                let (expected, actual, reason) = self.val(&mut vals, row.val)?;
                let at = from_ms(run.started_at);
                entries.push(LatestEntry {
                    host: host.clone(),
                    key: check.key.clone(),
                    check_id: check.check_id.clone(),
                    title: check.title.clone(),
                    category: check.category.clone(),
                    severity: check.severity,
                    outcome: row.outcome,
                    expected,
                    actual,
                    reason,
                    sop: check.sop.clone(),
                    run_id: run.key.clone(),
                    checked_at: at,
                    age_secs: (now - at).num_seconds(),
                    acknowledged: covering.get(&(row.host, row.chk)).cloned(),
                });
            }
            delivered = end;
            let last = delivered >= total;
            let part = LatestPart {
                environment: env.to_string(),
                head: head.take(),
                entries,
                delivered,
                last,
            };
            if !emit(part) || last {
                return Ok(());
            }
        }
    }
}
