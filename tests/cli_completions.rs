//! Shell completions and the man page, as a user installs them: the bash script sourced in
//! a real bash whose completion function is called the way readline calls it (so hosts,
//! environments, categories and check ids come from the inventory and checks on the command
//! line), every shell's script generated, and the man page rendered by groff without
//! warnings.

use assert_cmd::Command;
use std::path::Path;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_driftscope")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ansible")
        .join(name)
        .display()
        .to_string()
}

/// Complete the last word of `words` in a real bash with the script of
/// `driftscope completions bash` sourced; returns COMPREPLY.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <('{bin}' completions bash) || exit 9\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_driftscope driftscope \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin = bin(),
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("DRIFTSCOPE_CONFIG", "/dev/null")
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_and_values_from_the_inventory_and_checks() {
    assert_eq!(bash_complete(&["driftscope", "ru"]), ["run"]);
    let inv = fixture("docs-basic.ini");
    assert_eq!(
        bash_complete(&["driftscope", "run", "-i", &inv, "--host", "t"]),
        ["three.example.com", "two.example.com"]
    );
    assert_eq!(
        bash_complete(&["driftscope", "checks", "-i", &inv, "--env", ""]),
        ["docs-basic"]
    );
    let cats = bash_complete(&["driftscope", "run", "--category", ""]);
    assert!(
        cats.contains(&"ssh".to_string()) && cats.contains(&"kernel".to_string()),
        "{cats:?}"
    );
    let ids = bash_complete(&["driftscope", "run", "--check", "ssh."]);
    assert!(
        !ids.is_empty() && ids.iter().all(|i| i.starts_with("ssh.")),
        "{ids:?}"
    );
    // Positional values of `show HOST CHECK` too.
    assert_eq!(
        bash_complete(&["driftscope", "show", "-i", &inv, "ma"]),
        ["mail.example.com"]
    );
    // Flags complete as usual.
    assert!(
        bash_complete(&["driftscope", "run", "--inventory-c"])
            .contains(&"--inventory-cmd".to_string())
    );
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("bash", "complete -o nospace"),
        ("zsh", "compdef"),
        (
            "fish",
            "complete --keep-order --exclusive --command driftscope",
        ),
        ("elvish", "set edit:completion:arg-completer[driftscope]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = Command::new(bin())
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("COMPLETE"),
            "{shell} calls back into driftscope: {text}"
        );
    }
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(
            String::from_utf8_lossy(
                &Command::new(bin())
                    .args(["completions", "bash"])
                    .output()
                    .expect("runs")
                    .stdout,
            )
            .to_string(),
        )
        .status()
        .expect("bash");
    assert!(syntax.success());
    // A broken config file does not stop completions or the man page from being written.
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "nonsense = 1\n").expect("write");
    Command::new(bin())
        .args(["completions", "zsh"])
        .env("DRIFTSCOPE_CONFIG", &bad)
        .assert()
        .success();
    Command::new(bin())
        .arg("man")
        .env("DRIFTSCOPE_CONFIG", &bad)
        .assert()
        .success();
}

#[test]
fn the_man_page_renders_without_warnings() {
    let out = Command::new(bin()).arg("man").output().expect("runs");
    assert!(out.status.success());
    let roff = out.stdout;
    assert!(roff.starts_with(b".ie \\n(.g .ds Aq"), "roff");
    let mut groff = std::process::Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff is installed (scripts/test.sh installs groff-base)");
    {
        use std::io::Write;
        let mut stdin = groff.stdin.take().expect("stdin");
        stdin.write_all(&roff).expect("write");
    }
    let rendered = groff.wait_with_output().expect("groff");
    let text = String::from_utf8_lossy(&rendered.stdout).replace('\u{8}', "");
    assert_eq!(
        String::from_utf8_lossy(&rendered.stderr),
        "",
        "groff warnings"
    );
    for want in [
        "NAME",
        "SYNOPSIS",
        "--inventory-cmd",
        "SUBCOMMANDS",
        "driftscope-run(1)",
        "driftscope-config(1)",
    ] {
        assert!(
            text.contains(want)
                || text.contains(&want.chars().flat_map(|c| [c, c]).collect::<String>()),
            "{want} in {text}"
        );
    }
    let dir = tempfile::tempdir().expect("tmp");
    Command::new(bin())
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "driftscope.1",
        "driftscope-run.1",
        "driftscope-config.1",
        "driftscope-completions.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
}
