//! What the subcommands share: loading a summary, fitting, describing and writing.

use anyhow::{Context, Result};
use clv_core::fit::FitReport;
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::model::ParametricModel;
use clv_core::models::{FitOptions, ModelKind};
use clv_core::value::Predictions;
use clv_core::{CustomerData, TimeUnit};

use crate::args::{
    Convention, DataArgs, Format, ModelArgs, ModelName, OutputArgs, SpendName, TableInputs,
};
use crate::error::usage;
use crate::model_file::{self, DataInfo, ModelFile};
use crate::progress::Progress;

/// A per-customer summary ready for the models.
pub struct Loaded {
    /// The summary as built by the data layer.
    pub summary: clv_data::Summary,
    /// `(x, t_x, T)` per customer, in the summary's row order.
    pub data: CustomerData,
    /// Time unit of the summary.
    pub time_unit: TimeUnit,
    /// Where the data came from.
    pub info: DataInfo,
}

/// Reads the transactions and builds the summary; `unit` overrides `--time-unit`.
pub fn load(args: &DataArgs, unit: Option<TimeUnit>, progress: &Progress) -> Result<Loaded> {
    let time_unit = unit.or(args.time_unit).unwrap_or(TimeUnit::Week);
    let read = read_options(args)?;
    let opts = summary_options(args, time_unit)?;
    let path = args.transactions_path()?;
    let (summary, report) = progress
        .stage(&format!("read and summarised {}", path.display()), || {
            clv_data::summarize_file(path, &read, &opts)
        })?;
    progress.say(report.to_string());
    let data = summary.to_customer_data().context("invalid summary")?;
    let info = DataInfo {
        source: path.display().to_string(),
        convention: match args.convention {
            Convention::Exact => "exact".into(),
            Convention::Period => "period".into(),
        },
        first_date: summary.first_date.to_string(),
        calibration_end: summary.calibration_end.to_string(),
        observation_end: summary.observation_end.to_string(),
        zero_amounts: match args.zero_amounts {
            crate::args::ZeroAmounts::Keep => "keep".into(),
            crate::args::ZeroAmounts::Drop => "drop".into(),
        },
    };
    Ok(Loaded {
        summary,
        data,
        time_unit,
        info,
    })
}

/// Reads a per-customer summary file (`--summary`) into the same shape as
/// [`load`]; `unit` overrides `--time-unit` (the file's times are taken to be
/// in that unit).
pub fn load_summary_file(
    args: &DataArgs,
    path: &std::path::Path,
    unit: Option<TimeUnit>,
    progress: &Progress,
) -> Result<Loaded> {
    let time_unit = unit.or(args.time_unit).unwrap_or(TimeUnit::Week);
    let delimiter = read_options(args)?.delimiter;
    let t = progress.stage(&format!("read summary {}", path.display()), || {
        clv_data::read_summary_file(path, delimiter)
    })?;
    let n = t.frequency.len();
    let customers: f64 = t.weight.iter().sum();
    progress.say(format!(
        "data: {} ({n} rows standing for {customers} customers, times in {time_unit}s)",
        path.display()
    ));
    let data = CustomerData::with_weights(
        t.frequency.clone(),
        t.recency.clone(),
        t.age.clone(),
        t.weight.clone(),
    )
    .with_context(|| format!("invalid summary in {}", path.display()))?;
    // No dates in a summary file: the summary's date fields are unused.
    let none = clv_data::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let summary = clv_data::Summary {
        customer_ids: t.customer_ids.iter().map(|s| Some(s.as_str())).collect(),
        frequency: t.frequency,
        recency: t.recency,
        age: t.age,
        monetary_value: t.monetary_value.unwrap_or_else(|| vec![0.0; n]),
        holdout: None,
        time_unit,
        convention: clv_data::Convention::Exact,
        first_date: none,
        calibration_end: none,
        observation_end: none,
    };
    let info = DataInfo {
        source: path.display().to_string(),
        convention: "summary".into(),
        first_date: String::new(),
        calibration_end: String::new(),
        observation_end: String::new(),
        zero_amounts: String::new(),
    };
    Ok(Loaded {
        summary,
        data,
        time_unit,
        info,
    })
}

/// Loads the input of `fit`/`predict`: the transaction log, or a summary
/// file. BG/BB always uses whole periods (the `period` convention).
pub fn load_input(
    args: &DataArgs,
    tables: &TableInputs,
    kind: Option<ModelKind>,
    unit: Option<TimeUnit>,
    progress: &Progress,
) -> Result<Loaded> {
    if let Some(path) = &tables.summary {
        return load_summary_file(args, path, unit, progress);
    }
    if kind.is_some_and(ModelKind::is_discrete) && args.convention != Convention::Period {
        progress.say(
            "note: BG/BB counts whole periods of --time-unit (the period convention):              x = periods with a purchase after the first, T = periods observed",
        );
        let mut period = args.clone();
        period.convention = Convention::Period;
        return load(&period, unit, progress);
    }
    load(args, unit, progress)
}

/// The purchase model named on the command line (`None` for sbg and auto,
/// which have their own paths).
pub fn model_kind(name: ModelName) -> Option<ModelKind> {
    match name {
        ModelName::BgNbd => Some(ModelKind::BgNbd),
        ModelName::ParetoNbd => "pareto-nbd".parse().ok(),
        ModelName::MbgNbd => "mbg-nbd".parse().ok(),
        ModelName::BgBb => "bg-bb".parse().ok(),
        ModelName::Sbg | ModelName::Auto => None,
    }
}

/// The purchase model for `name`, or a usage error for models without a
/// (`x`, `t_x`, `T`) path.
pub fn require_kind(name: ModelName) -> Result<ModelKind> {
    model_kind(name).ok_or_else(|| match name {
        ModelName::Sbg => {
            usage("--model sbg fits subscriptions: use clv fit --model sbg --subscriptions FILE")
        }
        ModelName::Auto => usage("--model auto is only for clv fit"),
        _ => usage(format!("model {name:?} is not available in this build")),
    })
}

/// The data layer's read options for the data flags.
pub fn read_options(args: &DataArgs) -> Result<clv_data::ReadOptions> {
    let delimiter = match args.delimiter.as_deref() {
        None => None,
        Some("\\t") | Some("tab") => Some(b'\t'),
        Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
        Some(d) => {
            return Err(usage(format!(
                "--delimiter must be one character, got {d:?}"
            )));
        }
    };
    Ok(clv_data::ReadOptions {
        customer_col: args.customer_col.clone(),
        date_col: args.date_col.clone(),
        amount_col: args.amount_col.clone(),
        date_format: args.date_format.clone(),
        delimiter,
        skip_invalid: args.skip_invalid,
        ..Default::default()
    })
}

fn parse_date(flag: &str, s: &str) -> Result<clv_data::NaiveDate> {
    clv_data::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| usage(format!("{flag} {s:?}: {e} (expected YYYY-MM-DD)")))
}

/// The data layer's summary options for the data flags, times in `time_unit`.
pub fn summary_options(args: &DataArgs, time_unit: TimeUnit) -> Result<clv_data::SummaryOptions> {
    Ok(clv_data::SummaryOptions {
        time_unit,
        convention: match args.convention {
            Convention::Exact => clv_data::Convention::Exact,
            Convention::Period => clv_data::Convention::Period,
        },
        calibration_end: args
            .calibration_end
            .as_deref()
            .map(|s| parse_date("--calibration-end", s))
            .transpose()?,
        zero_amounts: match args.zero_amounts {
            crate::args::ZeroAmounts::Keep => clv_data::ZeroAmounts::Keep,
            crate::args::ZeroAmounts::Drop => clv_data::ZeroAmounts::Drop,
        },
        observation_end: args
            .observation_end
            .as_deref()
            .map(|s| parse_date("--observation-end", s))
            .transpose()?,
        ..Default::default()
    })
}

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

/// Checks `--penalty`.
pub fn check_penalty(args: &ModelArgs) -> Result<()> {
    if !(args.penalty.is_finite() && args.penalty >= 0.0) {
        return Err(usage(format!(
            "--penalty must be a non-negative number, got {}",
            args.penalty
        )));
    }
    Ok(())
}

/// Fits the purchase model `kind` and the spend model named in `args` on the loaded summary.
pub fn fit_models(
    loaded: &Loaded,
    kind: ModelKind,
    args: &ModelArgs,
    progress: &Progress,
) -> Result<Fitted> {
    check_penalty(args)?;
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
    args: &ModelArgs,
    progress: &Progress,
) -> Result<Option<SpendFit>> {
    Ok(match args.spend {
        None => None,
        Some(SpendName::GammaGamma) => {
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
                "gamma-gamma",
                &["p", "q", "v"],
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
    pub fn expected_spend(&self, loaded: &Loaded, progress: &Progress) -> Result<Vec<f64>> {
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

/// Prints the fitted parameters on stderr.
pub fn describe(file: &ModelFile, progress: &Progress) {
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

fn output_format(out: &OutputArgs) -> Result<clv_data::OutputFormat> {
    let f = match out.format {
        Some(f) => f,
        None => match out
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("json") => Format::Json,
            Some("parquet") | Some("pq") => Format::Parquet,
            _ => Format::Csv,
        },
    };
    Ok(match f {
        Format::Csv => clv_data::OutputFormat::Csv,
        Format::Json => clv_data::OutputFormat::Json,
        Format::Parquet => clv_data::OutputFormat::Parquet,
    })
}

/// Writes the summary table.
pub fn write_summary(loaded: &Loaded, out: &OutputArgs, progress: &Progress) -> Result<()> {
    let table = loaded.summary.to_table();
    write_table(table, out, progress)
}

/// Writes the summary plus prediction columns.
pub fn write_predictions(
    loaded: &Loaded,
    predictions: &Predictions,
    spend: &[f64],
    intervals: Option<&clv_core::interval::Intervals>,
    out: &OutputArgs,
    progress: &Progress,
) -> Result<()> {
    // The contract columns first, then the holdout columns (when a holdout exists).
    let summary = &loaded.summary;
    let mut table = clv_data::Table::new()
        .with_strings("customer_id", summary.customer_ids.clone())
        .with_f64("frequency", summary.frequency.clone())
        .with_f64("recency", summary.recency.clone())
        .with_f64("T", summary.age.clone())
        .with_f64("monetary_value", summary.monetary_value.clone())
        .with_f64("p_alive", predictions.p_alive.clone())
        .with_f64("expected_purchases", predictions.expected_purchases.clone())
        .with_f64("expected_spend", spend.to_vec())
        .with_f64("clv", predictions.clv.clone());
    if let Some(iv) = intervals {
        table = table
            .with_f64("p_alive_lo", iv.p_alive.lo.clone())
            .with_f64("p_alive_hi", iv.p_alive.hi.clone())
            .with_f64("expected_purchases_lo", iv.expected_purchases.lo.clone())
            .with_f64("expected_purchases_hi", iv.expected_purchases.hi.clone())
            .with_f64("clv_lo", iv.clv.lo.clone())
            .with_f64("clv_hi", iv.clv.hi.clone());
    }
    if let Some(h) = &summary.holdout {
        table = table
            .with_f64("frequency_holdout", h.frequency.clone())
            .with_f64("monetary_value_holdout", h.monetary_value.clone())
            .with_f64("duration_holdout", vec![h.duration; summary.len()]);
    }
    write_table(table, out, progress)
}

fn write_table(table: clv_data::Table, out: &OutputArgs, progress: &Progress) -> Result<()> {
    let format = output_format(out)?;
    let rows = table.num_rows();
    progress.stage(&format!("wrote {rows} rows"), || {
        clv_data::write_table(&table, out.output.as_deref(), format)
    })?;
    Ok(())
}
