//! The transactions path: arbitrary bytes as a CSV file through
//! `clv_data::summarize_file` with the hand-written reader (the streaming
//! pass for files without quotes, the whole-file pass with quote parity and
//! the RFC 4180 state machine otherwise).
//!
//! Input: 3 option bytes, then the file.
//! * byte 0: bit 0 `skip_invalid`, bit 1 period convention, bits 2-3 time
//!   unit, bit 4 calibration end, bit 5 observation end, bit 6 user date
//!   format `%d/%m/%Y`, bit 7 zero amounts dropped;
//! * byte 1: delimiter (`,` `;` `\t` `|`, low 2 bits) and the offsets of the
//!   calibration / observation ends (upper bits, weeks after 2015-01-01);
//! * byte 2: threads of the second run (2 to 5).
//!
//! Every input is read twice, with 1 thread and with 2 to 5 threads; the
//! two results must be identical (summary, report, or error and its line).
//! Asserted invariants: a summary has finite `x >= 0` (an integer),
//! `0 <= t_x <= T`, `t_x = 0` and monetary value 0 when `x = 0`, finite
//! non-negative monetary values, ids unique and sorted, and its report's row
//! counts add up; an error is a typed `DataError` and a bad value or record
//! names a line that exists in the file.
#![no_main]

use clv_core::TimeUnit;
use clv_data::datafusion::arrow::array::Array as _;
use clv_data::{
    Convention, DataError, Location, NaiveDate, ReadOptions, Summary, SummaryOptions, ZeroAmounts,
    summarize_file,
};
use libfuzzer_sys::fuzz_target;

mod common;

fn options(flags: [u8; 3]) -> (ReadOptions, SummaryOptions, usize) {
    let [a, b, c] = flags;
    let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    let read = ReadOptions {
        skip_invalid: a & 1 != 0,
        date_format: (a & 0x40 != 0).then(|| "%d/%m/%Y".to_string()),
        delimiter: Some([b',', b';', b'\t', b'|'][(b & 3) as usize]),
        today: NaiveDate::from_ymd_opt(2030, 1, 1),
        ..Default::default()
    };
    let cal_weeks = ((b >> 2) & 7) as u64 * 2;
    let obs_weeks = cal_weeks + 1 + ((b >> 5) & 7) as u64 * 3;
    let summary = SummaryOptions {
        convention: if a & 2 != 0 {
            Convention::Period
        } else {
            Convention::Exact
        },
        time_unit: [
            TimeUnit::Day,
            TimeUnit::Week,
            TimeUnit::Month,
            TimeUnit::Year,
        ][((a >> 2) & 3) as usize],
        calibration_end: (a & 0x10 != 0).then(|| base + chrono::Duration::weeks(cal_weeks as i64)),
        observation_end: (a & 0x20 != 0).then(|| base + chrono::Duration::weeks(obs_weeks as i64)),
        zero_amounts: if a & 0x80 != 0 {
            ZeroAmounts::Drop
        } else {
            ZeroAmounts::Keep
        },
        threads: None,
    };
    (read, summary, 2 + (c % 4) as usize)
}

fn check_summary(s: &Summary, r: &clv_data::DataReport, opts: &SummaryOptions) {
    let n = s.len();
    assert!(n > 0, "a summary without customers");
    for v in [&s.recency, &s.age, &s.monetary_value] {
        assert_eq!(v.len(), n);
    }
    assert_eq!(s.customer_ids.len(), n);
    for i in 0..n {
        let (x, tx, t, m) = (s.frequency[i], s.recency[i], s.age[i], s.monetary_value[i]);
        assert!(x.is_finite() && x >= 0.0 && x.fract() == 0.0, "x = {x}");
        assert!(t.is_finite() && t >= 0.0, "T = {t}");
        assert!(
            tx.is_finite() && tx >= 0.0 && tx <= t,
            "t_x = {tx}, T = {t}"
        );
        assert!(m.is_finite() && m >= 0.0, "monetary value = {m}");
        if x == 0.0 {
            assert_eq!((tx, m), (0.0, 0.0));
        }
        assert!(!s.customer_id(i).trim().is_empty());
    }
    if let Some(h) = &s.holdout {
        // Whole periods under the period convention: 0 when the calibration
        // and observation ends fall in the same period (as in `lifetimes`).
        let positive = opts.convention == Convention::Exact;
        assert!(
            h.duration.is_finite() && h.duration >= 0.0 && (h.duration > 0.0 || !positive),
            "holdout duration {}",
            h.duration
        );
        for i in 0..n {
            let (f, m) = (h.frequency[i], h.monetary_value[i]);
            assert!(f.is_finite() && f >= 0.0 && f.fract() == 0.0);
            assert!(m.is_finite() && m >= 0.0, "holdout monetary value = {m}");
        }
    }
    // Ids unique and sorted: numerically when every id is an integer.
    let ids: Vec<&str> = (0..n).map(|i| s.customer_id(i)).collect();
    let ints: Option<Vec<i64>> = ids.iter().map(|id| int_id(id)).collect();
    // (Ids that are not UTF-8 are shown lossily, so two of them can look
    // alike: the order is checked on valid UTF-8 ids only.)
    if !ids.iter().any(|id| id.contains('\u{FFFD}')) {
        for w in ids.windows(2) {
            assert_ne!(w[0], w[1], "duplicate id");
        }
        let by_bytes = ids.windows(2).all(|w| w[0] < w[1]);
        // Integer ids sort numerically, unless a customer that is not in the
        // summary (dropped rows, late customers) had another id: the reader
        // decides the order from every kept row.
        let numerically = ints.is_some_and(|k| {
            (0..n.saturating_sub(1))
                .all(|i| (k[i], ids[i].as_bytes()) < (k[i + 1], ids[i + 1].as_bytes()))
        });
        assert!(by_bytes || numerically, "ids out of order: {ids:?}");
    }
    s.to_customer_data().expect("the core accepts the summary");
    // Every data row is accounted for exactly once.
    let zero_dropped = if opts.zero_amounts == ZeroAmounts::Drop {
        r.zero_rows
    } else {
        0
    };
    assert_eq!(
        r.rows_read,
        r.rows_used
            + r.negative_rows
            + zero_dropped
            + r.invalid_rows()
            + r.after_observation_end
            + r.late_customer_rows,
        "row counts do not add up: {r:?}"
    );
    assert_eq!(r.customers, n as u64);
    assert!(s.first_date <= s.calibration_end && s.calibration_end <= s.observation_end);
}

/// The integer sort key of an id (as the reader's: optional `-`, 1 to 18 digits).
fn int_id(id: &str) -> Option<i64> {
    let d = id.strip_prefix('-').unwrap_or(id);
    if d.is_empty() || d.len() > 18 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

fn check_error(e: &DataError, lines: u64) {
    match e {
        DataError::InvalidValue { location, .. } | DataError::InvalidRecord { location, .. } => {
            match location {
                Location::Line { line, .. } => {
                    assert!(*line >= 2 && *line <= lines, "line {line} of {lines}: {e}");
                }
                other => panic!("a CSV error located by {other:?}"),
            }
        }
        DataError::Empty { .. } | DataError::MissingColumn { .. } => {}
        // Options that cannot work with this data (a calibration end before
        // the first purchase, ...).
        DataError::InvalidOptions(_) => {}
        other => panic!("unexpected error kind: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (read, opts, threads) = options([data[0], data[1], data[2]]);
    let file = &data[3..];
    let path = common::scratch_file("tx", "csv", file);
    let lines = common::line_count(file);
    let run = |t: usize| {
        let read = ReadOptions {
            threads: Some(t),
            ..read.clone()
        };
        summarize_file(&path, &read, &opts)
    };
    let one = run(1);
    let many = run(threads);
    match (&one, &many) {
        (Ok((s1, r1)), Ok((s2, r2))) => {
            check_summary(s1, r1, &opts);
            assert_eq!(s1, s2, "summary depends on the thread count");
            // The negative total is a sum over parts: its rounding may
            // depend on the split.
            let (n1, n2) = (r1.negative_total, r2.negative_total);
            assert!((n1 - n2).abs() <= 1e-9 * n1.abs().max(1.0), "{n1} vs {n2}");
            let strip = |r: &clv_data::DataReport| {
                let mut r = r.clone();
                r.negative_total = 0.0;
                format!("{r:?}")
            };
            assert_eq!(strip(r1), strip(r2), "report depends on the thread count");
            if read.skip_invalid {
                let ls: Vec<u64> = r1
                    .invalid_examples
                    .iter()
                    .map(|x| match x.location {
                        Location::Line { line, .. } => line,
                        _ => panic!("not a line"),
                    })
                    .collect();
                assert!(ls.windows(2).all(|w| w[0] < w[1]), "example lines {ls:?}");
                assert!(ls.iter().all(|&l| l >= 2 && l <= lines));
            } else {
                assert_eq!(r1.invalid_rows(), 0);
            }
        }
        (Err(e1), Err(e2)) => {
            check_error(e1, lines);
            assert_eq!(
                e1.to_string(),
                e2.to_string(),
                "the error depends on the thread count"
            );
        }
        _ => panic!(
            "1 thread and {threads} threads disagree: {:?} vs {:?}",
            one.as_ref().map(|r| r.0.len()),
            many.as_ref().map(|r| r.0.len())
        ),
    }
});
