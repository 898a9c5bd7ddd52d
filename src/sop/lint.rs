//! `driftscope checks --lint`: the check library and its SOPs agree. Every check has a title,
//! an explicit severity and a SOP that exists; every SOP file parses (front matter, the seven
//! sections), uses only placeholders that every check naming it can fill, and was not
//! reviewed in the future. Each problem is `file:line: what was expected, what was found`.
//!
//! Check ids are unique already (loading rejects duplicates) and SOP ids equal their file
//! names (parsing rejects others), so both are unique by the time lint runs.

use super::{BUILTINS, SopLibrary, placeholders};
use crate::config::Loaded;
use crate::model::{Check, Value};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use toml::Spanned;

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LintProblem {
    pub file: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LintProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A check file read leniently: only what lint needs to see as written (whether `severity`
/// is there at all; loading fills in a default).
#[derive(Debug, Deserialize)]
struct WrittenFile {
    #[serde(default)]
    check: Vec<Spanned<WrittenCheck>>,
}

#[derive(Debug, Deserialize)]
struct WrittenCheck {
    id: Option<String>,
    severity: Option<toml::Value>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or("").matches('\n').count() + 1
}

/// Lint `loaded`'s checks (written in `check_files`: `(name, text)`, as loaded) against
/// `sops`, as of `today`. An empty list means no problems.
pub fn lint(
    loaded: &Loaded,
    check_files: &[(String, String)],
    sops: &SopLibrary,
    today: NaiveDate,
) -> Vec<LintProblem> {
    let mut problems = Vec::new();
    let mut line_of_check: BTreeMap<&str, (String, usize)> = BTreeMap::new();
    for (name, text) in check_files {
        let Ok(file) = toml::from_str::<WrittenFile>(text) else {
            continue; // loading reported it already
        };
        for c in &file.check {
            let line = line_of(text, c.span().start);
            let Some(id) = c.get_ref().id.as_deref() else {
                continue;
            };
            if let Some(check) = loaded.checks.iter().find(|x| x.id == id) {
                line_of_check.insert(&check.id, (name.clone(), line));
            }
            if c.get_ref().severity.is_none() {
                problems.push(LintProblem {
                    file: name.clone(),
                    line,
                    message: format!(
                        "check `{id}`: expected `severity = \"critical|high|medium|low|info\"`, found none"
                    ),
                });
            }
        }
    }
    let at = |check: &Check| {
        line_of_check
            .get(check.id.as_str())
            .cloned()
            .unwrap_or_else(|| (check.origin.clone(), 0))
    };
    for check in &loaded.checks {
        let (file, line) = at(check);
        if check.title.trim().is_empty() {
            problems.push(LintProblem {
                file: file.clone(),
                line,
                message: format!("check `{}`: expected a title, found an empty one", check.id),
            });
        }
        match &check.sop {
            None => problems.push(LintProblem {
                file,
                line,
                message: format!(
                    "check `{}`: expected `sop = \"<id>\"` naming sops/<id>.md, found none",
                    check.id
                ),
            }),
            Some(id) if sops.get(id).is_none() => problems.push(LintProblem {
                file,
                line,
                message: format!(
                    "check `{}`: expected sops/{id}.md to exist and parse for `sop = \"{id}\"`, found {}",
                    check.id,
                    if sops.errors().iter().any(|e| e.file.ends_with(&format!("/{id}.md"))) {
                        "a file with errors (below)"
                    } else {
                        "no such file"
                    }
                ),
            }),
            Some(_) => {}
        }
    }
    for e in sops.errors() {
        problems.push(LintProblem {
            file: e.file.clone(),
            line: e.line,
            message: e.message.clone(),
        });
    }
    for sop in sops.iter() {
        if sop.last_reviewed > today {
            problems.push(LintProblem {
                file: sop.file.clone(),
                line: 0,
                message: format!(
                    "last_reviewed: expected a date no later than today ({today}), found {}",
                    sop.last_reviewed
                ),
            });
        }
        let naming: Vec<&Check> = loaded
            .checks
            .iter()
            .filter(|c| c.sop.as_deref() == Some(sop.id.as_str()))
            .collect();
        let mut reported = BTreeSet::new();
        let front_matter = [&sop.title, &sop.owner, &sop.escalation, &sop.risk];
        let texts = front_matter
            .into_iter()
            .map(|t| (0usize, t.as_str()))
            .chain(sop.sections.iter().map(|s| (s.body_line, s.body.as_str())));
        for (first_line, text) in texts {
            for (i, line_text) in text.lines().enumerate() {
                for name in placeholders(line_text) {
                    if BUILTINS.contains(&name) || !reported.insert(name.to_string()) {
                        continue;
                    }
                    if let Some(check) = naming.iter().find(|c| !can_fill(c, name)) {
                        let (cf, cl) = at(check);
                        problems.push(LintProblem {
                            file: sop.file.clone(),
                            line: if first_line == 0 { 0 } else { first_line + i },
                            message: format!(
                                "`{{{name}}}`: expected a placeholder every check naming this SOP can fill ({}, a for_each name, or a {{vars.KEY}} the check itself uses), found check `{}` ({cf}:{cl}) without it",
                                BUILTINS.map(|b| format!("{{{b}}}")).join(", "),
                                check.id
                            ),
                        });
                    }
                }
            }
        }
    }
    problems.sort();
    problems
}

/// Can every execution of `check` fill placeholder `name`? A `for_each` name always; a
/// `{vars.KEY}` when the check itself uses that var (then every host it runs on has it).
fn can_fill(check: &Check, name: &str) -> bool {
    if let Some(path) = name.strip_prefix("vars.") {
        let top = path.split('.').next().unwrap_or(path);
        let mut used = false;
        let mut see = |s: &str| {
            used |= crate::config::placeholders(s).iter().any(|p| {
                p.strip_prefix("vars.")
                    .is_some_and(|k| k.split('.').next() == Some(top))
            })
        };
        see(&check.title);
        see(&check.subject);
        let mut values: Vec<&Value> = check.expect.values().collect();
        values.extend(check.for_each.values().flatten());
        for v in values {
            visit_strings(v, &mut see);
        }
        return used;
    }
    check.for_each.contains_key(name)
}

fn visit_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| visit_strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| visit_strings(x, f)),
        _ => {}
    }
}
