//! os: the operating system of the host — `id`, `id_like`, `version` (VERSION_ID),
//! `codename`, `name` (PRETTY_NAME) from `/etc/os-release` (or `/usr/lib/os-release`), and the
//! running `kernel` release from `/proc/sys/kernel/osrelease`. The subject is `"release"`; a
//! check must say what it expects (no default).
//!
//! Runs nothing of its own: the host's shared read ([`super::reads`]) reads the three files.
//! Programs run on the host: none.

use super::{Attributes, Module, Observation, Probe, Programs, Read, Reads};
use crate::model::{ModuleKind, Value};

pub struct Os;

/// Programs this module runs on the host (the shared read's `grep` aside).
pub const PROGRAMS: &[&str] = &[];

const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
const KERNEL: &str = "/proc/sys/kernel/osrelease";

/// `KEY=value` with shell-style quoting (os-release(5)): `"…"` with `\"`, `\\`, `\$`, `` \` ``
/// escapes, or `'…'`.
fn unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
        return inner.to_string();
    }
    let Some(inner) = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return v.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Module for Os {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Os
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["id", "id_like", "version", "codename", "name", "kernel"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("id", Value::Null) // never used: requires_expect
    }
    fn requires_expect(&self) -> bool {
        true
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject != "release" {
            return Err(format!(
                "the os module's subject is \"release\", found {subject:?}"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        0
    }
    fn fragment(&self, _probes: &[Probe]) -> String {
        "echo '@@END'".into()
    }
    fn reads(&self, _probes: &[Probe]) -> Vec<Read> {
        OS_RELEASE
            .iter()
            .chain([&KERNEL])
            .map(|p| Read::System(p.to_string()))
            .collect()
    }
    fn parse_reads(&self, _output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        let release = OS_RELEASE.iter().find_map(|p| reads.lines(p));
        let obs = match release {
            None if !reads.complete() => {
                Observation::Error("os-release was not read (output cut short)".into())
            }
            None => Observation::NotApplicable(
                "no /etc/os-release or /usr/lib/os-release on this host".into(),
            ),
            Some(lines) => {
                let mut fields = std::collections::BTreeMap::new();
                for (_, line) in lines {
                    let line = String::from_utf8_lossy(line);
                    if let Some((k, v)) = line.split_once('=')
                        && !k.trim_start().starts_with('#')
                    {
                        fields.insert(k.trim().to_string(), unquote(v));
                    }
                }
                let text = |k: &str| {
                    fields
                        .get(k)
                        .map_or(Value::Null, |v| Value::String(v.clone()))
                };
                let id_like: Vec<Value> = fields
                    .get("ID_LIKE")
                    .map(|v| v.split_whitespace().map(Value::from).collect())
                    .unwrap_or_default();
                let kernel = reads
                    .lines(KERNEL)
                    .and_then(|l| l.first())
                    .map_or(Value::Null, |(_, v)| {
                        Value::String(String::from_utf8_lossy(v).trim().to_string())
                    });
                let mut a = Attributes::new();
                a.insert("id".into(), text("ID"));
                a.insert("id_like".into(), Value::Array(id_like));
                a.insert("version".into(), text("VERSION_ID"));
                a.insert("codename".into(), text("VERSION_CODENAME"));
                a.insert("name".into(), text("PRETTY_NAME"));
                a.insert("kernel".into(), kernel);
                Observation::Observed(a)
            }
        };
        vec![obs; probes.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_debian_and_rocky_os_release() {
        // Debian 12 as captured on the build VM; the second is Rocky Linux 9's file.
        let p = [Probe::new("release", &["id"])];
        let debian = Os.parse(include_bytes!("testdata/os/debian12.out"), &p);
        let get = |o: &[Observation], a: &str| crate::probe::observed_attr(o, 0, a);
        assert_eq!(get(&debian, "id"), json!("debian"));
        assert_eq!(get(&debian, "version"), json!("12"));
        assert_eq!(get(&debian, "codename"), json!("bookworm"));
        assert_eq!(get(&debian, "id_like"), json!([]));
        assert!(get(&debian, "kernel").as_str().unwrap().starts_with("6."));
        let rocky = Os.parse(include_bytes!("testdata/os/rocky9.out"), &p);
        assert_eq!(get(&rocky, "id"), json!("rocky"));
        assert_eq!(get(&rocky, "id_like"), json!(["rhel", "centos", "fedora"]));
        assert_eq!(get(&rocky, "version"), json!("9.3"));
        assert_eq!(get(&rocky, "name"), json!("Rocky Linux 9.3 (Blue Onyx)"));
        // Nothing read at all but the read completed: not an os-release system.
        let none = Os.parse(b"@@END\n@@READS\n@@READEND\n", &p);
        assert!(matches!(none[0], Observation::NotApplicable(_)));
        let cut = Os.parse(b"@@END\n@@READS\n", &p);
        assert!(matches!(cut[0], Observation::Error(_)));
    }

    #[test]
    fn quoting_and_subject() {
        assert_eq!(unquote(r#""a \"b\" \$c""#), r#"a "b" $c"#);
        assert_eq!(unquote("'x y'"), "x y");
        assert_eq!(unquote("plain"), "plain");
        assert!(Os.validate_subject("release").is_ok());
        assert!(Os.validate_subject("kernel").is_err());
    }

    #[test]
    fn contract_an_os_check_says_what_it_expects() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Os,
            Programs::Only(&[]),
            &["id", "id_like", "version", "codename", "name", "kernel"],
            ("id", Value::Null),
        );
        assert!(Os.requires_expect());
        assert_eq!(Os.cost(&[]), 0);
        let e = Os.validate_subject("kernel").unwrap_err();
        assert_eq!(
            e,
            "the os module's subject is \"release\", found \"kernel\""
        );
    }

    /// os-release(5)'s escapes: `\"`, `\\`, `\$` and `` \` `` stand for the character; any
    /// other backslash stays; comments are skipped; /usr/lib/os-release is the fallback.
    #[test]
    fn escapes_comments_and_the_fallback_file() {
        assert_eq!(unquote(r#""a\\b \`c\` \n d\""#), "a\\b `c` \\n d\\");
        let capture = "@@END\n@@READS\n\
             /usr/lib/os-release\x001:# ID=commented\n\
             /usr/lib/os-release\x002:ID=alpine\n\
             /usr/lib/os-release\x003:  #VERSION_ID=1\n\
             /proc/sys/kernel/osrelease\x001:6.1.0-13-amd64 \n\
             @@READEND\n";
        let obs = Os.parse(capture.as_bytes(), &[Probe::new("release", &["id"])]);
        let get = |a: &str| crate::probe::observed_attr(&obs, 0, a);
        assert_eq!(get("id"), json!("alpine"));
        assert_eq!(get("version"), Value::Null);
        assert_eq!(get("kernel"), json!("6.1.0-13-amd64"));
    }

    /// This machine's os-release and kernel through the real probe script.
    #[test]
    fn the_real_release_here() {
        use crate::probe::test_support::{exec, run_here};
        let Ok(kernel) = std::fs::read_to_string(KERNEL) else {
            return;
        };
        let v = run_here(&[exec(
            ModuleKind::Os,
            "release",
            &[("kernel", json!(kernel.trim()))],
        )]);
        assert_eq!(v[0].outcome, crate::model::Outcome::Pass, "{v:?}");
    }
}
