//! `clv actions`: the lists a team loads into its email or CRM tool (win
//! back, remind, reward, ask for referrals, activate advocates), each
//! ranked by the expected value of acting, with the rules of
//! [`clv_core::actions`] on the scores of [`crate::influence::score`].

use std::path::Path;

use clv_core::actions::{self, ActionInput, ActionList, ActionRow};
use clv_core::referral::QuadrantCuts;

use crate::error::{Result, usage};
use crate::influence::{self, Scored};
use crate::output::OutputSet;
use crate::progress::Progress;
use crate::settings::{ActionsSettings, InfluenceSettings};

/// The action lists with the scores they were drawn from.
pub struct ActionLists {
    /// Every customer's scores.
    pub scored: Scored,
    /// The remind window, in days.
    pub remind_days: u32,
    /// Each list's rows, ranked.
    pub lists: Vec<(ActionList, Vec<ActionRow>)>,
}

/// Scores every customer and draws the action lists.
pub fn actions(
    args: &InfluenceSettings,
    a: &ActionsSettings,
    progress: &dyn Progress,
) -> Result<ActionLists> {
    if a.remind_days == 0 {
        return Err(usage("--remind-days must be a positive number of days"));
    }
    if a.max_per_list == Some(0) {
        return Err(usage("--max-per-list must be at least 1"));
    }
    let mut args = args.clone();
    if !args.windows_days.contains(&a.remind_days) {
        args.windows_days.push(a.remind_days);
    }
    let scored = influence::score(&args, progress)?;
    let n = scored.len();
    let zeros = vec![0.0; n];
    let no_referrals = vec![0u32; n];
    let (crv, referred, cuts) = match &scored.referrals {
        Some(r) => (&r.crv[..], &r.referred[..], r.cuts),
        None => (
            &zeros[..],
            &no_referrals[..],
            clv_core::referral::default_quadrant_cuts(&scored.clv, &zeros),
        ),
    };
    let p_window = scored
        .p_purchase_within(a.remind_days)
        .expect("the remind window is scored");
    let input = ActionInput {
        clv: &scored.clv,
        historic_value: &scored.revenue,
        p_alive: &scored.p_alive,
        p_purchase_window: p_window,
        expected_spend: &scored.expected_spend,
        crv,
        referred,
    };
    let settings = actions::ActionSettings {
        win_back_below: a.win_back_below,
        win_back_min_value: a.win_back_min_value,
        remind_min_probability: a.remind_min_probability,
        reward_top_share: a.reward_top_share,
        ask_referral_top_share: a.ask_referral_top_share,
        ask_referral_max_referrals: a.ask_referral_max_referrals,
        quadrant_cuts: QuadrantCuts {
            clv: cuts.clv,
            crv: cuts.crv,
        },
        max_per_list: a.max_per_list,
    };
    let mut lists = actions::action_lists(&input, &settings)
        .map_err(|e| usage(format!("action settings: {e}")))?;
    // The core does not know the window's length; the reason says it.
    let within = format!("P(purchase within {} days)", a.remind_days);
    for (list, rows) in &mut lists {
        if matches!(list, ActionList::Remind) {
            for r in rows.iter_mut() {
                r.reason = r.reason.replace("P(purchase in window)", &within);
            }
        }
    }
    if scored.referrals.is_none() {
        // Without referral data there is no CRV to rank advocates by, and
        // no referral count to ask by: say so rather than list everyone.
        for (list, rows) in &mut lists {
            if matches!(list, ActionList::ActivateAdvocates) && !rows.is_empty() {
                rows.clear();
            }
        }
        progress.say(
            "note: no referred_by column (give --customers FILE with referred_by): \
             activate_advocates is empty and ask_referral assumes no referrals so far",
        );
    }
    Ok(ActionLists {
        scored,
        remind_days: a.remind_days,
        lists,
    })
}

/// One list as a table: `customer_id, reason, expected_value` and the
/// numbers behind the reason (`clv, p_alive, revenue, p_purchase_{N}d,
/// expected_spend, crv, total_value, referrals`).
pub fn list_table(out: &ActionLists, rows: &[ActionRow]) -> clv_data::Table {
    let s = &out.scored;
    let p = s
        .p_purchase_within(out.remind_days)
        .expect("the remind window is scored");
    let col = |f: &dyn Fn(usize) -> f64| rows.iter().map(|r| f(r.customer)).collect::<Vec<f64>>();
    let mut t = clv_data::Table::new()
        .with_str(
            "customer_id",
            rows.iter().map(|r| s.id(r.customer).to_string()).collect(),
        )
        .with_str("reason", rows.iter().map(|r| r.reason.clone()).collect())
        .with_f64("expected_value", rows.iter().map(|r| r.score).collect())
        .with_f64("clv", col(&|i| s.clv[i]))
        .with_f64("p_alive", col(&|i| s.p_alive[i]))
        .with_f64("revenue", col(&|i| s.revenue[i]))
        .with_f64(format!("p_purchase_{}d", out.remind_days), col(&|i| p[i]))
        .with_f64("expected_spend", col(&|i| s.expected_spend[i]));
    if let Some(r) = &s.referrals {
        t = t
            .with_f64("crv", col(&|i| r.crv[i]))
            .with_f64("total_value", col(&|i| s.clv[i] + r.crv[i]))
            .with_f64("referrals", col(&|i| r.referred[i] as f64));
    }
    t
}

/// Checks that `dir` is a directory, or can be created as one (it does not
/// exist and its parent is a directory).
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(usage(format!(
            "--out-dir {}: exists and is not a directory",
            dir.display()
        )));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(usage(format!(
            "--out-dir {}: the directory {} does not exist",
            dir.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Writes one CSV per list into `dir` (as one set: all or none), creating
/// `dir` when it does not exist (its parent must), and returns `(file
/// name, rows)` per list.
pub fn write_lists(dir: &Path, out: &ActionLists) -> Result<Vec<(&'static str, usize)>> {
    check_out_dir(dir)?;
    if !dir.is_dir() {
        std::fs::create_dir(dir).map_err(|e| {
            usage(format!(
                "--out-dir {}: cannot create it: {e}",
                dir.display()
            ))
        })?;
    }
    // Each list written to its temporary file on a thread of its own; all
    // put in place together once every one is complete.
    let staged: Vec<Result<clv_data::StagedFile>> = std::thread::scope(|sc| {
        let handles: Vec<_> = out
            .lists
            .iter()
            .map(|(list, rows)| {
                sc.spawn(move || {
                    let table = list_table(out, rows);
                    clv_data::stage_file(&dir.join(list.file_name()), |w| -> Result<()> {
                        clv_data::write_table_to(&table, w, clv_data::OutputFormat::Csv)?;
                        Ok(())
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("list writer panicked"))
            .collect()
    });
    let mut set = OutputSet::new();
    for f in staged {
        set.add(f?);
    }
    set.commit()?;
    Ok(out
        .lists
        .iter()
        .map(|(list, rows)| (list.file_name(), rows.len()))
        .collect())
}
