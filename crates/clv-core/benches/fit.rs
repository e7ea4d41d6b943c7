//! Fit benchmarks on 1,000,000 simulated customers (CDNOW-like BG/NBD and
//! Gamma-Gamma parameters, observed to week 78, times rounded to whole days
//! and expressed in weeks, as real data are).
//!
//! Two data sets: `fit_1m` acquires customers over 52 weeks; `fit_1m_cli`
//! is shaped like the summary the CLI fits in the end-to-end run (12 weeks
//! of acquisition, so about half the customers are repeat buyers and about
//! 217,000 distinct `(x, t_x, T)` rows; mean spends rounded to cents, i.e.
//! continuous and almost all distinct).
//!
//! Run: `cargo bench -p clv-core --bench fit`.

use std::hint::black_box;

use clv_core::CustomerData;
use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::sim::Simulation;
use criterion::{Criterion, criterion_group, criterion_main};

/// `(data, mean repeat spend)` with times floored to days, in weeks, and
/// mean spends rounded to cents; customers acquired over `acquisition` weeks.
fn daily_data(customers: usize, acquisition: f64) -> (CustomerData, Vec<f64>) {
    let end = 78.0;
    let sim = Simulation {
        purchases: BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap(),
        spend: Some(GammaGammaParams::new(6.25, 3.74, 15.44).unwrap()),
        customers,
        acquisition,
        end,
        seed: 42,
    };
    let day = |t: f64| (t * 7.0).floor();
    let (mut x, mut tx, mut age, mut m) = (vec![], vec![], vec![], vec![]);
    for c in sim.run().unwrap() {
        // Purchases on the same day merge (amounts summed).
        let mut days: Vec<(f64, f64)> = Vec::new();
        for (&t, &z) in c.purchases.iter().zip(&c.amounts) {
            match days.last_mut() {
                Some(last) if last.0 == day(t) => last.1 += z,
                _ => days.push((day(t), z)),
            }
        }
        let first = days[0].0;
        let n = days.len() - 1;
        x.push(n as f64);
        tx.push((days[n].0 - first) / 7.0);
        age.push((day(end) - first) / 7.0);
        m.push(if n > 0 {
            let mean = days[1..].iter().map(|d| d.1).sum::<f64>() / n as f64;
            ((mean * 100.0).round() / 100.0).max(0.01)
        } else {
            0.0
        });
    }
    (CustomerData::new(x, tx, age).unwrap(), m)
}

/// Benchmarks both fitters on one data set (`group` names it).
fn fits(c: &mut Criterion, group: &str, data: &CustomerData, monetary: &[f64]) -> BgNbdParams {
    let compressed = data.compress();
    let repeat = data.frequency.iter().filter(|&&x| x > 0.0).count();
    eprintln!(
        "{group}: {} customers, {repeat} repeat buyers, {} distinct (x, t_x, T) rows",
        data.len(),
        compressed.len()
    );
    let fitted = BgNbdFitter::default().fit(data).unwrap();
    eprintln!(
        "{group} BG/NBD: {:?} ({} iterations)",
        fitted.params, fitted.report.iterations
    );
    let weights = vec![1.0; data.len()];
    let gg = GammaGammaFitter::default()
        .fit(&data.frequency, monetary, &weights)
        .unwrap();
    eprintln!(
        "{group} Gamma-Gamma: {:?} ({} iterations)",
        gg.params, gg.report.iterations
    );

    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function("bgnbd_fit_raw_rows", |b| {
        b.iter(|| BgNbdFitter::default().fit(black_box(data)).unwrap())
    });
    g.bench_function("bgnbd_fit_compressed_rows", |b| {
        b.iter(|| BgNbdFitter::default().fit(black_box(&compressed)).unwrap())
    });
    g.bench_function("gamma_gamma_fit", |b| {
        b.iter(|| {
            GammaGammaFitter::default()
                .fit(black_box(&data.frequency), monetary, &weights)
                .unwrap()
        })
    });
    g.finish();
    fitted.params
}

fn bench(c: &mut Criterion) {
    let (cli_data, cli_monetary) = daily_data(1_000_000, 12.0);
    fits(c, "fit_1m_cli", &cli_data, &cli_monetary);
    drop((cli_data, cli_monetary));
    let (data, monetary) = daily_data(1_000_000, 52.0);
    let p = fits(c, "fit_1m", &data, &monetary);

    // Conditional expectations as lifetime value needs them: every distinct
    // (x, T) pair of the 1M customers, at 12 monthly horizons.
    let mut pairs: Vec<(f64, f64)> = (0..data.len())
        .map(|i| (data.frequency[i], data.age[i]))
        .collect();
    pairs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    pairs.dedup();
    eprintln!("{} distinct (x, T) pairs", pairs.len());
    let mut group = c.benchmark_group("predict");
    group.sample_size(10);
    group.bench_function("expected_if_alive_pairs_x12", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for &(x, age) in &pairs {
                for m in 1..=12 {
                    s += p
                        .conditional_expected_if_alive(x, age, m as f64 * 4.348)
                        .unwrap();
                }
            }
            black_box(s)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
