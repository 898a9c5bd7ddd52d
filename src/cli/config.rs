//! `driftscope config`: every setting's effective value and where it came from, like
//! `git config --show-origin`. Takes the same flags as `run` so their effect is visible.

use super::common::{ExecArgs, SourceArgs};
use super::history::out;
use crate::config::settings::Layer;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Environment.
    #[arg(long, short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// History database.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Theme name or path.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Print the settings as JSON (`{key: {value, origin}}`).
    #[arg(long)]
    pub json: bool,
}

impl ConfigArgs {
    pub(super) fn layer(&self) -> Layer {
        let mut l = Layer::default();
        self.sources.layer(&mut l);
        self.exec.layer(&mut l);
        l.env = self.env.clone();
        l.db = self.db.clone();
        l.theme = self.theme.clone();
        l
    }
}

pub fn run(args: ConfigArgs) -> i32 {
    let rows = super::settings::current().rows();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(k, v, o)| {
                (
                    k.to_string(),
                    serde_json::json!({ "value": v, "origin": o }),
                )
            })
            .collect();
        return super::history::print_json(&map);
    }
    let key_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let val_w = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for (k, v, o) in rows {
        out!("{k:<key_w$}  {v:<val_w$}  {o}");
    }
    0
}
