//! RFM scores and segments, value tiers and churn risk.
//!
//! (Full documentation follows with the implementation.)

use crate::{Error, Result};

/// Quintile scores 1..=5 of `values`.
///
/// `score_i = 1 + floor(5 * w_i / n)` where `w_i` is the number of customers
/// with a strictly worse value (smaller when `higher_is_better`, larger
/// otherwise). Ties get the same score. NaN is an error.
pub fn quintile_scores(values: &[f64], higher_is_better: bool) -> Result<Vec<u8>> {
    let _ = (values, higher_is_better, Error::Numerical(String::new()));
    unimplemented!()
}

/// One rule of a segment map: a name and inclusive score ranges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// Inclusive range of the recency score.
    pub r: (u8, u8),
    /// Inclusive range of the frequency score.
    pub f: (u8, u8),
    /// Inclusive range of the monetary score.
    pub m: (u8, u8),
}

/// An ordered list of rules; the first matching rule names a customer's segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentMap {
    /// The rules in priority order.
    pub rules: Vec<SegmentRule>,
}

impl SegmentMap {
    /// The documented default map of eleven segments.
    pub fn default_map() -> SegmentMap {
        unimplemented!()
    }

    /// Parses a CSV text with header `segment,r_min,r_max,f_min,f_max,m_min,m_max`.
    pub fn parse(text: &str) -> Result<SegmentMap> {
        let _ = text;
        unimplemented!()
    }

    /// The segment of the score triple (scores in 1..=5).
    pub fn segment(&self, r: u8, f: u8, m: u8) -> &str {
        let _ = (r, f, m);
        unimplemented!()
    }
}

/// A value tier by rank of CLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ValueTier {
    /// The top 1 %.
    Top1,
    /// The top 10 % (below the top 1 %).
    Top10,
    /// The top half (below the top 10 %).
    Top50,
    /// The rest.
    Rest,
}

impl ValueTier {
    /// The tier's name: `top_1`, `top_10`, `top_50`, `rest`.
    pub fn name(self) -> &'static str {
        match self {
            ValueTier::Top1 => "top_1",
            ValueTier::Top10 => "top_10",
            ValueTier::Top50 => "top_50",
            ValueTier::Rest => "rest",
        }
    }
}

/// Tiers by rank of CLV (share of customers with a strictly greater CLV).
pub fn value_tiers(clv: &[f64]) -> Vec<ValueTier> {
    let _ = clv;
    unimplemented!()
}

/// Cut points of churn risk on P(alive).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChurnCuts {
    /// P(alive) below this is high risk (default 0.3).
    pub high_below: f64,
    /// P(alive) at or above this is low risk (default 0.7).
    pub low_from: f64,
}

impl Default for ChurnCuts {
    fn default() -> Self {
        ChurnCuts {
            high_below: 0.3,
            low_from: 0.7,
        }
    }
}

impl ChurnCuts {
    /// Validated cuts: `0 <= high_below <= low_from <= 1`.
    pub fn new(high_below: f64, low_from: f64) -> Result<ChurnCuts> {
        let _ = (high_below, low_from);
        unimplemented!()
    }
}

/// Churn risk from P(alive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ChurnRisk {
    /// P(alive) at or above `low_from`.
    Low,
    /// Between the cuts.
    Medium,
    /// P(alive) below `high_below`.
    High,
}

impl ChurnRisk {
    /// The name: `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            ChurnRisk::Low => "low",
            ChurnRisk::Medium => "medium",
            ChurnRisk::High => "high",
        }
    }
}

/// Churn risk of one customer: `p < high_below` is high, `p >= low_from` low, else medium.
pub fn churn_risk(p_alive: f64, cuts: &ChurnCuts) -> ChurnRisk {
    let _ = (p_alive, cuts);
    unimplemented!()
}
