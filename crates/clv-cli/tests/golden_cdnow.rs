//! Golden tests: the raw CDNOW sample purchases, through the `clv` binary, to
//! the published summary and model estimates (see data/README.md and the
//! tolerances in the project's reference values).

mod common;

use common::*;

#[test]
fn the_bundled_csv_is_the_raw_cdnow_sample() {
    let raw = std::fs::read_to_string(data("CDNOW_sample.txt")).unwrap();
    let csv = std::fs::read_to_string(data("cdnow_sample.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("customer_id,date,cds,amount"));
    let mut n = 0;
    for (r, c) in raw.lines().zip(lines) {
        let f: Vec<&str> = r.split_whitespace().collect();
        let expected = format!(
            "{},{},{},{}",
            f[1].parse::<u32>().unwrap(),
            f[2],
            f[3],
            f[4]
        );
        assert_eq!(c, expected);
        n += 1;
    }
    assert_eq!(n, 6919);
}

/// Fader & Hardie's published 39-week summary, reproduced to its 2 decimals,
/// with the holdout totals (1,882 customer-days in 1997-10-01..1998-06-30).
#[test]
fn summary_reproduces_the_published_cdnow_summary() {
    let out = clv_ok(&[
        "summarize",
        &sample(),
        "--time-unit",
        "week",
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
    ]);
    let ours = Csv::parse(&out);
    assert_eq!(
        ours.header,
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "frequency_holdout",
            "monetary_value_holdout",
            "duration_holdout"
        ]
    );
    let published = Csv::parse(
        &std::fs::read_to_string(data("cdnow_customers_summary_with_transactions.csv")).unwrap(),
    );
    assert_eq!(ours.rows.len(), 2357);
    assert_eq!(published.rows.len(), 2357);
    let ids = ours.strs("customer_id");
    let (x, tx, t, m) = (
        ours.f64s("frequency"),
        ours.f64s("recency"),
        ours.f64s("T"),
        ours.f64s("monetary_value"),
    );
    let (px, ptx, pt, pm) = (
        published.f64s("x"),
        published.f64s("t_x"),
        published.f64s("T"),
        published.f64s("zbar"),
    );
    for i in 0..2357 {
        assert_eq!(ids[i], published.strs("ID")[i], "row {i}");
        assert_eq!(x[i], px[i], "x of customer {}", ids[i]);
        assert!(
            (tx[i] - ptx[i]).abs() <= 0.005 + 1e-9,
            "t_x of customer {}",
            ids[i]
        );
        assert!(
            (t[i] - pt[i]).abs() <= 0.005 + 1e-9,
            "T of customer {}",
            ids[i]
        );
        assert!(
            (m[i] - pm[i]).abs() <= 0.005 + 1e-9,
            "zbar of customer {}: {} vs {}",
            ids[i],
            m[i],
            pm[i]
        );
    }
    assert_eq!(x.iter().sum::<f64>(), 2457.0);
    assert_eq!(x.iter().filter(|&&v| v > 0.0).count(), 946);
    assert_eq!(ours.f64s("frequency_holdout").iter().sum::<f64>(), 1882.0);
    let duration = ours.f64s("duration_holdout");
    assert!((duration[0] - 273.0 / 7.0).abs() < 1e-12);
}

/// BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma on CDNOW, from raw purchases.
#[test]
fn fit_reproduces_the_published_estimates() {
    let out = clv_ok(&[
        "fit",
        &sample(),
        "--calibration-end",
        "1997-09-30",
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
    ]);
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["model"], "bg-nbd");
    assert_eq!(m["time_unit"], "week");
    assert_eq!(m["n_customers"], 2357);
    assert_eq!(m["converged"], true);
    let p = &m["params"];
    for (name, value) in [
        ("r", 0.2425945),
        ("alpha", 4.4136019),
        ("a", 0.7929199),
        ("b", 2.4258881),
    ] {
        assert_rel(p[name].as_f64().unwrap(), value, 1e-4, name);
    }
    assert_rel(
        m["log_likelihood"].as_f64().unwrap(),
        -9582.43,
        1e-5,
        "log-likelihood",
    );
    let se = &m["standard_errors"];
    for (name, value) in [
        ("r", 0.012557),
        ("alpha", 0.378221),
        ("a", 0.185719),
        ("b", 0.705345),
    ] {
        assert_rel(se[name].as_f64().unwrap(), value, 1e-2, name);
    }
    let ll = m["log_likelihood"].as_f64().unwrap();
    assert_rel(m["aic"].as_f64().unwrap(), 8.0 - 2.0 * ll, 1e-12, "aic");
    assert_rel(
        m["bic"].as_f64().unwrap(),
        4.0 * 2357f64.ln() - 2.0 * ll,
        1e-12,
        "bic",
    );
    let s = &m["spend"];
    assert_eq!(s["model"], "gamma-gamma");
    assert_eq!(s["n_customers"], 946);
    for (name, value) in [("p", 6.25), ("q", 3.74), ("v", 15.44)] {
        assert_rel(s["params"][name].as_f64().unwrap(), value, 2e-3, name);
    }
    assert_rel(
        s["log_likelihood"].as_f64().unwrap(),
        -4055.92,
        1e-5,
        "Gamma-Gamma log-likelihood",
    );
}

/// `predict --model` fits and predicts in one go; `fit` then
/// `predict --model-file` gives the same numbers.
#[test]
fn predict_from_a_model_file_matches_predict_with_fitting() {
    let dir = scratch("predict-same");
    let model = dir.join("model.json");
    let base = [sample(), "--calibration-end".into(), "1997-09-30".into()];
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let mut fit = vec!["fit"];
    fit.extend(&base);
    fit.extend([
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        model.to_str().unwrap(),
    ]);
    clv_ok(&fit);
    let mut a = vec!["predict"];
    a.extend(&base);
    a.extend([
        "--model-file",
        model.to_str().unwrap(),
        "--horizon",
        "12 months",
    ]);
    let mut b = vec!["predict"];
    b.extend(&base);
    b.extend([
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--horizon",
        "12 months",
    ]);
    let (a, b) = (clv_ok(&a), clv_ok(&b));
    assert_eq!(a, b);
    let p = Csv::parse(&a);
    assert_eq!(
        &p.header[..9],
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "p_alive",
            "expected_purchases",
            "expected_spend",
            "clv"
        ]
    );
    // Gamma-Gamma expected spend of the first 10 customers (Fader & Hardie's note).
    let spend = p.f64s("expected_spend");
    for (i, v) in [
        24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17,
    ]
    .iter()
    .enumerate()
    {
        assert!(
            (spend[i] - v).abs() < 0.1,
            "customer {}: {} vs {v}",
            i + 1,
            spend[i]
        );
    }
    let alive = p.f64s("p_alive");
    assert!(alive.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let clv = p.f64s("clv");
    assert!(clv.iter().all(|v| v.is_finite() && *v >= 0.0));
    std::fs::remove_dir_all(dir).unwrap();
}
