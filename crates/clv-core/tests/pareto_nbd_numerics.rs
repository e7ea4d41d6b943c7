//! Pareto/NBD numerics: the analytic gradient against finite differences,
//! the closed-form likelihood against direct quadrature and the 2F1 form of
//! Fader & Hardie's note, and the distribution and DERT expressions against
//! independent evaluations.

mod common;

use clv_core::CustomerData;
use clv_core::pareto_nbd::ParetoNbdParams;
use clv_core::special::hyp2f1;
use common::{assert_rel, cdnow};

/// Central difference of `f` in coordinate `i` with a relative step, and its
/// expected error (truncation plus rounding of `f`, see `gradients.rs`).
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
    let params = ParetoNbdParams::new(p[0], p[1], p[2], p[3]).unwrap();
    let (ll, g) = params.log_likelihood_gradient(data);
    assert!(ll.is_finite());
    assert!((ll - params.total_log_likelihood(data)).abs() <= 1e-12 * ll.abs());
    let f = |x: &[f64]| {
        ParetoNbdParams::new(x[0], x[1], x[2], x[3])
            .unwrap()
            .total_log_likelihood(data)
    };
    for (i, gi) in g.iter().enumerate() {
        let (n, noise) = central(&f, &p, i);
        assert!(
            (gi - n).abs() <= 1e-7 * gi.abs().max(n.abs()) + 10.0 * noise,
            "Pareto/NBD at {p:?}: component {i}: analytic {gi}, numeric {n} (noise {noise:.1e})"
        );
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let (data, _) = cdnow();
    for p in [
        // alpha < beta, alpha > beta, alpha = beta, and rates a factor 100
        // apart (the quadrature branch).
        [0.553, 10.578, 0.606, 11.669],
        [1.5, 20.0, 0.2, 8.0],
        [0.7, 5.0, 1.3, 5.0],
        [0.05, 0.5, 3.0, 50.0],
        [3.0, 200.0, 0.5, 2.0],
    ] {
        gradient_check(&data, p);
    }
    let heavy = CustomerData::with_weights(
        vec![0.0, 1.0, 30.0, 221.0, 2000.0, 5.0],
        vec![0.0, 3.5, 37.0, 103.43, 99.0, 40.0],
        vec![40.0, 10.0, 39.0, 103.57, 100.0, 40.0],
        vec![3.0, 1.0, 2.5, 1.0, 1.0, 2.0],
    )
    .unwrap();
    gradient_check(&heavy, [0.5143, 2.8845, 0.2856, 14.1087]);
    gradient_check(&heavy, [2.0, 0.7, 5.0, 30.0]);
    gradient_check(&heavy, [0.2, 40.0, 0.3, 0.2]);
}

#[test]
fn closed_form_matches_quadrature_and_the_hypergeometric_form() {
    let cases = [
        (0.0, 0.0, 38.86),
        (2.0, 30.43, 38.86),
        (26.0, 30.86, 31.0),
        (200.0, 38.0, 40.0),
        (2000.0, 500.0, 1000.0),
        (1.0, 0.5, 1000.0),
    ];
    for p in [
        ParetoNbdParams::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap(),
        ParetoNbdParams::new(0.5534, 11.6562, 0.6061, 10.5802).unwrap(),
        ParetoNbdParams::new(0.7, 5.0, 1.3, 5.0).unwrap(),
        ParetoNbdParams::new(0.01, 100.0, 100.0, 0.01).unwrap(),
        ParetoNbdParams::new(100.0, 0.01, 0.01, 100.0).unwrap(),
    ] {
        for (x, t_x, age) in cases {
            let a = p.customer_log_likelihood(x, t_x, age);
            let b = p.customer_log_likelihood_by_quadrature(x, t_x, age);
            assert!(
                (a - b).abs() <= 1e-10 * a.abs().max(1.0),
                "{p:?} ({x}, {t_x}, {age}): {a} vs {b}"
            );
        }
    }
    // The note's form: L = Γ(r+x) α^r β^s / Γ(r) [(α+T)^-(r+x) (β+T)^-s + s/(r+s+x) A0],
    // A0 = F(t_x)/(α+t_x)^(r+s+x) - F(T)/(α+T)^(r+s+x), F(t) = 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+t))
    // for α >= β, evaluated directly (moderate x, where it does not overflow).
    let p = ParetoNbdParams::new(0.55, 12.0, 0.6, 10.0).unwrap();
    for (x, t_x, age) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (10.0, 20.0, 39.0)] {
        let (r, al, s, be) = (p.r(), p.alpha(), p.s(), p.beta());
        let q = r + s + x;
        let f = |t: f64| hyp2f1(q, s + 1.0, q + 1.0, (al - be) / (al + t)).unwrap();
        let a0 = f(t_x) / (al + t_x).powf(q) - f(age) / (al + age).powf(q);
        let ln_c = clv_core::special::ln_gamma(r + x) - clv_core::special::ln_gamma(r)
            + r * al.ln()
            + s * be.ln();
        let l = ln_c + ((al + age).powf(-(r + x)) * (be + age).powf(-s) + s / q * a0).ln();
        assert_rel(
            "LL vs note",
            p.customer_log_likelihood(x, t_x, age),
            l,
            1e-10,
        );
    }
}

#[test]
fn conditional_distribution_sums_to_one_and_matches_the_expectation() {
    let p = ParetoNbdParams::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    for (x, t_x, age, t) in [
        (0.0, 0.0, 30.0, 39.0),
        (2.0, 30.43, 38.86, 39.0),
        (26.0, 30.86, 31.0, 10.0),
    ] {
        let mut total = 0.0;
        let mut mean = 0.0;
        for n in 0..600u64 {
            let q = p.conditional_prob_purchases(n, x, t_x, age, t).unwrap();
            assert!((0.0..=1.0).contains(&q));
            total += q;
            mean += n as f64 * q;
        }
        assert_rel("sum", total, 1.0, 1e-9);
        assert_rel(
            "mean",
            mean,
            p.conditional_expected_purchases(x, t_x, age, t).unwrap(),
            1e-8,
        );
        // P(no purchase) includes the probability that the customer is gone.
        let pa = p.probability_alive(x, t_x, age);
        assert!(p.conditional_prob_purchases(0, x, t_x, age, t).unwrap() >= 1.0 - pa);
    }
    // A new customer is the x = t_x = T = 0 case.
    for n in [0, 1, 5] {
        assert_rel(
            "new customer",
            p.conditional_prob_purchases(n, 0.0, 0.0, 0.0, 9.0).unwrap(),
            p.prob_purchases(n, 9.0).unwrap(),
            1e-12,
        );
    }
}

/// `E1(z)` by its power series (fine for `z <= 2`).
fn e1(z: f64) -> f64 {
    let mut sum = 0.0;
    let mut term = 1.0;
    for k in 1..200 {
        term *= -z / k as f64;
        sum += term / k as f64;
    }
    -0.577_215_664_901_532_9 - z.ln() - sum
}

#[test]
fn dert_matches_closed_forms_of_the_tricomi_function() {
    // DERT = P(alive) (r+x)/(α+T) b^s δ^(s-1) U(s, s; δ b), b = β+T.
    // s = 1: U(1, 1; z) = e^z E1(z). s = 2: U(2, 2; z) = (1 - z e^z E1(z)) / z.
    let (x, t_x, age) = (2.0, 30.43, 38.86);
    for (s, delta) in [(1.0, 0.02), (1.0, 0.05), (2.0, 0.01), (2.0, 0.04)] {
        let p = ParetoNbdParams::new(0.55, 10.6, s, 11.6).unwrap();
        let b = p.beta() + age;
        let z = delta * b;
        let u = if s == 1.0 {
            z.exp() * e1(z)
        } else {
            (1.0 - z * z.exp() * e1(z)) / z
        };
        let want = p.probability_alive(x, t_x, age) * (p.r() + x) / (p.alpha() + age)
            * b.powf(s)
            * delta.powf(s - 1.0)
            * u;
        assert_rel("DERT", p.dert(x, t_x, age, delta).unwrap(), want, 1e-10);
    }
    // Without discounting DERT tends to E[Y(∞)] = P(alive) (r+x)(β+T)/((α+T)(s-1)) for s > 1.
    let p = ParetoNbdParams::new(0.55, 10.6, 2.5, 11.6).unwrap();
    let lim = p
        .conditional_expected_purchases(x, t_x, age, f64::INFINITY)
        .unwrap();
    let d = p.dert(x, t_x, age, 1e-7).unwrap();
    assert_rel("DERT at delta -> 0", d, lim, 1e-4);
    // Decreasing in the discount rate, and bad inputs are errors.
    let p = ParetoNbdParams::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    let d1 = p.dert(x, t_x, age, 0.001).unwrap();
    let d2 = p.dert(x, t_x, age, 0.01).unwrap();
    assert!(d1 > d2 && d2 > 0.0);
    assert!(p.dert(x, t_x, age, 0.0).is_err());
    assert!(p.dert(x, 40.0, age, 0.01).is_err());
}
