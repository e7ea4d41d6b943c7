//! What `segment`, `actions`, `referrals`, `engagement` and `profile`
//! share: every customer scored once.
//!
//! [`score`] reads the transactions (with each customer's orders and revenue), the model
//! (a model file, or models fitted here), and the optional customers,
//! spend and events files, then computes per customer:
//!
//! - RFM quintile scores and the named segment ([`clv_core::segment`]):
//!   recency is days since the last purchase (fewer is better), frequency
//!   the number of purchase rows (orders), monetary the total revenue;
//! - predicted margin CLV over the horizon, P(alive), the value tier and the
//!   churn risk;
//! - the probability of at least one purchase in the next 30 days (and any
//!   other window) and the expected next purchase date
//!   ([`clv_core::next_purchase`]);
//! - the customer referral value (CRV) of the customers they referred
//!   ([`clv_core::referral`]), total value and the CLV x CRV quadrant, when
//!   the customers file has a `referred_by` column;
//! - the recency-weighted engagement score ([`clv_core::engagement`]) when
//!   an events file is given.
//!
//! Inputs that do not match (a `referred_by` naming nobody, events of
//! unknown customers, events after the observation end) are counted and
//! reported as warnings with examples and lines, never silently dropped;
//! self-referrals and referral cycles are data errors naming the rows, and
//! those edges are not followed.

use std::collections::BTreeMap;
use std::path::Path;

use clv_core::TimeUnit;
use clv_core::engagement;
use clv_core::next_purchase;
use clv_core::referral::{self, CrvSettings, Quadrant, QuadrantCuts, ReferralProblem};
use clv_core::segment::{self, ChurnCuts, ChurnRisk, SegmentMap, ValueTier};
use clv_core::value::{self, ValueSettings};
use clv_data::NaiveDate;
use clv_data::attributes::{CustomerAttributes, Events, month_of_day};

use crate::error::{Context, Result, usage};
use crate::fitting::{self, Fitted};
use crate::load::{Loaded, examples};
use crate::model_file::{self, ModelFile};
use crate::progress::Progress;
use crate::settings::InfluenceSettings;

/// The window of the `p_purchase_30d` column, in days.
pub const P_PURCHASE_DAYS: u32 = 30;

/// Waiting times beyond this many days give no next purchase date.
pub const MAX_WAIT_DAYS: f64 = 3650.0;

/// The referral part of a scoring (a customers file with `referred_by`).
#[derive(Debug, Clone)]
pub struct Referrals {
    /// CRV per customer (0 for customers who referred nobody).
    pub crv: Vec<f64>,
    /// Direct referrals counted per customer.
    pub referred: Vec<u32>,
    /// Value of the referrals of a customer's referrals (reported, not in CRV).
    pub second_generation: Vec<f64>,
    /// The referrer of each customer (the edges followed).
    pub referred_by: Vec<Option<usize>>,
    /// The acquisition cost a referral saves.
    pub cac_saved: f64,
    /// Where `cac_saved` came from, in words.
    pub cac_source: String,
    /// The share of referred customers who would not have come otherwise.
    pub incremental_share: f64,
    /// The quadrant cut points.
    pub cuts: QuadrantCuts,
    /// The CLV x CRV quadrant of each customer.
    pub quadrant: Vec<Quadrant>,
    /// Self-referrals and cycles, in words naming the rows.
    pub problems: Vec<String>,
}

/// Activity of one kind of engagement event.
#[derive(Debug, Clone, PartialEq)]
pub struct KindActivity {
    /// The kind (`review`, `mention`, ...).
    pub kind: String,
    /// Events of this kind (of known customers, up to the observation end).
    pub events: u64,
    /// Distinct customers with at least one event of this kind.
    pub reach: u64,
    /// Events per calendar month (`YYYY-MM`).
    pub by_month: BTreeMap<String, u64>,
}

/// The engagement part of a scoring (an events file).
#[derive(Debug, Clone)]
pub struct Engagement {
    /// Recency-weighted engagement score per customer.
    pub score: Vec<f64>,
    /// Events per customer.
    pub events: Vec<u32>,
    /// Events per customer and kind: `kind_events[kind * n + customer]`.
    pub kind_events: Vec<u32>,
    /// Per kind: events, reach, activity by month.
    pub kinds: Vec<KindActivity>,
    /// The half-life of the weighting, in days.
    pub half_life_days: f64,
}

/// Every customer scored: the inputs of the segment table, the action
/// lists and the reports.
pub struct Scored {
    /// The summary the scores are for (customer ids, `x`, `t_x`, `T`).
    pub loaded: Loaded,
    /// The purchase model's name (`bg-nbd`, ...).
    pub model: &'static str,
    /// The last day of observation.
    pub observation_end: NaiveDate,
    /// Days since the last purchase.
    pub recency_days: Vec<f64>,
    /// Purchase rows (orders) per customer.
    pub orders: Vec<f64>,
    /// Total past revenue per customer.
    pub revenue: Vec<f64>,
    /// RFM scores (1-5).
    pub recency_score: Vec<u8>,
    /// RFM frequency scores (1-5).
    pub frequency_score: Vec<u8>,
    /// RFM monetary scores (1-5).
    pub monetary_score: Vec<u8>,
    /// The segment map used.
    pub segment_map: SegmentMap,
    /// The rule of the segment map each customer matched (`u16::MAX`: none).
    pub rfm_rule: Vec<u16>,
    /// P(alive) at the observation end.
    pub p_alive: Vec<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Vec<f64>,
    /// Expected value of one future purchase.
    pub expected_spend: Vec<f64>,
    /// Discounted margin CLV over the horizon.
    pub clv: Vec<f64>,
    /// Value tier by CLV.
    pub value_tier: Vec<ValueTier>,
    /// Churn risk by P(alive).
    pub churn_risk: Vec<ChurnRisk>,
    /// The churn cut points used.
    pub churn_cuts: ChurnCuts,
    /// `(days, P(at least one purchase within days))`, the 30-day window first.
    pub p_purchase: Vec<(u32, Vec<f64>)>,
    /// Expected next purchase date (see [`clv_core::next_purchase`]).
    pub next_purchase: Vec<Option<NaiveDate>>,
    /// The customers file, when given.
    pub customers: Option<CustomerAttributes>,
    /// Row of each customer in the customers file.
    pub customer_row: Vec<Option<usize>>,
    /// Referral values, when the customers file has `referred_by`.
    pub referrals: Option<Referrals>,
    /// Engagement, when an events file is given.
    pub engagement: Option<Engagement>,
    /// Warnings about the inputs (also reported through `progress`).
    pub warnings: Vec<String>,
    /// The time unit of the model.
    pub time_unit: TimeUnit,
}

impl Scored {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.clv.len()
    }

    /// True without customers.
    pub fn is_empty(&self) -> bool {
        self.clv.is_empty()
    }

    /// The id of customer `i`.
    pub fn id(&self, i: usize) -> &str {
        self.loaded.summary.customer_id(i)
    }

    /// The named RFM segment of customer `i`.
    pub fn segment(&self, i: usize) -> &str {
        match self.rfm_rule[i] {
            u16::MAX => segment::UNASSIGNED,
            k => &self.segment_map.rules[k as usize].name,
        }
    }

    /// CRV of customer `i` (0 without referral data).
    pub fn crv(&self, i: usize) -> f64 {
        self.referrals.as_ref().map_or(0.0, |r| r.crv[i])
    }

    /// Total value (CLV + CRV) per customer; CLV alone without referral data.
    pub fn total_value(&self) -> Vec<f64> {
        (0..self.len()).map(|i| self.clv[i] + self.crv(i)).collect()
    }

    /// The probabilities of the window of `days`, when scored.
    pub fn p_purchase_within(&self, days: u32) -> Option<&[f64]> {
        self.p_purchase
            .iter()
            .find(|(d, _)| *d == days)
            .map(|(_, v)| v.as_slice())
    }
}

fn check_fraction(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(usage(format!(
            "{name} must be a number between 0 and 1, got {v}"
        )));
    }
    Ok(())
}

/// Checks the settings before anything is read.
fn check(args: &InfluenceSettings) -> Result<()> {
    if args.data.calibration_end.is_some() {
        return Err(usage(
            "segments and actions use the whole history; --calibration-end does not apply \
             (give --observation-end to cut the data)",
        ));
    }
    check_fraction("--margin", args.margin)?;
    check_fraction(
        "--referral-incremental-share",
        args.referral_incremental_share,
    )?;
    check_fraction("--churn-high-below", args.churn_high_below)?;
    check_fraction("--churn-low-from", args.churn_low_from)?;
    if args.churn_high_below > args.churn_low_from {
        return Err(usage(format!(
            "--churn-high-below ({}) must not exceed --churn-low-from ({})",
            args.churn_high_below, args.churn_low_from
        )));
    }
    if !(args.discount_rate.is_finite() && args.discount_rate >= 0.0) {
        return Err(usage(format!(
            "--discount-rate must be a non-negative number, got {}",
            args.discount_rate
        )));
    }
    if !(args.half_life_days.is_finite() && args.half_life_days > 0.0) {
        return Err(usage(format!(
            "--half-life must be a positive number of days, got {}",
            args.half_life_days
        )));
    }
    if let Some(c) = args.referral_cac_saved
        && !(c.is_finite() && c >= 0.0)
    {
        return Err(usage(format!(
            "--referral-cac-saved must be a non-negative amount, got {c}"
        )));
    }
    for (flag, v) in [
        ("--clv-cut", args.quadrant_clv_cut),
        ("--crv-cut", args.quadrant_crv_cut),
    ] {
        if let Some(v) = v
            && !v.is_finite()
        {
            return Err(usage(format!("{flag} must be a finite number, got {v}")));
        }
    }
    if args.windows_days.contains(&0) {
        return Err(usage("--window must be a positive number of days"));
    }
    if args.model_file.is_none() && args.model.model.is_none() {
        return Err(usage("give --model-file MODEL.json or --model bg-nbd"));
    }
    Ok(())
}

/// Reads the segment map file.
fn read_segment_map(path: &Path) -> Result<SegmentMap> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read --segment-map {}: {e}", path.display())))?;
    SegmentMap::parse(&text).map_err(|e| usage(format!("{}: {e}", path.display())))
}

/// Reads the events file. Its timestamps are read in the formats the
/// events reader knows (ISO dates and date-times, `YYYYMMDD`), not with the
/// transactions' `--date-format`, which describes another file.
fn read_events(path: &Path) -> Result<Events> {
    let cols = clv_data::attributes::EventColumns::default();
    Ok(clv_data::attributes::read_events(path, &cols)?)
}

/// The transactions (their summary carries each customer's orders and
/// revenue), in the model's unit and (for discrete models) the period
/// convention.
fn load(
    args: &InfluenceSettings,
    kind: clv_core::models::ModelKind,
    unit: Option<TimeUnit>,
    progress: &dyn Progress,
) -> Result<Loaded> {
    let mut data = args.data.clone();
    if kind.is_discrete() && data.convention != clv_data::Convention::Period {
        progress.say(
            "note: BG/BB counts whole periods of --time-unit (the period convention): x = periods \
             with a purchase after the first, T = periods observed",
        );
        data.convention = clv_data::Convention::Period;
    }
    crate::load::load(&data, unit, progress)
}

/// Scores every customer (see the module docs).
pub fn score(args: &InfluenceSettings, progress: &dyn Progress) -> Result<Scored> {
    check(args)?;
    let map = match &args.segment_map {
        Some(p) => read_segment_map(p)?,
        None => SegmentMap::default_map(),
    };
    let file = args
        .model_file
        .as_deref()
        .map(|p| -> Result<ModelFile> {
            let m = ModelFile::read_for(p, args.data.time_unit)?;
            let source = format!("the model in {}", p.display());
            model_file::require_identified(&m, &source, args.allow_unidentified, progress)?;
            Ok(m)
        })
        .transpose()?;
    let from_file = file.as_ref().map(Fitted::from_file).transpose()?;
    let kind = match &from_file {
        Some(f) => f.purchase.kind,
        None => args
            .model
            .model
            .ok_or_else(|| usage("give --model-file MODEL.json or --model bg-nbd"))?
            .purchase_kind()?,
    };
    let unit = file.as_ref().map(|m| m.time_unit);

    // The side files are read on threads of their own while the
    // transactions are read and the customers scored; each is joined where
    // it is first needed (the events, the slowest, last).
    let customers_h = args.customers.clone().map(|p| {
        let a = args.clone();
        std::thread::spawn(move || crate::load::read_customers_file(&p, &a.data))
    });
    let spend_h = args.spend.clone().map(|p| {
        std::thread::spawn(move || -> Result<Vec<clv_data::SpendRow>> {
            Ok(clv_data::read_spend(
                &p,
                &clv_data::SpendColumns::default(),
            )?)
        })
    });
    let events_h = args
        .events
        .clone()
        .map(|p| std::thread::spawn(move || read_events(&p)));
    let loaded = load(args, kind, unit, progress)?;
    let n = loaded.summary.len();
    if n == 0 {
        return Err(usage(format!(
            "{} has no customers to score",
            loaded.info.source
        )));
    }
    let fitted = match from_file {
        Some(f) => f,
        None => {
            let fitted = fitting::fit_models(&loaded, kind, &args.model, progress)?;
            let file = fitted.to_file(&loaded);
            fitting::describe(&file, progress);
            model_file::require_identified(
                &file,
                "the model fitted here",
                args.allow_unidentified,
                progress,
            )?;
            fitted
        }
    };
    let mut warnings = Vec::new();
    if kind == clv_core::models::ModelKind::BgNbd {
        let once = loaded.data.frequency.iter().filter(|&&x| x == 0.0).count();
        if once > 0 {
            progress.say(format!(
                "note: BG/NBD gives P(alive) = 1 to the {once} customers without repeat purchases \
                 (it lets customers drop out only right after a purchase), so their churn risk is \
                 low by construction; --model mbg-nbd or pareto-nbd judge them by how long they \
                 have been silent"
            ));
        }
    }

    // Value.
    let settings = ValueSettings::new(
        args.horizon,
        loaded.time_unit,
        args.discount_rate,
        args.margin,
    )
    .map_err(|e| usage(e.to_string()))?;
    let spend_per_purchase = fitted.expected_spend(&loaded, progress)?;
    let model = &*fitted.purchase.model;
    let predictions = progress
        .stage(
            &format!(
                "predicted {n} customers over {} (discount {}/year, margin {})",
                args.horizon, args.discount_rate, args.margin
            ),
            || value::predict(model, &loaded.data, &spend_per_purchase, &settings),
        )
        .context("prediction failed")?;

    // Next purchase.
    let unit_days = loaded.time_unit.days();
    let mut windows = vec![P_PURCHASE_DAYS];
    for &d in &args.windows_days {
        if !windows.contains(&d) {
            windows.push(d);
        }
    }
    let (p_purchase, waits) = progress
        .stage("next-purchase probabilities and dates", || -> Result<_> {
            let ts: Vec<f64> = windows.iter().map(|&d| d as f64 / unit_days).collect();
            let all = next_purchase::p_purchase_within_windows(model, &loaded.data, &ts)?;
            let p: Vec<(u32, Vec<f64>)> = windows.iter().copied().zip(all).collect();
            let waits = next_purchase::median_wait_if_alive(
                model,
                &loaded.data,
                MAX_WAIT_DAYS / unit_days,
            )?;
            Ok((p, waits))
        })
        .context("next-purchase prediction failed")?;
    let observation_end = loaded.summary.observation_end;
    let next_purchase: Vec<Option<NaiveDate>> = waits
        .iter()
        .map(|w| {
            w.and_then(|u| {
                let days = (u * unit_days).ceil().max(1.0);
                observation_end.checked_add_days(chrono::Days::new(days as u64))
            })
        })
        .collect();

    // RFM from the orders and revenue.
    let (
        orders,
        revenue,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_rule,
        value_tier,
        churn_cuts,
        churn_risk,
    ) = progress.stage(
        "RFM scores, segments, tiers and churn risk",
        || -> Result<_> {
            let totals = loaded
                .summary
                .totals
                .as_ref()
                .expect("a summary of transactions has totals");
            let orders = totals.orders.clone();
            let revenue = totals.revenue.clone();
            let recency_days: Vec<f64> = (0..n)
                .map(|i| {
                    let gap = loaded.data.age[i] - loaded.data.recency[i];
                    (gap * unit_days).round().max(0.0)
                })
                .collect();
            let recency_score = segment::quintile_scores(&recency_days, false)?;
            let frequency_score = segment::quintile_scores(&orders, true)?;
            let monetary_score = segment::quintile_scores(&revenue, true)?;
            // The rule of each of the 125 score cells, then of each customer.
            let cell =
                |r: u8, f: u8, m: u8| (r as usize - 1) * 25 + (f as usize - 1) * 5 + m as usize - 1;
            let mut lut = vec![u16::MAX; 125];
            for r in 1..=5u8 {
                for f in 1..=5u8 {
                    for m in 1..=5u8 {
                        if let Some(k) = map.rules.iter().position(|rule| rule.matches(r, f, m)) {
                            lut[cell(r, f, m)] = k as u16;
                        }
                    }
                }
            }
            let rfm_rule: Vec<u16> = (0..n)
                .map(|i| lut[cell(recency_score[i], frequency_score[i], monetary_score[i])])
                .collect();
            let value_tier = segment::value_tiers(&predictions.clv);
            let churn_cuts = ChurnCuts {
                high_below: args.churn_high_below,
                low_from: args.churn_low_from,
            };
            let churn_risk: Vec<ChurnRisk> = predictions
                .p_alive
                .iter()
                .map(|&p| segment::churn_risk(p, &churn_cuts))
                .collect();
            Ok((
                orders,
                revenue,
                recency_days,
                recency_score,
                frequency_score,
                monetary_score,
                rfm_rule,
                value_tier,
                churn_cuts,
                churn_risk,
            ))
        },
    )?;

    let customers = customers_h
        .map(|h| h.join().expect("customers reader panicked"))
        .transpose()?;
    let spend = spend_h
        .map(|h| h.join().expect("spend reader panicked"))
        .transpose()?;

    // The customers file joined to the summary.
    let customer_row: Vec<Option<usize>> = match &customers {
        Some(c) => {
            use rayon::prelude::*;
            (0..n)
                .into_par_iter()
                .map(|i| c.find(loaded.summary.customer_id(i)))
                .collect()
        }
        None => vec![None; n],
    };
    if let Some(c) = &customers {
        let missing = customer_row.iter().filter(|r| r.is_none()).count();
        if missing > 0 {
            let ex: Vec<String> = (0..n)
                .filter(|&i| customer_row[i].is_none())
                .take(4)
                .map(|i| loaded.summary.customer_id(i).to_string())
                .collect();
            warnings.push(format!(
                "{missing} customers of the transactions are not in {} ({}); they have no \
                 attributes and no referrer",
                c.file,
                examples(&ex)
            ));
        }
    }

    // Referral values and engagement, on two threads (the events file may
    // still be being read: joined here).
    let end_day =
        (observation_end - NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date")).num_days() as i32;
    let (referrals, engagement) =
        progress.stage("referral values and engagement", || -> Result<_> {
            let mut referral_warnings = Vec::new();
            let mut engagement_warnings = Vec::new();
            let (referrals, engagement) = std::thread::scope(|sc| {
                let referrals = sc.spawn(|| -> Result<_> {
                    Ok(match &customers {
                        Some(c) if c.referred_by.is_some() => Some(referrals_of(
                            args,
                            c,
                            &customer_row,
                            spend.as_deref(),
                            &predictions.clv,
                            &loaded,
                            &mut referral_warnings,
                        )?),
                        _ => None,
                    })
                });
                let engagement = (|| -> Result<_> {
                    let events = events_h
                        .map(|h| h.join().expect("events reader panicked"))
                        .transpose()?;
                    Ok(match &events {
                        Some(e) => Some(engagement_of(
                            args,
                            e,
                            &loaded,
                            end_day,
                            &mut engagement_warnings,
                        )?),
                        None => None,
                    })
                })();
                (
                    referrals.join().expect("referral thread panicked"),
                    engagement,
                )
            });
            let (referrals, engagement) = (referrals?, engagement?);
            warnings.extend(referral_warnings);
            warnings.extend(engagement_warnings);
            Ok((referrals, engagement))
        })?;
    for w in &warnings {
        progress.say(format!("warning: {w}"));
    }
    Ok(Scored {
        model: kind.name(),
        observation_end,
        recency_days,
        orders,
        revenue,
        recency_score,
        frequency_score,
        monetary_score,
        segment_map: map,
        rfm_rule,
        p_alive: predictions.p_alive,
        expected_purchases: predictions.expected_purchases,
        expected_spend: spend_per_purchase,
        clv: predictions.clv,
        value_tier,
        churn_risk,
        churn_cuts,
        p_purchase,
        next_purchase,
        customers,
        customer_row,
        referrals,
        engagement,
        warnings,
        time_unit: loaded.time_unit,
        loaded,
    })
}

/// The referral graph, CRV and quadrants.
fn referrals_of(
    args: &InfluenceSettings,
    c: &CustomerAttributes,
    customer_row: &[Option<usize>],
    spend: Option<&[clv_data::SpendRow]>,
    clv: &[f64],
    loaded: &Loaded,
    warnings: &mut Vec<String>,
) -> Result<Referrals> {
    let n = clv.len();
    let refs = c.referred_by.as_ref().expect("checked");
    // Summary index of each customers-file row.
    let mut index_of_row = vec![u32::MAX; c.len()];
    for (i, r) in customer_row.iter().enumerate() {
        if let Some(r) = r {
            index_of_row[*r] = i as u32;
        }
    }
    let mut referrer = vec![None; n];
    let mut unknown = Vec::new();
    let mut no_purchases = Vec::new();
    for i in 0..n {
        let Some(r) = customer_row[i] else { continue };
        let by = refs.get(r);
        if by.is_empty() {
            continue;
        }
        match c.find(by) {
            None => unknown.push(format!("{} ({})", by, c.location(r))),
            Some(rr) => match index_of_row[rr] {
                u32::MAX => no_purchases.push(by.to_string()),
                j => referrer[i] = Some(j as usize),
            },
        }
    }
    if !unknown.is_empty() {
        warnings.push(format!(
            "{} referred_by values name no customer of {} ({}); those referrals are not counted",
            unknown.len(),
            c.file,
            examples(&unknown)
        ));
    }
    if !no_purchases.is_empty() {
        warnings.push(format!(
            "{} referrals name referrers without purchases in the transactions ({}); they have \
             no row to carry a CRV and are not counted",
            no_purchases.len(),
            examples(&no_purchases)
        ));
    }

    // The acquisition cost a referral saves.
    let (cac_saved, cac_source) = match args.referral_cac_saved {
        Some(v) => (v, "--referral-cac-saved".to_string()),
        None => match blended_cac(c, customer_row, spend, &referrer) {
            Some((v, why)) => (v, why),
            None => {
                warnings.push(
                    "no spend file, no --referral-cac-saved and no known acquisition costs: CRV \
                     counts no saved acquisition cost (give --spend-file or --referral-cac-saved)"
                        .into(),
                );
                (0.0, "none known (0)".to_string())
            }
        },
    };
    let reward: Vec<f64> = (0..n)
        .map(|i| {
            customer_row[i]
                .map(|r| c.acquisition_cost[r])
                .unwrap_or(f64::NAN)
        })
        .collect();
    let rv = referral::referral_value(
        &referrer,
        clv,
        &reward,
        &CrvSettings {
            incremental_share: args.referral_incremental_share,
            cac_saved,
        },
    )?;
    let id_at = |i: usize| -> String {
        match customer_row[i] {
            Some(r) => format!("{} ({})", loaded.summary.customer_id(i), c.location(r)),
            None => loaded.summary.customer_id(i).to_string(),
        }
    };
    let problems: Vec<String> = rv
        .problems
        .iter()
        .map(|p| match p {
            ReferralProblem::SelfReferral { row } => {
                format!("customer {} refers themselves", id_at(*row))
            }
            ReferralProblem::Cycle { rows } => format!(
                "referral cycle {} -> back to {}",
                rows.iter()
                    .map(|&r| id_at(r))
                    .collect::<Vec<_>>()
                    .join(" -> "),
                rows.first()
                    .map(|&r| loaded.summary.customer_id(r))
                    .unwrap_or_default()
            ),
        })
        .collect();
    if !problems.is_empty() {
        warnings.push(format!(
            "{} referral data errors, not followed: {}{}",
            problems.len(),
            problems
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
            if problems.len() > 3 { "; ..." } else { "" }
        ));
    }
    let defaults = referral::default_quadrant_cuts(clv, &rv.crv);
    let cuts = QuadrantCuts {
        clv: args.quadrant_clv_cut.unwrap_or(defaults.clv),
        crv: args.quadrant_crv_cut.unwrap_or(defaults.crv),
    };
    let quadrant = (0..n)
        .map(|i| referral::quadrant(clv[i], rv.crv[i], &cuts))
        .collect();
    Ok(Referrals {
        crv: rv.crv,
        referred: rv.referred,
        second_generation: rv.second_generation,
        referred_by: rv.referred_by,
        cac_saved,
        cac_source,
        incremental_share: args.referral_incremental_share,
        cuts,
        quadrant,
        problems,
    })
}

/// The blended CAC of paid channels: the spend file's total over the
/// customers of the channels it names; without a spend file, the mean
/// known acquisition cost of customers who were not referred.
fn blended_cac(
    c: &CustomerAttributes,
    customer_row: &[Option<usize>],
    spend: Option<&[clv_data::SpendRow]>,
    referrer: &[Option<usize>],
) -> Option<(f64, String)> {
    if let Some(rows) = spend {
        let channels: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.channel.as_str()).collect();
        let total: f64 = rows.iter().map(|r| r.amount).sum();
        let customers = customer_row
            .iter()
            .flatten()
            .filter(|&&r| channels.contains(c.channel_names[c.channel[r] as usize].as_str()))
            .count();
        if customers > 0 {
            return Some((
                total / customers as f64,
                format!("blended CAC of paid channels: spend {total:.2} / {customers} customers"),
            ));
        }
    }
    let (mut sum, mut count) = (0.0, 0usize);
    for (i, r) in customer_row.iter().enumerate() {
        if let Some(r) = r
            && referrer[i].is_none()
            && c.referred_by.as_ref().is_none_or(|b| b.get(*r).is_empty())
            && c.acquisition_cost[*r].is_finite()
        {
            sum += c.acquisition_cost[*r];
            count += 1;
        }
    }
    (count > 0).then(|| {
        (
            sum / count as f64,
            format!("mean acquisition cost of {count} customers who were not referred"),
        )
    })
}

/// Engagement scores and activity per kind.
fn engagement_of(
    args: &InfluenceSettings,
    e: &Events,
    loaded: &Loaded,
    end_day: i32,
    warnings: &mut Vec<String>,
) -> Result<Engagement> {
    use rayon::prelude::*;
    let n = loaded.summary.len();
    let mut index: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    index.reserve(n);
    for i in 0..n {
        index.insert(loaded.summary.customer_id(i), i as u32);
    }
    // The customer of each event (u32::MAX: unknown), looked up in parallel.
    let customer: Vec<u32> = (0..e.len())
        .into_par_iter()
        .map(|j| index.get(e.ids.get(j)).copied().unwrap_or(u32::MAX))
        .collect();
    let mut unknown = 0usize;
    let mut unknown_ex = Vec::new();
    let mut late = 0usize;
    let k = e.kind_names.len();
    let mut kind_events = vec![0u64; k];
    // Reach: a bit per kind and customer (kinds beyond 64 share a set).
    let mut seen: Vec<u64> = vec![0; n];
    let mut reach = vec![0u64; k];
    let mut seen_many: std::collections::HashSet<(usize, usize)> = Default::default();
    // Events per kind and month, months from the earliest event's.
    // (Months grow with days: one conversion each for the first and last.)
    let first_month = e.day.iter().min().map_or(0, |&d| month_of_day(d));
    let last_month = e
        .day
        .iter()
        .max()
        .map_or(0, |&d| month_of_day(d.min(end_day)));
    let span = (last_month - first_month + 1).max(1) as usize;
    // The month offset of every day from the first event's to the end.
    let first_day = e.day.iter().min().copied().unwrap_or(end_day);
    let month_of: Vec<u32> = (first_day..=end_day.max(first_day))
        .map(|d| (month_of_day(d) - first_month) as u32)
        .collect();
    let mut kind_month = vec![0u64; k * span];
    let mut per_customer = vec![0u32; n];
    let mut per_customer_kind = vec![0u32; n * k];
    for j in 0..e.len() {
        let i = customer[j] as usize;
        if customer[j] == u32::MAX {
            unknown += 1;
            if unknown_ex.len() < 4 {
                unknown_ex.push(format!("{} ({})", e.ids.get(j), e.location(j)));
            }
            continue;
        }
        if e.day[j] > end_day {
            late += 1;
            continue;
        }
        let kd = e.kind[j] as usize;
        kind_events[kd] += 1;
        let first = if kd < 64 {
            let bit = 1u64 << kd;
            let new = seen[i] & bit == 0;
            seen[i] |= bit;
            new
        } else {
            seen_many.insert((i, kd))
        };
        if first {
            reach[kd] += 1;
        }
        kind_month[kd * span + month_of[(e.day[j] - first_day) as usize] as usize] += 1;
        per_customer[i] += 1;
        per_customer_kind[kd * n + i] += 1;
    }
    if unknown > 0 {
        warnings.push(format!(
            "{unknown} events in {} are of customers without purchases in the transactions \
             ({}); not counted",
            e.file,
            examples(&unknown_ex)
        ));
    }
    if late > 0 {
        warnings.push(format!(
            "{late} events in {} are after the observation end; not counted",
            e.file
        ));
    }
    let score = engagement::engagement_scores_by_column(
        n,
        &customer,
        &e.day,
        &e.weight,
        end_day,
        args.half_life_days,
    )?;
    let kinds = (0..k)
        .map(|kd| KindActivity {
            kind: e.kind_names[kd].clone(),
            events: kind_events[kd],
            reach: reach[kd],
            by_month: kind_month[kd * span..(kd + 1) * span]
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(m, &c)| (month_label(first_month + m as i32), c))
                .collect(),
        })
        .collect();
    Ok(Engagement {
        score,
        events: per_customer,
        kind_events: per_customer_kind,
        kinds,
        half_life_days: args.half_life_days,
    })
}

/// `YYYY-MM` of an absolute month (`year * 12 + month - 1`).
fn month_label(m: i32) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// The segment table (`clv segment`): the exact columns `customer_id,
/// recency_score, frequency_score, monetary_score, rfm_segment, clv,
/// value_tier, p_alive, churn_risk, p_purchase_30d,
/// expected_next_purchase, crv, total_value, value_quadrant,
/// engagement_score`, then `recency_days, orders, revenue,
/// expected_purchases`, the other windows'
/// `p_purchase_{N}d`, and with referral data `referrals` and
/// `crv_second_generation`, with events `events` and `events_{kind}` per
/// kind.
///
/// Without referral data `crv` and `value_quadrant` are empty (`null` in
/// JSON) and `total_value` is the CLV; without events `engagement_score` is
/// empty; `expected_next_purchase` is empty when there is no date.
/// (`frequency` and `expected_spend` are in `clv predict`'s table.)
pub fn segment_table(s: &Scored) -> clv_data::Table {
    use clv_data::datafusion::arrow::array::StringArray;
    let n = s.len();
    let f = |v: &[u8]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let some = |v: &[f64]| v.iter().map(|&x| Some(x)).collect::<Vec<Option<f64>>>();
    // The text columns on a thread of their own, the numbers on this one.
    let (text, numbers) = std::thread::scope(|sc| {
        let text = sc.spawn(|| {
            let mut dates =
                clv_data::datafusion::arrow::array::StringBuilder::with_capacity(n, n * 10);
            let mut day = [0u8; 10];
            for d in &s.next_purchase {
                match d {
                    Some(d) => dates.append_value(iso_date(*d, &mut day)),
                    None => dates.append_null(),
                }
            }
            let quadrant: StringArray = match &s.referrals {
                Some(r) => text_column(n, |i| r.quadrant[i].name()),
                None => std::iter::repeat_n(None::<&str>, n).collect(),
            };
            (
                text_column(n, |i| s.segment(i)),
                text_column(n, |i| s.value_tier[i].name()),
                text_column(n, |i| s.churn_risk[i].name()),
                dates.finish(),
                quadrant,
            )
        });
        let numbers = (
            f(&s.recency_score),
            f(&s.frequency_score),
            f(&s.monetary_score),
            match &s.referrals {
                Some(r) => (some(&r.crv), s.total_value()),
                None => (vec![None; n], s.clv.clone()),
            },
        );
        (text.join().expect("text columns panicked"), numbers)
    });
    let (segment, tier, churn, dates, quadrant) = text;
    let (recency, frequency, monetary, (crv, total)) = numbers;
    let mut t = clv_data::Table::new()
        .with_strings("customer_id", s.loaded.summary.customer_ids.clone())
        .with_f64("recency_score", recency)
        .with_f64("frequency_score", frequency)
        .with_f64("monetary_score", monetary)
        .with_strings("rfm_segment", segment)
        .with_f64("clv", s.clv.clone())
        .with_strings("value_tier", tier)
        .with_f64("p_alive", s.p_alive.clone())
        .with_strings("churn_risk", churn)
        .with_f64(
            "p_purchase_30d",
            s.p_purchase_within(P_PURCHASE_DAYS)
                .expect("30 days scored")
                .to_vec(),
        )
        .with_strings("expected_next_purchase", dates)
        .with_opt_f64("crv", crv)
        .with_f64("total_value", total)
        .with_strings("value_quadrant", quadrant);
    t = match &s.engagement {
        Some(e) => t.with_opt_f64("engagement_score", some(&e.score)),
        None => t.with_opt_f64("engagement_score", vec![None; n]),
    };
    t = t
        .with_f64("recency_days", s.recency_days.clone())
        .with_f64("orders", s.orders.clone())
        .with_f64("revenue", s.revenue.clone())
        .with_f64("expected_purchases", s.expected_purchases.clone());
    for (d, p) in &s.p_purchase {
        if *d != P_PURCHASE_DAYS {
            t = t.with_f64(format!("p_purchase_{d}d"), p.clone());
        }
    }
    if let Some(r) = &s.referrals {
        t = t
            .with_f64("referrals", r.referred.iter().map(|&x| x as f64).collect())
            .with_f64("crv_second_generation", r.second_generation.clone());
    }
    if let Some(e) = &s.engagement {
        t = t.with_f64("events", e.events.iter().map(|&x| x as f64).collect());
        for (kd, kind) in e.kinds.iter().enumerate() {
            t = t.with_f64(
                format!(
                    "events_{}",
                    kind.kind
                        .chars()
                        .map(|c| if c.is_alphanumeric() { c } else { '_' })
                        .collect::<String>()
                ),
                e.kind_events[kd * n..(kd + 1) * n]
                    .iter()
                    .map(|&x| x as f64)
                    .collect(),
            );
        }
    }
    t
}

/// `YYYY-MM-DD` of `d` (years 0-9999) in `buf`.
fn iso_date(d: NaiveDate, buf: &mut [u8; 10]) -> &str {
    use chrono::Datelike;
    let (y, m, day) = (d.year().clamp(0, 9999) as u32, d.month(), d.day());
    let digits = |v: u32, out: &mut [u8]| {
        let mut v = v;
        for b in out.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(y, &mut buf[0..4]);
    buf[4] = b'-';
    digits(m, &mut buf[5..7]);
    buf[7] = b'-';
    digits(day, &mut buf[8..10]);
    std::str::from_utf8(buf).expect("ASCII digits")
}

/// A text column of `n` values.
fn text_column<'a>(
    n: usize,
    g: impl Fn(usize) -> &'a str,
) -> clv_data::datafusion::arrow::array::StringArray {
    clv_data::datafusion::arrow::array::StringArray::from_iter_values((0..n).map(g))
}

/// Counts of a segment run, for the message on stderr.
pub fn segment_summary(s: &Scored) -> String {
    // Counts per rule, then per name (rules may share a name).
    let mut per_rule = vec![(0usize, 0.0f64); s.segment_map.rules.len() + 1];
    for i in 0..s.len() {
        let k = (s.rfm_rule[i] as usize).min(s.segment_map.rules.len());
        per_rule[k].0 += 1;
        per_rule[k].1 += s.clv[i];
    }
    let mut by: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for (k, &(count, clv)) in per_rule.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let name = match s.segment_map.rules.get(k) {
            Some(rule) => rule.name.as_str(),
            None => segment::UNASSIGNED,
        };
        let e = by.entry(name).or_default();
        e.0 += count;
        e.1 += clv;
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let parts: Vec<String> = v
        .iter()
        .map(|(name, (c, _))| format!("{name} {c}"))
        .collect();
    let mut out = format!("segments: {}", parts.join(", "));
    if let Some(r) = &s.referrals {
        out.push_str(&format!(
            "\nquadrant cuts: CLV {:.2}, CRV {:.2}",
            r.cuts.clv, r.cuts.crv
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_chrono() {
        let mut buf = [0u8; 10];
        for (y, m, d) in [(1998, 11, 16), (2024, 2, 29), (1, 1, 1), (9999, 12, 31)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(
                iso_date(date, &mut buf),
                date.format("%Y-%m-%d").to_string()
            );
        }
    }
}
