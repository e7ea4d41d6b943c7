//! MBG/NBD golden tests on the CDNOW sample (2,357 customers, 39 weeks):
//! Batislam, Denizel & Filiztekin (2007), "Empirical validation and
//! comparison of models for customer base analysis", IJRM 24(3), with the
//! values re-derived from the CDNOW data in `data/` (the same estimates as
//! `lifetimes`' ModifiedBetaGeoFitter on this sample).

mod common;

use clv_core::Customer;
use clv_core::mbg_nbd::{MbgNbdFitter, MbgNbdParams};
use clv_core::model::{ParametricModel, PurchaseModel};
use common::{assert_estimates, assert_rel, cdnow};

fn rounded() -> MbgNbdParams {
    MbgNbdParams::new(0.525, 6.183, 0.891, 1.614).unwrap()
}

#[test]
fn fit_reproduces_the_reference_estimates() {
    let (data, _) = cdnow();
    let fit = MbgNbdFitter::default().fit(&data).unwrap();
    let p = fit.params;
    println!("{p:?}\n{:?}", fit.report);
    // Re-derived (MBG/NBD): r, alpha, a, b = 0.525, 6.183, 0.891, 1.614.
    assert_estimates(&p, &[0.525, 6.183, 0.891, 1.614]);
    // LL = -9582.13 (re-derived from the data).
    assert_rel("log-likelihood", fit.report.log_likelihood, -9582.13, 1e-5);
    assert!(fit.report.converged, "{}", fit.report.termination);
    assert_eq!(fit.report.n_params, 4);
    assert_eq!(fit.report.n_customers, 2357.0);
    assert_eq!(fit.report.standard_errors.len(), 4);
    assert!(
        fit.report
            .standard_errors
            .iter()
            .all(|s| s.is_finite() && *s > 0.0)
    );
    assert_rel(
        "total LL",
        p.total_log_likelihood(&data),
        fit.report.log_likelihood,
        1e-12,
    );
    // The fit is a maximum: a start elsewhere ends at the same point.
    let other = MbgNbdFitter {
        start: Some(MbgNbdParams::new(2.0, 20.0, 3.0, 5.0).unwrap()),
        ..MbgNbdFitter::default()
    }
    .fit(&data)
    .unwrap();
    assert!(other.report.log_likelihood <= fit.report.log_likelihood + 1e-6);
}

#[test]
fn x200_log_likelihood() {
    // Naive formulas overflow here; reference 91.808242 (re-derived from the data).
    let p = MbgNbdParams::new(0.53, 6.18, 0.89, 1.614).unwrap();
    let c = Customer::new(200.0, 38.0, 40.0).unwrap();
    assert_rel("ln L", p.log_likelihood(&c), 91.808242, 1e-4);
}

#[test]
fn one_time_buyers_can_be_inactive() {
    // The point of the MBG/NBD: P(alive | x = 0) < 1, and it falls with age.
    let p = rounded();
    let young = p.probability_alive(0.0, 0.0, 1.0);
    let old = p.probability_alive(0.0, 0.0, 38.0);
    assert!(old < young && young < 1.0, "{young} {old}");
    // At T = 0 it is the probability of surviving the first purchase, b/(a+b).
    let at_birth = p.probability_alive(0.0, 0.0, 0.0);
    assert_rel(
        "P(alive | 0, 0, 0)",
        at_birth,
        1.614 / (0.891 + 1.614),
        1e-12,
    );
}

#[test]
fn purchase_count_distribution_is_consistent_with_the_expectations() {
    let p = rounded();
    for t in [2.0, 39.0, 78.0] {
        let total: f64 = (0..600).map(|n| p.prob_purchases(n, t).unwrap()).sum();
        assert_rel("sum of P(X(t)=n)", total, 1.0, 1e-9);
        let mean: f64 = (0..3000)
            .map(|n| n as f64 * p.prob_purchases(n, t).unwrap())
            .sum();
        assert_rel("mean of X(t)", mean, p.expected_purchases_new(t), 1e-8);
    }
}

#[test]
fn conditional_expectation_is_p_alive_times_expectation_if_alive() {
    let p = rounded();
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let e = p.expected_purchases(&c, 39.0);
    let direct = p
        .conditional_expected_purchases(2.0, 30.43, 38.86, 39.0)
        .unwrap();
    assert_rel("E[Y(39)]", e, direct, 1e-14);
    assert!(e > 0.0 && e < p.expected_purchases_if_alive(2.0, 38.86, 39.0));
    // The trait's parameter round trip.
    let q = p.with_params(&p.param_values()).unwrap();
    assert_eq!(q.param_names(), ["r", "alpha", "a", "b"]);
    assert_eq!(q.name(), "mbg-nbd");
    assert!(p.with_params(&[1.0, 2.0, 3.0]).is_err());
}
