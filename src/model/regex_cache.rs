//! Compiled regexes shared by every execution that spells the same pattern. A pattern is
//! compiled each time a check is expanded for a host (matchers) or evaluated (a file's
//! `contains`, a process `args:`), i.e. once per host per run — and again on every re-check.
//! Compiling dominated driftscope's own CPU in a warm fleet re-check (about half of it,
//! measured with `perf` over `examples/fleet_warm`), while the patterns are few and repeat.
//! `Regex` clones share their compiled program, so a hit costs a hash lookup and a clone.

use regex::Regex;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Patterns kept at most; the cache is emptied when full (patterns that differ per host,
/// e.g. with `{host}` in them, cannot grow it without bound).
const CAPACITY: usize = 4096;

static CACHE: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Default::default);

/// `Regex::new(pattern)`, compiled once per distinct pattern.
pub fn compiled(pattern: &str) -> Result<Regex, regex::Error> {
    if let Ok(cache) = CACHE.lock()
        && let Some(re) = cache.get(pattern)
    {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern)?;
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_pattern_same_answers_and_errors_stay_errors() {
        let a = compiled("^log_level=(info|warn)$").unwrap();
        let b = compiled("^log_level=(info|warn)$").unwrap();
        assert!(a.is_match("log_level=info") && b.is_match("log_level=warn"));
        assert!(!b.is_match("log_level=debug"));
        assert!(compiled("(unclosed").is_err());
        assert!(
            compiled("(unclosed").is_err(),
            "an error is never cached as a match"
        );
    }

    #[test]
    fn the_cache_stays_bounded() {
        for i in 0..(CAPACITY + 10) {
            assert!(
                compiled(&format!("^host{i}$"))
                    .unwrap()
                    .is_match(&format!("host{i}"))
            );
        }
        assert!(CACHE.lock().unwrap().len() <= CAPACITY);
    }
}
