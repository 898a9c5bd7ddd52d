//! The check/inventory TOML loader and the expansion of every check on every host: any
//! inventory and check file either loads (and then plans without a panic) or gives a
//! `ConfigError` naming a file; never a panic. Input: the inventory TOML, a line `%%%`, the
//! check file TOML (without the separator: the check file alone, on the embedded inventory).
#![no_main]

use driftscope::config::{Loaded, Selection, Sources};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A temp dir made once per fuzzing process (the loader reads files).
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("ds-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(d.join("checks")).expect("temp dir");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (inventory, checks) = match text.split_once("\n%%%\n") {
        Some((i, c)) => (Some(i), c),
        None => (None, text),
    };
    let d = dir();
    let mut sources = Sources {
        checks: vec![d.join("checks")],
        ..Sources::default()
    };
    if let Some(inv) = inventory {
        std::fs::write(d.join("inv.toml"), inv).expect("write inventory");
        sources.inventories = vec![d.join("inv.toml")];
    }
    std::fs::write(d.join("checks/fuzz.toml"), checks).expect("write checks");
    match Loaded::load(&sources) {
        Ok(loaded) => {
            // Loading dry-ran every expansion: planning must succeed and agree with it.
            let plans = loaded.plan(&Selection::default()).expect("a loaded config plans");
            let lazily = loaded
                .plan_lazily(&Selection::default())
                .expect("a loaded config plans lazily");
            let planned: usize = plans.iter().map(|p| p.executions.len()).sum();
            assert_eq!(lazily.execution_count, planned);
        }
        Err(e) => {
            assert!(!e.file.is_empty(), "an error names its file: {e}");
        }
    }
});
