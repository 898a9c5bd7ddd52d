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
