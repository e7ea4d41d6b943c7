//! Time units and horizons.
//!
//! Models work in one time unit chosen when the summary is built. A month is
//! 30.4375 days (365.25 / 12) and a year 365.25 days, so a horizon given as
//! "12 months" means the same span whatever unit the model was fitted in.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The unit in which times (`t_x`, `T`, horizons) are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// One day.
    Day,
    /// Seven days.
    Week,
    /// 30.4375 days (an average Gregorian month).
    Month,
    /// 365.25 days.
    Year,
}

impl TimeUnit {
    /// Length of the unit in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 30.4375,
            TimeUnit::Year => 365.25,
        }
    }

    /// Converts `amount` of this unit into `target` units.
    pub fn convert(self, amount: f64, target: TimeUnit) -> f64 {
        amount * self.days() / target.days()
    }

    /// The unit's singular name (`day`, `week`, `month`, `year`).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = Error;

    /// Accepts `day`, `week`, `month`, `year`, their plurals and the
    /// abbreviations `d`, `w`, `m`, `y` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => Ok(TimeUnit::Day),
            "w" | "week" | "weeks" => Ok(TimeUnit::Week),
            "m" | "month" | "months" => Ok(TimeUnit::Month),
            "y" | "year" | "years" => Ok(TimeUnit::Year),
            _ => Err(Error::Parse {
                what: "time unit",
                input: s.to_string(),
                reason: "expected one of day, week, month, year".into(),
            }),
        }
    }
}

/// A span of time with its unit, such as "12 months".
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Horizon {
    /// How many units.
    pub amount: f64,
    /// The unit.
    pub unit: TimeUnit,
}

impl Horizon {
    /// Creates a horizon; `amount` must be finite and positive.
    pub fn new(amount: f64, unit: TimeUnit) -> Result<Self> {
        if !(amount.is_finite() && amount > 0.0) {
            return Err(Error::InvalidParameter {
                name: "horizon",
                value: amount,
                reason: "must be positive and finite",
            });
        }
        Ok(Horizon { amount, unit })
    }

    /// The horizon's length in `unit`.
    pub fn in_unit(&self, unit: TimeUnit) -> f64 {
        self.unit.convert(self.amount, unit)
    }

    /// The horizon's length in days.
    pub fn days(&self) -> f64 {
        self.amount * self.unit.days()
    }
}

impl fmt::Display for Horizon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.amount == 1.0 { "" } else { "s" };
        write!(f, "{} {}{}", self.amount, self.unit, plural)
    }
}

impl FromStr for Horizon {
    type Err = Error;

    /// Parses `"N UNIT"` (`"12 months"`, `"52 weeks"`, `"1 year"`, `"90d"`).
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let split = t
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| Error::Parse {
                what: "horizon",
                input: s.to_string(),
                reason: "expected a number and a unit, such as \"12 months\"".into(),
            })?;
        let (num, unit) = t.split_at(split);
        let amount: f64 = num.trim().parse().map_err(|_| Error::Parse {
            what: "horizon",
            input: s.to_string(),
            reason: format!("{:?} is not a number", num.trim()),
        })?;
        let unit: TimeUnit = unit.parse().map_err(|_| Error::Parse {
            what: "horizon",
            input: s.to_string(),
            reason: format!(
                "unknown unit {:?}; use day, week, month or year",
                unit.trim()
            ),
        })?;
        Horizon::new(amount, unit).map_err(|_| Error::Parse {
            what: "horizon",
            input: s.to_string(),
            reason: "the amount must be positive".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_parse_with_units() {
        let h: Horizon = "12 months".parse().unwrap();
        assert_eq!(h.unit, TimeUnit::Month);
        assert!((h.in_unit(TimeUnit::Day) - 365.25).abs() < 1e-9);
        assert!((h.in_unit(TimeUnit::Week) - 365.25 / 7.0).abs() < 1e-12);
        let h: Horizon = "90d".parse().unwrap();
        assert_eq!(h.amount, 90.0);
        assert!("12".parse::<Horizon>().is_err());
        assert!("-1 month".parse::<Horizon>().is_err());
        assert!("3 fortnights".parse::<Horizon>().is_err());
    }
}
