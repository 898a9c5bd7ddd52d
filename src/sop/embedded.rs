//! The shipped SOPs compiled into the binary (`checks/sops/*.md`), in file-name order. A test
//! (`library::tests`) fails when a file on disk is missing here.

macro_rules! sop {
    ($name:literal) => {
        (
            concat!("checks/sops/", $name),
            include_str!(concat!("../../checks/sops/", $name)),
        )
    };
}

/// `(name shown in messages, markdown text)` of every shipped SOP.
pub const EMBEDDED_SOPS: &[(&str, &str)] = &[
    sop!("account-files.md"),
    sop!("accounts.md"),
    sop!("app-service.md"),
    sop!("file-permissions.md"),
    sop!("kernel-modules.md"),
    sop!("kernel-sysctl.md"),
    sop!("legacy-packages.md"),
    sop!("logging.md"),
    sop!("mount-options.md"),
    sop!("network-listeners.md"),
    sop!("network-resolvers.md"),
    sop!("packages.md"),
    sop!("services.md"),
    sop!("ssh-crypto.md"),
    sop!("ssh-hardening.md"),
    sop!("sudoers.md"),
    sop!("time-sync.md"),
    sop!("tls-certificates.md"),
];
