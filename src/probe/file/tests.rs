//! Unit tests of the file module: captured fixtures, files this test makes read by the real
//! probe script, and the evaluators.

use super::content::content_lines;
use super::*;
use serde_json::json;

fn attrs(o: &Observation) -> &Attributes {
    match o {
        Observation::Observed(a) => a,
        other => panic!("not observed: {other:?}"),
    }
}

/// Subjects of the captured fixture (see testdata/README.md).
fn fixture_probes() -> Vec<Probe> {
    let d = "/tmp/ds-fixture";
    vec![
        Probe::new(&format!("{d}/app.conf"), &["mode", "contains", "sha256"]),
        Probe::new(&format!("{d}/sp ace 'quoted\".conf"), &["contains"]),
        Probe::new(&format!("{d}/new\nline"), &["exists"]),
        Probe::new(&format!("{d}/link"), &["link_target", "mode"]),
        Probe::new(&format!("{d}/dangling"), &["exists"]),
        Probe::new(&format!("{d}/missing"), &["exists", "contains"]),
        Probe::new(&format!("{d}/secret/key"), &["exists"]),
        Probe::new(&format!("{d}/secret.key"), &["contains"]),
        Probe::new(&format!("{d}/dir"), &["mode"]),
        Probe::new(&format!("{d}/bin\u{fffd}ary"), &["exists"]),
        Probe::new(&format!("{d}/latin1link"), &["link_target"]),
    ]
}

#[test]
fn real_output_as_nobody() {
    let out = include_bytes!("../testdata/file/nobody.out");
    let p = fixture_probes();
    let obs = File.parse(out, &p);
    let a = attrs(&obs[0]);
    assert_eq!(a["type"], "file");
    assert_eq!(a["mode"], "0644");
    assert_eq!(a["owner"], "root");
    assert_eq!(a["size"], 45);
    assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
    let q = attrs(&obs[1]);
    assert_eq!(q["exists"], true);
    assert_eq!(content_lines(q)[0].1, "key = \"value with 'quotes'\"");
    assert_eq!(attrs(&obs[2])["exists"], true, "newline in name");
    let l = attrs(&obs[3]);
    assert_eq!(l["type"], "symlink");
    assert_eq!(l["link_target"], "app.conf");
    assert_eq!(l["mode"], "0644", "mode of the link's target");
    let d = attrs(&obs[4]);
    assert_eq!(d["exists"], false);
    assert_eq!(d["type"], "symlink");
    assert_eq!(d["link_target"], "nowhere");
    assert_eq!(attrs(&obs[5])["exists"], false);
    assert!(
        matches!(&obs[6], Observation::Error(e) if e.contains("not searchable")),
        "{:?}",
        obs[6]
    );
    let k = attrs(&obs[7]);
    assert_eq!(
        k["mode"], "0600",
        "the mode of an unreadable file is still known"
    );
    assert!(
        k["_error:contains"]
            .as_str()
            .unwrap()
            .contains("permission denied reading")
    );
    assert_eq!(attrs(&obs[8])["type"], "directory");
    assert_eq!(attrs(&obs[8])["mode"], "1750");
    assert_eq!(attrs(&obs[9])["exists"], false);
    assert!(
        attrs(&obs[10])["link_target"]
            .as_str()
            .unwrap()
            .contains('\u{fffd}'),
        "non-UTF-8 target is shown lossily"
    );
}

#[test]
fn real_output_as_root_reads_what_nobody_could_not() {
    let out = include_bytes!("../testdata/file/root.out");
    let obs = File.parse(out, &fixture_probes());
    assert_eq!(attrs(&obs[6])["exists"], true, "secret/key");
    let k = attrs(&obs[7]);
    assert_eq!(k["mode"], "0600");
    assert_eq!(content_lines(k), vec![(1, "s".to_string())]);
}

#[test]
fn contains_miss_shows_the_nearest_line() {
    let out = include_bytes!("../testdata/file/nobody.out");
    let obs = File.parse(out, &fixture_probes());
    let a = attrs(&obs[0]);
    let hit = File.evaluate(
        a,
        "contains",
        &Matcher::parse(&json!(["^listen_port=8080$"])).unwrap(),
    );
    assert!(hit.ok, "{:?}", hit.actual);
    assert_eq!(hit.actual, json!(["line 2: listen_port=8080"]));
    let miss = File.evaluate(
        a,
        "contains",
        &Matcher::parse(&json!(["^log_level=info$"])).unwrap(),
    );
    assert!(!miss.ok);
    let text = miss.actual.to_string();
    assert!(text.contains("nearest: line 1: log_level=debug"), "{text}");
    let not = File.evaluate(
        a,
        "not_contains",
        &Matcher::parse(&json!(["debug"])).unwrap(),
    );
    assert!(!not.ok);
    assert_eq!(not.actual, json!(["line 1: log_level=debug"]));
    let gone = File.evaluate(
        attrs(&obs[5]),
        "contains",
        &Matcher::parse(&json!(["x"])).unwrap(),
    );
    assert_eq!(gone.actual, json!("file does not exist"));
}

#[test]
fn mode_compares_as_octal() {
    let a = Attributes::from([("mode".to_string(), json!("0644"))]);
    for ok in [json!("0644"), json!("644"), json!(644)] {
        assert!(evaluate_mode(&a, &Matcher::parse(&ok).unwrap()).ok, "{ok}");
    }
    assert!(!evaluate_mode(&a, &Matcher::parse(&json!("0600")).unwrap()).ok);
    assert!(
        evaluate_mode(
            &a,
            &Matcher::parse(&json!({"in": ["0600", "0644"]})).unwrap()
        )
        .ok
    );
}

#[test]
fn garbled_and_cut_output_is_error_not_panic() {
    let p = fixture_probes();
    let full = include_bytes!("../testdata/file/nobody.out");
    for cut in [0, 10, 40, 200, full.len() / 2, full.len() - 3] {
        let obs = File.parse(&full[..cut], &p);
        assert_eq!(obs.len(), p.len());
    }
    let obs = File.parse(b"\xff\xfe@@STAT\n@S\0/x\0zz", &p);
    assert!(obs.iter().all(|o| matches!(o, Observation::Error(_))));
}

#[test]
fn validation_messages() {
    assert!(File.validate_subject("/etc/passwd").is_ok());
    let e = File.validate_subject("etc/passwd").unwrap_err();
    assert!(e.contains("absolute path"), "{e}");
    assert!(
        File.validate_expect("contains", &json!(["^a$", "b"]))
            .is_ok()
    );
    let e = File.validate_expect("contains", &json!(["("])).unwrap_err();
    assert!(e.contains("invalid regex"), "{e}");
}

#[test]
fn files_this_test_made_are_seen_by_the_real_probe() {
    use crate::model::Outcome;
    use crate::probe::test_support::{exec, run_here};
    use sha2::Digest;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let conf = format!("{d}/my 'app'.conf");
    let body = "a=1\nlog_level = debug\n# comment\n";
    std::fs::write(&conf, body).unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o640)).unwrap();
    let sub = format!("{d}/sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o750)).unwrap();
    symlink(&conf, format!("{d}/link")).unwrap();
    symlink(format!("{d}/nowhere"), format!("{d}/broken")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(format!("{d}/fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let _socket = std::os::unix::net::UnixListener::bind(format!("{d}/sock")).unwrap();
    let meta = std::fs::metadata(&conf).unwrap();
    let me = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let me = String::from_utf8_lossy(&me.stdout).trim().to_string();
    let sha = format!("{:x}", sha2::Sha256::digest(body.as_bytes()));
    let f = |path: &str, attr: &str, want: Value| exec(ModuleKind::File, path, &[(attr, want)]);
    let link = format!("{d}/link");
    let cases = [
        (f(&conf, "exists", true.into()), Outcome::Pass, json!(true)),
        (
            f(&conf, "type", "file".into()),
            Outcome::Pass,
            json!("file"),
        ),
        (f(&conf, "mode", 640.into()), Outcome::Pass, json!("0640")),
        (
            f(&conf, "mode", "0644".into()),
            Outcome::Fail,
            json!("0640"),
        ),
        (
            f(&conf, "size", body.len().into()),
            Outcome::Pass,
            json!(body.len()),
        ),
        (
            f(&conf, "sha256", sha.clone().into()),
            Outcome::Pass,
            json!(sha),
        ),
        (
            f(&conf, "uid", meta.uid().into()),
            Outcome::Pass,
            json!(meta.uid()),
        ),
        (
            f(&conf, "gid", meta.gid().into()),
            Outcome::Pass,
            json!(meta.gid()),
        ),
        (
            f(&conf, "owner", me.clone().into()),
            Outcome::Pass,
            json!(me),
        ),
        (
            f(&conf, "contains", r"^log_level\s*=\s*debug$".into()),
            Outcome::Pass,
            json!(["line 2: log_level = debug"]),
        ),
        (
            f(&conf, "contains", "^log_level = info".into()),
            Outcome::Fail,
            json!(["no line matches \"^log_level = info\"; nearest: line 2: log_level = debug"]),
        ),
        (
            f(&conf, "not_contains", json!(["^a=", "^#"])),
            Outcome::Fail,
            json!(["line 1: a=1", "line 3: # comment"]),
        ),
        (
            f(&conf, "not_contains", "^b=".into()),
            Outcome::Pass,
            json!(["no line matches (3 lines read)"]),
        ),
        (
            f(&link, "type", "symlink".into()),
            Outcome::Pass,
            json!("symlink"),
        ),
        (
            f(&link, "link_target", conf.clone().into()),
            Outcome::Pass,
            json!(conf),
        ),
        (
            f(&link, "mode", "0640".into()),
            Outcome::Pass,
            json!("0640"),
        ),
        (
            f(&link, "contains", "^a=1$".into()),
            Outcome::Pass,
            json!(["line 1: a=1"]),
        ),
        (
            f(&format!("{d}/broken"), "exists", false.into()),
            Outcome::Pass,
            json!(false),
        ),
        (
            f(&format!("{d}/broken"), "type", "symlink".into()),
            Outcome::Pass,
            json!("symlink"),
        ),
        (
            f(&format!("{d}/nowhere"), "exists", true.into()),
            Outcome::Fail,
            json!(false),
        ),
        (
            f(&format!("{d}/no/such"), "mode", "0640".into()),
            Outcome::Fail,
            Value::Null,
        ),
        (
            f(&sub, "type", "directory".into()),
            Outcome::Pass,
            json!("directory"),
        ),
        (f(&sub, "mode", "0750".into()), Outcome::Pass, json!("0750")),
        (
            f(&format!("{d}/fifo"), "type", "fifo".into()),
            Outcome::Pass,
            json!("fifo"),
        ),
        (
            f(&format!("{d}/sock"), "type", "socket".into()),
            Outcome::Pass,
            json!("socket"),
        ),
        (
            f("/dev/null", "type", "char_device".into()),
            Outcome::Pass,
            json!("char_device"),
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
    // Content of a directory: an error for that check, naming what the path is.
    let v = run_here(&[f(&sub, "sha256", "x".into())]);
    assert_eq!(v[0].outcome, Outcome::Error);
    assert_eq!(
        v[0].reason.as_deref(),
        Some(format!("{sub:?} is a directory, not a regular file").as_str())
    );
}

#[test]
fn contract_allow_list_attributes_and_cost() {
    crate::probe::test_support::assert_contract(
        ModuleKind::File,
        Programs::Only(&["stat", "sha256sum"]),
        &[
            "exists",
            "type",
            "mode",
            "owner",
            "group",
            "uid",
            "gid",
            "size",
            "sha256",
            "link_target",
            "contains",
            "not_contains",
        ],
        ("exists", Value::Bool(true)),
    );
    let plain = [Probe::new("/etc/hosts", &["mode"])];
    let sha = [
        Probe::new("/etc/hosts", &["mode"]),
        Probe::new("/etc/passwd", &["sha256"]),
    ];
    assert_eq!(File.cost(&plain), 1, "one stat");
    assert_eq!(File.cost(&sha), 2, "stat and sha256sum");
    assert!(File.validate_subject("/etc/a\0b").is_err(), "NUL in a path");
    assert!(
        File.validate_expect("mode", &json!("(")).is_ok(),
        "only contains/not_contains hold regexes"
    );
}

/// Only a check naming `contains`/`not_contains` makes the host read a file's lines.
#[test]
fn only_content_checks_read_the_file() {
    let probes = [
        Probe::new("/etc/hosts", &["mode", "sha256"]),
        Probe::new("/etc/motd", &["not_contains"]),
        Probe::new("/etc/issue", &["contains", "exists"]),
    ];
    assert_eq!(
        File.reads(&probes),
        vec![
            Read::Content("/etc/motd".into()),
            Read::Content("/etc/issue".into())
        ]
    );
    assert!(File.reads(&probes[..1]).is_empty());
    let text = File.fragment(&probes[..1]);
    assert!(text.contains("sha256sum -z -- '/etc/hosts'"), "{text}");
    let text = File.fragment(&[Probe::new("/etc/hosts", &["mode"])]);
    assert!(!text.contains("sha256sum"), "{text}");
    assert!(!text.contains("@0 R"), "no readability test: {text}");
}

/// A `contains` miss quotes the nearest lines, except for a secret check or a sensitive path
/// (a `*key*` path, the shadow files) that does not say `secret = false`.
#[test]
fn nearest_lines_are_withheld_from_secrets_and_key_files() {
    let observed = Attributes::from([
        ("exists".to_string(), json!(true)),
        ("_content".to_string(), json!([[1, "token = abc123"]])),
    ]);
    let matcher = Matcher::parse(&json!("^token = xyz$")).unwrap();
    let shows = |subject: &str, secret: Option<bool>| {
        let context = EvalContext { subject, secret };
        let v = File.evaluate_in(&context, &observed, "contains", &matcher);
        assert!(!v.ok);
        v.actual.to_string().contains("abc123")
    };
    assert!(shows("/srv/app.conf", None));
    assert!(shows("/srv/app.conf", Some(false)));
    assert!(!shows("/srv/app.conf", Some(true)), "secret = true");
    assert!(!shows("/etc/ssl/server.key", None), "a key file");
    assert!(shows("/etc/ssl/server.key", Some(false)), "secret = false");
    // Other attributes evaluate as usual, mode as octal.
    let a = Attributes::from([("mode".to_string(), json!("0644"))]);
    let context = EvalContext {
        subject: "/srv/app.conf",
        secret: None,
    };
    let v = File.evaluate_in(&context, &a, "mode", &Matcher::parse(&json!(644)).unwrap());
    assert!(v.ok);
    assert_eq!(v.actual, json!("0644"));
}

/// `secret = true`: the content-derived values of a real file leave the probe only as
/// salted hashes; mode and size stay visible.
#[test]
fn a_secret_file_shows_only_hashes_of_its_content() {
    use crate::probe::test_support::{exec, run_here};
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}/token", dir.path().to_str().unwrap());
    std::fs::write(&path, "token = abc123\n").unwrap();
    let mut e = exec(
        ModuleKind::File,
        &path,
        &[
            ("contains", json!("^token = ")),
            ("not_contains", json!("abc")),
            ("sha256", json!("0")),
            ("size", json!(15)),
        ],
    );
    e.secret = Some(true);
    let v = &run_here(&[e])[0];
    let text = v.actual.to_string();
    assert!(!text.contains("abc123"), "{text}");
    for attr in ["contains", "not_contains", "sha256"] {
        let shown = v.actual[attr].as_str().unwrap_or("");
        assert!(shown.starts_with("[redacted:"), "{attr}: {text}");
    }
    assert_eq!(v.actual["size"], json!(15));
}

/// One `stat --printf` record as the fragment's format prints it.
fn stat_record(path: &str, raw_mode_hex: &str, owner: &str, uid: &str, quoted: &str) -> Vec<u8> {
    let mut r = b"@S\0".to_vec();
    for f in [path, raw_mode_hex, owner, "", "7", uid, "10", quoted] {
        r.extend_from_slice(f.as_bytes());
        r.push(0);
    }
    r
}

/// Output in the fragment's format for `paths` (all `E`xisting), lstat records `lstat`, an
/// optional `stat -L` section and a tail.
fn stat_output(paths: usize, lstat: &[Vec<u8>], statl: Option<&[Vec<u8>]>, tail: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..paths {
        out.extend_from_slice(format!("@{i} E\n").as_bytes());
    }
    out.extend_from_slice(b"@@STAT\n");
    for r in lstat {
        out.extend_from_slice(r);
    }
    if let Some(records) = statl {
        out.extend_from_slice(b"@@STATL\n");
        for r in records {
            out.extend_from_slice(r);
        }
    }
    out.extend_from_slice(tail.as_bytes());
    out
}

/// Every file type `stat` reports (a block device too, which this box's tests cannot make),
/// and an owner or group without a name shown as its number.
#[test]
fn every_file_type_and_nameless_owners() {
    let types = [
        ("c1ed", "socket"),
        ("a1ff", "symlink"),
        ("81a4", "file"),
        ("61b0", "block_device"),
        ("41ed", "directory"),
        ("21b6", "char_device"),
        ("11a4", "fifo"),
        ("f1a4", "unknown"),
    ];
    let probes: Vec<Probe> = types
        .iter()
        .map(|(_, t)| Probe::new(&format!("/x/{t}"), &["type"]))
        .collect();
    let records: Vec<Vec<u8>> = types
        .iter()
        .map(|(hex, t)| {
            stat_record(
                &format!("/x/{t}"),
                hex,
                "UNKNOWN",
                "1234",
                &format!("/x/{t}"),
            )
        })
        .collect();
    let out = stat_output(types.len(), &records, Some(&records), "@@END\n");
    let obs = File.parse(&out, &probes);
    for (i, (hex, t)) in types.iter().enumerate() {
        let a = attrs(&obs[i]);
        assert_eq!(a["type"], *t, "raw mode {hex}");
        assert_eq!(a["owner"], "1234", "UNKNOWN owner shows the uid");
        assert_eq!(a["group"], "10", "an empty group name shows the gid");
        assert_eq!(a["uid"], 1234);
        assert_eq!(a["size"], 7);
    }
    assert_eq!(attrs(&obs[3])["mode"], "0660", "block device permissions");
}

/// A symlink whose target `stat -L` did not answer, and `sha256sum` that did not answer: each
/// says which of the two happened (output cut short, or the tool ran and said nothing).
#[test]
fn missing_answers_say_why() {
    let link = stat_record("/x/link", "a1ff", "root", "0", "/x/link -> /x/t");
    let probes = [Probe::new("/x/link", &["mode"])];
    let no_statl = stat_output(1, std::slice::from_ref(&link), None, "@@END\n");
    let obs = File.parse(&no_statl, &probes);
    assert!(
        matches!(&obs[0], Observation::Error(e) if e.contains("stat -L did not run")),
        "{obs:?}"
    );
    let silent = stat_output(1, std::slice::from_ref(&link), Some(&[]), "@@END\n");
    let obs = File.parse(&silent, &probes);
    assert!(
        matches!(&obs[0], Observation::Error(e) if e.contains("stat -L gave no answer")),
        "{obs:?}"
    );
    // Garbage before a marker: the parser finds the marker on its own line.
    let target = stat_record("/x/link", "81e4", "root", "0", "/x/link");
    let mut noisy = stat_output(1, std::slice::from_ref(&link), None, "noise\n@@STATL\n");
    noisy.extend_from_slice(&target);
    noisy.extend_from_slice(b"@@END\n");
    let obs = File.parse(&noisy, &probes);
    assert_eq!(attrs(&obs[0])["mode"], "0744", "{obs:?}");
    assert_eq!(attrs(&obs[0])["link_target"], "/x/t");

    let file = stat_record("/x/f", "81a4", "root", "0", "/x/f");
    let probes = [Probe::new("/x/f", &["sha256"])];
    let head = b"@0 E\n@0 R\n@@STAT\n".to_vec();
    let cut = [head.clone(), file.clone()].concat();
    let obs = File.parse(&cut, &probes);
    assert_eq!(
        attrs(&obs[0])["_error:sha256"],
        "sha256 of \"/x/f\" missing (output cut short)"
    );
    let unread = [head.clone(), file.clone(), b"@@SHA\n@@END\n".to_vec()].concat();
    let obs = File.parse(&unread, &probes);
    assert_eq!(
        attrs(&obs[0])["_error:sha256"],
        "sha256sum could not read \"/x/f\""
    );
    let hash = "a".repeat(64);
    let read = [
        head,
        file,
        format!("@@SHA\n{hash}  /x/f\0@@END\n").into_bytes(),
    ]
    .concat();
    let obs = File.parse(&read, &probes);
    assert_eq!(attrs(&obs[0])["sha256"], json!(hash));
}

/// `mode` as a check writes it, through the module's evaluator: "644", "0644" and 644 all
/// mean rw-r--r--, a string compared as octal, not as text.
#[test]
fn the_evaluator_reads_mode_as_octal() {
    let a = Attributes::from([("mode".to_string(), json!("0644"))]);
    for declared in [json!("644"), json!("0o644"), json!({"in": ["600", "644"]})] {
        let v = File.evaluate(&a, "mode", &Matcher::parse(&declared).unwrap());
        assert!(v.ok, "{declared}");
        assert_eq!(v.actual, json!("0644"));
    }
    assert!(
        !File
            .evaluate(&a, "mode", &Matcher::parse(&json!("640")).unwrap())
            .ok
    );
}
