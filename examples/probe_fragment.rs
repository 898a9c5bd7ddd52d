//! Print one module's probe fragment, for capturing real outputs as test fixtures:
//! `cargo run --example probe_fragment -- file '/etc/passwd#mode,contains' /tmp | sh`
//! Each subject may carry `#attr,attr` naming the attributes a check would expect.

use driftscope::model::ModuleKind;
use driftscope::probe::{Probe, module};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(kind) = args.next().and_then(|k| ModuleKind::from_name(&k)) else {
        eprintln!("usage: probe_fragment MODULE SUBJECT[#attr,attr]...");
        std::process::exit(2);
    };
    let probes: Vec<Probe> = args
        .map(|a| match a.rsplit_once('#') {
            Some((s, w)) => Probe::new(s, &w.split(',').collect::<Vec<_>>()),
            None => Probe::new(&a, &[]),
        })
        .collect();
    println!("{{\n{}\n}} 2>&1 </dev/null", module(kind).fragment(&probes));
}
