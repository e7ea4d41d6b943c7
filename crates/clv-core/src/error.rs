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
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
