//! driftscope: agentless configuration drift detection with history.
//!
//! Flow (one direction): `config` → plan (`model::HostPlan`) → `probe::batch` script per host
//! → `transport` → parse/evaluate → `exec::Event` stream → `store` / `report` / `tui`.
#![deny(clippy::unwrap_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod cli;
pub mod config;
pub mod exec;
pub mod model;
pub mod probe;
pub mod report;
pub mod session;
pub mod sop;
pub mod store;
pub mod transport;
pub mod tui;
