//! How to read transaction files: options, format names, and the messages
//! that name a bad value's place and column.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::csv::{self, LayoutError};
use crate::date::{DateParser, to_days};
use crate::error::{DataError, Location, Result};
use crate::report::InvalidExample;
use crate::rows::{Col, InvalidReason, Problem, Validator};
use crate::source::Rows;
use crate::summary::SummaryOptions;

/// The format of a transaction file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Delimited text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// JSON: newline-delimited objects (or one array of objects).
    Json,
}

impl InputFormat {
    /// The format for a file name's extension: `.csv`, `.tsv`, `.txt` (CSV);
    /// `.parquet`, `.pq` (Parquet); `.json`, `.ndjson`, `.jsonl` (JSON).
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("csv" | "tsv" | "txt" | "tab") => Ok(InputFormat::Csv),
            Some("parquet" | "pq") => Ok(InputFormat::Parquet),
            Some("json" | "ndjson" | "jsonl") => Ok(InputFormat::Json),
            _ => Err(DataError::InvalidOptions(format!(
                "{}: cannot tell the format from the file name; use a .csv, .parquet or .json \
                 extension or name the format explicitly",
                path.display()
            ))),
        }
    }
}

impl FromStr for InputFormat {
    type Err = DataError;

    /// Accepts `csv`, `parquet` and `json` (also `ndjson`), case-insensitive.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Ok(InputFormat::Csv),
            "parquet" | "pq" => Ok(InputFormat::Parquet),
            "json" | "ndjson" | "jsonl" => Ok(InputFormat::Json),
            _ => Err(DataError::InvalidOptions(format!(
                "unknown input format {s:?}; use csv, parquet or json"
            ))),
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "csv",
            InputFormat::Parquet => "parquet",
            InputFormat::Json => "json",
        })
    }
}

/// Which reader parses CSV files. Parquet and JSON are always read by DataFusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CsvReader {
    /// The faster one as measured on this project's benchmark: the
    /// hand-written pass ([`CsvReader::HandWritten`]).
    #[default]
    Auto,
    /// The hand-written parallel `memchr` pass.
    HandWritten,
    /// DataFusion's CSV reader (Arrow `Utf8` batches, one stream per
    /// partition), with the same parsing and aggregation downstream.
    DataFusion,
}

/// How to read a transaction file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// Customer id column (default `customer_id`). Ids of any type become strings.
    pub customer_col: String,
    /// Date column (default `date`).
    pub date_col: String,
    /// Amount column (default `amount`).
    pub amount_col: String,
    /// A chrono strftime format for text dates (such as `%d/%m/%Y`); by
    /// default ISO dates, ISO timestamps and `YYYYMMDD` are recognised.
    pub date_format: Option<String>,
    /// CSV delimiter (default `,`; `\t` for `.tsv` and `.tab` files).
    pub delimiter: Option<u8>,
    /// The format, overriding the file extension.
    pub format: Option<InputFormat>,
    /// Skip malformed rows (counted and reported) instead of failing on the first.
    pub skip_invalid: bool,
    /// "Today" for the future-date check (default: the current UTC date).
    pub today: Option<NaiveDate>,
    /// Worker threads (default: the available parallelism, at most 8).
    pub threads: Option<usize>,
    /// Which CSV reader runs.
    pub csv_reader: CsvReader,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            customer_col: "customer_id".into(),
            date_col: "date".into(),
            amount_col: "amount".into(),
            date_format: None,
            delimiter: None,
            format: None,
            skip_invalid: false,
            today: None,
            threads: None,
            csv_reader: CsvReader::Auto,
        }
    }
}

impl ReadOptions {
    pub(crate) fn columns(&self) -> [&str; 3] {
        [&self.customer_col, &self.date_col, &self.amount_col]
    }

    pub(crate) fn delimiter_for(&self, path: &Path) -> u8 {
        self.delimiter.unwrap_or_else(|| {
            match path
                .extension()
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase())
                .as_deref()
            {
                Some("tsv" | "tab") => b'\t',
                _ => b',',
            }
        })
    }
}

pub(crate) const ROLES: [&str; 3] = ["customer", "date", "amount"];

/// Turns a problem into the error naming its place and column.
pub(crate) fn problem_error(
    p: &Problem,
    location: Location,
    columns: &[&str; 3],
    date_hint: &str,
) -> DataError {
    let ex = example(p, location, columns, date_hint);
    if ex.column.is_empty() {
        DataError::InvalidRecord {
            location: ex.location,
            message: ex.message,
        }
    } else {
        DataError::InvalidValue {
            location: ex.location,
            column: ex.column,
            message: ex.message,
        }
    }
}

pub(crate) fn example(
    p: &Problem,
    location: Location,
    columns: &[&str; 3],
    date_hint: &str,
) -> InvalidExample {
    let column = match p.col {
        Col::Customer => columns[0],
        Col::Date => columns[1],
        Col::Amount => columns[2],
        Col::Record => "",
    }
    .to_string();
    let message = match p.reason {
        InvalidReason::EmptyCustomer => "empty customer id".to_string(),
        InvalidReason::BadDate => format!("cannot parse {:?} as a date{date_hint}", p.text),
        InvalidReason::BadAmount => format!("cannot parse {:?} as a number", p.text),
        InvalidReason::FutureDate => format!(
            "date {} is in the future; give an observation end to drop later rows",
            p.text
        ),
        InvalidReason::FieldCount => p.text.clone(),
    };
    InvalidExample {
        location,
        column,
        message,
    }
}

pub(crate) fn date_hint(format: Option<&str>) -> String {
    match format {
        Some(f) => format!(" with format {f:?}"),
        None => " (expected YYYY-MM-DD, an ISO timestamp or YYYYMMDD)".into(),
    }
}

pub(crate) fn validator(read: &ReadOptions, opts: &SummaryOptions) -> Result<Validator> {
    let dates = DateParser::new(read.date_format.as_deref()).map_err(DataError::InvalidOptions)?;
    let today = read
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    Ok(Validator {
        dates,
        future_limit: match opts.observation_end {
            Some(_) => None,
            None => Some(to_days(today)),
        },
        skip_invalid: read.skip_invalid,
        keep_zero: opts.zero_amounts == crate::summary::ZeroAmounts::Keep,
    })
}

pub(crate) fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// The hand-written CSV pass over an in-memory file.
pub(crate) fn read_csv_buffer<'a>(
    buf: &'a [u8],
    file: &str,
    read: &ReadOptions,
    v: &Validator,
    threads: usize,
) -> Result<Rows<'a>> {
    let delim = read.delimiter_for(Path::new(file));
    let columns = read.columns();
    let lay = csv::layout(buf, delim, columns).map_err(|e| layout_error(e, file, &columns))?;
    let line_at = |pos: u64| Location::Line {
        file: file.to_string(),
        line: csv::line_of(buf, pos),
    };
    let parts = csv::parse_parallel(buf, &lay, v, threads).map_err(|p| {
        problem_error(
            &p,
            line_at(p.pos),
            &columns,
            &date_hint(read.date_format.as_deref()),
        )
    })?;
    Rows::from_parts(
        read,
        file.to_string(),
        "hand-written CSV reader",
        parts,
        |pos| Ok(line_at(pos)),
    )
}

pub(crate) fn layout_error(e: LayoutError, file: &str, columns: &[&str; 3]) -> DataError {
    match e {
        LayoutError::Empty => DataError::Empty {
            file: file.to_string(),
            message: "empty file (no header and no data)".into(),
        },
        LayoutError::Missing { which, names } => DataError::MissingColumn {
            file: file.to_string(),
            role: ROLES[which],
            column: columns[which].to_string(),
            found: names,
        },
    }
}
