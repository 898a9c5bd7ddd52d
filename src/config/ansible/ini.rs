//! Ansible's INI inventory format, read as Ansible's `ini` inventory plugin reads it:
//! `[group]` host lines (`pattern key=value …`, split like a POSIX shell, `#` comments),
//! `[group:vars]` (`key=value`), `[group:children]`; values are Python literals or text;
//! a `[g:vars]` or child reference to a group that is never defined is an error.

use super::literal::ini_value;
use super::{AnsibleInventory, Loc, expand_pattern};
use crate::config::ConfigError;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Hosts,
    Vars,
    Children,
}

/// A reference waiting for its group to be defined.
struct Pending {
    at: Loc,
    section: Section,
    /// `[parent:children]` entries naming this group.
    parents: Vec<String>,
}

pub fn parse(source: &str, text: &str) -> Result<AnsibleInventory, ConfigError> {
    let mut inv = AnsibleInventory::new(source);
    let mut pending: BTreeMap<String, Pending> = BTreeMap::new();
    let mut group = "ungrouped".to_string();
    let mut section = Section::Hosts;
    for (n, raw) in text.lines().enumerate() {
        let indent = raw.len() - raw.trim_start().len();
        let at = Loc {
            line: n + 1,
            col: raw[..indent].chars().count() + 1,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, kind)) = section_header(line) {
            section = match kind {
                None | Some("hosts") => Section::Hosts,
                Some("vars") => Section::Vars,
                Some("children") => Section::Children,
                Some(other) => {
                    return Err(inv.error(
                        at,
                        format!("section [{name}:{other}] has unknown type `{other}`: expected [{name}], [{name}:vars] or [{name}:children]"),
                    ));
                }
            };
            group = name.to_string();
            if !inv.groups.contains_key(&group) {
                if section == Section::Vars && !pending.contains_key(&group) {
                    pending.insert(
                        group.clone(),
                        Pending {
                            at,
                            section,
                            parents: Vec::new(),
                        },
                    );
                }
                inv.add_group(&group, at);
            }
            if section != Section::Vars
                && let Some(p) = pending.remove(&group)
            {
                for parent in p.parents {
                    inv.add_child(&parent, &group, p.at);
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(inv.error(
                at,
                format!("invalid section {line:?}: expected [group], [group:vars] or [group:children] without spaces"),
            ));
        }
        match section {
            Section::Hosts => host_line(&mut inv, &group, line, at)?,
            Section::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(inv.error(
                        at,
                        format!("expected key=value in [{group}:vars], found {line:?}"),
                    ));
                };
                inv.set_group_var(&group, k.trim(), ini_value(v.trim()), at);
            }
            Section::Children => {
                let child = group_name(line).ok_or_else(|| {
                    inv.error(
                        at,
                        format!("expected a group name in [{group}:children], found {line:?}"),
                    )
                })?;
                if inv.groups.contains_key(child) {
                    inv.add_child(&group, child, at);
                } else {
                    pending
                        .entry(child.to_string())
                        .or_insert(Pending {
                            at,
                            section,
                            parents: Vec::new(),
                        })
                        .parents
                        .push(group.clone());
                }
            }
        }
    }
    if let Some((name, p)) = pending.iter().min_by_key(|(_, p)| p.at.line) {
        return Err(inv.error(
            p.at,
            match p.section {
                Section::Vars => format!("[{name}:vars] is for a group that is never defined: expected a [{name}] or [{name}:children] section"),
                _ => format!(
                    "[{}:children] names group `{name}`, which is never defined: expected a [{name}] or [{name}:children] section",
                    p.parents.first().map(String::as_str).unwrap_or("?")
                ),
            },
        ));
    }
    Ok(inv)
}

/// `[name]` / `[name:kind]` with an optional trailing `# comment`.
fn section_header(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let after = rest[close + 1..].trim();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let inside = &rest[..close];
    let (name, kind) = match inside.split_once(':') {
        Some((n, k)) if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_') => {
            (n, Some(k))
        }
        Some(_) => return None,
        None => (inside, None),
    };
    (!name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == ':'))
        .then_some((name, kind))
}

fn group_name(line: &str) -> Option<&str> {
    let name = line.split('#').next()?.trim();
    (!name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == ':' || c == ']'))
        .then_some(name)
}

fn host_line(
    inv: &mut AnsibleInventory,
    group: &str,
    line: &str,
    at: Loc,
) -> Result<(), ConfigError> {
    let tokens = shell_words(line).map_err(|e| inv.error(at, e))?;
    let Some((pattern, assignments)) = tokens.split_first() else {
        return Ok(());
    };
    let expanded = expand_pattern(pattern).map_err(|e| inv.error(at, e))?;
    let mut vars = Vec::new();
    for t in assignments {
        let Some((k, v)) = t.split_once('=') else {
            return Err(inv.error(
                at,
                format!("expected key=value host variable after the host pattern, found {t:?}"),
            ));
        };
        vars.push((k.to_string(), ini_value(v)));
    }
    for host in &expanded.hosts {
        inv.add_host(group, host, at);
        if let Some(p) = expanded.port {
            inv.set_host_var(host, "ansible_port", p.into(), at);
        }
        for (k, v) in &vars {
            inv.set_host_var(host, k, v.clone(), at);
        }
    }
    Ok(())
}

/// Split like Python's `shlex.split(line, comments=True)`: whitespace separates, `'…'` is
/// literal, `"…"` honours `\"` and `\\`, a backslash outside quotes escapes the next
/// character, an unquoted `#` starts a comment.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(format!("no closing quotation in {line:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => cur.push(e),
                            Some(e) => {
                                cur.push('\\');
                                cur.push(e);
                            }
                            None => return Err(format!("no closing quotation in {line:?}")),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(format!("no closing quotation in {line:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    cur.push(e);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_like_shlex() {
        assert_eq!(
            shell_words(r#"h a=1 b="x y" c='p q' d=e\ f # note"#).unwrap(),
            ["h", "a=1", "b=x y", "c=p q", "d=e f"]
        );
        assert!(shell_words("h a='open").is_err());
    }

    #[test]
    fn sections_and_pending_groups() {
        let inv = parse(
            "t.ini",
            "[web:children]\nfront\n[front]\nf1\n[db:vars]\nx=1\n[db]\nd1 ansible_port=2222\n",
        )
        .unwrap();
        assert_eq!(inv.groups["web"].children, ["front"]);
        assert_eq!(inv.groups["db"].vars["x"].value, serde_json::json!(1));
        assert_eq!(
            inv.host_vars["d1"]["ansible_port"].value,
            serde_json::json!(2222)
        );
        let e = parse("t.ini", "[a]\nh\n[ghost:vars]\nx=1\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 1));
        assert!(e.message.contains("never defined"), "{e}");
        let e = parse("t.ini", "[a:children]\nb\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("t.ini", "[a]\nh novalue\n").unwrap_err();
        assert!(
            e.to_string().starts_with("t.ini:2:1: expected key=value"),
            "{e}"
        );
        let e = parse("t.ini", "[a:weird]\n").unwrap_err();
        assert!(e.message.contains("unknown type"), "{e}");
    }
}
