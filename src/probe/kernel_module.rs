//! kernel_module: `loaded` from `/proc/modules` in the host's shared read (no process of its
//! own; the shell's `read` builtin reads one byte per syscall: ~3.5 ms for 150 modules), plus
//! a builtin `[ -d /sys/module/<name> ]` test per module, which also sees modules built into
//! the kernel (those that have parameters). Names compare with `-` and `_` as equal, as the
//! kernel does.

use super::quote::sh_quote;
use super::{Module, Observation, Probe, Programs, Read, Reads, observed};
use crate::model::{ModuleKind, Value};

pub struct KernelModule;

const MODULES: &str = "/proc/modules";

fn canonical(name: &str) -> String {
    name.replace('-', "_")
}

impl Module for KernelModule {
    fn kind(&self) -> ModuleKind {
        ModuleKind::KernelModule
    }
    fn programs(&self) -> Programs {
        Programs::Only(&[])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["loaded"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("loaded", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject.is_empty()
            || !subject
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "not a kernel module name: {subject:?} (expected letters, digits, `_` or `-`, e.g. `usb_storage`)"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        0 // builtin tests; /proc/modules comes from the shared read
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::from(
            "if [ -r /proc/modules ]; then echo '@@PROC'; fi\n\
             if ! [ -r /proc/modules ] && ! [ -d /sys/module ]; then \
             echo '@@NA neither /proc/modules nor /sys/module exists'; fi\n",
        );
        for (i, p) in probes.iter().enumerate() {
            let dir = sh_quote(&format!("/sys/module/{}", canonical(&p.subject)));
            s.push_str(&format!("if [ -d {dir} ]; then echo '@{i} S'; fi\n"));
        }
        s.push_str("echo '@@END'");
        s
    }
    fn reads(&self, _probes: &[Probe]) -> Vec<Read> {
        vec![Read::System(MODULES.into())]
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        let lines = match super::table_lines(output, probes.len(), "kernel module probe") {
            Ok(lines) => lines,
            Err(observations) => return observations,
        };
        // `<name> <size> <refs> …` per line; readable but not read: the list is unknown.
        let loaded: Vec<String> = match reads.lines(MODULES) {
            _ if !lines.iter().any(|l| l == "@@PROC") => Vec::new(),
            Some(table) => table
                .iter()
                .filter_map(|(_, l)| {
                    let l = String::from_utf8_lossy(l);
                    l.split(' ').next().map(canonical)
                })
                .collect(),
            // No module loaded at all reads as an empty file.
            None if reads.complete() => Vec::new(),
            None => {
                return vec![
                    Observation::Error(
                        "/proc/modules was not read (output cut short)".into()
                    );
                    probes.len()
                ];
            }
        };
        let mut in_sys = vec![false; probes.len()];
        for (i, status, _) in super::tagged_lines(output, probes.len()) {
            if status == "S" {
                in_sys[i] = true;
            }
        }
        probes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = canonical(&p.subject);
                observed([("loaded", Value::Bool(in_sys[i] || loaded.contains(&name)))])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(o: &Observation) -> Value {
        match o {
            Observation::Observed(m) => m["loaded"].clone(),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn real_output_without_proc_modules() {
        // This build box's kernel has no /proc/modules; /sys/module lists built-ins.
        let out = include_bytes!("testdata/kernel_module/sys-only.out");
        let p: Vec<Probe> = ["8250", "no-such-mod"]
            .iter()
            .map(|s| Probe::new(s, &[]))
            .collect();
        let obs = KernelModule.parse(out, &p);
        assert_eq!(loaded(&obs[0]), Value::Bool(true));
        assert_eq!(loaded(&obs[1]), Value::Bool(false));
    }

    #[test]
    fn proc_modules_names_compare_dash_and_underscore_alike() {
        // Written in the capture form (this box's kernel has no /proc/modules).
        let out = b"@@PROC\n@@END\n@@READS\n/proc/modules\x001:usb_storage 81920 0 - Live 0x0\n/proc/modules\x002:ext4 1024000 2 - Live 0x0\n\n@@READEND\n";
        let p: Vec<Probe> = ["usb-storage", "ext4", "cramfs"]
            .iter()
            .map(|s| Probe::new(s, &[]))
            .collect();
        let obs = KernelModule.parse(out, &p);
        assert_eq!(loaded(&obs[0]), Value::Bool(true));
        assert_eq!(loaded(&obs[1]), Value::Bool(true));
        assert_eq!(loaded(&obs[2]), Value::Bool(false));
        // Readable, but the shared read never came back: unknown, not "not loaded".
        let unread = KernelModule.parse(b"@@PROC\n@@END\n", &p);
        assert!(
            matches!(&unread[0], Observation::Error(e) if e.contains("cut short")),
            "{unread:?}"
        );
        let cut = KernelModule.parse(b"@@PROC\n", &p);
        assert!(matches!(&cut[0], Observation::Error(_)));
        assert!(KernelModule.validate_subject("a/b").is_err());
    }

    #[test]
    fn contract_no_process_and_module_names() {
        crate::probe::test_support::assert_contract(
            ModuleKind::KernelModule,
            Programs::Only(&[]),
            &["loaded"],
            ("loaded", Value::Bool(true)),
        );
        assert_eq!(KernelModule.cost(&[]), 0);
        for ok in ["usb-storage", "usb_storage", "8250"] {
            assert!(KernelModule.validate_subject(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "x;y"] {
            let e = KernelModule.validate_subject(bad).unwrap_err();
            assert!(e.contains("not a kernel module name"), "{bad:?}: {e}");
        }
    }

    /// A /proc/modules the fragment did not find readable is not consulted; one read whole
    /// and empty means no module is loaded; only an `S` line means /sys/module has it.
    #[test]
    fn which_answers_count() {
        let p: Vec<Probe> = ["ext4", "xfs"].iter().map(|s| Probe::new(s, &[])).collect();
        let read = "@@READS\n/proc/modules\x001:ext4 1024000 2 - Live 0x0\n@@READEND\n";
        let obs = KernelModule.parse(format!("@@END\n{read}").as_bytes(), &p);
        assert_eq!(
            loaded(&obs[0]),
            Value::Bool(false),
            "no @@PROC: not readable"
        );
        let obs = KernelModule.parse(b"@@PROC\n@0 X\n@1 S\n@@END\n@@READS\n@@READEND\n", &p);
        assert_eq!(loaded(&obs[0]), Value::Bool(false));
        assert_eq!(loaded(&obs[1]), Value::Bool(true));
        let obs = KernelModule.parse(b"@@NA neither /proc/modules nor /sys/module exists\n", &p);
        assert!(matches!(&obs[0], Observation::NotApplicable(_)));
    }

    /// This machine's modules through the real probe script: one listed in /sys/module is
    /// loaded, a made-up name is not.
    #[test]
    fn the_real_modules_here() {
        use crate::probe::test_support::{exec, run_here};
        use serde_json::json;
        let known = std::fs::read_dir("/sys/module")
            .ok()
            .and_then(|mut d| d.next())
            .and_then(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned());
        let mut execs = vec![exec(
            ModuleKind::KernelModule,
            "ds_no_such_module",
            &[("loaded", json!(false))],
        )];
        if let Some(name) = &known {
            execs.push(exec(
                ModuleKind::KernelModule,
                name,
                &[("loaded", json!(true))],
            ));
        }
        for verdict in run_here(&execs) {
            assert_eq!(verdict.outcome, crate::model::Outcome::Pass, "{verdict:?}");
        }
    }
}
