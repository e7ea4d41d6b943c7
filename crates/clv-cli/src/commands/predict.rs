//! `clv predict`: P(alive), expected purchases, expected spend and CLV per customer.

use anyhow::{Context, Result};
use clv_core::value::{self, ValueSettings};

use crate::args::PredictArgs;
use crate::commands::common::{self, Fitted};
use crate::error::usage;
use crate::model_file::ModelFile;
use crate::progress::Progress;

/// Runs `clv predict`.
pub fn run(args: &PredictArgs, progress: &Progress) -> Result<()> {
    let (loaded, fitted) = match &args.model_file {
        Some(path) => {
            let file = ModelFile::read(path)?;
            if let Some(unit) = args.data.time_unit
                && unit != file.time_unit
            {
                return Err(usage(format!(
                    "--time-unit {unit} differs from the model's time unit {} ({})",
                    file.time_unit,
                    path.display()
                )));
            }
            let loaded = common::load(&args.data, Some(file.time_unit), progress)?;
            let fitted = Fitted::from_file(&file)?;
            (loaded, fitted)
        }
        None => {
            if args.model.model.is_none() {
                return Err(usage("give --model-file MODEL.json or --model bg-nbd"));
            }
            let loaded = common::load(&args.data, None, progress)?;
            let fitted = common::fit_models(&loaded, &args.model, progress)?;
            common::describe(&fitted.to_file(&loaded), progress);
            (loaded, fitted)
        }
    };
    let settings = ValueSettings::new(
        args.horizon,
        loaded.time_unit,
        args.discount_rate,
        args.margin,
    )
    .map_err(|e| usage(e.to_string()))?;
    let spend = fitted.expected_spend(&loaded, progress)?;
    let predictions = progress
        .stage(
            &format!(
                "predicted {} customers over {} (discount {}/year, margin {})",
                loaded.data.len(),
                args.horizon,
                args.discount_rate,
                args.margin
            ),
            || value::predict(&fitted.purchase.params, &loaded.data, &spend, &settings),
        )
        .context("prediction failed")?;
    common::write_predictions(&loaded, &predictions, &spend, &args.out, progress)
}
