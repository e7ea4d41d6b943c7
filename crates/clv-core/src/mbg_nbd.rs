//! The MBG/NBD ("modified beta-geometric / negative binomial distribution")
//! purchase model of Batislam, Denizel & Filiztekin (2007), "Empirical
//! validation and comparison of models for customer base analysis",
//! *International Journal of Research in Marketing* 24(3), 201-209.
//!
//! # Assumptions
//!
//! As BG/NBD ([`crate::bgnbd`]), except for the dropout opportunities:
//!
//! 1. While active, a customer's purchases follow a Poisson process with rate
//!    `lambda`, and `lambda ~ Gamma(shape r, rate alpha)` across customers.
//! 2. Right after **every** purchase, the first one included, the customer
//!    becomes inactive for good with probability `p`, and
//!    `p ~ Beta(a, b)` across customers. So a customer who never repeats can
//!    be inactive: `P(alive | x = 0) < 1` (under BG/NBD it is 1).
//! 3. `lambda` and `p` are independent.
//!
//! # Formulas
//!
//! With `x` repeat purchases, the last at `t_x`, observed for `T`
//! (`B` the beta function):
//!
//! ```text
//! L = Γ(r+x) α^r / Γ(r) [ B(a, b+x+1)/B(a, b) (α+T)^-(r+x)
//!                       + B(a+1, b+x)/B(a, b) (α+t_x)^-(r+x) ]
//! P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x))
//! E[Y(t) | alive, x, T] = (a+b+x)/(a-1)
//!        [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(α+T+t))]
//! E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) E[Y(t) | alive, x, T]
//! E[X(t)] = b/(a-1) [1 - (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))]
//! P(X(t) = n) = B(a, b+n+1)/B(a, b) Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n
//!        + B(a+1, b+n)/B(a, b) [1 - δ(n>0) (α/(α+t))^r Σ_{j<n} Γ(r+j)/(Γ(r) j!) (t/(α+t))^j]
//! ```
//!
//! Given "alive at `T`" the posterior of `p` is `Beta(a, b+x+1)` (it survived
//! `x+1` coin flips, against `x` under BG/NBD), so `E[Y(t) | alive, x, T]` is
//! BG/NBD's with `b` replaced by `b+1`; it is computed by
//! [`BgNbdParams::conditional_expected_if_alive`] with that substitution,
//! which inherits its cancellation-free evaluation (including near `a = 1`).
//! `E[X(t)] = b/(a+b) E[Y(t) | alive, 0, 0]`, `b/(a+b)` being the
//! probability of surviving the first purchase. The conditional expectation
//! is the corrected one of Wagner & Hoppe (2008), "Erratum on the MBG/NBD
//! model", *IJRM* 25(3), 225-226.
//!
//! # Numerics
//!
//! The likelihood is evaluated in log space,
//! `ln L = A(x) + logsumexp(-(r+x) ln(α+T), ln(a/(b+x)) - (r+x) ln(α+t_x))`
//! with `A(x) = ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x+1) - ln B(a, b)`,
//! so it never overflows (x = 200 is fine). The tail of `P(X(t) = n)` is the
//! regularised incomplete beta function `I_{t/(α+t)}(n, r)`.
//!
//! # Fitting
//!
//! [`MbgNbdFitter`] maximises the weighted log-likelihood over the
//! log-parameters with BFGS on the compressed data (analytic gradient, terms
//! depending only on `x` computed once per distinct `x`, rows summed in
//! parallel in fixed chunks). On more than 40,000 distinct rows the starting
//! points are first tried on every `k`-th row (about 20,000 rows) and only
//! the best result is refined on all rows. Standard errors come from the
//! observed information (central differences of the analytic gradient).

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rayon::prelude::*;

use crate::bgnbd::BgNbdParams;
use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::fit::{self, FitReport, Likelihood};
use crate::model::{Parameters, ParametricModel, PurchaseModel, check_param_count};
use crate::numeric::{FastMap, check_positive, log_add_exp, logistic};
use crate::special::{beta_reg, digamma, ln_beta, ln_gamma, ln_gamma_ratio};

/// Parameters of the MBG/NBD model, named as in the paper. Standard errors and
/// covariances are reported in the order `r, alpha, a, b`.
///
/// Valid by construction: build it with [`MbgNbdParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MbgNbdParams {
    /// Shape of the gamma distribution of purchase rates `lambda`.
    pub(crate) r: f64,
    /// Rate (inverse scale) of the gamma distribution of purchase rates, in the model's time unit.
    pub(crate) alpha: f64,
    /// First shape parameter of the beta distribution of dropout probabilities `p`.
    pub(crate) a: f64,
    /// Second shape parameter of the beta distribution of dropout probabilities `p`.
    pub(crate) b: f64,
}

impl MbgNbdParams {
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
        Ok(MbgNbdParams { r, alpha, a, b })
    }

    /// Without validation, for the fitting driver (which only evaluates
    /// positive, finite values).
    fn unchecked(p: &[f64]) -> Self {
        MbgNbdParams {
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

    /// `A(x)` of the module docs.
    fn base(&self, x: f64) -> f64 {
        let MbgNbdParams { r, alpha, a, b } = *self;
        ln_gamma_ratio(r, x) + r * alpha.ln() + ln_beta(a, b + x + 1.0) - ln_beta(a, b)
    }

    /// One customer's log-likelihood `ln L(r, alpha, a, b | x, t_x, T)`, in log space.
    pub fn customer_log_likelihood(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let rx = self.r + x;
        let d1 = -rx * (self.alpha + age).ln();
        let d2 = (self.a / (self.b + x)).ln() - rx * (self.alpha + t_x).ln();
        self.base(x) + log_add_exp(d1, d2)
    }

    /// Total weighted log-likelihood of `data`.
    pub fn total_log_likelihood(&self, data: &CustomerData) -> f64 {
        Prepared::new(data).evaluate(self, false).0
    }

    /// Total weighted log-likelihood of `data` and its analytic gradient with
    /// respect to `(r, alpha, a, b)`.
    pub fn log_likelihood_gradient(&self, data: &CustomerData) -> (f64, [f64; 4]) {
        Prepared::new(data).evaluate(self, true)
    }

    /// `P(alive | x, t_x, T)`, in `(0, 1)`; below 1 even for `x = 0`.
    pub fn probability_alive(&self, x: f64, t_x: f64, age: f64) -> f64 {
        let MbgNbdParams { r, alpha, a, b } = *self;
        // ln[a/(b+x) ((α+T)/(α+t_x))^(r+x)]
        let e = (a / (b + x)).ln() + (r + x) * ((age - t_x) / (alpha + t_x)).ln_1p();
        logistic(-e)
    }

    /// The BG/NBD parameters with `b + 1`, whose conditional expectation
    /// given "alive" is MBG/NBD's (module docs).
    fn shifted(&self) -> BgNbdParams {
        BgNbdParams {
            r: self.r,
            alpha: self.alpha,
            a: self.a,
            b: self.b + 1.0,
        }
    }

    /// `E[Y(t) | alive at T, x, T]`: expected purchases in `(T, T+t]` for a
    /// customer known to be active at `T` (module docs).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for negative or non-finite inputs and
    /// [`Error::Numerical`] if the hypergeometric function fails.
    pub fn conditional_expected_if_alive(&self, x: f64, age: f64, t: f64) -> Result<f64> {
        self.shifted().conditional_expected_if_alive(x, age, t)
    }

    /// `E[Y(t) | x, t_x, T] = P(alive) E[Y(t) | alive, x, T]`.
    ///
    /// # Errors
    ///
    /// As [`MbgNbdParams::conditional_expected_if_alive`].
    pub fn conditional_expected_purchases(
        &self,
        x: f64,
        t_x: f64,
        age: f64,
        t: f64,
    ) -> Result<f64> {
        Ok(self.probability_alive(x, t_x, age) * self.conditional_expected_if_alive(x, age, t)?)
    }

    /// `E[X(t)]`: expected repeat purchases of a new customer in `(0, t]`,
    /// `b/(a+b) E[Y(t) | alive, x = 0, T = 0]`.
    ///
    /// # Errors
    ///
    /// As [`MbgNbdParams::conditional_expected_if_alive`].
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64> {
        let survive_first = self.b / (self.a + self.b);
        Ok(survive_first * self.conditional_expected_if_alive(0.0, 0.0, t)?)
    }

    /// `P(X(t) = n)`: probability that a new customer makes exactly `n`
    /// repeat purchases in `(0, t]` (module docs).
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
        let MbgNbdParams { r, alpha, a, b } = *self;
        let nf = n as f64;
        let ln_p = -(t / alpha).ln_1p(); // ln(α/(α+t))
        let ln_q = (t / (alpha + t)).ln(); // ln(t/(α+t))
        let first = (ln_beta(a, b + nf + 1.0) - ln_beta(a, b) + ln_gamma_ratio(r, nf)
            - ln_gamma(nf + 1.0)
            + r * ln_p
            + if n > 0 { nf * ln_q } else { 0.0 })
        .exp();
        // P(N(t) >= n) for the NBD count N(t): 1 for n = 0.
        let at_least = if n == 0 {
            1.0
        } else {
            beta_reg(nf, r, t / (alpha + t))?
        };
        let second = (ln_beta(a + 1.0, b + nf) - ln_beta(a, b)).exp() * at_least;
        Ok((first + second).min(1.0))
    }
}

impl PurchaseModel for MbgNbdParams {
    fn name(&self) -> &'static str {
        "mbg-nbd"
    }

    fn log_likelihood(&self, customer: &Customer) -> f64 {
        self.customer_log_likelihood(customer.frequency, customer.recency, customer.age)
    }

    fn p_alive(&self, customer: &Customer) -> f64 {
        self.probability_alive(customer.frequency, customer.recency, customer.age)
    }

    /// See [`MbgNbdParams::conditional_expected_if_alive`]; NaN only if the
    /// hypergeometric function fails or an input is invalid, which
    /// [`crate::value::predict`] reports as an error naming the customer.
    fn expected_purchases_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64 {
        self.conditional_expected_if_alive(frequency, age, t)
            .unwrap_or(f64::NAN)
    }

    /// `P0(t) = ((alpha+T)/(alpha+T+t))^(r+x)`.
    ///
    /// Derivation: dropout happens only right after a purchase (the first one included), so a customer
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

    /// See [`MbgNbdParams::expected_purchases_new_customer`] (NaN as above).
    fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases_new_customer(t).unwrap_or(f64::NAN)
    }
}

impl Parameters for MbgNbdParams {
    const NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn from_values(v: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, v)?;
        MbgNbdParams::new(v[0], v[1], v[2], v[3])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

impl ParametricModel for MbgNbdParams {
    crate::model::parametric_from_parameters!();

    /// [`MbgNbdParams::prob_purchases`]; `None` for an invalid `t`.
    fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
        self.prob_purchases(n, t).ok()
    }
}

impl Likelihood for Prepared {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (ll, g) = self.evaluate(&MbgNbdParams::unchecked(p), true);
        (ll, g.to_vec())
    }

    /// Large data: the starts run on every k-th row (module docs).
    fn subsample(&self) -> Option<Prepared> {
        let k = self.rows.len() / SUBSAMPLE_ROWS;
        (k >= 2)
            .then(|| self.subsample(k))
            .filter(|s| s.repeat_weight > 0.0)
    }
}

/// One distinct `(x, t_x, T)` row.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// Index into the distinct frequencies.
    ix: usize,
    t_x: f64,
    age: f64,
    w: f64,
}

/// Compressed data for repeated likelihood evaluation.
#[derive(Debug, Clone)]
struct Prepared {
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    rows: Vec<Row>,
    total_weight: f64,
    repeat_weight: f64,
}

/// Rows per parallel chunk (fixed, so sums do not depend on the thread count).
const CHUNK: usize = 16_384;

/// Above twice this many distinct rows, the starting points are searched on
/// a subsample of about this many rows.
const SUBSAMPLE_ROWS: usize = 20_000;

impl Prepared {
    fn new(data: &CustomerData) -> Prepared {
        // Identical rows merged with the crate's fast hasher (first
        // appearance order, so deterministic).
        let mut xs: Vec<f64> = Vec::new();
        let mut x_weight: Vec<f64> = Vec::new();
        let mut x_index: FastMap<u64, usize> = FastMap::default();
        let mut row_index: FastMap<(u64, u64, u64), usize> = FastMap::default();
        let mut rows: Vec<Row> = Vec::new();
        let (mut total_weight, mut repeat_weight) = (0.0, 0.0);
        for i in 0..data.len() {
            let (x, t_x, age, w) = (
                data.frequency[i],
                data.recency[i],
                data.age[i],
                data.weight[i],
            );
            let ix = *x_index.entry(x.to_bits()).or_insert_with(|| {
                xs.push(x);
                x_weight.push(0.0);
                xs.len() - 1
            });
            x_weight[ix] += w;
            total_weight += w;
            if x > 0.0 {
                repeat_weight += w;
            }
            let key = (x.to_bits(), t_x.to_bits(), age.to_bits());
            match row_index.get(&key) {
                Some(&j) => rows[j].w += w,
                None => {
                    row_index.insert(key, rows.len());
                    rows.push(Row { ix, t_x, age, w });
                }
            }
        }
        Prepared {
            xs,
            x_weight,
            rows,
            total_weight,
            repeat_weight,
        }
    }

    /// Every `k`-th distinct row (an unbiased subsample when row order is
    /// unrelated to behaviour), for a cheap search of starting points.
    fn subsample(&self, k: usize) -> Prepared {
        let rows: Vec<Row> = self.rows.iter().step_by(k).copied().collect();
        let mut x_weight = vec![0.0; self.xs.len()];
        let mut repeat_weight = 0.0;
        for r in &rows {
            x_weight[r.ix] += r.w;
            if self.xs[r.ix] > 0.0 {
                repeat_weight += r.w;
            }
        }
        Prepared {
            xs: self.xs.clone(),
            total_weight: x_weight.iter().sum(),
            x_weight,
            rows,
            repeat_weight,
        }
    }

    /// Total log-likelihood and, if asked, its gradient in natural parameters.
    fn evaluate(&self, p: &MbgNbdParams, with_gradient: bool) -> (f64, [f64; 4]) {
        let MbgNbdParams { r, alpha, a, b } = *p;
        let rx: Vec<f64> = self.xs.iter().map(|&x| r + x).collect();
        let ln_c2: Vec<f64> = self.xs.iter().map(|&x| (a / (b + x)).ln()).collect();
        let inv_bx: Vec<f64> = self.xs.iter().map(|&x| 1.0 / (b + x)).collect();
        // Row sums: 0 Σ w lse, 1 Σ w (w1 lT + w2 lt), 2 Σ w rx (w1/(α+T) + w2/(α+t_x)),
        // 3 Σ w w2, 4 Σ w w2/(b+x).
        let sums = |rows: &[Row]| -> [f64; 5] {
            let mut s = [0.0; 5];
            for row in rows {
                let k = row.ix;
                let lt_big = (alpha + row.age).ln();
                let lt_small = (alpha + row.t_x).ln();
                let d1 = -rx[k] * lt_big;
                let d2 = ln_c2[k] - rx[k] * lt_small;
                let diff = d2 - d1;
                let e = (-diff.abs()).exp();
                s[0] += row.w * (d1.max(d2) + e.ln_1p());
                if with_gradient {
                    let share = 1.0 / (1.0 + e);
                    let w2 = if diff > 0.0 { share } else { e * share };
                    let w1 = 1.0 - w2;
                    s[1] += row.w * (w1 * lt_big + w2 * lt_small);
                    s[2] += row.w * rx[k] * (w1 / (alpha + row.age) + w2 / (alpha + row.t_x));
                    s[3] += row.w * w2;
                    s[4] += row.w * w2 * inv_bx[k];
                }
            }
            s
        };
        let s = if self.rows.len() > CHUNK {
            let parts: Vec<[f64; 5]> = self.rows.par_chunks(CHUNK).map(sums).collect();
            parts.iter().fold([0.0; 5], |mut u, v| {
                for i in 0..5 {
                    u[i] += v[i];
                }
                u
            })
        } else {
            sums(&self.rows)
        };
        let mut ll = s[0];
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            ll += w * p.base(x);
        }
        let mut g = [0.0; 4];
        if !with_gradient {
            return (ll, g);
        }
        let (psi_r, psi_ab, psi_b) = (digamma(r), digamma(a + b), digamma(b));
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            let psi_abx = digamma(a + b + x + 1.0);
            g[0] += w * (digamma(r + x) - psi_r + alpha.ln());
            g[2] += w * (psi_ab - psi_abx);
            g[3] += w * (digamma(b + x + 1.0) - psi_abx - psi_b + psi_ab);
        }
        g[0] -= s[1];
        g[1] = self.total_weight * r / alpha - s[2];
        g[2] += s[3] / a;
        g[3] -= s[4];
        (ll, g)
    }
}

/// Settings for fitting the MBG/NBD model by (penalised) maximum likelihood,
/// as [`crate::bgnbd::BgNbdFitter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MbgNbdFitter {
    /// L2 penalty: the minimised objective is
    /// `-LL / n + penalty * (r² + alpha² + a² + b²)` with `n` the number of
    /// customers. 0 gives plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
    /// Optional starting point (otherwise data-driven starts are tried).
    pub start: Option<MbgNbdParams>,
}

impl Default for MbgNbdFitter {
    fn default() -> Self {
        MbgNbdFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted MBG/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedMbgNbd {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: MbgNbdParams,
    /// Fit statistics; standard errors and covariance in the order
    /// `r, alpha, a, b` (empty when the observed information is not positive
    /// definite).
    pub report: FitReport,
}

crate::models::purchase_fitter!(MbgNbdFitter, MbgNbdParams);

impl MbgNbdFitter {
    /// Fits the model to `data` (compressed internally).
    ///
    /// # Errors
    ///
    /// [`Error::NotEnoughData`] without customers or without any repeat
    /// purchase, [`Error::InvalidParameter`] for a negative or non-finite
    /// penalty, [`Error::FitFailed`] when no start converges to a finite optimum.
    pub fn fit(&self, data: &CustomerData) -> Result<FittedMbgNbd> {
        if data.is_empty() {
            return Err(Error::NotEnoughData("no customers to fit MBG/NBD".into()));
        }
        let prepared = Prepared::new(data);
        if prepared.repeat_weight <= 0.0 {
            return Err(Error::NotEnoughData(
                "no customer made a repeat purchase: MBG/NBD cannot be fitted".into(),
            ));
        }
        let starts: Vec<Vec<f64>> = self.starts(data).iter().map(|s| s.to_vec()).collect();
        let settings = fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        };
        let (v, report) = fit::maximize(
            "MBG/NBD",
            &prepared,
            &settings,
            fit::Strategy::QuasiNewton,
            |_| starts.clone(),
        )?;
        Ok(FittedMbgNbd {
            params: MbgNbdParams::from_values(&v)?,
            report,
        })
    }

    fn starts(&self, data: &CustomerData) -> Vec<[f64; 4]> {
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.to_array());
        }
        let (mut xs, mut ts) = (0.0, 0.0);
        for i in 0..data.len() {
            xs += data.weight[i] * data.frequency[i];
            ts += data.weight[i] * data.age[i];
        }
        let rate = if xs > 0.0 && ts > 0.0 { xs / ts } else { 1.0 };
        for (r, a, b) in [(1.0, 1.0, 3.0), (0.25, 0.8, 2.5), (3.0, 2.0, 2.0)] {
            starts.push([r, (r / rate).clamp(1e-6, 1e12), a, b]);
        }
        starts
    }
}

/// Settings of an MBG/NBD simulation (the data-generating process of the
/// module docs). Deterministic for a seed and independent of the number of
/// threads: customers come in blocks of [`crate::sim::BLOCK`], one random
/// stream per block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MbgNbdSimulation {
    /// The model's parameters.
    pub params: MbgNbdParams,
    /// Number of customers.
    pub customers: usize,
    /// First purchases are spread uniformly over `[0, acquisition)`.
    pub acquisition: f64,
    /// End of observation (`>= acquisition`, `> 0`).
    pub end: f64,
    /// Random seed.
    pub seed: u64,
}

/// Simulated customers observed up to a calibration time, with what happened
/// afterwards (see [`MbgNbdSimulation::run_split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MbgNbdSplit {
    /// `(x, t_x, T)` at the calibration time.
    pub calibration: CustomerData,
    /// Repeat purchases in `(calibration, end]`, per customer.
    pub holdout: Vec<f64>,
    /// Whether each customer was still active at the calibration time (the
    /// latent state that `P(alive)` estimates).
    pub alive: Vec<bool>,
}

/// One simulated customer: `(x, t_x, T)` at the cut, purchases after it, alive at it.
type SimRow = (f64, f64, f64, f64, bool);

impl MbgNbdSimulation {
    fn validate(&self) -> Result<()> {
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
        Ok(())
    }

    /// Simulates the customers and returns their `(x, t_x, T)` summaries at `end`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a non-positive `end` or an
    /// `acquisition` outside `[0, end]`.
    pub fn run(&self) -> Result<CustomerData> {
        Ok(self.run_split(self.end)?.calibration)
    }

    /// Simulates the customers (the same ones as [`MbgNbdSimulation::run`])
    /// and splits their histories at `calibration`: summaries at
    /// `calibration`, purchases in `(calibration, end]` and whether each was
    /// active at `calibration`. Customers are acquired before `acquisition`,
    /// which must not exceed `calibration`.
    ///
    /// # Errors
    ///
    /// As [`MbgNbdSimulation::run`], and [`Error::InvalidParameter`] for a
    /// `calibration` outside `[acquisition, end]`.
    pub fn run_split(&self, calibration: f64) -> Result<MbgNbdSplit> {
        self.validate()?;
        if !(calibration >= self.acquisition && calibration <= self.end) {
            return Err(Error::InvalidParameter {
                name: "calibration",
                value: calibration,
                reason: "must lie in [acquisition, end]",
            });
        }
        let block = crate::sim::BLOCK;
        let starts: Vec<usize> = (0..self.customers).step_by(block).collect();
        let parts: Vec<Vec<SimRow>> = starts
            .par_iter()
            .map(|&s| self.block(s / block, (s + block).min(self.customers) - s, calibration))
            .collect::<Result<_>>()?;
        let n = self.customers;
        let (mut x, mut t_x, mut age) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut holdout, mut alive) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (f, r, t, h, a) in parts.into_iter().flatten() {
            x.push(f);
            t_x.push(r);
            age.push(t);
            holdout.push(h);
            alive.push(a);
        }
        Ok(MbgNbdSplit {
            calibration: CustomerData::new(x, t_x, age)?,
            holdout,
            alive,
        })
    }

    fn block(&self, block: usize, count: usize, cut: f64) -> Result<Vec<SimRow>> {
        let bad = |e: &dyn std::fmt::Display| Error::InvalidData(format!("simulation: {e}"));
        let MbgNbdParams { r, alpha, a, b } = self.params;
        let rate = Gamma::new(r, 1.0 / alpha).map_err(|e| bad(&e))?;
        let dropout = Beta::new(a, b).map_err(|e| bad(&e))?;
        let mut rng =
            StdRng::seed_from_u64(self.seed ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let birth = self.acquisition * rng.random::<f64>();
            let lambda: f64 = rate.sample(&mut rng);
            let p: f64 = dropout.sample(&mut rng);
            let (mut x, mut last, mut later) = (0u64, birth, 0u64);
            // Dropout is possible right after the first purchase too; the
            // customer is inactive from the purchase after which he drops out.
            let mut death = None;
            if rng.random::<f64>() < p {
                death = Some(birth);
            } else if lambda > 0.0 {
                let gap = Exp::new(lambda).map_err(|e| bad(&e))?;
                let mut t = birth;
                loop {
                    t += gap.sample(&mut rng);
                    if t > self.end {
                        break;
                    }
                    if t <= cut {
                        x += 1;
                        last = t;
                    } else {
                        later += 1;
                    }
                    if rng.random::<f64>() < p {
                        death = Some(t);
                        break;
                    }
                }
            }
            let alive = death.is_none_or(|d| d > cut);
            out.push((x as f64, last - birth, cut - birth, later as f64, alive));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x200_log_likelihood_does_not_overflow() {
        // reference-values.md: 91.808242 for r=0.53, alpha=6.18, a=0.89, b=1.614.
        let p = MbgNbdParams::new(0.53, 6.18, 0.89, 1.614).unwrap();
        let ll = p.customer_log_likelihood(200.0, 38.0, 40.0);
        assert!((ll - 91.808242).abs() <= 1e-4 * 91.808242, "{ll}");
    }

    #[test]
    fn prepared_sum_matches_direct_sum() {
        let data = CustomerData::with_weights(
            vec![0.0, 0.0, 1.0, 3.0, 1.0],
            vec![0.0, 0.0, 2.0, 5.5, 2.0],
            vec![4.0, 6.0, 7.0, 9.0, 7.0],
            vec![2.0, 1.0, 1.5, 1.0, 3.0],
        )
        .unwrap();
        let p = MbgNbdParams::new(0.7, 3.0, 1.3, 2.2).unwrap();
        let direct: f64 = (0..data.len())
            .map(|i| {
                data.weight[i]
                    * p.customer_log_likelihood(data.frequency[i], data.recency[i], data.age[i])
            })
            .sum();
        let total = p.total_log_likelihood(&data);
        assert!(
            (total - direct).abs() < 1e-12 * direct.abs(),
            "{total} {direct}"
        );
    }

    #[test]
    fn fitter_rejects_unusable_data_and_settings() {
        let none = CustomerData::default();
        assert!(matches!(
            MbgNbdFitter::default().fit(&none),
            Err(Error::NotEnoughData(_))
        ));
        let no_repeat = CustomerData::new(vec![0.0; 3], vec![0.0; 3], vec![5.0, 6.0, 7.0]).unwrap();
        assert!(matches!(
            MbgNbdFitter::default().fit(&no_repeat),
            Err(Error::NotEnoughData(_))
        ));
        let data = CustomerData::new(
            vec![0.0, 2.0, 1.0],
            vec![0.0, 3.0, 1.0],
            vec![5.0, 6.0, 7.0],
        )
        .unwrap();
        let bad = MbgNbdFitter {
            penalty: -1.0,
            ..MbgNbdFitter::default()
        };
        assert!(matches!(
            bad.fit(&data),
            Err(Error::InvalidParameter {
                name: "penalty",
                ..
            })
        ));
        // A penalty shrinks the parameters.
        let free = MbgNbdFitter::default().fit(&data).unwrap().params;
        let shrunk = MbgNbdFitter {
            penalty: 0.1,
            ..MbgNbdFitter::default()
        }
        .fit(&data)
        .unwrap();
        let norm = |p: MbgNbdParams| p.to_array().iter().map(|v| v * v).sum::<f64>();
        assert!(norm(shrunk.params) < norm(free));
        assert_eq!(shrunk.report.penalty, 0.1);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(MbgNbdParams::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(MbgNbdParams::new(1.0, f64::NAN, 1.0, 1.0).is_err());
        assert!(MbgNbdParams::new(1.0, 1.0, -1.0, 1.0).is_err());
        assert!(MbgNbdParams::new(1.0, 1.0, 1.0, f64::INFINITY).is_err());
    }
}

#[cfg(test)]
mod next_purchase_tests {
    use rand::{SeedableRng, rngs::StdRng};
    use rand_distr::{Distribution, Exp, Gamma};

    use super::*;
    use crate::next_purchase::checks;

    fn params() -> MbgNbdParams {
        MbgNbdParams::new(0.53, 6.18, 0.89, 1.614).unwrap()
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
}
