//! JSON report: ONE document, written as results arrive:
//! `{"run": {...metadata}, "results": [ {...}, ... ], "finished_at": ..., "cancelled": ...,
//! "counts": {...}, "acknowledged": N, "exit_code": N}`. A failure covered by an
//! acknowledgement carries it as `"acknowledged": {user, reason, expires_at, …}`.

use super::{ReportAcks, Reporter};
use crate::exec::Event;
use std::io::{self, Write};

pub struct JsonReporter<'a> {
    out: Box<dyn Write + 'a>,
    results: u64,
    open: bool,
    acks: ReportAcks,
    buf: Vec<u8>,
}

impl<'a> JsonReporter<'a> {
    pub fn new(out: Box<dyn Write + 'a>, acks: ReportAcks) -> JsonReporter<'a> {
        JsonReporter {
            out,
            results: 0,
            open: false,
            acks,
            buf: Vec::new(),
        }
    }
}

impl Reporter for JsonReporter<'_> {
    fn event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted(meta) => {
                self.out.write_all(b"{\"run\":")?;
                serde_json::to_writer(&mut self.out, meta.as_ref())?;
                self.out.write_all(b",\n\"results\":[")?;
                self.open = true;
            }
            Event::CheckResult(rec) if self.open => {
                self.out
                    .write_all(if self.results == 0 { b"\n" } else { b",\n" })?;
                match self.acks.note(rec) {
                    None => serde_json::to_writer(&mut self.out, rec.as_ref())?,
                    Some(ack) => {
                        // The record's object with one more field (rare: no Value detour
                        // for the other results).
                        self.buf.clear();
                        serde_json::to_writer(&mut self.buf, rec.as_ref())?;
                        self.buf.pop();
                        self.buf.extend_from_slice(b",\"acknowledged\":");
                        serde_json::to_writer(&mut self.buf, &ack)?;
                        self.buf.push(b'}');
                        self.out.write_all(&self.buf)?;
                    }
                }
                self.results += 1;
            }
            Event::RunFinished {
                finished_at,
                counts,
                cancelled,
                ..
            } if self.open => {
                let tail = serde_json::json!({
                    "finished_at": finished_at,
                    "cancelled": cancelled,
                    "counts": counts,
                    "acknowledged": self.acks.acknowledged(),
                    "strict": self.acks.strict,
                    "exit_code": self.acks.exit_code(counts, *cancelled),
                });
                self.out.write_all(b"\n],\n")?;
                // Splice the tail object's fields into the document.
                let tail = tail.to_string();
                let inner = tail
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .unwrap_or("");
                self.out.write_all(inner.as_bytes())?;
                self.out.write_all(b"}\n")?;
                self.out.flush()?;
                self.open = false;
            }
            _ => {}
        }
        Ok(())
    }
}
