//! Naming why `ssh` could not open a connection, from its exit status and what it wrote to
//! its log. The reason shown to the user is the failure kind followed by ssh's own words,
//! verbatim (minus the `@@@@` banner decoration), so nothing ssh said is lost.

/// Why a connection attempt failed, as far as ssh's messages tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    NameResolution,
    ConnectionRefused,
    ConnectTimeout,
    NetworkUnreachable,
    AuthRefused,
    /// The host presented a key other than the one in known_hosts.
    HostKeyMismatch,
    /// No key for the host in known_hosts and strict checking is on.
    HostKeyUnknown,
    /// The server closed or reset the connection before authentication finished.
    ConnectionClosed,
    /// Anything else ssh failed on (bad option, config error …).
    Other,
}

impl ConnectFailure {
    /// The short label that starts the reason.
    pub fn label(self) -> &'static str {
        match self {
            ConnectFailure::NameResolution => "name resolution failed",
            ConnectFailure::ConnectionRefused => "connection refused",
            ConnectFailure::ConnectTimeout => "connect timeout",
            ConnectFailure::NetworkUnreachable => "network unreachable",
            ConnectFailure::AuthRefused => "auth refused",
            ConnectFailure::HostKeyMismatch => "host key mismatch",
            ConnectFailure::HostKeyUnknown => "host key unknown",
            ConnectFailure::ConnectionClosed => "connection closed by remote",
            ConnectFailure::Other => "ssh failed",
        }
    }

    /// Classify ssh's stderr/log text (OpenSSH wording; case-insensitive).
    pub fn classify(log: &str) -> ConnectFailure {
        let t = log.to_ascii_lowercase();
        let has = |s: &str| t.contains(s);
        // Host key problems first: the mismatch banner also mentions verification failure.
        if has("remote host identification has changed")
            || (has("host key for") && has("has changed"))
            || has("offending ")
        {
            ConnectFailure::HostKeyMismatch
        } else if has("host key is known for")
            || has("host key verification failed")
            || has("no matching host key")
        {
            ConnectFailure::HostKeyUnknown
        } else if has("could not resolve hostname")
            || has("name or service not known")
            || has("temporary failure in name resolution")
            || has("no address associated with hostname")
        {
            ConnectFailure::NameResolution
        } else if has("connection refused") {
            ConnectFailure::ConnectionRefused
        } else if has("timed out") {
            ConnectFailure::ConnectTimeout
        } else if has("network is unreachable") || has("no route to host") {
            ConnectFailure::NetworkUnreachable
        } else if has("permission denied (")
            || has("too many authentication failures")
            || has("no more authentication methods")
            || has("no supported authentication methods")
        {
            ConnectFailure::AuthRefused
        } else if has("connection closed by")
            || has("connection reset")
            || has("kex_exchange_identification")
        {
            ConnectFailure::ConnectionClosed
        } else {
            ConnectFailure::Other
        }
    }
}

/// Sentences of OpenSSH's host-key warning that say nothing about this host.
const BOILERPLATE: [&str; 4] = [
    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
    "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
    "It is also possible that a host key has just been changed.",
    "Please contact your system administrator.",
];

/// ssh's messages on one line: decoration (`@@@…`), blank lines and the host-key warning's
/// fixed sentences dropped, the rest kept verbatim, joined with " / ", capped at `max` bytes
/// (on a char boundary).
pub fn verbatim(log: &str, max: usize) -> String {
    let mut out = String::new();
    for line in log.lines() {
        let line = line.trim_matches(|c: char| c == '@' || c.is_whitespace());
        if line.is_empty() || BOILERPLATE.contains(&line) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" / ");
        }
        out.push_str(line);
    }
    if out.len() > max {
        let mut cut = max;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// The reason for a failed connection: `"<label>: <ssh's words>"`.
pub fn describe(log: &str, status: Option<i32>) -> String {
    let kind = ConnectFailure::classify(log);
    let words = verbatim(log, 1200);
    match (words.is_empty(), status) {
        (false, _) => format!("{}: {words}", kind.label()),
        (true, Some(code)) => format!("{}: ssh exited with status {code}", kind.label()),
        (true, None) => format!("{}: ssh was killed by a signal", kind.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Messages as printed by OpenSSH 9.2p1 (captured from the test fleet).
    const MISMATCH: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n\
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n\
Offending ED25519 key in /tmp/f/known_hosts:3\r\n\
Host key for [127.0.0.1]:40001 has changed and you have requested strict checking.\r\n\
Host key verification failed.\r\n";

    #[test]
    fn names_each_failure() {
        let cases = [
            (MISMATCH, ConnectFailure::HostKeyMismatch),
            (
                "No ED25519 host key is known for [127.0.0.1]:4000 and you have requested strict checking.\r\nHost key verification failed.\r\n",
                ConnectFailure::HostKeyUnknown,
            ),
            (
                "ssh: Could not resolve hostname nope.invalid: Name or service not known\r\n",
                ConnectFailure::NameResolution,
            ),
            (
                "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n",
                ConnectFailure::ConnectionRefused,
            ),
            (
                "Connection timed out during banner exchange\r\nConnection to 127.0.0.1 port 4 timed out\r\n",
                ConnectFailure::ConnectTimeout,
            ),
            (
                "ssh: connect to host 10.0.0.1 port 22: Connection timed out\r\n",
                ConnectFailure::ConnectTimeout,
            ),
            (
                "ssh: connect to host 10.9.9.9 port 22: No route to host\r\n",
                ConnectFailure::NetworkUnreachable,
            ),
            (
                "root@127.0.0.1: Permission denied (publickey).\r\n",
                ConnectFailure::AuthRefused,
            ),
            (
                "kex_exchange_identification: read: Connection reset by peer\r\n",
                ConnectFailure::ConnectionClosed,
            ),
            (
                "command-line line 0: unsupported option \"x\".\r\n",
                ConnectFailure::Other,
            ),
        ];
        for (log, want) in cases {
            assert_eq!(ConnectFailure::classify(log), want, "{log}");
        }
    }

    #[test]
    fn reason_keeps_ssh_words_without_decoration() {
        let r = describe(MISMATCH, Some(255));
        assert!(
            r.starts_with("host key mismatch: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"),
            "{r}"
        );
        assert!(
            r.contains("Offending ED25519 key in /tmp/f/known_hosts:3"),
            "{r}"
        );
        assert!(!r.contains("@@@"), "{r}");
        assert!(!r.contains("SOMETHING NASTY"), "{r}");
        assert_eq!(
            describe("", Some(255)),
            "ssh failed: ssh exited with status 255"
        );
    }

    #[test]
    fn long_or_odd_text_is_capped_on_a_char_boundary() {
        let s = "é".repeat(2000);
        let v = verbatim(&s, 101);
        assert!(v.len() <= 101 + '…'.len_utf8());
        assert!(v.ends_with('…'));
    }
}
