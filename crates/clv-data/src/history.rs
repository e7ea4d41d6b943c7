//! Monthly purchase histories beside the per-customer summary, for
//! `clv economics`.
//!
//! An aggregation of the ingest pipeline ([`crate::ingest`] with
//! [`Aggregations::history`]): on the same read as the [`Summary`] (so the
//! data-quality report is the same), each customer's purchases bucketed by
//! calendar month (revenue and orders per month, orders being purchase rows)
//! and first purchase day, in the summary's row order.

use std::path::Path;

use clv_core::economics::MonthlyHistory;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::attributes::month_of_day;
use crate::date::to_days;
use crate::error::{DataError, Result};
use crate::ingest::Aggregations;
use crate::read::ReadOptions;
use crate::report::DataReport;
use crate::rows::{Part, ReadStats, prefix_key};
use crate::source::FileSource;
use crate::summary::{Summary, SummaryOptions};

/// Per-customer monthly purchases, in the order of the summary's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseHistory {
    /// First purchase day (days since 1970-01-01).
    pub first_day: Vec<i32>,
    /// Buckets per calendar month.
    pub monthly: MonthlyHistory,
    /// The observation end (days since 1970-01-01).
    pub observation_end: i32,
}

/// One shard's customers.
#[derive(Default)]
struct ShardHist {
    arena: Vec<u8>,
    ends: Vec<u32>,
    first_day: Vec<i32>,
    offsets: Vec<u32>,
    month: Vec<i32>,
    revenue: Vec<f64>,
    orders: Vec<u32>,
}

impl ShardHist {
    fn id(&self, i: usize) -> &[u8] {
        let a = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.arena[a..self.ends[i] as usize]
    }
}

/// Ids of at most 8 bytes are keyed by their inline bytes and length (no
/// byte comparisons); longer ids by their bytes.
type ShortKey = (u64, u32);

fn reduce_shard(parts: &[Part<'_>], s: usize, obs_end: i32) -> ShardHist {
    let mut out = ShardHist {
        offsets: vec![0],
        ..Default::default()
    };
    let total: usize = parts.iter().map(|p| p.shards[s].len()).sum();
    let hasher = foldhash::fast::FixedState::with_seed(7);
    let mut short: HashMap<ShortKey, u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(total / 2 + 16, hasher.clone());
    let mut long: HashMap<&[u8], u32, foldhash::fast::FixedState> = HashMap::with_hasher(hasher);
    // 1. Intern the ids; count rows per customer.
    let mut row_cust: Vec<u32> = Vec::with_capacity(total);
    let mut counts: Vec<u32> = Vec::with_capacity(total / 2 + 16);
    for part in parts {
        for row in &part.shards[s] {
            if row.day > obs_end {
                row_cust.push(u32::MAX);
                continue;
            }
            let len = row.id_len();
            let next = counts.len() as u32;
            let c = if len <= 8 {
                *short.entry((row.prefix, len as u32)).or_insert(next)
            } else {
                *long.entry(part.id(row.id)).or_insert(next)
            };
            if c == next {
                counts.push(0);
                if len > 8 {
                    out.arena.extend_from_slice(part.id(row.id));
                } else {
                    out.arena
                        .extend_from_slice(&row.prefix.to_be_bytes()[..len]);
                }
                out.ends.push(out.arena.len() as u32);
            }
            counts[c as usize] += 1;
            row_cust.push(c);
        }
    }
    // 2. Group the rows by customer, keeping input order (counting sort).
    let ncust = counts.len();
    let mut start: Vec<u32> = Vec::with_capacity(ncust + 1);
    start.push(0);
    for &n in &counts {
        start.push(start.last().expect("start") + n);
    }
    let mut fill: Vec<u32> = start[..ncust].to_vec();
    let mut grouped: Vec<(i32, f64)> = vec![(0, 0.0); start[ncust] as usize];
    let mut r = 0usize;
    for part in parts {
        for row in &part.shards[s] {
            let c = row_cust[r];
            r += 1;
            if c != u32::MAX {
                let k = &mut fill[c as usize];
                grouped[*k as usize] = (row.day, row.amount);
                *k += 1;
            }
        }
    }
    // 3. Monthly buckets per customer.
    let mut last = (i32::MIN, 0i32);
    out.first_day.reserve(ncust);
    out.offsets.reserve(ncust);
    for c in 0..ncust {
        let rows = &mut grouped[start[c] as usize..start[c + 1] as usize];
        if !rows.is_sorted_by_key(|x| x.0) {
            rows.sort_by_key(|x| x.0); // stable: same-day order kept
        }
        out.first_day.push(rows[0].0);
        let mut cur = i32::MIN;
        for &(day, amount) in rows.iter() {
            // Consecutive days often share their month: cache the last one.
            let m = if day == last.0 {
                last.1
            } else {
                let m = month_of_day(day);
                last = (day, m);
                m
            };
            if m != cur {
                out.month.push(m);
                out.revenue.push(0.0);
                out.orders.push(0);
                cur = m;
            }
            *out.revenue.last_mut().expect("bucket") += amount;
            *out.orders.last_mut().expect("bucket") += 1;
        }
        out.offsets.push(out.month.len() as u32);
    }
    out
}

/// The histories of every shard's customers, before the summary's order is known.
pub(crate) struct HistoryShards {
    shards: Vec<ShardHist>,
    obs_end: i32,
}

/// Buckets the rows up to the observation end (given, or the last valid
/// row's day) by customer and calendar month, one shard per task.
pub(crate) fn collect(
    parts: &[Part<'_>],
    stats: &ReadStats,
    options: &SummaryOptions,
) -> HistoryShards {
    let obs_end = match options.observation_end {
        Some(d) => to_days(d),
        None => stats.max_day,
    };
    let shards: Vec<ShardHist> = if stats.max_day >= stats.min_day {
        let nshards = parts.first().map_or(0, |p| p.shards.len());
        (0..nshards)
            .into_par_iter()
            .map(|s| reduce_shard(parts, s, obs_end))
            .collect()
    } else {
        Vec::new()
    };
    HistoryShards { shards, obs_end }
}

impl HistoryShards {
    /// The histories in the summary's row order.
    pub(crate) fn align(self, summary: &Summary) -> Result<PurchaseHistory> {
        align(summary, &self.shards, self.obs_end)
    }
}

/// Reads a transaction file (like [`crate::summarize_file`]) and returns the
/// summary, the report and the monthly purchase histories in the summary's
/// order: [`crate::ingest`] of a [`FileSource`] with
/// [`Aggregations::history`]. A calibration end is not allowed here:
/// histories cover the whole observation.
///
/// # Errors
///
/// As [`crate::ingest`].
pub fn summarize_with_history(
    path: &Path,
    read: &ReadOptions,
    options: &SummaryOptions,
) -> Result<(Summary, DataReport, PurchaseHistory)> {
    let want = Aggregations {
        history: true,
        ..Default::default()
    };
    let out = crate::ingest(&FileSource::new(path), read, options, want)?;
    let history = out.history.expect("asked for");
    Ok((out.summary, out.report, history))
}

/// Puts the shards' histories in the summary's order.
fn align(summary: &Summary, shards: &[ShardHist], obs_end: i32) -> Result<PurchaseHistory> {
    let total: usize = shards.iter().map(|s| s.ends.len()).sum();
    let hasher = foldhash::fast::FixedState::with_seed(11);
    let mut short: HashMap<ShortKey, (u32, u32), foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(total, hasher.clone());
    let mut long: HashMap<&[u8], (u32, u32), foldhash::fast::FixedState> =
        HashMap::with_hasher(hasher);
    for (k, s) in shards.iter().enumerate() {
        for i in 0..s.ends.len() {
            let id = s.id(i);
            if id.len() <= 8 {
                short.insert((prefix_key(id), id.len() as u32), (k as u32, i as u32));
            } else {
                long.insert(id, (k as u32, i as u32));
            }
        }
    }
    let n = summary.len();
    let buckets: usize = shards.iter().map(|s| s.month.len()).sum();
    let mut first_day = Vec::with_capacity(n);
    let mut monthly = MonthlyHistory {
        offsets: Vec::with_capacity(n + 1),
        month: Vec::with_capacity(buckets),
        revenue: Vec::with_capacity(buckets),
        orders: Vec::with_capacity(buckets),
    };
    monthly.offsets.push(0);
    for i in 0..n {
        let id = summary.customer_id(i).as_bytes();
        let found = if id.len() <= 8 {
            short.get(&(prefix_key(id), id.len() as u32))
        } else {
            long.get(id)
        };
        let &(k, j) = found.ok_or_else(|| {
            DataError::InvalidOptions(format!(
                "customer {:?} of the summary has no purchase history (an id that is not UTF-8?)",
                summary.customer_id(i)
            ))
        })?;
        let s = &shards[k as usize];
        let (a, b) = (
            s.offsets[j as usize] as usize,
            s.offsets[j as usize + 1] as usize,
        );
        first_day.push(s.first_day[j as usize]);
        monthly.month.extend_from_slice(&s.month[a..b]);
        monthly.revenue.extend_from_slice(&s.revenue[a..b]);
        monthly.orders.extend_from_slice(&s.orders[a..b]);
        monthly.offsets.push(monthly.month.len());
    }
    if total != n {
        return Err(DataError::InvalidOptions(format!(
            "{total} purchase histories for {n} summarised customers"
        )));
    }
    Ok(PurchaseHistory {
        first_day,
        monthly,
        observation_end: obs_end,
    })
}
