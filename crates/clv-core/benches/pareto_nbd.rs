//! Pareto/NBD fit benchmark on 1,000,000 simulated customers shaped like the
//! CLI's summaries: CDNOW Pareto/NBD parameters, 12 weeks of acquisition,
//! observed to week 78, purchases on the same day merged and times floored to
//! whole days and expressed in weeks (so `t_x` and `T` take few distinct
//! values, as in real daily data).
//!
//! Run: `cargo bench -p clv-core --bench pareto_nbd`.

use std::hint::black_box;

use clv_core::CustomerData;
use clv_core::pareto_nbd::{ParetoNbdFitter, ParetoNbdParams, ParetoNbdSimulation, index_sizes};
use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

/// `(x, t_x, T)` with times floored to days, in weeks.
fn daily_data(customers: usize, acquisition: f64) -> CustomerData {
    let end = 78.0;
    let sim = ParetoNbdSimulation {
        params: ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669).unwrap(),
        customers,
        acquisition,
        end,
        seed: 42,
    };
    let day = |t: f64| (t * 7.0).floor();
    let (mut x, mut tx, mut age) = (vec![], vec![], vec![]);
    for c in sim.run().unwrap() {
        let mut days: Vec<f64> = c.purchases.iter().map(|&t| day(t)).collect();
        days.dedup();
        let n = days.len() - 1;
        x.push(n as f64);
        tx.push((days[n] - days[0]) / 7.0);
        age.push((day(end) - days[0]) / 7.0);
    }
    CustomerData::new(x, tx, age).unwrap()
}

fn bench(c: &mut Criterion) {
    let data = daily_data(1_000_000, 12.0);
    let repeat = data.frequency.iter().filter(|&&x| x > 0.0).count();
    let (pairs, rows) = index_sizes(&data);
    eprintln!(
        "pareto_nbd_1m_cli: {} customers, {repeat} repeat buyers, {rows} distinct (x, t_x, T) rows, {pairs} distinct (x, t) pairs",
        data.len()
    );
    let t0 = std::time::Instant::now();
    let fitted = ParetoNbdFitter::default().fit(&data).unwrap();
    eprintln!(
        "one fit: {:.3} s, {:?}, LL {:.2}, {} iterations, converged {}, se {:?}",
        t0.elapsed().as_secs_f64(),
        fitted.params,
        fitted.report.log_likelihood,
        fitted.report.iterations,
        fitted.report.converged,
        fitted.report.standard_errors
    );
    let compressed = data.compress();
    let mut g = c.benchmark_group("pareto_nbd_1m_cli");
    g.sample_size(10);
    g.bench_function("fit_raw_rows", |b| {
        b.iter(|| ParetoNbdFitter::default().fit(black_box(&data)).unwrap())
    });
    g.bench_function("fit_compressed_rows", |b| {
        b.iter(|| {
            ParetoNbdFitter::default()
                .fit(black_box(&compressed))
                .unwrap()
        })
    });
    let p = fitted.params;
    g.bench_function("log_likelihood_gradient_raw_rows", |b| {
        b.iter(|| p.log_likelihood_gradient(black_box(&data)))
    });
    g.finish();

    // Per-customer predictions as the CLI needs them, over all 1M customers
    // (in parallel): P(alive), E[Y(52)], and DERT at 10% a year (weekly
    // continuous rate ln(1.1)/52) with the lifetime factor cached per T.
    let mut g = c.benchmark_group("pareto_nbd_1m_predict");
    g.sample_size(10);
    let n = data.len();
    g.bench_function("p_alive", |b| {
        b.iter(|| {
            (0..n)
                .into_par_iter()
                .map(|i| p.probability_alive(data.frequency[i], data.recency[i], data.age[i]))
                .sum::<f64>()
        })
    });
    g.bench_function("expected_purchases_52", |b| {
        b.iter(|| {
            (0..n)
                .into_par_iter()
                .map(|i| {
                    p.conditional_expected_purchases(
                        data.frequency[i],
                        data.recency[i],
                        data.age[i],
                        52.0,
                    )
                    .unwrap()
                })
                .sum::<f64>()
        })
    });
    let delta = 1.1f64.ln() / 52.0;
    g.bench_function("dert_cached_by_age", |b| {
        b.iter(|| {
            let mut ages: Vec<f64> = data.age.clone();
            ages.sort_by(f64::total_cmp);
            ages.dedup();
            let factor: Vec<f64> = ages
                .par_iter()
                .map(|&t| p.discounted_lifetime(t, delta).unwrap())
                .collect();
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let (x, t_x, t) = (data.frequency[i], data.recency[i], data.age[i]);
                    let k = factor[ages.binary_search_by(|a| a.total_cmp(&t)).unwrap()];
                    p.probability_alive(x, t_x, t) * (p.r() + x) / (p.alpha() + t) * k
                })
                .sum::<f64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
