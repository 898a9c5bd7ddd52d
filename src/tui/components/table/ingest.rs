//! What comes into the results table: live results, stored results from the history (marked
//! with their age until re-probed) and acknowledgements (which dim the rows they cover, until
//! the value changes).

use super::ResultsTable;
use crate::model::{Acknowledgement, Outcome, ResultRecord};
use crate::tui::rows::RowId;
use std::time::Instant;

impl ResultsTable {
    /// Insert or replace a live result; returns the outcome it replaced.
    pub fn upsert(&mut self, rec: ResultRecord) -> Option<Outcome> {
        let (id, old) = self.upsert_row(rec);
        self.stored.remove(&id);
        old
    }

    /// Show a stored result `age_secs` old (loaded at `now`), unless this session already
    /// has a live result for it. `None`: left alone; else the outcome it replaced.
    pub fn upsert_stored(
        &mut self,
        rec: ResultRecord,
        age_secs: i64,
        now: Instant,
    ) -> Option<Option<Outcome>> {
        if let Some(id) = self
            .results
            .find(&rec.environment, &rec.host, rec.key.as_str())
            && !self.stored.contains_key(&id)
        {
            return None;
        }
        let (id, old) = self.upsert_row(rec);
        self.stored.insert(id, (age_secs, now));
        Some(old)
    }

    /// The age of a row's stored result at `now`; `None` for a live row.
    pub fn stored_age(&self, id: RowId, now: Instant) -> Option<i64> {
        self.stored
            .get(&id)
            .map(|(age, at)| age + now.saturating_duration_since(*at).as_secs() as i64)
    }

    /// Apply an acknowledgement (stored, or just made with `a`): the row it covers is dimmed
    /// from now on, and so is every later result with the same value.
    pub fn acknowledge(&mut self, ack: Acknowledgement) {
        let row = self
            .results
            .find(&ack.environment, &ack.host, &ack.key)
            .and_then(|id| self.results.record(id).map(|r| (id, r)));
        if let Some((id, r)) = row
            && ack.covers(&r, chrono::Utc::now())
        {
            self.acked.insert(id, ack.clone());
            self.results.set_acked(id, true);
            if !self.view_dirty {
                self.touched.push(id);
            }
        }
        self.acks.insert(ack);
    }

    /// The stored state of `env` was (re-)read: its active acknowledgements replace the ones
    /// this table knew for `env` (one removed or lapsed elsewhere stops dimming its row).
    pub fn replace_acks(&mut self, env: &str, acks: Vec<Acknowledgement>) {
        for (e, h, k) in self.acks.keys_of(env) {
            self.acks.remove(&e, &h, &k);
        }
        let rows = &self.results;
        let gone: Vec<RowId> = self
            .acked
            .keys()
            .copied()
            .filter(|id| rows.row(*id).is_some_and(|r| r.environment == env))
            .collect();
        for id in gone {
            self.acked.remove(&id);
            self.results.set_acked(id, false);
            if !self.view_dirty {
                self.touched.push(id);
            }
        }
        for a in acks {
            self.acknowledge(a);
        }
    }

    /// The acknowledgement covering a row, if any.
    pub fn acknowledgement(&self, id: RowId) -> Option<&Acknowledgement> {
        self.acked.get(&id)
    }

    /// How many rows an acknowledgement covers.
    pub fn acked_count(&self) -> usize {
        self.acked.len()
    }

    /// How many rows still show a stored result.
    pub fn stored_count(&self) -> usize {
        self.stored.len()
    }

    fn upsert_row(&mut self, rec: ResultRecord) -> (RowId, Option<Outcome>) {
        // A new value of an acknowledged check is another drift: the row is no longer covered.
        let ack = self.acks.covering(&rec).cloned();
        let (id, old) = self.results.upsert(rec);
        self.results.set_acked(id, ack.is_some());
        match ack {
            Some(a) => self.acked.insert(id, a),
            None => self.acked.remove(&id),
        };
        if !self.view_dirty {
            match old {
                None => self.fresh.push(id),
                Some(_) => self.touched.push(id),
            }
        }
        (id, old)
    }
}
