//! One entry point for every purchase model: choose a model by name, fit it,
//! or rebuild it from saved parameters.
//!
//! The command line, model files, validation and prediction intervals go
//! through [`ModelKind`], so adding a model means adding a module (its
//! parameters implementing [`Parameters`] and [`ParametricModel`], its
//! fitter [`PurchaseFitter`]) and one registry entry here (a variant, its
//! [`ModelInfo`] and any [`PAIRS`] it belongs to), not a new code path.
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
use crate::model::{Parameters, ParametricModel};

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

/// What the registry knows about one model: everything a front end needs
/// (names, parameters, discreteness, a one-line summary) and how to fit or
/// rebuild it, so no caller matches on model names.
#[derive(Debug)]
pub struct ModelInfo {
    /// The command-line name, such as `"bg-nbd"`.
    pub name: &'static str,
    /// The name as written in papers and messages, such as `"BG/NBD"`.
    pub label: &'static str,
    /// A one-line description.
    pub summary: &'static str,
    /// Parameter names, in the order of values, standard errors and covariances.
    pub param_names: &'static [&'static str],
    /// Whether the model works on discrete opportunities (`T` counts them).
    pub discrete: bool,
    fit: fn(&CustomerData, &FitOptions, Option<&[f64]>) -> Result<FittedModel>,
    from_params: fn(&[f64]) -> Result<Box<dyn ParametricModel>>,
}

impl ModelInfo {
    /// The entry of a model whose fitter is `F`.
    const fn of<F: PurchaseFitter>(
        name: &'static str,
        label: &'static str,
        summary: &'static str,
        discrete: bool,
    ) -> ModelInfo {
        ModelInfo {
            name,
            label,
            summary,
            param_names: <F::Params as Parameters>::NAMES,
            discrete,
            fit: fit_with::<F>,
            from_params: from_params_with::<F::Params>,
        }
    }
}

/// A fitter of a purchase model on `(x, t_x, T)` summaries, as the registry
/// drives it: every model module implements it for its fitter.
pub trait PurchaseFitter: Sized {
    /// The model's parameters (and the fitted model).
    type Params: ParametricModel + Parameters + 'static;

    /// The fitter with default settings, `options` and an optional start.
    fn with_options(options: &FitOptions, start: Option<Self::Params>) -> Self;

    /// Fits the model: parameters and fit report.
    ///
    /// # Errors
    ///
    /// As the model's fitter.
    fn fit_summary(&self, data: &CustomerData) -> Result<(Self::Params, FitReport)>;
}

/// Implements [`PurchaseFitter`] for a fitter with `penalty` and `start`
/// fields, a `Default` and an inherent `fit(&CustomerData)` returning a
/// value with `params` and `report`.
macro_rules! purchase_fitter {
    ($fitter:ident, $params:ident) => {
        impl $crate::models::PurchaseFitter for $fitter {
            type Params = $params;

            fn with_options(options: &$crate::models::FitOptions, start: Option<$params>) -> Self {
                $fitter {
                    penalty: options.penalty,
                    start,
                    ..Default::default()
                }
            }

            fn fit_summary(
                &self,
                data: &$crate::CustomerData,
            ) -> $crate::Result<($params, $crate::fit::FitReport)> {
                let f = self.fit(data)?;
                Ok((f.params, f.report))
            }
        }
    };
}
pub(crate) use purchase_fitter;

fn fit_with<F: PurchaseFitter>(
    data: &CustomerData,
    options: &FitOptions,
    start: Option<&[f64]>,
) -> Result<FittedModel> {
    let start = start.map(F::Params::from_values).transpose()?;
    let (params, report) = F::with_options(options, start).fit_summary(data)?;
    Ok(FittedModel {
        model: Box::new(params),
        report,
    })
}

fn from_params_with<P: ParametricModel + Parameters + 'static>(
    values: &[f64],
) -> Result<Box<dyn ParametricModel>> {
    Ok(Box::new(P::from_values(values)?))
}

static BG_NBD: ModelInfo = ModelInfo::of::<crate::bgnbd::BgNbdFitter>(
    "bg-nbd",
    "BG/NBD",
    "BG/NBD (Fader, Hardie & Lee 2005)",
    false,
);
static PARETO_NBD: ModelInfo = ModelInfo::of::<crate::pareto_nbd::ParetoNbdFitter>(
    "pareto-nbd",
    "Pareto/NBD",
    "Pareto/NBD (Schmittlein, Morrison & Colombo 1987)",
    false,
);
static MBG_NBD: ModelInfo = ModelInfo::of::<crate::mbg_nbd::MbgNbdFitter>(
    "mbg-nbd",
    "MBG/NBD",
    "MBG/NBD (Batislam, Denizel & Filiztekin 2007)",
    false,
);
static BG_BB: ModelInfo = ModelInfo::of::<crate::bgbb::BgBbFitter>(
    "bg-bb",
    "BG/BB",
    "BG/BB for discrete opportunities (Fader, Hardie & Shang 2010)",
    true,
);

/// How a pair of registered models relates for a likelihood-ratio test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Relation {
    /// `restricted` is the other model with `df` parameters fixed;
    /// `boundary` when the restriction puts a parameter on the edge of its
    /// space.
    Nested {
        /// The special case.
        restricted: ModelKind,
        /// Number of restricted parameters.
        df: usize,
        /// Whether the restriction is on the boundary of the parameter space.
        boundary: bool,
    },
    /// Neither model is a special case of the other, and why.
    NotNested(&'static str),
}

/// Every pair of registered models whose relation is known (a pair not
/// listed is "not known to be nested").
///
/// Among the continuous-time models no pair is nested: BG/NBD (dropout only
/// right after a repeat purchase), MBG/NBD (dropout also at the first
/// purchase) and Pareto/NBD (exponential lifetime in calendar time) have
/// different dropout processes, each reduces to the NBD in a limit but none
/// is a special case of another, so a likelihood-ratio test does not apply
/// and AIC/BIC compare them instead.
pub const PAIRS: &[([ModelKind; 2], Relation)] = &[
    (
        [ModelKind::BgNbd, ModelKind::ParetoNbd],
        Relation::NotNested(
            "BG/NBD drops customers only right after a repeat purchase, Pareto/NBD after an \
             exponential lifetime in calendar time; neither is a special case of the other",
        ),
    ),
    (
        [ModelKind::BgNbd, ModelKind::MbgNbd],
        Relation::NotNested(
            "MBG/NBD also lets customers drop out at their first purchase; with the same four \
             parameters neither is a special case of the other",
        ),
    ),
    (
        [ModelKind::MbgNbd, ModelKind::ParetoNbd],
        Relation::NotNested(
            "MBG/NBD's dropout follows purchases, Pareto/NBD's calendar time; neither is a \
             special case of the other",
        ),
    ),
];

impl ModelKind {
    /// Every model, in the order the command line lists them.
    pub const ALL: &'static [ModelKind] = &[
        ModelKind::BgNbd,
        ModelKind::ParetoNbd,
        ModelKind::MbgNbd,
        ModelKind::BgBb,
    ];

    /// The registry entry: names, parameters, discreteness, summary.
    pub fn info(self) -> &'static ModelInfo {
        match self {
            ModelKind::BgNbd => &BG_NBD,
            ModelKind::ParetoNbd => &PARETO_NBD,
            ModelKind::MbgNbd => &MBG_NBD,
            ModelKind::BgBb => &BG_BB,
        }
    }

    /// The command-line name, such as `"bg-nbd"`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The name as written in papers and messages, such as `"BG/NBD"`.
    pub fn label(self) -> &'static str {
        self.info().label
    }

    /// A one-line description of the model.
    pub fn summary(self) -> &'static str {
        self.info().summary
    }

    /// The parameter names, in the order of standard errors and covariances.
    pub fn param_names(self) -> &'static [&'static str] {
        self.info().param_names
    }

    /// Whether the model works on discrete opportunities (BG/BB): `T` is then
    /// a number of opportunities and horizons are whole opportunities.
    pub fn is_discrete(self) -> bool {
        self.info().discrete
    }

    /// How this model relates to `other` (see [`PAIRS`]); `None` when the
    /// registry does not know.
    pub fn relation(self, other: ModelKind) -> Option<Relation> {
        PAIRS
            .iter()
            .find(|(pair, _)| *pair == [self, other] || *pair == [other, self])
            .map(|(_, relation)| *relation)
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
    /// [`Error::InvalidParameter`] (or [`Error::InvalidData`] for the wrong
    /// number of values).
    pub fn fit_with_start(
        self,
        data: &CustomerData,
        options: &FitOptions,
        start: Option<&[f64]>,
    ) -> Result<FittedModel> {
        (self.info().fit)(data, options, start)
    }

    /// Rebuilds the model from parameter values in the order of
    /// [`ModelKind::param_names`] (validated).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] for the wrong number of values,
    /// [`Error::InvalidParameter`] for a value outside its domain.
    pub fn from_params(self, values: &[f64]) -> Result<Box<dyn ParametricModel>> {
        (self.info().from_params)(values)
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
