//! package: installed state and version from ONE `dpkg-query -W` (Debian family) or ONE
//! `rpm -q` (RPM family) for all packages of the host; `not_applicable` when neither exists.
//!
//! dpkg-query's "no packages found" messages are not needed (a missing line means not
//! installed), so its stderr is dropped; only a fatal status (≥ 2: database unreadable …)
//! reruns it once to show the reason.

use super::quote::sh_quote_all;
use super::{Module, Observation, Probe, lossy_lines, not_applicable, observed};
use crate::model::{ModuleKind, Value, compare_versions};
use std::cmp::Ordering;

pub struct Package;

impl Module for Package {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Package
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
             echo '@@TOOL dpkg'\n\
             dpkg-query -W -f='${{binary:Package}}\\t${{db:Status-Status}}\\t${{Version}}\\n' -- {names} 2>/dev/null\n\
             rc=$?; echo \"@@RC $rc\"\n\
             if [ \"$rc\" -ge 2 ]; then dpkg-query -W -- {names} 2>&1 >/dev/null; fi\n\
             elif command -v rpm >/dev/null 2>&1; then\n\
             echo '@@TOOL rpm'\n\
             rpm -q --qf '%{{NAME}}\\tinstalled\\t%|EPOCH?{{%{{EPOCH}}:}}:{{}}|%{{VERSION}}-%{{RELEASE}}\\n' -- {names} 2>&1\n\
             echo \"@@RC $?\"\n\
             else echo '@@NA no dpkg-query or rpm on this host'; fi"
        )
    }
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
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
    fn rejects_globs_and_spaces() {
        assert!(Package.validate_subject("openssh-server").is_ok());
        assert!(Package.validate_subject("libc6:amd64").is_ok());
        let e = Package.validate_subject("ssh*").unwrap_err();
        assert!(e.contains("package name"), "{e}");
        assert!(Package.validate_subject("a b").is_err());
        assert!(Package.validate_subject("-x").is_err());
    }
}
