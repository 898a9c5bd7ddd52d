//! Checks that no host runs because no host carries their target tags. One warning per
//! missing tag set (not one per check: the shipped library alone has ~26 tag-gated checks,
//! and a newcomer's first `driftscope run` must not open with a screen of warnings). For the
//! embedded library, where tag-gated checks are the design, one line in total.

use std::collections::BTreeMap;

/// One check that targets no host.
pub(crate) struct Untargeted {
    /// `file:line:col` of the check's `targets`.
    pub location: String,
    pub check_id: String,
    /// The tags no host has, or every target tag when each exists but no host has them all.
    pub tags: Vec<String>,
    /// `true` when each tag exists on some host, but no host carries all of them.
    pub only_together: bool,
}

/// The warnings for `list`, in the order their first check appears.
pub(crate) fn warnings(list: Vec<Untargeted>, embedded_library: bool) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    if embedded_library {
        let mut tags: Vec<&str> = list
            .iter()
            .flat_map(|u| u.tags.iter().map(String::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        return vec![format!(
            "note: {} of the shipped checks are for hosts tagged {} (none here) and do not run; \
             tag a host to enable them (README: \"The shipped check library\")",
            list.len(),
            tags.join(", ")
        )];
    }
    let mut groups: BTreeMap<(Vec<String>, bool), Vec<Untargeted>> = BTreeMap::new();
    let mut order: Vec<(Vec<String>, bool)> = Vec::new();
    for u in list {
        let k = (u.tags.clone(), u.only_together);
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(u);
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k).map(|g| (k, g)))
        .map(|((tags, together), group)| {
            let what = if together {
                format!("no host carries all of the target tags {}", tags.join(", "))
            } else {
                format!("no host has the target tag {}", tags.join(", "))
            };
            let checks = match group.as_slice() {
                [one] => format!("check `{}` will not run", one.check_id),
                many => {
                    let shown: Vec<String> = many
                        .iter()
                        .take(4)
                        .map(|u| format!("`{}`", u.check_id))
                        .collect();
                    let more = many.len().saturating_sub(4);
                    let tail = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    format!(
                        "{} checks will not run: {}{tail}",
                        many.len(),
                        shown.join(", ")
                    )
                }
            };
            format!("{}: warning: {what}; {checks}", group[0].location)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(loc: &str, id: &str, tags: &[&str]) -> Untargeted {
        Untargeted {
            location: loc.into(),
            check_id: id.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            only_together: false,
        }
    }

    #[test]
    fn one_line_per_missing_tag_with_the_first_location() {
        let w = warnings(
            vec![
                u("a.toml:3:1", "a.one", &["app"]),
                u("b.toml:9:1", "b.one", &["tls"]),
                u("a.toml:7:1", "a.two", &["app"]),
            ],
            false,
        );
        assert_eq!(
            w,
            [
                "a.toml:3:1: warning: no host has the target tag app; 2 checks will not run: `a.one`, `a.two`",
                "b.toml:9:1: warning: no host has the target tag tls; check `b.one` will not run",
            ]
        );
    }

    #[test]
    fn long_groups_are_cut_and_the_shipped_library_is_one_note() {
        let many: Vec<_> = (0..6)
            .map(|i| u("x.toml:1:1", &format!("c{i}"), &["app"]))
            .collect();
        let w = warnings(many, false);
        assert!(w[0].ends_with("6 checks will not run: `c0`, `c1`, `c2`, `c3` and 2 more"));
        let w = warnings(
            vec![u("x:1:1", "a", &["tls"]), u("x:2:1", "b", &["app", "tls"])],
            true,
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("note: 2 of the shipped checks are for hosts tagged app, tls"));
    }
}
