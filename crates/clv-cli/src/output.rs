//! Where results go: atomically to a file, or to stdout.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use clv_app::Result;
use clv_app::error::Context;

/// Writes to `path` atomically when given (see
/// [`clv_app::output::write_file`]), else to stdout.
pub fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match path {
        Some(p) => clv_app::output::write_file(p, |w| write(w)),
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            write(&mut w)?;
            w.flush().context("cannot write to stdout")?;
            Ok(())
        }
    }
}
