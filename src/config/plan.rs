//! Planning: the selection (environment, hosts, categories, checks) validated against what
//! was loaded, and each host's executions expanded only when the run asks for that host.

use super::*;

impl Loaded {
    /// Expand checks into per-host executions for the selection. Hosts with nothing to
    /// run are left out.
    pub fn plan(&self, selection: &Selection) -> Result<Vec<HostPlan>, ConfigError> {
        Ok(self.plan_lazily(selection)?.collect())
    }

    /// Validate the selection and count executions now; expand each host when iterated.
    pub fn plan_lazily(&self, selection: &Selection) -> Result<PlannedHosts, ConfigError> {
        let envs: Vec<&Environment> = match &selection.environment {
            Some(name) => match self.environments.iter().find(|e| &e.name == name) {
                Some(e) => vec![e],
                None => {
                    return Err(ConfigError::whole(
                        "--env",
                        format!(
                            "unknown environment `{name}`: expected one of {}",
                            self.environments
                                .iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            },
            None => self.environments.iter().collect(),
        };
        for h in &selection.hosts {
            if !envs.iter().any(|e| e.hosts.iter().any(|x| &x.name == h)) {
                return Err(ConfigError::whole(
                    "--host",
                    format!(
                        "unknown host `{h}`: expected one of {}",
                        list_some(
                            envs.iter()
                                .flat_map(|e| e.hosts.iter().map(|x| x.name.as_str()))
                        )
                    ),
                ));
            }
        }
        for c in &selection.categories {
            if !self.checks.iter().any(|x| &x.category == c) {
                let cats: BTreeSet<&str> =
                    self.checks.iter().map(|x| x.category.as_str()).collect();
                return Err(ConfigError::whole(
                    "--category",
                    format!(
                        "unknown category `{c}`: expected one of {}",
                        list_some(cats.into_iter())
                    ),
                ));
            }
        }
        for c in &selection.checks {
            if !self.checks.iter().any(|x| &x.id == c) {
                return Err(ConfigError::whole(
                    "--check",
                    format!(
                        "unknown check id `{c}`: expected one of {}",
                        list_some(self.checks.iter().map(|x| x.id.as_str()))
                    ),
                ));
            }
        }
        let chosen: Vec<Check> = self
            .checks
            .iter()
            .filter(|c| {
                selection.categories.is_empty() || selection.categories.contains(&c.category)
            })
            .filter(|c| selection.checks.is_empty() || selection.checks.contains(&c.id))
            .cloned()
            .collect();
        let mut hosts = Vec::new();
        let mut execution_count = 0;
        for env in envs {
            for host in &env.hosts {
                if !selection.hosts.is_empty() && !selection.hosts.contains(&host.name) {
                    continue;
                }
                // Count (and validate) without keeping the executions.
                let mut n = 0;
                for check in chosen.iter().filter(|c| targets(c, host)) {
                    n += expand(check, &env.name, host)
                        .map_err(|e| expand_error(check, e))?
                        .len();
                }
                if n > 0 {
                    execution_count += n;
                    hosts.push((env.name.clone(), host.clone(), n));
                }
            }
        }
        Ok(PlannedHosts {
            checks: chosen,
            hosts: hosts.into(),
            execution_count,
        })
    }
}

fn expand_error(check: &Check, e: ExpandError) -> ConfigError {
    ConfigError {
        file: check.origin.clone(),
        line: 0,
        col: 0,
        message: format!("check `{}`: {}", check.id, e.message),
    }
}

/// A validated plan that expands each host's executions only when asked for the next host,
/// so a run over a large fleet holds the executions of the hosts in flight, not all of them.
/// Iterating yields the same `HostPlan`s, in the same order, as [`Loaded::plan`].
#[derive(Debug, Clone)]
pub struct PlannedHosts {
    checks: Vec<Check>,
    /// (environment, host, execution count), hosts with nothing to run left out.
    hosts: std::collections::VecDeque<(String, Host, usize)>,
    /// Executions over all hosts.
    pub execution_count: usize,
}

impl PlannedHosts {
    /// `(host name, executions)` of every host still to come, in order.
    pub fn host_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.hosts.iter().map(|(_, h, n)| (h.name.as_str(), *n))
    }
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }
}

impl Iterator for PlannedHosts {
    type Item = HostPlan;
    fn next(&mut self) -> Option<HostPlan> {
        let (environment, host, n) = self.hosts.pop_front()?;
        let mut executions = Vec::with_capacity(n);
        for check in self.checks.iter().filter(|c| targets(c, &host)) {
            // Validated when the plan was made; an error here cannot happen, and if it
            // did, the check is left out rather than the run aborted.
            if let Ok(ex) = expand(check, &environment, &host) {
                executions.extend(ex);
            }
        }
        Some(HostPlan {
            environment,
            host,
            executions,
        })
    }
}
