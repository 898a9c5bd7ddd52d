//! The SOP parser (`+++` TOML front matter read strictly, the seven sections) and filling its
//! placeholders: any text either parses or gives an error with a line; never a panic.
#![no_main]

use driftscope::sop::{Placeholders, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse("checks/sops/fuzz.md", text) {
        Ok(sop) => {
            let values = Placeholders::new("h", "prod", "ssh.x", "ssh.x[a=1]");
            let _ = sop.fill(&values);
            let md = sop.to_markdown(&values);
            assert!(md.starts_with("# "), "{md}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
