//! `clv validate`: fit on the calibration window, predict the holdout, compare.
//!
//! Every model is fitted through [`ModelKind::fit`] and predicted through the
//! model traits, so a model registered in `clv_core::models` is validated
//! without a new code path here. The measures are those of
//! [`clv_core::validation`]; the actual repeat purchases per week of the
//! tracking curve come from [`clv_data::purchase_days`], read in the same
//! pass as the summary.

use std::fmt::Write as _;

use clv_core::models::{FitOptions, ModelKind};
use clv_core::validation::{
    self, ModelFailure, ModelValidation, TrackingData, ValidationData, ValidationReport,
};
use clv_data::PurchaseDays;

use crate::error::{Context, Error, Result, usage};
use crate::load::Loaded;
use crate::progress::Progress;
use crate::settings::{DataSettings, ValidateSettings};

/// Length of a tracking period in days.
pub const TRACKING_PERIOD_DAYS: usize = 7;

/// A finished validation: the data it ran on and the report.
pub struct Validation {
    /// The calibration summary (with its holdout columns).
    pub loaded: Loaded,
    /// First and repeat purchases per day.
    pub days: PurchaseDays,
    /// The tracking curve's inputs (weekly periods, model time unit).
    pub tracking: TrackingData,
    /// The last day index of each tracking period (see [`PurchaseDays::period_ends`]).
    pub period_ends: Vec<usize>,
    /// The measures, per model.
    pub report: ValidationReport,
}

impl Validation {
    /// The 1-based tracking period that ends on the calibration end.
    pub fn calibration_period(&self) -> Option<usize> {
        let cal = self.days.offset(self.days.calibration_end)?;
        self.period_ends
            .iter()
            .position(|&e| e == cal)
            .map(|k| k + 1)
    }
}

/// Reads the transactions once, fits every model in `kinds` (every
/// continuous-time model when empty) on the calibration window and
/// validates it on the holdout. This is `clv validate` without the output;
/// `data.calibration_end` is required.
///
/// A model that fails to fit is reported in
/// [`ValidationReport::failures`] (and on stderr) while the others go on;
/// the run fails when every model does.
pub fn run_validation(
    data: &DataSettings,
    kinds: &[ModelKind],
    options: &FitOptions,
    progress: &dyn Progress,
) -> Result<Validation> {
    let kinds = if kinds.is_empty() {
        validation::default_models()
    } else {
        kinds.to_vec()
    };
    validation::check_kinds(&kinds).map_err(|e| usage(e.to_string()))?;
    if data.calibration_end.is_none() {
        return Err(usage(
            "clv validate needs --calibration-end DATE: the models are fitted up to it and \
             judged on the purchases after it",
        ));
    }
    if !(options.penalty.is_finite() && options.penalty >= 0.0) {
        return Err(usage(format!(
            "--penalty must be a non-negative number, got {}",
            options.penalty
        )));
    }
    let (loaded, days) = load(data, progress)?;
    let holdout = loaded
        .summary
        .holdout
        .as_ref()
        .context("the summary has no holdout columns")?;
    if holdout.duration <= 0.0 {
        return Err(usage(format!(
            "the holdout is empty: the observation end {} leaves no whole {} after the calibration end {}",
            loaded.summary.observation_end, loaded.time_unit, loaded.summary.calibration_end
        )));
    }
    let cal = days
        .offset(loaded.summary.calibration_end)
        .context("the calibration end is outside the purchase days")?;
    let period_ends = days.period_ends(TRACKING_PERIOD_DAYS, cal);
    let unit_days = loaded.time_unit.days();
    let tracking = TrackingData {
        period_ends: period_ends.iter().map(|&e| e as f64 / unit_days).collect(),
        actual: days
            .repeats_in_periods(&period_ends)
            .into_iter()
            .map(|n| n as f64)
            .collect(),
        births: days
            .first_purchases
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| (i as f64 / unit_days, n as f64))
            .collect(),
        calibration_end: cal as f64 / unit_days,
    };
    let durations = vec![holdout.duration; loaded.data.len()];
    let vdata = ValidationData::new(&loaded.data, &holdout.frequency, &durations)
        .context("invalid validation data")?
        .with_tracking(&tracking);
    let mut models = Vec::new();
    let mut failures = Vec::new();
    let mut first_error = None;
    for &kind in &kinds {
        let result = progress
            .stage(
                &format!("fitted {kind} on {} customers", loaded.data.len()),
                || kind.fit(&loaded.data, options),
            )
            .and_then(|fitted| {
                progress.stage(&format!("validated {kind} on the holdout"), || {
                    validation::evaluate(&vdata, kind, fitted)
                })
            });
        match result {
            Ok(m) => models.push(m),
            Err(e) => {
                progress.say(format!("note: {kind} failed: {e}"));
                failures.push(ModelFailure {
                    model: kind.name().into(),
                    error: e.to_string(),
                });
                first_error.get_or_insert(e);
            }
        }
    }
    if models.is_empty() {
        let e = first_error.expect("at least one model was tried");
        return Err(Error::from(e)).context("no model could be validated");
    }
    let report = ValidationReport::new(&vdata, models, failures);
    Ok(Validation {
        loaded,
        days,
        tracking,
        period_ends,
        report,
    })
}

/// Reads the transactions into the summary and the purchases per day.
fn load(args: &DataSettings, progress: &dyn Progress) -> Result<(Loaded, PurchaseDays)> {
    let want = clv_data::Aggregations {
        purchase_days: true,
        ..Default::default()
    };
    let (loaded, extra) = crate::load::load_with(args, None, want, progress)?;
    Ok((
        loaded,
        extra.purchase_days.expect("purchase days asked for"),
    ))
}

/// `validate`: [`run_validation`] on the settings' models, and the SVG
/// charts written into `settings.charts` when asked for (the paths written
/// are reported through `progress`).
pub fn validate(settings: &ValidateSettings, progress: &dyn Progress) -> Result<Validation> {
    let options = FitOptions {
        penalty: settings.penalty,
    };
    let v = run_validation(&settings.data, &settings.models, &options, progress)?;
    if let Some(dir) = &settings.charts {
        let ctx = crate::charts::ChartContext {
            source: &v.loaded.info.source,
            calibration_end: &v.loaded.info.calibration_end,
            observation_end: &v.loaded.info.observation_end,
            time_unit: v.loaded.time_unit,
            calibration_end_time: v.tracking.calibration_end,
        };
        let written = progress.stage(&format!("wrote the charts to {}", dir.display()), || {
            crate::charts::write_all(&v.report, &ctx, dir)
        })?;
        for p in written {
            progress.say(format!("  {}", p.display()));
        }
    }
    Ok(v)
}

/// The report as one JSON object: the data it ran on, then the report's
/// fields (`models`, `lr_tests`, `best_model`, ...), then the end date of
/// every tracking period.
pub fn json(v: &Validation) -> Result<serde_json::Value> {
    let s = &v.loaded.summary;
    let h = s.holdout.as_ref().context("no holdout")?;
    let mut out = serde_json::Map::new();
    out.insert(
        "data".into(),
        serde_json::json!({
            "source": v.loaded.info.source,
            "convention": v.loaded.info.convention,
            "time_unit": v.loaded.time_unit.name(),
            "first_date": s.first_date.to_string(),
            "calibration_end": s.calibration_end.to_string(),
            "observation_end": s.observation_end.to_string(),
            "holdout_duration": h.duration,
            "tracking_period_days": TRACKING_PERIOD_DAYS,
            "tracking_calibration_period": v.calibration_period(),
        }),
    );
    let report = serde_json::to_value(&v.report)?;
    if let serde_json::Value::Object(m) = report {
        out.extend(m);
    }
    out.insert(
        "tracking_periods".into(),
        v.period_ends
            .iter()
            .enumerate()
            .map(|(k, &e)| serde_json::json!({"period": k + 1, "end_date": v.days.date(e).to_string()}))
            .collect(),
    );
    Ok(serde_json::Value::Object(out))
}

/// A number with thousands separators and `decimals` decimals.
fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let s = format!("{:.decimals$}", v.abs());
    let (int, frac) = match s.find('.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (&s[..], ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let neg = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    format!("{}{out}{frac}", if neg { "-" } else { "" })
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| num(v, decimals))
}

/// The readable report.
pub fn table(v: &Validation) -> String {
    let r = &v.report;
    let s = &v.loaded.summary;
    let unit = v.loaded.time_unit.name();
    let h = s.holdout.as_ref().map_or(0.0, |h| h.duration);
    let mut o = String::new();
    let _ = writeln!(o, "clv validate: {}", v.loaded.info.source);
    let _ = writeln!(
        o,
        "{} customers; calibration {} to {}, holdout to {} ({} {unit}s); {} convention",
        num(r.n_customers, 0),
        s.first_date,
        s.calibration_end,
        s.observation_end,
        num(h, 2),
        v.loaded.info.convention
    );
    let _ = writeln!(
        o,
        "{} repeat purchases in the holdout",
        num(r.holdout_actual, 0)
    );
    let w = r
        .models
        .iter()
        .map(|m| m.model.len())
        .max()
        .unwrap_or(6)
        .max(10);
    let models = &r.models;

    let _ = writeln!(o, "\nFit on the calibration period");
    let _ = writeln!(
        o,
        "{:<w$}  {:>13}  {:>12}  {:>12}  parameters",
        "model", "LL", "AIC", "BIC"
    );
    for m in models {
        let params: Vec<String> = m
            .params
            .iter()
            .map(|(k, x)| format!("{k} {}", num(*x, 4)))
            .collect();
        let _ = writeln!(
            o,
            "{:<w$}  {:>13}  {:>12}  {:>12}  {}{}",
            m.model,
            num(m.log_likelihood, 2),
            num(m.aic, 2),
            num(m.bic, 2),
            params.join(", "),
            if m.converged { "" } else { " (NOT converged)" }
        );
    }

    let _ = writeln!(
        o,
        "\nHoldout: repeat purchases, error per customer, ranking"
    );
    let _ = writeln!(
        o,
        "{:<w$}  {:>11}  {:>9}  {:>7}  {:>6}  {:>6}  {:>6}  {:>8}  {:>12}",
        "model", "predicted", "actual", "error", "MAE", "RMSE", "Gini", "Gini/max", "top-10% lift"
    );
    for m in models {
        let _ = writeln!(
            o,
            "{:<w$}  {:>11}  {:>9}  {:>7}  {:>6}  {:>6}  {:>6}  {:>8}  {:>12}",
            m.model,
            num(m.holdout_predicted, 1),
            num(m.holdout_actual, 0),
            m.holdout_relative_error
                .map_or_else(|| "-".into(), |e| format!("{:+.1}%", 100.0 * e)),
            num(m.mae, 3),
            num(m.rmse, 3),
            opt(m.gini, 3),
            opt(m.gini_normalized, 3),
            opt(m.top_decile_lift, 2)
        );
    }

    if !r.lr_tests.is_empty() {
        let _ = writeln!(o, "\nLikelihood-ratio tests");
        for t in &r.lr_tests {
            match (t.statistic, t.df, t.p_value) {
                (Some(st), Some(df), Some(p)) => {
                    let _ = writeln!(
                        o,
                        "  {} vs {}: LR {} (df {df}), p = {}; {}",
                        t.models[0],
                        t.models[1],
                        num(st, 2),
                        num(p, 4),
                        t.note
                    );
                }
                _ => {
                    let _ = writeln!(o, "  {} vs {}: {}", t.models[0], t.models[1], t.note);
                }
            }
        }
    } else if models.len() == 1 {
        let _ = writeln!(o, "\nLikelihood-ratio tests: only one model");
    }
    if let Some(b) = &r.best_model {
        let _ = writeln!(o, "\nBest model: {}: {}", b.model, b.reason);
    }
    for f in &r.failures {
        let _ = writeln!(o, "Failed: {}: {}", f.model, f.error);
    }

    // Calibration vs holdout.
    let header: String = models
        .iter()
        .map(|m| format!("  {:>w$}", m.model))
        .collect();
    let _ = writeln!(
        o,
        "\nMean holdout repeat purchases by calibration frequency"
    );
    let _ = writeln!(
        o,
        "{:<5}  {:>9}  {:>w$}{header}",
        "x", "customers", "actual"
    );
    if let Some(first) = models.first() {
        for (b, bin) in first.calibration_vs_holdout.iter().enumerate() {
            let preds: String = models
                .iter()
                .map(|m| {
                    format!(
                        "  {:>w$}",
                        num(m.calibration_vs_holdout[b].mean_predicted, 3)
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "{:<5}  {:>9}  {:>w$}{preds}",
                bin.frequency,
                num(bin.customers, 0),
                num(bin.mean_actual, 3)
            );
        }
    }

    // Histogram.
    let with: Vec<&ModelValidation> = models.iter().filter(|m| m.histogram.is_some()).collect();
    let _ = writeln!(
        o,
        "\nCustomers by repeat purchases in calibration: actual and expected"
    );
    if let Some(first) = with.first() {
        let header: String = with.iter().map(|m| format!("  {:>w$}", m.model)).collect();
        let _ = writeln!(o, "{:<5}  {:>9}{header}", "n", "actual");
        let bins = first.histogram.as_ref().expect("filtered");
        for (b, bin) in bins.iter().enumerate() {
            let e: String = with
                .iter()
                .map(|m| {
                    format!(
                        "  {:>w$}",
                        num(m.histogram.as_ref().expect("filtered")[b].expected, 1)
                    )
                })
                .collect();
            let _ = writeln!(o, "{:<5}  {:>9}{e}", bin.purchases, num(bin.actual, 0));
        }
        for m in &with {
            if let Some(c) = m.histogram_chi_square {
                let _ = writeln!(
                    o,
                    "  {}: chi-square {} (df {}), p = {}",
                    m.model,
                    num(c.statistic, 2),
                    c.df,
                    num(c.p_value, 3)
                );
            }
        }
    }

    // Tracking curve.
    if let Some(first) = models.iter().find(|m| !m.tracking.is_empty()) {
        let n = first.tracking.len();
        let cal = v.calibration_period().unwrap_or(n);
        let step = n.div_ceil(20).max(1);
        let _ = writeln!(
            o,
            "\nCumulative repeat purchases, every {} (full curve in --format json and --charts)",
            if step == 1 {
                "week".to_string()
            } else {
                format!("{step} weeks")
            }
        );
        let header: String = models
            .iter()
            .filter(|m| !m.tracking.is_empty())
            .map(|m| format!("  {:>w$}", m.model))
            .collect();
        let _ = writeln!(
            o,
            "{:<5}  {:<10}  {:>9}{header}",
            "week", "ending", "actual"
        );
        for k in 1..=n {
            if !cal.abs_diff(k).is_multiple_of(step) && k != n {
                continue;
            }
            let p = &first.tracking[k - 1];
            let preds: String = models
                .iter()
                .filter(|m| !m.tracking.is_empty())
                .map(|m| format!("  {:>w$}", num(m.tracking[k - 1].predicted_cumulative, 1)))
                .collect();
            let _ = writeln!(
                o,
                "{:<5}  {:<10}  {:>9}{preds}{}",
                k,
                v.days.date(v.period_ends[k - 1]),
                num(p.actual_cumulative, 0),
                if k == cal { "  <- calibration end" } else { "" }
            );
        }
        let fc: Vec<String> = models
            .iter()
            .filter_map(|m| {
                let p = m.tracking_holdout_predicted?;
                Some(format!(
                    "{} {} ({:+.1}%)",
                    m.model,
                    num(p, 1),
                    100.0 * (p / r.holdout_actual - 1.0)
                ))
            })
            .collect();
        if !fc.is_empty() {
            let _ = writeln!(
                o,
                "Holdout forecast of the curve (expectations of new customers from each first \
                 purchase, no individual history): {}",
                fc.join(", ")
            );
        }
    }

    // Decile lift.
    let _ = writeln!(
        o,
        "\nLift by decile of predicted holdout purchases (share of actual / 0.1)"
    );
    let header: String = models
        .iter()
        .map(|m| format!("  {:>w$}", m.model))
        .collect();
    let _ = writeln!(o, "{:<6}{header}", "decile");
    for d in 0..10 {
        let row: String = models
            .iter()
            .map(|m| format!("  {:>w$}", num(m.decile_lift[d].lift, 2)))
            .collect();
        let _ = writeln!(o, "{:<6}{row}", d + 1);
    }

    let notes: Vec<String> = models
        .iter()
        .flat_map(|m| m.notes.iter().map(move |n| format!("{}: {n}", m.model)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(o, "\nNotes");
        for n in notes {
            let _ = writeln!(o, "  {n}");
        }
    }
    if v.loaded.info.convention == "period" {
        let _ = writeln!(
            o,
            "\nNote: with the period convention the tracking curve places births and purchases \
             on their calendar days while the models count whole periods; read it as approximate."
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_separators() {
        assert_eq!(num(1882.0, 0), "1,882");
        assert_eq!(num(-9582.4321, 2), "-9,582.43");
        assert_eq!(num(19172.86, 2), "19,172.86");
        assert_eq!(num(0.1234, 3), "0.123");
        assert_eq!(num(-0.0001, 2), "0.00");
        assert_eq!(num(f64::NAN, 2), "-");
        assert_eq!(num(123.0, 1), "123.0");
    }
}
