//! README.md's key table is generated from the embedded keymap: this test fails when
//! they differ. Regenerate with `DRIFTSCOPE_UPDATE_DOCS=1 cargo test --test tui_docs`.

use driftscope::tui::keymap::Keymap;

const BEGIN: &str = "<!-- keys:begin (generated from src/tui/keymap.toml by tests/tui_docs.rs) -->";
const END: &str = "<!-- keys:end -->";

#[test]
fn readme_key_table_matches_the_keymap() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let doc = std::fs::read_to_string(path).expect("README.md exists");
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("README.md lacks the key table markers {BEGIN} … {END}");
    };
    let current = &doc[b + BEGIN.len()..e];
    let generated = Keymap::embedded().markdown_table() + "\n";
    if current != generated {
        if std::env::var_os("DRIFTSCOPE_UPDATE_DOCS").is_some() {
            let updated = format!("{}{BEGIN}{generated}{}", &doc[..b], &doc[e..]);
            std::fs::write(path, updated).expect("write README.md");
            return;
        }
        panic!(
            "README.md's key table differs from src/tui/keymap.toml; run \
             DRIFTSCOPE_UPDATE_DOCS=1 cargo test --test tui_docs\n--- generated:\n{generated}"
        );
    }
}
