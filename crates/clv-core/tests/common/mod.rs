//! Shared test helpers: the published CDNOW summary, tolerance checks and
//! the simulate-then-refit checks of the recovery tests.
#![allow(dead_code)]

use clv_core::CustomerData;
use clv_core::fit::FitReport;
use clv_core::model::Parameters;

/// The CDNOW sample summary (2,357 customers, weeks): `(data, zbar)`.
pub fn cdnow() -> (CustomerData, Vec<f64>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/cdnow_customers_summary_with_transactions.csv"
    );
    let text = std::fs::read_to_string(path).expect("CDNOW summary");
    let (mut x, mut tx, mut t, mut z) = (vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        x.push(f[1]);
        tx.push(f[2]);
        t.push(f[3]);
        z.push(f[4]);
    }
    (CustomerData::new(x, tx, t).unwrap(), z)
}

/// `|got - want| <= tol * |want|`.
pub fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: got {got}, want {want} (relative tolerance {tol})"
    );
}

/// `|got - want| <= tol`.
pub fn assert_abs(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (absolute tolerance {tol})"
    );
}

/// A simulate-then-refit check of one parameter: 5% of the true value is at
/// least 2.5 standard errors (so the test is not a coin flip), and the
/// estimate is within 5% of it.
pub fn check_recovery(name: &str, got: f64, want: f64, se: f64) {
    println!(
        "{name}: {got:.4} (true {want}, se {se:.4}, {:.2} se)",
        (got - want).abs() / se
    );
    assert!(
        0.05 * want >= 2.5 * se,
        "{name}: 5% of {want} is less than 2.5 standard errors ({se})"
    );
    assert!(
        (got - want).abs() <= 0.05 * want,
        "{name}: estimate {got} not within 5% of {want}"
    );
}

/// [`check_recovery`] for every parameter of a converged fit.
pub fn check_recovered<P: Parameters>(truth: &P, fitted: &P, report: &FitReport) {
    assert!(report.converged, "{}", report.termination);
    let (want, got) = (truth.values(), fitted.values());
    for (i, name) in P::NAMES.iter().enumerate() {
        check_recovery(name, got[i], want[i], report.standard_errors[i]);
    }
}

/// `|got - want| <= 4 sd`: a 4-sigma check of a sum of independent terms.
pub fn within_four_sd(what: &str, got: f64, want: f64, variance: f64) {
    let sd = variance.sqrt();
    println!("{what}: simulated {got:.1}, predicted {want:.1} (sd {sd:.1})");
    assert!(
        (got - want).abs() <= 4.0 * sd,
        "{what}: simulated {got}, predicted {want}, sd {sd}"
    );
}

/// Golden check of fitted estimates: each parameter, rounded to three
/// decimals as papers print them, within `1e-3` (relative) of `published`
/// (in the order of the model's parameter names).
pub fn assert_estimates<P: Parameters>(fitted: &P, published: &[f64]) {
    assert_eq!(published.len(), P::NAMES.len());
    for ((name, got), want) in P::NAMES.iter().zip(fitted.values()).zip(published) {
        assert_rel(name, (got * 1000.0).round() / 1000.0, *want, 1e-3);
    }
}

/// Golden check of standard errors: each within `1e-2` (relative).
pub fn assert_standard_errors(report: &FitReport, want: &[f64]) {
    let se = &report.standard_errors;
    assert_eq!(se.len(), want.len());
    for (got, want) in se.iter().zip(want) {
        assert_rel("standard error", *got, *want, 1e-2);
    }
}
