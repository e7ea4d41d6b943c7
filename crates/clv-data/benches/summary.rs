//! CSV to per-customer summary: the hand-written reader against DataFusion's
//! CSV reader (same validation and aggregation downstream), and the in-memory
//! aggregation alone.
//!
//! The input is generated: 100,000 customers, about 300,000 rows, ISO dates.
//! Full-size measurements (1M customers) are made with the `summarize`
//! example under `/usr/bin/time -v`; see the crate docs.

use std::io::Write;
use std::time::Duration;

use clv_data::{CsvReader, ReadOptions, SummaryOptions, summarize, summarize_file};
use criterion::{Criterion, criterion_group, criterion_main};

/// A deterministic pseudo-random generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn transactions(customers: u64) -> (Vec<String>, Vec<i32>, Vec<f64>) {
    let mut rng = Rng(7);
    let (mut ids, mut days, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for c in 1..=customers {
        let first = 19_000 + (rng.next() % 365) as i32;
        let n = 1 + rng.next() % 5;
        let mut d = first;
        for _ in 0..n {
            ids.push(c.to_string());
            days.push(d);
            amounts.push(1.0 + (rng.next() % 10_000) as f64 / 100.0);
            d += 1 + (rng.next() % 60) as i32;
        }
    }
    (ids, days, amounts)
}

fn bench(c: &mut Criterion) {
    let (ids, days, amounts) = transactions(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tx.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        writeln!(f, "customer_id,date,amount").expect("write");
        for i in 0..ids.len() {
            let d = clv_data::date::from_days(days[i]);
            writeln!(f, "{},{},{}", ids[i], d, amounts[i]).expect("write");
        }
    }
    let opts = SummaryOptions::default();
    let mut g = c.benchmark_group("csv_to_summary_100k_customers");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, reader) in [
        ("hand_written", CsvReader::HandWritten),
        ("datafusion", CsvReader::DataFusion),
    ] {
        let read = ReadOptions {
            csv_reader: reader,
            ..Default::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| summarize_file(&path, &read, &opts).expect("summary"))
        });
    }
    g.finish();
    c.bench_function("in_memory_summary_100k_customers", |b| {
        b.iter(|| summarize(&ids, &days, &amounts, &opts).expect("summary"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
