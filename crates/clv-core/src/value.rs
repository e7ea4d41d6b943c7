//! Per-customer predictions and discounted lifetime value for any [`PurchaseModel`].
//!
//! # Formula
//!
//! For a customer with history `(x, t_x, T)`, expected spend per purchase `s`
//! and margin `m`, over a horizon `H` split into months `0 = tau_0 < tau_1 <
//! ... < tau_K = H` (a month is 30.4375 days, converted into the model's time
//! unit; the last step may be shorter):
//!
//! ```text
//! CLV = m * s * P(alive) * sum_k [E(tau_k) - E(tau_{k-1})] / (1 + d)^(tau_k in years)
//! ```
//!
//! where `E(t) = E[Y(t) | alive, x, T]` are the expected purchases in the next
//! `t` if the customer is alive ([`PurchaseModel::expected_purchases_if_alive`])
//! and `d` the annual discount rate: purchases expected during a month are
//! discounted from that month's end, as in the monthly sum of Fader, Hardie &
//! Lee's "RFM and CLV" (2005) and of `lifetimes`, but with an annual rate and
//! a calendar-correct month whatever the model's unit. With `d = 0`,
//! `CLV = m * s * E[Y(H) | x, t_x, T]`.
//!
//! Because `E(t)` depends on the history only through `(x, T)`, it is computed
//! once per distinct `(x, T)` pair and shared between customers.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::data::CustomerData;
use crate::error::{Error, Result};
use crate::model::PurchaseModel;
use crate::time::{Horizon, TimeUnit};

/// Validated settings for lifetime-value predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueSettings {
    horizon: f64,
    unit: TimeUnit,
    annual_discount_rate: f64,
    margin: f64,
}

impl ValueSettings {
    /// Settings for a model fitted in `unit`: a `horizon` (any unit), an annual
    /// discount rate `> -1` (0.1 for 10% a year) and a margin factor `>= 0`
    /// applied to revenue (1 for revenue, 0.3 for a 30% gross margin).
    pub fn new(
        horizon: Horizon,
        unit: TimeUnit,
        annual_discount_rate: f64,
        margin: f64,
    ) -> Result<Self> {
        if !(annual_discount_rate.is_finite() && annual_discount_rate > -1.0) {
            return Err(Error::InvalidParameter {
                name: "discount_rate",
                value: annual_discount_rate,
                reason: "must be finite and greater than -1 (0.1 means 10% a year)",
            });
        }
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "margin",
                value: margin,
                reason: "must be finite and non-negative (1 for revenue)",
            });
        }
        Ok(ValueSettings {
            horizon: horizon.in_unit(unit),
            unit,
            annual_discount_rate,
            margin,
        })
    }

    /// The horizon in the model's time unit.
    pub fn horizon(&self) -> f64 {
        self.horizon
    }

    /// The margin factor applied to revenue.
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// The step ends `tau_k` (model units) and their discount factors.
    pub fn schedule(&self) -> Vec<(f64, f64)> {
        let month = TimeUnit::Month.convert(1.0, self.unit);
        let steps = ((self.horizon / month) - 1e-9).ceil().max(1.0) as usize;
        let year = TimeUnit::Year.convert(1.0, self.unit);
        (1..=steps)
            .map(|k| {
                let tau = (k as f64 * month).min(self.horizon);
                let factor = (1.0 + self.annual_discount_rate).powf(-tau / year);
                (tau, factor)
            })
            .collect()
    }
}

/// Per-customer predictions, in the order of the input rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predictions {
    /// Probability the customer is still active at the end of observation.
    pub p_alive: Vec<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Vec<f64>,
    /// Discounted lifetime value over the horizon (margin applied).
    pub clv: Vec<f64>,
}

/// Predicts P(alive), expected purchases over the horizon and discounted CLV
/// for every row of `data`, with `expected_spend[i]` the expected value of one
/// purchase of customer `i` (for example from the Gamma-Gamma model).
///
/// Fails with [`Error::Numerical`] naming the row if any prediction is not
/// finite (never returns NaN).
pub fn predict(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    expected_spend: &[f64],
    settings: &ValueSettings,
) -> Result<Predictions> {
    if expected_spend.len() != data.len() {
        return Err(Error::InvalidData(format!(
            "{} spend values for {} customers",
            expected_spend.len(),
            data.len()
        )));
    }
    let schedule = settings.schedule();
    // Distinct (x, T) pairs and, per pair, E(H) and the discounted increments.
    let mut keys: HashMap<(u64, u64), usize> = HashMap::new();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let slot: Vec<usize> = (0..data.len())
        .map(|i| {
            let (x, t) = (data.frequency[i], data.age[i]);
            *keys.entry((x.to_bits(), t.to_bits())).or_insert_with(|| {
                pairs.push((x, t));
                pairs.len() - 1
            })
        })
        .collect();
    let per_pair: Vec<(f64, f64)> = pairs
        .par_iter()
        .map(|&(x, t)| {
            let mut previous = 0.0;
            let mut discounted = 0.0;
            for &(tau, factor) in &schedule {
                let e = model.expected_purchases_if_alive(x, t, tau);
                discounted += (e - previous) * factor;
                previous = e;
            }
            (previous, discounted)
        })
        .collect();
    let rows: Vec<(f64, f64, f64)> = (0..data.len())
        .into_par_iter()
        .map(|i| {
            let p = model.p_alive(&data.customer(i));
            let (e, d) = per_pair[slot[i]];
            (p, p * e, settings.margin * expected_spend[i] * p * d)
        })
        .collect();
    let mut out = Predictions {
        p_alive: Vec::with_capacity(rows.len()),
        expected_purchases: Vec::with_capacity(rows.len()),
        clv: Vec::with_capacity(rows.len()),
    };
    for (i, (p, e, v)) in rows.into_iter().enumerate() {
        if !(p.is_finite() && e.is_finite() && v.is_finite()) {
            let c = data.customer(i);
            return Err(Error::Numerical(format!(
                "{} prediction for row {i} (x={}, t_x={}, T={}, spend={}): p_alive={p}, expected_purchases={e}, clv={v}",
                model.name(),
                c.frequency,
                c.recency,
                c.age,
                expected_spend[i]
            )));
        }
        out.p_alive.push(p);
        out.expected_purchases.push(e);
        out.clv.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Customer;

    /// Always alive, purchases at a constant rate: E(t) = rate * t.
    struct Steady {
        rate: f64,
    }

    impl PurchaseModel for Steady {
        fn name(&self) -> &'static str {
            "steady"
        }
        fn log_likelihood(&self, _: &Customer) -> f64 {
            0.0
        }
        fn p_alive(&self, c: &Customer) -> f64 {
            if c.frequency > 0.0 { 1.0 } else { 0.5 }
        }
        fn expected_purchases_if_alive(&self, _: f64, _: f64, t: f64) -> f64 {
            self.rate * t
        }
        fn p_no_purchase_if_alive(&self, _: f64, _: f64, t: f64) -> f64 {
            (-self.rate * t).exp()
        }
        fn expected_purchases_new(&self, t: f64) -> f64 {
            self.rate * t
        }
    }

    #[test]
    fn undiscounted_value_is_margin_times_spend_times_expected_purchases() {
        // 2 purchases a week for 12 months = 2 * 365.25 / 7 = 104.357 purchases,
        // worth 10 each at a 30% margin: 313.07.
        let data = CustomerData::new(vec![3.0], vec![2.0], vec![5.0]).unwrap();
        let s = ValueSettings::new("12 months".parse().unwrap(), TimeUnit::Week, 0.0, 0.3).unwrap();
        let p = predict(&Steady { rate: 2.0 }, &data, &[10.0], &s).unwrap();
        let purchases = 2.0 * 365.25 / 7.0;
        assert!((p.expected_purchases[0] - purchases).abs() < 1e-9);
        assert!((p.clv[0] - 0.3 * 10.0 * purchases).abs() < 1e-9);
    }

    #[test]
    fn discounting_is_monthly_with_an_annual_rate() {
        // Daily model, 1 purchase a day, 3 months, 12% a year: each month holds
        // 30.4375 purchases, discounted by 1.12^(k/12) for k = 1, 2, 3.
        let data = CustomerData::new(vec![0.0], vec![0.0], vec![5.0]).unwrap();
        let s = ValueSettings::new("3 months".parse().unwrap(), TimeUnit::Day, 0.12, 1.0).unwrap();
        let p = predict(&Steady { rate: 1.0 }, &data, &[1.0], &s).unwrap();
        let expected: f64 = (1..=3)
            .map(|k| 30.4375 / 1.12f64.powf(k as f64 / 12.0))
            .sum::<f64>()
            * 0.5;
        assert!(
            (p.clv[0] - expected).abs() < 1e-9,
            "{} vs {expected}",
            p.clv[0]
        );
        assert_eq!(p.p_alive[0], 0.5);
    }

    #[test]
    fn a_partial_last_month_is_discounted_at_the_horizon() {
        let s = ValueSettings::new("45 days".parse().unwrap(), TimeUnit::Day, 0.1, 1.0).unwrap();
        let sched = s.schedule();
        assert_eq!(sched.len(), 2);
        assert!((sched[0].0 - 30.4375).abs() < 1e-12);
        assert_eq!(sched[1].0, 45.0);
        assert!((sched[1].1 - 1.1f64.powf(-45.0 / 365.25)).abs() < 1e-15);
    }

    #[test]
    fn bad_settings_are_rejected() {
        let h: Horizon = "1 year".parse().unwrap();
        assert!(ValueSettings::new(h, TimeUnit::Week, -1.0, 1.0).is_err());
        assert!(ValueSettings::new(h, TimeUnit::Week, f64::NAN, 1.0).is_err());
        assert!(ValueSettings::new(h, TimeUnit::Week, 0.1, -0.5).is_err());
    }
}
