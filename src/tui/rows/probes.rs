//! The probe target of each planned host × key (what the detail pane shows under "probe"),
//! kept compactly: a key's target is stored once, and only hosts whose target for that key
//! differs (a `{vars.…}` subject) get an entry of their own — a million planned executions
//! over a thousand keys cost a thousand entries, not a million.

use super::intern::{Interner, Strings};
use crate::model::{ExecKey, ProbeTarget};
use crate::store::{FastBuild, FastMap};
use std::hash::BuildHasher;

/// Probe targets by host × key.
#[derive(Debug, Default)]
pub struct ProbeIndex {
    hosts: Strings,
    keys: Strings,
    targets: Interner<ProbeTarget>,
    /// The first target seen for a key.
    by_key: FastMap<u32, u32>,
    /// Hosts whose target for a key is another one.
    by_host_key: FastMap<(u32, u32), u32>,
    planned: usize,
}

impl ProbeIndex {
    /// The targets of one planned host.
    pub fn insert_host(&mut self, host: &str, targets: Vec<(ExecKey, ProbeTarget)>) {
        let h = self.hosts.intern(host);
        for (key, target) in targets {
            self.insert_for(h, key.as_str(), target);
        }
    }

    pub fn insert(&mut self, host: &str, key: &str, target: ProbeTarget) {
        let h = self.hosts.intern(host);
        self.insert_for(h, key, target);
    }

    fn insert_for(&mut self, h: u32, key: &str, target: ProbeTarget) {
        let k = self.keys.intern(key);
        let hash = FastBuild::default().hash_one(&target);
        let t = self
            .targets
            .find(hash, |x| *x == target)
            .unwrap_or_else(|| self.targets.intern_with(hash, |_| false, || target));
        self.planned += 1;
        match self.by_key.get(&k) {
            None => {
                self.by_key.insert(k, t);
            }
            Some(&first) if first == t => {
                self.by_host_key.remove(&(h, k));
            }
            Some(_) => {
                self.by_host_key.insert((h, k), t);
            }
        }
    }

    pub fn get(&self, host: &str, key: &str) -> Option<&ProbeTarget> {
        let k = self.keys.lookup(key)?;
        let own = self
            .hosts
            .lookup(host)
            .and_then(|h| self.by_host_key.get(&(h, k)));
        let id = match own {
            Some(id) => *id,
            // a host never planned has no target
            None if self.hosts.lookup(host).is_some() => *self.by_key.get(&k)?,
            None => return None,
        };
        self.targets.get(id)
    }

    /// How many host × key targets were recorded.
    pub fn len(&self) -> usize {
        self.planned
    }

    pub fn is_empty(&self) -> bool {
        self.planned == 0
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
        let other = ProbeTarget {
            module: ModuleKind::Sysctl,
            subject: "kernel.hostname".into(),
        };
        p.insert("h1", "k", t.clone());
        p.insert("h2", "k", t.clone());
        p.insert("h3", "k", other.clone());
        assert_eq!(p.get("h2", "k"), Some(&t));
        assert_eq!(p.get("h3", "k"), Some(&other), "a host's own target");
        assert_eq!(p.get("h4", "k"), None, "never planned");
        assert_eq!(p.len(), 3);
    }
}
