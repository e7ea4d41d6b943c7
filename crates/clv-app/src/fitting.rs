//! Fitting: the purchase model and the spend model on a loaded summary,
//! and the models read back from a model file.

use clv_core::diagnostics::{self, DataSummary};
use clv_core::fit::FitReport;
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::model::ParametricModel;
use clv_core::models::{FitOptions, ModelKind};

use crate::error::{Context, Result, usage};
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
    let counts = Counts::of(loaded);
    let purchase = progress
        .stage(
            &format!(
                "fitted {kind} on {} customers ({} repeat buyers)",
                count(counts.customers),
                count(counts.repeat_buyers)
            ),
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

/// The customers a summary stands for (rows may stand for several, through
/// their weights): what every count in the fit log and the diagnostics use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    /// Customers (sum of weights).
    pub customers: f64,
    /// Customers with a repeat purchase (`x > 0`).
    pub repeat_buyers: f64,
    /// The longest history (largest `T`) in days.
    pub window_days: f64,
}

impl Counts {
    /// The counts of a loaded summary.
    pub fn of(loaded: &Loaded) -> Counts {
        let d = &loaded.data;
        let customers = d.weight.iter().sum();
        let repeat_buyers = d
            .frequency
            .iter()
            .zip(&d.weight)
            .filter(|(x, _)| **x > 0.0)
            .map(|(_, w)| w)
            .sum();
        let longest = d.age.iter().copied().fold(0.0, f64::max);
        Counts {
            customers,
            repeat_buyers,
            window_days: longest * loaded.time_unit.days(),
        }
    }
}

/// A count of customers as printed (whole unless weights make it fractional).
pub fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
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
            let free: f64 = x
                .iter()
                .zip(m)
                .zip(&loaded.data.weight)
                .filter(|((x, m), _)| **x > 0.0 && **m <= 0.0)
                .map(|(_, w)| w)
                .sum();
            if free > 0.0 {
                progress.say(format!(
                    "note: {} repeat buyers whose repeat purchases are all worth 0 are left out of \
                     the Gamma-Gamma fit (their expected spend is still predicted)",
                    count(free)
                ));
            }
            let repeat = Counts::of(loaded).repeat_buyers;
            let used = repeat - free;
            let left_out = if free > 0.0 {
                format!(" of {}", count(repeat))
            } else {
                String::new()
            };
            let fitted = progress
                .stage(
                    &format!(
                        "fitted Gamma-Gamma on {}{left_out} repeat buyers",
                        count(used)
                    ),
                    || {
                        fitter.fit(
                            &loaded.data.frequency,
                            &loaded.summary.monetary_value,
                            &weights,
                        )
                    },
                )
                .map_err(|e| {
                    // Amounts the spend model cannot take (astronomically
                    // large, say) are the input's problem, not a bug.
                    let largest = m.iter().copied().fold(0.0, f64::max);
                    usage(format!(
                        "Gamma-Gamma fit failed: {e} (the largest mean repeat purchase is {}; \
                         amounts far from everyday magnitudes may need rescaling, e.g. to \
                         thousands)",
                        format_number(largest)
                    ))
                })?;
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
        let mut file = ModelFile {
            purchase,
            time_unit: loaded.time_unit,
            spend,
            data: loaded.info.clone(),
            selection: None,
            clv_version: env!("CARGO_PKG_VERSION").into(),
            identified: None,
            warnings: vec![],
        };
        if let Some(verdict) = self.verdict(loaded) {
            file.set_verdict(verdict);
        }
        file
    }

    /// The diagnostics of freshly fitted models on `loaded` (`None` when a
    /// model was read from a file rather than fitted here).
    pub fn verdict(&self, loaded: &Loaded) -> Option<model_file::Verdict> {
        let c = Counts::of(loaded);
        let p = &self.purchase;
        let purchase = diagnostics::for_purchase(
            p.kind,
            &p.model.param_values(),
            p.report.as_ref()?,
            &DataSummary {
                customers: c.customers,
                repeat_buyers: Some(c.repeat_buyers),
                window_days: Some(c.window_days),
            },
        );
        let spend = match &self.spend {
            None => None,
            Some(s) => {
                let report = s.report.as_ref()?;
                Some((
                    SpendModel::GammaGamma.name(),
                    diagnostics::for_spend(
                        &s.params.to_array(),
                        report,
                        &DataSummary {
                            customers: report.n_customers,
                            repeat_buyers: None,
                            window_days: Some(c.window_days),
                        },
                    ),
                ))
            }
        };
        Some(model_file::Verdict::of((p.kind.name(), purchase), spend))
    }

    /// Expected value of one future purchase per customer: Gamma-Gamma's
    /// conditional expectation when there is a spend model, else the
    /// customer's own mean repeat value (the mean over repeat buyers for
    /// customers without repeat purchases), with a note on stderr.
    pub fn expected_spend(&self, loaded: &Loaded, progress: &dyn Progress) -> Result<Vec<f64>> {
        let x = &loaded.data.frequency;
        let m = &loaded.summary.monetary_value;
        match &self.spend {
            // q <= 1: the fitted Gamma-Gamma has no finite mean spend for a
            // customer without repeat purchases. That is a property of the
            // fit on this data (often pushed there by --penalty), which the
            // user can change, not an internal failure: say so, exit 2.
            Some(s)
                if s.params.q() <= 1.0
                    && x.iter().any(|&xi| s.params.p() * xi + s.params.q() <= 1.0) =>
            {
                Err(crate::error::usage(format!(
                    "the Gamma-Gamma fit has q = {:.4} <= 1, so its expected spend of a customer \
                     without repeat purchases is infinite and no CLV can be given; refit without \
                     (or with a smaller) --penalty, on more repeat buyers, or predict without \
                     --spend gamma-gamma",
                    s.params.q()
                )))
            }
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

/// Reports the fitted parameters, one line per model: estimates with
/// standard errors ("se n/a" when there is none), fit statistics and what
/// the model was fitted on (customers for the purchase model, repeat buyers
/// for Gamma-Gamma), then whether the models are identified.
pub fn describe(file: &ModelFile, progress: &dyn Progress) {
    let spend_model = SpendModel::GammaGamma.name();
    for s in std::iter::once(&file.purchase).chain(file.spend.as_ref()) {
        let params: Vec<String> = s
            .params
            .iter()
            .map(|(k, v)| {
                let se = s.standard_errors.get(k).and_then(|v| v.as_f64());
                let se = match se {
                    Some(se) if se.is_finite() => format_number(se),
                    _ => "n/a".into(),
                };
                format!(
                    "{k} = {} (se {se})",
                    format_number(v.as_f64().unwrap_or(f64::NAN))
                )
            })
            .collect();
        let on = if s.model == spend_model {
            "repeat buyers"
        } else {
            "customers"
        };
        progress.say(format!(
            "{}: {}; log-likelihood {:.2}, AIC {:.2}, fitted on {} {on}, {} in {} iterations",
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

/// Reports the verdict of a freshly written model file: each warning, and
/// when the model is not identified, that `predict` and `economics` will
/// refuse it without `--allow-unidentified`.
pub fn report_verdict(file: &ModelFile, progress: &dyn Progress) {
    let verdict = file.identified();
    for w in &verdict.warnings {
        progress.say(format!("warning: {}: {}", w.model, w.message));
    }
    if !verdict.identified {
        progress.say(
            "warning: the model is not identified (\"identified\": false in the model file): \
             predict and economics refuse it unless --allow-unidentified",
        );
    }
}

/// A parameter or standard error as printed: four decimals for ordinary
/// values, scientific notation for very large or very small ones (never
/// `NaN` or `inf`: those print as "n/a").
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e7).contains(&a) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}
