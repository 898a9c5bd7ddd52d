//! Prometheus report: the node_exporter textfile-collector format (the text exposition
//! format), written when the run finishes (families must not interleave):
//! per host×check `driftscope_check_failing` (0/1) and `driftscope_check_outcome`
//! (the outcome as a label, value 1); per host `driftscope_host_up` and
//! `driftscope_host_probe_duration_seconds`; per run `driftscope_run_timestamp_seconds`,
//! `driftscope_run_duration_seconds`, `driftscope_run_results` by outcome and
//! `driftscope_run_incomplete`. Label values are escaped per the format (`\\`, `\"`, `\n`).
//!
//! Memory: two lines per result are kept until the run finishes (a textfile collector
//! scrape is one file; a million series is more than Prometheus should take from one).

use super::Reporter;
use crate::exec::Event;
use crate::model::{HostPhase, Outcome};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

pub struct PrometheusReporter<'a> {
    out: Box<dyn Write + 'a>,
    env: String,
    started: Option<chrono::DateTime<chrono::Utc>>,
    failing: String,
    outcome: String,
    /// host → (reachable, longest probe round trip)
    hosts: BTreeMap<String, (bool, Duration)>,
}

/// A label value with `\`, `"` and newlines escaped.
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl<'a> PrometheusReporter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> PrometheusReporter<'a> {
        PrometheusReporter {
            out,
            env: String::new(),
            started: None,
            failing: String::new(),
            outcome: String::new(),
            hosts: BTreeMap::new(),
        }
    }

    fn family(&mut self, name: &str, help: &str, body: &str) -> io::Result<()> {
        writeln!(self.out, "# HELP {name} {help}")?;
        writeln!(self.out, "# TYPE {name} gauge")?;
        self.out.write_all(body.as_bytes())
    }

    fn finish(
        &mut self,
        finished_at: chrono::DateTime<chrono::Utc>,
        counts: &crate::model::OutcomeCounts,
        cancelled: bool,
    ) -> io::Result<()> {
        let failing = std::mem::take(&mut self.failing);
        let outcome = std::mem::take(&mut self.outcome);
        self.family(
            "driftscope_check_failing",
            "1 when the host drifts from the declared state for this check (outcome fail).",
            &failing,
        )?;
        self.family(
            "driftscope_check_outcome",
            "The outcome of the check on the host (pass, fail, error, unreachable, timeout, sudo_denied, not_applicable) as a label; always 1.",
            &outcome,
        )?;
        let env = self.env.clone();
        let mut up = String::new();
        let mut took = String::new();
        for (host, (reachable, d)) in &self.hosts {
            let l = labels(&[("env", &env), ("host", host)]);
            up.push_str(&format!("driftscope_host_up{l} {}\n", u8::from(*reachable)));
            took.push_str(&format!(
                "driftscope_host_probe_duration_seconds{l} {}\n",
                d.as_secs_f64()
            ));
        }
        self.family(
            "driftscope_host_up",
            "1 when driftscope reached the host and it answered the probe.",
            &up,
        )?;
        self.family(
            "driftscope_host_probe_duration_seconds",
            "Wall time of the host's probe round trip (connect + probe).",
            &took,
        )?;
        let l = labels(&[("env", &env)]);
        let started = self.started.unwrap_or(finished_at);
        let ts = started.timestamp_millis() as f64 / 1000.0;
        let dur = (finished_at - started).num_milliseconds().max(0) as f64 / 1000.0;
        self.family(
            "driftscope_run_timestamp_seconds",
            "When the run started (Unix time).",
            &format!("driftscope_run_timestamp_seconds{l} {ts}\n"),
        )?;
        self.family(
            "driftscope_run_duration_seconds",
            "How long the run took.",
            &format!("driftscope_run_duration_seconds{l} {dur}\n"),
        )?;
        let mut by_outcome = String::new();
        for o in Outcome::ALL {
            let lo = labels(&[("env", &env), ("outcome", o.as_str())]);
            by_outcome.push_str(&format!("driftscope_run_results{lo} {}\n", counts.get(o)));
        }
        self.family(
            "driftscope_run_results",
            "Results of the run by outcome.",
            &by_outcome,
        )?;
        self.family(
            "driftscope_run_incomplete",
            "1 when the run was cancelled before every host answered.",
            &format!("driftscope_run_incomplete{l} {}\n", u8::from(cancelled)),
        )?;
        self.out.flush()
    }
}

impl Reporter for PrometheusReporter<'_> {
    fn event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted(meta) => {
                self.env = meta.scope.environment.clone();
                self.started = Some(meta.started_at);
            }
            Event::HostState { host, phase } => {
                let entry = self
                    .hosts
                    .entry(host.clone())
                    .or_insert((true, Duration::ZERO));
                if let HostPhase::Failed(_) = phase {
                    entry.0 = false;
                }
            }
            Event::CheckResult(r) => {
                let l = labels(&[
                    ("env", &r.environment),
                    ("host", &r.host),
                    ("check", &r.key.0),
                    ("category", &r.category),
                    ("severity", r.severity.as_str()),
                ]);
                self.failing.push_str(&format!(
                    "driftscope_check_failing{l} {}\n",
                    u8::from(r.outcome == Outcome::Fail)
                ));
                let lo = labels(&[
                    ("env", &r.environment),
                    ("host", &r.host),
                    ("check", &r.key.0),
                    ("category", &r.category),
                    ("severity", r.severity.as_str()),
                    ("outcome", r.outcome.as_str()),
                ]);
                self.outcome
                    .push_str(&format!("driftscope_check_outcome{lo} 1\n"));
                let entry = self
                    .hosts
                    .entry(r.host.clone())
                    .or_insert((true, Duration::ZERO));
                entry.1 = entry.1.max(r.duration);
                if matches!(r.outcome, Outcome::Unreachable | Outcome::Timeout) {
                    entry.0 = false;
                }
            }
            Event::RunFinished {
                finished_at,
                counts,
                cancelled,
                ..
            } => self.finish(*finished_at, counts, *cancelled)?,
        }
        Ok(())
    }
}
