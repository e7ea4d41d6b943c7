//! BG/NBD golden tests on the CDNOW sample: Fader, Hardie & Lee (2005),
//! "Counting your customers the easy way", Marketing Science 24(2), section 5
//! and equations (8)-(10), with the values re-derived from the CDNOW data in
//! `data/` (they agree with the paper's rounded estimates).

mod common;

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::model::PurchaseModel;
use common::{assert_abs, assert_estimates, assert_rel, assert_standard_errors, cdnow};

fn rounded() -> BgNbdParams {
    // Parameter estimates reported in FHL (2005), section 4.
    BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap()
}

#[test]
fn fit_reproduces_the_published_estimates() {
    let (data, _) = cdnow();
    let fit = BgNbdFitter::default().fit(&data).unwrap();
    let p = fit.params;
    println!("{p:?}\n{:?}", fit.report);
    // FHL (2005) section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
    assert_estimates(&p, &[0.243, 4.414, 0.793, 2.426]);
    // LL = -9582.4 (FHL 2005, section 4); reference value -9582.43.
    assert_rel("log-likelihood", fit.report.log_likelihood, -9582.43, 1e-5);
    // Standard errors (observed information, re-derived from the data).
    assert_standard_errors(&fit.report, &[0.012557, 0.378221, 0.185719, 0.705345]);
    assert!(fit.report.converged, "{}", fit.report.termination);
    assert_eq!(fit.report.n_params, 4);
    assert_eq!(fit.report.n_customers, 2357.0);
    assert_rel("aic", fit.report.aic, 2.0 * 4.0 + 2.0 * 9582.43, 1e-5);
    // The total log-likelihood method agrees with the fit report.
    assert_rel(
        "total LL",
        p.total_log_likelihood(&data),
        fit.report.log_likelihood,
        1e-12,
    );
}

#[test]
fn conditional_expectation_of_the_paper_example() {
    // FHL (2005) section 4: a customer with x = 2, t_x = 30.43, T = 38.86
    // is expected to make 1.226 purchases in the next 39 weeks.
    let e = rounded()
        .conditional_expected_purchases(2.0, 30.43, 38.86, 39.0)
        .unwrap();
    assert_abs("E[Y(39)]", e, 1.226, 1e-3);
}

#[test]
fn probability_of_purchase_counts() {
    let p = rounded();
    // P(X(39) = 0) = 0.5737864, P(X(2) = 10) = 1.07869e-07 (equation 8 at the estimates, re-derived).
    assert_rel(
        "P(X(39)=0)",
        p.prob_purchases(0, 39.0).unwrap(),
        0.5737864,
        1e-6,
    );
    assert_rel(
        "P(X(2)=10)",
        p.prob_purchases(10, 2.0).unwrap(),
        1.07869e-07,
        1e-4,
    );
    // The distribution sums to one.
    let total: f64 = (0..400).map(|n| p.prob_purchases(n, 39.0).unwrap()).sum();
    assert_rel("sum of P(X(39)=n)", total, 1.0, 1e-10);
    // Its mean is E[X(t)].
    let mean: f64 = (0..2000)
        .map(|n| n as f64 * p.prob_purchases(n, 39.0).unwrap())
        .sum();
    assert_rel("mean of X(39)", mean, p.expected_purchases_new(39.0), 1e-8);
}

#[test]
fn x200_log_likelihood() {
    // Naive formulas overflow here; reference 100.7957.
    let p = BgNbdParams::new(0.25, 4.0, 0.8, 2.5).unwrap();
    let c = clv_core::Customer::new(200.0, 38.0, 40.0).unwrap();
    assert_rel("ln L", p.log_likelihood(&c), 100.7957, 1e-4);
}
