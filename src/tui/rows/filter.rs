//! The fuzzy filter over `host key title category`, without building that text per row:
//! each distinct host and each distinct check definition is matched once, and a row's match
//! follows from its two parts (a handful of integer tests per row).
//!
//! Ranking, best first (as fzf and television): the pattern at a word start, the pattern
//! contiguous inside a word, the letters scattered in order (not with a leading `'`, which
//! asks for an exact, case-insensitive substring). A row's text is `host` followed by
//! `rest = " key title category"`, so an occurrence lies in the host, in the rest, or spans
//! the two through the space between them (then the pattern holds that space); letters in
//! order are found greedily: the longest prefix of the pattern in the host, the rest of it
//! in the rest.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

/// How a row matches the filter, best first.
pub struct MatchTier;

impl MatchTier {
    pub const WORD: u8 = 0;
    pub const CONTIGUOUS: u8 = 1;
    pub const SCATTERED: u8 = 2;
}

/// Char index of the first case-insensitive occurrence of `needle` (lowercase) in
/// `haystack`, preferring one at a word start, and whether it is at one.
pub fn find_occurrence(haystack: &str, needle: &str) -> Option<(usize, bool)> {
    if needle.is_empty() {
        return Some((0, true));
    }
    let lower = haystack.to_lowercase();
    if lower.len() != haystack.len() {
        // Case folding changed byte lengths (rare scripts): plain position, no boundary bonus.
        return lower
            .find(needle)
            .map(|b| (lower[..b].chars().count(), false));
    }
    let mut first = None;
    for (b, _) in lower.match_indices(needle) {
        let at_word = lower[..b]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let ci = lower[..b].chars().count();
        if at_word {
            return Some((ci, true));
        }
        first.get_or_insert((ci, false));
    }
    first
}

/// The text a row is matched against (built only for highlighting visible rows).
pub fn haystack(host: &str, key: &str, title: &str, category: &str) -> String {
    format!("{host} {key} {title} {category}")
}

/// A filter pattern, prepared once per keystroke.
#[derive(Debug, Clone, Default)]
pub struct Pattern {
    pub raw: String,
    exact: bool,
    needle: String,
    chars: Vec<char>,
    /// Byte offsets in `needle` where a space starts a suffix (where an occurrence can cross
    /// from the host into the rest); at most 64.
    splits: Vec<usize>,
}

/// How one part (a host, or a check's rest) matches a [`Pattern`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartMatch {
    /// Best tier of an occurrence inside the part.
    tier: Option<u8>,
    /// Rest only: the same when the host ends with a letter or digit (an occurrence at the
    /// rest's first char is then not at a word start). Host: whether it ends so.
    tier_after_alnum: Option<u8>,
    ends_alnum: bool,
    /// Host: how many pattern chars it holds in order (greedy). Rest: the first pattern
    /// char from which the remainder is in it in order.
    letters: u16,
    /// Splits at which an occurrence can cross (host: it ends with the part before the split;
    /// rest: it starts with the part from it).
    span: u64,
    /// Host only: splits whose crossing occurrence starts at a word start.
    span_word: u64,
}

impl Pattern {
    pub fn new(raw: &str) -> Pattern {
        let (exact, needle) = match raw.strip_prefix('\'') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let needle = needle.to_lowercase();
        let splits = needle
            .char_indices()
            .filter(|(i, c)| *i > 0 && *c == ' ')
            .map(|(i, _)| i)
            .take(64)
            .collect();
        Pattern {
            raw: raw.to_string(),
            exact,
            chars: needle.chars().collect(),
            needle,
            splits,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Every row matches at the best tier (no pattern, or just `'`).
    fn matches_all(&self) -> bool {
        self.needle.is_empty()
    }

    /// Best tier of an occurrence in `part`, whose first char follows a letter or digit
    /// when `prev_alnum`.
    fn occurrence(&self, part: &str, prev_alnum: bool) -> Option<u8> {
        let lower = part.to_lowercase();
        if lower.len() != part.len() {
            return lower
                .contains(&self.needle)
                .then_some(MatchTier::CONTIGUOUS);
        }
        let mut best = None;
        for (b, _) in lower.match_indices(&self.needle) {
            let at_word = match lower[..b].chars().next_back() {
                None => !prev_alnum,
                Some(c) => !c.is_alphanumeric(),
            };
            if at_word {
                return Some(MatchTier::WORD);
            }
            best = Some(MatchTier::CONTIGUOUS);
        }
        best
    }

    /// Match a host once.
    pub fn host(&self, host: &str) -> PartMatch {
        if self.matches_all() {
            return PartMatch::default();
        }
        let lower = host.to_lowercase();
        let mut m = PartMatch {
            tier: self.occurrence(host, false),
            ends_alnum: host.chars().next_back().is_some_and(char::is_alphanumeric),
            ..PartMatch::default()
        };
        let mut k = 0;
        for c in lower.chars() {
            if k < self.chars.len() && c == self.chars[k] {
                k += 1;
            }
        }
        m.letters = k as u16;
        for (bit, &at) in self.splits.iter().enumerate() {
            let head = &self.needle[..at];
            if let Some(before) = lower.strip_suffix(head) {
                m.span |= 1 << bit;
                if before
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
                {
                    m.span_word |= 1 << bit;
                }
            }
        }
        m
    }

    /// Match a check's rest (`" key title category"`) once.
    pub fn rest(&self, rest: &str) -> PartMatch {
        if self.matches_all() {
            return PartMatch::default();
        }
        let lower = rest.to_lowercase();
        let mut m = PartMatch {
            tier: self.occurrence(rest, false),
            tier_after_alnum: self.occurrence(rest, true),
            ..PartMatch::default()
        };
        let mut j = self.chars.len();
        for c in lower.chars().rev() {
            if j > 0 && c == self.chars[j - 1] {
                j -= 1;
            }
        }
        m.letters = j as u16;
        for (bit, &at) in self.splits.iter().enumerate() {
            if lower.starts_with(&self.needle[at..]) {
                m.span |= 1 << bit;
            }
        }
        m
    }

    /// A row's tier from its two parts (`None`: no match).
    pub fn combine(&self, host: &PartMatch, rest: &PartMatch) -> Option<u8> {
        if self.matches_all() {
            return Some(MatchTier::WORD);
        }
        let crossing = host.span & rest.span;
        let cross = (crossing != 0).then_some(if host.span_word & crossing != 0 {
            MatchTier::WORD
        } else {
            MatchTier::CONTIGUOUS
        });
        let rest_tier = if host.ends_alnum {
            rest.tier_after_alnum
        } else {
            rest.tier
        };
        let best = [host.tier, rest_tier, cross].into_iter().flatten().min();
        match best {
            Some(t) => Some(t),
            None if self.exact => None,
            None => (host.letters >= rest.letters).then_some(MatchTier::SCATTERED),
        }
    }

    /// Char indices of the match in `haystack` (for highlighting one visible row).
    pub fn indices(&self, matcher: &SkimMatcherV2, haystack: &str) -> Vec<usize> {
        if self.raw.is_empty() {
            return Vec::new();
        }
        let n = self.chars.len();
        match find_occurrence(haystack, &self.needle) {
            Some((start, _)) if n > 0 => (start..start + n).collect(),
            _ if self.exact => Vec::new(),
            _ => matcher
                .fuzzy_indices(haystack, &self.raw)
                .map(|(_, idx)| idx)
                .unwrap_or_default(),
        }
    }
}

/// The tier of a whole row text (the reference the per-part matching must agree with).
pub fn tier_of_text(matcher: &SkimMatcherV2, haystack: &str, pattern: &str) -> Option<u8> {
    if pattern.is_empty() {
        return Some(MatchTier::WORD);
    }
    let (exact, needle) = match pattern.strip_prefix('\'') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    match find_occurrence(haystack, &needle.to_lowercase()) {
        Some((_, true)) => Some(MatchTier::WORD),
        Some((_, false)) => Some(MatchTier::CONTIGUOUS),
        None if exact => None,
        None => matcher
            .fuzzy_match(haystack, pattern)
            .map(|_| MatchTier::SCATTERED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-part matching gives the tier the whole text gets, for patterns inside a part,
    /// across the host/rest boundary, scattered over both, exact and not.
    #[test]
    fn parts_agree_with_matching_the_whole_text() {
        let matcher = SkimMatcherV2::default().ignore_case();
        let hosts = ["web-01", "db-02.prod", "h1", "SSH-gw", "x", "edge-"];
        let rests = [
            (
                " ssh.root[option=PermitRootLogin]",
                "sshd forbids root",
                "ssh",
            ),
            (" kernel.ip_forward", "ip forwarding is off", "network"),
            (
                " file.mode[path=/etc/app.conf]",
                "app.conf is 0644",
                "files",
            ),
            (" pkg.nginx", "nginx is installed", "packages"),
        ];
        let patterns = [
            "ssh",
            "'ssh",
            "root",
            "01 ssh",
            "1 k",
            "prod kern",
            "wk",
            "h1kip",
            "'h1 k",
            "gw ssh",
            "x f",
            "nginx0",
            "zz",
            "'",
            "",
            "o",
            "-01 s",
            "2.prod p",
            "d pk",
            "e",
            "p ",
            " ",
            " s",
            "- k",
            "'] s",
        ];
        for p in patterns {
            let pat = Pattern::new(p);
            for h in hosts {
                let hm = pat.host(h);
                for (key, title, cat) in rests {
                    let rest = format!("{key} {title} {cat}");
                    let whole = format!("{h}{rest}");
                    assert_eq!(
                        pat.combine(&hm, &pat.rest(&rest)),
                        tier_of_text(&matcher, &whole, p),
                        "pattern {p:?} on {whole:?}"
                    );
                }
            }
        }
    }
}
