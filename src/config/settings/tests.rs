//! Precedence and origins: flags > environment > file > defaults.

use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| m.get(k).cloned()
}

fn file(text: &str) -> Result<ConfigFile, ConfigError> {
    ConfigFile::from_text(Path::new("/etc/ds/config.toml"), text)
}

#[test]
fn flags_beat_env_beat_file_beat_defaults() {
    let f = file("jobs = 8\ntimeout = \"2m\"\nenv = \"prod\"\ntheme = \"light\"\n").unwrap();
    let env = Layer::from_env(&env_of(&[
        ("DRIFTSCOPE_JOBS", "16"),
        ("DRIFTSCOPE_ENV", "dr"),
    ]))
    .unwrap();
    let flags = Layer {
        jobs: Some(32),
        ..Layer::default()
    };
    let s = Settings::resolve(
        Setting {
            value: Some(f.path.clone()),
            origin: Origin::Flag("--config"),
        },
        &flags,
        &env,
        Some(&f),
        PathBuf::from("/data/history.db"),
    );
    assert_eq!(
        (s.jobs.value, &s.jobs.origin),
        (32, &Origin::Flag("--jobs"))
    );
    assert_eq!(s.env.value.as_deref(), Some("dr"));
    assert_eq!(s.env.origin, Origin::Env("DRIFTSCOPE_ENV"));
    assert_eq!(s.timeout.value, Duration::from_secs(120));
    assert_eq!(
        s.timeout.origin.to_string(),
        "file /etc/ds/config.toml:2:11"
    );
    assert_eq!(s.theme.value, "light");
    assert_eq!(
        (s.connect_timeout.value, &s.connect_timeout.origin),
        (DEFAULT_CONNECT_TIMEOUT, &Origin::Default)
    );
    assert_eq!(s.db.value, PathBuf::from("/data/history.db"));
    assert_eq!(s.keep_connections.value, None);
    let rows = s.rows();
    assert!(
        rows.iter()
            .any(|r| r == &("jobs", "32".to_string(), "flag --jobs".to_string())),
        "{rows:?}"
    );
}

#[test]
fn file_paths_are_relative_to_the_file_and_globs_expand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ini"), "h\n").unwrap();
    std::fs::write(dir.path().join("b.ini"), "h\n").unwrap();
    let cfg = dir.path().join("config.toml");
    let f = ConfigFile::from_text(
        &cfg,
        "inventories = [\"*.ini\"]\nchecks = [\"checks\"]\ndb = \"h.db\"\n",
    )
    .unwrap();
    assert_eq!(
        f.values.inventories,
        Some(vec![dir.path().join("a.ini"), dir.path().join("b.ini")])
    );
    assert_eq!(f.values.checks, Some(vec![dir.path().join("checks")]));
    assert_eq!(f.values.db, Some(dir.path().join("h.db")));
    let e = ConfigFile::from_text(&cfg, "\ninventories = [\"*.yml\"]\n").unwrap_err();
    assert_eq!((e.line, e.col), (2, 15), "{e}");
    assert!(e.message.contains("matches no file"), "{e}");
}

#[test]
fn unknown_keys_and_bad_values_point_at_the_line() {
    let e = file("jobs = 8\ninventory = \"x\"\n").unwrap_err();
    assert_eq!((e.line, e.col), (2, 1), "{e}");
    assert!(e.message.contains("unknown field `inventory`"), "{e}");
    let e = file("jobs = 0\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/ds/config.toml:1:8: jobs: expected a number of hosts between 1 and 4096, found 0"
    );
    let e = file("timeout = \"soon\"\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/etc/ds/config.toml:1:11: timeout: expected a duration"),
        "{e}"
    );
    let e = file("keep_connections = \"10 parsecs\"\n").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    assert_eq!(
        file("keep_connections = \"10m\"\n")
            .unwrap()
            .values
            .keep_connections,
        Some(Duration::from_secs(600))
    );
}

#[test]
fn bad_environment_values_name_the_variable() {
    let e = Layer::from_env(&env_of(&[("DRIFTSCOPE_JOBS", "many")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "$DRIFTSCOPE_JOBS: expected a number of hosts between 1 and 4096"
    );
    let e = Layer::from_env(&env_of(&[("DRIFTSCOPE_TIMEOUT", "x")])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("$DRIFTSCOPE_TIMEOUT: expected a duration"),
        "{e}"
    );
}

#[test]
fn the_config_file_location() {
    let env = env_of(&[("DRIFTSCOPE_CONFIG", "/x/c.toml")]);
    let flag = config_location(Some(Path::new("/f.toml")), &env, None);
    assert_eq!(flag.origin, Origin::Flag("--config"));
    let by_env = config_location(None, &env, None);
    assert_eq!(
        (by_env.value, by_env.origin),
        (
            Some(PathBuf::from("/x/c.toml")),
            Origin::Env("DRIFTSCOPE_CONFIG")
        )
    );
    let missing_default = config_location(
        None,
        &env_of(&[]),
        Some(PathBuf::from("/nonexistent/c.toml")),
    );
    assert_eq!(missing_default.value, None);
}
