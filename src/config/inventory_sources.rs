//! Which inventories a run loads and in which format: driftscope TOML files, Ansible INI /
//! YAML / `--list` JSON files (by extension), and `--inventory-cmd` commands. Names each
//! environment (the TOML `[environment] name`; for Ansible `--env` when it is the only
//! inventory, else the file name), rejects two sources of one environment, and applies the
//! implicit `linux` tag (a TOML host without any tags; an Ansible host unless the inventory
//! has a `linux` group) that the shipped checks target.

use super::ansible::{self, InventoryFormat};
use super::{ConfigError, EMBEDDED_INVENTORY, SourceFile, Sources, load_inventory};
use crate::model::Environment;

/// The environments of `sources` and the warnings loading them gave.
pub fn load_environments(
    sources: &Sources,
) -> Result<(Vec<Environment>, Vec<String>), ConfigError> {
    let mut loaded: Vec<(Environment, String)> = Vec::new();
    let mut warnings = Vec::new();
    let source_count = sources.inventories.len() + sources.inventory_cmds.len();
    // `--env` names an Ansible inventory when it is the only inventory loaded.
    let single_name = (source_count == 1)
        .then_some(sources.env.as_deref())
        .flatten();
    if source_count == 0 {
        let file = SourceFile {
            name: EMBEDDED_INVENTORY.0.to_string(),
            text: EMBEDDED_INVENTORY.1.to_string(),
        };
        loaded.push(load_inventory(&file)?);
    }
    for path in &sources.inventories {
        let file = SourceFile::read(path)?;
        match InventoryFormat::of(path) {
            InventoryFormat::Toml => {
                let (mut env, origin) = load_inventory(&file)?;
                for h in env.hosts.iter_mut().filter(|h| h.tags.is_empty()) {
                    h.tags.push("linux".to_string());
                }
                loaded.push((env, origin));
            }
            format => {
                let inv = ansible::parse(format, &file.name, &file.text)?;
                let name = single_name
                    .map(str::to_string)
                    .unwrap_or_else(|| ansible::env_name_from_path(path));
                let (env, w) = inv.into_environment(&name)?;
                warnings.extend(w);
                loaded.push((env, file.name.clone()));
            }
        }
    }
    for cmd in &sources.inventory_cmds {
        let inv = ansible::run_inventory_cmd(cmd)?;
        let Some(name) = sources.env.clone() else {
            return Err(ConfigError {
                file: inv.source.clone(),
                line: 0,
                col: 0,
                message: "the command's output names no environment: choose its name with --env (or `env` in the config file)".into(),
            });
        };
        let source = inv.source.clone();
        let (env, w) = inv.into_environment(&name)?;
        warnings.extend(w);
        loaded.push((env, source));
    }
    let mut environments: Vec<(Environment, String)> = Vec::new();
    for (env, origin) in loaded {
        if let Some((_, prev)) = environments.iter().find(|(e, _)| e.name == env.name) {
            return Err(ConfigError {
                file: origin,
                line: 0,
                col: 0,
                message: format!(
                    "environment `{}` is already defined by {prev}: expected one inventory per environment (an Ansible inventory is named after its file, or by --env when it is the only one)",
                    env.name
                ),
            });
        }
        environments.push((env, origin));
    }
    Ok((environments.into_iter().map(|(e, _)| e).collect(), warnings))
}

/// When checks target `linux` and no loaded host carries it: how to tag the hosts (the
/// newcomer's "nothing to run"). Empty otherwise.
pub fn missing_tag_hint(loaded: &super::Loaded) -> String {
    let wanted = loaded
        .checks
        .iter()
        .any(|c| c.target_tags.iter().any(|t| t == "linux"));
    let tagged = loaded
        .environments
        .iter()
        .any(|e| e.hosts.iter().any(|h| h.has_tag("linux")));
    if wanted && !tagged {
        "\nhint: the shipped checks target hosts tagged `linux` and no host has that tag: add `tags = [\"linux\"]` to the inventory's [defaults] (TOML; a host without any tags gets it), or put the hosts in a group named `linux` (Ansible)".to_string()
    } else {
        String::new()
    }
}
