//! Reading transaction files: options, format detection and the entry point
//! [`summarize_file`].

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::csv::{self, LayoutError};
use crate::date::{DateParser, to_days};
use crate::error::{DataError, Location, Result};
use crate::report::{DataReport, InvalidExample};
use crate::rows::{Col, InvalidReason, Part, Problem, ReadStats, Validator};
use crate::summary::{self, Summary, SummaryOptions};

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

/// Reads a transaction file and builds the per-customer summary and the
/// data-quality report.
///
/// The format comes from [`ReadOptions::format`] or the file extension.
/// CSV is read by the reader chosen in [`ReadOptions::csv_reader`]
/// (the hand-written parallel pass by default); Parquet and JSON by DataFusion.
pub fn summarize_file(
    path: &Path,
    read: &ReadOptions,
    options: &SummaryOptions,
) -> Result<(Summary, DataReport)> {
    let format = match read.format {
        Some(f) => f,
        None => InputFormat::from_path(path)?,
    };
    let threads = summary::default_threads(read.threads.or(options.threads));
    let v = validator(read, options)?;
    match (format, read.csv_reader) {
        (InputFormat::Csv, CsvReader::Auto | CsvReader::HandWritten) => {
            if let Some(r) = summarize_csv_streaming(path, read, options, &v, threads)? {
                return Ok(r);
            }
            // Quoted fields: read the whole file and split at record boundaries.
            let buf = read_file(path, threads)?;
            let (parts, stats, mut report) =
                read_csv_buffer(&buf, &file_name(path), read, &v, threads)?;
            let s = summary::build(parts, &stats, options, threads, &mut report)?;
            Ok((s, report))
        }
        _ => {
            let (parts, stats, mut report) =
                crate::engine::read_with_datafusion(path, format, read, &v, threads)?;
            let s = summary::build(parts, &stats, options, threads, &mut report)?;
            Ok((s, report))
        }
    }
}

/// The hand-written streaming pass; `None` when the file has quotes (the
/// caller then reads it whole).
fn summarize_csv_streaming(
    path: &Path,
    read: &ReadOptions,
    options: &SummaryOptions,
    v: &Validator,
    threads: usize,
) -> Result<Option<(Summary, DataReport)>> {
    let file = file_name(path);
    let columns = read.columns();
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let len = f.metadata().map_err(|e| DataError::io(path, e))?.len();
    let mut head = vec![0u8; (len as usize).min(1 << 20)];
    {
        use std::os::unix::fs::FileExt;
        f.read_exact_at(&mut head, 0)
            .map_err(|e| DataError::io(path, e))?;
    }
    if memchr::memchr(b'\n', &head).is_none() && (head.len() as u64) < len {
        return Ok(None); // a header over 1 MiB: let the whole-file path cope
    }
    let delim = read.delimiter_for(path);
    let lay = csv::layout(&head, delim, columns).map_err(|e| layout_error(e, &file, &columns))?;
    if memchr::memchr(b'"', &head[lay.data_start.min(head.len())..]).is_some() {
        return Ok(None);
    }
    let hint = date_hint(read.date_format.as_deref());
    let parts = match csv::parse_streaming(&f, len, &lay, v, threads) {
        Ok(parts) => parts,
        Err(csv::StreamError::Quotes) => return Ok(None),
        Err(csv::StreamError::Io(e)) => return Err(DataError::io(path, e)),
        Err(csv::StreamError::Problem(p)) => {
            let buf = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
            return Err(problem_error(
                &p,
                Location::Line {
                    file,
                    line: csv::line_of(&buf, p.pos),
                },
                &columns,
                &hint,
            ));
        }
    };
    let mut stats = ReadStats::new();
    for p in &parts {
        stats.merge(&p.stats);
    }
    let mut report = DataReport::new(file.clone(), "hand-written CSV reader");
    if !stats.problems.is_empty() {
        // Error path only: line numbers need the text before each problem.
        let buf = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        report.invalid_examples = stats
            .problems
            .iter()
            .take(crate::rows::KEEP_PROBLEMS)
            .map(|p| {
                example(
                    p,
                    Location::Line {
                        file: file.clone(),
                        line: csv::line_of(&buf, p.pos),
                    },
                    &columns,
                    &hint,
                )
            })
            .collect();
    }
    let s = summary::build(parts, &stats, options, threads, &mut report)?;
    Ok(Some((s, report)))
}

/// Reads a whole file, with `threads` threads reading disjoint ranges.
fn read_file(path: &Path, threads: usize) -> Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let len = f.metadata().map_err(|e| DataError::io(path, e))?.len() as usize;
    if threads <= 1 || len < (1 << 22) {
        return std::fs::read(path).map_err(|e| DataError::io(path, e));
    }
    let mut buf = vec![0u8; len];
    let per = len.div_ceil(threads);
    let results: Vec<std::io::Result<()>> = std::thread::scope(|sc| {
        let hs: Vec<_> = buf
            .chunks_mut(per)
            .enumerate()
            .map(|(k, chunk)| {
                let f = &f;
                sc.spawn(move || f.read_exact_at(chunk, (k * per) as u64))
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("reading thread panicked"))
            .collect()
    });
    for r in results {
        r.map_err(|e| DataError::io(path, e))?;
    }
    Ok(buf)
}

/// The hand-written CSV pass over an in-memory file.
pub(crate) fn read_csv_buffer<'a>(
    buf: &'a [u8],
    file: &str,
    read: &ReadOptions,
    v: &Validator,
    threads: usize,
) -> Result<(Vec<Part<'a>>, ReadStats, DataReport)> {
    let delim = read.delimiter_for(Path::new(file));
    let columns = read.columns();
    let lay = csv::layout(buf, delim, columns).map_err(|e| layout_error(e, file, &columns))?;
    let hint = date_hint(read.date_format.as_deref());
    let parts = csv::parse_parallel(buf, &lay, v, threads).map_err(|p| {
        problem_error(
            &p,
            Location::Line {
                file: file.to_string(),
                line: csv::line_of(buf, p.pos),
            },
            &columns,
            &hint,
        )
    })?;
    let mut stats = ReadStats::new();
    for p in &parts {
        stats.merge(&p.stats);
    }
    let mut report = DataReport::new(file, "hand-written CSV reader");
    report.invalid_examples = stats
        .problems
        .iter()
        .take(crate::rows::KEEP_PROBLEMS)
        .map(|p| {
            example(
                p,
                Location::Line {
                    file: file.to_string(),
                    line: csv::line_of(buf, p.pos),
                },
                &columns,
                &hint,
            )
        })
        .collect();
    Ok((parts, stats, report))
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
