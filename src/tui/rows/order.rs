//! Table orders. The name order (environment, host, key) and the check order (key, host,
//! environment) are kept sorted as rows arrive, so a full view rebuild — a filter
//! keystroke, the failures-only toggle, another sort — walks integers, never sorts strings.
//!
//! Both are kept in groups: each host's rows sorted by key, each key's rows sorted by host.
//! An entry carries the name it is sorted by, and names compare by their rank in the sorted
//! list of names ([`Ranks`], small and hot in cache), so inserting a row reads neither the
//! million rows nor their strings. New names keep the relative order of the old ones, so a
//! group stays sorted when ranks are renumbered.

use super::RowId;
use super::intern::Strings;
use crate::store::FastMap;

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

/// Each interned name's position in the string order of all names of its kind.
#[derive(Debug, Default)]
pub struct RankTable {
    /// Name ids in string order.
    sorted: Vec<u32>,
    /// `rank[id]`: the position of `id` in `sorted`.
    pub rank: Vec<u32>,
}

impl RankTable {
    /// Take in the names added to `s` since the last call: each is inserted into the sorted
    /// list (a binary search over strings), then the ranks are renumbered (integers).
    fn refresh(&mut self, s: &Strings) {
        let known = self.sorted.len();
        if known == s.len() {
            return;
        }
        if (s.len() - known) * 8 > known {
            self.sorted = (0..s.len() as u32).collect();
            self.sorted.sort_by(|a, b| s.str(*a).cmp(s.str(*b)));
        } else {
            for id in known as u32..s.len() as u32 {
                let name = s.str(id);
                let at = self.sorted.partition_point(|x| s.str(*x) < name);
                self.sorted.insert(at, id);
            }
        }
        self.rank.resize(self.sorted.len(), 0);
        for (r, id) in self.sorted.iter().enumerate() {
            self.rank[*id as usize] = r as u32;
        }
    }

    /// The rank of a name id (ids not yet taken in sort last).
    pub fn of(&self, id: u32) -> u32 {
        self.rank.get(id as usize).copied().unwrap_or(u32::MAX)
    }

    /// Whether every name of `s` has a rank.
    fn current(&self, s: &Strings) -> bool {
        self.sorted.len() == s.len()
    }
}

/// Sort ranks of the interned environment, host and key names, so comparing rows compares
/// integers.
#[derive(Debug, Default)]
pub struct Ranks {
    pub env: RankTable,
    pub host: RankTable,
    pub key: RankTable,
}

impl Ranks {
    pub fn refresh(&mut self, envs: &Strings, hosts: &Strings, keys: &Strings) {
        self.env.refresh(envs);
        self.host.refresh(hosts);
        self.key.refresh(keys);
    }

    /// Whether all names have ranks (else compare strings).
    pub fn current(&self, envs: &Strings, hosts: &Strings, keys: &Strings) -> bool {
        self.env.current(envs) && self.host.current(hosts) && self.key.current(keys)
    }
}

/// Rows of one host or one key: (the name the group is sorted by, row).
type Group = Vec<(u32, RowId)>;

/// A row's names: (environment, host, key) ids.
pub type Names = (u32, u32, u32);

/// The name and check orders, in groups, and the rows not yet in them.
#[derive(Debug, Default)]
pub struct NameOrders {
    /// (environment, host) → its group in `host_rows`.
    host_slot: FastMap<(u32, u32), u32>,
    /// Per (environment, host): (key, row), sorted by key rank.
    host_rows: Vec<((u32, u32), Group)>,
    /// Per key id: (host, row), sorted by host rank, then environment rank.
    key_rows: Vec<Group>,
    pending: Vec<RowId>,
}

impl NameOrders {
    /// A new row (taken in by the next [`NameOrders::fold`]).
    pub fn add(&mut self, id: RowId) {
        self.pending.push(id);
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Put at most `limit` of the pending rows (the oldest) into their host's and their
    /// key's group: a binary search over integers in one group and a move of the group's
    /// tail each. `ranks` must be current.
    pub fn fold(&mut self, limit: usize, names: impl Fn(RowId) -> Names, ranks: &Ranks) {
        let take = limit.min(self.pending.len());
        for id in self.pending.drain(..take) {
            let (env, host, key) = names(id);
            let slot = *self.host_slot.entry((env, host)).or_insert_with(|| {
                self.host_rows.push(((env, host), Vec::new()));
                (self.host_rows.len() - 1) as u32
            });
            let group = &mut self.host_rows[slot as usize].1;
            let kr = ranks.key.of(key);
            let at = group.partition_point(|(k, _)| ranks.key.of(*k) < kr);
            group.insert(at, (key, id));
            if self.key_rows.len() <= key as usize {
                self.key_rows.resize_with(key as usize + 1, Vec::new);
            }
            let group = &mut self.key_rows[key as usize];
            let by = (ranks.host.of(host), ranks.env.of(env));
            let at = group.partition_point(|(h, row)| {
                let hr = ranks.host.of(*h);
                hr < by.0 || (hr == by.0 && ranks.env.of(names(*row).0) < by.1)
            });
            group.insert(at, (host, id));
        }
    }

    /// Every row taken in, by (environment, host, key) rank.
    pub fn by_name(&self, ranks: &Ranks) -> impl Iterator<Item = RowId> + '_ {
        let mut hosts: Vec<(u32, u32, usize)> = self
            .host_rows
            .iter()
            .enumerate()
            .map(|(i, ((e, h), _))| (ranks.env.of(*e), ranks.host.of(*h), i))
            .collect();
        hosts.sort_unstable();
        hosts
            .into_iter()
            .flat_map(|(_, _, i)| self.host_rows[i].1.iter().map(|(_, row)| *row))
    }

    /// Every row taken in, by (key, host, environment) rank.
    pub fn by_check(&self, ranks: &Ranks) -> impl Iterator<Item = RowId> + '_ {
        let mut keys: Vec<(u32, usize)> = (0..self.key_rows.len())
            .map(|k| (ranks.key.of(k as u32), k))
            .collect();
        keys.sort_unstable();
        keys.into_iter()
            .flat_map(|(_, k)| self.key_rows[k].iter().map(|(_, row)| *row))
    }
}
