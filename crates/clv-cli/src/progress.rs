//! Progress lines on stderr: what is happening and how long each stage took.

use std::time::{Duration, Instant};

/// Renders the application layer's progress on stderr unless quiet.
pub struct Stderr {
    quiet: bool,
    start: Instant,
}

impl Stderr {
    /// A reporter; `quiet` silences everything but errors.
    pub fn new(quiet: bool) -> Self {
        Stderr {
            quiet,
            start: Instant::now(),
        }
    }
}

impl clv_app::Progress for Stderr {
    fn message(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    fn stage_finished(&self, what: &str, took: Duration) {
        if !self.quiet {
            eprintln!(
                "[{:>6.2}s] {what} ({:.2}s)",
                self.start.elapsed().as_secs_f64(),
                took.as_secs_f64()
            );
        }
    }
}
