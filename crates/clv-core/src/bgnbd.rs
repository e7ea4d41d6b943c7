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

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::fit::FitReport;
use crate::model::PurchaseModel;
use crate::optim::{self, Bfgs, Objective};
use crate::special::{beta_reg, digamma, hyp2f1_scaled, ln_beta, ln_gamma, ln_gamma_ratio};

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            reason: "must be positive and finite",
        })
    }
}

/// Parameters of the BG/NBD model, named as in the paper. Standard errors and
/// covariances are reported in the order `r, alpha, a, b`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub r: f64,
    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub alpha: f64,
    /// First shape parameter of the beta distribution of dropout probabilities `p`.
    pub a: f64,
    /// Second shape parameter of the beta distribution of dropout probabilities `p`.
    pub b: f64,
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
    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("a", a)?;
        check_positive("b", b)?;
        Ok(BgNbdParams { r, alpha, a, b })
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

fn log_add_exp(x: f64, y: f64) -> f64 {
    let m = x.max(y);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + (-(x - y).abs()).exp().ln_1p()
}

fn logistic(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
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

    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases_new_customer(t).unwrap_or(f64::NAN)
    }
}

/// A small, fast hasher for numeric keys (multiply-rotate, with a final mix
/// so that keys differing only in high bits, like small integers stored as
/// `f64`, spread over the table).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

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
    rows: Vec<Row>,
    total_weight: f64,
}

fn intern(map: &mut FastMap<u64, u32>, values: &mut Vec<f64>, v: f64) -> u32 {
    *map.entry(v.to_bits()).or_insert_with(|| {
        values.push(v);
        (values.len() - 1) as u32
    })
}

/// Index of distinct `(x, T, t_x)` rows.
type RowIndex = FastMap<(u32, u32, u32), u32>;

/// Inputs with at least this many rows are indexed in parallel.
const PARALLEL_PREPARE: usize = 100_000;
/// Number of parts indexed in parallel (fixed, for thread-independent results).
const PREPARE_PARTS: usize = 4;

/// Frequencies below this are indexed through a table instead of a hash map.
const X_TABLE: usize = 4096;

/// Rows of the subsample used for a warm start on large data.
const SUBSAMPLE_ROWS: usize = 20_000;

/// Rows per parallel chunk (below this the sum runs on one thread).
const CHUNK: usize = 16_384;

impl Prepared {
    /// Indexes `data`, merging identical rows (so the input need not be
    /// compressed). Large inputs are indexed in [`PREPARE_PARTS`] parts in
    /// parallel, then merged in order (the result does not depend on the
    /// number of threads).
    fn new(data: &CustomerData) -> Prepared {
        let n = data.len();
        if n < PARALLEL_PREPARE {
            return Self::build(data, 0..n).0;
        }
        let step = n.div_ceil(PREPARE_PARTS);
        let mut parts: Vec<(Prepared, RowIndex)> = (0..PREPARE_PARTS)
            .into_par_iter()
            .map(|k| Self::build(data, (k * step).min(n)..((k + 1) * step).min(n)))
            .collect();
        let (mut base, mut seen) = parts.remove(0);
        for (other, _) in parts {
            base.absorb(other, &mut seen);
        }
        base
    }

    /// Adds another part's rows, re-indexing its distinct values.
    fn absorb(&mut self, other: Prepared, seen: &mut RowIndex) {
        let remap = |mine: &mut Vec<f64>, theirs: &[f64]| -> Vec<u32> {
            let mut map: FastMap<u64, u32> = mine
                .iter()
                .enumerate()
                .map(|(i, v)| (v.to_bits(), i as u32))
                .collect();
            theirs.iter().map(|&v| intern(&mut map, mine, v)).collect()
        };
        let x_map = remap(&mut self.xs, &other.xs);
        let t_map = remap(&mut self.ages, &other.ages);
        let r_map = remap(&mut self.recencies, &other.recencies);
        self.x_weight.resize(self.xs.len(), 0.0);
        self.zero_weight.resize(self.ages.len(), 0.0);
        for (j, &w) in other.x_weight.iter().enumerate() {
            self.x_weight[x_map[j] as usize] += w;
        }
        for (j, &w) in other.zero_weight.iter().enumerate() {
            self.zero_weight[t_map[j] as usize] += w;
        }
        self.total_weight += other.total_weight;
        for row in other.rows {
            let (ix, it, itx) = (
                x_map[row.ix as usize],
                t_map[row.it as usize],
                r_map[row.itx as usize],
            );
            self.add_row(seen, ix, it, itx, row.w);
        }
    }

    fn add_row(&mut self, seen: &mut RowIndex, ix: u32, it: u32, itx: u32, w: f64) {
        match seen.entry((ix, it, itx)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                self.rows[*e.get() as usize].w += w;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(self.rows.len() as u32);
                self.rows.push(Row { ix, it, itx, w });
            }
        }
    }

    /// Indexes rows `range` of `data`.
    fn build(data: &CustomerData, range: std::ops::Range<usize>) -> (Prepared, RowIndex) {
        let (mut xm, mut tm, mut rm) = (FastMap::default(), FastMap::default(), FastMap::default());
        let mut seen: RowIndex = FastMap::default();
        let mut x_table = vec![u32::MAX; X_TABLE];
        let mut p = Prepared {
            xs: Vec::new(),
            x_weight: Vec::new(),
            ages: Vec::new(),
            zero_weight: Vec::new(),
            recencies: Vec::new(),
            rows: Vec::with_capacity(range.len() / 2),
            total_weight: 0.0,
        };
        for i in range {
            let (x, t_x, age, w) = (
                data.frequency[i],
                data.recency[i],
                data.age[i],
                data.weight[i],
            );
            // Frequencies are small integers: index them through a table.
            let ix = if x < X_TABLE as f64 {
                let slot = &mut x_table[x as usize];
                if *slot == u32::MAX {
                    *slot = p.xs.len() as u32;
                    p.xs.push(x);
                }
                *slot as usize
            } else {
                intern(&mut xm, &mut p.xs, x) as usize
            };
            if ix == p.x_weight.len() {
                p.x_weight.push(0.0);
            }
            p.x_weight[ix] += w;
            let it = intern(&mut tm, &mut p.ages, age);
            if it as usize == p.zero_weight.len() {
                p.zero_weight.push(0.0);
            }
            p.total_weight += w;
            if x == 0.0 {
                p.zero_weight[it as usize] += w;
            } else {
                let itx = intern(&mut rm, &mut p.recencies, t_x);
                p.add_row(&mut seen, ix as u32, it, itx, w);
            }
        }
        (p, seen)
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
        let BgNbdParams { r, alpha, a, b } = *params;
        let per_x: Vec<PerX> = self.xs.iter().map(|&x| params.per_x(x)).collect();
        let ln_age: Vec<f64> = self.ages.iter().map(|&t| (alpha + t).ln()).collect();
        let ln_rec: Vec<f64> = self.recencies.iter().map(|&t| (alpha + t).ln()).collect();
        let inv_age: Vec<f64> = self.ages.iter().map(|&t| 1.0 / (alpha + t)).collect();
        let inv_rec: Vec<f64> = self.recencies.iter().map(|&t| 1.0 / (alpha + t)).collect();
        let inv_b: Vec<f64> = self.xs.iter().map(|&x| 1.0 / (b + x - 1.0)).collect();

        // Sums over rows with x > 0:
        // [Σ w lse, Σ w (w1 lnT + w2 lnt), Σ w rx (w1/(α+T) + w2/(α+t)), Σ w w2, Σ w w2/(b+x-1)]
        let row_sums = |rows: &[Row]| -> [f64; 5] {
            let mut s = [0.0; 5];
            for row in rows {
                let k = &per_x[row.ix as usize];
                let lt = ln_age[row.it as usize];
                let lr = ln_rec[row.itx as usize];
                let d1 = -k.rx * lt;
                let d2 = k.ln_c2 - k.rx * lr;
                let diff = d2 - d1;
                let e = (-diff.abs()).exp();
                let lse = d1.max(d2) + e.ln_1p();
                s[0] += row.w * lse;
                if with_gradient {
                    let w2 = if diff > 0.0 {
                        1.0 / (1.0 + e)
                    } else {
                        e / (1.0 + e)
                    };
                    let w1 = 1.0 - w2;
                    s[1] += row.w * (w1 * lt + w2 * lr);
                    s[2] += row.w
                        * k.rx
                        * (w1 * inv_age[row.it as usize] + w2 * inv_rec[row.itx as usize]);
                    s[3] += row.w * w2;
                    s[4] += row.w * w2 * inv_b[row.ix as usize];
                }
            }
            s
        };
        let sums = if self.rows.len() > CHUNK {
            self.rows.par_chunks(CHUNK).map(row_sums).reduce(
                || [0.0; 5],
                |mut u, v| {
                    for i in 0..5 {
                        u[i] += v[i];
                    }
                    u
                },
            )
        } else {
            row_sums(&self.rows)
        };
        let mut ll = sums[0];
        // x = 0 rows: ln L = A(0) - r ln(α+T).
        let mut zero_lt = 0.0;
        let mut zero_inv = 0.0;
        for (i, &w) in self.zero_weight.iter().enumerate() {
            if w > 0.0 {
                zero_lt += w * ln_age[i];
                zero_inv += w * inv_age[i];
            }
        }
        ll -= r * zero_lt;
        for (k, &w) in per_x.iter().zip(&self.x_weight) {
            ll += w * k.base;
        }
        if !with_gradient {
            return (ll, [0.0; 4]);
        }
        // Gradient of Σ_x W_x A(x).
        let (psi_r, psi_ab, psi_b) = (digamma(r), digamma(a + b), digamma(b));
        let mut g = [0.0; 4];
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            let psi_abx = digamma(a + b + x);
            g[0] += w * (digamma(r + x) - psi_r + alpha.ln());
            g[1] += w * r / alpha;
            g[2] += w * (psi_ab - psi_abx);
            g[3] += w * (digamma(b + x) - psi_abx - psi_b + psi_ab);
        }
        g[0] -= sums[1] + zero_lt;
        g[1] -= sums[2] + r * zero_inv;
        g[2] += sums[3] / a;
        g[3] -= sums[4];
        (ll, g)
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

struct Problem<'a> {
    data: &'a Prepared,
    penalty: f64,
}

impl Problem<'_> {
    fn params(theta: &[f64]) -> BgNbdParams {
        BgNbdParams {
            r: theta[0].exp(),
            alpha: theta[1].exp(),
            a: theta[2].exp(),
            b: theta[3].exp(),
        }
    }
}

impl Objective for Problem<'_> {
    fn dim(&self) -> usize {
        4
    }

    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let p = Self::params(theta);
        let arr = p.to_array();
        if arr.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return f64::INFINITY;
        }
        let (ll, g) = self.data.evaluate(&p, true);
        let n = self.data.total_weight;
        let mut pen = 0.0;
        for i in 0..4 {
            pen += arr[i] * arr[i];
            // d/dθ = p d/dp
            grad[i] = arr[i] * (-g[i] / n + 2.0 * self.penalty * arr[i]);
        }
        -ll / n + self.penalty * pen
    }
}

impl BgNbdFitter {
    /// Fits the model to `data` (compressed internally).
    ///
    /// # Errors
    ///
    /// [`Error::NotEnoughData`] without customers or without any repeat
    /// purchase (the likelihood then has no maximum),
    /// [`Error::InvalidParameter`] for a negative or non-finite penalty,
    /// [`Error::FitFailed`] when no start converges to a finite optimum.
    pub fn fit(&self, data: &CustomerData) -> Result<FittedBgNbd> {
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "penalty",
                value: self.penalty,
                reason: "must be finite and non-negative",
            });
        }
        if data.is_empty() {
            return Err(Error::NotEnoughData("no customers to fit BG/NBD".into()));
        }
        let prepared = Prepared::new(data);
        if prepared.rows.is_empty() {
            return Err(Error::NotEnoughData(
                "no customer made a repeat purchase: BG/NBD cannot be fitted".into(),
            ));
        }
        let bfgs = Bfgs {
            max_iterations: self.max_iterations,
            gradient_tolerance: self.tolerance,
            ..Bfgs::default()
        };
        let problem = Problem {
            data: &prepared,
            penalty: self.penalty,
        };
        // Large data: find the optimum of an unbiased subsample first, then
        // polish on all rows starting from it with the subsample's inverse
        // Hessian (a few Newton-like steps instead of a full BFGS run).
        let k = prepared.rows.len() / SUBSAMPLE_ROWS;
        let m = if k >= 2 {
            let sub = prepared.subsample(k);
            let sub_problem = Problem {
                data: &sub,
                penalty: self.penalty,
            };
            let warm = self.multi_start(&sub_problem, &bfgs, data)?;
            let h0 = optim::hessian_from_gradient(&warm.theta, |t, g| {
                sub_problem.value_and_gradient(t, g);
            });
            let m = bfgs.minimize_from(&problem, &warm.theta, optim::invert_spd(&h0).as_deref());
            if m.converged() {
                m
            } else {
                self.multi_start(&problem, &bfgs, data)?
            }
        } else {
            self.multi_start(&problem, &bfgs, data)?
        };
        let params = Problem::params(&m.theta);
        if params
            .to_array()
            .iter()
            .any(|v| !(v.is_finite() && *v > 0.0))
        {
            return Err(Error::FitFailed(format!(
                "BG/NBD: optimiser ended at invalid parameters {params:?} ({})",
                m.termination
            )));
        }
        let (ll, _) = prepared.evaluate(&params, false);
        if !ll.is_finite() {
            return Err(Error::FitFailed("BG/NBD: non-finite log-likelihood".into()));
        }
        let n = prepared.total_weight;
        // Observed information: Hessian of n * objective in natural parameters.
        let hessian = optim::hessian_from_gradient(&params.to_array(), |p, g| {
            let q = BgNbdParams {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            };
            let (_, grad) = prepared.evaluate(&q, true);
            for i in 0..4 {
                g[i] = -grad[i] + 2.0 * self.penalty * n * p[i];
            }
        });
        let (covariance, standard_errors) = optim::covariance(&hessian).unwrap_or_default();
        Ok(FittedBgNbd {
            params,
            report: FitReport {
                log_likelihood: ll,
                aic: FitReport::aic_of(ll, 4),
                bic: FitReport::bic_of(ll, 4, n),
                n_customers: n,
                n_params: 4,
                converged: m.converged(),
                iterations: m.iterations,
                termination: m.termination.to_string(),
                penalty: self.penalty,
                gradient_norm: m.gradient_norm(),
                standard_errors,
                covariance,
            },
        })
    }

    /// BFGS from each start until one converges; the best result.
    fn multi_start(
        &self,
        problem: &Problem<'_>,
        bfgs: &Bfgs,
        data: &CustomerData,
    ) -> Result<optim::Minimum> {
        let mut best: Option<optim::Minimum> = None;
        for start in self.starts(data) {
            let theta: Vec<f64> = start.to_array().iter().map(|v| v.ln()).collect();
            let m = bfgs.minimize(problem, &theta);
            let better = m.value.is_finite()
                && best.as_ref().is_none_or(|b| {
                    (m.converged() && !b.converged())
                        || (m.converged() == b.converged() && m.value < b.value)
                });
            if better {
                best = Some(m);
            }
            if best.as_ref().is_some_and(|b| b.converged()) {
                break;
            }
        }
        best.ok_or_else(|| {
            Error::FitFailed("BG/NBD: no starting point gave a finite likelihood".into())
        })
    }

    fn starts(&self, data: &CustomerData) -> Vec<BgNbdParams> {
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s);
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
            starts.push(BgNbdParams {
                r,
                alpha: (r / rate).clamp(1e-6, 1e12),
                a,
                b,
            });
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
    fn parallel_indexing_matches_sequential() {
        let n = PARALLEL_PREPARE + 12_345;
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
        let par = Prepared::new(&data);
        let (seq, _) = Prepared::build(&data, 0..n);
        assert_eq!(par.rows.len(), seq.rows.len());
        assert_eq!(par.total_weight, seq.total_weight);
        let p = cdnow_rounded();
        let (l1, g1) = par.evaluate(&p, true);
        let (l2, g2) = seq.evaluate(&p, true);
        assert!((l1 - l2).abs() <= 1e-10 * l2.abs());
        for i in 0..4 {
            assert!((g1[i] - g2[i]).abs() <= 1e-9 * g2[i].abs().max(1.0));
        }
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
