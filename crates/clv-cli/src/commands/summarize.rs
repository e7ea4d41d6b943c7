//! `clv summarize`: the per-customer summary table.

use anyhow::Result;

use crate::args::SummarizeArgs;
use crate::commands::common;
use crate::progress::Progress;

/// Runs `clv summarize`.
pub fn run(args: &SummarizeArgs, progress: &Progress) -> Result<()> {
    let loaded = common::load(&args.data, None, progress)?;
    common::write_summary(&loaded, &args.out, progress)
}
