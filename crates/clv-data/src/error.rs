//! Typed errors of the data layer.

use std::fmt;
use std::path::PathBuf;

/// Where in an input a bad value sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A text file (CSV, newline-delimited JSON): the file name and the
    /// 1-based physical line on which the record starts (a CSV header is line 1).
    Line {
        /// The file's name as given.
        file: String,
        /// 1-based line number.
        line: u64,
    },
    /// A Parquet file or in-memory data: the 1-based data row.
    Row {
        /// The file's name as given (`<memory>` for in-memory data).
        file: String,
        /// 1-based row number among the data rows.
        row: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line { file, line } => write!(f, "{file}:{line}"),
            Location::Row { file, row } => write!(f, "{file}: row {row}"),
        }
    }
}

/// What can go wrong while reading, summarising or writing data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A malformed value: a bad date, text in the amount column, an empty
    /// customer id, a missing field, a date in the future.
    #[error("{location}: column \"{column}\": {message}")]
    InvalidValue {
        /// Where the value is.
        location: Location,
        /// The column's name.
        column: String,
        /// What is wrong, e.g. `cannot parse "abc" as a number`.
        message: String,
    },
    /// A malformed record that is not about one column (wrong number of fields).
    #[error("{location}: {message}")]
    InvalidRecord {
        /// Where the record is.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A required column is not in the input.
    #[error("{file}: no {role} column \"{column}\"; columns found: {}{}", found.join(", "), crate::read::delimiter_suggestion(found))]
    MissingColumn {
        /// The file's name.
        file: String,
        /// Which role the column plays (`customer`, `date`, `amount`).
        role: &'static str,
        /// The name that was looked for.
        column: String,
        /// The columns the input has.
        found: Vec<String>,
    },
    /// The input has no data rows (or no purchases left after validation).
    #[error("{file}: {message}")]
    Empty {
        /// The file's name.
        file: String,
        /// What is empty.
        message: String,
    },
    /// A column has a type that cannot play its role (for example a boolean amount).
    #[error("{file}: column \"{column}\" has type {data_type}, which cannot be read as {role}")]
    UnsupportedType {
        /// The file's name.
        file: String,
        /// The column's name.
        column: String,
        /// The column's Arrow type.
        data_type: String,
        /// What it was to be read as.
        role: &'static str,
    },
    /// A column of a database table or query has a type that cannot play its
    /// role; the message says what is expected and how to cast it.
    #[error(
        "{source_name}: column \"{column}\" has PostgreSQL type {pg_type}, which cannot be read as {role}; {advice}"
    )]
    ColumnType {
        /// The source's name (table or query, and the scrubbed URL).
        source_name: String,
        /// The column's name.
        column: String,
        /// The column's PostgreSQL type.
        pg_type: String,
        /// What it was to be read as.
        role: &'static str,
        /// The types accepted for that role and what to do.
        advice: String,
    },
    /// A database could not be reached, refused the credentials, or a query
    /// failed: what was being done (naming the scrubbed URL, the table or
    /// the query) and the server's message. Never holds a password.
    #[error("{context}: {message}")]
    Database {
        /// What was being done.
        context: String,
        /// The server's or the client's message, with a hint when there is one.
        message: String,
    },
    /// Options that cannot work together, or with this data (a calibration end
    /// after the observation end, an unknown file extension, an invalid date format).
    #[error("{0}")]
    InvalidOptions(String),
    /// A SQL query (`--query`) could not be planned or run: a syntax error,
    /// an unknown table or column, a type mismatch, a file that cannot be
    /// registered as a table.
    #[error("{origin}: {message}\n  the query: {query}")]
    Query {
        /// What failed: the query's result, or the file being registered.
        origin: String,
        /// The engine's message, with what to do.
        message: String,
        /// The query as given.
        query: String,
    },
    /// An error from the DataFusion engine or Arrow/Parquet, with context.
    #[error("{context}: {source}")]
    Engine {
        /// What was being done.
        context: String,
        /// The engine's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The summary violates the core's invariants (a bug if it ever happens).
    #[error("summary rejected by the core: {0}")]
    Core(#[from] clv_core::Error),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn engine(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        DataError::Engine {
            context: context.into(),
            source: Box::new(source),
        }
    }
}

/// Result with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;
