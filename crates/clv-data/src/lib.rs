//! # clv-data: the data layer of `clv`
//!
//! Transaction logs in, per-customer summaries out, and results back to
//! files:
//!
//! * **Ingest** ([`ingest`], [`Source`], [`Aggregations`]): one pipeline
//!   for every input. A [`Source`] is read **once** into validated rows
//!   (customer id, day, amount), bucketed by customer; the aggregations the
//!   caller asks for run on those same rows: the per-customer [`Summary`]
//!   with its [`DataReport`] always, the monthly [`PurchaseHistory`] of
//!   `clv economics`, the [`PurchaseDays`] of holdout validation and each
//!   customer's purchase rows ([`Purchases`]) on request. [`summarize_file`], [`summarize_with_history`] and
//!   [`purchase_days::summarize_file_with_purchase_days`] are
//!   [`ingest`] of a [`FileSource`] with one aggregation set each.
//! * **Sources**: [`FileSource`] reads CSV (any delimiter, header, quoted
//!   fields), Parquet and JSON, the format chosen in one place from the file
//!   extension or [`ReadOptions::format`]. Any other input (a database
//!   table, a distributed engine's dataset) is a [`Source`] that pushes its
//!   rows through [`RowWriter`]s and names a bad row's place with a
//!   [`Location`]; validation, counting and error messages are shared.
//!   [`SqlSource`] is the result of a SQL query over files registered as
//!   tables (`clv ... --query "SELECT ..."`), run by DataFusion and streamed.
//!   Columns are mapped by name (default
//!   `customer_id`, `date`, `amount`). CSV columns are read as text and parsed
//!   here, never by type inference: ids stay strings, `YYYYMMDD` stays a date.
//!   Dates may be ISO dates, ISO timestamps with or without a zone (the
//!   calendar date *as written* is used, in the timestamp's own offset),
//!   `YYYYMMDD`, or a user chrono format ([`date`]); Parquet `Date32`,
//!   `Date64`, `Timestamp` (local date in its zone), integer `YYYYMMDD` and
//!   string columns are accepted.
//! * **Validation** ([`DataReport`]): negative amounts (returns) are
//!   dropped and reported with count and total; zero amounts are purchases
//!   worth 0 by default ([`ZeroAmounts::Keep`], as in the published CDNOW
//!   summary) or dropped ([`ZeroAmounts::Drop`]), and counted either way; rows after the observation end are dropped and counted,
//!   customers whose first purchase is after the calibration end are
//!   excluded and counted. A malformed value is an error naming the file, the
//!   1-based line (the header is line 1) and the column, for example
//!   `orders.csv:17: column "amount": cannot parse "abc" as a number`; with
//!   [`ReadOptions::skip_invalid`] it is skipped, counted and the first few
//!   lines are listed. A date after today (UTC, or
//!   [`ReadOptions::today`]) is an error unless an explicit observation end
//!   is given (later rows are then dropped and counted).
//! * **Summaries** ([`Summary`], [`SummaryOptions`], [`Convention`]): `x`,
//!   `t_x`, `T` and the mean repeat-purchase value in the `exact` convention
//!   (same-day purchases merged, fractional times; reproduces the published
//!   CDNOW summary) or the `period` convention of Python `lifetimes`, with
//!   optional holdout columns; rows sorted by customer id (numerically when
//!   every id is an integer). [`summarize`] is the pure in-memory entry point.
//! * **Small tables** ([`read_summary_file`], [`read_subscription_file`],
//!   [`read_customers`], [`read_spend`], [`read_events`]): per-customer
//!   summaries, subscriptions, customer attributes, marketing spend and
//!   engagement events, as CSV through the `csv` crate (customers, spend and
//!   events also as Parquet or JSON), with
//!   errors naming file, line and column.
//! * **Writing** ([`Table`], [`write_table`]): named string and `f64` columns
//!   as CSV, JSON (an array of objects) or Parquet, to standard output or
//!   atomically to a file, floats with round-trip precision.
//!
//! ## Which reader runs
//!
//! Apache Arrow is the in-memory format of the output (the ids are an Arrow
//! string array; tables become Arrow record batches for Parquet) and Apache
//! DataFusion reads Parquet and JSON, and CSV on request
//! ([`CsvReader::DataFusion`]: every column declared `Utf8`, one stream per
//! partition on a multi-threaded Tokio runtime). For CSV — the hot path from
//! transactions to summaries — the **hand-written pass runs by default**
//! ([`CsvReader::Auto`] = [`CsvReader::HandWritten`]) because it measured
//! faster: on a 2-core machine, 1,000,000 customers, 3.25 million rows,
//! 77 MB of CSV (ISO dates), file to sorted summary took 0.42–0.47 s and
//! about 172 MB peak RSS by hand against 0.52–0.54 s and about 230 MB
//! through DataFusion's CSV reader (rows shuffled: 0.43–0.52 s against
//! 0.59–0.61 s). Both readers feed
//! the same validation and aggregation, and the tests check that they give
//! identical summaries and reports.
//!
//! The hand-written pass streams: one thread per byte range of the file,
//! each reading 1 MiB blocks into a reused buffer with positioned reads
//! (`pread` on Unix, a seek and a read elsewhere) and scanning every
//! delimiter and newline with one `memchr2` pass; dates and numbers are
//! parsed by hand (chrono only for a user date format). A file with quotes
//! anywhere is instead read whole (once, kept by the [`FileSource`]) and
//! split at record boundaries by quote parity, and lines with quotes take an
//! RFC 4180 state machine. Parallel readers do not know line numbers:
//! problems carry byte offsets, turned into exact lines (by counting
//! newlines) only when reported.

//! ## Example
//!
//! ```
//! use clv_data::{Convention, SummaryOptions, date::to_days, summarize};
//! use clv_core::TimeUnit;
//! use chrono::NaiveDate;
//!
//! let d = |s: &str| to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
//! let ids = ["a", "a", "b", "a"];
//! let days = [d("2015-02-01"), d("2015-02-01"), d("2015-02-03"), d("2015-02-06")];
//! let amounts = [10.0, 5.0, 7.0, 20.0];
//! let opts = SummaryOptions {
//!     time_unit: TimeUnit::Day,
//!     convention: Convention::Exact,
//!     observation_end: Some(NaiveDate::from_ymd_opt(2015, 2, 7).unwrap()),
//!     ..Default::default()
//! };
//! let (summary, report) = summarize(&ids, &days, &amounts, &opts).unwrap();
//! assert_eq!(summary.customer_id(0), "a");
//! // Two purchase days: one repeat purchase, 5 days after the first; age 6 days.
//! assert_eq!((summary.frequency[0], summary.recency[0], summary.age[0]), (1.0, 5.0, 6.0));
//! assert_eq!(summary.monetary_value[0], 20.0);
//! assert_eq!(report.rows_used, 4);
//! let data = summary.to_customer_data().unwrap();
//! assert_eq!(data.len(), 2);
//! ```
//!
//! From a file to every customer's value with the statistics core (the
//! bundled CDNOW sample; `docs/library.md` shows the same code):
//!
//! ```
//! use clv_core::bgnbd::BgNbdFitter;
//! use clv_core::gamma_gamma::GammaGammaFitter;
//! use clv_core::value::{ValueSettings, predict};
//! use clv_core::{Horizon, TimeUnit};
//! use clv_data::{NaiveDate, ReadOptions, SummaryOptions, summarize_file};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample.csv");
//! let options = SummaryOptions {
//!     calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30),
//!     ..Default::default() // weeks, exact convention
//! };
//! let (summary, _report) = summarize_file(path.as_ref(), &ReadOptions::default(), &options)?;
//! let data = summary.to_customer_data()?;
//! let bgnbd = BgNbdFitter::default().fit(&data)?;
//! let weights = vec![1.0; data.len()];
//! let gg = GammaGammaFitter::default().fit(&data.frequency, &summary.monetary_value, &weights)?;
//! assert!((bgnbd.params.r() - 0.243).abs() < 1e-3 && (gg.params.p() - 6.25).abs() < 1e-2);
//!
//! let spend = (0..data.len())
//!     .map(|i| gg.params.conditional_expected_spend(data.frequency[i], summary.monetary_value[i]))
//!     .collect::<Result<Vec<f64>, _>>()?;
//! let horizon: Horizon = "12 months".parse()?;
//! let settings = ValueSettings::new(horizon, TimeUnit::Week, 0.10, 1.0)?;
//! let value = predict(&bgnbd.params, &data, &spend, &settings)?;
//! assert!((value.clv[0] - 36.73).abs() < 0.01); // customer 1
//! # Ok(()) }
//! ```
//!
//! Reading a file is one call:
//!
//! ```no_run
//! use clv_data::{ReadOptions, SummaryOptions, summarize_file, write_table, OutputFormat};
//! # fn main() -> Result<(), clv_data::DataError> {
//! let (summary, report) = summarize_file(
//!     "orders.csv".as_ref(),
//!     &ReadOptions::default(),
//!     &SummaryOptions::default(),
//! )?;
//! eprintln!("{report}");
//! write_table(&summary.to_table(), Some("summary.parquet".as_ref()), OutputFormat::Parquet)?;
//! # Ok(()) }
//! ```
//!
//! Several aggregations from one read:
//!
//! ```no_run
//! use clv_data::{Aggregations, FileSource, ReadOptions, SummaryOptions, ingest};
//! # fn main() -> Result<(), clv_data::DataError> {
//! let want = Aggregations { history: true, purchase_days: true, purchases: true };
//! let out = ingest(
//!     &FileSource::new("orders.csv"),
//!     &ReadOptions::default(),
//!     &SummaryOptions::default(),
//!     want,
//! )?;
//! let (summary, history, days) = (out.summary, out.history.unwrap(), out.purchase_days.unwrap());
//! let purchases = out.purchases.unwrap();
//! let (days_of_first, amounts_of_first) = purchases.of(0); // the summary's first customer
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod attributes;
mod batches;
mod csv;
pub mod date;
mod engine;
mod error;
mod history;
mod ingest;
pub mod postgres;
pub mod purchase_days;
mod purchases;
mod read;
mod report;
mod rows;
mod source;
pub mod sql;
mod summary;
mod table;
pub mod tables;

pub use attributes::{
    CustomerAttributes, CustomerColumns, EventColumns, Events, SpendColumns, SpendRow,
    read_customers, read_events, read_spend,
};
pub use batches::BatchSource;
pub use chrono::NaiveDate;
/// The DataFusion (and through it Arrow and Parquet) version this crate uses.
pub use datafusion;
pub use error::{DataError, Location, Result};
pub use history::{PurchaseHistory, summarize_with_history};
pub use ingest::{Aggregations, Ingested, ingest, summarize_file};
pub use postgres::{
    PgConnect, PgInput, PgUrl, PostgresSource, Pushdown, RunRecord, SinkReport,
    write_table_postgres, write_tables_postgres,
};
pub use purchase_days::PurchaseDays;
pub use purchases::Purchases;
pub use read::{CsvReader, InputFormat, ReadOptions};
pub use report::{DataReport, InvalidCount, InvalidExample};
pub use rows::InvalidReason;
pub use source::{FileSource, ReadContext, RowError, RowWriter, Rows, Source};
pub use sql::{SqlSource, SqlTable};
pub use summary::{
    Convention, Holdout, Summary, SummaryOptions, Totals, ZeroAmounts, period_index, summarize,
};
pub use table::{
    Column, OutputFormat, PurchaseParquetWriter, StagedFile, Table, stage_file,
    write_file_atomically, write_table, write_table_to,
};
pub use tables::{SubscriptionTable, SummaryTable, read_subscription_file, read_summary_file};
