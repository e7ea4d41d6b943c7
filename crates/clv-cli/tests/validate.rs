//! `clv validate` on the CDNOW sample: holdout totals against the published
//! 1,882 repeat purchase-days, the JSON fields, the charts, the table
//! snapshot and bad input.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

const HOLDOUT_ACTUAL: f64 = 1882.0;

fn cdnow_args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "validate",
        &sample(),
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run_json(extra: &[&str]) -> Value {
    let mut args = cdnow_args(extra);
    args.extend(["--format".into(), "json".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_str(&clv_ok(&refs)).expect("valid JSON")
}

fn model<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == name)
        .unwrap_or_else(|| panic!("no {name} in the report"))
}

/// The holdout totals `Σ_i E[Y(39) | x_i, t_x,i, T_i]` against values
/// computed independently (mpmath, 30 digits, from the published formulas:
/// BG/NBD equation (10) at the unrounded published estimates, Pareto/NBD
/// (Schmittlein et al. 1987) at the rounded published estimates, MBG/NBD
/// (Batislam et al. 2007) at r, alpha, a, b = 0.5248, 6.1831, 0.8914, 1.6140).
///
/// The issue asks for BG/NBD and Pareto/NBD within 10% of the actual 1,882;
/// the correct sums are 12.1% and 11.5% below it, so that criterion cannot
/// hold for these models on this data (the models' well-known
/// under-forecast of CDNOW's holdout). What is tested is that the numbers
/// are right, and that they are within 15% (MBG/NBD, 16.2% below: 20%).
#[test]
fn cdnow_holdout_predictions_match_independent_computations() {
    let r = run_json(&[]);
    assert_eq!(f(&r["holdout_actual"]), HOLDOUT_ACTUAL);
    assert_eq!(f(&r["n_customers"]), 2357.0);
    let names: Vec<&str> = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"bg-nbd"), "{names:?}");
    // (model, independent value, tolerance (the fitted parameters differ
    // from those above in the 4th or 5th digit), bound on the error).
    for (name, expected, tol, bound) in [
        ("bg-nbd", 1653.4078, 2e-4, 0.15),
        ("pareto-nbd", 1665.6932, 2e-3, 0.15),
        ("mbg-nbd", 1576.6740, 2e-3, 0.20),
    ] {
        if !names.contains(&name) {
            continue; // not registered in this build
        }
        let m = model(&r, name);
        assert_eq!(f(&m["holdout_actual"]), HOLDOUT_ACTUAL);
        let predicted = f(&m["holdout_predicted"]);
        assert_rel(predicted, expected, tol, name);
        assert_rel(predicted, HOLDOUT_ACTUAL, bound, name);
        assert!(
            (f(&m["holdout_relative_error"]) - (predicted / HOLDOUT_ACTUAL - 1.0)).abs() < 1e-12
        );
    }
    for m in r["models"].as_array().unwrap() {
        assert_rel(
            f(&m["holdout_predicted"]),
            HOLDOUT_ACTUAL,
            0.20,
            m["model"].as_str().unwrap(),
        );
    }
}

#[test]
fn cdnow_json_fields() {
    let r = run_json(&["--model", "bg-nbd"]);
    let m = model(&r, "bg-nbd");
    // The published fit (Fader, Hardie & Lee 2005): LL -9582.4, 4 parameters.
    assert!((f(&m["log_likelihood"]) + 9582.43).abs() < 0.01);
    assert!((f(&m["aic"]) - (8.0 + 2.0 * 9582.43)).abs() < 0.02);
    let n: f64 = 2357.0;
    assert!((f(&m["bic"]) - (4.0 * n.ln() + 2.0 * 9582.43)).abs() < 0.02);
    assert!((f(&m["params"]["r"]) - 0.2426).abs() < 1e-3);
    assert!((f(&m["params"]["b"]) - 2.4259).abs() < 1e-2);
    assert_eq!(f(&m["n_customers"]), 2357.0);
    let mae = f(&m["mae"]);
    assert!(mae > 0.3 && mae < 1.5, "MAE {mae}");
    let gini = f(&m["gini"]);
    let gini_max = f(&m["gini_perfect"]);
    assert!(
        gini > 0.3 && gini < gini_max && gini_max < 1.0,
        "{gini} {gini_max}"
    );
    assert!(f(&m["top_decile_lift"]) > 2.0);
    let deciles = m["decile_lift"].as_array().unwrap();
    assert_eq!(deciles.len(), 10);
    let shares: f64 = deciles.iter().map(|d| f(&d["share_actual"])).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    assert_eq!(f(&deciles[0]["lift"]), f(&m["top_decile_lift"]));

    // Calibration vs holdout: eight bins whose customers add up, and whose
    // actual means add up to the holdout total.
    let bins = m["calibration_vs_holdout"].as_array().unwrap();
    assert_eq!(bins.len(), 8);
    assert_eq!(bins[0]["frequency"], "0");
    assert_eq!(bins[7]["frequency"], "7+");
    // 1,411 of the 2,357 customers made no repeat purchase (the published summary).
    assert_eq!(f(&bins[0]["customers"]), 1411.0);
    let customers: f64 = bins.iter().map(|b| f(&b["customers"])).sum();
    assert_eq!(customers, 2357.0);
    let actual: f64 = bins
        .iter()
        .map(|b| f(&b["customers"]) * f(&b["mean_actual"]))
        .sum();
    assert!((actual - HOLDOUT_ACTUAL).abs() < 1e-6);
    let predicted: f64 = bins
        .iter()
        .map(|b| f(&b["customers"]) * f(&b["mean_predicted"]))
        .sum();
    assert!((predicted - f(&m["holdout_predicted"])).abs() < 1e-6);

    // Tracking: 78 weeks from 1997-01-01, the 39th ending on the calibration
    // end; the actual curve ends at all repeat purchases (calibration 2,457
    // + holdout 1,882), and at the calibration end the expected curve is
    // the expected calibration total.
    let t = m["tracking"].as_array().unwrap();
    assert_eq!(t.len(), 78);
    assert_eq!(r["data"]["tracking_calibration_period"], 39);
    assert_eq!(r["tracking_periods"][38]["end_date"], "1997-09-30");
    assert_eq!(r["tracking_periods"][77]["end_date"], "1998-06-30");
    assert_eq!(f(&t[38]["actual_cumulative"]), 2457.0);
    assert_eq!(f(&t[77]["actual_cumulative"]), 2457.0 + HOLDOUT_ACTUAL);
    let weekly: f64 = t.iter().map(|p| f(&p["actual"])).sum();
    assert_eq!(weekly, 2457.0 + HOLDOUT_ACTUAL);
    let holdout_pred = f(&t[77]["predicted_cumulative"]) - f(&t[38]["predicted_cumulative"]);
    assert_eq!(f(&m["tracking_holdout_predicted"]), holdout_pred);
    assert_rel(holdout_pred, HOLDOUT_ACTUAL, 0.15, "tracking holdout");
    assert_rel(
        f(&t[38]["predicted_cumulative"]),
        2457.0,
        0.05,
        "tracking calibration",
    );

    // Histogram: eight bins, actual counts of the summary, expected adding
    // up to the customers.
    let h = m["histogram"].as_array().unwrap();
    assert_eq!(h.len(), 8);
    assert_eq!(f(&h[0]["actual"]), 1411.0);
    let expected: f64 = h.iter().map(|b| f(&b["expected"])).sum();
    assert!((expected - 2357.0).abs() < 1e-6);
    assert_rel(f(&h[0]["expected"]), 1411.0, 0.05, "expected zeros");
    assert_eq!(m["histogram_chi_square"]["df"], 3);

    assert_eq!(r["best_model"]["model"], "bg-nbd");
    assert!(r["best_model"]["reason"].as_str().unwrap().contains("MAE"));
    assert_eq!(r["lr_tests"].as_array().unwrap().len(), 0);
    assert_eq!(r["data"]["calibration_end"], "1997-09-30");
    assert_eq!(f(&r["data"]["holdout_duration"]), 39.0);
}

#[test]
fn pairs_of_models_say_they_are_not_nested() {
    let r = run_json(&[]);
    let n = r["models"].as_array().unwrap().len();
    let tests = r["lr_tests"].as_array().unwrap();
    assert_eq!(tests.len(), n * (n - 1) / 2);
    for t in tests {
        assert_eq!(t["nested"], false);
        assert!(t["note"].as_str().unwrap().starts_with("not nested"), "{t}");
    }
}

#[test]
fn charts_are_written_as_svg() {
    let dir = scratch("validate-charts");
    let charts = dir.join("charts");
    let mut args = cdnow_args(&["--charts", charts.to_str().unwrap(), "--quiet"]);
    args.extend([
        "--output".into(),
        dir.join("report.txt").display().to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(clv_ok(&refs), "");
    let report = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    assert!(report.starts_with("clv validate: "));
    for name in [
        "tracking_cumulative.svg",
        "tracking_weekly.svg",
        "histogram.svg",
        "calibration_vs_holdout.svg",
    ] {
        let svg = std::fs::read_to_string(charts.join(name)).unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{name}"
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{name}");
        assert!(svg.contains("Actual"), "{name}: no legend");
        assert!(svg.contains("bg-nbd"), "{name}: no model");
        assert!(
            svg.contains("<polyline") || svg.contains("<rect x="),
            "{name}"
        );
    }
    // No temporary files left behind.
    let leftovers: Vec<PathBuf> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_2() {
    // No calibration end.
    fails_with(&["validate", &sample()], "--calibration-end");
    // An unknown model.
    fails_with(
        &[
            "validate",
            &sample(),
            "--calibration-end",
            "1997-09-30",
            "--model",
            "nope",
        ],
        "bg-nbd",
    );
    // A calibration end after the observation end.
    let out = clv(&[
        "validate",
        &sample(),
        "--calibration-end",
        "1998-09-30",
        "--observation-end",
        "1998-06-30",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A malformed row names the file, line and column.
    let dir = scratch("validate-bad");
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "customer_id,date,amount\n1,1997-01-01,10\n1,1997-02-01,abc\n",
    )
    .unwrap();
    fails_with(
        &[
            "validate",
            bad.to_str().unwrap(),
            "--calibration-end",
            "1997-01-15",
        ],
        "bad.csv:3: column \"amount\"",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_snapshot() {
    assert_snapshot("help_validate", &clv_ok(&["validate", "--help"]));
}

/// The table on stdout, BG/NBD only (so that registering a model does not
/// change it). To accept a change on purpose, run
/// `INSTA_UPDATE=always cargo test -p clv-cli --test validate` and review the diff.
#[test]
fn cdnow_table_snapshot() {
    let s = sample();
    let out = clv_ok(&[
        "validate",
        &s,
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
        "--model",
        "bg-nbd",
        "--quiet",
    ]);
    let actual = format!(
        "$ clv validate data/cdnow_sample.csv --calibration-end 1997-09-30 --observation-end 1998-06-30 --model bg-nbd\n{}",
        out.replace(&s, "data/cdnow_sample.csv")
    );
    assert_snapshot("validate_cdnow", &actual);
}

/// The time unit is a change of scale: validating in days gives the same
/// holdout prediction as in weeks.
#[test]
fn the_time_unit_does_not_change_the_predictions() {
    let weeks = run_json(&["--model", "bg-nbd"]);
    let days = run_json(&["--model", "bg-nbd", "--time-unit", "day"]);
    let (w, d) = (model(&weeks, "bg-nbd"), model(&days, "bg-nbd"));
    assert_rel(
        f(&d["holdout_predicted"]),
        f(&w["holdout_predicted"]),
        1e-4,
        "days vs weeks",
    );
    assert_eq!(f(&days["data"]["holdout_duration"]), 273.0);
    assert_rel(f(&d["mae"]), f(&w["mae"]), 1e-4, "MAE");
    let (tw, td) = (&w["tracking"][77], &d["tracking"][77]);
    assert_rel(
        f(&td["predicted_cumulative"]),
        f(&tw["predicted_cumulative"]),
        1e-4,
        "tracking",
    );
}

/// On data drawn from BG/NBD itself the model predicts the holdout and the
/// tracking curve closely (100,000 simulated customers, fixed seed).
#[test]
fn simulated_bgnbd_data_are_predicted_within_three_percent() {
    let dir = scratch("validate-sim");
    let file = dir.join("sim.csv");
    clv_ok(&[
        "simulate",
        "--customers",
        "100000",
        "--start",
        "2024-01-01",
        "--days",
        "546",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "--seed",
        "11",
        "--quiet",
        "--output",
        file.to_str().unwrap(),
    ]);
    let out = clv_ok(&[
        "validate",
        file.to_str().unwrap(),
        "--calibration-end",
        "2024-09-30",
        "--observation-end",
        "2025-06-29",
        "--model",
        "bg-nbd",
        "--format",
        "json",
        "--quiet",
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    let m = model(&r, "bg-nbd");
    assert_rel(
        f(&m["holdout_predicted"]),
        f(&m["holdout_actual"]),
        0.03,
        "holdout",
    );
    let t = m["tracking"].as_array().unwrap();
    let last = t.last().unwrap();
    assert_rel(
        f(&last["predicted_cumulative"]),
        f(&last["actual_cumulative"]),
        0.03,
        "tracking",
    );
    for b in m["calibration_vs_holdout"].as_array().unwrap() {
        if f(&b["customers"]) > 1000.0 {
            assert_rel(
                f(&b["mean_predicted"]),
                f(&b["mean_actual"]),
                0.10,
                b["frequency"].as_str().unwrap(),
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
