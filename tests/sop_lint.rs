//! `driftscope checks --lint` and the SOP list of `driftscope checks`, as a user runs them:
//! the real binary over a temp check directory with a `sops/` directory next to it.

use assert_cmd::Command;
use std::path::Path;

const INV: &str = r#"
[environment]
name = "test"
[defaults]
transport = "local"
tags = ["linux"]
[[host]]
name = "a"
vars = { port = 22 }
"#;

const CHECKS: &str = r#"
category = "demo"

[[check]]
id = "demo.opt"
title = "sshd sets {option}"
severity = "high"
for_each = { option = ["X11Forwarding"] }
probe = { sshd_config = "{option}" }
expect = { value = "no" }
sop = "demo"

[[check]]
id = "demo.port"
title = "something listens on {vars.port}"
probe = { port = "{vars.port}" }
sop = "demo"

[[check]]
id = "demo.orphan"
title = "no SOP named"
severity = "low"
probe = { sysctl = "kernel.ostype" }

[[check]]
id = "demo.missing"
title = "a SOP that does not exist"
severity = "low"
probe = { sysctl = "kernel.ostype" }
sop = "nowhere"
"#;

fn sop(id: &str, reviewed: &str, meaning: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"t\"\nowner = \"o\"\nescalation = \"e\"\n\
         last_reviewed = {reviewed}\nrisk = \"r\"\n+++\n## Meaning\n{meaning}\n\n## Impact\ni\n\n\
         ## Diagnose\n```sh\nawk '{{print $1}}' /etc/passwd\n```\n\n## Remediate\n1. x\n\n\
         ## Verify\n`driftscope run --host {{host}} --check {{check_id}}`\n\n## Rollback\nr\n\n\
         ## Escalate\ne\n"
    )
}

fn fixture(demo_sop: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inv.toml"), INV).unwrap();
    std::fs::create_dir_all(dir.path().join("checks/sops")).unwrap();
    std::fs::write(dir.path().join("checks/demo.toml"), CHECKS).unwrap();
    std::fs::write(dir.path().join("checks/sops/demo.md"), demo_sop).unwrap();
    for (name, text) in extra {
        std::fs::write(dir.path().join("checks/sops").join(name), text).unwrap();
    }
    dir
}

fn driftscope(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .current_dir(dir)
        .args(["checks", "-i", "inv.toml", "-c", "checks"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lint_reports_every_problem_at_its_line_and_exits_2() {
    // {option} is a for_each name of demo.opt only; {vars.port} is used by demo.port only.
    let demo = sop("demo", "2099-01-01", "{option} on {host}, port {vars.port}");
    let broken = "+++\nid = \"broken\"\ntitle = \"t\"\ncolour = \"red\"\n+++\n";
    let dir = fixture(&demo, &[("broken.md", broken)]);
    let (code, _, err) = driftscope(dir.path(), &["--lint"]);
    assert_eq!(code, 2, "{err}");
    let expect = [
        // no severity written (loading would default it to medium)
        "checks/demo.toml:13: check `demo.port`: expected `severity = ",
        "checks/demo.toml:19: check `demo.orphan`: expected `sop = \"<id>\"`",
        "checks/demo.toml:25: check `demo.missing`: expected sops/nowhere.md to exist",
        "checks/sops/broken.md:4: front matter: unknown field `colour`",
        "checks/sops/demo.md: last_reviewed: expected a date no later than today",
        "checks/sops/demo.md:10: `{option}`: expected a placeholder every check naming this SOP can fill",
        "checks/sops/demo.md:10: `{vars.port}`: expected a placeholder",
    ];
    for e in expect {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert!(err.contains("found check `demo.port`"), "{err}");
    assert!(err.contains("found check `demo.opt`"), "{err}");
    assert!(err.contains("lint: 7 problems"), "{err}");
}

#[test]
fn a_clean_library_lints_clean_and_listing_names_checks_without_a_sop() {
    let dir = fixture(
        &sop("demo", "2026-01-01", "on {host} ({key}), `{{literal}}`"),
        &[],
    );
    let (code, out, err) = driftscope(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("checks without a SOP (2):"), "{out}");
    assert!(out.contains("demo.orphan (names none)"), "{out}");
    assert!(
        out.contains("demo.missing (sops/nowhere.md missing)"),
        "{out}"
    );
    // Fix the two checks: then lint passes.
    let fixed = CHECKS
        .replace(
            "title = \"something listens on {vars.port}\"",
            "title = \"something listens on {vars.port}\"\nseverity = \"low\"",
        )
        .replace(
            "title = \"no SOP named\"",
            "title = \"no SOP named\"\nsop = \"demo\"",
        )
        .replace("sop = \"nowhere\"", "sop = \"demo\"");
    std::fs::write(dir.path().join("checks/demo.toml"), fixed).unwrap();
    let (code, out, err) = driftscope(dir.path(), &["--lint"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("lint: 4 checks, 1 SOPs: no problems"), "{out}");
}

#[test]
fn the_shipped_library_lints_clean() {
    let out = Command::cargo_bin("driftscope")
        .unwrap()
        .args(["checks", "--lint"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
