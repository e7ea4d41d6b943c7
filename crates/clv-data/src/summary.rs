//! Per-customer summaries `(x, t_x, T, monetary value)` in two conventions,
//! with optional holdout columns.
//!
//! See [`Convention`] for the exact definitions.
//!
//! Aggregation: readers bucket rows into `16 × threads` partitions by a hash
//! of the customer id. Each thread takes a contiguous range of partitions
//! and, one partition at a time (so its hash table and arrays stay in
//! cache), interns the ids in a `hashbrown` table whose entries carry the
//! first 8 bytes of the id inline, groups the rows per customer with a
//! counting sort, orders each customer's rows by day and one day's amounts
//! ascending (so a day's total, and every sum built from day totals, is the
//! same whatever the row order and the thread count, and equal to a
//! database's `sum(amount ORDER BY amount)` per customer and day, which the
//! PostgreSQL source's pushdown relies on), reduces each customer, and sorts
//! the partition's customers by id. The global order comes from a stable
//! radix sort of (id key, index) over all customers; the output columns are
//! then gathered from the sorted partition runs.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use clv_core::{CustomerData, TimeUnit};
use datafusion::arrow::array::{StringArray, StringBuilder};
use hashbrown::HashTable;

use crate::date::{civil_from_days, from_days, to_days};
use crate::error::{DataError, Location, Result};
use crate::report::DataReport;
use crate::rows::{Part, PartBuilder, ReadStats, Validator, int_key, partitions, prefix_key};
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
    /// What a zero amount is. Default: [`ZeroAmounts::Keep`] (a purchase
    /// worth 0, as in the published CDNOW summary and in `lifetimes`).
    pub zero_amounts: ZeroAmounts,
    /// Worker threads (default: the available parallelism, at most 8).
    pub threads: Option<usize>,
}

/// What a row with a zero amount is.
///
/// Negative amounts (returns) are always dropped and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ZeroAmounts {
    /// Not a purchase: dropped and reported (count).
    Drop,
    /// A purchase event worth 0: counted in `x`, `t_x`, `T`, and its day's
    /// total enters the monetary value like any other. The published CDNOW
    /// summary needs this (8 of its 2,357 customers have only a zero-value
    /// first purchase); the rows are still counted in the report.
    #[default]
    Keep,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            time_unit: TimeUnit::Week,
            convention: Convention::Exact,
            calibration_end: None,
            observation_end: None,
            zero_amounts: ZeroAmounts::Keep,
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

/// Orders and revenue per customer, in the summary's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Purchase rows (orders), same-day rows counted apart.
    pub orders: Vec<f64>,
    /// Total amount of those rows.
    pub revenue: Vec<f64>,
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
    /// Purchase rows and their total amount per customer in the
    /// calibration window (the first purchase included); `None` for a
    /// summary read from a summary file.
    pub totals: Option<Totals>,
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
/// The same validation policy as for files applies: negative amounts are
/// dropped and reported, zero amounts follow [`SummaryOptions::zero_amounts`], an empty customer id or a non-finite amount is
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
        keep_zero: options.zero_amounts == ZeroAmounts::Keep,
        decimal_comma: false,
    };
    let mut b = PartBuilder::new(&[], partitions(threads));
    for i in 0..ids.len() {
        let a = amounts[i];
        let amount = (!a.is_nan()).then_some((a, 0));
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
    build(vec![part], &stats, options, threads, &mut report).map(|s| (s, report))
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

/// One shard's reduced customers, in first-seen order (then sorted).
#[derive(Default)]
struct ShardOut {
    /// Included customers' ids: offsets into `arena` (`ends[i]` = end of id `i`).
    arena: Vec<u8>,
    ends: Vec<u32>,
    /// Integer sort keys (when all ids are integers).
    int_key: Vec<i64>,
    freq: Vec<f64>,
    rec: Vec<f64>,
    age: Vec<f64>,
    mon: Vec<f64>,
    orders: Vec<f64>,
    revenue: Vec<f64>,
    h_freq: Vec<f64>,
    h_mon: Vec<f64>,
    rows_used: u64,
    after_obs: u64,
    late_customers: u64,
    late_rows: u64,
    first_day: i32,
    last_day: i32,
    /// Ranges of customers sorted by id (one per partition).
    runs: Vec<std::ops::Range<usize>>,
}

impl ShardOut {
    #[inline]
    fn id(&self, i: usize) -> &[u8] {
        let a = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.arena[a..self.ends[i] as usize]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// A hash-table entry: the id's first bytes inline, so that most lookups
/// compare without touching the id's bytes elsewhere.
#[derive(Clone, Copy)]
struct Entry {
    prefix: u64,
    len: u32,
    cust: u32,
}

/// Reusable per-thread buffers for [`reduce_partition`].
#[derive(Default)]
struct Scratch {
    table: HashTable<Entry>,
    /// Interned ids of the partition (bytes), `ends[c]` = end of id `c`.
    arena: Vec<u8>,
    ends: Vec<u32>,
    cust_hash: Vec<u64>,
    row_cust: Vec<u32>,
    start: Vec<u32>,
    grouped: Vec<(i32, f64, u32)>,
}

/// Aggregates the partitions in `range` into one output (one per thread).
fn reduce_range(
    parts: &[Part<'_>],
    range: std::ops::Range<usize>,
    plan: &Plan,
    numeric: bool,
) -> ShardOut {
    let mut out = ShardOut {
        first_day: i32::MAX,
        last_day: i32::MIN,
        ..Default::default()
    };
    let total: usize = range
        .clone()
        .map(|s| parts.iter().map(|p| p.shards[s].len()).sum::<usize>())
        .sum();
    for v in [&mut out.freq, &mut out.rec, &mut out.age, &mut out.mon] {
        v.reserve(total / 2);
    }
    let mut scratch = Scratch::default();
    for s in range {
        let first = out.len();
        reduce_partition(parts, s, plan, numeric, &mut scratch, &mut out);
        sort_run(&mut out, first, numeric);
        out.runs.push(first..out.len());
    }
    out
}

fn reduce_partition(
    parts: &[Part<'_>],
    s: usize,
    plan: &Plan,
    numeric: bool,
    sc: &mut Scratch,
    out: &mut ShardOut,
) {
    let total: usize = parts.iter().map(|p| p.shards[s].len()).sum();
    sc.table.clear();
    sc.table.reserve(total / 2 + 16, |_| 0);
    sc.arena.clear();
    sc.ends.clear();
    sc.cust_hash.clear();
    sc.row_cust.clear();
    let Scratch {
        table,
        arena,
        ends,
        cust_hash,
        row_cust,
        start,
        grouped,
    } = sc;
    let id_at = |ends: &[u32], c: u32| -> (usize, usize) {
        let a = if c == 0 {
            0
        } else {
            ends[c as usize - 1] as usize
        };
        (a, ends[c as usize] as usize)
    };

    // 1. Intern ids (consecutive rows of one customer skip the lookup).
    //    Ids of at most 8 bytes compare by their inline prefix alone.
    let hasher = crate::rows::id_hasher();
    let mut prev: Option<(u64, u64, usize, u32)> = None;
    for part in parts {
        for row in &part.shards[s] {
            if row.day > plan.obs_end {
                out.after_obs += u64::from(row.n);
                row_cust.push(u32::MAX);
                continue;
            }
            let len = row.id_len();
            let prefix = row.prefix;
            let h = if len <= 8 {
                crate::rows::id_hash(&hasher, prefix, &[0; 8][..len])
            } else {
                crate::rows::id_hash(&hasher, prefix, part.id(row.id))
            };
            if let Some((ph, pp, pl, pc)) = prev
                && ph == h
                && pp == prefix
                && pl == len
                && (len <= 8 || {
                    let (a, b) = id_at(ends, pc);
                    &arena[a..b] == part.id(row.id)
                })
            {
                row_cust.push(pc);
                continue;
            }
            let found = table.find(h, |e| {
                e.prefix == prefix
                    && e.len as usize == len
                    && (len <= 8 || {
                        let (a, b) = id_at(ends, e.cust);
                        &arena[a..b] == part.id(row.id)
                    })
            });
            let c = match found {
                Some(e) => e.cust,
                None => {
                    let c = ends.len() as u32;
                    if len <= 8 {
                        arena.extend_from_slice(&prefix.to_be_bytes()[..len]);
                    } else {
                        arena.extend_from_slice(part.id(row.id));
                    }
                    ends.push(arena.len() as u32);
                    cust_hash.push(h);
                    table.insert_unique(
                        h,
                        Entry {
                            prefix,
                            len: len as u32,
                            cust: c,
                        },
                        |e| cust_hash[e.cust as usize],
                    );
                    c
                }
            };
            prev = Some((h, prefix, len, c));
            row_cust.push(c);
        }
    }

    // 2. Counting sort of the rows by customer, keeping input order.
    let ncust = ends.len();
    start.clear();
    start.resize(ncust + 1, 0);
    for &c in row_cust.iter() {
        if c != u32::MAX {
            start[c as usize + 1] += 1;
        }
    }
    for i in 0..ncust {
        start[i + 1] += start[i];
    }
    let nrows = start[ncust] as usize;
    grouped.clear();
    grouped.resize(nrows, (0, 0.0, 0));
    {
        // `fill` reuses `cust_hash`'s memory: it is no longer needed.
        let fill = cust_hash;
        fill.clear();
        fill.extend(start[..ncust].iter().map(|&x| x as u64));
        let mut r = 0usize;
        for part in parts {
            for row in &part.shards[s] {
                let c = row_cust[r];
                r += 1;
                if c != u32::MAX {
                    let k = fill[c as usize] as usize;
                    fill[c as usize] += 1;
                    grouped[k] = (row.day, row.amount, row.n);
                }
            }
        }
    }

    // 3. Reduce each customer.
    let cal_key = plan.key(plan.cal_end);
    for c in 0..ncust {
        let rows = &mut grouped[start[c] as usize..start[c + 1] as usize];
        // By day, and one day's amounts in ascending order: a day's total is
        // then the same whatever the order of the input rows (floating-point
        // addition is not associative), and the same as a database's
        // `sum(amount ORDER BY amount)` for that customer and day.
        let canon =
            |a: &(i32, f64, u32), b: &(i32, f64, u32)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
        if !rows.is_sorted_by(|a, b| canon(a, b).is_le()) {
            rows.sort_unstable_by(canon);
        }
        let rows = &*rows;
        let source_rows: u64 = rows.iter().map(|r| u64::from(r.2)).sum();
        // Groups: consecutive rows with the same (side, key).
        let mut n_cal = 0u64;
        let mut cal_rows = 0u64;
        let mut cal_sum = 0.0;
        let mut first_key = 0i64;
        let mut last_key = 0i64;
        let mut rep_sum = 0.0;
        let mut n_hold = 0u64;
        let mut hold_sum = 0.0;
        let mut i = 0;
        while i < rows.len() {
            let (d0, _, _) = rows[i];
            let hold = d0 > plan.cal_end;
            let k = plan.key(d0);
            // The group's total: the sum of its days' totals, in day order.
            let mut total = 0.0;
            let mut group_rows = 0u64;
            while i < rows.len() {
                let d = rows[i].0;
                if (d > plan.cal_end) != hold || plan.key(d) != k {
                    break;
                }
                let mut day_total = 0.0;
                while i < rows.len() && rows[i].0 == d {
                    day_total += rows[i].1;
                    group_rows += u64::from(rows[i].2);
                    i += 1;
                }
                total += day_total;
            }
            if !hold {
                cal_rows += group_rows;
                cal_sum += total;
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
            out.late_rows += source_rows;
            continue;
        }
        out.rows_used += source_rows;
        out.first_day = out.first_day.min(rows[0].0);
        out.last_day = out.last_day.max(rows[rows.len() - 1].0);
        let x = n_cal - 1;
        let (a, b) = id_at(ends, c as u32);
        let id = &arena[a..b];
        if numeric {
            out.int_key.push(int_key(id).unwrap_or(i64::MAX));
        }
        out.arena.extend_from_slice(id);
        out.ends.push(out.arena.len() as u32);
        out.freq.push(x as f64);
        out.rec.push(plan.span(last_key - first_key));
        out.age.push(plan.span(cal_key - first_key));
        out.mon.push(if x > 0 { rep_sum / x as f64 } else { 0.0 });
        out.orders.push(cal_rows as f64);
        out.revenue.push(cal_sum);
        if plan.holdout {
            out.h_freq.push(n_hold as f64);
            out.h_mon.push(if n_hold > 0 {
                hold_sum / n_hold as f64
            } else {
                0.0
            });
        }
    }
}

/// Sorts the customers `first..` of `o` (one partition's, so the work stays
/// in cache) by id, rearranging every column.
fn sort_run(o: &mut ShardOut, first: usize, numeric: bool) {
    let n = o.len() - first;
    // Sort (key, index) pairs, then order runs of equal keys by the bytes.
    let mut pairs: Vec<(u64, u32)> = if numeric {
        // Flip the sign bit: signed order as unsigned.
        (first..o.len())
            .map(|i| ((o.int_key[i] as u64) ^ (1 << 63), i as u32))
            .collect()
    } else {
        (first..o.len())
            .map(|i| (prefix_key(o.id(i)), i as u32))
            .collect()
    };
    pairs.sort_unstable();
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        if j - i > 1 {
            let oo = &*o;
            pairs[i..j].sort_unstable_by(|a, b| oo.id(a.1 as usize).cmp(oo.id(b.1 as usize)));
        }
        i = j;
    }
    if pairs
        .iter()
        .enumerate()
        .all(|(k, p)| p.1 as usize == first + k)
    {
        return;
    }
    fn permute<T: Copy>(v: &mut [T], first: usize, pairs: &[(u64, u32)]) {
        if v.len() <= first {
            return;
        }
        let sorted: Vec<T> = pairs.iter().map(|p| v[p.1 as usize]).collect();
        v[first..].copy_from_slice(&sorted);
    }
    permute(&mut o.freq, first, &pairs);
    permute(&mut o.rec, first, &pairs);
    permute(&mut o.age, first, &pairs);
    permute(&mut o.mon, first, &pairs);
    permute(&mut o.orders, first, &pairs);
    permute(&mut o.revenue, first, &pairs);
    permute(&mut o.h_freq, first, &pairs);
    permute(&mut o.h_mon, first, &pairs);
    permute(&mut o.int_key, first, &pairs);
    let a0 = if first == 0 {
        0
    } else {
        o.ends[first - 1] as usize
    };
    let mut arena = Vec::with_capacity(o.arena.len() - a0);
    let mut ends = Vec::with_capacity(n);
    for p in &pairs {
        arena.extend_from_slice(o.id(p.1 as usize));
        ends.push((a0 + arena.len()) as u32);
    }
    o.arena.truncate(a0);
    o.arena.extend_from_slice(&arena);
    o.ends.truncate(first);
    o.ends.extend_from_slice(&ends);
}

/// Stable LSD radix sort by the `u64` key, 8 bits a pass, skipping the
/// bytes on which all keys agree.
fn radix_sort(v: &mut Vec<(u64, u32)>) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut counts = vec![[0usize; 256]; 8];
    for &(k, _) in v.iter() {
        for (b, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * b)) & 0xff) as usize] += 1;
        }
    }
    let mut tmp: Vec<(u64, u32)> = vec![(0, 0); n];
    for (b, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // every key has the same byte here
        }
        let mut offs = [0usize; 256];
        let mut acc = 0;
        for d in 0..256 {
            offs[d] = acc;
            acc += c[d];
        }
        for &e in v.iter() {
            let d = ((e.0 >> (8 * b)) & 0xff) as usize;
            tmp[offs[d]] = e;
            offs[d] += 1;
        }
        std::mem::swap(v, &mut tmp);
    }
}

/// Runs `f` on every element of `items` on its own thread (inline for one).
fn for_each_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    std::thread::scope(|sc| {
        let f = &f;
        let hs: Vec<_> = items
            .into_iter()
            .map(|it| sc.spawn(move || f(it)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Aggregates read parts into the summary and completes the report.
pub(crate) fn build(
    parts: Vec<Part<'_>>,
    stats: &ReadStats,
    options: &SummaryOptions,
    threads: usize,
    report: &mut DataReport,
) -> Result<Summary> {
    report.rows_read = stats.rows_read;
    report.negative_rows = stats.negative_rows;
    report.negative_total = stats.negative_total;
    report.zero_rows = stats.zero_rows;
    report.amounts_currency_stripped = stats.currency_stripped;
    report.amounts_thousands_stripped = stats.thousands_stripped;
    report.zero_rows_kept = options.zero_amounts == ZeroAmounts::Keep;
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
    let nparts = parts.first().map_or(1, |p| p.shards.len());
    let threads = threads.clamp(1, nparts);

    let ranges: Vec<std::ops::Range<usize>> = (0..threads)
        .map(|t| t * nparts / threads..(t + 1) * nparts / threads)
        .collect();
    let numeric = stats.all_int;
    let outs = for_each_parallel(ranges, |r| reduce_range(&parts, r, &plan, numeric));
    drop(parts);

    // Merge the sorted shards: first the sequence of sources, then each column.
    let n: usize = outs.iter().map(|o| o.len()).sum();
    // Global order: a stable LSD radix sort of (key, index) over all shards'
    // customers (each partition's run is already sorted, so the gathers below
    // read a few sequential streams), then equal keys ordered by id bytes.
    let base: Vec<usize> = outs
        .iter()
        .scan(0usize, |acc, o| {
            let b = *acc;
            *acc += o.len();
            Some(b)
        })
        .collect();
    let locate = |g: u32| -> (usize, usize) {
        let g = g as usize;
        let s = base.iter().rposition(|&b| b <= g).unwrap_or(0);
        (s, g - base[s])
    };
    let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(n);
    for (s, o) in outs.iter().enumerate() {
        for i in 0..o.len() {
            let k = if numeric {
                (o.int_key[i] as u64) ^ (1 << 63)
            } else {
                prefix_key(o.id(i))
            };
            pairs.push((k, (base[s] + i) as u32));
        }
    }
    radix_sort(&mut pairs);
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        if j - i > 1 {
            pairs[i..j].sort_by(|a, b| {
                let (sa, ia) = locate(a.1);
                let (sb, ib) = locate(b.1);
                outs[sa].id(ia).cmp(outs[sb].id(ib))
            });
        }
        i = j;
    }
    let src: Vec<(u32, u32)> = pairs
        .into_iter()
        .map(|(_, g)| {
            let (s, i) = locate(g);
            (s as u32, i as u32)
        })
        .collect();
    let column = |get: &(dyn Fn(&ShardOut) -> &Vec<f64> + Sync)| -> Vec<f64> {
        src.iter()
            .map(|&(s, i)| get(&outs[s as usize])[i as usize])
            .collect()
    };
    let build_ids = || {
        let id_bytes_total: usize = outs.iter().map(|o| o.arena.len()).sum();
        let mut ids = StringBuilder::with_capacity(n, id_bytes_total);
        for &(s, i) in &src {
            let bytes = outs[s as usize].id(i as usize);
            match std::str::from_utf8(bytes) {
                Ok(t) => ids.append_value(t),
                Err(_) => ids.append_value(String::from_utf8_lossy(bytes)),
            }
        }
        ids
    };
    let build_cols = || {
        let cols = [
            column(&|o| &o.freq),
            column(&|o| &o.rec),
            column(&|o| &o.age),
            column(&|o| &o.mon),
            column(&|o| &o.orders),
            column(&|o| &o.revenue),
        ];
        let hold = if plan.holdout {
            (column(&|o| &o.h_freq), column(&|o| &o.h_mon))
        } else {
            (Vec::new(), Vec::new())
        };
        (cols, hold)
    };
    let (mut ids, ([freq, rec, age, mon, orders, revenue], (hf, hm))) = if threads > 1 {
        std::thread::scope(|sc| {
            let h = sc.spawn(build_cols);
            let ids = build_ids();
            (ids, h.join().expect("merge thread panicked"))
        })
    } else {
        (build_ids(), build_cols())
    };

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

    let duration = plan.span(plan.key(obs_end) - plan.key(cal_end));
    Ok(Summary {
        customer_ids: ids.finish(),
        frequency: freq,
        recency: rec,
        age,
        monetary_value: mon,
        totals: Some(Totals { orders, revenue }),
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

    /// Same-day amounts whose sum depends on the order of addition
    /// (`0.1 + 0.2 + 0.3` is not `0.3 + 0.2 + 0.1` in binary): any row order
    /// gives the same summary, and a pre-summed day (as a database's pushdown
    /// sends it, [`crate::RowWriter::group`]) gives it too.
    #[test]
    fn a_days_total_does_not_depend_on_the_row_order() {
        let d0 = day("2024-01-01");
        let amounts = [0.3, 0.1, 0.2, 1e-3, 7.7];
        assert_ne!((0.1 + 0.2) + 0.3, (0.3 + 0.2) + 0.1);
        let rows: Vec<(&str, i32, f64)> = amounts
            .iter()
            .map(|&a| ("a", d0 + 1, a))
            .chain([
                ("a", d0, 1.0),
                ("a", d0 + 9, 0.7),
                ("a", d0 + 9, 0.1),
                ("a", d0 + 9, 0.2),
            ])
            .collect();
        for convention in [Convention::Exact, Convention::Period] {
            let options = SummaryOptions {
                time_unit: TimeUnit::Week,
                convention,
                observation_end: NaiveDate::from_ymd_opt(2024, 1, 31),
                threads: Some(1),
                ..Default::default()
            };
            let run = |rows: &[(&str, i32, f64)]| {
                let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
                let days: Vec<i32> = rows.iter().map(|r| r.1).collect();
                let amounts: Vec<f64> = rows.iter().map(|r| r.2).collect();
                summarize(&ids, &days, &amounts, &options).unwrap().0
            };
            let forward = run(&rows);
            let mut reversed = rows.clone();
            reversed.reverse();
            assert_eq!(run(&reversed), forward);
            // One row per day, its amounts summed in ascending order.
            let mut b = PartBuilder::new(&[], 1);
            for d in [d0, d0 + 1, d0 + 9] {
                let mut of_day: Vec<f64> = rows.iter().filter(|r| r.1 == d).map(|r| r.2).collect();
                of_day.sort_by(f64::total_cmp);
                let sum = of_day[1..].iter().fold(of_day[0], |s, a| s + a);
                b.group(
                    b"a",
                    d,
                    of_day.len() as u64,
                    0,
                    0.0,
                    0,
                    of_day.len() as u32,
                    sum,
                );
            }
            let part = b.finish();
            let stats = part.stats.clone();
            let mut report = DataReport::new("<memory>", "test");
            let grouped = build(vec![part], &stats, &options, 1, &mut report).unwrap();
            assert_eq!(grouped, forward, "{convention}");
            assert_eq!(report.rows_used, rows.len() as u64);
        }
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
