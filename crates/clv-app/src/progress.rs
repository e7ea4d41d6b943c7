//! Progress: what a use case is doing, for the front end to show.
//!
//! The application layer never prints. It reports messages (data reports,
//! notes, warnings) and finished stages with their durations through
//! [`Progress`]; the CLI renders them on stderr, a server can forward them
//! to its client, a notebook can show them or drop them ([`Silent`]).

use std::time::{Duration, Instant};

/// Receives what a use case reports while it runs.
pub trait Progress: Sync {
    /// A line of information: a data report, a note or a warning (warnings
    /// start with `warning: `, notes with `note: `).
    fn message(&self, text: &str);

    /// A stage finished successfully after `took` (a failed stage is
    /// reported by its error alone).
    fn stage_finished(&self, what: &str, took: Duration);
}

impl dyn Progress + '_ {
    /// Reports a message.
    pub fn say(&self, msg: impl AsRef<str>) {
        self.message(msg.as_ref());
    }

    /// Runs `f` and, if it succeeded, reports `what` with the time it took.
    pub fn stage<T, E>(&self, what: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let t = Instant::now();
        let out = f();
        if out.is_ok() {
            self.stage_finished(what, t.elapsed());
        }
        out
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn message(&self, _text: &str) {}
    fn stage_finished(&self, _what: &str, _took: Duration) {}
}

/// Keeps every report in memory, in order (for tests and for front ends
/// that show the log after the run).
#[derive(Debug, Default)]
pub struct Recorder {
    lines: std::sync::Mutex<Vec<String>>,
}

impl Recorder {
    /// The messages and finished stages so far (stages as `done: WHAT`).
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("recorder lock").clone()
    }
}

impl Progress for Recorder {
    fn message(&self, text: &str) {
        self.lines
            .lock()
            .expect("recorder lock")
            .push(text.to_string());
    }
    fn stage_finished(&self, what: &str, _took: Duration) {
        self.lines
            .lock()
            .expect("recorder lock")
            .push(format!("done: {what}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_stage_is_not_reported() {
        let r = Recorder::default();
        let p: &dyn Progress = &r;
        let _ = p.stage("worked", || Ok::<_, ()>(1));
        let _ = p.stage("failed", || Err::<(), _>(()));
        p.say("note: hello");
        assert_eq!(r.lines(), ["done: worked", "note: hello"]);
    }
}
