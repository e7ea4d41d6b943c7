//! sBG: analytic gradient against central finite differences, and property
//! tests (probabilities in [0, 1], survival decreasing, retention rates
//! increasing, DERL finite and increasing in the horizon's discount factor).

use clv_core::sbg::{SbgParams, SubscriptionData};
use proptest::prelude::*;

fn data() -> SubscriptionData {
    SubscriptionData::new(
        vec![1, 2, 3, 5, 7, 7, 40, 200],
        vec![true, true, true, true, true, false, false, true],
        vec![369.0, 163.0, 86.0, 37.0, 21.0, 241.0, 3.5, 1.0],
    )
    .unwrap()
}

#[test]
fn gradient_matches_finite_differences() {
    let d = data();
    for p in [[0.704, 1.182], [0.05, 0.3], [30.0, 2.0], [1.0, 100.0]] {
        let params = SbgParams::new(p[0], p[1]).unwrap();
        let (ll, g) = params.log_likelihood_gradient(&d);
        assert!((ll - params.log_likelihood(&d)).abs() <= 1e-12 * ll.abs());
        for (i, gi) in g.iter().enumerate() {
            let h = 1e-5 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let f = |q: [f64; 2]| SbgParams::new(q[0], q[1]).unwrap().log_likelihood(&d);
            let (fu, fd) = (f(up), f(down));
            let numeric = (fu - fd) / (up[i] - down[i]);
            let noise = 1e-14 * fu.abs().max(fd.abs()) / (up[i] - down[i]);
            assert!(
                (gi - numeric).abs() <= 1e-7 * gi.abs().max(numeric.abs()) + 10.0 * noise,
                "sBG at {p:?}: component {i}: analytic {gi}, numeric {numeric}"
            );
        }
    }
}

fn params() -> impl Strategy<Value = SbgParams> {
    (-3.0f64..3.0, -3.0f64..3.0)
        .prop_map(|(a, b)| SbgParams::new(10f64.powf(a / 1.5), 10f64.powf(b / 1.5)).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn probabilities_and_projections_are_sensible(p in params(), t in 1u32..500, d in 0.0f64..2.0) {
        let (s_prev, s) = (p.survival(t - 1), p.survival(t));
        let pt = p.prob_churn(t);
        prop_assert!((0.0..=1.0).contains(&s) && s <= s_prev, "S: {s_prev} then {s}");
        prop_assert!((0.0..=1.0).contains(&pt), "P(T=t) = {pt}");
        prop_assert!((s_prev - s - pt).abs() <= 1e-12, "S(t-1) - S(t) != P(T=t)");
        let (r1, r2) = (p.retention_rate(t), p.retention_rate(t + 1));
        prop_assert!(r1 > 0.0 && r1 < 1.0 && r2 >= r1, "r: {r1} then {r2}");
        let e = p.expected_lifetime();
        prop_assert!(!e.is_nan() && e >= 1.0);
        prop_assert_eq!(e.is_infinite(), p.alpha() <= 1.0);
        let n = (t % 50) + 1;
        let derl = p.derl(d, n).unwrap();
        prop_assert!(derl.is_finite() || (d == 0.0 && p.alpha() <= 1.0), "DERL {derl}");
        prop_assert!(derl >= 0.0 && !derl.is_nan());
        // Less discounting, longer discounted lifetime.
        let further = p.derl(d + 0.5, n).unwrap();
        prop_assert!(further <= derl * (1.0 + 1e-10), "DERL({d}) = {derl} < DERL({}) = {further}", d + 0.5);
        // DERL is bounded by the undiscounted geometric series of the next retention rate's upper bound 1.
        prop_assert!(further <= (1.0 + d + 0.5) / (d + 0.5) * (1.0 + 1e-10));
    }

    #[test]
    fn fitted_log_likelihood_is_finite(p in params()) {
        let ll = p.log_likelihood(&data());
        prop_assert!(ll.is_finite() && ll < 0.0);
    }
}
