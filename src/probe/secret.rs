//! Secrets stay out of the history: what a `secret = true` check reads from a file's content
//! or a command's output never leaves the probe layer in clear.
//!
//! [`redact`] replaces every content-derived attribute a module declares
//! ([`Module::content_attributes`](super::Module::content_attributes): contains hits and
//! nearest lines, sha256, command stdout/stderr) by `[redacted:<salted hash>]`. The hash is
//! keyed by a salt ([`set_salt`]: the history's own, so the same secret hashes the same in
//! every run of that history and a change still shows) and never the bare content digest,
//! which could be looked up. Metadata (exists, mode, owner, size, exit status) stays visible.
//!
//! It runs in [`super::batch::evaluate`], before a verdict becomes a record, so the SQLite
//! history, every report format and the TUI all only ever see the redacted form.
//!
//! Independent of `secret = true`: the nearest-lines hint of a `contains` miss is capped in
//! length and never taken from [`sensitive_path`]s unless the check says `secret = false`.

use crate::model::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// How a redacted value starts; what tests and users grep for.
pub const REDACTED: &str = "[redacted";

/// Longest nearest-line hint shown for a `contains` miss, in characters.
pub const NEAREST_MAX_CHARS: usize = 120;

static SALT: OnceLock<Vec<u8>> = OnceLock::new();

/// Set the salt of this process's redactions (once; later calls are ignored). A front end
/// sets the history's salt before a run; without one a random per-process salt is used, so
/// hashes are still salted, just not comparable across runs.
pub fn set_salt(salt: &[u8]) {
    let _ = SALT.set(salt.to_vec());
}

fn salt() -> &'static [u8] {
    SALT.get_or_init(|| {
        // RandomState is seeded from the OS's randomness for each process.
        use std::hash::{BuildHasher, Hasher};
        let mut out = Vec::with_capacity(32);
        for i in 0..4u64 {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(i);
            out.extend_from_slice(&h.finish().to_le_bytes());
        }
        out
    })
}

/// The redacted form of one observed value: `[redacted:<16 hex of sha256(salt ‖ value)>]`.
/// `null` (nothing observed) stays `null`.
pub fn redact_value(v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let mut h = Sha256::new();
    h.update(salt());
    h.update([0u8]);
    h.update(v.to_string().as_bytes());
    let digest = h.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Value::String(format!("{REDACTED}:{hex}]"))
}

/// Redact the content-derived attributes `content` of an `actual` object in place.
pub fn redact(actual: &mut Value, content: &[&str]) {
    let Value::Object(map) = actual else {
        return;
    };
    for (attr, v) in map.iter_mut() {
        if content.contains(&attr.as_str()) {
            *v = redact_value(v);
        }
    }
}

/// Files whose lines are never shown as a `contains` miss's nearest lines unless the check
/// says `secret = false`: the shadow files and any path with `key` in a component.
pub fn sensitive_path(path: &str) -> bool {
    let base = path.trim_end_matches('/');
    matches!(
        base,
        "/etc/shadow" | "/etc/gshadow" | "/etc/shadow-" | "/etc/gshadow-"
    ) || path.to_ascii_lowercase().contains("key")
}

/// A nearest line cut to [`NEAREST_MAX_CHARS`] (with `…` when cut).
pub fn cap_line(line: &str) -> String {
    match line.char_indices().nth(NEAREST_MAX_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redaction_hides_content_keeps_metadata_and_tracks_change() {
        let mut a =
            json!({"mode": "0600", "sha256": "ab12", "contains": ["line 1: token=hunter2"]});
        let before = a.clone();
        redact(&mut a, &["sha256", "contains"]);
        assert_eq!(a["mode"], "0600");
        let text = a.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("ab12"),
            "{text}"
        );
        assert!(a["sha256"].as_str().unwrap().starts_with(REDACTED));
        // Same content, same hash (comparable over runs); other content, other hash.
        let mut again = before.clone();
        redact(&mut again, &["sha256", "contains"]);
        assert_eq!(a, again);
        let mut other = json!({"sha256": "ab13"});
        redact(&mut other, &["sha256"]);
        assert_ne!(other["sha256"], a["sha256"]);
        // Nothing observed stays nothing.
        assert_eq!(redact_value(&Value::Null), Value::Null);
        // Not the bare digest of the value: salted.
        let bare = format!("{:x}", Sha256::digest(json!("ab12").to_string().as_bytes()));
        assert!(!a["sha256"].as_str().unwrap().contains(&bare[..16]));
    }

    #[test]
    fn sensitive_paths_and_line_cap() {
        for p in [
            "/etc/shadow",
            "/etc/gshadow",
            "/etc/ssl/private/server.key",
            "/root/.ssh/authorized_keys",
            "/etc/KEYS/x",
        ] {
            assert!(sensitive_path(p), "{p}");
        }
        for p in [
            "/etc/passwd",
            "/etc/ssh/sshd_config",
            "/etc/shadowsocks.conf",
        ] {
            assert!(!sensitive_path(p), "{p}");
        }
        assert_eq!(cap_line("short"), "short");
        let long = "é".repeat(NEAREST_MAX_CHARS + 5);
        let capped = cap_line(&long);
        assert_eq!(capped.chars().count(), NEAREST_MAX_CHARS + 1);
        assert!(capped.ends_with('…'));
    }
}
