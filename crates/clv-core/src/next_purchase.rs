//! The next purchase: the probability of at least one purchase within a
//! window, and the median waiting time to the next purchase, for every
//! purchase model.
//!
//! # Definitions
//!
//! For a customer with history `(x, t_x, T)` (times in the model's unit) and
//! a window `t >= 0`:
//!
//! ```text
//! P0(t | x, T)       = P(no purchase in (T, T+t] | alive at T, x, T)
//! P(purchase within t) = P(alive | x, t_x, T) * (1 - P0(t | x, T))
//! ```
//!
//! A customer who is no longer active makes no purchase, so the second line
//! is exact under every model here; `P0` is
//! [`PurchaseModel::p_no_purchase_if_alive`], given in closed form or as a
//! one-dimensional integral by each model (BG/NBD: Fader, Hardie & Lee 2005,
//! "Counting your customers the easy way", *Marketing Science* 24(2);
//! Pareto/NBD: Schmittlein, Morrison & Colombo 1987, "Counting your
//! customers", *Management Science* 33(1); MBG/NBD: Batislam, Denizel &
//! Filiztekin 2007, *IJRM* 24(3); BG/BB: Fader, Hardie & Shang 2010,
//! *Marketing Science* 29(6)). See [`p_purchase_within`].
//!
//! # The expected next purchase date
//!
//! A customer who may have churned has no finite expected waiting time to
//! the next purchase (with probability `1 - P(alive)` there is none), so the
//! date reported is conditional on the customer still being active:
//!
//! ```text
//! median wait(x, T) = min { u >= 0 : 1 - P0(u | x, T) >= 1/2 }
//! next purchase date = end of observation + median wait
//! ```
//!
//! It is **the date by which a customer who is still active has an even
//! chance of having bought again**; weigh it by `P(alive)` (the chance that
//! the customer is still active at all) when reading it. It is a median, not
//! a mean, because the mean waiting time of an active customer is infinite
//! under the gamma mixtures of these models whenever the purchase rate's
//! shape `r + x <= 1` (BG/NBD: `E[1/lambda]`), while the median is always
//! finite when it exists. Under BG/NBD and MBG/NBD an active customer cannot
//! drop out before the next purchase, so the median always exists:
//! `u = (alpha+T) (2^(1/(r+x)) - 1)`. Under Pareto/NBD an active customer may
//! die before buying again, and when even an active customer has less than
//! an even chance of ever buying again (`1 - P0(inf) < 1/2`) there is no such
//! date ([`median_wait_if_alive`] returns `None`). Under BG/BB the wait is a
//! whole number of opportunities: `k` means the `k`-th opportunity after the
//! last observed one.
//!
//! # Computation
//!
//! Both quantities depend on the history only through `(x, T)` besides
//! `P(alive)`, so they are computed once per distinct `(x, T)` pair (in
//! parallel) and shared; `P(alive)` is computed per row in parallel chunks
//! with [`PurchaseModel::p_alive_many`]. A non-finite value is
//! [`Error::Numerical`] naming the row.

use rayon::prelude::*;

use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::model::PurchaseModel;
use crate::numeric::FastMap;

/// Rows per parallel chunk of `P(alive)` evaluations.
const CHUNK: usize = 16_384;

/// Distinct `(x, T)` pairs of `data` in order of first appearance, and each
/// row's index into them.
fn distinct_pairs(data: &CustomerData) -> (Vec<(f64, f64)>, Vec<u32>) {
    let mut index: FastMap<(u64, u64), u32> = FastMap::default();
    let mut pairs = Vec::new();
    let slot = data
        .frequency
        .iter()
        .zip(&data.age)
        .map(|(&x, &t)| {
            *index.entry((x.to_bits(), t.to_bits())).or_insert_with(|| {
                pairs.push((x, t));
                (pairs.len() - 1) as u32
            })
        })
        .collect();
    (pairs, slot)
}

/// `P(alive)` of every row, in parallel chunks through
/// [`PurchaseModel::p_alive_many`].
fn p_alive_all(model: &dyn PurchaseModel, data: &CustomerData) -> Vec<f64> {
    let mut out = vec![0.0; data.len()];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let start = c * CHUNK;
            let customers: Vec<Customer> = (start..start + chunk.len())
                .map(|i| data.customer(i))
                .collect();
            model.p_alive_many(&customers, chunk);
        });
    out
}

/// The error for row `i` whose `what` is not finite.
fn numerical(model: &dyn PurchaseModel, data: &CustomerData, i: usize, what: &str) -> Error {
    let c = data.customer(i);
    Error::Numerical(format!(
        "{} {what} for row {i} (x={}, t_x={}, T={})",
        model.name(),
        c.frequency,
        c.recency,
        c.age
    ))
}

/// `P(at least one purchase in (T, T+t])` for every row of `data`:
/// `P(alive) * (1 - P0(t | x, T))` (module docs), in the order of the rows.
///
/// `P0` ([`PurchaseModel::p_no_purchase_if_alive`]) is computed once per
/// distinct `(x, T)`. For BG/BB `t` counts whole future opportunities
/// (rounded down). `t = inf` gives the probability of ever buying again.
///
/// # Errors
///
/// [`Error::InvalidData`] for a negative or NaN `t`; [`Error::Numerical`]
/// naming the row when a probability is not finite.
pub fn p_purchase_within(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    t: f64,
) -> Result<Vec<f64>> {
    let mut all = p_purchase_within_windows(model, data, &[t])?;
    Ok(all.pop().unwrap_or_default())
}

/// [`p_purchase_within`] for several windows at once (one vector per
/// window, in the order of `windows`), computing `P(alive)` once.
///
/// # Errors
///
/// As [`p_purchase_within`], for any window.
pub fn p_purchase_within_windows(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    windows: &[f64],
) -> Result<Vec<Vec<f64>>> {
    if let Some(t) = windows.iter().find(|t| t.is_nan() || **t < 0.0) {
        return Err(Error::InvalidData(format!(
            "the purchase window must be >= 0, got {t}"
        )));
    }
    let (pairs, slot) = distinct_pairs(data);
    let alive = p_alive_all(model, data);
    if let Some(i) = alive.iter().position(|a| !a.is_finite()) {
        return Err(numerical(
            model,
            data,
            i,
            &format!("P(alive) is {}", alive[i]),
        ));
    }
    let mut all = Vec::with_capacity(windows.len());
    for &t in windows {
        let p0: Vec<f64> = pairs
            .par_iter()
            .map(|&(x, age)| model.p_no_purchase_if_alive(x, age, t))
            .collect();
        let mut out = Vec::with_capacity(data.len());
        for (i, (&a, &s)) in alive.iter().zip(&slot).enumerate() {
            let q = p0[s as usize];
            if !(q.is_finite() && (0.0..=1.0).contains(&q)) {
                return Err(numerical(
                    model,
                    data,
                    i,
                    &format!("probability of no purchase in {t} if alive is {q}"),
                ));
            }
            out.push((a * (1.0 - q)).clamp(0.0, 1.0));
        }
        all.push(out);
    }
    Ok(all)
}

/// The median waiting time (model units, from `T`) to the next purchase of
/// each row's customer if still alive: the smallest `u` with
/// `1 - P0(u | x, T) >= 1/2` (module docs), in the order of the rows.
///
/// `None` when even an alive customer has less than an even chance of ever
/// buying again (Pareto/NBD: he may die first; BG/BB likewise), or when the
/// median exceeds `max_wait`. Computed once per distinct `(x, T)` through
/// [`PurchaseModel::median_wait_if_alive`] (closed form for BG/NBD and
/// MBG/NBD).
///
/// # Errors
///
/// [`Error::InvalidData`] for a negative or non-finite `max_wait`;
/// [`Error::Numerical`] naming the row when the search fails.
pub fn median_wait_if_alive(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    max_wait: f64,
) -> Result<Vec<Option<f64>>> {
    if !(max_wait.is_finite() && max_wait >= 0.0) {
        return Err(Error::InvalidData(format!(
            "the longest wait must be finite and >= 0, got {max_wait}"
        )));
    }
    let (pairs, slot) = distinct_pairs(data);
    let waits: Vec<f64> = pairs
        .par_iter()
        .map(|&(x, age)| model.median_wait_if_alive(x, age, max_wait))
        .collect();
    let mut out = Vec::with_capacity(data.len());
    for (i, &s) in slot.iter().enumerate() {
        let w = waits[s as usize];
        if w.is_nan() || w < 0.0 {
            return Err(numerical(
                model,
                data,
                i,
                &format!("median wait to the next purchase is {w}"),
            ));
        }
        out.push(if w <= max_wait { Some(w) } else { None });
    }
    Ok(out)
}

/// The smallest `u` in `[0, max_wait]` with `p0(u) <= 1/2`, for a
/// non-increasing `p0` with `p0(0) = 1`, by bisection to a relative
/// tolerance of `1e-13`; `+inf` when `p0(max_wait) > 1/2`, NaN when `p0` is
/// NaN at `max_wait` or `max_wait` is not a finite number `>= 0`.
pub(crate) fn bisect_median(p0: impl Fn(f64) -> f64, max_wait: f64) -> f64 {
    if !(max_wait.is_finite() && max_wait >= 0.0) {
        return f64::NAN;
    }
    let end = p0(max_wait);
    if end.is_nan() {
        return f64::NAN;
    }
    if end > 0.5 {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (0.0f64, max_wait);
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) || hi - lo <= 1e-13 * hi {
            break;
        }
        let v = p0(mid);
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= 0.5 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// `((rate)/(rate + t))^shape`: the probability that a Poisson process whose
/// rate is `Gamma(shape, rate)` has no event in a time `t` (the Laplace
/// transform of the gamma distribution at `t`). NaN for invalid input.
pub(crate) fn gamma_poisson_p0(shape: f64, rate: f64, t: f64) -> f64 {
    let valid = shape > 0.0 && rate > 0.0 && shape.is_finite() && rate.is_finite();
    if !valid || t.is_nan() || t < 0.0 {
        return f64::NAN;
    }
    if t == f64::INFINITY {
        return 0.0;
    }
    (-shape * (t / rate).ln_1p()).exp()
}

/// The median of the first event time of [`gamma_poisson_p0`]:
/// `rate (2^(1/shape) - 1)`, `+inf` beyond `max_wait`, NaN for invalid input.
pub(crate) fn gamma_poisson_median(shape: f64, rate: f64, max_wait: f64) -> f64 {
    let valid = shape > 0.0 && rate > 0.0 && shape.is_finite() && rate.is_finite();
    if !(valid && max_wait.is_finite() && max_wait >= 0.0) {
        return f64::NAN;
    }
    let u = rate * (std::f64::consts::LN_2 / shape).exp_m1();
    if u <= max_wait { u } else { f64::INFINITY }
}

/// Checks every model's tests run on `P0` (shared by the model files' tests).
#[cfg(test)]
pub(crate) mod checks {
    use crate::model::PurchaseModel;

    /// `P0(0) = 1`, `P0` in `[0, 1]` and non-increasing over the increasing
    /// `grid` of windows.
    pub(crate) fn assert_survival_shape(model: &dyn PurchaseModel, x: f64, age: f64, grid: &[f64]) {
        assert_eq!(model.p_no_purchase_if_alive(x, age, 0.0), 1.0);
        let mut previous = 1.0;
        for &t in grid {
            let p = model.p_no_purchase_if_alive(x, age, t);
            assert!((0.0..=1.0).contains(&p), "x={x} T={age} t={t}: {p}");
            assert!(
                p <= previous + 1e-15,
                "x={x} T={age} t={t}: {p} > {previous}"
            );
            previous = p;
        }
    }

    /// `(1 - P0(h))/h` and `E[Y(h) | alive]/h` both approach the purchase
    /// rate of an alive customer, `rate`, for a small `h` (relative error
    /// `tol`).
    pub(crate) fn assert_initial_slope(
        model: &dyn PurchaseModel,
        x: f64,
        age: f64,
        h: f64,
        rate: f64,
        tol: f64,
    ) {
        let from_p0 = (1.0 - model.p_no_purchase_if_alive(x, age, h)) / h;
        let from_expected = model.expected_purchases_if_alive(x, age, h) / h;
        assert!((from_p0 / rate - 1.0).abs() < tol, "{from_p0} vs {rate}");
        assert!(
            (from_p0 / from_expected - 1.0).abs() < tol,
            "{from_p0} vs {from_expected}"
        );
    }

    /// The Monte Carlo estimate `hits / draws` of a probability agrees with
    /// `p` within 4 standard errors.
    pub(crate) fn assert_monte_carlo(p: f64, hits: usize, draws: usize) {
        let estimate = hits as f64 / draws as f64;
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        assert!(
            (estimate - p).abs() <= 4.0 * se,
            "Monte Carlo {estimate} vs {p} (standard error {se})"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgnbd::BgNbdParams;
    use crate::pareto_nbd::ParetoNbdParams;

    /// Purchases at a constant rate while alive, alive with probability
    /// 1 (x > 0) or 1/2; NaN for x = 7 (a failing model).
    struct Steady {
        rate: f64,
    }

    impl PurchaseModel for Steady {
        fn name(&self) -> &'static str {
            "steady"
        }
        fn log_likelihood(&self, _: &Customer) -> f64 {
            0.0
        }
        fn p_alive(&self, c: &Customer) -> f64 {
            if c.frequency > 0.0 { 1.0 } else { 0.5 }
        }
        fn expected_purchases_if_alive(&self, _: f64, _: f64, t: f64) -> f64 {
            self.rate * t
        }
        fn p_no_purchase_if_alive(&self, x: f64, _: f64, t: f64) -> f64 {
            if x == 7.0 {
                f64::NAN
            } else {
                (-self.rate * t).exp()
            }
        }
        fn expected_purchases_new(&self, t: f64) -> f64 {
            self.rate * t
        }
    }

    #[test]
    fn probability_within_is_p_alive_times_one_minus_p0() {
        // Rate 0.1 a day, 30 days: 1 - e^-3 = 0.950213; P(alive) 1/2 for x = 0.
        let m = Steady { rate: 0.1 };
        let data = CustomerData::new(
            vec![0.0, 2.0, 2.0],
            vec![0.0, 1.0, 3.0],
            vec![5.0, 5.0, 5.0],
        )
        .unwrap();
        let p = p_purchase_within(&m, &data, 30.0).unwrap();
        let q = 1.0 - (-3.0f64).exp();
        assert_eq!(p, vec![0.5 * q, q, q]);
        assert_eq!(p_purchase_within(&m, &data, 0.0).unwrap(), vec![0.0; 3]);
        assert!(matches!(
            p_purchase_within(&m, &data, -1.0),
            Err(Error::InvalidData(_))
        ));
        assert!(p_purchase_within(&m, &data, f64::NAN).is_err());
        // Several windows at once: 30 days as above, 10 days 1 - e^-1.
        let both = p_purchase_within_windows(&m, &data, &[30.0, 10.0]).unwrap();
        let q10 = 1.0 - (-1.0f64).exp();
        assert_eq!(both, vec![p, vec![0.5 * q10, q10, q10]]);
        assert!(p_purchase_within_windows(&m, &data, &[1.0, -1.0]).is_err());
        assert!(
            p_purchase_within_windows(&m, &data, &[])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn failures_name_the_row() {
        let m = Steady { rate: 0.1 };
        let data = CustomerData::new(vec![1.0, 7.0], vec![1.0, 2.0], vec![5.0, 5.0]).unwrap();
        match p_purchase_within(&m, &data, 1.0) {
            Err(Error::Numerical(msg)) => assert!(msg.contains("row 1"), "{msg}"),
            other => panic!("{other:?}"),
        }
        match median_wait_if_alive(&m, &data, 100.0) {
            Err(Error::Numerical(msg)) => assert!(msg.contains("row 1 (x=7"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_median_bisects_the_survival_function() {
        // e^(-0.1 u) = 1/2 at u = 10 ln 2 = 6.931472.
        let m = Steady { rate: 0.1 };
        let data = CustomerData::new(vec![1.0, 2.0], vec![1.0, 2.0], vec![5.0, 5.0]).unwrap();
        let w = median_wait_if_alive(&m, &data, 100.0).unwrap();
        let want = 10.0 * std::f64::consts::LN_2;
        for v in &w {
            assert!((v.unwrap() / want - 1.0).abs() < 1e-12, "{v:?}");
        }
        assert_eq!(
            median_wait_if_alive(&m, &data, 6.9).unwrap(),
            vec![None, None]
        );
        assert_eq!(
            median_wait_if_alive(&m, &data, 0.0).unwrap(),
            vec![None, None]
        );
        assert!(median_wait_if_alive(&m, &data, -1.0).is_err());
        assert!(median_wait_if_alive(&m, &data, f64::INFINITY).is_err());
    }

    #[test]
    fn bg_nbd_rows_by_hand() {
        // r = 0.243, alpha = 4.414, a = 0.793, b = 2.426; x = 2, t_x = 30.43,
        // T = 38.86, 30 days:
        // P(alive) = 1/(1 + 0.793/3.426 (43.274/34.844)^2.243),
        // 1 - P0 = 1 - (43.274/73.274)^2.243.
        let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let data = CustomerData::new(vec![2.0, 0.0], vec![30.43, 0.0], vec![38.86, 38.86]).unwrap();
        let got = p_purchase_within(&p, &data, 30.0).unwrap();
        let alive = 1.0 / (1.0 + 0.793 / 3.426 * (43.274f64 / 34.844).powf(2.243));
        let want = alive * (1.0 - (43.274f64 / 73.274).powf(2.243));
        assert!((got[0] / want - 1.0).abs() < 1e-13, "{} vs {want}", got[0]);
        // x = 0 is alive for sure under BG/NBD: 1 - (43.274/73.274)^0.243.
        let want = 1.0 - (43.274f64 / 73.274).powf(0.243);
        assert!((got[1] / want - 1.0).abs() < 1e-13);
        let waits = median_wait_if_alive(&p, &data, 1e4).unwrap();
        let want = 43.274 * (2f64.powf(1.0 / 2.243) - 1.0);
        assert!((waits[0].unwrap() / want - 1.0).abs() < 1e-14);
        // r = 0.243: 43.274 (2^(1/0.243) - 1) = 43.274 * 16.3 = 705 days.
        let want = 43.274 * (2f64.powf(1.0 / 0.243) - 1.0);
        assert!((waits[1].unwrap() / want - 1.0).abs() < 1e-14);
        assert_eq!(median_wait_if_alive(&p, &data, 365.0).unwrap()[1], None);
    }

    #[test]
    fn pareto_rows_share_pairs_and_may_have_no_median() {
        // alpha = beta: P0(inf) = s/(r+x+s); s = 5, r = 0.5: 5/5.5 for x = 0
        // (no median), 5/15.5 for x = 10 (a median).
        let p = ParetoNbdParams::new(0.5, 10.0, 5.0, 10.0).unwrap();
        let data = CustomerData::new(
            vec![0.0, 10.0, 10.0],
            vec![0.0, 20.0, 30.0],
            vec![30.0, 30.0, 30.0],
        )
        .unwrap();
        let w = median_wait_if_alive(&p, &data, 1e6).unwrap();
        assert_eq!(w[0], None);
        assert!(w[1].is_some() && w[1] == w[2]);
        let within = p_purchase_within(&p, &data, 30.0).unwrap();
        for (i, v) in within.iter().enumerate() {
            let c = data.customer(i);
            let want = p.p_alive(&c) * (1.0 - p.p_no_purchase_if_alive(c.frequency, c.age, 30.0));
            assert_eq!(*v, want);
        }
        // Recency matters through P(alive) only.
        assert!(within[1] < within[2]);
    }

    #[test]
    fn a_million_bg_nbd_customers() {
        // Timing is not asserted (the machine is shared); a debug build runs
        // this test in about 0.3 s. The rows share 6,205 (x, T) pairs and
        // must agree with the one-by-one values.
        let n = 1_000_000;
        let (mut x, mut tx, mut age) = (vec![], vec![], vec![]);
        for i in 0..n {
            let t = 1.0 + (i % 365) as f64;
            let f = (i % 17) as f64;
            x.push(f);
            tx.push(if f == 0.0 {
                0.0
            } else {
                t * ((i % 5) as f64 / 4.0)
            });
            age.push(t);
        }
        let data = CustomerData::new(x, tx, age).unwrap();
        let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let within = p_purchase_within(&p, &data, 30.0).unwrap();
        for i in (0..n).step_by(9_973) {
            let c = data.customer(i);
            let want = p.p_alive(&c) * (1.0 - p.p_no_purchase_if_alive(c.frequency, c.age, 30.0));
            assert_eq!(within[i], want);
        }
    }
}
