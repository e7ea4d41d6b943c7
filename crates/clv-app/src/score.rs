//! Scoring one customer from a model file: the real-time call of a server
//! (a CRM posts one customer's summary or transactions and gets the
//! predictions back).
//!
//! A [`Scorer`] holds a model file's models and the value settings, built
//! once; each call is cheap. The numbers are those of
//! [`crate::predict::predict`] for the same customer: the same
//! [`clv_core::value::predict`] on a one-row [`CustomerData`], the same
//! expected spend rule as [`Fitted::expected_spend`], and for transactions
//! the summary built by the same code as the ingest pipeline
//! ([`clv_data::summarize`]) with the model file's convention, time unit and
//! zero-amount policy.
//!
//! Expected spend, as [`Fitted::expected_spend`] gives it:
//!
//! * with a Gamma-Gamma spend model, its conditional expectation given
//!   `(x, monetary value)` (for `x = 0` the population mean it implies);
//! * without one, the customer's own mean repeat value when `x > 0`, and for
//!   `x = 0` the mean over the population's repeat buyers. A model file does
//!   not hold that population mean: give it with
//!   [`Scorer::with_mean_repeat_value`], else scoring a customer without
//!   repeat purchases is a user error.
//!
//! A repeat buyer (`x > 0`) needs a monetary value: neither rule has an
//! answer without it, so `None` there is a user error too.
//!
//! ```
//! use clv_app::fit::FitOutput;
//! use clv_app::progress::Silent;
//! use clv_app::score::Scorer;
//! use clv_app::settings::{DataSettings, FitSettings, SpendModel};
//!
//! # fn main() -> Result<(), clv_app::Error> {
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample.csv");
//! let mut fit = FitSettings { data: DataSettings::for_file(path), ..Default::default() };
//! fit.model.model = Some("bg-nbd".parse()?);
//! fit.model.spend = Some(SpendModel::GammaGamma);
//! let FitOutput::Model(file) = clv_app::fit::fit(&fit, &Silent)? else { unreachable!() };
//! let scorer = Scorer::new(&file, "12 months".parse()?, 0.1, 1.0)?;
//! let score = scorer.score_summary(2.0, 30.4, 38.9, Some(22.5))?;
//! assert!(score.p_alive > 0.0 && score.p_alive <= 1.0);
//! assert!(scorer.score_summary(1.0, 40.0, 38.9, Some(22.5)).is_err()); // recency > age
//! # Ok(()) }
//! ```

use chrono::NaiveDate;
use clv_core::models::ModelKind;
use clv_core::value::{self, ValueSettings};
use clv_core::{Customer, CustomerData, Horizon, TimeUnit};
use clv_data::{Convention, SummaryOptions, ZeroAmounts};
use serde::Serialize;

use crate::error::{Context, Result, usage};
use crate::fitting::Fitted;
use crate::model_file::ModelFile;

/// One customer's predictions, with the summary they were made from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// `x`: repeat purchases.
    pub frequency: f64,
    /// `t_x`: time from the first to the last purchase, in the model's unit.
    pub recency: f64,
    /// `T`: time from the first purchase to the observation end, in the
    /// model's unit.
    #[serde(rename = "T")]
    pub age: f64,
    /// Mean value of the repeat purchases (`None` when `x = 0`).
    pub monetary_value: Option<f64>,
    /// Probability the customer is still active at the observation end.
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected value of one future purchase.
    pub expected_spend: f64,
    /// Discounted lifetime value over the horizon (margin applied).
    pub clv: f64,
    /// The horizon, such as `12 months`.
    pub horizon: String,
}

/// A model file's models, ready to score customers one at a time (cheap to
/// call; build once). `Send + Sync`: share it between a server's threads.
pub struct Scorer {
    fitted: Fitted,
    settings: ValueSettings,
    horizon: Horizon,
    time_unit: TimeUnit,
    convention: Convention,
    zero_amounts: ZeroAmounts,
    mean_repeat_value: Option<f64>,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("model", &self.fitted.purchase.kind.name())
            .field("spend_model", &self.fitted.spend.is_some())
            .field("horizon", &self.horizon)
            .field("time_unit", &self.time_unit)
            .field("convention", &self.convention)
            .field("zero_amounts", &self.zero_amounts)
            .field("mean_repeat_value", &self.mean_repeat_value)
            .finish()
    }
}

impl Scorer {
    /// The models of `file` with the value settings of `predict`: a
    /// horizon, an annual discount rate (`> -1`) and a margin (`>= 0`).
    /// Transactions are summarised with the file's `data.convention`
    /// (`period`, else `exact`, the default, also for a model fitted on a
    /// summary file) and `data.zero_amounts` (`drop`, else `keep`); BG/BB
    /// always counts whole periods.
    ///
    /// # Errors
    ///
    /// A user error when the file's models cannot be rebuilt or the value
    /// settings are invalid.
    pub fn new(
        file: &ModelFile,
        horizon: Horizon,
        discount_rate: f64,
        margin: f64,
    ) -> Result<Scorer> {
        let fitted = Fitted::from_file(file)?;
        let settings = ValueSettings::new(horizon, file.time_unit, discount_rate, margin)
            .map_err(|e| usage(e.to_string()))?;
        let convention = if fitted.purchase.kind.is_discrete() || file.data.convention == "period" {
            Convention::Period
        } else {
            Convention::Exact
        };
        let zero_amounts = if file.data.zero_amounts == "drop" {
            ZeroAmounts::Drop
        } else {
            ZeroAmounts::Keep
        };
        Ok(Scorer {
            fitted,
            settings,
            horizon,
            time_unit: file.time_unit,
            convention,
            zero_amounts,
            mean_repeat_value: None,
        })
    }

    /// Sets the population's mean repeat purchase value (the mean of
    /// `monetary_value` over the customers with `x > 0` the model was fitted
    /// on): without a spend model it is the expected spend of a customer
    /// without repeat purchases, as in [`Fitted::expected_spend`]. Unused
    /// when the file has a spend model.
    ///
    /// # Errors
    ///
    /// A user error when `mean` is negative or not finite.
    pub fn with_mean_repeat_value(mut self, mean: f64) -> Result<Scorer> {
        if !(mean.is_finite() && mean >= 0.0) {
            return Err(usage(format!(
                "mean_repeat_value must be a finite non-negative number, got {mean}"
            )));
        }
        self.mean_repeat_value = Some(mean);
        Ok(self)
    }

    /// The purchase model.
    pub fn kind(&self) -> ModelKind {
        self.fitted.purchase.kind
    }

    /// The time unit of the model (of `recency` and `age`).
    pub fn time_unit(&self) -> TimeUnit {
        self.time_unit
    }

    /// The convention transactions are summarised with.
    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// From a summary: x (repeat purchases), t_x (recency), T (age), in the
    /// model file's time unit, and the mean amount of repeat purchases
    /// (None when unknown or x == 0).
    ///
    /// # Errors
    ///
    /// A user error naming the field for a negative or non-finite number, a
    /// non-integer frequency (and, for a discrete model, non-integer times or
    /// `x > T`), `recency > age`, a recency without repeat purchases, a
    /// monetary value with `x = 0`, no monetary value for `x > 0`, or no
    /// expected spend (see the module docs); an internal error when a
    /// prediction is not finite.
    pub fn score_summary(
        &self,
        frequency: f64,
        recency: f64,
        age: f64,
        monetary_value: Option<f64>,
    ) -> Result<Score> {
        let customer = self.check_summary(frequency, recency, age, monetary_value)?;
        let m = monetary_value.filter(|_| frequency > 0.0);
        let spend = self.expected_spend(frequency, m)?;
        let data = CustomerData::new(
            vec![customer.frequency],
            vec![customer.recency],
            vec![customer.age],
        )
        .map_err(|e| usage(e.to_string()))?;
        let p = value::predict(
            &*self.fitted.purchase.model,
            &data,
            &[spend],
            &self.settings,
        )
        .context("prediction failed")?;
        let score = Score {
            frequency,
            recency,
            age,
            monetary_value: m,
            p_alive: p.p_alive[0],
            expected_purchases: p.expected_purchases[0],
            expected_spend: spend,
            clv: p.clv[0],
            horizon: self.horizon.to_string(),
        };
        // value::predict refuses non-finite predictions; the spend is checked here.
        if !score.expected_spend.is_finite() {
            return Err(crate::Error::Failed(format!(
                "expected spend is not finite ({}) for x={frequency}",
                score.expected_spend
            )));
        }
        Ok(score)
    }

    /// From transactions (date, amount) and the observation end: builds the
    /// summary exactly as the ingest pipeline would (the model file's
    /// convention, time unit and zero-amount policy; same-day purchases
    /// merged under the `exact` convention, same-period ones under `period`),
    /// then scores it ([`Scorer::score_summary`]).
    ///
    /// # Errors
    ///
    /// A user error naming the purchase for a negative or non-finite amount
    /// or a date after `observation_end`; for no purchases (none at all, or
    /// only zero amounts when the model drops them); then as
    /// [`Scorer::score_summary`].
    pub fn score_transactions(
        &self,
        purchases: &[(NaiveDate, f64)],
        observation_end: NaiveDate,
    ) -> Result<Score> {
        self.check_purchases(purchases)?;
        if let Some((i, (d, _))) = purchases
            .iter()
            .enumerate()
            .find(|(_, (d, _))| *d > observation_end)
        {
            return Err(usage(format!(
                "purchases[{i}].date {d} is after the observation end {observation_end}"
            )));
        }
        let s = self.summarize(purchases, observation_end)?;
        let m = (s.frequency[0] > 0.0).then_some(s.monetary_value[0]);
        self.score_summary(s.frequency[0], s.recency[0], s.age[0], m)
    }

    /// P(alive) as it stood at each of `dates`, using only the purchases up
    /// to that date (the customer is not "born" before their first purchase:
    /// dates before it are skipped). In the order of `dates`.
    ///
    /// # Errors
    ///
    /// A user error naming the purchase for a negative or non-finite amount;
    /// for no purchases (none at all, or only zero amounts when the model
    /// drops them); an internal error when a probability is not finite.
    pub fn p_alive_path(
        &self,
        purchases: &[(NaiveDate, f64)],
        dates: &[NaiveDate],
    ) -> Result<Vec<(NaiveDate, f64)>> {
        self.check_purchases(purchases)?;
        let kept: Vec<(NaiveDate, f64)> = purchases
            .iter()
            .copied()
            .filter(|&(_, a)| a > 0.0 || self.zero_amounts == ZeroAmounts::Keep)
            .collect();
        let Some(first) = kept.iter().map(|p| p.0).min() else {
            return Err(usage(
                "purchases: no purchase (with a positive amount, as the model drops zero amounts)",
            ));
        };
        let model = &*self.fitted.purchase.model;
        let mut out = Vec::with_capacity(dates.len());
        let mut upto: Vec<(NaiveDate, f64)> = Vec::with_capacity(kept.len());
        for &date in dates {
            if date < first {
                continue;
            }
            upto.clear();
            upto.extend(kept.iter().copied().filter(|p| p.0 <= date));
            let s = self.summarize(&upto, date)?;
            let c = Customer::new(s.frequency[0], s.recency[0], s.age[0])
                .map_err(|e| crate::Error::Failed(format!("summary at {date}: {e}")))?;
            let p = model.p_alive(&c);
            if !p.is_finite() {
                return Err(crate::Error::Failed(format!(
                    "{} P(alive) at {date} is not finite (x={}, t_x={}, T={})",
                    model.name(),
                    c.frequency,
                    c.recency,
                    c.age
                )));
            }
            out.push((date, p));
        }
        Ok(out)
    }

    /// Amounts finite and non-negative, at least one purchase.
    fn check_purchases(&self, purchases: &[(NaiveDate, f64)]) -> Result<()> {
        if purchases.is_empty() {
            return Err(usage("purchases: no purchase given"));
        }
        for (i, &(_, a)) in purchases.iter().enumerate() {
            if !(a.is_finite() && a >= 0.0) {
                return Err(usage(format!(
                    "purchases[{i}].amount must be a finite non-negative number, got {a}"
                )));
            }
        }
        Ok(())
    }

    /// The one-customer summary of `purchases` at `observation_end` (no
    /// calibration end), by the ingest pipeline's own aggregation.
    fn summarize(
        &self,
        purchases: &[(NaiveDate, f64)],
        observation_end: NaiveDate,
    ) -> Result<clv_data::Summary> {
        let days: Vec<i32> = purchases
            .iter()
            .map(|p| clv_data::date::to_days(p.0))
            .collect();
        let amounts: Vec<f64> = purchases.iter().map(|p| p.1).collect();
        let ids = vec!["customer"; purchases.len()];
        let options = SummaryOptions {
            time_unit: self.time_unit,
            convention: self.convention,
            calibration_end: None,
            observation_end: Some(observation_end),
            zero_amounts: self.zero_amounts,
            threads: Some(1),
        };
        let (s, _) = clv_data::summarize(&ids, &days, &amounts, &options)
            .context("purchases: cannot summarise")?;
        if s.len() != 1 {
            return Err(crate::Error::Failed(format!(
                "{} customers summarised from one customer's purchases",
                s.len()
            )));
        }
        Ok(s)
    }

    /// Checks a summary; returns it as the core's customer.
    fn check_summary(
        &self,
        frequency: f64,
        recency: f64,
        age: f64,
        monetary_value: Option<f64>,
    ) -> Result<Customer> {
        let non_negative = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(usage(format!(
                    "{name} must be a finite non-negative number, got {v}"
                )))
            }
        };
        non_negative("frequency", frequency)?;
        non_negative("recency", recency)?;
        non_negative("age", age)?;
        if let Some(m) = monetary_value {
            non_negative("monetary_value", m)?;
        }
        if frequency.fract() != 0.0 {
            return Err(usage(format!(
                "frequency (repeat purchases) must be a whole number, got {frequency}"
            )));
        }
        if recency > age {
            return Err(usage(format!(
                "recency ({recency}) must not exceed age ({age}): the last purchase is before the observation end"
            )));
        }
        if frequency == 0.0 && recency != 0.0 {
            return Err(usage(format!(
                "recency must be 0 when frequency is 0 (no repeat purchase), got {recency}"
            )));
        }
        if frequency == 0.0 && monetary_value.is_some_and(|m| m != 0.0) {
            return Err(usage(
                "monetary_value is the mean of the repeat purchases: give none (or 0) when frequency is 0",
            ));
        }
        if self.kind().is_discrete() {
            for (name, v) in [("recency", recency), ("age", age)] {
                if v.fract() != 0.0 {
                    return Err(usage(format!(
                        "{name} must be a whole number of periods for {}, got {v}",
                        self.kind().name()
                    )));
                }
            }
            if frequency > age {
                return Err(usage(format!(
                    "frequency ({frequency}) must not exceed age ({age}) periods for {}",
                    self.kind().name()
                )));
            }
        }
        Customer::new(frequency, recency, age).map_err(|e| usage(e.to_string()))
    }

    /// The expected value of one future purchase, by the rule of
    /// [`Fitted::expected_spend`] (module docs).
    fn expected_spend(&self, x: f64, m: Option<f64>) -> Result<f64> {
        if x > 0.0 && m.is_none() {
            return Err(usage(
                "monetary_value (the mean of the repeat purchases) is needed when frequency > 0",
            ));
        }
        match &self.fitted.spend {
            Some(s) if s.params.p() * x + s.params.q() <= 1.0 => Err(usage(format!(
                "the Gamma-Gamma fit has q = {:.4} <= 1, so its expected spend of a customer \
                 without repeat purchases is infinite and no CLV can be given; refit without \
                 (or with a smaller) --penalty, on more repeat buyers, or predict without \
                 --spend gamma-gamma",
                s.params.q()
            ))),
            Some(s) => s
                .params
                .conditional_expected_spend(x, m.unwrap_or(0.0))
                .context("expected spend"),
            None => match (m, self.mean_repeat_value) {
                (Some(m), _) => Ok(m),
                (None, Some(mean)) => Ok(mean),
                (None, None) => Err(usage(
                    "the model file has no spend model, and the expected spend of a customer \
                     without repeat purchases is then the mean repeat purchase value of the \
                     population, which the model file does not hold: give it \
                     (Scorer::with_mean_repeat_value) or fit with --spend gamma-gamma",
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::fit::FitOutput;
    use crate::load::{Loaded, load_with};
    use crate::predict::{Prediction, predict};
    use crate::progress::Silent;
    use crate::settings::{DataSettings, FitSettings, ModelChoice, PredictSettings, SpendModel};

    fn cal_end() -> NaiveDate {
        NaiveDate::from_ymd_opt(1997, 9, 30).unwrap()
    }

    fn cdnow() -> DataSettings {
        let mut d = DataSettings::for_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/cdnow_sample.csv"
        ));
        d.calibration_end = Some(cal_end());
        d
    }

    fn horizon() -> Horizon {
        "12 months".parse().unwrap()
    }

    /// A model file fitted on the CDNOW sample (calibration to 1997-09-30),
    /// written to disk and predicted from, as `clv fit` then `clv predict
    /// --model-file` do.
    struct Case {
        file: ModelFile,
        prediction: Prediction,
    }

    fn case(model: &str, spend: bool) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let mut fit = FitSettings {
            data: cdnow(),
            ..Default::default()
        };
        fit.model.model = Some(model.parse::<ModelChoice>().unwrap());
        fit.model.spend = spend.then_some(SpendModel::GammaGamma);
        let FitOutput::Model(file) = crate::fit::fit(&fit, &Silent).unwrap() else {
            panic!("a purchase model gives a model file");
        };
        let path = dir.path().join("model.json");
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        let mut settings = PredictSettings::new(cdnow(), horizon());
        settings.model_file = Some(path);
        settings.discount_rate = 0.1;
        settings.margin = 0.3;
        let prediction = predict(&settings, &Silent).unwrap();
        Case {
            file: *file,
            prediction,
        }
    }

    fn bgnbd_gg() -> &'static Case {
        static C: OnceLock<Case> = OnceLock::new();
        C.get_or_init(|| case("bg-nbd", true))
    }

    fn bgnbd() -> &'static Case {
        static C: OnceLock<Case> = OnceLock::new();
        C.get_or_init(|| case("bg-nbd", false))
    }

    fn bgbb_gg() -> &'static Case {
        static C: OnceLock<Case> = OnceLock::new();
        C.get_or_init(|| case("bg-bb", true))
    }

    /// The transactions with each customer's purchase rows.
    fn transactions(settings: &DataSettings) -> (Loaded, clv_data::Purchases) {
        let want = clv_data::Aggregations {
            purchases: true,
            ..Default::default()
        };
        let (loaded, extra) = load_with(settings, None, want, &Silent).unwrap();
        (loaded, extra.purchases.unwrap())
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || a == b,
            "{what}: {a} vs {b}"
        );
    }

    fn scorer(c: &Case) -> Scorer {
        Scorer::new(&c.file, horizon(), 0.1, 0.3).unwrap()
    }

    /// Checks `score` against row `i` of the prediction.
    fn same_as_row(score: &Score, c: &Case, i: usize) {
        let p = &c.prediction;
        let what = |f: &str| format!("customer {} {f}", p.loaded.summary.customer_id(i));
        close(score.p_alive, p.predictions.p_alive[i], &what("p_alive"));
        close(
            score.expected_purchases,
            p.predictions.expected_purchases[i],
            &what("expected_purchases"),
        );
        close(score.expected_spend, p.spend[i], &what("expected_spend"));
        close(score.clv, p.predictions.clv[i], &what("clv"));
    }

    fn summary_row(c: &Case, i: usize) -> (f64, f64, f64, Option<f64>) {
        let s = &c.prediction.loaded.summary;
        let x = s.frequency[i];
        (
            x,
            s.recency[i],
            s.age[i],
            (x > 0.0).then_some(s.monetary_value[i]),
        )
    }

    #[test]
    fn score_summary_equals_the_prediction_rows_with_a_spend_model() {
        let c = bgnbd_gg();
        let scorer = scorer(c);
        assert_eq!(c.prediction.loaded.summary.len(), 2357);
        for i in 0..2357 {
            let (x, t_x, t, m) = summary_row(c, i);
            let score = scorer.score_summary(x, t_x, t, m).unwrap();
            same_as_row(&score, c, i);
            assert_eq!(score.horizon, "12 months");
        }
    }

    #[test]
    fn score_summary_equals_the_prediction_rows_without_a_spend_model() {
        let c = bgnbd();
        // Without the population's mean repeat value, one-time buyers have no expected spend.
        let e = scorer(c).score_summary(0.0, 0.0, 30.0, None).unwrap_err();
        assert!(
            e.is_user_error() && e.to_string().contains("no spend model"),
            "{e}"
        );
        let s = &c.prediction.loaded.summary;
        let repeat: Vec<f64> = (0..s.len())
            .filter(|&i| s.frequency[i] > 0.0)
            .map(|i| s.monetary_value[i])
            .collect();
        let mean = repeat.iter().sum::<f64>() / repeat.len() as f64;
        let scorer = scorer(c).with_mean_repeat_value(mean).unwrap();
        for i in (0..s.len()).step_by(7) {
            let (x, t_x, t, m) = summary_row(c, i);
            same_as_row(&scorer.score_summary(x, t_x, t, m).unwrap(), c, i);
        }
    }

    #[test]
    fn score_transactions_equals_score_summary_of_the_summary_row() {
        for c in [bgnbd_gg(), bgbb_gg()] {
            let scorer = scorer(c);
            let mut data = cdnow();
            if scorer.kind().is_discrete() {
                data.convention = Convention::Period;
            }
            let (loaded, purchases) = transactions(&data);
            assert_eq!(loaded.summary, c.prediction.loaded.summary);
            for i in (0..loaded.summary.len()).step_by(5) {
                let rows: Vec<(NaiveDate, f64)> = purchases
                    .dated(i)
                    .into_iter()
                    .filter(|p| p.0 <= cal_end())
                    .collect();
                let from_rows = scorer.score_transactions(&rows, cal_end()).unwrap();
                let (x, t_x, t, m) = summary_row(c, i);
                assert_eq!(from_rows, scorer.score_summary(x, t_x, t, m).unwrap());
                same_as_row(&from_rows, c, i);
            }
        }
    }

    #[test]
    fn p_alive_path_ends_at_the_customers_p_alive() {
        let c = bgnbd_gg();
        let scorer = scorer(c);
        let (loaded, purchases) = transactions(&cdnow());
        for i in (0..loaded.summary.len()).step_by(50) {
            let rows: Vec<(NaiveDate, f64)> = purchases
                .dated(i)
                .into_iter()
                .filter(|p| p.0 <= cal_end())
                .collect();
            let first = rows[0].0;
            let mid = first + chrono::Days::new(20);
            let before = first.pred_opt().unwrap();
            let path = scorer
                .p_alive_path(&rows, &[before, mid, cal_end()])
                .unwrap();
            // Not born the day before the first purchase.
            let dates: Vec<NaiveDate> = path.iter().map(|p| p.0).collect();
            assert_eq!(dates, [mid, cal_end()]);
            close(
                path[1].1,
                c.prediction.predictions.p_alive[i],
                "p_alive at the end",
            );
            // At an earlier date: the purchases up to that date only.
            let upto: Vec<(NaiveDate, f64)> = rows.iter().copied().filter(|p| p.0 <= mid).collect();
            let then = scorer.score_transactions(&upto, mid).unwrap();
            close(path[0].1, then.p_alive, "p_alive in the middle");
        }
    }

    /// `(frequency, recency, age, monetary_value)`.
    type SummaryIn = (f64, f64, f64, Option<f64>);
    /// One customer's `(date, amount)` purchases.
    type Rows = Vec<(NaiveDate, f64)>;

    #[test]
    fn bad_input_is_a_user_error_naming_the_field() {
        let scorer = scorer(bgnbd_gg());
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let summary_cases: [(SummaryIn, &str); 9] = [
            ((-1.0, 0.0, 10.0, None), "frequency"),
            ((1.0, -2.0, 10.0, Some(5.0)), "recency"),
            ((1.0, 2.0, -10.0, Some(5.0)), "age"),
            ((1.0, 2.0, f64::NAN, Some(5.0)), "age"),
            ((1.0, 2.0, 10.0, Some(-5.0)), "monetary_value"),
            (
                (1.0, 12.0, 10.0, Some(5.0)),
                "recency (12) must not exceed age",
            ),
            ((1.5, 2.0, 10.0, Some(5.0)), "frequency"),
            ((0.0, 2.0, 10.0, None), "recency must be 0"),
            ((2.0, 2.0, 10.0, None), "monetary_value"),
        ];
        for ((x, t_x, t, m), field) in summary_cases {
            let e = scorer.score_summary(x, t_x, t, m).unwrap_err();
            assert!(e.is_user_error(), "{e}");
            assert!(e.to_string().contains(field), "{field}: {e}");
        }
        let end = d("1997-09-30");
        let ok = [(d("1997-01-05"), 10.0), (d("1997-03-01"), 20.0)];
        assert!(scorer.score_transactions(&ok, end).is_ok());
        let transaction_cases: [(Rows, NaiveDate, &str); 4] = [
            (vec![], end, "no purchase"),
            (
                vec![ok[0], (d("1997-10-01"), 3.0)],
                end,
                "purchases[1].date",
            ),
            (
                vec![ok[0], (d("1997-02-01"), -3.0)],
                end,
                "purchases[1].amount",
            ),
            (
                vec![(d("1997-02-01"), f64::INFINITY)],
                end,
                "purchases[0].amount",
            ),
        ];
        for (rows, end, field) in transaction_cases {
            let e = scorer.score_transactions(&rows, end).unwrap_err();
            assert!(e.is_user_error(), "{e}");
            assert!(e.to_string().contains(field), "{field}: {e}");
            if !rows.is_empty() && !field.ends_with("date") {
                let e = scorer.p_alive_path(&rows, &[end]).unwrap_err();
                assert!(e.to_string().contains(field), "{field}: {e}");
            }
        }
        let e = scorer.p_alive_path(&[], &[end]).unwrap_err();
        assert!(
            e.is_user_error() && e.to_string().contains("no purchase"),
            "{e}"
        );
        // Value settings are checked once, when building the scorer.
        let e = Scorer::new(&bgnbd_gg().file, horizon(), -1.5, 1.0).unwrap_err();
        assert!(
            e.is_user_error() && e.to_string().contains("discount_rate"),
            "{e}"
        );
        let e = Scorer::new(&bgnbd_gg().file, horizon(), 0.1, f64::NAN).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains("margin"), "{e}");
    }

    #[test]
    fn a_discrete_model_takes_whole_periods() {
        let scorer = scorer(bgbb_gg());
        assert_eq!(bgbb_gg().file.data.convention, "period");
        assert_eq!(scorer.convention(), Convention::Period);
        for ((x, t_x, t), field) in [
            ((1.0, 2.5, 10.0), "recency"),
            ((1.0, 2.0, 10.5), "age"),
            ((1.0, 2.0, 0.0), "recency (2) must not exceed age"),
        ] {
            let e = scorer.score_summary(x, t_x, t, Some(5.0)).unwrap_err();
            assert!(
                e.is_user_error() && e.to_string().contains(field),
                "{field}: {e}"
            );
        }
        assert!(scorer.score_summary(1.0, 2.0, 10.0, Some(5.0)).is_ok());
    }

    #[test]
    fn a_scorer_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Scorer>();
    }

    #[test]
    fn a_score_serializes_with_the_prediction_columns() {
        let scorer = scorer(bgnbd_gg());
        let v = serde_json::to_value(scorer.score_summary(0.0, 0.0, 30.0, None).unwrap()).unwrap();
        for k in [
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "p_alive",
            "expected_purchases",
            "expected_spend",
            "clv",
            "horizon",
        ] {
            assert!(v.get(k).is_some(), "{k} in {v}");
        }
        assert!(v["monetary_value"].is_null());
    }
}
