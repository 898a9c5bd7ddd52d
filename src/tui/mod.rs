//! Interactive terminal UI. Owned by the TUI issue.
