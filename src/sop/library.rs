//! The SOP library: every `sops/*.md` next to the check files (or the shipped one compiled
//! into the binary), by id, plus the files that did not parse.

use super::{EMBEDDED_SOPS, Sop, SopError, parse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// SOPs by id, and one error per file that could not be read or parsed.
#[derive(Debug, Clone, Default)]
pub struct SopLibrary {
    sops: BTreeMap<String, Sop>,
    errors: Vec<SopError>,
}

impl SopLibrary {
    /// The shipped SOPs (`checks/sops/*.md` compiled into the binary): what goes with the
    /// embedded check library.
    pub fn embedded() -> SopLibrary {
        Self::from_texts(
            EMBEDDED_SOPS
                .iter()
                .map(|(n, t)| (n.to_string(), Ok(t.to_string()))),
        )
    }

    /// Every `*.md` in `dir`, in file-name order. A directory that does not exist is an empty
    /// library (checks without a SOP are listed by `driftscope checks`, not an error).
    pub fn load_dir(dir: &Path) -> SopLibrary {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return SopLibrary {
                    sops: BTreeMap::new(),
                    errors: vec![SopError::at(
                        &dir.display().to_string(),
                        0,
                        format!("cannot read the SOP directory: {e}"),
                    )],
                };
            }
        };
        paths.sort();
        Self::from_texts(paths.into_iter().map(|p| {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(&p)
                .map_err(|e| SopError::at(&name, 0, format!("cannot read: {e}")));
            (name, text)
        }))
    }

    /// The SOPs that go with a check source: the embedded library without `--checks`,
    /// `DIR/sops` for `--checks DIR`, and the `sops` directory next to a single check file.
    pub fn for_checks(checks: Option<&Path>) -> SopLibrary {
        match checks {
            None => Self::embedded(),
            Some(p) if p.is_file() => {
                Self::load_dir(&p.parent().unwrap_or(Path::new(".")).join("sops"))
            }
            Some(dir) => Self::load_dir(&dir.join("sops")),
        }
    }

    /// [`Self::for_checks`] over several check sources (`checks = [..]` in the config
    /// file, repeated `--checks`): their SOPs together; none = the embedded library.
    pub fn for_check_sources(sources: &[std::path::PathBuf]) -> SopLibrary {
        if sources.is_empty() {
            return Self::embedded();
        }
        let mut lib = SopLibrary::default();
        for s in sources {
            let one = Self::for_checks(Some(s));
            lib.sops.extend(one.sops);
            lib.errors.extend(one.errors);
        }
        lib
    }

    fn from_texts(files: impl Iterator<Item = (String, Result<String, SopError>)>) -> SopLibrary {
        let mut lib = SopLibrary::default();
        for (name, text) in files {
            match text.and_then(|t| parse(&name, &t)) {
                Ok(sop) => {
                    lib.sops.insert(sop.id.clone(), sop);
                }
                Err(e) => lib.errors.push(e),
            }
        }
        lib
    }

    /// The SOP a check names in `sop = "…"`.
    pub fn get(&self, id: &str) -> Option<&Sop> {
        self.sops.get(id)
    }

    /// Every parsed SOP, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Sop> {
        self.sops.values()
    }

    pub fn len(&self) -> usize {
        self.sops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sops.is_empty()
    }

    /// The files that could not be read or parsed (their SOPs are missing from the library).
    pub fn errors(&self) -> &[SopError] {
        &self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_library_parses_and_embeds_every_file() {
        let lib = SopLibrary::embedded();
        assert!(lib.errors().is_empty(), "{:?}", lib.errors());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/sops");
        let on_disk = SopLibrary::load_dir(&dir);
        assert!(on_disk.errors().is_empty(), "{:?}", on_disk.errors());
        let ids = |l: &SopLibrary| l.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&lib),
            ids(&on_disk),
            "every checks/sops/*.md must be listed in src/sop/embedded.rs"
        );
        assert!(lib.get("ssh-hardening").is_some());
    }

    #[test]
    fn a_directory_keeps_good_files_and_reports_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("demo.md"), super::super::parse::tests::GOOD).unwrap();
        std::fs::write(dir.path().join("broken.md"), "no front matter").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let lib = SopLibrary::load_dir(dir.path());
        assert_eq!(lib.len(), 1);
        assert!(lib.get("demo").is_some());
        assert_eq!(lib.errors().len(), 1);
        assert!(
            lib.errors()[0]
                .to_string()
                .contains("broken.md:1: expected `+++`")
        );
        assert!(SopLibrary::load_dir(&dir.path().join("none")).is_empty());
        let checks = dir.path().join("app.toml");
        std::fs::write(&checks, "").unwrap();
        std::fs::create_dir(dir.path().join("sops")).unwrap();
        std::fs::write(
            dir.path().join("sops/demo.md"),
            super::super::parse::tests::GOOD,
        )
        .unwrap();
        assert_eq!(SopLibrary::for_checks(Some(&checks)).len(), 1);
        assert_eq!(SopLibrary::for_checks(Some(dir.path())).len(), 1);
    }
}
