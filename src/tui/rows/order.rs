//! Table orders as sorted `Vec<RowId>`s: the name order (environment, host, key) and the
//! check order (key, host, environment) are kept sorted as rows arrive (new rows are sorted
//! among themselves and merged in), so a full view rebuild — a filter keystroke, the
//! failures-only toggle, another sort — walks integers, never sorts strings.

use super::RowId;
use std::cmp::Ordering;

/// Table order, cycled with `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Worst outcome first, then severity, then host and check.
    #[default]
    FailuresFirst,
    Severity,
    Host,
    Check,
    /// Slowest first.
    Duration,
}

impl SortOrder {
    pub fn next(self) -> SortOrder {
        match self {
            SortOrder::FailuresFirst => SortOrder::Severity,
            SortOrder::Severity => SortOrder::Host,
            SortOrder::Host => SortOrder::Check,
            SortOrder::Check => SortOrder::Duration,
            SortOrder::Duration => SortOrder::FailuresFirst,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortOrder::FailuresFirst => "failures first",
            SortOrder::Severity => "severity",
            SortOrder::Host => "host",
            SortOrder::Check => "check",
            SortOrder::Duration => "slowest",
        }
    }
}

/// The two name orders and the rows not yet merged into them.
#[derive(Debug, Default)]
pub struct NameOrders {
    pub by_name: Vec<RowId>,
    pub by_check: Vec<RowId>,
    pending: Vec<RowId>,
}

impl NameOrders {
    /// A new row (merged in by the next [`NameOrders::fold`]).
    pub fn add(&mut self, id: RowId) {
        self.pending.push(id);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Merge the pending rows into both orders: O(n) copying plus O(k log n) comparisons.
    pub fn fold(
        &mut self,
        by_name: impl Fn(RowId, RowId) -> Ordering,
        by_check: impl Fn(RowId, RowId) -> Ordering,
    ) {
        if self.pending.is_empty() {
            return;
        }
        let mut add = std::mem::take(&mut self.pending);
        add.sort_by(|a, b| by_name(*a, *b));
        self.by_name = merge_sorted(&self.by_name, &add, &by_name);
        add.sort_by(|a, b| by_check(*a, *b));
        self.by_check = merge_sorted(&self.by_check, &add, &by_check);
    }
}

/// Merge the sorted `add` into the sorted `into` under `cmp` (stable: equal rows of `into`
/// come first). Gallops from the previous insertion point: streamed rows arrive in clusters
/// (one host's results at a time), so the next position is usually close by.
pub fn merge_sorted(
    into: &[RowId],
    add: &[RowId],
    cmp: &impl Fn(RowId, RowId) -> Ordering,
) -> Vec<RowId> {
    let mut out = Vec::with_capacity(into.len() + add.len());
    let mut start = 0;
    let n = into.len();
    for &a in add {
        let after = |v: RowId| cmp(v, a) == Ordering::Greater;
        let mut lo = start;
        let mut bound = 1;
        let hi = loop {
            let probe = start + bound - 1;
            if probe >= n {
                break n;
            }
            if after(into[probe]) {
                break probe;
            }
            lo = probe + 1;
            bound *= 2;
        };
        let pos = lo + into[lo..hi].partition_point(|v| !after(*v));
        out.extend_from_slice(&into[start..pos]);
        out.push(a);
        start = pos;
    }
    out.extend_from_slice(&into[start..]);
    out
}
