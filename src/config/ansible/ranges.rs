//! Ansible host patterns: `web[01:20].example.com`, `db-[a:c]`, `host[1:10:2]`, and a
//! trailing `:port` (`[::1]:2222` for IPv6), expanded the way Ansible's
//! `expand_hostname_range` does (leading zeros kept at the width of the start).

/// One pattern expanded: the host names and the port it named, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    pub hosts: Vec<String>,
    pub port: Option<u16>,
}

/// Expand `pattern`; `Err` says what is wrong with it.
pub fn expand_pattern(pattern: &str) -> Result<HostPattern, String> {
    let (name, port) = split_port(pattern)?;
    Ok(HostPattern {
        hosts: expand_ranges(name)?,
        port,
    })
}

/// `host:22` → (`host`, 22); `[::1]:22` → (`::1`, 22); a bare IPv6 address keeps its colons.
fn split_port(pattern: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = pattern.strip_prefix('[')
        && let Some(end) = rest.find(']')
        && rest[..end].contains(':')
    {
        // Bracketed IPv6 address (a range never contains `:` … `]` with hex only).
        let addr = &rest[..end];
        let tail = &rest[end + 1..];
        return match tail.strip_prefix(':') {
            Some(p) => Ok((addr, Some(parse_port(p, pattern)?))),
            None if tail.is_empty() => Ok((addr, None)),
            None => Err(format!(
                "unexpected {tail:?} after the address in {pattern:?}"
            )),
        };
    }
    // The port is what follows the last `:` outside brackets, when only one such `:` exists.
    let mut depth = 0usize;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    match colons.as_slice() {
        [i] => Ok((
            &pattern[..*i],
            Some(parse_port(&pattern[i + 1..], pattern)?),
        )),
        _ => Ok((pattern, None)),
    }
}

fn parse_port(p: &str, pattern: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("bad port {p:?} in {pattern:?}: expected 1-65535"))
}

/// Expand the first `[a:b(:step)]` and recurse on the rest.
fn expand_ranges(name: &str) -> Result<Vec<String>, String> {
    let Some(open) = name.find('[') else {
        return Ok(vec![name.to_string()]);
    };
    let Some(close_rel) = name[open..].find(']') else {
        return Err(format!("unclosed `[` in host pattern {name:?}"));
    };
    let close = open + close_rel;
    let (head, body, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let parts: Vec<&str> = body.split(':').collect();
    let (beg, end, step) = match parts.as_slice() {
        [b, e] => (*b, *e, 1usize),
        [b, e, s] => (
            *b,
            *e,
            s.parse::<usize>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| format!("bad step {s:?} in host range [{body}]"))?,
        ),
        _ => {
            return Err(format!(
                "bad host range [{body}] in {name:?}: expected [start:end] or [start:end:step]"
            ));
        }
    };
    let beg = if beg.is_empty() { "0" } else { beg };
    let items: Vec<String> = if let (Ok(b), Ok(e)) = (beg.parse::<u64>(), end.parse::<u64>()) {
        if b > e {
            return Err(format!(
                "host range [{body}] in {name:?} counts down: expected start <= end"
            ));
        }
        if (e - b) / step as u64 > 100_000 {
            return Err(format!(
                "host range [{body}] in {name:?} is too large (more than 100000 hosts)"
            ));
        }
        let width = beg.len();
        (b..=e)
            .step_by(step)
            .map(|i| format!("{i:0width$}"))
            .collect()
    } else {
        let (mut b, mut e) = (beg.chars(), end.chars());
        match (b.next(), b.next(), e.next(), e.next()) {
            (Some(b), None, Some(e), None)
                if b.is_ascii_alphabetic() && e.is_ascii_alphabetic() =>
            {
                if b > e {
                    return Err(format!(
                        "host range [{body}] in {name:?} counts down: expected start <= end"
                    ));
                }
                (b..=e).step_by(step).map(String::from).collect()
            }
            _ => {
                return Err(format!(
                    "bad host range [{body}] in {name:?}: expected numbers ([01:20]) or single letters ([a:f])"
                ));
            }
        }
    };
    // The first range is the outer loop, as Ansible lists them.
    let tails = expand_ranges(tail)?;
    let mut out = Vec::with_capacity(items.len() * tails.len());
    for item in &items {
        for rest in &tails {
            out.push(format!("{head}{item}{rest}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(p: &str) -> Vec<String> {
        expand_pattern(p).unwrap().hosts
    }

    #[test]
    fn numeric_ranges_keep_leading_zeros() {
        assert_eq!(
            hosts("web[01:03].example.com"),
            [
                "web01.example.com",
                "web02.example.com",
                "web03.example.com"
            ]
        );
        assert_eq!(hosts("h[1:10:4]"), ["h1", "h5", "h9"]);
        assert_eq!(hosts("h[:2]"), ["h0", "h1", "h2"]);
    }

    #[test]
    fn letter_ranges_and_two_ranges() {
        assert_eq!(hosts("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(hosts("r[1:2]-[a:b]"), ["r1-a", "r1-b", "r2-a", "r2-b"]);
    }

    #[test]
    fn ports() {
        let p = expand_pattern("badwolf.example.com:5309").unwrap();
        assert_eq!(
            (p.hosts[0].as_str(), p.port),
            ("badwolf.example.com", Some(5309))
        );
        let p = expand_pattern("[::1]:2222").unwrap();
        assert_eq!((p.hosts[0].as_str(), p.port), ("::1", Some(2222)));
        let p = expand_pattern("fe80::1").unwrap();
        assert_eq!((p.hosts[0].as_str(), p.port), ("fe80::1", None));
        let p = expand_pattern("web[1:2]:22").unwrap();
        assert_eq!((p.hosts.len(), p.port), (2, Some(22)));
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(
            expand_pattern("h[3:1]")
                .unwrap_err()
                .contains("counts down")
        );
        assert!(expand_pattern("h[1:").unwrap_err().contains("unclosed"));
        assert!(
            expand_pattern("h[a:10]")
                .unwrap_err()
                .contains("bad host range")
        );
        assert!(expand_pattern("h:99999").unwrap_err().contains("bad port"));
    }
}
