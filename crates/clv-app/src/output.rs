//! Writing files: every file the application layer writes goes through
//! [`write_file`], atomically (see [`clv_data::write_file_atomically`]).

use std::io::Write;
use std::path::Path;

use crate::error::Result;

/// Writes `path` atomically: `write` fills a temporary file beside it,
/// which replaces `path` only when everything succeeded.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> Result<()>,
) -> Result<()> {
    clv_data::write_file_atomically(path, write)
}

/// The files of one run, written as a set: each is written in full to a
/// temporary file beside its path when staged ([`OutputSet::stage`]), and
/// [`OutputSet::commit`] renames them all into place at the end. If the run
/// fails before the commit, dropping the set removes every temporary file
/// and no output of the run appears. (The renames themselves are one per
/// file within its directory; the files only appear together if none of them
/// fails, which after a successful staging would take the directory
/// vanishing mid-commit.)
#[derive(Debug, Default)]
pub struct OutputSet {
    staged: Vec<clv_data::StagedFile>,
}

impl OutputSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `path`'s content now, to a temporary file; it appears at
    /// `path` on [`OutputSet::commit`].
    ///
    /// # Errors
    ///
    /// `write`'s error, or an I/O error naming the file or its directory.
    pub fn stage(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut (dyn Write + Send)) -> Result<()>,
    ) -> Result<()> {
        self.staged.push(clv_data::stage_file(path, write)?);
        Ok(())
    }

    /// Adds a file staged elsewhere (for example on another thread, with
    /// [`clv_data::stage_file`]); it appears at its path on
    /// [`OutputSet::commit`].
    pub fn add(&mut self, file: clv_data::StagedFile) {
        self.staged.push(file);
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    /// Whether no file is staged.
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// Puts every staged file in place, in the order staged.
    ///
    /// # Errors
    ///
    /// An I/O error naming the file whose rename failed.
    pub fn commit(self) -> Result<()> {
        for f in self.staged {
            f.commit()?;
        }
        Ok(())
    }
}

/// Checks, before any data is read, that every output path can be written
/// and is not one of the inputs: its directory exists, it is not a
/// directory, and it is not (by canonical path) any of `inputs`. The error
/// names the user's path, never a temporary file.
pub fn check_outputs<'a>(
    outputs: impl IntoIterator<Item = &'a Path>,
    inputs: impl IntoIterator<Item = &'a Path> + Clone,
) -> Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    for out in outputs {
        if out.is_dir() {
            return Err(crate::error::usage(format!(
                "output {}: is a directory; give a file name",
                out.display()
            )));
        }
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(crate::error::usage(format!(
                "output {}: the directory {} does not exist",
                out.display(),
                dir.display()
            )));
        }
        if let Some(c) = canon(out) {
            for input in inputs.clone() {
                if canon(input).as_ref() == Some(&c) {
                    return Err(crate::error::usage(format!(
                        "output {} is the input {}; refusing to overwrite an input",
                        out.display(),
                        input.display()
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn an_output_set_shows_nothing_until_committed_and_nothing_after_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.svg");
        let mut set = OutputSet::new();
        set.stage(&a, |w| Ok(w.write_all(b"{}")?)).unwrap();
        assert!(
            !a.exists(),
            "a staged file is not in place before the commit"
        );
        // The second output fails (its directory is missing): the run stops
        // and drops the set, and the first output never appears.
        let bad = dir.path().join("missing").join("c.svg");
        assert!(set.stage(&bad, |w| Ok(w.write_all(b"<svg/>")?)).is_err());
        drop(set);
        assert!(!a.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temporary file left"
        );

        let mut set = OutputSet::new();
        set.stage(&a, |w| Ok(w.write_all(b"{}")?)).unwrap();
        set.stage(&b, |w| Ok(w.write_all(b"<svg/>")?)).unwrap();
        assert_eq!(set.len(), 2);
        set.commit().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"{}");
        assert_eq!(std::fs::read(&b).unwrap(), b"<svg/>");
    }

    #[test]
    fn failed_writes_leave_nothing_behind() {
        let dir = std::env::temp_dir().join(format!("clv-app-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        let err = write_file(&target, |w| {
            w.write_all(b"half")?;
            Err(Error::Failed("boom".into()))
        });
        assert!(err.is_err());
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        write_file(&target, |w| Ok(w.write_all(b"whole")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
        // An existing file stays whole when a rewrite fails.
        let _ = write_file(&target, |w| {
            w.write_all(b"partial")?;
            Err(Error::Failed("boom".into()))
        });
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn outputs_are_checked_before_anything_is_read() {
        let dir = std::env::temp_dir().join(format!("clv-app-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.csv");
        std::fs::write(&input, "x").unwrap();
        let same = dir.join(".").join("in.csv");
        let e = check_outputs([same.as_path()], [input.as_path()]).unwrap_err();
        assert!(
            e.is_user_error() && e.to_string().contains("refusing"),
            "{e}"
        );
        let missing = dir.join("nodir").join("out.csv");
        let e = check_outputs([missing.as_path()], [input.as_path()]).unwrap_err();
        assert!(
            e.to_string().contains("nodir") && !e.to_string().contains(".tmp"),
            "{e}"
        );
        let e = check_outputs([dir.as_path()], [input.as_path()]).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        check_outputs([dir.join("new.csv").as_path()], [input.as_path()]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
