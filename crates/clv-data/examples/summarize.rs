//! Reads a transaction file, builds the summary and prints timings:
//! `cargo run --release -p clv-data --example summarize -- FILE [auto|hand|datafusion] [THREADS] [OUTPUT]`
//! (with OUTPUT, the summary table is written there, format from its
//! extension, and the write is timed too).
//!
//! Used to measure the CSV-to-summary hot path (for example under
//! `/usr/bin/time -v`).

use std::time::Instant;

use clv_data::{CsvReader, ReadOptions, SummaryOptions, summarize_file};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: summarize FILE [auto|hand|datafusion] [THREADS]");
    let reader = match args.next().as_deref() {
        None | Some("auto") => CsvReader::Auto,
        Some("hand") => CsvReader::HandWritten,
        Some("datafusion") => CsvReader::DataFusion,
        Some(other) => panic!("unknown reader {other}"),
    };
    let threads = args
        .next()
        .filter(|t| t != "-")
        .map(|t| t.parse().expect("threads"));
    let output = args.next();
    let read = ReadOptions {
        csv_reader: reader,
        threads,
        ..Default::default()
    };
    let t0 = Instant::now();
    let (summary, report) = summarize_file(path.as_ref(), &read, &SummaryOptions::default())
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
    let dt = t0.elapsed();
    eprintln!("{report}");
    eprintln!(
        "{} customers in {:.3} s ({:?} reader); sum x = {}",
        summary.len(),
        dt.as_secs_f64(),
        reader,
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
