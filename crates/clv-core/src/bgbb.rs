//! The BG/BB ("beta-geometric / beta-Bernoulli") model of Fader, Hardie &
//! Shang (2010), "Customer-base analysis in a discrete-time noncontractual
//! setting", *Marketing Science* 29(6), 1086-1108, for transactions that can
//! only happen at discrete opportunities (annual donations, yearly events,
//! weekly sessions).
//!
//! # Data
//!
//! A customer is `(x, t_x, n)`: `x` transactions in the `n` opportunities
//! after the first (acquisition) event, the last at opportunity `t_x`
//! (`t_x = 0` when `x = 0`). This module reads them from
//! [`CustomerData`] / [`Customer`] with `frequency = x`, `recency = t_x` and
//! `age = n`, all whole numbers with `0 <= x <= t_x <= n` (and `t_x >= 1`
//! when `x >= 1`); anything else is rejected with [`Error::InvalidData`].
//!
//! # Assumptions
//!
//! 1. While active, a customer transacts at each opportunity with
//!    probability `p` (Bernoulli); `p ~ Beta(alpha, beta)` across customers.
//! 2. An active customer becomes inactive for good at the beginning of each
//!    opportunity with probability `theta` (geometric lifetime), so he is
//!    alive at opportunity `t` with probability `(1-theta)^t`;
//!    `theta ~ Beta(gamma, delta)` across customers.
//! 3. `p` and `theta` are independent.
//!
//! # Formulas (numbers as in FHS 2010; `B` the beta function)
//!
//! ```text
//! (5)  L(x, t_x, n) = B(α+x, β+n-x)/B(α,β) B(γ, δ+n)/B(γ,δ)
//!          + Σ_{i=0}^{n-t_x-1} B(α+x, β+t_x-x+i)/B(α,β) B(γ+1, δ+t_x+i)/B(γ,δ)
//! (7)  P(X(n) = x) = C(n,x) B(α+x, β+n-x)/B(α,β) B(γ, δ+n)/B(γ,δ)
//!          + Σ_{i=x}^{n-1} C(i,x) B(α+x, β+i-x)/B(α,β) B(γ+1, δ+i)/B(γ,δ)
//! (9)  E[X(n)] = α/(α+β) Σ_{k=1}^{n} B(γ, δ+k)/B(γ,δ)
//!             = α/(α+β) δ/(γ-1) [1 - Γ(γ+δ)Γ(1+δ+n) / (Γ(1+δ)Γ(γ+δ+n))]
//! (11) P(alive at n+1 | x, t_x, n) = B(α+x, β+n-x)/B(α,β) B(γ, δ+n+1)/B(γ,δ) / L
//! (13) E[X(n, n+n*) | x, t_x, n] = P(alive at n+1 | x, t_x, n) E_alive(x, n, n*),
//!      E_alive(x, n, n*) = (α+x)/(α+β+n) Σ_{k=1}^{n*} B(γ, δ+n+k)/B(γ, δ+n+1)
//! (14) DERT(d | x, t_x, n) = P(alive at n+1 | x, t_x, n) (α+x)/(α+β+n)
//!          2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / (1+d)
//! ```
//!
//! `E_alive` is the expectation given "alive at opportunity `n+1`": the
//! posterior given that is `p ~ Beta(α+x, β+n-x)`, `θ ~ Beta(γ, δ+n+1)`,
//! which depends on the history only through `x` and `n`, as the
//! [`PurchaseModel`] contract requires (`p_alive` is `P(alive at n+1)`).
//! The closed form of (13) in the paper is this sum telescoped, with a `0/0`
//! at `γ = 1`.
//!
//! # Numerics
//!
//! The likelihood is a log-sum-exp over its `n - t_x + 1` terms, each a sum
//! of `ln Γ` values, so large `n` neither overflows nor underflows. The sum
//! in `E_alive` is accumulated term by term (each term is the previous one
//! times `(δ+m)/(γ+δ+m)`) for up to [`DIRECT_SUM_LIMIT`] opportunities; for
//! longer horizons the telescoped closed form is used, written with `expm1`
//! and with its `γ = 1` limit `(δ+n+1) [ψ(δ+n+n*+1) - ψ(δ+n+1)]` within
//! `1e-8` of `γ = 1`.
//!
//! # Horizons
//!
//! Transactions only happen at whole opportunities, so a horizon `t` (the
//! number of future opportunities `n*`) is **rounded down** to a whole
//! number: `t = 2.7` counts the next 2 opportunities. This is what the
//! lifetime-value code needs when it asks for fractional horizons (a
//! horizon that has not reached the next opportunity yet has no
//! transactions).
//!
//! # Fitting
//!
//! [`BgBbFitter`] maximises the weighted log-likelihood over the
//! log-parameters with BFGS on the compressed data (analytic gradient from
//! tables of `ln Γ` and digamma at integer offsets, computed once per
//! evaluation); standard errors from the observed information.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Beta, Distribution};

use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::fit::{self, FitReport, Likelihood};
use crate::model::{Parameters, ParametricModel, PurchaseModel, check_param_count};
use crate::numeric::{FastMap, check_positive, log_sum_exp};
use crate::special::{digamma, hyp2f1, ln_beta, ln_gamma, ln_gamma_ratio};

/// Horizons up to this many opportunities are summed term by term (see the
/// module docs); longer ones use the closed form.
pub const DIRECT_SUM_LIMIT: u64 = 100_000;

/// Parameters of the BG/BB model, named as in the paper. Standard errors and
/// covariances are reported in the order `alpha, beta, gamma, delta`.
///
/// Valid by construction: build it with [`BgBbParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BgBbParams {
    /// First shape parameter of the beta distribution of transaction probabilities `p`.
    pub(crate) alpha: f64,
    /// Second shape parameter of the beta distribution of transaction probabilities `p`.
    pub(crate) beta: f64,
    /// First shape parameter of the beta distribution of dropout probabilities `theta`.
    pub(crate) gamma: f64,
    /// Second shape parameter of the beta distribution of dropout probabilities `theta`.
    pub(crate) delta: f64,
}

/// Checks and converts `(x, t_x, n)` to whole numbers (module docs).
fn whole(x: f64, t_x: f64, n: f64) -> Result<(u64, u64, u64)> {
    let ok = |v: f64| v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15;
    if !(ok(x) && ok(t_x) && ok(n)) {
        return Err(Error::InvalidData(format!(
            "BG/BB needs whole numbers x, t_x, n >= 0, got x={x}, t_x={t_x}, n={n}"
        )));
    }
    if !(x <= t_x && t_x <= n && (x == 0.0) == (t_x == 0.0)) {
        return Err(Error::InvalidData(format!(
            "BG/BB needs 0 <= x <= t_x <= n with t_x = 0 exactly when x = 0, got x={x}, t_x={t_x}, n={n}"
        )));
    }
    Ok((x as u64, t_x as u64, n as u64))
}

/// Whole number of future opportunities in a horizon `t` (rounded down).
fn horizon(t: f64) -> Result<u64> {
    if t.is_nan() || t < 0.0 {
        return Err(Error::InvalidData(format!(
            "BG/BB horizon must be >= 0, got {t}"
        )));
    }
    if t >= 1e15 {
        return Ok(u64::MAX);
    }
    // A horizon converted between units (12 months as 1 year) may come out a
    // hair below a whole number: that is still the whole number.
    Ok((t * (1.0 + 1e-12) + 1e-12).floor() as u64)
}

impl BgBbParams {
    /// First shape parameter of the beta distribution of transaction probabilities `p`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Second shape parameter of the beta distribution of transaction probabilities `p`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// First shape parameter of the beta distribution of dropout probabilities `theta`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Second shape parameter of the beta distribution of dropout probabilities `theta`.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        check_positive("alpha", alpha)?;
        check_positive("beta", beta)?;
        check_positive("gamma", gamma)?;
        check_positive("delta", delta)?;
        Ok(BgBbParams {
            alpha,
            beta,
            gamma,
            delta,
        })
    }

    /// The parameters as an array `[alpha, beta, gamma, delta]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// `ln B(α+x, β+m) - ln B(α, β)`.
    fn ln_p_part(&self, x: f64, m: f64) -> f64 {
        ln_beta(self.alpha + x, self.beta + m) - ln_beta(self.alpha, self.beta)
    }

    /// `ln B(γ+g, δ+k) - ln B(γ, δ)`.
    fn ln_theta_part(&self, g: f64, k: f64) -> f64 {
        ln_beta(self.gamma + g, self.delta + k) - ln_beta(self.gamma, self.delta)
    }

    /// One customer's log-likelihood, equation (5) in log space.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] unless `0 <= x <= t_x <= n` are whole numbers
    /// (module docs).
    pub fn customer_log_likelihood(&self, x: f64, t_x: f64, n: f64) -> Result<f64> {
        let (_, txi, ni) = whole(x, t_x, n)?;
        let mut terms = Vec::with_capacity((ni - txi + 1) as usize);
        terms.push(self.ln_p_part(x, n - x) + self.ln_theta_part(0.0, n));
        for i in 0..(ni - txi) {
            let i = i as f64;
            terms.push(self.ln_p_part(x, t_x - x + i) + self.ln_theta_part(1.0, t_x + i));
        }
        Ok(log_sum_exp(&terms))
    }

    /// Total weighted log-likelihood of `data` (`frequency = x`,
    /// `recency = t_x`, `age = n`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a row that is not a valid BG/BB customer.
    pub fn total_log_likelihood(&self, data: &CustomerData) -> Result<f64> {
        Ok(Prepared::new(data)?.evaluate(self, false).0)
    }

    /// Total weighted log-likelihood of `data` and its analytic gradient with
    /// respect to `(alpha, beta, gamma, delta)`.
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::total_log_likelihood`].
    pub fn log_likelihood_gradient(&self, data: &CustomerData) -> Result<(f64, [f64; 4])> {
        Ok(Prepared::new(data)?.evaluate(self, true))
    }

    /// `P(alive at opportunity n+1 | x, t_x, n)`, equation (11).
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::customer_log_likelihood`].
    pub fn probability_alive(&self, x: f64, t_x: f64, n: f64) -> Result<f64> {
        let ll = self.customer_log_likelihood(x, t_x, n)?;
        let alive = self.ln_p_part(x, n - x) + self.ln_theta_part(0.0, n + 1.0);
        Ok((alive - ll).exp().min(1.0))
    }

    /// `P(alive at opportunity n+m | x, t_x, n)`: the probability that the
    /// customer survives the next `m` opportunities' churn draws, as
    /// `lifetimes`' `BetaGeoBetaBinomFitter.conditional_probability_alive(m,
    /// ...)` defines it; `m = 1` is [`BgBbParams::probability_alive`], `m = 0`
    /// the probability of being alive through opportunity `n`.
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::customer_log_likelihood`], and for a negative or
    /// non-finite `m`.
    pub fn probability_alive_after(&self, x: f64, t_x: f64, n: f64, m: f64) -> Result<f64> {
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::InvalidData(format!(
                "BG/BB needs a number of future opportunities m >= 0, got {m}"
            )));
        }
        let ll = self.customer_log_likelihood(x, t_x, n)?;
        let alive = self.ln_p_part(x, n - x) + self.ln_theta_part(0.0, n + m);
        Ok((alive - ll).exp().min(1.0))
    }

    /// `Σ_{k=1}^{count} B(γ, δ+m0+k) / B(γ, δ+m0+1)`: expected opportunities
    /// alive among the next `count`, for a customer alive at `m0 + 1`
    /// (module docs).
    fn alive_opportunities(&self, m0: f64, count: u64) -> f64 {
        let BgBbParams { gamma, delta, .. } = *self;
        if count == 0 {
            return 0.0;
        }
        if count <= DIRECT_SUM_LIMIT {
            let (mut term, mut sum) = (1.0, 1.0);
            for k in 1..count {
                let m = delta + m0 + k as f64;
                term *= m / (gamma + m);
                sum += term;
                if term < 1e-18 * sum {
                    break;
                }
            }
            return sum;
        }
        self.alive_opportunities_closed(m0, count as f64)
    }

    /// The telescoped closed form of [`Self::alive_opportunities`] for `n_star >= 1`.
    fn alive_opportunities_closed(&self, m0: f64, n_star: f64) -> f64 {
        let BgBbParams { gamma, delta, .. } = *self;
        if (gamma - 1.0).abs() < 1e-8 {
            return (delta + m0 + 1.0)
                * (digamma(delta + m0 + n_star + 1.0) - digamma(delta + m0 + 1.0));
        }
        // u = ln[Γ(δ+m1+1) Γ(γ+δ+m0) / (Γ(γ+δ+m1) Γ(δ+m0+1))] with m1 = m0 + n*,
        // as two ln Γ differences with the small shift γ - 1 (no cancellation
        // of large ln Γ values).
        let c0 = gamma + delta + m0;
        let y0 = delta + m0 + 1.0;
        let u = ln_gamma_shift(y0, gamma - 1.0) - ln_gamma_shift(y0 + n_star, gamma - 1.0);
        (-c0 * u.exp_m1() / (gamma - 1.0)).max(0.0)
    }

    /// `E_alive(x, n, n*)`: expected transactions in the next `n*`
    /// opportunities (`n*` = `t` rounded down, module docs) for a customer
    /// known to be alive at opportunity `n + 1`, with `x` transactions in `n`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] unless `0 <= x <= n` are whole numbers and `t >= 0`.
    pub fn conditional_expected_if_alive(&self, x: f64, n: f64, t: f64) -> Result<f64> {
        let ok = |v: f64| v.is_finite() && v >= 0.0 && v.fract() == 0.0;
        if !(ok(x) && ok(n) && x <= n) {
            return Err(Error::InvalidData(format!(
                "BG/BB needs whole numbers 0 <= x <= n, got x={x}, n={n}"
            )));
        }
        let count = horizon(t)?;
        if count == u64::MAX {
            return Ok(if self.gamma > 1.0 {
                (self.alpha + x) / (self.alpha + self.beta + n) * (self.gamma + self.delta + n)
                    / (self.gamma - 1.0)
            } else {
                f64::INFINITY
            });
        }
        let p = (self.alpha + x) / (self.alpha + self.beta + n);
        Ok(p * self.alive_opportunities(n, count))
    }

    /// `E[X(n, n+n*) | x, t_x, n]`, equation (13): expected transactions in
    /// the next `n*` opportunities (`t` rounded down).
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::customer_log_likelihood`] and for a negative `t`.
    pub fn conditional_expected_transactions(
        &self,
        x: f64,
        t_x: f64,
        n: f64,
        t: f64,
    ) -> Result<f64> {
        let alive = self.probability_alive(x, t_x, n)?;
        let e = self.conditional_expected_if_alive(x, n, t)?;
        Ok(if e == 0.0 { 0.0 } else { alive * e })
    }

    /// `E[X(n)]`, equation (9): expected transactions of a new customer in
    /// the first `n` opportunities (`t` rounded down).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a negative or NaN `t`.
    pub fn expected_transactions_new(&self, t: f64) -> Result<f64> {
        let survive_first = self.delta / (self.gamma + self.delta);
        Ok(survive_first * self.conditional_expected_if_alive(0.0, 0.0, t)?)
    }

    /// `P(X(n) = x)`, equation (7): probability that a new customer makes
    /// exactly `x` transactions in the first `n` opportunities (0 for `x > n`).
    pub fn prob_transactions(&self, x: u64, n: u64) -> f64 {
        if x > n {
            return 0.0;
        }
        let (xf, nf) = (x as f64, n as f64);
        let ln_choose = |i: f64| ln_gamma(i + 1.0) - ln_gamma(xf + 1.0) - ln_gamma(i - xf + 1.0);
        let mut total =
            (ln_choose(nf) + self.ln_p_part(xf, nf - xf) + self.ln_theta_part(0.0, nf)).exp();
        for i in x..n {
            let i = i as f64;
            total += (ln_choose(i) + self.ln_p_part(xf, i - xf) + self.ln_theta_part(1.0, i)).exp();
        }
        total.min(1.0)
    }

    /// `P(X(n) = x)` for `x = 0..=n` (multiply by the number of customers
    /// for the expected number with each count, FHS 2010 Figure 3).
    pub fn transaction_count_distribution(&self, n: u64) -> Vec<f64> {
        (0..=n).map(|x| self.prob_transactions(x, n)).collect()
    }

    /// Discounted expected residual transactions, equation (14): the
    /// expected number of future transactions (opportunities `n+1, n+2,
    /// ...`), each discounted by `(1+d)^-k` for the `k`-th future
    /// opportunity, `d >= 0` the discount rate per opportunity. With `d = 0`
    /// it is the expected number of all future transactions, infinite when
    /// `gamma <= 1`.
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::customer_log_likelihood`], [`Error::InvalidData`]
    /// for a negative or non-finite `d`, and [`Error::Numerical`] if the
    /// hypergeometric function fails.
    pub fn dert(&self, d: f64, x: f64, t_x: f64, n: f64) -> Result<f64> {
        if !(d.is_finite() && d >= 0.0) {
            return Err(Error::InvalidData(format!(
                "DERT needs a finite discount rate d >= 0, got {d}"
            )));
        }
        let alive = self.probability_alive(x, t_x, n)?;
        let BgBbParams {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        let p = (alpha + x) / (alpha + beta + n);
        let sum = if d == 0.0 {
            if gamma <= 1.0 {
                return Ok(f64::INFINITY);
            }
            (gamma + delta + n) / (gamma - 1.0)
        } else {
            hyp2f1(
                1.0,
                delta + n + 1.0,
                gamma + delta + n + 1.0,
                1.0 / (1.0 + d),
            )? / (1.0 + d)
        };
        Ok(alive * p * sum)
    }
}

/// Opportunities summed term by term in [`FirstTransaction`]; beyond, the
/// terms are integrated (module docs of
/// [`BgBbParams::p_no_transaction_if_alive`]).
const FIRST_TRANSACTION_DIRECT: u64 = 100_000;

/// `P(first transaction at the j-th next opportunity | alive at n+1)` for
/// `j = 1, 2, ...`: `b_j = E[(1-θ)^(j-1)] E[(1-p)^(j-1) p]` with
/// `θ ~ Beta(γ, δ+n+1)`, `p ~ Beta(α+x, β+n-x)`.
#[derive(Debug, Clone, Copy)]
struct FirstTransaction {
    /// `γ`.
    gamma: f64,
    /// `δ + n + 1`.
    d1: f64,
    /// `α + x`.
    a1: f64,
    /// `β + n - x`.
    b1: f64,
    /// `ln B(γ, δ+n+1) + ln B(α+x, β+n-x)`.
    ln_norm: f64,
}

impl FirstTransaction {
    fn new(p: &BgBbParams, x: f64, n: f64) -> FirstTransaction {
        let (d1, a1, b1) = (p.delta + n + 1.0, p.alpha + x, p.beta + n - x);
        FirstTransaction {
            gamma: p.gamma,
            d1,
            a1,
            b1,
            ln_norm: ln_beta(p.gamma, d1) + ln_beta(a1, b1),
        }
    }

    /// `ln b(j)` for real `j >= 1`:
    /// `ln B(γ, d1+j-1) + ln B(a1+1, b1+j-1) - ln_norm`, with each
    /// `ln B(c, y) = ln Γ(c) - [ln Γ(y+c) - ln Γ(y)]` free of the
    /// cancellation of large `ln Γ(y)`.
    fn ln_term(&self, j: f64) -> f64 {
        ln_gamma(self.gamma) - ln_gamma_ratio(self.d1 + j - 1.0, self.gamma)
            + ln_gamma(self.a1 + 1.0)
            - ln_gamma_ratio(self.b1 + j - 1.0, self.a1 + 1.0)
            - self.ln_norm
    }

    /// `Σ_{j=1}^{k} b_j`, `k` at most [`FIRST_TRANSACTION_DIRECT`], by the
    /// recurrence `b_1 = a1/(a1+b1)`,
    /// `b_{j+1} = b_j (d1+j-1)/(γ+d1+j-1) (b1+j-1)/(a1+b1+j)`.
    fn direct(&self, k: u64, mut stop: impl FnMut(u64, f64) -> bool) -> f64 {
        let mut term = self.a1 / (self.a1 + self.b1);
        let mut sum = 0.0;
        for j in 1..=k {
            sum += term;
            if stop(j, sum) {
                break;
            }
            let jf = j as f64;
            term *= (self.d1 + jf - 1.0) / (self.gamma + self.d1 + jf - 1.0) * (self.b1 + jf - 1.0)
                / (self.a1 + self.b1 + jf);
        }
        sum
    }

    /// `Σ_{j=m+1}^{k} b_j` for `k > m >= FIRST_TRANSACTION_DIRECT` (`k` may
    /// be infinite) by the midpoint rule `∫_{m+1/2}^{k+1/2} b(u) du`, whose
    /// relative error is about `σ(σ+1)/(24 m²)` with `σ = γ + α + x`
    /// (below `1e-9` here): quadrature in `w = ln(u/(m+1/2))` up to
    /// `u = 1e10 (m+1/2)`, and beyond that the power law
    /// `b(u) ∝ u^-(σ+1)` (exact to `O(1/u)`) in closed form.
    fn tail(&self, m: u64, k: f64) -> f64 {
        let u0 = m as f64 + 0.5;
        let end = k + 0.5;
        let w_end = (end / u0).ln().min(10.0 * std::f64::consts::LN_10);
        let sigma = self.gamma + self.a1;
        let point = |w: f64| {
            let u = u0 * w.exp();
            (self.ln_term(u) + u.ln(), [1.0])
        };
        let h = w_end.min(0.5 / (1.0 + sigma));
        let (scale, v) = crate::pareto_nbd::integrate_log(
            point,
            &crate::pareto_nbd::geometric_breaks(0.0, w_end, h),
        );
        let mut total = scale.exp() * v[0];
        let u_cut = u0 * w_end.exp();
        if end > u_cut * (1.0 + 1e-12) {
            // ∫_U^K C u^-(σ+1) du = b(U) U / σ (1 - (U/K)^σ).
            let shrink = if end.is_infinite() {
                1.0
            } else {
                -(sigma * (u_cut / end).ln()).exp_m1()
            };
            total += (self.ln_term(u_cut) + u_cut.ln()).exp() / sigma * shrink;
        }
        total
    }

    /// `P(at least one transaction in the next k opportunities | alive at
    /// n+1) = Σ_{j=1}^{k} b_j` (`k = u64::MAX` for all of them).
    fn at_least_one(&self, k: u64) -> f64 {
        if k <= FIRST_TRANSACTION_DIRECT {
            return self.direct(k, |_, _| false);
        }
        let head = self.direct(FIRST_TRANSACTION_DIRECT, |_, _| false);
        let k = if k == u64::MAX {
            f64::INFINITY
        } else {
            k as f64
        };
        head + self.tail(FIRST_TRANSACTION_DIRECT, k)
    }
}

impl BgBbParams {
    /// `P0(k) = P(no transaction in the next k opportunities | alive at
    /// opportunity n+1, x, n)`, `k` the horizon `t` rounded down (module
    /// docs; `k = 0` gives 1).
    ///
    /// # Derivation
    ///
    /// In this module's convention (FHS 2010) a customer alive at
    /// opportunity `n+1` has survived the dropout draw at its start, and
    /// then survives each later opportunity's draw with probability
    /// `1 - θ`; while alive he transacts at each opportunity with
    /// probability `p`. The first transaction is at the `j`-th next
    /// opportunity (`n+j`) iff he is alive there, `(1-θ)^(j-1)`, and makes
    /// none at the `j-1` before and one there, `(1-p)^(j-1) p`; so
    ///
    /// ```text
    /// 1 - P0(k) = Σ_{j=1}^{k} E[(1-θ)^(j-1)] E[(1-p)^(j-1) p]
    ///           = Σ_{j=1}^{k} B(γ, δ+n+j)/B(γ, δ+n+1) B(α+x+1, β+n-x+j-1)/B(α+x, β+n-x)
    /// ```
    ///
    /// with the posterior given "alive at `n+1`",
    /// `p ~ Beta(α+x, β+n-x)` and `θ ~ Beta(γ, δ+n+1)` independent, the
    /// same as [`BgBbParams::conditional_expected_if_alive`]'s (whose first
    /// term, `E[p] = (α+x)/(α+β+n)`, is the `j = 1` term here: the first
    /// step of `1 - P0` equals the first step of `E_alive`). Equivalently,
    /// with `D` the number of the next `k` opportunities the customer is
    /// alive at, `P0 = Σ_{j=1}^{k-1} E[θ(1-θ)^(j-1)] E[(1-p)^j] +
    /// E[(1-θ)^(k-1)] E[(1-p)^k]`.
    ///
    /// # Numerics
    ///
    /// The terms follow the recurrence of their beta-function ratios for up
    /// to 100,000 opportunities; beyond, the sum's tail (the terms decay
    /// like `j^-(γ+α+x+1)`) is integrated with the terms written as `ln Γ`
    /// ratios, so it stays accurate for any horizon. As `k -> inf`,
    /// `P0 -> E[θ(1-p)/(p+θ-pθ)] > 0`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] unless `0 <= x <= n` are whole numbers and
    /// `t >= 0` (`t = inf` counts every future opportunity).
    pub fn p_no_transaction_if_alive(&self, x: f64, n: f64, t: f64) -> Result<f64> {
        let ok = |v: f64| v.is_finite() && v >= 0.0 && v.fract() == 0.0;
        if !(ok(x) && ok(n) && x <= n) {
            return Err(Error::InvalidData(format!(
                "BG/BB needs whole numbers 0 <= x <= n, got x={x}, n={n}"
            )));
        }
        let k = horizon(t)?;
        if k == 0 {
            return Ok(1.0);
        }
        let first = FirstTransaction::new(self, x, n);
        Ok((1.0 - first.at_least_one(k)).clamp(0.0, 1.0))
    }

    /// The median wait, in whole opportunities, to the next transaction of a
    /// customer alive at opportunity `n+1`: the smallest `k` with
    /// `1 - P0(k) >= 1/2` ([`BgBbParams::p_no_transaction_if_alive`]; `k = 1`
    /// is the next opportunity), or `None` when it exceeds `max_wait`
    /// (rounded down), including when even an alive customer has less than
    /// an even chance of ever transacting again.
    ///
    /// # Errors
    ///
    /// As [`BgBbParams::p_no_transaction_if_alive`] for `x`, `n`, and
    /// [`Error::InvalidData`] for a negative or non-finite `max_wait`.
    pub fn median_wait_alive(&self, x: f64, n: f64, max_wait: f64) -> Result<Option<u64>> {
        if !max_wait.is_finite() {
            return Err(Error::InvalidData(format!(
                "the longest wait must be finite, got {max_wait}"
            )));
        }
        // Validates x, n and max_wait.
        self.p_no_transaction_if_alive(x, n, max_wait)?;
        let k_max = horizon(max_wait)?;
        let first = FirstTransaction::new(self, x, n);
        let mut found = None;
        let direct = k_max.min(FIRST_TRANSACTION_DIRECT);
        let head = first.direct(direct, |j, sum| {
            if sum >= 0.5 {
                found = Some(j);
            }
            found.is_some()
        });
        if found.is_some() || k_max <= FIRST_TRANSACTION_DIRECT {
            return Ok(found);
        }
        let total = |k: u64| head + first.tail(FIRST_TRANSACTION_DIRECT, k as f64);
        if total(k_max) < 0.5 {
            return Ok(None);
        }
        // Bisection on whole k: total(lo) < 1/2 <= total(hi).
        let (mut lo, mut hi) = (FIRST_TRANSACTION_DIRECT, k_max);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if total(mid) >= 0.5 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }
}

/// `ln Γ(y + s) - ln Γ(y)` for `y > 0`, `y + s > 0`, either sign of `s`.
fn ln_gamma_shift(y: f64, s: f64) -> f64 {
    if s >= 0.0 {
        ln_gamma_ratio(y, s)
    } else {
        -ln_gamma_ratio(y + s, -s)
    }
}

impl PurchaseModel for BgBbParams {
    fn name(&self) -> &'static str {
        "bg-bb"
    }

    /// Equation (5); NaN when the customer is not a valid BG/BB customer
    /// (whole numbers `0 <= x <= t_x <= n`, module docs).
    fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.customer_log_likelihood(customer.frequency, customer.recency, customer.age)
            .unwrap_or(f64::NAN)
    }

    /// `P(alive at n+1)`, equation (11); NaN for an invalid customer as above.
    fn p_alive(&self, customer: &Customer) -> f64 {
        self.probability_alive(customer.frequency, customer.recency, customer.age)
            .unwrap_or(f64::NAN)
    }

    /// As [`PurchaseModel::p_alive`] for each customer, computed once per
    /// distinct `(x, t_x, n)` among them (discrete data repeat a lot; the
    /// results are identical).
    fn p_alive_many(&self, customers: &[Customer], out: &mut [f64]) {
        let mut cache: FastMap<(u64, u64, u64), f64> = FastMap::default();
        for (c, o) in customers.iter().zip(out.iter_mut()) {
            let key = (c.frequency.to_bits(), c.recency.to_bits(), c.age.to_bits());
            *o = *cache.entry(key).or_insert_with(|| self.p_alive(c));
        }
    }

    /// `E_alive(x, n, t)` with `t` rounded down to whole opportunities
    /// (module docs); NaN for invalid input, which
    /// [`crate::value::predict`] reports as an error naming the customer.
    fn expected_purchases_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.conditional_expected_if_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// See [`BgBbParams::p_no_transaction_if_alive`] (NaN for invalid input).
    fn p_no_purchase_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.p_no_transaction_if_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// See [`BgBbParams::median_wait_alive`]: a whole number of
    /// opportunities, `+inf` for `None`, NaN for invalid input.
    fn median_wait_if_alive(&self, frequency: f64, age: f64, max_wait: f64) -> f64 {
        match self.median_wait_alive(frequency, age, max_wait) {
            Ok(Some(k)) => k as f64,
            Ok(None) => f64::INFINITY,
            Err(_) => f64::NAN,
        }
    }

    /// `E[X(t)]` with `t` rounded down (NaN for a negative `t`).
    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_transactions_new(t).unwrap_or(f64::NAN)
    }
}

impl Parameters for BgBbParams {
    const NAMES: &'static [&'static str] = &["alpha", "beta", "gamma", "delta"];

    fn from_values(v: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, v)?;
        BgBbParams::new(v[0], v[1], v[2], v[3])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

impl ParametricModel for BgBbParams {
    crate::model::parametric_from_parameters!();

    /// [`BgBbParams::prob_transactions`] over the first `t` opportunities
    /// (`t` rounded down); `None` for a negative or NaN `t`.
    fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
        let opportunities = horizon(t).ok()?;
        Some(self.prob_transactions(n, opportunities))
    }
}

impl Likelihood for Prepared {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let p = BgBbParams {
            alpha: p[0],
            beta: p[1],
            gamma: p[2],
            delta: p[3],
        };
        let (ll, g) = self.evaluate(&p, true);
        (ll, g.to_vec())
    }
}

/// Compressed, validated data: distinct `(x, t_x, n)` with weights.
#[derive(Debug, Clone)]
struct Prepared {
    rows: Vec<(usize, usize, usize, f64)>,
    max_n: usize,
    total_weight: f64,
    transactions: f64,
}

/// `ln Γ(v + k)` and `ψ(v + k)` for `k = 0..len`.
fn tables(v: f64, len: usize, with_digamma: bool) -> (Vec<f64>, Vec<f64>) {
    let lg = (0..len).map(|k| ln_gamma(v + k as f64)).collect();
    let dg = if with_digamma {
        (0..len).map(|k| digamma(v + k as f64)).collect()
    } else {
        Vec::new()
    };
    (lg, dg)
}

impl Prepared {
    fn new(data: &CustomerData) -> Result<Prepared> {
        let c = data.compress();
        let mut rows = Vec::with_capacity(c.len());
        let (mut max_n, mut transactions) = (0, 0.0);
        for i in 0..c.len() {
            let (x, t_x, n) = whole(c.frequency[i], c.recency[i], c.age[i])
                .map_err(|e| Error::InvalidData(format!("row {i}: {e}")))?;
            if n > 1_000_000 {
                return Err(Error::InvalidData(format!(
                    "row {i}: BG/BB fitting supports up to 1,000,000 opportunities, got {n}"
                )));
            }
            let (x, t_x, n) = (x as usize, t_x as usize, n as usize);
            max_n = max_n.max(n);
            transactions += c.weight[i] * x as f64;
            rows.push((x, t_x, n, c.weight[i]));
        }
        Ok(Prepared {
            rows,
            max_n,
            total_weight: c.total_weight(),
            transactions,
        })
    }

    /// Total log-likelihood and, if asked, its gradient in natural parameters.
    fn evaluate(&self, p: &BgBbParams, with_gradient: bool) -> (f64, [f64; 4]) {
        let BgBbParams {
            alpha,
            beta,
            gamma,
            delta,
        } = *p;
        let len = self.max_n + 2;
        let (ga, da) = tables(alpha, len, with_gradient);
        let (gb, db) = tables(beta, len, with_gradient);
        let (gab, dab) = tables(alpha + beta, len, with_gradient);
        let (gg, dg) = tables(gamma, 2, with_gradient);
        let (gd, dd) = tables(delta, len, with_gradient);
        let (ggd, dgd) = tables(gamma + delta, len, with_gradient);
        let constant = -(ga[0] + gb[0] - gab[0]) - (gg[0] + gd[0] - ggd[0]);
        let (mut ll, mut g) = (0.0, [0.0; 4]);
        let mut terms: Vec<f64> = Vec::new();
        let mut grads: Vec<[f64; 4]> = Vec::new();
        for &(x, t_x, n, w) in &self.rows {
            terms.clear();
            grads.clear();
            // First term: B(α+x, β+n-x) B(γ, δ+n).
            terms.push(ga[x] + gb[n - x] - gab[n] + gg[0] + gd[n] - ggd[n]);
            if with_gradient {
                grads.push([
                    da[x] - dab[n],
                    db[n - x] - dab[n],
                    dg[0] - dgd[n],
                    dd[n] - dgd[n],
                ]);
            }
            for i in 0..(n - t_x) {
                let m = t_x - x + i;
                let k = t_x + i;
                terms.push(ga[x] + gb[m] - gab[x + m] + gg[1] + gd[k] - ggd[k + 1]);
                if with_gradient {
                    grads.push([
                        da[x] - dab[x + m],
                        db[m] - dab[x + m],
                        dg[1] - dgd[k + 1],
                        dd[k] - dgd[k + 1],
                    ]);
                }
            }
            let lse = log_sum_exp(&terms);
            ll += w * (constant + lse);
            if with_gradient {
                for (t, gr) in terms.iter().zip(&grads) {
                    let share = w * (t - lse).exp();
                    for j in 0..4 {
                        g[j] += share * gr[j];
                    }
                }
            }
        }
        if with_gradient {
            let n = self.total_weight;
            g[0] -= n * (da[0] - dab[0]);
            g[1] -= n * (db[0] - dab[0]);
            g[2] -= n * (dg[0] - dgd[0]);
            g[3] -= n * (dd[0] - dgd[0]);
        }
        (ll, g)
    }
}

/// Settings for fitting the BG/BB model by (penalised) maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBbFitter {
    /// L2 penalty: the minimised objective is
    /// `-LL / n + penalty * (alpha² + beta² + gamma² + delta²)` with `n` the
    /// number of customers. 0 gives plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
    /// Optional starting point (otherwise fixed starts are tried).
    pub start: Option<BgBbParams>,
}

impl Default for BgBbFitter {
    fn default() -> Self {
        BgBbFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted BG/BB model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedBgBb {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: BgBbParams,
    /// Fit statistics; standard errors and covariance in the order
    /// `alpha, beta, gamma, delta` (empty when the observed information is
    /// not positive definite).
    pub report: FitReport,
}

crate::models::purchase_fitter!(BgBbFitter, BgBbParams);

impl BgBbFitter {
    /// Fits the model to `data` (`frequency = x`, `recency = t_x`, `age = n`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for rows that are not valid BG/BB customers,
    /// [`Error::NotEnoughData`] without customers or without any
    /// transaction, [`Error::InvalidParameter`] for a negative or non-finite
    /// penalty, [`Error::FitFailed`] when no start gives a finite optimum.
    pub fn fit(&self, data: &CustomerData) -> Result<FittedBgBb> {
        if data.is_empty() {
            return Err(Error::NotEnoughData("no customers to fit BG/BB".into()));
        }
        let prepared = Prepared::new(data)?;
        if prepared.transactions <= 0.0 {
            return Err(Error::NotEnoughData(
                "no customer made a transaction: BG/BB cannot be fitted".into(),
            ));
        }
        let mut starts: Vec<Vec<f64>> = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.to_array().to_vec());
        }
        starts.extend([
            vec![1.0, 1.0, 1.0, 1.0],
            vec![0.5, 0.5, 0.5, 3.0],
            vec![2.0, 4.0, 2.0, 10.0],
        ]);
        let settings = fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        };
        let (v, report) = fit::maximize(
            "BG/BB",
            &prepared,
            &settings,
            fit::Strategy::QuasiNewton,
            |_| starts.clone(),
        )?;
        Ok(FittedBgBb {
            params: BgBbParams::from_values(&v)?,
            report,
        })
    }
}

/// Settings of a BG/BB simulation: one cohort, each customer with
/// `p ~ Beta(alpha, beta)` and `theta ~ Beta(gamma, delta)`; at each of the
/// `opportunities` an active customer first drops out with probability
/// `theta`, then (if still active) transacts with probability `p`.
/// Deterministic for a seed (blocks of [`crate::sim::BLOCK`], one random
/// stream each).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBbSimulation {
    /// The model's parameters.
    pub params: BgBbParams,
    /// Number of customers.
    pub customers: usize,
    /// Opportunities observed after acquisition (`n`).
    pub opportunities: u32,
    /// Random seed.
    pub seed: u64,
}

/// A simulated cohort observed for its first `n` opportunities, with what
/// happened afterwards (see [`BgBbSimulation::run_split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BgBbSplit {
    /// `(x, t_x, n)` over the first `n` (calibration) opportunities.
    pub calibration: CustomerData,
    /// Transactions at opportunities `n+1 ..= opportunities`, per customer.
    pub holdout: Vec<f64>,
    /// Whether each customer was still active at opportunity `n + 1` (the
    /// latent state that `P(alive)` estimates).
    pub alive: Vec<bool>,
}

impl BgBbSimulation {
    /// Simulates the cohort; `(x, t_x, n)` per customer as [`CustomerData`],
    /// with `n = opportunities`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] if the beta distributions cannot be built.
    pub fn run(&self) -> Result<CustomerData> {
        Ok(self.split(self.opportunities)?.calibration)
    }

    /// Simulates the same customers as [`BgBbSimulation::run`] and splits
    /// their histories after opportunity `calibration` (`< opportunities`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] unless `calibration < opportunities`, and
    /// as [`BgBbSimulation::run`].
    pub fn run_split(&self, calibration: u32) -> Result<BgBbSplit> {
        if calibration >= self.opportunities {
            return Err(Error::InvalidParameter {
                name: "calibration",
                value: f64::from(calibration),
                reason: "must be less than the number of opportunities",
            });
        }
        self.split(calibration)
    }

    fn split(&self, cut: u32) -> Result<BgBbSplit> {
        let bad = |e: &dyn std::fmt::Display| Error::InvalidData(format!("simulation: {e}"));
        let BgBbParams {
            alpha,
            beta,
            gamma,
            delta,
        } = self.params;
        let buy = Beta::new(alpha, beta).map_err(|e| bad(&e))?;
        let drop = Beta::new(gamma, delta).map_err(|e| bad(&e))?;
        let block = crate::sim::BLOCK;
        let n = self.customers;
        let (mut xs, mut txs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut holdout, mut alive) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (k, start) in (0..n).step_by(block).enumerate() {
            let mut rng =
                StdRng::seed_from_u64(self.seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for _ in start..(start + block).min(n) {
                let p: f64 = buy.sample(&mut rng);
                let theta: f64 = drop.sample(&mut rng);
                let (mut x, mut t_x, mut later) = (0u32, 0u32, 0u32);
                // Dropout draws run one opportunity past the data, so that
                // "alive at cut + 1" is known.
                let mut alive_next = true;
                for t in 1..=self.opportunities.max(cut + 1) {
                    if rng.random::<f64>() < theta {
                        alive_next = t > cut + 1;
                        break;
                    }
                    if t > self.opportunities {
                        break;
                    }
                    if rng.random::<f64>() < p {
                        if t <= cut {
                            x += 1;
                            t_x = t;
                        } else {
                            later += 1;
                        }
                    }
                }
                xs.push(f64::from(x));
                txs.push(f64::from(t_x));
                holdout.push(f64::from(later));
                alive.push(alive_next);
            }
        }
        let ages = vec![f64::from(cut); xs.len()];
        Ok(BgBbSplit {
            calibration: CustomerData::new(xs, txs, ages)?,
            holdout,
            alive,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fhs() -> BgBbParams {
        BgBbParams::new(1.204, 0.750, 0.657, 2.783).unwrap()
    }

    #[test]
    fn tables_agree_with_the_direct_likelihood() {
        let data = CustomerData::with_weights(
            vec![0.0, 1.0, 2.0, 3.0, 3.0, 6.0],
            vec![0.0, 1.0, 5.0, 3.0, 9.0, 6.0],
            vec![6.0, 6.0, 6.0, 6.0, 10.0, 6.0],
            vec![10.0, 3.0, 2.0, 1.0, 1.5, 4.0],
        )
        .unwrap();
        let p = fhs();
        let direct: f64 = (0..data.len())
            .map(|i| {
                data.weight[i]
                    * p.customer_log_likelihood(data.frequency[i], data.recency[i], data.age[i])
                        .unwrap()
            })
            .sum();
        let total = p.total_log_likelihood(&data).unwrap();
        assert!(
            (total - direct).abs() < 1e-11 * direct.abs(),
            "{total} {direct}"
        );
    }

    #[test]
    fn likelihood_sums_to_one_over_all_histories() {
        // Σ over (x, t_x) of the likelihood times the number of sequences
        // with that (x, t_x): C(t_x - 1, x - 1) (the last transaction at t_x).
        let p = fhs();
        let n = 7.0;
        let mut total = (p.customer_log_likelihood(0.0, 0.0, n).unwrap()).exp();
        for t_x in 1..=7u64 {
            for x in 1..=t_x {
                let ways =
                    (ln_gamma(t_x as f64) - ln_gamma(x as f64) - ln_gamma((t_x - x + 1) as f64))
                        .exp();
                total += ways
                    * p.customer_log_likelihood(x as f64, t_x as f64, n)
                        .unwrap()
                        .exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn long_horizons_use_a_continuous_closed_form() {
        for gamma in [0.657, 1.0, 1.0 + 1e-9, 1.0 + 1e-6, 2.5] {
            let p = BgBbParams::new(1.2, 0.75, gamma, 2.8).unwrap();
            let direct = p.alive_opportunities(6.0, DIRECT_SUM_LIMIT);
            let closed = p.alive_opportunities_closed(6.0, DIRECT_SUM_LIMIT as f64);
            assert!(
                (direct - closed).abs() < 1e-8 * closed,
                "gamma={gamma}: {direct} vs {closed}"
            );
            let beyond = p.alive_opportunities(6.0, DIRECT_SUM_LIMIT + 1);
            assert!(
                beyond >= direct && beyond - direct < 1.0,
                "{direct} {beyond}"
            );
        }
    }

    #[test]
    fn fitter_rejects_unusable_data_and_settings() {
        assert!(matches!(
            BgBbFitter::default().fit(&CustomerData::default()),
            Err(Error::NotEnoughData(_))
        ));
        let none = CustomerData::new(vec![0.0; 2], vec![0.0; 2], vec![6.0; 2]).unwrap();
        assert!(matches!(
            BgBbFitter::default().fit(&none),
            Err(Error::NotEnoughData(_))
        ));
        // Valid (x, t_x, T) for BG/NBD but not whole opportunities.
        let fractional = CustomerData::new(vec![1.0], vec![2.5], vec![6.0]).unwrap();
        assert!(matches!(
            BgBbFitter::default().fit(&fractional),
            Err(Error::InvalidData(_))
        ));
        let data = CustomerData::new(vec![0.0, 2.0], vec![0.0, 4.0], vec![6.0, 6.0]).unwrap();
        let bad = BgBbFitter {
            penalty: f64::NAN,
            ..BgBbFitter::default()
        };
        assert!(bad.fit(&data).is_err());
        let p = fhs();
        assert_eq!(
            p.probability_of_purchases_new(2, 6.5),
            Some(p.prob_transactions(2, 6))
        );
        assert_eq!(p.probability_of_purchases_new(2, -1.0), None);
    }

    #[test]
    fn invalid_customers_are_rejected() {
        let p = fhs();
        assert!(p.customer_log_likelihood(2.0, 1.0, 6.0).is_err());
        assert!(p.customer_log_likelihood(1.0, 7.0, 6.0).is_err());
        assert!(p.customer_log_likelihood(1.5, 2.0, 6.0).is_err());
        assert!(p.customer_log_likelihood(0.0, 2.0, 6.0).is_err());
        assert!(p.customer_log_likelihood(1.0, 0.0, 6.0).is_err());
        assert!(p.conditional_expected_if_alive(1.0, 6.0, -1.0).is_err());
        assert!(p.p_alive(&Customer::new(1.0, 0.5, 6.0).unwrap()).is_nan());
    }
}

#[cfg(test)]
mod next_purchase_tests {
    use super::*;
    use crate::next_purchase::checks;

    fn params() -> BgBbParams {
        BgBbParams::new(1.2, 0.75, 0.66, 2.78).unwrap()
    }

    /// `P0(k)` by exhaustive enumeration of the next `k` opportunities: the
    /// dropout opportunity (the customer is alive at the first) and every
    /// transaction pattern while alive, each path's probability a monomial
    /// `θ^i (1-θ)^j p^l (1-p)^m` whose posterior expectation is a ratio of
    /// beta functions. Returns `(P(no transaction), total probability)`.
    fn enumerate(p: &BgBbParams, x: f64, n: f64, k: usize) -> (f64, f64) {
        let (g, d1) = (p.gamma, p.delta + n + 1.0);
        let (a1, b1) = (p.alpha + x, p.beta + n - x);
        let moment = |i: f64, j: f64, l: f64, m: f64| {
            (ln_beta(g + i, d1 + j) - ln_beta(g, d1) + ln_beta(a1 + l, b1 + m) - ln_beta(a1, b1))
                .exp()
        };
        let (mut none, mut total) = (0.0, 0.0);
        // `alive` = number of the k opportunities the customer is alive at:
        // alive at 2..=alive (1-θ each), then dies at alive+1 (θ) unless alive = k.
        for alive in 1..=k {
            let (i, j) = if alive < k {
                (1.0, (alive - 1) as f64)
            } else {
                (0.0, (k - 1) as f64)
            };
            for bits in 0u32..(1 << alive) {
                let l = f64::from(bits.count_ones());
                let m = alive as f64 - l;
                let prob = moment(i, j, l, m);
                total += prob;
                if bits == 0 {
                    none += prob;
                }
            }
        }
        (none, total)
    }

    #[test]
    fn first_two_opportunities_by_hand() {
        // alpha' = 1.2 + 2 = 3.2, beta' = 0.75 + 5 - 2 = 3.75, delta + n + 1 = 8.78.
        // b1 = E[p] = 3.2/6.95; b2 = b1 * 8.78/(0.66+8.78) * 3.75/(6.95+1).
        let b1 = 3.2 / 6.95;
        let b2 = b1 * 8.78 / 9.44 * 3.75 / 7.95;
        let p = params();
        let one = p.p_no_transaction_if_alive(2.0, 5.0, 1.0).unwrap();
        let two = p.p_no_transaction_if_alive(2.0, 5.0, 2.0).unwrap();
        assert!((one - (1.0 - b1)).abs() < 1e-15, "{one}");
        assert!((two - (1.0 - b1 - b2)).abs() < 1e-15, "{two}");
        // Fractional horizons round down; 0 opportunities: certainly none.
        assert_eq!(p.p_no_transaction_if_alive(2.0, 5.0, 2.7).unwrap(), two);
        assert_eq!(p.p_no_transaction_if_alive(2.0, 5.0, 0.9).unwrap(), 1.0);
    }

    #[test]
    fn matches_exhaustive_enumeration() {
        let p = params();
        for &(x, n) in &[(0.0, 0.0), (2.0, 5.0), (6.0, 6.0), (1.0, 9.0)] {
            for k in 1..=6 {
                let (none, total) = enumerate(&p, x, n, k);
                assert!((total - 1.0).abs() < 1e-12, "paths sum to {total}");
                let got = p.p_no_transaction_if_alive(x, n, k as f64).unwrap();
                assert!(
                    (got - none).abs() < 1e-13,
                    "x={x} n={n} k={k}: {got} vs {none}"
                );
            }
        }
    }

    #[test]
    fn shape_slope_and_limit() {
        let p = params();
        let grid: Vec<f64> = (1..=200)
            .map(f64::from)
            .chain([1e4, 1e5, 2e5, 1e7, 1e12])
            .collect();
        for &(x, n) in &[(0.0, 0.0), (2.0, 5.0), (6.0, 6.0), (0.0, 30.0)] {
            checks::assert_survival_shape(&p, x, n, &grid);
            // Discrete slope: the first opportunity's purchase probability
            // E[p] = (alpha+x)/(alpha+beta+n) is also E_alive(1).
            let first = 1.0 - p.p_no_purchase_if_alive(x, n, 1.0);
            let rate = (1.2 + x) / (1.95 + n);
            assert!((first - rate).abs() < 1e-15);
            assert!((p.expected_purchases_if_alive(x, n, 1.0) - rate).abs() < 1e-15);
            // Every future opportunity: E[θ(1-p)/(p+θ-pθ)] > 0.
            let limit = p.p_no_purchase_if_alive(x, n, f64::INFINITY);
            assert!(limit > 0.0 && limit < p.p_no_purchase_if_alive(x, n, 200.0));
        }
    }

    #[test]
    fn integrated_tail_matches_the_direct_sum() {
        // Slowly decaying terms (σ = γ + α + x = 0.2) make the tail matter.
        for p in [params(), BgBbParams::new(0.1, 2.0, 0.1, 1.0).unwrap()] {
            for &(x, n) in &[(0.0, 0.0), (2.0, 5.0)] {
                let first = FirstTransaction::new(&p, x, n);
                for k in [150_000u64, 3_000_000] {
                    let direct = first.direct(k, |_, _| false);
                    let mixed = first.at_least_one(k);
                    assert!(
                        (mixed / direct - 1.0).abs() < 1e-9,
                        "k={k}: {mixed} vs {direct}"
                    );
                }
            }
        }
        // The limit of the fast-decaying case: the direct sum to 10^7 (its
        // remaining tail is below 1e-20).
        let first = FirstTransaction::new(&params(), 2.0, 5.0);
        let direct = first.direct(10_000_000, |_, _| false);
        let limit = first.at_least_one(u64::MAX);
        assert!((limit / direct - 1.0).abs() < 1e-10, "{limit} vs {direct}");
    }

    #[test]
    fn median_wait_in_whole_opportunities() {
        let p = params();
        for &(x, n) in &[(0.0, 0.0), (2.0, 5.0), (6.0, 6.0), (1.0, 9.0)] {
            match p.median_wait_alive(x, n, 1e6).unwrap() {
                Some(k) => {
                    let k = k as f64;
                    assert!(p.p_no_transaction_if_alive(x, n, k).unwrap() <= 0.5);
                    assert!(p.p_no_transaction_if_alive(x, n, k - 1.0).unwrap() > 0.5);
                    assert_eq!(p.median_wait_if_alive(x, n, 1e6), k);
                }
                None => assert!(p.p_no_transaction_if_alive(x, n, 1e6).unwrap() > 0.5),
            }
        }
        // x = n = 6: E[p] = 7.2/7.95 > 1/2, so the next opportunity.
        assert_eq!(p.median_wait_alive(6.0, 6.0, 10.0).unwrap(), Some(1));
        // A customer who rarely transacts and likely drops out: never.
        let q = BgBbParams::new(0.2, 5.0, 5.0, 1.0).unwrap();
        assert_eq!(q.median_wait_alive(0.0, 10.0, 1e6).unwrap(), None);
        assert_eq!(q.median_wait_if_alive(0.0, 10.0, 1e6), f64::INFINITY);
        // Past max_wait (rounded down): none.
        let slow = BgBbParams::new(0.3, 8.0, 0.2, 20.0).unwrap();
        let k = slow.median_wait_alive(0.0, 3.0, 1e6).unwrap().unwrap();
        assert!(k > 2);
        assert_eq!(
            slow.median_wait_alive(0.0, 3.0, (k - 1) as f64 + 0.9)
                .unwrap(),
            None
        );
        assert!(slow.median_wait_alive(0.5, 3.0, 10.0).is_err());
    }

    #[test]
    fn p_alive_many_equals_one_by_one() {
        let p = params();
        let customers: Vec<Customer> = [
            (0.0, 0.0, 5.0),
            (2.0, 4.0, 5.0),
            (0.0, 0.0, 5.0),
            (2.0, 4.0, 6.0),
        ]
        .iter()
        .map(|&(x, tx, n)| Customer::new(x, tx, n).unwrap())
        .collect();
        let mut out = vec![0.0; 4];
        p.p_alive_many(&customers, &mut out);
        for (c, o) in customers.iter().zip(&out) {
            assert_eq!(*o, p.p_alive(c));
        }
        assert_eq!(out[0], out[2]);
        assert_ne!(out[1], out[3]);
    }

    #[test]
    fn monte_carlo_agrees() {
        // p ~ Beta(alpha+x, beta+n-x), θ ~ Beta(γ, δ+n+1); alive at the first
        // of the next k = 4 opportunities, dropping out at the start of each
        // later one with probability θ, transacting with probability p.
        let p = params();
        let (x, n, k) = (2.0, 5.0, 4);
        let buy = Beta::new(1.2 + x, 0.75 + n - x).unwrap();
        let drop = Beta::new(0.66, 2.78 + n + 1.0).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let draws = 200_000;
        let mut hits = 0;
        for _ in 0..draws {
            let (pp, theta): (f64, f64) = (buy.sample(&mut rng), drop.sample(&mut rng));
            let mut bought = false;
            for j in 0..k {
                if j > 0 && rng.random::<f64>() < theta {
                    break;
                }
                if rng.random::<f64>() < pp {
                    bought = true;
                    break;
                }
            }
            if !bought {
                hits += 1;
            }
        }
        let want = p.p_no_transaction_if_alive(x, n, k as f64).unwrap();
        checks::assert_monte_carlo(want, hits, draws);
    }
}
