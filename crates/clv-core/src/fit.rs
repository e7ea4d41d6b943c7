//! Maximum-likelihood fitting shared by every model: what a fit reports
//! ([`FitReport`], [`Termination`]), the model's side of a fit
//! ([`Likelihood`]) and the one driver ([`maximize`]): starting points,
//! quasi-Newton, Newton polish, standard errors.

#![allow(clippy::needless_range_loop)] // index-based matrix code reads best

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::optim::{self, Bfgs, Objective};

/// The outcome of a maximum-likelihood fit: fit statistics, convergence and
/// uncertainty. Standard errors and the covariance are in the order of the
/// model's parameters as documented on its parameter struct.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitReport {
    /// Total log-likelihood at the optimum (without any penalty term).
    pub log_likelihood: f64,
    /// Akaike information criterion, `2k - 2 LL`.
    pub aic: f64,
    /// Bayesian information criterion, `k ln n - 2 LL`.
    pub bic: f64,
    /// Number of customers (sum of weights) the model was fitted on.
    pub n_customers: f64,
    /// Number of free parameters `k`.
    pub n_params: usize,
    /// Whether the optimiser met its convergence criterion.
    pub converged: bool,
    /// Optimiser iterations used.
    pub iterations: usize,
    /// Why the optimiser stopped (serialised as its [`Display`](fmt::Display) text).
    pub termination: Termination,
    /// L2 penalty weight used (0 for plain maximum likelihood).
    pub penalty: f64,
    /// Norm of the gradient of the (penalised) objective at the optimum, in log-parameter space.
    pub gradient_norm: f64,
    /// Asymptotic standard errors, from the inverse of the observed information matrix.
    pub standard_errors: Vec<f64>,
    /// Asymptotic covariance matrix of the parameters (row-major, `k x k`).
    pub covariance: Vec<Vec<f64>>,
}

impl FitReport {
    /// AIC for a log-likelihood with `k` parameters.
    pub fn aic_of(log_likelihood: f64, k: usize) -> f64 {
        2.0 * k as f64 - 2.0 * log_likelihood
    }

    /// BIC for a log-likelihood with `k` parameters and `n` observations.
    pub fn bic_of(log_likelihood: f64, k: usize, n: f64) -> f64 {
        k as f64 * n.ln() - 2.0 * log_likelihood
    }
}

/// Why the optimiser stopped.
///
/// [`Display`](fmt::Display) gives the words model files and the command
/// line print; serialisation uses the same text, and [`FromStr`] reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
#[non_exhaustive]
pub enum Termination {
    /// The largest gradient component fell below the tolerance (converged).
    GradientTolerance,
    /// An iteration changed the objective by less than the relative
    /// function tolerance, or no step could decrease it while the gradient
    /// was below [`Bfgs::acceptable_gradient`](crate::optim::Bfgs::acceptable_gradient)
    /// (converged: no further progress is possible in floating point).
    FunctionTolerance,
    /// The iteration limit was reached.
    MaxIterations,
    /// The line search found no acceptable step.
    LineSearchFailed,
    /// The objective or gradient was not finite at the starting point.
    NonFiniteStart,
    /// No optimiser ran: the parameters were given, not fitted (displayed as
    /// the empty string).
    NotFitted,
}

impl Termination {
    /// Every termination reason.
    pub const ALL: &'static [Termination] = &[
        Termination::GradientTolerance,
        Termination::FunctionTolerance,
        Termination::MaxIterations,
        Termination::LineSearchFailed,
        Termination::NonFiniteStart,
        Termination::NotFitted,
    ];

    /// Whether this termination counts as convergence.
    pub fn converged(self) -> bool {
        matches!(
            self,
            Termination::GradientTolerance | Termination::FunctionTolerance
        )
    }

    /// The reason in words, as [`Display`](fmt::Display) prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Termination::GradientTolerance => "gradient norm below tolerance",
            Termination::FunctionTolerance => {
                "no further decrease of the objective possible (change below tolerance)"
            }
            Termination::MaxIterations => "maximum number of iterations reached",
            Termination::LineSearchFailed => "line search failed to find a better point",
            Termination::NonFiniteStart => "objective not finite at the starting point",
            Termination::NotFitted => "",
        }
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Termination {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        Termination::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| crate::Error::Parse {
                what: "termination reason",
                input: s.to_string(),
                reason: "not a known termination reason".into(),
            })
    }
}

impl From<Termination> for String {
    fn from(t: Termination) -> String {
        t.as_str().to_string()
    }
}

impl TryFrom<String> for Termination {
    type Error = crate::Error;

    fn try_from(s: String) -> crate::Result<Self> {
        s.parse()
    }
}

/// Optimiser settings every maximum-likelihood fitter shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// L2 penalty: the minimised objective is `-LL / n + penalty * Σ p²`
    /// over the natural parameters `p`, with `n` the total weight. 0 gives
    /// plain maximum likelihood.
    pub penalty: f64,
    /// BFGS iteration limit per start.
    pub max_iterations: usize,
    /// Convergence tolerance on the largest gradient component of the
    /// objective above, with respect to the log-parameters.
    pub tolerance: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            penalty: 0.0,
            max_iterations: 500,
            tolerance: 1e-9,
        }
    }
}

impl Settings {
    /// Checks the penalty.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a negative or non-finite penalty.
    pub fn check(&self) -> Result<()> {
        if self.penalty.is_finite() && self.penalty >= 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                name: "penalty",
                value: self.penalty,
                reason: "must be finite and non-negative",
            })
        }
    }
}

/// The model's side of a maximum-likelihood fit: a weighted log-likelihood
/// of positive parameters on prepared (usually compressed) data.
///
/// Every method is called only with positive, finite parameters, one
/// evaluation per optimiser step: implementations loop over their rows
/// themselves (no per-customer dynamic dispatch).
pub trait Likelihood: Sync + Sized {
    /// Sum of the customers' weights `n` (the objective is per customer).
    fn total_weight(&self) -> f64;

    /// The log-likelihood and its gradient in natural parameters.
    fn log_likelihood_gradient(&self, params: &[f64]) -> (f64, Vec<f64>);

    /// The log-likelihood, its gradient and its Hessian in natural
    /// parameters. The default takes central differences of the analytic
    /// gradient ([`optim::hessian_from_gradient`]); models with an analytic
    /// Hessian override it.
    fn log_likelihood_hessian(&self, params: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let (ll, g) = self.log_likelihood_gradient(params);
        let h = optim::hessian_from_gradient(params, |q, out| {
            out.copy_from_slice(&self.log_likelihood_gradient(q).1);
        });
        (ll, g, h)
    }

    /// An unbiased subsample of the rows (weights scaled to stand for the
    /// whole) for finding a starting point cheaply, or `None` when the data
    /// are small enough to use directly.
    fn subsample(&self) -> Option<Self> {
        None
    }
}

/// How [`maximize`] searches. Each model keeps the strategy it was tuned
/// with, so its fits are reproducible to the bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// BFGS from the starts in turn until one converges, then Newton steps
    /// with [`Likelihood::log_likelihood_hessian`] (at most `iterations`);
    /// if Newton fails, the BFGS optimum. On large data the starts run on
    /// the subsample and `large` says how the full data are then reached.
    Newton {
        /// Newton iterations allowed.
        iterations: usize,
        /// What to do after the subsample's optimum on large data.
        large: LargeData,
    },
    /// BFGS from every start, the best converged run wins; on large data
    /// the starts run on the subsample and its optimum (with the inverse of
    /// its Hessian) starts BFGS on all rows. The observed information is
    /// then taken by central differences of the gradient at the optimum.
    QuasiNewton,
}

/// How [`Strategy::Newton`] reaches the full-data optimum from the
/// subsample's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LargeData {
    /// Newton steps on all rows straight from the subsample's optimum (an
    /// analytic Hessian makes each step one pass); BFGS if that fails.
    Newton,
    /// BFGS on all rows started with the subsample's inverse Hessian, to a
    /// moderate tolerance, then Newton steps with forward-difference
    /// Hessians evaluated only at accepted points (for a gradient-only
    /// model on a million customers); BFGS if that fails.
    QuasiNewtonThenForwardNewton,
}

/// The penalised per-customer objective over log-parameters.
struct LogObjective<'a, L> {
    likelihood: &'a L,
    dim: usize,
    n: f64,
    penalty: f64,
}

fn natural(theta: &[f64]) -> Vec<f64> {
    theta.iter().map(|t| t.exp()).collect()
}

fn valid(params: &[f64]) -> bool {
    params.iter().all(|v| v.is_finite() && *v > 0.0)
}

impl<L: Likelihood> Objective for LogObjective<'_, L> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let p = natural(theta);
        if !valid(&p) {
            return f64::INFINITY;
        }
        let (ll, g) = self.likelihood.log_likelihood_gradient(&p);
        let mut pen = 0.0;
        for i in 0..self.dim {
            pen += p[i] * p[i];
            // d/dθ = p d/dp
            grad[i] = p[i] * (-g[i] / self.n + 2.0 * self.penalty * p[i]);
        }
        -ll / self.n + self.penalty * pen
    }
}

/// Log-likelihood and observed information (natural parameters).
type AtOptimum = (f64, Vec<Vec<f64>>);

impl<L: Likelihood> LogObjective<'_, L> {
    /// Objective, gradient and Hessian over the log-parameters for
    /// [`optim::newton`] from the natural-parameter derivatives `(ll, g,
    /// h)`; the extra value is the log-likelihood and the observed
    /// information (Hessian of the penalised total negative log-likelihood
    /// in natural parameters).
    fn evaluation_from(
        &self,
        arr: &[f64],
        (ll, g, h): (f64, Vec<f64>, Vec<Vec<f64>>),
    ) -> optim::Evaluation<AtOptimum> {
        let k = self.dim;
        let n = self.n;
        let pen = self.penalty;
        // F = -LL/n + pen Σ p²: derivatives in natural parameters ...
        let f_grad: Vec<f64> = (0..k).map(|i| -g[i] / n + 2.0 * pen * arr[i]).collect();
        let f_hess = |i: usize, j: usize| -h[i][j] / n + if i == j { 2.0 * pen } else { 0.0 };
        // ... and over θ = ln p: ∂F/∂θ_i = p_i F_i,
        // ∂²F/∂θ_i∂θ_j = p_i p_j F_ij + δ_ij p_i F_i.
        let gradient: Vec<f64> = (0..k).map(|i| arr[i] * f_grad[i]).collect();
        let hessian: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        arr[i] * arr[j] * f_hess(i, j) + if i == j { gradient[i] } else { 0.0 }
                    })
                    .collect()
            })
            .collect();
        let information: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..k).map(|j| n * f_hess(i, j)).collect())
            .collect();
        let value = -ll / n + pen * arr.iter().map(|v| v * v).sum::<f64>();
        optim::Evaluation {
            value,
            gradient,
            hessian,
            extra: (ll, information),
        }
    }

    fn invalid(&self) -> optim::Evaluation<AtOptimum> {
        optim::Evaluation {
            value: f64::INFINITY,
            gradient: vec![f64::NAN; self.dim],
            hessian: vec![vec![f64::NAN; self.dim]; self.dim],
            extra: (f64::NAN, vec![]),
        }
    }

    /// [`Self::evaluation_from`] with the model's second derivatives.
    fn evaluation(&self, theta: &[f64]) -> optim::Evaluation<AtOptimum> {
        let arr = natural(theta);
        if !valid(&arr) {
            return self.invalid();
        }
        let d = self.likelihood.log_likelihood_hessian(&arr);
        self.evaluation_from(&arr, d)
    }

    /// [`Self::evaluation_from`] with a forward-difference Hessian (one
    /// gradient pass per parameter).
    fn evaluation_forward(&self, theta: &[f64]) -> optim::Evaluation<AtOptimum> {
        let arr = natural(theta);
        if !valid(&arr) {
            return self.invalid();
        }
        let (ll, g) = self.likelihood.log_likelihood_gradient(&arr);
        let h = forward_hessian(&arr, &g, |q, out| {
            out.copy_from_slice(&self.likelihood.log_likelihood_gradient(q).1);
        });
        self.evaluation_from(&arr, (ll, g, h))
    }
}

/// Hessian by forward differences of an analytic gradient `g` known at `x`,
/// symmetrised: `H_ij ~ (g_i(x + h_j e_j) - g_i(x)) / h_j`, `h_j = 1e-6 |x_j|`
/// (error `O(h)` plus rounding `O(eps/h)`, about `1e-6` relative).
fn forward_hessian(x: &[f64], g: &[f64], grad: impl Fn(&[f64], &mut [f64])) -> Vec<Vec<f64>> {
    let k = x.len();
    let mut h = vec![vec![0.0; k]; k];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; k];
    for j in 0..k {
        xp[j] = x[j] * (1.0 + 1e-6);
        let step = xp[j] - x[j];
        grad(&xp, &mut gp);
        xp[j] = x[j];
        for i in 0..k {
            h[i][j] = (gp[i] - g[i]) / step;
        }
    }
    for i in 0..k {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h
}

/// BFGS from each start (natural parameters); with `first_converged` it
/// stops at the first start that converges. The best result: converged
/// before not converged, then the lowest objective.
fn multi_start<O: Objective>(
    problem: &O,
    bfgs: &Bfgs,
    starts: &[Vec<f64>],
    first_converged: bool,
) -> Option<optim::Minimum> {
    let mut best: Option<optim::Minimum> = None;
    for start in starts {
        let theta: Vec<f64> = start.iter().map(|v| v.ln()).collect();
        let m = bfgs.minimize(problem, &theta);
        let better = m.value.is_finite()
            && best.as_ref().is_none_or(|b| {
                (m.converged() && !b.converged())
                    || (m.converged() == b.converged() && m.value < b.value)
            });
        if better {
            best = Some(m);
        }
        if first_converged && best.as_ref().is_some_and(|b| b.converged()) {
            break;
        }
    }
    best
}

/// The inverse Hessian (log-parameters) of `problem` at `theta`, by central
/// differences of its gradient; `None` when not positive definite.
fn inverse_hessian<O: Objective>(problem: &O, theta: &[f64]) -> Option<Vec<Vec<f64>>> {
    let h = optim::hessian_from_gradient(theta, |t, g| {
        if !problem.value_and_gradient(t, g).is_finite() {
            g.iter_mut().for_each(|v| *v = f64::NAN);
        }
    });
    optim::invert_spd(&h)
}

/// Newton steps from `theta` (near the optimum) with forward-difference
/// Hessians, evaluated only at accepted points: each step costs one
/// gradient pass per trial plus one per parameter for the next Hessian.
/// Stops when `max_i |g_i| <= tolerance`; the observed information returned
/// is the one of the last Hessian evaluation, one Newton step (a change
/// below about `1e-6` in the log-parameters) before the optimum, and the
/// log-likelihood is at the optimum. `None` when the Hessian is not positive
/// definite or no step helps (the caller falls back to BFGS).
fn polish<L: Likelihood>(
    problem: &LogObjective<'_, L>,
    theta: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> Option<(optim::Minimum, AtOptimum)> {
    let k = problem.dim;
    let inf_norm = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let finite = |v: f64, g: &[f64]| v.is_finite() && g.iter().all(|c| c.is_finite());
    let mut x = theta.to_vec();
    let mut e = problem.evaluation_forward(&x);
    let mut evaluations = 1 + k;
    if !finite(e.value, &e.gradient) {
        return None;
    }
    if inf_norm(&e.gradient) <= tolerance {
        let m = optim::Minimum {
            theta: x,
            value: e.value,
            gradient: e.gradient,
            iterations: 0,
            evaluations,
            termination: Termination::GradientTolerance,
        };
        return Some((m, e.extra));
    }
    for iter in 1..=max_iterations {
        let inv = optim::invert_spd(&e.hessian)?;
        let mut d: Vec<f64> = (0..k)
            .map(|i| -(0..k).map(|j| inv[i][j] * e.gradient[j]).sum::<f64>())
            .collect();
        let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 5.0 {
            d.iter_mut().for_each(|v| *v *= 5.0 / norm);
        }
        let slope: f64 = d.iter().zip(&e.gradient).map(|(a, b)| a * b).sum();
        let noise = 1e-12 * e.value.abs().max(1.0);
        let g_norm = inf_norm(&e.gradient);
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..30 {
            let xn: Vec<f64> = (0..k).map(|i| x[i] + step * d[i]).collect();
            let mut gn = vec![0.0; k];
            let vn = problem.value_and_gradient(&xn, &mut gn);
            evaluations += 1;
            if finite(vn, &gn)
                && (vn <= e.value + 1e-4 * step * slope
                    || (vn <= e.value + noise && inf_norm(&gn) < g_norm))
            {
                accepted = Some((xn, vn, gn));
                break;
            }
            step *= 0.5;
        }
        let (xn, vn, gn) = accepted?;
        x = xn;
        if inf_norm(&gn) <= tolerance {
            let pen: f64 = natural(&x).iter().map(|v| v * v).sum();
            let ll = -(vn - problem.penalty * pen) * problem.n;
            let m = optim::Minimum {
                theta: x,
                value: vn,
                gradient: gn,
                iterations: iter,
                evaluations,
                termination: Termination::GradientTolerance,
            };
            return Some((m, (ll, e.extra.1)));
        }
        e = problem.evaluation_forward(&x);
        evaluations += 1 + k;
        if !finite(e.value, &e.gradient) {
            return None;
        }
    }
    None
}

/// The one maximum-likelihood driver every model uses: maximises the
/// weighted log-likelihood of `likelihood` over positive parameters
/// (optimising `ln(params)`, penalised as [`Settings::penalty`] says) from
/// the starting points `starts` gives for the full data or a subsample
/// (natural parameters, a user start first), as `strategy` says. Returns
/// the parameters and the [`FitReport`], with standard errors from the
/// observed information (empty when it is not positive definite).
///
/// `model` names the model in error messages (`"BG/NBD"`).
///
/// # Errors
///
/// [`Error::InvalidParameter`] for a bad penalty, [`Error::FitFailed`]
/// when no start gives a finite optimum or the optimum is not finite.
pub fn maximize<L: Likelihood>(
    model: &str,
    likelihood: &L,
    settings: &Settings,
    strategy: Strategy,
    starts: impl Fn(&L) -> Vec<Vec<f64>>,
) -> Result<(Vec<f64>, FitReport)> {
    settings.check()?;
    let Settings {
        penalty,
        max_iterations,
        tolerance,
    } = *settings;
    let full_starts = starts(likelihood);
    let dim = full_starts.first().map_or(0, Vec::len);
    let n = likelihood.total_weight();
    fn objective<L: Likelihood>(likelihood: &L, dim: usize, penalty: f64) -> LogObjective<'_, L> {
        LogObjective {
            likelihood,
            dim,
            n: likelihood.total_weight(),
            penalty,
        }
    }
    let problem = objective(likelihood, dim, penalty);
    let bfgs = Bfgs {
        max_iterations,
        gradient_tolerance: tolerance,
        ..Bfgs::default()
    };
    let loose = Bfgs {
        gradient_tolerance: tolerance.max(1e-6),
        ..bfgs
    };
    let no_start = || {
        Error::FitFailed(format!(
            "{model}: no starting point gave a finite likelihood"
        ))
    };
    let sub = likelihood.subsample();
    let (m, at_optimum): (optim::Minimum, AtOptimum) = match strategy {
        Strategy::Newton { iterations, large } => {
            let first = |p: &LogObjective<'_, L>, b: &Bfgs, s: &[Vec<f64>]| {
                multi_start(p, b, s, true).ok_or_else(no_start)
            };
            match (&sub, large) {
                (None, _) => {
                    // BFGS on all rows, polished with Newton steps.
                    let b = first(&problem, &bfgs, &full_starts)?;
                    let (mut m, at_m) =
                        optim::newton(&b.theta, tolerance, iterations, |t| problem.evaluation(t));
                    if m.converged() {
                        m.iterations += b.iterations;
                        m.evaluations += b.evaluations;
                        (m, at_m.extra)
                    } else {
                        let at_b = problem.evaluation(&b.theta);
                        (b, at_b.extra)
                    }
                }
                (Some(sub), LargeData::Newton) => {
                    // The optimum of the subsample (only a start, so a loose
                    // tolerance will do), then Newton steps on all rows.
                    let sub_problem = objective(sub, dim, penalty);
                    let start = first(&sub_problem, &loose, &starts(sub))?.theta;
                    let (m, at_m) =
                        optim::newton(&start, tolerance, iterations, |t| problem.evaluation(t));
                    if m.converged() {
                        (m, at_m.extra)
                    } else {
                        // Newton failed (Hessian not positive definite, or no
                        // progress): BFGS on all rows, from the start and then
                        // from the usual starts.
                        let b = bfgs.minimize(&problem, &start);
                        let m = if b.converged() {
                            b
                        } else {
                            first(&problem, &bfgs, &full_starts)?
                        };
                        let at_m = problem.evaluation(&m.theta);
                        (m, at_m.extra)
                    }
                }
                (Some(sub), LargeData::QuasiNewtonThenForwardNewton) => {
                    // The optimum of the subsample and the inverse Hessian
                    // there (the objective is per customer, so it estimates
                    // the full one) start BFGS on all rows, which then needs
                    // only a few steps to a moderate tolerance; Newton with
                    // forward-difference Hessians then converges in one or
                    // two steps where BFGS would struggle with the rounding
                    // noise of a sum over a million customers.
                    let sub_problem = objective(sub, dim, penalty);
                    let start = first(&sub_problem, &loose, &starts(sub))?.theta;
                    let inverse = inverse_hessian(&sub_problem, &start);
                    let moderate = Bfgs {
                        gradient_tolerance: tolerance.max(1e-7),
                        ..bfgs
                    };
                    let b = moderate.minimize_from(&problem, &start, inverse.as_deref());
                    let from = if b.value.is_finite() {
                        &b.theta
                    } else {
                        &start
                    };
                    match polish(&problem, from, tolerance, iterations) {
                        Some((mut m, extra)) => {
                            m.iterations += b.iterations;
                            m.evaluations += b.evaluations;
                            (m, extra)
                        }
                        None => {
                            let mut m = bfgs.minimize(&problem, from);
                            if !m.converged() {
                                m = first(&problem, &bfgs, &full_starts)?;
                            }
                            let at_m = problem.evaluation_forward(&m.theta);
                            (m, at_m.extra)
                        }
                    }
                }
            }
        }
        Strategy::QuasiNewton => {
            let mut best = None;
            if let Some(sub) = &sub {
                let sub_problem = objective(sub, dim, penalty);
                if let Some(s) = multi_start(&sub_problem, &loose, &starts(sub), false) {
                    // The subsample's inverse Hessian (log-parameters) makes
                    // the first full-data steps Newton steps.
                    let inverse = inverse_hessian(&sub_problem, &s.theta);
                    let m = bfgs.minimize_from(&problem, &s.theta, inverse.as_deref());
                    if m.converged() {
                        best = Some(m);
                    }
                }
            }
            if best.is_none() {
                best = multi_start(&problem, &bfgs, &full_starts, false);
            }
            let m = best.ok_or_else(no_start)?;
            let params = natural(&m.theta);
            let ll = if valid(&params) {
                likelihood.log_likelihood_gradient(&params).0
            } else {
                f64::NAN
            };
            // Observed information of the penalised total negative
            // log-likelihood.
            let information = optim::hessian_from_gradient(&params, |p, g| {
                if valid(p) {
                    let grad = likelihood.log_likelihood_gradient(p).1;
                    for i in 0..g.len() {
                        g[i] = -grad[i] + 2.0 * penalty * n * p[i];
                    }
                } else {
                    g.iter_mut().for_each(|v| *v = f64::NAN);
                }
            });
            (m, (ll, information))
        }
    };
    let params = natural(&m.theta);
    let (ll, information) = at_optimum;
    if !valid(&params) || !ll.is_finite() {
        return Err(Error::FitFailed(format!(
            "{model}: optimiser ended at invalid parameters {params:?} ({})",
            m.termination
        )));
    }
    let (covariance, standard_errors) = optim::covariance(&information).unwrap_or_default();
    let k = params.len();
    let report = FitReport {
        log_likelihood: ll,
        aic: FitReport::aic_of(ll, k),
        bic: FitReport::bic_of(ll, k, n),
        n_customers: n,
        n_params: k,
        converged: m.converged(),
        iterations: m.iterations,
        termination: m.termination,
        penalty,
        gradient_norm: m.gradient_norm(),
        standard_errors,
        covariance,
    };
    Ok((params, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termination_text_round_trips() {
        for &t in Termination::ALL {
            assert_eq!(t.to_string().parse::<Termination>().unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("{:?}", t.to_string()));
            assert_eq!(serde_json::from_str::<Termination>(&json).unwrap(), t);
        }
        assert!("nonsense".parse::<Termination>().is_err());
    }
}
