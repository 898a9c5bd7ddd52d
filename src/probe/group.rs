//! group: ONE `getent group` for all groups (NSS-aware): exists, gid, members (the
//! supplementary members listed in the group entry; users whose primary group it is are not
//! listed, as in /etc/group).

use super::quote::sh_quote_all;
use super::user::{group_rows, validate_account_name};
use super::{Module, Observation, Probe, Programs, Reads, finish, lossy_lines, observed};
use crate::model::{ModuleKind, Value};

pub struct Group;

impl Module for Group {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Group
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["getent"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists", "gid", "members"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        validate_account_name("group", subject)
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let names = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
        format!("getent group -- {names} 2>/dev/null; echo \"@@RC $?\"")
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let lines = lossy_lines(output);
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return finish(vec![None; probes.len()], "getent group");
        };
        let rc: i32 = lines[rc_at][5..].trim().parse().unwrap_or(-1);
        if rc != 0 && rc != 2 {
            let why = if rc == 127 {
                "getent is not installed".to_string()
            } else {
                format!("getent group failed (exit {rc})")
            };
            return vec![Observation::Error(why); probes.len()];
        }
        let rows = group_rows(&lines[..rc_at]);
        probes
            .iter()
            .map(
                |p| match rows.iter().find(|(name, _, _)| *name == p.subject) {
                    Some((_, gid, members)) => observed([
                        ("exists", Value::Bool(true)),
                        ("gid", Value::from(gid.parse::<u64>().unwrap_or(u64::MAX))),
                        (
                            "members",
                            Value::Array(members.iter().cloned().map(Value::String).collect()),
                        ),
                    ]),
                    None => observed([
                        ("exists", Value::Bool(false)),
                        ("gid", Value::Null),
                        ("members", Value::Null),
                    ]),
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_getent_group_output() {
        let out = include_bytes!("testdata/group/getent.out");
        let p: Vec<Probe> = ["root", "shadow", "nosuchgroup", "ssl-cert", "0"]
            .iter()
            .map(|n| Probe::new(n, &["gid"]))
            .collect();
        let obs = Group.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "gid"), json!(0));
        assert_eq!(get(1, "gid"), json!(42));
        assert_eq!(get(2, "exists"), json!(false));
        assert_eq!(get(3, "members"), json!(["postgres"]));
        assert_eq!(get(4, "exists"), json!(false), "gid 0 is not a group name");
        let cut = Group.parse(b"root:x:0:\n", &p);
        assert!(matches!(&cut[0], Observation::Error(_)));
    }

    #[test]
    fn contract_names_and_getent_failures() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Group,
            Programs::Only(&["getent"]),
            &["exists", "gid", "members"],
            ("exists", Value::Bool(true)),
        );
        assert!(Group.validate_subject("ssl-cert").is_ok());
        let e = Group.validate_subject("a b").unwrap_err();
        assert!(e.contains("not a group name"), "{e}");
        let p = vec![Probe::new("root", &["gid"])];
        let err = |out: &[u8]| match &Group.parse(out, &p)[0] {
            Observation::Error(e) => e.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(b"@@RC 127\n"), "getent is not installed");
        assert_eq!(err(b"@@RC 1\n"), "getent group failed (exit 1)");
        assert_eq!(err(b"@@RC ?\n"), "getent group failed (exit -1)");
        let obs = Group.parse(b"root:x:0:\n@@RC 0\nwheel:x:10:a\n", &p);
        assert_eq!(crate::probe::observed_attr(&obs, 0, "members"), json!([]));
    }

    /// The real fragment with this machine's `getent`.
    #[test]
    fn real_getent_here() {
        use crate::probe::test_support::{exec, run_here};
        let v = run_here(&[
            exec(ModuleKind::Group, "root", &[("gid", json!(0))]),
            exec(
                ModuleKind::Group,
                "no-such-group-ds",
                &[("exists", json!(false))],
            ),
        ]);
        for verdict in &v {
            assert_eq!(verdict.outcome, crate::model::Outcome::Pass, "{verdict:?}");
        }
    }
}
