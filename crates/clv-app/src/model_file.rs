//! The model JSON written by `clv fit` and read by `clv predict --model-file`.
//!
//! Contract (fields may be added, never renamed): `model`, `time_unit`,
//! `params` (papers' names), `standard_errors`, `log_likelihood` (total, in the
//! data's own time unit), `aic`, `bic`, `n_customers`, `converged`,
//! `iterations`, and `spend` with the same fields for the spend model;
//! `identified` and `warnings` for the whole file (see [`ModelFile::identified`]).
//!
//! ## `identified` and `warnings`
//!
//! `identified` is `false` when the purchase model or the spend model fails
//! one of the rules of [`clv_core::diagnostics`] (did not converge, no
//! finite or huge standard errors, a parameter run towards 0 or infinity,
//! too few customers or repeat buyers). `warnings` lists every reason, as
//! objects `{"model": "bg-nbd", "code": "too-few-customers", "message":
//! "..."}`: `code` is stable (a program can match on it), `message` is for
//! people. A warning can be present on an identified model (`short-window`
//! does not block on its own).
//!
//! A model file written before these fields existed has neither: reading
//! it **recomputes** the verdict from what the file does hold (convergence,
//! parameters, standard errors, `n_customers`, and the window from
//! `data.first_date` to `data.calibration_end`), so an old file from a
//! degenerate fit is refused like a new one. The repeat-buyer count is not
//! in old files and is not checked for them.

use clv_core::TimeUnit;
use clv_core::diagnostics::{self, DataSummary, Diagnostics, WarningCode};
use clv_core::fit::FitReport;
use clv_core::gamma_gamma::GammaGammaParams;
use clv_core::model::ParametricModel;
use clv_core::models::ModelKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Context, Result, usage};
use crate::progress::Progress;
use crate::settings::SpendModel;

/// One fitted model: parameters and fit report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedSection {
    /// Model name (`bg-nbd`, `gamma-gamma`).
    pub model: String,
    /// Parameters by the paper's names.
    pub params: Map<String, Value>,
    /// Standard errors by parameter name.
    pub standard_errors: Map<String, Value>,
    /// Covariance matrix in the order of `params`.
    pub covariance: Vec<Vec<f64>>,
    /// Total log-likelihood at the optimum (unpenalised).
    pub log_likelihood: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Customers the model was fitted on.
    pub n_customers: u64,
    /// Whether the optimiser converged.
    pub converged: bool,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Why the optimiser stopped.
    pub termination: String,
    /// L2 penalty weight.
    pub penalty: f64,
}

/// Where the model came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataInfo {
    /// The transaction file.
    pub source: String,
    /// Summary convention (`exact` or `period`).
    pub convention: String,
    /// First purchase date in the data.
    pub first_date: String,
    /// End of the calibration window the model was fitted on.
    pub calibration_end: String,
    /// End of observation (the holdout's end when there is a holdout).
    #[serde(default)]
    pub observation_end: String,
    /// Whether zero-amount rows counted as purchases (`keep` or `drop`).
    #[serde(default)]
    pub zero_amounts: String,
}

/// The whole model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    /// The purchase model.
    #[serde(flatten)]
    pub purchase: FittedSection,
    /// Time unit of the model's rates and times.
    pub time_unit: TimeUnit,
    /// The spend model, if fitted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub spend: Option<FittedSection>,
    /// The data the model was fitted on.
    pub data: DataInfo,
    /// How `--model auto` chose the model (holdout error of every candidate).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub selection: Option<Value>,
    /// Version of clv that wrote the file.
    pub clv_version: String,
    /// Whether the data carried the fitted parameters of every model in the
    /// file; `None` in files written before the field existed (then
    /// [`ModelFile::identified`] recomputes it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identified: Option<bool>,
    /// Why the file's models are (or may be) not identified.
    #[serde(default)]
    pub warnings: Vec<FileWarning>,
}

/// One warning of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileWarning {
    /// Which model (`bg-nbd`, `gamma-gamma`).
    pub model: String,
    /// The stable code (`too-few-customers`, ...).
    pub code: WarningCode,
    /// The reason in words.
    pub message: String,
}

/// The verdict on a file's models: identified, and every warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// No blocking warning on any model.
    pub identified: bool,
    /// The warnings, purchase model first.
    pub warnings: Vec<FileWarning>,
}

impl Verdict {
    /// Combines the diagnostics of the purchase model and the spend model.
    pub fn of(purchase: (&str, Diagnostics), spend: Option<(&str, Diagnostics)>) -> Verdict {
        let mut identified = true;
        let mut warnings = Vec::new();
        for (model, d) in std::iter::once(purchase).chain(spend) {
            identified &= d.identified;
            warnings.extend(d.warnings.into_iter().map(|w| FileWarning {
                model: model.to_string(),
                code: w.code,
                message: w.message,
            }));
        }
        Verdict {
            identified,
            warnings,
        }
    }
}

/// Builds a section from named parameter values and a fit report.
pub fn section(model: &str, names: &[&str], values: &[f64], report: &FitReport) -> FittedSection {
    let map = |v: &[f64]| -> Map<String, Value> {
        names
            .iter()
            .zip(v)
            .map(|(n, x)| (n.to_string(), Value::from(*x)))
            .collect()
    };
    FittedSection {
        model: model.to_string(),
        params: map(values),
        standard_errors: map(&report.standard_errors),
        covariance: report.covariance.clone(),
        log_likelihood: report.log_likelihood,
        aic: report.aic,
        bic: report.bic,
        n_customers: report.n_customers.round() as u64,
        converged: report.converged,
        iterations: report.iterations,
        termination: report.termination.to_string(),
        penalty: report.penalty,
    }
}

impl FittedSection {
    /// Parameter values and standard errors in the order of `names` (NaN
    /// when missing or not a number, as NaN is written `null`).
    fn values_and_errors(&self, names: &[&str]) -> (Vec<f64>, Vec<f64>) {
        let get =
            |m: &Map<String, Value>, n: &str| m.get(n).and_then(Value::as_f64).unwrap_or(f64::NAN);
        (
            names.iter().map(|n| get(&self.params, n)).collect(),
            names
                .iter()
                .map(|n| get(&self.standard_errors, n))
                .collect(),
        )
    }

    /// The section's fit as the diagnostics read it.
    fn report(&self, standard_errors: Vec<f64>) -> FitReport {
        FitReport {
            log_likelihood: self.log_likelihood,
            aic: self.aic,
            bic: self.bic,
            n_customers: self.n_customers as f64,
            n_params: standard_errors.len(),
            converged: self.converged,
            iterations: self.iterations,
            termination: clv_core::fit::Termination::NotFitted,
            penalty: self.penalty,
            gradient_norm: f64::NAN,
            standard_errors,
            covariance: vec![],
        }
    }

    fn get(&self, name: &str) -> Result<f64> {
        self.params
            .get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| {
                usage(format!(
                    "model file: {} has no numeric parameter {name:?}",
                    self.model
                ))
            })
    }
}

impl ModelFile {
    /// Whether the file's models are identified, and why not: the stored
    /// verdict, or for a file written before `identified` existed, the
    /// verdict recomputed from the file (see the module docs).
    pub fn identified(&self) -> Verdict {
        match self.identified {
            Some(identified) => Verdict {
                identified,
                warnings: self.warnings.clone(),
            },
            None => self.recompute_verdict(),
        }
    }

    /// The window from the first purchase to the calibration end, in days,
    /// when the file records both dates.
    fn window_days(&self) -> Option<f64> {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let (a, b) = (d(&self.data.first_date)?, d(&self.data.calibration_end)?);
        Some((b - a).num_days() as f64)
    }

    /// The verdict from the parameters, standard errors and counts the file holds.
    pub fn recompute_verdict(&self) -> Verdict {
        let window_days = self.window_days();
        let purchase = match self.purchase.model.parse::<clv_core::models::ModelKind>() {
            Ok(kind) => {
                let (values, se) = self.purchase.values_and_errors(kind.param_names());
                diagnostics::for_purchase(
                    kind,
                    &values,
                    &self.purchase.report(se),
                    &DataSummary {
                        customers: self.purchase.n_customers as f64,
                        repeat_buyers: None,
                        window_days,
                    },
                )
            }
            Err(_) => Diagnostics::default(),
        };
        let spend = self.spend.as_ref().map(|s| {
            let (values, se) = s.values_and_errors(SpendModel::GammaGamma.param_names());
            let d = diagnostics::for_spend(
                &values,
                &s.report(se),
                &DataSummary {
                    customers: s.n_customers as f64,
                    repeat_buyers: None,
                    window_days,
                },
            );
            (s.model.as_str(), d)
        });
        Verdict::of((self.purchase.model.as_str(), purchase), spend)
    }

    /// The purchase model (errors if the file names an unknown model or its
    /// parameters are missing or invalid).
    pub fn purchase_model(&self) -> Result<(ModelKind, Box<dyn ParametricModel>)> {
        let kind: ModelKind = self.purchase.model.parse().map_err(|_| {
            usage(format!(
                "model file: unsupported model {:?} (expected one of {})",
                self.purchase.model,
                ModelKind::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let values = kind
            .param_names()
            .iter()
            .map(|n| self.purchase.get(n))
            .collect::<Result<Vec<f64>>>()?;
        let model = kind
            .from_params(&values)
            .map_err(|e| usage(format!("model file: {e}")))?;
        Ok((kind, model))
    }

    /// The purchase model's parameter covariance, when the file has a usable one.
    pub fn purchase_covariance(&self) -> Option<Vec<Vec<f64>>> {
        let k = self.purchase.params.len();
        let c = &self.purchase.covariance;
        (c.len() == k
            && c.iter()
                .all(|r| r.len() == k && r.iter().all(|v| v.is_finite())))
        .then(|| c.clone())
    }

    /// The spend model's parameter covariance, when the file has a usable one.
    pub fn spend_covariance(&self) -> Option<Vec<Vec<f64>>> {
        let s = self.spend.as_ref()?;
        let c = &s.covariance;
        (c.len() == 3
            && c.iter()
                .all(|r| r.len() == 3 && r.iter().all(|v| v.is_finite())))
        .then(|| c.clone())
    }

    /// The Gamma-Gamma parameters, if the file has a spend model.
    pub fn gamma_gamma(&self) -> Result<Option<GammaGammaParams>> {
        let Some(s) = &self.spend else {
            return Ok(None);
        };
        if SpendModel::from_name(&s.model) != Some(SpendModel::GammaGamma) {
            return Err(usage(format!(
                "model file: unsupported spend model {:?}",
                s.model
            )));
        }
        Ok(Some(
            GammaGammaParams::new(s.get("p")?, s.get("q")?, s.get("v")?)
                .map_err(|e| usage(format!("model file: {e}")))?,
        ))
    }

    /// Sets `identified` and `warnings` from a verdict.
    pub fn set_verdict(&mut self, verdict: Verdict) {
        self.identified = Some(verdict.identified);
        self.warnings = verdict.warnings;
    }

    /// Reads a model file for data in `time_unit` (`None`: the model's own
    /// unit); a different unit is a usage error, since the model's rates
    /// and times are in its own unit.
    pub fn read_for(path: &std::path::Path, time_unit: Option<TimeUnit>) -> Result<Self> {
        let file = ModelFile::read(path)?;
        if let Some(unit) = time_unit
            && unit != file.time_unit
        {
            return Err(usage(format!(
                "--time-unit {unit} differs from the model's time unit {} ({})",
                file.time_unit,
                path.display()
            )));
        }
        Ok(file)
    }

    /// Reads and validates a model file.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read model file {}: {e}", path.display())))?;
        let m: ModelFile = serde_json::from_str(&text)
            .map_err(|e| usage(format!("{}: not a clv model file: {e}", path.display())))?;
        m.purchase_model()
            .with_context(|| format!("in {}", path.display()))?;
        m.gamma_gamma()
            .with_context(|| format!("in {}", path.display()))?;
        Ok(m)
    }
}

/// The one gate every use case that predicts from a model passes (`predict`,
/// `economics`, and `segment` to come): a model that is not identified is a
/// usage error (exit 2) listing the reasons, unless `allow` (the
/// `--allow-unidentified` flag); then, and for warnings on an identified
/// model, the reasons go to `progress`. `source` names the model in the
/// message (the model file's path, or "the model fitted here").
///
/// # Errors
///
/// A usage error when the model is not identified and `allow` is false.
pub fn require_identified(
    file: &ModelFile,
    source: &str,
    allow: bool,
    progress: &dyn Progress,
) -> Result<()> {
    let verdict = file.identified();
    let list = |sep: &str| {
        verdict
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.model, w.message))
            .collect::<Vec<_>>()
            .join(sep)
    };
    if !verdict.identified && !allow {
        return Err(usage(format!(
            "{source} is not identified: the data do not carry its parameters, so its \
             predictions would look precise and not be. Reasons: {}. Refit on more customers \
             or a longer window, or pass --allow-unidentified to use it anyway",
            list("; ")
        )));
    }
    if !verdict.identified {
        progress.say(format!(
            "warning: {source} is not identified; used anyway (--allow-unidentified)"
        ));
    }
    for w in &verdict.warnings {
        progress.say(format!("warning: {}: {}", w.model, w.message));
    }
    Ok(())
}
