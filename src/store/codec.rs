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

/// Hash a JSON value by structure (no serialization): equal values hash equal.
pub fn hash_json<H: std::hash::Hasher>(v: &serde_json::Value, h: &mut H) {
    use serde_json::Value as V;
    use std::hash::Hash;
    match v {
        V::Null => h.write_u8(0),
        V::Bool(b) => h.write_u8(1 + u8::from(*b)),
        V::Number(n) => {
            h.write_u8(3);
            if let Some(i) = n.as_i64() {
                h.write_i64(i);
            } else if let Some(u) = n.as_u64() {
                h.write_u64(u);
            } else {
                h.write_u64(n.as_f64().unwrap_or(0.0).to_bits());
            }
        }
        V::String(s) => {
            h.write_u8(4);
            s.hash(h);
        }
        V::Array(a) => {
            h.write_u8(5);
            h.write_usize(a.len());
            for x in a {
                hash_json(x, h);
            }
        }
        V::Object(m) => {
            h.write_u8(6);
            h.write_usize(m.len());
            for (k, x) in m {
                k.hash(h);
                hash_json(x, h);
            }
        }
    }
}

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
}
