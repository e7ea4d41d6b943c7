//! Property tests: Pareto/NBD log-likelihood and predictions stay finite and
//! sensible for x up to 2000, t_x <= T up to 1000 and parameters over four
//! orders of magnitude (0.01 to 100).

use clv_core::Customer;
use clv_core::model::PurchaseModel;
use clv_core::pareto_nbd::ParetoNbdParams;
use proptest::prelude::*;

fn params() -> impl Strategy<Value = ParetoNbdParams> {
    (-2.0f64..=2.0, -2.0f64..=2.0, -2.0f64..=2.0, -2.0f64..=2.0).prop_map(|(r, al, s, b)| {
        ParetoNbdParams::new(10f64.powf(r), 10f64.powf(al), 10f64.powf(s), 10f64.powf(b)).unwrap()
    })
}

fn customer() -> impl Strategy<Value = Customer> {
    (0u32..=2000, 1e-3f64..=1000.0, 0.0f64..=1.0).prop_map(|(x, age, frac)| {
        let x = f64::from(x);
        let t_x = if x == 0.0 { 0.0 } else { age * frac };
        Customer::new(x, t_x, age).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn predictions_are_finite_bounded_and_monotone(
        p in params(),
        c in customer(),
        t1 in 1e-3f64..500.0,
        dt in 1e-3f64..500.0,
    ) {
        let ll = p.log_likelihood(&c);
        prop_assert!(ll.is_finite(), "log-likelihood {ll}");
        let pa = p.p_alive(&c);
        prop_assert!(pa.is_finite() && (0.0..=1.0).contains(&pa), "p_alive {pa}");
        let e1 = p.expected_purchases(&c, t1);
        let e2 = p.expected_purchases(&c, t1 + dt);
        prop_assert!(e1.is_finite() && e1 >= 0.0, "E(t1) = {e1}");
        // Non-decreasing up to rounding (the curve is flat once customers are gone).
        prop_assert!(e2.is_finite() && e2 >= e1 * (1.0 - 1e-12), "E(t1) = {e1} > E(t2) = {e2}");
        let n1 = p.expected_purchases_new(t1);
        let n2 = p.expected_purchases_new(t1 + dt);
        prop_assert!(n1.is_finite() && n1 >= 0.0 && n2 >= n1 * (1.0 - 1e-12), "E[X]: {n1}, {n2}");
    }

    #[test]
    fn log_likelihood_agrees_with_quadrature(p in params(), c in customer()) {
        let a = p.log_likelihood(&c);
        let b = p.customer_log_likelihood_by_quadrature(c.frequency, c.recency, c.age);
        prop_assert!((a - b).abs() <= 1e-8 * a.abs().max(1.0), "{a} vs {b}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn dert_and_distribution_are_finite_and_bounded(
        p in params(),
        c in customer(),
        delta in 1e-4f64..1.0,
        n in 0u64..50,
        t in 1e-2f64..500.0,
    ) {
        let d = p.dert(c.frequency, c.recency, c.age, delta).unwrap();
        prop_assert!(d.is_finite() && d >= 0.0, "DERT {d}");
        let q = p.prob_purchases(n, t).unwrap();
        prop_assert!(q.is_finite() && (0.0..=1.0).contains(&q), "P(X(t) = n) = {q}");
        let qc = p.conditional_prob_purchases(n, c.frequency, c.recency, c.age, t).unwrap();
        prop_assert!(qc.is_finite() && (0.0..=1.0).contains(&qc), "P(Y(t) = n | ...) = {qc}");
    }
}

#[test]
fn p_alive_decreases_with_the_time_since_the_last_purchase() {
    let p = ParetoNbdParams::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    let mut last = 1.0;
    for k in (0..=40).rev() {
        let pa = p.probability_alive(10.0, f64::from(k), 40.0);
        assert!(pa <= last + 1e-15, "t_x = {k}: {pa} > {last}");
        last = pa;
    }
    assert_eq!(p.probability_alive(10.0, 40.0, 40.0), 1.0);
    // Without repeat purchases a customer may still have left (unlike BG/NBD).
    assert!(p.probability_alive(0.0, 0.0, 40.0) < 1.0);
}

proptest! {
    // Few cases: tiny samples often have their maximum at infinity (for
    // example s, beta -> inf, a common dropout rate), where every start runs
    // to its iteration limit (seconds per fit).
    #![proptest_config(ProptestConfig::with_cases(5))]

    #[test]
    fn fitting_small_random_data_never_panics(
        rows in proptest::collection::vec((0u32..30, 0.0f64..=1.0, 0.1f64..100.0), 1..30),
    ) {
        let (mut x, mut tx, mut age) = (vec![], vec![], vec![]);
        for (f, frac, t) in rows {
            let f = f64::from(f);
            x.push(f);
            tx.push(if f == 0.0 { 0.0 } else { t * frac });
            age.push(t);
        }
        let data = clv_core::CustomerData::new(x, tx, age).unwrap();
        match clv_core::pareto_nbd::ParetoNbdFitter::default().fit(&data) {
            Ok(fit) => {
                prop_assert!(fit.report.log_likelihood.is_finite());
                prop_assert!(fit.params.to_array().iter().all(|v| v.is_finite() && *v > 0.0));
                let ll = fit.params.total_log_likelihood(&data);
                prop_assert!((ll - fit.report.log_likelihood).abs() <= 1e-9 * ll.abs().max(1.0));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
