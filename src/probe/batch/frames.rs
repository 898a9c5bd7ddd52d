//! The frame markers around each section of a probe script: writing them
//! (`@@DS:<nonce>:B:<id>` / `@@DS:<nonce>:E:<id>:<status>`) and splitting a host's output
//! back into one payload per section. A section whose end marker is missing, or whose markers
//! carry another nonce or an unknown id, has no payload: its checks become `error`.

/// The id of the shared-read section in its frame markers.
pub(super) const READ_SECTION: &str = "R";

/// One section's fragment framed by its begin/end markers: a brace group (no subshell fork)
/// whose stderr joins stdout, so parsers see errors.
pub(super) fn frame(nonce: &str, id: &str, fragment: &str) -> String {
    format!(
        "printf '\\n@@DS:{nonce}:B:{id}\\n'\n{{\n{fragment}\n}} 2>&1 </dev/null\nprintf '\\n@@DS:{nonce}:E:{id}:%s\\n' \"$?\"\n"
    )
}

/// Split a script's output into `sections` payloads plus the shared read's, last; `None` where a
/// section never completed.
pub(super) fn split<'a>(
    nonce: &str,
    sections: usize,
    stdout: &'a [u8],
) -> Vec<Option<Vec<&'a [u8]>>> {
    let begin = format!("@@DS:{nonce}:B:");
    let end = format!("@@DS:{nonce}:E:");
    let slots = sections + 1;
    let slot = |id: &str| match id {
        READ_SECTION => Some(sections),
        n => n.parse::<usize>().ok().filter(|n| *n < sections),
    };
    let mut done: Vec<Option<Vec<&[u8]>>> = vec![None; slots];
    let mut current: Option<(usize, Vec<&[u8]>)> = None;
    for line in stdout.split(|b| *b == b'\n') {
        if let Some(rest) = line.strip_prefix(begin.as_bytes()) {
            current = std::str::from_utf8(rest)
                .ok()
                .and_then(slot)
                .map(|n| (n, Vec::new()));
        } else if let Some(rest) = line.strip_prefix(end.as_bytes()) {
            let idx = std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.split(':').next())
                .and_then(slot);
            if let Some((n, mut lines)) = current.take()
                && idx == Some(n)
            {
                // The end marker's leading newline leaves one artificial empty line.
                if lines.last().is_some_and(|l| l.is_empty()) {
                    lines.pop();
                }
                done[n] = Some(lines);
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<u8> {
        let out = std::process::Command::new("sh")
            .args(["-c", script])
            .output()
            .expect("sh runs");
        out.stdout
    }

    fn text(payload: &Option<Vec<&[u8]>>) -> Option<Vec<String>> {
        payload.as_ref().map(|lines| {
            lines
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect()
        })
    }

    #[test]
    fn framed_sections_run_by_sh_split_back_into_their_payloads() {
        let script = [
            frame("N1", "0", "echo a; echo b >&2; (exit 3)"),
            frame("N1", "1", "echo c; echo"),
            frame("N1", READ_SECTION, "echo r"),
        ]
        .concat();
        let out = sh(&script);
        let shown = String::from_utf8_lossy(&out);
        assert!(
            shown.contains("\n@@DS:N1:E:0:3\n"),
            "the section's status: {shown}"
        );
        let parts = split("N1", 2, &out);
        let parts: Vec<_> = parts.iter().map(text).collect();
        assert_eq!(
            parts,
            [
                Some(vec!["a".to_string(), "b".to_string()]),
                // A payload's own last empty line stays; only the marker's goes.
                Some(vec!["c".to_string(), String::new()]),
                Some(vec!["r".to_string()]),
            ],
            "{shown}"
        );
    }

    #[test]
    fn only_whole_sections_of_this_nonce_and_known_ids_count() {
        let out = b"\n@@DS:N:B:0\nzero\n\n@@DS:N:E:0:0\n\
            \n@@DS:N:B:2\nno such section\n\n@@DS:N:E:2:0\n\
            \n@@DS:N:B:x\nnot a number\n\n@@DS:N:E:x:0\n\
            \n@@DS:N:B:1\none\n\n@@DS:N:E:0:0\n\
            \n@@DS:M:B:R\nother nonce\n\n@@DS:M:E:R:0\n\
            \n@@DS:N:B:R\nread, cut short\n";
        let parts = split("N", 2, out);
        let parts: Vec<_> = parts.iter().map(text).collect();
        assert_eq!(
            parts,
            [Some(vec!["zero".to_string()]), None, None],
            "section 1 ended with section 0's marker; the read never ended"
        );
        assert_eq!(split("N", 0, b"").len(), 1, "the shared read's slot");
    }
}
