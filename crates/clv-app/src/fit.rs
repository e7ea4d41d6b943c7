//! Fit: a purchase model (and maybe a spend model) on transactions or a
//! summary file, sBG on subscriptions, or the automatic choice.

use crate::error::{Result, usage};
use crate::fitting;
use crate::load;
use crate::model_file::ModelFile;
use crate::progress::Progress;
use crate::settings::{FitSettings, ModelChoice};

/// What a fit produced.
#[derive(Debug, Clone)]
pub enum FitOutput {
    /// A purchase model (and spend model): the model file `predict` and
    /// `economics` read.
    Model(Box<ModelFile>),
    /// sBG per cohort with its retention projections (JSON).
    Subscriptions(serde_json::Value),
}

impl FitOutput {
    /// The JSON document (pretty-printed, with a final newline) a front end
    /// writes or returns.
    pub fn to_json(&self) -> Result<String> {
        let mut s = match self {
            FitOutput::Model(m) => serde_json::to_string_pretty(m)?,
            FitOutput::Subscriptions(v) => serde_json::to_string_pretty(v)?,
        };
        s.push('\n');
        Ok(s)
    }
}

/// Fits what `settings.model` asks for. The fitted parameters of a model
/// file are not reported here: a front end reports them with
/// [`fitting::describe`] once the file is where it belongs.
pub fn fit(settings: &FitSettings, progress: &dyn Progress) -> Result<FitOutput> {
    let Some(choice) = settings.model.model else {
        return Err(usage(format!(
            "--model is required (one of: {})",
            ModelChoice::names()
        )));
    };
    if settings.tables.subscriptions.is_some() && choice != ModelChoice::Sbg {
        return Err(usage("--subscriptions is the input of --model sbg"));
    }
    let kind = match choice {
        ModelChoice::Sbg => {
            return crate::sbg::fit_subscriptions(settings, progress).map(FitOutput::Subscriptions);
        }
        ModelChoice::Auto => {
            return crate::auto::fit_auto(settings, progress)
                .map(|m| FitOutput::Model(Box::new(m)));
        }
        ModelChoice::Purchase(kind) => kind,
    };
    let loaded = load::load_input(&settings.data, &settings.tables, Some(kind), None, progress)?;
    let fitted = fitting::fit_models(&loaded, kind, &settings.model, progress)?;
    Ok(FitOutput::Model(Box::new(fitted.to_file(&loaded))))
}
