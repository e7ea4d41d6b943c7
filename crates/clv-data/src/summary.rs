//! Per-customer summaries `(x, t_x, T, monetary value)` in two conventions,
//! with optional holdout columns.
//!
//! See [`Convention`] for the exact definitions. Aggregation runs one hash
//! shard per thread: each thread interns the customer ids of its shard
//! (a `hashbrown` table over references into the input, no copies), groups
//! the rows per customer with a counting sort that keeps input order, and
//! reduces each customer; the shards are then sorted and merged by id.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use clv_core::{CustomerData, TimeUnit};
use datafusion::arrow::array::{StringArray, StringBuilder};
use hashbrown::HashTable;

use crate::date::{civil_from_days, from_days, to_days};
use crate::error::{DataError, Location, Result};
use crate::report::DataReport;
use crate::rows::{IdRef, Part, PartBuilder, ReadStats, Validator};
use crate::table::Table;

/// How purchases are turned into `(x, t_x, T)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Convention {
    /// Purchases of a customer on the same calendar day are merged (amounts
    /// summed). `x` = distinct purchase days − 1; `t_x` = (last day − first
    /// day) / unit; `T` = (calibration end − first day) / unit; monetary value
    /// = mean of the repeat purchase days' totals (the first day excluded), 0
    /// when `x = 0`. Times are fractional in the chosen unit (a week is 7
    /// days, a month 30.4375, a year 365.25). This is the convention of the
    /// published CDNOW summaries (Fader, Hardie & Lee).
    #[default]
    Exact,
    /// The convention of Python `lifetimes`' `summary_data_from_transaction_data`:
    /// each purchase date is floored to its period (day; week, Monday to
    /// Sunday as pandas' `W`; calendar month; calendar year), purchases in the
    /// same period are merged; `x` = distinct periods − 1; `t_x` and `T` are
    /// whole numbers of periods (`T` = period of the calibration end − first
    /// period); monetary value = mean of the repeat periods' totals.
    ///
    /// Two deliberate differences from `lifetimes`: rows after an explicit
    /// observation end are always dropped (lifetimes keeps those in the
    /// observation end's own period), and `monetary_value_holdout` is the
    /// mean of the holdout *period totals* (lifetimes averages raw rows there
    /// but period totals in the calibration columns).
    Period,
}

impl Convention {
    /// `exact` or `period`.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Exact => "exact",
            Convention::Period => "period",
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Convention {
    type Err = DataError;

    /// Accepts `exact` or `period` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exact" => Ok(Convention::Exact),
            "period" | "periods" => Ok(Convention::Period),
            _ => Err(DataError::InvalidOptions(format!(
                "unknown convention {s:?}; use exact or period"
            ))),
        }
    }
}

/// How to build the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// Unit of `t_x`, `T` and `duration_holdout` (and the period length of
    /// [`Convention::Period`]). Default: week.
    pub time_unit: TimeUnit,
    /// Default: [`Convention::Exact`].
    pub convention: Convention,
    /// End of the calibration period (inclusive). When set, purchases after
    /// it up to the observation end form the holdout columns. Must be on or
    /// after the first purchase and before the observation end.
    pub calibration_end: Option<NaiveDate>,
    /// End of observation (inclusive); later rows are dropped and counted.
    /// Default: the last purchase date in the data.
    pub observation_end: Option<NaiveDate>,
    /// Worker threads (default: the available parallelism, at most 8).
    pub threads: Option<usize>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            time_unit: TimeUnit::Week,
            convention: Convention::Exact,
            calibration_end: None,
            observation_end: None,
            threads: None,
        }
    }
}

pub(crate) fn default_threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8)
    })
    .max(1)
}

/// Holdout columns (present when a calibration end was given).
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Purchase days (or periods) in (calibration end, observation end].
    pub frequency: Vec<f64>,
    /// Mean of those days' (periods') totals, 0 when there are none.
    pub monetary_value: Vec<f64>,
    /// (observation end − calibration end) in the time unit (whole periods
    /// under [`Convention::Period`]); the same for every customer.
    pub duration: f64,
}

/// Per-customer summaries, one row per customer, sorted by customer id.
///
/// Ids sort numerically when every id is an integer (up to 18 digits, an
/// optional `-`; ties such as `7` and `007` by text), otherwise by their
/// UTF-8 bytes. The order is deterministic and independent of thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Customer ids (an Arrow string array: one buffer, cheap to clone).
    pub customer_ids: StringArray,
    /// `x`: repeat purchases.
    pub frequency: Vec<f64>,
    /// `t_x`: time from the first to the last purchase, in `time_unit`.
    pub recency: Vec<f64>,
    /// `T`: time from the first purchase to the calibration end, in `time_unit`.
    pub age: Vec<f64>,
    /// Mean value of the repeat purchases (0 when `x = 0`).
    pub monetary_value: Vec<f64>,
    /// Holdout columns, when a calibration end was given.
    pub holdout: Option<Holdout>,
    /// Unit of the times.
    pub time_unit: TimeUnit,
    /// Convention used.
    pub convention: Convention,
    /// Earliest purchase used.
    pub first_date: NaiveDate,
    /// End of calibration (equals `observation_end` without a holdout).
    pub calibration_end: NaiveDate,
    /// End of observation.
    pub observation_end: NaiveDate,
}

impl Summary {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Customer id of row `i`.
    pub fn customer_id(&self, i: usize) -> &str {
        self.customer_ids.value(i)
    }

    /// `(x, t_x, T)` per customer as the core's [`CustomerData`] (weight 1
    /// each, validated).
    pub fn to_customer_data(&self) -> Result<CustomerData> {
        Ok(CustomerData::new(
            self.frequency.clone(),
            self.recency.clone(),
            self.age.clone(),
        )?)
    }

    /// The summary as an output table: `customer_id`, `frequency`, `recency`,
    /// `T`, `monetary_value` and, with a holdout, `frequency_holdout`,
    /// `monetary_value_holdout`, `duration_holdout` (the column names of
    /// `lifetimes`).
    pub fn to_table(&self) -> Table {
        let mut t = Table::new()
            .with_strings("customer_id", self.customer_ids.clone())
            .with_f64("frequency", self.frequency.clone())
            .with_f64("recency", self.recency.clone())
            .with_f64("T", self.age.clone())
            .with_f64("monetary_value", self.monetary_value.clone());
        if let Some(h) = &self.holdout {
            t = t
                .with_f64("frequency_holdout", h.frequency.clone())
                .with_f64("monetary_value_holdout", h.monetary_value.clone())
                .with_f64("duration_holdout", vec![h.duration; self.len()]);
        }
        t
    }
}

/// Builds a summary from in-memory transactions: customer ids, purchase
/// dates as days since 1970-01-01 and amounts (same length).
///
/// The same validation policy as for files applies: non-positive amounts
/// are dropped and reported, an empty customer id or a non-finite amount is
/// an error naming the 1-based row. No future-date check is made (there is
/// no "today" here).
pub fn summarize<S: AsRef<str>>(
    ids: &[S],
    days: &[i32],
    amounts: &[f64],
    options: &SummaryOptions,
) -> Result<(Summary, DataReport)> {
    if ids.len() != days.len() || ids.len() != amounts.len() {
        return Err(DataError::InvalidOptions(format!(
            "column lengths differ: {} ids, {} dates, {} amounts",
            ids.len(),
            days.len(),
            amounts.len()
        )));
    }
    let threads = default_threads(options.threads);
    let validator = Validator {
        dates: crate::date::DateParser::iso(),
        future_limit: None,
        skip_invalid: false,
    };
    let mut b = PartBuilder::new(&[], threads);
    for i in 0..ids.len() {
        let a = amounts[i];
        let amount = a.is_finite().then_some(a);
        let checked = b.row(
            &validator,
            i as u64,
            ids[i].as_ref().as_bytes(),
            false,
            Some(days[i]),
            &|| String::new(),
            amount,
            &|| a.to_string(),
        );
        if let crate::rows::Checked::Fatal(p) = checked {
            return Err(crate::read::problem_error(
                &p,
                Location::Row {
                    file: "<memory>".into(),
                    row: i as u64 + 1,
                },
                &["customer_id", "date", "amount"],
                "",
            ));
        }
    }
    let part = b.finish();
    let mut report = DataReport::new("<memory>", "in-memory entry point");
    let stats = part.stats.clone();
    build(vec![part], &stats, options, &mut report).map(|s| (s, report))
}

/// Resolved dates and settings for aggregation.
#[derive(Debug, Clone, Copy)]
struct Plan {
    cal_end: i32,
    obs_end: i32,
    holdout: bool,
    unit: TimeUnit,
    convention: Convention,
}

impl Plan {
    #[inline]
    fn key(&self, day: i32) -> i64 {
        match self.convention {
            Convention::Exact => day as i64,
            Convention::Period => period_index(day, self.unit),
        }
    }

    /// Converts a key difference to the output time.
    #[inline]
    fn span(&self, keys: i64) -> f64 {
        match self.convention {
            Convention::Exact => keys as f64 / self.unit.days(),
            Convention::Period => keys as f64,
        }
    }
}

/// Index of the period containing `day` (days since the epoch): the day
/// itself; the week (Monday to Sunday); year × 12 + month − 1; the year.
pub fn period_index(day: i32, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Day => day as i64,
        // 1970-01-01 is a Thursday; Monday 1969-12-29 is day -3.
        TimeUnit::Week => (day as i64 + 3).div_euclid(7),
        TimeUnit::Month => {
            let (y, m, _) = civil_from_days(day);
            y as i64 * 12 + m as i64 - 1
        }
        TimeUnit::Year => civil_from_days(day).0 as i64,
    }
}

/// One shard's reduced customers.
#[derive(Default)]
struct ShardOut {
    /// (part index, id) of each included customer.
    ids: Vec<(u32, IdRef)>,
    int_key: Vec<i64>,
    all_int: bool,
    freq: Vec<f64>,
    rec: Vec<f64>,
    age: Vec<f64>,
    mon: Vec<f64>,
    h_freq: Vec<f64>,
    h_mon: Vec<f64>,
    rows_used: u64,
    after_obs: u64,
    late_customers: u64,
    late_rows: u64,
    first_day: i32,
    last_day: i32,
    order: Vec<u32>,
}

/// Parses an id as an integer sort key (optional `-`, 1 to 18 digits).
#[inline]
fn int_key(b: &[u8]) -> Option<i64> {
    let (neg, d) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if d.is_empty() || d.len() > 18 {
        return None;
    }
    let mut v = 0i64;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(if neg { -v } else { v })
}

#[inline]
fn prefix_key(b: &[u8]) -> u64 {
    let mut k = [0u8; 8];
    let n = b.len().min(8);
    k[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(k)
}

fn reduce_shard(parts: &[Part<'_>], s: usize, plan: &Plan) -> ShardOut {
    let total: usize = parts.iter().map(|p| p.shards[s].hash.len()).sum();
    let mut table: HashTable<u32> = HashTable::with_capacity(total / 2 + 16);
    let mut cust_ids: Vec<(u32, IdRef)> = Vec::with_capacity(total / 2 + 16);
    let mut cust_hash: Vec<u64> = Vec::with_capacity(total / 2 + 16);
    let mut row_cust: Vec<u32> = Vec::with_capacity(total);
    let mut out = ShardOut {
        all_int: true,
        first_day: i32::MAX,
        last_day: i32::MIN,
        ..Default::default()
    };
    let id_bytes = |c: &(u32, IdRef)| parts[c.0 as usize].id(c.1);

    // 1. Intern ids (consecutive rows of one customer skip the lookup).
    let mut prev: Option<(u64, u32)> = None;
    for (pi, part) in parts.iter().enumerate() {
        let rows = &part.shards[s];
        for i in 0..rows.hash.len() {
            if rows.day[i] > plan.obs_end {
                out.after_obs += 1;
                row_cust.push(u32::MAX);
                continue;
            }
            let h = rows.hash[i];
            let bytes = part.id(rows.id[i]);
            if let Some((ph, pc)) = prev
                && ph == h
                && id_bytes(&cust_ids[pc as usize]) == bytes
            {
                row_cust.push(pc);
                continue;
            }
            let c = match table.find(h, |&c| id_bytes(&cust_ids[c as usize]) == bytes) {
                Some(&c) => c,
                None => {
                    let c = cust_ids.len() as u32;
                    cust_ids.push((pi as u32, rows.id[i]));
                    cust_hash.push(h);
                    table.insert_unique(h, c, |&c| cust_hash[c as usize]);
                    c
                }
            };
            prev = Some((h, c));
            row_cust.push(c);
        }
    }
    drop(table);
    drop(cust_hash);

    // 2. Counting sort of the rows by customer, keeping input order.
    let ncust = cust_ids.len();
    let mut start = vec![0u32; ncust + 1];
    for &c in &row_cust {
        if c != u32::MAX {
            start[c as usize + 1] += 1;
        }
    }
    for i in 0..ncust {
        start[i + 1] += start[i];
    }
    let nrows = start[ncust] as usize;
    let mut fill = start.clone();
    let mut g_day = vec![0i32; nrows];
    let mut g_amt = vec![0f64; nrows];
    let mut r = 0usize;
    for part in parts {
        let rows = &part.shards[s];
        for i in 0..rows.hash.len() {
            let c = row_cust[r];
            r += 1;
            if c != u32::MAX {
                let k = fill[c as usize] as usize;
                fill[c as usize] += 1;
                g_day[k] = rows.day[i];
                g_amt[k] = rows.amount[i];
            }
        }
    }
    drop(row_cust);
    drop(fill);

    // 3. Reduce each customer.
    let cal_key = plan.key(plan.cal_end);
    let mut scratch: Vec<(i32, f64)> = Vec::new();
    for c in 0..ncust {
        let (a, b) = (start[c] as usize, start[c + 1] as usize);
        let days = &g_day[a..b];
        let amts = &g_amt[a..b];
        let sorted: &[(i32, f64)] = {
            scratch.clear();
            scratch.extend(days.iter().copied().zip(amts.iter().copied()));
            if !days.is_sorted() {
                scratch.sort_by_key(|&(d, _)| d); // stable: same-day order kept
            }
            &scratch
        };
        // Groups: consecutive rows with the same (side, key).
        let mut n_cal = 0u64;
        let mut first_key = 0i64;
        let mut last_key = 0i64;
        let mut rep_sum = 0.0;
        let mut n_hold = 0u64;
        let mut hold_sum = 0.0;
        let mut i = 0;
        while i < sorted.len() {
            let (d0, _) = sorted[i];
            let hold = d0 > plan.cal_end;
            let k = plan.key(d0);
            let mut total = 0.0;
            while i < sorted.len() {
                let (d, v) = sorted[i];
                if (d > plan.cal_end) != hold || plan.key(d) != k {
                    break;
                }
                total += v;
                i += 1;
            }
            if hold {
                n_hold += 1;
                hold_sum += total;
            } else {
                if n_cal == 0 {
                    first_key = k;
                } else {
                    rep_sum += total;
                }
                last_key = k;
                n_cal += 1;
            }
        }
        if n_cal == 0 {
            out.late_customers += 1;
            out.late_rows += sorted.len() as u64;
            continue;
        }
        out.rows_used += sorted.len() as u64;
        out.first_day = out.first_day.min(sorted[0].0);
        out.last_day = out.last_day.max(sorted[sorted.len() - 1].0);
        let x = n_cal - 1;
        let id = cust_ids[c];
        match int_key(id_bytes(&id)) {
            Some(k) if out.all_int => out.int_key.push(k),
            _ => out.all_int = false,
        }
        out.ids.push(id);
        out.freq.push(x as f64);
        out.rec.push(plan.span(last_key - first_key));
        out.age.push(plan.span(cal_key - first_key));
        out.mon.push(if x > 0 { rep_sum / x as f64 } else { 0.0 });
        if plan.holdout {
            out.h_freq.push(n_hold as f64);
            out.h_mon.push(if n_hold > 0 {
                hold_sum / n_hold as f64
            } else {
                0.0
            });
        }
    }
    out
}

fn compare_ids(parts: &[Part<'_>], a: &(u32, IdRef), b: &(u32, IdRef)) -> Ordering {
    parts[a.0 as usize].id(a.1).cmp(parts[b.0 as usize].id(b.1))
}

fn sort_shard(parts: &[Part<'_>], o: &mut ShardOut, numeric: bool) {
    let n = o.ids.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    if numeric {
        let keys = &o.int_key;
        let ids = &o.ids;
        order.sort_unstable_by(|&a, &b| {
            keys[a as usize]
                .cmp(&keys[b as usize])
                .then_with(|| compare_ids(parts, &ids[a as usize], &ids[b as usize]))
        });
    } else {
        let pre: Vec<u64> = o
            .ids
            .iter()
            .map(|&(p, r)| prefix_key(parts[p as usize].id(r)))
            .collect();
        let ids = &o.ids;
        order.sort_unstable_by(|&a, &b| {
            pre[a as usize]
                .cmp(&pre[b as usize])
                .then_with(|| compare_ids(parts, &ids[a as usize], &ids[b as usize]))
        });
    }
    o.order = order;
}

/// Aggregates read parts into the summary and completes the report.
pub(crate) fn build(
    parts: Vec<Part<'_>>,
    stats: &ReadStats,
    options: &SummaryOptions,
    report: &mut DataReport,
) -> Result<Summary> {
    report.rows_read = stats.rows_read;
    report.negative_rows = stats.negative_rows;
    report.negative_total = stats.negative_total;
    report.zero_rows = stats.zero_rows;
    report.invalid = crate::rows::InvalidReason::ALL
        .iter()
        .zip(stats.invalid)
        .filter(|(_, n)| *n > 0)
        .map(|(&reason, rows)| crate::report::InvalidCount { reason, rows })
        .collect();
    let file = report.source.clone();
    if stats.rows_read == 0 {
        return Err(DataError::Empty {
            file,
            message: "no data rows".into(),
        });
    }
    if stats.max_day < stats.min_day {
        return Err(DataError::Empty {
            file,
            message: format!(
                "no purchases: none of the {} rows has a valid positive amount ({} negative, {} zero, {} malformed)",
                stats.rows_read,
                stats.negative_rows,
                stats.zero_rows,
                stats.invalid_total()
            ),
        });
    }
    let first = stats.min_day;
    let obs_end = match options.observation_end {
        Some(d) => {
            let d = to_days(d);
            if d < first {
                return Err(DataError::InvalidOptions(format!(
                    "observation end {} is before the first purchase ({})",
                    from_days(d),
                    from_days(first)
                )));
            }
            d
        }
        None => stats.max_day,
    };
    let cal_end = match options.calibration_end {
        Some(c) => {
            let c = to_days(c);
            if c >= obs_end {
                return Err(DataError::InvalidOptions(format!(
                    "calibration end {} must be before the observation end {}",
                    from_days(c),
                    from_days(obs_end)
                )));
            }
            if c < first {
                return Err(DataError::InvalidOptions(format!(
                    "calibration end {} is before the first purchase ({})",
                    from_days(c),
                    from_days(first)
                )));
            }
            c
        }
        None => obs_end,
    };
    let plan = Plan {
        cal_end,
        obs_end,
        holdout: options.calibration_end.is_some(),
        unit: options.time_unit,
        convention: options.convention,
    };
    let nshards = parts.first().map_or(1, |p| p.shards.len());

    let mut outs: Vec<ShardOut> = if nshards == 1 {
        vec![reduce_shard(&parts, 0, &plan)]
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..nshards)
                .map(|s| {
                    let parts = &parts;
                    let plan = &plan;
                    sc.spawn(move || reduce_shard(parts, s, plan))
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("aggregation thread panicked"))
                .collect()
        })
    };
    let numeric = outs.iter().all(|o| o.all_int);
    if outs.len() == 1 {
        sort_shard(&parts, &mut outs[0], numeric);
    } else {
        std::thread::scope(|sc| {
            for o in outs.iter_mut() {
                let parts = &parts;
                sc.spawn(move || sort_shard(parts, o, numeric));
            }
        });
    }

    // Merge the sorted shards.
    let n: usize = outs.iter().map(|o| o.ids.len()).sum();
    let id_bytes_total: usize = outs
        .iter()
        .flat_map(|o| o.ids.iter())
        .map(|r| parts[r.0 as usize].id(r.1).len())
        .sum();
    let mut ids = StringBuilder::with_capacity(n, id_bytes_total);
    let (mut freq, mut rec, mut age, mut mon) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut hf, mut hm) = if plan.holdout {
        (Vec::with_capacity(n), Vec::with_capacity(n))
    } else {
        (Vec::new(), Vec::new())
    };
    let mut heads = vec![0usize; outs.len()];
    let less = |a: (usize, u32), b: (usize, u32)| -> bool {
        let (oa, ob) = (&outs[a.0], &outs[b.0]);
        let ord = if numeric {
            oa.int_key[a.1 as usize].cmp(&ob.int_key[b.1 as usize])
        } else {
            Ordering::Equal
        };
        ord.then_with(|| compare_ids(&parts, &oa.ids[a.1 as usize], &ob.ids[b.1 as usize]))
            == Ordering::Less
    };
    for _ in 0..n {
        let mut best: Option<(usize, u32)> = None;
        for (s, o) in outs.iter().enumerate() {
            if heads[s] < o.order.len() {
                let cand = (s, o.order[heads[s]]);
                if best.is_none_or(|b| less(cand, b)) {
                    best = Some(cand);
                }
            }
        }
        let (s, i) = best.expect("merge ran out of rows");
        heads[s] += 1;
        let o = &outs[s];
        let i = i as usize;
        let (p, r) = o.ids[i];
        let bytes = parts[p as usize].id(r);
        match std::str::from_utf8(bytes) {
            Ok(t) => ids.append_value(t),
            Err(_) => ids.append_value(String::from_utf8_lossy(bytes)),
        }
        freq.push(o.freq[i]);
        rec.push(o.rec[i]);
        age.push(o.age[i]);
        mon.push(o.mon[i]);
        if plan.holdout {
            hf.push(o.h_freq[i]);
            hm.push(o.h_mon[i]);
        }
    }

    report.rows_used = outs.iter().map(|o| o.rows_used).sum();
    report.after_observation_end = outs.iter().map(|o| o.after_obs).sum();
    report.late_customers = outs.iter().map(|o| o.late_customers).sum();
    report.late_customer_rows = outs.iter().map(|o| o.late_rows).sum();
    report.customers = n as u64;
    let first_used = outs.iter().map(|o| o.first_day).min().unwrap_or(i32::MAX);
    let last_used = outs.iter().map(|o| o.last_day).max().unwrap_or(i32::MIN);
    if n > 0 {
        report.first_date = Some(from_days(first_used));
        report.last_date = Some(from_days(last_used));
    }
    report.calibration_end = Some(from_days(cal_end));
    report.observation_end = Some(from_days(obs_end));
    drop(parts);

    let duration = plan.span(plan.key(obs_end) - plan.key(cal_end));
    Ok(Summary {
        customer_ids: ids.finish(),
        frequency: freq,
        recency: rec,
        age,
        monetary_value: mon,
        holdout: plan.holdout.then_some(Holdout {
            frequency: hf,
            monetary_value: hm,
            duration,
        }),
        time_unit: plan.unit,
        convention: plan.convention,
        first_date: from_days(if n > 0 { first_used } else { first }),
        calibration_end: from_days(cal_end),
        observation_end: from_days(obs_end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i32 {
        to_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // 2015-02-01 is a Sunday, 2015-02-02 a Monday.
        assert_eq!(
            period_index(day("2015-02-01"), TimeUnit::Week) + 1,
            period_index(day("2015-02-02"), TimeUnit::Week)
        );
        assert_eq!(
            period_index(day("2015-02-02"), TimeUnit::Week),
            period_index(day("2015-02-08"), TimeUnit::Week)
        );
        assert_eq!(
            period_index(day("2015-01-31"), TimeUnit::Month) + 1,
            period_index(day("2015-02-01"), TimeUnit::Month)
        );
        assert_eq!(period_index(day("2015-12-31"), TimeUnit::Year), 2015);
    }

    #[test]
    fn int_keys() {
        assert_eq!(int_key(b"123"), Some(123));
        assert_eq!(int_key(b"-5"), Some(-5));
        assert_eq!(int_key(b"007"), Some(7));
        assert_eq!(int_key(b"1a"), None);
        assert_eq!(int_key(b"-"), None);
        assert_eq!(int_key(b"1234567890123456789"), None);
    }
}
