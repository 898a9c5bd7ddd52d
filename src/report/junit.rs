//! JUnit XML report: `<testsuites>` > one `<testsuite>` per host (written when the host
//! completes) > one `<testcase>` per execution; `fail` → `<failure>`, error / unreachable /
//! timeout / sudo_denied → `<error type=outcome>`, not_applicable → `<skipped>`. An
//! acknowledged failure is `<skipped type="acknowledged">` naming who, until when and why
//! (with `--strict` it stays a `<failure>` whose message says it is acknowledged).

use super::{HostBuffer, HostResultCounts, ReportAcks, Reporter, attrs_inline, expected_inline};
use crate::exec::Event;
use crate::model::{Outcome, OutcomeCounts, ResultRecord};
use std::io::{self, Write};

pub struct JunitReporter<'a> {
    out: Box<dyn Write + 'a>,
    hosts: HostBuffer,
    started_at: String,
    open: bool,
    acks: ReportAcks,
}

/// Escape text for XML attributes and content; characters XML 1.0 forbids (control bytes
/// from host output) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

impl<'a> JunitReporter<'a> {
    pub fn new(out: Box<dyn Write + 'a>, expected: HostResultCounts, acks: ReportAcks) -> Self {
        JunitReporter {
            out,
            hosts: HostBuffer::new(expected),
            started_at: String::new(),
            open: false,
            acks,
        }
    }

    fn write_suite(&mut self, host: &str, results: Vec<ResultRecord>) -> io::Result<()> {
        let mut c = OutcomeCounts::default();
        results.iter().for_each(|r| c.add(r.outcome));
        let acked: Vec<Option<String>> = results
            .iter()
            .map(|r| self.acks.note(r).map(|a| a.describe()))
            .collect();
        let n_acked = acked.iter().flatten().count() as u64;
        let (failures, skipped) = if self.acks.strict {
            (c.fail, c.not_applicable)
        } else {
            (c.fail - n_acked, c.not_applicable + n_acked)
        };
        let env = results
            .first()
            .map(|r| r.environment.clone())
            .unwrap_or_default();
        let time = results
            .iter()
            .map(|r| r.duration.as_secs_f64())
            .fold(0.0, f64::max);
        writeln!(
            self.out,
            "  <testsuite name=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\" timestamp=\"{}\">",
            xml_escape(&format!("{env}/{host}")),
            xml_escape(host),
            results.len(),
            failures,
            c.problems(),
            skipped,
            xml_escape(&self.started_at),
        )?;
        writeln!(
            self.out,
            "    <properties><property name=\"environment\" value=\"{}\"/></properties>",
            xml_escape(&env)
        )?;
        for (r, ack) in results.iter().zip(&acked) {
            write!(
                self.out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                xml_escape(r.key.as_str()),
                xml_escape(&r.category),
                r.duration.as_secs_f64()
            )?;
            let detail = format!(
                "{}\nexpected: {}\nactual:   {}{}",
                r.title,
                expected_inline(&r.expected),
                attrs_inline(&r.actual),
                r.sop
                    .as_deref()
                    .map(|s| format!("\nsop: {s}"))
                    .unwrap_or_default()
            );
            let reason = r.reason.clone().unwrap_or_default();
            match (r.outcome, ack) {
                (Outcome::Fail, Some(ack)) if !self.acks.strict => writeln!(
                    self.out,
                    ">\n      <skipped type=\"acknowledged\" message=\"{}\">{}</skipped>\n    </testcase>",
                    xml_escape(ack),
                    xml_escape(&detail)
                )?,
                (Outcome::Fail, Some(ack)) => writeln!(
                    self.out,
                    ">\n      <failure type=\"fail\" message=\"{}\">{}</failure>\n    </testcase>",
                    xml_escape(&format!("[{}] {ack}; {}", r.severity, reason)),
                    xml_escape(&detail)
                )?,
                (Outcome::Pass, _) => writeln!(self.out, "/>")?,
                (Outcome::Fail, None) => writeln!(
                    self.out,
                    ">\n      <failure type=\"fail\" message=\"{}\">{}</failure>\n    </testcase>",
                    xml_escape(&format!("[{}] {}", r.severity, reason)),
                    xml_escape(&detail)
                )?,
                (Outcome::NotApplicable, _) => writeln!(
                    self.out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_escape(&reason)
                )?,
                (o, _) => writeln!(
                    self.out,
                    ">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>",
                    o.as_str(),
                    xml_escape(&reason),
                    xml_escape(&detail)
                )?,
            }
        }
        writeln!(self.out, "  </testsuite>")
    }
}

impl Reporter for JunitReporter<'_> {
    fn event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted(meta) => {
                self.started_at = meta.started_at.format("%Y-%m-%dT%H:%M:%S").to_string();
                writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
                writeln!(
                    self.out,
                    "<testsuites name=\"{}\">",
                    xml_escape(&format!(
                        "driftscope run {} ({})",
                        meta.id,
                        meta.scope.describe()
                    ))
                )?;
                self.open = true;
            }
            Event::CheckResult(rec) if self.open => {
                if let Some((host, list)) = self.hosts.push(rec.as_ref().clone()) {
                    self.write_suite(&host, list)?;
                }
            }
            Event::RunFinished {
                cancelled, counts, ..
            } if self.open => {
                for (host, list) in self.hosts.drain() {
                    self.write_suite(&host, list)?;
                }
                if *cancelled {
                    // CI must not read a cancelled run as a clean one.
                    writeln!(
                        self.out,
                        "  <testsuite name=\"driftscope\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase name=\"run\" classname=\"driftscope\">\n      <error type=\"cancelled\" message=\"run cancelled after {} results\"/>\n    </testcase>\n  </testsuite>",
                        counts.total()
                    )?;
                }
                writeln!(self.out, "</testsuites>")?;
                self.out.flush()?;
                self.open = false;
            }
            _ => {}
        }
        Ok(())
    }
}
