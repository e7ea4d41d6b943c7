//! Fitting: the purchase model and the spend model on a loaded summary,
//! and the models read back from a model file.

use clv_core::fit::FitReport;
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::model::ParametricModel;
use clv_core::models::{FitOptions, ModelKind};

use crate::error::{Context, Result};
use crate::load::Loaded;
use crate::model_file::{self, ModelFile};
use crate::progress::Progress;
use crate::settings::{ModelSettings, SpendModel};

/// A purchase model and maybe a spend model, with their fit reports when fitted here.
pub struct Fitted {
    /// BG/NBD parameters.
    pub purchase: PurchaseFit,
    /// Gamma-Gamma parameters.
    pub spend: Option<SpendFit>,
}

/// The fitted purchase model.
pub struct PurchaseFit {
    /// Which model.
    pub kind: ModelKind,
    /// The model at its parameters.
    pub model: Box<dyn ParametricModel>,
    /// Fit report (absent when read from a file).
    pub report: Option<FitReport>,
    /// Parameter covariance (from the fit, or from the model file).
    pub covariance: Option<Vec<Vec<f64>>>,
}

/// The fitted spend model.
pub struct SpendFit {
    /// Parameters.
    pub params: GammaGammaParams,
    /// Fit report (absent when read from a file).
    pub report: Option<FitReport>,
    /// Parameter covariance (from the fit, or from the model file).
    pub covariance: Option<Vec<Vec<f64>>>,
}

/// Fits the purchase model `kind` and the spend model named in `args` on the loaded summary.
pub fn fit_models(
    loaded: &Loaded,
    kind: ModelKind,
    args: &ModelSettings,
    progress: &dyn Progress,
) -> Result<Fitted> {
    args.check_penalty()?;
    let options = FitOptions {
        penalty: args.penalty,
    };
    let purchase = progress
        .stage(
            &format!("fitted {kind} on {} customers", loaded.data.len()),
            || kind.fit(&loaded.data, &options),
        )
        .with_context(|| format!("{kind} fit failed"))?;
    let spend = fit_spend(loaded, args, progress)?;
    let covariance = Some(purchase.report.covariance.clone()).filter(|c| !c.is_empty());
    Ok(Fitted {
        purchase: PurchaseFit {
            kind,
            model: purchase.model,
            report: Some(purchase.report),
            covariance,
        },
        spend,
    })
}

/// Fits the spend model named in `args`, if any.
pub fn fit_spend(
    loaded: &Loaded,
    args: &ModelSettings,
    progress: &dyn Progress,
) -> Result<Option<SpendFit>> {
    Ok(match args.spend {
        None => None,
        Some(SpendModel::GammaGamma) => {
            let fitter = GammaGammaFitter {
                penalty: args.penalty,
                ..Default::default()
            };
            // Gamma-Gamma models positive spend: repeat buyers whose repeat
            // purchases were all worth 0 (zero amounts kept as purchases) are
            // left out of the fit, said so, and still predicted.
            let (x, m) = (&loaded.data.frequency, &loaded.summary.monetary_value);
            let weights: Vec<f64> = x
                .iter()
                .zip(m)
                .zip(&loaded.data.weight)
                .map(|((&x, &m), &w)| if x > 0.0 && m <= 0.0 { 0.0 } else { w })
                .collect();
            let free = weights.iter().filter(|&&w| w == 0.0).count();
            if free > 0 {
                progress.say(format!(
                    "note: {free} repeat buyers whose repeat purchases are all worth 0 are left out of \
                     the Gamma-Gamma fit (their expected spend is still predicted)"
                ));
            }
            let fitted = progress
                .stage("fitted Gamma-Gamma on the repeat buyers", || {
                    fitter.fit(
                        &loaded.data.frequency,
                        &loaded.summary.monetary_value,
                        &weights,
                    )
                })
                .context("Gamma-Gamma fit failed")?;
            let covariance = Some(fitted.report.covariance.clone()).filter(|c| !c.is_empty());
            Some(SpendFit {
                params: fitted.params,
                report: Some(fitted.report),
                covariance,
            })
        }
    })
}

impl Fitted {
    /// The models in a model file.
    pub fn from_file(file: &ModelFile) -> Result<Fitted> {
        let (kind, model) = file.purchase_model()?;
        Ok(Fitted {
            purchase: PurchaseFit {
                kind,
                model,
                report: None,
                covariance: file.purchase_covariance(),
            },
            spend: file.gamma_gamma()?.map(|params| SpendFit {
                params,
                report: None,
                covariance: file.spend_covariance(),
            }),
        })
    }

    /// The model file for these (freshly fitted) models.
    pub fn to_file(&self, loaded: &Loaded) -> ModelFile {
        let p = &self.purchase;
        let empty = FitReport {
            log_likelihood: f64::NAN,
            aic: f64::NAN,
            bic: f64::NAN,
            n_customers: 0.0,
            n_params: 0,
            converged: false,
            iterations: 0,
            termination: clv_core::fit::Termination::NotFitted,
            penalty: 0.0,
            gradient_norm: f64::NAN,
            standard_errors: vec![],
            covariance: vec![],
        };
        let mut purchase = model_file::section(
            p.kind.name(),
            p.model.param_names(),
            &p.model.param_values(),
            p.report.as_ref().unwrap_or(&empty),
        );
        if p.report.is_none()
            && let Some(c) = &p.covariance
        {
            purchase.covariance = c.clone();
        }
        let spend = self.spend.as_ref().map(|s| {
            model_file::section(
                SpendModel::GammaGamma.name(),
                SpendModel::GammaGamma.param_names(),
                &[s.params.p(), s.params.q(), s.params.v()],
                s.report.as_ref().unwrap_or(&empty),
            )
        });
        ModelFile {
            purchase,
            time_unit: loaded.time_unit,
            spend,
            data: loaded.info.clone(),
            selection: None,
            clv_version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    /// Expected value of one future purchase per customer: Gamma-Gamma's
    /// conditional expectation when there is a spend model, else the
    /// customer's own mean repeat value (the mean over repeat buyers for
    /// customers without repeat purchases), with a note on stderr.
    pub fn expected_spend(&self, loaded: &Loaded, progress: &dyn Progress) -> Result<Vec<f64>> {
        let x = &loaded.data.frequency;
        let m = &loaded.summary.monetary_value;
        match &self.spend {
            Some(s) => (0..x.len())
                .map(|i| {
                    s.params
                        .conditional_expected_spend(x[i], m[i])
                        .with_context(|| {
                            format!(
                                "expected spend of customer {}",
                                loaded.summary.customer_id(i)
                            )
                        })
                })
                .collect(),
            None => {
                let (total, n) = (0..x.len())
                    .filter(|&i| x[i] > 0.0)
                    .fold((0.0, 0.0), |(t, n), i| (t + m[i], n + 1.0));
                let mean = if n > 0.0 { total / n } else { 0.0 };
                progress.say(
                    "note: no spend model; expected_spend is each customer's mean repeat purchase value \
                     (the repeat buyers' average for customers without repeat purchases). \
                     Use --spend gamma-gamma for a model-based estimate.",
                );
                Ok((0..x.len())
                    .map(|i| if x[i] > 0.0 { m[i] } else { mean })
                    .collect())
            }
        }
    }
}

/// Reports the fitted parameters, one line per model.
pub fn describe(file: &ModelFile, progress: &dyn Progress) {
    for s in std::iter::once(&file.purchase).chain(file.spend.as_ref()) {
        let params: Vec<String> = s
            .params
            .iter()
            .map(|(k, v)| {
                let se = s
                    .standard_errors
                    .get(k)
                    .and_then(|v| v.as_f64())
                    .unwrap_or(f64::NAN);
                format!("{k} = {:.4} (se {:.4})", v.as_f64().unwrap_or(f64::NAN), se)
            })
            .collect();
        progress.say(format!(
            "{}: {}; log-likelihood {:.2}, AIC {:.2}, {} customers, {} in {} iterations",
            s.model,
            params.join(", "),
            s.log_likelihood,
            s.aic,
            s.n_customers,
            if s.converged {
                "converged"
            } else {
                "NOT converged"
            },
            s.iterations
        ));
    }
}
