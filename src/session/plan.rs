//! What a run will probe: the hosts (with their execution counts, known up front for the
//! run's metadata) and the per-host plans, expanded one host at a time as the executor asks.

use crate::config::{Loaded, PlannedHosts, Selection};
use crate::model::{ExecKey, HostPlan};
use std::collections::HashSet;

/// Why a run could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The configuration rejected the selection (unknown host, check …).
    #[error("{0}")]
    Config(String),
    /// Nothing of the selection targets any selected host.
    #[error("nothing to run for this scope (no host has a matching check)")]
    Empty,
}

/// The hosts of a run and their plans.
pub struct Plan {
    /// `(host, executions)` in the order the plans come.
    pub hosts: Vec<(String, usize)>,
    pub execution_count: usize,
    /// The environment of the first host (for the run's scope).
    pub environment: Option<String>,
    plans: Box<dyn Iterator<Item = HostPlan> + Send>,
}

impl Plan {
    /// A plan over hosts already expanded.
    pub fn from_plans(plans: Vec<HostPlan>) -> Plan {
        Plan {
            hosts: plans
                .iter()
                .map(|p| (p.host.name.clone(), p.executions.len()))
                .collect(),
            execution_count: plans.iter().map(|p| p.executions.len()).sum(),
            environment: plans.first().map(|p| p.environment.clone()),
            plans: Box::new(plans.into_iter()),
        }
    }

    /// A plan that expands each host only when the executor gets to it.
    pub fn lazy(planned: PlannedHosts, environment: Option<String>) -> Plan {
        Plan {
            hosts: planned
                .host_counts()
                .map(|(h, n)| (h.to_string(), n))
                .collect(),
            execution_count: planned.execution_count,
            environment,
            plans: Box::new(planned),
        }
    }

    /// Keep only the `(host, key)` pairs of a re-check; hosts left with nothing are dropped.
    pub fn narrow(self, only: &[(String, ExecKey)]) -> Plan {
        let keep: HashSet<(&str, &str)> =
            only.iter().map(|(h, k)| (h.as_str(), k.as_str())).collect();
        let plans: Vec<HostPlan> = self
            .plans
            .filter_map(|mut p| {
                let host = p.host.name.clone();
                p.executions
                    .retain(|e| keep.contains(&(host.as_str(), e.key.as_str())));
                (!p.executions.is_empty()).then_some(p)
            })
            .collect();
        Plan::from_plans(plans)
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Call `f` with each host's plan as the executor takes it (the TUI learns the probe
    /// targets for its detail pane this way, without planning the fleet twice).
    pub fn inspect(self, f: impl FnMut(&HostPlan) + Send + 'static) -> Plan {
        Plan {
            plans: Box::new(self.plans.inspect(f)),
            ..self
        }
    }

    pub(crate) fn into_iter(self) -> Box<dyn Iterator<Item = HostPlan> + Send> {
        self.plans
    }
}

/// Turns a selection into a plan (the loaded configuration in production; tests plan
/// hand-made hosts through it).
pub trait Planner: Send + Sync {
    fn plan(&self, selection: &Selection) -> Result<Plan, PlanError>;
    fn checkset_hash(&self) -> String;
}

impl Planner for Loaded {
    fn plan(&self, selection: &Selection) -> Result<Plan, PlanError> {
        let planned = self
            .plan_lazily(selection)
            .map_err(|e| PlanError::Config(e.to_string()))?;
        let environment = selection
            .environment
            .clone()
            .or_else(|| self.environments.first().map(|e| e.name.clone()));
        Ok(Plan::lazy(planned, environment))
    }
    fn checkset_hash(&self) -> String {
        self.checkset_hash.clone()
    }
}
