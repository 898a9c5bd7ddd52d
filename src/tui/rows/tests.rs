//! Unit tests of the compact result set: replacement in place, orders (full rebuild equals
//! incremental merges), the filter by parts, summaries.

use super::*;
use crate::model::{ExecKey, Severity};
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
    assert_eq!(rs.row(0).map(|r| r.version), Some(1));
}

#[test]
fn failures_first_then_severity_then_name() {
    let mut rs = ResultSet::default();
    rs.upsert(rec("a", "p", Outcome::Pass, Severity::Critical));
    rs.upsert(rec("b", "f-low", Outcome::Fail, Severity::Low));
    rs.upsert(rec("c", "f-crit", Outcome::Fail, Severity::Critical));
    rs.upsert(rec("a", "err", Outcome::Error, Severity::Info));
    let v = rs.view(&ViewFilter::default(), SortOrder::FailuresFirst);
    let keys: Vec<String> = v
        .iter()
        .map(|i| rs.row(*i).map(|r| r.key.to_string()).unwrap_or_default())
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
        let mut view = SortedView::default();
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
            rs.merge_into(&mut view, fresh, order);
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
        for id in 0..rs.len() as RowId {
            other.upsert(rs.record(id).unwrap());
        }
        other.set_pattern(p);
        (0..other.len() as RowId)
            .map(|id| other.hit(id).is_some())
            .collect()
    };
    for p in ["h", "ho", "ho3", "ho", "h", "", "k1", "k1x", "k1x1", "k1"] {
        rs.set_pattern(p);
        if p == "k1x" {
            // a row arriving mid-typing is matched too
            rs.upsert(rec("host-9", "k1.x1", Outcome::Fail, Severity::High));
        }
        let got: Vec<bool> = (0..rs.len() as RowId)
            .map(|id| rs.hit(id).is_some())
            .collect();
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
    let keys = |rs: &mut ResultSet, p: &str| {
        let f = ViewFilter {
            pattern: p.into(),
            ..ViewFilter::default()
        };
        rs.view(&f, SortOrder::FailuresFirst)
            .iter()
            .map(|id| rs.row(*id).map(|r| r.key.to_string()).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    rs.set_pattern("ssh");
    // The failing time check sorts first without a filter; with `ssh` the word match
    // leads, the contiguous one follows, the scattered s…s…h comes last.
    assert_eq!(
        keys(&mut rs, "ssh"),
        ["ssh.sshd-option", "pkg.client", "time.sync-daemon"]
    );
    rs.set_pattern("'ssh");
    assert_eq!(keys(&mut rs, "'ssh"), ["ssh.sshd-option", "pkg.client"]);
    assert_eq!(
        rs.match_indices(2),
        vec![2, 3, 4],
        "the exact occurrence is highlighted"
    );
    rs.set_pattern("'");
    assert_eq!(keys(&mut rs, "'").len(), 3);
    rs.set_pattern("ss");
    rs.set_pattern("ssh");
    rs.set_pattern("ss");
    assert_eq!(
        keys(&mut rs, "ss").len(),
        3,
        "backspace restores the shorter pattern's tiers"
    );
}

/// The name order as strings say it, for an oracle that does not use ranks.
fn by_strings(rs: &ResultSet, order: SortOrder) -> Vec<RowId> {
    let mut ids: Vec<RowId> = (0..rs.len() as RowId).collect();
    ids.sort_by_key(|id| {
        let r = rs.row(*id).expect("row");
        let (e, h, k) = (
            r.environment.to_string(),
            r.host.to_string(),
            r.key.to_string(),
        );
        match order {
            SortOrder::Check => (k, h, e),
            _ => (e, h, k),
        }
    });
    ids
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
    /// Rows streamed in bursts (new hosts and keys arriving late, so name ranks are
    /// renumbered) and merged into the view burst by burst give the view a full sort gives:
    /// the table stays sorted and complete while results stream in.
    #[test]
    fn streamed_bursts_keep_every_order_sorted_and_complete(
        rows in proptest::collection::vec((0u8..3, 0u16..40, 0u16..60, 0u8..4), 1..400),
        burst in 1usize..50,
    ) {
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
            let mut view = SortedView::default();
            let mut seen = std::collections::HashSet::new();
            for chunk in rows.chunks(burst) {
                let mut fresh = Vec::new();
                for (env, host, key, o) in chunk {
                    // one row per name: replacements are the table's business
                    if !seen.insert((*env, *host, *key)) {
                        continue;
                    }
                    let mut r = rec(
                        &format!("h{host}"),
                        &format!("k{key}"),
                        outcomes[usize::from(*o)],
                        sevs[usize::from(*key) % 3],
                    );
                    r.environment = format!("env{env}");
                    r.duration = Duration::from_millis(u64::from(*host % 7));
                    fresh.push(rs.upsert(r).0);
                }
                rs.refresh_ranks();
                rs.merge_into(&mut view, fresh, order);
                rs.fold_orders_some();
                let mut oracle: Vec<RowId> = (0..rs.len() as RowId).collect();
                oracle.sort_by(|a, b| rs.cmp_rows(*a, *b, order));
                proptest::prop_assert_eq!(&view.to_vec(), &oracle, "{:?}", order);
            }
            let full = rs.view(&ViewFilter::default(), order);
            proptest::prop_assert_eq!(&full, &view, "{:?}", order);
            if matches!(order, SortOrder::Host | SortOrder::Check) {
                proptest::prop_assert_eq!(view.to_vec(), by_strings(&rs, order), "{:?}", order);
            }
        }
    }
}
