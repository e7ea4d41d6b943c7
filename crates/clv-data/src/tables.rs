//! Reading tables that are already per customer: summaries (`clv fit
//! --summary`) and subscriptions (`clv fit --model sbg --subscriptions`).
//!
//! Both are CSV files with a header (any delimiter given in the options,
//! RFC 4180 quoting); column names are matched exactly, then
//! case-insensitively. A malformed value is an error naming the file, the
//! line (header = line 1) and the column.
//!
//! # Summary files
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `frequency` | yes | `x`, repeat purchases (a non-negative integer); for BG/BB the number of opportunities with a transaction |
//! | `recency` | yes | `t_x`, time of the last repeat purchase since the first (0 when `x = 0`); for BG/BB the last opportunity with a transaction |
//! | `T` | yes | age at the end of calibration; for BG/BB the number of opportunities |
//! | `weight` | no | how many identical customers the row stands for (default 1) |
//! | `customer_id` | no | an id carried into predictions (default: the 1-based row number) |
//! | `monetary_value` | no | mean value of the repeat purchases (for the spend model) |
//!
//! # Subscription files
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `customer_id` | yes | the subscriber |
//! | `duration` | yes | whole periods the subscriber stayed (an integer >= 1) |
//! | `churned` | yes | `true`/`false` (also `1`/`0`, `yes`/`no`): churned at the end of `duration`, or still active |
//! | `cohort` | no | a cohort name; each cohort is fitted on its own |

use std::borrow::Cow;
use std::path::Path;

use crate::error::{DataError, Location, Result};

/// A per-customer summary read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryTable {
    /// Customer ids (row numbers when the file has no `customer_id` column).
    pub customer_ids: Vec<String>,
    /// `x` per row.
    pub frequency: Vec<f64>,
    /// `t_x` per row.
    pub recency: Vec<f64>,
    /// `T` per row.
    pub age: Vec<f64>,
    /// Weight per row (1 when the file has no `weight` column).
    pub weight: Vec<f64>,
    /// Mean repeat-purchase value per row, when the file has `monetary_value`.
    pub monetary_value: Option<Vec<f64>>,
}

/// Subscribers read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionTable {
    /// Subscriber ids.
    pub customer_ids: Vec<String>,
    /// Whole periods stayed (>= 1).
    pub duration: Vec<u32>,
    /// Whether the subscriber churned at the end of `duration`.
    pub churned: Vec<bool>,
    /// Cohort per subscriber, when the file has a `cohort` column.
    pub cohort: Option<Vec<String>>,
}

/// A CSV file with a header, read record by record with the `csv` crate
/// (RFC 4180 quoting, a UTF-8 BOM and blank lines skipped): the header's
/// names, trimmed of ASCII whitespace, and the records with their 1-based
/// lines. Shared by the small-table readers (here and in
/// [`crate::attributes`]).
pub(crate) struct CsvRecords {
    /// The file's name as given.
    pub name: String,
    /// The header's names.
    pub names: Vec<String>,
    path: std::path::PathBuf,
    reader: ::csv::Reader<std::fs::File>,
}

impl CsvRecords {
    /// Opens `path` and reads its header; a file without one is
    /// [`DataError::Empty`] with `empty` as the message.
    pub fn open(path: &Path, delimiter: u8, empty: &str) -> Result<Self> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(file);
        let header = reader.byte_headers().map_err(|e| csv_error(path, e))?;
        if header.is_empty() {
            return Err(DataError::Empty {
                file: name,
                message: empty.into(),
            });
        }
        let names = header
            .iter()
            .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
            .collect();
        Ok(CsvRecords {
            name,
            names,
            path: path.to_path_buf(),
            reader,
        })
    }

    /// Calls `f(line, record)` for every record that is not blank (one empty
    /// field); a record whose number of fields differs from the header's is
    /// an error at its line, `mismatch(fields, header)` its message. Returns
    /// the number of records.
    pub fn for_each(
        &mut self,
        mismatch: impl Fn(usize, usize) -> String,
        mut f: impl FnMut(u64, &::csv::ByteRecord) -> Result<()>,
    ) -> Result<usize> {
        let mut record = ::csv::ByteRecord::new();
        let mut records = 0;
        while self
            .reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&self.path, e))?
        {
            if record.len() == 1 && record[0].trim_ascii().is_empty() {
                continue; // blank line
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != self.names.len() {
                return Err(DataError::InvalidRecord {
                    location: Location::Line {
                        file: self.name.clone(),
                        line,
                    },
                    message: mismatch(record.len(), self.names.len()),
                });
            }
            f(line, &record)?;
            records += 1;
        }
        Ok(records)
    }
}

/// A `csv` crate error as an I/O error on `path` (the reader is flexible
/// and reads bytes: reading is all that can fail).
fn csv_error(path: &Path, e: ::csv::Error) -> DataError {
    let source = match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    DataError::io(path, source)
}

/// A header-indexed CSV file: its name and columns, for messages.
struct CsvFile {
    name: String,
    names: Vec<String>,
}

impl CsvFile {
    /// The file's columns, and its records to read.
    fn open(path: &Path, delimiter: u8) -> Result<(Self, CsvRecords)> {
        let records = CsvRecords::open(path, delimiter, "the file is empty (no header)")?;
        let f = CsvFile {
            name: records.name.clone(),
            names: records.names.clone(),
        };
        Ok((f, records))
    }

    fn column(&self, want: &str) -> Option<usize> {
        find_column(&self.names, want)
    }

    fn require(&self, want: &str, role: &'static str) -> Result<usize> {
        require_column(&self.name, &self.names, want, role)
    }

    fn bad(&self, line: u64, col: usize, message: String) -> DataError {
        DataError::InvalidValue {
            location: Location::Line {
                file: self.name.clone(),
                line,
            },
            column: self.names[col].clone(),
            message,
        }
    }

    fn text<'a>(&self, fields: &'a ::csv::ByteRecord, col: usize) -> Cow<'a, str> {
        String::from_utf8_lossy(fields[col].trim_ascii())
    }

    fn number(&self, line: u64, fields: &::csv::ByteRecord, col: usize) -> Result<f64> {
        let t = self.text(fields, col);
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.bad(line, col, format!("cannot parse {t:?} as a finite number"))),
        }
    }
}

/// Calls `f(line, fields)` for every non-blank record of a summary or
/// subscription file, which must have at least one.
fn for_each_record(
    records: &mut CsvRecords,
    f: impl FnMut(u64, &::csv::ByteRecord) -> Result<()>,
) -> Result<usize> {
    let n = records.for_each(
        |found, header| format!("{found} fields, but the header has {header}"),
        f,
    )?;
    if n == 0 {
        return Err(DataError::Empty {
            file: records.name.clone(),
            message: "no data rows after the header".into(),
        });
    }
    Ok(n)
}

/// The index of column `want` among `names`: an exact match, else the one
/// case-insensitive match.
pub(crate) fn find_column(names: &[String], want: &str) -> Option<usize> {
    names.iter().position(|n| n == want).or_else(|| {
        let ci: Vec<usize> = (0..names.len())
            .filter(|&i| names[i].eq_ignore_ascii_case(want))
            .collect();
        (ci.len() == 1).then(|| ci[0])
    })
}

/// The index of column `want` among the `names` of `file` (as
/// [`find_column`]), or the error naming the missing column and its `role`.
pub(crate) fn require_column(
    file: &str,
    names: &[String],
    want: &str,
    role: &'static str,
) -> Result<usize> {
    find_column(names, want).ok_or_else(|| DataError::MissingColumn {
        file: file.to_string(),
        role,
        column: want.to_string(),
        found: names.to_vec(),
    })
}

/// Reads a summary file (see the module docs for its columns).
///
/// Rows are checked as the models need them: `x` a non-negative integer,
/// `0 <= t_x <= T`, `t_x = 0` when `x = 0`, a positive weight and a
/// non-negative monetary value.
///
/// # Errors
///
/// [`DataError::Io`], [`DataError::Empty`], [`DataError::MissingColumn`],
/// [`DataError::InvalidRecord`] (wrong number of fields) and
/// [`DataError::InvalidValue`] naming the line and column.
pub fn read_summary_file(path: &Path, delimiter: Option<u8>) -> Result<SummaryTable> {
    let (f, mut records) = CsvFile::open(path, delimiter.unwrap_or(b','))?;
    let cx = f.require("frequency", "frequency")?;
    let ctx = f.require("recency", "recency")?;
    let ct = f.require("T", "age (T)")?;
    let cw = f.column("weight");
    let cid = f.column("customer_id");
    let cm = f.column("monetary_value");
    let mut t = SummaryTable {
        customer_ids: vec![],
        frequency: vec![],
        recency: vec![],
        age: vec![],
        weight: vec![],
        monetary_value: cm.map(|_| vec![]),
    };
    for_each_record(&mut records, |line, fields| {
        let x = f.number(line, fields, cx)?;
        if x < 0.0 || x.fract() != 0.0 {
            return Err(f.bad(line, cx, format!("must be a non-negative integer, got {x}")));
        }
        let tx = f.number(line, fields, ctx)?;
        let age = f.number(line, fields, ct)?;
        if age < 0.0 {
            return Err(f.bad(line, ct, format!("must be non-negative, got {age}")));
        }
        if tx < 0.0 || tx > age * (1.0 + 1e-12) {
            return Err(f.bad(
                line,
                ctx,
                format!("must satisfy 0 <= recency <= T, got recency {tx} with T {age}"),
            ));
        }
        if x == 0.0 && tx != 0.0 {
            return Err(f.bad(
                line,
                ctx,
                format!("must be 0 when frequency is 0, got {tx}"),
            ));
        }
        let w = match cw {
            Some(c) => {
                let w = f.number(line, fields, c)?;
                if w <= 0.0 {
                    return Err(f.bad(line, c, format!("must be positive, got {w}")));
                }
                w
            }
            None => 1.0,
        };
        if let (Some(c), Some(m)) = (cm, t.monetary_value.as_mut()) {
            let v = f.number(line, fields, c)?;
            if v < 0.0 {
                return Err(f.bad(line, c, format!("must be non-negative, got {v}")));
            }
            m.push(v);
        }
        let id = match cid {
            Some(c) => {
                let id = f.text(fields, c).into_owned();
                if id.is_empty() {
                    return Err(f.bad(line, c, "empty customer id".into()));
                }
                id
            }
            None => (t.frequency.len() + 1).to_string(),
        };
        t.customer_ids.push(id);
        t.frequency.push(x);
        t.recency.push(tx);
        t.age.push(age);
        t.weight.push(w);
        Ok(())
    })?;
    Ok(t)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// Reads a subscription file (see the module docs for its columns).
///
/// # Errors
///
/// As [`read_summary_file`]; a `duration` that is not an integer >= 1 or a
/// `churned` that is not a boolean is an [`DataError::InvalidValue`].
pub fn read_subscription_file(path: &Path, delimiter: Option<u8>) -> Result<SubscriptionTable> {
    let (f, mut records) = CsvFile::open(path, delimiter.unwrap_or(b','))?;
    let cid = f.require("customer_id", "customer")?;
    let cd = f.require("duration", "duration")?;
    let cc = f.require("churned", "churned")?;
    let ccoh = f.column("cohort");
    let mut t = SubscriptionTable {
        customer_ids: vec![],
        duration: vec![],
        churned: vec![],
        cohort: ccoh.map(|_| vec![]),
    };
    for_each_record(&mut records, |line, fields| {
        let id = f.text(fields, cid).into_owned();
        if id.is_empty() {
            return Err(f.bad(line, cid, "empty customer id".into()));
        }
        let d = f.number(line, fields, cd)?;
        if d < 1.0 || d.fract() != 0.0 || d > u32::MAX as f64 {
            return Err(f.bad(
                line,
                cd,
                format!("must be a whole number of periods >= 1, got {d}"),
            ));
        }
        let text = f.text(fields, cc);
        let churned = parse_bool(&text).ok_or_else(|| {
            f.bad(
                line,
                cc,
                format!("cannot parse {text:?} as true/false (or 1/0, yes/no)"),
            )
        })?;
        if let (Some(c), Some(v)) = (ccoh, t.cohort.as_mut()) {
            let name = f.text(fields, c).into_owned();
            if name.is_empty() {
                return Err(f.bad(line, c, "empty cohort name".into()));
            }
            v.push(name);
        }
        t.customer_ids.push(id);
        t.duration.push(d as u32);
        t.churned.push(churned);
        Ok(())
    })?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_a_weighted_summary() {
        let f = file("frequency,recency,T,weight\n0,0,6,3464\n\n1,1,6,1091\n\"2\",4,6,5\n");
        let t = read_summary_file(f.path(), None).unwrap();
        assert_eq!(t.frequency, [0.0, 1.0, 2.0]);
        assert_eq!(t.recency, [0.0, 1.0, 4.0]);
        assert_eq!(t.age, [6.0; 3]);
        assert_eq!(t.weight, [3464.0, 1091.0, 5.0]);
        assert_eq!(t.customer_ids, ["1", "2", "3"]);
        assert!(t.monetary_value.is_none());
    }

    #[test]
    fn summary_errors_name_line_and_column() {
        let f = file("customer_id,frequency,recency,T\na,1,2,3\nb,1,4,3\n");
        let e = read_summary_file(f.path(), None).unwrap_err().to_string();
        assert!(
            e.ends_with(
                ":3: column \"recency\": must satisfy 0 <= recency <= T, got recency 4 with T 3"
            ),
            "{e}"
        );
        let f = file("frequency,recency,T\n1.5,1,3\n");
        let e = read_summary_file(f.path(), None).unwrap_err().to_string();
        assert!(e.contains(":2: column \"frequency\""), "{e}");
        let f = file("frequency,recency\n1,1\n");
        let e = read_summary_file(f.path(), None).unwrap_err().to_string();
        assert!(e.contains("no age (T) column \"T\""), "{e}");
        let f = file("frequency,recency,T\n");
        let e = read_summary_file(f.path(), None).unwrap_err().to_string();
        assert!(e.contains("no data rows"), "{e}");
        let f = file("frequency,recency,T\n1,1\n");
        let e = read_summary_file(f.path(), None).unwrap_err().to_string();
        assert!(e.contains(":2: 2 fields, but the header has 3"), "{e}");
    }

    #[test]
    fn reads_subscriptions() {
        let f = file("customer_id,duration,churned,cohort\n1,1,true,a\n2,7,0,b\n3,2,Yes,a\n");
        let t = read_subscription_file(f.path(), None).unwrap();
        assert_eq!(t.duration, [1, 7, 2]);
        assert_eq!(t.churned, [true, false, true]);
        assert_eq!(t.cohort.unwrap(), ["a", "b", "a"]);
        let f = file("customer_id,duration,churned\n1,0,true\n");
        let e = read_subscription_file(f.path(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2: column \"duration\": must be a whole number"),
            "{e}"
        );
        let f = file("customer_id,duration,churned\n1,3,maybe\n");
        let e = read_subscription_file(f.path(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column \"churned\": cannot parse \"maybe\""),
            "{e}"
        );
    }
}
