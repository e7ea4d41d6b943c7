//! The application layer's error: what went wrong, whether the user can fix
//! it, and the chain of contexts that led there.

use std::fmt::Display;

/// What can go wrong in a use case.
///
/// [`Error::is_user_error`] tells a front end whether the input or the
/// invocation was at fault (the CLI exits with 2, a server answers 400) or
/// something failed inside (exit 1, 500). Contexts added with [`Context`]
/// wrap the error; `std::error::Error::source` walks them, so a front end
/// can print `outer: inner: cause` as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input or the invocation is wrong; the message says what to do.
    #[error("{0}")]
    Usage(String),
    /// The data layer refused the input (it names the file, line and column).
    #[error(transparent)]
    Data(#[from] clv_data::DataError),
    /// The statistics core failed (invalid data or parameters, or a fit that
    /// found no finite optimum).
    #[error(transparent)]
    Core(#[from] clv_core::Error),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A JSON document could not be written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// An internal failure that is not the user's to fix.
    #[error("{0}")]
    Failed(String),
    /// The job was cancelled before it finished.
    #[error("cancelled")]
    Cancelled,
    /// An error with a sentence of context in front of it.
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// What went wrong while doing it.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Whether the user's input or invocation caused the error (exit code 2
    /// in the CLI) rather than an internal failure (exit code 1). A failed
    /// or non-finite fit is internal; every other core error is about the
    /// data or parameters given.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::Usage(_) | Error::Data(_) => true,
            Error::Core(e) => !matches!(
                e,
                clv_core::Error::FitFailed(_) | clv_core::Error::Numerical(_)
            ),
            Error::Io(_) | Error::Json(_) | Error::Failed(_) | Error::Cancelled => false,
            Error::Context { source, .. } => source.is_user_error(),
        }
    }
}

/// Result with the application layer's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A [`Error::Usage`] with this message.
pub fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// Adds context to errors: `result.context("reading the model")?`.
pub trait Context<T> {
    /// Wraps the error (or the absence of a value) in `context`.
    fn context<C: Display>(self, context: C) -> Result<T>;
    /// Wraps the error in the context `f` returns, computed only on failure.
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

/// A missing value is an internal failure with the context as its message.
impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| Error::Failed(context.to_string()))
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::Failed(f().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_cause_and_its_kind() {
        let e: Result<()> = Err(usage("bad flag"));
        let e = e.context("in model.json").unwrap_err();
        assert_eq!(e.to_string(), "in model.json");
        assert!(e.is_user_error());
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "bad flag");
        let fit: Result<()> = Err(clv_core::Error::FitFailed("no optimum".into()).into());
        assert!(
            !fit.context("bg-nbd fit failed")
                .unwrap_err()
                .is_user_error()
        );
        let none: Option<u8> = None;
        assert!(!none.context("missing").unwrap_err().is_user_error());
    }
}
