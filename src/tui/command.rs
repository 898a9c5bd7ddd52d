//! `:` command mode: parsing a command line and completing command names and arguments.
//! Pure functions; the reducer applies the parsed [`Command`].

/// A parsed `:` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:env NAME`
    Env(String),
    /// `:host [NAME]` (no name = all hosts)
    Host(Option<String>),
    /// `:cat [NAME]` (no name = all categories)
    Cat(Option<String>),
    Run,
    Recheck,
    Failures,
    Theme(String),
    /// `:drift [host|check|category]`
    Drift(Option<String>),
    /// `:history`: the Runs screen.
    History,
    /// `:diff A B`: transitions from run A to run B (ids or unique prefixes).
    Diff(String, String),
    /// `:compare ENV`
    Compare(String),
    Quit,
}

/// Command names offered by completion, with whether they take an argument.
pub const COMMANDS: [(&str, bool); 12] = [
    ("env", true),
    ("host", true),
    ("cat", true),
    ("run", false),
    ("recheck", false),
    ("failures", false),
    ("theme", true),
    ("drift", true),
    ("history", false),
    ("diff", true),
    ("compare", true),
    ("q", false),
];

const USAGE: &str = "commands: :env NAME, :host NAME, :cat NAME, :run, :recheck, :failures, \
                     :theme NAME, :drift [host|check|category], :history, :diff A B, \
                     :compare ENV, :q";

/// Parse `env prod` (without the leading `:`).
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim().trim_start_matches(':');
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    let arg_opt = (!arg.is_empty()).then(|| arg.to_string());
    let need = |what: &str| -> Result<String, String> {
        arg_opt
            .clone()
            .ok_or_else(|| format!(":{name} needs {what}"))
    };
    match name {
        "env" => need("an environment name").map(Command::Env),
        "host" => Ok(Command::Host(arg_opt)),
        "cat" | "category" => Ok(Command::Cat(arg_opt)),
        "run" => Ok(Command::Run),
        "recheck" => Ok(Command::Recheck),
        "failures" => Ok(Command::Failures),
        "theme" => need("a theme name or path").map(Command::Theme),
        "drift" => Ok(Command::Drift(arg_opt)),
        "history" => Ok(Command::History),
        "compare" => need("an environment name").map(Command::Compare),
        "diff" => match arg.split_whitespace().collect::<Vec<_>>().as_slice() {
            [a, b] => Ok(Command::Diff(a.to_string(), b.to_string())),
            _ => Err(":diff needs two run ids (older first), e.g. :diff 2026 3f2a".to_string()),
        },
        "q" | "quit" => Ok(Command::Quit),
        "" => Err(USAGE.to_string()),
        other => Err(format!("unknown command :{other} ({USAGE})")),
    }
}

fn common_prefix(items: &[&String]) -> String {
    let Some(first) = items.first() else {
        return String::new();
    };
    let mut len = first.len();
    for s in items.iter().skip(1) {
        len = len.min(
            first
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a.eq_ignore_ascii_case(b))
                .last()
                .map(|((i, a), _)| i + a.len_utf8())
                .unwrap_or(0),
        );
    }
    first[..len].to_string()
}

/// The result of pressing tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub line: String,
    /// Every candidate matching what was typed (shown to the user).
    pub candidates: Vec<String>,
}

/// Complete the command name, or its argument from `args_for(command)`. With several
/// candidates, extend to their common prefix; pressing tab again on that prefix cycles
/// through them (`cycle` counts the presses).
pub fn complete(line: &str, args_for: &dyn Fn(&str) -> Vec<String>, cycle: usize) -> Completion {
    let (head, word, candidates, suffix): (String, &str, Vec<String>, &str) =
        match line.split_once(' ') {
            None => {
                let c: Vec<String> = COMMANDS
                    .iter()
                    .filter(|(n, _)| n.starts_with(line))
                    .map(|(n, _)| n.to_string())
                    .collect();
                let suffix = match c.as_slice() {
                    [only] if COMMANDS.iter().any(|(n, arg)| n == only && *arg) => " ",
                    _ => "",
                };
                (String::new(), line, c, suffix)
            }
            Some((cmd, arg)) => {
                let lower = arg.to_lowercase();
                let c: Vec<String> = args_for(cmd)
                    .into_iter()
                    .filter(|a| a.to_lowercase().starts_with(&lower))
                    .collect();
                (format!("{cmd} "), arg, c, "")
            }
        };
    let line_out = match candidates.as_slice() {
        [] => line.to_string(),
        [only] => format!("{head}{only}{suffix}"),
        many => {
            let refs: Vec<&String> = many.iter().collect();
            let prefix = common_prefix(&refs);
            if prefix.len() > word.len() {
                format!("{head}{prefix}")
            } else {
                let pick = &many[cycle % many.len()];
                format!("{head}{pick}")
            }
        }
    };
    Completion {
        line: line_out,
        candidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &str) -> Vec<String> {
        match cmd {
            "host" => vec!["db-01".into(), "db-02".into(), "web-01".into()],
            "theme" => vec!["default".into(), "light".into(), "high-contrast".into()],
            _ => vec![],
        }
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("env prod"), Ok(Command::Env("prod".into())));
        assert_eq!(
            parse(":host  db-01 "),
            Ok(Command::Host(Some("db-01".into())))
        );
        assert_eq!(parse("host"), Ok(Command::Host(None)));
        assert_eq!(parse("cat ssh"), Ok(Command::Cat(Some("ssh".into()))));
        assert_eq!(parse("run"), Ok(Command::Run));
        assert_eq!(parse("recheck"), Ok(Command::Recheck));
        assert_eq!(parse("failures"), Ok(Command::Failures));
        assert_eq!(parse("theme light"), Ok(Command::Theme("light".into())));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert!(parse("env").unwrap_err().contains("needs an environment"));
        assert!(
            parse("frobnicate")
                .unwrap_err()
                .starts_with("unknown command :frobnicate")
        );
    }

    #[test]
    fn completes_command_names_and_arguments() {
        assert_eq!(complete("th", &args, 0).line, "theme ");
        assert_eq!(complete("r", &args, 0).candidates, ["run", "recheck"]);
        assert_eq!(complete("re", &args, 0).line, "recheck");
        assert_eq!(complete("host w", &args, 0).line, "host web-01");
        assert_eq!(complete("host d", &args, 0).line, "host db-0");
        assert_eq!(complete("host db-0", &args, 0).line, "host db-01");
        assert_eq!(complete("host db-0", &args, 1).line, "host db-02");
        assert_eq!(complete("host x", &args, 0).line, "host x");
    }
}
