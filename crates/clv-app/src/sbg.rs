//! `clv fit --model sbg --subscriptions FILE`: the shifted-beta-geometric
//! model per cohort, with retention projections.
//!
//! Output JSON (contract, fields may be added): `model` (`"sbg"`),
//! `time_unit` (what one period is), `n_subscribers`, and `cohorts: {NAME:
//! {params: {alpha, beta}, standard_errors: {alpha, beta}, log_likelihood,
//! aic, bic, n_subscribers, churned, converged, iterations, expected_lifetime,
//! survival: [S(1), ...], retention: [r(1), ...], derl, retention_elasticity}}`
//! with one cohort `all` when the file has no cohort column.

use std::collections::BTreeMap;

use clv_core::sbg::{SbgFitter, SubscriptionData};
use serde_json::{Map, Value, json};

use crate::error::{Context, Result, usage};
use crate::progress::Progress;
use crate::settings::FitSettings;

/// Periods of the projected survival and retention curves.
const PROJECTION_PERIODS: u32 = 12;
/// Per-period discount rate of DERL and the retention elasticity.
const DISCOUNT_PER_PERIOD: f64 = 0.1;

fn finite_or_null(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

/// `fit --model sbg`: sBG per cohort of a subscriptions file, with survival
/// and retention projections, DERL and the retention elasticity (JSON).
pub fn fit_subscriptions(args: &FitSettings, progress: &dyn Progress) -> Result<Value> {
    let path = args.tables.subscriptions.as_deref().ok_or_else(|| {
        usage("--model sbg needs --subscriptions FILE (customer_id,duration,churned[,cohort])")
    })?;
    if args.data.transactions.is_some() || args.data.source.is_some() {
        return Err(usage(
            "--model sbg reads --subscriptions, not a transaction log",
        ));
    }
    if args.model.spend.is_some() {
        return Err(usage("--spend does not apply to --model sbg"));
    }
    args.model.check_penalty()?;
    let delimiter = args.data.delimiter;
    let table = progress.stage(&format!("read subscriptions {}", path.display()), || {
        clv_data::read_subscription_file(path, delimiter)
    })?;
    // Group rows by cohort, in name order.
    let mut groups: BTreeMap<String, (Vec<u32>, Vec<bool>)> = BTreeMap::new();
    for i in 0..table.duration.len() {
        let name = table
            .cohort
            .as_ref()
            .map_or("all", |c| c[i].as_str())
            .to_string();
        let g = groups.entry(name).or_default();
        g.0.push(table.duration[i]);
        g.1.push(table.churned[i]);
    }
    progress.say(format!(
        "data: {} ({} subscribers, {} cohort{})",
        path.display(),
        table.duration.len(),
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    ));
    let fitter = SbgFitter {
        penalty: args.model.penalty,
        ..Default::default()
    };
    let mut cohorts = Map::new();
    for (name, (duration, churned)) in groups {
        let n = duration.len();
        let n_churned = churned.iter().filter(|&&c| c).count();
        let data = SubscriptionData::new(duration, churned, vec![1.0; n])
            .with_context(|| format!("cohort {name:?}"))?;
        let fitted = fitter
            .fit(&data)
            .map_err(|e| usage(format!("cohort {name:?}: {e}")))?;
        let p = fitted.params;
        let r = &fitted.report;
        let se = |i: usize| {
            r.standard_errors
                .get(i)
                .copied()
                .map_or(Value::Null, finite_or_null)
        };
        let derl = p
            .derl(DISCOUNT_PER_PERIOD, 1)
            .map(finite_or_null)
            .unwrap_or(Value::Null);
        let elasticity = p
            .retention_elasticity(DISCOUNT_PER_PERIOD, 1)
            .map(finite_or_null)
            .unwrap_or(Value::Null);
        progress.say(format!(
            "sbg cohort {name}: alpha = {:.4}, beta = {:.4}; log-likelihood {:.2}, {n} subscribers ({n_churned} churned), {}",
            p.alpha(),
            p.beta(),
            r.log_likelihood,
            if r.converged { "converged" } else { "NOT converged" }
        ));
        cohorts.insert(
            name,
            json!({
                "params": {"alpha": p.alpha(), "beta": p.beta()},
                "standard_errors": {"alpha": se(0), "beta": se(1)},
                "covariance": r.covariance,
                "log_likelihood": r.log_likelihood,
                "aic": r.aic,
                "bic": r.bic,
                "n_subscribers": n,
                "churned": n_churned,
                "converged": r.converged,
                "iterations": r.iterations,
                "expected_lifetime": finite_or_null(p.expected_lifetime()),
                "survival": p.survival_curve(PROJECTION_PERIODS),
                "retention": (1..=PROJECTION_PERIODS).map(|t| p.retention_rate(t)).collect::<Vec<f64>>(),
                "derl": derl,
                "retention_elasticity": elasticity,
            }),
        );
    }
    let unit = args.data.time_unit.unwrap_or(clv_core::TimeUnit::Year);
    let out = json!({
        "model": "sbg",
        "time_unit": unit.to_string(),
        "n_subscribers": table.duration.len(),
        "discount_rate_per_period": DISCOUNT_PER_PERIOD,
        "projection_periods": PROJECTION_PERIODS,
        "cohorts": cohorts,
        "clv_version": env!("CARGO_PKG_VERSION"),
    });
    Ok(out)
}
