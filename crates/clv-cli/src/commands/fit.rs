//! `clv fit`: fit the purchase (and spend) model and write it as JSON.

use std::io::Write;

use anyhow::Result;

use crate::args::{FitArgs, ModelName};
use crate::commands::common::{self, Loaded};
use crate::error::usage;
use crate::output::write_to;
use crate::progress::Progress;

/// Runs `clv fit`.
pub fn run(args: &FitArgs, progress: &Progress) -> Result<()> {
    let Some(name) = args.model.model else {
        return Err(usage(
            "--model is required (one of: bg-nbd, pareto-nbd, mbg-nbd, bg-bb, sbg, auto)",
        ));
    };
    if args.tables.subscriptions.is_some() && name != ModelName::Sbg {
        return Err(usage("--subscriptions is the input of --model sbg"));
    }
    match name {
        ModelName::Sbg => return crate::commands::sbg::run(args, progress),
        ModelName::Auto => return crate::commands::auto::run(args, progress),
        _ => {}
    }
    let kind = common::require_kind(name)?;
    let loaded: Loaded = common::load_input(&args.data, &args.tables, Some(kind), None, progress)?;
    let fitted = common::fit_models(&loaded, kind, &args.model, progress)?;
    let file = fitted.to_file(&loaded);
    write_to(args.output.as_deref(), |w: &mut dyn Write| {
        serde_json::to_writer_pretty(&mut *w, &file)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    common::describe(&file, progress);
    Ok(())
}
