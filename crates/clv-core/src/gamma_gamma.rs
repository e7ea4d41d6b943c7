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

use crate::bgnbd::{FastMap, check_positive};
use crate::error::{Error, Result};
use crate::fit::FitReport;
use crate::optim::{self, Bfgs, Objective};
use crate::special::{digamma, ln_gamma, ln_gamma_ratio};

/// Parameters of the Gamma-Gamma spend model, named as in Fader & Hardie's
/// note. Standard errors and covariances are in the order `p, q, v`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGammaParams {
    /// Shape of the gamma distribution of one transaction's value given the customer's `nu`.
    pub p: f64,
    /// Shape of the gamma distribution of `nu` across customers.
    pub q: f64,
    /// Rate of the gamma distribution of `nu` across customers.
    pub v: f64,
}

impl GammaGammaParams {
    /// Validated constructor: every parameter must be positive and finite.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        check_positive("p", p)?;
        check_positive("q", q)?;
        check_positive("v", v)?;
        Ok(GammaGammaParams { p, q, v })
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

/// Repeat buyers indexed for fast evaluation.
#[derive(Debug, Clone)]
struct Prepared {
    /// Distinct frequencies and their weights.
    xs: Vec<f64>,
    x_weight: Vec<f64>,
    /// Per row: index of x, `x`, `x * mbar`, weight.
    rows: Vec<(u32, f64, f64, f64)>,
    /// Σ w x ln mbar and Σ w ln mbar (constant in the parameters).
    sum_x_ln_m: f64,
    sum_ln_m: f64,
    total_weight: f64,
}

const CHUNK: usize = 16_384;
/// Rows of the subsample used for a warm start on large data.
const SUBSAMPLE_ROWS: usize = 20_000;

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
        let mut index: FastMap<u64, u32> = FastMap::default();
        let mut p = Prepared {
            xs: vec![],
            x_weight: vec![],
            rows: Vec::new(),
            sum_x_ln_m: 0.0,
            sum_ln_m: 0.0,
            total_weight: 0.0,
        };
        // Mean spends are mostly distinct, so rows are not merged (hashing
        // would cost more than it saves); small integer frequencies are
        // indexed through a table.
        let mut x_table = vec![u32::MAX; 4096];
        for i in 0..n {
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
            let slot = if x < 4096.0 && x.fract() == 0.0 {
                x_table[x as usize]
            } else {
                *index.get(&x.to_bits()).unwrap_or(&u32::MAX)
            };
            let ix = if slot == u32::MAX {
                let ix = p.xs.len() as u32;
                p.xs.push(x);
                p.x_weight.push(0.0);
                if x < 4096.0 && x.fract() == 0.0 {
                    x_table[x as usize] = ix;
                } else {
                    index.insert(x.to_bits(), ix);
                }
                ix
            } else {
                slot
            };
            p.x_weight[ix as usize] += w;
            let ln_m = m.ln();
            p.sum_x_ln_m += w * x * ln_m;
            p.sum_ln_m += w * ln_m;
            p.total_weight += w;
            p.rows.push((ix, x, x * m, w));
        }
        Ok(p)
    }

    /// Every `k`-th row: an unbiased subsample for a warm start.
    fn subsample(&self, k: usize) -> Prepared {
        let rows: Vec<(u32, f64, f64, f64)> = self.rows.iter().step_by(k).copied().collect();
        let mut x_weight = vec![0.0; self.xs.len()];
        let (mut sum_x_ln_m, mut sum_ln_m, mut total_weight) = (0.0, 0.0, 0.0);
        for &(ix, x, xm, w) in &rows {
            let ln_m = (xm / x).ln();
            x_weight[ix as usize] += w;
            sum_x_ln_m += w * x * ln_m;
            sum_ln_m += w * ln_m;
            total_weight += w;
        }
        Prepared {
            xs: self.xs.clone(),
            x_weight,
            rows,
            sum_x_ln_m,
            sum_ln_m,
            total_weight,
        }
    }

    /// Total log-likelihood and its gradient in natural parameters.
    fn evaluate(&self, params: &GammaGammaParams) -> (f64, [f64; 3]) {
        let GammaGammaParams { p, q, v } = *params;
        // Per row only ln(v + x mbar) and 1/(v + x mbar) depend on it.
        let row_sums = |rows: &[(u32, f64, f64, f64)]| -> [f64; 4] {
            // [Σ w (px+q) ln(v+xm), Σ w x ln(v+xm), Σ w ln(v+xm), Σ w (px+q)/(v+xm)]
            let mut s = [0.0; 4];
            for &(_, x, xm, w) in rows {
                let d = v + xm;
                let l = d.ln();
                let k = p * x + q;
                s[0] += w * k * l;
                s[1] += w * x * l;
                s[2] += w * l;
                s[3] += w * k / d;
            }
            s
        };
        let s = if self.rows.len() > CHUNK {
            self.rows.par_chunks(CHUNK).map(row_sums).reduce(
                || [0.0; 4],
                |mut a, b| {
                    for i in 0..4 {
                        a[i] += b[i];
                    }
                    a
                },
            )
        } else {
            row_sums(&self.rows)
        };
        let mut ll = -s[0] + p * self.sum_x_ln_m - self.sum_ln_m;
        let mut g = [
            self.sum_x_ln_m - s[1],
            -s[2],
            q * self.total_weight / v - s[3],
        ];
        let (lgq, psi_q) = (ln_gamma(q), digamma(q));
        for (&x, &w) in self.xs.iter().zip(&self.x_weight) {
            let px = p * x;
            ll += w * (ln_gamma_ratio(px, q) - lgq + q * v.ln() + px * x.ln());
            let (psi_pxq, psi_px) = (digamma(px + q), digamma(px));
            g[0] += w * x * (psi_pxq - psi_px + x.ln());
            g[1] += w * (psi_pxq - psi_q + v.ln());
        }
        (ll, g)
    }
}

struct Problem<'a> {
    data: &'a Prepared,
    penalty: f64,
}

fn params_of(theta: &[f64]) -> GammaGammaParams {
    GammaGammaParams {
        p: theta[0].exp(),
        q: theta[1].exp(),
        v: theta[2].exp(),
    }
}

impl Objective for Problem<'_> {
    fn dim(&self) -> usize {
        3
    }

    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let params = params_of(theta);
        let arr = params.to_array();
        if arr.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return f64::INFINITY;
        }
        let (ll, g) = self.data.evaluate(&params);
        let n = self.data.total_weight;
        let mut pen = 0.0;
        for i in 0..3 {
            pen += arr[i] * arr[i];
            grad[i] = arr[i] * (-g[i] / n + 2.0 * self.penalty * arr[i]);
        }
        -ll / n + self.penalty * pen
    }
}

impl GammaGammaFitter {
    /// Fits the model on the repeat buyers among the rows: `frequency[i]` is
    /// `x`, `monetary[i]` the mean of the `x` repeat transactions, `weight[i]`
    /// how many customers the row stands for. Rows with `x = 0` (or weight 0)
    /// are ignored.
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
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "penalty",
                value: self.penalty,
                reason: "must be finite and non-negative",
            });
        }
        let data = Prepared::new(frequency, monetary, weight)?;
        if data.rows.is_empty() {
            return Err(Error::NotEnoughData(
                "no repeat buyers (x > 0): the Gamma-Gamma model cannot be fitted".into(),
            ));
        }
        let problem = Problem {
            data: &data,
            penalty: self.penalty,
        };
        let bfgs = Bfgs {
            max_iterations: self.max_iterations,
            gradient_tolerance: self.tolerance,
            ..Bfgs::default()
        };
        // Large data: optimum of a subsample first, then a few Newton-like
        // steps on all rows (as in the BG/NBD fitter).
        let k = data.rows.len() / SUBSAMPLE_ROWS;
        let m = if k >= 2 {
            let sub = data.subsample(k);
            let sub_problem = Problem {
                data: &sub,
                penalty: self.penalty,
            };
            let warm = self.multi_start(&sub_problem, &bfgs)?;
            let h0 = optim::hessian_from_gradient(&warm.theta, |t, g| {
                sub_problem.value_and_gradient(t, g);
            });
            let m = bfgs.minimize_from(&problem, &warm.theta, optim::invert_spd(&h0).as_deref());
            if m.converged() {
                m
            } else {
                self.multi_start(&problem, &bfgs)?
            }
        } else {
            self.multi_start(&problem, &bfgs)?
        };
        let params = params_of(&m.theta);
        if params
            .to_array()
            .iter()
            .any(|v| !(v.is_finite() && *v > 0.0))
        {
            return Err(Error::FitFailed(format!(
                "Gamma-Gamma: optimiser ended at invalid parameters {params:?} ({})",
                m.termination
            )));
        }
        let (ll, _) = data.evaluate(&params);
        if !ll.is_finite() {
            return Err(Error::FitFailed(
                "Gamma-Gamma: non-finite log-likelihood".into(),
            ));
        }
        let n = data.total_weight;
        let hessian = optim::hessian_from_gradient(&params.to_array(), |x, g| {
            let q = GammaGammaParams {
                p: x[0],
                q: x[1],
                v: x[2],
            };
            let (_, grad) = data.evaluate(&q);
            for i in 0..3 {
                g[i] = -grad[i] + 2.0 * self.penalty * n * x[i];
            }
        });
        let (covariance, standard_errors) = optim::covariance(&hessian).unwrap_or_default();
        Ok(FittedGammaGamma {
            params,
            report: FitReport {
                log_likelihood: ll,
                aic: FitReport::aic_of(ll, 3),
                bic: FitReport::bic_of(ll, 3, n),
                n_customers: n,
                n_params: 3,
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
}

impl GammaGammaFitter {
    /// BFGS from each start until one converges; the best result.
    fn multi_start(&self, problem: &Problem<'_>, bfgs: &Bfgs) -> Result<optim::Minimum> {
        let data = problem.data;
        // Starts: moment-based (mean spend ~ p v / (q - 1)) and neutral ones.
        let mean = data.rows.iter().map(|r| r.3 * r.2 / r.1).sum::<f64>() / data.total_weight;
        let mut starts = Vec::new();
        if let Some(s) = self.start {
            starts.push(s);
        }
        for (p, q) in [(2.0, 3.0), (1.0, 1.5), (10.0, 10.0)] {
            starts.push(GammaGammaParams {
                p,
                q,
                v: (mean * (q - 1.0) / p).max(1e-6),
            });
        }
        let mut best: Option<optim::Minimum> = None;
        for start in starts {
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
            Error::FitFailed("Gamma-Gamma: no starting point gave a finite likelihood".into())
        })
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
