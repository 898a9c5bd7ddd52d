//! directory: a file probe that expects a directory. Shares the `file` module's fragment
//! (one `stat` for all paths, builtins for missing / permission denied); `exists` is true only
//! when the path resolves to a directory (like `test -d`), and `type` says what the path
//! resolves to (`directory`, `file`, `char_device` …; null when nothing is there).

use super::file::{evaluate_mode, parse_all, stat_fragment, validate_path};
use super::{AttrVerdict, Attributes, Module, Observation, Probe, Programs, Reads};
use crate::model::{Matcher, ModuleKind, Value};

pub struct Directory;

/// A file observation seen as a directory: `exists` only for a directory, `type` what the
/// path resolves to (a file observation's `type` is the path itself, e.g. `symlink`).
fn as_directory(a: &Attributes) -> Attributes {
    let mut a = a.clone();
    let target = a.get("_target_type").cloned().unwrap_or(Value::Null);
    a.insert(
        "exists".into(),
        Value::Bool(target.as_str() == Some("directory")),
    );
    a.insert("type".into(), target);
    a
}

impl Module for Directory {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Directory
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["stat"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists", "type", "mode", "owner", "group", "uid", "gid"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        validate_path(subject)
    }
    fn section(&self) -> ModuleKind {
        ModuleKind::File
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        // Never content or sha256: only the attributes above can be wanted.
        let plain: Vec<Probe> = probes.iter().map(|p| Probe::new(&p.subject, &[])).collect();
        stat_fragment(&plain)
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let plain: Vec<Probe> = probes.iter().map(|p| Probe::new(&p.subject, &[])).collect();
        parse_all(output, &plain, &super::Reads::default())
            .into_iter()
            .map(|o| match o {
                Observation::Observed(a) => Observation::Observed(as_directory(&a)),
                other => other,
            })
            .collect()
    }
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        // Observations may come from the shared `file` section: apply the directory view here.
        let observed = &as_directory(observed);
        if attribute == "mode" {
            return evaluate_mode(observed, matcher);
        }
        let actual = observed.get(attribute).cloned().unwrap_or(Value::Null);
        AttrVerdict {
            ok: matcher.matches(&actual),
            actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_file_is_not_a_directory_and_missing_is_false() {
        let d = "/tmp/ds-fixture";
        let probes = vec![
            Probe::new(&format!("{d}/dir"), &["mode"]),
            Probe::new(&format!("{d}/app.conf"), &["exists"]),
            Probe::new(&format!("{d}/missing"), &["exists"]),
            Probe::new(&format!("{d}/secret"), &["mode"]),
        ];
        let out = include_bytes!("testdata/directory/nobody.out");
        let obs = Directory.parse(out, &probes);
        let Observation::Observed(a) = &obs[0] else {
            panic!("{obs:?}")
        };
        assert_eq!(a["exists"], true);
        assert!(
            Directory
                .evaluate(a, "mode", &Matcher::parse(&json!("1750")).unwrap())
                .ok
        );
        let Observation::Observed(f) = &obs[1] else {
            panic!("{obs:?}")
        };
        let v = Directory.evaluate(f, "exists", &Matcher::parse(&json!(true)).unwrap());
        assert!(!v.ok);
        assert_eq!(v.actual, json!(false));
        assert_eq!(f["type"], json!("file"));
        let Observation::Observed(m) = &obs[2] else {
            panic!("{obs:?}")
        };
        assert_eq!(m["exists"], false);
        let Observation::Observed(s) = &obs[3] else {
            panic!("{obs:?}")
        };
        assert_eq!(
            s["mode"], "0700",
            "an unsearchable directory itself can be stat'ed"
        );
    }

    #[test]
    fn contract_and_the_shared_file_section() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Directory,
            Programs::Only(&["stat"]),
            &["exists", "type", "mode", "owner", "group", "uid", "gid"],
            ("exists", Value::Bool(true)),
        );
        assert_eq!(Directory.section(), ModuleKind::File);
        assert!(Directory.validate_subject("/srv").is_ok());
        assert!(Directory.validate_subject("srv").is_err());
        // Never reads contents nor digests, whatever is asked.
        let f = Directory.fragment(&[Probe::new("/srv", &["contains", "sha256"])]);
        assert!(!f.contains("sha256sum") && !f.contains("@0 R"), "{f}");
    }

    /// Directories, a link to one, a file and a missing path this test made, through the
    /// real probe script (the directory checks share the file section).
    #[test]
    fn paths_this_test_made_are_seen_by_the_real_probe() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let sub = format!("{d}/sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o710)).unwrap();
        symlink(&sub, format!("{d}/link")).unwrap();
        std::fs::write(format!("{d}/file"), b"x").unwrap();
        let dirx = |path: String, attr: &str, want: Value| {
            exec(ModuleKind::Directory, &path, &[(attr, want)])
        };
        let cases = [
            (
                dirx(sub.clone(), "exists", json!(true)),
                Outcome::Pass,
                json!(true),
            ),
            (
                dirx(sub.clone(), "mode", json!(710)),
                Outcome::Pass,
                json!("0710"),
            ),
            (
                dirx(format!("{d}/link"), "type", json!("directory")),
                Outcome::Pass,
                json!("directory"),
            ),
            (
                dirx(format!("{d}/link"), "exists", json!(true)),
                Outcome::Pass,
                json!(true),
            ),
            (
                dirx(format!("{d}/file"), "exists", json!(true)),
                Outcome::Fail,
                json!(false),
            ),
            (
                dirx(format!("{d}/file"), "type", json!("directory")),
                Outcome::Fail,
                json!("file"),
            ),
            (
                dirx(format!("{d}/gone"), "exists", json!(false)),
                Outcome::Pass,
                json!(false),
            ),
        ];
        let execs: Vec<_> = cases.iter().map(|(e, _, _)| e.clone()).collect();
        let verdicts = run_here(&execs);
        for ((e, outcome, actual), v) in cases.iter().zip(&verdicts) {
            let (attr, _) = &e.expect[0];
            assert_eq!(v.outcome, *outcome, "{} {attr}: {v:?}", e.target.subject);
            assert_eq!(
                v.actual[attr.as_str()],
                *actual,
                "{} {attr}",
                e.target.subject
            );
        }
    }
}
