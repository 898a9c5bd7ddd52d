//! The results the TUI holds: one row per environment × host × execution key, replaced in
//! place when a newer result for the same key arrives, plus the filtered and sorted view the
//! table shows.
//!
//! Compact, so a million results fit: a row is a few integers ([`CompactRow`], 40 bytes)
//! over interners of environments, hosts, keys, categories, check definitions, and expected
//! and actual values kept as compact JSON text ([`intern`]); values are parsed and text is
//! built only for the rows on screen ([`RowView`]). The filter
//! matches each distinct host and check once ([`filter`]); the name orders are kept sorted as
//! rows arrive ([`order`]), so rebuilding the view walks integers.
//!
//! - [`intern`]: dense ids for strings, check definitions and values.
//! - [`filter`]: the fuzzy filter by parts, its tiers, highlighting.
//! - [`order`]: sort orders and the incrementally sorted name orders.
//! - [`sorted_view`]: row ids in order, chunked, so streamed rows are inserted in place.
//! - [`row`]: one row, compact ([`CompactRow`]) and borrowed ([`RowView`]).
//! - [`view`]: what a filter keeps, the sort comparisons, the view rebuilt or merged.
//! - [`summary`]: cell text (`actual ≠ expected`, attribute verdicts).
//! - [`probes`]: the probe target of each planned host × key, compactly.

pub mod filter;
pub mod intern;
pub mod order;
pub mod probes;
mod row;
pub mod sorted_view;
pub mod summary;
mod view;

pub use filter::MatchTier;
pub use order::SortOrder;
pub use row::{CompactRow, RowView};
pub use sorted_view::SortedView;
pub use summary::{attribute_verdicts, short_value, summarize};
pub use view::{ViewFilter, is_failure};

use crate::model::{Outcome, ResultRecord, Value};
use crate::store::FastMap;
use filter::{PartMatch, Pattern};
use fuzzy_matcher::skim::SkimMatcherV2;
use intern::{CheckInfo, Interner, Strings, check_hash};
use order::{NameOrders, Ranks};
use row::NO_REASON;
use std::time::Duration;

/// Stable id of a row.
pub type RowId = u32;

/// All rows, their interners and orders.
pub struct ResultSet {
    rows: Vec<CompactRow>,
    envs: Strings,
    hosts: Strings,
    keys: Strings,
    categories: Strings,
    checks: Interner<CheckInfo>,
    /// Expected and actual values as compact JSON text (few distinct ones per check).
    values: Strings,
    reasons: Strings,
    /// (env, host) → key → row: one small map per host (a million-entry map of triples
    /// costs three times as much).
    by_name: FastMap<(u32, u32), FastMap<u32, RowId>>,
    /// Reused to render a result's values as JSON text without allocating.
    scratch: String,
    ranks: Ranks,
    orders: NameOrders,
    matcher: SkimMatcherV2,
    pattern: Pattern,
    /// The current pattern matched against each host and each check definition (`None`:
    /// not yet).
    host_match: Vec<Option<PartMatch>>,
    check_match: Vec<Option<PartMatch>>,
}

impl Default for ResultSet {
    fn default() -> Self {
        ResultSet {
            rows: Vec::new(),
            envs: Strings::default(),
            hosts: Strings::default(),
            keys: Strings::default(),
            categories: Strings::default(),
            checks: Interner::default(),
            values: Strings::default(),
            reasons: Strings::default(),
            by_name: FastMap::default(),
            scratch: String::new(),
            ranks: Ranks::default(),
            orders: NameOrders::default(),
            matcher: SkimMatcherV2::default().ignore_case(),
            pattern: Pattern::default(),
            host_match: Vec::new(),
            check_match: Vec::new(),
        }
    }
}

impl ResultSet {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A row's fields.
    pub fn row(&self, id: RowId) -> Option<RowView<'_>> {
        let r = self.rows.get(id as usize)?;
        let c = self.checks.get(r.check)?;
        Some(RowView {
            environment: self.envs.str(r.env),
            host: self.hosts.str(r.host),
            key: self.keys.str(r.key),
            check_id: &c.check_id,
            title: &c.title,
            category: self.categories.str(c.category),
            severity: c.severity,
            outcome: r.outcome,
            duration: Duration::from_millis(u64::from(r.duration_ms)),
            expected: self.values.str(r.expected),
            actual: self.values.str(r.actual),
            reason: (r.reason != NO_REASON).then(|| self.reasons.str(r.reason)),
            sop: c.sop.as_deref(),
            version: r.version,
        })
    }

    /// A row as a full record.
    pub fn record(&self, id: RowId) -> Option<ResultRecord> {
        self.row(id).map(|r| r.record())
    }

    /// A row's outcome (cheap: no lookups).
    pub fn outcome(&self, id: RowId) -> Option<Outcome> {
        self.rows.get(id as usize).map(|r| r.outcome)
    }

    /// The row of an environment × host × key, if any.
    pub fn find(&self, env: &str, host: &str, key: &str) -> Option<RowId> {
        let host = (self.envs.lookup(env)?, self.hosts.lookup(host)?);
        self.by_name
            .get(&host)?
            .get(&self.keys.lookup(key)?)
            .copied()
    }

    /// Mark whether an acknowledgement covers a row (the table sorts acknowledged failures
    /// after the open ones); `true` when that changed.
    pub fn set_acked(&mut self, id: RowId, acked: bool) -> bool {
        match self.rows.get_mut(id as usize) {
            Some(r) if r.acked != acked => {
                r.acked = acked;
                true
            }
            _ => false,
        }
    }

    /// How many distinct values and check definitions are held (for benchmarks).
    pub fn interned(&self) -> (usize, usize) {
        (self.values.len(), self.checks.len())
    }

    /// Intern a value as compact JSON text (rendered into a reused buffer).
    fn intern_value(&mut self, v: &Value) -> u32 {
        use std::fmt::Write;
        self.scratch.clear();
        let _ = write!(self.scratch, "{v}");
        self.values.intern(&self.scratch)
    }

    /// Insert or replace; returns the row id and the outcome it replaced, if any.
    pub fn upsert(&mut self, rec: ResultRecord) -> (RowId, Option<Outcome>) {
        let env = self.envs.intern(&rec.environment);
        let host = self.hosts.intern(&rec.host);
        let key = self.keys.intern(rec.key.as_str());
        let category = self.categories.intern(&rec.category);
        let sop = rec.sop.as_deref();
        let ch = check_hash(key, &rec.check_id, &rec.title, category, rec.severity, sop);
        let check = self.checks.intern_with(
            ch,
            |c| {
                c.key == key
                    && *c.check_id == *rec.check_id
                    && *c.title == *rec.title
                    && c.category == category
                    && c.severity == rec.severity
                    && c.sop.as_deref() == sop
            },
            || CheckInfo {
                key,
                check_id: rec.check_id.as_str().into(),
                title: rec.title.as_str().into(),
                category,
                severity: rec.severity,
                sop: sop.map(Into::into),
            },
        );
        let expected = self.intern_value(&rec.expected);
        let actual = self.intern_value(&rec.actual);
        let reason = match rec.reason.as_deref() {
            Some(r) => self.reasons.intern(r),
            None => NO_REASON,
        };
        let tier = self.tier_of(host, check);
        let mut row = CompactRow {
            env,
            host,
            key,
            check,
            expected,
            actual,
            reason,
            duration_ms: rec.duration.as_millis().min(u128::from(u32::MAX)) as u32,
            outcome: rec.outcome,
            hit: tier.is_some(),
            tier: tier.unwrap_or(MatchTier::SCATTERED),
            version: 0,
            acked: false,
        };
        let keys = self.by_name.entry((env, host)).or_default();
        match keys.get(&key) {
            Some(&id) => {
                let slot = &mut self.rows[id as usize];
                let old = slot.outcome;
                row.version = slot.version.wrapping_add(1);
                *slot = row;
                (id, Some(old))
            }
            None => {
                let id = self.rows.len() as RowId;
                keys.insert(key, id);
                self.rows.push(row);
                self.orders.add(id);
                (id, None)
            }
        }
    }

    /// How the current pattern matches a host × check definition (`None`: no match).
    fn tier_of(&mut self, host: u32, check: u32) -> Option<u8> {
        if self.pattern.is_empty() {
            return Some(MatchTier::WORD);
        }
        let hm = match self.host_match.get(host as usize).copied().flatten() {
            Some(m) => m,
            None => {
                let m = self.pattern.host(self.hosts.str(host));
                put(&mut self.host_match, host, m);
                m
            }
        };
        let cm = match self.check_match.get(check as usize).copied().flatten() {
            Some(m) => m,
            None => {
                let rest = self.check_rest(check);
                let m = self.pattern.rest(&rest);
                put(&mut self.check_match, check, m);
                m
            }
        };
        self.pattern.combine(&hm, &cm)
    }

    /// `" key title category"`: what follows the host in a row's filter text.
    fn check_rest(&self, check: u32) -> String {
        match self.checks.get(check) {
            Some(c) => format!(
                " {} {} {}",
                self.keys.str(c.key),
                c.title,
                self.categories.str(c.category)
            ),
            None => String::new(),
        }
    }

    /// Change the filter pattern: every distinct host and check is matched once, then each
    /// row's match is two table lookups.
    pub fn set_pattern(&mut self, pattern: &str) {
        if pattern == self.pattern.raw {
            return;
        }
        self.pattern = Pattern::new(pattern);
        self.host_match.clear();
        self.check_match.clear();
        if !self.pattern.is_empty() {
            self.host_match = self
                .hosts
                .iter()
                .map(|(_, h)| Some(self.pattern.host(h)))
                .collect();
            self.check_match = (0..self.checks.len() as u32)
                .map(|c| Some(self.pattern.rest(&self.check_rest(c))))
                .collect();
        }
        let (pattern, hosts, checks) = (&self.pattern, &self.host_match, &self.check_match);
        for r in &mut self.rows {
            let t = if pattern.is_empty() {
                Some(MatchTier::WORD)
            } else {
                match (
                    hosts.get(r.host as usize).copied().flatten(),
                    checks.get(r.check as usize).copied().flatten(),
                ) {
                    (Some(h), Some(c)) => pattern.combine(&h, &c),
                    _ => None,
                }
            };
            r.hit = t.is_some();
            r.tier = t.unwrap_or(MatchTier::SCATTERED);
        }
    }

    /// Whether the current filter matches a row, and its tier.
    pub fn hit(&self, id: RowId) -> Option<u8> {
        self.rows
            .get(id as usize)
            .and_then(|r| r.hit.then_some(r.tier))
    }

    /// Char indices of the current pattern's match in a row's filter text (highlighting).
    pub fn match_indices(&self, id: RowId) -> Vec<usize> {
        if self.pattern.is_empty() {
            return Vec::new();
        }
        let Some(r) = self.row(id) else {
            return Vec::new();
        };
        let hay = filter::haystack(r.host, r.key, r.title, r.category);
        self.pattern.indices(&self.matcher, &hay)
    }
}

fn put(v: &mut Vec<Option<PartMatch>>, id: u32, m: PartMatch) {
    let i = id as usize;
    if v.len() <= i {
        v.resize(i + 1, None);
    }
    v[i] = Some(m);
}

#[cfg(test)]
mod tests;
