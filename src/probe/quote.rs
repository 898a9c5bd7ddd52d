//! The one function that turns a check/inventory string into shell text.

/// Quote `s` as ONE POSIX sh word: single quotes, with embedded `'` written as `'\''`.
/// Nothing inside single quotes is interpreted by sh, so no input can break out.
/// NUL bytes cannot be passed in a shell word at all; they are dropped.
pub fn sh_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quote every item and join with spaces.
pub fn sh_quote_all<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(sh_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes() {
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(
            sh_quote("a\0b"),
            "'ab'",
            "NUL cannot be in a shell word: dropped"
        );
    }

    /// Every item arrives as its own argument, byte for byte, in order (what `stat -- …`
    /// and `getent passwd -- …` receive).
    #[test]
    fn quote_all_gives_one_word_per_item() {
        let items = ["a b", "it's", "", "$(x) `y` \"z\"", "new\nline"];
        let words = sh_quote_all(items);
        assert_eq!(
            words,
            r#"'a b' 'it'\''s' '' '$(x) `y` "z"' 'new"#.to_string() + "\nline'"
        );
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {words}"))
            .output()
            .unwrap();
        let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
        let want: Vec<&[u8]> = items
            .iter()
            .map(|s| s.as_bytes())
            .chain([&b""[..]])
            .collect();
        assert_eq!(got, want);
        assert_eq!(sh_quote_all([]), "");
    }
}
