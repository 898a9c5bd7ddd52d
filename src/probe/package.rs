//! package: installed state and version of all packages of the host with ONE read.
//!
//! Debian family: ONE `grep -A 13` over /var/lib/dpkg/status picks the wanted packages'
//! paragraphs (dpkg writes Package first and Version at most 13 lines later); installed is the
//! third word of `Status` (dpkg-query's `${db:Status-Status}`), `name:arch` matches that
//! architecture's instance. ~1 ms of CPU where dpkg-query parses the whole database (~6 ms).
//! Wherever the file may not be the whole truth, `dpkg-query -W` answers instead: pending
//! journal entries in updates/, `DPKG_ADMINDIR`/`DPKG_ROOT` set
//! (dpkg-query ignores dpkg.cfg's `admindir`), an unreadable status file, or no grep.
//! dpkg-query's "no packages found" messages are not needed (a missing line means not
//! installed), so its stderr is dropped; only a fatal status (≥ 2: database unreadable …)
//! reruns it once to show the reason. RPM family: ONE `rpm -q`. `not_applicable` when neither.

use super::quote::{sh_quote, sh_quote_all};
use super::{Module, Observation, Probe, Programs, Reads, lossy_lines, not_applicable, observed};
use crate::model::{ModuleKind, Value, compare_versions};
use std::cmp::Ordering;

pub struct Package;

/// Lines after `Package:` that reach `Version:` in a paragraph dpkg wrote: it writes the
/// fields in a fixed order, and at most Essential, Protected, Status, Priority, Section,
/// Installed-Size, Origin, Maintainer, Bugs, Architecture, Multi-Arch and Source come between.
const WINDOW: usize = 13;

/// dpkg's default database, which dpkg-query reads unless `DPKG_ADMINDIR` or `DPKG_ROOT`
/// say otherwise (it ignores `admindir` in dpkg.cfg).
const ADMINDIR: &str = "/var/lib/dpkg";
/// The status file read directly.
const STATUS: &str = "/var/lib/dpkg/status";

/// `-e 'Package: <name>'` for each distinct package name (`:arch` is matched by the parser).
fn status_patterns(probes: &[Probe]) -> String {
    let mut names: Vec<&str> = probes
        .iter()
        .map(|p| p.subject.split(':').next().unwrap_or(""))
        .collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .map(|n| format!("-e {}", sh_quote(&format!("Package: {n}"))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One paragraph of a wanted package in the status file.
struct StatusRow {
    name: String,
    arch: String,
    installed: bool,
    version: Option<String>,
    /// Set when the grep window ended before the paragraph said what is needed.
    problem: Option<String>,
}

/// The paragraphs in `grep -H -A` output over the status file (lines `<file>:` for matches,
/// `<file>-` for context, `--` between windows). A paragraph ends at its blank line, at the
/// next `Package:` line or where its window ends.
fn status_rows(lines: &[String]) -> Vec<StatusRow> {
    let prefix_match = format!("{STATUS}:");
    let prefix_context = format!("{STATUS}-");
    let mut rows: Vec<StatusRow> = Vec::new();
    // The open paragraph and what its Status line said.
    let mut current: Option<(StatusRow, Option<bool>)> = None;
    let close = |cur: &mut Option<(StatusRow, Option<bool>)>, rows: &mut Vec<StatusRow>| {
        if let Some((mut row, status)) = cur.take() {
            let complete = match status {
                Some(installed) => !installed || row.version.is_some(),
                None => false,
            };
            if !complete {
                row.problem = Some(format!(
                    "the dpkg status paragraph of {} is not in the field order dpkg writes \
                     (no Status or Version within {} lines of Package)",
                    row.name,
                    WINDOW + 1
                ));
            }
            rows.push(row);
        }
    };
    for l in lines {
        let Some(body) = l
            .strip_prefix(&prefix_match)
            .or_else(|| l.strip_prefix(&prefix_context))
        else {
            close(&mut current, &mut rows);
            continue;
        };
        if let Some(name) = body.strip_prefix("Package: ") {
            close(&mut current, &mut rows);
            // Only matching lines open a paragraph: a `Package:` line in the context of
            // another match belongs to a package nobody asked about.
            if l.starts_with(&prefix_match) {
                let row = StatusRow {
                    name: name.to_string(),
                    arch: String::new(),
                    installed: false,
                    version: None,
                    problem: None,
                };
                current = Some((row, None));
            }
            continue;
        }
        if body.is_empty() {
            close(&mut current, &mut rows);
            continue;
        }
        let Some((row, status)) = current.as_mut() else {
            continue;
        };
        if let Some(v) = body.strip_prefix("Status: ") {
            // `want eflag status`: installed is dpkg-query's ${db:Status-Status}.
            let installed = v.split_whitespace().nth(2) == Some("installed");
            row.installed = installed;
            *status = Some(installed);
        } else if let Some(v) = body.strip_prefix("Architecture: ") {
            row.arch = v.trim().to_string();
        } else if let Some(v) = body.strip_prefix("Version: ") {
            // dpkg-query shows no zero epoch.
            let v = v.trim();
            row.version = Some(v.strip_prefix("0:").unwrap_or(v).to_string());
        }
    }
    close(&mut current, &mut rows);
    rows
}

/// One package's observation from the status paragraphs: a subject `name` is every
/// architecture's instance (like `dpkg-query -W name`), `name:arch` only that architecture's.
fn from_status(subject: &str, rows: &[StatusRow]) -> Observation {
    let (name, arch) = match subject.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (subject, None),
    };
    let mut version: Option<String> = None;
    for r in rows.iter().filter(|r| r.name == name) {
        if let Some(p) = &r.problem {
            return Observation::Error(p.clone());
        }
        if !r.installed || arch.is_some_and(|a| a != r.arch) {
            continue;
        }
        let v = r.version.clone().unwrap_or_default();
        // Several installed instances (multi-arch): the highest version.
        if version
            .as_deref()
            .is_none_or(|cur| compare_versions(&v, cur) == Ordering::Greater)
        {
            version = Some(v);
        }
    }
    observed([
        ("installed", Value::Bool(version.is_some())),
        ("version", version.map(Value::String).unwrap_or(Value::Null)),
    ])
}

impl Module for Package {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Package
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["dpkg-query", "grep", "rpm"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["installed", "version"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("installed", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        let ok = subject
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-._:~".contains(c));
        if subject.is_empty() || !ok || subject.starts_with('-') {
            return Err(format!(
                "not a package name: {subject:?} (expected a dpkg/rpm package name like \
                 `openssh-server` or `libc6:amd64`, no spaces or glob characters)"
            ));
        }
        Ok(())
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let names = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
        format!(
            "if command -v dpkg-query >/dev/null 2>&1; then\n\
             ds_q=\n\
             if [ -n \"${{DPKG_ADMINDIR-}}${{DPKG_ROOT-}}\" ] || ! [ -r {STATUS} ] || ! command -v grep >/dev/null 2>&1; then ds_q=1; fi\n\
             for ds_f in {ADMINDIR}/updates/[0-9]*; do if [ -e \"$ds_f\" ]; then ds_q=1; fi; break; done\n\
             if [ -z \"$ds_q\" ]; then\n\
             echo '@@TOOL dpkg-status'; grep -H -A {WINDOW} -F -x {patterns} -- {STATUS}; echo \"@@RC $?\"\n\
             fi\n\
             if [ -n \"$ds_q\" ]; then\n\
             echo '@@TOOL dpkg'\n\
             dpkg-query -W -f='${{binary:Package}}\\t${{db:Status-Status}}\\t${{Version}}\\n' -- {names} 2>/dev/null\n\
             rc=$?; echo \"@@RC $rc\"\n\
             if [ \"$rc\" -ge 2 ]; then dpkg-query -W -- {names} 2>&1 >/dev/null; fi\n\
             fi\n\
             elif command -v rpm >/dev/null 2>&1; then\n\
             echo '@@TOOL rpm'\n\
             rpm -q --qf '%{{NAME}}\\tinstalled\\t%|EPOCH?{{%{{EPOCH}}:}}:{{}}|%{{VERSION}}-%{{RELEASE}}\\n' -- {names} 2>&1\n\
             echo \"@@RC $?\"\n\
             else echo '@@NA no dpkg-query or rpm on this host'; fi",
            patterns = status_patterns(probes),
        )
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        if let Some(why) = not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        let lines = lossy_lines(output);
        let tool = lines
            .iter()
            .find_map(|l| l.strip_prefix("@@TOOL "))
            .unwrap_or("")
            .to_string();
        let rc = lines
            .iter()
            .find_map(|l| l.strip_prefix("@@RC "))
            .and_then(|r| r.trim().parse::<i32>().ok());
        if tool == "dpkg-status" {
            match rc {
                None => {
                    return vec![
                        Observation::Error("dpkg status output cut short".into());
                        probes.len()
                    ];
                }
                Some(rc) if rc >= 2 => {
                    let why: Vec<&str> = lines
                        .iter()
                        .filter(|l| !l.starts_with(STATUS) && !l.starts_with("@@"))
                        .map(|l| l.trim())
                        .filter(|l| !l.is_empty() && *l != "--")
                        .take(3)
                        .collect();
                    return vec![
                        Observation::Error(format!(
                            "reading {STATUS} failed (grep exit {rc}): {}",
                            why.join("; ")
                        ));
                        probes.len()
                    ];
                }
                Some(_) => {}
            }
            let rows = status_rows(&lines);
            return probes
                .iter()
                .map(|p| from_status(&p.subject, &rows))
                .collect();
        }
        let Some(rc) = rc else {
            return vec![Observation::Error("package query output cut short".into()); probes.len()];
        };
        if tool == "dpkg" && rc >= 2 {
            let why: Vec<&str> = lines
                .iter()
                .skip_while(|l| !l.starts_with("@@RC "))
                .skip(1)
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .take(3)
                .collect();
            return vec![
                Observation::Error(format!(
                    "dpkg-query failed (exit {rc}): {}",
                    why.join("; ")
                ));
                probes.len()
            ];
        }
        // name (without :arch) → (installed, version) over all matching lines.
        let mut rows: Vec<(String, bool, String)> = Vec::new();
        for l in &lines {
            let mut f = l.split('\t');
            let (Some(name), Some(status), Some(version)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            rows.push((name.to_string(), status == "installed", version.to_string()));
        }
        probes
            .iter()
            .map(|p| {
                let subject = p.subject.as_str();
                let mut installed = false;
                let mut version: Option<String> = None;
                for (name, inst, ver) in &rows {
                    let base = if subject.contains(':') {
                        name.as_str()
                    } else {
                        name.split(':').next().unwrap_or(name)
                    };
                    if base != subject || !*inst {
                        continue;
                    }
                    installed = true;
                    // Several installed versions (kernels on rpm, multi-arch): the highest.
                    if version
                        .as_deref()
                        .is_none_or(|v| compare_versions(ver, v) == Ordering::Greater)
                    {
                        version = Some(ver.clone());
                    }
                }
                observed([
                    ("installed", Value::Bool(installed)),
                    ("version", version.map(Value::String).unwrap_or(Value::Null)),
                ])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes(names: &[&str]) -> Vec<Probe> {
        names
            .iter()
            .map(|n| Probe::new(n, &["installed"]))
            .collect()
    }

    fn attr(o: &Observation, a: &str) -> Value {
        match o {
            Observation::Observed(m) => m.get(a).cloned().unwrap_or(Value::Null),
            other => panic!("not observed: {other:?}"),
        }
    }

    #[test]
    fn dpkg_real_output_installed_missing_and_multiarch() {
        let out = include_bytes!("testdata/package/dpkg.out");
        let p = probes(&["bash", "openssh-server", "libc6", "telnetd", "rsh-server"]);
        let obs = Package.parse(out, &p);
        assert_eq!(attr(&obs[0], "installed"), Value::Bool(true));
        assert!(
            attr(&obs[0], "version")
                .as_str()
                .unwrap()
                .starts_with("5.2")
        );
        assert!(
            attr(&obs[1], "version")
                .as_str()
                .unwrap()
                .starts_with("1:9.2p1")
        );
        assert_eq!(attr(&obs[2], "installed"), Value::Bool(true), "libc6:amd64");
        assert_eq!(attr(&obs[3], "installed"), Value::Bool(false));
        assert_eq!(attr(&obs[3], "version"), Value::Null);
        assert_eq!(attr(&obs[4], "installed"), Value::Bool(false));
    }

    #[test]
    fn dpkg_fatal_error_is_error_with_reason() {
        let out = include_bytes!("testdata/package/dpkg-broken-db.out");
        let obs = Package.parse(out, &probes(&["bash"]));
        assert!(
            matches!(&obs[0], Observation::Error(e) if e.contains("exit 2") && e.contains("dpkg")),
            "{obs:?}"
        );
    }

    #[test]
    fn rpm_output_and_no_package_manager() {
        let out = b"@@TOOL rpm\nbash\tinstalled\t5.1.8-9.el9\nkernel\tinstalled\t5.14.0-1.el9\nkernel\tinstalled\t5.14.0-10.el9\npackage telnet is not installed\n@@RC 1\n";
        let obs = Package.parse(out, &probes(&["bash", "kernel", "telnet"]));
        assert_eq!(attr(&obs[1], "version"), Value::from("5.14.0-10.el9"));
        assert_eq!(attr(&obs[2], "installed"), Value::Bool(false));
        let na = Package.parse(
            b"@@NA no dpkg-query or rpm on this host\n",
            &probes(&["bash"]),
        );
        assert!(matches!(&na[0], Observation::NotApplicable(_)));
        let cut = Package.parse(b"@@TOOL dpkg\nbash\tinst", &probes(&["bash"]));
        assert!(matches!(&cut[0], Observation::Error(_)));
    }

    #[test]
    fn dpkg_status_real_output_matches_dpkg_query() {
        // Captured with the fragment; `dpkg-query -W` on the same box answered: bash
        // 5.2.15-2+b8, g++ 4:12.2.0-3, libc6:amd64 2.36-9+deb12u14, openssh-server
        // 1:9.2p1-2+deb12u10, no libc6:i386, telnetd, rsh-server.
        let out = include_bytes!("testdata/package/dpkg-status.out");
        let p = probes(&[
            "bash",
            "openssh-server",
            "libc6",
            "libc6:amd64",
            "bash:amd64",
            "libc6:i386",
            "telnetd",
            "rsh-server",
            "g++",
        ]);
        let obs = Package.parse(out, &p);
        let v = |i: usize| attr(&obs[i], "version");
        assert_eq!(v(0), Value::from("5.2.15-2+b8"));
        assert_eq!(v(1), Value::from("1:9.2p1-2+deb12u10"));
        assert_eq!(v(2), Value::from("2.36-9+deb12u14"), "multi-arch libc6");
        assert_eq!(v(3), Value::from("2.36-9+deb12u14"), "libc6:amd64");
        assert_eq!(v(4), Value::from("5.2.15-2+b8"), "bash:amd64");
        for i in [5, 6, 7] {
            assert_eq!(attr(&obs[i], "installed"), Value::Bool(false), "{i}");
            assert_eq!(v(i), Value::Null);
        }
        assert_eq!(v(8), Value::from("4:12.2.0-3"), "g++ (regex characters)");
        assert_eq!(attr(&obs[8], "installed"), Value::Bool(true));
    }

    #[test]
    fn dpkg_status_states_architectures_and_cut_paragraphs() {
        // Written in the status file's format (this box has no removed packages): a package
        // in config-files state, two architectures of one package, a zero epoch, and a
        // paragraph whose window ends before its Version.
        let s = STATUS;
        let out = format!(
            "@@TOOL dpkg-status\n\
             {s}:Package: gone\n{s}-Status: deinstall ok config-files\n{s}-Architecture: amd64\n\
             {s}-Version: 1.0\n{s}-\n\
             {s}:Package: libfoo\n{s}-Status: hold ok installed\n{s}-Architecture: amd64\n\
             {s}-Multi-Arch: same\n{s}-Version: 0:2.0\n{s}-\n\
             {s}:Package: libfoo\n{s}-Status: install ok installed\n{s}-Architecture: i386\n\
             {s}-Multi-Arch: same\n{s}-Version: 2.1\n\
             --\n\
             {s}:Package: odd\n{s}-Status: install ok installed\n{s}-X-A: 1\n\
             --\n\
             {s}-Package: other\n{s}-Status: install ok installed\n\
             @@RC 0\n"
        );
        let p = probes(&[
            "gone",
            "libfoo",
            "libfoo:amd64",
            "libfoo:i386",
            "odd",
            "other",
        ]);
        let obs = Package.parse(out.as_bytes(), &p);
        assert_eq!(
            attr(&obs[0], "installed"),
            Value::Bool(false),
            "config-files"
        );
        assert_eq!(
            attr(&obs[1], "version"),
            Value::from("2.1"),
            "highest instance"
        );
        assert_eq!(
            attr(&obs[2], "version"),
            Value::from("2.0"),
            "zero epoch dropped"
        );
        assert_eq!(attr(&obs[3], "version"), Value::from("2.1"));
        assert!(
            matches!(&obs[4], Observation::Error(e) if e.contains("field order")),
            "{:?}",
            obs[4]
        );
        // A Package line that is only context never opens a paragraph.
        assert_eq!(attr(&obs[5], "installed"), Value::Bool(false));
        let cut = Package.parse(
            format!("@@TOOL dpkg-status\n{s}:Package: bash\n").as_bytes(),
            &probes(&["bash"]),
        );
        assert!(matches!(&cut[0], Observation::Error(e) if e.contains("cut short")));
        let failed = Package.parse(
            format!("@@TOOL dpkg-status\ngrep: {s}: Input/output error\n@@RC 2\n").as_bytes(),
            &probes(&["bash"]),
        );
        assert!(
            matches!(&failed[0], Observation::Error(e) if e.contains("exit 2") && e.contains("Input/output")),
            "{failed:?}"
        );
    }

    /// The fragment on this host (Debian family): the status file is read unless something
    /// moves dpkg's database, then dpkg-query answers.
    #[test]
    fn fragment_reads_status_or_falls_back_to_dpkg_query() {
        if !std::path::Path::new(STATUS).exists() {
            return;
        }
        let run = |env: &[(&str, &str)]| {
            let p = probes(&["bash", "nosuchpackage"]);
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(Package.fragment(&p))
                .envs(env.iter().copied())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let obs = Package.parse(&out.stdout, &p);
            assert_eq!(attr(&obs[0], "installed"), Value::Bool(true), "{text}");
            assert_eq!(attr(&obs[1], "installed"), Value::Bool(false), "{text}");
            text
        };
        assert!(run(&[]).starts_with("@@TOOL dpkg-status\n"));
        assert!(run(&[("DPKG_ADMINDIR", ADMINDIR)]).starts_with("@@TOOL dpkg\n"));
        assert!(run(&[("DPKG_ROOT", "/")]).starts_with("@@TOOL dpkg\n"));
    }

    #[test]
    fn rejects_globs_and_spaces() {
        assert!(Package.validate_subject("openssh-server").is_ok());
        assert!(Package.validate_subject("libc6:amd64").is_ok());
        let e = Package.validate_subject("ssh*").unwrap_err();
        assert!(e.contains("package name"), "{e}");
        assert!(Package.validate_subject("a b").is_err());
        assert!(Package.validate_subject("-x").is_err());
    }

    #[test]
    fn contract_and_empty_subject() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Package,
            Programs::Only(&["dpkg-query", "grep", "rpm"]),
            &["installed", "version"],
            ("installed", Value::Bool(true)),
        );
        assert!(Package.validate_subject("").is_err());
        assert!(Package.validate_subject("g++").is_ok());
        assert!(Package.validate_subject("libstdc++6:i386").is_ok());
    }

    /// A failed read names the tool, its exit status and its own words, nothing else (not
    /// our markers, not package lines grep printed before failing, not blank lines).
    #[test]
    fn failures_quote_only_the_tools_message() {
        let err = |out: &[u8]| match &Package.parse(out, &probes(&["bash"]))[0] {
            Observation::Error(e) => e.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(include_bytes!("testdata/package/dpkg-broken-db.out")),
            "dpkg-query failed (exit 2): dpkg-query: error: failed to open package info file \
             '/tmp/dsdb/status' for reading: Permission denied"
        );
        assert_eq!(
            err(b"@@TOOL dpkg\nbash\tinstalled\t5.2\n@@RC 2\n\n  dpkg-query: x  \n"),
            "dpkg-query failed (exit 2): dpkg-query: x"
        );
        let s = STATUS;
        assert_eq!(
            err(format!(
                "@@TOOL dpkg-status\n{s}:Package: bash\n{s}-Status: install ok installed\n--\n\n\
                 grep: {s}: Input/output error\n@@RC 2\n"
            )
            .as_bytes()),
            format!("reading {s} failed (grep exit 2): grep: {s}: Input/output error")
        );
    }

    /// A package dpkg knows but that is not installed (purged, config-files) has no Version
    /// line: not installed, not a malformed paragraph.
    #[test]
    fn known_but_not_installed_packages() {
        let s = STATUS;
        let out = format!(
            "@@TOOL dpkg-status\n\
             {s}:Package: purged\n{s}-Status: purge ok not-installed\n{s}-Architecture: amd64\n{s}-\n\
             {s}:Package: bash\n{s}-Status: install ok installed\n{s}-Version: 5.2\n@@RC 0\n"
        );
        let obs = Package.parse(out.as_bytes(), &probes(&["purged", "bash"]));
        assert_eq!(attr(&obs[0], "installed"), Value::Bool(false), "{obs:?}");
        assert_eq!(attr(&obs[1], "version"), Value::from("5.2"));
        let out = b"@@TOOL dpkg\ntelnetd\tconfig-files\t0.17-44\nbash\tinstalled\t5.2\n@@RC 0\n";
        let obs = Package.parse(out, &probes(&["telnetd", "bash"]));
        assert_eq!(attr(&obs[0], "installed"), Value::Bool(false));
        assert_eq!(attr(&obs[0], "version"), Value::Null);
        assert_eq!(attr(&obs[1], "version"), Value::from("5.2"));
    }
}
