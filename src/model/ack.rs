//! Acknowledgements of a known drift: who said a failing host×check is known, why, until
//! when, and for which observed value. Plain data and the rules every front end shares:
//! an acknowledgement covers a result only while it has not expired AND the result is a
//! `fail` with exactly the acknowledged actual value, so a different drift on the same check
//! is never hidden. Acknowledged failures are their own bucket (neither pass nor fail) for
//! exit codes and readiness; `--strict` counts them as failures again.

use super::{Outcome, OutcomeCounts, ResultRecord, Value};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

/// The expiry when none is given.
pub const DEFAULT_ACK_EXPIRY: Duration = Duration::from_secs(7 * 86_400);

/// One acknowledgement of a failing host×check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgement {
    pub environment: String,
    pub host: String,
    pub key: String,
    /// The observed value acknowledged; another value is another drift.
    pub actual: Value,
    pub reason: String,
    /// The OS user who acknowledged it.
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Acknowledgement {
    /// Whether this acknowledgement covers `rec` at `now` (same key, still a `fail` with the
    /// same actual value, not expired).
    pub fn covers(&self, rec: &ResultRecord, now: DateTime<Utc>) -> bool {
        rec.outcome == Outcome::Fail
            && now < self.expires_at
            && rec.actual == self.actual
            && rec.host == self.host
            && rec.environment == self.environment
            && rec.key.as_str() == self.key
    }

    /// `acknowledged by alice until 2026-12-09 01:00 UTC: vendor fix due Friday`.
    pub fn describe(&self) -> String {
        format!(
            "acknowledged by {} until {}: {}",
            self.user,
            utc_minutes(self.expires_at),
            self.reason
        )
    }
}

/// The OS user an acknowledgement is recorded under (as `runs.user`).
pub fn os_user() -> String {
    whoami::username().unwrap_or_else(|_| "unknown".into())
}

/// `2026-12-09 01:00 UTC`: how expiries are shown everywhere (with the zone, never local).
pub fn utc_minutes(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The active acknowledgements a run applies, by (environment, host, key).
#[derive(Debug, Clone, Default)]
pub struct AckBook {
    by_key: HashMap<(String, String, String), Acknowledgement>,
}

impl AckBook {
    pub fn new(acks: impl IntoIterator<Item = Acknowledgement>) -> AckBook {
        let mut book = AckBook::default();
        for a in acks {
            book.insert(a);
        }
        book
    }

    /// Add (or replace) the acknowledgement of its key.
    pub fn insert(&mut self, a: Acknowledgement) {
        self.by_key
            .insert((a.environment.clone(), a.host.clone(), a.key.clone()), a);
    }

    /// Forget the acknowledgement of a key.
    pub fn remove(&mut self, env: &str, host: &str, key: &str) -> Option<Acknowledgement> {
        self.by_key
            .remove(&(env.to_string(), host.to_string(), key.to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The keys (environment, host, key) acknowledged in `env`.
    pub fn keys_of(&self, env: &str) -> Vec<(String, String, String)> {
        self.by_key.keys().filter(|k| k.0 == env).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The acknowledgement covering `rec` now, if any (cheap for passing results).
    pub fn covering(&self, rec: &ResultRecord) -> Option<&Acknowledgement> {
        self.covering_at(rec, Utc::now())
    }

    pub fn covering_at(&self, rec: &ResultRecord, now: DateTime<Utc>) -> Option<&Acknowledgement> {
        if rec.outcome != Outcome::Fail || self.by_key.is_empty() {
            return None;
        }
        self.by_key
            .get(&(
                rec.environment.clone(),
                rec.host.clone(),
                rec.key.as_str().to_string(),
            ))
            .filter(|a| a.covers(rec, now))
    }
}

/// The exit code of a run: 1 on a failure that is not acknowledged (or on any failure with
/// `strict`), else 3 on problems, else 0. `acknowledged` failures are part of `counts.fail`.
pub fn exit_code_with_acks(counts: &OutcomeCounts, acknowledged: u64, strict: bool) -> i32 {
    let failing = if strict {
        counts.fail
    } else {
        counts.fail.saturating_sub(acknowledged)
    };
    if failing > 0 {
        1
    } else if counts.problems() > 0 {
        3
    } else {
        0
    }
}

/// A reason or expiry a user gave that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckInputError {
    #[error("a reason is required (--reason \"why this drift is known\")")]
    NoReason,
    #[error(
        "expiry {given:?} is not understood: give a duration (3d, 12h, 2w) or a UTC date \
         (2026-12-24 or 2026-12-24T18:00)"
    )]
    Expiry { given: String },
    #[error("expiry {given:?} ({at}) is in the past; an acknowledgement must end in the future")]
    Past { given: String, at: String },
}

/// A non-empty reason (trimmed).
pub fn ack_reason(reason: &str) -> Result<String, AckInputError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AckInputError::NoReason);
    }
    Ok(r.to_string())
}

/// `3d`, `12h`, `2w` from `now`, or a UTC date (`2026-12-24`, end of that day excluded:
/// midnight UTC) or date and time (`2026-12-24T18:00`, `2026-12-24 18:00`, RFC 3339);
/// empty = the default of 7 days. A time not after `now` is refused.
pub fn parse_expiry(given: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AckInputError> {
    let s = given.trim();
    let at = if s.is_empty() {
        now + chrono::Duration::from_std(DEFAULT_ACK_EXPIRY).unwrap_or_default()
    } else if s.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(d) = super::parse_age(s)
        && !s.contains('-')
    {
        let d = chrono::Duration::from_std(d).map_err(|_| AckInputError::Expiry {
            given: s.to_string(),
        })?;
        now.checked_add_signed(d).ok_or(AckInputError::Expiry {
            given: s.to_string(),
        })?
    } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else if let Some(t) = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    {
        t.and_utc()
    } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or(AckInputError::Expiry {
                given: s.to_string(),
            })?
    } else {
        return Err(AckInputError::Expiry {
            given: s.to_string(),
        });
    };
    if at <= now {
        return Err(AckInputError::Past {
            given: s.to_string(),
            at: utc_minutes(at),
        });
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExecKey, Severity};
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn rec(outcome: Outcome, mode: &str) -> ResultRecord {
        ResultRecord {
            environment: "prod".into(),
            host: "db-01".into(),
            key: ExecKey("file.mode[path=/etc/x]".into()),
            check_id: "file.mode".into(),
            title: "t".into(),
            category: "files".into(),
            severity: Severity::High,
            outcome,
            expected: json!({"mode": "0644"}),
            actual: json!({ "mode": mode }),
            reason: None,
            duration: Duration::from_millis(1),
            sop: None,
        }
    }

    fn ack() -> Acknowledgement {
        Acknowledgement {
            environment: "prod".into(),
            host: "db-01".into(),
            key: "file.mode[path=/etc/x]".into(),
            actual: json!({"mode": "0640"}),
            reason: "vendor default".into(),
            user: "alice".into(),
            created_at: now(),
            expires_at: now() + chrono::Duration::days(7),
        }
    }

    #[test]
    fn covers_only_the_same_failing_value_before_expiry() {
        let book = AckBook::new([ack()]);
        assert!(
            book.covering_at(&rec(Outcome::Fail, "0640"), now())
                .is_some()
        );
        // another drift on the same check is not hidden
        assert!(
            book.covering_at(&rec(Outcome::Fail, "0600"), now())
                .is_none()
        );
        assert!(
            book.covering_at(&rec(Outcome::Pass, "0640"), now())
                .is_none()
        );
        let later = now() + chrono::Duration::days(8);
        assert!(
            book.covering_at(&rec(Outcome::Fail, "0640"), later)
                .is_none()
        );
    }

    #[test]
    fn acknowledged_failures_leave_the_exit_code_unless_strict() {
        let counts = OutcomeCounts {
            pass: 3,
            fail: 2,
            ..Default::default()
        };
        assert_eq!(exit_code_with_acks(&counts, 1, false), 1);
        assert_eq!(exit_code_with_acks(&counts, 2, false), 0);
        assert_eq!(exit_code_with_acks(&counts, 2, true), 1);
        let with_error = OutcomeCounts { error: 1, ..counts };
        assert_eq!(exit_code_with_acks(&with_error, 2, false), 3);
    }

    #[test]
    fn expiry_takes_durations_and_utc_dates_and_refuses_the_past() {
        let n = now();
        assert_eq!(parse_expiry("", n), Ok(n + chrono::Duration::days(7)));
        assert_eq!(parse_expiry("3d", n), Ok(n + chrono::Duration::days(3)));
        assert_eq!(parse_expiry("12h", n), Ok(n + chrono::Duration::hours(12)));
        assert_eq!(
            parse_expiry("2026-12-24", n).map(utc_minutes),
            Ok("2026-12-24 00:00 UTC".to_string())
        );
        assert_eq!(
            parse_expiry("2026-12-24T18:30", n).map(utc_minutes),
            Ok("2026-12-24 18:30 UTC".to_string())
        );
        assert_eq!(
            parse_expiry("2026-12-24T18:30:00+02:00", n).map(utc_minutes),
            Ok("2026-12-24 16:30 UTC".to_string())
        );
        assert!(matches!(
            parse_expiry("2026-11-30", n),
            Err(AckInputError::Past { .. })
        ));
        assert!(matches!(
            parse_expiry("0h", n),
            Err(AckInputError::Past { .. })
        ));
        assert!(matches!(
            parse_expiry("soon", n),
            Err(AckInputError::Expiry { .. })
        ));
        assert_eq!(ack_reason("  "), Err(AckInputError::NoReason));
        assert_eq!(ack_reason(" known "), Ok("known".to_string()));
    }
}
