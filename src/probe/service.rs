//! service module (not implemented yet: every subject is an error).

use super::{Module, Observation, Probe};
use crate::model::{ModuleKind, Value};

pub struct Service;

impl Module for Service {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Service
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn fragment(&self, _probes: &[Probe]) -> String {
        String::new()
    }
    fn parse(&self, _output: &[u8], subjects: &[Probe]) -> Vec<Observation> {
        subjects
            .iter()
            .map(|_| Observation::Error("module service not implemented".into()))
            .collect()
    }
}
