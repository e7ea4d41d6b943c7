//! Reads a transaction file, builds the summary and prints timings:
//!
//! ```text
//! cargo run --release -p clv-data --example summarize -- FILE
//!     [--reader auto|hand|datafusion] [--threads N] [--output OUT]
//!     [--unit day|week|month|year] [--period] [--calibration-end YYYY-MM-DD]
//!     [--observation-end YYYY-MM-DD]
//! ```
//!
//! With `--output`, the summary table is written there (format from the
//! extension) and the write is timed too. Used to measure the CSV-to-summary
//! hot path (for example under `/usr/bin/time -v`) and to cross-check the
//! conventions against other tools.

use std::time::Instant;

use clv_data::{Convention, CsvReader, NaiveDate, ReadOptions, SummaryOptions, summarize_file};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date as YYYY-MM-DD")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: summarize FILE [options]");
    let mut read = ReadOptions::default();
    let mut opts = SummaryOptions::default();
    let mut output = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().expect("flag value");
        match flag.as_str() {
            "--reader" => {
                read.csv_reader = match value().as_str() {
                    "auto" => CsvReader::Auto,
                    "hand" => CsvReader::HandWritten,
                    "datafusion" => CsvReader::DataFusion,
                    other => panic!("unknown reader {other}"),
                }
            }
            "--threads" => read.threads = Some(value().parse().expect("threads")),
            "--output" => output = Some(value()),
            "--unit" => opts.time_unit = value().parse().expect("time unit"),
            "--period" => opts.convention = Convention::Period,
            "--calibration-end" => opts.calibration_end = Some(date(&value())),
            "--observation-end" => opts.observation_end = Some(date(&value())),
            other => panic!("unknown flag {other}"),
        }
    }
    let t0 = Instant::now();
    let (summary, report) = summarize_file(path.as_ref(), &read, &opts).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    let dt = t0.elapsed();
    eprintln!("{report}");
    eprintln!(
        "{} customers in {:.3} s ({:?} reader); sum x = {}",
        summary.len(),
        dt.as_secs_f64(),
        read.csv_reader,
        summary.frequency.iter().sum::<f64>()
    );
    if let Some(out) = output {
        let path = std::path::Path::new(&out);
        let t0 = Instant::now();
        let table = summary.to_table();
        clv_data::write_table(&table, Some(path), clv_data::OutputFormat::from_path(path))
            .unwrap_or_else(|e| {
                eprintln!("error: {e}");
                std::process::exit(1)
            });
        eprintln!(
            "wrote {} rows to {out} in {:.3} s",
            table.num_rows(),
            t0.elapsed().as_secs_f64()
        );
    }
}
