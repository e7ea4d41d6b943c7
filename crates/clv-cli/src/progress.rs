//! Progress lines on stderr: what is happening and how long each stage took.

use std::time::Instant;

/// Reports stages on stderr unless quiet.
pub struct Progress {
    quiet: bool,
    start: Instant,
}

impl Progress {
    /// A reporter; `quiet` silences everything but errors.
    pub fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            start: Instant::now(),
        }
    }

    /// Prints a message as is.
    pub fn say(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// Runs `f`, then, if it succeeded, prints `what` with the time it took
    /// (a failed stage is reported by its error alone).
    pub fn stage<T, E>(&self, what: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let t = Instant::now();
        let out = f();
        if !self.quiet && out.is_ok() {
            eprintln!(
                "[{:>6.2}s] {what} ({:.2}s)",
                self.start.elapsed().as_secs_f64(),
                t.elapsed().as_secs_f64()
            );
        }
        out
    }
}
