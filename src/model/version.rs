//! Package versions: dpkg's ordering (`[epoch:]upstream[-revision]`, `~` before everything)
//! and the constraint language of the `version` matcher: `OP VERSION` terms joined by `,`
//! (all must hold) and alternatives joined by `||` (one must hold), e.g.
//! `">= 1.0, < 2.0, != 1.5 || >= 3"`. Anything else (npm's space-separated ranges, `^1.2`,
//! `~> 1.2`, wildcards) is a parse error, never a silently different meaning.

use super::matcher::{CompareOp, MatcherError};
use std::cmp::Ordering;

/// A parsed `version` matcher: alternatives, each a list of terms that must all hold.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSpec(Vec<Vec<(CompareOp, String)>>);

const EXAMPLE: &str =
    "expected terms like \">= 2.4, < 3\" (operators =, ==, !=, <, <=, >, >=; `,` = and; `||` = or)";

impl VersionSpec {
    pub fn parse(s: &str) -> Result<VersionSpec, MatcherError> {
        let mut alternatives = Vec::new();
        for alt in s.split("||") {
            let mut terms = Vec::new();
            for part in alt.split(',') {
                terms.push(parse_term(part.trim(), s)?);
            }
            alternatives.push(terms);
        }
        Ok(VersionSpec(alternatives))
    }

    /// Does version `v` satisfy the spec? An empty version never does.
    pub fn holds(&self, v: &str) -> bool {
        !v.is_empty()
            && self.0.iter().any(|terms| {
                terms
                    .iter()
                    .all(|(op, want)| op.holds(compare_versions(v, want)))
            })
    }

    /// The canonical text: `>= 2.4, < 3 || = 4`.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|terms| {
                terms
                    .iter()
                    .map(|(op, v)| format!("{} {v}", op.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
            .join(" || ")
    }
}

/// One `OP VERSION` term; a bare version means `=`.
fn parse_term(part: &str, whole: &str) -> Result<(CompareOp, String), MatcherError> {
    let (op, rest) = [
        (">=", CompareOp::Ge),
        ("<=", CompareOp::Le),
        ("!=", CompareOp::Ne),
        ("==", CompareOp::Eq),
        (">", CompareOp::Gt),
        ("<", CompareOp::Lt),
        ("=", CompareOp::Eq),
    ]
    .iter()
    .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r.trim())))
    .unwrap_or((CompareOp::Eq, part));
    if rest.is_empty() {
        return Err(MatcherError(format!(
            "version constraint {part:?} in {whole:?} has no version; {EXAMPLE}"
        )));
    }
    // A version: starts with a letter or digit, then dpkg/rpm version characters only.
    let starts_ok = rest.starts_with(|c: char| c.is_ascii_alphanumeric());
    let chars_ok = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".+~:-_^".contains(c));
    if !starts_ok || !chars_ok {
        return Err(MatcherError(format!(
            "version constraint {part:?} in {whole:?}: {rest:?} is not a version; {EXAMPLE}"
        )));
    }
    Ok((op, rest.to_string()))
}

/// Compare two Debian-style versions (`[epoch:]upstream[-revision]`), dpkg's algorithm; also
/// orders rpm versions sensibly.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ra) = split_epoch(a);
    let (eb, rb) = split_epoch(b);
    match ea.cmp(&eb) {
        Ordering::Equal => {}
        o => return o,
    }
    let (ua, va) = ra.rsplit_once('-').unwrap_or((ra, ""));
    let (ub, vb) = rb.rsplit_once('-').unwrap_or((rb, ""));
    match verrevcmp(ua, ub) {
        Ordering::Equal => verrevcmp(va, vb),
        o => o,
    }
}

fn split_epoch(v: &str) -> (u64, &str) {
    match v.split_once(':') {
        Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(0), rest)
        }
        _ => (0, v),
    }
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_version_order_is_not_string_order() {
        assert_eq!(
            compare_versions("1:9.2p1-2+deb12u3", "9.9"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("2.10", "2.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(
            compare_versions("5.2.15-2+b2", "5.2.15-2+b2"),
            Ordering::Equal
        );
        assert_eq!(compare_versions("1.0-1", "1.0-10"), Ordering::Less);
    }

    #[test]
    fn not_equal_and_alternatives() {
        let s = VersionSpec::parse("> 1.0.0, < 2.0.0, != 1.5.0").unwrap();
        assert!(s.holds("1.4.9") && s.holds("1.5.1"));
        assert!(!s.holds("1.5.0") && !s.holds("2.0.0") && !s.holds("1.0.0"));
        let s = VersionSpec::parse(">5.0.0 || < 1.5.0").unwrap();
        assert!(s.holds("6") && s.holds("1.4"));
        assert!(!s.holds("3.0.0"));
        assert_eq!(s.text(), "> 5.0.0 || < 1.5.0");
        assert!(!s.holds(""));
    }

    #[test]
    fn unknown_syntax_is_an_error_not_another_meaning() {
        for bad in [
            ">1.0.0 <2.0.0",
            "^1.2",
            "~> 1.2",
            "~1.2",
            "1.*",
            ">= 1 ||",
            "=> 1",
            "",
            ">=",
            "1.0 - 2.0",
        ] {
            let e = VersionSpec::parse(bad).expect_err(bad);
            assert!(e.0.contains("expected terms like"), "{bad}: {e}");
        }
        // Every real package version form parses.
        for ok in [
            "1:9.2p1-2+deb12u3",
            "2.36-9+deb12u4",
            "1.0~rc1",
            "3.0.11-1~deb12u2",
            "5.el9_2",
        ] {
            assert!(VersionSpec::parse(ok).is_ok(), "{ok}");
            assert!(VersionSpec::parse(&format!(">= {ok}")).is_ok(), "{ok}");
        }
    }

    #[test]
    fn order_agrees_with_dpkg_compare_versions() {
        use Ordering::{Equal, Greater, Less};
        // Each row checked with `dpkg --compare-versions A lt|eq B` (dpkg 1.21).
        for (a, b, want) in [
            ("1.0", "1.0.0", Less),
            ("1.0a", "1.0", Greater),
            ("1.0~", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0+", "1.0a", Greater),
            ("1:1.0", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("2:1", "10:0", Less),
            ("1.0-2", "1.0-10", Less),
            ("1.0-1", "1.0", Greater),
            ("1.0-2-3", "1.0-2-10", Less),
            ("1.001", "1.1", Equal),
            ("010", "10", Equal),
            ("1.10", "1.9", Greater),
            ("12", "13", Less),
            ("1.0a", "1.0b", Less),
            ("1.0a", "1.01", Less),
            ("abc", "abd", Less),
            ("~~", "~~a", Less),
            ("~", "0", Less),
            ("1.0.a", "1.0.1", Greater),
            ("1a", "1.", Less),
            ("1.2.3", "1.2.3", Equal),
            ("9", "10", Less),
            ("1.0-0", "1.0", Equal),
            ("a", "1", Greater),
            ("1.0+b1", "1.0.1", Less),
            ("1.0+", "1.0.", Less),
            // Not versions dpkg accepts; dpkg's algorithm still orders them so.
            ("a:1.0", "1.0", Greater),
            (":1", "1", Greater),
            ("1.0\u{0}", "1.0", Greater),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn every_operator_holds_at_its_boundary() {
        let holds = |spec: &str, v: &str| VersionSpec::parse(spec).unwrap().holds(v);
        for (spec, below, at, above) in [
            ("< 2.0", true, false, false),
            ("<= 2.0", true, true, false),
            ("> 2.0", false, false, true),
            (">= 2.0", false, true, true),
            ("= 2.0", false, true, false),
            ("== 2.0", false, true, false),
            ("2.0", false, true, false),
            ("!= 2.0", true, false, true),
        ] {
            assert_eq!(
                [holds(spec, "1.9"), holds(spec, "2.0"), holds(spec, "2.0.1")],
                [below, at, above],
                "{spec}"
            );
        }
        // The canonical text names each operator as written, `==` and a bare version as `=`.
        let spec = VersionSpec::parse("<1, <=2, >3, >=4, =5, ==6, 7, !=8 || 9").unwrap();
        assert_eq!(
            spec.text(),
            "< 1, <= 2, > 3, >= 4, = 5, = 6, = 7, != 8 || = 9"
        );
    }

    #[test]
    fn a_constraint_names_the_bad_term_and_the_whole_spec() {
        let e = VersionSpec::parse(">= 1.0, < -2").unwrap_err();
        assert!(
            e.0.starts_with(
                "version constraint \"< -2\" in \">= 1.0, < -2\": \"-2\" is not a version;"
            ),
            "{e}"
        );
        let e = VersionSpec::parse(">= 1.0, <").unwrap_err();
        assert!(
            e.0.starts_with("version constraint \"<\" in \">= 1.0, <\" has no version;"),
            "{e}"
        );
        assert!(
            VersionSpec::parse("1.0 x").is_err(),
            "a space inside a version"
        );
        assert!(VersionSpec::parse("1.0_rc:2+b~1^x").is_ok());
    }
}
