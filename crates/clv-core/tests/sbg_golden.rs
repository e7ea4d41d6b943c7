//! Shifted-beta-geometric golden tests: Fader & Hardie (2007), "How to
//! project customer retention", JIM 21(1) (Table 1 data, estimates and
//! log-likelihoods of section 4) and Fader & Hardie (2010), "Customer-base
//! valuation in a contractual setting", Marketing Science 29(1) (DERL
//! examples); the Table 1 survivor counts are in
//! `tests/data/retention_fader_hardie_2007.csv`.

mod common;

use clv_core::sbg::{SbgFitter, SbgParams, SubscriptionData};
use common::{assert_abs, assert_rel};

/// Survivors per 1,000 for the regular and high-end cohorts, years 0-12
/// (FH 2007, Table 1; `tests/data/retention_fader_hardie_2007.csv`).
fn cohorts() -> (Vec<f64>, Vec<f64>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/retention_fader_hardie_2007.csv"
    );
    let text = std::fs::read_to_string(path).expect("retention data");
    let (mut regular, mut high) = (vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        regular.push(f[1]);
        high.push(f[2]);
    }
    assert_eq!(regular.len(), 13);
    (regular, high)
}

#[test]
fn fits_reproduce_the_published_estimates() {
    let (regular, high) = cohorts();
    // Years 1-7 calibrate (FH 2007, section 4).
    for (name, survivors, alpha, beta, ll) in [
        ("regular", &regular, 0.704, 1.182, -1680.27),
        ("high end", &high, 0.668, 3.806, -1611.16),
    ] {
        let data = SubscriptionData::from_survivors(&survivors[..=7]).unwrap();
        assert_eq!(data.total_weight(), 1000.0);
        let fit = SbgFitter::default().fit(&data).unwrap();
        println!("{name}: {:?}\n{:?}", fit.params, fit.report);
        assert!(fit.report.converged, "{name}: {}", fit.report.termination);
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        assert_rel(
            &format!("{name} alpha"),
            round(fit.params.alpha()),
            alpha,
            1e-3,
        );
        assert_rel(
            &format!("{name} beta"),
            round(fit.params.beta()),
            beta,
            1e-3,
        );
        assert_rel(&format!("{name} LL"), fit.report.log_likelihood, ll, 1e-5);
        assert_rel(
            "LL method",
            fit.params.log_likelihood(&data),
            fit.report.log_likelihood,
            1e-12,
        );
        assert_eq!(fit.report.standard_errors.len(), 2);
        assert!(fit.report.standard_errors.iter().all(|s| *s > 0.0));
        // The projection tracks the holdout years 8-12 (FH 2007, Figure 4:
        // within a few survivors per 1,000; asserted within 5%).
        let curve = fit.params.survival_curve(12);
        for year in 8..=12 {
            let projected = 1000.0 * curve[year - 1];
            let actual = survivors[year];
            assert!(
                (projected - actual).abs() <= 0.05 * actual,
                "{name} year {year}: projected {projected:.1}, actual {actual}"
            );
        }
    }
}

#[test]
fn discounted_expected_residual_lifetimes() {
    // FH (2010): DERL at d = 0.1 for a customer in period n = 1..5.
    for (alpha, beta, want, tol) in [
        (3.80, 15.20, [3.31, 3.45, 3.59, 3.72, 3.84], 0.01),
        (0.067, 0.267, [7.68, 9.46, 9.86, 10.06, 10.19], 0.02),
    ] {
        let p = SbgParams::new(alpha, beta).unwrap();
        for (i, w) in want.iter().enumerate() {
            let n = i as u32 + 1;
            let got = p.derl(0.1, n).unwrap();
            assert_abs(&format!("DERL({alpha}, {beta}, n={n})"), got, *w, tol);
        }
    }
}

#[test]
fn derl_is_the_discounted_sum_of_the_survival_curve() {
    let p = SbgParams::new(0.704, 1.182).unwrap();
    let curve = p.survival_curve(3000);
    for n in [1u32, 2, 7] {
        let s_prev = p.survival(n - 1);
        let direct: f64 = (n..3000)
            .map(|t| curve[t as usize - 1] / s_prev / 1.1f64.powi((t - n) as i32))
            .sum();
        assert_rel("DERL", p.derl(0.1, n).unwrap(), direct, 1e-10);
    }
    // d = 0 and alpha > 1: the expected residual lifetime (beta+n-1)/(alpha-1).
    let q = SbgParams::new(2.5, 4.0).unwrap();
    assert_rel("DERL(0)", q.derl(0.0, 3).unwrap(), 6.0 / 1.5, 1e-12);
    assert_rel("DERL(1e-9)", q.derl(1e-9, 3).unwrap(), 6.0 / 1.5, 1e-6);
}

#[test]
fn retention_elasticity_matches_its_definition() {
    // Every retention rate times 1.01 (module docs): the survival curve from
    // period n on grows by 1.01^(t-n+1).
    let p = SbgParams::new(0.704, 1.182).unwrap();
    let (d, n) = (0.1f64, 2u32);
    let curve = p.survival_curve(5000);
    let s_prev = p.survival(n - 1);
    let (mut base, mut up) = (0.0, 0.0);
    for t in n..5000 {
        let term = curve[t as usize - 1] / s_prev / (1.0 + d).powi((t - n) as i32);
        base += term;
        up += term * 1.01f64.powi((t - n + 1) as i32);
    }
    let e = p.retention_elasticity(d, n).unwrap();
    assert_rel("elasticity", e, 100.0 * (up / base - 1.0), 1e-8);
    // Heterogeneity makes the elasticity larger than the 1% of the first
    // renewal alone, and it falls with the discount rate.
    assert!(e > 1.0);
    assert!(p.retention_elasticity(0.2, n).unwrap() < e);
    assert!(p.retention_elasticity(0.01, n).is_err());
}
