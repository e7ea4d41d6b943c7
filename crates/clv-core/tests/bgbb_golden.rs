//! BG/BB golden tests on the donations data (11,104 donors, 6 annual
//! opportunities): Fader, Hardie & Shang (2010), "Customer-base analysis in a
//! discrete-time noncontractual setting", Marketing Science 29(6):
//! parameter estimates and log-likelihood (section 4), P(alive) (Figure 5),
//! expected transactions in the next five opportunities and the fit of the
//! transaction-count histogram (Figure 3), re-derived from the data in
//! `tests/data/donations.csv` (see `tests/data/donations.md`).

mod common;

use clv_core::CustomerData;
use clv_core::bgbb::{BgBbFitter, BgBbParams};
use clv_core::model::{ParametricModel, PurchaseModel};
use common::{assert_abs, assert_estimates, assert_rel};

/// `tests/data/donations.csv`: frequency, recency, periods, weights.
fn donations() -> CustomerData {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/donations.csv");
    let text = std::fs::read_to_string(path).expect("donations data");
    let (mut x, mut tx, mut n, mut w) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        x.push(f[0]);
        tx.push(f[1]);
        n.push(f[2]);
        w.push(f[3]);
    }
    CustomerData::with_weights(x, tx, n, w).unwrap()
}

/// The estimates rounded as published (FHS 2010, section 4).
fn published() -> BgBbParams {
    BgBbParams::new(1.204, 0.750, 0.657, 2.783).unwrap()
}

/// The unrounded maximum-likelihood estimates (the reference values for the
/// aggregate predictions were derived from these, not from the rounded ones).
fn mle() -> BgBbParams {
    BgBbFitter::default().fit(&donations()).unwrap().params
}

#[test]
fn fit_reproduces_the_published_estimates() {
    let data = donations();
    assert_eq!(data.total_weight(), 11_104.0);
    let fit = BgBbFitter::default().fit(&data).unwrap();
    let p = fit.params;
    println!("{p:?}\n{:?}", fit.report);
    assert!(fit.report.converged, "{}", fit.report.termination);
    assert_estimates(&p, &[1.204, 0.750, 0.657, 2.783]);
    assert_rel("log-likelihood", fit.report.log_likelihood, -33225.58, 1e-5);
    assert_rel(
        "total LL",
        p.total_log_likelihood(&data).unwrap(),
        fit.report.log_likelihood,
        1e-12,
    );
    assert_eq!(fit.report.standard_errors.len(), 4);
    assert!(fit.report.standard_errors.iter().all(|s| *s > 0.0));
}

#[test]
fn probability_alive_of_three_histories() {
    let p = published();
    for ((x, t_x), want) in [((0.0, 0.0), 0.11), ((2.0, 4.0), 0.59), ((6.0, 6.0), 0.93)] {
        let got = p.probability_alive(x, t_x, 6.0).unwrap();
        assert_abs(&format!("P(alive | {x}, {t_x}, 6)"), got, want, 0.01);
    }
}

#[test]
fn expected_transactions_of_the_whole_cohort() {
    let p = mle();
    let data = donations();
    let total: f64 = (0..data.len())
        .map(|i| {
            let c = data.customer(i);
            data.weight[i] * p.expected_purchases(&c, 5.0)
        })
        .sum();
    println!("expected transactions in the next 5 opportunities: {total:.2}");
    assert_abs(
        "expected transactions in 5 opportunities",
        total,
        12884.2,
        0.5,
    );
    // Fractional horizons count whole opportunities only.
    let c = data.customer(5);
    assert_eq!(p.expected_purchases(&c, 5.9), p.expected_purchases(&c, 5.0));
    assert_eq!(p.expected_purchases(&c, 0.9), 0.0);
}

#[test]
fn expected_transaction_count_histogram() {
    let p = mle();
    let want = [3454.9, 1888.6, 1348.9, 1113.4, 1017.9, 1027.2, 1253.1];
    let dist = p.transaction_count_distribution(6);
    println!(
        "expected donors: {:.2?}",
        dist.iter().map(|q| 11_104.0 * q).collect::<Vec<_>>()
    );
    assert_eq!(dist.len(), 7);
    for (x, (pr, w)) in dist.iter().zip(want).enumerate() {
        assert_abs(
            &format!("donors with {x} transactions"),
            11_104.0 * pr,
            w,
            0.5,
        );
    }
    let total: f64 = dist.iter().sum();
    assert_rel("sum of P(X(6)=x)", total, 1.0, 1e-12);
    // Its mean is E[X(n)].
    let mean: f64 = dist.iter().enumerate().map(|(x, p)| x as f64 * p).sum();
    assert_rel("mean of X(6)", mean, p.expected_purchases_new(6.0), 1e-12);
}

#[test]
fn dert_is_the_discounted_sum_of_expected_transactions() {
    let p = published();
    let d = 0.1f64;
    for (x, t_x) in [(0.0, 0.0), (2.0, 4.0), (6.0, 6.0)] {
        let mut direct = 0.0;
        let mut last = 0.0;
        for k in 1..4000 {
            let e = p
                .conditional_expected_transactions(x, t_x, 6.0, k as f64)
                .unwrap();
            direct += (e - last) / (1.0 + d).powi(k);
            last = e;
        }
        let dert = p.dert(d, x, t_x, 6.0).unwrap();
        assert_rel("DERT", dert, direct, 1e-6);
    }
    // gamma < 1: undiscounted future transactions are infinite.
    assert_eq!(p.dert(0.0, 2.0, 4.0, 6.0).unwrap(), f64::INFINITY);
}

#[test]
fn trait_contract() {
    let p = published();
    assert_eq!(p.name(), "bg-bb");
    let q = p.with_params(&p.param_values()).unwrap();
    assert_eq!(q.param_names(), ["alpha", "beta", "gamma", "delta"]);
    assert!(p.with_params(&[1.0; 3]).is_err());
    let c = clv_core::Customer::new(2.0, 4.0, 6.0).unwrap();
    let e = p.expected_purchases(&c, 5.0);
    let direct = p
        .conditional_expected_transactions(2.0, 4.0, 6.0, 5.0)
        .unwrap();
    assert_rel("E = P(alive) E_alive", e, direct, 1e-14);
}
