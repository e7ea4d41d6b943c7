//! Output tables: named string and `f64` columns, written as CSV, JSON or
//! Parquet, to standard output or atomically to a file.
//!
//! Floats are written with the shortest text that reads back to the same
//! `f64` (round-trip precision, via `ryu`). Non-finite values are written as
//! `NaN`, `inf`, `-inf` in CSV and as `null` in JSON. JSON output is one
//! array of objects, one object per line: valid JSON for any parser, and
//! still easy to stream line by line.

use std::fmt;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use crate::error::{DataError, Result};

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text (an Arrow string array).
    Str(StringArray),
    /// Numbers.
    F64(Vec<f64>),
    /// Numbers that may be missing (`None`): an empty CSV field, `null`
    /// in JSON and Parquet.
    OptF64(Vec<Option<f64>>),
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::Str(a) => datafusion::arrow::array::Array::len(a),
            Column::F64(v) => v.len(),
            Column::OptF64(v) => v.len(),
        }
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table of named columns, built fluently:
///
/// ```
/// use clv_data::Table;
/// let t = Table::new()
///     .with_str("customer_id", vec!["a".into(), "b".into()])
///     .with_f64("clv", vec![12.5, 0.1]);
/// assert_eq!(t.num_rows(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// Appends a text column from an Arrow string array.
    pub fn with_strings(mut self, name: impl Into<String>, values: StringArray) -> Self {
        self.names.push(name.into());
        self.columns.push(Column::Str(values));
        self
    }

    /// Appends a text column.
    pub fn with_str(self, name: impl Into<String>, values: Vec<String>) -> Self {
        self.with_strings(name, StringArray::from(values))
    }

    /// Appends a numeric column.
    pub fn with_f64(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.names.push(name.into());
        self.columns.push(Column::F64(values));
        self
    }

    /// Appends a numeric column whose values may be missing (`None`).
    pub fn with_opt_f64(mut self, name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        self.names.push(name.into());
        self.columns.push(Column::OptF64(values));
        self
    }

    /// Number of rows (that of the first column; 0 without columns).
    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// Column names in order.
    pub fn column_names(&self) -> &[String] {
        &self.names
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// Checks that every column has the same length and names are unique.
    pub fn validate(&self) -> Result<()> {
        let n = self.num_rows();
        for (name, c) in self.names.iter().zip(&self.columns) {
            if c.len() != n {
                return Err(DataError::InvalidOptions(format!(
                    "table column {name:?} has {} rows, expected {n}",
                    c.len()
                )));
            }
        }
        for (i, a) in self.names.iter().enumerate() {
            if self.names[..i].contains(a) {
                return Err(DataError::InvalidOptions(format!(
                    "table column {a:?} appears twice"
                )));
            }
        }
        Ok(())
    }

    /// The table as an Arrow record batch (`Utf8` and `Float64` columns).
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        self.validate()?;
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&self.columns)
            .map(|(n, c)| {
                let dt = match c {
                    Column::Str(_) => DataType::Utf8,
                    Column::F64(_) | Column::OptF64(_) => DataType::Float64,
                };
                Field::new(n, dt, !matches!(c, Column::F64(_)))
            })
            .collect();
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|c| -> ArrayRef {
                match c {
                    Column::Str(a) => Arc::new(a.clone()),
                    Column::F64(v) => Arc::new(Float64Array::from(v.clone())),
                    Column::OptF64(v) => Arc::new(Float64Array::from(v.clone())),
                }
            })
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| DataError::engine("building the output table", e))
    }
}

/// Output formats of [`write_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputFormat {
    /// Comma-separated values with a header row.
    #[default]
    Csv,
    /// A JSON array of objects, one object per line.
    Json,
    /// Apache Parquet (Snappy-compressed; files only).
    Parquet,
}

impl OutputFormat {
    /// The format for a file name's extension (`.json`, `.parquet`/`.pq`;
    /// anything else is CSV).
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("json") => OutputFormat::Json,
            Some("parquet" | "pq") => OutputFormat::Parquet,
            _ => OutputFormat::Csv,
        }
    }
}

impl FromStr for OutputFormat {
    type Err = DataError;

    /// Accepts `csv`, `json`, `parquet` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            "parquet" | "pq" => Ok(OutputFormat::Parquet),
            _ => Err(DataError::InvalidOptions(format!(
                "unknown output format {s:?}; use csv, json or parquet"
            ))),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
        })
    }
}

/// Writes `table` to `path` (atomically: a temporary file in the same
/// directory, renamed over `path` once complete; on error nothing is left
/// behind and an existing file is untouched) or, with `None`, to standard
/// output. Parquet to standard output is refused.
pub fn write_table(table: &Table, path: Option<&Path>, format: OutputFormat) -> Result<()> {
    table.validate()?;
    match path {
        None => {
            if format == OutputFormat::Parquet {
                return Err(DataError::InvalidOptions(
                    "refusing to write Parquet to standard output; give an output file".into(),
                ));
            }
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
            write_text(table, &mut w, format == OutputFormat::Json)
                .and_then(|()| w.flush())
                .map_err(|e| DataError::io("<stdout>", e))
        }
        Some(path) => write_file_atomically(path, |w| {
            write_table_to(table, w, format).map_err(|e| match e {
                DataError::Io { source, .. } => DataError::io(path, source),
                e => e,
            })
        }),
    }
}

/// Writes a file atomically: `write` fills a temporary file in the same
/// directory, which is renamed over `path` only when `write` and the final
/// flush succeed. On failure the temporary file is removed and an existing
/// `path` is untouched; an input file is never half-overwritten. An existing
/// file's permissions are kept; a new file gets `0o666` less the umask, as
/// with a plain create. Every writer of `clv` goes through here.
///
/// # Errors
///
/// `write`'s own error, or a [`DataError::Io`] naming the directory (the
/// temporary file could not be created) or `path` (flushing or renaming
/// failed).
pub fn write_file_atomically<E: From<DataError>>(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    stage_file(path, write)?.commit().map_err(E::from)
}

/// A file written in full to a temporary file beside its final path, not yet
/// in place: [`StagedFile::commit`] renames it over the path; dropping it
/// removes the temporary file and leaves the path untouched. Several staged
/// files committed together make the outputs of one run appear as a set.
#[derive(Debug)]
pub struct StagedFile {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl StagedFile {
    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the file in place (one rename within its directory).
    ///
    /// # Errors
    ///
    /// A [`DataError::Io`] naming the path when the rename fails.
    pub fn commit(self) -> std::result::Result<(), DataError> {
        let StagedFile { tmp, path } = self;
        tmp.persist(&path)
            .map_err(|e| DataError::io(&path, e.error))?;
        Ok(())
    }
}

/// Writes `path`'s content to a temporary file in the same directory and
/// returns it staged (see [`StagedFile`]); [`write_file_atomically`] is this
/// followed by [`StagedFile::commit`]. An existing file's permissions are
/// kept; a new file gets `0o666` less the umask.
///
/// # Errors
///
/// As [`write_file_atomically`], except that nothing is renamed yet.
pub fn stage_file<E: From<DataError>>(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::result::Result<(), E>,
) -> std::result::Result<StagedFile, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    let perms = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o666)
        });
    #[cfg(unix)]
    builder.permissions(perms);
    let tmp = builder
        .tempfile_in(dir)
        .map_err(|e| E::from(DataError::io(dir, e)))?;
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file());
        write(&mut w)?;
        w.flush().map_err(|e| E::from(DataError::io(path, e)))?;
    }
    Ok(StagedFile {
        tmp,
        path: path.to_path_buf(),
    })
}

/// Writes `table` to any writer (CSV, JSON or Parquet).
pub fn write_table_to<W: Write + Send + ?Sized>(
    table: &Table,
    w: &mut W,
    format: OutputFormat,
) -> Result<()> {
    table.validate()?;
    let io = |e: std::io::Error| DataError::io("<output>", e);
    match format {
        OutputFormat::Csv => write_text(table, w, false).map_err(io),
        OutputFormat::Json => write_text(table, w, true).map_err(io),
        OutputFormat::Parquet => {
            let batch = table.to_record_batch()?;
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let mut writer = ArrowWriter::try_new(w, batch.schema(), Some(props))
                .map_err(|e| DataError::engine("writing Parquet", e))?;
            writer
                .write(&batch)
                .map_err(|e| DataError::engine("writing Parquet", e))?;
            writer
                .close()
                .map_err(|e| DataError::engine("writing Parquet", e))?;
            Ok(())
        }
    }
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn json_string(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires.
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

fn number(out: &mut Vec<u8>, v: f64, json: bool, buf: &mut ryu::Buffer) {
    // Whole numbers (frequencies, zero recencies and values) are common:
    // write them without the general shortest-representation search, in
    // ryu's own form ("2.0").
    if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        let mut digits = [0u8; 20];
        let mut n = v.abs() as u64;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0.0 {
            out.push(b'-');
        }
        out.extend_from_slice(&digits[i..]);
        out.extend_from_slice(b".0");
    } else if v.is_finite() {
        out.extend_from_slice(buf.format_finite(v).as_bytes());
    } else if json {
        out.extend_from_slice(b"null");
    } else if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v > 0.0 {
        out.extend_from_slice(b"inf");
    } else {
        out.extend_from_slice(b"-inf");
    }
}

/// Formats rows `[a, b)` into `out`.
fn format_rows(table: &Table, keys: &[Vec<u8>], a: usize, b: usize, json: bool, out: &mut Vec<u8>) {
    let mut rb = ryu::Buffer::new();
    for r in a..b {
        if json {
            out.push(b'{');
        }
        for (k, c) in table.columns.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            if json {
                out.extend_from_slice(&keys[k]);
            }
            match c {
                Column::Str(s) => {
                    use datafusion::arrow::array::Array;
                    if s.is_null(r) {
                        if json {
                            out.extend_from_slice(b"null");
                        }
                    } else if json {
                        json_string(out, s.value(r));
                    } else {
                        csv_field(out, s.value(r));
                    }
                }
                Column::F64(v) => number(out, v[r], json, &mut rb),
                Column::OptF64(v) => match v[r] {
                    Some(x) => number(out, x, json, &mut rb),
                    None if json => out.extend_from_slice(b"null"),
                    None => {}
                },
            }
        }
        if json {
            out.push(b'}');
            if r + 1 < table.num_rows() {
                out.push(b',');
            }
        }
        out.push(b'\n');
    }
}

/// Rows are formatted in blocks on several threads and written in order.
fn write_text<W: Write + ?Sized>(table: &Table, w: &mut W, json: bool) -> std::io::Result<()> {
    let keys: Vec<Vec<u8>> = table
        .names
        .iter()
        .map(|n| {
            let mut k = Vec::new();
            json_string(&mut k, n);
            k.push(b':');
            k
        })
        .collect();
    if json {
        w.write_all(b"[\n")?;
    } else {
        let mut head = Vec::new();
        for (i, n) in table.names.iter().enumerate() {
            if i > 0 {
                head.push(b',');
            }
            csv_field(&mut head, n);
        }
        head.push(b'\n');
        w.write_all(&head)?;
    }
    let n = table.num_rows();
    // Blocks of rows are formatted on worker threads (taking block numbers
    // from a shared counter) while this thread writes finished blocks in
    // order; buffers go back to the workers, so the output is formatted into
    // a handful of reused buffers (no fresh pages per block).
    const BLOCK: usize = 16 * 1024;
    let blocks = n.div_ceil(BLOCK);
    let threads = crate::summary::default_threads(None).clamp(1, blocks.max(1));
    if threads <= 1 || blocks <= 1 {
        let mut out = Vec::with_capacity(BLOCK.min(n) * 64);
        for b in 0..blocks {
            out.clear();
            format_rows(
                table,
                &keys,
                b * BLOCK,
                ((b + 1) * BLOCK).min(n),
                json,
                &mut out,
            );
            w.write_all(&out)?;
        }
    } else {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc;
        let next = AtomicUsize::new(0);
        let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<u8>)>();
        let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
        let pool_rx = std::sync::Mutex::new(pool_rx);
        // At most this many blocks are formatted ahead of the writer.
        let ahead = 2 * threads + 2;
        for _ in 0..ahead {
            pool_tx
                .send(Vec::with_capacity(BLOCK * 64))
                .expect("pool open");
        }
        std::thread::scope(|sc| -> std::io::Result<()> {
            for _ in 0..threads {
                let (next, done_tx, pool_rx, keys) = (&next, done_tx.clone(), &pool_rx, &keys);
                sc.spawn(move || {
                    loop {
                        let Ok(mut out) = pool_rx.lock().expect("pool lock").recv() else {
                            return;
                        };
                        let b = next.fetch_add(1, Ordering::Relaxed);
                        if b >= blocks {
                            return;
                        }
                        out.clear();
                        format_rows(
                            table,
                            keys,
                            b * BLOCK,
                            ((b + 1) * BLOCK).min(n),
                            json,
                            &mut out,
                        );
                        if done_tx.send((b, out)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut pending: std::collections::BTreeMap<usize, Vec<u8>> = Default::default();
            let mut written = 0;
            let mut result = Ok(());
            for (b, buf) in done_rx.iter() {
                pending.insert(b, buf);
                while let Some(buf) = pending.remove(&written) {
                    if result.is_ok() {
                        result = w.write_all(&buf);
                    }
                    written += 1;
                    if result.is_ok() {
                        // Workers may have stopped already; a closed pool is fine.
                        let _ = pool_tx.send(buf);
                    }
                }
                if result.is_err() {
                    // Stop the workers: they find the pool closed (or no
                    // buffers) and the counter past the end.
                    next.store(blocks, Ordering::Relaxed);
                    break;
                }
            }
            drop(pool_tx);
            result
        })?;
    }
    if json {
        w.write_all(b"]\n")?;
    }
    Ok(())
}

/// Rows per Parquet row group (and per Arrow batch) of [`PurchaseParquetWriter`].
const PURCHASE_ROW_GROUP: usize = 1 << 20;

/// A transaction log written as Parquet while it is produced: columns
/// `customer_id` (Int64), `date` (Date32) and `amount` (Float64), one row
/// group per 1,048,576 rows, Snappy-compressed. Only one row group is held
/// in memory; each is handed to the output as soon as it is encoded, so a
/// log of any length streams (`clv simulate --output log.parquet`).
pub struct PurchaseParquetWriter<'w> {
    out: &'w mut dyn Write,
    writer: ArrowWriter<Vec<u8>>,
    schema: Arc<Schema>,
    ids: Vec<i64>,
    days: Vec<i32>,
    amounts: Vec<f64>,
    rows: u64,
}

impl fmt::Debug for PurchaseParquetWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PurchaseParquetWriter({} rows)", self.rows)
    }
}

impl<'w> PurchaseParquetWriter<'w> {
    /// A writer onto `out`.
    ///
    /// # Errors
    ///
    /// [`DataError::Engine`] if the Parquet writer cannot be set up.
    pub fn new(out: &'w mut dyn Write) -> Result<Self> {
        use datafusion::arrow::datatypes::DataType as T;
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", T::Int64, false),
            Field::new("date", T::Date32, false),
            Field::new("amount", T::Float64, false),
        ]));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(PURCHASE_ROW_GROUP))
            .build();
        let writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))
            .map_err(|e| DataError::engine("writing Parquet", e))?;
        Ok(PurchaseParquetWriter {
            out,
            writer,
            schema,
            ids: Vec::with_capacity(PURCHASE_ROW_GROUP),
            days: Vec::with_capacity(PURCHASE_ROW_GROUP),
            amounts: Vec::with_capacity(PURCHASE_ROW_GROUP),
            rows: 0,
        })
    }

    /// Adds one purchase: the customer's number, the day (days since
    /// 1970-01-01) and the amount.
    ///
    /// # Errors
    ///
    /// Writing a finished row group to the output failed.
    pub fn push(&mut self, customer: i64, day: i32, amount: f64) -> Result<()> {
        self.ids.push(customer);
        self.days.push(day);
        self.amounts.push(amount);
        self.rows += 1;
        if self.ids.len() == PURCHASE_ROW_GROUP {
            self.write_batch()?;
        }
        Ok(())
    }

    /// The rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn write_batch(&mut self) -> Result<()> {
        use datafusion::arrow::array::{Date32Array, Int64Array};
        let err = |e| DataError::engine("writing Parquet", e);
        let batch = RecordBatch::try_new(
            self.schema.clone(),
            vec![
                Arc::new(Int64Array::from(std::mem::take(&mut self.ids))) as ArrayRef,
                Arc::new(Date32Array::from(std::mem::take(&mut self.days))),
                Arc::new(Float64Array::from(std::mem::take(&mut self.amounts))),
            ],
        )
        .map_err(|e| DataError::engine("writing Parquet", e))?;
        self.writer.write(&batch).map_err(err)?;
        self.writer.flush().map_err(err)?;
        self.drain()?;
        self.ids.reserve(PURCHASE_ROW_GROUP);
        self.days.reserve(PURCHASE_ROW_GROUP);
        self.amounts.reserve(PURCHASE_ROW_GROUP);
        Ok(())
    }

    /// Hands the encoded bytes to the output (the Parquet writer counts
    /// offsets itself, so its buffer can be emptied between row groups).
    fn drain(&mut self) -> Result<()> {
        let bytes = std::mem::take(self.writer.inner_mut());
        self.out
            .write_all(&bytes)
            .map_err(|e| DataError::io("<output>", e))
    }

    /// Writes the last row group and the footer.
    ///
    /// # Errors
    ///
    /// Writing to the output failed.
    pub fn finish(mut self) -> Result<()> {
        if !self.ids.is_empty() {
            self.write_batch()?;
        }
        self.writer
            .finish()
            .map_err(|e| DataError::engine("writing Parquet", e))?;
        self.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_numbers_are_empty_in_csv_and_null_in_json_and_parquet() {
        let t = Table::new()
            .with_str("id", vec!["a".into(), "b".into()])
            .with_opt_f64("crv", vec![Some(2.5), None]);
        let mut out = Vec::new();
        write_table_to(&t, &mut out, OutputFormat::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "id,crv\na,2.5\nb,\n");
        let mut out = Vec::new();
        write_table_to(&t, &mut out, OutputFormat::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["crv"], 2.5);
        assert!(v[1]["crv"].is_null());
        let batch = t.to_record_batch().unwrap();
        use datafusion::arrow::array::Array;
        assert_eq!(batch.column(1).null_count(), 1);
    }

    #[test]
    fn csv_and_json_text() {
        let t = Table::new()
            .with_str("id", vec!["a,b".into(), "q\"x".into()])
            .with_f64("v", vec![0.1, f64::NAN]);
        let mut out = Vec::new();
        write_table_to(&t, &mut out, OutputFormat::Csv).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,v\n\"a,b\",0.1\n\"q\"\"x\",NaN\n"
        );
        let mut out = Vec::new();
        write_table_to(&t, &mut out, OutputFormat::Json).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "[\n{\"id\":\"a,b\",\"v\":0.1},\n{\"id\":\"q\\\"x\",\"v\":null}\n]\n"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v[0]["v"], 0.1);
    }

    #[test]
    fn whole_numbers_are_written_as_ryu_writes_them() {
        let mut b = ryu::Buffer::new();
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            10.0,
            123456789.0,
            -42.0,
            1e14,
            999999999999999.0,
            1e15,
            1e16,
            0.5,
            -2.5,
            1e-300,
        ] {
            let mut out = Vec::new();
            number(&mut out, v, false, &mut b);
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                b.format_finite(v),
                "{v}"
            );
        }
    }

    #[test]
    fn many_blocks_are_written_in_order() {
        let n = 100_003;
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let v: Vec<f64> = (0..n).map(|i| i as f64 / 7.0).collect();
        let t = Table::new().with_str("id", ids).with_f64("v", v.clone());
        let mut out = Vec::new();
        write_table_to(&t, &mut out, OutputFormat::Csv).unwrap();
        let mut expected = String::from("id,v\n");
        let mut b = ryu::Buffer::new();
        for (i, x) in v.iter().enumerate() {
            expected += &format!("c{i},{}\n", b.format(*x));
        }
        assert!(out == expected.as_bytes());
    }

    #[test]
    fn a_failing_writer_stops_the_workers() {
        let n = 200_000;
        let t = Table::new().with_f64("v", (0..n).map(|i| i as f64).collect());
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 > 100_000 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = write_table_to(&t, &mut Full(0), OutputFormat::Csv).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }

    #[test]
    fn mismatched_columns_are_rejected() {
        let t = Table::new()
            .with_f64("a", vec![1.0])
            .with_f64("b", vec![1.0, 2.0]);
        assert!(t.validate().is_err());
        let t = Table::new()
            .with_f64("a", vec![1.0])
            .with_f64("a", vec![1.0]);
        assert!(t.validate().is_err());
    }
}
