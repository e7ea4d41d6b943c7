//! Predict: P(alive), expected purchases, expected spend and CLV per
//! customer, with optional prediction intervals.

use clv_core::CustomerData;
use clv_core::gamma_gamma::GammaGammaFitter;
use clv_core::interval::{self, IntervalSettings, Intervals, Spend};
use clv_core::models::FitOptions;
use clv_core::value::{self, Predictions, ValueSettings};

use crate::error::{Context, Result, usage};
use crate::fitting::{self, Fitted};
use crate::load::{self, Loaded};
use crate::model_file::{self, ModelFile};
use crate::progress::Progress;
use crate::settings::PredictSettings;

/// Every customer's predictions, with the summary they were made from.
pub struct Prediction {
    /// The summary the predictions are for.
    pub loaded: Loaded,
    /// P(alive), expected purchases and CLV.
    pub predictions: Predictions,
    /// Expected value of one future purchase per customer.
    pub spend: Vec<f64>,
    /// Prediction intervals, when asked for.
    pub intervals: Option<Intervals>,
}

impl Prediction {
    /// The output table: `customer_id, frequency, recency, T,
    /// monetary_value, p_alive, expected_purchases, expected_spend, clv`
    /// (the contract), then the interval columns (`p_alive_lo`, ...,
    /// `clv_hi`) and the holdout columns when there are any.
    pub fn into_table(self) -> clv_data::Table {
        let summary = self.loaded.summary;
        let n = summary.len();
        let p = self.predictions;
        let mut table = clv_data::Table::new()
            .with_strings("customer_id", summary.customer_ids)
            .with_f64("frequency", summary.frequency)
            .with_f64("recency", summary.recency)
            .with_f64("T", summary.age)
            .with_f64("monetary_value", summary.monetary_value)
            .with_f64("p_alive", p.p_alive)
            .with_f64("expected_purchases", p.expected_purchases)
            .with_f64("expected_spend", self.spend)
            .with_f64("clv", p.clv);
        if let Some(iv) = self.intervals {
            table = table
                .with_f64("p_alive_lo", iv.p_alive.lo)
                .with_f64("p_alive_hi", iv.p_alive.hi)
                .with_f64("expected_purchases_lo", iv.expected_purchases.lo)
                .with_f64("expected_purchases_hi", iv.expected_purchases.hi)
                .with_f64("clv_lo", iv.clv.lo)
                .with_f64("clv_hi", iv.clv.hi);
        }
        if let Some(h) = summary.holdout {
            table = table
                .with_f64("frequency_holdout", h.frequency)
                .with_f64("monetary_value_holdout", h.monetary_value)
                .with_f64("duration_holdout", vec![h.duration; n]);
        }
        table
    }
}

/// Predicts every customer: with the models of a model file, or with models
/// fitted here first (their parameters are reported through `progress`).
pub fn predict(args: &PredictSettings, progress: &dyn Progress) -> Result<Prediction> {
    if args.tables.subscriptions.is_some() {
        return Err(usage(
            "--subscriptions is for clv fit --model sbg (its JSON holds the retention projections)",
        ));
    }
    let (loaded, fitted) = match &args.model_file {
        Some(path) => {
            let file = ModelFile::read_for(path, args.data.time_unit)?;
            let source = format!("the model in {}", path.display());
            model_file::require_identified(&file, &source, args.allow_unidentified, progress)?;
            let fitted = Fitted::from_file(&file)?;
            let loaded = load::load_input(
                &args.data,
                &args.tables,
                Some(fitted.purchase.kind),
                Some(file.time_unit),
                progress,
            )?;
            (loaded, fitted)
        }
        None => {
            let Some(name) = args.model.model else {
                return Err(usage("give --model-file MODEL.json or --model bg-nbd"));
            };
            let kind = name.purchase_kind()?;
            let loaded = load::load_input(&args.data, &args.tables, Some(kind), None, progress)?;
            let fitted = fitting::fit_models(&loaded, kind, &args.model, progress)?;
            let file = fitted.to_file(&loaded);
            fitting::describe(&file, progress);
            model_file::require_identified(
                &file,
                "the model fitted here",
                args.allow_unidentified,
                progress,
            )?;
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
            || value::predict(&*fitted.purchase.model, &loaded.data, &spend, &settings),
        )
        .context("prediction failed")?;
    let intervals = match args.intervals {
        None => None,
        Some(level) => Some(intervals(
            args, level, &loaded, &fitted, &spend, &settings, progress,
        )?),
    };
    Ok(Prediction {
        loaded,
        predictions,
        spend,
        intervals,
    })
}

/// Prediction intervals from parametric draws or a bootstrap.
fn intervals(
    args: &PredictSettings,
    level: f64,
    loaded: &Loaded,
    fitted: &Fitted,
    spend: &[f64],
    settings: &ValueSettings,
    progress: &dyn Progress,
) -> Result<Intervals> {
    let draws = args.bootstrap.unwrap_or(args.draws);
    let isettings = IntervalSettings::new(level, draws, args.seed)
        .map_err(|e| usage(format!("--intervals: {e}")))?;
    let model = &*fitted.purchase.model;
    let spend_model = match &fitted.spend {
        Some(s) => Spend::GammaGamma {
            params: &s.params,
            monetary: &loaded.summary.monetary_value,
        },
        None => Spend::Fixed(spend),
    };
    let result = match args.bootstrap {
        None => {
            let cov = fitted.purchase.covariance.as_deref().ok_or_else(|| {
                usage(
                    "--intervals needs the purchase model's covariance (the fit's observed \
                     information was not positive definite, or the model file has none); \
                     try --bootstrap N",
                )
            })?;
            let spend_cov = match &fitted.spend {
                Some(s) => Some(s.covariance.as_deref().ok_or_else(|| {
                    usage("--intervals needs the spend model's covariance; try --bootstrap N")
                })?),
                None => None,
            };
            progress.stage(
                &format!(
                    "{:.0}% intervals from {draws} parametric draws",
                    level * 100.0
                ),
                || {
                    interval::prediction_intervals(
                        model,
                        cov,
                        spend_model,
                        spend_cov,
                        &loaded.data,
                        settings,
                        &isettings,
                    )
                },
            )?
        }
        Some(n) => {
            let kind = fitted.purchase.kind;
            let options = FitOptions {
                penalty: args.model.penalty,
            };
            let start = model.param_values();
            let refit_purchase = |d: &CustomerData| {
                Ok(kind
                    .fit_with_start(d, &options, Some(&start))?
                    .model
                    .param_values())
            };
            let fit_weight: Vec<f64> = (0..loaded.data.len())
                .map(|i| {
                    let (x, m) = (loaded.data.frequency[i], loaded.summary.monetary_value[i]);
                    if x > 0.0 && m <= 0.0 {
                        0.0
                    } else {
                        loaded.data.weight[i]
                    }
                })
                .collect();
            let refit_spend = fitted.spend.as_ref().map(|s| {
                let gg = GammaGammaFitter {
                    penalty: args.model.penalty,
                    start: Some(s.params),
                    ..Default::default()
                };
                let (x, m) = (&loaded.data.frequency, &loaded.summary.monetary_value);
                let fit_weight = &fit_weight;
                move |counts: &[f64]| {
                    let w: Vec<f64> = counts.iter().zip(fit_weight).map(|(c, f)| c * f).collect();
                    Ok(gg.fit(x, m, &w)?.params.to_array().to_vec())
                }
            });
            let draws = progress.stage(&format!("{n} bootstrap refits of {kind}"), || {
                interval::bootstrap_draws(&loaded.data, &isettings, refit_purchase, refit_spend)
            })?;
            if draws.failed > 0 {
                progress.say(format!(
                    "note: {} of {n} bootstrap refits failed and were left out",
                    draws.failed
                ));
            }
            progress.stage(
                &format!(
                    "{:.0}% intervals from {n} bootstrap resamples",
                    level * 100.0
                ),
                || {
                    interval::intervals_from_draws(
                        model,
                        spend_model,
                        &draws,
                        &loaded.data,
                        settings,
                        &isettings,
                    )
                },
            )?
        }
    };
    let (tp, tc) = (&result.total_purchases, &result.total_clv);
    progress.say(format!(
        "total expected purchases {:.1} ({:.0}% interval {:.1} to {:.1}); total CLV {:.2} ({:.2} to {:.2})",
        tp.point,
        level * 100.0,
        tp.lo,
        tp.hi,
        tc.point,
        tc.lo,
        tc.hi
    ));
    Ok(result)
}
