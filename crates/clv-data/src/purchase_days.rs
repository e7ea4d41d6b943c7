//! Purchases day by day, an aggregation of the ingest pipeline
//! ([`crate::ingest`] with [`Aggregations::purchase_days`]): how many
//! customers made their first purchase and how many repeat purchases were
//! made on each calendar day, for the tracking curve of holdout validation.
//!
//! The counts follow the summary's convention exactly, so that they add up
//! to the summary's columns: under [`Convention::Exact`] a customer's
//! purchases on one day are one purchase and the first purchase day is not a
//! repeat, so the repeats up to the calibration end sum to `Σ frequency` and
//! those after it to `Σ frequency_holdout`. Under [`Convention::Period`] the
//! purchases of one period (on one side of the calibration end) are one
//! purchase, counted on the first day of that period the customer bought.
//! Customers whose first purchase is after the calibration end, and rows
//! after the observation end, are left out as in the summary.
//!
//! ```
//! use clv_data::purchase_days::summarize_file_with_purchase_days;
//! use clv_data::{NaiveDate, ReadOptions, SummaryOptions};
//!
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample.csv");
//! let options = SummaryOptions {
//!     calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30),
//!     observation_end: NaiveDate::from_ymd_opt(1998, 6, 30),
//!     ..Default::default()
//! };
//! let (summary, _report, days) =
//!     summarize_file_with_purchase_days(path.as_ref(), &ReadOptions::default(), &options)?;
//! assert_eq!(days.first_date, summary.first_date);
//! assert_eq!(days.first_purchases.iter().sum::<u64>(), summary.len() as u64);
//! // 1,882 repeat purchase days in the holdout, as in the published summary.
//! let cal = days.offset(summary.calibration_end).unwrap();
//! assert_eq!(days.repeat_purchases[cal + 1..].iter().sum::<u64>(), 1882);
//! # Ok::<(), clv_data::DataError>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::date::{from_days, to_days};
use crate::error::{DataError, Result};
use crate::ingest::Aggregations;
use crate::read::ReadOptions;
use crate::report::DataReport;
use crate::rows::{Part, ReadStats};
use crate::source::FileSource;
use crate::summary::{Convention, Summary, SummaryOptions, period_index};

/// First and repeat purchases per calendar day, from the earliest first
/// purchase to the observation end (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseDays {
    /// The day of index 0: the earliest first purchase (the summary's `first_date`).
    pub first_date: NaiveDate,
    /// End of calibration (inclusive).
    pub calibration_end: NaiveDate,
    /// End of observation (inclusive), the day of the last index.
    pub observation_end: NaiveDate,
    /// Customers whose first purchase was on each day.
    pub first_purchases: Vec<u64>,
    /// Repeat purchases made on each day.
    pub repeat_purchases: Vec<u64>,
}

impl PurchaseDays {
    /// Number of days covered.
    pub fn len(&self) -> usize {
        self.repeat_purchases.len()
    }

    /// True when no day is covered.
    pub fn is_empty(&self) -> bool {
        self.repeat_purchases.is_empty()
    }

    /// The index of `date`, when covered.
    pub fn offset(&self, date: NaiveDate) -> Option<usize> {
        let k = to_days(date) - to_days(self.first_date);
        (k >= 0 && (k as usize) < self.len()).then_some(k as usize)
    }

    /// The date of index `i`.
    pub fn date(&self, i: usize) -> NaiveDate {
        from_days(to_days(self.first_date) + i as i32)
    }

    /// The last index of each of the consecutive periods of `days` days that
    /// tile the covered days with a boundary at index `anchor` (usually the
    /// calibration end): the indices `anchor ± k·days` in `1..len−1`, and the
    /// last index, increasing. The first and last periods may be shorter.
    pub fn period_ends(&self, days: usize, anchor: usize) -> Vec<usize> {
        let days = days.max(1);
        let last = self.len().saturating_sub(1);
        if last == 0 {
            return Vec::new();
        }
        let anchor = anchor.min(last);
        let first = anchor % days;
        let mut ends: Vec<usize> = (0..)
            .map(|k| first + k * days)
            .take_while(|&e| e < last)
            .filter(|&e| e > 0)
            .collect();
        ends.push(last);
        ends
    }

    /// Repeat purchases in each period `(previous end, end]` (the first from
    /// index 0) for increasing period ends such as [`PurchaseDays::period_ends`].
    /// Index 0 has no repeat purchase by construction.
    pub fn repeats_in_periods(&self, ends: &[usize]) -> Vec<u64> {
        let mut start = 0;
        ends.iter()
            .map(|&e| {
                let e = e.min(self.len().saturating_sub(1));
                let n = if start <= e {
                    self.repeat_purchases[start..=e].iter().sum()
                } else {
                    0
                };
                start = e + 1;
                n
            })
            .collect()
    }
}

/// Reads a transaction file once and returns the summary and data report of
/// [`crate::summarize_file`] together with the purchases per day (see the
/// module documentation): [`crate::ingest`] of a [`FileSource`] with
/// [`Aggregations::purchase_days`].
///
/// # Errors
///
/// As [`crate::summarize_file`].
pub fn summarize_file_with_purchase_days(
    path: &Path,
    read: &ReadOptions,
    options: &SummaryOptions,
) -> Result<(Summary, DataReport, PurchaseDays)> {
    let want = Aggregations {
        purchase_days: true,
        ..Default::default()
    };
    let out = crate::ingest(&FileSource::new(path), read, options, want)?;
    let days = out.purchase_days.expect("asked for");
    Ok((out.summary, out.report, days))
}

/// Counts indexed from the earliest valid row (`base`), before the
/// summary's dates are known for sure.
pub(crate) struct Counts {
    base: i32,
    cal_end: i32,
    obs_end: i32,
    births: Vec<u64>,
    repeats: Vec<u64>,
}

impl Counts {
    /// Re-bases the counts on the summary's first date and checks them
    /// against its dates.
    pub(crate) fn trim(self, s: &Summary) -> Result<PurchaseDays> {
        let first = to_days(s.first_date);
        if to_days(s.calibration_end) != self.cal_end || to_days(s.observation_end) != self.obs_end
        {
            return Err(DataError::InvalidOptions(format!(
                "internal: purchase-day counts resolved calibration end {} / observation end {} \
                 but the summary {} / {}",
                from_days(self.cal_end),
                from_days(self.obs_end),
                s.calibration_end,
                s.observation_end
            )));
        }
        let from = (first - self.base).max(0) as usize;
        let to = (self.obs_end - self.base) as usize + 1;
        let slice = |v: &[u64]| -> Vec<u64> {
            (from..to).map(|i| v.get(i).copied().unwrap_or(0)).collect()
        };
        Ok(PurchaseDays {
            first_date: s.first_date,
            calibration_end: s.calibration_end,
            observation_end: s.observation_end,
            first_purchases: slice(&self.births),
            repeat_purchases: slice(&self.repeats),
        })
    }
}

/// Counts births and repeat purchases per day over the read parts, with the
/// calibration and observation ends resolved as [`summary::build`] does
/// (`None` when there are no valid rows; `build` then reports the error).
pub(crate) fn count_days(
    parts: &[Part<'_>],
    stats: &ReadStats,
    options: &SummaryOptions,
    threads: usize,
) -> Option<Counts> {
    if stats.max_day < stats.min_day {
        return None;
    }
    let base = stats.min_day;
    let obs_end = options.observation_end.map_or(stats.max_day, to_days);
    let cal_end = options.calibration_end.map_or(obs_end, to_days);
    if obs_end < base || cal_end < base {
        return None; // build reports these
    }
    let span = (obs_end - base) as usize + 1;
    let nshards = parts.first().map_or(0, |p| p.shards.len());
    let threads = threads.clamp(1, nshards.max(1));
    let key = |day: i32| -> (bool, i64) {
        let side = day > cal_end;
        match options.convention {
            Convention::Exact => (side, day as i64),
            Convention::Period => (side, period_index(day, options.time_unit)),
        }
    };
    let work = |range: std::ops::Range<usize>| -> (Vec<u64>, Vec<u64>) {
        let mut births = vec![0u64; span];
        let mut repeats = vec![0u64; span];
        let mut ids: HashMap<(u64, usize, &[u8]), u32> = HashMap::new();
        let mut rows: Vec<(u32, i32)> = Vec::new();
        for s in range {
            ids.clear();
            rows.clear();
            for part in parts {
                for row in &part.shards[s] {
                    if row.day > obs_end {
                        continue;
                    }
                    let len = row.id_len();
                    let long: &[u8] = if len > 8 { part.id(row.id) } else { &[] };
                    let next = ids.len() as u32;
                    let c = *ids.entry((row.prefix, len, long)).or_insert(next);
                    rows.push((c, row.day));
                }
            }
            rows.sort_unstable();
            let mut i = 0;
            while i < rows.len() {
                let c = rows[i].0;
                let mut j = i;
                while j < rows.len() && rows[j].0 == c {
                    j += 1;
                }
                let days = &rows[i..j];
                i = j;
                let birth = days[0].1;
                if birth > cal_end {
                    continue; // first purchase after calibration: not a customer
                }
                births[(birth - base) as usize] += 1;
                let mut last = key(birth);
                for &(_, d) in &days[1..] {
                    let k = key(d);
                    if k != last {
                        repeats[(d - base) as usize] += 1;
                        last = k;
                    }
                }
            }
        }
        (births, repeats)
    };
    let ranges: Vec<std::ops::Range<usize>> = (0..threads)
        .map(|t| t * nshards / threads..(t + 1) * nshards / threads)
        .collect();
    let results: Vec<(Vec<u64>, Vec<u64>)> = if threads <= 1 {
        ranges.into_iter().map(work).collect()
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = ranges
                .into_iter()
                .map(|r| {
                    let work = &work;
                    sc.spawn(move || work(r))
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("counting thread panicked"))
                .collect()
        })
    };
    let mut births = vec![0u64; span];
    let mut repeats = vec![0u64; span];
    for (b, r) in results {
        for (total, n) in births.iter_mut().zip(b) {
            *total += n;
        }
        for (total, n) in repeats.iter_mut().zip(r) {
            *total += n;
        }
    }
    Some(Counts {
        base,
        cal_end,
        obs_end,
        births,
        repeats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clv_core::TimeUnit;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("clv-days-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Customer a: 2020-01-01 (twice), 01-03, 01-06 (after calibration);
    /// b: 01-02, 01-02, 01-05; c: first purchase 01-06, after calibration
    /// (not a customer); d: a return only (dropped). Calibration to 01-04,
    /// observation to 01-06 (a row on 01-07 is dropped).
    const LOG: &str = "customer_id,date,amount\n\
        a,2020-01-01,5\na,2020-01-01,7\nb,2020-01-02,3\na,2020-01-03,4\nb,2020-01-02,1\n\
        b,2020-01-05,2\na,2020-01-06,1\nc,2020-01-06,9\nd,2020-01-03,-4\na,2020-01-07,8\n";

    fn options() -> SummaryOptions {
        SummaryOptions {
            time_unit: TimeUnit::Day,
            calibration_end: Some(date("2020-01-04")),
            observation_end: Some(date("2020-01-06")),
            ..Default::default()
        }
    }

    #[test]
    fn exact_counts_by_hand() {
        let p = write("exact", LOG);
        let (s, _, d) =
            summarize_file_with_purchase_days(&p, &ReadOptions::default(), &options()).unwrap();
        assert_eq!(d.first_date, date("2020-01-01"));
        assert_eq!(d.observation_end, date("2020-01-06"));
        // Days 01-01 .. 01-06.
        assert_eq!(d.first_purchases, [1, 1, 0, 0, 0, 0]);
        assert_eq!(d.repeat_purchases, [0, 0, 1, 0, 1, 1]);
        // They agree with the summary's columns.
        let cal = d.offset(s.calibration_end).unwrap();
        assert_eq!(cal, 3);
        let x: f64 = s.frequency.iter().sum();
        let y: f64 = s.holdout.as_ref().unwrap().frequency.iter().sum();
        assert_eq!(d.repeat_purchases[..=cal].iter().sum::<u64>() as f64, x);
        assert_eq!(d.repeat_purchases[cal + 1..].iter().sum::<u64>() as f64, y);
        // Periods of two days with a boundary at the calibration end
        // (index 3): ends 1, 3, 5; repeats in [0, 1], [2, 3], [4, 5].
        let ends = d.period_ends(2, cal);
        assert_eq!(ends, [1, 3, 5]);
        assert_eq!(d.repeats_in_periods(&ends), [0, 1, 2]);
        // Three-day periods anchored at index 3: ends 3, 5 (the last is short).
        assert_eq!(d.period_ends(3, 3), [3, 5]);
        assert_eq!(d.period_ends(7, 3), [3, 5]);
        assert_eq!(d.date(5), date("2020-01-06"));
        // Identical whatever the number of threads.
        let one = ReadOptions {
            threads: Some(1),
            ..Default::default()
        };
        let (_, _, d1) = summarize_file_with_purchase_days(&p, &one, &options()).unwrap();
        assert_eq!(d1, d);
    }

    #[test]
    fn period_counts_merge_a_period_on_each_side_of_the_calibration_end() {
        // Weeks run Monday to Sunday: 2020-01-01 (Wed) .. 01-05 (Sun) is one
        // week, 01-06 (Mon) the next. a: week 1 (birth; 01-03 is the same
        // week), week 2 in the holdout; b: week 1 birth, then 01-05 is the
        // same week but after the calibration end: a holdout repeat.
        let p = write("period", LOG);
        let opts = SummaryOptions {
            convention: Convention::Period,
            time_unit: TimeUnit::Week,
            ..options()
        };
        let (s, _, d) =
            summarize_file_with_purchase_days(&p, &ReadOptions::default(), &opts).unwrap();
        assert_eq!(d.repeat_purchases, [0, 0, 0, 0, 1, 1]);
        let x: f64 = s.frequency.iter().sum();
        let y: f64 = s.holdout.as_ref().unwrap().frequency.iter().sum();
        assert_eq!((x, y), (0.0, 2.0));
    }

    #[test]
    fn errors_are_those_of_the_summary() {
        let p = write("bad", "customer_id,date,amount\na,2020-01-01,x\n");
        let e =
            summarize_file_with_purchase_days(&p, &ReadOptions::default(), &options()).unwrap_err();
        assert!(e.to_string().contains(":2: column \"amount\""), "{e}");
    }
}
