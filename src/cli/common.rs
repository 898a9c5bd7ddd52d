//! Flags shared by several subcommands (sources, selection, executor, SSH, store) and the
//! glue that turns them into library values.

use crate::config::settings::Layer;
use crate::config::{ConfigError, Loaded, Selection, Sources};
use crate::exec::{ExecOptions, TransportSet};
use crate::transport::local::{BACKGROUND_PROBE_NICE, LocalTransport, NicedLocalTransport};
use crate::transport::salt::SaltTransport;
use crate::transport::ssh::{SshOptions, SshTransport};
use clap::Args;
use clap_complete::ArgValueCandidates;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where inventory and checks come from.
#[derive(Debug, Clone, Args, Default)]
pub struct SourceArgs {
    /// Inventory file (one environment each): driftscope TOML, or Ansible INI / YAML
    /// (`hosts.ini`, `hosts.yml`); repeatable. Default: `inventories` of the config file,
    /// else the embedded inventory (this machine, transport local).
    #[arg(long = "inventory", short = 'i', value_name = "FILE")]
    pub inventories: Vec<PathBuf>,
    /// A command printing Ansible inventory JSON, e.g. 'ansible-inventory -i hosts.yml
    /// --list' (dynamic inventories too); run with `sh -c`. Name the environment with --env.
    #[arg(long = "inventory-cmd", value_name = "COMMAND")]
    pub inventory_cmds: Vec<String>,
    /// Directory of check files (*.toml), or one file; repeatable. Default: `checks` of the
    /// config file, else the embedded shipped checks.
    #[arg(long = "checks", short = 'c', value_name = "DIR")]
    pub checks: Vec<PathBuf>,
}

impl SourceArgs {
    /// What these flags set, for the settings resolution.
    pub fn layer(&self, layer: &mut Layer) {
        if !self.inventories.is_empty() {
            layer.inventories = Some(self.inventories.clone());
        }
        if !self.inventory_cmds.is_empty() {
            layer.inventory_cmds = Some(self.inventory_cmds.clone());
        }
        if !self.checks.is_empty() {
            layer.checks = Some(self.checks.clone());
        }
    }

    /// The sources after flags, environment and config file.
    pub fn sources(&self) -> Sources {
        let s = super::settings::current();
        Sources {
            inventories: s.inventories.value.clone(),
            inventory_cmds: s.inventory_cmds.value.clone(),
            checks: s.checks.value.clone(),
            env: s.env.value.clone(),
        }
    }

    /// Load and validate; print warnings to stderr. `Err` has been printed already.
    pub fn load(&self) -> Result<Loaded, i32> {
        match Loaded::load(&self.sources()) {
            Ok(l) => {
                for w in &l.warnings {
                    eprintln!("{w}");
                }
                Ok(l)
            }
            Err(e) => Err(config_error(&e)),
        }
    }
}

/// Print a configuration error; returns exit code 2.
pub fn config_error(e: &ConfigError) -> i32 {
    eprintln!("error: {e}");
    super::EXIT_USAGE
}

/// What to run.
#[derive(Debug, Clone, Args, Default)]
pub struct SelectArgs {
    /// Environment (inventory `[environment] name`, an Ansible inventory's file name);
    /// needed when several are loaded. Default: `env` of the config file.
    #[arg(long, short = 'e', value_name = "ENV", add = ArgValueCandidates::new(super::completions::env_names))]
    pub env: Option<String>,
    /// Only this host (inventory name); repeatable.
    #[arg(long = "host", short = 'H', value_name = "HOST", add = ArgValueCandidates::new(super::completions::host_names))]
    pub hosts: Vec<String>,
    /// Only checks of this category; repeatable.
    #[arg(long = "category", value_name = "CATEGORY", add = ArgValueCandidates::new(super::completions::category_names))]
    pub categories: Vec<String>,
    /// Only this check id; repeatable.
    #[arg(long = "check", value_name = "ID", add = ArgValueCandidates::new(super::completions::check_ids))]
    pub check_ids: Vec<String>,
}

impl SelectArgs {
    /// Load `sources` and resolve this selection over them: what `run`, `checks` and the TUI
    /// start from. `Err` is the exit code, the error already printed.
    pub fn load_selected(&self, sources: &SourceArgs) -> Result<(Loaded, Selection), i32> {
        let loaded = sources.load()?;
        let selection = self.selection(&loaded)?;
        Ok((loaded, selection))
    }

    /// The selection, with the environment resolved: when several environments are loaded
    /// and none is chosen that is a usage error (a run covers one environment).
    pub fn selection(&self, loaded: &Loaded) -> Result<Selection, i32> {
        let environment = match &super::settings::current().env.value {
            Some(e) => Some(e.clone()),
            None if loaded.environments.len() > 1 => {
                let names: Vec<&str> = loaded
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                eprintln!(
                    "error: {} environments are loaded ({}): choose one with --env",
                    names.len(),
                    names.join(", ")
                );
                return Err(super::EXIT_USAGE);
            }
            None => loaded.environments.first().map(|e| e.name.clone()),
        };
        Ok(Selection {
            environment,
            hosts: self.hosts.clone(),
            categories: self.categories.clone(),
            checks: self.check_ids.clone(),
        })
    }
}

/// Executor and SSH knobs.
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Hosts probed at the same time [default: 64].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub jobs: Option<u32>,
    /// Per-host deadline in seconds (connect + probe); a host over it gets `timeout`
    /// [default: 60].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub timeout: Option<f64>,
    /// SSH connect timeout in seconds [default: 10].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub connect_timeout: Option<f64>,
    /// An ssh_config file to use instead of ~/.ssh/config.
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Accept and remember host keys of hosts not yet in known_hosts (default: strict).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Leave SSH connections open this long after exit (e.g. 10m; at most 24h) so the next
    /// launch reuses them; `driftscope disconnect` closes them. Default: off.
    #[arg(long, value_name = "DURATION", value_parser = keep_connections)]
    pub keep_connections: Option<KeepConnections>,
}

/// A parsed `--keep-connections` value (`off` = None inside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeepConnections(pub Option<Duration>);

fn keep_connections(s: &str) -> Result<KeepConnections, String> {
    crate::transport::ssh::parse_keep_connections(s)
        .map(KeepConnections)
        .map_err(|e| e.to_string())
}

fn positive_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected a number of seconds, found {s:?}"))?;
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err(format!("expected seconds between 0 and 86400, found {s}"))
    }
}

impl ExecArgs {
    /// What these flags set, for the settings resolution.
    pub fn layer(&self, layer: &mut Layer) {
        layer.jobs = self.jobs;
        layer.timeout = self.timeout.map(Duration::from_secs_f64);
        layer.connect_timeout = self.connect_timeout.map(Duration::from_secs_f64);
        layer.ssh_config = self.ssh_config.clone();
        // `off` overrides a duration from the environment or the config file.
        layer.keep_connections = self.keep_connections.map(|k| k.0.unwrap_or(Duration::ZERO));
    }

    pub fn options(&self) -> ExecOptions {
        let s = super::settings::current();
        ExecOptions {
            jobs: s.jobs.value as usize,
            timeout: s.timeout.value,
            connect_timeout: s.connect_timeout.value,
            ..ExecOptions::default()
        }
    }

    /// The transports of one headless run.
    pub fn transports(&self) -> TransportSet {
        self.transports_with(false)
    }

    /// The transports of a long-lived front end (the TUI): every host keeps a spare SSH
    /// session waiting, so a re-check costs one round trip, and local probes run at nice
    /// [`BACKGROUND_PROBE_NICE`] (the screen's thread comes first on this machine's cores).
    pub fn session_transports(&self) -> TransportSet {
        self.transports_with(true)
    }

    fn transports_with(&self, spare_sessions: bool) -> TransportSet {
        let local: Arc<dyn crate::transport::Transport> = if spare_sessions {
            Arc::new(NicedLocalTransport {
                nice: BACKGROUND_PROBE_NICE,
            })
        } else {
            Arc::new(LocalTransport)
        };
        TransportSet {
            local,
            ssh: Some(Arc::new(SshTransport::new(SshOptions {
                config_file: super::settings::current().ssh_config.value.clone(),
                accept_new_host_keys: self.accept_new_host_keys,
                keep_connections: super::settings::current().keep_connections.value,
                spare_sessions,
                ..SshOptions::default()
            }))),
            salt: Some(Arc::new(SaltTransport::default())),
        }
    }
}

/// History database.
#[derive(Debug, Clone, Args, Default)]
pub struct StoreArgs {
    /// History database [default: $DRIFTSCOPE_DB, else `db` of the config file, else
    /// <XDG data dir>/driftscope/history.db].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Do not record this run in the history.
    #[arg(long)]
    pub no_store: bool,
}

impl StoreArgs {
    /// `None` = do not store.
    pub fn db_path(&self) -> Option<PathBuf> {
        (!self.no_store).then(|| super::settings::current().db.value.clone())
    }

    /// Did the user name the database (flag, variable or config file)? Then it must work.
    pub fn db_named(&self) -> bool {
        super::settings::current().db.origin != crate::config::settings::Origin::Default
    }
}
