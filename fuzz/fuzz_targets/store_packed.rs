//! The store's packed result: a record packed into one string with field offsets decodes
//! back to exactly its fields (whatever they contain: the separator, multi-byte characters,
//! empty strings), and the column codecs round-trip.
#![no_main]

use arbitrary::Arbitrary;
use driftscope::model::{ExecKey, Outcome, ResultRecord, Severity};
use driftscope::store::codec;
use driftscope::store::packed::PackedResult;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

#[derive(Debug, Arbitrary)]
struct Input {
    environment: String,
    host: String,
    key: String,
    check_id: String,
    title: String,
    category: String,
    severity: u8,
    outcome: u8,
    expected: String,
    actual: String,
    reason: Option<String>,
    duration_ms: u64,
    sop: Option<String>,
    code: i64,
    ms: i64,
}

fuzz_target!(|i: Input| {
    let outcome = Outcome::ALL[usize::from(i.outcome) % Outcome::ALL.len()];
    let severity = Severity::ALL[usize::from(i.severity) % Severity::ALL.len()];
    let rec = ResultRecord {
        environment: i.environment,
        host: i.host,
        key: ExecKey(i.key),
        check_id: i.check_id,
        title: i.title,
        category: i.category,
        severity,
        outcome,
        expected: serde_json::Value::String(i.expected),
        actual: serde_json::json!({ "value": i.actual }),
        reason: i.reason,
        duration: Duration::from_millis(i.duration_ms),
        sop: i.sop,
    };
    let p = PackedResult::pack(&rec);
    assert_eq!(p.environment(), rec.environment);
    assert_eq!(p.host(), rec.host);
    assert_eq!(p.key(), rec.key.0);
    assert_eq!(p.check_id(), rec.check_id);
    assert_eq!(p.title(), rec.title);
    assert_eq!(p.category(), rec.category);
    assert_eq!(p.sop(), rec.sop.as_deref());
    assert_eq!(p.reason(), rec.reason.as_deref());
    assert_eq!(p.expected_json(), rec.expected.to_string());
    assert_eq!(p.actual_json(), rec.actual.to_string());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(p.actual_json()).ok(),
        Some(rec.actual.clone())
    );
    assert_eq!(p.outcome, outcome);
    assert_eq!(p.severity, severity);
    assert!(p.duration_ms >= 0);
    // Column codecs: every known value round-trips; any stored integer decodes.
    assert_eq!(codec::outcome_from(codec::outcome_code(outcome)), outcome);
    assert_eq!(codec::severity_from(codec::severity_code(severity)), severity);
    let _ = codec::outcome_from(i.code);
    let _ = codec::severity_from(i.code);
    let t = codec::from_ms(i.ms);
    if t != chrono::DateTime::<chrono::Utc>::UNIX_EPOCH {
        assert_eq!(codec::to_ms(t), i.ms);
    }
});
