//! MBG/NBD: analytic gradient against central finite differences, and
//! property tests (probabilities in [0, 1], expectations finite and
//! increasing in the horizon) over wide parameter and data ranges.

mod common;

use clv_core::mbg_nbd::MbgNbdParams;
use clv_core::model::PurchaseModel;
use clv_core::{Customer, CustomerData};
use common::cdnow;
use proptest::prelude::*;

/// Central difference of `f` in coordinate `i` and its rounding noise.
fn central(f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize) -> (f64, f64) {
    let h = 1e-5 * x[i].abs().max(1e-3);
    let (mut up, mut down) = (x.to_vec(), x.to_vec());
    up[i] += h;
    down[i] -= h;
    let (fu, fd) = (f(&up), f(&down));
    let width = up[i] - down[i];
    ((fu - fd) / width, 1e-14 * fu.abs().max(fd.abs()) / width)
}

fn gradient_check(data: &CustomerData, p: [f64; 4]) {
    let params = MbgNbdParams::new(p[0], p[1], p[2], p[3]).unwrap();
    let (ll, g) = params.log_likelihood_gradient(data);
    assert!((ll - params.total_log_likelihood(data)).abs() <= 1e-12 * ll.abs());
    let f = |x: &[f64]| {
        MbgNbdParams::new(x[0], x[1], x[2], x[3])
            .unwrap()
            .total_log_likelihood(data)
    };
    for (i, gi) in g.iter().enumerate() {
        let (n, noise) = central(&f, &p, i);
        assert!(
            (gi - n).abs() <= 1e-7 * gi.abs().max(n.abs()) + 10.0 * noise,
            "MBG/NBD at {p:?}: component {i}: analytic {gi}, numeric {n}"
        );
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let (data, _) = cdnow();
    for p in [
        [0.525, 6.183, 0.891, 1.614],
        [1.5, 20.0, 0.2, 8.0],
        [0.05, 0.5, 3.0, 0.7],
        [3.0, 2.0, 1.0, 1.5],
    ] {
        gradient_check(&data, p);
    }
    let heavy = CustomerData::with_weights(
        vec![0.0, 1.0, 30.0, 200.0, 2000.0],
        vec![0.0, 3.5, 37.0, 38.0, 99.0],
        vec![40.0, 10.0, 39.0, 40.0, 100.0],
        vec![3.0, 1.0, 2.5, 1.0, 1.0],
    )
    .unwrap();
    gradient_check(&heavy, [0.25, 4.0, 0.8, 2.5]);
    gradient_check(&heavy, [2.0, 0.7, 5.0, 30.0]);
}

fn params() -> impl Strategy<Value = MbgNbdParams> {
    (-3.0f64..3.5, -3.0f64..6.5, -3.0f64..3.5, -3.0f64..3.5).prop_map(|(r, al, a, b)| {
        MbgNbdParams::new(
            10f64.powf(r / 2.0),
            10f64.powf(al / 2.0),
            10f64.powf(a / 2.0),
            10f64.powf(b / 2.0),
        )
        .unwrap()
    })
}

fn customer() -> impl Strategy<Value = Customer> {
    (0u32..=2000, 1e-3f64..1000.0, 0.0f64..=1.0).prop_map(|(x, age, frac)| {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { age * frac };
        Customer::new(x, t_x, age).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn predictions_are_finite_bounded_and_monotone(
        p in params(),
        c in customer(),
        t1 in 1e-3f64..500.0,
        dt in 1e-3f64..500.0,
    ) {
        let pa = p.p_alive(&c);
        prop_assert!(pa.is_finite() && (0.0..=1.0).contains(&pa), "p_alive {pa}");
        let ll = p.log_likelihood(&c);
        prop_assert!(ll.is_finite(), "log-likelihood {ll}");
        let e1 = p.conditional_expected_if_alive(c.frequency, c.age, t1).unwrap();
        let e2 = p.conditional_expected_if_alive(c.frequency, c.age, t1 + dt).unwrap();
        prop_assert!(e1.is_finite() && e1 >= 0.0, "E(t1) = {e1}");
        prop_assert!(e2.is_finite() && e2 >= e1 * (1.0 - 1e-9), "E(t1) = {e1} > E(t2) = {e2}");
        let y = p.expected_purchases(&c, t1);
        prop_assert!(y.is_finite() && y >= 0.0 && y <= e1 * (1.0 + 1e-12), "E[Y] {y}");
        let n1 = p.expected_purchases_new(t1);
        let n2 = p.expected_purchases_new(t1 + dt);
        prop_assert!(n1.is_finite() && n1 >= 0.0 && n2 >= n1 * (1.0 - 1e-9), "E[X]: {n1} {n2}");
    }

    #[test]
    fn p_alive_falls_with_time_since_the_last_purchase(
        p in params(), x in 0u32..50, t_x in 0.0f64..100.0, gap in 1e-3f64..100.0, more in 1e-3f64..100.0,
    ) {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { t_x };
        let a1 = p.probability_alive(x, t_x, t_x + gap);
        let a2 = p.probability_alive(x, t_x, t_x + gap + more);
        prop_assert!(a2 <= a1 * (1.0 + 1e-12), "{a1} then {a2}");
    }

    #[test]
    fn purchase_count_probabilities_are_probabilities(p in params(), n in 0u64..300, t in 1e-3f64..1000.0) {
        let pr = p.prob_purchases(n, t).unwrap();
        prop_assert!(pr.is_finite() && (0.0..=1.0).contains(&pr), "P = {pr}");
    }
}
