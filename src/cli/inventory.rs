//! `driftscope inventory`: list environments, their hosts (address, transport, user,
//! become) and tags.

use super::common::SourceArgs;
use super::history::out;
use clap::Args;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Name of an Ansible inventory when it is the only one (default: its file name);
    /// needed for --inventory-cmd.
    #[arg(long, short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    /// Print the loaded inventory as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InventoryArgs) -> i32 {
    let environments = match crate::config::load_environments(&args.sources.sources()) {
        Ok((e, warnings)) => {
            warnings.iter().for_each(|w| eprintln!("{w}"));
            e
        }
        Err(e) => return super::common::config_error(&e),
    };
    if args.json {
        return match serde_json::to_string_pretty(&environments) {
            Ok(s) => {
                out!("{s}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                3
            }
        };
    }
    for env in &environments {
        out!("{} ({} hosts)", env.name, env.hosts.len());
        let mut tags: BTreeMap<&str, usize> = BTreeMap::new();
        for h in &env.hosts {
            h.tags
                .iter()
                .for_each(|t| *tags.entry(t.as_str()).or_default() += 1);
            let mut dest = match &h.salt {
                Some(s) => format!("minion {}", s.minion),
                None => h.address.clone(),
            };
            if let Some(u) = &h.user {
                dest = format!("{u}@{dest}");
            }
            if let Some(p) = h.port {
                dest = format!("{dest}:{p}");
            }
            out!(
                "  {:<24} {:<6} {:<28} {}{}",
                h.name,
                h.transport.as_str(),
                dest,
                h.tags.join(","),
                if h.become_root { "  (become)" } else { "" }
            );
        }
        let tags: Vec<String> = tags.iter().map(|(t, n)| format!("{t}({n})")).collect();
        out!(
            "  tags: {}",
            if tags.is_empty() {
                "none".into()
            } else {
                tags.join(" ")
            }
        );
    }
    0
}
