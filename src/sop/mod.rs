//! SOPs (standard operating procedures): `checks/sops/<sop-id>.md`, one per failure a check
//! can report, shared by every check whose fix is the same.
//!
//! Owns the SOP file format and nothing that shows it: the TUI and `driftscope sop` render
//! what this module returns. The API, in the order a front end uses it:
//!
//! 1. [`SopLibrary::embedded`] (the shipped library) or [`SopLibrary::load_dir`]
//!    (`<checks dir>/sops/*.md`, what `--checks DIR` implies; see [`SopLibrary::for_checks`]);
//!    both return the library of every file that parsed plus one [`SopError`] per file that
//!    did not (`file:line: what was expected, what was found`).
//! 2. [`SopLibrary::get`] by the id a check names in `sop = "…"`.
//! 3. [`Placeholders::for_execution`] (or [`Placeholders::new`] plus `with_*`) from the
//!    result being shown, then [`Sop::fill`]: every section's markdown with `{host}`, `{env}`,
//!    `{check_id}`, `{key}`, the check's `for_each` names and `{vars.KEY}` filled in, so the
//!    commands are ready to paste. `{{` and `}}` are literal braces; a placeholder with no
//!    value is left as written (lint makes sure the checks naming a SOP can fill it).
//!
//! File format: TOML front matter between `+++` lines, deserialized strictly (an unknown
//! field is an error), then the seven `## ` sections in this order: Meaning, Impact,
//! Diagnose, Remediate, Verify, Rollback, Escalate ([`SectionKind::ALL`]).
//!
//! ```text
//! +++
//! id = "ssh-hardening"                 # equals the file name without .md
//! title = "sshd allows a weak or risky setting"
//! owner = "platform-oncall"
//! escalation = "#infra-pager after 30 min"
//! last_reviewed = 2026-11-30
//! risk = "reloading sshd keeps open sessions"
//! requires = ["sudo"]
//! refs = [{ title = "CIS Debian 12 5.2", url = "https://…" }]
//! +++
//! ## Meaning
//! …
//! ```

mod embedded;
mod fill;
mod library;
pub mod lint;
mod parse;

pub use embedded::EMBEDDED_SOPS;
pub use fill::{BUILTINS, Placeholders, fill, placeholders};
pub use library::SopLibrary;
pub use parse::parse;

use chrono::NaiveDate;
use std::fmt;

/// One parsed SOP file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sop {
    /// What checks name in `sop = "…"`; equals the file name without `.md`.
    pub id: String,
    pub title: String,
    /// Who owns the fix (a team or rota).
    pub owner: String,
    /// Where to go when the SOP does not fix it, e.g. `#infra-pager after 30 min`.
    pub escalation: String,
    /// When a human last checked that the procedure still works (staleness is shown).
    pub last_reviewed: NaiveDate,
    /// What the remediation can break.
    pub risk: String,
    /// What the person following it needs (`sudo`, console access …).
    pub requires: Vec<String>,
    pub refs: Vec<SopRef>,
    /// The seven sections, in [`SectionKind::ALL`] order.
    pub sections: Vec<Section>,
    /// The file it was read from, as shown in messages (`checks/sops/ssh-hardening.md`).
    pub file: String,
}

/// A reference (`refs = [{ title = "…", url = "…" }]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SopRef {
    pub title: String,
    pub url: String,
}

/// The seven sections of every SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    /// What the failure says about the host.
    Meaning,
    /// What breaks or is exposed, blast radius.
    Impact,
    /// Read-only commands (fenced `sh` blocks) and what healthy output looks like.
    Diagnose,
    /// Numbered minimal steps.
    Remediate,
    /// The driftscope command that re-checks just this.
    Verify,
    /// How to undo the remediation.
    Rollback,
    /// When and to whom.
    Escalate,
}

impl SectionKind {
    pub const ALL: [SectionKind; 7] = [
        SectionKind::Meaning,
        SectionKind::Impact,
        SectionKind::Diagnose,
        SectionKind::Remediate,
        SectionKind::Verify,
        SectionKind::Rollback,
        SectionKind::Escalate,
    ];
    /// The heading text (`## Meaning` → `Meaning`).
    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::Meaning => "Meaning",
            SectionKind::Impact => "Impact",
            SectionKind::Diagnose => "Diagnose",
            SectionKind::Remediate => "Remediate",
            SectionKind::Verify => "Verify",
            SectionKind::Rollback => "Rollback",
            SectionKind::Escalate => "Escalate",
        }
    }
    pub fn from_heading(heading: &str) -> Option<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .find(|k| k.heading() == heading)
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.heading())
    }
}

/// One `## ` section: its markdown body (heading excluded, surrounding blank lines trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub body: String,
    /// 1-based line of the section's heading in the file.
    pub line: usize,
    /// 1-based line in the file of the body's first line.
    pub body_line: usize,
}

impl Sop {
    /// The body of one section (every parsed SOP has all seven).
    pub fn section(&self, kind: SectionKind) -> &str {
        self.sections
            .iter()
            .find(|s| s.kind == kind)
            .map_or("", |s| s.body.as_str())
    }

    /// Days since `last_reviewed` as of `today` (negative when it lies in the future).
    pub fn age_days(&self, today: NaiveDate) -> i64 {
        (today - self.last_reviewed).num_days()
    }

    /// The sections with every placeholder that `values` can fill filled in, in order.
    pub fn fill(&self, values: &Placeholders) -> Vec<Section> {
        self.sections
            .iter()
            .map(|s| Section {
                kind: s.kind,
                body: fill(&s.body, values),
                line: s.line,
                body_line: s.body_line,
            })
            .collect()
    }

    /// The whole SOP as markdown (a `# title` line, the front matter as a short list, the
    /// seven sections), filled from `values`: what `driftscope sop` prints and `$PAGER` shows.
    pub fn to_markdown(&self, values: &Placeholders) -> String {
        // The front matter's free text may name placeholders too ("whoever owns {host}").
        let f = |text: &str| fill(text, values);
        let mut out = format!("# {} ({})\n\n", f(&self.title), self.id);
        out.push_str(&format!("- owner: {}\n", f(&self.owner)));
        out.push_str(&format!("- escalation: {}\n", f(&self.escalation)));
        out.push_str(&format!("- last reviewed: {}\n", self.last_reviewed));
        out.push_str(&format!("- risk: {}\n", f(&self.risk)));
        if !self.requires.is_empty() {
            out.push_str(&format!("- requires: {}\n", self.requires.join(", ")));
        }
        for r in &self.refs {
            out.push_str(&format!("- ref: [{}]({})\n", r.title, r.url));
        }
        for s in self.fill(values) {
            out.push_str(&format!("\n## {}\n\n{}\n", s.kind, s.body));
        }
        out
    }
}

/// A SOP file that could not be read or parsed: `file:line: message` (`file: message` when
/// the problem concerns the whole file, `line == 0`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SopError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl SopError {
    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> SopError {
        SopError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for SopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}
