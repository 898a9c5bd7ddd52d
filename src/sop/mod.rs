//! SOP lookup and rendering (checks/sops/*.md). Filled by the SOP issue.
