//! Community engagement: recency-weighted scores and group comparisons.
//!
//! (Full documentation follows with the implementation.)

use crate::Result;

/// Recency-weighted engagement score per customer.
pub fn engagement_scores(
    n: usize,
    events: &[(usize, i32, f64)],
    end_day: i32,
    half_life_days: f64,
) -> Result<Vec<f64>> {
    Ok(engagement_summary(n, events, end_day, half_life_days)?.scores)
}

/// Scores, event counts and the number of events ignored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EngagementScores {
    /// The recency-weighted score per customer.
    pub scores: Vec<f64>,
    /// The number of events counted per customer (on or before `end_day`).
    pub counts: Vec<u32>,
    /// Events after `end_day`, ignored.
    pub after_end: usize,
}

/// As [`engagement_scores`], with counts and the number of events after `end_day`.
pub fn engagement_summary(
    n: usize,
    events: &[(usize, i32, f64)],
    end_day: i32,
    half_life_days: f64,
) -> Result<EngagementScores> {
    let _ = (n, events, end_day, half_life_days);
    unimplemented!()
}

/// An estimate with an interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// The point estimate.
    pub point: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Observations behind it.
    pub n: usize,
    /// False when no interval could be computed (then `lo = hi = point`).
    pub has_interval: bool,
}

/// Two groups compared.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GroupComparison {
    /// Group a (`in_a` true).
    pub a: Estimate,
    /// Group b.
    pub b: Estimate,
    /// a - b.
    pub difference: Estimate,
}

/// Means of `values` in groups a and b with intervals (Welch for the difference).
pub fn compare_means(values: &[f64], in_a: &[bool], level: f64) -> Result<GroupComparison> {
    let _ = (values, in_a, level);
    unimplemented!()
}

/// Proportions in groups a and b (Wilson per group, Newcombe for the difference).
pub fn compare_proportions(
    successes: &[bool],
    in_a: &[bool],
    level: f64,
) -> Result<GroupComparison> {
    let _ = (successes, in_a, level);
    unimplemented!()
}
