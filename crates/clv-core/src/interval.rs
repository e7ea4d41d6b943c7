//! Prediction intervals for P(alive), expected purchases and lifetime value
//! that reflect the uncertainty of the fitted parameters.
//!
//! # What the intervals mean
//!
//! A point prediction ([`crate::value::predict`]) plugs the maximum-likelihood
//! estimates `θ̂` into the model. The parameters are estimated from a finite
//! number of customers, so every prediction inherits their sampling error.
//! For each customer this module gives a central interval (for level 0.9, the
//! 5% and 95% quantiles) of the *predictions* — `P(alive)`, `E[Y(H) | x, t_x,
//! T]` and the discounted CLV — over the distribution of the estimator, plus
//! the same interval for the population totals.
//!
//! These are intervals for the **expected** values: they say how well the
//! model's expectation for a customer is pinned down by the data, and they
//! shrink as the number of customers grows (roughly like `1/sqrt(n)`). They
//! do **not** contain the Poisson (and dropout) noise of what the customer
//! will actually do: a customer expected to make 1.4 purchases may well make
//! 0 or 4, however many customers the model was fitted on. Model error (the
//! model being wrong) is not covered either.
//!
//! For the number of purchases itself, BG/NBD has a closed-form predictive
//! distribution: [`bgnbd_purchase_count_intervals`] gives intervals that do
//! contain the purchase noise (with or without parameter uncertainty).
//!
//! # Two ways to draw parameters
//!
//! **Parametric** ([`parametric_draws`]): the estimator is asymptotically
//! normal with the covariance `Σ` of the fit (inverse observed information).
//! Draws are taken in log-parameter space so that they stay positive: by the
//! delta method `Cov(ln θ̂) = D⁻¹ Σ D⁻¹` with `D = diag(θ̂)`, and
//!
//! ```text
//! θ_d = θ̂ ⊙ exp(L z_d),   z_d ~ N(0, I),   L Lᵀ = D⁻¹ Σ D⁻¹   (Cholesky)
//! ```
//!
//! The spend model (Gamma-Gamma, its own covariance) is drawn the same way
//! and independently of the purchase model (the two likelihoods share no
//! parameters; the models assume spend independent of the purchase process).
//!
//! **Bootstrap** ([`bootstrap_draws`]): `N` times, resample the customers
//! with replacement (multinomial counts over the input rows: `n` draws with
//! probability proportional to each row's weight, `n` the total weight
//! rounded), refit the purchase model (and the spend model, on the *same*
//! resampled customers) warm-started from the full-data estimates, and use the
//! refitted parameters as draws. The refits are closures, so any model's
//! fitter can be used; [`bgnbd_bootstrap_draws`] is the BG/NBD + Gamma-Gamma
//! convenience. This needs no normal approximation and no covariance, at the
//! price of `N` fits.
//!
//! Both are deterministic for a seed whatever the number of threads: draw or
//! resample `d` has its own random stream derived from `(seed, d)`.
//!
//! # From parameter draws to intervals
//!
//! For draw `d` with purchase parameters `θ_d` and spend parameters `φ_d`,
//! customer `i` gets
//!
//! ```text
//! p_id = P(alive | x, t_x, T; θ_d)
//! e_id = p_id * E_d(x, T, H)                         expected purchases
//! v_id = m * s_d(x, mbar) * p_id * Σ_k [E_d(τ_k) - E_d(τ_{k-1})] / (1+r)^τ_k
//! ```
//!
//! exactly as in [`crate::value`] (same schedule, same discounting, same
//! margin `m`), where `s_d` is the Gamma-Gamma `E[M | x, mbar; φ_d]` (for
//! `x = 0` the population mean, as in the point prediction) or, with
//! [`Spend::Fixed`], the given expected spend (no spend uncertainty). The
//! interval is `[Q(α/2), Q(1-α/2)]` of `{p_id}_d` (and likewise for `e`, `v`)
//! with `Q` the linearly interpolated sample quantile (type 7, the default of
//! R and NumPy) and `α = 1 - level`. The population totals `Σ_i w_i e_id` and
//! `Σ_i w_i v_id` (`w_i` the row weights) are formed per draw and their
//! quantiles reported, so their interval accounts for the correlation
//! between customers (all share the same parameters), which summing the
//! customers' bounds would not.
//!
//! # Algorithm and memory bound
//!
//! A million customers times a thousand draws is 8 GB per quantity, so the
//! customers × draws matrix is never formed:
//!
//! 1. customers are sorted by `(x, T, t_x, spend key)` (spend key: `mbar`
//!    for Gamma-Gamma repeat buyers, 0 for `x = 0`, the given spend with
//!    [`Spend::Fixed`]); consecutive equal `(x, t_x, T)` form a *row*,
//!    consecutive equal keys within a row a *group*. All customers of a row
//!    share `p` and `e` for every draw, all customers of a group share `v`;
//! 2. rows are cut into chunks, at `(x, T)` boundaries, of about
//!    [`IntervalSettings::chunk_rows`] rows (never more than twice that) and
//!    at most `4 MiB / (16 * draws)` distinct `(x, T)` pairs;
//! 3. chunks are processed in parallel (rayon). A chunk first tabulates,
//!    for each of its distinct `(x, T)` pairs and each draw, `E_d(H)` and the
//!    discounted sum (the expensive hypergeometric part, done once per pair
//!    and draw); then, row by row, it fills one buffer of `draws` values for
//!    `p`, one for `e` and, group by group, one for `v`, adds the row's
//!    weighted values into the chunk's per-draw totals, and takes the mean
//!    and the two quantiles (`select_nth_unstable`, O(draws)) before moving on;
//! 4. the chunks' per-row and per-group results are scattered back to the
//!    customers and the per-draw totals are added up in chunk order (so the
//!    result does not depend on the number of threads).
//!
//! Memory beyond the input and the outputs (12 values per customer: lower
//! and upper bound, mean and point prediction of three quantities): the
//! sort order and the spend keys (two values per customer), the chunks'
//! per-row and per-group results before scattering (at most 9 values per
//! customer, fewer when customers share rows), and per running chunk at
//! most 4 MiB of pair tables, four buffers of `draws` values and
//! `2 * draws` totals; the parameter draws themselves are `draws * (k + 3)`
//! numbers. Nothing is proportional to customers × draws.
//!
//! Work: `pairs × draws × months` evaluations of
//! [`PurchaseModel::expected_purchases_if_alive`](crate::model::PurchaseModel::expected_purchases_if_alive), `rows × draws` of
//! [`PurchaseModel::p_alive`](crate::model::PurchaseModel::p_alive), `groups × draws` spend evaluations and
//! `(2 rows + groups)` quantile selections over `draws` values.
//!
//! # Performance
//!
//! `cargo bench -p clv-core --bench interval` (release build, 2 cores shared
//! with other jobs, so CPU time is the telling figure): 1,000,000 customers
//! shaped like the CLI's summary (3,952 distinct `(x, T)`, 216,462 distinct
//! `(x, t_x, T)`, about one spend group per repeat buyer), BG/NBD +
//! Gamma-Gamma, 12 monthly steps, 1,000 parametric draws: about 15 s of CPU
//! in all (fits included; about 7.5 s on two idle cores), peak memory about
//! 110 MB above the data set. A bootstrap resample of the same data costs
//! about 0.11 s of CPU (both refits), so 1,000 resamples take about 110 s of
//! CPU.
//!
//! # Example
//!
//! ```
//! use clv_core::TimeUnit;
//! use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
//! use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
//! use clv_core::interval::{IntervalSettings, Spend, prediction_intervals};
//! use clv_core::sim::{Simulation, summarize};
//! use clv_core::value::ValueSettings;
//!
//! // 2,000 simulated customers observed for a year (weeks).
//! let sim = Simulation {
//!     purchases: BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?,
//!     spend: Some(GammaGammaParams::new(6.25, 3.74, 15.44)?),
//!     customers: 2000,
//!     acquisition: 12.0,
//!     end: 52.0,
//!     seed: 1,
//! };
//! let (data, monetary) = summarize(&sim.run()?, 52.0)?;
//! let bgnbd = BgNbdFitter::default().fit(&data)?;
//! let gg = GammaGammaFitter::default().fit(&data.frequency, &monetary, &data.weight)?;
//! let value = ValueSettings::new("12 months".parse()?, TimeUnit::Week, 0.1, 1.0)?;
//! let settings = IntervalSettings::new(0.9, 200, 7)?;
//! let spend = Spend::GammaGamma { params: &gg.params, monetary: &monetary };
//! let iv = prediction_intervals(
//!     &bgnbd.params, &bgnbd.report.covariance,
//!     spend, Some(&gg.report.covariance),
//!     &data, &value, &settings,
//! )?;
//! // Customer 0: CLV point estimate and 90% interval from parameter uncertainty.
//! let (lo, point, hi) = (iv.clv.lo[0], iv.clv.point[0], iv.clv.hi[0]);
//! assert!(lo <= point && point <= hi);
//! assert!(iv.total_clv.lo < iv.total_clv.point && iv.total_clv.point < iv.total_clv.hi);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::ops::Range;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::bgnbd::{BgNbdFitter, BgNbdParams};
use crate::data::{Customer, CustomerData};
use crate::error::{Error, Result};
use crate::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use crate::model::ParametricModel;
use crate::value::{self, ValueSettings};

/// Bytes of `(x, T)` tables a chunk may hold (`16 * draws` per pair).
const PAIR_TABLE_BYTES: usize = 4 << 20;
/// Default maximum number of distinct `(x, t_x, T)` rows per chunk.
const DEFAULT_CHUNK_ROWS: usize = 1024;
/// Share of bootstrap refits allowed to fail (they are then left out).
const MAX_FAILED_SHARE: f64 = 0.05;

/// Random streams: one per purpose, so purchase and spend draws are independent.
const STREAM_PURCHASE: u64 = 1;
const STREAM_SPEND: u64 = 2;
const STREAM_BOOTSTRAP: u64 = 3;

/// Validated settings for prediction intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalSettings {
    level: f64,
    draws: usize,
    seed: u64,
    chunk_rows: usize,
}

impl IntervalSettings {
    /// `level` in `(0, 1)` (0.9 gives the 5% and 95% quantiles), the number of
    /// parameter draws (parametric) or resamples (bootstrap), at least 2, and
    /// the random seed.
    pub fn new(level: f64, draws: usize, seed: u64) -> Result<Self> {
        if !(level.is_finite() && level > 0.0 && level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "level",
                value: level,
                reason: "must lie strictly between 0 and 1 (0.9 for a 90% interval)",
            });
        }
        if draws < 2 {
            return Err(Error::InvalidParameter {
                name: "draws",
                value: draws as f64,
                reason: "at least 2 draws are needed for an interval",
            });
        }
        Ok(IntervalSettings {
            level,
            draws,
            seed,
            chunk_rows: DEFAULT_CHUNK_ROWS,
        })
    }

    /// The same settings with chunks of about `rows` distinct `(x, t_x, T)`
    /// rows (at least 1; the default is 1024; see the module docs). Results
    /// do not depend on it except for the rounding of the population totals.
    pub fn with_chunk_rows(self, rows: usize) -> Result<Self> {
        if rows == 0 {
            return Err(Error::InvalidParameter {
                name: "chunk_rows",
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        Ok(IntervalSettings {
            chunk_rows: rows,
            ..self
        })
    }

    /// Interval level, e.g. 0.9.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// Number of parameter draws or bootstrap resamples.
    pub fn draws(&self) -> usize {
        self.draws
    }

    /// Random seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Target number of distinct `(x, t_x, T)` rows per chunk.
    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// The lower and upper quantile probabilities, `(1 - level)/2` and `(1 + level)/2`.
    pub fn probabilities(&self) -> (f64, f64) {
        ((1.0 - self.level) / 2.0, (1.0 + self.level) / 2.0)
    }
}

/// Where each customer's expected spend per purchase comes from.
#[derive(Debug, Clone, Copy)]
pub enum Spend<'a> {
    /// A given expected spend per customer (in the order of the data rows),
    /// taken as known: only the purchase model's uncertainty enters the CLV.
    Fixed(&'a [f64]),
    /// The Gamma-Gamma model at `params` (the point estimate; draws come
    /// from [`ParameterDraws::spend`]), with each customer's mean repeat
    /// purchase value `monetary` (ignored for `x = 0`, who get the population
    /// mean, as in the point prediction).
    GammaGamma {
        /// Fitted (point) parameters.
        params: &'a GammaGammaParams,
        /// Mean repeat-purchase value per customer.
        monetary: &'a [f64],
    },
}

/// Parameter vectors drawn from the estimator's distribution (parametric) or
/// refitted on resamples (bootstrap).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDraws {
    /// Purchase-model parameters per draw, in the order of
    /// [`ParametricModel::param_names`].
    pub purchase: Vec<Vec<f64>>,
    /// Spend-model parameters per draw (same length as `purchase`), or
    /// `None` when the spend model is held at its point estimate.
    pub spend: Option<Vec<GammaGammaParams>>,
    /// Bootstrap resamples whose refit failed and were left out (0 for
    /// parametric draws).
    pub failed: usize,
}

impl ParameterDraws {
    /// Number of usable draws.
    pub fn len(&self) -> usize {
        self.purchase.len()
    }

    /// True without draws.
    pub fn is_empty(&self) -> bool {
        self.purchase.is_empty()
    }

    /// Central `level` interval `(lo, hi)` of each purchase-model parameter
    /// across the draws.
    pub fn purchase_intervals(&self, level: f64) -> Result<Vec<(f64, f64)>> {
        let k = self.purchase.first().map_or(0, |p| p.len());
        (0..k)
            .map(|j| column_interval(self.purchase.iter().map(|p| p[j]).collect(), level))
            .collect()
    }

    /// Central `level` interval `(lo, hi)` of each spend-model parameter
    /// `p, q, v` across the draws (`None` without spend draws).
    pub fn spend_intervals(&self, level: f64) -> Result<Option<Vec<(f64, f64)>>> {
        let Some(spend) = &self.spend else {
            return Ok(None);
        };
        (0..3)
            .map(|j| column_interval(spend.iter().map(|p| p.to_array()[j]).collect(), level))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

fn column_interval(mut values: Vec<f64>, level: f64) -> Result<(f64, f64)> {
    if values.is_empty() {
        return Err(Error::NotEnoughData("no parameter draws".into()));
    }
    let (lo, hi) = IntervalSettings::new(level, 2, 0)?.probabilities();
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(Error::InvalidData(format!("non-finite parameter draw {v}")));
    }
    Ok(quantiles(&mut values, lo, hi))
}

/// Per-customer intervals of one predicted quantity, in the order of the data rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bounds {
    /// Lower quantile across draws.
    pub lo: Vec<f64>,
    /// Upper quantile across draws.
    pub hi: Vec<f64>,
    /// Mean across draws.
    pub mean: Vec<f64>,
    /// Point prediction at the fitted parameters (as [`crate::value::predict`]).
    pub point: Vec<f64>,
}

/// Interval of a population total (sum over customers, weighted by the rows' weights).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TotalBounds {
    /// Lower quantile across draws.
    pub lo: f64,
    /// Upper quantile across draws.
    pub hi: f64,
    /// Mean across draws.
    pub mean: f64,
    /// Total of the point predictions.
    pub point: f64,
}

/// Prediction intervals for every customer and for the population totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Intervals {
    /// The interval level, e.g. 0.9.
    pub level: f64,
    /// P(alive) at the end of observation.
    pub p_alive: Bounds,
    /// Expected purchases over the horizon.
    pub expected_purchases: Bounds,
    /// Discounted lifetime value over the horizon (margin applied).
    pub clv: Bounds,
    /// Total expected purchases of all customers.
    pub total_purchases: TotalBounds,
    /// Total lifetime value of all customers.
    pub total_clv: TotalBounds,
    /// Number of parameter draws the intervals are based on.
    pub draws_used: usize,
    /// Bootstrap resamples left out because their refit failed.
    pub draws_failed: usize,
}

// ---------------------------------------------------------------------------
// Random streams and linear algebra
// ---------------------------------------------------------------------------

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream for draw `index` of purpose `stream`.
fn rng_for(seed: u64, stream: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(splitmix(
        splitmix(seed) ^ splitmix(stream.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ index as u64),
    ))
}

/// Lower-triangular Cholesky factor of a symmetric positive definite matrix.
#[allow(clippy::needless_range_loop)]
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i][j];
            for m in 0..j {
                s -= l[i][m] * l[j][m];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// Cholesky factor of `Cov(ln θ) = D⁻¹ Σ D⁻¹` (see the module docs).
fn log_space_factor(what: &str, theta: &[f64], cov: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
    let k = theta.len();
    if cov.len() != k || cov.iter().any(|row| row.len() != k) {
        return Err(Error::InvalidData(format!(
            "{what}: covariance must be {k} x {k} (one row per parameter), got {} rows{}",
            cov.len(),
            if cov.is_empty() {
                " (the fit reported none: the observed information was not positive definite)"
            } else {
                ""
            }
        )));
    }
    if theta.iter().any(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(Error::InvalidData(format!(
            "{what}: parameters must be positive and finite for log-space draws, got {theta:?}"
        )));
    }
    let mut c = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..k {
            let (a, b) = (cov[i][j], cov[j][i]);
            if !(a.is_finite() && b.is_finite())
                || (a - b).abs() > 1e-8 * (a.abs() + b.abs()).max(1e-300)
            {
                return Err(Error::InvalidData(format!(
                    "{what}: covariance must be finite and symmetric (entries {i},{j}: {a}, {b})"
                )));
            }
            c[i][j] = 0.5 * (a + b) / (theta[i] * theta[j]);
        }
    }
    cholesky(&c).ok_or_else(|| {
        Error::InvalidData(format!(
            "{what}: covariance is not positive definite, cannot draw parameters"
        ))
    })
}

/// `θ̂ ⊙ exp(L z)` with `z` standard normal from `rng`.
fn log_normal_draw(theta: &[f64], l: &[Vec<f64>], rng: &mut StdRng) -> Vec<f64> {
    let z: Vec<f64> = (0..theta.len())
        .map(|_| StandardNormal.sample(rng))
        .collect();
    (0..theta.len())
        .map(|i| {
            let shift: f64 = (0..=i).map(|j| l[i][j] * z[j]).sum();
            theta[i] * shift.exp()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Parameter draws
// ---------------------------------------------------------------------------

/// Parametric draws: `settings.draws()` parameter vectors from the
/// asymptotic distribution of the estimator, in log space (module docs), for
/// the purchase model (`model` at its estimate, `model_cov` its
/// [`FitReport`](crate::fit::FitReport) covariance) and, when given, the
/// Gamma-Gamma model (estimate and covariance), independently.
///
/// # Errors
///
/// [`Error::InvalidData`] when a covariance is missing, of the wrong size,
/// not symmetric or not positive definite; the error of
/// [`ParametricModel::with_params`] or [`GammaGammaParams::new`] if a draw is
/// not a valid parameter vector (for example overflowing to infinity).
pub fn parametric_draws(
    model: &dyn ParametricModel,
    model_cov: &[Vec<f64>],
    spend: Option<(&GammaGammaParams, &[Vec<f64>])>,
    settings: &IntervalSettings,
) -> Result<ParameterDraws> {
    let theta = model.param_values();
    let l = log_space_factor(model.name(), &theta, model_cov)?;
    let purchase: Vec<Vec<f64>> = (0..settings.draws)
        .into_par_iter()
        .map(|d| {
            let mut rng = rng_for(settings.seed, STREAM_PURCHASE, d);
            let v = log_normal_draw(&theta, &l, &mut rng);
            model.with_params(&v)?;
            Ok(v)
        })
        .collect::<Result<_>>()?;
    let spend = match spend {
        None => None,
        Some((params, cov)) => {
            let phi = params.to_array();
            let l = log_space_factor("gamma-gamma", &phi, cov)?;
            let draws: Vec<GammaGammaParams> = (0..settings.draws)
                .into_par_iter()
                .map(|d| {
                    let mut rng = rng_for(settings.seed, STREAM_SPEND, d);
                    let v = log_normal_draw(&phi, &l, &mut rng);
                    GammaGammaParams::new(v[0], v[1], v[2])
                })
                .collect::<Result<_>>()?;
            Some(draws)
        }
    };
    Ok(ParameterDraws {
        purchase,
        spend,
        failed: 0,
    })
}

/// Customer-resampling bootstrap: `settings.draws()` resamples of the
/// customers with replacement, each refitted with `refit_purchase` (and
/// `refit_spend`), whose parameter vectors become the draws.
///
/// For resample `b`, `n` customers (the total weight of `data`, rounded) are
/// drawn with replacement, each input row with probability proportional to
/// its weight; `c_i` counts how often row `i` was drawn.
///
/// - `refit_purchase` receives the resample as compressed data: the distinct
///   `(x, t_x, T)` rows of `data` that were drawn, weighted by their counts,
///   and returns the purchase model's parameters (in the order of
///   [`ParametricModel::param_names`]);
/// - `refit_spend` receives the counts `c_i` in the order of `data`'s rows
///   (0 for rows not drawn, so it can line them up with its own mean spends
///   and fit weights) and returns the Gamma-Gamma `[p, q, v]`.
///
/// Both should warm-start from the full-data estimates (see
/// [`bgnbd_bootstrap_draws`]). Resamples run in parallel; each has its own
/// random stream, so the draws are the same for a seed whatever the number of
/// threads (provided the refits are deterministic). Resamples whose refit
/// fails are left out and counted in [`ParameterDraws::failed`].
///
/// # Errors
///
/// [`Error::NotEnoughData`] for empty data; [`Error::InvalidData`] for a total
/// weight below 1; the first refit error when more than 5% of the refits
/// fail.
pub fn bootstrap_draws<F, G>(
    data: &CustomerData,
    settings: &IntervalSettings,
    refit_purchase: F,
    refit_spend: Option<G>,
) -> Result<ParameterDraws>
where
    F: Fn(&CustomerData) -> Result<Vec<f64>> + Sync,
    G: Fn(&[f64]) -> Result<Vec<f64>> + Sync,
{
    if data.is_empty() {
        return Err(Error::NotEnoughData("no customers to resample".into()));
    }
    let total = data.total_weight();
    let n_draw = total.round();
    if !(n_draw >= 1.0 && n_draw.is_finite()) {
        return Err(Error::InvalidData(format!(
            "bootstrap needs a total weight of at least 1, got {total}"
        )));
    }
    let n_draw = n_draw as usize;
    // Distinct (x, t_x, T) rows and each input row's place among them.
    let mut index: HashMap<(u64, u64, u64), usize> = HashMap::new();
    let mut distinct: Vec<usize> = Vec::new();
    let slot: Vec<usize> = (0..data.len())
        .map(|i| {
            let key = (
                data.frequency[i].to_bits(),
                data.recency[i].to_bits(),
                data.age[i].to_bits(),
            );
            *index.entry(key).or_insert_with(|| {
                distinct.push(i);
                distinct.len() - 1
            })
        })
        .collect();
    drop(index);
    let unit = data.weight.iter().all(|&w| w == 1.0);
    let cumulative: Vec<f64> = if unit {
        Vec::new()
    } else {
        data.weight
            .iter()
            .scan(0.0, |s, &w| {
                *s += w;
                Some(*s)
            })
            .collect()
    };
    let results: Vec<Result<(Vec<f64>, Option<GammaGammaParams>)>> = (0..settings.draws)
        .into_par_iter()
        .map(|b| {
            let mut rng = rng_for(settings.seed, STREAM_BOOTSTRAP, b);
            let mut counts = vec![0.0f64; data.len()];
            if unit {
                for _ in 0..n_draw {
                    counts[rng.random_range(0..data.len())] += 1.0;
                }
            } else {
                for _ in 0..n_draw {
                    let u = rng.random::<f64>() * total;
                    let i = cumulative.partition_point(|&c| c <= u).min(data.len() - 1);
                    counts[i] += 1.0;
                }
            }
            let mut weight = vec![0.0f64; distinct.len()];
            for (i, &c) in counts.iter().enumerate() {
                weight[slot[i]] += c;
            }
            let (mut fx, mut ftx, mut ft, mut fw) = (vec![], vec![], vec![], vec![]);
            for (k, &i) in distinct.iter().enumerate() {
                if weight[k] > 0.0 {
                    fx.push(data.frequency[i]);
                    ftx.push(data.recency[i]);
                    ft.push(data.age[i]);
                    fw.push(weight[k]);
                }
            }
            drop(weight);
            let resample = CustomerData::with_weights(fx, ftx, ft, fw)?;
            let purchase = refit_purchase(&resample)?;
            drop(resample);
            let spend = match &refit_spend {
                None => None,
                Some(f) => {
                    let v = f(&counts)?;
                    if v.len() != 3 {
                        return Err(Error::InvalidData(format!(
                            "spend refit returned {} parameters, expected 3 (p, q, v)",
                            v.len()
                        )));
                    }
                    Some(GammaGammaParams::new(v[0], v[1], v[2])?)
                }
            };
            Ok((purchase, spend))
        })
        .collect();
    let mut purchase = Vec::with_capacity(results.len());
    let mut spend = refit_spend
        .as_ref()
        .map(|_| Vec::with_capacity(results.len()));
    let mut failed = 0;
    let mut first_error = None;
    for r in results {
        match r {
            Ok((p, s)) => {
                purchase.push(p);
                if let (Some(all), Some(s)) = (spend.as_mut(), s) {
                    all.push(s);
                }
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error
        && (failed as f64 > MAX_FAILED_SHARE * settings.draws as f64 || purchase.len() < 2)
    {
        return Err(e);
    }
    Ok(ParameterDraws {
        purchase,
        spend,
        failed,
    })
}

/// The Gamma-Gamma part of [`bgnbd_bootstrap_draws`].
#[derive(Debug, Clone, Copy)]
pub struct GammaGammaRefit<'a> {
    /// Full-data estimates (the warm start).
    pub params: &'a GammaGammaParams,
    /// Fitter settings (its `start` is replaced by `params`).
    pub fitter: &'a GammaGammaFitter,
    /// Mean repeat-purchase value per customer, in the order of the data rows.
    pub monetary: &'a [f64],
    /// Weight of each row in the full-data fit (for example 1, and 0 for
    /// repeat buyers whose repeat purchases were all free, as the CLI does);
    /// a resample's fit weights are these times the resample counts.
    pub fit_weight: &'a [f64],
}

/// [`bootstrap_draws`] for BG/NBD (and Gamma-Gamma): each resample is
/// refitted with `fitter` (and `spend.fitter`) warm-started from the
/// full-data estimates `params` (and `spend.params`).
///
/// # Errors
///
/// [`Error::InvalidData`] when the spend columns do not match the data; as
/// [`bootstrap_draws`].
pub fn bgnbd_bootstrap_draws(
    params: &BgNbdParams,
    fitter: &BgNbdFitter,
    spend: Option<GammaGammaRefit<'_>>,
    data: &CustomerData,
    settings: &IntervalSettings,
) -> Result<ParameterDraws> {
    if let Some(s) = &spend
        && (s.monetary.len() != data.len() || s.fit_weight.len() != data.len())
    {
        return Err(Error::InvalidData(format!(
            "{} monetary values and {} fit weights for {} customers",
            s.monetary.len(),
            s.fit_weight.len(),
            data.len()
        )));
    }
    let purchase_fitter = BgNbdFitter {
        start: Some(*params),
        ..*fitter
    };
    let refit_purchase = |d: &CustomerData| Ok(purchase_fitter.fit(d)?.params.to_array().to_vec());
    let refit_spend = spend.map(|s| {
        let gg = GammaGammaFitter {
            start: Some(*s.params),
            ..*s.fitter
        };
        move |counts: &[f64]| {
            let w: Vec<f64> = counts
                .iter()
                .zip(s.fit_weight)
                .map(|(c, f)| c * f)
                .collect();
            Ok(gg
                .fit(&data.frequency, s.monetary, &w)?
                .params
                .to_array()
                .to_vec())
        }
    });
    bootstrap_draws(data, settings, refit_purchase, refit_spend)
}

// ---------------------------------------------------------------------------
// Intervals from draws
// ---------------------------------------------------------------------------

/// Parametric prediction intervals in one call: [`parametric_draws`] then
/// [`intervals_from_draws`]. `spend_cov` is the Gamma-Gamma covariance when
/// `spend` is [`Spend::GammaGamma`] (`None` holds the spend model at its
/// estimate); it must be `None` with [`Spend::Fixed`].
///
/// # Errors
///
/// As [`parametric_draws`] and [`intervals_from_draws`];
/// [`Error::InvalidData`] for a spend covariance with [`Spend::Fixed`].
pub fn prediction_intervals(
    model: &dyn ParametricModel,
    model_cov: &[Vec<f64>],
    spend: Spend<'_>,
    spend_cov: Option<&[Vec<f64>]>,
    data: &CustomerData,
    value: &ValueSettings,
    settings: &IntervalSettings,
) -> Result<Intervals> {
    let spend_model = match (spend, spend_cov) {
        (Spend::GammaGamma { params, .. }, Some(cov)) => Some((params, cov)),
        (Spend::Fixed(_), Some(_)) => {
            return Err(Error::InvalidData(
                "a spend covariance needs the Gamma-Gamma spend model".into(),
            ));
        }
        (_, None) => None,
    };
    let draws = parametric_draws(model, model_cov, spend_model, settings)?;
    intervals_from_draws(model, spend, &draws, data, value, settings)
}

/// Per-customer and population intervals from parameter draws (module docs).
///
/// `model` is the purchase model at its point estimate (its
/// [`ParametricModel::with_params`] builds the draws' models), `spend` the
/// spend per purchase; with [`Spend::GammaGamma`], `draws.spend` supplies the
/// spend draws (or `None` to hold the spend model at its estimate). Only
/// `settings.level()` and `settings.chunk_rows()` are used here: the number
/// of draws is `draws.len()`.
///
/// # Errors
///
/// [`Error::InvalidData`] for mismatched lengths, spend draws with
/// [`Spend::Fixed`], a negative or non-finite fixed spend, fewer than 2 draws
/// or a draw that is not a valid parameter vector; as
/// [`GammaGammaParams::conditional_expected_spend`] for a customer's spend;
/// [`Error::Numerical`] naming the draw and customer when a prediction is
/// not finite.
pub fn intervals_from_draws(
    model: &dyn ParametricModel,
    spend: Spend<'_>,
    draws: &ParameterDraws,
    data: &CustomerData,
    value: &ValueSettings,
    settings: &IntervalSettings,
) -> Result<Intervals> {
    let n = data.len();
    let n_draws = draws.len();
    if n_draws < 2 {
        return Err(Error::InvalidData(format!(
            "intervals need at least 2 parameter draws, got {n_draws}"
        )));
    }
    // Models per draw, and the point spend per customer.
    let models: Vec<Box<dyn ParametricModel>> = draws
        .purchase
        .iter()
        .map(|p| model.with_params(p))
        .collect::<Result<_>>()?;
    let (point_spend, spend_draws): (Vec<f64>, SpendDraws) = match spend {
        Spend::Fixed(s) => {
            if s.len() != n {
                return Err(Error::InvalidData(format!(
                    "{} spend values for {n} customers",
                    s.len()
                )));
            }
            if let Some(i) = s.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::InvalidData(format!(
                    "row {i}: expected spend must be finite and non-negative, got {}",
                    s[i]
                )));
            }
            if draws.spend.is_some() {
                return Err(Error::InvalidData(
                    "spend-model draws given with a fixed spend".into(),
                ));
            }
            (s.to_vec(), SpendDraws::Fixed)
        }
        Spend::GammaGamma { params, monetary } => {
            if monetary.len() != n {
                return Err(Error::InvalidData(format!(
                    "{} monetary values for {n} customers",
                    monetary.len()
                )));
            }
            let point = (0..n)
                .into_par_iter()
                .map(|i| {
                    params
                        .conditional_expected_spend(data.frequency[i], monetary[i])
                        .map_err(|e| Error::InvalidData(format!("row {i}: {e}")))
                })
                .collect::<Result<Vec<f64>>>()?;
            let per_draw = match &draws.spend {
                Some(s) if s.len() != n_draws => {
                    return Err(Error::InvalidData(format!(
                        "{} spend draws for {n_draws} purchase draws",
                        s.len()
                    )));
                }
                Some(s) => s.clone(),
                None => vec![*params; n_draws],
            };
            (point, SpendDraws::GammaGamma(per_draw))
        }
    };
    let point = value::predict(model, data, &point_spend, value)?;
    let spend_key: Vec<f64> = match spend {
        Spend::Fixed(s) => s.to_vec(),
        Spend::GammaGamma { monetary, .. } => (0..n)
            .map(|i| {
                if data.frequency[i] > 0.0 {
                    monetary[i]
                } else {
                    0.0
                }
            })
            .collect(),
    };
    let layout = Layout::new(data, &spend_key, n_draws, settings.chunk_rows);
    let engine = Engine {
        data,
        models: &models,
        spend: &spend_draws,
        spend_key: &spend_key,
        layout: &layout,
        schedule: value.schedule(),
        margin: value.margin(),
        probabilities: settings.probabilities(),
    };
    let outs: Vec<ChunkOut> = layout
        .chunks
        .par_iter()
        .map(|rows| engine.chunk(rows.clone()))
        .collect::<Result<_>>()?;
    drop(spend_key);

    // Scatter back to customers; totals in chunk order.
    let mut out = Intervals {
        level: settings.level,
        draws_used: n_draws,
        draws_failed: draws.failed,
        ..Default::default()
    };
    let mut p = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut e = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut v = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut total_e = vec![0.0; n_draws];
    let mut total_v = vec![0.0; n_draws];
    for (rows, o) in layout.chunks.iter().zip(&outs) {
        let g0 = layout.row_group[rows.start];
        for (ri, r) in rows.clone().enumerate() {
            for g in layout.row_group[r]..layout.row_group[r + 1] {
                for &i in &layout.order[layout.group_start[g]..layout.group_start[g + 1]] {
                    for k in 0..3 {
                        p[k][i] = o.p[ri][k];
                        e[k][i] = o.e[ri][k];
                        v[k][i] = o.v[g - g0][k];
                    }
                }
            }
        }
        for d in 0..n_draws {
            total_e[d] += o.total_e[d];
            total_v[d] += o.total_v[d];
        }
    }
    drop(outs);
    let [p_lo, p_hi, p_mean] = p;
    let [e_lo, e_hi, e_mean] = e;
    let [v_lo, v_hi, v_mean] = v;
    let weighted = |x: &[f64]| -> f64 { x.iter().zip(&data.weight).map(|(a, w)| a * w).sum() };
    out.total_purchases = total_bounds(&mut total_e, weighted(&point.expected_purchases), settings);
    out.total_clv = total_bounds(&mut total_v, weighted(&point.clv), settings);
    out.p_alive = Bounds {
        lo: p_lo,
        hi: p_hi,
        mean: p_mean,
        point: point.p_alive,
    };
    out.expected_purchases = Bounds {
        lo: e_lo,
        hi: e_hi,
        mean: e_mean,
        point: point.expected_purchases,
    };
    out.clv = Bounds {
        lo: v_lo,
        hi: v_hi,
        mean: v_mean,
        point: point.clv,
    };
    Ok(out)
}

fn total_bounds(per_draw: &mut [f64], point: f64, settings: &IntervalSettings) -> TotalBounds {
    let mean = per_draw.iter().sum::<f64>() / per_draw.len() as f64;
    let (lo, hi) = settings.probabilities();
    let (lo, hi) = quantiles(per_draw, lo, hi);
    TotalBounds {
        lo,
        hi,
        mean,
        point,
    }
}

/// Spend parameters per draw.
enum SpendDraws {
    /// The spend key is the spend itself.
    Fixed,
    /// Gamma-Gamma per draw; the spend key is `mbar` (0 for `x = 0`).
    GammaGamma(Vec<GammaGammaParams>),
}

/// Customers sorted and cut into rows, groups and chunks (module docs).
struct Layout {
    /// Customer indices sorted by `(x, T, t_x, spend key)`.
    order: Vec<usize>,
    /// Start of each group in `order` (one extra entry at the end).
    group_start: Vec<usize>,
    /// First group of each row (one extra entry at the end).
    row_group: Vec<usize>,
    /// Ranges of rows.
    chunks: Vec<Range<usize>>,
}

impl Layout {
    fn new(data: &CustomerData, spend_key: &[f64], draws: usize, chunk_rows: usize) -> Layout {
        let n = data.len();
        // Non-negative finite floats order like their bit patterns.
        let key = |i: usize| {
            (
                data.frequency[i].to_bits(),
                data.age[i].to_bits(),
                data.recency[i].to_bits(),
                spend_key[i].to_bits(),
            )
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.par_sort_unstable_by_key(|&i| (key(i), i));
        let mut group_start = Vec::new();
        let mut row_group = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            let (x, t, tx, s) = key(i);
            let new_row = k == 0 || {
                let (px, pt, ptx, _) = key(order[k - 1]);
                (px, pt, ptx) != (x, t, tx)
            };
            if new_row {
                row_group.push(group_start.len());
            }
            if new_row || key(order[k - 1]).3 != s {
                group_start.push(k);
            }
        }
        group_start.push(n);
        row_group.push(group_start.len() - 1);
        let rows = row_group.len() - 1;
        let max_pairs = (PAIR_TABLE_BYTES / (16 * draws)).max(1);
        let mut chunks = Vec::new();
        let (mut start, mut pairs) = (0, 0);
        let mut last_pair = None;
        for r in 0..rows {
            let i = order[group_start[row_group[r]]];
            let pair = (data.frequency[i].to_bits(), data.age[i].to_bits());
            let new_pair = last_pair != Some(pair);
            // Cut at a pair boundary when the chunk is full; inside a pair
            // only when the chunk has twice its size (a pair with very many
            // rows, whose tables are then computed once per chunk).
            let len = r - start;
            let full = new_pair && (len >= chunk_rows || pairs >= max_pairs);
            if r > start && (full || len >= 2 * chunk_rows) {
                chunks.push(start..r);
                start = r;
                pairs = 0;
                last_pair = None;
            }
            if last_pair != Some(pair) {
                pairs += 1;
                last_pair = Some(pair);
            }
        }
        if rows > start {
            chunks.push(start..rows);
        }
        Layout {
            order,
            group_start,
            row_group,
            chunks,
        }
    }
}

/// One chunk's results: `[lo, hi, mean]` per row (p, e) and per group (v),
/// and the chunk's per-draw totals.
struct ChunkOut {
    p: Vec<[f64; 3]>,
    e: Vec<[f64; 3]>,
    v: Vec<[f64; 3]>,
    total_e: Vec<f64>,
    total_v: Vec<f64>,
}

struct Engine<'a> {
    data: &'a CustomerData,
    models: &'a [Box<dyn ParametricModel>],
    spend: &'a SpendDraws,
    spend_key: &'a [f64],
    layout: &'a Layout,
    schedule: Vec<(f64, f64)>,
    margin: f64,
    probabilities: (f64, f64),
}

impl Engine<'_> {
    fn chunk(&self, rows: Range<usize>) -> Result<ChunkOut> {
        let Engine { data, layout, .. } = self;
        let nd = self.models.len();
        let rep = |r: usize| layout.order[layout.group_start[layout.row_group[r]]];
        // Distinct (x, T) pairs of the chunk (consecutive in sort order).
        let mut pair_of_row = Vec::with_capacity(rows.len());
        let mut pairs: Vec<(f64, f64)> = Vec::new();
        for r in rows.clone() {
            let i = rep(r);
            let pair = (data.frequency[i], data.age[i]);
            if pairs.last().map(|p| (p.0.to_bits(), p.1.to_bits()))
                != Some((pair.0.to_bits(), pair.1.to_bits()))
            {
                pairs.push(pair);
            }
            pair_of_row.push(pairs.len() - 1);
        }
        // E_d(H) and the discounted sum per pair and draw, as in value::predict.
        let mut horizon = vec![0.0; pairs.len() * nd];
        let mut discounted = vec![0.0; pairs.len() * nd];
        for (k, &(x, t)) in pairs.iter().enumerate() {
            for (d, m) in self.models.iter().enumerate() {
                let mut previous = 0.0;
                let mut sum = 0.0;
                for &(tau, factor) in &self.schedule {
                    let e = m.expected_purchases_if_alive(x, t, tau);
                    sum += (e - previous) * factor;
                    previous = e;
                }
                if !(previous.is_finite() && sum.is_finite()) {
                    return Err(Error::Numerical(format!(
                        "{} expected purchases for x={x}, T={t} at parameter draw {d} ({:?})",
                        m.name(),
                        m.param_values()
                    )));
                }
                horizon[k * nd + d] = previous;
                discounted[k * nd + d] = sum;
            }
        }
        let (q_lo, q_hi) = self.probabilities;
        let g_first = layout.row_group[rows.start];
        let mut out = ChunkOut {
            p: Vec::with_capacity(rows.len()),
            e: Vec::with_capacity(rows.len()),
            v: Vec::with_capacity(layout.row_group[rows.end] - g_first),
            total_e: vec![0.0; nd],
            total_v: vec![0.0; nd],
        };
        // P(alive) per row and draw, a draw at a time, so that models can
        // share work between the chunk's customers (`p_alive_many`).
        let customers: Vec<Customer> = rows.clone().map(|r| data.customer(rep(r))).collect();
        let mut p_alive = vec![0.0; customers.len() * nd];
        let mut column = vec![0.0; customers.len()];
        for (d, m) in self.models.iter().enumerate() {
            m.p_alive_many(&customers, &mut column);
            for (ri, &p) in column.iter().enumerate() {
                p_alive[ri * nd + d] = p;
            }
        }
        let mut bp = vec![0.0; nd];
        let mut be = vec![0.0; nd];
        let mut bv = vec![0.0; nd];
        let mut den = vec![0.0; nd];
        let mut keys = vec![0u64; nd];
        let margin = self.margin;
        for (ri, r) in rows.clone().enumerate() {
            let i = rep(r);
            let c = data.customer(i);
            let x = c.frequency;
            let pk = pair_of_row[ri] * nd;
            let (hz, disc) = (&horizon[pk..pk + nd], &discounted[pk..pk + nd]);
            for (((p, e), h), &pa) in bp
                .iter_mut()
                .zip(be.iter_mut())
                .zip(hz)
                .zip(&p_alive[ri * nd..(ri + 1) * nd])
            {
                *p = pa;
                *e = *p * h;
            }
            if let Some(d) = be.iter().position(|v| !v.is_finite()) {
                return Err(Error::Numerical(format!(
                    "{} P(alive) {} and expected purchases {} for row {i} (x={x}, t_x={}, T={}) at parameter draw {d}",
                    self.models[d].name(),
                    bp[d],
                    be[d],
                    c.recency,
                    c.age
                )));
            }
            if let SpendDraws::GammaGamma(params) = self.spend {
                // The denominator of E[M | x, mbar] per draw, as
                // GammaGammaParams::conditional_expected_spend computes it.
                for (dn, g) in den.iter_mut().zip(params) {
                    *dn = g.p * x + g.q - 1.0;
                }
                if let Some(d) = den.iter().position(|&v| v <= 0.0) {
                    return Err(Error::Numerical(format!(
                        "expected spend is infinite for x = {x} at parameter draw {d} ({:?}): p x + q <= 1",
                        params[d]
                    )));
                }
            }
            let mut row_weight = 0.0;
            for g in layout.row_group[r]..layout.row_group[r + 1] {
                let members = &layout.order[layout.group_start[g]..layout.group_start[g + 1]];
                let w: f64 = members.iter().map(|&j| data.weight[j]).sum();
                row_weight += w;
                let key = self.spend_key[members[0]];
                match self.spend {
                    SpendDraws::Fixed => {
                        for ((v, t), (p, q)) in bv
                            .iter_mut()
                            .zip(out.total_v.iter_mut())
                            .zip(bp.iter().zip(disc))
                        {
                            *v = margin * key * p * q;
                            *t += w * *v;
                        }
                    }
                    SpendDraws::GammaGamma(params) => {
                        for (((v, t), (p, q)), (g, dn)) in bv
                            .iter_mut()
                            .zip(out.total_v.iter_mut())
                            .zip(bp.iter().zip(disc))
                            .zip(params.iter().zip(&den))
                        {
                            let s = g.p * (g.v + x * key) / dn;
                            *v = margin * s * p * q;
                            *t += w * *v;
                        }
                    }
                }
                if let Some(d) = bv.iter().position(|v| !v.is_finite()) {
                    return Err(Error::Numerical(format!(
                        "CLV of row {} (x={x}, t_x={}, T={}, spend key {key}) at parameter draw {d}: {}",
                        members[0], c.recency, c.age, bv[d]
                    )));
                }
                out.v.push(summary(&mut bv, &mut keys, q_lo, q_hi));
            }
            for (t, e) in out.total_e.iter_mut().zip(&be) {
                *t += row_weight * e;
            }
            out.e.push(summary(&mut be, &mut keys, q_lo, q_hi));
            out.p.push(summary(&mut bp, &mut keys, q_lo, q_hi));
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Predictive intervals of purchase counts (BG/NBD)
// ---------------------------------------------------------------------------

/// Predictive intervals of the *number* of purchases each customer will make
/// over the horizon (see [`bgnbd_purchase_count_intervals`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CountIntervals {
    /// The interval level, e.g. 0.9.
    pub level: f64,
    /// Smallest `n` with `P(Y <= n) >= (1 - level)/2`.
    pub lo: Vec<u64>,
    /// Smallest `n` with `P(Y <= n) >= (1 + level)/2`.
    pub hi: Vec<u64>,
    /// `P(Y = 0)`: probability of no purchase over the horizon.
    pub p_none: Vec<f64>,
}

/// Largest purchase count searched for a quantile.
const MAX_COUNT: u64 = 100_000;

/// Predictive intervals of each customer's number of purchases `Y` in
/// `(T, T + t]` under BG/NBD: unlike the intervals of [`Intervals`], these
/// contain the randomness of the purchases themselves.
///
/// Given alive at `T`, a BG/NBD customer's future is that of a new customer
/// with updated parameters (the posteriors `lambda ~ Gamma(r + x, alpha + T)`,
/// `p ~ Beta(a, b + x)`; equation (10) is equation (7) with these), so
///
/// ```text
/// P(Y = n | x, t_x, T) = (1 - P(alive)) δ(n = 0)
///                      + P(alive) P_BG/NBD(X(t) = n; r + x, alpha + T, a, b + x)
/// ```
///
/// with `P_BG/NBD(X(t) = n)` equation (8) ([`BgNbdParams::prob_purchases`]).
/// With `draws` the distribution is averaged over the parameter draws (the
/// predictive distribution including parameter uncertainty, at `draws.len()`
/// times the cost); without, the fitted `params` are plugged in. The interval
/// is `[lo, hi]` with `lo` and `hi` the `(1 - level)/2` and `(1 + level)/2`
/// quantiles of this discrete distribution, so it covers at least `level`.
/// Work is per distinct `(x, t_x, T)`, in parallel: on the 1M-customer
/// benchmark about 0.6 s CPU plug-in and about 0.5 s CPU more per draw, so
/// use a few dozen draws at most; with many customers the purchase noise
/// dwarfs the parameter uncertainty and the plug-in interval is the same.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a level outside `(0, 1)`;
/// [`Error::InvalidData`] for a negative or non-finite horizon or invalid
/// draws; [`Error::Numerical`] if a probability cannot be computed or the
/// upper quantile exceeds 100,000 purchases.
pub fn bgnbd_purchase_count_intervals(
    params: &BgNbdParams,
    draws: Option<&ParameterDraws>,
    data: &CustomerData,
    horizon: f64,
    level: f64,
) -> Result<CountIntervals> {
    let settings = IntervalSettings::new(level, 2, 0)?;
    let (q_lo, q_hi) = settings.probabilities();
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(Error::InvalidData(format!(
            "the horizon must be finite and non-negative, got {horizon}"
        )));
    }
    let models: Vec<BgNbdParams> = match draws {
        None => vec![*params],
        Some(d) => d
            .purchase
            .iter()
            .map(|v| {
                crate::model::check_param_count(params.param_names(), v)?;
                BgNbdParams::new(v[0], v[1], v[2], v[3])
            })
            .collect::<Result<_>>()?,
    };
    if models.is_empty() {
        return Err(Error::InvalidData("no parameter draws".into()));
    }
    let mut index: HashMap<(u64, u64, u64), usize> = HashMap::new();
    let mut distinct: Vec<usize> = Vec::new();
    let slot: Vec<usize> = (0..data.len())
        .map(|i| {
            let key = (
                data.frequency[i].to_bits(),
                data.recency[i].to_bits(),
                data.age[i].to_bits(),
            );
            *index.entry(key).or_insert_with(|| {
                distinct.push(i);
                distinct.len() - 1
            })
        })
        .collect();
    drop(index);
    let per_row: Vec<(u64, u64, f64)> = distinct
        .par_iter()
        .map(|&i| {
            let c = data.customer(i);
            let (x, t) = (c.frequency, c.age);
            // (P(alive), updated parameters) per draw.
            let parts: Vec<(f64, BgNbdParams)> = models
                .iter()
                .map(|m| {
                    let updated = BgNbdParams::new(m.r + x, m.alpha + t, m.a, m.b + x)?;
                    Ok((m.probability_alive(x, c.recency, t), updated))
                })
                .collect::<Result<_>>()?;
            let pmf = |n: u64| -> Result<f64> {
                let mut sum = 0.0;
                for (alive, updated) in &parts {
                    let p = updated.prob_purchases(n, horizon)?;
                    sum += alive * p + if n == 0 { 1.0 - alive } else { 0.0 };
                }
                let p = sum / parts.len() as f64;
                if p.is_finite() {
                    Ok(p)
                } else {
                    Err(Error::Numerical(format!(
                        "P(Y = {n}) for row {i} (x={x}, t_x={}, T={t})",
                        c.recency
                    )))
                }
            };
            let p_none = pmf(0)?;
            let mut cdf = p_none;
            let mut n = 0;
            while cdf < q_lo {
                n += 1;
                cdf += pmf(n)?;
            }
            let lo = n;
            while cdf < q_hi {
                n += 1;
                if n > MAX_COUNT {
                    return Err(Error::Numerical(format!(
                        "the {q_hi} quantile of the purchases of row {i} exceeds {MAX_COUNT}"
                    )));
                }
                cdf += pmf(n)?;
            }
            Ok((lo, n, p_none))
        })
        .collect::<Result<_>>()?;
    Ok(CountIntervals {
        level,
        lo: slot.iter().map(|&k| per_row[k].0).collect(),
        hi: slot.iter().map(|&k| per_row[k].1).collect(),
        p_none: slot.iter().map(|&k| per_row[k].2).collect(),
    })
}

/// Maps finite floats to integers in the same order (as `f64::total_cmp`).
#[inline]
fn order_key(v: f64) -> u64 {
    let b = v.to_bits();
    b ^ (((b as i64 >> 63) as u64) | (1 << 63))
}

/// The inverse of [`order_key`].
#[inline]
fn from_order_key(k: u64) -> f64 {
    let b = if k >> 63 == 1 { k ^ (1 << 63) } else { !k };
    f64::from_bits(b)
}

/// `[lo, hi, mean]` of finite `values`, selecting on integer keys in
/// `scratch` (same length); `values` is left unchanged.
fn summary(values: &mut [f64], scratch: &mut [u64], lo: f64, hi: f64) -> [f64; 3] {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    for (k, &v) in scratch.iter_mut().zip(values.iter()) {
        *k = order_key(v);
    }
    let (a, b) = quantiles_by_key(scratch, lo, hi);
    [a, b, mean]
}

/// [`quantiles`] on [`order_key`]s (integer comparisons are cheaper).
fn quantiles_by_key(keys: &mut [u64], lo: f64, hi: f64) -> (f64, f64) {
    let n = keys.len();
    let last = (n - 1) as f64;
    let (h_lo, h_hi) = (last * lo, last * hi);
    let (k_lo, k_hi) = (h_lo.floor() as usize, h_hi.floor() as usize);
    let (f_lo, f_hi) = (h_lo - k_lo as f64, h_hi - k_hi as f64);
    let min = |s: &[u64]| from_order_key(s.iter().copied().min().unwrap_or(u64::MAX));
    let (_, &mut x_lo, right) = keys.select_nth_unstable(k_lo);
    let x_lo = from_order_key(x_lo);
    let q_lo = if f_lo > 0.0 {
        x_lo + f_lo * (min(right) - x_lo)
    } else {
        x_lo
    };
    let q_hi = if k_hi == k_lo {
        if f_hi > 0.0 {
            x_lo + f_hi * (min(right) - x_lo)
        } else {
            x_lo
        }
    } else {
        let (_, &mut x_hi, above) = right.select_nth_unstable(k_hi - k_lo - 1);
        let x_hi = from_order_key(x_hi);
        if f_hi > 0.0 {
            x_hi + f_hi * (min(above) - x_hi)
        } else {
            x_hi
        }
    };
    (q_lo, q_hi.max(q_lo))
}

/// The linearly interpolated sample quantiles (type 7) at probabilities
/// `lo <= hi` of non-empty, NaN-free `values` (reordered in place), by
/// selection in O(n).
pub(crate) fn quantiles(values: &mut [f64], lo: f64, hi: f64) -> (f64, f64) {
    let n = values.len();
    let last = (n - 1) as f64;
    let (h_lo, h_hi) = (last * lo, last * hi);
    let (k_lo, k_hi) = (h_lo.floor() as usize, h_hi.floor() as usize);
    let (f_lo, f_hi) = (h_lo - k_lo as f64, h_hi - k_hi as f64);
    let min = |s: &[f64]| s.iter().copied().fold(f64::INFINITY, f64::min);
    let (_, &mut x_lo, right) = values.select_nth_unstable_by(k_lo, f64::total_cmp);
    // `right` holds the order statistics above k_lo, in some order.
    let q_lo = if f_lo > 0.0 {
        x_lo + f_lo * (min(right) - x_lo)
    } else {
        x_lo
    };
    let q_hi = if k_hi == k_lo {
        if f_hi > 0.0 {
            x_lo + f_hi * (min(right) - x_lo)
        } else {
            x_lo
        }
    } else {
        let (_, &mut x_hi, above) = right.select_nth_unstable_by(k_hi - k_lo - 1, f64::total_cmp);
        if f_hi > 0.0 {
            x_hi + f_hi * (min(above) - x_hi)
        } else {
            x_hi
        }
    };
    (q_lo, q_hi.max(q_lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type7(mut v: Vec<f64>, p: f64) -> f64 {
        v.sort_by(f64::total_cmp);
        let h = (v.len() - 1) as f64 * p;
        let k = h.floor() as usize;
        if k + 1 < v.len() {
            v[k] + (h - k as f64) * (v[k + 1] - v[k])
        } else {
            v[k]
        }
    }

    #[test]
    fn quantiles_match_sorting() {
        let mut rng = rng_for(1, 9, 0);
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let v: Vec<f64> = (0..n).map(|_| rng.random::<f64>().powi(3)).collect();
            for (lo, hi) in [
                (0.05, 0.95),
                (0.25, 0.75),
                (0.5, 0.5),
                (0.0, 1.0),
                (0.4, 0.41),
            ] {
                let mut w = v.clone();
                let (a, b) = quantiles(&mut w, lo, hi);
                assert_eq!(a, type7(v.clone(), lo), "n={n} lo={lo}");
                assert_eq!(b, type7(v.clone(), hi), "n={n} hi={hi}");
            }
        }
    }

    #[test]
    fn integer_keys_keep_the_order_and_give_the_same_quantiles() {
        let mut rng = rng_for(2, 9, 0);
        let mut v: Vec<f64> = (0..500)
            .map(|_| (rng.random::<f64>() - 0.3) * 10f64.powi(rng.random_range(-300..300)))
            .collect();
        v.extend([0.0, -0.0, 1.0, -1.0, f64::MAX, f64::MIN, f64::MIN_POSITIVE]);
        for &a in &v {
            assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
            for &b in v.iter().take(50) {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b));
            }
        }
        for n in [2usize, 3, 10, 1000] {
            let mut w = v[..n.min(v.len())].to_vec();
            let mut keys = vec![0; w.len()];
            let s = summary(&mut w, &mut keys, 0.05, 0.95);
            let (a, b) = quantiles(&mut w.clone(), 0.05, 0.95);
            assert_eq!((s[0], s[1]), (a, b));
        }
    }

    #[test]
    fn cholesky_reconstructs() {
        let a = vec![
            vec![4.0, 2.0, 0.4],
            vec![2.0, 3.0, 0.5],
            vec![0.4, 0.5, 1.0],
        ];
        let l = cholesky(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((s - a[i][j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }
}
