//! `clv economics` end to end: the hand-computed fixture (tests/data/econ_*),
//! bad inputs, simulated data where the truth is known, and snapshots of the
//! user-facing table.
//!
//! The fixture (observation to 2024-04-30, margin 50%, cost to serve 2 a
//! month, horizon 2 years) is the one of the core's unit tests, as files:
//!
//! | customer | channel | acquired | cost | purchases (month: revenue / orders) |
//! |---|---|---|---|---|
//! | c1 | search | Jan | - | Jan 100/1, Mar 50/1 |
//! | c2 | search | Jan (first purchase) | - | Jan 40/2 (15 + 25), Feb 60/1, Apr 20/1 |
//! | c3 | social | Feb | 70 | Feb 30/1 (referred by c1) |
//! | c4 | social | Feb | 10 | Feb 10/1, Mar 10/1, Apr 10/1 |
//! | c5 | organic | Mar | - | Mar 80/1 (referred by c4) |
//! | c9 | search | Mar | - | never bought |
//!
//! Spend: search 60 + 40 in January (two daily rows), 50 for February (a
//! `YYYY-MM` row) when search acquired nobody.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn base_args() -> Vec<String> {
    [
        "economics",
        &fixture("econ_transactions.csv"),
        "--customers",
        &fixture("econ_customers.csv"),
        "--spend",
        &fixture("econ_spend.csv"),
        "--margin",
        "0.5",
        "--cost-to-serve",
        "2",
        "--cost-period",
        "month",
        "--horizon",
        "2 years",
        "--observation-end",
        "2024-04-30",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run_json(extra: &[&str]) -> Value {
    let mut args = base_args();
    args.extend(["--format".into(), "json".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_str(&clv_ok(&refs)).expect("valid JSON")
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

fn channel<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == name)
        .unwrap_or_else(|| panic!("no channel {name}"))
}

#[test]
fn formula_ltv_fields_by_hand() {
    let j = run_json(&[]);
    let fl = &j["formula_ltv"];
    // Window B = Mar..Apr: 170 of revenue in 5 orders by 4 active customers.
    close(f(&fl["average_order_value"]), 34.0);
    close(f(&fl["purchase_frequency"]), 5.0 / 4.0 * 12.0 / 2.0);
    // 3 of the 4 customers active in Jan..Feb bought again: (3/4)^6 a year.
    // Over 2 months (halves Jan..Feb and Mar..Apr); 0.75^6 a year only as
    // an equivalent: the lifespan is 4 periods of 2 months.
    assert_eq!(fl["retention_period_months"], 2);
    assert_eq!(fl["complete_months"], 4);
    assert_eq!(fl["withheld"], false);
    close(f(&fl["period_retention"]), 0.75);
    close(f(&fl["retention_rate"]), 0.75f64.powi(6));
    close(f(&fl["lifespan"]), 2.0 / 3.0);
    close(f(&fl["ltv"]), 34.0 * 7.5 * 2.0 / 3.0);
    // The new names carry the same numbers as the old ones (aliases).
    assert_eq!(fl["revenue_ltv"], fl["ltv"]);
    assert_eq!(fl["net_margin_ltv"], fl["full_ltv"]);
    assert_eq!(fl["margin_ltv"], fl["value_before_acquisition"]);
    // Two years = 12 periods of 2 months.
    let y = (1.0 - 0.75f64.powi(12)) * 2.0 / 3.0;
    // CAC: search (60 + 40 + 50) / 2, social (70 + 10) / 2: 230 / 4 = 57.5.
    close(f(&fl["acquisition_cost"]), 57.5);
    let full = 0.5 * 34.0 * 7.5 * y - 24.0 * y - 57.5;
    close(f(&fl["full_ltv"]), full);
    close(f(&fl["duration"]), 2.0);
    assert_eq!(j["customers"], 5);
    assert_eq!(j["orders"], 11);
    close(f(&j["historic"]["revenue"]), 410.0); // 150 + 120 + 30 + 30 + 80
    // 0.5 * 410 - 2 * 10 months with a purchase.
    close(f(&j["historic"]["margin"]), 185.0);
    let sens = j["sensitivity"].as_array().unwrap();
    assert_eq!(sens.len(), 7);
    let aov = sens
        .iter()
        .find(|l| l["lever"] == "average_order_value")
        .unwrap();
    close(f(&aov["change"]), 0.1 * 0.5 * 34.0 * 7.5 * y);
}

#[test]
fn channels_by_hand() {
    let j = run_json(&[]);
    let s = channel(&j, "search");
    assert_eq!(s["new_customers"], 2);
    close(f(&s["spend"]), 150.0);
    close(f(&s["cac"]), 75.0);
    assert_eq!(s["cac_source"], "spend");
    // Search's own formula: AOV 35, 6 orders a year, retention 1 over 2 years:
    // 0.5 * 35 * 6 * 2 - 24 * 2 = 162.
    close(f(&s["ltv"]), 162.0);
    close(f(&s["margin_ltv"]), 162.0);
    close(f(&s["ltv_to_cac"]), 162.0 / 75.0);
    assert_eq!(s["payback_months"], Value::Null); // 33, 47, 58.5, 62.5 < 75
    assert_eq!(s["payback_checked_months"], 4);
    assert_eq!(s["payback_status"], "not within the 4 months observed");
    assert_eq!(s["loses_money"], false);
    // Two customers: too few for an interval, so no verdict either way.
    assert_eq!(s["customers"], 2);
    assert_eq!(s["margin_ltv_interval"], Value::Null);
    assert_eq!(s["verdict"], "not enough data to tell");

    let so = channel(&j, "social");
    close(f(&so["cac"]), 40.0);
    assert_eq!(so["cac_source"], "acquisition_cost");
    assert_eq!(so["spend"], Value::Null);
    // 1/2 retained over 2 months: (1/6) (1 - 0.5^12) / (1/2) expected years.
    let y = (1.0 - 0.5f64.powi(12)) / 3.0;
    close(f(&so["ltv"]), (0.5 * 10.0 * 12.0 - 24.0) * y);
    assert_eq!(so["loses_money"], false);
    assert_eq!(so["verdict"], "not enough data to tell");

    let o = channel(&j, "organic");
    assert_eq!(o["cac"], Value::Null);
    assert_eq!(o["ltv_to_cac"], Value::Null);
    assert_eq!(o["payback_status"], "unknown CAC");
    assert_eq!(o["verdict"], "unknown");

    let warnings: Vec<&str> = j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("social") && w.contains("not enough data to tell")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("1 customers in")
            && w.contains("never bought")
            && w.contains("\"c9\"")),
        "{warnings:?}"
    );

    let cac: Vec<(String, String, Value, Value)> = j["cac_by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_string(),
                c["month"].as_str().unwrap().to_string(),
                c["new_customers"].clone(),
                c["cac"].clone(),
            )
        })
        .collect();
    assert_eq!(
        cac[0],
        ("search".into(), "2024-01".into(), 2.into(), 50.0.into())
    );
    assert_eq!(
        cac[1],
        ("search".into(), "2024-02".into(), 0.into(), Value::Null)
    );

    // Referrals: c3 by c1 (search, 30 of revenue), c5 by c4 (social, 80).
    let r = &j["referrals"];
    assert_eq!(r["referred_customers"], 2);
    assert_eq!(r["referrers"], 2);
    close(f(&r["referred_revenue"]), 110.0);
}

#[test]
fn cohorts_by_hand() {
    let j = run_json(&[]);
    let cohorts = j["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 3);
    let jan = &cohorts[0];
    assert_eq!(jan["cohort"], "2024-01");
    assert_eq!(jan["customers"], 2);
    let months = jan["months"].as_array().unwrap();
    let col = |k: &str| -> Vec<f64> { months.iter().map(|m| f(&m[k])).collect() };
    assert_eq!(col("month"), vec![0.0, 1.0, 2.0, 3.0]);
    assert_eq!(col("active"), vec![2.0, 1.0, 1.0, 1.0]);
    assert_eq!(col("retention"), vec![1.0, 0.5, 0.5, 0.5]);
    assert_eq!(col("revenue"), vec![140.0, 60.0, 50.0, 20.0]);
    assert_eq!(
        col("cumulative_revenue_per_customer"),
        vec![70.0, 100.0, 125.0, 135.0]
    );
    // CAC 50; cumulative margin per customer 33, 47, 58.5: paid back in month 2.
    close(f(&jan["cac"]), 50.0);
    assert_eq!(jan["payback_months"], 2);
    let feb = &cohorts[1];
    close(f(&feb["cac"]), 65.0); // (70 + 10 + 50) / 2
    assert_eq!(feb["payback_months"], Value::Null);
}

#[test]
fn segments_by_hand() {
    let j = run_json(&["--segment", "plan"]);
    assert_eq!(j["segments"]["column"], "plan");
    let segs = j["segments"]["segments"].as_array().unwrap();
    // basic = c1, c3, c4 (CACs 50, 70, 10); pro = c2 (50), c5 (unknown).
    assert_eq!(segs[0]["segment"], "basic");
    assert_eq!(segs[0]["customers"], 3);
    close(f(&segs[0]["cac"]), 130.0 / 3.0);
    // basic's formula: B = c1 (50/1), c4 (20/2): AOV 70 / 3, 3 / 2 * 6 = 9 a
    // year; 2 of the 3 active in A again in B: 2/3 over 2 months, so
    // (1/6) (1 - (2/3)^12) / (1/3) expected years in 2.
    let y = (1.0 - (2.0f64 / 3.0).powi(12)) / 2.0;
    close(f(&segs[0]["ltv"]), (0.5 * 70.0 / 3.0 * 9.0 - 24.0) * y);
    assert_eq!(segs[1]["segment"], "pro");
    close(f(&segs[1]["cac"]), 50.0);
    assert_eq!(segs[1]["customers_with_cac"], 1);
    close(f(&segs[1]["ltv"]), 252.0); // 0.5 * 50 * 6 * 2 - 24 * 2
    assert_eq!(segs[1]["loses_money"], false);
    fails_with(
        &[
            "economics",
            &fixture("econ_transactions.csv"),
            "--customers",
            &fixture("econ_customers.csv"),
            "--segment",
            "nope",
        ],
        "--segment \"nope\": no such attribute column",
    );
}

#[test]
fn a_cost_column_gives_margins_per_purchase() {
    // Costs: 40 of c1's January 100 and 10 of c2's February 60.
    let mut args = base_args();
    args[1] = fixture("econ_transactions_cost.csv");
    let i = args.iter().position(|a| a == "--margin").unwrap();
    args.drain(i..i + 2);
    args.extend(["--cost-col", "cost", "--format", "json"].map(String::from));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let j: Value = serde_json::from_str(&clv_ok(&refs)).unwrap();
    close(f(&j["formula_ltv"]["margin"]), 1.0 - 50.0 / 410.0);
    close(f(&j["historic"]["margin"]), 410.0 - 50.0 - 2.0 * 10.0);
    // January: gross 100, 50, 50, 20 less 2 per buying customer: 96, 48, 48, 18.
    let jan = &j["cohorts"][0];
    let cm: Vec<f64> = jan["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| f(&m["cumulative_margin_per_customer"]))
        .collect();
    assert_eq!(cm, vec![48.0, 72.0, 96.0, 105.0]);
    assert_eq!(jan["payback_months"], 1); // 72 >= 50
    // A negative cost cannot line up with its purchase.
    let dir = scratch("econ-cost");
    let text = std::fs::read_to_string(fixture("econ_transactions_cost.csv"))
        .unwrap()
        .replace("c3,2024-02-03,30,0", "c3,2024-02-03,30,-1");
    let bad = write(&dir, "tx.csv", &text);
    fails_with(
        &["economics", &bad, "--cost-col", "cost"],
        "does not line up with the purchases (1 negative costs",
    );
    fails_with(
        &["economics", &bad, "--cost-col", "cost", "--margin", "0.5"],
        "cannot be used with",
    );
}

#[test]
fn csv_and_heatmap_and_per_customer_files() {
    let dir = scratch("econ-files");
    let heat = dir.join("heat.svg");
    let per = dir.join("customers.csv");
    let mut args = base_args();
    args.extend([
        "--format".into(),
        "csv".into(),
        "--heatmap".into(),
        heat.display().to_string(),
        "--per-customer".into(),
        per.display().to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = clv_ok(&refs);
    assert!(out.starts_with("section,channel,cohort,month,metric,value\n"));
    assert!(out.contains("formula_ltv,,,,average_order_value,34\n"));
    assert!(out.contains("channels,search,,,cac,75\n"));
    assert!(out.contains("cohorts,,2024-01,1,retention,0.5\n"));
    let svg = std::fs::read_to_string(&heat).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">2024-01 (2)<") && svg.contains(">50.0<"));
    let c = Csv::parse(&std::fs::read_to_string(&per).unwrap());
    assert_eq!(
        c.header,
        vec![
            "customer_id",
            "channel",
            "cohort",
            "acquired_at",
            "orders",
            "revenue",
            "margin"
        ]
    );
    assert_eq!(
        c.rows[1],
        vec![
            "c2",
            "search",
            "2024-01",
            "2024-01-07",
            "4.0",
            "120.0",
            "54.0"
        ]
    );
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn overlapping_spend_rows_are_errors_naming_both_lines() {
    let dir = scratch("econ-overlap");
    let tx = fixture("econ_transactions.csv");
    let same_day = write(
        &dir,
        "spend.csv",
        "date,channel,amount\n2024-01-01,search,60\n2024-01-02,search,1\n2024-01-01,search,60\n",
    );
    fails_with(
        &["economics", &tx, "--spend", &same_day],
        "spend.csv:4: overlapping spend rows: the same date 2024-01-01 as",
    );
    fails_with(&["economics", &tx, "--spend", &same_day], "spend.csv:2");
    let month_and_day = write(
        &dir,
        "spend2.csv",
        "date,channel,amount\n2024-01,search,100\n2024-01-15,search,40\n",
    );
    fails_with(
        &["economics", &tx, "--spend", &month_and_day],
        "the same month 2024-01",
    );
    // Campaigns tell rows apart.
    let campaigns = write(
        &dir,
        "spend3.csv",
        "date,channel,campaign,amount\n2024-01-01,search,a,60\n2024-01-01,search,b,40\n",
    );
    clv_ok(&["economics", &tx, "--spend", &campaigns, "--format", "json"]);
}

#[test]
fn bad_values_name_file_line_and_column() {
    let dir = scratch("econ-bad");
    let tx = fixture("econ_transactions.csv");
    let neg = write(
        &dir,
        "neg.csv",
        "date,channel,amount\n2024-01-01,search,-5\n",
    );
    fails_with(
        &["economics", &tx, "--spend", &neg],
        "neg.csv:2: column \"amount\": spend -5 is negative",
    );
    let date = write(&dir, "d.csv", "date,channel,amount\n2024-13-01,search,5\n");
    fails_with(
        &["economics", &tx, "--spend", &date],
        "d.csv:2: column \"date\": cannot parse \"2024-13-01\"",
    );
    let dup = write(
        &dir,
        "dup.csv",
        "customer_id,channel\nc1,search\nc2,search\nc1,social\n",
    );
    fails_with(
        &["economics", &tx, "--customers", &dup],
        "dup.csv:4: column \"customer_id\": customer \"c1\" appears twice (first at",
    );
    let cost = write(&dir, "cost.csv", "customer_id,acquisition_cost\nc1,ten\n");
    fails_with(
        &["economics", &tx, "--customers", &cost],
        "cost.csv:2: column \"acquisition_cost\": cannot parse \"ten\" as a number",
    );
    let acq = write(&dir, "acq.csv", "customer_id,acquired_at\nc1,yesterday\n");
    fails_with(
        &["economics", &tx, "--customers", &acq],
        "acq.csv:2: column \"acquired_at\"",
    );
    let nospend = write(&dir, "cols.csv", "day,channel,amount\n2024-01-01,a,1\n");
    fails_with(
        &["economics", &tx, "--spend", &nospend],
        "no date column \"date\"",
    );
    fails_with(
        &["economics", &tx, "--margin", "30"],
        "--margin must be a fraction",
    );
    fails_with(
        &["economics", &tx, "--calibration-end", "2024-02-01"],
        "--calibration-end does not apply",
    );
}

#[test]
fn unknown_spend_channels_and_unknown_buyers_are_warned() {
    let dir = scratch("econ-unknown");
    let tx = fixture("econ_transactions.csv");
    let spend = write(
        &dir,
        "spend.csv",
        "date,channel,amount\n2024-01-01,search,100\n2024-01-01,tiktok,500\n",
    );
    let customers = write(
        &dir,
        "customers.csv",
        "customer_id,channel\nc1,search\nc2,search\nc3,social\n",
    );
    let out = clv(&[
        "economics",
        &tx,
        "--customers",
        &customers,
        "--spend",
        &spend,
        "--format",
        "json",
        "--observation-end",
        "2024-04-30",
    ]);
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = j["warnings"].to_string();
    assert!(
        w.contains("channels no customer was acquired through: tiktok"),
        "{w}"
    );
    assert!(w.contains("spend.csv:3"), "{w}");
    assert!(w.contains("2 buyers are not in"), "{w}");
    let t = channel(&j, "tiktok");
    assert_eq!(t["new_customers"], 0);
    assert_eq!(t["cac"], Value::Null);
    close(f(&t["spend"]), 500.0);
    // Buyers missing from the customers file form the "(none)" channel.
    assert_eq!(channel(&j, "(none)")["new_customers"], 2);
    // Social has customers but no spend rows: CAC unknown, said so.
    assert!(w.contains("channel social: no spend rows"), "{w}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: spend file: channels no customer"));
}

/// Simulated truth: `clv simulate --channels` writes spend = CAC x new
/// customers per month and per-customer referral costs, so the CACs are
/// known exactly; the channels' shares and behaviour are known too.
#[test]
fn simulated_channels_give_back_their_cac_and_shares() {
    let dir = scratch("econ-sim");
    let tx = dir.join("tx.csv");
    let cu = dir.join("customers.csv");
    let sp = dir.join("spend.csv");
    clv_ok(&[
        "simulate",
        "--customers",
        "20000",
        "--start",
        "2024-01-01",
        "--days",
        "730",
        "--acquisition-days",
        "180",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "--seed",
        "3",
        "--channels",
        "search:0.5:40:1.0:1.0,social:0.3:20:0.5:0.8,referral:0.2:10:1.5:1.0",
        "--output",
        &tx.display().to_string(),
        "--customers-output",
        &cu.display().to_string(),
        "--spend-output",
        &sp.display().to_string(),
    ]);
    let j: Value = serde_json::from_str(&clv_ok(&[
        "economics",
        &tx.display().to_string(),
        "--customers",
        &cu.display().to_string(),
        "--spend",
        &sp.display().to_string(),
        "--format",
        "json",
        "--observation-end",
        "2024-12-31",
    ]))
    .unwrap();
    let s = channel(&j, "search");
    assert_eq!(s["new_customers"], 10000);
    close(f(&s["cac"]), 40.0);
    let so = channel(&j, "social");
    assert_eq!(so["new_customers"], 6000);
    close(f(&so["cac"]), 20.0);
    let r = channel(&j, "referral");
    assert_eq!(r["new_customers"], 4000);
    assert_eq!(r["cac_source"], "acquisition_cost");
    close(f(&r["cac"]), 10.0);
    // Behaviour: referral buys 1.5x as often as search, social half as often
    // and spends less.
    let rev = |c: &Value| f(&c["revenue_per_customer"]);
    assert!(
        rev(r) > rev(s) && rev(s) > rev(so),
        "{} {} {}",
        rev(r),
        rev(s),
        rev(so)
    );
    // Every simulated customer is in one cohort, month 0 retention is 100%.
    let cohorts = j["cohorts"].as_array().unwrap();
    let total: u64 = cohorts
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 20000);
    assert!(cohorts.iter().all(|c| c["months"][0]["retention"] == 1.0));
    // Six monthly acquisition cohorts (180 days from January 1st).
    assert_eq!(cohorts.len(), 6);
    // Referrals: every referral customer but the first few has a referrer.
    assert!(j["referrals"]["referred_customers"].as_u64().unwrap() > 3900);
    // Mean order value: Gamma-Gamma's p v / (q - 1) = 35.22 (0.8 times that
    // for social), so the orders' mean lies between 28.2 and 35.2 (sampling
    // noise aside).
    let aov = f(&j["formula_ltv"]["average_order_value"]);
    assert!(aov > 27.0 && aov < 37.0, "{aov}");
    assert_eq!(
        j["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w.as_str().unwrap().contains("never bought"))
            .count(),
        0
    );

    // The model: fitted on 2024, projected over 2025, against what the
    // simulation then did (the purchases after 2024-12-31 in the file).
    let model = dir.join("model.json");
    clv_ok(&[
        "fit",
        &tx.display().to_string(),
        "--observation-end",
        "2024-12-31",
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        &model.display().to_string(),
    ]);
    let m: Value = serde_json::from_str(&clv_ok(&[
        "economics",
        &tx.display().to_string(),
        "--customers",
        &cu.display().to_string(),
        "--spend",
        &sp.display().to_string(),
        "--model-file",
        &model.display().to_string(),
        "--horizon",
        "12 months",
        "--format",
        "json",
        "--observation-end",
        "2024-12-31",
    ]))
    .unwrap();
    let cohorts = m["cohorts"].as_array().unwrap();
    let projected: f64 = cohorts
        .iter()
        .flat_map(|c| c["projected"].as_array().unwrap())
        .map(|p| f(&p["expected_revenue"]))
        .sum();
    assert!(
        cohorts
            .iter()
            .all(|c| c["projected"].as_array().unwrap().len() == 12)
    );
    let text = std::fs::read_to_string(&tx).unwrap();
    let actual: f64 = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            let (_, d, a) = (it.next()?, it.next()?, it.next()?);
            (d > "2024-12-31" && d <= "2025-12-31").then(|| a.parse::<f64>().unwrap())
        })
        .sum();
    let rel = (projected - actual).abs() / actual;
    assert!(rel < 0.10, "projected {projected}, actual {actual}");
    for name in ["search", "social", "referral"] {
        let c = channel(&m, name);
        assert_eq!(c["ltv_source"], "model");
        close(f(&c["ltv"]), f(&c["model_ltv"]));
        // Margin to date plus a non-negative projection.
        assert!(f(&c["model_ltv"]) >= f(&c["margin_per_customer"]));
    }
}

#[test]
fn table_snapshot() {
    // Relative file names (run in tests/data) keep the snapshot portable.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clv"))
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data"))
        .args([
            "economics",
            "econ_transactions.csv",
            "--customers",
            "econ_customers.csv",
            "--spend",
            "econ_spend.csv",
            "--margin",
            "0.5",
            "--cost-to-serve",
            "2",
            "--horizon",
            "2 years",
            "--observation-end",
            "2024-04-30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_snapshot("economics_fixture", &String::from_utf8(out.stdout).unwrap());
}

#[test]
fn help_snapshot() {
    assert_snapshot("help_economics", &clv_ok(&["economics", "--help"]));
}

/// Checks that every tag of `svg` is closed in order (no XML parser needed).
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("unclosed tag") + i;
        let tag = &rest[i + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_string();
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn formula_ltv_is_withheld_below_three_months() {
    // 4 customers over 3 months, the last partial: 2 complete months.
    let tiny = fixture("econ_tiny.csv");
    let out = clv_ok(&["economics", &tiny, "--margin", "0.4", "--format", "json"]);
    let j: Value = serde_json::from_str(&out).unwrap();
    let fl = &j["formula_ltv"];
    assert_eq!(fl["ltv"], Value::Null);
    assert_eq!(fl["full_ltv"], Value::Null);
    assert_eq!(fl["revenue_ltv"], Value::Null);
    assert_eq!(fl["withheld"], true);
    assert_eq!(fl["complete_months"], 2);
    close(f(&j["historic"]["revenue_per_customer"]), 72.5);
    let w: Vec<&str> = j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        w.iter().any(|w| w.contains("2 complete months")
            && w.contains("at least 3")
            && w.contains("--min-months")),
        "{w:?}"
    );
    // Asked to, the formula uses 1-month halves, and the lifespan counts
    // months: 1/2 retained a month is 2 months, so 65 x 12 x 2/12 = 130 of
    // revenue, not the 780 of annualising 0.5^12.
    let j: Value = serde_json::from_str(&clv_ok(&[
        "economics",
        &tiny,
        "--margin",
        "0.4",
        "--format",
        "json",
        "--min-months",
        "2",
    ]))
    .unwrap();
    close(f(&j["formula_ltv"]["ltv"]), 130.0);
    close(f(&j["formula_ltv"]["period_retention"]), 0.5);
    fails_with(&["economics", &tiny, "--min-months", "1"], "--min-months");
}

#[test]
fn unknown_cac_shows_a_dash_not_never() {
    let out = clv_ok(&["economics", &fixture("econ_tiny.csv"), "--margin", "0.4"]);
    assert!(!out.contains("never"), "{out}");
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("all "))
        .unwrap();
    assert!(
        row.contains(" - ") && row.trim_end().ends_with("unknown"),
        "{row}"
    );
}

/// Two months of simulated channels: no formula LTV (so no LTV:CAC of 4
/// beside a payback "never"), paybacks not reached say so, and with a model
/// fitted on the two months a channel is only called a loser when its
/// interval is below break-even.
#[test]
fn two_months_of_data_give_no_ltv_to_cac_beside_an_unreached_payback() {
    let dir = scratch("econ-two-months");
    let tx = dir.join("tx.csv");
    let cu = dir.join("customers.csv");
    let sp = dir.join("spend.csv");
    let p = |x: &std::path::Path| x.display().to_string();
    clv_ok(&[
        "simulate",
        "--customers",
        "2000",
        "--start",
        "2024-01-01",
        "--days",
        "61",
        "--acquisition-days",
        "30",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "--seed",
        "3",
        "--channels",
        "search:0.5:40:1.0:1.0,social:0.3:20:0.5:0.8,referral:0.2:10:1.5:1.0",
        "--output",
        &p(&tx),
        "--customers-output",
        &p(&cu),
        "--spend-output",
        &p(&sp),
    ]);
    let base = [
        "economics".to_string(),
        p(&tx),
        "--customers".into(),
        p(&cu),
        "--spend".into(),
        p(&sp),
        "--margin".into(),
        "0.4".into(),
        "--format".into(),
        "json".into(),
    ];
    let run = |extra: &[String]| -> Value {
        let args: Vec<&str> = base.iter().chain(extra).map(String::as_str).collect();
        serde_json::from_str(&clv_ok(&args)).unwrap()
    };
    let j = run(&[]);
    assert_eq!(j["formula_ltv"]["withheld"], true);
    for c in j["channels"].as_array().unwrap() {
        assert_eq!(c["ltv_to_cac"], Value::Null, "{c}");
        assert_eq!(c["verdict"], "unknown");
        if c["payback_months"].is_null() {
            assert!(
                c["payback_status"]
                    .as_str()
                    .unwrap()
                    .starts_with("not within"),
                "{c}"
            );
        }
    }
    let model = dir.join("model.json");
    let fit = clv(&[
        "fit",
        &p(&tx),
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        &p(&model),
    ]);
    if !fit.status.success() {
        return; // a refused fit is an acceptable answer to two months of data
    }
    let out = clv(&base
        .iter()
        .map(String::as_str)
        .chain(["--model-file", &p(&model), "--horizon", "12 months"])
        .collect::<Vec<_>>());
    if !out.status.success() {
        return; // an unidentified model refused by economics is fine too
    }
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    for c in m["channels"].as_array().unwrap() {
        let iv = &c["net_ltv_interval"];
        assert!(c["customers"].as_u64().unwrap() >= 400);
        assert!(!iv.is_null(), "{c}");
        let loses = f(&iv["hi"]) < 0.0;
        assert_eq!(c["loses_money"], loses, "{c}");
        assert_eq!(c["verdict"] == "loses money", loses, "{c}");
        assert!(f(&iv["lo"]) <= f(&c["net_ltv"]) + 1e-9 && f(&c["net_ltv"]) <= f(&iv["hi"]) + 1e-9);
    }
}

#[test]
fn economics_charts_are_well_formed_with_legends_and_a_bar_per_channel() {
    let dir = scratch("econ-charts");
    let (heat, ch, pb) = (
        dir.join("heat.svg"),
        dir.join("channels.svg"),
        dir.join("payback.svg"),
    );
    // Observed to 2024-04-20: April is a partial month.
    let mut args: Vec<String> = base_args()
        .into_iter()
        .map(|a| {
            if a == "2024-04-30" {
                "2024-04-20".into()
            } else {
                a
            }
        })
        .collect();
    for (flag, path) in [
        ("--heatmap", &heat),
        ("--channel-chart", &ch),
        ("--payback-chart", &pb),
    ] {
        args.push(flag.into());
        args.push(path.display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    clv_ok(&refs);
    let heat = std::fs::read_to_string(&heat).unwrap();
    assert_well_formed(&heat);
    assert!(heat.contains(r#"<g class="legend">"#));
    assert_eq!(heat.matches(r#"class="scale""#).count(), 6);
    // April is partial for the three cohorts: hatched, not shaded.
    assert_eq!(heat.matches(r#"<rect class="partial""#).count(), 3);
    let width: f64 = heat
        .split("width=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(width >= 720.0, "{width}");

    let chart = std::fs::read_to_string(&ch).unwrap();
    assert_well_formed(&chart);
    assert!(chart.contains(r#"<g class="legend">"#));
    // search and social have a margin LTV and a CAC; organic neither.
    assert_eq!(chart.matches(r#"<rect class="ltv""#).count(), 2);
    assert_eq!(chart.matches(r#"<rect class="cac""#).count(), 2);
    assert!(chart.contains("n = 2") && chart.contains("n = 1"));

    let payback = std::fs::read_to_string(&pb).unwrap();
    assert_well_formed(&payback);
    assert!(payback.contains(r#"<g class="legend">"#));
    // Search and social have a CAC (not paid back: hatched bars), organic none.
    assert_eq!(payback.matches(r#"<rect class="payback"#).count(), 2);
    assert!(payback.contains("CAC unknown"));
}
