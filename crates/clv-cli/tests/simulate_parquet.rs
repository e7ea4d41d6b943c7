//! `clv simulate --output log.parquet`: the same purchases as the CSV log of
//! the same seed, streamed in row groups, read back by every reader.

mod common;

use common::*;

#[test]
fn parquet_log_summarises_like_the_csv_log_of_the_same_seed() {
    let dir = scratch("simulate-parquet");
    let csv = dir.join("log.csv").display().to_string();
    let parquet = dir.join("log.parquet").display().to_string();
    let sim = |out: &str| {
        clv_ok(&[
            "simulate",
            "--customers",
            "20000",
            "--start",
            "2024-01-01",
            "--days",
            "365",
            "--params",
            "r=0.5,alpha=4,a=0.8,b=2.5",
            "--seed",
            "7",
            "--output",
            out,
            "-q",
        ])
    };
    sim(&csv);
    sim(&parquet);
    let bytes = std::fs::read(&parquet).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    let from_csv = clv_ok(&["summarize", &csv, "--calibration-end", "2024-09-30"]);
    let from_parquet = clv_ok(&["summarize", &parquet, "--calibration-end", "2024-09-30"]);
    assert!(from_csv.lines().count() > 10_000);
    assert!(
        from_csv == from_parquet,
        "the Parquet log summarises differently"
    );
    // And through SQL: the Parquet log is a table like any file.
    let queried = clv_ok(&[
        "summarize",
        &parquet,
        "--calibration-end",
        "2024-09-30",
        "--query",
        "SELECT * FROM log",
    ]);
    assert!(
        queried == from_parquet,
        "the query over the Parquet log differs"
    );
}

#[test]
fn parquet_output_with_channels_is_refused() {
    let dir = scratch("simulate-parquet-channels");
    let out = dir.join("log.parquet").display().to_string();
    fails_with(
        &[
            "simulate",
            "--customers",
            "10",
            "--start",
            "2024-01-01",
            "--days",
            "30",
            "--params",
            "r=0.5,alpha=4,a=0.8,b=2.5",
            "--channels",
            "ads:1:10",
            "--output",
            &out,
        ],
        "with --channels, write CSV",
    );
    assert!(!std::path::Path::new(&out).exists());
}
