//! Loading inventory and check files (TOML) with file:line:col errors, and planning: for_each expansion, templating, target selection.
