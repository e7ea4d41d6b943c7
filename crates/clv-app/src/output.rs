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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

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
}
