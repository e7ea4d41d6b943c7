//! Each customer's purchase rows beside the per-customer summary, for pages
//! that show a customer's history and for scoring one customer again.
//!
//! An aggregation of the ingest pipeline ([`crate::ingest`] with
//! [`Aggregations::purchases`]): on the same read as the [`Summary`], the
//! rows the summary used (the same invalid, negative, zero-amount per
//! [`crate::ZeroAmounts`] and after-observation-end rows dropped), as
//! `(day, amount)` per customer in the summary's row order, sorted by day.
//! Several rows on one day stay several rows (the summary's conventions
//! merge them; a history shows rows). With a calibration end the rows up to
//! the observation end are kept (the holdout's too); customers whose first
//! purchase is after the calibration end are not in the summary and not here.
//! Every [`crate::Source`] goes through the same rows, so this holds for CSV,
//! Parquet and JSON alike.

use hashbrown::HashMap;
use rayon::prelude::*;

use crate::date::{from_days, to_days};
use crate::error::{DataError, Result};
#[cfg(doc)]
use crate::ingest::Aggregations;
use crate::rows::{Part, ReadStats, prefix_key};
use crate::summary::{Summary, SummaryOptions};
use chrono::NaiveDate;

/// Each customer's purchase rows (day and amount), in the summary's row
/// order, sorted by day (rows of one day in input order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purchases {
    /// Customer `i`'s rows are `offsets[i]..offsets[i + 1]` of `days` and
    /// `amounts` (length: customers + 1).
    pub offsets: Vec<usize>,
    /// Purchase days (days since 1970-01-01).
    pub days: Vec<i32>,
    /// Purchase amounts.
    pub amounts: Vec<f64>,
}

impl Purchases {
    /// Customer `i`'s days and amounts (same length). Panics when `i` is
    /// out of range.
    pub fn of(&self, i: usize) -> (&[i32], &[f64]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.days[a..b], &self.amounts[a..b])
    }

    /// Customer `i`'s purchases as `(date, amount)`.
    pub fn dated(&self, i: usize) -> Vec<(NaiveDate, f64)> {
        let (d, a) = self.of(i);
        d.iter().zip(a).map(|(&d, &a)| (from_days(d), a)).collect()
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of purchase rows of all customers.
    pub fn rows(&self) -> usize {
        self.days.len()
    }
}

/// One shard's customers and their rows.
#[derive(Default)]
struct ShardRows {
    arena: Vec<u8>,
    ends: Vec<u32>,
    /// Customer `c`'s rows are `offsets[c]..offsets[c + 1]`.
    offsets: Vec<usize>,
    days: Vec<i32>,
    amounts: Vec<f64>,
}

impl ShardRows {
    fn id(&self, i: usize) -> &[u8] {
        let a = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.arena[a..self.ends[i] as usize]
    }
}

/// Ids of at most 8 bytes are keyed by their inline bytes and length.
type ShortKey = (u64, u32);

fn reduce_shard(parts: &[Part<'_>], s: usize, obs_end: i32) -> ShardRows {
    let mut out = ShardRows {
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
    let mut counts: Vec<usize> = Vec::with_capacity(total / 2 + 16);
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
    for &n in &counts {
        out.offsets.push(out.offsets.last().expect("offsets") + n);
    }
    let mut fill: Vec<usize> = out.offsets[..ncust].to_vec();
    let mut grouped: Vec<(i32, f64)> = vec![(0, 0.0); out.offsets[ncust]];
    let mut r = 0usize;
    for part in parts {
        for row in &part.shards[s] {
            let c = row_cust[r];
            r += 1;
            if c != u32::MAX {
                let k = &mut fill[c as usize];
                grouped[*k] = (row.day, row.amount);
                *k += 1;
            }
        }
    }
    // 3. Sort each customer's rows by day (stable: same-day order kept).
    for c in 0..ncust {
        let rows = &mut grouped[out.offsets[c]..out.offsets[c + 1]];
        if !rows.is_sorted_by_key(|x| x.0) {
            rows.sort_by_key(|x| x.0);
        }
    }
    out.days = grouped.iter().map(|r| r.0).collect();
    out.amounts = grouped.iter().map(|r| r.1).collect();
    out
}

/// The rows of every shard's customers, before the summary's order is known.
pub(crate) struct PurchaseShards {
    shards: Vec<ShardRows>,
    cal_end: i32,
}

/// Groups the rows up to the observation end (given, or the last valid
/// row's day) by customer, one shard per task.
pub(crate) fn collect(
    parts: &[Part<'_>],
    stats: &ReadStats,
    options: &SummaryOptions,
) -> PurchaseShards {
    let obs_end = match options.observation_end {
        Some(d) => to_days(d),
        None => stats.max_day,
    };
    let cal_end = options.calibration_end.map_or(obs_end, to_days);
    let shards: Vec<ShardRows> = if stats.max_day >= stats.min_day {
        let nshards = parts.first().map_or(0, |p| p.shards.len());
        (0..nshards)
            .into_par_iter()
            .map(|s| reduce_shard(parts, s, obs_end))
            .collect()
    } else {
        Vec::new()
    };
    PurchaseShards { shards, cal_end }
}

impl PurchaseShards {
    /// The purchases in the summary's row order. Customers whose first
    /// purchase is after the calibration end are left out, as in the summary.
    pub(crate) fn align(self, summary: &Summary) -> Result<Purchases> {
        let shards = &self.shards;
        let hasher = foldhash::fast::FixedState::with_seed(11);
        let total: usize = shards.iter().map(|s| s.ends.len()).sum();
        let mut short: HashMap<ShortKey, (u32, u32), foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(total, hasher.clone());
        let mut long: HashMap<&[u8], (u32, u32), foldhash::fast::FixedState> =
            HashMap::with_hasher(hasher);
        let mut in_summary = 0usize;
        for (k, s) in shards.iter().enumerate() {
            for i in 0..s.ends.len() {
                // Rows are sorted by day: the first is the first purchase.
                if s.days[s.offsets[i]] > self.cal_end {
                    continue;
                }
                in_summary += 1;
                let id = s.id(i);
                if id.len() <= 8 {
                    short.insert((prefix_key(id), id.len() as u32), (k as u32, i as u32));
                } else {
                    long.insert(id, (k as u32, i as u32));
                }
            }
        }
        let n = summary.len();
        if in_summary != n {
            return Err(DataError::InvalidOptions(format!(
                "{in_summary} customers with purchases for {n} summarised customers"
            )));
        }
        let rows: usize = shards.iter().map(|s| s.days.len()).sum();
        let mut out = Purchases {
            offsets: Vec::with_capacity(n + 1),
            days: Vec::with_capacity(rows),
            amounts: Vec::with_capacity(rows),
        };
        out.offsets.push(0);
        for i in 0..n {
            let id = summary.customer_id(i).as_bytes();
            let found = if id.len() <= 8 {
                short.get(&(prefix_key(id), id.len() as u32))
            } else {
                long.get(id)
            };
            let &(k, j) = found.ok_or_else(|| {
                DataError::InvalidOptions(format!(
                    "customer {:?} of the summary has no purchases (an id that is not UTF-8?)",
                    summary.customer_id(i)
                ))
            })?;
            let s = &shards[k as usize];
            let (a, b) = (s.offsets[j as usize], s.offsets[j as usize + 1]);
            out.days.extend_from_slice(&s.days[a..b]);
            out.amounts.extend_from_slice(&s.amounts[a..b]);
            out.offsets.push(out.days.len());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Aggregations, ingest};
    use crate::read::{CsvReader, ReadOptions};
    use crate::source::FileSource;
    use crate::summary::ZeroAmounts;
    use clv_core::TimeUnit;

    /// Rows out of order, two rows on one day, a negative row, a zero row,
    /// a malformed amount, a row after the observation end, a customer whose
    /// first purchase is after the calibration end used below.
    const LOG: &str = "customer_id,date,amount\n\
        a,2020-01-03,4\na,2020-01-01,5\nb,2020-01-02,3\na,2020-01-01,7\nb,2020-01-02,1\n\
        b,2020-02-05,2\na,2020-03-06,1\nc,2020-01-06,9\nd,2020-01-03,-4\nc,2020-01-07,0\n\
        e,2020-02-20,6\nb,2020-04-02,8\nc,2020-01-08,x\n";

    fn day(y: i32, m: u32, d: u32) -> i32 {
        to_days(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn run(options: &SummaryOptions) -> (Summary, Purchases) {
        run_with(options, CsvReader::HandWritten)
    }

    fn run_with(options: &SummaryOptions, reader: CsvReader) -> (Summary, Purchases) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, LOG).unwrap();
        let read = ReadOptions {
            skip_invalid: true,
            csv_reader: reader,
            ..Default::default()
        };
        let want = Aggregations {
            purchases: true,
            ..Default::default()
        };
        let out = ingest(&FileSource::new(&path), &read, options, want).unwrap();
        (out.summary, out.purchases.unwrap())
    }

    fn base() -> SummaryOptions {
        SummaryOptions {
            time_unit: TimeUnit::Day,
            observation_end: NaiveDate::from_ymd_opt(2020, 3, 31),
            threads: Some(2),
            ..Default::default()
        }
    }

    #[test]
    fn purchases_are_the_rows_the_summary_used_by_day() {
        let (s, p) = run(&base());
        let ids: Vec<&str> = (0..s.len()).map(|i| s.customer_id(i)).collect();
        assert_eq!(ids, ["a", "b", "c", "e"]);
        assert_eq!(p.len(), 4);
        // Same-day rows stay apart, in input order; sorted by day.
        assert_eq!(
            p.of(0),
            (
                &[
                    day(2020, 1, 1),
                    day(2020, 1, 1),
                    day(2020, 1, 3),
                    day(2020, 3, 6)
                ][..],
                &[5.0, 7.0, 4.0, 1.0][..]
            )
        );
        // The row after the observation end is dropped.
        assert_eq!(
            p.of(1),
            (
                &[day(2020, 1, 2), day(2020, 1, 2), day(2020, 2, 5)][..],
                &[3.0, 1.0, 2.0][..]
            )
        );
        // A zero amount is kept by default; the malformed row is skipped.
        assert_eq!(
            p.of(2),
            (&[day(2020, 1, 6), day(2020, 1, 7)][..], &[9.0, 0.0][..])
        );
        assert_eq!(p.of(3), (&[day(2020, 2, 20)][..], &[6.0][..]));
        assert_eq!(p.rows(), 10);
        assert_eq!(
            p.dated(3),
            vec![(NaiveDate::from_ymd_opt(2020, 2, 20).unwrap(), 6.0)]
        );
        // Counts and sums agree with the summary's totals.
        let totals = s.totals.as_ref().unwrap();
        for i in 0..s.len() {
            let (d, a) = p.of(i);
            assert_eq!(d.len() as f64, totals.orders[i], "customer {i}");
            assert_eq!(a.iter().sum::<f64>(), totals.revenue[i], "customer {i}");
        }
    }

    #[test]
    fn zero_amounts_dropped_here_as_in_the_summary() {
        let options = SummaryOptions {
            zero_amounts: ZeroAmounts::Drop,
            ..base()
        };
        let (s, p) = run(&options);
        assert_eq!(p.of(2), (&[day(2020, 1, 6)][..], &[9.0][..]));
        assert_eq!(s.totals.as_ref().unwrap().orders[2], 1.0);
    }

    #[test]
    fn with_a_calibration_end_rows_run_to_the_observation_end() {
        let options = SummaryOptions {
            calibration_end: NaiveDate::from_ymd_opt(2020, 2, 10),
            ..base()
        };
        let (s, p) = run(&options);
        // e's first purchase is after the calibration end: not summarised.
        let ids: Vec<&str> = (0..s.len()).map(|i| s.customer_id(i)).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(p.len(), 3);
        // The holdout rows (a on 2020-03-06) are kept; after the observation end not.
        assert_eq!(p.of(0).0.last(), Some(&day(2020, 3, 6)));
        assert_eq!(p.of(1).0.last(), Some(&day(2020, 2, 5)));
        let cal = day(2020, 2, 10);
        let totals = s.totals.as_ref().unwrap();
        for i in 0..s.len() {
            let (d, a) = p.of(i);
            let n = d.iter().filter(|&&d| d <= cal).count();
            let sum: f64 = a[..n].iter().sum();
            assert_eq!(n as f64, totals.orders[i], "customer {i}");
            assert_eq!(sum, totals.revenue[i], "customer {i}");
        }
    }

    #[test]
    fn no_observation_end_means_the_last_row() {
        let options = SummaryOptions {
            observation_end: None,
            ..base()
        };
        let (s, p) = run(&options);
        assert_eq!(
            s.observation_end,
            NaiveDate::from_ymd_opt(2020, 4, 2).unwrap()
        );
        assert_eq!(p.of(1).0.last(), Some(&day(2020, 4, 2)));
        assert_eq!(p.rows(), 11);
    }

    #[test]
    fn datafusion_reader_gives_the_same_purchases() {
        // DataFusion reads Parquet and JSON into the same row parts as this CSV.
        for options in [
            base(),
            SummaryOptions {
                calibration_end: NaiveDate::from_ymd_opt(2020, 2, 10),
                ..base()
            },
        ] {
            assert_eq!(run_with(&options, CsvReader::DataFusion), run(&options));
        }
    }

    #[test]
    fn json_input_gives_the_same_purchases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let mut json = String::new();
        for line in LOG.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[2].parse::<f64>().is_ok() {
                json.push_str(&format!(
                    "{{\"customer_id\":\"{}\",\"date\":\"{}\",\"amount\":{}}}\n",
                    f[0], f[1], f[2]
                ));
            }
        }
        std::fs::write(&path, json).unwrap();
        let want = Aggregations {
            purchases: true,
            ..Default::default()
        };
        let out = ingest(
            &FileSource::new(&path),
            &ReadOptions::default(),
            &base(),
            want,
        )
        .unwrap();
        let (s, p) = run(&base());
        assert_eq!(out.summary, s);
        assert_eq!(out.purchases.unwrap(), p);
    }
}
