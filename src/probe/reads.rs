//! Shared reads: the files several modules want read whole — file contents for `contains`,
//! `/proc/sys` values, the process table's `comm`/`cmdline`, `/etc/passwd` — are read by ONE
//! capped `grep` per host instead of one reader per section.
//!
//! Modules declare what they need with [`Module::reads`](super::Module::reads); the batch
//! emits [`fragment`] once for the union, in its own framed section, and hands the parsed
//! [`Reads`] to every module's parser. Output records are `<path>\0<line number>:<line>`, so a
//! path (which cannot hold NUL) always parses exactly, whatever the content.

use super::quote::sh_quote;
use std::collections::BTreeMap;

/// Per-file line cap (`grep -m`).
pub const MAX_LINES: usize = 20_000;
/// Cap on all bytes of one host's shared read (`head -c`).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The line that ends a shared read which ran to its end.
const END: &str = "@@READEND";
/// The line that says the byte cap applies (the read pipes through `head -c`).
const CAPPED: &str = "@@READCAP";
/// The line that separates a module's own output from its shared read in a fixture capture.
pub const CAPTURE_SEPARATOR: &str = "@@READS";

/// How the shared read's own processes show up in a process listing (NULs as spaces; the
/// empty pattern argument leaves two spaces), so the process module can leave them out.
pub const OWN_GREP_ARGS: &str = "grep -a -Z -H -n -m 20000  -- ";
pub const OWN_HEAD_ARGS: &str = "head -c 4194304";

/// One file (or fixed set of files) a module wants read whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Read {
    /// A small system file (`/proc/sys/…`, `/etc/passwd`): read before any content file, so
    /// the byte cap never cuts it.
    System(String),
    /// Every file matching a fixed glob of driftscope's own (never check input), e.g.
    /// `/proc/[0-9]*/cmdline`; the host's shell expands it.
    Glob(&'static str),
    /// A file named by a check, of any size: read last, so the byte cap cuts only these.
    Content(String),
}

impl Read {
    fn rank(&self) -> u8 {
        match self {
            Read::System(_) => 0,
            Read::Glob(_) => 1,
            Read::Content(_) => 2,
        }
    }
    fn word(&self) -> String {
        match self {
            Read::System(p) | Read::Content(p) => sh_quote(p),
            Read::Glob(g) => (*g).to_string(),
        }
    }
}

/// The shell text reading `reads` (in any order, duplicates allowed) with one `grep`. The
/// byte cap (`head -c`) is only there when a check names a file: the system files and the
/// process table are of bounded size, and one process less matters on every host.
pub fn fragment(reads: &[Read]) -> String {
    let mut reads = reads.to_vec();
    reads.sort_by_key(Read::rank);
    let mut seen = std::collections::HashSet::new();
    reads.retain(|r| seen.insert(r.clone()));
    let words: Vec<String> = reads.iter().map(Read::word).collect();
    let (note, cap) = if reads.iter().any(|r| matches!(r, Read::Content(_))) {
        (
            format!("echo '{CAPPED}'\n"),
            format!(" | head -c {MAX_BYTES}"),
        )
    } else {
        (String::new(), String::new())
    };
    format!(
        "{note}grep -a -Z -H -n -m {MAX_LINES} '' -- {} 2>/dev/null{cap}\nprintf '\\n{END}\\n'",
        words.join(" ")
    )
}

/// The lines of one file: `(line number, bytes)`.
pub type Lines = Vec<(usize, Vec<u8>)>;

/// What the shared read returned.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    files: BTreeMap<Vec<u8>, Lines>,
    complete: bool,
    /// The file the byte cap cut into.
    cut: Option<Vec<u8>>,
}

impl Reads {
    /// Parse the shared read's output. Never panics; garbage lines are skipped, and output
    /// that stops before the end marker leaves `complete() == false`.
    pub fn parse(output: &[u8]) -> Reads {
        Reads::parse_lines(output.split(|b| *b == b'\n'))
    }

    /// [`Reads::parse`] of output already split into lines (the batch's framed section).
    /// One host's read holds two files per process of the host (a thousand or more lines):
    /// the lines of one file come one after the other, so each file is one map entry and
    /// one path copy, whatever its number of lines.
    pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Reads {
        let mut reads = Reads::default();
        let mut total = 0usize;
        let mut capped = false;
        // The file being read and its lines so far; `last` is the last file seen.
        let mut current: Option<(&[u8], Lines)> = None;
        let mut last: Option<&[u8]> = None;
        for line in lines {
            if line == END.as_bytes() {
                reads.complete = true;
                break;
            }
            if line == CAPPED.as_bytes() {
                capped = true;
                continue;
            }
            let Some(nul) = line.iter().position(|b| *b == 0) else {
                continue;
            };
            let (path, rest) = (&line[..nul], &line[nul + 1..]);
            let Some(colon) = rest.iter().position(|b| *b == b':') else {
                continue;
            };
            let Some(num) = std::str::from_utf8(&rest[..colon])
                .ok()
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            total += line.len() + 1;
            let content = (num, rest[colon + 1..].to_vec());
            match current.as_mut() {
                Some((p, lines)) if *p == path => lines.push(content),
                _ => {
                    if let Some((p, lines)) = current.replace((path, vec![content])) {
                        reads.add(p, lines);
                    }
                }
            }
            last = Some(path);
        }
        if let Some((p, lines)) = current {
            reads.add(p, lines);
        }
        if capped && total >= MAX_BYTES {
            reads.cut = last.map(<[u8]>::to_vec);
        }
        reads
    }

    /// Lines of `path` (after any it already holds: a path named twice is read twice).
    fn add(&mut self, path: &[u8], lines: Lines) {
        match self.files.get_mut(path) {
            Some(held) => held.extend(lines),
            None => {
                self.files.insert(path.to_vec(), lines);
            }
        }
    }

    /// Whether the read ran to its end (every file it names was read, up to the caps).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// The lines of `path`; `None` when it gave none (empty, missing, unreadable, or not
    /// reached when the read was cut short).
    pub fn lines(&self, path: &str) -> Option<&Lines> {
        self.files.get(path.as_bytes())
    }

    /// Whether `path`'s lines stop at a cap (line count or the byte cap).
    pub fn truncated(&self, path: &str) -> bool {
        self.lines(path).is_some_and(|l| l.len() >= MAX_LINES)
            || self.cut.as_deref() == Some(path.as_bytes())
    }

    /// The file the byte cap cut into, if it cut one.
    pub fn cut(&self) -> Option<&[u8]> {
        self.cut.as_deref()
    }

    /// Every file read whose path starts with `prefix`, in byte order of path.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a [u8], &'a Lines)> {
        self.files
            .range(prefix.as_bytes().to_vec()..)
            .take_while(move |(p, _)| p.starts_with(prefix.as_bytes()))
            .map(|(p, l)| (p.as_slice(), l))
    }
}

/// Split a fixture capture (a module's output, then a [`CAPTURE_SEPARATOR`] line, then the
/// shared read of what the module asked for) into the two parts.
pub fn split_capture(capture: &[u8]) -> (&[u8], Reads) {
    let sep = format!("\n{CAPTURE_SEPARATOR}\n");
    match capture.windows(sep.len()).position(|w| w == sep.as_bytes()) {
        Some(at) => (&capture[..at], Reads::parse(&capture[at + sep.len()..])),
        None => (capture, Reads::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_files_are_read_before_content_and_each_once() {
        let f = fragment(&[
            Read::Content("/etc/app.conf".into()),
            Read::Glob("/proc/[0-9]*/comm"),
            Read::System("/proc/sys/kernel/ostype".into()),
            Read::Content("/etc/app.conf".into()),
        ]);
        assert!(
            f.starts_with(&format!(
                "echo '@@READCAP'\ngrep -a -Z -H -n -m 20000 '' -- '/proc/sys/kernel/ostype' /proc/[0-9]*/comm '/etc/app.conf' 2>/dev/null | head -c {MAX_BYTES}"
            )),
            "{f}"
        );
        // The listing filter in the process module relies on these.
        assert!(f.contains(&OWN_GREP_ARGS.replace("  ", " '' ")));
        assert!(f.contains(&format!("| {OWN_HEAD_ARGS}\n")));
        // No file named by a check: no byte cap, no head process.
        let f = fragment(&[Read::System("/proc/sys/kernel/ostype".into())]);
        assert!(!f.contains("head"), "{f}");
    }

    #[test]
    fn records_parse_whatever_the_content() {
        let out = b"/a b\x001:x=1\n/a b\x002:has\x00nul: and colon\n/c\x001:\n@@READEND\n";
        let r = Reads::parse(out);
        assert!(r.complete());
        let a = r.lines("/a b").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1], (2, b"has\x00nul: and colon".to_vec()));
        assert_eq!(r.lines("/c").unwrap()[0].1, b"");
        assert!(r.lines("/missing").is_none());
        assert!(!Reads::parse(b"/a\x001:x\n").complete(), "no end marker");
        assert!(!r.truncated("/a b"));
    }

    #[test]
    fn under_lists_one_prefix_only() {
        let r = Reads::parse(b"/proc/1/comm\x001:init\n/proc/2/comm\x001:kthreadd\n/procx\x001:no\n/etc/passwd\x001:root:x:0:0::/root:/bin/sh\n");
        let paths: Vec<&[u8]> = r.under("/proc/").map(|(p, _)| p).collect();
        assert_eq!(paths, vec![&b"/proc/1/comm"[..], b"/proc/2/comm"]);
    }

    #[test]
    fn split_lines_parse_like_the_whole_output_and_a_file_read_twice_keeps_both_reads() {
        let out: &[u8] =
            b"/a\x001:x\n/b\x001:y\n/b\x002:z\n/a\x001:x\ngarbage\n@@READEND\n/c\x001:late";
        let whole = Reads::parse(out);
        let split = Reads::parse_lines(out.split(|b| *b == b'\n'));
        for r in [&whole, &split] {
            assert!(r.complete());
            assert_eq!(
                r.lines("/a"),
                Some(&vec![(1, b"x".to_vec()), (1, b"x".to_vec())])
            );
            assert_eq!(
                r.lines("/b"),
                Some(&vec![(1, b"y".to_vec()), (2, b"z".to_vec())])
            );
            assert_eq!(r.lines("/c"), None, "after the end marker");
        }
    }

    #[test]
    fn the_byte_cap_marks_the_last_file_cut() {
        let mut out = Vec::new();
        let line = vec![b'x'; 1000];
        for i in 0..(MAX_BYTES / 1000 + 1) {
            out.extend_from_slice(b"/big\0");
            out.extend_from_slice(format!("{}:", i + 1).as_bytes());
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
        let mut capped = b"@@READCAP\n".to_vec();
        capped.extend_from_slice(&out);
        capped.extend_from_slice(b"@@READEND\n");
        let r = Reads::parse(&capped);
        assert!(r.complete());
        assert!(r.truncated("/big"));
        // Without the cap (no file named by a check) that much is not cut.
        out.extend_from_slice(b"@@READEND\n");
        assert!(!Reads::parse(&out).truncated("/big"));
    }

    #[test]
    fn capture_splits_at_the_separator() {
        let (own, reads) = split_capture(b"@0 E\n@@END\n@@READS\n/x\x001:v\n@@READEND\n");
        assert_eq!(own, b"@0 E\n@@END");
        assert_eq!(reads.lines("/x").unwrap()[0].1, b"v");
        let (own, reads) = split_capture(b"@0 E\n");
        assert_eq!(own, b"@0 E\n");
        assert!(!reads.complete());
    }

    /// The per-file line cap: a file with exactly `MAX_LINES` lines may have had more.
    #[test]
    fn the_line_cap_marks_a_file_truncated() {
        let read = |n: usize| {
            let mut out = Vec::new();
            for i in 1..=n {
                out.extend_from_slice(format!("/f\x00{i}:x\n").as_bytes());
            }
            out.extend_from_slice(b"@@READEND\n/late\x001:after the end\n");
            Reads::parse(&out)
        };
        assert!(read(MAX_LINES).truncated("/f"));
        assert!(!read(MAX_LINES - 1).truncated("/f"));
        assert!(
            read(1).lines("/late").is_none(),
            "nothing after the end marker"
        );
        assert_eq!(read(1).cut(), None);
    }

    /// Lines that are no record (no NUL, no colon, no line number) are skipped; the byte cap
    /// cuts a file only when the read reached it.
    #[test]
    fn garbage_lines_and_the_exact_byte_cap() {
        let r = Reads::parse(b"noise\n/a\x00x:y\n/b\x00nocolon\n/c\x007:ok\n@@READEND\n");
        assert_eq!(r.lines("/c").unwrap(), &vec![(7, b"ok".to_vec())]);
        assert!(r.lines("/a").is_none() && r.lines("/b").is_none());
        // Records of exactly MAX_BYTES in all (each line plus its newline) reach the cap.
        let mut out = b"@@READCAP\n".to_vec();
        let mut left = MAX_BYTES;
        let mut n = 1;
        while left > 0 {
            let prefix = format!("/big\x00{n}:");
            // 1000 bytes a line, the last one sized to end exactly at the cap.
            let body = if left > 2000 {
                1000
            } else {
                left - prefix.len() - 1
            };
            out.extend_from_slice(prefix.as_bytes());
            out.extend(std::iter::repeat_n(b'x', body));
            out.push(b'\n');
            left -= prefix.len() + body + 1;
            n += 1;
        }
        let mut at_cap = out.clone();
        at_cap.extend_from_slice(b"@@READEND\n");
        assert_eq!(Reads::parse(&at_cap).cut(), Some(&b"/big"[..]));
        // One byte less is not cut.
        let mut under = out[..out.len() - 2].to_vec();
        under.extend_from_slice(b"\n@@READEND\n");
        assert_eq!(Reads::parse(&under).cut(), None);
    }
}
