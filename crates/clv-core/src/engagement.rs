//! Community engagement: recency-weighted scores, and two groups compared
//! with confidence intervals.
//!
//! # Engagement score
//!
//! Each event (a review, a mention, a share, an event attended, a forum
//! post, a support ticket, ...) of a customer has a weight (1 unless the
//! events file says otherwise) and a day. The score at `end_day` halves with
//! every `half_life_days` of age:
//!
//! ```text
//! score_i = sum over i's events e with day_e <= end_day of  weight_e * 0.5^((end_day - day_e) / half_life_days)
//! ```
//!
//! An event on `end_day` counts its full weight, one `half_life_days` old
//! half of it. Events after `end_day` are ignored and counted
//! ([`EngagementScores::after_end`]), so a file that runs past the
//! observation end is visible, not silently mixed in.
//!
//! # Activity by kind
//!
//! [`kind_activity`]: per kind of event, the number of events, their total
//! weight, the reach (distinct customers with at least one event of the
//! kind) and the number of events per calendar month (absolute months as in
//! [`crate::economics::month_index`], from days since 1970-01-01 by
//! [`month_of_day`]).
//!
//! # Comparing two groups
//!
//! [`compare_means`]: per group the mean with the interval
//! `mean ± t_{level, n-1} * s / sqrt(n)` (`s` the sample standard deviation);
//! the difference `mean_a - mean_b` with Welch's interval:
//!
//! ```text
//! se = sqrt(s_a^2 / n_a + s_b^2 / n_b)
//! df = se^4 / ((s_a^2/n_a)^2 / (n_a - 1) + (s_b^2/n_b)^2 / (n_b - 1))      (Welch-Satterthwaite)
//! difference ± t_{level, df} * se
//! ```
//!
//! The Student t quantile is computed exactly (inverting the regularized
//! incomplete beta function), so no normal approximation is needed for small
//! groups; for large groups it tends to the normal quantile. A group with
//! fewer than two members has no interval: `lo = hi = point` and
//! `has_interval = false` (for an empty group the point is 0 and `n` is 0);
//! the difference then has no interval either. When both groups have zero
//! variance the intervals have zero width.
//!
//! [`compare_proportions`]: per group the Wilson score interval (Wilson
//! 1927), with `z` the normal quantile at `(1 + level) / 2`:
//!
//! ```text
//! centre = (p + z^2 / (2n)) / (1 + z^2 / n)
//! half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
//! ```
//!
//! and for the difference `p_a - p_b` Newcombe's hybrid score interval
//! (Newcombe 1998, method 10) from the two Wilson intervals `[l_a, u_a]`,
//! `[l_b, u_b]`:
//!
//! ```text
//! lo = (p_a - p_b) - sqrt((p_a - l_a)^2 + (u_b - p_b)^2)
//! hi = (p_a - p_b) + sqrt((u_a - p_a)^2 + (p_b - l_b)^2)
//! ```
//!
//! A Wilson interval needs one member; an empty group has none.
//!
//! These comparisons describe association, not cause: engaged customers may
//! buy more because they were already keen.

use crate::special::beta_reg;
use crate::{Error, Result};

/// Recency-weighted engagement score per customer (see the module docs).
///
/// `events`: `(customer index, day, weight)`; events after `end_day` are
/// ignored ([`engagement_summary`] counts them).
///
/// # Errors
/// As [`engagement_summary`].
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
///
/// # Errors
/// [`Error::InvalidSetting`] when `half_life_days` is not positive and
/// finite; [`Error::InvalidData`] for an event whose customer index is not
/// below `n` or whose weight is not finite (naming the event's index).
pub fn engagement_summary(
    n: usize,
    events: &[(usize, i32, f64)],
    end_day: i32,
    half_life_days: f64,
) -> Result<EngagementScores> {
    if !(half_life_days.is_finite() && half_life_days > 0.0) {
        return Err(Error::InvalidSetting {
            name: "half_life_days",
            value: half_life_days,
            reason: "must be a positive number of days",
        });
    }
    let mut scores = vec![0.0; n];
    let mut counts = vec![0u32; n];
    let mut after_end = 0;
    for (k, &(customer, day, weight)) in events.iter().enumerate() {
        if customer >= n {
            return Err(Error::InvalidData(format!(
                "event {k} names customer {customer}, but there are only {n} customers"
            )));
        }
        if !weight.is_finite() {
            return Err(Error::InvalidData(format!(
                "event {k} has weight {weight}; a weight must be a finite number"
            )));
        }
        if day > end_day {
            after_end += 1;
            continue;
        }
        let age = f64::from(end_day) - f64::from(day);
        scores[customer] += weight * (-age / half_life_days).exp2();
        counts[customer] += 1;
    }
    Ok(EngagementScores {
        scores,
        counts,
        after_end,
    })
}

/// [`engagement_scores`] on events given as columns: event `k` is of
/// customer `customer[k]` (`u32::MAX`: of no customer, skipped), on
/// `day[k]`, with `weight[k]`. Events after `end_day` are skipped. The
/// same formula, without building a list of tuples (millions of events).
///
/// # Errors
///
/// As [`engagement_scores`]: a half-life that is not positive, columns of
/// different lengths, a customer index `>= n`, a non-finite weight.
pub fn engagement_scores_by_column(
    n: usize,
    customer: &[u32],
    day: &[i32],
    weight: &[f64],
    end_day: i32,
    half_life_days: f64,
) -> Result<Vec<f64>> {
    if !(half_life_days.is_finite() && half_life_days > 0.0) {
        return Err(Error::InvalidSetting {
            name: "half_life_days",
            value: half_life_days,
            reason: "must be a positive number of days",
        });
    }
    if customer.len() != day.len() || day.len() != weight.len() {
        return Err(Error::InvalidData(format!(
            "{} customers, {} days and {} weights for the events",
            customer.len(),
            day.len(),
            weight.len()
        )));
    }
    let mut scores = vec![0.0; n];
    for k in 0..customer.len() {
        let c = customer[k];
        if c == u32::MAX || day[k] > end_day {
            continue;
        }
        let c = c as usize;
        if c >= n {
            return Err(Error::InvalidData(format!(
                "event {k} names customer {c}, but there are only {n} customers"
            )));
        }
        let w = weight[k];
        if !w.is_finite() {
            return Err(Error::InvalidData(format!(
                "event {k} has weight {w}; a weight must be a finite number"
            )));
        }
        let age = f64::from(end_day) - f64::from(day[k]);
        scores[c] += w * (-age / half_life_days).exp2();
    }
    Ok(scores)
}

/// The absolute month ([`crate::economics::month_index`]) of a day counted
/// from 1970-01-01 (day 0), in the proleptic Gregorian calendar (the
/// days-to-civil algorithm of H. Hinnant, "chrono-compatible low-level date
/// algorithms").
pub fn month_of_day(day: i32) -> i32 {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // |day| < 2^31 keeps the year within about +-5.9 million: the month fits an i32.
    (year * 12 + month - 1) as i32
}

/// Activity of one kind of event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindActivity {
    /// The kind's index.
    pub kind: usize,
    /// Events of this kind.
    pub events: usize,
    /// Their total weight.
    pub weight: f64,
    /// Distinct customers with at least one event of this kind.
    pub reach: usize,
    /// `(absolute month, events)` for each month with an event, months increasing.
    pub by_month: Vec<(i32, usize)>,
}

/// Events, total weight, reach and events per month for each of `n_kinds`
/// kinds. `events`: `(customer index, day since 1970-01-01, kind index)`
/// with `weights` beside them (the caller leaves out events it ignores, such
/// as those after the observation end).
///
/// # Errors
/// [`Error::InvalidData`] for different lengths, a customer index not below
/// `n`, a kind index not below `n_kinds`, or a weight that is not finite.
pub fn kind_activity(
    n: usize,
    n_kinds: usize,
    events: &[(usize, i32, usize)],
    weights: &[f64],
) -> Result<Vec<KindActivity>> {
    if events.len() != weights.len() {
        return Err(Error::InvalidData(format!(
            "kind activity needs one weight per event: {} weights for {} events",
            weights.len(),
            events.len()
        )));
    }
    let mut out: Vec<KindActivity> = (0..n_kinds)
        .map(|kind| KindActivity {
            kind,
            events: 0,
            weight: 0.0,
            reach: 0,
            by_month: Vec::new(),
        })
        .collect();
    // One bit per (kind, customer): n_kinds * n / 8 bytes.
    let words = n.div_ceil(64);
    let mut seen = vec![0u64; words * n_kinds];
    let mut months: Vec<std::collections::BTreeMap<i32, usize>> = vec![Default::default(); n_kinds];
    for (k, (&(customer, day, kind), &w)) in events.iter().zip(weights).enumerate() {
        if customer >= n {
            return Err(Error::InvalidData(format!(
                "event {k} names customer {customer}, but there are only {n} customers"
            )));
        }
        if kind >= n_kinds {
            return Err(Error::InvalidData(format!(
                "event {k} has kind {kind}, but there are only {n_kinds} kinds"
            )));
        }
        if !w.is_finite() {
            return Err(Error::InvalidData(format!(
                "event {k} has weight {w}; a weight must be a finite number"
            )));
        }
        let a = &mut out[kind];
        a.events += 1;
        a.weight += w;
        let (word, bit) = (kind * words + customer / 64, 1u64 << (customer % 64));
        if seen[word] & bit == 0 {
            seen[word] |= bit;
            a.reach += 1;
        }
        *months[kind].entry(month_of_day(day)).or_default() += 1;
    }
    for (a, m) in out.iter_mut().zip(months) {
        a.by_month = m.into_iter().collect();
    }
    Ok(out)
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

impl Estimate {
    /// An estimate without an interval (`lo = hi = point`).
    pub fn point_only(point: f64, n: usize) -> Estimate {
        Estimate {
            point,
            lo: point,
            hi: point,
            n,
            has_interval: false,
        }
    }
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

/// The standard normal quantile `Phi^{-1}(p)` for `p` in (0, 1) (Acklam's
/// rational approximation, relative error below 1.2e-9). Returns -infinity
/// for `p <= 0` and +infinity for `p >= 1`.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail(p)
    } else if p > 1.0 - LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The upper quantile `t` with `P(T > t) = upper` of Student's t with `df`
/// degrees of freedom (any positive real), for `upper` in (0, 0.5]:
/// bisection on `P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `df` not positive or `upper` outside
/// (0, 0.5]; [`Error::Numerical`] if the incomplete beta fails.
pub fn student_t_upper_quantile(df: f64, upper: f64) -> Result<f64> {
    if df.is_nan() || df <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "df",
            value: df,
            reason: "must be positive",
        });
    }
    if !(upper > 0.0 && upper <= 0.5) {
        return Err(Error::InvalidParameter {
            name: "upper",
            value: upper,
            reason: "must be in (0, 0.5]",
        });
    }
    if df.is_infinite() || df > 1e7 {
        return Ok(-normal_quantile(upper));
    }
    let tail = |t: f64| -> Result<f64> { Ok(0.5 * beta_reg(0.5 * df, 0.5, df / (df + t * t))?) };
    let mut hi = 1.0;
    while tail(hi)? > upper {
        hi *= 2.0;
        if hi > 1e300 {
            return Err(Error::Numerical("Student t quantile".to_string()));
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid)? > upper {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

fn check_level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            name: "level",
            value: level,
            reason: "must be strictly between 0 and 1 (0.95 for 95 % intervals)",
        })
    }
}

fn check_groups(len: usize, in_a: &[bool]) -> Result<()> {
    if len != in_a.len() {
        return Err(Error::InvalidData(format!(
            "comparing groups needs one group flag per value; got {len} values and {} flags",
            in_a.len()
        )));
    }
    Ok(())
}

/// Mean, sample variance and count of one group.
fn moments(values: impl Iterator<Item = f64>) -> (f64, f64, usize) {
    let (mut n, mut mean, mut m2) = (0usize, 0.0, 0.0);
    for v in values {
        n += 1;
        let d = v - mean;
        mean += d / n as f64;
        m2 += d * (v - mean);
    }
    let var = if n > 1 { m2 / (n - 1) as f64 } else { 0.0 };
    (mean, var, n)
}

/// Means of `values` in group a (`in_a` true) and group b, with `level`
/// intervals: `mean ± t * se` per group and Welch's interval for the
/// difference (see the module docs).
///
/// # Errors
/// [`Error::InvalidSetting`] for a level outside (0, 1);
/// [`Error::InvalidData`] for different lengths or a non-finite value.
pub fn compare_means(values: &[f64], in_a: &[bool], level: f64) -> Result<GroupComparison> {
    check_level(level)?;
    check_groups(values.len(), in_a)?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidData(format!(
            "value {i} is {}; means need finite values",
            values[i]
        )));
    }
    let upper = 0.5 * (1.0 - level);
    let group = |flag: bool| -> Result<(Estimate, f64)> {
        let (mean, var, n) = moments(
            values
                .iter()
                .zip(in_a)
                .filter(|&(_, &g)| g == flag)
                .map(|(&v, _)| v),
        );
        if n < 2 {
            return Ok((Estimate::point_only(mean, n), var));
        }
        let half = student_t_upper_quantile((n - 1) as f64, upper)? * (var / n as f64).sqrt();
        Ok((
            Estimate {
                point: mean,
                lo: mean - half,
                hi: mean + half,
                n,
                has_interval: true,
            },
            var,
        ))
    };
    let (a, var_a) = group(true)?;
    let (b, var_b) = group(false)?;
    let point = a.point - b.point;
    let n = a.n + b.n;
    let difference = if a.n < 2 || b.n < 2 {
        Estimate::point_only(point, n)
    } else {
        let (qa, qb) = (var_a / a.n as f64, var_b / b.n as f64);
        let se = (qa + qb).sqrt();
        let half = if se == 0.0 {
            0.0
        } else {
            let df = (qa + qb).powi(2) / (qa * qa / (a.n - 1) as f64 + qb * qb / (b.n - 1) as f64);
            student_t_upper_quantile(df, upper)? * se
        };
        Estimate {
            point,
            lo: point - half,
            hi: point + half,
            n,
            has_interval: true,
        }
    };
    Ok(GroupComparison { a, b, difference })
}

/// The Wilson score interval of `successes` out of `n` at normal quantile
/// `z`; `None` when `n = 0`.
pub fn wilson_interval(successes: usize, n: usize, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Proportions of `successes` in groups a and b with Wilson intervals, and
/// Newcombe's hybrid score interval for the difference (see the module docs).
///
/// # Errors
/// [`Error::InvalidSetting`] for a level outside (0, 1);
/// [`Error::InvalidData`] for different lengths.
pub fn compare_proportions(
    successes: &[bool],
    in_a: &[bool],
    level: f64,
) -> Result<GroupComparison> {
    check_level(level)?;
    check_groups(successes.len(), in_a)?;
    let z = normal_quantile(0.5 + 0.5 * level);
    let group = |flag: bool| -> Estimate {
        let (mut x, mut n) = (0usize, 0usize);
        for (&s, _) in successes.iter().zip(in_a).filter(|&(_, &g)| g == flag) {
            n += 1;
            x += usize::from(s);
        }
        let p = if n == 0 { 0.0 } else { x as f64 / n as f64 };
        match wilson_interval(x, n, z) {
            Some((lo, hi)) => Estimate {
                point: p,
                lo,
                hi,
                n,
                has_interval: true,
            },
            None => Estimate::point_only(p, n),
        }
    };
    let (a, b) = (group(true), group(false));
    let point = a.point - b.point;
    let difference = if a.has_interval && b.has_interval {
        Estimate {
            point,
            lo: point - ((a.point - a.lo).powi(2) + (b.hi - b.point).powi(2)).sqrt(),
            hi: point + ((a.hi - a.point).powi(2) + (b.point - b.lo).powi(2)).sqrt(),
            n: a.n + b.n,
            has_interval: true,
        }
    } else {
        Estimate::point_only(point, a.n + b.n)
    };
    Ok(GroupComparison { a, b, difference })
}

#[cfg(test)]
mod tests {
    #[test]
    fn scores_by_column_equal_scores_of_tuples() {
        // Customer 0: weight 2 today and 1 a half-life (10 days) ago: 2.5;
        // customer 1: one event after the end (skipped) and one 20 days
        // ago: 0.25; an event of no customer is skipped.
        let tuples = [
            (0usize, 100, 2.0),
            (0, 90, 1.0),
            (1, 101, 5.0),
            (1, 80, 1.0),
        ];
        let a = engagement_scores(2, &tuples, 100, 10.0).unwrap();
        let b = engagement_scores_by_column(
            2,
            &[0, 0, 1, 1, u32::MAX],
            &[100, 90, 101, 80, 50],
            &[2.0, 1.0, 5.0, 1.0, 9.0],
            100,
            10.0,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(b, vec![2.5, 0.25]);
        assert!(engagement_scores_by_column(1, &[0], &[1, 2], &[1.0], 5, 1.0).is_err());
        assert!(engagement_scores_by_column(1, &[3], &[1], &[1.0], 5, 1.0).is_err());
    }

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn engagement_score_halves_with_each_half_life() {
        // half-life 10 days, end day 100.
        let events = [
            (0, 100, 1.0), // 1 * 0.5^0 = 1
            (0, 90, 2.0),  // 2 * 0.5^1 = 1
            (0, 80, 1.0),  // 1 * 0.5^2 = 0.25
            (0, 101, 5.0), // after the end: ignored
            (1, 95, 4.0),  // 4 * 0.5^0.5 = 4 / sqrt(2)
        ];
        let s = engagement_summary(3, &events, 100, 10.0).unwrap();
        assert!(close(s.scores[0], 1.0 + 1.0 + 0.25, 1e-12));
        assert!(close(s.scores[1], 4.0 / 2f64.sqrt(), 1e-12));
        assert_eq!(s.scores[2], 0.0);
        assert_eq!(s.counts, vec![3, 1, 0]);
        assert_eq!(s.after_end, 1);
        assert_eq!(engagement_scores(3, &events, 100, 10.0).unwrap(), s.scores);
    }

    #[test]
    fn engagement_rejects_bad_input() {
        assert!(matches!(
            engagement_scores(1, &[(1, 0, 1.0)], 0, 1.0),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            engagement_scores(1, &[(0, 0, f64::NAN)], 0, 1.0),
            Err(Error::InvalidData(_))
        ));
        assert!(matches!(
            engagement_scores(1, &[], 0, 0.0),
            Err(Error::InvalidSetting {
                name: "half_life_days",
                ..
            })
        ));
    }

    #[test]
    fn months_of_days() {
        use crate::economics::month_index;
        assert_eq!(month_of_day(0), month_index(1970, 1));
        assert_eq!(month_of_day(30), month_index(1970, 1)); // 1970-01-31
        assert_eq!(month_of_day(31), month_index(1970, 2));
        assert_eq!(month_of_day(59), month_index(1970, 3)); // 31 + 28 days: 1970-03-01
        assert_eq!(month_of_day(-1), month_index(1969, 12));
        // 2000-01-01 is day 10957 (30 years, 7 leap days: 30*365 + 7); 2000 is a leap year:
        // +31 + 28 = day 11016 is 2000-02-29, day 11017 is 2000-03-01.
        assert_eq!(month_of_day(10_957), month_index(2000, 1));
        assert_eq!(month_of_day(11_016), month_index(2000, 2));
        assert_eq!(month_of_day(11_017), month_index(2000, 3));
    }

    #[test]
    fn activity_by_kind() {
        // Kind 0: customers 0, 0, 1 (reach 2) in January and February 1970; kind 1: customer 2 once;
        // kind 2: nothing.
        let events = [(0, 0, 0), (0, 40, 0), (1, 45, 0), (2, 10, 1)];
        let a = kind_activity(3, 3, &events, &[1.0, 2.0, 0.5, 1.0]).unwrap();
        assert_eq!((a[0].events, a[0].reach, a[0].weight), (3, 2, 3.5));
        assert_eq!(a[0].by_month, vec![(23_640, 1), (23_641, 2)]); // 1970*12 = 23640
        assert_eq!((a[1].events, a[1].reach), (1, 1));
        assert_eq!((a[2].events, a[2].reach, a[2].by_month.len()), (0, 0, 0));
        assert!(kind_activity(3, 1, &events, &[1.0; 4]).is_err());
        assert!(kind_activity(2, 3, &events, &[1.0; 4]).is_err());
        assert!(kind_activity(3, 3, &events, &[1.0; 3]).is_err());
    }

    #[test]
    fn quantiles_match_tables() {
        assert!(close(normal_quantile(0.975), 1.959_963_984_540_054, 1e-8));
        assert!(close(normal_quantile(0.01), -2.326_347_874_040_841, 1e-8));
        assert_eq!(normal_quantile(0.5), 0.0);
        // Student t, two-sided 95 %: df 1 (Cauchy: tan(0.475 pi)), 4, 8, 10.
        let t1 = (0.475 * std::f64::consts::PI).tan();
        assert!(close(
            student_t_upper_quantile(1.0, 0.025).unwrap(),
            t1,
            1e-9
        ));
        assert!(close(
            student_t_upper_quantile(4.0, 0.025).unwrap(),
            2.776_445_105_197_799,
            1e-9
        ));
        assert!(close(
            student_t_upper_quantile(8.0, 0.025).unwrap(),
            2.306_004_135_204_166,
            1e-9
        ));
        assert!(close(
            student_t_upper_quantile(10.0, 0.025).unwrap(),
            2.228_138_851_964_938,
            1e-9
        ));
        // df 2 has a closed form: with a = 1/2 - u, t = 2a sqrt(2 / (1 - 4a^2)).
        let a: f64 = 0.5 - 0.025;
        let t2 = 2.0 * a * (2.0 / (1.0 - 4.0 * a * a)).sqrt();
        assert!(close(
            student_t_upper_quantile(2.0, 0.025).unwrap(),
            t2,
            1e-9
        ));
        assert!(student_t_upper_quantile(0.0, 0.025).is_err());
        assert!(student_t_upper_quantile(3.0, 0.7).is_err());
    }

    #[test]
    fn compare_means_by_hand() {
        // a = 1..=5: mean 3, s^2 = (4+1+0+1+4)/4 = 2.5, se = sqrt(2.5/5) = sqrt(0.5).
        // b = 2..=6: mean 4, the same variance.
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let in_a = [
            true, true, true, true, true, false, false, false, false, false,
        ];
        let c = compare_means(&values, &in_a, 0.95).unwrap();
        let half_a = 2.776_445_105_197_799 * 0.5f64.sqrt(); // t_{0.975, 4}
        assert!(close(c.a.point, 3.0, 1e-12) && close(c.a.lo, 3.0 - half_a, 1e-8));
        assert!(close(c.a.hi, 3.0 + half_a, 1e-8) && c.a.n == 5 && c.a.has_interval);
        assert!(close(c.b.point, 4.0, 1e-12) && close(c.b.lo, 4.0 - half_a, 1e-8));
        // Welch: se = sqrt(0.5 + 0.5) = 1; df = 1^2 / (0.5^2/4 + 0.5^2/4) = 8; t_{0.975, 8}.
        let half_d = 2.306_004_135_204_166;
        assert!(close(c.difference.point, -1.0, 1e-12));
        assert!(close(c.difference.lo, -1.0 - half_d, 1e-8));
        assert!(close(c.difference.hi, -1.0 + half_d, 1e-8));
        assert_eq!(c.difference.n, 10);
    }

    #[test]
    fn a_group_of_one_has_no_interval() {
        let c = compare_means(&[1.0, 2.0, 3.0, 10.0], &[true, true, true, false], 0.9).unwrap();
        assert!(c.a.has_interval);
        assert_eq!(c.b, Estimate::point_only(10.0, 1));
        assert_eq!(c.difference, Estimate::point_only(2.0 - 10.0, 4));
        let c = compare_means(&[1.0, 2.0], &[true, true], 0.9).unwrap();
        assert_eq!(c.b, Estimate::point_only(0.0, 0));
        assert!(c.difference.lo.is_finite());
        assert!(compare_means(&[1.0], &[true, false], 0.95).is_err());
        assert!(compare_means(&[f64::NAN], &[true], 0.95).is_err());
        assert!(matches!(
            compare_means(&[1.0], &[true], 1.0),
            Err(Error::InvalidSetting { name: "level", .. })
        ));
    }

    #[test]
    fn compare_proportions_wilson_and_newcombe_by_hand() {
        // a: 8 of 10, b: 3 of 10, level 0.95.
        let mut successes = vec![true; 8];
        successes.extend([false, false, true, true, true]);
        successes.extend([false; 7]);
        let mut in_a = vec![true; 10];
        in_a.extend([false; 10]);
        let c = compare_proportions(&successes, &in_a, 0.95).unwrap();
        let z = 1.959_963_984_540_054;
        let wilson = |p: f64, n: f64| {
            let denom = 1.0 + z * z / n;
            let centre = (p + z * z / (2.0 * n)) / denom;
            let half = z / denom * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
            (centre - half, centre + half)
        };
        let (la, ua) = wilson(0.8, 10.0);
        let (lb, ub) = wilson(0.3, 10.0);
        // The usual 4-decimal values: 8/10 -> (0.4902, 0.9433), 3/10 -> (0.1078, 0.6032).
        assert!(close(la, 0.4902, 1e-4) && close(ua, 0.9433, 1e-4));
        assert!(close(lb, 0.1078, 1e-4) && close(ub, 0.6032, 1e-4));
        assert!(close(c.a.point, 0.8, 1e-12) && close(c.a.lo, la, 1e-8) && close(c.a.hi, ua, 1e-8));
        assert!(close(c.b.point, 0.3, 1e-12) && close(c.b.lo, lb, 1e-8) && close(c.b.hi, ub, 1e-8));
        let lo = 0.5 - ((0.8 - la).powi(2) + (ub - 0.3).powi(2)).sqrt();
        let hi = 0.5 + ((ua - 0.8).powi(2) + (0.3 - lb).powi(2)).sqrt();
        assert!(close(c.difference.point, 0.5, 1e-12));
        assert!(close(c.difference.lo, lo, 1e-8) && close(c.difference.hi, hi, 1e-8));
        // An empty group has no interval, nor has the difference.
        let c = compare_proportions(&[true, false], &[true, true], 0.95).unwrap();
        assert!(!c.b.has_interval && !c.difference.has_interval);
        assert!(c.a.has_interval);
    }
}
