//! `run --format prometheus --output FILE` read back by a real parser: prometheus_client's
//! text-format parser (pip, in the venv scripts/test.sh creates under target/venvs/), so the
//! escaping of label values (`"`, `\`, newline in a check key) and the families are what
//! Prometheus and node_exporter's textfile collector will read.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const INV: &str = "[environment]\nname = \"prod\"\n[defaults]\ntransport = \"local\"\ntags = [\"linux\"]\n[[host]]\nname = \"web-01\"\n";

// The second matrix value holds a quote, a backslash and a newline: they end up in the
// `check` label.
const CHECKS: &str = r#"
category = "kernel"
[[check]]
id = "kernel.ostype"
title = "the kernel is {want}"
severity = "high"
for_each = { want = ["Linux", "Pl\"an\\9\nx"] }
probe = { sysctl = "kernel.ostype" }
expect = { value = "{want}" }
"#;

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venvs/daily-use/bin/python");
    p.exists().then_some(p)
}

/// Parse with prometheus_client; `[{name, labels, value}]` of every sample.
fn parse(python: &Path, text: &str) -> Vec<Value> {
    let script = "import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families\n\
                  out = []\nfor fam in text_string_to_metric_families(sys.stdin.read()):\n\
                  \x20   assert fam.type == 'gauge', fam\n\
                  \x20   for s in fam.samples:\n\
                  \x20       out.append({'family': fam.name, 'name': s.name, 'labels': s.labels, 'value': s.value})\n\
                  print(json.dumps(out))\n";
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "the parser rejected the output: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn value(samples: &[Value], name: &str, want: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s["name"] == name && want.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
}

#[test]
fn prometheus_output_parses_with_the_real_parser() {
    let Some(python) = python() else {
        eprintln!("prometheus_client not installed (scripts/test.sh installs it): skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("inv.toml"), INV).expect("inv");
    std::fs::create_dir(dir.path().join("checks")).expect("dir");
    std::fs::write(dir.path().join("checks/k.toml"), CHECKS).expect("checks");
    let textfile_dir = dir.path().join("textfile");
    std::fs::create_dir(&textfile_dir).expect("dir");
    let prom = textfile_dir.join("driftscope.prom");
    std::fs::write(&prom, "stale\n").expect("old file");
    Command::cargo_bin("driftscope")
        .expect("bin")
        .env("DRIFTSCOPE_CONFIG", "/dev/null")
        .args(["run", "--no-store", "--format", "prometheus", "-i"])
        .arg(dir.path().join("inv.toml"))
        .arg("-c")
        .arg(dir.path().join("checks"))
        .arg("--output")
        .arg(&prom)
        .assert()
        .code(1)
        .stdout("");
    // Renamed into place: only the report is left in the directory, readable by others.
    let names: Vec<String> = std::fs::read_dir(&textfile_dir)
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, ["driftscope.prom"]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&prom).expect("meta").permissions().mode() & 0o777,
        0o644
    );
    let text = std::fs::read_to_string(&prom).expect("read");
    let samples = parse(&python, &text);
    let weird = "kernel.ostype[want=Pl\"an\\9\nx]";
    let base = |check: &'static str| {
        vec![
            ("env", "prod"),
            ("host", "web-01"),
            ("check", check),
            ("category", "kernel"),
            ("severity", "high"),
        ]
    };
    assert_eq!(
        value(
            &samples,
            "driftscope_check_failing",
            &base("kernel.ostype[want=Linux]")
        ),
        Some(0.0)
    );
    let weird_labels: Vec<(&str, &str)> = vec![
        ("env", "prod"),
        ("host", "web-01"),
        ("check", weird),
        ("category", "kernel"),
        ("severity", "high"),
    ];
    assert_eq!(
        value(&samples, "driftscope_check_failing", &weird_labels),
        Some(1.0),
        "escaped label read back: {text}"
    );
    let mut with_outcome = weird_labels.clone();
    with_outcome.push(("outcome", "fail"));
    assert_eq!(
        value(&samples, "driftscope_check_outcome", &with_outcome),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "driftscope_host_up",
            &[("env", "prod"), ("host", "web-01")]
        ),
        Some(1.0)
    );
    assert!(
        value(
            &samples,
            "driftscope_host_probe_duration_seconds",
            &[("host", "web-01")]
        )
        .is_some_and(|v| v > 0.0)
    );
    assert_eq!(
        value(&samples, "driftscope_run_results", &[("outcome", "pass")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "driftscope_run_results", &[("outcome", "fail")]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "driftscope_run_results",
            &[("outcome", "timeout")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(&samples, "driftscope_run_incomplete", &[("env", "prod")]),
        Some(0.0)
    );
    let ts = value(
        &samples,
        "driftscope_run_timestamp_seconds",
        &[("env", "prod")],
    )
    .expect("timestamp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    assert!((now - ts).abs() < 120.0, "{ts} vs {now}");
    assert!(
        value(
            &samples,
            "driftscope_run_duration_seconds",
            &[("env", "prod")]
        )
        .is_some()
    );
}

#[test]
fn an_unreachable_host_is_down() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    // Port 1 on loopback refuses at once: the host is unreachable.
    std::fs::write(
        dir.path().join("inv.toml"),
        "[environment]\nname = \"prod\"\n[[host]]\nname = \"gone\"\naddress = \"127.0.0.1\"\nport = 1\ntags = [\"linux\"]\n",
    )
    .expect("inv");
    std::fs::create_dir(dir.path().join("checks")).expect("dir");
    std::fs::write(dir.path().join("checks/k.toml"), CHECKS).expect("checks");
    let out = Command::cargo_bin("driftscope")
        .expect("bin")
        .env("DRIFTSCOPE_CONFIG", "/dev/null")
        .args([
            "run",
            "--no-store",
            "--format",
            "prometheus",
            "--connect-timeout",
            "3",
            "-i",
        ])
        .arg(dir.path().join("inv.toml"))
        .arg("-c")
        .arg(dir.path().join("checks"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = parse(&python, &String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        value(&samples, "driftscope_host_up", &[("host", "gone")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "driftscope_run_results",
            &[("outcome", "unreachable")]
        ),
        Some(2.0)
    );
}
