//! No check or inventory string can break out of `sh_quote`: real /bin/sh gets the string back
//! byte for byte (NULs, which no shell word can carry, are dropped).

use driftscope::probe::quote::sh_quote;
use proptest::prelude::*;

fn through_sh(s: &str) -> Vec<u8> {
    // The quoted word becomes $1 of an inner sh, as fragments pass subjects to tools.
    let script = format!("sh -c 'printf \"%s\" \"$1\"' _ {}", sh_quote(s));
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run /bin/sh")
        .stdout
}

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_string()),
        Just("'\\''".to_string()),
        Just("\"".to_string()),
        Just("$".to_string()),
        Just("$(touch /tmp/ds-pwned)".to_string()),
        Just("`id`".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just(";".to_string()),
        Just("&|<>*?[]{}~#!%".to_string()),
        Just("\0".to_string()),
        Just("é日本🙂".to_string()),
        "[ -~]{0,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn quoted_strings_come_back_unchanged(s in hostile()) {
        let want: String = s.chars().filter(|c| *c != '\0').collect();
        prop_assert_eq!(through_sh(&s), want.into_bytes());
    }
}

#[test]
fn known_nasty_inputs() {
    for s in [
        "", "'", "''", "a'b'c", "$(id)", "`id`", "\n\n", "-n", "--", "\\'", "%s%n",
    ] {
        assert_eq!(through_sh(s), s.as_bytes(), "{s:?}");
    }
    assert!(!std::path::Path::new("/tmp/ds-pwned").exists());
}
