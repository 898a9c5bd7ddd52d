//! Flapping: host×checks whose outcome keeps switching over the last K runs.

use super::Store;
use crate::model::{Outcome, Severity};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, FastSet as HashSet, outcome_from};
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
        struct Track {
            last: i64,
            switches: u32,
            seen: u32,
            fails: u32,
        }
        let mut runs = self.env_runs(env_id)?;
        runs.truncate(k_runs);
        runs.reverse(); // oldest first
        let hosts = self.env_hosts(env_id)?;
        let mut track: HashMap<(i64, i64), Track> = HashMap::default();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT host, chk, outcome FROM results WHERE run = ?1")?;
            for run in &runs {
                let mut rows = stmt.query([run.id])?;
                while let Some(r) = rows.next()? {
                    let host: i64 = r.get(0)?;
                    if !hosts.contains_key(&host) {
                        continue;
                    }
                    let chk: i64 = r.get(1)?;
                    let code: i64 = r.get(2)?;
                    let t = track.entry((host, chk)).or_insert(Track {
                        last: code,
                        switches: 0,
                        seen: 0,
                        fails: 0,
                    });
                    if t.last != code {
                        t.switches += 1;
                        t.last = code;
                    }
                    t.seen += 1;
                    if code == 1 {
                        t.fails += 1;
                    }
                }
            }
        }
        let mut hot: Vec<((i64, i64), Track)> = track
            .into_iter()
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
