//! In-memory interning for the results table: each distinct string, check definition and
//! value is kept once and named by a dense `u32`, so a row is a few integers. Uses the
//! store's fast hasher ([`crate::store::FastBuild`]); the store's own interning maps to
//! SQLite ids inside a transaction, this one to dense ids in memory.

use crate::model::{Severity, Value};
use crate::store::{FastBuild, FastMap};
use std::hash::{BuildHasher, Hash, Hasher};

/// Items by dense id, found again by a 64-bit hash and an equality test (no second copy of
/// the item as a map key).
#[derive(Debug)]
pub struct Interner<T> {
    items: Vec<T>,
    by_hash: FastMap<u64, u32>,
    /// Items whose hash another item already had (rare): (hash, id).
    collided: Vec<(u64, u32)>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            items: Vec::new(),
            by_hash: FastMap::default(),
            collided: Vec::new(),
        }
    }
}

impl<T> Interner<T> {
    /// The id of the item with `hash` for which `eq` holds.
    pub fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<u32> {
        let first = *self.by_hash.get(&hash)?;
        if self.items.get(first as usize).is_some_and(&eq) {
            return Some(first);
        }
        self.collided
            .iter()
            .filter(|(h, _)| *h == hash)
            .map(|(_, id)| *id)
            .find(|id| self.items.get(*id as usize).is_some_and(&eq))
    }

    /// The id of the item `eq` recognises, adding `make()` when there is none.
    pub fn intern_with(
        &mut self,
        hash: u64,
        eq: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> u32 {
        if let Some(id) = self.find(hash, eq) {
            return id;
        }
        let id = self.items.len() as u32;
        self.items.push(make());
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => self.collided.push((hash, id)),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(id);
            }
        }
        id
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items.iter().enumerate().map(|(i, t)| (i as u32, t))
    }
}

fn hash_of(f: impl FnOnce(&mut dyn Hasher)) -> u64 {
    let mut h = FastBuild::default().build_hasher();
    f(&mut h);
    h.finish()
}

/// The hash strings are interned under.
pub fn str_hash(s: &str) -> u64 {
    hash_of(|h| s.hash(&mut HashWrite(h)))
}

/// Lets `Hash::hash` write into a `dyn Hasher`.
struct HashWrite<'a>(&'a mut dyn Hasher);

impl Hasher for HashWrite<'_> {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

/// Distinct strings.
pub type Strings = Interner<Box<str>>;

impl Strings {
    pub fn intern(&mut self, s: &str) -> u32 {
        self.intern_with(str_hash(s), |x| &**x == s, || s.into())
    }
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.find(str_hash(s), |x| &**x == s)
    }
    /// The string of an id (empty for an unknown one).
    pub fn str(&self, id: u32) -> &str {
        self.get(id).map(|s| &**s).unwrap_or("")
    }
}

/// What a check key stands for (its newest definition seen).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInfo {
    /// The execution key (an id in [`Strings`] of keys).
    pub key: u32,
    pub check_id: Box<str>,
    pub title: Box<str>,
    /// An id in [`Strings`] of categories.
    pub category: u32,
    pub severity: Severity,
    pub sop: Option<Box<str>>,
}

/// The hash check definitions are interned under.
pub fn check_hash(
    key: u32,
    check_id: &str,
    title: &str,
    category: u32,
    severity: Severity,
    sop: Option<&str>,
) -> u64 {
    hash_of(|h| {
        let mut w = HashWrite(h);
        key.hash(&mut w);
        check_id.hash(&mut w);
        title.hash(&mut w);
        category.hash(&mut w);
        (severity as u8).hash(&mut w);
        sop.hash(&mut w);
    })
}

/// Expected, actual and reason of a result: the part of a row that varies most.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub expected: Value,
    pub actual: Value,
    pub reason: Option<Box<str>>,
}

/// The hash observed values are interned under: a walk of the JSON trees (no text is built).
pub fn observed_hash(expected: &Value, actual: &Value, reason: Option<&str>) -> u64 {
    hash_of(|h| {
        let mut w = HashWrite(h);
        hash_value(expected, &mut w);
        hash_value(actual, &mut w);
        reason.hash(&mut w);
    })
}

fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(u8::from(*b));
        }
        Value::Number(n) => {
            h.write_u8(2);
            match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => h.write_i64(i),
                (_, Some(u), _) => h.write_u64(u),
                (_, _, Some(f)) => h.write_u64(f.to_bits()),
                _ => {}
            }
        }
        Value::String(s) => {
            h.write_u8(3);
            s.hash(h);
        }
        Value::Array(a) => {
            h.write_u8(4);
            h.write_usize(a.len());
            a.iter().for_each(|x| hash_value(x, h));
        }
        Value::Object(m) => {
            h.write_u8(5);
            h.write_usize(m.len());
            for (k, x) in m {
                k.hash(h);
                hash_value(x, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_items_get_one_id_and_collisions_are_told_apart() {
        let mut s = Strings::default();
        let a = s.intern("db-01");
        assert_eq!(s.intern("db-01"), a);
        let b = s.intern("db-02");
        assert_ne!(a, b);
        assert_eq!((s.str(a), s.lookup("db-02")), ("db-01", Some(b)));
        // two different items forced under one hash stay apart
        let mut i: Interner<u32> = Interner::default();
        let x = i.intern_with(7, |v| *v == 1, || 1);
        let y = i.intern_with(7, |v| *v == 2, || 2);
        assert_ne!(x, y);
        assert_eq!(i.find(7, |v| *v == 2), Some(y));
        assert_eq!(i.find(7, |v| *v == 3), None);
    }

    #[test]
    fn observed_values_hash_by_content() {
        let e = json!({"value": "1"});
        let a1 = json!({"value": "0", "n": 3});
        let a2 = json!({"n": 3, "value": "0"});
        assert_eq!(observed_hash(&e, &a1, None), observed_hash(&e, &a2, None));
        assert_ne!(
            observed_hash(&e, &a1, None),
            observed_hash(&e, &a1, Some("why"))
        );
        assert_ne!(
            observed_hash(&e, &json!({"value": "0"}), None),
            observed_hash(&e, &json!({"value": 0}), None)
        );
    }
}
