//! Property tests: BG/NBD predictions stay finite and sensible over wide
//! parameter and data ranges (x up to 2000, t_x <= T up to 1000).

use clv_core::Customer;
use clv_core::bgnbd::BgNbdParams;
use clv_core::model::PurchaseModel;
use proptest::prelude::*;

fn params() -> impl Strategy<Value = BgNbdParams> {
    (-3.0f64..3.5, -3.0f64..6.5, -3.0f64..3.5, -3.0f64..3.5).prop_map(|(r, al, a, b)| {
        BgNbdParams::new(
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
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn predictions_are_finite_bounded_and_monotone(
        p in params(),
        c in customer(),
        t1 in 1e-3f64..500.0,
        dt in 1e-3f64..500.0,
    ) {
        let pa = p.p_alive(&c);
        prop_assert!(pa.is_finite() && (0.0..=1.0).contains(&pa), "p_alive {pa}");
        if c.frequency == 0.0 {
            prop_assert_eq!(pa, 1.0);
        }
        let ll = p.log_likelihood(&c);
        prop_assert!(ll.is_finite(), "log-likelihood {ll}");
        let e1 = p.conditional_expected_if_alive(c.frequency, c.age, t1).unwrap();
        let e2 = p.conditional_expected_if_alive(c.frequency, c.age, t1 + dt).unwrap();
        prop_assert!(e1.is_finite() && e1 >= 0.0, "E(t1) = {e1}");
        prop_assert!(e2.is_finite() && e2 >= e1 * (1.0 - 1e-9), "E(t1) = {e1} > E(t2) = {e2}");
        let y = p.expected_purchases(&c, t1);
        prop_assert!(y.is_finite() && y >= 0.0, "E[Y] {y}");
        let n1 = p.expected_purchases_new(t1);
        let n2 = p.expected_purchases_new(t1 + dt);
        prop_assert!(n1.is_finite() && n1 >= 0.0 && n2 >= n1 * (1.0 - 1e-9), "E[X]: {n1} {n2}");
    }

    #[test]
    fn purchase_count_probabilities_are_probabilities(p in params(), n in 0u64..300, t in 1e-3f64..1000.0) {
        let pr = p.prob_purchases(n, t).unwrap();
        prop_assert!(pr.is_finite() && (0.0..=1.0 + 1e-12).contains(&pr), "P = {pr}");
    }
}

#[test]
fn expected_purchases_near_a_equal_one_and_long_horizons() {
    // a within 1e-4 of 1 (the 0/0 of equation 10) and horizons far beyond T.
    for a in [1.0 - 5e-5, 1.0, 1.0 + 5e-5, 0.999, 1.001] {
        for r in [0.1, 1.0, 5.0] {
            let p = BgNbdParams::new(r, 3.0, a, 2.0).unwrap();
            for (x, age) in [(0.0, 1.0), (1.0, 100.0), (20.0, 40.0)] {
                let mut last = 0.0;
                for t in [0.5, 10.0, 1000.0, 1e5, 1e7] {
                    let e = p.conditional_expected_if_alive(x, age, t).unwrap();
                    assert!(
                        e.is_finite() && e >= last * (1.0 - 1e-9),
                        "a={a} r={r} x={x} T={age} t={t}: {e} after {last}"
                    );
                    last = e;
                }
            }
        }
    }
}
