//! Flapping: host×checks whose outcome keeps switching over the last K runs.

use super::Store;
use crate::model::{Outcome, Severity};
use crate::store::StoreError;
use crate::store::codec::{FastSet as HashSet, outcome_from};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A host×check whose outcome keeps switching.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flapper {
    pub host: String,
    pub key: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    /// Outcome switches over the window.
    pub switches: u32,
    /// Runs of the window holding a result for it.
    pub runs_seen: u32,
    pub fails: u32,
    /// Outcomes oldest → newest.
    pub outcomes: Vec<Outcome>,
}

/// Outcome switches of one host×check over the window so far.
struct Track {
    last: i64,
    switches: u32,
    seen: u32,
    fails: u32,
}

impl Track {
    fn new(code: i64) -> Track {
        Track {
            last: code,
            switches: 0,
            seen: 1,
            fails: u32::from(code == 1),
        }
    }

    fn see(&mut self, code: i64) {
        if self.last != code {
            self.switches += 1;
            self.last = code;
        }
        self.seen += 1;
        self.fails += u32::from(code == 1);
    }
}

/// Tracks sorted by (host, chk), fed one run at a time in that same order: a cursor walks
/// the tracks alongside the run's rows, and keys new to the window are merged in after it.
#[derive(Default)]
struct FlapWalk {
    keys: Vec<(i64, i64)>,
    tracks: Vec<Track>,
    cursor: usize,
    new: Vec<((i64, i64), Track)>,
}

impl FlapWalk {
    /// One row of the current run; rows of a run must come in ascending key order.
    fn see(&mut self, key: (i64, i64), code: i64) {
        while self.cursor < self.keys.len() && self.keys[self.cursor] < key {
            self.cursor += 1;
        }
        match self.keys.get(self.cursor) {
            Some(k) if *k == key => self.tracks[self.cursor].see(code),
            _ => self.new.push((key, Track::new(code))),
        }
    }

    /// The run is over: merge the keys it brought into the sorted tracks.
    fn end_run(&mut self) {
        self.cursor = 0;
        if self.new.is_empty() {
            return;
        }
        let old_keys = std::mem::take(&mut self.keys);
        let old_tracks = std::mem::take(&mut self.tracks);
        let mut old = old_keys.into_iter().zip(old_tracks).peekable();
        let mut new = std::mem::take(&mut self.new).into_iter().peekable();
        loop {
            let next = match (old.peek(), new.peek()) {
                (Some(o), Some(n)) if n.0 < o.0 => new.next(),
                (Some(_), _) => old.next(),
                (None, _) => new.next(),
            };
            let Some((k, t)) = next else { break };
            self.keys.push(k);
            self.tracks.push(t);
        }
    }
}

impl Store {
    /// Host×checks of `env` with at least `min_switches` outcome switches over its last
    /// `k_runs` runs, most switches first (at most `limit`).
    pub fn flapping(
        &self,
        env: &str,
        k_runs: usize,
        min_switches: u32,
        limit: usize,
    ) -> Result<Vec<Flapper>, StoreError> {
        let env_id = self.env_id(env)?;
        self.flapping_inner(env_id, k_runs, min_switches.max(1), limit)
            .map_err(|e| self.err(e))
    }

    fn flapping_inner(
        &self,
        env_id: i64,
        k_runs: usize,
        min_switches: u32,
        limit: usize,
    ) -> rusqlite::Result<Vec<Flapper>> {
        let mut runs = self.env_runs(env_id)?;
        runs.truncate(k_runs);
        runs.reverse(); // oldest first
        let hosts = self.env_hosts(env_id)?;
        let mut walk = FlapWalk::default();
        {
            // The primary key (run, host, chk) hands each run's rows over in (host, chk)
            // order, so the walk merges them into the sorted tracks without hashing.
            let mut stmt = self.conn.prepare_cached(
                "SELECT host, chk, outcome FROM results WHERE run = ?1 ORDER BY host, chk",
            )?;
            let mut in_env = (i64::MIN, false);
            for run in &runs {
                let mut rows = stmt.query([run.id])?;
                while let Some(r) = rows.next()? {
                    let host: i64 = r.get(0)?;
                    if in_env.0 != host {
                        in_env = (host, hosts.contains_key(&host));
                    }
                    if in_env.1 {
                        walk.see((host, r.get(1)?), r.get(2)?);
                    }
                }
                walk.end_run();
            }
        }
        let mut hot: Vec<((i64, i64), Track)> = walk
            .keys
            .into_iter()
            .zip(walk.tracks)
            .filter(|(_, t)| t.switches >= min_switches)
            .collect();
        hot.sort_by(|a, b| {
            b.1.switches
                .cmp(&a.1.switches)
                .then(b.1.fails.cmp(&a.1.fails))
                .then(a.0.cmp(&b.0))
        });
        hot.truncate(limit);
        let chk_ids: HashSet<i64> = hot.iter().map(|h| h.0.1).collect();
        let checks = self.checks(&chk_ids)?;
        let mut lookup = self.conn.prepare_cached(
            "SELECT outcome FROM results WHERE run = ?1 AND host = ?2 AND chk = ?3",
        )?;
        let mut out = Vec::with_capacity(hot.len());
        for ((host, chk), t) in hot {
            let (Some(host_name), Some(check)) = (hosts.get(&host), checks.get(&chk)) else {
                continue;
            };
            let mut outcomes = Vec::with_capacity(t.seen as usize);
            for run in &runs {
                if let Some(code) = lookup
                    .query_row(params![run.id, host, chk], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    outcomes.push(outcome_from(code));
                }
            }
            out.push(Flapper {
                host: host_name.clone(),
                key: check.key.clone(),
                title: check.title.clone(),
                category: check.category.clone(),
                severity: check.severity,
                switches: t.switches,
                runs_seen: t.seen,
                fails: t.fails,
                outcomes,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Last outcome, switches, runs seen, fails.
    type Tally = (i64, u32, u32, u32);

    /// Runs oldest first, each a map (host, chk) → outcome code: keys come and go.
    fn runs_strategy() -> impl Strategy<Value = Vec<BTreeMap<(i64, i64), i64>>> {
        prop::collection::vec(
            prop::collection::btree_map((0i64..6, 0i64..8), 0i64..4, 0..30),
            0..8,
        )
    }

    proptest! {
        /// The merge walk counts exactly what a plain per-key tally over the runs counts,
        /// also when host×checks appear in a later run or skip runs.
        #[test]
        fn merge_walk_counts_like_a_plain_tally(runs in runs_strategy()) {
            let mut walk = FlapWalk::default();
            for run in &runs {
                for (k, code) in run {
                    walk.see(*k, *code);
                }
                walk.end_run();
            }
            let mut plain: BTreeMap<(i64, i64), Tally> = BTreeMap::new();
            for run in &runs {
                for (k, &code) in run {
                    let t = plain.entry(*k).or_insert((code, 0, 0, 0));
                    if t.0 != code {
                        t.0 = code;
                        t.1 += 1;
                    }
                    t.2 += 1;
                    t.3 += u32::from(code == 1);
                }
            }
            let got: Vec<((i64, i64), Tally)> = walk
                .keys
                .iter()
                .zip(&walk.tracks)
                .map(|(k, t)| (*k, (t.last, t.switches, t.seen, t.fails)))
                .collect();
            let want: Vec<_> = plain.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }
}
