//! Action lists: whom to contact, why, ranked by the expected value of acting.
//!
//! (Full documentation follows with the implementation.)

use crate::Result;
use crate::referral::QuadrantCuts;

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

/// Every list, in [`ActionList::ALL`] order.
pub fn action_lists(
    input: &ActionInput,
    s: &ActionSettings,
) -> Result<Vec<(ActionList, Vec<ActionRow>)>> {
    let _ = (input, s);
    unimplemented!()
}
