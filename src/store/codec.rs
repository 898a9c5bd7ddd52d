//! How model values are encoded in columns: small integers for outcomes and severities,
//! unix milliseconds for times, a stable 64-bit hash for interned values.

use crate::model::{Outcome, Severity};
use chrono::{DateTime, TimeZone, Utc};

/// Outcome → column value. `pass` is 0 and `fail` 1: SQLite stores 0 and 1 in zero bytes.
pub fn outcome_code(o: Outcome) -> i64 {
    match o {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Error => 2,
        Outcome::Unreachable => 3,
        Outcome::Timeout => 4,
        Outcome::SudoDenied => 5,
        Outcome::NotApplicable => 6,
    }
}

/// Column value → outcome; unknown codes (a newer writer) read as `error`.
pub fn outcome_from(code: i64) -> Outcome {
    match code {
        0 => Outcome::Pass,
        1 => Outcome::Fail,
        3 => Outcome::Unreachable,
        4 => Outcome::Timeout,
        5 => Outcome::SudoDenied,
        6 => Outcome::NotApplicable,
        _ => Outcome::Error,
    }
}

/// True when the host was not reached at all (no probe ran).
pub fn not_reached(o: Outcome) -> bool {
    matches!(o, Outcome::Unreachable | Outcome::Timeout)
}

pub fn severity_code(s: Severity) -> i64 {
    match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

pub fn severity_from(code: i64) -> Severity {
    match code {
        0 => Severity::Critical,
        1 => Severity::High,
        3 => Severity::Low,
        4 => Severity::Info,
        _ => Severity::Medium,
    }
}

pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// FNV-1a, 64 bit: stable across Rust versions (unlike `DefaultHasher`), stored on disk.
pub fn stable_hash(parts: &[&[u8]]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// A fast non-cryptographic hasher for the writer's in-memory caches (the keys are ours, not
/// attacker-chosen, so SipHash's DoS resistance buys nothing on this hot path).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ (rest.len() as u64) << 56);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // Final avalanche so low bits (what hashbrown uses) depend on every input bit.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

pub type FastBuild = std::hash::BuildHasherDefault<FastHasher>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastBuild>;
pub type FastSet<K> = std::collections::HashSet<K, FastBuild>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(outcome_from(outcome_code(o)), o);
        }
        for s in Severity::ALL {
            assert_eq!(severity_from(severity_code(s)), s);
        }
    }

    #[test]
    fn hash_separates_parts() {
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
        assert_eq!(stable_hash(&[b"x"]), stable_hash(&[b"x"]));
    }

    #[test]
    fn the_codes_on_disk_never_change() {
        // Databases written by earlier versions hold these numbers.
        let outcomes = [
            (Outcome::Pass, 0),
            (Outcome::Fail, 1),
            (Outcome::Error, 2),
            (Outcome::Unreachable, 3),
            (Outcome::Timeout, 4),
            (Outcome::SudoDenied, 5),
            (Outcome::NotApplicable, 6),
        ];
        for (o, code) in outcomes {
            assert_eq!(outcome_code(o), code, "{o:?}");
            assert_eq!(outcome_from(code), o, "{code}");
        }
        let severities = [
            (Severity::Critical, 0),
            (Severity::High, 1),
            (Severity::Medium, 2),
            (Severity::Low, 3),
            (Severity::Info, 4),
        ];
        for (s, code) in severities {
            assert_eq!(severity_code(s), code, "{s:?}");
            assert_eq!(severity_from(code), s, "{code}");
        }
        // A newer writer's codes read as the safe defaults.
        assert_eq!(outcome_from(7), Outcome::Error);
        assert_eq!(outcome_from(-1), Outcome::Error);
        assert_eq!(severity_from(9), Severity::Medium);
    }

    #[test]
    fn only_unreachable_and_timeout_mean_not_reached() {
        for o in Outcome::ALL {
            let want = matches!(o, Outcome::Unreachable | Outcome::Timeout);
            assert_eq!(not_reached(o), want, "{o:?}");
        }
    }

    #[test]
    fn times_are_unix_milliseconds() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 4, 15, 0).unwrap()
            + chrono::Duration::milliseconds(123);
        assert_eq!(to_ms(t), 1_796_184_900_123);
        assert_eq!(from_ms(1_796_184_900_123), t);
        assert_eq!(from_ms(-1_000).to_rfc3339(), "1969-12-31T23:59:59+00:00");
        // Out of chrono's range: the epoch, not a panic.
        assert_eq!(from_ms(i64::MAX), DateTime::<Utc>::UNIX_EPOCH);
    }

    #[test]
    fn the_stable_hash_is_fnv1a_with_a_part_separator() {
        // Stored on disk: these values must never change. Reference values from an
        // independent FNV-1a (64 bit) in Python, each part followed by the byte 0xff.
        for (parts, want) in [
            (&[][..], 0xcbf2_9ce4_8422_2325_u64),
            (&[&b""[..]][..], 0xaf64_724c_8602_eb6e),
            (&[&b"a"[..]][..], 0x089b_c907_b544_c769),
            (&[&b"a"[..], &b"b"[..]][..], 0xd2b3_7181_9297_f98a),
            (&[&b"ab"[..]][..], 0xe720_2e19_0542_452f),
            (
                &[&b"host-01"[..], &b"ssh.root"[..]][..],
                0x5b03_eb76_aaa1_397b,
            ),
        ] {
            assert_eq!(stable_hash(parts), want as i64, "{parts:?}");
        }
    }
}
