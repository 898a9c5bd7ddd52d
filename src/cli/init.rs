//! `driftscope init`: a newcomer's first step — writes a starter `inventory.toml` (this
//! machine, plus a commented ssh host) and `checks/` with one example category and its SOP
//! into a directory (default: the current one), refusing to overwrite anything, and prints
//! the next three commands.

use clap::Args;
use std::path::{Path, PathBuf};

const INVENTORY: &str = include_str!("init_files/inventory.toml");
const CATEGORY: &str = include_str!("init_files/basics.toml");
const SOP: &str = include_str!("init_files/basics.md");

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the files.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

/// `(path relative to DIR, contents)` of every file `init` writes.
fn files() -> Vec<(&'static str, String)> {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    vec![
        ("inventory.toml", INVENTORY.to_string()),
        ("checks/basics.toml", CATEGORY.to_string()),
        (
            "checks/sops/basics.md",
            SOP.replace(
                "last_reviewed = 2026-12-01",
                &format!("last_reviewed = {today}"),
            ),
        ),
    ]
}

/// A path as the user should type it: relative to the current directory when DIR is `.`.
fn shown(dir: &Path, rel: &str) -> String {
    if dir == Path::new(".") {
        rel.to_string()
    } else {
        dir.join(rel).display().to_string()
    }
}

pub fn run(args: InitArgs) -> i32 {
    let files = files();
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| *rel)
        .chain(["checks"])
        .filter(|rel| args.dir.join(rel).exists())
        .map(|rel| shown(&args.dir, rel))
        .collect();
    if !existing.is_empty() {
        eprintln!(
            "error: {} already exist{}: driftscope init never overwrites; run it in an empty directory (driftscope init DIR)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        );
        return super::EXIT_USAGE;
    }
    for (rel, text) in &files {
        let path = args.dir.join(rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
            })
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        if let Err(e) = written {
            eprintln!("error: {}: {e}", path.display());
            return super::EXIT_USAGE;
        }
    }
    let inv = shown(&args.dir, "inventory.toml");
    let checks = shown(&args.dir, "checks");
    let lines = [
        format!(
            "wrote {inv} (this machine; an ssh host to uncomment) and {checks}/ (one example category with its SOP)"
        ),
        String::new(),
        "next:".to_string(),
        format!("  driftscope checks -i {inv} -c {checks} --lint   # validate, see what will run"),
        format!(
            "  driftscope run -i {inv} -c {checks}             # check, report, record in the history"
        ),
        format!(
            "  driftscope -i {inv} -c {checks}                 # the same in the TUI (q quits)"
        ),
        String::new(),
        "then add your servers to the inventory, or point at an Ansible inventory (-i hosts.ini),"
            .to_string(),
        "and keep the paths in ~/.config/driftscope/config.toml (see `driftscope config`)."
            .to_string(),
    ];
    let mut out = std::io::stdout().lock();
    for l in lines {
        if std::io::Write::write_all(&mut out, format!("{l}\n").as_bytes()).is_err() {
            break;
        }
    }
    0
}
