//! The `period` convention against Python `lifetimes` 0.11.3 on 1,436 random
//! purchases (see `tests/data/README.md`): daily and weekly periods, with
//! and without a calibration end.

use std::collections::HashMap;
use std::path::PathBuf;

use clv_core::TimeUnit;
use clv_data::{Convention, NaiveDate, ReadOptions, SummaryOptions, summarize_file};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Reads a reference CSV: id -> column name -> value.
fn reference(name: &str) -> HashMap<String, HashMap<String, f64>> {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let cols = head[1..]
                .iter()
                .zip(&f[1..])
                .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
                .collect();
            (f[0].to_string(), cols)
        })
        .collect()
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[test]
fn period_convention_matches_lifetimes() {
    for (unit, name) in [(TimeUnit::Day, "day"), (TimeUnit::Week, "week")] {
        for calibrated in [false, true] {
            let opts = SummaryOptions {
                time_unit: unit,
                convention: Convention::Period,
                observation_end: date("2021-12-31"),
                calibration_end: if calibrated { date("2021-03-31") } else { None },
                ..Default::default()
            };
            let (s, _) =
                summarize_file(&data("lifetimes_tx.csv"), &ReadOptions::default(), &opts).unwrap();
            let (file, suffix) = if calibrated {
                (format!("lifetimes_calibration_{name}.csv"), "_cal")
            } else {
                (format!("lifetimes_summary_{name}.csv"), "")
            };
            let want = reference(&file);
            assert_eq!(s.len(), want.len(), "{file}");
            for i in 0..s.len() {
                let w = &want[s.customer_id(i)];
                let close = |a: f64, col: &str| {
                    let b = w[col];
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                        "{file} {} {col}: {a} vs {b}",
                        s.customer_id(i)
                    );
                };
                close(s.frequency[i], &format!("frequency{suffix}"));
                close(s.recency[i], &format!("recency{suffix}"));
                close(s.age[i], &format!("T{suffix}"));
                close(s.monetary_value[i], &format!("monetary_value{suffix}"));
                if let Some(h) = &s.holdout {
                    close(h.frequency[i], "frequency_holdout");
                    close(h.duration, "duration_holdout");
                    // monetary_value_holdout deliberately differs: lifetimes
                    // averages raw rows there, this crate period totals (see
                    // `Convention::Period`).
                }
            }
        }
    }
}
