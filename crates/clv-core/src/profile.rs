//! Ideal customer profile: attribute values over-represented among the top decile.
//!
//! (Full documentation follows with the implementation.)

use crate::Result;
use crate::engagement::Estimate;

/// One attribute value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileRow {
    /// The attribute (column) name.
    pub attribute: String,
    /// The value.
    pub value: String,
    /// Customers with this value.
    pub customers: usize,
    /// Of them in the top group.
    pub in_top: usize,
    /// `in_top / top_total`.
    pub share_of_top: f64,
    /// `customers / n`.
    pub share_overall: f64,
    /// P(top | value) with a Wilson interval.
    pub rate: Estimate,
    /// rate / base rate (interval: the Wilson bounds / base rate).
    pub lift: Estimate,
}

/// The profile.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Profile {
    /// Rows with at least `min_support` customers, by lift desc, then customers desc.
    pub rows: Vec<ProfileRow>,
    /// Customers in the top group.
    pub top: usize,
    /// All customers.
    pub n: usize,
    /// `top / n`.
    pub base_rate: f64,
    /// Attribute values left out for having fewer than `min_support` customers.
    pub below_support: usize,
}

/// The ideal customer profile.
pub fn profile(
    attributes: &[(String, Vec<String>)],
    is_top: &[bool],
    level: f64,
    min_support: usize,
) -> Result<Profile> {
    let _ = (attributes, is_top, level, min_support);
    unimplemented!()
}

/// Bins a numeric column into quantile ranges labelled like `[10, 25)`; NaN -> `(missing)`.
pub fn bin_numeric(values: &[f64], bins: usize) -> Vec<String> {
    let _ = (values, bins);
    unimplemented!()
}

/// The top decile: rank share (customers with a strictly greater value / n) < 0.10.
pub fn top_decile(values: &[f64]) -> Vec<bool> {
    let _ = values;
    unimplemented!()
}
