//! The ingest pipeline: one read of a [`Source`], then the aggregations the
//! caller asks for on the same rows.
//!
//! [`ingest`] reads the source once into validated rows (bucketed by
//! customer) and the data-quality counts, and aggregates them into the
//! per-customer [`Summary`] and its [`DataReport`] and, when asked
//! ([`Aggregations`]), into the monthly [`PurchaseHistory`] (for
//! `clv economics`) and the [`PurchaseDays`] (for the tracking curve of
//! holdout validation) and each customer's [`Purchases`] (rows by day,
//! for a customer's history and for scoring one customer). Every aggregation sees the same rows, so they agree
//! with each other and with the report.

use std::path::Path;

use crate::error::{DataError, Result};
use crate::history::{self, PurchaseHistory};
use crate::purchase_days::{self, PurchaseDays};
use crate::purchases::{self, Purchases};
use crate::read::ReadOptions;
use crate::report::DataReport;
use crate::source::{FileSource, ReadContext, Source};
use crate::summary::{self, Summary, SummaryOptions};

/// The aggregations [`ingest`] computes besides the summary (which it always
/// builds: the others are given in its row order or checked against it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregations {
    /// Each customer's purchases by calendar month ([`PurchaseHistory`]).
    /// Histories cover the whole observation: no calibration end then.
    pub history: bool,
    /// First and repeat purchases per calendar day ([`PurchaseDays`]).
    pub purchase_days: bool,
    /// Each customer's purchase rows, day and amount ([`Purchases`]), up to
    /// the observation end (with a calibration end too).
    pub purchases: bool,
}

/// What [`ingest`] produces.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The per-customer summary.
    pub summary: Summary,
    /// The data-quality report of the read.
    pub report: DataReport,
    /// Monthly purchase histories in the summary's order, when asked for.
    pub history: Option<PurchaseHistory>,
    /// Purchases per day, when asked for.
    pub purchase_days: Option<PurchaseDays>,
    /// Each customer's purchase rows in the summary's order, when asked for.
    pub purchases: Option<Purchases>,
}

/// Reads `source` once with `read` and builds the summary and report with
/// `options`, plus the aggregations in `want`.
///
/// # Errors
///
/// The source's errors (unreadable input, missing column, malformed value);
/// invalid options (a calibration end with [`Aggregations::history`]);
/// no purchases to summarise.
pub fn ingest(
    source: &dyn Source,
    read: &ReadOptions,
    options: &SummaryOptions,
    want: Aggregations,
) -> Result<Ingested> {
    if want.history && options.calibration_end.is_some() {
        return Err(DataError::InvalidOptions(
            "purchase histories cover the whole observation: no calibration end".into(),
        ));
    }
    let ctx = ReadContext::new(read, options)?.with_summary_only(want == Aggregations::default());
    let rows = source.read(&ctx)?;
    let threads = ctx.threads();
    let mut report = rows.report;
    // The other aggregations look at the rows before the summary consumes them.
    let history = want
        .history
        .then(|| history::collect(&rows.parts, &rows.stats, options));
    let days = want
        .purchase_days
        .then(|| purchase_days::count_days(&rows.parts, &rows.stats, options, threads));
    let rows_of = want
        .purchases
        .then(|| purchases::collect(&rows.parts, &rows.stats, options));
    let summary = summary::build(rows.parts, &rows.stats, options, threads, &mut report)?;
    let history = history.map(|h| h.align(&summary)).transpose()?;
    let purchases = rows_of.map(|p| p.align(&summary)).transpose()?;
    let purchase_days = match days {
        None => None,
        Some(Some(counts)) => Some(counts.trim(&summary)?),
        Some(None) => {
            return Err(DataError::InvalidOptions(
                "no purchases to count per day".into(),
            ));
        }
    };
    Ok(Ingested {
        summary,
        report,
        history,
        purchase_days,
        purchases,
    })
}

/// Reads a transaction file and builds the per-customer summary and the
/// data-quality report: [`ingest`] of a [`FileSource`] with no other
/// aggregation.
///
/// The format comes from [`ReadOptions::format`] or the file extension.
/// CSV is read by the reader chosen in [`ReadOptions::csv_reader`]
/// (the hand-written parallel pass by default); Parquet and JSON by DataFusion.
///
/// # Errors
///
/// As [`ingest`].
pub fn summarize_file(
    path: &Path,
    read: &ReadOptions,
    options: &SummaryOptions,
) -> Result<(Summary, DataReport)> {
    let out = ingest(
        &FileSource::new(path),
        read,
        options,
        Aggregations::default(),
    )?;
    Ok((out.summary, out.report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NaiveDate, summarize_with_history};
    use clv_core::TimeUnit;

    const LOG: &str = "customer_id,date,amount\n\
        a,2020-01-01,5\na,2020-01-01,7\nb,2020-01-02,3\na,2020-01-03,4\nb,2020-01-02,1\n\
        b,2020-02-05,2\na,2020-03-06,1\nc,2020-01-06,9\nd,2020-01-03,-4\n";

    #[test]
    fn one_read_gives_every_aggregation_as_the_single_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, LOG).unwrap();
        let read = ReadOptions::default();
        let options = SummaryOptions {
            time_unit: TimeUnit::Day,
            observation_end: NaiveDate::from_ymd_opt(2020, 3, 31),
            ..Default::default()
        };
        let all = Aggregations {
            history: true,
            purchase_days: true,
            purchases: true,
        };
        let out = ingest(&FileSource::new(&path), &read, &options, all).unwrap();
        let (s, report) = summarize_file(&path, &read, &options).unwrap();
        let (_, _, history) = summarize_with_history(&path, &read, &options).unwrap();
        let (_, _, days) =
            crate::purchase_days::summarize_file_with_purchase_days(&path, &read, &options)
                .unwrap();
        assert_eq!(out.summary, s);
        assert_eq!(out.report.to_string(), report.to_string());
        assert_eq!(out.history.unwrap(), history);
        assert_eq!(out.purchase_days.unwrap(), days);
        let purchases = out.purchases.unwrap();
        assert_eq!(purchases.len(), out.summary.len());
        assert_eq!(
            purchases.rows() as f64,
            out.summary
                .totals
                .as_ref()
                .unwrap()
                .orders
                .iter()
                .sum::<f64>()
        );
        // Only what is asked for.
        let out = ingest(
            &FileSource::new(&path),
            &read,
            &options,
            Aggregations::default(),
        )
        .unwrap();
        assert!(out.history.is_none() && out.purchase_days.is_none() && out.purchases.is_none());
    }

    #[test]
    fn histories_refuse_a_calibration_end_before_reading() {
        let options = SummaryOptions {
            calibration_end: NaiveDate::from_ymd_opt(2020, 1, 31),
            ..Default::default()
        };
        let want = Aggregations {
            history: true,
            ..Default::default()
        };
        let e = ingest(
            &FileSource::new("does-not-exist.csv"),
            &ReadOptions::default(),
            &options,
            want,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no calibration end"), "{e}");
    }
}
