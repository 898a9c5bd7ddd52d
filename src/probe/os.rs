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
}
