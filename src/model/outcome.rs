//! The seven outcomes of an execution and counts over them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What happened to one execution. Order = display priority (worst first for sorting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Drift: the host differs from the declared state.
    Fail,
    /// The probe could not answer (command missing, permission denied, unparsable output).
    Error,
    /// Connect, auth or host-key failure: nothing ran.
    Unreachable,
    /// The host's deadline passed before its probe finished.
    Timeout,
    /// `become = true` and sudo refused.
    SudoDenied,
    /// The module does not apply to this host (e.g. no dpkg and no rpm).
    NotApplicable,
    Pass,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Fail,
        Outcome::Error,
        Outcome::Unreachable,
        Outcome::Timeout,
        Outcome::SudoDenied,
        Outcome::NotApplicable,
        Outcome::Pass,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Unreachable => "unreachable",
            Outcome::Timeout => "timeout",
            Outcome::SudoDenied => "sudo_denied",
            Outcome::NotApplicable => "not_applicable",
        }
    }
    pub fn from_name(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
    /// Errors that mean "we do not know the state" (exit code 3 when there is no fail).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Outcome::Error | Outcome::Unreachable | Outcome::Timeout | Outcome::SudoDenied
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub unreachable: u64,
    pub timeout: u64,
    pub sudo_denied: u64,
    pub not_applicable: u64,
}

impl OutcomeCounts {
    pub fn add(&mut self, o: Outcome) {
        *self.slot(o) += 1;
    }
    /// Add every count of `other` (a host's or a batch's) to these.
    pub fn merge(&mut self, other: OutcomeCounts) {
        for o in Outcome::ALL {
            *self.slot(o) += other.get(o);
        }
    }
    pub fn get(&self, o: Outcome) -> u64 {
        match o {
            Outcome::Pass => self.pass,
            Outcome::Fail => self.fail,
            Outcome::Error => self.error,
            Outcome::Unreachable => self.unreachable,
            Outcome::Timeout => self.timeout,
            Outcome::SudoDenied => self.sudo_denied,
            Outcome::NotApplicable => self.not_applicable,
        }
    }
    fn slot(&mut self, o: Outcome) -> &mut u64 {
        match o {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::Error => &mut self.error,
            Outcome::Unreachable => &mut self.unreachable,
            Outcome::Timeout => &mut self.timeout,
            Outcome::SudoDenied => &mut self.sudo_denied,
            Outcome::NotApplicable => &mut self.not_applicable,
        }
    }
    pub fn total(&self) -> u64 {
        Outcome::ALL.iter().map(|o| self.get(*o)).sum()
    }
    pub fn problems(&self) -> u64 {
        self.error + self.unreachable + self.timeout + self.sudo_denied
    }
    /// The CLI exit code for a run with these counts: 0 all pass, 1 drift, 3 problems only.
    pub fn exit_code(&self) -> i32 {
        if self.fail > 0 {
            1
        } else if self.problems() > 0 {
            3
        } else {
            0
        }
    }
    /// `12 pass, 2 fail, 1 error` (zero counts left out).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .rev()
            .filter(|o| self.get(**o) > 0)
            .map(|o| format!("{} {}", self.get(*o), o.as_str()))
            .collect();
        if parts.is_empty() {
            "no results".to_string()
        } else {
            parts.join(", ")
        }
    }
}
