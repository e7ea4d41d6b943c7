//! # clv-core: the statistics core of `clv`
//!
//! Data in, numbers out: special functions, the "buy till you die" purchase
//! models, the Gamma-Gamma spend model, maximum-likelihood fitting with standard
//! errors, per-customer predictions and lifetime value, and simulation. This
//! crate does no I/O, no async and knows nothing of Arrow; the `clv-data` crate
//! and the `clv` binary sit on top of it.
//!
//! Beside the models, the analyses of influence and action work on their
//! predictions: RFM scores, named segments, value tiers and churn risk
//! ([`segment`]), customer referral value and the CLV x CRV quadrants
//! ([`referral`]), engagement scores and group comparisons with intervals
//! ([`engagement`]), the ideal customer profile ([`profile`]) and the action
//! lists a team works from ([`actions`]).
//!
//! Every model follows the same shape: a parameter struct with a validating
//! constructor and its names defined once ([`model::Parameters`]), a
//! [`fit::Likelihood`] on its prepared data that the one maximum-likelihood
//! driver ([`fit::maximize`]) turns into a fitted model with a
//! [`fit::FitReport`], predictions through the [`model::PurchaseModel`]
//! trait, and an entry in the registry ([`models::ModelKind`]) that front
//! ends use instead of model names.
//!
//! # Failure policy
//!
//! Values are validated where they enter, once, and typed errors
//! ([`Error`]) report what is wrong; evaluation afterwards does not fail.
//!
//! - **Parameters are validated at construction.** Every parameter struct
//!   (`BgNbdParams`, `GammaGammaParams`, ...) is built only through its
//!   validating constructor (`new`, or [`model::Parameters::from_values`]),
//!   which returns [`Error::InvalidParameter`] for a value outside its
//!   domain; the fields are private (read them with the getters of the same
//!   names), so a parameter value in hand is always valid.
//! - **Inputs are validated at the boundary.** [`Customer::new`] and
//!   [`CustomerData::new`] check the `(x, t_x, T)` invariants, fitters check
//!   their settings and data, and inherent methods that take raw numbers
//!   (a frequency, an age, a horizon) return [`Result`]: invalid input is
//!   [`Error::InvalidData`], a special function that fails to converge is
//!   [`Error::Numerical`]. They never return NaN.
//! - **Trait evaluation is infallible.** The [`model::PurchaseModel`] methods
//!   return plain `f64` and are finite for a valid customer (as
//!   [`Customer::new`] checks; for the discrete BG/BB also whole-numbered)
//!   and a finite, non-negative horizon. The only exception is a special
//!   function that fails to converge in an extreme corner of the parameter
//!   space, which yields NaN rather than a wrong number; the crate's own
//!   consumers ([`value::predict`], [`interval`], [`validation`]) check and
//!   turn it into [`Error::Numerical`] naming the customer, so NaN never
//!   leaves the crate unreported.
//! - [`Error`] is `#[non_exhaustive]`: match it with a wildcard arm.
//!
//! Time is always in the model's own unit (see [`time::TimeUnit`]); nothing in
//! this crate assumes a month is 30 of anything.
#![deny(missing_docs)]

pub mod actions;
pub mod bgbb;
pub mod bgnbd;
pub mod data;
pub mod diagnostics;
pub mod economics;
pub mod engagement;
pub mod error;
pub mod fit;
pub mod gamma_gamma;
pub mod interval;
pub mod mbg_nbd;
pub mod model;
pub mod models;
pub mod next_purchase;
mod numeric;
pub mod optim;
pub mod pareto_nbd;
pub mod profile;
pub mod referral;
pub mod sbg;
pub mod segment;
pub mod sim;
pub mod special;
pub mod time;
pub mod validation;
pub mod value;

pub use data::{Customer, CustomerData};
pub use error::{Error, Result};
pub use time::{Horizon, TimeUnit};
