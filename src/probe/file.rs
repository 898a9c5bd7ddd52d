//! file: existence, type, mode, owner, group (names; the number when there is none), uid,
//! gid (numbers), size, sha256, symlink target and content regexes for all paths of a host with few forks:
//!
//! - shell builtins (`[ -e ]`, `[ -L ]`, `[ -r ]`) classify every path (exists, broken link,
//!   missing, permission denied) — no fork;
//! - ONE `stat` (lstat) for all paths, plus ONE `stat -L` when some path is a symlink;
//! - the host's shared read ([`super::reads`], one capped `grep` for all modules) reads the
//!   paths whose checks name `contains` or `not_contains`; ONE `sha256sum -z` for those
//!   naming `sha256` — only when wanted.
//!
//! Records are NUL-separated and begin with the path exactly as given, so paths with spaces,
//! quotes or newlines parse unambiguously. Attributes describe the file a path resolves to
//! (like `test -f` and `cat`); `type` and `link_target` describe the path itself.

use super::quote::{sh_quote, sh_quote_all};
use super::{
    AttrVerdict, Attributes, EvalContext, Module, Observation, Probe, Programs, Read, Reads, secret,
};
use crate::model::{Matcher, ModuleKind, Value};

pub struct File;

const CONTENT_ATTRS: [&str; 2] = ["contains", "not_contains"];

fn wants_content(p: &Probe) -> bool {
    CONTENT_ATTRS.iter().any(|a| p.wants(a))
}

/// The shell fragment shared by `file` and `directory`.
pub(crate) fn stat_fragment(probes: &[Probe]) -> String {
    let mut s = String::from(
        "ds_why() { d=${1%/*}; while [ -n \"$d\" ] && ! [ -d \"$d\" ]; do d=${d%/*}; done; \
         [ -n \"$d\" ] || d=/; if [ -x \"$d\" ]; then echo \"@$2 M\"; else echo \"@$2 D\"; fi; }\n\
         ds_links=0\n",
    );
    for (i, p) in probes.iter().enumerate() {
        let q = sh_quote(&p.subject);
        s.push_str(&format!(
            "if [ -L {q} ]; then ds_links=1; fi; \
             if [ -e {q} ]; then echo '@{i} E'; elif [ -L {q} ]; then echo '@{i} B'; else ds_why {q} {i}; fi\n"
        ));
        if wants_content(p) || p.wants("sha256") {
            s.push_str(&format!(
                "if [ -f {q} ] && [ -r {q} ]; then echo '@{i} R'; elif [ -e {q} ]; then echo '@{i} N'; fi\n"
            ));
        }
    }
    let all = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
    let fmt = "'@S\\0%n\\0%f\\0%U\\0%G\\0%s\\0%u\\0%g\\0%N\\0'";
    s.push_str(&format!(
        "echo '@@STAT'\nQUOTING_STYLE=literal stat --printf {fmt} -- {all} 2>/dev/null\n\
         if [ $ds_links = 1 ]; then echo '@@STATL'; QUOTING_STYLE=literal stat -L --printf {fmt} -- {all} 2>/dev/null; fi\n"
    ));
    let sha: Vec<&str> = probes
        .iter()
        .filter(|p| p.wants("sha256"))
        .map(|p| p.subject.as_str())
        .collect();
    if !sha.is_empty() {
        s.push_str(&format!(
            "echo '@@SHA'\nsha256sum -z -- {} 2>/dev/null\n",
            sh_quote_all(sha)
        ));
    }
    s.push_str("echo '@@END'");
    s
}

/// One `stat --printf` record.
#[derive(Debug, Clone, Default)]
struct StatRecord {
    raw_mode: u32,
    owner: String,
    group: String,
    size: u64,
    uid: String,
    gid: String,
    /// `%N` with literal quoting: `name` or `name -> target`.
    quoted: Vec<u8>,
}

/// What the fragment's output says about each path.
#[derive(Debug, Default)]
struct Parsed {
    status: Vec<Option<u8>>,
    readable: Vec<Option<bool>>,
    lstat: Vec<Option<StatRecord>>,
    stat: Vec<Option<StatRecord>>,
    saw_statl: bool,
    content: Vec<Vec<(usize, String)>>,
    content_truncated: Vec<bool>,
    read_complete: bool,
    sha: Vec<Option<String>>,
    saw_sha: bool,
    saw_end: bool,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Move the cursor past `marker` (a line); searches forward when garbage precedes it.
fn seek_marker(out: &[u8], pos: &mut usize, marker: &[u8]) -> bool {
    let rest = out.get(*pos..).unwrap_or(&[]);
    if rest.starts_with(marker) {
        *pos += marker.len();
        return true;
    }
    let mut needle = vec![b'\n'];
    needle.extend_from_slice(marker);
    match find(rest, &needle) {
        Some(i) => {
            *pos += i + needle.len();
            true
        }
        None => false,
    }
}

fn parse_stat_records(
    out: &[u8],
    pos: &mut usize,
    probes: &[Probe],
    into: &mut [Option<StatRecord>],
) {
    while out.get(*pos..).is_some_and(|r| r.starts_with(b"@S\0")) {
        let rest = &out[*pos + 3..];
        let fields: Vec<&[u8]> = rest.splitn(9, |b| *b == 0).take(8).collect();
        if fields.len() < 8 {
            *pos = out.len();
            return;
        }
        let consumed: usize = fields.iter().map(|f| f.len() + 1).sum();
        *pos += 3 + consumed;
        let name = fields[0];
        let Some(idx) = probes.iter().position(|p| p.subject.as_bytes() == name) else {
            continue;
        };
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let rec = StatRecord {
            raw_mode: u32::from_str_radix(&text(fields[1]), 16).unwrap_or(0),
            owner: text(fields[2]),
            group: text(fields[3]),
            size: text(fields[4]).parse().unwrap_or(0),
            uid: text(fields[5]),
            gid: text(fields[6]),
            quoted: fields[7].to_vec(),
        };
        if let Some(slot) = into.get_mut(idx) {
            *slot = Some(rec);
        }
    }
}

fn parse_output(out: &[u8], probes: &[Probe], reads: &Reads) -> Parsed {
    let n = probes.len();
    let mut p = Parsed {
        status: vec![None; n],
        readable: vec![None; n],
        lstat: vec![None; n],
        stat: vec![None; n],
        content: vec![Vec::new(); n],
        content_truncated: vec![false; n],
        sha: vec![None; n],
        ..Parsed::default()
    };
    // 1. builtin classification lines, up to @@STAT.
    let head_end = find(out, b"@@STAT\n").unwrap_or(out.len());
    for (i, status, _) in super::tagged_lines(&out[..head_end], n) {
        match status.as_str() {
            "R" => p.readable[i] = Some(true),
            "N" => p.readable[i] = Some(false),
            s => p.status[i] = s.bytes().next(),
        }
    }
    let mut pos = head_end;
    if !seek_marker(out, &mut pos, b"@@STAT\n") {
        return p;
    }
    parse_stat_records(out, &mut pos, probes, &mut p.lstat);
    if seek_marker(out, &mut pos, b"@@STATL\n") {
        p.saw_statl = true;
        parse_stat_records(out, &mut pos, probes, &mut p.stat);
    }
    // 2. sha256sum -z records: `<64 hex>  <path>\0`.
    if seek_marker(out, &mut pos, b"@@SHA\n") {
        p.saw_sha = true;
        let body_end = find(&out[pos..], b"@@END\n")
            .or_else(|| find(&out[pos..], b"@@END"))
            .map(|e| pos + e)
            .unwrap_or(out.len());
        for rec in out[pos..body_end].split(|b| *b == 0) {
            if rec.len() > 66 && &rec[64..66] == b"  " {
                let name = &rec[66..];
                if let Some(i) = probes.iter().position(|pr| pr.subject.as_bytes() == name) {
                    p.sha[i] = Some(String::from_utf8_lossy(&rec[..64]).into_owned());
                }
            }
        }
        pos = body_end;
    }
    p.saw_end = find(&out[pos.min(out.len())..], b"@@END").is_some();
    // 3. contents, from the shared read.
    p.read_complete = reads.complete();
    for (i, probe) in probes.iter().enumerate() {
        if let Some(lines) = reads.lines(&probe.subject) {
            p.content[i] = lines
                .iter()
                .map(|(n, l)| (*n, String::from_utf8_lossy(l).into_owned()))
                .collect();
        }
        p.content_truncated[i] = reads.truncated(&probe.subject);
    }
    p
}

fn type_name(raw_mode: u32) -> &'static str {
    match raw_mode & 0o170000 {
        0o140000 => "socket",
        0o120000 => "symlink",
        0o100000 => "file",
        0o060000 => "block_device",
        0o040000 => "directory",
        0o020000 => "char_device",
        0o010000 => "fifo",
        _ => "unknown",
    }
}

fn name_or_id(name: &str, id: &str) -> String {
    if name.is_empty() || name == "UNKNOWN" {
        id.to_string()
    } else {
        name.to_string()
    }
}

/// Turn one path's parsed output into an observation.
fn observe(p: &Parsed, i: usize, probe: &Probe) -> Observation {
    let path = probe.subject.as_str();
    let Some(status) = p.status[i] else {
        return Observation::Error(format!("no answer for {path:?} (probe output cut short)"));
    };
    let absent = |exists: bool, ty: Value, target: Value| {
        let mut a = Attributes::new();
        a.insert("exists".into(), Value::Bool(exists));
        a.insert("type".into(), ty);
        a.insert("link_target".into(), target);
        for k in ["mode", "owner", "group", "uid", "gid", "size", "sha256"] {
            a.insert(k.into(), Value::Null);
        }
        Observation::Observed(a)
    };
    match status {
        b'M' => return absent(false, Value::Null, Value::Null),
        b'D' => {
            return Observation::Error(format!(
                "permission denied: a directory on the way to {path:?} is not searchable"
            ));
        }
        _ => {}
    }
    let Some(l) = &p.lstat[i] else {
        return Observation::Error(format!("stat gave no answer for {path:?}"));
    };
    let ty = type_name(l.raw_mode);
    let link_target = if ty == "symlink" {
        let mut prefix = path.as_bytes().to_vec();
        prefix.extend_from_slice(b" -> ");
        match l.quoted.strip_prefix(prefix.as_slice()) {
            Some(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
            None => Value::Null,
        }
    } else {
        Value::Null
    };
    if status == b'B' {
        // A dangling symlink: the path exists as a link, but nothing it names does.
        return absent(false, Value::from("symlink"), link_target);
    }
    let target = if ty == "symlink" {
        match &p.stat[i] {
            Some(t) => t,
            None if p.saw_statl => {
                return Observation::Error(format!("stat -L gave no answer for {path:?}"));
            }
            None => return Observation::Error(format!("stat -L did not run for {path:?}")),
        }
    } else {
        l
    };
    let mut a = Attributes::new();
    a.insert("exists".into(), Value::Bool(true));
    a.insert("type".into(), Value::from(ty));
    a.insert("link_target".into(), link_target);
    a.insert(
        "_target_type".into(),
        Value::from(type_name(target.raw_mode)),
    );
    a.insert(
        "mode".into(),
        Value::String(format!("{:04o}", target.raw_mode & 0o7777)),
    );
    a.insert(
        "owner".into(),
        Value::String(name_or_id(&target.owner, &target.uid)),
    );
    a.insert(
        "group".into(),
        Value::String(name_or_id(&target.group, &target.gid)),
    );
    let id = |v: &str| v.parse::<u64>().map_or(Value::Null, Value::from);
    a.insert("uid".into(), id(&target.uid));
    a.insert("gid".into(), id(&target.gid));
    a.insert("size".into(), Value::from(target.size));
    let wants_read = wants_content(probe) || probe.wants("sha256");
    let unreadable = (wants_read && p.readable[i] != Some(true)).then(|| {
        if type_name(target.raw_mode) != "file" {
            format!(
                "{path:?} is a {}, not a regular file",
                type_name(target.raw_mode)
            )
        } else {
            format!("permission denied reading {path:?}")
        }
    });
    let set_error = |a: &mut Attributes, attrs: &[&str], why: String| {
        for attr in attrs {
            a.insert(super::attr_error_key(attr), Value::String(why.clone()));
        }
    };
    if wants_content(probe) {
        if let Some(why) = &unreadable {
            set_error(&mut a, &CONTENT_ATTRS, why.clone());
        } else if !p.read_complete {
            set_error(
                &mut a,
                &CONTENT_ATTRS,
                format!("content of {path:?} missing (output cut short)"),
            );
        } else {
            let lines: Vec<Value> = p.content[i]
                .iter()
                .map(|(n, t)| Value::Array(vec![Value::from(*n), Value::String(t.clone())]))
                .collect();
            a.insert("_content".into(), Value::Array(lines));
            a.insert(
                "_content_truncated".into(),
                Value::Bool(p.content_truncated[i]),
            );
        }
    }
    a.insert("sha256".into(), Value::Null);
    if probe.wants("sha256") {
        match (&unreadable, &p.sha[i]) {
            (Some(why), _) => set_error(&mut a, &["sha256"], why.clone()),
            (None, Some(h)) => {
                a.insert("sha256".into(), Value::String(h.clone()));
            }
            (None, None) if !p.saw_sha => set_error(
                &mut a,
                &["sha256"],
                format!("sha256 of {path:?} missing (output cut short)"),
            ),
            (None, None) => set_error(
                &mut a,
                &["sha256"],
                format!("sha256sum could not read {path:?}"),
            ),
        }
    }
    Observation::Observed(a)
}

/// The paths the shared read must read for these probes.
pub(crate) fn content_reads(probes: &[Probe]) -> Vec<Read> {
    probes
        .iter()
        .filter(|p| wants_content(p))
        .map(|p| Read::Content(p.subject.clone()))
        .collect()
}

pub(crate) fn parse_all(output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
    let parsed = parse_output(output, probes, reads);
    probes
        .iter()
        .enumerate()
        .map(|(i, p)| observe(&parsed, i, p))
        .collect()
}

/// The regexes a `contains`/`not_contains` matcher declares: a string or a list of strings.
fn declared_regexes(m: &Matcher) -> Result<Vec<String>, String> {
    match m {
        Matcher::Equals(Value::String(s)) => Ok(vec![s.clone()]),
        Matcher::Equals(Value::Array(items)) | Matcher::Contains(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("expected a regex string, found {v}"))
            })
            .collect(),
        Matcher::Matches(re) => Ok(vec![re.as_str().to_string()]),
        other => Err(format!(
            "expected a regex or a list of regexes, found {}",
            other.to_json()
        )),
    }
}

fn validate_regexes(declared: &Value) -> Result<(), String> {
    let list: Vec<&Value> = match declared {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    for v in list {
        let Some(s) = v.as_str() else {
            return Err(format!(
                "expected a regex string or a list of them, found {v}"
            ));
        };
        crate::model::regex_cache::compiled(s).map_err(|e| format!("invalid regex {s:?}: {e}"))?;
    }
    Ok(())
}

/// The literal key a regex like `^\s*log_level\s*=` is about (`log_level`), for hints.
fn regex_key(re: &str) -> String {
    let s = re.trim_start_matches('^');
    let s = s.strip_prefix("\\s*").unwrap_or(s);
    s.chars()
        .take_while(|c| c.is_alphanumeric() || "_-./".contains(*c))
        .collect()
}

fn content_lines(observed: &Attributes) -> Vec<(i64, String)> {
    observed
        .get("_content")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let a = r.as_array()?;
                    Some((a.first()?.as_i64()?, a.get(1)?.as_str()?.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluate `contains`/`not_contains`. `nearest`: whether a miss may quote the file's
/// nearest lines (each capped at [`secret::NEAREST_MAX_CHARS`]).
fn evaluate_content(
    observed: &Attributes,
    attribute: &str,
    matcher: &Matcher,
    nearest: bool,
) -> AttrVerdict {
    let fail = |why: String| AttrVerdict {
        ok: false,
        actual: Value::String(why),
    };
    if observed.get("exists") != Some(&Value::Bool(true)) {
        return fail("file does not exist".into());
    }
    let regexes = match declared_regexes(matcher) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let lines = content_lines(observed);
    let truncated = observed
        .get("_content_truncated")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let cut_note = if truncated {
        format!(" (only the first {} lines were read)", lines.len())
    } else {
        String::new()
    };
    let mut ok = true;
    let mut actual = Vec::new();
    for src in regexes {
        let re = match crate::model::regex_cache::compiled(&src) {
            Ok(r) => r,
            Err(e) => {
                ok = false;
                actual.push(Value::String(format!("invalid regex {src:?}: {e}")));
                continue;
            }
        };
        let hits: Vec<&(i64, String)> = lines.iter().filter(|(_, l)| re.is_match(l)).collect();
        if attribute == "contains" {
            if let Some((n, l)) = hits.first() {
                actual.push(Value::String(format!("line {n}: {l}")));
            } else {
                ok = false;
                let key = regex_key(&src);
                let near: Vec<String> = if key.is_empty() || !nearest {
                    Vec::new()
                } else {
                    lines
                        .iter()
                        .filter(|(_, l)| {
                            l.trim_start()
                                .to_lowercase()
                                .starts_with(&key.to_lowercase())
                        })
                        .take(3)
                        .map(|(n, l)| format!("line {n}: {}", secret::cap_line(l)))
                        .collect()
                };
                actual.push(Value::String(if near.is_empty() {
                    format!(
                        "no line matches {src:?} ({} lines read{cut_note})",
                        lines.len()
                    )
                } else {
                    format!(
                        "no line matches {src:?}; nearest: {}{cut_note}",
                        near.join(" | ")
                    )
                }));
            }
        } else {
            for (n, l) in hits.iter().take(3) {
                ok = false;
                actual.push(Value::String(format!("line {n}: {l}")));
            }
        }
    }
    if attribute == "not_contains" && ok {
        actual.push(Value::String(format!(
            "no line matches ({} lines read{cut_note})",
            lines.len()
        )));
    }
    AttrVerdict {
        ok,
        actual: Value::Array(actual),
    }
}

/// `mode` compares as an octal number: "0644", "644" and 644 all mean rw-r--r--.
fn mode_value(v: &Value) -> Option<u32> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    u32::from_str_radix(s.trim().trim_start_matches("0o"), 8).ok()
}

/// The canonical text of a mode (`"0644"`) when the value reads as one, else the value.
fn canonical_mode(v: &Value) -> Value {
    match mode_value(v) {
        Some(m) => Value::String(format!("{m:04o}")),
        None => v.clone(),
    }
}

pub(crate) fn evaluate_mode(observed: &Attributes, matcher: &Matcher) -> AttrVerdict {
    let actual = observed.get("mode").cloned().unwrap_or(Value::Null);
    let ok = matcher
        .map_values(&canonical_mode)
        .matches(&canonical_mode(&actual));
    AttrVerdict { ok, actual }
}

impl Module for File {
    fn kind(&self) -> ModuleKind {
        ModuleKind::File
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["stat", "sha256sum"])
    }
    fn content_attributes(&self) -> &'static [&'static str] {
        &["contains", "not_contains", "sha256"]
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "exists",
            "type",
            "mode",
            "owner",
            "group",
            "uid",
            "gid",
            "size",
            "sha256",
            "link_target",
            "contains",
            "not_contains",
        ]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        validate_path(subject)
    }
    fn validate_expect(&self, attribute: &str, declared: &Value) -> Result<(), String> {
        match attribute {
            "contains" | "not_contains" => validate_regexes(declared),
            _ => Ok(()),
        }
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        1 + u32::from(probes.iter().any(|p| p.wants("sha256")))
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        stat_fragment(probes)
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        content_reads(probes)
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        parse_all(output, probes, reads)
    }
    fn evaluate_in(
        &self,
        context: &EvalContext,
        observed: &Attributes,
        attribute: &str,
        matcher: &Matcher,
    ) -> AttrVerdict {
        match attribute {
            // Nearest lines: never from a secret, nor from a sensitive path unless the
            // check says `secret = false`.
            "contains" | "not_contains" => {
                let nearest = match context.secret {
                    Some(secret) => !secret,
                    None => !secret::sensitive_path(context.subject),
                };
                evaluate_content(observed, attribute, matcher, nearest)
            }
            _ => self.evaluate(observed, attribute, matcher),
        }
    }
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        match attribute {
            "contains" | "not_contains" => evaluate_content(observed, attribute, matcher, true),
            "mode" => evaluate_mode(observed, matcher),
            _ => {
                let actual = observed.get(attribute).cloned().unwrap_or(Value::Null);
                AttrVerdict {
                    ok: matcher.matches(&actual),
                    actual,
                }
            }
        }
    }
}

pub(crate) fn validate_path(subject: &str) -> Result<(), String> {
    if !subject.starts_with('/') || subject.contains('\0') {
        return Err(format!(
            "not an absolute path: {subject:?} (expected a path starting with `/`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(o: &Observation) -> &Attributes {
        match o {
            Observation::Observed(a) => a,
            other => panic!("not observed: {other:?}"),
        }
    }

    /// Subjects of the captured fixture (see testdata/README.md).
    fn fixture_probes() -> Vec<Probe> {
        let d = "/tmp/ds-fixture";
        vec![
            Probe::new(&format!("{d}/app.conf"), &["mode", "contains", "sha256"]),
            Probe::new(&format!("{d}/sp ace 'quoted\".conf"), &["contains"]),
            Probe::new(&format!("{d}/new\nline"), &["exists"]),
            Probe::new(&format!("{d}/link"), &["link_target", "mode"]),
            Probe::new(&format!("{d}/dangling"), &["exists"]),
            Probe::new(&format!("{d}/missing"), &["exists", "contains"]),
            Probe::new(&format!("{d}/secret/key"), &["exists"]),
            Probe::new(&format!("{d}/secret.key"), &["contains"]),
            Probe::new(&format!("{d}/dir"), &["mode"]),
            Probe::new(&format!("{d}/bin\u{fffd}ary"), &["exists"]),
            Probe::new(&format!("{d}/latin1link"), &["link_target"]),
        ]
    }

    #[test]
    fn real_output_as_nobody() {
        let out = include_bytes!("testdata/file/nobody.out");
        let p = fixture_probes();
        let obs = File.parse(out, &p);
        let a = attrs(&obs[0]);
        assert_eq!(a["type"], "file");
        assert_eq!(a["mode"], "0644");
        assert_eq!(a["owner"], "root");
        assert_eq!(a["size"], 45);
        assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
        let q = attrs(&obs[1]);
        assert_eq!(q["exists"], true);
        assert_eq!(content_lines(q)[0].1, "key = \"value with 'quotes'\"");
        assert_eq!(attrs(&obs[2])["exists"], true, "newline in name");
        let l = attrs(&obs[3]);
        assert_eq!(l["type"], "symlink");
        assert_eq!(l["link_target"], "app.conf");
        assert_eq!(l["mode"], "0644", "mode of the link's target");
        let d = attrs(&obs[4]);
        assert_eq!(d["exists"], false);
        assert_eq!(d["type"], "symlink");
        assert_eq!(d["link_target"], "nowhere");
        assert_eq!(attrs(&obs[5])["exists"], false);
        assert!(
            matches!(&obs[6], Observation::Error(e) if e.contains("not searchable")),
            "{:?}",
            obs[6]
        );
        let k = attrs(&obs[7]);
        assert_eq!(
            k["mode"], "0600",
            "the mode of an unreadable file is still known"
        );
        assert!(
            k["_error:contains"]
                .as_str()
                .unwrap()
                .contains("permission denied reading")
        );
        assert_eq!(attrs(&obs[8])["type"], "directory");
        assert_eq!(attrs(&obs[8])["mode"], "1750");
        assert_eq!(attrs(&obs[9])["exists"], false);
        assert!(
            attrs(&obs[10])["link_target"]
                .as_str()
                .unwrap()
                .contains('\u{fffd}'),
            "non-UTF-8 target is shown lossily"
        );
    }

    #[test]
    fn real_output_as_root_reads_what_nobody_could_not() {
        let out = include_bytes!("testdata/file/root.out");
        let obs = File.parse(out, &fixture_probes());
        assert_eq!(attrs(&obs[6])["exists"], true, "secret/key");
        let k = attrs(&obs[7]);
        assert_eq!(k["mode"], "0600");
        assert_eq!(content_lines(k), vec![(1, "s".to_string())]);
    }

    #[test]
    fn contains_miss_shows_the_nearest_line() {
        let out = include_bytes!("testdata/file/nobody.out");
        let obs = File.parse(out, &fixture_probes());
        let a = attrs(&obs[0]);
        let hit = File.evaluate(
            a,
            "contains",
            &Matcher::parse(&json!(["^listen_port=8080$"])).unwrap(),
        );
        assert!(hit.ok, "{:?}", hit.actual);
        assert_eq!(hit.actual, json!(["line 2: listen_port=8080"]));
        let miss = File.evaluate(
            a,
            "contains",
            &Matcher::parse(&json!(["^log_level=info$"])).unwrap(),
        );
        assert!(!miss.ok);
        let text = miss.actual.to_string();
        assert!(text.contains("nearest: line 1: log_level=debug"), "{text}");
        let not = File.evaluate(
            a,
            "not_contains",
            &Matcher::parse(&json!(["debug"])).unwrap(),
        );
        assert!(!not.ok);
        assert_eq!(not.actual, json!(["line 1: log_level=debug"]));
        let gone = File.evaluate(
            attrs(&obs[5]),
            "contains",
            &Matcher::parse(&json!(["x"])).unwrap(),
        );
        assert_eq!(gone.actual, json!("file does not exist"));
    }

    #[test]
    fn mode_compares_as_octal() {
        let a = Attributes::from([("mode".to_string(), json!("0644"))]);
        for ok in [json!("0644"), json!("644"), json!(644)] {
            assert!(evaluate_mode(&a, &Matcher::parse(&ok).unwrap()).ok, "{ok}");
        }
        assert!(!evaluate_mode(&a, &Matcher::parse(&json!("0600")).unwrap()).ok);
        assert!(
            evaluate_mode(
                &a,
                &Matcher::parse(&json!({"in": ["0600", "0644"]})).unwrap()
            )
            .ok
        );
    }

    #[test]
    fn garbled_and_cut_output_is_error_not_panic() {
        let p = fixture_probes();
        let full = include_bytes!("testdata/file/nobody.out");
        for cut in [0, 10, 40, 200, full.len() / 2, full.len() - 3] {
            let obs = File.parse(&full[..cut], &p);
            assert_eq!(obs.len(), p.len());
        }
        let obs = File.parse(b"\xff\xfe@@STAT\n@S\0/x\0zz", &p);
        assert!(obs.iter().all(|o| matches!(o, Observation::Error(_))));
    }

    #[test]
    fn validation_messages() {
        assert!(File.validate_subject("/etc/passwd").is_ok());
        let e = File.validate_subject("etc/passwd").unwrap_err();
        assert!(e.contains("absolute path"), "{e}");
        assert!(
            File.validate_expect("contains", &json!(["^a$", "b"]))
                .is_ok()
        );
        let e = File.validate_expect("contains", &json!(["("])).unwrap_err();
        assert!(e.contains("invalid regex"), "{e}");
    }
}
