//! Reading the `salt` CLI's output (`--out=json --out-indent=-1`, not `--static`): one JSON
//! document per line, `{"<minion>": <return>}`, printed as each minion returns. A return is
//! `cmd.run_all`'s `{pid, retcode, stdout, stderr}`, or a string in Salt's own words where a
//! minion gave none (`Minion did not return. [No response]`, `ERROR: …`). A document that is
//! a bare string speaks for the whole job (`Salt request timed out. The master is not
//! responding. …`). Nothing here decides outcomes; [`super`] does.

use serde_json::Value;

/// What one minion sent back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MinionReturn {
    /// `cmd.run_all` ran: the shell's output and exit status.
    Ran {
        stdout: String,
        stderr: String,
        retcode: Option<i32>,
    },
    /// Salt's words instead of a return.
    Words(String),
}

/// One line of the CLI's output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line {
    /// One or more minions' returns (one per line unless `--static`).
    Returns(Vec<(String, MinionReturn)>),
    /// A message about the whole job, not any one minion.
    Job(String),
    /// Not a JSON document (truncated, garbled, or plain text from the CLI). `minion` is the
    /// minion the line starts to speak of, when that much could be read.
    Garbage { minion: Option<String>, why: String },
}

/// Parse one line of output.
pub(crate) fn parse_line(line: &str) -> Line {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Line::Returns(
            map.into_iter()
                .map(|(minion, v)| (minion, minion_return(v)))
                .collect(),
        ),
        Ok(Value::String(s)) => Line::Job(s),
        Ok(other) => Line::Garbage {
            minion: None,
            why: format!("expected a JSON object per minion, found {}", kind(&other)),
        },
        Err(e) => Line::Garbage {
            minion: leading_minion(line),
            why: e.to_string(),
        },
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn minion_return(v: Value) -> MinionReturn {
    match v {
        Value::String(words) => MinionReturn::Words(words),
        Value::Object(mut map) => {
            let text = |v: Option<Value>| match v {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            let retcode = map
                .get("retcode")
                .and_then(Value::as_i64)
                .and_then(|r| i32::try_from(r).ok());
            match (text(map.remove("stdout")), text(map.remove("stderr"))) {
                (Some(stdout), stderr) => MinionReturn::Ran {
                    stdout,
                    stderr: stderr.unwrap_or_default(),
                    retcode,
                },
                (None, _) => MinionReturn::Words(format!(
                    "unexpected return (no stdout): {}",
                    clip(&Value::Object(map).to_string(), 200)
                )),
            }
        }
        other => MinionReturn::Words(format!(
            "unexpected return: {}",
            clip(&other.to_string(), 200)
        )),
    }
}

/// The minion id a broken line starts with (`{"m1": {"pid": …` cut short), if any.
fn leading_minion(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix('{')?;
    serde_json::Deserializer::from_str(rest)
        .into_iter::<String>()
        .next()?
        .ok()
}

/// At most `max` characters of `s`, with `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The first line of Salt's words (the rest is advice such as `salt-run jobs.lookup_jid`).
pub(crate) fn first_line(words: &str) -> &str {
    words.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_is_the_shells_output_and_status() {
        let line = r##"{"m2": {"pid": 31399, "retcode": 3, "stdout": "hi\n", "stderr": "#x: y"}}"##;
        assert_eq!(
            parse_line(line),
            Line::Returns(vec![(
                "m2".into(),
                MinionReturn::Ran {
                    stdout: "hi\n".into(),
                    stderr: "#x: y".into(),
                    retcode: Some(3)
                }
            )])
        );
    }

    #[test]
    fn salts_words_instead_of_a_return_are_kept() {
        let line = r#"{"m2": "Minion did not return. [No response]\nThe minions may not have all finished running"}"#;
        let Line::Returns(r) = parse_line(line) else {
            panic!("expected returns")
        };
        let MinionReturn::Words(w) = &r[0].1 else {
            panic!("expected words")
        };
        assert_eq!(first_line(w), "Minion did not return. [No response]");
    }

    #[test]
    fn a_bare_string_speaks_for_the_whole_job() {
        let line = r#""Salt request timed out. The master is not responding.""#;
        assert!(
            matches!(parse_line(line), Line::Job(s) if s.starts_with("Salt request timed out"))
        );
    }

    #[test]
    fn a_truncated_line_names_the_minion_it_was_about() {
        let line = r#"{"web-03": {"pid": 12, "retcode": 0, "stdout": "@@PID 1"#;
        assert!(matches!(
            parse_line(line),
            Line::Garbage { minion: Some(m), .. } if m == "web-03"
        ));
        assert!(matches!(
            parse_line("The salt master could not be contacted. Is master running?"),
            Line::Garbage { minion: None, .. }
        ));
        assert!(matches!(
            parse_line("[1, 2]"),
            Line::Garbage { minion: None, .. }
        ));
    }

    #[test]
    fn a_return_without_stdout_is_not_mistaken_for_output() {
        let Line::Returns(r) = parse_line(r#"{"m1": {"retcode": 0}}"#) else {
            panic!("expected returns")
        };
        assert!(matches!(&r[0].1, MinionReturn::Words(w) if w.contains("no stdout")));
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
