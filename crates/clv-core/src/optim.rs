//! Maximum-likelihood machinery shared by every model: a BFGS quasi-Newton
//! minimiser with a strong-Wolfe line search, a numerical Hessian from an
//! analytic gradient, and the covariance / standard errors derived from it.
//!
//! A model plugs in by implementing [`Objective`] for its (penalised, negative,
//! per-customer) log-likelihood over **log-parameters** `theta = ln(params)`,
//! which keeps every parameter positive without constraints, then calls
//! [`Bfgs::minimize`] and [`covariance`] on the Hessian of the total negative
//! log-likelihood in natural parameters (see [`hessian_from_gradient`]).
//!
//! # References
//!
//! Nocedal, J. & Wright, S. J. (2006), *Numerical Optimization*, 2nd ed.:
//! BFGS (algorithm 6.1, initial scaling 6.20), line search for the strong
//! Wolfe conditions (algorithms 3.5 and 3.6, cubic interpolation 3.59).

#![allow(clippy::needless_range_loop)] // index-based matrix code reads best

pub use crate::fit::Termination;

/// A smooth function to minimise, with its gradient.
pub trait Objective {
    /// Number of variables.
    fn dim(&self) -> usize;

    /// Returns `f(theta)` and writes the gradient into `grad` (length
    /// [`Objective::dim`]). A non-finite value means "outside the domain":
    /// the line search then shortens the step.
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64;
}

/// The result of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub theta: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// The gradient there.
    pub gradient: Vec<f64>,
    /// Iterations (accepted steps).
    pub iterations: usize,
    /// Objective evaluations (including line-search trials).
    pub evaluations: usize,
    /// Why the minimiser stopped.
    pub termination: Termination,
}

impl Minimum {
    /// Whether the minimiser converged.
    pub fn converged(&self) -> bool {
        self.termination.converged()
    }

    /// Euclidean norm of the gradient at the minimum.
    pub fn gradient_norm(&self) -> f64 {
        self.gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
    }
}

/// BFGS settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bfgs {
    /// Maximum number of iterations.
    pub max_iterations: usize,
    /// Converged when `max_i |g_i| <= gradient_tolerance`.
    pub gradient_tolerance: f64,
    /// Converged when an iteration changes `f` by at most
    /// `function_tolerance * max(1, |f|)`.
    pub function_tolerance: f64,
    /// Largest Euclidean step length tried by the line search.
    pub max_step: f64,
    /// When the line search can no longer decrease `f` (rounding noise), the
    /// run still counts as converged if `max_i |g_i|` is below this.
    pub acceptable_gradient: f64,
}

impl Default for Bfgs {
    fn default() -> Self {
        Bfgs {
            max_iterations: 500,
            gradient_tolerance: 1e-9,
            function_tolerance: 1e-15,
            max_step: 5.0,
            acceptable_gradient: 1e-6,
        }
    }
}

struct Counter<'a, O: ?Sized> {
    obj: &'a O,
    evaluations: usize,
}

impl<O: Objective + ?Sized> Counter<'_, O> {
    fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        self.evaluations += 1;
        let f = self.obj.value_and_gradient(x, g);
        if f.is_finite() && g.iter().all(|v| v.is_finite()) {
            f
        } else {
            f64::INFINITY
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

impl Bfgs {
    /// Minimises `obj` from `start`.
    pub fn minimize<O: Objective + ?Sized>(&self, obj: &O, start: &[f64]) -> Minimum {
        self.minimize_from(obj, start, None)
    }

    /// Minimises `obj` from `start` with an initial inverse-Hessian
    /// approximation (for example the inverse of a Hessian computed on a
    /// subsample, which turns the first steps into Newton steps). Falls back
    /// to the scaled identity when `inverse_hessian` is `None`.
    pub fn minimize_from<O: Objective + ?Sized>(
        &self,
        obj: &O,
        start: &[f64],
        inverse_hessian: Option<&[Vec<f64>]>,
    ) -> Minimum {
        let n = obj.dim();
        assert_eq!(start.len(), n, "start has the wrong dimension");
        let mut counter = Counter {
            obj,
            evaluations: 0,
        };
        let mut x = start.to_vec();
        let mut g = vec![0.0; n];
        let mut f = counter.eval(&x, &mut g);
        let finish = |x: Vec<f64>, f, g, it, ev, t| Minimum {
            theta: x,
            value: f,
            gradient: g,
            iterations: it,
            evaluations: ev,
            termination: t,
        };
        if !f.is_finite() {
            return finish(x, f, g, 0, counter.evaluations, Termination::NonFiniteStart);
        }
        // Inverse Hessian approximation, row-major.
        let mut h = vec![0.0; n * n];
        for i in 0..n {
            h[i * n + i] = 1.0;
        }
        let mut first = true;
        if let Some(h0) = inverse_hessian
            && h0.len() == n
            && h0
                .iter()
                .all(|r| r.len() == n && r.iter().all(|v| v.is_finite()))
        {
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] = h0[i][j];
                }
            }
            first = false;
        }
        let mut d = vec![0.0; n];
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        for iter in 0..self.max_iterations {
            if inf_norm(&g) <= self.gradient_tolerance {
                return finish(
                    x,
                    f,
                    g,
                    iter,
                    counter.evaluations,
                    Termination::GradientTolerance,
                );
            }
            for i in 0..n {
                d[i] = -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>();
            }
            let mut slope = dot(&d, &g);
            if slope >= 0.0 || !slope.is_finite() {
                // Not a descent direction: reset to steepest descent.
                h.iter_mut().for_each(|v| *v = 0.0);
                for i in 0..n {
                    h[i * n + i] = 1.0;
                    d[i] = -g[i];
                }
                slope = -dot(&g, &g);
            }
            let norm = dot(&d, &d).sqrt();
            let alpha_max = if norm > 0.0 {
                self.max_step / norm
            } else {
                1.0
            };
            let alpha0 = if first && inverse_hessian.is_none() {
                (1.0 / inf_norm(&g)).min(1.0).min(alpha_max)
            } else {
                1.0_f64.min(alpha_max)
            };
            let step = line_search(
                &mut counter,
                &x,
                f,
                slope,
                &d,
                alpha0,
                alpha_max,
                &mut x_new,
                &mut g_new,
            );
            let Some((alpha, f_new)) = step else {
                // No decrease is possible any more: converged if the gradient
                // is already small (the tolerance was below the noise floor).
                let t = if inf_norm(&g) <= self.acceptable_gradient {
                    Termination::FunctionTolerance
                } else {
                    Termination::LineSearchFailed
                };
                return finish(x, f, g, iter, counter.evaluations, t);
            };
            let s: Vec<f64> = d.iter().map(|v| alpha * v).collect();
            let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            let f_old = f;
            x.copy_from_slice(&x_new);
            g.copy_from_slice(&g_new);
            f = f_new;
            let sy = dot(&s, &y);
            if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
                if first {
                    // Nocedal & Wright (6.20): scale the initial inverse Hessian.
                    let scale = sy / dot(&y, &y);
                    h.iter_mut().for_each(|v| *v *= scale);
                    first = false;
                }
                bfgs_update(&mut h, &s, &y, sy);
            }
            if (f_old - f).abs() <= self.function_tolerance * f.abs().max(1.0) {
                let t = if inf_norm(&g) <= self.gradient_tolerance {
                    Termination::GradientTolerance
                } else {
                    Termination::FunctionTolerance
                };
                return finish(x, f, g, iter + 1, counter.evaluations, t);
            }
        }
        let t = if inf_norm(&g) <= self.gradient_tolerance {
            Termination::GradientTolerance
        } else {
            Termination::MaxIterations
        };
        finish(x, f, g, self.max_iterations, counter.evaluations, t)
    }
}

/// `H <- (I - rho s y') H (I - rho y s') + rho s s'` with `rho = 1 / y's`.
fn bfgs_update(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
        .collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] +=
                -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// Strong-Wolfe line search (Nocedal & Wright, algorithm 3.5). Returns the
/// step and the value there, with `x_new`, `g_new` filled in.
#[allow(clippy::too_many_arguments)]
fn line_search<O: Objective + ?Sized>(
    counter: &mut Counter<'_, O>,
    x: &[f64],
    f0: f64,
    slope0: f64,
    d: &[f64],
    alpha0: f64,
    alpha_max: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<(f64, f64)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let mut eval = |alpha: f64, x_new: &mut [f64], g_new: &mut [f64]| -> (f64, f64) {
        for i in 0..x.len() {
            x_new[i] = x[i] + alpha * d[i];
        }
        let f = counter.eval(x_new, g_new);
        (f, dot(g_new, d))
    };
    let (mut a_prev, mut f_prev, mut s_prev) = (0.0, f0, slope0);
    let mut a = alpha0;
    for i in 0..40 {
        let (f, s) = eval(a, x_new, g_new);
        if !f.is_finite() {
            // Outside the domain: shrink towards the last good point.
            a = a_prev + 0.1 * (a - a_prev);
            if a - a_prev < 1e-16 {
                return None;
            }
            continue;
        }
        if f > f0 + C1 * a * slope0 || (i > 0 && f >= f_prev) {
            return zoom(
                &mut eval, f0, slope0, a_prev, f_prev, s_prev, a, f, s, x_new, g_new,
            );
        }
        if s.abs() <= -C2 * slope0 {
            return Some((a, f));
        }
        if s >= 0.0 {
            return zoom(
                &mut eval, f0, slope0, a, f, s, a_prev, f_prev, s_prev, x_new, g_new,
            );
        }
        if a >= alpha_max {
            return Some((a, f));
        }
        a_prev = a;
        f_prev = f;
        s_prev = s;
        a = (2.0 * a).min(alpha_max);
    }
    None
}

/// Nocedal & Wright algorithm 3.6 with safeguarded cubic interpolation.
#[allow(clippy::too_many_arguments)]
fn zoom(
    eval: &mut impl FnMut(f64, &mut [f64], &mut [f64]) -> (f64, f64),
    f0: f64,
    slope0: f64,
    mut a_lo: f64,
    mut f_lo: f64,
    mut s_lo: f64,
    mut a_hi: f64,
    mut f_hi: f64,
    mut s_hi: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<(f64, f64)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let mut best: Option<(f64, f64)> = None;
    for _ in 0..60 {
        let (lo, hi) = (a_lo.min(a_hi), a_lo.max(a_hi));
        let width = hi - lo;
        let mut a = cubic_min(a_lo, f_lo, s_lo, a_hi, f_hi, s_hi);
        if !(a.is_finite() && a > lo + 0.1 * width && a < hi - 0.1 * width) {
            a = 0.5 * (a_lo + a_hi);
        }
        let (f, s) = eval(a, x_new, g_new);
        if f.is_finite() && f < f0 && best.is_none_or(|(_, fb)| f < fb) {
            best = Some((a, f));
        }
        if !f.is_finite() || f > f0 + C1 * a * slope0 || f >= f_lo {
            a_hi = a;
            f_hi = if f.is_finite() { f } else { f64::MAX };
            s_hi = if f.is_finite() { s } else { 0.0 };
        } else {
            if s.abs() <= -C2 * slope0 {
                return Some((a, f));
            }
            if s * (a_hi - a_lo) >= 0.0 {
                a_hi = a_lo;
                f_hi = f_lo;
                s_hi = s_lo;
            }
            a_lo = a;
            f_lo = f;
            s_lo = s;
        }
        if (a_hi - a_lo).abs() <= 1e-14 * a_lo.abs().max(1e-300) {
            break;
        }
    }
    // No strong-Wolfe point: accept the best decrease found (sufficient for
    // progress), re-evaluating it so x_new and g_new match.
    let (a, _) = best?;
    let (f, _) = eval(a, x_new, g_new);
    Some((a, f))
}

/// Minimiser of the cubic interpolating values and slopes at two points
/// (Nocedal & Wright 3.59); NaN when it does not exist.
fn cubic_min(a0: f64, f0: f64, s0: f64, a1: f64, f1: f64, s1: f64) -> f64 {
    if f1 == f64::MAX {
        return f64::NAN;
    }
    let d1 = s0 + s1 - 3.0 * (f0 - f1) / (a0 - a1);
    let disc = d1 * d1 - s0 * s1;
    if disc < 0.0 {
        return f64::NAN;
    }
    let d2 = (a1 - a0).signum() * disc.sqrt();
    a1 - (a1 - a0) * (s1 + d2 - d1) / (s1 - s0 + 2.0 * d2)
}

/// One evaluation for [`newton`]: value, gradient and Hessian (row-major
/// rows) of the objective, plus whatever else the caller wants back from the
/// final point (for example the Hessian in natural parameters).
#[derive(Debug, Clone)]
pub struct Evaluation<T> {
    /// The objective.
    pub value: f64,
    /// Its gradient.
    pub gradient: Vec<f64>,
    /// Its Hessian.
    pub hessian: Vec<Vec<f64>>,
    /// Caller data computed at the same point.
    pub extra: T,
}

/// Newton's method with backtracking, for polishing a good starting point when
/// an analytic Hessian is cheap (one pass over the data per iteration).
///
/// Stops with [`Termination::GradientTolerance`] once `max_i |g_i| <= tolerance`.
/// Near the optimum the objective is flat to rounding, so a step that does not
/// decrease it by more than its rounding noise is still accepted when it
/// shrinks the gradient. Returns a non-converged [`Minimum`]
/// ([`Termination::LineSearchFailed`]) when the Hessian is not positive
/// definite or no step helps: the caller should then fall back to [`Bfgs`].
/// The second value is the evaluation at the returned point.
pub fn newton<T>(
    start: &[f64],
    tolerance: f64,
    max_iterations: usize,
    mut eval: impl FnMut(&[f64]) -> Evaluation<T>,
) -> (Minimum, Evaluation<T>) {
    let n = start.len();
    let finite = |e: &Evaluation<T>| {
        e.value.is_finite()
            && e.gradient.iter().all(|v| v.is_finite())
            && e.hessian.iter().all(|r| r.iter().all(|v| v.is_finite()))
    };
    let mut x = start.to_vec();
    let mut e = eval(&x);
    let mut evaluations = 1;
    let done = |x: Vec<f64>, e: Evaluation<T>, it, ev, t| {
        (
            Minimum {
                theta: x,
                value: e.value,
                gradient: e.gradient.clone(),
                iterations: it,
                evaluations: ev,
                termination: t,
            },
            e,
        )
    };
    if !finite(&e) {
        return done(x, e, 0, evaluations, Termination::NonFiniteStart);
    }
    for iter in 0..max_iterations {
        let g_norm = inf_norm(&e.gradient);
        if g_norm <= tolerance {
            return done(x, e, iter, evaluations, Termination::GradientTolerance);
        }
        let Some(inv) = invert_spd(&e.hessian) else {
            return done(x, e, iter, evaluations, Termination::LineSearchFailed);
        };
        let mut d: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| inv[i][j] * e.gradient[j]).sum::<f64>())
            .collect();
        let norm = dot(&d, &d).sqrt();
        if norm > 5.0 {
            d.iter_mut().for_each(|v| *v *= 5.0 / norm);
        }
        let slope = dot(&d, &e.gradient);
        let noise = 1e-12 * e.value.abs().max(1.0);
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..30 {
            let xn: Vec<f64> = (0..n).map(|i| x[i] + alpha * d[i]).collect();
            let en = eval(&xn);
            evaluations += 1;
            if finite(&en)
                && (en.value <= e.value + 1e-4 * alpha * slope
                    || (en.value <= e.value + noise && inf_norm(&en.gradient) < g_norm))
            {
                accepted = Some((xn, en));
                break;
            }
            alpha *= 0.5;
        }
        let Some((xn, en)) = accepted else {
            return done(x, e, iter, evaluations, Termination::LineSearchFailed);
        };
        x = xn;
        e = en;
    }
    let t = if inf_norm(&e.gradient) <= tolerance {
        Termination::GradientTolerance
    } else {
        Termination::MaxIterations
    };
    done(x, e, max_iterations, evaluations, t)
}

/// Hessian by central differences of an analytic gradient, symmetrised:
/// `H_ij ~ (g_i(x + h_j e_j) - g_i(x - h_j e_j)) / (2 h_j)` with
/// `h_j = 1e-5 * max(|x_j|, 1e-3)` (error `O(h^2)` plus rounding `O(eps/h)`,
/// about `1e-10` relative).
pub fn hessian_from_gradient<G: FnMut(&[f64], &mut [f64])>(
    x: &[f64],
    mut grad: G,
) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    for j in 0..n {
        let step = 1e-5 * x[j].abs().max(1e-3);
        xp[j] = x[j] + step;
        let up = xp[j] - x[j];
        grad(&xp, &mut gp);
        xp[j] = x[j] - step;
        let down = x[j] - xp[j];
        grad(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..n {
            h[i][j] = (gp[i] - gm[i]) / (up + down);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h
}

/// Inverse of a symmetric positive-definite matrix by Cholesky
/// decomposition; `None` when the matrix is not positive definite or not finite.
pub fn invert_spd(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = m[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
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
    // inv = L^-T L^-1: invert L (lower triangular), then multiply.
    let mut li = vec![vec![0.0; n]; n];
    for i in 0..n {
        li[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * li[k][j]).sum();
            li[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            inv[i][j] = (i.max(j)..n).map(|k| li[k][i] * li[k][j]).sum();
        }
    }
    inv.iter()
        .all(|r| r.iter().all(|v| v.is_finite()))
        .then_some(inv)
}

/// Covariance (inverse observed information) and standard errors from the
/// Hessian of the total negative log-likelihood at the optimum; `None` when
/// the Hessian is not positive definite (the optimum is not a strict
/// maximum of the likelihood, so asymptotic errors do not exist).
pub fn covariance(hessian: &[Vec<f64>]) -> Option<(Vec<Vec<f64>>, Vec<f64>)> {
    let cov = invert_spd(hessian)?;
    let se = (0..cov.len()).map(|i| cov[i][i].sqrt()).collect();
    Some((cov, se))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosenbrock;
    impl Objective for Rosenbrock {
        fn dim(&self) -> usize {
            2
        }
        fn value_and_gradient(&self, t: &[f64], g: &mut [f64]) -> f64 {
            let (x, y) = (t[0], t[1]);
            g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
            g[1] = 200.0 * (y - x * x);
            (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
        }
    }

    #[test]
    fn bfgs_minimises_rosenbrock() {
        let m = Bfgs::default().minimize(&Rosenbrock, &[-1.2, 1.0]);
        assert!(m.converged(), "{:?}", m);
        assert!((m.theta[0] - 1.0).abs() < 1e-8 && (m.theta[1] - 1.0).abs() < 1e-8);
        assert!(m.iterations < 100, "{}", m.iterations);
    }

    struct Quadratic;
    impl Objective for Quadratic {
        fn dim(&self) -> usize {
            3
        }
        fn value_and_gradient(&self, t: &[f64], g: &mut [f64]) -> f64 {
            // f = 0.5 x'Ax - b'x, A = [[4,1,0],[1,3,0.5],[0,0.5,2]], b = (1,2,3)
            let a = [[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]];
            let b = [1.0, 2.0, 3.0];
            let mut f = 0.0;
            for i in 0..3 {
                g[i] = (0..3).map(|j| a[i][j] * t[j]).sum::<f64>() - b[i];
                f += 0.5 * t[i] * (g[i] + b[i]) - b[i] * t[i];
            }
            f
        }
    }

    #[test]
    fn newton_minimises_rosenbrock_from_nearby() {
        let eval = |t: &[f64]| {
            let mut g = vec![0.0; 2];
            let f = Rosenbrock.value_and_gradient(t, &mut g);
            let (x, y) = (t[0], t[1]);
            let h = vec![
                vec![2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x],
                vec![-400.0 * x, 200.0],
            ];
            Evaluation {
                value: f,
                gradient: g,
                hessian: h,
                extra: (),
            }
        };
        let (m, e) = newton(&[1.2, 1.3], 1e-10, 50, eval);
        assert!(m.converged(), "{m:?}");
        assert!((m.theta[0] - 1.0).abs() < 1e-8 && (m.theta[1] - 1.0).abs() < 1e-8);
        assert_eq!(e.gradient, m.gradient);
        // Not positive definite at the start: no step, not converged.
        let (m, _) = newton(&[0.0, 1.0], 1e-10, 50, eval);
        assert!(!m.converged());
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        let h = hessian_from_gradient(&[0.3, -0.2, 1.0], |x, g| {
            Quadratic.value_and_gradient(x, g);
        });
        assert!((h[0][1] - 1.0).abs() < 1e-8 && (h[2][2] - 2.0).abs() < 1e-8);
        let inv = invert_spd(&h).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| h[i][k] * inv[k][j]).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-8);
            }
        }
        assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
        let m = Bfgs::default().minimize(&Quadratic, &[0.0, 0.0, 0.0]);
        assert!(m.converged() && m.iterations <= 10, "{m:?}");
    }
}
