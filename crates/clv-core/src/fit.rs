//! What a maximum-likelihood fit reports.

use std::fmt;
use std::str::FromStr;

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
