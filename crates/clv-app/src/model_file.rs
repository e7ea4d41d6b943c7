//! The model JSON written by `clv fit` and read by `clv predict --model-file`.
//!
//! Contract (fields may be added, never renamed): `model`, `time_unit`,
//! `params` (papers' names), `standard_errors`, `log_likelihood` (total, in the
//! data's own time unit), `aic`, `bic`, `n_customers`, `converged`,
//! `iterations`, and `spend` with the same fields for the spend model.

use clv_core::TimeUnit;
use clv_core::fit::FitReport;
use clv_core::gamma_gamma::GammaGammaParams;
use clv_core::model::ParametricModel;
use clv_core::models::ModelKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Context, Result, usage};
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
