//! sshd_config: the effective value of an sshd keyword.
//!
//! ONE `sshd -T` (the daemon's own view, defaults included; needs root and a usable sshd)
//! answers every keyword of the host. When it fails, the fragment dumps
//! `/etc/ssh/sshd_config` with every `Include` expanded in place (shell builtins only, globs
//! relative to /etc/ssh, nesting capped at 8), and the parser applies sshd's rules: keywords
//! are case-insensitive, the first value wins (except keywords that accumulate, like `Port`),
//! `Match` blocks are conditional and skipped (a `Match` ends at the end of the file that
//! holds it), and a keyword set nowhere falls back to OpenSSH's compiled-in default.
//! `not_applicable` when the host has neither sshd nor /etc/ssh/sshd_config.

use super::{Module, Observation, Probe, Programs, Reads, lossy_lines, observed};
use crate::model::{ModuleKind, Value};
use std::collections::BTreeMap;

pub struct SshdConfig;

const MAIN: &str = "/etc/ssh/sshd_config";

/// Keywords whose every occurrence counts (sshd -T prints one line each).
const ACCUMULATING: [&str; 6] = [
    "port",
    "listenaddress",
    "hostkey",
    "hostcertificate",
    "acceptenv",
    "subsystem",
];

/// OpenSSH 9.x compiled-in defaults (as `sshd -T` prints them) for the keywords hardening
/// checks ask about most.
const DEFAULTS: [(&str, &str); 33] = [
    ("addressfamily", "any"),
    ("allowagentforwarding", "yes"),
    ("allowtcpforwarding", "yes"),
    (
        "authorizedkeysfile",
        ".ssh/authorized_keys .ssh/authorized_keys2",
    ),
    ("banner", "none"),
    ("challengeresponseauthentication", "yes"),
    ("clientalivecountmax", "3"),
    ("clientaliveinterval", "0"),
    ("compression", "yes"),
    ("gatewayports", "no"),
    ("hostbasedauthentication", "no"),
    ("ignorerhosts", "yes"),
    ("kbdinteractiveauthentication", "yes"),
    ("logingracetime", "120"),
    ("loglevel", "INFO"),
    ("maxauthtries", "6"),
    ("maxsessions", "10"),
    ("maxstartups", "10:30:100"),
    ("passwordauthentication", "yes"),
    ("permitemptypasswords", "no"),
    ("permitrootlogin", "prohibit-password"),
    ("permittunnel", "no"),
    ("permituserenvironment", "no"),
    ("port", "22"),
    ("printmotd", "yes"),
    ("pubkeyauthentication", "yes"),
    ("strictmodes", "yes"),
    ("syslogfacility", "AUTH"),
    ("tcpkeepalive", "yes"),
    ("usedns", "no"),
    ("usepam", "no"),
    ("x11forwarding", "no"),
    ("x11uselocalhost", "yes"),
];

/// Values sshd treats case-insensitively, in lowercase; `without-password` (what OpenSSH 9.2's
/// `sshd -T` prints) as its current name `prohibit-password`, whichever source answered.
fn normalize_value(v: &str) -> String {
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "without-password" => "prohibit-password".into(),
        "yes"
        | "no"
        | "prohibit-password"
        | "forced-commands-only"
        | "any"
        | "inet"
        | "inet6"
        | "none"
        | "all"
        | "local"
        | "remote"
        | "delayed"
        | "point-to-point"
        | "ethernet" => lower,
        _ => v.to_string(),
    }
}

/// Split a config line into (lowercase keyword, arguments).
fn split_line(line: &str) -> Option<(String, String)> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let end = t
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(t.len());
    let kw = t[..end].to_ascii_lowercase();
    let rest = t[end..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    Some((kw, rest.to_string()))
}

/// What the probe learned: keyword → (values, source).
struct Effective {
    values: BTreeMap<String, Vec<String>>,
    source: String,
}

fn from_sshd_t(lines: &[String]) -> Effective {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in lines {
        if let Some((kw, v)) = l.split_once(' ') {
            values
                .entry(kw.to_string())
                .or_default()
                .push(normalize_value(v));
        }
    }
    Effective {
        values,
        source: "sshd -T".into(),
    }
}

fn from_files(lines: &[String]) -> Result<Effective, String> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // One frame per open file: is a Match block active in it?
    let mut stack: Vec<bool> = Vec::new();
    let mut files = Vec::new();
    for l in lines {
        if let Some(f) = l.strip_prefix("@@BEGIN ") {
            stack.push(false);
            files.push(f.to_string());
        } else if l == "@@ENDFILE" {
            stack.pop();
        } else if let Some(f) = l.strip_prefix("@@DENIED ") {
            if files.is_empty() {
                return Err(format!("permission denied reading {f}"));
            }
        } else if let Some(line) = l.strip_prefix('|') {
            let Some((kw, args)) = split_line(line) else {
                continue;
            };
            if kw == "match" {
                if let Some(top) = stack.last_mut() {
                    *top = true;
                }
                continue;
            }
            if kw == "include" || stack.iter().any(|m| *m) {
                continue;
            }
            let entry = values.entry(kw.clone()).or_default();
            if entry.is_empty() || ACCUMULATING.contains(&kw.as_str()) {
                entry.push(normalize_value(&args));
            }
        }
    }
    if files.is_empty() {
        return Err(format!("{MAIN} could not be read"));
    }
    Ok(Effective {
        values,
        source: format!("file {}", files.join(", ")),
    })
}

impl Module for SshdConfig {
    fn kind(&self) -> ModuleKind {
        ModuleKind::SshdConfig
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["sshd"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["value", "exists"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject.is_empty() || !subject.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "not an sshd_config keyword: {subject:?} (expected a keyword like `PermitRootLogin`)"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        3 // sshd -T loads host keys and the whole configuration
    }
    fn fragment(&self, _probes: &[Probe]) -> String {
        format!(
            r#"ds_sshd() {{
if [ "$2" -gt 8 ]; then echo '@@LOOP'; return; fi
if ! [ -r "$1" ]; then if [ -e "$1" ]; then printf '@@DENIED %s\n' "$1"; fi; return; fi
printf '@@BEGIN %s\n' "$1"
while IFS= read -r ds_l || [ -n "$ds_l" ]; do
printf '|%s\n' "$ds_l"
ds_r=${{ds_l#"${{ds_l%%[![:space:]]*}}"}}
case $ds_r in
[Ii][Nn][Cc][Ll][Uu][Dd][Ee][[:space:]=]*)
ds_r=${{ds_r#???????}}
set -f
for ds_p in $ds_r; do
set +f
case $ds_p in =) continue;; /*) ;; *) ds_p=/etc/ssh/$ds_p;; esac
for ds_f in $ds_p; do ds_sshd "$ds_f" $(($2 + 1)); done
set -f
done
set +f;;
esac
ds_l=
done <"$1"
echo '@@ENDFILE'
}}
ds_rc=1
if command -v sshd >/dev/null 2>&1; then echo '@@T'; sshd -T 2>&1; ds_rc=$?; echo "@@TRC $ds_rc"; else echo '@@NOSSHD'; fi
if [ "$ds_rc" != 0 ]; then
if [ -e {MAIN} ] || command -v sshd >/dev/null 2>&1; then ds_sshd {MAIN} 0; else echo '@@NA no sshd and no {MAIN} on this host'; fi
fi
echo '@@END'"#
        )
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let lines = lossy_lines(output);
        if let Some(why) = super::not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        if !lines.iter().any(|l| l == "@@END") {
            return vec![
                Observation::Error("sshd_config probe output cut short".into());
                probes.len()
            ];
        }
        let t_start = lines.iter().position(|l| l == "@@T");
        let t_end = lines.iter().position(|l| l.starts_with("@@TRC "));
        let effective = match (t_start, t_end) {
            (Some(a), Some(b)) if a < b && lines[b] == "@@TRC 0" => {
                Ok(from_sshd_t(&lines[a + 1..b]))
            }
            _ => {
                let rest = t_end.map_or(0, |b| b + 1);
                from_files(&lines[rest..]).map_err(|e| match (t_start, t_end) {
                    (Some(a), Some(b)) if a < b => format!(
                        "{e}; sshd -T failed: {}",
                        lines[a + 1..b]
                            .iter()
                            .map(|s| s.trim())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    _ => e,
                })
            }
        };
        let effective = match effective {
            Ok(e) => e,
            Err(e) => return vec![Observation::Error(e); probes.len()],
        };
        probes
            .iter()
            .map(|p| {
                let kw = p.subject.to_ascii_lowercase();
                let (value, source) = match effective.values.get(&kw) {
                    Some(v) => (Some(v.join(" ")), effective.source.clone()),
                    None => match DEFAULTS.iter().find(|(k, _)| *k == kw) {
                        Some((_, d)) if effective.source != "sshd -T" => {
                            (Some(d.to_string()), "OpenSSH default".to_string())
                        }
                        _ => (None, effective.source.clone()),
                    },
                };
                observed([
                    ("exists", Value::Bool(value.is_some())),
                    ("value", value.map(Value::String).unwrap_or(Value::Null)),
                    ("_source", Value::String(source)),
                ])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn probes() -> Vec<Probe> {
        [
            "PermitRootLogin",
            "passwordauthentication",
            "Port",
            "UsePAM",
            "X11Forwarding",
            "MaxAuthTries",
            "NoSuchKeyword",
        ]
        .iter()
        .map(|s| Probe::new(s, &["value"]))
        .collect()
    }

    fn get(o: &Observation, a: &str) -> Value {
        match o {
            Observation::Observed(m) => m[a].clone(),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn sshd_t_real_output() {
        let out = include_bytes!("testdata/sshd_config/sshd-T.out");
        let obs = SshdConfig.parse(out, &probes());
        assert_eq!(get(&obs[0], "value"), json!("no"));
        assert_eq!(get(&obs[1], "value"), json!("no"));
        assert_eq!(get(&obs[2], "value"), json!("22 2222"), "ports accumulate");
        assert_eq!(get(&obs[3], "value"), json!("yes"));
        assert_eq!(get(&obs[0], "_source"), json!("sshd -T"));
        let out = b"@@T\npermitrootlogin without-password\n@@TRC 0\n@@END\n";
        let obs = SshdConfig.parse(out, &probes());
        assert_eq!(get(&obs[0], "value"), json!("prohibit-password"));
        assert_eq!(get(&obs[6], "exists"), json!(false));
    }

    #[test]
    fn file_fallback_with_include_match_and_first_wins() {
        // Real output on this box as `nobody` (sshd -T: "no hostkeys available") over the
        // config tree described in testdata/README.md (Include, Match, mixed case).
        let out = include_bytes!("testdata/sshd_config/fallback.out");
        let obs = SshdConfig.parse(out, &probes());
        assert_eq!(
            get(&obs[0], "value"),
            json!("no"),
            "include comes first and wins"
        );
        assert_eq!(
            get(&obs[1], "value"),
            json!("no"),
            "keyword case-insensitive, value lowercased"
        );
        assert_eq!(get(&obs[2], "value"), json!("22 2222"));
        assert_eq!(get(&obs[3], "value"), json!("yes"));
        assert_eq!(
            get(&obs[4], "value"),
            json!("yes"),
            "the Match block's `no` does not apply"
        );
        assert_eq!(get(&obs[5], "value"), json!("6"), "compiled-in default");
        assert_eq!(get(&obs[5], "_source"), json!("OpenSSH default"));
        assert_eq!(get(&obs[6], "exists"), json!(false));
    }

    #[test]
    fn no_sshd_and_cut_output() {
        let obs = SshdConfig.parse(
            b"@@NOSSHD\n@@NA no sshd and no /etc/ssh/sshd_config on this host\n@@END\n",
            &probes(),
        );
        assert!(matches!(&obs[0], Observation::NotApplicable(_)));
        let obs = SshdConfig.parse(b"@@T\nport 22\n", &probes());
        assert!(matches!(&obs[0], Observation::Error(_)));
        let obs = SshdConfig.parse(
            b"@@T\nsshd: no hostkeys\n@@TRC 1\n@@DENIED /etc/ssh/sshd_config\n@@END\n",
            &probes(),
        );
        assert!(
            matches!(&obs[0], Observation::Error(e) if e.contains("permission denied") && e.contains("no hostkeys")),
            "{obs:?}"
        );
        assert!(SshdConfig.validate_subject("Permit Root").is_err());
    }

    #[test]
    fn contract_keywords_and_cost() {
        crate::probe::test_support::assert_contract(
            ModuleKind::SshdConfig,
            Programs::Only(&["sshd"]),
            &["value", "exists"],
            ("exists", Value::Bool(true)),
        );
        assert_eq!(SshdConfig.cost(&probes()), 3, "sshd -T loads the host keys");
        assert!(SshdConfig.validate_subject("X11Forwarding").is_ok());
        for bad in ["", "Permit-Root", "a=b"] {
            let e = SshdConfig.validate_subject(bad).unwrap_err();
            assert!(e.contains("not an sshd_config keyword"), "{bad:?}: {e}");
        }
    }

    /// sshd's own line syntax: `Key Value`, `Key=Value`, `Key = Value`, comments; values it
    /// reads case-insensitively compare lowercased, others keep their case.
    #[test]
    fn line_syntax_and_value_case() {
        assert_eq!(
            split_line("  Port=2222 "),
            Some(("port".into(), "2222".into()))
        );
        assert_eq!(
            split_line("Banner = /etc/issue"),
            Some(("banner".into(), "/etc/issue".into()))
        );
        assert_eq!(split_line("UsePAM"), Some(("usepam".into(), String::new())));
        assert_eq!(split_line("  # Port 1"), None);
        assert_eq!(split_line("   "), None);
        for (v, want) in [
            ("YES", "yes"),
            ("No", "no"),
            ("Forced-Commands-Only", "forced-commands-only"),
            ("ANY", "any"),
            ("INET", "inet"),
            ("Inet6", "inet6"),
            ("None", "none"),
            ("ALL", "all"),
            ("Local", "local"),
            ("Remote", "remote"),
            ("Delayed", "delayed"),
            ("Point-To-Point", "point-to-point"),
            ("Ethernet", "ethernet"),
            ("Without-Password", "prohibit-password"),
            ("Prohibit-Password", "prohibit-password"),
            ("VERBOSE", "VERBOSE"),
            ("/Etc/Issue", "/Etc/Issue"),
        ] {
            assert_eq!(normalize_value(v), want, "{v}");
        }
    }

    /// The file fallback: a `Match` ends with the file that holds it; an unreadable include
    /// is skipped, an unreadable main file is the answer; with `sshd -T` a keyword it does
    /// not print has no compiled-in default guessed for it.
    #[test]
    fn file_fallback_rules() {
        let out = b"@@NOSSHD\n@@BEGIN /etc/ssh/sshd_config\n|Include /etc/ssh/d/*.conf\n\
            @@BEGIN /etc/ssh/d/a.conf\n|Match User bob\n|X11Forwarding no\n@@ENDFILE\n\
            @@DENIED /etc/ssh/d/b.conf\n|X11Forwarding yes\n|Port 22\n|Port 2200\n\
            |Match Address 10.0.0.0/8\n|Banner /etc/ssh/banner\n@@ENDFILE\n@@END\n";
        let p: Vec<Probe> = ["X11Forwarding", "Port", "Banner"]
            .iter()
            .map(|s| Probe::new(s, &["value"]))
            .collect();
        let obs = SshdConfig.parse(out, &p);
        assert_eq!(
            get(&obs[0], "value"),
            json!("yes"),
            "bob's Match ended with a.conf"
        );
        assert_eq!(get(&obs[1], "value"), json!("22 2200"));
        assert_eq!(
            get(&obs[2], "value"),
            json!("none"),
            "Banner only under Match"
        );
        assert_eq!(get(&obs[2], "_source"), json!("OpenSSH default"));
        assert_eq!(
            get(&obs[0], "_source"),
            json!("file /etc/ssh/sshd_config, /etc/ssh/d/a.conf")
        );
        let nothing = SshdConfig.parse(b"@@NOSSHD\n@@END\n", &p);
        assert_eq!(
            nothing[0],
            Observation::Error("/etc/ssh/sshd_config could not be read".into())
        );
        let t = SshdConfig.parse(b"@@T\nport 22\n@@TRC 0\n@@END\n", &p);
        assert_eq!(
            get(&t[2], "exists"),
            json!(false),
            "sshd -T prints every keyword it has"
        );
        // sshd -T failing while the files read: the files answer.
        let failed = SshdConfig.parse(
            b"@@T\nno hostkeys\n@@TRC 1\n@@BEGIN /etc/ssh/sshd_config\n|Port 2\n@@ENDFILE\n@@END\n",
            &p,
        );
        assert_eq!(get(&failed[1], "value"), json!("2"));
    }

    /// The real fragment on this machine: `Port` always has an answer (sshd -T, the files,
    /// or the default).
    #[test]
    fn the_real_fragment_here() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        let v = run_here(&[exec(
            ModuleKind::SshdConfig,
            "Port",
            &[("exists", json!(true))],
        )]);
        let has_sshd = std::process::Command::new("sh")
            .args(["-c", "command -v sshd"])
            .output()
            .is_ok_and(|o| o.status.success());
        let want = if has_sshd || std::path::Path::new(MAIN).exists() {
            Outcome::Pass
        } else {
            Outcome::NotApplicable
        };
        assert_eq!(v[0].outcome, want, "{v:?}");
    }
}
