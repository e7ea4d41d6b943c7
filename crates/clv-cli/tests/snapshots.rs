//! Snapshot tests of user-facing text: the data report and fit summary on
//! stderr, the head of each table on stdout, and `--help`. Timings are
//! replaced by `[T]` before comparing. To accept a change on purpose, run
//! `UPDATE_SNAPSHOTS=1 cargo test -p clv-cli --test snapshots` and review the diff.

mod common;

use std::path::PathBuf;

use common::*;

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"))
}

/// Replaces `[  0.08s]` and `(0.07s)` timings with `[T]`.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['[', '(']) {
        let close = if rest.as_bytes()[i] == b'[' { ']' } else { ')' };
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        match tail.find(close) {
            Some(j)
                if tail[..j].trim().ends_with('s')
                    && tail[..j]
                        .trim()
                        .trim_end_matches('s')
                        .parse::<f64>()
                        .is_ok() =>
            {
                out.push_str("[T]");
                rest = &tail[j + 1..];
            }
            _ => {
                out.push_str(&rest[i..i + 1]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn check(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "snapshot {name} differs.\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

fn run(args: &[&str]) -> (String, String) {
    let out = clv(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        normalize(&String::from_utf8(out.stderr).unwrap()),
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
fn normalize_replaces_only_timings() {
    assert_eq!(
        normalize("[  0.08s] read x (0.07s) [a] (b) (12s)"),
        "[T] read x [T] [a] (b) [T]"
    );
}

#[test]
fn cdnow_summarize() {
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    let (stdout, stderr) = run(&["summarize", s, "--calibration-end", "1997-09-30"]);
    let stderr = stderr.replace(s, "data/cdnow_sample.csv");
    check(
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
    check(
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
        check(&format!("help_{cmd}"), &stdout);
    }
}
