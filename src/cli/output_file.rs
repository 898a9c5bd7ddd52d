//! `run --output FILE`: the report goes to a temporary file beside FILE and is renamed into
//! place only when complete, so a reader (node_exporter's textfile collector, a CI step)
//! never sees half a report. The file is made world-readable (0644) like a normal output.

use std::fs::File;
use std::path::{Path, PathBuf};

pub struct AtomicOutput {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicOutput {
    /// Create the temporary file in FILE's directory.
    pub fn create(path: &Path) -> std::io::Result<AtomicOutput> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".driftscope-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(AtomicOutput {
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// A second handle to write the report through.
    pub fn writer(&self) -> std::io::Result<File> {
        self.tmp.reopen()
    }

    /// Rename into place (the temporary file is removed when this is not called).
    pub fn commit(self) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        self.tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        self.tmp
            .persist(&self.path)
            .map(|_| ())
            .map_err(|e| e.error)
    }
}
