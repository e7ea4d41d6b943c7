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
//! **Formula LTV** ([`FormulaLtv`]), as marketers write it, measured on
//! windows of `w` complete months (`w` = 12 when there are at least 24
//! complete months, else half of the complete months): window B is the last
//! `w` complete months, window A the `w` months before it. A customer is
//! *active* in a window when they buy in it.
//!
//! ```text
//! average_order_value = revenue in B / orders in B
//! purchase_frequency  = orders in B / active customers in B * 12 / w   (orders per year)
//! retention_rate      = (active in A and in B / active in A) ^ (12 / w)  (annual)
//! lifespan            = 1 / (1 - retention_rate)                        (years)
//! ltv                 = average_order_value * purchase_frequency * lifespan
//! expected_years      = (1 - retention_rate^duration) / (1 - retention_rate)
//! full_ltv            = gross_margin * average_order_value * purchase_frequency * expected_years
//!                       - (acquisition_cost + cost_to_serve_per_year * expected_years)
//! ```
//!
//! `ltv` is the textbook revenue form (average order value x frequency x
//! lifespan). `full_ltv` is the fuller form: unit price x retention x
//! frequency x duration less acquisition and retention costs, where the
//! retention rate and the duration (the horizon in years, infinite when not
//! given) combine into `expected_years`, the expected number of years a
//! customer stays active within the duration (the sum of `r^t` over the
//! years `t = 0, 1, ...` before the duration ends; `lifespan` when the
//! duration is infinite). `acquisition_cost` is the average CAC of the
//! customers whose CAC is known.
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            margin: 1.0,
            cost_to_serve_per_month: 0.0,
            duration_years: f64::INFINITY,
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
    /// Window length `w` in months.
    pub window_months: u32,
    /// First month of window B.
    pub window_start: i32,
    /// Last month of window B.
    pub window_end: i32,
    /// Customers active in window A.
    pub active_before: u64,
    /// Customers active in window B.
    pub active: u64,
    /// Customers active in both windows.
    pub retained: u64,
    /// Orders in window B.
    pub orders: u64,
    /// Revenue in window B.
    pub revenue: f64,
    /// Revenue per order.
    pub average_order_value: Option<f64>,
    /// Orders per active customer per year.
    pub purchase_frequency: Option<f64>,
    /// Annual retention rate.
    pub retention_rate: Option<f64>,
    /// Expected lifespan in years, `1 / (1 - retention_rate)`; `None` when the retention rate is 1.
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
    /// The change as a fraction of `|full_ltv|` before (`None` when that is 0).
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
    /// True when `net_ltv < 0`: the channel loses money on every customer.
    pub loses_money: bool,
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
                "segment {}: LTV {:.2} is below its CAC {:.2}: this segment loses money on every \
                 customer ({:.2} each)",
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
    if formula.average_order_value.is_none() {
        warnings.push(format!(
            "formula LTV: not enough complete months of data (window of {} months); it needs at \
             least 2 complete months with purchases",
            formula.window_months
        ));
    } else if formula.retention_rate.is_none() {
        warnings.push(
            "formula LTV: nobody bought in the window before the last; no retention rate".into(),
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
        let loses_money = net_ltv.is_some_and(|v| v < 0.0);
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
        if loses_money {
            warnings.push(format!(
                "channel {name}: LTV {:.2} is below its CAC {:.2}: this channel loses money on \
                 every customer ({:.2} each)",
                ltv.unwrap_or(0.0),
                cac.unwrap_or(0.0),
                net_ltv.unwrap_or(0.0)
            ));
        }
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
            loses_money,
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
        cohorts.push(Cohort {
            cohort: month0,
            customers,
            cac,
            payback_months,
            payback_projected,
            model_ltv: model_total(&set),
            months,
            projected,
        });
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
        customer_cac: (0..n).map(cac_of).collect(),
    })
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

/// The formula LTV of the customers `i` for which `keep(i)` holds.
fn formula_where(
    input: &EconomicsInput,
    settings: &Settings,
    keep: &dyn Fn(usize) -> bool,
    cac: Option<f64>,
) -> FormulaLtv {
    let h = &input.history;
    let last_complete = if input.last_month_complete {
        input.last_month
    } else {
        input.last_month - 1
    };
    let first = h.month.iter().copied().min().unwrap_or(input.last_month);
    let span = (last_complete - first + 1).max(0);
    let w = (span / 2).min(12);
    let (b0, b1) = (last_complete - w + 1, last_complete);
    let (a0, a1) = (b0 - w, b0 - 1);
    let (mut active_a, mut active_b, mut retained, mut orders, mut revenue) =
        (0u64, 0u64, 0u64, 0u64, 0.0);
    if w > 0 {
        for i in 0..h.len() {
            if !keep(i) {
                continue;
            }
            let (mut in_a, mut in_b) = (false, false);
            for k in h.range(i) {
                let mm = h.month[k];
                if (a0..=a1).contains(&mm) {
                    in_a = true;
                }
                if (b0..=b1).contains(&mm) {
                    in_b = true;
                    orders += h.orders[k] as u64;
                    revenue += h.revenue[k];
                }
            }
            active_a += in_a as u64;
            active_b += in_b as u64;
            retained += (in_a && in_b) as u64;
        }
    }
    let scale = 12.0 / w.max(1) as f64;
    let aov = (orders > 0).then(|| revenue / orders as f64);
    let freq = (active_b > 0 && orders > 0).then(|| orders as f64 / active_b as f64 * scale);
    let r =
        (active_a > 0 && aov.is_some()).then(|| (retained as f64 / active_a as f64).powf(scale));
    let mut f = FormulaLtv {
        window_months: w as u32,
        window_start: b0,
        window_end: b1,
        active_before: active_a,
        active: active_b,
        retained,
        orders,
        revenue,
        average_order_value: aov,
        purchase_frequency: freq,
        retention_rate: r,
        lifespan: None,
        ltv: None,
        margin: input.effective_margin(settings),
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

/// `(1 - r^d) / (1 - r)`: expected active years within `d` years at annual retention `r`.
fn expected_years(r: f64, d: f64) -> Option<f64> {
    if r >= 1.0 {
        return d.is_finite().then_some(d);
    }
    if d.is_infinite() {
        return Some(1.0 / (1.0 - r));
    }
    Some((1.0 - r.powf(d)) / (1.0 - r))
}

/// Recomputes the derived fields of a formula from its factors.
fn evaluate(f: &mut FormulaLtv) {
    let (Some(aov), Some(freq), Some(r)) = (
        f.average_order_value,
        f.purchase_frequency,
        f.retention_rate,
    ) else {
        return;
    };
    f.lifespan = (r < 1.0).then(|| 1.0 / (1.0 - r));
    f.ltv = f.lifespan.map(|l| aov * freq * l);
    f.expected_years = expected_years(r, f.duration);
    if let Some(y) = f.expected_years {
        let retention_cost = f.cost_to_serve_per_year * y;
        f.retention_cost = Some(retention_cost);
        let v = f.margin * aov * freq * y - retention_cost;
        f.value_before_acquisition = Some(v);
        f.full_ltv = Some(v - f.acquisition_cost);
    }
}

/// `+10%` on each lever of the full formula (see [`Lever`]).
pub fn sensitivity(f: &FormulaLtv) -> Vec<Lever> {
    let Some(base) = f.full_ltv else {
        return Vec::new();
    };
    let mut out = Vec::new();
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
                change_pct: (base != 0.0).then(|| (v - base) / base.abs()),
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
        // Complete months Jan..Apr: w = 4 / 2 = 2; B = Mar..Apr, A = Jan..Feb.
        assert_eq!(
            (f.window_months, f.window_start, f.window_end),
            (2, JAN + 2, JAN + 3)
        );
        // B: c1 (50/1), c2 (20/1), c4 (20/2), c5 (80/1): 4 active, 5 orders, 170.
        assert_eq!((f.active, f.orders), (4, 5));
        assert_close!(f.revenue, 170.0);
        // A: c1, c2, c3, c4 active; c1, c2, c4 again in B.
        assert_eq!((f.active_before, f.retained), (4, 3));
        assert_close!(f.average_order_value.unwrap(), 170.0 / 5.0); // 34
        assert_close!(f.purchase_frequency.unwrap(), 5.0 / 4.0 * 12.0 / 2.0); // 7.5 a year
        let r = 0.75f64.powi(6); // (3/4) per 2 months, annualised
        assert_close!(f.retention_rate.unwrap(), r);
        assert_close!(f.lifespan.unwrap(), 1.0 / (1.0 - r));
        assert_close!(f.ltv.unwrap(), 34.0 * 7.5 / (1.0 - r));
        // Duration 2 years: expected years 1 + r; retention cost 24 a year.
        assert_close!(f.expected_years.unwrap(), 1.0 + r);
        assert_close!(f.retention_cost.unwrap(), 24.0 * (1.0 + r));
        // CAC: search 150 / 2 customers, social (70 + 10) / 2: (150 + 80) / 4 = 57.5.
        assert!(f.acquisition_cost_known);
        assert_close!(f.acquisition_cost, 57.5);
        let value = 0.5 * 34.0 * 7.5 * (1.0 + r) - 24.0 * (1.0 + r);
        assert_close!(f.value_before_acquisition.unwrap(), value);
        assert_close!(f.full_ltv.unwrap(), value - 57.5);
    }

    #[test]
    fn sensitivity_by_hand() {
        let e = analyze(&fixture(), &settings()).unwrap();
        let r = 0.75f64.powi(6);
        let base = e.formula.full_ltv.unwrap();
        let get = |name: &str| e.sensitivity.iter().find(|l| l.lever == name).unwrap();
        // +10% order value: the margin term 0.5 * 34 * 7.5 * (1 + r) grows by 10%.
        let margin_term = 0.5 * 34.0 * 7.5 * (1.0 + r);
        assert_close!(get("average_order_value").change, 0.1 * margin_term);
        assert_close!(get("purchase_frequency").change, 0.1 * margin_term);
        assert_close!(get("margin").change, 0.1 * margin_term);
        assert_close!(get("acquisition_cost").change, -5.75);
        assert_close!(get("cost_to_serve").change, -0.1 * 24.0 * (1.0 + r));
        // Retention 1.1 r: expected years 1 + 1.1 r.
        let r2 = 1.1 * r;
        assert_close!(
            get("retention_rate").full_ltv,
            (0.5 * 34.0 * 7.5 - 24.0) * (1.0 + r2) - 57.5
        );
        // Duration 2.2 years: (1 - r^2.2) / (1 - r).
        let y = (1.0 - r.powf(2.2)) / (1.0 - r);
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
        // retained: r = 0.5^6, expected years 1 + r.
        let r = 0.5f64.powi(6);
        let v = 0.5 * 10.0 * 12.0 * (1.0 + r) - 24.0 * (1.0 + r);
        assert_close!(social.ltv.unwrap(), v);
        assert_close!(social.net_ltv.unwrap(), v - 40.0);
        assert!(social.loses_money);
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("social") && w.contains("loses money on every customer"))
        );

        let organic = &e.channels[2];
        assert_eq!(
            (organic.cac_source, organic.cac),
            (CacSource::Unknown, None)
        );
        // Nobody of organic was active in A: no retention, no formula value.
        assert_eq!(organic.ltv, None);
        assert_eq!(organic.payback_months, None);
        assert!(!organic.loses_money);
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
        assert!(e.channels[1].loses_money);
    }

    #[test]
    fn a_partial_last_month_is_flagged_and_left_out_of_the_formula() {
        let mut input = fixture();
        input.last_month_complete = false;
        let e = analyze(&input, &settings()).unwrap();
        assert!(e.cohorts[0].months[3].partial);
        assert!(!e.cohorts[0].months[2].partial);
        // Complete months Jan..Mar: w = 1; B = Mar, A = Feb.
        assert_eq!(
            (e.formula.window_months, e.formula.window_start),
            (1, JAN + 2)
        );
        // A: c2, c3, c4; again in March: c4. B: c1, c4, c5 (50 + 10 + 80, 3 orders).
        assert_eq!((e.formula.active_before, e.formula.retained), (3, 1));
        assert_close!(e.formula.average_order_value.unwrap(), 140.0 / 3.0);
        assert_close!(e.formula.purchase_frequency.unwrap(), 3.0 / 3.0 * 12.0);
        assert_close!(e.formula.retention_rate.unwrap(), (1.0f64 / 3.0).powi(12));
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
        // Segment b is the social channel: (0.5 * 10 * 12 - 24) * (1 + 0.5^6)
        // = 36.5625 against a CAC of (70 + 10) / 2 = 40.
        assert_eq!(s[1].cac, Some(40.0));
        assert_close!(s[1].ltv.unwrap(), 36.5625);
        assert_close!(s[1].net_ltv.unwrap(), 36.5625 - 40.0);
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
