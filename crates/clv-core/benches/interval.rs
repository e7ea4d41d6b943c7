//! Prediction-interval benchmarks on simulated customers shaped like the
//! CLI's 1M-customer summary (daily purchases in weeks, 12 weeks of
//! acquisition, observed to week 78, mean spends rounded to cents; as
//! `fit_1m_cli` in `benches/fit.rs`).
//!
//! - `intervals_100k/parametric_200_draws` (criterion): 100,000 customers,
//!   200 parametric draws, BG/NBD + Gamma-Gamma, 12 months at 10%/year;
//! - then one timed run of the floor case, 1,000,000 customers x 1,000
//!   parametric draws (printed; run the binary under `/usr/bin/time -v` for
//!   its peak memory), unless `CLV_BENCH_SKIP_1M` is set
//!   (`CLV_BENCH_ONLY_1M` skips the criterion part), and the cost of one
//!   bootstrap resample (BG/NBD + Gamma-Gamma refits) and of the
//!   purchase-count intervals on the same data.
//!
//! Run: `cargo bench -p clv-core --bench interval`.

use std::hint::black_box;
use std::time::Instant;

use clv_core::bgnbd::{BgNbdFitter, BgNbdParams};
use clv_core::gamma_gamma::{GammaGammaFitter, GammaGammaParams};
use clv_core::interval::{
    GammaGammaRefit, IntervalSettings, Spend, bgnbd_bootstrap_draws,
    bgnbd_purchase_count_intervals, parametric_draws, prediction_intervals,
};
use clv_core::sim::Simulation;
use clv_core::value::ValueSettings;
use clv_core::{CustomerData, TimeUnit};
use criterion::{Criterion, criterion_group, criterion_main};

/// `(data, mean repeat spend)` as in `benches/fit.rs`.
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

/// Fits both models and computes the intervals with `draws` parametric draws.
fn run(data: &CustomerData, monetary: &[f64], draws: usize) -> clv_core::interval::Intervals {
    let bg = BgNbdFitter::default().fit(data).unwrap();
    let gg = GammaGammaFitter::default()
        .fit(&data.frequency, monetary, &data.weight)
        .unwrap();
    let value = ValueSettings::new("12 months".parse().unwrap(), TimeUnit::Week, 0.1, 1.0).unwrap();
    let settings = IntervalSettings::new(0.9, draws, 7).unwrap();
    prediction_intervals(
        &bg.params,
        &bg.report.covariance,
        Spend::GammaGamma {
            params: &gg.params,
            monetary,
        },
        Some(&gg.report.covariance),
        data,
        &value,
        &settings,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    if std::env::var_os("CLV_BENCH_ONLY_1M").is_none() {
        bench_100k(c);
    }
    if std::env::var_os("CLV_BENCH_SKIP_1M").is_none() {
        bench_1m();
    }
}

fn bench_100k(c: &mut Criterion) {
    let (data, monetary) = daily_data(100_000, 12.0);
    let mut g = c.benchmark_group("intervals_100k");
    g.sample_size(10);
    g.bench_function("parametric_200_draws", |b| {
        b.iter(|| black_box(run(black_box(&data), &monetary, 200)))
    });
    g.finish();
}

fn bench_1m() {
    let (data, monetary) = daily_data(1_000_000, 12.0);
    let before = reset_peak_memory();
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let iv = run(&data, &monetary, 1000);
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    eprintln!(
        "intervals_1m: peak resident memory {:.0} MB (before: {:.0} MB, the data set)",
        peak_memory_mb(),
        before
    );
    eprintln!(
        "intervals_1m: 1,000,000 customers x 1,000 parametric draws (fits included): {secs:.2} s wall, \
         {cpu:.2} s CPU on {} threads; total expected purchases {:.0} [{:.0}, {:.0}], total CLV {:.0} [{:.0}, {:.0}]",
        rayon::current_num_threads(),
        iv.total_purchases.point,
        iv.total_purchases.lo,
        iv.total_purchases.hi,
        iv.total_clv.point,
        iv.total_clv.lo,
        iv.total_clv.hi,
    );

    // Predictive intervals of purchase counts (plug-in and over 20 draws).
    let horizon = TimeUnit::Month.convert(12.0, TimeUnit::Week);
    let bg = BgNbdFitter::default().fit(&data).unwrap();
    for n_draws in [0usize, 20] {
        let draws = (n_draws > 0).then(|| {
            let s = IntervalSettings::new(0.9, n_draws, 7).unwrap();
            parametric_draws(&bg.params, &bg.report.covariance, None, &s).unwrap()
        });
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let counts =
            bgnbd_purchase_count_intervals(&bg.params, draws.as_ref(), &data, horizon, 0.9)
                .unwrap();
        let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        eprintln!(
            "counts_1m: purchase-count intervals of 1,000,000 customers over 12 months, {n_draws} draws \
             (0 = plug-in): {secs:.2} s wall, {cpu:.2} s CPU; widest [{}, {}]",
            counts.lo.iter().max().unwrap(),
            counts.hi.iter().max().unwrap()
        );
    }

    // Bootstrap: cost per resample (BG/NBD + Gamma-Gamma refits, warm-started).
    let resamples = 10;
    let bg = BgNbdFitter::default().fit(&data).unwrap();
    let gg_fitter = GammaGammaFitter::default();
    let gg = gg_fitter
        .fit(&data.frequency, &monetary, &data.weight)
        .unwrap();
    let settings = IntervalSettings::new(0.9, resamples, 7).unwrap();
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let draws = bgnbd_bootstrap_draws(
        &bg.params,
        &BgNbdFitter::default(),
        Some(GammaGammaRefit {
            params: &gg.params,
            fitter: &gg_fitter,
            monetary: &monetary,
            fit_weight: &data.weight,
        }),
        &data,
        &settings,
    )
    .unwrap();
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    eprintln!(
        "bootstrap_1m: {resamples} resamples of 1,000,000 customers (BG/NBD + Gamma-Gamma refits): \
         {secs:.2} s wall, {cpu:.2} s CPU ({:.3} s CPU per resample), {} failed",
        cpu / resamples as f64,
        draws.failed
    );
}

/// Resets the process's peak resident memory to the current one (Linux:
/// `/proc/self/clear_refs`) and returns the current one in MB.
fn reset_peak_memory() -> f64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_memory_mb()
}

/// Peak resident memory (`VmHWM`) in MB (Linux; 0 elsewhere).
fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// User + system CPU time of this process so far (Linux; 0 elsewhere), so
/// that the timing means something on a machine shared with other jobs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second).
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

criterion_group!(benches, bench);
criterion_main!(benches);
