//! BG/BB: analytic gradient against central finite differences, and
//! property tests (probabilities in [0, 1], expectations finite and
//! increasing in the horizon, the count distribution a distribution).

use clv_core::bgbb::BgBbParams;
use clv_core::model::PurchaseModel;
use clv_core::{Customer, CustomerData};
use proptest::prelude::*;

fn gradient_check(data: &CustomerData, p: [f64; 4]) {
    let params = BgBbParams::new(p[0], p[1], p[2], p[3]).unwrap();
    let (ll, g) = params.log_likelihood_gradient(data).unwrap();
    assert!((ll - params.total_log_likelihood(data).unwrap()).abs() <= 1e-12 * ll.abs());
    let f = |x: &[f64]| {
        BgBbParams::new(x[0], x[1], x[2], x[3])
            .unwrap()
            .total_log_likelihood(data)
            .unwrap()
    };
    for (i, gi) in g.iter().enumerate() {
        let h = 1e-5 * p[i];
        let (mut up, mut down) = (p, p);
        up[i] += h;
        down[i] -= h;
        let (fu, fd) = (f(&up), f(&down));
        let numeric = (fu - fd) / (up[i] - down[i]);
        let noise = 1e-14 * fu.abs().max(fd.abs()) / (up[i] - down[i]);
        assert!(
            (gi - numeric).abs() <= 1e-7 * gi.abs().max(numeric.abs()) + 10.0 * noise,
            "BG/BB at {p:?}: component {i}: analytic {gi}, numeric {numeric}"
        );
    }
}

#[test]
fn gradient_matches_finite_differences() {
    // Mixed lengths of history, up to 400 opportunities.
    let data = CustomerData::with_weights(
        vec![0.0, 1.0, 1.0, 3.0, 6.0, 0.0, 5.0, 40.0, 200.0],
        vec![0.0, 1.0, 6.0, 4.0, 6.0, 0.0, 30.0, 52.0, 390.0],
        vec![6.0, 6.0, 6.0, 6.0, 6.0, 52.0, 52.0, 52.0, 400.0],
        vec![3464.0, 1091.0, 129.0, 181.0, 1203.0, 50.0, 7.0, 3.0, 1.0],
    )
    .unwrap();
    for p in [
        [1.204, 0.750, 0.657, 2.783],
        [0.1, 5.0, 3.0, 0.4],
        [20.0, 15.0, 0.05, 40.0],
        [1.0, 1.0, 1.0, 1.0],
    ] {
        gradient_check(&data, p);
    }
}

fn params() -> impl Strategy<Value = BgBbParams> {
    (-3.0f64..3.0, -3.0f64..3.0, -3.0f64..3.0, -3.0f64..3.0).prop_map(|(a, b, g, d)| {
        BgBbParams::new(
            10f64.powf(a / 1.5),
            10f64.powf(b / 1.5),
            10f64.powf(g / 1.5),
            10f64.powf(d / 1.5),
        )
        .unwrap()
    })
}

fn customer() -> impl Strategy<Value = Customer> {
    (0u32..=300, 0.0f64..=1.0, 0.0f64..=1.0).prop_map(|(n, fx, ft)| {
        let n = f64::from(n);
        let t_x = (n * ft).round();
        let x = if t_x == 0.0 {
            0.0
        } else {
            (1.0 + (t_x - 1.0) * fx).round()
        };
        Customer::new(x, t_x, n).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn predictions_are_finite_bounded_and_monotone(
        p in params(),
        c in customer(),
        t1 in 0.0f64..300.0,
        dt in 0.0f64..300.0,
    ) {
        let pa = p.p_alive(&c);
        prop_assert!(pa.is_finite() && (0.0..=1.0).contains(&pa), "p_alive {pa}");
        let ll = p.log_likelihood(&c);
        prop_assert!(ll.is_finite() && ll <= 1e-12, "log-likelihood {ll}");
        let e1 = p.expected_purchases_if_alive(c.frequency, c.age, t1);
        let e2 = p.expected_purchases_if_alive(c.frequency, c.age, t1 + dt);
        prop_assert!(e1.is_finite() && e1 >= 0.0, "E(t1) = {e1}");
        prop_assert!(e2 >= e1 && e2 <= (t1 + dt).floor() + 1e-9, "E: {e1} then {e2}");
        let y = p.expected_purchases(&c, t1);
        prop_assert!(y.is_finite() && y >= 0.0 && y <= e1 * (1.0 + 1e-12), "E[Y] {y}");
        let n1 = p.expected_purchases_new(t1);
        let n2 = p.expected_purchases_new(t1 + dt);
        prop_assert!(n1.is_finite() && n1 >= 0.0 && n2 >= n1, "E[X]: {n1} {n2}");
        let dert = p.dert(0.1, c.frequency, c.recency, c.age).unwrap();
        prop_assert!((0.0..=11.0).contains(&dert), "DERT {dert}");
    }

    #[test]
    fn transaction_counts_form_a_distribution(p in params(), n in 0u64..200) {
        let dist = p.transaction_count_distribution(n);
        prop_assert!(dist.iter().all(|q| q.is_finite() && (0.0..=1.0).contains(q)));
        let total: f64 = dist.iter().sum();
        prop_assert!((total - 1.0).abs() < 1e-9, "sum {total}");
    }
}

#[test]
fn long_horizons_stay_finite_and_monotone() {
    for gamma in [0.3, 1.0, 1.0 + 1e-7, 2.0] {
        let p = BgBbParams::new(1.2, 0.75, gamma, 2.8).unwrap();
        let mut last = 0.0;
        for t in [
            1.0,
            10.0,
            1e3,
            1e5,
            1e5 + 1.0,
            1e7,
            1e12,
            1e16,
            f64::INFINITY,
        ] {
            let e = p.conditional_expected_if_alive(3.0, 6.0, t).unwrap();
            assert!(
                !e.is_nan() && e >= last,
                "gamma={gamma} t={t}: {e} after {last}"
            );
            last = e;
        }
        assert_eq!(last.is_infinite(), gamma <= 1.0, "gamma={gamma}: {last}");
    }
}
