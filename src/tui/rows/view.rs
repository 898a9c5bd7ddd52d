//! The table's view of the result set: what a [`ViewFilter`] keeps, how rows compare under
//! each [`SortOrder`], and the filtered, sorted view built from the name orders (a full
//! rebuild walks integers) or merged with newly streamed rows.

use super::order::SortOrder;
use super::row::CompactRow;
use super::sorted_view::SortedView;
use super::{ResultSet, RowId};
use crate::model::{Outcome, Severity};
use std::cmp::Ordering;

/// A row the view drops, in the per-row class bytes of [`ResultSet::view`].
const DROPPED: u8 = u8::MAX;

/// Most pending rows taken into the name orders per settle (well under 1 ms of work).
const FOLD_PER_SETTLE: usize = 2048;

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

/// Outcome buckets in the failure-first orders: the outcomes in [`Outcome::ALL`] order,
/// with acknowledged failures in a bucket of their own after the open failures (before
/// not-applicable and pass), so what still needs someone comes first.
const OUTCOME_BUCKETS: usize = Outcome::ALL.len() + 1;

fn outcome_rank(r: &CompactRow) -> usize {
    let o = r.outcome;
    let rank = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
    let open_failures = Outcome::ALL.iter().filter(|o| is_failure(**o)).count();
    if r.acked && is_failure(o) {
        open_failures
    } else if rank >= open_failures {
        rank + 1
    } else {
        rank
    }
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
        self.ranks.refresh(&self.envs, &self.hosts, &self.keys);
    }

    /// A row's (environment, host, key) ranks, when they are current.
    fn name_ranks(&self, r: &CompactRow) -> Option<(u32, u32, u32)> {
        Some((
            *self.ranks.env.rank.get(r.env as usize)?,
            *self.ranks.host.rank.get(r.host as usize)?,
            *self.ranks.key.rank.get(r.key as usize)?,
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
        let rank = |r: &CompactRow| (outcome_rank(r), severity_rank(self.severity(r)));
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

    /// Insert `add` (rows not in `view`) into the sorted `view`, each into its chunk:
    /// O(k · (log n + chunk)), so a burst of streamed results touches neither the whole
    /// view nor its other chunks.
    pub fn merge_into(&self, view: &mut SortedView, mut add: Vec<RowId>, order: SortOrder) {
        add.sort_by(|a, b| self.cmp_rows(*a, *b, order));
        view.insert_sorted(&add, |a, b| self.cmp_rows(a, b, order));
    }

    /// Merge some of the rows added since the last fold into the name orders: at most
    /// [`FOLD_PER_SETTLE`], so one frame's share stays small (the table calls this once
    /// per settle; a full rebuild folds everything first).
    pub fn fold_orders_some(&mut self) {
        self.fold_orders_up_to(FOLD_PER_SETTLE);
    }

    /// Merge all rows added since the last fold into the name orders.
    pub fn fold_orders(&mut self) {
        self.fold_orders_up_to(usize::MAX);
    }

    fn fold_orders_up_to(&mut self, limit: usize) {
        self.refresh_ranks();
        if !self.orders.has_pending() {
            return;
        }
        let rows = &self.rows;
        self.orders.fold(
            limit,
            |id| {
                let r = &rows[id as usize];
                (r.env, r.host, r.key)
            },
            &self.ranks,
        );
    }

    /// The filtered, sorted row ids, rebuilt in O(n) over the name orders. While a pattern
    /// filters, better match tiers come first (a stable partition, so each tier keeps the
    /// order).
    ///
    /// First one pass over the rows in memory order says for each whether the view keeps it
    /// and in which bucket (tier, outcome, severity) it goes, as one byte; then the walk in
    /// name order reads only those bytes (a million fit in cache), never the rows.
    pub fn view(&mut self, f: &ViewFilter, order: SortOrder) -> SortedView {
        self.refresh_ranks();
        self.fold_orders();
        let rf = self.resolve(f);
        let tiers = !self.pattern.is_empty() && !f.pattern.is_empty();
        let sevs = Severity::ALL.len();
        let per_tier = OUTCOME_BUCKETS * sevs;
        let class: Vec<u8> = self
            .rows
            .iter()
            .map(|r| {
                if !self.keeps_resolved(r, &rf) {
                    return DROPPED;
                }
                let (o, s) = (outcome_rank(r), severity_rank(self.severity(r)));
                let bucket = match order {
                    SortOrder::FailuresFirst => o * sevs + s,
                    SortOrder::Severity => s * OUTCOME_BUCKETS + o,
                    _ => 0,
                };
                let tier = if tiers { usize::from(r.tier).min(2) } else { 0 };
                (tier * per_tier + bucket) as u8
            })
            .collect();
        let mut buckets: Vec<Vec<RowId>> = vec![Vec::new(); 3 * per_tier];
        let mut put = |id: RowId| {
            if let Some(c) = class.get(id as usize).filter(|c| **c != DROPPED) {
                buckets[usize::from(*c)].push(id);
            }
        };
        match order {
            SortOrder::Check => self.orders.by_check(&self.ranks).for_each(&mut put),
            _ => self.orders.by_name(&self.ranks).for_each(&mut put),
        }
        if order == SortOrder::Duration {
            // stable over name order: ties stay in (env, host, key) order
            for b in &mut buckets {
                b.sort_by_key(|id| std::cmp::Reverse(self.rows[*id as usize].duration_ms));
            }
        }
        buckets.concat().into()
    }
}
