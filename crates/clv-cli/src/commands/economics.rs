//! `clv economics`: unit economics (CAC, LTV:CAC, payback, formula LTV, cohorts).

use anyhow::Result;
use clap::Args;

use crate::progress::Progress;

/// `clv economics` (arguments are filled in by the economics work).
#[derive(Debug, Args)]
pub struct EconomicsArgs {
    /// Transaction log.
    pub transactions: std::path::PathBuf,
}

/// Runs `clv economics`.
pub fn run(_args: &EconomicsArgs, _progress: &Progress) -> Result<()> {
    Err(crate::error::usage(
        "clv economics is not built yet".to_string(),
    ))
}
