//! One function per subcommand: flags to settings, the application layer's
//! use case, and the result written where the flags say.

use std::io::Write;

use anyhow::Result;
use clv_app::Progress;
use clv_app::fit::FitOutput;
use clv_app::settings::ValidateFormat;

use crate::args::{
    EconomicsArgs, FitArgs, OutputArgs, PredictArgs, SimulateArgs, SummarizeArgs, ValidateArgs,
};
use crate::output::write_to;

/// Writes a table to `--output` (or stdout) in the format the flags ask for.
fn write_table(table: clv_data::Table, out: &OutputArgs, progress: &dyn Progress) -> Result<()> {
    let format = out.table_format();
    let rows = table.num_rows();
    progress.stage(&format!("wrote {rows} rows"), || {
        clv_data::write_table(&table, out.output.as_deref(), format)
    })?;
    Ok(())
}

/// Writes text to `path` (or stdout).
fn write_text(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    write_to(path, |w: &mut dyn Write| Ok(w.write_all(text.as_bytes())?))?;
    Ok(())
}

/// `clv summarize`.
pub fn summarize(args: &SummarizeArgs, progress: &dyn Progress) -> Result<()> {
    let summary = clv_app::load::summarize(&args.data.settings()?, progress)?;
    write_table(summary.to_table(), &args.out, progress)
}

/// `clv fit`.
pub fn fit(args: &FitArgs, progress: &dyn Progress) -> Result<()> {
    let out = clv_app::fit::fit(&args.settings()?, progress)?;
    write_text(args.output.as_deref(), &out.to_json()?)?;
    if let FitOutput::Model(file) = &out {
        clv_app::fitting::describe(file, progress);
        clv_app::fitting::report_verdict(file, progress);
    }
    Ok(())
}

/// `clv predict`.
pub fn predict(args: &PredictArgs, progress: &dyn Progress) -> Result<()> {
    let prediction = clv_app::predict::predict(&args.settings()?, progress)?;
    write_table(prediction.into_table(), &args.out, progress)
}

/// `clv simulate`.
pub fn simulate(args: &SimulateArgs, progress: &dyn Progress) -> Result<()> {
    let settings = args.settings();
    let mut done = None;
    write_to(args.output.as_deref(), |w: &mut dyn Write| {
        done = Some(clv_app::simulate::simulate(&settings, w, progress)?);
        Ok(())
    })?;
    if let Some(s) = done {
        progress.say(format!(
            "wrote {} purchases of {} customers{}",
            s.purchases,
            s.customers,
            args.output
                .as_ref()
                .map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

/// `clv economics`.
pub fn economics(args: &EconomicsArgs, progress: &dyn Progress) -> Result<()> {
    let text = clv_app::economics::economics(&args.settings()?, progress)?;
    write_text(args.output.as_deref(), &text)
}

/// `clv validate`.
pub fn validate(args: &ValidateArgs, progress: &dyn Progress) -> Result<()> {
    let format = args.report_format();
    let v = clv_app::validate::validate(&args.settings()?, progress)?;
    let text = match format {
        ValidateFormat::Table => clv_app::validate::table(&v),
        ValidateFormat::Json => {
            let mut s = serde_json::to_string_pretty(&clv_app::validate::json(&v)?)?;
            s.push('\n');
            s
        }
    };
    write_text(args.output.as_deref(), &text)
}
