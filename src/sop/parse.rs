//! Parsing one SOP file: the `+++` TOML front matter (strict: unknown fields are errors, every
//! error at its line in the file) and the seven `## ` sections.

use super::{Section, SectionKind, Sop, SopError, SopRef};
use chrono::NaiveDate;
use serde::Deserialize;

/// The front matter exactly as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    owner: String,
    escalation: String,
    last_reviewed: toml::value::Datetime,
    risk: String,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    refs: Vec<SopRef>,
}

const FENCE: &str = "+++";

/// Parse the SOP in `text`; `file` is its name in messages. The id must equal the file name
/// without `.md` (so ids are unique by construction and a check's `sop = "x"` names
/// `sops/x.md`).
pub fn parse(file: &str, text: &str) -> Result<Sop, SopError> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some(FENCE) {
        return Err(SopError::at(
            file,
            1,
            format!(
                "expected `{FENCE}` opening the TOML front matter, found {:?}",
                lines.first().copied().unwrap_or("an empty file")
            ),
        ));
    }
    let Some(close) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == FENCE)
        .map(|i| i + 1)
    else {
        return Err(SopError::at(
            file,
            1,
            format!("expected a `{FENCE}` line closing the front matter, found none"),
        ));
    };
    let front_text = lines[1..close].join("\n");
    let front: FrontMatter = toml::from_str(&front_text).map_err(|e| {
        // Line 2 of the file is line 1 of the front matter.
        let line = e.span().map_or(1, |s| {
            front_text
                .get(..s.start)
                .unwrap_or("")
                .matches('\n')
                .count()
                + 2
        });
        SopError::at(file, line, format!("front matter: {}", e.message().trim()))
    })?;
    let front_line = |key: &str| {
        lines[1..close]
            .iter()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(2, |i| i + 2)
    };
    let last_reviewed = review_date(&front.last_reviewed).ok_or_else(|| {
        SopError::at(
            file,
            front_line("last_reviewed"),
            format!(
                "last_reviewed: expected a date like 2026-11-30, found {}",
                front.last_reviewed
            ),
        )
    })?;
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if front.id != stem {
        return Err(SopError::at(
            file,
            front_line("id"),
            format!(
                "id: expected {stem:?} (the file name without .md), found {:?}",
                front.id
            ),
        ));
    }
    for (key, value) in [
        ("title", &front.title),
        ("owner", &front.owner),
        ("escalation", &front.escalation),
        ("risk", &front.risk),
    ] {
        if value.trim().is_empty() {
            return Err(SopError::at(
                file,
                front_line(key),
                format!("{key}: expected a non-empty text, found an empty string"),
            ));
        }
    }
    let sections = parse_sections(file, &lines, close + 1)?;
    Ok(Sop {
        id: front.id,
        title: front.title,
        owner: front.owner,
        escalation: front.escalation,
        last_reviewed,
        risk: front.risk,
        requires: front.requires,
        refs: front.refs,
        sections,
        file: file.to_string(),
    })
}

/// A TOML local date (no time, no offset).
fn review_date(d: &toml::value::Datetime) -> Option<NaiveDate> {
    if d.time.is_some() || d.offset.is_some() {
        return None;
    }
    let date = d.date?;
    NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
}

/// The `## ` sections after the front matter (`start` = index of the first body line).
/// Headings inside fenced code blocks are text. Text before the first section is an error.
fn parse_sections(file: &str, lines: &[&str], start: usize) -> Result<Vec<Section>, SopError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut in_fence = false;
    let finish = |sections: &mut Vec<Section>, body: &mut Vec<&str>| {
        if let Some(last) = sections.last_mut() {
            let leading = body.iter().take_while(|l| l.trim().is_empty()).count();
            last.body_line = last.line + 1 + leading;
            last.body = body[leading..].join("\n").trim_end().to_string();
        }
        body.clear();
    };
    for (i, line) in lines.iter().enumerate().skip(start) {
        let number = i + 1;
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let heading = (!in_fence)
            .then(|| line.strip_prefix("## "))
            .flatten()
            .map(str::trim);
        let Some(heading) = heading else {
            if sections.is_empty() && !line.trim().is_empty() {
                return Err(SopError::at(
                    file,
                    number,
                    format!(
                        "expected the section heading `## Meaning`, found {:?}",
                        line.trim()
                    ),
                ));
            }
            body.push(line);
            continue;
        };
        let expected = SectionKind::ALL.get(sections.len()).copied();
        match (SectionKind::from_heading(heading), expected) {
            (Some(kind), Some(want)) if kind == want => {
                finish(&mut sections, &mut body);
                sections.push(Section {
                    kind,
                    body: String::new(),
                    line: number,
                    body_line: number + 1,
                });
            }
            (_, Some(want)) => {
                return Err(SopError::at(
                    file,
                    number,
                    format!(
                        "expected the section `## {want}` (sections: {}), found `## {heading}`",
                        order()
                    ),
                ));
            }
            (_, None) => {
                return Err(SopError::at(
                    file,
                    number,
                    format!(
                        "expected no section after `## Escalate` (sections: {}), found `## {heading}`",
                        order()
                    ),
                ));
            }
        }
    }
    finish(&mut sections, &mut body);
    if let Some(missing) = SectionKind::ALL.get(sections.len()) {
        return Err(SopError::at(
            file,
            lines.len().max(1),
            format!(
                "expected the section `## {missing}` (sections: {}), found the end of the file",
                order()
            ),
        ));
    }
    if let Some(empty) = sections.iter().find(|s| s.body.trim().is_empty()) {
        return Err(SopError::at(
            file,
            empty.line,
            format!(
                "section `## {}`: expected some text, found none",
                empty.kind
            ),
        ));
    }
    Ok(sections)
}

fn order() -> String {
    SectionKind::ALL.map(|k| k.heading()).join(", ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const GOOD: &str = "+++
id = \"demo\"
title = \"demo is wrong\"
owner = \"platform\"
escalation = \"#pager\"
last_reviewed = 2026-11-30
risk = \"none\"
requires = [\"sudo\"]
refs = [{ title = \"CIS\", url = \"https://example.org\" }]
+++
## Meaning
It is wrong on {host}.

## Impact
Bad.

## Diagnose
```sh
## not a heading
stat /etc/x
```

## Remediate
1. Fix it.

## Verify
`driftscope run --host {host} --check {check_id}`

## Rollback
Undo.

## Escalate
Page.
";

    #[test]
    fn a_good_file_parses_with_sections_in_order() {
        let sop = parse("sops/demo.md", GOOD).unwrap();
        assert_eq!(sop.id, "demo");
        assert_eq!(sop.requires, vec!["sudo"]);
        assert_eq!(sop.refs[0].url, "https://example.org");
        assert_eq!(
            sop.last_reviewed,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        let kinds: Vec<SectionKind> = sop.sections.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, SectionKind::ALL);
        assert_eq!(sop.section(SectionKind::Meaning), "It is wrong on {host}.");
        assert!(
            sop.section(SectionKind::Diagnose)
                .contains("## not a heading")
        );
        assert_eq!(sop.sections[0].line, 11);
        assert_eq!(sop.sections[1].body_line, 15, "the line after the heading");
    }

    fn err(text: &str) -> String {
        parse("sops/demo.md", text).unwrap_err().to_string()
    }

    #[test]
    fn an_unknown_front_matter_field_is_an_error_at_its_line() {
        let bad = GOOD.replace("risk = \"none\"", "risk = \"none\"\nseverity = \"high\"");
        let e = err(&bad);
        assert!(
            e.starts_with("sops/demo.md:8: front matter: unknown field `severity`"),
            "{e}"
        );
    }

    #[test]
    fn front_matter_mistakes_name_the_line() {
        let e = err(&GOOD.replace("2026-11-30", "\"yesterday\""));
        assert!(e.starts_with("sops/demo.md:6: "), "{e}");
        let e = err(&GOOD.replace("2026-11-30", "2026-11-30T10:00:00"));
        assert!(e.contains(":6: last_reviewed: expected a date"), "{e}");
        let e = err(&GOOD.replace("id = \"demo\"", "id = \"other\""));
        assert!(e.contains(":2: id: expected \"demo\""), "{e}");
        let e = err(&GOOD.replace("owner = \"platform\"\n", ""));
        assert!(e.contains("missing field `owner`"), "{e}");
        let e = err(&GOOD.replacen("+++\n", "", 1));
        assert!(e.starts_with("sops/demo.md:1: expected `+++`"), "{e}");
        let e = err("+++\nid = \"demo\"\n");
        assert!(e.contains("closing the front matter"), "{e}");
    }

    #[test]
    fn sections_must_all_be_there_in_order() {
        let e = err(&GOOD.replace("## Impact", "## Effects"));
        assert!(
            e.contains(":14: expected the section `## Impact`") && e.contains("found `## Effects`"),
            "{e}"
        );
        let e = err(&GOOD.replace("## Escalate\nPage.\n", ""));
        assert!(e.contains("expected the section `## Escalate`"), "{e}");
        assert!(e.contains("found the end of the file"), "{e}");
        let e = err(&GOOD.replace("Undo.", ""));
        assert!(
            e.contains("section `## Rollback`: expected some text"),
            "{e}"
        );
        let e = err(&GOOD.replace("+++\n## Meaning", "+++\nintro\n## Meaning"));
        assert!(
            e.contains(":11: expected the section heading `## Meaning`"),
            "{e}"
        );
        let e = err(&format!("{GOOD}\n## Notes\nx\n"));
        assert!(e.contains("expected no section after `## Escalate`"), "{e}");
    }
}
