//! The Gamma-Gamma model of spend per transaction (Colombo & Jiang 1999, as
//! used by Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for
//! Customer Base Analysis", *Journal of Marketing Research* 42(4), 415-430;
//! formulas as in Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary
//! Value", <http://brucehardie.com/notes/025/>).
//!
//! # Assumptions
//!
//! 1. The value `z_i` of each of a customer's transactions is
//!    `Gamma(shape p, rate nu)`, so the customer's mean spend is `p / nu`.
//! 2. `nu ~ Gamma(shape q, rate v)` across customers.
//! 3. Spend is independent of the purchase process (check this on the data:
//!    frequency and mean spend should be roughly uncorrelated).
//!
//! The model is fitted on repeat buyers (`x > 0`) from `x` and the mean
//! `mbar` of their `x` repeat transactions.
//!
//! # Formulas
//!
//! The mean of `x` transactions is `Gamma(px, x nu)`, so (Fader & Hardie
//! 2013, eq. 3)
//!
//! ```text
//! f(mbar | p, q, v, x) = Γ(px+q) / (Γ(px) Γ(q)) * v^q mbar^(px-1) x^(px) / (v + x mbar)^(px+q)
//! ```
//!
//! and the posterior of `nu` is `Gamma(px + q, v + x mbar)`, so
//!
//! ```text
//! E[M | x, mbar] = p (v + x mbar) / (px + q - 1)
//!                = (q-1)/(px+q-1) * p v/(q-1) + px/(px+q-1) * mbar   (q > 1)
//! ```
//!
//! a weighted mean of the population mean `p v / (q - 1)` and the customer's
//! own `mbar`. The population mean is infinite for `q <= 1`
//! ([`GammaGammaParams::population_mean_spend`] returns `None`); the
//! conditional expectation stays finite as long as `px + q > 1`, and is an
//! error otherwise (never NaN or infinity).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fit::FitReport;
use crate::fit::{self, Likelihood};
use crate::model::{Parameters, check_param_count};
use crate::numeric::{FastMap, check_positive};
use crate::special::{digamma, ln_gamma, ln_gamma_ratio, trigamma};

/// Parameters of the Gamma-Gamma spend model, named as in Fader & Hardie's
/// note. Standard errors and covariances are in the order `p, q, v`.
///
/// Valid by construction: build it with [`GammaGammaParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GammaGammaParams {
    /// Shape of the gamma distribution of one transaction's value given the customer's `nu`.
    pub(crate) p: f64,
    /// Shape of the gamma distribution of `nu` across customers.
    pub(crate) q: f64,
    /// Rate of the gamma distribution of `nu` across customers.
    pub(crate) v: f64,
}

impl GammaGammaParams {
    /// Shape of the gamma distribution of one transaction's value given the customer's `nu`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Shape of the gamma distribution of `nu` across customers.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Rate of the gamma distribution of `nu` across customers.
    pub fn v(&self) -> f64 {
        self.v
    }

    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        check_positive("p", p)?;
        check_positive("q", q)?;
        check_positive("v", v)?;
        Ok(GammaGammaParams { p, q, v })
    }

    /// Without validation, for the fitting driver (which only evaluates
    /// positive, finite values).
    fn unchecked(x: &[f64]) -> Self {
        GammaGammaParams {
            p: x[0],
            q: x[1],
            v: x[2],
        }
    }

    /// The parameters as an array `[p, q, v]`.
    pub fn to_array(&self) -> [f64; 3] {
        [self.p, self.q, self.v]
    }

    /// Mean spend per transaction across the population, `p v / (q - 1)`;
    /// `None` when `q <= 1` (the mean is infinite).
    pub fn population_mean_spend(&self) -> Option<f64> {
        (self.q > 1.0).then(|| self.p * self.v / (self.q - 1.0))
    }

    /// `E[M | x, mbar]`: expected value of a future transaction of a customer
    /// with `x` repeat transactions of mean value `mbar`; for `x = 0` the
    /// population mean (`mbar` is then ignored).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for negative or non-finite `x`, or (for
    /// `x > 0`) a negative or non-finite `mbar` (a repeat buyer whose repeat
    /// purchases were all free, `mbar = 0`, is shrunk towards 0 by the same
    /// formula);
    /// [`Error::Numerical`] when the expectation is infinite
    /// (`p x + q <= 1`, including `x = 0` with `q <= 1`).
    pub fn conditional_expected_spend(&self, x: f64, mbar: f64) -> Result<f64> {
        if !(x.is_finite() && x >= 0.0) {
            return Err(Error::InvalidData(format!(
                "frequency must be finite and non-negative, got {x}"
            )));
        }
        if x > 0.0 && !(mbar.is_finite() && mbar >= 0.0) {
            return Err(Error::InvalidData(format!(
                "mean spend must be non-negative and finite for a repeat buyer, got {mbar}"
            )));
        }
        let GammaGammaParams { p, q, v } = *self;
        let denominator = p * x + q - 1.0;
        if denominator <= 0.0 {
            return Err(Error::Numerical(format!(
                "expected spend is infinite for x = {x}: p x + q = {} <= 1 (q = {q})",
                p * x + q
            )));
        }
        let m = if x > 0.0 { mbar } else { 0.0 };
        Ok(p * (v + x * m) / denominator)
    }

    /// Log-likelihood of one repeat buyer's mean spend `mbar` over `x`
    /// transactions (Fader & Hardie 2013, eq. 3, as a density of `mbar`).
    pub fn customer_log_likelihood(&self, x: f64, mbar: f64) -> f64 {
        let GammaGammaParams { p, q, v } = *self;
        let px = p * x;
        ln_gamma_ratio(px, q) - ln_gamma(q) + q * v.ln() + (px - 1.0) * mbar.ln() + px * x.ln()
            - (px + q) * (v + x * mbar).ln()
    }
}

impl Parameters for GammaGammaParams {
    const NAMES: &'static [&'static str] = &["p", "q", "v"];

    fn from_values(x: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, x)?;
        GammaGammaParams::new(x[0], x[1], x[2])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

/// Settings for fitting the Gamma-Gamma model by (penalised) maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaFitter {
    /// L2 penalty as `lifetimes`' `penalizer_coef`: the minimised objective is
    /// `-LL / n + penalty * (p² + q² + v²)` with `n` the number of repeat buyers.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component (log-parameters).
    pub tolerance: f64,
    /// Optional starting point.
    pub start: Option<GammaGammaParams>,
}

impl Default for GammaGammaFitter {
    fn default() -> Self {
        GammaGammaFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted Gamma-Gamma model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedGammaGamma {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: GammaGammaParams,
    /// Fit statistics over the repeat buyers; errors in the order `p, q, v`.
    /// Standard errors and covariance are empty when the observed information
    /// (Hessian of the penalised total negative log-likelihood, natural
    /// parameters) is not positive definite.
    pub report: FitReport,
}

/// Repeat buyers as columns, in parts of the input (fixed size, so sums do
/// not depend on the number of threads).
#[derive(Debug, Clone, Default)]
struct Prepared {
    /// Distinct frequencies and their total weights.
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    /// Rows with `x > 0` and positive weight, in input order.
    parts: Vec<Columns>,
    /// Σ w x ln mbar and Σ w ln mbar (constant in the parameters).
    sum_x_ln_m: f64,
    sum_ln_m: f64,
    total_weight: f64,
}

/// Per row: `x`, `x * mbar` and the weight.
#[derive(Debug, Clone, Default)]
struct Columns {
    x: Vec<f64>,
    xm: Vec<f64>,
    w: Vec<f64>,
}

impl Columns {
    fn len(&self) -> usize {
        self.x.len()
    }

    /// Σ w [x ln d, ln d, x/d, 1/d, x/d², 1/d²] with `d = v + x mbar`: all
    /// the likelihood needs from the rows (they depend on `v` only).
    fn sums(&self, v: f64) -> [f64; 6] {
        let mut s = [0.0; 6];
        for ((&x, &xm), &w) in self.x.iter().zip(&self.xm).zip(&self.w) {
            let d = v + xm;
            let r = 1.0 / d;
            let wl = w * d.ln();
            let wr = w * r;
            let wr2 = wr * r;
            s[0] += x * wl;
            s[1] += wl;
            s[2] += x * wr;
            s[3] += wr;
            s[4] += x * wr2;
            s[5] += wr2;
        }
        s
    }
}

/// Input rows per part of the preparation and of the evaluation.
const PART_ROWS: usize = 65_536;
/// Rows of the subsample used for a warm start on large data.
const SUBSAMPLE_ROWS: usize = 20_000;
/// Frequencies below this are indexed through a table instead of a hash map.
const X_TABLE: usize = 4096;
/// Newton iterations allowed when polishing on all rows.
const NEWTON_ITERATIONS: usize = 50;

/// Distinct frequencies with their total weights, in order of first appearance.
struct XWeights {
    xs: Vec<f64>,
    weight: Vec<f64>,
    table: Vec<u32>,
    map: FastMap<u64, u32>,
}

impl XWeights {
    fn new() -> XWeights {
        XWeights {
            xs: Vec::new(),
            weight: Vec::new(),
            table: vec![u32::MAX; X_TABLE],
            map: FastMap::default(),
        }
    }

    #[inline]
    fn add(&mut self, x: f64, w: f64) {
        // `x` is positive here; integers below X_TABLE go through the table.
        let xi = x as usize;
        let small = xi < X_TABLE && xi as f64 == x;
        let slot = if small {
            self.table[xi]
        } else {
            *self.map.get(&x.to_bits()).unwrap_or(&u32::MAX)
        };
        let ix = if slot == u32::MAX {
            let ix = self.xs.len() as u32;
            self.xs.push(x);
            self.weight.push(0.0);
            if small {
                self.table[xi] = ix;
            } else {
                self.map.insert(x.to_bits(), ix);
            }
            ix
        } else {
            slot
        };
        self.weight[ix as usize] += w;
    }
}

/// One part of the input, prepared.
struct Part {
    columns: Columns,
    x_weights: XWeights,
    sum_x_ln_m: f64,
    sum_ln_m: f64,
    total_weight: f64,
}

/// Log-likelihood, gradient and Hessian in natural parameters `(p, q, v)`.
struct Derivatives {
    ll: f64,
    gradient: [f64; 3],
    hessian: [[f64; 3]; 3],
}

impl Prepared {
    fn new(frequency: &[f64], monetary: &[f64], weight: &[f64]) -> Result<Prepared> {
        let n = frequency.len();
        if monetary.len() != n || weight.len() != n {
            return Err(Error::InvalidData(format!(
                "column lengths differ: frequency {n}, monetary {}, weight {}",
                monetary.len(),
                weight.len()
            )));
        }
        let part = |k: usize| Self::part(frequency, monetary, weight, k * PART_ROWS, n);
        let n_parts = n.div_ceil(PART_ROWS);
        let parts: Vec<Result<Part>> = if n_parts > 1 {
            (0..n_parts).into_par_iter().map(part).collect()
        } else {
            (0..n_parts).map(part).collect()
        };
        // Merged in input order: the first error is the first bad row.
        let mut p = Prepared::default();
        let mut x_weights = XWeights::new();
        for part in parts {
            let part = part?;
            for (&x, &w) in part.x_weights.xs.iter().zip(&part.x_weights.weight) {
                x_weights.add(x, w);
            }
            p.sum_x_ln_m += part.sum_x_ln_m;
            p.sum_ln_m += part.sum_ln_m;
            p.total_weight += part.total_weight;
            if part.columns.len() > 0 {
                p.parts.push(part.columns);
            }
        }
        p.xs = x_weights.xs;
        p.x_weight = x_weights.weight;
        Ok(p)
    }

    /// Validates and collects input rows `start..start + PART_ROWS`.
    fn part(
        frequency: &[f64],
        monetary: &[f64],
        weight: &[f64],
        start: usize,
        n: usize,
    ) -> Result<Part> {
        let end = (start + PART_ROWS).min(n);
        let mut part = Part {
            columns: Columns::default(),
            x_weights: XWeights::new(),
            sum_x_ln_m: 0.0,
            sum_ln_m: 0.0,
            total_weight: 0.0,
        };
        let c = &mut part.columns;
        let cap = (end - start) / 2 + 16;
        c.x.reserve(cap);
        c.xm.reserve(cap);
        c.w.reserve(cap);
        for i in start..end {
            let (x, m, w) = (frequency[i], monetary[i], weight[i]);
            if !(x.is_finite() && x >= 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: frequency must be finite and non-negative, got {x}"
                )));
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: weight must be finite and non-negative, got {w}"
                )));
            }
            if x == 0.0 || w == 0.0 {
                continue;
            }
            if !(m.is_finite() && m > 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: monetary value must be positive and finite for a repeat buyer \
                     (x = {x}), got {m}"
                )));
            }
            part.x_weights.add(x, w);
            let wl = w * m.ln();
            part.sum_x_ln_m += x * wl;
            part.sum_ln_m += wl;
            part.total_weight += w;
            c.x.push(x);
            c.xm.push(x * m);
            c.w.push(w);
        }
        Ok(part)
    }

    fn n_rows(&self) -> usize {
        self.parts.iter().map(Columns::len).sum()
    }

    /// Every `k`-th row: an unbiased subsample for a warm start.
    fn subsample(&self, k: usize) -> Prepared {
        let mut c = Columns::default();
        let mut i = 0;
        for part in &self.parts {
            // First row of this part that is a multiple of k overall.
            let mut j = (k - i % k) % k;
            while j < part.len() {
                c.x.push(part.x[j]);
                c.xm.push(part.xm[j]);
                c.w.push(part.w[j]);
                j += k;
            }
            i += part.len();
        }
        let mut x_weights = XWeights::new();
        let (mut sum_x_ln_m, mut sum_ln_m, mut total_weight) = (0.0, 0.0, 0.0);
        for ((&x, &xm), &w) in c.x.iter().zip(&c.xm).zip(&c.w) {
            let wl = w * (xm / x).ln();
            x_weights.add(x, w);
            sum_x_ln_m += x * wl;
            sum_ln_m += wl;
            total_weight += w;
        }
        Prepared {
            xs: x_weights.xs,
            x_weight: x_weights.weight,
            parts: vec![c],
            sum_x_ln_m,
            sum_ln_m,
            total_weight,
        }
    }

    /// Total log-likelihood and its gradient in natural parameters.
    fn evaluate(&self, params: &GammaGammaParams) -> (f64, [f64; 3]) {
        let d = self.derivatives(params, false);
        (d.ll, d.gradient)
    }

    /// Total log-likelihood, gradient and (if asked) Hessian in natural
    /// parameters. One pass over the rows: per row one `ln` and one division.
    fn derivatives(&self, params: &GammaGammaParams, with_hessian: bool) -> Derivatives {
        let GammaGammaParams { p, q, v } = *params;
        let s = if self.parts.len() > 1 {
            // Fixed parts summed in order: independent of the thread count.
            let sums: Vec<[f64; 6]> = self.parts.par_iter().map(|c| c.sums(v)).collect();
            sums.iter().fold([0.0; 6], |mut a, b| {
                for i in 0..6 {
                    a[i] += b[i];
                }
                a
            })
        } else {
            self.parts.first().map_or([0.0; 6], |c| c.sums(v))
        };
        let big_w = self.total_weight;
        let ln_v = v.ln();
        let mut ll = -(p * s[0] + q * s[1]) + p * self.sum_x_ln_m - self.sum_ln_m;
        let mut g = [
            self.sum_x_ln_m - s[0],
            -s[1],
            q * big_w / v - (p * s[2] + q * s[3]),
        ];
        let mut h = [[0.0; 3]; 3];
        let (lgq, psi_q) = (ln_gamma(q), digamma(q));
        let tri_q = if with_hessian { trigamma(q) } else { 0.0 };
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            let px = p * x;
            ll += w * (ln_gamma_ratio(px, q) - lgq + q * ln_v + px * x.ln());
            let (psi_pxq, psi_px) = (digamma(px + q), digamma(px));
            g[0] += w * x * (psi_pxq - psi_px + x.ln());
            g[1] += w * (psi_pxq - psi_q + ln_v);
            if with_hessian {
                let tri_pxq = trigamma(px + q);
                h[0][0] += w * x * x * (tri_pxq - trigamma(px));
                h[0][1] += w * x * tri_pxq;
                h[1][1] += w * (tri_pxq - tri_q);
            }
        }
        if with_hessian {
            h[0][2] = -s[2];
            h[1][2] = big_w / v - s[3];
            h[2][2] = -q * big_w / (v * v) + p * s[4] + q * s[5];
            (h[1][0], h[2][0], h[2][1]) = (h[0][1], h[0][2], h[1][2]);
        }
        Derivatives {
            ll,
            gradient: g,
            hessian: h,
        }
    }
}

impl Likelihood for Prepared {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (ll, g) = self.evaluate(&GammaGammaParams::unchecked(p));
        (ll, g.to_vec())
    }

    fn log_likelihood_hessian(&self, p: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let d = self.derivatives(&GammaGammaParams::unchecked(p), true);
        let h = d.hessian.iter().map(|row| row.to_vec()).collect();
        (d.ll, d.gradient.to_vec(), h)
    }

    fn subsample(&self) -> Option<Prepared> {
        let k = self.n_rows() / SUBSAMPLE_ROWS;
        (k >= 2).then(|| self.subsample(k))
    }
}

impl GammaGammaFitter {
    /// The optimiser settings.
    fn settings(&self) -> fit::Settings {
        fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        }
    }

    /// Fits the model on the repeat buyers among the rows: `frequency[i]` is
    /// `x`, `monetary[i]` the mean of the `x` repeat transactions, `weight[i]`
    /// how many customers the row stands for. Rows with `x = 0` (or weight 0)
    /// are ignored.
    ///
    /// Large inputs are fitted on a subsample first; Newton steps with the
    /// analytic Hessian (one pass over the rows each) then polish on all
    /// rows, and the Hessian of the last step gives the standard errors
    /// (see [`fit::Strategy::Newton`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for differing column lengths, negative or
    /// non-finite frequencies or weights, or a non-positive or non-finite
    /// monetary value of a repeat buyer (naming the row);
    /// [`Error::NotEnoughData`] without repeat buyers;
    /// [`Error::FitFailed`] when no start reaches a finite optimum.
    pub fn fit(
        &self,
        frequency: &[f64],
        monetary: &[f64],
        weight: &[f64],
    ) -> Result<FittedGammaGamma> {
        self.settings().check()?;
        let data = Prepared::new(frequency, monetary, weight)?;
        if data.n_rows() == 0 {
            return Err(Error::NotEnoughData(
                "no repeat buyers (x > 0): the Gamma-Gamma model cannot be fitted".into(),
            ));
        }
        let strategy = fit::Strategy::Newton {
            iterations: NEWTON_ITERATIONS,
            large: fit::LargeData::Newton,
        };
        let (v, report) = fit::maximize("Gamma-Gamma", &data, &self.settings(), strategy, |d| {
            self.starts(d)
        })?;
        Ok(FittedGammaGamma {
            params: GammaGammaParams::from_values(&v)?,
            report,
        })
    }

    /// Starting points on `data` (the full rows or a subsample): the user's,
    /// then moment-based (mean spend ~ p v / (q - 1)) and neutral ones.
    fn starts(&self, data: &Prepared) -> Vec<Vec<f64>> {
        let mean = data
            .parts
            .iter()
            .flat_map(|c| c.x.iter().zip(&c.xm).zip(&c.w))
            .map(|((&x, &xm), &w)| w * xm / x)
            .sum::<f64>()
            / data.total_weight;
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.values());
        }
        for (p, q) in [(2.0, 3.0), (1.0, 1.5), (10.0, 10.0)] {
            starts.push(vec![p, q, (mean * (q - 1.0) / p).max(1e-6)]);
        }
        starts
    }
}

/// Total log-likelihood of repeat buyers' mean spend (rows with `x = 0` ignored)
/// and its gradient with respect to `(p, q, v)`.
///
/// # Errors
///
/// As [`GammaGammaFitter::fit`] for invalid rows.
pub fn log_likelihood_gradient(
    params: &GammaGammaParams,
    frequency: &[f64],
    monetary: &[f64],
    weight: &[f64],
) -> Result<(f64, [f64; 3])> {
    Ok(Prepared::new(frequency, monetary, weight)?.evaluate(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_mean_is_guarded() {
        let p = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
        assert!((p.population_mean_spend().unwrap() - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        let heavy = GammaGammaParams::new(2.0, 0.8, 10.0).unwrap();
        assert_eq!(heavy.population_mean_spend(), None);
        assert!(heavy.conditional_expected_spend(0.0, 0.0).is_err());
        // p x + q = 2.8 > 1: finite.
        let e = heavy.conditional_expected_spend(1.0, 20.0).unwrap();
        assert!((e - 2.0 * (10.0 + 20.0) / 1.8).abs() < 1e-12);
        let tiny = GammaGammaParams::new(0.1, 0.5, 10.0).unwrap();
        assert!(tiny.conditional_expected_spend(1.0, 20.0).is_err());
        assert!(p.conditional_expected_spend(1.0, -1.0).is_err());
        // Free repeat purchases: only the prior part of the weighted mean.
        let free = p.conditional_expected_spend(2.0, 0.0).unwrap();
        assert!((free - p.p * p.v / (2.0 * p.p + p.q - 1.0)).abs() < 1e-12);
        assert!(p.conditional_expected_spend(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn weighted_formula_matches_the_shrinkage_form() {
        let g = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
        let (x, m) = (3.0, 40.0);
        let pop = g.population_mean_spend().unwrap();
        let d = g.p * x + g.q - 1.0;
        let want = (g.q - 1.0) / d * pop + g.p * x / d * m;
        assert!((g.conditional_expected_spend(x, m).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn analytic_hessian_matches_differences_of_the_gradient() {
        let n = 3 * PART_ROWS + 17;
        let (mut x, mut m, mut w) = (vec![], vec![], vec![]);
        for i in 0..n {
            x.push((i % 7) as f64);
            m.push(5.0 + (i % 101) as f64 * 0.37);
            w.push(if i % 11 == 0 { 2.0 } else { 1.0 });
        }
        let data = Prepared::new(&x, &m, &w).unwrap();
        assert_eq!(data.parts.len(), 4);
        let at = [2.5, 3.1, 12.0];
        let d = data.derivatives(&GammaGammaParams::new(at[0], at[1], at[2]).unwrap(), true);
        let fd = crate::optim::hessian_from_gradient(&at, |t, g| {
            let (_, gr) = data.evaluate(&GammaGammaParams::new(t[0], t[1], t[2]).unwrap());
            g.copy_from_slice(&gr);
        });
        for i in 0..3 {
            for j in 0..3 {
                let scale = fd[i][j].abs().max(1e-3 * fd[i][i].abs());
                assert!(
                    (d.hessian[i][j] - fd[i][j]).abs() <= 1e-6 * scale,
                    "{i}{j}: {} vs {}",
                    d.hessian[i][j],
                    fd[i][j]
                );
            }
        }
        // The subsample takes every k-th row across parts.
        let sub = data.subsample(5);
        assert_eq!(sub.n_rows(), data.n_rows().div_ceil(5));
    }

    #[test]
    fn fit_rejects_bad_input() {
        let f = GammaGammaFitter::default();
        assert!(matches!(
            f.fit(&[0.0, 0.0], &[0.0, 0.0], &[1.0, 1.0]),
            Err(Error::NotEnoughData(_))
        ));
        let e = f.fit(&[1.0, 2.0], &[10.0, -3.0], &[1.0, 1.0]).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidData(s) if s.contains("row 1")),
            "{e}"
        );
        let e = f
            .fit(&[1.0, 2.0], &[10.0, f64::NAN], &[1.0, 1.0])
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidData(s) if s.contains("row 1")),
            "{e}"
        );
        assert!(f.fit(&[1.0], &[10.0, 3.0], &[1.0]).is_err());
    }
}
