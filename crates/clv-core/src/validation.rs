//! Holdout validation: fit purchase models on a calibration window, predict
//! the holdout, and measure how well each model did.
//!
//! Everything here is pure computation on numbers; reading the transactions
//! (the per-day repeat purchases behind the tracking curve) is `clv-data`'s
//! job and the `clv validate` command puts the two together.
//!
//! # What is measured, per model
//!
//! With customer `i` described by `(x_i, t_x,i, T_i)` on the calibration
//! window, `y_i` the repeat purchases it made in the holdout and `d_i` the
//! holdout's length (all in the model's time unit):
//!
//! * **Fit**: log-likelihood, AIC and BIC of the calibration fit, and
//!   likelihood-ratio tests between nested models ([`nesting`] says which
//!   pairs are nested and why the others are not).
//! * **Holdout totals**: `Σ ŷ_i` against `Σ y_i`, with
//!   `ŷ_i = E[Y(d_i) | x_i, t_x,i, T_i]`
//!   ([`PurchaseModel::expected_purchases`]).
//! * **Errors per customer**: mean absolute error `Σ w_i |ŷ_i − y_i| / Σ w_i`
//!   ([`mean_absolute_error`]) and root mean squared error.
//! * **Calibration vs holdout** ([`calibration_vs_holdout`]): customers
//!   grouped by calibration frequency `x = 0, 1, …, 6` and `7+`; per group
//!   the number of customers, the mean actual and the mean predicted holdout
//!   purchases (Fader, Hardie & Lee 2005, figure 4).
//! * **Tracking curve** ([`tracking_curve`]): cumulative repeat purchases
//!   over calibration and holdout, period by period (weekly in `clv
//!   validate`). Actual counts come from the transactions; the prediction at
//!   time `τ` is `Σ_i E[X(τ − t0_i)]` over the customers born (first
//!   purchase) at `t0_i < τ`, from
//!   [`PurchaseModel::expected_purchases_new`] (FHL 2005, figure 3).
//! * **Histogram** ([`frequency_histogram`]): how many customers made
//!   `n = 0, …, 6` and `7+` repeat purchases in calibration, actual against
//!   expected `Σ_i P(X(T_i) = n)`
//!   ([`ParametricModel::probability_of_purchases_new`]; the `7+` bin is the
//!   rest), with a chi-square goodness-of-fit statistic (FHL 2005, figure 2).
//!   Skipped with a note when the model has no closed-form `P(X(t) = n)`.
//! * **Ranking** ([`ranking`]): customers ranked by `ŷ_i` (highest first);
//!   the share of actual holdout purchases captured along that ranking gives
//!   the Gini coefficient (`2 × area under the capture curve − 1`: 0 for a
//!   random ranking), the Gini of the perfect ranking (by `y_i`) and their
//!   ratio, and the lift of each decile (its share of the actual purchases
//!   divided by 0.1). Customers with equal predictions are tied: their
//!   actual purchases are spread evenly over their stretch of the ranking,
//!   so the numbers do not depend on the input order.
//!
//! The model with the lowest holdout MAE is reported as the best
//! ([`ValidationReport::best_model`]), with the reason in words.
//!
//! ```
//! use clv_core::models::{FitOptions, ModelKind};
//! use clv_core::validation::{ValidationData, validate};
//! use clv_core::CustomerData;
//!
//! let calibration = CustomerData::new(
//!     vec![0.0, 2.0, 5.0, 1.0, 0.0, 3.0],
//!     vec![0.0, 20.0, 30.0, 4.0, 0.0, 35.0],
//!     vec![40.0, 38.0, 39.0, 30.0, 20.0, 36.0],
//! )?;
//! let holdout = [0.0, 1.0, 3.0, 0.0, 1.0, 2.0];
//! let duration = [39.0; 6];
//! let data = ValidationData::new(&calibration, &holdout, &duration)?;
//! let report = validate(&data, &[ModelKind::BgNbd], &FitOptions::default())?;
//! let bgnbd = &report.models[0];
//! assert_eq!(bgnbd.model, "bg-nbd");
//! assert_eq!(bgnbd.holdout_actual, 7.0);
//! assert!(bgnbd.holdout_predicted > 0.0 && bgnbd.mae >= 0.0);
//! assert_eq!(report.best_model.as_ref().unwrap().model, "bg-nbd");
//! # Ok::<(), clv_core::Error>(())
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::data::CustomerData;
use crate::error::{Error, Result};
use crate::model::{ParametricModel, PurchaseModel};
use crate::models::{FitOptions, FittedModel, ModelKind, Relation};

/// Calibration frequencies get their own bin up to this value; larger ones
/// share the last bin (`7+`).
pub const MAX_FREQUENCY_BIN: u64 = 6;

/// What a validation runs on: the calibration summary and what each customer
/// did in the holdout, plus (optionally) the data of the tracking curve.
#[derive(Debug, Clone, Copy)]
pub struct ValidationData<'a> {
    calibration: &'a CustomerData,
    holdout_frequency: &'a [f64],
    holdout_duration: &'a [f64],
    tracking: Option<&'a TrackingData>,
}

impl<'a> ValidationData<'a> {
    /// Calibration summaries with, per row, the repeat purchases made in the
    /// holdout and the holdout's length (model time unit).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] naming the row when the lengths differ, a
    /// holdout count is not a non-negative integer, or a duration is not
    /// positive and finite; [`Error::NotEnoughData`] without customers.
    pub fn new(
        calibration: &'a CustomerData,
        holdout_frequency: &'a [f64],
        holdout_duration: &'a [f64],
    ) -> Result<Self> {
        let n = calibration.len();
        if n == 0 {
            return Err(Error::NotEnoughData("no customers to validate on".into()));
        }
        if holdout_frequency.len() != n || holdout_duration.len() != n {
            return Err(Error::InvalidData(format!(
                "{n} customers but {} holdout frequencies and {} holdout durations",
                holdout_frequency.len(),
                holdout_duration.len()
            )));
        }
        for i in 0..n {
            let y = holdout_frequency[i];
            if !(y.is_finite() && y >= 0.0 && y.fract() == 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: holdout frequency must be a non-negative integer, got {y}"
                )));
            }
            let d = holdout_duration[i];
            if !(d.is_finite() && d > 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: holdout duration must be positive and finite, got {d}"
                )));
            }
        }
        Ok(ValidationData {
            calibration,
            holdout_frequency,
            holdout_duration,
            tracking: None,
        })
    }

    /// The same data with the inputs of the tracking curve.
    pub fn with_tracking(mut self, tracking: &'a TrackingData) -> Self {
        self.tracking = Some(tracking);
        self
    }

    /// The calibration summaries.
    pub fn calibration(&self) -> &'a CustomerData {
        self.calibration
    }

    /// Repeat purchases per row in the holdout.
    pub fn holdout_frequency(&self) -> &'a [f64] {
        self.holdout_frequency
    }

    /// Total actual repeat purchases in the holdout (weighted).
    pub fn holdout_total(&self) -> f64 {
        self.holdout_frequency
            .iter()
            .zip(&self.calibration.weight)
            .map(|(y, w)| y * w)
            .sum()
    }
}

/// The inputs of the tracking curve, in the model's time unit, on a time
/// axis whose origin is the earliest first purchase.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingData {
    /// Ends `τ_1 < τ_2 < …` of the tracking periods; period `k` is
    /// `(τ_{k−1}, τ_k]` with `τ_0 = 0`.
    pub period_ends: Vec<f64>,
    /// Actual repeat purchases in each period (same length as `period_ends`).
    pub actual: Vec<f64>,
    /// Birth times `t0` (first purchase) and how many customers were born at each.
    pub births: Vec<(f64, f64)>,
    /// End of the calibration window on the same axis (marks the split).
    pub calibration_end: f64,
}

impl TrackingData {
    /// Checks lengths, order and signs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] saying what is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.period_ends.len() != self.actual.len() {
            return Err(Error::InvalidData(format!(
                "tracking: {} period ends but {} actual counts",
                self.period_ends.len(),
                self.actual.len()
            )));
        }
        let mut previous = 0.0;
        for (k, &t) in self.period_ends.iter().enumerate() {
            if !(t.is_finite() && t > previous) {
                return Err(Error::InvalidData(format!(
                    "tracking: period end {k} ({t}) must be finite and after the previous ({previous})"
                )));
            }
            previous = t;
        }
        if self.actual.iter().any(|a| !(a.is_finite() && *a >= 0.0)) {
            return Err(Error::InvalidData(
                "tracking: actual counts must be finite and non-negative".into(),
            ));
        }
        if self
            .births
            .iter()
            .any(|&(t, n)| !(t.is_finite() && t >= 0.0 && n.is_finite() && n >= 0.0))
        {
            return Err(Error::InvalidData(
                "tracking: birth times and counts must be finite and non-negative".into(),
            ));
        }
        Ok(())
    }
}

/// One point of the tracking curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackingPoint {
    /// Period number, from 1.
    pub period: usize,
    /// End of the period (model time unit, from the earliest first purchase).
    pub time: f64,
    /// Actual repeat purchases in the period.
    pub actual: f64,
    /// Expected repeat purchases in the period.
    pub predicted: f64,
    /// Actual repeat purchases up to the end of the period.
    pub actual_cumulative: f64,
    /// Expected repeat purchases up to the end of the period.
    pub predicted_cumulative: f64,
}

/// A row of the calibration-vs-holdout table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyBin {
    /// `"0"`, …, `"6"`, `"7+"`.
    pub frequency: String,
    /// Smallest calibration frequency in the bin.
    pub min_frequency: u64,
    /// Customers in the bin (sum of weights).
    pub customers: f64,
    /// Mean actual holdout repeat purchases (NaN-free: 0 for an empty bin).
    pub mean_actual: f64,
    /// Mean predicted holdout repeat purchases (0 for an empty bin).
    pub mean_predicted: f64,
}

/// A bin of the calibration repeat-purchase histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramBin {
    /// `"0"`, …, `"6"`, `"7+"`.
    pub purchases: String,
    /// Customers with that many repeat purchases in calibration.
    pub actual: f64,
    /// Expected customers, `Σ_i P(X(T_i) = n)` (the rest for `7+`).
    pub expected: f64,
}

/// The result of a chi-square test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChiSquare {
    /// The test statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// `P(χ²_df > statistic)`.
    pub p_value: f64,
}

/// A decile of the ranking by predicted holdout purchases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decile {
    /// 1 (the 10% with the highest predictions) to 10.
    pub decile: usize,
    /// Customers in the decile (a tenth of all; fractional with ties or
    /// fewer than ten customers).
    pub customers: f64,
    /// Mean predicted holdout repeat purchases in the decile.
    pub mean_predicted: f64,
    /// Mean actual holdout repeat purchases in the decile.
    pub mean_actual: f64,
    /// The decile's share of all actual holdout purchases.
    pub share_actual: f64,
    /// `share_actual / 0.1`: 1 is no better than random.
    pub lift: f64,
}

/// Gini coefficient and decile lift of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// Gini of the actual purchases captured along the predicted ranking
    /// (`None` when there are no actual purchases).
    pub gini: Option<f64>,
    /// Gini of the perfect ranking (customers ranked by their actual purchases).
    pub gini_perfect: Option<f64>,
    /// `gini / gini_perfect` (1 for a perfect ranking).
    pub gini_normalized: Option<f64>,
    /// Lift of the top decile.
    pub top_decile_lift: Option<f64>,
    /// The ten deciles, highest predictions first.
    pub deciles: Vec<Decile>,
}

/// Everything measured for one model.
#[derive(Debug, Serialize)]
pub struct ModelValidation {
    /// The model's command-line name.
    pub model: String,
    /// The model kind (not serialised; `model` holds its name).
    #[serde(skip)]
    pub kind: ModelKind,
    /// Fitted parameters, by name.
    #[serde(serialize_with = "named")]
    pub params: Vec<(String, f64)>,
    /// Standard errors of the parameters, by name.
    #[serde(serialize_with = "named")]
    pub standard_errors: Vec<(String, f64)>,
    /// Calibration log-likelihood.
    pub log_likelihood: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Number of parameters.
    pub n_params: usize,
    /// Whether the optimiser converged.
    pub converged: bool,
    /// Customers (sum of weights).
    pub n_customers: f64,
    /// Predicted total repeat purchases in the holdout, `Σ ŷ_i`.
    pub holdout_predicted: f64,
    /// Actual total repeat purchases in the holdout, `Σ y_i`.
    pub holdout_actual: f64,
    /// `holdout_predicted / holdout_actual − 1`.
    pub holdout_relative_error: Option<f64>,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Root mean squared error per customer.
    pub rmse: f64,
    /// Gini of the actual holdout purchases along the predicted ranking.
    pub gini: Option<f64>,
    /// Gini of the perfect ranking.
    pub gini_perfect: Option<f64>,
    /// `gini / gini_perfect`.
    pub gini_normalized: Option<f64>,
    /// Top-decile lift.
    pub top_decile_lift: Option<f64>,
    /// Lift of every decile.
    pub decile_lift: Vec<Decile>,
    /// The calibration-vs-holdout table by calibration frequency.
    pub calibration_vs_holdout: Vec<FrequencyBin>,
    /// Cumulative tracking curve (empty without tracking data).
    pub tracking: Vec<TrackingPoint>,
    /// The holdout's repeat purchases as the tracking curve forecasts them
    /// (new-customer expectations from each birth, ignoring every
    /// customer's history): the expected cumulative purchases at the last
    /// period minus those at the calibration end. `None` without tracking
    /// data or when no period ends at the calibration end.
    pub tracking_holdout_predicted: Option<f64>,
    /// Expected vs actual calibration histogram (`None` when the model has
    /// no closed-form `P(X(t) = n)`).
    pub histogram: Option<Vec<HistogramBin>>,
    /// Chi-square goodness of fit of the histogram (`None` without a
    /// histogram or when the degrees of freedom are not positive).
    pub histogram_chi_square: Option<ChiSquare>,
    /// Notes for the reader (skipped parts and why, convergence warnings).
    pub notes: Vec<String>,
    /// Predicted holdout purchases per row of the data (not serialised).
    #[serde(skip)]
    pub predicted: Vec<f64>,
    /// The fitted model (not serialised; `params` holds its parameters).
    #[serde(skip)]
    pub fitted: Option<Box<dyn ParametricModel>>,
}

/// How two models relate.
#[derive(Debug, Clone, PartialEq)]
pub enum Nesting {
    /// `restricted` is `general` with `df` parameters fixed; `boundary`
    /// when the restriction puts a parameter on the edge of its space (the
    /// statistic is then a 50:50 mixture of χ²_{df−1} and χ²_df).
    Nested {
        /// The special case.
        restricted: &'static str,
        /// The model that contains it.
        general: &'static str,
        /// Number of restricted parameters.
        df: usize,
        /// Whether the restriction is on the boundary of the parameter space.
        boundary: bool,
    },
    /// Neither model is a special case of the other.
    NotNested {
        /// Why, in words.
        reason: String,
    },
}

/// Which pairs of registered models are nested, and why the others are not,
/// by command-line name (names the registry does not know are "not known to
/// be nested"). The relations are data on the registry:
/// [`crate::models::PAIRS`].
pub fn nesting(a: &str, b: &str) -> Nesting {
    match (a.parse::<ModelKind>(), b.parse::<ModelKind>()) {
        (Ok(a), Ok(b)) => nesting_of(a, b),
        _ => not_nested("not known to be nested"),
    }
}

/// [`nesting`] for two registered models.
pub fn nesting_of(a: ModelKind, b: ModelKind) -> Nesting {
    match a.relation(b) {
        Some(Relation::Nested {
            restricted,
            df,
            boundary,
        }) => Nesting::Nested {
            restricted: restricted.name(),
            general: if restricted == a { b.name() } else { a.name() },
            df,
            boundary,
        },
        Some(Relation::NotNested(reason)) => not_nested(reason),
        None => not_nested("not known to be nested"),
    }
}

fn not_nested(reason: &str) -> Nesting {
    Nesting::NotNested {
        reason: format!("{reason}; compare by AIC/BIC"),
    }
}

/// A likelihood-ratio test (or the reason there is none) between two models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LrTest {
    /// The two models, in report order.
    pub models: [String; 2],
    /// Whether one is a special case of the other.
    pub nested: bool,
    /// The special case (nested pairs only).
    pub restricted: Option<String>,
    /// The general model (nested pairs only).
    pub general: Option<String>,
    /// `2 (LL_general − LL_restricted)` (nested pairs only).
    pub statistic: Option<f64>,
    /// Degrees of freedom (nested pairs only).
    pub df: Option<usize>,
    /// p-value (nested pairs only).
    pub p_value: Option<f64>,
    /// What the test means, or why there is none.
    pub note: String,
}

/// A model that could not be fitted or evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFailure {
    /// The model's name.
    pub model: String,
    /// The error, in words.
    pub error: String,
}

/// The chosen model and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestModel {
    /// The model's name.
    pub model: String,
    /// Why it was chosen, in words.
    pub reason: String,
}

/// The validation of every model on one data set.
#[derive(Debug, Serialize)]
pub struct ValidationReport {
    /// Customers (sum of weights).
    pub n_customers: f64,
    /// Actual total repeat purchases in the holdout.
    pub holdout_actual: f64,
    /// Per model, in the order asked for.
    pub models: Vec<ModelValidation>,
    /// One entry per pair of models: a test when nested, else why not.
    pub lr_tests: Vec<LrTest>,
    /// The model with the lowest holdout MAE, with the reason.
    pub best_model: Option<BestModel>,
    /// Models that failed to fit or evaluate.
    pub failures: Vec<ModelFailure>,
}

fn named<S: serde::Serializer>(v: &[(String, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}

/// The models `clv validate` runs by default: every registered model that is
/// not discrete.
pub fn default_models() -> Vec<ModelKind> {
    ModelKind::ALL
        .iter()
        .copied()
        .filter(|k| !k.is_discrete())
        .collect()
}

/// Fits every model in `kinds` on the calibration data and evaluates it on
/// the holdout (see the module documentation).
///
/// A model that fails to fit is listed in [`ValidationReport::failures`] and
/// the others are still reported.
///
/// # Errors
///
/// [`Error::InvalidData`] when `kinds` is empty or holds a discrete model;
/// the first model's error when every model fails.
pub fn validate(
    data: &ValidationData<'_>,
    kinds: &[ModelKind],
    options: &FitOptions,
) -> Result<ValidationReport> {
    check_kinds(kinds)?;
    let mut models = Vec::new();
    let mut failures = Vec::new();
    let mut first_error = None;
    for &kind in kinds {
        match kind
            .fit(data.calibration, options)
            .and_then(|f| evaluate(data, kind, f))
        {
            Ok(m) => models.push(m),
            Err(e) => {
                failures.push(ModelFailure {
                    model: kind.name().into(),
                    error: e.to_string(),
                });
                first_error.get_or_insert(e);
            }
        }
    }
    if models.is_empty() {
        return Err(first_error.unwrap_or_else(|| Error::InvalidData("no models".into())));
    }
    Ok(ValidationReport::new(data, models, failures))
}

/// Checks that `kinds` is a non-empty list of continuous-time models.
///
/// # Errors
///
/// [`Error::InvalidData`] saying which model is discrete, or that the list is empty.
pub fn check_kinds(kinds: &[ModelKind]) -> Result<()> {
    if kinds.is_empty() {
        return Err(Error::InvalidData("no models to validate".into()));
    }
    if let Some(k) = kinds.iter().find(|k| k.is_discrete()) {
        return Err(Error::InvalidData(format!(
            "{k} is a discrete-time model (T counts opportunities); validation works on \
             continuous-time summaries"
        )));
    }
    Ok(())
}

impl ValidationReport {
    /// Assembles a report from evaluated models: the likelihood-ratio tests
    /// of every pair and the best model.
    pub fn new(
        data: &ValidationData<'_>,
        models: Vec<ModelValidation>,
        failures: Vec<ModelFailure>,
    ) -> Self {
        let lr_tests = lr_tests(&models);
        let best_model = best_model(&models);
        ValidationReport {
            n_customers: data.calibration.total_weight(),
            holdout_actual: data.holdout_total(),
            models,
            lr_tests,
            best_model,
            failures,
        }
    }

    /// The validation of the model named `name`.
    pub fn model(&self, name: &str) -> Option<&ModelValidation> {
        self.models.iter().find(|m| m.model == name)
    }

    /// The best model's validation (lowest holdout MAE).
    pub fn best(&self) -> Option<&ModelValidation> {
        self.best_model.as_ref().and_then(|b| self.model(&b.model))
    }
}

/// Evaluates one fitted model on the holdout: every measure of the module
/// documentation.
///
/// # Errors
///
/// [`Error::Numerical`] naming the row when a prediction is not finite.
pub fn evaluate(
    data: &ValidationData<'_>,
    kind: ModelKind,
    fitted: FittedModel,
) -> Result<ModelValidation> {
    let FittedModel { model, report } = fitted;
    let cal = data.calibration;
    let predicted = predict_holdout(model.as_ref(), cal, data.holdout_duration)?;
    let actual = data.holdout_frequency;
    let weights = &cal.weight;
    let n = cal.total_weight();
    let holdout_actual = data.holdout_total();
    let holdout_predicted: f64 = predicted.iter().zip(weights).map(|(p, w)| p * w).sum();
    let mae = mean_absolute_error(&predicted, actual, weights);
    let rmse = (predicted
        .iter()
        .zip(actual)
        .zip(weights)
        .map(|((p, y), w)| w * (p - y) * (p - y))
        .sum::<f64>()
        / n)
        .sqrt();
    let rank = ranking(&predicted, actual, weights);
    let table = calibration_vs_holdout(&cal.frequency, actual, &predicted, weights);
    let mut notes = Vec::new();
    if !report.converged {
        notes.push(format!(
            "the optimiser did not converge ({}); treat the numbers with care",
            report.termination
        ));
    }
    let tracking = match data.tracking {
        Some(t) => tracking_curve(model.as_ref(), t)?,
        None => Vec::new(),
    };
    let tracking_holdout_predicted = data.tracking.and_then(|t| {
        let tol = 1e-9 * t.calibration_end.abs().max(1.0);
        let at_cal = tracking
            .iter()
            .find(|p| (p.time - t.calibration_end).abs() <= tol)?;
        Some(tracking.last()?.predicted_cumulative - at_cal.predicted_cumulative)
    });
    let histogram = frequency_histogram(model.as_ref(), cal)?;
    let histogram_chi_square = histogram
        .as_ref()
        .and_then(|h| histogram_chi_square(h, report.n_params));
    if histogram.is_none() {
        notes.push(format!(
            "histogram skipped: {} has no closed-form P(X(t) = n)",
            kind.name()
        ));
    }
    let names = model.param_names();
    let values = model.param_values();
    Ok(ModelValidation {
        model: kind.name().into(),
        kind,
        params: names
            .iter()
            .zip(&values)
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        standard_errors: names
            .iter()
            .zip(&report.standard_errors)
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        log_likelihood: report.log_likelihood,
        aic: report.aic,
        bic: report.bic,
        n_params: report.n_params,
        converged: report.converged,
        n_customers: n,
        holdout_predicted,
        holdout_actual,
        holdout_relative_error: (holdout_actual > 0.0)
            .then(|| holdout_predicted / holdout_actual - 1.0),
        mae,
        rmse,
        gini: rank.gini,
        gini_perfect: rank.gini_perfect,
        gini_normalized: rank.gini_normalized,
        top_decile_lift: rank.top_decile_lift,
        decile_lift: rank.deciles,
        calibration_vs_holdout: table,
        tracking,
        tracking_holdout_predicted,
        histogram,
        histogram_chi_square,
        notes,
        predicted,
        fitted: Some(model),
    })
}

/// `E[Y(d_i) | x_i, t_x,i, T_i]` for every row, computed once per distinct
/// `(x, T, d)` and shared.
///
/// # Errors
///
/// [`Error::Numerical`] naming the row when a prediction is not finite.
pub fn predict_holdout(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    duration: &[f64],
) -> Result<Vec<f64>> {
    let mut keys: HashMap<(u64, u64, u64), usize> = HashMap::new();
    let mut triples: Vec<(f64, f64, f64)> = Vec::new();
    let slot: Vec<usize> = (0..data.len())
        .map(|i| {
            let (x, t, d) = (data.frequency[i], data.age[i], duration[i]);
            *keys
                .entry((x.to_bits(), t.to_bits(), d.to_bits()))
                .or_insert_with(|| {
                    triples.push((x, t, d));
                    triples.len() - 1
                })
        })
        .collect();
    let if_alive: Vec<f64> = triples
        .par_iter()
        .map(|&(x, t, d)| model.expected_purchases_if_alive(x, t, d))
        .collect();
    (0..data.len())
        .into_par_iter()
        .map(|i| {
            let v = model.p_alive(&data.customer(i)) * if_alive[slot[i]];
            if v.is_finite() {
                Ok(v)
            } else {
                Err(Error::Numerical(format!(
                    "holdout prediction of row {i} (x = {}, t_x = {}, T = {})",
                    data.frequency[i], data.recency[i], data.age[i]
                )))
            }
        })
        .collect()
}

/// Weighted mean absolute error `Σ w |p − y| / Σ w` (0 without rows).
pub fn mean_absolute_error(predicted: &[f64], actual: &[f64], weights: &[f64]) -> f64 {
    let (num, den) = predicted
        .iter()
        .zip(actual)
        .zip(weights)
        .fold((0.0, 0.0), |(n, d), ((p, y), w)| {
            (n + w * (p - y).abs(), d + w)
        });
    if den > 0.0 { num / den } else { 0.0 }
}

fn bin_of(x: f64) -> usize {
    (x.max(0.0) as u64).min(MAX_FREQUENCY_BIN + 1) as usize
}

fn bin_label(b: usize) -> String {
    if b as u64 > MAX_FREQUENCY_BIN {
        format!("{}+", MAX_FREQUENCY_BIN + 1)
    } else {
        b.to_string()
    }
}

/// The calibration-vs-holdout table: customers grouped by calibration
/// frequency (`0..=6`, then `7+`), with the mean actual and predicted holdout
/// purchases of each group. Every bin is listed, empty ones with zeros.
pub fn calibration_vs_holdout(
    frequency: &[f64],
    actual: &[f64],
    predicted: &[f64],
    weights: &[f64],
) -> Vec<FrequencyBin> {
    let nb = MAX_FREQUENCY_BIN as usize + 2;
    let mut sums = vec![(0.0, 0.0, 0.0); nb];
    for i in 0..frequency.len() {
        let s = &mut sums[bin_of(frequency[i])];
        s.0 += weights[i];
        s.1 += weights[i] * actual[i];
        s.2 += weights[i] * predicted[i];
    }
    sums.into_iter()
        .enumerate()
        .map(|(b, (w, a, p))| FrequencyBin {
            frequency: bin_label(b),
            min_frequency: b as u64,
            customers: w,
            mean_actual: if w > 0.0 { a / w } else { 0.0 },
            mean_predicted: if w > 0.0 { p / w } else { 0.0 },
        })
        .collect()
}

/// The tracking curve: per period, actual and expected repeat purchases and
/// their running totals; expected cumulative purchases at `τ` are
/// `Σ_b n_b E[X(τ − t0_b)]` over the birth times `t0_b < τ`.
///
/// # Errors
///
/// [`Error::InvalidData`] for inconsistent input (see
/// [`TrackingData::validate`]); [`Error::Numerical`] when an expectation is
/// not finite.
pub fn tracking_curve(
    model: &dyn PurchaseModel,
    data: &TrackingData,
) -> Result<Vec<TrackingPoint>> {
    data.validate()?;
    let cumulative: Vec<f64> = data
        .period_ends
        .par_iter()
        .map(|&tau| {
            data.births
                .iter()
                .filter(|&&(t0, n)| t0 < tau && n > 0.0)
                .map(|&(t0, n)| n * model.expected_purchases_new(tau - t0))
                .sum::<f64>()
        })
        .collect();
    if let Some(k) = cumulative.iter().position(|v| !v.is_finite()) {
        return Err(Error::Numerical(format!(
            "expected purchases of new customers at tracking period {}",
            k + 1
        )));
    }
    let mut actual_cum = 0.0;
    let mut previous = 0.0;
    Ok(data
        .period_ends
        .iter()
        .zip(&data.actual)
        .zip(&cumulative)
        .enumerate()
        .map(|(k, ((&time, &actual), &pred_cum))| {
            actual_cum += actual;
            let point = TrackingPoint {
                period: k + 1,
                time,
                actual,
                predicted: pred_cum - previous,
                actual_cumulative: actual_cum,
                predicted_cumulative: pred_cum,
            };
            previous = pred_cum;
            point
        })
        .collect())
}

/// Actual and expected numbers of customers with `0..=6` and `7+` repeat
/// purchases in calibration; `None` when the model has no closed-form
/// `P(X(t) = n)` ([`ParametricModel::probability_of_purchases_new`]).
///
/// Customers with the same age `T` share one evaluation.
///
/// # Errors
///
/// [`Error::Numerical`] when a probability is not finite or outside `[0, 1]`.
pub fn frequency_histogram(
    model: &dyn ParametricModel,
    data: &CustomerData,
) -> Result<Option<Vec<HistogramBin>>> {
    let nb = MAX_FREQUENCY_BIN as usize + 2;
    let mut actual = vec![0.0; nb];
    let mut ages: HashMap<u64, (f64, f64)> = HashMap::new();
    for i in 0..data.len() {
        actual[bin_of(data.frequency[i])] += data.weight[i];
        ages.entry(data.age[i].to_bits())
            .or_insert((data.age[i], 0.0))
            .1 += data.weight[i];
    }
    let mut ages: Vec<(f64, f64)> = ages.into_values().collect();
    ages.sort_by(|a, b| a.0.total_cmp(&b.0));
    let per_age: Vec<Option<Vec<f64>>> = ages
        .par_iter()
        .map(|&(t, _)| {
            (0..=MAX_FREQUENCY_BIN)
                .map(|n| model.probability_of_purchases_new(n, t))
                .collect::<Option<Vec<f64>>>()
        })
        .collect();
    let mut expected = vec![0.0; nb];
    for ((t, w), probs) in ages.iter().zip(per_age) {
        let Some(probs) = probs else {
            return Ok(None);
        };
        let mut rest = 1.0;
        for (n, p) in probs.iter().enumerate() {
            if !(p.is_finite() && (-1e-12..=1.0 + 1e-12).contains(p)) {
                return Err(Error::Numerical(format!(
                    "P(X({t}) = {n}) = {p} from {}",
                    model.name()
                )));
            }
            expected[n] += w * p;
            rest -= p;
        }
        expected[nb - 1] += w * rest.max(0.0);
    }
    Ok(Some(
        (0..nb)
            .map(|b| HistogramBin {
                purchases: bin_label(b),
                actual: actual[b],
                expected: expected[b],
            })
            .collect(),
    ))
}

/// Pearson's chi-square of a histogram, `Σ (O − E)² / E` over the bins with
/// `E > 0`, with `bins − 1 − n_params` degrees of freedom (`None` when that
/// is not positive).
pub fn histogram_chi_square(bins: &[HistogramBin], n_params: usize) -> Option<ChiSquare> {
    let used: Vec<&HistogramBin> = bins.iter().filter(|b| b.expected > 0.0).collect();
    let df = used.len().checked_sub(1 + n_params).filter(|&d| d > 0)?;
    let statistic: f64 = used
        .iter()
        .map(|b| (b.actual - b.expected).powi(2) / b.expected)
        .sum();
    Some(ChiSquare {
        statistic,
        df,
        p_value: chi_square_sf(statistic, df as f64),
    })
}

/// Groups of tied predictions, highest first: (weight, Σ w·predicted, Σ w·actual).
fn tied_groups(key: &[f64], predicted: &[f64], actual: &[f64], weights: &[f64]) -> Vec<[f64; 3]> {
    let mut order: Vec<usize> = (0..key.len()).collect();
    order.sort_by(|&a, &b| key[b].total_cmp(&key[a]));
    let mut groups: Vec<[f64; 3]> = Vec::new();
    let mut last = f64::NAN;
    for i in order {
        let w = weights[i];
        if groups.is_empty() || key[i] != last {
            groups.push([0.0; 3]);
            last = key[i];
        }
        let g = groups.last_mut().expect("a group was pushed");
        g[0] += w;
        g[1] += w * predicted[i];
        g[2] += w * actual[i];
    }
    groups
}

/// Area under the capture curve of `groups` (x: share of customers, y: share
/// of the actual total), each group a straight segment.
fn capture_area(groups: &[[f64; 3]], n: f64, total: f64) -> f64 {
    let mut area = 0.0;
    let mut c = 0.0;
    for g in groups {
        let next = c + g[2] / total;
        area += g[0] / n * (c + next) / 2.0;
        c = next;
    }
    area
}

/// Sums of (weight, predicted, actual) over the customers in the ranking
/// stretch `[lo, hi)` (in customers from the top), ties spread evenly.
fn stretch(groups: &[[f64; 3]], lo: f64, hi: f64) -> [f64; 3] {
    let mut out = [0.0; 3];
    let mut start = 0.0;
    for g in groups {
        let end = start + g[0];
        let overlap = (end.min(hi) - start.max(lo)).max(0.0);
        if overlap > 0.0 && g[0] > 0.0 {
            let f = overlap / g[0];
            out[0] += overlap;
            out[1] += f * g[1];
            out[2] += f * g[2];
        }
        start = end;
        if start >= hi {
            break;
        }
    }
    out
}

/// Gini coefficient and decile lift of the ranking by `predicted` (highest
/// first) of the `actual` values; see the module documentation.
pub fn ranking(predicted: &[f64], actual: &[f64], weights: &[f64]) -> Ranking {
    let n: f64 = weights.iter().sum();
    let total: f64 = actual.iter().zip(weights).map(|(a, w)| a * w).sum();
    let groups = tied_groups(predicted, predicted, actual, weights);
    let deciles: Vec<Decile> = (0..10)
        .map(|d| {
            let s = stretch(&groups, n * d as f64 / 10.0, n * (d + 1) as f64 / 10.0);
            let share = if total > 0.0 { s[2] / total } else { 0.0 };
            Decile {
                decile: d + 1,
                customers: s[0],
                mean_predicted: if s[0] > 0.0 { s[1] / s[0] } else { 0.0 },
                mean_actual: if s[0] > 0.0 { s[2] / s[0] } else { 0.0 },
                share_actual: share,
                lift: share / 0.1,
            }
        })
        .collect();
    if !(total > 0.0 && n > 0.0) {
        return Ranking {
            gini: None,
            gini_perfect: None,
            gini_normalized: None,
            top_decile_lift: None,
            deciles,
        };
    }
    let gini = 2.0 * capture_area(&groups, n, total) - 1.0;
    let perfect = tied_groups(actual, predicted, actual, weights);
    let gini_perfect = 2.0 * capture_area(&perfect, n, total) - 1.0;
    Ranking {
        gini: Some(gini),
        gini_perfect: Some(gini_perfect),
        gini_normalized: (gini_perfect > 0.0).then(|| gini / gini_perfect),
        top_decile_lift: Some(deciles[0].lift),
        deciles,
    }
}

/// Likelihood-ratio test of a restricted model against the general model
/// containing it: `(statistic, p-value)` with `statistic = 2 (LL_general −
/// LL_restricted)` (negative values, from an optimiser stopping short, are
/// clamped to 0) and `p = P(χ²_df > statistic)`, or, for a restriction on
/// the boundary of the parameter space, the 50:50 mixture
/// `(P(χ²_{df−1} > s) + P(χ²_df > s)) / 2` (Self & Liang 1987), where
/// `χ²_0` is a point mass at 0.
pub fn likelihood_ratio_test(
    ll_restricted: f64,
    ll_general: f64,
    df: usize,
    boundary: bool,
) -> (f64, f64) {
    let s = (2.0 * (ll_general - ll_restricted)).max(0.0);
    let p = chi_square_sf(s, df as f64);
    if boundary {
        let lower = if df <= 1 {
            if s > 0.0 { 0.0 } else { 1.0 }
        } else {
            chi_square_sf(s, (df - 1) as f64)
        };
        (s, 0.5 * (lower + p))
    } else {
        (s, p)
    }
}

fn lr_tests(models: &[ModelValidation]) -> Vec<LrTest> {
    let mut out = Vec::new();
    for i in 0..models.len() {
        for j in i + 1..models.len() {
            let (a, b) = (&models[i], &models[j]);
            let names = [a.model.clone(), b.model.clone()];
            out.push(match nesting_of(a.kind, b.kind) {
                Nesting::NotNested { reason } => LrTest {
                    models: names,
                    nested: false,
                    restricted: None,
                    general: None,
                    statistic: None,
                    df: None,
                    p_value: None,
                    note: format!("not nested: {reason}"),
                },
                Nesting::Nested {
                    restricted,
                    general,
                    df,
                    boundary,
                } => {
                    let (r, g) = if a.model == restricted {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    let (s, p) =
                        likelihood_ratio_test(r.log_likelihood, g.log_likelihood, df, boundary);
                    LrTest {
                        models: names,
                        nested: true,
                        restricted: Some(restricted.into()),
                        general: Some(general.into()),
                        statistic: Some(s),
                        df: Some(df),
                        p_value: Some(p),
                        note: format!(
                            "{restricted} is nested in {general}{}; {}",
                            if boundary {
                                " (on the boundary: mixture of chi-squares)"
                            } else {
                                ""
                            },
                            if p < 0.05 {
                                format!("{general} fits significantly better (p < 0.05)")
                            } else {
                                format!("{general} is not significantly better (p >= 0.05)")
                            }
                        ),
                    }
                }
            });
        }
    }
    out
}

fn best_model(models: &[ModelValidation]) -> Option<BestModel> {
    let best = models.iter().min_by(|a, b| a.mae.total_cmp(&b.mae))?;
    if models.len() == 1 {
        return Some(BestModel {
            model: best.model.clone(),
            reason: format!(
                "the only model validated (holdout MAE {:.4} per customer)",
                best.mae
            ),
        });
    }
    let others: Vec<String> = models
        .iter()
        .filter(|m| m.model != best.model)
        .map(|m| format!("{} {:.4}", m.model, m.mae))
        .collect();
    let lowest_bic = models
        .iter()
        .min_by(|a, b| a.bic.total_cmp(&b.bic))
        .map(|m| m.model.as_str());
    let bic = match lowest_bic {
        Some(m) if m == best.model => "; it also has the lowest BIC".to_string(),
        Some(m) => format!("; {m} has the lowest BIC"),
        None => String::new(),
    };
    Some(BestModel {
        model: best.model.clone(),
        reason: format!(
            "lowest holdout MAE per customer ({:.4}; {}){bic}",
            best.mae,
            others.join(", ")
        ),
    })
}

/// `P(χ²_k > x)`, the chi-square survival function (the regularised upper
/// incomplete gamma function `Q(k/2, x/2)`); 1 for `x <= 0`.
pub fn chi_square_sf(x: f64, k: f64) -> f64 {
    if x <= 0.0 {
        1.0
    } else {
        gamma_q(k / 2.0, x / 2.0)
    }
}

/// Regularised upper incomplete gamma `Q(a, x)`: a power series for
/// `x < a + 1`, Lentz's continued fraction otherwise (relative accuracy
/// about 1e-14).
fn gamma_q(a: f64, x: f64) -> f64 {
    let ln_pre = a * x.ln() - x - crate::special::ln_gamma(a);
    if x < a + 1.0 {
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * ln_pre.exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (h * ln_pre.exp()).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::FitReport;

    /// A model with `E[Y] = rate · t` for everyone alive, P(alive) = 1, and
    /// Poisson `P(X(t) = n)`: every number below can be computed by hand.
    #[derive(Debug)]
    struct Poisson {
        rate: f64,
    }

    impl PurchaseModel for Poisson {
        fn name(&self) -> &'static str {
            "poisson"
        }
        fn log_likelihood(&self, c: &crate::Customer) -> f64 {
            c.frequency * self.rate.ln() - self.rate * c.age
        }
        fn p_alive(&self, _: &crate::Customer) -> f64 {
            1.0
        }
        fn expected_purchases_if_alive(&self, _: f64, _: f64, t: f64) -> f64 {
            self.rate * t
        }
        fn p_no_purchase_if_alive(&self, _: f64, _: f64, t: f64) -> f64 {
            (-self.rate * t).exp()
        }
        fn expected_purchases_new(&self, t: f64) -> f64 {
            self.rate * t
        }
    }

    impl ParametricModel for Poisson {
        fn param_names(&self) -> &'static [&'static str] {
            &["rate"]
        }
        fn param_values(&self) -> Vec<f64> {
            vec![self.rate]
        }
        fn with_params(&self, v: &[f64]) -> Result<Box<dyn ParametricModel>> {
            Ok(Box::new(Poisson { rate: v[0] }))
        }
        fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
            let m = self.rate * t;
            Some((-m + n as f64 * m.ln() - crate::special::ln_gamma(n as f64 + 1.0)).exp())
        }
    }

    #[test]
    fn mae_is_weighted_mean_of_absolute_errors() {
        // |1-0| * 1 + |2-4| * 3 = 7 over 4 customers.
        assert_eq!(
            mean_absolute_error(&[1.0, 2.0], &[0.0, 4.0], &[1.0, 3.0]),
            1.75
        );
        assert_eq!(mean_absolute_error(&[], &[], &[]), 0.0);
    }

    #[test]
    fn gini_and_lift_by_hand() {
        // Ranked 3, 2, 1, 0 with actual 2, 1, 1, 0 (total 4): the capture
        // curve passes (0.25, 0.5), (0.5, 0.75), (0.75, 1), (1, 1); area =
        // 0.25 * (0.25 + 0.625 + 0.875 + 1) = 0.6875, Gini = 0.375. The
        // perfect ranking (by actual: 2, then the tied 1s, then 0) gives the
        // same curve. The top decile is 0.4 of the first customer: 0.2 of
        // the actual, lift 2.
        let r = ranking(&[1.0, 3.0, 0.0, 2.0], &[1.0, 2.0, 0.0, 1.0], &[1.0; 4]);
        assert!((r.gini.unwrap() - 0.375).abs() < 1e-12);
        assert!((r.gini_perfect.unwrap() - 0.375).abs() < 1e-12);
        assert!((r.gini_normalized.unwrap() - 1.0).abs() < 1e-12);
        assert!((r.top_decile_lift.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(r.deciles.len(), 10);
        let shares: f64 = r.deciles.iter().map(|d| d.share_actual).sum();
        assert!((shares - 1.0).abs() < 1e-12);
        assert!((r.deciles[0].customers - 0.4).abs() < 1e-12);
        assert!((r.deciles[0].mean_predicted - 3.0).abs() < 1e-12);
        // The last decile is the 0.4 tail of the customer predicted 0.
        assert_eq!(r.deciles[9].share_actual, 0.0);
    }

    #[test]
    fn a_reversed_ranking_has_negative_gini_and_ties_spread_evenly() {
        // Ranked worst first: actual 0, 1, 1, 2 along the ranking; curve
        // (0.25, 0), (0.5, 0.25), (0.75, 0.5), (1, 1): area = 0.25 * (0 +
        // 0.125 + 0.375 + 0.75) = 0.3125, Gini = -0.375.
        let r = ranking(&[3.0, 2.0, 1.0, 0.0], &[0.0, 1.0, 1.0, 2.0], &[1.0; 4]);
        assert!((r.gini.unwrap() + 0.375).abs() < 1e-12);
        // All predictions tied: the curve is the diagonal, Gini 0, lift 1,
        // whatever the order of the rows.
        let tied = ranking(&[1.0; 4], &[0.0, 1.0, 1.0, 2.0], &[1.0; 4]);
        assert!(tied.gini.unwrap().abs() < 1e-12);
        assert!((tied.top_decile_lift.unwrap() - 1.0).abs() < 1e-12);
        let tied2 = ranking(&[1.0; 4], &[2.0, 1.0, 0.0, 1.0], &[1.0; 4]);
        assert_eq!(tied.deciles, tied2.deciles);
        // No actual purchases: nothing to rank.
        let none = ranking(&[1.0, 2.0], &[0.0, 0.0], &[1.0, 1.0]);
        assert_eq!((none.gini, none.top_decile_lift), (None, None));
    }

    #[test]
    fn weights_count_as_repeated_customers() {
        let weighted = ranking(&[2.0, 1.0], &[3.0, 1.0], &[1.0, 2.0]);
        let expanded = ranking(&[2.0, 1.0, 1.0], &[3.0, 1.0, 1.0], &[1.0; 3]);
        assert!((weighted.gini.unwrap() - expanded.gini.unwrap()).abs() < 1e-12);
        assert_eq!(weighted.deciles, expanded.deciles);
    }

    #[test]
    fn calibration_vs_holdout_by_hand() {
        let x = [0.0, 0.0, 1.0, 7.0, 12.0];
        let y = [0.0, 2.0, 1.0, 4.0, 6.0];
        let p = [0.5, 0.5, 1.5, 3.0, 5.0];
        let t = calibration_vs_holdout(&x, &y, &p, &[1.0; 5]);
        assert_eq!(t.len(), 8);
        assert_eq!(t[0].frequency, "0");
        assert_eq!(
            (t[0].customers, t[0].mean_actual, t[0].mean_predicted),
            (2.0, 1.0, 0.5)
        );
        assert_eq!(
            (t[1].customers, t[1].mean_actual, t[1].mean_predicted),
            (1.0, 1.0, 1.5)
        );
        assert_eq!((t[2].customers, t[2].mean_actual), (0.0, 0.0));
        assert_eq!(t[7].frequency, "7+");
        assert_eq!(
            (t[7].customers, t[7].mean_actual, t[7].mean_predicted),
            (2.0, 5.0, 4.0)
        );
    }

    #[test]
    fn tracking_curve_by_hand() {
        // Rate 0.5 per unit; 2 customers born at 0, 1 at 1.5. At τ = 1:
        // 2 * 0.5 = 1; at τ = 2: 2 * 1 + 0.25 = 2.25; at τ = 3: 3 + 0.75 = 3.75.
        let m = Poisson { rate: 0.5 };
        let data = TrackingData {
            period_ends: vec![1.0, 2.0, 3.0],
            actual: vec![1.0, 0.0, 2.0],
            births: vec![(0.0, 2.0), (1.5, 1.0)],
            calibration_end: 2.0,
        };
        let c = tracking_curve(&m, &data).unwrap();
        let pred: Vec<f64> = c.iter().map(|p| p.predicted_cumulative).collect();
        assert_eq!(pred, [1.0, 2.25, 3.75]);
        let inc: Vec<f64> = c.iter().map(|p| p.predicted).collect();
        assert_eq!(inc, [1.0, 1.25, 1.5]);
        let act: Vec<f64> = c.iter().map(|p| p.actual_cumulative).collect();
        assert_eq!(act, [1.0, 1.0, 3.0]);
        assert_eq!(c[2].period, 3);
        let bad = TrackingData {
            period_ends: vec![1.0, 1.0],
            actual: vec![0.0, 0.0],
            ..data
        };
        assert!(tracking_curve(&m, &bad).is_err());
    }

    #[test]
    fn histogram_by_hand() {
        // Rate 1, ages 1 (two customers) and 2: P(X(1) = 0) = e^-1 and
        // P(X(2) = 0) = e^-2, so E[#0] = 2 e^-1 + e^-2; the bins sum to 3.
        let m = Poisson { rate: 1.0 };
        let data = CustomerData::new(
            vec![0.0, 1.0, 9.0],
            vec![0.0, 0.5, 1.5],
            vec![1.0, 1.0, 2.0],
        )
        .unwrap();
        let h = frequency_histogram(&m, &data).unwrap().unwrap();
        assert_eq!(h.len(), 8);
        let e0 = 2.0 * (-1.0f64).exp() + (-2.0f64).exp();
        assert!((h[0].expected - e0).abs() < 1e-12);
        let e1 = 2.0 * (-1.0f64).exp() + 2.0 * (-2.0f64).exp();
        assert!((h[1].expected - e1).abs() < 1e-12);
        let total: f64 = h.iter().map(|b| b.expected).sum();
        assert!((total - 3.0).abs() < 1e-12);
        assert_eq!(
            h.iter().map(|b| b.actual).collect::<Vec<_>>(),
            [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        assert_eq!(h[7].purchases, "7+");
    }

    #[test]
    fn chi_square_survival_matches_tables() {
        // Closed forms: df 2 is exp(-x/2); df 1 at the 5% critical value.
        assert!((chi_square_sf(3.0, 2.0) - (-1.5f64).exp()).abs() < 1e-14);
        assert!((chi_square_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
        assert!((chi_square_sf(11.070_497_693_516_351, 5.0) - 0.05).abs() < 1e-12);
        assert!((chi_square_sf(0.5, 3.0) - 0.918_891_411_654_676).abs() < 1e-12);
        assert_eq!(chi_square_sf(0.0, 4.0), 1.0);
    }

    #[test]
    fn likelihood_ratio_by_hand() {
        // LL -100 vs -98.079: statistic 3.842, p 0.05 with one df.
        let (s, p) = likelihood_ratio_test(-100.0, -100.0 + 3.841_458_820_694_124 / 2.0, 1, false);
        assert!((s - 3.841_458_820_694_124).abs() < 1e-9);
        assert!((p - 0.05).abs() < 1e-9);
        // On the boundary the p-value halves for one df.
        let (_, pb) = likelihood_ratio_test(-100.0, -100.0 + 3.841_458_820_694_124 / 2.0, 1, true);
        assert!((pb - 0.025).abs() < 1e-9);
        // A general model that fits worse (optimiser noise) is no evidence.
        assert_eq!(likelihood_ratio_test(-10.0, -10.5, 2, false), (0.0, 1.0));
    }

    #[test]
    fn the_registered_models_are_not_nested() {
        for a in ["bg-nbd", "pareto-nbd", "mbg-nbd"] {
            for b in ["bg-nbd", "pareto-nbd", "mbg-nbd"] {
                if a != b {
                    assert!(
                        matches!(nesting(a, b), Nesting::NotNested { .. }),
                        "{a} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn histogram_chi_square_by_hand() {
        let bins: Vec<HistogramBin> = [(10.0, 8.0), (5.0, 6.0), (5.0, 6.0)]
            .iter()
            .enumerate()
            .map(|(i, &(a, e))| HistogramBin {
                purchases: i.to_string(),
                actual: a,
                expected: e,
            })
            .collect();
        // (2^2)/8 + 1/6 + 1/6 = 0.8333..., df = 3 - 1 - 1 = 1.
        let c = histogram_chi_square(&bins, 1).unwrap();
        assert!((c.statistic - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(c.df, 1);
        assert!(histogram_chi_square(&bins, 2).is_none());
    }

    #[test]
    fn evaluate_a_model_known_in_closed_form() {
        // Rate 0.5, everyone alive: each customer's holdout prediction is
        // 0.5 * 4 = 2; three customers predict 6 against 1 + 2 + 4 = 7;
        // MAE (1 + 0 + 2) / 3 = 1. Tracking: births 2 at 0 and 1 at 1.5,
        // calibration end 2, last period end 6: cumulative expectations 2.25
        // at 2 and 2 * 3 + 2.25 = 8.25 at 6, a holdout forecast of 6.
        let cal = CustomerData::new(
            vec![0.0, 1.0, 2.0],
            vec![0.0, 1.0, 0.4],
            vec![2.0, 2.0, 0.5],
        )
        .unwrap();
        let tracking = TrackingData {
            period_ends: vec![2.0, 6.0],
            actual: vec![3.0, 7.0],
            births: vec![(0.0, 2.0), (1.5, 1.0)],
            calibration_end: 2.0,
        };
        let data = ValidationData::new(&cal, &[1.0, 2.0, 4.0], &[4.0; 3])
            .unwrap()
            .with_tracking(&tracking);
        let report = FitReport {
            log_likelihood: -10.0,
            aic: 22.0,
            bic: 21.0,
            n_customers: 3.0,
            n_params: 1,
            converged: true,
            iterations: 1,
            termination: crate::fit::Termination::NotFitted,
            penalty: 0.0,
            gradient_norm: 0.0,
            standard_errors: vec![0.1],
            covariance: vec![vec![0.01]],
        };
        let fitted = FittedModel {
            model: Box::new(Poisson { rate: 0.5 }),
            report,
        };
        let m = evaluate(&data, ModelKind::BgNbd, fitted).unwrap();
        assert_eq!(m.predicted, [2.0, 2.0, 2.0]);
        assert_eq!((m.holdout_predicted, m.holdout_actual), (6.0, 7.0));
        assert!((m.mae - 1.0).abs() < 1e-12);
        assert!((m.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((m.holdout_relative_error.unwrap() + 1.0 / 7.0).abs() < 1e-12);
        assert_eq!(m.tracking[1].predicted_cumulative, 8.25);
        assert_eq!(m.tracking_holdout_predicted, Some(6.0));
        assert!(m.histogram.is_some());
        assert_eq!(m.params, [("rate".to_string(), 0.5)]);
        // All tied: Gini 0.
        assert!(m.gini.unwrap().abs() < 1e-12);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["params"]["rate"], 0.5);
        assert!(json.get("predicted").is_none());
    }

    /// The Poisson model without a closed-form `P(X(t) = n)`.
    #[derive(Debug)]
    struct NoHistogram(Poisson);

    impl PurchaseModel for NoHistogram {
        fn name(&self) -> &'static str {
            "no-histogram"
        }
        fn log_likelihood(&self, c: &crate::Customer) -> f64 {
            self.0.log_likelihood(c)
        }
        fn p_alive(&self, c: &crate::Customer) -> f64 {
            self.0.p_alive(c)
        }
        fn expected_purchases_if_alive(&self, x: f64, age: f64, t: f64) -> f64 {
            self.0.expected_purchases_if_alive(x, age, t)
        }
        fn p_no_purchase_if_alive(&self, x: f64, age: f64, t: f64) -> f64 {
            self.0.p_no_purchase_if_alive(x, age, t)
        }
        fn expected_purchases_new(&self, t: f64) -> f64 {
            self.0.expected_purchases_new(t)
        }
    }

    impl ParametricModel for NoHistogram {
        fn param_names(&self) -> &'static [&'static str] {
            self.0.param_names()
        }
        fn param_values(&self) -> Vec<f64> {
            self.0.param_values()
        }
        fn with_params(&self, v: &[f64]) -> Result<Box<dyn ParametricModel>> {
            self.0.with_params(v)
        }
    }

    #[test]
    fn a_model_without_p_of_n_skips_the_histogram_with_a_note() {
        let cal = CustomerData::new(vec![0.0, 1.0], vec![0.0, 1.0], vec![2.0, 2.0]).unwrap();
        let m = NoHistogram(Poisson { rate: 1.0 });
        assert_eq!(frequency_histogram(&m, &cal).unwrap(), None);
        let data = ValidationData::new(&cal, &[0.0, 1.0], &[1.0; 2]).unwrap();
        let fitted = FittedModel {
            model: Box::new(m),
            report: FitReport {
                log_likelihood: -1.0,
                aic: 4.0,
                bic: 4.0,
                n_customers: 2.0,
                n_params: 1,
                converged: false,
                iterations: 1,
                termination: crate::fit::Termination::MaxIterations,
                penalty: 0.0,
                gradient_norm: 1.0,
                standard_errors: vec![f64::NAN],
                covariance: vec![vec![f64::NAN]],
            },
        };
        let v = evaluate(&data, ModelKind::BgNbd, fitted).unwrap();
        assert!(v.histogram.is_none() && v.histogram_chi_square.is_none());
        assert!(
            v.notes.iter().any(|n| n.contains("histogram skipped")),
            "{:?}",
            v.notes
        );
        assert!(
            v.notes.iter().any(|n| n.contains("did not converge")),
            "{:?}",
            v.notes
        );
        // Without tracking data there is no curve and no curve forecast.
        assert!(v.tracking.is_empty() && v.tracking_holdout_predicted.is_none());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let cal = CustomerData::new(vec![0.0, 1.0], vec![0.0, 1.0], vec![2.0, 2.0]).unwrap();
        assert!(ValidationData::new(&cal, &[0.0], &[1.0, 1.0]).is_err());
        assert!(ValidationData::new(&cal, &[0.5, 0.0], &[1.0, 1.0]).is_err());
        assert!(ValidationData::new(&cal, &[0.0, 0.0], &[0.0, 1.0]).is_err());
        assert!(check_kinds(&[]).is_err());
        assert!(check_kinds(&default_models()).is_ok());
    }
}
