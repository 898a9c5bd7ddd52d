//! user: ONE `getent passwd` for all users (NSS-aware: LDAP/SSSD users count); the `groups`
//! attribute, only when a check names it, adds ONE `getent group` enumeration from which
//! every user's supplementary groups are computed (plus the primary group).
//!
//! Where NSS enumeration of groups is disabled (some LDAP setups), `groups` lists only the
//! groups the host enumerates.

use super::quote::sh_quote_all;
use super::{Module, Observation, Probe, Programs, Reads, finish, lossy_lines, observed};
use crate::model::{ModuleKind, Value};

pub struct User;

/// A name NSS can look up: no `:`, whitespace or leading `-`.
pub(crate) fn validate_account_name(kind: &str, subject: &str) -> Result<(), String> {
    if subject.is_empty()
        || subject.starts_with('-')
        || subject
            .chars()
            .any(|c| c == ':' || c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "not a {kind} name: {subject:?} (expected a name like `root`, without `:`, `/`, spaces or a leading `-`)"
        ));
    }
    Ok(())
}

/// `(name, gid, members)` of every `getent group` line.
pub(crate) fn group_rows(lines: &[String]) -> Vec<(String, String, Vec<String>)> {
    lines
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 || f[0].starts_with('@') {
                return None;
            }
            let members = f[3]
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            Some((f[0].to_string(), f[2].to_string(), members))
        })
        .collect()
}

impl Module for User {
    fn kind(&self) -> ModuleKind {
        ModuleKind::User
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["getent"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists", "uid", "gid", "home", "shell", "groups"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        validate_account_name("user", subject)
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let names = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
        let mut s = format!("getent passwd -- {names} 2>/dev/null; echo \"@@RC $?\"");
        if probes.iter().any(|p| p.wants("groups")) {
            s.push_str("\necho '@@GROUPS'; getent group 2>/dev/null; echo \"@@GRC $?\"");
        }
        s
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let lines = lossy_lines(output);
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return finish(vec![None; probes.len()], "getent passwd");
        };
        let rc: i32 = lines[rc_at][5..].trim().parse().unwrap_or(-1);
        if rc != 0 && rc != 2 {
            let why = if rc == 127 {
                "getent is not installed".to_string()
            } else {
                format!("getent passwd failed (exit {rc})")
            };
            return vec![Observation::Error(why); probes.len()];
        }
        let groups = lines.iter().position(|l| l == "@@GROUPS").map(|g| {
            let end = lines
                .iter()
                .position(|l| l.starts_with("@@GRC "))
                .unwrap_or(lines.len());
            group_rows(&lines[g + 1..end.max(g + 1)])
        });
        let mut slots = vec![None; probes.len()];
        for l in &lines[..rc_at] {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                continue;
            }
            // `getent passwd 0` answers with root: match names, not keys.
            let Some(i) = probes.iter().position(|p| p.subject == f[0]) else {
                continue;
            };
            let user_groups = match &groups {
                Some(rows) => Value::Array(
                    rows.iter()
                        .filter(|(_, gid, members)| {
                            gid == f[3] || members.iter().any(|m| m == f[0])
                        })
                        .map(|(g, _, _)| Value::String(g.clone()))
                        .collect(),
                ),
                None => Value::Null,
            };
            slots[i] = Some(observed([
                ("exists", Value::Bool(true)),
                ("uid", Value::from(f[2].parse::<u64>().unwrap_or(u64::MAX))),
                ("gid", Value::from(f[3].parse::<u64>().unwrap_or(u64::MAX))),
                ("home", Value::from(f[5])),
                ("shell", Value::from(f[6])),
                ("groups", user_groups),
            ]));
        }
        for slot in slots.iter_mut().filter(|s| s.is_none()) {
            *slot = Some(observed([
                ("exists", Value::Bool(false)),
                ("uid", Value::Null),
                ("gid", Value::Null),
                ("home", Value::Null),
                ("shell", Value::Null),
                ("groups", Value::Null),
            ]));
        }
        finish(slots, "getent passwd")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get(o: &Observation, a: &str) -> Value {
        match o {
            Observation::Observed(m) => m[a].clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn real_getent_output() {
        let out = include_bytes!("testdata/user/getent.out");
        let p: Vec<Probe> = ["root", "nobody", "sshd", "nosuchuser", "0", "daemon"]
            .iter()
            .map(|n| Probe::new(n, &["uid", "groups"]))
            .collect();
        let obs = User.parse(out, &p);
        assert_eq!(get(&obs[0], "uid"), json!(0));
        assert_eq!(get(&obs[0], "home"), json!("/root"));
        assert_eq!(get(&obs[0], "shell"), json!("/bin/bash"));
        assert_eq!(get(&obs[0], "groups"), json!(["root"]));
        assert_eq!(get(&obs[1], "uid"), json!(65534));
        assert_eq!(get(&obs[2], "exists"), json!(true));
        assert_eq!(get(&obs[3], "exists"), json!(false));
        assert_eq!(
            get(&obs[4], "exists"),
            json!(false),
            "uid 0 is not a user name"
        );
        let daemon_groups = get(&obs[5], "groups");
        assert!(daemon_groups.as_array().unwrap().contains(&json!("daemon")));
    }

    #[test]
    fn missing_getent_and_cut_output() {
        let p = vec![Probe::new("root", &["exists"])];
        let obs = User.parse(b"@@RC 127\n", &p);
        assert!(matches!(&obs[0], Observation::Error(e) if e.contains("not installed")));
        let obs = User.parse(b"root:x:0:0:root:/root:/bin/ba", &p);
        assert!(matches!(&obs[0], Observation::Error(_)));
        assert!(
            User.validate_subject("a:b")
                .unwrap_err()
                .contains("user name")
        );
    }

    #[test]
    fn contract_and_account_names() {
        crate::probe::test_support::assert_contract(
            ModuleKind::User,
            Programs::Only(&["getent"]),
            &["exists", "uid", "gid", "home", "shell", "groups"],
            ("exists", Value::Bool(true)),
        );
        for ok in ["root", "www-data", "svc.backup", "user$"] {
            assert!(User.validate_subject(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-r", "a:b", "a/b", "a b", "a\tb", "a\u{7}b"] {
            let e = User.validate_subject(bad).unwrap_err();
            assert!(e.contains("not a user name"), "{bad:?}: {e}");
        }
    }

    /// Supplementary groups come from the members lists, the primary group from the gid; a
    /// line that is not a group (too short, our own `@` markers) is skipped.
    #[test]
    fn groups_from_members_and_primary_gid() {
        let out = b"alice:x:1000:1000:Alice:/home/alice:/bin/zsh\n\
                    bob:x:1001:100::/home/bob:/bin/sh\n\
                    short:line\n\
                    @@RC 0\n@@GROUPS\n\
                    @x:x:9:alice\n\
                    alice:x:1000:\n\
                    users:x:100:\n\
                    docker:x:999:alice,bob\n\
                    wheel:x:10:,bob\n\
                    bad:x\n\
                    @@GRC 0\n";
        let p: Vec<Probe> = ["alice", "bob"]
            .iter()
            .map(|n| Probe::new(n, &["groups"]))
            .collect();
        let obs = User.parse(out, &p);
        assert_eq!(get(&obs[0], "groups"), json!(["alice", "docker"]));
        assert_eq!(get(&obs[1], "groups"), json!(["users", "docker", "wheel"]));
        assert_eq!(get(&obs[1], "gid"), json!(100));
        assert_eq!(get(&obs[1], "shell"), json!("/bin/sh"));
        // Without a check naming `groups`, no group enumeration runs and none is shown.
        let obs = User.parse(b"alice:x:1000:1000::/home/alice:/bin/zsh\n@@RC 0\n", &p);
        assert_eq!(get(&obs[0], "groups"), Value::Null);
        assert!(
            !User
                .fragment(&[Probe::new("alice", &["uid"])])
                .contains("getent group")
        );
        assert!(User.fragment(&p).contains("getent group"));
    }

    #[test]
    fn failures_and_disordered_output_are_errors_not_panics() {
        let p = vec![Probe::new("root", &["exists"])];
        let err = |out: &[u8]| match &User.parse(out, &p)[0] {
            Observation::Error(e) => e.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(b"@@RC 1\n"), "getent passwd failed (exit 1)");
        assert_eq!(err(b"@@RC ?\n"), "getent passwd failed (exit -1)");
        let ok = User.parse(b"root:x:0:0:root:/root:/bin/bash\n@@RC 0\n", &p);
        assert_eq!(get(&ok[0], "exists"), json!(true));
        for out in [
            &b"@@GROUPS\nroot:x:0:\n@@RC 0\n"[..],
            b"@@RC 0\n@@GRC 0\n@@GROUPS\n",
        ] {
            assert_eq!(User.parse(out, &p).len(), 1);
        }
    }

    /// The real fragment with this machine's `getent`.
    #[test]
    fn real_getent_here() {
        use crate::probe::test_support::{exec, run_here};
        let v = run_here(&[
            exec(
                ModuleKind::User,
                "root",
                &[("uid", json!(0)), ("home", json!("/root"))],
            ),
            exec(
                ModuleKind::User,
                "no-such-user-ds",
                &[("exists", json!(false))],
            ),
            exec(
                ModuleKind::User,
                "root",
                &[("groups", json!({"contains": ["root"]}))],
            ),
        ]);
        for verdict in &v {
            assert_eq!(verdict.outcome, crate::model::Outcome::Pass, "{verdict:?}");
        }
    }
}
