//! Transactions as the result of a SQL query over files: `clv ... --query
//! "SELECT ... FROM orders WHERE status = 'paid'"`.
//!
//! Every input file is a table of DataFusion's SQL engine under a name (its
//! file stem in lower case by default, see [`table_name`]); the query's
//! result is read like a file: the customer, date and amount columns are
//! found by name among the result's columns (exactly, else ignoring ASCII
//! case), converted by the same code as the Parquet reader's batches, and a
//! bad value is reported with its 1-based row in the result (`query result:
//! row 3: column "amount": ...`).
//!
//! Formats come from the file extension as for transaction files (CSV,
//! Parquet, JSON). A CSV file's column types are inferred from its first
//! 1,000 rows, except the customer column (`--customer-col`), which is
//! always text so that ids such as `00123` keep their zeros and join as
//! text; the delimiter is sniffed from the header as for a transaction file
//! (or `--delimiter`).
//!
//! The query runs on a multi-threaded engine (one partition per thread) and
//! its result is streamed: batches are converted as they arrive, never all
//! held at once, so an aggregation in SQL (order lines summed per order)
//! moves only its result into the summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{
    CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext,
};
use futures::StreamExt;

use crate::error::{DataError, Location, Result};
use crate::read::{InputFormat, date_hint_for, problem_error};
use crate::rows::{PartBuilder, partitions};
use crate::source::{ReadContext, Rows, Source};

/// The name messages and the data report give the query's result.
pub const QUERY_RESULT: &str = "query result";

/// A file registered as a table of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlTable {
    /// The table's name in the query (matched as SQL matches names: an
    /// unquoted name in the query is folded to lower case).
    pub name: String,
    /// The file (CSV, Parquet or JSON, by extension).
    pub path: PathBuf,
}

impl SqlTable {
    /// The file at `path` under its default name ([`table_name`]).
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        SqlTable {
            name: table_name(&path),
            path,
        }
    }
}

/// The default table name of a file: its stem in lower case
/// (`data/Orders.csv` -> `orders`, `orders.2024.parquet` -> `orders.2024`,
/// which a query writes quoted: `"orders.2024"`).
pub fn table_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// Transactions as the result of a SQL query over registered files (see the
/// module documentation).
#[derive(Debug, Clone)]
pub struct SqlSource {
    query: String,
    tables: Vec<SqlTable>,
    memory_limit: Option<usize>,
}

impl SqlSource {
    /// The query over `tables`.
    ///
    /// # Errors
    ///
    /// [`DataError::InvalidOptions`] for an empty query, an empty table
    /// name, or two files under one name (say which, and how to rename one
    /// with `--register NAME=PATH`).
    pub fn new(query: impl Into<String>, tables: Vec<SqlTable>) -> Result<Self> {
        let query = query.into();
        if query.trim().is_empty() {
            return Err(DataError::InvalidOptions(
                "--query is empty; give a SELECT whose result has the customer, date and \
                 amount columns"
                    .into(),
            ));
        }
        for (i, t) in tables.iter().enumerate() {
            if t.name.is_empty() {
                return Err(DataError::InvalidOptions(format!(
                    "{}: no table name; register it with --register NAME=PATH",
                    t.path.display()
                )));
            }
            if let Some(o) = tables[..i].iter().find(|o| o.name == t.name) {
                if o.path == t.path {
                    continue;
                }
                return Err(DataError::InvalidOptions(format!(
                    "two files are registered as table \"{}\": {} and {}; name one \
                     differently with --register NAME=PATH",
                    t.name,
                    o.path.display(),
                    t.path.display()
                )));
            }
        }
        Ok(SqlSource {
            query,
            tables,
            memory_limit: None,
        })
    }

    /// Caps the memory the engine's joins, sorts and aggregations hold at
    /// `bytes`; beyond it they spill to temporary files (in the system's
    /// temporary directory) or, where an operator cannot spill, the query
    /// fails with a message naming the limit. `None` (the default) caps it
    /// at half the machine's memory ([`default_memory_limit`]).
    pub fn with_memory_limit(mut self, bytes: Option<usize>) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// The query.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The registered tables.
    pub fn tables(&self) -> &[SqlTable] {
        &self.tables
    }

    fn table_list(&self) -> String {
        if self.tables.is_empty() {
            return "no table is registered; add files with --register NAME=PATH".into();
        }
        let list: Vec<String> = self
            .tables
            .iter()
            .map(|t| format!("{} ({})", t.name, t.path.display()))
            .collect();
        format!(
            "the tables are: {}; add more with --register NAME=PATH",
            list.join(", ")
        )
    }

    fn query_error(&self, e: DataFusionError) -> DataError {
        let e_kind = if matches!(e.find_root(), DataFusionError::ResourcesExhausted(_)) {
            Kind::Memory
        } else {
            Kind::Other
        };
        let mut message = e.to_string();
        let lower = message.to_ascii_lowercase();
        if lower.contains("table") && lower.contains("not found") {
            message = format!("{message}; {}", self.table_list());
        }
        if matches!(e_kind, Kind::Memory) {
            message = format!(
                "{message}; give the query more memory with --query-memory-limit SIZE \
                 (e.g. 8G), or make it hold less (filter and aggregate before joining)"
            );
        }
        DataError::Query {
            origin: QUERY_RESULT.into(),
            message,
            query: self.query.clone(),
        }
    }

    /// Registers every table in `ctx`.
    async fn register(
        &self,
        ctx: &SessionContext,
        customer_col: &str,
        delimiter: Option<u8>,
    ) -> Result<()> {
        for t in &self.tables {
            let file = t.path.display().to_string();
            let reg_err = |e: DataFusionError| DataError::Query {
                origin: file.clone(),
                message: format!("cannot register it as table \"{}\": {e}", t.name),
                query: self.query.clone(),
            };
            if !t.path.is_file() {
                return Err(DataError::io(
                    &t.path,
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file (registered for the query)",
                    ),
                ));
            }
            let p = t.path.to_str().ok_or_else(|| {
                DataError::InvalidOptions(format!("{file}: path is not valid UTF-8"))
            })?;
            let name = TableReference::bare(t.name.clone());
            match InputFormat::from_path(&t.path)? {
                InputFormat::Csv => {
                    let head = crate::engine::read_head(&t.path)?;
                    let given = crate::read::ReadOptions {
                        delimiter,
                        ..Default::default()
                    };
                    let delim = match given.delimiter_given(&t.path) {
                        Some(d) => d,
                        None => crate::read::sniff_delimiter(&head, [customer_col; 3]),
                    };
                    let quotes = crate::engine::file_has_quote(&t.path)?;
                    let options = || {
                        CsvReadOptions::new()
                            .has_header(true)
                            .delimiter(delim)
                            .newlines_in_values(quotes)
                            .file_extension("")
                    };
                    // Infer the types, then keep id-like columns as text.
                    let inferred = ctx.read_csv(p, options()).await.map_err(reg_err)?;
                    let zeros = leading_zero_columns(&head, delim);
                    let fields: Vec<Field> = inferred
                        .schema()
                        .fields()
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            if keep_as_text(f.name(), f.data_type(), customer_col)
                                || (f.data_type().is_numeric() && zeros.contains(&i))
                            {
                                Field::new(f.name(), DataType::Utf8, true)
                            } else {
                                f.as_ref().clone().with_nullable(true)
                            }
                        })
                        .collect();
                    let schema = Schema::new(fields);
                    ctx.register_csv(name, p, options().schema(&schema))
                        .await
                        .map_err(reg_err)?;
                }
                InputFormat::Parquet => {
                    ctx.register_parquet(name, p, ParquetReadOptions::default().file_extension(""))
                        .await
                        .map_err(reg_err)?;
                }
                InputFormat::Json => {
                    let array = crate::engine::first_non_space(&t.path)? == Some(b'[');
                    ctx.register_json(
                        name,
                        p,
                        JsonReadOptions::default()
                            .file_extension("")
                            .newline_delimited(!array),
                    )
                    .await
                    .map_err(reg_err)?;
                }
            }
        }
        Ok(())
    }
}

/// What kind of failure a query error is, for the advice appended to it.
enum Kind {
    Memory,
    Other,
}

/// Half the machine's physical memory (from `/proc/meminfo`), the default
/// cap of a query's working memory; `None` where it cannot be read.
pub fn default_memory_limit() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024 / 2)
}

/// Whether a CSV column is read as text whatever its inferred type: the
/// customer column, and integer columns named like ids (`id`, `order_id`,
/// `customerId`), so that `00123` keeps its zeros and ids join as text.
fn keep_as_text(name: &str, inferred: &DataType, customer_col: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.eq_ignore_ascii_case(customer_col)
        || (inferred.is_integer()
            && (lower == "id" || lower.ends_with("_id") || name.ends_with("Id")))
}

/// The columns of a CSV header-and-rows sample with a number written with a
/// leading zero (`007`, `-012`): such columns are ids or codes, read as text.
fn leading_zero_columns(head: &[u8], delimiter: u8) -> Vec<usize> {
    // The sample may end inside a record: drop the last, partial line.
    let end = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(&head[..end]);
    let mut found = Vec::new();
    for record in reader.byte_records().take(10_000).flatten() {
        for (i, field) in record.iter().enumerate() {
            let digits = field.strip_prefix(b"-").unwrap_or(field);
            if digits.len() > 1
                && digits[0] == b'0'
                && digits.iter().all(u8::is_ascii_digit)
                && !found.contains(&i)
            {
                found.push(i);
            }
        }
    }
    found
}

impl Source for SqlSource {
    fn name(&self) -> String {
        QUERY_RESULT.into()
    }

    fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>> {
        let read = ctx.options();
        let columns = read.columns();
        let cols = columns.map(|c| c.to_string());
        let name = QUERY_RESULT.to_string();
        let threads = ctx.threads();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .build()
            .map_err(|e| DataError::io(QUERY_RESULT, e))?;
        let part = rt.block_on(async {
            let config = SessionConfig::new()
                .with_target_partitions(threads)
                .with_batch_size(16 * 1024)
                .with_information_schema(true);
            let limit = self.memory_limit.or_else(default_memory_limit);
            let mut runtime = RuntimeEnvBuilder::new();
            if let Some(bytes) = limit {
                runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
            }
            let runtime = runtime.build_arc().map_err(|e| self.query_error(e))?;
            let sctx = SessionContext::new_with_config_rt(config, runtime);
            self.register(&sctx, &read.customer_col, read.delimiter)
                .await?;
            let df = sctx
                .sql(&self.query)
                .await
                .map_err(|e| self.query_error(e))?;
            let names: Vec<String> = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let idx = crate::engine::find_columns(&names, &columns, &name)?;
            let mut stream = df.execute_stream().await.map_err(|e| self.query_error(e))?;
            let mut b = PartBuilder::new(&[], partitions(threads));
            let mut row0 = 0u64;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| self.query_error(e))?;
                let projected = batch
                    .project(&idx)
                    .map_err(|e| DataError::engine(format!("{name}: selecting the columns"), e))?;
                if let Err(p) = crate::engine::convert_batch(
                    &projected,
                    &mut b,
                    &ctx.validator,
                    row0,
                    &name,
                    &cols,
                )? {
                    let at = Location::Row {
                        file: name.clone(),
                        row: p.pos + 1,
                    };
                    return Err(problem_error(
                        &p,
                        at,
                        &columns,
                        &date_hint_for(&ctx.validator.dates),
                    ));
                }
                row0 += batch.num_rows() as u64;
            }
            Ok(b.finish())
        })?;
        Rows::from_parts(
            read,
            &ctx.validator.dates,
            name.clone(),
            "DataFusion SQL engine",
            vec![part],
            |pos| {
                Ok(Location::Row {
                    file: name.clone(),
                    row: pos + 1,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_lower_case_stems() {
        assert_eq!(table_name(Path::new("data/Orders.csv")), "orders");
        assert_eq!(table_name(Path::new("orders.2024.parquet")), "orders.2024");
    }

    #[test]
    fn ids_with_leading_zeros_stay_text() {
        let head = b"customer,n,when\n007,1,2024-01-01\n7,0,2024-01-02\n0,2,x\n12,00";
        assert_eq!(leading_zero_columns(head, b','), vec![0]);
        assert!(keep_as_text("order_id", &DataType::Int64, "customer_id"));
        assert!(keep_as_text("CustomerId", &DataType::Int64, "customer_id"));
        assert!(keep_as_text(
            "Customer_ID",
            &DataType::Float64,
            "customer_id"
        ));
        assert!(!keep_as_text("paid", &DataType::Int64, "customer_id"));
    }

    #[test]
    fn two_files_under_one_name_are_refused() {
        let e = SqlSource::new(
            "select 1",
            vec![
                SqlTable::from_path("a/orders.csv"),
                SqlTable::from_path("b/orders.csv"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("two files are registered as table \"orders\""),
            "{e}"
        );
        assert!(e.contains("--register NAME=PATH"), "{e}");
    }

    #[test]
    fn the_default_memory_limit_is_half_the_machine() {
        if let Some(b) = default_memory_limit() {
            assert!(b > 1 << 20, "{b} bytes");
        }
    }

    #[test]
    fn a_query_over_its_memory_limit_fails_with_the_engine_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut text = String::from("customer_id,date,amount\n");
        for i in 0..20_000 {
            text.push_str(&format!("c{i},2024-01-{:02},{}.5\n", i % 28 + 1, i % 90));
        }
        std::fs::write(&path, text).unwrap();
        // A self-join's hash table cannot spill: 4 KiB is too little.
        let src = SqlSource::new(
            "SELECT a.customer_id, a.date, a.amount FROM t a JOIN t b ON a.customer_id = b.customer_id",
            vec![SqlTable::from_path(&path)],
        )
        .unwrap()
        .with_memory_limit(Some(4096));
        let opts = crate::SummaryOptions::default();
        let e = crate::ingest(
            &src,
            &crate::ReadOptions::default(),
            &opts,
            crate::Aggregations::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("query result:"), "{e}");
        assert!(e.contains("Resources exhausted"), "{e}");
        assert!(e.contains("--query-memory-limit"), "{e}");
        // With room, the same query runs.
        let src = src.with_memory_limit(Some(256 << 20));
        let out = crate::ingest(
            &src,
            &crate::ReadOptions::default(),
            &opts,
            crate::Aggregations::default(),
        )
        .unwrap();
        assert_eq!(out.summary.len(), 20_000);
    }

    #[test]
    fn an_empty_query_is_refused() {
        let e = SqlSource::new("  ", vec![]).unwrap_err().to_string();
        assert!(e.contains("--query is empty"), "{e}");
    }
}
