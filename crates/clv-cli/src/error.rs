//! Mapping errors to exit codes: 2 for bad input or usage, 1 for internal failures.

/// An error caused by the user's input or invocation (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns a [`UsageError`] as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The exit code for an error: 2 when any cause is a usage or input error, else 1.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if cause.is::<UsageError>() || cause.is::<clv_data::DataError>() {
            return 2;
        }
        if let Some(core) = cause.downcast_ref::<clv_core::Error>() {
            return match core {
                clv_core::Error::FitFailed(_) | clv_core::Error::Numerical(_) => 1,
                _ => 2,
            };
        }
    }
    1
}
