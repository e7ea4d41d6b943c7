//! RFM scores and named segments, value tiers and churn risk.
//!
//! # RFM quintile scores
//!
//! Each of recency, frequency and monetary value is scored 1 to 5 (5 = most
//! recent, most frequent, highest spend) by [`quintile_scores`]:
//!
//! ```text
//! score_i = 1 + floor(5 * w_i / n)
//! ```
//!
//! where `n` is the number of customers and `w_i` the number of customers
//! with a strictly *worse* value than customer `i` (a smaller value when
//! higher is better, as for frequency and monetary value; a larger one when
//! lower is better, as for recency given as days since the last purchase).
//! Because only strictly worse values count, **ties get the same score**.
//! Since `w_i <= n - 1`, the score never exceeds 5, and the worst value
//! always scores 1.
//!
//! **Fewer than five distinct values.** Scores follow the ranks, not a fixed
//! number of groups, so some scores are then unused. Example: when 60 % of
//! the customers have frequency 0 they all score 1 (nobody is worse), and
//! the next frequency value scores `1 + floor(5 * 0.6) = 4`; scores 2 and 3
//! are unused. A column where every customer has the same value scores 1
//! throughout. This is deliberate: a customer is never scored as better than
//! another with the same value, and a score of 4 still means "better than
//! 60 % of customers".
//!
//! # The default segment map
//!
//! A [`SegmentMap`] is an ordered list of rules on the three scores
//! (inclusive ranges); the **first matching rule wins**. The default
//! ([`SegmentMap::default_map`]) follows the widely used RFM segment table
//! popularised by Putler ("RFM analysis for successful customer
//! segmentation"), which ranks customers on R and on the average of F and M.
//! Here the table is written on R and F, with M separating the top spenders
//! (champions among the recent and frequent, can't lose among the lapsed
//! frequent); everyone recent and frequent with a lower M is loyal.
//!
//! | priority | segment              | R     | F     | M     |
//! |---------:|----------------------|-------|-------|-------|
//! | 1        | `champions`          | 4-5   | 4-5   | 4-5   |
//! | 2        | `loyal`              | 3-5   | 4-5   | 1-5   |
//! | 3        | `can't lose`         | 1     | 4-5   | 4-5   |
//! | 4        | `at risk`            | 1-2   | 3-5   | 1-5   |
//! | 5        | `new`                | 5     | 1     | 1-5   |
//! | 6        | `promising`          | 4     | 1     | 1-5   |
//! | 7        | `potential loyalist` | 4-5   | 2-3   | 1-5   |
//! | 8        | `need attention`     | 3     | 2-3   | 1-5   |
//! | 9        | `about to sleep`     | 3     | 1     | 1-5   |
//! | 10       | `hibernating`        | 2     | 1-2   | 1-5   |
//! | 11       | `lost`               | 1     | 1-2   | 1-5   |
//!
//! The resulting grid of R (rows) by F (columns), with M deciding only the
//! starred cells (M 4-5 / M 1-3):
//!
//! ```text
//!        F=1             F=2-3               F=4-5
//! R=5    new             potential loyalist  champions* / loyal
//! R=4    promising       potential loyalist  champions* / loyal
//! R=3    about to sleep  need attention      loyal
//! R=2    hibernating     hibernating (F=2)   at risk
//!                        at risk (F=3)
//! R=1    lost            lost (F=2)          can't lose* / at risk
//!                        at risk (F=3)
//! ```
//!
//! Every one of the 125 `(r, f, m)` cells matches a rule (a unit test checks
//! it) and every segment is reached by some cell.
//!
//! A custom map is CSV text ([`SegmentMap::parse`]) with the header
//! `segment,r_min,r_max,f_min,f_max,m_min,m_max` and one rule per row in
//! priority order; it must cover all 125 cells (a catch-all last row such as
//! `other,1,5,1,5,1,5` does).
//!
//! # Value tiers
//!
//! [`value_tiers`]: `share_i = g_i / n` with `g_i` the number of customers
//! with a strictly greater CLV; `share < 0.01` is `top_1`, `< 0.10` `top_10`,
//! `< 0.50` `top_50`, else `rest`. Ties share a tier (all customers tied at
//! the top are `top_1`). The comparisons are done in integers
//! (`100 g < n`, `10 g < n`, `2 g < n`), so they are exact.
//!
//! # Churn risk
//!
//! [`churn_risk`] from P(alive) with [`ChurnCuts`] (defaults 0.3 and 0.7):
//! `p < high_below` is `high`, `p >= low_from` is `low`, anything between is
//! `medium`.

use crate::{Error, Result};

/// Quintile scores 1..=5 of `values` (see the module docs).
///
/// `score_i = 1 + floor(5 * w_i / n)` where `w_i` is the number of customers
/// with a strictly worse value (smaller when `higher_is_better`, larger
/// otherwise). Ties get the same score; with fewer than five distinct values
/// some scores are unused (60 % with frequency 0 all score 1, the next value
/// scores `1 + floor(5 * 0.6) = 4`). Recency passes days since the last
/// purchase with `higher_is_better = false`.
///
/// # Errors
/// [`Error::InvalidData`] naming the first NaN value's index.
pub fn quintile_scores(values: &[f64], higher_is_better: bool) -> Result<Vec<u8>> {
    if let Some(i) = values.iter().position(|v| v.is_nan()) {
        return Err(Error::InvalidData(format!(
            "value {} (0-based index {i}) is NaN; quintile scores need numbers",
            i + 1
        )));
    }
    let n = values.len();
    let mut scores = vec![0u8; n];
    for_tie_groups(values, |members, below, above| {
        let worse = if higher_is_better { below } else { above };
        // worse <= n - 1, so the quotient is at most 4.
        let score = 1 + (5 * worse / n) as u8;
        for &i in members {
            scores[i] = score;
        }
    });
    Ok(scores)
}

/// Calls `f(members, below, above)` for each group of equal non-NaN values:
/// the indices of the group, the number of non-NaN values strictly below
/// it and strictly above it. One parallel sort, then a linear walk.
fn for_tie_groups(values: &[f64], mut f: impl FnMut(&[usize], usize, usize)) {
    use rayon::prelude::*;
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    order.par_sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let m = order.len();
    let mut start = 0;
    while start < m {
        let v = values[order[start]];
        let mut end = start + 1;
        while end < m && values[order[end]] == v {
            end += 1;
        }
        f(&order[start..end], start, m - end);
        start = end;
    }
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

impl SegmentRule {
    fn new(name: &str, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> SegmentRule {
        SegmentRule {
            name: name.to_string(),
            r,
            f,
            m,
        }
    }

    /// Whether the score triple falls in all three ranges.
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let within = |(lo, hi): (u8, u8), s: u8| lo <= s && s <= hi;
        within(self.r, r) && within(self.f, f) && within(self.m, m)
    }
}

/// An ordered list of rules; the first matching rule names a customer's segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentMap {
    /// The rules in priority order.
    pub rules: Vec<SegmentRule>,
}

/// The segment name [`SegmentMap::segment`] returns for a cell no rule covers
/// (only possible for a hand-built map or scores outside 1..=5).
pub const UNASSIGNED: &str = "unassigned";

/// The header of a segment map's CSV text.
pub const SEGMENT_MAP_HEADER: [&str; 7] = [
    "segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max",
];

impl SegmentMap {
    /// The documented default map of eleven segments (see the module docs'
    /// table): champions, loyal, can't lose, at risk, new, promising,
    /// potential loyalist, need attention, about to sleep, hibernating, lost
    /// (in priority order).
    pub fn default_map() -> SegmentMap {
        SegmentMap {
            rules: vec![
                SegmentRule::new("champions", (4, 5), (4, 5), (4, 5)),
                SegmentRule::new("loyal", (3, 5), (4, 5), (1, 5)),
                SegmentRule::new("can't lose", (1, 1), (4, 5), (4, 5)),
                SegmentRule::new("at risk", (1, 2), (3, 5), (1, 5)),
                SegmentRule::new("new", (5, 5), (1, 1), (1, 5)),
                SegmentRule::new("promising", (4, 4), (1, 1), (1, 5)),
                SegmentRule::new("potential loyalist", (4, 5), (2, 3), (1, 5)),
                SegmentRule::new("need attention", (3, 3), (2, 3), (1, 5)),
                SegmentRule::new("about to sleep", (3, 3), (1, 1), (1, 5)),
                SegmentRule::new("hibernating", (2, 2), (1, 2), (1, 5)),
                SegmentRule::new("lost", (1, 1), (1, 2), (1, 5)),
            ],
        }
    }

    /// Parses a CSV text with header `segment,r_min,r_max,f_min,f_max,m_min,m_max`
    /// (rows in priority order; blank lines are skipped; a name may be
    /// quoted but cannot contain a comma).
    ///
    /// # Errors
    /// [`Error::SegmentMap`] naming the 1-based line and the column: a wrong
    /// header, a row with the wrong number of fields, an empty name, a score
    /// that is not a whole number in 1..=5, a min greater than its max; an
    /// empty map (no rows); and a map that leaves some `(r, f, m)` cell
    /// unassigned (naming the first such cell).
    pub fn parse(text: &str) -> Result<SegmentMap> {
        let err = |line: Option<usize>, column: Option<&str>, reason: String| Error::SegmentMap {
            line,
            column: column.map(str::to_string),
            reason,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((header_line, header)) = lines.next() else {
            return Err(err(
                None,
                None,
                format!(
                    "the map is empty; expected the header `{}` and at least one rule",
                    SEGMENT_MAP_HEADER.join(",")
                ),
            ));
        };
        let names: Vec<String> = header
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        if names != SEGMENT_MAP_HEADER {
            return Err(err(
                Some(header_line),
                None,
                format!(
                    "the header is `{}`; expected `{}`",
                    header.trim(),
                    SEGMENT_MAP_HEADER.join(",")
                ),
            ));
        }
        let mut rules = Vec::new();
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').map(str::trim).collect();
            if fields.len() != SEGMENT_MAP_HEADER.len() {
                return Err(err(
                    Some(line),
                    None,
                    format!(
                        "{} fields; expected {} ({})",
                        fields.len(),
                        SEGMENT_MAP_HEADER.len(),
                        SEGMENT_MAP_HEADER.join(",")
                    ),
                ));
            }
            let name = fields[0].trim_matches('"').trim();
            if name.is_empty() {
                return Err(err(
                    Some(line),
                    Some("segment"),
                    "the segment name is empty".to_string(),
                ));
            }
            let mut scores = [0u8; 6];
            for (k, score) in scores.iter_mut().enumerate() {
                let column = SEGMENT_MAP_HEADER[k + 1];
                let field = fields[k + 1];
                *score = match field.parse::<u8>() {
                    Ok(s) if (1..=5).contains(&s) => s,
                    _ => {
                        return Err(err(
                            Some(line),
                            Some(column),
                            format!("score {field:?} is not a whole number from 1 to 5"),
                        ));
                    }
                };
            }
            for (k, axis) in ["r", "f", "m"].iter().enumerate() {
                let (lo, hi) = (scores[2 * k], scores[2 * k + 1]);
                if lo > hi {
                    return Err(err(
                        Some(line),
                        Some(SEGMENT_MAP_HEADER[2 * k + 1]),
                        format!("{axis}_min {lo} is greater than {axis}_max {hi}"),
                    ));
                }
            }
            rules.push(SegmentRule {
                name: name.to_string(),
                r: (scores[0], scores[1]),
                f: (scores[2], scores[3]),
                m: (scores[4], scores[5]),
            });
        }
        if rules.is_empty() {
            return Err(err(
                None,
                None,
                "the map has a header but no rules; add at least one row".to_string(),
            ));
        }
        let map = SegmentMap { rules };
        if let Some((r, f, m)) = map.first_unassigned() {
            return Err(err(
                None,
                None,
                format!(
                    "no rule covers the cell r={r}, f={f}, m={m}; every (r, f, m) from 1 to 5 \
                     must match a rule (a last row `other,1,5,1,5,1,5` catches the rest)"
                ),
            ));
        }
        Ok(map)
    }

    /// The map as CSV text in the format [`SegmentMap::parse`] reads (header
    /// and one row per rule, in priority order), for users to copy and edit.
    pub fn to_csv(&self) -> String {
        let mut out = SEGMENT_MAP_HEADER.join(",");
        out.push('\n');
        for rule in &self.rules {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                rule.name, rule.r.0, rule.r.1, rule.f.0, rule.f.1, rule.m.0, rule.m.1
            ));
        }
        out
    }

    /// The 0-based indices of rules that no cell reaches because earlier
    /// rules take all their cells (a map may still be used; the application
    /// can warn about them).
    pub fn unreachable_rules(&self) -> Vec<usize> {
        let mut reached = vec![false; self.rules.len()];
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                for m in 1..=5u8 {
                    if let Some(k) = self.rules.iter().position(|rule| rule.matches(r, f, m)) {
                        reached[k] = true;
                    }
                }
            }
        }
        (0..reached.len()).filter(|&k| !reached[k]).collect()
    }

    /// The first `(r, f, m)` cell (in lexicographic order) that no rule covers.
    pub fn first_unassigned(&self) -> Option<(u8, u8, u8)> {
        (1..=5u8)
            .flat_map(|r| (1..=5u8).flat_map(move |f| (1..=5u8).map(move |m| (r, f, m))))
            .find(|&(r, f, m)| !self.rules.iter().any(|rule| rule.matches(r, f, m)))
    }

    /// The segment of the score triple: the name of the first matching rule,
    /// or [`UNASSIGNED`] when none matches (never for a parsed or default map
    /// with scores in 1..=5).
    pub fn segment(&self, r: u8, f: u8, m: u8) -> &str {
        self.rules
            .iter()
            .find(|rule| rule.matches(r, f, m))
            .map_or(UNASSIGNED, |rule| rule.name.as_str())
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

/// Number of values strictly greater than each value (NaN values are never
/// counted as greater, and themselves get `None`).
pub(crate) fn greater_counts(values: &[f64]) -> Vec<Option<usize>> {
    let mut out = vec![None; values.len()];
    for_tie_groups(values, |members, _, above| {
        for &i in members {
            out[i] = Some(above);
        }
    });
    out
}

/// Tiers by rank of CLV: `share_i = g_i / n` with `g_i` the number of
/// customers with a strictly greater CLV; `share < 0.01` is Top1, `< 0.10`
/// Top10, `< 0.50` Top50, else Rest (ties share a tier). A NaN CLV (no
/// prediction) is `Rest` and counts above nobody.
pub fn value_tiers(clv: &[f64]) -> Vec<ValueTier> {
    let n = clv.len();
    greater_counts(clv)
        .into_iter()
        .map(|g| match g {
            Some(g) if 100 * g < n => ValueTier::Top1,
            Some(g) if 10 * g < n => ValueTier::Top10,
            Some(g) if 2 * g < n => ValueTier::Top50,
            _ => ValueTier::Rest,
        })
        .collect()
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
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] naming the cut that is out of range.
    pub fn new(high_below: f64, low_from: f64) -> Result<ChurnCuts> {
        let bad = |name, value, reason| Error::InvalidSetting {
            name,
            value,
            reason,
        };
        if !(0.0..=1.0).contains(&high_below) {
            return Err(bad("high_below", high_below, "must be in [0, 1]"));
        }
        if !(0.0..=1.0).contains(&low_from) {
            return Err(bad("low_from", low_from, "must be in [0, 1]"));
        }
        if high_below > low_from {
            return Err(bad(
                "high_below",
                high_below,
                "must not be greater than low_from",
            ));
        }
        Ok(ChurnCuts {
            high_below,
            low_from,
        })
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

/// Churn risk of one customer: `p < high_below` is high, `p >= low_from` low,
/// else medium. (P(alive) comes from a model and is a probability; a NaN
/// would fall through to medium, so callers check their predictions first.)
pub fn churn_risk(p_alive: f64, cuts: &ChurnCuts) -> ChurnRisk {
    if p_alive < cuts.high_below {
        ChurnRisk::High
    } else if p_alive >= cuts.low_from {
        ChurnRisk::Low
    } else {
        ChurnRisk::Medium
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintile_scores_of_distinct_values_follow_the_rank() {
        // n = 10, w_i = rank from the bottom: scores 1 + floor(5 w / 10) = 1 + floor(w / 2).
        let v: Vec<f64> = (0..10).map(|i| i as f64 * 3.0).collect();
        let s = quintile_scores(&v, true).unwrap();
        assert_eq!(s, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Lower is better (recency in days): the largest value is worst.
        let s = quintile_scores(&v, false).unwrap();
        assert_eq!(s, vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    }

    #[test]
    fn quintile_scores_give_ties_the_same_score() {
        // values 1, 2, 2, 2, 3 (n = 5): w = 0, 1, 1, 1, 4
        // scores 1 + floor(5*0/5) = 1, 1 + floor(5*1/5) = 2 (three times), 1 + floor(5*4/5) = 5.
        let s = quintile_scores(&[2.0, 1.0, 2.0, 3.0, 2.0], true).unwrap();
        assert_eq!(s, vec![2, 1, 2, 5, 2]);
        // Lower is better: worse = larger. 3: w = 0 -> 1; 2: w = 1 -> 2; 1: w = 4 -> 5.
        let s = quintile_scores(&[2.0, 1.0, 2.0, 3.0, 2.0], false).unwrap();
        assert_eq!(s, vec![2, 5, 2, 1, 2]);
    }

    #[test]
    fn quintile_scores_with_fewer_than_five_distinct_values_skip_scores() {
        // 6 of 10 customers with frequency 0, 3 with 1, 1 with 4.
        // 0: w = 0 -> 1; 1: w = 6 -> 1 + floor(30/10) = 4; 4: w = 9 -> 1 + floor(45/10) = 5.
        let v = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 4.0];
        let s = quintile_scores(&v, true).unwrap();
        assert_eq!(s, vec![1, 1, 1, 1, 1, 1, 4, 4, 4, 5]);
        // All equal: everyone scores 1.
        assert_eq!(quintile_scores(&[7.0; 4], true).unwrap(), vec![1; 4]);
        assert_eq!(quintile_scores(&[], true).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn quintile_scores_reject_nan() {
        let e = quintile_scores(&[1.0, f64::NAN], true).unwrap_err();
        assert!(
            matches!(e, Error::InvalidData(ref m) if m.contains("index 1")),
            "{e}"
        );
    }

    #[test]
    fn every_default_segment_has_its_cell() {
        let map = SegmentMap::default_map();
        let cases = [
            ((5, 5, 5), "champions"),
            ((4, 4, 4), "champions"),
            ((5, 5, 3), "loyal"),
            ((3, 4, 5), "loyal"),
            ((1, 5, 4), "can't lose"),
            ((1, 4, 3), "at risk"),
            ((2, 5, 5), "at risk"),
            ((1, 3, 1), "at risk"),
            ((5, 1, 5), "new"),
            ((4, 1, 2), "promising"),
            ((5, 3, 5), "potential loyalist"),
            ((4, 2, 1), "potential loyalist"),
            ((3, 3, 3), "need attention"),
            ((3, 1, 4), "about to sleep"),
            ((2, 2, 5), "hibernating"),
            ((2, 1, 1), "hibernating"),
            ((1, 1, 5), "lost"),
            ((1, 2, 1), "lost"),
        ];
        for ((r, f, m), name) in cases {
            assert_eq!(map.segment(r, f, m), name, "cell ({r},{f},{m})");
        }
        assert_eq!(map.segment(0, 3, 3), UNASSIGNED);
    }

    #[test]
    fn the_default_map_is_total_and_every_segment_is_reachable() {
        let map = SegmentMap::default_map();
        assert_eq!(map.first_unassigned(), None);
        let mut seen = std::collections::BTreeMap::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    *seen.entry(map.segment(r, f, m).to_string()).or_insert(0) += 1;
                }
            }
        }
        let names = [
            "champions",
            "loyal",
            "potential loyalist",
            "new",
            "promising",
            "need attention",
            "about to sleep",
            "at risk",
            "can't lose",
            "hibernating",
            "lost",
        ];
        assert_eq!(seen.len(), 11);
        for name in names {
            assert!(seen.contains_key(name), "{name} unreachable");
        }
        // Cell counts: champions 2*2*2 = 8; loyal 3*2*5 - 8 = 22; can't lose 1*2*2 = 4;
        // at risk 2*3*5 - 4 = 26; new 5; promising 5; potential loyalist 2*2*5 = 20;
        // need attention 10; about to sleep 5; hibernating 10; lost 10. Sum = 125.
        assert_eq!(seen["champions"], 8);
        assert_eq!(seen["loyal"], 22);
        assert_eq!(seen["can't lose"], 4);
        assert_eq!(seen["at risk"], 26);
        assert_eq!(seen["potential loyalist"], 20);
        assert_eq!(seen.values().sum::<i32>(), 125);
    }

    #[test]
    fn a_map_parses_in_priority_order() {
        let text = "segment,r_min,r_max,f_min,f_max,m_min,m_max\n\
                    \"best\",5,5,5,5,5,5\r\n\
                    \n\
                    rest,1,5,1,5,1,5\n";
        let map = SegmentMap::parse(text).unwrap();
        assert_eq!(map.rules.len(), 2);
        assert_eq!(map.segment(5, 5, 5), "best");
        assert_eq!(map.segment(5, 5, 4), "rest");
    }

    #[test]
    fn shadowed_rules_are_found() {
        assert!(SegmentMap::default_map().unreachable_rules().is_empty());
        // "late" (r 5, f 5, m 5) comes after the catch-all and is never reached.
        let text = "segment,r_min,r_max,f_min,f_max,m_min,m_max\n\
                    low,1,2,1,5,1,5\nall,1,5,1,5,1,5\nlate,5,5,5,5,5,5\n";
        assert_eq!(
            SegmentMap::parse(text).unwrap().unreachable_rules(),
            vec![2]
        );
    }

    #[test]
    fn the_default_map_round_trips_through_csv() {
        let csv = SegmentMap::default_map().to_csv();
        assert!(
            csv.starts_with("segment,r_min,r_max,f_min,f_max,m_min,m_max\nchampions,4,5,4,5,4,5\n")
        );
        assert_eq!(SegmentMap::parse(&csv).unwrap(), SegmentMap::default_map());
    }

    proptest::proptest! {
        #[test]
        fn scores_follow_the_order_of_values(values in proptest::collection::vec(0u8..12, 1..60), up in proptest::bool::ANY) {
            let v: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
            let s = quintile_scores(&v, up).unwrap();
            for i in 0..v.len() {
                proptest::prop_assert!((1..=5).contains(&s[i]));
                for j in 0..v.len() {
                    let better = if up { v[i] > v[j] } else { v[i] < v[j] };
                    if v[i] == v[j] {
                        proptest::prop_assert_eq!(s[i], s[j]);
                    } else if better {
                        proptest::prop_assert!(s[i] >= s[j]);
                    }
                }
            }
            // The worst value scores 1.
            let worst = if up { v.iter().cloned().fold(f64::INFINITY, f64::min) } else { v.iter().cloned().fold(f64::NEG_INFINITY, f64::max) };
            let k = v.iter().position(|&x| x == worst).unwrap();
            proptest::prop_assert_eq!(s[k], 1);
        }
    }

    fn map_error(text: &str) -> (Option<usize>, Option<String>, String) {
        match SegmentMap::parse(text).unwrap_err() {
            Error::SegmentMap {
                line,
                column,
                reason,
            } => (line, column, reason),
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn map_errors_name_the_line_and_column() {
        let h = "segment,r_min,r_max,f_min,f_max,m_min,m_max\n";
        let (line, col, reason) = map_error("");
        assert_eq!((line, col), (None, None));
        assert!(reason.contains("empty"), "{reason}");
        let (line, _, reason) = map_error(h);
        assert_eq!(line, None);
        assert!(reason.contains("no rules"), "{reason}");
        let (line, col, reason) = map_error(&format!("{h}all,1,5,1,6,1,5\n"));
        assert_eq!((line, col.as_deref()), (Some(2), Some("f_max")));
        assert!(reason.contains("\"6\""), "{reason}");
        let (line, col, _) = map_error(&format!("{h}a,1,5,1,5,1,5\nb,0,5,1,5,1,5\n"));
        assert_eq!((line, col.as_deref()), (Some(3), Some("r_min")));
        let (line, col, reason) = map_error(&format!("{h}a,1,5,1,5,4,2\n"));
        assert_eq!((line, col.as_deref()), (Some(2), Some("m_min")));
        assert!(reason.contains("greater"), "{reason}");
        let (line, col, _) = map_error(&format!("{h}a,1,5,1,5\n"));
        assert_eq!((line, col), (Some(2), None));
        let (line, col, _) = map_error(&format!("{h},1,5,1,5,1,5\n"));
        assert_eq!((line, col.as_deref()), (Some(2), Some("segment")));
        let (line, _, _) = map_error("name,r,r,f,f,m,m\na,1,5,1,5,1,5\n");
        assert_eq!(line, Some(1));
    }

    #[test]
    fn a_map_leaving_a_cell_unassigned_names_it() {
        // Covers r 2-5 only: the first cell left is (1,1,1).
        let text = "segment,r_min,r_max,f_min,f_max,m_min,m_max\nmost,2,5,1,5,1,5\n";
        let (_, _, reason) = map_error(text);
        assert!(reason.contains("r=1, f=1, m=1"), "{reason}");
        // Covers everything but m = 3 for r = 4, f = 2.
        let text = "segment,r_min,r_max,f_min,f_max,m_min,m_max\n\
                    a,1,3,1,5,1,5\nb,5,5,1,5,1,5\nc,4,4,1,1,1,5\nd,4,4,3,5,1,5\n\
                    e,4,4,2,2,1,2\nf,4,4,2,2,4,5\n";
        let (_, _, reason) = map_error(text);
        assert!(reason.contains("r=4, f=2, m=3"), "{reason}");
    }

    #[test]
    fn value_tiers_by_share_of_strictly_greater_clv() {
        // n = 20: top_1 needs 100 g < 20 (g = 0); top_10 10 g < 20 (g <= 1);
        // top_50 2 g < 20 (g <= 9).
        let mut clv: Vec<f64> = (0..20).map(|i| i as f64).collect();
        clv.reverse(); // clv[k] = 19 - k, g = k
        let t = value_tiers(&clv);
        assert_eq!(t[0], ValueTier::Top1);
        assert_eq!(t[1], ValueTier::Top10);
        assert_eq!(t[2], ValueTier::Top50);
        assert_eq!(t[9], ValueTier::Top50);
        assert_eq!(t[10], ValueTier::Rest);
        // Ties share a tier: two customers tied at the top are both top_1 (g = 0),
        // the third has g = 2: 10*2 < 20 fails, 2*2 < 20 holds -> top_50.
        clv[1] = 19.0;
        let t = value_tiers(&clv);
        assert_eq!(
            (t[0], t[1], t[2]),
            (ValueTier::Top1, ValueTier::Top1, ValueTier::Top50)
        );
        // NaN is rest and above nobody.
        let t = value_tiers(&[f64::NAN, 1.0, 0.0]);
        assert_eq!(t, vec![ValueTier::Rest, ValueTier::Top1, ValueTier::Top50]);
        assert_eq!(ValueTier::Top10.name(), "top_10");
    }

    #[test]
    fn churn_risk_uses_the_cuts() {
        let c = ChurnCuts::default();
        assert_eq!(churn_risk(0.29, &c), ChurnRisk::High);
        assert_eq!(churn_risk(0.3, &c), ChurnRisk::Medium);
        assert_eq!(churn_risk(0.69, &c), ChurnRisk::Medium);
        assert_eq!(churn_risk(0.7, &c), ChurnRisk::Low);
        let c = ChurnCuts::new(0.5, 0.5).unwrap();
        assert_eq!(churn_risk(0.49, &c), ChurnRisk::High);
        assert_eq!(churn_risk(0.5, &c), ChurnRisk::Low);
        assert_eq!(ChurnRisk::High.name(), "high");
        for (h, l, name) in [
            (0.8, 0.7, "high_below"),
            (-0.1, 0.7, "high_below"),
            (0.3, 1.5, "low_from"),
            (f64::NAN, 0.7, "high_below"),
        ] {
            match ChurnCuts::new(h, l).unwrap_err() {
                Error::InvalidSetting { name: got, .. } => assert_eq!(got, name),
                e => panic!("{e}"),
            }
        }
    }
}
