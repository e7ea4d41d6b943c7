//! Mapping errors to exit codes: 2 for bad input or usage, 1 for internal failures.

/// An error caused by the user's input or invocation (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns a [`UsageError`] as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The error and its causes as one line, `outer: inner: ...`, leaving out a
/// cause whose text the line already ends with (errors such as the data
/// layer's I/O error name their source in their own message too).
pub fn message(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_joins_causes_without_repeating_them() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let e: anyhow::Error = anyhow::Error::new(io).context("orders.csv: No such file");
        assert_eq!(message(&e), "orders.csv: No such file");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(message(&e), "outer: inner");
    }
}
