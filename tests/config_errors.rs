//! Every class of configuration error a user can make, with the message they see:
//! `file:line:col: what was expected, what was found`. Never a panic.

use driftscope::config::{Loaded, Selection, Sources};
use std::path::Path;

const INVENTORY: &str = r#"
[environment]
name = "test"
[defaults]
transport = "local"
[[host]]
name = "a"
tags = ["linux"]
vars = { ports = [22, 80], root = "/srv" }
[[host]]
name = "b"
tags = ["linux", "db"]
"#;

/// Load `checks` (file name → text) against `inventory`; the error or warnings as text
/// with the temp dir replaced by `$DIR`.
fn load(inventory: &str, checks: &[(&str, &str)]) -> Result<Loaded, String> {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(&inv, inventory).unwrap();
    let cdir = dir.path().join("checks");
    std::fs::create_dir(&cdir).unwrap();
    for (name, text) in checks {
        std::fs::write(cdir.join(name), text).unwrap();
    }
    Loaded::load(&Sources {
        inventories: vec![inv],
        checks: vec![cdir],
        ..Sources::default()
    })
    .map_err(|e| redact(&e.to_string(), dir.path()))
}

fn redact(s: &str, dir: &Path) -> String {
    s.replace(&format!("{}/", dir.display()), "$DIR/")
}

fn err(checks: &str) -> String {
    load(INVENTORY, &[("c.toml", checks)]).unwrap_err()
}

#[test]
fn malformed_toml() {
    let e = err("category = \"x\"\n[[check]\nid = \"a\"\n");
    assert_eq!(
        e,
        "$DIR/checks/c.toml:2:9: unclosed array table, expected `]`"
    );
}

#[test]
fn unknown_field_in_check() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nseverty = \"high\"\n",
    );
    assert!(
        e.starts_with("$DIR/checks/c.toml:6:1: unknown field `severty`, expected one of"),
        "{e}"
    );
    assert!(e.contains("`severity`"), "{e}");
}

#[test]
fn unknown_field_in_inventory_host() {
    let inv = "[environment]\nname = \"e\"\n[[host]]\nname = \"a\"\nadress = \"10.0.0.1\"\n";
    let e = load(inv, &[("c.toml", "category = \"x\"\n")]).unwrap_err();
    assert!(
        e.starts_with("$DIR/inv.toml:5:1: unknown field `adress`, expected one of"),
        "{e}"
    );
}

#[test]
fn missing_required_field() {
    let e = err("category = \"x\"\n[[check]]\nid = \"a\"\nprobe = { sysctl = \"a.b\" }\n");
    assert!(
        e.starts_with("$DIR/checks/c.toml:2:1: missing field `title`"),
        "{e}"
    );
}

#[test]
fn unknown_module() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctll = \"a.b\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:5:9: check `a`: unknown module `sysctll`: expected one of package, file, directory, service, process, port, sysctl, user, group, mount, kernel_module, command, sshd_config, http, dns, addr, interface, os, x509"
    );
}

#[test]
fn unknown_expect_attribute() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nexpect = { valeu = \"1\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:6:20: check `a`: unknown attribute `valeu` for module sysctl: expected one of value, exists"
    );
}

#[test]
fn bad_matcher() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nexpect = { value = { matches = \"(\" } }\n",
    );
    assert!(
        e.starts_with(
            "$DIR/checks/c.toml:6:20: check `a`: bad matcher for `value`: invalid regex \"(\""
        ),
        "{e}"
    );
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nexpect = { value = { equals = 1 } }\n",
    );
    assert!(
        e.contains("unknown matcher `equals`; expected one of matches, in"),
        "{e}"
    );
}

#[test]
fn bad_subject_after_templating() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nfor_each = { k = [\"/etc/x\"] }\nprobe = { sysctl = \"{k}\" }\n",
    );
    assert!(
        e.starts_with(
            "$DIR/checks/c.toml:6:20: check `a`: bad sysctl subject \"/etc/x\": not a sysctl key"
        ),
        "{e}"
    );
}

#[test]
fn duplicate_check_id_names_both_locations() {
    let a =
        "category = \"x\"\n[[check]]\nid = \"dup\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\n";
    let b = "category = \"y\"\n\n[[check]]\nid = \"dup\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\n";
    let e = load(INVENTORY, &[("a.toml", a), ("b.toml", b)]).unwrap_err();
    assert_eq!(
        e,
        "$DIR/checks/b.toml:3:1: duplicate check id `dup`: first defined at $DIR/checks/a.toml:2:1; expected every id to be unique"
    );
}

#[test]
fn undefined_matrix_placeholder() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"{optoin} is set\"\nfor_each = { option = [\"x\"] }\nprobe = { sysctl = \"a.b\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:4:9: check `a`: `{optoin}` is not defined: expected a for_each name (option), `{vars.KEY}`, `{host}` or `{env}`"
    );
}

#[test]
fn undefined_inventory_var_names_the_host() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { file = \"{vars.root}/etc/app.conf\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:5:18: check `a`: `{vars.root}` is not defined for host b (environment test): expected `root` in the host's vars or in [defaults] vars; found no vars"
    );
}

#[test]
fn for_each_of_the_wrong_type() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nfor_each = { k = 3 }\nprobe = { sysctl = \"{k}\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:5:18: check `a`: for_each `k`: expected a list of values or \"{vars.KEY}\" naming a list var, found the number 3"
    );
}

#[test]
fn unknown_target_tag_is_a_warning_not_an_error() {
    let l = load(
        INVENTORY,
        &[(
            "c.toml",
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\ntargets = { tags = [\"web\"] }\nprobe = { sysctl = \"a.b\" }\n",
        )],
    )
    .unwrap();
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0].ends_with(
            "/checks/c.toml:5:20: warning: no host has the target tag web; check `a` will not run"
        ),
        "{}",
        l.warnings[0]
    );
}

#[test]
fn duplicate_host_and_empty_checks_dir() {
    let inv = "[environment]\nname = \"e\"\n[[host]]\nname = \"a\"\n[[host]]\nname = \"a\"\n";
    let e = load(inv, &[("c.toml", "category = \"x\"\n")]).unwrap_err();
    assert_eq!(
        e,
        "$DIR/inv.toml:6:8: duplicate host `a` in environment `e`: expected unique host names"
    );
    let e = load(INVENTORY, &[]).unwrap_err();
    assert_eq!(
        e,
        "$DIR/checks: no check files: expected at least one *.toml file in this directory"
    );
}

#[test]
fn selection_errors_say_what_exists() {
    let l = load(
        INVENTORY,
        &[(
            "c.toml",
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\n",
        )],
    )
    .unwrap();
    let e = l
        .plan(&Selection {
            hosts: vec!["zz".into()],
            ..Selection::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "--host: unknown host `zz`: expected one of a, b"
    );
    let e = l
        .plan(&Selection {
            categories: vec!["nope".into()],
            ..Selection::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "--category: unknown category `nope`: expected one of x"
    );
}

#[test]
fn garbage_input_never_panics() {
    for text in [
        "",
        "\u{0}\u{1}",
        "category = 3",
        "[[check]]",
        "category = \"x\"\ncheck = 5",
        "category = \"x\"\n[[check]]\nid = \"\"\ntitle = \"\"\nprobe = {}\n",
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = [1] }\n",
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a\", file = \"b\" }\n",
    ] {
        assert!(
            load(INVENTORY, &[("c.toml", text)]).is_err(),
            "{text:?} loaded"
        );
    }
}

#[test]
fn unknown_enum_values_list_the_choices() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nseverity = \"urgent\"\nprobe = { sysctl = \"a.b\" }\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:5:12: unknown variant `urgent`, expected one of `critical`, `high`, `medium`, `low`, `info`"
    );
    let inv = "[environment]\nname = \"e\"\n[defaults]\ntransport = \"telnet\"\n";
    let e = load(inv, &[("c.toml", "category = \"x\"\n")]).unwrap_err();
    assert_eq!(
        e,
        "$DIR/inv.toml:4:13: unknown variant `telnet`, expected one of `local`, `ssh`, `salt`"
    );
}

#[test]
fn module_specific_expectations_are_checked() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { file = \"/etc/app.conf\" }\nexpect = { contains = [\"^ok$\", \"(\"] }\n",
    );
    assert!(
        e.starts_with("$DIR/checks/c.toml:6:23: check `a`: bad expectation for `contains`: "),
        "{e}"
    );
}

#[test]
fn version_syntax_it_does_not_know_is_a_config_error_with_its_location() {
    for (spec, want) in [
        (">1.0.0 <2.0.0", "\"1.0.0 <2.0.0\" is not a version"),
        ("^1.2", "\"^1.2\" is not a version"),
        (">= 1 ||", "has no version"),
    ] {
        let e = err(&format!(
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = {{ package = \"bash\" }}\nexpect = {{ version = {{ version = \"{spec}\" }} }}\n"
        ));
        assert!(
            e.starts_with("$DIR/checks/c.toml:6:22: check `a`: bad matcher for `version`"),
            "{e}"
        );
        assert!(e.contains(want), "{spec}: {e}");
    }
}

#[test]
fn brace_escapes_are_checked_once_rendered() {
    // `{{` makes the matcher a template: its regex is checked when rendered, still at its
    // location (a literal `{` alone is not a valid regex).
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\nexpect = { value = { matches = \"{{(\" } }\n",
    );
    assert!(e.starts_with("$DIR/checks/c.toml:6:20:"), "{e}");
    assert!(e.contains("invalid regex \"{(\""), "{e}");
}

#[test]
fn new_module_subjects_and_the_os_module_without_expect() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { os = \"release\" }\n",
    );
    assert!(
        e.starts_with(
            "$DIR/checks/c.toml:2:1: check `a`: module os has no default: expected `expect = { … }`"
        ),
        "{e}"
    );
    for (probe, want) in [
        (
            "{ os = \"kernel\" }\nexpect = { id = \"debian\" }",
            "the os module's subject is \"release\"",
        ),
        ("{ x509 = \"cert.pem\" }", "not an absolute path"),
        ("{ http = \"example.org\" }", "not an http(s) URL"),
        ("{ addr = \"db\" }", "expected host:port"),
        ("{ dns = \"a b\" }", "not a host name"),
        ("{ interface = \"../x\" }", "not an interface name"),
    ] {
        let e = err(&format!(
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = {probe}\n"
        ));
        assert!(e.contains(want), "{probe}: {e}");
    }
}

#[test]
fn timeout_is_for_command_checks_and_positive() {
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { sysctl = \"a.b\" }\ntimeout = 5\n",
    );
    assert_eq!(
        e,
        "$DIR/checks/c.toml:6:11: check `a`: `timeout` applies to command checks only, this one probes sysctl"
    );
    let e = err(
        "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { command = \"true\" }\ntimeout = 0\n",
    );
    assert!(
        e.contains("c.toml:6:11: check `a`: timeout 0: expected seconds between 0 and 86400"),
        "{e}"
    );
    let ok = load(
        INVENTORY,
        &[(
            "c.toml",
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = { command = \"true\" }\ntimeout = 2.5\n",
        )],
    );
    let plans = ok
        .expect("loads")
        .plan(&Selection::default())
        .expect("plans");
    assert_eq!(
        plans[0].executions[0].timeout,
        Some(std::time::Duration::from_millis(2500))
    );
}

#[test]
fn os_family_names_os_release_ids() {
    let check = |families: &str| {
        format!(
            "category = \"x\"\n[[check]]\nid = \"a\"\ntitle = \"t\"\nprobe = {{ sysctl = \"a.b\" }}\nos_family = {families}\n"
        )
    };
    let e = err(&check("[\"RHEL\"]"));
    assert_eq!(
        e,
        "$DIR/checks/c.toml:6:13: check `a`: os_family: expected os-release IDs (lowercase letters, digits, `._-`) like \"debian\" or \"rhel\", found \"RHEL\""
    );
    let e = err(&check("[]"));
    assert!(e.contains("os_family is empty"), "{e}");
    let e = err(&check("\"debian\""));
    assert!(
        e.starts_with("$DIR/checks/c.toml:6:13: invalid type"),
        "{e}"
    );
    let loaded = load(INVENTORY, &[("c.toml", &check("[\"debian\", \"rhel\"]"))]).unwrap();
    assert_eq!(loaded.checks[0].os_family, ["debian", "rhel"]);
}
