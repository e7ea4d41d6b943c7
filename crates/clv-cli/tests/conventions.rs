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

/// Zero amounts are purchases by default; a repeat buyer whose repeat
/// purchases were free stays out of the Gamma-Gamma fit but is predicted.
/// With `--zero-amounts drop` the free orders disappear.
#[test]
fn zero_amount_repeat_purchases() {
    let dir = scratch("zero");
    let input = dir.join("tx.csv");
    let mut text = String::from("customer_id,date,amount\nfree,2020-01-01,10\nfree,2020-01-15,0\n");
    // Enough paying repeat buyers for a Gamma-Gamma fit.
    for i in 0..40 {
        let amount = 5 + (i * 7) % 23;
        text += &format!("c{i},2020-01-0{},{amount}\n", 1 + i % 9);
        text += &format!("c{i},2020-02-{},{}\n", 10 + i % 18, amount + i % 5);
        if i % 3 == 0 {
            text += &format!("c{i},2020-03-0{},{}\n", 1 + i % 9, amount + 2);
        }
    }
    std::fs::write(&input, text).unwrap();
    let path = input.to_str().unwrap();
    let args = [
        "predict",
        path,
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--horizon",
        "8 weeks",
        // 41 customers over 66 days: not identified, used on purpose.
        "--allow-unidentified",
    ];
    let out = clv(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("kept 1 rows with zero amounts as purchases"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 repeat buyers whose repeat purchases are all worth 0"),
        "{stderr}"
    );
    let csv = Csv::parse(&String::from_utf8(out.stdout).unwrap());
    let free = csv
        .strs("customer_id")
        .iter()
        .position(|c| c == "free")
        .unwrap();
    assert_eq!(csv.f64s("frequency")[free], 1.0);
    assert_eq!(csv.f64s("monetary_value")[free], 0.0);
    let spend = csv.f64s("expected_spend")[free];
    assert!(spend.is_finite() && spend > 0.0, "{spend}");
    // Shrunk from 0 towards the mean: below every paying one-repeat buyer's.
    let (x, all) = (csv.f64s("frequency"), csv.f64s("expected_spend"));
    let others: Vec<f64> = (0..x.len())
        .filter(|&i| i != free && x[i] == 1.0)
        .map(|i| all[i])
        .collect();
    assert!(
        !others.is_empty() && others.iter().all(|&s| s > spend),
        "{spend} {others:?}"
    );

    let mut dropped = args.to_vec();
    dropped.extend(["--zero-amounts", "drop"]);
    let out = clv(&dropped);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dropped 1 rows with zero amounts"),
        "{stderr}"
    );
    let csv = Csv::parse(&String::from_utf8(out.stdout).unwrap());
    let free = csv
        .strs("customer_id")
        .iter()
        .position(|c| c == "free")
        .unwrap();
    assert_eq!(csv.f64s("frequency")[free], 0.0);
    std::fs::remove_dir_all(dir).unwrap();
}
