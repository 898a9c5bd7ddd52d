//! Reading the fragment's output back: the NUL-separated `stat` records, the builtins'
//! classification, `sha256sum` and the shared read's content lines, per path, into one
//! observation each.

use super::super::{Attributes, Observation, Probe, Read, Reads};
use super::{CONTENT_ATTRS, wants_content};
use crate::model::Value;

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
    for (i, status, _) in super::super::tagged_lines(&out[..head_end], n) {
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
            a.insert(
                super::super::attr_error_key(attr),
                Value::String(why.clone()),
            );
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
