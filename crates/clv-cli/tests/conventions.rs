//! Summary conventions, time units, formats and simulation through the binary.

mod common;

use common::*;

/// The `lifetimes` examples: daily periods, observed to 2015-02-07.
#[test]
fn period_convention_matches_lifetimes() {
    let dir = scratch("period");
    let input = dir.join("tx.csv");
    std::fs::write(
        &input,
        "customer_id,date,amount\na,2015-02-01,10\na,2015-02-06,20\nb,2015-01-01,5\nb,2015-01-02,6\nb,2015-01-05,7\n",
    )
    .unwrap();
    let out = clv_ok(&[
        "summarize",
        input.to_str().unwrap(),
        "--convention",
        "period",
        "--time-unit",
        "day",
        "--observation-end",
        "2015-02-07",
    ]);
    let csv = Csv::parse(&out);
    assert_eq!(csv.strs("customer_id"), ["a", "b"]);
    assert_eq!(csv.f64s("frequency"), [1.0, 2.0]);
    assert_eq!(csv.f64s("recency"), [5.0, 4.0]);
    assert_eq!(csv.f64s("T"), [6.0, 37.0]);
    assert_eq!(csv.f64s("monetary_value"), [20.0, 6.5]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn time_units_scale_the_exact_summary() {
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    let weeks = Csv::parse(&clv_ok(&[
        "summarize",
        s,
        "--time-unit",
        "week",
        "--calibration-end",
        "1997-09-30",
    ]));
    let days = Csv::parse(&clv_ok(&[
        "summarize",
        s,
        "--time-unit",
        "day",
        "--calibration-end",
        "1997-09-30",
    ]));
    let (tw, td) = (weeks.f64s("T"), days.f64s("T"));
    for i in 0..tw.len() {
        assert!((tw[i] * 7.0 - td[i]).abs() < 1e-9);
    }
}

#[test]
fn json_and_parquet_outputs() {
    let dir = scratch("formats");
    let sample = data("cdnow_sample.csv");
    let s = sample.to_str().unwrap();
    let json = clv_ok(&["summarize", s, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v.as_array().expect("a JSON array of objects");
    assert_eq!(rows.len(), 2357);
    assert!(rows[0]["frequency"].is_number());
    let pq = dir.join("summary.parquet");
    clv_ok(&["summarize", s, "--output", pq.to_str().unwrap()]);
    let bytes = std::fs::read(&pq).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    // Parquet to stdout is refused.
    let out = clv(&["summarize", s, "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn simulation_is_deterministic_and_refits() {
    let dir = scratch("simulate");
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    let args = |out: &str| {
        vec![
            "simulate".to_string(),
            "--customers".into(),
            "20000".into(),
            "--start".into(),
            "2020-01-01".into(),
            "--days".into(),
            "730".into(),
            "--params".into(),
            "r=0.5,alpha=4,a=0.8,b=2.5".into(),
            "--seed".into(),
            "9".into(),
            "--output".into(),
            out.into(),
        ]
    };
    let run = |out: &std::path::Path| {
        let v = args(out.to_str().unwrap());
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        clv_ok(&v);
    };
    run(&a);
    run(&b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let m: serde_json::Value = serde_json::from_str(&clv_ok(&[
        "fit",
        a.to_str().unwrap(),
        "--model",
        "bg-nbd",
        "--observation-end",
        "2021-12-30",
    ]))
    .unwrap();
    // 20,000 customers: the standard errors are a few percent; 20% is a
    // smoke test of the whole pipeline (core tests check 5% at 100,000).
    for (name, truth) in [("r", 0.5), ("alpha", 4.0), ("a", 0.8), ("b", 2.5)] {
        assert_rel(m["params"][name].as_f64().unwrap(), truth, 0.2, name);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
