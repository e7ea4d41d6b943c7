//! The interface every purchase model shares.
//!
//! Each purchase model (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB) implements
//! [`PurchaseModel`] and [`ParametricModel`], and its parameter struct
//! [`Parameters`], so the CLI, lifetime value, intervals and validation
//! code need no per-model code path.

use crate::data::Customer;

/// A purchase model with fixed (fitted or given) parameters.
///
/// All times are in the model's own time unit. Evaluation is infallible
/// (see the crate's failure policy): for a valid customer (see
/// [`Customer::validate`]; whole-numbered for discrete models) and a
/// finite, non-negative horizon the results are finite; NaN signals only a
/// special function that failed to converge, which callers such as
/// [`crate::value::predict`] report as [`crate::Error::Numerical`].
pub trait PurchaseModel: Sync {
    /// The model's command-line name, such as `"bg-nbd"`.
    fn name(&self) -> &'static str;

    /// The log-likelihood of one customer's `(x, t_x, T)`.
    fn log_likelihood(&self, customer: &Customer) -> f64;

    /// Probability that the customer is still active at the end of observation, in `[0, 1]`.
    fn p_alive(&self, customer: &Customer) -> f64;

    /// [`PurchaseModel::p_alive`] for many customers at once, into `out`
    /// (same length). Models whose P(alive) shares work between customers
    /// (Pareto/NBD: one series per distinct `(x, t)`) override it; the
    /// results equal the one-at-a-time values exactly.
    fn p_alive_many(&self, customers: &[Customer], out: &mut [f64]) {
        for (c, o) in customers.iter().zip(out.iter_mut()) {
            *o = self.p_alive(c);
        }
    }

    /// Expected purchases in `(T, T + t]` for a customer known to be alive at
    /// `T`, given `x` repeat purchases in `(0, T]`.
    ///
    /// For the models here the posterior given "alive at `T`" depends on the
    /// data only through `x` and `T`, so
    /// `E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) * E[Y(t) | alive, x, T]`,
    /// which lets callers share work between customers with the same `(x, T)`.
    fn expected_purchases_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64;

    /// Probability of no purchase in `(T, T + t]` for a customer known to be
    /// alive at `T`, given `x` repeat purchases in `(0, T]`.
    ///
    /// Like [`PurchaseModel::expected_purchases_if_alive`] it depends on the
    /// data only through `x` and `T` (the posterior given "alive at `T`"), so
    /// `P(no purchase in (T, T+t] | x, t_x, T) = 1 - P(alive) (1 - P0)`.
    /// In `[0, 1]`, 1 at `t = 0`, non-increasing in `t`; its slope at
    /// `t = 0` is minus the purchase rate of an alive customer, the slope of
    /// `expected_purchases_if_alive` at 0. Each model's implementation gives
    /// its formula (see [`crate::next_purchase`] for what it is used for).
    /// NaN for a negative or NaN `t` or invalid `(x, T)`.
    fn p_no_purchase_if_alive(&self, frequency: f64, age: f64, t: f64) -> f64;

    /// The median waiting time from `T` to the next purchase of a customer
    /// known to be alive at `T`: the smallest `u >= 0` with
    /// `1 - p_no_purchase_if_alive(x, T, u) >= 0.5`, or `+inf` when there is
    /// none in `[0, max_wait]` (including when even an alive customer has
    /// less than an even chance of ever buying again). NaN for invalid input.
    ///
    /// The default searches `[0, max_wait]` by bisection on
    /// [`PurchaseModel::p_no_purchase_if_alive`] to a relative tolerance of
    /// `1e-13`; models override it with a closed form or a faster
    /// search.
    fn median_wait_if_alive(&self, frequency: f64, age: f64, max_wait: f64) -> f64 {
        crate::next_purchase::bisect_median(
            |u| self.p_no_purchase_if_alive(frequency, age, u),
            max_wait,
        )
    }

    /// Expected purchases in `(T, T + t]` given the customer's history.
    fn expected_purchases(&self, customer: &Customer, t: f64) -> f64 {
        self.p_alive(customer)
            * self.expected_purchases_if_alive(customer.frequency, customer.age, t)
    }

    /// Expected repeat purchases in `(0, t]` for a new, randomly chosen customer.
    fn expected_purchases_new(&self, t: f64) -> f64;
}

/// A purchase model whose parameters can be listed by name and rebuilt from
/// a parameter vector: what model files, standard errors, the delta method and
/// parametric prediction intervals need, whatever the model.
///
/// `param_values()` and `with_params()` use the order of `param_names()`,
/// which is also the order of the [`FitReport`](crate::fit::FitReport)'s
/// standard errors and covariance.
pub trait ParametricModel: PurchaseModel + Send + std::fmt::Debug {
    /// Parameter names as in the model's paper, e.g. `["r", "alpha", "a", "b"]`.
    fn param_names(&self) -> &'static [&'static str];

    /// Parameter values in the order of [`ParametricModel::param_names`].
    fn param_values(&self) -> Vec<f64>;

    /// The same model with other parameter values (validated).
    fn with_params(&self, values: &[f64]) -> crate::Result<Box<dyn ParametricModel>>;

    /// `P(X(t) = n)`: the probability that a new, randomly chosen customer
    /// makes `n` repeat purchases in `(0, t]`, when the model has it in
    /// closed form (used for the expected-vs-actual histogram of
    /// validation). `None` when the model does not provide it.
    fn probability_of_purchases_new(&self, n: u64, t: f64) -> Option<f64> {
        let _ = (n, t);
        None
    }
}

/// A model's parameter set: its names, defined once here for the model,
/// and a validated constructor from values in that order (what model files,
/// the registry and the fitting driver use, whatever the number of
/// parameters).
pub trait Parameters: Sized {
    /// Parameter names as in the model's paper, in the order of
    /// [`Parameters::values`], standard errors and covariances.
    const NAMES: &'static [&'static str];

    /// Validated constructor from values in the order of [`Parameters::NAMES`].
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidData`] for the wrong number of values,
    /// [`crate::Error::InvalidParameter`] for a value outside its domain.
    fn from_values(values: &[f64]) -> crate::Result<Self>;

    /// The values in the order of [`Parameters::NAMES`].
    fn values(&self) -> Vec<f64>;
}

/// The [`ParametricModel`] methods that follow from [`Parameters`]
/// (`param_names`, `param_values`, `with_params`), for a model's
/// `impl ParametricModel` block.
macro_rules! parametric_from_parameters {
    () => {
        fn param_names(&self) -> &'static [&'static str] {
            <Self as $crate::model::Parameters>::NAMES
        }

        fn param_values(&self) -> Vec<f64> {
            $crate::model::Parameters::values(self)
        }

        fn with_params(
            &self,
            values: &[f64],
        ) -> $crate::Result<Box<dyn $crate::model::ParametricModel>> {
            Ok(Box::new(<Self as $crate::model::Parameters>::from_values(
                values,
            )?))
        }
    };
}
pub(crate) use parametric_from_parameters;

/// Checks that `values` has one entry per name (for [`ParametricModel::with_params`]).
pub(crate) fn check_param_count(names: &[&str], values: &[f64]) -> crate::Result<()> {
    if values.len() == names.len() {
        Ok(())
    } else {
        Err(crate::Error::InvalidData(format!(
            "expected {} parameters ({}), got {}",
            names.len(),
            names.join(", "),
            values.len()
        )))
    }
}
