//! The results the TUI holds: one row per environment × host × execution key, updated in place
//! when a newer result for the same key arrives, plus the filtered/sorted view the table shows.
//!
//! Rebuilding the view is O(n) for the default orders (bucketed by outcome/severity over a
//! name-ordered index), so streaming 100k results stays within a frame.

use crate::model::{Matcher, Outcome, ResultRecord, Severity, Value, describe_matcher};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Stable id of a row (index into [`ResultSet::rows`]).
pub type RowId = u32;

/// One result row.
#[derive(Debug, Clone)]
pub struct Row {
    pub rec: ResultRecord,
    /// `env \x1f host \x1f key`: the name order in one string (one compare, fewer cache misses).
    pub name: Box<str>,
    /// `host key title category`: what the fuzzy filter matches.
    pub haystack: String,
    /// Short `actual vs expected` form for the table.
    pub summary: String,
    /// Whether the current filter matches this row.
    pub hit: bool,
    /// How well it matches ([`MatchTier`]): better tiers are listed first while filtering.
    pub tier: u8,
    /// Bumped each time a newer result replaced this row (re-checks).
    pub version: u32,
}

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

/// How a row matches the filter, best first: the pattern as a word (or at a word start),
/// the pattern contiguous inside a word, the letters scattered (fuzzy only). fzf and
/// television rank the same way; `'ssh` (exact) never matches scattered letters.
pub struct MatchTier;

impl MatchTier {
    pub const WORD: u8 = 0;
    pub const CONTIGUOUS: u8 = 1;
    pub const SCATTERED: u8 = 2;
}

/// Char index of the first case-insensitive occurrence of `needle` (lowercase) in
/// `haystack`, preferring one at a word start, and whether it is at one.
fn find_occurrence(haystack: &str, needle: &str) -> Option<(usize, bool)> {
    if needle.is_empty() {
        return Some((0, true));
    }
    let lower = haystack.to_lowercase();
    if lower.len() != haystack.len() {
        // Case folding changed byte lengths (rare scripts): plain position, no boundary bonus.
        return lower
            .find(needle)
            .map(|b| (lower[..b].chars().count(), false));
    }
    let mut first = None;
    for (b, _) in lower.match_indices(needle) {
        let at_word = lower[..b]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let ci = lower[..b].chars().count();
        if at_word {
            return Some((ci, true));
        }
        first.get_or_insert((ci, false));
    }
    first
}

/// All rows plus the name-ordered index.
pub struct ResultSet {
    pub rows: Vec<Box<Row>>,
    /// `env \x1f host \x1f key` → row, iterated in name order.
    order: BTreeMap<String, RowId>,
    /// `key \x1f host \x1f env` → row: the check order without sorting.
    by_check: BTreeMap<String, RowId>,
    matcher: SkimMatcherV2,
    pattern: String,
    /// Shorter patterns typed on the way to `pattern`, with their match tiers (for backspace).
    pattern_stack: Vec<(String, Vec<Option<u8>>)>,
}

impl Default for ResultSet {
    fn default() -> Self {
        ResultSet {
            rows: Vec::new(),
            order: BTreeMap::new(),
            by_check: BTreeMap::new(),
            matcher: SkimMatcherV2::default().ignore_case(),
            pattern: String::new(),
            pattern_stack: Vec::new(),
        }
    }
}

fn outcome_rank(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)
}

fn severity_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// Whether an outcome counts as a failure for `f` (everything but pass and not-applicable).
pub fn is_failure(o: Outcome) -> bool {
    !matches!(o, Outcome::Pass | Outcome::NotApplicable)
}

impl ResultSet {
    /// The match tier of `haystack` for `pattern` (`None` = no match). A pattern starting
    /// with `'` matches exactly (a case-insensitive substring), as in fzf.
    fn tier(&self, haystack: &str, pattern: &str) -> Option<u8> {
        if pattern.is_empty() {
            return Some(MatchTier::WORD);
        }
        let (exact, needle) = match pattern.strip_prefix('\'') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let needle = needle.to_lowercase();
        match find_occurrence(haystack, &needle) {
            Some((_, true)) => Some(MatchTier::WORD),
            Some((_, false)) => Some(MatchTier::CONTIGUOUS),
            None if exact => None,
            None => self
                .matcher
                .fuzzy_match(haystack, pattern)
                .map(|_| MatchTier::SCATTERED),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of `env` × `host` × `key`, if there is one.
    pub fn find(&self, env: &str, host: &str, key: &str) -> Option<RowId> {
        self.order
            .get(&format!("{env}\u{1f}{host}\u{1f}{key}"))
            .copied()
    }

    /// Insert or replace; returns the row id and the outcome it replaced, if any.
    pub fn upsert(&mut self, rec: ResultRecord) -> (RowId, Option<Outcome>) {
        let name = format!("{}\u{1f}{}\u{1f}{}", rec.environment, rec.host, rec.key);
        let haystack = format!("{} {} {} {}", rec.host, rec.key, rec.title, rec.category);
        let summary = summarize(&rec);
        let tier = self.tier(&haystack, &self.pattern);
        let hit = tier.is_some();
        let tier = tier.unwrap_or(MatchTier::SCATTERED);
        match self.order.get(&name) {
            Some(&id) => {
                let row = &mut self.rows[id as usize];
                let old = row.rec.outcome;
                row.rec = rec;
                row.haystack = haystack;
                row.summary = summary;
                row.hit = hit;
                row.tier = tier;
                row.version += 1;
                (id, Some(old))
            }
            None => {
                let id = self.rows.len() as RowId;
                self.rows.push(Box::new(Row {
                    rec,
                    name: name.clone().into_boxed_str(),
                    haystack,
                    summary,
                    hit,
                    tier,
                    version: 0,
                }));
                self.order.insert(name, id);
                let check_name = format!(
                    "{}\u{1f}{}\u{1f}{}",
                    self.rows[id as usize].rec.key,
                    self.rows[id as usize].rec.host,
                    self.rows[id as usize].rec.environment
                );
                self.by_check.insert(check_name, id);
                (id, None)
            }
        }
    }

    /// Change the filter pattern. Typing one more character only re-matches the rows that
    /// matched before (a match of `abc` implies one of `ab`, fuzzy or exact); erasing it
    /// restores the shorter pattern's matches from a stack instead of matching every row.
    pub fn set_pattern(&mut self, pattern: &str) {
        if pattern == self.pattern {
            return;
        }
        let snapshot = |rows: &[Box<Row>]| -> Vec<Option<u8>> {
            rows.iter().map(|r| r.hit.then_some(r.tier)).collect()
        };
        let narrowing = !self.pattern.is_empty()
            && self.pattern != "'"
            && pattern.starts_with(self.pattern.as_str());
        if narrowing {
            let tiers = snapshot(&self.rows);
            self.pattern_stack.push((self.pattern.clone(), tiers));
        } else if let Some(i) = self.pattern_stack.iter().position(|(p, _)| p == pattern) {
            let (_, tiers) = self.pattern_stack.swap_remove(i);
            self.pattern_stack.truncate(i);
            self.pattern = pattern.to_string();
            for i in 0..self.rows.len() {
                // rows that arrived after the snapshot are matched now
                let t = match tiers.get(i) {
                    Some(t) => *t,
                    None => self.tier(&self.rows[i].haystack, pattern),
                };
                let row = &mut self.rows[i];
                row.hit = t.is_some();
                row.tier = t.unwrap_or(MatchTier::SCATTERED);
            }
            return;
        } else {
            self.pattern_stack.clear();
        }
        self.pattern = pattern.to_string();
        for i in 0..self.rows.len() {
            if narrowing && !self.rows[i].hit {
                continue;
            }
            let t = self.tier(&self.rows[i].haystack, pattern);
            let row = &mut self.rows[i];
            row.hit = t.is_some();
            row.tier = t.unwrap_or(MatchTier::SCATTERED);
        }
    }

    /// Char indices of the current pattern's match in a row's haystack (for highlighting).
    pub fn match_indices(&self, id: RowId) -> Vec<usize> {
        if self.pattern.is_empty() {
            return Vec::new();
        }
        let Some(r) = self.rows.get(id as usize) else {
            return Vec::new();
        };
        let (exact, needle) = match self.pattern.strip_prefix('\'') {
            Some(rest) => (true, rest),
            None => (false, self.pattern.as_str()),
        };
        let n = needle.chars().count();
        match find_occurrence(&r.haystack, &needle.to_lowercase()) {
            Some((start, _)) if n > 0 => (start..start + n).collect(),
            _ if exact => Vec::new(),
            _ => self
                .matcher
                .fuzzy_indices(&r.haystack, &self.pattern)
                .map(|(_, idx)| idx)
                .unwrap_or_default(),
        }
    }

    /// Whether the view keeps a row.
    pub fn keeps(&self, id: RowId, f: &ViewFilter) -> bool {
        let Some(r) = self.rows.get(id as usize) else {
            return false;
        };
        f.environment
            .as_ref()
            .is_none_or(|e| *e == r.rec.environment)
            && f.host.as_ref().is_none_or(|h| *h == r.rec.host)
            && f.category.as_ref().is_none_or(|c| *c == r.rec.category)
            && (!f.failures_only || is_failure(r.rec.outcome))
            && (f.pattern.is_empty() || r.hit)
    }

    /// The table order: the view is sorted by this (ties broken by environment, host, key).
    pub fn cmp_rows(&self, a: RowId, b: RowId, order: SortOrder) -> Ordering {
        if !self.pattern.is_empty() {
            let by_tier = self.rows[a as usize].tier.cmp(&self.rows[b as usize].tier);
            if by_tier != Ordering::Equal {
                return by_tier;
            }
        }
        let (ra, rb) = (&self.rows[a as usize].rec, &self.rows[b as usize].rec);
        let name =
            || (&ra.environment, &ra.host, &ra.key).cmp(&(&rb.environment, &rb.host, &rb.key));
        let rank = |r: &ResultRecord| (outcome_rank(r.outcome), severity_rank(r.severity));
        match order {
            SortOrder::Host => name(),
            SortOrder::FailuresFirst => rank(ra).cmp(&rank(rb)).then_with(name),
            SortOrder::Severity => {
                let (oa, sa) = rank(ra);
                let (ob, sb) = rank(rb);
                (sa, oa).cmp(&(sb, ob)).then_with(name)
            }
            SortOrder::Check => (&ra.key, &ra.host)
                .cmp(&(&rb.key, &rb.host))
                .then_with(name),
            SortOrder::Duration => rb.duration.cmp(&ra.duration).then_with(name),
        }
    }

    /// Merge `add` (rows not in `view`) into the sorted `view`: O(n) copying plus
    /// O(k log n) comparisons, so a burst of streamed results does not re-sort everything.
    pub fn merge_into(&self, view: &[RowId], mut add: Vec<RowId>, order: SortOrder) -> Vec<RowId> {
        add.sort_by(|a, b| self.cmp_rows(*a, *b, order));
        let mut out = Vec::with_capacity(view.len() + add.len());
        let mut start = 0;
        let n = view.len();
        for a in add {
            // Gallop from the previous insertion point: streamed rows arrive in clusters (one
            // host's results at a time), so the next position is usually close by.
            let after = |v: RowId| self.cmp_rows(v, a, order) == Ordering::Greater;
            let mut lo = start;
            let mut bound = 1;
            let hi = loop {
                let probe = start + bound - 1;
                if probe >= n {
                    break n;
                }
                if after(view[probe]) {
                    break probe;
                }
                lo = probe + 1;
                bound *= 2;
            };
            let pos = lo + view[lo..hi].partition_point(|v| !after(*v));
            out.extend_from_slice(&view[start..pos]);
            out.push(a);
            start = pos;
        }
        out.extend_from_slice(&view[start..]);
        out
    }

    /// The filtered, sorted row ids, rebuilt from scratch in O(n) for the bucketed orders.
    /// While a pattern filters, better match tiers come first (a stable partition, so each
    /// tier keeps the order).
    pub fn view(&self, f: &ViewFilter, order: SortOrder) -> Vec<RowId> {
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
        let named = self.order.values().copied().filter(|id| self.keeps(*id, f));
        match order {
            SortOrder::Host => named.collect(),
            SortOrder::FailuresFirst | SortOrder::Severity => {
                let mut buckets: Vec<Vec<RowId>> = vec![Vec::new(); 7 * 5];
                for id in named {
                    let r = &self.rows[id as usize].rec;
                    let (o, s) = (outcome_rank(r.outcome), severity_rank(r.severity));
                    let b = if order == SortOrder::FailuresFirst {
                        o * 5 + s
                    } else {
                        s * 7 + o
                    };
                    buckets[b].push(id);
                }
                buckets.concat()
            }
            SortOrder::Check => self
                .by_check
                .values()
                .copied()
                .filter(|id| self.keeps(*id, f))
                .collect(),
            SortOrder::Duration => {
                // stable over name order: ties stay in (env, host, key) order
                let mut v: Vec<RowId> = named.collect();
                v.sort_by_key(|id| std::cmp::Reverse(self.rows[*id as usize].rec.duration));
                v
            }
        }
    }
}

/// Render a JSON value compactly for a table cell: strings without quotes.
pub fn short_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_string(),
        other => other.to_string(),
    }
}

/// The attributes of a record with whether each one holds (`None` = unknown).
pub fn attribute_verdicts(rec: &ResultRecord) -> Vec<(String, Value, Value, Option<bool>)> {
    let empty = serde_json::Map::new();
    let exp = rec.expected.as_object().unwrap_or(&empty);
    let act = rec.actual.as_object().unwrap_or(&empty);
    let mut out = Vec::new();
    for (attr, e) in exp {
        let a = act.get(attr).cloned().unwrap_or(Value::Null);
        let ok = match rec.outcome {
            Outcome::Pass => Some(true),
            Outcome::Fail if act.contains_key(attr) => {
                Matcher::parse(e).ok().map(|m| m.matches(&a))
            }
            _ => None,
        };
        out.push((attr.clone(), e.clone(), a, ok));
    }
    for (attr, a) in act {
        if !exp.contains_key(attr) {
            out.push((attr.clone(), Value::Null, a.clone(), None));
        }
    }
    out
}

/// `attr: actual ≠ expected` for the first differing attribute of a failure, the observed
/// values of a pass, or the reason of a problem.
pub fn summarize(rec: &ResultRecord) -> String {
    let first_line = |s: &str| s.lines().next().unwrap_or("").to_string();
    match rec.outcome {
        Outcome::Pass => {
            let parts: Vec<String> = rec
                .actual
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", first_line(&short_value(v))))
                        .collect()
                })
                .unwrap_or_default();
            parts.join(" ")
        }
        Outcome::Fail => {
            let verdicts = attribute_verdicts(rec);
            let bad = verdicts
                .iter()
                .find(|(_, _, _, ok)| *ok == Some(false))
                .or_else(|| verdicts.first());
            match bad {
                Some((attr, e, a, _)) => format!(
                    "{attr}: {} ≠ {}",
                    first_line(&short_value(a)),
                    first_line(&describe_matcher(e))
                ),
                None => rec.reason.as_deref().map(first_line).unwrap_or_default(),
            }
        }
        _ => rec.reason.as_deref().map(first_line).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExecKey;
    use serde_json::json;
    use std::time::Duration;

    fn rec(host: &str, key: &str, o: Outcome, sev: Severity) -> ResultRecord {
        ResultRecord {
            environment: "e".into(),
            host: host.into(),
            key: ExecKey(key.into()),
            check_id: key.into(),
            title: format!("title of {key}"),
            category: "cat".into(),
            severity: sev,
            outcome: o,
            expected: json!({"value": "1"}),
            actual: json!({"value": if o == Outcome::Pass {"1"} else {"0"}}),
            reason: None,
            duration: Duration::from_millis(5),
            sop: None,
        }
    }

    #[test]
    fn upsert_replaces_in_place() {
        let mut rs = ResultSet::default();
        let (a, old) = rs.upsert(rec("h1", "k", Outcome::Fail, Severity::High));
        assert_eq!(old, None);
        let (b, old) = rs.upsert(rec("h1", "k", Outcome::Pass, Severity::High));
        assert_eq!((a, old), (b, Some(Outcome::Fail)));
        assert_eq!(rs.len(), 1);
        assert_eq!(rs.rows[0].version, 1);
    }

    #[test]
    fn failures_first_then_severity_then_name() {
        let mut rs = ResultSet::default();
        rs.upsert(rec("a", "p", Outcome::Pass, Severity::Critical));
        rs.upsert(rec("b", "f-low", Outcome::Fail, Severity::Low));
        rs.upsert(rec("c", "f-crit", Outcome::Fail, Severity::Critical));
        rs.upsert(rec("a", "err", Outcome::Error, Severity::Info));
        let v = rs.view(&ViewFilter::default(), SortOrder::FailuresFirst);
        let keys: Vec<&str> = v
            .iter()
            .map(|i| rs.rows[*i as usize].rec.key.as_str())
            .collect();
        assert_eq!(keys, ["f-crit", "f-low", "err", "p"]);
    }

    #[test]
    fn incremental_merge_matches_a_full_rebuild_for_every_order() {
        let outcomes = [Outcome::Pass, Outcome::Fail, Outcome::Error, Outcome::Pass];
        let sevs = [Severity::Low, Severity::Critical, Severity::High];
        for order in [
            SortOrder::FailuresFirst,
            SortOrder::Severity,
            SortOrder::Host,
            SortOrder::Check,
            SortOrder::Duration,
        ] {
            let mut rs = ResultSet::default();
            let f = ViewFilter::default();
            let mut view = Vec::new();
            for burst in 0..5 {
                let mut fresh = Vec::new();
                for i in 0..37 {
                    let n = burst * 37 + i;
                    let mut r = rec(
                        &format!("h{}", n % 5),
                        &format!("k{:03}", (n * 7919) % 1000),
                        outcomes[n % 4],
                        sevs[n % 3],
                    );
                    r.duration = Duration::from_millis((n % 11) as u64);
                    fresh.push(rs.upsert(r).0);
                }
                view = rs.merge_into(&view, fresh, order);
            }
            assert_eq!(view, rs.view(&f, order), "{order:?}");
        }
    }

    #[test]
    fn typing_and_erasing_the_filter_gives_the_same_matches_as_matching_afresh() {
        let mut rs = ResultSet::default();
        for i in 0..200 {
            rs.upsert(rec(
                &format!("host-{}", i % 7),
                &format!("k{i}.x{}", i % 13),
                Outcome::Pass,
                Severity::Low,
            ));
        }
        let fresh = |rs: &ResultSet, p: &str| -> Vec<bool> {
            let mut other = ResultSet::default();
            for r in &rs.rows {
                other.upsert(r.rec.clone());
            }
            other.set_pattern(p);
            other.rows.iter().map(|r| r.hit).collect()
        };
        for p in ["h", "ho", "ho3", "ho", "h", "", "k1", "k1x", "k1x1", "k1"] {
            rs.set_pattern(p);
            if p == "k1x" {
                // a row arriving mid-typing is matched too
                rs.upsert(rec("host-9", "k1.x1", Outcome::Fail, Severity::High));
            }
            let got: Vec<bool> = rs.rows.iter().map(|r| r.hit).collect();
            assert_eq!(got, fresh(&rs, p), "pattern {p:?}");
        }
    }

    #[test]
    fn summary_names_the_differing_attribute() {
        let r = rec("a", "k", Outcome::Fail, Severity::High);
        assert_eq!(summarize(&r), "value: 0 ≠ 1");
    }

    #[test]
    fn word_matches_rank_first_and_a_quote_matches_exactly() {
        let mut rs = ResultSet::default();
        let mut t = rec("h", "time.sync-daemon", Outcome::Fail, Severity::High);
        t.title = "a time sync daemon runs (systemd-timesyncd or chrony)".into();
        rs.upsert(t);
        let mut o = rec("h", "pkg.client", Outcome::Pass, Severity::Low);
        o.title = "openssh-client is installed".into();
        rs.upsert(o);
        rs.upsert(rec("h", "ssh.sshd-option", Outcome::Pass, Severity::Low));
        let keys = |rs: &ResultSet, p: &str| {
            let f = ViewFilter {
                pattern: p.into(),
                ..ViewFilter::default()
            };
            rs.view(&f, SortOrder::FailuresFirst)
                .into_iter()
                .map(|id| rs.rows[id as usize].rec.key.0.clone())
                .collect::<Vec<_>>()
        };
        rs.set_pattern("ssh");
        // The failing time check sorts first without a filter; with `ssh` the word match
        // leads, the contiguous one follows, the scattered s…s…h comes last.
        assert_eq!(
            keys(&rs, "ssh"),
            ["ssh.sshd-option", "pkg.client", "time.sync-daemon"]
        );
        rs.set_pattern("'ssh");
        assert_eq!(keys(&rs, "'ssh"), ["ssh.sshd-option", "pkg.client"]);
        assert_eq!(
            rs.match_indices(2),
            vec![2, 3, 4],
            "the exact occurrence is highlighted"
        );
        rs.set_pattern("'");
        assert_eq!(keys(&rs, "'").len(), 3);
        rs.set_pattern("ss");
        rs.set_pattern("ssh");
        rs.set_pattern("ss");
        assert_eq!(
            keys(&rs, "ss").len(),
            3,
            "backspace restores the shorter pattern's tiers"
        );
    }
}
