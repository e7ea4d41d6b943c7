//! Loading: transactions or a summary file into the per-customer summary
//! the models take, with where it came from.

use std::path::Path;

use clv_core::models::ModelKind;
use clv_core::{CustomerData, TimeUnit};

use crate::error::{Context, Result};
use crate::model_file::DataInfo;
use crate::progress::Progress;
use crate::settings::{DataSettings, InputTables, convention_name, zero_amounts_name};

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

impl Loaded {
    /// Builds the models' view of a summary read from the transactions at
    /// `path` with `settings`.
    pub fn from_summary(
        summary: clv_data::Summary,
        settings: &DataSettings,
        path: &Path,
        time_unit: TimeUnit,
    ) -> Result<Loaded> {
        let data = summary.to_customer_data().context("invalid summary")?;
        let info = DataInfo {
            source: path.display().to_string(),
            convention: convention_name(settings.convention).into(),
            first_date: summary.first_date.to_string(),
            calibration_end: summary.calibration_end.to_string(),
            observation_end: summary.observation_end.to_string(),
            zero_amounts: zero_amounts_name(settings.zero_amounts).into(),
        };
        Ok(Loaded {
            summary,
            data,
            time_unit,
            info,
        })
    }
}

/// What one ingest pass gave besides the summary: the aggregations the
/// caller asked for.
#[derive(Debug, Default)]
pub struct Aggregated {
    /// Monthly purchase histories in the summary's order (`economics`).
    pub history: Option<clv_data::PurchaseHistory>,
    /// Purchases per day (`validate`'s tracking curve).
    pub purchase_days: Option<clv_data::PurchaseDays>,
    /// Each customer's purchase rows in the summary's order (a customer's
    /// history page, scoring one customer again): ask with
    /// [`clv_data::Aggregations::purchases`].
    pub purchases: Option<clv_data::Purchases>,
}

/// Reads the transactions once and builds the summary plus the aggregations
/// in `want`; `unit` overrides the settings' time unit (default: weeks). The
/// one loader of transactions: every use case reads through it.
pub fn load_with(
    settings: &DataSettings,
    unit: Option<TimeUnit>,
    want: clv_data::Aggregations,
    progress: &dyn Progress,
) -> Result<(Loaded, Aggregated)> {
    let time_unit = unit.or(settings.time_unit).unwrap_or(TimeUnit::Week);
    let read = settings.read_options();
    let opts = settings.summary_options(time_unit);
    let (source, path) = settings.source()?;
    let path = path.as_path();
    let out = progress.stage(&format!("read and summarised {}", path.display()), || {
        clv_data::ingest(&*source, &read, &opts, want)
    })?;
    progress.say(out.report.to_string());
    let extra = Aggregated {
        history: out.history,
        purchase_days: out.purchase_days,
        purchases: out.purchases,
    };
    Ok((
        Loaded::from_summary(out.summary, settings, path, time_unit)?,
        extra,
    ))
}

/// Reads the transactions and builds the summary (see [`load_with`]).
pub fn load(
    settings: &DataSettings,
    unit: Option<TimeUnit>,
    progress: &dyn Progress,
) -> Result<Loaded> {
    Ok(load_with(settings, unit, clv_data::Aggregations::default(), progress)?.0)
}

/// Reads a per-customer summary file into the same shape as [`load`];
/// `unit` overrides the settings' time unit (the file's times are taken to
/// be in that unit).
pub fn load_summary_file(
    settings: &DataSettings,
    path: &Path,
    unit: Option<TimeUnit>,
    progress: &dyn Progress,
) -> Result<Loaded> {
    let time_unit = unit.or(settings.time_unit).unwrap_or(TimeUnit::Week);
    let t = progress.stage(&format!("read summary {}", path.display()), || {
        clv_data::read_summary_file(path, settings.delimiter)
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
        totals: None,
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
/// file. Discrete-time models (BG/BB) always use whole periods (the
/// `period` convention).
pub fn load_input(
    settings: &DataSettings,
    tables: &InputTables,
    kind: Option<ModelKind>,
    unit: Option<TimeUnit>,
    progress: &dyn Progress,
) -> Result<Loaded> {
    if let Some(path) = &tables.summary {
        return load_summary_file(settings, path, unit, progress);
    }
    if kind.is_some_and(ModelKind::is_discrete)
        && settings.convention != clv_data::Convention::Period
    {
        progress.say(
            "note: BG/BB counts whole periods of --time-unit (the period convention):              x = periods with a purchase after the first, T = periods observed",
        );
        let mut period = settings.clone();
        period.convention = clv_data::Convention::Period;
        return load(&period, unit, progress);
    }
    load(settings, unit, progress)
}

/// `summarize`: the per-customer summary of the transactions (with holdout
/// columns when the settings have a calibration end).
pub fn summarize(settings: &DataSettings, progress: &dyn Progress) -> Result<clv_data::Summary> {
    Ok(load(settings, None, progress)?.summary)
}

/// Reads a customers file (the `--customers` input of `economics` and the
/// influence commands): its id column is the transactions'
/// `--customer-col` when the file has it, else `customer_id`; dates as in
/// `--date-format`.
pub fn read_customers_file(
    path: &Path,
    data: &DataSettings,
) -> Result<clv_data::CustomerAttributes> {
    let cols = clv_data::CustomerColumns {
        id: data.customer_col.clone(),
        date_format: data.date_format.clone(),
        ..Default::default()
    };
    match clv_data::read_customers(path, &cols) {
        Err(clv_data::DataError::MissingColumn {
            role: "customer", ..
        }) if data.customer_col != "customer_id" => {
            let cols = clv_data::CustomerColumns {
                id: "customer_id".into(),
                ..cols
            };
            Ok(clv_data::read_customers(path, &cols)?)
        }
        r => Ok(r?),
    }
}

/// At most three examples, quoted, with "..." when there are more (for
/// warnings that count what they name).
pub(crate) fn examples(v: &[String]) -> String {
    let mut s: Vec<String> = v.iter().take(3).map(|x| format!("{x:?}")).collect();
    if v.len() > 3 {
        s.push("...".into());
    }
    s.join(", ")
}

/// Reads the transactions once for their data-quality report: the summary
/// and the [`clv_data::DataReport`] (the report is also sent to `progress`,
/// as every read does).
pub fn inspect(
    settings: &DataSettings,
    progress: &dyn Progress,
) -> Result<(clv_data::Summary, clv_data::DataReport)> {
    let time_unit = settings.time_unit.unwrap_or(TimeUnit::Week);
    let read = settings.read_options();
    let opts = settings.summary_options(time_unit);
    let path = settings.transactions_path()?;
    let (summary, report) = progress
        .stage(&format!("read and summarised {}", path.display()), || {
            clv_data::summarize_file(path, &read, &opts)
        })?;
    progress.say(report.to_string());
    Ok((summary, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn purchases_only_when_asked_and_in_the_summarys_order() {
        let mut settings = DataSettings::for_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/cdnow_sample.csv"
        ));
        let cal = clv_data::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
        settings.calibration_end = Some(cal);
        let (_, extra) =
            load_with(&settings, None, clv_data::Aggregations::default(), &Silent).unwrap();
        assert!(extra.purchases.is_none() && extra.history.is_none());
        let want = clv_data::Aggregations {
            purchases: true,
            ..Default::default()
        };
        let (loaded, extra) = load_with(&settings, None, want, &Silent).unwrap();
        let purchases = extra.purchases.unwrap();
        let s = &loaded.summary;
        assert_eq!(purchases.len(), s.len());
        let totals = s.totals.as_ref().unwrap();
        let cal = clv_data::date::to_days(cal);
        for i in 0..s.len() {
            let (days, amounts) = purchases.of(i);
            assert!(days.is_sorted());
            let n = days.iter().filter(|&&d| d <= cal).count();
            assert_eq!(n as f64, totals.orders[i]);
            let sum: f64 = amounts[..n].iter().sum();
            assert!((sum - totals.revenue[i]).abs() <= 1e-9 * totals.revenue[i].max(1.0));
        }
        // The holdout's rows are there too, up to the observation end.
        assert!(purchases.days.iter().any(|&d| d > cal));
    }
}

/// What an input file holds, besides transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// The customers file (`--customers`): acquisition date, channel,
    /// acquisition cost, `referred_by`, attributes.
    Customers,
    /// The marketing spend file (`--spend-file`): date or month, channel, amount.
    Spend,
    /// The engagement events file (`--events`): customer, timestamp, kind.
    Events,
}

impl InputKind {
    /// Its name: `customers`, `spend` or `events`.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Customers => "customers",
            InputKind::Spend => "spend",
            InputKind::Events => "events",
        }
    }
}

/// Reads a customers, spend or events file as the commands that take it do
/// (same columns, same messages) and returns its rows, the customers it
/// names and a report in words.
pub fn inspect_input(
    kind: InputKind,
    path: &Path,
    settings: &DataSettings,
) -> Result<(u64, u64, Vec<String>)> {
    match kind {
        InputKind::Customers => {
            let c = read_customers_file(path, settings)?;
            let n = c.len() as u64;
            let mut lines = vec![format!("customers: {} ({n} rows)", c.file)];
            if c.has_channel {
                lines.push(format!("  channels: {}", c.channel_names.join(", ")));
            }
            if c.referred_by.is_some() {
                lines.push("  referred_by: present (referral values can be computed)".into());
            }
            if !c.attributes.is_empty() {
                let names: Vec<&str> = c.attributes.iter().map(|(n, _)| n.as_str()).collect();
                lines.push(format!("  attributes: {}", names.join(", ")));
            }
            Ok((n, n, lines))
        }
        InputKind::Spend => {
            let rows = clv_data::read_spend(path, &clv_data::SpendColumns::default())?;
            let total: f64 = rows.iter().map(|r| r.amount).sum();
            let n = rows.len() as u64;
            Ok((
                n,
                0,
                vec![format!(
                    "spend: {} ({n} rows, total {total:.2})",
                    path.display()
                )],
            ))
        }
        InputKind::Events => {
            let cols = clv_data::EventColumns::default();
            let e = clv_data::attributes::read_events(path, &cols)?;
            let n = e.len() as u64;
            Ok((
                n,
                0,
                vec![format!("events: {} ({n} events)", path.display())],
            ))
        }
    }
}
