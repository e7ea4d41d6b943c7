//! `clv fit`: fit the purchase (and spend) model and write it as JSON.

use std::io::Write;

use anyhow::Result;

use crate::args::FitArgs;
use crate::commands::common::{self, Loaded};
use crate::error::usage;
use crate::output::write_to;
use crate::progress::Progress;

/// Runs `clv fit`.
pub fn run(args: &FitArgs, progress: &Progress) -> Result<()> {
    if args.model.model.is_none() {
        return Err(usage("--model is required (one of: bg-nbd)"));
    }
    let loaded: Loaded = common::load(&args.data, None, progress)?;
    let fitted = common::fit_models(&loaded, &args.model, progress)?;
    let file = fitted.to_file(&loaded);
    write_to(args.output.as_deref(), |w: &mut dyn Write| {
        serde_json::to_writer_pretty(&mut *w, &file)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    common::describe(&file, progress);
    Ok(())
}
