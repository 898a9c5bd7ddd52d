//! port module (not implemented yet: every subject is an error).

use super::{Module, Observation, Probe};
use crate::model::{ModuleKind, Value};

pub struct Port;

impl Module for Port {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Port
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
            .map(|_| Observation::Error("module port not implemented".into()))
            .collect()
    }
}
