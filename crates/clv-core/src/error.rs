//! Typed errors of the statistics core.

/// What can go wrong in the statistics core.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A model parameter is outside its domain (for example not strictly positive).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name as in the paper (`r`, `alpha`, ...).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// Input data violate a model's assumptions (for example recency greater than age).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// There is nothing to fit (no customers, or no repeat buyers for a spend model).
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// The optimiser failed to produce a finite optimum.
    #[error("fit failed: {0}")]
    FitFailed(String),
    /// A value could not be parsed (time units, horizons, parameter lists).
    #[error("cannot parse {what} from {input:?}: {reason}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The text given.
        input: String,
        /// Why it failed.
        reason: String,
    },
    /// A computation produced a non-finite number where a finite one was required.
    #[error("numerical failure in {0}")]
    Numerical(String),
    /// A setting of an analysis (a share, a probability, a cut point) is outside its domain.
    #[error("invalid setting {name} = {value}: {reason}")]
    InvalidSetting {
        /// The setting's name (`win_back_below`, `incremental_share`, ...).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A segment map (CSV text) is invalid; names the 1-based line and the column where known.
    #[error("segment map{}: {reason}", location(*line, column.as_deref()))]
    SegmentMap {
        /// The 1-based line of the text (the header is line 1), when the problem is on one line.
        line: Option<usize>,
        /// The column, when the problem is in one column.
        column: Option<String>,
        /// What is wrong and what to do.
        reason: String,
    },
}

/// Formats ", line L, column C" for [`Error::SegmentMap`].
fn location(line: Option<usize>, column: Option<&str>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(", line {l}, column {c}"),
        (Some(l), None) => format!(", line {l}"),
        (None, Some(c)) => format!(", column {c}"),
        (None, None) => String::new(),
    }
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
