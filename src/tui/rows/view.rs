//! The table's view of the result set: what a [`ViewFilter`] keeps, how rows compare under
//! each [`SortOrder`], and the filtered, sorted view built from the name orders (a full
//! rebuild walks integers) or merged with newly streamed rows.

use super::intern::Strings;
use super::order::{self, SortOrder};
use super::row::CompactRow;
use super::{ResultSet, RowId};
use crate::model::{Outcome, Severity};
use std::cmp::Ordering;

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

impl ResultSet {
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

    /// Bring the name ranks up to date (after names were added): call before comparing rows
    /// (the table does, once per settle).
    pub fn refresh_ranks(&mut self) {
        let stale = |r: &Vec<u32>, s: &Strings| r.len() != s.len();
        if stale(&self.ranks.env, &self.envs) {
            self.ranks.env = ranks_of(&self.envs);
        }
        if stale(&self.ranks.host, &self.hosts) {
            self.ranks.host = ranks_of(&self.hosts);
        }
        if stale(&self.ranks.key, &self.keys) {
            self.ranks.key = ranks_of(&self.keys);
        }
    }

    /// A row's (environment, host, key) ranks, when they are current.
    fn name_ranks(&self, r: &CompactRow) -> Option<(u32, u32, u32)> {
        Some((
            *self.ranks.env.get(r.env as usize)?,
            *self.ranks.host.get(r.host as usize)?,
            *self.ranks.key.get(r.key as usize)?,
        ))
    }

    fn cmp_name(&self, a: RowId, b: RowId) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        if let (Some(x), Some(y)) = (self.name_ranks(ra), self.name_ranks(rb)) {
            return x.cmp(&y);
        }
        self.envs
            .str(ra.env)
            .cmp(self.envs.str(rb.env))
            .then_with(|| self.hosts.str(ra.host).cmp(self.hosts.str(rb.host)))
            .then_with(|| self.keys.str(ra.key).cmp(self.keys.str(rb.key)))
    }

    fn cmp_check(&self, a: RowId, b: RowId) -> Ordering {
        let (ra, rb) = (&self.rows[a as usize], &self.rows[b as usize]);
        if let (Some((ea, ha, ka)), Some((eb, hb, kb))) = (self.name_ranks(ra), self.name_ranks(rb))
        {
            return (ka, ha, ea).cmp(&(kb, hb, eb));
        }
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

    /// [`ResultSet::fold_orders`] once more than 1/256 of the rows (at least 1024) wait:
    /// merging is O(n) copying, so at a million rows it is not done every frame, and a
    /// rebuild sorts at most a few thousand.
    pub fn fold_orders_if_behind(&mut self) {
        if self.orders.pending_len() > (self.rows.len() / 256).max(1024) {
            self.fold_orders();
        }
    }

    /// Merge rows added since the last call into the name orders.
    pub fn fold_orders(&mut self) {
        self.refresh_ranks();
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
        self.refresh_ranks();
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

/// Each id's position in the string order of `s`.
fn ranks_of(s: &Strings) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..s.len() as u32).collect();
    ids.sort_by(|a, b| s.str(*a).cmp(s.str(*b)));
    let mut rank = vec![0; ids.len()];
    for (r, id) in ids.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }
    rank
}

/// Sort ranks of the interned names, so comparing rows compares integers.
#[derive(Debug, Default)]
pub(super) struct Ranks {
    env: Vec<u32>,
    host: Vec<u32>,
    key: Vec<u32>,
}
