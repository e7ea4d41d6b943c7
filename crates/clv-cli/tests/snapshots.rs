//! Snapshot tests of user-facing text with insta: the data report and fit
//! summary on stderr, the head of each table on stdout, and `--help`.
//! Snapshots are `tests/snapshots/{name}.snap`; timings (and the version) are
//! filtered before comparing (see `common::snapshot_settings`). To accept a
//! change on purpose, run
//! `INSTA_UPDATE=always cargo test -p clv-cli --test snapshots` (or
//! `cargo insta review`) and review the diff.

mod common;

use common::*;

fn run(args: &[&str]) -> (String, String) {
    let out = clv(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The first `lines` lines of a CSV, numbers rounded to 6 decimals (the
/// golden tests check values; the snapshot checks layout and rough values,
/// and must not break on a last-digit change of an optimiser).
fn head(text: &str, lines: usize) -> String {
    text.lines()
        .take(lines)
        .map(|l| {
            let fields: Vec<String> = l
                .split(',')
                .map(|f| match f.parse::<f64>() {
                    Ok(v) if f.contains('.') => format!("{v:.6}"),
                    _ => f.to_string(),
                })
                .collect();
            format!("{}\n", fields.join(","))
        })
        .collect()
}

#[test]
fn filters_replace_only_timings_and_the_version() {
    let text = format!(
        "[  0.08s] read x (0.07s) [a] (b) (12s) [1.5 s] clv {} clv 0.0.0",
        env!("CARGO_PKG_VERSION")
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(text, @"[T] read x [T] [a] (b) [T] [1.5 s] clv [VERSION] clv 0.0.0");
    });
}

#[test]
fn cdnow_summarize() {
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    let (stdout, stderr) = run(&["summarize", s, "--calibration-end", "1997-09-30"]);
    let stderr = stderr.replace(s, "data/cdnow_sample.csv");
    assert_snapshot(
        "summarize_cdnow",
        &format!(
            "$ clv summarize data/cdnow_sample.csv --calibration-end 1997-09-30\n{stderr}{}",
            head(&stdout, 8)
        ),
    );
}

#[test]
fn cdnow_predict() {
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    let (stdout, stderr) = run(&[
        "predict",
        s,
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--horizon",
        "12 months",
    ]);
    let stderr = stderr.replace(s, "data/cdnow_sample.csv");
    assert_snapshot(
        "predict_cdnow",
        &format!(
            "$ clv predict data/cdnow_sample.csv --calibration-end 1997-09-30 --model bg-nbd --spend gamma-gamma --horizon \"12 months\"\n{stderr}{}",
            head(&stdout, 8)
        ),
    );
}

#[test]
fn help() {
    for cmd in ["summarize", "fit", "predict", "simulate"] {
        let (stdout, _) = run(&[cmd, "--help"]);
        assert_snapshot(&format!("help_{cmd}"), &stdout);
    }
}
