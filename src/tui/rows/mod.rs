//! The results the TUI holds: one row per environment × host × execution key, replaced in
//! place when a newer result for the same key arrives, plus the filtered and sorted view the
//! table shows.
//!
//! Compact, so a million results fit: a row is a few integers ([`CompactRow`], 32 bytes)
//! over interners of environments, hosts, keys, categories, check definitions and observed
//! values ([`intern`]); text is built only for the rows on screen ([`RowView`]). The filter
//! matches each distinct host and check once ([`filter`]); the name orders are kept sorted as
//! rows arrive ([`order`]), so rebuilding the view walks integers.
//!
//! - [`intern`]: dense ids for strings, check definitions and values.
//! - [`filter`]: the fuzzy filter by parts, its tiers, highlighting.
//! - [`order`]: sort orders and the incrementally sorted name orders.
//! - [`summary`]: cell text (`actual ≠ expected`, attribute verdicts).
//! - [`probes`]: the probe target of each planned host × key, compactly.

pub mod filter;
pub mod intern;
pub mod order;
pub mod probes;
pub mod summary;

pub use filter::MatchTier;
pub use order::SortOrder;
pub use summary::{attribute_verdicts, short_value, summarize};

use crate::model::{ExecKey, Outcome, ResultRecord, Severity};
use crate::store::FastMap;
use filter::{PartMatch, Pattern};
use fuzzy_matcher::skim::SkimMatcherV2;
use intern::{CheckInfo, Interner, Observed, Strings, check_hash, observed_hash};
use order::NameOrders;
use std::cmp::Ordering;
use std::time::Duration;

/// Stable id of a row.
pub type RowId = u32;

/// One result row: ids into the [`ResultSet`]'s interners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactRow {
    env: u32,
    host: u32,
    key: u32,
    check: u32,
    observed: u32,
    duration_ms: u32,
    outcome: Outcome,
    /// Whether the current filter matches, and how well ([`MatchTier`]).
    hit: bool,
    tier: u8,
    /// Bumped each time a newer result replaced this row (re-checks).
    version: u16,
}

/// A row's fields, borrowed (nothing is built until a cell needs it).
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub environment: &'a str,
    pub host: &'a str,
    pub key: &'a str,
    pub check_id: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub severity: Severity,
    pub outcome: Outcome,
    pub duration: Duration,
    pub observed: &'a Observed,
    pub sop: Option<&'a str>,
    pub version: u16,
}

impl RowView<'_> {
    /// The row as a full record (for the detail pane, re-checks, acknowledgements).
    pub fn record(&self) -> ResultRecord {
        ResultRecord {
            environment: self.environment.to_string(),
            host: self.host.to_string(),
            key: ExecKey(self.key.to_string()),
            check_id: self.check_id.to_string(),
            title: self.title.to_string(),
            category: self.category.to_string(),
            severity: self.severity,
            outcome: self.outcome,
            expected: self.observed.expected.clone(),
            actual: self.observed.actual.clone(),
            reason: self.observed.reason.as_deref().map(str::to_string),
            duration: self.duration,
            sop: self.sop.map(str::to_string),
        }
    }

    /// `attr: actual ≠ expected` (see [`summarize`]).
    pub fn summary(&self) -> String {
        summary::summarize_parts(
            self.outcome,
            &self.observed.expected,
            &self.observed.actual,
            self.observed.reason.as_deref(),
        )
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

/// A [`ViewFilter`] with its names resolved to ids once (`Some(None)`: a name nothing has).
struct ResolvedFilter {
    env: Option<Option<u32>>,
    host: Option<Option<u32>>,
    category: Option<Option<u32>>,
    failures_only: bool,
    pattern: bool,
}

/// Whether an outcome counts as a failure for `f` (everything but pass and not-applicable).
pub fn is_failure(o: Outcome) -> bool {
    !matches!(o, Outcome::Pass | Outcome::NotApplicable)
}

fn outcome_rank(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)
}

fn severity_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// All rows, their interners and orders.
pub struct ResultSet {
    rows: Vec<CompactRow>,
    envs: Strings,
    hosts: Strings,
    keys: Strings,
    categories: Strings,
    checks: Interner<CheckInfo>,
    observed: Interner<Observed>,
    /// (env, host, key) → row.
    by_name: FastMap<(u32, u32, u32), RowId>,
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
            observed: Interner::default(),
            by_name: FastMap::default(),
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
        let observed = self.observed.get(r.observed)?;
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
            observed,
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
        let k = (
            self.envs.lookup(env)?,
            self.hosts.lookup(host)?,
            self.keys.lookup(key)?,
        );
        self.by_name.get(&k).copied()
    }

    /// How many distinct values and check definitions are held (for benchmarks).
    pub fn interned(&self) -> (usize, usize) {
        (self.observed.len(), self.checks.len())
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
        let reason = rec.reason.as_deref();
        let oh = observed_hash(&rec.expected, &rec.actual, reason);
        let found = self.observed.find(oh, |o| {
            o.expected == rec.expected && o.actual == rec.actual && o.reason.as_deref() == reason
        });
        let observed = match found {
            Some(id) => id,
            None => {
                let item = Observed {
                    reason: reason.map(Into::into),
                    expected: rec.expected,
                    actual: rec.actual,
                };
                self.observed.intern_with(oh, |_| false, || item)
            }
        };
        let tier = self.tier_of(host, check);
        let mut row = CompactRow {
            env,
            host,
            key,
            check,
            observed,
            duration_ms: rec.duration.as_millis().min(u128::from(u32::MAX)) as u32,
            outcome: rec.outcome,
            hit: tier.is_some(),
            tier: tier.unwrap_or(MatchTier::SCATTERED),
            version: 0,
        };
        match self.by_name.get(&(env, host, key)) {
            Some(&id) => {
                let slot = &mut self.rows[id as usize];
                let old = slot.outcome;
                row.version = slot.version.wrapping_add(1);
                *slot = row;
                (id, Some(old))
            }
            None => {
                let id = self.rows.len() as RowId;
                self.rows.push(row);
                self.by_name.insert((env, host, key), id);
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

    fn resolve(&self, f: &ViewFilter) -> ResolvedFilter {
        ResolvedFilter {
            env: f.environment.as_deref().map(|e| self.envs.lookup(e)),
            host: f.host.as_deref().map(|h| self.hosts.lookup(h)),
            category: f.category.as_deref().map(|c| self.categories.lookup(c)),
            failures_only: f.failures_only,
            pattern: !f.pattern.is_empty(),
        }
    }

    fn keeps_resolved(&self, r: &CompactRow, f: &ResolvedFilter) -> bool {
        f.env.is_none_or(|e| e == Some(r.env))
            && f.host.is_none_or(|h| h == Some(r.host))
            && f.category
                .is_none_or(|c| c.is_some() && self.checks.get(r.check).map(|x| x.category) == c)
            && (!f.failures_only || is_failure(r.outcome))
            && (!f.pattern || r.hit)
    }

    /// Whether the view keeps a row.
    pub fn keeps(&self, id: RowId, f: &ViewFilter) -> bool {
        self.rows
            .get(id as usize)
            .is_some_and(|r| self.keeps_resolved(r, &self.resolve(f)))
    }

    fn severity(&self, r: &CompactRow) -> Severity {
        self.checks
            .get(r.check)
            .map(|c| c.severity)
            .unwrap_or_default()
    }

    fn cmp_name(&self, a: RowId, b: RowId) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        self.envs
            .str(ra.env)
            .cmp(self.envs.str(rb.env))
            .then_with(|| self.hosts.str(ra.host).cmp(self.hosts.str(rb.host)))
            .then_with(|| self.keys.str(ra.key).cmp(self.keys.str(rb.key)))
    }

    fn cmp_check(&self, a: RowId, b: RowId) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        self.keys
            .str(ra.key)
            .cmp(self.keys.str(rb.key))
            .then_with(|| self.hosts.str(ra.host).cmp(self.hosts.str(rb.host)))
            .then_with(|| self.envs.str(ra.env).cmp(self.envs.str(rb.env)))
    }

    /// The table order: the view is sorted by this (ties broken by environment, host, key).
    pub fn cmp_rows(&self, a: RowId, b: RowId, order: SortOrder) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        if !self.pattern.is_empty() {
            let by_tier = ra.tier.cmp(&rb.tier);
            if by_tier != Ordering::Equal {
                return by_tier;
            }
        }
        let rank = |r: &CompactRow| (outcome_rank(r.outcome), severity_rank(self.severity(r)));
        let name = || self.cmp_name(a, b);
        match order {
            SortOrder::Host => name(),
            SortOrder::FailuresFirst => rank(ra).cmp(&rank(rb)).then_with(name),
            SortOrder::Severity => {
                let (oa, sa) = rank(ra);
                let (ob, sb) = rank(rb);
                (sa, oa).cmp(&(sb, ob)).then_with(name)
            }
            SortOrder::Check => self.cmp_check(a, b).then_with(name),
            SortOrder::Duration => rb.duration_ms.cmp(&ra.duration_ms).then_with(name),
        }
    }

    /// Merge `add` (rows not in `view`) into the sorted `view`: O(n) copying plus
    /// O(k log n) comparisons, so a burst of streamed results does not re-sort everything.
    pub fn merge_into(&self, view: &[RowId], mut add: Vec<RowId>, order: SortOrder) -> Vec<RowId> {
        add.sort_by(|a, b| self.cmp_rows(*a, *b, order));
        order::merge_sorted(view, &add, &|a, b| self.cmp_rows(a, b, order))
    }

    /// Merge rows added since the last call into the name orders (cheap when few arrived;
    /// called once per frame while results stream, so a rebuild never sorts many).
    pub fn fold_orders(&mut self) {
        if !self.orders.has_pending() {
            return;
        }
        let mut orders = std::mem::take(&mut self.orders);
        orders.fold(|a, b| self.cmp_name(a, b), |a, b| self.cmp_check(a, b));
        self.orders = orders;
    }

    /// The filtered, sorted row ids, rebuilt in O(n) over the name orders. While a pattern
    /// filters, better match tiers come first (a stable partition, so each tier keeps the
    /// order).
    pub fn view(&mut self, f: &ViewFilter, order: SortOrder) -> Vec<RowId> {
        self.fold_orders();
        let ordered = self.view_in_order(f, order);
        if self.pattern.is_empty() || f.pattern.is_empty() {
            return ordered;
        }
        let mut tiers: [Vec<RowId>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for id in ordered {
            let t = usize::from(self.rows[id as usize].tier).min(2);
            tiers[t].push(id);
        }
        tiers.concat()
    }

    fn view_in_order(&self, f: &ViewFilter, order: SortOrder) -> Vec<RowId> {
        let rf = self.resolve(f);
        let kept = |ids: &[RowId]| -> Vec<RowId> {
            ids.iter()
                .copied()
                .filter(|id| self.keeps_resolved(&self.rows[*id as usize], &rf))
                .collect()
        };
        match order {
            SortOrder::Host => kept(&self.orders.by_name),
            SortOrder::Check => kept(&self.orders.by_check),
            SortOrder::FailuresFirst | SortOrder::Severity => {
                let mut buckets: Vec<Vec<RowId>> = vec![Vec::new(); 7 * 5];
                for id in kept(&self.orders.by_name) {
                    let r = &self.rows[id as usize];
                    let (o, s) = (outcome_rank(r.outcome), severity_rank(self.severity(r)));
                    let b = if order == SortOrder::FailuresFirst {
                        o * 5 + s
                    } else {
                        s * 7 + o
                    };
                    buckets[b].push(id);
                }
                buckets.concat()
            }
            SortOrder::Duration => {
                // stable over name order: ties stay in (env, host, key) order
                let mut v = kept(&self.orders.by_name);
                v.sort_by_key(|id| std::cmp::Reverse(self.rows[*id as usize].duration_ms));
                v
            }
        }
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
