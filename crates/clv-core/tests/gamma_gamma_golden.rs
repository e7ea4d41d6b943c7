//! Gamma-Gamma golden tests on the 946 CDNOW repeat buyers: Fader, Hardie &
//! Lee (2005), "RFM and CLV: Using Iso-Value Curves", JMR 42(4), and Fader &
//! Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (p = 6.25,
//! q = 3.74, v = 15.44; LL -4055.92 re-derived from the CDNOW data in `data/`).

mod common;

use clv_core::gamma_gamma::{GammaGammaFitter, log_likelihood_gradient};
use common::{assert_abs, assert_rel, cdnow};

#[test]
fn fit_reproduces_the_published_estimates() {
    let (data, zbar) = cdnow();
    let w = vec![1.0; data.len()];
    let fit = GammaGammaFitter::default()
        .fit(&data.frequency, &zbar, &w)
        .unwrap();
    println!("{:?}\n{:?}", fit.params, fit.report);
    let p = fit.params;
    assert_rel("p", p.p(), 6.25, 2e-3);
    assert_rel("q", p.q(), 3.74, 2e-3);
    assert_rel("v", p.v(), 15.44, 2e-3);
    assert_rel("log-likelihood", fit.report.log_likelihood, -4055.92, 1e-5);
    assert_eq!(fit.report.n_customers, 946.0);
    assert!(fit.report.converged);
    assert_eq!(fit.report.standard_errors.len(), 3);
    // The reported LL is the total over repeat buyers.
    let (ll, _) = log_likelihood_gradient(&p, &data.frequency, &zbar, &w).unwrap();
    assert_rel("LL", ll, fit.report.log_likelihood, 1e-12);

    // Expected average spend of the first 10 CDNOW customers (equation 5 of Fader & Hardie 2013 at the estimates, re-derived).
    let want = [
        24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17,
    ];
    for (i, &want) in want.iter().enumerate() {
        let got = p
            .conditional_expected_spend(data.frequency[i], zbar[i])
            .unwrap();
        assert_abs(&format!("E[M] of customer {}", i + 1), got, want, 0.1);
    }
}
