//! One driftscope TOML inventory file: the environment, `[defaults]` applied to every host,
//! transports (ssh, local, salt with its master), with file:line:col errors.

use super::*;

fn this_hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

pub(super) fn load_inventory(file: &SourceFile) -> Result<(Environment, String), ConfigError> {
    let raw: RawInventory = file.parse()?;
    let env_name = raw.environment.name.get_ref().trim().to_string();
    if env_name.is_empty() {
        return Err(file.error(
            raw.environment.name.span(),
            "environment name is empty: expected a name like \"prod\"",
        ));
    }
    let d = raw.defaults;
    let salt_master = salt_master(file, d.salt.as_ref())?;
    let mut hosts: Vec<Host> = Vec::new();
    for rh in raw.host {
        let span = rh.span();
        let h = rh.into_inner();
        let mut name = h.name.get_ref().trim().to_string();
        if name == "{hostname}" {
            name = this_hostname();
        }
        if name.is_empty() {
            return Err(file.error(h.name.span(), "host name is empty: expected e.g. \"db-01\""));
        }
        if hosts.iter().any(|x| x.name == name) {
            return Err(file.error(
                h.name.span(),
                format!("duplicate host `{name}` in environment `{env_name}`: expected unique host names"),
            ));
        }
        let mut tags = d.tags.clone();
        for t in h.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let mut vars = d.vars.clone();
        vars.extend(h.vars);
        let transport = h.transport.or(d.transport).unwrap_or(TransportKind::Ssh);
        let address = match h.address {
            Some(a) if a == "{hostname}" => this_hostname(),
            Some(a) if !a.trim().is_empty() => a,
            Some(_) => {
                return Err(file.error(
                    span,
                    "host address is empty: expected a host name or IP, or leave it out",
                ));
            }
            None => name.clone(),
        };
        let become_root = h.become_root.or(d.become_root).unwrap_or(false);
        let salt = match (transport, h.minion) {
            (TransportKind::Salt, _) if become_root => {
                return Err(file.error(
                    span,
                    format!("host `{name}`: become = true does not apply to transport = \"salt\" (minions run their jobs as root): expected become = false or no become for this host"),
                ));
            }
            (TransportKind::Salt, minion) => {
                let minion = match minion {
                    Some(m) if m.get_ref().trim().is_empty() => {
                        return Err(file.error(
                            m.span(),
                            "minion id is empty: expected the minion's id, or leave it out (default: the host name)",
                        ));
                    }
                    Some(m)
                        if m.get_ref()
                            .contains(|c: char| c == ',' || c.is_whitespace()) =>
                    {
                        return Err(file.error(
                            m.span(),
                            format!("minion id {:?} has a comma or whitespace: expected a Salt minion id such as \"web-01.prod\"", m.get_ref()),
                        ));
                    }
                    Some(m) => m.into_inner(),
                    None if name.contains(|c: char| c == ',' || c.is_whitespace()) => {
                        return Err(file.error(
                            h.name.span(),
                            format!("host `{name}` cannot be a minion id (comma or whitespace): expected minion = \"…\""),
                        ));
                    }
                    None => name.clone(),
                };
                Some(SaltTarget {
                    minion,
                    master: salt_master.clone(),
                })
            }
            (_, Some(m)) => {
                return Err(file.error(
                    m.span(),
                    format!("host `{name}`: `minion` applies to transport = \"salt\" only, this host uses {}", transport.as_str()),
                ));
            }
            (_, None) => None,
        };
        hosts.push(Host {
            name,
            address,
            transport,
            user: h.user.or(d.user.clone()),
            port: h.port.or(d.port),
            become_root,
            tags,
            vars,
            salt,
        });
    }
    Ok((
        Environment {
            name: env_name,
            hosts,
        },
        file.name.clone(),
    ))
}

/// The master of an inventory's salt hosts: `[defaults] salt = { … }` over the defaults.
fn salt_master(
    file: &SourceFile,
    raw: Option<&Spanned<raw::RawSalt>>,
) -> Result<SaltMaster, ConfigError> {
    let mut master = SaltMaster::default();
    let Some(raw) = raw else {
        return Ok(master);
    };
    let span = raw.span();
    let raw = raw.get_ref();
    if let Some(dir) = &raw.config_dir {
        if dir.trim().is_empty() {
            return Err(file.error(
                span,
                "salt.config_dir is empty: expected the master's config directory, e.g. \"/etc/salt\"",
            ));
        }
        master.config_dir = dir.into();
    }
    if let Some(t) = raw.timeout {
        if t == 0 || t > 86_400 {
            return Err(file.error(
                span,
                format!("salt.timeout is {t}: expected seconds between 1 and 86400"),
            ));
        }
        master.timeout_secs = t;
    }
    if let Some(bin) = &raw.bin {
        if bin.trim().is_empty() {
            return Err(file.error(
                span,
                "salt.bin is empty: expected the salt executable, e.g. \"salt\" or a path",
            ));
        }
        master.bin = bin.clone();
    }
    Ok(master)
}
