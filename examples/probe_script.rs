//! Print the probe script driftscope sends to one host, from real check files and an
//! inventory (what `driftscope run` would plan), to read it or to run it by hand:
//!
//! `cargo run --example probe_script -- INVENTORY CHECKS_DIR [HOST] | sh -s`
//!
//! HOST defaults to the inventory's first host. With `--interpret` the example runs the
//! script itself with `/bin/sh -s` on this machine and prints each check's outcome and actual
//! value (one line per check), so two versions of the probe code can be compared on the
//! same host (see benches/fleet/README.md, "probe script cost").

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::probe::batch::ProbeScript;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("probe_script: {msg}");
    std::process::exit(2);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let interpret = args.iter().any(|a| a == "--interpret");
    args.retain(|a| a != "--interpret");
    if args.len() < 2 {
        fail("usage: probe_script [--interpret] INVENTORY CHECKS_DIR [HOST]");
    }
    let sources = Sources {
        inventories: vec![PathBuf::from(&args[0])],
        checks: vec![PathBuf::from(&args[1])],
        ..Sources::default()
    };
    let loaded = Loaded::load(&sources).unwrap_or_else(|e| fail(e));
    let plans = loaded
        .plan(&Selection::default())
        .unwrap_or_else(|e| fail(e));
    let plan = match args.get(2) {
        Some(name) => plans.into_iter().find(|p| &p.host.name == name),
        None => plans.into_iter().next(),
    }
    .unwrap_or_else(|| fail("no such host in the plan"));
    let script = ProbeScript::build(&plan.executions);
    if !interpret {
        print!("{}", script.text);
        return;
    }
    let mut child = Command::new("/bin/sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot start /bin/sh: {e}")));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.text.as_bytes())
            .unwrap_or_else(|e| fail(format!("writing the script: {e}")));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| fail(format!("running the script: {e}")));
    // PARSE_REPEAT=N: read the same output back N more times and print the mean time of
    // one read-back (driftscope's own CPU per host, without the transport).
    let repeat: u32 = std::env::var("PARSE_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if repeat > 0 {
        let started = std::time::Instant::now();
        for _ in 0..repeat {
            std::hint::black_box(script.interpret(&out.stdout, &plan.executions));
        }
        eprintln!(
            "read-back of {} bytes: {:.3} ms",
            out.stdout.len(),
            started.elapsed().as_secs_f64() * 1e3 / f64::from(repeat)
        );
    }
    for (exec, verdict) in plan
        .executions
        .iter()
        .zip(script.interpret(&out.stdout, &plan.executions))
    {
        println!(
            "{} {} {:?} {} {}",
            exec.check_id,
            exec.target.subject,
            verdict.outcome,
            verdict.actual,
            verdict.reason.unwrap_or_default()
        );
    }
}
