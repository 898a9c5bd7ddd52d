//! directory module (not implemented yet: every subject is an error).

use super::{Module, Observation};
use crate::model::{ModuleKind, Value};

pub struct Directory;

impl Module for Directory {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Directory
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn fragment(&self, _subjects: &[&str]) -> String {
        String::new()
    }
    fn parse(&self, _output: &[u8], subjects: &[&str]) -> Vec<Observation> {
        subjects
            .iter()
            .map(|_| Observation::Error("module directory not implemented".into()))
            .collect()
    }
}
