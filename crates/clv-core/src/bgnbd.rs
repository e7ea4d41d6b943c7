//! The BG/NBD ("beta-geometric / negative binomial distribution") purchase
//! model of Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy
//! Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24(2),
//! 275-284.
//!
//! # Assumptions
//!
//! 1. While active, a customer's purchases follow a Poisson process with rate
//!    `lambda`.
//! 2. `lambda ~ Gamma(shape r, rate alpha)` across customers.
//! 3. After any *repeat* purchase the customer becomes inactive for good with
//!    probability `p` (so a customer who never repeats is active by
//!    construction: `P(alive | x = 0) = 1`).
//! 4. `p ~ Beta(a, b)` across customers.
//! 5. `lambda` and `p` are independent.
//!
//! # Formulas (numbers as in the paper)
//!
//! With `x` repeat purchases, the last at `t_x`, observed for `T`:
//!
//! ```text
//! (6)  L = B(a, b+x)/B(a, b) Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//!        + δ(x>0) B(a+1, b+x-1)/B(a, b) Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
//! (7)  E[X(t)] = (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]
//! (8)  P(X(t) = n) = B(a, b+n)/B(a, b) Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n
//!        + δ(n>0) B(a+1, b+n-1)/B(a, b) [1 - (α/(α+t))^r Σ_{j<n} Γ(r+j)/(Γ(r) j!) (t/(α+t))^j]
//! (10) E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
//!        [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
//!        / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
//! P(alive | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
//! ```
//!
//! # Numerics
//!
//! - The likelihood is evaluated as
//!   `ln L = A(x) + logsumexp(-(r+x) ln(α+T), ln(a/(b+x-1)) - (r+x) ln(α+t_x))`
//!   with `A(x) = ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x) - ln B(a, b)`,
//!   so it never overflows (x = 200 is fine).
//! - In (10) the `2F1` is rewritten with Euler's transformation,
//!   `(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)`
//!   with `c = a+b+x-1`, `z = t/(α+T+t)`, whose series converges fast for large
//!   `x`. Writing `2F1(a+b-1-r, a-1; c; z) = 1 + (a-1) S` removes the
//!   `0/0` at `a = 1`:
//!   `E = c [-expm1((a-1) ln(1-z))/(a-1) - (1-z)^(a-1) S]`.
//!   When that series is slow (small `x`, `z` near 1) the general
//!   [`hyp2f1`](crate::special::hyp2f1) is used; within `1e-4` of `a = 1` the
//!   result is then linearly interpolated between `a = 1 ± 1e-4` (relative
//!   error about `1e-8`).
//! - The tail `1 - (α/(α+t))^r Σ...` of (8) is the negative binomial survival
//!   function, computed as the regularised incomplete beta function
//!   `I_{t/(α+t)}(n, r)` (no cancellation).
//!
//! # Fitting
//!
//! [`BgNbdFitter`] maximises the weighted log-likelihood over
//! `ln(r, alpha, a, b)` with BFGS on the compressed data. Terms that depend
//! only on `x`, only on `T` or only on `t_x` are computed once per distinct
//! value per evaluation; per row only one `exp` and one `ln_1p` remain, and
//! rows are summed in parallel.

use rayon::prelude::*;

use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::fit::FitReport;
use crate::fit::{self, Likelihood};
use crate::model::{Parameters, ParametricModel, PurchaseModel, check_param_count};
use crate::numeric::{FastMap, bits_for, check_positive, log_add_exp, logistic};
use crate::special::{
    beta_reg, digamma, hyp2f1_scaled, ln_beta, ln_gamma, ln_gamma_ratio, trigamma,
};

/// Parameters of the BG/NBD model, named as in the paper. Standard errors and
/// covariances are reported in the order `r, alpha, a, b`.
///
/// Valid by construction: build it with [`BgNbdParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BgNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub(crate) r: f64,
    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub(crate) alpha: f64,
    /// First shape parameter of the beta distribution of dropout probabilities `p`.
    pub(crate) a: f64,
    /// Second shape parameter of the beta distribution of dropout probabilities `p`.
    pub(crate) b: f64,
}

/// Values depending on `x` only (one per distinct frequency).
#[derive(Debug, Clone, Copy)]
struct PerX {
    /// `A(x)` (see the module docs).
    base: f64,
    /// `r + x`.
    rx: f64,
    /// `ln(a / (b + x - 1))` (unused for x = 0).
    ln_c2: f64,
}

impl BgNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// First shape parameter of the beta distribution of dropout probabilities `p`.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Second shape parameter of the beta distribution of dropout probabilities `p`.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("a", a)?;
        check_positive("b", b)?;
        Ok(BgNbdParams { r, alpha, a, b })
    }

    /// Without validation, for the fitting driver (which only evaluates
    /// positive, finite values).
    fn unchecked(p: &[f64]) -> Self {
        BgNbdParams {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        }
    }

    /// The parameters as an array `[r, alpha, a, b]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    fn per_x(&self, x: f64) -> PerX {
        let BgNbdParams { r, alpha, a, b } = *self;
        PerX {
            base: ln_gamma_ratio(r, x) + r * alpha.ln() + ln_beta(a, b + x) - ln_beta(a, b),
            rx: r + x,
            ln_c2: if x > 0.0 {
                a.ln() - (b + x - 1.0).ln()
            } else {
                f64::NEG_INFINITY
            },
        }
    }

    /// One customer's log-likelihood, equation (6) in log space.
    pub fn customer_log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let k = self.per_x(x);
        let d1 = -k.rx * (self.alpha + age).ln();
        if x == 0.0 {
            return k.base + d1;
        }
        let d2 = k.ln_c2 - k.rx * (self.alpha + t_x).ln();
        k.base + log_add_exp(d1, d2)
    }

    /// Total weighted log-likelihood of `data`.
    pub fn total_log_likelihood(&self, data: &CustomerData) -> f64 {
        let (ll, _) = Prepared::new(data).evaluate(self, false);
        ll
    }

    /// Total weighted log-likelihood of `data` and its gradient with respect
    /// to `(r, alpha, a, b)`.
    pub fn log_likelihood_gradient(&self, data: &CustomerData) -> (f64, [f64; 4]) {
        Prepared::new(data).evaluate(self, true)
    }

    /// `P(alive | x, t_x, T)`; 1 for `x = 0` by construction of the model.
    pub fn probability_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let BgNbdParams { r, alpha, a, b } = *self;
        // ln[a/(b+x-1) ((α+T)/(α+t_x))^(r+x)]
        let e = (a / (b + x - 1.0)).ln() + (r + x) * ((age - t_x) / (alpha + t_x)).ln_1p();
        logistic(-e)
    }

    /// `E[Y(t) | alive at T, x, T]`: expected purchases in `(T, T+t]` for a
    /// customer known to be active at `T`, the numerator of equation (10)
    /// (see the module docs for the evaluation).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for negative or non-finite inputs and
    /// [`Error::Numerical`] if the hypergeometric function fails.
    pub fn conditional_expected_if_alive(&self, x: f64, age: f64, t: f64) -> Result<f64> {
        if !(x >= 0.0 && age >= 0.0 && t >= 0.0 && x.is_finite() && age.is_finite()) {
            return Err(Error::InvalidData(format!(
                "expected purchases need x, T, t >= 0 and finite, got x={x}, T={age}, t={t}"
            )));
        }
        if t == 0.0 {
            return Ok(0.0);
        }
        if !t.is_finite() {
            return Ok(f64::INFINITY);
        }
        let a = self.a;
        if (a - 1.0).abs() >= 1e-4 {
            return self.expected_if_alive_at(a, x, age, t);
        }
        // Within 1e-4 of a = 1: interpolate linearly in a (see module docs),
        // unless the cancellation-free series applies directly.
        if let Some(v) = self.expected_series(a, x, age, t) {
            return Ok(v);
        }
        let (lo, hi) = (1.0 - 1e-4, 1.0 + 1e-4);
        let e_lo = self.expected_if_alive_at(lo, x, age, t)?;
        let e_hi = self.expected_if_alive_at(hi, x, age, t)?;
        Ok(e_lo + (a - lo) / (hi - lo) * (e_hi - e_lo))
    }

    /// Numerator of (10) with `a` replaced by `a_val`.
    fn expected_if_alive_at(&self, a_val: f64, x: f64, age: f64, t: f64) -> Result<f64> {
        if let Some(v) = self.expected_series(a_val, x, age, t) {
            return Ok(v);
        }
        let BgNbdParams { r, alpha, b, .. } = *self;
        let c = a_val + b + x - 1.0;
        let z = t / (alpha + age + t);
        let ln1mz = -(t / (alpha + age)).ln_1p();
        let f = hyp2f1_scaled(a_val + b - 1.0 - r, a_val - 1.0, c, z)?;
        // 1 - (1-z)^(a-1) F
        let ln_g = (a_val - 1.0) * ln1mz + f.ln_abs();
        let one_minus = if f.sign() > 0.0 {
            -ln_g.exp_m1()
        } else {
            1.0 + ln_g.exp()
        };
        let v = c / (a_val - 1.0) * one_minus;
        if v.is_finite() {
            Ok(v.max(0.0))
        } else {
            Err(Error::Numerical(format!(
                "BG/NBD expected purchases for x={x}, T={age}, t={t}"
            )))
        }
    }

    /// The cancellation-free series form (module docs); `None` when it is slow
    /// or cancels.
    fn expected_series(&self, a_val: f64, x: f64, age: f64, t: f64) -> Option<f64> {
        let BgNbdParams { r, alpha, b, .. } = *self;
        let c = a_val + b + x - 1.0;
        let big_a = a_val + b - 1.0 - r;
        let z = t / (alpha + age + t);
        let ln1mz = -(t / (alpha + age)).ln_1p();
        // S = sum_{k>=1} (A)_k (a)_{k-1} / ((c)_k k!) z^k
        let mut term = big_a / c * z;
        let mut sum = term;
        let mut biggest = term.abs();
        let k_min = (-big_a).max(-a_val).max(0.0) + 2.0;
        let mut converged = term == 0.0;
        for k in 1..600 {
            let kf = k as f64;
            term *= (big_a + kf) * (a_val + kf - 1.0) / ((c + kf) * (kf + 1.0)) * z;
            sum += term;
            biggest = biggest.max(term.abs());
            if term == 0.0 {
                converged = true;
                break;
            }
            if kf >= k_min {
                let next =
                    ((big_a + kf + 1.0) * (a_val + kf) / ((c + kf + 1.0) * (kf + 2.0)) * z).abs();
                let rho = next.max(z);
                if rho < 1.0 && term.abs() * rho / (1.0 - rho) <= 1e-17 * sum.abs() {
                    converged = true;
                    break;
                }
            }
        }
        if !converged {
            return None;
        }
        let u = (a_val - 1.0) * ln1mz;
        // -expm1(u)/(a-1) = -ln(1-z) * expm1(u)/u
        let first = if u == 0.0 {
            -ln1mz
        } else {
            -ln1mz * (u.exp_m1() / u)
        };
        let second = u.exp() * sum;
        let v = c * (first - second);
        // Reject when the two terms cancel (more than 4 digits lost) or the
        // series itself cancelled.
        if biggest > 1e4 * sum.abs().max(1e-300) && sum != 0.0 {
            return None;
        }
        if !(v.is_finite() && v.abs() * 1e4 >= c * (first.abs() + second.abs())) {
            return None;
        }
        Some(v.max(0.0))
    }

    /// `E[Y(t) | x, t_x, T]`, equation (10).
    ///
    /// # Errors
    ///
    /// As [`BgNbdParams::conditional_expected_if_alive`].
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
    /// equation (7) (the numerator of (10) with `x = T = 0`).
    ///
    /// # Errors
    ///
    /// As [`BgNbdParams::conditional_expected_if_alive`].
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64> {
        self.conditional_expected_if_alive(0.0, 0.0, t)
    }

    /// `P(X(t) = n)`: probability that a new customer makes exactly `n`
    /// repeat purchases in `(0, t]`, equation (8).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for a negative or non-finite `t`;
    /// [`Error::Numerical`] if the incomplete beta function fails.
    pub fn prob_purchases(&self, n: u64, t: f64) -> Result<f64> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::InvalidData(format!(
                "P(X(t) = n) needs a finite t >= 0, got {t}"
            )));
        }
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let BgNbdParams { r, alpha, a, b } = *self;
        let nf = n as f64;
        let ln_p = -(t / alpha).ln_1p(); // ln(α/(α+t))
        let ln_q = (t / (alpha + t)).ln(); // ln(t/(α+t))
        let first = (ln_beta(a, b + nf) - ln_beta(a, b) + ln_gamma_ratio(r, nf)
            - ln_gamma(nf + 1.0)
            + r * ln_p
            + if n > 0 { nf * ln_q } else { 0.0 })
        .exp();
        if n == 0 {
            return Ok(first);
        }
        let survival = beta_reg(nf, r, t / (alpha + t))?;
        let second = (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b)).exp() * survival;
        Ok(first + second)
    }
}

impl PurchaseModel for BgNbdParams {
    fn name(&self) -> &'static str {
        "bg-nbd"
    }

    fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.customer_log_likelihood(customer.frequency, customer.recency, customer.age)
    }

    fn p_alive(&self, customer: &Customer) -> f64 {
        self.probability_alive(customer.frequency, customer.recency, customer.age)
    }

    /// See [`BgNbdParams::conditional_expected_if_alive`]; NaN only if the
    /// hypergeometric function fails, which [`crate::value::predict`] reports
    /// as an error naming the customer.
    fn expected_purchases_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.conditional_expected_if_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// `P0(t) = ((alpha+T)/(alpha+T+t))^(r+x)`.
    ///
    /// Derivation: dropout happens only right after a repeat purchase, so a customer
    /// alive at `T` stays alive at least until the next purchase and makes
    /// no purchase in `(T, T+t]` exactly when his Poisson process has no
    /// event there, with probability `e^(-lambda t)`. Given alive at `T`
    /// with `x` purchases in `(0, T]`, `lambda ~ Gamma(r+x, alpha+T)` (the
    /// gamma prior times the Poisson likelihood `lambda^x e^(-lambda T)`),
    /// and `E[e^(-lambda t)]` is the gamma Laplace transform above. Its
    /// slope at 0 is `-(r+x)/(alpha+T) = -E[lambda | alive]`. NaN for a
    /// negative or NaN `t`, or a negative `x` or `T`.
    fn p_no_purchase_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        if !(frequency >= 0.0 && age >= 0.0) {
            return f64::NAN;
        }
        crate::next_purchase::gamma_poisson_p0(self.r + frequency, self.alpha + age, t)
    }

    /// Closed form: `u = (alpha+T) (2^(1/(r+x)) - 1)` (solve `P0(u) = 1/2`);
    /// it always exists, since `P0(t) -> 0`.
    fn median_wait_if_alive(&self, frequency: f64, age: f64, max_wait: f64) -> f64 {
        if !(frequency >= 0.0 && age >= 0.0) {
            return f64::NAN;
        }
        crate::next_purchase::gamma_poisson_median(self.r + frequency, self.alpha + age, max_wait)
    }

    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases_new_customer(t).unwrap_or(f64::NAN)
    }
}

impl Parameters for BgNbdParams {
    const NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn from_values(v: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, v)?;
        BgNbdParams::new(v[0], v[1], v[2], v[3])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

impl ParametricModel for BgNbdParams {
    crate::model::parametric_from_parameters!();

    fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
        self.prob_purchases(n, t).ok()
    }
}

/// One row with `x > 0`: indices into the distinct values and its weight.
#[derive(Debug, Clone, Copy)]
struct Row {
    ix: u32,
    it: u32,
    itx: u32,
    w: f64,
}

/// Data indexed for fast repeated likelihood evaluation.
#[derive(Debug, Clone)]
struct Prepared {
    /// Distinct frequencies and their total weights.
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    /// Distinct ages `T`, and the weight of `x = 0` rows at each.
    ages: Vec<f64>,
    zero_weight: Vec<f64>,
    /// Distinct recencies of `x > 0` rows.
    recencies: Vec<f64>,
    /// Distinct `(x, T, t_x)` rows with `x > 0`, sorted by their indices.
    rows: Vec<Row>,
    total_weight: f64,
}

/// Interns `f64` values (by bit pattern) to dense indices in order of first
/// appearance: open addressing with linear probing, much cheaper than a
/// general hash map for the few hundred distinct ages or recencies.
struct Interner {
    /// Bit patterns (`EMPTY` for a free slot) and their indices.
    slots: Vec<(u64, u32)>,
    values: Vec<f64>,
}

/// A NaN bit pattern: never a key, since the data are finite.
const EMPTY: u64 = u64::MAX;

impl Interner {
    fn new() -> Interner {
        Interner {
            slots: vec![(EMPTY, 0); 1024],
            values: Vec::new(),
        }
    }

    #[inline]
    fn slot(&self, bits: u64) -> usize {
        let h = (bits ^ (bits >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 20) as usize & (self.slots.len() - 1)
    }

    #[inline]
    fn intern(&mut self, v: f64) -> u32 {
        let bits = v.to_bits();
        let mask = self.slots.len() - 1;
        let mut i = self.slot(bits);
        loop {
            let (k, ix) = self.slots[i];
            if k == bits {
                return ix;
            }
            if k == EMPTY {
                break;
            }
            i = (i + 1) & mask;
        }
        let ix = self.values.len() as u32;
        self.values.push(v);
        self.slots[i] = (bits, ix);
        if 2 * self.values.len() > self.slots.len() {
            self.grow();
        }
        ix
    }

    fn grow(&mut self) {
        let old = std::mem::replace(&mut self.slots, vec![(EMPTY, 0); 0]);
        self.slots = vec![(EMPTY, 0); 2 * old.len()];
        let mask = self.slots.len() - 1;
        for (k, ix) in old {
            if k != EMPTY {
                let mut i = self.slot(k);
                while self.slots[i].0 != EMPTY {
                    i = (i + 1) & mask;
                }
                self.slots[i] = (k, ix);
            }
        }
    }
}

/// Frequencies below this are indexed through a table instead of a hash map.
const X_TABLE: usize = 4096;

/// Distinct frequencies with their total weights, in order of first appearance.
struct XIndex {
    xs: Vec<f64>,
    weight: Vec<f64>,
    table: Vec<u32>,
    map: FastMap<u64, u32>,
}

impl XIndex {
    fn new() -> XIndex {
        XIndex {
            xs: Vec::new(),
            weight: Vec::new(),
            table: vec![u32::MAX; X_TABLE],
            map: FastMap::default(),
        }
    }

    /// Adds weight `w` to frequency `x` (an integer >= 0), returning its index.
    #[inline]
    fn add(&mut self, x: f64, w: f64) -> u32 {
        let ix = if x < X_TABLE as f64 {
            let slot = &mut self.table[x as usize];
            if *slot == u32::MAX {
                *slot = self.xs.len() as u32;
                self.xs.push(x);
                self.weight.push(0.0);
            }
            *slot
        } else {
            let (xs, weight) = (&mut self.xs, &mut self.weight);
            *self.map.entry(x.to_bits()).or_insert_with(|| {
                xs.push(x);
                weight.push(0.0);
                (xs.len() - 1) as u32
            })
        };
        self.weight[ix as usize] += w;
        ix
    }
}

/// One part of the input indexed with its own dictionaries.
struct Part {
    x: XIndex,
    ages: Interner,
    zero_weight: Vec<f64>,
    recencies: Interner,
    total_weight: f64,
    /// Local `(x, T, t_x)` indices and weights of the rows with `x > 0`.
    idx: Vec<(u32, u32, u32)>,
    weights: Vec<f64>,
}

/// Input rows per part of the parallel indexing.
const PART_ROWS: usize = 131_072;

/// Rows of the subsample used for a warm start on large data.
const SUBSAMPLE_ROWS: usize = 20_000;

/// Rows per parallel chunk (below this the sum runs on one thread).
const CHUNK: usize = 16_384;

/// Newton iterations allowed when polishing on all rows.
const NEWTON_ITERATIONS: usize = 50;

/// Stable LSD radix sort of `keys` (using their low `bits` bits), carrying
/// `w` along unless it is empty.
fn radix_sort(keys: &mut Vec<u64>, w: &mut Vec<f64>, bits: u32) {
    // 8-bit digits: the scatter then writes to few enough places at once to
    // stay in cache.
    const DIGIT: u32 = 8;
    const MASK: u64 = (1 << DIGIT) - 1;
    let n = keys.len();
    let carry = !w.is_empty();
    let mut k2 = vec![0u64; n];
    let mut w2 = vec![0.0; if carry { n } else { 0 }];
    let mut shift = 0;
    while shift < bits {
        let mut count = [0usize; 1 << DIGIT];
        for &k in keys.iter() {
            count[((k >> shift) & MASK) as usize] += 1;
        }
        let mut sum = 0;
        for c in count.iter_mut() {
            let here = *c;
            *c = sum;
            sum += here;
        }
        if carry {
            for (&k, &v) in keys.iter().zip(w.iter()) {
                let d = ((k >> shift) & MASK) as usize;
                k2[count[d]] = k;
                w2[count[d]] = v;
                count[d] += 1;
            }
            std::mem::swap(w, &mut w2);
        } else {
            for &k in keys.iter() {
                let d = ((k >> shift) & MASK) as usize;
                k2[count[d]] = k;
                count[d] += 1;
            }
        }
        std::mem::swap(keys, &mut k2);
        shift += DIGIT;
    }
}

/// Sums over rows that the likelihood derivatives need (see
/// [`Prepared::derivatives`]).
type RowSums = [f64; 18];

impl Prepared {
    /// Indexes `data`, merging identical rows (so the input need not be
    /// compressed): distinct values are interned, each row becomes a packed
    /// integer key, and the keys are radix-sorted and merged (no hashing of
    /// rows; the result does not depend on the number of threads).
    fn new(data: &CustomerData) -> Prepared {
        // Parts of the input are indexed in parallel with their own
        // dictionaries of distinct values, which are then merged in order
        // (first appearance, as a sequential pass would give).
        let n = data.len();
        let n_parts = n.div_ceil(PART_ROWS).max(1);
        let part = |k: usize| Self::part(data, k * PART_ROWS..((k + 1) * PART_ROWS).min(n));
        let parts: Vec<Part> = if n_parts > 1 {
            (0..n_parts).into_par_iter().map(part).collect()
        } else {
            vec![part(0)]
        };
        let mut x_index = XIndex::new();
        let mut ages = Interner::new();
        let mut recencies = Interner::new();
        let mut zero_weight: Vec<f64> = Vec::new();
        let mut total_weight = 0.0;
        let mut maps = Vec::with_capacity(parts.len());
        for part in &parts {
            let xm: Vec<u32> = part
                .x
                .xs
                .iter()
                .zip(&part.x.weight)
                .map(|(&x, &w)| x_index.add(x, w))
                .collect();
            let tm: Vec<u32> = part.ages.values.iter().map(|&t| ages.intern(t)).collect();
            zero_weight.resize(ages.values.len(), 0.0);
            for (j, &w) in part.zero_weight.iter().enumerate() {
                zero_weight[tm[j] as usize] += w;
            }
            let rm: Vec<u32> = part
                .recencies
                .values
                .iter()
                .map(|&t| recencies.intern(t))
                .collect();
            total_weight += part.total_weight;
            maps.push((xm, tm, rm));
        }
        let XIndex {
            xs,
            weight: x_weight,
            ..
        } = x_index;
        let (bx, bt, br) = (
            bits_for(xs.len()),
            bits_for(ages.values.len()),
            bits_for(recencies.values.len()),
        );
        let mut idx: Vec<(u32, u32, u32)> = Vec::new();
        let mut weights: Vec<f64> = Vec::new();
        for (part, (xm, tm, rm)) in parts.iter().zip(&maps) {
            idx.extend(
                part.idx
                    .iter()
                    .map(|&(ix, it, itx)| (xm[ix as usize], tm[it as usize], rm[itx as usize])),
            );
            weights.extend_from_slice(&part.weights);
        }
        drop(parts);
        let mut rows: Vec<Row> = Vec::new();
        if bx + bt + br < 64 {
            let mut keys: Vec<u64> = idx
                .iter()
                .map(|&(ix, it, itx)| {
                    (u64::from(ix) << (bt + br)) | (u64::from(it) << br) | u64::from(itx)
                })
                .collect();
            drop(idx);
            // Raw data (every weight 1): sort the keys alone.
            let unit = weights.iter().all(|&w| w == 1.0);
            if unit {
                weights.clear();
            }
            radix_sort(&mut keys, &mut weights, bx + bt + br);
            let (mt, mr) = ((1u64 << bt) - 1, (1u64 << br) - 1);
            let mut last = u64::MAX;
            for (j, &k) in keys.iter().enumerate() {
                let w = if unit { 1.0 } else { weights[j] };
                if k == last {
                    rows.last_mut().expect("a previous row").w += w;
                } else {
                    last = k;
                    rows.push(Row {
                        ix: (k >> (bt + br)) as u32,
                        it: ((k >> br) & mt) as u32,
                        itx: (k & mr) as u32,
                        w,
                    });
                }
            }
        } else {
            // Too many distinct values to pack: sort the index triples.
            let mut order: Vec<usize> = (0..idx.len()).collect();
            order.sort_by_key(|&j| idx[j]);
            for j in order {
                let (ix, it, itx) = idx[j];
                match rows.last_mut() {
                    Some(r) if (r.ix, r.it, r.itx) == (ix, it, itx) => r.w += weights[j],
                    _ => rows.push(Row {
                        ix,
                        it,
                        itx,
                        w: weights[j],
                    }),
                }
            }
        }
        Prepared {
            xs,
            x_weight,
            ages: ages.values,
            zero_weight,
            recencies: recencies.values,
            rows,
            total_weight,
        }
    }

    /// Indexes input rows `range`.
    fn part(data: &CustomerData, range: std::ops::Range<usize>) -> Part {
        let mut p = Part {
            x: XIndex::new(),
            ages: Interner::new(),
            zero_weight: Vec::new(),
            recencies: Interner::new(),
            total_weight: 0.0,
            idx: Vec::with_capacity(range.len() / 2),
            weights: Vec::with_capacity(range.len() / 2),
        };
        for i in range {
            let (x, t_x, age, w) = (
                data.frequency[i],
                data.recency[i],
                data.age[i],
                data.weight[i],
            );
            let ix = p.x.add(x, w);
            p.total_weight += w;
            let it = p.ages.intern(age);
            if it as usize == p.zero_weight.len() {
                p.zero_weight.push(0.0);
            }
            if x == 0.0 {
                p.zero_weight[it as usize] += w;
            } else {
                p.idx.push((ix, it, p.recencies.intern(t_x)));
                p.weights.push(w);
            }
        }
        p
    }

    /// Every `k`-th row with `x > 0` and `1/k` of the `x = 0` weight: an
    /// unbiased subsample of the likelihood for a quick warm start.
    fn subsample(&self, k: usize) -> Prepared {
        let rows: Vec<Row> = self.rows.iter().step_by(k).copied().collect();
        let scale = 1.0 / k as f64;
        let zero_weight: Vec<f64> = self.zero_weight.iter().map(|w| w * scale).collect();
        let mut x_weight = vec![0.0; self.xs.len()];
        for r in &rows {
            x_weight[r.ix as usize] += r.w;
        }
        let zero_total: f64 = zero_weight.iter().sum();
        if let Some(i0) = self.xs.iter().position(|&x| x == 0.0) {
            x_weight[i0] += zero_total;
        }
        let total_weight = x_weight.iter().sum();
        Prepared {
            xs: self.xs.clone(),
            x_weight,
            ages: self.ages.clone(),
            zero_weight,
            recencies: self.recencies.clone(),
            rows,
            total_weight,
        }
    }

    /// Total log-likelihood and (if asked) its gradient in natural parameters.
    fn evaluate(&self, params: &BgNbdParams, with_gradient: bool) -> (f64, [f64; 4]) {
        let d = if with_gradient {
            self.derivatives::<true, false>(params)
        } else {
            self.derivatives::<false, false>(params)
        };
        (d.0, d.1)
    }

    /// Total log-likelihood, and if asked its gradient and Hessian in natural
    /// parameters `(r, alpha, a, b)`; one pass over the rows (per row one
    /// `exp` and one `ln`).
    fn derivatives<const GRAD: bool, const HESS: bool>(
        &self,
        params: &BgNbdParams,
    ) -> (f64, [f64; 4], [[f64; 4]; 4]) {
        let BgNbdParams { r, alpha, a, b } = *params;
        let per_x: Vec<PerX> = self.xs.iter().map(|&x| params.per_x(x)).collect();
        let ln_age: Vec<f64> = self.ages.iter().map(|&t| (alpha + t).ln()).collect();
        let ln_rec: Vec<f64> = self.recencies.iter().map(|&t| (alpha + t).ln()).collect();
        let inv_age: Vec<f64> = self.ages.iter().map(|&t| 1.0 / (alpha + t)).collect();
        let inv_rec: Vec<f64> = self.recencies.iter().map(|&t| 1.0 / (alpha + t)).collect();
        let inv_b: Vec<f64> = self.xs.iter().map(|&x| 1.0 / (b + x - 1.0)).collect();

        // Sums over rows with x > 0, with w1, w2 the shares of the two terms
        // of the likelihood and Δ = ∇d1 - ∇d2 = (lr - lt, rx (iR - iT), -1/a, ib):
        // 0: Σ w lse, 1: Σ w (w1 lt + w2 lr), 2: Σ w rx (w1 iT + w2 iR),
        // 3: Σ w w2, 4: Σ w w2 ib; for the Hessian, with u = w1 w2:
        // 5: Σ w (w1 iT + w2 iR), 6: Σ w rx (w1 iT² + w2 iR²), 7: Σ w w2 ib²,
        // 8: Σ w u Δr², 9: Σ w u Δr Δα, 10: Σ w u Δα², 11: Σ w u Δr,
        // 12: Σ w u Δr ib, 13: Σ w u Δα, 14: Σ w u Δα ib, 15: Σ w u,
        // 16: Σ w u ib, 17: Σ w u ib².
        let row_sums = |rows: &[Row]| -> RowSums {
            let mut s = [0.0; 18];
            for row in rows {
                let k = &per_x[row.ix as usize];
                let lt = ln_age[row.it as usize];
                let lr = ln_rec[row.itx as usize];
                let d1 = -k.rx * lt;
                let d2 = k.ln_c2 - k.rx * lr;
                let diff = d2 - d1;
                let e = (-diff.abs()).exp();
                // ln(1 + e) for e in [0, 1]: the absolute error of ln is what
                // matters in a sum, and ln is much faster than ln_1p.
                let lse = d1.max(d2) + (1.0 + e).ln();
                s[0] += row.w * lse;
                if GRAD {
                    let share = 1.0 / (1.0 + e);
                    let w2 = if diff > 0.0 { share } else { e * share };
                    let w1 = 1.0 - w2;
                    let (it, ir) = (inv_age[row.it as usize], inv_rec[row.itx as usize]);
                    let ib = inv_b[row.ix as usize];
                    let ww2 = row.w * w2;
                    s[1] += row.w * (w1 * lt + w2 * lr);
                    s[2] += row.w * k.rx * (w1 * it + w2 * ir);
                    s[3] += ww2;
                    s[4] += ww2 * ib;
                    if HESS {
                        s[5] += row.w * (w1 * it + w2 * ir);
                        s[6] += row.w * k.rx * (w1 * it * it + w2 * ir * ir);
                        s[7] += ww2 * ib * ib;
                        let wu = row.w * w1 * w2;
                        let (dr, da) = (lr - lt, k.rx * (ir - it));
                        s[8] += wu * dr * dr;
                        s[9] += wu * dr * da;
                        s[10] += wu * da * da;
                        s[11] += wu * dr;
                        s[12] += wu * dr * ib;
                        s[13] += wu * da;
                        s[14] += wu * da * ib;
                        s[15] += wu;
                        s[16] += wu * ib;
                        s[17] += wu * ib * ib;
                    }
                }
            }
            s
        };
        let sums = if self.rows.len() > CHUNK {
            // Fixed chunks summed in order: independent of the thread count.
            let parts: Vec<RowSums> = self.rows.par_chunks(CHUNK).map(row_sums).collect();
            parts.iter().fold([0.0; 18], |mut u, v| {
                for i in 0..18 {
                    u[i] += v[i];
                }
                u
            })
        } else {
            row_sums(&self.rows)
        };
        let mut ll = sums[0];
        // x = 0 rows: ln L = A(0) - r ln(α+T).
        let (mut zero_lt, mut zero_inv, mut zero_inv2) = (0.0, 0.0, 0.0);
        for (i, &w) in self.zero_weight.iter().enumerate() {
            if w > 0.0 {
                zero_lt += w * ln_age[i];
                zero_inv += w * inv_age[i];
                zero_inv2 += w * inv_age[i] * inv_age[i];
            }
        }
        ll -= r * zero_lt;
        for (k, &w) in per_x.iter().zip(&self.x_weight) {
            ll += w * k.base;
        }
        let mut g = [0.0; 4];
        let mut h = [[0.0; 4]; 4];
        if !GRAD {
            return (ll, g, h);
        }
        // Derivatives of Σ_x W_x A(x).
        let (psi_r, psi_ab, psi_b) = (digamma(r), digamma(a + b), digamma(b));
        let (tri_r, tri_ab, tri_b) = if HESS {
            (trigamma(r), trigamma(a + b), trigamma(b))
        } else {
            (0.0, 0.0, 0.0)
        };
        let big_w: f64 = self.x_weight.iter().sum();
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            let psi_abx = digamma(a + b + x);
            g[0] += w * (digamma(r + x) - psi_r + alpha.ln());
            g[2] += w * (psi_ab - psi_abx);
            g[3] += w * (digamma(b + x) - psi_abx - psi_b + psi_ab);
            if HESS {
                let tri_abx = trigamma(a + b + x);
                h[0][0] += w * (trigamma(r + x) - tri_r);
                h[2][2] += w * (tri_ab - tri_abx);
                h[2][3] += w * (tri_ab - tri_abx);
                h[3][3] += w * (trigamma(b + x) - tri_abx - tri_b + tri_ab);
            }
        }
        g[1] = big_w * r / alpha;
        g[0] -= sums[1] + zero_lt;
        g[1] -= sums[2] + r * zero_inv;
        g[2] += sums[3] / a;
        g[3] -= sums[4];
        if HESS {
            let s = &sums;
            // A(x): ∂²/∂r∂α = W/α, ∂²/∂α² = -W r/α².
            h[0][1] += big_w / alpha - zero_inv - s[5] + s[9];
            h[1][1] += -big_w * r / (alpha * alpha) + r * zero_inv2 + s[6] + s[10];
            h[0][0] += s[8];
            h[0][2] = -s[11] / a;
            h[0][3] = s[12];
            h[1][2] = -s[13] / a;
            h[1][3] = s[14];
            h[2][2] += -s[3] / (a * a) + s[15] / (a * a);
            h[2][3] += -s[16] / a;
            h[3][3] += s[7] + s[17];
            for (i, j) in [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)] {
                h[i][j] = h[j][i];
            }
        }
        (ll, g, h)
    }
}

/// Settings for fitting the BG/NBD model by (penalised) maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbdFitter {
    /// L2 penalty as `lifetimes`' `penalizer_coef`: the minimised objective is
    /// `-LL / n + penalty * (r² + alpha² + a² + b²)` with `n` the number of
    /// customers. 0 gives plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
    /// Optional starting point (otherwise data-driven starts are tried).
    pub start: Option<BgNbdParams>,
}

impl Default for BgNbdFitter {
    fn default() -> Self {
        BgNbdFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted BG/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedBgNbd {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: BgNbdParams,
    /// Fit statistics; standard errors and covariance in the order `r, alpha, a, b`.
    /// Standard errors and covariance are empty when the observed information
    /// (Hessian of the penalised total negative log-likelihood, natural
    /// parameters) is not positive definite.
    pub report: FitReport,
}

impl Likelihood for Prepared {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (ll, g) = self.evaluate(&BgNbdParams::unchecked(p), true);
        (ll, g.to_vec())
    }

    fn log_likelihood_hessian(&self, p: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let (ll, g, h) = self.derivatives::<true, true>(&BgNbdParams::unchecked(p));
        (ll, g.to_vec(), h.iter().map(|row| row.to_vec()).collect())
    }

    fn subsample(&self) -> Option<Prepared> {
        let k = self.rows.len() / SUBSAMPLE_ROWS;
        (k >= 2).then(|| self.subsample(k))
    }
}

crate::models::purchase_fitter!(BgNbdFitter, BgNbdParams);

impl BgNbdFitter {
    /// The optimiser settings.
    fn settings(&self) -> fit::Settings {
        fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        }
    }

    /// Fits the model to `data` (compressed internally).
    ///
    /// Large data: the optimum of an unbiased subsample (only a start, so a
    /// loose tolerance will do); small data: BFGS on all rows. Then Newton
    /// steps with the analytic Hessian on all rows (one pass each); the
    /// Hessian of the last one gives the standard errors (see
    /// [`fit::Strategy::Newton`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotEnoughData`] without customers or without any repeat
    /// purchase (the likelihood then has no maximum),
    /// [`Error::InvalidParameter`] for a negative or non-finite penalty,
    /// [`Error::FitFailed`] when no start converges to a finite optimum.
    pub fn fit(&self, data: &CustomerData) -> Result<FittedBgNbd> {
        self.settings().check()?;
        if data.is_empty() {
            return Err(Error::NotEnoughData("no customers to fit BG/NBD".into()));
        }
        let prepared = Prepared::new(data);
        if prepared.rows.is_empty() {
            return Err(Error::NotEnoughData(
                "no customer made a repeat purchase: BG/NBD cannot be fitted".into(),
            ));
        }
        let starts = self.starts(data);
        let strategy = fit::Strategy::Newton {
            iterations: NEWTON_ITERATIONS,
            large: fit::LargeData::Newton,
        };
        let (v, report) = fit::maximize("BG/NBD", &prepared, &self.settings(), strategy, |_| {
            starts.clone()
        })?;
        Ok(FittedBgNbd {
            params: BgNbdParams::from_values(&v)?,
            report,
        })
    }

    /// Starting points: the user's, then data-driven ones.
    fn starts(&self, data: &CustomerData) -> Vec<Vec<f64>> {
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.to_array().to_vec());
        }
        // Mean repeat-purchase rate per unit of time.
        let (mut xs, mut ts) = (0.0, 0.0);
        for i in 0..data.len() {
            xs += data.weight[i] * data.frequency[i];
            ts += data.weight[i] * data.age[i];
        }
        let rate = if xs > 0.0 && ts > 0.0 { xs / ts } else { 1.0 };
        let guesses = [(1.0, 1.0, 3.0), (0.25, 0.8, 2.5), (3.0, 2.0, 2.0)];
        for (r, a, b) in guesses {
            starts.push(vec![r, (r / rate).clamp(1e-6, 1e12), a, b]);
        }
        starts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdnow_rounded() -> BgNbdParams {
        BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap()
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn indexing_matches_compression_and_hessian_matches_differences() {
        let n = 123_457;
        let (mut x, mut tx, mut age) = (vec![], vec![], vec![]);
        for i in 0..n {
            let t = 1.0 + (i % 97) as f64 / 7.0;
            let f = (i % 13) as f64;
            x.push(f);
            tx.push(if f == 0.0 {
                0.0
            } else {
                t * ((i % 5) as f64 / 4.0)
            });
            age.push(t);
        }
        let data = CustomerData::new(x, tx, age).unwrap();
        let prepared = Prepared::new(&data);
        let compressed = data.compress();
        let merged = compressed.frequency.iter().filter(|&&f| f > 0.0).count();
        assert_eq!(prepared.rows.len(), merged);
        assert_eq!(prepared.total_weight, n as f64);
        let p = cdnow_rounded();
        let (l1, g1) = prepared.evaluate(&p, true);
        let (l2, g2) = Prepared::new(&compressed).evaluate(&p, true);
        assert!((l1 - l2).abs() <= 1e-10 * l2.abs());
        let direct: f64 = (0..n)
            .map(|i| p.customer_log_likelihood(data.frequency[i], data.recency[i], data.age[i]))
            .sum();
        assert!(
            (l1 - direct).abs() <= 1e-9 * direct.abs(),
            "{l1} vs {direct}"
        );
        for i in 0..4 {
            assert!((g1[i] - g2[i]).abs() <= 1e-9 * g2[i].abs().max(1.0));
        }
        let (_, g, h) = prepared.derivatives::<true, true>(&p);
        assert_eq!(g, g1);
        let fd = crate::optim::hessian_from_gradient(&p.to_array(), |t, gr| {
            let q = BgNbdParams::new(t[0], t[1], t[2], t[3]).unwrap();
            gr.copy_from_slice(&prepared.evaluate(&q, true).1);
        });
        for i in 0..4 {
            for j in 0..4 {
                let scale = fd[i][j].abs().max(1e-3 * fd[i][i].abs());
                assert!(
                    (h[i][j] - fd[i][j]).abs() <= 1e-6 * scale,
                    "{i}{j}: {} vs {}",
                    h[i][j],
                    fd[i][j]
                );
            }
        }
    }

    #[test]
    fn radix_sort_is_a_stable_sort() {
        let mut keys: Vec<u64> = (0..5000u64).map(|i| (i * 7919) % 1237).collect();
        let mut w: Vec<f64> = (0..5000).map(|i| i as f64).collect();
        let mut want: Vec<(u64, f64)> = keys.iter().copied().zip(w.iter().copied()).collect();
        want.sort_by_key(|p| p.0);
        radix_sort(&mut keys, &mut w, bits_for(1237));
        let got: Vec<(u64, f64)> = keys.into_iter().zip(w).collect();
        assert_eq!(got, want);
        assert_eq!(
            (bits_for(1), bits_for(2), bits_for(1024), bits_for(1025)),
            (0, 1, 10, 11)
        );
    }

    #[test]
    fn x200_log_likelihood_does_not_overflow() {
        // reference-values.md: 100.7957 for r=0.25, alpha=4, a=0.8, b=2.5.
        let p = BgNbdParams::new(0.25, 4.0, 0.8, 2.5).unwrap();
        let ll = p.customer_log_likelihood(200.0, 38.0, 40.0);
        assert!((ll - 100.7957).abs() <= 1e-4 * 100.7957, "{ll}");
    }

    #[test]
    fn p_alive_is_one_without_repeat_purchases() {
        let p = cdnow_rounded();
        assert_eq!(p.probability_alive(0.0, 0.0, 30.0), 1.0);
        let pa = p.probability_alive(2.0, 5.0, 38.0);
        assert!(pa > 0.0 && pa < 1.0);
    }

    #[test]
    fn expected_purchases_is_continuous_at_a_equal_one() {
        let mut p = BgNbdParams::new(0.5, 5.0, 1.0, 2.0).unwrap();
        let at_one = p.conditional_expected_if_alive(0.0, 10.0, 500.0).unwrap();
        for a in [1.0 - 1e-3, 1.0 - 2e-5, 1.0 + 2e-5, 1.0 + 1e-3] {
            p.a = a;
            let v = p.conditional_expected_if_alive(0.0, 10.0, 500.0).unwrap();
            assert!((v - at_one).abs() < 2e-3 * at_one, "a={a}: {v} vs {at_one}");
        }
    }

    #[test]
    fn series_and_general_paths_agree() {
        let p = cdnow_rounded();
        for (x, age, t) in [(0.0, 10.0, 5.0), (3.0, 20.0, 39.0), (50.0, 30.0, 100.0)] {
            let a = p.expected_series(p.a, x, age, t);
            let c = p.a + p.b + x - 1.0;
            let z = t / (p.alpha + age + t);
            let f = crate::special::hyp2f1(p.a + p.b - 1.0 - p.r, p.a - 1.0, c, z).unwrap();
            let direct = c / (p.a - 1.0) * (1.0 - (1.0 - z).powf(p.a - 1.0) * f);
            if let Some(a) = a {
                assert!((a - direct).abs() < 1e-10 * direct, "{a} vs {direct}");
            }
        }
    }
}

#[cfg(test)]
mod next_purchase_tests {
    use rand::{SeedableRng, rngs::StdRng};
    use rand_distr::{Distribution, Exp, Gamma};

    use super::*;
    use crate::next_purchase::checks;

    fn params() -> BgNbdParams {
        BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap()
    }

    #[test]
    fn shape_slope_and_limit() {
        let p = params();
        let (r, alpha) = (p.r, p.alpha);
        let grid: Vec<f64> = (1..=60).map(|k| 1.3f64.powi(k) * 0.01).collect();
        for &(x, age) in &[(0.0, 0.0), (2.0, 38.86), (50.0, 10.0), (500.0, 1e5)] {
            checks::assert_survival_shape(&p, x, age, &grid);
            checks::assert_initial_slope(&p, x, age, 1e-6, (r + x) / (alpha + age), 1e-5);
            // An alive customer cannot drop out before buying again: P0 -> 0.
            assert!(p.p_no_purchase_if_alive(x, age, 1e300) < 1e-60); // (1e-299)^0.243 at worst
            assert_eq!(p.p_no_purchase_if_alive(x, age, f64::INFINITY), 0.0);
        }
        assert!(p.p_no_purchase_if_alive(1.0, 2.0, -1.0).is_nan());
        assert!(p.p_no_purchase_if_alive(-1.0, 2.0, 1.0).is_nan());
        assert!(p.median_wait_if_alive(1.0, f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn median_wait_is_the_closed_form() {
        let p = params();
        let (r, alpha) = (p.r, p.alpha);
        // (alpha+T) (2^(1/(r+x)) - 1), and P0 there is exactly 1/2.
        let u = p.median_wait_if_alive(3.0, 20.0, 1e6);
        let want = (alpha + 20.0) * (2f64.powf(1.0 / (r + 3.0)) - 1.0);
        assert!((u / want - 1.0).abs() < 1e-14, "{u} vs {want}");
        assert!((p.p_no_purchase_if_alive(3.0, 20.0, u) - 0.5).abs() < 1e-14);
        assert_eq!(p.median_wait_if_alive(3.0, 20.0, 0.5 * want), f64::INFINITY);
    }

    #[test]
    fn monte_carlo_agrees() {
        // lambda ~ Gamma(r+x, alpha+T); no purchase in t iff the first
        // purchase time Exp(lambda) exceeds t (no dropout before it).
        let p = params();
        let (x, age, t) = (2.0, 30.0, 12.0);
        let lambda = Gamma::new(p.r + x, 1.0 / (p.alpha + age)).unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        let draws = 200_000;
        let hits = (0..draws)
            .filter(|_| {
                let l: f64 = lambda.sample(&mut rng);
                Exp::new(l).unwrap().sample(&mut rng) > t
            })
            .count();
        checks::assert_monte_carlo(p.p_no_purchase_if_alive(x, age, t), hits, draws);
    }

    #[test]
    fn hand_computed_values() {
        // r = 0.243, alpha = 4.414, x = 2, T = 38.86, t = 30:
        // P0 = (43.274/73.274)^2.243; median = 43.274 (2^(1/2.243) - 1).
        let p = params();
        let p0 = p.p_no_purchase_if_alive(2.0, 38.86, 30.0);
        let want = (43.274f64 / 73.274).powf(2.243);
        assert!((p0 / want - 1.0).abs() < 1e-14, "{p0} vs {want}");
        assert!((want - 0.306_88).abs() < 1e-5); // exp(2.243 ln(0.590578)) = exp(-1.181285)
        let u = p.median_wait_if_alive(2.0, 38.86, 1e3);
        let want = 43.274 * (2f64.powf(1.0 / 2.243) - 1.0);
        assert!((u / want - 1.0).abs() < 1e-14, "{u} vs {want}");
        assert!((want - 15.669).abs() < 1e-3); // 2^(1/2.243) = 2^0.445831 = 1.362099
    }
}
