//! `analysis`: the whole job on one transaction file, as the HTTP server's
//! dashboard shows it.
//!
//! One call fits the purchase model (and the spend model), scores every
//! customer ([`crate::influence::score`]: P(alive), expected purchases, CLV,
//! RFM segment, value tier, churn risk, next purchase, CRV with referral
//! data), draws the action lists ([`crate::actions::actions`]), validates the
//! model on a holdout when a calibration end is given
//! ([`crate::validate::run_validation`]), and computes the aggregates the
//! charts need ([`Charts`]): the CLV distribution, the P(alive) matrix over
//! frequency and recency, the tracking curve, cohort retention, CLV × CRV
//! quadrants, value by channel, by segment, by tier and by churn risk.
//!
//! The model is fitted on every purchase up to the observation end; the
//! calibration end only splits the data for the validation (a second fit up
//! to it, judged on the purchases after it), as `clv validate` does.
//!
//! Between steps the job asks `cancelled()` and stops with
//! [`Error::Cancelled`] when it says so.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clv_core::Customer;
use clv_core::time::Horizon;
use serde::Serialize;

use crate::actions::{ActionLists, actions};
use crate::error::{Error, Result, usage};
use crate::fit::{FitOutput, fit};
use crate::model_file::ModelFile;
use crate::progress::Progress;
use crate::settings::{
    ActionsSettings, DataSettings, FitSettings, InfluenceSettings, InputTables, ModelChoice,
    ModelSettings, SpendModel,
};
use crate::validate::{Validation, run_validation};

/// What to analyse and how.
#[derive(Debug, Clone)]
pub struct AnalysisSettings {
    /// The transactions (path, columns, convention, observation end). Its
    /// `calibration_end` is ignored: see [`AnalysisSettings::calibration_end`].
    pub data: DataSettings,
    /// The purchase model.
    pub model: ModelChoice,
    /// The spend model (`None`: each customer's mean purchase).
    pub spend: Option<SpendModel>,
    /// Prediction horizon.
    pub horizon: Horizon,
    /// Margin applied to revenue.
    pub margin: f64,
    /// Yearly discount rate.
    pub discount_rate: f64,
    /// Splits the data for the validation; no validation without it.
    pub calibration_end: Option<NaiveDate>,
    /// A customers file (acquisition date, channel, cost, referred_by).
    pub customers: Option<PathBuf>,
    /// A spend file (marketing spend per month and channel).
    pub spend_file: Option<PathBuf>,
    /// An events file (reviews, mentions, events).
    pub events: Option<PathBuf>,
    /// Where the fitted model file is written (the scorer of the
    /// real-time call reads it).
    pub model_path: PathBuf,
    /// Go on with a model whose parameters are not identified.
    pub allow_unidentified: bool,
}

impl AnalysisSettings {
    /// Settings with the CLI's defaults: BG/NBD with Gamma-Gamma over 12
    /// months, margin 1, discount rate 0.1, no validation.
    pub fn new(data: DataSettings, model_path: impl Into<PathBuf>) -> Self {
        AnalysisSettings {
            data,
            model: ModelChoice::Purchase(clv_core::models::ModelKind::BgNbd),
            spend: Some(SpendModel::GammaGamma),
            horizon: "12 months".parse().expect("a valid horizon"),
            margin: 1.0,
            discount_rate: 0.1,
            calibration_end: None,
            customers: None,
            spend_file: None,
            events: None,
            model_path: model_path.into(),
            allow_unidentified: true,
        }
    }
}

/// The headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Customers.
    pub customers: usize,
    /// Customers with at least one repeat purchase.
    pub repeat_customers: usize,
    /// Purchase rows (orders), when the reader counted them.
    pub orders: Option<f64>,
    /// Revenue of every purchase, when the reader summed it.
    pub revenue: Option<f64>,
    /// The earliest first purchase.
    pub first_date: String,
    /// The observation end.
    pub observation_end: String,
    /// The prediction horizon.
    pub horizon: String,
    /// Σ CLV over the horizon.
    pub predicted_value: f64,
    /// Σ expected purchases over the horizon.
    pub predicted_purchases: f64,
    /// Mean CLV.
    pub mean_clv: f64,
    /// Median CLV.
    pub median_clv: f64,
}

/// The fitted model in brief.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// Purchase model name.
    pub name: String,
    /// Spend model name (`None`: mean purchase).
    pub spend: Option<String>,
    /// Purchase model parameters.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Their standard errors.
    pub standard_errors: serde_json::Map<String, serde_json::Value>,
    /// Spend model parameters.
    pub spend_params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Whether the optimiser converged.
    pub converged: bool,
    /// Whether the data identify the parameters.
    pub identified: bool,
    /// The diagnostics' warnings, in words.
    pub warnings: Vec<String>,
}

/// One validation number.
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    /// Machine name.
    pub name: String,
    /// What it is, in words.
    pub label: String,
    /// The value (`None`: not defined on this data).
    pub value: Option<f64>,
}

/// The validation in brief (the full report is [`Analysis::validation`]).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationSummary {
    /// End of the calibration period.
    pub calibration_end: String,
    /// End of the holdout.
    pub observation_end: String,
    /// The numbers of the model's fit quality.
    pub metrics: Vec<Metric>,
}

/// A histogram.
#[derive(Debug, Clone, Serialize)]
pub struct Histogram {
    /// Bin edges (`counts.len() + 1`).
    pub edges: Vec<f64>,
    /// Customers per bin; the last bin also holds every value above its
    /// upper edge when `last_bin_open`.
    pub counts: Vec<u64>,
    /// Whether the last bin is open-ended (values above the 99th percentile).
    pub last_bin_open: bool,
}

/// P(alive) over a grid of frequency and recency at one age.
#[derive(Debug, Clone, Serialize)]
pub struct PAliveMatrix {
    /// Repeat purchases, one row each.
    pub frequency: Vec<u32>,
    /// Recency values (model time unit), one column each.
    pub recency: Vec<f64>,
    /// `values[row][column]`; `None` where the cell is impossible
    /// (recency above zero without a repeat purchase).
    pub values: Vec<Vec<Option<f64>>>,
    /// The age `T` of the grid (the longest customer age).
    #[serde(rename = "T")]
    pub age: f64,
    /// The model's time unit.
    pub unit: String,
}

/// The tracking curve of the validation: cumulative repeat purchases.
#[derive(Debug, Clone, Serialize)]
pub struct Tracking {
    /// Period end dates.
    pub dates: Vec<String>,
    /// Actual cumulative repeat purchases.
    pub actual: Vec<f64>,
    /// Predicted cumulative repeat purchases.
    pub predicted: Vec<f64>,
    /// The calibration end (the split).
    pub calibration_end: String,
}

/// Cohort retention: the share of each acquisition month's customers who
/// bought in each later month.
#[derive(Debug, Clone, Serialize)]
pub struct CohortRetention {
    /// Acquisition months, `YYYY-MM`.
    pub cohorts: Vec<String>,
    /// Customers per cohort.
    pub sizes: Vec<u64>,
    /// Months since acquisition, one column each.
    pub months: Vec<u32>,
    /// `values[cohort][month]`: share active; `None` after the observation end.
    pub values: Vec<Vec<Option<f64>>>,
}

/// CLV × CRV quadrants.
#[derive(Debug, Clone, Serialize)]
pub struct Quadrants {
    /// CLV cut.
    pub clv_cut: f64,
    /// CRV cut.
    pub crv_cut: f64,
    /// Customers per quadrant.
    pub counts: serde_json::Map<String, serde_json::Value>,
}

/// Customers and value of one group.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Customers.
    pub customers: u64,
    /// Σ CLV.
    pub value: f64,
    /// Mean CLV.
    pub mean_clv: f64,
}

/// What the charts draw.
#[derive(Debug, Clone, Serialize)]
pub struct Charts {
    /// Distribution of predicted CLV.
    pub clv_histogram: Histogram,
    /// P(alive) over frequency and recency.
    pub p_alive_matrix: PAliveMatrix,
    /// Predicted vs actual (with a validation).
    pub tracking: Option<Tracking>,
    /// Cohort retention.
    pub cohort_retention: CohortRetention,
    /// CLV × CRV quadrants (with referral data).
    pub quadrants: Option<Quadrants>,
    /// Value by acquisition channel (with a customers file that has one).
    pub channels: Option<Vec<Group>>,
    /// Value by named RFM segment.
    pub segments: Vec<Group>,
    /// Value by value tier.
    pub tiers: Vec<Group>,
    /// Value by churn risk.
    pub churn_risk: Vec<Group>,
}

/// One action list in brief.
#[derive(Debug, Clone, Serialize)]
pub struct ActionSummary {
    /// Its name (`win_back`, ...).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Customers on it.
    pub customers: usize,
}

/// Everything the job produced.
pub struct Analysis {
    /// The fitted model file (also written to `model_path`).
    pub model_file: ModelFile,
    /// Scores and action lists.
    pub lists: ActionLists,
    /// The validation, when a calibration end was given.
    pub validation: Option<Validation>,
    /// Each customer's purchases by month, in the scores' row order.
    pub history: clv_core::economics::MonthlyHistory,
    /// First purchase day (days since 1970-01-01) per customer.
    pub first_day: Vec<i32>,
    /// Each customer's purchase rows, in the scores' row order.
    pub purchases: clv_data::Purchases,
    /// Mean value of a repeat purchase over the repeat buyers (what a
    /// customer without repeat purchases is expected to spend when there is
    /// no spend model).
    pub mean_repeat_value: Option<f64>,
    /// Headline numbers.
    pub overview: Overview,
    /// The model in brief.
    pub model: ModelSummary,
    /// The validation in brief.
    pub validation_summary: Option<ValidationSummary>,
    /// The charts' data.
    pub charts: Charts,
    /// The action lists in brief.
    pub actions: Vec<ActionSummary>,
    /// Unit economics in brief (with a customers file and spend): CAC,
    /// margin LTV, LTV:CAC, payback and the verdict per channel, and the
    /// blended figures.
    pub economics: Option<serde_json::Value>,
    /// Warnings for the reader.
    pub warnings: Vec<String>,
}

fn check_cancel(cancelled: &dyn Fn() -> bool) -> Result<()> {
    if cancelled() {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// Runs the analysis; `cancelled` is asked between steps.
pub fn run(
    settings: &AnalysisSettings,
    progress: &dyn Progress,
    cancelled: &dyn Fn() -> bool,
) -> Result<Analysis> {
    if !(settings.margin.is_finite() && settings.margin > 0.0 && settings.margin <= 1.0) {
        return Err(usage(format!(
            "margin must be in (0, 1], got {}",
            settings.margin
        )));
    }
    if !(settings.discount_rate.is_finite() && settings.discount_rate >= 0.0) {
        return Err(usage(format!(
            "discount_rate must be a non-negative number, got {}",
            settings.discount_rate
        )));
    }
    let mut data = settings.data.clone();
    data.calibration_end = None;
    if let (Some(c), Some(o)) = (settings.calibration_end, data.observation_end)
        && c >= o
    {
        return Err(usage(format!(
            "calibration_end ({c}) must be before observation_end ({o})"
        )));
    }
    if !matches!(settings.model, ModelChoice::Purchase(_)) {
        return Err(usage(format!(
            "model must be one of the purchase models ({}), got {}",
            clv_core::models::ModelKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", "),
            settings.model
        )));
    }
    let model = ModelSettings {
        model: Some(settings.model),
        spend: settings.spend,
        penalty: 0.0,
    };
    check_cancel(cancelled)?;
    // 1. Fit, and keep the model file for the scorer.
    let fitted = fit(
        &FitSettings {
            data: data.clone(),
            tables: InputTables::default(),
            model,
        },
        progress,
    )?;
    let FitOutput::Model(model_file) = fitted else {
        return Err(usage("the analysis needs a purchase model, not sbg"));
    };
    let model_file = *model_file;
    let json = fitted_json(&model_file)?;
    crate::output::write_file(&settings.model_path, |w| {
        w.write_all(json.as_bytes())?;
        Ok(())
    })?;
    check_cancel(cancelled)?;

    // 2. Scores and action lists from that model.
    let mut influence = InfluenceSettings::new(data.clone());
    influence.model_file = Some(settings.model_path.clone());
    influence.allow_unidentified = settings.allow_unidentified;
    influence.horizon = settings.horizon;
    influence.discount_rate = settings.discount_rate;
    influence.margin = settings.margin;
    influence.customers = settings.customers.clone();
    influence.spend = settings.spend_file.clone();
    influence.events = settings.events.clone();
    let lists = actions(&influence, &ActionsSettings::default(), progress)?;
    check_cancel(cancelled)?;

    // 3. Monthly histories for cohorts and the customer pages.
    let (loaded, extra) = crate::load::load_with(
        &data,
        Some(lists.scored.time_unit),
        clv_data::Aggregations {
            history: true,
            purchases: true,
            ..Default::default()
        },
        &crate::progress::Silent,
    )?;
    let history = extra
        .history
        .ok_or_else(|| Error::Failed("no purchase history".into()))?;
    let purchases = extra
        .purchases
        .ok_or_else(|| Error::Failed("no purchases".into()))?;
    if loaded.summary.len() != lists.scored.len() {
        return Err(Error::Failed(
            "the purchase history and the scores disagree on the customers".into(),
        ));
    }
    check_cancel(cancelled)?;

    // 4. Validation on a holdout.
    let validation = match settings.calibration_end {
        None => None,
        Some(end) => {
            let mut vdata = data.clone();
            vdata.calibration_end = Some(end);
            let kind = settings.model.purchase_kind()?;
            let v = progress.stage("validated the model on the holdout", || {
                run_validation(
                    &vdata,
                    &[kind],
                    &clv_core::models::FitOptions { penalty: 0.0 },
                    &crate::progress::Silent,
                )
            })?;
            Some(v)
        }
    };
    check_cancel(cancelled)?;

    // 5. Unit economics, when acquisition costs can be known.
    let economics = match &settings.customers {
        Some(customers) if settings.spend_file.is_some() || has_cost(customers, &data)? => {
            let mut e = crate::settings::EconomicsSettings::new(data.clone());
            e.customers = Some(customers.clone());
            e.spend = settings.spend_file.clone();
            e.margin = settings.margin;
            e.model_file = Some(settings.model_path.clone());
            e.allow_unidentified = settings.allow_unidentified;
            e.horizon = settings.horizon;
            e.discount_rate = settings.discount_rate;
            e.format = crate::settings::EconomicsFormat::Json;
            e.resamples = 100;
            let json = crate::economics::economics(&e, progress)?;
            Some(economics_brief(&serde_json::from_str(&json)?))
        }
        _ => None,
    };
    check_cancel(cancelled)?;

    let scored = &lists.scored;
    let overview = overview(scored, settings.horizon);
    let model = model_summary(&model_file);
    let validation_summary = validation.as_ref().and_then(validation_summary);
    let model_obj = model_file.purchase_model()?.1;
    let charts = Charts {
        clv_histogram: histogram(&scored.clv, 30),
        p_alive_matrix: p_alive_matrix(&*model_obj, &scored.loaded.data, scored.time_unit.name()),
        tracking: validation.as_ref().and_then(tracking),
        cohort_retention: cohort_retention(&history.monthly, scored.observation_end, 36),
        quadrants: scored.referrals.as_ref().map(|r| {
            let mut counts = serde_json::Map::new();
            for q in [
                clv_core::referral::Quadrant::Champion,
                clv_core::referral::Quadrant::Affluent,
                clv_core::referral::Quadrant::Advocate,
                clv_core::referral::Quadrant::Misers,
            ] {
                let n = r.quadrant.iter().filter(|&&x| x == q).count();
                counts.insert(q.name().into(), n.into());
            }
            Quadrants {
                clv_cut: r.cuts.clv,
                crv_cut: r.cuts.crv,
                counts,
            }
        }),
        channels: channels(scored),
        segments: groups(scored, |i| scored.segment(i).to_string()),
        tiers: groups(scored, |i| scored.value_tier[i].name().to_string()),
        churn_risk: groups(scored, |i| scored.churn_risk[i].name().to_string()),
    };
    let actions = lists
        .lists
        .iter()
        .map(|(l, rows)| ActionSummary {
            name: l.name().into(),
            description: l.description().into(),
            customers: rows.len(),
        })
        .collect();
    let mut warnings = scored.warnings.clone();
    warnings.extend(model.warnings.iter().cloned());
    let mean_repeat_value = {
        let (mut n, mut sum) = (0usize, 0.0);
        for (i, &x) in scored.loaded.data.frequency.iter().enumerate() {
            let m = scored.loaded.summary.monetary_value[i];
            if x > 0.0 && m.is_finite() {
                n += 1;
                sum += m;
            }
        }
        (n > 0).then(|| sum / n as f64)
    };
    Ok(Analysis {
        economics,
        mean_repeat_value,
        purchases,
        first_day: history.first_day.clone(),
        history: history.monthly,
        model_file,
        validation,
        overview,
        model,
        validation_summary,
        charts,
        actions,
        warnings,
        lists,
    })
}

/// Whether the customers file carries per-customer acquisition costs.
fn has_cost(customers: &Path, data: &DataSettings) -> Result<bool> {
    let c = crate::load::read_customers_file(customers, data)?;
    Ok(c.acquisition_cost.iter().any(|v| v.is_finite()))
}

/// The channels' CAC, margin LTV, LTV:CAC, payback and verdict from the
/// economics report, and the blended CAC and LTV:CAC over the channels with
/// a CAC (weighted by their customers).
pub fn economics_brief(report: &serde_json::Value) -> serde_json::Value {
    let keys = [
        "channel",
        "customers",
        "cac",
        "margin_ltv",
        "ltv_to_cac",
        "payback_months",
        "payback_projected",
        "payback_status",
        "verdict",
    ];
    let empty = Vec::new();
    let channels: Vec<serde_json::Value> = report["channels"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|c| {
            let mut m = serde_json::Map::new();
            for k in keys {
                m.insert(k.into(), c[k].clone());
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let (mut n, mut cac, mut ltv) = (0.0, 0.0, 0.0);
    for c in &channels {
        if let (Some(k), Some(l), Some(w)) = (
            c["cac"].as_f64(),
            c["margin_ltv"].as_f64(),
            c["customers"].as_f64(),
        ) {
            n += w;
            cac += k * w;
            ltv += l * w;
        }
    }
    let blended_cac = (n > 0.0).then(|| cac / n);
    let blended_ltv = (n > 0.0).then(|| ltv / n);
    serde_json::json!({
        "cac": blended_cac,
        "margin_ltv": blended_ltv,
        "ltv_cac": match (blended_ltv, blended_cac) {
            (Some(l), Some(c)) if c > 0.0 => Some(l / c),
            _ => None,
        },
        "payback_months": serde_json::Value::Null,
        "customers_with_cac": n,
        "channels": channels,
        "warnings": report["warnings"].clone(),
    })
}

fn fitted_json(file: &ModelFile) -> Result<String> {
    let mut s = serde_json::to_string_pretty(file)?;
    s.push('\n');
    Ok(s)
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn overview(s: &crate::influence::Scored, horizon: Horizon) -> Overview {
    let summary = &s.loaded.summary;
    let n = s.len();
    Overview {
        customers: n,
        repeat_customers: s.loaded.data.frequency.iter().filter(|&&x| x > 0.0).count(),
        orders: summary.totals.as_ref().map(|t| t.orders.iter().sum()),
        revenue: summary.totals.as_ref().map(|t| t.revenue.iter().sum()),
        first_date: summary.first_date.to_string(),
        observation_end: s.observation_end.to_string(),
        horizon: horizon.to_string(),
        predicted_value: s.clv.iter().sum(),
        predicted_purchases: s.expected_purchases.iter().sum(),
        mean_clv: if n == 0 {
            0.0
        } else {
            s.clv.iter().sum::<f64>() / n as f64
        },
        median_clv: median(&s.clv),
    }
}

fn model_summary(file: &ModelFile) -> ModelSummary {
    let verdict = file.identified();
    ModelSummary {
        name: file.purchase.model.clone(),
        spend: file.spend.as_ref().map(|s| s.model.clone()),
        params: file.purchase.params.clone(),
        standard_errors: file.purchase.standard_errors.clone(),
        spend_params: file.spend.as_ref().map(|s| s.params.clone()),
        log_likelihood: file.purchase.log_likelihood,
        converged: file.purchase.converged,
        identified: verdict.identified,
        warnings: verdict.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}

fn validation_summary(v: &Validation) -> Option<ValidationSummary> {
    let m = v.report.models.first()?;
    let metric = |name: &str, label: &str, value: Option<f64>| Metric {
        name: name.into(),
        label: label.into(),
        value: value.filter(|v| v.is_finite()),
    };
    Some(ValidationSummary {
        calibration_end: v.loaded.summary.calibration_end.to_string(),
        observation_end: v.loaded.summary.observation_end.to_string(),
        metrics: vec![
            metric(
                "holdout_predicted",
                "predicted repeat purchases in the holdout",
                Some(m.holdout_predicted),
            ),
            metric(
                "holdout_actual",
                "actual repeat purchases in the holdout",
                Some(m.holdout_actual),
            ),
            metric(
                "holdout_relative_error",
                "relative error of the holdout total",
                m.holdout_relative_error,
            ),
            metric("mae", "mean absolute error per customer", Some(m.mae)),
            metric("rmse", "root mean squared error per customer", Some(m.rmse)),
            metric(
                "gini_normalized",
                "ranking quality (normalised Gini, 1 = perfect)",
                m.gini_normalized,
            ),
            metric("top_decile_lift", "top-decile lift", m.top_decile_lift),
        ],
    })
}

fn tracking(v: &Validation) -> Option<Tracking> {
    let m = v.report.models.first()?;
    if m.tracking.is_empty() {
        return None;
    }
    let dates = v
        .period_ends
        .iter()
        .map(|&e| v.days.date(e).to_string())
        .collect::<Vec<_>>();
    if dates.len() != m.tracking.len() {
        return None;
    }
    Some(Tracking {
        dates,
        actual: m.tracking.iter().map(|p| p.actual_cumulative).collect(),
        predicted: m.tracking.iter().map(|p| p.predicted_cumulative).collect(),
        calibration_end: v.loaded.summary.calibration_end.to_string(),
    })
}

/// Equal-width bins from the smallest value to the 99th percentile; the
/// last bin is open when values lie above it.
pub fn histogram(values: &[f64], bins: usize) -> Histogram {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() || bins == 0 {
        return Histogram {
            edges: vec![0.0, 1.0],
            counts: vec![0],
            last_bin_open: false,
        };
    }
    let lo = v[0].min(0.0);
    let p99 = v[((v.len() - 1) as f64 * 0.99).round() as usize];
    let max = v[v.len() - 1];
    let hi = if p99 > lo { p99 } else { max.max(lo + 1.0) };
    let width = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|k| lo + width * k as f64).collect();
    let mut counts = vec![0u64; bins];
    for &x in &v {
        let k = (((x - lo) / width).floor() as isize).clamp(0, bins as isize - 1) as usize;
        counts[k] += 1;
    }
    Histogram {
        edges,
        counts,
        last_bin_open: max > hi,
    }
}

/// P(alive) of a grid of (frequency, recency) at the longest age.
fn p_alive_matrix(
    model: &dyn clv_core::model::PurchaseModel,
    data: &clv_core::CustomerData,
    unit: &str,
) -> PAliveMatrix {
    let age = data.age.iter().copied().fold(0.0, f64::max);
    let mut x: Vec<f64> = data.frequency.clone();
    x.sort_by(f64::total_cmp);
    let x99 = if x.is_empty() {
        0.0
    } else {
        x[((x.len() - 1) as f64 * 0.99).round() as usize]
    };
    let max_x = (x99.ceil() as u32).clamp(5, 40);
    let cols = 20usize;
    let discrete = data.frequency.iter().all(|v| v.fract() == 0.0)
        && data.age.iter().all(|v| v.fract() == 0.0)
        && data.recency.iter().all(|v| v.fract() == 0.0)
        && age <= 200.0;
    let recency: Vec<f64> = if discrete {
        let step = (age / cols as f64).ceil().max(1.0);
        let mut r = Vec::new();
        let mut t = 0.0;
        while t <= age {
            r.push(t);
            t += step;
        }
        r
    } else {
        (0..=cols).map(|k| age * k as f64 / cols as f64).collect()
    };
    let frequency: Vec<u32> = (0..=max_x).collect();
    let values = frequency
        .iter()
        .map(|&f| {
            recency
                .iter()
                .map(|&r| {
                    if (f == 0 && r > 0.0) || (discrete && f as f64 > r && f > 0) {
                        return None;
                    }
                    let c = Customer::new(f as f64, r, age).ok()?;
                    let p = model.p_alive(&c);
                    p.is_finite().then_some(p)
                })
                .collect()
        })
        .collect();
    PAliveMatrix {
        frequency,
        recency,
        values,
        age,
        unit: unit.into(),
    }
}

/// Month `YYYY-MM` of an absolute month (`year * 12 + month - 1`).
fn month_name(m: i32) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

fn abs_month(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.year() * 12 + d.month0() as i32
}

/// Cohort retention from monthly histories: at most `max_cohorts` (the
/// latest) acquisition months.
pub fn cohort_retention(
    h: &clv_core::economics::MonthlyHistory,
    observation_end: NaiveDate,
    max_cohorts: usize,
) -> CohortRetention {
    use std::collections::BTreeMap;
    let end = abs_month(observation_end);
    // cohort -> (size, active customers per month offset)
    let mut by: BTreeMap<i32, (u64, Vec<u64>)> = BTreeMap::new();
    for i in 0..h.len() {
        let range = h.offsets[i]..h.offsets[i + 1];
        let Some(&first) = h.month.get(range.start) else {
            continue;
        };
        if range.is_empty() {
            continue;
        }
        let e = by.entry(first).or_insert_with(|| (0, Vec::new()));
        e.0 += 1;
        for k in range {
            let off = (h.month[k] - first) as usize;
            if e.1.len() <= off {
                e.1.resize(off + 1, 0);
            }
            e.1[off] += 1;
        }
    }
    let keep: Vec<(i32, (u64, Vec<u64>))> = {
        let all: Vec<_> = by.into_iter().collect();
        let skip = all.len().saturating_sub(max_cohorts);
        all.into_iter().skip(skip).collect()
    };
    let span = keep
        .iter()
        .map(|(c, _)| (end - c).max(0) as u32 + 1)
        .max()
        .unwrap_or(1);
    let months: Vec<u32> = (0..span).collect();
    let values = keep
        .iter()
        .map(|(c, (size, active))| {
            months
                .iter()
                .map(|&k| {
                    if c + k as i32 > end {
                        None
                    } else {
                        Some(active.get(k as usize).copied().unwrap_or(0) as f64 / *size as f64)
                    }
                })
                .collect()
        })
        .collect();
    CohortRetention {
        cohorts: keep.iter().map(|(c, _)| month_name(*c)).collect(),
        sizes: keep.iter().map(|(_, (s, _))| *s).collect(),
        months,
        values,
    }
}

fn groups(s: &crate::influence::Scored, key: impl Fn(usize) -> String) -> Vec<Group> {
    use std::collections::BTreeMap;
    let mut by: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for i in 0..s.len() {
        let e = by.entry(key(i)).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += s.clv[i];
    }
    let mut out: Vec<Group> = by
        .into_iter()
        .map(|(name, (n, v))| Group {
            name,
            customers: n,
            value: v,
            mean_clv: v / n as f64,
        })
        .collect();
    out.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.name.cmp(&b.name)));
    out
}

fn channels(s: &crate::influence::Scored) -> Option<Vec<Group>> {
    let c = s.customers.as_ref()?;
    if !c.has_channel {
        return None;
    }
    Some(groups(s, |i| match s.customer_row[i] {
        Some(r) => c.channel_names[c.channel[r] as usize].clone(),
        None => "(not in the customers file)".into(),
    }))
}

/// The model file path of an analysis directory.
pub fn model_path(dir: &Path) -> PathBuf {
    dir.join("model.json")
}
