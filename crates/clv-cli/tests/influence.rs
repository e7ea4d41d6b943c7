//! `clv segment`, `actions`, `referrals`, `engagement` and `profile` on the
//! CDNOW sample, with customers and events files written by the tests (so
//! every referral, cycle and unknown id is known by construction).

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// The exact leading columns of `clv segment` (a contract).
const SEGMENT_COLUMNS: [&str; 15] = [
    "customer_id",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "clv",
    "value_tier",
    "p_alive",
    "churn_risk",
    "p_purchase_30d",
    "expected_next_purchase",
    "crv",
    "total_value",
    "value_quadrant",
    "engagement_score",
];

/// A parsed CSV: header and rows as maps.
struct Csv {
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
}

fn parse_csv(text: &str) -> Csv {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| {
            // The tests' fields never hold quoted commas except `reason`,
            // which is last-but-many: split the quoted field out first.
            let mut fields = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            let mut chars = l.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        cur.push('"');
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            fields.push(cur);
            header.iter().cloned().zip(fields).collect()
        })
        .collect();
    Csv { header, rows }
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

/// CDNOW ids 1..=n with channels, an attribute, acquisition costs and a
/// referral graph: customer k (k > 10, k % 7 == 0) was referred by k - 5;
/// customers 3 and 4 refer each other (a cycle), 9 refers themselves, and
/// 12 names an unknown referrer "x999". Returns the path.
fn customers_file(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::from("customer_id,channel,acquisition_cost,referred_by,plan\n");
    for k in 1..=n {
        let (channel, cost, by) = if k == 3 {
            ("referral", "5".to_string(), "4".to_string())
        } else if k == 4 {
            ("referral", "5".to_string(), "3".to_string())
        } else if k == 9 {
            ("referral", "5".to_string(), "9".to_string())
        } else if k == 12 {
            ("referral", "5".to_string(), "x999".to_string())
        } else if k > 10 && k % 7 == 0 {
            ("referral", "5".to_string(), (k - 5).to_string())
        } else if k % 2 == 0 {
            ("search", "40".to_string(), String::new())
        } else {
            ("social", String::new(), String::new())
        };
        let plan = if k % 5 == 0 { "plus" } else { "basic" };
        let _ = writeln!(s, "{k},{channel},{cost},{by},{plan}");
    }
    let p = dir.join("customers.csv");
    std::fs::write(&p, s).unwrap();
    p
}

/// Events for every third customer (and one unknown customer).
fn events_file(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::from("customer_id,timestamp,kind,weight\n");
    for k in (1..=n).step_by(3) {
        let _ = writeln!(s, "{k},1998-03-{:02}T10:00:00Z,review,1", 1 + k % 28);
        let _ = writeln!(s, "{k},1998-05-{:02},mention,2", 1 + k % 28);
    }
    s.push_str("nobody,1998-04-01,share,1\n");
    let p = dir.join("events.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn segment(extra: &[&str]) -> (Csv, String) {
    let sample = sample();
    let mut args = vec![
        "segment",
        sample.as_str(),
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
    ];
    args.extend_from_slice(extra);
    let out = clv(&args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "clv {args:?} failed:\n{err}");
    (parse_csv(&String::from_utf8(out.stdout).unwrap()), err)
}

#[test]
fn segment_columns_are_the_contract() {
    let (csv, _) = segment(&[]);
    assert_eq!(&csv.header[..15], &SEGMENT_COLUMNS[..]);
    assert_eq!(csv.rows.len(), 2357);
    for r in &csv.rows {
        for c in ["recency_score", "frequency_score", "monetary_score"] {
            let s = num(r, c);
            assert!((1.0..=5.0).contains(&s), "{c} = {s}");
        }
        let p = num(r, "p_purchase_30d");
        assert!((0.0..=num(r, "p_alive") + 1e-12).contains(&p));
        // Without referral data: no CRV, total value is the CLV.
        assert_eq!(r["crv"], "");
        assert_eq!(r["value_quadrant"], "");
        assert_eq!(r["engagement_score"], "");
        assert_eq!(num(r, "total_value"), num(r, "clv"));
    }
    // A fifth of the customers (about) in the top recency quintile.
    let top = csv
        .rows
        .iter()
        .filter(|r| r["recency_score"] == "5.0")
        .count();
    assert!(top > 200 && top <= 2357 / 5 + 1, "{top}");
}

#[test]
fn segment_works_with_every_purchase_model() {
    let sample = sample();
    for model in ["bg-nbd", "pareto-nbd", "mbg-nbd", "bg-bb"] {
        let out = clv(&["segment", &sample, "--model", model, "--window", "90"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{model}: {err}");
        let csv = parse_csv(&String::from_utf8(out.stdout).unwrap());
        assert!(
            csv.header.contains(&"p_purchase_90d".to_string()),
            "{model}"
        );
        for r in &csv.rows {
            let (p30, p90) = (num(r, "p_purchase_30d"), num(r, "p_purchase_90d"));
            assert!(
                (0.0..=1.0).contains(&p30) && p30 <= p90 + 1e-12,
                "{model}: {p30} {p90}"
            );
        }
    }
}

#[test]
fn crv_identity_holds_in_the_output() {
    let dir = scratch("crv-identity");
    let customers = customers_file(&dir, 400);
    let (csv, err) = segment(&[
        "--customers",
        customers.to_str().unwrap(),
        "--referral-cac-saved",
        "30",
        "--referral-incremental-share",
        "0.4",
    ]);
    let by_id: HashMap<&str, &HashMap<String, String>> = csv
        .rows
        .iter()
        .map(|r| (r["customer_id"].as_str(), r))
        .collect();
    // The valid edges: k > 10, k % 7 == 0 (not 12), referred by k - 5.
    let mut expected: HashMap<String, f64> = HashMap::new();
    for k in 11..=400usize {
        if k % 7 == 0 {
            let clv_k = num(by_id[k.to_string().as_str()], "clv");
            *expected.entry((k - 5).to_string()).or_default() += 0.4 * clv_k + 0.6 * (30.0 - 5.0);
        }
    }
    let mut sum_crv = 0.0;
    for r in &csv.rows {
        let crv = num(r, "crv");
        sum_crv += crv;
        let want = expected.get(&r["customer_id"]).copied().unwrap_or(0.0);
        assert!(
            (crv - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{}: crv {crv}, by hand {want}",
            r["customer_id"]
        );
        // The identity: total value = CLV + CRV, and the CLV is the customer's own.
        assert!((num(r, "total_value") - num(r, "clv") - crv).abs() < 1e-9);
    }
    let by_hand: f64 = expected.values().sum();
    assert!((sum_crv - by_hand).abs() < 1e-6 * by_hand);
    // The cycle 3 <-> 4, the self-referral of 9 and the unknown referrer of
    // 12 are reported with their lines, not followed.
    assert!(err.contains("refers themselves"), "{err}");
    assert!(err.contains("referral cycle"), "{err}");
    assert!(err.contains("customers.csv:10) refers themselves"), "{err}");
    assert!(err.contains("x999"), "{err}");
    for id in ["3", "4"] {
        assert_eq!(num(by_id[id], "crv"), 0.0, "customer {id}");
    }
}

#[test]
fn referrals_report_has_quadrant_cuts_and_the_revenue_share() {
    let dir = scratch("referrals-report");
    let customers = customers_file(&dir, 400);
    let sample = sample();
    let j: Value = serde_json::from_str(&clv_ok(&[
        "referrals",
        &sample,
        "--model",
        "bg-nbd",
        "--customers",
        customers.to_str().unwrap(),
        "--referral-cac-saved",
        "30",
        "--format",
        "json",
    ]))
    .unwrap();
    // 11..=400 multiples of 7 but 14 - 5 ... every k % 7 == 0 above 10.
    let referred = (11..=400).filter(|k| k % 7 == 0).count();
    assert_eq!(j["referred_customers"], referred);
    assert!(j["quadrants"]["cuts"]["clv"].is_number());
    assert!(j["quadrants"]["cuts"]["crv"].is_number());
    let share = f(&j["referred_revenue_share"]);
    assert!(share > 0.0 && share < 1.0);
    let identity = f(&j["total_value"]) - f(&j["clv"]) - f(&j["crv"]);
    assert!(identity.abs() < 1e-3);
    // The self-referral and the cycle (one problem); the unknown referrer
    // is a counted warning.
    assert_eq!(
        j["problems"].as_array().unwrap().len(),
        2,
        "{}",
        j["problems"]
    );
    assert!(j["warnings"].to_string().contains("x999"));
}

#[test]
fn engagement_says_association_not_cause_and_counts_unknown_customers() {
    let dir = scratch("engagement");
    let events = events_file(&dir, 600);
    let sample = sample();
    let out = clv(&[
        "engagement",
        &sample,
        "--model",
        "bg-nbd",
        "--events",
        events.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("association, not a cause"), "{text}");
    assert!(
        text.contains("review") && text.contains("mention"),
        "{text}"
    );
    assert!(
        err.contains("1 events") && err.contains("nobody"),
        "the unknown customer is counted: {err}"
    );
    let j: Value = serde_json::from_str(&clv_ok(&[
        "engagement",
        &sample,
        "--model",
        "bg-nbd",
        "--events",
        events.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(j["engaged"], 200);
    let kinds = j["kinds"].as_array().unwrap();
    assert_eq!(kinds[0]["kind"], "review");
    assert_eq!(kinds[0]["reach"], 200);
    assert!(j["note"].as_str().unwrap().contains("not a cause"));
}

#[test]
fn engagement_score_is_recency_weighted() {
    let dir = scratch("engagement-score");
    // Customer 1: one event on the observation end (weight 2) and one a
    // half-life (30 days) before it (weight 1): 2 + 0.5 = 2.5.
    let p = dir.join("events.csv");
    std::fs::write(
        &p,
        "customer_id,timestamp,kind,weight\n1,1998-06-30,review,2\n1,1998-05-31,share,1\n",
    )
    .unwrap();
    let (csv, _) = segment(&[
        "--events",
        p.to_str().unwrap(),
        "--half-life",
        "30",
        "--observation-end",
        "1998-06-30",
    ]);
    let one = csv.rows.iter().find(|r| r["customer_id"] == "1").unwrap();
    assert!((num(one, "engagement_score") - 2.5).abs() < 1e-12);
    let two = csv.rows.iter().find(|r| r["customer_id"] == "2").unwrap();
    assert_eq!(num(two, "engagement_score"), 0.0);
}

#[test]
fn events_with_a_bad_timestamp_name_the_line_and_column() {
    let dir = scratch("bad-events");
    let p = dir.join("events.csv");
    std::fs::write(
        &p,
        "customer_id,timestamp,kind\n1,1998-03-01,review\n2,yesterday,review\n",
    )
    .unwrap();
    let sample = sample();
    fails_with(
        &[
            "segment",
            &sample,
            "--model",
            "bg-nbd",
            "--events",
            p.to_str().unwrap(),
        ],
        ":3",
    );
    fails_with(
        &[
            "segment",
            &sample,
            "--model",
            "bg-nbd",
            "--events",
            p.to_str().unwrap(),
        ],
        "timestamp",
    );
}

#[test]
fn an_empty_segment_map_is_an_error() {
    let dir = scratch("empty-map");
    let p = dir.join("map.csv");
    std::fs::write(&p, "segment,r_min,r_max,f_min,f_max,m_min,m_max\n").unwrap();
    let sample = sample();
    fails_with(
        &[
            "segment",
            &sample,
            "--model",
            "bg-nbd",
            "--segment-map",
            p.to_str().unwrap(),
        ],
        "map.csv",
    );
}

#[test]
fn a_segment_map_replaces_the_default() {
    let dir = scratch("map");
    let p = dir.join("map.csv");
    std::fs::write(
        &p,
        "segment,r_min,r_max,f_min,f_max,m_min,m_max\nrecent,4,5,1,5,1,5\nthe rest,1,5,1,5,1,5\n",
    )
    .unwrap();
    let (csv, _) = segment(&["--segment-map", p.to_str().unwrap()]);
    for r in &csv.rows {
        let want = if num(r, "recency_score") >= 4.0 {
            "recent"
        } else {
            "the rest"
        };
        assert_eq!(r["rfm_segment"], want);
    }
}

#[test]
fn actions_write_five_ranked_lists_and_count_them() {
    let dir = scratch("actions");
    let customers = customers_file(&dir, 2357);
    // Created by the run.
    let out_dir = dir.join("lists");
    let sample = sample();
    let out = clv(&[
        "actions",
        &sample,
        "--model",
        "bg-nbd",
        "--spend",
        "gamma-gamma",
        "--customers",
        customers.to_str().unwrap(),
        "--referral-cac-saved",
        "30",
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--max-per-list",
        "50",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for file in [
        "win_back.csv",
        "remind.csv",
        "reward.csv",
        "ask_referral.csv",
        "activate_advocates.csv",
    ] {
        let csv = parse_csv(&std::fs::read_to_string(out_dir.join(file)).unwrap());
        assert_eq!(
            &csv.header[..3],
            ["customer_id", "reason", "expected_value"]
        );
        assert!(csv.rows.len() <= 50, "{file}");
        assert!(
            err.contains(&format!("{file}: {} customers", csv.rows.len())),
            "{file} counted: {err}"
        );
        // Ranked by the expected value of acting.
        let v: Vec<f64> = csv.rows.iter().map(|r| num(r, "expected_value")).collect();
        assert!(v.windows(2).all(|w| w[0] >= w[1]), "{file} ranked");
        for r in &csv.rows {
            assert!(!r["reason"].is_empty());
        }
        if file == "win_back.csv" {
            assert!(!csv.rows.is_empty());
            for r in &csv.rows {
                assert!(num(r, "p_alive") < 0.3);
            }
        }
    }
}

#[test]
fn actions_need_an_existing_parent_and_write_nothing_on_error() {
    let dir = scratch("actions-missing");
    let sample = sample();
    fails_with(
        &[
            "actions",
            &sample,
            "--model",
            "bg-nbd",
            "--out-dir",
            dir.join("nope/lists").to_str().unwrap(),
        ],
        "does not exist",
    );
    // A bad threshold: exit 2 and no list written.
    fails_with(
        &[
            "actions",
            &sample,
            "--model",
            "bg-nbd",
            "--out-dir",
            dir.to_str().unwrap(),
            "--reward-top-share",
            "1.5",
        ],
        "reward",
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // A missing out-dir is created only when the lists are written.
    fails_with(
        &[
            "actions",
            &sample,
            "--model",
            "bg-nbd",
            "--out-dir",
            dir.join("new").to_str().unwrap(),
            "--reward-top-share",
            "0",
        ],
        "reward",
    );
    assert!(!dir.join("new").exists());
}

#[test]
fn profile_finds_over_represented_values_with_intervals() {
    let dir = scratch("profile");
    let customers = customers_file(&dir, 2357);
    let sample = sample();
    let j: Value = serde_json::from_str(&clv_ok(&[
        "profile",
        &sample,
        "--model",
        "bg-nbd",
        "--customers",
        customers.to_str().unwrap(),
        "--min-support",
        "40",
        "--format",
        "json",
    ]))
    .unwrap();
    let rows = j["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let lifts: Vec<f64> = rows.iter().map(|r| f(&r["lift"]["value"])).collect();
    assert!(lifts.windows(2).all(|w| w[0] >= w[1]), "sorted by lift");
    for r in rows {
        assert!(r["customers"].as_u64().unwrap() >= 40);
        let (lo, hi) = (f(&r["lift"]["lo"]), f(&r["lift"]["hi"]));
        assert!(lo <= f(&r["lift"]["value"]) && f(&r["lift"]["value"]) <= hi);
    }
    assert_eq!(j["top"], 236);
}

#[test]
fn segment_refuses_an_unidentified_model_unless_allowed() {
    let tiny = fixture("tiny_four_customers.csv");
    let out = clv(&["segment", &tiny, "--model", "bg-nbd"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-unidentified"), "{err}");
    let out = clv(&[
        "segment",
        &tiny,
        "--model",
        "bg-nbd",
        "--allow-unidentified",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn segment_reads_a_model_file() {
    let dir = scratch("segment-model-file");
    let model = dir.join("model.json");
    let sample = sample();
    clv_ok(&[
        "fit",
        &sample,
        "--model",
        "pareto-nbd",
        "--spend",
        "gamma-gamma",
        "--output",
        model.to_str().unwrap(),
    ]);
    let out = dir.join("segments.parquet");
    clv_ok(&[
        "segment",
        &sample,
        "--model-file",
        model.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(std::fs::metadata(&out).unwrap().len() > 1000);
}

#[test]
fn cac_saved_is_the_blended_cac_of_the_spend_files_channels() {
    let dir = scratch("blended-cac");
    let customers = customers_file(&dir, 400);
    let spend = dir.join("spend.csv");
    std::fs::write(
        &spend,
        "date,channel,amount\n1997-01-01,search,1000\n1997-02-01,search,500\n",
    )
    .unwrap();
    // search customers of customers_file(400): even k, not referral-channel.
    let search = (1..=400usize)
        .filter(|&k| k % 2 == 0 && k != 4 && k != 12 && !(k > 10 && k % 7 == 0))
        .count() as f64;
    let cac = 1500.0 / search;
    let (csv, _) = segment(&[
        "--customers",
        customers.to_str().unwrap(),
        "--spend-file",
        spend.to_str().unwrap(),
    ]);
    let by_id: HashMap<&str, &HashMap<String, String>> = csv
        .rows
        .iter()
        .map(|r| (r["customer_id"].as_str(), r))
        .collect();
    // Customer 16 referred only customer 21: CRV = 0.5 clv_21 + 0.5 (cac - 5).
    let want = 0.5 * num(by_id["21"], "clv") + 0.5 * (cac - 5.0);
    assert!((num(by_id["16"], "crv") - want).abs() < 1e-9, "{want}");
}

/// A simulated shop with a planted attribute (plan plus buys twice as
/// often) and engagement that rises with the purchase rate: `profile` and
/// `engagement` find them.
#[test]
fn profile_and_engagement_recover_what_the_simulation_planted() {
    let dir = scratch("planted");
    let p = |name: &str| dir.join(name).display().to_string();
    clv_ok(&[
        "simulate",
        "--customers",
        "60000",
        "--start",
        "2024-01-01",
        "--days",
        "730",
        "--acquisition-days",
        "365",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "--seed",
        "11",
        "--channels",
        "search:0.5:45,social:0.3:30,referral:0.2:12",
        "--referrals",
        "preferential",
        "--attributes",
        "--output",
        &p("shop.csv"),
        "--customers-output",
        &p("customers.csv"),
        "--spend-output",
        &p("spend.csv"),
        "--events-output",
        &p("events.csv"),
        "-q",
    ]);
    let common = [
        p("shop.csv"),
        "--model".into(),
        "bg-nbd".into(),
        "--spend".into(),
        "gamma-gamma".into(),
        "--customers".into(),
        p("customers.csv"),
        "--events".into(),
        p("events.csv"),
        "--format".into(),
        "json".into(),
        "-q".into(),
    ];
    let run = |cmd: &str| -> Value {
        let mut args = vec![cmd];
        args.extend(common.iter().map(String::as_str));
        serde_json::from_str(&clv_ok(&args)).unwrap()
    };
    let profile = run("profile");
    let top = &profile["rows"][0];
    assert_eq!(
        (top["attribute"].as_str(), top["value"].as_str()),
        (Some("plan"), Some("plus")),
        "{}",
        profile["rows"]
    );
    assert!(f(&top["lift"]["lo"]) > 1.05, "{top}");
    // region has no effect: every region's lift is near 1.
    for r in profile["rows"].as_array().unwrap() {
        if r["attribute"] == "region" {
            assert!((f(&r["lift"]["value"]) - 1.0).abs() < 0.1, "{r}");
        }
    }
    let engagement = run("engagement");
    let cmp = engagement["comparison"].as_array().unwrap();
    let metric = |name: &str| cmp.iter().find(|c| c["metric"] == name).unwrap();
    for name in ["purchases_per_year", "clv", "repeat_rate"] {
        let d = &metric(name)["difference"];
        assert!(f(&d["lo"]) > 0.0, "{name}: {d}");
    }
    assert!(engagement["note"].as_str().unwrap().contains("not a cause"));
}

#[test]
fn missing_values_are_null_in_json() {
    let sample = sample();
    let out = clv_ok(&[
        "segment", &sample, "--model", "bg-nbd", "--format", "json", "-q",
    ]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2357);
    for r in rows {
        // No customers or events file: no CRV, quadrant or engagement.
        assert!(r["crv"].is_null() && r["value_quadrant"].is_null());
        assert!(r["engagement_score"].is_null());
        assert!(r["expected_next_purchase"].is_null() || r["expected_next_purchase"].is_string());
    }
    // One-time buyers far from an even chance of buying again: no date.
    assert!(rows.iter().any(|r| r["expected_next_purchase"].is_null()));
    assert!(rows.iter().any(|r| r["expected_next_purchase"].is_string()));
}
