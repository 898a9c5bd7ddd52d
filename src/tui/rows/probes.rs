//! The probe target of each planned host × key (what the detail pane shows under "probe"),
//! kept compactly: a million planned executions are two interned ids and a target id each,
//! not a million copies of host, key and subject strings.

use super::intern::{Interner, Strings};
use crate::model::ProbeTarget;
use crate::store::{FastBuild, FastMap};
use std::hash::BuildHasher;

/// Probe targets by host × key.
#[derive(Debug, Default)]
pub struct ProbeIndex {
    hosts: Strings,
    keys: Strings,
    targets: Interner<ProbeTarget>,
    by: FastMap<(u32, u32), u32>,
}

impl ProbeIndex {
    pub fn insert(&mut self, host: &str, key: &str, target: ProbeTarget) {
        let h = self.hosts.intern(host);
        let k = self.keys.intern(key);
        let hash = FastBuild::default().hash_one(&target);
        let t = self
            .targets
            .find(hash, |x| *x == target)
            .unwrap_or_else(|| self.targets.intern_with(hash, |_| false, || target));
        self.by.insert((h, k), t);
    }

    pub fn get(&self, host: &str, key: &str) -> Option<&ProbeTarget> {
        let id = self
            .by
            .get(&(self.hosts.lookup(host)?, self.keys.lookup(key)?))?;
        self.targets.get(*id)
    }

    pub fn len(&self) -> usize {
        self.by.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModuleKind;

    #[test]
    fn targets_are_found_by_host_and_key() {
        let mut p = ProbeIndex::default();
        let t = ProbeTarget {
            module: ModuleKind::Sysctl,
            subject: "kernel.ostype".into(),
        };
        p.insert("h1", "k", t.clone());
        p.insert("h2", "k", t.clone());
        assert_eq!(p.get("h2", "k"), Some(&t));
        assert_eq!(p.get("h3", "k"), None);
        assert_eq!(p.len(), 2);
    }
}
