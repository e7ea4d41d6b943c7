//! `clv validate`: fit on the calibration window, predict the holdout, compare.

use anyhow::Result;
use clap::Args;

use crate::progress::Progress;

/// `clv validate` (arguments are filled in by the validation work).
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Transaction log.
    pub transactions: std::path::PathBuf,
}

/// Runs `clv validate`.
pub fn run(_args: &ValidateArgs, _progress: &Progress) -> Result<()> {
    Err(crate::error::usage(
        "clv validate is not built yet".to_string(),
    ))
}
