//! Helpers for the CLI integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's bundled data directory.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// The bundled CDNOW sample (`data/cdnow_sample.csv`) as a path string.
pub fn sample() -> String {
    data("cdnow_sample.csv").display().to_string()
}

/// A file of this crate's test fixtures (`tests/data`) as a path string.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clv-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `clv` with arguments.
pub fn clv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clv"))
        .args(args)
        .output()
        .expect("clv runs")
}

/// Runs `clv`, asserting success, and returns stdout.
pub fn clv_ok(args: &[&str]) -> String {
    let out = clv(args);
    assert!(
        out.status.success(),
        "clv {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `clv` with arguments, asserting that it fails with exit code 2 (a
/// usage or data error) and that stderr contains `needle`.
pub fn fails_with(args: &[&str], needle: &str) {
    let out = clv(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
}

/// A JSON number as `f64` (panics on anything else).
pub fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The insta settings of the CLI snapshots: `tests/snapshots/{name}.snap`
/// (no module prefix), timings such as `[  0.08s]`, `(0.07s)` or `(12s)`
/// replaced by `[T]`, and `clv <version>` by `clv [VERSION]`.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(
        r"\[\s*[0-9]+(?:\.[0-9]+)?s\s*\]|\(\s*[0-9]+(?:\.[0-9]+)?s\s*\)",
        "[T]",
    );
    s.add_filter(
        &format!(r"\bclv {}\b", env!("CARGO_PKG_VERSION").replace('.', r"\.")),
        "clv [VERSION]",
    );
    s
}

/// Compares `actual` with the snapshot `tests/snapshots/{name}.snap` (after
/// the filters of [`snapshot_settings`]). A mismatch fails the test; outside
/// CI insta also writes `{name}.snap.new` for review with `cargo insta
/// review` (or run with `INSTA_UPDATE=always` to accept, then review the diff).
///
/// insta ignores trailing whitespace when it compares; the snapshots all end
/// with exactly one newline, and that is checked here.
pub fn assert_snapshot(name: &str, actual: &str) {
    assert!(
        actual.ends_with('\n') && !actual.ends_with("\n\n"),
        "snapshot {name}: the text should end with exactly one newline: {actual:?}"
    );
    snapshot_settings().bind(|| insta::assert_snapshot!(name, actual));
}

/// A parsed CSV: header and rows of fields.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn parse(text: &str) -> Csv {
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("a header")
            .split(',')
            .map(String::from)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    pub fn f64s(&self, name: &str) -> Vec<f64> {
        let i = self.col(name);
        self.rows.iter().map(|r| r[i].parse().unwrap()).collect()
    }

    pub fn strs(&self, name: &str) -> Vec<String> {
        let i = self.col(name);
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
}

/// Asserts |a - b| <= tol * |b|.
pub fn assert_rel(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs(),
        "{what}: {a} vs {b} (relative error {:.3e} > {tol:e})",
        ((a - b) / b).abs()
    );
}
