//! Analytic gradients against central finite differences.

mod common;

use clv_core::CustomerData;
use clv_core::bgnbd::BgNbdParams;
use clv_core::gamma_gamma::{GammaGammaParams, log_likelihood_gradient};
use common::cdnow;

/// Central difference of `f` in coordinate `i` with a relative step, and
/// its expected error: truncation plus rounding of `f` (about `1e-14 |f|`
/// for sums of thousands of terms) divided by the step.
fn central(f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize) -> (f64, f64) {
    let h = 1e-5 * x[i].abs().max(1e-3);
    let (mut up, mut down) = (x.to_vec(), x.to_vec());
    up[i] += h;
    down[i] -= h;
    let (fu, fd) = (f(&up), f(&down));
    let d = fu - fd;
    let width = up[i] - down[i];
    (d / width, 1e-14 * fu.abs().max(fd.abs()) / width)
}

fn check(name: &str, analytic: &[f64], numeric: &[(f64, f64)]) {
    for (i, (a, (n, noise))) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - n).abs() <= 1e-7 * a.abs().max(n.abs()) + 10.0 * noise,
            "{name}: component {i}: analytic {a}, numeric {n} (noise {noise:.1e})"
        );
    }
}

fn bgnbd_check(data: &CustomerData, p: [f64; 4]) {
    let params = BgNbdParams::new(p[0], p[1], p[2], p[3]).unwrap();
    let (ll, g) = params.log_likelihood_gradient(data);
    assert!((ll - params.total_log_likelihood(data)).abs() <= 1e-9 * ll.abs());
    let f = |x: &[f64]| {
        BgNbdParams::new(x[0], x[1], x[2], x[3])
            .unwrap()
            .total_log_likelihood(data)
    };
    let numeric: Vec<(f64, f64)> = (0..4).map(|i| central(&f, &p, i)).collect();
    check(&format!("BG/NBD at {p:?}"), &g, &numeric);
}

#[test]
fn bgnbd_gradient_matches_finite_differences() {
    let (data, _) = cdnow();
    for p in [
        [0.243, 4.414, 0.793, 2.426],
        [1.5, 20.0, 0.2, 8.0],
        [0.05, 0.5, 3.0, 0.7],
        [3.0, 2.0, 1.0, 1.5],
    ] {
        bgnbd_check(&data, p);
    }
    // Heavy buyers and weights (x up to 2000).
    let heavy = CustomerData::with_weights(
        vec![0.0, 1.0, 30.0, 200.0, 2000.0],
        vec![0.0, 3.5, 37.0, 38.0, 99.0],
        vec![40.0, 10.0, 39.0, 40.0, 100.0],
        vec![3.0, 1.0, 2.5, 1.0, 1.0],
    )
    .unwrap();
    bgnbd_check(&heavy, [0.25, 4.0, 0.8, 2.5]);
    bgnbd_check(&heavy, [2.0, 0.7, 5.0, 30.0]);
}

#[test]
fn gamma_gamma_gradient_matches_finite_differences() {
    let (data, zbar) = cdnow();
    let w: Vec<f64> = (0..data.len()).map(|i| 1.0 + (i % 3) as f64).collect();
    for p in [[6.25, 3.74, 15.44], [0.5, 0.8, 2.0], [40.0, 12.0, 300.0]] {
        let f = |x: &[f64]| {
            let q = GammaGammaParams::new(x[0], x[1], x[2]).unwrap();
            log_likelihood_gradient(&q, &data.frequency, &zbar, &w)
                .unwrap()
                .0
        };
        let q = GammaGammaParams::new(p[0], p[1], p[2]).unwrap();
        let (_, g) = log_likelihood_gradient(&q, &data.frequency, &zbar, &w).unwrap();
        let numeric: Vec<(f64, f64)> = (0..3).map(|i| central(&f, &p, i)).collect();
        check(&format!("Gamma-Gamma at {p:?}"), &g, &numeric);
    }
}
