//! # clv-data: the data layer of `clv`
//!
//! Transaction logs in, per-customer summaries out, and results back to
//! files:
//!
//! * **Reading** ([`summarize_file`], [`ReadOptions`]): CSV (any delimiter,
//!   header, quoted fields), Parquet and JSON, chosen by file extension or
//!   [`ReadOptions::format`]. Columns are mapped by name (default
//!   `customer_id`, `date`, `amount`). CSV columns are read as text and parsed
//!   here, never by type inference: ids stay strings, `YYYYMMDD` stays a date.
//!   Dates may be ISO dates, ISO timestamps with or without a zone (the
//!   calendar date *as written* is used, in the timestamp's own offset),
//!   `YYYYMMDD`, or a user chrono format ([`date`]); Parquet `Date32`,
//!   `Date64`, `Timestamp` (local date in its zone), integer `YYYYMMDD` and
//!   string columns are accepted.
//! * **Validation** ([`DataReport`]): only positive amounts are purchases;
//!   negative (returns) and zero amounts are dropped and reported with count
//!   and total, rows after the observation end are dropped and counted,
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
//! * **Writing** ([`Table`], [`write_table`]): named string and `f64` columns
//!   as CSV, JSON (an array of objects) or Parquet, to standard output or
//!   atomically to a file, floats with round-trip precision.
//!
//! ## Which reader runs
//!
//! Apache Arrow is the in-memory format of the output and Apache DataFusion
//! reads Parquet and JSON (and CSV on request). For CSV — the hot path from
//! transactions to summaries — a hand-written parallel pass (`memchr` line
//! splitting of the file in one chunk per thread, hand-written date and
//! number parsing) runs by default because it measured faster than
//! DataFusion's CSV reader feeding the same aggregation (numbers in the
//! `summary` benchmark and the README of this crate's benches). Both readers
//! share validation and aggregation and are tested to give identical
//! results; [`CsvReader::DataFusion`] selects DataFusion's.
//!
//! Aggregation is sharded by a hash of the customer id, one shard per
//! thread, so no per-thread hash maps need merging; ids are referenced in
//! the input buffer, not copied.
//!
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
#![deny(missing_docs)]

mod csv;
pub mod date;
mod engine;
mod error;
mod read;
mod report;
mod rows;
mod summary;
mod table;

pub use chrono::NaiveDate;
/// The DataFusion (and through it Arrow and Parquet) version this crate uses.
pub use datafusion;
pub use error::{DataError, Location, Result};
pub use read::{CsvReader, InputFormat, ReadOptions, summarize_file};
pub use report::{DataReport, InvalidCount, InvalidExample};
pub use rows::InvalidReason;
pub use summary::{
    Convention, Holdout, Summary, SummaryOptions, ZeroAmounts, period_index, summarize,
};
pub use table::{Column, OutputFormat, Table, write_table, write_table_to};
