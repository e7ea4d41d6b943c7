//! Customer referral value (CRV), second-generation referrals and the
//! CLV x CRV quadrants.
//!
//! # Customer referral value
//!
//! After Kumar, Petersen & Leone, "How valuable is word of mouth?" (Harvard
//! Business Review, October 2007) and "Driving profitability by encouraging
//! customer referrals: who, when, and how" (Journal of Marketing 74(5), 2010).
//! Their CRV of a referrer adds, over the customers the referrer brought in,
//! the margin of the referred customers *who would not have joined
//! otherwise* and the acquisition cost saved on those *who would have joined
//! anyway*, less the referral rewards. With a share `f` of referred customers
//! who would not have come otherwise (the incremental share) this is, per
//! referrer `i`, summed over the customers `j` that `i` referred directly:
//!
//! ```text
//! CRV_i = sum_{j: referrer(j) = i}  f * clv_j + (1 - f) * (cac_saved - reward_j)
//! ```
//!
//! - `clv_j`: j's own predicted margin CLV (the `clv` column).
//! - `f` ([`CrvSettings::incremental_share`], default **0.5**): Kumar et al.
//!   obtain the split from asking referred customers whether they would have
//!   joined without the referral; we found no published share that carries
//!   over to other businesses, so the default is the neutral midpoint 0.5
//!   (the two parts weigh equally) and should be set from a survey or a
//!   holdout when one exists.
//! - `cac_saved`: the acquisition cost a referral saves (the blended CAC of
//!   paid channels), `reward_j`: j's acquisition cost when known (the
//!   referral bonus); an unknown reward (NaN) counts as 0 and is counted in
//!   [`ReferralValue::unknown_rewards`].
//!
//! **Second generation.** The referrals of i's referrals are worth, by the
//! same formula, `sum_{j: referrer(j) = i} CRV_j`; this is reported
//! separately ([`ReferralValue::second_generation`]) and never added to CRV,
//! so no referred customer's value is counted twice along a chain.
//!
//! **Identity.** CLV is never changed; a referred customer's value enters only
//! the referrer's CRV (total value = CLV + CRV). Over all customers,
//!
//! ```text
//! sum_i CRV_i = f * sum_{j referred} clv_j + (1 - f) * sum_{j referred} (cac_saved - reward_j)
//! ```
//!
//! where "referred" means a valid edge (each referred customer has exactly
//! one referrer, so each appears once).
//!
//! **Invalid edges.** A self-referral (`referrer(j) = j`) and every edge on a
//! cycle of the referral graph (a referred b and b referred a, or longer) are
//! reported as [`ReferralProblem`]s and not followed: such customers cannot
//! all have been brought in by each other. An edge into a cycle from outside
//! it is valid.
//!
//! # Summary
//!
//! [`referral_summary`] gives what `clv referrals` prints: how many customers
//! came through a (valid) referral, how many customers referred, the
//! revenue of referred customers and its share of all revenue, their
//! summed CLV, the summed CRV, and the top referrers by CRV (ties by index).
//!
//! # Quadrants
//!
//!
//! Kumar et al. split customers on CLV and CRV into four groups:
//! `champion` (high CLV, high CRV), `affluent` (high CLV, low CRV),
//! `advocate` (low CLV, high CRV) and `misers` (low, low). High means at or
//! above the cut; high CRV also needs CRV > 0. Default cuts
//! ([`default_quadrant_cuts`]): the median CLV of all customers, and the
//! median CRV *of the customers with CRV > 0*. The CRV median is taken over
//! referrers because most customers refer nobody: the median over everyone
//! is then 0 and every referrer, however small, would count as high.

use crate::{Error, Result};

/// Settings of the referral value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CrvSettings {
    /// `f`: the share of referred customers who would not have come otherwise (default 0.5).
    pub incremental_share: f64,
    /// The acquisition cost a referral saves (the blended CAC of paid channels).
    pub cac_saved: f64,
}

impl CrvSettings {
    /// The default incremental share `f` (the neutral midpoint; see the module docs).
    pub const DEFAULT_INCREMENTAL_SHARE: f64 = 0.5;

    /// Validated settings: `f` in [0, 1], `cac_saved` finite.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] naming the setting.
    pub fn new(incremental_share: f64, cac_saved: f64) -> Result<CrvSettings> {
        let s = CrvSettings {
            incremental_share,
            cac_saved,
        };
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.incremental_share) {
            return Err(Error::InvalidSetting {
                name: "incremental_share",
                value: self.incremental_share,
                reason: "must be in [0, 1]",
            });
        }
        if !self.cac_saved.is_finite() {
            return Err(Error::InvalidSetting {
                name: "cac_saved",
                value: self.cac_saved,
                reason: "must be a finite amount",
            });
        }
        Ok(())
    }
}

/// A problem of the referral graph; the edge is not followed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ReferralProblem {
    /// Customer `row` names itself as its referrer.
    SelfReferral {
        /// The customer's index.
        row: usize,
    },
    /// The customers `rows` refer each other in a cycle: each was referred by
    /// the next, the last by the first; starts at the smallest index.
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

/// Customer referral value of every customer (see the module docs).
///
/// `referrer[j] = Some(i)` when customer `j` was referred by `i` (indices;
/// the application resolves ids and reports unknown ones). `reward[j]`: j's
/// acquisition cost (referral bonus), NaN when unknown (counted as 0).
///
/// # Errors
/// [`Error::InvalidData`] when the slices differ in length, a referrer index
/// is out of range, a CLV is not finite or a reward is infinite;
/// [`Error::InvalidSetting`] for invalid settings.
pub fn referral_value(
    referrer: &[Option<usize>],
    clv: &[f64],
    reward: &[f64],
    s: &CrvSettings,
) -> Result<ReferralValue> {
    s.validate()?;
    let n = referrer.len();
    if clv.len() != n || reward.len() != n {
        return Err(Error::InvalidData(format!(
            "referral value needs one referrer, CLV and reward per customer; got {n} referrers, \
             {} CLVs and {} rewards",
            clv.len(),
            reward.len()
        )));
    }
    for (j, r) in referrer.iter().enumerate() {
        if let Some(i) = r.filter(|&i| i >= n) {
            return Err(Error::InvalidData(format!(
                "customer {j} names referrer {i}, but there are only {n} customers"
            )));
        }
    }
    if let Some(j) = clv.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidData(format!(
            "customer {j} has CLV {}; referral value needs finite CLVs",
            clv[j]
        )));
    }
    if let Some(j) = reward.iter().position(|v| v.is_infinite()) {
        return Err(Error::InvalidData(format!(
            "customer {j} has reward {}; a reward must be finite (or unknown)",
            reward[j]
        )));
    }

    let mut problems = Vec::new();
    // The graph without self-loops: next[j] = referrer of j.
    let next: Vec<Option<usize>> = referrer
        .iter()
        .enumerate()
        .map(|(j, r)| match *r {
            Some(i) if i == j => {
                problems.push(ReferralProblem::SelfReferral { row: j });
                None
            }
            other => other,
        })
        .collect();
    // Each node has at most one outgoing edge: walk paths, marking nodes on
    // the current path; reaching a node of the current path closes a cycle.
    let mut state = vec![0u8; n]; // 0 new, 1 on the current path, 2 done
    let mut on_cycle = vec![false; n];
    let mut path = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        path.clear();
        let mut node = start;
        loop {
            state[node] = 1;
            path.push(node);
            match next[node] {
                Some(nx) if state[nx] == 0 => node = nx,
                Some(nx) if state[nx] == 1 => {
                    let at = path.iter().position(|&p| p == nx).unwrap_or(0);
                    let mut rows = path[at..].to_vec();
                    for &r in &rows {
                        on_cycle[r] = true;
                    }
                    let smallest = rows
                        .iter()
                        .enumerate()
                        .min_by_key(|&(_, &r)| r)
                        .map_or(0, |(k, _)| k);
                    rows.rotate_left(smallest);
                    problems.push(ReferralProblem::Cycle { rows });
                    break;
                }
                _ => break,
            }
        }
        for &p in &path {
            state[p] = 2;
        }
    }

    let f = s.incremental_share;
    let referred_by: Vec<Option<usize>> = next
        .iter()
        .enumerate()
        .map(|(j, r)| if on_cycle[j] { None } else { *r })
        .collect();
    let mut crv = vec![0.0; n];
    let mut referred = vec![0u32; n];
    let mut unknown_rewards = 0;
    for (j, r) in referred_by.iter().enumerate() {
        if let Some(i) = *r {
            let reward_j = if reward[j].is_nan() {
                unknown_rewards += 1;
                0.0
            } else {
                reward[j]
            };
            crv[i] += f * clv[j] + (1.0 - f) * (s.cac_saved - reward_j);
            referred[i] += 1;
        }
    }
    let mut second_generation = vec![0.0; n];
    for (j, r) in referred_by.iter().enumerate() {
        if let Some(i) = *r {
            second_generation[i] += crv[j];
        }
    }
    Ok(ReferralValue {
        crv,
        referred,
        second_generation,
        referred_by,
        problems,
        unknown_rewards,
    })
}

/// The referral sources in numbers (see the module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReferralSummary {
    /// All customers.
    pub customers: usize,
    /// Customers who came through a valid referral.
    pub referred_customers: usize,
    /// Customers with at least one valid referral.
    pub referrers: usize,
    /// Revenue of the referred customers.
    pub referred_revenue: f64,
    /// Revenue of all customers.
    pub total_revenue: f64,
    /// `referred_revenue / total_revenue` (0 when the total is 0).
    pub revenue_share: f64,
    /// Summed CLV of the referred customers.
    pub referred_clv: f64,
    /// Summed CRV of all customers.
    pub total_crv: f64,
    /// Up to `top` referrers (CRV > 0) by CRV, descending, ties by index.
    pub top_referrers: Vec<usize>,
}

/// Summarizes a [`ReferralValue`] with each customer's past `revenue` and
/// `clv`; lists at most `top` referrers.
///
/// # Errors
/// [`Error::InvalidData`] when the lengths differ or a revenue or CLV is not finite.
pub fn referral_summary(
    value: &ReferralValue,
    clv: &[f64],
    revenue: &[f64],
    top: usize,
) -> Result<ReferralSummary> {
    let n = value.crv.len();
    if clv.len() != n || revenue.len() != n || value.referred_by.len() != n {
        return Err(Error::InvalidData(format!(
            "the referral summary needs one CLV and one revenue per customer: {} and {} for {n}",
            clv.len(),
            revenue.len()
        )));
    }
    for (name, column) in [("CLV", clv), ("revenue", revenue)] {
        if let Some(j) = column.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!(
                "customer {j} has {name} {}; the summary needs finite numbers",
                column[j]
            )));
        }
    }
    let mut s = ReferralSummary {
        customers: n,
        referred_customers: 0,
        referrers: value.referred.iter().filter(|&&k| k > 0).count(),
        referred_revenue: 0.0,
        total_revenue: revenue.iter().sum(),
        revenue_share: 0.0,
        referred_clv: 0.0,
        total_crv: value.crv.iter().sum(),
        top_referrers: Vec::new(),
    };
    for (j, by) in value.referred_by.iter().enumerate() {
        if by.is_some() {
            s.referred_customers += 1;
            s.referred_revenue += revenue[j];
            s.referred_clv += clv[j];
        }
    }
    if s.total_revenue != 0.0 {
        s.revenue_share = s.referred_revenue / s.total_revenue;
    }
    let mut referrers: Vec<usize> = (0..n).filter(|&i| value.crv[i] > 0.0).collect();
    referrers.sort_by(|&a, &b| value.crv[b].total_cmp(&value.crv[a]).then(a.cmp(&b)));
    referrers.truncate(top);
    s.top_referrers = referrers;
    Ok(s)
}

/// Cut points of the CLV x CRV quadrants.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct QuadrantCuts {
    /// CLV at or above this is high.
    pub clv: f64,
    /// CRV at or above this (and > 0) is high.
    pub crv: f64,
}

/// The median of the values (the mean of the two middle ones for an even
/// count); `None` when there are none.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let k = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[k]
    } else {
        0.5 * (values[k - 1] + values[k])
    })
}

/// Default cuts: the median CLV of all customers and the median CRV of the
/// customers with CRV > 0 (why: see the module docs). NaN values are left
/// out; with no values the cut is 0 (with no referrer nobody has high CRV,
/// as that needs CRV > 0).
pub fn default_quadrant_cuts(clv: &[f64], crv: &[f64]) -> QuadrantCuts {
    QuadrantCuts {
        clv: median(clv.iter().copied().filter(|v| !v.is_nan()).collect()).unwrap_or(0.0),
        crv: median(crv.iter().copied().filter(|&v| v > 0.0).collect()).unwrap_or(0.0),
    }
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

/// Whether a CRV is high: `crv > 0` and `crv >= cut`.
pub fn high_crv(crv: f64, cuts: &QuadrantCuts) -> bool {
    crv > 0.0 && crv >= cuts.crv
}

/// The quadrant of one customer: high CLV is `clv >= cuts.clv`, high CRV
/// `crv > 0 && crv >= cuts.crv` (NaN is low).
pub fn quadrant(clv: f64, crv: f64, cuts: &QuadrantCuts) -> Quadrant {
    match (clv >= cuts.clv, high_crv(crv, cuts)) {
        (true, true) => Quadrant::Champion,
        (true, false) => Quadrant::Affluent,
        (false, true) => Quadrant::Advocate,
        (false, false) => Quadrant::Misers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn crv_on_a_small_graph_with_a_cycle_and_a_self_referral() {
        // 0 referred 1 and 2; 1 referred 3; 4 and 5 referred each other (a cycle);
        // 6 referred itself; 4 referred 7 (an edge into the cycle, valid).
        let referrer = [
            None,
            Some(0),
            Some(0),
            Some(1),
            Some(5),
            Some(4),
            Some(6),
            Some(4),
        ];
        let clv = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0];
        let reward = [0.0, 5.0, f64::NAN, 1.0, 0.0, 0.0, 0.0, 2.0];
        let s = CrvSettings::new(0.5, 10.0).unwrap();
        let v = referral_value(&referrer, &clv, &reward, &s).unwrap();
        // CRV_0 = (0.5*20 + 0.5*(10-5)) + (0.5*30 + 0.5*(10-0)) = 12.5 + 20 = 32.5
        // CRV_1 = 0.5*40 + 0.5*(10-1) = 24.5;  CRV_4 = 0.5*80 + 0.5*(10-2) = 44
        let expected = [32.5, 24.5, 0.0, 0.0, 44.0, 0.0, 0.0, 0.0];
        for (got, want) in v.crv.iter().zip(expected) {
            assert!(close(*got, want), "{:?}", v.crv);
        }
        assert_eq!(v.referred, vec![2, 1, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            v.referred_by,
            vec![None, Some(0), Some(0), Some(1), None, None, None, Some(4)]
        );
        // Second generation of 0: CRV_1 + CRV_2 = 24.5 + 0.
        assert!(close(v.second_generation[0], 24.5));
        assert!(v.second_generation[1..].iter().all(|&g| g == 0.0));
        assert_eq!(v.unknown_rewards, 1);
        assert_eq!(
            v.problems,
            vec![
                ReferralProblem::SelfReferral { row: 6 },
                ReferralProblem::Cycle { rows: vec![4, 5] }
            ]
        );
        // Identity over the valid edges j = 1, 2, 3, 7:
        // f * (20 + 30 + 40 + 80) + (1 - f) * ((10-5) + (10-0) + (10-1) + (10-2))
        // = 0.5 * 170 + 0.5 * 32 = 101 = 32.5 + 24.5 + 44.
        let total: f64 = v.crv.iter().sum();
        assert!(close(total, 0.5 * 170.0 + 0.5 * 32.0));
        assert!(close(total, 101.0));
    }

    #[test]
    fn a_longer_cycle_is_reported_from_its_smallest_index_and_a_tail_into_it_counts() {
        // 2 was referred by 0, 0 by 1, 1 by 2: the cycle 0 <- 1 <- 2 <- 0; 3 was referred by 1.
        let referrer = [Some(1), Some(2), Some(0), Some(1)];
        let s = CrvSettings::new(1.0, 0.0).unwrap();
        let v = referral_value(&referrer, &[1.0, 2.0, 3.0, 4.0], &[0.0; 4], &s).unwrap();
        assert_eq!(
            v.problems,
            vec![ReferralProblem::Cycle {
                rows: vec![0, 1, 2]
            }]
        );
        // Only 3 -> 1 counts: CRV_1 = 1.0 * 4.
        assert_eq!(v.crv, vec![0.0, 4.0, 0.0, 0.0]);
        assert_eq!(v.referred_by, vec![None, None, None, Some(1)]);
    }

    #[test]
    fn the_identity_holds_for_another_share() {
        // f = 0.2, cac_saved = 30: chain 0 <- 1 <- 2 and 0 <- 3.
        let referrer = [None, Some(0), Some(1), Some(0)];
        let clv = [100.0, 50.0, 25.0, 10.0];
        let reward = [0.0, 10.0, 5.0, f64::NAN];
        let s = CrvSettings::new(0.2, 30.0).unwrap();
        let v = referral_value(&referrer, &clv, &reward, &s).unwrap();
        // CRV_0 = 0.2*50 + 0.8*(30-10) + 0.2*10 + 0.8*30 = 10 + 16 + 2 + 24 = 52
        // CRV_1 = 0.2*25 + 0.8*(30-5) = 5 + 20 = 25
        assert!(close(v.crv[0], 52.0) && close(v.crv[1], 25.0));
        // sum = 0.2*(50+25+10) + 0.8*(20+25+30) = 17 + 60 = 77
        assert!(close(v.crv.iter().sum::<f64>(), 77.0));
        assert!(close(v.second_generation[0], 25.0));
        // CLV is untouched: total value = clv + crv.
        assert!(close(clv[0] + v.crv[0], 152.0));
    }

    #[test]
    fn the_summary_by_hand() {
        // The graph of the first test: valid edges 1 <- 0, 2 <- 0, 3 <- 1, 7 <- 4.
        let referrer = [
            None,
            Some(0),
            Some(0),
            Some(1),
            Some(5),
            Some(4),
            Some(6),
            Some(4),
        ];
        let clv = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0];
        let s = CrvSettings::new(0.5, 10.0).unwrap();
        let v = referral_value(&referrer, &clv, &[0.0; 8], &s).unwrap();
        let revenue = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let sum = referral_summary(&v, &clv, &revenue, 2).unwrap();
        assert_eq!(
            (sum.customers, sum.referred_customers, sum.referrers),
            (8, 4, 3)
        );
        // Referred revenue 2 + 3 + 4 + 8 = 17 of 36.
        assert!(close(sum.referred_revenue, 17.0) && close(sum.total_revenue, 36.0));
        assert!(close(sum.revenue_share, 17.0 / 36.0));
        assert!(close(sum.referred_clv, 20.0 + 30.0 + 40.0 + 80.0));
        // CRV: 0 -> 0.5*(20+30) + 0.5*(10+10) = 35; 1 -> 0.5*40 + 5 = 25; 4 -> 0.5*80 + 5 = 45.
        assert!(close(sum.total_crv, 35.0 + 25.0 + 45.0));
        assert_eq!(sum.top_referrers, vec![4, 0]);
        assert!(referral_summary(&v, &clv, &revenue[..7], 2).is_err());
    }

    #[test]
    fn bad_input_is_an_error() {
        let s = CrvSettings::new(0.5, 1.0).unwrap();
        assert!(referral_value(&[Some(3)], &[1.0], &[0.0], &s).is_err());
        assert!(referral_value(&[None], &[1.0, 2.0], &[0.0], &s).is_err());
        assert!(referral_value(&[None], &[f64::NAN], &[0.0], &s).is_err());
        assert!(referral_value(&[None], &[1.0], &[f64::INFINITY], &s).is_err());
        for (f, cac, name) in [
            (1.5, 1.0, "incremental_share"),
            (0.5, f64::NAN, "cac_saved"),
        ] {
            match CrvSettings::new(f, cac).unwrap_err() {
                Error::InvalidSetting { name: got, .. } => assert_eq!(got, name),
                e => panic!("{e}"),
            }
        }
    }

    proptest::proptest! {
        /// On any graph (self-referrals and cycles included) the total of CRV
        /// equals the formula summed over the valid edges, and edges on
        /// cycles or self-loops are never used.
        #[test]
        fn the_identity_holds_on_random_graphs(
            edges in proptest::collection::vec(proptest::option::of(0usize..12), 12),
            clv in proptest::collection::vec(-5.0f64..100.0, 12),
            reward in proptest::collection::vec(proptest::option::of(0.0f64..20.0), 12),
            f in 0.0f64..=1.0,
        ) {
            let reward: Vec<f64> = reward.iter().map(|r| r.unwrap_or(f64::NAN)).collect();
            let s = CrvSettings::new(f, 15.0).unwrap();
            let v = referral_value(&edges, &clv, &reward, &s).unwrap();
            let mut expected = 0.0;
            let mut unknown = 0;
            for (j, e) in v.referred_by.iter().enumerate() {
                if e.is_some() {
                    let r = if reward[j].is_nan() { unknown += 1; 0.0 } else { reward[j] };
                    expected += f * clv[j] + (1.0 - f) * (15.0 - r);
                }
            }
            let total: f64 = v.crv.iter().sum();
            proptest::prop_assert!((total - expected).abs() < 1e-9 * (1.0 + expected.abs()));
            proptest::prop_assert_eq!(unknown, v.unknown_rewards);
            // A valid edge is an input edge, never a self-loop, and following
            // valid edges from anyone ends (no cycle is left).
            for (j, e) in v.referred_by.iter().enumerate() {
                if let Some(i) = *e {
                    proptest::prop_assert_eq!(edges[j], Some(i));
                    proptest::prop_assert!(i != j);
                }
                let mut node = j;
                let mut steps = 0;
                while let Some(i) = v.referred_by[node] {
                    node = i;
                    steps += 1;
                    proptest::prop_assert!(steps <= 12);
                }
            }
            // Every dropped edge is a self-referral or on a reported cycle.
            let mut flagged = [false; 12];
            for p in &v.problems {
                match p {
                    ReferralProblem::SelfReferral { row } => flagged[*row] = true,
                    ReferralProblem::Cycle { rows } => rows.iter().for_each(|&r| flagged[r] = true),
                }
            }
            for j in 0..12 {
                proptest::prop_assert_eq!(edges[j].is_some() && v.referred_by[j].is_none(), flagged[j]);
            }
            proptest::prop_assert_eq!(v.referred.iter().map(|&k| k as usize).sum::<usize>(),
                v.referred_by.iter().filter(|e| e.is_some()).count());
        }
    }

    #[test]
    fn quadrants_and_default_cuts() {
        // CLV median of [1, 2, 3, 4] = (2 + 3) / 2 = 2.5; CRV > 0: [5, 1, 3] -> median 3.
        let cuts = default_quadrant_cuts(&[1.0, 2.0, 3.0, 4.0], &[0.0, 5.0, 1.0, 3.0]);
        assert_eq!(cuts, QuadrantCuts { clv: 2.5, crv: 3.0 });
        assert_eq!(quadrant(2.5, 3.0, &cuts), Quadrant::Champion);
        assert_eq!(quadrant(4.0, 2.9, &cuts), Quadrant::Affluent);
        assert_eq!(quadrant(2.4, 5.0, &cuts), Quadrant::Advocate);
        assert_eq!(quadrant(2.4, 0.0, &cuts), Quadrant::Misers);
        // No referrers: the CRV cut is 0, and CRV 0 is still low.
        let cuts = default_quadrant_cuts(&[1.0, 2.0, 3.0], &[0.0; 3]);
        assert_eq!(cuts, QuadrantCuts { clv: 2.0, crv: 0.0 });
        assert_eq!(quadrant(3.0, 0.0, &cuts), Quadrant::Affluent);
        assert_eq!(Quadrant::Misers.name(), "misers");
    }
}
