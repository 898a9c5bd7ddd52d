//! One salt job: one `salt` CLI process for one master, one script and many minions. Reads
//! the returns as they arrive, hands each minion's to every item that names it, and at the
//! end gives every minion that did not answer its own reason (Salt's words, the master's,
//! `unknown minion`, a cut-off document, or the deadline).

use super::returns::{Line, MinionReturn, clip, first_line, parse_line};
use crate::model::SaltMaster;
use crate::transport::process_group::GroupKiller;
use crate::transport::{BatchOutput, Limits, ScriptOutput, TransportError, read_capped};
use base64::Engine;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc::UnboundedSender;

/// What the minion runs: the script arrives base64-encoded on its stdin, and runs under
/// coreutils' `timeout -s KILL` (where the minion has it) so that nothing of the probe
/// outlives driftscope's deadline on the minion: the job itself cannot be signalled from
/// here (Salt returns the probe's `@@PID` only with the whole output), and `timeout` kills
/// the probe's whole process group. One second of grace over the deadline; at least 1 s.
fn remote_command(limit: Duration) -> String {
    format!(
        "base64 -d | {}",
        crate::transport::bounded::bounded_sh(limit, Duration::from_secs(1))
    )
}

/// Cap on the CLI's own stderr (its complaints, not the probe's).
const CLI_STDERR_CAP: usize = 64 * 1024;

/// How long the `salt-key` lookup for minions that did not answer may take.
const KEY_LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Bytes of an over-long line kept to find the minion it speaks of.
const LONG_LINE_HEAD: usize = 4096;

pub(super) struct Job<'a> {
    master: &'a SaltMaster,
    script: &'a str,
    /// Minion id → the batch items that name it, in first-seen order.
    minions: Vec<(&'a str, Vec<usize>)>,
    slot_of: HashMap<&'a str, usize>,
}

/// How one line of output was read.
enum LineRead {
    Line,
    /// Longer than the cap: only its head is kept.
    TooLong,
    Eof,
}

/// What the output said beyond the minions' own returns.
#[derive(Default)]
struct Heard {
    /// A message for the whole job (a bare JSON string: the master is not responding …).
    job: Option<String>,
    /// A JSON document that was cut or garbled, and no minion could be named for it.
    garbled: Option<String>,
    /// Plain text from the CLI (`The salt master could not be contacted. …`).
    said: Vec<String>,
    /// Minions Salt reported as not returning, with its words.
    no_return: BTreeMap<String, String>,
}

impl<'a> Job<'a> {
    pub(super) fn new(master: &'a SaltMaster, script: &'a str) -> Job<'a> {
        Job {
            master,
            script,
            minions: Vec::new(),
            slot_of: HashMap::new(),
        }
    }

    pub(super) fn add(&mut self, minion: &'a str, index: usize) {
        let slot = *self.slot_of.entry(minion).or_insert_with(|| {
            self.minions.push((minion, Vec::new()));
            self.minions.len() - 1
        });
        if let Some((_, items)) = self.minions.get_mut(slot) {
            items.push(index);
        }
    }

    #[cfg(test)]
    pub(super) fn script(&self) -> &str {
        self.script
    }

    #[cfg(test)]
    pub(super) fn minion_ids(&self) -> Vec<String> {
        self.minions.iter().map(|(m, _)| m.to_string()).collect()
    }

    /// The CLI's arguments, one per line (`salt --args-stdin` reads them; every option must
    /// be among them, since Salt resets the command line's options to their defaults).
    fn cli_args(&self, limit: Duration) -> String {
        let list: Vec<&str> = self.minions.iter().map(|(m, _)| *m).collect();
        let script = base64::engine::general_purpose::STANDARD.encode(self.script);
        let args = [
            format!("--config-dir={}", self.master.config_dir.display()),
            "--out=json".into(),
            "--out-indent=-1".into(),
            format!("--timeout={}", self.master.timeout_secs),
            "--no-parse=stdin".into(),
            "--list".into(),
            list.join(","),
            "cmd.run_all".into(),
            remote_command(limit),
            format!("stdin={script}"),
            "python_shell=True".into(),
            "rstrip=False".into(),
            "ignore_retcode=True".into(),
            "output_loglevel=quiet".into(),
        ];
        let mut text = args.join("\n");
        text.push('\n');
        text
    }

    /// Hand `result` to every item that names `minion`, once.
    fn answer(
        &self,
        answered: &mut [bool],
        minion: &str,
        result: &Result<ScriptOutput, TransportError>,
        outputs: &UnboundedSender<BatchOutput>,
    ) {
        let Some(&slot) = self.slot_of.get(minion) else {
            return; // a minion we did not ask for (a glob in an id): not ours
        };
        if std::mem::replace(&mut answered[slot], true) {
            return;
        }
        if let Some((_, items)) = self.minions.get(slot) {
            for &i in items {
                let _ = outputs.send((i, result.clone()));
            }
        }
    }

    fn answer_rest(
        &self,
        answered: &mut [bool],
        outputs: &UnboundedSender<BatchOutput>,
        mut why: impl FnMut(&str) -> TransportError,
    ) {
        for (minion, _) in &self.minions {
            if !answered[self.slot_of[minion]] {
                let result = Err(why(minion));
                self.answer(answered, minion, &result, outputs);
            }
        }
    }

    pub(super) async fn run(&self, limits: Limits, outputs: &UnboundedSender<BatchOutput>) {
        let mut answered = vec![false; self.minions.len()];
        let bin = &self.master.bin;
        let mut cmd = Command::new(bin);
        cmd.arg("--args-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                self.answer_rest(&mut answered, outputs, |_| {
                    TransportError::Unreachable(format!("cannot start `{bin}`: {e}"))
                });
                return;
            }
        };
        let mut group = GroupKiller::new(child.id());
        let args = self.cli_args(
            limits
                .deadline
                .saturating_duration_since(std::time::Instant::now()),
        );
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let write = async {
            if let Some(mut w) = stdin {
                let _ = w.write_all(args.as_bytes()).await;
                let _ = w.shutdown().await;
            }
        };
        let err = async {
            match stderr {
                Some(r) => read_capped(r, CLI_STDERR_CAP)
                    .await
                    .map(|(b, _)| b)
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        };
        let mut heard = Heard::default();
        let read = async {
            let Some(stdout) = stdout else { return };
            let mut reader = BufReader::with_capacity(256 * 1024, stdout);
            let line_cap = limits.output_cap.saturating_mul(2).saturating_add(1 << 20);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                let read = match read_line_capped(&mut reader, &mut buf, line_cap).await {
                    Ok(r) => r,
                    Err(e) => {
                        heard.garbled = Some(format!("reading salt's output: {e}"));
                        return;
                    }
                };
                let text = String::from_utf8_lossy(&buf);
                match read {
                    LineRead::Eof => return,
                    LineRead::TooLong => {
                        let over = Err(TransportError::Failed(format!(
                            "output exceeded {} bytes",
                            limits.output_cap
                        )));
                        match parse_line(&text) {
                            Line::Garbage {
                                minion: Some(m), ..
                            } => self.answer(&mut answered, &m, &over, outputs),
                            _ => {
                                heard.garbled = Some("a line of salt's output over the cap".into())
                            }
                        }
                    }
                    LineRead::Line if text.trim().is_empty() => {}
                    LineRead::Line => {
                        self.hear(&text, &mut heard, &mut answered, limits, outputs);
                    }
                }
            }
        };
        let deadline = tokio::time::Instant::from_std(limits.deadline);
        let finished = tokio::time::timeout_at(deadline, async {
            let ((), (), cli_stderr) = tokio::join!(write, read, err);
            let _ = child.wait().await;
            cli_stderr
        })
        .await;
        let cli_stderr = match finished {
            Ok(e) => {
                group.disarm();
                e
            }
            Err(_) => {
                group.kill_now();
                let _ = child.kill().await;
                self.answer_rest(&mut answered, outputs, |m| {
                    TransportError::Timeout(format!(
                        "minion `{m}` did not return before the deadline (the salt job was still out)"
                    ))
                });
                return;
            }
        };
        self.conclude(heard, &cli_stderr, &mut answered, limits, outputs)
            .await;
    }

    /// Act on one line: hand out returns, remember everything else.
    fn hear(
        &self,
        text: &str,
        heard: &mut Heard,
        answered: &mut [bool],
        limits: Limits,
        outputs: &UnboundedSender<BatchOutput>,
    ) {
        match parse_line(text) {
            Line::Returns(returns) => {
                for (minion, ret) in returns {
                    match ret {
                        MinionReturn::Ran {
                            stdout,
                            stderr,
                            retcode,
                        } => {
                            let result = if stdout.len() > limits.output_cap {
                                Err(TransportError::Failed(format!(
                                    "output exceeded {} bytes",
                                    limits.output_cap
                                )))
                            } else {
                                Ok(ScriptOutput {
                                    stdout: stdout.into_bytes(),
                                    stderr: stderr.into_bytes(),
                                    status: retcode,
                                })
                            };
                            self.answer(answered, &minion, &result, outputs);
                        }
                        MinionReturn::Words(words)
                            if words.starts_with("Minion did not return") =>
                        {
                            heard
                                .no_return
                                .insert(minion, first_line(&words).to_string());
                        }
                        MinionReturn::Words(words) => {
                            let result = Err(TransportError::Failed(format!(
                                "salt: {}",
                                clip(words.trim(), 300)
                            )));
                            self.answer(answered, &minion, &result, outputs);
                        }
                    }
                }
            }
            Line::Job(words) => heard.job = Some(words),
            Line::Garbage {
                minion: Some(m),
                why,
            } => {
                let result = Err(TransportError::Failed(format!(
                    "salt's return for this minion was cut or garbled: {why}"
                )));
                self.answer(answered, &m, &result, outputs);
            }
            Line::Garbage { minion: None, why } => {
                if text.trim_start().starts_with(['{', '[', '"']) {
                    heard.garbled = Some(why);
                } else {
                    heard.said.push(text.trim().to_string());
                }
            }
        }
    }

    /// Give every minion that has no answer yet its reason.
    async fn conclude(
        &self,
        heard: Heard,
        cli_stderr: &[u8],
        answered: &mut [bool],
        limits: Limits,
        outputs: &UnboundedSender<BatchOutput>,
    ) {
        let cli_stderr = String::from_utf8_lossy(cli_stderr);
        let cli_stderr = cli_stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains("Minions returned with non-zero exit code"))
            .collect::<Vec<_>>()
            .join(" ");
        let with_stderr = |what: String| {
            if cli_stderr.is_empty() {
                clip(&what, 400)
            } else {
                clip(&format!("{what} ({cli_stderr})"), 400)
            }
        };
        if let Some(job) = &heard.job {
            let why = with_stderr(format!("salt: {}", first_sentences(job)));
            self.answer_rest(answered, outputs, |_| {
                TransportError::Unreachable(why.clone())
            });
            return;
        }
        if let Some(garbled) = &heard.garbled {
            let why = format!("salt's output was cut or garbled: {garbled}");
            self.answer_rest(answered, outputs, |_| TransportError::Failed(why.clone()));
            return;
        }
        let unanswered = self.minions.iter().any(|(m, _)| !answered[self.slot_of[m]]);
        let keys = if unanswered {
            accepted_keys(self.master, limits).await
        } else {
            None
        };
        let said = match (heard.said.is_empty(), cli_stderr.is_empty()) {
            (true, true) => None,
            (false, _) => Some(with_stderr(format!("salt: {}", heard.said.join(" ")))),
            (true, false) => Some(clip(&format!("salt: {cli_stderr}"), 400)),
        };
        self.answer_rest(answered, outputs, |m| {
            if let Some(keys) = &keys
                && !keys.accepted.iter().any(|k| k == m)
            {
                let why = if keys.pending.iter().any(|k| k == m) {
                    format!("unknown minion `{m}`: its key is not accepted on the master yet")
                } else {
                    format!("unknown minion `{m}`: the master has no key for it")
                };
                return TransportError::Unreachable(why);
            }
            match (heard.no_return.get(m), &said) {
                (Some(words), _) => TransportError::Unreachable(format!("salt: {words}")),
                (None, Some(said)) => TransportError::Unreachable(said.clone()),
                (None, None) => TransportError::Unreachable(format!(
                    "minion `{m}` is not in salt's output: no return"
                )),
            }
        });
    }
}

/// The first two sentences of a long Salt message (the rest is advice about `--async`).
fn first_sentences(words: &str) -> String {
    let line = first_line(words);
    match line.match_indices(". ").nth(1) {
        Some((i, _)) => line[..=i].to_string(),
        None => line.to_string(),
    }
}
/// Read one `\n`-terminated line into `buf` (without the newline), keeping at most `cap`
/// bytes; a longer line keeps its first [`LONG_LINE_HEAD`] bytes and is skipped to its end.
async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<LineRead> {
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(match (buf.is_empty(), too_long) {
                (_, true) => LineRead::TooLong,
                (true, false) => LineRead::Eof,
                (false, false) => LineRead::Line,
            });
        }
        let (chunk, used, ends) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        if !too_long && buf.len() + chunk.len() > cap {
            too_long = true;
            buf.truncate(LONG_LINE_HEAD);
        }
        if !too_long {
            buf.extend_from_slice(chunk);
        } else if buf.len() < LONG_LINE_HEAD {
            let take = (LONG_LINE_HEAD - buf.len()).min(chunk.len());
            buf.extend_from_slice(&chunk[..take]);
        }
        reader.consume(used);
        if ends {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

/// The master's minion keys, by state (`salt-key --list=all`).
struct Keys {
    accepted: Vec<String>,
    pending: Vec<String>,
}

/// `salt-key` next to the configured `salt` (same directory when `bin` is a path).
fn salt_key_bin(bin: &str) -> String {
    match Path::new(bin).parent() {
        Some(dir) if bin.contains('/') => dir.join("salt-key").display().to_string(),
        _ => "salt-key".into(),
    }
}

/// Ask the master which minions it knows; `None` when that cannot be told (then Salt's own
/// words stand).
async fn accepted_keys(master: &SaltMaster, limits: Limits) -> Option<Keys> {
    let mut cmd = Command::new(salt_key_bin(&master.bin));
    cmd.arg(format!("--config-dir={}", master.config_dir.display()))
        .args(["--out=json", "--list=all"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0);
    let child = cmd.spawn().ok()?;
    let mut group = GroupKiller::new(child.id());
    let deadline = tokio::time::Instant::from_std(limits.deadline)
        .min(tokio::time::Instant::now() + KEY_LOOKUP_TIMEOUT);
    let out = tokio::time::timeout_at(deadline, child.wait_with_output())
        .await
        .ok()?
        .ok()?;
    group.disarm();
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let list = |k: &str| -> Option<Vec<String>> {
        Some(
            v.get(k)?
                .as_array()?
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect(),
        )
    };
    Some(Keys {
        accepted: list("minions")?,
        pending: list("minions_pre").unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_read_whole_and_over_long_ones_skipped() {
        let input: &[u8] = b"{\"a\": 1}\n0123456789abcdef\nlast";
        let mut r = BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        assert!(matches!(
            read_line_capped(&mut r, &mut buf, 10).await.unwrap(),
            LineRead::Line
        ));
        assert_eq!(buf, b"{\"a\": 1}");
        buf.clear();
        assert!(matches!(
            read_line_capped(&mut r, &mut buf, 10).await.unwrap(),
            LineRead::TooLong
        ));
        buf.clear();
        assert!(matches!(
            read_line_capped(&mut r, &mut buf, 10).await.unwrap(),
            LineRead::Line
        ));
        assert_eq!(buf, b"last");
        buf.clear();
        assert!(matches!(
            read_line_capped(&mut r, &mut buf, 10).await.unwrap(),
            LineRead::Eof
        ));
    }

    #[test]
    fn the_cli_gets_every_option_on_stdin_and_the_script_in_one_line() {
        let master = SaltMaster {
            config_dir: "/srv/salt-master".into(),
            timeout_secs: 7,
            bin: "/opt/salt/bin/salt".into(),
        };
        let mut job = Job::new(&master, "echo a\necho b\n");
        job.add("m1", 0);
        job.add("m2", 1);
        job.add("m1", 2);
        let args = job.cli_args(Duration::from_millis(29_500));
        let lines: Vec<&str> = args.lines().collect();
        assert_eq!(lines[0], "--config-dir=/srv/salt-master");
        assert!(lines.contains(&"--timeout=7"));
        assert!(lines.contains(&"m1,m2"), "each minion once: {lines:?}");
        assert!(
            lines.contains(&"base64 -d | if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 31 sh -s; else exec sh -s; fi"),
            "the probe is bounded by the deadline + 1 s on the minion: {lines:?}"
        );
        assert!(lines.contains(&"stdin=ZWNobyBhCmVjaG8gYgo="));
        assert_eq!(salt_key_bin(&master.bin), "/opt/salt/bin/salt-key");
        assert_eq!(salt_key_bin("salt"), "salt-key");
        assert_eq!(
            first_sentences(
                "Salt request timed out. The master is not responding. You may need to run"
            ),
            "Salt request timed out. The master is not responding."
        );
    }
}
