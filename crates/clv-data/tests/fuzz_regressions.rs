//! Inputs on which the fuzz targets in `fuzz/` (see `fuzz/README.md`) found
//! a bug, one test each, named after what it found.

use std::path::PathBuf;

use clv_data::{NaiveDate, ReadOptions, SummaryOptions, summarize_file};

/// Writes `bytes` as `name` in a fresh temporary directory.
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn read_options(threads: usize) -> ReadOptions {
    ReadOptions {
        threads: Some(threads),
        today: NaiveDate::from_ymd_opt(2030, 1, 1),
        ..Default::default()
    }
}

/// `csv_summary` (artifact crash-87c240a7…, 4 threads): a quote inside an
/// unquoted field (`3\x01""d"`) made the quote-parity split put a chunk start
/// inside the quoted field `"multi\nline"`: 4 threads failed with
/// `line 4: expected at least 3 fields, found 1` where 1 thread read 3
/// customers.
#[test]
fn a_quote_inside_an_unquoted_field_does_not_split_chunks_inside_a_quoted_field() {
    let csv: &[u8] = b"\"customer_id\",\"date\",\"amount\"\n\"a,b\",2015-01-02,10\n3\x01\"\"d\",\"2015-01-03T10:00:00Z\",1.5\n\"multi\nline\",20150105,3\n\"a,b\",2015-02-02,\"4\"\n";
    let (_dir, path) = file("tx.csv", csv);
    let opts = SummaryOptions::default();
    let (one, _) = summarize_file(&path, &read_options(1), &opts).unwrap();
    let ids: Vec<&str> = (0..one.len()).map(|i| one.customer_id(i)).collect();
    assert_eq!(ids, ["3\x01\"\"d\"", "a,b", "multi\nline"]);
    for threads in 2..=8 {
        let (many, _) = summarize_file(&path, &read_options(threads), &opts)
            .unwrap_or_else(|e| panic!("{threads} threads: {e}"));
        assert_eq!(many, one, "{threads} threads");
    }
}

/// `csv_summary` (artifact crash-173076d5…, 4 threads): the same split bug
/// seen through an error: a record that starts a quoted field it never
/// closes properly must be reported at the same line whatever the thread
/// count.
#[test]
fn the_error_line_does_not_depend_on_the_thread_count_with_stray_quotes() {
    let csv: &[u8] = b"\"customer_id\",\"date\",\"amount\"\n\"\"c\"\"d\",\"10\n\"c\"\"d\",,3\n\"a,b\",2015-02-02,\"4\"\n";
    let (_dir, path) = file("tx.csv", csv);
    let opts = SummaryOptions::default();
    let one = summarize_file(&path, &read_options(1), &opts)
        .unwrap_err()
        .to_string();
    assert!(one.contains("tx.csv:2: column \"date\""), "{one}");
    for threads in 2..=8 {
        let many = summarize_file(&path, &read_options(threads), &opts)
            .unwrap_err()
            .to_string();
        assert_eq!(many, one, "{threads} threads");
    }
}

/// `date_parser` (artifact crash-2fb724a1…): `from_days` is documented to
/// saturate outside chrono's range, but `civil_from_days` computed
/// `days + 719_468` in `i32` and overflowed (a panic with overflow checks)
/// for days near `i32::MAX`, such as 0x7fff2cff.
#[test]
fn from_days_saturates_instead_of_overflowing_near_i32_max() {
    use clv_data::date::{civil_from_days, from_days, to_days};
    assert_eq!(from_days(0x7fff_2cff), NaiveDate::MAX);
    assert_eq!(from_days(i32::MAX), NaiveDate::MAX);
    assert_eq!(from_days(i32::MIN), NaiveDate::MIN);
    let (y, m, d) = civil_from_days(i32::MAX);
    assert!(y > 5_000_000 && (1..=12).contains(&m) && (1..=31).contains(&d));
    // Within chrono's range nothing changes.
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        assert_eq!(from_days(to_days(date)), date);
    }
}
