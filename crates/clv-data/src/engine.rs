//! The DataFusion reader: CSV (every column as `Utf8`), Parquet and JSON.
//!
//! DataFusion plans a scan of the three mapped columns with one partition
//! per thread (byte ranges of a CSV or JSON file, row groups of a Parquet
//! file). Each partition's stream is driven by its own task on a
//! multi-threaded Tokio runtime; the task converts every Arrow batch into
//! validated rows for the shared aggregation (see [`crate::rows`]).
//!
//! Parallel partitions do not know their global row numbers, so on a
//! malformed value the file is scanned again to find the exact place: CSV
//! by the hand-written reader (exact line), Parquet and JSON by DataFusion
//! with a single partition (row, or line for JSON). The happy path pays
//! nothing for this.

use std::path::Path;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Float64Type, Schema};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{
    CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext,
};
use futures::StreamExt;

use crate::csv;
use crate::error::{DataError, Location, Result};
use crate::read::{
    InputFormat, ROLES, ReadOptions, date_hint, example, file_name, layout_error, problem_error,
};
use crate::report::DataReport;
use crate::rows::{Checked, Part, PartBuilder, Problem, ReadStats, Validator};

fn df_err(file: &str) -> impl Fn(datafusion::error::DataFusionError) -> DataError + '_ {
    move |e| DataError::engine(format!("{file}: reading with DataFusion"), e)
}

/// Reads a file with DataFusion into parts (one per partition, in order).
pub(crate) fn read_with_datafusion(
    path: &Path,
    format: InputFormat,
    read: &ReadOptions,
    v: &Validator,
    threads: usize,
) -> Result<(Vec<Part<'static>>, ReadStats, DataReport)> {
    let file = file_name(path);
    let columns = read.columns();
    // For CSV, the header tells the column names, so that every column can be
    // declared Utf8 (no inference turning YYYYMMDD or ids into numbers).
    let csv_schema = if format == InputFormat::Csv {
        let head = read_head(path)?;
        let delim = read.delimiter_in(path, &head).0;
        let lay =
            csv::layout(&head, delim, columns).map_err(|e| layout_error(e, &file, &columns))?;
        Some((
            Schema::new(
                lay.names
                    .iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            ),
            delim,
        ))
    } else {
        None
    };
    let json_array = format == InputFormat::Json && first_non_space(path)? == Some(b'[');
    // Quoted fields may hold newlines; DataFusion can then only read the file
    // in one partition. Files without any quote keep the parallel scan.
    let csv_quotes = format == InputFormat::Csv && file_has_quote(path)?;

    let run = |partitions: usize| -> Result<Vec<std::result::Result<Part<'static>, Problem>>> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .build()
            .map_err(|e| DataError::io(path, e))?;
        rt.block_on(async {
            let config = SessionConfig::new()
                .with_target_partitions(partitions)
                .with_batch_size(16 * 1024);
            let ctx = SessionContext::new_with_config(config);
            let p = path.to_str().ok_or_else(|| {
                DataError::InvalidOptions(format!("{file}: path is not valid UTF-8"))
            })?;
            let df = match format {
                InputFormat::Csv => {
                    let (schema, delim) = csv_schema.as_ref().expect("csv schema");
                    ctx.read_csv(
                        p,
                        CsvReadOptions::new()
                            .has_header(true)
                            .delimiter(*delim)
                            .schema(schema)
                            .newlines_in_values(csv_quotes)
                            .truncated_rows(true)
                            .file_extension(""),
                    )
                    .await
                }
                InputFormat::Parquet => {
                    ctx.read_parquet(p, ParquetReadOptions::default().file_extension(""))
                        .await
                }
                InputFormat::Json => {
                    ctx.read_json(
                        p,
                        JsonReadOptions::default()
                            .file_extension("")
                            .newline_delimited(!json_array),
                    )
                    .await
                }
            }
            .map_err(df_err(&file))?;
            let names: Vec<String> = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let idx = find_columns(&names, &columns, &file)?;
            let selected: Vec<&str> = idx.iter().map(|&i| names[i].as_str()).collect();
            let df = df.select_columns(&selected).map_err(df_err(&file))?;
            let streams = df
                .execute_stream_partitioned()
                .await
                .map_err(df_err(&file))?;
            let nshards = crate::rows::partitions(threads);
            let mut handles = Vec::with_capacity(streams.len());
            for stream in streams {
                let v = v.clone();
                let file = file.clone();
                let cols = columns.map(|c| c.to_string());
                handles.push(tokio::spawn(async move {
                    consume(stream, &v, nshards, &file, &cols).await
                }));
            }
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(
                    h.await
                        .map_err(|e| DataError::engine("reader task failed", e))??,
                );
            }
            Ok(out)
        })
    };

    let results = run(threads)?;
    let mut parts = Vec::with_capacity(results.len());
    let mut fatal = false;
    for r in results {
        match r {
            Ok(p) => parts.push(p),
            Err(_) => fatal = true,
        }
    }
    let mut stats = ReadStats::new();
    for p in &parts {
        stats.merge(&p.stats);
    }
    let has_problems = fatal || !stats.problems.is_empty();
    let mut report = DataReport::new(file.clone(), "DataFusion reader");
    if !has_problems {
        return Ok((parts, stats, report));
    }

    // Error path: find the exact places.
    let hint = date_hint(read.date_format.as_deref());
    match format {
        InputFormat::Csv => {
            let buf = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
            // The hand-written reader fails on the first bad line exactly, or
            // lists the first skipped lines.
            let hw = crate::read::read_csv_buffer(&buf, &file, read, v, 1)?;
            report.invalid_examples = hw.report.invalid_examples;
            // Short records arrive as nulls here; the exact pass names the
            // reason (too few fields).
            stats.invalid = hw.stats.invalid;
            if fatal {
                // Both readers should agree; if the hand-written one accepted
                // the file, fall back to the row number DataFusion sees.
                let one = run(1)?;
                if let Some(Err(p)) = one.into_iter().next() {
                    return Err(problem_error(
                        &p,
                        Location::Row {
                            file: file.clone(),
                            row: p.pos + 1,
                        },
                        &columns,
                        &hint,
                    ));
                }
            }
        }
        InputFormat::Parquet | InputFormat::Json => {
            let one = run(1)?;
            let line_of_row = |row: u64| -> Result<Location> {
                Ok(match format {
                    InputFormat::Json if !json_array => Location::Line {
                        file: file.clone(),
                        line: json_line_of_row(path, row)?,
                    },
                    _ => Location::Row {
                        file: file.clone(),
                        row: row + 1,
                    },
                })
            };
            match one.into_iter().next() {
                Some(Err(p)) => {
                    return Err(problem_error(&p, line_of_row(p.pos)?, &columns, &hint));
                }
                Some(Ok(part)) => {
                    let mut ex = Vec::new();
                    for p in &part.stats.problems {
                        ex.push(example(p, line_of_row(p.pos)?, &columns, &hint));
                    }
                    report.invalid_examples = ex;
                }
                None => {}
            }
        }
    }
    if fatal {
        return Err(DataError::InvalidOptions(format!(
            "{file}: a malformed value was found but could not be located"
        )));
    }
    Ok((parts, stats, report))
}

/// Whether the file has a `"` anywhere (streamed in 1 MiB blocks).
pub(crate) fn file_has_quote(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut block = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut block).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            return Ok(false);
        }
        if memchr::memchr(b'"', &block[..n]).is_some() {
            return Ok(true);
        }
    }
}

/// Reads up to the first 1 MiB (enough for a header).
pub(crate) fn read_head(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut head = Vec::new();
    f.take(1 << 20)
        .read_to_end(&mut head)
        .map_err(|e| DataError::io(path, e))?;
    Ok(head)
}

pub(crate) fn first_non_space(path: &Path) -> Result<Option<u8>> {
    let head = read_head(path)?;
    let start = csv::bom_len(&head);
    Ok(head[start..]
        .iter()
        .copied()
        .find(|c| !c.is_ascii_whitespace()))
}

/// 1-based line of the 0-based record `row` of a newline-delimited JSON file
/// (blank lines hold no record).
fn json_line_of_row(path: &Path, row: u64) -> Result<u64> {
    let buf = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let mut seen = 0u64;
    for (i, line) in buf.split(|&c| c == b'\n').enumerate() {
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        if seen == row {
            return Ok(i as u64 + 1);
        }
        seen += 1;
    }
    Ok(row + 1)
}

async fn consume(
    mut stream: SendableRecordBatchStream,
    v: &Validator,
    nshards: usize,
    file: &str,
    cols: &[String; 3],
) -> Result<std::result::Result<Part<'static>, Problem>> {
    let mut b = PartBuilder::new(&[], nshards);
    let mut row0 = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(df_err(file))?;
        let n = batch.num_rows() as u64;
        if let Err(p) = convert_batch(&batch, &mut b, v, row0, file, cols)? {
            return Ok(Err(p));
        }
        row0 += n;
    }
    Ok(Ok(b.finish()))
}

fn text_of(a: &ArrayRef, i: usize) -> String {
    if a.is_null(i) {
        return String::new();
    }
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        _ => datafusion::arrow::util::display::array_value_to_string(a, i).unwrap_or_default(),
    }
}

/// Converts one batch (columns: customer, date, amount) into rows.
pub(crate) fn convert_batch(
    batch: &RecordBatch,
    b: &mut PartBuilder<'static>,
    v: &Validator,
    row0: u64,
    file: &str,
    cols: &[String; 3],
) -> Result<std::result::Result<(), Problem>> {
    let n = batch.num_rows();
    let opts = CastOptions {
        safe: true,
        ..Default::default()
    };
    let unsupported = |k: usize, dt: &DataType| DataError::UnsupportedType {
        file: file.to_string(),
        column: cols[k].clone(),
        data_type: dt.to_string(),
        role: ["a customer id", "a date", "an amount"][k],
    };
    let cast = |a: &ArrayRef, to: &DataType| {
        cast_with_options(a, to, &opts)
            .map_err(|e| DataError::engine(format!("{file}: converting a column"), e))
    };
    // Customer ids as Utf8.
    let id_raw = batch.column(0);
    let ids = match id_raw.data_type() {
        DataType::Utf8 => id_raw.clone(),
        dt if dt.is_integer()
            || dt.is_floating()
            || matches!(
                dt,
                DataType::LargeUtf8
                    | DataType::Utf8View
                    | DataType::Dictionary(..)
                    | DataType::Decimal128(..)
            ) =>
        {
            cast(id_raw, &DataType::Utf8)?
        }
        dt => return Err(unsupported(0, dt)),
    };
    let ids = ids.as_string::<i32>();

    // Dates as days since the epoch (None: unparseable).
    let d_raw = batch.column(1);
    let days: Vec<Option<i32>> = match d_raw.data_type() {
        DataType::Date32 => {
            let a = d_raw.as_primitive::<Date32Type>();
            (0..n).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
        }
        DataType::Date64 | DataType::Timestamp(..) => {
            let c = cast(d_raw, &DataType::Date32)?;
            let a = c.as_primitive::<Date32Type>();
            (0..n).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
        }
        dt if dt.is_integer() => {
            let c = cast(d_raw, &DataType::Int64)?;
            let a = c.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            (0..n)
                .map(|i| {
                    if a.is_null(i) {
                        return None;
                    }
                    let x = a.value(i);
                    if !(10_000_101..=99_991_231).contains(&x) {
                        return None;
                    }
                    crate::date::parse_iso_or_compact(x.to_string().as_bytes())
                })
                .collect()
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let c = cast(d_raw, &DataType::Utf8)?;
            let a = c.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if a.is_null(i) {
                        None
                    } else {
                        v.dates.parse(a.value(i).as_bytes())
                    }
                })
                .collect()
        }
        dt => return Err(unsupported(1, dt)),
    };

    // Amounts.
    let a_raw = batch.column(2);
    let amounts: Vec<Option<(f64, u8)>> = match a_raw.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let c = cast(a_raw, &DataType::Utf8)?;
            let a = c.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if a.is_null(i) {
                        None
                    } else {
                        v.amount(a.value(i).as_bytes())
                    }
                })
                .collect()
        }
        dt if dt.is_numeric() => {
            let c = cast(a_raw, &DataType::Float64)?;
            let a = c.as_primitive::<Float64Type>();
            (0..n)
                .map(|i| {
                    if a.is_null(i) {
                        None
                    } else {
                        Some((a.value(i), 0)).filter(|x| !x.0.is_nan())
                    }
                })
                .collect()
        }
        dt => return Err(unsupported(2, dt)),
    };

    let d_raw = d_raw.clone();
    let a_raw = a_raw.clone();
    for i in 0..n {
        let id: &[u8] = if ids.is_null(i) {
            b""
        } else {
            ids.value(i).as_bytes()
        };
        let checked = b.row(
            v,
            row0 + i as u64,
            id,
            false,
            days[i],
            &|| text_of(&d_raw, i),
            amounts[i],
            &|| text_of(&a_raw, i),
        );
        if let Checked::Fatal(p) = checked {
            return Ok(Err(p));
        }
    }
    Ok(Ok(()))
}

/// The positions of the customer, date and amount columns among `names`:
/// the exact name, else the one name equal to it ignoring case; a missing
/// column is an error naming what was found.
pub(crate) fn find_columns(
    names: &[String],
    columns: &[&str; 3],
    file: &str,
) -> Result<[usize; 3]> {
    let mut idx = [0usize; 3];
    for (k, want) in columns.iter().enumerate() {
        idx[k] = names
            .iter()
            .position(|n| n == want)
            .or_else(|| {
                let c: Vec<usize> = (0..names.len())
                    .filter(|&i| names[i].eq_ignore_ascii_case(want))
                    .collect();
                (c.len() == 1).then(|| c[0])
            })
            .ok_or_else(|| DataError::MissingColumn {
                file: file.to_string(),
                role: ROLES[k],
                column: want.to_string(),
                found: names.to_vec(),
            })?;
    }
    Ok(idx)
}
