//! One entry point for every purchase model: choose a model by name, fit it,
//! or rebuild it from saved parameters.
//!
//! The command line, model files, validation and prediction intervals go
//! through [`ModelKind`], so adding a model means adding a module and one
//! variant here, not a new code path.
//!
//! ```
//! use clv_core::models::{FitOptions, ModelKind};
//! use clv_core::CustomerData;
//!
//! let data = CustomerData::new(
//!     vec![0.0, 2.0, 5.0, 1.0, 0.0, 3.0],
//!     vec![0.0, 20.0, 30.0, 4.0, 0.0, 35.0],
//!     vec![40.0, 38.0, 39.0, 30.0, 20.0, 36.0],
//! )?;
//! let kind: ModelKind = "bg-nbd".parse()?;
//! let fitted = kind.fit(&data, &FitOptions::default())?;
//! assert_eq!(fitted.model.param_names(), ["r", "alpha", "a", "b"]);
//! let again = kind.from_params(&fitted.model.param_values())?;
//! assert_eq!(again.param_values(), fitted.model.param_values());
//! # Ok::<(), clv_core::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::data::CustomerData;
use crate::error::{Error, Result};
use crate::fit::FitReport;
use crate::model::ParametricModel;

/// The purchase models that work on `(x, t_x, T)` summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005): [`crate::bgnbd`].
    BgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): [`crate::pareto_nbd`].
    ParetoNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): [`crate::mbg_nbd`].
    MbgNbd,
    /// BG/BB for discrete opportunities (Fader, Hardie & Shang 2010): [`crate::bgbb`].
    BgBb,
}

impl ModelKind {
    /// Every model, in the order the command line lists them.
    pub const ALL: &'static [ModelKind] = &[
        ModelKind::BgNbd,
        ModelKind::ParetoNbd,
        ModelKind::MbgNbd,
        ModelKind::BgBb,
    ];

    /// The command-line name, such as `"bg-nbd"`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bg-nbd",
            ModelKind::ParetoNbd => "pareto-nbd",
            ModelKind::MbgNbd => "mbg-nbd",
            ModelKind::BgBb => "bg-bb",
        }
    }

    /// The parameter names, in the order of standard errors and covariances.
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            ModelKind::BgNbd | ModelKind::MbgNbd => &["r", "alpha", "a", "b"],
            ModelKind::ParetoNbd => &["r", "alpha", "s", "beta"],
            ModelKind::BgBb => &["alpha", "beta", "gamma", "delta"],
        }
    }

    /// Whether the model works on discrete opportunities (BG/BB): `T` is then
    /// a number of opportunities and horizons are whole opportunities.
    pub fn is_discrete(self) -> bool {
        matches!(self, ModelKind::BgBb)
    }

    /// Fits the model by (penalised) maximum likelihood.
    ///
    /// # Errors
    ///
    /// As the model's fitter: not enough data, invalid options, or no
    /// finite optimum.
    pub fn fit(self, data: &CustomerData, options: &FitOptions) -> Result<FittedModel> {
        self.fit_with_start(data, options, None)
    }

    /// Fits the model starting the optimiser at `start` (parameter values in
    /// the order of [`ModelKind::param_names`]), as bootstrap refits do from
    /// the full-data estimates; `None` uses the fitter's own starts.
    ///
    /// # Errors
    ///
    /// As [`ModelKind::fit`]; an invalid `start` is an
    /// [`Error::InvalidParameter`].
    pub fn fit_with_start(
        self,
        data: &CustomerData,
        options: &FitOptions,
        start: Option<&[f64]>,
    ) -> Result<FittedModel> {
        if let Some(v) = start {
            crate::model::check_param_count(self.param_names(), v)?;
        }
        // Every fitter has the same shape: penalty, optional start, `fit`.
        macro_rules! fit {
            ($fitter:ident, $params:ident) => {{
                let f = $fitter {
                    penalty: options.penalty,
                    start: start
                        .map(|v| $params::new(v[0], v[1], v[2], v[3]))
                        .transpose()?,
                    ..Default::default()
                }
                .fit(data)?;
                Ok(FittedModel {
                    model: Box::new(f.params),
                    report: f.report,
                })
            }};
        }
        use crate::bgbb::{BgBbFitter, BgBbParams};
        use crate::bgnbd::{BgNbdFitter, BgNbdParams};
        use crate::mbg_nbd::{MbgNbdFitter, MbgNbdParams};
        use crate::pareto_nbd::{ParetoNbdFitter, ParetoNbdParams};
        match self {
            ModelKind::BgNbd => fit!(BgNbdFitter, BgNbdParams),
            ModelKind::ParetoNbd => fit!(ParetoNbdFitter, ParetoNbdParams),
            ModelKind::MbgNbd => fit!(MbgNbdFitter, MbgNbdParams),
            ModelKind::BgBb => fit!(BgBbFitter, BgBbParams),
        }
    }

    /// Rebuilds the model from parameter values in the order of
    /// [`ModelKind::param_names`] (validated).
    pub fn from_params(self, values: &[f64]) -> Result<Box<dyn ParametricModel>> {
        crate::model::check_param_count(self.param_names(), values)?;
        match self {
            ModelKind::BgNbd => Ok(Box::new(crate::bgnbd::BgNbdParams::new(
                values[0], values[1], values[2], values[3],
            )?)),
            ModelKind::ParetoNbd => Ok(Box::new(crate::pareto_nbd::ParetoNbdParams::new(
                values[0], values[1], values[2], values[3],
            )?)),
            ModelKind::MbgNbd => Ok(Box::new(crate::mbg_nbd::MbgNbdParams::new(
                values[0], values[1], values[2], values[3],
            )?)),
            ModelKind::BgBb => Ok(Box::new(crate::bgbb::BgBbParams::new(
                values[0], values[1], values[2], values[3],
            )?)),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ModelKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s)
            .ok_or_else(|| Error::Parse {
                what: "model name",
                input: s.to_string(),
                reason: format!(
                    "expected one of {}",
                    ModelKind::ALL
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

/// Options every fitter takes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FitOptions {
    /// L2 penalty weight (0 for plain maximum likelihood); see each fitter.
    pub penalty: f64,
}

/// A fitted purchase model with its fit report.
#[derive(Debug)]
pub struct FittedModel {
    /// The model at the estimated parameters.
    pub model: Box<dyn ParametricModel>,
    /// Log-likelihood, information criteria, convergence and standard errors
    /// (in the order of [`ModelKind::param_names`]).
    pub report: FitReport,
}
