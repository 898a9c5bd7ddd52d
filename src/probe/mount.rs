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

    /// A capture of the fragment's `@@END` and a shared read of `rows` as /proc/self/mounts.
    fn capture(rows: &[&str]) -> Vec<u8> {
        let mut out = b"@@END\n@@READS\n".to_vec();
        for (i, r) in rows.iter().enumerate() {
            out.extend_from_slice(format!("{MOUNTS}\0{}:{r}\n", i + 1).as_bytes());
        }
        out.extend_from_slice(b"@@READEND\n");
        out
    }

    #[test]
    fn contract_no_process_and_mount_point_subjects() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Mount,
            Programs::Only(&[]),
            &["mounted", "fstype", "options", "device"],
            ("mounted", Value::Bool(true)),
        );
        assert_eq!(Mount.cost(&[]), 0);
        assert!(Mount.validate_subject("/srv").is_ok());
        let e = Mount.validate_subject("srv").unwrap_err();
        assert!(e.contains("not a mount point"), "{e}");
    }

    /// Every octal escape the kernel writes (`\040` space, `\011` tab, `\012` newline, `\134`
    /// backslash) is decoded; a backslash that starts no full escape stays as it is. The last
    /// entry of a mount point is the one on top.
    #[test]
    fn escapes_and_the_mount_on_top() {
        let out = capture(&[
            r"/dev/sda1 /srv ext4 rw,relatime 0 0",
            r"tmpfs /srv tmpfs ro,nosuid 0 0",
            r"/dev/sdb1 /mnt/back\134slash\011tab\012nl xfs rw 0 0",
            r"/dev/sdc1 /mnt/odd\089\04 btrfs rw 0 0",
            r"/dev/sdd1 /mnt/four ext4 rw",
            r"short line",
        ]);
        let p: Vec<Probe> = [
            "/srv",
            "/mnt/back\\slash\ttab\nnl",
            "/mnt/odd\\089\\04",
            "/mnt/four",
        ]
        .iter()
        .map(|s| Probe::new(s, &["mounted"]))
        .collect();
        let obs = Mount.parse(&out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "fstype"), json!("tmpfs"), "the mount on top");
        assert_eq!(get(0, "options"), json!(["ro", "nosuid"]));
        assert_eq!(get(0, "device"), json!("tmpfs"));
        assert_eq!(get(1, "device"), json!("/dev/sdb1"));
        assert_eq!(get(2, "fstype"), json!("btrfs"));
        assert_eq!(get(3, "mounted"), json!(true), "four fields are enough");
        assert_eq!(unescape(r"\101\102"), "AB");
        assert_eq!(unescape(r"\777"), "\u{fffd}", "not UTF-8: shown lossily");
    }

    #[test]
    fn an_empty_table_is_an_error() {
        let p = [Probe::new("/", &["mounted"])];
        let obs = Mount.parse(&capture(&[]), &p);
        assert_eq!(
            obs,
            vec![Observation::Error("/proc/self/mounts read as empty".into())]
        );
    }

    /// This machine's own mount table, through the real probe script.
    #[test]
    fn the_real_mount_table_here() {
        use crate::probe::test_support::{exec, run_here};
        let v = run_here(&[
            exec(ModuleKind::Mount, "/", &[("mounted", json!(true))]),
            exec(ModuleKind::Mount, "/proc", &[("fstype", json!("proc"))]),
            exec(
                ModuleKind::Mount,
                "/no/such/mount/ds",
                &[("mounted", json!(false))],
            ),
        ]);
        for verdict in &v {
            assert_eq!(verdict.outcome, crate::model::Outcome::Pass, "{verdict:?}");
        }
    }
}
