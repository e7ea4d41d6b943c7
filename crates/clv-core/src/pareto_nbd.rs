//! The Pareto/NBD purchase model of Schmittlein, Morrison & Colombo (1987),
//! "Counting Your Customers: Who Are They and What Will They Do Next?",
//! *Management Science* 33(1), 1-24, fitted by maximum likelihood as in
//! Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way",
//! *Marketing Science* 24(2), 275-284, with the expressions of Fader &
//! Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
//! Expressions", and the discounted expected residual transactions of Fader,
//! Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
//! Base Analysis", *Journal of Marketing Research* 42(4), 415-430.
//!
//! # Assumptions
//!
//! 1. While active, a customer's purchases follow a Poisson process with rate
//!    `lambda`.
//! 2. Each customer's unobserved lifetime (measured from the first purchase)
//!    is exponential with rate `mu`.
//! 3. `lambda ~ Gamma(shape r, rate alpha)` across customers.
//! 4. `mu ~ Gamma(shape s, rate beta)` across customers.
//! 5. `lambda` and `mu` are independent.
//!
//! Unlike BG/NBD, a customer can drop out at any time, so a customer without
//! repeat purchases is not necessarily alive.
//!
//! # Formulas
//!
//! With `x` repeat purchases, the last at `t_x`, observed for `T`, and
//! `f(τ) = (α+τ)^-(r+x) (β+τ)^-(s+1)` (equation numbers are ours):
//!
//! ```text
//! (1) L = Γ(r+x) α^r β^s / Γ(r) [ (α+T)^-(r+x) (β+T)^-s + s I ],
//!     I = ∫_{t_x}^{T} f(τ) dτ = G(t_x) - G(T),    G(t) = ∫_t^∞ f(τ) dτ
//! (2) G(t) = (c1+t)^-p1 (c2+t)^-(p2-1) F(z) / (r+s+x),   z = (c1-c2)/(c1+t),
//!     F(z) = 2F1(1, p1; p1+p2; z) = Σ_k (p1)_k/(p1+p2)_k z^k,
//!     (p1, p2, c1, c2) = (r+x, s+1, α, β) if α >= β, (s+1, r+x, β, α) if α < β
//! (3) P(alive | x, t_x, T) = (α+T)^-(r+x) (β+T)^-s / [ (α+T)^-(r+x) (β+T)^-s + s I ]
//! (4) E[Y(t) | alive, x, T] = (r+x)/(α+T) (β+T)/(s-1) [1 - ((β+T)/(β+T+t))^(s-1)]
//! (5) E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) E[Y(t) | alive, x, T]
//! (6) E[X(t)] = r β / (α (s-1)) [1 - (β/(β+t))^(s-1)]       ((4) with x = T = 0)
//! (7) P(X(t) = n) = Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n (β/(β+t))^s
//!       + Γ(r+n)/(Γ(r) n!) α^r s β^s ∫_0^t τ^n (α+τ)^-(r+n) (β+τ)^-(s+1) dτ
//! (8) P(Y(t) = n | x, t_x, T) = δ(n=0) (1 - P(alive))
//!       + P(alive) P(X(t) = n | r+x, α+T, s, β+T)
//! (9) DERT(δ) = P(alive) (r+x)/(α+T) (β+T)^s δ^(s-1) U(s, s; δ(β+T))
//!             = P(alive) (r+x)/(α+T) ∫_0^∞ e^(-δ t) ((β+T)/(β+T+t))^s dt
//! ```
//!
//! (1) follows from the likelihood given `(λ, μ)`,
//! `λ^x e^-(λ+μ)T + λ^x μ ∫_{t_x}^T e^-(λ+μ)τ dτ`, by integrating over the
//! two gamma distributions (Fader & Hardie's note, section 2). (2) is the
//! closed form of the note's `A_0` (their 2F1(r+s+x, s+1; r+s+x+1; z) after
//! Euler's transformation, which leaves a series of positive terms whose ratio
//! is below `z`). (8) uses that, given alive at `T`, `λ ~ Gamma(r+x, α+T)`
//! and `μ ~ Gamma(s, β+T)` independently and lifetimes are memoryless. In (9)
//! `U` is Tricomi's confluent hypergeometric function (FHL 2005, JMR,
//! equation 2); the integral is the same quantity, `E[1 / (μ + δ)]`.
//!
//! # Numerics
//!
//! - Everything is in log space: `ln L = A(x) + logaddexp(ln E, ln s + ln I)`
//!   with `ln I = ln G(t_x) + ln(-expm1(ln G(T) - ln G(t_x)))`, so nothing
//!   overflows for large `x` (the failure of naive `2F1` code for
//!   `x = 200` and beyond). `α = β` is the `z = 0` case of both branches, so
//!   the two branches agree there.
//! - The series `F` has only positive terms (no cancellation) and is summed
//!   until the geometric tail bound is below `1e-17` of the sum. It is used
//!   for `z <= 0.9` (at most a few hundred terms); for larger `z` (the rate
//!   parameters differ by a factor of ten or more) `ln G(t)` and its
//!   derivatives come from adaptive Gauss-Kronrod (7/15) quadrature of
//!   `∫_t^∞ f` in the variable `y = ln((c2+τ)/(c2+t))`, scaled by the largest
//!   integrand value.
//! - Derivatives of `ln G` with respect to `(r, α, s, β)` come from the
//!   series (running sums for the derivatives of the Pochhammer ratios) or
//!   from the quadrature moments `∫ f ln(α+τ)`, `∫ f/(α+τ)`, ...; the
//!   gradient of the total log-likelihood is analytic.
//! - (7) and (9) are integrals of positive, smooth functions evaluated by the
//!   same quadrature (no alternating sums, unlike the closed forms in the
//!   papers).
//!
//! Per customer, [`ParetoNbdParams::probability_alive`] and the log-likelihood
//! sum two short series (two quadratures when the rates differ tenfold or
//! more); [`ParetoNbdParams::dert`] adds a quadrature that depends only on
//! `T` ([`ParetoNbdParams::discounted_lifetime`], worth caching per distinct
//! age).
//!
//! # Fitting
//!
//! [`ParetoNbdFitter`] maximises the weighted log-likelihood over
//! `ln(r, alpha, s, beta)`. The data are indexed to distinct `x`, distinct
//! times, distinct `(x, t)` pairs and distinct rows, so `G` is evaluated once
//! per distinct `(x, t_x)` and `(x, T)` pair (a million simulated customers
//! with daily purchase dates observed for 78 weeks have 11,584 such pairs and
//! 216,104 distinct rows, see `benches/pareto_nbd.rs`;
//! identical rows are merged by sorting packed integer keys). Small inputs
//! are fitted with BFGS from a few data-driven starts and polished with
//! Newton steps (Hessians from central differences of the analytic
//! gradient, `optim::hessian_from_gradient`, relative error about `1e-8`).
//! Large inputs (more than 40,000 distinct rows) are first fitted on a
//! systematic subsample of about 20,000 rows; BFGS on all rows then starts
//! there, with the inverse Hessian of the subsample's objective as its first
//! inverse-Hessian estimate, and runs to a gradient of `1e-7` (a few steps);
//! Newton steps with forward-difference Hessians (4 gradient passes, relative
//! error about `1e-6`) finish in one or two steps. The standard errors and
//! covariance come from the Hessian in natural parameters at the optimum.

// Small fixed-size vectors are indexed in parallel throughout.
#![allow(clippy::needless_range_loop)]

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, Exp, Gamma};
use rayon::prelude::*;

use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::fit::{self, FitReport, Likelihood};
use crate::model::{Parameters, ParametricModel, PurchaseModel, check_param_count};
use crate::numeric::{FastMap, bits_for, check_positive, log_add_exp, logistic};
use crate::special::{digamma, ln_gamma, ln_gamma_ratio};

/// Parameters of the Pareto/NBD model, named as in the papers. Standard
/// errors and covariances are reported in the order `r, alpha, s, beta`.
///
/// Valid by construction: build it with [`ParetoNbdParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ParetoNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub(crate) r: f64,
    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub(crate) alpha: f64,
    /// Shape of the gamma distribution of dropout rates `mu`.
    pub(crate) s: f64,
    /// Rate (inverse scale) of the gamma distribution of dropout rates, in the model's time unit.
    pub(crate) beta: f64,
}

/// `ln G(t)` and its gradient with respect to `(r, alpha, s, beta)`.
#[derive(Debug, Clone, Copy, Default)]
struct LnValue {
    ln: f64,
    grad: [f64; 4],
}

/// Largest `z` for which the series (2) is used.
const Z_SERIES: f64 = 0.9;

/// Terms allowed in the series (2) before falling back to quadrature.
const MAX_TERMS: usize = 20_000;

/// The series `F(z) = 2F1(1, p1; p1+p2; z)` and its derivatives.
#[derive(Debug, Clone, Copy)]
struct Series {
    f: f64,
    d_p1: f64,
    d_p2: f64,
    d_z: f64,
}

/// Sums `F(z) = Σ_k (p1)_k/(p1+p2)_k z^k` (and, if `grad`, its partial
/// derivatives in `p1`, `p2` and `z`); `None` if it needs more than
/// [`MAX_TERMS`] terms.
fn series(p1: f64, p2: f64, z: f64, grad: bool) -> Option<Series> {
    let c = p1 + p2;
    let mut f = 1.0;
    let (mut d_b, mut d_c, mut d_z) = (0.0, 0.0, 0.0);
    let (mut h1, mut h2) = (0.0, 0.0);
    let mut t = 1.0;
    let tail = 1e-17 * (1.0 - z) * (1.0 - z);
    for k in 1..=MAX_TERMS {
        let kf = k as f64;
        let num = p1 + kf - 1.0;
        let den = c + kf - 1.0;
        // u = t_k / z, so that d/dz needs no division by z.
        let u = t * (num / den);
        t = u * z;
        f += t;
        if grad {
            h1 += 1.0 / num;
            h2 += 1.0 / den;
            d_b += t * h1;
            d_c += t * h2;
            d_z += kf * u;
        }
        // Term ratios are below z: the tails of all four sums are bounded by
        // t (k+1) / (1-z)^2 times a slowly growing factor.
        if t * (kf + 1.0) * (1.0 + h1) <= tail * f {
            return Some(Series {
                f,
                d_p1: d_b - d_c,
                d_p2: -d_c,
                d_z,
            });
        }
    }
    None
}

impl ParetoNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Shape of the gamma distribution of dropout rates `mu`.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// Rate (inverse scale) of the gamma distribution of dropout rates, in the model's time unit.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("s", s)?;
        check_positive("beta", beta)?;
        Ok(ParetoNbdParams { r, alpha, s, beta })
    }

    /// Without validation, for the fitting driver (which only evaluates
    /// positive, finite values).
    fn unchecked(p: &[f64]) -> Self {
        ParetoNbdParams {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
        }
    }

    /// The parameters as an array `[r, alpha, s, beta]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// `A(x) = ln Γ(r+x) - ln Γ(r) + r ln α + s ln β` and its gradient.
    fn base(&self, x: f64) -> LnValue {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        LnValue {
            ln: ln_gamma_ratio(r, x) + r * alpha.ln() + s * beta.ln(),
            grad: [
                digamma(r + x) - digamma(r) + alpha.ln(),
                r / alpha,
                beta.ln(),
                s / beta,
            ],
        }
    }

    /// `ln E = -(r+x) ln(α+T) - s ln(β+T)` (the "alive at T" term) and its gradient.
    fn alive_term(&self, x: f64, age: f64) -> LnValue {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let (la, lb) = ((alpha + age).ln(), (beta + age).ln());
        LnValue {
            ln: -(r + x) * la - s * lb,
            grad: [-la, -(r + x) / (alpha + age), -lb, -s / (beta + age)],
        }
    }

    /// `ln G(t)`, equation (2), and (if `grad`) its gradient.
    fn ln_g(&self, x: f64, t: f64, grad: bool) -> LnValue {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let swap = alpha < beta;
        // p2m1 = p2 - 1 without rounding.
        let (p1, p2, p2m1, c1, c2) = if swap {
            (s + 1.0, r + x, r + x - 1.0, beta, alpha)
        } else {
            (r + x, s + 1.0, s, alpha, beta)
        };
        let (a1, a2) = (c1 + t, c2 + t);
        let z = (c1 - c2) / a1;
        let q = r + s + x;
        let f = if z <= Z_SERIES {
            series(p1, p2, z, grad)
        } else {
            None
        };
        let Some(f) = f else {
            return self.ln_g_quadrature(x, t, grad);
        };
        let (l1, l2) = (a1.ln(), a2.ln());
        let ln = -p1 * l1 - p2m1 * l2 + f.f.ln() - q.ln();
        if !grad {
            return LnValue { ln, grad: [0.0; 4] };
        }
        let fz = f.d_z / f.f;
        let d_p1 = -l1 + f.d_p1 / f.f - 1.0 / q;
        let d_p2 = -l2 + f.d_p2 / f.f - 1.0 / q;
        let d_c1 = -p1 / a1 + fz * a2 / (a1 * a1);
        let d_c2 = -p2m1 / a2 - fz / a1;
        let grad = if swap {
            [d_p2, d_c2, d_p1, d_c1]
        } else {
            [d_p1, d_c1, d_p2, d_c2]
        };
        LnValue { ln, grad }
    }

    /// `ln G(t)` by quadrature of `∫_t^∞ f` (see the module docs).
    fn ln_g_quadrature(&self, x: f64, t: f64, grad: bool) -> LnValue {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let c2 = alpha.min(beta);
        let c1 = alpha.max(beta);
        let base = c2 + t;
        let ln_base = base.ln();
        let (da, db) = (alpha - c2, beta - c2);
        let (rx, s1) = (r + x, s + 1.0);
        let (at, bt) = (alpha + t, beta + t);
        let (lat, lbt) = (at.ln(), bt.ln());
        // τ = base e^y - c2. The log-integrand is taken relative to y = 0,
        // with dla = ln((α+τ)/(α+t)) = ln1p(base expm1(y)/(α+t)) (and dlb
        // alike), so that huge exponents (r+x of 1e12 when a fit drifts to
        // the Poisson limit) do not turn it into rounding noise; for y > 1,
        // ln(α+τ) = ln base + y + ln1p(da/base e^-y) avoids overflow.
        let point = |y: f64| {
            let (dla, dlb) = if y < 1.0 {
                let step = base * y.exp_m1();
                ((step / at).ln_1p(), (step / bt).ln_1p())
            } else {
                let e = (-y).exp();
                (
                    ln_base + y + (da / base * e).ln_1p() - lat,
                    ln_base + y + (db / base * e).ln_1p() - lbt,
                )
            };
            let lw = -rx * dla - s1 * dlb + y;
            let m = if grad {
                [1.0, dla, (-dla).exp() / at, dlb, (-dlb).exp() / bt]
            } else {
                [1.0, 0.0, 0.0, 0.0, 0.0]
            };
            (lw, m)
        };
        // Slope of the log-integrand at y = 0 sets the first panel.
        let slope0 = 1.0 - rx * base / at - s1 * base / bt;
        let h = 0.5 / slope0.abs().max(1.0);
        let y_max = (c1 / base).ln_1p() + 60.0 / (r + s + x);
        let (m, v) = integrate_log(point, &geometric_breaks(0.0, y_max, h));
        let ln = m + v[0].ln() - rx * lat - s1 * lbt + ln_base;
        if !grad {
            return LnValue { ln, grad: [0.0; 4] };
        }
        LnValue {
            ln,
            grad: [
                -(lat + v[1] / v[0]),
                -rx * v[2] / v[0],
                -(lbt + v[3] / v[0]),
                -s1 * v[4] / v[0],
            ],
        }
    }

    /// `ln(s I)` with its gradient from `ln G(t_x)` and `ln G(T)`; the flag is
    /// false (and the value `-inf`) when `I` vanishes (`t_x = T` to rounding).
    fn terms(&self, g_tx: &LnValue, g_t: &LnValue) -> (LnValue, bool) {
        let d = g_t.ln - g_tx.ln;
        let one_minus = -d.exp_m1();
        if one_minus.is_nan() || one_minus <= 0.0 {
            return (
                LnValue {
                    ln: f64::NEG_INFINITY,
                    grad: [0.0; 4],
                },
                false,
            );
        }
        let rho = d.exp();
        let ln = self.s.ln() + g_tx.ln + one_minus.ln();
        let mut grad = [0.0; 4];
        for (k, gk) in grad.iter_mut().enumerate() {
            *gk = (g_tx.grad[k] - rho * g_t.grad[k]) / one_minus;
        }
        grad[2] += 1.0 / self.s;
        (LnValue { ln, grad }, true)
    }

    /// One customer's log-likelihood, equation (1) in log space.
    pub fn customer_log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let base = self.base(x);
        let e = self.alive_term(x, age);
        if t_x >= age {
            return base.ln + e.ln;
        }
        let (g_tx, g_t) = (self.ln_g(x, t_x, false), self.ln_g(x, age, false));
        let (si, _) = self.terms(&g_tx, &g_t);
        base.ln + log_add_exp(e.ln, si.ln)
    }

    /// One customer's log-likelihood from the integral in (1) evaluated by
    /// adaptive quadrature over `[t_x, T]` (slow; an independent check of the
    /// closed form used everywhere else).
    pub fn customer_log_likelihood_by_quadrature(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let base = self.base(x).ln;
        let e = self.alive_term(x, age).ln;
        if t_x >= age {
            return base + e;
        }
        // τ = t_x + (T - t_x) u over u in [0, 1], refined geometrically at 0.
        let width = age - t_x;
        let point = |u: f64| {
            let tau = t_x + width * u;
            let lw = -(r + x) * (alpha + tau).ln() - (s + 1.0) * (beta + tau).ln() + width.ln();
            (lw, [1.0])
        };
        let slope = width * ((r + x) / (alpha + t_x) + (s + 1.0) / (beta + t_x));
        let h = 0.5 / slope.max(1.0);
        let (m, v) = integrate_log(point, &geometric_breaks(0.0, 1.0, h));
        base + log_add_exp(e, s.ln() + m + v[0].ln())
    }

    /// Total weighted log-likelihood of `data`.
    pub fn total_log_likelihood(&self, data: &CustomerData) -> f64 {
        Prepared::new(data).evaluate(self, false).0
    }

    /// Total weighted log-likelihood of `data` and its gradient with respect
    /// to `(r, alpha, s, beta)`.
    pub fn log_likelihood_gradient(&self, data: &CustomerData) -> (f64, [f64; 4]) {
        Prepared::new(data).evaluate(self, true)
    }

    /// `P(alive | x, t_x, T)`, equation (3); in `[0, 1]`, 1 when `t_x = T`.
    pub fn probability_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        if t_x >= age {
            return 1.0;
        }
        let e = self.alive_term(x, age);
        let (g_tx, g_t) = (self.ln_g(x, t_x, false), self.ln_g(x, age, false));
        let (si, _) = self.terms(&g_tx, &g_t);
        logistic(e.ln - si.ln)
    }

    /// `E[Y(t) | alive at T, x, T]`: expected purchases in `(T, T+t]` for a
    /// customer known to be active at `T`, equation (4) (continuous at
    /// `s = 1`, where it is `(r+x)/(α+T) (β+T) ln(1 + t/(β+T))`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for negative or non-finite `x`, `T`, or a
    /// negative or NaN `t`.
    pub fn conditional_expected_if_alive(&self, x: f64, age: f64, t: f64) -> Result<f64> {
        if !(x >= 0.0 && age >= 0.0 && t >= 0.0 && x.is_finite() && age.is_finite()) {
            return Err(Error::InvalidData(format!(
                "expected purchases need x, T, t >= 0 and finite, got x={x}, T={age}, t={t}"
            )));
        }
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let rate = (r + x) / (alpha + age);
        let b = beta + age;
        if t.is_infinite() {
            return Ok(if s > 1.0 {
                rate * b / (s - 1.0)
            } else {
                f64::INFINITY
            });
        }
        // b/(s-1) [1 - (b/(b+t))^(s-1)] = b L expm1(u)/u, L = ln(1+t/b), u = (1-s) L.
        let l = (t / b).ln_1p();
        let u = (1.0 - s) * l;
        let ratio = if u == 0.0 { 1.0 } else { u.exp_m1() / u };
        Ok(rate * b * l * ratio)
    }

    /// `E[Y(t) | x, t_x, T]`, equation (5).
    ///
    /// # Errors
    ///
    /// As [`ParetoNbdParams::conditional_expected_if_alive`].
    pub fn conditional_expected_purchases(
        &self,
        x: f64,
        t_x: f64,
        age: f64,
        t: f64,
    ) -> Result<f64> {
        Ok(self.probability_alive(x, t_x, age) * self.conditional_expected_if_alive(x, age, t)?)
    }

    /// `E[X(t)]`, expected repeat purchases of a new customer in `(0, t]`,
    /// equation (6).
    ///
    /// # Errors
    ///
    /// As [`ParetoNbdParams::conditional_expected_if_alive`].
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64> {
        self.conditional_expected_if_alive(0.0, 0.0, t)
    }

    /// `P(X(t) = n)`: probability that a new customer makes exactly `n`
    /// repeat purchases in `(0, t]`, equation (7).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a negative or non-finite `t`.
    pub fn prob_purchases(&self, n: u64, t: f64) -> Result<f64> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::InvalidData(format!(
                "P(X(t) = n) needs a finite t >= 0, got {t}"
            )));
        }
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let ParetoNbdParams { r, alpha, s, beta } = *self;
        let nf = n as f64;
        let a = ln_gamma_ratio(r, nf) - ln_gamma(nf + 1.0);
        let ln_q = if n > 0 {
            nf * (t / (alpha + t)).ln()
        } else {
            0.0
        };
        let first = a - r * (t / alpha).ln_1p() + ln_q - s * (t / beta).ln_1p();
        // ∫_0^t τ^n (α+τ)^-(r+n) (β+τ)^-(s+1) dτ with τ = t e^v, v in [-50, 0].
        let ln_t = t.ln();
        let point = |v: f64| {
            let tau = t * v.exp();
            let lw = (nf + 1.0) * (ln_t + v)
                - (r + nf) * (alpha + tau).ln()
                - (s + 1.0) * (beta + tau).ln();
            (lw, [1.0])
        };
        let lower = -50.0 / (nf + 1.0).sqrt();
        let breaks: Vec<f64> = (0..=50).map(|k| lower * (1.0 - k as f64 / 50.0)).collect();
        let (m, v) = integrate_log(point, &breaks);
        let second = a + r * alpha.ln() + s.ln() + s * beta.ln() + m + v[0].ln();
        Ok(log_add_exp(first, second).exp().min(1.0))
    }

    /// `P(Y(t) = n | x, t_x, T)`: probability that a customer with history
    /// `(x, t_x, T)` makes exactly `n` purchases in `(T, T+t]`, equation (8).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for invalid `(x, t_x, T)` or a negative or
    /// non-finite `t`.
    pub fn conditional_prob_purchases(
        &self,
        n: u64,
        x: f64,
        t_x: f64,
        age: f64,
        t: f64,
    ) -> Result<f64> {
        Customer::new(x, t_x, age)?;
        let pa = self.probability_alive(x, t_x, age);
        let posterior = ParetoNbdParams {
            r: self.r + x,
            alpha: self.alpha + age,
            s: self.s,
            beta: self.beta + age,
        };
        let p = pa * posterior.prob_purchases(n, t)?;
        Ok(if n == 0 { p + (1.0 - pa) } else { p })
    }

    /// `E[1 / (μ + δ) | alive at T]` for `μ ~ Gamma(s, β+T)`: the discounted
    /// expected lifetime `∫_0^∞ e^-δt P(alive at T+t | alive at T) dt` that
    /// multiplies `P(alive) (r+x)/(α+T)` in (9). It depends on the customer
    /// only through `T`, so callers can cache it per distinct age.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a negative or non-finite `T` or a
    /// non-positive or non-finite `delta`.
    pub fn discounted_lifetime(&self, age: f64, delta: f64) -> Result<f64> {
        if !(age.is_finite() && age >= 0.0 && delta.is_finite() && delta > 0.0) {
            return Err(Error::InvalidData(format!(
                "DERT needs a finite T >= 0 and a finite discount rate > 0, got T={age}, delta={delta}"
            )));
        }
        let s = self.s;
        let z = delta * (self.beta + age);
        // (1/δ) ∫_0^∞ e^-y (1 + y/z)^-s dy with y = z (e^w - 1).
        let ln_z = z.ln();
        let point = |w: f64| (ln_z + (1.0 - s) * w - z * w.exp_m1(), [1.0]);
        let w_max = (80.0 / z).ln_1p();
        let h = 0.5 / (1.0 - s).abs().max(1.0).max(z);
        let (m, v) = integrate_log(point, &geometric_breaks(0.0, w_max, h));
        Ok((m + v[0].ln()).exp() / delta)
    }

    /// Discounted expected residual transactions with continuous discount
    /// rate `delta` (per time unit), equation (9): the expected number of
    /// future purchases, each discounted by `e^-δt`.
    ///
    /// # Errors
    ///
    /// As [`ParetoNbdParams::discounted_lifetime`], and
    /// [`Error::InvalidData`] for an invalid `(x, t_x, T)`.
    pub fn dert(&self, x: f64, t_x: f64, age: f64, delta: f64) -> Result<f64> {
        Customer::new(x, t_x, age)?;
        let k = self.discounted_lifetime(age, delta)?;
        Ok(self.probability_alive(x, t_x, age) * (self.r + x) / (self.alpha + age) * k)
    }
}

/// The integrand of the next-purchase probability of a customer alive at
/// `T` (see [`ParetoNbdParams::p_no_purchase_alive`]), in the variable
/// `z = ln(1 + u/(alpha+T))`:
/// `f(z) = a e^(-a z) (1 + c (e^z - 1))^(-s)`, `a = r+x`, `c = (alpha+T)/(beta+T)`.
#[derive(Debug, Clone, Copy)]
struct NextPurchase {
    /// `r + x`.
    a: f64,
    /// `s`.
    s: f64,
    /// `(alpha+T)/(beta+T)`.
    c: f64,
    /// `alpha + T`: `u = (alpha+T) (e^z - 1)`.
    time_scale: f64,
    /// Beyond this `z`, `f(z) = f(z_tail) e^(-(a+s)(z - z_tail))` to a
    /// relative `1e-17`.
    z_tail: f64,
    /// The first panel's width: a fraction of the smallest scale of `ln f`.
    h0: f64,
}

impl NextPurchase {
    fn new(p: &ParetoNbdParams, x: f64, age: f64) -> NextPurchase {
        let (a, s) = (p.r + x, p.s);
        let c = (p.alpha + age) / (p.beta + age);
        // (1 + c(e^z - 1)) = c e^z (1 + (1-c)/(c e^z)): the relative error of
        // dropping the last factor is below s (1+c)/(c e^z) <= 1e-17 there.
        let z_tail = 40.0 + s.ln_1p() + (1.0 / c).ln_1p();
        // |d ln f / dz| <= a + s max(1, c).
        let h0 = 0.5 / (1.0 + a + s * c.max(1.0));
        NextPurchase {
            a,
            s,
            c,
            time_scale: p.alpha + age,
            z_tail,
            h0,
        }
    }

    fn ln_f(&self, z: f64) -> f64 {
        self.a.ln() - self.a * z - self.s * (self.c * z.exp_m1()).ln_1p()
    }

    /// `∫_lo^hi f(z) dz` for `0 <= lo <= hi <= inf`: adaptive Gauss-Kronrod
    /// up to `z_tail`, the exponential tail in closed form beyond.
    fn integral(&self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return 0.0;
        }
        let mid = hi.min(self.z_tail);
        let mut total = 0.0;
        if mid > lo {
            let h = self.h0.min(mid - lo);
            let (m, v) = integrate_log(|z| (self.ln_f(z), [1.0]), &geometric_breaks(lo, mid, h));
            total += m.exp() * v[0];
        }
        if hi > self.z_tail {
            let start = lo.max(self.z_tail);
            let rate = self.a + self.s;
            let span = -(-rate * (hi - start)).exp_m1();
            total += self.ln_f(start).exp() / rate * span;
        }
        total
    }
}

impl ParetoNbdParams {
    /// `P0(t) = P(no purchase in (T, T+t] | alive at T, x, T)`.
    ///
    /// # Derivation
    ///
    /// Given alive at `T` with `x` purchases in `(0, T]`, the posterior is
    /// `lambda ~ Gamma(r+x, alpha+T)` and `mu ~ Gamma(s, beta+T)`,
    /// independent (the likelihood of an alive customer is
    /// `lambda^x e^(-lambda T) e^(-mu T)`). The first purchase after `T` comes
    /// at an `Exp(lambda)` time `E`, death at an `Exp(mu)` time `D`; there is
    /// a purchase in `(T, T+t]` iff `E <= t` and `E < D`:
    ///
    /// ```text
    /// 1 - P0(t) = ∫_0^t E[lambda e^(-lambda u)] E[e^(-mu u)] du
    ///           = ∫_0^t (r+x)/(alpha+T) ((alpha+T)/(alpha+T+u))^(r+x+1)
    ///                   ((beta+T)/(beta+T+u))^s du.
    /// ```
    ///
    /// With `z = ln(1 + u/(alpha+T))`, `a = r+x`, `c = (alpha+T)/(beta+T)`
    /// the integrand becomes `f(z) = a e^(-a z) (1 + c (e^z - 1))^(-s)` on
    /// `[0, ln(1 + t/(alpha+T))]`: smooth, decreasing, bounded by `a e^(-a z)`
    /// (whose integral is BG/NBD's `1 - P0`). It is integrated by adaptive
    /// Gauss-Kronrod (7/15) on geometrically growing panels starting at a
    /// fraction of the smallest scale of `ln f` (relative tolerance
    /// `1e-13`), and beyond `z = 40 + ln(1+s) + ln(1 + 1/c)`, where
    /// `f(z) ∝ e^(-(a+s) z)` to 17 digits, in closed form; so it stays
    /// finite and accurate for large `x`, `T` and `t` (also `t = inf`).
    ///
    /// As `t -> inf`, `P0 -> E[mu/(lambda+mu)] > 0` (the customer dies
    /// before buying again): `s/(r+x+s)` when `alpha = beta`. The slope at
    /// `t = 0` is `-(r+x)/(alpha+T) = -E[lambda | alive]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a negative or non-finite `x` or `T`, or a
    /// negative or NaN `t` (`t = inf` is allowed).
    pub fn p_no_purchase_alive(&self, x: f64, age: f64, t: f64) -> Result<f64> {
        if !(x >= 0.0 && age >= 0.0 && t >= 0.0 && x.is_finite() && age.is_finite()) {
            return Err(Error::InvalidData(format!(
                "P(no purchase) needs x, T, t >= 0, x and T finite, got x={x}, T={age}, t={t}"
            )));
        }
        if t == 0.0 {
            return Ok(1.0);
        }
        let np = NextPurchase::new(self, x, age);
        let z = (t / np.time_scale).ln_1p();
        Ok((1.0 - np.integral(0.0, z)).clamp(0.0, 1.0))
    }

    /// The median wait to the next purchase of a customer alive at `T`
    /// (model units from `T`): the smallest `u` with `1 - P0(u) >= 1/2`
    /// ([`ParetoNbdParams::p_no_purchase_alive`]), or `None` when it exceeds
    /// `max_wait` (including when `1 - P0(inf) < 1/2`).
    ///
    /// Solved in `z = ln(1 + u/(alpha+T))`, where `1 - P0` is increasing and
    /// concave (its derivative `f` decreases): Newton steps from the left
    /// never pass the root and secant steps from the right never fall short
    /// of it, so the bracket shrinks from both sides, each step adding one
    /// short integral (relative tolerance `1e-13` in `z`). The root is at
    /// least BG/NBD's `ln 2/(r+x)`, where the search starts.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for invalid `x`, `T` (as above) or a negative
    /// or non-finite `max_wait`.
    pub fn median_wait_alive(&self, x: f64, age: f64, max_wait: f64) -> Result<Option<f64>> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !(ok(x) && ok(age) && ok(max_wait)) {
            return Err(Error::InvalidData(format!(
                "the median wait needs finite x, T, max_wait >= 0, got x={x}, T={age}, max_wait={max_wait}"
            )));
        }
        let np = NextPurchase::new(self, x, age);
        let z_max = (max_wait / np.time_scale).ln_1p();
        let i_max = np.integral(0.0, z_max);
        if i_max < 0.5 {
            return Ok(None);
        }
        let (mut hi, mut i_hi) = (z_max, i_max);
        let mut lo = (std::f64::consts::LN_2 / np.a).min(hi);
        let mut i_lo = np.integral(0.0, lo);
        if i_lo >= 0.5 {
            // Only rounding puts BG/NBD's median at or past the root.
            return Ok(Some((np.time_scale * lo.exp_m1()).min(max_wait)));
        }
        for _ in 0..200 {
            if hi - lo <= 1e-13 * hi {
                break;
            }
            // Newton from the left: a new lower end (concavity).
            let step = (0.5 - i_lo) / np.ln_f(lo).exp();
            let mut z = lo + step;
            if !(z > lo && z < hi) {
                z = 0.5 * (lo + hi);
            }
            let i_z = i_lo + np.integral(lo, z);
            if i_z < 0.5 {
                (lo, i_lo) = (z, i_z);
            } else {
                (hi, i_hi) = (z, i_z);
                continue;
            }
            // Secant towards the upper end: a new upper end (concavity).
            let mut z = lo + (0.5 - i_lo) * (hi - lo) / (i_hi - i_lo);
            if !(z > lo && z < hi) {
                z = 0.5 * (lo + hi);
            }
            let i_z = i_lo + np.integral(lo, z);
            if i_z < 0.5 {
                (lo, i_lo) = (z, i_z);
            } else {
                (hi, i_hi) = (z, i_z);
            }
        }
        Ok(Some((np.time_scale * hi.exp_m1()).min(max_wait)))
    }
}

/// Gauss-Kronrod 15-point nodes (positive half, the last is 0) and weights,
/// and the weights of the embedded 7-point Gauss rule (QUADPACK `qk15`).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Panel splits allowed in [`integrate_log`] (smooth integrands need a few
/// dozen; the limit only bounds the work when rounding noise in the
/// integrand keeps the error estimate up).
const MAX_SPLITS: usize = 400;

/// Breakpoints `a, a+h, a+2h, a+4h, ...` up to `b`.
pub(crate) fn geometric_breaks(a: f64, b: f64, h: f64) -> Vec<f64> {
    let mut v = vec![a];
    let mut step = h;
    while a + step < b {
        v.push(a + step);
        step *= 2.0;
    }
    v.push(b);
    v
}

/// One panel of the adaptive quadrature.
#[derive(Debug, Clone, Copy)]
struct Panel<const N: usize> {
    a: f64,
    b: f64,
    value: [f64; N],
    error: f64,
}

/// `∫ exp(lw(y)) m(y) dy` over the panels given by `breaks`, for the vector
/// `m` returned with `lw` by `point`: adaptive Gauss-Kronrod (7/15) with
/// bisection of the panel with the largest error, relative tolerance
/// `1e-13` (at most [`MAX_SPLITS`] splits). The result is `(M, v)` with the integrals equal to `exp(M) v`
/// (the integrand is scaled by its largest sampled value, so nothing
/// overflows or underflows).
pub(crate) fn integrate_log<const N: usize>(
    point: impl Fn(f64) -> (f64, [f64; N]),
    breaks: &[f64],
) -> (f64, [f64; N]) {
    // Sample every node of the first panels once to find the scale.
    let mut samples: Vec<(f64, [f64; N])> = Vec::with_capacity(15 * breaks.len());
    for w in breaks.windows(2) {
        let (c, h) = (0.5 * (w[0] + w[1]), 0.5 * (w[1] - w[0]));
        for k in 0..15 {
            let x = if k < 7 {
                c - h * XGK[k]
            } else if k == 7 {
                c
            } else {
                c + h * XGK[14 - k]
            };
            samples.push(point(x));
        }
    }
    let scale = samples
        .iter()
        .map(|s| s.0)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if scale == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, [1.0; N]);
    }
    let kronrod = |a: f64, b: f64, pts: &[(f64, [f64; N])]| -> Panel<N> {
        let h = 0.5 * (b - a);
        let mut k = [0.0; N];
        let mut g = [0.0; N];
        for (j, (lw, m)) in pts.iter().enumerate() {
            // Node j: 0..7 left of the centre (XGK[j]), 7 the centre, 8.. right.
            let idx = if j <= 7 { j } else { 14 - j };
            let w = (lw - scale).min(700.0).exp();
            let w = if w.is_finite() { w } else { 0.0 };
            for i in 0..N {
                k[i] += WGK[idx] * w * m[i];
                if idx % 2 == 1 {
                    g[i] += WG[idx / 2] * w * m[i];
                }
            }
        }
        let mut err: f64 = 0.0;
        for i in 0..N {
            k[i] *= h;
            g[i] *= h;
            err = err.max((k[i] - g[i]).abs());
        }
        Panel {
            a,
            b,
            value: k,
            error: err,
        }
    };
    let nodes = |a: f64, b: f64| -> Vec<(f64, [f64; N])> {
        let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
        (0..15)
            .map(|k| {
                let x = if k < 7 {
                    c - h * XGK[k]
                } else if k == 7 {
                    c
                } else {
                    c + h * XGK[14 - k]
                };
                point(x)
            })
            .collect()
    };
    let mut panels: Vec<Panel<N>> = breaks
        .windows(2)
        .enumerate()
        .map(|(j, w)| kronrod(w[0], w[1], &samples[15 * j..15 * (j + 1)]))
        .collect();
    for _ in 0..MAX_SPLITS {
        let mut total = [0.0; N];
        let mut err = 0.0;
        let mut worst = 0;
        for (j, p) in panels.iter().enumerate() {
            for i in 0..N {
                total[i] += p.value[i];
            }
            err += p.error;
            if p.error > panels[worst].error {
                worst = j;
            }
        }
        let size = total.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if err <= 1e-13 * size {
            break;
        }
        let p = panels.swap_remove(worst);
        let mid = 0.5 * (p.a + p.b);
        if !(mid > p.a && mid < p.b) {
            // Cannot split further; keep the panel as it is.
            panels.push(Panel { error: 0.0, ..p });
            continue;
        }
        panels.push(kronrod(p.a, mid, &nodes(p.a, mid)));
        panels.push(kronrod(mid, p.b, &nodes(mid, p.b)));
    }
    let mut total = [0.0; N];
    for p in &panels {
        for i in 0..N {
            total[i] += p.value[i];
        }
    }
    (scale, total)
}

impl PurchaseModel for ParetoNbdParams {
    fn name(&self) -> &'static str {
        "pareto-nbd"
    }

    fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.customer_log_likelihood(customer.frequency, customer.recency, customer.age)
    }

    fn p_alive(&self, customer: &Customer) -> f64 {
        self.probability_alive(customer.frequency, customer.recency, customer.age)
    }

    /// As [`ParetoNbdParams::probability_alive`] for each customer, with
    /// `ln G(x, t)` computed once per distinct `(x, t)` among the customers'
    /// `(x, t_x)` and `(x, T)` (identical results).
    fn p_alive_many(&self, customers: &[Customer], out: &mut [f64]) {
        let mut cache: FastMap<(u64, u64), LnValue> = FastMap::default();
        let mut g = |x: f64, t: f64| {
            *cache
                .entry((x.to_bits(), t.to_bits()))
                .or_insert_with(|| self.ln_g(x, t, false))
        };
        for (c, o) in customers.iter().zip(out.iter_mut()) {
            let (x, t_x, age) = (c.frequency, c.recency, c.age);
            *o = if t_x >= age {
                1.0
            } else {
                let e = self.alive_term(x, age);
                let (g_tx, g_t) = (g(x, t_x), g(x, age));
                let (si, _) = self.terms(&g_tx, &g_t);
                logistic(e.ln - si.ln)
            };
        }
    }

    /// See [`ParetoNbdParams::conditional_expected_if_alive`]; NaN only for
    /// invalid input.
    fn expected_purchases_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.conditional_expected_if_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// See [`ParetoNbdParams::p_no_purchase_alive`] (NaN for invalid input).
    fn p_no_purchase_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.p_no_purchase_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// See [`ParetoNbdParams::median_wait_alive`] (`+inf` for `None`, NaN
    /// for invalid input).
    fn median_wait_if_alive(&self, frequency: f64, age: f64, max_wait: f64) -> f64 {
        match self.median_wait_alive(frequency, age, max_wait) {
            Ok(Some(u)) => u,
            Ok(None) => f64::INFINITY,
            Err(_) => f64::NAN,
        }
    }

    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases_new_customer(t).unwrap_or(f64::NAN)
    }
}

impl Parameters for ParetoNbdParams {
    const NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];

    fn from_values(v: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, v)?;
        ParetoNbdParams::new(v[0], v[1], v[2], v[3])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

impl ParametricModel for ParetoNbdParams {
    crate::model::parametric_from_parameters!();
    /// Equation (7), see [`ParetoNbdParams::prob_purchases`]; `None` for a
    /// negative or non-finite `t`.
    fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
        self.prob_purchases(n, t).ok()
    }
}

// ---------------------------------------------------------------------------
// Indexed data and the fitter.

/// One distinct `(x, t_x, T)` row: indices of its `x`, `(x, t_x)` and `(x, T)`
/// pairs, and its weight.
#[derive(Debug, Clone, Copy)]
struct Row {
    ix: u32,
    p_tx: u32,
    p_t: u32,
    w: f64,
}

/// Data indexed for fast repeated likelihood evaluation.
#[derive(Debug, Clone)]
struct Prepared {
    /// Distinct frequencies and their total weights.
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    /// Distinct `(x, t)` pairs (values, not indices) used as `t_x` or `T`.
    pairs: Vec<(f64, f64)>,
    /// Distinct rows.
    rows: Vec<Row>,
    total_weight: f64,
    /// Whether any row has `x > 0`.
    any_repeat: bool,
}

/// Rows of the subsample used for a warm start on large data.
const SUBSAMPLE_ROWS: usize = 20_000;

/// Rows (or pairs) per parallel chunk (below this one thread sums).
const CHUNK: usize = 8_192;

/// Newton iterations allowed when polishing on all rows.
const NEWTON_ITERATIONS: usize = 30;

/// How the fitter searches (see [`ParetoNbdFitter::fit`]).
const STRATEGY: fit::Strategy = fit::Strategy::Newton {
    iterations: NEWTON_ITERATIONS,
    large: fit::LargeData::QuasiNewtonThenForwardNewton,
};

impl Prepared {
    /// Indexes `data`, merging identical rows: distinct `x` and distinct
    /// times are interned (small tables), each row becomes a packed integer
    /// key, and the keys are sorted and merged (no hashing of rows; the
    /// result does not depend on the number of threads).
    fn new(data: &CustomerData) -> Prepared {
        let n = data.len();
        let mut x_index: Vec<u32> = Vec::new();
        let mut x_map: FastMap<u64, u32> = FastMap::default();
        let mut xs: Vec<f64> = Vec::new();
        let mut t_map: FastMap<u64, u32> = FastMap::default();
        let mut times: Vec<f64> = Vec::new();
        let mut total_weight = 0.0;
        let mut unit = true;
        let mut idx: Vec<(u32, u32, u32)> = Vec::with_capacity(n);
        for i in 0..n {
            let (x, t_x, age, w) = (
                data.frequency[i],
                data.recency[i],
                data.age[i],
                data.weight[i],
            );
            total_weight += w;
            unit &= w == 1.0;
            let ix = if x < 4096.0 {
                let k = x as usize;
                if k >= x_index.len() {
                    x_index.resize(k + 1, u32::MAX);
                }
                if x_index[k] == u32::MAX {
                    x_index[k] = xs.len() as u32;
                    xs.push(x);
                }
                x_index[k]
            } else {
                *x_map.entry(x.to_bits()).or_insert_with(|| {
                    xs.push(x);
                    (xs.len() - 1) as u32
                })
            };
            let mut time = |t: f64| -> u32 {
                *t_map.entry(t.to_bits()).or_insert_with(|| {
                    times.push(t);
                    (times.len() - 1) as u32
                })
            };
            let it = time(age);
            // t_x >= T (to rounding) means "no gap": the same pair as T.
            let itx = if t_x >= age { it } else { time(t_x) };
            idx.push((ix, it, itx));
        }
        let (bx, bt) = (bits_for(xs.len()), bits_for(times.len()));
        // Distinct (ix, it, itx) triples with summed weights, in sorted order.
        let mut merged: Vec<((u32, u32, u32), f64)> = Vec::new();
        let mut push = |key: (u32, u32, u32), w: f64| match merged.last_mut() {
            Some((k, acc)) if *k == key => *acc += w,
            _ => merged.push((key, w)),
        };
        if bx + 2 * bt <= 64 {
            let pack = |&(ix, it, itx): &(u32, u32, u32)| {
                (u64::from(ix) << (2 * bt)) | (u64::from(it) << bt) | u64::from(itx)
            };
            let mask = (1u64 << bt) - 1;
            let unpack = |k: u64| {
                (
                    (k >> (2 * bt)) as u32,
                    ((k >> bt) & mask) as u32,
                    (k & mask) as u32,
                )
            };
            if unit {
                let mut keys: Vec<u64> = idx.par_iter().map(pack).collect();
                drop(idx);
                keys.par_sort_unstable();
                for k in keys {
                    push(unpack(k), 1.0);
                }
            } else {
                let mut keys: Vec<(u64, f64)> = idx
                    .par_iter()
                    .zip(data.weight.par_iter())
                    .map(|(t, &w)| (pack(t), w))
                    .collect();
                drop(idx);
                // Stable: equal keys keep input order, so weight sums are deterministic.
                keys.par_sort_by_key(|p| p.0);
                for (k, w) in keys {
                    push(unpack(k), w);
                }
            }
        } else {
            let mut keys: Vec<((u32, u32, u32), f64)> =
                idx.into_iter().zip(data.weight.iter().copied()).collect();
            keys.par_sort_by_key(|p| p.0);
            for (k, w) in keys {
                push(k, w);
            }
        }
        // Distinct (x, t) pairs of the rows.
        let mut pair_map: FastMap<u64, u32> = FastMap::default();
        let mut pairs: Vec<(f64, f64)> = Vec::new();
        let mut pair = |ix: u32, it: u32| -> u32 {
            let key = (u64::from(ix) << 32) | u64::from(it);
            *pair_map.entry(key).or_insert_with(|| {
                pairs.push((xs[ix as usize], times[it as usize]));
                (pairs.len() - 1) as u32
            })
        };
        let mut x_weight = vec![0.0; xs.len()];
        let mut rows = Vec::with_capacity(merged.len());
        let mut any_repeat = false;
        for ((ix, it, itx), w) in merged {
            x_weight[ix as usize] += w;
            any_repeat |= xs[ix as usize] > 0.0;
            let p_t = pair(ix, it);
            let p_tx = if itx == it { p_t } else { pair(ix, itx) };
            rows.push(Row { ix, p_tx, p_t, w });
        }
        Prepared {
            xs,
            x_weight,
            pairs,
            rows,
            total_weight,
            any_repeat,
        }
    }

    /// Every `k`-th row with `x > 0` and every `x = 0` row with `1/k` of its
    /// weight: an unbiased subsample of the likelihood for a warm start
    /// (keeping only the `(x, t)` pairs it uses).
    fn subsample(&self, k: usize) -> Prepared {
        let scale = 1.0 / k as f64;
        let mut j = 0usize;
        let mut rows = Vec::with_capacity(self.rows.len() / k + 64);
        for r in &self.rows {
            if self.xs[r.ix as usize] == 0.0 {
                rows.push(Row {
                    w: r.w * scale,
                    ..*r
                });
            } else {
                if j.is_multiple_of(k) {
                    rows.push(*r);
                }
                j += 1;
            }
        }
        let mut remap = vec![u32::MAX; self.pairs.len()];
        let mut pairs = Vec::new();
        let mut x_weight = vec![0.0; self.xs.len()];
        for r in rows.iter_mut() {
            x_weight[r.ix as usize] += r.w;
            for p in [&mut r.p_t, &mut r.p_tx] {
                let slot = &mut remap[*p as usize];
                if *slot == u32::MAX {
                    *slot = pairs.len() as u32;
                    pairs.push(self.pairs[*p as usize]);
                }
                *p = *slot;
            }
        }
        Prepared {
            xs: self.xs.clone(),
            x_weight,
            pairs,
            total_weight: rows.iter().map(|r| r.w).sum(),
            rows,
            any_repeat: self.any_repeat,
        }
    }

    /// Total log-likelihood and (if `grad`) its gradient in `(r, alpha, s, beta)`.
    fn evaluate(&self, p: &ParetoNbdParams, grad: bool) -> (f64, [f64; 4]) {
        // Per pair: ln G and the alive term E (used when the pair is (x, T)).
        let per_pair = |&(x, t): &(f64, f64)| (p.ln_g(x, t, grad), p.alive_term(x, t));
        let cache: Vec<(LnValue, LnValue)> = if self.pairs.len() > 256 {
            self.pairs
                .par_iter()
                .with_min_len(64)
                .map(per_pair)
                .collect()
        } else {
            self.pairs.iter().map(per_pair).collect()
        };
        let row_sums = |rows: &[Row]| -> [f64; 5] {
            let mut acc = [0.0; 5];
            for row in rows {
                let (g_t, e) = &cache[row.p_t as usize];
                if row.p_tx == row.p_t {
                    acc[0] += row.w * e.ln;
                    if grad {
                        for k in 0..4 {
                            acc[k + 1] += row.w * e.grad[k];
                        }
                    }
                    continue;
                }
                let g_tx = &cache[row.p_tx as usize].0;
                let (si, ok) = p.terms(g_tx, g_t);
                if !ok {
                    acc[0] += row.w * e.ln;
                    if grad {
                        for k in 0..4 {
                            acc[k + 1] += row.w * e.grad[k];
                        }
                    }
                    continue;
                }
                let diff = si.ln - e.ln;
                let q = (-diff.abs()).exp();
                acc[0] += row.w * (e.ln.max(si.ln) + q.ln_1p());
                if grad {
                    // Share of the s I term.
                    let share = 1.0 / (1.0 + q);
                    let w2 = if diff > 0.0 { share } else { q * share };
                    let w1 = 1.0 - w2;
                    for k in 0..4 {
                        acc[k + 1] += row.w * (w1 * e.grad[k] + w2 * si.grad[k]);
                    }
                }
            }
            acc
        };
        let sums = if self.rows.len() > CHUNK {
            let parts: Vec<[f64; 5]> = self.rows.par_chunks(CHUNK).map(row_sums).collect();
            parts.iter().fold([0.0; 5], |mut u, v| {
                for i in 0..5 {
                    u[i] += v[i];
                }
                u
            })
        } else {
            row_sums(&self.rows)
        };
        let mut ll = sums[0];
        let mut g = [sums[1], sums[2], sums[3], sums[4]];
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            if w == 0.0 {
                continue;
            }
            let b = p.base(x);
            ll += w * b.ln;
            if grad {
                for k in 0..4 {
                    g[k] += w * b.grad[k];
                }
            }
        }
        (ll, g)
    }
}

/// Settings for fitting the Pareto/NBD model by (penalised) maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbdFitter {
    /// L2 penalty as `lifetimes`' `penalizer_coef`: the minimised objective is
    /// `-LL / n + penalty * (r² + alpha² + s² + beta²)` with `n` the number of
    /// customers. 0 gives plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
    /// Optional starting point (otherwise data-driven starts are tried).
    pub start: Option<ParetoNbdParams>,
}

impl Default for ParetoNbdFitter {
    fn default() -> Self {
        ParetoNbdFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted Pareto/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParetoNbd {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: ParetoNbdParams,
    /// Fit statistics; standard errors and covariance in the order
    /// `r, alpha, s, beta`, from the Hessian of the penalised total negative
    /// log-likelihood in natural parameters (differences of the analytic
    /// gradient: central for small inputs, forward for large ones, see the
    /// module docs). They are empty when that Hessian is not positive
    /// definite.
    pub report: FitReport,
}

impl Likelihood for Prepared {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (ll, g) = self.evaluate(&ParetoNbdParams::unchecked(p), true);
        (ll, g.to_vec())
    }

    fn subsample(&self) -> Option<Prepared> {
        let k = self.rows.len() / SUBSAMPLE_ROWS;
        (k >= 2).then(|| self.subsample(k))
    }
}

crate::models::purchase_fitter!(ParetoNbdFitter, ParetoNbdParams);

impl ParetoNbdFitter {
    /// The optimiser settings.
    fn settings(&self) -> fit::Settings {
        fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        }
    }

    /// Fits the model to `data` (identical rows are merged internally).
    ///
    /// Small data: BFGS on all rows, polished with Newton steps
    /// (central-difference Hessians of the analytic gradient). Large data:
    /// the optimum of an unbiased subsample and the inverse Hessian there
    /// start BFGS on all rows to a moderate tolerance, then Newton steps with
    /// forward-difference Hessians finish (see
    /// [`fit::LargeData::QuasiNewtonThenForwardNewton`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotEnoughData`] without customers or without any repeat
    /// purchase (the likelihood then has no maximum),
    /// [`Error::InvalidParameter`] for a negative or non-finite penalty,
    /// [`Error::FitFailed`] when no start converges to a finite optimum.
    pub fn fit(&self, data: &CustomerData) -> Result<FittedParetoNbd> {
        self.settings().check()?;
        if data.is_empty() {
            return Err(Error::NotEnoughData(
                "no customers to fit Pareto/NBD".into(),
            ));
        }
        let prepared = Prepared::new(data);
        if !prepared.any_repeat {
            return Err(Error::NotEnoughData(
                "no customer made a repeat purchase: Pareto/NBD cannot be fitted".into(),
            ));
        }
        let starts = self.starts(data);
        let (v, report) =
            fit::maximize("Pareto/NBD", &prepared, &self.settings(), STRATEGY, |_| {
                starts.clone()
            })?;
        Ok(FittedParetoNbd {
            params: ParetoNbdParams::from_values(&v)?,
            report,
        })
    }

    /// Starting points: the user's, then data-driven ones.
    fn starts(&self, data: &CustomerData) -> Vec<Vec<f64>> {
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.values());
        }
        let (mut xs, mut ts) = (0.0, 0.0);
        for i in 0..data.len() {
            xs += data.weight[i] * data.frequency[i];
            ts += data.weight[i] * data.age[i];
        }
        let rate = if xs > 0.0 && ts > 0.0 { xs / ts } else { 1.0 };
        let mean_age = if ts > 0.0 {
            ts / data.total_weight()
        } else {
            1.0
        };
        for (r, s, life) in [(1.0, 1.0, 1.0), (0.5, 0.5, 1.0), (2.0, 2.0, 4.0)] {
            starts.push(vec![
                r,
                (r / rate).clamp(1e-6, 1e12),
                s,
                (s * life * mean_age).clamp(1e-6, 1e12),
            ]);
        }
        starts
    }
}

// ---------------------------------------------------------------------------
// Simulation.

/// One customer simulated from the Pareto/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedParetoNbdCustomer {
    /// Time of the first purchase.
    pub birth: f64,
    /// Purchase rate while active (per time unit).
    pub lambda: f64,
    /// Dropout rate (per time unit).
    pub mu: f64,
    /// Time the customer becomes inactive (`birth` plus an exponential lifetime).
    pub death: f64,
    /// Purchase times, the first equal to `birth`, all before `death` and the simulation end.
    pub purchases: Vec<f64>,
}

/// Settings of a Pareto/NBD simulation: deterministic for a seed and
/// independent of the number of threads (customers come in fixed blocks of
/// [`crate::sim::BLOCK`], one random stream per block, as in [`crate::sim`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbdSimulation {
    /// Model parameters.
    pub params: ParetoNbdParams,
    /// Number of customers.
    pub customers: usize,
    /// First purchases are spread uniformly over `[0, acquisition)`.
    pub acquisition: f64,
    /// End of the simulated period (`>= acquisition`).
    pub end: f64,
    /// Random seed.
    pub seed: u64,
}

impl ParetoNbdSimulation {
    /// Simulates every customer: `lambda ~ Gamma(r, alpha)`,
    /// `mu ~ Gamma(s, beta)`, a lifetime `~ Exp(mu)` from the first purchase,
    /// and Poisson purchases at rate `lambda` while alive and before `end`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a non-positive or non-finite `end` or
    /// an `acquisition` outside `[0, end]`.
    pub fn run(&self) -> Result<Vec<SimulatedParetoNbdCustomer>> {
        if !(self.end.is_finite() && self.end > 0.0) {
            return Err(Error::InvalidParameter {
                name: "end",
                value: self.end,
                reason: "must be positive and finite",
            });
        }
        if !(self.acquisition.is_finite()
            && self.acquisition >= 0.0
            && self.acquisition <= self.end)
        {
            return Err(Error::InvalidParameter {
                name: "acquisition",
                value: self.acquisition,
                reason: "must lie in [0, end]",
            });
        }
        let block = crate::sim::BLOCK;
        let starts: Vec<usize> = (0..self.customers).step_by(block).collect();
        let parts: Vec<Vec<SimulatedParetoNbdCustomer>> = starts
            .par_iter()
            .map(|&b| self.block(b / block, (b + block).min(self.customers) - b))
            .collect::<Result<_>>()?;
        Ok(parts.into_iter().flatten().collect())
    }

    fn block(&self, index: usize, count: usize) -> Result<Vec<SimulatedParetoNbdCustomer>> {
        let bad = |e: &dyn std::fmt::Display| Error::InvalidData(format!("simulation: {e}"));
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let rate = Gamma::new(r, 1.0 / alpha).map_err(|e| bad(&e))?;
        let dropout = Gamma::new(s, 1.0 / beta).map_err(|e| bad(&e))?;
        let mut rng = StdRng::seed_from_u64(
            self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5041_5245_544f,
        );
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let birth = self.acquisition * rng.random::<f64>();
            let lambda: f64 = rate.sample(&mut rng);
            let mu: f64 = dropout.sample(&mut rng);
            let life: f64 = if mu > 0.0 {
                Exp::new(mu).map_err(|e| bad(&e))?.sample(&mut rng)
            } else {
                f64::INFINITY
            };
            let death = birth + life;
            let stop = death.min(self.end);
            let mut purchases = vec![birth];
            if lambda > 0.0 {
                let gap = Exp::new(lambda).map_err(|e| bad(&e))?;
                let mut t = birth;
                loop {
                    t += gap.sample(&mut rng);
                    if t > stop {
                        break;
                    }
                    purchases.push(t);
                }
            }
            out.push(SimulatedParetoNbdCustomer {
                birth,
                lambda,
                mu,
                death,
                purchases,
            });
        }
        Ok(out)
    }
}

/// Continuous-time `(x, t_x, T)` summary of simulated customers observed
/// until `end` (customers born after `end` are left out).
///
/// # Errors
///
/// [`Error::InvalidData`] if a summary is invalid (it cannot be for the
/// output of [`ParetoNbdSimulation::run`] with the same `end`).
pub fn summarize_simulated(
    customers: &[SimulatedParetoNbdCustomer],
    end: f64,
) -> Result<CustomerData> {
    let mut x = Vec::with_capacity(customers.len());
    let mut t_x = Vec::with_capacity(customers.len());
    let mut age = Vec::with_capacity(customers.len());
    for c in customers {
        if c.birth > end {
            continue;
        }
        let seen = c.purchases.iter().filter(|&&t| t <= end).count();
        x.push((seen - 1) as f64);
        t_x.push(c.purchases[seen - 1] - c.birth);
        age.push(end - c.birth);
    }
    CustomerData::new(x, t_x, age)
}

/// Distinct `(x, t)` pairs and rows of `data` (after merging identical
/// rows), as the fitter sees them: `(pairs, rows)`. For benchmarks and
/// diagnostics.
pub fn index_sizes(data: &CustomerData) -> (usize, usize) {
    let p = Prepared::new(data);
    (p.pairs.len(), p.rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdnow_like() -> ParetoNbdParams {
        ParetoNbdParams::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap()
    }

    #[test]
    fn quadrature_integrates_known_functions() {
        // ∫_0^1 e^{3y} y² dy = (5e³ - 2)/27.
        let (m, v) = integrate_log(
            |y: f64| (3.0 * y, [y * y]),
            &geometric_breaks(0.0, 1.0, 0.25),
        );
        let want = (5.0 * 3f64.exp() - 2.0) / 27.0;
        let got = m.exp() * v[0];
        assert!((got - want).abs() < 1e-13 * want, "{got} vs {want}");
    }

    #[test]
    fn series_and_quadrature_give_the_same_endpoint_values() {
        for p in [
            cdnow_like(),
            ParetoNbdParams::new(0.5, 2.0, 0.3, 14.0).unwrap(),
            ParetoNbdParams::new(2.0, 30.0, 1.5, 3.0).unwrap(),
        ] {
            for (x, t) in [(0.0, 0.0), (0.0, 30.0), (3.0, 20.0), (221.0, 103.43)] {
                let a = p.ln_g(x, t, true);
                let b = p.ln_g_quadrature(x, t, true);
                assert!(
                    (a.ln - b.ln).abs() < 1e-11 * a.ln.abs().max(1.0),
                    "{p:?} {x} {t}: {} vs {}",
                    a.ln,
                    b.ln
                );
                for k in 0..4 {
                    assert!(
                        (a.grad[k] - b.grad[k]).abs() < 1e-9 * a.grad[k].abs().max(1e-3),
                        "{p:?} x={x} t={t} d{k}: {} vs {}",
                        a.grad[k],
                        b.grad[k]
                    );
                }
            }
        }
    }

    #[test]
    fn endpoint_matches_the_hypergeometric_form_of_the_note() {
        // Fader & Hardie's A_0 terms: 2F1(r+s+x, s+1; r+s+x+1; z)/(α+t)^(r+s+x) / (r+s+x)
        // for α >= β.
        let p = ParetoNbdParams::new(0.55, 12.0, 0.6, 10.0).unwrap();
        for (x, t) in [(0.0, 0.0), (2.0, 30.0), (40.0, 38.0)] {
            let q = p.r + p.s + x;
            let z = (p.alpha - p.beta) / (p.alpha + t);
            let f = crate::special::hyp2f1(q, p.s + 1.0, q + 1.0, z).unwrap();
            let want = f.ln() - q * (p.alpha + t).ln() - q.ln();
            let got = p.ln_g(x, t, false).ln;
            assert!((got - want).abs() < 1e-11 * want.abs(), "{got} vs {want}");
        }
    }

    #[test]
    fn indexing_merges_rows_and_subsample_keeps_weight_scale() {
        let n = 50_000;
        let (mut x, mut tx, mut age) = (vec![], vec![], vec![]);
        for i in 0..n {
            let t = 1.0 + (i % 37) as f64 / 7.0;
            let f = (i % 7) as f64;
            x.push(f);
            tx.push(if f == 0.0 {
                0.0
            } else {
                t * ((i % 3) as f64 / 2.0)
            });
            age.push(t);
        }
        let data = CustomerData::new(x, tx, age).unwrap();
        let prepared = Prepared::new(&data);
        assert_eq!(prepared.rows.len(), data.compress().len());
        assert_eq!(prepared.total_weight, n as f64);
        let p = cdnow_like();
        let (ll, _) = prepared.evaluate(&p, true);
        let direct: f64 = (0..n)
            .map(|i| p.customer_log_likelihood(data.frequency[i], data.recency[i], data.age[i]))
            .sum();
        assert!(
            (ll - direct).abs() < 1e-10 * direct.abs(),
            "{ll} vs {direct}"
        );
        let sub = prepared.subsample(4);
        assert!((sub.total_weight / prepared.total_weight - 0.25).abs() < 0.05);
        // The subsample's pairs are remapped consistently: its likelihood is
        // the weighted sum over its rows.
        let by_row: f64 = sub
            .rows
            .iter()
            .map(|r| {
                let (x, age) = sub.pairs[r.p_t as usize];
                let (x2, t_x) = sub.pairs[r.p_tx as usize];
                assert_eq!(x, x2);
                assert_eq!(x, sub.xs[r.ix as usize]);
                r.w * p.customer_log_likelihood(x, t_x.min(age), age)
            })
            .sum();
        let (sub_ll, _) = sub.evaluate(&p, false);
        assert!(
            (sub_ll - by_row).abs() < 1e-10 * by_row.abs(),
            "{sub_ll} vs {by_row}"
        );
    }

    #[test]
    fn large_input_path_matches_a_full_fit() {
        // 60,000 continuous-time customers: more than 2 x 20,000 distinct rows,
        // so the fitter warm-starts on a subsample and polishes with forward
        // Hessians; compare with BFGS + central-difference Newton on all rows.
        let sim = ParetoNbdSimulation {
            params: ParetoNbdParams::new(0.9, 6.0, 1.2, 30.0).unwrap(),
            customers: 60_000,
            acquisition: 26.0,
            end: 104.0,
            seed: 11,
        };
        let data = summarize_simulated(&sim.run().unwrap(), sim.end).unwrap();
        let fitter = ParetoNbdFitter::default();
        let fast = fitter.fit(&data).unwrap();
        let prepared = Prepared::new(&data);
        assert!(prepared.rows.len() / SUBSAMPLE_ROWS >= 2);
        // The same rows without a subsample: BFGS, then central-difference
        // Newton on all rows.
        struct Full<'a>(&'a Prepared);
        impl Likelihood for Full<'_> {
            fn total_weight(&self) -> f64 {
                self.0.total_weight
            }
            fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
                self.0.log_likelihood_gradient(p)
            }
        }
        let starts = fitter.starts(&data);
        let (slow, report) = fit::maximize(
            "Pareto/NBD",
            &Full(&prepared),
            &fitter.settings(),
            STRATEGY,
            |_| starts.clone(),
        )
        .unwrap();
        let m = report.clone();
        let at_m_extra_0 = report.log_likelihood;
        let se = report.standard_errors;
        assert!(m.converged && fast.report.converged);
        for (a, b) in fast.params.to_array().iter().zip(slow) {
            assert!((a - b).abs() < 1e-6 * b, "{a} vs {b}");
        }
        assert!((fast.report.log_likelihood - at_m_extra_0).abs() < 1e-9 * at_m_extra_0.abs());
        for (a, b) in fast.report.standard_errors.iter().zip(se) {
            assert!((a - b).abs() < 1e-4 * b, "se {a} vs {b}");
        }
    }
}

#[cfg(test)]
mod next_purchase_tests {
    use super::*;
    use crate::next_purchase::checks;

    /// `1 - P0(t)` by composite Simpson on the original integral over
    /// `u in [0, t]` with `n` intervals (brute force).
    fn brute_force(p: &ParetoNbdParams, x: f64, age: f64, t: f64, n: usize) -> f64 {
        let (a, big_a, big_b) = (p.r + x, p.alpha + age, p.beta + age);
        let g = |u: f64| {
            a / big_a * (big_a / (big_a + u)).powf(a + 1.0) * (big_b / (big_b + u)).powf(p.s)
        };
        let h = t / n as f64;
        let mut sum = g(0.0) + g(t);
        for k in 1..n {
            sum += g(k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    }

    #[test]
    fn equal_rate_parameters_give_the_closed_form() {
        // alpha = beta: c = 1, f(z) = a e^(-(a+s) z), so
        // 1 - P0(t) = a/(a+s) (1 - (A/(A+t))^(a+s)), A = alpha + T.
        // r = 0.5, s = 0.8, alpha = beta = 10, x = 2, T = 5, t = 15:
        // a = 2.5, A = 15, A/(A+t) = 1/2, 1 - P0 = 2.5/3.3 (1 - 2^-3.3).
        let p = ParetoNbdParams::new(0.5, 10.0, 0.8, 10.0).unwrap();
        let expected = 1.0 - 2.5 / 3.3 * (1.0 - 0.5f64.powf(3.3));
        let got = p.p_no_purchase_alive(2.0, 5.0, 15.0).unwrap();
        assert!((got / expected - 1.0).abs() < 1e-12, "{got} vs {expected}");
        // t -> inf: P0 -> E[mu/(lambda+mu)] = s/(r+x+s) = 0.8/3.3.
        let limit = p.p_no_purchase_alive(2.0, 5.0, f64::INFINITY).unwrap();
        assert!((limit - 0.8 / 3.3).abs() < 1e-13, "{limit}");
        let far = p.p_no_purchase_alive(2.0, 5.0, 1e6).unwrap();
        assert!((far - 0.8 / 3.3).abs() < 1e-9, "{far}");
    }

    #[test]
    fn integral_matches_brute_force_quadrature() {
        for &(r, alpha, s, beta) in &[
            (0.55, 10.58, 0.61, 11.67),
            (0.8, 2.0, 1.5, 40.0),
            (0.3, 40.0, 0.2, 0.5),
            (2.0, 5.0, 12.0, 1.0),
        ] {
            let p = ParetoNbdParams::new(r, alpha, s, beta).unwrap();
            for &(x, age, t) in &[(0.0, 0.0, 10.0), (3.0, 30.0, 4.0), (12.0, 38.0, 52.0)] {
                let got = 1.0 - p.p_no_purchase_alive(x, age, t).unwrap();
                let want = brute_force(&p, x, age, t, 200_000);
                assert!(
                    (got / want - 1.0).abs() < 1e-10,
                    "{r} {alpha} {s} {beta} x={x} T={age} t={t}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn survival_shape_limit_and_slope() {
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        let grid: Vec<f64> = (1..=60).map(|k| 1.3f64.powi(k) * 0.01).collect();
        for &(x, age) in &[(0.0, 0.0), (1.0, 10.0), (7.0, 38.0), (200.0, 500.0)] {
            checks::assert_survival_shape(&p, x, age, &grid);
            let rate = (0.55 + x) / (10.58 + age);
            checks::assert_initial_slope(&p, x, age, 1e-6, rate, 1e-5);
            // The limit is E[mu/(lambda+mu)] > 0, above the value at t = 1e6.
            let limit = p.p_no_purchase_if_alive(x, age, f64::INFINITY);
            assert!(limit > 0.0 && limit <= p.p_no_purchase_if_alive(x, age, 1e6) + 1e-15);
        }
    }

    #[test]
    fn extreme_inputs_stay_finite() {
        for &(r, alpha, s, beta) in &[
            (0.55, 10.58, 0.61, 11.67),
            (50.0, 1e-3, 1e-3, 1e4),
            (1e-3, 1e4, 50.0, 1e-3),
        ] {
            let p = ParetoNbdParams::new(r, alpha, s, beta).unwrap();
            for &(x, age) in &[(0.0, 0.0), (5000.0, 1e5), (0.0, 1e6), (1e4, 1e4)] {
                for &t in &[1e-9, 1.0, 1e3, 1e6, f64::INFINITY] {
                    let q = p.p_no_purchase_alive(x, age, t).unwrap();
                    assert!((0.0..=1.0).contains(&q), "x={x} T={age} t={t}: {q}");
                }
                let w = p.median_wait_if_alive(x, age, 1e6);
                assert!(!w.is_nan() && w >= 0.0, "x={x} T={age}: {w}");
            }
        }
        assert!(p_err(-1.0, 1.0, 1.0) && p_err(1.0, f64::NAN, 1.0) && p_err(1.0, 1.0, -1.0));
    }

    fn p_err(x: f64, age: f64, t: f64) -> bool {
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        p.p_no_purchase_alive(x, age, t).is_err() && p.p_no_purchase_if_alive(x, age, t).is_nan()
    }

    #[test]
    fn median_wait_solves_p0_one_half() {
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        for &(x, age) in &[(1.0, 10.0), (7.0, 38.0), (200.0, 500.0)] {
            let u = p.median_wait_alive(x, age, 1e6).unwrap().unwrap();
            let q = p.p_no_purchase_alive(x, age, u).unwrap();
            assert!((q - 0.5).abs() < 1e-11, "x={x}: P0({u}) = {q}");
            // At least BG/NBD's median (u where the Poisson part alone is 1/2).
            assert!(
                u >= (10.58 + age) * (std::f64::consts::LN_2 / (0.55 + x)).exp_m1() * (1.0 - 1e-12)
            );
            // Beyond max_wait: none.
            assert_eq!(p.median_wait_alive(x, age, 0.5 * u).unwrap(), None);
        }
        // alpha = beta: P0(inf) = s/(r+x+s) = 5/7.5 > 1/2 at x = 2: no median.
        let q = ParetoNbdParams::new(0.5, 10.0, 5.0, 10.0).unwrap();
        assert_eq!(q.median_wait_alive(2.0, 5.0, 1e6).unwrap(), None);
        // alpha = beta, s = 0.8, x = 2, T = 5: 2.5/3.3 (1 - v^3.3) = 1/2 with
        // v = 15/(15+u): v = (1 - 3.3/5)^(1/3.3) = 0.34^(1/3.3).
        let q = ParetoNbdParams::new(0.5, 10.0, 0.8, 10.0).unwrap();
        let v = 0.34f64.powf(1.0 / 3.3);
        let want = 15.0 / v - 15.0;
        let got = q.median_wait_alive(2.0, 5.0, 1e6).unwrap().unwrap();
        assert!((got / want - 1.0).abs() < 1e-11, "{got} vs {want}");
    }

    #[test]
    fn monte_carlo_agrees() {
        // Draw lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T); no purchase
        // in t iff the first purchase E ~ Exp(lambda) comes after min(death, t).
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        let (x, age, t) = (2.0, 20.0, 15.0);
        let lambda = Gamma::new(0.55 + x, 1.0 / (10.58 + age)).unwrap();
        let mu = Gamma::new(0.61, 1.0 / (11.67 + age)).unwrap();
        let mut rng = StdRng::seed_from_u64(42);
        let draws = 200_000;
        let mut hits = 0;
        for _ in 0..draws {
            let (l, m): (f64, f64) = (lambda.sample(&mut rng), mu.sample(&mut rng));
            let first = Exp::new(l).unwrap().sample(&mut rng);
            let death = Exp::new(m).unwrap().sample(&mut rng);
            if first > death.min(t) {
                hits += 1;
            }
        }
        checks::assert_monte_carlo(p.p_no_purchase_alive(x, age, t).unwrap(), hits, draws);
    }
}
