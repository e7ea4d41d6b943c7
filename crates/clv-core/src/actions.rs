//! Action lists: whom to contact, why, ranked by the expected value of
//! acting.
//!
//! Five lists, each an eligibility rule and a ranking score; rows are sorted
//! by score (descending, ties by customer index) and capped at
//! `max_per_list`. A customer can be on several lists. "Top share `s` by a
//! value" uses the rank rule of the value tiers: `g / n < s`, `g` the number
//! of customers with a strictly greater value (ties are in or out together).
//!
//! | list | eligible when | score (expected value of acting) |
//! |---|---|---|
//! | `win_back` | `p_alive < win_back_below` (0.3) and `historic_value >= min` (default: the median historic value of all customers) | `(1 - p_alive) * historic_value`: the past value that has probably stopped |
//! | `remind` | `p_alive >= win_back_below` and `p_purchase_window >= remind_min_probability` (0.5) | `p_purchase_window * expected_spend`: the spend a timely reminder is about |
//! | `reward` | total value `clv + crv` in the top `reward_top_share` (0.05) | `clv + crv` |
//! | `ask_referral` | `clv` in the top `ask_referral_top_share` (0.2) and `referred <= ask_referral_max_referrals` (0) | `clv * p_alive` |
//! | `activate_advocates` | high CRV (`crv > 0` and `crv >= cuts.crv`) and `clv < cuts.clv` | `crv` |
//!
//! The `ask_referral` score: referrers and the customers they bring in share
//! much of their margin (Van den Bulte, Bayer, Skiera & Schmitt 2018, "How
//! customer referral programs turn social capital into economic capital",
//! J. Marketing Research), so a high CLV stands for valuable referrals, and a request only
//! reaches a customer who is still active, hence the weight P(alive).
//! `win_back` and `remind` split customers at the same P(alive) threshold,
//! so nobody is both reminded and won back. The quadrant cuts are meant to
//! be [`crate::referral::default_quadrant_cuts`] unless the user sets them
//! ([`ActionSettings::with_cuts`] takes them).
//!
//! Each row has a short reason with the numbers behind it, for example
//! `P(alive) 0.12 after 18.00 in past value`.

use rayon::prelude::*;

use crate::referral::{QuadrantCuts, high_crv, median};
use crate::segment::greater_counts;
use crate::{Error, Result};

/// Per-customer numbers behind the lists (all slices of the same length).
#[derive(Debug, Clone, Copy)]
pub struct ActionInput<'a> {
    /// Predicted CLV.
    pub clv: &'a [f64],
    /// Past (historic) value.
    pub historic_value: &'a [f64],
    /// P(alive).
    pub p_alive: &'a [f64],
    /// P(at least one purchase in the reminder window).
    pub p_purchase_window: &'a [f64],
    /// Expected spend of the next purchase.
    pub expected_spend: &'a [f64],
    /// Customer referral value.
    pub crv: &'a [f64],
    /// Direct referrals so far.
    pub referred: &'a [u32],
}

/// Thresholds of the lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActionSettings {
    /// Win back below this P(alive) (default 0.3).
    pub win_back_below: f64,
    /// Minimum historic value to win back; `None`: the median historic value.
    pub win_back_min_value: Option<f64>,
    /// Remind at or above this purchase probability (default 0.5).
    pub remind_min_probability: f64,
    /// Reward this top share by total value (default 0.05).
    pub reward_top_share: f64,
    /// Ask for referrals within this top share by CLV (default 0.2).
    pub ask_referral_top_share: f64,
    /// Ask for referrals only with at most this many referrals so far (default 0).
    pub ask_referral_max_referrals: u32,
    /// Cuts of the quadrants (advocates: high CRV, low CLV).
    pub quadrant_cuts: QuadrantCuts,
    /// At most this many rows per list.
    pub max_per_list: Option<usize>,
}

impl ActionSettings {
    /// The documented defaults with the given quadrant cuts.
    pub fn with_cuts(quadrant_cuts: QuadrantCuts) -> ActionSettings {
        ActionSettings {
            win_back_below: 0.3,
            win_back_min_value: None,
            remind_min_probability: 0.5,
            reward_top_share: 0.05,
            ask_referral_top_share: 0.2,
            ask_referral_max_referrals: 0,
            quadrant_cuts,
            max_per_list: None,
        }
    }
}

/// The lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ActionList {
    /// Valuable customers whose P(alive) has fallen.
    WinBack,
    /// Customers likely to buy soon.
    Remind,
    /// Top customers by total value.
    Reward,
    /// High CLV, few referrals so far.
    AskReferral,
    /// High CRV, low CLV.
    ActivateAdvocates,
}

impl ActionList {
    /// Every list, in output order.
    pub const ALL: [ActionList; 5] = [
        ActionList::WinBack,
        ActionList::Remind,
        ActionList::Reward,
        ActionList::AskReferral,
        ActionList::ActivateAdvocates,
    ];

    /// What the list is for, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            ActionList::WinBack => "Valuable customers whose P(alive) has fallen: win them back.",
            ActionList::Remind => "Customers likely to buy soon: remind them.",
            ActionList::Reward => "Top customers by total value: reward them.",
            ActionList::AskReferral => "High CLV, few referrals so far: ask them to refer.",
            ActionList::ActivateAdvocates => {
                "High referral value, low CLV: activate them as advocates."
            }
        }
    }

    /// The list's name: `win_back`, `remind`, `reward`, `ask_referral`, `activate_advocates`.
    pub fn name(self) -> &'static str {
        match self {
            ActionList::WinBack => "win_back",
            ActionList::Remind => "remind",
            ActionList::Reward => "reward",
            ActionList::AskReferral => "ask_referral",
            ActionList::ActivateAdvocates => "activate_advocates",
        }
    }

    /// The file name: the name with `.csv`.
    pub fn file_name(self) -> &'static str {
        match self {
            ActionList::WinBack => "win_back.csv",
            ActionList::Remind => "remind.csv",
            ActionList::Reward => "reward.csv",
            ActionList::AskReferral => "ask_referral.csv",
            ActionList::ActivateAdvocates => "activate_advocates.csv",
        }
    }
}

/// One customer on a list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActionRow {
    /// The customer's index.
    pub customer: usize,
    /// The expected value of acting (the ranking score).
    pub score: f64,
    /// A short sentence with the numbers.
    pub reason: String,
}

fn check_unit(name: &'static str, value: f64, open_at_zero: bool) -> Result<()> {
    let ok = if open_at_zero {
        value > 0.0 && value <= 1.0
    } else {
        (0.0..=1.0).contains(&value)
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            name,
            value,
            reason: if open_at_zero {
                "must be a share in (0, 1]"
            } else {
                "must be a probability in [0, 1]"
            },
        })
    }
}

impl ActionSettings {
    /// Checks every setting: probabilities in [0, 1], shares in (0, 1],
    /// amounts and cuts finite.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        check_unit("win_back_below", self.win_back_below, false)?;
        check_unit("remind_min_probability", self.remind_min_probability, false)?;
        check_unit("reward_top_share", self.reward_top_share, true)?;
        check_unit("ask_referral_top_share", self.ask_referral_top_share, true)?;
        let finite = |name, value: f64| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(Error::InvalidSetting {
                    name,
                    value,
                    reason: "must be a finite number",
                })
            }
        };
        if let Some(v) = self.win_back_min_value {
            finite("win_back_min_value", v)?;
        }
        finite("quadrant_cuts.clv", self.quadrant_cuts.clv)?;
        finite("quadrant_cuts.crv", self.quadrant_cuts.crv)
    }
}

/// Whether each value is in the top `share` by rank (`g / n < share`).
fn top_share(values: &[f64], share: f64) -> Vec<bool> {
    let n = values.len() as f64;
    greater_counts(values)
        .into_iter()
        .map(|g| g.is_some_and(|g| (g as f64) < share * n))
        .collect()
}

/// A number shown with two decimals (rounded half away from zero), through
/// integer formatting, which is several times faster than `{:.2}` on
/// floats; falls back to `{:.2}` beyond 1e15.
struct Dec2(f64);

impl std::fmt::Display for Dec2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.is_nan() || x.abs() >= 1e15 {
            return write!(f, "{x:.2}");
        }
        let cents = (x * 100.0).round() as i64;
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", cents / 100, cents % 100)
    }
}

/// Every list, in [`ActionList::ALL`] order (see the module docs for the
/// rules and scores).
///
/// # Errors
/// [`Error::InvalidSetting`] for an invalid setting; [`Error::InvalidData`]
/// when the input slices differ in length or a value is not finite (naming
/// the column and the customer index).
pub fn action_lists(
    input: &ActionInput,
    s: &ActionSettings,
) -> Result<Vec<(ActionList, Vec<ActionRow>)>> {
    s.validate()?;
    let n = input.clv.len();
    let columns: [(&str, &[f64]); 6] = [
        ("clv", input.clv),
        ("historic_value", input.historic_value),
        ("p_alive", input.p_alive),
        ("p_purchase_window", input.p_purchase_window),
        ("expected_spend", input.expected_spend),
        ("crv", input.crv),
    ];
    for (name, column) in columns {
        if column.len() != n {
            return Err(Error::InvalidData(format!(
                "action lists need one {name} per customer: {} for {n} customers",
                column.len()
            )));
        }
        if let Some(i) = column.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!(
                "customer {i} has {name} {}; action lists need finite numbers",
                column[i]
            )));
        }
    }
    if input.referred.len() != n {
        return Err(Error::InvalidData(format!(
            "action lists need one referral count per customer: {} for {n} customers",
            input.referred.len()
        )));
    }
    let min_value = s
        .win_back_min_value
        .unwrap_or_else(|| median(input.historic_value.to_vec()).unwrap_or(0.0));
    let total: Vec<f64> = input
        .clv
        .iter()
        .zip(input.crv)
        .map(|(a, b)| a + b)
        .collect();
    let reward_top = top_share(&total, s.reward_top_share);
    let ask_top = top_share(input.clv, s.ask_referral_top_share);
    let pct = |share: f64| format!("{}", (share * 1000.0).round() / 10.0);

    let (clv, crv, p_alive) = (input.clv, input.crv, input.p_alive);
    let score = |list: ActionList, i: usize| -> Option<f64> {
        let p = p_alive[i];
        match list {
            ActionList::WinBack if p < s.win_back_below && input.historic_value[i] >= min_value => {
                Some((1.0 - p) * input.historic_value[i])
            }
            ActionList::Remind
                if p >= s.win_back_below
                    && input.p_purchase_window[i] >= s.remind_min_probability =>
            {
                Some(input.p_purchase_window[i] * input.expected_spend[i])
            }
            ActionList::Reward if reward_top[i] => Some(total[i]),
            ActionList::AskReferral
                if ask_top[i] && input.referred[i] <= s.ask_referral_max_referrals =>
            {
                Some(clv[i] * p)
            }
            ActionList::ActivateAdvocates
                if high_crv(crv[i], &s.quadrant_cuts) && clv[i] < s.quadrant_cuts.clv =>
            {
                Some(crv[i])
            }
            _ => None,
        }
    };
    let (reward_pct, ask_pct) = (pct(s.reward_top_share), pct(s.ask_referral_top_share));
    let reason = |list: ActionList, i: usize| -> String {
        let (clv, crv, p) = (Dec2(clv[i]), Dec2(crv[i]), Dec2(p_alive[i]));
        match list {
            ActionList::WinBack => format!(
                "P(alive) {p} after {} in past value",
                Dec2(input.historic_value[i])
            ),
            ActionList::Remind => format!(
                "P(purchase in window) {}, expected spend {}",
                Dec2(input.p_purchase_window[i]),
                Dec2(input.expected_spend[i])
            ),
            ActionList::Reward => format!(
                "total value {} (CLV {clv} + CRV {crv}) in the top {reward_pct} %",
                Dec2(total[i]),
            ),
            ActionList::AskReferral => format!(
                "CLV {clv} in the top {ask_pct} %, P(alive) {p}, {} referrals so far",
                input.referred[i]
            ),
            ActionList::ActivateAdvocates => format!(
                "CRV {crv} from {} referrals, CLV {clv} below {}",
                input.referred[i],
                Dec2(s.quadrant_cuts.clv)
            ),
        }
    };

    let mut lists = Vec::with_capacity(ActionList::ALL.len());
    for list in ActionList::ALL {
        let mut ranked: Vec<(usize, f64)> = (0..n)
            .filter_map(|i| score(list, i).map(|sc| (i, sc)))
            .collect();
        ranked.par_sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(cap) = s.max_per_list {
            ranked.truncate(cap);
        }
        // Reasons only for the rows kept, formatted in parallel.
        let rows: Vec<ActionRow> = ranked
            .par_iter()
            .map(|&(customer, score)| ActionRow {
                customer,
                score,
                reason: reason(list, customer),
            })
            .collect();
        lists.push((list, rows));
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Columns {
        clv: Vec<f64>,
        hist: Vec<f64>,
        p_alive: Vec<f64>,
        p_win: Vec<f64>,
        spend: Vec<f64>,
        crv: Vec<f64>,
        referred: Vec<u32>,
    }

    impl Columns {
        fn input(&self) -> ActionInput<'_> {
            ActionInput {
                clv: &self.clv,
                historic_value: &self.hist,
                p_alive: &self.p_alive,
                p_purchase_window: &self.p_win,
                expected_spend: &self.spend,
                crv: &self.crv,
                referred: &self.referred,
            }
        }
    }

    /// Ten customers, each placed in or just out of one rule (see each row).
    fn fixture() -> Columns {
        // (clv, hist, p_alive, p_win, spend, crv, referred)
        let rows: [(f64, f64, f64, f64, f64, f64, u32); 10] = [
            (10.0, 150.0, 0.2, 0.1, 20.0, 0.0, 0), // 0 win back: 0.2 < 0.3, 150 >= 100
            (10.0, 99.0, 0.2, 0.1, 20.0, 9.99, 0), // 1 out: past value 99 < 100; CRV 9.99 < 10
            (10.0, 200.0, 0.3, 0.5, 40.0, 0.0, 0), // 2 remind (0.3 >= 0.3, 0.5 >= 0.5), not win back
            (10.0, 0.0, 0.9, 0.49, 40.0, 0.0, 0),  // 3 out of remind: 0.49 < 0.5
            (10.0, 50.0, 0.29, 0.9, 40.0, 0.0, 0), // 4 out of remind: P(alive) 0.29 < 0.3
            (500.0, 0.0, 0.9, 0.2, 10.0, 0.0, 0),  // 5 reward (total 500), ask referral
            (100.0, 0.0, 0.8, 0.2, 10.0, 300.0, 3), // 6 reward (total 400); 3 referrals: not asked
            (390.0, 0.0, 0.5, 0.2, 10.0, 0.0, 1),  // 7 out of reward (third); 1 referral: not asked
            (99.0, 0.0, 0.5, 0.2, 10.0, 20.0, 0), // 8 fourth CLV: not asked; CLV 99 >= 50: no advocate
            (49.99, 0.0, 0.5, 0.2, 10.0, 10.0, 1), // 9 advocate: CRV 10 >= 10, CLV 49.99 < 50
        ];
        Columns {
            clv: rows.iter().map(|r| r.0).collect(),
            hist: rows.iter().map(|r| r.1).collect(),
            p_alive: rows.iter().map(|r| r.2).collect(),
            p_win: rows.iter().map(|r| r.3).collect(),
            spend: rows.iter().map(|r| r.4).collect(),
            crv: rows.iter().map(|r| r.5).collect(),
            referred: rows.iter().map(|r| r.6).collect(),
        }
    }

    fn settings() -> ActionSettings {
        let mut s = ActionSettings::with_cuts(QuadrantCuts {
            clv: 50.0,
            crv: 10.0,
        });
        s.win_back_min_value = Some(100.0);
        // Top 20 % of 10: g < 2; top 30 %: g < 3.
        s.reward_top_share = 0.2;
        s.ask_referral_top_share = 0.3;
        s
    }

    fn customers(lists: &[(ActionList, Vec<ActionRow>)], list: ActionList) -> Vec<(usize, f64)> {
        lists
            .iter()
            .find(|(l, _)| *l == list)
            .map(|(_, rows)| rows.iter().map(|r| (r.customer, r.score)).collect())
            .unwrap()
    }

    #[test]
    fn each_rule_takes_one_customer_and_leaves_the_next() {
        let c = fixture();
        let lists = action_lists(&c.input(), &settings()).unwrap();
        assert_eq!(
            lists.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            ActionList::ALL.to_vec()
        );
        // win back: (1 - 0.2) * 150 = 120.
        assert_eq!(
            customers(&lists, ActionList::WinBack),
            vec![(0, 0.8 * 150.0)]
        );
        // remind: 0.5 * 40 = 20.
        assert_eq!(customers(&lists, ActionList::Remind), vec![(2, 0.5 * 40.0)]);
        // reward: totals 500 (g = 0) and 100 + 300 = 400 (g = 1); 390 has g = 2, not < 2.
        assert_eq!(
            customers(&lists, ActionList::Reward),
            vec![(5, 500.0), (6, 400.0)]
        );
        // ask referral: top 3 CLVs are 500, 390, 100 (customers 5, 7, 6); only 5 has 0 referrals;
        // score 500 * 0.9 = 450.
        assert_eq!(
            customers(&lists, ActionList::AskReferral),
            vec![(5, 500.0 * 0.9)]
        );
        // advocates: score = CRV 10.
        assert_eq!(
            customers(&lists, ActionList::ActivateAdvocates),
            vec![(9, 10.0)]
        );
        let reason = &lists[0].1[0].reason;
        assert_eq!(reason, "P(alive) 0.20 after 150.00 in past value");
        assert!(
            lists[2].1[0].reason.contains("top 20 %"),
            "{}",
            lists[2].1[0].reason
        );
    }

    #[test]
    fn the_default_win_back_value_is_the_median_and_lists_are_capped() {
        // Past values 10, 20, 30, 40: median (20 + 30) / 2 = 25; customers 2 and 3 qualify.
        let c = Columns {
            clv: vec![1.0; 4],
            hist: vec![10.0, 20.0, 30.0, 40.0],
            p_alive: vec![0.1; 4],
            p_win: vec![0.0; 4],
            spend: vec![0.0; 4],
            crv: vec![0.0; 4],
            referred: vec![0; 4],
        };
        let mut s = ActionSettings::with_cuts(QuadrantCuts { clv: 1.0, crv: 1.0 });
        let lists = action_lists(&c.input(), &s).unwrap();
        // Scores 0.9 * 40 = 36, 0.9 * 30 = 27.
        let got = customers(&lists, ActionList::WinBack);
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3, 2]);
        assert!((got[0].1 - 36.0).abs() < 1e-12 && (got[1].1 - 27.0).abs() < 1e-12);
        s.max_per_list = Some(1);
        let lists = action_lists(&c.input(), &s).unwrap();
        assert_eq!(customers(&lists, ActionList::WinBack).len(), 1);
        // Ties in score are ordered by index: every CLV is 1 (all tied in the top), reward by index.
        assert_eq!(customers(&lists, ActionList::Reward), vec![(0, 1.0)]);
    }

    #[test]
    fn two_decimals() {
        let show = |x: f64| Dec2(x).to_string();
        assert_eq!(show(0.2), "0.20");
        assert_eq!(show(150.0), "150.00");
        assert_eq!(show(-0.004), "0.00");
        assert_eq!(show(-1.235), "-1.24"); // -123.5 rounds away from zero
        assert_eq!(show(12.999), "13.00");
        assert_eq!(show(2e15), "2000000000000000.00");
    }

    #[test]
    fn settings_and_inputs_are_validated() {
        let c = fixture();
        for (change, name) in [
            (
                (|s: &mut ActionSettings| s.reward_top_share = 0.0) as fn(&mut ActionSettings),
                "reward_top_share",
            ),
            (|s| s.ask_referral_top_share = 1.5, "ask_referral_top_share"),
            (|s| s.win_back_below = -0.1, "win_back_below"),
            (
                |s| s.remind_min_probability = f64::NAN,
                "remind_min_probability",
            ),
            (
                |s| s.win_back_min_value = Some(f64::INFINITY),
                "win_back_min_value",
            ),
        ] {
            let mut s = settings();
            change(&mut s);
            match action_lists(&c.input(), &s).unwrap_err() {
                Error::InvalidSetting { name: got, .. } => assert_eq!(got, name),
                e => panic!("{e}"),
            }
        }
        let mut bad = fixture();
        bad.p_alive[3] = f64::NAN;
        let e = action_lists(&bad.input(), &settings()).unwrap_err();
        assert!(e.to_string().contains("customer 3 has p_alive"), "{e}");
        let mut bad = fixture();
        bad.referred.pop();
        assert!(action_lists(&bad.input(), &settings()).is_err());
        assert_eq!(ActionList::AskReferral.file_name(), "ask_referral.csv");
        assert_eq!(ActionList::ActivateAdvocates.name(), "activate_advocates");
    }
}
