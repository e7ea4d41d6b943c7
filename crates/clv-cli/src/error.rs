//! Mapping errors to exit codes: 2 for bad input or usage, 1 for internal failures.

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

/// The exit code for an error: 2 when the user's input or invocation caused
/// it (see [`clv_app::Error::is_user_error`]), else 1.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    let user = if let Some(app) = e.downcast_ref::<clv_app::Error>() {
        app.is_user_error()
    } else {
        // The data layer's errors (writing a table) are about the input or
        // the output path the user gave.
        e.downcast_ref::<clv_data::DataError>().is_some()
    };
    if user { 2 } else { 1 }
}

/// Whether the error is a closed pipe on stdout (`clv predict ... | head`):
/// not a failure, the reader has stopped reading.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
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

    #[test]
    fn usage_errors_exit_with_2_and_failed_fits_with_1() {
        let usage = anyhow::Error::new(clv_app::Error::Usage("bad flag".into()));
        assert_eq!(exit_code(&usage), 2);
        let fit: clv_app::Error = clv_core::Error::FitFailed("no optimum".into()).into();
        assert_eq!(exit_code(&anyhow::Error::new(fit)), 1);
        assert_eq!(exit_code(&anyhow::anyhow!("internal")), 1);
    }
}
