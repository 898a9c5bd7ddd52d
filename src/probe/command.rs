//! command: run a shell command line on the host and observe `exit_status`, `stdout` and
//! `stderr` (trailing newlines stripped, as `$(…)` does).
//!
//! READ-ONLY BY CONVENTION: driftscope cannot tell a harmless command from a harmful one; a
//! check's command must only read state (`uname -s`, `df -P /`). Each command runs as
//! `sh -c LINE` (what Goss and testinfra do) with stdin from /dev/null, inside a capturing
//! subshell: a fresh shell that sees none of the probe's variables or functions, whose
//! messages (`sh: 1: foobar: not found`) do not depend on what else the script probes, and
//! whose `exit` or `cd` cannot affect the rest of the probe. Naming `stderr` (otherwise not
//! captured) adds a second subshell. Prefer a dedicated module when one fits.
//!
//! Exit status 127 with no output is "command not found": a check that names `exit_status`
//! gets it as the answer (Goss files assert a program's absence with `exit_status = 127`);
//! for any other check it is `error`.
//!
//! A check's `timeout = SECS` runs the command under coreutils' `timeout` (which signals the
//! command's whole process group, then KILLs it a second later); the probe notes the host's
//! uptime before and after (`@T <i> <t0> <t1>`, builtins only), so exit status 124 counts as
//! "timed out" only when that much time really passed. A host without `timeout` → `error`.
//!
//! Output is length-prefixed (`@C <i> <status> <bytes>` then the bytes), so any output,
//! including lines that look like markers, parses exactly.

use super::quote::sh_quote;
use super::{Module, Observation, Probe, Programs, Reads, attr_error_key, finish};
use crate::model::{ModuleKind, Value};

pub struct Command;

/// Per command: `(status, stdout)` and `stderr` once their records arrived.
type Captured = (Option<(i64, Vec<u8>)>, Option<Vec<u8>>);

/// The exit status of coreutils' `timeout` when the time ran out.
const TIMED_OUT: i64 = 124;

/// What the `@T` line of a command run under a timeout says.
#[derive(Debug, Clone, PartialEq)]
enum Timing {
    /// Host uptimes before and after (seconds); `None` where /proc/uptime was unreadable.
    Ran(Option<f64>, Option<f64>),
    /// The host has no `timeout` program.
    NoTimeoutProgram,
}

/// `@T <i> <t0> <t1>` or `@T <i> none` lines.
fn timings(out: &[u8], count: usize) -> Vec<Option<Timing>> {
    let mut v = vec![None; count];
    for line in out.split(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let f: Vec<&str> = text.split(' ').collect();
        let (i, timing) = match f.as_slice() {
            ["@T", i, "none"] => (i, Timing::NoTimeoutProgram),
            ["@T", i, t0, t1] => (i, Timing::Ran(t0.parse().ok(), t1.parse().ok())),
            _ => continue,
        };
        if let Some(slot) = i.parse::<usize>().ok().and_then(|i| v.get_mut(i)) {
            *slot = Some(timing);
        }
    }
    v
}

/// The limit as `timeout` and people write it: `5`, `2.5`.
fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

/// Read `<header>\n<len bytes>\n` records: returns `(kind, index, status, payload)`.
pub(crate) fn records(out: &[u8]) -> Vec<(u8, usize, i64, Vec<u8>)> {
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
    fn programs(&self) -> Programs {
        Programs::UserCommand
    }
    fn content_attributes(&self) -> &'static [&'static str] {
        &["stdout", "stderr"]
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
    fn cost(&self, probes: &[Probe]) -> u32 {
        probes.len() as u32 // one subshell (and usually one program) per command
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::new();
        for (i, p) in probes.iter().enumerate() {
            let mut run = format!("sh -c {}", sh_quote(&p.subject));
            if let Some(limit) = p.timeout {
                run = format!("timeout -k 1 {} {run}", seconds(limit));
                s.push_str(&format!(
                    "if ! command -v timeout >/dev/null 2>&1; then echo '@T {i} none'; else \
                     ds_t0=; ds_t1=; read -r ds_t0 ds_x < /proc/uptime 2>/dev/null\n"
                ));
            }
            if p.wants("stderr") {
                // fd 3 = the section's output; inner $(…) captures stdout, its stderr goes to
                // the outer $(…) through fd 4: two subshells.
                s.push_str(&format!(
                    "ds_e=$( {{ ds_o=$({run} 2>&4 4>&- 3>&-); ds_s=$?; \
                     printf '@C {i} %s %s\\n%s\\n' \"$ds_s\" \"${{#ds_o}}\" \"$ds_o\" >&3; }} 4>&1 )\n\
                     printf '@E {i} %s\\n%s\\n' \"${{#ds_e}}\" \"$ds_e\"\n"
                ));
            } else {
                // Nobody asked for stderr: one subshell, stderr dropped.
                s.push_str(&format!(
                    "ds_o=$({run} 2>/dev/null 3>&-); ds_s=$?\n\
                     printf '@C {i} %s %s\\n%s\\n@E {i} 0\\n\\n' \"$ds_s\" \"${{#ds_o}}\" \"$ds_o\"\n"
                ));
            }
            if p.timeout.is_some() {
                s.push_str(&format!(
                    "read -r ds_t1 ds_x < /proc/uptime 2>/dev/null; \
                     echo \"@T {i} ${{ds_t0:--}} ${{ds_t1:--}}\"; fi\n"
                ));
            }
        }
        format!("{{\n{s}}} 3>&1")
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let mut out: Vec<Captured> = vec![(None, None); probes.len()];
        for (kind, i, status, body) in records(output) {
            let Some(slot) = out.get_mut(i) else { continue };
            if kind == b'C' {
                slot.0 = Some((status, body));
            } else {
                slot.1 = Some(body);
            }
        }
        let timing = timings(output, probes.len());
        let slots = out
            .into_iter()
            .zip(probes.iter().zip(timing))
            .map(|((c, e), (probe, timing))| {
                if let (Some(limit), Some(timing)) = (probe.timeout, timing) {
                    let limit_s = limit.as_secs_f64();
                    let timed_out = match timing {
                        Timing::NoTimeoutProgram => {
                            return Some(Observation::Error(
                                "this check has a timeout, and the host has no `timeout` program (coreutils)".into(),
                            ));
                        }
                        // /proc/uptime counts in 1/100 s; leave it that much slack.
                        Timing::Ran(Some(t0), Some(t1)) => t1 - t0 >= limit_s - 0.02,
                        Timing::Ran(..) => true,
                    };
                    if timed_out && c.as_ref().is_some_and(|(s, _)| *s == TIMED_OUT) {
                        return Some(Observation::Error(format!(
                            "timed out after {} s",
                            seconds(limit)
                        )));
                    }
                }
                let ((status, stdout), stderr) = (c?, e?);
                let text = |b: &[u8]| Value::String(String::from_utf8_lossy(b).into_owned());
                let mut a = super::Attributes::from([
                    ("exit_status".to_string(), Value::from(status)),
                    ("stdout".to_string(), text(&stdout)),
                    ("stderr".to_string(), text(&stderr)),
                ]);
                if status == 127 && stdout.is_empty() {
                    // Not found: the answer for a check naming exit_status, else an error.
                    let why = format!(
                        "command not found (exit 127){}",
                        match String::from_utf8_lossy(&stderr).trim() {
                            "" => String::new(),
                            e => format!(": {e}"),
                        }
                    );
                    for attr in ["stdout", "stderr"] {
                        a.insert(attr_error_key(attr), Value::String(why.clone()));
                    }
                    a.insert(
                        super::ERRORS_WAIVED_BY.to_string(),
                        Value::from("exit_status"),
                    );
                }
                Some(Observation::Observed(a))
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
        .map(|s| Probe::new(s, &["exit_status", "stderr"]))
        .collect()
    }

    #[test]
    fn real_output_exit_codes_and_forged_markers() {
        let out = include_bytes!("testdata/command/nobody.out");
        let obs = Command.parse(out, &subjects());
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
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
        assert_eq!(get(3, "exit_status"), json!(127));
        assert!(
            get(3, &attr_error_key("stdout"))
                .as_str()
                .is_some_and(|e| e.contains("not found")),
            "{:?}",
            obs[3]
        );
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
    fn without_stderr_one_subshell_and_an_empty_stderr() {
        let p = vec![Probe::new("echo hi; echo no >&2; exit 4", &["stdout"])];
        let frag = Command.fragment(&p);
        assert_eq!(frag.matches("$(").count(), 1, "{frag}");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&frag)
            .output()
            .unwrap();
        let obs = Command.parse(&out.stdout, &p);
        assert_eq!(
            obs[0],
            crate::probe::observed([
                ("exit_status", json!(4)),
                ("stdout", json!("hi")),
                ("stderr", json!(""))
            ])
        );
    }

    #[test]
    fn each_line_runs_as_sh_c_in_a_fresh_shell() {
        let p = vec![
            Probe::new("id -u", &["stdout"]),
            Probe::new("echo $HOME ${ds_o:-unset} $0", &["stdout"]),
            Probe::new("no-such-command-ds", &["exit_status", "stderr"]),
            Probe::new("uname -s", &["stdout", "stderr"]),
        ];
        let frag = Command.fragment(&p);
        assert_eq!(frag.matches("sh -c '").count(), 4, "{frag}");
        assert!(!frag.contains("eval"), "{frag}");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&frag)
            .env("HOME", "/home/ds")
            .output()
            .unwrap();
        let obs = Command.parse(&out.stdout, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        let uid = String::from_utf8(
            std::process::Command::new("id")
                .arg("-u")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert_eq!(get(0, "stdout"), json!(uid.trim()));
        assert_eq!(
            get(1, "stdout"),
            json!("/home/ds unset sh"),
            "the probe's variables are not visible"
        );
        assert_eq!(get(2, "exit_status"), json!(127));
        assert_eq!(
            get(2, "stderr"),
            json!("sh: 1: no-such-command-ds: not found")
        );
        assert_eq!(get(3, "stdout"), json!("Linux"));
    }

    #[test]
    fn cut_short_is_error() {
        let out = include_bytes!("testdata/command/nobody.out");
        let obs = Command.parse(&out[..30], &subjects());
        assert!(matches!(&obs[1], Observation::Error(_)));
        assert!(Command.validate_subject("  ").is_err());
    }

    #[test]
    fn contract_the_one_user_command_module() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Command,
            Programs::UserCommand,
            &["exit_status", "stdout", "stderr"],
            ("exit_status", Value::from(0)),
        );
        assert_eq!(Command.content_attributes(), ["stdout", "stderr"]);
        assert_eq!(Command.cost(&subjects()), 6, "one subshell per command");
        assert!(Command.validate_subject("true").is_ok());
        assert_eq!(
            Command.validate_subject("").unwrap_err(),
            "empty command (expected a shell command line like `uname -s`)"
        );
    }

    #[test]
    fn limits_as_timeout_writes_them_and_the_t_lines() {
        use std::time::Duration;
        assert_eq!(seconds(Duration::from_secs(5)), "5");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5");
        let t = timings(
            b"@T 0 10.5 12.25\n@T 1 none\n@T 2 - -\n@T x 1 2\n@T 9 1 2\n@X 3 1 2\n",
            4,
        );
        assert_eq!(
            t,
            vec![
                Some(Timing::Ran(Some(10.5), Some(12.25))),
                Some(Timing::NoTimeoutProgram),
                Some(Timing::Ran(None, None)),
                None
            ]
        );
    }

    /// Exit status 124 is "timed out" only when the host's uptime says the limit passed
    /// (1/100 s of slack); an unreadable uptime trusts the 124.
    #[test]
    fn exit_124_counts_as_timed_out_only_when_the_time_passed() {
        let mut p = Probe::new("sleep 9", &["exit_status"]);
        p.timeout = Some(std::time::Duration::from_secs(2));
        let p = [p];
        let run = |status: i64, timing: &str| {
            let out = format!("@C 0 {status} 0\n\n@E 0 0\n\n{timing}\n");
            Command.parse(out.as_bytes(), &p).remove(0)
        };
        let timed_out = Observation::Error("timed out after 2 s".into());
        assert_eq!(run(124, "@T 0 100.00 102.00"), timed_out);
        assert_eq!(
            run(124, "@T 0 100.00 101.98"),
            timed_out,
            "within the slack"
        );
        assert_eq!(run(124, "@T 0 - -"), timed_out);
        let own = run(124, "@T 0 100.00 101.97");
        assert_eq!(
            crate::probe::observed_attr(std::slice::from_ref(&own), 0, "exit_status"),
            json!(124),
            "the command's own 124"
        );
        let ok = run(0, "@T 0 100.00 102.50");
        assert_eq!(
            crate::probe::observed_attr(std::slice::from_ref(&ok), 0, "exit_status"),
            json!(0)
        );
        assert_eq!(
            run(124, "@T 0 none"),
            Observation::Error(
                "this check has a timeout, and the host has no `timeout` program (coreutils)"
                    .into()
            )
        );
        // Without a timeout on the check, a @T line means nothing.
        let plain = [Probe::new("sleep 9", &["exit_status"])];
        let obs = Command.parse(b"@C 0 124 0\n\n@E 0 0\n\n@T 0 none\n", &plain);
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, "exit_status"),
            json!(124)
        );
    }

    /// 127 with output is the command's own status; without, "not found" (with or without a
    /// message).
    #[test]
    fn exit_127_is_not_found_only_without_output() {
        let p = [Probe::new("x", &["stdout"])];
        let obs = Command.parse(b"@C 0 127 3\nabc\n@E 0 0\n\n", &p);
        assert_eq!(crate::probe::observed_attr(&obs, 0, "stdout"), json!("abc"));
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, "_error:stdout"),
            Value::Null
        );
        let obs = Command.parse(b"@C 0 127 0\n\n@E 0 0\n\n", &p);
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, "_error:stdout"),
            json!("command not found (exit 127)")
        );
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, crate::probe::ERRORS_WAIVED_BY),
            json!("exit_status")
        );
        // Records: a header with a bad number is noise, a body longer than the output is cut.
        assert_eq!(
            records(b"@C 0 x 1\n@E 0 2\nab\n@C 1 0 9\nab"),
            vec![(b'E', 0, 0, b"ab".to_vec())]
        );
    }

    /// The real fragment with a check `timeout`: `sleep` outlives it and is stopped.
    #[test]
    fn a_command_outliving_its_timeout_is_stopped() {
        use crate::probe::test_support::{exec, run_here};
        let mut e = exec(
            ModuleKind::Command,
            "sleep 30",
            &[("exit_status", json!(0))],
        );
        e.timeout = Some(std::time::Duration::from_secs(1));
        let v = run_here(&[e]);
        assert_eq!(v[0].outcome, crate::model::Outcome::Error, "{v:?}");
        assert_eq!(v[0].reason.as_deref(), Some("timed out after 1 s"));
    }
}
