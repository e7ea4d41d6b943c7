//! Where purchase rows come from: the [`Source`] trait, the context a source
//! reads in ([`ReadContext`], [`RowWriter`]) and the file source
//! ([`FileSource`]).
//!
//! A source turns its input into [`Rows`]: validated `(customer id, day,
//! amount)` rows, already bucketed by a hash of the customer id so that every
//! aggregation of [`crate::ingest`] runs one bucket per thread, plus the
//! counts of the data-quality report. A file is a source today; a database
//! table or a distributed engine's dataset would be one by pushing its
//! batches through [`RowWriter`]s (one per worker) and naming the place of a
//! bad row with a [`Location`]:
//!
//! ```
//! use clv_data::{Location, ReadContext, Result, Rows, Source};
//!
//! /// Rows as a database driver would hand them over.
//! struct Table(Vec<(String, i32, f64)>);
//!
//! impl Source for Table {
//!     fn name(&self) -> String {
//!         "orders (table)".into()
//!     }
//!
//!     fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>> {
//!         let at = |i: u64| Location::Row { file: self.name(), row: i + 1 };
//!         let mut w = ctx.writer();
//!         for (i, (id, day, amount)) in self.0.iter().enumerate() {
//!             w.push(i as u64, id, Ok(*day), Ok(*amount))
//!                 .map_err(|e| ctx.error(e, at(i as u64)))?;
//!         }
//!         Rows::from_writers(ctx, self.name(), "example table reader", vec![w], |i| Ok(at(i)))
//!     }
//! }
//!
//! # fn main() -> Result<()> {
//! use clv_data::{Aggregations, ReadOptions, SummaryOptions, date::to_days, ingest};
//! let d = to_days(clv_data::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
//! let table = Table(vec![("a".into(), d, 5.0), ("a".into(), d + 7, 3.0), ("b".into(), d, 2.0)]);
//! let options = SummaryOptions {
//!     observation_end: clv_data::NaiveDate::from_ymd_opt(2020, 1, 31),
//!     ..Default::default()
//! };
//! let out = ingest(&table, &ReadOptions::default(), &options, Aggregations::default())?;
//! assert_eq!(out.summary.len(), 2);
//! assert_eq!(out.report.rows_read, 3);
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::csv;
use crate::error::{DataError, Location, Result};
use crate::read::{
    CsvReader, InputFormat, ReadOptions, SAMPLE_ROWS, date_hint_for, example, file_name,
    layout_error, problem_error, read_csv_buffer, settle, validator,
};
use crate::report::DataReport;
use crate::rows::{Checked, Part, PartBuilder, Problem, ReadStats, Validator, partitions};
use crate::summary::{SummaryOptions, default_threads};

/// A source of purchase rows, read once per [`crate::ingest`].
///
/// An implementation reads its input and pushes every row through the
/// [`RowWriter`]s of the [`ReadContext`] (one per worker; the writers
/// validate, count and bucket the rows), then returns them with
/// [`Rows::from_writers`]. A bad value is reported with the [`Location`] the
/// source knows (a line of a file, a row of a table): a fatal one as the
/// error of [`ReadContext::error`], skipped ones through the `locate`
/// argument of [`Rows::from_writers`].
pub trait Source {
    /// The name used in messages and the report: a file name as given, a
    /// table's name.
    fn name(&self) -> String;

    /// Reads every row once. The rows may borrow from the source (a file
    /// held in memory).
    ///
    /// # Errors
    ///
    /// A [`DataError`] when the input cannot be read, a mapped column is
    /// missing or a value is malformed (unless
    /// [`ReadOptions::skip_invalid`]).
    fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>>;
}

/// What a [`Source`] reads with: the read options, the validation policy
/// (from the read and summary options) and the number of worker threads.
#[derive(Debug)]
pub struct ReadContext<'a> {
    read: &'a ReadOptions,
    pub(crate) validator: Validator,
    threads: usize,
    summary_only: bool,
}

impl<'a> ReadContext<'a> {
    /// The context for reading with `read` towards a summary with `options`.
    pub(crate) fn new(read: &'a ReadOptions, options: &SummaryOptions) -> Result<Self> {
        Ok(ReadContext {
            read,
            validator: validator(read, options)?,
            threads: default_threads(read.threads.or(options.threads)),
            summary_only: false,
        })
    }

    /// Says whether the caller needs only the per-customer summary (no
    /// purchase histories, purchases per day or purchase rows).
    pub(crate) fn with_summary_only(mut self, summary_only: bool) -> Self {
        self.summary_only = summary_only;
        self
    }

    /// Whether only the per-customer summary is built from the rows: a
    /// source may then hand over one row per customer and day with
    /// [`RowWriter::group`] instead of every row.
    pub fn summary_only(&self) -> bool {
        self.summary_only
    }

    /// Days (since 1970-01-01) after this are "in the future", a malformed
    /// row; `None` when an observation end is given.
    pub fn future_limit(&self) -> Option<i32> {
        self.validator.future_limit
    }

    /// Whether rows with a zero amount are purchases.
    pub fn keeps_zero_amounts(&self) -> bool {
        self.validator.keep_zero
    }

    /// The read options (column names, date format, delimiter, ...).
    pub fn options(&self) -> &ReadOptions {
        self.read
    }

    /// How many worker threads to use.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Parses a date written as text (the built-in formats or
    /// [`ReadOptions::date_format`]) to days since 1970-01-01.
    pub fn parse_date(&self, text: &[u8]) -> Option<i32> {
        self.validator.dates.parse(text)
    }

    /// A writer for one worker's rows.
    pub fn writer(&self) -> RowWriter<'_> {
        RowWriter {
            builder: PartBuilder::new(&[], partitions(self.threads)),
            validator: &self.validator,
        }
    }

    /// The error for a fatal bad row at `location`, naming the column as the
    /// file readers do (`orders:17: column "amount": cannot parse ...`).
    pub fn error(&self, e: RowError, location: Location) -> DataError {
        problem_error(&e.0, location, &self.read.columns(), &self.hint())
    }

    fn hint(&self) -> String {
        date_hint_for(&self.validator.dates)
    }
}

/// A malformed row that stops the read (see [`ReadContext::error`]).
pub struct RowError(Problem);

impl fmt::Debug for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowError({:?} at {})", self.0.reason, self.0.pos)
    }
}

/// Validates, counts and buckets one worker's rows (see [`ReadContext::writer`]).
pub struct RowWriter<'c> {
    builder: PartBuilder<'static>,
    validator: &'c Validator,
}

impl RowWriter<'_> {
    /// Adds one row. `pos` is the row's place in the source (a row index, a
    /// byte offset), handed back to `locate` of [`Rows::from_writers`] for
    /// skipped rows. The date is days since 1970-01-01, or the text that
    /// could not be parsed; the amount likewise (a non-finite amount is
    /// malformed). Ids are trimmed of surrounding ASCII whitespace.
    ///
    /// # Errors
    ///
    /// A malformed row when skipping is not allowed
    /// ([`ReadOptions::skip_invalid`]); [`ReadContext::error`] turns it into
    /// the error to return.
    pub fn push(
        &mut self,
        pos: u64,
        id: &str,
        day: std::result::Result<i32, &str>,
        amount: std::result::Result<f64, &str>,
    ) -> std::result::Result<(), RowError> {
        let amount_value = amount.ok().filter(|a| !a.is_nan()).map(|a| (a, 0));
        let checked = self.builder.row(
            self.validator,
            pos,
            id.as_bytes(),
            false,
            day.ok(),
            &|| day.err().unwrap_or_default().to_string(),
            amount_value,
            &|| match amount {
                Ok(a) => a.to_string(),
                Err(t) => t.to_string(),
            },
        );
        match checked {
            Checked::Fatal(p) => Err(RowError(p)),
            Checked::Ok | Checked::Skipped => Ok(()),
        }
    }

    /// Adds one row whose amount is text (`None`: missing), parsed as the
    /// file readers parse amounts: decimal comma when asked, currency
    /// symbols and thousands separators stripped and counted.
    ///
    /// # Errors
    ///
    /// As [`RowWriter::push`].
    pub fn push_text_amount(
        &mut self,
        pos: u64,
        id: &str,
        day: std::result::Result<i32, &str>,
        amount: Option<&str>,
    ) -> std::result::Result<(), RowError> {
        let text = amount.unwrap_or_default();
        let parsed = self.validator.amount(text.as_bytes());
        let checked = self.builder.row(
            self.validator,
            pos,
            id.as_bytes(),
            false,
            day.ok(),
            &|| day.err().unwrap_or_default().to_string(),
            parsed,
            &|| text.to_string(),
        );
        match checked {
            Checked::Fatal(p) => Err(RowError(p)),
            Checked::Ok | Checked::Skipped => Ok(()),
        }
    }

    /// Adds the rows of one customer and day that the source has already
    /// validated and aggregated (a database's `GROUP BY customer, day`):
    /// `rows` rows in all, `negative` of them negative (summing to
    /// `negative_total`), `zero` of them zero, and `kept` kept rows (positive
    /// amounts, and zero ones when [`ReadContext::keeps_zero_amounts`])
    /// whose amounts sum to `kept_total` **in ascending order** (SQL
    /// `sum(amount ORDER BY amount)`), which is how the summary sums one
    /// customer's amounts of one day; the summary is then the same as from
    /// the rows one by one. Only valid when [`ReadContext::summary_only`].
    /// `id` is trimmed of ASCII whitespace and must not be empty.
    #[allow(clippy::too_many_arguments)]
    pub fn group(
        &mut self,
        id: &str,
        day: i32,
        rows: u64,
        negative: u64,
        negative_total: f64,
        zero: u64,
        kept: u32,
        kept_total: f64,
    ) {
        self.builder.group(
            id.trim_ascii().as_bytes(),
            day,
            rows,
            negative,
            negative_total,
            zero,
            kept,
            // Rust's sums start at +0.0; a database's at its first value.
            0.0 + kept_total,
        );
    }
}

/// Validated rows of one read, with the counts of the data-quality report.
#[derive(Debug)]
pub struct Rows<'s> {
    pub(crate) parts: Vec<Part<'s>>,
    pub(crate) stats: ReadStats,
    pub(crate) report: DataReport,
}

impl Rows<'static> {
    /// The rows of `writers`, for the report of source `name` read by
    /// `reader` (such as `"PostgreSQL reader"`); `locate` turns the position
    /// of a skipped row (see [`RowWriter::push`]) into its place.
    ///
    /// # Errors
    ///
    /// The error of `locate`.
    pub fn from_writers(
        ctx: &ReadContext<'_>,
        name: String,
        reader: &'static str,
        writers: Vec<RowWriter<'_>>,
        locate: impl FnMut(u64) -> Result<Location>,
    ) -> Result<Self> {
        let parts = writers.into_iter().map(|w| w.builder.finish()).collect();
        Rows::from_parts(ctx.read, &ctx.validator.dates, name, reader, parts, locate)
    }
}

impl<'s> Rows<'s> {
    /// Merges the parts' counts and lists the first skipped rows.
    pub(crate) fn from_parts(
        read: &ReadOptions,
        dates: &crate::date::DateParser,
        name: String,
        reader: &'static str,
        parts: Vec<Part<'s>>,
        mut locate: impl FnMut(u64) -> Result<Location>,
    ) -> Result<Self> {
        let mut stats = ReadStats::new();
        for p in &parts {
            stats.merge(&p.stats);
        }
        let mut report = DataReport::new(name, reader);
        let columns = read.columns();
        let hint = date_hint_for(dates);
        for p in stats.problems.iter().take(crate::rows::KEEP_PROBLEMS) {
            report
                .invalid_examples
                .push(example(p, locate(p.pos)?, &columns, &hint));
        }
        Ok(Rows {
            parts,
            stats,
            report,
        })
    }
}

/// A transaction file: CSV, Parquet or JSON, by [`ReadOptions::format`] or
/// the file extension.
///
/// CSV is read by the reader of [`ReadOptions::csv_reader`]: by default the
/// hand-written parallel pass, which streams the file in blocks and reads it
/// whole only when it has quotes (the buffer is then kept by the source, as
/// the rows borrow from it); Parquet, JSON and CSV on request by DataFusion.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    whole: OnceLock<Vec<u8>>,
}

/// The reader that runs for a file.
enum FileReader {
    HandWrittenCsv,
    DataFusion(InputFormat),
}

impl FileSource {
    /// The file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSource {
            path: path.into(),
            whole: OnceLock::new(),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one place where a file's format and reader are chosen.
    fn reader(&self, read: &ReadOptions) -> Result<FileReader> {
        let format = match read.format {
            Some(f) => f,
            None => InputFormat::from_path(&self.path)?,
        };
        Ok(match (format, read.csv_reader) {
            (InputFormat::Csv, CsvReader::Auto | CsvReader::HandWritten) => {
                FileReader::HandWrittenCsv
            }
            (f, _) => FileReader::DataFusion(f),
        })
    }

    /// The whole file, read once and kept.
    fn whole(&self, threads: usize) -> Result<&[u8]> {
        if self.whole.get().is_none() {
            let buf = read_file(&self.path, threads)?;
            let _ = self.whole.set(buf);
        }
        Ok(self.whole.get().expect("just set"))
    }
}

impl Source for FileSource {
    fn name(&self) -> String {
        file_name(&self.path)
    }

    fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>> {
        if self.path.is_dir() {
            return Err(DataError::InvalidOptions(format!(
                "{}: is a directory, not a file of transactions",
                self.path.display()
            )));
        }
        match self.reader(ctx.read)? {
            FileReader::HandWrittenCsv => {
                if let Some(rows) = stream_csv(&self.path, ctx)? {
                    return Ok(rows);
                }
                // Quoted fields: read the whole file and split at record boundaries.
                let buf = self.whole(ctx.threads)?;
                read_csv_buffer(buf, &self.name(), ctx.read, &ctx.validator, ctx.threads)
            }
            FileReader::DataFusion(format) => crate::engine::read_with_datafusion(
                &self.path,
                format,
                ctx.read,
                &ctx.validator,
                ctx.threads,
            )
            .map(|(parts, stats, report)| Rows {
                parts,
                stats,
                report,
            }),
        }
    }
}

/// The hand-written streaming pass; `None` when the file has quotes (the
/// caller then reads it whole).
fn stream_csv(path: &Path, ctx: &ReadContext<'_>) -> Result<Option<Rows<'static>>> {
    let file = file_name(path);
    let columns = ctx.read.columns();
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let len = f.metadata().map_err(|e| DataError::io(path, e))?.len();
    let mut head = vec![0u8; (len as usize).min(1 << 20)];
    read_exact_at(&f, &mut head, 0).map_err(|e| DataError::io(path, e))?;
    if memchr::memchr(b'\n', &head).is_none() && (head.len() as u64) < len {
        return Ok(None); // a header over 1 MiB: let the whole-file path cope
    }
    let (delim, sniffed) = ctx.read.delimiter_in(path, &head);
    let lay = csv::layout(&head, delim, columns).map_err(|e| layout_error(e, &file, &columns))?;
    if memchr::memchr(b'"', &head[lay.data_start.min(head.len())..]).is_some() {
        return Ok(None);
    }
    // The sample that settles dates and decimals: the first rows, and the
    // last ones (sorted files change most between the two ends).
    let mut sample = csv::sample(&head, lay.data_start, head.len(), &lay, SAMPLE_ROWS);
    if len > head.len() as u64 {
        let from = len.saturating_sub(1 << 20).max(head.len() as u64);
        let mut tail = vec![0u8; (len - from) as usize];
        read_exact_at(&f, &mut tail, from).map_err(|e| DataError::io(path, e))?;
        if memchr::memchr(b'"', &tail).is_some() {
            return Ok(None);
        }
        if let Some(nl) = memchr::memchr(b'\n', &tail) {
            sample.extend(csv::sample(&tail, nl + 1, tail.len(), &lay, SAMPLE_ROWS));
        }
    }
    let v = &settle(&ctx.validator, ctx.read, &file, &sample)?;
    let hint = date_hint_for(&v.dates);
    // Line numbers need the text before each problem: read on the error path only.
    let mut text: Option<Vec<u8>> = None;
    let mut line_at = |pos: u64| -> Result<Location> {
        if text.is_none() {
            text = Some(std::fs::read(path).map_err(|e| DataError::io(path, e))?);
        }
        Ok(Location::Line {
            file: file.clone(),
            line: csv::line_of(text.as_deref().expect("read"), pos),
        })
    };
    let parts = match csv::parse_streaming(&f, len, &lay, v, ctx.threads) {
        Ok(parts) => parts,
        Err(csv::StreamError::Quotes) => return Ok(None),
        Err(csv::StreamError::Io(e)) => return Err(DataError::io(path, e)),
        Err(csv::StreamError::Problem(p)) => {
            return Err(problem_error(&p, line_at(p.pos)?, &columns, &hint));
        }
    };
    let mut rows = Rows::from_parts(
        ctx.read,
        &v.dates,
        file.clone(),
        "hand-written CSV reader",
        parts,
        line_at,
    )?;
    rows.report.note_settled(delim, sniffed, ctx.read, v);
    Ok(Some(rows))
}

/// Reads up to `buf.len()` bytes at offset `off` (fewer at the end of the
/// file), without moving a shared cursor on Unix (`pread`); elsewhere with a
/// seek and a read under a process-wide lock.
pub(crate) fn read_at(f: &std::fs::File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match read_once_at(f, &mut buf[got..], off + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(unix)]
fn read_once_at(f: &std::fs::File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    f.read_at(buf, off)
}

#[cfg(not(unix))]
fn read_once_at(f: &std::fs::File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    // Threads share the file's cursor: one seek-and-read at a time.
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut f = f;
    f.seek(SeekFrom::Start(off))?;
    f.read(buf)
}

/// Fills `buf` from offset `off`; an error if the file ends first.
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], off: u64) -> std::io::Result<()> {
    if read_at(f, buf, off)? < buf.len() {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
    }
    Ok(())
}

/// Reads a whole file, with `threads` threads reading disjoint ranges.
fn read_file(path: &Path, threads: usize) -> Result<Vec<u8>> {
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
                sc.spawn(move || read_exact_at(f, chunk, (k * per) as u64))
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
