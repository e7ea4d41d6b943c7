//! What a maximum-likelihood fit reports.

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
    /// Why the optimiser stopped, in words.
    pub termination: String,
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
