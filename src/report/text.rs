//! Text report for people: per host (written when the host completes), grouped by
//! category, every non-pass with expected vs actual, then one summary line. Colors only
//! when asked (the CLI asks on a TTY without NO_COLOR). An acknowledged failure is shown
//! dimmed as `ACKED` with who, until when and why; the verdict and exit code leave it out
//! unless `--strict`.

use super::{HostBuffer, HostResultCounts, ReportAcks, Reporter, attrs_inline, expected_inline};
use crate::exec::Event;
use crate::model::{Outcome, OutcomeCounts, ResultRecord};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Instant;

pub struct TextReporter<'a> {
    out: Box<dyn Write + 'a>,
    hosts: HostBuffer,
    color: bool,
    started: Instant,
    host_count: usize,
    hosts_done: usize,
    acks: ReportAcks,
}

const RESET: &str = "\x1b[0m";

fn paint(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "\x1b[32m",
        Outcome::Fail => "\x1b[1;31m",
        Outcome::Error | Outcome::Timeout | Outcome::Unreachable | Outcome::SudoDenied => {
            "\x1b[33m"
        }
        Outcome::NotApplicable => "\x1b[2m",
    }
}

impl<'a> TextReporter<'a> {
    pub fn new(
        out: Box<dyn Write + 'a>,
        expected: HostResultCounts,
        color: bool,
        acks: ReportAcks,
    ) -> Self {
        TextReporter {
            out,
            host_count: expected.len(),
            hosts: HostBuffer::new(expected),
            color,
            started: Instant::now(),
            hosts_done: 0,
            acks,
        }
    }

    fn label(&self, o: Outcome) -> String {
        let text = format!("{:<11}", o.as_str().to_uppercase());
        if self.color {
            format!("{}{text}{RESET}", paint(o))
        } else {
            text
        }
    }

    fn dim(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[2m{s}{RESET}")
        } else {
            s.to_string()
        }
    }

    fn write_host(&mut self, host: &str, mut results: Vec<ResultRecord>) -> io::Result<()> {
        self.hosts_done += 1;
        let mut counts = OutcomeCounts::default();
        results.iter().for_each(|r| counts.add(r.outcome));
        let env = results
            .first()
            .map(|r| r.environment.clone())
            .unwrap_or_default();
        let bold = |s: &str| {
            if self.color {
                format!("\x1b[1m{s}{RESET}")
            } else {
                s.to_string()
            }
        };
        writeln!(
            self.out,
            "\n{} {}  {}",
            bold(host),
            self.dim(&format!("({env})")),
            counts.summary()
        )?;
        // A host that failed as a whole (unreachable, timeout, sudo denied): one line.
        if let Some(first) = results.first()
            && first.outcome.is_problem()
            && first.actual.as_object().is_some_and(|m| m.is_empty())
            && results
                .iter()
                .all(|r| r.outcome == first.outcome && r.reason == first.reason)
            && first.outcome != Outcome::Error
        {
            writeln!(
                self.out,
                "  {} {} ({} checks not run)",
                self.label(first.outcome),
                first.reason.as_deref().unwrap_or(""),
                results.len()
            )?;
            return Ok(());
        }
        results.sort_by(|a, b| {
            (&a.category, a.outcome, &a.key).cmp(&(&b.category, b.outcome, &b.key))
        });
        let mut by_cat: BTreeMap<String, Vec<ResultRecord>> = BTreeMap::new();
        for r in results {
            by_cat.entry(r.category.clone()).or_default().push(r);
        }
        for (cat, list) in by_cat {
            let mut c = OutcomeCounts::default();
            list.iter().for_each(|r| c.add(r.outcome));
            writeln!(self.out, "  [{cat}] {}", self.dim(&c.summary()))?;
            for r in list.iter().filter(|r| r.outcome != Outcome::Pass) {
                let ack = self.acks.note(r);
                let label = match &ack {
                    Some(_) => self.dim(&format!("{:<11}", "ACKED")),
                    None => self.label(r.outcome),
                };
                writeln!(self.out, "    {label} {:<8} {}", r.severity.as_str(), r.key)?;
                let pad = "                ";
                if let Some(a) = &ack {
                    writeln!(self.out, "{pad}{}", self.dim(&a.describe()))?;
                }
                writeln!(self.out, "{pad}{}", r.title)?;
                match r.outcome {
                    Outcome::NotApplicable => {
                        writeln!(
                            self.out,
                            "{pad}why:      {}",
                            r.reason.as_deref().unwrap_or("")
                        )?;
                    }
                    _ => {
                        writeln!(self.out, "{pad}expected: {}", expected_inline(&r.expected))?;
                        writeln!(self.out, "{pad}actual:   {}", attrs_inline(&r.actual))?;
                        if r.outcome != Outcome::Fail
                            && let Some(why) = &r.reason
                        {
                            writeln!(self.out, "{pad}reason:   {why}")?;
                        }
                    }
                }
                if let Some(sop) = &r.sop
                    && r.outcome == Outcome::Fail
                {
                    writeln!(self.out, "{pad}{}", self.dim(&format!("sop: {sop}")))?;
                }
            }
        }
        Ok(())
    }
}

impl Reporter for TextReporter<'_> {
    fn event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted(meta) => {
                self.started = Instant::now();
                let hash: String = meta.checkset_hash.chars().take(12).collect();
                writeln!(
                    self.out,
                    "driftscope run {} · {} · {} host{} · {} checks · check set {hash}",
                    meta.id,
                    meta.scope.describe(),
                    meta.host_count,
                    if meta.host_count == 1 { "" } else { "s" },
                    meta.execution_count,
                )?;
            }
            Event::CheckResult(rec) => {
                if let Some((host, list)) = self.hosts.push(rec.as_ref().clone()) {
                    self.write_host(&host, list)?;
                }
            }
            Event::RunFinished {
                counts, cancelled, ..
            } => {
                for (host, list) in self.hosts.drain() {
                    self.write_host(&host, list)?;
                }
                let took = crate::model::human_duration(self.started.elapsed());
                let code = self.acks.exit_code(counts, *cancelled);
                let verdict = match code {
                    130 => format!(
                        "CANCELLED (run cancelled after {} of {} hosts)",
                        self.hosts_done, self.host_count
                    ),
                    1 => "DRIFT".to_string(),
                    3 => "INCOMPLETE".to_string(),
                    _ => "OK".to_string(),
                };
                let acked = match self.acks.acknowledged() {
                    0 => String::new(),
                    n => format!(" ({n} acknowledged)"),
                };
                writeln!(
                    self.out,
                    "\n{verdict}: {}{acked} · {} host{} · {took} · exit {code}",
                    counts.summary(),
                    self.hosts_done,
                    if self.hosts_done == 1 { "" } else { "s" },
                )?;
                self.out.flush()?;
            }
            Event::HostState { .. } => {}
        }
        Ok(())
    }
}
