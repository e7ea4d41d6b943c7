//! `clv fit --model auto`: fit every purchase model on the calibration
//! window, predict the holdout, keep the model with the lowest mean absolute
//! error per customer, and say why.

use clv_core::models::{FitOptions, ModelKind};
use clv_core::validation;
use serde_json::{Value, json};

use crate::error::{Context, Result, usage};
use crate::fitting;
use crate::load;
use crate::model_file::ModelFile;
use crate::progress::Progress;
use crate::settings::FitSettings;

/// One candidate's holdout performance.
struct Candidate {
    kind: ModelKind,
    fitted: clv_core::models::FittedModel,
    predicted: f64,
    mae: f64,
}

/// `fit --model auto`: every continuous-time purchase model fitted on the
/// calibration window; the model file of the one with the lowest holdout
/// error, with how it was chosen.
pub fn fit_auto(args: &FitSettings, progress: &dyn Progress) -> Result<ModelFile> {
    if args.data.calibration_end.is_none() || args.tables.summary.is_some() {
        return Err(usage(
            "--model auto needs transactions and --calibration-end DATE: it compares the models \
             on the purchases after the calibration end",
        ));
    }
    args.model.check_penalty()?;
    let loaded = load::load(&args.data, None, progress)?;
    let holdout = loaded
        .summary
        .holdout
        .as_ref()
        .ok_or_else(|| usage("--model auto: no holdout period after --calibration-end"))?;
    if holdout.duration <= 0.0 {
        return Err(usage(
            "--model auto: the holdout is empty (observation end = calibration end)",
        ));
    }
    let options = FitOptions {
        penalty: args.model.penalty,
    };
    let mut candidates = Vec::new();
    let mut failures = Vec::new();
    for &kind in ModelKind::ALL.iter().filter(|k| !k.is_discrete()) {
        let fitted = match progress.stage(&format!("fitted {kind}"), || {
            kind.fit(&loaded.data, &options)
        }) {
            Ok(f) => f,
            Err(e) => {
                progress.say(format!("note: {kind} could not be fitted: {e}"));
                failures.push(json!({"model": kind.name(), "error": e.to_string()}));
                continue;
            }
        };
        let d = &loaded.data;
        let duration = vec![holdout.duration; d.len()];
        let e = validation::predict_holdout(&*fitted.model, d, &duration)
            .with_context(|| format!("{kind}: holdout predictions"))?;
        let predicted: f64 = e.iter().zip(&d.weight).map(|(e, w)| e * w).sum();
        let mae = validation::mean_absolute_error(&e, &holdout.frequency, &d.weight);
        candidates.push(Candidate {
            kind,
            fitted,
            predicted,
            mae,
        });
    }
    let actual: f64 = holdout.frequency.iter().sum();
    let best = candidates
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.mae.total_cmp(&b.1.mae))
        .map(|(i, _)| i)
        .context("no purchase model could be fitted")?;
    let table: Vec<Value> = candidates
        .iter()
        .map(|c| {
            json!({
                "model": c.kind.name(),
                "mae": c.mae,
                "holdout_predicted": c.predicted,
                "holdout_actual": actual,
                "log_likelihood": c.fitted.report.log_likelihood,
                "aic": c.fitted.report.aic,
                "bic": c.fitted.report.bic,
            })
        })
        .collect();
    for c in &candidates {
        progress.say(format!(
            "  {:<11} holdout MAE {:.4} per customer, predicted {:.1} vs actual {actual:.0} repeat purchases, AIC {:.2}",
            c.kind.name(),
            c.mae,
            c.predicted,
            c.fitted.report.aic
        ));
    }
    let chosen = candidates.swap_remove(best);
    let runner_up = candidates
        .iter()
        .min_by(|a, b| a.mae.total_cmp(&b.mae))
        .map(|c| (c.kind.name(), c.mae));
    let reason = match runner_up {
        Some((name, mae)) => format!(
            "{} has the lowest mean absolute error per customer on the holdout ({:.4}; next best {name} {mae:.4})",
            chosen.kind.name(),
            chosen.mae
        ),
        None => format!(
            "{} is the only model that could be fitted (holdout MAE {:.4})",
            chosen.kind.name(),
            chosen.mae
        ),
    };
    progress.say(format!("auto: chose {}: {reason}", chosen.kind.name()));
    let spend = fitting::fit_spend(&loaded, &args.model, progress)?;
    let covariance = Some(chosen.fitted.report.covariance.clone()).filter(|c| !c.is_empty());
    let fitted = fitting::Fitted {
        purchase: fitting::PurchaseFit {
            kind: chosen.kind,
            model: chosen.fitted.model,
            report: Some(chosen.fitted.report),
            covariance,
        },
        spend,
    };
    let mut file = fitted.to_file(&loaded);
    file.selection = Some(json!({
        "criterion": "holdout mean absolute error per customer (repeat purchases)",
        "chosen": fitted.purchase.kind.name(),
        "reason": reason,
        "holdout_duration": holdout.duration,
        "candidates": table,
        "failed": failures,
    }));
    Ok(file)
}
