//! The shifted-beta-geometric (sBG) model of contractual retention: Fader &
//! Hardie (2007), "How to project customer retention", *Journal of
//! Interactive Marketing* 21(1), 76-90; discounted expected residual lifetime
//! and retention elasticities from Fader & Hardie (2010), "Customer-base
//! valuation in a contractual setting: the perils of ignoring
//! heterogeneity", *Marketing Science* 29(1), 85-93.
//!
//! # Assumptions
//!
//! 1. Time is discrete (periods: months, years). At the end of every period
//!    an active subscriber cancels with probability `theta` (renews with
//!    `1 - theta`), independently across periods: the period `T >= 1` in
//!    which the subscriber churns is shifted-geometric,
//!    `P(T = t | theta) = theta (1 - theta)^(t-1)`.
//! 2. `theta ~ Beta(alpha, beta)` across subscribers.
//!
//! # Formulas (FH 2007, equations 5-7; `B` the beta function)
//!
//! ```text
//! P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta),             t = 1, 2, ...
//! S(t)     = P(T > t) = B(alpha, beta+t) / B(alpha, beta),      S(0) = 1
//! r(t)     = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)      (retention rate)
//! E[T]     = sum_{t>=0} S(t) = (alpha+beta-1)/(alpha-1)  for alpha > 1, infinite otherwise
//! ```
//!
//! A subscriber observed for `t` periods contributes `ln P(T = t)` if they
//! churned in period `t` and `ln S(t)` if still active (right-censored).
//!
//! Discounted expected residual lifetime (FH 2010, equation 6), for a
//! subscriber evaluated at the end of period `n >= 1`, just before the
//! decision to renew for period `n + 1`, i.e. one who has made `n - 1`
//! renewals (FH 2010's "DERL(d | alpha, beta, n - 1 renewals)"):
//!
//! ```text
//! DERL(d, n) = sum_{t>=n} S(t)/S(n-1) / (1+d)^(t-n)
//!            = B(alpha, beta+n)/B(alpha, beta+n-1) 2F1(1, beta+n; alpha+beta+n; 1/(1+d))
//! ```
//!
//! It counts the future periods the subscriber pays for, the first (the
//! renewal now being decided) undiscounted; a subscriber's residual value is
//! the margin per period times `DERL`.
//!
//! # Retention elasticity (definition used here)
//!
//! FH 2010 report the percentage change in residual value for a 1% increase
//! in retention. Here every period's retention rate is multiplied by
//! `1 + e` (`e = 0.01`): `r'(t) = (1+e) r(t)`, so `S'(t)/S'(n-1) =
//! (1+e)^(t-n+1) S(t)/S(n-1)` and
//!
//! ```text
//! DERL'(d, n) = (1+e) r(n) 2F1(1, beta+n; alpha+beta+n; (1+e)/(1+d))
//! elasticity  = 100 (DERL'(d, n) / DERL(d, n) - 1)     [% per 1% of retention]
//! ```
//!
//! which is also the elasticity of the residual lifetime value (margin times
//! `DERL`, the margin held fixed). It is finite only when `1.01 < 1 + d`.
//!
//! # Fitting
//!
//! [`SbgFitter`] maximises the weighted log-likelihood over
//! `ln(alpha, beta)` with BFGS and an analytic gradient; standard errors come
//! from the observed information (central differences of the gradient).

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Beta, Distribution};

use crate::error::{Error, Result};
use crate::fit::{self, FitReport, Likelihood};
use crate::model::{Parameters, check_param_count};
use crate::numeric::check_positive;
use crate::special::{digamma, hyp2f1, ln_beta};

/// Parameters of the shifted-beta-geometric model. Standard errors and
/// covariances are reported in the order `alpha, beta`.
///
/// Valid by construction: build it with [`SbgParams::new`] (or
/// [`Parameters::from_values`]); the
/// fields are private, read them with the getters of the same names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SbgParams {
    /// First shape parameter of the beta distribution of churn probabilities `theta`.
    pub(crate) alpha: f64,
    /// Second shape parameter of the beta distribution of churn probabilities `theta`.
    pub(crate) beta: f64,
}

/// Subscribers, one row per group: whole periods observed, whether the
/// group churned at the end of its last period (otherwise still active, i.e.
/// right-censored) and how many subscribers the row stands for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionData {
    /// Periods stayed (`>= 1`): the period in which the group churned, or the
    /// number of periods observed so far when still active.
    pub duration: Vec<u32>,
    /// `true` when the group cancelled at the end of period `duration`.
    pub churned: Vec<bool>,
    /// Number of subscribers in the row (positive, finite).
    pub weight: Vec<f64>,
}

impl SubscriptionData {
    /// Validated constructor: equal lengths, durations `>= 1`, positive finite weights.
    pub fn new(duration: Vec<u32>, churned: Vec<bool>, weight: Vec<f64>) -> Result<Self> {
        let n = duration.len();
        if churned.len() != n || weight.len() != n {
            return Err(Error::InvalidData(format!(
                "column lengths differ: duration {n}, churned {}, weight {}",
                churned.len(),
                weight.len()
            )));
        }
        for i in 0..n {
            if duration[i] == 0 {
                return Err(Error::InvalidData(format!(
                    "row {i}: duration must be at least one period"
                )));
            }
            if !(weight[i].is_finite() && weight[i] > 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: weight must be positive and finite, got {}",
                    weight[i]
                )));
            }
        }
        Ok(SubscriptionData {
            duration,
            churned,
            weight,
        })
    }

    /// Builds the subscriber table of a cohort from its survivor counts:
    /// `survivors[0]` subscribers at the start and `survivors[t]` still
    /// active after `t` periods (`t = 1..k`). The `survivors[t-1] -
    /// survivors[t]` who left in period `t` get duration `t`, churned; the
    /// `survivors[k]` still active are censored at `k`. Empty groups are
    /// left out.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for fewer than two counts, negative or
    /// non-finite counts, or counts that increase.
    pub fn from_survivors(survivors: &[f64]) -> Result<Self> {
        if survivors.len() < 2 {
            return Err(Error::InvalidData(
                "survivor counts need the initial count and at least one period".into(),
            ));
        }
        if let Some(v) = survivors.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::InvalidData(format!(
                "survivor counts must be finite and non-negative, got {v}"
            )));
        }
        let (mut duration, mut churned, mut weight) = (vec![], vec![], vec![]);
        for t in 1..survivors.len() {
            let lost = survivors[t - 1] - survivors[t];
            if lost < 0.0 {
                return Err(Error::InvalidData(format!(
                    "survivor counts increase from period {} to {t}",
                    t - 1
                )));
            }
            if lost > 0.0 {
                duration.push(t as u32);
                churned.push(true);
                weight.push(lost);
            }
        }
        let last = survivors[survivors.len() - 1];
        if last > 0.0 {
            duration.push((survivors.len() - 1) as u32);
            churned.push(false);
            weight.push(last);
        }
        SubscriptionData::new(duration, churned, weight)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.duration.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.duration.is_empty()
    }

    /// Total number of subscribers (sum of weights).
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Weights merged by `(duration, churned)`, in increasing order.
    fn grouped(&self) -> Vec<(u32, bool, f64)> {
        let mut m: BTreeMap<(u32, bool), f64> = BTreeMap::new();
        for i in 0..self.len() {
            *m.entry((self.duration[i], self.churned[i])).or_insert(0.0) += self.weight[i];
        }
        m.into_iter().map(|((t, c), w)| (t, c, w)).collect()
    }
}

impl SbgParams {
    /// First shape parameter of the beta distribution of churn probabilities `theta`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Second shape parameter of the beta distribution of churn probabilities `theta`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Validated constructor: both parameters positive and finite.
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        check_positive("alpha", alpha)?;
        check_positive("beta", beta)?;
        Ok(SbgParams { alpha, beta })
    }

    /// The parameters as an array `[alpha, beta]`.
    pub fn to_array(&self) -> [f64; 2] {
        [self.alpha, self.beta]
    }

    /// `ln P(T = t)` (`-inf` for `t = 0`).
    fn ln_prob_churn(&self, t: u32) -> f64 {
        if t == 0 {
            return f64::NEG_INFINITY;
        }
        let t = f64::from(t);
        ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)
    }

    /// `ln S(t)`.
    fn ln_survival(&self, t: u32) -> f64 {
        ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)
    }

    /// `P(T = t)`: probability that a new subscriber churns at the end of
    /// period `t` (0 for `t = 0`).
    pub fn prob_churn(&self, t: u32) -> f64 {
        self.ln_prob_churn(t).exp()
    }

    /// `S(t) = P(T > t)`: probability that a new subscriber is still active
    /// after `t` periods (`S(0) = 1`).
    pub fn survival(&self, t: u32) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.ln_survival(t).exp()
        }
    }

    /// `r(t) = S(t)/S(t-1) = (beta+t-1)/(alpha+beta+t-1)`: the share of the
    /// subscribers active in period `t` who renew at its end, for `t >= 1`
    /// (for `t = 0`, treated as 1, the value at `t = 1`).
    pub fn retention_rate(&self, t: u32) -> f64 {
        let t = f64::from(t.max(1));
        (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
    }

    /// `S(1), ..., S(periods)`: the projected survival curve (multiply by a
    /// cohort's size for the expected number of survivors).
    pub fn survival_curve(&self, periods: u32) -> Vec<f64> {
        let mut out = Vec::with_capacity(periods as usize);
        let mut s = 1.0;
        for t in 1..=periods {
            s *= self.retention_rate(t);
            out.push(s);
        }
        out
    }

    /// `E[T]`, the mean number of periods a new subscriber stays,
    /// `(alpha+beta-1)/(alpha-1)`. **Infinite** (`f64::INFINITY`) when
    /// `alpha <= 1`: the churn probabilities then have so much mass near 0
    /// that the mean lifetime diverges (the median and every `S(t)` stay finite).
    pub fn expected_lifetime(&self) -> f64 {
        if self.alpha > 1.0 {
            (self.alpha + self.beta - 1.0) / (self.alpha - 1.0)
        } else {
            f64::INFINITY
        }
    }

    /// One row's log-likelihood: `ln P(T = t)` if churned, `ln S(t)` otherwise.
    pub fn row_log_likelihood(&self, duration: u32, churned: bool) -> f64 {
        if churned {
            self.ln_prob_churn(duration)
        } else {
            self.ln_survival(duration)
        }
    }

    /// Total weighted log-likelihood of `data`.
    pub fn log_likelihood(&self, data: &SubscriptionData) -> f64 {
        self.ll_grad(&data.grouped(), false).0
    }

    /// Total weighted log-likelihood of `data` and its analytic gradient
    /// with respect to `(alpha, beta)`.
    pub fn log_likelihood_gradient(&self, data: &SubscriptionData) -> (f64, [f64; 2]) {
        self.ll_grad(&data.grouped(), true)
    }

    fn ll_grad(&self, rows: &[(u32, bool, f64)], with_gradient: bool) -> (f64, [f64; 2]) {
        let SbgParams { alpha, beta } = *self;
        let (mut ll, mut g) = (0.0, [0.0; 2]);
        let (psi_a, psi_b, psi_ab) = if with_gradient {
            (digamma(alpha), digamma(beta), digamma(alpha + beta))
        } else {
            (0.0, 0.0, 0.0)
        };
        for &(t, churned, w) in rows {
            ll += w * self.row_log_likelihood(t, churned);
            if !with_gradient {
                continue;
            }
            let tf = f64::from(t);
            let psi_abt = digamma(alpha + beta + tf);
            if churned {
                // ln B(α+1, β+t-1) - ln B(α, β)
                g[0] += w * (digamma(alpha + 1.0) - psi_abt - psi_a + psi_ab);
                g[1] += w * (digamma(beta + tf - 1.0) - psi_abt - psi_b + psi_ab);
            } else {
                // ln B(α, β+t) - ln B(α, β)
                g[0] += w * (psi_ab - psi_abt);
                g[1] += w * (digamma(beta + tf) - psi_abt - psi_b + psi_ab);
            }
        }
        (ll, g)
    }

    /// `DERL(d, n)`: discounted expected residual lifetime, in periods, of a
    /// subscriber at the end of period `n >= 1` who has made `n - 1`
    /// renewals, with discount rate `d >= 0` per period (module docs). With
    /// `d = 0` it is the undiscounted expected residual lifetime
    /// `(beta+n-1)/(alpha-1)`, infinite for `alpha <= 1`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for `n = 0` or a negative or non-finite `d`;
    /// [`Error::Numerical`] if the hypergeometric function fails.
    pub fn derl(&self, d: f64, n: u32) -> Result<f64> {
        self.derl_scaled(d, n, 1.0)
    }

    /// `DERL` with every retention rate multiplied by `scale` (module docs).
    fn derl_scaled(&self, d: f64, n: u32, scale: f64) -> Result<f64> {
        if n == 0 {
            return Err(Error::InvalidData(
                "DERL needs n >= 1 (the period the subscriber is in)".into(),
            ));
        }
        if !(d.is_finite() && d >= 0.0) {
            return Err(Error::InvalidData(format!(
                "DERL needs a finite discount rate d >= 0, got {d}"
            )));
        }
        let SbgParams { alpha, beta } = *self;
        let nf = f64::from(n);
        let z = scale / (1.0 + d);
        if z >= 1.0 {
            if scale == 1.0 && alpha > 1.0 {
                return Ok((beta + nf - 1.0) / (alpha - 1.0));
            }
            if scale == 1.0 {
                return Ok(f64::INFINITY);
            }
            return Err(Error::InvalidData(format!(
                "retention scaled by {scale} with discount rate {d}: the residual lifetime is infinite"
            )));
        }
        let f = hyp2f1(1.0, beta + nf, alpha + beta + nf, z)?;
        Ok(scale * self.retention_rate(n) * f)
    }

    /// Retention elasticity of `DERL(d, n)` (and of residual lifetime value):
    /// the percentage change in `DERL` when every period's retention rate
    /// rises by 1% (module docs), e.g. `3.2` for +3.2%.
    ///
    /// # Errors
    ///
    /// As [`SbgParams::derl`], and [`Error::InvalidData`] when `d <= 0.01`
    /// (the increased residual lifetime is then infinite).
    pub fn retention_elasticity(&self, d: f64, n: u32) -> Result<f64> {
        let base = self.derl(d, n)?;
        let up = self.derl_scaled(d, n, 1.01)?;
        Ok(100.0 * (up / base - 1.0))
    }
}

/// Subscribers grouped by `(duration, churned)`, for the fitting driver.
struct Grouped {
    rows: Vec<(u32, bool, f64)>,
    total_weight: f64,
}

impl Likelihood for Grouped {
    fn total_weight(&self) -> f64 {
        self.total_weight
    }

    fn log_likelihood_gradient(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let params = SbgParams {
            alpha: p[0],
            beta: p[1],
        };
        let (ll, g) = params.ll_grad(&self.rows, true);
        (ll, g.to_vec())
    }
}

impl Parameters for SbgParams {
    const NAMES: &'static [&'static str] = &["alpha", "beta"];

    fn from_values(v: &[f64]) -> Result<Self> {
        check_param_count(Self::NAMES, v)?;
        SbgParams::new(v[0], v[1])
    }

    fn values(&self) -> Vec<f64> {
        self.to_array().to_vec()
    }
}

/// Settings for fitting the sBG model by (penalised) maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbgFitter {
    /// L2 penalty: the minimised objective is
    /// `-LL / n + penalty * (alpha² + beta²)` with `n` the number of
    /// subscribers. 0 gives plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
    /// Optional starting point (otherwise fixed starts are tried).
    pub start: Option<SbgParams>,
}

impl Default for SbgFitter {
    fn default() -> Self {
        SbgFitter {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
            start: None,
        }
    }
}

/// A fitted sBG model.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedSbg {
    /// The maximum-likelihood (or penalised) parameters.
    pub params: SbgParams,
    /// Fit statistics (`n_customers` is the number of subscribers); standard
    /// errors and covariance in the order `alpha, beta` (empty when the
    /// observed information is not positive definite).
    pub report: FitReport,
}

impl SbgFitter {
    /// Fits the model to `data`.
    ///
    /// # Errors
    ///
    /// [`Error::NotEnoughData`] without subscribers or without any churn
    /// (the likelihood then grows without bound as `alpha -> 0`),
    /// [`Error::InvalidParameter`] for a negative or non-finite penalty,
    /// [`Error::FitFailed`] when no start gives a finite optimum.
    pub fn fit(&self, data: &SubscriptionData) -> Result<FittedSbg> {
        if data.is_empty() {
            return Err(Error::NotEnoughData("no subscribers to fit sBG".into()));
        }
        if !data.churned.iter().any(|&c| c) {
            return Err(Error::NotEnoughData(
                "no subscriber churned: sBG cannot be fitted".into(),
            ));
        }
        let grouped = Grouped {
            rows: data.grouped(),
            total_weight: data.total_weight(),
        };
        let mut starts: Vec<Vec<f64>> = Vec::new();
        if let Some(s) = self.start {
            starts.push(s.to_array().to_vec());
        }
        starts.extend([vec![1.0, 1.0], vec![0.5, 3.0], vec![3.0, 10.0]]);
        let settings = fit::Settings {
            penalty: self.penalty,
            max_iterations: self.max_iterations,
            tolerance: self.tolerance,
        };
        let (v, report) = fit::maximize(
            "sBG",
            &grouped,
            &settings,
            fit::Strategy::QuasiNewton,
            |_| starts.clone(),
        )?;
        Ok(FittedSbg {
            params: SbgParams::from_values(&v)?,
            report,
        })
    }
}

/// Settings of an sBG simulation: each subscriber draws
/// `theta ~ Beta(alpha, beta)` and cancels at the end of each period with
/// probability `theta`; subscribers still active after `periods` are
/// censored there. Deterministic for a seed (blocks of
/// [`crate::sim::BLOCK`], one random stream each).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbgSimulation {
    /// The model's parameters.
    pub params: SbgParams,
    /// Number of subscribers (one cohort, all starting in period 1).
    pub subscribers: usize,
    /// Periods observed (`>= 1`).
    pub periods: u32,
    /// Random seed.
    pub seed: u64,
}

impl SbgSimulation {
    /// Simulates the cohort, returned grouped by `(duration, churned)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for `periods = 0`;
    /// [`Error::NotEnoughData`] for no subscribers.
    pub fn run(&self) -> Result<SubscriptionData> {
        if self.periods == 0 {
            return Err(Error::InvalidParameter {
                name: "periods",
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        if self.subscribers == 0 {
            return Err(Error::NotEnoughData("no subscribers to simulate".into()));
        }
        let bad = |e: &dyn std::fmt::Display| Error::InvalidData(format!("simulation: {e}"));
        let churn = Beta::new(self.params.alpha, self.params.beta).map_err(|e| bad(&e))?;
        let block = crate::sim::BLOCK;
        let mut counts: BTreeMap<(u32, bool), f64> = BTreeMap::new();
        for (k, start) in (0..self.subscribers).step_by(block).enumerate() {
            let mut rng =
                StdRng::seed_from_u64(self.seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for _ in start..(start + block).min(self.subscribers) {
                let theta: f64 = churn.sample(&mut rng);
                let mut outcome = (self.periods, false);
                for t in 1..=self.periods {
                    if rng.random::<f64>() < theta {
                        outcome = (t, true);
                        break;
                    }
                }
                *counts.entry(outcome).or_insert(0.0) += 1.0;
            }
        }
        let (mut duration, mut churned, mut weight) = (vec![], vec![], vec![]);
        for ((t, c), w) in counts {
            duration.push(t);
            churned.push(c);
            weight.push(w);
        }
        SubscriptionData::new(duration, churned, weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_curve_matches_the_beta_functions() {
        let p = SbgParams::new(0.704, 1.182).unwrap();
        let curve = p.survival_curve(12);
        for (i, s) in curve.iter().enumerate() {
            let t = i as u32 + 1;
            assert!((s - p.survival(t)).abs() < 1e-13, "S({t})");
            // S(t-1) - S(t) = P(T = t).
            assert!((p.survival(t - 1) - s - p.prob_churn(t)).abs() < 1e-13);
        }
    }

    #[test]
    fn survivor_counts_become_a_subscriber_table() {
        let d = SubscriptionData::from_survivors(&[100.0, 60.0, 60.0, 45.0]).unwrap();
        assert_eq!(d.duration, vec![1, 3, 3]);
        assert_eq!(d.churned, vec![true, true, false]);
        assert_eq!(d.weight, vec![40.0, 15.0, 45.0]);
        assert!(SubscriptionData::from_survivors(&[100.0, 120.0]).is_err());
        assert!(SubscriptionData::from_survivors(&[100.0]).is_err());
        assert!(SubscriptionData::new(vec![0], vec![true], vec![1.0]).is_err());
        assert!(SubscriptionData::new(vec![1], vec![true], vec![0.0]).is_err());
        assert!(SubscriptionData::new(vec![1], vec![], vec![1.0]).is_err());
    }

    #[test]
    fn fitter_rejects_unusable_data_and_settings() {
        assert!(matches!(
            SbgFitter::default().fit(&SubscriptionData::default()),
            Err(Error::NotEnoughData(_))
        ));
        let no_churn = SubscriptionData::new(vec![3], vec![false], vec![10.0]).unwrap();
        assert!(matches!(
            SbgFitter::default().fit(&no_churn),
            Err(Error::NotEnoughData(_))
        ));
        let data = SubscriptionData::from_survivors(&[100.0, 60.0, 45.0, 38.0]).unwrap();
        let bad = SbgFitter {
            penalty: -0.5,
            ..SbgFitter::default()
        };
        assert!(bad.fit(&data).is_err());
        assert!(SbgParams::new(0.0, 1.0).is_err());
        assert!(SbgParams::new(1.0, f64::INFINITY).is_err());
        let p = SbgParams::new(1.0, 2.0).unwrap();
        assert!(p.derl(0.1, 0).is_err());
        assert!(p.derl(-0.1, 1).is_err());
        assert!(p.derl(f64::NAN, 1).is_err());
    }

    #[test]
    fn expected_lifetime_is_the_sum_of_the_survival_curve_or_infinite() {
        let p = SbgParams::new(3.0, 5.0).unwrap();
        let sum: f64 = 1.0 + p.survival_curve(20_000).iter().sum::<f64>();
        assert!((sum - p.expected_lifetime()).abs() < 1e-6, "{sum}");
        assert_eq!(
            SbgParams::new(1.0, 5.0).unwrap().expected_lifetime(),
            f64::INFINITY
        );
        assert_eq!(
            SbgParams::new(0.5, 5.0).unwrap().derl(0.0, 1).unwrap(),
            f64::INFINITY
        );
    }
}
