//! # clv-core: the statistics core of `clv`
//!
//! Data in, numbers out: special functions, the "buy till you die" purchase
//! models, the Gamma-Gamma spend model, maximum-likelihood fitting with standard
//! errors, per-customer predictions and lifetime value, and simulation. This
//! crate does no I/O, no async and knows nothing of Arrow; the `clv-data` crate
//! and the `clv` binary sit on top of it.
//!
//! Every model follows the same shape: a parameter struct with a validating
//! constructor (evaluation cannot fail afterwards), a fitter that turns a
//! [`data::CustomerData`] into a fitted model with a [`fit::FitReport`], and
//! predictions through the [`model::PurchaseModel`] trait.
//!
//! Time is always in the model's own unit (see [`time::TimeUnit`]); nothing in
//! this crate assumes a month is 30 of anything.
#![deny(missing_docs)]

pub mod bgbb;
pub mod bgnbd;
pub mod data;
pub mod economics;
pub mod error;
pub mod fit;
pub mod gamma_gamma;
pub mod interval;
pub mod mbg_nbd;
pub mod model;
pub mod models;
mod numeric;
pub mod optim;
pub mod pareto_nbd;
pub mod sbg;
pub mod sim;
pub mod special;
pub mod time;
pub mod validation;
pub mod value;

pub use data::{Customer, CustomerData};
pub use error::{Error, Result};
pub use time::{Horizon, TimeUnit};
