//! Per-customer summaries as the models see them, and their compression.
//!
//! A customer is described by `(x, t_x, T)`: `x` repeat purchases, the time
//! `t_x` of the last purchase measured from the first, and the age `T` (time
//! from the first purchase to the end of observation), all in one
//! [`TimeUnit`](crate::TimeUnit). Identical rows carry the same information, so
//! fitting works on [`CustomerData`] compressed to distinct rows with weights.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// One customer's repeat-purchase summary, in the model's time unit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Customer {
    /// `x`: number of repeat purchases (purchases after the first). Integer-valued.
    pub frequency: f64,
    /// `t_x`: time from the first to the last purchase (0 when `x = 0`).
    pub recency: f64,
    /// `T`: time from the first purchase to the end of the observation window.
    pub age: f64,
}

impl Customer {
    /// Creates a customer summary, checking `x >= 0` integer, `0 <= t_x <= T`, all finite.
    pub fn new(frequency: f64, recency: f64, age: f64) -> Result<Self> {
        let c = Customer {
            frequency,
            recency,
            age,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks the summary's invariants (see [`Customer::new`]).
    pub fn validate(&self) -> Result<()> {
        let Customer {
            frequency: x,
            recency: t_x,
            age: t,
        } = *self;
        if !(x.is_finite() && t_x.is_finite() && t.is_finite()) {
            return Err(Error::InvalidData(format!(
                "non-finite summary (x={x}, t_x={t_x}, T={t})"
            )));
        }
        if x < 0.0 || x.fract() != 0.0 {
            return Err(Error::InvalidData(format!(
                "frequency must be a non-negative integer, got {x}"
            )));
        }
        if t_x < 0.0 || t_x > t * (1.0 + 1e-12) {
            return Err(Error::InvalidData(format!(
                "recency must satisfy 0 <= t_x <= T, got t_x={t_x}, T={t}"
            )));
        }
        if x == 0.0 && t_x != 0.0 {
            return Err(Error::InvalidData(format!(
                "a customer without repeat purchases must have recency 0, got {t_x}"
            )));
        }
        Ok(())
    }
}

/// A column-oriented set of customer summaries with weights.
///
/// `weight[i]` says how many identical customers row `i` stands for (1 for raw
/// data). Spend is not part of it: spend models take each row's mean
/// repeat-purchase value as a separate column (see
/// [`GammaGammaFitter::fit`](crate::gamma_gamma::GammaGammaFitter::fit)).
///
/// Build it with [`CustomerData::new`] or [`CustomerData::with_weights`],
/// which validate every row; the columns are public for reading, and code
/// that edits them must keep the rows valid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerData {
    /// `x` per row.
    pub frequency: Vec<f64>,
    /// `t_x` per row.
    pub recency: Vec<f64>,
    /// `T` per row.
    pub age: Vec<f64>,
    /// How many customers each row stands for.
    pub weight: Vec<f64>,
}

impl CustomerData {
    /// Builds unweighted data (every weight 1) from columns, validating each row.
    pub fn new(frequency: Vec<f64>, recency: Vec<f64>, age: Vec<f64>) -> Result<Self> {
        let n = frequency.len();
        Self::with_weights(frequency, recency, age, vec![1.0; n])
    }

    /// Builds weighted data from columns, validating each row and weight.
    pub fn with_weights(
        frequency: Vec<f64>,
        recency: Vec<f64>,
        age: Vec<f64>,
        weight: Vec<f64>,
    ) -> Result<Self> {
        let n = frequency.len();
        if recency.len() != n || age.len() != n || weight.len() != n {
            return Err(Error::InvalidData(format!(
                "column lengths differ: frequency {n}, recency {}, age {}, weight {}",
                recency.len(),
                age.len(),
                weight.len()
            )));
        }
        let data = CustomerData {
            frequency,
            recency,
            age,
            weight,
        };
        for i in 0..n {
            data.customer(i)
                .validate()
                .map_err(|e| Error::InvalidData(format!("row {i}: {e}")))?;
            let w = data.weight[i];
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::InvalidData(format!(
                    "row {i}: weight must be positive and finite, got {w}"
                )));
            }
        }
        Ok(data)
    }

    /// Builds data from customers (weight 1 each), validating each.
    pub fn from_customers(customers: &[Customer]) -> Result<Self> {
        Self::new(
            customers.iter().map(|c| c.frequency).collect(),
            customers.iter().map(|c| c.recency).collect(),
            customers.iter().map(|c| c.age).collect(),
        )
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Total number of customers (sum of weights).
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Row `i` as a [`Customer`].
    pub fn customer(&self, i: usize) -> Customer {
        Customer {
            frequency: self.frequency[i],
            recency: self.recency[i],
            age: self.age[i],
        }
    }

    /// Merges identical `(x, t_x, T)` rows, adding their weights. Row order
    /// follows first appearance, so the result is deterministic.
    pub fn compress(&self) -> CustomerData {
        let mut index: HashMap<(u64, u64, u64), usize> = HashMap::with_capacity(self.len() / 4);
        let mut out = CustomerData::default();
        for i in 0..self.len() {
            let key = (
                self.frequency[i].to_bits(),
                self.recency[i].to_bits(),
                self.age[i].to_bits(),
            );
            match index.get(&key) {
                Some(&j) => out.weight[j] += self.weight[i],
                None => {
                    index.insert(key, out.len());
                    out.frequency.push(self.frequency[i]);
                    out.recency.push(self.recency[i]);
                    out.age.push(self.age[i]);
                    out.weight.push(self.weight[i]);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_merges_identical_rows_and_keeps_total_weight() {
        let d = CustomerData::new(
            vec![0.0, 1.0, 0.0, 1.0, 2.0],
            vec![0.0, 2.0, 0.0, 2.0, 3.0],
            vec![5.0, 5.0, 5.0, 5.0, 5.0],
        )
        .unwrap();
        let c = d.compress();
        assert_eq!(c.len(), 3);
        assert_eq!(c.weight, vec![2.0, 2.0, 1.0]);
        assert_eq!(c.total_weight(), 5.0);
    }

    #[test]
    fn invalid_rows_are_rejected() {
        assert!(Customer::new(1.0, 6.0, 5.0).is_err());
        assert!(Customer::new(-1.0, 0.0, 5.0).is_err());
        assert!(Customer::new(1.5, 1.0, 5.0).is_err());
        assert!(Customer::new(0.0, 1.0, 5.0).is_err());
        assert!(Customer::new(f64::NAN, 1.0, 5.0).is_err());
        assert!(Customer::new(2.0, 1.0, 5.0).is_ok());
    }
}
