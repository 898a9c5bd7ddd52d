//! The TUI's local probes run at a lower CPU priority than the TUI (nice 10, so its screen
//! keeps drawing while a thousand local "hosts" hold the cores), and what a probe starts
//! inherits it; the headless transport leaves the priority alone.

#[path = "support/local_probe.rs"]
mod local_probe;

use driftscope::transport::local::{BACKGROUND_PROBE_NICE, LocalTransport, NicedLocalTransport};
use driftscope::transport::{DEFAULT_OUTPUT_CAP, Limits, Transport};
use local_probe::local_host;
use std::time::{Duration, Instant};

/// The probe shell's nice value, and that of a process it starts.
const SCRIPT: &str = "cut -d' ' -f19 /proc/$$/stat\nsh -c 'cut -d\" \" -f19 /proc/$$/stat'\n";

fn nice_values(t: &dyn Transport) -> Vec<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let host = local_host();
    let out = rt
        .block_on(t.run_script(
            &host,
            SCRIPT,
            Limits {
                deadline: Instant::now() + Duration::from_secs(30),
                connect_timeout: Duration::from_secs(5),
                output_cap: DEFAULT_OUTPUT_CAP,
            },
            &|_| {},
        ))
        .expect("local transport");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().expect("a nice value"))
        .collect()
}

/// This test's own nice value (a CI runner may already run it niced).
fn own_nice() -> i32 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
    // fields from 3 on; nice is field 19
    after_comm
        .split(' ')
        .nth(16)
        .expect("field 19")
        .parse()
        .expect("nice")
}

#[test]
fn the_tuis_local_probes_and_their_children_run_niced() {
    let own = own_nice();
    // a process may always lower its children's priority, never raise it back
    let expected = own.max(BACKGROUND_PROBE_NICE);
    let got = nice_values(&NicedLocalTransport {
        nice: BACKGROUND_PROBE_NICE,
    });
    assert_eq!(got, vec![expected, expected], "shell, then its child");
}

#[test]
fn headless_local_probes_keep_the_callers_priority() {
    let own = own_nice();
    assert_eq!(nice_values(&LocalTransport), vec![own, own]);
}
