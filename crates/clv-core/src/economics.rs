//! Unit economics: formula LTV and its levers, CAC per channel and month,
//! LTV:CAC, payback, and monthly acquisition cohorts.
//!
//! Data in, numbers out: the data layer turns files into an
//! [`EconomicsInput`] (per-customer monthly purchase history, acquisition
//! month, channel, known acquisition costs, marketing spend per channel and
//! month) and [`analyze`] computes every figure. Months are absolute integers,
//! `year * 12 + (month - 1)` ([`month_index`], [`month_label`]).
//!
//! # Definitions
//!
//! **Cohorts.** A customer's cohort is the calendar month of acquisition;
//! month `k` of a cohort is the `k`-th calendar month after it (month 0 is the
//! acquisition month). For each month: `active` = cohort customers with at
//! least one purchase in it, `retention = active / customers`, `revenue`, and
//! `cumulative_revenue_per_customer` = revenue of months `0..=k` / customers.
//! `margin` is `gross_margin * revenue - cost_to_serve * active` (the cost to
//! serve is charged for every month in which a customer buys), and
//! `cumulative_margin_per_customer` its running sum per customer. The month
//! holding the observation end is `partial` unless the observation ends on
//! the month's last day.
//!
//! **Formula LTV** ([`FormulaLtv`]), as marketers write it, measured on the
//! most recent complete months up to a year. *Window rule*: let `C` be the
//! number of complete months from the first month with a purchase to the
//! last complete month (the month of the observation end counts only when
//! the observation ends on its last day). The formula needs
//! `C >= min_months` (default 3); below that the retention rate, lifespan,
//! `ltv` and `full_ltv` are withheld (`None`) with a warning. The window is the
//! last `2p` complete months, `p = min(6, floor(C / 2))` (at most a year),
//! split into half A (its first `p` months) and half B (its last `p`). A
//! customer is *active* in a half when they buy in it. Retention is measured
//! on that window, over `p` months, and never raised to a power to make the
//! lifespan: the lifespan counts periods of `p` months.
//!
//! ```text
//! average_order_value = revenue in B / orders in B
//! purchase_frequency  = orders in B / active customers in B * 12 / p   (orders per year)
//! period_retention    = active in A and in B / active in A              (over p months)
//! retention_rate      = period_retention ^ (12 / p)                     (annual equivalent, shown only)
//! lifespan            = (p / 12) / (1 - period_retention)               (years)
//! ltv                 = average_order_value * purchase_frequency * lifespan   (revenue LTV)
//! expected_years      = (p / 12) * (1 - period_retention^(12 d / p)) / (1 - period_retention)
//! full_ltv            = gross_margin * average_order_value * purchase_frequency * expected_years
//!                       - (acquisition_cost + cost_to_serve_per_year * expected_years)
//! ```
//!
//! `ltv` is the textbook *revenue LTV* (average order value x frequency x
//! lifespan). `full_ltv` is the *net margin LTV*: margin over the expected
//! active years within the duration `d` (the horizon in years, infinite when
//! not given) less the acquisition cost and the cost to serve. The cost to
//! serve is charged per month of a customer's expected active life
//! (`cost_to_serve_per_month * 12 * expected_years`); in the history and the
//! model projection, per month in which a customer buys (or is expected to).
//! `acquisition_cost` is the average CAC of the customers whose CAC is known.
//! `value_before_acquisition` (the net margin LTV before CAC) is, per channel
//! without a model, the channel's *margin LTV*.
//!
//! **Intervals and verdicts.** Per channel and cohort with at least
//! [`MIN_CUSTOMERS_FOR_INTERVAL`] customers, the margin LTV, LTV:CAC, margin
//! LTV net of CAC and payback month carry a bootstrap interval: the customers
//! of each acquisition month and channel are resampled with replacement
//! (`Settings::resamples` times, seeded by `Settings::seed`, group sizes
//! kept, so spend-based CACs are fixed and acquisition-cost CACs vary), and
//! the figures recomputed on each resample. A channel *loses money* only when
//! the upper bound of its net margin LTV's interval is below 0 (the average
//! customer costs more than they bring), *makes money* when the lower bound is
//! above 0, and otherwise there is *not enough data to tell*. The intervals
//! reflect which customers happened to be acquired, not the uncertainty of a
//! fitted model's parameters.
//!
//! **CAC.** Per channel, from the spend file when it has the channel
//! (`spend / new customers` over the months from the channel's first to its
//! last spend row; customers acquired outside those months have no CAC and
//! are reported), else the mean known per-customer acquisition cost, else
//! unknown. Per channel and month: that month's spend / that month's new
//! customers.
//!
//! **Payback.** For a set of cohorts (a channel's, or one cohort) with CAC `C`,
//! the payback month is the first month `k` since acquisition at which the
//! cohorts' cumulative margin per customer reaches `C`: at `k`, the cohorts
//! observed through `k` (or projected through `k` by the model) are pooled,
//! weighted by their customers. `None` when it never does within the data and
//! the projection.
//!
//! **Model LTV** ([`project`]). With a fitted purchase model and an expected
//! value per purchase, each customer's expected purchases in each month after
//! the observation end (`P(alive) * [E(tau_j) - E(tau_{j-1})]`, months of
//! 30.4375 days, discounted at an annual rate as in [`crate::value`]) give
//! projected revenue; the expected number of buying customers in a projected
//! month is approximated by `P(alive) * (1 - exp(-[E(tau_j) - E(tau_{j-1})]))`
//! (the Poisson chance of at least one purchase) and pays the cost to serve.
//! Projected month `j` of a cohort is placed at month `A + j`, where `A` is
//! the cohort's last observed (possibly partial) month. The model LTV per
//! customer of a channel or cohort is its margin to date plus the projected
//! margin over the horizon, per customer: a value over the customer's whole
//! life so far and the horizon, gross of the acquisition cost.
//!
//! The formula and the model differ on purpose: the formula assumes every
//! active customer buys at the same average rate and leaves at one constant
//! annual rate, whatever their history; the model gives each customer their
//! own rate and chance of being alive from their recency and frequency, so a
//! base of many lapsed one-time buyers lowers the model LTV but not the
//! formula's, and the formula's `lifespan` extrapolates beyond any horizon.

use crate::data::CustomerData;
use crate::error::{Error, Result};
use crate::model::PurchaseModel;
use rayon::prelude::*;

/// The absolute month of a calendar `(year, month)` with `month` in `1..=12`.
pub fn month_index(year: i32, month: u32) -> i32 {
    year * 12 + month as i32 - 1
}

/// `YYYY-MM` for an absolute month.
pub fn month_label(m: i32) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// Per-customer monthly purchase history in compressed rows: customer `i`'s
/// buckets are `offsets[i]..offsets[i + 1]`, one per calendar month with a
/// purchase, months strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyHistory {
    /// Bucket ranges, `customers + 1` entries starting at 0.
    pub offsets: Vec<usize>,
    /// Absolute month of each bucket.
    pub month: Vec<i32>,
    /// Revenue of each bucket.
    pub revenue: Vec<f64>,
    /// Orders (purchase rows) of each bucket.
    pub orders: Vec<u32>,
}

impl Default for MonthlyHistory {
    fn default() -> Self {
        MonthlyHistory {
            offsets: vec![0],
            month: Vec::new(),
            revenue: Vec::new(),
            orders: Vec::new(),
        }
    }
}

impl MonthlyHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a customer with buckets `(month, revenue, orders)`.
    pub fn push_customer(&mut self, buckets: &[(i32, f64, u32)]) {
        for &(m, r, o) in buckets {
            self.month.push(m);
            self.revenue.push(r);
            self.orders.push(o);
        }
        self.offsets.push(self.month.len());
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True without customers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bucket range of customer `i`.
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }
}

/// Marketing spend of one channel in one month (summed over the spend rows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendMonth {
    /// Index into [`EconomicsInput::channel_names`].
    pub channel: u32,
    /// Absolute month.
    pub month: i32,
    /// Amount spent.
    pub amount: f64,
}

/// Projected purchases after the observation end, per group of customers
/// (see [`EconomicsInput::groups`]) and projected month.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Projected months (the horizon in months, rounded up).
    pub months: usize,
    /// Discounted expected revenue, `groups * months`, group-major.
    pub revenue: Vec<f64>,
    /// Expected customers buying in the month, `groups * months`.
    pub active: Vec<f64>,
    /// Expected discounted revenue over the horizon, per customer.
    pub customer_revenue: Vec<f64>,
    /// Expected customers buying over the horizon, summed over months, per customer.
    pub customer_active_months: Vec<f64>,
}

/// Everything [`analyze`] needs, one entry per customer in each vector.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomicsInput {
    /// Monthly purchases.
    pub history: MonthlyHistory,
    /// Acquisition month (on or before the first purchase month).
    pub acquisition_month: Vec<i32>,
    /// Channel index into `channel_names`.
    pub channel: Vec<u32>,
    /// Channel names.
    pub channel_names: Vec<String>,
    /// Known acquisition cost per customer, `NaN` when unknown.
    pub acquisition_cost: Vec<f64>,
    /// Spend per channel and month (at most one entry per pair).
    pub spend: Vec<SpendMonth>,
    /// Month of the observation end.
    pub last_month: i32,
    /// Whether the observation end is the last day of its month.
    pub last_month_complete: bool,
    /// Model projection, when a model is used.
    pub projection: Option<Projection>,
    /// Cost of goods of each history bucket (aligned with `history.month`),
    /// from a cost column: when given, a bucket's gross margin is its revenue
    /// less its cost instead of `Settings::margin` times its revenue, and the
    /// formula and the projection use the overall margin `1 - cost / revenue`.
    pub cost: Option<Vec<f64>>,
}

/// Settings of the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Gross margin as a fraction of revenue, in `[0, 1]`.
    pub margin: f64,
    /// Cost to serve per customer per month, `>= 0`.
    pub cost_to_serve_per_month: f64,
    /// Duration of the full formula (the horizon) in years; `f64::INFINITY` for none.
    pub duration_years: f64,
    /// Complete months the formula LTV needs (see [`FormulaLtv`]); below, its
    /// lifespan, `ltv` and `full_ltv` are withheld. At least 2.
    pub min_months: u32,
    /// Bootstrap resamples of the channel and cohort intervals (at least 20).
    pub resamples: usize,
    /// Seed of the bootstrap (the same seed gives the same intervals).
    pub seed: u64,
    /// Coverage of the intervals, in `(0, 1)` (0.9: the 5% and 95% quantiles).
    pub level: f64,
}

/// Default of [`Settings::min_months`].
pub const DEFAULT_MIN_MONTHS: u32 = 3;
/// Default of [`Settings::resamples`].
pub const DEFAULT_RESAMPLES: usize = 200;
/// Default of [`Settings::level`].
pub const DEFAULT_LEVEL: f64 = 0.9;
/// Fewest customers behind a channel or cohort for an interval (and a verdict).
pub const MIN_CUSTOMERS_FOR_INTERVAL: u64 = 10;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            margin: 1.0,
            cost_to_serve_per_month: 0.0,
            duration_years: f64::INFINITY,
            min_months: DEFAULT_MIN_MONTHS,
            resamples: DEFAULT_RESAMPLES,
            seed: 1,
            level: DEFAULT_LEVEL,
        }
    }
}

/// Where a channel's CAC comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacSource {
    /// Spend file: spend / new customers.
    Spend,
    /// Mean of the known per-customer acquisition costs.
    AcquisitionCost,
    /// Not known.
    Unknown,
}

impl CacSource {
    /// `spend`, `acquisition_cost` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            CacSource::Spend => "spend",
            CacSource::AcquisitionCost => "acquisition_cost",
            CacSource::Unknown => "unknown",
        }
    }
}

/// The formula LTV and each of its factors (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct FormulaLtv {
    /// Complete months of data: from the first month with a purchase to the
    /// last complete month.
    pub complete_months: u32,
    /// Complete months needed ([`Settings::min_months`]); below, the
    /// retention-based figures are withheld.
    pub min_months: u32,
    /// Window length in months: `2 p` (see `retention_period_months`).
    pub window_months: u32,
    /// First month of the window (first month of half A).
    pub window_start: i32,
    /// Last month of the window (last month of half B).
    pub window_end: i32,
    /// `p`: months of each half of the window, the period over which
    /// retention is measured (`min(6, complete_months / 2)`).
    pub retention_period_months: u32,
    /// Customers active in half A.
    pub active_before: u64,
    /// Customers active in half B.
    pub active: u64,
    /// Customers active in both halves.
    pub retained: u64,
    /// Orders in half B.
    pub orders: u64,
    /// Revenue in half B.
    pub revenue: f64,
    /// Revenue per order.
    pub average_order_value: Option<f64>,
    /// Orders per active customer per year (measured over half B).
    pub purchase_frequency: Option<f64>,
    /// Retention measured on the window: `retained / active_before`, over
    /// `retention_period_months` months (not annualised).
    pub period_retention: Option<f64>,
    /// The annual equivalent `period_retention ^ (12 / p)`, for comparison;
    /// the lifespan is computed in periods of `p` months, not from this.
    /// `None` below `min_months`.
    pub retention_rate: Option<f64>,
    /// Expected lifespan in years, `(p / 12) / (1 - period_retention)` (periods
    /// of `p` months); `None` when the retention is 1 or below `min_months`.
    pub lifespan: Option<f64>,
    /// `average_order_value * purchase_frequency * lifespan` (revenue).
    pub ltv: Option<f64>,
    /// Gross margin used.
    pub margin: f64,
    /// Duration in years (infinite: none).
    pub duration: f64,
    /// Expected active years within the duration.
    pub expected_years: Option<f64>,
    /// Average CAC used (0 when unknown, see `acquisition_cost_known`).
    pub acquisition_cost: f64,
    /// Whether any CAC was known.
    pub acquisition_cost_known: bool,
    /// Cost to serve per customer per year.
    pub cost_to_serve_per_year: f64,
    /// `cost_to_serve_per_year * expected_years`.
    pub retention_cost: Option<f64>,
    /// Margin over the expected years less the retention cost (gross of CAC).
    pub value_before_acquisition: Option<f64>,
    /// `value_before_acquisition - acquisition_cost`.
    pub full_ltv: Option<f64>,
}

/// One lever of the sensitivity table: `+10%` on it and the resulting `full_ltv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    /// Name: `average_order_value`, `purchase_frequency`, `retention_rate`,
    /// `duration`, `margin`, `acquisition_cost`, `cost_to_serve`.
    pub lever: &'static str,
    /// The lever's value.
    pub base: f64,
    /// The lever's value after the change (retention capped below 1, margin at 1).
    pub changed: f64,
    /// `full_ltv` after the change.
    pub full_ltv: f64,
    /// `full_ltv` after minus before.
    pub change: f64,
    /// The change as a fraction of `|full_ltv|` before; `None` when `full_ltv`
    /// is near zero (under 5% of the gross margin value plus the retention
    /// and acquisition costs it nets), where only the change in currency means
    /// something.
    pub change_pct: Option<f64>,
}

/// CAC of one channel in one month.
#[derive(Debug, Clone, PartialEq)]
pub struct CacMonth {
    /// Channel name.
    pub channel: String,
    /// Absolute month.
    pub month: i32,
    /// Spend in the month (`None`: not covered by the spend file).
    pub spend: Option<f64>,
    /// Customers acquired in the month.
    pub new_customers: u64,
    /// `spend / new_customers` (or the mean known acquisition cost).
    pub cac: Option<f64>,
}

/// A channel's unit economics.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelEconomics {
    /// Channel name.
    pub channel: String,
    /// Customers acquired by the channel (buyers).
    pub new_customers: u64,
    /// Spend attributed to the channel (`None` without spend rows).
    pub spend: Option<f64>,
    /// Customer acquisition cost.
    pub cac: Option<f64>,
    /// Where the CAC comes from.
    pub cac_source: CacSource,
    /// Customers whose CAC is known.
    pub customers_with_cac: u64,
    /// Revenue to date per customer.
    pub revenue_per_customer: f64,
    /// Margin to date per customer (net of the cost to serve).
    pub margin_per_customer: f64,
    /// The channel's formula value gross of CAC (`value_before_acquisition`).
    pub formula_ltv: Option<f64>,
    /// Margin to date plus projected margin over the horizon, per customer.
    pub model_ltv: Option<f64>,
    /// `model_ltv` when there is a model, else `formula_ltv`.
    pub ltv: Option<f64>,
    /// `ltv / cac` (`None` when either is unknown or the CAC is 0).
    pub ltv_to_cac: Option<f64>,
    /// `ltv - cac`.
    pub net_ltv: Option<f64>,
    /// Payback month (0 = within the acquisition month).
    pub payback_months: Option<u32>,
    /// Whether the payback month relies on the projection.
    pub payback_projected: bool,
    /// Months since acquisition the payback search covered (observed, plus
    /// projected with a model): a payback of `None` with a known CAC means
    /// "not within these months".
    pub payback_checked_months: u32,
    /// Bootstrap intervals of `ltv`, `ltv_to_cac`, `net_ltv` and the payback
    /// (`None` with fewer than [`MIN_CUSTOMERS_FOR_INTERVAL`] customers or
    /// when the figure is not computed).
    pub intervals: FigureIntervals,
    /// Whether the channel makes or loses money on the average customer,
    /// from the interval of `net_ltv`.
    pub verdict: Verdict,
    /// True when the verdict is [`Verdict::LosesMoney`]: the upper bound of
    /// `net_ltv`'s interval is below 0, so the average customer costs more to
    /// acquire than they bring.
    pub loses_money: bool,
}

/// A two-sided interval of a figure (the `(1 - level) / 2` and `(1 + level) / 2`
/// bootstrap quantiles).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// An interval of a payback month; `None` bounds are "not within the months
/// covered" (the payback was not reached in those resamples).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaybackInterval {
    /// Lower bound (months since acquisition).
    pub lo: Option<u32>,
    /// Upper bound.
    pub hi: Option<u32>,
}

/// Bootstrap intervals of a channel's or cohort's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FigureIntervals {
    /// Of the margin LTV per customer.
    pub ltv: Option<Interval>,
    /// Of LTV:CAC.
    pub ltv_to_cac: Option<Interval>,
    /// Of the margin LTV net of CAC.
    pub net_ltv: Option<Interval>,
    /// Of the payback month.
    pub payback: Option<PaybackInterval>,
}

/// Whether a channel pays for itself, judged on the interval of its margin
/// LTV net of CAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is above 0.
    MakesMoney,
    /// The whole interval is below 0.
    LosesMoney,
    /// The interval straddles 0, or too few customers for one.
    NotEnoughData,
    /// CAC or LTV unknown.
    Unknown,
}

impl Verdict {
    /// `makes money`, `loses money`, `not enough data to tell`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::MakesMoney => "makes money",
            Verdict::LosesMoney => "loses money",
            Verdict::NotEnoughData => "not enough data to tell",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One month of a cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortMonth {
    /// Months since acquisition.
    pub month: u32,
    /// Customers buying in the month.
    pub active: u64,
    /// `active / customers`.
    pub retention: f64,
    /// Orders in the month.
    pub orders: u64,
    /// Revenue in the month.
    pub revenue: f64,
    /// `margin * revenue - cost_to_serve * active`.
    pub margin: f64,
    /// Revenue of months `0..=month` per cohort customer.
    pub cumulative_revenue_per_customer: f64,
    /// Margin of months `0..=month` per cohort customer.
    pub cumulative_margin_per_customer: f64,
    /// The month is cut by the observation end.
    pub partial: bool,
}

/// One projected month of a cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedMonth {
    /// Months since acquisition.
    pub month: u32,
    /// Expected customers buying.
    pub expected_active: f64,
    /// Expected (discounted) revenue.
    pub expected_revenue: f64,
    /// Cumulative margin per customer, actuals then projection.
    pub cumulative_margin_per_customer: f64,
}

/// A monthly acquisition cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Acquisition month.
    pub cohort: i32,
    /// Customers acquired.
    pub customers: u64,
    /// Average CAC of the customers whose CAC is known.
    pub cac: Option<f64>,
    /// Payback month.
    pub payback_months: Option<u32>,
    /// Whether the payback relies on the projection.
    pub payback_projected: bool,
    /// Margin to date plus projected margin, per customer (with a model).
    pub model_ltv: Option<f64>,
    /// `model_ltv / cac`.
    pub ltv_to_cac: Option<f64>,
    /// Months since acquisition the payback search covered.
    pub payback_checked_months: u32,
    /// Bootstrap intervals (`ltv` is `model_ltv`'s).
    pub intervals: FigureIntervals,
    /// Observed months `0..=A`.
    pub months: Vec<CohortMonth>,
    /// Projected months `A+1..`.
    pub projected: Vec<ProjectedMonth>,
}

/// Everything [`analyze`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Economics {
    /// Customers.
    pub customers: u64,
    /// Orders.
    pub orders: u64,
    /// Revenue to date.
    pub revenue: f64,
    /// Margin to date, net of the cost to serve.
    pub margin: f64,
    /// The formula LTV over all customers.
    pub formula: FormulaLtv,
    /// `+10%` on each lever.
    pub sensitivity: Vec<Lever>,
    /// Per channel, in the order of the channel names.
    pub channels: Vec<ChannelEconomics>,
    /// Per channel and month with customers or spend.
    pub cac_by_month: Vec<CacMonth>,
    /// Per acquisition month.
    pub cohorts: Vec<Cohort>,
    /// What the user should know (coverage gaps, unknown costs, losses).
    pub warnings: Vec<String>,
    /// Each customer's CAC when known: the spend-based CAC of their channel and
    /// month, or their own acquisition cost (see the module docs).
    pub customer_cac: Vec<Option<f64>>,
}

/// A segment's unit economics (customers grouped by an attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentEconomics {
    /// Segment name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: u64,
    /// Mean CAC of the segment's customers whose CAC is known.
    pub cac: Option<f64>,
    /// Customers whose CAC is known.
    pub customers_with_cac: u64,
    /// Revenue to date per customer.
    pub revenue_per_customer: f64,
    /// Margin to date per customer (net of the cost to serve).
    pub margin_per_customer: f64,
    /// Model LTV (margin to date plus projected margin, per customer) with a
    /// projection, else the segment's formula value gross of CAC.
    pub ltv: Option<f64>,
    /// `ltv / cac`.
    pub ltv_to_cac: Option<f64>,
    /// `ltv - cac`.
    pub net_ltv: Option<f64>,
    /// True when `net_ltv < 0`.
    pub loses_money: bool,
}

/// Unit economics per segment: `segment[i]` indexes `names` for customer `i`.
/// The CAC of a segment is the mean of its customers' known CACs (spend of a
/// channel-month without new customers belongs to no segment); the LTV is as
/// for channels. Loss-making segments are reported in the returned warnings.
#[allow(clippy::needless_range_loop)] // columnar data indexed by customer
pub fn segments(
    input: &EconomicsInput,
    settings: &Settings,
    econ: &Economics,
    segment: &[u32],
    names: &[String],
) -> Result<(Vec<SegmentEconomics>, Vec<String>)> {
    let n = input.history.len();
    if segment.len() != n || econ.customer_cac.len() != n {
        return Err(invalid(format!(
            "{n} customers but {} segment values",
            segment.len()
        )));
    }
    if segment.iter().any(|&s| s as usize >= names.len()) {
        return Err(invalid("segment out of range"));
    }
    let values = input.customer_values(settings);
    let k = names.len();
    let (mut cnt, mut cac_n) = (vec![0u64; k], vec![0u64; k]);
    let (mut cac_sum, mut rev, mut mar, mut model) =
        (vec![0.0; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let proj = input.projection.as_ref();
    let margin = input.effective_margin(settings);
    for i in 0..n {
        let g = segment[i] as usize;
        cnt[g] += 1;
        if let Some(c) = econ.customer_cac[i] {
            cac_n[g] += 1;
            cac_sum[g] += c;
        }
        rev[g] += values.revenue[i];
        mar[g] += values.margin[i];
        if let Some(p) = proj {
            model[g] += values.margin[i] + margin * p.customer_revenue[i]
                - settings.cost_to_serve_per_month * p.customer_active_months[i];
        }
    }
    let mut out = Vec::with_capacity(k);
    let mut warnings = Vec::new();
    for g in 0..k {
        if cnt[g] == 0 {
            continue;
        }
        let nf = cnt[g] as f64;
        let cac = (cac_n[g] > 0).then(|| cac_sum[g] / cac_n[g] as f64);
        let ltv = if proj.is_some() {
            Some(model[g] / nf)
        } else {
            formula_where(input, settings, &|i| segment[i] as usize == g, cac)
                .value_before_acquisition
        };
        let ltv_to_cac = match (ltv, cac) {
            (Some(l), Some(c)) if c > 0.0 => Some(l / c),
            _ => None,
        };
        let net_ltv = match (ltv, cac) {
            (Some(l), Some(c)) => Some(l - c),
            _ => None,
        };
        let loses_money = net_ltv.is_some_and(|v| v < 0.0);
        if loses_money {
            warnings.push(format!(
                "segment {}: margin LTV {:.2} is below its CAC {:.2}: this segment loses money on \
                 the average customer ({:.2} each)",
                names[g],
                ltv.unwrap_or(0.0),
                cac.unwrap_or(0.0),
                net_ltv.unwrap_or(0.0)
            ));
        }
        out.push(SegmentEconomics {
            segment: names[g].clone(),
            customers: cnt[g],
            cac,
            customers_with_cac: cac_n[g],
            revenue_per_customer: rev[g] / nf,
            margin_per_customer: mar[g] / nf,
            ltv,
            ltv_to_cac,
            net_ltv,
            loses_money,
        });
    }
    Ok((out, warnings))
}

/// Historic value per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerValues {
    /// Orders to date.
    pub orders: Vec<f64>,
    /// Revenue to date.
    pub revenue: Vec<f64>,
    /// `margin * revenue - cost_to_serve * months with a purchase`.
    pub margin: Vec<f64>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidData(msg.into())
}

impl Settings {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.margin.is_finite() && (0.0..=1.0).contains(&self.margin)) {
            return Err(Error::InvalidParameter {
                name: "margin",
                value: self.margin,
                reason: "must be a fraction in [0, 1] (0.3 for a 30% gross margin)",
            });
        }
        if !(self.cost_to_serve_per_month.is_finite() && self.cost_to_serve_per_month >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "cost_to_serve",
                value: self.cost_to_serve_per_month,
                reason: "must be finite and non-negative",
            });
        }
        if self.duration_years.is_nan() || self.duration_years <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "duration",
                value: self.duration_years,
                reason: "must be positive (infinite for none)",
            });
        }
        if self.min_months < 2 {
            return Err(Error::InvalidParameter {
                name: "min_months",
                value: self.min_months as f64,
                reason: "must be at least 2 (retention needs two periods)",
            });
        }
        if self.resamples < 20 {
            return Err(Error::InvalidParameter {
                name: "resamples",
                value: self.resamples as f64,
                reason: "must be at least 20 for an interval",
            });
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "level",
                value: self.level,
                reason: "must be in (0, 1)",
            });
        }
        Ok(())
    }
}

impl EconomicsInput {
    /// Checks lengths, ranges and orders.
    pub fn validate(&self) -> Result<()> {
        let n = self.history.len();
        let h = &self.history;
        if self.acquisition_month.len() != n
            || self.channel.len() != n
            || self.acquisition_cost.len() != n
        {
            return Err(invalid(format!(
                "{n} histories but {} acquisition months, {} channels, {} costs",
                self.acquisition_month.len(),
                self.channel.len(),
                self.acquisition_cost.len()
            )));
        }
        if h.offsets.first() != Some(&0)
            || h.offsets.last() != Some(&h.month.len())
            || h.revenue.len() != h.month.len()
            || h.orders.len() != h.month.len()
            || h.offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(invalid("malformed monthly history"));
        }
        for i in 0..n {
            let r = h.range(i);
            let months = &h.month[r.clone()];
            if months.windows(2).any(|w| w[0] >= w[1]) {
                return Err(invalid(format!("customer {i}: months not increasing")));
            }
            if let Some(&m) = months.first()
                && m < self.acquisition_month[i]
            {
                return Err(invalid(format!(
                    "customer {i}: a purchase in {} before the acquisition month {}",
                    month_label(m),
                    month_label(self.acquisition_month[i])
                )));
            }
            if self.acquisition_month[i] > self.last_month
                || months.last().is_some_and(|&m| m > self.last_month)
            {
                return Err(invalid(format!(
                    "customer {i}: a month after the observation end"
                )));
            }
            if h.revenue[r.clone()]
                .iter()
                .any(|v| !(v.is_finite() && *v >= 0.0))
            {
                return Err(invalid(format!(
                    "customer {i}: revenue must be finite and non-negative"
                )));
            }
            if self.channel[i] as usize >= self.channel_names.len() {
                return Err(invalid(format!("customer {i}: channel out of range")));
            }
            let c = self.acquisition_cost[i];
            if !(c.is_nan() || (c.is_finite() && c >= 0.0)) {
                return Err(invalid(format!(
                    "customer {i}: acquisition cost {c} must be non-negative"
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.spend {
            if s.channel as usize >= self.channel_names.len() {
                return Err(invalid("spend channel out of range"));
            }
            if !(s.amount.is_finite() && s.amount >= 0.0) {
                return Err(invalid(format!(
                    "spend {} of {} in {} must be finite and non-negative",
                    s.amount,
                    self.channel_names[s.channel as usize],
                    month_label(s.month)
                )));
            }
            if !seen.insert((s.channel, s.month)) {
                return Err(invalid(format!(
                    "two spend entries for {} in {}",
                    self.channel_names[s.channel as usize],
                    month_label(s.month)
                )));
            }
        }
        if let Some(c) = &self.cost
            && (c.len() != h.month.len() || c.iter().any(|v| !v.is_finite()))
        {
            return Err(invalid(
                "costs must be finite, one per monthly history bucket",
            ));
        }
        if let Some(p) = &self.projection {
            let (_, ng) = self.groups();
            if p.revenue.len() != ng * p.months
                || p.active.len() != ng * p.months
                || p.customer_revenue.len() != n
                || p.customer_active_months.len() != n
            {
                return Err(invalid("projection does not match the customers' groups"));
            }
        }
        Ok(())
    }

    /// The margin fraction of the formula and the projection: `settings.margin`,
    /// or `1 - total cost / total revenue` with a cost column.
    pub fn effective_margin(&self, settings: &Settings) -> f64 {
        match &self.cost {
            None => settings.margin,
            Some(c) => {
                let rev: f64 = self.history.revenue.iter().sum();
                let cost: f64 = c.iter().sum();
                if rev > 0.0 { 1.0 - cost / rev } else { 0.0 }
            }
        }
    }

    /// Gross margin of history bucket `b`.
    #[inline]
    fn gross(&self, settings: &Settings, b: usize) -> f64 {
        match &self.cost {
            None => settings.margin * self.history.revenue[b],
            Some(c) => self.history.revenue[b] - c[b],
        }
    }

    /// Each customer's group (one per acquisition month and channel):
    /// `(month - first month) * channels + channel`, and the number of groups.
    pub fn groups(&self) -> (Vec<u32>, usize) {
        let nch = self.channel_names.len().max(1);
        let first = self.acquisition_month.iter().copied().min().unwrap_or(0);
        let last = self.acquisition_month.iter().copied().max().unwrap_or(0);
        let groups = self
            .acquisition_month
            .iter()
            .zip(&self.channel)
            .map(|(&m, &c)| ((m - first) as usize * nch + c as usize) as u32)
            .collect();
        let ng = if self.acquisition_month.is_empty() {
            0
        } else {
            (last - first + 1) as usize * nch
        };
        (groups, ng)
    }

    /// Historic orders, revenue and margin per customer.
    pub fn customer_values(&self, settings: &Settings) -> CustomerValues {
        let h = &self.history;
        let n = h.len();
        let mut out = CustomerValues {
            orders: Vec::with_capacity(n),
            revenue: Vec::with_capacity(n),
            margin: Vec::with_capacity(n),
        };
        for i in 0..n {
            let r = h.range(i);
            let rev: f64 = h.revenue[r.clone()].iter().sum();
            let ord: u64 = h.orders[r.clone()].iter().map(|&o| o as u64).sum();
            let gross: f64 = r.clone().map(|b| self.gross(settings, b)).sum();
            out.orders.push(ord as f64);
            out.revenue.push(rev);
            out.margin
                .push(gross - settings.cost_to_serve_per_month * r.len() as f64);
        }
        out
    }
}

/// Expected purchases after the observation end, aggregated per group.
///
/// `data` and `expected_spend` are per customer in the input's order,
/// `schedule` the month ends (model time units after the observation end)
/// and discount factors of [`crate::value::ValueSettings::schedule`], `groups`
/// and `ngroups` from [`EconomicsInput::groups`]. Shares the work between
/// customers with the same `(x, T)` as [`crate::value::predict`] does.
pub fn project(
    model: &dyn PurchaseModel,
    data: &CustomerData,
    expected_spend: &[f64],
    schedule: &[(f64, f64)],
    groups: &[u32],
    ngroups: usize,
) -> Result<Projection> {
    let n = data.len();
    if expected_spend.len() != n || groups.len() != n {
        return Err(invalid(format!(
            "{n} customers, {} spend values, {} groups",
            expected_spend.len(),
            groups.len()
        )));
    }
    if groups.iter().any(|&g| g as usize >= ngroups) {
        return Err(invalid("group out of range"));
    }
    let k = schedule.len();
    let mut keys: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let slot: Vec<usize> = (0..n)
        .map(|i| {
            let (x, t) = (data.frequency[i], data.age[i]);
            *keys.entry((x.to_bits(), t.to_bits())).or_insert_with(|| {
                pairs.push((x, t));
                pairs.len() - 1
            })
        })
        .collect();
    // Per (x, T): the monthly increments E(tau_j) - E(tau_{j-1}).
    let increments: Vec<Vec<f64>> = pairs
        .par_iter()
        .map(|&(x, t)| {
            let mut prev = 0.0;
            schedule
                .iter()
                .map(|&(tau, _)| {
                    let e = model.expected_purchases_if_alive(x, t, tau);
                    let d = e - prev;
                    prev = e;
                    d.max(0.0)
                })
                .collect()
        })
        .collect();
    let p_alive: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| model.p_alive(&data.customer(i)))
        .collect();
    let mut out = Projection {
        months: k,
        revenue: vec![0.0; ngroups * k],
        active: vec![0.0; ngroups * k],
        customer_revenue: Vec::with_capacity(n),
        customer_active_months: Vec::with_capacity(n),
    };
    for i in 0..n {
        let inc = &increments[slot[i]];
        let g = groups[i] as usize * k;
        let (p, s) = (p_alive[i], expected_spend[i]);
        let mut rev = 0.0;
        let mut act = 0.0;
        for j in 0..k {
            let r = p * s * inc[j] * schedule[j].1;
            let a = p * (1.0 - (-inc[j]).exp());
            out.revenue[g + j] += r;
            out.active[g + j] += a;
            rev += r;
            act += a;
        }
        if !(rev.is_finite() && act.is_finite()) {
            let c = data.customer(i);
            return Err(Error::Numerical(format!(
                "projection for row {i} (x={}, t_x={}, T={}, spend={s}): revenue {rev}",
                c.frequency, c.recency, c.age
            )));
        }
        out.customer_revenue.push(rev);
        out.customer_active_months.push(act);
    }
    Ok(out)
}

/// Aggregates per group and month since acquisition.
struct Groups {
    nch: usize,
    first: i32,
    /// Customers per group.
    n: Vec<u64>,
    /// Known-CAC customers and their CAC total per group.
    cac_n: Vec<u64>,
    cac_sum: Vec<f64>,
    /// Per group, per month since acquisition (0..=age): active, orders, revenue.
    active: Vec<Vec<u64>>,
    orders: Vec<Vec<u64>>,
    revenue: Vec<Vec<f64>>,
    /// Gross margin per group and month.
    gross: Vec<Vec<f64>>,
}

impl Groups {
    fn month_of(&self, g: usize) -> i32 {
        self.first + (g / self.nch) as i32
    }
    fn channel_of(&self, g: usize) -> usize {
        g % self.nch
    }
}

/// CAC resolution per channel.
struct ChannelCac {
    source: CacSource,
    /// Spend months covered: first..=last spend month.
    range: Option<(i32, i32)>,
    spend_by_month: std::collections::BTreeMap<i32, f64>,
}

/// Computes every figure (see the module docs).
// Columnar data: indexing several vectors by customer reads clearer than zips.
#[allow(clippy::needless_range_loop)]
pub fn analyze(input: &EconomicsInput, settings: &Settings) -> Result<Economics> {
    input.validate()?;
    settings.validate()?;
    let n = input.history.len();
    if n == 0 {
        return Err(Error::NotEnoughData("no customers".into()));
    }
    let h = &input.history;
    let nch = input.channel_names.len();
    let mut warnings = Vec::new();

    // CAC sources per channel.
    let mut ccac: Vec<ChannelCac> = (0..nch)
        .map(|_| ChannelCac {
            source: CacSource::Unknown,
            range: None,
            spend_by_month: Default::default(),
        })
        .collect();
    for s in &input.spend {
        let c = &mut ccac[s.channel as usize];
        c.source = CacSource::Spend;
        c.spend_by_month.insert(s.month, s.amount);
        c.range = Some(match c.range {
            None => (s.month, s.month),
            Some((a, b)) => (a.min(s.month), b.max(s.month)),
        });
    }
    let mut ch_cost_known = vec![0u64; nch];
    let mut ch_cost_disagree = vec![0u64; nch];
    for i in 0..n {
        if !input.acquisition_cost[i].is_nan() {
            ch_cost_known[input.channel[i] as usize] += 1;
        }
    }
    for (c, cc) in ccac.iter_mut().enumerate() {
        if cc.source == CacSource::Unknown && ch_cost_known[c] > 0 {
            cc.source = CacSource::AcquisitionCost;
        }
    }

    // New customers per channel and month (for spend-based CAC).
    let mut new_by: std::collections::BTreeMap<(u32, i32), u64> = Default::default();
    for i in 0..n {
        *new_by
            .entry((input.channel[i], input.acquisition_month[i]))
            .or_default() += 1;
    }
    let spend_cac = |c: usize, m: i32| -> Option<f64> {
        let cc = &ccac[c];
        let (a, b) = cc.range?;
        if m < a || m > b {
            return None;
        }
        let spend = cc.spend_by_month.get(&m).copied().unwrap_or(0.0);
        let new = new_by.get(&(c as u32, m)).copied().unwrap_or(0);
        (new > 0).then(|| spend / new as f64)
    };
    // Per-customer CAC.
    let cac_of = |i: usize| -> Option<f64> {
        let c = input.channel[i] as usize;
        match ccac[c].source {
            CacSource::Spend => spend_cac(c, input.acquisition_month[i]),
            CacSource::AcquisitionCost => {
                let v = input.acquisition_cost[i];
                (!v.is_nan()).then_some(v)
            }
            CacSource::Unknown => None,
        }
    };

    // Group aggregates.
    let (groups, ng) = input.groups();
    let first = input.acquisition_month.iter().copied().min().unwrap_or(0);
    let mut gr = Groups {
        nch: nch.max(1),
        first,
        n: vec![0; ng],
        cac_n: vec![0; ng],
        cac_sum: vec![0.0; ng],
        active: Vec::with_capacity(ng),
        orders: Vec::with_capacity(ng),
        revenue: Vec::with_capacity(ng),
        gross: Vec::with_capacity(ng),
    };
    for g in 0..ng {
        let age = (input.last_month - gr.month_of(g)) as usize + 1;
        gr.active.push(vec![0; age]);
        gr.orders.push(vec![0; age]);
        gr.revenue.push(vec![0.0; age]);
        gr.gross.push(vec![0.0; age]);
    }
    let mut outside_range = vec![0u64; nch];
    for i in 0..n {
        let g = groups[i] as usize;
        gr.n[g] += 1;
        let c = input.channel[i] as usize;
        match cac_of(i) {
            Some(v) => {
                gr.cac_n[g] += 1;
                gr.cac_sum[g] += v;
            }
            None if ccac[c].source == CacSource::Spend => outside_range[c] += 1,
            None => {}
        }
        if ccac[c].source == CacSource::Spend
            && !input.acquisition_cost[i].is_nan()
            && let Some(v) = cac_of(i)
            && (v - input.acquisition_cost[i]).abs() > 1e-9 * v.abs().max(1.0)
        {
            ch_cost_disagree[c] += 1;
        }
        let a = input.acquisition_month[i];
        for b in h.range(i) {
            let k = (h.month[b] - a) as usize;
            gr.active[g][k] += 1;
            gr.orders[g][k] += h.orders[b] as u64;
            gr.revenue[g][k] += h.revenue[b];
            gr.gross[g][k] += input.gross(settings, b);
        }
    }
    for c in 0..nch {
        let name = &input.channel_names[c];
        if outside_range[c] > 0 {
            let (a, b) = ccac[c].range.expect("spend channel");
            warnings.push(format!(
                "channel {name}: {} customers were acquired outside the months its spend covers \
                 ({} to {}); they have no CAC and are left out of its CAC and payback",
                outside_range[c],
                month_label(a),
                month_label(b)
            ));
        }
        if ch_cost_disagree[c] > 0 {
            warnings.push(format!(
                "channel {name}: the spend file gives its CAC; the acquisition_cost of {} of its \
                 customers differs and is ignored",
                ch_cost_disagree[c]
            ));
        }
        if ccac[c].source == CacSource::AcquisitionCost {
            let total = new_by
                .range((c as u32, i32::MIN)..=(c as u32, i32::MAX))
                .map(|(_, v)| *v)
                .sum::<u64>();
            if ch_cost_known[c] < total {
                warnings.push(format!(
                    "channel {name}: acquisition_cost known for {} of {} customers; its CAC is the \
                     mean of the known ones",
                    ch_cost_known[c], total
                ));
            }
        }
    }

    let cost = settings.cost_to_serve_per_month;
    let m = input.effective_margin(settings);
    let proj = input.projection.as_ref();
    // Actual cumulative margin totals per group, then projected.
    let curve = |g: usize| -> (Vec<f64>, usize) {
        let mut cum = 0.0;
        let mut out = Vec::new();
        for k in 0..gr.revenue[g].len() {
            cum += gr.gross[g][k] - cost * gr.active[g][k] as f64;
            out.push(cum);
        }
        let actual = out.len();
        if let Some(p) = proj {
            for j in 0..p.months {
                cum += m * p.revenue[g * p.months + j] - cost * p.active[g * p.months + j];
                out.push(cum);
            }
        }
        (out, actual)
    };
    let curves: Vec<(Vec<f64>, usize)> = (0..ng).map(curve).collect();
    // Payback of a set of groups against a CAC.
    let payback = |set: &[usize], cac: f64| -> (Option<u32>, bool) {
        let max_len = set.iter().map(|&g| curves[g].0.len()).max().unwrap_or(0);
        for k in 0..max_len {
            let (mut tot, mut cnt, mut projected) = (0.0, 0u64, false);
            for &g in set {
                if gr.n[g] == 0 || k >= curves[g].0.len() {
                    continue;
                }
                tot += curves[g].0[k];
                cnt += gr.n[g];
                projected |= k >= curves[g].1;
            }
            if cnt > 0 && tot / cnt as f64 >= cac - 1e-12 * cac.abs() {
                return (Some(k as u32), projected);
            }
        }
        (None, false)
    };
    let checked = |set: &[usize]| -> u32 {
        set.iter()
            .filter(|&&g| gr.n[g] > 0)
            .map(|&g| curves[g].0.len())
            .max()
            .unwrap_or(0) as u32
    };
    let model_total = |set: &[usize]| -> Option<f64> {
        proj?;
        let (tot, cnt) = set.iter().fold((0.0, 0u64), |(t, c), &g| {
            (t + curves[g].0.last().copied().unwrap_or(0.0), c + gr.n[g])
        });
        (cnt > 0).then(|| tot / cnt as f64)
    };

    // Totals and the overall formula.
    let values = input.customer_values(settings);
    let revenue: f64 = values.revenue.iter().sum();
    let margin_total: f64 = values.margin.iter().sum();
    let orders: f64 = values.orders.iter().sum();
    // Channel CACs and the customers they cover, then the overall CAC:
    // all acquisition money over the customers whose CAC is known.
    let channel_cac: Vec<(Option<f64>, u64)> = (0..nch)
        .map(|c| {
            let cc = &ccac[c];
            match cc.source {
                CacSource::Spend => {
                    let (a, b) = cc.range.expect("spend range");
                    let new_in: u64 = new_by
                        .range((c as u32, a)..=(c as u32, b))
                        .map(|(_, v)| *v)
                        .sum();
                    let spend: f64 = cc.spend_by_month.values().sum();
                    ((new_in > 0).then(|| spend / new_in as f64), new_in)
                }
                CacSource::AcquisitionCost => {
                    let set = (0..ng).filter(|&g| gr.channel_of(g) == c);
                    let (s, k) = set.fold((0.0, 0u64), |(s, k), g| {
                        (s + gr.cac_sum[g], k + gr.cac_n[g])
                    });
                    ((k > 0).then(|| s / k as f64), k)
                }
                CacSource::Unknown => (None, 0),
            }
        })
        .collect();
    let (cac_money, cac_people) = channel_cac
        .iter()
        .fold((0.0, 0u64), |(m, p), &(c, k)| match c {
            Some(c) => (m + c * k as f64, p + k),
            None => (m, p),
        });
    let overall_cac = (cac_people > 0).then(|| cac_money / cac_people as f64);
    let formula = formula_ltv(input, settings, None, overall_cac);
    if formula.complete_months < formula.min_months {
        warnings.push(format!(
            "formula LTV withheld: the data has {} complete month{} (from the first purchase to \
             the last complete month) and the formula needs at least {} to measure retention; \
             ltv and full_ltv are not given. Add more history, or lower --min-months (at your \
             risk: retention measured over a month or two is mostly noise)",
            formula.complete_months,
            if formula.complete_months == 1 {
                ""
            } else {
                "s"
            },
            formula.min_months
        ));
    } else if formula.average_order_value.is_none() {
        warnings.push(format!(
            "formula LTV: no purchases in the last {} complete months; no order value",
            formula.retention_period_months
        ));
    } else if formula.period_retention.is_none() {
        warnings.push(
            "formula LTV: nobody bought in the first half of the window; no retention rate".into(),
        );
    } else if formula.lifespan.is_none() {
        warnings.push(
            "formula LTV: every customer of the earlier window bought again (retention 100%); \
             the lifespan is unbounded and ltv is not given"
                .into(),
        );
    }
    if overall_cac.is_none() {
        warnings.push(
            "no acquisition cost known (give --spend or an acquisition_cost column): CAC, LTV:CAC \
             and payback are not computed and full_ltv has no acquisition cost"
                .into(),
        );
    }
    let sensitivity = sensitivity(&formula);

    // Channels.
    let mut channels = Vec::with_capacity(nch);
    let mut channel_sets: Vec<Vec<usize>> = Vec::with_capacity(nch);
    for c in 0..nch {
        let set: Vec<usize> = (0..ng).filter(|&g| gr.channel_of(g) == c).collect();
        let new_customers: u64 = set.iter().map(|&g| gr.n[g]).sum();
        let cc = &ccac[c];
        let spend = cc
            .range
            .map(|_| cc.spend_by_month.values().copied().sum::<f64>());
        let (cac, cac_n) = channel_cac[c];
        let (rev, mar) = (0..n)
            .filter(|&i| input.channel[i] as usize == c)
            .fold((0.0, 0.0), |(r, mm), i| {
                (r + values.revenue[i], mm + values.margin[i])
            });
        let per = |v: f64| {
            if new_customers > 0 {
                v / new_customers as f64
            } else {
                0.0
            }
        };
        let f = if new_customers > 0 {
            formula_ltv(input, settings, Some(c as u32), cac).value_before_acquisition
        } else {
            None
        };
        let model_ltv = if new_customers > 0 {
            model_total(&set)
        } else {
            None
        };
        let ltv = if proj.is_some() { model_ltv } else { f };
        let ltv_to_cac = match (ltv, cac) {
            (Some(l), Some(k)) if k > 0.0 => Some(l / k),
            _ => None,
        };
        let net_ltv = match (ltv, cac) {
            (Some(l), Some(k)) => Some(l - k),
            _ => None,
        };
        let (payback_months, payback_projected) = match cac {
            Some(k) if new_customers > 0 => {
                let set_known: Vec<usize> =
                    set.iter().copied().filter(|&g| gr.cac_n[g] > 0).collect();
                payback(&set_known, k)
            }
            _ => (None, false),
        };
        let name = input.channel_names[c].clone();
        if new_customers == 0 && spend.is_some() {
            warnings.push(format!(
                "channel {name}: spend of {:.2} but no customers acquired (a channel unknown to \
                 the customers file?); its CAC is undefined",
                spend.unwrap_or(0.0)
            ));
        }
        if cc.source == CacSource::Unknown && new_customers > 0 && overall_cac.is_some() {
            warnings.push(format!(
                "channel {name}: no spend rows and no acquisition_cost; its CAC is unknown (add \
                 spend rows with amount 0 for an unpaid channel)"
            ));
        }
        channel_sets.push(set.iter().copied().filter(|&g| gr.cac_n[g] > 0).collect());
        channels.push(ChannelEconomics {
            channel: name,
            new_customers,
            spend,
            cac,
            cac_source: cc.source,
            customers_with_cac: cac_n,
            revenue_per_customer: per(rev),
            margin_per_customer: per(mar),
            formula_ltv: f,
            model_ltv,
            ltv,
            ltv_to_cac,
            net_ltv,
            payback_months,
            payback_projected,
            payback_checked_months: checked(&set),
            intervals: FigureIntervals::default(),
            verdict: Verdict::Unknown,
            loses_money: false,
        });
    }

    // CAC by channel and month.
    let mut cac_by_month = Vec::new();
    for c in 0..nch {
        let mut months: std::collections::BTreeSet<i32> = new_by
            .range((c as u32, i32::MIN)..=(c as u32, i32::MAX))
            .map(|(&(_, mm), _)| mm)
            .collect();
        months.extend(ccac[c].spend_by_month.keys().copied());
        for mm in months {
            let new_customers = new_by.get(&(c as u32, mm)).copied().unwrap_or(0);
            let (spend, cac) = match ccac[c].source {
                CacSource::Spend => {
                    let (a, b) = ccac[c].range.expect("range");
                    if mm < a || mm > b {
                        (None, None)
                    } else {
                        let s = ccac[c].spend_by_month.get(&mm).copied().unwrap_or(0.0);
                        (Some(s), spend_cac(c, mm))
                    }
                }
                CacSource::AcquisitionCost => {
                    let g = ((mm - first) as usize) * gr.nch + c;
                    let cac =
                        (g < ng && gr.cac_n[g] > 0).then(|| gr.cac_sum[g] / gr.cac_n[g] as f64);
                    (None, cac)
                }
                CacSource::Unknown => (None, None),
            };
            cac_by_month.push(CacMonth {
                channel: input.channel_names[c].clone(),
                month: mm,
                spend,
                new_customers,
                cac,
            });
        }
    }

    // Cohorts (all channels together).
    let nmonths = ng / gr.nch.max(1);
    let mut cohorts = Vec::new();
    let mut cohort_sets: Vec<(Vec<usize>, Vec<usize>, f64)> = Vec::new();
    for cm in 0..nmonths {
        let set: Vec<usize> = (cm * gr.nch..(cm + 1) * gr.nch).collect();
        let customers: u64 = set.iter().map(|&g| gr.n[g]).sum();
        if customers == 0 {
            continue;
        }
        let month0 = first + cm as i32;
        let age = (input.last_month - month0) as usize + 1;
        let mut months = Vec::with_capacity(age);
        let (mut cum_rev, mut cum_mar) = (0.0, 0.0);
        let nf = customers as f64;
        for k in 0..age {
            let active: u64 = set.iter().map(|&g| gr.active[g][k]).sum();
            let ord: u64 = set.iter().map(|&g| gr.orders[g][k]).sum();
            let rev: f64 = set.iter().map(|&g| gr.revenue[g][k]).sum();
            let gross: f64 = set.iter().map(|&g| gr.gross[g][k]).sum();
            let mar = gross - cost * active as f64;
            cum_rev += rev;
            cum_mar += mar;
            months.push(CohortMonth {
                month: k as u32,
                active,
                retention: active as f64 / nf,
                orders: ord,
                revenue: rev,
                margin: mar,
                cumulative_revenue_per_customer: cum_rev / nf,
                cumulative_margin_per_customer: cum_mar / nf,
                partial: k + 1 == age && !input.last_month_complete,
            });
        }
        let mut projected = Vec::new();
        if let Some(p) = proj {
            for j in 0..p.months {
                let act: f64 = set.iter().map(|&g| p.active[g * p.months + j]).sum();
                let rev: f64 = set.iter().map(|&g| p.revenue[g * p.months + j]).sum();
                cum_mar += m * rev - cost * act;
                projected.push(ProjectedMonth {
                    month: (age + j) as u32,
                    expected_active: act,
                    expected_revenue: rev,
                    cumulative_margin_per_customer: cum_mar / nf,
                });
            }
        }
        let cac_n: u64 = set.iter().map(|&g| gr.cac_n[g]).sum();
        // Spend of the month on channels that acquired nobody in it still
        // belongs to the month's acquisition cost.
        let unattributed: f64 = (0..nch)
            .filter(|&c| !new_by.contains_key(&(c as u32, month0)))
            .filter_map(|c| ccac[c].spend_by_month.get(&month0))
            .sum();
        let cac = (cac_n > 0).then(|| {
            (set.iter().map(|&g| gr.cac_sum[g]).sum::<f64>() + unattributed) / cac_n as f64
        });
        let (payback_months, payback_projected) = match cac {
            Some(k) => {
                let known: Vec<usize> = set.iter().copied().filter(|&g| gr.cac_n[g] > 0).collect();
                payback(&known, k)
            }
            None => (None, false),
        };
        let model_ltv = model_total(&set);
        cohort_sets.push((
            set.clone(),
            set.iter().copied().filter(|&g| gr.cac_n[g] > 0).collect(),
            unattributed,
        ));
        cohorts.push(Cohort {
            cohort: month0,
            customers,
            cac,
            payback_months,
            payback_projected,
            model_ltv,
            ltv_to_cac: match (model_ltv, cac) {
                (Some(l), Some(k)) if k > 0.0 => Some(l / k),
                _ => None,
            },
            payback_checked_months: checked(&set),
            intervals: FigureIntervals::default(),
            months,
            projected,
        });
    }

    // Intervals by resampling customers within each group, then the verdicts.
    let customer_cac: Vec<Option<f64>> = (0..n).map(cac_of).collect();
    let boot = Boot {
        customer_cac: &customer_cac,
        input,
        settings,
        win: Window::of(input),
        margin: m,
        groups: &groups,
        n: &gr.n,
        ages: (0..ng).map(|g| gr.revenue[g].len()).collect(),
        nch: gr.nch,
        channel_cac: channel_cac.iter().map(|&(c, _)| c).collect(),
        sources: ccac.iter().map(|c| c.source).collect(),
        channel_sets: &channel_sets,
        cohort_sets: &cohort_sets,
    };
    boot.run(&mut channels, &mut cohorts)?;
    for c in &mut channels {
        c.verdict = match (c.net_ltv, c.intervals.net_ltv) {
            (None, _) => Verdict::Unknown,
            (Some(_), Some(iv)) if iv.hi < 0.0 => Verdict::LosesMoney,
            (Some(_), Some(iv)) if iv.lo > 0.0 => Verdict::MakesMoney,
            (Some(_), _) => Verdict::NotEnoughData,
        };
        c.loses_money = c.verdict == Verdict::LosesMoney;
        let level = 100.0 * settings.level;
        let (ltv, cac, net) = (
            c.ltv.unwrap_or(0.0),
            c.cac.unwrap_or(0.0),
            c.net_ltv.unwrap_or(0.0),
        );
        match (c.verdict, c.intervals.net_ltv) {
            (Verdict::LosesMoney, Some(iv)) => warnings.push(format!(
                "channel {}: margin LTV {ltv:.2} is below its CAC {cac:.2}: this channel loses \
                 money on the average customer ({net:.2} each; {level:.0}% interval {:.2} to \
                 {:.2}, {} customers)",
                c.channel, iv.lo, iv.hi, c.new_customers
            )),
            (Verdict::NotEnoughData, iv) if net < 0.0 => warnings.push(format!(
                "channel {}: margin LTV {ltv:.2} is below its CAC {cac:.2} on these {} customers, \
                 but {}: not enough data to tell whether it loses money",
                c.channel,
                c.new_customers,
                match iv {
                    Some(iv) => format!(
                        "the {level:.0}% interval of LTV - CAC ({:.2} to {:.2}) includes break-even",
                        iv.lo, iv.hi
                    ),
                    None => format!(
                        "an interval needs at least {MIN_CUSTOMERS_FOR_INTERVAL} customers"
                    ),
                }
            )),
            _ => {}
        }
    }

    Ok(Economics {
        customers: n as u64,
        orders: orders as u64,
        revenue,
        margin: margin_total,
        formula,
        sensitivity,
        channels,
        cac_by_month,
        cohorts,
        warnings,
        customer_cac,
    })
}

/// A small, fast random stream (SplitMix64) for the bootstrap's index draws;
/// replicate `r` starts from its own seed, so the intervals do not depend on
/// the number of threads.
struct SplitMix(u64);

impl SplitMix {
    fn new(seed: u64, replicate: usize) -> Self {
        let mut s = SplitMix(seed ^ 0x5EED_EC0A_u64.wrapping_mul(replicate as u64 + 1));
        s.next();
        SplitMix(s.next())
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
}

/// What the bootstrap of the channel and cohort figures needs (see
/// [`Boot::run`]).
struct Boot<'a> {
    input: &'a EconomicsInput,
    settings: &'a Settings,
    win: Window,
    /// Margin fraction of the projection.
    margin: f64,
    groups: &'a [u32],
    /// Customers per group.
    n: &'a [u64],
    /// Observed months per group.
    ages: Vec<usize>,
    nch: usize,
    channel_cac: Vec<Option<f64>>,
    sources: Vec<CacSource>,
    /// Each customer's CAC as the point estimates use it.
    customer_cac: &'a [Option<f64>],
    /// Per channel: its groups with a known CAC (pooled for the payback).
    channel_sets: &'a [Vec<usize>],
    /// Per cohort: its groups, those with a known CAC, spend of the month on
    /// channels without customers in it.
    cohort_sets: &'a [(Vec<usize>, Vec<usize>, f64)],
}

/// One resample's figures of a channel or cohort: LTV, LTV:CAC, LTV - CAC,
/// payback (`INFINITY`: not reached; `NAN`: not computed).
type Figures = [f64; 4];

/// Per-group sums of one resample.
#[derive(Clone)]
struct GroupSums {
    value: f64,
    window: WindowCounts,
    cac_sum: f64,
    cac_n: u64,
    projected: f64,
    /// Margin per month since acquisition.
    months: Vec<f64>,
}

impl Boot<'_> {
    /// Resamples the customers of each group (acquisition month x channel)
    /// with replacement, `settings.resamples` times, keeping the group sizes,
    /// and sets the intervals of the channels and cohorts with at least
    /// [`MIN_CUSTOMERS_FOR_INTERVAL`] customers. A resample's payback curve
    /// adds its customers' observed monthly margins; its projected part is the
    /// group's projected monthly margins scaled by the resampled customers'
    /// share of the group's projected margin.
    #[allow(clippy::needless_range_loop)]
    fn run(&self, channels: &mut [ChannelEconomics], cohorts: &mut [Cohort]) -> Result<()> {
        let input = self.input;
        let h = &input.history;
        let s = self.settings;
        let n = h.len();
        let ng = self.n.len();
        let cost = s.cost_to_serve_per_month;
        let proj = input.projection.as_ref();
        let wanted = channels
            .iter()
            .any(|c| c.new_customers >= MIN_CUSTOMERS_FOR_INTERVAL)
            || cohorts
                .iter()
                .any(|c| c.customers >= MIN_CUSTOMERS_FOR_INTERVAL);
        if !wanted {
            return Ok(());
        }
        // Per customer: members of each group, the model value, the window
        // share, the CAC, the projected margin.
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); ng];
        for i in 0..n {
            members[self.groups[i] as usize].push(i as u32);
        }
        let values = input.customer_values(s);
        let projected: Vec<f64> = match proj {
            Some(p) => (0..n)
                .map(|i| self.margin * p.customer_revenue[i] - cost * p.customer_active_months[i])
                .collect(),
            None => Vec::new(),
        };
        let window: Vec<(bool, bool, u64, f64)> = if proj.is_none() {
            (0..n).map(|i| self.win.customer(h, i)).collect()
        } else {
            Vec::new()
        };
        let bucket_margin: Vec<f64> = (0..h.month.len())
            .map(|b| input.gross(s, b) - cost)
            .collect();
        // Group projected monthly margins and totals.
        let (pm, pt): (Vec<Vec<f64>>, Vec<f64>) = match proj {
            Some(p) => (0..ng)
                .map(|g| {
                    let v: Vec<f64> = (0..p.months)
                        .map(|j| {
                            self.margin * p.revenue[g * p.months + j]
                                - cost * p.active[g * p.months + j]
                        })
                        .collect();
                    let t: f64 = v.iter().sum();
                    (v, t)
                })
                .unzip(),
            None => (vec![Vec::new(); ng], vec![0.0; ng]),
        };
        let customer_cac = self.customer_cac;
        let one = |r: usize| -> (Vec<Figures>, Vec<Figures>) {
            let mut rng = SplitMix::new(s.seed, r);
            let sums: Vec<GroupSums> = (0..ng)
                .map(|g| {
                    let mut x = GroupSums {
                        value: 0.0,
                        window: WindowCounts::default(),
                        cac_sum: 0.0,
                        cac_n: 0,
                        projected: 0.0,
                        months: vec![0.0; self.ages[g]],
                    };
                    let mem = &members[g];
                    for _ in 0..mem.len() {
                        let i = mem[rng.below(mem.len())] as usize;
                        let a = input.acquisition_month[i];
                        for b in h.range(i) {
                            x.months[(h.month[b] - a) as usize] += bucket_margin[b];
                        }
                        if let Some(c) = customer_cac[i] {
                            x.cac_sum += c;
                            x.cac_n += 1;
                        }
                        if proj.is_some() {
                            x.value += values.margin[i] + projected[i];
                            x.projected += projected[i];
                        } else {
                            x.window.add(window[i]);
                        }
                    }
                    x
                })
                .collect();
            // Cumulative margin curves per group (observed then projected).
            let curves: Vec<Vec<f64>> = (0..ng)
                .map(|g| {
                    let mut cum = 0.0;
                    let mut out: Vec<f64> = sums[g]
                        .months
                        .iter()
                        .map(|v| {
                            cum += v;
                            cum
                        })
                        .collect();
                    if proj.is_some() {
                        let scale = if pt[g] != 0.0 {
                            sums[g].projected / pt[g]
                        } else {
                            0.0
                        };
                        for v in &pm[g] {
                            cum += v * scale;
                            out.push(cum);
                        }
                    }
                    out
                })
                .collect();
            let payback = |set: &[usize], cac: f64| -> f64 {
                pooled_payback(set, &curves, self.n, cac).map_or(f64::INFINITY, |k| k as f64)
            };
            let figures = |ltv: Option<f64>, cac: Option<f64>, set: &[usize]| -> Figures {
                let ltv = ltv.unwrap_or(f64::NAN);
                match cac {
                    Some(c) => [
                        ltv,
                        if c > 0.0 { ltv / c } else { f64::NAN },
                        ltv - c,
                        payback(set, c),
                    ],
                    None => [ltv, f64::NAN, f64::NAN, f64::NAN],
                }
            };
            let ch: Vec<Figures> = (0..channels.len())
                .map(|c| {
                    let set: Vec<usize> = (0..ng).filter(|g| g % self.nch == c).collect();
                    let nc: u64 = set.iter().map(|&g| self.n[g]).sum();
                    if nc < MIN_CUSTOMERS_FOR_INTERVAL {
                        return [f64::NAN; 4];
                    }
                    let ltv = if proj.is_some() {
                        Some(set.iter().map(|&g| sums[g].value).sum::<f64>() / nc as f64)
                    } else {
                        let mut w = WindowCounts::default();
                        for &g in &set {
                            let x = &sums[g].window;
                            w.active_a += x.active_a;
                            w.active_b += x.active_b;
                            w.retained += x.retained;
                            w.orders += x.orders;
                            w.revenue += x.revenue;
                        }
                        formula_from_counts(&self.win, &w, self.margin, s, None)
                            .value_before_acquisition
                    };
                    let cac = match self.sources[c] {
                        CacSource::AcquisitionCost => {
                            let (t, k) = set.iter().fold((0.0, 0u64), |(t, k), &g| {
                                (t + sums[g].cac_sum, k + sums[g].cac_n)
                            });
                            (k > 0).then(|| t / k as f64)
                        }
                        _ => self.channel_cac[c],
                    };
                    figures(ltv, cac, &self.channel_sets[c])
                })
                .collect();
            let co: Vec<Figures> = self
                .cohort_sets
                .iter()
                .map(|(set, known, unattributed)| {
                    let nc: u64 = set.iter().map(|&g| self.n[g]).sum();
                    if nc < MIN_CUSTOMERS_FOR_INTERVAL {
                        return [f64::NAN; 4];
                    }
                    let ltv =
                        proj.map(|_| set.iter().map(|&g| sums[g].value).sum::<f64>() / nc as f64);
                    let (t, k) = set.iter().fold((0.0, 0u64), |(t, k), &g| {
                        (t + sums[g].cac_sum, k + sums[g].cac_n)
                    });
                    let cac = (k > 0).then(|| (t + unattributed) / k as f64);
                    figures(ltv, cac, known)
                })
                .collect();
            (ch, co)
        };
        let reps: Vec<(Vec<Figures>, Vec<Figures>)> =
            (0..s.resamples).into_par_iter().map(one).collect();
        let (lo_q, hi_q) = ((1.0 - s.level) / 2.0, (1.0 + s.level) / 2.0);
        let set = |k: usize, which: usize, point: [bool; 4]| -> FigureIntervals {
            let column = |f: usize| -> Vec<f64> {
                reps.iter()
                    .map(|r| if which == 0 { r.0[k][f] } else { r.1[k][f] })
                    .collect()
            };
            let bounds = |f: usize| -> Option<(f64, f64)> {
                if !point[f] {
                    return None;
                }
                quantiles(column(f), lo_q, hi_q)
            };
            let iv = |f: usize| bounds(f).map(|(lo, hi)| Interval { lo, hi });
            let to_month = |v: f64| v.is_finite().then_some(v as u32);
            FigureIntervals {
                ltv: iv(0),
                ltv_to_cac: iv(1),
                net_ltv: iv(2),
                payback: bounds(3).map(|(lo, hi)| PaybackInterval {
                    lo: to_month(lo),
                    hi: to_month(hi),
                }),
            }
        };
        for (k, c) in channels.iter_mut().enumerate() {
            if c.new_customers >= MIN_CUSTOMERS_FOR_INTERVAL {
                let has_cac = c.cac.is_some() && c.customers_with_cac > 0;
                c.intervals = set(
                    k,
                    0,
                    [
                        c.ltv.is_some(),
                        c.ltv_to_cac.is_some(),
                        c.net_ltv.is_some(),
                        has_cac,
                    ],
                );
            }
        }
        for (k, c) in cohorts.iter_mut().enumerate() {
            if c.customers >= MIN_CUSTOMERS_FOR_INTERVAL {
                c.intervals = set(
                    k,
                    1,
                    [
                        c.model_ltv.is_some(),
                        c.ltv_to_cac.is_some(),
                        c.model_ltv.is_some() && c.cac.is_some(),
                        c.cac.is_some(),
                    ],
                );
            }
        }
        Ok(())
    }
}

/// The `lo` and `hi` quantiles (order statistics, rounded outwards) of the
/// resamples' values; `None` when more than 5% of them are not computed
/// (`NaN`). `INFINITY` (a payback not reached) sorts last.
fn quantiles(mut v: Vec<f64>, lo: f64, hi: f64) -> Option<(f64, f64)> {
    let total = v.len();
    v.retain(|x| !x.is_nan());
    if v.is_empty() || (total - v.len()) as f64 > 0.05 * total as f64 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let last = (v.len() - 1) as f64;
    let a = v[(lo * last).floor() as usize];
    let b = v[(hi * last).ceil() as usize];
    Some((a, b))
}

/// The first month at which the customers of `set`'s groups observed (or
/// projected) through it have, pooled, a cumulative margin per customer of
/// at least `cac`; `curves[g]` is group `g`'s cumulative margin total.
fn pooled_payback(set: &[usize], curves: &[Vec<f64>], n: &[u64], cac: f64) -> Option<u32> {
    let max_len = set.iter().map(|&g| curves[g].len()).max().unwrap_or(0);
    for k in 0..max_len {
        let (mut tot, mut cnt) = (0.0, 0u64);
        for &g in set {
            if n[g] == 0 || k >= curves[g].len() {
                continue;
            }
            tot += curves[g][k];
            cnt += n[g];
        }
        if cnt > 0 && tot / cnt as f64 >= cac - 1e-12 * cac.abs() {
            return Some(k as u32);
        }
    }
    None
}

/// The formula LTV over all customers (`channel` `None`) or one channel's,
/// with `cac` as the acquisition cost (see the module docs).
pub fn formula_ltv(
    input: &EconomicsInput,
    settings: &Settings,
    channel: Option<u32>,
    cac: Option<f64>,
) -> FormulaLtv {
    formula_where(
        input,
        settings,
        &|i| channel.is_none_or(|c| input.channel[i] == c),
        cac,
    )
}

/// Where the formula's window lies (see [`FormulaLtv`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    complete: i32,
    p: i32,
    a: (i32, i32),
    b: (i32, i32),
}

impl Window {
    fn of(input: &EconomicsInput) -> Window {
        let h = &input.history;
        let last_complete = if input.last_month_complete {
            input.last_month
        } else {
            input.last_month - 1
        };
        let first = h.month.iter().copied().min().unwrap_or(input.last_month);
        let complete = (last_complete - first + 1).max(0);
        let p = (complete / 2).min(6);
        let b = (last_complete - p + 1, last_complete);
        let a = (b.0 - p, b.0 - 1);
        Window { complete, p, a, b }
    }

    /// Customer `i`'s share of the window: (active in A, active in B, orders
    /// in B, revenue in B).
    fn customer(&self, h: &MonthlyHistory, i: usize) -> (bool, bool, u64, f64) {
        let (mut in_a, mut in_b, mut orders, mut revenue) = (false, false, 0u64, 0.0);
        if self.p > 0 {
            for k in h.range(i) {
                let mm = h.month[k];
                if (self.a.0..=self.a.1).contains(&mm) {
                    in_a = true;
                }
                if (self.b.0..=self.b.1).contains(&mm) {
                    in_b = true;
                    orders += h.orders[k] as u64;
                    revenue += h.revenue[k];
                }
            }
        }
        (in_a, in_b, orders, revenue)
    }
}

/// Sums of the customers' window shares.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct WindowCounts {
    active_a: u64,
    active_b: u64,
    retained: u64,
    orders: u64,
    revenue: f64,
}

impl WindowCounts {
    fn add(&mut self, (in_a, in_b, orders, revenue): (bool, bool, u64, f64)) {
        self.active_a += in_a as u64;
        self.active_b += in_b as u64;
        self.retained += (in_a && in_b) as u64;
        self.orders += orders;
        self.revenue += revenue;
    }
}

/// The formula LTV of the customers `i` for which `keep(i)` holds.
fn formula_where(
    input: &EconomicsInput,
    settings: &Settings,
    keep: &dyn Fn(usize) -> bool,
    cac: Option<f64>,
) -> FormulaLtv {
    let h = &input.history;
    let win = Window::of(input);
    let mut counts = WindowCounts::default();
    for i in 0..h.len() {
        if keep(i) {
            counts.add(win.customer(h, i));
        }
    }
    formula_from_counts(
        &win,
        &counts,
        input.effective_margin(settings),
        settings,
        cac,
    )
}

/// The formula from the window's counts.
fn formula_from_counts(
    win: &Window,
    c: &WindowCounts,
    margin: f64,
    settings: &Settings,
    cac: Option<f64>,
) -> FormulaLtv {
    let p = win.p;
    let scale = 12.0 / p.max(1) as f64;
    let aov = (c.orders > 0).then(|| c.revenue / c.orders as f64);
    let freq =
        (c.active_b > 0 && c.orders > 0).then(|| c.orders as f64 / c.active_b as f64 * scale);
    let period_retention =
        (p > 0 && c.active_a > 0 && aov.is_some()).then(|| c.retained as f64 / c.active_a as f64);
    let enough = win.complete >= settings.min_months as i32;
    let mut f = FormulaLtv {
        complete_months: win.complete as u32,
        min_months: settings.min_months,
        window_months: 2 * p as u32,
        window_start: win.a.0,
        window_end: win.b.1,
        retention_period_months: p as u32,
        active_before: c.active_a,
        active: c.active_b,
        retained: c.retained,
        orders: c.orders,
        revenue: c.revenue,
        average_order_value: aov,
        purchase_frequency: freq,
        period_retention,
        retention_rate: period_retention.filter(|_| enough).map(|r| r.powf(scale)),
        lifespan: None,
        ltv: None,
        margin,
        duration: settings.duration_years,
        expected_years: None,
        acquisition_cost: cac.unwrap_or(0.0),
        acquisition_cost_known: cac.is_some(),
        cost_to_serve_per_year: settings.cost_to_serve_per_month * 12.0,
        retention_cost: None,
        value_before_acquisition: None,
        full_ltv: None,
    };
    evaluate(&mut f);
    f
}

/// Expected active years within `d` years for a customer active now, with
/// retention `r` per period of `p` months: `(p / 12) (1 - r^n) / (1 - r)`,
/// `n = 12 d / p` periods (`(p / 12) / (1 - r)` when `d` is infinite).
fn expected_years(r: f64, p: f64, d: f64) -> Option<f64> {
    let len = p / 12.0;
    if r >= 1.0 {
        return d.is_finite().then_some(d);
    }
    if d.is_infinite() {
        return Some(len / (1.0 - r));
    }
    Some(len * (1.0 - r.powf(d / len)) / (1.0 - r))
}

/// Recomputes the derived fields of a formula from its factors: the
/// retention per period of `p` months is `retention_rate ^ (p / 12)` (the
/// measured `period_retention` unless a lever changed the rate).
fn evaluate(f: &mut FormulaLtv) {
    let (Some(aov), Some(freq), Some(annual)) = (
        f.average_order_value,
        f.purchase_frequency,
        f.retention_rate,
    ) else {
        return;
    };
    let p = f64::from(f.retention_period_months.max(1));
    let r = annual.powf(p / 12.0);
    f.lifespan = (r < 1.0).then(|| (p / 12.0) / (1.0 - r));
    f.ltv = f.lifespan.map(|l| aov * freq * l);
    f.expected_years = expected_years(r, p, f.duration);
    if let Some(y) = f.expected_years {
        let retention_cost = f.cost_to_serve_per_year * y;
        f.retention_cost = Some(retention_cost);
        let v = f.margin * aov * freq * y - retention_cost;
        f.value_before_acquisition = Some(v);
        f.full_ltv = Some(v - f.acquisition_cost);
    }
}

/// Share of the formula's terms under which `full_ltv` counts as near zero.
const NEAR_ZERO_SHARE: f64 = 0.05;

/// `+10%` on each lever of the full formula (see [`Lever`]).
pub fn sensitivity(f: &FormulaLtv) -> Vec<Lever> {
    let Some(base) = f.full_ltv else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The size of the terms whose difference is `full_ltv`: when `full_ltv`
    // is under 5% of it, a percentage of it says nothing.
    let terms = f.value_before_acquisition.unwrap_or(0.0).abs()
        + 2.0 * f.retention_cost.unwrap_or(0.0).abs()
        + f.acquisition_cost.abs();
    let near_zero = base.abs() < NEAR_ZERO_SHARE * terms || base == 0.0;
    let mut push = |lever: &'static str, before: f64, g: &dyn Fn(&mut FormulaLtv) -> f64| {
        let mut c = f.clone();
        let changed = g(&mut c);
        evaluate(&mut c);
        if let Some(v) = c.full_ltv {
            out.push(Lever {
                lever,
                base: before,
                changed,
                full_ltv: v,
                change: v - base,
                change_pct: (!near_zero).then(|| (v - base) / base.abs()),
            });
        }
    };
    let aov = f.average_order_value.unwrap_or(0.0);
    push("average_order_value", aov, &|c| {
        let v = aov * 1.1;
        c.average_order_value = Some(v);
        v
    });
    let freq = f.purchase_frequency.unwrap_or(0.0);
    push("purchase_frequency", freq, &|c| {
        let v = freq * 1.1;
        c.purchase_frequency = Some(v);
        v
    });
    let r = f.retention_rate.unwrap_or(0.0);
    push("retention_rate", r, &|c| {
        let v = (r * 1.1).min(0.999);
        c.retention_rate = Some(v);
        v
    });
    if f.duration.is_finite() {
        push("duration", f.duration, &|c| {
            c.duration *= 1.1;
            c.duration
        });
    }
    push("margin", f.margin, &|c| {
        c.margin = (c.margin * 1.1).min(1.0);
        c.margin
    });
    push("acquisition_cost", f.acquisition_cost, &|c| {
        c.acquisition_cost *= 1.1;
        c.acquisition_cost
    });
    push("cost_to_serve", f.cost_to_serve_per_year, &|c| {
        c.cost_to_serve_per_year *= 1.1;
        c.cost_to_serve_per_year
    });
    out.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    macro_rules! assert_close {
        ($a:expr, $b:expr) => {{
            let (a, b): (f64, f64) = ($a, $b);
            assert!(close(a, b), "{} = {a}, expected {b}", stringify!($a));
        }};
    }

    const JAN: i32 = 2024 * 12; // 2024-01

    /// The hand-computed fixture (observation to 2024-04-30, a complete month):
    ///
    /// | customer | channel | acquired | cost | purchases (month: revenue / orders) |
    /// |---|---|---|---|---|
    /// | c1 | search | Jan | - | Jan 100/1, Mar 50/1 |
    /// | c2 | search | Jan | - | Jan 40/2, Feb 60/1, Apr 20/1 |
    /// | c3 | social | Feb | 70 | Feb 30/1 |
    /// | c4 | social | Feb | 10 | Feb 10/1, Mar 10/1, Apr 10/1 |
    /// | c5 | organic | Mar | - | Mar 80/1 |
    ///
    /// Spend: search 100 in January, 50 in February (nobody acquired then).
    fn fixture() -> EconomicsInput {
        let mut h = MonthlyHistory::new();
        h.push_customer(&[(JAN, 100.0, 1), (JAN + 2, 50.0, 1)]);
        h.push_customer(&[(JAN, 40.0, 2), (JAN + 1, 60.0, 1), (JAN + 3, 20.0, 1)]);
        h.push_customer(&[(JAN + 1, 30.0, 1)]);
        h.push_customer(&[(JAN + 1, 10.0, 1), (JAN + 2, 10.0, 1), (JAN + 3, 10.0, 1)]);
        h.push_customer(&[(JAN + 2, 80.0, 1)]);
        EconomicsInput {
            history: h,
            acquisition_month: vec![JAN, JAN, JAN + 1, JAN + 1, JAN + 2],
            channel: vec![0, 0, 1, 1, 2],
            channel_names: vec!["search".into(), "social".into(), "organic".into()],
            acquisition_cost: vec![f64::NAN, f64::NAN, 70.0, 10.0, f64::NAN],
            spend: vec![
                SpendMonth {
                    channel: 0,
                    month: JAN,
                    amount: 100.0,
                },
                SpendMonth {
                    channel: 0,
                    month: JAN + 1,
                    amount: 50.0,
                },
            ],
            last_month: JAN + 3,
            last_month_complete: true,
            projection: None,
            cost: None,
        }
    }

    /// Margin 50%, cost to serve 2 a month, duration 2 years.
    fn settings() -> Settings {
        Settings {
            margin: 0.5,
            cost_to_serve_per_month: 2.0,
            duration_years: 2.0,
            ..Settings::default()
        }
    }

    #[test]
    fn months_label_and_index() {
        assert_eq!(month_label(month_index(2024, 1)), "2024-01");
        assert_eq!(month_label(month_index(1999, 12)), "1999-12");
        assert_eq!(month_index(2024, 1) - month_index(2023, 12), 1);
    }

    #[test]
    fn formula_ltv_by_hand() {
        let e = analyze(&fixture(), &settings()).unwrap();
        let f = &e.formula;
        // Complete months Jan..Apr: p = 4 / 2 = 2; window Jan..Apr, A = Jan..Feb,
        // B = Mar..Apr.
        assert_eq!((f.complete_months, f.min_months), (4, 3));
        assert_eq!(
            (f.window_months, f.window_start, f.window_end),
            (4, JAN, JAN + 3)
        );
        assert_eq!(f.retention_period_months, 2);
        // B: c1 (50/1), c2 (20/1), c4 (20/2), c5 (80/1): 4 active, 5 orders, 170.
        assert_eq!((f.active, f.orders), (4, 5));
        assert_close!(f.revenue, 170.0);
        // A: c1, c2, c3, c4 active; c1, c2, c4 again in B.
        assert_eq!((f.active_before, f.retained), (4, 3));
        assert_close!(f.average_order_value.unwrap(), 170.0 / 5.0); // 34
        assert_close!(f.purchase_frequency.unwrap(), 5.0 / 4.0 * 12.0 / 2.0); // 7.5 a year
        // Retention 3/4 over 2 months; 0.75^6 is only its annual equivalent.
        assert_close!(f.period_retention.unwrap(), 0.75);
        assert_close!(f.retention_rate.unwrap(), 0.75f64.powi(6));
        // Lifespan: 1 / (1 - 3/4) = 4 periods of 2 months = 2/3 of a year.
        assert_close!(f.lifespan.unwrap(), 2.0 / 3.0);
        assert_close!(f.ltv.unwrap(), 34.0 * 7.5 * 2.0 / 3.0);
        // Duration 2 years = 12 periods: expected years (1/6) (1 - 0.75^12) / (1/4);
        // retention cost 24 a year.
        let y = (1.0 - 0.75f64.powi(12)) * 2.0 / 3.0;
        assert_close!(f.expected_years.unwrap(), y);
        assert_close!(f.retention_cost.unwrap(), 24.0 * y);
        // CAC: search 150 / 2 customers, social (70 + 10) / 2: (150 + 80) / 4 = 57.5.
        assert!(f.acquisition_cost_known);
        assert_close!(f.acquisition_cost, 57.5);
        let value = 0.5 * 34.0 * 7.5 * y - 24.0 * y;
        assert_close!(f.value_before_acquisition.unwrap(), value);
        assert_close!(f.full_ltv.unwrap(), value - 57.5);
    }

    #[test]
    fn sensitivity_by_hand() {
        let e = analyze(&fixture(), &settings()).unwrap();
        let r = 0.75f64.powi(6); // annual equivalent of 3/4 per 2 months
        // Expected years within 2 years of periods of 2 months at retention q.
        let years = |q: f64, d: f64| (1.0 - q.powf(6.0 * d)) / (1.0 - q) / 6.0;
        let y = years(0.75, 2.0);
        let base = e.formula.full_ltv.unwrap();
        let get = |name: &str| e.sensitivity.iter().find(|l| l.lever == name).unwrap();
        // +10% order value: the margin term 0.5 * 34 * 7.5 * y grows by 10%.
        let margin_term = 0.5 * 34.0 * 7.5 * y;
        assert_close!(get("average_order_value").change, 0.1 * margin_term);
        assert_close!(get("purchase_frequency").change, 0.1 * margin_term);
        assert_close!(get("margin").change, 0.1 * margin_term);
        assert_close!(get("acquisition_cost").change, -5.75);
        assert_close!(get("cost_to_serve").change, -0.1 * 24.0 * y);
        // Annual retention 1.1 r: (1.1 r)^(1/6) per period of 2 months.
        let q2 = (1.1 * r).powf(1.0 / 6.0);
        assert_close!(
            get("retention_rate").full_ltv,
            (0.5 * 34.0 * 7.5 - 24.0) * years(q2, 2.0) - 57.5
        );
        // Duration 2.2 years.
        let y = years(0.75, 2.2);
        assert_close!(
            get("duration").full_ltv,
            (0.5 * 34.0 * 7.5 - 24.0) * y - 57.5
        );
        assert_close!(
            get("average_order_value").change_pct.unwrap(),
            0.1 * margin_term / base.abs()
        );
        // Sorted by the size of the change.
        assert!(
            e.sensitivity
                .windows(2)
                .all(|w| w[0].change.abs() >= w[1].change.abs())
        );
        assert_eq!(e.sensitivity.len(), 7);
    }

    #[test]
    fn cohorts_by_hand() {
        let e = analyze(&fixture(), &settings()).unwrap();
        assert_eq!(e.cohorts.len(), 3);
        let jan = &e.cohorts[0];
        assert_eq!((jan.cohort, jan.customers), (JAN, 2));
        assert_eq!(jan.months.len(), 4); // Jan..Apr
        let active: Vec<u64> = jan.months.iter().map(|m| m.active).collect();
        assert_eq!(active, vec![2, 1, 1, 1]);
        let retention: Vec<f64> = jan.months.iter().map(|m| m.retention).collect();
        assert_eq!(retention, vec![1.0, 0.5, 0.5, 0.5]);
        // Revenue 140, 60, 50, 20; cumulative per customer 70, 100, 125, 135.
        let rev: Vec<f64> = jan.months.iter().map(|m| m.revenue).collect();
        assert_eq!(rev, vec![140.0, 60.0, 50.0, 20.0]);
        let cum: Vec<f64> = jan
            .months
            .iter()
            .map(|m| m.cumulative_revenue_per_customer)
            .collect();
        assert_eq!(cum, vec![70.0, 100.0, 125.0, 135.0]);
        assert_eq!(jan.months[0].orders, 3);
        // Margin 0.5 * revenue - 2 * active: 66, 28, 23, 8; per customer 33, 47, 58.5, 62.5.
        let cm: Vec<f64> = jan
            .months
            .iter()
            .map(|m| m.cumulative_margin_per_customer)
            .collect();
        assert_eq!(cm, vec![33.0, 47.0, 58.5, 62.5]);
        // CAC 100 / 2 = 50, reached in month 2 (58.5 >= 50).
        assert_eq!(jan.cac, Some(50.0));
        assert_eq!(
            (jan.payback_months, jan.payback_projected),
            (Some(2), false)
        );
        assert!(jan.months.iter().all(|m| !m.partial));

        let feb = &e.cohorts[1];
        assert_eq!(
            (feb.cohort, feb.customers, feb.months.len()),
            (JAN + 1, 2, 3)
        );
        // Costs 70 + 10, plus search's 50 spent in February on nobody: 130 / 2.
        assert_eq!(feb.cac, Some(65.0));
        // Margin 16, 3, 3: per customer 8, 9.5, 11: never reaches 65.
        let cm: Vec<f64> = feb
            .months
            .iter()
            .map(|m| m.cumulative_margin_per_customer)
            .collect();
        assert_eq!(cm, vec![8.0, 9.5, 11.0]);
        assert_eq!(feb.payback_months, None);

        let mar = &e.cohorts[2];
        assert_eq!((mar.customers, mar.months.len()), (1, 2));
        assert_eq!(mar.months[1].active, 0);
        assert_eq!(mar.months[1].cumulative_revenue_per_customer, 80.0);
        assert_eq!(mar.cac, None);
    }

    #[test]
    fn channels_cac_ltv_and_payback_by_hand() {
        let e = analyze(&fixture(), &settings()).unwrap();
        let search = &e.channels[0];
        assert_eq!(
            (search.new_customers, search.cac_source),
            (2, CacSource::Spend)
        );
        assert_eq!(search.spend, Some(150.0));
        assert_eq!(search.cac, Some(75.0)); // (100 + 50) / 2
        assert_eq!(search.revenue_per_customer, 135.0); // (150 + 120) / 2
        // Margins: c1 0.5 * 150 - 2 * 2 = 71, c2 0.5 * 120 - 2 * 3 = 54.
        assert_eq!(search.margin_per_customer, 62.5);
        // Search's formula: B has c1 (50/1) and c2 (20/1): AOV 35, 2 / 2 * 6 = 6 a
        // year; both active in A and B: retention 1, so 2 expected years in 2.
        // 0.5 * 35 * 6 * 2 - 24 * 2 = 162.
        assert_close!(search.formula_ltv.unwrap(), 162.0);
        assert_close!(search.ltv.unwrap(), 162.0);
        assert_close!(search.ltv_to_cac.unwrap(), 162.0 / 75.0);
        assert_close!(search.net_ltv.unwrap(), 87.0);
        assert!(!search.loses_money);
        // 33, 47, 58.5, 62.5 never reach 75.
        assert_eq!(search.payback_months, None);

        let social = &e.channels[1];
        assert_eq!(social.cac_source, CacSource::AcquisitionCost);
        assert_eq!((social.spend, social.cac), (None, Some(40.0)));
        // B: c4 alone, 20 / 2 orders: AOV 10, 2 * 6 = 12 a year; A: c3, c4, c4
        // retained: 1/2 per 2 months, expected years (1/6) (1 - 0.5^12) / (1/2).
        let y = (1.0 - 0.5f64.powi(12)) / 3.0;
        let v = 0.5 * 10.0 * 12.0 * y - 24.0 * y;
        assert_close!(social.ltv.unwrap(), v);
        assert_close!(social.net_ltv.unwrap(), v - 40.0);
        // Below its CAC on two customers: too few for an interval, so no verdict.
        assert_eq!(social.intervals, FigureIntervals::default());
        assert_eq!(social.verdict, Verdict::NotEnoughData);
        assert!(!social.loses_money);
        assert!(e.warnings.iter().any(|w| w.contains("social")
            && w.contains("not enough data to tell")
            && !w.contains("every customer")));

        let organic = &e.channels[2];
        assert_eq!(
            (organic.cac_source, organic.cac),
            (CacSource::Unknown, None)
        );
        // Nobody of organic was active in A: no retention, no formula value.
        assert_eq!(organic.ltv, None);
        assert_eq!(organic.payback_months, None);
        assert!(!organic.loses_money);
        assert_eq!(organic.verdict, Verdict::Unknown);
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("organic") && w.contains("CAC is unknown"))
        );

        // CAC by month.
        type Row<'a> = (&'a str, i32, Option<f64>, u64, Option<f64>);
        let m: Vec<Row> = e
            .cac_by_month
            .iter()
            .map(|c| (c.channel.as_str(), c.month, c.spend, c.new_customers, c.cac))
            .collect();
        assert_eq!(
            m,
            vec![
                ("search", JAN, Some(100.0), 2, Some(50.0)),
                ("search", JAN + 1, Some(50.0), 0, None),
                ("social", JAN + 1, None, 2, Some(40.0)),
                ("organic", JAN + 2, None, 1, None),
            ]
        );
        // Totals: revenue 150 + 120 + 30 + 30 + 80 = 410, margin 0.5 * 410 - 2 * 10
        // months with a purchase = 185.
        assert_eq!((e.customers, e.orders), (5, 11));
        assert_eq!(e.revenue, 410.0);
        assert_eq!(e.margin, 185.0);
    }

    #[test]
    fn projection_extends_payback_and_gives_model_ltv() {
        let mut input = fixture();
        let (groups, ng) = input.groups();
        assert_eq!(ng, 9); // Jan..Mar x 3 channels
        assert_eq!(groups, vec![0, 0, 4, 4, 8]);
        // Two projected months: group 0 (January, search) expects 40 of revenue
        // and 1 buying customer a month; the others nothing.
        let mut revenue = vec![0.0; ng * 2];
        let mut active = vec![0.0; ng * 2];
        revenue[0] = 40.0;
        revenue[1] = 40.0;
        active[0] = 1.0;
        active[1] = 1.0;
        input.projection = Some(Projection {
            months: 2,
            revenue,
            active,
            customer_revenue: vec![40.0, 40.0, 0.0, 0.0, 0.0],
            customer_active_months: vec![1.0, 1.0, 0.0, 0.0, 0.0],
        });
        let e = analyze(&input, &settings()).unwrap();
        let jan = &e.cohorts[0];
        // Actual total margin 125, then + 0.5 * 40 - 2 = 18 a month: 143, 161.
        let p: Vec<(u32, f64)> = jan
            .projected
            .iter()
            .map(|m| (m.month, m.cumulative_margin_per_customer))
            .collect();
        assert_eq!(p, vec![(4, 71.5), (5, 80.5)]);
        assert_eq!(jan.model_ltv, Some(80.5));
        // Search (CAC 75) pays back in projected month 5 (80.5 >= 75).
        let search = &e.channels[0];
        assert_eq!(
            (search.payback_months, search.payback_projected),
            (Some(5), true)
        );
        assert_eq!(search.model_ltv, Some(80.5));
        // With a model, LTV is the model's: 80.5 / 75.
        assert_close!(search.ltv_to_cac.unwrap(), 80.5 / 75.0);
        // Social's model LTV is its margin to date (11 per customer) < 40.
        assert_eq!(e.channels[1].model_ltv, Some(11.0));
        assert_eq!(e.channels[1].verdict, Verdict::NotEnoughData);
        // Payback searched over 4 observed and 2 projected months.
        assert_eq!(e.channels[0].payback_checked_months, 6);
    }

    #[test]
    fn a_partial_last_month_is_flagged_and_left_out_of_the_formula() {
        let mut input = fixture();
        input.last_month_complete = false;
        let e = analyze(&input, &settings()).unwrap();
        assert!(e.cohorts[0].months[3].partial);
        assert!(!e.cohorts[0].months[2].partial);
        // Complete months Jan..Mar: p = 1; window Feb..Mar, A = Feb, B = Mar.
        assert_eq!(
            (e.formula.window_months, e.formula.window_start),
            (2, JAN + 1)
        );
        // A: c2, c3, c4; again in March: c4. B: c1, c4, c5 (50 + 10 + 80, 3 orders).
        assert_eq!((e.formula.active_before, e.formula.retained), (3, 1));
        assert_close!(e.formula.average_order_value.unwrap(), 140.0 / 3.0);
        assert_close!(e.formula.purchase_frequency.unwrap(), 3.0 / 3.0 * 12.0);
        assert_close!(e.formula.period_retention.unwrap(), 1.0 / 3.0);
        // A lifespan of 1 / (1 - 1/3) months, not the annualised (1/3)^12.
        assert_close!(e.formula.lifespan.unwrap(), 1.5 / 12.0);
    }

    /// `n` customers per channel of `per_channel`, acquired in January 2024,
    /// each buying `revenue(channel, i, month)` (0 = no purchase) in months
    /// `0..months`, with known acquisition cost `cac[channel]`; observed to
    /// the end of month `months - 1`.
    fn synthetic(
        per_channel: &[u64],
        cac: &[f64],
        months: i32,
        revenue: &dyn Fn(usize, u64, i32) -> f64,
    ) -> EconomicsInput {
        let mut h = MonthlyHistory::new();
        let (mut acq, mut ch, mut cost) = (Vec::new(), Vec::new(), Vec::new());
        for (c, &n) in per_channel.iter().enumerate() {
            for i in 0..n {
                let b: Vec<(i32, f64, u32)> = (0..months)
                    .filter_map(|k| {
                        let r = revenue(c, i, k);
                        (r > 0.0).then_some((JAN + k, r, 1))
                    })
                    .collect();
                let first = b.first().map_or(JAN, |x| x.0);
                h.push_customer(&b);
                acq.push(first);
                ch.push(c as u32);
                cost.push(cac[c]);
            }
        }
        EconomicsInput {
            history: h,
            acquisition_month: acq,
            channel: ch,
            channel_names: (0..per_channel.len()).map(|c| format!("ch{c}")).collect(),
            acquisition_cost: cost,
            spend: Vec::new(),
            last_month: JAN + months - 1,
            last_month_complete: true,
            projection: None,
            cost: None,
        }
    }

    #[test]
    fn formula_ltv_is_withheld_below_min_months() {
        let s = Settings {
            min_months: 5,
            ..settings()
        };
        let e = analyze(&fixture(), &s).unwrap();
        let f = &e.formula;
        assert_eq!((f.complete_months, f.min_months), (4, 5));
        assert_eq!((f.ltv, f.full_ltv, f.lifespan), (None, None, None));
        assert_eq!(f.retention_rate, None);
        // The measured facts stay.
        assert_close!(f.average_order_value.unwrap(), 34.0);
        assert!(e.warnings.iter().any(|w| w.contains("formula LTV withheld")
            && w.contains("4 complete months")
            && w.contains("at least 5")
            && w.contains("--min-months")));
        // Channels' formula values are withheld too; no sensitivity either.
        assert!(e.channels.iter().all(|c| c.ltv.is_none()));
        assert!(e.sensitivity.is_empty());
        // Default: three months suffice.
        assert!(
            analyze(&fixture(), &settings())
                .unwrap()
                .formula
                .ltv
                .is_some()
        );
    }

    #[test]
    fn formula_window_is_the_last_complete_months_up_to_a_year() {
        // 30 complete months of data: the window is the last 12, halves of 6.
        let input = synthetic(&[40], &[1.0], 30, &|_, i, k| {
            if (k + i as i32) % 3 == 0 { 10.0 } else { 0.0 }
        });
        let f = formula_ltv(&input, &settings(), None, None);
        assert_eq!(f.complete_months, 30);
        assert_eq!((f.window_months, f.retention_period_months), (12, 6));
        assert_eq!((f.window_start, f.window_end), (JAN + 18, JAN + 29));
        // 7 complete months: p = 3, the window the last 6 (the oldest is left out).
        let input = synthetic(&[40], &[1.0], 7, &|_, _, _| 10.0);
        let f = formula_ltv(&input, &settings(), None, None);
        assert_eq!((f.window_months, f.window_start), (6, JAN + 1));
    }

    #[test]
    fn retention_is_measured_on_the_window_not_raised_from_one_month() {
        // Three complete months; of 4 customers buying in February, 2 buy in
        // March (p = 1): monthly retention 1/2, so a customer stays 2 months
        // on average, 1/6 of a year, not 1 / (1 - 0.5^12) years.
        let input = synthetic(&[4], &[1.0], 3, &|_, i, k| match k {
            0 | 1 => 30.0,
            _ if i < 2 => 30.0,
            _ => 0.0,
        });
        let s = Settings {
            duration_years: f64::INFINITY,
            cost_to_serve_per_month: 0.0,
            ..settings()
        };
        let f = formula_ltv(&input, &s, None, None);
        assert_eq!(f.retention_period_months, 1);
        assert_close!(f.period_retention.unwrap(), 0.5);
        assert_close!(f.lifespan.unwrap(), 2.0 / 12.0);
        // March: 2 buyers, 1 order each: 12 orders a year, 30 each.
        assert_close!(f.ltv.unwrap(), 30.0 * 12.0 * 2.0 / 12.0);
        assert_close!(f.expected_years.unwrap(), 2.0 / 12.0);
    }

    #[test]
    fn a_channel_is_flagged_as_losing_money_only_when_its_interval_is_below_break_even() {
        // ch0: 200 customers who each bring ~2.5 a month against a CAC of 100:
        // loses money whatever the resample. ch1: 12 customers, one of whom
        // spends 500 a month, the others 1, against a CAC of 60: the formula's
        // margin LTV (~460) is above the CAC, but a resample without the big
        // one (a third of them) is below: not enough data to tell.
        // ch2: 200 steady customers bringing 10 a month, CAC 5: makes money.
        let input = synthetic(
            &[200, 12, 200],
            &[100.0, 60.0, 5.0],
            6,
            &|c, i, _| match c {
                0 => 2.0 + (i % 2) as f64,
                1 if i == 0 => 500.0,
                1 => 1.0,
                _ => 10.0,
            },
        );
        let e = analyze(&input, &settings()).unwrap();
        let [lose, thin, win] = [&e.channels[0], &e.channels[1], &e.channels[2]];
        assert_eq!(lose.verdict, Verdict::LosesMoney);
        assert!(lose.loses_money);
        let iv = lose.intervals.net_ltv.unwrap();
        assert!(iv.hi < 0.0 && iv.lo <= lose.net_ltv.unwrap() && lose.net_ltv.unwrap() <= iv.hi);
        assert!(e.warnings.iter().any(|w| w.contains("channel ch0")
            && w.contains("loses money on the average customer")
            && w.contains("200 customers")));
        assert_eq!(thin.verdict, Verdict::NotEnoughData);
        assert!(!thin.loses_money);
        let iv = thin.intervals.net_ltv.unwrap();
        assert!(iv.lo < 0.0 && iv.hi > 0.0, "{iv:?}");
        assert_eq!(win.verdict, Verdict::MakesMoney);
        // Spend-free CAC from acquisition costs: all equal, so a point interval.
        let c = win.intervals.ltv_to_cac.unwrap();
        assert!(c.lo <= win.ltv_to_cac.unwrap() && win.ltv_to_cac.unwrap() <= c.hi);
        // Payback: ch2's margin is 0.5 * 10 - 2 = 3 a month: 3 < 5 in month 0,
        // 6 >= 5 in month 1, in every resample.
        assert_eq!(win.payback_months, Some(1));
        assert_eq!(
            win.intervals.payback,
            Some(PaybackInterval {
                lo: Some(1),
                hi: Some(1)
            })
        );
        // ch0 never pays back within the 6 months: the bounds say so.
        assert_eq!(lose.payback_months, None);
        assert_eq!(lose.payback_checked_months, 6);
        assert_eq!(
            lose.intervals.payback,
            Some(PaybackInterval { lo: None, hi: None })
        );
        // One cohort (January) of 412 customers carries a payback interval.
        assert!(e.cohorts[0].intervals.payback.is_some());
    }

    #[test]
    fn bootstrap_intervals_are_deterministic_for_a_seed() {
        let input = synthetic(&[60, 40], &[20.0, 30.0], 6, &|c, i, k| {
            ((i as i32 * 7 + k * 3 + c as i32) % 5) as f64 * 4.0
        });
        let a = analyze(&input, &settings()).unwrap();
        let b = analyze(&input, &settings()).unwrap();
        assert_eq!(a.channels, b.channels);
        let other = Settings {
            seed: 99,
            ..settings()
        };
        let c = analyze(&input, &other).unwrap();
        assert_ne!(a.channels[0].intervals, c.channels[0].intervals);
        assert!(a.channels[0].intervals.ltv.is_some());
    }

    #[test]
    fn sensitivity_is_in_currency_only_when_the_net_ltv_is_near_zero() {
        let input = fixture();
        let v = formula_ltv(&input, &settings(), None, None)
            .value_before_acquisition
            .unwrap();
        // A CAC leaving 0.5 of net margin LTV: +10% on a lever is then
        // hundreds of percent of nothing; only the change in currency is given.
        let f = formula_ltv(&input, &settings(), None, Some(v - 0.5));
        assert_close!(f.full_ltv.unwrap(), 0.5);
        let l = sensitivity(&f);
        assert_eq!(l.len(), 7);
        assert!(l.iter().all(|x| x.change_pct.is_none()));
        let aov = l.iter().find(|x| x.lever == "average_order_value").unwrap();
        assert!(aov.change > 0.0);
        // Far from zero, percentages are given.
        let f = formula_ltv(&input, &settings(), None, Some(0.0));
        assert!(sensitivity(&f).iter().all(|x| x.change_pct.is_some()));
    }

    #[test]
    fn customers_acquired_outside_the_spend_months_have_no_cac() {
        let mut input = fixture();
        input.spend.retain(|s| s.month == JAN + 1); // search spend in February only
        let e = analyze(&input, &settings()).unwrap();
        // Search's customers came in January: none inside the spend's months.
        assert_eq!(e.channels[0].cac, None);
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("search") && w.contains("outside the months its spend covers"))
        );
    }

    #[test]
    fn segments_by_hand() {
        let input = fixture();
        let e = analyze(&input, &settings()).unwrap();
        // Per-customer CACs: c1, c2 50 (January search spend 100 / 2), c3 70,
        // c4 10, c5 unknown.
        assert_eq!(
            e.customer_cac,
            vec![Some(50.0), Some(50.0), Some(70.0), Some(10.0), None]
        );
        // Segments: "a" = c1, c2, c5; "b" = c3, c4.
        let names = vec!["a".to_string(), "b".to_string()];
        let (s, w) = segments(&input, &settings(), &e, &[0, 0, 1, 1, 0], &names).unwrap();
        assert_eq!((s[0].customers, s[0].cac), (3, Some(50.0))); // (50 + 50) / 2
        assert_eq!(s[0].customers_with_cac, 2);
        assert_eq!(s[0].revenue_per_customer, (150.0 + 120.0 + 80.0) / 3.0);
        // Margins: c1 71, c2 54, c5 0.5 * 80 - 2 = 38.
        assert_close!(s[0].margin_per_customer, (71.0 + 54.0 + 38.0) / 3.0);
        // Segment a's formula: B = c1 (50/1), c2 (20/1), c5 (80/1): AOV 50,
        // 3 / 3 * 6 = 6 a year; c1 and c2 active in A and B: retention 1, so 2
        // expected years: 0.5 * 50 * 6 * 2 - 24 * 2 = 252.
        assert_close!(s[0].ltv.unwrap(), 252.0);
        assert_close!(s[0].net_ltv.unwrap(), 202.0);
        assert!(!s[0].loses_money);
        // Segment b is the social channel: (0.5 * 10 * 12 - 24) * y, y =
        // (1 - 0.5^12) / 3, against a CAC of (70 + 10) / 2 = 40.
        assert_eq!(s[1].cac, Some(40.0));
        let v = 36.0 * (1.0 - 0.5f64.powi(12)) / 3.0;
        assert_close!(s[1].ltv.unwrap(), v);
        assert_close!(s[1].net_ltv.unwrap(), v - 40.0);
        assert!(s[1].loses_money);
        assert!(
            w.iter()
                .any(|x| x.contains("segment b") && x.contains("loses money"))
        );
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_cost_column_gives_the_margins() {
        // Costs: 40 of c1's January 100, 10 of c2's February 60, nothing else.
        let mut input = fixture();
        let mut cost = vec![0.0; input.history.month.len()];
        cost[0] = 40.0; // c1 January
        cost[3] = 10.0; // c2 February
        input.cost = Some(cost);
        let e = analyze(&input, &settings()).unwrap();
        // Overall margin 1 - 50 / 410.
        let m = 1.0 - 50.0 / 410.0;
        assert_close!(e.formula.margin, m);
        // January cohort: gross 140 - 40 = 100, 60 - 10 = 50, 50, 20, less 2 per
        // active customer: 96, 48, 48, 18; per customer 48, 72, 96, 105.
        let cm: Vec<f64> = e.cohorts[0]
            .months
            .iter()
            .map(|x| x.cumulative_margin_per_customer)
            .collect();
        assert_eq!(cm, vec![48.0, 72.0, 96.0, 105.0]);
        // Totals: 410 - 50 - 2 * 10.
        assert_close!(e.margin, 340.0);
        assert_eq!(e.cohorts[0].payback_months, Some(1)); // 72 >= 50
        let mut bad = fixture();
        bad.cost = Some(vec![1.0; 3]);
        assert!(analyze(&bad, &settings()).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut i = fixture();
        i.acquisition_month[0] = JAN + 1; // purchase in January before acquisition
        assert!(analyze(&i, &settings()).is_err());
        let mut i = fixture();
        i.spend.push(i.spend[0]); // duplicate channel-month
        assert!(analyze(&i, &settings()).is_err());
        let mut i = fixture();
        i.spend[0].amount = -1.0;
        assert!(analyze(&i, &settings()).is_err());
        let mut i = fixture();
        i.acquisition_cost[2] = -5.0;
        assert!(analyze(&i, &settings()).is_err());
        let bad = Settings {
            margin: 1.5,
            ..settings()
        };
        assert!(analyze(&fixture(), &bad).is_err());
    }

    #[test]
    fn projection_revenue_is_the_value_modules_clv() {
        use crate::bgnbd::BgNbdParams;
        use crate::value::{ValueSettings, predict};
        let model = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let data = CustomerData::new(
            vec![0.0, 2.0, 5.0, 2.0],
            vec![0.0, 10.0, 30.0, 10.0],
            vec![20.0, 30.0, 38.0, 30.0],
        )
        .unwrap();
        let spend = [20.0, 30.0, 25.0, 30.0];
        let vs = ValueSettings::new(
            "12 months".parse().unwrap(),
            crate::TimeUnit::Week,
            0.1,
            1.0,
        )
        .unwrap();
        let p = project(&model, &data, &spend, &vs.schedule(), &[0, 1, 1, 0], 2).unwrap();
        let clv = predict(&model, &data, &spend, &vs).unwrap().clv;
        for (got, want) in p.customer_revenue.iter().zip(&clv) {
            assert_close!(*got, *want);
        }
        // Group totals add up to the customers'.
        let g0: f64 = p.revenue[..p.months].iter().sum();
        assert_close!(g0, clv[0] + clv[3]);
        assert_eq!(p.months, 12);
    }

    /// Simulated truth: customers of known behaviour, observed until a cut-off;
    /// the projection with the true model predicts the revenue that followed.
    #[test]
    fn projection_matches_simulated_future_revenue() {
        use crate::bgnbd::BgNbdParams;
        use crate::gamma_gamma::GammaGammaParams;
        use crate::sim::{Simulation, summarize};
        let purchases = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
        let sim = Simulation {
            purchases,
            spend: Some(gg),
            customers: 20_000,
            acquisition: 12.0,
            end: 104.0,
            seed: 11,
        };
        let customers = sim.run().unwrap();
        let cut = 52.0;
        let (data, monetary) = summarize(&customers, cut).unwrap();
        let spend: Vec<f64> = (0..data.len())
            .map(|i| {
                gg.conditional_expected_spend(data.frequency[i], monetary[i])
                    .unwrap()
            })
            .collect();
        let vs = crate::value::ValueSettings::new(
            "52 weeks".parse().unwrap(),
            crate::TimeUnit::Week,
            0.0,
            1.0,
        )
        .unwrap();
        let groups = vec![0u32; data.len()];
        let p = project(&purchases, &data, &spend, &vs.schedule(), &groups, 1).unwrap();
        let predicted: f64 = p.revenue.iter().sum();
        let actual: f64 = customers
            .iter()
            .flat_map(|c| c.purchases.iter().zip(&c.amounts))
            .filter(|(t, _)| **t > cut && **t <= cut + 52.0)
            .map(|(_, z)| z)
            .sum();
        let rel = (predicted - actual).abs() / actual;
        assert!(rel < 0.05, "predicted {predicted}, actual {actual}");
        // Expected buying customers in the first projected month against the
        // customers who did buy then.
        let month = 30.4375 / 7.0;
        let buyers = customers
            .iter()
            .filter(|c| c.purchases.iter().any(|&t| t > cut && t <= cut + month))
            .count() as f64;
        let rel = (p.active[0] - buyers).abs() / buyers;
        assert!(rel < 0.08, "expected {} buyers, saw {buyers}", p.active[0]);
    }
}
