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
    /// `,` is the decimal separator of text amounts and `.` groups thousands
    /// (`1.234,50`). When `false` the decimal comma is still detected when
    /// the first rows settle it (see `rows::decimal_evidence`).
    pub decimal_comma: bool,
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
            decimal_comma: false,
        }
    }
}

impl ReadOptions {
    pub(crate) fn columns(&self) -> [&str; 3] {
        [&self.customer_col, &self.date_col, &self.amount_col]
    }

    /// The delimiter given, or the extension's (`\t` for `.tsv`, `.tab`);
    /// `None` when it is to be sniffed from the header.
    pub(crate) fn delimiter_given(&self, path: &Path) -> Option<u8> {
        self.delimiter.or_else(|| {
            match path
                .extension()
                .and_then(|e| e.to_str())
                .map(|e| e.to_ascii_lowercase())
                .as_deref()
            {
                Some("tsv" | "tab") => Some(b'\t'),
                _ => None,
            }
        })
    }

    /// The delimiter for `path` whose text starts with `head`: given,
    /// from the extension, or sniffed from the header (see [`sniff_delimiter`]).
    /// The flag says whether it was sniffed.
    pub(crate) fn delimiter_in(&self, path: &Path, head: &[u8]) -> (u8, bool) {
        match self.delimiter_given(path) {
            Some(d) => (d, false),
            None => {
                let d = sniff_delimiter(head, self.columns());
                (d, d != b',')
            }
        }
    }
}

/// The delimiters [`sniff_delimiter`] tries, in order of preference.
pub const SNIFFED_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Sniffs the delimiter from the header of `head`: of `,` `;` tab `|`, the
/// one under which all three `wanted` columns are found (the one giving the
/// most fields if several do); if none does, the one that occurs most often
/// in the header line (so the missing-column error shows the real names);
/// `,` when none occurs.
pub(crate) fn sniff_delimiter(head: &[u8], wanted: [&str; 3]) -> u8 {
    let mut best: Option<(u8, usize)> = None;
    for d in SNIFFED_DELIMITERS {
        if let Ok(lay) = csv::layout(head, d, wanted)
            && best.is_none_or(|(_, n)| lay.names.len() > n)
        {
            best = Some((d, lay.names.len()));
        }
    }
    if let Some((d, _)) = best {
        return d;
    }
    let start = csv::bom_len(head);
    let line = &head[start..];
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    SNIFFED_DELIMITERS
        .into_iter()
        .map(|d| (d, memchr::memchr_iter(d, line).count()))
        .filter(|&(_, n)| n > 0)
        .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d == b',')))
        .map_or(b',', |(d, _)| d)
}

/// A hint for a header that seems split on another delimiter: names one
/// found in the column names.
pub(crate) fn delimiter_suggestion(found: &[String]) -> String {
    for d in SNIFFED_DELIMITERS {
        if found.iter().any(|n| n.as_bytes().contains(&d)) {
            let shown = if d == b'\t' {
                "\\t".to_string()
            } else {
                (d as char).to_string()
            };
            return format!(
                "; the header contains {shown:?}: if that is the delimiter, give --delimiter {shown:?}"
            );
        }
    }
    String::new()
}

/// How many data rows of the head (and of the tail) of a file are sampled to
/// settle the date format and the decimal separator.
pub(crate) const SAMPLE_ROWS: usize = 10_000;

/// Settles, from sampled `(date, amount)` texts, what the options leave
/// open: the date format (see [`DateParser::detect`]) and whether amounts use
/// a decimal comma (see `decimal_evidence` in [`crate::rows`]).
pub(crate) fn settle(
    v: &Validator,
    read: &ReadOptions,
    file: &str,
    sample: &[(Vec<u8>, Vec<u8>)],
) -> Result<Validator> {
    let mut v = v.clone();
    if read.date_format.is_none() {
        v.dates = DateParser::detect(sample.iter().map(|(d, _)| d.as_slice())).map_err(|e| {
            DataError::InvalidOptions(format!(
                "{file}: column \"{}\": {}",
                read.date_col, e.message
            ))
        })?;
    }
    if !read.decimal_comma {
        use crate::rows::{DecimalEvidence, decimal_evidence};
        let (mut point, mut comma) = (None, None);
        for (_, a) in sample {
            match decimal_evidence(a.trim_ascii()) {
                DecimalEvidence::Point => point = point.or(Some(a)),
                DecimalEvidence::Comma => comma = comma.or(Some(a)),
                DecimalEvidence::Either => {}
            }
        }
        match (point, comma) {
            (Some(p), Some(c)) => {
                return Err(DataError::InvalidOptions(format!(
                    "{file}: column \"{}\": amounts are written both with a decimal point ({:?}) \
                     and with a decimal comma ({:?}); make them consistent (--decimal-comma \
                     reads ',' as the decimal separator)",
                    read.amount_col,
                    String::from_utf8_lossy(p.trim_ascii()),
                    String::from_utf8_lossy(c.trim_ascii()),
                )));
            }
            (None, Some(_)) => v.decimal_comma = true,
            _ => {}
        }
    }
    Ok(v)
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
        InvalidReason::BadAmount => format!(
            "cannot parse {:?} as a number{}",
            p.text,
            amount_hint(&p.text)
        ),
        InvalidReason::HugeAmount => format!(
            "amount {:?} is infinite or too large (at most {:e} in absolute value); \
             check the amount column",
            p.text,
            crate::rows::MAX_AMOUNT
        ),
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

/// What text amounts may look like, for an amount with a separator in it.
fn amount_hint(text: &str) -> &'static str {
    if text.contains([',', '.']) {
        " (amounts may have a currency symbol and thousands separators in groups of three: \
         1,234.50, or 1.234,50 with --decimal-comma)"
    } else {
        ""
    }
}

/// The hint after an unparseable date, for the parser in use.
pub(crate) fn date_hint_for(dates: &DateParser) -> String {
    match dates.format() {
        Some(f) if dates.is_detected() => format!(
            " with format {f:?} (detected from the first rows; give --date-format if the \
             dates are written otherwise)"
        ),
        f => date_hint(f),
    }
}

pub(crate) fn date_hint(format: Option<&str>) -> String {
    match format {
        Some(f) => format!(" with format {f:?}"),
        None => " (expected YYYY-MM-DD, an ISO timestamp, YYYYMMDD, DD.MM.YYYY, or \
                  DD/MM/YYYY or MM/DD/YYYY when the data settle which; else give --date-format)"
            .into(),
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
        decimal_comma: read.decimal_comma,
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
    let (delim, sniffed) = read.delimiter_in(Path::new(file), buf);
    let columns = read.columns();
    let lay = csv::layout(buf, delim, columns).map_err(|e| layout_error(e, file, &columns))?;
    let sample = csv::sample(buf, lay.data_start, buf.len(), &lay, SAMPLE_ROWS);
    let v = &settle(v, read, file, &sample)?;
    let line_at = |pos: u64| Location::Line {
        file: file.to_string(),
        line: csv::line_of(buf, pos),
    };
    let hint = date_hint_for(&v.dates);
    let parts = csv::parse_parallel(buf, &lay, v, threads)
        .map_err(|p| problem_error(&p, line_at(p.pos), &columns, &hint))?;
    let mut rows = Rows::from_parts(
        read,
        &v.dates,
        file.to_string(),
        "hand-written CSV reader",
        parts,
        |pos| Ok(line_at(pos)),
    )?;
    rows.report.note_settled(delim, sniffed, read, v);
    Ok(rows)
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

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [&str; 3] = ["customer_id", "date", "amount"];

    #[test]
    fn delimiter_is_sniffed_from_the_header() {
        assert_eq!(
            sniff_delimiter(b"customer_id;date;amount\n1;x;2\n", COLS),
            b';'
        );
        assert_eq!(sniff_delimiter(b"customer_id\tdate\tamount\n", COLS), b'\t');
        assert_eq!(sniff_delimiter(b"customer_id|date|amount\n", COLS), b'|');
        assert_eq!(sniff_delimiter(b"customer_id,date,amount\n", COLS), b',');
        // Columns missing under every delimiter: the most frequent one.
        assert_eq!(sniff_delimiter(b"id;day;value\n", COLS), b';');
        assert_eq!(sniff_delimiter(b"nothing\n", COLS), b',');
        // A comma inside names does not beat the delimiter that finds them.
        assert_eq!(
            sniff_delimiter(b"customer_id;date;amount;note,x\n", COLS),
            b';'
        );
    }

    #[test]
    fn a_header_split_on_another_delimiter_suggests_it() {
        let s = delimiter_suggestion(&["customer_id;date;amount".to_string()]);
        assert!(s.contains("--delimiter \";\""), "{s}");
        assert_eq!(delimiter_suggestion(&["a".into(), "b".into()]), "");
    }

    fn settle_on(rows: &[(&str, &str)], read: &ReadOptions) -> Result<Validator> {
        let v = validator(read, &SummaryOptions::default())?;
        let sample: Vec<(Vec<u8>, Vec<u8>)> = rows
            .iter()
            .map(|(d, a)| (d.as_bytes().to_vec(), a.as_bytes().to_vec()))
            .collect();
        settle(&v, read, "t.csv", &sample)
    }

    #[test]
    fn an_unambiguous_amount_settles_the_decimal_comma() {
        let read = ReadOptions::default();
        let v = settle_on(&[("2024-01-01", "1,234"), ("2024-01-02", "12,50")], &read).unwrap();
        assert!(v.decimal_comma);
        let v = settle_on(&[("2024-01-01", "1,234"), ("2024-01-02", "7")], &read).unwrap();
        assert!(
            !v.decimal_comma,
            "1,234 alone settles nothing: the point stays"
        );
        let e = settle_on(
            &[("2024-01-01", "1,234.50"), ("2024-01-02", "1.234,50")],
            &read,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both with a decimal point"), "{e}");
    }

    #[test]
    fn ambiguous_dates_are_an_error_naming_the_column_and_both_formats() {
        let e = settle_on(&[("01/02/2024", "1")], &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv: column \"date\""), "{e}");
        assert!(e.contains("%d/%m/%Y") && e.contains("%m/%d/%Y"), "{e}");
        // A given format is not second-guessed.
        let read = ReadOptions {
            date_format: Some("%d/%m/%Y".into()),
            ..Default::default()
        };
        assert!(settle_on(&[("01/02/2024", "1")], &read).is_ok());
    }
}
