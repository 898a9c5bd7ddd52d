//! JSON report: ONE document, written as results arrive:
//! `{"run": {...metadata}, "results": [ {...}, ... ], "finished_at": ..., "cancelled": ...,
//! "counts": {...}, "exit_code": N}`.

use super::Reporter;
use crate::exec::Event;
use std::io::{self, Write};

pub struct JsonReporter<'a> {
    out: Box<dyn Write + 'a>,
    results: u64,
    open: bool,
}

impl<'a> JsonReporter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> JsonReporter<'a> {
        JsonReporter {
            out,
            results: 0,
            open: false,
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
                serde_json::to_writer(&mut self.out, rec.as_ref())?;
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
                    "exit_code": if *cancelled { 130 } else { counts.exit_code() },
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
