//! mount: mounted, fstype, options and device of mount points, from `/proc/self/mounts` in the
//! host's shared read (no process of its own; the shell's `read` builtin would read one byte
//! per syscall: 300 mounts cost ~25 ms that way). `/proc/self` is then the reading `grep`,
//! which shares the probe's mount namespace. The last entry for a mount point wins (it is the
//! one on top). Octal escapes (`\040` for space) are decoded.

use super::{Module, Observation, Probe, Programs, Read, Reads, observed};
use crate::model::{ModuleKind, Value};

pub struct Mount;

const MOUNTS: &str = "/proc/self/mounts";

/// Decode the kernel's octal escapes in /proc/self/mounts fields.
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn normalize(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

impl Module for Mount {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Mount
    }
    fn programs(&self) -> Programs {
        Programs::Only(&[])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["mounted", "fstype", "options", "device"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("mounted", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if !subject.starts_with('/') {
            return Err(format!(
                "not a mount point: {subject:?} (expected an absolute path like `/tmp`)"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        0 // a builtin test; the table comes from the shared read
    }
    fn fragment(&self, _probes: &[Probe]) -> String {
        "if [ -r /proc/self/mounts ]; then echo '@@END'; \
         else echo '@@NA /proc/self/mounts is not readable (not Linux?)'; fi"
            .to_string()
    }
    fn reads(&self, _probes: &[Probe]) -> Vec<Read> {
        vec![Read::System(MOUNTS.into())]
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        if let Err(observations) = super::table_lines(output, probes.len(), "mount probe") {
            return observations;
        }
        let Some(table) = reads.lines(MOUNTS) else {
            let why = if reads.complete() {
                "/proc/self/mounts read as empty"
            } else {
                "/proc/self/mounts was not read (output cut short)"
            };
            return vec![Observation::Error(why.into()); probes.len()];
        };
        let lines: Vec<String> = table
            .iter()
            .map(|(_, l)| String::from_utf8_lossy(l).into_owned())
            .collect();
        let entries: Vec<(String, String, String, String)> = lines
            .iter()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f.len() >= 4).then(|| {
                    (
                        unescape(f[0]),
                        unescape(f[1]),
                        f[2].to_string(),
                        f[3].to_string(),
                    )
                })
            })
            .collect();
        probes
            .iter()
            .map(|p| {
                let want = normalize(&p.subject);
                match entries.iter().rev().find(|(_, mnt, _, _)| mnt == want) {
                    Some((dev, _, fstype, opts)) => observed([
                        ("mounted", Value::Bool(true)),
                        ("fstype", Value::from(fstype.as_str())),
                        (
                            "options",
                            Value::Array(opts.split(',').map(Value::from).collect()),
                        ),
                        ("device", Value::from(dev.as_str())),
                    ]),
                    None => observed([
                        ("mounted", Value::Bool(false)),
                        ("fstype", Value::Null),
                        ("options", Value::Null),
                        ("device", Value::Null),
                    ]),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_mounts_with_an_escaped_space() {
        // Captured in the chroot of scripts/capture-account-mount-fixtures.sh: its tmpfs root,
        // /proc and a tmpfs at '/mnt/with space' (the kernel prints the space as `\040`).
        let out = include_bytes!("testdata/mount/mounts.out");
        let p: Vec<Probe> = ["/proc", "/", "/nope", "/proc/", "/mnt/with space"]
            .iter()
            .map(|s| Probe::new(s, &["mounted"]))
            .collect();
        let obs = Mount.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "fstype"), json!("proc"));
        assert!(get(0, "options").as_array().unwrap().contains(&json!("rw")));
        assert_eq!(get(1, "mounted"), json!(true));
        assert_eq!(get(2, "mounted"), json!(false));
        assert_eq!(get(3, "mounted"), json!(true), "trailing slash");
        assert_eq!(get(4, "fstype"), json!("tmpfs"));
        let cut = Mount.parse(b"proc /proc proc rw 0 0\n", &p);
        assert!(matches!(&cut[0], Observation::Error(_)));
        let (own, _) = crate::probe::reads::split_capture(out);
        let unread = Mount.parse(own, &p);
        assert!(matches!(&unread[0], Observation::Error(e) if e.contains("cut short")));
    }
}
