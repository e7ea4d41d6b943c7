//! `clv simulate` with the influence flags writes what they say: a
//! preferential referral graph, planted plans and regions, and engagement
//! events whose rate follows the purchase rate; without the flags the
//! transactions do not change.

mod common;

use std::collections::HashMap;

use common::*;

const PARAMS: &str = "r=0.243,alpha=4.414,a=0.793,b=2.426";
const CHANNELS: &str = "search:0.7:40,referral:0.3:10";

/// Runs `clv simulate` on 20,000 customers over two years with `extra`
/// flags (`@` is the scratch directory) and returns the directory.
fn simulate(name: &str, extra: &[&str]) -> std::path::PathBuf {
    let dir = scratch(name);
    let d = dir.display().to_string();
    let mut args: Vec<String> = [
        "simulate",
        "--customers",
        "20000",
        "--start",
        "2024-01-01",
        "--days",
        "730",
        "--params",
        PARAMS,
        "--channels",
        CHANNELS,
        "--customers-output",
        "@/customers.csv",
        "-o",
        "@/tx.csv",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<String> = args.iter().map(|a| a.replace('@', &d)).collect();
    clv_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    dir
}

fn read(dir: &std::path::Path, name: &str) -> Csv {
    Csv::parse(&std::fs::read_to_string(dir.join(name)).unwrap())
}

/// Purchases per customer id.
fn purchases(tx: &Csv) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for id in tx.strs("customer_id") {
        *n.entry(id).or_default() += 1;
    }
    n
}

/// Referrals per referrer.
fn referral_counts(c: &Csv) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for by in c.strs("referred_by").into_iter().filter(|b| !b.is_empty()) {
        *n.entry(by).or_default() += 1;
    }
    n
}

/// Ranks with ties given their mean rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn ranks_and_spearman_by_hand() {
    // 10, 20, 20, 30: ranks 0, 1.5, 1.5, 3 (ties share the mean of ranks 1 and 2).
    assert_eq!(ranks(&[20.0, 10.0, 30.0, 20.0]), [1.5, 0.0, 3.0, 1.5]);
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

#[test]
fn referrals_and_events_leave_the_transactions_unchanged() {
    let plain = simulate("infl-plain", &[]);
    let more = simulate(
        "infl-more",
        &[
            "--referrals",
            "preferential",
            "--events-output",
            "@/events.csv",
        ],
    );
    let tx = |d: &std::path::Path| std::fs::read(d.join("tx.csv")).unwrap();
    assert_eq!(tx(&plain), tx(&more));
    // The customers file differs only in referred_by.
    let (a, b) = (read(&plain, "customers.csv"), read(&more, "customers.csv"));
    assert_eq!(a.header, b.header);
    for col in ["customer_id", "acquired_at", "channel", "acquisition_cost"] {
        assert_eq!(a.strs(col), b.strs(col), "{col}");
    }
    assert_ne!(a.strs("referred_by"), b.strs("referred_by"));
}

#[test]
fn preferential_referrers_are_earlier_and_heavy_tailed() {
    let uniform = simulate("infl-uniform", &[]);
    let pref = simulate("infl-pref", &["--referrals", "preferential"]);
    let mut max = Vec::new();
    for dir in [&uniform, &pref] {
        let c = read(dir, "customers.csv");
        let ids = c.strs("customer_id");
        let acquired = c.strs("acquired_at");
        let day: HashMap<&str, &str> = ids
            .iter()
            .map(String::as_str)
            .zip(acquired.iter().map(String::as_str))
            .collect();
        let channels = c.strs("channel");
        let mut referred = 0;
        for (i, by) in c.strs("referred_by").iter().enumerate() {
            if by.is_empty() {
                continue;
            }
            referred += 1;
            assert_eq!(channels[i], "referral");
            // ISO dates compare as text: the referrer was acquired on an earlier day.
            assert!(
                day[by.as_str()] < acquired[i].as_str(),
                "{by} -> {}",
                ids[i]
            );
        }
        // 30% of 20,000 in the referral channel, all but the first day's have a referrer.
        assert!((5_900..=6_000).contains(&referred), "{referred}");
        let counts = referral_counts(&c);
        max.push(*counts.values().max().unwrap());
        let mean = referred as f64 / ids.len() as f64; // about 0.3 per customer
        if dir == &pref {
            // Heavy tail: the top referrer brings over 50 times the mean.
            assert!(max[1] as f64 > 50.0 * mean, "max {} mean {mean}", max[1]);
            // Fewer distinct referrers than the uniform draw's (about 4,600).
            assert!(counts.len() < 3_500, "{}", counts.len());
        }
    }
    // Uniform: Poisson(0.3) counts, the maximum of 20,000 is single-digit.
    assert!(max[0] < 12 && max[1] > 2 * max[0], "{max:?}");
}

#[test]
fn plus_customers_buy_more_and_regions_do_nothing() {
    let dir = simulate("infl-attr", &["--attributes"]);
    let c = read(&dir, "customers.csv");
    assert_eq!(
        c.header,
        [
            "customer_id",
            "acquired_at",
            "channel",
            "acquisition_cost",
            "referred_by",
            "region",
            "plan"
        ]
    );
    let n = purchases(&read(&dir, "tx.csv"));
    let ids = c.strs("customer_id");
    let mean_repeat = |keep: &dyn Fn(usize) -> bool| {
        let v: Vec<f64> = (0..ids.len())
            .filter(|&i| keep(i))
            .map(|i| n[&ids[i]] as f64 - 1.0)
            .collect();
        (v.len(), v.iter().sum::<f64>() / v.len() as f64)
    };
    let plan = c.strs("plan");
    let (plus, plus_mean) = mean_repeat(&|i| plan[i] == "plus");
    let (basic, basic_mean) = mean_repeat(&|i| plan[i] == "basic");
    assert_eq!(plus + basic, 20_000);
    // 20% plus: sd of the share sqrt(0.2 * 0.8 / 20000) = 0.0028.
    let share = plus as f64 / 20_000.0;
    assert!((share - 0.2).abs() < 0.012, "{share}");
    // Twice the purchase rate while active. BG/NBD dropout comes after a
    // geometric number of purchases whatever the rate, so within the two
    // years plus customers make more repeat purchases but fewer than twice as many.
    let ratio = plus_mean / basic_mean;
    assert!((1.3..2.0).contains(&ratio), "{plus_mean} / {basic_mean}");
    // Regions: four equal shares (sd of a share 0.003) and no effect.
    let region = c.strs("region");
    let mut means = Vec::new();
    for r in ["north", "south", "east", "west"] {
        let (k, m) = mean_repeat(&|i| region[i] == r);
        assert!((k as f64 / 20_000.0 - 0.25).abs() < 0.015, "{r}: {k}");
        means.push(m);
    }
    let (lo, hi) = (
        means.iter().cloned().fold(f64::MAX, f64::min),
        means.iter().cloned().fold(0.0, f64::max),
    );
    assert!(hi / lo < 1.15, "{means:?}");
}

#[test]
fn event_rates_follow_purchase_rates_within_active_lives() {
    let dir = simulate("infl-events", &["--events-output", "@/events.csv"]);
    let c = read(&dir, "customers.csv");
    let e = read(&dir, "events.csv");
    assert_eq!(e.header, ["customer_id", "timestamp", "kind", "weight"]);
    let ids = c.strs("customer_id");
    let acquired: HashMap<String, String> =
        ids.iter().cloned().zip(c.strs("acquired_at")).collect();
    let kinds: HashMap<&str, &str> = [
        ("review", "2"),
        ("mention", "1"),
        ("share", "1"),
        ("event", "3"),
        ("forum_post", "1"),
        ("support_ticket", "0.5"),
    ]
    .into();
    let mut events: HashMap<String, usize> = HashMap::new();
    for row in &e.rows {
        let (id, ts, kind, weight) = (&row[0], &row[1], &row[2], &row[3]);
        assert_eq!(kinds.get(kind.as_str()), Some(&weight.as_str()), "{row:?}");
        // ISO date-time in UTC within the period, not before acquisition.
        assert_eq!((ts.len(), &ts[10..11], &ts[19..]), (20, "T", "Z"), "{ts}");
        assert!(
            &ts[..10] >= acquired[id].as_str() && &ts[..10] <= "2025-12-30",
            "{row:?}"
        );
        *events.entry(id.clone()).or_default() += 1;
    }
    let n = purchases(&read(&dir, "tx.csv"));
    let p: Vec<f64> = ids.iter().map(|i| n[i] as f64).collect();
    let ev: Vec<f64> = ids
        .iter()
        .map(|i| *events.get(i).unwrap_or(&0) as f64)
        .collect();
    // At least the 40% who never engage have no events.
    let silent = ev.iter().filter(|&&x| x == 0.0).count();
    assert!(silent as f64 > 0.4 * 20_000.0 - 300.0, "{silent}");
    // Rank correlation of events and purchases: clearly positive.
    let rho = spearman(&p, &ev);
    assert!(rho > 0.25, "{rho}");
    // Customers with 3+ purchases have several times the events of one-purchase customers.
    let mean_where = |keep: &dyn Fn(f64) -> bool| {
        let v: Vec<f64> = (0..p.len())
            .filter(|&i| keep(p[i]))
            .map(|i| ev[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (one, many) = (mean_where(&|x| x == 1.0), mean_where(&|x| x >= 3.0));
    assert!(many > 2.0 * one, "{one} vs {many}");
}

#[test]
fn influence_flags_need_channels_and_a_customers_file() {
    let base = [
        "simulate",
        "--customers",
        "10",
        "--start",
        "2024-01-01",
        "--days",
        "30",
        "--params",
        PARAMS,
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let out = clv(&with(&base, &["--events-output", "x.csv"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--channels"));
    let out = clv(&with(&base, &["--channels", "a:1:1", "--attributes"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--customers-output"));
    let out = clv(&with(
        &base,
        &["--channels", "a:1:1", "--referrals", "preferential"],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--customers-output"));
}
