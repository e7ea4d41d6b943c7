//! Golden tests: the published CDNOW summary (Fader, Hardie & Lee), rebuilt
//! from the raw transactions in `data/cdnow_sample.csv` with the `exact`
//! convention, weeks, calibration end 1997-09-30.

use std::path::PathBuf;

use clv_core::TimeUnit;
use clv_data::{
    Convention, CsvReader, NaiveDate, ReadOptions, Summary, SummaryOptions, ZeroAmounts,
    summarize_file,
};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn cdnow(reader: CsvReader) -> (Summary, clv_data::DataReport) {
    let read = ReadOptions {
        csv_reader: reader,
        ..Default::default()
    };
    let opts = SummaryOptions {
        time_unit: TimeUnit::Week,
        convention: Convention::Exact,
        calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30),
        // 8 customers' only purchase is worth $0.00: the published table
        // counts them (the default, stated here because it matters).
        zero_amounts: ZeroAmounts::Keep,
        ..Default::default()
    };
    summarize_file(&data("cdnow_sample.csv"), &read, &opts).unwrap()
}

#[test]
fn cdnow_summary_matches_the_published_table() {
    let (s, report) = cdnow(CsvReader::HandWritten);
    let expected =
        std::fs::read_to_string(data("cdnow_customers_summary_with_transactions.csv")).unwrap();
    let rows: Vec<Vec<String>> = expected
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(s.len(), rows.len());
    assert_eq!(s.len(), 2357);
    let close = |a: f64, b: &str| (a - b.parse::<f64>().unwrap()).abs() <= 0.005 + 1e-9;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(s.customer_id(i), r[0], "row {i}");
        assert!(
            close(s.frequency[i], &r[1]),
            "x of {}: {} vs {}",
            r[0],
            s.frequency[i],
            r[1]
        );
        assert!(
            close(s.recency[i], &r[2]),
            "t_x of {}: {} vs {}",
            r[0],
            s.recency[i],
            r[2]
        );
        assert!(
            close(s.age[i], &r[3]),
            "T of {}: {} vs {}",
            r[0],
            s.age[i],
            r[3]
        );
        assert!(
            close(s.monetary_value[i], &r[4]),
            "zbar of {}: {} vs {}",
            r[0],
            s.monetary_value[i],
            r[4]
        );
    }
    // Published totals.
    let h = s.holdout.as_ref().expect("holdout columns");
    let sum_x: f64 = s.frequency.iter().sum();
    let repeaters = s.frequency.iter().filter(|&&x| x > 0.0).count();
    let holdout_days: f64 = h.frequency.iter().sum();
    assert_eq!(sum_x, 2457.0);
    assert_eq!(repeaters, 946);
    assert_eq!(holdout_days, 1882.0);
    assert_eq!(sum_x + s.len() as f64 + holdout_days, 6696.0);
    assert_eq!(
        s.calibration_end,
        NaiveDate::from_ymd_opt(1997, 9, 30).unwrap()
    );
    assert_eq!(
        s.observation_end,
        NaiveDate::from_ymd_opt(1998, 6, 30).unwrap()
    );
    assert_eq!(s.first_date, NaiveDate::from_ymd_opt(1997, 1, 1).unwrap());
    assert!((h.duration - 273.0 / 7.0).abs() < 1e-12);
    // Every row accounted for.
    assert_eq!(report.rows_read, 6919);
    assert_eq!(report.rows_read, report.rows_used + report.rows_dropped());
    assert_eq!(report.customers, 2357);
    assert_eq!(report.zero_rows, 8);
    assert!(report.zero_rows_kept);
    s.to_customer_data().unwrap();
}

#[test]
fn dropping_zero_amounts_loses_the_eight_zero_value_customers() {
    let opts = SummaryOptions {
        calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30),
        zero_amounts: ZeroAmounts::Drop,
        ..Default::default()
    };
    let (s, r) = summarize_file(&data("cdnow_sample.csv"), &ReadOptions::default(), &opts).unwrap();
    assert_eq!(s.len(), 2349);
    assert_eq!(r.zero_rows, 8);
    assert!(r.to_string().contains("dropped 8 rows with zero amounts"));
    assert_eq!(r.rows_read, r.rows_used + r.rows_dropped());
}

#[test]
fn both_csv_readers_agree_on_cdnow() {
    let (a, ra) = cdnow(CsvReader::HandWritten);
    let (b, rb) = cdnow(CsvReader::DataFusion);
    assert_eq!(a, b);
    assert_eq!(ra.rows_read, rb.rows_read);
    assert_eq!(ra.rows_used, rb.rows_used);
    assert_eq!(ra.negative_rows, rb.negative_rows);
    assert_eq!(ra.zero_rows, rb.zero_rows);
}
