//! The read-only contract, proven: hostile strings in every place user text reaches the probe
//! script — check subjects, matcher strings, host vars, `for_each` values, the host name — go
//! through the real config loader and planner into the real batched script, which runs under
//! `/bin/sh` with a `PATH` of recording stand-ins: one for EVERY program name on this machine,
//! each logging its argv (NUL-separated, byte-exact) and exiting. Asserted per case:
//! - only programs on the allow-list of the script's modules (`Module::programs`) and of the
//!   script itself (`batch::PROGRAMS`) ran;
//! - every module's fragment ran (each module has a check here, the six of issue 11 included);
//! - every subject arrived as one argument, byte for byte, where its module passes it on;
//! - the canary the strings try to create (`>canary`, `$(touch canary)`, …) does not exist.

use driftscope::config::{Loaded, Selection, Sources};
use driftscope::model::{HostPlan, ModuleKind};
use driftscope::probe::batch::{PROGRAMS, ProbeScript};
use driftscope::probe::{Programs, module};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The directories the probe prologue puts on PATH; the stand-ins shadow every name in them.
const PROBE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Pieces of hostile text; `@C@` becomes the canary's absolute path.
const PIECES: &[&str] = &[
    "'",
    "\"",
    "\\",
    "$(",
    ")",
    "`",
    ";",
    "&&",
    "||",
    "|",
    "&",
    "\n",
    "\r",
    "\t",
    " ",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    "~",
    "#",
    "!",
    "$HOME",
    "${IFS}",
    "$1",
    "$@",
    "-",
    "--",
    "-rf",
    "%s",
    "%n",
    "é",
    "日本",
    "🦀",
    "\u{202e}",
    "\u{7f}",
    "x",
    "..",
    "/",
    "=",
    ":",
    ",",
    "$(>@C@)",
    "`>@C@`",
    ";>@C@;",
    "' >@C@ '",
    "\" >@C@ \"",
    "\n>@C@\n",
    "&& >@C@",
    "$(/bin/touch @C@)",
    "`/bin/touch @C@`",
    "'; /bin/touch @C@; '",
    "\"; /bin/touch @C@; \"",
    "$(touch @C@)",
    "'$(touch @C@)'",
    "*/../*",
    "@@END",
    "@@DS:x:E:0:0",
];

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(prop::sample::select(PIECES), 1..12).prop_map(|v| v.concat()),
        2 => "\\PC{1,24}",
        1 => prop::collection::vec(prop::sample::select(PIECES), 1..4)
            .prop_map(|v| v.concat().repeat(100)),
    ]
    // A `{name}` would be a placeholder (a config error, tested elsewhere): keep braces
    // hostile but never a placeholder.
    .prop_map(|s| s.replace('{', "{ ").replace('}', " }").replace('\0', ""))
}

/// What is left of `s` as a subject of module `m` (modules with a strict subject syntax —
/// units, keys, package and account names — reject the rest when the checks load; the rest
/// still goes to the script): greedily keep each character the module's own validation
/// accepts after what was kept.
fn shaped(m: ModuleKind, s: &str) -> String {
    shaped_around(m, "x", "", s)
}

/// `shaped` for subjects with a fixed frame: `prefix` + kept characters + `suffix` (a URL's
/// scheme, an address's `:port`), each character kept when the whole still validates.
fn shaped_around(m: ModuleKind, prefix: &str, suffix: &str, s: &str) -> String {
    let mut out = String::from(prefix);
    // Without the spaces `hostile` puts inside braces, `{name}` would be a placeholder.
    for c in s.chars().filter(|c| !"{}".contains(*c)) {
        out.push(c);
        if module(m)
            .validate_subject(&format!("{out}{suffix}"))
            .is_err()
        {
            out.pop();
        }
    }
    out + suffix
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn canary(&self) -> std::path::PathBuf {
        self.dir.path().join("canary")
    }
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Write the inventory and the checks, load and plan them with the real config code.
fn plan(case: &Case, host: &str, var: &str, value: &str, matcher: &str) -> Vec<HostPlan> {
    let d = case.dir.path();
    let c = case.canary().display().to_string();
    let [host, var, value, matcher] = [host, var, value, matcher].map(|s| s.replace("@C@", &c));
    std::fs::write(
        d.join("inv.toml"),
        format!(
            "[environment]\nname = \"inj\"\n[defaults]\ntransport = \"local\"\n[[host]]\nname = {}\nvars = {{ v = {} }}\n",
            toml_str(&host),
            toml_str(&var)
        ),
    )
    .unwrap();
    let subject = |m: ModuleKind| toml_str(&shaped(m, &value));
    let m = toml_str(&matcher);
    let re = toml_str(
        &regex::escape(&matcher)
            .replace('{', "{ ")
            .replace('}', " }"),
    );
    let v = toml_str(&value);
    let checks = format!(
        r#"category = "inj"
[[check]]
id = "f"
title = "file {{p}}"
for_each = {{ p = [{v}] }}
probe = {{ file = "/tmp/ds-inj/{{p}}/{{vars.v}}/{{host}}" }}
expect = {{ owner = {m}, contains = [{re}], not_contains = [{re}], sha256 = {m} }}
[[check]]
id = "d"
title = "dir"
for_each = {{ p = [{v}] }}
probe = {{ directory = "/{{p}}" }}
expect = {{ owner = {m} }}
[[check]]
id = "svc"
title = "svc"
probe = {{ service = {svc} }}
expect = {{ active = true }}
[[check]]
id = "sysctl"
title = "sysctl"
probe = {{ sysctl = {sysctl} }}
expect = {{ value = {m} }}
[[check]]
id = "sshd"
title = "sshd"
probe = {{ sshd_config = {sshd} }}
expect = {{ value = {m} }}
[[check]]
id = "proc"
title = "proc"
probe = {{ process = {proc} }}
expect = {{ running = true, users = {{ contains = [{m}] }} }}
[[check]]
id = "proc-args"
title = "proc args"
probe = {{ process = {{ args = {re} }} }}
[[check]]
id = "mount"
title = "mount"
for_each = {{ p = [{v}] }}
probe = {{ mount = "/{{p}}{{host}}" }}
expect = {{ fstype = {m} }}
[[check]]
id = "port"
title = "port"
probe = {{ port = "tcp/22" }}
expect = {{ addresses = {{ contains = [{m}] }} }}
[[check]]
id = "user"
title = "user"
probe = {{ user = {a} }}
expect = {{ shell = {m}, groups = {{ contains = [{m}] }} }}
[[check]]
id = "group"
title = "group"
probe = {{ group = {a} }}
expect = {{ members = {{ contains = [{m}] }} }}
[[check]]
id = "pkg"
title = "pkg"
probe = {{ package = {pk} }}
expect = {{ version = {m} }}
[[check]]
id = "kmod"
title = "kmod"
probe = {{ kernel_module = {km} }}
[[check]]
id = "http"
title = "http"
probe = {{ http = {url} }}
expect = {{ status = 200, body = {m}, headers = {{ contains = [{m}] }} }}
[[check]]
id = "dns"
title = "dns"
probe = {{ dns = {dns} }}
expect = {{ addresses = {{ contains = [{m}] }} }}
[[check]]
id = "addr"
title = "addr"
probe = {{ addr = {addr} }}
[[check]]
id = "iface"
title = "interface"
probe = {{ interface = {iface} }}
expect = {{ mtu = {m}, addresses = {{ contains = [{m}] }} }}
[[check]]
id = "os"
title = "os"
probe = {{ os = "release" }}
expect = {{ id = {m}, version = {m} }}
[[check]]
id = "x509"
title = "x509"
for_each = {{ p = [{v}] }}
probe = {{ x509 = "/tmp/ds-inj/{{p}}.pem" }}
expect = {{ subject = {m}, sans = {{ contains = [{m}] }} }}
[[check]]
id = "cmd"
title = "a command's matchers never reach the script"
probe = {{ command = "id -u" }}
expect = {{ stdout = {m}, stderr = {m} }}
"#,
        svc = subject(ModuleKind::Service),
        sysctl = subject(ModuleKind::Sysctl),
        sshd = subject(ModuleKind::SshdConfig),
        proc = subject(ModuleKind::Process),
        a = subject(ModuleKind::User),
        pk = subject(ModuleKind::Package),
        km = subject(ModuleKind::KernelModule),
        url = toml_str(&shaped_around(ModuleKind::Http, "http://h/", "", &value)),
        dns = subject(ModuleKind::Dns),
        addr = toml_str(&shaped_around(ModuleKind::Addr, "x", ":22", &value)),
        iface = subject(ModuleKind::Interface),
    );
    std::fs::create_dir_all(d.join("checks")).unwrap();
    std::fs::write(d.join("checks/inj.toml"), checks).unwrap();
    let loaded = Loaded::load(&Sources {
        inventories: vec![d.join("inv.toml")],
        checks: vec![d.join("checks")],
        ..Sources::default()
    })
    .unwrap_or_else(|e| panic!("hostile text must load (it is data): {e}"));
    loaded
        .plan(&Selection::default())
        .unwrap_or_else(|e| panic!("plan: {e}"))
}

/// A directory with a stand-in for every program name on the probe's PATH (and the
/// allow-listed names), each a symlink to one recorder that writes its argv to `$DS_LOG/<pid>`
/// and exits (`cat` then forwards its input, as the script's lanes need).
/// Made once per test process.
fn stand_ins() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        make_stand_ins(dir.path());
        dir
    })
    .path()
}

fn make_stand_ins(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let recorder = dir.join("recorder");
    std::fs::write(
        &recorder,
        "#!/bin/sh\n{ printf '%s\\0' \"${0##*/}\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; } > \"$DS_LOG/$$\"\n\
         # The lanes' `cat` forwards the piped lane: without it that lane dies of SIGPIPE.\n\
         if [ \"${0##*/}\" = cat ]; then exec /bin/cat; fi\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for d in PROBE_PATH.split(':') {
        if let Ok(entries) = std::fs::read_dir(d) {
            for e in entries.flatten() {
                names.insert(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    for m in ModuleKind::ALL {
        if let Programs::Only(list) = module(m).programs() {
            names.extend(list.iter().map(|s| s.to_string()));
        }
    }
    names.extend(PROGRAMS.iter().map(|s| s.to_string()));
    for n in names {
        if n.contains('/') || n == "." || n == ".." {
            continue;
        }
        std::os::unix::fs::symlink(&recorder, bin.join(&n)).unwrap();
    }
}

/// Every recorded invocation: argv, program name first.
fn invocations(log: &Path) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(log).unwrap().flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let mut argv: Vec<Vec<u8>> = bytes.split(|b| *b == 0).map(<[u8]>::to_vec).collect();
        argv.pop(); // after the last NUL
        out.push(argv);
    }
    out
}

fn run_case(host: &str, var: &str, value: &str, matcher: &str) {
    let case = Case {
        dir: tempfile::tempdir().unwrap(),
    };
    let plans = plan(&case, host, var, value, matcher);
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    let log = case.dir.path().join("log");
    std::fs::create_dir(&log).unwrap();
    let bin = stand_ins().join("bin");
    let script = ProbeScript::build(&plan.executions);
    let prologue_path = format!("PATH={PROBE_PATH}; export PATH\n");
    assert_eq!(
        script.text.matches(&prologue_path).count(),
        1,
        "{}",
        script.text
    );
    let text = script.text.replace(
        &prologue_path,
        &format!("PATH='{}'; export PATH\n", bin.display()),
    );
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-s")
        .current_dir(case.dir.path())
        .env("PATH", &bin)
        .env("DS_LOG", &log)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let output = String::from_utf8_lossy(&out.stdout);

    // 1. No canary, in the temp dir or anywhere relative.
    assert!(!case.canary().exists(), "the canary was created:\n{output}");
    // 2. Only allow-listed programs ran.
    let mut allowed: BTreeSet<&str> = PROGRAMS.into_iter().collect();
    for e in &plan.executions {
        match module(e.target.module).programs() {
            Programs::Only(list) => allowed.extend(list.iter().copied()),
            // The command check's own line is `id -u` (the module may hand it to `sh -c`).
            Programs::UserCommand => {
                allowed.extend(["id", "sh"]);
            }
        }
    }
    let runs = invocations(&log);
    assert!(!runs.is_empty(), "no program ran at all:\n{output}");
    for argv in &runs {
        let name = String::from_utf8_lossy(&argv[0]);
        assert!(
            allowed.contains(name.as_ref()),
            "{name} ran, not on the allow-list {allowed:?}: argv {:?}",
            argv.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        );
    }
    // 3. Subjects arrive byte-exact where a module passes them to a program.
    let ran_with = |program: &str, arg: &[u8]| {
        runs.iter()
            .any(|argv| argv[0] == program.as_bytes() && argv[1..].iter().any(|a| a == arg))
    };
    let ran = |program: &str| runs.iter().any(|argv| argv[0] == program.as_bytes());
    for e in &plan.executions {
        let s = e.target.subject.as_bytes();
        let expect: Option<(&str, Vec<u8>)> = match e.target.module {
            ModuleKind::File | ModuleKind::Directory => Some(("stat", s.to_vec())),
            ModuleKind::User | ModuleKind::Group | ModuleKind::Dns => Some(("getent", s.to_vec())),
            ModuleKind::Http => Some(("curl", s.to_vec())),
            ModuleKind::Addr => Some((
                "timeout",
                // The check's subject is `<host>:22`; the host goes on as one argument.
                e.target
                    .subject
                    .strip_suffix(":22")
                    .unwrap_or_default()
                    .into(),
            )),
            ModuleKind::Service => Some(("systemctl", s.to_vec())),
            ModuleKind::Package => Some((
                "grep",
                format!(
                    "Package: {}",
                    e.target.subject.split(':').next().unwrap_or("")
                )
                .into(),
            )),
            _ => None,
        };
        if let Some((program, arg)) = expect
            && ran(program)
        {
            assert!(
                ran_with(program, &arg),
                "{program} never got {:?} as one argument",
                String::from_utf8_lossy(&arg)
            );
        }
        if e.target.module == ModuleKind::X509 {
            // The PEM is read through the shared read, parsed in driftscope.
            assert!(
                ran_with("grep", s),
                "the shared read never got the PEM path {:?}",
                e.target.subject
            );
        }
        if e.target.module == ModuleKind::File {
            // contains → the shared read's grep; sha256 → sha256sum (when the path is a
            // readable file, which these are not: stat runs for every one).
            assert!(
                ran_with("grep", s),
                "the shared read never got {:?}",
                e.target.subject
            );
        }
    }
    // The rendered file subject is exactly the text the check and inventory spelled (the
    // loader trims a host name's surrounding whitespace).
    let c = case.canary().display().to_string();
    assert_eq!(plan.host.name, host.replace("@C@", &c).trim());
    let want = format!(
        "/tmp/ds-inj/{}/{}/{}",
        value.replace("@C@", &c),
        var.replace("@C@", &c),
        plan.host.name
    );
    assert!(
        plan.executions.iter().any(|e| e.target.subject == want),
        "no file subject {want:?} in {:?}",
        plan.executions
            .iter()
            .map(|e| &e.target.subject)
            .collect::<Vec<_>>()
    );
    // Every module's fragment was reached: each of these runs for its check whatever the
    // hostile text was (curl for http, getent ahosts for dns, timeout for addr, ip for the
    // interface's addresses).
    for program in ["stat", "getent", "curl", "timeout", "ip"] {
        assert!(
            ran(program),
            "{program} always runs:\n{output}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        runs.iter()
            .any(|argv| argv[0] == b"getent" && argv.get(1).is_some_and(|a| a == b"ahosts")),
        "the dns fragment never ran getent ahosts"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_runs_only_allow_listed_programs_with_exact_arguments(
        host in hostile().prop_filter("a host name is not empty", |h| !h.trim().is_empty()),
        var in hostile(),
        value in hostile(),
        matcher in hostile(),
    ) {
        run_case(&host, &var, &value, &matcher);
    }
}

/// The classic cases, every run (the proptest adds random mixes of them).
#[test]
fn classic_injections_stay_data() {
    for s in [
        "$(>@C@)",
        "`>@C@`",
        "a; >@C@; b",
        "' ; /bin/touch @C@ ; '",
        "\" ; /bin/touch @C@ ; \"",
        "x\n>@C@\n",
        "a && /bin/touch @C@",
        "*",
        "/etc/*",
        "-rf",
    ] {
        run_case(s, s, s, s);
    }
}

/// Every module declares its allow-list; only `command` runs user text.
#[test]
fn every_module_declares_its_programs() {
    for m in ModuleKind::ALL {
        match module(m).programs() {
            Programs::UserCommand => assert_eq!(m, ModuleKind::Command),
            Programs::Only(list) => {
                for p in list {
                    assert!(
                        !p.is_empty() && !p.contains('/') && !p.contains(' '),
                        "{m}: {p:?}"
                    );
                }
            }
        }
    }
}
