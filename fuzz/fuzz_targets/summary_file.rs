//! `clv_data::read_summary_file`: arbitrary bytes as a summary CSV file.
//!
//! Input: 1 option byte (delimiter: `,` `;` `\t` or the default), then the file.
//!
//! Asserted invariants: a table has one entry per non-blank data record in
//! every column, `x` a finite non-negative integer, `0 <= t_x <= T`
//! (within the reader's 1e-12 relative slack), `t_x = 0` when `x = 0`,
//! finite positive weights, finite non-negative monetary values and
//! non-empty ids; an error is a typed `DataError`, and a bad value or
//! record names a line that exists in the file.
#![no_main]

use clv_data::{DataError, Location, read_summary_file};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&opt, file)) = data.split_first() else {
        return;
    };
    let delimiter = [Some(b','), Some(b';'), Some(b'\t'), None][(opt & 3) as usize];
    let path = common::scratch_file("summary", "csv", file);
    let lines = common::line_count(file);
    match read_summary_file(&path, delimiter) {
        Ok(t) => {
            let n = t.customer_ids.len();
            assert!(n > 0);
            assert!(n as u64 <= lines, "{n} rows from {lines} lines");
            for v in [&t.frequency, &t.recency, &t.age, &t.weight] {
                assert_eq!(v.len(), n);
            }
            for i in 0..n {
                let (x, tx, age, w) = (t.frequency[i], t.recency[i], t.age[i], t.weight[i]);
                assert!(x.is_finite() && x >= 0.0 && x.fract() == 0.0, "x = {x}");
                assert!(age.is_finite() && age >= 0.0, "T = {age}");
                assert!(
                    tx.is_finite() && tx >= 0.0 && tx <= age * (1.0 + 1e-12),
                    "t_x = {tx}, T = {age}"
                );
                if x == 0.0 {
                    assert_eq!(tx, 0.0);
                }
                assert!(w.is_finite() && w > 0.0, "weight = {w}");
                assert!(!t.customer_ids[i].is_empty());
            }
            if let Some(m) = &t.monetary_value {
                assert_eq!(m.len(), n);
                assert!(m.iter().all(|v| v.is_finite() && *v >= 0.0));
            }
        }
        Err(e) => match &e {
            DataError::InvalidValue { location, .. }
            | DataError::InvalidRecord { location, .. } => match location {
                Location::Line { line, .. } => {
                    assert!(*line >= 2 && *line <= lines, "line {line} of {lines}: {e}")
                }
                other => panic!("located by {other:?}"),
            },
            DataError::Empty { .. } | DataError::MissingColumn { .. } => {}
            other => panic!("unexpected error kind: {other:?}"),
        },
    }
});
