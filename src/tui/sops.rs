//! The SOPs the detail pane shows: the SOP library loaded with the configuration (before the
//! event loop starts, like the checks), and what fills each one's placeholders — the loaded
//! checks (for `for_each` names) and hosts (for `{vars.KEY}`). The text is the same markdown
//! `driftscope sop` prints and `o` hands to `$PAGER`.

use crate::config::Loaded;
use crate::model::{Check, Host, ResultRecord};
use crate::sop::{Placeholders, SopLibrary};
use std::collections::HashMap;

/// SOPs plus what fills them.
#[derive(Default)]
pub struct SopBook {
    library: SopLibrary,
    checks: HashMap<String, Check>,
    hosts: HashMap<(String, String), Host>,
}

impl SopBook {
    pub fn new(library: SopLibrary, loaded: &Loaded) -> SopBook {
        SopBook {
            library,
            checks: loaded
                .checks
                .iter()
                .map(|c| (c.id.clone(), c.clone()))
                .collect(),
            hosts: loaded
                .environments
                .iter()
                .flat_map(|e| {
                    e.hosts
                        .iter()
                        .map(|h| ((e.name.clone(), h.name.clone()), h.clone()))
                })
                .collect(),
        }
    }

    /// The SOP of `rec` as filled markdown, or why there is none (said plainly).
    pub fn markdown(&self, rec: &ResultRecord) -> Result<String, String> {
        let Some(id) = &rec.sop else {
            return Err(format!("no SOP: check {} does not name one", rec.check_id));
        };
        let Some(sop) = self.library.get(id) else {
            return Err(format!(
                "no SOP: check {} names {id:?}, but no SOP file has that id",
                rec.check_id
            ));
        };
        let key = rec.key.as_str();
        let values = match (
            self.checks.get(&rec.check_id),
            self.hosts.get(&(rec.environment.clone(), rec.host.clone())),
        ) {
            (Some(check), Some(host)) => {
                Placeholders::for_execution(check, &rec.environment, host, key)
            }
            // A stored result of a host or check no longer loaded: the built-ins still fill.
            _ => Placeholders::new(&rec.host, &rec.environment, &rec.check_id, key),
        };
        Ok(sop.to_markdown(&values))
    }
}
