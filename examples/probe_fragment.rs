//! Print one module's probe fragment, for capturing real outputs as test fixtures:
//! `cargo run --example probe_fragment -- file '/etc/passwd#mode,contains' /tmp | sh`
//! Each subject may carry `#attr,attr` naming the attributes a check would expect.
//! A module that wants files read whole gets its shared read after a `@@READS` line, the
//! capture form `Module::parse` takes.

use driftscope::model::ModuleKind;
use driftscope::probe::reads::{self, CAPTURE_SEPARATOR};
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
    let m = module(kind);
    println!("{{\n{}\n}} 2>&1 </dev/null", m.fragment(&probes));
    let wanted = m.reads(&probes);
    if !wanted.is_empty() {
        println!("echo '{CAPTURE_SEPARATOR}'\n{}", reads::fragment(&wanted));
    }
}
