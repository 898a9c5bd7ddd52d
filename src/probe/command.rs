//! command: run a shell command line on the host and observe `exit_status`, `stdout` and
//! `stderr` (trailing newlines stripped, as `$(…)` does).
//!
//! READ-ONLY BY CONVENTION: driftscope cannot tell a harmless command from a harmful one; a
//! check's command must only read state (`uname -s`, `df -P /`). It runs with stdin from
//! /dev/null, in a subshell (an `exit` or `cd` cannot affect the rest of the probe), and costs
//! its own forks (about two plus the command's), so prefer a dedicated module when one fits.
//!
//! Output is length-prefixed (`@C <i> <status> <bytes>` then the bytes), so any output,
//! including lines that look like markers, parses exactly.

use super::quote::sh_quote;
use super::{Module, Observation, Probe, finish, observed};
use crate::model::{ModuleKind, Value};

pub struct Command;

/// Per command: `(status, stdout)` and `stderr` once their records arrived.
type Captured = (Option<(i64, Vec<u8>)>, Option<Vec<u8>>);

/// Read `<header>\n<len bytes>\n` records: returns `(kind, index, status, payload)`.
fn records(out: &[u8]) -> Vec<(u8, usize, i64, Vec<u8>)> {
    let mut v = Vec::new();
    let mut pos = 0;
    while pos < out.len() {
        let rest = &out[pos..];
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            break;
        };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        let f: Vec<&str> = header.split(' ').collect();
        let parsed = match f.as_slice() {
            ["@C", i, s, n] => i
                .parse()
                .ok()
                .zip(s.parse().ok())
                .zip(n.parse::<usize>().ok())
                .map(|((i, s), n)| (b'C', i, s, n)),
            ["@E", i, n] => i
                .parse()
                .ok()
                .zip(n.parse::<usize>().ok())
                .map(|(i, n)| (b'E', i, 0, n)),
            _ => None,
        };
        let Some((kind, i, status, len)) = parsed else {
            // Not a header: skip the line (stray shell noise).
            pos += nl + 1;
            continue;
        };
        let body_start = pos + nl + 1;
        let Some(body) = out.get(body_start..body_start + len) else {
            break; // cut short
        };
        v.push((kind, i, status, body.to_vec()));
        pos = body_start + len + 1;
    }
    v
}

impl Module for Command {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Command
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exit_status", "stdout", "stderr"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exit_status", Value::from(0))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject.trim().is_empty() {
            return Err("empty command (expected a shell command line like `uname -s`)".into());
        }
        Ok(())
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::new();
        for (i, p) in probes.iter().enumerate() {
            let c = sh_quote(&p.subject);
            // fd 3 = the section's output; inner $(…) captures stdout, its stderr goes to the
            // outer $(…) through fd 4.
            s.push_str(&format!(
                "ds_c={c}\n\
                 ds_e=$( {{ ds_o=$(eval \"$ds_c\" 2>&4 4>&- 3>&-); ds_s=$?; \
                 printf '@C {i} %s %s\\n%s\\n' \"$ds_s\" \"${{#ds_o}}\" \"$ds_o\" >&3; }} 4>&1 )\n\
                 printf '@E {i} %s\\n%s\\n' \"${{#ds_e}}\" \"$ds_e\"\n"
            ));
        }
        format!("{{\n{s}}} 3>&1")
    }
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
        let mut out: Vec<Captured> = vec![(None, None); probes.len()];
        for (kind, i, status, body) in records(output) {
            let Some(slot) = out.get_mut(i) else { continue };
            if kind == b'C' {
                slot.0 = Some((status, body));
            } else {
                slot.1 = Some(body);
            }
        }
        let slots = out
            .into_iter()
            .map(|(c, e)| {
                let ((status, stdout), stderr) = (c?, e?);
                let text = |b: Vec<u8>| Value::String(String::from_utf8_lossy(&b).into_owned());
                Some(if status == 127 && stdout.is_empty() {
                    Observation::Error(format!(
                        "command not found (exit 127): {}",
                        String::from_utf8_lossy(&stderr).trim()
                    ))
                } else {
                    observed([
                        ("exit_status", Value::from(status)),
                        ("stdout", text(stdout)),
                        ("stderr", text(stderr)),
                    ])
                })
            })
            .collect();
        finish(slots, "command")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subjects() -> Vec<Probe> {
        [
            "uname -s",
            "echo out; echo err >&2; exit 3",
            "printf '@C 0 0 5\\nfake\\n'; printf 'x\\n\\n\\n'",
            "no-such-command-xyz",
            "exit 0",
            "cat /tmp/ds-fixture/secret.key",
        ]
        .iter()
        .map(|s| Probe::new(s, &["exit_status"]))
        .collect()
    }

    #[test]
    fn real_output_exit_codes_and_forged_markers() {
        let out = include_bytes!("testdata/command/nobody.out");
        let obs = Command.parse(out, &subjects());
        let get = |i: usize, a: &str| match &obs[i] {
            Observation::Observed(m) => m[a].clone(),
            o => panic!("{i}: {o:?}"),
        };
        assert_eq!(get(0, "stdout"), json!("Linux"));
        assert_eq!(get(0, "exit_status"), json!(0));
        assert_eq!(get(1, "exit_status"), json!(3));
        assert_eq!(get(1, "stdout"), json!("out"));
        assert_eq!(get(1, "stderr"), json!("err"));
        assert_eq!(
            get(2, "stdout"),
            json!("@C 0 0 5\nfake\nx"),
            "markers in output are data"
        );
        assert!(matches!(&obs[3], Observation::Error(e) if e.contains("not found")));
        assert_eq!(get(4, "stdout"), json!(""));
        assert_eq!(get(5, "exit_status"), json!(1));
        assert!(
            get(5, "stderr")
                .as_str()
                .unwrap()
                .contains("Permission denied")
        );
    }

    #[test]
    fn cut_short_is_error() {
        let out = include_bytes!("testdata/command/nobody.out");
        let obs = Command.parse(&out[..30], &subjects());
        assert!(matches!(&obs[1], Observation::Error(_)));
        assert!(Command.validate_subject("  ").is_err());
    }
}
