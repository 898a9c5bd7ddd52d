//! The defaults compiled into the binary: used when no `--inventory` / `--checks` is given
//! (flags always win; a `./checks` directory is NOT picked up implicitly, so a run means the
//! same thing wherever it is started).

/// `(name shown in messages, TOML text)` of the default inventory: this machine.
pub const EMBEDDED_INVENTORY: (&str, &str) = (
    "inventory/local.toml",
    include_str!("../../inventory/local.toml"),
);

/// The shipped check library, one file per category, in file-name order.
pub const EMBEDDED_CHECKS: &[(&str, &str)] = &[
    (
        "checks/accounts.toml",
        include_str!("../../checks/accounts.toml"),
    ),
    ("checks/app.toml", include_str!("../../checks/app.toml")),
    (
        "checks/certificates.toml",
        include_str!("../../checks/certificates.toml"),
    ),
    (
        "checks/filesystem.toml",
        include_str!("../../checks/filesystem.toml"),
    ),
    (
        "checks/kernel.toml",
        include_str!("../../checks/kernel.toml"),
    ),
    (
        "checks/logging.toml",
        include_str!("../../checks/logging.toml"),
    ),
    (
        "checks/network.toml",
        include_str!("../../checks/network.toml"),
    ),
    (
        "checks/packages.toml",
        include_str!("../../checks/packages.toml"),
    ),
    (
        "checks/services.toml",
        include_str!("../../checks/services.toml"),
    ),
    ("checks/ssh.toml", include_str!("../../checks/ssh.toml")),
    ("checks/time.toml", include_str!("../../checks/time.toml")),
];
