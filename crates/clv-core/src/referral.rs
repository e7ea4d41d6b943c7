//! Customer referral value (CRV) and the CLV x CRV quadrants.
//!
//! (Full documentation follows with the implementation.)

use crate::Result;

/// Settings of the referral value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CrvSettings {
    /// `f`: the share of referred customers who would not have come otherwise (default 0.5).
    pub incremental_share: f64,
    /// The acquisition cost a referral saves (the blended CAC of paid channels).
    pub cac_saved: f64,
}

/// A problem of the referral graph; the edge is not followed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ReferralProblem {
    /// Customer `row` names itself as its referrer.
    SelfReferral {
        /// The customer's index.
        row: usize,
    },
    /// The customers `rows` refer each other in a cycle (in the order of the cycle).
    Cycle {
        /// The customers' indices.
        rows: Vec<usize>,
    },
}

/// Referral value per customer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReferralValue {
    /// CRV per customer; 0 for non-referrers.
    pub crv: Vec<f64>,
    /// Direct referrals counted (valid edges).
    pub referred: Vec<u32>,
    /// The value of the referrals of the customer's referrals (same formula), not in `crv`.
    pub second_generation: Vec<f64>,
    /// The valid edges used: `referred_by[j] = Some(i)` when j's referral by i counts.
    pub referred_by: Vec<Option<usize>>,
    /// Self-referrals and cycles, not followed.
    pub problems: Vec<ReferralProblem>,
    /// Referred customers (valid edges) whose reward was unknown (NaN) and counted as 0.
    pub unknown_rewards: usize,
}

/// Customer referral value of every customer.
pub fn referral_value(
    referrer: &[Option<usize>],
    clv: &[f64],
    reward: &[f64],
    s: &CrvSettings,
) -> Result<ReferralValue> {
    let _ = (referrer, clv, reward, s);
    unimplemented!()
}

/// Cut points of the CLV x CRV quadrants.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct QuadrantCuts {
    /// CLV at or above this is high.
    pub clv: f64,
    /// CRV at or above this (and > 0) is high.
    pub crv: f64,
}

/// Default cuts: the median CLV of all customers and the median CRV of the customers with CRV > 0.
pub fn default_quadrant_cuts(clv: &[f64], crv: &[f64]) -> QuadrantCuts {
    let _ = (clv, crv);
    unimplemented!()
}

/// The CLV x CRV quadrant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Quadrant {
    /// High CLV, high CRV.
    Champion,
    /// High CLV, low CRV.
    Affluent,
    /// Low CLV, high CRV.
    Advocate,
    /// Low CLV, low CRV.
    Misers,
}

impl Quadrant {
    /// The name: `champion`, `affluent`, `advocate`, `misers`.
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::Champion => "champion",
            Quadrant::Affluent => "affluent",
            Quadrant::Advocate => "advocate",
            Quadrant::Misers => "misers",
        }
    }
}

/// The quadrant of one customer.
pub fn quadrant(clv: f64, crv: f64, cuts: &QuadrantCuts) -> Quadrant {
    let _ = (clv, crv, cuts);
    unimplemented!()
}
