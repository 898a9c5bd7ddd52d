//! `driftscope sop CHECK [--host H] [--env E]`: the SOP of a check, filled for one execution
//! (`{host}`, `{env}`, matrix values, `{vars.KEY}`), printed as the same markdown the TUI's
//! `o` hands to `$PAGER`. CHECK is a check id or a full execution key
//! (`ssh.sshd-option[option=PermitRootLogin,value=no]`). Without `--host` the placeholders
//! that need a host are left as written. Exit 0 printed, 1 the check has no SOP (or its file
//! is missing), 2 unknown check / host / environment.

use super::common::SourceArgs;
use crate::model::ExecKey;
use crate::sop::{Placeholders, SopLibrary};
use clap::Args;

#[derive(Debug, Args)]
pub struct SopArgs {
    /// Check id, or a full execution key (`id[name=value,…]`).
    #[arg(value_name = "CHECK")]
    pub check: String,
    /// Fill the placeholders for this host (inventory name).
    #[arg(long = "host", short = 'H', value_name = "HOST")]
    pub host: Option<String>,
    /// Environment of the host (needed when several inventories are loaded).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub env: Option<String>,
    #[command(flatten)]
    pub sources: SourceArgs,
}

pub fn run(args: SopArgs) -> i32 {
    let loaded = match args.sources.load() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let check_id = args.check.split('[').next().unwrap_or_default();
    let Some(check) = loaded.checks.iter().find(|c| c.id == check_id) else {
        eprintln!(
            "error: no check {:?} in the loaded checks (see `driftscope checks`)",
            args.check
        );
        return super::EXIT_USAGE;
    };
    let Some(sop_id) = &check.sop else {
        println!("no SOP: check {} does not name one", check.id);
        return 1;
    };
    let library = SopLibrary::for_check_sources(&args.sources.sources().checks);
    let Some(sop) = library.get(sop_id) else {
        println!(
            "no SOP: check {} names {sop_id:?}, but no SOP file has that id",
            check.id
        );
        return 1;
    };
    let values = match &args.host {
        None => Placeholders::default(),
        Some(name) => {
            let found: Vec<_> = loaded
                .environments
                .iter()
                .filter(|e| args.env.as_deref().is_none_or(|want| e.name == want))
                .flat_map(|e| e.hosts.iter().map(move |h| (e, h)))
                .filter(|(_, h)| &h.name == name)
                .collect();
            let (env, host) = match found.as_slice() {
                [one] => *one,
                [] => {
                    eprintln!(
                        "error: no host {name:?}{} in the inventory",
                        args.env
                            .as_deref()
                            .map(|e| format!(" in environment {e:?}"))
                            .unwrap_or_default()
                    );
                    return super::EXIT_USAGE;
                }
                many => {
                    let envs: Vec<&str> = many.iter().map(|(e, _)| e.name.as_str()).collect();
                    eprintln!(
                        "error: host {name:?} is in several environments ({}); pass --env",
                        envs.join(", ")
                    );
                    return super::EXIT_USAGE;
                }
            };
            // A bare check id of a matrix check fills no matrix values (which row?).
            let key = if args.check.contains('[') {
                args.check.clone()
            } else {
                ExecKey::new(&check.id, &Default::default())
                    .as_str()
                    .to_string()
            };
            Placeholders::for_execution(check, &env.name, host, &key)
        }
    };
    print!("{}", sop.to_markdown(&values));
    0
}
