//! Fit diagnostics: whether the data carried the fitted parameters.
//!
//! A maximum-likelihood fit always returns *some* numbers. On data too thin
//! for the model (four customers, no repeat buyers, two weeks of history)
//! those numbers are not estimates: the optimiser wanders off towards a
//! limit of the parameter space (`r = 53,156,554`), the observed
//! information is singular (no standard errors, or NaN), or a standard error
//! dwarfs its estimate (`a = 10.2`, se 187). Predictions from such a fit
//! look precise and are not, so [`diagnose`] turns a fit report and a
//! summary of the data into [`Diagnostics`]: `identified` and the
//! [`Warning`]s that say why not, in words a user can act on.
//!
//! [`diagnose`] is a pure function of the parameters, the
//! [`FitReport`] and a [`DataSummary`]; it applies to every purchase model
//! of the registry ([`crate::models::ModelKind`], through [`for_purchase`]),
//! to Gamma-Gamma ([`for_spend`]) and to sBG cohorts ([`for_retention`]).
//!
//! # Rules
//!
//! The model is **not identified** when any of these holds (each is a
//! blocking [`WarningCode`]):
//!
//! | code | rule | constant |
//! |---|---|---|
//! | `not-converged` | the optimiser stopped without meeting its criterion | — |
//! | `no-standard-errors` | the observed information is not positive definite, or a standard error is not finite | — |
//! | `large-standard-error` | a standard error exceeds [`MAX_RELATIVE_SE`] times its estimate | 1.0 |
//! | `parameter-at-bound` | a shape parameter left [`SHAPE_MIN`]`..=`[`SHAPE_MAX`] | 1e-4 .. 1e4 |
//! | `too-few-customers` | fewer customers than [`MIN_CUSTOMERS`] in the fit | 30 |
//! | `too-few-repeat-buyers` | fewer repeat buyers than [`MIN_REPEAT_BUYERS`] | 20 |
//!
//! and this one is a warning that does not block on its own:
//!
//! | code | rule | constant |
//! |---|---|---|
//! | `short-window` | the longest customer history is shorter than [`MIN_WINDOW_DAYS`] days | 90 |
//!
//! Scale parameters (BG/NBD's `alpha`, Pareto/NBD's `alpha` and `beta`,
//! Gamma-Gamma's `v`) carry the unit of time or money, so no fixed bound
//! applies to them; when one runs off, its shape partner (`r`, `s`, `q`)
//! runs off with it (their ratio is what the data pin down) and is caught.
//!
//! When the data are thin (few customers, few repeat buyers, a short window)
//! and the fit shows a symptom, the thin data are listed first: they are
//! what the user can change.

use std::fmt;

use crate::fit::FitReport;
use crate::models::ModelKind;

/// Largest accepted ratio of a standard error to its estimate.
///
/// With a standard error equal to the estimate, the usual 95% interval
/// (estimate ± 1.96 se) already reaches from below zero to about three
/// times the estimate: the data cannot tell the value from zero or from
/// triple it, and predictions that depend on it (dropout for `a`, `b`;
/// purchase rates for `r`, `alpha`) are not carried by the data. On healthy
/// fits the ratio is far smaller: on the CDNOW sample (2,357 customers)
/// BG/NBD's largest is 0.28 (`a`), and at 100,000 simulated customers
/// every ratio is below 0.03.
pub const MAX_RELATIVE_SE: f64 = 1.0;

/// Smallest accepted value of a shape parameter (dimensionless: `r`, `a`,
/// `b`, `s`, `p`, `q`, BG/BB's and sBG's `alpha`, `beta`, `gamma`,
/// `delta`).
///
/// The optimiser works on `ln(parameter)` without bounds, so "running into
/// a bound" means running towards 0 or infinity. A Beta or Gamma shape
/// below 1e-4 puts almost all customers at the edge (every customer
/// immortal, or buying at rate 0): the fit has slid into a limit of the
/// model, not found an interior estimate. Published fits sit between 0.05
/// and 50.
pub const SHAPE_MIN: f64 = 1e-4;

/// Largest accepted value of a shape parameter (see [`SHAPE_MIN`]).
///
/// Above 1e4 a Gamma or Beta distribution has a coefficient of variation
/// below 1%: the heterogeneity the model exists to describe has vanished,
/// and the shape and its scale grow together without bound (only their
/// ratio is determined), which is how `r = 53,156,554` came out of four
/// customers.
pub const SHAPE_MAX: f64 = 1e4;

/// Fewest customers a model may be fitted on.
///
/// Each model estimates the *distribution* of purchase rates, dropout
/// probabilities or spend across customers from one draw per customer,
/// with two parameters per distribution: below about 30 draws a
/// distribution's shape is not determined (the usual small-sample rule of
/// thumb, and where the fits on the test fixtures start to show the
/// symptoms above). For Gamma-Gamma the customers are the repeat buyers it
/// is fitted on.
pub const MIN_CUSTOMERS: f64 = 30.0;

/// Fewest repeat buyers a purchase model may be fitted on.
///
/// Only customers with a repeat purchase show a rate and (by the silence
/// after their last purchase) a dropout; one-time buyers only bound them.
/// With fewer than 20 repeat buyers the dropout parameters rest on a
/// handful of histories.
pub const MIN_REPEAT_BUYERS: f64 = 20.0;

/// Shortest observation window (the longest customer history, first
/// purchase to the end of calibration), in days, before a warning.
///
/// Dropout is told apart from a pause by silences several times the usual
/// gap between purchases; for typical retail gaps of a few weeks that takes
/// about three months. A shorter window does not block on its own (a large
/// sample can still pin the parameters, which the standard errors show),
/// but it is named as a likely cause when the fit fails.
pub const MIN_WINDOW_DAYS: f64 = 90.0;

/// What the data a model was fitted on looked like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataSummary {
    /// Customers in the fit (sum of weights; for Gamma-Gamma, the repeat
    /// buyers it was fitted on).
    pub customers: f64,
    /// Repeat buyers among them (`x > 0`), when known.
    pub repeat_buyers: Option<f64>,
    /// The longest customer history in days (first purchase to the end of
    /// calibration), when known.
    pub window_days: Option<f64>,
}

/// Why a fit is, or may be, not identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WarningCode {
    /// The optimiser did not converge.
    NotConverged,
    /// No finite standard errors (the observed information is not positive definite).
    NoStandardErrors,
    /// A standard error larger than [`MAX_RELATIVE_SE`] times its estimate.
    LargeStandardError,
    /// A shape parameter outside [`SHAPE_MIN`]..=[`SHAPE_MAX`].
    ParameterAtBound,
    /// Fewer than [`MIN_CUSTOMERS`] customers.
    TooFewCustomers,
    /// Fewer than [`MIN_REPEAT_BUYERS`] repeat buyers.
    TooFewRepeatBuyers,
    /// A window shorter than [`MIN_WINDOW_DAYS`] (does not block on its own).
    ShortWindow,
}

impl WarningCode {
    /// The code as written in model files (`not-converged`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::NotConverged => "not-converged",
            WarningCode::NoStandardErrors => "no-standard-errors",
            WarningCode::LargeStandardError => "large-standard-error",
            WarningCode::ParameterAtBound => "parameter-at-bound",
            WarningCode::TooFewCustomers => "too-few-customers",
            WarningCode::TooFewRepeatBuyers => "too-few-repeat-buyers",
            WarningCode::ShortWindow => "short-window",
        }
    }

    /// Whether this warning alone makes the model not identified.
    pub fn blocks(self) -> bool {
        !matches!(self, WarningCode::ShortWindow)
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason, typed and in words.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// What kind of problem.
    pub code: WarningCode,
    /// The problem in words, with the numbers.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The verdict on one fit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diagnostics {
    /// Whether the data carried the parameters (no blocking warning).
    pub identified: bool,
    /// Every reason found, thin data first.
    pub warnings: Vec<Warning>,
}

/// One fitted parameter as [`diagnose`] sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param<'a> {
    /// The paper's name.
    pub name: &'a str,
    /// The estimate.
    pub value: f64,
    /// Its standard error (NaN when unknown).
    pub se: f64,
    /// Whether it carries a unit (time or money), so no fixed bound applies.
    pub scale: bool,
}

/// What [`diagnose`] needs from a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSummary<'a> {
    /// The model's name in messages (`BG/NBD`, `Gamma-Gamma`).
    pub model: &'a str,
    /// The parameters.
    pub params: Vec<Param<'a>>,
    /// Whether the optimiser converged.
    pub converged: bool,
}

/// Scale parameters of a purchase model (see the module docs).
pub fn scale_params(kind: ModelKind) -> &'static [&'static str] {
    match kind {
        ModelKind::BgNbd | ModelKind::MbgNbd => &["alpha"],
        ModelKind::ParetoNbd => &["alpha", "beta"],
        ModelKind::BgBb => &[],
    }
}

/// Gamma-Gamma's scale parameter.
pub const GAMMA_GAMMA_SCALES: &[&str] = &["v"];

fn summary_of<'a>(
    model: &'a str,
    names: &[&'a str],
    values: &[f64],
    report: &FitReport,
    scales: &[&str],
) -> FitSummary<'a> {
    FitSummary {
        model,
        params: names
            .iter()
            .enumerate()
            .map(|(i, &name)| Param {
                name,
                value: values.get(i).copied().unwrap_or(f64::NAN),
                se: report.standard_errors.get(i).copied().unwrap_or(f64::NAN),
                scale: scales.contains(&name),
            })
            .collect(),
        converged: report.converged,
    }
}

/// Diagnoses a fitted purchase model of the registry.
pub fn for_purchase(
    kind: ModelKind,
    values: &[f64],
    report: &FitReport,
    data: &DataSummary,
) -> Diagnostics {
    diagnose(
        &summary_of(
            kind.label(),
            kind.param_names(),
            values,
            report,
            scale_params(kind),
        ),
        data,
    )
}

/// Diagnoses a Gamma-Gamma fit (`values` = `p, q, v`); `data.customers`
/// are the repeat buyers it was fitted on.
pub fn for_spend(values: &[f64], report: &FitReport, data: &DataSummary) -> Diagnostics {
    diagnose(
        &summary_of(
            "Gamma-Gamma",
            &["p", "q", "v"],
            values,
            report,
            GAMMA_GAMMA_SCALES,
        ),
        &DataSummary {
            repeat_buyers: None,
            ..*data
        },
    )
}

/// Diagnoses an sBG cohort fit (`values` = `alpha, beta`, both shapes);
/// `data.customers` is the cohort size. Repeat buyers do not apply.
pub fn for_retention(values: &[f64], report: &FitReport, data: &DataSummary) -> Diagnostics {
    diagnose(
        &summary_of("sBG", &["alpha", "beta"], values, report, &[]),
        &DataSummary {
            repeat_buyers: None,
            ..*data
        },
    )
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        return "not a number".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Applies the rules of the module docs to one fit.
pub fn diagnose(fit: &FitSummary<'_>, data: &DataSummary) -> Diagnostics {
    let model = fit.model;
    let mut warnings = Vec::new();
    let mut push = |code, message: String| warnings.push(Warning { code, message });
    // The causes a user can change come first.
    if data.customers < MIN_CUSTOMERS {
        push(
            WarningCode::TooFewCustomers,
            format!(
                "too few customers: {model} was fitted on {} (at least {} are needed to \
                 estimate how customers differ)",
                count(data.customers),
                count(MIN_CUSTOMERS)
            ),
        );
    }
    if let Some(r) = data.repeat_buyers
        && r < MIN_REPEAT_BUYERS
    {
        push(
            WarningCode::TooFewRepeatBuyers,
            format!(
                "too few repeat buyers: {} of {} customers bought more than once (at least {} \
                 are needed to estimate purchase rates and dropout)",
                count(r),
                count(data.customers),
                count(MIN_REPEAT_BUYERS)
            ),
        );
    }
    if let Some(w) = data.window_days
        && w < MIN_WINDOW_DAYS
    {
        push(
            WarningCode::ShortWindow,
            format!(
                "too short a window: the longest customer history is {} days (under {} days, \
                 a customer who stopped buying cannot be told from one between purchases)",
                count(w.round()),
                count(MIN_WINDOW_DAYS)
            ),
        );
    }
    if !fit.converged {
        push(
            WarningCode::NotConverged,
            format!("{model} did not converge: the optimiser stopped before finding a maximum"),
        );
    }
    let bad_se: Vec<&str> = fit
        .params
        .iter()
        .filter(|p| !(p.se.is_finite() && p.se >= 0.0))
        .map(|p| p.name)
        .collect();
    if !bad_se.is_empty() {
        push(
            WarningCode::NoStandardErrors,
            format!(
                "{model} has no finite standard error for {}: the data do not determine \
                 every parameter (the observed information is singular)",
                bad_se.join(", ")
            ),
        );
    }
    for p in &fit.params {
        if !p.scale && p.value.is_finite() && !(SHAPE_MIN..=SHAPE_MAX).contains(&p.value) {
            push(
                WarningCode::ParameterAtBound,
                format!(
                    "{model} parameter {} = {} ran towards {} (accepted range {} to {}): the fit \
                     slid into a limit of the model instead of an estimate",
                    p.name,
                    num(p.value),
                    if p.value < SHAPE_MIN { "0" } else { "infinity" },
                    num(SHAPE_MIN),
                    num(SHAPE_MAX)
                ),
            );
        } else if !p.value.is_finite() {
            push(
                WarningCode::ParameterAtBound,
                format!("{model} parameter {} is not a finite number", p.name),
            );
        }
    }
    for p in &fit.params {
        if p.se.is_finite() && p.value.is_finite() && p.se > MAX_RELATIVE_SE * p.value.abs() {
            push(
                WarningCode::LargeStandardError,
                format!(
                    "{model} parameter {} = {} has a standard error of {} ({:.0}% of the \
                     estimate, at most {:.0}% accepted): the data cannot pin it down",
                    p.name,
                    num(p.value),
                    num(p.se),
                    100.0 * p.se / p.value.abs(),
                    100.0 * MAX_RELATIVE_SE
                ),
            );
        }
    }
    let identified = !warnings.iter().any(|w| w.code.blocks());
    Diagnostics {
        identified,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerData;
    use crate::models::FitOptions;

    fn plenty() -> DataSummary {
        DataSummary {
            customers: 10_000.0,
            repeat_buyers: Some(4_000.0),
            window_days: Some(365.0),
        }
    }

    fn fit(params: &[(&'static str, f64, f64)], converged: bool) -> FitSummary<'static> {
        FitSummary {
            model: "BG/NBD",
            params: params
                .iter()
                .map(|&(name, value, se)| Param {
                    name,
                    value,
                    se,
                    scale: name == "alpha",
                })
                .collect(),
            converged,
        }
    }

    fn codes(d: &Diagnostics) -> Vec<WarningCode> {
        d.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn a_healthy_fit_on_plenty_of_data_is_identified_without_warnings() {
        let d = diagnose(
            &fit(
                &[("r", 0.24, 0.01), ("alpha", 4.4, 0.2), ("a", 0.79, 0.2)],
                true,
            ),
            &plenty(),
        );
        assert!(d.identified);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn each_symptom_blocks_and_says_which_parameter() {
        let cases: [(FitSummary, WarningCode, &str); 5] = [
            (
                fit(&[("r", 0.24, 0.01)], false),
                WarningCode::NotConverged,
                "converge",
            ),
            (
                fit(&[("a", 0.5, f64::NAN)], true),
                WarningCode::NoStandardErrors,
                "a",
            ),
            (
                fit(&[("a", 10.2, 187.0)], true),
                WarningCode::LargeStandardError,
                "a = 10.2",
            ),
            (
                fit(&[("r", 5.3e7, 1.0)], true),
                WarningCode::ParameterAtBound,
                "infinity",
            ),
            (
                fit(&[("a", 6e-8, 0.0)], true),
                WarningCode::ParameterAtBound,
                "towards 0",
            ),
        ];
        for (f, code, text) in cases {
            let d = diagnose(&f, &plenty());
            assert!(!d.identified, "{code}");
            let w = d
                .warnings
                .iter()
                .find(|w| w.code == code)
                .expect("the code");
            assert!(w.message.contains(text), "{}", w.message);
        }
    }

    #[test]
    fn a_scale_parameter_has_no_fixed_bound() {
        // alpha in days on yearly data, v in yen: large but fine.
        let d = diagnose(&fit(&[("alpha", 3.0e6, 1.0e5)], true), &plenty());
        assert!(d.identified, "{:?}", d.warnings);
    }

    #[test]
    fn relative_standard_error_threshold_is_inclusive_at_one() {
        assert!(diagnose(&fit(&[("a", 2.0, 2.0)], true), &plenty()).identified);
        assert!(!diagnose(&fit(&[("a", 2.0, 2.01)], true), &plenty()).identified);
    }

    #[test]
    fn thin_data_blocks_and_comes_first_but_a_short_window_alone_only_warns() {
        let good = fit(&[("r", 0.24, 0.01)], true);
        let d = diagnose(
            &good,
            &DataSummary {
                customers: 29.0,
                ..plenty()
            },
        );
        assert!(!d.identified);
        assert_eq!(codes(&d), [WarningCode::TooFewCustomers]);
        let d = diagnose(
            &good,
            &DataSummary {
                repeat_buyers: Some(19.0),
                ..plenty()
            },
        );
        assert_eq!(codes(&d), [WarningCode::TooFewRepeatBuyers]);
        assert!(!d.identified);
        let d = diagnose(
            &good,
            &DataSummary {
                window_days: Some(60.0),
                ..plenty()
            },
        );
        assert!(d.identified);
        assert_eq!(codes(&d), [WarningCode::ShortWindow]);
        let bad = fit(&[("a", 10.2, 187.0)], true);
        let d = diagnose(
            &bad,
            &DataSummary {
                window_days: Some(60.0),
                ..plenty()
            },
        );
        assert_eq!(
            codes(&d),
            [WarningCode::ShortWindow, WarningCode::LargeStandardError]
        );
        assert!(d.warnings[0].message.contains("60 days"));
    }

    #[test]
    fn unknown_counts_are_not_held_against_the_fit() {
        let d = diagnose(
            &fit(&[("r", 0.24, 0.01)], true),
            &DataSummary {
                customers: 500.0,
                repeat_buyers: None,
                window_days: None,
            },
        );
        assert!(d.identified && d.warnings.is_empty());
    }

    #[test]
    fn codes_serialise_in_kebab_case() {
        for code in [
            WarningCode::NotConverged,
            WarningCode::NoStandardErrors,
            WarningCode::LargeStandardError,
            WarningCode::ParameterAtBound,
            WarningCode::TooFewCustomers,
            WarningCode::TooFewRepeatBuyers,
            WarningCode::ShortWindow,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<WarningCode>(&json).unwrap(), code);
        }
    }

    /// `(x, t_x, T)` rows in days as data for `kind` in weeks, and the summary.
    fn data(rows: &[(f64, f64, f64)]) -> (CustomerData, DataSummary) {
        let d = CustomerData::new(
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1 / 7.0).collect(),
            rows.iter().map(|r| r.2 / 7.0).collect(),
        )
        .unwrap();
        let s = DataSummary {
            customers: rows.len() as f64,
            repeat_buyers: Some(rows.iter().filter(|r| r.0 > 0.0).count() as f64),
            window_days: Some(rows.iter().map(|r| r.2).fold(0.0, f64::max)),
        };
        (d, s)
    }

    fn fitted(kind: ModelKind, d: &CustomerData, s: &DataSummary) -> Diagnostics {
        match kind.fit(d, &FitOptions::default()) {
            Ok(f) => for_purchase(kind, &f.model.param_values(), &f.report, s),
            // A fit that fails outright is an error, not a model file.
            Err(_) => Diagnostics {
                identified: false,
                warnings: vec![],
            },
        }
    }

    const CONTINUOUS: [ModelKind; 3] = [ModelKind::BgNbd, ModelKind::ParetoNbd, ModelKind::MbgNbd];

    #[test]
    fn four_customers_over_three_months_are_not_identified_by_any_model() {
        let (d, s) = data(&[
            (1.0, 40.0, 84.0),
            (2.0, 56.0, 80.0),
            (0.0, 0.0, 75.0),
            (1.0, 53.0, 54.0),
        ]);
        for kind in CONTINUOUS {
            let diag = fitted(kind, &d, &s);
            assert!(!diag.identified, "{kind}");
        }
        let diag = fitted(ModelKind::BgNbd, &d, &s);
        let c = codes(&diag);
        assert!(c.contains(&WarningCode::TooFewCustomers), "{c:?}");
        assert!(c.contains(&WarningCode::TooFewRepeatBuyers), "{c:?}");
        assert!(c.contains(&WarningCode::ShortWindow), "{c:?}");
    }

    #[test]
    fn all_one_time_buyers_are_not_identified() {
        let rows: Vec<(f64, f64, f64)> = (0..200).map(|i| (0.0, 0.0, 100.0 + i as f64)).collect();
        let (d, s) = data(&rows);
        for kind in CONTINUOUS {
            let diag = fitted(kind, &d, &s);
            assert!(!diag.identified, "{kind}");
            if !diag.warnings.is_empty() {
                assert!(codes(&diag).contains(&WarningCode::TooFewRepeatBuyers));
            }
        }
    }

    #[test]
    fn everyone_buying_every_day_for_two_weeks_is_not_identified() {
        // 100 customers, each buying on each of 14 days: no heterogeneity
        // and no dropout to see.
        let rows: Vec<(f64, f64, f64)> = (0..100).map(|_| (13.0, 13.0, 13.0)).collect();
        let (d, s) = data(&rows);
        for kind in CONTINUOUS {
            let diag = fitted(kind, &d, &s);
            assert!(!diag.identified, "{kind}: {:?}", diag.warnings);
        }
        let diag = fitted(ModelKind::BgNbd, &d, &s);
        assert!(codes(&diag).contains(&WarningCode::ShortWindow));
    }

    #[test]
    fn a_large_simulated_sample_is_identified_by_every_continuous_model() {
        use crate::bgnbd::BgNbdParams;
        use crate::sim::{Simulation, summarize};
        let sim = Simulation {
            purchases: BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap(),
            spend: None,
            customers: 5_000,
            acquisition: 12.0,
            end: 52.0,
            seed: 11,
        };
        let (d, _) = summarize(&sim.run().unwrap(), sim.end).unwrap();
        let s = DataSummary {
            customers: d.len() as f64,
            repeat_buyers: Some(d.frequency.iter().filter(|&&x| x > 0.0).count() as f64),
            window_days: Some(52.0 * 7.0),
        };
        for kind in CONTINUOUS {
            let diag = fitted(kind, &d, &s);
            assert!(diag.identified, "{kind}: {:?}", diag.warnings);
        }
    }

    #[test]
    fn gamma_gamma_on_four_repeat_buyers_is_not_identified() {
        use crate::gamma_gamma::GammaGammaFitter;
        let x = [1.0, 2.0, 1.0, 3.0];
        let m = [12.0, 23.5, 40.0, 18.0];
        let f = GammaGammaFitter::default().fit(&x, &m, &[1.0; 4]).unwrap();
        let d = for_spend(
            &f.params.to_array(),
            &f.report,
            &DataSummary {
                customers: 4.0,
                repeat_buyers: None,
                window_days: Some(84.0),
            },
        );
        assert!(!d.identified);
        assert!(codes(&d).contains(&WarningCode::TooFewCustomers));
    }
}
