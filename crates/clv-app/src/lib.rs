//! # clv-app: the use cases of `clv`
//!
//! Between the statistics core (`clv-core`) and the data layer (`clv-data`)
//! below, and the front ends above (the `clv` binary today; an HTTP server
//! and a Python module tomorrow), this crate owns what `clv` *does*:
//!
//! | use case | function | settings |
//! |---|---|---|
//! | per-customer summary | [`load::summarize`] | [`settings::DataSettings`] |
//! | fit a model | [`fit::fit`] | [`settings::FitSettings`] |
//! | predict every customer | [`predict::predict`] | [`settings::PredictSettings`] |
//! | score one customer (summary or transactions) from a model file | [`score::Scorer`] | a [`model_file::ModelFile`], horizon, discount rate, margin |
//! | validate on a holdout | [`validate::validate`] | [`settings::ValidateSettings`] |
//! | unit economics | [`economics::economics`] | [`settings::EconomicsSettings`] |
//! | simulate a shop | [`simulate::simulate`] | [`settings::SimulateSettings`] |
//! | segments (RFM, tiers, churn risk, next purchase, CRV, engagement) | [`influence::score`], [`influence::segment_table`] | [`settings::InfluenceSettings`] |
//! | action lists | [`actions::actions`], [`actions::write_lists`] | [`settings::InfluenceSettings`], [`settings::ActionsSettings`] |
//! | the whole job for a dashboard (fit, scores, action lists, validation, chart data) | [`analysis::run`] | [`analysis::AnalysisSettings`] |
//! | referral sources, engagement, ideal customer profile | [`reports::referrals`], [`reports::engagement`], [`reports::profile`] on [`influence::score`] | [`settings::InfluenceSettings`] |
//!
//! Each takes plain settings and a [`Progress`] receiver and returns values
//! (tables, model files, reports); files the settings name (charts, the
//! heatmap, the customers file of a simulation) are written atomically
//! through [`output::write_file`]. Nothing here parses arguments or prints:
//! a front end turns its input into settings, calls the use case, and
//! renders the result and the progress its own way. Errors are
//! [`Error`]s, which know whether the user can fix them
//! ([`Error::is_user_error`]).
//!
//! The model file ([`model_file::ModelFile`]) is the JSON `fit` writes and
//! `predict` and `economics` read; its fields are a contract.
//!
//! ```
//! use clv_app::progress::Silent;
//! use clv_app::settings::{DataSettings, ModelChoice, PredictSettings};
//!
//! # fn main() -> Result<(), clv_app::Error> {
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample.csv");
//! let mut settings = PredictSettings::new(DataSettings::for_file(path), "12 months".parse()?);
//! settings.model.model = Some("bg-nbd".parse::<ModelChoice>()?);
//! let prediction = clv_app::predict::predict(&settings, &Silent)?;
//! assert_eq!(prediction.loaded.data.len(), 2357);
//! let table = prediction.into_table();
//! assert_eq!(table.num_rows(), 2357);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod actions;
pub mod analysis;
mod auto;
pub mod charts;
pub mod economics;
pub mod error;
pub mod fit;
pub mod fitting;
pub mod influence;
pub mod load;
pub mod model_file;
pub mod output;
pub mod predict;
pub mod progress;
pub mod reports;
mod sbg;
pub mod score;
pub mod settings;
pub mod simulate;
pub mod validate;

pub use error::{Error, Result};
pub use progress::Progress;
