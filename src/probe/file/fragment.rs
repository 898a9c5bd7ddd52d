//! The `file` and `directory` modules' shell fragment: builtins classify each path, one `stat`
//! (plus one `stat -L` when a path is a symlink) for all paths, one `sha256sum` when wanted.

use super::super::Probe;
use super::super::quote::{sh_quote, sh_quote_all};
use super::wants_content;

/// The shell fragment shared by `file` and `directory`.
pub(crate) fn stat_fragment(probes: &[Probe]) -> String {
    let mut s = String::from(
        "ds_why() { d=${1%/*}; while [ -n \"$d\" ] && ! [ -d \"$d\" ]; do d=${d%/*}; done; \
         [ -n \"$d\" ] || d=/; if [ -x \"$d\" ]; then echo \"@$2 M\"; else echo \"@$2 D\"; fi; }\n\
         ds_links=0\n",
    );
    for (i, p) in probes.iter().enumerate() {
        let q = sh_quote(&p.subject);
        s.push_str(&format!(
            "if [ -L {q} ]; then ds_links=1; fi; \
             if [ -e {q} ]; then echo '@{i} E'; elif [ -L {q} ]; then echo '@{i} B'; else ds_why {q} {i}; fi\n"
        ));
        if wants_content(p) || p.wants("sha256") {
            s.push_str(&format!(
                "if [ -f {q} ] && [ -r {q} ]; then echo '@{i} R'; elif [ -e {q} ]; then echo '@{i} N'; fi\n"
            ));
        }
    }
    let all = sh_quote_all(probes.iter().map(|p| p.subject.as_str()));
    let fmt = "'@S\\0%n\\0%f\\0%U\\0%G\\0%s\\0%u\\0%g\\0%N\\0'";
    s.push_str(&format!(
        "echo '@@STAT'\nQUOTING_STYLE=literal stat --printf {fmt} -- {all} 2>/dev/null\n\
         if [ $ds_links = 1 ]; then echo '@@STATL'; QUOTING_STYLE=literal stat -L --printf {fmt} -- {all} 2>/dev/null; fi\n"
    ));
    let sha: Vec<&str> = probes
        .iter()
        .filter(|p| p.wants("sha256"))
        .map(|p| p.subject.as_str())
        .collect();
    if !sha.is_empty() {
        s.push_str(&format!(
            "echo '@@SHA'\nsha256sum -z -- {} 2>/dev/null\n",
            sh_quote_all(sha)
        ));
    }
    s.push_str("echo '@@END'");
    s
}
