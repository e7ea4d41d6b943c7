//! Shared test helpers: the published CDNOW summary.
#![allow(dead_code)]

use clv_core::CustomerData;

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
