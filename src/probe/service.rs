//! service: systemd units' `active` and `enabled` from ONE `systemctl show` for all units of
//! the host. `not_applicable` when the host does not run systemd (the `sd_booted` test:
//! `/run/systemd/system` exists) or has no `systemctl`.
//!
//! `enabled` is true for UnitFileState `enabled`, `enabled-runtime`, `static`, `alias`,
//! `indirect` and `generated` (the unit starts without being enabled by hand is not drift);
//! a unit that does not exist is `active = false, enabled = false`.

use super::quote::sh_quote_all;
use super::{
    AttrVerdict, Attributes, Module, Observation, Probe, Programs, Reads, lossy_lines,
    not_applicable, observed,
};
use crate::model::{Matcher, ModuleKind, Value};
use std::collections::BTreeMap;

pub struct Service;

const ENABLED_STATES: [&str; 6] = [
    "enabled",
    "enabled-runtime",
    "static",
    "alias",
    "indirect",
    "generated",
];

impl Module for Service {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Service
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["systemctl"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["active", "enabled"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("active", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject.is_empty()
            || subject.starts_with('-')
            || !subject
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c))
        {
            return Err(format!(
                "not a systemd unit name: {subject:?} (expected e.g. `ssh` or `ssh.service`)"
            ));
        }
        Ok(())
    }
    /// A failing `active`/`enabled` shows the unit's state: `false: failed (failed), unit file enabled`.
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        super::evaluate_with_state(observed, attribute, matcher)
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        3 // systemctl talks to systemd over D-Bus
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let units = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
        format!(
            "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then \
             systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,UnitFileState -- {units} 2>&1; \
             echo \"@@RC $?\"; \
             else echo '@@NA systemd is not running on this host (no /run/systemd/system)'; fi"
        )
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        if let Some(why) = not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        let lines = lossy_lines(output);
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return vec![Observation::Error("systemctl output cut short".into()); probes.len()];
        };
        // Blocks of KEY=VALUE lines separated by blank lines, one per unit in argument order.
        let mut blocks: Vec<BTreeMap<String, String>> = Vec::new();
        let mut current = BTreeMap::new();
        let mut noise = Vec::new();
        for l in &lines[..rc_at] {
            if l.is_empty() {
                if !current.is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
            } else if let Some((k, v)) = l.split_once('=')
                && k.chars().all(|c| c.is_ascii_alphanumeric())
            {
                current.insert(k.to_string(), v.to_string());
            } else {
                noise.push(l.trim().to_string());
            }
        }
        if !current.is_empty() {
            blocks.push(current);
        }
        if blocks.len() != probes.len() {
            let why = format!(
                "systemctl show answered for {} of {} units{}",
                blocks.len(),
                probes.len(),
                if noise.is_empty() {
                    String::new()
                } else {
                    format!(": {}", noise.join("; "))
                }
            );
            return vec![Observation::Error(why); probes.len()];
        }
        blocks
            .iter()
            .map(|b| {
                let get = |k: &str| b.get(k).map(String::as_str).unwrap_or("");
                if get("LoadState") == "not-found" {
                    return observed([
                        ("active", Value::Bool(false)),
                        ("enabled", Value::Bool(false)),
                        ("_state", Value::from("unit not found")),
                    ]);
                }
                let state = format!(
                    "{} ({}), unit file {}",
                    get("ActiveState"),
                    get("SubState"),
                    get("UnitFileState")
                );
                observed([
                    ("active", Value::Bool(get("ActiveState") == "active")),
                    (
                        "enabled",
                        Value::Bool(ENABLED_STATES.contains(&get("UnitFileState"))),
                    ),
                    ("_state", Value::String(state)),
                ])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_systemd_is_not_applicable() {
        // Real output on this build box (PID 1 is not systemd).
        let out = include_bytes!("testdata/service/no-systemd.out");
        let obs = Service.parse(out, &[Probe::new("ssh", &["active"])]);
        assert!(matches!(&obs[0], Observation::NotApplicable(w) if w.contains("systemd")));
    }

    #[test]
    fn systemctl_show_blocks_in_argument_order() {
        // systemctl show's documented format (no systemd here to capture from): one block per
        // unit, blank-line separated, properties in systemd's own order.
        let out = include_bytes!("testdata/service/systemctl-show.out");
        let p: Vec<Probe> = ["ssh", "cron.service", "nosuch", "systemd-journald"]
            .iter()
            .map(|s| Probe::new(s, &["active"]))
            .collect();
        let obs = Service.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(
            (get(0, "active"), get(0, "enabled")),
            (json!(true), json!(true))
        );
        assert_eq!(
            (get(1, "active"), get(1, "enabled")),
            (json!(false), json!(false))
        );
        assert_eq!(
            (get(2, "active"), get(2, "enabled")),
            (json!(false), json!(false))
        );
        assert_eq!(get(3, "enabled"), json!(true), "static counts as enabled");
        let Observation::Observed(cron) = &obs[1] else {
            panic!()
        };
        let v = Service.evaluate(cron, "active", &Matcher::parse(&json!(true)).unwrap());
        assert!(!v.ok);
        assert_eq!(
            v.actual,
            json!("false: inactive (dead), unit file disabled")
        );
        let short = Service.parse(b"Id=ssh.service\nActiveState=active\n@@RC 0\n", &p);
        assert!(matches!(&short[0], Observation::Error(e) if e.contains("1 of 4")));
    }

    #[test]
    fn contract_and_unit_names() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Service,
            Programs::Only(&["systemctl"]),
            &["active", "enabled"],
            ("active", Value::Bool(true)),
        );
        assert_eq!(Service.cost(&[]), 3, "systemctl talks to systemd");
        for ok in [
            "ssh",
            "ssh.service",
            "getty@tty1.service",
            "dev-disk-by\\x2dlabel.device",
        ] {
            assert!(Service.validate_subject(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-ssh", "ssh service", "a/b", "ssh;reboot"] {
            let e = Service.validate_subject(bad).unwrap_err();
            assert!(e.contains("not a systemd unit name"), "{bad:?}: {e}");
        }
    }

    /// The real fragment on this machine: without systemd every unit is not applicable;
    /// with it, a unit that does not exist is inactive and not enabled.
    #[test]
    fn the_real_fragment_here() {
        let p = [Probe::new("ds-no-such-unit-14", &["active"])];
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(Service.fragment(&p))
            .output()
            .unwrap();
        let obs = Service.parse(&out.stdout, &p);
        if std::path::Path::new("/run/systemd/system").is_dir() {
            assert_eq!(crate::probe::observed_attr(&obs, 0, "active"), json!(false));
            assert_eq!(
                crate::probe::observed_attr(&obs, 0, "enabled"),
                json!(false)
            );
        } else {
            assert_eq!(
                obs,
                vec![Observation::NotApplicable(
                    "systemd is not running on this host (no /run/systemd/system)".into()
                )]
            );
        }
    }
}
