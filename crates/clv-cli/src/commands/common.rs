//! What the subcommands share: loading a summary, fitting, describing and writing.

use anyhow::{Context, Result};
use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::fit::FitReport;
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::value::Predictions;
use clv_core::{CustomerData, TimeUnit};

use crate::args::{Convention, DataArgs, Format, ModelArgs, OutputArgs, SpendName};
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
    let path = &args.transactions;
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

fn read_options(args: &DataArgs) -> Result<clv_data::ReadOptions> {
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

fn summary_options(args: &DataArgs, time_unit: TimeUnit) -> Result<clv_data::SummaryOptions> {
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
    /// Parameters.
    pub params: BgNbdParams,
    /// Fit report (absent when read from a file).
    pub report: Option<FitReport>,
}

/// The fitted spend model.
pub struct SpendFit {
    /// Parameters.
    pub params: GammaGammaParams,
    /// Fit report (absent when read from a file).
    pub report: Option<FitReport>,
}

/// Fits the models named in `args` on the loaded summary.
pub fn fit_models(loaded: &Loaded, args: &ModelArgs, progress: &Progress) -> Result<Fitted> {
    if !(args.penalty.is_finite() && args.penalty >= 0.0) {
        return Err(usage(format!(
            "--penalty must be a non-negative number, got {}",
            args.penalty
        )));
    }
    let fitter = BgNbdFitter {
        penalty: args.penalty,
        ..Default::default()
    };
    let purchase = progress
        .stage(
            &format!("fitted BG/NBD on {} customers", loaded.data.len()),
            || fitter.fit(&loaded.data),
        )
        .context("BG/NBD fit failed")?;
    let spend = match args.spend {
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
                .map(|(&x, &m)| if x > 0.0 && m <= 0.0 { 0.0 } else { 1.0 })
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
            Some(SpendFit {
                params: fitted.params,
                report: Some(fitted.report),
            })
        }
    };
    Ok(Fitted {
        purchase: PurchaseFit {
            params: purchase.params,
            report: Some(purchase.report),
        },
        spend,
    })
}

impl Fitted {
    /// The models in a model file.
    pub fn from_file(file: &ModelFile) -> Result<Fitted> {
        Ok(Fitted {
            purchase: PurchaseFit {
                params: file.bgnbd()?,
                report: None,
            },
            spend: file.gamma_gamma()?.map(|params| SpendFit {
                params,
                report: None,
            }),
        })
    }

    /// The model file for these (freshly fitted) models.
    pub fn to_file(&self, loaded: &Loaded) -> ModelFile {
        let p = &self.purchase.params;
        let empty = FitReport {
            log_likelihood: f64::NAN,
            aic: f64::NAN,
            bic: f64::NAN,
            n_customers: 0.0,
            n_params: 0,
            converged: false,
            iterations: 0,
            termination: String::new(),
            penalty: 0.0,
            gradient_norm: f64::NAN,
            standard_errors: vec![],
            covariance: vec![],
        };
        let purchase = model_file::section(
            "bg-nbd",
            &["r", "alpha", "a", "b"],
            &[p.r, p.alpha, p.a, p.b],
            self.purchase.report.as_ref().unwrap_or(&empty),
        );
        let spend = self.spend.as_ref().map(|s| {
            model_file::section(
                "gamma-gamma",
                &["p", "q", "v"],
                &[s.params.p, s.params.q, s.params.v],
                s.report.as_ref().unwrap_or(&empty),
            )
        });
        ModelFile {
            purchase,
            time_unit: loaded.time_unit,
            spend,
            data: loaded.info.clone(),
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
