//! The private directory holding a transport's ControlMaster sockets: created on first use
//! (a run that reaches no SSH host creates nothing), mode 0700, named
//! `driftscope-ssh-<pid>-XXXXXX` and removed on drop. A process killed before it could
//! remove its directory leaves it behind; the next transport removes such leftovers when
//! they are empty, older than a minute and their pid is gone.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

const PREFIX: &str = "driftscope-ssh-";
/// Leftovers younger than this are never touched (a process may be about to use it).
const STALE_AFTER: Duration = Duration::from_secs(60);

/// 0700: control sockets grant whoever can reach them a shell on the host.
pub fn private_mode() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o700)
}

/// `$XDG_RUNTIME_DIR` when usable, else the system temp dir.
pub fn default_parent() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

pub struct ControlDir {
    parent: PathBuf,
    dir: OnceLock<Result<tempfile::TempDir, String>>,
}

impl ControlDir {
    pub fn new(parent: PathBuf) -> ControlDir {
        ControlDir {
            parent,
            dir: OnceLock::new(),
        }
    }

    /// The directory, created on the first call.
    pub fn get(&self) -> Result<&Path, String> {
        self.dir
            .get_or_init(|| {
                remove_stale(&self.parent);
                tempfile::Builder::new()
                    .prefix(&format!("{PREFIX}{}-", std::process::id()))
                    .permissions(private_mode())
                    .tempdir_in(&self.parent)
                    .map_err(|e| {
                        format!(
                            "cannot create a private control directory in {}: {e}",
                            self.parent.display()
                        )
                    })
            })
            .as_ref()
            .map(|d| d.path())
            .map_err(Clone::clone)
    }

    /// The directory if it was created.
    pub fn created(&self) -> Option<&Path> {
        self.dir
            .get()
            .and_then(|r| r.as_ref().ok())
            .map(|d| d.path())
    }
}

/// Remove empty `driftscope-ssh-<pid>-*` directories of processes that no longer exist.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if old && !Path::new(&format!("/proc/{pid}")).exists() {
            // remove_dir fails on a non-empty directory: sockets in use are never removed.
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn created_on_first_use_private_and_removed_on_drop() {
        let parent = tempfile::tempdir().unwrap();
        let c = ControlDir::new(parent.path().to_path_buf());
        assert!(c.created().is_none());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
        let dir = c.get().unwrap().to_path_buf();
        assert_eq!(c.get().unwrap(), dir, "one directory per transport");
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!("driftscope-ssh-{}-", std::process::id())));
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        drop(c);
        assert!(!dir.exists());
    }

    #[test]
    fn only_old_empty_leftovers_of_dead_processes_are_removed() {
        let parent = tempfile::tempdir().unwrap();
        let p = parent.path();
        // pid 0 never names a live process here; our own pid does.
        let dead_empty = p.join("driftscope-ssh-0-aaaaaa");
        let dead_busy = p.join("driftscope-ssh-0-bbbbbb");
        let alive = p.join(format!("driftscope-ssh-{}-cccccc", std::process::id()));
        let other = p.join("something-else");
        for d in [&dead_empty, &dead_busy, &alive, &other] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(dead_busy.join("master"), "").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        for d in [&dead_empty, &dead_busy, &alive, &other] {
            std::fs::File::open(d).unwrap().set_modified(old).unwrap();
        }
        let fresh_dead = p.join("driftscope-ssh-0-dddddd");
        std::fs::create_dir(&fresh_dead).unwrap();
        remove_stale(p);
        assert!(!dead_empty.exists());
        assert!(dead_busy.exists() && alive.exists() && other.exists() && fresh_dead.exists());
    }
}
