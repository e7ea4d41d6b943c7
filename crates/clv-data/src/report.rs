//! The data-quality report: what was read, what was used, what was dropped and why.

use std::fmt;

use chrono::NaiveDate;

use crate::error::Location;
use crate::rows::InvalidReason;

/// One skipped malformed row, kept as an example for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidExample {
    /// Where the row is.
    pub location: Location,
    /// The column at fault (empty for a record-level problem).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InvalidExample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}: {}", self.location, self.message)
        } else {
            write!(
                f,
                "{}: column \"{}\": {}",
                self.location, self.column, self.message
            )
        }
    }
}

/// How many rows were skipped for one reason (with `skip_invalid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidCount {
    /// The reason.
    pub reason: InvalidReason,
    /// How many rows.
    pub rows: u64,
}

/// The data-quality report of one read-and-summarise run.
///
/// Every data row is accounted for:
/// `rows_read = rows_used + invalid rows + negative_rows + zero_rows (when dropped) +
/// after_observation_end + late_customer_rows`
/// (see [`DataReport::rows_dropped`]). Its [`Display`](fmt::Display) is the
/// multi-line text the CLI prints on stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct DataReport {
    /// The input's name (file path, or `<memory>`).
    pub source: String,
    /// Which reader produced the rows (for example `hand-written CSV reader`
    /// or `DataFusion`).
    pub reader: &'static str,
    /// Data rows read (a CSV header and blank lines are not rows).
    pub rows_read: u64,
    /// Rows that went into the summary (calibration and holdout).
    pub rows_used: u64,
    /// Customers in the summary.
    pub customers: u64,
    /// Earliest purchase date among the rows used.
    pub first_date: Option<NaiveDate>,
    /// Latest purchase date among the rows used.
    pub last_date: Option<NaiveDate>,
    /// End of the calibration period.
    pub calibration_end: Option<NaiveDate>,
    /// End of observation.
    pub observation_end: Option<NaiveDate>,
    /// Rows with a negative amount (returns): dropped.
    pub negative_rows: u64,
    /// Sum of the negative amounts.
    pub negative_total: f64,
    /// Rows with a zero amount: dropped, unless `zero_rows_kept`.
    pub zero_rows: u64,
    /// Whether zero-amount rows were kept as purchases
    /// ([`ZeroAmounts::Keep`](crate::ZeroAmounts::Keep)).
    pub zero_rows_kept: bool,
    /// Purchases dated after the observation end: dropped.
    pub after_observation_end: u64,
    /// Customers whose first purchase is after the calibration end: excluded.
    pub late_customers: u64,
    /// The rows of those customers.
    pub late_customer_rows: u64,
    /// Malformed rows skipped (with `skip_invalid`), per reason (non-zero only).
    pub invalid: Vec<InvalidCount>,
    /// The first few skipped rows, in input order.
    pub invalid_examples: Vec<InvalidExample>,
    /// The CSV delimiter used (`None` for other formats).
    pub delimiter: Option<char>,
    /// Whether the delimiter was sniffed from the header (not given).
    pub delimiter_detected: bool,
    /// The date format used, in strftime syntax (`None`: the built-in ISO /
    /// `YYYYMMDD` parser).
    pub date_format: Option<String>,
    /// Whether the date format was detected from the data (not given).
    pub date_format_detected: bool,
    /// Whether text amounts were read with a decimal comma (`1.234,50`).
    pub decimal_comma: bool,
    /// Whether the decimal comma was detected from the data (not given).
    pub decimal_comma_detected: bool,
    /// Amounts read after stripping a currency symbol or code (`$12.50`, `12,50 EUR`).
    pub amounts_currency_stripped: u64,
    /// Amounts read after removing thousands separators (`1,234.50`).
    pub amounts_thousands_stripped: u64,
}

impl DataReport {
    pub(crate) fn new(source: impl Into<String>, reader: &'static str) -> Self {
        DataReport {
            source: source.into(),
            reader,
            rows_read: 0,
            rows_used: 0,
            customers: 0,
            first_date: None,
            last_date: None,
            calibration_end: None,
            observation_end: None,
            negative_rows: 0,
            negative_total: 0.0,
            zero_rows: 0,
            zero_rows_kept: false,
            after_observation_end: 0,
            late_customers: 0,
            late_customer_rows: 0,
            invalid: Vec::new(),
            invalid_examples: Vec::new(),
            delimiter: None,
            delimiter_detected: false,
            date_format: None,
            date_format_detected: false,
            decimal_comma: false,
            decimal_comma_detected: false,
            amounts_currency_stripped: 0,
            amounts_thousands_stripped: 0,
        }
    }

    /// Records what the CSV reader settled: the delimiter, the date format
    /// and the decimal separator, and whether each was detected.
    pub(crate) fn note_settled(
        &mut self,
        delimiter: u8,
        sniffed: bool,
        read: &crate::ReadOptions,
        v: &crate::rows::Validator,
    ) {
        self.delimiter = Some(delimiter as char);
        self.delimiter_detected = sniffed;
        self.date_format = v.dates.format().map(str::to_string);
        self.date_format_detected = v.dates.is_detected();
        self.decimal_comma = v.decimal_comma;
        self.decimal_comma_detected = v.decimal_comma && !read.decimal_comma;
    }

    /// Malformed rows skipped, all reasons together.
    pub fn invalid_rows(&self) -> u64 {
        self.invalid.iter().map(|c| c.rows).sum()
    }

    /// All rows not used, whatever the reason.
    pub fn rows_dropped(&self) -> u64 {
        self.invalid_rows()
            + self.negative_rows
            + if self.zero_rows_kept {
                0
            } else {
                self.zero_rows
            }
            + self.after_observation_end
            + self.late_customer_rows
    }
}

impl fmt::Display for DataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data: {} (read by the {})", self.source, self.reader)?;
        write!(
            f,
            "  {} rows read, {} used, {} dropped; {} customers",
            self.rows_read,
            self.rows_used,
            self.rows_dropped(),
            self.customers
        )?;
        if let (Some(a), Some(b)) = (self.first_date, self.last_date) {
            write!(f, "\n  purchases from {a} to {b}")?;
        }
        if let (Some(c), Some(o)) = (self.calibration_end, self.observation_end) {
            if c == o {
                write!(f, "; observed to {o}")?;
            } else {
                write!(f, "; calibration to {c}, holdout to {o}")?;
            }
        }
        let mut detected = Vec::new();
        if self.delimiter_detected
            && let Some(d) = self.delimiter
        {
            detected.push(format!("delimiter {:?}", d.escape_default().to_string()));
        }
        if self.date_format_detected
            && let Some(f) = &self.date_format
        {
            detected.push(format!("dates {f:?}"));
        }
        if self.decimal_comma_detected {
            detected.push("decimal comma in amounts".to_string());
        }
        if !detected.is_empty() {
            write!(
                f,
                "\n  detected from the data: {} (give --delimiter, --date-format or \
                 --decimal-comma to override)",
                detected.join(", ")
            )?;
        }
        if self.amounts_currency_stripped > 0 {
            write!(
                f,
                "\n  read {} amounts after stripping a currency symbol or code",
                self.amounts_currency_stripped
            )?;
        }
        if self.amounts_thousands_stripped > 0 {
            write!(
                f,
                "\n  read {} amounts after removing thousands separators",
                self.amounts_thousands_stripped
            )?;
        }
        if self.negative_rows > 0 {
            write!(
                f,
                "\n  dropped {} rows with negative amounts (returns), total {}",
                self.negative_rows, self.negative_total
            )?;
        }
        if self.zero_rows > 0 {
            if self.zero_rows_kept {
                write!(
                    f,
                    "\n  kept {} rows with zero amounts as purchases",
                    self.zero_rows
                )?;
            } else {
                write!(f, "\n  dropped {} rows with zero amounts", self.zero_rows)?;
            }
        }
        if self.after_observation_end > 0 {
            write!(
                f,
                "\n  dropped {} rows dated after the observation end",
                self.after_observation_end
            )?;
        }
        if self.late_customers > 0 {
            write!(
                f,
                "\n  excluded {} customers ({} rows) whose first purchase is after the calibration end",
                self.late_customers, self.late_customer_rows
            )?;
        }
        for c in &self.invalid {
            write!(
                f,
                "\n  skipped {} malformed rows: {}",
                c.rows,
                c.reason.describe()
            )?;
        }
        if !self.invalid_examples.is_empty() {
            write!(f, "\n  first skipped rows:")?;
            for e in &self.invalid_examples {
                write!(f, "\n    {e}")?;
            }
        }
        Ok(())
    }
}
