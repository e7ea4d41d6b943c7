//! Ideal customer profile: which attribute values are over-represented among
//! the top customers.
//!
//! # Definitions
//!
//! The top group is usually the top decile by total value ([`top_decile`]:
//! customers with `g / n < 0.10`, `g` the number with a strictly greater
//! value, the same rank rule as the value tiers, so ties are in or out
//! together). With `n` customers of whom `top` are in the top group, the base
//! rate is `top / n`. For each attribute (a column of the customers file)
//! and each of its values, with `c` customers having the value and `t` of
//! them in the top group ([`ProfileRow`]):
//!
//! ```text
//! share_of_top  = t / top            share_overall = c / n
//! rate          = t / c              (P(top | value), Wilson interval [l, u] at `level`)
//! lift          = rate / base_rate   (interval [l / base_rate, u / base_rate])
//! ```
//!
//! A lift of 2 means the value is twice as common in the top group as among
//! all customers (`share_of_top / share_overall` is the same number). The
//! Wilson interval (see [`crate::engagement`]) stays inside [0, 1] and is
//! sensible for small counts, and a minimum support (`min_support`
//! customers with the value) keeps a group of three from topping the list;
//! the number of values left out is reported. Rows are sorted by lift
//! (descending), then by customers (descending), then by attribute and value.
//!
//! Numeric columns are binned first ([`bin_numeric`]) into quantile ranges
//! whose edges are data values, labelled `[lo, hi)` (the last bin is closed,
//! `[lo, max]`); repeated values can merge bins, so a column with few
//! distinct values gets fewer bins. Missing values are the value `(missing)`.

use crate::engagement::{Estimate, normal_quantile, wilson_interval};
use crate::segment::greater_counts;
use crate::{Error, Result};

/// The label of a missing value.
pub const MISSING: &str = "(missing)";

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

/// One attribute as codes: customer `i` has value `labels[codes[i]]`.
/// Labels are distinct.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedAttribute {
    /// The attribute's name (a column of the customers file).
    pub name: String,
    /// The distinct values.
    pub labels: Vec<String>,
    /// Each customer's value, as an index into `labels`.
    pub codes: Vec<u32>,
}

impl CodedAttribute {
    /// Codes text values (one per customer).
    pub fn from_values<S: AsRef<str>>(name: &str, values: &[S]) -> CodedAttribute {
        let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut labels = Vec::new();
        let codes = values
            .iter()
            .map(|v| {
                let v = v.as_ref();
                *index.entry(v).or_insert_with(|| {
                    labels.push(v.to_string());
                    (labels.len() - 1) as u32
                })
            })
            .collect();
        CodedAttribute {
            name: name.to_string(),
            labels,
            codes,
        }
    }
}

/// The ideal customer profile (see the module docs).
///
/// `attributes`: `(name, value per customer)`; `is_top`: whether each
/// customer is in the top group (usually [`top_decile`] of total value).
///
/// # Errors
/// [`Error::InvalidSetting`] for a level outside (0, 1);
/// [`Error::InvalidData`] when an attribute has a different number of values
/// than there are customers; [`Error::NotEnoughData`] when there are no
/// customers or none in the top group.
pub fn profile(
    attributes: &[(String, Vec<String>)],
    is_top: &[bool],
    level: f64,
    min_support: usize,
) -> Result<Profile> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::InvalidSetting {
            name: "level",
            value: level,
            reason: "must be strictly between 0 and 1 (0.95 for 95 % intervals)",
        });
    }
    let coded: Vec<CodedAttribute> = attributes
        .iter()
        .map(|(name, values)| CodedAttribute::from_values(name, values))
        .collect();
    profile_coded(&coded, is_top, level, min_support)
}

/// [`profile`] on coded attributes (no text per customer: what a front end
/// with millions of customers passes).
///
/// # Errors
///
/// As [`profile`]; also a code outside the labels or repeated labels.
pub fn profile_coded(
    attributes: &[CodedAttribute],
    is_top: &[bool],
    level: f64,
    min_support: usize,
) -> Result<Profile> {
    let n = is_top.len();
    if n == 0 {
        return Err(Error::NotEnoughData(
            "the profile needs customers; there are none".to_string(),
        ));
    }
    let top = is_top.iter().filter(|&&t| t).count();
    if top == 0 {
        return Err(Error::NotEnoughData(
            "no customer is in the top group, so nothing can be over-represented".to_string(),
        ));
    }
    let base_rate = top as f64 / n as f64;
    let z = normal_quantile(0.5 + 0.5 * level);
    let mut rows = Vec::new();
    let mut below_support = 0;
    for a in attributes {
        let name = &a.name;
        if a.codes.len() != n {
            return Err(Error::InvalidData(format!(
                "attribute {name:?} has {} values for {n} customers",
                a.codes.len()
            )));
        }
        let distinct: std::collections::HashSet<&str> =
            a.labels.iter().map(String::as_str).collect();
        if distinct.len() != a.labels.len() {
            return Err(Error::InvalidData(format!(
                "attribute {name:?} has repeated labels"
            )));
        }
        let mut counts = vec![(0usize, 0usize); a.labels.len()];
        for (&c, &t) in a.codes.iter().zip(is_top) {
            let e = counts.get_mut(c as usize).ok_or_else(|| {
                Error::InvalidData(format!(
                    "attribute {name:?} has code {c} but {} labels",
                    a.labels.len()
                ))
            })?;
            e.0 += 1;
            e.1 += usize::from(t);
        }
        for (value, &(customers, in_top)) in a.labels.iter().zip(&counts) {
            if customers == 0 {
                continue;
            }
            if customers < min_support {
                below_support += 1;
                continue;
            }
            let rate = in_top as f64 / customers as f64;
            let (lo, hi) = wilson_interval(in_top, customers, z).unwrap_or((rate, rate));
            rows.push(ProfileRow {
                attribute: name.clone(),
                value: value.to_string(),
                customers,
                in_top,
                share_of_top: in_top as f64 / top as f64,
                share_overall: customers as f64 / n as f64,
                rate: Estimate {
                    point: rate,
                    lo,
                    hi,
                    n: customers,
                    has_interval: true,
                },
                lift: Estimate {
                    point: rate / base_rate,
                    lo: lo / base_rate,
                    hi: hi / base_rate,
                    n: customers,
                    has_interval: true,
                },
            });
        }
    }
    rows.sort_by(|a, b| {
        b.lift
            .point
            .total_cmp(&a.lift.point)
            .then(b.customers.cmp(&a.customers))
            .then_with(|| a.attribute.cmp(&b.attribute))
            .then_with(|| a.value.cmp(&b.value))
    });
    Ok(Profile {
        rows,
        top,
        n,
        base_rate,
        below_support,
    })
}

/// Bins a numeric column into quantile ranges labelled like `[10, 25)` (the
/// last `[lo, max]`); edges are the data values at ranks `k m / bins` of the
/// `m` finite values, merged when repeated, so few distinct values give
/// fewer bins. NaN and infinite values are `(missing)`; `bins = 0` counts as 1.
pub fn bin_numeric(values: &[f64], bins: usize) -> Vec<String> {
    let (labels, codes) = bin_numeric_coded(values, bins);
    codes.iter().map(|&c| labels[c as usize].clone()).collect()
}

/// [`bin_numeric`] as labels and a code per value (the last label is
/// `(missing)` when any value is not finite).
pub fn bin_numeric_coded(values: &[f64], bins: usize) -> (Vec<String>, Vec<u32>) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return (vec![MISSING.to_string()], vec![0; values.len()]);
    }
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len();
    let bins = bins.max(1);
    let mut edges = vec![sorted[0]];
    for k in 1..bins {
        let c = sorted[k * m / bins];
        if c > *edges.last().unwrap_or(&c) {
            edges.push(c);
        }
    }
    let max = sorted[m - 1];
    let mut labels: Vec<String> = (0..edges.len())
        .map(|i| match edges.get(i + 1) {
            Some(next) => format!("[{}, {})", edges[i], next),
            None => format!("[{}, {}]", edges[i], max),
        })
        .collect();
    let missing = labels.len() as u32;
    if m < values.len() {
        labels.push(MISSING.to_string());
    }
    let codes = values
        .iter()
        .map(|&v| {
            if v.is_finite() {
                // Bin = number of edges after the first that are <= v.
                edges[1..].partition_point(|&e| e <= v) as u32
            } else {
                missing
            }
        })
        .collect();
    (labels, codes)
}

/// The top decile: rank share `g / n < 0.10` (`g` = customers with a
/// strictly greater value), as in [`crate::segment::value_tiers`]; ties are
/// in or out together; NaN is never in.
pub fn top_decile(values: &[f64]) -> Vec<bool> {
    let n = values.len();
    greater_counts(values)
        .into_iter()
        .map(|g| g.is_some_and(|g| 10 * g < n))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn coded_attributes_give_the_text_profile_and_reject_bad_codes() {
        let values = column(&[("a", 6), ("b", 4)]);
        let top = [
            true, true, false, false, false, false, true, false, false, false,
        ];
        let text = profile(&[("x".into(), values.clone())], &top, 0.95, 1).unwrap();
        let coded = CodedAttribute::from_values("x", &values);
        assert_eq!(coded.labels, ["a", "b"]);
        assert_eq!(
            profile_coded(std::slice::from_ref(&coded), &top, 0.95, 1).unwrap(),
            text
        );
        let bad = CodedAttribute {
            codes: vec![0, 1, 2, 0, 0, 0, 0, 0, 0, 0],
            ..coded.clone()
        };
        assert!(profile_coded(&[bad], &top, 0.95, 1).is_err());
        let repeated = CodedAttribute {
            labels: vec!["a".into(), "a".into()],
            ..coded
        };
        assert!(profile_coded(&[repeated], &top, 0.95, 1).is_err());
        let (labels, codes) = bin_numeric_coded(&[1.0, f64::NAN, 3.0], 2);
        assert_eq!(
            codes
                .iter()
                .map(|&c| labels[c as usize].as_str())
                .collect::<Vec<_>>(),
            bin_numeric(&[1.0, f64::NAN, 3.0], 2)
        );
    }

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-10
    }

    fn column(parts: &[(&str, usize)]) -> Vec<String> {
        parts
            .iter()
            .flat_map(|&(v, k)| std::iter::repeat_n(v.to_string(), k))
            .collect()
    }

    #[test]
    fn lift_and_wilson_interval_by_hand() {
        // 20 customers, 4 in the top group (base rate 4/20 = 0.2).
        // channel: ads 10 (1 top), referral 5 (3 top), organic 5 (0 top).
        // region: north 18 (4 top), south 2 (0 top, below a support of 5).
        let mut is_top = vec![false; 20];
        is_top[0] = true; // an ads customer
        for t in &mut is_top[10..13] {
            *t = true; // three referral customers
        }
        let channel = column(&[("ads", 10), ("referral", 5), ("organic", 5)]);
        let region = column(&[("north", 18), ("south", 2)]);
        let attrs = vec![
            ("channel".to_string(), channel),
            ("region".to_string(), region),
        ];
        let p = profile(&attrs, &is_top, 0.95, 5).unwrap();
        assert_eq!((p.n, p.top, p.below_support), (20, 4, 1));
        assert!(close(p.base_rate, 0.2));
        let order: Vec<&str> = p.rows.iter().map(|r| r.value.as_str()).collect();
        // Lifts: referral (3/5)/0.2 = 3, north (4/18)/0.2 = 1.111, ads (1/10)/0.2 = 0.5, organic 0.
        assert_eq!(order, ["referral", "north", "ads", "organic"]);
        let r = &p.rows[0];
        assert_eq!((r.customers, r.in_top), (5, 3));
        assert!(close(r.share_of_top, 3.0 / 4.0) && close(r.share_overall, 5.0 / 20.0));
        assert!(close(r.rate.point, 0.6) && close(r.lift.point, 3.0));
        // Wilson for 3 of 5 at z = 1.959964: z^2 = 3.841459,
        // centre = (0.6 + z^2/10) / (1 + z^2/5), half = z/(1 + z^2/5) * sqrt(0.6*0.4/5 + z^2/100).
        let z: f64 = 1.959_963_984_540_054;
        let denom = 1.0 + z * z / 5.0;
        let centre = (0.6 + z * z / 10.0) / denom;
        let half = z / denom * (0.6 * 0.4 / 5.0 + z * z / 100.0).sqrt();
        assert!((r.rate.lo - (centre - half)).abs() < 1e-8);
        assert!((r.rate.hi - (centre + half)).abs() < 1e-8);
        // About (0.2307, 0.8824); the lift interval is that over 0.2.
        assert!((r.rate.lo - 0.2307).abs() < 1e-4 && (r.rate.hi - 0.8824).abs() < 1e-4);
        assert!((r.lift.lo - (centre - half) / 0.2).abs() < 1e-8);
        assert!(close(p.rows[1].lift.point, (4.0 / 18.0) / 0.2));
        // With no minimum support the small south group appears (lift 0, 2 customers, after organic).
        let p = profile(&attrs, &is_top, 0.95, 0).unwrap();
        assert_eq!(p.below_support, 0);
        assert_eq!(p.rows.last().unwrap().value, "south");
    }

    #[test]
    fn profile_errors() {
        let attrs = vec![("a".to_string(), vec!["x".to_string()])];
        assert!(matches!(
            profile(&attrs, &[true, false], 0.95, 1),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            profile(&[], &[], 0.95, 1),
            Err(Error::NotEnoughData(_))
        ));
        assert!(matches!(
            profile(&attrs, &[false], 0.95, 1),
            Err(Error::NotEnoughData(_))
        ));
        assert!(matches!(
            profile(&attrs, &[true], 0.0, 1),
            Err(Error::InvalidSetting { .. })
        ));
    }

    #[test]
    fn numeric_bins_are_quantile_ranges() {
        // 1..=10 in 5 bins: edges at ranks 2, 4, 6, 8 -> values 3, 5, 7, 9.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let b = bin_numeric(&v, 5);
        assert_eq!(b[0], "[1, 3)");
        assert_eq!(b[1], "[1, 3)");
        assert_eq!(b[2], "[3, 5)");
        assert_eq!(b[7], "[7, 9)");
        assert_eq!(b[8], "[9, 10]");
        assert_eq!(b[9], "[9, 10]");
        // Ties merge bins: six zeros, three ones, a four -> rank edges 0, 0, 1, 1 -> [0, 1) and [1, 4].
        let b = bin_numeric(
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 4.0, f64::NAN],
            5,
        );
        assert_eq!(b[0], "[0, 1)");
        assert_eq!(b[6], "[1, 4]");
        assert_eq!(b[9], "[1, 4]");
        assert_eq!(b[10], MISSING);
        assert_eq!(bin_numeric(&[2.5, 2.5], 5), vec!["[2.5, 2.5]"; 2]);
        assert_eq!(bin_numeric(&[f64::NAN], 5), vec![MISSING]);
    }

    #[test]
    fn top_decile_by_rank_share() {
        // n = 20: in when 10 g < 20, i.e. g <= 1: the two largest.
        let v: Vec<f64> = (0..20).map(f64::from).collect();
        let t = top_decile(&v);
        assert_eq!(t.iter().filter(|&&x| x).count(), 2);
        assert!(t[19] && t[18] && !t[17]);
        // Three tied at the top: all in (g = 0); the next has g = 3 -> out.
        let mut v = v;
        v[17] = 19.0;
        v[18] = 19.0;
        let t = top_decile(&v);
        assert!(t[17] && t[18] && t[19] && !t[16]);
        assert_eq!(top_decile(&[f64::NAN, 1.0]), vec![false, true]);
    }
}
